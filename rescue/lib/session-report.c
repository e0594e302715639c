/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * What a session tells people: the report (one builder for every
 * front-end, schema rescue-report/2, docs/report-json.md) and, for
 * teaching, the commands a person would type for each phase and why.
 */
#include <fcntl.h>
#include <limits.h>
#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "fileio.h"
#include "internal.h"
#include "rescue/session.h"
#include "session-internal.h"
#include "strv.h"

#define REPORT_SCHEMA "rescue-report/2"

static json_object *jstr(const char *s) {
	return s ? json_object_new_string(s) : NULL;
}

/* In plain words, why the pipeline stopped, from the phase and the error. */
static char *failure_text(const rsc_session *s, enum rsc_phase phase, int error) {
	char *t = NULL;
	const char *what = NULL;
	if (error == -ECANCELED)
		what = "cancelled: interrupted by a signal; the step running was rolled back and everything released";
	else if (phase == RSC_PHASE_UNLOCK && (error == -EPERM || error == -ENOKEY))
		what = "not unlocked: the key or passphrase opens no volume";
	else if (error == -RSC_ERR_NO_SYSTEM)
		what = "no installed system found";
	else if (error == -RSC_ERR_AMBIGUOUS)
		what = "several systems found and none chosen";
	else if (error == -ENOTSUP)
		what = "this kernel has no device-mapper";
	else if (error == -EUCLEAN)
		what = "a filesystem needs fsck first";
	if (what)
		return strdup(what);
	if (asprintf(&t, "%s failed: %s", rsc_phase_to_string(phase), rsc_strerror(error)) < 0)
		return NULL;
	return t;
}

/* Is this the command (or contains the command) of a step that failed?
 * A report never offers as the next step what just failed. */
static const struct rsc_action *failed_with(const struct rsc_plan *p, const char *text) {
	for (size_t i = 0; p && i < p->n_actions; i++) {
		const struct rsc_action *a = &p->actions[i];
		if (a->status != RSC_ACTION_FAILED || !a->argv)
			continue;
		_cleanup_free_ char *cmd = strv_join(a->argv, " ");
		if (cmd && strstr(text, cmd))
			return a;
	}
	return NULL;
}

static void add_next(json_object *next, const struct rsc_plan *p, const char *text) {
	const struct rsc_action *a = failed_with(p, text);
	if (!a) {
		json_object_array_add(next, json_object_new_string(text));
		return;
	}
	_cleanup_free_ char *t = NULL;
	if (asprintf(&t, "'%s' was tried and failed (%s); read its output in the journal's log, then correct what "
		     "it names before running it again", a->title, a->result ? a->result : "see the log") >= 0 &&
	    !strv_contains(NULL, t))
		json_object_array_add(next, json_object_new_string(t));
}

static json_object *checks_json(const struct rsc_checks *c) {
	json_object *o = json_object_new_object(), *sp = json_object_new_array(), *ks = json_object_new_array();
	for (size_t i = 0; i < c->n_space; i++) {
		json_object *j = json_object_new_object();
		json_object_object_add(j, "what", jstr(c->space[i].what));
		json_object_object_add(j, "total", json_object_new_int64((int64_t)c->space[i].total));
		json_object_object_add(j, "free", json_object_new_int64((int64_t)c->space[i].free));
		json_object_object_add(j, "needed", json_object_new_int64((int64_t)c->space[i].needed));
		json_object_array_add(sp, j);
	}
	json_object_object_add(o, "space", sp);
	for (size_t i = 0; i < c->n_kernels; i++) {
		const struct rsc_kernel_check *k = &c->kernels[i];
		json_object *j = json_object_new_object(), *m = json_object_new_array();
		json_object_object_add(j, "version", jstr(k->version));
		json_object_object_add(j, "image", json_object_new_boolean(k->has_image));
		json_object_object_add(j, "modules", json_object_new_boolean(k->has_modules));
		json_object_object_add(j, "initramfs", json_object_new_boolean(k->has_initramfs));
		json_object_object_add(j, "initramfs_ok", json_object_new_boolean(k->initramfs_ok));
		STRV_FOREACH(x, k->missing)
			json_object_array_add(m, json_object_new_string(*x));
		json_object_object_add(j, "problems", m);
		json_object_array_add(ks, j);
	}
	json_object_object_add(o, "kernels", ks);
	json_object_object_add(o, "selinux", jstr(c->selinux));
	json_object_object_add(o, "selinux_checked", json_object_new_int((int)c->selinux_checked));
	json_object_object_add(o, "selinux_wrong", json_object_new_int((int)c->selinux_wrong));
	json_object_object_add(o, "entries", json_object_new_int((int)c->entries));
	json_object_object_add(o, "entries_broken", json_object_new_int((int)c->entries_broken));
	return o;
}

