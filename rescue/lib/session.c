/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The repair session: the pipeline of rescue (discover, unlock, activate,
 * mount, check, diagnose, plan, apply, verify, teardown) as phases of one
 * object that owns the scan, the mounted system, the diagnoses, the plan
 * and what must be undone. Front-ends (the CLI's auto/fix/diagnose verbs,
 * the wizard) call the phases and show what the session holds.
 *
 * The devices are scanned once; again only after something changed them
 * (volumes unlocked, arrays assembled, volume groups activated). The
 * mounted system is identified from its directory, which reads files, not
 * devices.
 */
#include <fcntl.h>
#include <json-c/json.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <time.h>
#include <unistd.h>

#include "diagnose-internal.h"
#include "fileio.h"
#include "internal.h"
#include "rescue/assemble.h"
#include "rescue/session.h"
#include "scan-internal.h"
#include "session-internal.h"
#include "strv.h"

struct rsc_session {
	rsc_context *ctx;
	char **images;
	char *want_system, *target_req, *key_file, *mounted_at, *journal_copy;
	char **unlock_devices;
	unsigned tries, n_unlocked;
	bool read_write, dry_run, assume_yes, no_devices, shared_journal;

	/* A private mount namespace and undo journal, when no target was
	 * given: everything is undone at teardown, and nothing shows on the
	 * machine's own mount table meanwhile. */
	bool private_ns, private_state;
	int old_ns;
	char dir[64], state_dir[64];
	char *target;
	int undo_base;          /* undo entries that were there before us */
	int mount_mark;         /* undo entries before our mounts, -1 when not mounted */
	bool mounted_rw;

	struct rsc_scan *scan;  /* devices and the systems on them */
	unsigned n_scans;
	int si;                 /* chosen system in scan, -1 */
	char *system_id;
	struct rsc_scan *at;    /* the chosen system identified from its mount */

	struct rsc_checks checks;
	bool checks_done;
	struct rsc_diagnosis *before, *after;
	struct rsc_plan *plan;
	int applied;
	char *undone_journal;
	int undone;
	char *unfinished;       /* an interrupted repair's journal found at mount */
	int unfinished_undone;  /* changes it put back, -1 when left */
	bool unfinished_checked;

	enum rsc_phase_state state[_RSC_PHASE_MAX];
	double seconds[_RSC_PHASE_MAX];
	enum rsc_outcome outcome;
	int error;
	enum rsc_phase error_phase;
	time_t started;
	double t0;
};

static const char *const phase_names[_RSC_PHASE_MAX] = {
	[RSC_PHASE_DISCOVER] = "discover", [RSC_PHASE_UNLOCK] = "unlock",     [RSC_PHASE_ACTIVATE] = "activate",
	[RSC_PHASE_MOUNT] = "mount",       [RSC_PHASE_CHECK] = "check",       [RSC_PHASE_DIAGNOSE] = "diagnose",
	[RSC_PHASE_PLAN] = "plan",         [RSC_PHASE_APPLY] = "apply",       [RSC_PHASE_VERIFY] = "verify",
	[RSC_PHASE_TEARDOWN] = "teardown",
};

const char *rsc_phase_to_string(enum rsc_phase p) {
	return (unsigned)p < _RSC_PHASE_MAX ? phase_names[p] : NULL;
}

static const char *const state_names[] = {
	[RSC_PHASE_TODO] = "to do",         [RSC_PHASE_DONE] = "done",     [RSC_PHASE_NEEDS_YOU] = "needs you",
	[RSC_PHASE_NOT_NEEDED] = "not needed", [RSC_PHASE_FAILED] = "failed",
};

const char *rsc_phase_state_to_string(enum rsc_phase_state s) {
	return (size_t)s < ELEMENTSOF(state_names) ? state_names[s] : NULL;
}

/* The words are part of the report schema (docs/report-json.md). */
static const char *const outcome_names[_RSC_OUTCOME_MAX] = {
	[RSC_OUTCOME_NONE] = "not finished",
	[RSC_OUTCOME_REPAIRED] = "repaired",
	[RSC_OUTCOME_NOTHING_TO_DO] = "nothing to do",
	[RSC_OUTCOME_PLAN_ONLY] = "plan only (dry run)",
	[RSC_OUTCOME_NEEDS_HUMAN] = "needs a human",
	[RSC_OUTCOME_REPAIR_FAILED] = "failed",
	[RSC_OUTCOME_CANCELLED] = "cancelled",
	[RSC_OUTCOME_FAILED] = "stopped",
};

const char *rsc_outcome_to_string(enum rsc_outcome o) {
	return (unsigned)o < _RSC_OUTCOME_MAX ? outcome_names[o] : NULL;
}

static int dup_opt(char **dst, const char *src) {
	return src && !(*dst = strdup(src)) ? -ENOMEM : 0;
}

