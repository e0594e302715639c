/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Extracting an initramfs into a directory. The image is untrusted: every
 * parent directory is resolved with RESOLVE_IN_ROOT against the target
 * directory, so "..", absolute names and symlinks written by earlier
 * members (absolute or relative) can never lead a write outside it, and
 * the last component is always created afresh with O_EXCL/O_NOFOLLOW.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "fileio.h"
#include "initramfs-internal.h"
#include "internal.h"

struct extract_state {
	int dirfd;
	bool privileged;
	unsigned refused;
	int error;
};

static bool name_is_safe(const char *path) {
	/* Refuse any ".." component outright, even one RESOLVE_IN_ROOT
	 * would contain: such a name is hostile or broken. */
	for (const char *p = path; *p;) {
		const char *e = strchrnul(p, '/');
		if (e - p == 2 && p[0] == '.' && p[1] == '.')
			return false;
		p = *e ? e + 1 : e;
	}
	return true;
}

/* Makes every directory of PARENT (creating missing ones) inside the root
 * and returns an O_PATH descriptor of it. */
static int open_parent(int dirfd, const char *parent) {
	if (!*parent)
		return open_in_root(dirfd, ".", O_PATH | O_DIRECTORY);
	int fd = open_in_root(dirfd, parent, O_PATH | O_DIRECTORY);
	if (fd != -ENOENT)
		return fd;
	_cleanup_free_ char *copy = strdup(parent);
	if (!copy)
		return -ENOMEM;
	char *slash = strrchr(copy, '/');
	const char *base = copy;
	_cleanup_close_ int up = -EBADF;
	if (slash) {
		*slash = 0;
		base = slash + 1;
		up = open_parent(dirfd, copy);
	} else
		up = open_in_root(dirfd, ".", O_PATH | O_DIRECTORY);
	if (up < 0)
		return up;
	if (mkdirat(up, base, 0755) < 0 && errno != EEXIST)
		return negative_errno();
	return open_in_root(dirfd, parent, O_PATH | O_DIRECTORY);
}

static int write_contents(rsc_initramfs *img, int fd) {
	uint8_t buf[65536];
	for (;;) {
		ssize_t k = rsc_initramfs_read_data(img, buf, sizeof(buf));
		if (k <= 0)
			return (int)k;
		for (ssize_t off = 0; off < k;) {
			ssize_t w = write(fd, buf + off, k - off);
			if (w < 0) {
				if (errno == EINTR)
					continue;
				return negative_errno();
			}
			off += w;
		}
	}
}

static int extract_one(rsc_initramfs *img, const struct rsc_initramfs_entry *e, void *userdata) {
	struct extract_state *s = userdata;
	if (streq(e->path, "."))
		return 0;
	if (!name_is_safe(e->path)) {
		s->refused++;
		return 0;
	}
	_cleanup_free_ char *copy = strdup(e->path);
	if (!copy)
		return -ENOMEM;
	/* Trailing slashes would make the last component empty. */
	size_t n = strlen(copy);
	while (n > 1 && copy[n - 1] == '/')
		copy[--n] = 0;
	char *slash = strrchr(copy, '/');
	const char *base = copy, *parent = "";
	if (slash) {
		*slash = 0;
		parent = copy;
		base = slash + 1;
	}
	if (!*base || streq(base, ".")) {
		s->refused++;
		return 0;
	}

	_cleanup_close_ int pfd = open_parent(s->dirfd, parent);
	if (pfd < 0) {
		/* A parent that is not a directory, or that a symlink makes
		 * point nowhere: skip this member, keep going. */
		s->refused++;
		return 0;
	}

	mode_t perm = e->mode & 07777;
	struct stat st;
	bool exists = fstatat(pfd, base, &st, AT_SYMLINK_NOFOLLOW) == 0;
	if (S_ISDIR(e->mode)) {
		if (exists && !S_ISDIR(st.st_mode) && unlinkat(pfd, base, 0) < 0)
			return negative_errno();
		if ((!exists || !S_ISDIR(st.st_mode)) && mkdirat(pfd, base, 0700) < 0 && errno != EEXIST)
			return negative_errno();
		_cleanup_close_ int dfd = openat(pfd, base, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		if (dfd < 0)
			return negative_errno();
		(void)fchmod(dfd, perm);
		if (s->privileged)
			(void)fchown(dfd, e->uid, e->gid);
		return 0;
	}

	/* Later members replace earlier ones, as the kernel does. */
	if (exists && unlinkat(pfd, base, S_ISDIR(st.st_mode) ? AT_REMOVEDIR : 0) < 0) {
		s->refused++;
		return 0;
	}

	if (S_ISLNK(e->mode)) {
		if (symlinkat(e->link_target, pfd, base) < 0)
			return negative_errno();
		if (s->privileged)
			(void)fchownat(pfd, base, e->uid, e->gid, AT_SYMLINK_NOFOLLOW);
	} else if (S_ISREG(e->mode)) {
		_cleanup_close_ int fd = openat(pfd, base, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
		if (fd < 0)
			return negative_errno();
		int r = write_contents(img, fd);
		if (r < 0)
			return r;
		if (s->privileged)
			(void)fchown(fd, e->uid, e->gid);
		(void)fchmod(fd, perm);
		struct timespec ts[2] = { { e->mtime, 0 }, { e->mtime, 0 } };
		(void)futimens(fd, ts);
	} else if (S_ISCHR(e->mode) || S_ISBLK(e->mode) || S_ISFIFO(e->mode) || S_ISSOCK(e->mode)) {
		if (!s->privileged && !S_ISFIFO(e->mode))
			return 0;
		if (mknodat(pfd, base, (e->mode & S_IFMT) | perm, makedev(e->rdev_major, e->rdev_minor)) < 0)
			return negative_errno();
	}
	return 0;
}

int rsc_initramfs_extract(rsc_initramfs *img, int dirfd) {
	struct extract_state s = { .dirfd = dirfd, .privileged = geteuid() == 0 };
	int r = rsc_initramfs_walk(img, extract_one, NULL, &s);
	if (r < 0)
		return r;
	return s.refused > 0 ? 1 : 0;
}
