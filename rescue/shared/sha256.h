/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

#include <stddef.h>
#include <stdint.h>

/* SHA-256 (FIPS 180-4), for the checksums of the files a repair changes:
 * no crypto library is linked for this one use. */
struct sha256 {
	uint32_t h[8];
	uint64_t length;        /* bytes hashed so far */
	uint8_t block[64];
	size_t used;            /* bytes in block */
};

void sha256_init(struct sha256 *s);
void sha256_update(struct sha256 *s, const void *data, size_t size);
void sha256_final(struct sha256 *s, uint8_t digest[32]);
/* Reads fd to its end; hex holds 64 digits and a NUL. Negative errno. */
int sha256_fd_hex(int fd, char hex[65]);
