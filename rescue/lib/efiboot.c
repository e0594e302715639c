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
#include <linux/fs.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/statfs.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include "fileio.h"
#include "macro.h"

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
	uint8_t *b = NULL;
	size_t n = 0;
	int r = efi_var_get(dir, name, &b, &n);
	if (r < 0)
		return r;
	memmove(b, b + 4, n - 4);
	*ret = b;
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

/* ---- writing: one boot entry added, and what was there put back ---- */

#define EFIVARFS_MAGIC 0xde5e81e4

/* Mounts efivarfs on its usual place when the system was booted through
 * UEFI and nothing is mounted there yet. The rescue medium leaves this to
 * the first reader: mounting reads every variable, and with Secure Boot
 * firmware each read traps into SMM (over a second of its boot under
 * QEMU), while most runs never look. Failure (no privilege, a kernel
 * without efivarfs) leaves the directory empty, which reads as no entries,
 * as before. Once per process. */
static void efi_vars_mount(const char *dir) {
	static bool tried;
	struct statfs sf;
	if (tried)
		return;
	tried = true;
	if (access("/sys/firmware/efi", F_OK) < 0 || statfs(dir, &sf) < 0 ||
	    (unsigned long)sf.f_type == EFIVARFS_MAGIC)
		return;
	(void)mount("efivarfs", dir, "efivarfs", MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL);
}

const char *efi_vars_dir(void) {
	const char *d = secure_getenv("RESCUE_EFIVARS_DIR");
	if (d && *d)
		return d;
	efi_vars_mount("/sys/firmware/efi/efivars");
	return "/sys/firmware/efi/efivars";
}

bool efi_vars_writable(const char *dir) {
	struct statfs sf;
	struct statvfs sv;
	if (statfs(dir, &sf) < 0 || statvfs(dir, &sv) < 0 || (sv.f_flag & ST_RDONLY))
		return false;
	if ((unsigned long)sf.f_type == EFIVARFS_MAGIC)
		return true;
	/* A made-up store (tests): writable unless told otherwise. */
	const char *ro = secure_getenv("RESCUE_EFIVARS_READONLY");
	return !(ro && streq(ro, "1")) && access(dir, W_OK) == 0;
}

static void put16(uint8_t *p, uint16_t v) {
	p[0] = (uint8_t)v;
	p[1] = (uint8_t)(v >> 8);
}
static void put32(uint8_t *p, uint32_t v) {
	put16(p, (uint16_t)v);
	put16(p + 2, (uint16_t)(v >> 16));
}
static void put64(uint8_t *p, uint64_t v) {
	put32(p, (uint32_t)v);
	put32(p + 4, (uint32_t)(v >> 32));
}

/* "c12a7328-f81f-11d2-ba4b-00a0c93ec93b" as EFI_GUID bytes: the first
 * three fields little-endian, the last two as written. */
static int guid_parse(const char *s, uint8_t g[16]) {
	unsigned v[11];
	char tail;
	if (!s || strlen(s) != 36 ||
	    sscanf(s, "%8x-%4x-%4x-%2x%2x-%2x%2x%2x%2x%2x%2x%c", &v[0], &v[1], &v[2], &v[3], &v[4], &v[5], &v[6], &v[7],
		   &v[8], &v[9], &v[10], &tail) != 11)
		return -EINVAL;
	put32(g, v[0]);
	put16(g + 4, (uint16_t)v[1]);
	put16(g + 6, (uint16_t)v[2]);
	for (int i = 3; i < 11; i++)
		g[5 + i] = (uint8_t)v[i];
	return 0;
}

static bool printable_ascii(const char *s) {
	for (; *s; s++)
		if (*s < 0x20 || *s > 0x7e)
			return false;
	return true;
}

