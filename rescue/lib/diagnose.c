/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Diagnose: one table of checks, each reading the mounted system (through
 * the in-root opener) and the storage graph, each adding findings with
 * evidence, a plain explanation and the fix. Nothing here writes.
 */
#include <fcntl.h>
#include <limits.h>
#include <json-c/json.h>
#include <selinux/label.h>
#include <selinux/selinux.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/xattr.h>
#include <dirent.h>
#include <unistd.h>

#include "bootcode.h"
#include "cmdline.h"
#include "diagnose-internal.h"
#include "efiboot.h"
#include "genconf.h"
#include "initramfs-internal.h"
#include "fileio.h"
#include "profile.h"
#include "rescue/diagnose.h"
#include "rescue/initramfs.h"
#include "scan-internal.h"
#include "strv.h"

#define MiB (1024.0 * 1024.0)
/* The seeds' rule of thumb for /boot, before a kernel update or rebuild. */
#define BOOT_FREE_WANTED (200ull << 20)
/* Estimate for a new image when the system has none to measure. */
#define INITRAMFS_ESTIMATE (64ull << 20)

struct diag {
	rsc_context *ctx;
	const struct rsc_scan *scan;
	const struct rsc_system *s;
	const char *root_dir;
	int rootfd;
	struct profile *profile;
	struct rsc_diagnosis *d;
	int root_dev, boot_dev, esp_dev;   /* in scan, or -1 */
	bool separate_boot;
	/* fstab's /boot is on none of the disks and nothing is mounted in its
	 * place: what is in it is unknown, not missing */
	bool boot_unmounted;
};

/* One table of the codes diagnose reports: name, how a person sees it, why. */
static const struct {
	const char *name;
	const char *command;
	const char *why;
} finding_codes[_RSC_FINDING_MAX] = {
	[RSC_FINDING_BOOT_UNREADABLE] = { "boot-unreadable", "mount /dev/BOOT /mnt/sysroot/boot; ls -l /mnt/sysroot/boot",
		"/boot could not be read, so nothing about the kernels there is known." },
	[RSC_FINDING_BOOT_SPACE_INSUFFICIENT] = { "boot-space-insufficient", "df -h /mnt/sysroot/boot; ls -lS /mnt/sysroot/boot",
		"A new initramfs is written beside the old one: without room for both,\n"
		"the generator fails or leaves a truncated image." },
	[RSC_FINDING_BOOT_SPACE_LOW] = { "boot-space-low", "df -h /mnt/sysroot/boot",
		"The next kernel update needs room for a new image; a full /boot makes\n"
		"it fail half-way." },
	[RSC_FINDING_BOOT_LEFTOVERS] = { "boot-leftovers", "ls -l /mnt/sysroot/boot",
		"Files no installed kernel uses take space in /boot." },
	[RSC_FINDING_KERNEL_MODULES_MISSING] = { "kernel-modules-missing", "ls /mnt/sysroot/boot/vmlinuz-* /mnt/sysroot/lib/modules/",
		"A kernel without its modules cannot mount the root and its initramfs\n"
		"cannot be rebuilt offline: boot another kernel, reinstall it later." },
	[RSC_FINDING_KERNEL_IMAGE_MISSING] = { "kernel-image-missing", "ls /mnt/sysroot/lib/modules/ /mnt/sysroot/boot/",
		"Modules without a kernel image are leftovers of an interrupted install\n"
		"or removal." },
	[RSC_FINDING_INITRAMFS_MISSING] = { "initramfs-missing", "ls -l /mnt/sysroot/boot/initr*",
		"Without its initramfs the kernel cannot load the drivers for the root\n"
		"and stops with 'VFS: Unable to mount root fs'." },
	[RSC_FINDING_INITRAMFS_EMPTY] = { "initramfs-empty", "ls -l /mnt/sysroot/boot/initr*",
		"A zero-byte image is what a generator leaves when /boot fills up or it\n"
		"is interrupted; the kernel cannot boot with it." },
	[RSC_FINDING_INITRAMFS_CORRUPT] = { "initramfs-corrupt", "lsinitrd /mnt/sysroot/boot/initramfs-K.img",
		"The kernel unpacks the image before anything else: a damaged archive\n"
		"stops the boot at once." },
	[RSC_FINDING_INITRAMFS_UNVERIFIED] = { "initramfs-unverified", "lsinitrd /mnt/sysroot/boot/initramfs-K.img",
		"The image could not be checked fully, so whether it boots is unknown." },
	[RSC_FINDING_INITRAMFS_CANNOT_MOUNT_ROOT] = { "initramfs-cannot-mount-root", "lsinitrd /mnt/sysroot/boot/initramfs-K.img | grep -E 'crypt|lvm'",
		"The image lacks a driver or tool the root needs (LUKS, LVM, the\n"
		"filesystem): boot ends in the emergency shell." },
	[RSC_FINDING_GENERATOR_OMITS_ROOT_MODULE] = { "generator-omits-root-module", "grep -r dracutmodules /mnt/sysroot/etc/dracut.conf /mnt/sysroot/etc/dracut.conf.d",
		"The generator's own configuration leaves out what the root needs: every\n"
		"image it builds, the repair's and the next kernel update's, stops in\n"
		"the emergency shell until that line is changed." },
	[RSC_FINDING_GENERATOR_COMPRESSION_UNSUPPORTED] = { "generator-compression-unsupported", "grep -r compress /mnt/sysroot/etc/dracut.conf*; grep CONFIG_RD_ /mnt/sysroot/boot/config-K",
		"The kernel unpacks its initramfs itself, and only in the formats it was\n"
		"built for: an image compressed otherwise stops the boot at once." },
	[RSC_FINDING_CMDLINE_ROOT_UNKNOWN] = { "cmdline-root-unknown", "grep root= /mnt/sysroot/boot/grub/grub.cfg; blkid",
		"The kernel line names a root that no disk has: the initramfs waits for\n"
		"it, then gives up." },
	[RSC_FINDING_CMDLINE_ROOT_OTHER] = { "cmdline-root-other", "grep root= /mnt/sysroot/boot/grub/grub.cfg; blkid",
		"The kernel line names another filesystem than this system's root." },
	[RSC_FINDING_CMDLINE_LUKS_UNKNOWN] = { "cmdline-luks-unknown", "grep rd.luks /mnt/sysroot/boot/grub/grub.cfg; blkid -t TYPE=crypto_LUKS",
		"The kernel line asks to unlock a LUKS volume that is not there." },
	[RSC_FINDING_CMDLINE_LV_UNKNOWN] = { "cmdline-lv-unknown", "grep rd.lvm /mnt/sysroot/boot/grub/grub.cfg; lvs",
		"The kernel line asks to activate a logical volume that does not exist." },
	[RSC_FINDING_CMDLINE_RESUME_UNKNOWN] = { "cmdline-resume-unknown", "grep resume= /mnt/sysroot/boot/grub/grub.cfg; blkid -t TYPE=swap",
		"The kernel line names a swap to resume from that is not there; the\n"
		"boot waits for it." },
	[RSC_FINDING_CMDLINE_DEFAULT_ROOT_UNKNOWN] = { "cmdline-default-root-unknown", "grep -r root= /mnt/sysroot/etc/default/grub* /mnt/sysroot/etc/kernel/cmdline; blkid",
		"New boot entries are made from these defaults: a root= there that no\n"
		"disk has comes back every time the menu is generated again." },
	[RSC_FINDING_GRUB_CONFIG_MISSING] = { "grub-config-missing", "ls -l /mnt/sysroot/boot/grub/grub.cfg",
		"GRUB finds no menu and stops at its prompt." },
	[RSC_FINDING_BOOT_ENTRY_MISSING_FILE] = { "boot-entry-missing-file", "grep -E 'linux|initrd' /mnt/sysroot/boot/grub/grub.cfg; ls /mnt/sysroot/boot",
		"A boot entry names a kernel or initramfs that is not in /boot: choosing\n"
		"it fails." },
	[RSC_FINDING_DEFAULT_KERNEL_UNBOOTABLE] = { "default-kernel-unbootable", "grep -E 'GRUB_DEFAULT|menuentry' /mnt/sysroot/etc/default/grub /mnt/sysroot/boot/grub/grub.cfg",
		"The entry started by default boots a kernel that cannot boot." },
	[RSC_FINDING_ESP_UNREADABLE] = { "esp-unreadable", "mount /dev/ESP /mnt/sysroot/boot/efi; ls -R /mnt/sysroot/boot/efi/EFI",
		"The EFI system partition could not be read, so its boot files were not\n"
		"checked." },
	[RSC_FINDING_ESP_STUB_MISSING] = { "esp-stub-missing", "cat /mnt/sysroot/boot/efi/EFI/*/grub.cfg",
		"The signed GRUB on the ESP reads a small grub.cfg beside it that loads\n"
		"the real menu from /boot; without it GRUB stops at its prompt." },
	[RSC_FINDING_ESP_STUB_REPLACED] = { "esp-stub-replaced", "cat /mnt/sysroot/boot/efi/EFI/*/grub.cfg",
		"The ESP's small loader config was overwritten with a full menu, which\n"
		"goes stale at the next kernel update." },
	[RSC_FINDING_ESP_STUB_WRONG_UUID] = { "esp-stub-wrong-uuid", "cat /mnt/sysroot/boot/efi/EFI/*/grub.cfg; blkid",
		"The ESP's loader config searches for a /boot UUID that no filesystem\n"
		"has: GRUB finds no menu." },
	[RSC_FINDING_ESP_LOADER_MISSING] = { "esp-loader-missing", "ls -lR /mnt/sysroot/boot/efi/EFI",
		"UEFI firmware starts a loader file on the ESP (shim, then GRUB beside\n"
		"it): when that file is gone it starts nothing, or another system." },
	[RSC_FINDING_NVRAM_ENTRY_DEAD] = { "nvram-entry-dead", "efibootmgr -v",
		"A firmware boot entry names a loader file that is not on its ESP; the\n"
		"firmware skips it, or (some firmware) stops." },
	[RSC_FINDING_NVRAM_ENTRY_DUPLICATE] = { "nvram-entry-duplicate", "efibootmgr -v",
		"Two firmware boot entries start the same loader file (each reinstall\n"
		"that writes NVRAM may add one): harmless, but the boot menu repeats." },
	[RSC_FINDING_BIOS_BOOT_CODE_MISSING] = { "bios-boot-code-missing", "dd if=/dev/DISK bs=440 count=1 | od -A d -t x1 | head",
		"The BIOS runs the code in the disk's first sector: zeroed, it starts\n"
		"nothing and the machine reports that no bootable disk was found." },
	[RSC_FINDING_BIOS_BOOT_CODE_FOREIGN] = { "bios-boot-code-foreign", "dd if=/dev/DISK bs=440 count=1 | strings",
		"The disk's first sector holds another loader's code (often left by\n"
		"another system's installer): the BIOS does not start this GRUB." },
	[RSC_FINDING_GRUB_CORE_MISSING] = { "grub-core-missing", "dd if=/dev/DISK bs=512 skip=SECTOR count=1 | od -A d -c",
		"GRUB's boot sector loads the rest of GRUB from the sectors it names;\n"
		"when they hold no GRUB the boot stops right after the BIOS." },
	[RSC_FINDING_GRUB_CORE_DAMAGED] = { "grub-core-damaged", "dd if=/dev/DISK bs=512 skip=SECTOR count=64 | strings | head",
		"GRUB's core image was partly overwritten (a partitioning tool, another\n"
		"program's boot data): GRUB stops with an error before its menu." },
	[RSC_FINDING_GRUB_CORE_STALE] = { "grub-core-stale", "ls -l /mnt/sysroot/boot/grub/i386-pc/core.img",
		"GRUB's core on the disk is older or newer than its modules in /boot\n"
		"(installed on another disk last time): GRUB stops at 'grub rescue>'." },
	[RSC_FINDING_GRUB_PREFIX_MISSING] = { "grub-prefix-missing", "ls /mnt/sysroot/boot/grub/i386-pc/normal.mod",
		"GRUB's core loads its modules and grub.cfg from the directory its\n"
		"prefix names: when that is gone GRUB stops at 'grub rescue>'." },
	[RSC_FINDING_FSTAB_DEVICE_MISSING] = { "fstab-device-missing", "cat /mnt/sysroot/etc/fstab; blkid",
		"fstab names a filesystem no disk has: the boot waits for it, then\n"
		"enters emergency mode." },
	[RSC_FINDING_CRYPTTAB_DEVICE_MISSING] = { "crypttab-device-missing", "cat /mnt/sysroot/etc/crypttab; blkid -t TYPE=crypto_LUKS",
		"crypttab names an encrypted volume that is not there; the boot waits\n"
		"for it." },
	[RSC_FINDING_SELINUX_AUTORELABEL_PENDING] = { "selinux-autorelabel-pending", "ls -l /mnt/sysroot/.autorelabel",
		"A full relabel runs at the next boot; it takes a while on big disks." },
	[RSC_FINDING_SELINUX_POLICY_UNREADABLE] = { "selinux-policy-unreadable", "ls /mnt/sysroot/etc/selinux/*/contexts/files/file_contexts",
		"The SELinux policy could not be read, so labels were not checked." },
	[RSC_FINDING_SELINUX_LABEL_WRONG] = { "selinux-label-wrong", "ls -Z /mnt/sysroot/boot",
		"Files written from a rescue system carry wrong SELinux labels; with\n"
		"SELinux enforcing, early boot can be denied access to them." },
};

