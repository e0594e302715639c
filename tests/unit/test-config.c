/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Configuration read the way the tools read it: shell assignments with +=
 * chained over files (rescue/parse.h), the kernel command line and its
 * defaults (cmdline.h), the generators' configuration (genconf.h); and
 * diagnose holding them against the devices (a scan made up here, over the
 * fixture roots tests/fixtures/roots/debian-*), with negative controls. */
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "cmdline.h"
#include "confedit.h"
#include "efiboot.h"
#include "genconf.h"
#include "macro.h"
#include "rescue/diagnose.h"
#include "rescue/initramfs.h"
#include "rescue/parse.h"
#include "rescue/repair.h"
#include "rescue/scan.h"
#include "strv.h"

#define ROOTS FIXTURES "/roots"

static rsc_context *ctx;
static char logbuf[1 << 15];
static size_t loglen;

static void capture(void *userdata, int level, const char *message) {
	int k = snprintf(logbuf + loglen, sizeof(logbuf) - loglen, "<%d>%s\n", level, message);
	if (k > 0 && (size_t)k < sizeof(logbuf) - loglen)
		loglen += (size_t)k;
}

static int setup(void **state) {
	/* No firmware boot entries unless a test gives some: a test machine
	 * booted through UEFI must not lend its own. */
	setenv("RESCUE_EFIVARS_DIR", "/nonexistent", 1);
	int r = rsc_context_new(&ctx);
	if (r < 0)
		return r;
	rsc_context_set_log(ctx, capture, NULL);
	return 0;
}
static int teardown(void **state) {
	rsc_context_free(ctx);
	return 0;
}
static int reset(void **state) {
	logbuf[0] = 0;
	loglen = 0;
	return 0;
}