int rsc_session_report(const rsc_session *s, struct json_object **ret) {
	json_object *rep = json_object_new_object();
	if (!rep)
		return -ENOMEM;
	const struct rsc_system *y = rsc_session_get_system(s);
	const struct rsc_plan *plan = rsc_session_get_plan(s);
	const struct rsc_diagnosis *before = rsc_session_get_diagnosis(s), *after = rsc_session_get_verified(s);
	enum rsc_outcome outcome = rsc_session_get_outcome(s);
	int error = rsc_session_get_error(s);

	json_object_object_add(rep, "schema", json_object_new_string(REPORT_SCHEMA));
	json_object_object_add(rep, "version", json_object_new_string(RESCUE_VERSION));
	json_object_object_add(rep, "dry_run", json_object_new_boolean(s_dry_run(s)));
	json_object_object_add(rep, "system", jstr(y ? y->id : NULL));
	json_object_object_add(rep, "pretty_name", jstr(y ? y->pretty_name : NULL));
	json_object *phases = json_object_new_array();
	for (int p = 0; p < _RSC_PHASE_MAX; p++) {
		enum rsc_phase_state st = rsc_session_phase_state(s, (enum rsc_phase)p);
		if (st == RSC_PHASE_TODO)
			continue;
		json_object *j = json_object_new_object();
		json_object_object_add(j, "phase", json_object_new_string(rsc_phase_to_string((enum rsc_phase)p)));
		json_object_object_add(j, "state", json_object_new_string(rsc_phase_state_to_string(st)));
		json_object_object_add(j, "seconds", json_object_new_double(s_phase_seconds(s, (enum rsc_phase)p)));
		json_object_array_add(phases, j);
	}
	json_object_object_add(rep, "phases", phases);
	json_object_object_add(rep, "device_scans", json_object_new_int((int)rsc_session_get_scan_count(s)));
	json_object *j;
	const struct rsc_checks *c = rsc_session_get_checks(s);
	if (c)
		json_object_object_add(rep, "checks", checks_json(c));
	if (before && rsc_diagnosis_to_json(before, &j) >= 0)
		json_object_object_add(rep, "before", j);
	if (plan && rsc_plan_to_json(plan, &j) >= 0)
		json_object_object_add(rep, "plan", j);
	if (after && rsc_diagnosis_to_json(after, &j) >= 0)
		json_object_object_add(rep, "after", j);

	const char *outcome_text = rsc_outcome_to_string(outcome);
	_cleanup_free_ char *ft = NULL;
	if (outcome == RSC_OUTCOME_FAILED || outcome == RSC_OUTCOME_CANCELLED) {
		ft = failure_text(s, s_error_phase(s), error);
		if (ft)
			outcome_text = ft;
	}
	json_object_object_add(rep, "outcome", jstr(outcome_text));
	if (error) {
		json_object *e = json_object_new_object();
		json_object_object_add(e, "phase", jstr(rsc_phase_to_string(s_error_phase(s))));
		json_object_object_add(e, "errno", json_object_new_int(-error));
		json_object_object_add(e, "message", jstr(rsc_strerror(error)));
		json_object_object_add(rep, "error", e);
	}
	const char *undone_journal = NULL;
	int undone = rsc_session_get_undone(s, &undone_journal);
	if (undone_journal) {
		json_object *u = json_object_new_object();
		json_object_object_add(u, "journal", jstr(undone_journal));
		json_object_object_add(u, "changes", json_object_new_int(undone));
		json_object_object_add(rep, "undone", u);
	}
	const char *unfinished = NULL;
	int unfinished_undone = rsc_session_get_unfinished(s, &unfinished);
	if (unfinished) {
		json_object *u = json_object_new_object();
		json_object_object_add(u, "journal", jstr(unfinished));
		json_object_object_add(u, "undone", unfinished_undone >= 0 ? json_object_new_int(unfinished_undone) : NULL);
		json_object_object_add(rep, "unfinished_journal", u);
	}
	json_object_object_add(rep, "started", json_object_new_int64((int64_t)s_started(s)));
	json_object_object_add(rep, "seconds", json_object_new_int((int)(time(NULL) - s_started(s))));

	json_object *next = json_object_new_array();
	if (plan) {
		STRV_FOREACH(x, plan->unfixed)
			add_next(next, plan, *x);
		if (outcome == RSC_OUTCOME_REPAIRED)
			STRV_FOREACH(x, plan->follow_up)
				add_next(next, plan, *x);
	}
	for (size_t i = 0; after && i < after->n_findings; i++)
		if (after->findings[i].severity == RSC_SEVERITY_ERROR)
			add_next(next, plan, after->findings[i].fix);
	json_object_object_add(rep, "next_steps", next);
	*ret = rep;
	return 0;
}

