/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* libFuzzer target: one BLS entry (/boot/loader/entries/NAME.conf). */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "boot.h"

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
	struct rsc_boot_entry *e = NULL;
	size_t n = 0;
	int r = bls_entry_parse(ctx, text, "fuzz.conf", &e, &n);
	/* One entry per file, always, even an empty one. */
	if (r == 0 && (n != 1 || !e[0].source))
		abort();
	for (size_t i = 0; i < n; i++) {
		free(e[i].source);
		free(e[i].title);
		free(e[i].kernel);
		free(e[i].initrd);
		free(e[i].options);
	}
	free(e);
	rsc_context_free(ctx);
	free(text);
	return 0;
}
