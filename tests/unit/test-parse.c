/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The fstab, crypttab and KEY=VALUE parsers (rescue/parse.h): the files as
 * distributions write them, and the damage a broken system leaves in them.
 * Every rejected line must be named (file:line) in a warning, and never
 * hide the good lines around it. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "macro.h"
#include "rescue/parse.h"
#include "strv.h"

static rsc_context *ctx;
static char logbuf[1 << 16];
static size_t loglen;
static unsigned n_warnings;

static void capture(void *userdata, int level, const char *message) {
	if (level <= RSC_LOG_WARNING)
		n_warnings++;
	int k = snprintf(logbuf + loglen, sizeof(logbuf) - loglen, "<%d>%s\n", level, message);
	if (k > 0 && (size_t)k < sizeof(logbuf) - loglen)
		loglen += (size_t)k;
}

static void log_reset(void) {
	logbuf[0] = 0;
	loglen = 0;
	n_warnings = 0;
}

static int setup(void **state) {
	int r = rsc_context_new(&ctx);
	if (r < 0)
		return r;
	rsc_context_set_log(ctx, capture, NULL);
	rsc_context_set_log_level(ctx, RSC_LOG_DEBUG);
	return 0;
}
static int teardown(void **state) {
	rsc_context_free(ctx);
	return 0;
}
static int reset(void **state) {
	log_reset();
	return 0;
}

/* The captured log holds a warning containing s. */
static void assert_warned(const char *s) {
	char needle[512];
	snprintf(needle, sizeof(needle), "<%d>", RSC_LOG_WARNING);
	for (const char *p = logbuf; (p = strstr(p, needle)); p++) {
		const char *eol = strchr(p, '\n');
		const char *hit = strstr(p, s);
		if (hit && (!eol || hit < eol))
			return;
	}
	fail_msg("no warning contains \"%s\"; log:\n%s", s, logbuf);
}

/* ---- fstab ---- */

static const char debian_fstab[] =
	"# /etc/fstab: static file system information.\n"
	"#\n"
	"# <file system> <mount point>   <type>  <options>       <dump>  <pass>\n"
	"/dev/mapper/vg0-root /               ext4    errors=remount-ro 0       1\n"
	"# /boot was on /dev/vda2 during installation\n"
	"UUID=2b0e6d5c-7f1a-4c3e-9d8b-5a4f3e2d1c0b /boot           ext2    defaults        0       2\n"
	"# /boot/efi was on /dev/vda1 during installation\n"
	"UUID=5C1A-3F2E  /boot/efi       vfat    umask=0077      0       1\n"
	"/dev/mapper/vg0-swap_1 none            swap    sw              0       0\n"
	"/dev/sr0        /media/cdrom0   udf,iso9660 user,noauto     0       0\n";

static void test_fstab_debian(void **state) {
	struct rsc_fstab_entry *e = NULL;
	size_t n = 0;
	assert_int_equal(rsc_fstab_parse(ctx, debian_fstab, "/etc/fstab", &e, &n), 0);
	assert_int_equal(n, 5);
	assert_string_equal(e[0].spec, "/dev/mapper/vg0-root");
	assert_string_equal(e[0].target, "/");
	assert_string_equal(e[0].fstype, "ext4");
	assert_string_equal(e[0].options, "errors=remount-ro");
	assert_int_equal(e[0].passno, 1);
	assert_int_equal(e[0].line, 4);
	assert_string_equal(e[1].spec, "UUID=2b0e6d5c-7f1a-4c3e-9d8b-5a4f3e2d1c0b");
	assert_string_equal(e[1].target, "/boot");
	assert_int_equal(e[1].passno, 2);
	assert_int_equal(e[1].line, 6);
	assert_string_equal(e[2].spec, "UUID=5C1A-3F2E");
	assert_string_equal(e[2].options, "umask=0077");
	assert_string_equal(e[3].target, "none");
	assert_string_equal(e[3].fstype, "swap");
	assert_int_equal(e[3].passno, 0);
	assert_string_equal(e[4].fstype, "udf,iso9660");
	assert_string_equal(e[4].options, "user,noauto");
	assert_int_equal(n_warnings, 0);
	rsc_fstab_free(e, n);
}

