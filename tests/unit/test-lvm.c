/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* LVM2 metadata (rescue/lib/lvm.h): the text format as lvm2 writes it on
 * disk and in /etc/lvm/backup (fixtures in tests/fixtures/files), the
 * offsets of linear LVs that the scan reads without device-mapper, and the
 * on-disk label, PV header and metadata area around the text. */
#include <endian.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "lvm.h"
#include "macro.h"

#define FX FIXTURES "/files/"
#define MiB (1024ull * 1024)
#define EXTENT (4 * MiB) /* extent_size = 8192 sectors */

static char *fixture(const char *name, size_t *ret_len) {
	char path[512];
	snprintf(path, sizeof(path), FX "%s", name);
	FILE *f = fopen(path, "re");
	if (!f)
		fail_msg("cannot open %s", path);
	char *buf = calloc(1, 1 << 16);
	assert_non_null(buf);
	size_t n = fread(buf, 1, (1 << 16) - 1, f);
	assert_true(feof(f));
	fclose(f);
	*ret_len = n;
	return buf;
}

static const struct lvm_lv *find_lv(const struct lvm_pv_info *info, const char *name) {
	for (size_t i = 0; i < info->n_lvs; i++)
		if (streq(info->lvs[i].name, name))
			return &info->lvs[i];
	fail_msg("no LV %s", name);
	return NULL;
}

/* ---- the text format ---- */

/* On-disk form (no indentation, the VG first and the comments after). */
static void test_debian_on_disk(void **state) {
	size_t len;
	_cleanup_free_ char *text = fixture("lvm-metadata-debian.txt", &len);
	struct lvm_pv_info info;
	/* The label spells the PV UUID without dashes. */
	assert_int_equal(lvm_parse_metadata(text, len, "aBcDeF123456789AbCdEfGhIjKlMnOpQ", &info), 0);
	assert_string_equal(info.vg_name, "vg0");
	assert_string_equal(info.vg_uuid, "Xq2DkB-8Lz3-cR1v-Ow7s-Hn4e-Tz6p-Ga0yUf");
	assert_null(info.pv_uuid); /* set by lvm_read_pv only */
	assert_int_equal(info.extent_size, EXTENT);
	assert_int_equal(info.n_lvs, 2);
	assert_string_equal(info.lvs[0].name, "root");
	assert_string_equal(info.lvs[1].name, "swap_1");
	/* pe_start = 2048 sectors = 1 MiB; root starts at extent 0. */
	assert_true(info.lvs[0].linear_here);
	assert_int_equal(info.lvs[0].offset, 1 * MiB);
	assert_int_equal(info.lvs[0].size, 6912 * EXTENT);
	assert_true(info.lvs[1].linear_here);
	assert_int_equal(info.lvs[1].offset, 1 * MiB + 6912 * EXTENT);
	assert_int_equal(info.lvs[1].size, 767 * EXTENT);
	lvm_pv_info_done(&info);
	assert_null(info.vg_name);
	assert_int_equal(info.n_lvs, 0);
}

/* Without the PV's UUID (or with another PV's), nothing is "here". */
static void test_other_pv(void **state) {
	size_t len;
	_cleanup_free_ char *text = fixture("lvm-metadata-debian.txt", &len);
	static const char *const uuids[] = { NULL, "00000000000000000000000000000000",
					     "aBcDeF-1234-5678-9AbC-dEfG-hIjK-lMnOpQ" /* dashes: label form has none */ };
	for (size_t i = 0; i < ELEMENTSOF(uuids); i++) {
		struct lvm_pv_info info;
		assert_int_equal(lvm_parse_metadata(text, len, uuids[i], &info), 0);
		assert_string_equal(info.vg_name, "vg0");
		assert_int_equal(info.n_lvs, 2);
		assert_false(info.lvs[0].linear_here);
		assert_false(info.lvs[1].linear_here);
		lvm_pv_info_done(&info);
	}
}

