/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Identification: which filesystems hold installed systems, and what each
 * system is made of (os-release, fstab, crypttab, kernels, boot loader,
 * initramfs generator, SELinux).
 *
 * Filesystems are mounted read-only through read-only loop devices, with
 * journal replay off, inside a private mount namespace that we leave again
 * afterwards: nothing is written to a disk, nothing is visible to other
 * processes, and if we die the kernel drops the namespace and with it every
 * mount (the loop devices clear themselves).
 */
#include <dirent.h>
#include <fcntl.h>
#include <linux/btrfs.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#include "boot.h"
#include "fileio.h"
#include "loop.h"
#include "scan-internal.h"
#include "strv.h"
#include "utf8.h"

#define BTRFS_FIRST_SUBVOL_INO 256

/* Mount options per filesystem type: read-only and no journal replay. */
static const struct {
	const char *type;
	const char *fstype;
	const char *options;
} ro_mount_options[] = {
	{ "ext4", "ext4", "noload" },
	{ "ext3", "ext4", "noload" },
	{ "ext2", "ext4", NULL },
	/* nouuid: a copy of a mounted xfs (a cloned disk) still mounts. */
	{ "xfs", "xfs", "norecovery,nouuid" },
	{ "btrfs", "btrfs", "rescue=nologreplay" },
	{ "vfat", "vfat", NULL },
	{ "f2fs", "f2fs", "norecovery" },
};

struct mounted {
	int device;
	char *path;       /* mount point of the default (or only) root */
	char *top;        /* btrfs: mount point of the top-level subvolume */
	char *loop;       /* the loop device it is mounted from */
	int fd;
};

struct identify {
	rsc_context *ctx;
	struct rsc_scan *scan;
	char *base;
	struct mounted *m;
	size_t n_m;
};

static int note(struct rsc_system *s, const char *fmt, ...) _printf_(2, 3);
static int note(struct rsc_system *s, const char *fmt, ...) {
	va_list ap;
	char *t;
	va_start(ap, fmt);
	int r = vasprintf(&t, fmt, ap);
	va_end(ap);
	if (r < 0)
		return -ENOMEM;
	r = strv_push(&s->notes, t);
	if (r < 0)
		free(t);
	return r;
}

/* Mounts device devidx read-only at where. *node is the loop device: when
 * set (a second mount of a btrfs, at another subvolume), that device is
 * mounted again, which shares the filesystem already mounted; through a
 * second loop device the kernel would mount a separate instance of it under
 * a temporary fsid, reading all of its trees again. When NULL, a loop device
 * is attached and returned in *node. */
static int mount_ro(struct identify *id, int devidx, const char *where, const char *extra, char **node) {
	struct rsc_device *d = &id->scan->devices[devidx];
	const char *fstype = NULL, *opts = NULL;
	for (size_t i = 0; i < ELEMENTSOF(ro_mount_options); i++)
		if (streq(d->type, ro_mount_options[i].type)) {
			fstype = ro_mount_options[i].fstype;
			opts = ro_mount_options[i].options;
		}
	if (!fstype)
		return -EOPNOTSUPP;

	_cleanup_free_ char *options = NULL;
	_cleanup_close_ int lfd = -EBADF;
	if (!*node && (lfd = loop_attach_transient(d->file, d->offset, d->size, true, node)) < 0)
		return lfd;
	if (asprintf(&options, "%s%s%s", strempty(opts), opts && extra ? "," : "", strempty(extra)) < 0)
		return -ENOMEM;
	if (mkdir(where, 0700) < 0 && errno != EEXIST)
		return negative_errno();
	if (mount(*node, where, fstype, MS_RDONLY | MS_NODEV | MS_NOSUID | MS_NOEXEC, options) < 0) {
		int r = negative_errno();
		/* Kernels before 5.9 know btrfs' option by its old name. */
		if (streq(fstype, "btrfs") && mount(*node, where, fstype, MS_RDONLY | MS_NODEV | MS_NOSUID | MS_NOEXEC,
						     extra ? "nologreplay,subvolid=5" : "nologreplay") == 0)
			return 0;
		rmdir(where);
		return r;
	}
	return 0;
}

static int mounted_fd(struct identify *id, int devidx) {
	for (size_t i = 0; i < id->n_m; i++)
		if (id->m[i].device == devidx)
			return id->m[i].fd;
	return -ENOENT;
}

/* ---- per-system facts ---- */

static const char *const initramfs_patterns[] = {
	"initrd.img-%s",   /* Debian, Ubuntu */
	"initramfs-%s.img",/* Fedora, RHEL, Arch (by pkgbase) */
	"initrd-%s",       /* openSUSE */
	"initrd-%s.img",
	"initramfs-%s",
};

static const char *const kernel_prefixes[] = { "vmlinuz-", "vmlinux-", "Image-", "kernel-" };

static int add_kernel(struct rsc_system *s, const char *version, struct rsc_kernel **ret) {
	for (size_t i = 0; i < s->n_kernels; i++)
		if (streq(s->kernels[i].version, version)) {
			*ret = &s->kernels[i];
			return 0;
		}
	struct rsc_kernel *m = realloc(s->kernels, (s->n_kernels + 1) * sizeof(*m));
	if (!m)
		return -ENOMEM;
	s->kernels = m;
	struct rsc_kernel *k = &m[s->n_kernels];
	*k = (struct rsc_kernel){ 0 };
	if (!(k->version = strdup(version)))
		return -ENOMEM;
	s->n_kernels++;
	*ret = k;
	return 0;
}

