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
#include "cmdline.h"
#include "confedit.h"
#include "diagnose-internal.h"
#include "fileio.h"
#include "genconf.h"
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
	[RSC_ACTION_EDIT_CONFIG] = "edit-config",
	[RSC_ACTION_GRUB_INSTALL_EFI] = "grub-install-efi",
	[RSC_ACTION_NVRAM_ENTRY] = "nvram-entry",
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
		free(a->old_line);
		free(a->finding_subject);
		free(a->result);
		free(a->disk_name);
		free(a->disk);
		free(a->efi.disk), free(a->efi.esp), free(a->efi.part_uuid), free(a->efi.loader), free(a->efi.label);
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

/* A profile's command template: %k kernel version, %i initramfs path, %c
 * grub.cfg path, %d disk, %e the ESP's mount point, %b the boot loader's
 * directory name on the ESP. */
struct fill_values {
	const char *k, *i, *c, *d, *e, *b;
};

static char *fill_with(const char *t, const struct fill_values *v) {
	char *out = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&out, &len);
	if (!f)
		return NULL;
	for (const char *p = t; *p; p++) {
		if (p[0] == '%' && p[1]) {
			const char *x = p[1] == 'k' ? v->k : p[1] == 'i' ? v->i : p[1] == 'c' ? v->c : p[1] == 'd' ? v->d :
					p[1] == 'e' ? v->e : p[1] == 'b' ? v->b : "";
			fputs(strempty(x), f);
			p++;
		} else
			fputc(*p, f);
	}
	fclose(f);
	return out;
}

