/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The nine screens of the wizard, as one table: title, the phase the
 * teaching panel explains, how the body is built from what the session
 * holds, what Enter does on the focused item, and the step's status for
 * the hub. No repair logic lives here: every decision is the session's.
 */
#include <curses.h>
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "macro.h"
#include "rescue/assemble.h"
#include "strv.h"
#include "tui.h"

static rsc_session *S(struct tui *t) {
	return t->m.session;
}

/* Asked afresh, not from the last draw: a job that ended since (the
 * check of its result comes before the next draw) left the session ours. */
static enum rsc_phase_state phase(struct tui *t, enum rsc_phase p) {
	if (tui_session_ours(t))
		t->phase_seen[p] = rsc_session_phase_state(S(t), p);
	return t->phase_seen[p];
}

/* Mounted by the wizard, or before it started ("not needed"). */
static bool mounted(struct tui *t) {
	enum rsc_phase_state st = phase(t, RSC_PHASE_MOUNT);
	return rsc_session_get_system(S(t)) && (st == RSC_PHASE_DONE || st == RSC_PHASE_NOT_NEEDED);
}

const char *tui_state_mark(enum rsc_phase_state s, bool basic) {
	switch (s) {
	case RSC_PHASE_DONE:
		return "[x]";
	case RSC_PHASE_NEEDS_YOU:
		return "[!]";
	case RSC_PHASE_NOT_NEEDED:
		return "[-]";
	case RSC_PHASE_FAILED:
		return "[F]";
	default:
		return "[ ]";
	}
}

const char *tui_state_words(enum rsc_phase_state s) {
	switch (s) {
	case RSC_PHASE_DONE:
		return "done";
	case RSC_PHASE_NEEDS_YOU:
		return "needs you";
	case RSC_PHASE_NOT_NEEDED:
		return "not needed";
	case RSC_PHASE_FAILED:
		return "failed";
	default:
		return "to do";
	}
}

static void size_words(uint64_t bytes, char *buf, size_t size) {
	static const char *const units[] = { "B", "KiB", "MiB", "GiB", "TiB" };
	double v = (double)bytes;
	size_t u = 0;
	while (v >= 1024 && u + 1 < ELEMENTSOF(units)) {
		v /= 1024;
		u++;
	}
	snprintf(buf, size, u ? "%.1f %s" : "%.0f %s", v, units[u]);
}

static void error_notice(struct tui *t, const char *what, int r) {
	tui_notice(t, "%s: %s", what, rsc_strerror(r));
}

/* ---- 1. Welcome ---- */

static void build_welcome(struct tui *t) {
	tui_add(t, -1, TUI_ATTR_TITLE, "Welcome");
	tui_add(t, -1, 0, "This wizard finds the Linux systems on this computer, works out why one does not boot, and "
			  "repairs it with the system's own tools.");
	tui_add(t, -1, 0, "%s", "");
	tui_add(t, -1, 0, "It will: read the disks without changing them; unlock encrypted volumes with the passphrase you "
			  "type; show a plan with the exact commands; change files only after you say yes, keeping a "
			  "journal so every change can be undone.");
	tui_add(t, -1, 0, "It will not: format, partition or delete anything, or write before you agree.");
	tui_add(t, -1, 0, "%s", "");
	tui_add(t, -1, 0, "Console: %s", t->console);
	tui_add(t, 0, 0, "Start: look at this computer's disks");
	tui_add(t, 1, 0, "Keyboard layout: %s%s%s", t->keymap, t->keymap_source ? " " : "", strempty(t->keymap_source));
	tui_add(t, -1, 0, "%s", "");
	tui_add(t, -1, TUI_ATTR_DIM, "? help, t teaching mode, q quit, at any time.");
}

static int activate_welcome(struct tui *t, int item) {
	if (item == 1) {
		strv_free(t->choices);
		t->choices = NULL;
		if (tui_list_keymaps(&t->choices) <= 0) {
			tui_notice(t, "This medium has no keyboard layouts besides the one in use.");
			return KEY_REDRAW;
		}
		t->choice = 0;
		for (int i = 0; t->choices[i]; i++)
			if (streq(t->choices[i], t->keymap))
				t->choice = i;
		t->overlay = OVERLAY_CHOOSE;
		t->choose_purpose = CHOOSE_KEYMAP;
		return KEY_REDRAW;
	}
	t->welcome_seen = true;
	t->screen = SCREEN_SYSTEMS;
	return KEY_REDRAW;
}

static enum rsc_phase_state state_welcome(struct tui *t) {
	return t->welcome_seen || t->screen != SCREEN_WELCOME ? RSC_PHASE_DONE : RSC_PHASE_NEEDS_YOU;
}

/* ---- 2. Systems found ---- */

