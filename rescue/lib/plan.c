/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The planner: findings in, ordered actions out. Each action names the
 * command run inside the system (taken from its profile, always with the
 * kernel version spelled out: inside a chroot the generators would
 * otherwise build for the rescue kernel) and the files it changes.
 * Order: free space, set aside kernels that cannot boot, rebuild images,
 * regenerate the boot menu, restore the ESP stub, relabel what was written.
 */
#include <fcntl.h>
#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/xattr.h>
#include <unistd.h>

#include "bootfix.h"
#include "diagnose-internal.h"
#include "fileio.h"
#include "profile.h"
#include "rescue/repair.h"
#include "scan-internal.h"
#include "sha256.h"
#include "strv.h"

static const char *const kind_names[] = {
	[RSC_ACTION_FREE_SPACE] = "free-space",
	[RSC_ACTION_SET_ASIDE_KERNEL] = "set-aside-kernel",
	[RSC_ACTION_REBUILD_INITRAMFS] = "rebuild-initramfs",
	[RSC_ACTION_GRUB_CONFIG] = "grub-config",
	[RSC_ACTION_ESP_STUB] = "esp-stub",
	[RSC_ACTION_RELABEL] = "relabel",
	[RSC_ACTION_GRUB_INSTALL_BIOS] = "grub-install-bios",
};

const char *rsc_action_kind_to_string(enum rsc_action_kind k) {
	return kind_names[k];
}

const char *rsc_action_status_to_string(enum rsc_action_status s) {
	return s == RSC_ACTION_DONE ? "done" : s == RSC_ACTION_FAILED ? "failed" : s == RSC_ACTION_SKIPPED ? "skipped" :
	       "planned";
}

static void file_states_free(struct rsc_file_state *fs, size_t n) {
	for (size_t i = 0; fs && i < n; i++)
		free(fs[i].label);
	free(fs);
}

/* PATH as it is under ROOT_DIR, without following a last symbolic link
 * (it may point anywhere on the rescue system). A path that is not there
 * is a state too (exists false); other errors leave what could be read. */
static int file_state_read(const char *root_dir, const char *path, struct rsc_file_state *ret) {
	*ret = (struct rsc_file_state){ .type = '?' };
	_cleanup_free_ char *full = NULL;
	if (asprintf(&full, "%s%s", root_dir, path) < 0)
		return -ENOMEM;
	struct stat st;
	if (lstat(full, &st) < 0)
		return errno == ENOENT || errno == ENOTDIR ? 0 : -errno;
	ret->exists = true;
	ret->type = S_ISREG(st.st_mode) ? 'f' : S_ISDIR(st.st_mode) ? 'd' : S_ISLNK(st.st_mode) ? 'l' : '?';
	ret->size = S_ISREG(st.st_mode) ? (uint64_t)st.st_size : 0;
	char label[256];
	ssize_t n = lgetxattr(full, "security.selinux", label, sizeof(label) - 1);
	if (n > 0) {
		/* Stored with its NUL by the kernel; not always by other tools. */
		label[n] = 0;
		if (!(ret->label = strdup(label)))
			return -ENOMEM;
	}
	if (S_ISREG(st.st_mode)) {
		_cleanup_close_ int fd = open(full, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NOCTTY);
		if (fd < 0)
			return -errno;
		int r = sha256_fd_hex(fd, ret->sha256);
		if (r < 0) {
			ret->sha256[0] = 0;
			return r;
		}
	}
	return 0;
}

int rsc_action_read_files(const char *root_dir, const struct rsc_action *a, struct rsc_file_state **ret) {
	size_t n = strv_length(a->files);
	*ret = NULL;
	if (n == 0)
		return 0;
	struct rsc_file_state *fs = calloc(n, sizeof(*fs));
	if (!fs)
		return -ENOMEM;
	int r = 0;
	for (size_t i = 0; i < n; i++) {
		int q = file_state_read(root_dir, a->files[i], &fs[i]);
		if (q == -ENOMEM) {
			file_states_free(fs, n);
			return q;
		}
		if (q < 0 && r == 0)
			r = q;
	}
	*ret = fs;
	return r;
}

struct rsc_plan *rsc_plan_free(struct rsc_plan *p) {
	if (!p)
		return NULL;
	for (size_t i = 0; i < p->n_actions; i++) {
		struct rsc_action *a = &p->actions[i];
		file_states_free(a->before, strv_length(a->files));
		file_states_free(a->after, strv_length(a->files));
		free(a->title);
		free(a->why);
		strv_free(a->argv);
		strv_free(a->files);
		strv_free(a->unless_present);
		strv_free(a->fixes);
		free(a->kver);
		free(a->content);
		free(a->result);
		free(a->disk_name);
		free(a->disk);
	}
	free(p->actions);
	strv_free(p->unfixed);
	strv_free(p->follow_up);
	free(p->system);
	free(p->journal);
	free(p);
	return NULL;
}

