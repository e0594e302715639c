/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * UEFI boot entries as efivarfs shows them. Each variable file starts with
 * its 4 attribute bytes, then the data. A Boot#### holds an EFI_LOAD_OPTION:
 *   UINT32 Attributes; UINT16 FilePathListLength; CHAR16 Description[]
 *   (NUL-terminated); the device path (FilePathListLength bytes); optional
 *   data.
 * A device path is a list of nodes (type, subtype, UINT16 length including
 * this 4-byte header) ending with type 0x7f, subtype 0xff. The nodes read
 * here: media (4) / hard drive (1), the partition, and media (4) / file
 * path (4), the loader's path in it. Everything is little-endian, and
 * every length is checked against what is there: the variables come from
 * firmware and from whatever wrote them.
 */
#include "efiboot.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fileio.h"
#include "macro.h"

#define EFI_GLOBAL_GUID "8be4df61-93ca-11d2-aa0d-00e098032b8c"
#define VAR_MAX 65536u

static uint16_t le16(const uint8_t *p) {
	return (uint16_t)(p[0] | p[1] << 8);
}
static uint32_t le32(const uint8_t *p) {
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

/* UCS-2 (n bytes, up to a NUL) as UTF-8; characters outside the printable
 * ASCII range become '?': a description or path that damage made up must
 * not travel into messages and reports as control characters. */
static char *ucs2_text(const uint8_t *p, size_t n, size_t *ret_consumed, bool *ret_terminated) {
	char *s = malloc(n / 2 + 1);
	if (!s)
		return NULL;
	size_t i = 0, k = 0;
	bool term = false;
	for (; i + 1 < n; i += 2) {
		uint16_t c = le16(p + i);
		if (c == 0) {
			term = true;
			i += 2;
			break;
		}
		s[k++] = c >= 0x20 && c < 0x7f ? (char)c : '?';
	}
	s[k] = 0;
	if (ret_consumed)
		*ret_consumed = i;
	if (ret_terminated)
		*ret_terminated = term;
	return s;
}

static void guid_text(const uint8_t *g, char out[37]) {
	snprintf(out, 37, "%08x-%04x-%04x-%02x%02x-%02x%02x%02x%02x%02x%02x", le32(g), le16(g + 4), le16(g + 6), g[8],
		 g[9], g[10], g[11], g[12], g[13], g[14], g[15]);
}

void efi_boot_entry_done(struct efi_boot_entry *e) {
	if (!e)
		return;
	free(e->description);
	free(e->part_uuid);
	free(e->path);
	*e = (struct efi_boot_entry){ .order = -1 };
}

int efi_load_option_parse(const uint8_t *data, size_t size, struct efi_boot_entry *ret) {
	struct efi_boot_entry e = { .order = -1 };
	if (!data || size < 6)
		return -EBADMSG;
	e.attributes = le32(data);
	size_t list_len = le16(data + 4), used = 0;
	bool term = false;
	e.description = ucs2_text(data + 6, size - 6, &used, &term);
	if (!e.description)
		return -ENOMEM;
	size_t at = 6 + used;
	if (!term || list_len > size - at) {
		efi_boot_entry_done(&e);
		return -EBADMSG;
	}
	const uint8_t *dp = data + at, *end = dp + list_len;
	int r = -EBADMSG;   /* until the end node is seen */
	while (end - dp >= 4) {
		uint8_t type = dp[0], sub = dp[1];
		uint16_t len = le16(dp + 2);
		if (len < 4 || len > end - dp)
			break;
		if (type == 0x7f && sub == 0xff) {
			r = 0;
			break;
		}
		if (type == 0x04 && sub == 0x01 && len >= 42 && !e.has_partition) {
			e.has_partition = true;
			e.partno = le32(dp + 4);
			/* MBR type 2 (GPT) with a GUID signature (type 2). */
			if (dp[40] == 2 && dp[41] == 2) {
				char g[37];
				guid_text(dp + 24, g);
				if (!(e.part_uuid = strdup(g))) {
					r = -ENOMEM;
					break;
				}
			}
		} else if (type == 0x04 && sub == 0x04 && !e.path) {
			if (!(e.path = ucs2_text(dp + 4, len - 4u, NULL, NULL))) {
				r = -ENOMEM;
				break;
			}
			for (char *c = e.path; *c; c++)
				if (*c == '\\')
					*c = '/';
		}
		dp += len;
	}
	if (r < 0) {
		efi_boot_entry_done(&e);
		return r;
	}
	*ret = e;
	return 0;
}

void efi_boot_entries_free(struct efi_boot_entry *e, size_t n) {
	for (size_t i = 0; e && i < n; i++)
		efi_boot_entry_done(&e[i]);
	free(e);
}

/* A variable's data: the file without its 4 attribute bytes. */
static int read_var(const char *dir, const char *name, uint8_t **ret, size_t *ret_n) {
	_cleanup_free_ char *path = NULL, *buf = NULL;
	size_t n = 0;
	if (asprintf(&path, "%s/%s", dir, name) < 0)
		return -ENOMEM;
	_cleanup_close_ int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	int r = read_file_fd(fd, VAR_MAX, &buf, &n);
	if (r < 0)
		return r;
	if (n < 4)
		return -EBADMSG;
	memmove(buf, buf + 4, n - 4);
	*ret = (uint8_t *)TAKE_PTR(buf);
	*ret_n = n - 4;
	return 0;
}

int efi_boot_entries_read(const char *dir, struct efi_boot_entry **ret, size_t *ret_n) {
	DIR *d = opendir(dir);
	if (!d)
		return -errno;
	struct efi_boot_entry *list = NULL;
	size_t n = 0;
	int r = 0;
	struct dirent *de;
	while (r >= 0 && (de = readdir(d))) {
		unsigned num;
		char rest[64];
		/* "Boot0001-<global GUID>": four hex digits, nothing else. */
		if (strlen(de->d_name) != 4 + 4 + 1 + 36 || sscanf(de->d_name, "Boot%4x-%63s", &num, rest) != 2 ||
		    strcmp(rest, EFI_GLOBAL_GUID) != 0 || !strchr("0123456789ABCDEF", de->d_name[7]))
			continue;
		_cleanup_free_ uint8_t *data = NULL;
		size_t size = 0;
		struct efi_boot_entry e;
		if (read_var(dir, de->d_name, &data, &size) < 0 || efi_load_option_parse(data, size, &e) < 0)
			continue;
		e.number = num;
		struct efi_boot_entry *m = realloc(list, (n + 1) * sizeof(*m));
		if (!m) {
			efi_boot_entry_done(&e);
			r = -ENOMEM;
			break;
		}
		list = m;
		list[n++] = e;
	}
	closedir(d);
	_cleanup_free_ uint8_t *order = NULL;
	size_t order_n = 0;
	if (r >= 0 && read_var(dir, "BootOrder-" EFI_GLOBAL_GUID, &order, &order_n) >= 0)
		for (size_t i = 0; i + 1 < order_n; i += 2)
			for (size_t k = 0; k < n; k++)
				if (list[k].number == le16(order + i) && list[k].order < 0)
					list[k].order = (int)(i / 2);
	if (r < 0) {
		efi_boot_entries_free(list, n);
		return r;
	}
	*ret = list;
	*ret_n = n;
	return 0;
}
