/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The initramfs reader against the hand-made fixtures of
 * tests/fixtures/initramfs (see make-fixtures.py there). */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "initramfs-internal.h"
#include "macro.h"
#include "rescue/initramfs.h"

#define FX FIXTURES "/initramfs/"

static rsc_context *ctx;

static int setup(void **state) {
	return rsc_context_new(&ctx);
}
static int teardown(void **state) {
	rsc_context_free(ctx);
	return 0;
}

struct listing {
	char paths[64][64];
	unsigned n;
	unsigned regular_bytes;
};

static int collect(rsc_initramfs *img, const struct rsc_initramfs_entry *e, void *userdata) {
	struct listing *l = userdata;
	if (l->n < ELEMENTSOF(l->paths))
		snprintf(l->paths[l->n], sizeof(l->paths[0]), "%s", e->path);
	l->n++;
	if (S_ISREG(e->mode)) {
		char buf[1000];
		ssize_t k;
		while ((k = rsc_initramfs_read_data(img, buf, sizeof(buf))) > 0)
			l->regular_bytes += (unsigned)k;
	}
	return 0;
}

static int list_file(const char *name, struct listing *l, rsc_initramfs **ret) {
	char path[512];
	snprintf(path, sizeof(path), FX "%s", name);
	rsc_initramfs *img;
	int r = rsc_initramfs_open(ctx, path, &img);
	assert_int_equal(r, 0);
	memset(l, 0, sizeof(*l));
	r = rsc_initramfs_walk(img, collect, NULL, l);
	if (ret)
		*ret = img;
	else
		rsc_initramfs_free(img);
	return r;
}

static const char *const sample[] = { ".", "etc", "etc/hello", "usr", "usr/bin", "usr/bin/tool", "bin", "dev", "dev/console" };

static void check_sample(const struct listing *l, unsigned from) {
	for (size_t i = 0; i < ELEMENTSOF(sample); i++)
		assert_string_equal(l->paths[from + i], sample[i]);
}

static void test_every_compression(void **state) {
	static const struct {
		const char *file;
		enum rsc_compression c;
	} cases[] = {
		{ "sample.cpio", RSC_COMPRESSION_NONE },     { "sample-crc.cpio", RSC_COMPRESSION_NONE },
		{ "sample.cpio.gz", RSC_COMPRESSION_GZIP },  { "sample.cpio.zst", RSC_COMPRESSION_ZSTD },
		{ "sample.cpio.xz", RSC_COMPRESSION_XZ },    { "sample.cpio.lzma", RSC_COMPRESSION_LZMA },
		{ "sample.cpio.lz4", RSC_COMPRESSION_LZ4 },  { "sample.cpio.bz2", RSC_COMPRESSION_BZIP2 },
		{ "sample.cpio.lzo", RSC_COMPRESSION_LZO },
	};
	for (size_t i = 0; i < ELEMENTSOF(cases); i++) {
		struct listing l;
		rsc_initramfs *img;
		assert_int_equal(list_file(cases[i].file, &l, &img), 0);
		assert_int_equal(l.n, ELEMENTSOF(sample));
		check_sample(&l, 0);
		assert_int_equal(l.regular_bytes, 12 + 256 * 40);
		size_t n;
		const struct rsc_initramfs_segment *s = rsc_initramfs_segments(img, &n);
		assert_int_equal(n, 1);
		assert_int_equal(s[0].compression, cases[i].c);
		assert_int_equal(s[0].n_entries, ELEMENTSOF(sample));
		assert_int_equal(s[0].n_archives, 1);
		struct stat st;
		char path[256];
		snprintf(path, sizeof(path), FX "%s", cases[i].file);
		assert_int_equal(stat(path, &st), 0);
		/* The consumed length is known exactly (lz4: to the end). */
		assert_int_equal(s[0].length, st.st_size);
		rsc_initramfs_free(img);
	}
}

static void test_multi_segments(void **state) {
	struct listing l;
	rsc_initramfs *img;
	assert_int_equal(list_file("multi.img", &l, &img), 0);
	size_t n;
	const struct rsc_initramfs_segment *s = rsc_initramfs_segments(img, &n);
	static const enum rsc_compression want[] = {
		RSC_COMPRESSION_NONE, RSC_COMPRESSION_GZIP, RSC_COMPRESSION_ZSTD, RSC_COMPRESSION_NONE,
		RSC_COMPRESSION_XZ,   RSC_COMPRESSION_BZIP2,
	};
	assert_int_equal(n, ELEMENTSOF(want));
	for (size_t i = 0; i < n; i++)
		assert_int_equal(s[i].compression, want[i]);
	assert_true(s[0].early_microcode);
	assert_true(s[0].early_cpio_marker);
	assert_false(s[1].early_microcode);
	assert_int_equal(s[0].offset, 0);
	assert_int_equal(s[1].offset, s[0].length);
	assert_int_equal(s[2].offset, s[1].offset + s[1].length);
	assert_int_equal(l.n, 6 + 9 + 4 + 9 + 4 + 9);
	check_sample(&l, 6);
	rsc_initramfs_free(img);

	/* The same bytes as a UKI's .initrd section. */
	assert_int_equal(list_file("uki.efi", &l, &img), 0);
	assert_true(rsc_initramfs_is_uki(img));
	assert_int_equal(l.n, 6 + 9 + 4 + 9 + 4 + 9);
	rsc_initramfs_free(img);
}