int rsc_session_new(rsc_context *ctx, const struct rsc_session_options *opts, rsc_session **ret) {
	rsc_session *s = calloc(1, sizeof(*s));
	if (!s)
		return -ENOMEM;
	s->ctx = ctx;
	s->old_ns = -1;
	s->si = -1;
	s->mount_mark = -1;
	s->unfinished_undone = -1;
	s->started = time(NULL);
	s->t0 = rsc_now();
	s->read_write = opts->read_write;
	s->dry_run = opts->dry_run;
	s->assume_yes = opts->assume_yes;
	s->no_devices = opts->no_devices;
	s->tries = opts->tries;
	s->shared_journal = opts->shared_journal;
	int r = 0;
	STRV_FOREACH(i, opts->images)
		if (r >= 0)
			r = strv_extend(&s->images, *i);
	STRV_FOREACH(i, opts->unlock_devices)
		if (r >= 0)
			r = strv_extend(&s->unlock_devices, *i);
	if (r >= 0)
		r = dup_opt(&s->want_system, opts->system);
	if (r >= 0)
		r = dup_opt(&s->target_req, opts->target);
	if (r >= 0)
		r = dup_opt(&s->key_file, opts->key_file);
	if (r >= 0)
		r = dup_opt(&s->journal_copy, opts->journal_copy);
	if (r >= 0)
		r = dup_opt(&s->mounted_at, opts->mounted_at);
	/* Without a target of the caller's, the session keeps an undo journal
	 * of its own, so teardown undoes exactly what it did. */
	if (r >= 0 && !opts->target && !opts->mounted_at && !opts->shared_journal && geteuid() == 0) {
		snprintf(s->state_dir, sizeof(s->state_dir), "/tmp/rescue-session-state.XXXXXX");
		if (!mkdtemp(s->state_dir))
			r = log_error_errno(ctx, errno, "Cannot create a state directory in /tmp: %m");
		else {
			s->private_state = true;
			r = rsc_context_set_state_dir(ctx, s->state_dir);
		}
	}
	if (r >= 0 && geteuid() == 0) {
		s->undo_base = rsc_undo_count(ctx);
		if (s->undo_base < 0)
			r = s->undo_base;
	}
	if (r < 0) {
		rsc_session_free(s);
		return r;
	}
	*ret = s;
	return 0;
}

static void checks_clear(struct rsc_checks *c) {
	free(c->space);
	for (size_t i = 0; i < c->n_kernels; i++) {
		free(c->kernels[i].version);
		strv_free(c->kernels[i].missing);
	}
	free(c->kernels);
	free(c->selinux);
	*c = (struct rsc_checks){ 0 };
}

rsc_session *rsc_session_free(rsc_session *s) {
	if (!s)
		return NULL;
	rsc_session_teardown(s);
	if (s->private_state) {
		rmdir(s->state_dir);
		rsc_context_set_state_dir(s->ctx, NULL);
	}
	strv_free(s->images);
	strv_free(s->unlock_devices);
	free(s->want_system);
	free(s->target_req);
	free(s->key_file);
	free(s->journal_copy);
	free(s->mounted_at);
	free(s->target);
	free(s->system_id);
	free(s->undone_journal);
	free(s->unfinished);
	rsc_scan_free(s->scan);
	rsc_scan_free(s->at);
	checks_clear(&s->checks);
	rsc_diagnosis_free(s->before);
	rsc_diagnosis_free(s->after);
	rsc_plan_free(s->plan);
	free(s);
	return NULL;
}

/* ---- bookkeeping of phases ---- */

static void phase_begin(rsc_session *s, enum rsc_phase p) {
	s->ctx->phase = (int)p;
	s->ctx->phase_started = rsc_now();
	rsc_progress_reset(s->ctx);
	rsc_progress_report(s->ctx, 0, 0, -1, phase_names[p], NULL);
}

/* Ends a phase with r: 0 done, > 0 not needed, < 0 failed (or cancelled). */
static int phase_end(rsc_session *s, enum rsc_phase p, int r) {
	s->seconds[p] += rsc_now() - s->ctx->phase_started;
	s->state[p] = r == 0 ? RSC_PHASE_DONE : r > 0 ? RSC_PHASE_NOT_NEEDED : RSC_PHASE_FAILED;
	if (r < 0 && !s->error) {
		s->error = r;
		s->error_phase = p;
		s->outcome = r == -ECANCELED ? RSC_OUTCOME_CANCELLED : RSC_OUTCOME_FAILED;
	}
	rsc_progress_report(s->ctx, 1, 1, 1, phase_names[p], NULL);
	rsc_progress_reset(s->ctx);
	s->ctx->phase = -1;
	return r;
}

static int cancelled(rsc_session *s) {
	return rsc_context_cancelled(s->ctx) ? -ECANCELED : 0;
}

static int rescan(rsc_session *s) {
	struct rsc_scan_options so = { .images = s->images };
	struct rsc_scan *scan = NULL;
	rsc_progress_report(s->ctx, 0, 0, -1, "looking at the disks", NULL);
	int r = rsc_scan_run(s->ctx, &so, &scan);
	if (r < 0)
		return r;
	s->n_scans++;
	rsc_scan_free(s->scan);
	s->scan = scan;
	/* The chosen system keeps its place by id. */
	if (s->system_id) {
		s->si = -1;
		for (size_t i = 0; i < scan->n_systems; i++)
			if (streq(scan->systems[i].id, s->system_id))
				s->si = (int)i;
	}
	return 0;
}

/* ---- the phases ---- */

