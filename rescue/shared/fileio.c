/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "fileio.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/openat2.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "macro.h"

int open_in_root(int rootfd, const char *path, int flags) {
	struct open_how how = {
		.flags = (uint64_t)(flags | O_CLOEXEC),
		/* RESOLVE_NO_MAGICLINKS: /proc/self/... style links in a
		 * target must not lead anywhere either. */
		.resolve = RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS,
	};
	while (*path == '/')
		path++;
	if (!*path)
		path = ".";
	/* The kernel answers EAGAIN when a mount or rename anywhere on the
	 * system raced with the scoped lookup; the lookup is then simply
	 * repeated. */
	for (int attempt = 0;; attempt++) {
		long fd = syscall(SYS_openat2, rootfd, path, &how, sizeof(how));
		if (fd >= 0)
			return (int)fd;
		if ((errno != EAGAIN && errno != EINTR) || attempt >= 1000)
			return negative_errno();
	}
}

int read_file_fd(int fd, size_t max, char **ret, size_t *ret_size) {
	struct stat st;
	if (fstat(fd, &st) < 0)
		return negative_errno();
	if (S_ISDIR(st.st_mode))
		return -EISDIR;
	if (!S_ISREG(st.st_mode))
		return -ENODEV;
	if ((uint64_t)st.st_size > max)
		return -EFBIG;

	size_t cap = (size_t)st.st_size + 1, len = 0;
	_cleanup_free_ char *buf = malloc(cap);
	if (!buf)
		return -ENOMEM;
	for (;;) {
		if (len + 1 >= cap) {
			/* The file grew since fstat(): keep reading up to max. */
			if (cap > max)
				return -EFBIG;
			size_t ncap = cap * 2 > max + 1 ? max + 1 : cap * 2;
			char *n = realloc(buf, ncap);
			if (!n)
				return -ENOMEM;
			buf = n;
			cap = ncap;
		}
		ssize_t k = read(fd, buf + len, cap - 1 - len);
		if (k < 0) {
			if (errno == EINTR)
				continue;
			return negative_errno();
		}
		if (k == 0)
			break;
		len += (size_t)k;
	}
	buf[len] = 0;
	*ret = TAKE_PTR(buf);
	if (ret_size)
		*ret_size = len;
	return 0;
}

int read_file_in_root(int rootfd, const char *path, size_t max, char **ret, size_t *ret_size) {
	_cleanup_close_ int fd = open_in_root(rootfd, path, O_RDONLY | O_NOCTTY | O_NONBLOCK);
	if (fd < 0)
		return fd;
	return read_file_fd(fd, max, ret, ret_size);
}

int stat_in_root(int rootfd, const char *path, struct stat *ret) {
	_cleanup_close_ int fd = open_in_root(rootfd, path, O_PATH);
	if (fd < 0)
		return fd;
	if (fstat(fd, ret) < 0)
		return negative_errno();
	return 0;
}

bool exists_in_root(int rootfd, const char *path) {
	struct stat st;
	return stat_in_root(rootfd, path, &st) == 0;
}

bool executable_in_root(int rootfd, const char *path) {
	struct stat st;
	return stat_in_root(rootfd, path, &st) == 0 && S_ISREG(st.st_mode) && (st.st_mode & 0111);
}

char *path_join(const char *a, const char *b) {
	size_t la = strlen(a);
	while (la > 0 && a[la - 1] == '/')
		la--;
	while (*b == '/')
		b++;
	char *r = malloc(la + 1 + strlen(b) + 1);
	if (!r)
		return NULL;
	memcpy(r, a, la);
	r[la] = '/';
	strcpy(r + la + 1, b);
	return r;
}

int read_first_line(const char *path, char **ret) {
	_cleanup_close_ int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return negative_errno();
	char *text;
	int r = read_file_fd(fd, 4096, &text, NULL);
	if (r < 0)
		return r;
	text[strcspn(text, "\n")] = 0;
	*ret = text;
	return 0;
}
