/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * rescue initramfs ls|cat|extract|verify: thin front-end over the
 * library's reader and verifier. Listings stream as the image is read, so
 * memory stays bounded whatever the image holds.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "cli.h"
#include "macro.h"
#include "rescue/initramfs.h"

static const char usage[] =
	"Usage: rescue initramfs ls IMAGE [--plain|--json]\n"
	"       rescue initramfs cat IMAGE PATH\n"
	"       rescue initramfs extract IMAGE DIR\n"
	"       rescue initramfs verify IMAGE --root DIR [--kver K] [--json]\n\n"
	"Read an initramfs as the kernel does (cpio newc/crc, gzip, zstd, xz, lzma,\n"
	"lz4 legacy, bzip2, lzo, any number of segments, or a UKI's .initrd).\n\n"
	"  ls       list every member and summarise the segments\n"
	"  cat      write one member's contents to standard output\n"
	"  extract  unpack into DIR (never writes outside it)\n"
	"  verify   decide whether IMAGE can mount the installed root DIR\n\n"
	"Options:\n"
	"  --plain      ls: one path per line, nothing else\n"
	"  --json       machine-readable output\n"
	"  --root DIR   verify: the installed system's root directory\n"
	"  --kver K     verify: the kernel version the image is for\n\n"
	"Exit codes: 0 ok, 5 unreadable or corrupt image, 7 verify: cannot boot.\n";

enum {
	OPT_PLAIN = OPT_VERB_BASE,
	OPT_ROOT,
	OPT_KVER,
};

static const struct option options[] = {
	{ "plain", no_argument, NULL, OPT_PLAIN },
	{ "root", required_argument, NULL, OPT_ROOT },
	{ "kver", required_argument, NULL, OPT_KVER },
	{},
};

struct args {
	bool plain;
	const char *root;
	const char *kver;
	const char *pos[3];
	int n_pos;
};

static int parse_args(struct cli *cli, int argc, char **argv, struct args *a) {
	for (;;) {
		int c = cli_getopt(cli, argc, argv, "+", options, usage); /* positionals handled below */
		switch (c) {
		case OPT_PLAIN:
			a->plain = true;
			continue;
		case OPT_ROOT:
			a->root = optarg;
			continue;
		case OPT_KVER:
			a->kver = optarg;
			continue;
		case -1:
			break;
		default:
			fprintf(stderr, "Try 'rescue initramfs --help'.\n");
			return -EINVAL;
		}
		if (optind >= argc)
			return 0;
		/* Positional arguments may sit between options. */
		if (a->n_pos == (int)ELEMENTSOF(a->pos)) {
			cli_usage_error("initramfs", "too many arguments");
			return -EINVAL;
		}
		a->pos[a->n_pos++] = argv[optind++];
	}
}

/* ---- JSON output, streamed ---- */

static void json_string(FILE *f, const char *s) {
	fputc('"', f);
	for (const unsigned char *p = (const unsigned char *)s; p && *p; p++) {
		if (*p == '"' || *p == '\\')
			fprintf(f, "\\%c", *p);
		else if (*p < 0x20 || *p == 0x7f)
			fprintf(f, "\\u%04x", *p);
		else
			fputc(*p, f);
	}
	fputc('"', f);
}

/* ---- ls ---- */

struct ls_state {
	struct cli *cli;
	bool plain;
	bool json;
	unsigned n;
	int last_segment;
};

static void mode_string(uint32_t mode, char buf[11]) {
	static const char types[] = "?pc?d?b?-?l?s???";
	buf[0] = types[(mode >> 12) & 0xf];
	const char *rwx = "rwxrwxrwx";
	for (int i = 0; i < 9; i++)
		buf[1 + i] = mode & (1u << (8 - i)) ? rwx[i] : '-';
	if (mode & S_ISUID)
		buf[3] = buf[3] == 'x' ? 's' : 'S';
	if (mode & S_ISGID)
		buf[6] = buf[6] == 'x' ? 's' : 'S';
	if (mode & S_ISVTX)
		buf[9] = buf[9] == 'x' ? 't' : 'T';
	buf[10] = 0;
}

static void print_segment_header(rsc_initramfs *img, unsigned index) {
	size_t n;
	const struct rsc_initramfs_segment *s = rsc_initramfs_segments(img, &n);
	if (index >= n)
		return;
	printf("== segment %u: %s, at offset %llu\n", index,
	       s[index].compression == RSC_COMPRESSION_NONE ? "uncompressed cpio" : rsc_compression_to_string(s[index].compression),
	       (unsigned long long)s[index].offset);
}

