/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The BIOS boot code readers (rescue/lib/bootcode.h) on the first sectors
 * of disks GRUB's own tools set up (tests/fixtures/bootcode/make.sh): an
 * MBR disk with the core in the gap, a GPT disk with the core in its BIOS
 * boot partition, and the same sectors zeroed, overwritten, damaged and
 * cut short; then diagnose's findings on such a disk (as an image file)
 * for a system whose root is a directory here. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <lzma.h>
#include <zlib.h>

#include <cmocka.h>

#include "bootcode.h"
#include "macro.h"
#include "rescue/diagnose.h"
#include "rescue/repair.h"
#include "strv.h"

#define FX FIXTURES "/bootcode/"
#define S BOOTCODE_SECTOR

struct image {
	uint8_t *data;
	size_t size;
};

static struct image load(const char *name) {
	char path[512];
	snprintf(path, sizeof(path), FX "%s", name);
	gzFile f = gzopen(path, "rb");
	if (!f)
		fail_msg("cannot open %s", path);
	struct image im = { .data = malloc(1 << 20) };
	assert_non_null(im.data);
	int n = gzread(f, im.data, 1 << 20);
	assert_true(n > 0 && n < (1 << 20));
	gzclose(f);
	im.size = (size_t)n;
	return im;
}

static struct image msdos, gpt, ref;

static int setup(void **state) {
	msdos = load("msdos-gap.bin.gz");
	gpt = load("gpt-biosboot.bin.gz");
	ref = load("boot.img");   /* gzread reads uncompressed files as they are */
	return ref.size == S ? 0 : -1;
}
static int teardown(void **state) {
	free(msdos.data);
	free(gpt.data);
	free(ref.data);
	return 0;
}

static uint8_t *copy(const struct image *im) {
	uint8_t *p = malloc(im->size);
	assert_non_null(p);
	memcpy(p, im->data, im->size);
	return p;
}

static void test_grub_mbr(void **state) {
	struct mbr_bootcode m;
	assert_int_equal(mbr_bootcode_read(msdos.data, msdos.size, ref.data, ref.size, &m), 0);
	assert_int_equal(m.code, MBR_CODE_GRUB);
	assert_string_equal(mbr_code_to_string(m.code), "grub");
	assert_true(m.signature);
	assert_true(m.reference_checked && m.reference_match);
	assert_int_equal(m.core_sector, 1);
	assert_int_equal(m.boot_drive, 0xff);

	/* Without a reference, GRUB's code is still known by its facts. */
	assert_int_equal(mbr_bootcode_read(msdos.data, S, NULL, 0, &m), 0);
	assert_int_equal(m.code, MBR_CODE_GRUB);
	assert_false(m.reference_checked);

	/* On GPT, boot.img points into the BIOS boot partition. */
	assert_int_equal(mbr_bootcode_read(gpt.data, gpt.size, ref.data, ref.size, &m), 0);
	assert_int_equal(m.code, MBR_CODE_GRUB);
	assert_true(m.reference_match);
	assert_int_equal(m.core_sector, 40);
}

static void test_reference_ignores_disk_fields(void **state) {
	/* Another BPB, disk signature and partition table: the same code. */
	_cleanup_free_ uint8_t *b = copy(&msdos);
	memset(b + 0x03, 0x11, 0x5a - 0x03);
	memset(b + 0x1b8, 0x22, 0x1fe - 0x1b8);
	b[0x5c] = 7;
	struct mbr_bootcode m;
	assert_int_equal(mbr_bootcode_read(b, S, ref.data, ref.size, &m), 0);
	assert_int_equal(m.code, MBR_CODE_GRUB);
	assert_true(m.reference_match);
	assert_int_equal(m.core_sector, 7);

	/* One code byte changed: still GRUB by its facts, but not the build
	 * given as reference (another GRUB version). */
	b[0x100] ^= 0xff;
	assert_int_equal(mbr_bootcode_read(b, S, ref.data, ref.size, &m), 0);
	assert_int_equal(m.code, MBR_CODE_GRUB);
	assert_true(m.reference_checked);
	assert_false(m.reference_match);
}

