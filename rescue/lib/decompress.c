/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Streaming decoders for the compressions the kernel can unpack an
 * initramfs from. Each decodes exactly one stream and reports where it
 * ended, because the kernel continues right after the bytes a stream
 * consumed and so may find another segment there.
 *
 * Output goes through a window the decoder owns: 256 KiB for the stream
 * formats, one block for the block formats (lz4 legacy blocks are 8 MiB
 * of output; lzop blocks are capped at 256 KiB as the kernel caps them).
 */
#include <bzlib.h>
#include <errno.h>
#include <lz4.h>
#include <lzma.h>
#include <lzo/lzo1x.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>
#include <zstd.h>
#include <zstd_errors.h>

#include "initramfs-internal.h"
#include "macro.h"

#define OUT_WINDOW (256u * 1024)
#define LZ4_LEGACY_BLOCK (8u * 1024 * 1024)
#define LZ4_LEGACY_MAGIC 0x184c2102u
#define LZO_BLOCK_MAX (256u * 1024)
/* xz and lzma streams needing more than this are refused. dracut's lzma
 * command (lzma -9) writes a 64 MiB dictionary, so that much must be
 * allowed; the dictionary is only touched as far as output is produced. */
#define LZMA_MEMLIMIT (80ull * 1024 * 1024)

enum block_state {
	BLOCK_MAGIC,   /* lz4: 4-byte magic; lzo: 9-byte magic + header */
	BLOCK_HEADER,
	BLOCK_BODY,
	BLOCK_DONE,
};

struct decoder {
	enum rsc_compression type;
	const char *error;
	bool started;
	union {
		z_stream z;
		lzma_stream x;
		bz_stream b;
		ZSTD_DStream *zs;
	};
	uint8_t *out;
	size_t out_cap;

	/* lz4 legacy and lzop: a block is gathered whole, then decoded. */
	enum block_state bstate;
	uint8_t *acc;
	size_t acc_cap, acc_len, want;
	uint32_t lzo_flags;
	uint32_t block_out, block_in;
};

static const uint8_t lzop_magic[9] = { 0x89, 0x4c, 0x5a, 0x4f, 0x00, 0x0d, 0x0a, 0x1a, 0x0a };

enum rsc_compression decoder_detect(const uint8_t *p, size_t n) {
	if (n < 2)
		return RSC_COMPRESSION_NONE;
	/* The kernel's table, first two bytes only. */
	if (p[0] == 0x1f && (p[1] == 0x8b || p[1] == 0x9e))
		return RSC_COMPRESSION_GZIP;
	if (p[0] == 'B' && p[1] == 'Z')
		return RSC_COMPRESSION_BZIP2;
	if (p[0] == 0x5d && p[1] == 0x00)
		return RSC_COMPRESSION_LZMA;
	if (p[0] == 0xfd && p[1] == 0x37)
		return RSC_COMPRESSION_XZ;
	if (p[0] == 0x89 && p[1] == 0x4c)
		return RSC_COMPRESSION_LZO;
	if (p[0] == 0x02 && p[1] == 0x21)
		return RSC_COMPRESSION_LZ4;
	if (p[0] == 0x28 && p[1] == 0xb5)
		return RSC_COMPRESSION_ZSTD;
	return RSC_COMPRESSION_NONE;
}

void decoder_free(struct decoder *d) {
	if (!d)
		return;
	if (d->started)
		switch (d->type) {
		case RSC_COMPRESSION_GZIP:
			inflateEnd(&d->z);
			break;
		case RSC_COMPRESSION_XZ:
		case RSC_COMPRESSION_LZMA:
			lzma_end(&d->x);
			break;
		case RSC_COMPRESSION_BZIP2:
			BZ2_bzDecompressEnd(&d->b);
			break;
		case RSC_COMPRESSION_ZSTD:
			ZSTD_freeDStream(d->zs);
			break;
		default:
			break;
		}
	free(d->out);
	free(d->acc);
	free(d);
}

