/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Reinstalling GRUB for BIOS (rescue/lib/bootfix.h): which disk of a
 * machine is written, when none is (the choice left to a person, with
 * what to check), and which bytes of it the journal saves first. The
 * machines are made up: one or two disks as diagnose describes them, and
 * the findings it would have made. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "bootfix.h"
#include "macro.h"

#define MiB (1024u * 1024u)
#define CORE 27293u   /* Debian 12's core.img for an ext4 /boot on msdos */

static struct rsc_bios_disk mbr(const char *name, bool grub_code) {
	return (struct rsc_bios_disk){ .name = (char *)name, .file = (char *)name, .size = 8192ull * MiB,
				       .table = (char *)"dos", .holds_boot = true, .readable = true,
				       .grub_code = grub_code, .first_partition = MiB };
}

static struct rsc_finding finding(enum rsc_finding_code id, enum rsc_severity sev, const char *disk) {
	static const char *const codes[] = {
		[RSC_FINDING_BIOS_BOOT_CODE_MISSING] = "bios-boot-code-missing",
		[RSC_FINDING_BIOS_BOOT_CODE_FOREIGN] = "bios-boot-code-foreign",
		[RSC_FINDING_GRUB_CORE_MISSING] = "grub-core-missing",
		[RSC_FINDING_GRUB_CORE_DAMAGED] = "grub-core-damaged",
		[RSC_FINDING_GRUB_CORE_STALE] = "grub-core-stale",
		[RSC_FINDING_GRUB_PREFIX_MISSING] = "grub-prefix-missing",
	};
	return (struct rsc_finding){ .id = id, .code = (char *)codes[id], .severity = sev, .subject = (char *)disk };
}

/* The choice, and its words (which must name what is asked for). */
static int choose(const struct rsc_bios_disk *d, size_t n, const struct rsc_finding *f, size_t nf, uint64_t core,
		  size_t *pick, const char *must_say) {
	char *why = NULL;
	*pick = 99;
	int c = bios_choose_disk(d, n, f, nf, core, pick, &why);
	if (must_say) {
		assert_non_null(why);
		if (!strstr(why, must_say))
			fail_msg("'%s' does not say '%s'", why, must_say);
	}
	free(why);
	return c;
}

static void test_one_disk_zeroed(void **state) {
	struct rsc_bios_disk d[] = { mbr("sda", false) };
	struct rsc_finding f[] = { finding(RSC_FINDING_BIOS_BOOT_CODE_MISSING, RSC_SEVERITY_ERROR, "sda") };
	size_t pick;
	assert_int_equal(choose(d, 1, f, 1, CORE, &pick, "bios-boot-code-missing: sda holds /boot"), BIOS_CHOICE_DISK);
	assert_int_equal(pick, 0);
}

static void test_nothing_to_do(void **state) {
	struct rsc_bios_disk d[] = { mbr("sda", true) };
	d[0].boots = true;
	size_t pick;
	char *why = NULL;
	assert_int_equal(bios_choose_disk(d, 1, NULL, 0, CORE, &pick, &why), BIOS_CHOICE_NONE);
	assert_null(why);
	/* Findings about other things, or about another disk, call for nothing. */
	struct rsc_finding other[] = { finding(RSC_FINDING_GRUB_CORE_DAMAGED, RSC_SEVERITY_ERROR, "sdz") };
	assert_int_equal(bios_choose_disk(d, 1, other, 1, CORE, &pick, &why), BIOS_CHOICE_NONE);
}

static void test_warning_only(void **state) {
	/* Another disk starts GRUB: a damaged core here is only a warning,
	 * and the machine boots: nothing is written. */
	struct rsc_bios_disk d[] = { mbr("sda", true), mbr("sdb", true) };
	d[1].boots = true;
	struct rsc_finding f[] = { finding(RSC_FINDING_GRUB_CORE_DAMAGED, RSC_SEVERITY_WARNING, "sda") };
	size_t pick;
	assert_int_equal(choose(d, 2, f, 1, CORE, &pick, NULL), BIOS_CHOICE_NONE);
}

