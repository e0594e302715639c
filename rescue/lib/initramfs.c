/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The initramfs reader: walks an image the way the kernel unpacks it
 * (init/initramfs.c), so what we list is what the kernel would see and
 * what we reject is what the kernel would reject, with the kernel's words.
 *
 *   initramfs := ( "\0" | cpio_archive | compressed(cpio_archive) )*
 *
 * Everything streams: one input buffer, one decoder, no copy of the image
 * or of a segment, whatever their size.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "initramfs-internal.h"
#include "internal.h"

#define IN_BUFFER (1024u * 1024)
#define CPIO_HEADER 110
#define CPIO_PATH_MAX 4096
#define DEFAULT_MAX_UNCOMPRESSED (4ull << 30)
#define DEFAULT_MAX_RATIO 1000u
#define RATIO_GRACE (64ull << 20)

struct rsc_initramfs {
	rsc_context *ctx;
	char *name;
	int fd;
	const uint8_t *mem;
	uint64_t base, size; /* where the initramfs lies in the file */
	bool uki;
	uint64_t max_uncompressed;
	unsigned max_ratio;

	/* Input: in_cur..in_end is buffered; src_off is the offset (from
	 * base) just after in_end. */
	uint8_t *inbuf;
	const uint8_t *in_cur, *in_end;
	uint64_t src_off;

	/* The stream being parsed: raw input or a decoder's output. */
	bool compressed;
	struct decoder *dec;
	bool dec_end;
	const uint8_t *out_cur, *out_end;
	uint64_t seg_in_start;    /* input offset where the segment began */
	uint64_t stream_off;      /* offset in the stream: alignment rules */
	uint64_t member_off;      /* where the member being read starts */
	uint64_t total_out;

	/* The member being visited. */
	bool in_entry;
	uint64_t data_left;
	bool sum_data;
	uint32_t sum;

	struct rsc_initramfs_segment *segments;
	size_t n_segments, cap_segments;
	char *error;
	char *squashed;
};

static const char *const compression_names[_RSC_COMPRESSION_MAX] = {
	[RSC_COMPRESSION_NONE] = "none",   [RSC_COMPRESSION_GZIP] = "gzip", [RSC_COMPRESSION_BZIP2] = "bzip2",
	[RSC_COMPRESSION_LZMA] = "lzma",   [RSC_COMPRESSION_XZ] = "xz",     [RSC_COMPRESSION_LZO] = "lzo",
	[RSC_COMPRESSION_LZ4] = "lz4",     [RSC_COMPRESSION_ZSTD] = "zstd",
};
static const char *const compression_kconfig[_RSC_COMPRESSION_MAX] = {
	[RSC_COMPRESSION_GZIP] = "CONFIG_RD_GZIP", [RSC_COMPRESSION_BZIP2] = "CONFIG_RD_BZIP2",
	[RSC_COMPRESSION_LZMA] = "CONFIG_RD_LZMA", [RSC_COMPRESSION_XZ] = "CONFIG_RD_XZ",
	[RSC_COMPRESSION_LZO] = "CONFIG_RD_LZO",   [RSC_COMPRESSION_LZ4] = "CONFIG_RD_LZ4",
	[RSC_COMPRESSION_ZSTD] = "CONFIG_RD_ZSTD",
};

const char *rsc_compression_to_string(enum rsc_compression c) {
	return (unsigned)c < _RSC_COMPRESSION_MAX ? compression_names[c] : NULL;
}

const char *rsc_compression_kconfig(enum rsc_compression c) {
	return (unsigned)c < _RSC_COMPRESSION_MAX ? compression_kconfig[c] : NULL;
}

unsigned rsc_kernel_config_decompressors(const char *text) {
	unsigned mask = 1u << RSC_COMPRESSION_NONE;
	for (unsigned c = 1; c < _RSC_COMPRESSION_MAX; c++) {
		const char *k = compression_kconfig[c];
		size_t n = strlen(k);
		for (const char *p = text; p && *p; p = strchr(p, '\n'), p = p ? p + 1 : NULL)
			if (strncmp(p, k, n) == 0 && p[n] == '=' && p[n + 1] == 'y') {
				mask |= 1u << c;
				break;
			}
	}
	return mask;
}

/* ---- opening ---- */

static uint32_t rd_le32(const uint8_t *p) {
	return p[0] | p[1] << 8 | p[2] << 16 | (uint32_t)p[3] << 24;
}

