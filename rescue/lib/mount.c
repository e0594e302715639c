/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Mounting an installed system under a target directory the way its own
 * fstab says: root (with its btrfs subvolume), then /usr, /boot, /boot/efi
 * and /efi. Read-only by default, with journal replay off; read-write only
 * when the filesystem's state says it is clean. Each mount is recorded in
 * the undo journal as soon as it exists.
 */
#include <dirent.h>
#include <endian.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#include "dm.h"
#include "fileio.h"
#include "loop.h"
#include "rescue/assemble.h"
#include "scan-internal.h"
#include "strv.h"

/* Mount points of an installed system that a repair needs. */
static const char *const wanted_targets[] = { "/usr", "/boot", "/boot/efi", "/efi" };

/* fstab options passed on: the ones that decide what is mounted (a btrfs
 * subvolume), not how the running system used it. */
static const char *const kept_options[] = { "subvol=", "subvolid=" };

static int mkdir_p(const char *path) {
	_cleanup_free_ char *p = strdup(path);
	if (!p)
		return -ENOMEM;
	for (char *s = p + 1; *s; s++)
		if (*s == '/') {
			*s = 0;
			if (mkdir(p, 0755) < 0 && errno != EEXIST)
				return negative_errno();
			*s = '/';
		}
	if (mkdir(p, 0755) < 0 && errno != EEXIST)
		return negative_errno();
	return 0;
}

/* ext2/3/4 superblock: clean unless it records errors or was not
 * unmounted cleanly. A journal needing replay is reported, not refused:
 * the kernel replays it on a read-write mount, as at boot. */
static int ext_state(rsc_context *ctx, const struct rsc_device *d, bool *ret_needs_recovery) {
	_cleanup_close_ int fd = open(d->file, O_RDONLY | O_CLOEXEC);
	uint8_t sb[1024];
	if (fd < 0 || pread(fd, sb, sizeof(sb), (off_t)(d->offset + 1024)) != (ssize_t)sizeof(sb))
		return -EIO;
	if (le16toh(*(uint16_t *)(sb + 0x38)) != 0xEF53)
		return -EBADMSG;
	uint16_t state = le16toh(*(uint16_t *)(sb + 0x3A));
	uint32_t incompat = le32toh(*(uint32_t *)(sb + 0x60));
	*ret_needs_recovery = incompat & 0x4;
	if (state & 0x2)
		return 1; /* errors recorded */
	return 0;
}

static int mount_one(rsc_context *ctx, const struct rsc_device *d, const char *where, const char *fs_options,
		     bool rw) {
	const char *fstype = d->type;
	if (streq_ptr(fstype, "ext2") || streq_ptr(fstype, "ext3"))
		fstype = "ext4";
	if (rw && (streq_ptr(d->type, "ext2") || streq_ptr(d->type, "ext3") || streq_ptr(d->type, "ext4"))) {
		bool recover = false;
		int st = ext_state(ctx, d, &recover);
		if (st == 1) {
			if (d->node)
				return log_error_errno(ctx, EUCLEAN, "%s: the %s filesystem records errors; not mounting it "
						       "read-write. Check it first: e2fsck -f %s", d->name, d->type, d->node);
			return log_error_errno(ctx, EUCLEAN, "%s: the %s filesystem records errors; not mounting it "
					       "read-write. Check it first: e2fsck -f \"$(losetup -f --show -o %" PRIu64
					       " --sizelimit %" PRIu64 " %s)\"", d->name, d->type, d->offset, d->size, d->file);
		}
		if (recover)
			log_notice(ctx, "%s: its journal needs replaying; mounting read-write replays it, as a boot would",
				   d->name);
	}

	_cleanup_free_ char *options = NULL;
	const char *norecover = !rw && (streq(fstype, "ext4")) ? "noload" :
				!rw && streq(fstype, "xfs") ? "norecovery" :
				!rw && streq(fstype, "btrfs") ? "rescue=nologreplay" : NULL;
	if (asprintf(&options, "%s%s%s", strempty(norecover), norecover && fs_options && *fs_options ? "," : "",
		     strempty(fs_options)) < 0)
		return -ENOMEM;

	_cleanup_free_ char *loopnode = NULL;
	_cleanup_close_ int lfd = -EBADF;
	const char *source = d->node;
	if (!source) {
		/* An image partition: a loop device over its extent, cleared by
		 * the kernel when the mount goes away. */
		lfd = loop_attach(d->file, d->offset, d->size, !rw, &loopnode);
		if (lfd < 0)
			return log_error_errno(ctx, lfd, "%s: cannot attach a loop device: %m", d->name);
		source = loopnode;
	}
	int r = mkdir_p(where);
	if (r < 0)
		return log_error_errno(ctx, r, "Cannot create %s: %m", where);
	if (mount(source, where, fstype, rw ? 0 : MS_RDONLY, options) < 0)
		return log_error_errno(ctx, errno, "%s: cannot mount %s at %s (%s): %m", d->name, fstype, where,
				       *options ? options : "no options");
	log_info(ctx, "Mounted %s (%s) at %s %s", d->name, fstype, where, rw ? "read-write" : "read-only");
	return rsc_undo_record(ctx, RSC_UNDO_MOUNT, where);
}

