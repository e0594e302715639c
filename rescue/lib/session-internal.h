/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* What the report builder reads of a session beyond the public getters. */
#pragma once

#include <stdbool.h>
#include <time.h>

#include "rescue/session.h"

bool s_dry_run(const rsc_session *s);
bool s_read_write(const rsc_session *s);
double s_phase_seconds(const rsc_session *s, enum rsc_phase p);
enum rsc_phase s_error_phase(const rsc_session *s);
time_t s_started(const rsc_session *s);
rsc_context *s_ctx(const rsc_session *s);
/* Where the system is or will be mounted: the target, or the one asked
 * for before the mount phase ran; NULL for a private one. */
const char *s_mount_point(const rsc_session *s);