static int read_at(rsc_initramfs *img, uint64_t off, void *buf, size_t n) {
	if (off > img->size || n > img->size - off)
		return -EBADMSG;
	if (img->mem) {
		memcpy(buf, img->mem + off, n);
		return 0;
	}
	ssize_t k = pread(img->fd, buf, n, (off_t)off);
	if (k < 0)
		return negative_errno();
	return (size_t)k == n ? 0 : -EBADMSG;
}

/* A UKI is a PE image; the initramfs is its .initrd section. */
static int find_uki_initrd(rsc_initramfs *img) {
	uint8_t h[64], coff[24];
	if (read_at(img, 0, h, sizeof(h)) < 0)
		return 0;
	if (h[0] != 'M' || h[1] != 'Z')
		return 0;
	uint32_t pe = rd_le32(h + 0x3c);
	if (read_at(img, pe, coff, sizeof(coff)) < 0 || memcmp(coff, "PE\0\0", 4) != 0)
		return 0;
	unsigned nsec = coff[6] | coff[7] << 8;
	unsigned optsize = coff[20] | coff[21] << 8;
	uint64_t sec = (uint64_t)pe + 24 + optsize;
	for (unsigned i = 0; i < nsec && i < 96; i++) {
		uint8_t s[40];
		if (read_at(img, sec + 40ull * i, s, sizeof(s)) < 0)
			break;
		if (memcmp(s, ".initrd\0", 8) != 0)
			continue;
		uint32_t vsize = rd_le32(s + 8), rawsize = rd_le32(s + 16), rawptr = rd_le32(s + 20);
		uint64_t len = vsize && vsize < rawsize ? vsize : rawsize;
		if (rawptr > img->size || len > img->size - rawptr)
			return log_debug_errno(img->ctx, EBADMSG, "%s: .initrd section outside the file", img->name);
		img->base = rawptr;
		img->size = len;
		img->uki = true;
		return 1;
	}
	return log_debug_errno(img->ctx, EBADMSG, "%s: a PE image without an .initrd section", img->name);
}

static int initramfs_new(rsc_context *ctx, const char *name, rsc_initramfs **ret) {
	rsc_initramfs *img = calloc(1, sizeof(*img));
	if (!img)
		return -ENOMEM;
	img->ctx = ctx;
	img->fd = -EBADF;
	img->max_uncompressed = DEFAULT_MAX_UNCOMPRESSED;
	img->max_ratio = DEFAULT_MAX_RATIO;
	img->name = strdup(name ? name : "initramfs");
	if (!img->name) {
		free(img);
		return -ENOMEM;
	}
	*ret = img;
	return 0;
}

rsc_initramfs *rsc_initramfs_free(rsc_initramfs *img) {
	if (!img)
		return NULL;
	if (img->fd >= 0)
		close(img->fd);
	decoder_free(img->dec);
	free(img->inbuf);
	free(img->segments);
	free(img->error);
	free(img->squashed);
	free(img->name);
	free(img);
	return NULL;
}

int rsc_initramfs_open_fd(rsc_context *ctx, int fd, const char *name, rsc_initramfs **ret) {
	struct stat st;
	if (fstat(fd, &st) < 0)
		return negative_errno();
	if (S_ISDIR(st.st_mode))
		return -EISDIR;
	if (!S_ISREG(st.st_mode) && !S_ISBLK(st.st_mode))
		return -ENODEV;

	rsc_initramfs *img;
	int r = initramfs_new(ctx, name, &img);
	if (r < 0)
		return r;
	img->fd = fd;
	img->size = (uint64_t)st.st_size;
	if (S_ISBLK(st.st_mode)) {
		off_t end = lseek(fd, 0, SEEK_END);
		img->size = end > 0 ? (uint64_t)end : 0;
	}
	img->inbuf = malloc(IN_BUFFER);
	if (!img->inbuf) {
		img->fd = -EBADF;
		rsc_initramfs_free(img);
		return -ENOMEM;
	}
	r = find_uki_initrd(img);
	if (r < 0) {
		img->fd = -EBADF;
		rsc_initramfs_free(img);
		return r;
	}
	*ret = img;
	return 0;
}

int rsc_initramfs_open(rsc_context *ctx, const char *path, rsc_initramfs **ret) {
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return negative_errno();
	int r = rsc_initramfs_open_fd(ctx, fd, path, ret);
	if (r < 0)
		close(fd);
	return r;
}

