/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The sectors bootcode.c reads, taken from a disk: opened read-only, and
 * read only where the BIOS itself would read. */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <unistd.h>

#include "bootcode.h"
#include "macro.h"

/* More than any BIOS core: real-mode code loads it below 640 KiB. */
#define CORE_READ_MAX (1u << 20)

static ssize_t read_at(int fd, uint8_t *buf, size_t n, uint64_t at) {
	size_t got = 0;
	while (got < n) {
		ssize_t k = pread(fd, buf + got, n - got, (off_t)(at + got));
		if (k < 0 && errno == EINTR)
			continue;
		if (k < 0)
			return negative_errno();
		if (k == 0)
			break;   /* the end of the disk: what is there is all there is */
		got += (size_t)k;
	}
	return (ssize_t)got;
}

int bios_disk_read(const char *file, uint64_t offset, const struct bios_reference *ref,
		   struct mbr_bootcode *ret_mbr, struct grub_core *ret_core, bool *ret_other_build) {
	_cleanup_close_ int fd = open(file, O_RDONLY | O_CLOEXEC | O_NOCTTY);
	if (fd < 0)
		return negative_errno();
	uint8_t mbr[BOOTCODE_SECTOR];
	ssize_t n = read_at(fd, mbr, sizeof(mbr), offset);
	if (n < 0)
		return (int)n;
	struct mbr_bootcode m;
	int r = mbr_bootcode_read(mbr, (size_t)n, ref ? ref->boot_img : NULL, ref ? ref->boot_img_size : 0, &m);
	if (r < 0)
		return r;
	struct grub_core c = { .state = GRUB_CORE_ABSENT };
	bool other_build = false;
	if (m.code == MBR_CODE_GRUB) {
		uint64_t at = m.core_sector <= (UINT64_MAX - offset) / BOOTCODE_SECTOR - 1 ?
				      offset + m.core_sector * BOOTCODE_SECTOR : UINT64_MAX;
		_cleanup_free_ uint8_t *core = malloc(CORE_READ_MAX);
		if (!core)
			return -ENOMEM;
		n = at <= (uint64_t)INT64_MAX - CORE_READ_MAX ? read_at(fd, core, CORE_READ_MAX, at) : 0;
		if (n < 0)
			return (int)n;
		r = grub_core_read(core, (size_t)n, m.core_sector, &c);
		if (r < 0)
			return r;
		/* Damaged only where GRUB corrects it at each start: read it as
		 * GRUB does after that correction, and say how close it came. */
		unsigned worst = 0, capacity = 0;
		if (c.state == GRUB_CORE_DAMAGED && ref && ref->core_img &&
		    grub_core_correct(core, (size_t)n, ref->core_img, ref->core_img_size, &worst, &capacity) > 0) {
			grub_core_done(&c);
			r = grub_core_read(core, (size_t)n, m.core_sector, &c);
			if (r < 0)
				return r;
			c.rs_worst = worst;
			c.rs_capacity = capacity;
		}
		/* grub-mkimage's block list starts at sector 2: read the file as
		 * if it sat at sector 1. */
		struct grub_core installed = {};
		if (c.state == GRUB_CORE_INTACT && ref && ref->core_img &&
		    (r = grub_core_read(ref->core_img, ref->core_img_size, 1, &installed)) >= 0 &&
		    installed.state == GRUB_CORE_INTACT) {
			enum grub_core_match match = grub_core_compare(core, (size_t)n, &c, ref->core_img,
								       ref->core_img_size, &installed);
			other_build = match == GRUB_CORE_OTHER_BUILD;
			if (match == GRUB_CORE_CODE_DIFFERS) {
				grub_core_done(&c);
				c.state = GRUB_CORE_DAMAGED;
				c.problem = "its loader code differs from the same GRUB build's core.img in /boot";
			}
		}
		grub_core_done(&installed);
		if (r == -ENOMEM) {
			grub_core_done(&c);
			return r;
		}
	}
	*ret_mbr = m;
	*ret_core = c;
	*ret_other_build = other_build;
	return 0;
}