static int ls_entry(rsc_initramfs *img, const struct rsc_initramfs_entry *e, void *userdata) {
	struct ls_state *st = userdata;

	if (st->plain) {
		puts(e->path);
		return 0;
	}
	if (st->json) {
		fputs(st->n++ ? ",\n    {" : "\n    {", stdout);
		fputs("\"path\":", stdout);
		json_string(stdout, e->path);
		printf(",\"mode\":%u,\"uid\":%u,\"gid\":%u,\"size\":%llu,\"mtime\":%u,\"segment\":%u", e->mode, e->uid,
		       e->gid, (unsigned long long)e->size, e->mtime, e->segment);
		if (e->link_target) {
			fputs(",\"target\":", stdout);
			json_string(stdout, e->link_target);
		}
		fputc('}', stdout);
		return 0;
	}

	if ((int)e->segment != st->last_segment) {
		print_segment_header(img, e->segment);
		st->last_segment = (int)e->segment;
	}
	char mode[11], when[32];
	mode_string(e->mode, mode);
	time_t t = e->mtime;
	struct tm tm;
	strftime(when, sizeof(when), "%Y-%m-%d %H:%M", gmtime_r(&t, &tm));
	if (S_ISCHR(e->mode) || S_ISBLK(e->mode))
		printf("%s %3u %-6u %-6u %5u, %5u %s %s\n", mode, e->nlink, e->uid, e->gid, e->rdev_major,
		       e->rdev_minor, when, e->path);
	else
		printf("%s %3u %-6u %-6u %12llu %s %s%s%s\n", mode, e->nlink, e->uid, e->gid,
		       (unsigned long long)e->size, when, e->path, e->link_target ? " -> " : "",
		       e->link_target ? e->link_target : "");
	return 0;
}

static void print_summary(rsc_initramfs *img, const char *path, bool json) {
	size_t n;
	const struct rsc_initramfs_segment *s = rsc_initramfs_segments(img, &n);
	const char *squashed = rsc_initramfs_squashed(img);

	if (json) {
		fputs("\n  ],\n  \"segments\": [", stdout);
		for (size_t i = 0; i < n; i++)
			printf("%s\n    {\"index\":%u,\"offset\":%llu,\"length\":%llu,\"compression\":\"%s\","
			       "\"uncompressed\":%llu,\"archives\":%u,\"entries\":%u,\"early_microcode\":%s}",
			       i ? "," : "", s[i].index, (unsigned long long)s[i].offset,
			       (unsigned long long)s[i].length, rsc_compression_to_string(s[i].compression),
			       (unsigned long long)s[i].uncompressed, s[i].n_archives, s[i].n_entries,
			       s[i].early_microcode ? "true" : "false");
		printf("\n  ],\n  \"uki\": %s,\n  \"squashed\": ", rsc_initramfs_is_uki(img) ? "true" : "false");
		if (squashed)
			json_string(stdout, squashed);
		else
			fputs("null", stdout);
		fputs(",\n  \"error\": ", stdout);
		if (rsc_initramfs_error(img))
			json_string(stdout, rsc_initramfs_error(img));
		else
			fputs("null", stdout);
		fputs("\n}\n", stdout);
		return;
	}

	printf("\nImage: %s%s\n", path, rsc_initramfs_is_uki(img) ? " (UKI: the .initrd section)" : "");
	printf("%-4s %12s %12s %-6s %14s %8s %8s  %s\n", "seg", "offset", "length", "comp", "cpio bytes",
	       "archives", "entries", "notes");
	unsigned total = 0;
	for (size_t i = 0; i < n; i++) {
		total += s[i].n_entries;
		printf("%-4u %12llu %12llu %-6s %14llu %8u %8u  %s%s\n", s[i].index, (unsigned long long)s[i].offset,
		       (unsigned long long)s[i].length, rsc_compression_to_string(s[i].compression),
		       (unsigned long long)s[i].uncompressed, s[i].n_archives, s[i].n_entries,
		       s[i].early_microcode ? "early microcode" : "",
		       s[i].early_cpio_marker && !s[i].early_microcode ? "early cpio" : "");
	}
	printf("%zu segment%s, %u entries\n", n, n == 1 ? "" : "s", total);
	if (squashed)
		printf("Squashed: the real root lives in %s (a squashfs/erofs image); its contents are not listed.\n",
		       squashed);
}

