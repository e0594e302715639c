/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* libFuzzer target: LVM2 text metadata (lvm_parse_metadata). The parser
 * takes a length, so the input is copied into a buffer of exactly that
 * size with no NUL after it: a read past the end is an ASan report here,
 * where a terminating NUL would hide it. */
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "lvm.h"
#include "rescue/rescue.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* The PV of the seed metadata (tests/fixtures/files/lvm-metadata-debian.txt),
 * so mutations reach the offset computations. */
static const char pv_uuid[] = "aBcDeF123456789AbCdEfGhIjKlMnOpQ";

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
	char *text = malloc(size ? size : 1);
	if (!text)
		return 0;
	memcpy(text, data, size);
	rsc_context *ctx;
	if (rsc_context_new(&ctx) < 0) {
		free(text);
		return 0;
	}
	struct lvm_pv_info info;
	if (lvm_parse_metadata(text, size, pv_uuid, &info) == 0) {
		if (!info.vg_name)
			abort();
		for (size_t i = 0; i < info.n_lvs; i++)
			if (!info.lvs[i].name ||
			    (info.lvs[i].linear_here && info.lvs[i].offset > UINT64_MAX - info.lvs[i].size))
				abort();
		lvm_pv_info_done(&info);
	}
	rsc_context_free(ctx);
	free(text);
	return 0;
}