static void test_namepad(void **state) {
	struct listing l;
	assert_int_equal(list_file("namepad.cpio", &l, NULL), 0);
	assert_int_equal(l.n, 2);
	assert_string_equal(l.paths[1], "data");
	assert_int_equal(l.regular_bytes, 4096);
}

static void expect_error(const char *file, const char *words) {
	struct listing l;
	rsc_initramfs *img;
	assert_int_equal(list_file(file, &l, &img), -EBADMSG);
	const char *msg = rsc_initramfs_error(img);
	assert_non_null(msg);
	if (!strstr(msg, words))
		fail_msg("%s: expected \"%s\" in \"%s\"", file, words, msg);
	rsc_initramfs_free(img);
}

static void test_errors(void **state) {
	expect_error("sample-odc.cpio", "use -H newc option");
	expect_error("junk-end.cpio.gz", "junk at the end of compressed archive");
	expect_error("junk-within.cpio.gz", "junk within compressed archive");
	expect_error("broken-padding.img", "broken padding");
	expect_error("bad-magic.img", "invalid magic at start of compressed archive");
	expect_error("truncated.cpio.zst", "truncated zstd stream");
	expect_error("bad-checksum.cpio", "bad data checksum");
	expect_error("sample-frame.cpio.lz4", "lz4 frame format");
	expect_error("empty.lz4", "holds no cpio data");
}

static void test_squashed(void **state) {
	struct listing l;
	rsc_initramfs *img;
	assert_int_equal(list_file("squash.cpio", &l, &img), 0);
	assert_string_equal(rsc_initramfs_squashed(img), "squash-root.img");
	assert_int_equal(l.n, 3);
	rsc_initramfs_free(img);
	assert_int_equal(list_file("sample.cpio", &l, &img), 0);
	assert_null(rsc_initramfs_squashed(img));
	rsc_initramfs_free(img);
}

static void *slurp(const char *name, size_t *ret_n) {
	char path[512];
	snprintf(path, sizeof(path), FX "%s", name);
	FILE *f = fopen(path, "rb");
	assert_non_null(f);
	static char buf[1 << 16];
	size_t n = fread(buf, 1, sizeof(buf), f);
	fclose(f);
	void *p = malloc(n ? n : 1);
	memcpy(p, buf, n);
	*ret_n = n;
	return p;
}

static int count_only(rsc_initramfs *img, const struct rsc_initramfs_entry *e, void *userdata) {
	(*(unsigned *)userdata)++;
	return 0;
}

/* Truncation at every offset: either a clean walk (the cut fell between
 * segments) or a named format error; never anything else. */
static void test_truncation_everywhere(void **state) {
	static const char *const files[] = { "multi.img", "sample.cpio.lz4", "sample.cpio.lzo", "sample.cpio.lzma",
					     "sample.cpio.bz2" };
	for (size_t f = 0; f < ELEMENTSOF(files); f++) {
		size_t n;
		uint8_t *data = slurp(files[f], &n);
		/* Every offset through the first headers, then a spread. */
		for (size_t cut = 0; cut < n; cut += cut < 1024 ? 1 : 7) {
			uint8_t *copy = malloc(cut ? cut : 1);
			memcpy(copy, data, cut);
			rsc_initramfs *img;
			assert_int_equal(rsc_initramfs_open_memory(ctx, copy, cut, "cut", &img), 0);
			unsigned count = 0;
			int r = rsc_initramfs_walk(img, count_only, NULL, &count);
			if (r != 0 && r != -EBADMSG)
				fail_msg("%s cut at %zu: %d", files[f], cut, r);
			if (r == -EBADMSG)
				assert_non_null(rsc_initramfs_error(img));
			rsc_initramfs_free(img);
			free(copy);
		}
		free(data);
	}
}

