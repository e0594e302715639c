/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Shared state of the rescue CLI: global options, the verb table, exit codes. */
#pragma once

#include <getopt.h>
#include <stdbool.h>

#include "macro.h"
#include "rescue/rescue.h"
#include "rescue/session.h"

/* Documented in docs/exit-codes.md; keep both in step. */
enum {
	EXIT_OK = 0,
	EXIT_FAILURE_ = 1,    /* unexpected failure */
	EXIT_USAGE = 2,       /* bad command line */
	EXIT_NO_SYSTEM = 3,   /* nothing to work on: no installed system found */
	EXIT_PARTIAL = 4,     /* done, but some inputs could not be examined */
	EXIT_BAD_INPUT = 5,   /* the named input is unreadable, corrupt or missing */
	EXIT_NOT_ROOT = 6,    /* needs root */
	EXIT_NOT_BOOTABLE = 7,/* initramfs verify: this image cannot mount this root */
	EXIT_BAD_PASSPHRASE = 10, /* unlock: no passphrase or key opened the volume */
	EXIT_NO_DM = 11,      /* device-mapper is not available in this kernel */
	EXIT_NEEDS_FSCK = 12, /* a filesystem records errors: fsck before writing */
	EXIT_AMBIGUOUS = 13,  /* several systems and none chosen */
	EXIT_BUSY = 14,       /* the target is already mounted or in use */
	EXIT_CANCELLED = 15,  /* interrupted (SIGINT/SIGTERM/SIGHUP); what was done is undone */
	EXIT_FINDINGS = 20,   /* diagnose: problems that keep the system from booting */
	EXIT_WARNINGS = 21,   /* diagnose: warnings only */
	EXIT_NOTHING_TO_DO = 22, /* fix: no errors found; nothing was changed */
	EXIT_NEEDS_HUMAN = 23,   /* fix: errors remain that rescue cannot repair (listed) */
	EXIT_REPAIR_FAILED = 24, /* fix: a step failed and was rolled back; see the report */
};

struct cli {
	rsc_context *ctx;
	char **images;       /* --image FILE, repeatable */
	bool json;
	bool explain;
	int verbosity;       /* -v raises, -q lowers */
	const char *profiles;
};

struct verb {
	const char *name;
	const char *args;
	const char *summary;
	/* argv[0] is the verb; the verb parses its own options with
	 * cli_getopt(), which also accepts every global option. */
	int (*run)(struct cli *cli, int argc, char **argv);
	/* Changes nothing (what it mounts is private to it): a signal makes
	 * it exit 15 once it ends. The others decide themselves. */
	bool read_only;
};

/* Global options usable before or after the verb. Verbs append theirs
 * with values >= OPT_VERB_BASE. */
enum {
	OPT_IMAGE = 0x100,
	OPT_JSON,
	OPT_EXPLAIN,
	OPT_PROFILES,
	OPT_HELP,
	OPT_VERSION,
	OPT_VERB_BASE = 0x200,
};

/* getopt_long over the global options plus EXTRA (NULL-terminated; may be
 * NULL). Global options are consumed here; returns the verb's own option
 * value, -1 at the end, or '?' after printing a usage error. Options may
 * follow the verb's arguments unless EXTRA_SHORT starts with '+'. */
int cli_getopt(struct cli *cli, int argc, char **argv, const char *extra_short,
	       const struct option *extra, const char *verb_usage);
/* True once SIGINT, SIGTERM or SIGHUP arrived (the context's cancel
 * callback says the same to the library). */
bool cli_cancelled(void);
/* Maps a negative errno from the library to an exit code. */
int cli_exit_code(int r);
void cli_usage_error(const char *verb, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

int verb_scan(struct cli *cli, int argc, char **argv);
int verb_initramfs(struct cli *cli, int argc, char **argv);
int verb_mount(struct cli *cli, int argc, char **argv);
int verb_unlock(struct cli *cli, int argc, char **argv);
int verb_chroot(struct cli *cli, int argc, char **argv);
int verb_umount(struct cli *cli, int argc, char **argv);
int verb_diagnose(struct cli *cli, int argc, char **argv);
int verb_fix(struct cli *cli, int argc, char **argv);
int verb_undo(struct cli *cli, int argc, char **argv);
int verb_auto(struct cli *cli, int argc, char **argv);
int verb_tui(struct cli *cli, int argc, char **argv);

/* Applies -v/-q and --profiles to the context once a verb parsed its options. */
int cli_setup(struct cli *cli);

/* A verb running a library session (cli-session.c): how it answers the
 * library's questions and shows progress. */
struct cli_session {
	struct cli *cli;
	rsc_session *session;
	const char *key_file;
	const char *passphrase_file;  /* one passphrase, first line */
	bool passphrase_used;
	/* --passphrase-fd: one passphrase per line, one line per try; an empty
	 * line or the end means no more tries from there. */
	bool has_passphrase_fd, passphrase_fd_eof;
	int passphrase_fd;
	bool unattended;              /* --auto: never prompt */
	bool assume_yes;              /* --yes / --auto: the plan is accepted in advance */
	void (*show_plan)(struct cli_session *cs); /* before the plan is confirmed */
	int last_phase;
};
DEFINE_TRIVIAL_CLEANUP_FUNC(rsc_session *, rsc_session_free)
void cli_session_setup(struct cli_session *cs, struct cli *cli);
/* The exit code (docs/exit-codes.md) of a finished session. */
int cli_session_exit_code(const rsc_session *s, bool dry_run);
/* Writes j to path atomically (beside it, synced, renamed); sets errno. */
struct json_object;
int cli_write_json(struct json_object *j, const char *path);
/* One line (without its newline) from fd into buf, at most size-1 bytes;
 * -ECANCELED when a signal asked us to stop while waiting for it. */
int cli_read_line(int fd, char *buf, size_t size);
/* A secret typed on /dev/tty with echo off; -ENOKEY with no terminal. */
int cli_ask_tty_secret(const char *prompt, char *buf, size_t size);
