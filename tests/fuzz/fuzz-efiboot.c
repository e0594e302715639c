/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* libFuzzer target: the EFI_LOAD_OPTION reader (rescue/lib/efiboot.h) on a
 * Boot#### variable's data. Seeds: tests/fuzz/seeds/fuzz-efiboot (options
 * as efibootmgr and OVMF write them). */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "efiboot.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
	/* A copy of exactly size bytes, so a read past the end is caught. */
	uint8_t *copy = malloc(size ? size : 1);
	if (!copy)
		return 0;
	memcpy(copy, data, size);
	struct efi_boot_entry e;
	if (efi_load_option_parse(copy, size, &e) == 0) {
		if (!e.description || (e.path && strchr(e.path, '\\')))
			abort();
		for (const char *c = e.description; *c; c++)
			if ((unsigned char)*c < 0x20 || (unsigned char)*c >= 0x7f)
				abort();
		efi_boot_entry_done(&e);
	}
	free(copy);
	return 0;
}