static void add_device_tree(struct tui *t, const struct rsc_scan *scan, int parent, int depth) {
	for (size_t i = 0; i < scan->n_devices; i++) {
		const struct rsc_device *d = &scan->devices[i];
		if (d->parent != parent)
			continue;
		char size[32];
		size_words(d->size, size, sizeof(size));
		char line[512];
		snprintf(line, sizeof(line), "%*s%s%s %s, %s%s%s%s%s%s%s", depth * 2, "", depth ? "- " : "", d->name,
			 rsc_device_kind_name(d->kind), size, d->type ? ", " : "", strempty(d->type), d->label ? " \"" : "",
			 strempty(d->label), d->label ? "\"" : "", d->state ? ": " : "");
		tui_add_wrapped(t, -1, d->error ? TUI_ATTR_WARNING : 0, depth * 2 + 4, line);
		if (d->state)
			tui_add_wrapped(t, -1, TUI_ATTR_WARNING, depth * 2 + 4, d->state);
		if (depth < 8)
			add_device_tree(t, scan, (int)i, depth + 1);
	}
}

static void build_systems(struct tui *t) {
	const struct rsc_scan *scan = rsc_session_get_scan(S(t));
	tui_add(t, -1, TUI_ATTR_TITLE, "Systems found");
	if (!scan) {
		if (phase(t, RSC_PHASE_DISCOVER) == RSC_PHASE_FAILED)
			tui_add(t, -1, TUI_ATTR_ERROR, "The disks could not be examined (see the line below).");
		else
			tui_add(t, -1, 0, "Looking at the disks ...");
		return;
	}
	if (scan->n_devices) {
		tui_add(t, -1, 0, "Storage (disk - partition - LUKS - LVM - filesystem):");
		add_device_tree(t, scan, -1, 1);
	}
	tui_add(t, -1, 0, "%s", "");
	const struct rsc_system *chosen = rsc_session_get_system(S(t));
	if (scan->n_systems == 0) {
		tui_add(t, -1, 0, "No installed system found yet. When a disk is encrypted, unlock it first.");
		tui_add(t, 0, 0, "Go to Unlock");
		return;
	}
	tui_add(t, -1, 0, "Installed systems (Enter picks one):");
	for (size_t i = 0; i < scan->n_systems; i++) {
		const struct rsc_system *s = &scan->systems[i];
		bool is_chosen = (chosen && streq(chosen->id, s->id)) || (!chosen && t->chosen && streq(t->chosen, s->id));
		tui_add(t, (int)i, is_chosen ? TUI_ATTR_GOOD : 0, "%s %s: %s", is_chosen ? "(*)" : "( )", s->id,
			strna(s->pretty_name));
		char kernels[512] = "";
		size_t o = 0;
		for (size_t k = 0; k < s->n_kernels && o < sizeof(kernels) - 1; k++) {
			int n = snprintf(kernels + o, sizeof(kernels) - o, "%s%s", k ? ", " : "", s->kernels[k].version);
			if (n < 0)
				break;
			o += (size_t)n;
		}
		const char *root = s->root_dir ? s->root_dir : s->root_device >= 0 ? scan->devices[s->root_device].name : "?";
		tui_add(t, (int)i, 0, "    root %s; kernels %s", root, o ? kernels : "none found");
		tui_add(t, (int)i, 0, "    initramfs by %s; boot loader %s%s", strna(s->generator), strna(s->bootloader),
			s->bls ? " with BLS entries" : "");
		if (s->keymap)
			tui_add(t, (int)i, 0, "    keyboard layout %s (its own passphrase prompt uses it)", s->keymap);
	}
}

static int activate_systems(struct tui *t, int item) {
	const struct rsc_scan *scan = rsc_session_get_scan(S(t));
	if (!scan || scan->n_systems == 0) {
		t->screen = SCREEN_UNLOCK;
		return KEY_REDRAW;
	}
	if (item < 0 || (size_t)item >= scan->n_systems)
		return KEY_HANDLED;
	const struct rsc_system *cur = rsc_session_get_system(S(t));
	if (cur && !streq(cur->id, scan->systems[item].id) && mounted(t)) {
		tui_notice(t, "%s is mounted; quit and start again to work on another system.", cur->id);
		return KEY_REDRAW;
	}
	free(t->chosen);
	t->chosen = strdup(scan->systems[item].id);
	pthread_mutex_lock(&t->m.lock);
	free(t->m.choose_id);
	t->m.choose_id = t->chosen ? strdup(t->chosen) : NULL;
	pthread_mutex_unlock(&t->m.lock);
	tui_notice(t, "%s chosen.", scan->systems[item].id);
	t->screen = SCREEN_UNLOCK;
	return KEY_REDRAW;
}

static enum rsc_phase_state state_systems(struct tui *t) {
	enum rsc_phase_state d = phase(t, RSC_PHASE_DISCOVER);
	if (d == RSC_PHASE_FAILED || d == RSC_PHASE_TODO)
		return d;
	if (rsc_session_get_system(S(t)) || t->chosen)
		return RSC_PHASE_DONE;
	const struct rsc_scan *scan = rsc_session_get_scan(S(t));
	return scan && scan->n_systems ? RSC_PHASE_NEEDS_YOU : RSC_PHASE_TODO;
}

/* ---- 3. Unlock ---- */

static size_t count_locked(const struct rsc_scan *scan) {
	size_t n = 0;
	for (size_t i = 0; scan && i < scan->n_devices; i++)
		if (scan->devices[i].status == RSC_DEVICE_LOCKED)
			n++;
	return n;
}

