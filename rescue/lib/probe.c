/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Discovery: the storage graph, read-only, with libblkid. Partitions are
 * found from the partition table itself rather than from the kernel, so
 * images and kernels without partition support look the same: each
 * partition is (file, offset, size), plus a /dev node when the kernel has one.
 */
#include <blkid.h>
#include <dirent.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <linux/fs.h>

#include "fileio.h"
#include "loop.h"
#include "lvm.h"
#include "scan-internal.h"
#include "strv.h"

/* Partition types worth naming: what a person recognises in a listing. */
static const struct {
	const char *type;   /* GPT type GUID (lower case) or MBR id as libblkid gives it */
	const char *name;
	bool no_content;    /* normally holds no filesystem signature */
} partition_types[] = {
	{ "c12a7328-f81f-11d2-ba4b-00a0c93ec93b", "EFI system partition", false },
	{ "21686148-6449-6e6f-744e-656564454649", "BIOS boot partition (GRUB core image)", true },
	{ "0657fd6d-a4ab-43c4-84e5-0933c84b4f4f", "Linux swap", false },
	{ "e6d6d379-f507-44c2-a23c-238f2a3df928", "Linux LVM", false },
	{ "a19d880f-05fc-4d3b-a006-743f0f84911e", "Linux RAID", false },
	{ "ca7d7ccb-63ed-4c53-861c-1742536059cc", "Linux LUKS", false },
	{ "bc13c2ff-59e6-4262-a352-b275fd6f7172", "Linux extended boot (/boot)", false },
	{ "4f68bce3-e8cd-4db1-96e7-fbcaf984b709", "Linux root (x86-64)", false },
	{ "0fc63daf-8483-4772-8e79-3d69d8477de4", "Linux filesystem", false },
	{ "0xef", "EFI system partition", false },
	{ "0x82", "Linux swap", false },
	{ "0x83", "Linux", false },
	{ "0x8e", "Linux LVM", false },
	{ "0xfd", "Linux RAID autodetect", false },
};

static int partition_type_index(const char *type) {
	for (size_t i = 0; type && i < ELEMENTSOF(partition_types); i++)
		if (strcasecmp(type, partition_types[i].type) == 0)
			return (int)i;
	return -1;
}

/* Probes the content of dev (superblocks, and the partition table when
 * want_table) and stores TYPE, USAGE, UUID, LABEL, VERSION. Returns 0 when
 * something was recognised, 1 when nothing was, negative errno else. */
static int probe_content(rsc_context *ctx, struct rsc_device *dev, int fd, bool want_table, blkid_probe *ret_probe) {
	_cleanup_(blkid_free_probep) blkid_probe pr = blkid_new_probe();
	if (!pr)
		return -ENOMEM;
	if (blkid_probe_set_device(pr, fd, (blkid_loff_t)dev->offset, (blkid_loff_t)dev->size) < 0)
		return -EIO;
	blkid_probe_enable_superblocks(pr, 1);
	blkid_probe_set_superblocks_flags(pr, BLKID_SUBLKS_TYPE | BLKID_SUBLKS_USAGE | BLKID_SUBLKS_UUID |
						      BLKID_SUBLKS_LABEL | BLKID_SUBLKS_VERSION | BLKID_SUBLKS_BADCSUM);
	blkid_probe_enable_partitions(pr, want_table);
	if (want_table)
		blkid_probe_set_partitions_flags(pr, BLKID_PARTS_ENTRY_DETAILS);

	int r = blkid_do_safeprobe(pr);
	if (r == -2) {
		/* Two signatures claim the device: say which, decide nothing. */
		set_str(&dev->error, "several signatures found (ambiguous); not examined further");
		return 1;
	}
	if (r < 0)
		return log_warning_errno(ctx, EIO, "%s: cannot be probed: %m", dev->name);
	if (r == 1 && !want_table)
		return 1;

	const char *v;
	if (blkid_probe_lookup_value(pr, "TYPE", &v, NULL) == 0 && set_str(&dev->type, v) < 0)
		return -ENOMEM;
	if (blkid_probe_lookup_value(pr, "USAGE", &v, NULL) == 0 && set_str(&dev->usage, v) < 0)
		return -ENOMEM;
	if (blkid_probe_lookup_value(pr, "UUID", &v, NULL) == 0 && set_str(&dev->uuid, v) < 0)
		return -ENOMEM;
	if (blkid_probe_lookup_value(pr, "LABEL", &v, NULL) == 0 && set_str(&dev->label, v) < 0)
		return -ENOMEM;
	if (blkid_probe_lookup_value(pr, "VERSION", &v, NULL) == 0 && set_str(&dev->version, v) < 0)
		return -ENOMEM;
	if (blkid_probe_lookup_value(pr, "PTTYPE", &v, NULL) == 0 && set_str(&dev->table, v) < 0)
		return -ENOMEM;
	if (blkid_probe_lookup_value(pr, "SBBADCSUM", &v, NULL) == 0)
		set_strf(&dev->error, "%s superblock checksum is wrong", strna(dev->type));
	if (ret_probe)
		*ret_probe = TAKE_PTR(pr);
	return dev->type || dev->table ? 0 : 1;
}