int rsc_initramfs_open_memory(rsc_context *ctx, const void *data, size_t size, const char *name,
			      rsc_initramfs **ret) {
	rsc_initramfs *img;
	int r = initramfs_new(ctx, name, &img);
	if (r < 0)
		return r;
	img->mem = data;
	img->size = size;
	r = find_uki_initrd(img);
	if (r < 0) {
		rsc_initramfs_free(img);
		return r;
	}
	*ret = img;
	return 0;
}

bool rsc_initramfs_is_uki(const rsc_initramfs *img) {
	return img->uki;
}

void rsc_initramfs_set_limits(rsc_initramfs *img, uint64_t max_uncompressed, unsigned max_ratio) {
	if (max_uncompressed)
		img->max_uncompressed = max_uncompressed;
	if (max_ratio)
		img->max_ratio = max_ratio;
}

const char *rsc_initramfs_error(const rsc_initramfs *img) {
	return img->error;
}

const char *rsc_initramfs_squashed(const rsc_initramfs *img) {
	return img->squashed;
}

const struct rsc_initramfs_segment *rsc_initramfs_segments(const rsc_initramfs *img, size_t *ret_n) {
	*ret_n = img->n_segments;
	return img->segments;
}

/* ---- input ---- */

static uint64_t in_offset(const rsc_initramfs *img) {
	return img->src_off - (uint64_t)(img->in_end - img->in_cur);
}

static bool src_eof(const rsc_initramfs *img) {
	return img->src_off >= img->size;
}

/* Reads more input behind what is buffered. Returns bytes added. */
static int src_fill(rsc_initramfs *img) {
	if (img->mem || src_eof(img))
		return 0;
	size_t keep = img->in_end - img->in_cur;
	if (keep == IN_BUFFER)
		return 0;
	memmove(img->inbuf, img->in_cur, keep);
	size_t want = IN_BUFFER - keep;
	if (want > img->size - img->src_off)
		want = img->size - img->src_off;
	ssize_t k;
	do
		k = pread(img->fd, img->inbuf + keep, want, (off_t)(img->base + img->src_off));
	while (k < 0 && errno == EINTR);
	if (k < 0)
		return negative_errno();
	if (k == 0) {
		/* The file shrank under us: treat it as its end. */
		img->size = img->src_off;
	}
	img->src_off += (uint64_t)k;
	img->in_cur = img->inbuf;
	img->in_end = img->inbuf + keep + k;
	return (int)k;
}

static void src_rewind(rsc_initramfs *img) {
	if (img->mem) {
		img->in_cur = img->mem + img->base;
		img->in_end = img->in_cur + img->size;
		img->src_off = img->size;
	} else {
		img->in_cur = img->in_end = img->inbuf;
		img->src_off = 0;
	}
}

/* ---- errors ---- */

_printf_(2, 3) static int format_error(rsc_initramfs *img, const char *fmt, ...) {
	char msg[512];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);

	char *full = NULL;
	const struct rsc_initramfs_segment *s = img->n_segments ? &img->segments[img->n_segments - 1] : NULL;
	int k;
	if (img->compressed && s)
		k = asprintf(&full, "%s: segment %u (%s at offset %llu), %llu bytes into its cpio data: %s",
			     img->name, s->index, compression_names[s->compression],
			     (unsigned long long)s->offset, (unsigned long long)img->member_off, msg);
	else
		k = asprintf(&full, "%s: offset %llu: %s", img->name, (unsigned long long)img->member_off, msg);
	if (k < 0)
		return -ENOMEM;
	free(img->error);
	img->error = full;
	log_debug(img->ctx, "%s", full);
	return -EBADMSG;
}

/* ---- the stream being parsed ---- */

/* Makes at least one byte of the current stream available. Returns 1, 0
 * at the stream's end, or a negative errno. */