int rsc_session_write_report(const rsc_session *s, const char *path) {
	json_object *rep = NULL;
	int r = rsc_session_report(s, &rep);
	if (r < 0)
		return r;
	/* Beside the destination, synced, then renamed: never half a report. */
	_cleanup_free_ char *tmp = NULL;
	if (asprintf(&tmp, "%s.tmp", path) < 0) {
		json_object_put(rep);
		return -ENOMEM;
	}
	const char *text = json_object_to_json_string_ext(rep, JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_NOSLASHESCAPE);
	int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	r = fd < 0 ? -errno : 0;
	size_t len = strlen(text);
	if (r >= 0 && (write(fd, text, len) != (ssize_t)len || write(fd, "\n", 1) != 1))
		r = -EIO;
	if (r >= 0 && fsync(fd) < 0)
		r = -errno;
	if (fd >= 0 && close(fd) < 0 && r >= 0)
		r = -errno;
	if (r >= 0 && rename(tmp, path) < 0)
		r = -errno;
	if (r >= 0) {
		/* The rename is on the disk only with its directory: a stick
		 * pulled, or a machine powered off, once the report was said to
		 * be saved must hold it under its name, not as the .tmp file. */
		_cleanup_free_ char *dir = strdup(path);
		char *slash = dir ? strrchr(dir, '/') : NULL;
		if (slash)
			*(slash == dir ? slash + 1 : slash) = 0;
		_cleanup_close_ int dfd = open(slash ? dir : ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		if (dfd < 0 || (fsync(dfd) < 0 && errno != EINVAL))
			r = -errno;
	}
	if (r < 0) {
		unlink(tmp);
		log_error_errno(s_ctx(s), r, "Cannot write the report %s: %m", path);
	}
	json_object_put(rep);
	return r;
}

/* ---- teaching ---- */

struct explain {
	FILE *cmd;
	const rsc_session *s;
	const char *root;
};

/* The device as a person names it on the command line: its node, or for a
 * partition of an image file the loop device they would attach. */
static const char *node_of(const struct rsc_scan *scan, int i) {
	static __thread char buf[PATH_MAX + 96];
	if (!scan || i < 0 || (size_t)i >= scan->n_devices)
		return "/dev/...";
	const struct rsc_device *d = &scan->devices[i];
	if (d->node)
		return d->node;
	if (!d->file)
		return d->name;
	snprintf(buf, sizeof(buf), "\"$(losetup -f --show -o %llu --sizelimit %llu %s)\"", (unsigned long long)d->offset,
		 (unsigned long long)d->size, d->file);
	return buf;
}

/* One why per phase: plain words, lines of at most 75 characters. */
static const char *const phase_why[_RSC_PHASE_MAX] = {
	[RSC_PHASE_DISCOVER] = "Find every disk, partition, encrypted volume, LVM volume and filesystem,\n"
			       "and the Linux systems installed on them. Nothing is written.",
	[RSC_PHASE_UNLOCK] = "An encrypted (LUKS) volume must be opened with its passphrase or key\n"
			     "before anything on it can be read or repaired.",
	[RSC_PHASE_ACTIVATE] = "LVM volume groups and RAID arrays must be started so that the volumes\n"
			       "holding the system appear as devices.",
	[RSC_PHASE_MOUNT] = "Mount the system as its own /etc/fstab says: read-only to look,\n"
			    "read-write only to repair, so nothing changes by accident.",
	[RSC_PHASE_CHECK] = "Look at what boot needs: free space in /boot, each kernel with its\n"
			    "modules and initramfs, the boot entries and the SELinux labels.",
	[RSC_PHASE_DIAGNOSE] = "Compare what the boot needs with what is there: each problem found comes\n"
			       "with its evidence, an explanation and the fix.",
	[RSC_PHASE_PLAN] = "Turn the findings into steps that run the system's own tools for its own\n"
			   "kernels; nothing is written yet.",
	[RSC_PHASE_APPLY] = "Run the steps inside the system (chroot), saving every file they replace\n"
			    "in a journal first, and check each new initramfs before keeping it.",
	[RSC_PHASE_VERIFY] = "Look again from scratch: the repair worked only if the problems are gone\n"
			     "and each rebuilt image can mount this root.",
	[RSC_PHASE_TEARDOWN] = "Unmount, deactivate and close everything in reverse order, so the machine\n"
			       "is left as it was found, ready to boot.",
};

static void explain_unlock(struct explain *e) {
	const struct rsc_scan *scan = rsc_session_get_scan(e->s);
	bool any = false;
	for (size_t i = 0; scan && i < scan->n_devices; i++)
		if (streq_ptr(scan->devices[i].type, "crypto_LUKS")) {
			fprintf(e->cmd, "cryptsetup open %s luks-%s\n", node_of(scan, (int)i), strna(scan->devices[i].uuid));
			any = true;
		}
	if (!any)
		fputs("lsblk -f    # no LUKS volume: nothing to unlock\n", e->cmd);
}

static void explain_activate(struct explain *e) {
	const struct rsc_scan *scan = rsc_session_get_scan(e->s);
	bool any = false;
	for (size_t i = 0; scan && i < scan->n_devices; i++)
		if (streq_ptr(scan->devices[i].type, "linux_raid_member")) {
			fputs("mdadm --assemble --scan\n", e->cmd);
			any = true;
			break;
		}
	for (size_t i = 0; scan && i < scan->n_vgs; i++) {
		fprintf(e->cmd, "vgchange -ay %s\n", scan->vgs[i].name);
		any = true;
	}
	if (!any)
		fputs("vgs; cat /proc/mdstat    # no volume group or array to start\n", e->cmd);
}

static void explain_mount(struct explain *e) {
	const struct rsc_system *y = rsc_session_get_system(e->s);
	const struct rsc_scan *scan = rsc_session_get_scan(e->s);
	if (!y) {
		fprintf(e->cmd, "mount -o ro /dev/ROOT %s\n", e->root);
		return;
	}
	const char *mode = s_read_write(e->s) ? "rw" : "ro";
	if (y->root_device >= 0)
		fprintf(e->cmd, "mount -o %s%s%s %s %s\n", mode, y->subvol ? ",subvol=" : "", y->subvol ? y->subvol : "",
			node_of(scan, y->root_device), e->root);
	else
		fprintf(e->cmd, "mount -o %s /dev/ROOT %s    # the root, as /etc/fstab names it\n", mode, e->root);
	for (size_t i = 0; i < y->n_fstab; i++) {
		const char *t = y->fstab[i].target;
		if (!streq(t, "/boot") && !streq(t, "/boot/efi") && !streq(t, "/efi") && !streq(t, "/usr"))
			continue;
		int dev = y->fstab_device ? y->fstab_device[i] : -1;
		fprintf(e->cmd, "mount -o %s %s %s%s\n", mode, dev >= 0 ? node_of(scan, dev) : y->fstab[i].spec, e->root, t);
	}
	fprintf(e->cmd, "cat %s/etc/fstab\n", e->root);
}

static void explain_check(struct explain *e) {
	const struct rsc_system *y = rsc_session_get_system(e->s);
	fprintf(e->cmd, "df -h %s/boot\n", e->root);
	for (size_t i = 0; y && i < y->n_kernels; i++) {
		const struct rsc_kernel *k = &y->kernels[i];
		fprintf(e->cmd, "ls -d %s/lib/modules/%s\n", e->root, k->version);
		if (k->initramfs)
			fprintf(e->cmd, "%s %s%s | grep -E 'crypt|lvm|ext4|xfs|btrfs'\n",
				streq_ptr(y->generator, "initramfs-tools") ? "lsinitramfs" : "lsinitrd", e->root, k->initramfs);
	}
	if (y && y->selinux && !streq(y->selinux, "disabled"))
		fprintf(e->cmd, "ls -Z %s/boot\n", e->root);
	if (y && y->grub_cfg)
		fprintf(e->cmd, "grep -E '^[[:space:]]*(linux|initrd)' %s%s\n", e->root, y->grub_cfg);
}

static void explain_diagnose(struct explain *e) {
	const struct rsc_diagnosis *d = rsc_session_get_diagnosis(e->s);
	explain_check(e);
	fprintf(e->cmd, "blkid    # the UUIDs that fstab, crypttab and the kernel line must name\n");
	for (size_t i = 0; d && i < d->n_findings; i++)
		fprintf(e->cmd, "# %s (%s): %s\n", d->findings[i].code, strna(d->findings[i].subject), d->findings[i].fix);
}

static void explain_plan(struct explain *e, bool apply) {
	const struct rsc_plan *p = rsc_session_get_plan(e->s);
	fprintf(e->cmd, "R=%s\n", e->root);
	if (apply)
		fputs("mount -o remount,rw \"$R\"    # and /boot, /boot/efi the same way\n"
		      "for d in proc sys dev dev/pts run; do mount --bind /$d \"$R/$d\"; done\n"
		      "J=\"$R/var/lib/rescue/journal/manual-$(date +%Y%m%d-%H%M%S)\"; mkdir -p \"$J\"\n", e->cmd);
	for (size_t i = 0; p && i < p->n_actions; i++) {
		_cleanup_free_ char *sh = rsc_action_shell(&p->actions[i]);
		fprintf(e->cmd, "# %zu. %s\n%s\n", i + 1, p->actions[i].title, strempty(sh));
	}
	if (!p)
		fputs("# the steps follow from the findings: each one's fix, with the system's own\n"
		      "# generator and boot tools for its own kernel versions\n", e->cmd);
	else if (!p->n_actions)
		fputs("# no step: nothing rescue can repair automatically\n", e->cmd);
}

static void explain_verify(struct explain *e) {
	const struct rsc_plan *p = rsc_session_get_plan(e->s);
	const struct rsc_system *y = rsc_session_get_system(e->s);
	for (size_t i = 0; p && i < p->n_actions; i++) {
		const struct rsc_action *a = &p->actions[i];
		if (a->kind == RSC_ACTION_REBUILD_INITRAMFS && a->files && a->files[0])
			fprintf(e->cmd, "%s %s%s | grep -E 'crypt|lvm'\n",
				y && streq_ptr(y->generator, "initramfs-tools") ? "lsinitramfs" : "lsinitrd", e->root,
				a->files[0]);
	}
	fprintf(e->cmd, "df -h %s/boot\n", e->root);
}

static void explain_teardown(struct explain *e) {
	const struct rsc_scan *scan = rsc_session_get_scan(e->s);
	fprintf(e->cmd, "umount -R %s\n", e->root);
	for (size_t i = 0; scan && i < scan->n_vgs; i++)
		fprintf(e->cmd, "vgchange -an %s\n", scan->vgs[i].name);
	for (size_t i = 0; scan && i < scan->n_devices; i++)
		if (streq_ptr(scan->devices[i].type, "crypto_LUKS"))
			fprintf(e->cmd, "cryptsetup close luks-%s\n", strna(scan->devices[i].uuid));
}

int rsc_session_explain_phase(const rsc_session *s, enum rsc_phase p, char **ret_commands, char **ret_why) {
	if ((unsigned)p >= _RSC_PHASE_MAX)
		return -EINVAL;
	char *buf = NULL;
	size_t len = 0;
	struct explain e = { .s = s, .root = s_mount_point(s) ? s_mount_point(s) : "/mnt/sysroot" };
	e.cmd = open_memstream(&buf, &len);
	if (!e.cmd)
		return -ENOMEM;
	switch (p) {
	case RSC_PHASE_DISCOVER:
		fputs("lsblk -o NAME,SIZE,FSTYPE,UUID,MOUNTPOINTS\nblkid\n", e.cmd);
		break;
	case RSC_PHASE_UNLOCK:
		explain_unlock(&e);
		break;
	case RSC_PHASE_ACTIVATE:
		explain_activate(&e);
		break;
	case RSC_PHASE_MOUNT:
		explain_mount(&e);
		break;
	case RSC_PHASE_CHECK:
		explain_check(&e);
		break;
	case RSC_PHASE_DIAGNOSE:
		explain_diagnose(&e);
		break;
	case RSC_PHASE_PLAN:
		explain_plan(&e, false);
		break;
	case RSC_PHASE_APPLY:
		explain_plan(&e, true);
		break;
	case RSC_PHASE_VERIFY:
		explain_verify(&e);
		break;
	case RSC_PHASE_TEARDOWN:
	case _RSC_PHASE_MAX:
		explain_teardown(&e);
		break;
	}
	if (fclose(e.cmd) != 0) {
		free(buf);
		return -ENOMEM;
	}
	char *why = strdup(phase_why[p]);
	if (!why) {
		free(buf);
		return -ENOMEM;
	}
	*ret_commands = buf;
	if (ret_why)
		*ret_why = why;
	else
		free(why);
	return 0;
}
