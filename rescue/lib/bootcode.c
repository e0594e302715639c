/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Reading the BIOS boot path from raw sectors: the MBR's boot code and
 * GRUB's core image. The layouts below are GRUB 2's for i386-pc, checked
 * against the images of grub-pc-bin 2.06 and what grub-bios-setup writes:
 *
 *   MBR (boot.img)     0x00 short jump over the BPB (eb 63), BPB up to
 *                      0x5a, the core's LBA (u64) at 0x5c, boot drive at
 *                      0x64, a drive check at 0x66 (grub-bios-setup turns
 *                      it into two NOPs), disk signature at 0x1b8,
 *                      partition table 0x1be-0x1fd, 55 aa at 0x1fe.
 *   core, sector 0     diskboot.img: ends with a block list whose first
 *                      entry (at 0x1f4) is start LBA (u64), sector count
 *                      (u16), load segment (u16, 0x820).
 *   core, from 0x200   lzma_decompress.img: compressed size (u32) at
 *                      0x08, uncompressed size at 0x0c, Reed-Solomon
 *                      redundancy at 0x10, the length of the part not
 *                      covered by it (u16) at 0x14, the boot device at
 *                      0x18-0x1b; then raw LZMA1 data
 *                      (lc 3, lp 0, pb 2, no header, no end marker); then
 *                      the redundancy, so that the core fills exactly the
 *                      sectors the block list loads.
 *   decompressed       the GRUB kernel, then the module list: magic
 *                      "mimg", offset of the first object, size of the
 *                      whole list; objects are type (u32), size (u32,
 *                      header included), data: 0 a module (ELF, its name
 *                      in section .modname), 2 an early config, 3 the
 *                      prefix.
 * All integers are little-endian.
 */
#include <errno.h>
#include <lzma.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include "bootcode.h"
#include "macro.h"
#include "strv.h"

#define MBR_BPB_START 0x03
#define MBR_BPB_END 0x5a
#define MBR_CORE_SECTOR 0x5c
#define MBR_BOOT_DRIVE 0x64
#define MBR_DRIVE_CHECK 0x66
#define MBR_CODE_END 0x1b8        /* the disk signature and partition table follow */
#define MBR_SIGNATURE 0x1fe

#define DISKBOOT_LIST 0x1f4       /* the block list's first (last-placed) entry */
#define DISKBOOT_LIST_ENTRY 12
#define DISKBOOT_SEGMENT 0x820    /* where diskboot loads the rest of the core */

#define DECOMP_COMPRESSED 0x08
#define DECOMP_UNCOMPRESSED 0x0c
#define DECOMP_REDUNDANCY 0x10
#define DECOMP_NO_RS_LENGTH 0x14
#define DECOMP_BOOT_DEVICE 0x18   /* partition and drive: may be set at install */
#define DECOMP_HEADER_END 0x1c

#define MODULE_MAGIC 0x676d696du  /* "mimg" */
#define OBJ_MODULE 0
#define OBJ_CONFIG 2
#define OBJ_PREFIX 3

/* A core is loaded below 640 KiB by real-mode code and decompressed in
 * one piece: anything claiming more is not one (and must not make us
 * allocate much on behalf of a hostile disk). */
#define CORE_COMPRESSED_MAX (1u << 20)
#define CORE_UNCOMPRESSED_MAX (4u << 20)
#define TEXT_MAX 4096

static uint16_t le16(const uint8_t *p) {
	return (uint16_t)(p[0] | p[1] << 8);
}
static uint32_t le32(const uint8_t *p) {
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}
static uint64_t le64(const uint8_t *p) {
	return le32(p) | (uint64_t)le32(p + 4) << 32;
}

static bool all_zero(const uint8_t *p, size_t n) {
	for (size_t i = 0; i < n; i++)
		if (p[i])
			return false;
	return true;
}

static bool contains(const uint8_t *p, size_t n, const char *s) {
	return memmem(p, n, s, strlen(s)) != NULL;
}

const char *mbr_code_to_string(enum mbr_code c) {
	static const char *const names[] = { [MBR_CODE_ZERO] = "zeroed", [MBR_CODE_GRUB] = "grub",
					     [MBR_CODE_OTHER] = "other" };
	return (unsigned)c < ELEMENTSOF(names) ? names[c] : NULL;
}

/* The bytes of boot.img that grub-bios-setup leaves as they are: it copies
 * the BPB and partition table of the disk, writes the core's sector and
 * boot drive, and patches the drive check. */
