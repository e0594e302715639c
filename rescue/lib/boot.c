/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Reading (never executing) boot loader configuration. grub.cfg is a script;
 * we take only what a person reads in it: menuentry titles with their
 * linux/initrd lines, and for ESP stubs the UUID they search for.
 */
#include <ctype.h>
#include <malloc.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "boot.h"
#include "internal.h"
#include "strv.h"
#include "utf8.h"

/* Splits a grub/shell-ish line into words, honouring single and double
 * quotes and backslashes. Linear in the line's length: a hostile
 * grub.cfg may hold one line of millions of words. */
static int split_words(const char *line, char ***ret) {
	_cleanup_strv_free_ char **words = NULL;
	size_t n = 0, cap = 0;
	/* Every word fits in a buffer as long as the line. */
	_cleanup_free_ char *w = malloc(strlen(line) + 1);
	if (!w)
		return -ENOMEM;
	const char *p = line;
	for (;;) {
		while (*p == ' ' || *p == '\t')
			p++;
		if (!*p || *p == '#')
			break;
		size_t len = 0;
		char quote = 0;
		while (*p && (quote || (*p != ' ' && *p != '\t'))) {
			if (quote == '\'' ) {
				if (*p == '\'')
					quote = 0;
				else
					w[len++] = *p;
			} else if (*p == '\\' && p[1]) {
				p++;
				w[len++] = *p;
			} else if (*p == '"')
				quote = quote ? 0 : '"';
			else if (*p == '\'' && !quote)
				quote = '\'';
			else
				w[len++] = *p;
			p++;
		}
		if (n + 2 > cap) {
			size_t ncap = cap ? cap * 2 : 8;
			char **m = realloc(words, ncap * sizeof(char *));
			if (!m)
				return -ENOMEM;
			words = m;
			cap = ncap;
		}
		if (!(words[n] = strndup(w, len)))
			return -ENOMEM;
		words[++n] = NULL;
	}
	if (!words && !(words = calloc(1, sizeof(char *))))
		return -ENOMEM;
	*ret = TAKE_PTR(words);
	return 0;
}


/* The main image of an initrd line's words: the last path, after any
 * early microcode images, skipping variables such as RHEL's
 * $tuned_initrd (usually empty). NULL when there is none. */
static const char *initrd_main(char *const *words) {
	const char *found = NULL;
	for (; *words; words++)
		if ((*words)[0] && (*words)[0] != '$')
			found = *words;
	return found;
}

/* Appends a zeroed entry. The array belongs to the caller (no capacity is
 * passed), so the allocation's own size tells whether it has room; it
 * grows by doubling, since a grub.cfg of 100000 entries growing one by
 * one would copy gigabytes where realloc cannot grow in place. */
static struct rsc_boot_entry *entry_new(struct rsc_boot_entry **entries, size_t *n) {
	struct rsc_boot_entry *m = *entries;
	if (!m || malloc_usable_size(m) < (*n + 1) * sizeof(*m)) {
		size_t want = *n < 8 ? 8 : *n * 2;
		m = realloc(*entries, want * sizeof(*m));
		if (!m)
			return NULL;
		*entries = m;
	}
	m[*n] = (struct rsc_boot_entry){ 0 };
	return &m[(*n)++];
}

const char *grub_cfg_classify(const char *text, char **ret_uuid) {
	bool menu = false, configfile = false;
	char *uuid = NULL;
	const char *p = text;
	while (*p) {
		size_t n = strcspn(p, "\n");
		_cleanup_free_ char *line = strndup(p, n);
		p += n + (p[n] == '\n');
		if (!line)
			break;
		_cleanup_strv_free_ char **w = NULL;
		if (split_words(line, &w) < 0 || !w[0])
			continue;
		if (streq(w[0], "menuentry") || streq(w[0], "submenu") || streq(w[0], "blscfg"))
			menu = true;
		else if (streq(w[0], "configfile"))
			configfile = true;
		else if (streq(w[0], "search") || streq(w[0], "search.fs_uuid")) {
			/* search [--no-floppy] --fs-uuid [--set=root] UUID, or
			 * search.fs_uuid UUID root */
			bool fs_uuid = streq(w[0], "search.fs_uuid");
			for (char **i = w + 1; *i; i++) {
				if (streq(*i, "--fs-uuid") || streq(*i, "-u"))
					fs_uuid = true;
				else if ((*i)[0] != '-' && fs_uuid && !uuid && !strchr(*i, '=')) {
					uuid = strdup(*i);
					break;
				}
			}
		}
	}
	if (menu || !configfile) {
		free(uuid);
		*ret_uuid = NULL;
		return "full";
	}
	*ret_uuid = uuid;
	return "stub";
}

