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
/* The same, for a device only rescue itself uses for a moment (a look
 * inside a filesystem, a grub-install): its name carries a mark, so that a
 * scan running meanwhile or just after, in this or another process, does
 * not take it for a disk of the machine. The kernel clears an autoclear
 * device after its last user is gone, but not always before the next scan. */
int loop_attach_transient(const char *file, uint64_t offset, uint64_t size, bool read_only, char **ret_node);
/* Whether node is a loop device attached by loop_attach_transient(). */
bool loop_is_transient(const char *node);
/* The name the rescue medium's first stage gives the loop device that holds
 * the rescue environment itself (iso/early-init: losetup of this path). */
#define LOOP_RESCUE_IMAGE "/rescue.sqfs"
/* Whether node is that device: the running environment, not a disk of the
 * machine. */
bool loop_is_rescue_image(const char *node);
/* Waits up to timeout_ms for node to lose its backing file (detached).
 * Returns 0 when it has, -ETIMEDOUT when not. */
int loop_wait_detached(const char *node, unsigned timeout_ms);
