/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Can this initramfs mount this root? One pass over the image gathers what
 * it holds (module names per kernel version, a few programs, a few small
 * configuration files); the root's storage stack (fstab, crypttab, LVM
 * metadata backups, and the real devices when this machine can see them)
 * says what is needed; libkmod, pointed at the *target's* module tree and
 * modprobe.d, expands that into modules with their dependencies and
 * softdeps. Every requirement is reported, present or missing, with why.
 */
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <fnmatch.h>
#include <libkmod.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "fileio.h"
#include "initramfs-internal.h"
#include "internal.h"
#include "rescue/parse.h"
#include "scan-internal.h"
#include "strv.h"

DEFINE_TRIVIAL_CLEANUP_FUNC(struct kmod_ctx *, kmod_unref);
DEFINE_TRIVIAL_CLEANUP_FUNC(struct kmod_module *, kmod_module_unref);
DEFINE_TRIVIAL_CLEANUP_FUNC(struct kmod_list *, kmod_module_unref_list);

#define SMALL_FILE_MAX (256u * 1024)
/* A hostile image must not make the verifier grow without bound: real
 * images hold a few thousand modules and one or two module trees. */
#define MAX_MODULES 200000u
#define MAX_KVERS 64u
#define MAX_CMDLINE (1024u * 1024)

/* ---- a set of strings ---- */

struct strset {
	char **slots;
	size_t cap, n;
};

static uint64_t hash_str(const char *s) {
	uint64_t h = 1469598103934665603ull;
	for (; *s; s++)
		h = (h ^ (uint8_t)*s) * 1099511628211ull;
	return h;
}

static bool strset_contains(const struct strset *set, const char *s) {
	if (!set->cap)
		return false;
	for (size_t i = hash_str(s) & (set->cap - 1);; i = (i + 1) & (set->cap - 1)) {
		if (!set->slots[i])
			return false;
		if (streq(set->slots[i], s))
			return true;
	}
}

static int strset_add(struct strset *set, const char *s) {
	if (strset_contains(set, s))
		return 0;
	if ((set->n + 1) * 2 > set->cap) {
		size_t cap = set->cap ? set->cap * 2 : 256;
		char **slots = calloc(cap, sizeof(char *));
		if (!slots)
			return -ENOMEM;
		for (size_t i = 0; i < set->cap; i++) {
			if (!set->slots[i])
				continue;
			size_t j = hash_str(set->slots[i]) & (cap - 1);
			while (slots[j])
				j = (j + 1) & (cap - 1);
			slots[j] = set->slots[i];
		}
		free(set->slots);
		set->slots = slots;
		set->cap = cap;
	}
	char *copy = strdup(s);
	if (!copy)
		return -ENOMEM;
	size_t j = hash_str(s) & (set->cap - 1);
	while (set->slots[j])
		j = (j + 1) & (set->cap - 1);
	set->slots[j] = copy;
	set->n++;
	return 1;
}

static void strset_done(struct strset *set) {
	for (size_t i = 0; i < set->cap; i++)
		free(set->slots[i]);
	free(set->slots);
	*set = (struct strset){ 0 };
}

/* ---- what the image holds ---- */

struct image_facts {
	struct strset modules;   /* "kver/name", name with '-' as '_' */
	char **kvers;            /* module trees found */
	char **moddep;           /* kvers whose modules.dep is there */
	struct strset programs;  /* basenames of programs of interest */
	char *crypttab;          /* etc/crypttab */
	char *cryptroot_crypttab;/* cryptroot/crypttab (initramfs-tools) */
	char *cmdline;           /* etc/cmdline.d/ *.conf, joined */
	bool lvm_conf;
	bool dracut, initramfs_tools;
	int error;
};

static void facts_done(struct image_facts *f) {
	strset_done(&f->modules);
	strset_done(&f->programs);
	strv_free(f->kvers);
	strv_free(f->moddep);
	free(f->crypttab);
	free(f->cryptroot_crypttab);
	free(f->cmdline);
}

static const char *const programs_of_interest[] = {
	"cryptsetup", "systemd-cryptsetup", "lvm", "dmsetup", "btrfs", "mdadm",
};

static void module_name(const char *base, char *out, size_t n) {
	size_t i = 0;
	for (; base[i] && base[i] != '.' && i + 1 < n; i++)
		out[i] = base[i] == '-' ? '_' : base[i];
	out[i] = 0;
}

static bool is_module_file(const char *base) {
	const char *dot = strstr(base, ".ko");
	return dot && (streq(dot, ".ko") || streq(dot, ".ko.xz") || streq(dot, ".ko.zst") || streq(dot, ".ko.gz"));
}

static int read_small(rsc_initramfs *img, const struct rsc_initramfs_entry *e, char **ret) {
	if (e->size > SMALL_FILE_MAX)
		return 0;
	char *buf = malloc(e->size + 1);
	if (!buf)
		return -ENOMEM;
	size_t have = 0;
	while (have < e->size) {
		ssize_t k = rsc_initramfs_read_data(img, buf + have, e->size - have);
		if (k < 0) {
			free(buf);
			return (int)k;
		}
		if (k == 0)
			break;
		have += (size_t)k;
	}
	buf[have] = 0;
	*ret = buf;
	return 1;
}

