/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * What the initramfs generator of a target will do, read from its own
 * configuration the way the generator sources it (never by running it):
 * dracut, initramfs-tools and mkinitcpio.
 */
#include <dirent.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>

#include "fileio.h"
#include "genconf.h"
#include "internal.h"
#include "rescue/initramfs.h"
#include "strv.h"

/* More drop-ins than any real system has: a hostile directory of
 * millions of files must not keep the diagnosis busy. */
#define CONF_DIR_MAX 1024

int conf_dir_list(int rootfd, const char *dir, const char *suffix, char ***ret) {
	_cleanup_strv_free_ char **names = NULL;
	int fd = open_in_root(rootfd, dir, O_RDONLY | O_DIRECTORY);
	DIR *d = fd >= 0 ? fdopendir(fd) : NULL;
	if (fd >= 0 && !d)
		close(fd);
	size_t sl = strlen(suffix);
	struct dirent *de;
	unsigned n = 0;
	while (d && (de = readdir(d)) && n < CONF_DIR_MAX) {
		size_t l = strlen(de->d_name);
		if (de->d_name[0] == '.' || l <= sl || !streq(de->d_name + l - sl, suffix))
			continue;
		if (de->d_type != DT_REG && de->d_type != DT_LNK && de->d_type != DT_UNKNOWN)
			continue;
		if (strv_extend(&names, de->d_name) < 0) {
			closedir(d);
			return -ENOMEM;
		}
		n++;
	}
	if (d)
		closedir(d);
	/* strv_sort compares with strcmp: the C locale's glob order. */
	strv_sort(names);
	if (!names && !(names = calloc(1, sizeof(char *))))
		return -ENOMEM;
	*ret = TAKE_PTR(names);
	return 0;
}

/* initramfs-tools sources only conf.d names of letters, digits, '.', '_'
 * and '-' that start with a letter or digit and are not dpkg leftovers. */
static bool initramfs_tools_name(const char *name) {
	if (!((name[0] >= 'a' && name[0] <= 'z') || (name[0] >= 'A' && name[0] <= 'Z') ||
	      (name[0] >= '0' && name[0] <= '9')))
		return false;
	for (const char *p = name; *p; p++)
		if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') ||
		      *p == '.' || *p == '_' || *p == '-'))
			return false;
	return !strstr(name, ".dpkg-");
}

/* Drop-ins of two directories merged by name, as dracut and
 * initramfs-tools do: sorted by file name, and a file in the local
 * directory replaces the vendor's file of the same name. */
static int merge_dropins(int rootfd, const char *vendor, const char *local, const char *suffix,
			 bool (*accept)(const char *name), char ***paths) {
	_cleanup_strv_free_ char **v = NULL, **l = NULL, **names = NULL;
	int r;
	if ((r = conf_dir_list(rootfd, vendor, suffix, &v)) < 0 || (r = conf_dir_list(rootfd, local, suffix, &l)) < 0)
		return r;
	STRV_FOREACH(n, v)
		if (!strv_contains(names, *n) && strv_extend(&names, *n) < 0)
			return -ENOMEM;
	STRV_FOREACH(n, l)
		if (!strv_contains(names, *n) && strv_extend(&names, *n) < 0)
			return -ENOMEM;
	strv_sort(names);
	STRV_FOREACH(n, names) {
		if (accept && !accept(*n))
			continue;
		_cleanup_free_ char *p = path_join(strv_contains(l, *n) ? local : vendor, *n);
		if (!p || strv_extend(paths, p) < 0)
			return -ENOMEM;
	}
	return 0;
}

void genconf_done(struct genconf *c) {
	free(c->generator);
	strv_free(c->files);
	strv_free(c->env);
	rsc_assignments_free(c->assignments, c->n_assignments);
	*c = (struct genconf){ 0 };
}

int genconf_read(rsc_context *ctx, int rootfd, const char *generator, struct genconf *ret) {
	_cleanup_strv_free_ char **paths = NULL;
	int r;
	if (streq_ptr(generator, "dracut")) {
		/* dracut.sh: the main file, then the drop-ins of both
		 * directories together. */
		if (strv_extend(&paths, "/etc/dracut.conf") < 0)
			return -ENOMEM;
		r = merge_dropins(rootfd, "/usr/lib/dracut/dracut.conf.d", "/etc/dracut.conf.d", ".conf", NULL, &paths);
	} else if (streq_ptr(generator, "initramfs-tools")) {
		if (strv_extend(&paths, "/etc/initramfs-tools/initramfs.conf") < 0)
			return -ENOMEM;
		r = merge_dropins(rootfd, "/usr/share/initramfs-tools/conf.d", "/etc/initramfs-tools/conf.d", "",
				  initramfs_tools_name, &paths);
	} else if (streq_ptr(generator, "mkinitcpio")) {
		/* Its arrays (MODULES=(...), HOOKS=(...)) are not read here:
		 * only plain settings such as COMPRESSION. */
		if (strv_extend(&paths, "/etc/mkinitcpio.conf") < 0)
			return -ENOMEM;
		_cleanup_strv_free_ char **dropins = NULL;
		r = conf_dir_list(rootfd, "/etc/mkinitcpio.conf.d", ".conf", &dropins);
		STRV_FOREACH(n, dropins) {
			_cleanup_free_ char *p = path_join("/etc/mkinitcpio.conf.d", *n);
			if (!p || strv_extend(&paths, p) < 0)
				return -ENOMEM;
		}
	} else
		return -EOPNOTSUPP;
	if (r < 0)
		return r;

	struct genconf c = { 0 };
	if (!(c.generator = strdup(generator)))
		return -ENOMEM;
	STRV_FOREACH(p, paths) {
		_cleanup_free_ char *text = NULL;
		if (read_file_in_root(rootfd, *p, READ_FILE_MAX, &text, NULL) < 0)
			continue;
		if ((r = strv_extend(&c.files, *p)) < 0 ||
		    (r = rsc_assignments_parse(ctx, text, *p, &c.env, &c.assignments, &c.n_assignments)) < 0) {
			genconf_done(&c);
			return r;
		}
	}
	*ret = c;
	return 0;
}

