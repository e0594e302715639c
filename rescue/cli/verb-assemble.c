/* SPDX-License-Identifier: GPL-2.0-or-later */
/* rescue mount / chroot / umount. */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <unistd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "macro.h"
#include "rescue/assemble.h"

static const char mount_usage[] =
	"Usage: rescue mount [SYSTEM] [--target DIR] [--rw] [--image FILE]...\n\n"
	"Mount an installed system under DIR (default /mnt/sysroot) as its own fstab\n"
	"says: the root (with its btrfs subvolume), /usr, /boot, /boot/efi, /efi.\n"
	"Read-only unless --rw; --rw refuses filesystems that record errors.\n"
	"SYSTEM is an id from 'rescue scan' (needed when there are several).\n"
	"Everything mounted is undone by 'rescue umount'.\n";

int verb_mount(struct cli *cli, int argc, char **argv) {
	enum { OPT_TARGET = OPT_VERB_BASE, OPT_RW, OPT_SYSTEM };
	static const struct option options[] = {
		{ "target", required_argument, NULL, OPT_TARGET },
		{ "rw", no_argument, NULL, OPT_RW },
		{ "system", required_argument, NULL, OPT_SYSTEM },
		{},
	};
	struct rsc_session_options so = { .target = "/mnt/sysroot" };
	int c;
	while ((c = cli_getopt(cli, argc, argv, NULL, options, mount_usage)) != -1)
		switch (c) {
		case OPT_TARGET:
			so.target = optarg;
			break;
		case OPT_RW:
			so.read_write = true;
			break;
		case OPT_SYSTEM:
			so.system = optarg;
			break;
		default:
			fprintf(stderr, "Try 'rescue mount --help'.\n");
			return EXIT_USAGE;
		}
	if (optind < argc && !so.system)
		so.system = argv[optind++];
	if (optind < argc) {
		cli_usage_error("mount", "unexpected argument '%s'", argv[optind]);
		return EXIT_USAGE;
	}
	int r = cli_setup(cli);
	if (r < 0)
		return cli_exit_code(r);
	if (geteuid() != 0) {
		fprintf(stderr, "rescue mount: needs root\n");
		return EXIT_NOT_ROOT;
	}
	struct cli_session cs = { 0 };
	cli_session_setup(&cs, cli);
	so.images = cli->images;
	_cleanup_(rsc_session_freep) rsc_session *s = NULL;
	r = rsc_session_new(cli->ctx, &so, &s);
	if (r < 0)
		return cli_exit_code(r);
	cs.session = s;
	/* The session's phases without unlocking (that is 'rescue unlock'):
	 * a system on a locked volume is not seen. */
	r = rsc_session_discover(s);
	if (r >= 0)
		r = rsc_session_activate(s);
	if (r >= 0)
		r = rsc_session_choose(s, so.system);
	if (r >= 0)
		r = rsc_session_mount(s, so.read_write);
	if (r >= 0)
		r = rsc_session_keep(s);
	if (r < 0) {
		/* The session's teardown (on free) undoes what this run did. */
		if (r == -ECANCELED)
			fprintf(stderr, "rescue mount: interrupted; everything it mounted was unmounted\n");
		if (r == -RSC_ERR_AMBIGUOUS)
			fprintf(stderr, "rescue mount: choose one with --system ID\n");
		return cli_exit_code(r);
	}
	printf("%s is mounted at %s (%s). 'rescue chroot' enters it; 'rescue umount' releases it.\n",
	       rsc_session_get_system(s)->id, so.target, so.read_write ? "read-write" : "read-only");
	return EXIT_OK;
}

static const char chroot_usage[] =
	"Usage: rescue chroot [--target DIR] [-- CMD [ARGS...]]\n\n"
	"Run CMD (default: a shell) inside the system mounted at DIR (default\n"
	"/mnt/sysroot) with /proc, /sys, /dev, /run and efivarfs mounted for it.\n"
	"Those mounts are private to the command and vanish when it ends.\n"
	"Exit status: the command's.\n";

int verb_chroot(struct cli *cli, int argc, char **argv) {
	enum { OPT_TARGET = OPT_VERB_BASE };
	static const struct option options[] = {
		{ "target", required_argument, NULL, OPT_TARGET },
		{},
	};
	const char *target = "/mnt/sysroot";
	int c;
	while ((c = cli_getopt(cli, argc, argv, "+", options, chroot_usage)) != -1)
		switch (c) {
		case OPT_TARGET:
			target = optarg;
			break;
		default:
			fprintf(stderr, "Try 'rescue chroot --help'.\n");
			return EXIT_USAGE;
		}
	int r = cli_setup(cli);
	if (r < 0)
		return cli_exit_code(r);
	r = rsc_chroot_run(cli->ctx, target, optind < argc ? argv + optind : NULL);
	return r < 0 ? cli_exit_code(r) : r;
}

static const char umount_usage[] =
	"Usage: rescue umount\n\n"
	"Undo, newest first, every mount, unlock and volume group activation that\n"
	"rescue recorded (in /run/rescue), also those of earlier runs that crashed.\n";