static void test_zeroed_mbr(void **state) {
	_cleanup_free_ uint8_t *b = copy(&msdos);
	/* What 'dd if=/dev/zero bs=440 count=1' leaves: the partition table
	 * and signature stay. */
	memset(b, 0, 440);
	struct mbr_bootcode m;
	assert_int_equal(mbr_bootcode_read(b, S, ref.data, ref.size, &m), 0);
	assert_int_equal(m.code, MBR_CODE_ZERO);
	assert_string_equal(mbr_code_to_string(m.code), "zeroed");
	assert_true(m.signature);
	assert_int_equal(m.core_sector, 0);
	memset(b, 0, S);
	assert_int_equal(mbr_bootcode_read(b, S, NULL, 0, &m), 0);
	assert_int_equal(m.code, MBR_CODE_ZERO);
	assert_false(m.signature);
}

static void test_foreign_code(void **state) {
	_cleanup_free_ uint8_t *b = copy(&msdos);
	/* Some other loader: code that neither starts with GRUB's jump nor
	 * carries its messages. */
	static const char other[] = "\xfa\x33\xc0\x8e\xd0\xbc\x00\x7c\xfb\x50\x07\x50\x1f\xfc"
				    "Invalid partition table\0Missing operating system";
	memset(b, 0x90, 440);
	memcpy(b, other, sizeof(other));
	struct mbr_bootcode m;
	assert_int_equal(mbr_bootcode_read(b, S, ref.data, ref.size, &m), 0);
	assert_int_equal(m.code, MBR_CODE_OTHER);
	assert_false(m.reference_match);
	assert_null(m.other);
	assert_int_equal(m.core_sector, 0);

	/* GRUB Legacy's stage1 has GRUB's messages but jumps elsewhere. */
	memcpy(b, msdos.data, S);
	b[1] = 0x48;
	b[0x100] ^= 0xff;
	assert_int_equal(mbr_bootcode_read(b, S, ref.data, ref.size, &m), 0);
	assert_int_equal(m.code, MBR_CODE_OTHER);
	assert_string_equal(m.other, "GRUB Legacy");
}

static void assert_core(const struct image *im, uint64_t lba, const char *prefix, const char *partmap,
			struct grub_core *c) {
	assert_int_equal(grub_core_read(im->data + lba * S, im->size - lba * S, lba, c), 0);
	if (c->state != GRUB_CORE_INTACT)
		fail_msg("core is %s: %s", grub_core_state_to_string(c->state), c->problem);
	assert_null(c->problem);
	assert_int_equal(c->list_start, lba + 1);
	assert_true(c->redundancy > 0);
	assert_true(c->decompressor_size > 0);
	assert_string_equal(c->prefix, prefix);
	assert_null(c->config);
	assert_true(strv_contains(c->modules, "biosdisk"));
	assert_true(strv_contains(c->modules, partmap));
	assert_true(strv_contains(c->modules, "ext2"));
	assert_int_equal(c->n_modules, strv_length(c->modules));
	assert_true(c->kernel_size > 0 && c->kernel_size < c->uncompressed_size);
}

static void test_core_found(void **state) {
	struct grub_core a, b;
	assert_core(&msdos, 1, "(,msdos1)/boot/grub", "part_msdos", &a);
	assert_core(&gpt, 40, "(,gpt2)/boot/grub", "part_gpt", &b);
	/* Built by the same GRUB: the same kernel. */
	assert_int_equal(a.kernel_size, b.kernel_size);
	assert_int_equal(a.kernel_crc32, b.kernel_crc32);
	assert_int_equal(a.decompressor_size, b.decompressor_size);
	grub_core_done(&a);
	grub_core_done(&b);
}

/* core.img as grub-install leaves it in /boot/grub/i386-pc, made from the
 * core embedded in the msdos fixture: without the redundancy, its field 0
 * and its block list counting only its own sectors. With other_build, the
 * GRUB kernel in it is changed by one byte and compressed again the way
 * grub-mkimage does (raw LZMA1, lc 3, lp 0, pb 2): another GRUB build. */
