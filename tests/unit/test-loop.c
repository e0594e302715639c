/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Loop devices rescue attaches only for a moment (rescue/shared/loop.c):
 * they carry a mark, a scan of the machine's disks does not list them while
 * it does list an ordinary loop device over the same file, and once the
 * last user is gone they detach themselves. Needs root and
 * /dev/loop-control; skipped (77) without them. */
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include <linux/loop.h>

#include <cmocka.h>

#include "loop.h"
#include "macro.h"
#include "rescue/rescue.h"
#include "rescue/scan.h"

static char image[] = "/tmp/test-loop.XXXXXX";

static bool scan_lists(const struct rsc_scan *scan, const char *node) {
	for (size_t i = 0; i < scan->n_devices; i++)
		if (scan->devices[i].node && strcmp(scan->devices[i].node, node) == 0)
			return true;
	return false;
}

static void test_transient_hidden_from_scan(void **state) {
	char *transient = NULL, *plain = NULL;
	int tfd = loop_attach_transient(image, 0, 4 << 20, true, &transient);
	int pfd = loop_attach(image, 0, 4 << 20, true, &plain);
	assert_true(tfd >= 0);
	assert_true(pfd >= 0);
	assert_true(loop_is_transient(transient));
	assert_false(loop_is_transient(plain));

	rsc_context *ctx = NULL;
	assert_int_equal(rsc_context_new(&ctx), 0);
	struct rsc_scan *scan = NULL;
	struct rsc_scan_options opts = { .no_identify = true };
	assert_true(rsc_scan_run(ctx, &opts, &scan) >= 0);
	assert_false(scan_lists(scan, transient));
	assert_true(scan_lists(scan, plain));
	rsc_scan_free(scan);
	rsc_context_free(ctx);

	/* Autoclear: closing the last user detaches both. */
	close(tfd);
	close(pfd);
	assert_int_equal(loop_wait_detached(transient, 5000), 0);
	assert_int_equal(loop_wait_detached(plain, 5000), 0);
	assert_false(loop_is_transient(transient));
	free(transient);
	free(plain);
}

/* The rescue medium's own image: its first stage attaches /rescue.sqfs,
 * whose recorded name stays that after switch_root. The name is set here
 * as losetup sets it (LOOP_SET_STATUS64); the scan leaves the device out,
 * an ordinary loop device beside it stays in. */
static void test_rescue_image_hidden_from_scan(void **state) {
	char *node = NULL, *plain = NULL;
	int fd = loop_attach(image, 0, 4 << 20, true, &node);
	int pfd = loop_attach(image, 0, 4 << 20, true, &plain);
	assert_true(fd >= 0);
	assert_true(pfd >= 0);
	assert_false(loop_is_rescue_image(node));
	struct loop_info64 info;
	assert_int_equal(ioctl(fd, LOOP_GET_STATUS64, &info), 0);
	memset(info.lo_file_name, 0, sizeof(info.lo_file_name));
	memcpy(info.lo_file_name, LOOP_RESCUE_IMAGE, strlen(LOOP_RESCUE_IMAGE));
	assert_int_equal(ioctl(fd, LOOP_SET_STATUS64, &info), 0);
	assert_true(loop_is_rescue_image(node));
	assert_false(loop_is_rescue_image(plain));
	assert_false(loop_is_transient(node));

	rsc_context *ctx = NULL;
	assert_int_equal(rsc_context_new(&ctx), 0);
	struct rsc_scan *scan = NULL;
	struct rsc_scan_options opts = { .no_identify = true };
	assert_true(rsc_scan_run(ctx, &opts, &scan) >= 0);
	assert_false(scan_lists(scan, node));
	assert_true(scan_lists(scan, plain));
	rsc_scan_free(scan);
	rsc_context_free(ctx);
	close(fd);
	close(pfd);
	assert_int_equal(loop_wait_detached(node, 5000), 0);
	assert_int_equal(loop_wait_detached(plain, 5000), 0);
	free(node);
	free(plain);
}

/* A device still attached is reported as such. */
static void test_wait_times_out_while_attached(void **state) {
	char *node = NULL;
	int fd = loop_attach_transient(image, 0, 1 << 20, true, &node);
	assert_true(fd >= 0);
	assert_int_equal(loop_wait_detached(node, 50), -ETIMEDOUT);
	close(fd);
	assert_int_equal(loop_wait_detached(node, 5000), 0);
	free(node);
}

int main(void) {
	if (geteuid() != 0 || access("/dev/loop-control", W_OK) < 0) {
		printf("skipped: needs root and /dev/loop-control\n");
		return 77;
	}
	int fd = mkstemp(image);
	if (fd < 0 || ftruncate(fd, 4 << 20) < 0) {
		perror(image);
		return 1;
	}
	close(fd);
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_transient_hidden_from_scan),
		cmocka_unit_test(test_wait_times_out_while_attached),
		cmocka_unit_test(test_rescue_image_hidden_from_scan),
	};
	int r = cmocka_run_group_tests(tests, NULL, NULL);
	unlink(image);
	return r;
}