static int gather(rsc_initramfs *img, const struct rsc_initramfs_entry *e, void *userdata) {
	struct image_facts *f = userdata;
	const char *p = e->path;
	int r;

	const char *rest = startswith(p, "usr/");
	const char *lib = startswith(rest ? rest : p, "lib/modules/");
	if (lib) {
		const char *slash = strchr(lib, '/');
		size_t klen = slash ? (size_t)(slash - lib) : strlen(lib);
		char kver[256];
		if (klen == 0 || klen >= sizeof(kver))
			return 0;
		memcpy(kver, lib, klen);
		kver[klen] = 0;
		if (!strv_contains(f->kvers, kver)) {
			if (strv_length(f->kvers) >= MAX_KVERS)
				return -E2BIG;
			if (strv_extend(&f->kvers, kver) < 0)
				return -ENOMEM;
		}
		if (!slash)
			return 0;
		if (streq(slash + 1, "modules.dep") && !strv_contains(f->moddep, kver) && strv_extend(&f->moddep, kver) < 0)
			return -ENOMEM;
		const char *base = strrchr(p, '/') + 1;
		if (!S_ISDIR(e->mode) && is_module_file(base)) {
			char name[256], key[600];
			module_name(base, name, sizeof(name));
			snprintf(key, sizeof(key), "%s/%s", kver, name);
			if (f->modules.n >= MAX_MODULES)
				return -E2BIG;
			if (strset_add(&f->modules, key) < 0)
				return -ENOMEM;
		}
		return 0;
	}

	const char *base = strrchr(p, '/');
	base = base ? base + 1 : p;
	if (S_ISREG(e->mode) || S_ISLNK(e->mode))
		for (size_t i = 0; i < ELEMENTSOF(programs_of_interest); i++)
			if (streq(base, programs_of_interest[i]) && strset_add(&f->programs, base) < 0)
				return -ENOMEM;

	if (startswith(p, "usr/lib/dracut/"))
		f->dracut = true;
	if (streq(p, "conf/initramfs.conf") || startswith(p, "scripts/local-top"))
		f->initramfs_tools = true;
	if (streq(p, "etc/lvm/lvm.conf"))
		f->lvm_conf = true;
	if (!S_ISREG(e->mode))
		return 0;
	if (streq(p, "etc/crypttab")) {
		free(f->crypttab);
		f->crypttab = NULL;
		if ((r = read_small(img, e, &f->crypttab)) < 0)
			return r;
	} else if (streq(p, "cryptroot/crypttab")) {
		free(f->cryptroot_crypttab);
		f->cryptroot_crypttab = NULL;
		if ((r = read_small(img, e, &f->cryptroot_crypttab)) < 0)
			return r;
	} else if (startswith(p, "etc/cmdline.d/") && fnmatch("*.conf", base, 0) == 0) {
		char *text = NULL;
		if ((r = read_small(img, e, &text)) < 0)
			return r;
		if (r > 0 && strlen(strempty(f->cmdline)) + strlen(text) > MAX_CMDLINE) {
			free(text);
			return -E2BIG;
		}
		if (r > 0) {
			char *joined = NULL;
			if (asprintf(&joined, "%s %s", strempty(f->cmdline), text) < 0) {
				free(text);
				return -ENOMEM;
			}
			free(f->cmdline);
			f->cmdline = joined;
			free(text);
		}
	}
	return 0;
}

/* ---- results ---- */

static int add_req(struct rsc_verify_result *v, enum rsc_requirement_kind kind, const char *name, bool present,
		   bool optional, const char *fmt, ...) _printf_(6, 7);
static int add_req(struct rsc_verify_result *v, enum rsc_requirement_kind kind, const char *name, bool present,
		   bool optional, const char *fmt, ...) {
	for (size_t i = 0; i < v->n_requirements; i++)
		if (v->requirements[i].kind == kind && streq(v->requirements[i].name, name))
			return 0;
	struct rsc_requirement *q = reallocarray(v->requirements, v->n_requirements + 1, sizeof(*q));
	if (!q)
		return -ENOMEM;
	v->requirements = q;
	q = &v->requirements[v->n_requirements];
	*q = (struct rsc_requirement){ .kind = kind, .present = present, .optional = optional };
	va_list ap;
	va_start(ap, fmt);
	int k = vasprintf(&q->explanation, fmt, ap);
	va_end(ap);
	q->name = strdup(name);
	if (k < 0 || !q->name) {
		free(q->name);
		if (k >= 0)
			free(q->explanation);
		return -ENOMEM;
	}
	v->n_requirements++;
	return 0;
}

void rsc_verify_result_free(struct rsc_verify_result *v) {
	if (!v)
		return;
	for (size_t i = 0; i < v->n_requirements; i++) {
		free(v->requirements[i].name);
		free(v->requirements[i].explanation);
	}
	free(v->requirements);
	free(v->kver);
	free(v->generator);
	free(v->root_spec);
	free(v->root_fstype);
	free(v->stack);
	free(v);
}

/* ---- the root's storage stack ---- */

struct stack {
	char *fstype;
	bool luks, lvm;
	char *vg, *lv;            /* root LV */
	char **luks_names;        /* crypttab names the root sits on */
	char **luks_uuids;        /* their LUKS UUIDs when crypttab says UUID= */
	char **drivers;           /* modules of the real devices */
	char **dm_targets;        /* dm_snapshot, dm_thin_pool ... */
	bool luks_assumed;
	char *description;
	dev_t root_dev;           /* the root's device on this machine, 0 when not seen */
};

static void stack_done(struct stack *s) {
	free(s->fstype);
	free(s->vg);
	free(s->lv);
	strv_free(s->luks_names);
	strv_free(s->luks_uuids);
	strv_free(s->drivers);
	strv_free(s->dm_targets);
	free(s->description);
}

static const struct rsc_crypttab_entry *crypttab_find(const struct rsc_crypttab_entry *c, size_t n, const char *name) {
	for (size_t i = 0; i < n; i++)
		if (streq(c[i].name, name))
			return &c[i];
	return NULL;
}

static int add_luks(struct stack *s, const struct rsc_crypttab_entry *c) {
	if (strv_contains(s->luks_names, c->name))
		return 0;
	s->luks = true;
	if (strv_extend(&s->luks_names, c->name) < 0)
		return -ENOMEM;
	const char *u = startswith(c->device, "UUID=");
	if (u && strv_extend(&s->luks_uuids, u) < 0)
		return -ENOMEM;
	return 0;
}

/* "/dev/mapper/vg-root" -> vg, root ("--" stands for a '-' in a name). */
static bool split_dm_lvm_name(const char *name, char **ret_vg, char **ret_lv) {
	const char *sep = NULL;
	for (const char *p = name; *p; p++) {
		if (p[0] == '-' && p[1] == '-') {
			p++;
			continue;
		}
		if (p[0] == '-') {
			sep = p;
			break;
		}
	}
	if (!sep || sep == name || !sep[1])
		return false;
	char *vg = strndup(name, sep - name), *lv = strdup(sep + 1);
	if (!vg || !lv) {
		free(vg);
		free(lv);
		return false;
	}
	for (char *x = vg, *w = vg; ; x++) {
		*w++ = *x;
		if (!*x)
			break;
		if (x[0] == '-' && x[1] == '-')
			x++;
	}
	for (char *x = lv, *w = lv; ; x++) {
		*w++ = *x;
		if (!*x)
			break;
		if (x[0] == '-' && x[1] == '-')
			x++;
	}
	*ret_vg = vg;
	*ret_lv = lv;
	return true;
}

/* LVM metadata backups name each PV's device when it was last seen, and
 * the segment types in use; that is how a root on LVM on LUKS is seen
 * without activating anything. */
