/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * LVM2 on-disk format, read-only: the label ("LABELONE" in one of the first
 * four sectors), the PV header with its metadata areas, the metadata area
 * header and the newest text metadata it points at (a circular buffer).
 * lvm2 has no supported library, and the scan must name volume groups and
 * read inactive LVs even where device-mapper is unavailable, so we read
 * the few structures we need ourselves; activation stays with lvm(8).
 */
#include <ctype.h>
#include <endian.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "lvm.h"
#include "macro.h"

#define SECTOR 512u
#define MDA_HEADER_SIZE 512u
#define METADATA_MAX (1u << 20)

static int pread_all(int fd, void *buf, size_t len, uint64_t off) {
	size_t done = 0;
	while (done < len) {
		ssize_t k = pread(fd, (char *)buf + done, len - done, (off_t)(off + done));
		if (k < 0) {
			if (errno == EINTR)
				continue;
			return negative_errno();
		}
		if (k == 0)
			return -EBADMSG; /* truncated device */
		done += (size_t)k;
	}
	return 0;
}

void lvm_pv_info_done(struct lvm_pv_info *info) {
	free(info->vg_name);
	free(info->vg_uuid);
	free(info->pv_uuid);
	for (size_t i = 0; i < info->n_lvs; i++)
		free(info->lvs[i].name);
	free(info->lvs);
	*info = (struct lvm_pv_info){ 0 };
}

/* ---- a small tokenizer for the text format: names, strings, numbers,
 * '{' '}' '[' ']' '=' ',' and '#' comments ---- */

struct tok {
	const char *p, *end;
	char kind;        /* 'n' name, 's' string, '#' number, or the punctuation, 0 at the end */
	const char *start;
	size_t len;
};

static void next(struct tok *t) {
	for (;;) {
		while (t->p < t->end && isspace((unsigned char)*t->p))
			t->p++;
		if (t->p < t->end && *t->p == '#') {
			while (t->p < t->end && *t->p != '\n')
				t->p++;
			continue;
		}
		break;
	}
	t->start = t->p;
	t->len = 0;
	if (t->p >= t->end || !*t->p) {
		t->kind = 0;
		return;
	}
	char c = *t->p;
	if (strchr("{}[]=,", c)) {
		t->kind = c;
		t->p++;
		t->len = 1;
	} else if (c == '"') {
		t->p++;
		t->start = t->p;
		while (t->p < t->end && *t->p != '"') {
			if (*t->p == '\\' && t->p + 1 < t->end)
				t->p++;
			t->p++;
		}
		t->len = (size_t)(t->p - t->start);
		if (t->p < t->end)
			t->p++;
		t->kind = 's';
	} else if (isdigit((unsigned char)c) || c == '-') {
		while (t->p < t->end && (isalnum((unsigned char)*t->p) || *t->p == '-' || *t->p == '.'))
			t->p++;
		t->len = (size_t)(t->p - t->start);
		t->kind = '#';
	} else {
		while (t->p < t->end && !isspace((unsigned char)*t->p) && !strchr("{}[]=,\"#", *t->p))
			t->p++;
		t->len = (size_t)(t->p - t->start);
		t->kind = 'n';
		if (t->len == 0) { /* a stray byte: skip it */
			t->p++;
			next(t);
		}
	}
}

static bool tok_is(const struct tok *t, const char *s) {
	return strlen(s) == t->len && memcmp(t->start, s, t->len) == 0;
}

static uint64_t tok_u64(const struct tok *t) {
	char buf[32];
	size_t n = t->len < sizeof(buf) - 1 ? t->len : sizeof(buf) - 1;
	memcpy(buf, t->start, n);
	buf[n] = 0;
	return strtoull(buf, NULL, 10);
}

/* What we collect while walking the tree of sections. */
struct lv_parse {
	char *name;
	unsigned segments;
	bool striped_one;
	uint64_t start_extent, extent_count, pv_extent;
	char pv_ref[64];
};

struct walk {
	const char *pv_uuid;
	char this_pv[64];           /* "pv0": the section naming our PV */
	uint64_t pe_start;          /* sectors */
	struct lvm_pv_info *info;
	struct lv_parse *lvs;
	size_t n_lvs, cap_lvs;
	int error;
};

/* Walks one section body (after its '{') up to the matching '}'.
 * path is the chain of section names, e.g. "vg/logical_volumes/root". */
