/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* UEFI boot entries (rescue/lib/efiboot.h): EFI_LOAD_OPTIONs built here
 * byte by byte as the UEFI specification lays them out (what efibootmgr
 * and firmware write), a made-up efivarfs directory with Boot#### and
 * BootOrder, and malformed variables, which are refused, never read past
 * their end. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "efiboot.h"

#define GLOBAL "8be4df61-93ca-11d2-aa0d-00e098032b8c"

struct buf {
	uint8_t b[1024];
	size_t n;
};

static void put8(struct buf *b, uint8_t v) {
	b->b[b->n++] = v;
}
static void put16(struct buf *b, uint16_t v) {
	put8(b, v & 0xff), put8(b, v >> 8);
}
static void put32(struct buf *b, uint32_t v) {
	put16(b, v & 0xffff), put16(b, v >> 16);
}
static void put64(struct buf *b, uint64_t v) {
	put32(b, (uint32_t)v), put32(b, (uint32_t)(v >> 32));
}
static void put_ucs2(struct buf *b, const char *s) {
	for (; *s; s++)
		put16(b, (uint8_t)*s);
	put16(b, 0);
}

/* A load option: PCI and hard-drive nodes (partition 1 of a GPT disk, the
 * GUID as bytes in the mixed-endian form UEFI uses), a file path, the end. */
static void load_option(struct buf *b, uint32_t attr, const char *desc, const char *path) {
	struct buf dp = { .n = 0 };
	put8(&dp, 1), put8(&dp, 1), put16(&dp, 6), put8(&dp, 0), put8(&dp, 2);   /* hardware / PCI */
	put8(&dp, 4), put8(&dp, 1), put16(&dp, 42);
	put32(&dp, 1), put64(&dp, 2048), put64(&dp, 1048576);
	/* c12a7328-f81f-11d2-ba4b-00a0c93ec93b */
	static const uint8_t g[16] = { 0x28, 0x73, 0x2a, 0xc1, 0x1f, 0xf8, 0xd2, 0x11,
				       0xba, 0x4b, 0x00, 0xa0, 0xc9, 0x3e, 0xc9, 0x3b };
	memcpy(dp.b + dp.n, g, 16), dp.n += 16;
	put8(&dp, 2), put8(&dp, 2);
	if (path) {
		struct buf f = { .n = 0 };
		put_ucs2(&f, path);
		put8(&dp, 4), put8(&dp, 4), put16(&dp, (uint16_t)(4 + f.n));
		memcpy(dp.b + dp.n, f.b, f.n), dp.n += f.n;
	}
	put8(&dp, 0x7f), put8(&dp, 0xff), put16(&dp, 4);
	put32(b, attr);
	put16(b, (uint16_t)dp.n);
	put_ucs2(b, desc);
	memcpy(b->b + b->n, dp.b, dp.n), b->n += dp.n;
}

static void test_parse(void **state) {
	struct buf b = { .n = 0 };
	load_option(&b, EFI_LOAD_OPTION_ACTIVE, "debian", "\\EFI\\debian\\shimx64.efi");
	struct efi_boot_entry e;
	assert_int_equal(efi_load_option_parse(b.b, b.n, &e), 0);
	assert_int_equal(e.attributes, EFI_LOAD_OPTION_ACTIVE);
	assert_string_equal(e.description, "debian");
	assert_true(e.has_partition);
	assert_int_equal(e.partno, 1);
	assert_string_equal(e.part_uuid, "c12a7328-f81f-11d2-ba4b-00a0c93ec93b");
	assert_string_equal(e.path, "/EFI/debian/shimx64.efi");
	efi_boot_entry_done(&e);

	/* A firmware application: no partition, no file. */
	b.n = 0;
	put32(&b, 1), put16(&b, 4), put_ucs2(&b, "EFI Internal Shell"), put8(&b, 0x7f), put8(&b, 0xff), put16(&b, 4);
	assert_int_equal(efi_load_option_parse(b.b, b.n, &e), 0);
	assert_false(e.has_partition);
	assert_null(e.path);
	efi_boot_entry_done(&e);
}

/* Every truncation of a valid option, and lengths that point past the
 * end, are refused. */
