/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Boot loader configuration (rescue/lib/boot.h): menu entries of grub.cfg
 * files as grub-mkconfig writes them on Debian and Fedora, the ESP stubs
 * that only load the real config, and BLS snippets. Fixtures are in
 * tests/fixtures/files. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "boot.h"
#include "macro.h"

#define FX FIXTURES "/files/"

static rsc_context *ctx;
static char logbuf[1 << 14];
static size_t loglen;
static unsigned n_warnings;

static void capture(void *userdata, int level, const char *message) {
	if (level <= RSC_LOG_WARNING)
		n_warnings++;
	int k = snprintf(logbuf + loglen, sizeof(logbuf) - loglen, "<%d>%s\n", level, message);
	if (k > 0 && (size_t)k < sizeof(logbuf) - loglen)
		loglen += (size_t)k;
}

static int setup(void **state) {
	int r = rsc_context_new(&ctx);
	if (r < 0)
		return r;
	rsc_context_set_log(ctx, capture, NULL);
	return 0;
}
static int teardown(void **state) {
	rsc_context_free(ctx);
	return 0;
}
static int reset(void **state) {
	logbuf[0] = 0;
	loglen = 0;
	n_warnings = 0;
	return 0;
}

static void assert_warned(const char *s) {
	if (!strstr(logbuf, s))
		fail_msg("no message contains \"%s\"; log:\n%s", s, logbuf);
}

static char *fixture(const char *name) {
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
	buf[n] = 0;
	return buf;
}

static void entries_free(struct rsc_boot_entry *e, size_t n) {
	for (size_t i = 0; i < n; i++) {
		free(e[i].source);
		free(e[i].title);
		free(e[i].kernel);
		free(e[i].initrd);
		free(e[i].options);
	}
	free(e);
}

/* ---- grub.cfg menu entries ---- */

static void test_grub_debian12(void **state) {
	_cleanup_free_ char *text = fixture("grub.cfg-debian12");
	struct rsc_boot_entry *e = NULL;
	size_t n = 0;
	assert_int_equal(grub_cfg_entries(ctx, text, "/boot/grub/grub.cfg", &e, &n), 0);
	assert_int_equal(n, 6);
	static const char *const titles[] = {
		"Debian GNU/Linux",
		"Debian GNU/Linux, with Linux 6.1.0-13-amd64",
		"Debian GNU/Linux, with Linux 6.1.0-13-amd64 (recovery mode)",
		"Debian GNU/Linux, with Linux 6.1.0-12-amd64",
		"Debian GNU/Linux, with Linux 6.1.0-11-amd64",
		"UEFI Firmware Settings",
	};
	for (size_t i = 0; i < n; i++) {
		assert_string_equal(e[i].title, titles[i]);
		assert_string_equal(e[i].source, "/boot/grub/grub.cfg");
	}
	assert_string_equal(e[0].kernel, "/vmlinuz-6.1.0-13-amd64");
	assert_string_equal(e[0].initrd, "/initrd.img-6.1.0-13-amd64");
	assert_string_equal(e[0].options, "root=/dev/mapper/vg0-root ro quiet");
	assert_string_equal(e[2].options, "root=/dev/mapper/vg0-root ro single");
	/* The entry update-grub wrote without an initrd line. */
	assert_string_equal(e[3].kernel, "/vmlinuz-6.1.0-12-amd64");
	assert_null(e[3].initrd);
	assert_string_equal(e[4].initrd, "/initrd.img-6.1.0-11-amd64");
	/* After the submenu closed: the firmware entry has no kernel. */
	assert_null(e[5].kernel);
	assert_null(e[5].initrd);
	assert_int_equal(n_warnings, 0);
	entries_free(e, n);
}

static void test_grub_fedora39_blscfg(void **state) {
	_cleanup_free_ char *text = fixture("grub.cfg-fedora39");
	struct rsc_boot_entry *e = NULL;
	size_t n = 0;
	assert_int_equal(grub_cfg_entries(ctx, text, "/boot/grub2/grub.cfg", &e, &n), 0);
	/* The kernels come from blscfg at boot: the file itself holds only
	 * the firmware entry. */
	assert_int_equal(n, 1);
	assert_string_equal(e[0].title, "UEFI Firmware Settings");
	assert_null(e[0].kernel);
	assert_int_equal(n_warnings, 0);
	entries_free(e, n);
}