static void test_fstab_specs_and_fields(void **state) {
	static const char text[] =
		"LABEL=home\t/home\text4\trw,relatime\t0 2\n"
		"PARTUUID=8c7b6a59-4837-4261-9f0e-d1c2b3a4f5e6 /boot/efi vfat umask=0077 0 2\n"
		"PARTLABEL=data /srv xfs\n"                       /* three fields: the rest defaults */
		"/dev/disk/by-id/ata-X-part3 /var ext4 noatime\n" /* four fields */
		"   \t  \n"                                     /* blank */
		"\t# indented comment\n"
		"tmpfs /tmp tmpfs mode=1777,strictatime,nosuid 0 0\r\n"; /* CRLF */
	struct rsc_fstab_entry *e = NULL;
	size_t n = 0;
	assert_int_equal(rsc_fstab_parse(ctx, text, "fstab", &e, &n), 0);
	assert_int_equal(n, 5);
	assert_string_equal(e[0].spec, "LABEL=home");
	assert_string_equal(e[0].options, "rw,relatime");
	assert_string_equal(e[1].spec, "PARTUUID=8c7b6a59-4837-4261-9f0e-d1c2b3a4f5e6");
	assert_string_equal(e[2].spec, "PARTLABEL=data");
	assert_string_equal(e[2].options, "defaults");
	assert_int_equal(e[2].passno, 0);
	assert_string_equal(e[3].options, "noatime");
	assert_int_equal(e[3].passno, 0);
	assert_string_equal(e[4].options, "mode=1777,strictatime,nosuid");
	assert_int_equal(e[4].line, 7);
	assert_int_equal(n_warnings, 0);
	rsc_fstab_free(e, n);
}

static void test_fstab_escapes(void **state) {
	static const char text[] =
		"LABEL=Media\\040Disk /mnt/media\\040disk ext4 rw,nofail 0 2\n"
		"//server/share\\040name /mnt/tab\\011here cifs credentials=/etc/creds 0 0\n"
		"/dev/sdb1 /mnt/back\\134slash ext4 defaults 0 0\n"
		"/dev/sdb2 /mnt/nul\\000byte ext4 defaults 0 0\n"   /* never a NUL inside a string */
		"/dev/sdb3 /mnt/not\\9an\\08escape\\ ext4 defaults 0 0\n";
	struct rsc_fstab_entry *e = NULL;
	size_t n = 0;
	assert_int_equal(rsc_fstab_parse(ctx, text, "fstab", &e, &n), 0);
	assert_int_equal(n, 5);
	assert_string_equal(e[0].spec, "LABEL=Media Disk");
	assert_string_equal(e[0].target, "/mnt/media disk");
	assert_string_equal(e[1].spec, "//server/share name");
	assert_string_equal(e[1].target, "/mnt/tab\there");
	assert_string_equal(e[2].target, "/mnt/back\\slash");
	assert_string_equal(e[3].target, "/mnt/nul?byte");
	assert_string_equal(e[4].target, "/mnt/not\\9an\\08escape\\");
	rsc_fstab_free(e, n);
}

