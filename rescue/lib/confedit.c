/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Line edits for the configuration repairs (confedit.h): each keeps the
 * rest of the line as it was, byte for byte, so that the change a person
 * reviews in the plan is the whole change.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "confedit.h"
#include "macro.h"
#include "strv.h"

int text_line(const char *text, unsigned n, char **ret) {
	const char *p = text;
	for (unsigned i = 1; i < n; i++) {
		p = strchr(p, '\n');
		if (!p)
			return -ENOENT;
		p++;
	}
	if (n == 0 || (!*p && n > 1 && p[-1] == '\n'))
		return -ENOENT;
	char *l = strndup(p, strcspn(p, "\n"));
	if (!l)
		return -ENOMEM;
	*ret = l;
	return 0;
}

int text_replace_line(const char *text, unsigned n, const char *line, char **ret) {
	const char *p = text;
	for (unsigned i = 1; n && i < n; i++) {
		p = strchr(p, '\n');
		if (!p)
			return -ENOENT;
		p++;
	}
	if (n == 0)
		return -ENOENT;
	const char *end = p + strcspn(p, "\n");
	size_t head = (size_t)(p - text), ll = strlen(line), tail = strlen(end);
	char *out = malloc(head + ll + tail + 1);
	if (!out)
		return -ENOMEM;
	memcpy(out, text, head);
	memcpy(out + head, line, ll);
	memcpy(out + head + ll, end, tail + 1);
	*ret = out;
	return 0;
}

static bool blank(char c) {
	return c == ' ' || c == '\t';
}

/* Where the quoted value of "key=" / "key+=" is on the line: [*vs, *ve)
 * between the quotes. Only forms whose meaning is plain from the line
 * alone: no continuation, no command substitution, no escapes, nothing
 * but a comment after the closing quote. */
static int find_value(const char *line, const char *key, size_t *vs, size_t *ve) {
	const char *p = line;
	while (blank(*p))
		p++;
	const char *k = startswith(p, "export ");
	if (k) {
		p = k;
		while (blank(*p))
			p++;
	}
	size_t kl = strlen(key);
	if (strncmp(p, key, kl) != 0)
		return -EINVAL;
	p += kl;
	if (p[0] == '+' && p[1] == '=')
		p += 2;
	else if (p[0] == '=')
		p++;
	else
		return -EINVAL;
	char q = *p;
	if (q != '"' && q != '\'')
		return -EINVAL;
	const char *s = ++p;
	const char *e = strchr(s, q);
	if (!e)
		return -EINVAL; /* the value goes on over the next line */
	for (const char *c = s; c < e; c++)
		if (*c == '\\' || *c == '`' || (q == '"' && c[0] == '$' && c[1] == '('))
			return -EINVAL;
	for (const char *c = e + 1; *c && *c != '#'; c++)
		if (!blank(*c) && *c != '\r')
			return -EINVAL;
	*vs = (size_t)(s - line);
	*ve = (size_t)(e - line);
	return 0;
}

int assignment_remove_words(const char *line, const char *key, char *const *words, char **ret, int *ret_empty) {
	size_t vs, ve;
	int r = find_value(line, key, &vs, &ve);
	if (r < 0)
		return r;
	size_t len = strlen(line);
	char *out = malloc(len + 1);
	if (!out)
		return -ENOMEM;
	memcpy(out, line, vs);
	size_t o = vs;
	bool changed = false, any = false;
	for (size_t i = vs; i < ve;) {
		if (blank(line[i])) {
			out[o++] = line[i++];
			continue;
		}
		size_t n = 0;
		while (i + n < ve && !blank(line[i + n]))
			n++;
		bool drop = false;
		for (char *const *w = words; w && *w && !drop; w++)
			drop = strlen(*w) == n && strncmp(line + i, *w, n) == 0;
		if (!drop) {
			memcpy(out + o, line + i, n);
			o += n;
			any = true;
			i += n;
			continue;
		}
		changed = true;
		i += n;
		/* The word goes with one blank beside it: the one after it, or
		 * (at the end of the list) the one before it. */
		if (i < ve && blank(line[i]))
			i++;
		else if (o > vs && blank(out[o - 1]))
			o--;
	}
	memcpy(out + o, line + ve, len - ve + 1);
	if (!changed) {
		free(out);
		return 0;
	}
	if (ret_empty)
		*ret_empty = !any;
	*ret = out;
	return 1;
}

int assignment_add_words(const char *line, const char *key, char *const *words, char **ret) {
	size_t vs, ve;
	int r = find_value(line, key, &vs, &ve);
	if (r < 0)
		return r;
	char *buf = NULL;
	size_t blen = 0;
	FILE *f = open_memstream(&buf, &blen);
	if (!f)
		return -ENOMEM;
	fwrite(line, 1, ve, f);
	bool changed = false, trailing = ve > vs && blank(line[ve - 1]);
	for (char *const *w = words; w && *w; w++) {
		bool there = false;
		size_t wl = strlen(*w);
		for (size_t i = vs; i < ve && !there;) {
			while (i < ve && blank(line[i]))
				i++;
			size_t n = 0;
			while (i + n < ve && !blank(line[i + n]))
				n++;
			there = n == wl && strncmp(line + i, *w, n) == 0;
			i += n;
		}
		if (there)
			continue;
		/* Keep the list's own padding: " a b " stays padded. */
		if (trailing)
			fprintf(f, "%s ", *w);
		else
			fprintf(f, "%s%s", ve > vs || changed ? " " : "", *w);
		changed = true;
	}
	fputs(line + ve, f);
	if (fclose(f) != 0) {
		free(buf);
		return -ENOMEM;
	}
	if (!changed) {
		free(buf);
		return 0;
	}
	*ret = buf;
	return 1;
}

static bool param_edge(char c) {
	return c == 0 || blank(c) || c == '"' || c == '\'';
}

int cmdline_line_set_param(const char *line, const char *name, const char *value, const char *replacement,
			   char **ret) {
	_cleanup_free_ char *word = NULL;
	if (asprintf(&word, "%s=%s", name, value) < 0)
		return -ENOMEM;
	size_t wl = strlen(word);
	char *buf = NULL;
	size_t blen = 0;
	FILE *f = open_memstream(&buf, &blen);
	if (!f)
		return -ENOMEM;
	bool changed = false;
	const char *p = line;
	for (const char *hit = strstr(p, word); hit; hit = strstr(p, word)) {
		bool whole = (hit == line || param_edge(hit[-1])) && param_edge(hit[wl]);
		if (!whole) {
			fwrite(p, 1, (size_t)(hit - p) + 1, f);
			p = hit + 1;
			continue;
		}
		changed = true;
		if (replacement) {
			fwrite(p, 1, (size_t)(hit - p), f);
			fprintf(f, "%s=%s", name, replacement);
			p = hit + wl;
			continue;
		}
		/* Taken out with the blank before it, or after it when it is
		 * the first word. */
		const char *cut = hit;
		if (cut > p && blank(cut[-1]))
			cut--;
		fwrite(p, 1, (size_t)(cut - p), f);
		p = hit + wl;
		if (cut == hit && blank(*p))
			p++;
	}
	fputs(p, f);
	if (fclose(f) != 0) {
		free(buf);
		return -ENOMEM;
	}
	if (!changed) {
		free(buf);
		return 0;
	}
	*ret = buf;
	return 1;
}