static void test_malformed(void **state) {
	struct buf b = { .n = 0 };
	load_option(&b, 1, "debian", "\\EFI\\debian\\grubx64.efi");
	struct efi_boot_entry e;
	for (size_t n = 0; n < b.n; n++) {
		uint8_t *copy = malloc(n ? n : 1);
		memcpy(copy, b.b, n);
		assert_int_equal(efi_load_option_parse(copy, n, &e), -EBADMSG);
		free(copy);
	}
	struct buf bad = b;
	bad.b[4] = 0xff, bad.b[5] = 0x7f;   /* FilePathListLength beyond the data */
	assert_int_equal(efi_load_option_parse(bad.b, bad.n, &e), -EBADMSG);
	bad = b;
	size_t dp = 6 + 2 * (strlen("debian") + 1);
	bad.b[dp + 2] = 2, bad.b[dp + 3] = 0;   /* a node shorter than its header */
	assert_int_equal(efi_load_option_parse(bad.b, bad.n, &e), -EBADMSG);
	/* A description with control characters is shown with '?'. */
	bad.n = 0;
	put32(&bad, 1), put16(&bad, 4), put16(&bad, 'a'), put16(&bad, 0x1b), put16(&bad, 0x263a), put16(&bad, 0);
	put8(&bad, 0x7f), put8(&bad, 0xff), put16(&bad, 4);
	assert_int_equal(efi_load_option_parse(bad.b, bad.n, &e), 0);
	assert_string_equal(e.description, "a??");
	efi_boot_entry_done(&e);
}

static void write_var(const char *dir, const char *name, const uint8_t *data, size_t n) {
	char p[512];
	snprintf(p, sizeof(p), "%s/%s", dir, name);
	FILE *f = fopen(p, "we");
	assert_non_null(f);
	static const uint8_t attrs[4] = { 7, 0, 0, 0 };
	fwrite(attrs, 1, 4, f);
	fwrite(data, 1, n, f);
	fclose(f);
}

static void test_read_dir(void **state) {
	char dir[] = "/tmp/test-efiboot.XXXXXX";
	assert_non_null(mkdtemp(dir));
	struct buf b = { .n = 0 };
	load_option(&b, 1, "debian", "\\EFI\\debian\\shimx64.efi");
	write_var(dir, "Boot0003-" GLOBAL, b.b, b.n);
	b.n = 0;
	load_option(&b, 0, "old", "\\EFI\\old\\grubx64.efi");
	write_var(dir, "Boot000A-" GLOBAL, b.b, b.n);
	write_var(dir, "Boot0004-" GLOBAL, (const uint8_t *)"\1\0\0", 3);            /* malformed: skipped */
	write_var(dir, "Boot0005-01234567-0000-0000-0000-000000000000", b.b, b.n); /* another vendor's */
	write_var(dir, "BootCurrent-" GLOBAL, (const uint8_t *)"\3\0", 2);
	write_var(dir, "BootOrder-" GLOBAL, (const uint8_t *)"\x0a\0\x07\0\x03\0", 6);
	struct efi_boot_entry *e = NULL;
	size_t n = 0;
	assert_int_equal(efi_boot_entries_read(dir, &e, &n), 0);
	assert_int_equal(n, 2);
	for (size_t i = 0; i < n; i++) {
		if (e[i].number == 3) {
			assert_string_equal(e[i].description, "debian");
			assert_int_equal(e[i].order, 2);
		} else {
			assert_int_equal(e[i].number, 10);
			assert_int_equal(e[i].order, 0);
			assert_int_equal(e[i].attributes, 0);
		}
	}
	efi_boot_entries_free(e, n);
	char cmd[600];
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	assert_int_equal(system(cmd), 0);
	assert_int_equal(efi_boot_entries_read(dir, &e, &n), -ENOENT);
}

/* The builder makes, byte for byte, the load option laid out above by
 * hand (without its PCI node: an entry names the partition alone), and
 * refuses what firmware could not read back. */
