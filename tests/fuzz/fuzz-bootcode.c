/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* libFuzzer target: the MBR boot code and GRUB core readers
 * (rescue/lib/bootcode.h) on the first sectors of a disk. The seeds are
 * the gzip'd fixtures of tests/fixtures/bootcode: a gzip input is
 * inflated first (as far as it inflates, so mutations of it become
 * damaged disks), anything else is taken as the sectors themselves. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include "bootcode.h"
#include "strv.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define INFLATE_MAX (1u << 20)

static uint8_t *inflate_some(const uint8_t *data, size_t size, size_t *ret_n) {
	uint8_t *out = malloc(INFLATE_MAX);
	if (!out)
		return NULL;
	z_stream z = { .next_in = (Bytef *)data, .avail_in = (uInt)size, .next_out = out, .avail_out = INFLATE_MAX };
	if (inflateInit2(&z, 16 + MAX_WBITS) != Z_OK) {
		free(out);
		return NULL;
	}
	while (z.avail_out > 0 && inflate(&z, Z_NO_FLUSH) == Z_OK)
		;
	*ret_n = INFLATE_MAX - z.avail_out;
	inflateEnd(&z);
	return out;
}

static void check_core(const uint8_t *p, size_t n, uint64_t lba) {
	struct grub_core c;
	if (grub_core_read(p, n, lba, &c) < 0)
		return;
	if (!grub_core_state_to_string(c.state))
		abort();
	/* Only an intact core says what is in it, and then says why not. */
	if (c.state != GRUB_CORE_INTACT && (c.prefix || c.config || c.modules || !c.problem))
		abort();
	if (c.state == GRUB_CORE_INTACT && (c.problem || c.n_modules != strv_length(c.modules)))
		abort();
	if (c.prefix && strlen(c.prefix) > 4096)
		abort();
	/* A core is always the same build and code as itself. */
	if (c.state == GRUB_CORE_INTACT && grub_core_compare(p, n, &c, p, n, &c) != GRUB_CORE_SAME)
		abort();
	grub_core_done(&c);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
	uint8_t *inflated = NULL;
	if (size >= 2 && data[0] == 0x1f && data[1] == 0x8b) {
		size_t n = 0;
		inflated = inflate_some(data, size, &n);
		if (inflated) {
			data = inflated;
			size = n;
		}
	}
	struct mbr_bootcode m;
	/* The first sector as its own reference: always the same code. */
	if (mbr_bootcode_read(data, size, data, size, &m) == 0) {
		if (!mbr_code_to_string(m.code) || (m.code != MBR_CODE_GRUB && m.core_sector))
			abort();
		if (m.code == MBR_CODE_GRUB && m.core_sector < size / BOOTCODE_SECTOR)
			check_core(data + m.core_sector * BOOTCODE_SECTOR, size - m.core_sector * BOOTCODE_SECTOR,
				   m.core_sector);
	}
	if (size > BOOTCODE_SECTOR) {
		check_core(data + BOOTCODE_SECTOR, size - BOOTCODE_SECTOR, 1);
		/* GRUB's correction, with the core as its own reference (as far
		 * as the parity size it claims leaves a file) and with half of
		 * it: never read or written out of bounds; a correction claimed
		 * is within what the parity corrects. */
		size_t n = size - BOOTCODE_SECTOR;
		uint8_t *disk = malloc(n);
		if (disk) {
			for (int k = 0; k < 2; k++) {
				memcpy(disk, data + BOOTCODE_SECTOR, n);
				size_t file_n = n / 2;
				if (k == 0 && n >= 0x214) {
					uint32_t rs = disk[0x210] | (uint32_t)disk[0x211] << 8 | (uint32_t)disk[0x212] << 16 |
						      (uint32_t)disk[0x213] << 24;
					file_n = rs < n ? n - rs : 0;
				}
				uint8_t *file = malloc(file_n + 1);
				if (!file)
					break;
				memcpy(file, data + BOOTCODE_SECTOR, file_n);
				unsigned worst = 0, cap = 0;
				int r = grub_core_correct(disk, n, file, file_n, &worst, &cap);
				if (r < 0 || r > 1 || (r == 1 && (worst == 0 || worst > cap)))
					abort();
				free(file);
			}
			free(disk);
		}
	}
	free(inflated);
	return 0;
}