/* The /etc/lvm/backup form (comments first, tabs, "# Hint only"), two PVs,
 * a multi-segment LV, a striped one and one on the other PV. */
static void test_rhel_backup(void **state) {
	size_t len;
	_cleanup_free_ char *text = fixture("lvm-metadata-rhel-backup.txt", &len);
	struct lvm_pv_info info;
	assert_int_equal(lvm_parse_metadata(text, len, "ZyXwVutsrqponmlkjihgfedcbaZYXWVU", &info), 0);
	assert_string_equal(info.vg_name, "rhel");
	assert_string_equal(info.vg_uuid, "Q1w2E3-r4T5-y6U7-i8O9-p0A1-s2D3-f4G5h6");
	assert_int_equal(info.n_lvs, 5);
	const struct lvm_lv *root = find_lv(&info, "root"), *swap = find_lv(&info, "swap"),
			    *home = find_lv(&info, "home"), *scratch = find_lv(&info, "scratch"),
			    *archive = find_lv(&info, "archive");
	assert_true(root->linear_here);
	assert_int_equal(root->offset, 1 * MiB);
	assert_int_equal(root->size, 17920 * EXTENT);
	assert_true(swap->linear_here);
	assert_int_equal(swap->offset, 1 * MiB + 17920 * EXTENT);
	assert_int_equal(swap->size, 2048 * EXTENT);
	/* Two segments (lvextend onto the second PV): no single offset. */
	assert_false(home->linear_here);
	/* Two stripes: not linear. */
	assert_false(scratch->linear_here);
	/* On the other PV. */
	assert_false(archive->linear_here);
	lvm_pv_info_done(&info);

	/* Seen from the second PV, only archive is linear there. */
	assert_int_equal(lvm_parse_metadata(text, len, "AbCdEfGhIjKlMnOpQrStUvWxYz012345", &info), 0);
	assert_false(find_lv(&info, "root")->linear_here);
	assert_false(find_lv(&info, "home")->linear_here);
	assert_false(find_lv(&info, "scratch")->linear_here);
	archive = find_lv(&info, "archive");
	assert_true(archive->linear_here);
	assert_int_equal(archive->offset, 1 * MiB + 5376 * EXTENT);
	assert_int_equal(archive->size, 1024 * EXTENT);
	lvm_pv_info_done(&info);
}

/* Thin pools, thin volumes and raid1: listed, never given an offset. */
static void test_thin_and_raid(void **state) {
	size_t len;
	_cleanup_free_ char *text = fixture("lvm-metadata-thin.txt", &len);
	struct lvm_pv_info info;
	assert_int_equal(lvm_parse_metadata(text, len, "PvThin00001111222233334444555555", &info), 0);
	assert_string_equal(info.vg_name, "vgthin");
	assert_int_equal(info.n_lvs, 4);
	assert_false(find_lv(&info, "pool00")->linear_here);
	assert_false(find_lv(&info, "root")->linear_here);
	assert_false(find_lv(&info, "mirror")->linear_here);
	/* The pool's hidden data LV is plain linear. */
	const struct lvm_lv *tdata = find_lv(&info, "pool00_tdata");
	assert_true(tdata->linear_here);
	assert_int_equal(tdata->offset, 1 * MiB + 16 * EXTENT);
	lvm_pv_info_done(&info);
}

/* The length bounds the text: nothing past it is read. */
static void test_length_bounds(void **state) {
	size_t len;
	_cleanup_free_ char *text = fixture("lvm-metadata-debian.txt", &len);
	struct lvm_pv_info info;
	const char *end = strstr(text, "\n}\n# Generated");
	assert_non_null(end);
	assert_int_equal(lvm_parse_metadata(text, (size_t)(end - text) + 3, "aBcDeF123456789AbCdEfGhIjKlMnOpQ", &info), 0);
	assert_int_equal(info.n_lvs, 2);
	lvm_pv_info_done(&info);
}

