/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* libFuzzer target: rsc_assignments_parse (dracut.conf and its drop-ins,
 * /etc/default/grub with grub.d, initramfs.conf), the input read as two
 * files chained the way the tools source them: the first half, then the
 * whole, so += and $VAR see what the first one set. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "rescue/parse.h"
#include "strv.h"

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
	char **env = NULL;
	struct rsc_assignment *a = NULL;
	size_t n = 0;
	char *half = strndup(text, size / 2);
	if (half && rsc_assignments_parse(ctx, half, "/etc/dracut.conf", &env, &a, &n) == 0 &&
	    rsc_assignments_parse(ctx, text, "/etc/dracut.conf.d/x.conf", &env, &a, &n) == 0) {
		for (size_t i = 0; i < n; i++) {
			if (!a[i].key[0] || !a[i].file || a[i].line == 0)
				abort();
			/* An append's text ends its value. */
			size_t vl = strlen(a[i].value), tl = strlen(a[i].text);
			if (a[i].append ? tl > vl || strcmp(a[i].value + vl - tl, a[i].text) != 0 :
					  strcmp(a[i].value, a[i].text) != 0)
				abort();
		}
		/* The last assignment of a key is what the environment holds. */
		if (n && !rsc_env_get(env, a[n - 1].key))
			abort();
		if (n && strcmp(rsc_env_get(env, a[n - 1].key), a[n - 1].value) != 0)
			abort();
	}
	free(half);
	rsc_assignments_free(a, n);
	strv_free(env);
	rsc_context_free(ctx);
	free(text);
	return 0;
}
