/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Distribution profiles: one NAME.conf file per family. */
#pragma once

#include <stddef.h>

#include "internal.h"

struct profile {
	char *name;     /* file name without .conf */
	char **keys;    /* "key=value" */
};

void profile_free(struct profile *p);
static inline void profile_freep(struct profile **p) {
	profile_free(*p);
}
void profile_list_free(struct profile **list, size_t n);
const char *profile_get(const struct profile *p, const char *key);
int profile_parse(rsc_context *ctx, const char *name, const char *text, struct profile **ret);
/* The profiles in force: the context's directory, else the built-in copies. */
int profile_load_all(rsc_context *ctx, struct profile ***ret, size_t *ret_n);