int decoder_new(enum rsc_compression c, struct decoder **ret) {
	struct decoder *d = calloc(1, sizeof(*d));
	if (!d)
		return -ENOMEM;
	d->type = c;
	int r = 0;

	switch (c) {
	case RSC_COMPRESSION_GZIP:
		/* 16+15: gzip wrapper only, one member, as the kernel reads it. */
		if (inflateInit2(&d->z, 16 + 15) != Z_OK)
			r = -ENOMEM;
		d->out_cap = OUT_WINDOW;
		break;
	case RSC_COMPRESSION_XZ:
		if (lzma_stream_decoder(&d->x, LZMA_MEMLIMIT, 0) != LZMA_OK)
			r = -ENOMEM;
		d->out_cap = OUT_WINDOW;
		break;
	case RSC_COMPRESSION_LZMA:
		if (lzma_alone_decoder(&d->x, LZMA_MEMLIMIT) != LZMA_OK)
			r = -ENOMEM;
		d->out_cap = OUT_WINDOW;
		break;
	case RSC_COMPRESSION_BZIP2:
		if (BZ2_bzDecompressInit(&d->b, 0, 0) != BZ_OK)
			r = -ENOMEM;
		d->out_cap = OUT_WINDOW;
		break;
	case RSC_COMPRESSION_ZSTD:
		d->zs = ZSTD_createDStream();
		if (!d->zs)
			r = -ENOMEM;
		else {
			ZSTD_initDStream(d->zs);
			/* Window above 128 MiB: refuse rather than allocate. */
			ZSTD_DCtx_setParameter(d->zs, ZSTD_d_windowLogMax, 27);
		}
		d->out_cap = OUT_WINDOW;
		break;
	case RSC_COMPRESSION_LZ4:
		/* Blocks are gathered whole; the buffers grow to the
		 * largest block seen (at most 8 MiB of output). */
		d->acc_cap = 4096;
		d->want = 4;
		break;
	case RSC_COMPRESSION_LZO:
		if (lzo_init() != LZO_E_OK)
			r = -ENOMEM;
		d->out_cap = LZO_BLOCK_MAX;
		d->acc_cap = LZO_BLOCK_MAX + 512;
		d->want = sizeof(lzop_magic);
		break;
	default:
		r = -EOPNOTSUPP;
	}
	if (r == 0)
		d->started = true;
	if (r == 0 && d->out_cap && !(d->out = malloc(d->out_cap)))
		r = -ENOMEM;
	if (r == 0 && d->acc_cap && !(d->acc = malloc(d->acc_cap)))
		r = -ENOMEM;
	if (r < 0) {
		decoder_free(d);
		return r;
	}
	*ret = d;
	return 0;
}

const char *decoder_error(const struct decoder *d) {
	return d->error;
}

static int fail(struct decoder *d, const char *msg) {
	d->error = msg;
	return -EBADMSG;
}

static int run_gzip(struct decoder *d, const uint8_t *in, size_t in_n, bool in_eof, size_t *used,
		    size_t *out_n, bool *end) {
	d->z.next_in = (Bytef *)in;
	d->z.avail_in = in_n > UINT32_MAX ? UINT32_MAX : (uInt)in_n;
	d->z.next_out = d->out;
	d->z.avail_out = d->out_cap;
	int z = inflate(&d->z, Z_NO_FLUSH);
	*used = (const uint8_t *)d->z.next_in - in;
	*out_n = d->out_cap - d->z.avail_out;
	switch (z) {
	case Z_STREAM_END:
		*end = true;
		return 0;
	case Z_OK:
		return 0;
	case Z_BUF_ERROR:
		if (in_eof && *used == in_n && *out_n == 0)
			return fail(d, "truncated gzip stream");
		return 0;
	case Z_MEM_ERROR:
		return -ENOMEM;
	default:
		return fail(d, d->z.msg ? d->z.msg : "corrupt gzip data");
	}
}

