/* SPDX-License-Identifier: GPL-2.0-or-later */
/* rescue fix / undo: the plan, shown, accepted, applied, verified; and back. */
#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "macro.h"
#include "rescue/diagnose.h"
#include "rescue/repair.h"
#include "rescue/scan.h"
#include "rescue/session.h"
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

/* --json: the session's report, with the exit status, on every way out
 * of an applying run (also when there was nothing to apply or it stopped
 * early) and of a dry run that made no plan: a script reads one JSON
 * document whatever happened. */
static void put_report(rsc_session *s, int code) {
	json_object *j = NULL;
	if (rsc_session_report(s, &j) < 0)
		return;
	json_object_object_add(j, "exit_code", json_object_new_int(code));
	puts(json_object_to_json_string_ext(j, JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_NOSLASHESCAPE));
	json_object_put(j);
}

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

static void show_plan(struct cli_session *cs) {
	if (!cs->cli->json)
		print_plan(rsc_session_get_plan(cs->session));
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
	if (!target && geteuid() != 0) {
		fprintf(stderr, "rescue fix: needs root to mount the system (or give --target DIR)\n");
		return EXIT_NOT_ROOT;
	}
	if (target && !dry_run && access(target, W_OK) < 0) {
		fprintf(stderr, "rescue fix: %s is not writable: mount it with 'rescue mount --rw'\n", target);
		return EXIT_BUSY;
	}

	struct cli_session cs = { .assume_yes = yes, .show_plan = show_plan };
	cli_session_setup(&cs, cli);
	struct rsc_session_options so = {
		.images = cli->images,
		.system = system,
		.mounted_at = target,
		.read_write = !dry_run,
		.dry_run = dry_run,
		.assume_yes = yes,
	};
	rsc_session *s = NULL;
	r = rsc_session_new(cli->ctx, &so, &s);
	if (r < 0)
		return cli_exit_code(r);
	cs.session = s;
	int code;
	r = rsc_session_run(s, RSC_PHASE_PLAN);
	const struct rsc_plan *plan = rsc_session_get_plan(s);
	const struct rsc_diagnosis *before = rsc_session_get_diagnosis(s);
	if (r < 0 || !plan) {
		code = cli_session_exit_code(s, dry_run);
		/* No plan to print (a dry run's output): the report says why. */
		if (cli->json)
			put_report(s, code);
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
		code = cli_session_exit_code(s, true);
		goto out;
	}
	if (plan->n_actions == 0) {
		code = cli_session_exit_code(s, false);
		if (cli->json)
			put_report(s, code);
		else {
			print_plan(plan);
			printf("%s\n", before->errors ? "Errors remain that need a person (above)." :
			       "Nothing to repair: the system has no errors rescue can find.");
		}
		goto out;
	}
	/* The plan is shown, then asked for (or accepted by --yes). */
	if (yes)
		show_plan(&cs);
	r = rsc_session_apply(s);
	if (r == -EPERM || r == -ECANCELED || r == -ENOKEY) {
		if (r != -ECANCELED)
			fprintf(stderr, "rescue fix: not applied%s\n",
				isatty(STDIN_FILENO) ? "" : ": no terminal to ask; give --yes to apply the plan above");
		else if (!cli->json)
			/* Cancelled while a step ran: it was rolled back. */
			for (size_t i = 0; i < plan->n_actions; i++)
				if (plan->actions[i].status != RSC_ACTION_PLANNED)
					printf("  %zu. %-7s %s: %s\n", i + 1, rsc_action_status_to_string(plan->actions[i].status),
					       plan->actions[i].title, strna(plan->actions[i].result));
		code = r == -ECANCELED || cli_cancelled() ? EXIT_CANCELLED : EXIT_USAGE;
		if (cli->json)
			put_report(s, code);
		goto out;
	}
	/* Verify: look again, from scratch (also after a failed, rolled-back step). */
	(void)rsc_session_verify(s);
	code = cli_session_exit_code(s, false);
	const struct rsc_diagnosis *after = rsc_session_get_verified(s);
	if (cli->json)
		put_report(s, code);
	else if (after) {
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
	rsc_session_free(s);
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
	if (!target && geteuid() != 0) {
		fprintf(stderr, "rescue undo: needs root to mount the system (or give --target DIR)\n");
		return EXIT_NOT_ROOT;
	}
	struct cli_session cs = { 0 };
	cli_session_setup(&cs, cli);
	struct rsc_session_options so = { .images = cli->images, .system = system, .mounted_at = target, .read_write = true };
	rsc_session *s = NULL;
	r = rsc_session_new(cli->ctx, &so, &s);
	if (r < 0)
		return cli_exit_code(r);
	cs.session = s;
	r = rsc_session_run(s, RSC_PHASE_ACTIVATE);
	if (r >= 0)
		r = rsc_session_mount(s, true);
	if (r >= 0)
		r = rsc_session_undo(s);
	const char *journal = NULL;
	rsc_session_get_undone(s, &journal);
	_cleanup_free_ char *jname = journal ? strdup(journal) : NULL;
	int code = r >= 0 ? EXIT_OK : r == -ENOENT ? EXIT_NOTHING_TO_DO : cli_exit_code(r);
	if (r < 0 && r != -ENOENT && rsc_session_get_error(s))
		code = cli_session_exit_code(s, false);
	rsc_session_free(s);
	if (r < 0)
		return code;
	printf("Journal %s undone: %d change%s put back (files restored, moved back or removed; SELinux labels).\n", strna(jname), r,
	       r == 1 ? "" : "s");
	return EXIT_OK;
}
