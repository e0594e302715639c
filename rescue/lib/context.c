/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The library context: logging and settings shared by every call. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "internal.h"

int rsc_context_new(rsc_context **ret) {
	rsc_context *ctx = calloc(1, sizeof(*ctx));
	if (!ctx)
		return -ENOMEM;
	ctx->log_level = RSC_LOG_INFO;
	ctx->phase = -1;
	*ret = ctx;
	return 0;
}

rsc_context *rsc_context_free(rsc_context *ctx) {
	if (!ctx)
		return NULL;
	free(ctx->profile_dir);
	free(ctx->state_dir);
	free(ctx->step_what);
	free(ctx);
	return NULL;
}

void rsc_context_set_log(rsc_context *ctx, rsc_log_fn fn, void *userdata) {
	ctx->log_fn = fn;
	ctx->log_userdata = userdata;
}

void rsc_context_set_log_level(rsc_context *ctx, int level) {
	ctx->log_level = level;
}

int rsc_context_get_log_level(const rsc_context *ctx) {
	return ctx->log_level;
}

unsigned rsc_context_get_warnings(const rsc_context *ctx) {
	return ctx->n_warnings;
}

unsigned rsc_context_get_errors(const rsc_context *ctx) {
	return ctx->n_errors;
}

int rsc_context_set_profile_dir(rsc_context *ctx, const char *dir) {
	char *d = NULL;
	if (dir && !(d = strdup(dir)))
		return -ENOMEM;
	free(ctx->profile_dir);
	ctx->profile_dir = d;
	return 0;
}

const char *rsc_strerror(int error) {
	int e = error < 0 ? -error : error;
	switch (e) {
	case RSC_ERR_NOT_ROOT:
		return "Operation needs root privileges";
	case RSC_ERR_NO_SYSTEM:
		return "No installed Linux system found";
	case RSC_ERR_BAD_INPUT:
		return "Input is unreadable or corrupt";
	case RSC_ERR_AMBIGUOUS:
		return "Several candidates match and none was chosen";
	default:
		return strerror(e);
	}
}

void rsc_logv(rsc_context *ctx, int level, int error, const char *fmt, va_list ap) {
	if (level <= RSC_LOG_ERR)
		ctx->n_errors++;
	else if (level == RSC_LOG_WARNING)
		ctx->n_warnings++;
	if (level > ctx->log_level || !ctx->log_fn)
		return;

	/* Expand %m ourselves from the error passed in, not from errno,
	 * which an intervening call may have changed. */
	char fmtbuf[1024], msg[2048];
	const char *es = rsc_strerror(error ? error : EIO);
	size_t o = 0;
	for (const char *p = fmt; *p && o + 1 < sizeof(fmtbuf); p++) {
		if (p[0] == '%' && p[1] == 'm') {
			for (const char *q = es; *q && o + 2 < sizeof(fmtbuf); q++) {
				if (*q == '%')
					fmtbuf[o++] = '%';
				fmtbuf[o++] = *q;
			}
			p++;
		} else if (p[0] == '%' && p[1] == '%') {
			fmtbuf[o++] = '%';
			if (o + 1 < sizeof(fmtbuf))
				fmtbuf[o++] = '%';
			p++;
		} else
			fmtbuf[o++] = *p;
	}
	fmtbuf[o] = 0;
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wformat-nonliteral"
	vsnprintf(msg, sizeof(msg), fmtbuf, ap);
#pragma GCC diagnostic pop
	ctx->log_fn(ctx->log_userdata, level, msg);
}

int rsc_log_full(rsc_context *ctx, int level, int error, const char *fmt, ...) {
	va_list ap;
	va_start(ap, fmt);
	rsc_logv(ctx, level, error, fmt, ap);
	va_end(ap);
	return error > 0 ? -error : error;
}

void rsc_context_set_cancel(rsc_context *ctx, bool (*fn)(void *userdata), void *userdata) {
	ctx->cancel_fn = fn;
	ctx->cancel_userdata = userdata;
}

bool rsc_context_cancelled(rsc_context *ctx) {
	return ctx->cancel_fn && ctx->cancel_fn(ctx->cancel_userdata);
}

int rsc_context_set_state_dir(rsc_context *ctx, const char *dir) {
	char *d = NULL;
	if (dir && !(d = strdup(dir)))
		return -ENOMEM;
	free(ctx->state_dir);
	ctx->state_dir = d;
	return 0;
}

void rsc_context_set_progress(rsc_context *ctx, rsc_progress_fn fn, void *userdata) {
	ctx->progress_fn = fn;
	ctx->progress_userdata = userdata;
}

void rsc_context_set_ask(rsc_context *ctx, rsc_ask_fn fn, void *userdata) {
	ctx->ask_fn = fn;
	ctx->ask_userdata = userdata;
}

int rsc_ask(rsc_context *ctx, struct rsc_question *q) {
	if (!ctx->ask_fn)
		return -ENOKEY;
	return ctx->ask_fn(ctx->ask_userdata, q);
}

double rsc_now(void) {
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

void rsc_progress_report(rsc_context *ctx, unsigned step, unsigned n_steps, double fraction, const char *what,
			 const char *line) {
	/* A step once announced stays the current one: the output lines and
	 * ticks of the command it runs carry it, and the step's title. */
	if (n_steps) {
		ctx->step = step;
		ctx->n_steps = n_steps;
		ctx->fraction = fraction;
		free(ctx->step_what);
		ctx->step_what = what ? strdup(what) : NULL;
	} else if (ctx->n_steps && ctx->step) {
		step = ctx->step;
		n_steps = ctx->n_steps;
		fraction = ctx->fraction;
		if (ctx->step_what)
			what = ctx->step_what;
	}
	if (!ctx->progress_fn)
		return;
	struct rsc_progress p = {
		.phase = ctx->phase,
		.step = step,
		.n_steps = n_steps,
		.fraction = fraction,
		.elapsed = ctx->phase_started > 0 ? rsc_now() - ctx->phase_started : 0,
		.what = what,
		.line = line,
	};
	ctx->progress_fn(ctx->progress_userdata, &p);
}

int rsc_debug_pause(rsc_context *ctx, const char *env, const char *where) {
	/* Tests slow the steps down to interrupt one deterministically. */
	const char *delay = secure_getenv(env);
	if (delay && !rsc_context_cancelled(ctx)) {
		log_info(ctx, "Step delay: %s", where);
		double until = rsc_now() + (double)strtoul(delay, NULL, 10) / 1000.0;
		while (rsc_now() < until && !rsc_context_cancelled(ctx))
			usleep(50 * 1000);
	}
	return rsc_context_cancelled(ctx) ? -ECANCELED : 0;
}

int rsc_step_pause(rsc_context *ctx, const char *where) {
	return rsc_debug_pause(ctx, "RESCUE_DEBUG_STEP_DELAY_MS", where);
}

void rsc_progress_reset(rsc_context *ctx) {
	ctx->step = ctx->n_steps = 0;
	ctx->fraction = -1;
	free(ctx->step_what);
	ctx->step_what = NULL;
}