static void test_garbage(void **state) {
	static const char *const bad[] = {
		"",
		"   \n# only a comment\n",
		"hello world",
		"contents = \"Text Format Volume Group\"\nversion = 1\n",    /* no VG section */
		"vg0 {\nid = \"x\"\n= = =\n}\n",                            /* not a key */
		"vg0 {\nextent_size 8192\n}\n",                             /* no '=' */
		"vg0 {\na {\nb {\nc {\nd {\ne {\nf {\ng {\nh {\n}}}}}}}}}\n", /* too deep */
		"vg0 {\nid = \"Xq2D",                                       /* cut inside a string */
		"vg0 {\nlogical_volumes {\nroot {\nsegment1 {\nstripes = [\n\"pv0\"", /* cut in a list */
		"vg0 {\nid = \"x\"\n",                                      /* the VG never closes */
		"\x7f" "ELF\x02\x01\x01\0\0\0",
	};
	for (size_t i = 0; i < ELEMENTSOF(bad); i++) {
		struct lvm_pv_info info = { .vg_name = (char *)"untouched" };
		int r = lvm_parse_metadata(bad[i], strlen(bad[i]), "x", &info);
		if (r != -EBADMSG)
			fail_msg("case %zu: %d, expected -EBADMSG", i, r);
		assert_string_equal(info.vg_name, "untouched");
	}
}

/* Truncated metadata whose last segment lost its extent: the LV must not
 * get an offset computed from the missing number (it would point at the
 * start of the PV). */
static void test_truncated_segment(void **state) {
	size_t len;
	_cleanup_free_ char *text = fixture("lvm-metadata-debian.txt", &len);
	const char *cut = strstr(text, "\"pv0\", 6912");
	assert_non_null(cut);
	struct lvm_pv_info info;
	assert_int_equal(lvm_parse_metadata(text, (size_t)(cut - text) + 5, "aBcDeF123456789AbCdEfGhIjKlMnOpQ", &info),
			 -EBADMSG);
}

/* Numbers that would wrap the offset around 2^64. */
static void test_overflow(void **state) {
	static const char text[] =
		"vg {\nid = \"v\"\nextent_size = 8192\nphysical_volumes {\npv0 {\nid = \"P\"\npe_start = 2048\n}\n}\n"
		"logical_volumes {\n"
		"a {\nsegment1 {\nextent_count = 1\ntype = \"striped\"\nstripe_count = 1\nstripes = [\"pv0\", 4398046511103]\n}\n}\n"
		"b {\nsegment1 {\nextent_count = 18446744073709551615\ntype = \"striped\"\nstripes = [\"pv0\", 0]\n}\n}\n"
		"c {\nsegment1 {\nextent_count = -1\ntype = \"striped\"\nstripes = [\"pv0\", -1]\n}\n}\n"
		"d {\nsegment1 {\nextent_count = 2\ntype = \"striped\"\nstripes = [\"pv0\", 3]\n}\n}\n"
		"}\n}\n";
	struct lvm_pv_info info;
	assert_int_equal(lvm_parse_metadata(text, strlen(text), "P", &info), 0);
	assert_int_equal(info.n_lvs, 4);
	for (size_t i = 0; i < 3; i++)
		if (info.lvs[i].linear_here)
			assert_true(info.lvs[i].offset <= UINT64_MAX - info.lvs[i].size);
	assert_false(info.lvs[1].linear_here);
	assert_false(info.lvs[2].linear_here);
	assert_true(info.lvs[3].linear_here);
	assert_int_equal(info.lvs[3].offset, 1 * MiB + 3 * EXTENT);
	lvm_pv_info_done(&info);
}

/* 1 MiB of tiny LV sections (the most a metadata area is read for): must
 * parse in linear time, not copy the growing list per section. */
static void test_many_lvs(void **state) {
	size_t n = 200000, off = 0;
	_cleanup_free_ char *text = malloc(n * 5 + 64);
	assert_non_null(text);
	off += (size_t)sprintf(text, "vg {\nlogical_volumes {\n");
	for (size_t i = 0; i < n; i++) {
		memcpy(text + off, "a {}\n", 5);
		off += 5;
	}
	off += (size_t)sprintf(text + off, "}\n}\n");
	struct lvm_pv_info info;
	assert_int_equal(lvm_parse_metadata(text, off, NULL, &info), 0);
	assert_int_equal(info.n_lvs, n);
	lvm_pv_info_done(&info);
}

