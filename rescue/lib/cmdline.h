/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The kernel command line as the kernel and dracut read it, from wherever
 * it is written down: a grub.cfg linux line, a BLS entry's options, the
 * defaults grub-mkconfig and kernel-install build new entries from.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>

#include "rescue/rescue.h"

struct cmdline_param {
	char *key;
	char *value;    /* NULL for a word without '=' ("ro", "quiet") */
	char *file;     /* where it is written */
	unsigned line;  /* 0 when not known */
};

struct cmdline {
	struct cmdline_param *params;
	size_t n;
};

/* Appends the parameters of text, split as the kernel splits its command
 * line, each marked with file and line. 0 or -ENOMEM. */
int cmdline_add(struct cmdline *c, const char *text, const char *file, unsigned line);
void cmdline_done(struct cmdline *c);
/* The value that counts for a parameter given once (root=, resume=): the
 * last one, as both the kernel and dracut take the last. NULL if absent. */
const struct cmdline_param *cmdline_last(const struct cmdline *c, const char *key);
/* Parameters that add up (rd.luks.uuid=, rd.lvm.lv=): the next one after
 * prev (NULL: the first), or NULL. */
const struct cmdline_param *cmdline_next(const struct cmdline *c, const char *key, const struct cmdline_param *prev);
unsigned cmdline_count(const struct cmdline *c, const char *key);

/* What new boot entries get, before any entry exists. */
struct cmdline_defaults {
	/* grub-mkconfig writes "root=<the device> ro" and then
	 * GRUB_CMDLINE_LINUX and GRUB_CMDLINE_LINUX_DEFAULT, in that order,
	 * from /etc/default/grub and then /etc/default/grub.d/(*).cfg. */
	bool has_grub;
	struct cmdline grub;
	/* kernel-install's (and dracut's UKI) whole command line. */
	bool has_kernel;
	struct cmdline kernel;
};

/* Reads them from the target (rootfd: its root directory). Files that
 * are absent are not an error; 0 or -ENOMEM. */
int cmdline_defaults_read(rsc_context *ctx, int rootfd, struct cmdline_defaults *ret);
void cmdline_defaults_done(struct cmdline_defaults *d);