static bool code_byte(size_t i) {
	return i < MBR_BPB_START || (i >= MBR_BPB_END && i < MBR_CORE_SECTOR) || i == MBR_BOOT_DRIVE + 1 ||
	       (i >= MBR_DRIVE_CHECK + 2 && i < MBR_CODE_END) || i >= MBR_SIGNATURE;
}

int mbr_bootcode_read(const uint8_t *sector, size_t size, const uint8_t *reference, size_t reference_size,
		      struct mbr_bootcode *ret) {
	if (!sector || size < BOOTCODE_SECTOR)
		return -ENODATA;
	struct mbr_bootcode m = { .signature = sector[MBR_SIGNATURE] == 0x55 && sector[MBR_SIGNATURE + 1] == 0xaa };
	const uint8_t *code = sector + MBR_DRIVE_CHECK + 2;
	size_t code_n = MBR_CODE_END - (MBR_DRIVE_CHECK + 2);
	if (all_zero(sector, MBR_CODE_END)) {
		m.code = MBR_CODE_ZERO;
		*ret = m;
		return 0;
	}
	/* GRUB 2 jumps over the BPB straight to the code after its fields
	 * (0x65); GRUB Legacy's stage1 carries the same messages but jumps
	 * to 0x4a, so the jump tells them apart. */
	bool grub_jump = sector[0] == 0xeb && sector[1] == 0x63;
	bool grub_messages = contains(code, code_n, "GRUB ") && contains(code, code_n, "Geom") &&
			     contains(code, code_n, " Error");
	if (reference && reference_size >= BOOTCODE_SECTOR) {
		m.reference_checked = true;
		m.reference_match = true;
		for (size_t i = 0; i < BOOTCODE_SECTOR && m.reference_match; i++)
			if (code_byte(i) && sector[i] != reference[i])
				m.reference_match = false;
	}
	if ((grub_jump && grub_messages) || m.reference_match) {
		m.code = MBR_CODE_GRUB;
		m.core_sector = le64(sector + MBR_CORE_SECTOR);
		m.boot_drive = sector[MBR_BOOT_DRIVE];
	} else {
		m.code = MBR_CODE_OTHER;
		m.reference_checked = m.reference_match = false;
		if (grub_messages && sector[0] == 0xeb && sector[1] == 0x48)
			m.other = "GRUB Legacy";
	}
	*ret = m;
	return 0;
}

const char *grub_core_state_to_string(enum grub_core_state s) {
	static const char *const names[] = { [GRUB_CORE_ABSENT] = "absent", [GRUB_CORE_DAMAGED] = "damaged",
					     [GRUB_CORE_INTACT] = "intact", [GRUB_CORE_INCOMPLETE] = "incomplete" };
	return (unsigned)s < ELEMENTSOF(names) ? names[s] : NULL;
}

void grub_core_done(struct grub_core *c) {
	if (!c)
		return;
	free(c->prefix);
	free(c->config);
	strv_free(c->modules);
	c->prefix = c->config = NULL;
	c->modules = NULL;
	c->n_modules = 0;
}

/* Decodes GRUB's headerless LZMA1 stream into out (exactly out_n bytes).
 * GRUB writes no end marker: the stream is done when out is full. */
static bool lzma_grub(const uint8_t *in, size_t in_n, uint8_t *out, size_t out_n) {
	lzma_options_lzma opt = { .lc = 3, .lp = 0, .pb = 2 };
	/* The decoder needs a dictionary at least as big as the encoder's;
	 * one as big as the whole output always is. */
	opt.dict_size = out_n < LZMA_DICT_SIZE_MIN ? LZMA_DICT_SIZE_MIN : (uint32_t)out_n;
	lzma_filter filters[] = { { .id = LZMA_FILTER_LZMA1, .options = &opt }, { .id = LZMA_VLI_UNKNOWN } };
	lzma_stream s = LZMA_STREAM_INIT;
	if (lzma_raw_decoder(&s, filters) != LZMA_OK)
		return false;
	s.next_in = in;
	s.avail_in = in_n;
	s.next_out = out;
	s.avail_out = out_n;
	lzma_ret r = LZMA_OK;
	while (s.avail_out > 0 && r == LZMA_OK) {
		size_t before = s.avail_in + s.avail_out;
		r = lzma_code(&s, LZMA_RUN);
		if (s.avail_in + s.avail_out == before)
			break;   /* no progress: the input ran out */
	}
	bool ok = s.avail_out == 0 && (r == LZMA_OK || r == LZMA_STREAM_END);
	lzma_end(&s);
	return ok;
}

