/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The scan as JSON (schema: docs/scan-json.md). */
#include <json-c/json.h>

#include "scan-internal.h"
#include "strv.h"

static const char *const kind_names[] = {
	[RSC_DEVICE_DISK] = "disk",   [RSC_DEVICE_IMAGE] = "image", [RSC_DEVICE_PARTITION] = "partition",
	[RSC_DEVICE_CRYPT] = "crypt", [RSC_DEVICE_LV] = "lv",       [RSC_DEVICE_MD] = "md",
	[RSC_DEVICE_OTHER] = "dm",
};

const char *rsc_device_kind_name(enum rsc_device_kind k) {
	return (size_t)k < ELEMENTSOF(kind_names) ? kind_names[k] : "unknown";
}

/* json-c reports allocation failure by returning NULL or -1; collect it
 * once instead of checking every call. */
struct jb {
	bool oom;
};

static void add(struct jb *b, json_object *o, const char *key, json_object *v) {
	if (!v && b) {
		/* NULL is how json-c spells null: only a failure if we asked for a value. */
	}
	if (json_object_object_add(o, key, v) < 0) {
		json_object_put(v);
		b->oom = true;
	}
}

static json_object *jstr(const char *s) {
	return s ? json_object_new_string(s) : NULL;
}

static json_object *jstrv(char *const *l) {
	json_object *a = json_object_new_array();
	STRV_FOREACH(s, l)
		json_object_array_add(a, json_object_new_string(*s));
	return a;
}

static json_object *jdev(const struct rsc_scan *scan, int idx) {
	return idx >= 0 ? json_object_new_string(scan->devices[idx].name) : NULL;
}

static json_object *device_json(struct jb *b, const struct rsc_scan *scan, const struct rsc_device *d) {
	json_object *o = json_object_new_object();
	add(b, o, "name", jstr(d->name));
	add(b, o, "kind", jstr(rsc_device_kind_name(d->kind)));
	add(b, o, "parent", jdev(scan, d->parent));
	add(b, o, "node", jstr(d->node));
	add(b, o, "size", json_object_new_uint64(d->size));
	if (d->kind == RSC_DEVICE_PARTITION) {
		add(b, o, "partno", json_object_new_int(d->partno));
		add(b, o, "partuuid", jstr(d->part_uuid));
		add(b, o, "parttype", jstr(d->part_type));
		add(b, o, "parttype_name", jstr(d->part_type_name));
		add(b, o, "partlabel", jstr(d->part_name));
	}
	if (d->offset || !d->node)
		add(b, o, "offset", json_object_new_uint64(d->offset));
	add(b, o, "table", jstr(d->table));
	add(b, o, "type", jstr(d->type));
	add(b, o, "usage", jstr(d->usage));
	add(b, o, "uuid", jstr(d->uuid));
	add(b, o, "label", jstr(d->label));
	add(b, o, "version", jstr(d->version));
	add(b, o, "vg", jstr(d->vg));
	add(b, o, "state", jstr(d->state));
	if (d->status != RSC_DEVICE_STATE_NONE)
		add(b, o, "status", json_object_new_string(rsc_device_state_to_string(d->status)));
	add(b, o, "error", jstr(d->error));
	return o;
}