static void test_fstab_bad_lines_skipped(void **state) {
	static const char text[] =
		"UUID=1111 / ext4 defaults 0 1\n"
		"UUID=2222 /two\n"                               /* 2: too few fields */
		"UUID=3333 /three ext4 defaults 0 2 extra\n"     /* 3: too many */
		"UUID=4444 /four ext4 defaults 0 2\n"
		"UUID=5555 /fi\x01ve ext4 defaults 0 2\n"        /* 5: control character in a later field */
		"UUID=6666 /six ext4 def\xff\xfe 0 2\n"          /* 6: invalid UTF-8 */
		"UUID=7777 /sept/\xc3\xa9t\xc3\xa9 ext4 defaults 0 2\n" /* 7: valid UTF-8 is fine */
		"UUID=8888 /eight ext4 defaults 0 x\n"           /* 8: bad pass number, entry kept */
		"UUID=9999 /nine ext4 defaults 0 10\n"           /* 9: out of range */
		"UUID=aaaa /ten ext4 defaults 0 -1\n"            /* 10 */
		"UUID=bbbb /eleven ext4 defaults 0 2";           /* no final newline */
	struct rsc_fstab_entry *e = NULL;
	size_t n = 0;
	assert_int_equal(rsc_fstab_parse(ctx, text, "/etc/fstab", &e, &n), 0);
	assert_int_equal(n, 7);
	assert_string_equal(e[0].target, "/");
	assert_string_equal(e[1].target, "/four");
	assert_int_equal(e[1].line, 4);
	assert_string_equal(e[2].target, "/sept/\xc3\xa9t\xc3\xa9");
	assert_string_equal(e[3].target, "/eight");
	assert_int_equal(e[3].passno, 0);
	assert_int_equal(e[4].passno, 0);
	assert_int_equal(e[5].passno, 0);
	assert_string_equal(e[6].target, "/eleven");
	assert_int_equal(e[6].passno, 2);
	assert_int_equal(e[6].line, 11);
	assert_warned("/etc/fstab:2: not an fstab entry (fewer than 3 fields)");
	assert_warned("/etc/fstab:3: not an fstab entry (more than 6 fields)");
	assert_warned("/etc/fstab:5: not an fstab entry (control characters");
	assert_warned("/etc/fstab:6: not an fstab entry (control characters or invalid UTF-8)");
	assert_warned("/etc/fstab:8: bad pass number 'x'");
	assert_warned("/etc/fstab:9: bad pass number '10'");
	assert_warned("/etc/fstab:10: bad pass number '-1'");
	assert_int_equal(n_warnings, 7);
	rsc_fstab_free(e, n);
}

static void test_fstab_empty_and_comments(void **state) {
	struct rsc_fstab_entry *e = (void *)1;
	size_t n = 99;
	assert_int_equal(rsc_fstab_parse(ctx, "", "fstab", &e, &n), 0);
	assert_int_equal(n, 0);
	rsc_fstab_free(e, n);
	assert_int_equal(rsc_fstab_parse(ctx, "# nothing\n\n   # here\n", "fstab", &e, &n), 0);
	assert_int_equal(n, 0);
	rsc_fstab_free(e, n);
	assert_int_equal(n_warnings, 0);
}

/* A file of garbage gets a few warnings and a count, not one per line. */
static void test_fstab_warning_cap(void **state) {
	char text[4096] = "";
	for (int i = 0; i < 50; i++)
		strcat(text, "garbage\n");
	strcat(text, "UUID=1 / ext4 defaults 0 1\n");
	struct rsc_fstab_entry *e = NULL;
	size_t n = 0;
	assert_int_equal(rsc_fstab_parse(ctx, text, "/etc/fstab", &e, &n), 0);
	assert_int_equal(n, 1);
	assert_int_equal(e[0].line, 51);
	assert_int_equal(n_warnings, 11);
	assert_warned("/etc/fstab:10: not an fstab entry");
	assert_warned("/etc/fstab: 50 bad lines in all (40 more not shown)");
	assert_null(strstr(logbuf, "<4>/etc/fstab:11:"));
	assert_non_null(strstr(logbuf, "<7>/etc/fstab:11:")); /* still there for -v */
	rsc_fstab_free(e, n);
}

/* ---- crypttab ---- */

