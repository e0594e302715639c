/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Boot loader configuration: grub.cfg menu entries, BLS snippets, ESP stubs. */
#pragma once

#include <stddef.h>

#include "rescue/scan.h"

/* "stub" when the file only finds the real config and loads it (the ESP
 * stub of Fedora and Debian), "full" when it carries menu entries. The
 * filesystem UUID a stub searches goes to *ret_uuid (or NULL). */
const char *grub_cfg_classify(const char *text, char **ret_uuid);
/* Appends the menu entries of a grub.cfg (nested submenus included). */
int grub_cfg_entries(rsc_context *ctx, const char *text, const char *filename,
		     struct rsc_boot_entry **entries, size_t *n);
/* Appends one BLS entry (/boot/loader/entries/NAME.conf). */
int bls_entry_parse(rsc_context *ctx, const char *text, const char *filename,
		    struct rsc_boot_entry **entries, size_t *n);
