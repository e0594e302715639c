/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Distribution profiles (rescue/lib/profile.h): the built-in copies of
 * the profiles directory matched from os-release ID and ID_LIKE, the parser's
 * warnings, and a --profiles directory replacing the built-in set. */
#include <fcntl.h>
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

#include "macro.h"
#include "profile.h"
#include "scan-internal.h"

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
	if (rsc_context_new(&ctx) < 0)
		return -1;
	rsc_context_set_log(ctx, capture, NULL);
	logbuf[0] = 0;
	loglen = 0;
	n_warnings = 0;
	return 0;
}
static int teardown(void **state) {
	rsc_context_free(ctx);
	return 0;
}

static void assert_warned(const char *s) {
	if (!strstr(logbuf, s))
		fail_msg("no message contains \"%s\"; log:\n%s", s, logbuf);
}

/* The profile name matched for ID / ID_LIKE, or NULL. (profile_match
 * replaces what *ret_name held: it must be NULL or allocated.) */
static char *match(const char *id, const char *id_like) {
	char *name = NULL;
	assert_int_equal(profile_match(ctx, id, id_like, &name), 0);
	return name;
}

static void expect_match(const char *id, const char *id_like, const char *profile) {
	_cleanup_free_ char *name = match(id, id_like);
	if (!streq_ptr(name, profile))
		fail_msg("ID=%s ID_LIKE=%s: matched %s, expected %s", strna(id), strna(id_like), strna(name),
			 strna(profile));
}

/* ---- the built-in profiles ---- */

static void test_builtin_profiles_are_clean(void **state) {
	struct profile **list;
	size_t n;
	assert_int_equal(profile_load_all(ctx, &list, &n), 0);
	assert_true(n >= 4);
	static const char *const families[] = { "arch", "debian", "fedora", "opensuse" };
	for (size_t f = 0; f < ELEMENTSOF(families); f++) {
		const struct profile *p = NULL;
		for (size_t i = 0; i < n; i++)
			if (streq(list[i]->name, families[f]))
				p = list[i];
		if (!p)
			fail_msg("no built-in profile %s", families[f]);
		/* What the rest of the program relies on every profile to say. */
		assert_non_null(profile_get(p, "ids"));
		assert_non_null(profile_get(p, "generator"));
		assert_non_null(profile_get(p, "initramfs"));
		assert_non_null(profile_get(p, "grub_mkconfig"));
		assert_non_null(profile_get(p, "grub_cfg_bios"));
		assert_non_null(profile_get(p, "bls"));
	}
	/* The shipped files use known keys only. */
	assert_int_equal(n_warnings, 0);
	profile_list_free(list, n);
}

static void test_match_by_id(void **state) {
	static const struct {
		const char *id, *profile;
	} cases[] = {
		{ "fedora", "fedora" },   { "rhel", "fedora" },
		{ "centos", "fedora" },   { "rocky", "fedora" },
		{ "almalinux", "fedora" }, { "ol", "fedora" },
		{ "debian", "debian" },   { "ubuntu", "debian" },
		{ "linuxmint", "debian" }, { "pop", "debian" },
		{ "kali", "debian" },     { "raspbian", "debian" },
		{ "arch", "arch" },       { "manjaro", "arch" },
		{ "endeavouros", "arch" }, { "opensuse-tumbleweed", "opensuse" },
		{ "opensuse-leap", "opensuse" }, { "sles", "opensuse" },
	};
	for (size_t i = 0; i < ELEMENTSOF(cases); i++)
		expect_match(cases[i].id, NULL, cases[i].profile);
}

/* Derivatives whose own ID no profile knows, as their os-release says. */
static void test_match_by_id_like(void **state) {
	expect_match("zorin", "ubuntu debian", "debian");          /* Zorin OS */
	expect_match("neon", "ubuntu debian", "debian");           /* KDE neon */
	expect_match("mx", "debian", "debian");
	expect_match("navy", "rhel fedora", "fedora");             /* a RHEL rebuild */
	expect_match("eurolinux", "rhel centos fedora", "fedora");
	expect_match("fedora-asahi-remix", "fedora", "fedora");
	expect_match("cachyos", "arch", "arch");
	expect_match("artix", "arch", "arch");
	expect_match("geckolinux", "suse opensuse", "opensuse");
	expect_match("opensuse-slowroll", "opensuse suse", "opensuse");
	/* Tabs and repeated blanks between words. */
	expect_match("x", "  \tnothing\t debian ", "debian");
}

static void test_match_order(void **state) {
	/* ID before ID_LIKE. */
	expect_match("ubuntu", "arch", "debian");
	/* ID_LIKE words in the order the file gives them. */
	expect_match("hybrid", "arch debian", "arch");
	expect_match("hybrid", "unknown1 debian arch", "debian");
	/* Words are whole: no prefix or substring matches. */
	expect_match("deb", NULL, NULL);
	expect_match("debian-derivative", "ubuntuish", NULL);
	expect_match("FEDORA", NULL, NULL); /* os-release IDs are lower case */
}

static void test_match_unknown(void **state) {
	expect_match("gentoo", NULL, NULL);
	expect_match("nixos", "", NULL);
	expect_match("void", "unknown other", NULL);
	expect_match(NULL, NULL, NULL);
	expect_match("", "", NULL);
	expect_match("linux", NULL, NULL); /* what the scan uses when ID is missing */
	assert_int_equal(n_warnings, 0);
}

