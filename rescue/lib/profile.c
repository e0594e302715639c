/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Distribution profiles: per-family knowledge as data (profiles/NAME.conf),
 * "key = value" lines. The binary carries a copy of every profile; a
 * profile directory given on the command line replaces them.
 */
#include <dirent.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>

#include "fileio.h"
#include "profile.h"
#include "scan-internal.h"
#include "strv.h"

struct rsc_embedded_profile {
	const char *name;
	const char *text;
};
extern const struct rsc_embedded_profile rsc_embedded_profiles[];

/* Every key a profile may set; others are reported. */
static const char *const profile_keys[] = {
	"description", "ids", "generator", "initramfs", "rebuild_dracut", "rebuild_initramfs_tools",
	"rebuild_mkinitcpio", "grub_mkconfig", "grub_cfg_bios", "grub_cfg_efi", "esp_stub", "bls",
	"relabel", "kernel_package", "grub_install_bios", "grub_install_efi", "grub_install_efi_signed",
	"grub_install_efi_unsigned", "grub_install_efi_removable", "efi_loader_reinstall",
};

void profile_free(struct profile *p) {
	if (!p)
		return;
	free(p->name);
	strv_free(p->keys);
	free(p);
}

const char *profile_get(const struct profile *p, const char *key) {
	return rsc_env_get(p->keys, key);
}

int profile_parse(rsc_context *ctx, const char *name, const char *text, struct profile **ret) {
	_cleanup_(profile_freep) struct profile *p = calloc(1, sizeof(*p));
	if (!p || !(p->name = strdup(name)))
		return -ENOMEM;
	unsigned lineno = 0;
	for (const char *s = text; *s;) {
		size_t len = strcspn(s, "\n");
		_cleanup_free_ char *line = strndup(s, len);
		s += len + (s[len] == '\n');
		lineno++;
		if (!line)
			return -ENOMEM;
		char *k = line + strspn(line, " \t");
		if (!*k || *k == '#')
			continue;
		char *eq = strchr(k, '=');
		if (!eq) {
			log_warning(ctx, "profile %s:%u: not 'key = value', ignored", name, lineno);
			continue;
		}
		char *ke = eq;
		while (ke > k && (ke[-1] == ' ' || ke[-1] == '\t'))
			ke--;
		*ke = 0;
		char *v = eq + 1;
		v += strspn(v, " \t");
		size_t vl = strlen(v);
		while (vl && (v[vl - 1] == ' ' || v[vl - 1] == '\t' || v[vl - 1] == '\r'))
			v[--vl] = 0;
		bool known = false;
		for (size_t i = 0; i < ELEMENTSOF(profile_keys); i++)
			known = known || streq(k, profile_keys[i]);
		if (!known) {
			log_warning(ctx, "profile %s:%u: unknown key '%s', ignored", name, lineno, k);
			continue;
		}
		_cleanup_free_ char *kv = NULL;
		if (asprintf(&kv, "%s=%s", k, v) < 0 || strv_push(&p->keys, kv) < 0)
			return -ENOMEM;
		kv = NULL;
	}
	if (!profile_get(p, "ids"))
		log_warning(ctx, "profile %s has no 'ids': it matches nothing", name);
	*ret = TAKE_PTR(p);
	return 0;
}

static int cmp_names(const void *a, const void *b) {
	return strcmp(*(char *const *)a, *(char *const *)b);
}

int profile_load_all(rsc_context *ctx, struct profile ***ret, size_t *ret_n) {
	struct profile **list = NULL;
	size_t n = 0;
	int r = 0;
	const char *dir = ctx->profile_dir;

	if (!dir) {
		for (const struct rsc_embedded_profile *e = rsc_embedded_profiles; e->name && r >= 0; e++) {
			struct profile *p;
			r = profile_parse(ctx, e->name, e->text, &p);
			struct profile **m = r >= 0 ? realloc(list, (n + 1) * sizeof(*m)) : NULL;
			if (r >= 0 && !m) {
				profile_free(p);
				r = -ENOMEM;
			} else if (r >= 0) {
				list = m;
				list[n++] = p;
			}
		}
	} else {
		DIR *d = opendir(dir);
		if (!d)
			return log_error_errno(ctx, errno, "Profile directory %s: %m", dir);
		_cleanup_strv_free_ char **names = NULL;
		struct dirent *de;
		while ((de = readdir(d))) {
			size_t l = strlen(de->d_name);
			if (l > 5 && streq(de->d_name + l - 5, ".conf") && strv_extend(&names, de->d_name) < 0)
				r = -ENOMEM;
		}
		closedir(d);
		/* In name order, so that when two profiles claim the same ID
		 * the outcome does not depend on the directory's order. */
		if (names)
			qsort(names, strv_length(names), sizeof(char *), cmp_names);
		_cleanup_close_ int dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		STRV_FOREACH(nm, names) {
			if (r < 0)
				break;
			_cleanup_free_ char *text = NULL, *base = strndup(*nm, strlen(*nm) - 5);
			if (!base) {
				r = -ENOMEM;
				break;
			}
			int q = read_file_in_root(dfd, *nm, 65536, &text, NULL);
			if (q < 0) {
				log_warning(ctx, "Profile %s/%s unreadable: %s; skipped", dir, *nm, rsc_strerror(q));
				continue;
			}
			struct profile *p;
			r = profile_parse(ctx, base, text, &p);
			struct profile **m = r >= 0 ? realloc(list, (n + 1) * sizeof(*m)) : NULL;
			if (r >= 0 && !m) {
				profile_free(p);
				r = -ENOMEM;
			} else if (r >= 0) {
				list = m;
				list[n++] = p;
			}
		}
	}
	if (r < 0) {
		profile_list_free(list, n);
		return r;
	}
	*ret = list;
	*ret_n = n;
	return 0;
}

void profile_list_free(struct profile **list, size_t n) {
	for (size_t i = 0; i < n; i++)
		profile_free(list[i]);
	free(list);
}

static bool ids_contain(const char *ids, const char *word) {
	_cleanup_strv_free_ char **l = NULL;
	return ids && strv_split(ids, " \t,", &l) >= 0 && strv_contains(l, word);
}

int profile_match(rsc_context *ctx, const char *id, const char *id_like, char **ret_name) {
	struct profile **list;
	size_t n;
	int r = profile_load_all(ctx, &list, &n);
	if (r < 0)
		return r;
	const char *found = NULL;
	/* ID first, then each ID_LIKE word in the order the file gives. */
	for (size_t i = 0; !found && id && i < n; i++)
		if (ids_contain(profile_get(list[i], "ids"), id))
			found = list[i]->name;
	_cleanup_strv_free_ char **like = NULL;
	if (!found && id_like && strv_split(id_like, " \t", &like) < 0) {
		profile_list_free(list, n);
		return -ENOMEM;
	}
	STRV_FOREACH(w, like)
		for (size_t i = 0; !found && i < n; i++)
			if (ids_contain(profile_get(list[i], "ids"), *w))
				found = list[i]->name;
	r = set_str(ret_name, found);
	profile_list_free(list, n);
	return r;
}