const char *rsc_finding_code_to_string(enum rsc_finding_code c) {
	return (unsigned)c < _RSC_FINDING_MAX ? finding_codes[c].name : NULL;
}
const char *rsc_finding_code_command(enum rsc_finding_code c) {
	return (unsigned)c < _RSC_FINDING_MAX ? finding_codes[c].command : NULL;
}
const char *rsc_finding_code_why(enum rsc_finding_code c) {
	return (unsigned)c < _RSC_FINDING_MAX ? finding_codes[c].why : NULL;
}

static int add(struct diag *g, enum rsc_severity sev, enum rsc_finding_code code, const char *subject, const char *fix,
	       const char *explanation_fmt, const char *evidence_fmt, ...) _printf_(7, 8);
static int add(struct diag *g, enum rsc_severity sev, enum rsc_finding_code code, const char *subject, const char *fix,
	       const char *explanation, const char *evidence_fmt, ...) {
	struct rsc_finding *m = realloc(g->d->findings, (g->d->n_findings + 1) * sizeof(*m));
	if (!m)
		return -ENOMEM;
	g->d->findings = m;
	struct rsc_finding *f = &m[g->d->n_findings];
	*f = (struct rsc_finding){ .severity = sev, .id = code };
	va_list ap;
	va_start(ap, evidence_fmt);
	int r = vasprintf(&f->evidence, evidence_fmt, ap);
	va_end(ap);
	if (r < 0 || set_str(&f->code, rsc_finding_code_to_string(code)) < 0 || set_str(&f->subject, subject) < 0 || set_str(&f->fix, fix) < 0 ||
	    set_str(&f->explanation, explanation) < 0) {
		free(f->evidence), free(f->code), free(f->subject), free(f->fix), free(f->explanation);
		return -ENOMEM;
	}
	g->d->n_findings++;
	if (sev == RSC_SEVERITY_ERROR)
		g->d->errors++;
	else if (sev == RSC_SEVERITY_WARNING)
		g->d->warnings++;
	return 0;
}

/* The profile's command for key with %k/%i/%c/%p filled in, or NULL. */
static char *profile_command(struct diag *g, const char *key, const char *kver, const char *image) {
	const char *t = g->profile ? profile_get(g->profile, key) : NULL;
	if (!t)
		return NULL;
	char *out = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&out, &len);
	if (!f)
		return NULL;
	for (const char *p = t; *p; p++) {
		if (p[0] == '%' && p[1]) {
			const char *v = p[1] == 'k' ? kver : p[1] == 'i' ? image : p[1] == 'c' ? g->s->grub_cfg : NULL;
			fputs(v ? v : "", f);
			p++;
		} else
			fputc(*p, f);
	}
	fclose(f);
	return out;
}

static char *rebuild_command(struct diag *g, const struct rsc_kernel *k) {
	const char *gen = g->s->generator;
	const char *key = streq_ptr(gen, "dracut") ? "rebuild_dracut" : streq_ptr(gen, "initramfs-tools") ?
			  "rebuild_initramfs_tools" : streq_ptr(gen, "mkinitcpio") ? "rebuild_mkinitcpio" : NULL;
	_cleanup_free_ char *image = NULL;
	if (k->initramfs)
		image = strdup(k->initramfs);
	else {
		const char *pattern = g->profile ? profile_get(g->profile, "initramfs") : NULL;
		image = pattern ? profile_command(g, "initramfs", k->version, NULL) : NULL;
	}
	char *cmd = key ? profile_command(g, key, k->version, image ? image : "") : NULL;
	if (!cmd && asprintf(&cmd, "rebuild the initramfs of %s with the system's generator (%s)", k->version,
			     gen ? gen : "none found: install dracut or initramfs-tools") < 0)
		return NULL;
	return cmd;
}

/* ---- /boot space ---- */

uint64_t initramfs_space_needed(const struct rsc_system *s) {
	/* The current images may be truncated or empty (that is often why we
	 * are here): never assume a new one is smaller than the estimate. */
	uint64_t image = INITRAMFS_ESTIMATE;
	for (size_t i = 0; i < s->n_kernels; i++)
		if (s->kernels[i].image && s->kernels[i].initramfs_size > image)
			image = s->kernels[i].initramfs_size;
	/* The generator writes the new image beside the old one and renames
	 * it over: the whole size must be free, plus a margin. */
	return image + image / 4 + (8ull << 20);
}

static bool kernel_known(const struct rsc_system *s, const char *name) {
	for (size_t i = 0; i < s->n_kernels; i++)
		if ((s->kernels[i].image && streq(s->kernels[i].image + 6, name)) ||
		    (s->kernels[i].initramfs && streq(s->kernels[i].initramfs + 6, name)))
			return s->kernels[i].image || s->kernels[i].has_modules;
	return false;
}

int boot_removable(int rootfd, const struct rsc_system *s, char ***ret_paths, char ***ret_described,
		   uint64_t *ret_bytes) {
	_cleanup_close_ int bfd = open_in_root(rootfd, "/boot", O_RDONLY | O_DIRECTORY);
	if (bfd < 0)
		return bfd;
	_cleanup_strv_free_ char **paths = NULL, **described = NULL;
	uint64_t bytes = 0;
	DIR *dir = fdopendir(TAKE_FD(bfd));
	struct dirent *de;
	while (dir && (de = readdir(dir))) {
		size_t l = strlen(de->d_name);
		bool backup = (l > 4 && (streq(de->d_name + l - 4, ".bak") || streq(de->d_name + l - 4, ".old") ||
					 streq(de->d_name + l - 4, ".tmp")));
		bool image_file = startswith(de->d_name, "initrd") || startswith(de->d_name, "initramfs");
		if (!backup && !(image_file && !kernel_known(s, de->d_name)))
			continue;
		struct stat st;
		if (fstatat(dirfd(dir), de->d_name, &st, AT_SYMLINK_NOFOLLOW) < 0 || !S_ISREG(st.st_mode))
			continue;
		char line[512];
		snprintf(line, sizeof(line), "/boot/%s", de->d_name);
		if (strv_extend(&paths, line) < 0)
			break;
		snprintf(line, sizeof(line), "/boot/%s (%.1f MiB)", de->d_name, (double)st.st_size / MiB);
		if (strv_extend(&described, line) < 0)
			break;
		bytes += (uint64_t)st.st_size;
	}
	if (dir)
		closedir(dir);
	*ret_paths = TAKE_PTR(paths);
	if (ret_described)
		*ret_described = TAKE_PTR(described);
	*ret_bytes = bytes;
	return 0;
}

static int check_boot_space(struct diag *g) {
	if (g->boot_unmounted)
		return add(g, RSC_SEVERITY_WARNING, RSC_FINDING_BOOT_UNREADABLE, "/boot",
			   "correct /boot's line in fstab (see fstab-device-missing), then diagnose again",
			   "fstab's /boot is on none of the disks and could not be mounted: its kernels, images and "
			   "free space are unknown, so nothing is said of them.",
			   "/boot is not mounted; the root's empty /boot directory is not looked at");
	_cleanup_close_ int bfd = open_in_root(g->rootfd, "/boot", O_RDONLY | O_DIRECTORY);
	struct statvfs sv;
	if (bfd < 0 || fstatvfs(bfd, &sv) < 0)
		return add(g, RSC_SEVERITY_WARNING, RSC_FINDING_BOOT_UNREADABLE, "/boot", "mount the system's /boot (rescue mount)",
			   "/boot could not be examined.", "%s", strerror(errno));
	uint64_t free_b = (uint64_t)sv.f_bavail * sv.f_frsize, total = (uint64_t)sv.f_blocks * sv.f_frsize;
	uint64_t largest = 0;
	for (size_t i = 0; i < g->s->n_kernels; i++)
		if (g->s->kernels[i].initramfs_size > largest)
			largest = g->s->kernels[i].initramfs_size;
	uint64_t need = initramfs_space_needed(g->s);

	/* What could be removed: backups and images of kernels that are gone. */
	_cleanup_strv_free_ char **spare = NULL, **spare_paths = NULL;
	uint64_t spare_b = 0;
	int q = boot_removable(g->rootfd, g->s, &spare_paths, &spare, &spare_b);
	if (q < 0)
		return q;
	_cleanup_free_ char *spare_list = strv_join(spare, ", ");

	int r = 0;
	if (free_b < need)
		r = add(g, RSC_SEVERITY_ERROR, RSC_FINDING_BOOT_SPACE_INSUFFICIENT, "/boot",
			"free space on /boot before rebuilding: remove only what is provably unused (images of kernels "
			"no longer installed, backups), never the kernel being repaired",
			"/boot is too full to write a new initramfs: the generator would fail with 'No space left on "
			"device' and could leave a truncated image behind.",
			"%.1f MiB free of %.1f MiB; a new image needs about %.1f MiB (largest now %.1f MiB); removable: %s",
			(double)free_b / MiB, (double)total / MiB, (double)need / MiB, (double)largest / MiB,
			spare_list ? spare_list : "nothing found");
	else if (free_b < BOOT_FREE_WANTED && total > BOOT_FREE_WANTED)
		r = add(g, RSC_SEVERITY_WARNING, RSC_FINDING_BOOT_SPACE_LOW, "/boot",
			"remove images of kernels no longer installed and old backups from /boot",
			"/boot has room for a rebuild now, but the next kernel update may not fit (keep 200 MB free).",
			"%.1f MiB free of %.1f MiB", (double)free_b / MiB, (double)total / MiB);
	if (r >= 0 && spare && free_b >= need)
		r = add(g, RSC_SEVERITY_INFO, RSC_FINDING_BOOT_LEFTOVERS, "/boot", "they can be removed to free space",
			"Files in /boot that no installed kernel uses.", "%s (%.1f MiB in all)", spare_list,
			(double)spare_b / MiB);
	return r;
}

