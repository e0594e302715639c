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
	struct rsc_mount_options opts = { 0 };
	int c;
	while ((c = cli_getopt(cli, argc, argv, NULL, options, mount_usage)) != -1)
		switch (c) {
		case OPT_TARGET:
			opts.target = optarg;
			break;
		case OPT_RW:
			opts.read_write = true;
			break;
		case OPT_SYSTEM:
			opts.system = optarg;
			break;
		default:
			fprintf(stderr, "Try 'rescue mount --help'.\n");
			return EXIT_USAGE;
		}
	if (optind < argc && !opts.system)
		opts.system = argv[optind++];
	if (optind < argc) {
		cli_usage_error("mount", "unexpected argument '%s'", argv[optind]);
		return EXIT_USAGE;
	}
	int r = cli_setup(cli);
	if (r < 0)
		return cli_exit_code(r);
	opts.images = cli->images;
	_cleanup_free_ char *id = NULL;
	r = rsc_mount_system(cli->ctx, &opts, &id);
	if (r < 0) {
		if (r == -ECANCELED)
			fprintf(stderr, "rescue mount: interrupted; everything it mounted was unmounted\n");
		if (r == -RSC_ERR_AMBIGUOUS)
			fprintf(stderr, "rescue mount: choose one with --system ID\n");
		return cli_exit_code(r);
	}
	printf("%s is mounted at %s (%s). 'rescue chroot' enters it; 'rescue umount' releases it.\n", id,
	       opts.target ? opts.target : "/mnt/sysroot", opts.read_write ? "read-write" : "read-only");
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

struct ask_state {
	int fd;          /* --passphrase-fd, or -1 for the terminal */
	bool fd_eof;
};

static int ask_passphrase(void *userdata, const char *prompt, char *buf, size_t size) {
	struct ask_state *st = userdata;
	if (st->fd >= 0) {
		if (st->fd_eof)
			return -EPERM;
		int n = cli_read_line(st->fd, buf, size);
		if (n == 0)
			st->fd_eof = true; /* an empty line or the end: no more tries from there */
		return n;
	}
	return cli_ask_tty_secret(prompt, buf, size);
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
	struct ask_state ask = { .fd = -1 };
	struct rsc_unlock_options opts = { .ask = ask_passphrase, .ask_userdata = &ask };
	int c;
	char *end;
	while ((c = cli_getopt(cli, argc, argv, NULL, options, unlock_usage)) != -1)
		switch (c) {
		case OPT_KEY_FILE:
			opts.key_file = optarg;
			break;
		case OPT_PASSPHRASE_FD:
			ask.fd = (int)strtol(optarg, &end, 10);
			if (*end || ask.fd < 0 || fcntl(ask.fd, F_GETFD) < 0) {
				cli_usage_error("unlock", "--passphrase-fd %s is not an open file descriptor", optarg);
				return EXIT_USAGE;
			}
			break;
		case OPT_TRIES:
			opts.tries = (unsigned)strtoul(optarg, &end, 10);
			if (*end || opts.tries == 0 || opts.tries > 100) {
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
	if (opts.key_file && access(opts.key_file, R_OK) < 0) {
		fprintf(stderr, "rescue unlock: key file %s: %s\n", opts.key_file, strerror(errno));
		return EXIT_BAD_INPUT;
	}
	opts.devices = optind < argc ? argv + optind : NULL;
	opts.images = cli->images;
	int start = rsc_undo_count(cli->ctx);
	r = rsc_unlock(cli->ctx, &opts);
	if (r == -ECANCELED && start >= 0) {
		/* Interrupted: the volumes this run opened are closed again. */
		rsc_undo_to(cli->ctx, (unsigned)start);
		fprintf(stderr, "rescue unlock: interrupted; the volumes it opened were closed again\n");
	}
	if (r == -EPERM)
		return EXIT_BAD_PASSPHRASE;
	if (r == -ENOENT && opts.devices)
		fprintf(stderr, "rescue unlock: 'rescue scan' lists the LUKS volumes by name and UUID\n");
	if (r < 0)
		return cli_exit_code(r);
	printf("%d volume%s open.\n", r, r == 1 ? "" : "s");
	return EXIT_OK;
}
