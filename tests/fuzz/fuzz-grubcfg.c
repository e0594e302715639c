/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* libFuzzer target: a grub.cfg classified (ESP stub or full config) and
 * its menu entries read. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "boot.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void entries_free(struct rsc_boot_entry *e, size_t n) {
	for (size_t i = 0; i < n; i++) {
		free(e[i].source);
		free(e[i].title);
		free(e[i].kernel);
		free(e[i].initrd);
		free(e[i].options);
	}
	free(e);
}

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
	char *uuid = NULL;
	const char *kind = grub_cfg_classify(text, &uuid);
	if (!kind || (strcmp(kind, "stub") != 0 && strcmp(kind, "full") != 0) ||
	    (uuid && strcmp(kind, "stub") != 0))
		abort();
	free(uuid);

	struct rsc_boot_entry *e = NULL;
	size_t n = 0;
	if (grub_cfg_entries(ctx, text, "/boot/grub/grub.cfg", &e, &n) == 0)
		for (size_t i = 0; i < n; i++)
			if (!e[i].source || (e[i].kernel && !e[i].options))
				abort();
	entries_free(e, n);
	rsc_context_free(ctx);
	free(text);
	return 0;
}