static struct rsc_action *action_new(struct rsc_plan *p, enum rsc_action_kind kind) {
	struct rsc_action *m = realloc(p->actions, (p->n_actions + 1) * sizeof(*m));
	if (!m)
		return NULL;
	p->actions = m;
	m[p->n_actions] = (struct rsc_action){ .kind = kind, .exit_status = -1 };
	return &m[p->n_actions++];
}

/* A profile template with %k (kernel version), %i (initramfs), %c (GRUB
 * config) and %d (disk) filled in. */
static char *fill(const char *t, const char *k, const char *i, const char *c, const char *dk) {
	char *out = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&out, &len);
	if (!f)
		return NULL;
	for (const char *p = t; *p; p++) {
		if (p[0] == '%' && p[1]) {
			const char *v = p[1] == 'k' ? k : p[1] == 'i' ? i : p[1] == 'c' ? c : p[1] == 'd' ? dk : "";
			fputs(strempty(v), f);
			p++;
		} else
			fputc(*p, f);
	}
	fclose(f);
	return out;
}

static const struct rsc_finding *finding(const struct rsc_diagnosis *d, enum rsc_finding_code code, const char *subject) {
	for (size_t i = 0; i < d->n_findings; i++)
		if (d->findings[i].id == code && (!subject || streq(d->findings[i].subject, subject)))
			return &d->findings[i];
	return NULL;
}

static bool has(const struct rsc_diagnosis *d, enum rsc_finding_code code, const char *subject) {
	return finding(d, code, subject);
}

/* Does action x repair finding f? */
static bool action_fixes(const struct rsc_action *x, const struct rsc_finding *f) {
	if (x->kver && streq_ptr(x->kver, f->subject))
		return true;
	switch (x->kind) {
	case RSC_ACTION_GRUB_CONFIG:
		return IN_SET(f->id, RSC_FINDING_CMDLINE_ROOT_UNKNOWN, RSC_FINDING_CMDLINE_ROOT_OTHER,
			      RSC_FINDING_CMDLINE_LUKS_UNKNOWN, RSC_FINDING_CMDLINE_LV_UNKNOWN,
			      RSC_FINDING_CMDLINE_RESUME_UNKNOWN, RSC_FINDING_BOOT_ENTRY_MISSING_FILE,
			      RSC_FINDING_GRUB_CONFIG_MISSING, RSC_FINDING_DEFAULT_KERNEL_UNBOOTABLE);
	case RSC_ACTION_ESP_STUB:
		return IN_SET(f->id, RSC_FINDING_ESP_STUB_MISSING, RSC_FINDING_ESP_STUB_REPLACED,
			      RSC_FINDING_ESP_STUB_WRONG_UUID);
	case RSC_ACTION_RELABEL:
		return f->id == RSC_FINDING_SELINUX_LABEL_WRONG;
	case RSC_ACTION_FREE_SPACE:
		return f->id == RSC_FINDING_BOOT_SPACE_INSUFFICIENT;
	case RSC_ACTION_GRUB_INSTALL_BIOS:
		return streq_ptr(f->subject, x->disk_name) &&
		       IN_SET(f->id, RSC_FINDING_BIOS_BOOT_CODE_MISSING, RSC_FINDING_GRUB_CORE_MISSING,
			      RSC_FINDING_GRUB_CORE_DAMAGED, RSC_FINDING_GRUB_CORE_STALE, RSC_FINDING_GRUB_PREFIX_MISSING);
	case RSC_ACTION_SET_ASIDE_KERNEL:
	case RSC_ACTION_REBUILD_INITRAMFS:
		break;
	}
	return false;
}

static int unfixed(struct rsc_plan *p, const struct rsc_finding *f) {
	char *t;
	if (asprintf(&t, "%s (%s): %s", f->code, f->subject, f->fix) < 0)
		return -ENOMEM;
	int r = strv_push(&p->unfixed, t);
	if (r < 0)
		free(t);
	return r;
}

/* The directory holding grub.cfg and GRUB's platform directories. */
static char *grub_dir_of(const char *grub_cfg) {
	char *dir = strdup(grub_cfg ? grub_cfg : "/boot/grub/grub.cfg");
	char *slash = dir ? strrchr(dir, '/') : NULL;
	if (slash)
		*slash = 0;
	return dir;
}