static char *fill(const char *t, const char *k, const char *i, const char *c, const char *dk) {
	return fill_with(t, &(struct fill_values){ .k = k, .i = i, .c = c, .d = dk });
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

/* Does action x repair finding f? defaults_stale: a stale root= in the
 * command-line defaults stays (no edit could be planned for it), so a new
 * menu would carry it again. */
static bool action_fixes(const struct rsc_action *x, const struct rsc_finding *f, bool defaults_stale) {
	if (x->kver && streq_ptr(x->kver, f->subject))
		return true;
	switch (x->kind) {
	case RSC_ACTION_EDIT_CONFIG:
		return x->fixes && streq(x->fixes[0], f->code) && streq_ptr(x->finding_subject, f->subject);
	case RSC_ACTION_GRUB_CONFIG:
		if (defaults_stale && IN_SET(f->id, RSC_FINDING_CMDLINE_ROOT_UNKNOWN, RSC_FINDING_CMDLINE_ROOT_OTHER))
			return false;
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
	case RSC_ACTION_GRUB_INSTALL_EFI:
	case RSC_ACTION_NVRAM_ENTRY:
		return f->id == RSC_FINDING_ESP_LOADER_MISSING && streq_ptr(f->subject, x->disk_name);
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


static int unfixed_because(struct rsc_plan *p, const struct rsc_finding *f, const char *why) {
	char *t;
	if (asprintf(&t, "%s (%s): %s; %s", f->code, f->subject, why, f->fix) < 0)
		return -ENOMEM;
	int r = strv_push(&p->unfixed, t);
	if (r < 0)
		free(t);
	return r;
}

/* GRUB for UEFI onto the system's ESP: only when no loader the firmware
 * could start is left (the finding is an error), with the system's own
 * grub-install and its signed chain. grub-install writes no firmware boot
 * entry (--no-nvram): the removable-media path, which every firmware tries,
 * is written, and only because it is empty (the finding says so). With the
 * loader there and only an entry missing, plan_nvram_entry adds one instead
 * where the firmware's variables can be written. */
static int plan_grub_install_efi(struct rsc_plan *p, int rootfd, const struct rsc_system *s, const struct profile *prof,
				 const struct rsc_finding *f, const char *grub_cfg, bool *wrote_boot) {
	const char *esp = NULL;
	for (size_t i = 0; i < s->n_fstab; i++)
		if (streq(s->fstab[i].target, "/boot/efi") || streq(s->fstab[i].target, "/efi"))
			esp = s->fstab[i].target;
	const char *t = prof ? profile_get(prof, "grub_install_efi") : NULL;
	/* Where the signed loaders exist only as files of the system's
	 * packages (nothing under /usr to copy them from), they come back
	 * only by reinstalling those packages, which this offline medium does
	 * not carry: the profile names the command for a person. */
	const char *pkgs = prof ? profile_get(prof, "efi_loader_reinstall") : NULL;
	if ((!t || !esp) && pkgs) {
		_cleanup_free_ char *why = NULL;
		if (asprintf(&why, "this system's loaders on the ESP are files of its packages, which this medium does "
			     "not carry: with a network connection (or the system's install medium as a package "
			     "source), in the system (chroot, or a system that boots), run: %s", pkgs) < 0)
			return -ENOMEM;
		return unfixed_because(p, f, why);
	}
	if (!t || !esp)
		return unfixed_because(p, f, "this system's profile names no grub-install command for UEFI (its "
				       "loaders come from packages: reinstall them from a running system)");
	const char *id = strrchr(f->subject, '/') + 1;
	_cleanup_free_ char *dir = grub_dir_of(grub_cfg), *base = fill_with(t, &(struct fill_values){ .e = esp, .b = id });
	_cleanup_free_ char *own = NULL, *shim = NULL, *removable = NULL;
	if (!dir || !base || asprintf(&own, "%s%s/grubx64.efi", esp, f->subject) < 0 ||
	    asprintf(&shim, "%s%s/shimx64.efi", esp, f->subject) < 0 || asprintf(&removable, "%s/EFI/BOOT/BOOTX64.EFI", esp) < 0)
		return -ENOMEM;
	/* The signed chain where the system has it (shim and the signed
	 * GRUB), GRUB built here where it does not. */
	bool signed_chain = exists_in_root(rootfd, "/usr/lib/grub/x86_64-efi-signed/grubx64.efi.signed");
	bool with_shim = signed_chain && (exists_in_root(rootfd, "/usr/lib/shim/shimx64.efi.signed") ||
					  exists_in_root(rootfd, "/usr/lib/shim/shimx64.efi.dualsigned"));
	const char *sb = profile_get(prof, signed_chain ? "grub_install_efi_signed" : "grub_install_efi_unsigned");
	const char *rm = profile_get(prof, "grub_install_efi_removable");
	_cleanup_free_ char *cmd = NULL;
	if (asprintf(&cmd, "%s%s%s%s%s", base, sb ? " " : "", strempty(sb), rm ? " " : "", strempty(rm)) < 0)
		return -ENOMEM;
	/* --force installs where grub-install itself found it unsafe
	 * (--force-extra-removable is another option: the removable copy). */
	_cleanup_strv_free_ char **words = NULL;
	if (strv_split(cmd, " ", &words) < 0)
		return -ENOMEM;
	if (strv_contains(words, "--force"))
		return unfixed_because(p, f, "this system's profile names no safe grub-install command for UEFI");
	const char *esp_dev = NULL;
	for (size_t i = 0; i < s->n_fstab; i++)
		if (streq(s->fstab[i].target, esp))
			esp_dev = s->fstab[i].spec;
	struct rsc_action *a = action_new(p, RSC_ACTION_GRUB_INSTALL_EFI);
	if (!a || strv_split(cmd, " ", &a->argv) < 0 || strv_extend(&a->files, own) < 0 ||
	    (with_shim && strv_extend(&a->files, shim) < 0) || (rm && strv_extend(&a->files, removable) < 0) ||
	    set_str(&a->content, dir) < 0 || set_str(&a->disk_name, f->subject) < 0 || set_str(&a->disk, esp) < 0 ||
	    asprintf(&a->title, "Reinstall GRUB for UEFI on the ESP (%s%s) with %s", with_shim ? "shim and " : "",
		     f->subject, a->argv[0]) < 0 ||
	    asprintf(&a->why, "the firmware finds no loader for this system on the ESP (%s); %s%s, and the files "
		     "it replaces on the ESP and in %s are saved first; no firmware boot entry is written%s",
		     strna(esp_dev), with_shim ? "shim and the signed GRUB are copied from the system's packages" :
		     "GRUB is built from the system's modules", rm ? ", with the removable-media copy every firmware "
		     "starts without an entry" : "", dir, rm ? "" : " (one must point at it for the firmware to start it)") < 0)
		return -ENOMEM;
	*wrote_boot = true;
	return 0;
}

/* The system's loader is on the ESP and only a firmware boot entry that
 * starts it is missing (booted through UEFI, the variables writable): one
 * entry is added, first in BootOrder. Existing entries are not changed or
 * removed; the variables it writes are saved into the journal first. */
static int plan_nvram_entry(struct rsc_plan *p, const struct rsc_finding *f, const struct rsc_efi_entry *e) {
	struct rsc_action *a = action_new(p, RSC_ACTION_NVRAM_ENTRY);
	if (!a || set_str(&a->disk_name, f->subject) < 0 || set_str(&a->efi.disk, e->disk) < 0 ||
	    set_str(&a->efi.esp, e->esp) < 0 || set_str(&a->efi.part_uuid, e->part_uuid) < 0 ||
	    set_str(&a->efi.loader, e->loader) < 0 || set_str(&a->efi.label, e->label) < 0)
		return -ENOMEM;
	if (e->existing >= 0 ?
	    asprintf(&a->title, "Put the firmware boot entry Boot%04X for %s on %s first in the boot order%s",
		     (unsigned)e->existing, e->loader, e->esp, e->existing_inactive ? ", and make it active" : "") < 0 ||
	    asprintf(&a->why, "the firmware has an entry for the system's loader but skips it (%s) and the "
		     "removable-media path is empty; the boot order%s is saved into the journal first (undo puts "
		     "it back)", e->existing_inactive ? "inactive" : "not in BootOrder",
		     e->existing_inactive ? " and the entry" : "") < 0 :
	    asprintf(&a->title, "Add a firmware boot entry \"%s\" for %s on %s, first in the boot order", e->label,
		     e->loader, e->esp) < 0 ||
	    asprintf(&a->why, "the system's loader is on the ESP, but no firmware boot entry starts it and the "
		     "removable-media path is empty; the boot order and the new entry's variable are saved into "
		     "the journal first (undo removes the entry and puts the order back)") < 0)
		return -ENOMEM;
	a->efi.existing = e->existing;
	a->efi.existing_inactive = e->existing_inactive;
	a->efi.partno = e->partno;
	a->efi.start = e->start;
	a->efi.size = e->size;
	a->efi.writable = true;
	return 0;
}

/* ---- the configuration behind a finding: one line changed ---- */

/* An edit of line `line` of `path` from old to new, repairing finding f. */
static int edit_action(struct rsc_plan *p, const struct rsc_finding *f, const char *path, unsigned line,
		       const char *old, const char *new, const char *title, const char *why) {
	struct rsc_action *a = action_new(p, RSC_ACTION_EDIT_CONFIG);
	if (!a || strv_extend(&a->files, path) < 0 || set_str(&a->old_line, old) < 0 || set_str(&a->content, new) < 0 ||
	    set_str(&a->title, title) < 0 || set_str(&a->why, why) < 0 || strv_extend(&a->fixes, f->code) < 0 ||
	    set_str(&a->finding_subject, f->subject) < 0)
		return -ENOMEM;
	a->line = line;
	return 0;
}


/* dracut tests " $list " == *\ $mod\ *: words are separated by spaces. */
static bool list_has(const char *list, const char *word) {
	size_t wl = strlen(word);
	for (const char *q = list; q && *q;) {
		q += strspn(q, " ");
		size_t n = strcspn(q, " ");
		if (n == wl && strncmp(q, word, wl) == 0)
			return true;
		q += n;
	}
	return false;
}

struct line_edit {
	const struct rsc_assignment *by;
	char **words;
	bool add;       /* put the words into a dracutmodules= list, not take them out of an omit list */
};

/* generator-omits-root-module: dracut's --add cannot override its omit
 * list, so the line that leaves the modules out is the thing to change,
 * and only the module names in it (or the names missing from a
 * dracutmodules= list). Every line that omits one of them counts: with
 * one left, the next image lacks it still. All the lines are changed or
 * none (a half-fixed configuration builds the same broken image):
 * returns 1 when the edits were planned, 0 when a person must do it. */
static int plan_generator_edits(rsc_context *ctx, struct rsc_plan *p, int rootfd, const struct rsc_system *s,
				const struct rsc_finding *f) {
	if (!streq_ptr(s->generator, "dracut"))
		return unfixed_because(p, f, "only dracut's configuration is changed automatically"), 0;
	/* The modules are the ones diagnose listed: "... dracut leaves out
	 * crypt, lvm: FILE line N: ...". */
	const char *m = strstr(f->evidence, "dracut leaves out ");
	_cleanup_strv_free_ char **modules = NULL;
	if (m) {
		m += strlen("dracut leaves out ");
		_cleanup_free_ char *list = strndup(m, strcspn(m, ":"));
		if (!list || strv_split(list, ", ", &modules) < 0)
			return -ENOMEM;
	}
	if (!modules)
		return unfixed_because(p, f, "which modules are left out could not be read back"), 0;
	struct genconf c = { 0 };
	int r = genconf_read(ctx, rootfd, s->generator, &c);
	if (r < 0)
		return r;
	struct line_edit edits[16];
	size_t n = 0;
	const char *problem = NULL;
	/* The omit lines since the last plain assignment (which starts the
	 * list afresh). */
	size_t from = 0;
	for (size_t i = 0; i < c.n_assignments; i++)
		if (streq(c.assignments[i].key, "omit_dracutmodules") && !c.assignments[i].append)
			from = i;
	STRV_FOREACH(mod, modules) {
		const struct rsc_assignment *by = NULL;
		if (genconf_dracut_excludes(&c, *mod, &by) <= 0 || !by)
			continue;
		bool add = streq(by->key, "dracutmodules");
		for (size_t i = add ? 0 : from; r >= 0 && i < c.n_assignments; i++) {
			const struct rsc_assignment *a = &c.assignments[i];
			if (add ? a != by : !(streq(a->key, "omit_dracutmodules") && list_has(a->text, *mod)))
				continue;
			size_t e = 0;
			while (e < n && edits[e].by != a)
				e++;
			if (e == n) {
				if (n == ELEMENTSOF(edits)) {
					problem = "too many lines leave them out";
					break;
				}
				edits[n++] = (struct line_edit){ .by = a, .add = add };
			}
			if (!strv_contains(edits[e].words, *mod) && strv_extend(&edits[e].words, *mod) < 0)
				r = -ENOMEM;
		}
	}
	/* Worked out first, planned only if every line can be changed. */
	_cleanup_strv_free_ char **olds = NULL, **news = NULL;
	for (size_t e = 0; r >= 0 && !problem && e < n; e++) {
		const struct rsc_assignment *a = edits[e].by;
		_cleanup_free_ char *text = NULL, *line = NULL, *new = NULL;
		size_t size = 0;
		int empty = 0, q;
		if (read_file_in_root(rootfd, a->file, READ_FILE_MAX, &text, &size) < 0 || strlen(text) != size ||
		    text_line(text, a->line, &line) < 0) {
			problem = "a line that leaves them out could not be read back";
			break;
		}
		q = edits[e].add ? assignment_add_words(line, a->key, edits[e].words, &new) :
				   assignment_remove_words(line, a->key, edits[e].words, &new, &empty);
		if (q == -ENOMEM)
			r = q;
		else if (q <= 0)
			problem = "a line that leaves them out is not a plain quoted list on one line";
		else if (empty) {
			/* Nothing left to omit: the line commented out says what it
			 * was, and leaves no empty assignment behind. */
			free(new);
			if (asprintf(&new, "# %s", line) < 0)
				r = -ENOMEM;
		}
		if (r >= 0 && !problem && (strv_extend(&olds, line) < 0 || strv_extend(&news, new) < 0))
			r = -ENOMEM;
	}
	for (size_t e = 0; r >= 0 && !problem && e < n; e++) {
		const struct rsc_assignment *a = edits[e].by;
		_cleanup_free_ char *mods = strv_join(edits[e].words, " "), *title = NULL, *why = NULL;
		if (!mods || asprintf(&title, "Change %s line %u so dracut keeps %s", a->file, a->line, mods) < 0 ||
		    asprintf(&why, "generator-omits-root-module: this line %s %s, which the root needs; dracut's --add "
			     "cannot override an omit list, so every image (this repair's and the next kernel "
			     "update's) would lack them until the line is changed%s", edits[e].add ?
			     "lists dracut's modules without" : "leaves out", mods,
			     startswith(a->file, "/usr/") ? " (a vendor file: a package update may bring the line back; "
			     "a file of the same name in /etc/dracut.conf.d overrides it)" : "") < 0)
			r = -ENOMEM;
		else
			r = edit_action(p, f, a->file, a->line, olds[e], news[e], title, why);
	}
	for (size_t e = 0; e < n; e++)
		strv_free(edits[e].words);
	genconf_done(&c);
	if (r < 0)
		return r;
	if (problem || n == 0)
		return unfixed_because(p, f, problem ? problem : "no line that leaves them out was found"), 0;
	return 1;
}

/* The lines of path (in the root) that hold root=stale, each edited to
 * drop it (replacement NULL) or to name replacement. only_keys: lines
 * assigning one of these shell variables (NULL: every line that is not a
 * comment). Returns how many edits were planned. */
static int plan_cmdline_file_edits(struct rsc_plan *p, int rootfd, const struct rsc_finding *f, const char *path,
				   const char *const *only_keys, const char *stale, const char *replacement) {
	_cleanup_free_ char *text = NULL;
	size_t size = 0;
	if (read_file_in_root(rootfd, path, READ_FILE_MAX, &text, &size) < 0 || strlen(text) != size)
		return 0;
	int planned = 0, r = 0;
	unsigned no = 0;
	for (const char *l = text; r >= 0 && *l; l += strcspn(l, "\n") + (l[strcspn(l, "\n")] == '\n')) {
		no++;
		_cleanup_free_ char *line = strndup(l, strcspn(l, "\n")), *new = NULL;
		if (!line)
			return -ENOMEM;
		const char *t = line + strspn(line, " \t");
		if (*t == '#')
			continue;
		if (only_keys) {
			bool ok = false;
			t = startswith(t, "export ") ? t + 7 + strspn(t + 7, " \t") : t;
			for (const char *const *k = only_keys; *k && !ok; k++) {
				const char *e = startswith(t, *k);
				ok = e && (*e == '=' || (e[0] == '+' && e[1] == '='));
			}
			if (!ok)
				continue;
		}
		int q = cmdline_line_set_param(line, "root", stale, replacement, &new);
		if (q < 0)
			return q;
		if (q == 0)
			continue;
		_cleanup_free_ char *title = NULL, *why = NULL;
		if (replacement ? asprintf(&title, "Correct root= in %s line %u to root=%s", path, no, replacement) < 0 :
				  asprintf(&title, "Take the stale root=%s out of %s line %u", stale, path, no) < 0)
			return -ENOMEM;
		if (replacement ? asprintf(&why, "cmdline-default-root-unknown: new boot entries are made from this "
					   "line, and root=%s is on none of the disks; the root fstab names is %s",
					   stale, replacement) < 0 :
				  asprintf(&why, "cmdline-default-root-unknown: grub-mkconfig writes root= for the system's "
					   "own root into every entry and then this line's root=%s, which is on none of "
					   "the disks and, being last, is the one the kernel uses; without it the right "
					   "one counts", stale) < 0)
			return -ENOMEM;
		r = edit_action(p, f, path, no, line, new, title, why);
		planned++;
	}
	return r < 0 ? r : planned;
}

/* cmdline-default-root-unknown: the line of the defaults holding the
 * stale root=. In GRUB's defaults it is taken out (grub-mkconfig writes
 * the root's own root= in front of it, so the entries come out right and
 * stay right if the root moves again); /etc/kernel/cmdline is the whole
 * command line of new entries, so there it is corrected to the root fstab
 * names. Returns 1 when planned, 0 when left to a person. */
static int plan_cmdline_default_edits(rsc_context *ctx, struct rsc_plan *p, int rootfd, const struct rsc_system *s,
				      const struct rsc_finding *f) {
	struct cmdline_defaults d = { 0 };
	int r = cmdline_defaults_read(ctx, rootfd, &d);
	if (r < 0)
		return r;
	bool kernel = streq_ptr(f->subject, "/etc/kernel/cmdline");
	const struct cmdline_param *stale = cmdline_last(kernel ? &d.kernel : &d.grub, "root");
	_cleanup_free_ char *value = stale ? strdup(stale->value) : NULL;
	cmdline_defaults_done(&d);
	if (!value)
		return unfixed_because(p, f, "the stale root= could not be read back"), 0;
	if (kernel) {
		const char *spec = NULL;
		for (size_t i = 0; i < s->n_fstab && !spec; i++)
			if (streq(s->fstab[i].target, "/"))
				spec = s->fstab[i].spec;
		if (!spec)
			return unfixed_because(p, f, "fstab names no root to put there"), 0;
		r = plan_cmdline_file_edits(p, rootfd, f, "/etc/kernel/cmdline", NULL, value, spec);
	} else {
		static const char *const keys[] = { "GRUB_CMDLINE_LINUX", "GRUB_CMDLINE_LINUX_DEFAULT", NULL };
		_cleanup_strv_free_ char **dropins = NULL;
		r = conf_dir_list(rootfd, "/etc/default/grub.d", ".cfg", &dropins);
		if (r >= 0)
			r = plan_cmdline_file_edits(p, rootfd, f, "/etc/default/grub", keys, value, NULL);
		STRV_FOREACH(x, dropins) {
			_cleanup_free_ char *path = path_join("/etc/default/grub.d", *x);
			if (!path)
				return -ENOMEM;
			int q = r < 0 ? r : plan_cmdline_file_edits(p, rootfd, f, path, keys, value, NULL);
			r = q < 0 ? q : r + q;
		}
	}
	if (r < 0)
		return r;
	if (r == 0)
		return unfixed_because(p, f, "no line holding it literally was found (set through another variable?)"), 0;
	return 1;
}


/* fstab-device-missing with the one filesystem that provably is it: the
 * line's device field (and nothing else) names that filesystem. */
static int plan_fstab_edit(rsc_context *ctx, struct rsc_plan *p, int rootfd, const struct rsc_system *s,
			   const struct rsc_finding *f) {
	const struct rsc_fstab_entry *e = NULL;
	for (size_t i = 0; i < s->n_fstab && !e; i++)
		if (streq(s->fstab[i].target, f->subject))
			e = &s->fstab[i];
	_cleanup_free_ char *text = NULL, *line = NULL, *new = NULL, *title = NULL, *why = NULL;
	size_t size = 0;
	if (!e || read_file_in_root(rootfd, "/etc/fstab", READ_FILE_MAX, &text, &size) < 0 || strlen(text) != size ||
	    text_line(text, e->line, &line) < 0)
		return unfixed_because(p, f, "its fstab line could not be read back"), 0;
	/* The first field, as written (blanks before it kept). */
	size_t lead = strspn(line, " \t"), len = strcspn(line + lead, " \t");
	if (len != strlen(e->spec) || strncmp(line + lead, e->spec, len) != 0)
		return unfixed_because(p, f, "its fstab line does not start with the device it names"), 0;
	if (asprintf(&new, "%.*s%s%s", (int)lead, line, f->replacement, line + lead + len) < 0 ||
	    asprintf(&title, "Point /etc/fstab line %u (%s) at %s", e->line, e->target, f->replacement) < 0 ||
	    asprintf(&why, "fstab-device-missing: %s is on none of the disks (the filesystem was made anew); %s is "
		     "the one filesystem that holds what %s holds for this system and that no fstab line names "
		     "(it was mounted there for this diagnosis)", e->spec, f->replacement, e->target) < 0)
		return -ENOMEM;
	int r = edit_action(p, f, "/etc/fstab", e->line, line, new, title, why);
	return r < 0 ? r : 1;
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
	bool need_menu = false, wrote_boot = false, defaults_stale = false, skip_rebuild = false;
	/* Why no image is rebuilt although one is broken: said in place of
	 * the rebuild command, which would only make the same image again. */
	const char *rebuild_blocked = NULL;

	/* The causes first: configuration lines the steps after them depend
	 * on (a rebuild honours the generator's configuration, a new menu the
	 * command-line defaults). */
	for (size_t i = 0; r >= 0 && i < d->n_findings; i++) {
		const struct rsc_finding *f = &d->findings[i];
		if (f->id == RSC_FINDING_GENERATOR_OMITS_ROOT_MODULE) {
			r = plan_generator_edits(ctx, p, rootfd, s, f);
			/* Rebuilding from the configuration as it is would make the
			 * same broken image again: then a person fixes it first. */
			if (r == 0) {
				skip_rebuild = true;
				rebuild_blocked = "not rebuilt: dracut's configuration leaves out what the root needs, "
						  "and a rebuild would make the same image (see generator-omits-root-module)";
			}
		} else if (f->id == RSC_FINDING_GENERATOR_COMPRESSION_UNSUPPORTED) {
			/* An image rebuilt now would be compressed the same way the
			 * kernel cannot unpack: the setting is a person's to change
			 * first (the finding says how), then the rebuild. */
			skip_rebuild = true;
			rebuild_blocked = "not rebuilt: the generator would compress it in a format this kernel cannot "
					  "unpack (see generator-compression-unsupported); change that setting first";
		} else if (f->id == RSC_FINDING_FSTAB_DEVICE_MISSING && f->replacement) {
			r = plan_fstab_edit(ctx, p, rootfd, s, f);
		} else if (f->id == RSC_FINDING_CMDLINE_DEFAULT_ROOT_UNKNOWN) {
			bool kernel = streq_ptr(f->subject, "/etc/kernel/cmdline");
			r = plan_cmdline_default_edits(ctx, p, rootfd, s, f);
			if (!kernel) {
				defaults_stale = defaults_stale || r == 0;
				need_menu = need_menu || r > 0;
			}
		}
	}
	if (r > 0)
		r = 0;

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
		if (!code || !k->image || !k->has_modules || !rebuild_t || skip_rebuild)
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

	/* GRUB for UEFI: only when the firmware has nothing left to start. */
	const struct rsc_finding *loader = finding(d, RSC_FINDING_ESP_LOADER_MISSING, NULL);
	if (r >= 0 && loader && loader->severity == RSC_SEVERITY_ERROR) {
		/* Only an entry missing: add one where the firmware's variables
		 * can be written, else the removable-media copy. */
		if (d->efi_entry && d->efi_entry->writable)
			r = plan_nvram_entry(p, loader, d->efi_entry);
		else
			r = plan_grub_install_efi(p, rootfd, s, prof, loader, grub_cfg, &wrote_boot);
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
			if (action_fixes(&p->actions[a], &d->findings[i], defaults_stale) &&
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
			covered = action_fixes(x, f, defaults_stale);
		}
		/* Already said, with the reason it is left to a person. */
		_cleanup_free_ char *said = NULL;
		if (asprintf(&said, "%s (%s): ", f->code, f->subject) < 0)
			r = -ENOMEM;
		STRV_FOREACH(x, p->unfixed)
			covered = covered || (said && startswith(*x, said));
		bool image = false;
		for (size_t c = 0; c < ELEMENTSOF(image_codes); c++)
			image = image || f->id == image_codes[c];
		if (!covered && image && rebuild_blocked) {
			char *t;
			if (asprintf(&t, "%s (%s): %s", f->code, f->subject, rebuild_blocked) < 0)
				r = -ENOMEM;
			else if ((r = strv_push(&p->unfixed, t)) < 0)
				free(t);
		} else if (!covered)
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
	case RSC_ACTION_EDIT_CONFIG: {
		fprintf(f, "#    line %u now:   %s\n#    line %u after: %s\n", a->line, a->old_line, a->line, a->content);
		fputs("cp -a \"$R\"", f);
		shell_word(f, a->files[0]);
		fputs(" \"$J/\"\n", f);
		/* sed's "Nc\\text" replaces line N with text, in which a
		 * backslash must be doubled. */
		_cleanup_free_ char *script = NULL;
		size_t len = 0;
		FILE *m = open_memstream(&script, &len);
		if (!m)
			break;
		fprintf(m, "%uc\\", a->line);
		for (const char *c = a->content; *c; c++)
			fputs(*c == '\\' ? "\\\\" : (char[]){ *c, 0 }, m);
		fclose(m);
		fputs("sed -i ", f);
		shell_word(f, strempty(script));
		fputs(" \"$R\"", f);
		shell_word(f, a->files[0]);
		fputc('\n', f);
		break;
	}
	case RSC_ACTION_GRUB_INSTALL_EFI:
		fputs("#    what it overwrites is kept in the journal: GRUB's UEFI directory and the\n"
		      "#    ESP's loader directories\n", f);
		fputs("cp -a \"$R\"", f);
		shell_word(f, a->content);
		fputs("/x86_64-efi \"$J/\" 2>/dev/null\n", f);
		STRV_FOREACH(x, a->files) {
			_cleanup_free_ char *d = strdup(*x);
			char *slash = d ? strrchr(d, '/') : NULL;
			if (!slash)
				continue;
			*slash = 0;
			fputs("cp -a \"$R\"", f);
			shell_word(f, d);
			fputs(" \"$J/\" 2>/dev/null\n", f);
		}
		fputs("chroot \"$R\"", f);
		STRV_FOREACH(x, a->argv) {
			fputc(' ', f);
			shell_word(f, *x);
		}
		fputc('\n', f);
		break;
	case RSC_ACTION_NVRAM_ENTRY: {
		fputs("#    the boot order is kept in the journal (efibootmgr prints it)\n", f);
		fputs("efibootmgr > \"$J/efibootmgr.before\"\n", f);
		if (a->efi.existing >= 0) {
			unsigned b = (unsigned)a->efi.existing;
			if (a->efi.existing_inactive)
				fprintf(f, "efibootmgr --bootnum %04X --active\n", b);
			fprintf(f, "#    the entry first, the others in the order they had\n"
				"efibootmgr --bootorder %04X$(efibootmgr | sed -n 's/^BootOrder: //p' | tr , '\\n' | "
				"grep -vx %04X | sed 's/^/,/' | tr -d '\\n')\n", b, b);
			break;
		}
		fputs("#    the new entry goes first\n", f);
		fputs("efibootmgr --create --disk ", f);
		shell_word(f, a->efi.disk);
		fprintf(f, " --part %u --label ", a->efi.partno);
		shell_word(f, a->efi.label);
		_cleanup_free_ char *loader = strdup(a->efi.loader);
		for (char *c = loader; c && *c; c++)
			if (*c == '/')
				*c = '\\';
		fputs(" --loader ", f);
		shell_word(f, strempty(loader));
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
		if (a->kind == RSC_ACTION_EDIT_CONFIG) {
			json_object *e = json_object_new_object();
			json_object_object_add(e, "file", json_object_new_string(a->files[0]));
			json_object_object_add(e, "line", json_object_new_int((int)a->line));
			json_object_object_add(e, "old", json_object_new_string(a->old_line));
			json_object_object_add(e, "new", json_object_new_string(a->content));
			json_object_object_add(j, "edit", e);
		}
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
		if (a->kind == RSC_ACTION_NVRAM_ENTRY) {
			json_object *e = json_object_new_object();
			json_object_object_add(e, "label", json_object_new_string(a->efi.label));
			json_object_object_add(e, "loader", json_object_new_string(a->efi.loader));
			json_object_object_add(e, "disk", json_object_new_string(a->efi.disk));
			json_object_object_add(e, "partition", json_object_new_string(a->efi.esp));
			json_object_object_add(e, "partno", json_object_new_int((int)a->efi.partno));
			json_object_object_add(e, "part_uuid", json_object_new_string(a->efi.part_uuid));
			json_object_object_add(e, "start", json_object_new_int64((int64_t)a->efi.start));
			json_object_object_add(e, "size", json_object_new_int64((int64_t)a->efi.size));
			json_object_object_add(j, "efi_entry", e);
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
