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
#include "rescue/session.h"

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

	if (!target && geteuid() != 0) {
		fprintf(stderr, "rescue: needs root to mount the system (or give --target DIR)\n");
		return EXIT_NOT_ROOT;
	}
	struct cli_session cs = { 0 };
	cli_session_setup(&cs, cli);
	struct rsc_session_options so = { .images = cli->images, .system = system, .mounted_at = target };
	rsc_session *s = NULL;
	r = rsc_session_new(cli->ctx, &so, &s);
	if (r < 0)
		return cli_exit_code(r);
	cs.session = s;
	r = rsc_session_run(s, RSC_PHASE_DIAGNOSE);
	rsc_session_teardown(s);
	const struct rsc_diagnosis *d = rsc_session_get_diagnosis(s);
	if (r < 0 || !d) {
		int code = cli_session_exit_code(s, false);
		rsc_session_free(s);
		return code == EXIT_OK ? EXIT_FAILURE_ : code;
	}
	if (cli->json) {
		json_object *j;
		if (rsc_diagnosis_to_json(d, &j) < 0) {
			rsc_session_free(s);
			return EXIT_FAILURE_;
		}
		puts(json_object_to_json_string_ext(j, JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_NOSLASHESCAPE));
		json_object_put(j);
	} else
		print_text(d, cli->explain);
	int code = d->errors ? EXIT_FINDINGS : d->warnings ? EXIT_WARNINGS : EXIT_OK;
	rsc_session_free(s);
	return code;
}