static int plan_grub_install(struct rsc_plan *p, int rootfd, const struct profile *prof, const struct rsc_diagnosis *d,
			     const char *grub_cfg, bool *wrote_boot) {
	_cleanup_free_ char *dir = grub_dir_of(grub_cfg), *core = NULL, *boot = NULL, *why = NULL;
	if (!dir || asprintf(&core, "%s/i386-pc/core.img", dir) < 0 || asprintf(&boot, "%s/i386-pc/boot.img", dir) < 0)
		return -ENOMEM;
	/* The core grub-install made last time: the new one is about as big. */
	struct stat st;
	uint64_t core_size = fstatat(rootfd, core + 1, &st, AT_SYMLINK_NOFOLLOW) == 0 && S_ISREG(st.st_mode) ?
				     (uint64_t)st.st_size : 0;
	size_t pick = 0;
	int c = bios_choose_disk(d->bios_disks, d->n_bios_disks, d->findings, d->n_findings, core_size, &pick, &why);
	if (c < 0)
		return c;
	if (c == BIOS_CHOICE_NONE)
		return 0;
	if (c == BIOS_CHOICE_HUMAN)
		return strv_extend(&p->unfixed, why);
	const struct rsc_bios_disk *b = &d->bios_disks[pick];
	const char *t = prof ? profile_get(prof, "grub_install_bios") : NULL;
	/* --force and its kin install GRUB where grub-install itself found it
	 * unsafe (block lists, a foreign filesystem's boot sector): never
	 * without a person deciding. */
	if (!t || strstr(t, "--force") || strstr(t, "--skip-fs-probe"))
		return strv_extend(&p->unfixed, "GRUB for BIOS must be reinstalled, but this system's profile names no "
			      "safe grub-install command for i386-pc");
	struct rsc_disk_range ranges[2];
	int n = bios_disk_ranges(b, ranges);
	if (n < 0)
		return strv_extend(&p->unfixed, "GRUB for BIOS must be reinstalled, but the disk's layout leaves no "
			      "place to embed it");
	_cleanup_free_ char *cmd = fill(t, NULL, NULL, grub_cfg, b->file);
	struct rsc_action *a = cmd ? action_new(p, RSC_ACTION_GRUB_INSTALL_BIOS) : NULL;
	if (!a || set_str(&a->disk_name, b->name) < 0 || set_str(&a->disk, b->file) < 0 ||
	    strv_split(cmd, " ", &a->argv) < 0 || strv_extend(&a->files, core) < 0 || strv_extend(&a->files, boot) < 0 ||
	    asprintf(&a->title, "Reinstall GRUB for BIOS on %s (boot code and core) with %s", b->name, a->argv[0]) < 0 ||
	    asprintf(&a->why, "%s; its first %llu KiB%s and %s are saved first", why,
		     (unsigned long long)(ranges[0].length / 1024),
		     n > 1 ? " and its BIOS boot partition" : "", dir) < 0)
		return -ENOMEM;
	a->disk_offset = b->offset;
	a->disk_size = b->size;
	a->n_disk_ranges = (size_t)n;
	memcpy(a->disk_ranges, ranges, sizeof(ranges[0]) * (size_t)n);
	*wrote_boot = true;
	return 0;
}