static void test_each_code_calls(void **state) {
	static const enum rsc_finding_code codes[] = {
		RSC_FINDING_BIOS_BOOT_CODE_MISSING, RSC_FINDING_GRUB_CORE_MISSING, RSC_FINDING_GRUB_CORE_DAMAGED,
		RSC_FINDING_GRUB_CORE_STALE, RSC_FINDING_GRUB_PREFIX_MISSING,
	};
	for (size_t i = 0; i < ELEMENTSOF(codes); i++) {
		struct rsc_bios_disk d[] = { mbr("vda", codes[i] != RSC_FINDING_BIOS_BOOT_CODE_MISSING) };
		struct rsc_finding f[] = { finding(codes[i], RSC_SEVERITY_ERROR, "vda") };
		size_t pick;
		assert_int_equal(choose(d, 1, f, 1, CORE, &pick, f[0].code), BIOS_CHOICE_DISK);
		assert_int_equal(pick, 0);
	}
}

static void test_two_disks_ambiguous(void **state) {
	/* Both zeroed: nothing on the disks says which one the BIOS starts. */
	struct rsc_bios_disk d[] = { mbr("sda", false), mbr("sdb", false) };
	d[1].holds_boot = false;
	struct rsc_finding f[] = { finding(RSC_FINDING_BIOS_BOOT_CODE_MISSING, RSC_SEVERITY_ERROR, "sda"),
				   finding(RSC_FINDING_BIOS_BOOT_CODE_MISSING, RSC_SEVERITY_ERROR, "sdb") };
	size_t pick;
	assert_int_equal(choose(d, 2, f, 2, CORE, &pick, "which disk it boots from"), BIOS_CHOICE_HUMAN);
	assert_int_equal(pick, 99);
	/* Both with GRUB's boot sector and a damaged core: as ambiguous. */
	d[0].grub_code = d[1].grub_code = true;
	f[0] = finding(RSC_FINDING_GRUB_CORE_DAMAGED, RSC_SEVERITY_ERROR, "sda");
	f[1] = finding(RSC_FINDING_GRUB_CORE_MISSING, RSC_SEVERITY_ERROR, "sdb");
	assert_int_equal(choose(d, 2, f, 2, CORE, &pick, "sdb (grub-core-missing)"), BIOS_CHOICE_HUMAN);
	assert_int_equal(pick, 99);
}

static void test_two_disks_grub_sector_decides(void **state) {
	/* sdb still carries GRUB's boot sector (its core damaged), sda was
	 * zeroed or never had one: GRUB was installed on sdb. */
	struct rsc_bios_disk d[] = { mbr("sda", false), mbr("sdb", true) };
	d[1].holds_boot = false;
	struct rsc_finding f[] = { finding(RSC_FINDING_BIOS_BOOT_CODE_MISSING, RSC_SEVERITY_ERROR, "sda"),
				   finding(RSC_FINDING_GRUB_CORE_DAMAGED, RSC_SEVERITY_ERROR, "sdb") };
	size_t pick;
	assert_int_equal(choose(d, 2, f, 2, CORE, &pick, "GRUB's boot sector"), BIOS_CHOICE_DISK);
	assert_int_equal(pick, 1);
}

static void test_two_disks_other_boots(void **state) {
	/* The prefix of sda's core is wrong while sdb starts GRUB: sda is
	 * repaired, sdb left alone. */
	struct rsc_bios_disk d[] = { mbr("sda", true), mbr("sdb", true) };
	d[1].boots = true;
	struct rsc_finding f[] = { finding(RSC_FINDING_GRUB_PREFIX_MISSING, RSC_SEVERITY_ERROR, "sda") };
	size_t pick;
	assert_int_equal(choose(d, 2, f, 1, CORE, &pick, "sdb, starts GRUB"), BIOS_CHOICE_DISK);
	assert_int_equal(pick, 0);
	/* But when sdb's core could not be checked, nobody knows. */
	d[1].boots = false;
	assert_int_equal(choose(d, 2, f, 1, CORE, &pick, "could not be checked"), BIOS_CHOICE_HUMAN);
	/* Nor when sdb could not be read at all. */
	d[1].readable = false;
	assert_int_equal(choose(d, 2, f, 1, CORE, &pick, "sdb could not be read"), BIOS_CHOICE_HUMAN);
}