static int open_image(struct cli *cli, const char *path, rsc_initramfs **ret) {
	int r = rsc_initramfs_open(cli->ctx, path, ret);
	if (r < 0) {
		fprintf(stderr, "rescue initramfs: cannot open %s: %s\n", path, rsc_strerror(r));
		return r == -ENOMEM ? EXIT_FAILURE_ : EXIT_BAD_INPUT;
	}
	return 0;
}

static int walk_failed(rsc_initramfs *img, int r) {
	const char *msg = rsc_initramfs_error(img);
	if (msg)
		fprintf(stderr, "rescue initramfs: %s\n", msg);
	else
		fprintf(stderr, "rescue initramfs: %s\n", rsc_strerror(r));
	return r == -EBADMSG || r == -E2BIG || r == -EIO ? EXIT_BAD_INPUT : cli_exit_code(r);
}

static int do_ls(struct cli *cli, struct args *a) {
	rsc_initramfs *img;
	int ec = open_image(cli, a->pos[1], &img);
	if (ec)
		return ec;
	struct ls_state st = { .cli = cli, .plain = a->plain, .json = cli->json && !a->plain, .last_segment = -1 };
	if (st.json) {
		fputs("{\n  \"image\": ", stdout);
		json_string(stdout, a->pos[1]);
		fputs(",\n  \"entries\": [", stdout);
	}
	int r = rsc_initramfs_walk(img, ls_entry, NULL, &st);
	if (!a->plain)
		print_summary(img, a->pos[1], st.json);
	fflush(stdout);
	ec = r < 0 ? walk_failed(img, r) : EXIT_OK;
	rsc_initramfs_free(img);
	return ec;
}

static int do_cat(struct cli *cli, struct args *a) {
	rsc_initramfs *img;
	int ec = open_image(cli, a->pos[1], &img);
	if (ec)
		return ec;
	int r = rsc_initramfs_cat(img, a->pos[2], STDOUT_FILENO);
	if (r == -ENOENT)
		fprintf(stderr, "rescue initramfs: %s: no member %s\n", a->pos[1], a->pos[2]);
	else if (r == -EISDIR || r == -ENODEV)
		fprintf(stderr, "rescue initramfs: %s: %s is not a regular file\n", a->pos[1], a->pos[2]);
	else if (r < 0)
		ec = walk_failed(img, r);
	if (r < 0 && !ec)
		ec = EXIT_BAD_INPUT;
	rsc_initramfs_free(img);
	return ec;
}

static int do_extract(struct cli *cli, struct args *a) {
	if (mkdir(a->pos[2], 0755) < 0 && errno != EEXIST) {
		fprintf(stderr, "rescue initramfs: cannot create %s: %m\n", a->pos[2]);
		return EXIT_FAILURE_;
	}
	int dirfd = open(a->pos[2], O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dirfd < 0) {
		fprintf(stderr, "rescue initramfs: cannot open %s: %m\n", a->pos[2]);
		return EXIT_FAILURE_;
	}
	rsc_initramfs *img;
	int ec = open_image(cli, a->pos[1], &img);
	if (ec) {
		close(dirfd);
		return ec;
	}
	int r = rsc_initramfs_extract(img, dirfd);
	if (r < 0 && !rsc_initramfs_error(img) && r != -EBADMSG) {
		fprintf(stderr, "rescue initramfs: extracting into %s: %s\n", a->pos[2], rsc_strerror(r));
		ec = EXIT_FAILURE_;
	} else if (r < 0)
		ec = walk_failed(img, r);
	else if (r > 0) {
		fprintf(stderr, "rescue initramfs: some members were refused (unsafe names or parents); the rest is in %s\n",
			a->pos[2]);
		ec = EXIT_PARTIAL;
	}
	rsc_initramfs_free(img);
	close(dirfd);
	return ec;
}

static const char *const kind_names[] = {
	[RSC_REQ_MODULE_TREE] = "modules", [RSC_REQ_COMPRESSION] = "compression", [RSC_REQ_MODULE] = "module",
	[RSC_REQ_TOOL] = "tool",           [RSC_REQ_CONFIG] = "config",           [RSC_REQ_CMDLINE] = "cmdline",
	[RSC_REQ_FORMAT] = "format",
};