static void test_grub_variants(void **state) {
	static const char text[] =
		"function load_video {\n"
		"  linux /not-an-entry\n"                          /* outside any menuentry */
		"}\n"
		"menuentry 'Red Hat Enterprise Linux Server (3.10.0-1160.el7.x86_64) 7.9 (Maipo)' --class red "
		"--unrestricted $menuentry_id_option 'gnulinux-3.10.0-1160.el7.x86_64-advanced-abc' {\n"
		"\tlinux16 /vmlinuz-3.10.0-1160.el7.x86_64 root=/dev/mapper/rhel-root ro crashkernel=auto "
		"rd.lvm.lv=rhel/root rhgb quiet LANG=en_US.UTF-8\n"
		"\tinitrd16 /initramfs-3.10.0-1160.el7.x86_64.img\n"
		"}\n"
		"menuentry \"openSUSE Tumbleweed\" {\n"
		"\tlinuxefi /boot/vmlinuz-6.6.1-1-default root=/dev/mapper/cr_root  splash=silent quiet\n"
		"\tinitrdefi /boot/initrd-6.6.1-1-default\n"
		"}\n"
		"menuentry 'Arch Linux' {\n"
		"\tinitrd\t/intel-ucode.img /amd-ucode.img /initramfs-linux.img\n"  /* microcode first */
		"\tlinux\t/vmlinuz-linux root=UUID=3e2d rw\n"
		"}\n"
		"menuentry 'RHEL 9 tuned' {\n"
		"\tlinux ($root)/vmlinuz-5.14.0 root=/dev/mapper/rhel-root $tuned_params\n"
		"\tinitrd ($root)/initramfs-5.14.0.img $tuned_initrd\n"
		"}\n"
		"submenu 'Outer' {\n"
		"  submenu 'Inner' {\n"
		"    menuentry 'Deep { brace } title' {\n"
		"      linux /vmlinuz-deep\n"
		"    }\n"
		"  }\n"
		"  menuentry 'After inner' {\n"
		"    linux /vmlinuz-after\n"
		"  }\n"
		"}\n"
		"linux /vmlinuz-stray\n";                          /* after every block closed */
	struct rsc_boot_entry *e = NULL;
	size_t n = 0;
	assert_int_equal(grub_cfg_entries(ctx, text, "grub.cfg", &e, &n), 0);
	assert_int_equal(n, 6);
	assert_string_equal(e[0].title, "Red Hat Enterprise Linux Server (3.10.0-1160.el7.x86_64) 7.9 (Maipo)");
	assert_string_equal(e[0].kernel, "/vmlinuz-3.10.0-1160.el7.x86_64");
	assert_string_equal(e[0].initrd, "/initramfs-3.10.0-1160.el7.x86_64.img");
	assert_string_equal(e[1].kernel, "/boot/vmlinuz-6.6.1-1-default");
	assert_string_equal(e[1].initrd, "/boot/initrd-6.6.1-1-default");
	assert_string_equal(e[1].options, "root=/dev/mapper/cr_root splash=silent quiet");
	assert_string_equal(e[2].initrd, "/initramfs-linux.img");
	assert_string_equal(e[2].kernel, "/vmlinuz-linux");
	assert_string_equal(e[3].kernel, "($root)/vmlinuz-5.14.0");
	assert_string_equal(e[3].options, "root=/dev/mapper/rhel-root $tuned_params");
	assert_string_equal(e[3].initrd, "($root)/initramfs-5.14.0.img");
	assert_string_equal(e[4].title, "Deep { brace } title");
	assert_string_equal(e[4].kernel, "/vmlinuz-deep");
	assert_string_equal(e[5].title, "After inner");
	assert_string_equal(e[5].kernel, "/vmlinuz-after");
	assert_int_equal(n_warnings, 0);
	entries_free(e, n);
}

/* Entries of a second file are appended to the first's. */
static void test_grub_appends(void **state) {
	struct rsc_boot_entry *e = NULL;
	size_t n = 0;
	assert_int_equal(grub_cfg_entries(ctx, "menuentry one {\nlinux /a\n}\n", "a.cfg", &e, &n), 0);
	assert_int_equal(bls_entry_parse(ctx, "title two\nlinux /b\n", "b.conf", &e, &n), 0);
	assert_int_equal(grub_cfg_entries(ctx, "menuentry three {\nlinux /c\n}\n", "c.cfg", &e, &n), 0);
	assert_int_equal(n, 3);
	assert_string_equal(e[0].source, "a.cfg");
	assert_string_equal(e[1].source, "b.conf");
	assert_string_equal(e[2].title, "three");
	entries_free(e, n);
}

