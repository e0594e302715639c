/* SPDX-License-Identifier: GPL-2.0-or-later */
/* rescue fix / undo: the plan, shown, accepted, applied, verified; and back. */
#include <json-c/json.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "macro.h"
#include "rescue/diagnose.h"
#include "rescue/repair.h"
#include "rescue/scan.h"
#include "strv.h"

static const char fix_usage[] =
	"Usage: rescue fix [SYSTEM] [--dry-run] [--yes] [--target DIR] [--image FILE]... [--json]\n\n"
	"Diagnose the system, plan the repair and show it: each step with the exact\n"
	"command run inside the system and why. Then, once accepted (a question on\n"
	"the terminal, or --yes), apply it: every file replaced is saved first into\n"
	"/var/lib/rescue/journal/<time>/ on the system, rebuilt images are verified\n"
	"before they are kept, and the system is diagnosed again.\n\n"
	"  --dry-run      print the plan as a shell script a person could run; change nothing\n"
	"  --yes          apply without asking\n"
	"  --target DIR   the system mounted read-write there (rescue mount --rw);\n"
	"                 without it, it is mounted for this command and released after\n\n"
	"Exit: 0 repaired, 22 nothing to do, 23 errors remain that need a person,\n"
	"24 a step failed (rolled back), 20 (--dry-run) there is something to repair,\n"
	"15 interrupted by SIGINT/SIGTERM/SIGHUP (the step running is rolled back).\n";

static void print_plan(const struct rsc_plan *p) {
	if (!p->n_actions)
		printf("Nothing rescue can repair automatically.\n");
	else
		printf("Plan for %s:\n", p->system);
	for (size_t i = 0; i < p->n_actions; i++) {
		const struct rsc_action *a = &p->actions[i];
		_cleanup_free_ char *cmd = a->argv ? strv_join(a->argv, " ") : NULL;
		_cleanup_free_ char *files = strv_join(a->files, ", ");
		printf("  %zu. %s\n     why:     %s\n", i + 1, a->title, a->why);
		if (cmd)
			printf("     runs:    chroot <system> %s\n", cmd);
		printf("     changes: %s\n", strna(files));
	}
	if (p->follow_up) {
		printf("Afterwards, on the running system:\n");
		STRV_FOREACH(x, p->follow_up)
			printf("  - %s\n", *x);
	}
	if (p->unfixed) {
		printf("Not repaired automatically (a person must):\n");
		STRV_FOREACH(x, p->unfixed)
			printf("  - %s\n", *x);
	}
}

static bool confirm(struct cli *cli, bool yes) {
	if (yes)
		return true;
	if (!isatty(STDIN_FILENO)) {
		fprintf(stderr, "rescue fix: not applied: no terminal to ask; give --yes to apply the plan above\n");
		return false;
	}
	printf("Apply this plan? [y/N] ");
	fflush(stdout);
	/* Wait in slices: a signal must not leave us blocked in the read. */
	for (;;) {
		struct pollfd p = { .fd = STDIN_FILENO, .events = POLLIN };
		int q = poll(&p, 1, 100);
		if (cli_cancelled())
			return false;
		if (q > 0)
			break;
	}
	char line[16];
	return fgets(line, sizeof(line), stdin) && (line[0] == 'y' || line[0] == 'Y');
}