static void test_bit_flips_and_zeros(void **state) {
	size_t n;
	uint8_t *data = slurp("multi.img", &n);
	uint8_t *copy = malloc(n);
	srand(1);
	for (unsigned round = 0; round < 1500; round++) {
		memcpy(copy, data, n);
		size_t at = (size_t)rand() % n;
		if (round % 3 == 0)
			memset(copy + at, 0, n - at < 16 ? n - at : 16);
		else
			copy[at] ^= (uint8_t)(1u << (rand() % 8));
		rsc_initramfs *img;
		assert_int_equal(rsc_initramfs_open_memory(ctx, copy, n, "flip", &img), 0);
		unsigned count = 0;
		int r = rsc_initramfs_walk(img, count_only, NULL, &count);
		assert_true(r == 0 || r == -EBADMSG || r == -E2BIG);
		rsc_initramfs_free(img);
	}
	free(copy);
	free(data);
}

static void test_cat(void **state) {
	rsc_initramfs *img;
	assert_int_equal(rsc_initramfs_open(ctx, FX "multi.img", &img), 0);
	char tmpl[] = "/tmp/test-initramfs-cat.XXXXXX";
	int fd = mkstemp(tmpl);
	assert_true(fd >= 0);
	unlink(tmpl);
	assert_int_equal(rsc_initramfs_cat(img, "/etc/hello", fd), 0);
	char buf[64] = { 0 };
	assert_int_equal(pread(fd, buf, sizeof(buf) - 1, 0), 12);
	assert_string_equal(buf, "hello world\n");
	assert_int_equal(rsc_initramfs_cat(img, "nope", fd), -ENOENT);
	assert_int_equal(rsc_initramfs_cat(img, "etc", fd), -EISDIR);
	assert_int_equal(rsc_initramfs_cat(img, "bin", fd), -ENODEV);
	close(fd);
	rsc_initramfs_free(img);
}