static int read_lvm_backup(int rootfd, struct stack *s, const struct rsc_crypttab_entry *c, size_t nc) {
	char path[PATH_MAX];
	snprintf(path, sizeof(path), "etc/lvm/backup/%s", s->vg);
	_cleanup_free_ char *text = NULL;
	if (read_file_in_root(rootfd, path, READ_FILE_MAX, &text, NULL) < 0)
		return 0;
	for (const char *p = text; (p = strstr(p, "device = \"")); ) {
		p += strlen("device = \"");
		const char *end = strchr(p, '"');
		if (!end)
			break;
		_cleanup_free_ char *dev = strndup(p, end - p);
		if (!dev)
			return -ENOMEM;
		const char *name = startswith(dev, "/dev/mapper/");
		const struct rsc_crypttab_entry *e = name ? crypttab_find(c, nc, name) : NULL;
		if (e && add_luks(s, e) < 0)
			return -ENOMEM;
		p = end;
	}
	static const struct {
		const char *type, *module;
	} targets[] = {
		{ "type = \"thin", "dm_thin_pool" }, { "type = \"raid", "dm_raid" },
		{ "type = \"snapshot", "dm_snapshot" }, { "type = \"cache", "dm_cache" },
		{ "type = \"mirror", "dm_mirror" },    { "type = \"vdo", "dm_vdo" },
		{ "type = \"writecache", "dm_writecache" },
	};
	for (size_t i = 0; i < ELEMENTSOF(targets); i++)
		if (strstr(text, targets[i].type) && !strv_contains(s->dm_targets, targets[i].module) &&
		    strv_extend(&s->dm_targets, targets[i].module) < 0)
			return -ENOMEM;
	return 1;
}

/* Real devices: which drivers serve a block device, walking sysfs from
 * the device up (partition -> disk -> controller) and into the slaves of
 * device-mapper devices. Virtual devices (loop, dm itself) need none. */
static int walk_sysfs_block(const char *sysdir, struct stack *s, unsigned depth,
			    const struct rsc_crypttab_entry *c, size_t nc) {
	if (depth > 8)
		return 0;
	char path[PATH_MAX], buf[256];

	/* device-mapper: what kind, and recurse into what it sits on. */
	snprintf(path, sizeof(path), "%s/dm/uuid", sysdir);
	_cleanup_fclose_ FILE *f = fopen(path, "re");
	if (f && fgets(buf, sizeof(buf), f)) {
		if (startswith(buf, "CRYPT-")) {
			char name[256] = "";
			snprintf(path, sizeof(path), "%s/dm/name", sysdir);
			FILE *g = fopen(path, "re");
			if (g) {
				if (fgets(name, sizeof(name), g))
					name[strcspn(name, "\n")] = 0;
				fclose(g);
			}
			const struct rsc_crypttab_entry *e = crypttab_find(c, nc, name);
			s->luks = true;
			if (e && add_luks(s, e) < 0)
				return -ENOMEM;
			if (!e && name[0] && !strv_contains(s->luks_names, name) && strv_extend(&s->luks_names, name) < 0)
				return -ENOMEM;
		} else if (startswith(buf, "LVM-")) {
			s->lvm = true;
			/* A root named by UUID: the mapping's name ("vg-root")
			 * is where its VG and LV names are seen. */
			if (!s->vg && !s->lv) {
				char name[256] = "";
				snprintf(path, sizeof(path), "%s/dm/name", sysdir);
				FILE *g = fopen(path, "re");
				if (g) {
					if (fgets(name, sizeof(name), g))
						name[strcspn(name, "\n")] = 0;
					fclose(g);
				}
				if (name[0])
					(void)split_dm_lvm_name(name, &s->vg, &s->lv);
			}
		}
		snprintf(path, sizeof(path), "%s/slaves", sysdir);
		DIR *d = opendir(path);
		if (d) {
			struct dirent *de;
			while ((de = readdir(d))) {
				if (de->d_name[0] == '.')
					continue;
				char sub[PATH_MAX];
				snprintf(sub, sizeof(sub), "%s/slaves/%s", sysdir, de->d_name);
				char real[PATH_MAX];
				if (realpath(sub, real))
					(void)walk_sysfs_block(real, s, depth + 1, c, nc);
			}
			closedir(d);
		}
		return 0;
	}

	char real[PATH_MAX];
	if (!realpath(sysdir, real))
		return 0;
	if (startswith(real, "/sys/devices/virtual/"))
		return 0;
	/* Up the device path: every level with a driver contributes a name
	 * to look up in the *target's* tree. The rescue kernel may have the
	 * driver built in while the target has it as a module, so the
	 * module link is taken when there is one, else the device's
	 * modalias (what udev would load on the target), else the driver's
	 * name. */
	for (char *end = real + strlen(real); end > real + strlen("/sys/devices"); end = strrchr(real, '/')) {
		*end = 0;
		char target[PATH_MAX];
		snprintf(path, sizeof(path), "%s/driver", real);
		ssize_t k = readlink(path, target, sizeof(target) - 1);
		if (k <= 0)
			continue;
		target[k] = 0;
		const char *driver = strrchr(target, '/');
		driver = driver ? driver + 1 : target;
		char name[PATH_MAX];
		snprintf(name, sizeof(name), "%s", driver);
		snprintf(path, sizeof(path), "%s/driver/module", real);
		k = readlink(path, target, sizeof(target) - 1);
		if (k > 0) {
			target[k] = 0;
			const char *m = strrchr(target, '/');
			snprintf(name, sizeof(name), "%s", m ? m + 1 : target);
		} else {
			snprintf(path, sizeof(path), "%s/modalias", real);
			FILE *a = fopen(path, "re");
			if (a) {
				if (fgets(name, sizeof(name), a))
					name[strcspn(name, "\n")] = 0;
				fclose(a);
				if (!*name)
					snprintf(name, sizeof(name), "%s", driver);
			}
		}
		if (!strv_contains(s->drivers, name) && strv_extend(&s->drivers, name) < 0)
			return -ENOMEM;
	}
	return 0;
}

/* The node of a block device as udev names it ("/dev/vdb3"), NULL when
 * sysfs does not say. */
static char *device_node(dev_t dev) {
	char path[128], line[256];
	snprintf(path, sizeof(path), "/sys/dev/block/%u:%u/uevent", major(dev), minor(dev));
	_cleanup_fclose_ FILE *f = fopen(path, "re");
	while (f && fgets(line, sizeof(line), f)) {
		const char *v = startswith(line, "DEVNAME=");
		if (v) {
			char *node = NULL;
			line[strcspn(line, "\n")] = 0;
			return asprintf(&node, "/dev/%s", v) < 0 ? NULL : node;
		}
	}
	return NULL;
}

