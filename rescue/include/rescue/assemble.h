/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Assemble and mount: unlock LUKS volumes, mount an installed system
 * following its own fstab, enter it, and undo all of it.
 *
 * Every unlock, activation, loop device and mount is recorded in an undo
 * journal under /run/rescue (RESCUE_STATE_DIR overrides it) before the
 * call returns, so separate invocations cooperate and `rescue umount`
 * (rsc_undo_all) unwinds everything in reverse, also after a crash.
 */
#pragma once

#include <stdbool.h>

#include "rescue/rescue.h"
#include "rescue/scan.h"

enum rsc_undo_kind {
	RSC_UNDO_MOUNT,   /* arg: mount point */
	RSC_UNDO_CRYPT,   /* arg: device-mapper name of an opened LUKS volume */
	RSC_UNDO_VG,      /* arg: volume group we activated */
	RSC_UNDO_LOOP,    /* arg: loop device node we attached */
	RSC_UNDO_MD,      /* arg: MD array we assembled (md127) */
};

/* Records an action to undo later. */
int rsc_undo_record(rsc_context *ctx, enum rsc_undo_kind kind, const char *arg);
/* Is this action recorded (did rescue do it)? */
bool rsc_undo_has(rsc_context *ctx, enum rsc_undo_kind kind, const char *arg);
/* Replaces the argument of a recorded action (a renamed mapping). */
int rsc_undo_rename(rsc_context *ctx, enum rsc_undo_kind kind, const char *from, const char *to);
/* Undoes every recorded action, newest first. Entries whose object is
 * already gone are dropped as stale; entries that fail stay recorded.
 * Returns the number of entries undone, or a negative errno (-EBUSY: some
 * could not be undone; they are named in messages). */
int rsc_undo_all(rsc_context *ctx);
/* Undoes the newest entries until only `keep` remain (used to roll back
 * a failed or interrupted operation). */
int rsc_undo_to(rsc_context *ctx, unsigned keep);
/* Number of recorded entries. */
int rsc_undo_count(rsc_context *ctx);

/* Asks for the passphrase of a volume. Writes at most size-1 bytes and a
 * NUL into buf (locked memory owned by the library, wiped after use) and
 * returns the length, or a negative errno (-ENOKEY: nothing to ask with). */
typedef int (*rsc_ask_passphrase_fn)(void *userdata, const char *prompt, char *buf, size_t size);

struct rsc_unlock_options {
	char **devices;         /* names, nodes or LUKS UUIDs; NULL: every locked LUKS volume */
	char **images;
	const char *key_file;   /* tried on every volume before asking */
	rsc_ask_passphrase_fn ask;
	void *ask_userdata;
	unsigned tries;         /* per volume; default 3 */
	/* Devices already scanned (a session's): used instead of scanning
	 * again. */
	const struct rsc_scan *scan;
};

/* Without opts->ask, the passphrase is asked through the context's typed
 * question (RSC_ASK_PASSPHRASE), whose answers can also skip a volume or
 * name a key file. */
/* Opens LUKS1/LUKS2 volumes with libcryptsetup as luks-<UUID> (the name
 * dracut and systemd give them). A passphrase that opened one volume is
 * tried first on the next. Already-open volumes count as opened. Returns
 * the number opened, -EPERM when a volume could not be opened with any
 * passphrase or key given (nothing further is tried), -ENOTSUP when this
 * kernel has no device-mapper. */
int rsc_unlock(rsc_context *ctx, const struct rsc_unlock_options *opts);

/* Runs argv (or a login shell when NULL) chrooted into target with /proc,
 * /sys, /dev, /dev/pts, /dev/shm, /run (and efivarfs on UEFI) mounted in a
 * private mount namespace that disappears with the command. Returns its
 * exit status (0..255) or a negative errno. */
int rsc_chroot_run(rsc_context *ctx, const char *target, char *const *argv);
/* The same with the command's stdout and stderr sent to out_fd, and its
 * stdin from /dev/null (for unattended runs). */
int rsc_chroot_run_fd(rsc_context *ctx, const char *target, char *const *argv, int out_fd);