static void test_grub_damaged(void **state) {
	/* Cut in the middle of an entry, as a full /boot leaves it. */
	static const char truncated[] = "menuentry 'Fedora Linux' {\n\tlinux /vmlinuz-6.5.6 root=UUID=c4b3 ro\n\tinitrd /initramfs-6.5";
	struct rsc_boot_entry *e = NULL;
	size_t n = 0;
	assert_int_equal(grub_cfg_entries(ctx, truncated, "/boot/grub2/grub.cfg", &e, &n), 0);
	assert_int_equal(n, 1);
	assert_string_equal(e[0].initrd, "/initramfs-6.5");
	assert_warned("/boot/grub2/grub.cfg: ends inside a menuentry block: the file looks truncated");
	entries_free(e, n);
	e = NULL, n = 0;

	static const char binary[] = "menuentry 'ok' {\nlinux /vmlinuz\n}\n\x7f" "ELF\x01\x02\n"
				     "menuentry '\xff\xfe' {\n}\n}\n}\n";
	reset(NULL);
	assert_int_equal(grub_cfg_entries(ctx, binary, "/boot/grub/grub.cfg", &e, &n), 0);
	assert_int_equal(n, 1);
	assert_string_equal(e[0].title, "ok");
	assert_warned("/boot/grub/grub.cfg: 2 line(s) with control characters or invalid UTF-8 skipped (first: line 4)");
	entries_free(e, n);
	e = NULL, n = 0;

	/* Unbalanced closing braces and empty words are harmless. */
	reset(NULL);
	assert_int_equal(grub_cfg_entries(ctx, "}\n}\nmenuentry\n{\n\"\"\n''\nlinux\ninitrd\n", "x", &e, &n), 0);
	assert_int_equal(n, 1);
	assert_null(e[0].title);
	assert_null(e[0].kernel);
	entries_free(e, n);
}

/* Many entries, appended one at a time, in linear time (also under ASan,
 * whose realloc always copies); and one line of a million words. */
static void test_grub_large(void **state) {
	size_t n = 100000;
	static const char one[] = "menuentry 'a' {\nlinux /v\n}\n";
	_cleanup_free_ char *text = malloc(n * (sizeof(one) - 1) + 1);
	assert_non_null(text);
	for (size_t i = 0; i < n; i++)
		memcpy(text + i * (sizeof(one) - 1), one, sizeof(one) - 1);
	text[n * (sizeof(one) - 1)] = 0;
	struct rsc_boot_entry *e = NULL;
	size_t k = 0;
	assert_int_equal(grub_cfg_entries(ctx, text, "big.cfg", &e, &k), 0);
	assert_int_equal(k, n);
	assert_string_equal(e[n - 1].kernel, "/v");
	entries_free(e, k);

	size_t words = 1000000;
	_cleanup_free_ char *line = malloc(words * 2 + 64);
	assert_non_null(line);
	size_t off = (size_t)sprintf(line, "menuentry x {\nlinux /vmlinuz");
	for (size_t i = 0; i < words; i++) {
		memcpy(line + off, " a", 2);
		off += 2;
	}
	strcpy(line + off, "\n}\n");
	e = NULL, k = 0;
	assert_int_equal(grub_cfg_entries(ctx, line, "long.cfg", &e, &k), 0);
	assert_int_equal(k, 1);
	assert_int_equal(strlen(e[0].options), words * 2 - 1);
	entries_free(e, k);
}

/* ---- ESP stubs ---- */

static void test_classify_stubs(void **state) {
	static const struct {
		const char *file, *uuid;
	} stubs[] = {
		{ "esp-stub-fedora.cfg", "9e8d7c6b-5a4f-4e3d-8c2b-1a0f9e8d7c6b" },
		{ "esp-stub-debian.cfg", "2b0e6d5c-7f1a-4c3e-9d8b-5a4f3e2d1c0b" },
		{ "esp-stub-opensuse.cfg", "1d2c3b4a-5e6f-4a7b-8c9d-0e1f2a3b4c5d" },
	};
	for (size_t i = 0; i < ELEMENTSOF(stubs); i++) {
		_cleanup_free_ char *text = fixture(stubs[i].file);
		_cleanup_free_ char *uuid = NULL;
		assert_string_equal(grub_cfg_classify(text, &uuid), "stub");
		assert_non_null(uuid);
		assert_string_equal(uuid, stubs[i].uuid);
	}
}

