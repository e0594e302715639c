/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The least change to one line of a target's configuration file: words
 * taken out of (or put into) a shell assignment's quoted list, one kernel
 * parameter taken out of (or corrected on) a command line. Pure text in,
 * text out; the planner decides what to change, apply writes it.
 */
#pragma once

#include <stddef.h>

/* Line n (1-based) of text, without its newline. -ENOENT when text has
 * fewer lines, -ENOMEM. */
int text_line(const char *text, unsigned n, char **ret);
/* text with line n replaced by line (its newline, if any, kept). */
int text_replace_line(const char *text, unsigned n, const char *line, char **ret);

/* A line "KEY=\"w1 w2\"" or "KEY+=' w1 '" (leading blanks and a trailing
 * comment allowed) with every word of words taken out of the quoted
 * value. 1 and *ret the new line when a word was taken out; 0 when none
 * of them is there; -EINVAL when the line is not one quoted assignment
 * of key on one line (a continuation, a $(command), two assignments):
 * then a person must change it. *ret_empty (may be NULL) says whether
 * the value holds no word any more. */
int assignment_remove_words(const char *line, const char *key, char *const *words, char **ret, int *ret_empty);
/* The same assignment with words appended inside its quotes (those not
 * in it yet). 1 changed, 0 all there already, -EINVAL as above. */
int assignment_add_words(const char *line, const char *key, char *const *words, char **ret);

/* The line with every parameter "name=value" (the whole word: blanks or
 * quotes around it) replaced by "name=replacement", or taken out with
 * the blank before it when replacement is NULL. 1 changed, 0 not there. */
int cmdline_line_set_param(const char *line, const char *name, const char *value, const char *replacement,
			   char **ret);
