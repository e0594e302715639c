/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Plan and repair: from a diagnosis to ordered actions, each with the exact
 * command run inside the system (its own tools, for its own kernel
 * versions), the files it changes and why; then applying them with every
 * replaced file saved to a journal on the target first, verifying what was
 * written, and undoing a journal.
 */
#pragma once

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "rescue/diagnose.h"
#include "rescue/rescue.h"
#include "rescue/scan.h"

enum rsc_action_kind {
	RSC_ACTION_FREE_SPACE,        /* move provably unused files out of /boot into the journal */
	RSC_ACTION_SET_ASIDE_KERNEL,  /* move a kernel that cannot boot out of the boot menu */
	RSC_ACTION_REBUILD_INITRAMFS, /* the system's generator, for one kernel version */
	RSC_ACTION_GRUB_CONFIG,       /* the system's grub-mkconfig to its config path */
	RSC_ACTION_ESP_STUB,          /* write the ESP stub that loads /boot's config */
	RSC_ACTION_RELABEL,           /* SELinux labels of the files written, from the system's policy */
	RSC_ACTION_GRUB_INSTALL_BIOS, /* the system's grub-install for i386-pc, on one disk */
	RSC_ACTION_EDIT_CONFIG,       /* change one line of a configuration file (the cause, not the symptom) */
	RSC_ACTION_GRUB_INSTALL_EFI,  /* the system's grub-install for x86_64-efi, onto its ESP */
	RSC_ACTION_NVRAM_ENTRY,       /* a firmware boot entry for the loader on the ESP, first in BootOrder */
};

/* Bytes of a disk, from its start. */
struct rsc_disk_range {
	uint64_t offset, length;
};

enum rsc_action_status { RSC_ACTION_PLANNED, RSC_ACTION_DONE, RSC_ACTION_FAILED, RSC_ACTION_SKIPPED };

/* A file an action changes, as it was when the plan was made and as the
 * step left it: what a person checks a repair against. */
struct rsc_file_state {
	bool exists;
	char type;              /* 'f' file, 'd' directory, 'l' symbolic link, '?' other */
	uint64_t size;
	char sha256[65];        /* of a regular file's contents; "" otherwise or unreadable */
	char *label;            /* its SELinux label (security.selinux); NULL none */
};

struct rsc_action {
	enum rsc_action_kind kind;
	char *title;
	char *why;
	char **argv;            /* run inside the system; NULL for file operations */
	char **files;           /* paths in the system it changes, moves or writes */
	char *kver;
	char *content;          /* ESP stub text; edit-config: the line as it will be; grub-install-efi: GRUB's directory */
	unsigned line;          /* edit-config: the line of files[0] it changes (1-based) */
	char *old_line;         /* edit-config: that line as it is (apply refuses if it changed since) */
	char *finding_subject;  /* edit-config: the subject of the finding it repairs (its code is fixes[0]) */
	char **unless_present;  /* skipped at apply time when all of these exist by then */
	char **fixes;           /* codes of the findings it repairs */
	/* grub-install: the disk it writes, as the findings name it and as it
	 * is opened (a /dev node, or an image file with the disk at
	 * disk_offset), and the bytes of it saved into the journal first. */
	char *disk_name, *disk;
	uint64_t disk_offset, disk_size;
	struct rsc_disk_range disk_ranges[2];
	size_t n_disk_ranges;
	/* nvram-entry: the entry to add (written by rescue itself through
	 * efivarfs; efibootmgr is the equivalent a person would type). */
	struct rsc_efi_entry efi;
	struct rsc_file_state *before; /* one per files[] when the plan was made; NULL unknown */
	/* After apply: */
	struct rsc_file_state *after;  /* one per files[] after the step ran */
	enum rsc_action_status status;
	int exit_status;        /* of argv, -1 when none ran */
	double seconds;         /* wall-clock time argv ran (the generator's share of a repair) */
	char *result;           /* what happened, in words */
};

struct rsc_plan {
	char *system;
	struct rsc_action *actions;
	size_t n_actions;
	char **unfixed;         /* findings no action fixes: what a human must do */
	char **follow_up;       /* after a repair, on the running system (reinstall a kernel package) */
	char *journal;          /* after apply: the journal directory, as the system sees it */
};

int rsc_plan_make(rsc_context *ctx, const struct rsc_system *s, const struct rsc_diagnosis *d, const char *root_dir,
		  struct rsc_plan **ret);
struct rsc_plan *rsc_plan_free(struct rsc_plan *p);
/* The states of the files A changes under ROOT_DIR, one per a->files
 * (*ret NULL when it names none); an unreadable file keeps what could be
 * read and makes the result that error. */
int rsc_action_read_files(const char *root_dir, const struct rsc_action *a, struct rsc_file_state **ret);
const char *rsc_action_kind_to_string(enum rsc_action_kind k);
const char *rsc_action_status_to_string(enum rsc_action_status s);
/* The plan as a shell script a person could run by hand (after mounting
 * the system at root_dir), with a comment explaining each step. */
int rsc_plan_write_script(const struct rsc_plan *p, const char *root_dir, FILE *f);
/* Applies the plan to the system mounted read-write at root_dir. Stops at
 * the first failed action (each failed action is rolled back). Returns 0
 * when every action succeeded, -EIO when one failed, -ECANCELED when the
 * context's cancel callback fired: the command running was stopped, its
 * action rolled back like a failed one, and later actions not begun. */
int rsc_plan_apply(rsc_context *ctx, struct rsc_plan *p, const char *root_dir);
/* Restores the newest journal of the system at root_dir: saved files are
 * copied back, moved files moved back, files that did not exist removed.
 * Returns the number of files restored; -ENOENT when there is no journal. */
int rsc_journal_undo(rsc_context *ctx, const char *root_dir, char **ret_journal);
/* One action as the shell commands a person would type (the system at
 * "$R", the journal at "$J"), also for file moves and relabels. Freed by
 * the caller; NULL when out of memory. */
char *rsc_action_shell(const struct rsc_action *a);
/* A repair cut short (power cut, the process killed) leaves its journal
 * marked unfinished: some of its changes may be half made. Finds the
 * newest such journal of the system at root_dir. Returns 1 and its path
 * as the system sees it (/var/lib/rescue/journal/<time>) in *ret_journal
 * (may be NULL), 0 when there is none, or a negative errno. */
int rsc_journal_find_unfinished(rsc_context *ctx, const char *root_dir, char **ret_journal);
/* Restores one named journal (a path as rsc_journal_find_unfinished
 * returns it) exactly as rsc_journal_undo restores the newest: every
 * change it announced is put back, whether it was made, half made or not
 * begun. Returns the number of changes put back. */
int rsc_journal_undo_path(rsc_context *ctx, const char *root_dir, const char *journal);
struct json_object;
int rsc_plan_to_json(const struct rsc_plan *p, struct json_object **ret);