static uint8_t *core_file(bool other_build, size_t *ret_size) {
	struct grub_core c;
	assert_int_equal(grub_core_read(msdos.data + S, msdos.size - S, 1, &c), 0);
	assert_int_equal(c.state, GRUB_CORE_INTACT);
	size_t head = S + c.decompressor_size, size = head + c.compressed_size;
	uint8_t *f = malloc(size + 65536);
	assert_non_null(f);
	memcpy(f, msdos.data + S, size);
	if (other_build) {
		uint8_t *plain = malloc(c.uncompressed_size);
		assert_non_null(plain);
		lzma_options_lzma opt;
		assert_false(lzma_lzma_preset(&opt, 6));
		opt.dict_size = 1 << 16;
		opt.lc = 3;
		opt.lp = 0;
		opt.pb = 2;
		lzma_filter filters[] = { { .id = LZMA_FILTER_LZMA1, .options = &opt }, { .id = LZMA_VLI_UNKNOWN } };
		/* GRUB's stream has no end marker: decode until the output is full. */
		lzma_stream z = LZMA_STREAM_INIT;
		assert_int_equal(lzma_raw_decoder(&z, filters), LZMA_OK);
		z.next_in = f + head;
		z.avail_in = c.compressed_size;
		z.next_out = plain;
		z.avail_out = c.uncompressed_size;
		while (z.avail_out > 0)
			assert_int_equal(lzma_code(&z, LZMA_RUN), LZMA_OK);
		lzma_end(&z);
		size_t out_pos = 0;
		plain[c.kernel_size / 2] ^= 1;
		out_pos = 0;
		assert_int_equal(lzma_raw_buffer_encode(filters, NULL, plain, c.uncompressed_size, f + head, &out_pos,
							c.compressed_size + 65536), LZMA_OK);
		free(plain);
		size = head + out_pos;
		for (int i = 0; i < 4; i++)
			f[S + 0x08 + i] = (uint8_t)(out_pos >> (8 * i));
	}
	grub_core_done(&c);
	memset(f + S + 0x10, 0, 4);
	uint16_t sectors = (uint16_t)((size + S - 1) / S - 1);
	f[0x1fc] = (uint8_t)sectors;
	f[0x1fd] = (uint8_t)(sectors >> 8);
	*ret_size = size;
	return f;
}

static void test_core_file(void **state) {
	struct grub_core disk, file;
	assert_core(&msdos, 1, "(,msdos1)/boot/grub", "part_msdos", &disk);
	size_t size;
	_cleanup_free_ uint8_t *f = core_file(false, &size);
	assert_int_equal(grub_core_read(f, size, 1, &file), 0);
	assert_int_equal(file.state, GRUB_CORE_INTACT);
	assert_int_equal(file.redundancy, 0);
	assert_int_equal(file.kernel_crc32, disk.kernel_crc32);
	assert_string_equal(file.prefix, "(,msdos1)/boot/grub");
	const uint8_t *d = msdos.data + S;
	size_t dn = msdos.size - S;
	/* What grub-bios-setup changed (block list, redundancy) is left out. */
	assert_int_equal(grub_core_compare(d, dn, &disk, f, size, &file), GRUB_CORE_SAME);
	/* The GPT disk's core: other modules and prefix, the same build. */
	struct grub_core g;
	assert_core(&gpt, 40, "(,gpt2)/boot/grub", "part_gpt", &g);
	assert_int_equal(grub_core_compare(gpt.data + 40 * S, gpt.size - 40 * S, &g, f, size, &file), GRUB_CORE_SAME);
	grub_core_done(&g);
	/* diskboot's or the decompressor's code changed: damaged. */
	f[0x40] ^= 1;
	assert_int_equal(grub_core_compare(d, dn, &disk, f, size, &file), GRUB_CORE_CODE_DIFFERS);
	f[0x40] ^= 1;
	f[S + 0x100] ^= 1;
	assert_int_equal(grub_core_compare(d, dn, &disk, f, size, &file), GRUB_CORE_CODE_DIFFERS);
	grub_core_done(&file);

	/* Another GRUB build. */
	_cleanup_free_ uint8_t *o = core_file(true, &size);
	assert_int_equal(grub_core_read(o, size, 1, &file), 0);
	assert_int_equal(file.state, GRUB_CORE_INTACT);
	assert_int_not_equal(file.kernel_crc32, disk.kernel_crc32);
	assert_int_equal(grub_core_compare(d, dn, &disk, o, size, &file), GRUB_CORE_OTHER_BUILD);
	grub_core_done(&file);
	grub_core_done(&disk);
}

