/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* UEFI boot entries (NVRAM): the Boot#### load options and BootOrder as
 * efivarfs shows them, read-only. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* One Boot#### variable's EFI_LOAD_OPTION (UEFI 2.10, 3.1.3). */
struct efi_boot_entry {
	unsigned number;        /* the #### */
	uint32_t attributes;    /* LOAD_OPTION_ACTIVE = 1 */
	char *description;      /* UTF-8 */
	/* The hard-drive node of its device path (media, subtype 1), when
	 * it has one: the partition the firmware looks on. */
	bool has_partition;
	uint32_t partno;
	char *part_uuid;        /* GPT partition GUID, lower case; NULL for MBR signatures */
	char *path;             /* the file path node, with '/' for '\'; NULL when none */
	int order;              /* its place in BootOrder, -1 when not there */
};

#define EFI_LOAD_OPTION_ACTIVE 0x00000001u

/* Parses an EFI_LOAD_OPTION (the variable's data without efivarfs' 4
 * attribute bytes). -EBADMSG when it is malformed. */
int efi_load_option_parse(const uint8_t *data, size_t size, struct efi_boot_entry *ret);
void efi_boot_entry_done(struct efi_boot_entry *e);

/* Reads every Boot#### and BootOrder under dir (normally
 * /sys/firmware/efi/efivars). -ENOENT when dir is not there (not booted
 * through UEFI). Malformed entries are skipped. */
int efi_boot_entries_read(const char *dir, struct efi_boot_entry **ret, size_t *ret_n);
void efi_boot_entries_free(struct efi_boot_entry *e, size_t n);
