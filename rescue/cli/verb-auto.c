/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * rescue --auto: the whole pipeline without questions, for help desks and
 * the rescue medium's rescue.auto=1: unlock (key or passphrase file), mount
 * read-write, diagnose, repair, verify, tear down, report. Consent is given
 * in advance by the option; the plan is still printed and reported.
 */
#include <fcntl.h>
#include <json-c/json.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <time.h>
#include <unistd.h>

#include "cli.h"
#include "macro.h"
#include "rescue/assemble.h"
#include "rescue/diagnose.h"
#include "rescue/repair.h"
#include "rescue/scan.h"
#include "strv.h"

static const char auto_usage[] =
	"Usage: rescue --auto [--key-file F | --passphrase-file F] [--system ID] [--dry-run]\n"
	"                     [--report FILE] [--image FILE]...\n\n"
	"Unattended repair: unlock LUKS volumes with the key or passphrase file given\n"
	"(without one, only unencrypted systems are looked at), activate LVM, choose\n"
	"the system (the only one, or --system ID), mount it read-write, diagnose,\n"
	"apply the repair plan with its journal, verify, and release everything.\n"
	"--dry-run stops after the plan. --report FILE writes the JSON report\n"
	"(schema rescue-auto/1); a text summary goes to standard output.\n\n"
	"A repair an earlier run left unfinished (power cut, killed) is undone first.\n\n"
	"Exit: 0 repaired, 22 nothing to do, 23 needs a person, 24 a step failed,\n"
	"3 no system, 10 no key opened a volume, 11 no device-mapper, 13 several\n"
	"systems (give --system), 15 interrupted by SIGINT/SIGTERM/SIGHUP\n"
	"(docs/exit-codes.md).\n";

/* The passphrase file holds one passphrase on its first line. */
struct pass_file {
	const char *path;
	bool used;
};