static void build_unlock(struct tui *t) {
	const struct rsc_scan *scan = rsc_session_get_scan(S(t));
	enum rsc_phase_state st = phase(t, RSC_PHASE_UNLOCK);
	tui_add(t, -1, TUI_ATTR_TITLE, "Unlock encrypted volumes");
	size_t n = count_locked(scan);
	if (n == 0 && st != RSC_PHASE_DONE) {
		tui_add(t, -1, 0, "No locked encrypted (LUKS) volume: nothing to unlock.");
		tui_add(t, 0, 0, "Continue: mount the system");
		return;
	}
	tui_add(t, -1, 0, "The passphrase is typed into locked memory, never shown unless you ask (^R), never written "
			  "to a log or report. Three tries per volume; Esc skips a volume.");
	tui_add(t, -1, 0, "Keyboard layout in use: %s. Check it matches the one the passphrase was made with.", t->keymap);
	/* The layouts of the systems seen so far: a passphrase is typed the way
	 * the system's own prompt reads it. */
	for (size_t i = 0; scan && i < scan->n_systems; i++)
		if (scan->systems[i].keymap && !streq(scan->systems[i].keymap, t->keymap))
			tui_add(t, -1, 0, "%s uses the layout %s: choose it on the Welcome step if its passphrase was "
				"typed with it.", scan->systems[i].id, scan->systems[i].keymap);
	tui_add(t, -1, 0, "%s", "");
	for (size_t i = 0; scan && i < scan->n_devices; i++) {
		const struct rsc_device *d = &scan->devices[i];
		if (!d->type || !streq(d->type, "crypto_LUKS"))
			continue;
		tui_add(t, -1, 0, "  %s: LUKS%s%s%s", d->name, strempty(d->version), d->state ? ", " : "", strempty(d->state));
	}
	tui_add(t, -1, 0, "%s", "");
	if (st == RSC_PHASE_DONE) {
		tui_add(t, -1, TUI_ATTR_GOOD, "Unlocked.");
		tui_add(t, 0, 0, "Continue: mount the system");
	} else {
		tui_add(t, 0, 0, "Unlock (asks for each passphrase)");
		tui_add(t, 1, 0, "Skip: go on without them");
	}
}

static int activate_unlock(struct tui *t, int item) {
	const struct rsc_scan *scan = rsc_session_get_scan(S(t));
	if (item == 0 && count_locked(scan) > 0 && phase(t, RSC_PHASE_UNLOCK) != RSC_PHASE_DONE) {
		int r = tui_start_job(t, JOB_UNLOCK);
		if (r < 0)
			error_notice(t, "Cannot start", r);
		return KEY_REDRAW;
	}
	if (item == 1)
		t->unlock_skipped = true;
	t->screen = SCREEN_MOUNT;
	return KEY_REDRAW;
}

static enum rsc_phase_state state_unlock(struct tui *t) {
	enum rsc_phase_state st = phase(t, RSC_PHASE_UNLOCK);
	if (st == RSC_PHASE_TODO && rsc_session_get_scan(S(t)) && count_locked(rsc_session_get_scan(S(t))) == 0)
		return RSC_PHASE_NOT_NEEDED;
	if (st == RSC_PHASE_TODO && t->unlock_skipped)
		return RSC_PHASE_NOT_NEEDED;
	return st;
}

/* ---- 4. Mount ---- */

static void build_mount(struct tui *t) {
	tui_add(t, -1, TUI_ATTR_TITLE, "Mount");
	tui_add(t, -1, 0, "The system is mounted read-only first: looking at it changes nothing, not even a filesystem "
			  "journal. It is mounted read-write only when you apply a repair, and if its journal must be "
			  "replayed then, you are asked first.");
	tui_add(t, -1, 0, "%s", "");
	const struct rsc_system *s = rsc_session_get_system(S(t));
	enum rsc_phase_state st = phase(t, RSC_PHASE_MOUNT);
	/* "Not needed": the system was mounted before the wizard started. */
	if (s && (st == RSC_PHASE_DONE || st == RSC_PHASE_NOT_NEEDED)) {
		tui_add(t, -1, TUI_ATTR_GOOD, "%s is mounted at %s.", s->id, strna(rsc_session_get_target(S(t))));
		for (size_t i = 0; i < s->n_fstab; i++)
			if (s->fstab[i].target && s->fstab[i].target[0] == '/')
				tui_add(t, -1, 0, "  %s %s (%s)", s->fstab[i].target, s->fstab[i].spec, strna(s->fstab[i].fstype));
		tui_add(t, 0, 0, "Continue: the checks");
		return;
	}
	tui_add(t, 0, 0, "Mount %s read-only and check it", t->chosen ? t->chosen : "the system");
}

static int activate_mount(struct tui *t, int item) {
	if (mounted(t) && rsc_session_get_checks(S(t))) {
		t->screen = SCREEN_CHECKS;
		return KEY_REDRAW;
	}
	int r = tui_start_job(t, JOB_MOUNT);
	if (r < 0)
		error_notice(t, "Cannot start", r);
	return KEY_REDRAW;
}

static enum rsc_phase_state state_mount(struct tui *t) {
	return phase(t, RSC_PHASE_MOUNT);
}

/* ---- 5. Checks ---- */