int verb_umount(struct cli *cli, int argc, char **argv) {
	int c;
	while ((c = cli_getopt(cli, argc, argv, NULL, NULL, umount_usage)) != -1) {
		fprintf(stderr, "Try 'rescue umount --help'.\n");
		return EXIT_USAGE;
	}
	if (optind < argc) {
		cli_usage_error("umount", "unexpected argument '%s'", argv[optind]);
		return EXIT_USAGE;
	}
	int r = cli_setup(cli);
	if (r < 0)
		return cli_exit_code(r);
	r = rsc_undo_all(cli->ctx);
	if (r < 0) {
		fprintf(stderr, "rescue umount: some steps could not be undone (see above); run it again when "
				"nothing uses them\n");
		return cli_exit_code(r);
	}
	printf("%d step%s undone; nothing recorded remains.\n", r, r == 1 ? "" : "s");
	return EXIT_OK;
}

static const char unlock_usage[] =
	"Usage: rescue unlock [DEV...] [--key-file F] [--passphrase-fd N] [--tries N] [--image FILE]...\n\n"
	"Open LUKS1/LUKS2 volumes as /dev/mapper/luks-<UUID>. DEV is a device name\n"
	"from 'rescue scan', a /dev node or a LUKS UUID; none: every locked volume.\n"
	"The passphrase is read from the terminal with echo off (3 tries), from\n"
	"--passphrase-fd N (one per line), or a key file is used. A passphrase\n"
	"that opened one volume is tried first on the next.\n"
	"Exit: 0 opened, 10 a volume could not be opened (nothing further was\n"
	"tried), 11 this kernel has no device-mapper, 5 damaged header.\n";

int verb_unlock(struct cli *cli, int argc, char **argv) {
	enum { OPT_KEY_FILE = OPT_VERB_BASE, OPT_PASSPHRASE_FD, OPT_TRIES };
	static const struct option options[] = {
		{ "key-file", required_argument, NULL, OPT_KEY_FILE },
		{ "passphrase-fd", required_argument, NULL, OPT_PASSPHRASE_FD },
		{ "tries", required_argument, NULL, OPT_TRIES },
		{},
	};
	struct cli_session cs = { 0 };
	/* The volumes opened stay open for 'rescue mount': the machine's undo
	 * journal records them, not a private one. */
	struct rsc_session_options so = { .shared_journal = true };
	int c;
	char *end;
	while ((c = cli_getopt(cli, argc, argv, NULL, options, unlock_usage)) != -1)
		switch (c) {
		case OPT_KEY_FILE:
			so.key_file = optarg;
			break;
		case OPT_PASSPHRASE_FD:
			cs.passphrase_fd = (int)strtol(optarg, &end, 10);
			if (*end || cs.passphrase_fd < 0 || fcntl(cs.passphrase_fd, F_GETFD) < 0) {
				cli_usage_error("unlock", "--passphrase-fd %s is not an open file descriptor", optarg);
				return EXIT_USAGE;
			}
			cs.has_passphrase_fd = true;
			break;
		case OPT_TRIES:
			so.tries = (unsigned)strtoul(optarg, &end, 10);
			if (*end || so.tries == 0 || so.tries > 100) {
				cli_usage_error("unlock", "--tries takes a number from 1 to 100");
				return EXIT_USAGE;
			}
			break;
		default:
			fprintf(stderr, "Try 'rescue unlock --help'.\n");
			return EXIT_USAGE;
		}
	int r = cli_setup(cli);
	if (r < 0)
		return cli_exit_code(r);
	if (geteuid() != 0) {
		fprintf(stderr, "rescue unlock: needs root\n");
		return EXIT_NOT_ROOT;
	}
	if (so.key_file && access(so.key_file, R_OK) < 0) {
		fprintf(stderr, "rescue unlock: key file %s: %s\n", so.key_file, strerror(errno));
		return EXIT_BAD_INPUT;
	}
	so.unlock_devices = optind < argc ? argv + optind : NULL;
	so.images = cli->images;
	cli_session_setup(&cs, cli);
	cs.key_file = so.key_file;
	_cleanup_(rsc_session_freep) rsc_session *s = NULL;
	r = rsc_session_new(cli->ctx, &so, &s);
	if (r < 0)
		return cli_exit_code(r);
	cs.session = s;
	r = rsc_session_discover(s);
	int unlocked = r < 0 ? r : rsc_session_unlock(s);
	if (unlocked > 0) {
		/* An unencrypted system, or all open: nothing to do is no failure. */
		printf("No locked LUKS volume: nothing to unlock.\n");
		return EXIT_OK;
	}
	r = unlocked < 0 ? unlocked : rsc_session_keep(s);
	if (r == -ECANCELED)
		/* The phase closed what it opened; teardown (on free) the rest. */
		fprintf(stderr, "rescue unlock: interrupted; the volumes it opened were closed again\n");
	if (r == -EPERM || r == -ENOKEY)
		return EXIT_BAD_PASSPHRASE;
	if (r == -ENOENT && so.unlock_devices)
		fprintf(stderr, "rescue unlock: 'rescue scan' lists the LUKS volumes by name and UUID\n");
	if (r < 0)
		return cli_exit_code(r);
	unsigned n = rsc_session_get_unlocked(s);
	printf("%u volume%s open.\n", n, n == 1 ? "" : "s");
	return EXIT_OK;
}