int rsc_session_discover(rsc_session *s) {
	phase_begin(s, RSC_PHASE_DISCOVER);
	int r;
	if (s->mounted_at) {
		/* Somebody mounted the system there: identify it from the
		 * directory; the devices only give context. */
		struct rsc_scan_options so = { .root_dir = s->mounted_at };
		rsc_scan_free(s->at);
		s->at = NULL;
		r = rsc_scan_run(s->ctx, &so, &s->at);
		if (r >= 0 && s->at->n_systems == 0)
			r = log_error_errno(s->ctx, RSC_ERR_NO_SYSTEM, "%s holds no installed system (no os-release)",
					    s->mounted_at);
		if (r >= 0 && !s->no_devices) {
			struct rsc_scan_options ds = { .images = s->images, .no_identify = true };
			struct rsc_scan *devs = NULL;
			r = rsc_scan_run(s->ctx, &ds, &devs);
			if (r >= 0) {
				s->n_scans++;
				rsc_scan_free(s->scan);
				s->scan = devs;
			}
		}
		if (r >= 0) {
			r = set_str(&s->target, s->mounted_at);
			if (r >= 0)
				r = set_str(&s->system_id, s->at->systems[0].id);
		}
	} else
		r = rescan(s);
	return phase_end(s, RSC_PHASE_DISCOVER, r < 0 ? r : 0);
}

static bool has_locked_luks(const struct rsc_scan *scan) {
	for (size_t i = 0; scan && i < scan->n_devices; i++)
		if (scan->devices[i].status == RSC_DEVICE_LOCKED)
			return true;
	return false;
}

int rsc_session_unlock(rsc_session *s) {
	/* Volumes asked for by name are looked for even when none is locked:
	 * a name that matches nothing is the caller's mistake to hear about. */
	if (s->mounted_at || (!s->unlock_devices && !has_locked_luks(s->scan))) {
		s->state[RSC_PHASE_UNLOCK] = RSC_PHASE_NOT_NEEDED;
		return 1;
	}
	phase_begin(s, RSC_PHASE_UNLOCK);
	int start = rsc_undo_count(s->ctx);
	if (start < 0)
		return phase_end(s, RSC_PHASE_UNLOCK, start);
	struct rsc_unlock_options uo = { .images = s->images, .key_file = s->key_file, .scan = s->scan,
					 .devices = s->unlock_devices, .tries = s->tries };
	int r = rsc_unlock(s->ctx, &uo);
	if (r >= 0)
		s->n_unlocked = (unsigned)r;
	if (r > 0 && rescan(s) < 0)
		r = -EIO;
	if (r == -ENOENT && !s->unlock_devices)
		r = 1;
	else if (r >= 0)
		r = 0;
	if (r < 0)
		/* Nothing this phase opened stays open: a failed unlock leaves
		 * the machine as it was. */
		rsc_undo_to(s->ctx, (unsigned)start);
	return phase_end(s, RSC_PHASE_UNLOCK, r);
}

/* Volume groups (active or not: udev's rules may have activated them
 * when their volume was unlocked, and the phase still checks each one) and
 * MD members make the activate phase needed. */
static bool needs_activation(const struct rsc_scan *scan) {
	if (scan && scan->n_vgs)
		return true;
	for (size_t i = 0; scan && i < scan->n_devices; i++)
		if (scan->devices[i].node && scan->devices[i].status == RSC_DEVICE_MD_MEMBER)
			return true;
	return false;
}

int rsc_session_activate(rsc_session *s) {
	if (s->mounted_at || !needs_activation(s->scan)) {
		s->state[RSC_PHASE_ACTIVATE] = RSC_PHASE_NOT_NEEDED;
		return 1;
	}
	phase_begin(s, RSC_PHASE_ACTIVATE);
	int start = rsc_undo_count(s->ctx);
	int r = start < 0 ? start : mount_assemble_md(s->ctx, s->scan);
	/* New arrays may hold LVM PVs: look again before activating. */
	if (r > 0)
		r = rescan(s);
	if (r >= 0)
		r = cancelled(s);
	if (r >= 0)
		r = mount_activate_vgs(s->ctx, s->scan, s->read_write);
	if (r > 0)
		r = rescan(s);
	if (r >= 0)
		r = cancelled(s);
	if (r < 0 && start >= 0)
		rsc_undo_to(s->ctx, (unsigned)start);
	return phase_end(s, RSC_PHASE_ACTIVATE, r < 0 ? r : 0);
}

int rsc_session_choose(rsc_session *s, const char *system_id) {
	if (s->mounted_at)
		return 0;
	if (!s->scan)
		return -ESTALE;
	const char *want = system_id ? system_id : s->want_system;
	int si = -1;
	if (!want && s->scan->n_systems > 1 && s->ctx->ask_fn) {
		/* Several systems: the front-end asks which. */
		_cleanup_strv_free_ char **labels = NULL;
		for (size_t i = 0; i < s->scan->n_systems; i++) {
			const struct rsc_system *y = &s->scan->systems[i];
			_cleanup_free_ char *l = NULL;
			if (asprintf(&l, "%s: %s on %s", y->id, strna(y->pretty_name),
				     y->root_device >= 0 ? s->scan->devices[y->root_device].name : "?") < 0 ||
			    strv_extend(&labels, l) < 0)
				return -ENOMEM;
		}
		struct rsc_question q = {
			.kind = RSC_ASK_CHOOSE_SYSTEM,
			.subject = "systems",
			.text = "Several installed systems were found. Which one should be repaired?",
			.choices = (const char *const *)labels,
			.n_choices = s->scan->n_systems,
		};
		int a = rsc_ask(s->ctx, &q);
		if (a == RSC_ANSWER_YES && q.choice < s->scan->n_systems)
			si = (int)q.choice;
		else if (a == RSC_ANSWER_CANCEL)
			return -ECANCELED;
	}
	if (si < 0)
		si = mount_choose_system(s->ctx, s->scan, want);
	if (si < 0) {
		if (!s->error) {
			s->error = si;
			s->error_phase = RSC_PHASE_MOUNT;
			s->outcome = RSC_OUTCOME_FAILED;
		}
		s->state[RSC_PHASE_MOUNT] = RSC_PHASE_NEEDS_YOU;
		return si;
	}
	s->si = si;
	return set_str(&s->system_id, s->scan->systems[si].id);
}