char *root_stack_describe(const struct root_stack_words *w) {
	char *desc = NULL;
	const char *fs = w->fstype && *w->fstype ? w->fstype : "a filesystem";
	/* Each layer with the names that are known, and none that are not:
	 * a missing name is left out, never shown as a placeholder. */
	char lvm[300] = "", luks[300] = "", dev[300] = "";
	if (w->lvm) {
		if (w->vg && w->lv)
			snprintf(lvm, sizeof(lvm), " on LVM %s/%s", w->vg, w->lv);
		else if (w->vg)
			snprintf(lvm, sizeof(lvm), " on LVM (VG %s)", w->vg);
		else if (w->lv)
			snprintf(lvm, sizeof(lvm), " on LVM (LV %s)", w->lv);
		else
			snprintf(lvm, sizeof(lvm), " on LVM");
	}
	if (w->luks)
		snprintf(luks, sizeof(luks), " on LUKS%s%s", w->luks_name ? " " : "", strempty(w->luks_name));
	/* The device itself only when no layer names the root already. */
	if (!w->lvm && !w->luks && w->device)
		snprintf(dev, sizeof(dev), " on %s", w->device);
	if (asprintf(&desc, "%s%s%s%s%s", fs, lvm, luks, dev, w->luks_assumed ? " (LUKS assumed from crypttab)" : "") < 0)
		return NULL;
	return desc;
}

/* The device a spec names on this machine, if it can see it. */
static int resolve_spec(const char *spec, dev_t *ret) {
	char path[PATH_MAX];
	const char *v;
	if ((v = startswith(spec, "UUID=")))
		snprintf(path, sizeof(path), "/dev/disk/by-uuid/%s", v);
	else if ((v = startswith(spec, "PARTUUID=")))
		snprintf(path, sizeof(path), "/dev/disk/by-partuuid/%s", v);
	else if ((v = startswith(spec, "LABEL=")))
		snprintf(path, sizeof(path), "/dev/disk/by-label/%s", v);
	else if (spec[0] == '/')
		snprintf(path, sizeof(path), "%s", spec);
	else
		return -ENOENT;
	struct stat st;
	if (stat(path, &st) < 0 || !S_ISBLK(st.st_mode))
		return -ENOENT;
	*ret = st.st_rdev;
	return 0;
}

static int analyse_root(rsc_context *ctx, int rootfd, const struct rsc_fstab_entry *root,
			const struct rsc_crypttab_entry *c, size_t nc, bool devices, struct stack *s) {
	int r;
	const char *spec = root->spec;
	const char *name;

	if ((name = startswith(spec, "/dev/mapper/"))) {
		const struct rsc_crypttab_entry *e = crypttab_find(c, nc, name);
		if (e) {
			if ((r = add_luks(s, e)) < 0)
				return r;
		} else if (split_dm_lvm_name(name, &s->vg, &s->lv))
			s->lvm = true;
	} else if ((name = startswith(spec, "/dev/")) && !startswith(name, "disk/") && !startswith(name, "md") &&
		   strchr(name, '/') && !strchr(strchr(name, '/') + 1, '/')) {
		/* /dev/VG/LV */
		const char *slash = strchr(name, '/');
		s->vg = strndup(name, slash - name);
		s->lv = strdup(slash + 1);
		if (!s->vg || !s->lv)
			return -ENOMEM;
		s->lvm = true;
	}

	/* The real devices, when this machine sees the root's. */
	dev_t dev;
	if (devices && resolve_spec(spec, &dev) == 0) {
		s->root_dev = dev;
		char sys[128];
		snprintf(sys, sizeof(sys), "/sys/dev/block/%u:%u", major(dev), minor(dev));
		if ((r = walk_sysfs_block(sys, s, 0, c, nc)) < 0)
			return r;
	}

	if (s->lvm && s->vg && (r = read_lvm_backup(rootfd, s, c, nc)) < 0)
		return r;
	if (s->lvm && !s->luks) {
		/* No metadata backup names the PVs: LUKS volumes crypttab
		 * opens at boot are taken to be under the VG. */
		bool backup = false;
		if (s->vg) {
			char path[PATH_MAX];
			snprintf(path, sizeof(path), "etc/lvm/backup/%s", s->vg);
			backup = exists_in_root(rootfd, path);
		}
		for (size_t i = 0; !backup && i < nc; i++)
			if (!c[i].options || !strstr(c[i].options, "noauto")) {
				if ((r = add_luks(s, &c[i])) < 0)
					return r;
				s->luks_assumed = true;
			}
	}

	_cleanup_free_ char *node = s->root_dev ? device_node(s->root_dev) : NULL;
	struct root_stack_words w = {
		.fstype = root->fstype,
		.device = node ? node : startswith(spec, "/dev/") ? spec : NULL,
		.lvm = s->lvm,
		.vg = s->vg,
		.lv = s->lv,
		.luks = s->luks,
		.luks_name = s->luks_names ? s->luks_names[0] : NULL,
		.luks_assumed = s->luks_assumed,
	};
	s->description = root_stack_describe(&w);
	if (!s->description)
		return -ENOMEM;
	s->fstype = strdup(root->fstype);
	return s->fstype ? 0 : -ENOMEM;
}

/* ---- modules, through libkmod on the target's tree ---- */

struct modctx {
	struct kmod_ctx *kmod;
	struct strset builtin;
	const struct image_facts *facts;
	const char *kver;
	struct rsc_verify_result *v;
	struct strset visited;
	int fds[8];
	size_t n_fds;
};

static void kmod_log(void *data, int priority, const char *file, int line, const char *fn, const char *format,
		     va_list args) {
	rsc_context *ctx = data;
	char msg[512];
	vsnprintf(msg, sizeof(msg), format, args);
	msg[strcspn(msg, "\n")] = 0;
	log_debug(ctx, "libkmod: %s", msg);
}

static bool in_image(const struct modctx *m, const char *name) {
	char key[600], norm[256];
	module_name(name, norm, sizeof(norm));
	snprintf(key, sizeof(key), "%s/%s", m->kver, norm);
	return strset_contains(&m->facts->modules, key);
}

static bool is_builtin(const struct modctx *m, const char *name) {
	char norm[256];
	module_name(name, norm, sizeof(norm));
	return strset_contains(&m->builtin, norm);
}

static int require_module(struct modctx *m, struct kmod_module *mod, const char *why, unsigned depth);

/* One named need ("ext4", "fs-xfs", "crc32c"): satisfied when any module
 * it resolves to is built in or in the image. */
