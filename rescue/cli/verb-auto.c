/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * rescue --auto: the whole pipeline without questions, for help desks and
 * the rescue medium's rescue.auto=1: unlock (key or passphrase file), mount
 * read-write, diagnose, repair, verify, tear down, report. Consent is given
 * in advance by the option; the plan is still printed and reported.
 */
#include <errno.h>
#include <json-c/json.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "macro.h"
#include "rescue/session.h"
#include "strv.h"

static const char auto_usage[] =
	"Usage: rescue --auto [--key-file F | --passphrase-file F] [--system ID] [--dry-run]\n"
	"                     [--report FILE] [--image FILE]...\n\n"
	"Unattended repair: unlock LUKS volumes with the key or passphrase file given\n"
	"(without one, only unencrypted systems are looked at), activate LVM, choose\n"
	"the system (the only one, or --system ID), mount it read-write, diagnose,\n"
	"apply the repair plan with its journal, verify, and release everything.\n"
	"--dry-run stops after the plan. --report FILE writes the JSON report\n"
	"(schema rescue-report/2, docs/report-json.md); a text summary goes to\n"
	"standard output. --explain shows, before each phase, the commands a person\n"
	"would type for it and why.\n\n"
	"A repair an earlier run left unfinished (power cut, killed) is undone first.\n\n"
	"Exit: 0 repaired, 22 nothing to do, 23 needs a person, 24 a step failed,\n"
	"3 no system, 10 no key opened a volume, 11 no device-mapper, 13 several\n"
	"systems (give --system), 15 interrupted by SIGINT/SIGTERM/SIGHUP\n"
	"(docs/exit-codes.md).\n";

static void print_plan_summary(const rsc_session *s) {
	const struct rsc_diagnosis *d = rsc_session_get_diagnosis(s);
	const struct rsc_plan *p = rsc_session_get_plan(s);
	if (!d || !p)
		return;
	printf("rescue --auto: %s: %u error(s), %u warning(s) found; %zu repair step(s) planned\n", d->system, d->errors,
	       d->warnings, p->n_actions);
	for (size_t i = 0; i < p->n_actions; i++) {
		_cleanup_free_ char *cmd = p->actions[i].argv ? strv_join(p->actions[i].argv, " ") : NULL;
		printf("  %zu. %s%s%s\n", i + 1, p->actions[i].title, cmd ? ": " : "", strempty(cmd));
	}
}

int verb_auto(struct cli *cli, int argc, char **argv) {
	enum { OPT_KEY_FILE = OPT_VERB_BASE, OPT_PASS_FILE, OPT_SYSTEM, OPT_DRY_RUN, OPT_REPORT };
	static const struct option options[] = {
		{ "key-file", required_argument, NULL, OPT_KEY_FILE },
		{ "passphrase-file", required_argument, NULL, OPT_PASS_FILE },
		{ "system", required_argument, NULL, OPT_SYSTEM },
		{ "dry-run", no_argument, NULL, OPT_DRY_RUN },
		{ "report", required_argument, NULL, OPT_REPORT },
		{},
	};
	struct cli_session cs = { .unattended = true, .assume_yes = true };
	const char *system = NULL, *report = NULL;
	bool dry_run = false;
	int c;
	while ((c = cli_getopt(cli, argc, argv, NULL, options, auto_usage)) != -1)
		switch (c) {
		case OPT_KEY_FILE:
			cs.key_file = optarg;
			break;
		case OPT_PASS_FILE:
			cs.passphrase_file = optarg;
			break;
		case OPT_SYSTEM:
			system = optarg;
			break;
		case OPT_DRY_RUN:
			dry_run = true;
			break;
		case OPT_REPORT:
			report = optarg;
			break;
		default:
			fprintf(stderr, "Try 'rescue --auto --help'.\n");
			return EXIT_USAGE;
		}
	if (optind < argc) {
		cli_usage_error("--auto", "unexpected argument '%s'", argv[optind]);
		return EXIT_USAGE;
	}
	int r = cli_setup(cli);
	if (r < 0)
		return cli_exit_code(r);
	if (geteuid() != 0) {
		fprintf(stderr, "rescue --auto: needs root\n");
		return EXIT_NOT_ROOT;
	}
	const char *files[] = { cs.key_file, cs.passphrase_file };
	for (size_t i = 0; i < ELEMENTSOF(files); i++)
		if (files[i] && access(files[i], R_OK) < 0) {
			fprintf(stderr, "rescue --auto: %s: %s\n", files[i], strerror(errno));
			return EXIT_BAD_INPUT;
		}

	/* Everything happens in a mount namespace and undo journal of the
	 * session's own; all of it is undone at the end, whatever happens. */
	cli_session_setup(&cs, cli);
	struct rsc_session_options so = {
		.images = cli->images,
		.system = system,
		.key_file = cs.key_file,
		.read_write = !dry_run,
		.dry_run = dry_run,
		.assume_yes = true,
		/* On the rescue medium: its RESCUE partition's journals/. */
		.journal_copy = secure_getenv("RESCUE_JOURNAL_DIR"),
	};
	rsc_session *s = NULL;
	r = rsc_session_new(cli->ctx, &so, &s);
	if (r < 0)
		return cli_exit_code(r);
	cs.session = s;
	r = rsc_session_run(s, RSC_PHASE_PLAN);
	print_plan_summary(s);
	fflush(stdout);
	if (r >= 0)
		r = rsc_session_run(s, RSC_PHASE_TEARDOWN);
	else
		rsc_session_teardown(s);
	int code = cli_session_exit_code(s, dry_run);
	if (code == EXIT_OK && rsc_session_phase_state(s, RSC_PHASE_TEARDOWN) == RSC_PHASE_FAILED)
		code = EXIT_BUSY;
	const struct rsc_plan *plan = rsc_session_get_plan(s);
	const struct rsc_diagnosis *after = rsc_session_get_verified(s);
	if (plan && rsc_session_phase_state(s, RSC_PHASE_APPLY) != RSC_PHASE_TODO)
		for (size_t i = 0; i < plan->n_actions; i++)
			printf("  %zu. %s: %s\n", i + 1, rsc_action_status_to_string(plan->actions[i].status),
			       strna(plan->actions[i].result));
	if (after && plan)
		printf("rescue --auto: after the repair: %u error(s), %u warning(s)\n", after->errors, after->warnings);

	json_object *rep = NULL;
	if (rsc_session_report(s, &rep) >= 0) {
		json_object_object_add(rep, "exit_code", json_object_new_int(code));
		json_object *next = json_object_object_get(rep, "next_steps");
		for (size_t i = 0; code == EXIT_OK && next && i < json_object_array_length(next); i++)
			printf("rescue --auto: next: %s\n", json_object_get_string(json_object_array_get_idx(next, i)));
		if (report && cli_write_json(rep, report) < 0)
			fprintf(stderr, "rescue --auto: cannot write the report %s: %s\n", report, strerror(errno));
		if (cli->json)
			puts(json_object_to_json_string_ext(rep, JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_NOSLASHESCAPE));
		printf("rescue --auto: outcome: %s (exit %d)\n", json_object_get_string(json_object_object_get(rep, "outcome")),
		       code);
		json_object_put(rep);
	}
	rsc_session_free(s);
	return code;
}
