/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Private interfaces between the parts of the scan. */
#pragma once

#include <blkid.h>

#include "internal.h"
#include "rescue/scan.h"

DEFINE_TRIVIAL_CLEANUP_FUNC(blkid_probe, blkid_free_probe)

/* Appends a device; returns its index or -ENOMEM. name is copied. */
int scan_add_device(struct rsc_scan *scan, enum rsc_device_kind kind, int parent, const char *name);
/* Sets *field to a copy of value (NULL allowed). */
int set_str(char **field, const char *value);
_printf_(2, 3) int set_strf(char **field, const char *fmt, ...);

/* Discovery (probe.c): fills scan->devices and scan->vgs. */
int probe_images(rsc_context *ctx, struct rsc_scan *scan, char **images);
int probe_block_devices(rsc_context *ctx, struct rsc_scan *scan, const char *sys_dir);

/* Identification (identify.c). */
int identify_devices(rsc_context *ctx, struct rsc_scan *scan);
int identify_directory(rsc_context *ctx, struct rsc_scan *scan, const char *dir);

/* The device-mapper name of an LV ("vg-my--lv" for vg/my-lv). */
void dm_lv_name(const char *vg, const char *lv, char *buf, size_t size);

/* Finds the device an fstab/crypttab spec names (UUID=, LABEL=,
 * PARTUUID=, PARTLABEL=, /dev/disk/by-*, /dev/mapper/...), or -1. */
int scan_find_device(const struct rsc_scan *scan, const char *spec);

/* Profiles (profile.c). */
struct rsc_profile;
int profile_match(rsc_context *ctx, const char *id, const char *id_like, char **ret_name);
