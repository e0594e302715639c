/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * One repair session: the whole pipeline of rescue as one object that owns
 * one scan of the devices, the chosen system, its mounts, the diagnosis,
 * the plan and the journal, for every front-end alike.
 *
 *   discover -> unlock -> activate -> mount -> check -> diagnose -> plan
 *            -> apply -> verify -> teardown
 *
 * Each phase is a call of its own, so the wizard walks them one screen at a
 * time and `rescue --auto` is a short loop over them (rsc_session_run).
 * Phases report through the context's callbacks: log, progress, ask and
 * cancel (rescue.h). Nothing here prints, prompts or names a command-line
 * option: the questions are typed (struct rsc_question) and a front-end
 * decides how to put them.
 *
 * Every unlock, activation and mount is recorded in the undo journal before
 * the call returns; rsc_session_teardown() (and rsc_session_free()) unwind
 * them in reverse, also after an error or a cancel.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "rescue/diagnose.h"
#include "rescue/repair.h"
#include "rescue/rescue.h"
#include "rescue/scan.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct rsc_session rsc_session;

enum rsc_phase {
	RSC_PHASE_DISCOVER,
	RSC_PHASE_UNLOCK,
	RSC_PHASE_ACTIVATE,
	RSC_PHASE_MOUNT,
	RSC_PHASE_CHECK,
	RSC_PHASE_DIAGNOSE,
	RSC_PHASE_PLAN,
	RSC_PHASE_APPLY,
	RSC_PHASE_VERIFY,
	RSC_PHASE_TEARDOWN,
	_RSC_PHASE_MAX,
};
const char *rsc_phase_to_string(enum rsc_phase p);   /* "discover", "unlock" ... */

enum rsc_phase_state {
	RSC_PHASE_TODO,          /* not run yet */
	RSC_PHASE_DONE,          /* ran and succeeded */
	RSC_PHASE_NEEDS_YOU,     /* stopped on a question only a person can answer */
	RSC_PHASE_NOT_NEEDED,    /* nothing to do here (no LUKS, no LVM, no errors) */
	RSC_PHASE_FAILED,        /* ran and failed (see the log) */
};
const char *rsc_phase_state_to_string(enum rsc_phase_state s);

struct rsc_session_options {
	char **images;          /* disk images instead of the machine's disks */
	const char *system;     /* system id to choose; NULL: the only one, else ask */
	const char *target;     /* where to mount; NULL: a private directory (and mount namespace) */
	const char *key_file;   /* tried on every LUKS volume before asking */
	bool read_write;        /* mount read-write (needed by apply) */
	bool dry_run;           /* rsc_session_run stops after the plan */
	/* Consent given in advance (--yes, --auto): apply does not ask
	 * RSC_ASK_CONFIRM_PLAN. Without it and without an answer, nothing is
	 * written. */
	bool assume_yes;
	/* With mounted_at: do not scan the machine's devices for context (a
	 * fake root in tests; nothing of /dev or /sys is read). */
	bool no_devices;
	/* A system already mounted there by someone else ("rescue mount"):
	 * discover identifies it from the directory, and teardown leaves
	 * it mounted. */
	const char *mounted_at;
	/* Unlock only these LUKS volumes (names, nodes or UUIDs, as the scan
	 * shows them); NULL: every locked one. Naming one that is not there is
	 * an error (-ENOENT), not "nothing to unlock". */
	char **unlock_devices;
	unsigned tries;         /* passphrase tries per volume; 0: 3 */
	/* Record in the machine's undo journal even without a target (no
	 * private one), so that rsc_session_keep() can leave the volumes,
	 * groups and mounts up for later commands. */
	bool shared_journal;
	/* After apply: the repair journal's manifest, log and state copied
	 * into a new directory here (the rescue medium's journals/), named as
	 * the journal is. NULL: no copy. */
	const char *journal_copy;
};

int rsc_session_new(rsc_context *ctx, const struct rsc_session_options *opts, rsc_session **ret);
/* Tears down what is still up (as rsc_session_teardown) and frees. */
rsc_session *rsc_session_free(rsc_session *s);

/* The phases. Each returns 0 on success, a positive value when it had
 * nothing to do (RSC_PHASE_NOT_NEEDED), or a negative errno; -ECANCELED
 * after a cancel, with this phase's work already undone. */
int rsc_session_discover(rsc_session *s);      /* scan devices and systems, once */
int rsc_session_unlock(rsc_session *s);        /* LUKS, key file first, then asks */
int rsc_session_activate(rsc_session *s);      /* MD arrays and volume groups */
int rsc_session_choose(rsc_session *s, const char *system_id); /* NULL: only one, or ask */
int rsc_session_mount(rsc_session *s, bool read_write);
int rsc_session_check(rsc_session *s);         /* space, labels, images: rsc_session_checks() */
int rsc_session_diagnose(rsc_session *s);
int rsc_session_plan(rsc_session *s);
int rsc_session_apply(rsc_session *s);         /* asks RSC_ASK_CONFIRM_PLAN first */
int rsc_session_verify(rsc_session *s);        /* diagnose again; the "after" diagnosis */
int rsc_session_teardown(rsc_session *s);      /* unmount, deactivate, close, in reverse */
/* Leaves what the session opened, activated and mounted up: teardown and
 * free no longer undo it; it stays recorded in the machine's undo journal,
 * and rsc_undo_all() releases it. For a session in the machine's journal
 * (a target given, or shared_journal) and its own mount namespace not used;
 * -EINVAL otherwise. */
