/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The initramfs generator's effective configuration, read from the target
 * in the order the generator sources its files, every setting with the
 * file and line that set it.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>

#include "rescue/parse.h"
#include "rescue/rescue.h"

struct genconf {
	char *generator;                  /* "dracut", "initramfs-tools", "mkinitcpio" */
	char **files;                     /* read, in the order sourced */
	char **env;                       /* the variables after the last file */
	struct rsc_assignment *assignments;
	size_t n_assignments;
};

/* Reads the configuration of generator (as identify names it) from the
 * target at rootfd. 0 (also when there is no configuration at all),
 * -EOPNOTSUPP for a generator not known here, -ENOMEM. */
int genconf_read(rsc_context *ctx, int rootfd, const char *generator, struct genconf *ret);
void genconf_done(struct genconf *c);

/* The value of a setting after every file, and the assignment that last
 * changed it (NULL when no file sets it). */
const char *genconf_get(const struct genconf *c, const char *key, const struct rsc_assignment **ret_by);

/* Would dracut leave out its module `module`? 1 with *ret_by naming the
 * line that excludes it (an omit_dracutmodules word, or a dracutmodules=
 * list without it), 0 when the configuration does not exclude it. */
int genconf_dracut_excludes(const struct genconf *c, const char *module, const struct rsc_assignment **ret_by);

/* The compressor a setting names ("zstd -19 -T0", "/usr/bin/xz",
 * "pigz"), as enum rsc_compression, or -1 when not known. */
int genconf_compression(const char *setting);
/* The name of the setting holding the compressor of this generator
 * ("compress", "COMPRESS", "COMPRESSION"), NULL if none. */
const char *genconf_compression_key(const struct genconf *c);

/* The names of the regular files (and symlinks) in dir inside the root
 * ending in suffix, sorted byte-wise as the shell's glob orders them in
 * the C locale. An absent directory gives an empty list. */
int conf_dir_list(int rootfd, const char *dir, const char *suffix, char ***ret);