/* Identifies the mounted system from its directory (files, not devices). */
static int identify_mounted(rsc_session *s) {
	struct rsc_scan_options so = { .root_dir = s->target };
	struct rsc_scan *at = NULL;
	int r = rsc_scan_run(s->ctx, &so, &at);
	if (r < 0)
		return r;
	if (at->n_systems == 0) {
		rsc_scan_free(at);
		return log_error_errno(s->ctx, RSC_ERR_NO_SYSTEM, "%s holds no installed system (no os-release)",
				       s->target);
	}
	rsc_scan_free(s->at);
	s->at = at;
	return 0;
}

static int private_target(rsc_session *s) {
	if (s->target)
		return 0;
	if (s->target_req)
		return set_str(&s->target, s->target_req);
	/* Our own mount namespace: the mounts are invisible to the machine and
	 * vanish with us even if we are killed. */
	s->old_ns = open("/proc/self/ns/mnt", O_RDONLY | O_CLOEXEC);
	if (s->old_ns < 0 || unshare(CLONE_NEWNS) < 0 || mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0)
		return log_error_errno(s->ctx, errno, "Cannot prepare a private mount namespace: %m");
	s->private_ns = true;
	snprintf(s->dir, sizeof(s->dir), "/tmp/rescue-session.XXXXXX");
	if (!mkdtemp(s->dir))
		return log_error_errno(s->ctx, errno, "Cannot create a mount point in /tmp: %m");
	return set_str(&s->target, s->dir);
}

/* A repair cut short (power cut, killed) may have left a change half made:
 * found right after mounting, before anything looks at the system, and
 * (asked, or in advance) put back. A dry run only says so. */
static int handle_unfinished(rsc_session *s) {
	if (s->unfinished_checked)
		return 0;
	s->unfinished_checked = true;
	_cleanup_free_ char *j = NULL;
	int r = rsc_journal_find_unfinished(s->ctx, s->target, &j);
	if (r <= 0)
		return r;
	const char *id = s->system_id ? s->system_id : "the system";
	free(s->unfinished);
	s->unfinished = TAKE_PTR(j);
	if (s->dry_run) {
		log_notice(s->ctx, "%s: an earlier repair was interrupted (journal %s); a dry run leaves it; the repair "
			   "undoes it first", id, s->unfinished);
		return 0;
	}
	char text[512];
	snprintf(text, sizeof(text), "An earlier repair of %s was interrupted (journal %s): some of its changes may be "
		 "half made. Put back everything it saved?", id, s->unfinished);
	struct rsc_question q = { .kind = RSC_ASK_UNFINISHED_JOURNAL, .subject = s->unfinished, .text = text };
	int a = s->assume_yes ? RSC_ANSWER_UNDO : rsc_ask(s->ctx, &q);
	if (a != RSC_ANSWER_UNDO) {
		log_notice(s->ctx, "%s: an earlier repair was interrupted (journal %s); it was left as it is", id,
			   s->unfinished);
		return a == RSC_ANSWER_CANCEL ? -ECANCELED : 0;
	}
	if (!s->mounted_rw && !s->mounted_at) {
		r = rsc_session_mount(s, true);
		if (r < 0)
			return r;
	}
	log_notice(s->ctx, "%s: an earlier repair was interrupted (journal %s): undoing it first", id, s->unfinished);
	r = rsc_journal_undo_path(s->ctx, s->target, s->unfinished);
	if (r < 0) {
		s->outcome = RSC_OUTCOME_REPAIR_FAILED;
		return log_error_errno(s->ctx, r, "The interrupted repair could not be undone (%m); nothing else was "
				       "changed");
	}
	s->unfinished_undone = r;
	log_notice(s->ctx, "%s: the interrupted repair was undone: %d change(s) put back", id, r);
	/* What was found before the undo is stale. */
	return identify_mounted(s);
}

int rsc_session_mount(rsc_session *s, bool read_write) {
	if (s->mounted_at) {
		s->state[RSC_PHASE_MOUNT] = RSC_PHASE_NOT_NEEDED;
		if (identify_mounted(s) < 0)
			return -EIO;
		int q = handle_unfinished(s);
		return q < 0 ? q : 1;
	}
	if (s->mount_mark >= 0 && (s->mounted_rw || !read_write))
		return 0;
	if (s->si < 0) {
		int q = rsc_session_choose(s, NULL);
		if (q < 0)
			return q;
	}
	phase_begin(s, RSC_PHASE_MOUNT);
	int r = 0;
	/* Read-only first; read-write once a repair was chosen: the read-only
	 * mounts go, the same filesystems come back writable. */
	if (s->mount_mark >= 0) {
		r = rsc_undo_to(s->ctx, (unsigned)s->mount_mark);
		s->mount_mark = -1;
	}
	if (r >= 0)
		r = private_target(s);
	if (r >= 0 && !s->private_ns)
		r = mount_check_target(s->ctx, s->target);
	int mark = rsc_undo_count(s->ctx);
	if (r >= 0 && mark < 0)
		r = mark;
	if (r >= 0)
		r = mount_system_scanned(s->ctx, s->scan, s->si, s->target, read_write);
	if (r >= 0) {
		s->mount_mark = mark;
		s->mounted_rw = read_write;
		r = identify_mounted(s);
	}
	r = phase_end(s, RSC_PHASE_MOUNT, r < 0 ? r : 0);
	if (r >= 0)
		r = handle_unfinished(s);
	return r;
}