static void build_checks(struct tui *t) {
	tui_add(t, -1, TUI_ATTR_TITLE, "Checks");
	const struct rsc_checks *c = rsc_session_get_checks(S(t));
	if (!c) {
		tui_add(t, -1, 0, "Not run yet: mount the system first (step 4).");
		return;
	}
	for (size_t i = 0; i < c->n_space; i++) {
		const struct rsc_space *sp = &c->space[i];
		char free_s[32], total_s[32], need_s[32], after[160], label[32];
		size_words(sp->free, free_s, sizeof(free_s));
		size_words(sp->total, total_s, sizeof(total_s));
		size_words(sp->needed, need_s, sizeof(need_s));
		snprintf(label, sizeof(label), "%-9s", sp->what);
		snprintf(after, sizeof(after), "%s free of %s", free_s, total_s);
		tui_add_bar(t, -1, label, sp->total ? 1.0 - (double)sp->free / (double)sp->total : 0, after);
		if (sp->needed)
			tui_add(t, -1, sp->free < sp->needed ? TUI_ATTR_ERROR : TUI_ATTR_DIM, "          a new image needs %s%s",
				need_s, sp->free < sp->needed ? ": NOT ENOUGH" : "");
	}
	if (c->selinux)
		tui_add(t, -1, c->selinux_wrong ? TUI_ATTR_WARNING : 0, "SELinux %s: %u files checked, %u wrongly labelled",
			c->selinux, c->selinux_checked, c->selinux_wrong);
	else
		tui_add(t, -1, 0, "SELinux: not configured");
	tui_add(t, -1, 0, "Kernels:");
	for (size_t i = 0; i < c->n_kernels; i++) {
		const struct rsc_kernel_check *k = &c->kernels[i];
		bool ok = k->has_image && k->has_modules && k->has_initramfs && k->initramfs_ok;
		tui_add(t, -1, ok ? TUI_ATTR_GOOD : TUI_ATTR_ERROR, "  %s %s: image %s, modules %s, initramfs %s%s", ok ? "ok " : "BAD",
			k->version, k->has_image ? "yes" : "NO", k->has_modules ? "yes" : "NO",
			!k->has_initramfs ? "NONE" : k->initramfs_ok ? "mounts this root" : "CANNOT mount this root",
			k->missing && k->missing[0] ? ":" : "");
		STRV_FOREACH(m, k->missing)
			tui_add(t, -1, 0, "        %s", *m);
	}
	tui_add(t, -1, c->entries_broken ? TUI_ATTR_ERROR : 0, "Boot entries: %u, %u naming missing files", c->entries,
		c->entries_broken);
	tui_add(t, 0, 0, "Continue: the diagnosis");
}

static int activate_next(struct tui *t, int item) {
	if (t->screen + 1 < _SCREEN_MAX)
		t->screen++;
	return KEY_REDRAW;
}

static enum rsc_phase_state state_checks(struct tui *t) {
	return phase(t, RSC_PHASE_CHECK);
}

/* ---- 6. Diagnosis ---- */

static int severity_attr(enum rsc_severity s) {
	return s == RSC_SEVERITY_ERROR ? TUI_ATTR_ERROR : s == RSC_SEVERITY_WARNING ? TUI_ATTR_WARNING : 0;
}

static void add_findings(struct tui *t, const struct rsc_diagnosis *d, bool items) {
	/* Errors first, then warnings, then information. */
	int item = 0;
	for (int sev = RSC_SEVERITY_ERROR; sev >= RSC_SEVERITY_INFO; sev--)
		for (size_t i = 0; i < d->n_findings; i++) {
			const struct rsc_finding *f = &d->findings[i];
			if ((int)f->severity != sev)
				continue;
			int it = items ? item : -1;
			char title[1024];
			snprintf(title, sizeof(title), "%-7s %s: %s",
				 sev == RSC_SEVERITY_ERROR ? "ERROR" : sev == RSC_SEVERITY_WARNING ? "WARNING" : "INFO",
				 strna(f->subject), f->code);
			tui_add_wrapped(t, it, severity_attr(f->severity), 8, title);
			if (items && item == t->focus[t->screen]) {
				tui_add(t, it, 0, "    %s", strna(f->explanation));
				tui_add(t, it, TUI_ATTR_DIM, "    evidence: %s", strna(f->evidence));
				tui_add(t, it, TUI_ATTR_COMMAND, "    fix: %s", strna(f->fix));
			}
			item++;
		}
}

static void build_diagnosis(struct tui *t) {
	tui_add(t, -1, TUI_ATTR_TITLE, "Diagnosis");
	const struct rsc_diagnosis *d = rsc_session_get_diagnosis(S(t));
	if (!d) {
		tui_add(t, -1, 0, "Not run yet: mount the system first (step 4).");
		return;
	}
	tui_add(t, -1, 0, "%s: %u error(s), %u warning(s). Up/Down shows each one's explanation, evidence and fix.",
		strna(d->system), d->errors, d->warnings);
	add_findings(t, d, true);
	tui_add(t, (int)d->n_findings, 0, "Continue: the plan");
}

static int activate_diagnosis(struct tui *t, int item) {
	/* Enter on a finding goes on as well: the finding is already shown
	 * whole, and a key that does nothing leaves a newcomer stuck. */
	return activate_next(t, item);
}

