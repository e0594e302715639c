/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Private header of librescue: the context and logging helpers. */
#pragma once

#include <errno.h>
#include <stdarg.h>

#include "macro.h"
#include "rescue/rescue.h"

struct rsc_context {
	rsc_log_fn log_fn;
	void *log_userdata;
	int log_level;
	unsigned n_warnings;
	unsigned n_errors;
	char *profile_dir;
	char *state_dir;
	bool (*cancel_fn)(void *userdata);
	void *cancel_userdata;
	rsc_progress_fn progress_fn;
	void *progress_userdata;
	rsc_ask_fn ask_fn;
	void *ask_userdata;
	int phase;              /* of the session running, -1 outside one */
	unsigned step, n_steps; /* the step of the phase last announced */
	double fraction;
	char *step_what;
	double phase_started;   /* monotonic seconds */
};

void rsc_logv(rsc_context *ctx, int level, int error, const char *fmt, va_list ap);
/* Logs and returns -abs(error), so callers can "return log_...". An error
 * of 0 logs without "%m" meaning anything and returns 0. */
_printf_(4, 5) int rsc_log_full(rsc_context *ctx, int level, int error, const char *fmt, ...);

#define log_debug(ctx, ...) rsc_log_full(ctx, RSC_LOG_DEBUG, 0, __VA_ARGS__)
#define log_info(ctx, ...) rsc_log_full(ctx, RSC_LOG_INFO, 0, __VA_ARGS__)
#define log_notice(ctx, ...) rsc_log_full(ctx, RSC_LOG_NOTICE, 0, __VA_ARGS__)
#define log_warning(ctx, ...) rsc_log_full(ctx, RSC_LOG_WARNING, 0, __VA_ARGS__)
#define log_error(ctx, ...) rsc_log_full(ctx, RSC_LOG_ERR, 0, __VA_ARGS__)
#define log_debug_errno(ctx, e, ...) rsc_log_full(ctx, RSC_LOG_DEBUG, e, __VA_ARGS__)
#define log_warning_errno(ctx, e, ...) rsc_log_full(ctx, RSC_LOG_WARNING, e, __VA_ARGS__)
#define log_error_errno(ctx, e, ...) rsc_log_full(ctx, RSC_LOG_ERR, e, __VA_ARGS__)

/* Reports progress of the current phase (what, step i of n, fraction or
 * -1) through the context's callback; elapsed time is filled in here. */
void rsc_progress_report(rsc_context *ctx, unsigned step, unsigned n_steps, double fraction, const char *what,
			 const char *line);
double rsc_now(void);
/* A new phase: no step announced yet. */
void rsc_progress_reset(rsc_context *ctx);

/* mount.c, for the session's activate and mount phases, one step each. */
struct rsc_scan;
int mount_check_target(rsc_context *ctx, const char *target);
int mount_choose_system(rsc_context *ctx, const struct rsc_scan *scan, const char *id);
int mount_assemble_md(rsc_context *ctx, const struct rsc_scan *scan);
int mount_activate_vgs(rsc_context *ctx, const struct rsc_scan *scan, bool rw);
int mount_system_scanned(rsc_context *ctx, struct rsc_scan *scan, int si, const char *target, bool read_write);
/* Between two steps of a phase: -ECANCELED when a cancel was asked for.
 * Waits RESCUE_DEBUG_STEP_DELAY_MS first when that is set (and says so,
 * naming where, at info level), so that tests can interrupt a given step
 * deterministically. */
int rsc_step_pause(rsc_context *ctx, const char *where);
/* The same with the delay from another variable. */
int rsc_debug_pause(rsc_context *ctx, const char *env, const char *where);

/* libdevmapper's and libselinux's own messages into ctx's log (debug
 * level) instead of stderr: call before using them (foreign-log.c). */
void rsc_route_dm_log(rsc_context *ctx);
void rsc_route_selinux_log(rsc_context *ctx);

/* A command run by the library (run.c). */
struct rsc_run_options {
	const char *const *argv;  /* run with execvp, unless child_fn is set */
	/* Runs in the child instead (after the process group, stdio and
	 * signals are set up); returns only on failure. */
	int (*child_fn)(void *userdata);
	void *userdata;
	const char *name;         /* prefix of its lines in the log; default argv[0] */
	const char *what;         /* what the progress callback is told; default name */
	int line_level;           /* log level of each output line; 0: RSC_LOG_DEBUG */
	int out_fd;               /* its output is also copied here when > 0 */
	char **ret_output;        /* its whole output (not on cancel) */
	double grace;             /* seconds from SIGTERM to SIGKILL on cancel; 0: 5 */
	bool no_cancel;           /* teardown: runs to its end even after a cancel */
};
/* Runs a command in a process group of its own, stdin /dev/null, its
 * stdout and stderr read line by line into the log and progress callbacks.
 * Returns its exit status (0..255; 127 when it could not be started),
 * 128 + the signal that killed it, -ECANCELED when the context's cancel
 * callback fired (the whole group was stopped and reaped first), or a
 * negative errno when it could not be run at all. */
int rsc_run(rsc_context *ctx, const struct rsc_run_options *o);
