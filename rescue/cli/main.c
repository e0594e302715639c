/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * rescue: the command-line front-end of librescue. It parses the command
 * line, dispatches to one verb from the table below, prints what the library
 * reports, and maps errors to the exit codes of docs/exit-codes.md.
 */
#include <errno.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "macro.h"
#include "strv.h"

/* One table drives dispatch and --help. Keep verbs stable once documented. */
static const struct verb verbs[] = {
	{ "scan", "[--json]", "find disks, encrypted volumes and installed systems (read-only)", verb_scan, true },
	{ "initramfs", "ls|cat|extract|verify IMAGE ...", "read, list and verify initramfs images", verb_initramfs, true },
	{ "unlock", "[DEV...] [--key-file F]", "open LUKS volumes (passphrase from the terminal, a key file or an fd)", verb_unlock, false },
	{ "mount", "[SYSTEM] [--target DIR] [--rw]", "mount an installed system following its fstab", verb_mount, false },
	{ "chroot", "[--target DIR] [-- CMD...]", "run a shell or CMD inside the mounted system", verb_chroot, false },
	{ "diagnose", "[SYSTEM] [--target DIR] [--json]", "find why a system does not boot, with evidence and fixes", verb_diagnose, true },
	{ "fix", "[SYSTEM] [--dry-run] [--yes]", "plan the repair, show it, apply it with a journal, verify", verb_fix, false },
	{ "undo", "[SYSTEM] [--target DIR]", "restore the files of the last repair from its journal", verb_undo, false },
	{ "auto", "[--key-file F] [--dry-run] [--report F]", "unattended: unlock, mount, diagnose, repair, verify, report (also: rescue --auto)", verb_auto, false },
	{ "umount", "", "undo every mount, unlock and activation made", verb_umount, false },
	{ "tui", "[--root DIR] [--basic] [--explain]", "the repair wizard (also: rescue with no verb on a terminal)", verb_tui, false },
};

static const struct option global_options[] = {
	{ "image", required_argument, NULL, OPT_IMAGE },
	{ "json", no_argument, NULL, OPT_JSON },
	{ "explain", no_argument, NULL, OPT_EXPLAIN },
	{ "profiles", required_argument, NULL, OPT_PROFILES },
	{ "verbose", no_argument, NULL, 'v' },
	{ "quiet", no_argument, NULL, 'q' },
	{ "help", no_argument, NULL, 'h' },
	{ "version", no_argument, NULL, OPT_VERSION },
};

static void help(void) {
	printf("Usage: rescue [OPTIONS] [VERB] [ARGS...]\n\n"
	       "Offline boot recovery: find installed Linux systems, check what keeps\n"
	       "them from booting, and repair them. With no verb: the repair wizard on a\n"
	       "terminal, 'scan' otherwise.\n\n"
	       "Verbs:\n");
	for (size_t i = 0; i < ELEMENTSOF(verbs); i++)
		printf("  %-10s %-34s %s\n", verbs[i].name, verbs[i].args, verbs[i].summary);
	printf("\nGlobal options:\n"
	       "  --image FILE    work on a disk image instead of this machine's disks\n"
	       "                  (repeatable; attached read-only)\n"
	       "  --json          machine-readable output (schema: docs/scan-json.md)\n"
	       "  --explain       explain each step and show the commands a person would type\n"
	       "  --profiles DIR  read distribution profiles from DIR instead of the built-in ones\n"
	       "  -v, --verbose   more messages (repeat for debug)\n"
	       "  -q, --quiet     only errors\n"
	       "  -h, --help      this help; 'rescue VERB --help' for a verb\n"
	       "  --version       print the version\n\n"
	       "Exit codes: docs/exit-codes.md; manual: rescue(8).\n");
}

void cli_usage_error(const char *verb, const char *fmt, ...) {
	va_list ap;
	fprintf(stderr, "rescue%s%s: ", verb ? " " : "", verb ? verb : "");
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, "\nTry 'rescue %s%s--help'.\n", verb ? verb : "", verb ? " " : "");
}

int cli_getopt(struct cli *cli, int argc, char **argv, const char *extra_short,
	       const struct option *extra, const char *verb_usage) {
	/* Built on first use per verb: the global options plus the verb's. */
	static struct option merged[64];
	static char shorts[64];
	static const struct option *merged_for = (const struct option *)-1;

	if (merged_for != extra) {
		size_t n = 0;
		for (size_t i = 0; i < ELEMENTSOF(global_options); i++)
			merged[n++] = global_options[i];
		for (const struct option *o = extra; o && o->name && n + 1 < ELEMENTSOF(merged); o++)
			merged[n++] = *o;
		merged[n] = (struct option){ 0 };
		merged_for = extra;
	}
	/* Options may follow a verb's arguments ('rescue unlock vdb2
	 * --key-file K'), except before the verb and where the arguments are
	 * a command of their own ('rescue chroot ls -l'): extra_short "+...". */
	bool in_order = !verb_usage || (extra_short && extra_short[0] == '+');
	snprintf(shorts, sizeof(shorts), "%svqh%s", in_order ? "+" : "",
		 extra_short ? extra_short + (extra_short[0] == '+') : "");

	for (;;) {
		int c = getopt_long(argc, argv, shorts, merged, NULL);
		switch (c) {
		case OPT_IMAGE:
			if (strv_extend(&cli->images, optarg) < 0) {
				fprintf(stderr, "rescue: out of memory\n");
				exit(EXIT_FAILURE_);
			}
			break;
		case OPT_JSON:
			cli->json = true;
			break;
		case OPT_EXPLAIN:
			cli->explain = true;
			break;
		case OPT_PROFILES:
			cli->profiles = optarg;
			break;
		case 'v':
			cli->verbosity++;
			break;
		case 'q':
			cli->verbosity = -1;
			break;
		case 'h':
			if (verb_usage) {
				fputs(verb_usage, stdout);
				exit(EXIT_OK);
			}
			help();
			exit(EXIT_OK);
		case OPT_VERSION:
			printf("rescue %s\n", RESCUE_VERSION);
			exit(EXIT_OK);

		default:
			return c;
		}
	}
}