static int run_lzma(struct decoder *d, const uint8_t *in, size_t in_n, bool in_eof, size_t *used,
		    size_t *out_n, bool *end) {
	d->x.next_in = in;
	d->x.avail_in = in_n;
	d->x.next_out = d->out;
	d->x.avail_out = d->out_cap;
	lzma_ret x = lzma_code(&d->x, in_eof ? LZMA_FINISH : LZMA_RUN);
	*used = d->x.next_in - in;
	*out_n = d->out_cap - d->x.avail_out;
	switch (x) {
	case LZMA_STREAM_END:
		*end = true;
		return 0;
	case LZMA_OK:
		return 0;
	case LZMA_BUF_ERROR:
		if (in_eof)
			return fail(d, d->type == RSC_COMPRESSION_XZ ? "truncated xz stream" : "truncated lzma stream");
		return 0;
	case LZMA_MEM_ERROR:
		return -ENOMEM;
	case LZMA_MEMLIMIT_ERROR:
		return fail(d, "dictionary too large");
	case LZMA_FORMAT_ERROR:
		return fail(d, d->type == RSC_COMPRESSION_XZ ? "not an xz stream" : "not an lzma stream");
	case LZMA_OPTIONS_ERROR:
		return fail(d, "unsupported compression options");
	default:
		return fail(d, "corrupt compressed data");
	}
}

static int run_bzip2(struct decoder *d, const uint8_t *in, size_t in_n, bool in_eof, size_t *used,
		     size_t *out_n, bool *end) {
	d->b.next_in = (char *)in;
	d->b.avail_in = in_n > UINT32_MAX ? UINT32_MAX : (unsigned)in_n;
	d->b.next_out = (char *)d->out;
	d->b.avail_out = d->out_cap;
	int b = BZ2_bzDecompress(&d->b);
	*used = (const uint8_t *)d->b.next_in - in;
	*out_n = d->out_cap - d->b.avail_out;
	switch (b) {
	case BZ_STREAM_END:
		*end = true;
		return 0;
	case BZ_OK:
		if (in_eof && *used == in_n && *out_n == 0)
			return fail(d, "truncated bzip2 stream");
		return 0;
	case BZ_MEM_ERROR:
		return -ENOMEM;
	default:
		return fail(d, "corrupt bzip2 data");
	}
}

static int run_zstd(struct decoder *d, const uint8_t *in, size_t in_n, bool in_eof, size_t *used,
		    size_t *out_n, bool *end) {
	ZSTD_inBuffer ib = { in, in_n, 0 };
	ZSTD_outBuffer ob = { d->out, d->out_cap, 0 };
	size_t z = ZSTD_decompressStream(d->zs, &ob, &ib);
	*used = ib.pos;
	*out_n = ob.pos;
	if (ZSTD_isError(z)) {
		if (ZSTD_getErrorCode(z) == ZSTD_error_frameParameter_windowTooLarge)
			return fail(d, "zstd window too large");
		return fail(d, "corrupt zstd data");
	}
	if (z == 0) {
		*end = true;
		return 0;
	}
	if (in_eof && ib.pos == in_n && ob.pos < ob.size)
		return fail(d, "truncated zstd stream");
	return 0;
}

/* Gathers input into acc until it holds d->want bytes; true when it does. */
static bool gather(struct decoder *d, const uint8_t *in, size_t in_n, size_t *used) {
	size_t n = d->want - d->acc_len;
	if (n > in_n - *used)
		n = in_n - *used;
	memcpy(d->acc + d->acc_len, in + *used, n);
	d->acc_len += n;
	*used += n;
	return d->acc_len == d->want;
}

static uint32_t le32(const uint8_t *p) {
	return p[0] | p[1] << 8 | p[2] << 16 | (uint32_t)p[3] << 24;
}
static uint32_t be32(const uint8_t *p) {
	return (uint32_t)p[0] << 24 | p[1] << 16 | p[2] << 8 | p[3];
}
static uint16_t be16(const uint8_t *p) {
	return p[0] << 8 | p[1];
}

/* lz4 legacy: magic, then [le32 size][block] until the input ends, fewer
 * than 4 bytes remain or a size of zero; a repeated magic (lz4 -l output
 * concatenated) is skipped, as the kernel does. */