/* ---- the on-disk PV: label, PV header, metadata area ---- */

#define MDA_OFFSET 4096u
#define MDA_SIZE (64u * 1024)

static void put32(uint8_t *p, uint32_t v) {
	v = htole32(v);
	memcpy(p, &v, 4);
}
static void put64(uint8_t *p, uint64_t v) {
	v = htole64(v);
	memcpy(p, &v, 8);
}

/* Writes a PV at base in fd: label in sector label_sector, one metadata
 * area at MDA_OFFSET holding text at text_off (relative to the area,
 * wrapping to just after the area header when it runs past the end). */
static void write_pv(int fd, uint64_t base, unsigned label_sector, const char *uuid, const char *text,
		     uint64_t text_off) {
	uint8_t sec[512] = { 0 };
	memcpy(sec, "LABELONE", 8);
	put64(sec + 8, label_sector);
	put32(sec + 20, 32);
	memcpy(sec + 24, "LVM2 001", 8);
	uint8_t *pvh = sec + 32;
	memcpy(pvh, uuid, 32);
	put64(pvh + 32, 64 * MiB);
	put64(pvh + 40, 1 * MiB); /* data area: offset, size; then the end of the list */
	put64(pvh + 48, 0);
	put64(pvh + 72, MDA_OFFSET); /* metadata area */
	put64(pvh + 80, MDA_SIZE);
	assert_int_equal(pwrite(fd, sec, sizeof(sec), (off_t)(base + label_sector * 512)), 512);

	uint8_t mh[512] = { 0 };
	memcpy(mh + 4, " LVM2 x[5A%r0N*>", 16);
	put32(mh + 20, 1);
	put64(mh + 24, MDA_OFFSET);
	put64(mh + 32, MDA_SIZE);
	size_t len = strlen(text) + 1;
	put64(mh + 40, text_off);
	put64(mh + 48, len);
	assert_int_equal(pwrite(fd, mh, sizeof(mh), (off_t)(base + MDA_OFFSET)), 512);
	size_t first = text_off + len > MDA_SIZE ? MDA_SIZE - text_off : len;
	assert_int_equal(pwrite(fd, text, first, (off_t)(base + MDA_OFFSET + text_off)), (ssize_t)first);
	if (first < len)
		assert_int_equal(pwrite(fd, text + first, len - first, (off_t)(base + MDA_OFFSET + 512)),
				 (ssize_t)(len - first));
}

static int pv_file(void) {
	FILE *f = tmpfile();
	assert_non_null(f);
	int fd = dup(fileno(f));
	fclose(f);
	assert_true(fd >= 0);
	assert_int_equal(ftruncate(fd, 2 * MiB), 0);
	return fd;
}

static void test_read_pv(void **state) {
	size_t len;
	_cleanup_free_ char *text = fixture("lvm-metadata-debian.txt", &len);
	static const char uuid[] = "aBcDeF123456789AbCdEfGhIjKlMnOpQ";
	_cleanup_close_ int fd = pv_file();
	/* A PV inside a partition 512 KiB into an image; the label in
	 * sector 1 as pvcreate puts it. */
	write_pv(fd, 512 * 1024, 1, uuid, text, 512);
	struct lvm_pv_info info;
	assert_int_equal(lvm_read_pv(fd, 512 * 1024, MiB + 512 * 1024, &info), 0);
	assert_string_equal(info.pv_uuid, uuid);
	assert_string_equal(info.vg_name, "vg0");
	assert_true(info.lvs[0].linear_here);
	assert_int_equal(info.lvs[0].offset, 1 * MiB);
	lvm_pv_info_done(&info);
}

