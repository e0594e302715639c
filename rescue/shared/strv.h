/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* NULL-terminated string vectors. */
#pragma once

#include <stdbool.h>
#include <stddef.h>

#include "macro.h"

void strv_free(char **l);
static inline void strv_freep(char ***l) {
	strv_free(*l);
}
#define _cleanup_strv_free_ _cleanup_(strv_freep)

size_t strv_length(char *const *l);
/* Appends a copy of s; returns 0 or -ENOMEM (the vector is unchanged then). */
int strv_extend(char ***l, const char *s);
/* Appends s itself, taking ownership on success. */
int strv_push(char ***l, char *s);
bool strv_contains(char *const *l, const char *s);
/* Splits on any of the separator bytes, dropping empty fields. */
int strv_split(const char *s, const char *separators, char ***ret);
char *strv_join(char *const *l, const char *sep);
/* Sorts in place: by strcmp(), or by strverscmp() (version order). */
void strv_sort(char **l);
void strv_sort_versions(char **l);

#define STRV_FOREACH(s, l) for (char *const *s = (l); s && *s; s++)
