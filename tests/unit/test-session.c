/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The repair session on the fixture roots (tests/fixtures/roots: systems
 * as directories, no devices, no root needed, nothing of the host's /dev
 * or /sys read): the decisions of diagnose and plan against golden JSON
 * (tests/fixtures/session/NAME.json; RESCUE_BLESS=1 rewrites them), and
 * the teaching texts: every finding code, phase and planned action has its
 * command and its why.
 */
#include <dirent.h>
#include <json-c/json.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <cmocka.h>

#include "macro.h"
#include "rescue/session.h"
#include "strv.h"

#define ROOTS FIXTURES "/roots"
#define GOLDEN FIXTURES "/session"

static rsc_context *ctx;

static void quiet(void *userdata, int level, const char *message) {
}

static int setup(void **state) {
	int r = rsc_context_new(&ctx);
	if (r < 0)
		return r;
	rsc_context_set_log(ctx, quiet, NULL);
	return 0;
}
static int teardown(void **state) {
	rsc_context_free(ctx);
	return 0;
}

/* Lines of teaching text are read on an 80-column console. */
static void assert_short_lines(const char *what, const char *text) {
	assert_non_null(text);
	assert_true(*text);
	for (const char *p = text; *p;) {
		size_t n = strcspn(p, "\n");
		if (n > 75)
			fail_msg("%s: a line of %zu characters (at most 75): %.*s", what, n, (int)n, p);
		p += n + (p[n] == '\n');
	}
}

static void test_tables(void **state) {
	for (int p = 0; p < _RSC_PHASE_MAX; p++)
		assert_non_null(rsc_phase_to_string((enum rsc_phase)p));
	for (int o = 0; o < _RSC_OUTCOME_MAX; o++)
		assert_non_null(rsc_outcome_to_string((enum rsc_outcome)o));
	for (int s = RSC_PHASE_TODO; s <= RSC_PHASE_FAILED; s++)
		assert_non_null(rsc_phase_state_to_string((enum rsc_phase_state)s));
}

/* Every finding diagnose can report has a command to see it and a why. */
static void test_finding_codes(void **state) {
	for (int c = 0; c < _RSC_FINDING_MAX; c++) {
		const char *name = rsc_finding_code_to_string((enum rsc_finding_code)c);
		if (!name)
			fail_msg("finding code %d has no name", c);
		const char *cmd = rsc_finding_code_command((enum rsc_finding_code)c);
		if (!cmd || !*cmd)
			fail_msg("finding %s has no command", name);
		assert_short_lines(name, rsc_finding_code_why((enum rsc_finding_code)c));
		for (int d = 0; d < c; d++)
			if (strcmp(name, rsc_finding_code_to_string((enum rsc_finding_code)d)) == 0)
				fail_msg("finding code %s twice", name);
	}
	assert_null(rsc_finding_code_to_string(_RSC_FINDING_MAX));
}

/* The JSON with the fixture's absolute path taken out. */
static char *normalized(json_object *j, const char *root) {
	const char *text = json_object_to_json_string_ext(j, JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_NOSLASHESCAPE);
	size_t rl = strlen(root);
	char *out = malloc(strlen(text) + 2), *o = out;
	assert_non_null(out);
	for (const char *p = text; *p;) {
		if (strncmp(p, root, rl) == 0) {
			o = stpcpy(o, "ROOT");
			p += rl;
		} else
			*o++ = *p++;
	}
	*o++ = '\n';
	*o = 0;
	return out;
}

static char *read_file(const char *path) {
	FILE *f = fopen(path, "re");
	if (!f)
		return NULL;
	char *buf = NULL;
	size_t len = 0;
	FILE *m = open_memstream(&buf, &len);
	int c;
	while ((c = fgetc(f)) != EOF)
		fputc(c, m);
	fclose(f);
	fclose(m);
	return buf;
}