static void walk_section(struct tok *t, struct walk *w, int depth, const char *names[8]) {
	if (depth >= 8) {
		w->error = -EBADMSG;
		return;
	}
	for (;;) {
		next(t);
		if (t->kind == '}')
			return;
		/* The text ended inside a section: truncated metadata, whose
		 * last segment may have lost the very numbers its offset is
		 * computed from. */
		if (t->kind == 0 || t->kind != 'n') {
			w->error = -EBADMSG;
			return;
		}
		char key[64];
		size_t kl = t->len < sizeof(key) - 1 ? t->len : sizeof(key) - 1;
		memcpy(key, t->start, kl);
		key[kl] = 0;
		next(t);
		if (t->kind == '{') {
			names[depth] = key;
			/* A new LV section: logical_volumes/<name>. */
			if (depth == 2 && streq(names[1], "logical_volumes")) {
				if (w->n_lvs == w->cap_lvs) {
					/* Doubling: metadata of 100000 tiny sections
					 * must not cost a copy per section. */
					size_t ncap = w->cap_lvs ? w->cap_lvs * 2 : 16;
					struct lv_parse *nm = realloc(w->lvs, ncap * sizeof(*nm));
					if (!nm) {
						w->error = -ENOMEM;
						return;
					}
					w->lvs = nm;
					w->cap_lvs = ncap;
				}
				struct lv_parse *m = w->lvs;
				m[w->n_lvs] = (struct lv_parse){ .name = strdup(key) };
				if (!m[w->n_lvs].name) {
					w->error = -ENOMEM;
					return;
				}
				w->n_lvs++;
			}
			if (depth == 3 && streq(names[1], "logical_volumes") && strncmp(key, "segment", 7) == 0)
				w->lvs[w->n_lvs - 1].segments++;
			walk_section(t, w, depth + 1, names);
			if (w->error)
				return;
			continue;
		}
		if (t->kind != '=') {
			w->error = -EBADMSG;
			return;
		}
		next(t);
		/* The value: a scalar or a [list]. */
		struct tok v = *t;
		if (t->kind == '[') {
			unsigned idx = 0;
			for (;;) {
				next(t);
				if (t->kind == 0) {
					w->error = -EBADMSG;
					return;
				}
				if (t->kind == ']')
					break;
				if (t->kind == ',')
					continue;
				/* stripes = [ "pv0", 0 ] of a one-stripe segment. */
				if (depth == 4 && streq(key, "stripes") && w->n_lvs) {
					struct lv_parse *lv = &w->lvs[w->n_lvs - 1];
					if (idx == 0 && t->kind == 's') {
						size_t n = t->len < sizeof(lv->pv_ref) - 1 ? t->len : sizeof(lv->pv_ref) - 1;
						memcpy(lv->pv_ref, t->start, n);
						lv->pv_ref[n] = 0;
					} else if (idx == 1 && t->kind == '#')
						lv->pv_extent = tok_u64(t);
				}
				idx++;
			}
			continue;
		}
		if (depth == 1 && streq(key, "id") && v.kind == 's' && !w->info->vg_uuid)
			w->info->vg_uuid = strndup(v.start, v.len);
		else if (depth == 1 && streq(key, "extent_size") && v.kind == '#')
			w->info->extent_size = tok_u64(&v) * SECTOR;
		else if (depth == 3 && streq(names[1], "physical_volumes") && v.kind == 's' && streq(key, "id") &&
			 w->pv_uuid) {
			/* Metadata writes PV UUIDs with dashes; the label has none. */
			char plain[64];
			size_t n = 0;
			for (size_t i = 0; i < v.len && n < sizeof(plain) - 1; i++)
				if (v.start[i] != '-')
					plain[n++] = v.start[i];
			plain[n] = 0;
			if (streq(plain, w->pv_uuid))
				snprintf(w->this_pv, sizeof(w->this_pv), "%s", names[2]);
		} else if (depth == 3 && streq(names[1], "physical_volumes") && streq(key, "pe_start") &&
			   v.kind == '#' && streq(w->this_pv, names[2]))
			w->pe_start = tok_u64(&v);
		else if (depth == 4 && streq(names[1], "logical_volumes") && w->n_lvs) {
			struct lv_parse *lv = &w->lvs[w->n_lvs - 1];
			if (streq(key, "start_extent") && v.kind == '#')
				lv->start_extent = tok_u64(&v);
			else if (streq(key, "extent_count") && v.kind == '#')
				lv->extent_count = tok_u64(&v);
			else if (streq(key, "type") && v.kind == 's')
				lv->striped_one = tok_is(&v, "striped");
			else if (streq(key, "stripe_count") && v.kind == '#' && tok_u64(&v) != 1)
				lv->striped_one = false;
		}
	}
}