static void test_crypttab(void **state) {
	static const char text[] =
		"# <target name>\t<source device>\t\t<key file>\t<key options>\n"
		"vda3_crypt UUID=8d3c4b2a-1e0f-4a9b-8c7d-6e5f4a3b2c1d none luks,discard\n"
		"luks-6a5b4c3d-2e1f-4a0b-9c8d-7e6f5a4b3c2d UUID=6a5b4c3d-2e1f-4a0b-9c8d-7e6f5a4b3c2d none discard\n"
		"home\tUUID=4d5e6f70-8192-4a3b-bc4d-5e6f708192a3\t/etc/cryptsetup-keys.d/home.key\n"
		"swap /dev/sdx4 /dev/urandom swap,cipher=aes-xts-plain64,size=512\n"
		"data PARTUUID=0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0 - tries=3\n"
		"minimal /dev/sdb1\n";
	struct rsc_crypttab_entry *e = NULL;
	size_t n = 0;
	assert_int_equal(rsc_crypttab_parse(ctx, text, "/etc/crypttab", &e, &n), 0);
	assert_int_equal(n, 6);
	assert_string_equal(e[0].name, "vda3_crypt");
	assert_string_equal(e[0].device, "UUID=8d3c4b2a-1e0f-4a9b-8c7d-6e5f4a3b2c1d");
	assert_null(e[0].keyfile);
	assert_string_equal(e[0].options, "luks,discard");
	assert_int_equal(e[0].line, 2);
	assert_null(e[1].keyfile);
	assert_string_equal(e[1].options, "discard");
	assert_string_equal(e[2].keyfile, "/etc/cryptsetup-keys.d/home.key");
	assert_null(e[2].options);
	assert_string_equal(e[3].keyfile, "/dev/urandom");
	assert_string_equal(e[4].device, "PARTUUID=0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0");
	assert_null(e[4].keyfile); /* "-" is "none" */
	assert_string_equal(e[4].options, "tries=3");
	assert_string_equal(e[5].name, "minimal");
	assert_null(e[5].keyfile);
	assert_null(e[5].options);
	assert_int_equal(n_warnings, 0);
	rsc_crypttab_free(e, n);
}

static void test_crypttab_bad_lines(void **state) {
	static const char text[] =
		"lonely\n"                                        /* 1: name only */
		"dev/mapper UUID=1 none\n"                        /* 2: '/' in the name */
		"a UUID=1 none luks extra\n"                      /* 3: five fields */
		"ok UUID=2 none luks\n"                           /* 4 */
		"bad UUID=3 no\x1bne luks\n"                      /* 5: control character */
		"also-ok UUID=4\n";                               /* 6 */
	struct rsc_crypttab_entry *e = NULL;
	size_t n = 0;
	assert_int_equal(rsc_crypttab_parse(ctx, text, "/etc/crypttab", &e, &n), 0);
	assert_int_equal(n, 2);
	assert_string_equal(e[0].name, "ok");
	assert_int_equal(e[0].line, 4);
	assert_string_equal(e[1].name, "also-ok");
	assert_warned("/etc/crypttab:1: not a crypttab entry (fewer than 2 fields)");
	assert_warned("/etc/crypttab:2: not a crypttab entry ('/' in the volume name)");
	assert_warned("/etc/crypttab:3: not a crypttab entry (more than 4 fields)");
	assert_warned("/etc/crypttab:5: not a crypttab entry (control characters");
	assert_int_equal(n_warnings, 4);
	rsc_crypttab_free(e, n);
}

/* ---- KEY=VALUE ---- */

static char **env_parse(const char *text, const char *filename) {
	char **env = NULL;
	assert_int_equal(rsc_envfile_parse(ctx, text, filename, &env), 0);
	assert_non_null(env);
	return env;
}

