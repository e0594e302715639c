/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The repair journal's states (rescue/lib/apply.c): an apply marks its
 * journal "running" and then "complete"; a journal left "running" (a
 * power cut, a killed process) is found as unfinished, and undoing it puts
 * back exactly what it saved, ignoring a manifest line cut short. Runs on
 * a fake root (a directory), as any user. */
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "fileio.h"
#include "internal.h"
#include "rescue/repair.h"
#include "strv.h"

static char root[] = "/tmp/rescue-test-journal.XXXXXX";

static void write_at(const char *rel, const char *text) {
	char path[512];
	snprintf(path, sizeof(path), "%s/%s", root, rel);
	FILE *f = fopen(path, "we");
	assert_non_null(f);
	fputs(text, f);
	fclose(f);
}

static char *read_at(const char *rel) {
	char path[512];
	snprintf(path, sizeof(path), "%s/%s", root, rel);
	char *text = NULL;
	_cleanup_close_ int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0 || read_file_fd(fd, 1 << 20, &text, NULL) < 0)
		return NULL;
	return text;
}

static bool exists_at(const char *rel) {
	char path[512];
	snprintf(path, sizeof(path), "%s/%s", root, rel);
	return access(path, F_OK) == 0;
}

static int setup(void **state) {
	assert_non_null(mkdtemp(root));
	char cmd[600];
	snprintf(cmd, sizeof(cmd), "mkdir -p %s/boot %s/var/lib/rescue/journal", root, root);
	assert_int_equal(system(cmd), 0);
	return 0;
}

static int teardown(void **state) {
	char cmd[600];
	snprintf(cmd, sizeof(cmd), "rm -rf %s", root);
	assert_int_equal(system(cmd), 0);
	strcpy(root, "/tmp/rescue-test-journal.XXXXXX");
	return 0;
}

static rsc_context *quiet_ctx(void) {
	rsc_context *ctx = NULL;
	assert_int_equal(rsc_context_new(&ctx), 0);
	return ctx;
}

static void test_no_journal(void **state) {
	rsc_context *ctx = quiet_ctx();
	char *j = NULL;
	assert_int_equal(rsc_journal_find_unfinished(ctx, root, &j), 0);
	assert_null(j);
	rsc_context_free(ctx);
}

/* An apply (an ESP stub: a file written by rescue itself, no chroot
 * needed) leaves a complete journal, not an unfinished one. */
static void test_apply_marks_complete(void **state) {
	rsc_context *ctx = quiet_ctx();
	write_at("boot/stub.cfg", "old stub\n");
	struct rsc_plan *p = calloc(1, sizeof(*p));
	assert_non_null(p);
	p->system = strdup("test");
	p->n_actions = 1;
	p->actions = calloc(1, sizeof(struct rsc_action));
	struct rsc_action *a = &p->actions[0];
	a->kind = RSC_ACTION_ESP_STUB;
	a->title = strdup("stub");
	a->why = strdup("test");
	a->content = strdup("new stub\n");
	assert_int_equal(strv_extend(&a->files, "/boot/stub.cfg"), 0);
	assert_int_equal(rsc_plan_apply(ctx, p, root), 0);
	assert_non_null(p->journal);
	_cleanup_free_ char *stub = read_at("boot/stub.cfg");
	assert_string_equal(stub, "new stub\n");
	char rel[300];
	snprintf(rel, sizeof(rel), "%s/state", p->journal + 1);
	_cleanup_free_ char *st = read_at(rel);
	assert_non_null(st);
	assert_string_equal(st, "complete\n");
	char *j = NULL;
	assert_int_equal(rsc_journal_find_unfinished(ctx, root, &j), 0);
	/* Undo of a complete journal still works. */
	assert_int_equal(rsc_journal_undo(ctx, root, NULL), 1);
	_cleanup_free_ char *back = read_at("boot/stub.cfg");
	assert_string_equal(back, "old stub\n");
	rsc_plan_free(p);
	rsc_context_free(ctx);
}

/* A journal as a power cut leaves it: state "running", a saved image,
 * a file announced as new and half written, and a last manifest line cut
 * short (its change never began). */
static void test_unfinished_found_and_undone(void **state) {
	rsc_context *ctx = quiet_ctx();
	const char *jd = "var/lib/rescue/journal/20261202-130000";
	char path[512];
	snprintf(path, sizeof(path), "%s/%s", root, jd);
	assert_int_equal(mkdir(path, 0700), 0);
	/* An older journal, complete, and one of an older version (no state). */
	snprintf(path, sizeof(path), "%s/var/lib/rescue/journal/20261201-100000", root);
	assert_int_equal(mkdir(path, 0700), 0);
	write_at("var/lib/rescue/journal/20261201-100000/state", "complete\n");
	write_at("var/lib/rescue/journal/20261201-100000/manifest", "");
	snprintf(path, sizeof(path), "%s/var/lib/rescue/journal/20261130-100000", root);
	assert_int_equal(mkdir(path, 0700), 0);
	write_at("var/lib/rescue/journal/20261130-100000/manifest", "");

	write_at("boot/initrd.img-6.1.0-13-amd64", "HALF WRITTEN");
	write_at("boot/new-file", "half");
	write_at("boot/keep", "untouched");
	char rel[300];
	snprintf(rel, sizeof(rel), "%s/1", jd);
	write_at(rel, "the old image, complete");
	snprintf(rel, sizeof(rel), "%s/manifest", jd);
	write_at(rel, "saved /boot/initrd.img-6.1.0-13-amd64 1\nnew /boot/new-file\nnew /boot/ke");
	snprintf(rel, sizeof(rel), "%s/state", jd);
	write_at(rel, "running\n");

	char *j = NULL;
	assert_int_equal(rsc_journal_find_unfinished(ctx, root, &j), 1);
	assert_string_equal(j, "/var/lib/rescue/journal/20261202-130000");
	assert_int_equal(rsc_journal_undo_path(ctx, root, j), 2);
	free(j);
	_cleanup_free_ char *img = read_at("boot/initrd.img-6.1.0-13-amd64");
	assert_string_equal(img, "the old image, complete");
	assert_false(exists_at("boot/new-file"));
	assert_true(exists_at("boot/keep"));
	/* Marked undone: not found again, and undo has nothing newer left
	 * than the complete journal of the day before. */
	assert_true(exists_at("var/lib/rescue/journal/20261202-130000.undone"));
	_cleanup_free_ char *st = read_at("var/lib/rescue/journal/20261202-130000.undone/state");
	assert_non_null(st);
	assert_string_equal(st, "undone\n");
	j = NULL;
	assert_int_equal(rsc_journal_find_unfinished(ctx, root, &j), 0);
	assert_null(j);
	rsc_context_free(ctx);
}

static void test_undo_path_refuses_names(void **state) {
	rsc_context *ctx = quiet_ctx();
	assert_int_equal(rsc_journal_undo_path(ctx, root, "/var/lib/rescue/journal/x.undone"), -EINVAL);
	assert_int_equal(rsc_journal_undo_path(ctx, root, "/var/lib/rescue/journal/.."), -EINVAL);
	rsc_context_free(ctx);
}

int main(void) {
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_no_journal, setup, teardown),
		cmocka_unit_test_setup_teardown(test_apply_marks_complete, setup, teardown),
		cmocka_unit_test_setup_teardown(test_unfinished_found_and_undone, setup, teardown),
		cmocka_unit_test_setup_teardown(test_undo_path_refuses_names, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