/* Copies a NUL-terminated string from an object's data; non-printable
 * bytes become '?' so that a damaged prefix can still be shown. */
static char *object_text(const uint8_t *p, size_t n) {
	size_t len = 0;
	while (len < n && len < TEXT_MAX && p[len])
		len++;
	char *s = malloc(len + 1);
	if (!s)
		return NULL;
	for (size_t i = 0; i < len; i++)
		s[i] = (p[i] >= 0x20 && p[i] < 0x7f) || p[i] == '\n' || p[i] == '\t' ? (char)p[i] : '?';
	s[len] = 0;
	return s;
}

/* A module's name: the contents of its ELF32 section ".modname". NULL
 * when the object is not a readable ELF32 file. */
static const uint8_t *module_name(const uint8_t *e, size_t n, size_t *ret_len) {
	if (n < 0x34 || memcmp(e, "\177ELF", 4) != 0 || e[4] != 1 /* 32-bit */ || e[5] != 1 /* LE */)
		return NULL;
	uint32_t shoff = le32(e + 0x20);
	uint16_t shentsize = le16(e + 0x2e), shnum = le16(e + 0x30), shstrndx = le16(e + 0x32);
	if (shentsize < 0x18 || shstrndx >= shnum || shoff > n || (uint64_t)shnum * shentsize > n - shoff)
		return NULL;
	const uint8_t *strtab_sh = e + shoff + (size_t)shstrndx * shentsize;
	uint32_t str_off = le32(strtab_sh + 0x10), str_size = le32(strtab_sh + 0x14);
	if (str_off > n || str_size > n - str_off)
		return NULL;
	for (uint16_t i = 0; i < shnum; i++) {
		const uint8_t *sh = e + shoff + (size_t)i * shentsize;
		uint32_t name = le32(sh), off = le32(sh + 0x10), size = le32(sh + 0x14);
		static const char want[] = ".modname";
		if (name >= str_size || str_size - name < sizeof(want) ||
		    memcmp(e + str_off + name, want, sizeof(want)) != 0)
			continue;
		if (off > n || size > n - off || size == 0)
			return NULL;
		*ret_len = size;
		return e + off;
	}
	return NULL;
}

static int damaged(struct grub_core *c, const char *why) {
	c->state = GRUB_CORE_DAMAGED;
	c->problem = why;
	return 0;
}

/* The module list after the kernel: found where its size reaches exactly
 * the end of the decompressed image (the magic also occurs in the
 * kernel's code, which reads it). */
static int read_modules(struct grub_core *c, const uint8_t *d, size_t n) {
	size_t info = SIZE_MAX;
	for (size_t i = 0; i + 12 <= n; i += 4)
		if (le32(d + i) == MODULE_MAGIC && le32(d + i + 8) == n - i && le32(d + i + 4) >= 12 &&
		    le32(d + i + 4) <= n - i) {
			info = i;
			break;
		}
	if (info == SIZE_MAX)
		return damaged(c, "the decompressed core has no module list");
	c->kernel_size = (uint32_t)info;
	c->kernel_crc32 = (uint32_t)crc32(0, d, (uInt)info);
	_cleanup_strv_free_ char **modules = NULL;
	size_t n_modules = 0;
	for (size_t p = info + le32(d + info + 4); p < n;) {
		if (n - p < 8)
			return damaged(c, "the core's module list is cut short");
		uint32_t type = le32(d + p), size = le32(d + p + 4);
		if (size < 8 || size > n - p)
			return damaged(c, "an object in the core's module list has a wrong size");
		const uint8_t *data = d + p + 8;
		size_t data_n = size - 8;
		if (type == OBJ_MODULE) {
			size_t len = 0;
			const uint8_t *name = module_name(data, data_n, &len);
			_cleanup_free_ char *s = name ? object_text(name, len) : strdup("?");
			if (!s || strv_extend(&modules, s) < 0)
				return -ENOMEM;
			n_modules++;
		} else if ((type == OBJ_PREFIX && !c->prefix) || (type == OBJ_CONFIG && !c->config)) {
			char *s = object_text(data, data_n);
			if (!s)
				return -ENOMEM;
			*(type == OBJ_PREFIX ? &c->prefix : &c->config) = s;
		}
		p += size;
	}
	c->modules = TAKE_PTR(modules);
	c->n_modules = n_modules;
	c->state = GRUB_CORE_INTACT;
	return 0;
}