static const struct rsc_system *mounted_system(const rsc_session *s) {
	return s->at && s->at->n_systems ? &s->at->systems[0] : NULL;
}

/* The devices diagnose looks things up in: the session's scan, or an empty
 * one when there are none (a fake root). */
static const struct rsc_scan *devices_of(const rsc_session *s) {
	static const struct rsc_scan none;
	return s->scan ? s->scan : &none;
}

static int diagnose_now(rsc_session *s, struct rsc_diagnosis **ret) {
	if (!mounted_system(s))
		return -ESTALE;
	return rsc_diagnose(s->ctx, devices_of(s), mounted_system(s), s->target, ret);
}

static const struct rsc_finding *finding_for(const struct rsc_diagnosis *d, const char *code, const char *subject) {
	for (size_t i = 0; d && i < d->n_findings; i++)
		if (streq(d->findings[i].code, code) && (!subject || streq_ptr(d->findings[i].subject, subject)))
			return &d->findings[i];
	return NULL;
}

static int add_space(struct rsc_checks *c, const char *target, const char *what, uint64_t needed) {
	_cleanup_free_ char *path = path_join(target, what);
	struct statvfs v;
	if (!path)
		return -ENOMEM;
	if (statvfs(path, &v) < 0)
		return 0;
	struct rsc_space *m = realloc(c->space, (c->n_space + 1) * sizeof(*m));
	if (!m)
		return -ENOMEM;
	c->space = m;
	m[c->n_space++] = (struct rsc_space){
		.what = what,
		.total = (uint64_t)v.f_blocks * v.f_frsize,
		.free = (uint64_t)v.f_bavail * v.f_frsize,
		.needed = needed,
	};
	return 0;
}

/* The checks are the diagnosis seen per subject: the facts a wizard shows
 * (space against what is needed, each kernel's image verdict, labels,
 * entries), taken from the one diagnosis so both always agree. */
int rsc_session_check(rsc_session *s) {
	if (!mounted_system(s))
		return -ESTALE;
	phase_begin(s, RSC_PHASE_CHECK);
	const struct rsc_system *y = mounted_system(s);
	int r = 0;
	if (!s->before)
		r = diagnose_now(s, &s->before);
	checks_clear(&s->checks);
	struct rsc_checks *c = &s->checks;
	if (r >= 0)
		r = add_space(c, s->target, "/boot", initramfs_space_needed(y));
	if (r >= 0 && y->esp_device >= 0)
		r = add_space(c, s->target, "/boot/efi", 0);
	if (r >= 0 && y->n_kernels && !(c->kernels = calloc(y->n_kernels, sizeof(*c->kernels))))
		r = -ENOMEM;
	for (size_t i = 0; r >= 0 && i < y->n_kernels; i++) {
		const struct rsc_kernel *k = &y->kernels[i];
		struct rsc_kernel_check *kc = &c->kernels[c->n_kernels++];
		if (!(kc->version = strdup(k->version))) {
			r = -ENOMEM;
			break;
		}
		kc->has_image = k->image && !finding_for(s->before, "kernel-image-missing", k->version);
		kc->has_modules = k->has_modules;
		kc->has_initramfs = k->initramfs && !finding_for(s->before, "initramfs-missing", k->version);
		static const char *const bad[] = { "initramfs-missing", "initramfs-empty", "initramfs-corrupt",
						   "initramfs-cannot-mount-root", "initramfs-unverified" };
		kc->initramfs_ok = kc->has_initramfs;
		for (size_t b = 0; b < ELEMENTSOF(bad); b++) {
			const struct rsc_finding *f = finding_for(s->before, bad[b], k->version);
			if (f) {
				kc->initramfs_ok = false;
				if (strv_extend(&kc->missing, f->evidence) < 0)
					r = -ENOMEM;
			}
		}
	}
	if (r >= 0) {
		if (y->selinux && !(c->selinux = strdup(y->selinux)))
			r = -ENOMEM;
		c->selinux_checked = s->before->selinux_checked;
		c->selinux_wrong = s->before->selinux_wrong;
		c->entries = (unsigned)y->n_entries;
		for (size_t i = 0; i < s->before->n_findings; i++)
			if (streq(s->before->findings[i].code, "boot-entry-missing-file"))
				c->entries_broken++;
		s->checks_done = true;
	}
	return phase_end(s, RSC_PHASE_CHECK, r < 0 ? r : 0);
}

int rsc_session_diagnose(rsc_session *s) {
	if (!mounted_system(s))
		return -ESTALE;
	phase_begin(s, RSC_PHASE_DIAGNOSE);
	int r = 0;
	if (!s->before)
		r = diagnose_now(s, &s->before);
	if (r >= 0)
		log_info(s->ctx, "%s: %u error(s), %u warning(s) found", s->before->system, s->before->errors,
			 s->before->warnings);
	return phase_end(s, RSC_PHASE_DIAGNOSE, r < 0 ? r : 0);
}