static void test_foreign_is_a_persons_choice(void **state) {
	struct rsc_bios_disk d[] = { mbr("sda", false) };
	struct rsc_finding f[] = { finding(RSC_FINDING_BIOS_BOOT_CODE_FOREIGN, RSC_SEVERITY_WARNING, "sda") };
	size_t pick;
	assert_int_equal(choose(d, 1, f, 1, CORE, &pick, "another boot loader"), BIOS_CHOICE_HUMAN);
	/* Another loader on one disk, a broken GRUB on the other. */
	struct rsc_bios_disk two[] = { mbr("sda", false), mbr("sdb", true) };
	struct rsc_finding g[] = { finding(RSC_FINDING_BIOS_BOOT_CODE_FOREIGN, RSC_SEVERITY_WARNING, "sda"),
				   finding(RSC_FINDING_GRUB_CORE_DAMAGED, RSC_SEVERITY_ERROR, "sdb") };
	assert_int_equal(choose(two, 2, g, 2, CORE, &pick, "which disk the firmware boots from"), BIOS_CHOICE_HUMAN);
	assert_int_equal(pick, 99);
}

static void test_no_room(void **state) {
	struct rsc_finding f[] = { finding(RSC_FINDING_BIOS_BOOT_CODE_MISSING, RSC_SEVERITY_ERROR, "sda") };
	size_t pick;
	/* A first partition at sector 34: GRUB's core does not fit before it. */
	struct rsc_bios_disk d[] = { mbr("sda", false) };
	d[0].first_partition = 34 * 512;
	assert_int_equal(choose(d, 1, f, 1, CORE, &pick, "too small"), BIOS_CHOICE_HUMAN);
	/* The old 63-sector gap holds it. */
	d[0].first_partition = 63 * 512;
	assert_int_equal(choose(d, 1, f, 1, CORE, &pick, NULL), BIOS_CHOICE_DISK);
	/* GPT without a BIOS boot partition: grub-install would need --force. */
	d[0].table = (char *)"gpt";
	d[0].first_partition = MiB;
	assert_int_equal(choose(d, 1, f, 1, CORE, &pick, "BIOS boot partition"), BIOS_CHOICE_HUMAN);
	d[0].bios_boot_offset = MiB;
	d[0].bios_boot_size = MiB;
	assert_int_equal(choose(d, 1, f, 1, CORE, &pick, NULL), BIOS_CHOICE_DISK);
	/* No partition table at all (a filesystem on the whole disk). */
	d[0].table = NULL;
	assert_int_equal(choose(d, 1, f, 1, CORE, &pick, "no partition table"), BIOS_CHOICE_HUMAN);
}

static void test_ranges_mbr(void **state) {
	struct rsc_disk_range g[2];
	struct rsc_bios_disk d = mbr("sda", true);
	/* The usual 1 MiB gap: all of it, sector 0 included. */
	assert_int_equal(bios_disk_ranges(&d, g), 1);
	assert_int_equal(g[0].offset, 0);
	assert_int_equal(g[0].length, MiB);
	/* An old 63-sector gap: up to the first partition, never into it. */
	d.first_partition = 63 * 512;
	assert_int_equal(bios_disk_ranges(&d, g), 1);
	assert_int_equal(g[0].length, 63 * 512);
	/* A far first partition: the first MiB holds anything GRUB embeds. */
	d.first_partition = 100 * MiB;
	assert_int_equal(bios_disk_ranges(&d, g), 1);
	assert_int_equal(g[0].length, MiB);
	/* No partition yet: the first MiB (or the whole, smaller, disk). */
	d.first_partition = 0;
	d.size = 300 * 1024;
	assert_int_equal(bios_disk_ranges(&d, g), 1);
	assert_int_equal(g[0].length, 300 * 1024);
}

