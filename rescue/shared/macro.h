/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Small macros shared by the library, the CLI, the TUI and the tests:
 * cleanup attributes, ownership transfer and array sizing.
 */
#pragma once

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define _cleanup_(f) __attribute__((cleanup(f)))
#define _unused_ __attribute__((unused))
#define _printf_(a, b) __attribute__((format(printf, a, b)))
#define _pure_ __attribute__((pure))

#define ELEMENTSOF(x) (sizeof(x) / sizeof((x)[0]))
#define ALIGN4(x) (((x) + 3) & ~(uint64_t)3)

/* Hand ownership on: returns the pointer and leaves NULL behind, so the
 * cleanup attribute of the old owner frees nothing. */
#define TAKE_PTR(p)                          \
	({                                   \
		typeof(p) _p_ = (p);         \
		(p) = NULL;                  \
		_p_;                         \
	})
#define TAKE_FD(fd)                          \
	({                                   \
		int _fd_ = (fd);             \
		(fd) = -EBADF;               \
		_fd_;                        \
	})

/* One cleanup function per foreign type; all accept NULL. */
#define DEFINE_TRIVIAL_CLEANUP_FUNC(type, func)               \
	static inline void func##p(type *p) {                 \
		if (*p)                                       \
			func(*p);                             \
	}

static inline void freep(void *p) {
	free(*(void **)p);
}
#define _cleanup_free_ _cleanup_(freep)

static inline void closep(int *fd) {
	if (*fd >= 0) {
		int saved = errno;
		close(*fd);
		errno = saved;
	}
}
#define _cleanup_close_ _cleanup_(closep)

static inline void fclosep(FILE **f) {
	if (*f)
		fclose(*f);
}
#define _cleanup_fclose_ _cleanup_(fclosep)

static inline int negative_errno(void) {
	/* Map a libc failure to a negative errno, never 0 even if errno was. */
	return errno > 0 ? -errno : -EIO;
}

static inline const char *strempty(const char *s) {
	return s ? s : "";
}
static inline const char *strna(const char *s) {
	return s ? s : "n/a";
}
static inline int streq_ptr(const char *a, const char *b) {
	if (!a || !b)
		return a == b;
	return strcmp(a, b) == 0;
}
#define streq(a, b) (strcmp((a), (b)) == 0)
/* The rest of s after prefix, or NULL when s does not start with it. */
static inline const char *startswith(const char *s, const char *prefix) {
	size_t l = strlen(prefix);
	return strncmp(s, prefix, l) == 0 ? s + l : NULL;
}

/* Is x one of the values listed? (ints and enums) */
#define IN_SET(x, ...)                                                                     \
	({                                                                                 \
		const int _in_set_values[] = { __VA_ARGS__ };                              \
		bool _in_set_found = false;                                                \
		for (size_t _i = 0; _i < sizeof(_in_set_values) / sizeof(int); _i++)      \
			if ((int)(x) == _in_set_values[_i])                                \
				_in_set_found = true;                                      \
		_in_set_found;                                                             \
	})
