/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <stdbool.h>

#include "rescue/rescue.h"

bool dm_exists(const char *name);
/* Renames a device-mapper device; -EEXIST when the new name is taken. */
int dm_rename(rsc_context *ctx, const char *from, const char *to);
