/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* device-mapper through libdevmapper: renaming our own mappings. */
#include <libdevmapper.h>
#include <stdlib.h>
#include <string.h>

#include "dm.h"
#include "internal.h"

DEFINE_TRIVIAL_CLEANUP_FUNC(struct dm_task *, dm_task_destroy)

bool dm_exists(const char *name) {
	_cleanup_(dm_task_destroyp) struct dm_task *t = dm_task_create(DM_DEVICE_INFO);
	struct dm_info info;
	/* libdevmapper answers 1 for success: converted here, once. */
	if (!t || !dm_task_set_name(t, name) || !dm_task_run(t) || !dm_task_get_info(t, &info))
		return false;
	return info.exists;
}

int dm_rename(rsc_context *ctx, const char *from, const char *to) {
	rsc_route_dm_log(ctx);
	if (dm_exists(to))
		return log_error_errno(ctx, EEXIST, "Cannot rename %s to %s: a mapping of that name exists", from, to);
	_cleanup_(dm_task_destroyp) struct dm_task *t = dm_task_create(DM_DEVICE_RENAME);
	if (!t)
		return -ENOMEM;
	/* Without udev in the rescue environment, libdevmapper moves the
	 * /dev/mapper node itself. */
	uint32_t cookie = 0;
	if (!dm_task_set_name(t, from) || !dm_task_set_newname(t, to) || !dm_task_set_cookie(t, &cookie, 0) ||
	    !dm_task_run(t))
		return log_error_errno(ctx, EIO, "Cannot rename device-mapper device %s to %s", from, to);
	dm_udev_wait(cookie);
	return 0;
}