static enum rsc_phase_state state_diagnosis(struct tui *t) {
	return phase(t, RSC_PHASE_DIAGNOSE);
}

/* ---- 7. Plan ---- */

static void build_plan(struct tui *t) {
	tui_add(t, -1, TUI_ATTR_TITLE, "Plan");
	const struct rsc_plan *p = rsc_session_get_plan(S(t));
	if (!p) {
		tui_add(t, -1, 0, "Not made yet: it follows the diagnosis.");
		return;
	}
	if (p->n_actions == 0)
		tui_add(t, -1, 0, "Nothing to repair that rescue can repair.");
	else
		tui_add(t, -1, 0, "%zu step(s). Nothing is written before you choose Apply and say yes.", p->n_actions);
	for (size_t i = 0; i < p->n_actions; i++) {
		const struct rsc_action *a = &p->actions[i];
		char title[1024];
		snprintf(title, sizeof(title), "%zu. %s%s%s", i + 1, a->title, a->status != RSC_ACTION_PLANNED ? ": " : "",
			 a->status != RSC_ACTION_PLANNED ? rsc_action_status_to_string(a->status) : "");
		tui_add_wrapped(t, (int)i, 0, 3, title);
		if ((int)i != t->focus[t->screen])
			continue;
		tui_add(t, (int)i, 0, "   why: %s", strna(a->why));
		if (a->argv) {
			_cleanup_free_ char *cmd = strv_join(a->argv, " ");
			tui_add(t, (int)i, TUI_ATTR_COMMAND, "   runs: %s", strna(cmd));
		}
		if (a->files) {
			_cleanup_free_ char *files = strv_join(a->files, ", ");
			tui_add(t, (int)i, TUI_ATTR_DIM, "   changes: %s", strna(files));
		}
	}
	STRV_FOREACH(u, p->unfixed)
		tui_add(t, -1, TUI_ATTR_WARNING, "Needs a person: %s", *u);
	int n = (int)p->n_actions;
	if (p->n_actions && phase(t, RSC_PHASE_APPLY) == RSC_PHASE_TODO)
		tui_add(t, n, TUI_ATTR_TITLE, "Apply this plan (asks once more; a is the same)");
	else
		tui_add(t, n, 0, "Continue: the result");
}

static int activate_plan(struct tui *t, int item) {
	const struct rsc_plan *p = rsc_session_get_plan(S(t));
	if (!p)
		return KEY_HANDLED;
	/* Enter on a step does what the last line offers (applying asks
	 * once more, so it is no trap): a key that does nothing leaves a
	 * newcomer stuck. */
	if (p->n_actions && phase(t, RSC_PHASE_APPLY) == RSC_PHASE_TODO)
		return tui_do_apply(t);
	t->screen = SCREEN_RESULT;
	return KEY_REDRAW;
}

static enum rsc_phase_state state_plan(struct tui *t) {
	enum rsc_phase_state st = phase(t, RSC_PHASE_PLAN);
	const struct rsc_plan *p = rsc_session_get_plan(S(t));
	if (st == RSC_PHASE_DONE && p && p->n_actions && phase(t, RSC_PHASE_APPLY) == RSC_PHASE_TODO)
		return RSC_PHASE_NEEDS_YOU;
	return st;
}

int tui_do_apply(struct tui *t) {
	const struct rsc_plan *p = rsc_session_get_plan(S(t));
	if (!p || p->n_actions == 0) {
		tui_notice(t, "There is no plan to apply.");
		return KEY_REDRAW;
	}
	int r = tui_start_job(t, JOB_APPLY);
	if (r < 0) {
		error_notice(t, "Cannot start", r);
		return KEY_REDRAW;
	}
	t->screen = SCREEN_APPLY;
	return KEY_REDRAW;
}

/* ---- 8. Apply ---- */

static void build_apply(struct tui *t) {
	tui_add(t, -1, TUI_ATTR_TITLE, "Apply");
	/* Before the model's lock: phase() takes that lock itself (a job that
	 * ended without progress, as a declined plan does, drawn before the
	 * loop saw it end, used to hang the wizard here). */
	enum rsc_phase_state applied = phase(t, RSC_PHASE_APPLY);
	pthread_mutex_lock(&t->m.lock);
	bool running = t->m.job == JOB_APPLY || t->m.job == JOB_UNDO;
	if (t->m.have_progress) {
		if (t->m.progress_steps)
			tui_add(t, -1, 0, "%s: step %u of %u, %.0f s", rsc_phase_to_string(t->m.progress_phase), t->m.progress_step,
				t->m.progress_steps, t->m.progress_elapsed);
		else
			tui_add(t, -1, 0, "%s: %.0f s", rsc_phase_to_string(t->m.progress_phase), t->m.progress_elapsed);
		tui_add(t, -1, 0, "%s", t->m.progress_what);
		if (t->m.progress_fraction >= 0)
			tui_add_bar(t, -1, "", t->m.progress_fraction, NULL);
	} else if (!running)
		tui_add(t, -1, 0, applied == RSC_PHASE_TODO ? "Nothing applied yet: choose Apply on the Plan step." : "Finished.");
	/* The command's own output: the last lines that fit. */
	int room = t->rows - 12;
	if (room < 2)
		room = 2;
	size_t n = t->m.n_output < (size_t)room ? t->m.n_output : (size_t)room;
	if (n)
		tui_add(t, -1, TUI_ATTR_DIM, "Output:");
	for (size_t i = 0; i < n; i++) {
		size_t idx = (t->m.output_next + TUI_OUTPUT_LINES - n + i) % TUI_OUTPUT_LINES;
		char buf[512];
		snprintf(buf, sizeof(buf), "  %s", strempty(t->m.output[idx]));
		/* One line each: a long line is cut, not wrapped, so the pane
		 * scrolls by whole lines. */
		buf[t->width > 0 && t->width < (int)sizeof(buf) ? t->width : (int)sizeof(buf) - 1] = 0;
		tui_add(t, -1, 0, "%s", buf);
	}
	pthread_mutex_unlock(&t->m.lock);
	if (running)
		tui_add(t, 0, TUI_ATTR_WARNING, "Working. c cancels it and rolls the running step back.");
	else if (phase(t, RSC_PHASE_APPLY) != RSC_PHASE_TODO)
		tui_add(t, 0, 0, "Continue: the result");
}