static int run_lz4(struct decoder *d, const uint8_t *in, size_t in_n, bool in_eof, size_t *used,
		   size_t *out_n, bool *end) {
	*used = 0;
	*out_n = 0;
	for (;;) {
		switch (d->bstate) {
		case BLOCK_MAGIC:
			if (!gather(d, in, in_n, used))
				goto need_more;
			if (le32(d->acc) != LZ4_LEGACY_MAGIC)
				return fail(d, "lz4 frame format (only the legacy format -l boots)");
			d->acc_len = 0;
			d->want = 4;
			d->bstate = BLOCK_HEADER;
			break;
		case BLOCK_HEADER: {
			if (!gather(d, in, in_n, used))
				goto need_more;
			uint32_t size = le32(d->acc);
			d->acc_len = 0;
			if (size == LZ4_LEGACY_MAGIC)
				break;
			if (size == 0) {
				d->bstate = BLOCK_DONE;
				*end = true;
				return 0;
			}
			if (size > LZ4_COMPRESSBOUND(LZ4_LEGACY_BLOCK))
				return fail(d, "lz4 chunk size too big");
			if (size > d->acc_cap) {
				uint8_t *acc = realloc(d->acc, size);
				if (!acc)
					return -ENOMEM;
				d->acc = acc;
				d->acc_cap = size;
			}
			d->want = size;
			d->bstate = BLOCK_BODY;
			break;
		}
		case BLOCK_BODY: {
			if (!gather(d, in, in_n, used))
				goto need_more;
			if (!d->out) {
				d->out = malloc(LZ4_LEGACY_BLOCK);
				if (!d->out)
					return -ENOMEM;
				d->out_cap = LZ4_LEGACY_BLOCK;
			}
			int n = LZ4_decompress_safe((const char *)d->acc, (char *)d->out, (int)d->acc_len,
						    (int)d->out_cap);
			if (n < 0)
				return fail(d, "corrupt lz4 block");
			d->acc_len = 0;
			d->want = 4;
			d->bstate = BLOCK_HEADER;
			*out_n = n;
			return 0;
		}
		case BLOCK_DONE:
			*end = true;
			return 0;
		}
	}
need_more:
	if (in_eof && *used == in_n) {
		if (d->bstate == BLOCK_HEADER) {
			/* Fewer than 4 bytes left: the stream's natural end. */
			*end = true;
			d->bstate = BLOCK_DONE;
			return 0;
		}
		return fail(d, "truncated lz4 stream");
	}
	return 0;
}

#define F_ADLER32_D 0x00000001u
#define F_ADLER32_C 0x00000002u
#define F_H_EXTRA_FIELD 0x00000040u
#define F_CRC32_D 0x00000100u
#define F_CRC32_C 0x00000200u
#define F_H_FILTER 0x00000800u

/* lzop: the header is variable-length; it is gathered in steps, each
 * "want" growing as the fields read so far tell how long it is. */
static int lzo_header_length(struct decoder *d, size_t *ret) {
	const uint8_t *h = d->acc + sizeof(lzop_magic);
	size_t have = d->acc_len - sizeof(lzop_magic);
	size_t need = 2 + 2; /* version, lib version */
	if (have < need) {
		*ret = sizeof(lzop_magic) + need;
		return 0;
	}
	uint16_t version = be16(h);
	if (version >= 0x0940)
		need += 2; /* version needed */
	need += 1;         /* method */
	if (version >= 0x0940)
		need += 1; /* level */
	need += 4;         /* flags */
	if (have < need) {
		*ret = sizeof(lzop_magic) + need;
		return 0;
	}
	uint32_t flags = be32(h + need - 4);
	if (flags & F_H_FILTER)
		need += 4;
	need += 4 + 4; /* mode, mtime low */
	if (version >= 0x0940)
		need += 4;
	need += 1; /* name length */
	if (have < need) {
		*ret = sizeof(lzop_magic) + need;
		return 0;
	}
	need += h[need - 1] + 4; /* name, header checksum */
	if (flags & F_H_EXTRA_FIELD)
		return fail(d, "lzop extra header field not supported");
	d->lzo_flags = flags;
	*ret = sizeof(lzop_magic) + need;
	return 1;
}