static char *kept_fstab_options(const char *options) {
	_cleanup_strv_free_ char **all = NULL, **kept = NULL;
	if (strv_split(options, ",", &all) < 0)
		return NULL;
	STRV_FOREACH(o, all)
		for (size_t i = 0; i < ELEMENTSOF(kept_options); i++)
			if (startswith(*o, kept_options[i]) && strv_extend(&kept, *o) < 0)
				return NULL;
	return kept ? strv_join(kept, ",") : strdup("");
}

int mount_choose_system(rsc_context *ctx, const struct rsc_scan *scan, const char *id) {
	if (id) {
		for (size_t i = 0; i < scan->n_systems; i++)
			if (streq(scan->systems[i].id, id))
				return (int)i;
		log_error(ctx, "No system '%s' found among the systems the scan found", id);
		return -ENOENT;
	}
	if (scan->n_systems == 1)
		return 0;
	if (scan->n_systems == 0) {
		bool locked = false;
		for (size_t i = 0; i < scan->n_devices; i++)
			locked = locked || scan->devices[i].status == RSC_DEVICE_LOCKED;
		log_error(ctx, "No installed system found%s", locked ? "; encrypted volumes are locked: "
								       "unlock them first" : "");
		return -RSC_ERR_NO_SYSTEM;
	}
	log_error(ctx, "%zu installed systems found; choose one of them:", scan->n_systems);
	for (size_t i = 0; i < scan->n_systems; i++)
		log_error(ctx, "  %-16s %s on %s", scan->systems[i].id, scan->systems[i].pretty_name,
			  scan->systems[i].root_device >= 0 ? scan->devices[scan->systems[i].root_device].name : "?");
	return -RSC_ERR_AMBIGUOUS;
}

static int cmp_target_depth(const void *a, const void *b) {
	const struct rsc_fstab_entry *x = *(struct rsc_fstab_entry *const *)a, *y = *(struct rsc_fstab_entry *const *)b;
	return strcmp(x->target, y->target);
}

/* lvm(8) with a configuration of its own: the rescue system's lvm.conf
 * filters were written for another machine, and udev may not be running. */
static const char lvm_config[] =
	"devices { filter = [ \"a|.*|\" ] global_filter = [ \"a|.*|\" ] } "
	"activation { udev_sync = 0 udev_rules = 0 }";

/* A tool's exit status (127: not installed) with its output, or
 * -ECANCELED when a cancel stopped it. */
static int run_quiet(rsc_context *ctx, char *const argv[], char **ret_output) {
	struct rsc_run_options o = { .argv = (const char *const *)argv, .ret_output = ret_output };
	return rsc_run(ctx, &o);
}