static int activate_apply(struct tui *t, int item) {
	if (tui_busy(t)) {
		/* Enter is what a person presses to go on: it must not stop a
		 * repair. Cancelling takes its own key. */
		tui_notice(t, "The repair is running; it goes on by itself. c cancels it (what it did is rolled back).");
		return KEY_REDRAW;
	}
	t->screen = SCREEN_RESULT;
	return KEY_REDRAW;
}

static enum rsc_phase_state state_apply(struct tui *t) {
	enum rsc_phase_state st = phase(t, RSC_PHASE_APPLY);
	const struct rsc_plan *p = rsc_session_get_plan(S(t));
	if (st == RSC_PHASE_TODO && p && p->n_actions == 0)
		return RSC_PHASE_NOT_NEEDED;
	return st;
}

/* A screen that shows what the session holds, while the worker changes
 * it: what is running, and that the screen comes back when it is done. */
void tui_build_busy(struct tui *t) {
	tui_add(t, -1, TUI_ATTR_TITLE, "%s", tui_screens[t->screen].title);
	pthread_mutex_lock(&t->m.lock);
	enum tui_job job = t->m.job;
	tui_add(t, -1, 0, "Working: %s ...", tui_job_name(job));
	if (t->m.have_progress && t->m.progress_what[0])
		tui_add(t, -1, TUI_ATTR_DIM, "%s", t->m.progress_what);
	pthread_mutex_unlock(&t->m.lock);
	tui_add(t, -1, 0, "%s", "");
	tui_add(t, -1, 0, "This step shows again when that is done. c cancels the running work; what it did is rolled back.");
}

/* ---- 9. Result ---- */

enum { RESULT_UNDO, RESULT_REPORT, RESULT_TRANSCRIPT, RESULT_SHELL, RESULT_REBOOT, RESULT_POWEROFF, RESULT_QUIT };

static void build_result(struct tui *t) {
	tui_add(t, -1, TUI_ATTR_TITLE, "Result");
	enum rsc_outcome o = rsc_session_get_outcome(S(t));
	const struct rsc_diagnosis *before = rsc_session_get_diagnosis(S(t)), *after = rsc_session_get_verified(S(t));
	tui_add(t, -1, o == RSC_OUTCOME_REPAIRED ? TUI_ATTR_GOOD : o == RSC_OUTCOME_NONE ? 0 : TUI_ATTR_WARNING,
		"Outcome: %s", o == RSC_OUTCOME_NONE ? "not finished" : rsc_outcome_to_string(o));
	if (before)
		tui_add(t, -1, 0, "Before: %u error(s), %u warning(s)", before->errors, before->warnings);
	if (after) {
		tui_add(t, -1, after->errors ? TUI_ATTR_ERROR : TUI_ATTR_GOOD, "After:  %u error(s), %u warning(s) (the verifier's verdict)",
			after->errors, after->warnings);
		add_findings(t, after, false);
	}
	const struct rsc_plan *p = rsc_session_get_plan(S(t));
	if (p && p->journal)
		tui_add(t, -1, 0, "Journal of the changes: %s", p->journal);
	for (size_t i = 0; p && i < p->n_actions && phase(t, RSC_PHASE_APPLY) != RSC_PHASE_TODO; i++)
		tui_add(t, -1, p->actions[i].status == RSC_ACTION_FAILED ? TUI_ATTR_ERROR : 0, "  %zu. %s: %s%s%s", i + 1,
			p->actions[i].title, rsc_action_status_to_string(p->actions[i].status), p->actions[i].result ? ", " : "",
			strempty(p->actions[i].result));
	STRV_FOREACH(f, p ? p->follow_up : NULL)
		tui_add(t, -1, 0, "Next, on the running system: %s", *f);
	if (after && !after->errors && p && p->n_actions && phase(t, RSC_PHASE_APPLY) == RSC_PHASE_DONE)
		tui_add(t, -1, TUI_ATTR_GOOD, "Next: restart (R) and remove the rescue stick while the computer starts.");
	tui_add(t, -1, 0, "%s", "");
	tui_add(t, RESULT_UNDO, 0, "Undo the repair (u)");
	tui_add(t, RESULT_REPORT, 0, "Save the report (s)");
	tui_add(t, RESULT_TRANSCRIPT, 0, "Save the session as a shell transcript (w)");
	tui_add(t, RESULT_SHELL, 0, "Shell in the mounted system (!)");
	tui_add(t, RESULT_REBOOT, 0, "Unmount everything and restart (R)");
	tui_add(t, RESULT_POWEROFF, 0, "Unmount everything and power off (P)");
	tui_add(t, RESULT_QUIT, 0, "Unmount everything and quit (q)");
}