/* ---- the parser ---- */

static void test_parse(void **state) {
	static const char text[] =
		"# A test family.\n"
		"description = Test Linux  \n"
		"ids = test testing\n"
		"\tgenerator\t=\tdracut\r\n"
		"grub_mkconfig = grub2-mkconfig -o %c\n"
		"relabel =\n"
		"colour = blue\n"                      /* unknown key */
		"just some words\n"                    /* no '=' */
		"= orphan value\n"                     /* empty key */
		"ids = test testing again\n";          /* later wins */
	struct profile *p = NULL;
	assert_int_equal(profile_parse(ctx, "test", text, &p), 0);
	assert_string_equal(p->name, "test");
	assert_string_equal(profile_get(p, "description"), "Test Linux");
	assert_string_equal(profile_get(p, "generator"), "dracut");
	assert_string_equal(profile_get(p, "grub_mkconfig"), "grub2-mkconfig -o %c");
	assert_string_equal(profile_get(p, "relabel"), "");
	assert_string_equal(profile_get(p, "ids"), "test testing again");
	assert_null(profile_get(p, "colour"));
	assert_null(profile_get(p, "bls"));
	assert_warned("profile test:7: unknown key 'colour', ignored");
	assert_warned("profile test:8: not 'key = value', ignored");
	assert_warned("profile test:9: unknown key '', ignored");
	assert_int_equal(n_warnings, 3);
	profile_free(p);
	profile_free(NULL);
}

static void test_parse_no_ids(void **state) {
	struct profile *p = NULL;
	assert_int_equal(profile_parse(ctx, "empty", "", &p), 0);
	assert_warned("profile empty has no 'ids': it matches nothing");
	profile_free(p);
	assert_int_equal(profile_parse(ctx, "binary", "\x01\x02=\xff\n\0ids = hidden\n", &p), 0);
	assert_null(profile_get(p, "ids"));
	profile_free(p);
}

/* ---- a profile directory in place of the built-in set ---- */

static void write_file(const char *dir, const char *name, const char *text) {
	char path[512];
	snprintf(path, sizeof(path), "%s/%s", dir, name);
	FILE *f = fopen(path, "we");
	assert_non_null(f);
	fputs(text, f);
	fclose(f);
}

static void test_profile_dir(void **state) {
	char dir[] = "/tmp/rescue-test-profiles.XXXXXX";
	assert_non_null(mkdtemp(dir));
	/* Written out of name order; two claim the same ID. */
	write_file(dir, "zeta.conf", "ids = shared zonly\ngenerator = dracut\n");
	write_file(dir, "alpha.conf", "ids = shared alpha\ngenerator = mkinitcpio\nbogus = 1\n");
	write_file(dir, "README", "ids = readme\n");          /* not a .conf */
	write_file(dir, "broken.conf", "no ids in here\n");
	char sub[600];
	snprintf(sub, sizeof(sub), "%s/dir.conf", dir);
	assert_int_equal(mkdir(sub, 0700), 0);                /* a directory named .conf */
	assert_int_equal(rsc_context_set_profile_dir(ctx, dir), 0);

	expect_match("shared", NULL, "alpha");                 /* name order decides */
	expect_match("zonly", NULL, "zeta");
	expect_match("readme", NULL, NULL);
	expect_match("fedora", NULL, NULL);                    /* the built-in set is replaced */
	assert_warned("profile alpha:3: unknown key 'bogus', ignored");
	assert_warned("profile broken has no 'ids'");
	assert_warned("dir.conf unreadable");

	/* An empty directory: nothing matches, nothing breaks. */
	char empty[] = "/tmp/rescue-test-profiles-empty.XXXXXX";
	assert_non_null(mkdtemp(empty));
	assert_int_equal(rsc_context_set_profile_dir(ctx, empty), 0);
	expect_match("fedora", NULL, NULL);

	/* A directory that is not there is an error of the call. */
	assert_int_equal(rsc_context_set_profile_dir(ctx, "/nonexistent/profiles"), 0);
	char *name = NULL;
	assert_int_equal(profile_match(ctx, "fedora", NULL, &name), -ENOENT);
	assert_warned("/nonexistent/profiles");

	assert_int_equal(rsc_context_set_profile_dir(ctx, NULL), 0);
	expect_match("fedora", NULL, "fedora");

	char cmd[1400];
	snprintf(cmd, sizeof(cmd), "rm -rf '%s' '%s'", dir, empty);
	assert_int_equal(system(cmd), 0);
}

int main(void) {
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_builtin_profiles_are_clean, setup, teardown),
		cmocka_unit_test_setup_teardown(test_match_by_id, setup, teardown),
		cmocka_unit_test_setup_teardown(test_match_by_id_like, setup, teardown),
		cmocka_unit_test_setup_teardown(test_match_order, setup, teardown),
		cmocka_unit_test_setup_teardown(test_match_unknown, setup, teardown),
		cmocka_unit_test_setup_teardown(test_parse, setup, teardown),
		cmocka_unit_test_setup_teardown(test_parse_no_ids, setup, teardown),
		cmocka_unit_test_setup_teardown(test_profile_dir, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
