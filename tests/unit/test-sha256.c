/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* SHA-256 (rescue/shared/sha256.c) against the test vectors of FIPS 180-4's
 * examples, fed whole and in uneven pieces, and the file states a plan
 * records (rsc_action_read_files) on a directory tree. */
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

#include "rescue/repair.h"
#include "sha256.h"

static void hex_of(const void *data, size_t size, size_t piece, char hex[65]) {
	struct sha256 s;
	uint8_t d[32];
	const uint8_t *p = data;
	sha256_init(&s);
	for (size_t off = 0; off < size; off += piece)
		sha256_update(&s, p + off, size - off < piece ? size - off : piece);
	sha256_final(&s, d);
	for (unsigned i = 0; i < 32; i++)
		snprintf(hex + 2 * i, 3, "%02x", d[i]);
}

static void test_vectors(void **state) {
	static const struct {
		const char *text;
		const char *digest;
	} v[] = {
		{ "", "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855" },
		{ "abc", "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad" },
		{ "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq",
		  "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1" },
	};
	static const size_t pieces[] = { 1, 3, 63, 64, 65, 1000 };
	char hex[65];
	for (size_t i = 0; i < sizeof(v) / sizeof(v[0]); i++)
		for (size_t k = 0; k < sizeof(pieces) / sizeof(pieces[0]); k++) {
			hex_of(v[i].text, strlen(v[i].text), pieces[k], hex);
			assert_string_equal(hex, v[i].digest);
		}
	/* A million 'a': many blocks, and a length past 2^32 bits' low word. */
	char *a = malloc(1000000);
	assert_non_null(a);
	memset(a, 'a', 1000000);
	hex_of(a, 1000000, 4099, hex);
	assert_string_equal(hex, "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");
	free(a);
}

static void test_file_states(void **state) {
	char root[] = "/tmp/rescue-test-sha256.XXXXXX", path[512];
	assert_non_null(mkdtemp(root));
	snprintf(path, sizeof(path), "%s/boot", root);
	assert_int_equal(mkdir(path, 0755), 0);
	snprintf(path, sizeof(path), "%s/boot/initrd.img", root);
	FILE *f = fopen(path, "w");
	assert_non_null(f);
	fputs("abc", f);
	fclose(f);
	snprintf(path, sizeof(path), "%s/boot/link", root);
	assert_int_equal(symlink("/etc/passwd", path), 0);
	char *files[] = { "/boot/initrd.img", "/boot", "/boot/link", "/boot/gone", NULL };
	struct rsc_action a = { .files = files };
	struct rsc_file_state *fs = NULL;
	assert_int_equal(rsc_action_read_files(root, &a, &fs), 0);
	assert_non_null(fs);
	assert_true(fs[0].exists);
	assert_int_equal(fs[0].type, 'f');
	assert_int_equal(fs[0].size, 3);
	assert_string_equal(fs[0].sha256, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
	assert_int_equal(fs[1].type, 'd');
	assert_string_equal(fs[1].sha256, "");
	/* Not followed out of the root. */
	assert_int_equal(fs[2].type, 'l');
	assert_string_equal(fs[2].sha256, "");
	assert_false(fs[3].exists);
	for (size_t i = 0; i < 4; i++)
		free(fs[i].label);
	free(fs);
	snprintf(path, sizeof(path), "rm -rf '%s'", root);
	assert_int_equal(system(path), 0);
}

int main(void) {
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_vectors),
		cmocka_unit_test(test_file_states),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
