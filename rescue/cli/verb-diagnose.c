/* SPDX-License-Identifier: GPL-2.0-or-later */
/* rescue diagnose: findings, each with evidence, explanation and fix. */
#include <fcntl.h>
#include <json-c/json.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <unistd.h>

#include "cli.h"
#include "macro.h"
#include "rescue/assemble.h"
#include "rescue/diagnose.h"
#include "rescue/scan.h"

static const char diagnose_usage[] =
	"Usage: rescue diagnose [SYSTEM] [--target DIR] [--image FILE]... [--json]\n\n"
	"Find what keeps an installed system from booting: /boot and ESP space,\n"
	"kernels without modules or initramfs, initramfs images that are damaged or\n"
	"cannot mount this root, boot entries pointing at missing files or devices,\n"
	"a replaced ESP stub, fstab/crypttab entries naming absent devices, wrong\n"
	"SELinux labels. Read-only. Without --target the system is mounted\n"
	"read-only in a private namespace for the check and released after; with\n"
	"--target DIR it is read where 'rescue mount' put it.\n\n"
	"Exit: 0 nothing found, 20 problems that keep it from booting, 21 warnings\n"
	"only (docs/exit-codes.md).\n";

static const char *const marks[] = { [RSC_SEVERITY_INFO] = "info", [RSC_SEVERITY_WARNING] = "WARNING",
				     [RSC_SEVERITY_ERROR] = "ERROR" };

static void print_text(const struct rsc_diagnosis *d, bool explain) {
	printf("Diagnosis of %s: %u error%s, %u warning%s\n", d->system, d->errors, d->errors == 1 ? "" : "s",
	       d->warnings, d->warnings == 1 ? "" : "s");
	for (size_t i = 0; i < d->n_findings; i++) {
		const struct rsc_finding *f = &d->findings[i];
		printf("\n%-7s %s: %s\n", marks[f->severity], f->subject, f->code);
		printf("        %s\n", f->explanation);
		printf("        evidence: %s\n", f->evidence);
		printf("        fix:      %s\n", f->fix);
	}
	if (!d->n_findings)
		printf("Nothing found that keeps it from booting.\n");
}

int session_begin(struct cli *cli, struct session *s, const char *target, const char *system, bool rw) {
	*s = (struct session){ .target = target, .old_ns = -1 };
	if (target)
		return 0;
	if (geteuid() != 0) {
		fprintf(stderr, "rescue: needs root to mount the system (or give --target DIR)\n");
		return EXIT_NOT_ROOT;
	}
	snprintf(s->dir, sizeof(s->dir), "/tmp/rescue-session.XXXXXX");
	snprintf(s->state, sizeof(s->state), "/tmp/rescue-session-state.XXXXXX");
	s->old_ns = open("/proc/self/ns/mnt", O_RDONLY | O_CLOEXEC);
	if (s->old_ns < 0 || unshare(CLONE_NEWNS) < 0 || mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0 ||
	    !mkdtemp(s->dir) || !mkdtemp(s->state)) {
		perror("rescue: cannot prepare a private mount");
		return EXIT_FAILURE_;
	}
	s->private = true;
	rsc_context_set_state_dir(cli->ctx, s->state);
	struct rsc_mount_options mo = { .system = system, .target = s->dir, .images = cli->images, .read_write = rw };
	int r = rsc_mount_system(cli->ctx, &mo, NULL);
	if (r < 0) {
		session_end(cli, s);
		return cli_exit_code(r);
	}
	s->target = s->dir;
	return 0;
}

void session_end(struct cli *cli, struct session *s) {
	if (!s->private)
		return;
	rsc_undo_all(cli->ctx);
	int cwd = open(".", O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (setns(s->old_ns, CLONE_NEWNS) < 0)
		perror("rescue: cannot return to the original mount namespace");
	if (cwd >= 0) {
		(void)!fchdir(cwd); /* setns() moved us to the root directory */
		close(cwd);
	}
	close(s->old_ns);
	rmdir(s->dir);
	rmdir(s->state);
	rsc_context_set_state_dir(cli->ctx, NULL);
	s->private = false;
}

/* Diagnosis of the system at target, with the devices for context. */
int cli_diagnose_at(struct cli *cli, const char *target, struct rsc_scan **ret_dir, struct rsc_diagnosis **ret) {
	struct rsc_scan *dir = NULL, *devs = NULL;
	struct rsc_scan_options so = { .root_dir = target }, ds = { .images = cli->images, .no_identify = true };
	int r = rsc_scan_run(cli->ctx, &so, &dir);
	if (r >= 0 && dir->n_systems == 0)
		r = -RSC_ERR_NO_SYSTEM;
	if (r >= 0)
		r = rsc_scan_run(cli->ctx, &ds, &devs);
	if (r >= 0)
		r = rsc_diagnose(cli->ctx, devs, &dir->systems[0], target, ret);
	rsc_scan_free(devs);
	if (r < 0) {
		rsc_scan_free(dir);
		return r;
	}
	*ret_dir = dir;
	return 0;
}

int verb_diagnose(struct cli *cli, int argc, char **argv) {
	enum { OPT_TARGET = OPT_VERB_BASE, OPT_SYSTEM };
	static const struct option options[] = {
		{ "target", required_argument, NULL, OPT_TARGET },
		{ "system", required_argument, NULL, OPT_SYSTEM },
		{},
	};
	const char *target = NULL, *system = NULL;
	int c;
	while ((c = cli_getopt(cli, argc, argv, NULL, options, diagnose_usage)) != -1)
		switch (c) {
		case OPT_TARGET:
			target = optarg;
			break;
		case OPT_SYSTEM:
			system = optarg;
			break;
		default:
			fprintf(stderr, "Try 'rescue diagnose --help'.\n");
			return EXIT_USAGE;
		}
	if (optind < argc && !system)
		system = argv[optind++];
	if (optind < argc) {
		cli_usage_error("diagnose", "unexpected argument '%s'", argv[optind]);
		return EXIT_USAGE;
	}
	int r = cli_setup(cli);
	if (r < 0)
		return cli_exit_code(r);

	struct session ses;
	r = session_begin(cli, &ses, target, system, false);
	if (r != 0)
		return r;
	target = ses.target;

	struct rsc_scan *dir = NULL;
	struct rsc_diagnosis *d = NULL;
	r = cli_diagnose_at(cli, target, &dir, &d);
	if (r == -RSC_ERR_NO_SYSTEM)
		fprintf(stderr, "rescue diagnose: %s holds no installed system (no os-release)\n", target);
	session_end(cli, &ses);
	rsc_scan_free(dir);
	if (r < 0)
		return cli_exit_code(r);

	if (cli->json) {
		json_object *j;
		if (rsc_diagnosis_to_json(d, &j) < 0) {
			rsc_diagnosis_free(d);
			return EXIT_FAILURE_;
		}
		puts(json_object_to_json_string_ext(j, JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_NOSLASHESCAPE));
		json_object_put(j);
	} else
		print_text(d, cli->explain);
	int code = d->errors ? EXIT_FINDINGS : d->warnings ? EXIT_WARNINGS : EXIT_OK;
	rsc_diagnosis_free(d);
	return code;
}
