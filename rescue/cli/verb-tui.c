/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * rescue tui: the repair wizard (tui/), also what 'rescue' with no verb
 * starts on a terminal. Options choose the system to work on and, for
 * tests, a headless run that replays a key script and dumps the screens.
 */
#include <fcntl.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <unistd.h>

#include "../../tui/tui.h"
#include "cli.h"
#include "macro.h"

static const char tui_usage[] =
	"Usage: rescue tui [--root DIR] [--target DIR] [--system ID] [--key-file F]\n"
	"                  [--basic | --rich] [--explain] [--image FILE]...\n"
	"       rescue tui --headless --keys FILE [--dump DIR] [--size COLSxROWS] ...\n\n"
	"The repair wizard: find the installed systems, unlock, mount read-only,\n"
	"check, diagnose, show the plan, apply it after you say yes, verify, undo,\n"
	"report. 'rescue' with no verb starts it on a terminal.\n\n"
	"  --root DIR      work on a system already mounted at DIR (left mounted)\n"
	"  --no-devices    with --root: do not look at this machine's disks\n"
	"  --target DIR    mount the system there instead of a private directory\n"
	"  --system ID     the system to work on (as 'rescue scan' names it)\n"
	"  --key-file F    try this key file on every encrypted volume first\n"
	"  --basic         ASCII, no colour, reverse video for focus (serial lines)\n"
	"  --rich          line drawing and colour even on a serial line\n"
	"  --explain       start in teaching mode\n"
	"  --headless      no terminal: replay the key script of --keys, write a\n"
	"                  text dump of the screen at each 'dump NAME' into --dump\n"
	"  --size CxR      the headless terminal's size (default 80x24)\n\n"
	"Keys: ? or F1 on every screen (docs/wizard.md, rescue(8)).\n";

int verb_tui(struct cli *cli, int argc, char **argv) {
	enum { OPT_ROOT = OPT_VERB_BASE, OPT_TARGET, OPT_SYSTEM, OPT_KEY_FILE, OPT_BASIC, OPT_RICH, OPT_HEADLESS,
	       OPT_KEYS, OPT_DUMP, OPT_SIZE, OPT_NO_DEVICES };
	static const struct option options[] = {
		{ "root", required_argument, NULL, OPT_ROOT },
		{ "target", required_argument, NULL, OPT_TARGET },
		{ "system", required_argument, NULL, OPT_SYSTEM },
		{ "key-file", required_argument, NULL, OPT_KEY_FILE },
		{ "basic", no_argument, NULL, OPT_BASIC },
		{ "rich", no_argument, NULL, OPT_RICH },
		{ "headless", no_argument, NULL, OPT_HEADLESS },
		{ "keys", required_argument, NULL, OPT_KEYS },
		{ "dump", required_argument, NULL, OPT_DUMP },
		{ "size", required_argument, NULL, OPT_SIZE },
		{ "no-devices", no_argument, NULL, OPT_NO_DEVICES },
		{},
	};
	struct rsc_session_options so = { 0 };
	struct tui_options to = { .basic = -1 };
	int c;
	while ((c = cli_getopt(cli, argc, argv, NULL, options, tui_usage)) != -1)
		switch (c) {
		case OPT_ROOT:
			so.mounted_at = optarg;
			break;
		case OPT_TARGET:
			so.target = optarg;
			break;
		case OPT_SYSTEM:
			so.system = optarg;
			break;
		case OPT_KEY_FILE:
			so.key_file = optarg;
			break;
		case OPT_BASIC:
			to.basic = 1;
			break;
		case OPT_RICH:
			to.basic = 0;
			break;
		case OPT_HEADLESS:
			to.headless = true;
			break;
		case OPT_KEYS:
			to.keys_file = optarg;
			break;
		case OPT_DUMP:
			to.dump_dir = optarg;
			break;
		case OPT_NO_DEVICES:
			so.no_devices = true;
			break;
		case OPT_SIZE:
			if (sscanf(optarg, "%dx%d", &to.cols, &to.rows) != 2 || to.cols < 1 || to.rows < 1) {
				cli_usage_error("tui", "--size takes COLSxROWS, e.g. 80x24");
				return EXIT_USAGE;
			}
			break;
		default:
			fprintf(stderr, "Try 'rescue tui --help'.\n");
			return EXIT_USAGE;
		}
	if (optind < argc) {
		cli_usage_error("tui", "unexpected argument '%s'", argv[optind]);
		return EXIT_USAGE;
	}
	if (to.headless && !to.keys_file) {
		cli_usage_error("tui", "--headless needs --keys FILE");
		return EXIT_USAGE;
	}
	if (!to.headless && (!isatty(STDIN_FILENO) || !isatty(STDOUT_FILENO))) {
		fprintf(stderr, "rescue tui: needs a terminal (or --headless)\n");
		return EXIT_USAGE;
	}
	if (to.headless && to.basic == -1)
		to.basic = 0;
	to.explain = cli->explain;
	so.images = cli->images;
	/* On the rescue medium: its RESCUE partition's journals/. */
	so.journal_copy = secure_getenv("RESCUE_JOURNAL_DIR");
	int r = cli_setup(cli);
	if (r < 0)
		return cli_exit_code(r);

	/* The phases run in a worker thread, and a mount namespace made there
	 * would be that thread's alone: make the private one here, before any
	 * thread exists, with a directory of our own as the target. A slave
	 * of the machine's: what is mounted outside after we start still
	 * shows here (on the rescue medium, init mounts the RESCUE partition
	 * while the wizard's first screen is up, where / is shared), and
	 * nothing mounted here ever shows outside. */
	char target[] = "/tmp/rescue-tui.XXXXXX";
	bool private = false;
	if (!so.mounted_at && !so.target && geteuid() == 0) {
		if (unshare(CLONE_NEWNS) < 0 || mount(NULL, "/", NULL, MS_REC | MS_SLAVE, NULL) < 0 || !mkdtemp(target)) {
			perror("rescue tui: cannot prepare a private mount");
			return EXIT_FAILURE_;
		}
		so.target = target;
		private = true;
	}
	r = tui_run(cli->ctx, &so, &to);
	if (private)
		rmdir(target);
	if (r < 0) {
		fprintf(stderr, "rescue tui: %s\n", rsc_strerror(r));
		return cli_exit_code(r);
	}
	return EXIT_OK;
}