static void test_env_os_release(void **state) {
	static const char text[] =
		"NAME=\"Fedora Linux\"\n"
		"VERSION=\"39 (Workstation Edition)\"\n"
		"ID=fedora\n"
		"VERSION_ID=39\n"
		"VERSION_CODENAME=\"\"\n"
		"PRETTY_NAME=\"Fedora Linux 39 (Workstation Edition)\"\n"
		"ID_LIKE=\"rhel centos\"\n"
		"CPE_NAME='cpe:/o:fedoraproject:fedora:39'\n";
	_cleanup_strv_free_ char **env = env_parse(text, "/etc/os-release");
	assert_string_equal(rsc_env_get(env, "NAME"), "Fedora Linux");
	assert_string_equal(rsc_env_get(env, "ID"), "fedora");
	assert_string_equal(rsc_env_get(env, "VERSION_ID"), "39");
	assert_string_equal(rsc_env_get(env, "VERSION_CODENAME"), "");
	assert_string_equal(rsc_env_get(env, "PRETTY_NAME"), "Fedora Linux 39 (Workstation Edition)");
	assert_string_equal(rsc_env_get(env, "ID_LIKE"), "rhel centos");
	assert_string_equal(rsc_env_get(env, "CPE_NAME"), "cpe:/o:fedoraproject:fedora:39");
	assert_null(rsc_env_get(env, "VARIANT"));
	assert_null(rsc_env_get(env, "I"));   /* no prefix matches */
	assert_null(rsc_env_get(NULL, "ID"));
	assert_int_equal(n_warnings, 0);
}

static void test_env_quotes_and_escapes(void **state) {
	static const char text[] =
		"A=\"double \\\"quoted\\\" \\\\ \\$HOME \\`cmd\\`\"\n"   /* escapes inside double quotes */
		"B=\"backslash \\n stays\"\n"                          /* other escapes stay as written */
		"C='single $HOME \\n \"kept\"'\n"                     /* nothing special in single quotes */
		"D=un\\ quoted\\\"\n"                                  /* backslash escapes any byte unquoted */
		"E=\"a\"'b'c\n"                                        /* concatenation */
		"F=value # a comment\n"
		"G=first second\n"                                     /* unquoted blank ends the value */
		"H=\n"
		"I=\"tab\there\"\n"
		"J=caf\xc3\xa9\n";
	_cleanup_strv_free_ char **env = env_parse(text, "f");
	assert_string_equal(rsc_env_get(env, "A"), "double \"quoted\" \\ $HOME `cmd`");
	assert_string_equal(rsc_env_get(env, "B"), "backslash \\n stays");
	assert_string_equal(rsc_env_get(env, "C"), "single $HOME \\n \"kept\"");
	assert_string_equal(rsc_env_get(env, "D"), "un quoted\"");
	assert_string_equal(rsc_env_get(env, "E"), "abc");
	assert_string_equal(rsc_env_get(env, "F"), "value");
	assert_string_equal(rsc_env_get(env, "G"), "first");
	assert_string_equal(rsc_env_get(env, "H"), "");
	assert_string_equal(rsc_env_get(env, "I"), "tab\there");
	assert_string_equal(rsc_env_get(env, "J"), "caf\xc3\xa9");
	assert_int_equal(n_warnings, 0);
}

