/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Private to the initramfs reader: streaming decoders of the kernel's
 * initramfs compressions. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "rescue/initramfs.h"

struct decoder;

/* Which compression the kernel would pick for a segment starting with
 * these bytes: it looks at the first two only. NONE if none matches. */
enum rsc_compression decoder_detect(const uint8_t *p, size_t n);

int decoder_new(enum rsc_compression c, struct decoder **ret);
void decoder_free(struct decoder *d);

/* Feeds input (in_eof: no more input exists after these bytes) and
 * produces the next piece of output. *ret_used is what was consumed of
 * the input, *ret_out and *ret_out_n the output window (owned by the decoder,
 * valid until the next call), *ret_end true once the stream is complete;
 * then *ret_used stops exactly after its last byte. Returns 0, or
 * -EBADMSG with decoder_error() naming the problem, -ENOMEM. A call may
 * consume input without producing output; with no input left and not at
 * the end, in_eof means the stream is truncated (-EBADMSG). */
int decoder_run(struct decoder *d, const uint8_t *in, size_t in_n, bool in_eof, size_t *ret_used,
		const uint8_t **ret_out, size_t *ret_out_n, bool *ret_end);
const char *decoder_error(const struct decoder *d);

/* The root's storage stack as the verifier sees it (initramfs-verify.c),
 * for diagnose to hold the generator's configuration against. Only what
 * is known for certain counts: LUKS that crypttab merely might put under
 * the root is not "luks". */
struct root_stack_summary {
	bool luks, lvm, md;
	char *description;      /* "ext4 on LVM vg/root on LUKS luks-..." */
	char *root_spec;        /* fstab's spec for / */
};
/* devices: may look at this machine's /dev and /sys for the root's device
 * (not for a root given as a directory without devices, whose diagnosis
 * must not depend on the host). 0, -ENOENT when fstab has no root, -ENOMEM. */
int root_stack_summary(rsc_context *ctx, int rootfd, bool devices, struct root_stack_summary *ret);

/* What is known of the root's stack, for root_stack_describe(); NULL or
 * false for what is not. */
struct root_stack_words {
	const char *fstype;
	const char *device;     /* "/dev/vdb3": named only when no layer names the root */
	bool lvm;
	const char *vg, *lv;
	bool luks;
	const char *luks_name;
	bool luks_assumed;
};
/* "ext4 on LVM vg/root on LUKS luks-...", "xfs on LVM", "ext4 on /dev/vdb3":
 * only the names that are known. NULL when out of memory. */
char *root_stack_describe(const struct root_stack_words *w);
void root_stack_summary_done(struct root_stack_summary *s);