int rsc_session_keep(rsc_session *s);
/* Restores the newest repair journal of the mounted system. Returns the
 * number of changes put back, -ENOENT when there is none. */
int rsc_session_undo(rsc_session *s);
/* An interrupted repair's journal found when the system was mounted (NULL
 * when none) and the changes its undo put back (-1: it was left). */
int rsc_session_get_unfinished(const rsc_session *s, const char **ret_journal);
/* After rsc_session_undo: the changes put back, and the journal's path. */
int rsc_session_get_undone(const rsc_session *s, const char **ret_journal);

/* Runs every phase up to and including `last` that has not run yet
 * (discover, unlock, activate, choose, mount, check, diagnose, plan, and
 * unless dry_run: apply, verify), then teardown. The --auto loop. */
int rsc_session_run(rsc_session *s, enum rsc_phase last);

/* State of each phase, for a hub of steps. */
enum rsc_phase_state rsc_session_phase_state(const rsc_session *s, enum rsc_phase p);

/* What the session holds (NULL until the phase that makes it ran). */
const struct rsc_scan *rsc_session_get_scan(const rsc_session *s);
const struct rsc_system *rsc_session_get_system(const rsc_session *s);
const char *rsc_session_get_target(const rsc_session *s);
const struct rsc_diagnosis *rsc_session_get_diagnosis(const rsc_session *s); /* before the repair */
const struct rsc_diagnosis *rsc_session_get_verified(const rsc_session *s);  /* after it */
const struct rsc_plan *rsc_session_get_plan(const rsc_session *s);
/* LUKS volumes open after the unlock phase (also those already open). */
unsigned rsc_session_get_unlocked(const rsc_session *s);
/* How many times the devices were scanned (for tests and benchmarks). */
unsigned rsc_session_get_scan_count(const rsc_session *s);

/* Facts of the check phase, as a wizard shows them. */
struct rsc_space {
	const char *what;       /* "/boot", "/boot/efi" */
	uint64_t total, free;   /* bytes */
	uint64_t needed;        /* a new initramfs (or ESP files), bytes; 0 unknown */
};
/* The checks own their strings: they outlive the scan they were taken
 * from (verify identifies the system again). */
struct rsc_kernel_check {
	char *version;
	bool has_image, has_modules, has_initramfs;
	bool initramfs_ok;            /* the verifier says it can mount this root */
	char **missing;               /* what the image lacks for this root, in words */
};
struct rsc_checks {
	struct rsc_space *space;
	size_t n_space;
	char *selinux;                /* mode, NULL when not configured */
	unsigned selinux_checked, selinux_wrong;
	struct rsc_kernel_check *kernels;
	size_t n_kernels;
	unsigned entries, entries_broken; /* boot entries, those naming missing files */
};
const struct rsc_checks *rsc_session_get_checks(const rsc_session *s);

/* How a run ended, as a front-end reports it (the CLI maps it to its exit
 * codes). */
enum rsc_outcome {
	RSC_OUTCOME_NONE,             /* not finished */
	RSC_OUTCOME_REPAIRED,
	RSC_OUTCOME_NOTHING_TO_DO,
	RSC_OUTCOME_PLAN_ONLY,        /* dry run with something to repair */
	RSC_OUTCOME_NEEDS_HUMAN,      /* errors no action fixes (plan.unfixed) */
	RSC_OUTCOME_REPAIR_FAILED,    /* a step failed and was rolled back */
	RSC_OUTCOME_CANCELLED,
	RSC_OUTCOME_FAILED,           /* the pipeline stopped on an error (rsc_session_get_error) */
	_RSC_OUTCOME_MAX,
};
const char *rsc_outcome_to_string(enum rsc_outcome o);
enum rsc_outcome rsc_session_get_outcome(const rsc_session *s);
/* The negative errno the pipeline stopped on, 0 when none, and the phase
 * it stopped in. */
int rsc_session_get_error(const rsc_session *s);
enum rsc_phase rsc_session_get_error_phase(const rsc_session *s);

/* The report of the session (schema "rescue-report/2", docs/report-json.md):
 * system, steps with their phase and state, the diagnosis before, the
 * plan with each action's status, the diagnosis after, the outcome, the
 * next steps (never a command that just failed), timings. */
struct json_object;
int rsc_session_report(const rsc_session *s, struct json_object **ret);
/* Writes it beside path and renames it into place (never half a report);
 * also copies the journal there when path is a directory. */
int rsc_session_write_report(const rsc_session *s, const char *path);

/* ---- teaching: the command a person would type, and why ---- */

/* For a phase (the system and devices the session holds filled in): the
 * shell commands a person would type for it, one per line, and a plain
 * one- or two-line why (lines of at most 75 characters). */
int rsc_session_explain_phase(const rsc_session *s, enum rsc_phase p, char **ret_commands, char **ret_why);

#ifdef __cplusplus
}
#endif
