/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Discovery and identification: the storage graph of the disks (or disk
 * images) and the installed systems on it. Read-only: nothing here writes
 * to a disk. Filesystems are looked at through read-only loop devices in a
 * private mount namespace, with journal replay disabled.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "rescue/parse.h"
#include "rescue/rescue.h"

enum rsc_device_kind {
	RSC_DEVICE_DISK,      /* a whole block device of this machine */
	RSC_DEVICE_IMAGE,     /* a disk image file given with --image */
	RSC_DEVICE_PARTITION,
	RSC_DEVICE_CRYPT,     /* an open dm-crypt mapping */
	RSC_DEVICE_LV,        /* an LVM logical volume (active, or read through its extents) */
	RSC_DEVICE_MD,        /* an assembled MD array */
	RSC_DEVICE_OTHER,     /* another device-mapper device */
};

/* What can be done with a device as found, beside its state in words. */
enum rsc_device_state {
	RSC_DEVICE_STATE_NONE,
	RSC_DEVICE_LOCKED,            /* LUKS: needs a passphrase or key */
	RSC_DEVICE_UNLOCKED,          /* LUKS: open as a mapping (its child) */
	RSC_DEVICE_INACTIVE,          /* LV: not activated; read through its extents */
	RSC_DEVICE_PV_NO_METADATA,    /* LVM PV without a metadata copy of its own */
	RSC_DEVICE_MD_MEMBER,         /* a member of an MD array */
	RSC_DEVICE_NO_CONTENT,        /* a partition that holds no filesystem by design (BIOS boot ...) */
	RSC_DEVICE_UNRECOGNISED,      /* no filesystem or volume signature recognised */
	_RSC_DEVICE_STATE_MAX,
};
const char *rsc_device_state_to_string(enum rsc_device_state s);

struct rsc_device {
	enum rsc_device_kind kind;
	int parent;             /* index in rsc_scan.devices, -1 for a whole disk or image */
	char *name;             /* as shown: "sda2", "disk.img:p2", "vg0/root" */
	char *node;             /* a /dev node, or NULL when reached through file + offset */
	char *file;             /* what to open: the node, or the image file */
	uint64_t offset;        /* of this device within file, bytes */
	uint64_t size;          /* bytes */

	int partno;             /* partitions: 1-based */
	uint64_t part_start;    /* partitions: where it starts on its disk, bytes */
	char *part_uuid, *part_type, *part_name;
	char *part_type_name;   /* "EFI system partition", "BIOS boot partition ...", or NULL */
	char *table;            /* partition table found on this device: "gpt", "dos" */

	char *type;             /* content per libblkid: ext4, xfs, btrfs, vfat, swap, crypto_LUKS, LVM2_member ... */
	char *usage;            /* filesystem, crypto, raid, other */
	char *uuid, *label, *version;
	char *vg;               /* LVM2_member: the volume group; LV: its volume group */
	enum rsc_device_state status;
	char *state;            /* the state in words, e.g. "locked: needs passphrase" */
	char *error;            /* why this device could not be examined fully */
	char *mounted_at;       /* where the scan looked at it (private, gone after the scan) */
};

struct rsc_volume_group {
	char *name;
	char *uuid;
	char **pvs;             /* device names */
	char **lvs;             /* LV names */
	uint64_t extent_size;   /* bytes */
	bool active;            /* its LVs are visible as device-mapper devices */
};

struct rsc_kernel {
	char *version;
	char *image;            /* path of vmlinuz in the target (as the target sees it) */
	uint64_t image_size;
	char *initramfs;        /* path in the target, NULL when none found */
	uint64_t initramfs_size;
	bool has_modules;       /* /lib/modules/<version> exists */
	bool has_config;        /* /boot/config-<version> exists */
};

struct rsc_boot_entry {
	char *source;           /* "grub.cfg" or the BLS file name */
	char *title;
	char *kernel;           /* the linux line's kernel path, as written */
	char *initrd;           /* first initrd, as written */
	char *options;          /* kernel command line */
	unsigned options_line;  /* its line in source, 0 when not known */
};

struct rsc_system {
	char *id;               /* "debian-12" (+ "-2", "-3" for duplicates): what --system takes */
	int root_device;        /* index in rsc_scan.devices; -1 for a directory root */
	char *root_dir;         /* set when identified from a directory */
	char *subvol;           /* btrfs subvolume holding the root, or NULL */
	char **os_release;      /* KEY=value vector of os-release */
	char *pretty_name;
	char *os_id, *os_id_like, *version_id;
	char *profile;          /* name of the matching profiles/<name>.conf, NULL if none */

	struct rsc_fstab_entry *fstab;
	size_t n_fstab;
	int *fstab_device;      /* per fstab entry: device index, -1 not found */
	/* per fstab entry whose device is not found (/boot, the ESP): the one
	 * filesystem that provably is it (holds this system's kernels, or its
	 * EFI directory, and no fstab line of any system names it), else -1 */
	int *fstab_standin;
	struct rsc_crypttab_entry *crypttab;
	size_t n_crypttab;
	int *crypttab_device;

	int boot_device;        /* separate /boot, or -1 (on the root) */
	int esp_device;         /* /boot/efi or /efi, or -1 */
	struct rsc_kernel *kernels;
	size_t n_kernels;

	char *bootloader;       /* "grub-bios", "grub-efi", "grub-bios+efi", "systemd-boot", NULL */
	char *grub_cfg;         /* path in the target, NULL when none */
	char *esp_grub_cfg;     /* the ESP's EFI/<dir>/grub.cfg, path in the ESP */
	char *esp_grub_cfg_kind;/* "stub" (loads the real config) or "full" */
	char *esp_stub_uuid;    /* the filesystem UUID the stub searches */
	bool bls;               /* /boot/loader/entries in use */
	char **default_grub;    /* /etc/default/grub as KEY=value */
	struct rsc_boot_entry *entries;
	size_t n_entries;

	char *generator;        /* dracut, initramfs-tools, mkinitcpio, NULL */
	char *selinux;          /* enforcing, permissive, disabled, NULL (not configured) */
	char *selinux_type;     /* targeted, default, ... */
	bool selinux_policy;    /* its file_contexts exists */
	char *keymap;           /* console keyboard layout (vconsole.conf KEYMAP, or XKBLAYOUT), NULL unknown */
	char **notes;           /* what could not be read, said plainly */
};

struct rsc_scan {
	struct rsc_device *devices;
	size_t n_devices;
	struct rsc_volume_group *vgs;
	size_t n_vgs;
	struct rsc_system *systems;
	size_t n_systems;
	unsigned n_problems;    /* inputs that could not be examined */
};

struct rsc_scan_options {
	char **images;          /* scan these image files instead of the machine's disks */
	const char *root_dir;   /* identify this directory as a system root (no devices) */
	bool no_identify;       /* devices only: mount nothing */
	const char *sys_dir;    /* sysfs to read (default /sys): tests point it elsewhere */
};

/* Returns 0 when at least one installed system was found, 1 when the scan
 * completed but found none, or a negative errno when it could not run. */
int rsc_scan_run(rsc_context *ctx, const struct rsc_scan_options *opts, struct rsc_scan **ret);
struct rsc_scan *rsc_scan_free(struct rsc_scan *scan);

/* The scan as a json-c object (schema: docs/scan-json.md); the caller
 * owns the returned reference. */
struct json_object;
int rsc_scan_to_json(const struct rsc_scan *scan, struct json_object **ret);
const char *rsc_device_kind_name(enum rsc_device_kind kind);