static json_object *system_json(struct jb *b, const struct rsc_scan *scan, const struct rsc_system *s) {
	json_object *o = json_object_new_object();
	add(b, o, "id", jstr(s->id));
	add(b, o, "root_device", jdev(scan, s->root_device));
	add(b, o, "root_dir", jstr(s->root_dir));
	add(b, o, "subvol", jstr(s->subvol));

	json_object *os = json_object_new_object();
	static const char *const keys[] = { "NAME", "PRETTY_NAME", "ID", "ID_LIKE", "VERSION_ID", "VERSION" };
	for (size_t i = 0; i < ELEMENTSOF(keys); i++)
		add(b, os, keys[i], jstr(rsc_env_get(s->os_release, keys[i])));
	add(b, o, "os_release", os);
	add(b, o, "profile", jstr(s->profile));

	json_object *fstab = json_object_new_array();
	for (size_t i = 0; i < s->n_fstab; i++) {
		json_object *e = json_object_new_object();
		add(b, e, "spec", jstr(s->fstab[i].spec));
		add(b, e, "target", jstr(s->fstab[i].target));
		add(b, e, "fstype", jstr(s->fstab[i].fstype));
		add(b, e, "options", jstr(s->fstab[i].options));
		add(b, e, "device", jdev(scan, s->fstab_device[i]));
		json_object_array_add(fstab, e);
	}
	add(b, o, "fstab", fstab);

	json_object *ct = json_object_new_array();
	for (size_t i = 0; i < s->n_crypttab; i++) {
		json_object *e = json_object_new_object();
		add(b, e, "name", jstr(s->crypttab[i].name));
		add(b, e, "device_spec", jstr(s->crypttab[i].device));
		add(b, e, "keyfile", jstr(s->crypttab[i].keyfile));
		add(b, e, "options", jstr(s->crypttab[i].options));
		add(b, e, "device", jdev(scan, s->crypttab_device[i]));
		json_object_array_add(ct, e);
	}
	add(b, o, "crypttab", ct);
	add(b, o, "boot_device", jdev(scan, s->boot_device));
	add(b, o, "esp_device", jdev(scan, s->esp_device));

	json_object *ks = json_object_new_array();
	for (size_t i = 0; i < s->n_kernels; i++) {
		const struct rsc_kernel *k = &s->kernels[i];
		json_object *e = json_object_new_object();
		add(b, e, "version", jstr(k->version));
		add(b, e, "image", jstr(k->image));
		add(b, e, "image_size", k->image ? json_object_new_uint64(k->image_size) : NULL);
		add(b, e, "initramfs", jstr(k->initramfs));
		add(b, e, "initramfs_size", k->initramfs ? json_object_new_uint64(k->initramfs_size) : NULL);
		add(b, e, "modules", json_object_new_boolean(k->has_modules));
		add(b, e, "config", json_object_new_boolean(k->has_config));
		json_object_array_add(ks, e);
	}
	add(b, o, "kernels", ks);

	json_object *bl = json_object_new_object();
	add(b, bl, "type", jstr(s->bootloader));
	add(b, bl, "grub_cfg", jstr(s->grub_cfg));
	add(b, bl, "esp_grub_cfg", jstr(s->esp_grub_cfg));
	add(b, bl, "esp_grub_cfg_kind", jstr(s->esp_grub_cfg_kind));
	add(b, bl, "esp_stub_uuid", jstr(s->esp_stub_uuid));
	add(b, bl, "bls", json_object_new_boolean(s->bls));
	json_object *dg = json_object_new_object();
	STRV_FOREACH(kv, s->default_grub) {
		const char *eq = strchr(*kv, '=');
		char key[256];
		snprintf(key, sizeof(key), "%.*s", (int)(eq - *kv), *kv);
		add(b, dg, key, jstr(eq + 1));
	}
	add(b, bl, "default_grub", dg);
	json_object *es = json_object_new_array();
	for (size_t i = 0; i < s->n_entries; i++) {
		const struct rsc_boot_entry *e = &s->entries[i];
		json_object *j = json_object_new_object();
		add(b, j, "source", jstr(e->source));
		add(b, j, "title", jstr(e->title));
		add(b, j, "linux", jstr(e->kernel));
		add(b, j, "initrd", jstr(e->initrd));
		add(b, j, "options", jstr(e->options));
		json_object_array_add(es, j);
	}
	add(b, bl, "entries", es);
	add(b, o, "bootloader", bl);

	add(b, o, "generator", jstr(s->generator));
	json_object *se = json_object_new_object();
	add(b, se, "mode", jstr(s->selinux));
	add(b, se, "type", jstr(s->selinux_type));
	add(b, se, "policy_present", json_object_new_boolean(s->selinux_policy));
	add(b, o, "selinux", se);
	add(b, o, "keymap", jstr(s->keymap));
	add(b, o, "notes", jstrv(s->notes));
	return o;
}

int rsc_scan_to_json(const struct rsc_scan *scan, struct json_object **ret) {
	struct jb b = { 0 };
	json_object *root = json_object_new_object();
	if (!root)
		return -ENOMEM;
	add(&b, root, "schema", json_object_new_string("rescue-scan/1"));
	json_object *devs = json_object_new_array();
	for (size_t i = 0; i < scan->n_devices; i++)
		json_object_array_add(devs, device_json(&b, scan, &scan->devices[i]));
	add(&b, root, "devices", devs);
	json_object *vgs = json_object_new_array();
	for (size_t i = 0; i < scan->n_vgs; i++) {
		json_object *v = json_object_new_object();
		add(&b, v, "name", jstr(scan->vgs[i].name));
		add(&b, v, "uuid", jstr(scan->vgs[i].uuid));
		add(&b, v, "pvs", jstrv(scan->vgs[i].pvs));
		add(&b, v, "lvs", jstrv(scan->vgs[i].lvs));
		add(&b, v, "extent_size", json_object_new_uint64(scan->vgs[i].extent_size));
		json_object_array_add(vgs, v);
	}
	add(&b, root, "volume_groups", vgs);
	json_object *sys = json_object_new_array();
	for (size_t i = 0; i < scan->n_systems; i++)
		json_object_array_add(sys, system_json(&b, scan, &scan->systems[i]));
	add(&b, root, "systems", sys);
	add(&b, root, "problems", json_object_new_int((int)scan->n_problems));
	if (b.oom) {
		json_object_put(root);
		return -ENOMEM;
	}
	*ret = root;
	return 0;
}