static void test_classify_full(void **state) {
	static const char *const files[] = { "grub.cfg-debian12", "grub.cfg-fedora39" };
	for (size_t i = 0; i < ELEMENTSOF(files); i++) {
		_cleanup_free_ char *text = fixture(files[i]);
		char *uuid = (char *)"untouched";
		assert_string_equal(grub_cfg_classify(text, &uuid), "full");
		assert_null(uuid);
	}
	/* The full config written over the stub by mistake (the Fedora
	 * breakage the profile warns about) has entries: full. */
	char *uuid = NULL;
	assert_string_equal(grub_cfg_classify("search --fs-uuid --set=root 1234\nconfigfile /grub2/grub.cfg\n"
					      "menuentry 'x' {\n}\n", &uuid), "full");
	assert_null(uuid);
	/* A Fedora BLS config without menuentry lines: blscfg makes it full. */
	assert_string_equal(grub_cfg_classify("insmod blscfg\nblscfg\n", &uuid), "full");
	assert_null(uuid);
	assert_string_equal(grub_cfg_classify("", &uuid), "full");
	assert_null(uuid);
}

static void test_classify_search_forms(void **state) {
	_cleanup_free_ char *a = NULL, *b = NULL, *c = NULL, *d = NULL;
	/* --hint=... and --set=... take their value in the same word. */
	assert_string_equal(grub_cfg_classify("search --no-floppy --fs-uuid --set=root --hint='hd0,gpt2' "
					      "aaaa-bbbb\nconfigfile ($root)/grub/grub.cfg\n", &a), "stub");
	assert_string_equal(a, "aaaa-bbbb");
	/* -u is --fs-uuid; the first UUID wins. */
	assert_string_equal(grub_cfg_classify("search -u --set=dev 1111\nsearch -u --set=dev 2222\n"
					      "configfile ($dev)/grub2/grub.cfg\n", &b), "stub");
	assert_string_equal(b, "1111");
	/* A stub that searches by label: a stub, with no UUID to report. */
	assert_string_equal(grub_cfg_classify("search --no-floppy --label --set=root rootfs\n"
					      "configfile ($root)/boot/grub2/grub.cfg\n", &c), "stub");
	assert_null(c);
	/* Garbage around a real stub does not hide it. */
	assert_string_equal(grub_cfg_classify("\x01\x02\x03\n\xff\nsearch.fs_uuid cafe root\n\"unterminated\n"
					      "configfile $prefix/grub.cfg\n", &d), "stub");
	assert_string_equal(d, "cafe");
}

/* ---- BLS ---- */

static void test_bls_fedora(void **state) {
	_cleanup_free_ char *text = fixture("bls-fedora39.conf");
	struct rsc_boot_entry *e = NULL;
	size_t n = 0;
	assert_int_equal(bls_entry_parse(ctx, text, "3f9a-6.5.12-300.fc39.x86_64.conf", &e, &n), 0);
	assert_int_equal(n, 1);
	assert_string_equal(e[0].source, "3f9a-6.5.12-300.fc39.x86_64.conf");
	assert_string_equal(e[0].title, "Fedora Linux (6.5.12-300.fc39.x86_64) 39 (Workstation Edition)");
	assert_string_equal(e[0].kernel, "/vmlinuz-6.5.12-300.fc39.x86_64");
	assert_string_equal(e[0].initrd, "/initramfs-6.5.12-300.fc39.x86_64.img");
	assert_string_equal(e[0].options, "root=UUID=c4b3a291-8f7e-4d6c-b5a4-93827160f5e4 ro rootflags=subvol=root "
					  "rd.luks.uuid=luks-6a5b4c3d-2e1f-4a0b-9c8d-7e6f5a4b3c2d rhgb quiet");
	assert_int_equal(n_warnings, 0);
	entries_free(e, n);
}

