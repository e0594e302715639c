/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* libFuzzer target: a "disk" line of a repair journal's manifest (the
 * sectors undo writes back to a disk), as journal_disk_line_parse reads
 * it. Whatever it accepts must name a copy inside the journal and a
 * range within the disk it names. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "bootfix.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
	char *l = malloc(size + 1);
	if (!l)
		return 0;
	memcpy(l, data, size);
	l[size] = 0;
	struct journal_disk_line dl;
	if (journal_disk_line_parse(l, &dl) == 0) {
		if (!*dl.file || !*dl.name || strchr(dl.name, '/') || dl.name[0] == '.' || dl.length == 0 ||
		    dl.length > (64u << 20) || dl.disk_offset + dl.offset + dl.length > dl.file_size ||
		    dl.offset + dl.length < dl.offset)
			abort();
	}
	free(l);
	return 0;
}
