/* SPDX-License-Identifier: GPL-2.0-or-later */
/* rescue initramfs ls|cat|extract|verify: not yet built. */
#include <stdio.h>

#include "cli.h"

int verb_initramfs(struct cli *cli, int argc, char **argv) {
	fprintf(stderr, "rescue initramfs: not available in this build\n");
	return EXIT_FAILURE_;
}