int grub_core_read(const uint8_t *buf, size_t size, uint64_t lba, struct grub_core *ret) {
	struct grub_core c = { .state = GRUB_CORE_INCOMPLETE, .problem = "fewer bytes than one sector were read" };
	*ret = c;
	if (!buf || size < BOOTCODE_SECTOR)
		return 0;
	/* diskboot: its block list says where the rest is and where it goes.
	 * A sector without GRUB's load segment and message is no core. */
	const uint8_t *entry = buf + DISKBOOT_LIST;
	c.list_start = le64(entry);
	c.list_sectors = le16(entry + 8);
	if (le16(entry + 10) != DISKBOOT_SEGMENT || !contains(buf, DISKBOOT_LIST, "loading")) {
		c.state = GRUB_CORE_ABSENT;
		c.problem = all_zero(buf, BOOTCODE_SECTOR) ? "the sector is zeroed" : "the sector holds no GRUB core";
		*ret = c;
		return 0;
	}
	if (c.list_sectors == 0) {
		*ret = c;
		return damaged(ret, "the core's block list is empty");
	}
	/* Embedded cores are one run of sectors right after diskboot; a list
	 * pointing elsewhere (or a second entry) cannot be followed here. */
	if (c.list_start != lba + 1 || le16(entry - DISKBOOT_LIST_ENTRY + 8) != 0) {
		c.problem = "the core's block list points away from the sectors after it";
		*ret = c;
		return 0;
	}
	c.problem = "the bytes read end before the core does";
	if (size < BOOTCODE_SECTOR + DECOMP_HEADER_END) {
		*ret = c;
		return 0;
	}
	const uint8_t *h = buf + BOOTCODE_SECTOR;
	c.compressed_size = le32(h + DECOMP_COMPRESSED);
	c.uncompressed_size = le32(h + DECOMP_UNCOMPRESSED);
	c.redundancy = le32(h + DECOMP_REDUNDANCY);
	uint16_t no_rs = le16(h + DECOMP_NO_RS_LENGTH);
	/* With redundancy the core fills every sector of its list. A core.img
	 * file (none) ends inside its last sector, but all of its data must
	 * be there. */
	uint64_t end = (uint64_t)(1 + c.list_sectors) * BOOTCODE_SECTOR;
	if (size < end && (c.redundancy != 0 || size + BOOTCODE_SECTOR <= end)) {
		*ret = c;
		return 0;
	}
	if (end > size)
		end = size;
	c.problem = NULL;
	*ret = c;
	if (c.compressed_size < 5 || c.compressed_size > CORE_COMPRESSED_MAX || c.uncompressed_size < 12 ||
	    c.uncompressed_size > CORE_UNCOMPRESSED_MAX || no_rs < DECOMP_HEADER_END)
		return damaged(ret, "the core's decompressor header holds impossible sizes");
	if ((uint64_t)BOOTCODE_SECTOR + no_rs + c.compressed_size + c.redundancy > end)
		return damaged(ret, "the core's sizes do not fit the sectors its block list loads");

	/* Where the compressed data starts is not recorded: it follows the
	 * decompressor, whose length differs between GRUB builds. With
	 * Reed-Solomon redundancy the core fills its sectors exactly, so the
	 * data ends where the redundancy begins. Without (a core.img file,
	 * or --no-rs-codes) the core ends somewhere in its last sector: try
	 * each place there, keeping only those where an LZMA stream can
	 * start (its first byte is always 0). */
	uint64_t last = end - c.redundancy - c.compressed_size, first = last;
	if (c.redundancy == 0)
		first = last > BOOTCODE_SECTOR - 1 ? last - (BOOTCODE_SECTOR - 1) : 0;
	if (first < (uint64_t)BOOTCODE_SECTOR + no_rs)
		first = (uint64_t)BOOTCODE_SECTOR + no_rs;
	_cleanup_free_ uint8_t *out = malloc(c.uncompressed_size);
	if (!out)
		return -ENOMEM;
	const char *why = "the core's compressed data does not decompress";
	for (uint64_t start = last + 1; start-- > first;) {
		if (buf[start] != 0 || !lzma_grub(buf + start, c.compressed_size, out, c.uncompressed_size))
			continue;
		ret->decompressor_size = (uint32_t)(start - BOOTCODE_SECTOR);
		int r = read_modules(ret, out, c.uncompressed_size);
		if (r < 0) {
			grub_core_done(ret);
			return r;
		}
		if (ret->state == GRUB_CORE_INTACT)
			return 0;
		/* It decompressed but is not whole: say what is wrong with it. */
		why = ret->problem;
		grub_core_done(ret);
	}
	ret->decompressor_size = 0;
	ret->kernel_size = ret->kernel_crc32 = 0;
	return damaged(ret, why);
}

