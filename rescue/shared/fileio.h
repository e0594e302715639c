/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Reading files of an untrusted target root. Every path is resolved with
 * openat2(RESOLVE_IN_ROOT) against a directory descriptor of the root, so
 * symlinks inside the target ("/etc/os-release -> /etc/shadow", "../../..")
 * are resolved as if the target were "/" and never reach the rescue
 * system's own files.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/stat.h>

/* Files of the target we parse are small; anything bigger is refused so a
 * hostile or corrupt target cannot make us allocate without bound. */
#define READ_FILE_MAX (4u * 1024 * 1024)

/* Opens PATH (absolute or relative: both are taken inside the root) with
 * FLAGS (O_CLOEXEC is always added). Returns an fd or a negative errno. */
int open_in_root(int rootfd, const char *path, int flags);
/* Reads a whole regular file inside the root into a NUL-terminated buffer.
 * -EFBIG above max, -EISDIR/-ENODEV (not a regular file). */
int read_file_in_root(int rootfd, const char *path, size_t max, char **ret, size_t *ret_size);
int read_file_fd(int fd, size_t max, char **ret, size_t *ret_size);
/* The first line of a small file such as a sysfs attribute (which always
 * claims 4096 bytes, so a smaller max would fail), newline stripped. */
int read_first_line(const char *path, char **ret);
/* stat() of PATH inside the root (following symlinks inside the root). */
int stat_in_root(int rootfd, const char *path, struct stat *ret);
bool exists_in_root(int rootfd, const char *path);
/* Does PATH inside the root name an executable regular file? */
bool executable_in_root(int rootfd, const char *path);
/* Joins two path parts with exactly one '/' between them. */
char *path_join(const char *a, const char *b);