/* /etc/default/grub builds its variables from earlier ones. */
static void test_env_expansion(void **state) {
	static const char text[] =
		"GRUB_CMDLINE_LINUX=\"rd.lvm.lv=rhel/root\"\n"
		"GRUB_CMDLINE_LINUX=\"$GRUB_CMDLINE_LINUX rhgb quiet\"\n"
		"B=${GRUB_CMDLINE_LINUX}\n"           /* braced, unquoted: no word splitting of the result */
		"C=\"${UNDEFINED}x$UNDEFINED\"\n"      /* unknown: empty */
		"D='$GRUB_CMDLINE_LINUX'\n"            /* single quotes: no expansion */
		"E=\"cost: 5$ ${unterminated\"\n"     /* not a variable: kept */
		"F=\"$1 $@ $\"\n"                    /* $1: empty, as in a shell */
		"G=\"$(sed 's, release .*$,,g' /etc/system-release)\"\n"
		"H=`lsb_release -i -s 2> /dev/null || echo Debian`\n"
		"I=$(uname -r) trailing\n"
		"J=prefix${B}suffix\n";
	_cleanup_strv_free_ char **env = env_parse(text, "/etc/default/grub");
	assert_string_equal(rsc_env_get(env, "GRUB_CMDLINE_LINUX"), "rd.lvm.lv=rhel/root rhgb quiet");
	assert_string_equal(rsc_env_get(env, "B"), "rd.lvm.lv=rhel/root rhgb quiet");
	assert_string_equal(rsc_env_get(env, "C"), "x");
	assert_string_equal(rsc_env_get(env, "D"), "$GRUB_CMDLINE_LINUX");
	assert_string_equal(rsc_env_get(env, "E"), "cost: 5$ ${unterminated");
	assert_string_equal(rsc_env_get(env, "F"), " $@ $");
	/* Command substitution is kept as text, never run. */
	assert_string_equal(rsc_env_get(env, "G"), "$(sed 's, release .*$,,g' /etc/system-release)");
	assert_string_equal(rsc_env_get(env, "H"), "`lsb_release -i -s 2> /dev/null || echo Debian`");
	assert_string_equal(rsc_env_get(env, "I"), "$(uname -r)");
	assert_string_equal(rsc_env_get(env, "J"), "prefixrd.lvm.lv=rhel/root rhgb quietsuffix");
	assert_int_equal(n_warnings, 0);
}

static void test_env_export_later_wins(void **state) {
	static const char text[] =
		"export SELINUX=permissive\n"
		"export\tSELINUXTYPE=targeted\n"
		"SELINUX=enforcing\n"
		"ID=first\n"
		"ID=second\n";
	_cleanup_strv_free_ char **env = env_parse(text, "/etc/selinux/config");
	assert_string_equal(rsc_env_get(env, "SELINUX"), "enforcing");
	assert_string_equal(rsc_env_get(env, "ID"), "second");
	assert_null(rsc_env_get(env, "export SELINUX"));
	/* "export\tX" is no "export " prefix: the line is not an assignment. */
	assert_null(rsc_env_get(env, "SELINUXTYPE"));
	assert_warned("/etc/selinux/config:2: not a KEY=VALUE assignment");
}

static void test_env_bad_lines(void **state) {
	static const char text[] =
		"ID=debian\n"
		"PRETTY_NAME=\"Debian GNU/Li\n"          /* 2: unterminated: dropped, the old value stays */
		"1ABC=x\n"                               /* 3: not a name */
		"SPACE =x\n"                             /* 4 */
		"just words\n"                           /* 5 */
		"fi\n"                                   /* 6 */
		"NAME='open\n"                           /* 7 */
		"VERSION_ID=\"12\"\n"
		"CTRL=a\x02" "b\n"                       /* 9: control character */
		"BAD=\xc0\xaf\n"                         /* 10: overlong UTF-8 */
		"CMD=`never closed\n"                    /* 11 */
		"ID=debian2";                            /* no newline at the end */
	_cleanup_strv_free_ char **env = env_parse(text, "/etc/os-release");
	assert_string_equal(rsc_env_get(env, "ID"), "debian2");
	assert_null(rsc_env_get(env, "PRETTY_NAME"));
	assert_null(rsc_env_get(env, "NAME"));
	assert_string_equal(rsc_env_get(env, "VERSION_ID"), "12");
	assert_null(rsc_env_get(env, "CTRL"));
	assert_null(rsc_env_get(env, "BAD"));
	assert_null(rsc_env_get(env, "CMD"));
	assert_warned("/etc/os-release:2: unterminated quote in PRETTY_NAME");
	assert_warned("/etc/os-release:3: not a KEY=VALUE assignment");
	assert_warned("/etc/os-release:4: not a KEY=VALUE assignment");
	assert_warned("/etc/os-release:5: not a KEY=VALUE assignment");
	assert_warned("/etc/os-release:6: not a KEY=VALUE assignment");
	assert_warned("/etc/os-release:7: unterminated quote in NAME");
	assert_warned("/etc/os-release:9: control characters or invalid UTF-8");
	assert_warned("/etc/os-release:10: control characters or invalid UTF-8");
	assert_warned("/etc/os-release:11: unterminated command substitution in CMD");
	assert_int_equal(n_warnings, 9);
}