static enum grub_core_state core_state(const uint8_t *b, size_t size, uint64_t lba, const char **problem) {
	struct grub_core c;
	assert_int_equal(grub_core_read(b, size, lba, &c), 0);
	if (problem)
		*problem = c.problem;
	enum grub_core_state s = c.state;
	if (s != GRUB_CORE_INTACT) {
		assert_null(c.prefix);
		assert_null(c.modules);
	}
	grub_core_done(&c);
	return s;
}

static void test_core_damaged(void **state) {
	struct grub_core c;
	assert_core(&msdos, 1, "(,msdos1)/boot/grub", "part_msdos", &c);
	size_t data = S + S + c.decompressor_size;   /* of the compressed data, in the disk */
	uint32_t compressed = c.compressed_size;
	grub_core_done(&c);
	const char *why;

	/* Bytes flipped at several places of the compressed data. */
	size_t at[] = { data + 1, data + 64, data + compressed / 2, data + compressed - 32 };
	for (size_t i = 0; i < ELEMENTSOF(at); i++) {
		_cleanup_free_ uint8_t *b = copy(&msdos);
		for (size_t k = 0; k < 16; k++)
			b[at[i] + k] ^= 0x5a;
		assert_int_equal(core_state(b + S, msdos.size - S, 1, &why), GRUB_CORE_DAMAGED);
		assert_non_null(why);
	}

	/* Impossible sizes in the decompressor's header. */
	_cleanup_free_ uint8_t *b = copy(&msdos);
	memset(b + 2 * S + 0x08, 0xff, 4);
	assert_int_equal(core_state(b + S, msdos.size - S, 1, &why), GRUB_CORE_DAMAGED);
	assert_string_equal(why, "the core's decompressor header holds impossible sizes");

	/* An empty block list. */
	memcpy(b, msdos.data, msdos.size);
	memset(b + S + 0x1fc, 0, 2);
	assert_int_equal(core_state(b + S, msdos.size - S, 1, &why), GRUB_CORE_DAMAGED);

	/* The gap zeroed: no core at all. */
	memcpy(b, msdos.data, msdos.size);
	memset(b + S, 0, msdos.size - S);
	assert_int_equal(core_state(b + S, msdos.size - S, 1, &why), GRUB_CORE_ABSENT);
	assert_string_equal(why, "the sector is zeroed");
	/* Or something else there (boot.img pointing at the wrong sector). */
	assert_int_equal(core_state(msdos.data, msdos.size, 0, &why), GRUB_CORE_ABSENT);
	assert_string_equal(why, "the sector holds no GRUB core");

	/* A block list leading elsewhere cannot be followed. */
	assert_int_equal(core_state(msdos.data + S, msdos.size - S, 5, &why), GRUB_CORE_INCOMPLETE);
}

/* GRUB's own correction: the msdos fixture's core carries 4714 bytes of
 * Reed-Solomon parity (9 rows: each code word corrects 4 wrong bytes).
 * The same rule, checked against GRUB booting B1 (53 parity rows, 26
 * corrected): 8, 23 and 26 damaged sectors past the loader code booted;
 * 27 and 28 did not, nor any damage to the loader code. */
