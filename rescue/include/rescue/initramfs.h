/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Initramfs images: a streaming reader that follows the kernel's own
 * grammar (zero padding, uncompressed newc/crc cpio archives, compressed
 * segments, any number of each in any order), and a verifier that decides
 * whether an image can mount a given installed root.
 *
 * Memory is bounded whatever the image size: the reader holds one input
 * buffer, one decompressor state and one output window (at most about
 * 25 MiB, reached only by lz4's 8 MiB legacy blocks), never the image or a
 * whole segment.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "rescue/rescue.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct rsc_initramfs rsc_initramfs;

enum rsc_compression {
	RSC_COMPRESSION_NONE,
	RSC_COMPRESSION_GZIP,
	RSC_COMPRESSION_BZIP2,
	RSC_COMPRESSION_LZMA,
	RSC_COMPRESSION_XZ,
	RSC_COMPRESSION_LZO,
	RSC_COMPRESSION_LZ4,
	RSC_COMPRESSION_ZSTD,
	_RSC_COMPRESSION_MAX,
};

/* "gzip", "zstd", ... and "none" for uncompressed cpio. */
const char *rsc_compression_to_string(enum rsc_compression c);
/* The kernel option that lets a kernel unpack this compression
 * ("CONFIG_RD_GZIP"), NULL for none. */
const char *rsc_compression_kconfig(enum rsc_compression c);

/* One cpio member as stored. Pointers are valid during the callback only. */
struct rsc_initramfs_entry {
	const char *path;        /* as stored, leading "./" and "/" removed; "." for the root */
	const char *link_target; /* symlinks only, else NULL */
	uint32_t mode;           /* S_IFMT bits and permissions */
	uint32_t uid, gid, nlink, mtime, ino;
	uint32_t dev_major, dev_minor, rdev_major, rdev_minor;
	uint64_t size;
	unsigned segment;        /* index into the segment list */
};

/* One piece of the image, in file order. Padding between pieces is not a
 * segment. Several uncompressed archives in a row form one segment. */
struct rsc_initramfs_segment {
	unsigned index;
	enum rsc_compression compression;
	uint64_t offset;          /* in the image file (or in the UKI's .initrd) */
	uint64_t length;          /* bytes of the image this segment consumed */
	uint64_t uncompressed;    /* cpio bytes it held */
	unsigned n_archives;      /* TRAILER!!!-terminated archives */
	unsigned n_entries;       /* members, trailers not counted */
	bool early_microcode;     /* holds kernel/x86/microcode/ *.bin */
	bool early_cpio_marker;   /* dracut's "early_cpio" file */
};

/* Called for each member. *data gives access to the member's contents
 * through rsc_initramfs_read_data() during the call only; what is not
 * read is skipped. Return 0 to go on, > 0 to stop the walk early (it then
 * returns that value), < 0 to abort with that error. */
typedef int (*rsc_initramfs_entry_fn)(rsc_initramfs *img, const struct rsc_initramfs_entry *entry,
				      void *userdata);
/* Called when a segment is complete. */
typedef int (*rsc_initramfs_segment_fn)(rsc_initramfs *img, const struct rsc_initramfs_segment *segment,
					void *userdata);

/* Opens an image read-only: a raw initramfs or a UKI (its .initrd section).
 * -ENOENT etc. from open(); -EBADMSG if a UKI has no .initrd section. */
int rsc_initramfs_open(rsc_context *ctx, const char *path, rsc_initramfs **ret);
/* Takes a readable descriptor; the image owns it on success only. */
int rsc_initramfs_open_fd(rsc_context *ctx, int fd, const char *name, rsc_initramfs **ret);
/* Same over a memory buffer the caller keeps alive (fuzzing, tests). */
int rsc_initramfs_open_memory(rsc_context *ctx, const void *data, size_t size, const char *name,
			      rsc_initramfs **ret);
rsc_initramfs *rsc_initramfs_free(rsc_initramfs *img);

/* True when the image was found inside a UKI's .initrd section. */
bool rsc_initramfs_is_uki(const rsc_initramfs *img);

/* Limits against decompression bombs (defaults: 4 GiB of cpio in all,
 * a ratio of 1000:1 once past 64 MiB). 0 keeps the current value. */
void rsc_initramfs_set_limits(rsc_initramfs *img, uint64_t max_uncompressed, unsigned max_ratio);

/* Walks the whole image once, in order. Returns 0 at the end, the
 * callback's positive value if it stopped, or a negative errno: -EBADMSG
 * for any format error (named as the kernel would name it, and logged with
 * its offset), -E2BIG past the limits, -EIO for read errors. The message
 * of the last format error is kept: rsc_initramfs_error(). May be called
 * again to walk anew. */
int rsc_initramfs_walk(rsc_initramfs *img, rsc_initramfs_entry_fn entry_fn,
		       rsc_initramfs_segment_fn segment_fn, void *userdata);
/* The message of the last walk's format error, or NULL. */
const char *rsc_initramfs_error(const rsc_initramfs *img);

/* Inside an entry callback: reads up to n bytes of the current member's
 * contents. Returns the count read (0 at its end) or a negative errno. */
ssize_t rsc_initramfs_read_data(rsc_initramfs *img, void *buf, size_t n);

/* Segments of the last complete or partial walk. */
const struct rsc_initramfs_segment *rsc_initramfs_segments(const rsc_initramfs *img, size_t *ret_n);

/* Name of a dracut squash/erofs inner image found by the last walk
 * ("squash-root.img"), or NULL. Its contents are not listed. */
const char *rsc_initramfs_squashed(const rsc_initramfs *img);

/* Writes the contents of PATH (as listed) to fd. 0, -ENOENT if no such
 * member, -EISDIR/-ENODEV if it is not a regular file. */
int rsc_initramfs_cat(rsc_initramfs *img, const char *path, int fd);

/* Extracts every member below the directory dirfd. Names with ".." or that
 * would be reached through a symlink written earlier are refused (logged,
 * skipped: returns 1 if any was); nothing is ever written outside dirfd.
 * Device nodes are skipped unless running as root. Ownership is kept only
 * as root. Later members replace earlier ones, as the kernel does. */
int rsc_initramfs_extract(rsc_initramfs *img, int dirfd);

/* Compressions the kernel whose configuration is CONFIG_TEXT (the
 * contents of /boot/config-K) can unpack: a bitmask over
 * enum rsc_compression; NONE is always set. */
unsigned rsc_kernel_config_decompressors(const char *config_text);

/* ---- verify ---- */

enum rsc_requirement_kind {
	RSC_REQ_MODULE_TREE,  /* lib/modules/K in the image */
	RSC_REQ_COMPRESSION,  /* the kernel can unpack every segment */
	RSC_REQ_MODULE,       /* a kernel module (or one of alternatives) */
	RSC_REQ_TOOL,         /* a userspace program */
	RSC_REQ_CONFIG,       /* a configuration file */
	RSC_REQ_CMDLINE,      /* stored command line agrees with the root */
	RSC_REQ_FORMAT,       /* the image itself reads cleanly */
};

struct rsc_requirement {
	enum rsc_requirement_kind kind;
	char *name;        /* "dm_crypt", "cryptsetup", "etc/crypttab" ... */
	bool present;
	bool optional;     /* missing optional requirements do not fail */
	char *explanation; /* one line: why it is needed, or what was found */
};

struct rsc_verify_result {
	char *kver;
	char *generator;     /* "dracut", "initramfs-tools" or "unknown" */
	char *root_spec;     /* fstab's spec for / */
	char *root_fstype;
	char *stack;         /* "ext4 on LVM vg/root on LUKS luks-..." */
	struct rsc_requirement *requirements;
	size_t n_requirements;
	bool bootable;       /* every non-optional requirement present */
};

/* Checks IMAGE against the installed root at ROOT_DIR for kernel KVER
 * (NULL: the only kernel in ROOT_DIR/lib/modules, or the only module tree
 * in the image). One pass over the image. Returns 0 with *ret filled
 * (whether bootable or not), or a negative errno when the check could not
 * be done (-EBADMSG image unreadable is reported as a requirement instead,
 * so a verdict is always given for a readable root). */
int rsc_initramfs_verify(rsc_context *ctx, rsc_initramfs *img, const char *root_dir, const char *kver,
			 struct rsc_verify_result **ret);
void rsc_verify_result_free(struct rsc_verify_result *r);

#ifdef __cplusplus
}
#endif