static int activate_result(struct tui *t, int item) {
	switch (item) {
	case RESULT_UNDO:
		return tui_do_undo(t);
	case RESULT_REPORT:
		return tui_do_save(t, INPUT_REPORT);
	case RESULT_TRANSCRIPT:
		return tui_do_save(t, INPUT_TRANSCRIPT);
	case RESULT_SHELL:
		return tui_do_shell(t);
	case RESULT_REBOOT:
		return tui_do_power(t, CONFIRM_REBOOT);
	case RESULT_POWEROFF:
		return tui_do_power(t, CONFIRM_POWEROFF);
	default:
		t->overlay = OVERLAY_CONFIRM;
		t->confirm_purpose = CONFIRM_QUIT;
		return KEY_REDRAW;
	}
}

static enum rsc_phase_state state_result(struct tui *t) {
	return phase(t, RSC_PHASE_VERIFY);
}

int tui_do_undo(struct tui *t) {
	if (!mounted(t)) {
		tui_notice(t, "Mount the system first: the journal is kept on it.");
		return KEY_REDRAW;
	}
	t->overlay = OVERLAY_CONFIRM;
	t->confirm_purpose = CONFIRM_UNDO;
	return KEY_REDRAW;
}

/* Reports go to the medium's report partition when it is mounted, else
 * to root's home; the person can type any other path. On the medium
 * $RESCUE_REPORT_DIR is a link init points at the RESCUE partition's
 * reports/ (or at RAM) once it has found it, after the wizard started: the
 * place it leads to is what the person sees. */
static char *report_dir(void) {
	const char *d = getenv("RESCUE_REPORT_DIR");
	struct stat st;
	if (d && *d) {
		char *real = realpath(d, NULL);
		return real ? real : strdup(d);
	}
	if (stat("/run/rescue/reports", &st) == 0 && S_ISDIR(st.st_mode))
		return strdup("/run/rescue/reports");
	return strdup("/root");
}

int tui_do_save(struct tui *t, enum tui_input_purpose what) {
	const struct rsc_system *s = rsc_session_get_system(S(t));
	_cleanup_free_ char *dir = report_dir();
	t->overlay = OVERLAY_INPUT;
	t->input_purpose = what;
	snprintf(t->input, sizeof(t->input), "%s/rescue-%s.%s", dir ? dir : "/root", s ? s->id : "session",
		 what == INPUT_REPORT ? "json" : "sh");
	t->input_len = strlen(t->input);
	return KEY_REDRAW;
}

void tui_input_done(struct tui *t) {
	int r;
	t->overlay = OVERLAY_NONE;
	switch (t->input_purpose) {
	case INPUT_REPORT:
		r = rsc_session_write_report(S(t), t->input);
		if (r < 0)
			error_notice(t, "The report was not saved", r);
		else
			tui_notice(t, "Report saved to %s.", t->input);
		break;
	case INPUT_TRANSCRIPT:
		r = tui_write_transcript(t, t->input);
		if (r < 0)
			error_notice(t, "The transcript was not saved", r);
		else
			tui_notice(t, "Transcript saved to %s.", t->input);
		break;
	case INPUT_KEY_FILE:
		snprintf(t->key_file_path, sizeof(t->key_file_path), "%s", t->input);
		pthread_mutex_lock(&t->m.lock);
		if (t->m.question) {
			t->m.question->key_file = t->key_file_path;
			if (t->m.question->secret) {
				explicit_bzero(t->m.question->secret, t->m.question->secret_size);
				t->m.question->secret_len = 0;
			}
		}
		pthread_mutex_unlock(&t->m.lock);
		tui_answer(t, RSC_ANSWER_KEY_FILE);
		break;
	}
}

int tui_do_shell(struct tui *t) {
	const char *target = rsc_session_get_target(S(t));
	if (!target || !mounted(t)) {
		tui_notice(t, "No system is mounted.");
		return KEY_REDRAW;
	}
	if (t->headless || tui_busy(t)) {
		tui_notice(t, t->headless ? "No shell in a scripted run." : "Wait for the running work to end.");
		return KEY_REDRAW;
	}
	def_prog_mode();
	endwin();
	printf("\nA shell inside %s, mounted at %s. 'exit' returns to the wizard.\n\n",
	       rsc_session_get_system(S(t)) ? rsc_session_get_system(S(t))->id : "the system", target);
	fflush(stdout);
	char *argv[] = { (char *)"/bin/sh", (char *)"-l", NULL };
	int r = rsc_chroot_run(t->ctx, target, argv);
	reset_prog_mode();
	clearok(curscr, TRUE);
	refresh();
	if (r < 0)
		error_notice(t, "The shell did not start", r);
	return KEY_REDRAW;
}