static void test_core_correctable(void **state) {
	size_t fsize;
	_cleanup_free_ uint8_t *f = core_file(false, &fsize);
	size_t covered = S + (f[S + 0x14] | (size_t)f[S + 0x15] << 8);
	unsigned worst, cap;
	/* Intact: nothing to correct. */
	_cleanup_free_ uint8_t *b = copy(&msdos);
	assert_int_equal(grub_core_correct(b + S, msdos.size - S, f, fsize, &worst, &cap), 0);
	assert_int_equal(worst, 0);
	assert_int_equal(cap, 4);
	assert_int_equal(fsize + 4714, 62 * S);   /* the file, then its parity: the whole list */

	/* 4 rows of 0xff past the loader code: corrected, and then read
	 * intact as GRUB reads it. */
	memset(b + S + covered + 100, 0xff, 4 * S);
	const char *why;
	assert_int_equal(core_state(b + S, msdos.size - S, 1, &why), GRUB_CORE_DAMAGED);
	assert_int_equal(grub_core_correct(b + S, msdos.size - S, f, fsize, &worst, &cap), 1);
	assert_int_equal(worst, 4);
	assert_int_equal(core_state(b + S, msdos.size - S, 1, &why), GRUB_CORE_INTACT);
	assert_memory_equal(b + S + covered, f + covered, fsize - covered);

	/* 5 rows: more than a code word corrects. */
	memcpy(b, msdos.data, msdos.size);
	memset(b + S + covered + 100, 0xff, 5 * S);
	assert_int_equal(grub_core_correct(b + S, msdos.size - S, f, fsize, &worst, &cap), 0);
	assert_int_equal(worst, 5);
	assert_int_equal(b[S + covered + 100], 0xff);   /* left as it was */

	/* One byte of the loader code (not covered by the parity). */
	memcpy(b, msdos.data, msdos.size);
	b[S + covered - 1] ^= 0x5a;
	assert_int_equal(grub_core_correct(b + S, msdos.size - S, f, fsize, &worst, &cap), 0);
	/* The fields grub-bios-setup writes there are not damage. */
	memcpy(b, msdos.data, msdos.size);
	b[S + covered + 7] ^= 0x5a;
	assert_int_equal(grub_core_correct(b + S, msdos.size - S, f, fsize, &worst, &cap), 1);
	assert_int_equal(worst, 1);

	/* Damage reaching the end of the data may go on into the parity. */
	memcpy(b, msdos.data, msdos.size);
	b[S + fsize - 1] ^= 0x5a;
	assert_int_equal(grub_core_correct(b + S, msdos.size - S, f, fsize, &worst, &cap), 0);

	/* A reference that is not a core.img file (parity size set), or
	 * whose size does not fill the list with the disk's parity. */
	memcpy(b, msdos.data, msdos.size);
	b[S + covered + 7] ^= 0x5a;
	assert_int_equal(grub_core_correct(b + S, msdos.size - S, msdos.data + S, fsize, &worst, &cap), 0);
	assert_int_equal(grub_core_correct(b + S, msdos.size - S, f, fsize - 1, &worst, &cap), 0);
	/* Short reads are not read past. */
	assert_int_equal(grub_core_correct(b + S, 61 * S, f, fsize, &worst, &cap), 0);
	assert_int_equal(grub_core_correct(b + S, 10, f, fsize, &worst, &cap), 0);
}

static void test_truncated(void **state) {
	struct mbr_bootcode m;
	assert_int_equal(mbr_bootcode_read(msdos.data, S - 1, NULL, 0, &m), -ENODATA);
	assert_int_equal(mbr_bootcode_read(NULL, 0, NULL, 0, &m), -ENODATA);
	/* A short reference is not compared. */
	assert_int_equal(mbr_bootcode_read(msdos.data, S, ref.data, S - 1, &m), 0);
	assert_false(m.reference_checked);

	const uint8_t *core = msdos.data + S;
	size_t n = msdos.size - S;
	/* Every cut through the first sectors, then one in each later sector:
	 * never intact, never a guess, never a read past the end (ASan). */
	for (size_t cut = 0; cut < n; cut += cut < 2 * S ? 1 : S - 3) {
		_cleanup_free_ uint8_t *b = malloc(cut ? cut : 1);
		assert_non_null(b);
		memcpy(b, core, cut);
		enum grub_core_state s = core_state(b, cut, 1, NULL);
		if (s != GRUB_CORE_INCOMPLETE)
			fail_msg("cut at %zu: %s", cut, grub_core_state_to_string(s));
	}
	assert_int_equal(core_state(core, n, 1, NULL), GRUB_CORE_INTACT);
}

/* ---- diagnose on a disk image ---- */

static char dir[] = "/tmp/rescue-test-bootcode.XXXXXX";
static char disk_path[100], root_path[100];

static void put(const char *path, const void *data, size_t n) {
	FILE *f = fopen(path, "we");
	assert_non_null(f);
	assert_int_equal(fwrite(data, 1, n, f), n);
	assert_int_equal(fclose(f), 0);
}