int grub_core_correct(uint8_t *disk, size_t disk_size, const uint8_t *file, size_t file_size, unsigned *ret_worst,
		      unsigned *ret_capacity) {
	*ret_worst = *ret_capacity = 0;
	if (disk_size < BOOTCODE_SECTOR + DECOMP_HEADER_END || file_size < BOOTCODE_SECTOR + DECOMP_HEADER_END ||
	    le32(file + BOOTCODE_SECTOR + DECOMP_REDUNDANCY) != 0)
		return 0;
	uint32_t redundancy = le32(disk + BOOTCODE_SECTOR + DECOMP_REDUNDANCY);
	uint64_t end = (uint64_t)(1 + le16(disk + DISKBOOT_LIST + 8)) * BOOTCODE_SECTOR;
	size_t covered = BOOTCODE_SECTOR + le16(file + BOOTCODE_SECTOR + DECOMP_NO_RS_LENGTH);
	/* The core fills its sectors exactly: the file, then its parity. */
	if (redundancy < BOOTCODE_SECTOR || (uint64_t)file_size + redundancy != end || end > disk_size ||
	    covered >= file_size)
		return 0;
	/* The loader code is not covered: apart from what grub-bios-setup
	 * writes there (the block list, the parity's size, the boot device)
	 * it must be the file's. */
	for (size_t i = 0; i < covered; i++) {
		bool set_up = (i >= DISKBOOT_LIST - DISKBOOT_LIST_ENTRY && i < BOOTCODE_SECTOR) ||
			      (i >= BOOTCODE_SECTOR + DECOMP_REDUNDANCY && i < BOOTCODE_SECTOR + DECOMP_REDUNDANCY + 4) ||
			      (i >= BOOTCODE_SECTOR + DECOMP_BOOT_DEVICE && i < BOOTCODE_SECTOR + DECOMP_HEADER_END);
		if (!set_up && disk[i] != file[i])
			return 0;
	}
	/* Damage running to the end of the data may go on into the parity,
	 * which there is nothing to compare with: not counted on. */
	if (disk[file_size - 1] != file[file_size - 1])
		return 0;
	unsigned wrong[BOOTCODE_SECTOR] = { 0 }, worst = 0;
	for (size_t i = covered; i < file_size; i++)
		if (disk[i] != file[i]) {
			unsigned *w = &wrong[(i - covered) % BOOTCODE_SECTOR];
			if (++*w > worst)
				worst = *w;
		}
	*ret_worst = worst;
	*ret_capacity = redundancy / BOOTCODE_SECTOR / 2;
	if (worst == 0 || worst > *ret_capacity)
		return 0;
	memcpy(disk + covered, file + covered, file_size - covered);
	return 1;
}

enum grub_core_match grub_core_compare(const uint8_t *a, size_t a_size, const struct grub_core *ca, const uint8_t *b,
				       size_t b_size, const struct grub_core *cb) {
	if (ca->kernel_size != cb->kernel_size || ca->kernel_crc32 != cb->kernel_crc32 ||
	    ca->decompressor_size != cb->decompressor_size)
		return GRUB_CORE_OTHER_BUILD;
	/* Both were read intact, so both hold the decompressor in full. */
	size_t n = BOOTCODE_SECTOR + ca->decompressor_size;
	if (n > a_size || n > b_size)
		return GRUB_CORE_OTHER_BUILD;
	for (size_t i = 0; i < n; i++) {
		/* Not code: the block list, and the header's sizes (which differ
		 * with the modules built in) and boot device. */
		bool data = (i >= DISKBOOT_LIST - DISKBOOT_LIST_ENTRY && i < BOOTCODE_SECTOR) ||
			    (i >= BOOTCODE_SECTOR + DECOMP_COMPRESSED && i < BOOTCODE_SECTOR + DECOMP_HEADER_END);
		if (!data && a[i] != b[i])
			return GRUB_CORE_CODE_DIFFERS;
	}
	return GRUB_CORE_SAME;
}