/* ---- kernels and their initramfs ---- */

const char *bootable_kernel(const struct rsc_system *s) {
	/* The kernels are sorted newest first; Fedora's 0-rescue kernel has no
	 * modules of its own and is never the one to make the default. */
	for (size_t i = 0; i < s->n_kernels; i++)
		if (s->kernels[i].image && s->kernels[i].has_modules && !startswith(s->kernels[i].version, "0-rescue"))
			return s->kernels[i].version;
	return NULL;
}

static int check_kernels(struct diag *g) {
	const struct rsc_system *s = g->s;
	const char *pkg = g->profile ? profile_get(g->profile, "kernel_package") : NULL;
	int r = 0;
	for (size_t i = 0; r >= 0 && i < s->n_kernels; i++) {
		const struct rsc_kernel *k = &s->kernels[i];
		if (startswith(k->version, "0-rescue"))
			continue; /* Fedora's rescue kernel has no modules of its own */
		if (k->image && !k->has_modules) {
			_cleanup_free_ char *p = pkg ? profile_command(g, "kernel_package", k->version, NULL) : NULL;
			_cleanup_free_ char *fix = NULL;
			if (asprintf(&fix, "boot a complete kernel (make the newest one with modules the default); then "
				     "reinstall %s from the running system", p ? p : "the kernel package") < 0)
				return -ENOMEM;
			r = add(g, RSC_SEVERITY_ERROR, RSC_FINDING_KERNEL_MODULES_MISSING, k->version, fix,
				"The kernel is in /boot but its modules are not: an install or removal was interrupted. "
				"It cannot boot, and its initramfs cannot be rebuilt offline (the generator needs the "
				"modules).",
				"%s present; /lib/modules/%s missing", k->image, k->version);
			continue;
		}
		if (!k->image && g->boot_unmounted)
			continue; /* not missing: unknown (boot-unreadable says so) */
		if (!k->image) {
			r = add(g, RSC_SEVERITY_WARNING, RSC_FINDING_KERNEL_IMAGE_MISSING, k->version,
				"reinstall the kernel package, or remove the leftover modules directory",
				"Modules of this kernel are installed but its image is not in /boot.",
				"/lib/modules/%s present; no vmlinuz-%s in /boot", k->version, k->version);
			continue;
		}
		_cleanup_free_ char *fix = rebuild_command(g, k);
		if (!fix)
			return -ENOMEM;
		if (!k->initramfs) {
			r = add(g, RSC_SEVERITY_ERROR, RSC_FINDING_INITRAMFS_MISSING, k->version, fix,
				"The kernel has no initramfs: it starts, cannot mount the root filesystem, and panics.",
				"%s present; no initramfs for %s in /boot", k->image, k->version);
			continue;
		}
		if (k->initramfs_size == 0) {
			r = add(g, RSC_SEVERITY_ERROR, RSC_FINDING_INITRAMFS_EMPTY, k->version, fix,
				"The initramfs is an empty file: a build was interrupted, often by a full /boot.",
				"%s is 0 bytes", k->initramfs);
			continue;
		}
		_cleanup_close_ int fd = open_in_root(g->rootfd, k->initramfs, O_RDONLY);
		rsc_initramfs *img = NULL;
		int q = fd >= 0 ? rsc_initramfs_open_fd(g->ctx, fd, k->initramfs, &img) : fd;
		if (q >= 0)
			q = rsc_initramfs_walk(img, NULL, NULL, NULL);
		if (q < 0) {
			const char *why = img && rsc_initramfs_error(img) ? rsc_initramfs_error(img) : rsc_strerror(q);
			r = add(g, RSC_SEVERITY_ERROR, RSC_FINDING_INITRAMFS_CORRUPT, k->version, fix,
				"The initramfs cannot be unpacked the way the kernel unpacks it: it is truncated or "
				"damaged, and booting it fails.", "%s", why);
			rsc_initramfs_free(img);
			continue;
		}
		struct rsc_verify_result *v = NULL;
		q = rsc_initramfs_verify(g->ctx, img, g->root_dir, k->version, &v);
		rsc_initramfs_free(img);
		if (q < 0) {
			r = add(g, RSC_SEVERITY_WARNING, RSC_FINDING_INITRAMFS_UNVERIFIED, k->version, "check the messages above",
				"Whether this initramfs can mount the root could not be decided.", "%s: %s",
				k->initramfs, rsc_strerror(q));
			continue;
		}
		if (!v->bootable) {
			_cleanup_strv_free_ char **missing = NULL;
			for (size_t j = 0; j < v->n_requirements; j++)
				if (!v->requirements[j].present && !v->requirements[j].optional)
					strv_extend(&missing, v->requirements[j].name);
			_cleanup_free_ char *list = strv_join(missing, ", ");
			r = add(g, RSC_SEVERITY_ERROR, RSC_FINDING_INITRAMFS_CANNOT_MOUNT_ROOT, k->version, fix,
				"The initramfs lacks what it needs to reach the root filesystem (built before the "
				"storage changed, or without host detection): the boot stops at the emergency shell, "
				"'cannot find root device'.",
				"%s misses %s; root is %s", k->initramfs, list ? list : "?", strna(v->stack));
		}
		rsc_verify_result_free(v);
	}
	return r;
}

/* ---- the generator's configuration ---- */

/* How an assignment reads in its file: omit_dracutmodules+=" crypt ". */
static char *assignment_text(const struct rsc_assignment *a) {
	char *s = NULL;
	if (asprintf(&s, "%s line %u: %s%s\"%s\"", a->file, a->line, a->key, a->append ? "+=" : "=", a->text) < 0)
		return NULL;
	return s;
}

/* dracut modules the root's stack cannot boot without. */
static int check_generator_modules(struct diag *g, const struct genconf *c) {
	if (!streq(c->generator, "dracut") || c->n_assignments == 0)
		return 0;
	struct root_stack_summary st = { 0 };
	int r = root_stack_summary(g->ctx, g->rootfd, g->scan->n_devices > 0, &st);
	if (r == -ENOENT)
		return 0; /* no root in fstab: nothing to hold the configuration against */
	if (r < 0)
		return r;
	/* dm is what crypt and lvm depend on: omitting it drops them too. */
	const struct {
		const char *module;
		bool needed;
	} needs[] = {
		{ "crypt", st.luks }, { "lvm", st.lvm }, { "dm", st.luks || st.lvm }, { "mdraid", st.md },
	};
	_cleanup_strv_free_ char **modules = NULL, **lines = NULL;
	const char *subject = NULL;
	for (size_t i = 0; r >= 0 && i < ELEMENTSOF(needs); i++) {
		const struct rsc_assignment *by = NULL;
		if (!needs[i].needed || genconf_dracut_excludes(c, needs[i].module, &by) <= 0 || !by)
			continue;
		_cleanup_free_ char *line = assignment_text(by);
		if (!line || strv_extend(&modules, needs[i].module) < 0 ||
		    (!strv_contains(lines, line) && strv_extend(&lines, line) < 0))
			r = -ENOMEM;
		subject = subject ? subject : by->file;
	}
	if (r >= 0 && modules) {
		_cleanup_free_ char *mods = strv_join(modules, ", "), *where = strv_join(lines, "; "), *fix = NULL;
		if (!mods || !where ||
		    asprintf(&fix, "change that configuration so dracut keeps %s (its omit list wins over --add, also "
			     "on the command line), then rebuild the initramfs", mods) < 0)
			r = -ENOMEM;
		else
			r = add(g, RSC_SEVERITY_ERROR, RSC_FINDING_GENERATOR_OMITS_ROOT_MODULE, subject, fix,
				"dracut's configuration leaves out modules this root needs: every image dracut builds "
				"from it, by a repair or by the next kernel update, cannot reach the root filesystem.",
				"root is %s; dracut leaves out %s: %s", st.description, mods, where);
	}
	root_stack_summary_done(&st);
	return r;
}

/* Does this kernel configuration say the kernel cannot unpack c? Only a
 * real configuration counts (one with initramfs support at all). */
static bool kernel_lacks_decompressor(const char *config, enum rsc_compression c) {
	bool initrd = false;
	for (const char *p = config; p && *p; p = strchr(p, '\n'), p = p ? p + 1 : NULL)
		if (startswith(p, "CONFIG_BLK_DEV_INITRD=y"))
			initrd = true;
	return initrd && !(rsc_kernel_config_decompressors(config) & (1u << c));
}

static int check_generator_compression(struct diag *g, const struct genconf *c) {
	const char *key = genconf_compression_key(c);
	const struct rsc_assignment *by = NULL;
	const char *setting = key ? genconf_get(c, key, &by) : NULL;
	int comp = genconf_compression(setting);
	if (comp <= RSC_COMPRESSION_NONE || !by)
		return 0;
	_cleanup_strv_free_ char **kernels = NULL;
	for (size_t i = 0; i < g->s->n_kernels; i++) {
		const struct rsc_kernel *k = &g->s->kernels[i];
		if (!k->image || startswith(k->version, "0-rescue"))
			continue;
		char path[PATH_MAX];
		snprintf(path, sizeof(path), "/boot/config-%s", k->version);
		_cleanup_free_ char *config = NULL;
		if (read_file_in_root(g->rootfd, path, READ_FILE_MAX, &config, NULL) < 0)
			continue;
		if (kernel_lacks_decompressor(config, (enum rsc_compression)comp) && strv_extend(&kernels, path) < 0)
			return -ENOMEM;
	}
	if (!kernels)
		return 0;
	_cleanup_free_ char *line = assignment_text(by), *list = strv_join(kernels, ", "), *fix = NULL;
	const char *name = rsc_compression_to_string((enum rsc_compression)comp);
	if (!line || !list ||
	    asprintf(&fix, "set %s to a compressor the kernel unpacks (gzip is built into nearly every kernel), "
		     "then rebuild the initramfs", key) < 0)
		return -ENOMEM;
	return add(g, RSC_SEVERITY_ERROR, RSC_FINDING_GENERATOR_COMPRESSION_UNSUPPORTED, by->file, fix,
		   "The generator is configured to compress the initramfs in a format this kernel was built "
		   "without: the kernel cannot unpack the image and the boot stops at once.",
		   "%s (%s); %s is not set in %s", line, name,
		   rsc_compression_kconfig((enum rsc_compression)comp), list);
}