int verb_fix(struct cli *cli, int argc, char **argv) {
	enum { OPT_TARGET = OPT_VERB_BASE, OPT_SYSTEM, OPT_DRY_RUN, OPT_YES };
	static const struct option options[] = {
		{ "target", required_argument, NULL, OPT_TARGET },
		{ "system", required_argument, NULL, OPT_SYSTEM },
		{ "dry-run", no_argument, NULL, OPT_DRY_RUN },
		{ "yes", no_argument, NULL, OPT_YES },
		{},
	};
	const char *target = NULL, *system = NULL;
	bool dry_run = false, yes = false;
	int c;
	while ((c = cli_getopt(cli, argc, argv, "y", options, fix_usage)) != -1)
		switch (c) {
		case OPT_TARGET:
			target = optarg;
			break;
		case OPT_SYSTEM:
			system = optarg;
			break;
		case OPT_DRY_RUN:
			dry_run = true;
			break;
		case OPT_YES:
		case 'y':
			yes = true;
			break;
		default:
			fprintf(stderr, "Try 'rescue fix --help'.\n");
			return EXIT_USAGE;
		}
	if (optind < argc && !system)
		system = argv[optind++];
	if (optind < argc) {
		cli_usage_error("fix", "unexpected argument '%s'", argv[optind]);
		return EXIT_USAGE;
	}
	int r = cli_setup(cli);
	if (r < 0)
		return cli_exit_code(r);

	struct session ses;
	r = session_begin(cli, &ses, target, system, !dry_run);
	if (r != 0)
		return r;
	if (!dry_run && access(ses.target, W_OK) < 0) {
		fprintf(stderr, "rescue fix: %s is not writable: mount it with 'rescue mount --rw'\n", ses.target);
		session_end(cli, &ses);
		return EXIT_BUSY;
	}

	struct rsc_scan *dir = NULL;
	struct rsc_diagnosis *before = NULL, *after = NULL;
	struct rsc_plan *plan = NULL;
	int code = EXIT_OK;
	r = cli_diagnose_at(cli, ses.target, &dir, &before);
	if (r >= 0)
		r = rsc_plan_make(cli->ctx, &dir->systems[0], before, ses.target, &plan);
	if (r >= 0 && cli_cancelled())
		r = -ECANCELED;
	if (r < 0) {
		code = cli_exit_code(r);
		goto out;
	}
	if (dry_run) {
		if (cli->json) {
			json_object *j;
			if (rsc_plan_to_json(plan, &j) >= 0) {
				puts(json_object_to_json_string_ext(j, JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_NOSLASHESCAPE));
				json_object_put(j);
			}
		} else
			rsc_plan_write_script(plan, target ? target : "/mnt/sysroot", stdout);
		code = plan->n_actions || before->errors ? EXIT_FINDINGS : EXIT_OK;
		goto out;
	}
	if (!cli->json)
		print_plan(plan);
	if (plan->n_actions == 0) {
		code = before->errors ? EXIT_NEEDS_HUMAN : EXIT_NOTHING_TO_DO;
		if (!cli->json)
			printf("%s\n", before->errors ? "Errors remain that need a person (above)." :
			       "Nothing to repair: the system has no errors rescue can find.");
		goto out;
	}
	if (!confirm(cli, yes)) {
		code = cli_cancelled() ? EXIT_CANCELLED : EXIT_USAGE;
		goto out;
	}
	int applied = rsc_plan_apply(cli->ctx, plan, ses.target);
	if (applied == -ECANCELED) {
		/* The step that ran was rolled back; nothing to verify. */
		code = EXIT_CANCELLED;
		if (!cli->json)
			for (size_t i = 0; i < plan->n_actions; i++)
				printf("  %zu. %-7s %s: %s\n", i + 1, rsc_action_status_to_string(plan->actions[i].status),
				       plan->actions[i].title, strna(plan->actions[i].result));
		fprintf(stderr, "rescue fix: interrupted; the step that ran was rolled back%s%s\n",
			plan->journal ? "; journal " : "", strempty(plan->journal));
		goto out;
	}

	/* Verify: look again, from scratch. */
	rsc_scan_free(dir);
	dir = NULL;
	r = cli_diagnose_at(cli, ses.target, &dir, &after);
	if (r < 0) {
		code = cli_exit_code(r);
		goto out;
	}
	code = applied < 0 ? EXIT_REPAIR_FAILED : after->errors ? EXIT_NEEDS_HUMAN : EXIT_OK;
	if (cli->json) {
		json_object *j = json_object_new_object(), *jp, *jb, *ja;
		rsc_plan_to_json(plan, &jp);
		rsc_diagnosis_to_json(before, &jb);
		rsc_diagnosis_to_json(after, &ja);
		json_object_object_add(j, "schema", json_object_new_string("rescue-repair/1"));
		json_object_object_add(j, "before", jb);
		json_object_object_add(j, "plan", jp);
		json_object_object_add(j, "after", ja);
		json_object_object_add(j, "exit_code", json_object_new_int(code));
		puts(json_object_to_json_string_ext(j, JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_NOSLASHESCAPE));
		json_object_put(j);
	} else {
		printf("\nResult:\n");
		for (size_t i = 0; i < plan->n_actions; i++)
			printf("  %zu. %-7s %s: %s\n", i + 1, rsc_action_status_to_string(plan->actions[i].status),
			       plan->actions[i].title, strna(plan->actions[i].result));
		printf("Before: %u error(s), %u warning(s). After: %u error(s), %u warning(s).\n", before->errors,
		       before->warnings, after->errors, after->warnings);
		for (size_t i = 0; i < after->n_findings; i++)
			if (after->findings[i].severity == RSC_SEVERITY_ERROR)
				printf("  remaining: %s (%s): %s\n", after->findings[i].code, after->findings[i].subject,
				       after->findings[i].fix);
		if (plan->journal)
			printf("Journal: %s ('rescue undo' restores what it saved).\n", plan->journal);
	}
out:
	rsc_plan_free(plan);
	rsc_diagnosis_free(before);
	rsc_diagnosis_free(after);
	rsc_scan_free(dir);
	session_end(cli, &ses);
	return code;
}

static const char undo_usage[] =
	"Usage: rescue undo [SYSTEM] [--target DIR] [--image FILE]...\n\n"
	"Restore the newest repair journal of the system: files saved before the\n"
	"repair are put back byte for byte, files it moved out of /boot are moved\n"
	"back, files it created are removed. The journal is then marked undone.\n";

int verb_undo(struct cli *cli, int argc, char **argv) {
	enum { OPT_TARGET = OPT_VERB_BASE, OPT_SYSTEM };
	static const struct option options[] = {
		{ "target", required_argument, NULL, OPT_TARGET },
		{ "system", required_argument, NULL, OPT_SYSTEM },
		{},
	};
	const char *target = NULL, *system = NULL;
	int c;
	while ((c = cli_getopt(cli, argc, argv, NULL, options, undo_usage)) != -1)
		switch (c) {
		case OPT_TARGET:
			target = optarg;
			break;
		case OPT_SYSTEM:
			system = optarg;
			break;
		default:
			fprintf(stderr, "Try 'rescue undo --help'.\n");
			return EXIT_USAGE;
		}
	if (optind < argc && !system)
		system = argv[optind++];
	int r = cli_setup(cli);
	if (r < 0)
		return cli_exit_code(r);
	struct session ses;
	r = session_begin(cli, &ses, target, system, true);
	if (r != 0)
		return r;
	_cleanup_free_ char *journal = NULL;
	r = rsc_journal_undo(cli->ctx, ses.target, &journal);
	session_end(cli, &ses);
	if (r < 0)
		return r == -ENOENT ? EXIT_NOTHING_TO_DO : cli_exit_code(r);
	printf("Journal %s undone: %d change%s put back (files restored, moved back or removed; SELinux labels).\n", journal, r,
	       r == 1 ? "" : "s");
	return EXIT_OK;
}
