/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Facts of the console the wizard runs on: serial line (and its speed) or
 * local console, the keyboard layout in use (rescue.keymap= on the kernel
 * command line, or one picked from the layouts this medium ships), and
 * loading a layout.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <termios.h>
#include <unistd.h>

#include "macro.h"
#include "strv.h"
#include "tui.h"

/* Tests point these elsewhere. */
static const char *cmdline_path(void) {
	const char *p = getenv("RESCUE_CMDLINE");
	return p && *p ? p : "/proc/cmdline";
}

static const char *const keymap_dirs[] = { "/usr/share/keymaps", "/usr/share/kbd/keymaps", "/lib/kbd/keymaps" };

/* The line's speed, as the kernel set it from console=ttyS0,SPEED (the
 * person's terminal must match it); 0 when unknown. */
static unsigned line_speed(int fd) {
	static const struct {
		speed_t code;
		unsigned baud;
	} speeds[] = {
		{ B1200, 1200 },   { B2400, 2400 },   { B4800, 4800 },     { B9600, 9600 },     { B19200, 19200 },
		{ B38400, 38400 }, { B57600, 57600 }, { B115200, 115200 }, { B230400, 230400 }, { B460800, 460800 },
		{ B921600, 921600 },
	};
	struct termios tio;
	if (tcgetattr(fd, &tio) < 0)
		return 0;
	speed_t code = cfgetospeed(&tio);
	for (size_t i = 0; i < ELEMENTSOF(speeds); i++)
		if (speeds[i].code == code)
			return speeds[i].baud;
	return 0;
}

void tui_detect_console(struct tui *t) {
	snprintf(t->keymap, sizeof(t->keymap), "us");
	t->keymap_source = "(the default)";
	char buf[4096];
	int fd = open(cmdline_path(), O_RDONLY | O_CLOEXEC);
	if (fd >= 0) {
		ssize_t n = read(fd, buf, sizeof(buf) - 1);
		close(fd);
		if (n > 0) {
			buf[n] = 0;
			for (char *tok = strtok(buf, " \t\n"); tok; tok = strtok(NULL, " \t\n"))
				if (strncmp(tok, "rescue.keymap=", 14) == 0 && tok[14]) {
					snprintf(t->keymap, sizeof(t->keymap), "%s", tok + 14);
					t->keymap_source = "(from rescue.keymap= on the kernel command line)";
				}
		}
	}
	const char *term = getenv("TERM");
	if (t->headless) {
		snprintf(t->console, sizeof(t->console), "a scripted run (no terminal)");
		return;
	}
	const char *tty = ttyname(STDIN_FILENO);
	t->serial = tty && (strncmp(tty, "/dev/ttyS", 9) == 0 || strncmp(tty, "/dev/ttyAMA", 11) == 0 ||
			    strncmp(tty, "/dev/ttyUSB", 11) == 0 || strncmp(tty, "/dev/hvc", 8) == 0);
	unsigned baud = t->serial ? line_speed(STDIN_FILENO) : 0;
	if (t->serial && baud)
		snprintf(t->console, sizeof(t->console), "serial console %s at %u baud (TERM=%s)", tty, baud, strna(term));
	else if (t->serial)
		snprintf(t->console, sizeof(t->console), "serial console %s (TERM=%s)", tty, strna(term));
	else if (tty && strncmp(tty, "/dev/tty", 8) == 0 && tty[8] >= '0' && tty[8] <= '9')
		snprintf(t->console, sizeof(t->console), "local console %s", tty);
	else
		snprintf(t->console, sizeof(t->console), "terminal %s (TERM=%s)", tty ? tty : "?", strna(term));
}

static bool keymap_name(const char *file, char *buf, size_t size) {
	static const char *const ext[] = { ".kmap.gz", ".map.gz", ".kmap", ".map" };
	size_t len = strlen(file);
	for (size_t i = 0; i < ELEMENTSOF(ext); i++) {
		size_t el = strlen(ext[i]);
		if (len > el && streq(file + len - el, ext[i])) {
			snprintf(buf, size, "%.*s", (int)(len - el), file);
			return true;
		}
	}
	return false;
}

static void walk(const char *dir, int depth, char ***list) {
	DIR *d = opendir(dir);
	if (!d)
		return;
	struct dirent *de;
	while ((de = readdir(d))) {
		if (de->d_name[0] == '.')
			continue;
		char name[256];
		if (de->d_type == DT_DIR && depth < 4) {
			/* "include" holds fragments, not layouts. */
			if (streq(de->d_name, "include"))
				continue;
			_cleanup_free_ char *sub = NULL;
			if (asprintf(&sub, "%s/%s", dir, de->d_name) >= 0)
				walk(sub, depth + 1, list);
		} else if (keymap_name(de->d_name, name, sizeof(name)) && !strv_contains(*list, name))
			strv_extend(list, name);
	}
	closedir(d);
}

int tui_list_keymaps(char ***ret) {
	char **list = NULL;
	const char *env = getenv("RESCUE_KEYMAP_DIR");
	if (env && *env)
		walk(env, 0, &list);
	else
		for (size_t i = 0; i < ELEMENTSOF(keymap_dirs); i++)
			walk(keymap_dirs[i], 0, &list);
	strv_sort(list);
	*ret = list;
	return (int)strv_length(list);
}

int tui_set_keymap(struct tui *t, const char *name) {
	if (!t->headless) {
		pid_t pid = fork();
		if (pid < 0)
			return -errno;
		if (pid == 0) {
			int null = open("/dev/null", O_RDWR | O_CLOEXEC);
			if (null >= 0) {
				dup2(null, STDOUT_FILENO);
				dup2(null, STDERR_FILENO);
			}
			execlp("loadkeys", "loadkeys", name, (char *)NULL);
			_exit(127);
		}
		int status;
		if (waitpid(pid, &status, 0) < 0)
			return -errno;
		if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
			return WIFEXITED(status) && WEXITSTATUS(status) == 127 ? -ENOENT : -EIO;
	}
	snprintf(t->keymap, sizeof(t->keymap), "%s", name);
	t->keymap_source = "(chosen here)";
	tui_notice(t, "Keyboard layout %s loaded.", name);
	return 0;
}