int lvm_parse_metadata(const char *text, size_t len, const char *pv_uuid, struct lvm_pv_info *ret) {
	struct lvm_pv_info info = { 0 };
	struct walk w = { .pv_uuid = pv_uuid, .info = &info };
	struct tok t = { .p = text, .end = text + len };
	const char *names[8] = { 0 };

	/* The text starts with "<vgname> {"; top-level assignments such as
	 * contents = "Text Format Volume Group" come after it. */
	for (;;) {
		next(&t);
		if (t.kind == 0)
			break;
		if (t.kind != 'n')
			continue;
		struct tok name = t;
		next(&t);
		if (t.kind == '{' && !info.vg_name) {
			info.vg_name = strndup(name.start, name.len);
			if (!info.vg_name) {
				w.error = -ENOMEM;
				break;
			}
			names[0] = "vg";
			walk_section(&t, &w, 1, names);
			break;
		}
	}
	if (!w.error && !info.vg_name)
		w.error = -EBADMSG;

	if (!w.error && w.n_lvs && !(info.lvs = calloc(w.n_lvs, sizeof(*info.lvs))))
		w.error = -ENOMEM;
	for (size_t i = 0; i < w.n_lvs; i++) {
		struct lv_parse *p = &w.lvs[i];
		if (w.error) {
			free(p->name);
			continue;
		}
		struct lvm_lv *lv = &info.lvs[info.n_lvs++];
		*lv = (struct lvm_lv){ .name = p->name };
		if (p->segments == 1 && p->striped_one && w.this_pv[0] && streq(p->pv_ref, w.this_pv) &&
		    info.extent_size && p->extent_count < UINT64_MAX / info.extent_size &&
		    w.pe_start < UINT64_MAX / SECTOR && p->pv_extent < UINT64_MAX / info.extent_size) {
			/* Numbers come from the disk: an offset or end that
			 * wraps around would point at some other data. */
			uint64_t start = w.pe_start * SECTOR, skip = p->pv_extent * info.extent_size,
				 size = p->extent_count * info.extent_size;
			if (skip <= UINT64_MAX - start && size <= UINT64_MAX - start - skip) {
				lv->linear_here = true;
				lv->offset = start + skip;
				lv->size = size;
			}
		}
	}
	free(w.lvs);
	if (w.error) {
		lvm_pv_info_done(&info);
		return w.error;
	}
	*ret = info;
	return 0;
}

int lvm_read_pv(int fd, uint64_t offset, uint64_t size, struct lvm_pv_info *ret) {
	uint8_t sec[SECTOR];
	unsigned label_sector = 4;
	int r;

	for (unsigned i = 0; i < 4; i++) {
		r = pread_all(fd, sec, sizeof(sec), offset + (uint64_t)i * SECTOR);
		if (r < 0)
			return r;
		if (memcmp(sec, "LABELONE", 8) == 0 && memcmp(sec + 24, "LVM2 001", 8) == 0) {
			label_sector = i;
			break;
		}
	}
	if (label_sector == 4)
		return -ENODATA;

	/* label_header: id[8] sector u64 crc u32 offset_xl u32 type[8]. */
	uint32_t pvh_off = le32toh(*(uint32_t *)(sec + 20));
	if (pvh_off < 32 || pvh_off > SECTOR - 48)
		return -EBADMSG;
	const uint8_t *pvh = sec + pvh_off;
	char pv_uuid[33];
	memcpy(pv_uuid, pvh, 32);
	pv_uuid[32] = 0;

	/* pv_header: uuid[32] device_size u64, then two lists of
	 * {offset u64, size u64} ending with a zero pair: data areas, then
	 * metadata areas. */
	const uint8_t *p = pvh + 40, *end = sec + SECTOR;
	int list = 0;
	uint64_t mda_off = 0, mda_size = 0;
	while (p + 16 <= end && list < 2) {
		uint64_t o = le64toh(*(uint64_t *)p), s = le64toh(*(uint64_t *)(p + 8));
		p += 16;
		if (o == 0 && s == 0) {
			list++;
			continue;
		}
		if (list == 1 && !mda_off) {
			mda_off = o;
			mda_size = s;
		}
	}
	if (!mda_off)
		return -ENODATA; /* a PV without metadata copy: nothing to read here */
	if (mda_size < MDA_HEADER_SIZE || mda_off > size || mda_size > size - mda_off)
		return -EBADMSG;

	uint8_t mh[MDA_HEADER_SIZE];
	r = pread_all(fd, mh, sizeof(mh), offset + mda_off);
	if (r < 0)
		return r;
	if (memcmp(mh + 4, " LVM2 x[5A%r0N*>", 16) != 0)
		return -EBADMSG;
	/* raw_locn[0] at +40: offset u64 size u64 checksum u32 flags u32. */
	uint64_t loff = le64toh(*(uint64_t *)(mh + 40)), lsize = le64toh(*(uint64_t *)(mh + 48));
	if (lsize == 0 || lsize > METADATA_MAX || loff < MDA_HEADER_SIZE || loff >= mda_size)
		return -EBADMSG;

	_cleanup_free_ char *text = malloc(lsize + 1);
	if (!text)
		return -ENOMEM;
	/* The text may wrap past the end of the area to just after the header. */
	uint64_t first = lsize;
	if (loff + lsize > mda_size)
		first = mda_size - loff;
	r = pread_all(fd, text, first, offset + mda_off + loff);
	if (r >= 0 && first < lsize) {
		if (lsize - first > mda_size - MDA_HEADER_SIZE)
			return -EBADMSG;
		r = pread_all(fd, text + first, lsize - first, offset + mda_off + MDA_HEADER_SIZE);
	}
	if (r < 0)
		return r;
	text[lsize] = 0;

	struct lvm_pv_info info;
	r = lvm_parse_metadata(text, strnlen(text, lsize), pv_uuid, &info);
	if (r < 0)
		return r;
	info.pv_uuid = strdup(pv_uuid);
	if (!info.pv_uuid) {
		lvm_pv_info_done(&info);
		return -ENOMEM;
	}
	*ret = info;
	return 0;
}
