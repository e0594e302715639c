/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* UEFI boot entries (NVRAM): the Boot#### load options and BootOrder as
 * efivarfs shows them; read, and written only to add an entry (and put
 * back what was there before). */
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

/* The directory of the firmware's variables: $RESCUE_EFIVARS_DIR (tests
 * only: a made-up store), else /sys/firmware/efi/efivars, with efivarfs
 * mounted there on the first call when it is not yet (booted through
 * UEFI, run as root). */
const char *efi_vars_dir(void);
/* Whether variables can be written there: efivarfs mounted read-write
 * (for a made-up store: unless $RESCUE_EFIVARS_READONLY is 1). */
bool efi_vars_writable(const char *dir);

#define EFI_GLOBAL_GUID "8be4df61-93ca-11d2-aa0d-00e098032b8c"
/* Attributes of the boot variables: non-volatile, boot and runtime access. */
#define EFI_VARIABLE_NV_BS_RT 0x00000007u

/* An active EFI_LOAD_OPTION starting path (a '/' or backslash separated path on
 * the partition, ASCII) on GPT partition partno (its GUID, start and size
 * in bytes, 512-byte sectors as the hard-drive node counts them).
 * -EINVAL for a description or path that is not printable ASCII, a GUID
 * that does not parse, or values that do not fit. */
int efi_load_option_build(const char *description, uint32_t partno, uint64_t start, uint64_t size,
			  const char *part_uuid, const char *path, uint8_t **ret, size_t *ret_n);

/* A variable file as efivarfs shows it (the 4 attribute bytes, then the
 * data), by name ("BootOrder-<GUID>"): read whole, written whole, removed.
 * efivarfs marks most variables immutable; writing and removing clear
 * that first. get: -ENOENT when there is no such variable. */
int efi_var_get(const char *dir, const char *name, uint8_t **ret, size_t *ret_n);
int efi_var_set(const char *dir, const char *name, const uint8_t *file, size_t n);
int efi_var_remove(const char *dir, const char *name);
/* The lowest Boot#### number no variable of dir uses (malformed ones
 * count as used); -ENOSPC when all 65536 are. */
int efi_boot_free_number(const char *dir);
