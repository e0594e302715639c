/* SPDX-License-Identifier: GPL-2.0-or-later */
/* rescue scan: the storage graph and the installed systems, read-only. */
#include <inttypes.h>
#include <json-c/json.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "macro.h"
#include "rescue/scan.h"
#include "strv.h"

static const char scan_usage[] =
	"Usage: rescue scan [--image FILE]... [--root DIR] [--devices-only] [--json]\n\n"
	"Find disks, partitions, encrypted volumes, LVM and installed Linux systems.\n"
	"Read-only: filesystems are looked at through read-only loop devices with\n"
	"journal replay disabled, in a private mount namespace, and released after.\n\n"
	"  --image FILE     scan this disk image instead of the machine's disks (repeatable)\n"
	"  --root DIR       identify the system installed in directory DIR\n"
	"  --devices-only   list devices; do not mount anything to look for systems\n"
	"  --json           JSON output (schema: docs/scan-json.md)\n\n"
	"Exit: 0 systems found, 3 none found, 4 some inputs could not be examined,\n"
	"      5 bad input, 6 needs root (see docs/exit-codes.md).\n";

static void human_size(uint64_t b, char *buf, size_t len) {
	static const char *const units[] = { "B", "K", "M", "G", "T", "P" };
	double v = (double)b;
	size_t u = 0;
	while (v >= 1024 && u + 1 < ELEMENTSOF(units)) {
		v /= 1024;
		u++;
	}
	snprintf(buf, len, u == 0 ? "%.0f%s" : v < 10 ? "%.1f%s" : "%.0f%s", v, units[u]);
}

static int device_depth(const struct rsc_scan *scan, int idx) {
	int depth = 0;
	for (int p = scan->devices[idx].parent; p >= 0 && depth < 16; p = scan->devices[p].parent)
		depth++;
	return depth;
}

/* Width of the name column: the longest indented name. */
static int name_width(const struct rsc_scan *scan) {
	int w = 10;
	for (size_t i = 0; i < scan->n_devices; i++) {
		int l = 2 * device_depth(scan, (int)i) + (int)strlen(scan->devices[i].name);
		if (l > w)
			w = l;
	}
	return w;
}

static void print_device(const struct rsc_scan *scan, int idx, const char *prefix, bool last, bool top) {
	const struct rsc_device *d = &scan->devices[idx];
	char size[16], label[512];
	human_size(d->size, size, sizeof(size));
	snprintf(label, sizeof(label), "%s%s%s", prefix, top ? "" : last ? "`-" : "|-", d->name);
	printf("  %-*s  %-9s %6s", name_width(scan), label, rsc_device_kind_name(d->kind), size);
	if (d->table)
		printf("  %s", d->table);
	if (d->type) {
		printf("  %s", d->type);
		if (d->version && (streq(d->type, "crypto_LUKS")))
			printf(" v%s", d->version);
	}
	if (d->label)
		printf("  \"%s\"", d->label);
	if (d->uuid)
		printf("  UUID=%s", d->uuid);
	if (d->vg && d->kind != RSC_DEVICE_LV)
		printf("  VG %s", d->vg);
	if (d->state)
		printf("  [%s]", d->state);
	if (d->error)
		printf("  !! %s", d->error);
	printf("\n");

	char sub[256];
	snprintf(sub, sizeof(sub), "%s%s", prefix, top ? "" : last ? "  " : "| ");
	int lastchild = -1;
	for (size_t i = 0; i < scan->n_devices; i++)
		if (scan->devices[i].parent == idx)
			lastchild = (int)i;
	for (size_t i = 0; i < scan->n_devices; i++)
		if (scan->devices[i].parent == idx)
			print_device(scan, (int)i, sub, (int)i == lastchild, false);
}

static const char *devname(const struct rsc_scan *scan, int idx) {
	return idx >= 0 ? scan->devices[idx].name : NULL;
}

static void print_system(const struct rsc_scan *scan, const struct rsc_system *s) {
	char a[16], b[16];
	printf("  %s: %s\n", s->id, s->pretty_name);
	if (s->root_dir)
		printf("    root         %s (directory)\n", s->root_dir);
	else
		printf("    root         %s (%s)%s%s\n", devname(scan, s->root_device),
		       strna(scan->devices[s->root_device].type), s->subvol ? ", subvolume " : "", strempty(s->subvol));
	printf("    profile      %s\n", s->profile ? s->profile : "none matches (os-release ID/ID_LIKE unknown)");
	if (s->boot_device >= 0)
		printf("    /boot        %s\n", devname(scan, s->boot_device));
	if (s->esp_device >= 0)
		printf("    ESP          %s\n", devname(scan, s->esp_device));
	for (size_t i = 0; i < s->n_kernels; i++) {
		const struct rsc_kernel *k = &s->kernels[i];
		human_size(k->image_size, a, sizeof(a));
		human_size(k->initramfs_size, b, sizeof(b));
		printf("    kernel       %-24s image %s, initramfs %s, modules %s\n", k->version,
		       k->image ? a : "MISSING", k->initramfs ? b : "MISSING", k->has_modules ? "yes" : "MISSING");
	}
	printf("    boot loader  %s", s->bootloader ? s->bootloader : "none found");
	if (s->grub_cfg)
		printf(", %s", s->grub_cfg);
	if (s->bls)
		printf(", BLS entries");
	if (s->n_entries)
		printf(", %zu entr%s", s->n_entries, s->n_entries == 1 ? "y" : "ies");
	printf("\n");
	if (s->esp_grub_cfg)
		printf("    ESP config   %s (%s%s%s)\n", s->esp_grub_cfg, strna(s->esp_grub_cfg_kind),
		       s->esp_stub_uuid ? ", loads UUID " : "", strempty(s->esp_stub_uuid));
	printf("    generator    %s\n", s->generator ? s->generator : "none found");
	if (s->selinux)
		printf("    SELinux      %s, policy %s%s\n", s->selinux, strna(s->selinux_type),
		       s->selinux_policy ? "" : " (policy files missing)");
	for (size_t i = 0; i < s->n_fstab; i++)
		printf("    fstab        %-44s %-10s -> %s\n", s->fstab[i].spec, s->fstab[i].target,
		       s->fstab_device[i] >= 0 ? devname(scan, s->fstab_device[i]) :
		       streq(s->fstab[i].fstype, "swap") || s->fstab[i].spec[0] != '/' ? "not found" : "not found");
	for (size_t i = 0; i < s->n_crypttab; i++)
		printf("    crypttab     %-20s %-23s -> %s\n", s->crypttab[i].name, s->crypttab[i].device,
		       s->crypttab_device[i] >= 0 ? devname(scan, s->crypttab_device[i]) : "not found");
	STRV_FOREACH(n, s->notes)
		printf("    note         %s\n", *n);
}