static int stream_more(rsc_initramfs *img) {
	if (!img->compressed) {
		if (img->in_cur < img->in_end)
			return 1;
		int k = src_fill(img);
		return k < 0 ? k : k > 0;
	}

	for (unsigned idle = 0;;) {
		if (img->out_cur < img->out_end)
			return 1;
		if (img->dec_end)
			return 0;
		if (img->in_cur == img->in_end) {
			int k = src_fill(img);
			if (k < 0)
				return k;
		}
		size_t used, out_n;
		const uint8_t *out;
		bool end;
		int r = decoder_run(img->dec, img->in_cur, img->in_end - img->in_cur, src_eof(img), &used, &out,
				    &out_n, &end);
		if (r == -EBADMSG)
			return format_error(img, "%s", decoder_error(img->dec));
		if (r < 0)
			return r;
		img->in_cur += used;
		img->out_cur = out;
		img->out_end = out_n ? out + out_n : out;
		img->dec_end = end;
		img->total_out += out_n;

		struct rsc_initramfs_segment *s = &img->segments[img->n_segments - 1];
		s->uncompressed += out_n;
		uint64_t consumed = in_offset(img) - img->seg_in_start;
		/* Memory stays bounded anyway; these caps bound the time a
		 * hostile image can make us spend. */
		if (img->total_out > img->max_uncompressed) {
			r = format_error(img, "more than %llu bytes of cpio data: refusing a decompression bomb",
					 (unsigned long long)img->max_uncompressed);
			return r == -ENOMEM ? r : -E2BIG;
		}
		if (s->uncompressed > RATIO_GRACE && s->uncompressed / (consumed + 1) > img->max_ratio) {
			r = format_error(img, "compression ratio above %u:1: refusing a decompression bomb", img->max_ratio);
			return r == -ENOMEM ? r : -E2BIG;
		}

		if (used == 0 && out_n == 0 && !end) {
			/* No progress: more input must be buffered first. */
			int k = src_fill(img);
			if (k < 0)
				return k;
			if (k == 0 && ++idle > 2)
				return format_error(img, "truncated %s stream", compression_names[s->compression]);
		}
	}
}

static size_t stream_avail(const rsc_initramfs *img) {
	return img->compressed ? (size_t)(img->out_end - img->out_cur) : (size_t)(img->in_end - img->in_cur);
}

static const uint8_t *stream_ptr(const rsc_initramfs *img) {
	return img->compressed ? img->out_cur : img->in_cur;
}

static void stream_advance(rsc_initramfs *img, size_t n) {
	if (img->compressed)
		img->out_cur += n;
	else
		img->in_cur += n;
	img->stream_off += n;
}

/* Copies n bytes; returns how many there were (< n at the stream's end). */
static ssize_t stream_read(rsc_initramfs *img, void *buf, size_t n) {
	size_t done = 0;
	while (done < n) {
		int r = stream_more(img);
		if (r < 0)
			return r;
		if (r == 0)
			break;
		size_t k = stream_avail(img);
		if (k > n - done)
			k = n - done;
		memcpy((uint8_t *)buf + done, stream_ptr(img), k);
		stream_advance(img, k);
		done += k;
	}
	return (ssize_t)done;
}

/* Skips n bytes, summing them if asked; 0, or -ENODATA at the stream's end. */
static int stream_skip(rsc_initramfs *img, uint64_t n, uint32_t *sum) {
	while (n > 0) {
		int r = stream_more(img);
		if (r < 0)
			return r;
		if (r == 0)
			return -ENODATA;
		size_t k = stream_avail(img);
		if (k > n)
			k = n;
		if (sum) {
			const uint8_t *p = stream_ptr(img);
			uint32_t s = *sum;
			for (size_t i = 0; i < k; i++)
				s += p[i];
			*sum = s;
		}
		stream_advance(img, k);
		n -= k;
	}
	return 0;
}

ssize_t rsc_initramfs_read_data(rsc_initramfs *img, void *buf, size_t n) {
	if (!img->in_entry)
		return -EINVAL;
	if (n > img->data_left)
		n = img->data_left;
	ssize_t k = stream_read(img, buf, n);
	if (k < 0)
		return k;
	if (img->sum_data)
		for (ssize_t i = 0; i < k; i++)
			img->sum += ((uint8_t *)buf)[i];
	img->data_left -= (uint64_t)k;
	return k;
}

/* ---- cpio ---- */

static int parse_hex(const uint8_t *p, uint32_t *ret) {
	uint32_t v = 0;
	for (int i = 0; i < 8; i++) {
		uint8_t c = p[i];
		unsigned d;
		if (c >= '0' && c <= '9')
			d = c - '0';
		else if (c >= 'a' && c <= 'f')
			d = c - 'a' + 10;
		else if (c >= 'A' && c <= 'F')
			d = c - 'A' + 10;
		else
			return -EBADMSG;
		v = v << 4 | d;
	}
	*ret = v;
	return 0;
}

