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

/* Long operations poll this between steps; when it returns true they undo
 * what they did so far and return -ECANCELED. Front-ends set it from their
 * SIGINT/SIGTERM handlers. */
void rsc_context_set_cancel(rsc_context *ctx, bool (*fn)(void *userdata), void *userdata);
bool rsc_context_cancelled(rsc_context *ctx);

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