int rsc_session_plan(rsc_session *s) {
	if (!s->before)
		return -ESTALE;
	phase_begin(s, RSC_PHASE_PLAN);
	rsc_plan_free(s->plan);
	s->plan = NULL;
	int r = rsc_plan_make(s->ctx, mounted_system(s), s->before, s->target, &s->plan);
	if (r >= 0) {
		if (s->plan->n_actions == 0)
			s->outcome = s->before->errors ? RSC_OUTCOME_NEEDS_HUMAN : RSC_OUTCOME_NOTHING_TO_DO;
		else if (s->dry_run)
			s->outcome = RSC_OUTCOME_PLAN_ONLY;
	}
	return phase_end(s, RSC_PHASE_PLAN, r < 0 ? r : s->plan->n_actions ? 0 : 1);
}

/* The journal's own files, small text: the backups stay on the system,
 * where undo needs them. */
static const char *const journal_copied[] = { "manifest", "log", "state" };
/* A help desk's stick is small (4 MiB by default): of a longer file (the
 * log holds the generators' output) the end is kept, where a failure is. */
#define JOURNAL_COPY_MAX (1u << 20)

/* Copies the regular file name of the directory src into dfd, by way of a
 * temporary file renamed into place. Returns 1 when only its last
 * JOURNAL_COPY_MAX bytes were copied, 0, -ENOENT when it is not there. */
