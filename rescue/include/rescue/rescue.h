/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * librescue: the engine behind the rescue CLI and TUI.
 *
 * The library never prints and never prompts: it reports through the log
 * callback of its context, and front-ends decide how a message is shown.
 * Fallible calls return 0 (or a documented positive value) on success and a
 * negative errno on failure; ret_* parameters are untouched on failure.
 * Structures returned by the library are read-only for callers.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct rsc_context rsc_context;

/* Syslog priorities, so front-ends can map them as they like. */
enum rsc_log_level {
	RSC_LOG_ERR = 3,
	RSC_LOG_WARNING = 4,
	RSC_LOG_NOTICE = 5,
	RSC_LOG_INFO = 6,
	RSC_LOG_DEBUG = 7,
};

typedef void (*rsc_log_fn)(void *userdata, int level, const char *message);

int rsc_context_new(rsc_context **ret);
rsc_context *rsc_context_free(rsc_context *ctx);
void rsc_context_set_log(rsc_context *ctx, rsc_log_fn fn, void *userdata);
/* Messages above this level are not formatted at all (default: INFO). */
void rsc_context_set_log_level(rsc_context *ctx, int level);
int rsc_context_get_log_level(const rsc_context *ctx);
/* Directory of profiles (*.conf files) overriding the built-in copies. */
int rsc_context_set_profile_dir(rsc_context *ctx, const char *dir);
/* Counts of messages logged at WARNING and at ERR so far: a front-end
 * tells a clean run from one that went on past problems. */
unsigned rsc_context_get_warnings(const rsc_context *ctx);
unsigned rsc_context_get_errors(const rsc_context *ctx);

/* Where the undo journal lives (default: $RESCUE_STATE_DIR, else
 * /run/rescue). A private directory keeps a throw-away mount out of the
 * machine's journal. */
int rsc_context_set_state_dir(rsc_context *ctx, const char *dir);

/* Long operations poll this between steps and, while a command runs, every
 * tenth of a second; when it returns true the command's process group is
 * stopped, what the step did is undone, and the call returns -ECANCELED.
 * Front-ends set it from their SIGINT/SIGTERM/SIGHUP handlers. */
void rsc_context_set_cancel(rsc_context *ctx, bool (*fn)(void *userdata), void *userdata);
bool rsc_context_cancelled(rsc_context *ctx);

/* Progress of long work. Reported at least when a step starts and ends,
 * for every line a running command prints, and every few tenths of a
 * second while a step runs, so a front-end can show it stays alive. */
struct rsc_progress {
	int phase;              /* enum rsc_phase (session.h), -1 outside a session */
	unsigned step, n_steps; /* step i (1-based) of n within the phase; n_steps 0: no steps */
	double fraction;        /* 0..1 of the phase, or -1: indeterminate */
	double elapsed;         /* seconds since the phase began */
	const char *what;       /* what is being done, in words */
	const char *line;       /* a line a running command printed, or NULL */
};
typedef void (*rsc_progress_fn)(void *userdata, const struct rsc_progress *p);
void rsc_context_set_progress(rsc_context *ctx, rsc_progress_fn fn, void *userdata);

/* Typed questions: the library decides what to ask, a front-end how. */
enum rsc_question_kind {
	RSC_ASK_PASSPHRASE,         /* of a named LUKS volume: YES (secret filled), SKIP, KEY_FILE, CANCEL */
	RSC_ASK_CHOOSE_SYSTEM,      /* YES with choice set, or CANCEL */
	RSC_ASK_CONFIRM_REPLAY,     /* a read-write mount will replay a filesystem journal: YES, NO */
	RSC_ASK_CONFIRM_PLAN,       /* apply the plan (rsc_session_get_plan): YES, NO */
	RSC_ASK_CONFIRM_STEP,       /* apply this step: YES, SKIP, CANCEL */
	RSC_ASK_UNFINISHED_JOURNAL, /* a repair was interrupted: UNDO, NO (leave it), CANCEL */
	_RSC_ASK_MAX,
};
enum rsc_answer {
	RSC_ANSWER_YES,
	RSC_ANSWER_NO,
	RSC_ANSWER_SKIP,
	RSC_ANSWER_KEY_FILE,        /* passphrase: use the key file named in key_file */
	RSC_ANSWER_UNDO,
	RSC_ANSWER_CANCEL,
};
struct rsc_question {
	enum rsc_question_kind kind;
	const char *subject;        /* the volume, system, step or journal it is about */
	const char *text;           /* the question in plain words */
	const char *detail;         /* facts that help answer (UUID, LUKS version, cost), or NULL */
	unsigned attempt, max_attempts; /* passphrase: 1-based try */
	uint64_t kdf_memory_kib;    /* passphrase: the keyslot's Argon2 memory cost, 0 if not Argon2 */
	const char *const *choices; /* choose: one label per choice */
	size_t n_choices;
	/* Filled by the front-end: */
	char *secret;               /* passphrase: locked buffer of secret_size bytes, owned by the library */
	size_t secret_size;
	size_t secret_len;
	size_t choice;
	const char *key_file;       /* KEY_FILE: path, valid until the call returns */
};
/* Returns an enum rsc_answer, or a negative errno (-ENOKEY: nobody to ask). */
typedef int (*rsc_ask_fn)(void *userdata, struct rsc_question *q);
void rsc_context_set_ask(rsc_context *ctx, rsc_ask_fn fn, void *userdata);
/* Asks through the context's callback; -ENOKEY when there is none. */
int rsc_ask(rsc_context *ctx, struct rsc_question *q);

/* A human-readable string for a negative errno returned by the library,
 * including the library's own codes below. */
const char *rsc_strerror(int error);

/* errno values of our own, beyond the system's (returned negated). */
enum {
	RSC_ERR_BASE = 10000,
	RSC_ERR_NOT_ROOT,       /* the operation needs root */
	RSC_ERR_NO_SYSTEM,      /* no installed system found */
	RSC_ERR_BAD_INPUT,      /* a named input is unreadable or corrupt */
	RSC_ERR_AMBIGUOUS,      /* several candidates and no choice given */
};

#ifdef __cplusplus
}
#endif
