/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Loop devices over a file (or block device) range. */
#pragma once

#include <stdbool.h>
#include <stdint.h>

/* Attaches file[offset, offset+size) to a free loop device. With autoclear
 * the device detaches itself when the last user (a mount, or the returned
 * fd) goes away, so a crash cannot leave it behind. Returns an open fd of
 * the loop device and its node in *ret_node. */
int loop_attach(const char *file, uint64_t offset, uint64_t size, bool read_only, char **ret_node);