int rsc_plan_make(rsc_context *ctx, const struct rsc_system *s, const struct rsc_diagnosis *d, const char *root_dir,
		  struct rsc_plan **ret) {
	_cleanup_close_ int rootfd = open(root_dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (rootfd < 0)
		return log_error_errno(ctx, errno, "%s: %m", root_dir);
	struct rsc_plan *p = calloc(1, sizeof(*p));
	if (!p || set_str(&p->system, s->id) < 0) {
		free(p);
		return -ENOMEM;
	}
	struct profile *prof = NULL;
	struct profile **list;
	size_t n;
	int r = profile_load_all(ctx, &list, &n);
	if (r >= 0) {
		for (size_t i = 0; i < n; i++)
			if (streq_ptr(list[i]->name, s->profile))
				prof = TAKE_PTR(list[i]);
		profile_list_free(list, n);
	}
	r = 0;
	const char *gen = s->generator;
	const char *rebuild_key = streq_ptr(gen, "dracut") ? "rebuild_dracut" :
				  streq_ptr(gen, "initramfs-tools") ? "rebuild_initramfs_tools" :
				  streq_ptr(gen, "mkinitcpio") ? "rebuild_mkinitcpio" : NULL;
	const char *rebuild_t = prof && rebuild_key ? profile_get(prof, rebuild_key) : NULL;
	bool grub = s->bootloader && startswith(s->bootloader, "grub");
	const char *grub_cfg = s->grub_cfg ? s->grub_cfg : prof ? profile_get(prof, "grub_cfg_bios") : NULL;
	const char *mkconfig_t = prof ? profile_get(prof, "grub_mkconfig") : NULL;
	bool need_menu = false, wrote_boot = false;

	/* Kernels that cannot boot and cannot be rebuilt offline: out of the
	 * menu, if a complete kernel remains to boot. */
	const char *good = bootable_kernel(s);
	for (size_t i = 0; r >= 0 && i < s->n_kernels; i++) {
		const struct rsc_kernel *k = &s->kernels[i];
		if (!has(d, RSC_FINDING_KERNEL_MODULES_MISSING, k->version))
			continue;
		if (!good || !grub)
			continue; /* reported as unfixed below */
		struct rsc_action *a = action_new(p, RSC_ACTION_SET_ASIDE_KERNEL);
		if (!a || set_str(&a->kver, k->version) < 0 ||
		    asprintf(&a->title, "Set kernel %s aside (its modules are missing); %s becomes the default",
			     k->version, good) < 0 ||
		    asprintf(&a->why, "kernel-modules-missing: it cannot boot and cannot be rebuilt offline; "
			     "reinstalling its package restores it") < 0 ||
		    strv_extend(&a->files, k->image) < 0 || (k->initramfs && strv_extend(&a->files, k->initramfs) < 0)) {
			r = -ENOMEM;
			break;
		}
		/* Setting it aside makes the system boot; the kernel itself comes
		 * back only through its package, from the running system. */
		const struct rsc_finding *f = finding(d, RSC_FINDING_KERNEL_MODULES_MISSING, k->version);
		char *t;
		if (f && asprintf(&t, "kernel %s was set aside: %s", k->version, f->fix) >= 0 &&
		    strv_push(&p->follow_up, t) < 0)
			free(t);
		need_menu = true;
	}

	/* Images to rebuild: every complete kernel whose image is missing,
	 * empty, damaged or cannot mount this root. */
	static const enum rsc_finding_code image_codes[] = {
		RSC_FINDING_INITRAMFS_MISSING, RSC_FINDING_INITRAMFS_EMPTY, RSC_FINDING_INITRAMFS_CORRUPT,
		RSC_FINDING_INITRAMFS_CANNOT_MOUNT_ROOT,
	};
	uint64_t need_space = 0;
	for (size_t i = 0; r >= 0 && i < s->n_kernels; i++) {
		const struct rsc_kernel *k = &s->kernels[i];
		const char *code = NULL;
		for (size_t c = 0; c < ELEMENTSOF(image_codes) && !code; c++)
			if (has(d, image_codes[c], k->version))
				code = rsc_finding_code_to_string(image_codes[c]);
		if (!code || !k->image || !k->has_modules || !rebuild_t)
			continue;
		_cleanup_free_ char *image = k->initramfs ? strdup(k->initramfs) :
					    fill(prof && profile_get(prof, "initramfs") ? profile_get(prof, "initramfs") :
						 "/boot/initramfs-%k.img", k->version, NULL, NULL, NULL);
		_cleanup_free_ char *cmd = image ? fill(rebuild_t, k->version, image, grub_cfg, NULL) : NULL;
		struct rsc_action *a = cmd ? action_new(p, RSC_ACTION_REBUILD_INITRAMFS) : NULL;
		if (!a || set_str(&a->kver, k->version) < 0 || strv_split(cmd, " ", &a->argv) < 0 ||
		    strv_extend(&a->files, image) < 0 ||
		    asprintf(&a->title, "Rebuild the initramfs of %s with %s", k->version, gen) < 0 ||
		    asprintf(&a->why, "%s: the kernel cannot mount its root without a working image", code) < 0) {
			r = -ENOMEM;
			break;
		}
		/* A menu written while the image was missing has no initrd
		 * line for it: that entry must be written again. */
		for (size_t e = 0; !k->initramfs && e < s->n_entries; e++) {
			const char *kp = s->entries[e].kernel;
			size_t kl = kp ? strlen(kp) : 0, vl = strlen(k->version);
			if (kp && !s->entries[e].initrd && kl > vl && streq(kp + kl - vl, k->version))
				need_menu = true;
		}
		need_space = initramfs_space_needed(s);
		wrote_boot = true;
	}

	/* Space first, if a rebuild needs it: only what no kernel uses. */
	if (r >= 0 && (has(d, RSC_FINDING_BOOT_SPACE_INSUFFICIENT, NULL))) {
		_cleanup_strv_free_ char **paths = NULL, **described = NULL;
		uint64_t bytes = 0;
		r = boot_removable(rootfd, s, &paths, &described, &bytes);
		if (r >= 0 && paths) {
			struct rsc_action *a = action_new(p, RSC_ACTION_FREE_SPACE);
			_cleanup_free_ char *list_s = strv_join(described, ", ");
			if (!a || asprintf(&a->title, "Free space on /boot: move %zu unused file%s (%.1f MiB) into the "
					   "journal", strv_length(paths), strv_length(paths) == 1 ? "" : "s",
					   (double)bytes / (1024.0 * 1024.0)) < 0 ||
			    asprintf(&a->why, "boot-space-insufficient: a new image needs %.1f MiB; these are backups "
				     "and images of kernels no longer installed: %s",
				     (double)need_space / (1024.0 * 1024.0), list_s ? list_s : "") < 0)
				r = -ENOMEM;
			else {
				a->files = TAKE_PTR(paths);
				/* It must come first. */
				struct rsc_action tmp = *a;
				memmove(p->actions + 1, p->actions, (p->n_actions - 1) * sizeof(*a));
				p->actions[0] = tmp;
			}
		}
	}

	static const enum rsc_finding_code menu_codes[] = {
		RSC_FINDING_CMDLINE_ROOT_UNKNOWN, RSC_FINDING_CMDLINE_LUKS_UNKNOWN, RSC_FINDING_CMDLINE_LV_UNKNOWN,
		RSC_FINDING_GRUB_CONFIG_MISSING, RSC_FINDING_DEFAULT_KERNEL_UNBOOTABLE,
	};
	for (size_t c = 0; c < ELEMENTSOF(menu_codes); c++)
		need_menu = need_menu || has(d, menu_codes[c], NULL);
	/* Entries naming missing files: a rebuild may bring them back, and
	 * then a working menu is better left alone. */
	_cleanup_strv_free_ char **missing_files = NULL;
	bool only_files = !need_menu && has(d, RSC_FINDING_BOOT_ENTRY_MISSING_FILE, NULL);
	if (only_files) {
		bool separate = false;
		for (size_t i = 0; i < s->n_fstab; i++)
			separate = separate || streq(s->fstab[i].target, "/boot");
		for (size_t i = 0; i < s->n_entries; i++) {
			const char *files[2] = { s->entries[i].kernel, s->entries[i].initrd };
			for (size_t f = 0; f < 2; f++) {
				if (!files[f] || strchr(files[f], '$'))
					continue;
				_cleanup_free_ char *path = boot_entry_path(separate, files[f], boot_entry_is_bls(&s->entries[i]));
				if (path && !exists_in_root(rootfd, path) && !strv_contains(missing_files, path))
					strv_extend(&missing_files, path);
			}
		}
		need_menu = true;
	}
	if (r >= 0 && need_menu && grub && mkconfig_t && grub_cfg) {
		_cleanup_free_ char *cmd = fill(mkconfig_t, NULL, NULL, grub_cfg, NULL);
		struct rsc_action *a = cmd ? action_new(p, RSC_ACTION_GRUB_CONFIG) : NULL;
		if (!a || strv_split(cmd, " ", &a->argv) < 0 || strv_extend(&a->files, grub_cfg) < 0 ||
		    asprintf(&a->title, "Regenerate the boot menu (%s)%s", grub_cfg,
			     only_files ? ", unless the steps before bring back the files it names" : "") < 0 ||
		    set_str(&a->why, "the menu names files or devices that are not there, or predates the repair") < 0)
			r = -ENOMEM;
		else if (only_files)
			a->unless_present = TAKE_PTR(missing_files);
		wrote_boot = true;
	}

	/* The ESP stub. */
	if (r >= 0 && (has(d, RSC_FINDING_ESP_STUB_MISSING, NULL) || has(d, RSC_FINDING_ESP_STUB_REPLACED, NULL) ||
		       has(d, RSC_FINDING_ESP_STUB_WRONG_UUID, NULL)) && grub_cfg && prof && profile_get(prof, "esp_stub")) {
		const char *stub = s->esp_grub_cfg ? s->esp_grub_cfg : profile_get(prof, "esp_stub");
		/* The stub finds the filesystem holding grub.cfg by UUID, and
		 * the directory in it. */
		bool separate = false;
		for (size_t i = 0; i < s->n_fstab; i++)
			separate = separate || streq(s->fstab[i].target, "/boot");
		const char *uuid = NULL;
		for (size_t i = 0; i < s->n_fstab && !uuid; i++)
			if (streq(s->fstab[i].target, separate ? "/boot" : "/"))
				uuid = startswith(s->fstab[i].spec, "UUID=");
		_cleanup_free_ char *dir = strdup(grub_cfg);
		char *slash = dir ? strrchr(dir, '/') : NULL;
		if (slash)
			*slash = 0;
		const char *prefix = dir && separate ? startswith(dir, "/boot") : dir;
		if (!uuid)
			r = unfixed(p, &(struct rsc_finding){ .code = (char *)"esp-stub", .subject = (char *)stub,
				    .fix = (char *)"the stub needs the UUID of the filesystem holding /boot: fstab names it otherwise" });
		else {
			struct rsc_action *a = action_new(p, RSC_ACTION_ESP_STUB);
			_cleanup_free_ char *path = path_join("/boot/efi", stub);
			if (!a || !path || strv_extend(&a->files, path) < 0 ||
			    asprintf(&a->content, "search --no-floppy --fs-uuid --set=dev %s\nset prefix=($dev)%s\n"
				     "export $prefix\nconfigfile $prefix/grub.cfg\n", uuid, prefix && *prefix ? prefix : "/") < 0 ||
			    asprintf(&a->title, "Restore the ESP stub %s (loads %s)", stub, grub_cfg) < 0 ||
			    set_str(&a->why, "the firmware starts GRUB from the ESP; the stub leads it to /boot's menu") < 0)
				r = -ENOMEM;
		}
	}

	/* GRUB for BIOS, on one disk: only when a finding calls for it and
	 * the disk to write is not in doubt. */
	if (r >= 0 && d->n_bios_disks > 0)
		r = plan_grub_install(p, rootfd, prof, d, grub_cfg, &wrote_boot);

	/* SELinux: files written from a rescue system carry no label. */
	bool selinux_on = s->selinux && !streq(s->selinux, "disabled") && s->selinux_policy && s->selinux_type;
	if (r >= 0 && selinux_on && (wrote_boot || has(d, RSC_FINDING_SELINUX_LABEL_WRONG, NULL))) {
		char fc[256];
		snprintf(fc, sizeof(fc), "/etc/selinux/%s/contexts/files/file_contexts", s->selinux_type);
		struct rsc_action *a = action_new(p, RSC_ACTION_RELABEL);
		bool setfiles = executable_in_root(rootfd, "/usr/sbin/setfiles") || executable_in_root(rootfd, "/sbin/setfiles");
		if (!a || asprintf(&a->title, "Relabel /boot from the system's SELinux policy") < 0 ||
		    set_str(&a->why, "files written from a rescue system are unlabeled; with SELinux enforcing early boot "
			    "can be denied them") < 0)
			r = -ENOMEM;
		else if (setfiles) {
			char *argv[] = { (char *)"setfiles", (char *)"-F", fc, (char *)"/boot", NULL };
			for (char **x = argv; *x && r >= 0; x++)
				r = strv_extend(&a->argv, *x);
			if (r >= 0)
				r = strv_extend(&a->files, "/boot");
		} else
			/* No setfiles in the system: a relabel at next boot. */
			r = strv_extend(&a->files, "/.autorelabel");
	}

	/* Each action names the findings it fixes. */
	for (size_t a = 0; r >= 0 && a < p->n_actions; a++)
		for (size_t i = 0; r >= 0 && i < d->n_findings; i++)
			if (action_fixes(&p->actions[a], &d->findings[i]) &&
			    !strv_contains(p->actions[a].fixes, d->findings[i].code))
				r = strv_extend(&p->actions[a].fixes, d->findings[i].code);

	/* A step that fixes nothing by itself completes the steps before it
	 * (the menu after kernels were set aside): it names what they fix. */
	for (size_t a = 1; r >= 0 && a < p->n_actions; a++)
		for (size_t b = 0; r >= 0 && !p->actions[a].fixes && b < a; b++)
			STRV_FOREACH(x, p->actions[b].fixes)
				if (r >= 0 && !strv_contains(p->actions[a].fixes, *x))
					r = strv_extend(&p->actions[a].fixes, *x);

	/* What no action fixes: for a human, with the fix diagnose gave. */
	for (size_t i = 0; r >= 0 && i < d->n_findings; i++) {
		const struct rsc_finding *f = &d->findings[i];
		if (f->severity != RSC_SEVERITY_ERROR)
			continue;
		bool covered = false;
		for (size_t a = 0; a < p->n_actions && !covered; a++) {
			const struct rsc_action *x = &p->actions[a];
			covered = action_fixes(x, f);
		}
		if (!covered)
			r = unfixed(p, f);
	}
	profile_free(prof);
	/* What each step will change, as it is now. Unreadable files keep
	 * what could be read; only memory ends the plan. */
	for (size_t a = 0; r >= 0 && root_dir && a < p->n_actions; a++) {
		int q = rsc_action_read_files(root_dir, &p->actions[a], &p->actions[a].before);
		if (q == -ENOMEM)
			r = q;
	}
	if (r < 0) {
		rsc_plan_free(p);
		return r;
	}
	*ret = p;
	return 0;
}

/* Single-quotes a word for a shell script. */
static void shell_word(FILE *f, const char *w) {
	if (w[strspn(w, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_./=:,+%@")] == 0) {
		fputs(w, f);
		return;
	}
	fputc('\'', f);
	for (; *w; w++)
		if (*w == '\'')
			fputs("'\\''", f);
		else
			fputc(*w, f);
	fputc('\'', f);
}

/* The action as shell commands a person would type, with the system at
 * "$R" and the journal directory at "$J". */
static void write_action_shell(FILE *f, const struct rsc_action *a) {
	switch (a->kind) {
	case RSC_ACTION_FREE_SPACE:
	case RSC_ACTION_SET_ASIDE_KERNEL:
		fputs("#    the files move into the journal, so nothing is lost\n", f);
		STRV_FOREACH(x, a->files) {
			fputs("mv \"$R\"", f);
			shell_word(f, *x);
			fputs(" \"$J/\"\n", f);
		}
		break;
	case RSC_ACTION_GRUB_INSTALL_BIOS: {
		fputs("#    what it overwrites is kept in the journal: the disk's first sectors\n", f);
		for (size_t i = 0; i < a->n_disk_ranges; i++) {
			const struct rsc_disk_range *g = &a->disk_ranges[i];
			fputs("dd if=", f);
			shell_word(f, a->disk);
			fprintf(f, " of=\"$J/disk-%llu-%llu\" bs=512 skip=%llu count=%llu\n",
				(unsigned long long)g->offset, (unsigned long long)g->length,
				(unsigned long long)((a->disk_offset + g->offset) / 512),
				(unsigned long long)(g->length / 512));
		}
		/* and GRUB's directory, which it rewrites */
		_cleanup_free_ char *dir = strdup(a->files[0]);
		char *cut = dir ? strstr(dir, "/i386-pc/") : NULL;
		if (cut) {
			*cut = 0;
			fputs("cp -a \"$R\"", f);
			shell_word(f, dir);
			fputs(" \"$J/\"\n", f);
		}
		if (!startswith(a->disk, "/dev/"))
			fputs("#    (a disk image: grub-install wants a block device; name the one\n"
			      "#    'losetup -f --show IMAGE' prints instead of the image)\n", f);
		fputs("chroot \"$R\"", f);
		STRV_FOREACH(x, a->argv) {
			fputc(' ', f);
			shell_word(f, *x);
		}
		fputc('\n', f);
		break;
	}
	case RSC_ACTION_ESP_STUB:
		fputs("#    the old file is kept in the journal\n", f);
		fputs("[ -e \"$R\"", f);
		shell_word(f, a->files[0]);
		fputs(" ] && cp -a \"$R\"", f);
		shell_word(f, a->files[0]);
		fputs(" \"$J/\"\ncat > \"$R\"", f);
		shell_word(f, a->files[0]);
		fprintf(f, " <<'EOF'\n%sEOF\n", a->content);
		break;
	default:
		STRV_FOREACH(x, a->files)
			if (!streq(*x, "/boot") && !streq(*x, "/.autorelabel")) {
				fputs("[ -e \"$R\"", f);
				shell_word(f, *x);
				fputs(" ] && cp -a \"$R\"", f);
				shell_word(f, *x);
				fputs(" \"$J/\"\n", f);
			}
		if (a->argv) {
			fputs("chroot \"$R\"", f);
			STRV_FOREACH(x, a->argv) {
				fputc(' ', f);
				shell_word(f, *x);
			}
			fputc('\n', f);
		} else if (a->files && streq(a->files[0], "/.autorelabel"))
			fputs("touch \"$R/.autorelabel\"\n", f);
	}
}

char *rsc_action_shell(const struct rsc_action *a) {
	char *out = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&out, &len);
	if (!f)
		return NULL;
	write_action_shell(f, a);
	if (fclose(f) != 0) {
		free(out);
		return NULL;
	}
	/* No trailing newline: callers put it where they want. */
	while (len && out[len - 1] == '\n')
		out[--len] = 0;
	return out;
}

int rsc_plan_write_script(const struct rsc_plan *p, const char *root_dir, FILE *f) {
	fprintf(f, "#!/bin/sh\n# Repair plan for %s, as a person would type it.\n", p->system);
	fprintf(f, "# The system is mounted read-write at R (rescue mount --rw); each step runs\n"
		   "# the system's own tools inside it, for its own kernel versions.\n");
	fputs("set -e\nR=", f);
	shell_word(f, root_dir);
	fputs("\nJ=\"$R/var/lib/rescue/journal/manual-$(date +%Y%m%d-%H%M%S)\"\nmkdir -p \"$J\"\n", f);
	for (size_t i = 0; i < p->n_actions; i++) {
		const struct rsc_action *a = &p->actions[i];
		fprintf(f, "\n# %zu. %s\n#    why: %s\n", i + 1, a->title, a->why);
		if (a->unless_present) {
			fputs("#    only if one of these is still missing by then:", f);
			STRV_FOREACH(x, a->unless_present)
				fprintf(f, " %s", *x);
			fputc('\n', f);
		}
		write_action_shell(f, a);
	}
	if (p->follow_up) {
		fputs("\n# Afterwards, on the running system:\n", f);
		STRV_FOREACH(x, p->follow_up)
			fprintf(f, "#   %s\n", *x);
	}
	if (p->unfixed) {
		fputs("\n# Not repaired automatically; a person must:\n", f);
		STRV_FOREACH(x, p->unfixed)
			fprintf(f, "#   %s\n", *x);
	}
	return ferror(f) ? -EIO : 0;
}

/* null for a file that is not there. */
static json_object *file_state_json(const struct rsc_file_state *fs) {
	if (!fs->exists)
		return NULL;
	static const struct {
		char type;
		const char *name;
	} types[] = { { 'f', "file" }, { 'd', "directory" }, { 'l', "symlink" } };
	const char *type = "other";
	for (size_t i = 0; i < ELEMENTSOF(types); i++)
		if (types[i].type == fs->type)
			type = types[i].name;
	json_object *o = json_object_new_object();
	json_object_object_add(o, "type", json_object_new_string(type));
	json_object_object_add(o, "size", json_object_new_int64((int64_t)fs->size));
	json_object_object_add(o, "sha256", fs->sha256[0] ? json_object_new_string(fs->sha256) : NULL);
	json_object_object_add(o, "label", fs->label ? json_object_new_string(fs->label) : NULL);
	return o;
}

int rsc_plan_to_json(const struct rsc_plan *p, struct json_object **ret) {
	json_object *o = json_object_new_object(), *arr = json_object_new_array(), *un = json_object_new_array();
	if (!o || !arr || !un)
		return -ENOMEM;
	json_object_object_add(o, "system", json_object_new_string(p->system));
	for (size_t i = 0; i < p->n_actions; i++) {
		const struct rsc_action *a = &p->actions[i];
		json_object *j = json_object_new_object(), *argv = json_object_new_array(), *files = json_object_new_array();
		json_object_object_add(j, "kind", json_object_new_string(kind_names[a->kind]));
		json_object_object_add(j, "title", json_object_new_string(a->title));
		json_object_object_add(j, "why", json_object_new_string(a->why));
		STRV_FOREACH(x, a->argv)
			json_object_array_add(argv, json_object_new_string(*x));
		json_object_object_add(j, "argv", argv);
		STRV_FOREACH(x, a->files)
			json_object_array_add(files, json_object_new_string(*x));
		json_object_object_add(j, "files", files);
		json_object *states = json_object_new_array();
		for (size_t f = 0; a->files && a->files[f]; f++) {
			json_object *st = json_object_new_object();
			json_object_object_add(st, "path", json_object_new_string(a->files[f]));
			json_object_object_add(st, "before", a->before ? file_state_json(&a->before[f]) : NULL);
			json_object_object_add(st, "after", a->after ? file_state_json(&a->after[f]) : NULL);
			json_object_array_add(states, st);
		}
		json_object_object_add(j, "file_states", states);
		char *sh = rsc_action_shell(a);
		json_object_object_add(j, "shell", sh ? json_object_new_string(sh) : NULL);
		free(sh);
		json_object *fixes = json_object_new_array();
		STRV_FOREACH(x, a->fixes)
			json_object_array_add(fixes, json_object_new_string(*x));
		json_object_object_add(j, "fixes", fixes);
		if (a->kind == RSC_ACTION_GRUB_INSTALL_BIOS) {
			json_object *disk = json_object_new_object(), *ranges = json_object_new_array();
			json_object_object_add(disk, "name", json_object_new_string(a->disk_name));
			json_object_object_add(disk, "file", json_object_new_string(a->disk));
			json_object_object_add(disk, "offset", json_object_new_int64((int64_t)a->disk_offset));
			for (size_t r = 0; r < a->n_disk_ranges; r++) {
				json_object *g = json_object_new_object();
				json_object_object_add(g, "offset", json_object_new_int64((int64_t)a->disk_ranges[r].offset));
				json_object_object_add(g, "length", json_object_new_int64((int64_t)a->disk_ranges[r].length));
				json_object_array_add(ranges, g);
			}
			json_object_object_add(disk, "saved", ranges);
			json_object_object_add(j, "disk", disk);
		}
		json_object_object_add(j, "status", json_object_new_string(rsc_action_status_to_string(a->status)));
		json_object_object_add(j, "exit_status", a->exit_status >= 0 ? json_object_new_int(a->exit_status) : NULL);
		json_object_object_add(j, "seconds", a->exit_status >= 0 ? json_object_new_double(a->seconds) : NULL);
		json_object_object_add(j, "result", a->result ? json_object_new_string(a->result) : NULL);
		json_object_array_add(arr, j);
	}
	json_object_object_add(o, "actions", arr);
	STRV_FOREACH(x, p->unfixed)
		json_object_array_add(un, json_object_new_string(*x));
	json_object_object_add(o, "needs_a_human", un);
	json_object *fu = json_object_new_array();
	STRV_FOREACH(x, p->follow_up)
		json_object_array_add(fu, json_object_new_string(*x));
	json_object_object_add(o, "follow_up", fu);
	json_object_object_add(o, "journal", p->journal ? json_object_new_string(p->journal) : NULL);
	*ret = o;
	return 0;
}
