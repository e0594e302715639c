/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Kernel command lines: split as the kernel splits them, looked up as the
 * kernel and dracut look them up (the last root= counts), and the defaults
 * new boot entries are made from (/etc/default/grub with grub.d,
 * /etc/kernel/cmdline), each parameter with the file and line it came from.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmdline.h"
#include "fileio.h"
#include "genconf.h"
#include "internal.h"
#include "rescue/parse.h"
#include "strv.h"

/* A command line longer than this is not one: the kernel's own limit
 * (COMMAND_LINE_SIZE) is 2048 to 4096 bytes on the usual architectures,
 * and a hostile file must not make us split megabytes word by word. */
#define CMDLINE_MAX_PARAMS 4096

void cmdline_done(struct cmdline *c) {
	for (size_t i = 0; i < c->n; i++) {
		free(c->params[i].key);
		free(c->params[i].value);
		free(c->params[i].file);
	}
	free(c->params);
	*c = (struct cmdline){ 0 };
}

static int param_push(struct cmdline *c, const char *word, size_t len, const char *file, unsigned line) {
	if (c->n >= CMDLINE_MAX_PARAMS)
		return 0;
	if ((c->n & (c->n - 1)) == 0) { /* capacity: the next power of two */
		struct cmdline_param *m = reallocarray(c->params, c->n ? c->n * 2 : 1, sizeof(*m));
		if (!m)
			return -ENOMEM;
		c->params = m;
	}
	/* The kernel takes the parameter's name up to the first '=' and
	 * drops the quotes around a value ("root=\"LABEL=my root\"") or
	 * around the whole word; quotes inside a value stay. */
	const char *w = word, *end = word + len;
	if (w < end && *w == '"') {
		w++;
		if (end > w && end[-1] == '"')
			end--;
	}
	const char *eq = memchr(w, '=', (size_t)(end - w));
	struct cmdline_param *p = &c->params[c->n];
	*p = (struct cmdline_param){ .line = line };
	p->key = strndup(w, (size_t)((eq ? eq : end) - w));
	if (eq) {
		const char *v = eq + 1, *ve = end;
		if (v < ve && *v == '"') {
			v++;
			if (ve > v && ve[-1] == '"')
				ve--;
		}
		p->value = strndup(v, (size_t)(ve - v));
	}
	p->file = strdup(file);
	if (!p->key || (eq && !p->value) || !p->file) {
		free(p->key), free(p->value), free(p->file);
		return -ENOMEM;
	}
	c->n++;
	return 0;
}

int cmdline_add(struct cmdline *c, const char *text, const char *file, unsigned line) {
	const char *p = text;
	for (;;) {
		while (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r')
			p++;
		if (!*p)
			return 0;
		/* Blanks inside double quotes do not end a word (the kernel's
		 * next_arg()); there is no backslash escape. */
		const char *s = p;
		bool quoted = false;
		while (*p && (quoted || !(*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r'))) {
			if (*p == '"')
				quoted = !quoted;
			p++;
		}
		int r = param_push(c, s, (size_t)(p - s), file, line);
		if (r < 0)
			return r;
	}
}

const struct cmdline_param *cmdline_next(const struct cmdline *c, const char *key, const struct cmdline_param *prev) {
	size_t i = prev ? (size_t)(prev - c->params) + 1 : 0;
	for (; i < c->n; i++)
		if (streq(c->params[i].key, key) && c->params[i].value)
			return &c->params[i];
	return NULL;
}

const struct cmdline_param *cmdline_last(const struct cmdline *c, const char *key) {
	const struct cmdline_param *last = NULL;
	for (const struct cmdline_param *p = NULL; (p = cmdline_next(c, key, p));)
		last = p;
	return last;
}

unsigned cmdline_count(const struct cmdline *c, const char *key) {
	unsigned n = 0;
	for (const struct cmdline_param *p = NULL; (p = cmdline_next(c, key, p));)
		n++;
	return n;
}

/* ---- the defaults ---- */

void cmdline_defaults_done(struct cmdline_defaults *d) {
	cmdline_done(&d->grub);
	cmdline_done(&d->kernel);
	*d = (struct cmdline_defaults){ 0 };
}

/* The last assignment of key, which holds the value the shell ends with. */
static const struct rsc_assignment *last_assignment(const struct rsc_assignment *a, size_t n, const char *key) {
	for (size_t i = n; i > 0; i--)
		if (streq(a[i - 1].key, key))
			return &a[i - 1];
	return NULL;
}

static int read_grub_defaults(rsc_context *ctx, int rootfd, struct cmdline_defaults *d) {
	_cleanup_strv_free_ char **files = NULL;
	int r = conf_dir_list(rootfd, "/etc/default/grub.d", ".cfg", &files);
	if (r < 0)
		return r;
	/* grub-mkconfig sources /etc/default/grub first, then each
	 * grub.d/(*).cfg in the order of the glob: a later file overrides,
	 * and may append to, an earlier one's values. */
	_cleanup_strv_free_ char **all = NULL;
	if (strv_extend(&all, "/etc/default/grub") < 0)
		return -ENOMEM;
	STRV_FOREACH(f, files) {
		_cleanup_free_ char *p = path_join("/etc/default/grub.d", *f);
		if (!p || strv_extend(&all, p) < 0)
			return -ENOMEM;
	}
	_cleanup_strv_free_ char **env = NULL;
	struct rsc_assignment *as = NULL;
	size_t n = 0;
	STRV_FOREACH(f, all) {
		_cleanup_free_ char *text = NULL;
		if (read_file_in_root(rootfd, *f, READ_FILE_MAX, &text, NULL) < 0)
			continue;
		d->has_grub = true;
		if ((r = rsc_assignments_parse(ctx, text, *f, &env, &as, &n)) < 0)
			break;
	}
	static const char *const keys[] = { "GRUB_CMDLINE_LINUX", "GRUB_CMDLINE_LINUX_DEFAULT" };
	for (size_t k = 0; r >= 0 && k < ELEMENTSOF(keys); k++) {
		const struct rsc_assignment *a = last_assignment(as, n, keys[k]);
		if (a)
			r = cmdline_add(&d->grub, a->value, a->file, a->line);
	}
	rsc_assignments_free(as, n);
	return r < 0 ? r : 0;
}

static int read_kernel_cmdline(int rootfd, struct cmdline_defaults *d) {
	static const char *const path = "/etc/kernel/cmdline";
	_cleanup_free_ char *text = NULL;
	if (read_file_in_root(rootfd, path, READ_FILE_MAX, &text, NULL) < 0)
		return 0;
	d->has_kernel = true;
	/* Newer kernel-install skips lines starting with '#'; the rest is
	 * joined into one line. */
	unsigned no = 0;
	for (char *p = text; *p;) {
		size_t len = strcspn(p, "\n");
		char save = p[len];
		p[len] = 0;
		no++;
		int r = p[strspn(p, " \t")] == '#' ? 0 : cmdline_add(&d->kernel, p, path, no);
		if (r < 0)
			return r;
		p += len + (save == '\n');
	}
	return 0;
}

int cmdline_defaults_read(rsc_context *ctx, int rootfd, struct cmdline_defaults *ret) {
	struct cmdline_defaults d = { 0 };
	int r = read_grub_defaults(ctx, rootfd, &d);
	if (r >= 0)
		r = read_kernel_cmdline(rootfd, &d);
	if (r < 0) {
		cmdline_defaults_done(&d);
		return r;
	}
	*ret = d;
	return 0;
}