/* The metadata area is a ring: text may wrap past its end. */
static void test_read_pv_wrapped(void **state) {
	size_t len;
	_cleanup_free_ char *text = fixture("lvm-metadata-debian.txt", &len);
	static const char uuid[] = "aBcDeF123456789AbCdEfGhIjKlMnOpQ";
	_cleanup_close_ int fd = pv_file();
	write_pv(fd, 0, 1, uuid, text, MDA_SIZE - 300);
	struct lvm_pv_info info;
	assert_int_equal(lvm_read_pv(fd, 0, 2 * MiB, &info), 0);
	assert_string_equal(info.vg_name, "vg0");
	assert_int_equal(info.n_lvs, 2);
	assert_int_equal(info.lvs[1].offset, 1 * MiB + 6912 * EXTENT);
	lvm_pv_info_done(&info);
}

static void test_read_pv_errors(void **state) {
	static const char uuid[] = "aBcDeF123456789AbCdEfGhIjKlMnOpQ";
	struct lvm_pv_info info;
	{
		/* No label at all. */
		_cleanup_close_ int fd = pv_file();
		assert_int_equal(lvm_read_pv(fd, 0, 2 * MiB, &info), -ENODATA);
	}
	{
		/* A label, but the metadata area header is wrong. */
		_cleanup_close_ int fd = pv_file();
		write_pv(fd, 0, 1, uuid, "vg0 {\n}\n", 512);
		assert_int_equal(pwrite(fd, "XXXX", 4, MDA_OFFSET + 4), 4);
		assert_int_equal(lvm_read_pv(fd, 0, 2 * MiB, &info), -EBADMSG);
	}
	{
		/* The metadata text is garbage. */
		_cleanup_close_ int fd = pv_file();
		write_pv(fd, 0, 1, uuid, "this is not lvm metadata", 512);
		assert_int_equal(lvm_read_pv(fd, 0, 2 * MiB, &info), -EBADMSG);
	}
	{
		/* The device is shorter than its metadata area says. */
		_cleanup_close_ int fd = pv_file();
		write_pv(fd, 0, 1, uuid, "vg0 {\n}\n", 512);
		assert_int_equal(lvm_read_pv(fd, 0, MDA_OFFSET + 1024, &info), -EBADMSG);
	}
	{
		/* Truncated file: the label is there, the area is not. */
		_cleanup_close_ int fd = pv_file();
		write_pv(fd, 0, 1, uuid, "vg0 {\n}\n", 512);
		assert_int_equal(ftruncate(fd, MDA_OFFSET + 100), 0);
		assert_int_equal(lvm_read_pv(fd, 0, 2 * MiB, &info), -EBADMSG);
	}
	{
		/* A text size of zero or beyond the area. */
		_cleanup_close_ int fd = pv_file();
		write_pv(fd, 0, 1, uuid, "vg0 {\n}\n", 512);
		uint8_t z[8] = { 0 };
		assert_int_equal(pwrite(fd, z, 8, MDA_OFFSET + 48), 8);
		assert_int_equal(lvm_read_pv(fd, 0, 2 * MiB, &info), -EBADMSG);
		uint8_t big[8];
		put64(big, 1ull << 40);
		assert_int_equal(pwrite(fd, big, 8, MDA_OFFSET + 48), 8);
		assert_int_equal(lvm_read_pv(fd, 0, 2 * MiB, &info), -EBADMSG);
	}
}

int main(void) {
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_debian_on_disk),
		cmocka_unit_test(test_other_pv),
		cmocka_unit_test(test_rhel_backup),
		cmocka_unit_test(test_thin_and_raid),
		cmocka_unit_test(test_length_bounds),
		cmocka_unit_test(test_garbage),
		cmocka_unit_test(test_truncated_segment),
		cmocka_unit_test(test_overflow),
		cmocka_unit_test(test_many_lvs),
		cmocka_unit_test(test_read_pv),
		cmocka_unit_test(test_read_pv_wrapped),
		cmocka_unit_test(test_read_pv_errors),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