static const char *normalize_path(char *name) {
	char *p = name;
	for (;;) {
		if (p[0] == '/')
			p++;
		else if (p[0] == '.' && p[1] == '/')
			p += 2;
		else
			break;
	}
	if (!*p)
		return ".";
	return p;
}

static int truncated(rsc_initramfs *img, const char *what) {
	if (img->compressed)
		/* The kernel's words for a stream that ends inside a member. */
		return format_error(img, "junk at the end of compressed archive (its cpio data ends inside %s)", what);
	return format_error(img, "truncated cpio archive (the image ends inside %s)", what);
}

static bool is_microcode(const char *path) {
	const char *rest = startswith(path, "kernel/x86/microcode/");
	size_t n = rest ? strlen(rest) : 0;
	return rest && n > 4 && streq(rest + n - 4, ".bin");
}

/* Parses members from the current stream. A raw stream returns 0 at a byte
 * that starts no member (the caller looks for a compressed segment there)
 * or at its end; a decoded stream must end on a member boundary. */
static int parse_members(rsc_initramfs *img, rsc_initramfs_entry_fn entry_fn, void *userdata,
			 uint64_t *ret_last_end) {
	struct rsc_initramfs_segment *seg = &img->segments[img->n_segments - 1];
	bool after_member = img->compressed;

	for (;;) {
		int r = stream_more(img);
		if (r < 0)
			return r;
		if (r == 0)
			return 0;

		/* Zero padding, one byte at a time for the kernel, a window
		 * at a time here. */
		const uint8_t *p = stream_ptr(img);
		size_t avail = stream_avail(img), z = 0;
		while (z < avail && p[z] == 0)
			z++;
		if (z > 0) {
			stream_advance(img, z);
			continue;
		}
		img->member_off = img->stream_off;
		if (p[0] != '0' || (img->stream_off & 3)) {
			if (after_member && (img->stream_off & 3))
				return format_error(img, "broken padding (the next member starts at an unaligned offset)");
			if (img->compressed)
				return format_error(img, "junk within compressed archive (byte 0x%02x where a cpio header should start)", p[0]);
			return 0;
		}

		uint8_t h[CPIO_HEADER];
		ssize_t k = stream_read(img, h, sizeof(h));
		if (k < 0)
			return k;
		bool crc;
		if (k >= 6 && memcmp(h, "070707", 6) == 0)
			return format_error(img, "incorrect cpio method used: use -H newc option (odc cpio, which the kernel does not read)");
		if (k < (ssize_t)sizeof(h))
			return truncated(img, "a cpio header");
		if (memcmp(h, "070701", 6) == 0)
			crc = false;
		else if (memcmp(h, "070702", 6) == 0)
			crc = true;
		else
			return format_error(img, "no cpio magic");

		uint32_t f[13];
		for (int i = 0; i < 13; i++)
			if (parse_hex(h + 6 + 8 * i, &f[i]) < 0)
				return format_error(img, "bad cpio header: field %d is not hexadecimal", i + 1);
		struct rsc_initramfs_entry e = {
			.ino = f[0], .mode = f[1], .uid = f[2], .gid = f[3], .nlink = f[4], .mtime = f[5],
			.size = f[6], .dev_major = f[7], .dev_minor = f[8], .rdev_major = f[9], .rdev_minor = f[10],
			.segment = seg->index,
		};
		uint32_t namesize = f[11], check = f[12];
		if (namesize == 0 || namesize > CPIO_PATH_MAX)
			return format_error(img, "bad cpio name size %u", namesize);

		char name[CPIO_PATH_MAX + 1];
		k = stream_read(img, name, namesize);
		if (k < 0)
			return k;
		if (k < (ssize_t)namesize)
			return truncated(img, "a member's name");
		if (name[namesize - 1] != 0)
			return format_error(img, "cpio name not terminated by NUL");
		name[namesize] = 0;
		r = stream_skip(img, ALIGN4(CPIO_HEADER + namesize) - (CPIO_HEADER + namesize), NULL);
		if (r == -ENODATA)
			return truncated(img, name);
		if (r < 0)
			return r;

		if (streq(name, "TRAILER!!!")) {
			r = stream_skip(img, e.size + (ALIGN4(e.size) - e.size), NULL);
			if (r == -ENODATA)
				return truncated(img, "the trailer");
			if (r < 0)
				return r;
			seg->n_archives++;
			after_member = true;
			*ret_last_end = img->stream_off;
			continue;
		}

		e.path = normalize_path(name);
		char target[CPIO_PATH_MAX + 1];
		if (S_ISLNK(e.mode)) {
			if (e.size > CPIO_PATH_MAX)
				return format_error(img, "symlink %s: target longer than %d bytes", e.path, CPIO_PATH_MAX);
			k = stream_read(img, target, e.size);
			if (k < 0)
				return k;
			if ((uint64_t)k < e.size)
				return truncated(img, e.path);
			target[k] = 0;
			e.link_target = target;
		}

		seg->n_entries++;
		if (is_microcode(e.path))
			seg->early_microcode = true;
		if (streq(e.path, "early_cpio"))
			seg->early_cpio_marker = true;
		if ((streq(e.path, "squash-root.img") || streq(e.path, "erofs-root.img")) && !img->squashed &&
		    !(img->squashed = strdup(e.path)))
			return -ENOMEM;

		img->in_entry = true;
		img->data_left = S_ISLNK(e.mode) ? 0 : e.size;
		img->sum_data = crc && S_ISREG(e.mode);
		img->sum = 0;
		int cb = entry_fn ? entry_fn(img, &e, userdata) : 0;
		img->in_entry = false;
		if (cb < 0)
			return cb;

		r = stream_skip(img, img->data_left, img->sum_data ? &img->sum : NULL);
		if (r == 0)
			r = stream_skip(img, ALIGN4(e.size) - e.size, NULL);
		if (r == -ENODATA)
			return truncated(img, e.path);
		if (r < 0)
			return r;
		if (img->sum_data && img->sum != check)
			return format_error(img, "bad data checksum of %s", e.path);
		after_member = true;
		*ret_last_end = img->stream_off;
		if (cb > 0)
			return cb;
	}
}

