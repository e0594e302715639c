/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* libFuzzer target: rsc_fstab_parse over arbitrary text. Entries that come
 * back must be complete, whatever the input. */
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
	struct rsc_fstab_entry *e = NULL;
	size_t n = 0;
	if (rsc_fstab_parse(ctx, text, "/etc/fstab", &e, &n) == 0) {
		for (size_t i = 0; i < n; i++)
			if (!e[i].spec || !e[i].target || !e[i].fstype || !e[i].options || e[i].passno < 0 ||
			    e[i].passno > 9 || e[i].line == 0 || (i > 0 && e[i].line <= e[i - 1].line))
				abort();
		rsc_fstab_free(e, n);
	}
	rsc_context_free(ctx);
	free(text);
	return 0;
}