int cli_exit_code(int r) {
	if (r >= 0)
		return EXIT_OK;
	switch (-r) {
	case RSC_ERR_NO_SYSTEM:
		return EXIT_NO_SYSTEM;
	case RSC_ERR_AMBIGUOUS:
		return EXIT_AMBIGUOUS;
	case EUCLEAN:
		return EXIT_NEEDS_FSCK;
	case ENOTSUP:
		return EXIT_NO_DM;
	case EBUSY:
		return EXIT_BUSY;
	case ECANCELED:
		return EXIT_CANCELLED;
	case RSC_ERR_NOT_ROOT:
	case EPERM:
	case EACCES:
		return EXIT_NOT_ROOT;
	case RSC_ERR_BAD_INPUT:
	case ENOENT:
	case ENOTDIR:
	case EBADMSG:
	case EFBIG:
	case EISDIR:
	case ENODEV:
	case EPROTO:
	case ENOEXEC:
		return EXIT_BAD_INPUT;
	case EINVAL:
		return EXIT_USAGE;
	default:
		return EXIT_FAILURE_;
	}
}

/* SIGINT, SIGTERM and SIGHUP do not kill us mid-way: the handler only
 * records the request; the library sees it through the cancel callback
 * (between steps, and every tenth of a second while a command runs),
 * stops what runs, undoes the step, and the verb unwinds what it opened
 * in reverse and exits 15. */
static volatile sig_atomic_t cancel_requested;

static void on_signal(int sig) {
	cancel_requested = sig;
}

static bool cancel_fn(void *userdata) {
	return cancel_requested != 0;
}

bool cli_cancelled(void) {
	return cancel_requested != 0;
}

static void catch_signals(struct cli *cli) {
	/* SA_RESTART: system calls in progress finish; prompts poll the flag
	 * themselves. */
	struct sigaction sa = { .sa_handler = on_signal, .sa_flags = SA_RESTART };
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
	rsc_context_set_cancel(cli->ctx, cancel_fn, NULL);
}

static void log_to_stderr(void *userdata, int level, const char *message) {
	const char *prefix = level <= RSC_LOG_ERR ? "error: " : level == RSC_LOG_WARNING ? "warning: " : "";
	fprintf(stderr, "rescue: %s%s\n", prefix, message);
}

int main(int argc, char **argv) {
	struct cli cli = { 0 };
	int r = rsc_context_new(&cli.ctx);
	if (r < 0) {
		fprintf(stderr, "rescue: %s\n", rsc_strerror(r));
		return EXIT_FAILURE_;
	}
	rsc_context_set_log(cli.ctx, log_to_stderr, NULL);

	/* "rescue --auto [options]" is the auto verb, written as the design
	 * and the rescue medium's kernel command line spell it. */
	for (int i = 1; i < argc; i++)
		if (streq(argv[i], "--auto")) {
			argv[i] = (char *)"auto";
			char *v = argv[i];
			memmove(argv + 2, argv + 1, (size_t)(i - 1) * sizeof(char *));
			argv[1] = v;
			break;
		} else if (argv[i][0] != '-')
			break;

	/* Global options before the verb. */
	int c = cli_getopt(&cli, argc, argv, NULL, NULL, NULL);
	if (c != -1) {
		fprintf(stderr, "Try 'rescue --help'.\n");
		return EXIT_USAGE;
	}

	const struct verb *verb = NULL;
	char *default_argv[] = { (char *)"scan", NULL };
	int vargc = argc - optind;
	char **vargv = argv + optind;
	if (vargc == 0 && isatty(STDIN_FILENO) && isatty(STDOUT_FILENO)) {
		verb = &verbs[ELEMENTSOF(verbs) - 1];
		default_argv[0] = (char *)"tui";
		vargc = 1;
		vargv = default_argv;
	} else if (vargc == 0) {
		verb = &verbs[0];
		vargc = 1;
		vargv = default_argv;
	} else {
		for (size_t i = 0; i < ELEMENTSOF(verbs); i++)
			if (streq(verbs[i].name, vargv[0]))
				verb = &verbs[i];
		if (!verb) {
			cli_usage_error(NULL, "unknown verb '%s'", vargv[0]);
			return EXIT_USAGE;
		}
	}

	/* The verb parses from its own argv[1]; reset getopt for it. */
	optind = 0;
	catch_signals(&cli);
	r = verb->run(&cli, vargc, vargv);
	/* A verb that changes nothing ends as it would have, a little later:
	 * what it printed may be incomplete, so say it was interrupted. */
	if (cancel_requested && verb->read_only && r != EXIT_USAGE)
		r = EXIT_CANCELLED;
	if (cancel_requested && r == EXIT_CANCELLED)
		fprintf(stderr, "rescue: interrupted by %s\n", strsignal(cancel_requested));

	strv_free(cli.images);
	rsc_context_free(cli.ctx);
	return r;
}

int cli_setup(struct cli *cli) {
	int level = RSC_LOG_NOTICE + cli->verbosity;
	if (cli->verbosity < 0)
		level = RSC_LOG_ERR;
	rsc_context_set_log_level(cli->ctx, level);
	if (cli->profiles)
		return rsc_context_set_profile_dir(cli->ctx, cli->profiles);
	return 0;
}
