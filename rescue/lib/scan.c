/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The scan object: discovery, then identification, and helpers shared by both. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "scan-internal.h"
#include "strv.h"

int set_str(char **field, const char *value) {
	char *c = NULL;
	if (value && !(c = strdup(value)))
		return -ENOMEM;
	free(*field);
	*field = c;
	return 0;
}

int set_strf(char **field, const char *fmt, ...) {
	va_list ap;
	char *s;
	va_start(ap, fmt);
	int r = vasprintf(&s, fmt, ap);
	va_end(ap);
	if (r < 0)
		return -ENOMEM;
	free(*field);
	*field = s;
	return 0;
}

int scan_add_device(struct rsc_scan *scan, enum rsc_device_kind kind, int parent, const char *name) {
	struct rsc_device *m = realloc(scan->devices, (scan->n_devices + 1) * sizeof(*m));
	if (!m)
		return -ENOMEM;
	scan->devices = m;
	struct rsc_device *d = &m[scan->n_devices];
	*d = (struct rsc_device){ .kind = kind, .parent = parent };
	if (!(d->name = strdup(name)))
		return -ENOMEM;
	return (int)scan->n_devices++;
}

static void device_done(struct rsc_device *d) {
	free(d->name);
	free(d->node);
	free(d->file);
	free(d->part_uuid);
	free(d->part_type);
	free(d->part_name);
	free(d->part_type_name);
	free(d->table);
	free(d->type);
	free(d->usage);
	free(d->uuid);
	free(d->label);
	free(d->version);
	free(d->vg);
	free(d->state);
	free(d->error);
	free(d->mounted_at);
}

static void system_done(struct rsc_system *s) {
	free(s->id);
	free(s->root_dir);
	free(s->subvol);
	strv_free(s->os_release);
	free(s->pretty_name);
	free(s->os_id);
	free(s->os_id_like);
	free(s->version_id);
	free(s->profile);
	rsc_fstab_free(s->fstab, s->n_fstab);
	free(s->fstab_device);
	free(s->fstab_standin);
	rsc_crypttab_free(s->crypttab, s->n_crypttab);
	free(s->crypttab_device);
	for (size_t i = 0; i < s->n_kernels; i++) {
		free(s->kernels[i].version);
		free(s->kernels[i].image);
		free(s->kernels[i].initramfs);
	}
	free(s->kernels);
	free(s->bootloader);
	free(s->grub_cfg);
	free(s->esp_grub_cfg);
	free(s->esp_grub_cfg_kind);
	free(s->esp_stub_uuid);
	strv_free(s->default_grub);
	for (size_t i = 0; i < s->n_entries; i++) {
		free(s->entries[i].source);
		free(s->entries[i].title);
		free(s->entries[i].kernel);
		free(s->entries[i].initrd);
		free(s->entries[i].options);
	}
	free(s->entries);
	free(s->generator);
	free(s->selinux);
	free(s->selinux_type);
	free(s->keymap);
	strv_free(s->notes);
}

struct rsc_scan *rsc_scan_free(struct rsc_scan *scan) {
	if (!scan)
		return NULL;
	for (size_t i = 0; i < scan->n_devices; i++)
		device_done(&scan->devices[i]);
	free(scan->devices);
	for (size_t i = 0; i < scan->n_vgs; i++) {
		free(scan->vgs[i].name);
		free(scan->vgs[i].uuid);
		strv_free(scan->vgs[i].pvs);
		strv_free(scan->vgs[i].lvs);
	}
	free(scan->vgs);
	for (size_t i = 0; i < scan->n_systems; i++)
		system_done(&scan->systems[i]);
	free(scan->systems);
	free(scan);
	return NULL;
}

static const char *spec_value(const char *spec, const char *key) {
	size_t kl = strlen(key);
	if (strncasecmp(spec, key, kl) != 0 || spec[kl] != '=')
		return NULL;
	const char *v = spec + kl + 1;
	return v;
}