static int add_volume_group(struct rsc_scan *scan, const struct lvm_pv_info *info, const char *pv_name) {
	struct rsc_volume_group *vg = NULL;
	for (size_t i = 0; i < scan->n_vgs; i++)
		if (streq_ptr(scan->vgs[i].uuid, info->vg_uuid) && streq(scan->vgs[i].name, info->vg_name))
			vg = &scan->vgs[i];
	if (!vg) {
		struct rsc_volume_group *m = realloc(scan->vgs, (scan->n_vgs + 1) * sizeof(*m));
		if (!m)
			return -ENOMEM;
		scan->vgs = m;
		vg = &m[scan->n_vgs++];
		*vg = (struct rsc_volume_group){ .extent_size = info->extent_size };
		if (set_str(&vg->name, info->vg_name) < 0 || set_str(&vg->uuid, info->vg_uuid) < 0)
			return -ENOMEM;
		for (size_t i = 0; i < info->n_lvs; i++)
			if (strv_extend(&vg->lvs, info->lvs[i].name) < 0)
				return -ENOMEM;
	}
	return strv_extend(&vg->pvs, pv_name);
}

static bool dm_node_exists(const char *vg, const char *lv, char **ret_node) {
	char mapped[512];
	dm_lv_name(vg, lv, mapped, sizeof(mapped));
	char *node;
	if (asprintf(&node, "/dev/mapper/%s", mapped) < 0)
		return false;
	struct stat st;
	if (stat(node, &st) == 0 && S_ISBLK(st.st_mode)) {
		*ret_node = node;
		return true;
	}
	free(node);
	return false;
}

static int probe_device(rsc_context *ctx, struct rsc_scan *scan, int idx, int fd, int depth);

/* An LVM PV: name its VG and add its LVs, through device-mapper when the
 * VG is active here, else through their extents when they are linear. */