/* The MD arrays the kernel has now (md127, ...), active or not. */
static char **md_arrays(void) {
	char **l = NULL;
	DIR *d = opendir("/sys/block");
	if (!d)
		return NULL;
	struct dirent *de;
	while ((de = readdir(d))) {
		char path[PATH_MAX];
		snprintf(path, sizeof(path), "/sys/block/%s/md", de->d_name);
		if (startswith(de->d_name, "md") && access(path, F_OK) == 0)
			strv_extend(&l, de->d_name);
	}
	closedir(d);
	return l;
}

/* Assembles the MD arrays whose members are present, from the members'
 * own superblocks: the rescue system's mdadm.conf (if any) describes
 * another machine. An array with members missing is started too, since its
 * system may be on it, but said loudly: it runs without redundancy. What
 * is assembled is recorded, so that umount stops exactly that. Returns how
 * many arrays appeared. */
int mount_assemble_md(rsc_context *ctx, const struct rsc_scan *scan) {
	int r = rsc_step_pause(ctx, "activate: before MD arrays");
	if (r < 0)
		return r;
	bool members = false;
	for (size_t i = 0; i < scan->n_devices && !members; i++)
		members = scan->devices[i].node && streq_ptr(scan->devices[i].type, "linux_raid_member");
	if (!members)
		return 0;
	_cleanup_strv_free_ char **before = md_arrays();
	char *argv[] = { (char *)"mdadm", (char *)"--assemble", (char *)"--scan", (char *)"--run",
			 (char *)"--config=partitions", NULL };
	_cleanup_free_ char *out = NULL;
	r = run_quiet(ctx, argv, &out);
	if (r < 0 && r != -ECANCELED)
		return r;
	if (r == 127) {
		log_warning(ctx, "MD RAID members found, but mdadm(8) is not installed: their arrays stay unassembled");
		return 0;
	}
	_cleanup_strv_free_ char **after = md_arrays();
	int n = 0;
	STRV_FOREACH(a, after) {
		if (strv_contains(before, *a))
			continue;
		int q = rsc_undo_record(ctx, RSC_UNDO_MD, *a);
		if (q < 0)
			return q;
		n++;
		char path[PATH_MAX];
		_cleanup_free_ char *degraded = NULL, *raid = NULL, *level = NULL;
		snprintf(path, sizeof(path), "/sys/block/%s/md/degraded", *a);
		(void)read_first_line(path, &degraded);
		snprintf(path, sizeof(path), "/sys/block/%s/md/raid_disks", *a);
		(void)read_first_line(path, &raid);
		snprintf(path, sizeof(path), "/sys/block/%s/md/level", *a);
		(void)read_first_line(path, &level);
		if (r == -ECANCELED)
			continue; /* recorded, so that the teardown stops it */
		if (degraded && strtoul(degraded, NULL, 10) > 0)
			log_warning(ctx, "MD array %s (%s) is degraded: %s of its %s members are missing. It was started "
				    "anyway and runs without redundancy; replace the missing member (mdadm --add) once "
				    "the system runs", *a, strna(level), degraded, strna(raid));
		else
			log_info(ctx, "Assembled MD array %s (%s)", *a, strna(level));
	}
	if (r == -ECANCELED)
		return r;
	if (r != 0 && n == 0) {
		for (char *p = out; p && *p; p++)
			if (*p == '\n')
				*p = ';';
		log_warning(ctx, "MD RAID members found, but no array could be assembled (%s)", strna(out));
	}
	return n;
}

/* Activates the volume groups found inactive, so the system's LVs are
 * there as the target's own tools expect (/dev/VG/LV). Returns how many
 * were activated. Without device-mapper, linear LVs remain reachable
 * through their extents, and that is said. */
