/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Reading an LVM2 physical volume's label and text metadata, read-only. */
#pragma once

#include <stddef.h>
#include <stdint.h>

struct lvm_lv {
	char *name;
	/* Set when the LV is one linear segment on this PV, so its contents
	 * can be read through its extents without device-mapper. */
	bool linear_here;
	uint64_t offset;        /* bytes from the start of the PV */
	uint64_t size;          /* bytes */
};

struct lvm_pv_info {
	char *vg_name;
	char *vg_uuid;
	char *pv_uuid;
	uint64_t extent_size;   /* bytes */
	struct lvm_lv *lvs;
	size_t n_lvs;
};

void lvm_pv_info_done(struct lvm_pv_info *info);
/* Reads the label and the newest metadata of the PV in fd at offset.
 * -ENODATA: no LVM label; -EBADMSG: label or metadata corrupt. */
int lvm_read_pv(int fd, uint64_t offset, uint64_t size, struct lvm_pv_info *ret);
/* Parses LVM2 text metadata (exposed for tests and fuzzing). pv_uuid
 * selects the PV whose linear LVs get offsets. */
int lvm_parse_metadata(const char *text, size_t len, const char *pv_uuid, struct lvm_pv_info *ret);