static int probe_lvm(rsc_context *ctx, struct rsc_scan *scan, int idx, int fd, int depth) {
	struct lvm_pv_info info = { 0 };
	struct rsc_device *dev = &scan->devices[idx];
	int r = lvm_read_pv(fd, dev->offset, dev->size, &info);
	if (r == -ENODATA) {
		dev->status = RSC_DEVICE_PV_NO_METADATA;
		set_str(&dev->state, "LVM PV without a metadata copy: its VG is named by the other PVs");
		return 0;
	}
	if (r < 0) {
		set_strf(&dev->error, "LVM metadata unreadable (%s)", rsc_strerror(r));
		log_warning(ctx, "%s: LVM physical volume with unreadable metadata: %s; "
			    "'pvck %s' inspects it", dev->name, rsc_strerror(r), strna(dev->node));
		scan->n_problems++;
		return 0;
	}
	r = set_str(&dev->vg, info.vg_name);
	if (r >= 0)
		r = add_volume_group(scan, &info, dev->name);
	for (size_t i = 0; r >= 0 && i < info.n_lvs; i++) {
		const struct lvm_lv *lv = &info.lvs[i];
		_cleanup_free_ char *name = NULL, *node = NULL;
		bool active = dm_node_exists(info.vg_name, lv->name, &node);
		if (!active && !lv->linear_here)
			continue; /* on other PVs, or not linear: reachable only once activated */
		if (asprintf(&name, "%s/%s", info.vg_name, lv->name) < 0) {
			r = -ENOMEM;
			break;
		}
		/* Another PV of the same VG may have added it already. */
		if (scan_find_device(scan, name) >= 0)
			continue;
		int c = scan_add_device(scan, RSC_DEVICE_LV, idx, name);
		if (c < 0) {
			r = c;
			break;
		}
		struct rsc_device *d = &scan->devices[c];
		dev = &scan->devices[idx];
		if (set_str(&d->vg, info.vg_name) < 0) {
			r = -ENOMEM;
			break;
		}
		_cleanup_close_ int lfd = -EBADF;
		if (active)
			for (size_t v = 0; v < scan->n_vgs; v++)
				if (streq(scan->vgs[v].name, info.vg_name))
					scan->vgs[v].active = true;
		if (active) {
			d->node = TAKE_PTR(node);
			r = set_str(&d->file, d->node);
			lfd = open(d->file, O_RDONLY | O_CLOEXEC);
			uint64_t sz = 0;
			if (lfd >= 0 && ioctl(lfd, BLKGETSIZE64, &sz) == 0)
				d->size = sz;
		} else {
			r = set_str(&d->file, dev->file);
			d->offset = dev->offset + lv->offset;
			d->size = lv->size;
			d->status = RSC_DEVICE_INACTIVE;
			set_str(&d->state, "inactive: read through its extents");
			if (d->offset + d->size > dev->offset + dev->size) {
				set_str(&d->error, "extends past the end of its PV (truncated device?)");
				continue;
			}
		}
		if (r < 0)
			break;
		if (lfd < 0)
			lfd = open(d->file, O_RDONLY | O_CLOEXEC);
		if (lfd < 0) {
			set_strf(&d->error, "cannot open: %s", strerror(errno));
			continue;
		}
		r = probe_device(ctx, scan, c, lfd, depth + 1);
	}
	lvm_pv_info_done(&info);
	return r;
}

static int probe_partitions(rsc_context *ctx, struct rsc_scan *scan, int idx, int fd, blkid_probe pr, int depth);