static int run_lzo(struct decoder *d, const uint8_t *in, size_t in_n, bool in_eof, size_t *used,
		   size_t *out_n, bool *end) {
	*used = 0;
	*out_n = 0;
	for (;;) {
		switch (d->bstate) {
		case BLOCK_MAGIC: {
			if (!gather(d, in, in_n, used))
				goto need_more;
			if (d->acc_len == sizeof(lzop_magic) && memcmp(d->acc, lzop_magic, sizeof(lzop_magic)) != 0)
				return fail(d, "not an lzop stream");
			size_t len;
			int r = lzo_header_length(d, &len);
			if (r < 0)
				return r;
			if (r == 0) {
				d->want = len;
				break;
			}
			if (d->acc_len < len) {
				d->want = len;
				break;
			}
			d->acc_len = 0;
			d->want = 4;
			d->bstate = BLOCK_HEADER;
			break;
		}
		case BLOCK_HEADER: {
			if (!gather(d, in, in_n, used))
				goto need_more;
			if (d->acc_len == 4) {
				d->block_out = be32(d->acc);
				if (d->block_out == 0) {
					d->bstate = BLOCK_DONE;
					*end = true;
					return 0;
				}
				if (d->block_out > LZO_BLOCK_MAX)
					return fail(d, "lzo block longer than 256 KiB");
				d->want = 8;
				break;
			}
			if (d->acc_len == 8) {
				d->block_in = be32(d->acc + 4);
				if (d->block_in > d->block_out || d->block_in == 0)
					return fail(d, "corrupt lzo block header");
				size_t checks = !!(d->lzo_flags & F_ADLER32_D) + !!(d->lzo_flags & F_CRC32_D);
				if (d->block_in < d->block_out)
					checks += !!(d->lzo_flags & F_ADLER32_C) + !!(d->lzo_flags & F_CRC32_C);
				d->want = 8 + 4 * checks;
				if (d->acc_len < d->want)
					break;
			}
			/* Header and checksums gathered: the body comes next. */
			d->acc_len = 0;
			d->want = d->block_in;
			d->bstate = BLOCK_BODY;
			break;
		}
		case BLOCK_BODY: {
			if (!gather(d, in, in_n, used))
				goto need_more;
			if (d->block_in == d->block_out)
				memcpy(d->out, d->acc, d->block_in);
			else {
				lzo_uint n = d->block_out;
				if (lzo1x_decompress_safe(d->acc, d->block_in, d->out, &n, NULL) != LZO_E_OK ||
				    n != d->block_out)
					return fail(d, "corrupt lzo block");
			}
			*out_n = d->block_out;
			d->acc_len = 0;
			d->want = 4;
			d->bstate = BLOCK_HEADER;
			return 0;
		}
		case BLOCK_DONE:
			*end = true;
			return 0;
		}
	}
need_more:
	if (in_eof && *used == in_n)
		return fail(d, "truncated lzo stream");
	return 0;
}

int decoder_run(struct decoder *d, const uint8_t *in, size_t in_n, bool in_eof, size_t *ret_used,
		const uint8_t **ret_out, size_t *ret_out_n, bool *ret_end) {
	size_t used = 0, out_n = 0;
	bool end = false;
	int r;

	switch (d->type) {
	case RSC_COMPRESSION_GZIP:
		r = run_gzip(d, in, in_n, in_eof, &used, &out_n, &end);
		break;
	case RSC_COMPRESSION_XZ:
	case RSC_COMPRESSION_LZMA:
		r = run_lzma(d, in, in_n, in_eof, &used, &out_n, &end);
		break;
	case RSC_COMPRESSION_BZIP2:
		r = run_bzip2(d, in, in_n, in_eof, &used, &out_n, &end);
		break;
	case RSC_COMPRESSION_ZSTD:
		r = run_zstd(d, in, in_n, in_eof, &used, &out_n, &end);
		break;
	case RSC_COMPRESSION_LZ4:
		r = run_lz4(d, in, in_n, in_eof, &used, &out_n, &end);
		break;
	case RSC_COMPRESSION_LZO:
		r = run_lzo(d, in, in_n, in_eof, &used, &out_n, &end);
		break;
	default:
		return -EOPNOTSUPP;
	}
	if (r < 0)
		return r;
	*ret_used = used;
	*ret_out = d->out;
	*ret_out_n = out_n;
	*ret_end = end;
	return 0;
}