static int require_name(struct modctx *m, const char *name, const char *why, bool optional, unsigned depth) {
	_cleanup_(kmod_module_unref_listp) struct kmod_list *list = NULL;
	char norm[256];
	module_name(name, norm, sizeof(norm));

	if (is_builtin(m, norm))
		return add_req(m->v, RSC_REQ_MODULE, norm, true, optional, "%s: built into the kernel", why);
	int r = kmod_module_new_from_lookup(m->kmod, name, &list);
	if (r < 0 || !list) {
		if (optional || depth > 0)
			return 0; /* a softdep or alias nothing provides */
		return add_req(m->v, RSC_REQ_MODULE, norm, in_image(m, norm), false,
			       "%s: not known to the target kernel's modules.dep/modules.alias", why);
	}

	/* Several candidates (an alias): the first present one wins. */
	struct kmod_list *it;
	struct kmod_module *chosen = NULL;
	kmod_list_foreach(it, list) {
		struct kmod_module *mod = kmod_module_get_module(it);
		const char *n = kmod_module_get_name(mod);
		if (is_builtin(m, n) || in_image(m, n)) {
			chosen = mod;
			break;
		}
		kmod_module_unref(mod);
	}
	if (!chosen) {
		struct kmod_module *first = kmod_module_get_module(list);
		bool several = kmod_list_next(list, list) != NULL;
		r = add_req(m->v, RSC_REQ_MODULE, kmod_module_get_name(first), false, optional, "%s%s: not in the image",
			    why, several ? " (nor any alternative)" : "");
		kmod_module_unref(first);
		return r;
	}
	r = require_module(m, chosen, why, depth);
	kmod_module_unref(chosen);
	return r;
}

static int require_module(struct modctx *m, struct kmod_module *mod, const char *why, unsigned depth) {
	const char *name = kmod_module_get_name(mod);
	int r = strset_add(&m->visited, name);
	if (r <= 0)
		return r;

	if (is_builtin(m, name))
		return add_req(m->v, RSC_REQ_MODULE, name, true, false, "%s: built into the kernel", why);
	bool present = in_image(m, name);
	if (!kmod_module_get_path(mod) && !present)
		/* Neither a file nor built in: libkmod created it from a
		 * name only. */
		return add_req(m->v, RSC_REQ_MODULE, name, false, false, "%s: no such module for this kernel", why);
	r = add_req(m->v, RSC_REQ_MODULE, name, present, false, "%s%s", why, present ? "" : ": not in the image");
	if (r < 0 || depth > 6)
		return r;

	char sub[300];
	_cleanup_(kmod_module_unref_listp) struct kmod_list *deps = kmod_module_get_dependencies(mod);
	struct kmod_list *it;
	snprintf(sub, sizeof(sub), "needed by %s", name);
	kmod_list_foreach(it, deps) {
		struct kmod_module *d = kmod_module_get_module(it);
		r = require_module(m, d, sub, depth + 1);
		kmod_module_unref(d);
		if (r < 0)
			return r;
	}

	_cleanup_(kmod_module_unref_listp) struct kmod_list *pre = NULL, *post = NULL;
	if (kmod_module_get_softdeps(mod, &pre, &post) == 0) {
		snprintf(sub, sizeof(sub), "softdep of %s", name);
		kmod_list_foreach(it, pre) {
			struct kmod_module *d = kmod_module_get_module(it);
			/* A softdep that cannot load does not stop its module
			 * from loading: reported, never fatal. */
			r = require_name(m, kmod_module_get_name(d), sub, true, depth + 1);
			kmod_module_unref(d);
			if (r < 0)
				return r;
		}
	}
	return 0;
}

static int open_kmod(rsc_context *ctx, int rootfd, const char *kver, struct modctx *m) {
	char path[PATH_MAX];
	snprintf(path, sizeof(path), "lib/modules/%s", kver);
	int fd = open_in_root(rootfd, path, O_PATH | O_DIRECTORY);
	if (fd < 0) {
		snprintf(path, sizeof(path), "usr/lib/modules/%s", kver);
		fd = open_in_root(rootfd, path, O_PATH | O_DIRECTORY);
	}
	if (fd < 0)
		return fd;
	m->fds[m->n_fds++] = fd;

	/* The target's module tree and modprobe.d, never ours: each is
	 * opened inside the root and handed to libkmod as /proc/self/fd/N. */
	char dir[64];
	snprintf(dir, sizeof(dir), "/proc/self/fd/%d", fd);
	static const char *const conf_dirs[] = { "etc/modprobe.d", "usr/lib/modprobe.d", "lib/modprobe.d", "run/modprobe.d" };
	char conf_paths[ELEMENTSOF(conf_dirs)][64];
	const char *confs[ELEMENTSOF(conf_dirs) + 1] = { 0 };
	size_t nc = 0;
	for (size_t i = 0; i < ELEMENTSOF(conf_dirs); i++) {
		int cfd = open_in_root(rootfd, conf_dirs[i], O_PATH | O_DIRECTORY);
		if (cfd < 0)
			continue;
		m->fds[m->n_fds++] = cfd;
		snprintf(conf_paths[nc], sizeof(conf_paths[nc]), "/proc/self/fd/%d", cfd);
		confs[nc] = conf_paths[nc];
		nc++;
	}
	m->kmod = kmod_new(dir, confs);
	if (!m->kmod)
		return -ENOMEM;
	kmod_set_log_fn(m->kmod, kmod_log, ctx);
	(void)kmod_load_resources(m->kmod);

	/* modules.builtin lists what needs no file. */
	_cleanup_free_ char *text = NULL;
	snprintf(path, sizeof(path), "/proc/self/fd/%d/modules.builtin", fd);
	int bfd = open(path, O_RDONLY | O_CLOEXEC);
	if (bfd >= 0) {
		int r = read_file_fd(bfd, 8u << 20, &text, NULL);
		close(bfd);
		if (r < 0)
			return r;
		for (char *line = text; line && *line;) {
			char *nl = strchr(line, '\n');
			if (nl)
				*nl = 0;
			const char *base = strrchr(line, '/');
			base = base ? base + 1 : line;
			char norm[256];
			module_name(base, norm, sizeof(norm));
			if (*norm && strset_add(&m->builtin, norm) < 0)
				return -ENOMEM;
			line = nl ? nl + 1 : NULL;
		}
	}
	return 0;
}

static void modctx_done(struct modctx *m) {
	if (m->kmod)
		kmod_unref(m->kmod);
	strset_done(&m->builtin);
	strset_done(&m->visited);
	for (size_t i = 0; i < m->n_fds; i++)
		close(m->fds[i]);
}

/* ---- the stored command line ---- */

static char *cmdline_values(const char *cmdline, const char *key) {
	/* All values of key= joined by spaces, or NULL. */
	char *out = NULL;
	size_t klen = strlen(key);
	for (const char *p = cmdline; p && *p;) {
		while (*p && isspace((unsigned char)*p))
			p++;
		const char *end = p;
		while (*end && !isspace((unsigned char)*end))
			end++;
		if ((size_t)(end - p) > klen && strncmp(p, key, klen) == 0 && p[klen] == '=') {
			char *n;
			if (asprintf(&n, "%s%s%.*s", out ? out : "", out ? " " : "", (int)(end - p - klen - 1),
				     p + klen + 1) < 0) {
				free(out);
				return NULL;
			}
			free(out);
			out = n;
		}
		p = end;
	}
	return out;
}

