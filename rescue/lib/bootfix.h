/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Reinstalling GRUB for BIOS: which disk to write, and which of its bytes
 * to save first. Pure functions of what diagnose read, so that the choice
 * can be tested on made-up machines.
 */
#pragma once

#include <stddef.h>
#include <stdint.h>

#include "rescue/diagnose.h"
#include "rescue/repair.h"

enum bios_choice {
	BIOS_CHOICE_NONE,       /* no finding calls for a reinstall */
	BIOS_CHOICE_DISK,       /* one disk, named in *ret_index */
	BIOS_CHOICE_HUMAN,      /* a reinstall is called for, but not safely chosen */
};

/* Chooses the disk of disks[] to reinstall GRUB's boot code and core on,
 * from the findings about them. core_size is the size of the system's
 * core.img (0 unknown): the place GRUB embeds it in must hold it.
 * *ret_why says, in words, why this disk (DISK) or what a person must
 * check (HUMAN); NULL for NONE. Returns the choice, or -ENOMEM. */
int bios_choose_disk(const struct rsc_bios_disk *disks, size_t n, const struct rsc_finding *findings,
		     size_t n_findings, uint64_t core_size, size_t *ret_index, char **ret_why);

/* What grub-install (grub-bios-setup) may write on the disk, saved before
 * it runs: on an MBR disk sector 0 and the gap up to the first partition
 * (at most 1 MiB: a BIOS core is far smaller); on GPT sector 0 (its
 * protective MBR takes the boot code) and the BIOS boot partition.
 * Returns the number of ranges (1 or 2), or -EINVAL for a disk GRUB
 * cannot be embedded on. */
int bios_disk_ranges(const struct rsc_bios_disk *d, struct rsc_disk_range ret[2]);

/* A "disk" line of a repair journal's manifest, after the word "disk ":
 * "FILE DISK_OFFSET FILE_SIZE OFFSET LENGTH TABLE NAME" (the numbers read
 * from the right, since FILE may hold blanks; TABLE is the CRC-32 of the
 * disk signature and partition table, bytes 440-511 of the disk, when the
 * range was saved; NAME is the saved copy's file in the journal). The line
 * is cut up in place; the fields point into it. Returns 0, or -EBADMSG for
 * a damaged line. */
struct journal_disk_line {
	const char *file, *name;
	uint64_t disk_offset, file_size, offset, length;
	uint32_t table_crc;
};
int journal_disk_line_parse(char *line, struct journal_disk_line *ret);