/* Puts /boot/grub/i386-pc/core.img into the root: the one made with the
 * fixture's core, another build's, or none. */
static void root_core(int which) {
	char path[200];
	snprintf(path, sizeof(path), "%s/boot/grub/i386-pc/core.img", root_path);
	unlink(path);
	if (which < 0)
		return;
	size_t n;
	_cleanup_free_ uint8_t *f = core_file(which > 0, &n);
	put(path, f, n);
}

static void root_file(const char *rel, bool present) {
	char path[200];
	snprintf(path, sizeof(path), "%s/%s", root_path, rel);
	if (present)
		put(path, "", 0);
	else
		unlink(path);
}

static int diag_setup(void **state) {
	/* mkdtemp fills in the template: a fresh one for each test. */
	strcpy(dir, "/tmp/rescue-test-bootcode.XXXXXX");
	assert_non_null(mkdtemp(dir));
	snprintf(disk_path, sizeof(disk_path), "%s/disk.img", dir);
	snprintf(root_path, sizeof(root_path), "%s/root", dir);
	char cmd[512];
	snprintf(cmd, sizeof(cmd), "mkdir -p %s/boot/grub/i386-pc && touch %s/boot/grub/i386-pc/normal.mod",
		 root_path, root_path);
	if (system(cmd) != 0)
		return -1;
	root_core(0);
	return 0;
}
static int diag_teardown(void **state) {
	char cmd[100];
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	return system(cmd) == 0 ? 0 : -1;
}

/* The BIOS findings diagnose makes for the system on partition partno
 * of a disk holding these sectors, as "code:severity" words. */
static char *bios_findings(const uint8_t *disk, size_t n, int partno, const char *bootloader, const char *file) {
	put(disk_path, disk, n);
	struct rsc_device devs[2] = {
		{ .kind = RSC_DEVICE_IMAGE, .parent = -1, .name = (char *)"disk.img", .file = (char *)file },
		{ .kind = RSC_DEVICE_PARTITION, .parent = 0, .name = (char *)"disk.img:p1", .file = (char *)file,
		  .offset = 63 * S, .partno = partno },
	};
	struct rsc_scan scan = { .devices = devs, .n_devices = 2 };
	struct rsc_system sys = { .id = (char *)"test", .root_device = 1, .boot_device = -1, .esp_device = -1,
				  .bootloader = (char *)bootloader };
	rsc_context *ctx;
	assert_int_equal(rsc_context_new(&ctx), 0);
	struct rsc_diagnosis *d = NULL;
	assert_int_equal(rsc_diagnose(ctx, &scan, &sys, root_path, &d), 0);
	_cleanup_strv_free_ char **words = NULL;
	for (size_t i = 0; i < d->n_findings; i++) {
		const struct rsc_finding *f = &d->findings[i];
		if (!strstr(f->code, "bios-") && !strstr(f->code, "grub-core") && !strstr(f->code, "grub-prefix"))
			continue;
		char w[200];
		snprintf(w, sizeof(w), "%s:%s", f->code, rsc_severity_to_string(f->severity));
		assert_int_equal(strv_extend(&words, w), 0);
		assert_non_null(strstr(f->evidence, "disk.img"));
		assert_string_equal(f->subject, "disk.img");
	}
	rsc_diagnosis_free(d);
	rsc_context_free(ctx);
	char *joined = words ? strv_join(words, " ") : strdup("");
	assert_non_null(joined);
	return joined;
}

static void assert_findings(const uint8_t *disk, size_t n, int partno, const char *bootloader, const char *want) {
	_cleanup_free_ char *got = bios_findings(disk, n, partno, bootloader, disk_path);
	if (strcmp(got, want) != 0)
		fail_msg("findings \"%s\", expected \"%s\"", got, want);
}