static int do_verify(struct cli *cli, struct args *a) {
	if (!a->root) {
		cli_usage_error("initramfs verify", "--root DIR is required");
		return EXIT_USAGE;
	}
	rsc_initramfs *img;
	int ec = open_image(cli, a->pos[1], &img);
	if (ec)
		return ec;
	struct rsc_verify_result *v = NULL;
	int r = rsc_initramfs_verify(cli->ctx, img, a->root, a->kver, &v);
	rsc_initramfs_free(img);
	if (r < 0) {
		fprintf(stderr, "rescue initramfs verify: %s\n", rsc_strerror(r));
		return cli_exit_code(r);
	}

	if (cli->json) {
		fputs("{\n  \"image\": ", stdout);
		json_string(stdout, a->pos[1]);
		fputs(",\n  \"root\": ", stdout);
		json_string(stdout, a->root);
		fputs(",\n  \"kver\": ", stdout);
		json_string(stdout, v->kver);
		fputs(",\n  \"generator\": ", stdout);
		json_string(stdout, v->generator);
		fputs(",\n  \"root_device\": ", stdout);
		json_string(stdout, v->root_spec);
		fputs(",\n  \"stack\": ", stdout);
		json_string(stdout, v->stack);
		printf(",\n  \"bootable\": %s,\n  \"requirements\": [", v->bootable ? "true" : "false");
		for (size_t i = 0; i < v->n_requirements; i++) {
			const struct rsc_requirement *q = &v->requirements[i];
			printf("%s\n    {\"kind\":\"%s\",\"name\":", i ? "," : "", kind_names[q->kind]);
			json_string(stdout, q->name);
			printf(",\"present\":%s,\"optional\":%s,\"explanation\":", q->present ? "true" : "false",
			       q->optional ? "true" : "false");
			json_string(stdout, q->explanation);
			fputc('}', stdout);
		}
		fputs("\n  ]\n}\n", stdout);
	} else {
		printf("Image:     %s (%s)\n", a->pos[1], v->generator);
		printf("Root:      %s (%s) in %s\n", strna(v->root_spec), strna(v->root_fstype), a->root);
		printf("Kernel:    %s\n", strna(v->kver));
		printf("Stack:     %s\n\n", strna(v->stack));
		unsigned missing = 0;
		for (size_t i = 0; i < v->n_requirements; i++) {
			const struct rsc_requirement *q = &v->requirements[i];
			const char *state = q->present ? "present" : q->optional ? "absent" : "MISSING";
			if (!q->present && !q->optional)
				missing++;
			printf("  %-8s %-12s %-24s %s\n", state, kind_names[q->kind], q->name, strempty(q->explanation));
		}
		if (v->bootable)
			printf("\nVerdict: this image can mount this root.\n");
		else
			printf("\nVerdict: this image cannot mount this root (%u requirement%s missing).\n", missing,
			       missing == 1 ? "" : "s");
	}
	ec = v->bootable ? EXIT_OK : EXIT_NOT_BOOTABLE;
	rsc_verify_result_free(v);
	return ec;
}

int verb_initramfs(struct cli *cli, int argc, char **argv) {
	struct args a = { 0 };
	if (parse_args(cli, argc, argv, &a) < 0)
		return EXIT_USAGE;
	int r = cli_setup(cli);
	if (r < 0) {
		fprintf(stderr, "rescue initramfs: %s\n", rsc_strerror(r));
		return EXIT_FAILURE_;
	}
	if (a.n_pos < 1) {
		cli_usage_error("initramfs", "missing command: ls, cat, extract or verify");
		return EXIT_USAGE;
	}
	static const struct {
		const char *name;
		int n_args;
		int (*run)(struct cli *cli, struct args *a);
	} subverbs[] = {
		{ "ls", 1, do_ls },
		{ "cat", 2, do_cat },
		{ "extract", 2, do_extract },
		{ "verify", 1, do_verify },
	};
	for (size_t i = 0; i < ELEMENTSOF(subverbs); i++) {
		if (!streq(a.pos[0], subverbs[i].name))
			continue;
		if (a.n_pos - 1 != subverbs[i].n_args) {
			cli_usage_error("initramfs", "%s takes %s", subverbs[i].name,
					subverbs[i].n_args == 1 ? "IMAGE" : i == 1 ? "IMAGE PATH" : "IMAGE DIR");
			return EXIT_USAGE;
		}
		return subverbs[i].run(cli, &a);
	}
	cli_usage_error("initramfs", "unknown command '%s'", a.pos[0]);
	return EXIT_USAGE;
}