static int check_generator_config(struct diag *g) {
	if (!g->s->generator)
		return 0;
	struct genconf c = { 0 };
	int r = genconf_read(g->ctx, g->rootfd, g->s->generator, &c);
	if (r == -EOPNOTSUPP)
		return 0;
	if (r < 0)
		return r;
	r = check_generator_modules(g, &c);
	if (r >= 0)
		r = check_generator_compression(g, &c);
	genconf_done(&c);
	return r;
}

/* ---- boot entries and the kernel command line ---- */

/* A boot entry's path as the system sees it: GRUB and BLS paths are
 * relative to the filesystem holding them. */
char *boot_entry_path(bool separate_boot, const char *p, bool bls) {
	if (p[0] == '(') { /* (hd0,gpt2)/vmlinuz */
		const char *e = strchr(p, ')');
		p = e ? e + 1 : p;
	}
	bool separate = separate_boot || bls;
	if (separate && !startswith(p, "/boot/"))
		return path_join("/boot", p);
	return strdup(p);
}

bool boot_entry_is_bls(const struct rsc_boot_entry *e) {
	size_t l = strlen(e->source);
	return l > 5 && streq(e->source + l - 5, ".conf");
}

/* Does spec name a root no disk has? Only specs that name one device
 * exactly (UUID=, LABEL=, PARTUUID=, /dev/mapper/) count: a /dev/sdX name
 * may come and go with the disks' order. */
static bool root_spec_unknown(const struct diag *g, const char *spec) {
	return scan_find_device(g->scan, spec) < 0 &&
	       (startswith(spec, "UUID=") || startswith(spec, "/dev/mapper/") || startswith(spec, "LABEL=") ||
		startswith(spec, "PARTUUID="));
}

/* "root=X in FILE line N", saying which one counts when there are several. */
static char *param_where(const struct cmdline *c, const struct cmdline_param *p) {
	unsigned n = cmdline_count(c, p->key);
	char line[32] = "", many[160] = "";
	if (p->line)
		snprintf(line, sizeof(line), " line %u", p->line);
	if (n > 1)
		snprintf(many, sizeof(many), " (the last of %u %s= there: the one the kernel and dracut use)", n,
			 p->key);
	char *s = NULL;
	if (asprintf(&s, "%s=%s in %s%s%s", p->key, p->value, p->file, line, many) < 0)
		return NULL;
	return s;
}

static int check_cmdline(struct diag *g, const struct rsc_boot_entry *e) {
	const struct rsc_scan *scan = g->scan;
	if (!e->options || scan->n_devices == 0)
		return 0;
	/* Split as the kernel splits it; a parameter given twice counts by
	 * its last value, as the kernel and dracut take it. */
	struct cmdline c = { 0 };
	int r = cmdline_add(&c, e->options, e->source, e->options_line);
	const char *subject = e->title ? e->title : e->source;
	const struct cmdline_param *p;
	if (r >= 0 && (p = cmdline_last(&c, "root"))) {
		const char *v = p->value;
		int dev = scan_find_device(scan, v);
		_cleanup_free_ char *where = param_where(&c, p);
		if (!where)
			r = -ENOMEM;
		else if (root_spec_unknown(g, v))
			r = add(g, RSC_SEVERITY_ERROR, RSC_FINDING_CMDLINE_ROOT_UNKNOWN, subject,
				"regenerate the boot configuration from the system's fstab (grub-mkconfig), or correct root=",
				"The boot entry tells the kernel to mount a root filesystem that is on none of the disks: "
				"the initramfs waits for it, then drops to the emergency shell.",
				"%s; the system's root is %s", where,
				g->root_dev >= 0 ? scan->devices[g->root_dev].name : "elsewhere");
		else if (dev >= 0 && g->root_dev >= 0 && dev != g->root_dev &&
			 strcmp(scan->devices[dev].uuid ? scan->devices[dev].uuid : "",
				strempty(scan->devices[g->root_dev].uuid)) != 0)
			r = add(g, RSC_SEVERITY_WARNING, RSC_FINDING_CMDLINE_ROOT_OTHER, subject,
				"regenerate the boot configuration (grub-mkconfig)",
				"The boot entry names another system's root filesystem.", "root=%s is %s, not %s", v,
				scan->devices[dev].name, scan->devices[g->root_dev].name);
	}
	for (p = NULL; r >= 0 && (p = cmdline_next(&c, "rd.luks.uuid", p));) {
		const char *u = startswith(p->value, "luks-") ? p->value + 5 : p->value;
		bool found = false;
		for (size_t i = 0; i < scan->n_devices; i++)
			found = found || (streq_ptr(scan->devices[i].type, "crypto_LUKS") && streq_ptr(scan->devices[i].uuid, u));
		if (!found)
			r = add(g, RSC_SEVERITY_ERROR, RSC_FINDING_CMDLINE_LUKS_UNKNOWN, subject,
				"regenerate the boot configuration, or correct rd.luks.uuid=",
				"The boot entry asks the initramfs to unlock a LUKS volume that is on none of the disks.",
				"rd.luks.uuid=%s in %s", p->value, e->source);
	}
	for (p = NULL; r >= 0 && (p = cmdline_next(&c, "rd.lvm.lv", p));) {
		const char *v = p->value;
		const char *slash = strchr(v, '/');
		bool found = false;
		for (size_t i = 0; slash && i < scan->n_vgs; i++)
			if (strncmp(scan->vgs[i].name, v, (size_t)(slash - v)) == 0 && !scan->vgs[i].name[slash - v])
				found = strv_contains(scan->vgs[i].lvs, slash + 1);
		if (!found)
			r = add(g, RSC_SEVERITY_ERROR, RSC_FINDING_CMDLINE_LV_UNKNOWN, subject,
				"regenerate the boot configuration, or correct rd.lvm.lv=",
				"The boot entry asks the initramfs to activate a logical volume that does not exist "
				"(or is inside a locked volume: unlock it and diagnose again).",
				"rd.lvm.lv=%s in %s", v, e->source);
	}
	if (r >= 0 && (p = cmdline_last(&c, "resume")) && !streq(p->value, "none")) {
		int dev = scan_find_device(scan, p->value);
		if (dev < 0)
			r = add(g, RSC_SEVERITY_WARNING, RSC_FINDING_CMDLINE_RESUME_UNKNOWN, subject,
				"regenerate the boot configuration; on Debian also check /etc/initramfs-tools/conf.d/resume",
				"The boot entry names a swap to resume from that is on none of the disks: the initramfs "
				"may wait for it before going on.", "resume=%s in %s", p->value, e->source);
	}
	cmdline_done(&c);
	return r;
}

static int check_boot_entries(struct diag *g) {
	const struct rsc_system *s = g->s;
	int r = 0;
	if (s->bootloader && startswith(s->bootloader, "grub") && !s->grub_cfg && !s->bls)
		r = add(g, RSC_SEVERITY_ERROR, RSC_FINDING_GRUB_CONFIG_MISSING, "GRUB",
			"generate it: grub-mkconfig -o /boot/grub/grub.cfg (grub2-mkconfig and /boot/grub2 on Fedora)",
			"GRUB is installed but has no configuration: it stops at its own prompt.", "no grub.cfg in /boot");
	_cleanup_strv_free_ char **seen = NULL;
	for (size_t i = 0; r >= 0 && i < s->n_entries; i++) {
		const struct rsc_boot_entry *e = &s->entries[i];
		const char *subject = e->title ? e->title : e->source;
		bool first = i == 0;
		const char *files[2] = { e->kernel, e->initrd };
		for (size_t f = 0; r >= 0 && f < 2; f++) {
			if (!files[f] || strchr(files[f], '$'))
				continue;
			_cleanup_free_ char *p = boot_entry_path(g->separate_boot, files[f], boot_entry_is_bls(e));
			if (!p)
				return -ENOMEM;
			if (!exists_in_root(g->rootfd, p))
				r = add(g, first ? RSC_SEVERITY_ERROR : RSC_SEVERITY_WARNING, RSC_FINDING_BOOT_ENTRY_MISSING_FILE, subject,
					"regenerate the boot configuration (grub-mkconfig) after the kernels are complete",
					"A boot entry points at a file that is not there: choosing it fails"
					" (GRUB: 'file not found').", "%s %s: %s is missing", e->source, f ? "initrd" : "linux",
					p);
		}
		/* The same command line repeats in every entry: check it once. */
		if (r >= 0 && e->options && !strv_contains(seen, e->options)) {
			strv_extend(&seen, e->options);
			r = check_cmdline(g, e);
		}
	}
	/* The default entry (the first): does it boot a complete kernel? */
	if (r >= 0 && s->n_entries && s->entries[0].kernel) {
		const char *name = strrchr(s->entries[0].kernel, '/');
		name = name ? name + 1 : s->entries[0].kernel;
		const char *ver = startswith(name, "vmlinuz-");
		/* Fedora's rescue kernel boots with a generic image and no modules
		 * of its own: never a finding (as in the kernel checks above). */
		if (ver && startswith(ver, "0-rescue"))
			ver = NULL;
		for (size_t k = 0; ver && r >= 0 && k < s->n_kernels; k++)
			if (streq(s->kernels[k].version, ver) && !s->kernels[k].has_modules) {
				const char *good = bootable_kernel(s);
				_cleanup_free_ char *fix = NULL;
				if (asprintf(&fix, "make %s the default boot entry (GRUB_DEFAULT / grub-set-default)",
					     good ? good : "a complete kernel") < 0)
					return -ENOMEM;
				r = add(g, RSC_SEVERITY_ERROR, RSC_FINDING_DEFAULT_KERNEL_UNBOOTABLE, ver, fix,
					"The default boot entry starts a kernel whose modules are missing.",
					"default entry '%s' boots %s", strna(s->entries[0].title), s->entries[0].kernel);
			}
	}
	return r;
}

/* ---- the command-line defaults new entries are made from ---- */

