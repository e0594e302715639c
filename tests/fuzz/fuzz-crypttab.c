/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* libFuzzer target: rsc_crypttab_parse over arbitrary text. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "rescue/parse.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
	char *text = malloc(size + 1);
	if (!text)
		return 0;
	memcpy(text, data, size);
	text[size] = 0;
	rsc_context *ctx;
	if (rsc_context_new(&ctx) < 0) {
		free(text);
		return 0;
	}
	struct rsc_crypttab_entry *e = NULL;
	size_t n = 0;
	if (rsc_crypttab_parse(ctx, text, "/etc/crypttab", &e, &n) == 0) {
		for (size_t i = 0; i < n; i++) {
			/* A name with '/' would make /dev/mapper/<name> a path. */
			if (!e[i].name || !e[i].device || strchr(e[i].name, '/') || e[i].line == 0)
				abort();
			if (e[i].keyfile && (strcmp(e[i].keyfile, "none") == 0 || strcmp(e[i].keyfile, "-") == 0))
				abort();
		}
		rsc_crypttab_free(e, n);
	}
	rsc_context_free(ctx);
	free(text);
	return 0;
}