int mount_activate_vgs(rsc_context *ctx, const struct rsc_scan *scan, bool rw) {
	int n = 0;
	for (size_t i = 0; i < scan->n_vgs; i++) {
		const struct rsc_volume_group *vg = &scan->vgs[i];
		if (vg->active)
			continue;
		/* PVs inside image files need a block device for lvm to find;
		 * the LVs keep it busy, and it detaches itself once they are
		 * deactivated. */
		int fds[16];
		size_t nfds = 0;
		for (size_t d = 0; d < scan->n_devices && nfds < ELEMENTSOF(fds); d++) {
			const struct rsc_device *dev = &scan->devices[d];
			if (dev->node || !streq_ptr(dev->type, "LVM2_member") || !streq_ptr(dev->vg, vg->name))
				continue;
			_cleanup_free_ char *node = NULL;
			int fd = loop_attach(dev->file, dev->offset, dev->size, !rw, &node);
			if (fd >= 0)
				fds[nfds++] = fd;
		}
		char *argv[] = { (char *)"lvm", (char *)"vgchange", (char *)"-ay", (char *)"--config",
				 (char *)lvm_config, vg->name, NULL };
		_cleanup_free_ char *out = NULL;
		int r = rsc_step_pause(ctx, "activate: before a volume group");
		if (r >= 0)
			r = run_quiet(ctx, argv, &out);
		for (size_t k = 0; k < nfds; k++)
			close(fds[k]);
		if (r == -ECANCELED) {
			/* Stopped half-way, some of its LVs may be active: recorded,
			 * so that the teardown deactivates them. */
			int q = rsc_undo_record(ctx, RSC_UNDO_VG, vg->name);
			return q < 0 ? q : r;
		}
		if (r < 0)
			return r;
		/* One line for a message: lvm indents and wraps its own. */
		for (char *p = out; p && *p; p++)
			if (*p == '\n')
				*p = ';';
		if (r == 127) {
			log_warning(ctx, "Volume group %s: lvm(8) is not installed; its linear LVs are read through "
				    "their extents", vg->name);
			continue;
		}
		if (r != 0) {
			size_t l = out ? strlen(out) : 0;
			while (l && (out[l - 1] == ';' || out[l - 1] == ' '))
				out[--l] = 0;
			log_warning(ctx, "Volume group %s could not be activated (%s); its linear LVs are read "
				    "through their extents", vg->name, out && *out ? out : "lvm vgchange failed");
			continue;
		}
		r = rsc_undo_record(ctx, RSC_UNDO_VG, vg->name);
		if (r < 0)
			return r;
		log_info(ctx, "Activated volume group %s", vg->name);
		n++;
	}
	return n;
}