const char *genconf_get(const struct genconf *c, const char *key, const struct rsc_assignment **ret_by) {
	const struct rsc_assignment *by = NULL;
	for (size_t i = c->n_assignments; !by && i > 0; i--)
		if (streq(c->assignments[i - 1].key, key))
			by = &c->assignments[i - 1];
	if (ret_by)
		*ret_by = by;
	return by ? by->value : NULL;
}

/* dracut tests membership with " $list " == *\ $mod\ *: words are
 * separated by spaces only (a tab does not separate them for it). */
static bool has_word(const char *list, const char *word) {
	size_t wl = strlen(word);
	for (const char *p = list; p && *p;) {
		p += strspn(p, " ");
		size_t n = strcspn(p, " ");
		if (n == wl && strncmp(p, word, wl) == 0)
			return true;
		p += n;
	}
	return false;
}

int genconf_dracut_excludes(const struct genconf *c, const char *module, const struct rsc_assignment **ret_by) {
	if (!streq_ptr(c->generator, "dracut"))
		return 0;
	/* An omitted module is never included, not even when added (on the
	 * command line too: dracut checks the omit list first). The line
	 * to name is the last one that put the word in the list. */
	const struct rsc_assignment *by = NULL;
	const char *omit = genconf_get(c, "omit_dracutmodules", &by);
	if (omit && has_word(omit, module)) {
		for (size_t i = c->n_assignments; i > 0; i--) {
			const struct rsc_assignment *a = &c->assignments[i - 1];
			if (streq(a->key, "omit_dracutmodules") && has_word(a->text, module)) {
				by = a;
				break;
			}
		}
		*ret_by = by;
		return 1;
	}
	/* dracutmodules= replaces the default ("all": every module whose
	 * check says yes) with a fixed list; add_dracutmodules still adds.
	 * A module other listed modules depend on is pulled in anyway: those
	 * dependencies are known here only for the storage modules. */
	static const struct {
		const char *module;
		const char *pulled_in_by[6];
	} deps[] = {
		{ "dm", { "crypt", "lvm", "mdraid", "dmraid", "multipath", "systemd-cryptsetup" } },
		{ "crypt", { "systemd-cryptsetup" } },
	};
	const char *list = genconf_get(c, "dracutmodules", &by);
	if (!list || !*list || list[strspn(list, " ")] == 0 || has_word(list, "all") || has_word(list, "auto"))
		return 0;
	if (has_word(list, module) || has_word(genconf_get(c, "add_dracutmodules", NULL), module) ||
	    has_word(genconf_get(c, "force_add_dracutmodules", NULL), module))
		return 0;
	for (size_t i = 0; i < ELEMENTSOF(deps); i++)
		if (streq(deps[i].module, module))
			for (size_t k = 0; k < ELEMENTSOF(deps[i].pulled_in_by) && deps[i].pulled_in_by[k]; k++)
				if (has_word(list, deps[i].pulled_in_by[k]) ||
				    has_word(genconf_get(c, "add_dracutmodules", NULL), deps[i].pulled_in_by[k]))
					return 0;
	*ret_by = by;
	return 1;
}

int genconf_compression(const char *setting) {
	static const struct {
		const char *name;
		enum rsc_compression c;
	} names[] = {
		{ "gzip", RSC_COMPRESSION_GZIP },   { "pigz", RSC_COMPRESSION_GZIP },
		{ "bzip2", RSC_COMPRESSION_BZIP2 }, { "lbzip2", RSC_COMPRESSION_BZIP2 },
		{ "pbzip2", RSC_COMPRESSION_BZIP2 }, { "lzma", RSC_COMPRESSION_LZMA },
		{ "xz", RSC_COMPRESSION_XZ },       { "pixz", RSC_COMPRESSION_XZ },
		{ "lzop", RSC_COMPRESSION_LZO },    { "lzo", RSC_COMPRESSION_LZO },
		{ "lz4", RSC_COMPRESSION_LZ4 },     { "zstd", RSC_COMPRESSION_ZSTD },
		{ "pzstd", RSC_COMPRESSION_ZSTD },  { "cat", RSC_COMPRESSION_NONE },
		{ "none", RSC_COMPRESSION_NONE },
	};
	if (!setting)
		return -1;
	/* The program is the first word, maybe a path, maybe with options. */
	const char *p = setting + strspn(setting, " \t");
	size_t n = strcspn(p, " \t");
	const char *base = p;
	for (const char *q = p; q < p + n; q++)
		if (*q == '/')
			base = q + 1;
	n -= (size_t)(base - p);
	for (size_t i = 0; i < ELEMENTSOF(names); i++)
		if (strlen(names[i].name) == n && strncmp(base, names[i].name, n) == 0)
			return (int)names[i].c;
	return -1;
}

const char *genconf_compression_key(const struct genconf *c) {
	return streq_ptr(c->generator, "dracut") ? "compress" : streq_ptr(c->generator, "initramfs-tools") ? "COMPRESS" :
	       streq_ptr(c->generator, "mkinitcpio") ? "COMPRESSION" : NULL;
}