static void check_root(const char *name) {
	char root[512], golden[512];
	snprintf(root, sizeof(root), ROOTS "/%s", name);
	snprintf(golden, sizeof(golden), GOLDEN "/%s.json", name);
	struct rsc_session_options so = { .mounted_at = root, .no_devices = true };
	rsc_session *s = NULL;
	assert_int_equal(rsc_session_new(ctx, &so, &s), 0);
	int r = rsc_session_run(s, RSC_PHASE_PLAN);
	if (r < 0)
		fail_msg("%s: the session stopped: %s", name, rsc_strerror(r));
	assert_int_equal(rsc_session_phase_state(s, RSC_PHASE_DISCOVER), RSC_PHASE_DONE);
	assert_int_equal(rsc_session_phase_state(s, RSC_PHASE_UNLOCK), RSC_PHASE_NOT_NEEDED);
	/* A fake root: no device was scanned. */
	assert_int_equal(rsc_session_get_scan_count(s), 0);
	const struct rsc_diagnosis *d = rsc_session_get_diagnosis(s);
	const struct rsc_plan *p = rsc_session_get_plan(s);
	assert_non_null(d);
	assert_non_null(p);
	assert_non_null(rsc_session_get_checks(s));
	/* The console layout its own passphrase prompt uses (vconsole.conf). */
	if (strcmp(name, "fedora") == 0)
		assert_string_equal(rsc_session_get_system(s)->keymap, "de-latin1");

	for (size_t i = 0; i < d->n_findings; i++) {
		const struct rsc_finding *f = &d->findings[i];
		assert_true((unsigned)f->id < _RSC_FINDING_MAX);
		assert_string_equal(f->code, rsc_finding_code_to_string(f->id));
		if (!f->fix || !*f->fix || !f->explanation || !*f->explanation)
			fail_msg("%s: finding %s lacks its fix or its explanation", name, f->code);
	}
	for (size_t i = 0; i < p->n_actions; i++) {
		const struct rsc_action *a = &p->actions[i];
		_cleanup_free_ char *sh = rsc_action_shell(a);
		if (!sh || !*sh || !a->why || !*a->why)
			fail_msg("%s: action '%s' lacks its command or its why", name, a->title);
		if (!a->fixes)
			fail_msg("%s: action '%s' names no finding it fixes", name, a->title);
	}
	/* Diagnose and plan name the same kernel to boot instead. */
	for (size_t i = 0; i < d->n_findings; i++) {
		char want[128];
		if (d->findings[i].id != RSC_FINDING_DEFAULT_KERNEL_UNBOOTABLE ||
		    sscanf(d->findings[i].fix, "make %127s the default", want) != 1)
			continue;
		for (size_t k = 0; k < p->n_actions; k++)
			if (p->actions[k].kind == RSC_ACTION_SET_ASIDE_KERNEL && !strstr(p->actions[k].title, want))
				fail_msg("%s: diagnose says boot %s, the plan '%s'", name, want, p->actions[k].title);
	}
	for (int ph = 0; ph < _RSC_PHASE_MAX; ph++) {
		_cleanup_free_ char *cmds = NULL, *why = NULL;
		assert_int_equal(rsc_session_explain_phase(s, (enum rsc_phase)ph, &cmds, &why), 0);
		if (!cmds || !*cmds)
			fail_msg("%s: phase %s explains no command", name, rsc_phase_to_string((enum rsc_phase)ph));
		assert_short_lines(rsc_phase_to_string((enum rsc_phase)ph), why);
	}

	/* The decisions, as JSON: the findings and the plan. */
	json_object *j = json_object_new_object(), *jd = NULL, *jp = NULL;
	assert_int_equal(rsc_diagnosis_to_json(d, &jd), 0);
	assert_int_equal(rsc_plan_to_json(p, &jp), 0);
	json_object_object_add(j, "diagnosis", jd);
	json_object_object_add(j, "plan", jp);
	_cleanup_free_ char *got = normalized(j, root);
	json_object_put(j);
	json_object *rep = NULL;
	assert_int_equal(rsc_session_report(s, &rep), 0);
	json_object_put(rep);
	rsc_session_free(s);

	if (getenv("RESCUE_BLESS")) {
		mkdir(GOLDEN, 0755);
		FILE *f = fopen(golden, "we");
		assert_non_null(f);
		fputs(got, f);
		fclose(f);
		return;
	}
	_cleanup_free_ char *want = read_file(golden);
	if (!want)
		fail_msg("%s: no golden file %s (RESCUE_BLESS=1 writes it)", name, golden);
	if (strcmp(want, got) != 0) {
		char out[600];
		snprintf(out, sizeof(out), "%s.got", golden);
		FILE *f = fopen(out, "we");
		if (f) {
			fputs(got, f);
			fclose(f);
		}
		fail_msg("%s: diagnosis and plan differ from %s; see %s (diff them; RESCUE_BLESS=1 accepts)", name, golden, out);
	}
}

static void test_fixture_roots(void **state) {
	DIR *dir = opendir(ROOTS);
	assert_non_null(dir);
	_cleanup_strv_free_ char **names = NULL;
	struct dirent *de;
	while ((de = readdir(dir)))
		if (de->d_name[0] != '.')
			assert_int_equal(strv_extend(&names, de->d_name), 0);
	closedir(dir);
	strv_sort(names);
	assert_true(strv_length(names) >= 5);
	STRV_FOREACH(n, names)
		check_root(*n);
}

/* Phases that need what an earlier phase makes refuse, and write nothing. */
static void test_order(void **state) {
	struct rsc_session_options so = { .mounted_at = ROOTS "/debian", .no_devices = true };
	rsc_session *s = NULL;
	assert_int_equal(rsc_session_new(ctx, &so, &s), 0);
	assert_int_equal(rsc_session_plan(s), -ESTALE);
	assert_int_equal(rsc_session_apply(s), -ESTALE);
	assert_int_equal(rsc_session_diagnose(s), -ESTALE);
	assert_int_equal(rsc_session_discover(s), 0);
	assert_true(rsc_session_mount(s, false) >= 0);
	assert_int_equal(rsc_session_diagnose(s), 0);
	int r = rsc_session_plan(s);
	assert_int_equal(r, rsc_session_get_plan(s)->n_actions ? 0 : 1);
	/* Nobody accepted the plan: nothing is applied. */
	if (rsc_session_get_plan(s)->n_actions)
		assert_true(rsc_session_apply(s) < 0);
	assert_int_equal(rsc_session_phase_state(s, RSC_PHASE_APPLY) == RSC_PHASE_DONE, 0);
	rsc_session_free(s);
}

int main(void) {
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_tables),
		cmocka_unit_test(test_finding_codes),
		cmocka_unit_test(test_fixture_roots),
		cmocka_unit_test(test_order),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