static void test_diagnose_bios(void **state) {
	_cleanup_free_ uint8_t *b = copy(&msdos);
	/* Whole: nothing to say. */
	assert_findings(b, msdos.size, 1, "grub-bios", "");
	/* Never on a system booting through EFI as well. */
	memset(b, 0, 440);
	assert_findings(b, msdos.size, 1, "grub-bios+efi", "");
	assert_findings(b, msdos.size, 1, "grub-efi", "");
	/* The MBR zeroed. */
	assert_findings(b, msdos.size, 1, "grub-bios", "bios-boot-code-missing:error");
	/* GRUB was never installed for BIOS here (no core.img in /boot): an
	 * MBR without it is no evidence. */
	root_core(-1);
	assert_findings(b, msdos.size, 1, "grub-bios", "");
	root_core(0);
	/* Another loader's code. */
	memset(b, 0x90, 440);
	assert_findings(b, msdos.size, 1, "grub-bios", "bios-boot-code-foreign:warning");
	/* GRUB's MBR, the gap zeroed. */
	memcpy(b, msdos.data, msdos.size);
	memset(b + S, 0, msdos.size - S);
	assert_findings(b, msdos.size, 1, "grub-bios", "grub-core-missing:error");
	/* The core damaged in its compressed data: within what GRUB's
	 * parity corrects (one wrong byte in each of 64 code words), a
	 * warning, GRUB still starts; beyond it (5 rows, 4 corrected), an
	 * error. Or in the decompressor's code (seen against core.img in
	 * /boot), which the parity does not cover. */
	memcpy(b, msdos.data, msdos.size);
	for (size_t k = 0; k < 64; k++)
		b[20 * S + k] ^= 0xa5;
	assert_findings(b, msdos.size, 1, "grub-bios", "grub-core-damaged:warning");
	memset(b + 20 * S, 0xa5, 5 * S);
	assert_findings(b, msdos.size, 1, "grub-bios", "grub-core-damaged:error");
	memcpy(b, msdos.data, msdos.size);
	for (size_t k = 0; k < 64; k++)
		b[4 * S + k] ^= 0xa5;
	assert_findings(b, msdos.size, 1, "grub-bios", "grub-core-damaged:error");
	/* The disk's core is another build than core.img and the modules. */
	memcpy(b, msdos.data, msdos.size);
	root_core(1);
	assert_findings(b, msdos.size, 1, "grub-bios", "grub-core-stale:error");
	root_core(0);
	/* The core's prefix names partition 1, the system is on 2. */
	memcpy(b, msdos.data, msdos.size);
	assert_findings(b, msdos.size, 2, "grub-bios", "grub-prefix-missing:error");
	/* The directory the prefix names is gone. */
	root_file("boot/grub/i386-pc/normal.mod", false);
	assert_findings(b, msdos.size, 1, "grub-bios", "grub-prefix-missing:error");
	root_file("boot/grub/i386-pc/normal.mod", true);
	/* A disk that cannot be read: unknown, so nothing. */
	memset(b, 0, 440);
	_cleanup_free_ char *got = bios_findings(b, msdos.size, 1, "grub-bios", "/nonexistent/disk.img");
	assert_string_equal(got, "");
	/* Only the first sectors: the core cannot be checked, no verdict. */
	memcpy(b, msdos.data, msdos.size);
	assert_findings(b, 8 * S, 1, "grub-bios", "");
}

/* The plan for the system on such a disk (an MBR disk whose first
 * partition starts at sector 63, or at 2048), with Debian's profile. */
static struct rsc_plan *bios_plan(const uint8_t *disk, size_t n, uint64_t first) {
	put(disk_path, disk, n);
	struct rsc_device devs[2] = {
		{ .kind = RSC_DEVICE_IMAGE, .parent = -1, .name = (char *)"disk.img", .file = disk_path,
		  .table = (char *)"dos", .size = 64u << 20 },
		{ .kind = RSC_DEVICE_PARTITION, .parent = 0, .name = (char *)"disk.img:p1", .file = disk_path,
		  .offset = first * S, .partno = 1 },
	};
	struct rsc_scan scan = { .devices = devs, .n_devices = 2 };
	struct rsc_system sys = { .id = (char *)"test", .root_device = 1, .boot_device = -1, .esp_device = -1,
				  .bootloader = (char *)"grub-bios", .profile = (char *)"debian" };
	rsc_context *ctx;
	assert_int_equal(rsc_context_new(&ctx), 0);
	struct rsc_diagnosis *d = NULL;
	struct rsc_plan *p = NULL;
	assert_int_equal(rsc_diagnose(ctx, &scan, &sys, root_path, &d), 0);
	/* What the planner is told of the disk. */
	assert_int_equal(d->n_bios_disks, 1);
	assert_string_equal(d->bios_disks[0].name, "disk.img");
	assert_string_equal(d->bios_disks[0].table, "dos");
	assert_int_equal(d->bios_disks[0].first_partition, first * S);
	assert_true(d->bios_disks[0].readable && d->bios_disks[0].holds_boot);
	assert_int_equal(rsc_plan_make(ctx, &sys, d, root_path, &p), 0);
	rsc_diagnosis_free(d);
	rsc_context_free(ctx);
	return p;
}