static int ask_from_file(void *userdata, const char *prompt, char *buf, size_t size) {
	struct pass_file *pf = userdata;
	if (!pf->path || pf->used)
		return -EPERM; /* one try: the file will not change */
	pf->used = true;
	int fd = open(pf->path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -ENOKEY;
	size_t n = 0;
	char c;
	while (n + 1 < size && read(fd, &c, 1) == 1 && c != '\n')
		buf[n++] = c;
	buf[n] = 0;
	close(fd);
	return (int)n;
}

static json_object *jstr(const char *s) {
	return s ? json_object_new_string(s) : NULL;
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
	const char *key_file = NULL, *system = NULL, *report = NULL;
	struct pass_file pf = { 0 };
	bool dry_run = false;
	int c;
	while ((c = cli_getopt(cli, argc, argv, NULL, options, auto_usage)) != -1)
		switch (c) {
		case OPT_KEY_FILE:
			key_file = optarg;
			break;
		case OPT_PASS_FILE:
			pf.path = optarg;
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
	const char *files[] = { key_file, pf.path, report };
	for (size_t i = 0; i < 2; i++)
		if (files[i] && access(files[i], R_OK) < 0) {
			fprintf(stderr, "rescue --auto: %s: %s\n", files[i], strerror(errno));
			return EXIT_BAD_INPUT;
		}
	time_t started = time(NULL);
	json_object *rep = json_object_new_object(), *steps = json_object_new_array();
	json_object_object_add(rep, "schema", json_object_new_string("rescue-auto/1"));
	json_object_object_add(rep, "dry_run", json_object_new_boolean(dry_run));

	/* Everything happens in a mount namespace and undo journal of our own;
	 * all of it is undone at the end, whatever happens. */
	int old_ns = open("/proc/self/ns/mnt", O_RDONLY | O_CLOEXEC);
	int cwd = open(".", O_PATH | O_DIRECTORY | O_CLOEXEC);
	char target[] = "/tmp/rescue-auto.XXXXXX", state[] = "/tmp/rescue-auto-state.XXXXXX";
	if (old_ns < 0 || unshare(CLONE_NEWNS) < 0 || mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0 ||
	    !mkdtemp(target) || !mkdtemp(state)) {
		perror("rescue --auto: cannot prepare a private mount");
		return EXIT_FAILURE_;
	}
	rsc_context_set_state_dir(cli->ctx, state);

	int code = EXIT_OK;
	struct rsc_scan *dir = NULL;
	struct rsc_diagnosis *before = NULL, *after = NULL;
	struct rsc_plan *plan = NULL;

	/* 1. Unlock what the key or passphrase opens. */
	if (key_file || pf.path) {
		struct rsc_unlock_options uo = { .images = cli->images, .key_file = key_file, .ask = ask_from_file,
						 .ask_userdata = &pf, .tries = 1 };
		r = rsc_unlock(cli->ctx, &uo);
		json_object_array_add(steps, json_object_new_string(r > 0 ? "unlock: done" : r == 0 ? "unlock: nothing to unlock" :
								   "unlock: failed"));
		if (r == -EPERM) {
			code = EXIT_BAD_PASSPHRASE;
			goto out;
		}
		if (r < 0 && r != -ENOENT) {
			code = cli_exit_code(r);
			goto out;
		}
	}
	if (cli_cancelled()) {
		code = EXIT_CANCELLED;
		goto out;
	}

	/* 2. Mount read-write (activating LVM), or read-only for a dry run. */
	struct rsc_mount_options mo = { .system = system, .target = target, .images = cli->images, .read_write = !dry_run };
	_cleanup_free_ char *id = NULL;
	r = rsc_mount_system(cli->ctx, &mo, &id);
	json_object_object_add(rep, "system", jstr(id));
	if (r < 0) {
		json_object_array_add(steps, json_object_new_string("mount: failed"));
		code = cli_exit_code(r);
		goto out;
	}
	json_object_array_add(steps, json_object_new_string("mount: done"));

	/* An earlier repair cut short (power cut, killed) may have left a
	 * change half made: put back what its journal saved before looking
	 * at the system, so the diagnosis sees a consistent one. */
	_cleanup_free_ char *unfinished = NULL;
	r = rsc_journal_find_unfinished(cli->ctx, target, &unfinished);
	if (r > 0) {
		json_object_object_add(rep, "unfinished_journal", jstr(unfinished));
		if (dry_run) {
			printf("rescue --auto: %s: an earlier repair was interrupted (journal %s); a dry run leaves it; "
			       "the repair undoes it first\n", strna(id), unfinished);
			json_object_array_add(steps, json_object_new_string("unfinished journal: found, left (dry run)"));
			fflush(stdout);
		} else {
			printf("rescue --auto: %s: an earlier repair was interrupted (journal %s): undoing it first\n",
			       strna(id), unfinished);
			r = rsc_journal_undo_path(cli->ctx, target, unfinished);
			if (r < 0) {
				fprintf(stderr, "rescue --auto: the interrupted repair could not be undone (%s); nothing "
					"else was changed\n", rsc_strerror(r));
				json_object_array_add(steps, json_object_new_string("unfinished journal: undo failed"));
				code = EXIT_REPAIR_FAILED;
				goto out;
			}
			printf("rescue --auto: the interrupted repair was undone: %d change(s) put back\n", r);
			/* Said at once: whoever watches the console learns of it
			 * before the repair's long steps, not at the end. */
			fflush(stdout);
			json_object_array_add(steps, json_object_new_string("unfinished journal: undone"));
		}
	}
	if (cli_cancelled()) {
		code = EXIT_CANCELLED;
		goto out;
	}

	/* 3. Diagnose, plan, apply, verify. */
	r = cli_diagnose_at(cli, target, &dir, &before);
	if (r >= 0)
		r = rsc_plan_make(cli->ctx, &dir->systems[0], before, target, &plan);
	if (r >= 0 && cli_cancelled())
		r = -ECANCELED;
	if (r < 0) {
		code = cli_exit_code(r);
		goto out;
	}
	printf("rescue --auto: %s: %u error(s), %u warning(s) found; %zu repair step(s) planned\n", strna(id),
	       before->errors, before->warnings, plan->n_actions);
	for (size_t i = 0; i < plan->n_actions; i++) {
		_cleanup_free_ char *cmd = plan->actions[i].argv ? strv_join(plan->actions[i].argv, " ") : NULL;
		printf("  %zu. %s%s%s\n", i + 1, plan->actions[i].title, cmd ? ": " : "", strempty(cmd));
	}
	if (dry_run) {
		code = plan->n_actions || before->errors ? EXIT_FINDINGS : EXIT_OK;
		goto out;
	}
	if (plan->n_actions == 0) {
		code = before->errors ? EXIT_NEEDS_HUMAN : EXIT_NOTHING_TO_DO;
		goto out;
	}
	int applied = rsc_plan_apply(cli->ctx, plan, target);
	if (applied == -ECANCELED) {
		/* The step that ran was rolled back; the teardown follows. */
		code = EXIT_CANCELLED;
		for (size_t i = 0; i < plan->n_actions; i++)
			printf("  %zu. %s: %s\n", i + 1, rsc_action_status_to_string(plan->actions[i].status),
			       strna(plan->actions[i].result));
		goto out;
	}
	rsc_scan_free(dir);
	dir = NULL;
	r = cli_diagnose_at(cli, target, &dir, &after);
	if (r < 0) {
		code = cli_exit_code(r);
		goto out;
	}
	code = applied < 0 ? EXIT_REPAIR_FAILED : after->errors ? EXIT_NEEDS_HUMAN : EXIT_OK;
	for (size_t i = 0; i < plan->n_actions; i++)
		printf("  %zu. %s: %s\n", i + 1, rsc_action_status_to_string(plan->actions[i].status),
		       strna(plan->actions[i].result));
	printf("rescue --auto: after the repair: %u error(s), %u warning(s)\n", after->errors, after->warnings);

out:
	/* 4. Tear down: unmount, deactivate, close, in reverse. */
	if (rsc_undo_all(cli->ctx) < 0 && code == EXIT_OK)
		code = EXIT_BUSY;
	if (setns(old_ns, CLONE_NEWNS) < 0)
		perror("rescue --auto: cannot return to the original mount namespace");
	if (cwd >= 0 && fchdir(cwd) < 0)
		perror("rescue --auto: cannot return to the working directory");
	close(old_ns);
	if (cwd >= 0)
		close(cwd);
	rmdir(target);
	rmdir(state);

	static const char *const outcomes[] = { [EXIT_OK] = "repaired", [EXIT_NOTHING_TO_DO] = "nothing to do",
						[EXIT_NEEDS_HUMAN] = "needs a human", [EXIT_REPAIR_FAILED] = "failed",
						[EXIT_FINDINGS] = "plan only (dry run)",
						[EXIT_BAD_PASSPHRASE] = "not unlocked: the key or passphrase opens no volume",
						[EXIT_NO_SYSTEM] = "no installed system found",
						[EXIT_AMBIGUOUS] = "several systems: give --system",
						[EXIT_NO_DM] = "this kernel has no device-mapper",
						[EXIT_NEEDS_FSCK] = "a filesystem needs fsck first",
						[EXIT_CANCELLED] = "cancelled: interrupted by a signal; the step running was rolled back and everything released" };
	const char *outcome = (size_t)code < ELEMENTSOF(outcomes) && outcomes[code] ? outcomes[code] : "failed";
	if (dry_run && code == EXIT_OK)
		outcome = "nothing to do";
	json_object *j;
	if (before && rsc_diagnosis_to_json(before, &j) >= 0)
		json_object_object_add(rep, "before", j);
	if (plan && rsc_plan_to_json(plan, &j) >= 0)
		json_object_object_add(rep, "plan", j);
	if (after && rsc_diagnosis_to_json(after, &j) >= 0)
		json_object_object_add(rep, "after", j);
	json_object_object_add(rep, "steps", steps);
	json_object_object_add(rep, "outcome", json_object_new_string(outcome));
	json_object_object_add(rep, "exit_code", json_object_new_int(code));
	json_object_object_add(rep, "seconds", json_object_new_int((int)(time(NULL) - started)));
	json_object *next = json_object_new_array();
	if (plan) {
		STRV_FOREACH(x, plan->unfixed)
			json_object_array_add(next, json_object_new_string(*x));
		if (!dry_run && code == EXIT_OK)
			STRV_FOREACH(x, plan->follow_up) {
				json_object_array_add(next, json_object_new_string(*x));
				printf("rescue --auto: next: %s\n", *x);
			}
	}
	for (size_t i = 0; after && i < after->n_findings; i++)
		if (after->findings[i].severity == RSC_SEVERITY_ERROR)
			json_object_array_add(next, json_object_new_string(after->findings[i].fix));
	json_object_object_add(rep, "next_steps", next);
	if (report) {
		/* Beside the destination, then renamed: never half a report. */
		_cleanup_free_ char *tmp = NULL;
		if (asprintf(&tmp, "%s.tmp", report) >= 0) {
			FILE *f = fopen(tmp, "we");
			if (f && fputs(json_object_to_json_string_ext(rep, JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_NOSLASHESCAPE), f) >= 0 &&
			    fputc('\n', f) != EOF && fclose(f) == 0 && rename(tmp, report) == 0)
				f = NULL;
			else {
				if (f)
					fclose(f);
				unlink(tmp);
				fprintf(stderr, "rescue --auto: cannot write the report %s: %s\n", report, strerror(errno));
			}
		}
	}
	if (cli->json)
		puts(json_object_to_json_string_ext(rep, JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_NOSLASHESCAPE));
	printf("rescue --auto: outcome: %s (exit %d)\n", outcome, code);
	json_object_put(rep);
	rsc_plan_free(plan);
	rsc_diagnosis_free(before);
	rsc_diagnosis_free(after);
	rsc_scan_free(dir);
	return code;
}