static int open_root(const char *name) {
	char p[512];
	snprintf(p, sizeof(p), ROOTS "/%s", name);
	int fd = open(p, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	assert_true(fd >= 0);
	return fd;
}

/* A scratch root: files given as path, text pairs. */
static char *scratch_root(const char *const *files) {
	char *dir = strdup("/tmp/rescue-test-config.XXXXXX");
	assert_non_null(dir);
	assert_non_null(mkdtemp(dir));
	for (const char *const *f = files; f[0]; f += 2) {
		char p[1024];
		snprintf(p, sizeof(p), "%s%s", dir, f[0]);
		for (char *s = strchr(p + strlen(dir) + 1, '/'); s; s = strchr(s + 1, '/')) {
			*s = 0;
			mkdir(p, 0755);
			*s = '/';
		}
		FILE *o = fopen(p, "we");
		assert_non_null(o);
		fputs(f[1], o);
		fclose(o);
	}
	return dir;
}

static void remove_root(char *dir) {
	char cmd[600];
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	assert_int_equal(system(cmd), 0);
	free(dir);
}

/* ---- shell assignments ---- */

static void test_assignments_chain(void **state) {
	char **env = NULL;
	struct rsc_assignment *a = NULL;
	size_t n = 0;
	assert_int_equal(rsc_assignments_parse(ctx, "# main\nadd_dracutmodules+=\" lvm \"\nhostonly=\"yes\"\n",
					       "/etc/dracut.conf", &env, &a, &n), 0);
	assert_int_equal(rsc_assignments_parse(ctx, "add_dracutmodules+=\" crypt \"\nX=$hostonly-${hostonly}\n"
					       "hostonly=no # later wins\n", "/etc/dracut.conf.d/a.conf", &env, &a, &n), 0);
	assert_int_equal(n, 5);
	assert_string_equal(rsc_env_get(env, "add_dracutmodules"), " lvm  crypt ");
	assert_string_equal(rsc_env_get(env, "hostonly"), "no");
	/* $VAR sees what an earlier file set. */
	assert_string_equal(rsc_env_get(env, "X"), "yes-yes");
	assert_string_equal(a[0].key, "add_dracutmodules");
	assert_true(a[0].append);
	assert_int_equal(a[0].line, 2);
	assert_string_equal(a[0].file, "/etc/dracut.conf");
	assert_string_equal(a[2].text, " crypt ");
	assert_string_equal(a[2].value, " lvm  crypt ");
	assert_string_equal(a[2].file, "/etc/dracut.conf.d/a.conf");
	assert_int_equal(a[4].line, 3);
	assert_false(a[4].append);
	rsc_assignments_free(a, n);
	strv_free(env);

	/* KEY+= means nothing in os-release and the like: still a bad line. */
	char **e2 = NULL;
	assert_int_equal(rsc_envfile_parse(ctx, "A+=x\nB=y\n", "/etc/os-release", &e2), 0);
	assert_null(rsc_env_get(e2, "A"));
	assert_string_equal(rsc_env_get(e2, "B"), "y");
	strv_free(e2);
	assert_non_null(strstr(logbuf, "/etc/os-release:1"));
}

static void test_assignments_bad_lines(void **state) {
	char **env = NULL;
	struct rsc_assignment *a = NULL;
	size_t n = 0;
	/* Garbage, unterminated quotes, a bare '+': named and skipped. */
	assert_int_equal(rsc_assignments_parse(ctx, "+=x\nA+\"=1\"\nB=\"open\nC+=ok\n\x01\x02=\n", "f.conf", &env, &a,
					       &n), 0);
	assert_int_equal(n, 1);
	assert_string_equal(a[0].key, "C");
	assert_string_equal(a[0].value, "ok");
	assert_non_null(strstr(logbuf, "f.conf:1"));
	assert_non_null(strstr(logbuf, "f.conf:3"));
	rsc_assignments_free(a, n);
	strv_free(env);
	/* Appending past the value limit is refused, not grown without end. */
	char *big = malloc(70000);
	assert_non_null(big);
	strcpy(big, "A=\"");
	memset(big + 3, 'x', 60000);
	strcpy(big + 60003, "\"\nA+=\"$A\"\n");
	env = NULL, a = NULL, n = 0;
	assert_int_equal(rsc_assignments_parse(ctx, big, "big.conf", &env, &a, &n), 0);
	assert_int_equal(n, 1);
	assert_int_equal(strlen(rsc_env_get(env, "A")), 60000);
	rsc_assignments_free(a, n);
	strv_free(env);
	free(big);
}

/* ---- the kernel command line ---- */

static void test_cmdline_split(void **state) {
	struct cmdline c = { 0 };
	assert_int_equal(cmdline_add(&c, "BOOT_IMAGE=/vmlinuz root=UUID=a ro  quiet\troot=\"LABEL=my root\" "
				     "\"rd.lvm.lv=vg/root\" rd.lvm.lv=vg/swap resume= splash=\"a\"b\"", "grub.cfg", 7), 0);
	assert_int_equal(c.n, 9);
	const struct cmdline_param *p = cmdline_last(&c, "root");
	assert_non_null(p);
	/* The last root= is the one the kernel and dracut use. */
	assert_string_equal(p->value, "LABEL=my root");
	assert_string_equal(p->file, "grub.cfg");
	assert_int_equal(p->line, 7);
	assert_int_equal(cmdline_count(&c, "root"), 2);
	/* Words without '=' are flags, with no value. */
	assert_string_equal(c.params[2].key, "ro");
	assert_null(c.params[2].value);
	assert_null(cmdline_last(&c, "ro"));
	/* A whole quoted word loses its quotes; so does a quoted value. */
	p = cmdline_next(&c, "rd.lvm.lv", NULL);
	assert_string_equal(p->value, "vg/root");
	p = cmdline_next(&c, "rd.lvm.lv", p);
	assert_string_equal(p->value, "vg/swap");
	assert_null(cmdline_next(&c, "rd.lvm.lv", p));
	assert_string_equal(cmdline_last(&c, "resume")->value, "");
	/* Quotes inside a value stay, as the kernel keeps them. */
	assert_string_equal(cmdline_last(&c, "splash")->value, "a\"b");
	cmdline_done(&c);

	/* Empty, blank and unterminated input. */
	assert_int_equal(cmdline_add(&c, "", "x", 0), 0);
	assert_int_equal(cmdline_add(&c, " \t\n ", "x", 0), 0);
	assert_int_equal(c.n, 0);
	assert_int_equal(cmdline_add(&c, "root=\"/dev/x y", "x", 0), 0);
	assert_int_equal(c.n, 1);
	assert_string_equal(cmdline_last(&c, "root")->value, "/dev/x y");
	cmdline_done(&c);
}

static void test_cmdline_defaults_grub(void **state) {
	int fd = open_root("debian-cmdline-default");
	struct cmdline_defaults d = { 0 };
	assert_int_equal(cmdline_defaults_read(ctx, fd, &d), 0);
	assert_true(d.has_grub);
	assert_false(d.has_kernel);
	const struct cmdline_param *p = cmdline_last(&d.grub, "root");
	assert_non_null(p);
	/* grub.d/50-root.cfg appends to /etc/default/grub's value; the
	 * .dpkg-old file is not a .cfg and is never sourced. */
	assert_string_equal(p->value, "UUID=0badc0de-0000-4000-8000-000000000000");
	assert_string_equal(p->file, "/etc/default/grub.d/50-root.cfg");
	assert_int_equal(p->line, 2);
	/* GRUB_CMDLINE_LINUX_DEFAULT follows GRUB_CMDLINE_LINUX. */
	assert_string_equal(d.grub.params[d.grub.n - 1].key, "quiet");
	cmdline_defaults_done(&d);
	close(fd);
}

static void test_cmdline_defaults_kernel(void **state) {
	static const char *const files[] = {
		"/etc/kernel/cmdline", "# written by the installer\nroot=UUID=1111 ro\nrd.luks.uuid=luks-2222 root=UUID=3333\n",
		"/etc/default/grub.d/10-a.cfg", "GRUB_CMDLINE_LINUX_DEFAULT=\"root=/dev/mapper/a\"\n",
		"/etc/default/grub.d/20-b.cfg", "GRUB_CMDLINE_LINUX=\"root=/dev/mapper/b\"\n",
		NULL,
	};
	char *dir = scratch_root(files);
	int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	assert_true(fd >= 0);
	struct cmdline_defaults d = { 0 };
	assert_int_equal(cmdline_defaults_read(ctx, fd, &d), 0);
	assert_true(d.has_kernel);
	const struct cmdline_param *p = cmdline_last(&d.kernel, "root");
	assert_string_equal(p->value, "UUID=3333");
	assert_int_equal(p->line, 3);
	assert_int_equal(cmdline_count(&d.kernel, "root"), 2);
	/* No /etc/default/grub, but grub.d is read; _DEFAULT comes last on
	 * the linux line whatever the file order. */
	assert_true(d.has_grub);
	p = cmdline_last(&d.grub, "root");
	assert_string_equal(p->value, "/dev/mapper/a");
	assert_string_equal(p->file, "/etc/default/grub.d/10-a.cfg");
	cmdline_defaults_done(&d);
	close(fd);
	remove_root(dir);
}

/* ---- the generators' configuration ---- */

static void test_genconf_dracut(void **state) {
	int fd = open_root("debian-dracut-config");
	struct genconf c = { 0 };
	assert_int_equal(genconf_read(ctx, fd, "dracut", &c), 0);
	/* /etc/dracut.conf first; then the drop-ins of both directories by
	 * name, /etc's 01-dist.conf replacing /usr/lib's. */
	assert_int_equal(strv_length(c.files), 4);
	assert_string_equal(c.files[0], "/etc/dracut.conf");
	assert_string_equal(c.files[1], "/etc/dracut.conf.d/01-dist.conf");
	assert_string_equal(c.files[2], "/usr/lib/dracut/dracut.conf.d/10-debian.conf");
	assert_string_equal(c.files[3], "/etc/dracut.conf.d/90-slim.conf");
	const struct rsc_assignment *by = NULL;
	assert_string_equal(genconf_get(&c, "compress", &by), "zstd -q -T0");
	assert_string_equal(by->file, "/etc/dracut.conf.d/01-dist.conf");
	assert_int_equal(by->line, 3);
	assert_int_equal(genconf_compression(genconf_get(&c, genconf_compression_key(&c), NULL)), RSC_COMPRESSION_ZSTD);
	assert_string_equal(genconf_get(&c, "hostonly", NULL), "yes");
	assert_string_equal(genconf_get(&c, "add_drivers", NULL), " virtio_blk ");

	/* The omit list, and the line that put each module in it. */
	assert_int_equal(genconf_dracut_excludes(&c, "crypt", &by), 1);
	assert_string_equal(by->file, "/etc/dracut.conf.d/90-slim.conf");
	assert_int_equal(by->line, 4);
	assert_int_equal(genconf_dracut_excludes(&c, "lvm", &by), 1);
	assert_int_equal(by->line, 4);
	assert_int_equal(genconf_dracut_excludes(&c, "nfs", &by), 1);
	assert_int_equal(by->line, 2);
	assert_int_equal(genconf_dracut_excludes(&c, "plymouth", &by), 1);
	assert_string_equal(by->file, "/usr/lib/dracut/dracut.conf.d/10-debian.conf");
	by = NULL;
	assert_int_equal(genconf_dracut_excludes(&c, "dm", &by), 0);
	assert_int_equal(genconf_dracut_excludes(&c, "cryp", &by), 0);
	assert_null(by);
	genconf_done(&c);

	assert_int_equal(genconf_read(ctx, fd, "grub", &c), -EOPNOTSUPP);
	close(fd);
}

static void test_genconf_dracutmodules(void **state) {
	static const char *const files[] = {
		"/etc/dracut.conf", "dracutmodules=\"base rootfs-block lvm\"\n",
		"/usr/lib/dracut/dracut.conf.d/50-a.conf", "omit_dracutmodules+=\" crypt \"\n",
		"/etc/dracut.conf.d/50-a.conf", "# replaces the vendor file: crypt is not omitted\n",
		"/etc/dracut.conf.d/60-reset.conf", "omit_dracutmodules+=\" mdraid \"\nomit_dracutmodules=\"\"\n",
		NULL,
	};
	char *dir = scratch_root(files);
	int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	struct genconf c = { 0 };
	assert_int_equal(genconf_read(ctx, fd, "dracut", &c), 0);
	const struct rsc_assignment *by = NULL;
	/* A fixed list without crypt leaves it out... */
	assert_int_equal(genconf_dracut_excludes(&c, "crypt", &by), 1);
	assert_string_equal(by->key, "dracutmodules");
	assert_string_equal(by->file, "/etc/dracut.conf");
	/* ...but dm comes with lvm, and a later plain = empties the omit list. */
	assert_int_equal(genconf_dracut_excludes(&c, "dm", &by), 0);
	assert_int_equal(genconf_dracut_excludes(&c, "mdraid", &by), 1);
	assert_string_equal(by->key, "dracutmodules");
	assert_int_equal(genconf_dracut_excludes(&c, "lvm", &by), 0);
	genconf_done(&c);
	close(fd);
	remove_root(dir);

	static const char *const files2[] = {
		"/etc/dracut.conf", "dracutmodules=\"all\"\nadd_dracutmodules+=\" crypt \"\n",
		"/etc/dracut.conf.d/x.conf", "omit_dracutmodules+=\"\tcrypt\"\n",
		NULL,
	};
	dir = scratch_root(files2);
	fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	assert_int_equal(genconf_read(ctx, fd, "dracut", &c), 0);
	/* dracut splits its lists on spaces only: "\tcrypt" is not crypt. */
	assert_int_equal(genconf_dracut_excludes(&c, "crypt", &by), 0);
	genconf_done(&c);
	close(fd);
	remove_root(dir);
}

static void test_genconf_others(void **state) {
	int fd = open_root("debian-cmdline-default");
	struct genconf c = { 0 };
	assert_int_equal(genconf_read(ctx, fd, "initramfs-tools", &c), 0);
	const struct rsc_assignment *by = NULL;
	assert_string_equal(genconf_get(&c, genconf_compression_key(&c), &by), "lz4");
	assert_string_equal(by->file, "/etc/initramfs-tools/conf.d/compress");
	assert_int_equal(by->line, 2);
	assert_string_equal(genconf_get(&c, "MODULES", NULL), "most");
	genconf_done(&c);
	close(fd);

	static const char *const files[] = {
		"/etc/mkinitcpio.conf", "MODULES=(ext4)\nHOOKS=(base udev autodetect)\nCOMPRESSION=\"xz\"\n",
		"/etc/mkinitcpio.conf.d/10-fast.conf", "COMPRESSION=\"lz4\"\nCOMPRESSION_OPTIONS=(-9)\n",
		NULL,
	};
	char *dir = scratch_root(files);
	fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	assert_int_equal(genconf_read(ctx, fd, "mkinitcpio", &c), 0);
	assert_string_equal(genconf_get(&c, "COMPRESSION", &by), "lz4");
	assert_string_equal(by->file, "/etc/mkinitcpio.conf.d/10-fast.conf");
	genconf_done(&c);
	close(fd);
	remove_root(dir);

	/* Nothing configured: empty, not an error. */
	dir = scratch_root((const char *const[]){ NULL });
	fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	assert_int_equal(genconf_read(ctx, fd, "dracut", &c), 0);
	assert_null(genconf_get(&c, "compress", &by));
	assert_null(by);
	assert_int_equal(genconf_dracut_excludes(&c, "crypt", &by), 0);
	genconf_done(&c);
	close(fd);
	remove_root(dir);
}

static void test_genconf_compression_names(void **state) {
	assert_int_equal(genconf_compression("zstd"), RSC_COMPRESSION_ZSTD);
	assert_int_equal(genconf_compression(" /usr/bin/pigz -9"), RSC_COMPRESSION_GZIP);
	assert_int_equal(genconf_compression("xz --check=crc32"), RSC_COMPRESSION_XZ);
	assert_int_equal(genconf_compression("lz4"), RSC_COMPRESSION_LZ4);
	assert_int_equal(genconf_compression("cat"), RSC_COMPRESSION_NONE);
	assert_int_equal(genconf_compression("zstdx"), -1);
	assert_int_equal(genconf_compression(""), -1);
	assert_int_equal(genconf_compression("/"), -1);
	assert_int_equal(genconf_compression(NULL), -1);
}

/* ---- diagnose, with devices ---- */

static bool has_finding(const struct rsc_diagnosis *d, const char *code, const char *evidence_part) {
	for (size_t i = 0; i < d->n_findings; i++)
		if (strcmp(d->findings[i].code, code) == 0 &&
		    (!evidence_part || strstr(d->findings[i].evidence, evidence_part)))
			return true;
	if (evidence_part) /* what there is, to compare with */
		for (size_t i = 0; i < d->n_findings; i++)
			print_message("  have %s: %s\n", d->findings[i].code, d->findings[i].evidence);
	return false;
}

/* Diagnoses a fixture root against made-up devices of the given UUIDs. */
static struct rsc_diagnosis *diagnose_with(const char *name, const char *const *uuids) {
	char root[512];
	snprintf(root, sizeof(root), ROOTS "/%s", name);
	struct rsc_scan_options so = { .root_dir = root };
	struct rsc_scan *at = NULL;
	assert_int_equal(rsc_scan_run(ctx, &so, &at), 0);
	struct rsc_device devs[8] = { 0 };
	size_t n = 0;
	for (; uuids[n] && n < ELEMENTSOF(devs); n++)
		devs[n] = (struct rsc_device){ .kind = RSC_DEVICE_PARTITION, .parent = -1, .name = (char *)uuids[n],
					       .uuid = (char *)uuids[n], .type = (char *)"ext4" };
	struct rsc_scan scan = { .devices = devs, .n_devices = n };
	struct rsc_diagnosis *d = NULL;
	assert_int_equal(rsc_diagnose(ctx, &scan, &at->systems[0], root, &d), 0);
	rsc_scan_free(at);
	return d;
}

static void test_diagnose_cmdline_defaults(void **state) {
	static const char *const present[] = { "6a1f0c2e-3b4d-4e5f-8a9b-0c1d2e3f4a5b",
					       "2b0e6d5c-7f1a-4c3e-9d8b-5a4f3e2d1c0b", NULL };
	struct rsc_diagnosis *d = diagnose_with("debian-cmdline-default", present);
	/* grub.cfg's linux line holds two root=: the last, stale one counts. */
	assert_true(has_finding(d, "cmdline-root-unknown",
				"root=UUID=0badc0de-0000-4000-8000-000000000000 in /boot/grub/grub.cfg line 15 (the last of 2"));
	/* And it comes from the defaults, named by file and line. */
	assert_true(has_finding(d, "cmdline-default-root-unknown",
				"root=UUID=0badc0de-0000-4000-8000-000000000000 in /etc/default/grub.d/50-root.cfg line 2"));
	/* lz4 is set and the kernel has it: no compression finding. */
	assert_false(has_finding(d, "generator-compression-unsupported", NULL));
	rsc_diagnosis_free(d);

	/* Negative control: the filesystem root= names is there. */
	static const char *const all[] = { "6a1f0c2e-3b4d-4e5f-8a9b-0c1d2e3f4a5b", "2b0e6d5c-7f1a-4c3e-9d8b-5a4f3e2d1c0b",
					   "0badc0de-0000-4000-8000-000000000000", NULL };
	d = diagnose_with("debian-cmdline-default", all);
	assert_false(has_finding(d, "cmdline-root-unknown", NULL));
	assert_false(has_finding(d, "cmdline-default-root-unknown", NULL));
	rsc_diagnosis_free(d);
}

static void test_diagnose_generator(void **state) {
	static const char *const present[] = { "2b0e6d5c-7f1a-4c3e-9d8b-5a4f3e2d1c0b", NULL };
	struct rsc_diagnosis *d = diagnose_with("debian-dracut-config", present);
	assert_true(has_finding(d, "generator-omits-root-module",
				"dracut leaves out crypt, lvm: /etc/dracut.conf.d/90-slim.conf line 4: "
				"omit_dracutmodules+=\" crypt lvm \""));
	assert_true(has_finding(d, "generator-compression-unsupported",
				"/etc/dracut.conf.d/01-dist.conf line 3: compress=\"zstd -q -T0\""));
	/* No root= in the defaults: nothing to say about them. */
	assert_false(has_finding(d, "cmdline-default-root-unknown", NULL));
	rsc_diagnosis_free(d);
}


/* ---- the repairs of the configuration: plan, apply, undo ---- */

/* A copy of a fixture root to change. */
static char *copy_root(const char *name) {
	char *dir = strdup("/tmp/rescue-test-repair.XXXXXX"), cmd[1200];
	assert_non_null(dir);
	assert_non_null(mkdtemp(dir));
	snprintf(cmd, sizeof(cmd), "cp -a '" ROOTS "/%s/.' '%s/'", name, dir);
	assert_int_equal(system(cmd), 0);
	return dir;
}

/* A whole file (NULL when it cannot be read). */
static char *file_bytes(const char *path, size_t *ret_n) {
	FILE *f = fopen(path, "re");
	if (!f)
		return NULL;
	char *buf = NULL;
	size_t len = 0;
	FILE *m = open_memstream(&buf, &len);
	int c;
	while ((c = fgetc(f)) != EOF)
		fputc(c, m);
	fclose(f);
	fclose(m);
	*ret_n = len;
	return buf;
}

static char *slurp(const char *root, const char *path) {
	char p[1024];
	size_t n;
	snprintf(p, sizeof(p), "%s%s", root, path);
	char *buf = file_bytes(p, &n);
	assert_non_null(buf);
	return buf;
}

static mode_t mode_of(const char *root, const char *path) {
	char p[1024];
	struct stat st;
	snprintf(p, sizeof(p), "%s%s", root, path);
	assert_int_equal(stat(p, &st), 0);
	return st.st_mode & 07777;
}

/* Diagnosis and plan of the first system of at (the root scanned as a
 * directory) against the devices given; frees at. */
static struct rsc_plan *plan_over(const char *root, struct rsc_scan *at, struct rsc_device *devs, size_t n,
				  struct rsc_diagnosis **ret_d) {
	struct rsc_scan scan = { .devices = devs, .n_devices = n };
	struct rsc_diagnosis *d = NULL;
	assert_int_equal(rsc_diagnose(ctx, &scan, &at->systems[0], root, &d), 0);
	struct rsc_plan *p = NULL;
	assert_int_equal(rsc_plan_make(ctx, &at->systems[0], d, root, &p), 0);
	rsc_scan_free(at);
	*ret_d = d;
	return p;
}

/* Diagnosis and plan of the system at root against made-up devices. */
static struct rsc_plan *plan_with(const char *root, const char *const *uuids, struct rsc_diagnosis **ret_d) {
	struct rsc_scan_options so = { .root_dir = root };
	struct rsc_scan *at = NULL;
	assert_int_equal(rsc_scan_run(ctx, &so, &at), 0);
	struct rsc_device devs[8] = { 0 };
	size_t n = 0;
	for (; uuids[n] && n < ELEMENTSOF(devs); n++)
		devs[n] = (struct rsc_device){ .kind = RSC_DEVICE_PARTITION, .parent = -1, .name = (char *)uuids[n],
					       .uuid = (char *)uuids[n], .type = (char *)"ext4",
					       /* the ESP's partition GUID, as tests/fixtures/efivars name it */
					       .part_uuid = strcmp(uuids[n], "5C1A-3F2E") == 0 ?
							    (char *)"C12A7328-F81F-11D2-BA4B-00A0C93EC93B" : NULL };
	return plan_over(root, at, devs, n, ret_d);
}

static size_t count_kind(const struct rsc_plan *p, enum rsc_action_kind k) {
	size_t n = 0;
	for (size_t i = 0; i < p->n_actions; i++)
		n += p->actions[i].kind == k;
	return n;
}

static bool unfixed_has(const struct rsc_plan *p, const char *part) {
	STRV_FOREACH(x, p->unfixed)
		if (strstr(*x, part))
			return true;
	return false;
}

/* Applies only the plan's first n actions (the configuration edits; the
 * others run the system's tools, which a fixture root does not have). */
static int apply_first(struct rsc_plan *p, size_t n, const char *root) {
	size_t all = p->n_actions;
	p->n_actions = n;
	int r = rsc_plan_apply(ctx, p, root);
	p->n_actions = all;
	return r;
}

/* A compressor the kernel cannot unpack: the omit line is still changed,
 * but no image is rebuilt (it would be as unbootable), and the broken
 * image is left to a person with the reason instead of the command. */
static void test_repair_compression_blocks_rebuild(void **state) {
	static const char *const present[] = { "2b0e6d5c-7f1a-4c3e-9d8b-5a4f3e2d1c0b", NULL };
	char *root = copy_root("debian-dracut-config");
	struct rsc_diagnosis *d = NULL;
	struct rsc_plan *p = plan_with(root, present, &d);
	assert_true(has_finding(d, "generator-compression-unsupported", NULL));
	assert_int_equal(count_kind(p, RSC_ACTION_EDIT_CONFIG), 1);
	assert_int_equal(count_kind(p, RSC_ACTION_REBUILD_INITRAMFS), 0);
	assert_true(unfixed_has(p, "generator-compression-unsupported"));
	assert_true(unfixed_has(p, "initramfs-corrupt (6.1.0-13-amd64): not rebuilt: the generator would compress"));
	STRV_FOREACH(x, p->unfixed)
		assert_null(strstr(*x, "dracut --force"));
	rsc_plan_free(p);
	rsc_diagnosis_free(d);
	remove_root(root);
}

static void test_repair_generator_omit(void **state) {
	static const char *const present[] = { "2b0e6d5c-7f1a-4c3e-9d8b-5a4f3e2d1c0b", NULL };
	static const char *const conf = "/etc/dracut.conf.d/90-slim.conf";
	char *root = copy_root("debian-dracut-config");
	/* The fixture's compressor is one its kernel cannot unpack, which
	 * holds any rebuild back (test_repair_compression_blocks_rebuild):
	 * here it is one the kernel unpacks. */
	char dist[1024];
	snprintf(dist, sizeof(dist), "%s/etc/dracut.conf.d/01-dist.conf", root);
	FILE *df = fopen(dist, "we");
	assert_non_null(df);
	fputs("hostonly=\"yes\"\ncompress=\"gzip\"\n", df);
	fclose(df);
	char *before = slurp(root, conf);
	mode_t mode = mode_of(root, conf);
	struct rsc_diagnosis *d = NULL;
	struct rsc_plan *p = plan_with(root, present, &d);
	/* The line that omits crypt and lvm changes first, the rebuild after. */
	assert_true(p->n_actions >= 2);
	struct rsc_action *a = &p->actions[0];
	assert_int_equal(a->kind, RSC_ACTION_EDIT_CONFIG);
	assert_string_equal(a->files[0], conf);
	assert_int_equal(a->line, 4);
	assert_string_equal(a->old_line, "omit_dracutmodules+=\" crypt lvm \"");
	assert_string_equal(a->content, "# omit_dracutmodules+=\" crypt lvm \"");
	assert_string_equal(a->fixes[0], "generator-omits-root-module");
	assert_non_null(strstr(a->title, "90-slim.conf line 4"));
	char *sh = rsc_action_shell(a);
	assert_non_null(strstr(sh, "sed -i '4c\\# omit_dracutmodules+=\" crypt lvm \"' \"$R\"/etc/dracut.conf.d/90-slim.conf"));
	free(sh);
	assert_int_equal(p->actions[1].kind, RSC_ACTION_REBUILD_INITRAMFS);
	assert_false(unfixed_has(p, "generator-omits-root-module"));

	/* Applied: that line alone changed, and dracut keeps the modules. */
	assert_int_equal(apply_first(p, 1, root), 0);
	assert_int_equal(p->actions[0].status, RSC_ACTION_DONE);
	char *after = slurp(root, conf);
	assert_string_equal(after, "# A smaller image: we do not use network boot\nomit_dracutmodules+=\" nfs iscsi \"\n"
			    "add_drivers+=\" virtio_blk \"\n# omit_dracutmodules+=\" crypt lvm \"\n");
	assert_int_equal(mode_of(root, conf), mode);
	int fd = open(root, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	struct genconf c = { 0 };
	const struct rsc_assignment *by = NULL;
	assert_int_equal(genconf_read(ctx, fd, "dracut", &c), 0);
	assert_int_equal(genconf_dracut_excludes(&c, "crypt", &by), 0);
	assert_int_equal(genconf_dracut_excludes(&c, "lvm", &by), 0);
	assert_int_equal(genconf_dracut_excludes(&c, "nfs", &by), 1);
	genconf_done(&c);
	rsc_plan_free(p);
	rsc_diagnosis_free(d);
	/* Diagnosed again: the cause is gone (the image is rebuilt by the
	 * step after it, which needs the real dracut). */
	p = plan_with(root, present, &d);
	assert_false(has_finding(d, "generator-omits-root-module", NULL));
	assert_int_equal(count_kind(p, RSC_ACTION_EDIT_CONFIG), 0);
	rsc_plan_free(p);
	rsc_diagnosis_free(d);

	/* Undone: byte for byte, and the mode with it. */
	assert_true(rsc_journal_undo(ctx, root, NULL) >= 1);
	char *undone = slurp(root, conf);
	assert_string_equal(undone, before);
	assert_int_equal(mode_of(root, conf), mode);
	free(after), free(undone);

	/* Negative control: the line changed after the plan was made; the
	 * edit refuses and writes nothing. */
	p = plan_with(root, present, &d);
	char path[1024];
	snprintf(path, sizeof(path), "%s%s", root, conf);
	FILE *f = fopen(path, "ae");
	fputs("# touched\n", f);
	fclose(f);
	char *touched = slurp(root, conf);
	f = fopen(path, "we");
	fputs(touched, f);
	fclose(f);
	/* Line 4 is the same: applied. Now change line 4 itself. */
	f = fopen(path, "we");
	fputs("# A smaller image: we do not use network boot\nomit_dracutmodules+=\" nfs iscsi \"\n"
	      "add_drivers+=\" virtio_blk \"\nomit_dracutmodules+=\" crypt lvm mdraid \"\n", f);
	fclose(f);
	char *changed = slurp(root, conf);
	assert_true(apply_first(p, 1, root) < 0);
	assert_int_equal(p->actions[0].status, RSC_ACTION_FAILED);
	assert_non_null(strstr(p->actions[0].result, "not what the plan showed"));
	char *still = slurp(root, conf);
	assert_string_equal(still, changed);
	rsc_plan_free(p);
	rsc_diagnosis_free(d);
	free(touched), free(changed), free(still);

	/* Negative control: a line whose list a person must read (a command
	 * substitution) is not edited, and no rebuild is planned that would
	 * make the same broken image; a person is told which line. */
	f = fopen(path, "we");
	fputs("omit_dracutmodules+=\" $(echo crypt) lvm \"\n", f);
	fclose(f);
	p = plan_with(root, present, &d);
	assert_true(has_finding(d, "generator-omits-root-module", NULL));
	assert_int_equal(count_kind(p, RSC_ACTION_EDIT_CONFIG), 0);
	assert_int_equal(count_kind(p, RSC_ACTION_REBUILD_INITRAMFS), 0);
	assert_true(unfixed_has(p, "generator-omits-root-module (/etc/dracut.conf.d/90-slim.conf): a line that leaves "
				   "them out is not a plain quoted list"));
	rsc_plan_free(p);
	rsc_diagnosis_free(d);
	free(before);
	close(fd);
	remove_root(root);
}

static void test_repair_cmdline_default(void **state) {
	static const char *const present[] = { "6a1f0c2e-3b4d-4e5f-8a9b-0c1d2e3f4a5b",
					       "2b0e6d5c-7f1a-4c3e-9d8b-5a4f3e2d1c0b", NULL };
	static const char *const cfg = "/etc/default/grub.d/50-root.cfg";
	char *root = copy_root("debian-cmdline-default");
	char *before = slurp(root, cfg), *grub_before = slurp(root, "/etc/default/grub");
	struct rsc_diagnosis *d = NULL;
	struct rsc_plan *p = plan_with(root, present, &d);
	assert_true(p->n_actions >= 2);
	struct rsc_action *a = &p->actions[0];
	assert_int_equal(a->kind, RSC_ACTION_EDIT_CONFIG);
	assert_string_equal(a->files[0], cfg);
	assert_int_equal(a->line, 2);
	assert_string_equal(a->old_line,
			    "GRUB_CMDLINE_LINUX=\"$GRUB_CMDLINE_LINUX root=UUID=0badc0de-0000-4000-8000-000000000000\"");
	assert_string_equal(a->content, "GRUB_CMDLINE_LINUX=\"$GRUB_CMDLINE_LINUX\"");
	/* Then the menu from the corrected defaults; both findings covered. */
	assert_int_equal(count_kind(p, RSC_ACTION_GRUB_CONFIG), 1);
	assert_false(unfixed_has(p, "cmdline-default-root-unknown"));
	assert_false(unfixed_has(p, "cmdline-root-unknown"));
	size_t edits = count_kind(p, RSC_ACTION_EDIT_CONFIG);
	assert_int_equal(edits, 1);
	assert_int_equal(apply_first(p, edits, root), 0);
	int fd = open(root, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	struct cmdline_defaults cd = { 0 };
	assert_int_equal(cmdline_defaults_read(ctx, fd, &cd), 0);
	/* grub-mkconfig's own root= is the last one now. */
	assert_null(cmdline_last(&cd.grub, "root"));
	cmdline_defaults_done(&cd);
	char *grub_after = slurp(root, "/etc/default/grub");
	assert_string_equal(grub_after, grub_before);
	rsc_plan_free(p);
	rsc_diagnosis_free(d);
	p = plan_with(root, present, &d);
	assert_false(has_finding(d, "cmdline-default-root-unknown", NULL));
	rsc_plan_free(p);
	rsc_diagnosis_free(d);
	assert_true(rsc_journal_undo(ctx, root, NULL) >= 1);
	char *undone = slurp(root, cfg);
	assert_string_equal(undone, before);
	free(undone), free(grub_after);

	/* /etc/kernel/cmdline is the whole command line of new entries: the
	 * stale root= is corrected there to the root fstab names. */
	char path[1024];
	snprintf(path, sizeof(path), "%s/etc/kernel", root);
	mkdir(path, 0755);
	snprintf(path, sizeof(path), "%s/etc/kernel/cmdline", root);
	FILE *f = fopen(path, "we");
	fputs("# written by the installer\nroot=UUID=0badc0de-0000-4000-8000-000000000000 ro quiet\n", f);
	fclose(f);
	p = plan_with(root, present, &d);
	bool found = false;
	for (size_t i = 0; i < p->n_actions; i++)
		if (p->actions[i].kind == RSC_ACTION_EDIT_CONFIG && strcmp(p->actions[i].files[0], "/etc/kernel/cmdline") == 0) {
			assert_int_equal(p->actions[i].line, 2);
			assert_string_equal(p->actions[i].content, "root=UUID=6a1f0c2e-3b4d-4e5f-8a9b-0c1d2e3f4a5b ro quiet");
			found = true;
		}
	assert_true(found);
	rsc_plan_free(p);
	rsc_diagnosis_free(d);
	unlink(path);

	/* Negative control: the root= in the defaults is on a disk: nothing
	 * to edit. */
	static const char *const all[] = { "6a1f0c2e-3b4d-4e5f-8a9b-0c1d2e3f4a5b", "2b0e6d5c-7f1a-4c3e-9d8b-5a4f3e2d1c0b",
					   "0badc0de-0000-4000-8000-000000000000", NULL };
	p = plan_with(root, all, &d);
	assert_int_equal(count_kind(p, RSC_ACTION_EDIT_CONFIG), 0);
	rsc_plan_free(p);
	rsc_diagnosis_free(d);

	/* Negative control: root= set through another variable cannot be
	 * taken out of a line: a person is told, and the menu is not
	 * claimed to fix the stale root= it would write again. */
	f = fopen(path, "we");
	fclose(f);
	unlink(path);
	snprintf(path, sizeof(path), "%s%s", root, cfg);
	f = fopen(path, "we");
	fputs("STALE=\"root=UUID=0badc0de-0000-4000-8000-000000000000\"\nGRUB_CMDLINE_LINUX=\"$GRUB_CMDLINE_LINUX $STALE\"\n", f);
	fclose(f);
	p = plan_with(root, present, &d);
	assert_true(has_finding(d, "cmdline-default-root-unknown", NULL));
	assert_int_equal(count_kind(p, RSC_ACTION_EDIT_CONFIG), 0);
	assert_true(unfixed_has(p, "cmdline-default-root-unknown"));
	assert_true(unfixed_has(p, "cmdline-root-unknown"));
	rsc_plan_free(p);
	rsc_diagnosis_free(d);
	free(before), free(grub_before);
	close(fd);
	remove_root(root);
}

/* The line edits themselves. */
static void test_confedit(void **state) {
	char *o = NULL;
	int empty = -1;
	char *crypt_lvm[] = { (char *)"crypt", (char *)"lvm", NULL };
	assert_int_equal(assignment_remove_words("omit_dracutmodules+=\" nfs crypt lvm \" # slim", "omit_dracutmodules",
						 crypt_lvm, &o, &empty), 1);
	assert_string_equal(o, "omit_dracutmodules+=\" nfs \" # slim");
	assert_int_equal(empty, 0);
	free(o);
	assert_int_equal(assignment_remove_words("omit_dracutmodules='crypt'", "omit_dracutmodules", crypt_lvm, &o, &empty), 1);
	assert_string_equal(o, "omit_dracutmodules=''");
	assert_int_equal(empty, 1);
	free(o);
	/* Not the word: "cryptsetup" stays; nothing changes. */
	assert_int_equal(assignment_remove_words("omit_dracutmodules+=\" cryptsetup \"", "omit_dracutmodules", crypt_lvm, &o,
						 NULL), 0);
	/* Forms a person must read. */
	assert_int_equal(assignment_remove_words("omit_dracutmodules+=\" crypt", "omit_dracutmodules", crypt_lvm, &o, NULL),
			 -EINVAL);
	assert_int_equal(assignment_remove_words("omit_dracutmodules+=\" crypt \"; x=1", "omit_dracutmodules", crypt_lvm, &o,
						 NULL), -EINVAL);
	assert_int_equal(assignment_remove_words("omit_dracutmodules+=crypt", "omit_dracutmodules", crypt_lvm, &o, NULL),
			 -EINVAL);
	assert_int_equal(assignment_remove_words("omit_dracutmodules+=\"`x` crypt\"", "omit_dracutmodules", crypt_lvm, &o,
						 NULL), -EINVAL);
	assert_int_equal(assignment_add_words("dracutmodules=\"base rootfs-block\"", "dracutmodules", crypt_lvm, &o), 1);
	assert_string_equal(o, "dracutmodules=\"base rootfs-block crypt lvm\"");
	free(o);
	assert_int_equal(assignment_add_words("dracutmodules+=\" lvm \"", "dracutmodules", crypt_lvm, &o), 1);
	assert_string_equal(o, "dracutmodules+=\" lvm crypt \"");
	free(o);
	assert_int_equal(cmdline_line_set_param("GRUB_CMDLINE_LINUX=\"root=/dev/sdz1 quiet root=/dev/sdz10\"", "root",
						"/dev/sdz1", NULL, &o), 1);
	assert_string_equal(o, "GRUB_CMDLINE_LINUX=\"quiet root=/dev/sdz10\"");
	free(o);
	assert_int_equal(cmdline_line_set_param("ro root=/dev/sdz1", "root", "/dev/sdz1", "UUID=x", &o), 1);
	assert_string_equal(o, "ro root=UUID=x");
	free(o);
	assert_int_equal(cmdline_line_set_param("ro xroot=/dev/sdz1", "root", "/dev/sdz1", NULL, &o), 0);
	assert_int_equal(text_line("a\nb\n", 2, &o), 0);
	assert_string_equal(o, "b");
	free(o);
	assert_int_equal(text_line("a\nb\n", 3, &o), -ENOENT);
	assert_int_equal(text_replace_line("a\nb\nc", 3, "C", &o), 0);
	assert_string_equal(o, "a\nb\nC");
	free(o);
}

/* ---- what UEFI firmware loads (esp-loader-missing, grub-install-efi) ---- */

static void put(const char *root, const char *path, const char *text) {
	char *one[] = { (char *)path, (char *)text, NULL };
	char *dir = scratch_root((const char *const *)one), cmd[1200];
	snprintf(cmd, sizeof(cmd), "cp -a '%s/.' '%s/'", dir, root);
	assert_int_equal(system(cmd), 0);
	remove_root(dir);
}

static void drop(const char *root, const char *path) {
	char p[1024];
	snprintf(p, sizeof(p), "%s%s", root, path);
	assert_int_equal(unlink(p), 0);
}

/* The Debian fixture as a UEFI system with the signed chain installed
 * (what grub-efi-amd64-signed and shim-signed leave), GRUB not installed
 * for BIOS. */
static char *uefi_root(void) {
	char *root = copy_root("debian");
	put(root, "/usr/lib/grub/x86_64-efi/normal.mod", "mod");
	put(root, "/usr/lib/grub/x86_64-efi-signed/grubx64.efi.signed", "MZ signed grub");
	put(root, "/usr/lib/shim/shimx64.efi.signed", "MZ signed shim");
	return root;
}

static const char *const uefi_devices[] = { "2b0e6d5c-7f1a-4c3e-9d8b-5a4f3e2d1c0b", "5C1A-3F2E", NULL };

static const struct rsc_finding *loader_finding(const struct rsc_diagnosis *d) {
	for (size_t i = 0; i < d->n_findings; i++)
		if (d->findings[i].id == RSC_FINDING_ESP_LOADER_MISSING)
			return &d->findings[i];
	return NULL;
}

static bool argv_has(const struct rsc_action *a, const char *word) {
	return strv_contains(a->argv, word);
}

/* Nothing on the ESP the firmware could start: an error, and one
 * grub-install for UEFI with the signed chain, the removable copy, and no
 * NVRAM write. */
static void test_esp_loader_gone(void **state) {
	char *root = uefi_root();
	drop(root, "/boot/efi/EFI/debian/grubx64.efi");
	drop(root, "/boot/efi/EFI/debian/shimx64.efi");
	struct rsc_diagnosis *d = NULL;
	struct rsc_plan *p = plan_with(root, uefi_devices, &d);
	const struct rsc_finding *f = loader_finding(d);
	assert_non_null(f);
	assert_int_equal(f->severity, RSC_SEVERITY_ERROR);
	assert_string_equal(f->subject, "/EFI/debian");

	assert_non_null(strstr(f->evidence, "no /boot/efi/EFI/debian/shimx64.efi or grubx64.efi, no /boot/efi/EFI/BOOT/BOOTX64.EFI"));
	assert_int_equal(count_kind(p, RSC_ACTION_GRUB_INSTALL_EFI), 1);
	const struct rsc_action *a = NULL;
	for (size_t i = 0; i < p->n_actions; i++)
		if (p->actions[i].kind == RSC_ACTION_GRUB_INSTALL_EFI)
			a = &p->actions[i];
	assert_string_equal(a->argv[0], "grub-install");
	assert_true(argv_has(a, "--target=x86_64-efi"));
	assert_true(argv_has(a, "--efi-directory=/boot/efi"));
	assert_true(argv_has(a, "--bootloader-id=debian"));
	assert_true(argv_has(a, "--uefi-secure-boot"));
	assert_true(argv_has(a, "--force-extra-removable"));
	assert_true(argv_has(a, "--no-nvram"));
	assert_false(argv_has(a, "--no-uefi-secure-boot"));
	assert_string_equal(a->files[0], "/boot/efi/EFI/debian/grubx64.efi");
	assert_string_equal(a->files[1], "/boot/efi/EFI/debian/shimx64.efi");
	assert_string_equal(a->files[2], "/boot/efi/EFI/BOOT/BOOTX64.EFI");
	assert_string_equal(a->content, "/boot/grub");
	assert_true(a->fixes && strcmp(a->fixes[0], "esp-loader-missing") == 0);
	assert_false(unfixed_has(p, "esp-loader-missing"));
	rsc_plan_free(p);
	rsc_diagnosis_free(d);

	/* Without the signed chain GRUB is built, without shim. */
	char p2[1024];
	snprintf(p2, sizeof(p2), "%s/usr/lib/grub/x86_64-efi-signed/grubx64.efi.signed", root);
	assert_int_equal(unlink(p2), 0);
	p = plan_with(root, uefi_devices, &d);
	a = &p->actions[p->n_actions - 1];
	assert_int_equal(a->kind, RSC_ACTION_GRUB_INSTALL_EFI);
	assert_true(argv_has(a, "--no-uefi-secure-boot"));
	assert_int_equal(strv_length(a->files), 2);
	rsc_plan_free(p);
	rsc_diagnosis_free(d);
	remove_root(root);
}

/* Fedora: shim and GRUB on the ESP are files of its packages, with no copy
 * under /usr to install from; the profile names the reinstall for a
 * person, and no step is planned. */
static void test_esp_loader_packages(void **state) {
	static const char *const fedora_devices[] = { "c4b3a291-8f7e-4d6c-b5a4-93827160f5e4",
						      "9e8d7c6b-5a4f-4e3d-8c2b-1a0f9e8d7c6b", "A1B2-C3D4", NULL };
	char *root = copy_root("fedora");
	drop(root, "/boot/efi/EFI/fedora/grubx64.efi");
	drop(root, "/boot/efi/EFI/fedora/shimx64.efi");
	drop(root, "/boot/efi/EFI/BOOT/BOOTX64.EFI");
	struct rsc_diagnosis *d = NULL;
	struct rsc_plan *p = plan_with(root, fedora_devices, &d);
	const struct rsc_finding *f = loader_finding(d);
	assert_non_null(f);
	assert_int_equal(f->severity, RSC_SEVERITY_ERROR);
	assert_string_equal(f->subject, "/EFI/fedora");
	assert_non_null(strstr(f->fix, "dnf reinstall shim-x64 grub2-efi-x64"));
	assert_int_equal(count_kind(p, RSC_ACTION_GRUB_INSTALL_EFI), 0);
	assert_true(unfixed_has(p, "esp-loader-missing (/EFI/fedora): this system's loaders on the ESP are files of "
				   "its packages"));
	assert_true(unfixed_has(p, "run: dnf reinstall shim-x64 grub2-efi-x64"));
	rsc_plan_free(p);
	rsc_diagnosis_free(d);
	/* Negative control: the loaders there, nothing found. */
	remove_root(root);
	root = copy_root("fedora");
	p = plan_with(root, fedora_devices, &d);
	assert_null(loader_finding(d));
	assert_false(unfixed_has(p, "dnf reinstall"));
	rsc_plan_free(p);
	rsc_diagnosis_free(d);
	remove_root(root);
}

/* Shim without the GRUB it loads is as good as nothing. */
static void test_esp_loader_shim_alone(void **state) {
	char *root = uefi_root();
	drop(root, "/boot/efi/EFI/debian/grubx64.efi");
	struct rsc_diagnosis *d = NULL;
	struct rsc_plan *p = plan_with(root, uefi_devices, &d);
	const struct rsc_finding *f = loader_finding(d);
	assert_non_null(f);
	assert_int_equal(f->severity, RSC_SEVERITY_ERROR);
	assert_non_null(strstr(f->evidence, "shim is there, but not the GRUB it loads"));
	assert_int_equal(count_kind(p, RSC_ACTION_GRUB_INSTALL_EFI), 1);
	rsc_plan_free(p);
	rsc_diagnosis_free(d);
	remove_root(root);
}

/* Negative controls: the own loader there (the removable path unknown
 * without NVRAM: no finding); only the removable path left (a warning, no
 * step: the machine still starts); GRUB also installed for BIOS (a
 * warning); no UEFI GRUB installed at all (nothing). */
static void test_esp_loader_negative(void **state) {
	char *root = uefi_root();
	struct rsc_diagnosis *d = NULL;
	struct rsc_plan *p = plan_with(root, uefi_devices, &d);
	assert_null(loader_finding(d));
	assert_int_equal(count_kind(p, RSC_ACTION_GRUB_INSTALL_EFI), 0);
	rsc_plan_free(p);
	rsc_diagnosis_free(d);

	drop(root, "/boot/efi/EFI/debian/grubx64.efi");
	drop(root, "/boot/efi/EFI/debian/shimx64.efi");
	put(root, "/boot/efi/EFI/BOOT/BOOTX64.EFI", "MZ shim");
	p = plan_with(root, uefi_devices, &d);
	assert_non_null(loader_finding(d));
	assert_int_equal(loader_finding(d)->severity, RSC_SEVERITY_WARNING);
	assert_int_equal(count_kind(p, RSC_ACTION_GRUB_INSTALL_EFI), 0);
	rsc_plan_free(p);
	rsc_diagnosis_free(d);

	drop(root, "/boot/efi/EFI/BOOT/BOOTX64.EFI");
	put(root, "/boot/grub/i386-pc/core.img", "core");
	p = plan_with(root, uefi_devices, &d);
	assert_non_null(loader_finding(d));
	assert_int_equal(loader_finding(d)->severity, RSC_SEVERITY_WARNING);
	assert_int_equal(count_kind(p, RSC_ACTION_GRUB_INSTALL_EFI), 0);
	rsc_plan_free(p);
	rsc_diagnosis_free(d);
	remove_root(root);

	root = copy_root("debian");
	drop(root, "/boot/efi/EFI/debian/grubx64.efi");
	drop(root, "/boot/efi/EFI/debian/shimx64.efi");
	p = plan_with(root, uefi_devices, &d);
	assert_null(loader_finding(d));
	rsc_plan_free(p);
	rsc_diagnosis_free(d);
	remove_root(root);
}

/* Booted through UEFI: the firmware's entries decide whether the system's
 * own loader is reachable. */
static void test_esp_loader_nvram(void **state) {
	char *root = uefi_root();
	struct rsc_diagnosis *d = NULL;
	struct rsc_plan *p = NULL;
	/* An active entry in BootOrder starts shim: nothing to say. */
	setenv("RESCUE_EFIVARS_DIR", FIXTURES "/efivars/own", 1);
	p = plan_with(root, uefi_devices, &d);
	assert_null(loader_finding(d));
	assert_false(has_finding(d, "nvram-entry-dead", NULL));
	rsc_plan_free(p);
	rsc_diagnosis_free(d);
	/* The entry is not in BootOrder and the removable path is empty:
	 * nothing starts GRUB; the removable copy is the repair. */
	setenv("RESCUE_EFIVARS_DIR", FIXTURES "/efivars/unordered", 1);
	p = plan_with(root, uefi_devices, &d);
	assert_non_null(loader_finding(d));
	assert_int_equal(loader_finding(d)->severity, RSC_SEVERITY_ERROR);
	assert_non_null(strstr(loader_finding(d)->evidence, "no active entry in BootOrder points at it"));
	assert_int_equal(count_kind(p, RSC_ACTION_GRUB_INSTALL_EFI), 1);
	assert_true(argv_has(&p->actions[p->n_actions - 1], "--force-extra-removable"));
	rsc_plan_free(p);
	rsc_diagnosis_free(d);
	/* An entry naming a file that is gone: a warning of its own; with the
	 * removable path there the machine still starts. */
	put(root, "/boot/efi/EFI/BOOT/BOOTX64.EFI", "MZ shim");
	setenv("RESCUE_EFIVARS_DIR", FIXTURES "/efivars/dead", 1);
	p = plan_with(root, uefi_devices, &d);
	assert_true(has_finding(d, "nvram-entry-dead",
				"Boot0003 \"debian\" points at /EFI/debian/gone.efi on 5C1A-3F2E (partition 1), which is not there"));
	assert_null(loader_finding(d));
	assert_int_equal(count_kind(p, RSC_ACTION_GRUB_INSTALL_EFI), 0);
	rsc_plan_free(p);
	rsc_diagnosis_free(d);
	/* Two entries starting the same file: the later one is reported (for
	 * information: nothing planned, no entry ever deleted); the first
	 * alone, in "own", is not. */
	setenv("RESCUE_EFIVARS_DIR", FIXTURES "/efivars/duplicate", 1);
	p = plan_with(root, uefi_devices, &d);
	assert_true(has_finding(d, "nvram-entry-duplicate",
				"Boot0005 \"debian\" starts /EFI/debian/shimx64.efi on 5C1A-3F2E (partition 1), "
				"as Boot0003 \"debian\" does"));
	for (size_t i = 0; i < d->n_findings; i++)
		if (d->findings[i].id == RSC_FINDING_NVRAM_ENTRY_DUPLICATE) {
			assert_int_equal(d->findings[i].severity, RSC_SEVERITY_INFO);
			assert_string_equal(d->findings[i].subject, "Boot0005");
		}
	assert_false(has_finding(d, "nvram-entry-dead", NULL));
	assert_null(loader_finding(d));
	assert_int_equal(count_kind(p, RSC_ACTION_GRUB_INSTALL_EFI), 0);
	rsc_plan_free(p);
	rsc_diagnosis_free(d);
	setenv("RESCUE_EFIVARS_DIR", FIXTURES "/efivars/own", 1);
	p = plan_with(root, uefi_devices, &d);
	assert_false(has_finding(d, "nvram-entry-duplicate", NULL));
	rsc_plan_free(p);
	rsc_diagnosis_free(d);
	setenv("RESCUE_EFIVARS_DIR", "/nonexistent", 1);
	remove_root(root);
}

/* As plan_with, with the ESP as partition 1 of a disk with a /dev node,
 * placed at 1 MiB (what a firmware boot entry names). */
static struct rsc_plan *plan_on_disk(const char *root, struct rsc_diagnosis **ret_d) {
	struct rsc_scan_options so = { .root_dir = root };
	struct rsc_scan *at = NULL;
	assert_int_equal(rsc_scan_run(ctx, &so, &at), 0);
	struct rsc_device devs[] = {
		{ .kind = RSC_DEVICE_PARTITION, .parent = -1, .name = (char *)"vdb2",
		  .uuid = (char *)"2b0e6d5c-7f1a-4c3e-9d8b-5a4f3e2d1c0b", .type = (char *)"ext4" },
		{ .kind = RSC_DEVICE_DISK, .parent = -1, .name = (char *)"vdb", .node = (char *)"/dev/vdb",
		  .size = 8ull << 30 },
		{ .kind = RSC_DEVICE_PARTITION, .parent = 1, .name = (char *)"vdb1", .node = (char *)"/dev/vdb1",
		  .uuid = (char *)"5C1A-3F2E", .type = (char *)"vfat", .partno = 1, .part_start = 1u << 20,
		  .size = 512u << 20, .part_uuid = (char *)"C12A7328-F81F-11D2-BA4B-00A0C93EC93B" },
	};
	return plan_over(root, at, devs, ELEMENTSOF(devs), ret_d);
}

/* The plan's nvram-entry step, moved to the front so it can be applied
 * alone (the other steps run the system's tools). */
static struct rsc_action *nvram_step_first(struct rsc_plan *p) {
	assert_int_equal(count_kind(p, RSC_ACTION_NVRAM_ENTRY), 1);
	assert_int_equal(count_kind(p, RSC_ACTION_GRUB_INSTALL_EFI), 0);
	size_t at = 0;
	while (p->actions[at].kind != RSC_ACTION_NVRAM_ENTRY)
		at++;
	struct rsc_action tmp = p->actions[0];
	p->actions[0] = p->actions[at], p->actions[at] = tmp;
	assert_true(strv_contains(p->actions[0].fixes, "esp-loader-missing"));
	return &p->actions[0];
}

static char *var_bytes(const char *vars, const char *name, size_t *ret_n) {
	char path[600];
	snprintf(path, sizeof(path), "%s/%s-" EFI_GLOBAL_GUID, vars, name);
	return file_bytes(path, ret_n);
}

/* Booted through UEFI with the variables writable, a loader no entry
 * starts gets one: an entry for it that the firmware skips is put first
 * in BootOrder (made active when it is not), else a new entry (the lowest
 * free number) goes first; apply reads them back, undo puts every
 * variable back byte for byte and never removes an entry that changed
 * since. Read-only variables: the removable copy, as before. */
static void test_nvram_entry(void **state) {
	char *root = uefi_root();
	char vars[] = "/tmp/rescue-test-efivars.XXXXXX", cmd[1200];
	assert_non_null(mkdtemp(vars));
	snprintf(cmd, sizeof(cmd), "cp -a '" FIXTURES "/efivars/unordered/.' '%s/'", vars);
	assert_int_equal(system(cmd), 0);
	setenv("RESCUE_EFIVARS_DIR", vars, 1);
	size_t order0_n = 0, boot3_n = 0, n = 0;
	_cleanup_free_ char *order0 = var_bytes(vars, "BootOrder", &order0_n);
	_cleanup_free_ char *boot3 = var_bytes(vars, "Boot0003", &boot3_n);
	assert_non_null(order0);
	assert_non_null(boot3);
	struct rsc_diagnosis *d = NULL;
	struct efi_boot_entry *e = NULL;

	/* Boot0003 starts shim but is not in BootOrder: it goes first. */
	struct rsc_plan *p = plan_on_disk(root, &d);
	assert_int_equal(loader_finding(d)->severity, RSC_SEVERITY_ERROR);
	struct rsc_action *a = nvram_step_first(p);
	assert_int_equal(a->efi.existing, 3);
	assert_false(a->efi.existing_inactive);
	_cleanup_free_ char *sh = rsc_action_shell(a);
	assert_non_null(strstr(sh, "efibootmgr --bootorder 0003$(efibootmgr | sed -n 's/^BootOrder: //p'"));
	assert_null(strstr(sh, "--create"));
	assert_int_equal(apply_first(p, 1, root), 0);
	assert_non_null(strstr(p->actions[0].result, "Boot0003 put first in BootOrder and read back"));
	_cleanup_free_ char *order1 = var_bytes(vars, "BootOrder", &n);
	assert_int_equal(n, 8);
	assert_memory_equal(order1, "\x07\0\0\0\x03\0\x01\0", 8);
	char *same = var_bytes(vars, "Boot0003", &n);
	assert_int_equal(n, boot3_n);
	assert_memory_equal(same, boot3, n);   /* the entry itself untouched */
	free(same);
	rsc_plan_free(p);
	rsc_diagnosis_free(d);
	p = plan_on_disk(root, &d);
	assert_null(loader_finding(d));
	assert_false(has_finding(d, "nvram-entry-duplicate", NULL));
	rsc_plan_free(p);
	rsc_diagnosis_free(d);
	assert_true(rsc_journal_undo(ctx, root, NULL) >= 1);
	free(order1);
	order1 = var_bytes(vars, "BootOrder", &n);
	assert_int_equal(n, order0_n);
	assert_memory_equal(order1, order0, n);

	/* Inactive as well: made active too; undo makes it inactive again. */
	uint8_t *v = NULL;
	size_t vn = 0;
	assert_int_equal(efi_var_get(vars, "Boot0003-" EFI_GLOBAL_GUID, &v, &vn), 0);
	v[4] &= (uint8_t)~EFI_LOAD_OPTION_ACTIVE;
	assert_int_equal(efi_var_set(vars, "Boot0003-" EFI_GLOBAL_GUID, v, vn), 0);
	p = plan_on_disk(root, &d);
	a = nvram_step_first(p);
	assert_true(a->efi.existing_inactive);
	free(sh);
	sh = rsc_action_shell(a);
	assert_non_null(strstr(sh, "efibootmgr --bootnum 0003 --active\n"));
	assert_int_equal(apply_first(p, 1, root), 0);
	assert_non_null(strstr(p->actions[0].result, "Boot0003 made active, put first in BootOrder"));
	rsc_plan_free(p);
	rsc_diagnosis_free(d);
	assert_int_equal(efi_boot_entries_read(vars, &e, &n), 0);
	assert_int_equal(n, 1);
	assert_true(e[0].attributes & EFI_LOAD_OPTION_ACTIVE);
	assert_int_equal(e[0].order, 0);
	efi_boot_entries_free(e, n);
	assert_true(rsc_journal_undo(ctx, root, NULL) >= 2);
	same = var_bytes(vars, "Boot0003", &n);
	assert_int_equal(n, vn);
	assert_memory_equal(same, v, n);   /* inactive again, byte for byte */
	free(same);
	free(v);

	/* No entry for it at all: a new one, Boot0000, goes first. */
	assert_int_equal(efi_var_remove(vars, "Boot0003-" EFI_GLOBAL_GUID), 0);
	p = plan_on_disk(root, &d);
	a = nvram_step_first(p);
	assert_int_equal(a->efi.existing, -1);
	assert_string_equal(a->efi.loader, "/EFI/debian/shimx64.efi");
	assert_string_equal(a->efi.label, "debian");
	assert_string_equal(a->efi.disk, "/dev/vdb");
	assert_int_equal(a->efi.partno, 1);
	assert_int_equal(a->efi.start, 1u << 20);
	free(sh);
	sh = rsc_action_shell(a);
	assert_non_null(strstr(sh, "efibootmgr --create --disk /dev/vdb --part 1 --label debian --loader "
				   "'\\EFI\\debian\\shimx64.efi'"));
	assert_int_equal(apply_first(p, 1, root), 0);
	assert_non_null(strstr(p->actions[0].result, "Boot0000 \"debian\" added and read back"));
	rsc_plan_free(p);
	rsc_diagnosis_free(d);
	assert_int_equal(efi_boot_entries_read(vars, &e, &n), 0);
	assert_int_equal(n, 1);
	assert_int_equal(e[0].number, 0);
	assert_int_equal(e[0].order, 0);
	assert_true(e[0].attributes & EFI_LOAD_OPTION_ACTIVE);
	assert_string_equal(e[0].path, "/EFI/debian/shimx64.efi");
	efi_boot_entries_free(e, n);
	free(order1);
	order1 = var_bytes(vars, "BootOrder", &n);
	assert_int_equal(n, order0_n + 2);
	assert_memory_equal(order1, "\x07\0\0\0\0\0\x01\0", 8);   /* 0000, then the old 0001 */
	p = plan_on_disk(root, &d);
	assert_null(loader_finding(d));
	rsc_plan_free(p);
	rsc_diagnosis_free(d);
	/* Undo: the entry goes, BootOrder is as it was. */
	assert_true(rsc_journal_undo(ctx, root, NULL) >= 2);
	char boot0[600];
	snprintf(boot0, sizeof(boot0), "%s/Boot0000-" EFI_GLOBAL_GUID, vars);
	assert_int_equal(access(boot0, F_OK), -1);
	free(order1);
	order1 = var_bytes(vars, "BootOrder", &n);
	assert_int_equal(n, order0_n);
	assert_memory_equal(order1, order0, n);

	/* Once more, then the entry is changed by someone else: undo leaves
	 * it (not ours any more) and still puts BootOrder back. */
	p = plan_on_disk(root, &d);
	nvram_step_first(p);
	assert_int_equal(apply_first(p, 1, root), 0);
	rsc_plan_free(p);
	rsc_diagnosis_free(d);
	assert_int_equal(efi_var_get(vars, "Boot0000-" EFI_GLOBAL_GUID, &v, &vn), 0);
	v[4] = 0;   /* made inactive by someone */
	assert_int_equal(efi_var_set(vars, "Boot0000-" EFI_GLOBAL_GUID, v, vn), 0);
	free(v);
	assert_true(rsc_journal_undo(ctx, root, NULL) >= 1);
	assert_int_equal(access(boot0, F_OK), 0);
	free(order1);
	order1 = var_bytes(vars, "BootOrder", &n);
	assert_int_equal(n, order0_n);
	assert_memory_equal(order1, order0, n);

	/* Variables that cannot be written: the removable copy. */
	setenv("RESCUE_EFIVARS_READONLY", "1", 1);
	assert_int_equal(efi_var_remove(vars, "Boot0000-" EFI_GLOBAL_GUID), 0);
	p = plan_on_disk(root, &d);
	assert_int_equal(count_kind(p, RSC_ACTION_NVRAM_ENTRY), 0);
	assert_int_equal(count_kind(p, RSC_ACTION_GRUB_INSTALL_EFI), 1);
	for (size_t i = 0; i < p->n_actions; i++)
		if (p->actions[i].kind == RSC_ACTION_GRUB_INSTALL_EFI)
			assert_true(argv_has(&p->actions[i], "--force-extra-removable"));
	rsc_plan_free(p);
	rsc_diagnosis_free(d);
	unsetenv("RESCUE_EFIVARS_READONLY");
	setenv("RESCUE_EFIVARS_DIR", "/nonexistent", 1);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", vars);
	assert_int_equal(system(cmd), 0);
	remove_root(root);
}

int main(void) {
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup(test_assignments_chain, reset),
		cmocka_unit_test_setup(test_assignments_bad_lines, reset),
		cmocka_unit_test_setup(test_cmdline_split, reset),
		cmocka_unit_test_setup(test_cmdline_defaults_grub, reset),
		cmocka_unit_test_setup(test_cmdline_defaults_kernel, reset),
		cmocka_unit_test_setup(test_genconf_dracut, reset),
		cmocka_unit_test_setup(test_genconf_dracutmodules, reset),
		cmocka_unit_test_setup(test_genconf_others, reset),
		cmocka_unit_test_setup(test_genconf_compression_names, reset),
		cmocka_unit_test_setup(test_diagnose_cmdline_defaults, reset),
		cmocka_unit_test_setup(test_diagnose_generator, reset),
		cmocka_unit_test_setup(test_confedit, reset),
		cmocka_unit_test_setup(test_repair_generator_omit, reset),
		cmocka_unit_test_setup(test_repair_compression_blocks_rebuild, reset),
		cmocka_unit_test_setup(test_esp_loader_gone, reset),
		cmocka_unit_test_setup(test_esp_loader_shim_alone, reset),
		cmocka_unit_test_setup(test_esp_loader_packages, reset),
		cmocka_unit_test_setup(test_esp_loader_negative, reset),
		cmocka_unit_test_setup(test_esp_loader_nvram, reset),
		cmocka_unit_test_setup(test_nvram_entry, reset),
		cmocka_unit_test_setup(test_repair_cmdline_default, reset),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