static const char *spec_uuid(const char *spec) {
	const char *u;
	if ((u = startswith(spec, "UUID=")) || (u = startswith(spec, "/dev/disk/by-uuid/")) ||
	    (u = startswith(spec, "block:/dev/disk/by-uuid/")))
		return u;
	return NULL;
}

/* Does SPEC (a stored root=) name the device the root filesystem sits on,
 * by its path rather than a UUID? A host-only image made in a chroot stores
 * root=/dev/mapper/VG-LV (the device mounted at /) where fstab says UUID=:
 * the same filesystem when both name one device on this machine, or the
 * same LV by its two paths. */
static int resolve_spec(const char *spec, dev_t *ret);

static bool spec_names_root_device(const char *spec, const struct stack *s) {
	if (startswith(spec, "block:"))
		spec += strlen("block:");
	dev_t dev;
	if (s->root_dev && resolve_spec(spec, &dev) == 0 && dev == s->root_dev)
		return true;
	if (s->lvm && s->vg && s->lv) {
		char dm[512], path[600];
		dm_lv_name(s->vg, s->lv, dm, sizeof(dm));
		snprintf(path, sizeof(path), "/dev/mapper/%s", dm);
		if (streq(spec, path))
			return true;
		snprintf(path, sizeof(path), "/dev/%s/%s", s->vg, s->lv);
		if (streq(spec, path))
			return true;
	} else if (s->luks && !s->lvm) {
		const char *name = startswith(spec, "/dev/mapper/");
		if (name && strv_contains(s->luks_names, name))
			return true;
	}
	return false;
}

static bool list_has_word(const char *list, const char *word, bool luks_prefix) {
	_cleanup_strv_free_ char **l = NULL;
	if (strv_split(list, " ", &l) < 0)
		return false;
	STRV_FOREACH(w, l) {
		const char *x = *w;
		if (luks_prefix && startswith(x, "luks-"))
			x += 5;
		if (strcasecmp(x, word) == 0)
			return true;
	}
	return false;
}

static int check_cmdline(struct rsc_verify_result *v, const struct image_facts *f, const char *root_spec,
			 const struct stack *s) {
	if (!f->cmdline || !*f->cmdline)
		return add_req(v, RSC_REQ_CMDLINE, "stored cmdline", true, false,
			       "no stored command line: the boot loader's root= applies");
	int r;
	_cleanup_free_ char *root = cmdline_values(f->cmdline, "root");
	if (root && root_spec) {
		const char *last = strrchr(root, ' ');
		last = last ? last + 1 : root;
		const char *a = spec_uuid(last), *b = spec_uuid(root_spec);
		bool same = a && b ? strcasecmp(a, b) == 0 : streq(last, root_spec) || streq(startswith(last, "block:") ? last + 6 : last, root_spec) ||
			    (!a && spec_names_root_device(last, s));
		r = add_req(v, RSC_REQ_CMDLINE, "root=", same, false,
			    same ? "stored root=%s matches fstab's %s" : "stored root=%s contradicts fstab's %s (the boot loader's root= would have to override it)",
			    last, root_spec);
		if (r < 0)
			return r;
	}
	_cleanup_free_ char *lvs = cmdline_values(f->cmdline, "rd.lvm.lv");
	if (lvs && s->lvm && s->vg && s->lv) {
		char want[512];
		snprintf(want, sizeof(want), "%s/%s", s->vg, s->lv);
		bool ok = list_has_word(lvs, want, false);
		r = add_req(v, RSC_REQ_CMDLINE, "rd.lvm.lv=", ok, false,
			    ok ? "stored rd.lvm.lv= activates %s" : "stored rd.lvm.lv=%s does not activate the root LV %s", ok ? want : lvs, want);
		if (r < 0)
			return r;
	}
	_cleanup_free_ char *uuids = cmdline_values(f->cmdline, "rd.luks.uuid");
	if (uuids && s->luks && s->luks_uuids) {
		bool ok = false;
		STRV_FOREACH(u, s->luks_uuids)
			if (list_has_word(uuids, *u, true))
				ok = true;
		r = add_req(v, RSC_REQ_CMDLINE, "rd.luks.uuid=", ok, false,
			    ok ? "stored rd.luks.uuid= unlocks the root's LUKS device %s" : "stored rd.luks.uuid=%s does not name the root's LUKS device %s",
			    ok ? s->luks_uuids[0] : uuids, s->luks_uuids[0]);
		if (r < 0)
			return r;
	}
	if (!root && !lvs && !uuids)
		return add_req(v, RSC_REQ_CMDLINE, "stored cmdline", true, false, "stored command line names no root device");
	return 0;
}

/* Does an image's crypttab open the root's LUKS device? */
static bool crypttab_covers(rsc_context *ctx, const char *text, const char *file, const struct stack *s) {
	struct rsc_crypttab_entry *c = NULL;
	size_t n = 0;
	if (rsc_crypttab_parse(ctx, text, file, &c, &n) < 0)
		return false;
	bool ok = true;
	STRV_FOREACH(name, s->luks_names) {
		bool found = false;
		for (size_t i = 0; i < n; i++)
			if (streq(c[i].name, *name))
				found = true;
		STRV_FOREACH(u, s->luks_uuids)
			for (size_t i = 0; i < n; i++) {
				const char *cu = startswith(c[i].device, "UUID=");
				if (cu && strcasecmp(cu, *u) == 0)
					found = true;
			}
		if (!found)
			ok = false;
	}
	rsc_crypttab_free(c, n);
	return ok;
}

/* ---- the whole check ---- */

static int segments_check(rsc_initramfs *img, int rootfd, const char *kver, struct rsc_verify_result *v) {
	char path[PATH_MAX];
	snprintf(path, sizeof(path), "boot/config-%s", kver);
	_cleanup_free_ char *config = NULL;
	bool have_config = read_file_in_root(rootfd, path, READ_FILE_MAX, &config, NULL) >= 0;
	unsigned mask = have_config ? rsc_kernel_config_decompressors(config) : ~0u;
	size_t n;
	const struct rsc_initramfs_segment *s = rsc_initramfs_segments(img, &n);
	for (size_t i = 0; i < n; i++) {
		if (s[i].compression == RSC_COMPRESSION_NONE)
			continue;
		const char *name = rsc_compression_to_string(s[i].compression);
		bool ok = mask & (1u << s[i].compression);
		int r = add_req(v, RSC_REQ_COMPRESSION, name, ok, false,
				!have_config ? "segment %zu: no /boot/config-%s to check %s against" :
				ok ? "segment %zu: the kernel unpacks it (%s=y in /boot/config-%s)" :
				     "segment %zu: the kernel cannot decompress it (%s not set in /boot/config-%s)",
				i, have_config ? rsc_compression_kconfig(s[i].compression) : kver,
				have_config ? kver : name);
		if (r < 0)
			return r;
	}
	return 0;
}