static void test_extract_hostile(void **state) {
	char base[] = "/tmp/test-initramfs-x.XXXXXX";
	assert_non_null(mkdtemp(base));
	char dir[600];
	snprintf(dir, sizeof(dir), "%s/root", base);
	assert_int_equal(mkdir(dir, 0755), 0);
	int dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	assert_true(dfd >= 0);

	rsc_initramfs *img;
	assert_int_equal(rsc_initramfs_open(ctx, FX "hostile.cpio", &img), 0);
	int r = rsc_initramfs_extract(img, dfd);
	assert_int_equal(r, 1); /* some members refused */
	rsc_initramfs_free(img);

	char p[700];
	struct stat st;
	snprintf(p, sizeof(p), "%s/escape-dotdot", base);
	assert_int_not_equal(lstat(p, &st), 0);
	assert_int_not_equal(lstat("/tmp/escape-symlink", &st), 0);
	assert_int_not_equal(lstat("/escape-up", &st), 0);
	/* Absolute names land inside; symlinks used as parents resolve
	 * inside too ("link" -> /tmp means DIR/tmp). */
	snprintf(p, sizeof(p), "%s/abs-file", dir);
	assert_int_equal(lstat(p, &st), 0);
	snprintf(p, sizeof(p), "%s/ok/nested/file", dir);
	assert_int_equal(lstat(p, &st), 0);
	close(dfd);

	char cmd[700];
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", base);
	assert_int_equal(system(cmd), 0);

	/* The sample extracts whole. */
	assert_non_null(mkdtemp(strcpy(base, "/tmp/test-initramfs-x.XXXXXX")));
	dfd = open(base, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	assert_int_equal(rsc_initramfs_open(ctx, FX "sample.cpio.xz", &img), 0);
	assert_int_equal(rsc_initramfs_extract(img, dfd), 0);
	rsc_initramfs_free(img);
	snprintf(p, sizeof(p), "%s/usr/bin/tool", base);
	assert_int_equal(stat(p, &st), 0);
	assert_int_equal(st.st_size, 256 * 40);
	assert_int_equal(st.st_mode & 0777, 0755);
	snprintf(p, sizeof(p), "%s/bin", base);
	assert_int_equal(lstat(p, &st), 0);
	assert_true(S_ISLNK(st.st_mode));
	close(dfd);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", base);
	assert_int_equal(system(cmd), 0);
}

static void test_kernel_config(void **state) {
	const char *config = "# comment\nCONFIG_RD_GZIP=y\nCONFIG_RD_BZIP2=m\n# CONFIG_RD_ZSTD is not set\nCONFIG_RD_XZ=y\n";
	unsigned m = rsc_kernel_config_decompressors(config);
	assert_true(m & (1u << RSC_COMPRESSION_NONE));
	assert_true(m & (1u << RSC_COMPRESSION_GZIP));
	assert_true(m & (1u << RSC_COMPRESSION_XZ));
	assert_false(m & (1u << RSC_COMPRESSION_BZIP2));
	assert_false(m & (1u << RSC_COMPRESSION_ZSTD));
	assert_string_equal(rsc_compression_kconfig(RSC_COMPRESSION_LZ4), "CONFIG_RD_LZ4");
}

static void test_limits(void **state) {
	rsc_initramfs *img;
	assert_int_equal(rsc_initramfs_open(ctx, FX "sample.cpio.zst", &img), 0);
	rsc_initramfs_set_limits(img, 4096, 0);
	unsigned count = 0;
	assert_int_equal(rsc_initramfs_walk(img, count_only, NULL, &count), -E2BIG);
	assert_non_null(strstr(rsc_initramfs_error(img), "decompression bomb"));
	rsc_initramfs_free(img);
}

/* The summary of the root's stack names what is known and nothing else:
 * a missing VG or LV name used to read "ext4 on LVM n/a/n/a". */
static void test_stack_words(void **state) {
	static const struct {
		struct root_stack_words w;
		const char *want;
	} cases[] = {
		{ { .fstype = "ext4", .lvm = true, .vg = "vg0", .lv = "root", .luks = true, .luks_name = "luks-1" },
		  "ext4 on LVM vg0/root on LUKS luks-1" },
		{ { .fstype = "ext4", .lvm = true }, "ext4 on LVM" },
		{ { .fstype = "xfs", .lvm = true, .vg = "rhel" }, "xfs on LVM (VG rhel)" },
		{ { .fstype = "ext4", .lvm = true, .lv = "root" }, "ext4 on LVM (LV root)" },
		{ { .fstype = "btrfs", .luks = true }, "btrfs on LUKS" },
		{ { .fstype = "ext4", .device = "/dev/vdb3" }, "ext4 on /dev/vdb3" },
		{ { .fstype = "ext4", .device = "/dev/dm-3", .lvm = true }, "ext4 on LVM" },
		{ { .fstype = "ext4" }, "ext4" },
		{ { .fstype = NULL, .device = "/dev/vdb3" }, "a filesystem on /dev/vdb3" },
		{ { .fstype = "ext4", .lvm = true, .vg = "vg", .lv = "root", .luks_assumed = true, .luks = true,
		    .luks_name = "cr" },
		  "ext4 on LVM vg/root on LUKS cr (LUKS assumed from crypttab)" },
	};
	for (size_t i = 0; i < ELEMENTSOF(cases); i++) {
		_cleanup_free_ char *d = root_stack_describe(&cases[i].w);
		assert_non_null(d);
		assert_string_equal(d, cases[i].want);
		assert_null(strstr(d, "n/a"));
	}
}

/* Through the real analysis: a root named by its device node, on a block
 * device this machine has, is described with that device (it used to read
 * just "ext4"). Skipped where /dev/loop0 is not a block device. */
static void test_stack_summary_device(void **state) {
	struct stat st;
	if (stat("/dev/loop0", &st) < 0 || !S_ISBLK(st.st_mode) || access("/sys/dev/block", R_OK) < 0)
		skip();
	char dir[] = "/tmp/rescue-stack-XXXXXX";
	assert_non_null(mkdtemp(dir));
	char path[PATH_MAX];
	snprintf(path, sizeof(path), "%s/etc", dir);
	assert_int_equal(mkdir(path, 0755), 0);
	snprintf(path, sizeof(path), "%s/etc/fstab", dir);
	FILE *f = fopen(path, "we");
	assert_non_null(f);
	fputs("/dev/loop0 / ext4 defaults 0 1\n", f);
	assert_int_equal(fclose(f), 0);
	int rootfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	assert_true(rootfd >= 0);
	struct root_stack_summary sum = { 0 };
	assert_int_equal(root_stack_summary(ctx, rootfd, true, &sum), 0);
	assert_string_equal(sum.description, "ext4 on /dev/loop0");
	root_stack_summary_done(&sum);
	/* Without looking at devices, the fstab's own /dev path still names it. */
	assert_int_equal(root_stack_summary(ctx, rootfd, false, &sum), 0);
	assert_string_equal(sum.description, "ext4 on /dev/loop0");
	root_stack_summary_done(&sum);
	close(rootfd);
	unlink(path);
	snprintf(path, sizeof(path), "%s/etc", dir);
	rmdir(path);
	rmdir(dir);
}

int main(void) {
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_every_compression),
		cmocka_unit_test(test_multi_segments),
		cmocka_unit_test(test_namepad),
		cmocka_unit_test(test_squashed),
		cmocka_unit_test(test_errors),
		cmocka_unit_test(test_truncation_everywhere),
		cmocka_unit_test(test_bit_flips_and_zeros),
		cmocka_unit_test(test_cat),
		cmocka_unit_test(test_extract_hostile),
		cmocka_unit_test(test_kernel_config),
		cmocka_unit_test(test_limits),
		cmocka_unit_test(test_stack_words),
		cmocka_unit_test(test_stack_summary_device),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
