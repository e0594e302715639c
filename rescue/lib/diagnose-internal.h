/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* What diagnose and the planner share. */
#pragma once

#include <stdint.h>

#include "rescue/scan.h"

/* Free bytes a new initramfs needs on /boot (written beside the old one). */
uint64_t initramfs_space_needed(const struct rsc_system *s);
/* Files in /boot no installed kernel uses (backups, images of kernels that
 * are gone): their paths, the same with sizes for people, and their total. */
int boot_removable(int rootfd, const struct rsc_system *s, char ***ret_paths, char ***ret_described,
		   uint64_t *ret_bytes);
/* A boot entry's kernel or initrd path as the system sees it (GRUB and BLS
 * paths are relative to the filesystem holding them). */
char *boot_entry_path(bool separate_boot, const char *path, bool bls);
bool boot_entry_is_bls(const struct rsc_boot_entry *e);
/* The kernel to boot when the default cannot: the newest with its image
 * and modules (never Fedora's 0-rescue). Diagnose and plan both use it, so
 * the kernel a finding names is the one the plan makes the default. */
const char *bootable_kernel(const struct rsc_system *s);
