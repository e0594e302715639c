/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "loop.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/loop.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "macro.h"

/* The mark in lo_file_name (LO_NAME_SIZE bytes, shown by LOOP_GET_STATUS64;
 * losetup and sysfs show the real backing file). */
#define TRANSIENT_MARK "rescue-transient:"

static int attach(const char *file, uint64_t offset, uint64_t size, bool read_only, bool transient,
		  char **ret_node) {
	_cleanup_close_ int ffd = open(file, (read_only ? O_RDONLY : O_RDWR) | O_CLOEXEC);
	if (ffd < 0)
		return negative_errno();
	_cleanup_close_ int ctl = open("/dev/loop-control", O_RDWR | O_CLOEXEC);
	if (ctl < 0)
		return negative_errno();

	/* Another process may take the free device between the two calls:
	 * then LOOP_CONFIGURE fails with EBUSY and we ask again. */
	for (int attempt = 0; attempt < 64; attempt++) {
		int n = ioctl(ctl, LOOP_CTL_GET_FREE);
		if (n < 0)
			return negative_errno();
		char node[32];
		snprintf(node, sizeof(node), "/dev/loop%d", n);
		_cleanup_close_ int lfd = open(node, (read_only ? O_RDONLY : O_RDWR) | O_CLOEXEC);
		if (lfd < 0) {
			if (errno == ENOENT) { /* udev has not made the node yet */
				usleep(10000);
				continue;
			}
			return negative_errno();
		}
		struct loop_config cfg = {
			.fd = (uint32_t)ffd,
			.info = {
				.lo_offset = offset,
				.lo_sizelimit = size,
				.lo_flags = LO_FLAGS_AUTOCLEAR | (read_only ? LO_FLAGS_READ_ONLY : 0),
			},
		};
		snprintf((char *)cfg.info.lo_file_name, sizeof(cfg.info.lo_file_name), "%s%s",
			 transient ? TRANSIENT_MARK : "", file);
		if (ioctl(lfd, LOOP_CONFIGURE, &cfg) < 0) {
			if (errno == EBUSY)
				continue;
			return negative_errno();
		}
		char *copy = strdup(node);
		if (!copy)
			return -ENOMEM;
		*ret_node = copy;
		return TAKE_FD(lfd);
	}
	return -EBUSY;
}

int loop_attach(const char *file, uint64_t offset, uint64_t size, bool read_only, char **ret_node) {
	return attach(file, offset, size, read_only, false, ret_node);
}

int loop_attach_transient(const char *file, uint64_t offset, uint64_t size, bool read_only, char **ret_node) {
	return attach(file, offset, size, read_only, true, ret_node);
}

/* lo_file_name as given when the device was attached: the name stays what
 * it was even when the file is deleted or out of reach (the rescue image
 * lives in the initramfs, emptied by switch_root), where sysfs's
 * backing_file would show another path. */
static bool loop_name(const char *node, char ret[static LO_NAME_SIZE]) {
	_cleanup_close_ int fd = open(node, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
	struct loop_info64 info;
	if (fd < 0 || ioctl(fd, LOOP_GET_STATUS64, &info) < 0)
		return false;
	memcpy(ret, info.lo_file_name, LO_NAME_SIZE);
	ret[LO_NAME_SIZE - 1] = '\0';
	return true;
}

bool loop_is_transient(const char *node) {
	char name[LO_NAME_SIZE];
	return loop_name(node, name) && strncmp(name, TRANSIENT_MARK, strlen(TRANSIENT_MARK)) == 0;
}

bool loop_is_rescue_image(const char *node) {
	char name[LO_NAME_SIZE];
	return loop_name(node, name) && strcmp(name, LOOP_RESCUE_IMAGE) == 0;
}

int loop_wait_detached(const char *node, unsigned timeout_ms) {
	const char *name = strrchr(node, '/');
	char path[64];
	snprintf(path, sizeof(path), "/sys/block/%s/loop/backing_file", name ? name + 1 : node);
	for (unsigned waited = 0;; waited += 10) {
		if (access(path, F_OK) < 0)
			return 0;
		if (waited >= timeout_ms)
			return -ETIMEDOUT;
		usleep(10000);
	}
}