static int check_cmdline_defaults(struct diag *g) {
	const struct rsc_system *s = g->s;
	if (g->scan->n_devices == 0)
		return 0; /* no devices seen: "not there" cannot be known */
	struct cmdline_defaults d = { 0 };
	int r = cmdline_defaults_read(g->ctx, g->rootfd, &d);
	if (r < 0)
		return r;
	const struct {
		bool used;
		const struct cmdline *c;
		const char *fix;
	} sources[] = {
		/* /etc/default/grub matters only where GRUB boots. */
		{ d.has_grub && s->bootloader && startswith(s->bootloader, "grub"), &d.grub,
		  "correct root= on that line, or remove it (grub-mkconfig writes the right root= itself); then "
		  "regenerate the boot configuration (grub-mkconfig)" },
		{ d.has_kernel, &d.kernel,
		  "correct root= in /etc/kernel/cmdline (the root fstab names); then regenerate the boot entries" },
	};
	for (size_t i = 0; r >= 0 && i < ELEMENTSOF(sources); i++) {
		const struct cmdline_param *p = sources[i].used ? cmdline_last(sources[i].c, "root") : NULL;
		if (!p || !root_spec_unknown(g, p->value))
			continue;
		_cleanup_free_ char *where = param_where(sources[i].c, p);
		if (!where)
			r = -ENOMEM;
		else
			r = add(g, RSC_SEVERITY_ERROR, RSC_FINDING_CMDLINE_DEFAULT_ROOT_UNKNOWN, p->file, sources[i].fix,
				"The command line new boot entries are made from names a root filesystem that is on "
				"none of the disks: regenerating the boot menu writes it into every entry again.",
				"%s; the system's root is %s", where,
				g->root_dev >= 0 ? g->scan->devices[g->root_dev].name : "elsewhere");
	}
	cmdline_defaults_done(&d);
	return r;
}

/* ---- the ESP stub ---- */

static int check_esp(struct diag *g) {
	const struct rsc_system *s = g->s;
	const char *stub = g->profile ? profile_get(g->profile, "esp_stub") : NULL;
	bool efi = s->bootloader && strstr(s->bootloader, "efi");
	if (!efi || !stub)
		return 0;
	if (g->esp_dev >= 0 && g->scan->devices[g->esp_dev].error && !s->esp_grub_cfg)
		return add(g, RSC_SEVERITY_WARNING, RSC_FINDING_ESP_UNREADABLE, g->scan->devices[g->esp_dev].name,
			   "check it: fsck.vfat -n", "The EFI system partition could not be read.", "%s",
			   g->scan->devices[g->esp_dev].error);
	if (!s->esp_grub_cfg)
		return add(g, RSC_SEVERITY_ERROR, RSC_FINDING_ESP_STUB_MISSING, stub,
			   "write the stub: three lines that search /boot by UUID and load its grub.cfg",
			   "UEFI firmware starts GRUB from the ESP, which looks for its configuration there first: "
			   "without the stub that leads to /boot, GRUB stops at its prompt.",
			   "no %s on the ESP", stub);
	if (streq_ptr(s->esp_grub_cfg_kind, "full"))
		return add(g, RSC_SEVERITY_ERROR, RSC_FINDING_ESP_STUB_REPLACED, s->esp_grub_cfg,
			   "restore the stub that loads /boot's grub.cfg (the full copy is kept as a backup)",
			   "The ESP holds a full GRUB configuration instead of the small stub that loads the real one "
			   "from /boot: kernel updates change /boot's copy only, so this one goes stale.",
			   "%s contains menu entries", s->esp_grub_cfg);
	int holder = g->boot_dev >= 0 ? g->boot_dev : g->root_dev;
	const char *want = holder >= 0 ? g->scan->devices[holder].uuid : NULL;
	if (s->esp_stub_uuid && want && !streq(s->esp_stub_uuid, want))
		return add(g, RSC_SEVERITY_ERROR, RSC_FINDING_ESP_STUB_WRONG_UUID, s->esp_grub_cfg,
			   "point the stub at the filesystem holding /boot",
			   "The ESP stub searches for a filesystem that is not the one holding /boot.",
			   "stub searches UUID %s; /boot is on UUID %s", s->esp_stub_uuid, want);
	return 0;
}

/* ---- what UEFI firmware loads ---- */

/* Where this system's UEFI GRUB lives on the ESP ("/EFI/debian"), from the
 * stub found there, else the profile's. */
static char *esp_loader_dir(const struct diag *g) {
	const char *stub = g->s->esp_grub_cfg ? g->s->esp_grub_cfg :
			   g->profile ? profile_get(g->profile, "esp_stub") : NULL;
	char *dir = stub ? strdup(stub) : NULL;
	char *slash = dir ? strrchr(dir, '/') : NULL;
	if (slash && slash != dir) {
		*slash = 0;
		return dir;
	}
	free(dir);
	return NULL;
}

/* Whether the system boots through UEFI GRUB: an ESP in its fstab, and
 * GRUB's x86_64-efi platform, shim or GRUB's stub config on the ESP
 * installed (a system whose loader files are all gone is still recognised
 * by what its packages left). */
static bool uses_uefi_grub(const struct diag *g, const char **ret_esp) {
	static const char *const evidence[] = {
		"/usr/lib/grub/x86_64-efi", "/usr/lib/grub/x86_64-efi-signed", "/boot/grub/x86_64-efi",
		"/boot/grub2/x86_64-efi", "/usr/lib/shim/shimx64.efi.signed",
	};
	const char *esp = NULL;
	for (size_t i = 0; i < g->s->n_fstab; i++)
		if (streq(g->s->fstab[i].target, "/boot/efi") || streq(g->s->fstab[i].target, "/efi"))
			esp = g->s->fstab[i].target;
	if (!esp || streq_ptr(g->s->bootloader, "systemd-boot"))
		return false;
	*ret_esp = esp;
	for (size_t i = 0; i < ELEMENTSOF(evidence); i++)
		if (exists_in_root(g->rootfd, evidence[i]))
			return true;
	/* Where the profile says the loaders are files of packages put only
	 * on the ESP (Fedora, openSUSE: no platform directory under /usr),
	 * the stub config those packages also put there is what is left of
	 * them. Elsewhere a stub alone may be a leftover. */
	char stub[512];
	return g->profile && profile_get(g->profile, "efi_loader_reinstall") && g->s->esp_grub_cfg && snprintf(stub, sizeof(stub), "%s%s", esp, g->s->esp_grub_cfg) < (int)sizeof(stub) &&
	       exists_in_root(g->rootfd, stub);
}

/* What the firmware's boot entries (NVRAM) say about this system's ESP. */
struct nvram {
	bool known;        /* booted through UEFI: the entries were read */
	bool starts_own;   /* an active entry in BootOrder starts a file of dir or EFI/BOOT that is there */
};

/* The ESP's files compare without case, like FAT. */
static bool esp_path_in(const char *path, const char *dir) {
	size_t n = strlen(dir);
	return strncasecmp(path, dir, n) == 0 && path[n] == '/';
}

static int disk_of(const struct rsc_scan *scan, int dev);

static int check_nvram(struct diag *g, const char *esp, const char *dir, struct nvram *ret) {
	const struct rsc_device *part = &g->scan->devices[g->esp_dev];
	struct efi_boot_entry *e = NULL;
	size_t n = 0;
	int r = efi_boot_entries_read(efi_vars_dir(), &e, &n);
	if (r == -ENOMEM)
		return r;
	/* Not booted through UEFI, or the ESP's partition is unknown, or it is
	 * in an image file (this machine's entries are not the image's). */
	int disk = disk_of(g->scan, g->esp_dev);
	if (r < 0 || !part->part_uuid || (disk >= 0 && g->scan->devices[disk].kind == RSC_DEVICE_IMAGE)) {
		efi_boot_entries_free(e, n);
		return 0;
	}
	ret->known = true;
	for (size_t i = 0; r >= 0 && i < n; i++) {
		if (!e[i].part_uuid || strcasecmp(e[i].part_uuid, part->part_uuid) != 0 || !e[i].path)
			continue;
		char p[512];
		snprintf(p, sizeof(p), "%s%s", esp, e[i].path);
		bool there = exists_in_root(g->rootfd, p);
		bool active = (e[i].attributes & EFI_LOAD_OPTION_ACTIVE) && e[i].order >= 0;
		if (there && active && (esp_path_in(e[i].path, dir) || esp_path_in(e[i].path, "/EFI/BOOT")))
			ret->starts_own = true;
		char name[16];
		snprintf(name, sizeof(name), "Boot%04X", e[i].number);
		/* The same file on the same partition as an earlier entry (the
		 * ESP is FAT: no case). Reported, never removed: entries are
		 * the firmware's and the running system's, not ours. */
		size_t first = 0;
		while (first < i && !(e[first].part_uuid && e[first].path &&
				      strcasecmp(e[first].part_uuid, e[i].part_uuid) == 0 &&
				      strcasecmp(e[first].path, e[i].path) == 0))
			first++;
		if (first < i)
			r = add(g, RSC_SEVERITY_INFO, RSC_FINDING_NVRAM_ENTRY_DUPLICATE, name,
				"keep one of them, from a system booted through UEFI: efibootmgr -b NUMBER -B",
				"Two firmware boot entries start the same file: the firmware's menu lists it twice, "
				"and a change to one (an update's efibootmgr) may leave the other stale.",
				"%s \"%s\" starts %s on %s (partition %u), as Boot%04X \"%s\" does", name,
				e[i].description, e[i].path, part->name, e[i].partno, e[first].number,
				e[first].description);
		if (r >= 0 && !there)
			r = add(g, RSC_SEVERITY_WARNING, RSC_FINDING_NVRAM_ENTRY_DEAD, name,
				"remove or correct the entry from a system booted through UEFI: efibootmgr",
				"A firmware boot entry points at a file this ESP does not hold: the firmware tries it, "
				"fails and goes on to the next entry (some firmware stops there).",
				"%s \"%s\"%s points at %s on %s (partition %u), which is not there", name,
				e[i].description, e[i].order >= 0 ? "" : " (not in BootOrder)", e[i].path, part->name,
				e[i].partno);
	}
	efi_boot_entries_free(e, n);
	return r < 0 ? r : 0;
}

/* What a firmware boot entry for the loader at path (under the ESP mounted
 * at esp) needs: the ESP's disk, number, place and GUID. Without them (a
 * disk without a /dev node) there is none, and the plan falls back to the
 * removable-media copy. */
static int note_efi_entry(struct diag *g, const char *esp, const char *path, const char *dir) {
	const struct rsc_device *part = &g->scan->devices[g->esp_dev];
	int disk = disk_of(g->scan, g->esp_dev);
	if (disk < 0 || !g->scan->devices[disk].node || !part->part_uuid || part->partno <= 0 || !part->part_start)
		return 0;
	struct rsc_efi_entry *e = calloc(1, sizeof(*e));
	if (!e)
		return -ENOMEM;
	g->d->efi_entry = e;
	e->partno = (uint32_t)part->partno;
	e->start = part->part_start;
	e->size = part->size;
	e->writable = efi_vars_writable(efi_vars_dir());
	e->existing = -1;
	const char *id = strrchr(dir, '/');
	if (set_str(&e->disk, g->scan->devices[disk].node) < 0 || set_str(&e->esp, part->name) < 0 ||
	    set_str(&e->part_uuid, part->part_uuid) < 0 || set_str(&e->loader, path + strlen(esp)) < 0 ||
	    set_str(&e->label, id ? id + 1 : dir) < 0)
		return -ENOMEM;
	/* An entry for it that the firmware skips (inactive, or left out of
	 * BootOrder) is taken up rather than doubled. */
	struct efi_boot_entry *list = NULL;
	size_t n = 0;
	if (efi_boot_entries_read(efi_vars_dir(), &list, &n) == -ENOMEM)
		return -ENOMEM;
	for (size_t i = 0; i < n && e->existing < 0; i++) {
		char p[512];
		if (!list[i].part_uuid || strcasecmp(list[i].part_uuid, part->part_uuid) != 0 || !list[i].path ||
		    !esp_path_in(list[i].path, dir) || snprintf(p, sizeof(p), "%s%s", esp, list[i].path) >= (int)sizeof(p) ||
		    !exists_in_root(g->rootfd, p))
			continue;
		e->existing = (int)list[i].number;
		e->existing_inactive = !(list[i].attributes & EFI_LOAD_OPTION_ACTIVE);
		if (set_str(&e->loader, list[i].path) < 0) {
			efi_boot_entries_free(list, n);
			return -ENOMEM;
		}
	}
	efi_boot_entries_free(list, n);
	return 0;
}

