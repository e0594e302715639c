/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* libFuzzer target: rsc_envfile_parse (os-release, /etc/default/grub,
 * /etc/selinux/config) and rsc_env_get over what it returns. */
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
	if (rsc_envfile_parse(ctx, text, "/etc/os-release", &env) == 0) {
		STRV_FOREACH(kv, env) {
			const char *eq = strchr(*kv, '=');
			if (!eq || eq == *kv)
				abort();
			char key[256];
			size_t kl = (size_t)(eq - *kv);
			if (kl >= sizeof(key))
				continue;
			memcpy(key, *kv, kl);
			key[kl] = 0;
			/* Every key finds a value (the last assignment's). */
			if (!rsc_env_get(env, key))
				abort();
		}
		(void)rsc_env_get(env, "ID");
		strv_free(env);
	}
	rsc_context_free(ctx);
	free(text);
	return 0;
}
