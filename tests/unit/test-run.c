/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The command runner (rescue/lib/run.c): lines reach the log and progress
 * callbacks in order, exit statuses come back, a cancel stops the command
 * and everything it started (children, grandchildren, a command that
 * ignores SIGTERM) within the grace period, and no descriptor leaks. */
#include <dirent.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "internal.h"
#include "strv.h"

struct seen {
	char **logs;
	char **progress;
	unsigned ticks;
	double cancel_after; /* seconds after start, 0: never */
	double started;
	pid_t grandchild;
};

static void on_log(void *userdata, int level, const char *message) {
	struct seen *s = userdata;
	assert_int_equal(strv_extend(&s->logs, message), 0);
}

static void on_progress(void *userdata, const struct rsc_progress *p) {
	struct seen *s = userdata;
	if (!p->line) {
		s->ticks++;
		return;
	}
	assert_int_equal(strv_extend(&s->progress, p->line), 0);
	/* The first line of the cancel test names the grandchild. */
	if (!s->grandchild && strncmp(p->line, "grandchild ", 11) == 0)
		s->grandchild = (pid_t)atoi(p->line + 11);
}

static bool on_cancel(void *userdata) {
	struct seen *s = userdata;
	return s->cancel_after > 0 && rsc_now() - s->started >= s->cancel_after;
}

static rsc_context *new_ctx(struct seen *s) {
	rsc_context *ctx = NULL;
	assert_int_equal(rsc_context_new(&ctx), 0);
	rsc_context_set_log(ctx, on_log, s);
	rsc_context_set_log_level(ctx, RSC_LOG_DEBUG);
	rsc_context_set_progress(ctx, on_progress, s);
	rsc_context_set_cancel(ctx, on_cancel, s);
	s->started = rsc_now();
	return ctx;
}

static void seen_done(struct seen *s) {
	strv_free(s->logs);
	strv_free(s->progress);
}

static unsigned count_fds(void) {
	unsigned n = 0;
	DIR *d = opendir("/proc/self/fd");
	assert_non_null(d);
	struct dirent *de;
	while ((de = readdir(d)))
		if (de->d_name[0] != '.')
			n++;
	closedir(d);
	return n;
}

static void test_lines_in_order(void **state) {
	struct seen s = { 0 };
	rsc_context *ctx = new_ctx(&s);
	unsigned fds = count_fds();
	const char *const argv[] = { "sh", "-c", "echo one; echo two >&2; printf 'three\\nlast without newline'", NULL };
	_cleanup_free_ char *out = NULL;
	struct rsc_run_options o = { .argv = argv, .name = "demo", .line_level = RSC_LOG_INFO, .ret_output = &out };
	assert_int_equal(rsc_run(ctx, &o), 0);
	assert_int_equal(strv_length(s.progress), 4);
	assert_string_equal(s.progress[0], "one");
	assert_string_equal(s.progress[1], "two");
	assert_string_equal(s.progress[2], "three");
	assert_string_equal(s.progress[3], "last without newline");
	/* Each line is in the log, named by the command. */
	assert_true(strv_contains(s.logs, "demo: one"));
	assert_true(strv_contains(s.logs, "demo: two"));
	assert_true(strv_contains(s.logs, "demo: last without newline"));
	assert_string_equal(out, "one\ntwo\nthree\nlast without newline");
	assert_int_equal(count_fds(), fds);
	seen_done(&s);
	rsc_context_free(ctx);
}

static void test_copy_to_fd(void **state) {
	struct seen s = { 0 };
	rsc_context *ctx = new_ctx(&s);
	FILE *f = tmpfile();
	assert_non_null(f);
	const char *const argv[] = { "sh", "-c", "echo to-the-journal; exit 3", NULL };
	struct rsc_run_options o = { .argv = argv, .out_fd = fileno(f) };
	assert_int_equal(rsc_run(ctx, &o), 3);
	char buf[64] = { 0 };
	rewind(f);
	assert_non_null(fgets(buf, sizeof(buf), f));
	assert_string_equal(buf, "to-the-journal\n");
	fclose(f);
	seen_done(&s);
	rsc_context_free(ctx);
}

static void test_exit_status(void **state) {
	struct seen s = { 0 };
	rsc_context *ctx = new_ctx(&s);
	const char *const ok[] = { "true", NULL }, *const bad[] = { "sh", "-c", "exit 42", NULL },
			  *const sig[] = { "sh", "-c", "kill -9 $$", NULL },
			  *const missing[] = { "/nonexistent/rescue-no-such-tool", NULL },
			  *const input[] = { "sh", "-c", "read x && echo got", NULL };
	assert_int_equal(rsc_run(ctx, &(struct rsc_run_options){ .argv = ok }), 0);
	assert_int_equal(rsc_run(ctx, &(struct rsc_run_options){ .argv = bad }), 42);
	assert_int_equal(rsc_run(ctx, &(struct rsc_run_options){ .argv = sig }), 128 + SIGKILL);
	assert_int_equal(rsc_run(ctx, &(struct rsc_run_options){ .argv = missing }), 127);
	/* stdin is /dev/null: a command that reads gets end of file at once. */
	assert_int_equal(rsc_run(ctx, &(struct rsc_run_options){ .argv = input }), 1);
	seen_done(&s);
	rsc_context_free(ctx);
}

