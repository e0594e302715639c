/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The undo journal: one line per action we took on the machine ("mount
 * /mnt/sysroot/boot", "crypt luks-1234...", "vg vg0", "loop /dev/loop3"),
 * appended under a lock and rewritten by rename, so a crash never leaves
 * a half-written file and a later `rescue umount` can still unwind it.
 */
#include <dirent.h>
#include <fcntl.h>
#include <libcryptsetup.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <linux/loop.h>
#include <unistd.h>

#include "fileio.h"
#include "internal.h"
#include "rescue/assemble.h"
#include "strv.h"

static const char *const kind_names[] = {
	[RSC_UNDO_MOUNT] = "mount",
	[RSC_UNDO_CRYPT] = "crypt",
	[RSC_UNDO_VG] = "vg",
	[RSC_UNDO_LOOP] = "loop",
	[RSC_UNDO_MD] = "md",
};

/* The context's directory, else $RESCUE_STATE_DIR, else /run/rescue. The
 * current one is kept for the messages of this file. */
static __thread const char *current_dir;
static const char *state_dir(void) {
	if (current_dir)
		return current_dir;
	const char *d = secure_getenv("RESCUE_STATE_DIR");
	return d && *d ? d : "/run/rescue";
}

/* Opens and locks the journal directory's lock file. */
static int journal_lock(rsc_context *ctx) {
	current_dir = ctx->state_dir;
	const char *d = state_dir();
	if (mkdir(d, 0700) < 0 && errno != EEXIST)
		return log_error_errno(ctx, errno, "Cannot create %s: %m", d);
	_cleanup_free_ char *p = path_join(d, "lock");
	if (!p)
		return -ENOMEM;
	int fd = open(p, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
	if (fd < 0)
		return log_error_errno(ctx, errno, "Cannot open %s: %m", p);
	if (flock(fd, LOCK_EX) < 0) {
		int r = log_error_errno(ctx, errno, "Cannot lock %s: %m", p);
		close(fd);
		return r;
	}
	return fd;
}

static int journal_read(char ***ret) {
	_cleanup_free_ char *p = path_join(state_dir(), "actions"), *text = NULL;
	if (!p)
		return -ENOMEM;
	_cleanup_close_ int fd = open(p, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		if (errno != ENOENT)
			return negative_errno();
		*ret = calloc(1, sizeof(char *));
		return *ret ? 0 : -ENOMEM;
	}
	int r = read_file_fd(fd, 1 << 20, &text, NULL);
	if (r < 0)
		return r;
	return strv_split(text, "\n", ret);
}

static int journal_write(char **lines) {
	_cleanup_free_ char *p = path_join(state_dir(), "actions"), *tmp = NULL;
	if (!p || asprintf(&tmp, "%s.tmp", p) < 0)
		return -ENOMEM;
	if (!lines || !lines[0]) {
		if (unlink(p) < 0 && errno != ENOENT)
			return negative_errno();
		return 0;
	}
	_cleanup_fclose_ FILE *f = fopen(tmp, "we");
	if (!f)
		return negative_errno();
	STRV_FOREACH(l, lines)
		fprintf(f, "%s\n", *l);
	if (fflush(f) != 0 || fsync(fileno(f)) < 0) {
		unlink(tmp);
		return negative_errno();
	}
	if (rename(tmp, p) < 0) {
		unlink(tmp);
		return negative_errno();
	}
	return 0;
}

int rsc_undo_record(rsc_context *ctx, enum rsc_undo_kind kind, const char *arg) {
	if (strchr(arg, '\n'))
		return -EINVAL;
	_cleanup_close_ int lock = journal_lock(ctx);
	if (lock < 0)
		return lock;
	_cleanup_strv_free_ char **lines = NULL;
	int r = journal_read(&lines);
	if (r < 0)
		return log_error_errno(ctx, r, "Cannot read the undo journal in %s: %m", state_dir());
	_cleanup_free_ char *line = NULL;
	if (asprintf(&line, "%s %s", kind_names[kind], arg) < 0 || strv_push(&lines, line) < 0)
		return -ENOMEM;
	line = NULL;
	r = journal_write(lines);
	if (r < 0)
		return log_error_errno(ctx, r, "Cannot write the undo journal in %s: %m", state_dir());
	return 0;
}

bool rsc_undo_has(rsc_context *ctx, enum rsc_undo_kind kind, const char *arg) {
	_cleanup_close_ int lock = journal_lock(ctx);
	_cleanup_strv_free_ char **lines = NULL;
	_cleanup_free_ char *want = NULL;
	if (lock < 0 || journal_read(&lines) < 0 || asprintf(&want, "%s %s", kind_names[kind], arg) < 0)
		return false;
	return strv_contains(lines, want);
}

int rsc_undo_rename(rsc_context *ctx, enum rsc_undo_kind kind, const char *from, const char *to) {
	_cleanup_close_ int lock = journal_lock(ctx);
	if (lock < 0)
		return lock;
	_cleanup_strv_free_ char **lines = NULL;
	int r = journal_read(&lines);
	if (r < 0)
		return r;
	_cleanup_free_ char *old = NULL, *new = NULL;
	if (asprintf(&old, "%s %s", kind_names[kind], from) < 0 || asprintf(&new, "%s %s", kind_names[kind], to) < 0)
		return -ENOMEM;
	for (char **l = lines; l && *l; l++)
		if (streq(*l, old)) {
			free(*l);
			*l = TAKE_PTR(new);
			return journal_write(lines);
		}
	return -ENOENT;
}

int rsc_undo_count(rsc_context *ctx) {
	_cleanup_close_ int lock = journal_lock(ctx);
	if (lock < 0)
		return lock;
	_cleanup_strv_free_ char **lines = NULL;
	int r = journal_read(&lines);
	return r < 0 ? r : (int)strv_length(lines);
}

static bool is_mountpoint(const char *path) {
	_cleanup_free_ char *text = NULL;
	_cleanup_close_ int fd = open("/proc/self/mountinfo", O_RDONLY | O_CLOEXEC);
	if (fd < 0 || read_file_fd(fd, 16 << 20, &text, NULL) < 0)
		return false;
	/* Field 5 is the mount point, with blanks escaped as \040. */
	for (char *l = text; l && *l;) {
		char *nl = strchr(l, '\n');
		if (nl)
			*nl = 0;
		char *f = l;
		for (int i = 0; i < 4 && f; i++) {
			f = strchr(f, ' ');
			if (f)
				f++;
		}
		if (f) {
			size_t n = strcspn(f, " ");
			char mp[4096];
			size_t o = 0;
			for (size_t i = 0; i < n && o + 1 < sizeof(mp); i++) {
				if (f[i] == '\\' && i + 3 < n) {
					mp[o++] = (char)(((f[i + 1] - '0') << 6) | ((f[i + 2] - '0') << 3) | (f[i + 3] - '0'));
					i += 3;
				} else
					mp[o++] = f[i];
			}
			mp[o] = 0;
			if (streq(mp, path))
				return true;
		}
		l = nl ? nl + 1 : NULL;
	}
	return false;
}

/* ARGV (a tool and up to three arguments, NULL-terminated), its output
 * into the debug log; 0 when it exits 0. Teardown runs to its end even
 * after a cancel: it is what a cancel asks for. */
static int run_tool(rsc_context *ctx, const char *const argv[]) {
	struct rsc_run_options o = { .argv = argv, .no_cancel = true };
	int r = rsc_run(ctx, &o);
	if (r < 0)
		return r;
	if (r != 0)
		return log_debug_errno(ctx, EIO, "%s %s %s failed", argv[0], strempty(argv[1]), strempty(argv[2])), -EIO;
	return 0;
}

/* LVs stacked on a mapping we opened: lvm's udev rules activate a volume
 * group as soon as its PV appears, so they were activated because of our
 * unlock (they could not exist before it) and are ours to deactivate before
 * the mapping can be closed. Only LVM's own devices (dm UUID "LVM-") are
 * touched; anything else holding the mapping keeps it busy, which is said. */
static void deactivate_lvs_on(rsc_context *ctx, const char *name) {
	_cleanup_free_ char *node = path_join("/dev/mapper", name);
	struct stat st;
	if (!node || stat(node, &st) < 0 || !S_ISBLK(st.st_mode))
		return;
	char dir[64];
	snprintf(dir, sizeof(dir), "/sys/dev/block/%u:%u/holders", major(st.st_rdev), minor(st.st_rdev));
	DIR *d = opendir(dir);
	if (!d)
		return;
	struct dirent *de;
	while ((de = readdir(d))) {
		if (!startswith(de->d_name, "dm-"))
			continue;
		char path[PATH_MAX];
		_cleanup_free_ char *uuid = NULL, *lv = NULL;
		snprintf(path, sizeof(path), "/sys/block/%s/dm/uuid", de->d_name);
		if (read_first_line(path, &uuid) < 0 || !startswith(uuid, "LVM-"))
			continue;
		snprintf(path, sizeof(path), "/sys/block/%s/dm/name", de->d_name);
		if (read_first_line(path, &lv) < 0)
			continue;
		_cleanup_free_ char *lvnode = path_join("/dev/mapper", lv);
		if (lvnode && run_tool(ctx, (const char *const[]){ "lvm", "lvchange", "-an", lvnode, NULL }) >= 0)
			log_info(ctx, "Deactivated %s (activated by udev on %s)", lv, name);
	}
	closedir(d);
}

/* Undoes one journal line. 0 done, 1 stale (already gone), negative on failure. */
static int undo_one(rsc_context *ctx, const char *line) {
	const char *arg;
	if ((arg = startswith(line, "mount "))) {
		if (!is_mountpoint(arg))
			return 1;
		if (umount2(arg, 0) < 0) {
			int r = negative_errno();
			/* Busy: something still runs inside (a shell in the
			 * chroot); say so rather than detaching it lazily. */
			return log_error_errno(ctx, r, "Cannot unmount %s: %m%s", arg,
					       r == -EBUSY ? "; a process still uses it (see 'fuser -vm')" : "");
		}
		log_info(ctx, "Unmounted %s", arg);
		return 0;
	}
	if ((arg = startswith(line, "crypt "))) {
		/* Before libcryptsetup holds the device open (lvm would see its fd). */
		deactivate_lvs_on(ctx, arg);
		struct crypt_device *cd = NULL;
		int r = crypt_init_by_name(&cd, arg);
		if (r == -ENODEV || (r >= 0 && crypt_status(cd, arg) == CRYPT_INACTIVE)) {
			crypt_free(cd);
			return 1;
		}
		if (r >= 0)
			r = crypt_deactivate(cd, arg);
		crypt_free(cd);
		if (r < 0)
			return log_error_errno(ctx, r, "Cannot close encrypted volume %s: %m", arg);
		log_info(ctx, "Closed encrypted volume %s", arg);
		return 0;
	}
	if ((arg = startswith(line, "vg "))) {
		int r = run_tool(ctx, (const char *const[]){ "lvm", "vgchange", "-an", arg, NULL });
		if (r < 0)
			return log_error_errno(ctx, r, "Cannot deactivate volume group %s: an LV is still in use", arg);
		log_info(ctx, "Deactivated volume group %s", arg);
		return 0;
	}
	if ((arg = startswith(line, "md "))) {
		char path[PATH_MAX];
		snprintf(path, sizeof(path), "/sys/block/%s/md/array_state", arg);
		if (access(path, F_OK) < 0)
			return 1; /* stopped already */
		snprintf(path, sizeof(path), "/dev/%s", arg);
		int r = run_tool(ctx, (const char *const[]){ "mdadm", "--stop", path, NULL });
		if (r < 0)
			return log_error_errno(ctx, r, "Cannot stop MD array %s: something still uses it", arg);
		log_info(ctx, "Stopped MD array %s", arg);
		return 0;
	}
	if ((arg = startswith(line, "loop "))) {
		_cleanup_close_ int fd = open(arg, O_RDONLY | O_CLOEXEC);
		if (fd < 0)
			return 1;
		struct loop_info64 info;
		if (ioctl(fd, LOOP_GET_STATUS64, &info) < 0)
			return 1; /* not attached any more */
		if (ioctl(fd, LOOP_CLR_FD) < 0)
			return log_error_errno(ctx, errno, "Cannot detach %s: %m", arg);
		return 0;
	}
	log_warning(ctx, "Undo journal: unknown entry '%s' dropped", line);
	return 1;
}

int rsc_undo_to(rsc_context *ctx, unsigned keep) {
	_cleanup_close_ int lock = journal_lock(ctx);
	if (lock < 0)
		return lock;
	_cleanup_strv_free_ char **lines = NULL;
	int r = journal_read(&lines);
	if (r < 0)
		return log_error_errno(ctx, r, "Cannot read the undo journal in %s: %m", state_dir());
	size_t n = strv_length(lines);
	int undone = 0, failed = 0;
	_cleanup_strv_free_ char **remaining = NULL;
	/* Newest first; failures stay, in their original order. */
	for (size_t i = n; i-- > keep;) {
		int q = undo_one(ctx, lines[i]);
		if (q < 0) {
			failed++;
			continue;
		}
		if (q == 1)
			log_debug(ctx, "Undo journal: '%s' was already undone", lines[i]);
		undone++;
		free(lines[i]);
		lines[i] = NULL;
	}
	for (size_t i = 0; i < n; i++)
		if (lines[i] && strv_extend(&remaining, lines[i]) < 0)
			return -ENOMEM;
	r = journal_write(remaining);
	if (r < 0)
		return log_error_errno(ctx, r, "Cannot rewrite the undo journal: %m");
	return failed ? -EBUSY : undone;
}

int rsc_undo_all(rsc_context *ctx) {
	return rsc_undo_to(ctx, 0);
}