static int pick_kver(int rootfd, const struct image_facts *f, const char *kver, char **ret) {
	if (kver)
		return (*ret = strdup(kver)) ? 0 : -ENOMEM;
	/* The only kernel of the root, else the only module tree of the image. */
	char *found = NULL;
	unsigned n = 0;
	int fd = open_in_root(rootfd, "lib/modules", O_RDONLY | O_DIRECTORY);
	if (fd < 0)
		fd = open_in_root(rootfd, "usr/lib/modules", O_RDONLY | O_DIRECTORY);
	if (fd >= 0) {
		DIR *d = fdopendir(fd);
		if (d) {
			struct dirent *de;
			while ((de = readdir(d)))
				if (de->d_name[0] != '.' && de->d_type == DT_DIR) {
					n++;
					free(found);
					found = strdup(de->d_name);
				}
			closedir(d);
		} else
			close(fd);
	}
	if (n == 1 && found) {
		*ret = found;
		return 0;
	}
	free(found);
	if (strv_length(f->kvers) == 1)
		return (*ret = strdup(f->kvers[0])) ? 0 : -ENOMEM;
	return -RSC_ERR_AMBIGUOUS;
}

int rsc_initramfs_verify(rsc_context *ctx, rsc_initramfs *img, const char *root_dir, const char *kver,
			 struct rsc_verify_result **ret) {
	_cleanup_close_ int rootfd = open(root_dir, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (rootfd < 0)
		return log_error_errno(ctx, errno, "Cannot open root directory %s: %m", root_dir);

	struct rsc_verify_result *v = calloc(1, sizeof(*v));
	if (!v)
		return -ENOMEM;
	struct image_facts f = { 0 };
	struct stack s = { 0 };
	struct modctx m = { 0 };
	struct rsc_fstab_entry *fstab = NULL;
	struct rsc_crypttab_entry *crypttab = NULL;
	size_t n_fstab = 0, n_crypttab = 0;
	_cleanup_free_ char *fstab_text = NULL, *crypttab_text = NULL, *others = NULL;
	int r;

	/* One pass over the image. */
	int walk = rsc_initramfs_walk(img, gather, NULL, &f);
	if (walk < 0 && walk != -EBADMSG && walk != -E2BIG) {
		r = walk;
		goto fail;
	}
	r = add_req(v, RSC_REQ_FORMAT, "image", walk == 0, false, "%s",
		    walk == 0 ? "reads cleanly, as the kernel would unpack it" :
		    rsc_initramfs_error(img) ? rsc_initramfs_error(img) :
					       "more module trees, modules or stored command lines than any real image holds");
	if (r < 0)
		goto fail;

	r = pick_kver(rootfd, &f, kver, &v->kver);
	if (r < 0) {
		log_error_errno(ctx, r, "Cannot tell the kernel version: several in %s/lib/modules and in the image; name the one to check", root_dir);
		goto fail;
	}
	v->generator = strdup(f.dracut ? "dracut" : f.initramfs_tools ? "initramfs-tools" : "unknown");
	if (!v->generator) {
		r = -ENOMEM;
		goto fail;
	}

	if ((r = segments_check(img, rootfd, v->kver, v)) < 0)
		goto fail;

	bool tree = strv_contains(f.kvers, v->kver);
	if (f.kvers && !(others = strv_join(f.kvers, ", "))) {
		r = -ENOMEM;
		goto fail;
	}
	if (tree)
		r = add_req(v, RSC_REQ_MODULE_TREE, v->kver, strv_contains(f.moddep, v->kver), false,
			    strv_contains(f.moddep, v->kver) ? "lib/modules/%s with modules.dep" :
							       "lib/modules/%s without modules.dep: modprobe cannot load anything",
			    v->kver);
	else
		r = add_req(v, RSC_REQ_MODULE_TREE, v->kver, false, false,
			    f.kvers ? "the image holds modules for %s, not for %s" : "%sno module tree at all, none for %s",
			    f.kvers ? strempty(others) : "", v->kver);
	if (r < 0)
		goto fail;

	/* The root's storage stack. */
	r = read_file_in_root(rootfd, "etc/fstab", READ_FILE_MAX, &fstab_text, NULL);
	if (r >= 0)
		r = rsc_fstab_parse(ctx, fstab_text, "etc/fstab", &fstab, &n_fstab);
	if (r < 0) {
		log_error_errno(ctx, r, "Cannot read %s/etc/fstab: %m", root_dir);
		goto fail;
	}
	if (read_file_in_root(rootfd, "etc/crypttab", READ_FILE_MAX, &crypttab_text, NULL) >= 0 &&
	    (r = rsc_crypttab_parse(ctx, crypttab_text, "etc/crypttab", &crypttab, &n_crypttab)) < 0)
		goto fail;
	const struct rsc_fstab_entry *root = NULL;
	for (size_t i = 0; i < n_fstab; i++)
		if (streq(fstab[i].target, "/"))
			root = &fstab[i];
	if (!root) {
		r = log_error_errno(ctx, ENOENT, "%s/etc/fstab has no entry for /", root_dir);
		goto fail;
	}
	if (!(v->root_spec = strdup(root->spec)) || !(v->root_fstype = strdup(root->fstype))) {
		r = -ENOMEM;
		goto fail;
	}
	if ((r = analyse_root(ctx, rootfd, root, crypttab, n_crypttab, true, &s)) < 0)
		goto fail;
	v->stack = strdup(s.description);
	if (!v->stack) {
		r = -ENOMEM;
		goto fail;
	}

	/* Kernel modules. */
	m.facts = &f;
	m.kver = v->kver;
	m.v = v;
	r = open_kmod(ctx, rootfd, v->kver, &m);
	if (r < 0) {
		r = add_req(v, RSC_REQ_MODULE_TREE, "target modules", false, false,
			    "the root has no lib/modules/%s to resolve module names with", v->kver);
		if (r < 0)
			goto fail;
	} else {
		char why[300], fsmod[300];
		snprintf(why, sizeof(why), "root filesystem %s", s.fstype);
		snprintf(fsmod, sizeof(fsmod), "fs-%s", s.fstype);
		if (!streq(s.fstype, "auto") && (r = require_name(&m, fsmod, why, false, 0)) < 0)
			goto fail;
		if (s.luks) {
			snprintf(why, sizeof(why), "LUKS (%s)", s.luks_names ? s.luks_names[0] : "root");
			if ((r = require_name(&m, "dm_crypt", why, false, 0)) < 0 ||
			    (r = require_name(&m, "dm_mod", why, false, 0)) < 0)
				goto fail;
		}
		if (s.lvm) {
			if (s.vg && s.lv)
				snprintf(why, sizeof(why), "LVM (%s/%s)", s.vg, s.lv);
			else
				snprintf(why, sizeof(why), "LVM");
			if ((r = require_name(&m, "dm_mod", why, false, 0)) < 0)
				goto fail;
			STRV_FOREACH(t, s.dm_targets)
				if ((r = require_name(&m, *t, why, false, 0)) < 0)
					goto fail;
		}
		STRV_FOREACH(d, s.drivers) {
			/* A name the target kernel does not know is a driver
			 * built into it (or one it lacks entirely, which no
			 * initramfs can fix): nothing to require. */
			_cleanup_(kmod_module_unref_listp) struct kmod_list *list = NULL;
			if (!is_builtin(&m, *d) && (kmod_module_new_from_lookup(m.kmod, *d, &list) < 0 || !list))
				continue;
			snprintf(why, sizeof(why), "driver of the root's device (%s)", *d);
			if ((r = require_name(&m, *d, why, false, 0)) < 0)
				goto fail;
		}
	}

	/* Userspace and configuration. */
	if (s.luks) {
		bool cs = strset_contains(&f.programs, "cryptsetup"), scs = strset_contains(&f.programs, "systemd-cryptsetup");
		r = add_req(v, RSC_REQ_TOOL, "cryptsetup", cs || scs, false,
			    cs || scs ? "%s unlocks LUKS" : "no cryptsetup nor systemd-cryptsetup: LUKS cannot be unlocked%s",
			    cs ? "cryptsetup" : scs ? "systemd-cryptsetup" : "");
		if (r < 0)
			goto fail;
		if (f.initramfs_tools && !f.dracut) {
			bool ok = f.cryptroot_crypttab && crypttab_covers(ctx, f.cryptroot_crypttab, "cryptroot/crypttab", &s);
			r = add_req(v, RSC_REQ_CONFIG, "cryptroot/crypttab", ok, false,
				    ok ? "lists the root's LUKS device" :
				    f.cryptroot_crypttab ? "does not list the root's LUKS device: cryptsetup-initramfs will not unlock it" :
							   "absent: cryptsetup-initramfs unlocks only what it lists");
		} else if (f.crypttab) {
			bool ok = crypttab_covers(ctx, f.crypttab, "etc/crypttab", &s);
			r = add_req(v, RSC_REQ_CONFIG, "etc/crypttab", ok, false,
				    ok ? "lists the root's LUKS device" :
					 "does not list the root's LUKS device (stale or filtered by hostonly)");
		} else
			r = add_req(v, RSC_REQ_CONFIG, "etc/crypttab", false, true,
				    "absent: dracut unlocks LUKS devices named by rd.luks.uuid= or found by udev");
		if (r < 0)
			goto fail;
	}
	if (s.lvm) {
		bool lvm = strset_contains(&f.programs, "lvm");
		if ((r = add_req(v, RSC_REQ_TOOL, "lvm", lvm, false,
				 lvm ? "activates the root's volume group" : "no lvm binary: the root's volume group cannot be activated")) < 0)
			goto fail;
		bool dm = strset_contains(&f.programs, "dmsetup");
		if ((r = add_req(v, RSC_REQ_TOOL, "dmsetup", dm, true,
				 dm ? "present for udev's device-mapper rules" : "absent: udev's device-mapper rules may miss it")) < 0)
			goto fail;
		if ((r = add_req(v, RSC_REQ_CONFIG, "etc/lvm/lvm.conf", f.lvm_conf, true,
				 f.lvm_conf ? "present (its filters apply at boot)" : "absent: LVM's defaults apply")) < 0)
			goto fail;
	}

	if ((r = check_cmdline(v, &f, root->spec, &s)) < 0)
		goto fail;

	v->bootable = true;
	for (size_t i = 0; i < v->n_requirements; i++)
		if (!v->requirements[i].present && !v->requirements[i].optional)
			v->bootable = false;
	*ret = TAKE_PTR(v);
	r = 0;
fail:
	modctx_done(&m);
	stack_done(&s);
	facts_done(&f);
	rsc_fstab_free(fstab, n_fstab);
	rsc_crypttab_free(crypttab, n_crypttab);
	rsc_verify_result_free(v);
	return r;
}

/* ---- the stack alone, for diagnose ---- */

void root_stack_summary_done(struct root_stack_summary *s) {
	free(s->description);
	free(s->root_spec);
	*s = (struct root_stack_summary){ 0 };
}

int root_stack_summary(rsc_context *ctx, int rootfd, bool devices, struct root_stack_summary *ret) {
	_cleanup_free_ char *fstab_text = NULL, *crypttab_text = NULL;
	struct rsc_fstab_entry *fstab = NULL;
	struct rsc_crypttab_entry *crypttab = NULL;
	size_t n_fstab = 0, n_crypttab = 0;
	struct stack s = { 0 };
	int r = read_file_in_root(rootfd, "etc/fstab", READ_FILE_MAX, &fstab_text, NULL);
	if (r < 0)
		return r == -ENOMEM ? r : -ENOENT;
	if ((r = rsc_fstab_parse(ctx, fstab_text, "etc/fstab", &fstab, &n_fstab)) < 0)
		return r;
	if (read_file_in_root(rootfd, "etc/crypttab", READ_FILE_MAX, &crypttab_text, NULL) >= 0 &&
	    (r = rsc_crypttab_parse(ctx, crypttab_text, "etc/crypttab", &crypttab, &n_crypttab)) < 0)
		goto out;
	const struct rsc_fstab_entry *root = NULL;
	for (size_t i = 0; i < n_fstab; i++)
		if (streq(fstab[i].target, "/"))
			root = &fstab[i];
	r = root ? analyse_root(ctx, rootfd, root, crypttab, n_crypttab, devices, &s) : -ENOENT;
	if (r < 0)
		goto out;
	struct root_stack_summary m = {
		.luks = s.luks && !s.luks_assumed,
		.lvm = s.lvm,
		/* The verifier does not follow MD; its device names are
		 * evidence enough (/dev/md0, /dev/md/root). */
		.md = startswith(root->spec, "/dev/md") != NULL,
		.description = strdup(s.description),
		.root_spec = strdup(root->spec),
	};
	if (!m.description || !m.root_spec) {
		root_stack_summary_done(&m);
		r = -ENOMEM;
		goto out;
	}
	*ret = m;
	r = 0;
out:
	stack_done(&s);
	rsc_fstab_free(fstab, n_fstab);
	rsc_crypttab_free(crypttab, n_crypttab);
	return r;
}