static int probe_device(rsc_context *ctx, struct rsc_scan *scan, int idx, int fd, int depth) {
	_cleanup_(blkid_free_probep) blkid_probe pr = NULL;
	struct rsc_device *dev = &scan->devices[idx];
	/* Nested partition tables (a disk image inside a partition) are not
	 * followed: one level of tables, and LVs inside PVs, is what
	 * installed systems use. */
	bool want_table = dev->kind == RSC_DEVICE_DISK || dev->kind == RSC_DEVICE_IMAGE;
	if (depth > 4)
		return 0;

	int r = probe_content(ctx, dev, fd, want_table, &pr);
	if (r < 0) {
		scan->n_problems++;
		return r == -ENOMEM ? r : 0;
	}
	dev = &scan->devices[idx];
	if (r == 1) {
		int t = partition_type_index(dev->part_type);
		if (t >= 0 && partition_types[t].no_content) {
			dev->status = RSC_DEVICE_NO_CONTENT;
			set_str(&dev->state, partition_types[t].name);
		} else if (!dev->error && dev->kind != RSC_DEVICE_DISK && dev->kind != RSC_DEVICE_IMAGE) {
			dev->status = RSC_DEVICE_UNRECOGNISED;
			set_str(&dev->state, "no filesystem or volume signature recognised");
		}
		return 0;
	}
	if (streq_ptr(dev->table, "PMBR")) {
		/* A protective MBR whose GPT libblkid refused: the GPT headers
		 * are corrupt, or the disk is shorter than the table says. */
		set_str(&dev->error, "protective MBR without a valid GPT (GPT corrupt, or the disk/image is truncated)");
		log_warning(ctx, "%s: protective MBR but no valid GPT: the partition table is corrupt or the disk is "
			    "shorter than it says (a truncated image?); 'sfdisk --verify' tells more", dev->name);
		scan->n_problems++;
		return 0;
	}
	if (dev->table && pr) {
		r = probe_partitions(ctx, scan, idx, fd, pr, depth);
		if (r < 0)
			return r;
		dev = &scan->devices[idx];
	}
	if (!dev->type)
		return 0;
	if (streq(dev->type, "crypto_LUKS")) {
		/* Unlocked mappings show up as their own devices; until
		 * then, the contents are out of reach. */
		if (!dev->state) {
			dev->status = RSC_DEVICE_LOCKED;
			set_str(&dev->state, "locked: needs passphrase");
		}
	} else if (streq(dev->type, "LVM2_member"))
		return probe_lvm(ctx, scan, idx, fd, depth);
	else if (streq(dev->type, "linux_raid_member")) {
		dev->status = RSC_DEVICE_MD_MEMBER;
		set_strf(&dev->state, "MD RAID member%s%s", dev->label ? " of array " : "", strempty(dev->label));
	}
	return 0;
}

/* The kernel's node for partition number partno of disk, if it made one. */
static char *kernel_partition_node(const char *sys_dir, const char *disk, uint64_t start_sectors) {
	_cleanup_free_ char *dir = NULL;
	if (asprintf(&dir, "%s/class/block/%s", sys_dir, disk) < 0)
		return NULL;
	DIR *d = opendir(dir);
	if (!d)
		return NULL;
	char *node = NULL;
	struct dirent *de;
	while (!node && (de = readdir(d))) {
		if (!startswith(de->d_name, disk))
			continue;
		_cleanup_free_ char *p = NULL, *text = NULL;
		if (asprintf(&p, "%s/%s/start", dir, de->d_name) < 0)
			break;
		if (read_first_line(p, &text) < 0)
			continue;
		if (strtoull(text, NULL, 10) == start_sectors && asprintf(&node, "/dev/%s", de->d_name) < 0)
			node = NULL;
	}
	closedir(d);
	return node;
}