int efi_load_option_build(const char *description, uint32_t partno, uint64_t start, uint64_t size,
			  const char *part_uuid, const char *path, uint8_t **ret, size_t *ret_n) {
	uint8_t guid[16];
	if (!description || !path || !printable_ascii(description) || !printable_ascii(path) || !*path ||
	    guid_parse(part_uuid, guid) < 0 || start % 512 || size % 512 || partno == 0)
		return -EINVAL;
	size_t dl = strlen(description), pl = strlen(path);
	size_t file_node = 4 + 2 * (pl + (path[0] != '/' && path[0] != '\\') + 1);
	size_t list = 42 + file_node + 4;
	if (file_node > UINT16_MAX || list > UINT16_MAX || dl > 1024)
		return -EINVAL;
	size_t n = 4 + 2 + 2 * (dl + 1) + list;
	uint8_t *b = calloc(1, n), *q = b;
	if (!b)
		return -ENOMEM;
	put32(q, EFI_LOAD_OPTION_ACTIVE);
	put16(q + 4, (uint16_t)list);
	q += 6;
	for (size_t i = 0; i <= dl; i++, q += 2)
		put16(q, (uint8_t)description[i]);
	/* Media device path, hard drive: the partition by number, place and
	 * GPT GUID (firmware matches all of them). */
	q[0] = 0x04, q[1] = 0x01;
	put16(q + 2, 42);
	put32(q + 4, partno);
	put64(q + 8, start / 512);
	put64(q + 16, size / 512);
	memcpy(q + 24, guid, 16);
	q[40] = 2;   /* GPT */
	q[41] = 2;   /* a GUID signature */
	q += 42;
	/* Media device path, file path: UCS-2, backslashes, from the root. */
	q[0] = 0x04, q[1] = 0x04;
	put16(q + 2, (uint16_t)file_node);
	q += 4;
	if (path[0] != '/' && path[0] != '\\')
		put16(q, '\\'), q += 2;
	for (size_t i = 0; i <= pl; i++, q += 2)
		put16(q, path[i] == '/' ? '\\' : (uint8_t)path[i]);
	q[0] = 0x7f, q[1] = 0xff;
	put16(q + 2, 4);
	*ret = b;
	*ret_n = n;
	return 0;
}

int efi_var_get(const char *dir, const char *name, uint8_t **ret, size_t *ret_n) {
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
	*ret = (uint8_t *)TAKE_PTR(buf);
	*ret_n = n;
	return 0;
}

/* efivarfs creates most variables immutable (chattr +i): that flag goes
 * before a write or an unlink. Other file systems (a made-up store) may
 * not know the flags at all. */
static int clear_immutable(const char *path) {
	_cleanup_close_ int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	if (fd < 0)
		return errno == ENOENT ? 0 : -errno;
	int flags;
	if (ioctl(fd, FS_IOC_GETFLAGS, &flags) < 0)
		return errno == ENOTTY || errno == EOPNOTSUPP || errno == EINVAL ? 0 : -errno;
	if (!(flags & FS_IMMUTABLE_FL))
		return 0;
	flags &= ~FS_IMMUTABLE_FL;
	return ioctl(fd, FS_IOC_SETFLAGS, &flags) < 0 ? -errno : 0;
}

int efi_var_set(const char *dir, const char *name, const uint8_t *file, size_t n) {
	_cleanup_free_ char *path = NULL;
	if (n < 4 || n > VAR_MAX || asprintf(&path, "%s/%s", dir, name) < 0)
		return n < 4 || n > VAR_MAX ? -EINVAL : -ENOMEM;
	int r = clear_immutable(path);
	if (r < 0)
		return r;
	/* efivarfs sets the variable from one write of attributes and data;
	 * a made-up store is an ordinary file, truncated first. */
	struct statfs sf;
	bool efivarfs = statfs(dir, &sf) == 0 && (unsigned long)sf.f_type == EFIVARFS_MAGIC;
	_cleanup_close_ int fd = open(path, O_WRONLY | O_CREAT | O_CLOEXEC | O_NOFOLLOW | (efivarfs ? 0 : O_TRUNC), 0644);
	if (fd < 0)
		return -errno;
	ssize_t w = write(fd, file, n);
	if (w < 0)
		return -errno;
	return (size_t)w == n ? 0 : -EIO;
}

int efi_var_remove(const char *dir, const char *name) {
	_cleanup_free_ char *path = NULL;
	if (asprintf(&path, "%s/%s", dir, name) < 0)
		return -ENOMEM;
	int r = clear_immutable(path);
	if (r < 0)
		return r;
	return unlink(path) < 0 && errno != ENOENT ? -errno : 0;
}

int efi_boot_free_number(const char *dir) {
	DIR *d = opendir(dir);
	if (!d)
		return -errno;
	_cleanup_free_ uint8_t *used = calloc(65536 / 8, 1);
	if (!used) {
		closedir(d);
		return -ENOMEM;
	}
	struct dirent *de;
	while ((de = readdir(d))) {
		unsigned num;
		if (strlen(de->d_name) == 4 + 4 + 1 + 36 && sscanf(de->d_name, "Boot%4x-", &num) == 1 &&
		    de->d_name[8] == '-')
			used[num / 8] |= (uint8_t)(1u << (num % 8));
	}
	closedir(d);
	for (unsigned i = 0; i < 65536; i++)
		if (!(used[i / 8] & (1u << (i % 8))))
			return (int)i;
	return -ENOSPC;
}