static int child_fn_writes(void *userdata) {
	printf("from the child function %s\n", (const char *)userdata);
	fflush(stdout);
	_exit(5);
}

static void test_child_fn(void **state) {
	struct seen s = { 0 };
	rsc_context *ctx = new_ctx(&s);
	struct rsc_run_options o = { .child_fn = child_fn_writes, .userdata = (void *)"X", .name = "fn" };
	assert_int_equal(rsc_run(ctx, &o), 5);
	assert_int_equal(strv_length(s.progress), 1);
	assert_string_equal(s.progress[0], "from the child function X");
	seen_done(&s);
	rsc_context_free(ctx);
}

/* True when pid is gone (reaped here: we are its subreaper). */
static bool gone(pid_t pid) {
	for (int i = 0; i < 20; i++) {
		if (waitpid(pid, NULL, WNOHANG) == pid || kill(pid, 0) < 0)
			return true;
		usleep(50 * 1000);
	}
	return false;
}

static void test_cancel_stops_the_group(void **state) {
	struct seen s = { .cancel_after = 0.5 };
	rsc_context *ctx = new_ctx(&s);
	unsigned fds = count_fds();
	/* A grandchild in the background, a child in the foreground. */
	const char *const argv[] = { "sh", "-c", "sleep 100 & echo grandchild $!; sleep 100; echo not reached", NULL };
	double t0 = rsc_now();
	assert_int_equal(rsc_run(ctx, &(struct rsc_run_options){ .argv = argv, .grace = 3 }), -ECANCELED);
	double took = rsc_now() - t0;
	assert_true(took < 3.0); /* SIGTERM was enough: no wait for the grace period */
	assert_true(s.grandchild > 0);
	assert_true(gone(s.grandchild));
	assert_false(strv_contains(s.progress, "not reached"));
	assert_int_equal(count_fds(), fds);
	seen_done(&s);
	rsc_context_free(ctx);
}

static void test_cancel_kills_after_grace(void **state) {
	struct seen s = { .cancel_after = 0.3 };
	rsc_context *ctx = new_ctx(&s);
	/* Ignored signals stay ignored across exec: sleep ignores SIGTERM too. */
	const char *const argv[] = { "sh", "-c", "trap '' TERM; sleep 100 & echo grandchild $!; sleep 100", NULL };
	double t0 = rsc_now();
	assert_int_equal(rsc_run(ctx, &(struct rsc_run_options){ .argv = argv, .grace = 1 }), -ECANCELED);
	double took = rsc_now() - t0;
	assert_true(took >= 1.2 && took < 4.0);
	assert_true(gone(s.grandchild));
	bool said = false;
	STRV_FOREACH(l, s.logs)
		said = said || strstr(*l, "did not stop") != NULL;
	assert_true(said);
	seen_done(&s);
	rsc_context_free(ctx);
}

static void test_cancelled_before_start(void **state) {
	struct seen s = { .cancel_after = 1e-9 };
	rsc_context *ctx = new_ctx(&s);
	const char *const argv[] = { "sh", "-c", "echo started", NULL };
	assert_int_equal(rsc_run(ctx, &(struct rsc_run_options){ .argv = argv }), -ECANCELED);
	assert_null(s.progress);
	/* Teardown commands run even after a cancel. */
	assert_int_equal(rsc_run(ctx, &(struct rsc_run_options){ .argv = argv, .no_cancel = true }), 0);
	assert_int_equal(strv_length(s.progress), 1);
	seen_done(&s);
	rsc_context_free(ctx);
}

static void test_leftover_holding_the_pipe(void **state) {
	struct seen s = { 0 };
	rsc_context *ctx = new_ctx(&s);
	/* The command exits at once; what it started keeps the pipe open. */
	const char *const argv[] = { "sh", "-c", "sleep 30 & echo grandchild $!; exit 0", NULL };
	double t0 = rsc_now();
	assert_int_equal(rsc_run(ctx, &(struct rsc_run_options){ .argv = argv }), 0);
	assert_true(rsc_now() - t0 < 5.0);
	assert_true(s.grandchild > 0);
	kill(s.grandchild, SIGKILL);
	assert_true(gone(s.grandchild));
	seen_done(&s);
	rsc_context_free(ctx);
}

int main(void) {
	/* Orphaned grandchildren come back to us, so the tests can see them
	 * die rather than linger as zombies of an init that may not reap. */
	prctl(PR_SET_CHILD_SUBREAPER, 1);
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_lines_in_order),
		cmocka_unit_test(test_copy_to_fd),
		cmocka_unit_test(test_exit_status),
		cmocka_unit_test(test_child_fn),
		cmocka_unit_test(test_cancel_stops_the_group),
		cmocka_unit_test(test_cancel_kills_after_grace),
		cmocka_unit_test(test_cancelled_before_start),
		cmocka_unit_test(test_leftover_holding_the_pipe),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