static int probe_partitions(rsc_context *ctx, struct rsc_scan *scan, int idx, int fd, blkid_probe pr, int depth) {
	blkid_partlist pl = blkid_probe_get_partitions(pr);
	int n = pl ? blkid_partlist_numof_partitions(pl) : 0;
	for (int i = 0; i < n; i++) {
		blkid_partition par = blkid_partlist_get_partition(pl, i);
		if (!par || blkid_partition_is_extended(par))
			continue;
		struct rsc_device *disk = &scan->devices[idx];
		int partno = blkid_partition_get_partno(par);
		uint64_t start = (uint64_t)blkid_partition_get_start(par) * 512;
		uint64_t size = (uint64_t)blkid_partition_get_size(par) * 512;
		_cleanup_free_ char *name = NULL;
		_cleanup_free_ char *node = disk->kind == RSC_DEVICE_DISK ?
			kernel_partition_node("/sys", disk->name, start / 512) : NULL;
		if (node)
			name = strdup(node + 5);
		else if (asprintf(&name, "%s:p%d", disk->name, partno) < 0)
			name = NULL;
		if (!name)
			return -ENOMEM;
		int c = scan_add_device(scan, RSC_DEVICE_PARTITION, idx, name);
		if (c < 0)
			return c;
		disk = &scan->devices[idx];
		struct rsc_device *p = &scan->devices[c];
		p->partno = partno;
		p->part_start = start;
		const char *v;
		char buf[16];
		if ((v = blkid_partition_get_uuid(par)) && set_str(&p->part_uuid, v) < 0)
			return -ENOMEM;
		if ((v = blkid_partition_get_name(par)) && set_str(&p->part_name, v) < 0)
			return -ENOMEM;
		v = blkid_partition_get_type_string(par);
		if (!v) {
			snprintf(buf, sizeof(buf), "0x%x", (unsigned)blkid_partition_get_type(par));
			v = buf;
		}
		if (set_str(&p->part_type, v) < 0)
			return -ENOMEM;
		int t = partition_type_index(v);
		if (t >= 0 && set_str(&p->part_type_name, partition_types[t].name) < 0)
			return -ENOMEM;

		if (start == 0 && streq_ptr(disk->type, "iso9660")) {
			/* A hybrid ISO (a rescue medium like ours written to a
			 * stick): its first partition starts at sector 0 and is
			 * the ISO 9660 file system the disk itself shows. */
			p->size = size <= disk->size ? size : disk->size;
			if (set_str(&p->type, "iso9660") < 0)
				return -ENOMEM;
			continue;
		}
		if (start + size > disk->size || start < 512) {
			set_strf(&p->error, "partition %d lies outside the disk (table corrupt, or image truncated)", partno);
			log_warning(ctx, "%s: partition %d lies outside the disk (table corrupt or image truncated); skipped",
				    disk->name, partno);
			scan->n_problems++;
			continue;
		}
		_cleanup_close_ int pfd = -EBADF;
		if (node) {
			p->node = TAKE_PTR(node);
			if (set_str(&p->file, p->node) < 0)
				return -ENOMEM;
			p->size = size;
			pfd = open(p->file, O_RDONLY | O_CLOEXEC);
		} else {
			if (set_str(&p->file, disk->file) < 0)
				return -ENOMEM;
			p->offset = disk->offset + start;
			p->size = size;
		}
		int r = probe_device(ctx, scan, c, pfd >= 0 ? pfd : fd, depth + 1);
		if (r < 0)
			return r;
	}
	return 0;
}

int probe_images(rsc_context *ctx, struct rsc_scan *scan, char **images) {
	STRV_FOREACH(img, images) {
		_cleanup_close_ int fd = open(*img, O_RDONLY | O_CLOEXEC | O_NOCTTY);
		if (fd < 0) {
			log_error_errno(ctx, errno, "%s: cannot open the disk image: %m; check the path", *img);
			scan->n_problems++;
			continue;
		}
		struct stat st;
		if (fstat(fd, &st) < 0)
			return negative_errno();
		uint64_t size = (uint64_t)st.st_size;
		if (S_ISBLK(st.st_mode) && ioctl(fd, BLKGETSIZE64, &size) < 0)
			return negative_errno();
		if (!S_ISREG(st.st_mode) && !S_ISBLK(st.st_mode)) {
			log_error(ctx, "%s: not a disk image (neither a regular file nor a block device); skipped", *img);
			scan->n_problems++;
			continue;
		}
		const char *base = strrchr(*img, '/');
		int idx = scan_add_device(scan, RSC_DEVICE_IMAGE, -1, base ? base + 1 : *img);
		if (idx < 0)
			return idx;
		struct rsc_device *d = &scan->devices[idx];
		d->size = size;
		_cleanup_free_ char *abs = realpath(*img, NULL);
		if (set_str(&d->file, abs ? abs : *img) < 0)
			return -ENOMEM;
		if (size < 1024) {
			set_str(&d->error, "too small to hold a partition table or filesystem");
			log_error(ctx, "%s: not a disk image (only %" PRIu64 " bytes); skipped", *img, size);
			scan->n_problems++;
			continue;
		}
		int r = probe_device(ctx, scan, idx, fd, 0);
		if (r < 0)
			return r;
		d = &scan->devices[idx];
		if (!d->type && !d->table && !d->error) {
			set_str(&d->error, "no partition table or filesystem recognised");
			log_warning(ctx, "%s: no partition table, filesystem or volume recognised: is it a disk image?",
				    *img);
			scan->n_problems++;
		}
	}
	return 0;
}

