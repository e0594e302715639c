/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bootfix.h"
#include "macro.h"

#define SECTOR 512u
#define GAP_MAX (1u << 20)
/* Without core.img's size: the smallest gap GRUB's BIOS core has ever fit
 * (the 63 sectors old partitioning tools left). */
#define CORE_MIN (62u * SECTOR)

/* A finding that says the BIOS cannot start this system's GRUB from the
 * disk, and that grub-install repairs. Another loader's code is not one:
 * it may be the loader the owner chose (see bios_choose_disk). */
static bool calls_for_install(const struct rsc_finding *f) {
	return f->severity == RSC_SEVERITY_ERROR &&
	       IN_SET(f->id, RSC_FINDING_BIOS_BOOT_CODE_MISSING, RSC_FINDING_GRUB_CORE_MISSING,
		      RSC_FINDING_GRUB_CORE_DAMAGED, RSC_FINDING_GRUB_CORE_STALE, RSC_FINDING_GRUB_PREFIX_MISSING);
}

int bios_disk_ranges(const struct rsc_bios_disk *d, struct rsc_disk_range ret[2]) {
	if (streq_ptr(d->table, "dos")) {
		/* grub-bios-setup writes only below the first partition. */
		uint64_t end = d->first_partition ? d->first_partition : d->size;
		if (end > GAP_MAX)
			end = GAP_MAX;
		if (end < SECTOR)
			return -EINVAL;
		ret[0] = (struct rsc_disk_range){ 0, end - end % SECTOR };
		return 1;
	}
	if (streq_ptr(d->table, "gpt") && d->bios_boot_size >= SECTOR) {
		ret[0] = (struct rsc_disk_range){ 0, SECTOR };
		ret[1] = (struct rsc_disk_range){ d->bios_boot_offset, d->bios_boot_size };
		return 2;
	}
	return -EINVAL;
}

/* Whether GRUB's core fits where grub-install embeds it; the reason when not. */
static const char *cannot_embed(const struct rsc_bios_disk *d, uint64_t core_size) {
	uint64_t need = core_size ? core_size : CORE_MIN;
	if (streq_ptr(d->table, "dos"))
		return d->first_partition && d->first_partition < SECTOR + need ?
			       "the gap before its first partition is too small for GRUB's core" : NULL;
	if (streq_ptr(d->table, "gpt"))
		return d->bios_boot_size == 0 ? "it is a GPT disk without a BIOS boot partition (type EF02)" :
		       d->bios_boot_size < need ? "its BIOS boot partition is too small for GRUB's core" : NULL;
	return "it has no partition table GRUB can embed its core beside";
}

