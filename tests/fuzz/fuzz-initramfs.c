/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* libFuzzer target: the initramfs reader over arbitrary bytes, reading
 * every member's contents, with small limits so bombs end quickly. */
#include <stddef.h>
#include <stdint.h>
#include <sys/stat.h>

#include "rescue/initramfs.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int visit(rsc_initramfs *img, const struct rsc_initramfs_entry *e, void *userdata) {
	uint8_t buf[4096];
	if (S_ISREG(e->mode))
		while (rsc_initramfs_read_data(img, buf, sizeof(buf)) > 0)
			;
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
	static rsc_context *ctx;
	if (!ctx && rsc_context_new(&ctx) < 0)
		return 0;
	rsc_initramfs *img;
	if (rsc_initramfs_open_memory(ctx, data, size, "fuzz", &img) < 0)
		return 0;
	rsc_initramfs_set_limits(img, 64u << 20, 200);
	(void)rsc_initramfs_walk(img, visit, NULL, NULL);
	/* A second walk must start afresh. */
	(void)rsc_initramfs_walk(img, NULL, NULL, NULL);
	rsc_initramfs_free(img);
	return 0;
}
