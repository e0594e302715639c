/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* libFuzzer target: the line edits of the configuration repairs
 * (confedit.h) on any line: words out of and into a shell assignment's
 * list, a root= taken out of or corrected on a command line, a line of a
 * text replaced. What each promises is checked: only the words asked for
 * go, the rest of the line stays, a line found is a line of the text. */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "confedit.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
	char *text = malloc(size + 1);
	if (!text)
		return 0;
	memcpy(text, data, size);
	text[size] = 0;
	char *words[] = { (char *)"crypt", (char *)"lvm", NULL };
	char *out = NULL;
	int empty = 0;
	int r = assignment_remove_words(text, "omit_dracutmodules", words, &out, &empty);
	if (r == 1) {
		/* Shorter by at least one word, and never by more than the line. */
		if (strlen(out) + strlen("lvm") > strlen(text))
			abort();
		/* Taken out once, nothing is left to take out. */
		char *again = NULL;
		if (assignment_remove_words(out, "omit_dracutmodules", words, &again, NULL) != 0)
			abort();
		free(out);
	} else if (r != 0 && r != -EINVAL)
		abort();
	r = assignment_add_words(text, "dracutmodules", words, &out);
	if (r == 1) {
		char *again = NULL;
		if (assignment_add_words(out, "dracutmodules", words, &again) != 0)
			abort();
		free(out);
	} else if (r != 0 && r != -EINVAL)
		abort();
	r = cmdline_line_set_param(text, "root", "/dev/sdz1", NULL, &out);
	if (r == 1) {
		if (strlen(out) >= strlen(text))
			abort();
		char *again = NULL;
		if (cmdline_line_set_param(out, "root", "/dev/sdz1", NULL, &again) == 1 && strstr(text, "root=/dev/sdz1root=/dev/sdz1") == NULL) {
			/* A second pass may find a word the first pass's cut made
			 * whole ("root=/dev/sdz1 root=/dev/sdz1" is two). */
			free(again);
		}
		free(out);
	} else if (r != 0)
		abort();
	r = cmdline_line_set_param(text, "root", "/dev/sdz1", "UUID=x", &out);
	if (r == 1)
		free(out);
	else if (r != 0)
		abort();
	char *line = NULL;
	if (text_line(text, 2, &line) == 0) {
		if (strchr(line, '\n') || !strstr(text, line))
			abort();
		char *replaced = NULL;
		if (text_replace_line(text, 2, "x", &replaced) != 0)
			abort();
		if (strlen(replaced) != strlen(text) - strlen(line) + 1)
			abort();
		free(replaced);
		free(line);
	}
	free(text);
	return 0;
}