static int new_segment(rsc_initramfs *img, enum rsc_compression c, uint64_t offset) {
	if (img->n_segments == img->cap_segments) {
		size_t n = img->cap_segments ? img->cap_segments * 2 : 8;
		struct rsc_initramfs_segment *s = reallocarray(img->segments, n, sizeof(*s));
		if (!s)
			return -ENOMEM;
		img->segments = s;
		img->cap_segments = n;
	}
	img->segments[img->n_segments] = (struct rsc_initramfs_segment){
		.index = (unsigned)img->n_segments,
		.compression = c,
		.offset = offset,
	};
	img->n_segments++;
	return 0;
}

int rsc_initramfs_walk(rsc_initramfs *img, rsc_initramfs_entry_fn entry_fn, rsc_initramfs_segment_fn segment_fn,
		       void *userdata) {
	int r = 0;

	src_rewind(img);
	img->n_segments = 0;
	img->total_out = 0;
	img->compressed = false;
	img->stream_off = 0;
	free(img->error);
	img->error = NULL;
	free(img->squashed);
	img->squashed = NULL;

	for (;;) {
		img->compressed = false;
		img->stream_off = in_offset(img);
		r = stream_more(img);
		if (r <= 0)
			break;
		const uint8_t *p = img->in_cur;
		size_t avail = img->in_end - img->in_cur, z = 0;
		while (z < avail && p[z] == 0)
			z++;
		if (z > 0) {
			img->in_cur += z;
			continue;
		}

		uint64_t start = in_offset(img);
		img->member_off = start;
		if (p[0] == '0' && !(start & 3)) {
			r = new_segment(img, RSC_COMPRESSION_NONE, start);
			if (r < 0)
				break;
			uint64_t last_end = start;
			r = parse_members(img, entry_fn, userdata, &last_end);
			struct rsc_initramfs_segment *s = &img->segments[img->n_segments - 1];
			s->length = last_end - start;
			s->uncompressed = s->length;
			if (r != 0)
				break;
			if (segment_fn && (r = segment_fn(img, s, userdata)) != 0)
				break;
			continue;
		}

		/* Two bytes decide, as in the kernel; buffer a few more for
		 * the decoder's own checks. */
		if (avail < 16 && !src_eof(img)) {
			r = src_fill(img);
			if (r < 0)
				break;
			p = img->in_cur;
			avail = img->in_end - img->in_cur;
		}
		enum rsc_compression c = decoder_detect(p, avail);
		if (c == RSC_COMPRESSION_NONE) {
			if (p[0] == '0')
				r = format_error(img, "broken padding (a cpio header at an unaligned offset)");
			else if (avail >= 4 && memcmp(p, "\x04\x22\x4d\x18", 4) == 0)
				r = format_error(img, "invalid magic at start of compressed archive (lz4 frame format: "
						      "only the legacy format, lz4 -l, boots)");
			else
				r = format_error(img, "invalid magic at start of compressed archive (bytes %02x %02x)",
						 p[0], avail > 1 ? p[1] : 0);
			break;
		}
		if (c == RSC_COMPRESSION_GZIP && p[1] == 0x9e) {
			r = format_error(img, "old gzip format (1f 9e) is not supported by this reader");
			break;
		}

		r = new_segment(img, c, start);
		if (r < 0)
			break;
		decoder_free(img->dec);
		img->dec = NULL;
		r = decoder_new(c, &img->dec);
		if (r < 0)
			break;
		img->compressed = true;
		img->dec_end = false;
		img->out_cur = img->out_end = NULL;
		img->seg_in_start = start;
		img->stream_off = img->member_off = 0;
		uint64_t last_end = 0;
		r = parse_members(img, entry_fn, userdata, &last_end);
		struct rsc_initramfs_segment *s = &img->segments[img->n_segments - 1];
		s->length = in_offset(img) - start;
		if (r != 0)
			break;
		if (s->uncompressed == 0) {
			/* Nothing decoded: a stream cut right after its header
			 * (lz4 has no end marker to tell). */
			r = format_error(img, "the compressed stream holds no cpio data");
			break;
		}
		decoder_free(img->dec);
		img->dec = NULL;
		if (segment_fn && (r = segment_fn(img, s, userdata)) != 0)
			break;
	}

	decoder_free(img->dec);
	img->dec = NULL;
	img->compressed = false;
	if (r == 0 && img->n_segments == 0)
		r = format_error(img, img->size == 0 ? "empty file" : "no cpio archive in the image (only zero bytes)");
	return r;
}

