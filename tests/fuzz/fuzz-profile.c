/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* libFuzzer target: a distribution profile (profiles/NAME.conf). Profiles
 * ship with the program, but --profiles takes a directory from anywhere. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "profile.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char *const keys[] = {
	"description", "ids", "generator", "initramfs", "rebuild_dracut", "rebuild_initramfs_tools",
	"rebuild_mkinitcpio", "grub_mkconfig", "grub_cfg_bios", "grub_cfg_efi", "esp_stub", "bls",
	"relabel", "kernel_package", "",
};

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
	struct profile *p = NULL;
	if (profile_parse(ctx, "fuzz", text, &p) == 0) {
		for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++)
			(void)profile_get(p, keys[i]);
		profile_free(p);
	}
	rsc_context_free(ctx);
	free(text);
	return 0;
}
