/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Parsers of configuration files found on a target system. Each takes the
 * file's text (already read through the in-root helpers) and the name to
 * show in messages; unparseable lines are reported through the context's
 * log with file name and line number and skipped, so one bad line never
 * hides the rest. All return 0 or a negative errno (-ENOMEM only: bad
 * content is not an error of the call).
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>

#include "rescue/rescue.h"

struct rsc_fstab_entry {
	char *spec;     /* UUID=..., LABEL=..., PARTUUID=..., /dev/... */
	char *target;   /* mount point, "none" for swap */
	char *fstype;
	char *options;
	int passno;
	unsigned line;
};

struct rsc_crypttab_entry {
	char *name;     /* the mapping name: /dev/mapper/<name> */
	char *device;   /* UUID=..., /dev/..., PARTUUID=... */
	char *keyfile;  /* NULL for "none" or "-" */
	char *options;  /* NULL when absent */
	unsigned line;
};

/* KEY=VALUE files with shell quoting: os-release, /etc/default/grub,
 * /etc/selinux/config. Returns a NULL-terminated vector of "KEY=value"
 * strings with quotes and escapes removed; later assignments win. */
int rsc_envfile_parse(rsc_context *ctx, const char *text, const char *filename, char ***ret);
/* The value of KEY in such a vector, or NULL. */
const char *rsc_env_get(char *const *env, const char *key);

/* One assignment of a shell configuration file that is sourced rather
 * than read (dracut.conf, /etc/default/grub and its grub.d, initramfs.conf):
 * where it is and what it does, for evidence that names file and line. */
struct rsc_assignment {
	char *key;
	char *value;    /* the variable's value after this line (KEY+= appended) */
	char *text;     /* what this line itself assigns or appends */
	bool append;    /* KEY+=value */
	char *file;
	unsigned line;
};

/* Reads one such file as the shell would run it, without running
 * anything: *env (a KEY=value vector as rsc_envfile_parse makes, or NULL)
 * holds the variables set by the files sourced before and is updated, so
 * files are chained in the order the tool sources them; each assignment
 * is appended to *assignments (an array grown here, *n_assignments long). */
int rsc_assignments_parse(rsc_context *ctx, const char *text, const char *filename, char ***env,
			  struct rsc_assignment **assignments, size_t *n_assignments);
void rsc_assignments_free(struct rsc_assignment *a, size_t n);

int rsc_fstab_parse(rsc_context *ctx, const char *text, const char *filename,
		    struct rsc_fstab_entry **ret, size_t *ret_n);
void rsc_fstab_free(struct rsc_fstab_entry *entries, size_t n);

int rsc_crypttab_parse(rsc_context *ctx, const char *text, const char *filename,
		       struct rsc_crypttab_entry **ret, size_t *ret_n);
void rsc_crypttab_free(struct rsc_crypttab_entry *entries, size_t n);