static int read_sys_attr(const char *sys_dir, const char *name, const char *attr, char **ret) {
	_cleanup_free_ char *p = NULL;
	if (asprintf(&p, "%s/class/block/%s/%s", sys_dir, name, attr) < 0)
		return -ENOMEM;
	return read_first_line(p, ret);
}

/* Whole disks of this machine: not partitions, not device-mapper or MD
 * devices (they are reached through their members), not empty loop devices,
 * RAM disks or optical drives. */
static bool is_candidate_disk(const char *sys_dir, const char *name) {
	_cleanup_free_ char *part = NULL, *size = NULL, *backing = NULL;
	if (startswith(name, "ram") || startswith(name, "zram") || startswith(name, "sr") ||
	    startswith(name, "fd") || startswith(name, "dm-") || startswith(name, "md"))
		return false;
	if (read_sys_attr(sys_dir, name, "partition", &part) == 0)
		return false;
	if (read_sys_attr(sys_dir, name, "size", &size) < 0 || strtoull(size, NULL, 10) == 0)
		return false;
	if (startswith(name, "loop")) {
		if (read_sys_attr(sys_dir, name, "loop/backing_file", &backing) < 0)
			return false;
		/* One of ours that is going away (a look inside a filesystem
		 * of this scan or the one before): it shows a filesystem that
		 * is already found on its real disk, and by the time it would
		 * be mounted the device may be gone. */
		_cleanup_free_ char *node = NULL;
		if (asprintf(&node, "/dev/%s", name) < 0 || loop_is_transient(node))
			return false;
		/* The rescue medium's own squashfs image (iso/early-init): the
		 * running environment, nothing to find or repair there. */
		if (loop_is_rescue_image(node))
			return false;
	}
	return true;
}

/* Open device-mapper and MD devices whose members we found: unlocked LUKS
 * volumes, active LVs (already added through their PV), assembled arrays. */
static int probe_stacked(rsc_context *ctx, struct rsc_scan *scan, const char *sys_dir) {
	_cleanup_free_ char *dir = NULL;
	if (asprintf(&dir, "%s/class/block", sys_dir) < 0)
		return -ENOMEM;
	DIR *d = opendir(dir);
	if (!d)
		return 0;
	struct dirent *de;
	int r = 0;
	while (r >= 0 && (de = readdir(d))) {
		bool dm = startswith(de->d_name, "dm-"), md = startswith(de->d_name, "md");
		if (!dm && !md)
			continue;
		_cleanup_free_ char *uuid = NULL, *dmname = NULL, *slaves = NULL;
		if (dm) {
			read_sys_attr(sys_dir, de->d_name, "dm/uuid", &uuid);
			read_sys_attr(sys_dir, de->d_name, "dm/name", &dmname);
			if (uuid && startswith(uuid, "LVM-"))
				continue; /* LVs come through their PVs */
		}
		/* The parent: the first member we know. */
		if (asprintf(&slaves, "%s/%s/slaves", dir, de->d_name) < 0) {
			r = -ENOMEM;
			break;
		}
		int parent = -1;
		DIR *sd = opendir(slaves);
		struct dirent *se;
		while (sd && parent < 0 && (se = readdir(sd)))
			for (size_t i = 0; i < scan->n_devices; i++)
				if (scan->devices[i].node && streq(scan->devices[i].node + 5, se->d_name))
					parent = (int)i;
		if (sd)
			closedir(sd);
		if (parent < 0)
			continue;
		enum rsc_device_kind kind = md ? RSC_DEVICE_MD :
			uuid && startswith(uuid, "CRYPT-") ? RSC_DEVICE_CRYPT : RSC_DEVICE_OTHER;
		int c = scan_add_device(scan, kind, parent, dmname ? dmname : de->d_name);
		if (c < 0) {
			r = c;
			break;
		}
		struct rsc_device *dev = &scan->devices[c];
		if (asprintf(&dev->node, dm && dmname ? "/dev/mapper/%s" : "/dev/%s", dm && dmname ? dmname : de->d_name) < 0) {
			r = -ENOMEM;
			break;
		}
		if ((r = set_str(&dev->file, dev->node)) < 0)
			break;
		if (kind == RSC_DEVICE_CRYPT) {
			scan->devices[parent].status = RSC_DEVICE_UNLOCKED;
			set_strf(&scan->devices[parent].state, "unlocked as %s", dev->node);
		}
		_cleanup_close_ int fd = open(dev->file, O_RDONLY | O_CLOEXEC);
		uint64_t sz = 0;
		if (fd < 0 || ioctl(fd, BLKGETSIZE64, &sz) < 0) {
			set_strf(&dev->error, "cannot open: %s", strerror(errno));
			continue;
		}
		dev->size = sz;
		r = probe_device(ctx, scan, c, fd, 1);
	}
	closedir(d);
	return r;
}