int grub_cfg_entries(rsc_context *ctx, const char *text, const char *filename,
		     struct rsc_boot_entry **entries, size_t *n) {
	/* Depth of braces, and the depth at which the current entry opened. */
	int depth = 0, entry_depth = -1;
	struct rsc_boot_entry *cur = NULL;
	unsigned lineno = 0, binary_lines = 0, first_binary = 0;
	const char *p = text;
	while (*p) {
		size_t len = strcspn(p, "\n");
		_cleanup_free_ char *line = strndup(p, len);
		p += len + (p[len] == '\n');
		lineno++;
		if (!line)
			return -ENOMEM;
		if (!utf8_text_valid(line, "\t\r")) {
			if (binary_lines++ == 0)
				first_binary = lineno;
			continue;
		}
		_cleanup_strv_free_ char **w = NULL;
		if (split_words(line, &w) < 0)
			return -ENOMEM;
		if (!w[0])
			continue;
		if (streq(w[0], "menuentry")) {
			if (!(cur = entry_new(entries, n)))
				return -ENOMEM;
			entry_depth = depth;
			if ((cur->source = strdup(filename)) == NULL || (w[1] && !(cur->title = strdup(w[1]))))
				return -ENOMEM;
		} else if (cur && (streq(w[0], "linux") || streq(w[0], "linuxefi") || streq(w[0], "linux16"))) {
			if (w[1]) {
				free(cur->kernel);
				free(cur->options);
				cur->kernel = strdup(w[1]);
				cur->options = strv_join(w + 2, " ");
				cur->options_line = lineno;
				if (!cur->kernel || !cur->options)
					return -ENOMEM;
			}
		} else if (cur && (streq(w[0], "initrd") || streq(w[0], "initrdefi") || streq(w[0], "initrd16"))) {
			/* The first image after any early microcode ones is what
			 * matters to us; keep the last named. */
			const char *img = initrd_main(w + 1);
			if (img) {
				free(cur->initrd);
				if (!(cur->initrd = strdup(img)))
					return -ENOMEM;
			}
		}
		/* Count braces outside quotes, after splitting: "{" and "}"
		 * appear as their own words or at word ends. */
		for (char **i = w; *i; i++) {
			size_t l = strlen(*i);
			if (l && (*i)[l - 1] == '{')
				depth++;
			else if (streq(*i, "}")) {
				depth--;
				if (cur && depth <= entry_depth) {
					cur = NULL;
					entry_depth = -1;
				}
			}
		}
		if (depth < 0) {
			log_debug(ctx, "%s:%u: unbalanced '}'", filename, lineno);
			depth = 0;
		}
	}
	if (binary_lines)
		log_warning(ctx, "%s: %u line(s) with control characters or invalid UTF-8 skipped (first: line %u): "
			    "the file is damaged; menu entries may be missing", filename, binary_lines, first_binary);
	if (depth > 0)
		log_warning(ctx, "%s: ends inside a %s block: the file looks truncated", filename,
			    cur ? "menuentry" : "{ }");
	return 0;
}

int bls_entry_parse(rsc_context *ctx, const char *text, const char *filename,
		    struct rsc_boot_entry **entries, size_t *n) {
	struct rsc_boot_entry *e = entry_new(entries, n);
	if (!e || !(e->source = strdup(filename)))
		return -ENOMEM;
	unsigned lineno = 0, binary_lines = 0;
	const char *p = text;
	while (*p) {
		size_t len = strcspn(p, "\n");
		_cleanup_free_ char *line = strndup(p, len);
		p += len + (p[len] == '\n');
		lineno++;
		if (!line)
			return -ENOMEM;
		if (!utf8_text_valid(line, "\t\r")) {
			binary_lines++;
			continue;
		}
		char *s = line + strspn(line, " \t");
		if (!*s || *s == '#')
			continue;
		size_t kl = strcspn(s, " \t");
		char *v = s + kl;
		if (*v)
			*v++ = 0;
		v += strspn(v, " \t");
		size_t vl = strlen(v);
		while (vl && isspace((unsigned char)v[vl - 1]))
			v[--vl] = 0;
		char **field = streq(s, "title") ? &e->title : streq(s, "linux") ? &e->kernel :
			       streq(s, "options") ? &e->options : streq(s, "initrd") ? &e->initrd : NULL;
		if (!field)
			continue;
		if (field == &e->initrd) {
			/* Several initrd lines, or several images on one (with
			 * variables like $tuned_initrd): the last path is the
			 * main image. */
			_cleanup_strv_free_ char **w = NULL;
			if (split_words(v, &w) < 0)
				return -ENOMEM;
			const char *img = initrd_main(w);
			if (!img)
				continue;
			v = (char *)img;
			free(*field);
			if (!(*field = strdup(v)))
				return -ENOMEM;
			continue;
		}
		free(*field);
		if (!(*field = strdup(v)))
			return -ENOMEM;
		if (field == &e->options)
			e->options_line = lineno;
	}
	if (binary_lines)
		log_warning(ctx, "BLS entry %s: %u line(s) with control characters or invalid UTF-8 skipped: the file is damaged",
			    filename, binary_lines);
	if (*text && text[strlen(text) - 1] != '\n')
		log_warning(ctx, "BLS entry %s does not end with a newline: it may be truncated", filename);
	if (!e->kernel)
		log_warning(ctx, "BLS entry %s has no 'linux' line", filename);
	return 0;
}