int bios_choose_disk(const struct rsc_bios_disk *disks, size_t n, const struct rsc_finding *findings,
		     size_t n_findings, uint64_t core_size, size_t *ret_index, char **ret_why) {
	/* For each disk: the first finding calling for a reinstall, and
	 * whether it holds another loader's code. */
	const struct rsc_finding *call[2] = {}, *foreign[2] = {};
	size_t calls = 0;
	*ret_why = NULL;
	if (n > 2)
		n = 2;   /* diagnose reads the disks of /boot and root: two at most */
	for (size_t i = 0; i < n; i++) {
		for (size_t k = 0; k < n_findings; k++) {
			if (!streq_ptr(findings[k].subject, disks[i].name))
				continue;
			if (!call[i] && calls_for_install(&findings[k]))
				call[i] = &findings[k];
			if (findings[k].id == RSC_FINDING_BIOS_BOOT_CODE_FOREIGN)
				foreign[i] = &findings[k];
		}
		calls += call[i] != NULL;
	}
	int r;
	if (calls == 0) {
		/* Another loader in sector 0 and no GRUB that boots: perhaps
		 * the owner's choice (a boot manager, another system). */
		for (size_t i = 0; i < n; i++)
			if (foreign[i] && !disks[i].boots) {
				r = asprintf(ret_why, "%s holds another boot loader's code, not this system's GRUB: if "
					     "the BIOS should start this system from %s, reinstall GRUB there "
					     "(this replaces that loader)", disks[i].name, disks[i].name);
				return r < 0 ? -ENOMEM : BIOS_CHOICE_HUMAN;
			}
		return BIOS_CHOICE_NONE;
	}
	/* A disk that could not be read may be the one the BIOS starts. */
	for (size_t i = 0; i < n; i++)
		if (!disks[i].readable) {
			r = asprintf(ret_why, "%s could not be read, so whether the BIOS starts GRUB from it is unknown: "
				     "check which disk the firmware boots from, then reinstall GRUB on that disk",
				     disks[i].name);
			return r < 0 ? -ENOMEM : BIOS_CHOICE_HUMAN;
		}
	size_t pick = call[0] ? 0 : 1;
	_cleanup_free_ char *because = NULL;
	if (calls == 2) {
		/* Both broken. The one that still carries GRUB's boot sector is
		 * where GRUB was installed, so where the BIOS was set to start;
		 * otherwise nothing on the disks tells. */
		if (disks[0].grub_code == disks[1].grub_code) {
			r = asprintf(ret_why, "both %s (%s) and %s (%s) could start this system and neither can now: "
				     "check in the firmware's setup which disk it boots from, then reinstall GRUB "
				     "for BIOS on that disk", disks[0].name, call[0]->code, disks[1].name, call[1]->code);
			return r < 0 ? -ENOMEM : BIOS_CHOICE_HUMAN;
		}
		pick = disks[0].grub_code ? 0 : 1;
		r = asprintf(&because, "it holds GRUB's boot sector (GRUB was installed there); %s holds none",
			     disks[1 - pick].name);
	} else if (n == 2 && foreign[1 - pick]) {
		/* The BIOS may start the other loader on purpose. */
		r = asprintf(ret_why, "%s holds another boot loader's code and %s a broken GRUB (%s): check "
			     "which disk the firmware boots from, then reinstall GRUB for BIOS on that disk",
			     disks[1 - pick].name, disks[pick].name, call[pick]->code);
		return r < 0 ? -ENOMEM : BIOS_CHOICE_HUMAN;
	} else if (n == 2 && !disks[1 - pick].boots) {
		r = asprintf(ret_why, "%s needs GRUB reinstalled (%s), but whether %s starts GRUB could not be "
			     "checked: check which disk the firmware boots from, then reinstall GRUB for BIOS on that disk",
			     disks[pick].name, call[pick]->code, disks[1 - pick].name);
		return r < 0 ? -ENOMEM : BIOS_CHOICE_HUMAN;
	} else if (n == 2)
		r = asprintf(&because, "the other disk of this system, %s, starts GRUB",
			     disks[1 - pick].name);
	else
		r = asprintf(&because, "it is the only disk holding this system");
	if (r < 0)
		return -ENOMEM;
	const char *no = cannot_embed(&disks[pick], core_size);
	if (no) {
		r = asprintf(ret_why, "GRUB for BIOS must be reinstalled on %s (%s), but %s; grub-install would need "
			     "unsafe options: repartition, or boot this system in UEFI mode", disks[pick].name,
			     call[pick]->code, no);
		return r < 0 ? -ENOMEM : BIOS_CHOICE_HUMAN;
	}
	r = asprintf(ret_why, "%s: %s%s, and %s", call[pick]->code, disks[pick].name,
		     disks[pick].holds_boot ? " holds /boot" : " holds the root", because);
	if (r < 0)
		return -ENOMEM;
	*ret_index = pick;
	return BIOS_CHOICE_DISK;
}

int journal_disk_line_parse(char *line, struct journal_disk_line *ret) {
	char *f[6];
	for (int k = 5; k >= 0; k--) {
		char *b = strrchr(line, ' ');
		if (!b)
			return -EBADMSG;
		*b = 0;
		f[k] = b + 1;
	}
	uint64_t v[5];
	for (int k = 0; k < 5; k++) {
		char *end;
		errno = 0;
		if (f[k][0] < '0' || f[k][0] > '9')
			return -EBADMSG;
		v[k] = strtoull(f[k], &end, 10);
		if (errno || *end)
			return -EBADMSG;
	}
	/* The copy is a file of the journal itself; the range lies on the
	 * disk and stays below what undo will read into memory. */
	if (!*line || !*f[5] || strchr(f[5], '/') || f[5][0] == '.' || v[3] == 0 || v[3] > (64u << 20) ||
	    v[4] > UINT32_MAX || v[2] > UINT64_MAX - v[3] || v[0] > UINT64_MAX - v[2] - v[3] || v[0] + v[2] + v[3] > v[1])
		return -EBADMSG;
	*ret = (struct journal_disk_line){ .file = line, .name = f[5], .disk_offset = v[0], .file_size = v[1],
					   .offset = v[2], .length = v[3], .table_crc = (uint32_t)v[4] };
	return 0;
}