static int cmp_kernel(const void *a, const void *b) {
	return strverscmp(((const struct rsc_kernel *)b)->version, ((const struct rsc_kernel *)a)->version);
}

/* Arch names its kernel by package (vmlinuz-linux); the version is the
 * modules directory whose pkgbase file holds that package name. */
static char *version_of_pkgbase(int rootfd, const char *pkgbase) {
	_cleanup_close_ int mfd = open_in_root(rootfd, "/usr/lib/modules", O_RDONLY | O_DIRECTORY);
	if (mfd < 0)
		return NULL;
	DIR *d = fdopendir(TAKE_FD(mfd));
	if (!d)
		return NULL;
	char *found = NULL;
	struct dirent *de;
	while (!found && (de = readdir(d))) {
		if (de->d_name[0] == '.')
			continue;
		_cleanup_free_ char *p = NULL, *text = NULL;
		if (asprintf(&p, "/usr/lib/modules/%s/pkgbase", de->d_name) < 0)
			break;
		if (read_file_in_root(rootfd, p, 4096, &text, NULL) < 0)
			continue;
		text[strcspn(text, "\n")] = 0;
		if (streq(text, pkgbase))
			found = strdup(de->d_name);
	}
	closedir(d);
	return found;
}

/* /usr/lib/modules on merged-/usr systems, /lib/modules on the others
 * (openSUSE Leap 15, older Debian). */
static bool modules_present(int rootfd, const char *version) {
	static const char *const dirs[] = { "/usr/lib/modules", "/lib/modules" };
	for (size_t i = 0; i < ELEMENTSOF(dirs); i++) {
		char p[512];
		struct stat st;
		snprintf(p, sizeof(p), "%s/%s/kernel", dirs[i], version);
		if (stat_in_root(rootfd, p, &st) == 0 && S_ISDIR(st.st_mode))
			return true;
	}
	return false;
}

/* Copies people and package managers leave beside a kernel: not kernels. */
static bool is_backup_name(const char *name) {
	static const char *const suffixes[] = { ".bak", ".old", ".orig", ".tmp", ".save", "~" };
	size_t l = strlen(name);
	for (size_t i = 0; i < ELEMENTSOF(suffixes); i++) {
		size_t sl = strlen(suffixes[i]);
		if (l > sl && streq(name + l - sl, suffixes[i]))
			return true;
	}
	return strstr(name, ".dpkg-") || strstr(name, ".rpmsave") || strstr(name, ".rpmnew");
}


static int find_kernels(rsc_context *ctx, struct rsc_system *s, int rootfd, int bootfd) {
	int r;
	_cleanup_close_ int dfd = open_in_root(bootfd, "/", O_RDONLY | O_DIRECTORY);
	DIR *d = dfd >= 0 ? fdopendir(TAKE_FD(dfd)) : NULL;
	struct dirent *de;
	while (d && (de = readdir(d))) {
		const char *rest = NULL;
		for (size_t i = 0; !rest && i < ELEMENTSOF(kernel_prefixes); i++)
			rest = startswith(de->d_name, kernel_prefixes[i]);
		if (!rest || !*rest || strchr(rest, '/') || is_backup_name(rest))
			continue;
		if (!utf8_text_valid(de->d_name, "")) {
			note(s, "a kernel file in /boot has a name that is not valid UTF-8; not shown");
			continue;
		}
		struct stat st;
		if (stat_in_root(bootfd, de->d_name, &st) < 0 || !S_ISREG(st.st_mode))
			continue;
		_cleanup_free_ char *version = NULL;
		const char *pkgbase = NULL;
		/* Versions start with a digit (or "0-rescue-"); anything else is
		 * a package name (Arch). */
		if (rest[0] >= '0' && rest[0] <= '9')
			version = strdup(rest);
		else {
			pkgbase = rest;
			version = version_of_pkgbase(rootfd, rest);
			if (!version && asprintf(&version, "%s (version unknown)", rest) < 0)
				version = NULL;
		}
		if (!version) {
			closedir(d);
			return -ENOMEM;
		}
		struct rsc_kernel *k;
		if ((r = add_kernel(s, version, &k)) < 0) {
			closedir(d);
			return r;
		}
		if (asprintf(&k->image, "/boot/%s", de->d_name) < 0) {
			closedir(d);
			return -ENOMEM;
		}
		k->image_size = (uint64_t)st.st_size;
		for (size_t i = 0; !k->initramfs && i < ELEMENTSOF(initramfs_patterns); i++) {
			char name[512];
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wformat-nonliteral"
			snprintf(name, sizeof(name), initramfs_patterns[i], pkgbase ? pkgbase : version);
#pragma GCC diagnostic pop
			struct stat ist;
			if (stat_in_root(bootfd, name, &ist) == 0 && S_ISREG(ist.st_mode)) {
				if (asprintf(&k->initramfs, "/boot/%s", name) < 0) {
					closedir(d);
					return -ENOMEM;
				}
				k->initramfs_size = (uint64_t)ist.st_size;
			}
		}
		char cfg[512];
		snprintf(cfg, sizeof(cfg), "config-%s", version);
		k->has_config = exists_in_root(bootfd, cfg);
	}
	if (d)
		closedir(d);

	/* Module trees without a kernel image: an interrupted install or
	 * removal, worth showing. */
	_cleanup_close_ int mfd = open_in_root(rootfd, "/usr/lib/modules", O_RDONLY | O_DIRECTORY);
	if (mfd < 0)
		mfd = open_in_root(rootfd, "/lib/modules", O_RDONLY | O_DIRECTORY);
	DIR *md = mfd >= 0 ? fdopendir(TAKE_FD(mfd)) : NULL;
	while (md && (de = readdir(md))) {
		if (de->d_name[0] == '.' || !(de->d_name[0] >= '0' && de->d_name[0] <= '9') || !utf8_text_valid(de->d_name, ""))
			continue;
		/* A directory holding only leftovers (no kernel/ tree) is not
		 * an installed kernel. */
		if (!modules_present(rootfd, de->d_name))
			continue;
		struct rsc_kernel *k;
		if ((r = add_kernel(s, de->d_name, &k)) < 0)
			break;
		k->has_modules = true;
	}
	if (md)
		closedir(md);
	if (s->n_kernels > 1)
		qsort(s->kernels, s->n_kernels, sizeof(*s->kernels), cmp_kernel);
	if (s->n_kernels == 0)
		note(s, "no kernel found in /boot or /lib/modules");
	log_debug(ctx, "%s: %zu kernel(s)", s->id ? s->id : "system", s->n_kernels);
	return 0;
}