int probe_block_devices(rsc_context *ctx, struct rsc_scan *scan, const char *sys_dir) {
	_cleanup_free_ char *dir = NULL;
	if (asprintf(&dir, "%s/class/block", sys_dir) < 0)
		return -ENOMEM;
	DIR *d = opendir(dir);
	if (!d)
		return log_error_errno(ctx, errno, "Cannot list block devices in %s: %m; is sysfs mounted?", dir);
	_cleanup_strv_free_ char **names = NULL;
	struct dirent *de;
	while ((de = readdir(d)))
		if (de->d_name[0] != '.' && is_candidate_disk(sys_dir, de->d_name) && strv_extend(&names, de->d_name) < 0) {
			closedir(d);
			return -ENOMEM;
		}
	closedir(d);
	strv_sort(names);

	STRV_FOREACH(n, names) {
		_cleanup_free_ char *node = NULL;
		if (asprintf(&node, "/dev/%s", *n) < 0)
			return -ENOMEM;
		int idx = scan_add_device(scan, RSC_DEVICE_DISK, -1, *n);
		if (idx < 0)
			return idx;
		struct rsc_device *dev = &scan->devices[idx];
		if (set_str(&dev->node, node) < 0 || set_str(&dev->file, node) < 0)
			return -ENOMEM;
		_cleanup_close_ int fd = open(node, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
		uint64_t sz = 0;
		if (fd < 0 || ioctl(fd, BLKGETSIZE64, &sz) < 0) {
			set_strf(&dev->error, "cannot open: %s", strerror(errno));
			log_warning_errno(ctx, errno, "%s: cannot be opened: %m", node);
			scan->n_problems++;
			continue;
		}
		dev->size = sz;
		int r = probe_device(ctx, scan, idx, fd, 0);
		if (r < 0)
			return r;
	}
	return probe_stacked(ctx, scan, sys_dir);
}

static const char *const device_states[_RSC_DEVICE_STATE_MAX] = {
	[RSC_DEVICE_STATE_NONE] = "none",         [RSC_DEVICE_LOCKED] = "locked",
	[RSC_DEVICE_UNLOCKED] = "unlocked",       [RSC_DEVICE_INACTIVE] = "inactive",
	[RSC_DEVICE_PV_NO_METADATA] = "pv-no-metadata", [RSC_DEVICE_MD_MEMBER] = "md-member",
	[RSC_DEVICE_NO_CONTENT] = "no-content",   [RSC_DEVICE_UNRECOGNISED] = "unrecognised",
};

const char *rsc_device_state_to_string(enum rsc_device_state s) {
	return (unsigned)s < _RSC_DEVICE_STATE_MAX ? device_states[s] : NULL;
}
