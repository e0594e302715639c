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
	/* Set by bios_disk_read when the core on the disk is damaged only
	 * where GRUB's Reed-Solomon parity corrects it at each start: the
	 * most wrong bytes in one code word, and how many it corrects. The
	 * core is then read as GRUB reads it after that correction. */
	unsigned rs_worst, rs_capacity;
};

/* Reads a core image starting at buf (size bytes), which sits at sector
 * lba of its disk (for the block list: the rest must follow it). Works
 * on the core in a gap or BIOS boot partition (with the Reed-Solomon
 * redundancy grub-bios-setup adds) and on a core.img file as
 * grub-install leaves it in /boot/grub/i386-pc. Returns 0 with the
 * verdict in ret->state, or -ENOMEM. grub_core_done() frees the fields. */
int grub_core_read(const uint8_t *buf, size_t size, uint64_t lba, struct grub_core *ret);
void grub_core_done(struct grub_core *c);

/* Whether GRUB corrects, at each start, the damage to the core on a disk
 * (disk, as read from its first sector: the core, then the parity
 * grub-bios-setup appends) given the core.img it was made from (file, of
 * the same build). grub-bios-setup computes Reed-Solomon parity over the
 * core from the end of its loader code on (the header's no-RS length
 * after the first sector) and GRUB repairs that part before it
 * decompresses it; the code words run down the 512-byte rows (byte k of
 * each row), and each corrects up to half as many wrong bytes as it has
 * parity rows. The loader code itself is not covered. Returns 1 and puts
 * the file's bytes into the covered part of disk (what GRUB reads after
 * its correction) when every wrong byte is in the covered part and no
 * code word has more than it corrects; 0 when not, or when it cannot be
 * told (no parity, sizes that do not match file, damage reaching the
 * parity, which cannot be compared). *ret_worst and *ret_capacity say
 * the most wrong bytes in one code word and how many it corrects. */
int grub_core_correct(uint8_t *disk, size_t disk_size, const uint8_t *file, size_t file_size, unsigned *ret_worst,
		      unsigned *ret_capacity);

enum grub_core_match {
	GRUB_CORE_SAME,         /* the same GRUB build and the same loader code */
	GRUB_CORE_OTHER_BUILD,  /* another GRUB build (kernel or decompressor differ) */
	GRUB_CORE_CODE_DIFFERS, /* the same build, but diskboot's or the decompressor's
				 * code differs: one of them is damaged */
};
/* Compares two intact cores read by grub_core_read() (a disk's and the
 * core.img grub-install left in /boot), leaving out what is not code:
 * the block list and the decompressor header's sizes and boot device,
 * which grub-mkimage and grub-bios-setup fill in. */
enum grub_core_match grub_core_compare(const uint8_t *a, size_t a_size, const struct grub_core *ca, const uint8_t *b,
				       size_t b_size, const struct grub_core *cb);

/* The installed GRUB a disk is compared with: its boot.img and the
 * core.img grub-install made (either may be NULL). */
struct bios_reference {
	const uint8_t *boot_img;
	size_t boot_img_size;
	const uint8_t *core_img;
	size_t core_img_size;
};

/* Reads, read-only, the MBR of the disk in file (starting at offset:
 * 0 for a block device or a disk image) and the core its GRUB boot code
 * points at. When the MBR is not GRUB's, ret_core->state is ABSENT with
 * no problem set. An intact core of the same build as ref's core.img
 * whose loader code differs is DAMAGED; *ret_other_build says that the
 * core is another GRUB build than ref's core.img (and so than the
 * modules beside it). Returns 0, or a negative errno when the disk
 * cannot be read: then nothing is known about it. */
int bios_disk_read(const char *file, uint64_t offset, const struct bios_reference *ref,
		   struct mbr_bootcode *ret_mbr, struct grub_core *ret_core, bool *ret_other_build);
