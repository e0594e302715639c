/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Messages of the libraries we call that log on their own (libdevmapper,
 * libselinux; libcryptsetup is routed in unlock.c): into the context's
 * log callback, never to stderr, which may be a terminal the front-end
 * draws on. Their callbacks carry no user pointer, so the context is
 * remembered here for the call that is about to use them.
 */
#include <libdevmapper.h>
#include <selinux/selinux.h>
#include <stdio.h>
#include <string.h>

#include "internal.h"

static __thread rsc_context *dm_ctx, *selinux_ctx;

static void forward(rsc_context *ctx, const char *from, const char *fmt, va_list ap) {
	if (!ctx)
		return;
	char msg[1024];
	vsnprintf(msg, sizeof(msg), fmt, ap);
	size_t l = strlen(msg);
	while (l && (msg[l - 1] == '\n' || msg[l - 1] == ' '))
		msg[--l] = 0;
	if (l)
		log_debug(ctx, "%s: %s", from, msg);
}

_printf_(5, 6) static void dm_log(int level, const char *file, int line, int dm_errno_or_class, const char *f, ...) {
	va_list ap;
	va_start(ap, f);
	forward(dm_ctx, "libdevmapper", f, ap);
	va_end(ap);
}

_printf_(2, 3) static int selinux_log(int type, const char *fmt, ...) {
	va_list ap;
	va_start(ap, fmt);
	forward(selinux_ctx, "libselinux", fmt, ap);
	va_end(ap);
	return 0;
}

void rsc_route_dm_log(rsc_context *ctx) {
	dm_ctx = ctx;
	dm_log_with_errno_init(dm_log);
}

void rsc_route_selinux_log(rsc_context *ctx) {
	selinux_ctx = ctx;
	selinux_set_callback(SELINUX_CB_LOG, (union selinux_callback){ .func_log = selinux_log });
}