static int find_bootloader(rsc_context *ctx, struct rsc_system *s, int rootfd, int bootfd, int espfd) {
	static const char *const cfgs[] = { "grub2/grub.cfg", "grub/grub.cfg" };
	bool bios = false, efi = false, sdboot = false;
	int r;

	for (size_t i = 0; i < ELEMENTSOF(cfgs); i++)
		if (!s->grub_cfg && exists_in_root(bootfd, cfgs[i]) && asprintf(&s->grub_cfg, "/boot/%s", cfgs[i]) < 0)
			return -ENOMEM;
	bios = exists_in_root(bootfd, "grub/i386-pc") || exists_in_root(bootfd, "grub2/i386-pc");

	if (espfd >= 0) {
		_cleanup_close_ int efd = open_in_root(espfd, "/EFI", O_RDONLY | O_DIRECTORY);
		DIR *d = efd >= 0 ? fdopendir(TAKE_FD(efd)) : NULL;
		struct dirent *de;
		while (d && (de = readdir(d))) {
			if (de->d_name[0] == '.' || strcasecmp(de->d_name, "BOOT") == 0)
				continue;
			char p[512];
			snprintf(p, sizeof(p), "/EFI/%s/grubx64.efi", de->d_name);
			bool g = exists_in_root(espfd, p);
			/* shim and GRUB under the names Fedora/Debian use, and the
			 * ones openSUSE uses. */
			static const char *const loaders[] = { "shimx64.efi", "shim.efi", "grub.efi" };
			for (size_t l = 0; l < ELEMENTSOF(loaders); l++) {
				snprintf(p, sizeof(p), "/EFI/%s/%s", de->d_name, loaders[l]);
				g = g || exists_in_root(espfd, p);
			}
			efi = efi || g;
			snprintf(p, sizeof(p), "/EFI/%s/grub.cfg", de->d_name);
			if (!s->esp_grub_cfg && exists_in_root(espfd, p)) {
				if (set_str(&s->esp_grub_cfg, p) < 0) {
					closedir(d);
					return -ENOMEM;
				}
				_cleanup_free_ char *text = NULL;
				if (read_file_in_root(espfd, p, READ_FILE_MAX, &text, NULL) == 0) {
					_cleanup_free_ char *uuid = NULL;
					const char *kind = grub_cfg_classify(text, &uuid);
					set_str(&s->esp_grub_cfg_kind, kind);
					s->esp_stub_uuid = TAKE_PTR(uuid);
				} else
					note(s, "ESP %s unreadable", p);
			}
			if (strcasecmp(de->d_name, "systemd") == 0)
				sdboot = exists_in_root(espfd, "/EFI/systemd/systemd-bootx64.efi");
		}
		if (d)
			closedir(d);
	}
	const char *bl = sdboot && !efi ? "systemd-boot" : bios && efi ? "grub-bios+efi" : bios ? "grub-bios" :
			 efi ? "grub-efi" : s->grub_cfg ? "grub" : NULL;
	if ((r = set_str(&s->bootloader, bl)) < 0)
		return r;

	/* Boot entries: BLS snippets, then grub.cfg's menu entries. */
	_cleanup_close_ int lfd = open_in_root(bootfd, "/loader/entries", O_RDONLY | O_DIRECTORY);
	DIR *ld = lfd >= 0 ? fdopendir(TAKE_FD(lfd)) : NULL;
	struct dirent *de;
	_cleanup_strv_free_ char **bls = NULL;
	while (ld && (de = readdir(ld))) {
		size_t l = strlen(de->d_name);
		if (l > 5 && streq(de->d_name + l - 5, ".conf") && strv_extend(&bls, de->d_name) < 0) {
			closedir(ld);
			return -ENOMEM;
		}
	}
	if (ld)
		closedir(ld);
	if (bls) {
		strv_sort(bls);
		s->bls = true;
	}
	STRV_FOREACH(b, bls) {
		_cleanup_free_ char *p = NULL, *text = NULL;
		if (asprintf(&p, "/loader/entries/%s", *b) < 0)
			return -ENOMEM;
		r = read_file_in_root(bootfd, p, READ_FILE_MAX, &text, NULL);
		if (r < 0) {
			note(s, "BLS entry /boot%s unreadable: %s", p, rsc_strerror(r));
			continue;
		}
		if ((r = bls_entry_parse(ctx, text, *b, &s->entries, &s->n_entries)) < 0)
			return r;
	}
	if (s->grub_cfg) {
		_cleanup_free_ char *text = NULL;
		r = read_file_in_root(bootfd, s->grub_cfg + strlen("/boot"), READ_FILE_MAX, &text, NULL);
		if (r < 0)
			note(s, "%s unreadable: %s", s->grub_cfg, rsc_strerror(r));
		else if ((r = grub_cfg_entries(ctx, text, s->grub_cfg, &s->entries, &s->n_entries)) < 0)
			return r;
	}

	_cleanup_free_ char *text = NULL;
	r = read_file_in_root(rootfd, "/etc/default/grub", READ_FILE_MAX, &text, NULL);
	if (r >= 0 && (r = rsc_envfile_parse(ctx, text, "/etc/default/grub", &s->default_grub)) < 0)
		return r;
	if (!s->bls && s->default_grub && streq_ptr(rsc_env_get(s->default_grub, "GRUB_ENABLE_BLSCFG"), "true"))
		s->bls = true;
	return 0;
}

