/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "strv.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

void strv_free(char **l) {
	if (!l)
		return;
	for (char **s = l; *s; s++)
		free(*s);
	free(l);
}

size_t strv_length(char *const *l) {
	size_t n = 0;
	while (l && l[n])
		n++;
	return n;
}

int strv_push(char ***l, char *s) {
	size_t n = strv_length(*l);
	char **m = realloc(*l, (n + 2) * sizeof(char *));
	if (!m)
		return -ENOMEM;
	m[n] = s;
	m[n + 1] = NULL;
	*l = m;
	return 0;
}

int strv_extend(char ***l, const char *s) {
	char *c = strdup(s);
	if (!c)
		return -ENOMEM;
	int r = strv_push(l, c);
	if (r < 0)
		free(c);
	return r;
}

bool strv_contains(char *const *l, const char *s) {
	STRV_FOREACH(i, l)
		if (streq(*i, s))
			return true;
	return false;
}

int strv_split(const char *s, const char *separators, char ***ret) {
	_cleanup_strv_free_ char **l = calloc(1, sizeof(char *));
	if (!l)
		return -ENOMEM;
	while (*s) {
		s += strspn(s, separators);
		size_t n = strcspn(s, separators);
		if (n == 0)
			break;
		char *w = strndup(s, n);
		if (!w || strv_push(&l, w) < 0) {
			free(w);
			return -ENOMEM;
		}
		s += n;
	}
	*ret = TAKE_PTR(l);
	return 0;
}

char *strv_join(char *const *l, const char *sep) {
	size_t len = 1, seplen = strlen(sep);
	STRV_FOREACH(s, l)
		len += strlen(*s) + seplen;
	char *r = malloc(len), *p = r;
	if (!r)
		return NULL;
	*p = 0;
	STRV_FOREACH(s, l) {
		if (s != l)
			p = stpcpy(p, sep);
		p = stpcpy(p, *s);
	}
	return r;
}

/* qsort() hands the comparator pointers to the elements, i.e. char **. */
static int cmp_str(const void *a, const void *b) {
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static int cmp_version(const void *a, const void *b) {
	return strverscmp(*(char *const *)a, *(char *const *)b);
}

void strv_sort(char **l) {
	size_t n = strv_length(l);
	if (n > 1)
		qsort(l, n, sizeof(char *), cmp_str);
}

void strv_sort_versions(char **l) {
	size_t n = strv_length(l);
	if (n > 1)
		qsort(l, n, sizeof(char *), cmp_version);
}
