/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <stdbool.h>

/* Is s valid UTF-8 (no overlong forms, surrogates or values beyond
 * Unicode) without control characters other than those in allowed
 * (e.g. "\t")? Text read from a target that fails this is damage, and
 * must not travel on into messages and JSON reports. */
bool utf8_text_valid(const char *s, const char *allowed);