static bool str_eq_unquoted(const char *value, const char *want) {
	if (!want)
		return false;
	size_t l = strlen(value);
	if (l >= 2 && (value[0] == '"' || value[0] == '\'') && value[l - 1] == value[0])
		return strlen(want) == l - 2 && strncmp(value + 1, want, l - 2) == 0;
	return streq(value, want);
}

/* device-mapper names LVs VG-LV with dashes inside either doubled. */
void dm_lv_name(const char *vg, const char *lv, char *buf, size_t size) {
	size_t o = 0;
	for (const char *p = vg; *p && o + 3 < size; p++) {
		if (*p == '-')
			buf[o++] = '-';
		buf[o++] = *p;
	}
	if (o + 1 < size)
		buf[o++] = '-';
	for (const char *p = lv; *p && o + 2 < size; p++) {
		if (*p == '-')
			buf[o++] = '-';
		buf[o++] = *p;
	}
	buf[o < size ? o : size - 1] = 0;
}

int scan_find_device(const struct rsc_scan *scan, const char *spec) {
	const char *v;
	if (!spec)
		return -1;
	for (size_t i = 0; i < scan->n_devices; i++) {
		const struct rsc_device *d = &scan->devices[i];
		if ((v = spec_value(spec, "UUID")) && d->uuid && str_eq_unquoted(v, d->uuid))
			return (int)i;
		if ((v = spec_value(spec, "LABEL")) && str_eq_unquoted(v, d->label))
			return (int)i;
		if ((v = spec_value(spec, "PARTUUID")) && d->part_uuid && strcasecmp(v, d->part_uuid) == 0)
			return (int)i;
		if ((v = spec_value(spec, "PARTLABEL")) && str_eq_unquoted(v, d->part_name))
			return (int)i;
		if ((v = startswith(spec, "/dev/disk/by-uuid/")) && streq_ptr(v, d->uuid))
			return (int)i;
		if ((v = startswith(spec, "/dev/disk/by-label/")) && streq_ptr(v, d->label))
			return (int)i;
		if ((v = startswith(spec, "/dev/disk/by-partuuid/")) && d->part_uuid && strcasecmp(v, d->part_uuid) == 0)
			return (int)i;
		if (d->node && streq(spec, d->node))
			return (int)i;
		/* LVs as /dev/mapper/vg-lv or /dev/vg/lv, the names the
		 * target uses whether or not they are active here. */
		if (d->kind == RSC_DEVICE_LV && d->vg) {
			const char *lv = strchr(d->name, '/');
			lv = lv ? lv + 1 : d->name;
			char a[512], b[600];
			snprintf(a, sizeof(a), "/dev/%s/%s", d->vg, lv);
			char mapped[512];
			dm_lv_name(d->vg, lv, mapped, sizeof(mapped));
			snprintf(b, sizeof(b), "/dev/mapper/%s", mapped);
			if (streq(spec, a) || streq(spec, b))
				return (int)i;
		}
	}
	return -1;
}

int rsc_scan_run(rsc_context *ctx, const struct rsc_scan_options *opts, struct rsc_scan **ret) {
	struct rsc_scan *scan = calloc(1, sizeof(*scan));
	int r;
	if (!scan)
		return -ENOMEM;

	if (opts->root_dir)
		r = identify_directory(ctx, scan, opts->root_dir);
	else {
		if (opts->images && opts->images[0])
			r = probe_images(ctx, scan, opts->images);
		else
			r = probe_block_devices(ctx, scan, opts->sys_dir ? opts->sys_dir : "/sys");
		if (r >= 0 && !opts->no_identify)
			r = identify_devices(ctx, scan);
	}
	if (r < 0) {
		rsc_scan_free(scan);
		return r;
	}
	*ret = scan;
	return scan->n_systems > 0 ? 0 : 1;
}