int mount_check_target(rsc_context *ctx, const char *target) {
	if (target[0] != '/')
		return log_error_errno(ctx, EINVAL, "The target %s must be an absolute path", target);

	/* A target that is already a mount point is refused: mounting over
	 * it would hide what is there. */
	struct stat st;
	if (stat(target, &st) == 0 && !S_ISDIR(st.st_mode))
		return log_error_errno(ctx, ENOTDIR, "The target %s is not a directory", target);
	_cleanup_close_ int tfd = open(target, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (tfd >= 0) {
		struct stat parent;
		_cleanup_free_ char *up = path_join(target, "..");
		if (up && stat(up, &parent) == 0 && fstat(tfd, &st) == 0 && st.st_dev != parent.st_dev) {
			log_notice(ctx, "%s is already a mount point; release it first", target);
			return -EBUSY;
		}
	}
	return 0;
}

/* Mounts system si of scan (its devices active) at target, as its fstab
 * says; on failure or cancel, what this call mounted is undone. */
int mount_system_scanned(rsc_context *ctx, struct rsc_scan *scan, int si, const char *target, bool read_write) {
	int start = rsc_undo_count(ctx);
	if (start < 0)
		return start;
	int r = 0;
	const struct rsc_system *s = &scan->systems[si];
	if (s->root_device < 0)
		return log_error_errno(ctx, EINVAL, "%s is a directory, not a device: nothing to mount", s->id);

	/* Mappings we opened as luks-<UUID> take the name the system's
	 * crypttab gives them: its tools look them up by that name (Debian's
	 * cryptroot hook leaves a volume out of the initramfs otherwise). */
	for (size_t i = 0; r >= 0 && i < s->n_crypttab; i++) {
		int p = s->crypttab_device[i];
		for (size_t c = 0; p >= 0 && c < scan->n_devices; c++) {
			struct rsc_device *m = &scan->devices[c];
			if (m->kind != RSC_DEVICE_CRYPT || m->parent != p || streq(m->name, s->crypttab[i].name))
				continue;
			if (!rsc_undo_has(ctx, RSC_UNDO_CRYPT, m->name)) {
				log_notice(ctx, "%s is open as %s, not %s as the system's crypttab says; it was not opened "
					   "by rescue, so it keeps its name", scan->devices[p].name, m->name,
					   s->crypttab[i].name);
				continue;
			}
			int q = dm_rename(ctx, m->name, s->crypttab[i].name);
			if (q >= 0)
				q = rsc_undo_rename(ctx, RSC_UNDO_CRYPT, m->name, s->crypttab[i].name);
			if (q < 0)
				log_warning(ctx, "%s stays %s (crypttab says %s)", scan->devices[p].name, m->name,
					    s->crypttab[i].name);
			else {
				log_info(ctx, "Renamed %s to %s, as the system's crypttab names it", m->name,
					 s->crypttab[i].name);
				set_strf(&m->node, "/dev/mapper/%s", s->crypttab[i].name);
				set_str(&m->file, m->node);
			}
		}
	}
	if (rsc_context_cancelled(ctx))
		r = -ECANCELED;
	const struct rsc_device *root = &scan->devices[s->root_device];
	_cleanup_free_ char *root_opts = NULL;
	if (s->subvol && asprintf(&root_opts, "subvol=%s", s->subvol) < 0)
		r = -ENOMEM;
	if (r >= 0)
		r = mount_one(ctx, root, target, root_opts, read_write);

	/* Then the other mount points, parents before children. */
	const struct rsc_fstab_entry **todo = calloc(s->n_fstab + 1, sizeof(*todo));
	size_t n = 0;
	if (!todo)
		r = -ENOMEM;
	for (size_t i = 0; r >= 0 && i < s->n_fstab; i++)
		for (size_t k = 0; k < ELEMENTSOF(wanted_targets); k++)
			if (streq(s->fstab[i].target, wanted_targets[k]))
				todo[n++] = &s->fstab[i];
	if (todo)
		qsort(todo, n, sizeof(*todo), cmp_target_depth);
	for (size_t i = 0; r >= 0 && i < n; i++) {
		if ((r = rsc_step_pause(ctx, "mount: before a mount point")) < 0)
			break;
		int dev = s->fstab_device[todo[i] - s->fstab];
		int standin = s->fstab_standin ? s->fstab_standin[todo[i] - s->fstab] : -1;
		if (dev < 0 && standin >= 0) {
			/* Mounted in its place, so that what diagnose says of the
			 * kernels is about them, not about an empty directory. */
			log_notice(ctx, "%s: fstab names %s on %s, which was not found; %s, the one filesystem holding "
				   "this system's %s that no fstab names, is mounted there instead", s->id, todo[i]->target,
				   todo[i]->spec, scan->devices[standin].name,
				   streq(todo[i]->target, "/boot") ? "kernels" : "EFI directory");
			dev = standin;
		}
		if (dev < 0) {
			log_warning(ctx, "%s: fstab names %s on %s, which was not found; it stays unmounted%s", s->id,
				    todo[i]->target, todo[i]->spec,
				    streq(todo[i]->target, "/boot") ? " (a rebuilt initramfs would land on the root filesystem)" : "");
			continue;
		}
		_cleanup_free_ char *where = path_join(target, todo[i]->target), *o = kept_fstab_options(todo[i]->options);
		if (!where || !o) {
			r = -ENOMEM;
			break;
		}
		/* --rw applies to every filesystem of the system alike. */
		r = mount_one(ctx, &scan->devices[dev], where, o, read_write);
	}
	free(todo);
	if (r >= 0 && rsc_context_cancelled(ctx))
		r = -ECANCELED;
	if (r < 0) {
		/* Leave the machine as it was: undo what this call mounted. */
		int q = rsc_undo_to(ctx, (unsigned)start);
		if (q < 0)
			log_error(ctx, "Some mounts could not be undone; unmounting again releases them");
		return r;
	}
	return 0;
}