int tui_do_power(struct tui *t, enum tui_confirm_purpose what) {
	t->overlay = OVERLAY_CONFIRM;
	t->confirm_purpose = what;
	return KEY_REDRAW;
}

void tui_confirm_done(struct tui *t) {
	t->overlay = OVERLAY_NONE;
	switch (t->confirm_purpose) {
	case CONFIRM_UNDO: {
		int r = tui_start_job(t, JOB_UNDO);
		if (r < 0)
			error_notice(t, "Cannot start", r);
		else
			t->screen = SCREEN_APPLY;
		break;
	}
	case CONFIRM_REBOOT:
	case CONFIRM_POWEROFF:
		t->power = (int)t->confirm_purpose;
		__attribute__((fallthrough));
	case CONFIRM_QUIT:
		if (tui_busy(t))
			tui_cancel_work(t);
		t->quit_requested_flag = true;
		tui_notice(t, "Releasing everything ...");
		break;
	}
}

void tui_choose_done(struct tui *t) {
	t->overlay = OVERLAY_NONE;
	if (t->choose_purpose == CHOOSE_KEYMAP && t->choices && t->choice >= 0 && t->choices[t->choice]) {
		int r = tui_set_keymap(t, t->choices[t->choice]);
		if (r < 0)
			error_notice(t, "The layout was not loaded", r);
	}
}

/* ---- what a finished job means for the screens ---- */

static void job_outcome(struct tui *t, enum tui_job job, int r) {
	if (r == -ECANCELED) {
		tui_notice(t, "Cancelled; what the step did was undone.");
		if (job == JOB_APPLY)
			t->screen = SCREEN_RESULT;
		return;
	}
	switch (job) {
	case JOB_DISCOVER:
		if (r < 0)
			error_notice(t, "The disks could not be examined", r);
		break;
	case JOB_UNLOCK:
		if (r < 0) {
			error_notice(t, "Not unlocked", r);
			break;
		}
		tui_notice(t, "Unlocked.");
		{
			const struct rsc_scan *scan = rsc_session_get_scan(S(t));
			t->screen = scan && scan->n_systems > 1 && !t->chosen ? SCREEN_SYSTEMS : SCREEN_MOUNT;
		}
		break;
	case JOB_MOUNT:
		if (r < 0) {
			error_notice(t, "Stopped", r);
			break;
		}
		t->screen = SCREEN_CHECKS;
		t->focus[SCREEN_CHECKS] = 0;
		break;
	case JOB_APPLY:
		if (phase(t, RSC_PHASE_APPLY) == RSC_PHASE_NEEDS_YOU) {
			tui_notice(t, "Not applied: nothing was written.");
			t->screen = SCREEN_PLAN;
			return;
		}
		if (r < 0)
			error_notice(t, "The repair did not complete", r);
		else
			tui_notice(t, "Repair applied and verified.");
		t->screen = SCREEN_RESULT;
		break;
	case JOB_UNDO:
		if (r < 0)
			error_notice(t, "Nothing was undone", r);
		else
			tui_notice(t, "%d change(s) put back.", r);
		t->screen = SCREEN_RESULT;
		break;
	case JOB_SAMPLE_QUESTION:
		tui_notice(t, "Sample question: %s.", t->m.sample_result);
		break;
	case JOB_TEARDOWN:
	case JOB_NONE:
		break;
	}
}

void tui_job_finished(struct tui *t, enum tui_job job, int r) {
	job_outcome(t, job, r);
	/* A job that succeeded overcame what it warned about on the way (a
	 * mistyped passphrase): its own notice says how it ended. A failure's
	 * last message is its reason, kept on the screen the job ended on
	 * until the person moves on. */
	if (r >= 0)
		tui_clear_info(t);
	else
		t->info_screen = t->screen;
}

const struct tui_screen_info tui_screens[_SCREEN_MAX] = {
	{ SCREEN_WELCOME, "Welcome", -1, build_welcome, activate_welcome, state_welcome, true },
	{ SCREEN_SYSTEMS, "Systems found", RSC_PHASE_DISCOVER, build_systems, activate_systems, state_systems, false },
	{ SCREEN_UNLOCK, "Unlock", RSC_PHASE_UNLOCK, build_unlock, activate_unlock, state_unlock, false },
	{ SCREEN_MOUNT, "Mount", RSC_PHASE_MOUNT, build_mount, activate_mount, state_mount, false },
	{ SCREEN_CHECKS, "Checks", RSC_PHASE_CHECK, build_checks, activate_next, state_checks, false },
	{ SCREEN_DIAGNOSIS, "Diagnosis", RSC_PHASE_DIAGNOSE, build_diagnosis, activate_diagnosis, state_diagnosis, false },
	{ SCREEN_PLAN, "Plan", RSC_PHASE_PLAN, build_plan, activate_plan, state_plan, false },
	{ SCREEN_APPLY, "Apply", RSC_PHASE_APPLY, build_apply, activate_apply, state_apply, true },
	{ SCREEN_RESULT, "Result", RSC_PHASE_VERIFY, build_result, activate_result, state_result, false },
};