static void test_ranges_gpt(void **state) {
	struct rsc_disk_range g[2];
	struct rsc_bios_disk d = mbr("nvme0n1", true);
	d.table = (char *)"gpt";
	d.bios_boot_offset = 2048 * 512;
	d.bios_boot_size = MiB;
	/* The protective MBR (boot code) and the BIOS boot partition; not
	 * the GPT header and entries between them. */
	assert_int_equal(bios_disk_ranges(&d, g), 2);
	assert_int_equal(g[0].offset, 0);
	assert_int_equal(g[0].length, 512);
	assert_int_equal(g[1].offset, 2048 * 512);
	assert_int_equal(g[1].length, MiB);
	d.bios_boot_size = 0;
	assert_int_equal(bios_disk_ranges(&d, g), -EINVAL);
	d.table = NULL;
	assert_int_equal(bios_disk_ranges(&d, g), -EINVAL);
}

static void test_journal_disk_line(void **state) {
	struct journal_disk_line dl;
	char ok[] = "/tmp/my disk.img 0 2936012800 0 1048576 3735928559 1";
	assert_int_equal(journal_disk_line_parse(ok, &dl), 0);
	assert_string_equal(dl.file, "/tmp/my disk.img");
	assert_string_equal(dl.name, "1");
	assert_int_equal(dl.file_size, 2936012800ull);
	assert_int_equal(dl.length, MiB);
	assert_int_equal(dl.table_crc, 0xdeadbeef);
	char gpt[] = "/dev/vda 0 8589934592 1048576 1048576 0 12";
	assert_int_equal(journal_disk_line_parse(gpt, &dl), 0);
	assert_int_equal(dl.offset, MiB);
	/* Damaged lines: cut short, not numbers, a range past the disk or too
	 * big to read back, a copy outside the journal. */
	const char *bad[] = {
		"/dev/vda 0 8589934592 0 1048576 7", "/dev/vda 0 8589934592 0 -1 7 1", "/dev/vda 0 x 0 512 7 1",
		"/dev/vda 0 1000 0 1048576 7 1", "/dev/vda 0 8589934592 0 0 7 1", "/dev/vda 0 8589934592 0 134217728 7 1",
		"/dev/vda 0 8589934592 0 512 7 ../../etc/passwd", "/dev/vda 18446744073709551615 8589934592 1 512 7 1",
		" 0 8589934592 0 512 7 1", "/dev/vda 0 8589934592 0 512 7 .1", "/dev/vda 0 8589934592 0 512 4294967296 1",
	};
	for (size_t i = 0; i < ELEMENTSOF(bad); i++) {
		char *l = strdup(bad[i]);
		assert_non_null(l);
		if (journal_disk_line_parse(l, &dl) != -EBADMSG)
			fail_msg("accepted: %s", bad[i]);
		free(l);
	}
}

int main(void) {
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_one_disk_zeroed),
		cmocka_unit_test(test_nothing_to_do),
		cmocka_unit_test(test_warning_only),
		cmocka_unit_test(test_each_code_calls),
		cmocka_unit_test(test_two_disks_ambiguous),
		cmocka_unit_test(test_two_disks_grub_sector_decides),
		cmocka_unit_test(test_two_disks_other_boots),
		cmocka_unit_test(test_foreign_is_a_persons_choice),
		cmocka_unit_test(test_no_room),
		cmocka_unit_test(test_ranges_mbr),
		cmocka_unit_test(test_ranges_gpt),
		cmocka_unit_test(test_journal_disk_line),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
