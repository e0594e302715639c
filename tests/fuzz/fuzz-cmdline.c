/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* libFuzzer target: kernel command lines as cmdline.h splits them (grub.cfg
 * linux lines, BLS options, /etc/kernel/cmdline) and the lookups diagnose
 * makes: the last root=, every rd.luks.uuid=. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "cmdline.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
	char *text = malloc(size + 1);
	if (!text)
		return 0;
	memcpy(text, data, size);
	text[size] = 0;
	struct cmdline c = { 0 };
	if (cmdline_add(&c, text, "grub.cfg", 1) == 0) {
		unsigned n = 0;
		const struct cmdline_param *last = NULL;
		for (const struct cmdline_param *p = NULL; (p = cmdline_next(&c, "root", p));) {
			if (!p->value || strcmp(p->key, "root") != 0)
				abort();
			last = p;
			n++;
		}
		if (cmdline_last(&c, "root") != last || cmdline_count(&c, "root") != n)
			abort();
		/* A name ends at the first '=' (it may hold blanks inside quotes,
		 * as it does for the kernel). */
		for (size_t i = 0; i < c.n; i++)
			if (!c.params[i].key || strchr(c.params[i].key, '='))
				abort();
		(void)cmdline_last(&c, "rd.luks.uuid");
	}
	cmdline_done(&c);
	free(text);
	return 0;
}