/* The loader files the firmware may start: the system's own directory,
 * where an NVRAM entry points (shim, which loads grubx64.efi beside it; or
 * GRUB alone), and the removable path every firmware tries when no entry
 * works. Which entries exist is known only when the rescue system was
 * booted through UEFI (check_nvram). */
static int check_esp_loader(struct diag *g) {
	const char *esp = NULL;
	if (!uses_uefi_grub(g, &esp) || g->esp_dev < 0 || g->scan->devices[g->esp_dev].error)
		return 0;
	/* Not mounted (a stand-in refused, a read error): nothing is known.
	 * A mounted ESP is another filesystem, or (a system root given as a
	 * directory) holds an EFI directory. */
	struct stat rst, est;
	char efi[256];
	snprintf(efi, sizeof(efi), "%s/EFI", esp);
	if (fstat(g->rootfd, &rst) < 0 || stat_in_root(g->rootfd, esp, &est) < 0 ||
	    (rst.st_dev == est.st_dev && !exists_in_root(g->rootfd, efi)))
		return 0;
	_cleanup_free_ char *dir = esp_loader_dir(g);
	if (!dir)
		return 0;
	/* GRUB installed for BIOS too: the machine may start that way. */
	bool bios = exists_in_root(g->rootfd, "/boot/grub/i386-pc/core.img") ||
		    exists_in_root(g->rootfd, "/boot/grub2/i386-pc/core.img");
	char shim[512], grub[512], removable[512];
	snprintf(shim, sizeof(shim), "%s%s/shimx64.efi", esp, dir);
	snprintf(grub, sizeof(grub), "%s%s/grubx64.efi", esp, dir);
	snprintf(removable, sizeof(removable), "%s/EFI/BOOT/BOOTX64.EFI", esp);
	bool has_shim = exists_in_root(g->rootfd, shim), has_grub = exists_in_root(g->rootfd, grub);
	bool has_removable = exists_in_root(g->rootfd, removable);
	/* The system's own entry works with GRUB there (shim needs it beside
	 * itself); the removable path with its loader there. */
	bool own = has_grub;
	const char *fix = "reinstall the system's signed loader chain on the ESP from the system: grub-install "
			  "--target=x86_64-efi";
	/* A family whose loaders on the ESP come only from its packages: the
	 * profile's command that reinstalls them. */
	_cleanup_free_ char *pkg_fix = NULL;
	const char *pkgs = g->profile ? profile_get(g->profile, "efi_loader_reinstall") : NULL;
	if (pkgs && !profile_get(g->profile, "grub_install_efi")) {
		if (asprintf(&pkg_fix, "reinstall the packages of the system's loaders (network or install medium): %s",
			     pkgs) < 0)
			return -ENOMEM;
		fix = pkg_fix;
	}
	/* Booted through UEFI, the firmware's boot entries are known too:
	 * the own loader helps only through an entry that starts it. */
	struct nvram nv = {};
	int r = check_nvram(g, esp, dir, &nv);
	if (r < 0)
		return r;
	if (nv.known && own && !nv.starts_own && !has_removable) {
		r = note_efi_entry(g, esp, has_shim ? shim : grub, dir);
		if (r < 0)
			return r;
		return add(g, RSC_SEVERITY_ERROR, RSC_FINDING_ESP_LOADER_MISSING, dir, fix,
			   "This system's loader is on the ESP, but no firmware boot entry starts it and the "
			   "removable-media path every firmware tries is empty: nothing starts GRUB.",
			   "%s: %s is there; no active entry in BootOrder points at it; no %s",
			   g->scan->devices[g->esp_dev].name, has_shim ? shim : grub, removable);
	}
	if (own && has_removable)
		return 0;
	if (!own && !has_removable)
		return add(g, bios ? RSC_SEVERITY_WARNING : RSC_SEVERITY_ERROR, RSC_FINDING_ESP_LOADER_MISSING, dir, fix,
			   bios ? "GRUB is installed for BIOS, and for UEFI without a loader on the ESP: started "
				  "through UEFI the firmware finds nothing; through BIOS (legacy) it boots." :
			   "The firmware starts a loader file on the ESP: neither this system's own loader nor the "
			   "removable-media path every firmware tries is there, so nothing starts GRUB.",
			   "%s: no %s%s, no %s", g->scan->devices[g->esp_dev].name,
			   has_shim ? grub : shim, has_shim ? " (shim is there, but not the GRUB it loads)" :
			   !has_grub ? " or grubx64.efi" : "", removable);
	if (!own)
		return add(g, RSC_SEVERITY_WARNING, RSC_FINDING_ESP_LOADER_MISSING, dir, fix,
			   "This system's own loader is gone from the ESP: a firmware boot entry pointing at it finds "
			   "nothing; the machine starts only while the firmware falls back to the removable-media path.",
			   "%s: no %s; %s is there", g->scan->devices[g->esp_dev].name, has_shim ? grub : shim, removable);
	return 0;
}

/* ---- what the BIOS loads ---- */

/* The whole disk (or image) a device sits on, or -1. */
static int disk_of(const struct rsc_scan *scan, int dev) {
	for (unsigned hops = 0; dev >= 0 && (size_t)dev < scan->n_devices && hops < 32; hops++) {
		if (scan->devices[dev].kind == RSC_DEVICE_DISK || scan->devices[dev].kind == RSC_DEVICE_IMAGE)
			return dev;
		dev = scan->devices[dev].parent;
	}
	return -1;
}

/* Does an intact core's prefix lead to this system's GRUB directory?
 * Only positive evidence counts: a partition number other than the one
 * holding /boot, or a directory that is not there. */
static int check_prefix(struct diag *g, int disk, const struct grub_core *c) {
	if (c->config)
		return 0;   /* an embedded config sets the prefix itself (search by UUID) */
	const struct rsc_device *d = &g->scan->devices[disk];
	int holder = g->boot_dev >= 0 ? g->boot_dev : g->root_dev;
	int holder_partno = holder >= 0 && g->scan->devices[holder].kind == RSC_DEVICE_PARTITION &&
			    disk_of(g->scan, holder) == disk ? g->scan->devices[holder].partno : 0;
	/* "(,msdos1)/boot/grub": a partition of the disk GRUB started from,
	 * then the directory in its filesystem. */
	const char *dir = c->prefix && c->prefix[0] == '(' ? strchr(c->prefix, ')') : NULL;
	dir = dir ? dir + 1 : c->prefix;
	const char *part = c->prefix ? strchr(c->prefix, ',') : NULL;
	int partno = 0;
	if (!part || part > dir || (sscanf(part, ",msdos%d)", &partno) != 1 && sscanf(part, ",gpt%d)", &partno) != 1))
		partno = 0;
	const char *why = NULL;
	char path[512];
	if (!dir || !*dir)
		why = "it names no directory";
	else if (partno && holder_partno && partno != holder_partno)
		why = "it names another partition than the one holding /boot";
	else if (snprintf(path, sizeof(path), "%s%s/i386-pc/normal.mod", g->separate_boot ? "/boot" : "", dir) <
			 (int)sizeof(path) && !exists_in_root(g->rootfd, path))
		why = "that directory holds no i386-pc/normal.mod";
	if (!why)
		return 0;
	return add(g, RSC_SEVERITY_ERROR, RSC_FINDING_GRUB_PREFIX_MISSING, d->name,
		   "reinstall GRUB on the disk so its core points at /boot/grub: grub-install --target=i386-pc",
		   "GRUB's core image loads its modules and menu from the directory its prefix names; that "
		   "directory is not this system's GRUB directory, so GRUB stops at 'grub rescue>'.",
		   "%s: the core's prefix is '%s': %s", d->name, strempty(c->prefix), why);
}

#define BIOS_BOOT_GUID "21686148-6449-6e6f-744e-656564454649"

/* What the planner needs of a disk read here: where it is, its partition
 * table, the room GRUB embeds its core in. */
static int note_bios_disk(struct diag *g, int disk, bool holds_boot, bool readable, bool grub_code, bool boots) {
	const struct rsc_device *d = &g->scan->devices[disk];
	struct rsc_bios_disk *m = realloc(g->d->bios_disks, (g->d->n_bios_disks + 1) * sizeof(*m));
	if (!m)
		return -ENOMEM;
	g->d->bios_disks = m;
	struct rsc_bios_disk *b = &m[g->d->n_bios_disks];
	*b = (struct rsc_bios_disk){ .offset = d->offset, .size = d->size, .holds_boot = holds_boot,
				     .readable = readable, .grub_code = grub_code, .boots = boots };
	if (set_str(&b->name, d->name) < 0 || set_str(&b->file, d->file) < 0 || set_str(&b->table, d->table) < 0) {
		free(b->name), free(b->file), free(b->table);
		return -ENOMEM;
	}
	for (size_t i = 0; i < g->scan->n_devices; i++) {
		const struct rsc_device *p = &g->scan->devices[i];
		if (p->kind != RSC_DEVICE_PARTITION || p->parent != disk || p->offset < d->offset)
			continue;
		uint64_t at = p->offset - d->offset;
		if (!b->first_partition || at < b->first_partition)
			b->first_partition = at;
		if (p->part_type && strcasecmp(p->part_type, BIOS_BOOT_GUID) == 0 && !b->bios_boot_size) {
			b->bios_boot_offset = at;
			b->bios_boot_size = p->size;
		}
	}
	g->d->n_bios_disks++;
	return 0;
}