static const struct {
	const char *name;
	const char *paths[3];
} generators[] = {
	{ "dracut", { "/usr/bin/dracut", "/usr/sbin/dracut", "/sbin/dracut" } },
	{ "initramfs-tools", { "/usr/sbin/update-initramfs", "/sbin/update-initramfs", NULL } },
	{ "mkinitcpio", { "/usr/bin/mkinitcpio", "/usr/sbin/mkinitcpio", NULL } },
};

static int read_env(rsc_context *ctx, struct rsc_system *s, int rootfd, const char *path, char ***ret) {
	_cleanup_free_ char *text = NULL;
	int r = read_file_in_root(rootfd, path, READ_FILE_MAX, &text, NULL);
	if (r == -ENOENT) {
		*ret = NULL;
		return 0;
	}
	if (r < 0) {
		note(s, "%s unreadable: %s", path, rsc_strerror(r));
		log_warning(ctx, "%s: %s unreadable: %s", s->id ? s->id : "system", path, rsc_strerror(r));
		*ret = NULL;
		return 0;
	}
	return rsc_envfile_parse(ctx, text, path, ret);
}

static int read_tab(rsc_context *ctx, struct rsc_scan *scan, struct rsc_system *s, int rootfd) {
	_cleanup_free_ char *text = NULL;
	int r = read_file_in_root(rootfd, "/etc/fstab", READ_FILE_MAX, &text, NULL);
	if (r == -ENOENT)
		note(s, "no /etc/fstab");
	else if (r < 0)
		note(s, "/etc/fstab unreadable: %s", rsc_strerror(r));
	else if ((r = rsc_fstab_parse(ctx, text, "/etc/fstab", &s->fstab, &s->n_fstab)) < 0)
		return r;
	if (s->n_fstab && !(s->fstab_device = calloc(s->n_fstab, sizeof(int))))
		return -ENOMEM;
	for (size_t i = 0; i < s->n_fstab; i++)
		s->fstab_device[i] = scan_find_device(scan, s->fstab[i].spec);

	free(TAKE_PTR(text));
	r = read_file_in_root(rootfd, "/etc/crypttab", READ_FILE_MAX, &text, NULL);
	if (r < 0 && r != -ENOENT)
		note(s, "/etc/crypttab unreadable: %s", rsc_strerror(r));
	else if (r >= 0 && (r = rsc_crypttab_parse(ctx, text, "/etc/crypttab", &s->crypttab, &s->n_crypttab)) < 0)
		return r;
	if (s->n_crypttab && !(s->crypttab_device = calloc(s->n_crypttab, sizeof(int))))
		return -ENOMEM;
	for (size_t i = 0; i < s->n_crypttab; i++)
		s->crypttab_device[i] = scan_find_device(scan, s->crypttab[i].device);
	return 0;
}

/* The fstab entry mounted at one of targets, or NULL. */
static const struct rsc_fstab_entry *fstab_at(const struct rsc_system *s, const char *const *targets, int *ret_dev) {
	/* Targets in order of preference: a /boot line must not hide the
	 * /boot/efi line after it. */
	for (const char *const *t = targets; *t; t++)
		for (size_t i = 0; i < s->n_fstab; i++)
			if (streq(s->fstab[i].target, *t)) {
				*ret_dev = s->fstab_device[i];
				return &s->fstab[i];
			}
	return NULL;
}