/* ---- cat ---- */

struct cat_state {
	const char *path;
	unsigned seen, want;
	int fd;
	int error;
	mode_t mode;
	char *link;
};

static int cat_find(rsc_initramfs *img, const struct rsc_initramfs_entry *e, void *userdata) {
	struct cat_state *c = userdata;
	if (!streq(e->path, c->path))
		return 0;
	c->seen++;
	c->mode = e->mode;
	free(c->link);
	c->link = e->link_target ? strdup(e->link_target) : NULL;
	return 0;
}

static int cat_copy(rsc_initramfs *img, const struct rsc_initramfs_entry *e, void *userdata) {
	struct cat_state *c = userdata;
	if (!streq(e->path, c->path) || ++c->seen != c->want)
		return 0;
	uint8_t buf[65536];
	for (;;) {
		ssize_t k = rsc_initramfs_read_data(img, buf, sizeof(buf));
		if (k < 0)
			return (int)k;
		if (k == 0)
			break;
		for (ssize_t off = 0; off < k;) {
			ssize_t w = write(c->fd, buf + off, k - off);
			if (w < 0) {
				if (errno == EINTR)
					continue;
				c->error = negative_errno();
				return 1;
			}
			off += w;
		}
	}
	/* Going on checks the rest of the image reads cleanly; stop here,
	 * the member is complete. */
	return 1;
}

int rsc_initramfs_cat(rsc_initramfs *img, const char *path, int fd) {
	_cleanup_free_ char *copy = strdup(path);
	if (!copy)
		return -ENOMEM;
	struct cat_state c = { .path = normalize_path(copy), .fd = fd };

	/* The kernel lets later members replace earlier ones, so the last
	 * match is the file that boots: find it, then copy it out. */
	int r = rsc_initramfs_walk(img, cat_find, NULL, &c);
	if (r < 0) {
		free(c.link);
		return r;
	}
	if (c.seen == 0)
		return log_debug_errno(img->ctx, ENOENT, "%s: no member %s", img->name, c.path);
	if (!S_ISREG(c.mode)) {
		r = S_ISDIR(c.mode) ? -EISDIR : -ENODEV;
		if (c.link)
			log_debug(img->ctx, "%s: %s is a symlink to %s", img->name, c.path, c.link);
		free(c.link);
		return r;
	}
	free(c.link);
	c.want = c.seen;
	c.seen = 0;
	r = rsc_initramfs_walk(img, cat_copy, NULL, &c);
	if (c.error < 0)
		return c.error;
	return r < 0 ? r : 0;
}