static int check_bios(struct diag *g) {
	/* Only where BIOS GRUB is the one boot loader: with an EFI GRUB too,
	 * the firmware may never run the MBR. */
	if (!streq_ptr(g->s->bootloader, "grub-bios"))
		return 0;
	/* grub-install leaves the core it embeds in /boot: without one, GRUB
	 * was never installed for BIOS on this system's disks (its modules
	 * alone are copied by packages and tools), so an MBR without GRUB
	 * is no evidence of anything. It also tells which build the modules
	 * beside it are. */
	_cleanup_free_ char *boot_img = NULL, *core_img = NULL;
	struct bios_reference ref = {};
	if (read_file_in_root(g->rootfd, "/boot/grub/i386-pc/core.img", 1u << 20, &core_img, &ref.core_img_size) < 0 &&
	    read_file_in_root(g->rootfd, "/boot/grub2/i386-pc/core.img", 1u << 20, &core_img, &ref.core_img_size) < 0)
		return 0;
	/* The system's own boot.img, to say whether the MBR is its version. */
	if (read_file_in_root(g->rootfd, "/usr/lib/grub/i386-pc/boot.img", 4096, &boot_img, &ref.boot_img_size) < 0)
		ref.boot_img_size = 0;
	ref.boot_img = (const uint8_t *)boot_img;
	ref.core_img = (const uint8_t *)core_img;

	int disks[2] = { disk_of(g->scan, g->boot_dev), disk_of(g->scan, g->root_dev) };
	if (disks[1] == disks[0])
		disks[1] = -1;
	struct mbr_bootcode m[2];
	struct grub_core c[2] = {};
	bool read[2] = {}, stale[2] = {}, boots = false;
	for (int i = 0; i < 2; i++) {
		const struct rsc_device *d = disks[i] >= 0 ? &g->scan->devices[disks[i]] : NULL;
		int r = d ? bios_disk_read(d->file, d->offset, &ref, &m[i], &c[i], &stale[i]) : -ENODEV;
		if (r == -ENOMEM)
			return r;
		if (d && r < 0)
			log_notice(g->ctx, "%s: the boot code could not be read (%s): whether the BIOS can start GRUB "
				   "from it is unknown", d->name, strerror(-r));
		read[i] = r >= 0;
		bool ok = read[i] && m[i].code == MBR_CODE_GRUB && c[i].state == GRUB_CORE_INTACT && !stale[i];
		boots = boots || ok;
		if (d && (r = note_bios_disk(g, disks[i], i == 0 || disks[0] < 0, read[i], read[i] && m[i].code == MBR_CODE_GRUB, ok)) < 0)
			return r;
	}
	/* Which disk the BIOS starts cannot be known: while one of them starts
	 * GRUB, another without boot code is no evidence of a problem, and a
	 * broken GRUB on it is only a warning. */
	enum rsc_severity sev = boots ? RSC_SEVERITY_WARNING : RSC_SEVERITY_ERROR;
	const char *fix = "reinstall GRUB's boot code and core on this disk from the system: "
			  "grub-install --target=i386-pc";
	int r = 0;
	for (int i = 0; i < 2; i++) {
		if (!read[i])
			continue;
		const struct rsc_device *d = &g->scan->devices[disks[i]];
		unsigned long long at = (unsigned long long)m[i].core_sector;
		/* GRUB still starts (it corrects this at each start), so it is
		 * no reason to write to the disk: a warning with the margin. */
		if (r >= 0 && m[i].code == MBR_CODE_GRUB && c[i].state == GRUB_CORE_INTACT && c[i].rs_worst)
			r = add(g, RSC_SEVERITY_WARNING, RSC_FINDING_GRUB_CORE_DAMAGED, d->name, fix,
				"Part of GRUB's core on the disk is damaged, but within what GRUB corrects from the "
				"parity written after it, at each start: GRUB still starts. More damage there would "
				"stop it; reinstalling GRUB writes the core whole again.",
				"%s: the core at sector %llu differs from /boot's core.img of the same build in up to %u "
				"byte(s) per code word of its Reed-Solomon parity, which corrects %u", d->name, at,
				c[i].rs_worst, c[i].rs_capacity);
		if (r >= 0 && m[i].code == MBR_CODE_ZERO && !boots)
			r = add(g, RSC_SEVERITY_ERROR, RSC_FINDING_BIOS_BOOT_CODE_MISSING, d->name, fix,
				"The boot code in the disk's first sector is all zeros: the BIOS finds nothing to start.",
				"%s: bytes 0-439 of sector 0 are zero%s", d->name,
				m[i].signature ? "" : ", no 55 aa signature");
		else if (r >= 0 && m[i].code == MBR_CODE_OTHER && !boots)
			r = add(g, RSC_SEVERITY_WARNING, RSC_FINDING_BIOS_BOOT_CODE_FOREIGN, d->name, fix,
				"The disk's first sector holds another boot loader's code, not GRUB's: the BIOS starts "
				"that loader (or another system), not this system's GRUB.",
				"%s: sector 0 is not GRUB's boot.img%s%s", d->name, m[i].other ? "; it looks like " : "",
				strempty(m[i].other));
		else if (r >= 0 && m[i].code == MBR_CODE_GRUB && c[i].state == GRUB_CORE_ABSENT)
			r = add(g, sev, RSC_FINDING_GRUB_CORE_MISSING, d->name, fix,
				"GRUB's boot sector is there, but the sectors it loads the rest of GRUB from hold no GRUB "
				"core: the boot stops right after the BIOS.",
				"%s: boot.img loads sector %llu: %s", d->name, at, c[i].problem);
		else if (r >= 0 && m[i].code == MBR_CODE_GRUB && c[i].state == GRUB_CORE_DAMAGED)
			r = add(g, sev, RSC_FINDING_GRUB_CORE_DAMAGED, d->name, fix,
				"GRUB's core image after the boot sector is damaged: GRUB cannot start.",
				"%s: the core at sector %llu: %s", d->name, at, c[i].problem);
		else if (r >= 0 && m[i].code == MBR_CODE_GRUB && c[i].state == GRUB_CORE_INTACT && stale[i])
			r = add(g, sev, RSC_FINDING_GRUB_CORE_STALE, d->name, fix,
				"The GRUB core on the disk is another GRUB build than the modules in /boot: loading "
				"them fails ('symbol not found') and GRUB stops at 'grub rescue>'.",
				"%s: the core at sector %llu differs in build from /boot/grub/i386-pc/core.img "
				"(GRUB kernel %u bytes, CRC %08x)", d->name, at, c[i].kernel_size, c[i].kernel_crc32);
		else if (r >= 0 && m[i].code == MBR_CODE_GRUB && c[i].state == GRUB_CORE_INTACT)
			r = check_prefix(g, disks[i], &c[i]);
		else if (m[i].code == MBR_CODE_GRUB && c[i].state == GRUB_CORE_INCOMPLETE)
			log_notice(g->ctx, "%s: GRUB's core at sector %llu could not be checked: %s", d->name, at,
				   c[i].problem);
		grub_core_done(&c[i]);
	}
	return r;
}

/* ---- fstab and crypttab ---- */

static bool has_option(const char *options, const char *opt) {
	_cleanup_strv_free_ char **l = NULL;
	return options && strv_split(options, ",", &l) >= 0 && strv_contains(l, opt);
}

/* The filesystem identify took for a /boot or ESP line whose device is
 * gone (scan.h: fstab_standin), in the scan's record of this system. */
static int standin_of(const struct diag *g, const struct rsc_fstab_entry *e) {
	for (size_t i = 0; g->root_dev >= 0 && i < g->scan->n_systems; i++) {
		const struct rsc_system *o = &g->scan->systems[i];
		if (o->root_device != g->root_dev || !o->fstab_standin)
			continue;
		for (size_t k = 0; k < o->n_fstab; k++)
			if (streq(o->fstab[k].target, e->target) && streq(o->fstab[k].spec, e->spec))
				return o->fstab_standin[k];
	}
	return -1;
}

static int check_tabs(struct diag *g) {
	static const char *const local[] = { "ext2", "ext3", "ext4", "xfs", "btrfs", "vfat", "swap", "f2fs", "auto" };
	static const char *const vital[] = { "/", "/boot", "/boot/efi", "/efi", "/usr" };
	const struct rsc_system *s = g->s;
	if (g->scan->n_devices == 0)
		return 0;
	int r = 0;
	for (size_t i = 0; r >= 0 && i < s->n_fstab; i++) {
		const struct rsc_fstab_entry *e = &s->fstab[i];
		bool is_local = false, is_vital = false;
		for (size_t k = 0; k < ELEMENTSOF(local); k++)
			is_local = is_local || streq(e->fstype, local[k]);
		for (size_t k = 0; k < ELEMENTSOF(vital); k++)
			is_vital = is_vital || streq(e->target, vital[k]);
		if (!is_local || scan_find_device(g->scan, e->spec) >= 0)
			continue;
		/* An LV or mapping inside a volume that is still locked cannot
		 * be judged yet. */
		bool maybe_locked = (startswith(e->spec, "/dev/mapper/") || startswith(e->spec, "/dev/")) &&
				    !startswith(e->spec, "/dev/disk/");
		bool optional = has_option(e->options, "nofail") || has_option(e->options, "noauto");
		/* Every non-optional local filesystem is required by
		 * local-fs.target; the vital ones also break the repair. */
		enum rsc_severity sev = optional || (maybe_locked && !is_vital) ? RSC_SEVERITY_WARNING :
					RSC_SEVERITY_ERROR;
		int standin = standin_of(g, e);
		const struct rsc_device *sd = standin >= 0 ? &g->scan->devices[standin] : NULL;
		_cleanup_free_ char *fix = NULL, *evidence_more = NULL;
		if (sd && sd->uuid &&
		    (asprintf(&fix, "point the line at UUID=%s: %s is the one filesystem that holds this system's %s "
			      "and that no fstab names", sd->uuid, sd->name,
			      streq(e->target, "/boot") ? "kernels" : "EFI directory") < 0 ||
		     asprintf(&evidence_more, "; %s (UUID=%s) holds this system's %s, no fstab names it, and it was "
			      "mounted there", sd->name, sd->uuid, streq(e->target, "/boot") ? "kernels" : "EFI directory") < 0))
			return -ENOMEM;
		r = add(g, sev, RSC_FINDING_FSTAB_DEVICE_MISSING, e->target,
			fix ? fix : "correct the line (blkid lists the filesystems and their UUIDs), or add nofail if it may be absent",
			"fstab names a filesystem that is on none of the disks: at boot systemd waits 90 seconds for "
			"it, then stops in emergency mode.", "/etc/fstab line %u: %s %s%s", e->line, e->spec, e->target,
			strempty(evidence_more));
		if (r >= 0 && fix && asprintf(&g->d->findings[g->d->n_findings - 1].replacement, "UUID=%s", sd->uuid) < 0)
			r = -ENOMEM;
	}
	for (size_t i = 0; r >= 0 && i < s->n_crypttab; i++) {
		const struct rsc_crypttab_entry *e = &s->crypttab[i];
		if (scan_find_device(g->scan, e->device) >= 0)
			continue;
		bool optional = has_option(e->options, "nofail") || has_option(e->options, "noauto");
		r = add(g, optional ? RSC_SEVERITY_WARNING : RSC_SEVERITY_ERROR, RSC_FINDING_CRYPTTAB_DEVICE_MISSING, e->name,
			"correct the device (blkid lists the LUKS volumes and their UUIDs), then rebuild the initramfs",
			"crypttab names an encrypted volume that is on none of the disks: the boot waits for it.",
			"/etc/crypttab line %u: %s %s", e->line, e->name, e->device);
	}
	return r;
}

/* ---- SELinux labels ---- */

