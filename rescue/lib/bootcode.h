/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * What a PC BIOS starts: the boot code in a disk's MBR and, when that is
 * GRUB's boot.img, the GRUB core image it loads (from the gap after the
 * MBR, or from a BIOS boot partition on GPT). Pure readers of sectors the
 * caller read: they never touch a disk, and every field is bounds-checked
 * because the bytes come from the disk.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define BOOTCODE_SECTOR 512u

enum mbr_code {
	MBR_CODE_ZERO,          /* the code area is all zeros: nothing to start */
	MBR_CODE_GRUB,          /* GRUB 2's boot.img */
	MBR_CODE_OTHER,         /* another loader's code (or garbage) */
};
const char *mbr_code_to_string(enum mbr_code c);

struct mbr_bootcode {
	enum mbr_code code;
	bool signature;         /* 55 aa ends the sector: the BIOS will run it */
	/* GRUB: a reference boot.img was given and its code bytes are the
	 * same (the BPB, the fields grub-bios-setup fills in, the disk
	 * signature and the partition table are not compared). */
	bool reference_checked, reference_match;
	uint64_t core_sector;   /* GRUB: the LBA boot.img loads the core from */
	uint8_t boot_drive;     /* GRUB: 0xff = the drive the BIOS booted from */
	const char *other;      /* MBR_CODE_OTHER: a loader recognised, or NULL */
};

/* Reads the first sector of a disk (size >= 512). reference, when not
 * NULL, is a boot.img to compare the code with (the target's own, from
 * /usr/lib/grub/i386-pc). Returns 0, or -ENODATA when size < 512. */
int mbr_bootcode_read(const uint8_t *sector, size_t size, const uint8_t *reference, size_t reference_size,
		      struct mbr_bootcode *ret);

enum grub_core_state {
	GRUB_CORE_ABSENT,       /* the sector holds no start of a GRUB core */
	GRUB_CORE_DAMAGED,      /* it starts like one, but the rest does not hold together */
	GRUB_CORE_INTACT,       /* decompressed, and its module list is whole */
	GRUB_CORE_INCOMPLETE,   /* the bytes given end before the core does: unknown */
};
const char *grub_core_state_to_string(enum grub_core_state s);

struct grub_core {
	enum grub_core_state state;
	const char *problem;    /* why DAMAGED or INCOMPLETE, in words (static) */
	uint64_t list_start;    /* diskboot's block list: the LBA of the rest */
	uint16_t list_sectors;  /* and how many sectors it loads */
	uint32_t compressed_size, uncompressed_size;
	uint32_t redundancy;    /* Reed-Solomon bytes grub-bios-setup appended */
	uint32_t decompressor_size;
	/* The decompressed GRUB kernel (without its modules): its size and
	 * CRC-32 tell two cores' GRUB builds apart (the kernel carries no
	 * version string). */
	uint32_t kernel_size, kernel_crc32;
	char *prefix;           /* where it loads normal.mod and grub.cfg from, or NULL */
	char *config;           /* an embedded early config, or NULL */
	char **modules;         /* names of the modules built in (strv), or NULL */
	size_t n_modules;
};

/* Reads a core image starting at buf (size bytes), which sits at sector
 * lba of its disk (for the block list: the rest must follow it). Works
 * on the core in a gap or BIOS boot partition (with the Reed-Solomon
 * redundancy grub-bios-setup adds) and on a core.img file as
 * grub-install leaves it in /boot/grub/i386-pc. Returns 0 with the
 * verdict in ret->state, or -ENOMEM. grub_core_done() frees the fields. */
int grub_core_read(const uint8_t *buf, size_t size, uint64_t lba, struct grub_core *ret);
void grub_core_done(struct grub_core *c);