/* Identifies the system whose root is rootfd; adds it to the scan when the
 * tree has an os-release. Returns 1 when added, 0 when not a system root. */
static int identify_root(struct identify *id, int rootfd, int device, const char *subvol, const char *dir) {
	rsc_context *ctx = id->ctx;
	struct rsc_scan *scan = id->scan;
	_cleanup_strv_free_ char **osr = NULL;
	_cleanup_free_ char *text = NULL;
	const char *osr_path = "/etc/os-release";
	int r = read_file_in_root(rootfd, osr_path, READ_FILE_MAX, &text, NULL);
	if (r == -ENOENT) {
		osr_path = "/usr/lib/os-release";
		r = read_file_in_root(rootfd, osr_path, READ_FILE_MAX, &text, NULL);
	}
	if (r == -ENOENT)
		return 0;

	struct rsc_system *m = realloc(scan->systems, (scan->n_systems + 1) * sizeof(*m));
	if (!m)
		return -ENOMEM;
	scan->systems = m;
	struct rsc_system *s = &m[scan->n_systems++];
	*s = (struct rsc_system){ .root_device = device, .boot_device = -1, .esp_device = -1 };
	if (set_str(&s->subvol, subvol) < 0 || set_str(&s->root_dir, dir) < 0)
		return -ENOMEM;

	if (r < 0) {
		note(s, "%s unreadable: %s", osr_path, rsc_strerror(r));
		log_warning(ctx, "%s: %s unreadable (%s); the system is shown as unknown",
			    device >= 0 ? scan->devices[device].name : dir, osr_path, rsc_strerror(r));
	} else if ((r = rsc_envfile_parse(ctx, text, osr_path, &osr)) < 0)
		return r;
	s->os_release = TAKE_PTR(osr);
	const char *v;
	if (set_str(&s->os_id, (v = rsc_env_get(s->os_release, "ID")) && *v ? v : "linux") < 0 ||
	    set_str(&s->os_id_like, rsc_env_get(s->os_release, "ID_LIKE")) < 0 ||
	    set_str(&s->version_id, rsc_env_get(s->os_release, "VERSION_ID")) < 0)
		return -ENOMEM;
	v = rsc_env_get(s->os_release, "PRETTY_NAME");
	if (!v)
		v = rsc_env_get(s->os_release, "NAME");
	if (set_str(&s->pretty_name, v ? v : "Linux (unnamed)") < 0)
		return -ENOMEM;

	/* A stable short id: os id and version, numbered when repeated. */
	_cleanup_free_ char *base = NULL;
	if (asprintf(&base, "%s%s%s", s->os_id, s->version_id ? "-" : "", strempty(s->version_id)) < 0)
		return -ENOMEM;
	for (char *p = base; *p; p++)
		if (*p == ' ' || *p == '/')
			*p = '_';
	unsigned same = 0;
	for (size_t i = 0; i + 1 < scan->n_systems; i++)
		if (startswith(scan->systems[i].id, base))
			same++;
	if (same ? asprintf(&s->id, "%s-%u", base, same + 1) < 0 : set_str(&s->id, base) < 0)
		return -ENOMEM;

	if ((r = profile_match(ctx, s->os_id, s->os_id_like, &s->profile)) < 0)
		return r;
	if ((r = read_tab(ctx, scan, s, rootfd)) < 0)
		return r;

	/* /boot and the ESP: the filesystems this system's fstab names. */
	int bootfd = -EBADF, espfd = -EBADF, dev = -1;
	_cleanup_close_ int own_boot = -EBADF, own_esp = -EBADF;
	static const char *const boot_targets[] = { "/boot", NULL };
	static const char *const esp_targets[] = { "/boot/efi", "/efi", "/boot", NULL };
	const struct rsc_fstab_entry *e = fstab_at(s, boot_targets, &dev);
	if (e && dev < 0)
		note(s, "fstab names /boot on %s, which is on none of the devices found", e->spec);
	else if (e && (bootfd = mounted_fd(id, dev)) < 0)
		note(s, "/boot (%s) could not be examined: %s", scan->devices[dev].name,
		     scan->devices[dev].state ? scan->devices[dev].state : "not mountable");
	if (e && dev >= 0)
		s->boot_device = dev;
	if (bootfd < 0) {
		own_boot = open_in_root(rootfd, "/boot", O_RDONLY | O_DIRECTORY);
		bootfd = own_boot;
	}
	dev = -1;
	e = fstab_at(s, esp_targets, &dev);
	if (e && dev >= 0 && streq_ptr(scan->devices[dev].type, "vfat")) {
		s->esp_device = dev;
		espfd = mounted_fd(id, dev);
		if (streq(e->target, "/boot"))
			s->boot_device = dev; /* systemd-boot style: the ESP is /boot */
	} else if (e && dev < 0 && !streq(e->target, "/boot"))
		note(s, "fstab names the ESP (%s) on %s, which is on none of the devices found", e->target, e->spec);
	if (espfd < 0 && device < 0) {
		own_esp = open_in_root(rootfd, "/boot/efi", O_RDONLY | O_DIRECTORY);
		espfd = own_esp;
	}

	if (bootfd >= 0) {
		if ((r = find_kernels(ctx, s, rootfd, bootfd)) < 0 ||
		    (r = find_bootloader(ctx, s, rootfd, bootfd, espfd)) < 0)
			return r;
	} else
		note(s, "/boot is missing");
	for (size_t i = 0; i < s->n_kernels; i++)
		if (modules_present(rootfd, s->kernels[i].version))
			s->kernels[i].has_modules = true;

	/* The generator: the profile's default if installed, else any. */
	for (size_t i = 0; !s->generator && i < ELEMENTSOF(generators); i++)
		for (size_t j = 0; j < ELEMENTSOF(generators[i].paths) && generators[i].paths[j]; j++)
			if (executable_in_root(rootfd, generators[i].paths[j])) {
				if (set_str(&s->generator, generators[i].name) < 0)
					return -ENOMEM;
				break;
			}

	_cleanup_strv_free_ char **se = NULL;
	if ((r = read_env(ctx, s, rootfd, "/etc/selinux/config", &se)) < 0)
		return r;
	if (se) {
		if (set_str(&s->selinux, rsc_env_get(se, "SELINUX")) < 0 ||
		    set_str(&s->selinux_type, rsc_env_get(se, "SELINUXTYPE")) < 0)
			return -ENOMEM;
		if (s->selinux_type) {
			char p[512];
			snprintf(p, sizeof(p), "/etc/selinux/%s/contexts/files/file_contexts", s->selinux_type);
			s->selinux_policy = exists_in_root(rootfd, p);
		}
	}
	/* The console keyboard layout the system's own passphrase prompt uses:
	 * systemd's vconsole.conf, else Debian's keyboard file (an X layout
	 * name, which console-setup maps to a console one). */
	_cleanup_strv_free_ char **vc = NULL, **kb = NULL;
	if ((r = read_env(ctx, s, rootfd, "/etc/vconsole.conf", &vc)) < 0 ||
	    (r = read_env(ctx, s, rootfd, "/etc/default/keyboard", &kb)) < 0)
		return r;
	const char *km = vc ? rsc_env_get(vc, "KEYMAP") : NULL;
	if (!km && kb)
		km = rsc_env_get(kb, "XKBLAYOUT");
	if (km && *km && set_str(&s->keymap, km) < 0)
		return -ENOMEM;

	/* Files that exist but could not be read make the scan partial. */
	STRV_FOREACH(n, s->notes)
		if (strstr(*n, "unreadable"))
			scan->n_problems++;
	log_debug(ctx, "identified %s (%s)", s->id, s->pretty_name);
	return 1;
}