static struct selabel_handle *open_policy(struct diag *g, int *ret_memfd) {
	/* libselinux opens its file by path and would follow a symlink out
	 * of the target: hand it a private copy read inside the root. */
	char p[512];
	snprintf(p, sizeof(p), "/etc/selinux/%s/contexts/files/file_contexts", g->s->selinux_type);
	_cleanup_free_ char *text = NULL;
	size_t len;
	if (read_file_in_root(g->rootfd, p, 64u << 20, &text, &len) < 0)
		return NULL;
	int fd = memfd_create("file_contexts", MFD_CLOEXEC);
	if (fd < 0)
		return NULL;
	if (write(fd, text, len) != (ssize_t)len) {
		close(fd);
		return NULL;
	}
	char path[64];
	snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
	struct selinux_opt opts[] = { { SELABEL_OPT_PATH, path } };
	rsc_route_selinux_log(g->ctx);
	struct selabel_handle *h = selabel_open(SELABEL_CTX_FILE, opts, ELEMENTSOF(opts));
	if (!h) {
		close(fd);
		return NULL;
	}
	*ret_memfd = fd;
	return h;
}

/* user:role:type[:level]: the type is what the policy acts on. */
static const char *context_type(const char *con, char *buf, size_t size) {
	const char *a = strchr(con, ':'), *b = a ? strchr(a + 1, ':') : NULL;
	if (!b)
		return con;
	const char *c = strchr(b + 1, ':');
	snprintf(buf, size, "%.*s", (int)(c ? c - b - 1 : (long)strlen(b + 1)), b + 1);
	return buf;
}

static int check_selinux(struct diag *g) {
	const struct rsc_system *s = g->s;
	if (!s->selinux || streq(s->selinux, "disabled"))
		return 0;
	int r = 0;
	if (exists_in_root(g->rootfd, "/.autorelabel"))
		r = add(g, RSC_SEVERITY_INFO, RSC_FINDING_SELINUX_AUTORELABEL_PENDING, "/.autorelabel", "none: it runs at next boot",
			"A full relabel is scheduled for the next boot; it takes a while on big disks.", "/.autorelabel exists");
	if (r < 0 || !s->selinux_policy || !s->selinux_type)
		return r;
	int memfd = -1;
	struct selabel_handle *h = open_policy(g, &memfd);
	if (!h)
		return add(g, RSC_SEVERITY_WARNING, RSC_FINDING_SELINUX_POLICY_UNREADABLE, s->selinux_type,
			   "check /etc/selinux/<type>/contexts/files/file_contexts",
			   "The system's SELinux policy could not be read, so labels were not checked.", "type %s",
			   s->selinux_type);

	_cleanup_strv_free_ char **wrong = NULL;
	_cleanup_close_ int bfd = open_in_root(g->rootfd, "/boot", O_RDONLY | O_DIRECTORY);
	DIR *dir = bfd >= 0 ? fdopendir(TAKE_FD(bfd)) : NULL;
	struct dirent *de;
	unsigned checked = 0;
	while (dir && (de = readdir(dir))) {
		if (de->d_name[0] == '.')
			continue;
		_cleanup_close_ int fd = openat(dirfd(dir), de->d_name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK);
		struct stat st;
		if (fd < 0 || fstat(fd, &st) < 0 || !S_ISREG(st.st_mode))
			continue;
		char have[256] = "", path[512];
		ssize_t n = fgetxattr(fd, "security.selinux", have, sizeof(have) - 1);
		have[n > 0 ? n : 0] = 0;
		snprintf(path, sizeof(path), "/boot/%s", de->d_name);
		char *want = NULL;
		if (selabel_lookup(h, &want, path, st.st_mode) < 0)
			continue;
		char t1[128], t2[128];
		checked++;
		if (n <= 0 || !streq(context_type(have, t1, sizeof(t1)), context_type(want, t2, sizeof(t2)))) {
			char line[900];
			snprintf(line, sizeof(line), "%s is %s, should be %s", path, n > 0 ? have : "unlabeled", want);
			strv_extend(&wrong, line);
		}
		freecon(want);
	}
	if (dir)
		closedir(dir);
	g->d->selinux_checked = checked;
	g->d->selinux_wrong = (unsigned)strv_length(wrong);
	selabel_close(h);
	close(memfd);
	if (wrong) {
		_cleanup_free_ char *list = strv_join(wrong, "; ");
		r = add(g, streq(s->selinux, "enforcing") ? RSC_SEVERITY_ERROR : RSC_SEVERITY_WARNING,
			RSC_FINDING_SELINUX_LABEL_WRONG, "/boot",
			"relabel them from the system's policy: setfiles -r <root> file_contexts <paths> (restorecon -v "
			"inside a booted system); never disable SELinux",
			"Files in /boot carry SELinux labels the policy does not expect (often files written from a "
			"rescue system): with SELinux enforcing the boot loader or early boot can be denied access.",
			"%s (%u files checked)", list, checked);
	}
	return r;
}

static const struct {
	const char *name;
	int (*run)(struct diag *g);
} checks[] = {
	{ "boot space", check_boot_space },
	{ "kernels and initramfs", check_kernels },
	{ "initramfs generator configuration", check_generator_config },
	{ "boot entries", check_boot_entries },
	{ "command-line defaults", check_cmdline_defaults },
	{ "ESP", check_esp },
	{ "ESP loader", check_esp_loader },
	{ "BIOS boot code", check_bios },
	{ "fstab and crypttab", check_tabs },
	{ "SELinux", check_selinux },
};

const char *rsc_severity_to_string(enum rsc_severity s) {
	return s == RSC_SEVERITY_ERROR ? "error" : s == RSC_SEVERITY_WARNING ? "warning" : "info";
}

struct rsc_diagnosis *rsc_diagnosis_free(struct rsc_diagnosis *d) {
	if (!d)
		return NULL;
	for (size_t i = 0; i < d->n_findings; i++) {
		free(d->findings[i].code);
		free(d->findings[i].subject);
		free(d->findings[i].evidence);
		free(d->findings[i].explanation);
		free(d->findings[i].fix);
		free(d->findings[i].replacement);
	}
	free(d->findings);
	for (size_t i = 0; i < d->n_bios_disks; i++)
		free(d->bios_disks[i].name), free(d->bios_disks[i].file), free(d->bios_disks[i].table);
	free(d->bios_disks);
	if (d->efi_entry) {
		free(d->efi_entry->disk), free(d->efi_entry->esp), free(d->efi_entry->part_uuid);
		free(d->efi_entry->loader), free(d->efi_entry->label);
		free(d->efi_entry);
	}
	free(d->system);
	free(d);
	return NULL;
}

int rsc_diagnose(rsc_context *ctx, const struct rsc_scan *scan, const struct rsc_system *s, const char *root_dir,
		 struct rsc_diagnosis **ret) {
	struct diag g = { .ctx = ctx, .scan = scan, .s = s, .root_dir = root_dir };
	g.rootfd = open(root_dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (g.rootfd < 0)
		return log_error_errno(ctx, errno, "%s: %m", root_dir);
	g.d = calloc(1, sizeof(*g.d));
	int r = g.d && set_str(&g.d->system, s->id) >= 0 ? 0 : -ENOMEM;
	if (r >= 0 && s->profile) {
		struct profile **list;
		size_t n;
		if (profile_load_all(ctx, &list, &n) >= 0) {
			for (size_t i = 0; i < n; i++)
				if (streq(list[i]->name, s->profile))
					g.profile = TAKE_PTR(list[i]);
			profile_list_free(list, n);
		}
	}
	/* Devices of the system in this scan: its own indices when it came
	 * from this scan, else through its fstab. */
	g.root_dev = g.boot_dev = g.esp_dev = -1;
	for (size_t i = 0; i < s->n_fstab; i++) {
		int dev = scan_find_device(scan, s->fstab[i].spec);
		if (streq(s->fstab[i].target, "/"))
			g.root_dev = dev;
		else if (streq(s->fstab[i].target, "/boot")) {
			g.boot_dev = dev;
			g.separate_boot = true;
		} else if (streq(s->fstab[i].target, "/boot/efi") || streq(s->fstab[i].target, "/efi"))
			g.esp_dev = dev;
	}
	if (s->root_device >= 0 && (size_t)s->root_device < scan->n_devices && s->root_dir == NULL) {
		g.root_dev = s->root_device;
		g.boot_dev = s->boot_device >= 0 ? s->boot_device : g.boot_dev;
		g.esp_dev = s->esp_device >= 0 ? s->esp_device : g.esp_dev;
	}
	/* A /boot or ESP mounted in place of one whose UUID is gone. */
	for (size_t i = 0; i < s->n_fstab; i++) {
		bool boot = streq(s->fstab[i].target, "/boot");
		bool esp = streq(s->fstab[i].target, "/boot/efi") || streq(s->fstab[i].target, "/efi");
		if ((boot && g.boot_dev < 0) || (esp && g.esp_dev < 0)) {
			int d = standin_of(&g, &s->fstab[i]);
			if (boot)
				g.boot_dev = d;
			else if (esp)
				g.esp_dev = d;
		}
	}
	if (g.separate_boot && g.boot_dev < 0 && scan->n_devices > 0) {
		struct stat rst, bst;
		g.boot_unmounted = fstat(g.rootfd, &rst) == 0 && stat_in_root(g.rootfd, "/boot", &bst) >= 0 &&
				   rst.st_dev == bst.st_dev;
	}
	for (size_t i = 0; r >= 0 && i < ELEMENTSOF(checks); i++) {
		log_debug(ctx, "diagnose: %s", checks[i].name);
		rsc_progress_report(ctx, (unsigned)i + 1, (unsigned)ELEMENTSOF(checks), (double)i / ELEMENTSOF(checks),
				    checks[i].name, NULL);
		r = checks[i].run(&g);
	}
	close(g.rootfd);
	profile_free(g.profile);
	if (r < 0) {
		rsc_diagnosis_free(g.d);
		return r;
	}
	*ret = g.d;
	return 0;
}

int rsc_diagnosis_to_json(const struct rsc_diagnosis *d, struct json_object **ret) {
	json_object *root = json_object_new_object(), *arr = json_object_new_array();
	if (!root || !arr) {
		json_object_put(root);
		json_object_put(arr);
		return -ENOMEM;
	}
	json_object_object_add(root, "schema", json_object_new_string("rescue-diagnosis/1"));
	json_object_object_add(root, "system", json_object_new_string(d->system));
	json_object_object_add(root, "errors", json_object_new_int((int)d->errors));
	json_object_object_add(root, "warnings", json_object_new_int((int)d->warnings));
	for (size_t i = 0; i < d->n_findings; i++) {
		const struct rsc_finding *f = &d->findings[i];
		json_object *o = json_object_new_object();
		json_object_object_add(o, "code", json_object_new_string(f->code));
		json_object_object_add(o, "severity", json_object_new_string(rsc_severity_to_string(f->severity)));
		json_object_object_add(o, "subject", json_object_new_string(f->subject));
		json_object_object_add(o, "evidence", json_object_new_string(f->evidence));
		json_object_object_add(o, "explanation", json_object_new_string(f->explanation));
		json_object_object_add(o, "fix", json_object_new_string(f->fix));
		if (f->replacement)
			json_object_object_add(o, "replacement", json_object_new_string(f->replacement));
		json_object_array_add(arr, o);
	}
	json_object_object_add(root, "findings", arr);
	*ret = root;
	return 0;
}