static void test_bls_variants(void **state) {
	static const char text[] =
		"# written by kernel-install\n"
		"\n"
		"  title\tRed Hat Enterprise Linux (4.18.0-513.5.1.el8_9.x86_64) 8.9 (Ootpa)  \n"
		"version 4.18.0-513.5.1.el8_9.x86_64\n"
		"linux /vmlinuz-4.18.0-513.5.1.el8_9.x86_64\n"
		"initrd /early_ucode.cpio\n"
		"initrd /initramfs-4.18.0-513.5.1.el8_9.x86_64.img $tuned_initrd\n"
		"options $kernelopts $tuned_params\n"
		"id rhel-20231103000000-4.18.0-513.5.1.el8_9.x86_64\n"
		"grub_users $grub_users\n"
		"grub_arg --unrestricted\n"
		"grub_class kernel\n";
	struct rsc_boot_entry *e = NULL;
	size_t n = 0;
	assert_int_equal(bls_entry_parse(ctx, text, "x.conf", &e, &n), 0);
	assert_int_equal(n, 1);
	assert_string_equal(e[0].title, "Red Hat Enterprise Linux (4.18.0-513.5.1.el8_9.x86_64) 8.9 (Ootpa)");
	assert_string_equal(e[0].kernel, "/vmlinuz-4.18.0-513.5.1.el8_9.x86_64");
	/* The last image is the main one; the variable is no image. */
	assert_string_equal(e[0].initrd, "/initramfs-4.18.0-513.5.1.el8_9.x86_64.img");
	/* RHEL 8 keeps the command line in grubenv: shown as written. */
	assert_string_equal(e[0].options, "$kernelopts $tuned_params");
	assert_int_equal(n_warnings, 0);
	entries_free(e, n);
}

static void test_bls_damaged(void **state) {
	struct rsc_boot_entry *e = NULL;
	size_t n = 0;
	/* No linux line: appended all the same, and said. */
	assert_int_equal(bls_entry_parse(ctx, "title Orphan\noptions quiet\n", "orphan.conf", &e, &n), 0);
	assert_int_equal(n, 1);
	assert_null(e[0].kernel);
	assert_string_equal(e[0].options, "quiet");
	assert_warned("BLS entry orphan.conf has no 'linux' line");
	/* Truncated: no final newline. */
	reset(NULL);
	assert_int_equal(bls_entry_parse(ctx, "title Cut\nlinux /vmlinuz-6.5.", "cut.conf", &e, &n), 0);
	assert_int_equal(n, 2);
	assert_string_equal(e[1].kernel, "/vmlinuz-6.5.");
	assert_warned("BLS entry cut.conf does not end with a newline: it may be truncated");
	/* Binary lines are skipped, and said. */
	reset(NULL);
	assert_int_equal(bls_entry_parse(ctx, "title \x01\x02\nlinux /vmlinuz\ninitrd \xc3\x28\n", "bin.conf", &e, &n), 0);
	assert_int_equal(n, 3);
	assert_null(e[2].title);
	assert_null(e[2].initrd);
	assert_string_equal(e[2].kernel, "/vmlinuz");
	assert_warned("BLS entry bin.conf: 2 line(s) with control characters or invalid UTF-8 skipped");
	/* Keys without values, an initrd line of variables only. */
	reset(NULL);
	assert_int_equal(bls_entry_parse(ctx, "title\nlinux\ninitrd $tuned_initrd\noptions\n", "empty.conf", &e, &n), 0);
	assert_int_equal(n, 4);
	assert_string_equal(e[3].title, "");
	assert_string_equal(e[3].kernel, "");
	assert_null(e[3].initrd);
	assert_string_equal(e[3].options, "");
	/* An empty file. */
	assert_int_equal(bls_entry_parse(ctx, "", "nothing.conf", &e, &n), 0);
	assert_int_equal(n, 5);
	assert_warned("BLS entry nothing.conf has no 'linux' line");
	entries_free(e, n);
}

int main(void) {
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup(test_grub_debian12, reset),
		cmocka_unit_test_setup(test_grub_fedora39_blscfg, reset),
		cmocka_unit_test_setup(test_grub_variants, reset),
		cmocka_unit_test_setup(test_grub_appends, reset),
		cmocka_unit_test_setup(test_grub_damaged, reset),
		cmocka_unit_test_setup(test_grub_large, reset),
		cmocka_unit_test_setup(test_classify_stubs, reset),
		cmocka_unit_test_setup(test_classify_full, reset),
		cmocka_unit_test_setup(test_classify_search_forms, reset),
		cmocka_unit_test_setup(test_bls_fedora, reset),
		cmocka_unit_test_setup(test_bls_variants, reset),
		cmocka_unit_test_setup(test_bls_damaged, reset),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