static int copy_journal_file(int src, int dfd, const char *name) {
	_cleanup_close_ int in = openat(src, name, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
	struct stat st;
	if (in < 0)
		return negative_errno();
	if (fstat(in, &st) < 0)
		return negative_errno();
	if (!S_ISREG(st.st_mode))
		return -ENODEV;
	size_t n = st.st_size > (off_t)JOURNAL_COPY_MAX ? JOURNAL_COPY_MAX : (size_t)st.st_size;
	off_t from = st.st_size - (off_t)n;
	_cleanup_free_ char *buf = malloc(n ? n : 1);
	if (!buf)
		return -ENOMEM;
	ssize_t k = pread(in, buf, n, from);
	if (k < 0)
		return negative_errno();
	char tmp[64];
	snprintf(tmp, sizeof(tmp), ".%s.tmp", name);
	_cleanup_close_ int out = openat(dfd, tmp, O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (out < 0)
		return negative_errno();
	ssize_t w = write(out, buf, (size_t)k);
	int r = w == k ? 0 : w < 0 ? negative_errno() : -ENOSPC;
	if (r >= 0 && fsync(out) < 0)
		r = negative_errno();
	if (r >= 0 && renameat(dfd, tmp, dfd, name) < 0)
		r = negative_errno();
	if (r < 0) {
		(void)unlinkat(dfd, tmp, 0);
		return r;
	}
	return from > 0;
}

/* A copy of the repair journal's record (what changed, the commands'
 * output) in a new directory under the journal_copy option, the rescue
 * medium's journals/: it survives a system that no longer mounts. The
 * directory is named as the journal is, with .1, .2 ... when that name is
 * taken (two machines repaired in the same second). Where nothing can be
 * written the repair stands, and the log says so. */
static void copy_journal(rsc_session *s) {
	const char *j = s->plan ? s->plan->journal : NULL;
	struct stat st;
	if (!s->journal_copy || !j)
		return;
	_cleanup_free_ char *base = realpath(s->journal_copy, NULL);
	if (!base && errno == ENOENT) {
		/* The medium's link to a writable partition, when it has none. */
		log_info(s->ctx, "The repair journal was not copied: %s is not there", s->journal_copy);
		return;
	}
	if (!base || stat(base, &st) < 0 || !S_ISDIR(st.st_mode)) {
		log_warning(s->ctx, "The repair journal was not copied: %s is not a directory", s->journal_copy);
		return;
	}
	const char *name = strrchr(j, '/') ? strrchr(j, '/') + 1 : j;
	_cleanup_close_ int root = open(s->target, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	_cleanup_close_ int src = root >= 0 ? open_in_root(root, j, O_RDONLY | O_DIRECTORY) : -EBADF;
	_cleanup_free_ char *dest = NULL;
	int r = src < 0 ? src : -EEXIST;
	for (int i = 0; r == -EEXIST && i < 100; i++) {
		free(dest);
		dest = NULL;
		if ((i ? asprintf(&dest, "%s/%s.%d", base, name, i) : asprintf(&dest, "%s/%s", base, name)) < 0)
			return;
		r = mkdir(dest, 0700) < 0 ? negative_errno() : 0;
	}
	_cleanup_close_ int dfd = r >= 0 ? open(dest, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC) : -1;
	if (r >= 0 && dfd < 0)
		r = negative_errno();
	bool cut = false;
	for (size_t i = 0; r >= 0 && i < ELEMENTSOF(journal_copied); i++) {
		r = copy_journal_file(src, dfd, journal_copied[i]);
		if (r == -ENOENT)
			r = 0;
		else if (r > 0)
			cut = true;
	}
	if (r >= 0) {
		_cleanup_close_ int fd = openat(dfd, "SOURCE", O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC, 0600);
		if (fd < 0 || dprintf(fd, "%s %s%s\n", strempty(s->system_id), j,
				      cut ? " (a file over 1 MiB: its end only)" : "") < 0 || fsync(fd) < 0)
			r = negative_errno();
	}
	if (r < 0)
		log_warning_errno(s->ctx, r, "The repair journal %s was not copied to %s: %m", j, dest ? dest : base);
	else
		log_notice(s->ctx, "repair journal %s copied to %s", j, dest);
}

int rsc_session_apply(rsc_session *s) {
	if (!s->plan)
		return -ESTALE;
	if (s->plan->n_actions == 0) {
		s->state[RSC_PHASE_APPLY] = RSC_PHASE_NOT_NEEDED;
		return 1;
	}
	/* Safety rule 2: nothing is written before the plan was shown and
	 * accepted, now or in advance. */
	if (!s->assume_yes) {
		struct rsc_question q = {
			.kind = RSC_ASK_CONFIRM_PLAN,
			.subject = s->plan->system,
			.text = "Apply this plan? Every file it replaces is saved first, and it can be undone.",
		};
		int a = rsc_ask(s->ctx, &q);
		if (a != RSC_ANSWER_YES) {
			s->state[RSC_PHASE_APPLY] = RSC_PHASE_NEEDS_YOU;
			log_notice(s->ctx, "The plan was not applied%s", a == -ENOKEY ? ": nobody accepted it" : "");
			return a == RSC_ANSWER_CANCEL ? -ECANCELED : -EPERM;
		}
	}
	int r = 0;
	if (!s->mounted_rw && !s->mounted_at)
		r = rsc_session_mount(s, true);
	if (r < 0)
		return r;
	if (s->mounted_at && access(s->target, W_OK) < 0) {
		log_error(s->ctx, "%s is not writable: mount the system read-write first", s->target);
		return -EROFS;
	}
	/* Applying again after a cancelled or failed attempt: that attempt's
	 * error no longer says why the session stands where it does. */
	if (s->error && (s->error_phase == RSC_PHASE_APPLY || s->error_phase == RSC_PHASE_VERIFY))
		s->error = 0;
	phase_begin(s, RSC_PHASE_APPLY);
	r = rsc_plan_apply(s->ctx, s->plan, s->target);
	s->applied = r;
	copy_journal(s);
	s->outcome = r == -ECANCELED ? RSC_OUTCOME_CANCELLED : r < 0 ? RSC_OUTCOME_REPAIR_FAILED : RSC_OUTCOME_NONE;
	/* A failed step was rolled back by apply; the phase failed, the
	 * session goes on to verify what is there now. */
	s->seconds[RSC_PHASE_APPLY] += rsc_now() - s->ctx->phase_started;
	s->state[RSC_PHASE_APPLY] = r < 0 ? RSC_PHASE_FAILED : RSC_PHASE_DONE;
	rsc_progress_report(s->ctx, 1, 1, 1, phase_names[RSC_PHASE_APPLY], NULL);
	rsc_progress_reset(s->ctx);
	s->ctx->phase = -1;
	if (r == -ECANCELED) {
		s->error = r;
		s->error_phase = RSC_PHASE_APPLY;
	}
	return r;
}

int rsc_session_verify(rsc_session *s) {
	if (!s->target)
		return -ESTALE;
	phase_begin(s, RSC_PHASE_VERIFY);
	/* Look again from scratch: the repair changed the files. */
	int r = identify_mounted(s);
	rsc_diagnosis_free(s->after);
	s->after = NULL;
	if (r >= 0)
		r = diagnose_now(s, &s->after);
	if (r >= 0 && s->outcome == RSC_OUTCOME_NONE)
		s->outcome = s->after->errors ? RSC_OUTCOME_NEEDS_HUMAN : RSC_OUTCOME_REPAIRED;
	return phase_end(s, RSC_PHASE_VERIFY, r < 0 ? r : 0);
}

int rsc_session_undo(rsc_session *s) {
	if (!s->target)
		return -ESTALE;
	int r = 0;
	if (!s->mounted_rw && !s->mounted_at)
		r = rsc_session_mount(s, true);
	if (r < 0)
		return r;
	free(s->undone_journal);
	s->undone_journal = NULL;
	r = rsc_journal_undo(s->ctx, s->target, &s->undone_journal);
	if (r >= 0)
		s->undone = r;
	return r;
}

int rsc_session_teardown(rsc_session *s) {
	int r = 0;
	bool had = s->mount_mark >= 0 || s->private_ns || (geteuid() == 0 && rsc_undo_count(s->ctx) > s->undo_base);
	if (!had)
		return 0;
	phase_begin(s, RSC_PHASE_TEARDOWN);
	if (geteuid() == 0 && rsc_undo_count(s->ctx) > s->undo_base)
		r = rsc_undo_to(s->ctx, (unsigned)s->undo_base);
	s->mount_mark = -1;
	s->mounted_rw = false;
	if (s->private_ns) {
		int cwd = open(".", O_PATH | O_DIRECTORY | O_CLOEXEC);
		if (setns(s->old_ns, CLONE_NEWNS) < 0)
			log_error_errno(s->ctx, errno, "Cannot return to the original mount namespace: %m");
		if (cwd >= 0) {
			(void)!fchdir(cwd); /* setns() moved us to the root directory */
			close(cwd);
		}
		close(s->old_ns);
		s->old_ns = -1;
		rmdir(s->dir);
		s->private_ns = false;
		free(s->target);
		s->target = NULL;
	}
	return phase_end(s, RSC_PHASE_TEARDOWN, r < 0 ? r : 0);
}

int rsc_session_keep(rsc_session *s) {
	if (s->private_ns || s->private_state)
		return -EINVAL;
	/* What is recorded stays recorded; it is just no longer ours to undo. */
	int n = geteuid() == 0 ? rsc_undo_count(s->ctx) : 0;
	if (n < 0)
		return n;
	s->undo_base = n;
	s->mount_mark = -1;
	s->mounted_rw = false;
	return 0;
}

/* A phase runs once: the --auto loop may be called again to go further
 * (to the plan first, then on), and a phase that already ran keeps its
 * state and what it made. */
static bool to_run(const rsc_session *s, enum rsc_phase p, enum rsc_phase last) {
	return p <= last && s->state[p] == RSC_PHASE_TODO;
}

int rsc_session_run(rsc_session *s, enum rsc_phase last) {
	int r = 0;
	if (to_run(s, RSC_PHASE_DISCOVER, last))
		r = rsc_session_discover(s);
	if (r >= 0 && to_run(s, RSC_PHASE_UNLOCK, last))
		r = cancelled(s) ?: rsc_session_unlock(s);
	if (r >= 0 && to_run(s, RSC_PHASE_ACTIVATE, last))
		r = cancelled(s) ?: rsc_session_activate(s);
	if (r >= 0 && to_run(s, RSC_PHASE_MOUNT, last))
		r = cancelled(s) ?: rsc_session_mount(s, s->read_write && !s->dry_run);
	if (r >= 0 && to_run(s, RSC_PHASE_CHECK, last))
		r = cancelled(s) ?: rsc_session_check(s);
	if (r >= 0 && to_run(s, RSC_PHASE_DIAGNOSE, last))
		r = cancelled(s) ?: rsc_session_diagnose(s);
	if (r >= 0 && to_run(s, RSC_PHASE_PLAN, last))
		r = cancelled(s) ?: rsc_session_plan(s);
	if (r >= 0 && to_run(s, RSC_PHASE_APPLY, last) && !s->dry_run && s->plan && s->plan->n_actions) {
		r = cancelled(s) ?: rsc_session_apply(s);
		/* A failed step was rolled back: verify what is there now. */
		if ((r >= 0 || r == -EIO) && to_run(s, RSC_PHASE_VERIFY, last))
			r = rsc_session_verify(s);
	}
	if (r == -ECANCELED && !s->error) {
		s->error = r;
		s->outcome = RSC_OUTCOME_CANCELLED;
	}
	if (last >= RSC_PHASE_TEARDOWN) {
		int q = rsc_session_teardown(s);
		if (q < 0 && r >= 0)
			r = q;
	}
	if (r < 0 && !s->error) {
		s->error = r;
		if (s->outcome == RSC_OUTCOME_NONE)
			s->outcome = RSC_OUTCOME_FAILED;
	}
	return r < 0 ? r : 0;
}

/* ---- what the session holds ---- */

enum rsc_phase_state rsc_session_phase_state(const rsc_session *s, enum rsc_phase p) {
	return (unsigned)p < _RSC_PHASE_MAX ? s->state[p] : RSC_PHASE_TODO;
}
const struct rsc_scan *rsc_session_get_scan(const rsc_session *s) {
	return s->scan ? s->scan : s->at;
}
const struct rsc_system *rsc_session_get_system(const rsc_session *s) {
	if (mounted_system(s))
		return mounted_system(s);
	return s->scan && s->si >= 0 ? &s->scan->systems[s->si] : NULL;
}
const char *rsc_session_get_target(const rsc_session *s) {
	return s->target;
}
const struct rsc_diagnosis *rsc_session_get_diagnosis(const rsc_session *s) {
	return s->before;
}
const struct rsc_diagnosis *rsc_session_get_verified(const rsc_session *s) {
	return s->after;
}
const struct rsc_plan *rsc_session_get_plan(const rsc_session *s) {
	return s->plan;
}
unsigned rsc_session_get_unlocked(const rsc_session *s) {
	return s->n_unlocked;
}
unsigned rsc_session_get_scan_count(const rsc_session *s) {
	return s->n_scans;
}
const struct rsc_checks *rsc_session_get_checks(const rsc_session *s) {
	return s->checks_done ? &s->checks : NULL;
}
enum rsc_outcome rsc_session_get_outcome(const rsc_session *s) {
	return s->outcome;
}
int rsc_session_get_error(const rsc_session *s) {
	return s->error;
}
int rsc_session_get_undone(const rsc_session *s, const char **ret_journal) {
	if (ret_journal)
		*ret_journal = s->undone_journal;
	return s->undone;
}

bool s_dry_run(const rsc_session *s) {
	return s->dry_run;
}
bool s_read_write(const rsc_session *s) {
	return s->mounted_rw || (s->read_write && !s->dry_run);
}
double s_phase_seconds(const rsc_session *s, enum rsc_phase p) {
	return s->seconds[p];
}
enum rsc_phase s_error_phase(const rsc_session *s) {
	return s->error_phase;
}
enum rsc_phase rsc_session_get_error_phase(const rsc_session *s) {
	return s->error_phase;
}
time_t s_started(const rsc_session *s) {
	return s->started;
}
const char *s_mount_point(const rsc_session *s) {
	return s->target ? s->target : s->target_req;
}
rsc_context *s_ctx(const rsc_session *s) {
	return s->ctx;
}

int rsc_session_get_unfinished(const rsc_session *s, const char **ret_journal) {
	if (ret_journal)
		*ret_journal = s->unfinished;
	return s->unfinished_undone;
}