/* btrfs: subvolumes below the top level (two levels deep) that hold a
 * system, other than the default one already looked at. */
static int identify_btrfs_subvolumes(struct identify *id, struct mounted *mt, uint64_t default_id) {
	_cleanup_close_ int top = open(mt->top, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (top < 0)
		return 0;
	const char *queue[2] = { "", NULL };
	_cleanup_strv_free_ char **level2 = NULL;
	for (int depth = 0; depth < 2; depth++) {
		char *const *dirs = depth == 0 ? (char *const *)queue : level2;
		_cleanup_strv_free_ char **next_level = NULL;
		STRV_FOREACH(dir, dirs) {
			_cleanup_close_ int dfd = **dir ? openat(top, *dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC | O_NOFOLLOW) :
							  dup(top);
			DIR *d = dfd >= 0 ? fdopendir(TAKE_FD(dfd)) : NULL;
			struct dirent *de;
			while (d && (de = readdir(d))) {
				if (de->d_name[0] == '.' && (!de->d_name[1] || (de->d_name[1] == '.' && !de->d_name[2])))
					continue;
				if (de->d_type != DT_DIR || de->d_ino != BTRFS_FIRST_SUBVOL_INO)
					continue;
				_cleanup_free_ char *rel = **dir ? path_join(*dir, de->d_name) : strdup(de->d_name);
				if (!rel)
					break;
				_cleanup_close_ int sfd = openat(top, rel, O_RDONLY | O_DIRECTORY | O_CLOEXEC | O_NOFOLLOW);
				if (sfd < 0)
					continue;
				struct btrfs_ioctl_ino_lookup_args args = { .objectid = BTRFS_FIRST_SUBVOL_INO };
				if (ioctl(sfd, BTRFS_IOC_INO_LOOKUP, &args) == 0 && args.treeid == default_id)
					continue;
				int r = identify_root(id, sfd, mt->device, rel, NULL);
				if (r < 0) {
					closedir(d);
					return r;
				}
				if (r == 0 && depth == 0)
					strv_extend(&next_level, rel);
			}
			if (d)
				closedir(d);
		}
		strv_free(level2);
		level2 = TAKE_PTR(next_level);
	}
	return 0;
}

static void teardown(struct identify *id) {
	for (size_t i = id->n_m; i-- > 0;) {
		struct mounted *mt = &id->m[i];
		if (mt->fd >= 0)
			close(mt->fd);
		if (mt->top) {
			umount2(mt->top, MNT_DETACH);
			rmdir(mt->top);
		}
		umount2(mt->path, MNT_DETACH);
		rmdir(mt->path);
		free(mt->path);
		free(mt->top);
	}
	if (id->base) {
		umount2(id->base, MNT_DETACH);
		rmdir(id->base);
		free(id->base);
	}
}


/* ---- a /boot or ESP whose UUID is gone ---- */

static bool device_claimed(const struct rsc_scan *scan, int dev) {
	for (size_t i = 0; i < scan->n_systems; i++) {
		const struct rsc_system *o = &scan->systems[i];
		if (o->root_device == dev)
			return true;
		for (size_t k = 0; o->fstab_device && k < o->n_fstab; k++)
			if (o->fstab_device[k] == dev)
				return true;
	}
	return false;
}

/* Does the filesystem at fd hold what the entry for target holds: for
 * /boot a kernel image of a version this system has modules for; for
 * the ESP this system's EFI/<os id> directory? */
static bool holds_system_boot(const struct rsc_system *s, const char *target, int fd, const char *type) {
	if (streq(target, "/boot")) {
		for (size_t k = 0; k < s->n_kernels; k++) {
			if (!s->kernels[k].has_modules)
				continue;
			for (size_t p = 0; p < ELEMENTSOF(kernel_prefixes); p++) {
				char name[300];
				struct stat st;
				snprintf(name, sizeof(name), "%s%s", kernel_prefixes[p], s->kernels[k].version);
				if (stat_in_root(fd, name, &st) >= 0 && S_ISREG(st.st_mode))
					return true;
			}
		}
		return false;
	}
	if (!streq_ptr(type, "vfat") || !s->os_id)
		return false;
	char dir[300];
	struct stat st;
	snprintf(dir, sizeof(dir), "/EFI/%s", s->os_id);
	return stat_in_root(fd, dir, &st) >= 0 && S_ISDIR(st.st_mode);
}

/* For each /boot or ESP line of a system whose device is on none of the
 * disks: the one mounted filesystem that provably is it. With none, or
 * more than one, nothing is guessed: the note says what to check. Runs
 * once every system is known, so a filesystem another system's fstab
 * names is never taken. */
static int find_standins(struct identify *id) {
	struct rsc_scan *scan = id->scan;
	for (size_t si = 0; si < scan->n_systems; si++) {
		struct rsc_system *s = &scan->systems[si];
		for (size_t i = 0; i < s->n_fstab; i++) {
			const char *t = s->fstab[i].target;
			if (s->fstab_device[i] >= 0 || !(streq(t, "/boot") || streq(t, "/boot/efi") || streq(t, "/efi")))
				continue;
			if (!s->fstab_standin) {
				if (!(s->fstab_standin = malloc(s->n_fstab * sizeof(int))))
					return -ENOMEM;
				for (size_t k = 0; k < s->n_fstab; k++)
					s->fstab_standin[k] = -1;
			}
			_cleanup_strv_free_ char **found = NULL;
			int dev = -1;
			for (size_t m = 0; m < id->n_m; m++) {
				int d = id->m[m].device;
				if (id->m[m].fd < 0 || device_claimed(scan, d) ||
				    !holds_system_boot(s, t, id->m[m].fd, scan->devices[d].type))
					continue;
				if (strv_extend(&found, scan->devices[d].name) < 0)
					return -ENOMEM;
				dev = d;
			}
			size_t n = strv_length(found);
			_cleanup_free_ char *list = strv_join(found, ", ");
			if (n == 1) {
				s->fstab_standin[i] = dev;
				note(s, "fstab names %s on %s, which is on none of the devices found; %s holds this system's "
				     "%s and no fstab names it: it is taken for it", t, s->fstab[i].spec,
				     scan->devices[dev].name, streq(t, "/boot") ? "kernels" : "EFI directory");
			} else if (n > 1)
				note(s, "fstab names %s on %s, which is on none of the devices found; %s all hold this "
				     "system's %s and no fstab names them: check which one it is (blkid, ls) and correct "
				     "the fstab line", t, s->fstab[i].spec, strna(list),
				     streq(t, "/boot") ? "kernels" : "EFI directory");
		}
	}
	return 0;
}

int identify_devices(rsc_context *ctx, struct rsc_scan *scan) {
	if (geteuid() != 0) {
		log_warning(ctx, "Finding installed systems needs root (filesystems are mounted read-only to look "
				 "inside); showing devices only. Run it as root to see them.");
		scan->n_problems++;
		return -RSC_ERR_NOT_ROOT;
	}
	/* setns() below puts us at the namespace's root directory: keep the
	 * working directory, so relative paths given by the user still work. */
	_cleanup_close_ int cwd = open(".", O_PATH | O_DIRECTORY | O_CLOEXEC);
	_cleanup_close_ int old_ns = open("/proc/self/ns/mnt", O_RDONLY | O_CLOEXEC);
	if (old_ns < 0)
		return log_error_errno(ctx, errno, "Cannot open our mount namespace: %m");
	if (unshare(CLONE_NEWNS) < 0)
		return log_error_errno(ctx, errno, "Cannot create a private mount namespace: %m");
	int r = 0;
	if (mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0)
		r = log_error_errno(ctx, errno, "Cannot make mounts private: %m");

	struct identify id = { .ctx = ctx, .scan = scan };
	if (r >= 0) {
		char tmpl[] = "/tmp/rescue-scan.XXXXXX";
		if (!mkdtemp(tmpl))
			r = log_error_errno(ctx, errno, "Cannot create a mount point under /tmp: %m");
		else if (!(id.base = strdup(tmpl)))
			r = -ENOMEM;
		else if (mount("rescue-scan", id.base, "tmpfs", MS_NODEV | MS_NOSUID | MS_NOEXEC, "mode=0700,size=1m") < 0)
			r = log_error_errno(ctx, errno, "Cannot mount a tmpfs on %s: %m", id.base);
	}

	/* Mount every filesystem first: a system's /boot may be on a device
	 * found after its root. */
	for (size_t i = 0; r >= 0 && i < scan->n_devices; i++) {
		struct rsc_device *d = &scan->devices[i];
		if (!streq_ptr(d->usage, "filesystem") || d->error || d->size == 0)
			continue;
		bool known = false;
		for (size_t k = 0; k < ELEMENTSOF(ro_mount_options); k++)
			known = known || streq(d->type, ro_mount_options[k].type);
		if (!known) {
			log_debug(ctx, "%s: %s not examined (not a filesystem installed systems use)", d->name, d->type);
			continue;
		}
		_cleanup_free_ char *where = NULL, *top = NULL, *node = NULL;
		if (asprintf(&where, "%s/%zu", id.base, i) < 0) {
			r = -ENOMEM;
			break;
		}
		int q = mount_ro(&id, (int)i, where, NULL, &node);
		d = &scan->devices[i];
		if (q < 0) {
			set_strf(&d->error, "cannot be mounted read-only: %s", rsc_strerror(q));
			log_warning(ctx, "%s: %s filesystem cannot be mounted read-only (%s); 'fsck -n' on it tells more",
				    d->name, d->type, rsc_strerror(q));
			scan->n_problems++;
			continue;
		}
		if (streq(d->type, "btrfs")) {
			if (asprintf(&top, "%s/%zu-top", id.base, i) < 0) {
				r = -ENOMEM;
				break;
			}
			if (mount_ro(&id, (int)i, top, "subvolid=5", &node) < 0)
				free(TAKE_PTR(top));
		}
		struct mounted *m = realloc(id.m, (id.n_m + 1) * sizeof(*m));
		if (!m) {
			r = -ENOMEM;
			break;
		}
		id.m = m;
		int fd = open(where, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		m[id.n_m++] = (struct mounted){ .device = (int)i, .path = TAKE_PTR(where), .top = TAKE_PTR(top),
						.loop = TAKE_PTR(node), .fd = fd };
	}

	for (size_t i = 0; r >= 0 && i < id.n_m; i++) {
		struct mounted *mt = &id.m[i];
		if (mt->fd < 0)
			continue;
		uint64_t default_id = 0;
		_cleanup_free_ char *subvol = NULL;
		if (mt->top) {
			struct btrfs_ioctl_ino_lookup_args args = { .objectid = BTRFS_FIRST_SUBVOL_INO };
			if (ioctl(mt->fd, BTRFS_IOC_INO_LOOKUP, &args) == 0)
				default_id = args.treeid;
			/* The default subvolume's name (not its full path when it
			 * is nested, as openSUSE's snapshots are). */
			struct btrfs_ioctl_get_subvol_info_args info;
			/* Some kernels return a positive value on success. */
			if (default_id != 5 && ioctl(mt->fd, BTRFS_IOC_GET_SUBVOL_INFO, &info) >= 0)
				subvol = strdup(info.name);
		}
		r = identify_root(&id, mt->fd, mt->device, subvol, NULL);
		if (r >= 0 && mt->top)
			r = identify_btrfs_subvolumes(&id, mt, default_id);
	}
	if (r >= 0)
		r = find_standins(&id);
	teardown(&id);

	if (setns(old_ns, CLONE_NEWNS) < 0 && r >= 0)
		r = log_error_errno(ctx, errno, "Cannot return to our mount namespace: %m");
	/* The namespace is gone and with it the mounts, but the kernel may
	 * clear their loop devices a moment later: waited for, so that what
	 * runs next (a mount of the same filesystem, a check that nothing is
	 * left) finds them gone. A scan skips them anyway (they are marked). */
	for (size_t i = 0; i < id.n_m; i++) {
		if (id.m[i].loop && loop_wait_detached(id.m[i].loop, 2000) < 0)
			log_debug(ctx, "%s is still attached after 2 s; it clears itself when the kernel lets go",
				  id.m[i].loop);
		free(id.m[i].loop);
	}
	free(id.m);
	if (cwd >= 0 && fchdir(cwd) < 0 && r >= 0)
		r = log_error_errno(ctx, errno, "Cannot return to the working directory: %m");
	return r < 0 ? r : 0;
}

int identify_directory(rsc_context *ctx, struct rsc_scan *scan, const char *dir) {
	_cleanup_close_ int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return log_error_errno(ctx, errno, "%s: cannot open the directory: %m", dir);
	struct identify id = { .ctx = ctx, .scan = scan };
	int r = identify_root(&id, fd, -1, NULL, dir);
	if (r == 0)
		log_notice(ctx, "%s: no os-release (etc/os-release or usr/lib/os-release): not a system root", dir);
	return r < 0 ? r : 0;
}
