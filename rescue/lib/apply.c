/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Applying a plan, and undoing it. Before any file is replaced, moved or
 * created, a line naming it goes into the journal's manifest
 * (/var/lib/rescue/journal/<time>/manifest on the target, fsync'ed), and
 * a copy of what it replaces goes beside it. Files we write ourselves are
 * written next to their destination and renamed into place. A rebuilt
 * image is verified before it is kept: a generator can exit 0 and leave a
 * broken or empty image behind.
 *
 * Power cuts: the journal directory, each saved copy and each manifest
 * line are on disk (fsync of the file and of its directory) before the
 * change they announce begins, and the filesystems changed are synced
 * after each action. The journal's "state" file says "running" until the
 * apply returns, then "complete": a journal still "running" at the next
 * start belongs to a repair cut short, and undoing it puts back exactly
 * what was saved (a generator writes its image in place, so an image
 * half-written when the power went is replaced by the saved one).
 */
#include <dirent.h>
#include <fcntl.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/xattr.h>
#include <time.h>
#include <unistd.h>

#include <linux/fs.h>
#include <zlib.h>
#include <sys/ioctl.h>

#include "bootcode.h"
#include "bootfix.h"
#include "confedit.h"
#include "efiboot.h"
#include "fileio.h"
#include "loop.h"
#include "rescue/assemble.h"
#include "rescue/initramfs.h"
#include "rescue/repair.h"
#include "scan-internal.h"
#include "sha256.h"
#include "strv.h"

#define JOURNAL_DIR "/var/lib/rescue/journal"

struct journal {
	rsc_context *ctx;
	int rootfd;
	char *dir;          /* in the system: /var/lib/rescue/journal/<stamp> */
	int dirfd;
	FILE *manifest;
	int log_fd;
	unsigned n;
	char **labels;      /* path, label, ... noted for the action running */
	char **act;         /* the manifest lines of the action running, to roll it back */
};

/* A directory's entries (a file created, renamed or removed in it) reach
 * the disk only with an fsync of the directory itself. */
static int fsync_dirfd(int dirfd) {
	return fsync(dirfd) < 0 && errno != EINVAL ? negative_errno() : 0;
}

static int mkdirs_in_root(int rootfd, const char *path) {
	_cleanup_free_ char *p = strdup(path);
	if (!p)
		return -ENOMEM;
	for (char *s = p + 1;; s++) {
		if (*s == '/' || !*s) {
			char c = *s;
			*s = 0;
			_cleanup_close_ int fd = open_in_root(rootfd, p, O_PATH | O_DIRECTORY);
			if (fd < 0) {
				char *slash = strrchr(p, '/');
				*slash = 0;
				_cleanup_close_ int parent = open_in_root(rootfd, *p ? p : "/", O_PATH | O_DIRECTORY);
				*slash = '/';
				if (parent < 0)
					return parent;
				if (mkdirat(parent, slash + 1, 0700) < 0 && errno != EEXIST)
					return negative_errno();
				/* Or a power cut could lose the journal's directory. */
				*slash = 0;
				_cleanup_close_ int ppfd = open_in_root(rootfd, *p ? p : "/", O_RDONLY | O_DIRECTORY);
				*slash = '/';
				if (ppfd >= 0)
					fsync_dirfd(ppfd);
			}
			*s = c;
			if (!c)
				break;
		}
	}
	return 0;
}

/* Copies src (an fd) to name in dirfd, fsync'ed, with src's permission
 * bits (a journal directory is 0700 either way; a file put back gets the
 * mode it had, not 0600). */
static int copy_fd_to(int src, int dirfd, const char *name) {
	_cleanup_close_ int out = openat(dirfd, name, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	if (out < 0)
		return negative_errno();
	struct stat sst;
	if (fstat(src, &sst) == 0)
		(void)fchmod(out, sst.st_mode & 0777);
	char buf[1 << 16];
	ssize_t k;
	if (lseek(src, 0, SEEK_SET) < 0)
		return negative_errno();
	while ((k = read(src, buf, sizeof(buf))) > 0)
		for (ssize_t o = 0; o < k;) {
			ssize_t w = write(out, buf + o, (size_t)(k - o));
			if (w < 0)
				return negative_errno();
			o += w;
		}
	if (k < 0 || fsync(out) < 0)
		return negative_errno();
	return 0;
}

/* "running" while changes are made, "complete" once the apply returned;
 * written beside and renamed, so it is always one or the other. */
static int journal_set_state(struct journal *j, const char *state) {
	_cleanup_close_ int fd = openat(j->dirfd, "state.tmp", O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd < 0 || dprintf(fd, "%s\n", state) < 0 || fsync(fd) < 0 ||
	    renameat(j->dirfd, "state.tmp", j->dirfd, "state") < 0)
		return negative_errno();
	return fsync_dirfd(j->dirfd);
}

static int journal_open(rsc_context *ctx, int rootfd, struct journal *j) {
	char stamp[64];
	time_t t = time(NULL);
	struct tm tm;
	strftime(stamp, sizeof(stamp), "%Y%m%d-%H%M%S", gmtime_r(&t, &tm));
	*j = (struct journal){ .ctx = ctx, .rootfd = rootfd, .dirfd = -1, .log_fd = -1 };
	for (int i = 0; i < 100; i++) {
		free(j->dir);
		if (asprintf(&j->dir, i ? JOURNAL_DIR "/%s.%d" : JOURNAL_DIR "/%s", stamp, i) < 0)
			return -ENOMEM;
		int r = mkdirs_in_root(rootfd, JOURNAL_DIR);
		if (r < 0)
			return log_error_errno(ctx, r, "Cannot create %s in the system: %m", JOURNAL_DIR);
		_cleanup_close_ int parent = open_in_root(rootfd, JOURNAL_DIR, O_PATH | O_DIRECTORY);
		if (parent < 0)
			return parent;
		if (mkdirat(parent, strrchr(j->dir, '/') + 1, 0700) == 0) {
			_cleanup_close_ int pfd = open_in_root(rootfd, JOURNAL_DIR, O_RDONLY | O_DIRECTORY);
			if (pfd < 0 || fsync_dirfd(pfd) < 0)
				return log_error_errno(ctx, errno, "Cannot sync %s: %m", JOURNAL_DIR);
			break;
		}
		if (errno != EEXIST)
			return log_error_errno(ctx, errno, "Cannot create the journal %s: %m", j->dir);
	}
	j->dirfd = open_in_root(rootfd, j->dir, O_RDONLY | O_DIRECTORY);
	if (j->dirfd < 0)
		return j->dirfd;
	int fd = openat(j->dirfd, "manifest", O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	j->manifest = fd >= 0 ? fdopen(fd, "w") : NULL;
	j->log_fd = openat(j->dirfd, "log", O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
	if (!j->manifest || j->log_fd < 0)
		return log_error_errno(ctx, errno, "Cannot write the journal %s: %m", j->dir);
	int r = journal_set_state(j, "running");
	if (r < 0)
		return log_error_errno(ctx, r, "Cannot write the journal %s: %m", j->dir);
	return 0;
}

static void journal_close(struct journal *j) {
	if (j->manifest)
		fclose(j->manifest);
	if (j->dirfd >= 0)
		close(j->dirfd);
	if (j->log_fd >= 0)
		close(j->log_fd);
	free(j->dir);
	strv_free(j->labels);
	strv_free(j->act);
}

/* One manifest line, on disk before the change it announces. */
static int journal_note(struct journal *j, const char *what, const char *path, const char *name) {
	fprintf(j->manifest, "%s %s%s%s\n", what, path, name ? " " : "", name ? name : "");
	if (fflush(j->manifest) != 0 || fsync(fileno(j->manifest)) < 0)
		return negative_errno();
	char *line;
	if (asprintf(&line, "%s %s%s%s", what, path, name ? " " : "", name ? name : "") < 0 || strv_push(&j->act, line) < 0)
		return -ENOMEM;
	return 0;
}

/* The size of a disk or image file: what tells, at undo, that the bytes
 * go back to the same disk. */
static int file_size_fd(int fd, uint64_t *ret) {
	struct stat st;
	if (fstat(fd, &st) < 0)
		return negative_errno();
	if (S_ISBLK(st.st_mode))
		return ioctl(fd, BLKGETSIZE64, ret) < 0 ? negative_errno() : 0;
	*ret = (uint64_t)st.st_size;
	return 0;
}

static int pread_all(int fd, void *buf, size_t n, uint64_t at) {
	for (size_t got = 0; got < n;) {
		ssize_t k = pread(fd, (char *)buf + got, n - got, (off_t)(at + got));
		if (k < 0 && errno == EINTR)
			continue;
		if (k <= 0)
			return k < 0 ? negative_errno() : -EIO;
		got += (size_t)k;
	}
	return 0;
}

static int pwrite_all(int fd, const void *buf, size_t n, uint64_t at) {
	for (size_t put = 0; put < n;) {
		ssize_t k = pwrite(fd, (const char *)buf + put, n - put, (off_t)(at + put));
		if (k < 0 && errno == EINTR)
			continue;
		if (k <= 0)
			return k < 0 ? negative_errno() : -EIO;
		put += (size_t)k;
	}
	return 0;
}

/* The CRC-32 of a disk's signature and partition table (bytes 440-511 of
 * its sector 0, which grub-install leaves alone): with the size, what
 * tells at undo that saved sectors go back to the same, unpartitioned-
 * since disk. */
static int disk_table_crc(int fd, uint64_t disk_offset, uint32_t *ret) {
	uint8_t table[72];
	int r = pread_all(fd, table, sizeof(table), disk_offset + 440);
	if (r < 0)
		return r;
	*ret = (uint32_t)crc32(0, table, sizeof(table));
	return 0;
}

/* Saves bytes of a disk (not a file of the system) before they are
 * written: one manifest line "disk FILE DISK_OFFSET FILE_SIZE OFFSET
 * LENGTH TABLE NAME", the offsets within the disk that sits at
 * DISK_OFFSET of FILE (a /dev node or an image); FILE_SIZE and TABLE (see
 * disk_table_crc) recognise it at undo. */
static int journal_save_disk(struct journal *j, const char *file, uint64_t disk_offset, const struct rsc_disk_range *g) {
	if (g->length > (64u << 20))
		return -EFBIG;
	_cleanup_close_ int fd = open(file, O_RDONLY | O_CLOEXEC | O_NOCTTY);
	uint64_t size;
	uint32_t crc;
	int r = fd < 0 ? negative_errno() : file_size_fd(fd, &size);
	if (r >= 0)
		r = disk_table_crc(fd, disk_offset, &crc);
	if (r < 0)
		return log_error_errno(j->ctx, r, "Cannot read %s to save its first sectors: %m", file);
	_cleanup_free_ uint8_t *buf = malloc(g->length);
	if (!buf)
		return -ENOMEM;
	if ((r = pread_all(fd, buf, g->length, disk_offset + g->offset)) < 0)
		return log_error_errno(j->ctx, r, "Cannot read bytes %llu-%llu of %s: %m", (unsigned long long)g->offset,
				       (unsigned long long)(g->offset + g->length - 1), file);
	struct statvfs sv;
	if (fstatvfs(j->dirfd, &sv) == 0 && (uint64_t)sv.f_bavail * sv.f_frsize < g->length + (16u << 20))
		return log_error_errno(j->ctx, ENOSPC, "No room in %s to save the first sectors of %s: nothing was "
				       "changed", j->dir, file);
	char name[32];
	snprintf(name, sizeof(name), "%u", ++j->n);
	_cleanup_close_ int out = openat(j->dirfd, name, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	if (out < 0 || pwrite_all(out, buf, g->length, 0) < 0 || fsync(out) < 0 || fsync_dirfd(j->dirfd) < 0)
		return log_error_errno(j->ctx, errno ? errno : EIO, "Cannot save the first sectors of %s into the journal: %m",
				       file);
	char what[128];
	snprintf(what, sizeof(what), "%llu %llu %llu %llu %lu %s", (unsigned long long)disk_offset,
		 (unsigned long long)size, (unsigned long long)g->offset, (unsigned long long)g->length,
		 (unsigned long)crc, name);
	return journal_note(j, "disk", file, what);
}

/* Puts saved bytes back on their disk, after checking it is that disk:
 * the same size, the same disk signature and partition table (a
 * difference means the disk was repartitioned or is another one). */
static int restore_disk(rsc_context *ctx, int jdirfd, const struct journal_disk_line *dl) {
	const char *file = dl->file, *name = dl->name;
	uint64_t disk_offset = dl->disk_offset, size = dl->file_size, offset = dl->offset, length = dl->length;
	_cleanup_close_ int src = openat(jdirfd, name, O_RDONLY | O_CLOEXEC);
	struct stat st;
	if (src < 0 || fstat(src, &st) < 0)
		return negative_errno();
	if ((uint64_t)st.st_size != length || length > (64u << 20))
		return log_error_errno(ctx, EBADMSG, "The journal's copy of %s's sectors (%s) has the wrong size", file, name);
	_cleanup_free_ uint8_t *saved = malloc(length);
	if (!saved)
		return -ENOMEM;
	int r = pread_all(src, saved, length, 0);
	if (r < 0)
		return r;
	_cleanup_close_ int fd = open(file, O_RDWR | O_CLOEXEC | O_NOCTTY);
	uint64_t now;
	if (fd < 0 || (r = file_size_fd(fd, &now)) < 0)
		return log_error_errno(ctx, fd < 0 ? errno : -r, "Cannot open %s to put its first sectors back: %m", file);
	if (now != size)
		return log_error_errno(ctx, ENODEV, "%s is %llu bytes, not %llu as when it was saved: not the same disk; "
				       "nothing written", file, (unsigned long long)now, (unsigned long long)size);
	uint32_t crc;
	if ((r = disk_table_crc(fd, disk_offset, &crc)) < 0)
		return r;
	if (crc != dl->table_crc)
		return log_error_errno(ctx, ENODEV, "%s: the disk signature or partition table changed since it was "
				       "saved; nothing written (the saved sectors are in the journal, file %s)", file, name);
	if ((r = pwrite_all(fd, saved, length, disk_offset + offset)) < 0 || fsync(fd) < 0)
		return log_error_errno(ctx, r < 0 ? -r : errno, "Cannot write %s's first sectors back: %m", file);
	return 0;
}

/* Saves a copy of path (if it exists) before it is replaced; notes a
 * file that does not exist yet as new. Returns 1 when a copy was saved
 * (as journal file number j->n), 0 when the file is new. */
static int journal_save(struct journal *j, const char *path) {
	_cleanup_close_ int fd = open_in_root(j->rootfd, path, O_RDONLY | O_NOFOLLOW);
	if (fd == -ENOENT)
		return journal_note(j, "new", path, NULL);
	if (fd < 0)
		return log_error_errno(j->ctx, fd, "Cannot read %s to save it: %m", path);
	struct stat st;
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode))
		return -EINVAL;
	struct statvfs sv;
	if (fstatvfs(j->dirfd, &sv) == 0 && (uint64_t)sv.f_bavail * sv.f_frsize < (uint64_t)st.st_size + (16u << 20))
		return log_error_errno(j->ctx, ENOSPC, "No room in %s to save a copy of %s (%lld bytes): "
				       "nothing was changed", j->dir, path, (long long)st.st_size);
	char name[32];
	snprintf(name, sizeof(name), "%u", ++j->n);
	int r = copy_fd_to(fd, j->dirfd, name);
	if (r >= 0)
		r = fsync_dirfd(j->dirfd);
	if (r < 0)
		return log_error_errno(j->ctx, r, "Cannot save %s into the journal: %m", path);
	r = journal_note(j, "saved", path, name);
	return r < 0 ? r : 1;
}

/* Moves path into the journal (copy, then remove: /boot is usually
 * another filesystem). */
static int journal_move(struct journal *j, const char *path) {
	_cleanup_close_ int fd = open_in_root(j->rootfd, path, O_RDONLY | O_NOFOLLOW);
	if (fd < 0)
		return log_error_errno(j->ctx, fd, "Cannot read %s: %m", path);
	char name[32];
	snprintf(name, sizeof(name), "%u", ++j->n);
	int r = copy_fd_to(fd, j->dirfd, name);
	if (r >= 0)
		r = fsync_dirfd(j->dirfd);
	if (r >= 0)
		r = journal_note(j, "moved", path, name);
	if (r < 0)
		return log_error_errno(j->ctx, r, "Cannot move %s into the journal: %m", path);
	_cleanup_free_ char *dir = strdup(path);
	char *slash = dir ? strrchr(dir, '/') : NULL;
	if (!slash)
		return -ENOMEM;
	*slash = 0;
	_cleanup_close_ int dfd = open_in_root(j->rootfd, *dir ? dir : "/", O_RDONLY | O_DIRECTORY);
	if (dfd < 0 || unlinkat(dfd, slash + 1, 0) < 0)
		return log_error_errno(j->ctx, errno, "Cannot remove %s after saving it: %m", path);
	return fsync_dirfd(dfd);
}

/* Puts the saved copy back (used to roll back a failed action). */
static int restore_from(int rootfd, int jdirfd, const char *path, const char *name) {
	_cleanup_free_ char *dir = strdup(path);
	char *slash = dir ? strrchr(dir, '/') : NULL;
	if (!slash)
		return -ENOMEM;
	*slash = 0;
	_cleanup_close_ int dfd = open_in_root(rootfd, *dir ? dir : "/", O_RDONLY | O_DIRECTORY);
	if (dfd < 0)
		return dfd;
	if (!name) /* it did not exist before */
		return unlinkat(dfd, slash + 1, 0) < 0 && errno != ENOENT ? negative_errno() : fsync_dirfd(dfd);
	_cleanup_close_ int src = openat(jdirfd, name, O_RDONLY | O_CLOEXEC);
	if (src < 0)
		return negative_errno();
	char tmp[300];
	snprintf(tmp, sizeof(tmp), ".%s.rescue-restore", slash + 1);
	unlinkat(dfd, tmp, 0);
	int r = copy_fd_to(src, dfd, tmp);
	if (r >= 0 && renameat(dfd, tmp, dfd, slash + 1) < 0)
		r = negative_errno();
	if (r < 0)
		unlinkat(dfd, tmp, 0);
	else
		r = fsync_dirfd(dfd);
	return r;
}

/* The regular files beside PATH named after it plus a dot
 * (initrd.img-K.new, initramfs-K.img.tmp): where generators write before
 * renaming into place. */
static int temporary_siblings(int rootfd, const char *path, char ***ret) {
	_cleanup_free_ char *dir = strdup(path);
	char *slash = dir ? strrchr(dir, '/') : NULL;
	if (!slash)
		return -ENOMEM;
	*slash = 0;
	const char *base = slash + 1;
	size_t len = strlen(base);
	_cleanup_close_ int dfd = open_in_root(rootfd, *dir ? dir : "/", O_RDONLY | O_DIRECTORY);
	if (dfd < 0)
		return dfd;
	DIR *d = fdopendir(dfd);
	if (!d)
		return negative_errno();
	dfd = -1; /* closedir closes it */
	_cleanup_strv_free_ char **names = NULL;
	int r = 0;
	struct dirent *de;
	struct stat st;
	while (r >= 0 && (de = readdir(d)))
		if (strncmp(de->d_name, base, len) == 0 && de->d_name[len] == '.' &&
		    fstatat(dirfd(d), de->d_name, &st, AT_SYMLINK_NOFOLLOW) == 0 && S_ISREG(st.st_mode))
			r = strv_extend(&names, de->d_name);
	closedir(d);
	if (r < 0)
		return r;
	*ret = TAKE_PTR(names);
	return 0;
}

/* A generator stopped part way leaves its output under a temporary name:
 * update-initramfs has mkinitramfs write IMAGE.new and renames it only on
 * success, and when both get SIGTERM nothing removes it. Rolling back
 * removes what appeared there during the step (BEFORE: what was there
 * first), so the directory is as it was. */
static void remove_temporary_siblings(rsc_context *ctx, int rootfd, const char *path, char **before) {
	_cleanup_strv_free_ char **now = NULL;
	if (temporary_siblings(rootfd, path, &now) < 0)
		return;
	_cleanup_free_ char *dir = strdup(path);
	char *slash = dir ? strrchr(dir, '/') : NULL;
	if (!slash)
		return;
	*slash = 0;
	_cleanup_close_ int dfd = open_in_root(rootfd, *dir ? dir : "/", O_RDONLY | O_DIRECTORY);
	if (dfd < 0)
		return;
	bool removed = false;
	STRV_FOREACH(n, now) {
		if (strv_contains(before, *n))
			continue;
		if (unlinkat(dfd, *n, 0) < 0)
			log_warning_errno(ctx, errno, "Cannot remove %s/%s, left by the stopped generator: %m", dir, *n);
		else {
			log_info(ctx, "Removed %s/%s, left half-written by the stopped generator", dir, *n);
			removed = true;
		}
	}
	if (removed)
		(void)fsync_dirfd(dfd);
}

static uint64_t free_bytes(int rootfd, const char *path) {
	_cleanup_free_ char *dir = strdup(path);
	char *slash = dir ? strrchr(dir, '/') : NULL;
	if (slash)
		*slash = 0;
	_cleanup_close_ int fd = open_in_root(rootfd, dir && *dir ? dir : "/", O_RDONLY | O_DIRECTORY);
	struct statvfs sv;
	if (fd < 0 || fstatvfs(fd, &sv) < 0)
		return 0;
	return (uint64_t)sv.f_bavail * sv.f_frsize;
}

static int verify_image(rsc_context *ctx, int rootfd, const char *root_dir, const char *path, const char *kver,
			char **ret_why) {
	_cleanup_close_ int fd = open_in_root(rootfd, path, O_RDONLY);
	struct stat st;
	if (fd < 0 || fstat(fd, &st) < 0)
		return set_strf(ret_why, "the generator wrote no %s", path), -ENOENT;
	if (st.st_size == 0)
		return set_strf(ret_why, "%s is empty", path), -EBADMSG;
	rsc_initramfs *img = NULL;
	int r = rsc_initramfs_open_fd(ctx, fd, path, &img);
	if (r >= 0)
		r = rsc_initramfs_walk(img, NULL, NULL, NULL);
	if (r < 0) {
		set_strf(ret_why, "%s cannot be unpacked: %s", path, img && rsc_initramfs_error(img) ?
			 rsc_initramfs_error(img) : rsc_strerror(r));
		rsc_initramfs_free(img);
		return -EBADMSG;
	}
	struct rsc_verify_result *v = NULL;
	r = rsc_initramfs_verify(ctx, img, root_dir, kver, &v);
	rsc_initramfs_free(img);
	if (r >= 0 && !v->bootable) {
		_cleanup_strv_free_ char **missing = NULL;
		for (size_t i = 0; i < v->n_requirements; i++)
			if (!v->requirements[i].present && !v->requirements[i].optional)
				strv_extend(&missing, v->requirements[i].name);
		_cleanup_free_ char *l = strv_join(missing, ", ");
		set_strf(ret_why, "the new %s still cannot mount the root: it lacks %s", path, strna(l));
		r = -EPROTO;
	}
	rsc_verify_result_free(v);
	return r;
}

/* The SELinux labels of everything under a path a relabel will touch, one
 * "label PATH CONTEXT" line each in the manifest, so that undo can put
 * them back (a context has no spaces; the path is everything before it). */
static struct journal *labels_journal;
static size_t labels_root_len;
static int note_label(const char *fpath, const struct stat *st, int type, struct FTW *ftw) {
	char ctx[256];
	ssize_t n = lgetxattr(fpath, "security.selinux", ctx, sizeof(ctx) - 1);
	if (n <= 0)
		return 0; /* unlabelled: nothing to put back */
	ctx[n] = 0;
	if (ctx[n - 1] == 0)
		n--;
	if (memchr(ctx, ' ', (size_t)n))
		return 0;
	int r = journal_note(labels_journal, "label", fpath + labels_root_len, ctx);
	if (r >= 0 && (strv_extend(&labels_journal->labels, fpath + labels_root_len) < 0 ||
		       strv_extend(&labels_journal->labels, ctx) < 0))
		r = -ENOMEM;
	return r < 0 ? r : 0;
}

static int restore_label(int rootfd, const char *path, const char *label) {
	_cleanup_close_ int fd = open_in_root(rootfd, path, O_PATH | O_NOFOLLOW);
	if (fd < 0)
		return fd;
	char proc[64];
	snprintf(proc, sizeof(proc), "/proc/self/fd/%d", fd);
	return setxattr(proc, "security.selinux", label, strlen(label) + 1, 0) < 0 ? negative_errno() : 0;
}

/* Puts back the labels noted for the action that failed or was cut short. */
static int restore_noted_labels(struct journal *j) {
	int failed = 0;
	for (size_t i = 0; j->labels && j->labels[i] && j->labels[i + 1]; i += 2)
		if (restore_label(j->rootfd, j->labels[i], j->labels[i + 1]) < 0)
			failed++;
	return failed ? -EIO : 0;
}

static int journal_labels(struct journal *j, const char *root_dir, const char *path) {
	_cleanup_free_ char *full = path_join(root_dir, path);
	if (!full)
		return -ENOMEM;
	labels_journal = j;
	labels_root_len = strlen(root_dir);
	while (labels_root_len && root_dir[labels_root_len - 1] == '/')
		labels_root_len--;
	/* The files of this filesystem only, links not followed. */
	int r = nftw(full, note_label, 32, FTW_PHYS | FTW_MOUNT);
	labels_journal = NULL;
	return r < 0 ? -errno : r;
}

enum { UNDONE_NOTHING, UNDONE_FILE, UNDONE_LABEL };

/* Undoes one manifest line (changed in place while parsed): a file put
 * back or removed, a label restored, a disk's sectors written back.
 * Returns what was undone, or a negative errno (logged). */
static int undo_efivar(rsc_context *ctx, int dfd, const char *what, char *rest);

static int undo_line(rsc_context *ctx, int rootfd, int dfd, char *l) {
	char *path, *file = NULL;
	const char *what = l;
	char *sp = strchr(l, ' ');
	if (!sp)
		return UNDONE_NOTHING;
	*sp = 0;
	path = sp + 1;
	if (streq(what, "efivar") || streq(what, "efivar-new"))
		return undo_efivar(ctx, dfd, what, path);
	if (streq(what, "disk")) {
		struct journal_disk_line dl;
		if (journal_disk_line_parse(path, &dl) < 0)
			return log_error_errno(ctx, EBADMSG, "Journal line for %s is damaged", path);
		unsigned long long v[4] = { dl.disk_offset, dl.file_size, dl.offset, dl.length };
		int q = restore_disk(ctx, dfd, &dl);
		if (q < 0)
			return log_error_errno(ctx, q, "Cannot put back bytes %llu-%llu of %s: %m", v[2], v[2] + v[3] - 1, path);
		log_info(ctx, "Put back bytes %llu-%llu of %s", v[2], v[2] + v[3] - 1, path);
		return UNDONE_FILE;
	}
	if (!streq(what, "new")) {
		char *sp2 = strrchr(path, ' ');
		if (!sp2)
			return UNDONE_NOTHING;
		*sp2 = 0;
		file = sp2 + 1;
	}
	int q;
	if (streq(what, "label")) {
		/* file is the context here */
		q = restore_label(rootfd, path, file);
		if (q < 0)
			return log_error_errno(ctx, q, "Cannot restore the label of %s: %m", path);
		log_debug(ctx, "Label of %s restored to %s", path, file);
		return UNDONE_LABEL;
	}
	q = restore_from(rootfd, dfd, path, file);
	if (q < 0)
		return log_error_errno(ctx, q, "Cannot restore %s: %m", path);
	log_info(ctx, "%s %s", streq(what, "new") ? "Removed (did not exist before)" : "Restored", path);
	return UNDONE_FILE;
}

/* Rolls back the action running from its own manifest lines, newest
 * first. Returns 0, or -EIO when something could not be put back. */
static int rollback_action(struct journal *j) {
	int failed = 0;
	for (size_t i = strv_length(j->act); i-- > 0;) {
		_cleanup_free_ char *l = strdup(j->act[i]);
		if (!l || undo_line(j->ctx, j->rootfd, j->dirfd, l) < 0)
			failed++;
	}
	return failed ? -EIO : 0;
}

static int run_logged(struct journal *j, const char *root_dir, struct rsc_action *a) {
	_cleanup_free_ char *cmd = strv_join(a->argv, " ");
	dprintf(j->log_fd, "\n$ chroot %s %s\n", root_dir, strna(cmd));
	log_info(j->ctx, "Running in the system: %s", strna(cmd));
	struct timespec t0, t1;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	int r = rsc_chroot_run_fd(j->ctx, root_dir, a->argv, j->log_fd);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	a->exit_status = r >= 0 ? r : -1;
	a->seconds = (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
	dprintf(j->log_fd, "[exit status %d after %.1f s]\n", r, a->seconds);
	return r;
}

/* The regular files of a directory in the system, as paths in it. */
static int list_files_in(int rootfd, const char *dir, char ***ret) {
	_cleanup_close_ int fd = open_in_root(rootfd, dir, O_RDONLY | O_DIRECTORY);
	if (fd == -ENOENT || fd == -ENOTDIR)
		return 0;
	if (fd < 0)
		return fd;
	DIR *d = fdopendir(fd);
	if (!d)
		return negative_errno();
	TAKE_FD(fd);
	struct dirent *de;
	int r = 0;
	while (r >= 0 && (de = readdir(d))) {
		struct stat st;
		if (de->d_name[0] == '.' || fstatat(dirfd(d), de->d_name, &st, AT_SYMLINK_NOFOLLOW) < 0 ||
		    !S_ISREG(st.st_mode))
			continue;
		_cleanup_free_ char *p = path_join(dir, de->d_name);
		r = p ? strv_extend(ret, p) : -ENOMEM;
	}
	closedir(d);
	return r;
}

/* Every file grub-install may write, remove or create under GRUB's
 * directory (dir), as it is now: what is there is saved, what may appear
 * is noted as new, all before it runs. It empties the platform's directory
 * (i386-pc, x86_64-efi) of modules and copies the system's own in; it adds
 * its core image, grubenv, a font and the translations. */
static int journal_grub_dir(struct journal *j, const char *dir, const char *platform, char ***noted) {
	const char *const subdirs[] = { platform, "locale", "fonts" };
	_cleanup_strv_free_ char **paths = NULL, **mods = NULL, **locales = NULL;
	int r = 0;
	for (size_t i = 0; r >= 0 && i < ELEMENTSOF(subdirs); i++) {
		_cleanup_free_ char *sub = path_join(dir, subdirs[i]);
		r = sub ? list_files_in(j->rootfd, sub, &paths) : -ENOMEM;
	}
	/* What it copies from the system's GRUB. */
	_cleanup_free_ char *lib = path_join("/usr/lib/grub", platform);
	if (r >= 0)
		r = lib ? list_files_in(j->rootfd, lib, &mods) : -ENOMEM;
	STRV_FOREACH(m, mods) {
		char *p;
		if (r >= 0 && asprintf(&p, "%s/%s/%s", dir, platform, strrchr(*m, '/') + 1) >= 0)
			r = strv_push(&paths, p);
	}
	static const char *const more[] = { "core.img", "core.efi", "grub.efi", "load.cfg" };
	for (size_t i = 0; r >= 0 && i < ELEMENTSOF(more); i++) {
		char *p;
		r = asprintf(&p, "%s/%s/%s", dir, platform, more[i]) < 0 ? -ENOMEM : strv_push(&paths, p);
	}
	static const char *const top[] = { "grubenv", "fonts/unicode.pf2" };
	for (size_t i = 0; r >= 0 && i < ELEMENTSOF(top); i++) {
		char *p = path_join(dir, top[i]);
		r = p ? strv_push(&paths, p) : -ENOMEM;
	}
	/* Translations: /usr/share/locale/LANG/LC_MESSAGES/grub.mo becomes
	 * locale/LANG.mo. */
	_cleanup_close_ int lfd = r >= 0 ? open_in_root(j->rootfd, "/usr/share/locale", O_RDONLY | O_DIRECTORY) : -EBADF;
	DIR *ld = lfd >= 0 ? fdopendir(lfd) : NULL;
	if (ld) {
		TAKE_FD(lfd);
		struct dirent *de;
		while (r >= 0 && (de = readdir(ld))) {
			char mo[512], *p;
			struct stat st;
			snprintf(mo, sizeof(mo), "%s/LC_MESSAGES/grub.mo", de->d_name);
			if (de->d_name[0] == '.' || fstatat(dirfd(ld), mo, &st, AT_SYMLINK_NOFOLLOW) < 0)
				continue;
			r = asprintf(&p, "%s/locale/%s.mo", dir, de->d_name) < 0 ? -ENOMEM : strv_push(&paths, p);
		}
		closedir(ld);
	}
	STRV_FOREACH(p, paths)
		if (r >= 0 && !strv_contains(*noted, *p)) {
			r = journal_save(j, *p);
			if (r >= 0)
				r = strv_extend(noted, *p);
		}
	return r < 0 ? r : 0;
}

/* After grub-install: files it wrote that were not foreseen are noted as
 * new, so that undo (or the rollback) removes them too. */
static int journal_grub_dir_after(struct journal *j, const char *dir, const char *platform, char ***noted) {
	const char *const subdirs[] = { platform, "locale", "fonts" };
	_cleanup_strv_free_ char **paths = NULL;
	int r = 0;
	for (size_t i = 0; r >= 0 && i < ELEMENTSOF(subdirs); i++) {
		_cleanup_free_ char *sub = path_join(dir, subdirs[i]);
		r = sub ? list_files_in(j->rootfd, sub, &paths) : -ENOMEM;
	}
	STRV_FOREACH(p, paths)
		if (r >= 0 && !strv_contains(*noted, *p)) {
			log_debug(j->ctx, "grub-install wrote %s, which was not foreseen", *p);
			r = journal_note(j, "new", *p, NULL);
			if (r >= 0)
				r = strv_extend(noted, *p);
		}
	return r;
}

/* Reads the disk again with the boot code readers diagnose uses: GRUB's
 * boot sector (the system's boot.img), an intact core of the build
 * grub-install just left in /boot. */
static int verify_bios_disk(struct journal *j, const struct rsc_action *a, char **ret_why) {
	_cleanup_free_ char *boot_img = NULL, *core_img = NULL;
	struct bios_reference ref = {};
	if (read_file_in_root(j->rootfd, a->files[0], 1u << 20, &core_img, &ref.core_img_size) < 0)
		return set_strf(ret_why, "grub-install left no %s", a->files[0]), -ENOENT;
	if (read_file_in_root(j->rootfd, "/usr/lib/grub/i386-pc/boot.img", 4096, &boot_img, &ref.boot_img_size) < 0)
		ref.boot_img_size = 0;
	ref.boot_img = (const uint8_t *)boot_img;
	ref.core_img = (const uint8_t *)core_img;
	struct mbr_bootcode m;
	struct grub_core c = {};
	bool other = false;
	int r = bios_disk_read(a->disk, a->disk_offset, &ref, &m, &c, &other);
	if (r < 0)
		return set_strf(ret_why, "%s could not be read back: %s", a->disk_name, rsc_strerror(r)), r;
	if (m.code != MBR_CODE_GRUB)
		set_strf(ret_why, "sector 0 of %s still holds no GRUB boot code", a->disk_name);
	else if (m.reference_checked && !m.reference_match)
		set_strf(ret_why, "sector 0 of %s is not the system's boot.img", a->disk_name);
	else if (c.state != GRUB_CORE_INTACT)
		set_strf(ret_why, "the core on %s reads %s: %s", a->disk_name, grub_core_state_to_string(c.state),
			 strna(c.problem));
	else if (other)
		set_strf(ret_why, "the core on %s is another GRUB build than %s", a->disk_name, a->files[0]);
	else
		r = 1;
	r = r == 1 ? 0 : -EBADMSG;
	grub_core_done(&c);
	return r;
}

static int apply_grub_install(struct journal *j, const char *root_dir, struct rsc_action *a) {
	_cleanup_free_ char *dir = strdup(a->files[0]);
	char *cut = dir ? strstr(dir, "/i386-pc/") : NULL;
	if (!cut)
		return -ENOMEM;
	*cut = 0;
	/* An image file is written through a loop device over the disk:
	 * grub-install wants a block device. */
	struct stat st;
	if (stat(a->disk, &st) < 0)
		return set_strf(&a->result, "not started: %s: %s", a->disk, rsc_strerror(-errno)), -errno;
	_cleanup_close_ int loopfd = -EBADF;
	_cleanup_free_ char *node = NULL;
	_cleanup_strv_free_ char **argv = NULL;
	STRV_FOREACH(x, a->argv)
		if (strv_extend(&argv, *x) < 0)
			return -ENOMEM;
	if (S_ISREG(st.st_mode)) {
		loopfd = loop_attach_transient(a->disk, a->disk_offset, a->disk_size, false, &node);
		if (loopfd < 0)
			return set_strf(&a->result, "not started: no loop device for %s: %s", a->disk,
					rsc_strerror(loopfd)), loopfd;
		for (char **x = argv; *x; x++)
			if (streq(*x, a->disk) && set_str(x, node) < 0)
				return -ENOMEM;
	}
	/* Everything it may overwrite, saved before it runs. */
	int r = 0;
	for (size_t i = 0; r >= 0 && i < a->n_disk_ranges; i++)
		r = journal_save_disk(j, a->disk, a->disk_offset, &a->disk_ranges[i]);
	_cleanup_strv_free_ char **noted = NULL;
	if (r >= 0)
		r = journal_grub_dir(j, dir, "i386-pc", &noted);
	if (r < 0) {
		int q = rollback_action(j);
		return set_strf(&a->result, "not started: what it would overwrite could not be saved first (%s)%s",
				rsc_strerror(r), q < 0 ? "; some saved files could NOT be put back" : ""), r;
	}
	char **planned = a->argv;
	a->argv = argv;
	r = run_logged(j, root_dir, a);
	a->argv = planned;
	/* Closed: the loop device clears itself once grub-install let go;
	 * waited for, so that the check after the repair does not meet it. */
	if (loopfd >= 0) {
		close(TAKE_FD(loopfd));
		(void) loop_wait_detached(node, 2000);
	}
	int q = journal_grub_dir_after(j, dir, "i386-pc", &noted);
	_cleanup_free_ char *why = NULL;
	if (r == -ECANCELED)
		set_strf(&why, "interrupted while %s ran", a->argv[0]);
	else if (r != 0)
		set_strf(&why, "%s exited with status %d (its output is in %s/log)", a->argv[0], r, j->dir);
	else if (q < 0)
		set_strf(&why, "what %s wrote could not be noted in the journal", a->argv[0]);
	/* Never trust the exit status alone: read what the BIOS will read. */
	else if (verify_bios_disk(j, a, &why) >= 0)
		return set_strf(&a->result, "installed and read back: GRUB's boot code and an intact core of %s's "
				"build are on %s", a->files[0], a->disk_name), 0;
	q = rollback_action(j);
	set_strf(&a->result, "%s; %s", why ? why : "failed",
		 q < 0 ? "the previous sectors and files could NOT all be put back" :
			 "the disk's sectors and GRUB's files were put back as they were");
	return r == -ECANCELED ? r : -EIO;
}

/* ---- GRUB for UEFI ---- */

/* What grub-install writes on the ESP (Debian's signed chain): the loader
 * directory, and the removable-media path with --force-extra-removable. */
static const char *const esp_own_files[] = { "shimx64.efi", "grubx64.efi", "mmx64.efi", "fbx64.efi", "BOOTX64.CSV",
					     "grub.cfg" };
static const char *const esp_removable_files[] = { "BOOTX64.EFI", "grubx64.efi", "mmx64.efi", "fbx64.efi" };

/* FAT compares names without case: one journal entry per file. */
static bool noted_case(char *const *noted, const char *path) {
	STRV_FOREACH(n, noted)
		if (strcasecmp(*n, path) == 0)
			return true;
	return false;
}

/* The ESP directories grub-install writes into (dirs[]), as they are now:
 * every file saved, the ones it writes noted. */
static int journal_esp_dirs(struct journal *j, char *const *dirs, bool after, char ***noted) {
	int r = 0;
	STRV_FOREACH(d, dirs) {
		_cleanup_strv_free_ char **paths = NULL;
		r = list_files_in(j->rootfd, *d, &paths);
		size_t dl = strlen(*d);
		bool removable = dl >= 5 && strcasecmp(*d + dl - 5, "/BOOT") == 0;
		const char *const *names = removable ? esp_removable_files : esp_own_files;
		size_t n = removable ? ELEMENTSOF(esp_removable_files) : ELEMENTSOF(esp_own_files);
		for (size_t i = 0; r >= 0 && !after && i < n; i++) {
			char *p = path_join(*d, names[i]);
			r = p ? strv_push(&paths, p) : -ENOMEM;
		}
		STRV_FOREACH(p, paths) {
			if (r < 0 || noted_case(*noted, *p))
				continue;
			if (after)
				log_debug(j->ctx, "grub-install wrote %s, which was not foreseen", *p);
			r = after ? journal_note(j, "new", *p, NULL) : journal_save(j, *p);
			if (r >= 0)
				r = strv_extend(noted, *p);
		}
		if (r < 0)
			return r;
	}
	return 0;
}

/* The loader files on the ESP (files[]) are there and are PE images, each
 * byte for byte the system's signed copy where the system has one. */
static int verify_esp_loaders(struct journal *j, const struct rsc_action *a, char **ret_why) {
	static const struct {
		const char *name;      /* on the ESP, any directory */
		const char *source[2]; /* the signed copies packages install */
	} signed_copies[] = {
		{ "shimx64.efi", { "/usr/lib/shim/shimx64.efi.signed", "/usr/lib/shim/shimx64.efi.dualsigned" } },
		{ "BOOTX64.EFI", { "/usr/lib/shim/shimx64.efi.signed", "/usr/lib/shim/shimx64.efi.dualsigned" } },
		{ "grubx64.efi", { "/usr/lib/grub/x86_64-efi-signed/grubx64.efi.signed", NULL } },
	};
	STRV_FOREACH(f, a->files) {
		_cleanup_free_ char *data = NULL;
		size_t size = 0;
		int r = read_file_in_root(j->rootfd, *f, 64u << 20, &data, &size);
		if (r < 0)
			return set_strf(ret_why, "%s is not there after grub-install (%s)", *f, rsc_strerror(r)), -ENOENT;
		if (size < 2 || data[0] != 'M' || data[1] != 'Z')
			return set_strf(ret_why, "%s is not an EFI program (no PE header)", *f), -EBADMSG;
		const char *base = strrchr(*f, '/') + 1;
		for (size_t i = 0; i < ELEMENTSOF(signed_copies); i++) {
			if (strcasecmp(base, signed_copies[i].name) != 0)
				continue;
			bool found = false, same = false;
			for (size_t k = 0; k < 2 && signed_copies[i].source[k]; k++) {
				_cleanup_free_ char *src = NULL;
				size_t ssize = 0;
				if (read_file_in_root(j->rootfd, signed_copies[i].source[k], 64u << 20, &src, &ssize) < 0)
					continue;
				found = true;
				same = same || (ssize == size && memcmp(src, data, size) == 0);
			}
			/* With shim, EFI/BOOT's BOOTX64.EFI is shim; without it GRUB. */
			if (found && !same && !streq(signed_copies[i].name, "BOOTX64.EFI"))
				return set_strf(ret_why, "%s differs from the system's signed copy", *f), -EBADMSG;
		}
	}
	return 0;
}

static int apply_grub_install_efi(struct journal *j, const char *root_dir, struct rsc_action *a) {
	/* content: GRUB's directory; disk: the ESP's mount point; the
	 * directories on the ESP it writes: those of files[]. */
	_cleanup_strv_free_ char **dirs = NULL, **noted = NULL;
	STRV_FOREACH(f, a->files) {
		_cleanup_free_ char *d = strdup(*f);
		char *slash = d ? strrchr(d, '/') : NULL;
		if (!slash)
			return -ENOMEM;
		*slash = 0;
		if (!strv_contains(dirs, d) && strv_extend(&dirs, d) < 0)
			return -ENOMEM;
	}
	int r = journal_grub_dir(j, a->content, "x86_64-efi", &noted);
	if (r >= 0)
		r = journal_esp_dirs(j, dirs, false, &noted);
	if (r < 0) {
		int q = rollback_action(j);
		return set_strf(&a->result, "not started: what it would overwrite could not be saved first (%s)%s",
				rsc_strerror(r), q < 0 ? "; some saved files could NOT be put back" : ""), r;
	}
	r = run_logged(j, root_dir, a);
	int q = journal_grub_dir_after(j, a->content, "x86_64-efi", &noted);
	if (q >= 0)
		q = journal_esp_dirs(j, dirs, true, &noted);
	_cleanup_free_ char *why = NULL;
	if (r == -ECANCELED)
		set_strf(&why, "interrupted while %s ran", a->argv[0]);
	else if (r != 0)
		set_strf(&why, "%s exited with status %d (its output is in %s/log)", a->argv[0], r, j->dir);
	else if (q < 0)
		set_strf(&why, "what %s wrote could not be noted in the journal", a->argv[0]);
	/* Never trust the exit status alone: read what the firmware will. */
	else if (verify_esp_loaders(j, a, &why) >= 0)
		return set_strf(&a->result, "installed and read back: %zu loader file(s) on the ESP, each the system's "
				"own signed copy where it has one", strv_length(a->files)), 0;
	q = rollback_action(j);
	set_strf(&a->result, "%s; %s", why ? why : "failed",
		 q < 0 ? "the previous ESP and GRUB files could NOT all be put back" :
			 "the ESP's files and GRUB's were put back as they were");
	return r == -ECANCELED ? r : -EIO;
}

/* ---- firmware boot entries (NVRAM) ---- */

/* The machine whose firmware variables a journal changed: its SMBIOS
 * UUID, or "unknown". Undo leaves the variables of another machine alone
 * (the disk may have moved). */
static void machine_id(char out[64]) {
	_cleanup_free_ char *text = NULL;
	snprintf(out, 64, "unknown");
	if (read_first_line("/sys/class/dmi/id/product_uuid", &text) >= 0 && *text && strlen(text) < 64 &&
	    !strpbrk(text, " \t"))
		snprintf(out, 64, "%s", text);
}

static void sha256_hex(const uint8_t *p, size_t n, char hex[65]) {
	struct sha256 s;
	uint8_t d[32];
	sha256_init(&s);
	sha256_update(&s, p, n);
	sha256_final(&s, d);
	for (int i = 0; i < 32; i++)
		snprintf(hex + 2 * i, 3, "%02x", d[i]);
}

/* Before variable NAME is written with NEW: a copy of what it holds
 * (OLD, as efivarfs shows it) goes into the journal ("efivar NAME FILE
 * MACHINE"), or, when there is none, a note that undo removes it while it
 * still holds NEW ("efivar-new NAME SHA256 MACHINE"). */
static int journal_efivar(struct journal *j, const char *name, const uint8_t *old, size_t old_n, const uint8_t *new,
			  size_t new_n) {
	char mid[64], what[160];
	machine_id(mid);
	if (!old) {
		char hex[65];
		sha256_hex(new, new_n, hex);
		snprintf(what, sizeof(what), "%s %s", hex, mid);
		return journal_note(j, "efivar-new", name, what);
	}
	char file[32];
	snprintf(file, sizeof(file), "%u", ++j->n);
	_cleanup_close_ int out = openat(j->dirfd, file, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	if (out < 0 || pwrite_all(out, old, old_n, 0) < 0 || fsync(out) < 0 || fsync_dirfd(j->dirfd) < 0)
		return log_error_errno(j->ctx, errno ? errno : EIO, "Cannot save the firmware variable %s into the "
				       "journal: %m", name);
	snprintf(what, sizeof(what), "%s %s", file, mid);
	return journal_note(j, "efivar", name, what);
}

/* Puts a firmware variable back as the journal line "NAME FILE|SHA256
 * MACHINE" says: the saved copy written back, or the variable we created
 * removed (only while it still holds what we wrote: never an entry that
 * is not ours). */
static int undo_efivar(rsc_context *ctx, int dfd, const char *what, char *rest) {
	char name[128], arg[80], mid[64], here[64];
	if (sscanf(rest, "%127s %79s %63s", name, arg, mid) != 3 || strchr(name, '/'))
		return log_error_errno(ctx, EBADMSG, "Journal line for a firmware variable is damaged: %s", rest);
	machine_id(here);
	if (!streq(mid, here)) {
		log_warning(ctx, "The firmware variable %s was changed on another machine (%s, this is %s): not put back "
			    "here; check that machine's boot entries with efibootmgr", name, mid, here);
		return UNDONE_NOTHING;
	}
	const char *dir = efi_vars_dir();
	_cleanup_free_ uint8_t *cur = NULL;
	size_t cur_n = 0;
	int r = efi_var_get(dir, name, &cur, &cur_n);
	if (r < 0 && r != -ENOENT)
		return log_error_errno(ctx, r, "Cannot read the firmware variable %s to put it back (is the rescue "
				       "system booted through UEFI?): %m", name);
	if (streq(what, "efivar-new")) {
		if (r == -ENOENT)
			return UNDONE_NOTHING;   /* never written (a power cut before it) */
		char hex[65];
		sha256_hex(cur, cur_n, hex);
		if (!streq(hex, arg)) {
			log_warning(ctx, "The firmware variable %s changed since the repair wrote it: left as it is", name);
			return UNDONE_NOTHING;
		}
		if ((r = efi_var_remove(dir, name)) < 0)
			return log_error_errno(ctx, r, "Cannot remove the firmware variable %s: %m", name);
		log_info(ctx, "Removed the firmware variable %s (the repair had added it)", name);
		return UNDONE_FILE;
	}
	_cleanup_close_ int src = openat(dfd, arg, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	_cleanup_free_ char *saved = NULL;
	size_t n = 0;
	if (src < 0 || (r = read_file_fd(src, 65536, &saved, &n)) < 0)
		return log_error_errno(ctx, src < 0 ? errno : -r, "The journal's copy of the firmware variable %s (%s) "
				       "cannot be read: %m", name, arg);
	if ((r = efi_var_set(dir, name, (const uint8_t *)saved, n)) < 0)
		return log_error_errno(ctx, r, "Cannot write the firmware variable %s back: %m", name);
	log_info(ctx, "Put back the firmware variable %s", name);
	return UNDONE_FILE;
}

/* One firmware boot entry for the system's loader, first in BootOrder,
 * written through efivarfs: the lowest free Boot#### and the order with
 * it in front (the rest as it was). Both variables are journaled first,
 * then read back through the same parser diagnose uses. */
static int apply_nvram_entry(struct journal *j, struct rsc_action *a) {
	const char *dir = efi_vars_dir();
	const struct rsc_efi_entry *e = &a->efi;
	int num = e->existing >= 0 ? e->existing : efi_boot_free_number(dir);
	if (num < 0)
		return set_strf(&a->result, "not started: the firmware's boot entries cannot be read (%s)",
				rsc_strerror(num)), num;
	char boot[64], order[64];
	snprintf(boot, sizeof(boot), "Boot%04X-%s", (unsigned)num, EFI_GLOBAL_GUID);
	snprintf(order, sizeof(order), "BootOrder-%s", EFI_GLOBAL_GUID);
	_cleanup_free_ uint8_t *opt = NULL, *entry = NULL, *old = NULL, *neworder = NULL, *was = NULL;
	size_t opt_n = 0, old_n = 0, entry_n = 0, was_n = 0;
	int r;
	if (e->existing >= 0) {
		/* The entry that is there, made active when it is not. */
		if ((r = efi_var_get(dir, boot, &was, &was_n)) < 0 || was_n < 8)
			return set_strf(&a->result, "not started: %s cannot be read any more (%s)", boot,
					rsc_strerror(r < 0 ? r : -EBADMSG)), r < 0 ? r : -EBADMSG;
		if (!(entry = malloc(was_n)))
			return -ENOMEM;
		memcpy(entry, was, was_n);
		entry[4] |= EFI_LOAD_OPTION_ACTIVE;
		entry_n = was_n;
	} else {
		r = efi_load_option_build(e->label, e->partno, e->start, e->size, e->part_uuid, e->loader, &opt, &opt_n);
		if (r < 0)
			return set_strf(&a->result, "not started: no boot entry can be made for %s (%s)", e->loader,
					rsc_strerror(r)), r;
		if (!(entry = malloc(4 + opt_n)))
			return -ENOMEM;
		entry[0] = EFI_VARIABLE_NV_BS_RT, entry[1] = entry[2] = entry[3] = 0;
		memcpy(entry + 4, opt, opt_n);
		entry_n = 4 + opt_n;
	}
	r = efi_var_get(dir, order, &old, &old_n);
	if (r < 0 && r != -ENOENT)
		return set_strf(&a->result, "not started: BootOrder cannot be read (%s)", rsc_strerror(r)), r;
	size_t on = old ? (old_n - 4) / 2 : 0, k = 1;
	if (!(neworder = malloc(4 + 2 * (on + 1))))
		return -ENOMEM;
	if (old)
		memcpy(neworder, old, 4);
	else
		neworder[0] = EFI_VARIABLE_NV_BS_RT, neworder[1] = neworder[2] = neworder[3] = 0;
	neworder[4] = (uint8_t)num, neworder[5] = (uint8_t)(num >> 8);
	for (size_t i = 0; i < on; i++) {
		unsigned v = old[4 + 2 * i] | old[5 + 2 * i] << 8;
		if (v != (unsigned)num) {
			neworder[4 + 2 * k] = old[4 + 2 * i], neworder[5 + 2 * k] = old[5 + 2 * i];
			k++;
		}
	}
	bool write_entry = !was || memcmp(was, entry, entry_n) != 0;
	r = write_entry ? journal_efivar(j, boot, was, was_n, entry, entry_n) : 0;
	if (r >= 0)
		r = journal_efivar(j, order, old, old_n, neworder, 4 + 2 * k);
	if (r < 0) {
		int q = rollback_action(j);
		return set_strf(&a->result, "not started: the boot order could not be saved first (%s)%s",
				rsc_strerror(r), q < 0 ? "; some of it could NOT be put back" : ""), r;
	}
	const char *why = NULL;
	if (write_entry && (r = efi_var_set(dir, boot, entry, entry_n)) < 0)
		why = "the entry could not be written";
	else if ((r = efi_var_set(dir, order, neworder, 4 + 2 * k)) < 0)
		why = "BootOrder could not be written";
	else {
		/* Read back: the entry must parse, be active, first in the
		 * order, and start this loader on this partition. */
		struct efi_boot_entry *list = NULL;
		size_t n = 0;
		bool ok = false;
		r = efi_boot_entries_read(dir, &list, &n);
		for (size_t i = 0; r >= 0 && i < n; i++)
			if (list[i].number == (unsigned)num)
				ok = (list[i].attributes & EFI_LOAD_OPTION_ACTIVE) && list[i].order == 0 &&
				     list[i].part_uuid && strcasecmp(list[i].part_uuid, e->part_uuid) == 0 &&
				     list[i].path && strcasecmp(list[i].path, e->loader) == 0;
		efi_boot_entries_free(list, n);
		if (ok && e->existing < 0)
			return set_strf(&a->result, "Boot%04X \"%s\" added and read back: it starts %s on %s (partition "
					"%u), first in BootOrder", (unsigned)num, e->label, e->loader, e->esp, e->partno), 0;
		if (ok)
			return set_strf(&a->result, "Boot%04X %s and read back: it starts %s on %s (partition %u)",
					(unsigned)num, write_entry ? "made active, put first in BootOrder" :
					"put first in BootOrder", e->loader, e->esp, e->partno), 0;
		why = "the entry read back is not the one written";
		r = -EIO;
	}
	int q = rollback_action(j);
	set_strf(&a->result, "%s (%s); %s", why, rsc_strerror(r),
		 q < 0 ? "the boot entries could NOT all be put back" : "the boot entries were put back as they were");
	return -EIO;
}

static int apply_one(struct journal *j, const char *root_dir, struct rsc_action *a) {
	rsc_context *ctx = j->ctx;
	int r = 0;
	switch (a->kind) {
	case RSC_ACTION_FREE_SPACE:
	case RSC_ACTION_SET_ASIDE_KERNEL:
		STRV_FOREACH(f, a->files)
			if ((r = journal_move(j, *f)) < 0)
				return set_strf(&a->result, "could not move %s: %s", *f, rsc_strerror(r)), r;
		return set_strf(&a->result, "%zu file(s) moved into %s", strv_length(a->files), j->dir);

	case RSC_ACTION_REBUILD_INITRAMFS: {
		const char *image = a->files[0];
		/* Check the space before writing anything. */
		_cleanup_close_ int cur = open_in_root(j->rootfd, image, O_RDONLY);
		struct stat st = { 0 };
		if (cur >= 0)
			fstat(cur, &st);
		/* As diagnose estimates it: the image may be truncated now. */
		uint64_t image_size = (uint64_t)st.st_size > (64u << 20) ? (uint64_t)st.st_size : (64u << 20);
		uint64_t need = image_size + image_size / 4 + (8u << 20);
		uint64_t avail = free_bytes(j->rootfd, image);
		if (avail < need)
			return set_strf(&a->result, "not started: %.1f MiB free beside %s, about %.1f MiB needed", avail / 1048576.0,
					image, need / 1048576.0), -ENOSPC;
		int saved = journal_save(j, image);
		if (saved < 0)
			return set_strf(&a->result, "not started: %s could not be saved first", image), saved;
		char name[32];
		snprintf(name, sizeof(name), "%u", j->n);
		_cleanup_strv_free_ char **siblings = NULL;
		(void)temporary_siblings(j->rootfd, image, &siblings);
		r = run_logged(j, root_dir, a);
		/* Tests cut the power here: the new image is in place, perhaps
		 * only in the page cache, and the journal still "running". */
		if (r == 0 && rsc_debug_pause(ctx, "RESCUE_DEBUG_AFTER_GENERATOR_MS", "apply: the generator wrote the image") < 0)
			r = -ECANCELED;
		if (r == -ECANCELED) {
			/* Whatever it wrote so far is not kept. */
			int q = restore_from(j->rootfd, j->dirfd, image, saved ? name : NULL);
			remove_temporary_siblings(ctx, j->rootfd, image, siblings);
			set_strf(&a->result, "interrupted while %s ran; %s", a->argv[0],
				 q < 0 ? "the previous image could NOT be restored" : "the previous state was restored");
			return r;
		}
		_cleanup_free_ char *why = NULL;
		if (r != 0)
			set_strf(&why, "the generator exited with status %d (its output is in %s/log)", r, j->dir);
		/* Never trust the exit status alone: look at what it wrote. */
		int v = verify_image(ctx, j->rootfd, root_dir, image, a->kver, r == 0 ? &why : &a->result);
		if (r == 0 && v >= 0)
			return set_strf(&a->result, "rebuilt and verified: it can mount the root"), 0;
		/* Roll back: the previous image (or none) is put back. */
		int q = restore_from(j->rootfd, j->dirfd, image, saved ? name : NULL);
		remove_temporary_siblings(ctx, j->rootfd, image, siblings);
		set_strf(&a->result, "%s; %s", why ? why : "failed",
			 q < 0 ? "the previous image could NOT be restored" : "the previous state was restored");
		return -EIO;
	}

	case RSC_ACTION_GRUB_CONFIG: {
		int saved = journal_save(j, a->files[0]);
		if (saved < 0)
			return set_strf(&a->result, "not started: %s could not be saved first", a->files[0]), saved;
		r = run_logged(j, root_dir, a);
		if (r == -ECANCELED) {
			char name[32];
			snprintf(name, sizeof(name), "%u", j->n);
			int q = restore_from(j->rootfd, j->dirfd, a->files[0], saved ? name : NULL);
			set_strf(&a->result, "interrupted while %s ran; %s", a->argv[0],
				 q < 0 ? "the previous configuration could NOT be restored" :
					 "the previous configuration was restored");
			return r;
		}
		_cleanup_free_ char *text = NULL;
		if (r == 0 && read_file_in_root(j->rootfd, a->files[0], READ_FILE_MAX, &text, NULL) >= 0 &&
		    (strstr(text, "menuentry") || strstr(text, "blscfg")))
			return set_strf(&a->result, "written, with boot entries"), 0;
		set_strf(&a->result, "%s exited with status %d or wrote no entries (output in %s/log); the previous "
			 "configuration was restored", a->argv[0], r, j->dir);
		char name[32];
		snprintf(name, sizeof(name), "%u", j->n);
		restore_from(j->rootfd, j->dirfd, a->files[0], saved ? name : NULL);
		return -EIO;
	}

	case RSC_ACTION_ESP_STUB: {
		const char *path = a->files[0];
		if ((r = journal_save(j, path)) < 0)
			return set_strf(&a->result, "not started: %s could not be saved first", path), r;
		r = 0;
		_cleanup_free_ char *dir = strdup(path);
		char *slash = dir ? strrchr(dir, '/') : NULL;
		if (!slash)
			return -ENOMEM;
		*slash = 0;
		if ((r = mkdirs_in_root(j->rootfd, dir)) < 0)
			return r;
		_cleanup_close_ int dfd = open_in_root(j->rootfd, dir, O_RDONLY | O_DIRECTORY);
		char tmp[300];
		snprintf(tmp, sizeof(tmp), ".%s.rescue-new", slash + 1);
		_cleanup_close_ int fd = dfd >= 0 ? openat(dfd, tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644) : -1;
		size_t len = strlen(a->content);
		if (fd < 0 || write(fd, a->content, len) != (ssize_t)len || fsync(fd) < 0 ||
		    renameat(dfd, tmp, dfd, slash + 1) < 0) {
			r = negative_errno();
			if (dfd >= 0)
				unlinkat(dfd, tmp, 0);
			return set_strf(&a->result, "could not write %s: %s", path, rsc_strerror(r)), r;
		}
		fsync_dirfd(dfd);
		return set_strf(&a->result, "written"), 0;
	}

	case RSC_ACTION_GRUB_INSTALL_BIOS:
		return apply_grub_install(j, root_dir, a);
	case RSC_ACTION_GRUB_INSTALL_EFI:
		return apply_grub_install_efi(j, root_dir, a);
	case RSC_ACTION_NVRAM_ENTRY:
		return apply_nvram_entry(j, a);
	case RSC_ACTION_EDIT_CONFIG: {
		const char *path = a->files[0];
		_cleanup_free_ char *text = NULL, *cur = NULL, *new = NULL;
		size_t size = 0;
		r = read_file_in_root(j->rootfd, path, READ_FILE_MAX, &text, &size);
		if (r < 0)
			return set_strf(&a->result, "not started: %s cannot be read: %s", path, rsc_strerror(r)), r;
		/* The line must still be what the plan showed: anything else was
		 * not reviewed. A NUL byte would cut the rewritten file short. */
		if (strlen(text) != size || text_line(text, a->line, &cur) < 0 || !streq(cur, a->old_line))
			return set_strf(&a->result, "not started: line %u of %s is not what the plan showed any more",
					a->line, path), -ESTALE;
		if ((r = text_replace_line(text, a->line, a->content, &new)) < 0)
			return r;
		_cleanup_close_ int old = open_in_root(j->rootfd, path, O_RDONLY | O_NOFOLLOW);
		struct stat st;
		if (old < 0 || fstat(old, &st) < 0 || !S_ISREG(st.st_mode))
			return set_strf(&a->result, "not started: %s is not a regular file", path), -EINVAL;
		if ((r = journal_save(j, path)) < 0)
			return set_strf(&a->result, "not started: %s could not be saved first", path), r;
		_cleanup_free_ char *dir = strdup(path);
		char *slash = dir ? strrchr(dir, '/') : NULL;
		if (!slash)
			return -ENOMEM;
		*slash = 0;
		_cleanup_close_ int dfd = open_in_root(j->rootfd, *dir ? dir : "/", O_RDONLY | O_DIRECTORY);
		char tmp[300];
		snprintf(tmp, sizeof(tmp), ".%s.rescue-new", slash + 1);
		if (dfd >= 0)
			unlinkat(dfd, tmp, 0);
		/* The new file is the old one's twin but for the line: owner,
		 * mode and SELinux label too. */
		_cleanup_close_ int fd = dfd >= 0 ? openat(dfd, tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600) : -1;
		char label[256];
		ssize_t ln = fgetxattr(old, "security.selinux", label, sizeof(label));
		size_t len = strlen(new);
		if (fd < 0 || write(fd, new, len) != (ssize_t)len || fchown(fd, st.st_uid, st.st_gid) < 0 ||
		    fchmod(fd, st.st_mode & 07777) < 0 ||
		    (ln > 0 && fsetxattr(fd, "security.selinux", label, (size_t)ln, 0) < 0 && errno != ENOTSUP) ||
		    fsync(fd) < 0 || renameat(dfd, tmp, dfd, slash + 1) < 0) {
			r = negative_errno();
			if (dfd >= 0)
				unlinkat(dfd, tmp, 0);
			return set_strf(&a->result, "could not write %s (it is unchanged): %s", path, rsc_strerror(r)), r;
		}
		fsync_dirfd(dfd);
		return set_strf(&a->result, "line %u changed", a->line), 0;
	}

	case RSC_ACTION_RELABEL:
		if (!a->argv) {
			_cleanup_close_ int fd = -1;
			if ((r = journal_save(j, "/.autorelabel")) < 0)
				return r;
			r = 0;
			fd = open_in_root(j->rootfd, "/", O_RDONLY | O_DIRECTORY);
			int f = fd >= 0 ? openat(fd, ".autorelabel", O_WRONLY | O_CREAT | O_CLOEXEC, 0644) : -1;
			if (f < 0)
				return set_strf(&a->result, "could not create /.autorelabel"), -EIO;
			close(f);
			return set_strf(&a->result, "a full relabel is scheduled for the next boot (no setfiles in the system)"), 0;
		}
		strv_free(j->labels);
		j->labels = NULL;
		STRV_FOREACH(f, a->files)
			if ((r = journal_labels(j, root_dir, *f)) < 0)
				return set_strf(&a->result, "could not record the labels of %s: %s", *f, rsc_strerror(r)), r;
		r = run_logged(j, root_dir, a);
		if (r != 0) {
			/* setfiles stopped half-way: the labels it had changed go back. */
			int q = restore_noted_labels(j);
			if (r == -ECANCELED)
				set_strf(&a->result, "interrupted while setfiles ran; %s",
					 q < 0 ? "some labels could NOT be put back" : "the previous labels were put back");
			else
				set_strf(&a->result, "setfiles exited with status %d (output in %s/log); %s", r, j->dir,
					 q < 0 ? "some labels could NOT be put back" : "the previous labels were put back");
			return r == -ECANCELED ? r : -EIO;
		}
		return set_strf(&a->result, "relabelled"), 0;
	}
	return -EINVAL;
}

/* syncfs of every filesystem the action touched (the root and a separate
 * /boot or ESP): a generator writes without fsync. */
static void sync_changed(struct journal *j, const struct rsc_action *a) {
	syncfs(j->rootfd);
	STRV_FOREACH(f, a->files) {
		_cleanup_free_ char *dir = strdup(*f);
		char *slash = dir ? strrchr(dir, '/') : NULL;
		if (!slash)
			continue;
		*slash = 0;
		_cleanup_close_ int fd = open_in_root(j->rootfd, *dir ? dir : "/", O_RDONLY | O_DIRECTORY);
		if (fd >= 0)
			syncfs(fd);
	}
}

int rsc_plan_apply(rsc_context *ctx, struct rsc_plan *p, const char *root_dir) {
	_cleanup_close_ int rootfd = open(root_dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (rootfd < 0)
		return log_error_errno(ctx, errno, "%s: %m", root_dir);
	if (p->n_actions == 0)
		return 0;
	struct journal j;
	int r = journal_open(ctx, rootfd, &j);
	if (r < 0) {
		journal_close(&j);
		return r;
	}
	set_str(&p->journal, j.dir);
	log_notice(ctx, "Journal of this repair: %s (rescue undo restores it)", j.dir);
	for (size_t i = 0; i < p->n_actions; i++) {
		struct rsc_action *a = &p->actions[i];
		if (r < 0 || rsc_context_cancelled(ctx)) {
			a->status = RSC_ACTION_SKIPPED;
			set_str(&a->result, r < 0 && r != -ECANCELED ? "skipped: an earlier step failed" : "skipped: interrupted");
			continue;
		}
		log_notice(ctx, "Step %zu/%zu: %s", i + 1, p->n_actions, a->title);
		rsc_progress_report(ctx, (unsigned)(i + 1), (unsigned)p->n_actions, (double)i / (double)p->n_actions, a->title,
				    NULL);
		bool all_there = a->unless_present != NULL;
		STRV_FOREACH(f, a->unless_present)
			all_there = all_there && exists_in_root(rootfd, *f);
		if (all_there) {
			a->status = RSC_ACTION_SKIPPED;
			set_str(&a->result, "not needed: every file the menu names exists now");
			log_info(ctx, "Step %zu: %s", i + 1, a->result);
			continue;
		}
		strv_free(j.act);
		j.act = NULL;
		int q = apply_one(&j, root_dir, a);
		/* What the step wrote (or put back) is on disk before the next
		 * step, or the journal's end, is written. */
		sync_changed(&j, a);
		if (!a->after && rsc_action_read_files(root_dir, a, &a->after) == -ENOMEM)
			log_warning(ctx, "Step %zu: out of memory reading what it changed", i + 1);
		a->status = q < 0 ? RSC_ACTION_FAILED : RSC_ACTION_DONE;
		if (q == -ECANCELED) {
			log_notice(ctx, "Step %zu: %s", i + 1, strna(a->result));
			r = q;
		} else if (q < 0) {
			log_error(ctx, "Step %zu failed: %s", i + 1, strna(a->result));
			r = -EIO;
		} else
			log_info(ctx, "Step %zu: %s", i + 1, strna(a->result));
	}
	if (rsc_context_cancelled(ctx) && r >= 0)
		r = -ECANCELED;
	/* Every step is done, rolled back or skipped: what the journal
	 * holds is what `undo` restores, and nothing is left half-way. */
	int q = journal_set_state(&j, "complete");
	if (q < 0)
		log_warning_errno(ctx, q, "Cannot mark the journal %s complete: %m", j.dir);
	journal_close(&j);
	return r;
}

/* The journals of the system, oldest first (names sort by time), not
 * counting those undone already. */
static int list_journals(int jfd, char ***ret) {
	_cleanup_strv_free_ char **names = NULL;
	int dup_fd = fcntl(jfd, F_DUPFD_CLOEXEC, 3);
	DIR *d = dup_fd >= 0 ? fdopendir(dup_fd) : NULL;
	if (!d) {
		if (dup_fd >= 0)
			close(dup_fd);
		return negative_errno();
	}
	struct dirent *de;
	while ((de = readdir(d)))
		if (de->d_name[0] != '.' && !strstr(de->d_name, ".undone") && strv_extend(&names, de->d_name) < 0) {
			closedir(d);
			return -ENOMEM;
		}
	closedir(d);
	if (names)
		strv_sort_versions(names);
	*ret = TAKE_PTR(names);
	return 0;
}

/* A journal left "running": its repair was cut short (power cut, the
 * process killed). Journals of older versions have no state: complete. */
static bool journal_unfinished(int jfd, const char *name) {
	_cleanup_close_ int dfd = openat(jfd, name, O_RDONLY | O_DIRECTORY | O_CLOEXEC | O_NOFOLLOW);
	_cleanup_free_ char *state = NULL;
	if (dfd < 0 || read_file_in_root(dfd, "state", 4096, &state, NULL) < 0)
		return false;
	return startswith(state, "running") != NULL;
}

int rsc_journal_find_unfinished(rsc_context *ctx, const char *root_dir, char **ret_journal) {
	_cleanup_close_ int rootfd = open(root_dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (rootfd < 0)
		return log_error_errno(ctx, errno, "%s: %m", root_dir);
	_cleanup_close_ int jfd = open_in_root(rootfd, JOURNAL_DIR, O_RDONLY | O_DIRECTORY);
	if (jfd == -ENOENT)
		return 0;
	if (jfd < 0)
		return log_error_errno(ctx, jfd, "Cannot read %s%s: %m", root_dir, JOURNAL_DIR);
	_cleanup_strv_free_ char **names = NULL;
	int r = list_journals(jfd, &names);
	if (r < 0)
		return log_error_errno(ctx, r, "Cannot read %s%s: %m", root_dir, JOURNAL_DIR);
	for (size_t i = strv_length(names); i-- > 0;)
		if (journal_unfinished(jfd, names[i])) {
			if (ret_journal && asprintf(ret_journal, "%s/%s", JOURNAL_DIR, names[i]) < 0)
				return -ENOMEM;
			return 1;
		}
	return 0;
}

/* Restores one journal (name: its directory in JOURNAL_DIR), newest
 * change first, and marks it undone when everything went back. */
static int undo_journal(rsc_context *ctx, int rootfd, int jfd, const char *name) {
	_cleanup_close_ int dfd = openat(jfd, name, O_RDONLY | O_DIRECTORY | O_CLOEXEC | O_NOFOLLOW);
	_cleanup_free_ char *text = NULL;
	int r = dfd >= 0 ? read_file_in_root(dfd, "manifest", 1 << 20, &text, NULL) : -ENOENT;
	if (r < 0)
		return log_error_errno(ctx, r, "Journal %s has no readable manifest: %m", name);
	/* A line cut short by a power cut announced a change that never
	 * began: it is not acted on. */
	char *end = strrchr(text, '\n');
	if (end)
		end[1] = 0;
	else
		text[0] = 0;
	_cleanup_strv_free_ char **lines = NULL;
	if (strv_split(text, "\n", &lines) < 0)
		return -ENOMEM;
	int restored = 0, failed = 0, labels = 0;
	for (size_t i = strv_length(lines); i-- > 0;) {
		int q = undo_line(ctx, rootfd, dfd, lines[i]);
		if (q < 0)
			failed++;
		else if (q == UNDONE_LABEL)
			labels++;
		else if (q == UNDONE_FILE)
			restored++;
	}
	if (labels)
		syncfs(rootfd);
	if (!failed) {
		/* Undone is neither complete nor unfinished. */
		struct journal j = { .dirfd = dfd };
		(void)journal_set_state(&j, "undone");
		char done[300];
		snprintf(done, sizeof(done), "%s.undone", name);
		if (renameat(jfd, name, jfd, done) == 0)
			fsync_dirfd(jfd);
	}
	if (labels)
		log_info(ctx, "%d SELinux label(s) put back", labels);
	return failed ? -EIO : restored + labels;
}

static int open_journals(rsc_context *ctx, const char *root_dir, int *ret_rootfd, int *ret_jfd) {
	_cleanup_close_ int rootfd = open(root_dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (rootfd < 0)
		return log_error_errno(ctx, errno, "%s: %m", root_dir);
	int jfd = open_in_root(rootfd, JOURNAL_DIR, O_RDONLY | O_DIRECTORY);
	if (jfd < 0)
		return log_error_errno(ctx, ENOENT, "No repair journal in %s%s: nothing to undo", root_dir, JOURNAL_DIR);
	*ret_rootfd = TAKE_FD(rootfd);
	*ret_jfd = jfd;
	return 0;
}

int rsc_journal_undo(rsc_context *ctx, const char *root_dir, char **ret_journal) {
	_cleanup_close_ int rootfd = -EBADF, jfd = -EBADF;
	int r = open_journals(ctx, root_dir, &rootfd, &jfd);
	if (r < 0)
		return r;
	/* The newest journal not undone yet. */
	_cleanup_strv_free_ char **names = NULL;
	r = list_journals(jfd, &names);
	if (r < 0)
		return log_error_errno(ctx, r, "Cannot read %s%s: %m", root_dir, JOURNAL_DIR);
	if (!names)
		return log_error_errno(ctx, ENOENT, "No repair journal left to undo in %s%s", root_dir, JOURNAL_DIR);
	const char *name = names[strv_length(names) - 1];
	r = undo_journal(ctx, rootfd, jfd, name);
	if (ret_journal && asprintf(ret_journal, "%s/%s", JOURNAL_DIR, name) < 0)
		return -ENOMEM;
	return r;
}

int rsc_journal_undo_path(rsc_context *ctx, const char *root_dir, const char *journal) {
	const char *name = strrchr(journal, '/') ? strrchr(journal, '/') + 1 : journal;
	if (!*name || name[0] == '.' || strstr(name, ".undone"))
		return log_error_errno(ctx, EINVAL, "%s is not a journal that can be undone", journal);
	_cleanup_close_ int rootfd = -EBADF, jfd = -EBADF;
	int r = open_journals(ctx, root_dir, &rootfd, &jfd);
	if (r < 0)
		return r;
	return undo_journal(ctx, rootfd, jfd, name);
}