/* The plan's GRUB reinstall (this root has no grub.cfg, so the plan
 * regenerates the menu too: that step is not looked at). */
static const struct rsc_action *bios_action(const struct rsc_plan *p) {
	for (size_t i = 0; i < p->n_actions; i++)
		if (p->actions[i].kind == RSC_ACTION_GRUB_INSTALL_BIOS)
			return &p->actions[i];
	return NULL;
}

static bool unfixed_says(const struct rsc_plan *p, const char *what) {
	STRV_FOREACH(x, p->unfixed)
		if (strstr(*x, what))
			return true;
	return false;
}

static void test_plan_bios(void **state) {
	_cleanup_free_ uint8_t *b = copy(&msdos);
	/* Whole: no reinstall. */
	struct rsc_plan *p = bios_plan(b, msdos.size, 2048);
	assert_null(bios_action(p));
	assert_false(unfixed_says(p, "GRUB"));
	rsc_plan_free(p);
	/* The MBR zeroed: grub-install on the image, its gap saved. */
	memset(b, 0, 440);
	p = bios_plan(b, msdos.size, 2048);
	const struct rsc_action *a = bios_action(p);
	assert_non_null(a);
	assert_string_equal(a->argv[0], "grub-install");
	assert_string_equal(a->argv[1], "--target=i386-pc");
	assert_string_equal(a->argv[3], disk_path);
	assert_null(a->argv[4]);
	assert_string_equal(a->disk_name, "disk.img");
	assert_int_equal(a->n_disk_ranges, 1);
	assert_int_equal(a->disk_ranges[0].offset, 0);
	assert_int_equal(a->disk_ranges[0].length, 2048 * S);
	assert_string_equal(a->fixes[0], "bios-boot-code-missing");
	assert_non_null(strstr(a->why, "disk.img holds /boot"));
	assert_false(unfixed_says(p, "bios-boot-code-missing"));
	rsc_plan_free(p);
	/* With the old 63-sector gap: only up to the partition is saved. */
	p = bios_plan(b, msdos.size, 63);
	assert_non_null(bios_action(p));
	assert_int_equal(bios_action(p)->disk_ranges[0].length, 63 * S);
	rsc_plan_free(p);
	/* Another loader's code: not overwritten; a person is told. */
	memset(b, 0x90, 440);
	p = bios_plan(b, msdos.size, 2048);
	assert_null(bios_action(p));
	assert_true(unfixed_says(p, "another boot loader's code"));
	rsc_plan_free(p);
}

int main(void) {
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_grub_mbr),
		cmocka_unit_test(test_reference_ignores_disk_fields),
		cmocka_unit_test(test_zeroed_mbr),
		cmocka_unit_test(test_foreign_code),
		cmocka_unit_test(test_core_found),
		cmocka_unit_test(test_core_file),
		cmocka_unit_test(test_core_damaged),
		cmocka_unit_test(test_core_correctable),
		cmocka_unit_test(test_truncated),
	};
	const struct CMUnitTest diagnose_tests[] = {
		cmocka_unit_test_setup_teardown(test_diagnose_bios, diag_setup, diag_teardown),
		cmocka_unit_test_setup_teardown(test_plan_bios, diag_setup, diag_teardown),
	};
	int failed = cmocka_run_group_tests(tests, setup, teardown);
	if (setup(NULL) < 0)
		return 1;
	failed += cmocka_run_group_tests_name("diagnose", diagnose_tests, NULL, NULL);
	teardown(NULL);
	return failed;
}