int verb_scan(struct cli *cli, int argc, char **argv) {
	enum { OPT_ROOT = OPT_VERB_BASE, OPT_DEVICES_ONLY };
	static const struct option options[] = {
		{ "root", required_argument, NULL, OPT_ROOT },
		{ "devices-only", no_argument, NULL, OPT_DEVICES_ONLY },
		{},
	};
	struct rsc_scan_options opts = { 0 };
	int c;
	while ((c = cli_getopt(cli, argc, argv, NULL, options, scan_usage)) != -1)
		switch (c) {
		case OPT_ROOT:
			opts.root_dir = optarg;
			break;
		case OPT_DEVICES_ONLY:
			opts.no_identify = true;
			break;
		default:
			fprintf(stderr, "Try 'rescue scan --help'.\n");
			return EXIT_USAGE;
		}
	if (optind < argc) {
		cli_usage_error("scan", "unexpected argument '%s'", argv[optind]);
		return EXIT_USAGE;
	}
	if (opts.root_dir && cli->images) {
		cli_usage_error("scan", "--root and --image exclude each other");
		return EXIT_USAGE;
	}
	int r = cli_setup(cli);
	if (r < 0)
		return cli_exit_code(r);
	opts.images = cli->images;

	struct rsc_scan *scan = NULL;
	r = rsc_scan_run(cli->ctx, &opts, &scan);
	if (r < 0 && r != -RSC_ERR_NOT_ROOT) {
		fprintf(stderr, "rescue scan: %s\n", rsc_strerror(r));
		return cli_exit_code(r);
	}
	if (!scan) {
		/* Not root: the library stopped after discovery; show what it
		 * found by scanning devices only. */
		opts.no_identify = true;
		if (rsc_scan_run(cli->ctx, &opts, &scan) < 0 || !scan)
			return EXIT_NOT_ROOT;
		r = -RSC_ERR_NOT_ROOT;
	}

	if (cli->json) {
		json_object *j = NULL;
		int q = rsc_scan_to_json(scan, &j);
		if (q < 0) {
			rsc_scan_free(scan);
			fprintf(stderr, "rescue scan: %s\n", rsc_strerror(q));
			return EXIT_FAILURE_;
		}
		puts(json_object_to_json_string_ext(j, JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_NOSLASHESCAPE));
		json_object_put(j);
	} else {
		if (scan->n_devices) {
			printf("Devices\n");
			for (size_t i = 0; i < scan->n_devices; i++)
				if (scan->devices[i].parent < 0)
					print_device(scan, (int)i, "", true, true);
		}
		if (scan->n_vgs) {
			printf("\nLVM volume groups\n");
			for (size_t i = 0; i < scan->n_vgs; i++) {
				_cleanup_free_ char *pvs = strv_join(scan->vgs[i].pvs, ", ");
				_cleanup_free_ char *lvs = strv_join(scan->vgs[i].lvs, ", ");
				printf("  %-12s PVs: %s; LVs: %s\n", scan->vgs[i].name, strna(pvs), strna(lvs));
			}
		}
		if (scan->n_systems) {
			printf("\nInstalled systems\n");
			for (size_t i = 0; i < scan->n_systems; i++)
				print_system(scan, &scan->systems[i]);
		} else if (!opts.no_identify && r != -RSC_ERR_NOT_ROOT) {
			printf("%sNo installed Linux system found %s.\n", scan->n_devices ? "\n" : "",
			       opts.root_dir ? "in that directory" : cli->images ? "in the given images" :
			       "on this machine's disks");
			bool locked = false;
			for (size_t i = 0; i < scan->n_devices; i++)
				locked = locked || scan->devices[i].status == RSC_DEVICE_LOCKED;
			if (locked)
				printf("Encrypted volumes are locked: a system may be inside one.\n");
			else if (!opts.root_dir && !cli->images)
				printf("If a disk is missing from the list above, check its cable or controller driver.\n");
		}
	}

	int code;
	if (r == -RSC_ERR_NOT_ROOT)
		code = EXIT_NOT_ROOT;
	else if (opts.no_identify)
		code = scan->n_problems ? EXIT_PARTIAL : EXIT_OK;
	else if (scan->n_systems == 0)
		code = scan->n_problems && cli->images && scan->n_devices == 0 ? EXIT_BAD_INPUT : EXIT_NO_SYSTEM;
	else
		code = scan->n_problems ? EXIT_PARTIAL : EXIT_OK;
	rsc_scan_free(scan);
	return code;
}