static void test_build(void **state) {
	struct buf want = { .n = 0 };
	load_option(&want, 1, "debian", "\\EFI\\debian\\shimx64.efi");
	/* Drop the 6-byte PCI node and shorten the list length by it. */
	size_t at = 4 + 2 + 2 * 7;
	memmove(want.b + at, want.b + at + 6, want.n - at - 6);
	want.n -= 6;
	want.b[4] = (uint8_t)(want.b[4] - 6);
	uint8_t *b = NULL;
	size_t n = 0;
	const char *guid = "c12a7328-f81f-11d2-ba4b-00a0c93ec93b";
	assert_int_equal(efi_load_option_build("debian", 1, 2048 * 512, 1048576ull * 512, guid, "/EFI/debian/shimx64.efi",
					       &b, &n), 0);
	assert_int_equal(n, want.n);
	assert_memory_equal(b, want.b, n);
	/* And the parser reads it as written. */
	struct efi_boot_entry e;
	assert_int_equal(efi_load_option_parse(b, n, &e), 0);
	assert_int_equal(e.attributes, EFI_LOAD_OPTION_ACTIVE);
	assert_string_equal(e.description, "debian");
	assert_int_equal(e.partno, 1);
	assert_string_equal(e.part_uuid, guid);
	assert_string_equal(e.path, "/EFI/debian/shimx64.efi");
	efi_boot_entry_done(&e);
	free(b);
	/* Backslashes and a path without its leading separator: the same. */
	assert_int_equal(efi_load_option_build("debian", 1, 2048 * 512, 1048576ull * 512, guid, "EFI\\debian\\shimx64.efi",
					       &b, &n), 0);
	assert_int_equal(n, want.n);
	assert_memory_equal(b, want.b, n);
	free(b);
	b = NULL;
	/* Refused: text firmware shows as UCS-2 from ASCII only, a GUID that
	 * does not parse, places not in 512-byte sectors, partition 0. */
	assert_int_equal(efi_load_option_build("d\xc3\xa9" "bian", 1, 512, 512, guid, "/a.efi", &b, &n), -EINVAL);
	assert_int_equal(efi_load_option_build("debian", 1, 512, 512, guid, "/a\n.efi", &b, &n), -EINVAL);
	assert_int_equal(efi_load_option_build("debian", 1, 512, 512, "c12a7328-f81f-11d2-ba4b-00a0c93ec93", "/a.efi", &b,
					       &n), -EINVAL);
	assert_int_equal(efi_load_option_build("debian", 1, 512, 512, "c12a7328-f81f-11d2-ba4b-00a0c93ec93bx", "/a.efi", &b,
					       &n), -EINVAL);
	assert_int_equal(efi_load_option_build("debian", 1, 513, 512, guid, "/a.efi", &b, &n), -EINVAL);
	assert_int_equal(efi_load_option_build("debian", 0, 512, 512, guid, "/a.efi", &b, &n), -EINVAL);
	assert_int_equal(efi_load_option_build("debian", 1, 512, 512, guid, "", &b, &n), -EINVAL);
	assert_null(b);
}

/* Variables written, read and removed whole in a made-up store; the
 * lowest free Boot#### counts malformed entries as taken. */
static void test_vars(void **state) {
	char dir[] = "/tmp/test-efiboot.XXXXXX";
	assert_non_null(mkdtemp(dir));
	assert_int_equal(efi_boot_free_number(dir), 0);
	write_var(dir, "Boot0000-" GLOBAL, (const uint8_t *)"\1\0\0", 3);
	write_var(dir, "Boot0001-" GLOBAL, (const uint8_t *)"\1\0\0", 3);
	write_var(dir, "Boot0003-" GLOBAL, (const uint8_t *)"\1\0\0", 3);
	assert_int_equal(efi_boot_free_number(dir), 2);
	const uint8_t order[] = { 7, 0, 0, 0, 3, 0, 1, 0 };
	assert_int_equal(efi_var_set(dir, "BootOrder-" GLOBAL, order, sizeof(order)), 0);
	uint8_t *got = NULL;
	size_t n = 0;
	assert_int_equal(efi_var_get(dir, "BootOrder-" GLOBAL, &got, &n), 0);
	assert_int_equal(n, sizeof(order));
	assert_memory_equal(got, order, n);
	free(got);
	/* A shorter value replaces the longer one whole. */
	assert_int_equal(efi_var_set(dir, "BootOrder-" GLOBAL, order, 6), 0);
	assert_int_equal(efi_var_get(dir, "BootOrder-" GLOBAL, &got, &n), 0);
	assert_int_equal(n, 6);
	free(got);
	assert_int_equal(efi_var_set(dir, "BootOrder-" GLOBAL, order, 3), -EINVAL);
	assert_int_equal(efi_var_remove(dir, "BootOrder-" GLOBAL), 0);
	assert_int_equal(efi_var_get(dir, "BootOrder-" GLOBAL, &got, &n), -ENOENT);
	assert_int_equal(efi_var_remove(dir, "BootOrder-" GLOBAL), 0);
	/* A made-up store is writable unless told otherwise. */
	assert_true(efi_vars_writable(dir));
	setenv("RESCUE_EFIVARS_READONLY", "1", 1);
	assert_false(efi_vars_writable(dir));
	unsetenv("RESCUE_EFIVARS_READONLY");
	assert_false(efi_vars_writable("/nonexistent"));
	char cmd[600];
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	assert_int_equal(system(cmd), 0);
}

int main(void) {
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse),
		cmocka_unit_test(test_malformed),
		cmocka_unit_test(test_read_dir),
		cmocka_unit_test(test_build),
		cmocka_unit_test(test_vars),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
