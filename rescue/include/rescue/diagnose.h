/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Diagnose: why an installed system does not boot, as findings with their
 * evidence, a plain explanation and the fix. Read-only.
 */
#pragma once

#include <stddef.h>

#include "rescue/rescue.h"
#include "rescue/scan.h"

enum rsc_severity {
	RSC_SEVERITY_INFO,
	RSC_SEVERITY_WARNING,   /* boots today, but a repair or update may fail */
	RSC_SEVERITY_ERROR,     /* the system does not boot (or will not after the next update) */
};

struct rsc_finding {
	char *code;             /* stable identifier: "initramfs-missing", "boot-space-low" ... */
	enum rsc_severity severity;
	char *subject;          /* what it is about: a kernel version, a path, a device */
	char *evidence;         /* the facts: paths, sizes, UUIDs, the line of a file */
	char *explanation;      /* in plain words, for someone learning */
	char *fix;              /* what repairs it */
};

struct rsc_diagnosis {
	char *system;           /* id of the system diagnosed */
	struct rsc_finding *findings;
	size_t n_findings;
	unsigned errors, warnings;
};

/* Diagnoses system s, mounted (at least read-only) at root_dir with its
 * /boot (and ESP, if any) mounted as its fstab says. Devices are looked up
 * in scan; when s was identified from a directory (no devices of its own),
 * its root, /boot and ESP are found there through its fstab. */
int rsc_diagnose(rsc_context *ctx, const struct rsc_scan *scan, const struct rsc_system *s, const char *root_dir,
		 struct rsc_diagnosis **ret);
struct rsc_diagnosis *rsc_diagnosis_free(struct rsc_diagnosis *d);
const char *rsc_severity_to_string(enum rsc_severity s);
struct json_object;
int rsc_diagnosis_to_json(const struct rsc_diagnosis *d, struct json_object **ret);