/* A hostile file must not make the parser run for hours or eat the
 * memory of a 512 MiB rescue machine. */
static void test_env_limits(void **state) {
	/* A=$A$A doubles the value at every line: 2^40 bytes by the end. */
	char text[4096] = "ID=x\nA=0123456789abcdef\n";
	for (int i = 0; i < 40; i++)
		strcat(text, "A=$A$A\n");
	strcat(text, "B=after\n");
	_cleanup_strv_free_ char **env = env_parse(text, "/etc/default/grub");
	assert_true(strlen(rsc_env_get(env, "A")) <= 64 * 1024);
	assert_string_equal(rsc_env_get(env, "B"), "after");
	assert_warned("/etc/default/grub:15: value of A longer than 65536 bytes, ignored");

	/* Many lines: parsing stops, with a warning, after 10000. */
	size_t n = 20000;
	_cleanup_free_ char *many = malloc(n * 4 + 1);
	assert_non_null(many);
	for (size_t i = 0; i < n; i++)
		memcpy(many + i * 4, i == n - 1 ? "Z=1\n" : "A=1\n", 4);
	many[n * 4] = 0;
	log_reset();
	_cleanup_strv_free_ char **env2 = env_parse(many, "/etc/os-release");
	assert_null(rsc_env_get(env2, "Z"));
	assert_string_equal(rsc_env_get(env2, "A"), "1");
	assert_warned("/etc/os-release: more than 10000 lines: not a KEY=VALUE configuration file");

	/* Variable references: a budget per file. */
	_cleanup_free_ char *refs = malloc(3 * 5000 + 64);
	assert_non_null(refs);
	strcpy(refs, "X=1\nY=");
	for (int i = 0; i < 5000; i++)
		strcat(refs, "$X,");
	strcat(refs, "\nW=ok\n");
	log_reset();
	_cleanup_strv_free_ char **env3 = env_parse(refs, "f");
	assert_null(rsc_env_get(env3, "Y"));
	assert_string_equal(rsc_env_get(env3, "W"), "ok");
	assert_warned("f:2: more than 4096 variable references in the file: Y ignored");
}

static void test_env_empty(void **state) {
	_cleanup_strv_free_ char **env = env_parse("", "f");
	assert_null(env[0]);
	assert_null(rsc_env_get(env, "X"));
}

int main(void) {
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup(test_fstab_debian, reset),
		cmocka_unit_test_setup(test_fstab_specs_and_fields, reset),
		cmocka_unit_test_setup(test_fstab_escapes, reset),
		cmocka_unit_test_setup(test_fstab_bad_lines_skipped, reset),
		cmocka_unit_test_setup(test_fstab_empty_and_comments, reset),
		cmocka_unit_test_setup(test_fstab_warning_cap, reset),
		cmocka_unit_test_setup(test_crypttab, reset),
		cmocka_unit_test_setup(test_crypttab_bad_lines, reset),
		cmocka_unit_test_setup(test_env_os_release, reset),
		cmocka_unit_test_setup(test_env_quotes_and_escapes, reset),
		cmocka_unit_test_setup(test_env_expansion, reset),
		cmocka_unit_test_setup(test_env_export_later_wins, reset),
		cmocka_unit_test_setup(test_env_bad_lines, reset),
		cmocka_unit_test_setup(test_env_limits, reset),
		cmocka_unit_test_setup(test_env_empty, reset),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
