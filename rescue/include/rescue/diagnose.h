/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Diagnose: why an installed system does not boot, as findings with their
 * evidence, a plain explanation and the fix. Read-only.
 */
#pragma once

#include <stddef.h>

#include "rescue/rescue.h"
#include "rescue/scan.h"

enum rsc_severity {
	RSC_SEVERITY_INFO,
	RSC_SEVERITY_WARNING,   /* boots today, but a repair or update may fail */
	RSC_SEVERITY_ERROR,     /* the system does not boot (or will not after the next update) */
};

enum rsc_finding_code {
	RSC_FINDING_BOOT_UNREADABLE,
	RSC_FINDING_BOOT_SPACE_INSUFFICIENT,
	RSC_FINDING_BOOT_SPACE_LOW,
	RSC_FINDING_BOOT_LEFTOVERS,
	RSC_FINDING_KERNEL_MODULES_MISSING,
	RSC_FINDING_KERNEL_IMAGE_MISSING,
	RSC_FINDING_INITRAMFS_MISSING,
	RSC_FINDING_INITRAMFS_EMPTY,
	RSC_FINDING_INITRAMFS_CORRUPT,
	RSC_FINDING_INITRAMFS_UNVERIFIED,
	RSC_FINDING_INITRAMFS_CANNOT_MOUNT_ROOT,
	RSC_FINDING_GENERATOR_OMITS_ROOT_MODULE,
	RSC_FINDING_GENERATOR_COMPRESSION_UNSUPPORTED,
	RSC_FINDING_CMDLINE_ROOT_UNKNOWN,
	RSC_FINDING_CMDLINE_ROOT_OTHER,
	RSC_FINDING_CMDLINE_LUKS_UNKNOWN,
	RSC_FINDING_CMDLINE_LV_UNKNOWN,
	RSC_FINDING_CMDLINE_RESUME_UNKNOWN,
	RSC_FINDING_CMDLINE_DEFAULT_ROOT_UNKNOWN,
	RSC_FINDING_GRUB_CONFIG_MISSING,
	RSC_FINDING_BOOT_ENTRY_MISSING_FILE,
	RSC_FINDING_DEFAULT_KERNEL_UNBOOTABLE,
	RSC_FINDING_ESP_UNREADABLE,
	RSC_FINDING_ESP_STUB_MISSING,
	RSC_FINDING_ESP_STUB_REPLACED,
	RSC_FINDING_ESP_STUB_WRONG_UUID,
	RSC_FINDING_ESP_LOADER_MISSING,
	RSC_FINDING_NVRAM_ENTRY_DEAD,
	RSC_FINDING_NVRAM_ENTRY_DUPLICATE,
	RSC_FINDING_BIOS_BOOT_CODE_MISSING,
	RSC_FINDING_BIOS_BOOT_CODE_FOREIGN,
	RSC_FINDING_GRUB_CORE_MISSING,
	RSC_FINDING_GRUB_CORE_DAMAGED,
	RSC_FINDING_GRUB_CORE_STALE,
	RSC_FINDING_GRUB_PREFIX_MISSING,
	RSC_FINDING_FSTAB_DEVICE_MISSING,
	RSC_FINDING_CRYPTTAB_DEVICE_MISSING,
	RSC_FINDING_SELINUX_AUTORELABEL_PENDING,
	RSC_FINDING_SELINUX_POLICY_UNREADABLE,
	RSC_FINDING_SELINUX_LABEL_WRONG,
	_RSC_FINDING_MAX,
};

/* The stable identifier of a code ("initramfs-missing"), and for teaching:
 * a command a person would type to see the problem (the system mounted
 * at /mnt/sysroot) and why it matters, in plain words (lines of at most
 * 75 characters). */
const char *rsc_finding_code_to_string(enum rsc_finding_code c);
const char *rsc_finding_code_command(enum rsc_finding_code c);
const char *rsc_finding_code_why(enum rsc_finding_code c);

struct rsc_finding {
	enum rsc_finding_code id;
	char *code;             /* rsc_finding_code_to_string(id), for reports */
	enum rsc_severity severity;
	char *subject;          /* what it is about: a kernel version, a path, a device */
	char *evidence;         /* the facts: paths, sizes, UUIDs, the line of a file */
	char *explanation;      /* in plain words, for someone learning */
	char *fix;              /* what repairs it */
	/* fstab-device-missing: the device spec ("UUID=...") of the one
	 * filesystem that provably is the missing one (mounted in its place),
	 * NULL when there is none or more than one */
	char *replacement;
};

/* A disk whose BIOS boot path was read (the disks holding the system's
 * /boot and root): what a repair needs to choose one and to save what
 * grub-install will overwrite on it. Offsets are bytes from the disk's start. */
struct rsc_bios_disk {
	char *name;             /* as the findings' subject names it */
	char *file;             /* what to open: a /dev node or an image file */
	uint64_t offset, size;  /* of the disk within file */
	char *table;            /* "dos", "gpt", or NULL: no partition table */
	bool holds_boot;        /* it holds /boot (or the root, with /boot on it) */
	bool readable;          /* its first sectors could be read */
	bool grub_code;         /* sector 0 holds GRUB's boot code */
	bool boots;             /* GRUB's code and an intact core of /boot's build */
	uint64_t first_partition;       /* where its first partition starts; 0 none */
	uint64_t bios_boot_offset, bios_boot_size; /* GPT: its BIOS boot partition */
};

/* Booted through UEFI, the system's loader on its ESP but no firmware boot
 * entry starting it: what an entry for it needs. */
struct rsc_efi_entry {
	char *disk;             /* the /dev node of the disk holding the ESP */
	char *esp;              /* the ESP's partition, as the findings name it */
	uint32_t partno;
	uint64_t start, size;   /* of the partition on the disk, bytes */
	char *part_uuid;        /* its GPT partition GUID */
	char *loader;           /* the file to start, on the ESP: "/EFI/debian/shimx64.efi" */
	char *label;            /* the entry's description: the loader directory's name */
	bool writable;          /* the firmware's variables can be written (efivarfs read-write) */
	/* An entry that starts a loader of the system's directory on this
	 * ESP, but is inactive or not in BootOrder: its number (it is put
	 * first and made active instead of adding another), else -1. */
	int existing;
	bool existing_inactive;
};

struct rsc_diagnosis {
	char *system;           /* id of the system diagnosed */
	struct rsc_finding *findings;
	size_t n_findings;
	struct rsc_bios_disk *bios_disks; /* read by the BIOS check; none when it did not apply */
	size_t n_bios_disks;
	struct rsc_efi_entry *efi_entry;  /* esp-loader-missing for want of an entry only; else NULL */
	unsigned errors, warnings;
	unsigned selinux_checked;  /* files of /boot whose label was checked */
	unsigned selinux_wrong;    /* of those, labelled otherwise than the policy says */
};

/* Diagnoses system s, mounted (at least read-only) at root_dir with its
 * /boot (and ESP, if any) mounted as its fstab says. Devices are looked up
 * in scan; when s was identified from a directory (no devices of its own),
 * its root, /boot and ESP are found there through its fstab. */
int rsc_diagnose(rsc_context *ctx, const struct rsc_scan *scan, const struct rsc_system *s, const char *root_dir,
		 struct rsc_diagnosis **ret);
struct rsc_diagnosis *rsc_diagnosis_free(struct rsc_diagnosis *d);
const char *rsc_severity_to_string(enum rsc_severity s);
struct json_object;
int rsc_diagnosis_to_json(const struct rsc_diagnosis *d, struct json_object **ret);
