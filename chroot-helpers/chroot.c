/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Entering an installed system: the API filesystems its tools expect
 * (dracut, grub-mkconfig, update-initramfs need /proc, /sys, /dev, /run),
 * mounted in a private mount namespace of the child that runs the command.
 * They vanish with that namespace when the command ends, however it ends,
 * so nothing is left to clean up and nothing leaks to the rescue system.
 *
 * Mount points are opened inside the target root (openat2 RESOLVE_IN_ROOT)
 * and mounted through their descriptors: a target whose /proc is a symlink
 * to somewhere else cannot make us mount over a rescue system directory.
 */
#include <dirent.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sched.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/wait.h>
#include <unistd.h>

#include "fileio.h"
#include "internal.h"
#include "rescue/assemble.h"

struct api_mount {
	const char *source;
	const char *where;      /* inside the target */
	const char *fstype;     /* NULL: a recursive bind of source */
	unsigned long flags;
	const char *options;
	bool optional;          /* skip when the source is absent */
	bool if_read_only;      /* only when the system is mounted read-only */
};

/* In order; /dev/pts and /dev/shm come with the recursive bind of /dev. */
static const struct api_mount api_mounts[] = {
	{ "proc", "/proc", "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL, false, false },
	{ "sysfs", "/sys", "sysfs", MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL, false, false },
	{ "/dev", "/dev", NULL, 0, NULL, false, false },
	/* A fresh /run: binding the rescue system's would let tools in the
	 * chroot talk to its systemd and udev sockets. */
	{ "tmpfs", "/run", "tmpfs", MS_NOSUID | MS_NODEV, "mode=0755", false, false },
	/* udev's database, read-only: dracut's host-only mode asks udev
	 * which drivers and devices the root needs. */
	{ "/run/udev", "/run/udev", NULL, MS_RDONLY, NULL, true, false },
	{ "efivarfs", "/sys/firmware/efi/efivars", "efivarfs", MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL, true, false },
	/* A system mounted read-only still gets scratch space: tools such as
	 * dracut --print-cmdline create their work directory first. */
	{ "tmpfs", "/tmp", "tmpfs", MS_NOSUID | MS_NODEV, "mode=1777", false, true },
	{ "tmpfs", "/var/tmp", "tmpfs", MS_NOSUID | MS_NODEV, "mode=1777", false, true },
};

static int mount_api(const char *target, const struct api_mount *m) {
	if (m->if_read_only) {
		struct statvfs sv;
		if (statvfs(target, &sv) < 0 || !(sv.f_flag & ST_RDONLY))
			return 0;
	}
	if (m->optional) {
		struct stat st;
		const char *probe = m->fstype ? "/sys/firmware/efi" : m->source;
		if (stat(probe, &st) < 0)
			return 0;
	}
	_cleanup_close_ int root = open(target, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (root < 0)
		return negative_errno();
	_cleanup_close_ int where = open_in_root(root, m->where, O_PATH | O_DIRECTORY);
	if (where == -ENOENT) {
		/* Create it inside the root, one level at a time. */
		const char *slash = strrchr(m->where, '/');
		_cleanup_free_ char *parent = strndup(m->where, (size_t)(slash - m->where));
		_cleanup_close_ int pfd = parent ? open_in_root(root, *parent ? parent : "/", O_PATH | O_DIRECTORY) : -ENOMEM;
		if (pfd < 0)
			return pfd;
		if (mkdirat(pfd, slash + 1, 0755) < 0 && errno != EEXIST)
			return negative_errno();
		where = open_in_root(root, m->where, O_PATH | O_DIRECTORY);
	}
	if (where < 0)
		return where;
	char path[64];
	snprintf(path, sizeof(path), "/proc/self/fd/%d", where);
	if (mount(m->source, path, m->fstype, m->fstype ? m->flags : MS_BIND | MS_REC, m->options) < 0)
		return negative_errno();
	if (!m->fstype && (m->flags & MS_RDONLY)) {
		/* The fd above still names the directory under the new bind
		 * mount, where a remount fails with EINVAL: look it up again
		 * to reach the mount itself. */
		_cleanup_close_ int top = open_in_root(root, m->where, O_PATH | O_DIRECTORY);
		if (top < 0)
			return top;
		snprintf(path, sizeof(path), "/proc/self/fd/%d", top);
		if (mount(NULL, path, NULL, MS_BIND | MS_REMOUNT | MS_RDONLY, NULL) < 0)
			return negative_errno();
	}
	return 0;
}

static const char *shell_in(const char *target) {
	static const char *const shells[] = { "/bin/bash", "/bin/sh" };
	_cleanup_close_ int root = open(target, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	for (size_t i = 0; root >= 0 && i < ELEMENTSOF(shells); i++)
		if (executable_in_root(root, shells[i]))
			return shells[i];
	return NULL;
}

/* Processes the command left behind in the system (the pipeline of a
 * generator that was killed, a daemon a script started) would keep its
 * filesystems busy, so that they could never be unmounted: every process
 * whose root directory is the target's is stopped. */
static void stop_leftovers(rsc_context *ctx, const char *target) {
	struct stat root;
	if (stat(target, &root) < 0)
		return;
	for (int round = 0; round < 50; round++) {
		unsigned found = 0;
		DIR *d = opendir("/proc");
		if (!d)
			return;
		struct dirent *de;
		while ((de = readdir(d))) {
			char *end;
			long pid = strtol(de->d_name, &end, 10);
			if (*end || pid <= 1 || pid == getpid())
				continue;
			char path[64];
			struct stat st;
			snprintf(path, sizeof(path), "/proc/%ld/root", pid);
			if (stat(path, &st) < 0 || st.st_dev != root.st_dev || st.st_ino != root.st_ino)
				continue;
			found++;
			kill((pid_t)pid, SIGKILL);
		}
		closedir(d);
		if (!found)
			return;
		if (round == 0)
			log_notice(ctx, "Stopped %u process(es) left running inside %s", found, target);
		usleep(100 * 1000);
	}
	log_warning(ctx, "Processes left running inside %s could not be stopped", target);
}

int rsc_chroot_run(rsc_context *ctx, const char *target, char *const *argv) {
	return rsc_chroot_run_fd(ctx, target, argv, -1);
}

/* What the child that enters the system needs; errors of its setup come
 * back through errfd as { negative errno, step }: its stderr may be a
 * terminal the front-end owns, or the pipe of the runner. */
struct enter {
	const char *target;
	char *const *argv;
	const char *shell;
	int errfd;
};

static int enter_and_exec(void *userdata) {
	const struct enter *e = userdata;
	int r = 0, step = -1;
	if (unshare(CLONE_NEWNS) < 0 || mount(NULL, "/", NULL, MS_REC | MS_SLAVE, NULL) < 0)
		r = negative_errno();
	for (size_t i = 0; r >= 0 && i < ELEMENTSOF(api_mounts); i++) {
		step = (int)i;
		r = mount_api(e->target, &api_mounts[i]);
	}
	if (r >= 0 && (chroot(e->target) < 0 || chdir("/") < 0))
		r = negative_errno(), step = -2;
	if (r < 0) {
		int msg[2] = { r, step };
		(void)!write(e->errfd, msg, sizeof(msg));
		_exit(127);
	}
	setenv("PS1", "(rescue chroot) \\w \\$ ", 1);
	setenv("PATH", "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin", 1);
	if (e->argv)
		execvp(e->argv[0], e->argv);
	else
		execl(e->shell, e->shell, "-i", (char *)NULL);
	int msg[2] = { negative_errno(), -3 };
	(void)!write(e->errfd, msg, sizeof(msg));
	_exit(127);
}

/* The interactive case: the command (a shell) keeps the terminal, in our
 * process group, and Ctrl-C belongs to it, as in a shell. */
static int run_in_foreground(const struct enter *e) {
	pid_t pid = fork();
	if (pid < 0)
		return negative_errno();
	if (pid == 0) {
		signal(SIGINT, SIG_DFL);
		signal(SIGTERM, SIG_DFL);
		signal(SIGHUP, SIG_DFL);
		enter_and_exec((void *)e);
		_exit(127);
	}
	struct sigaction ign = { .sa_handler = SIG_IGN }, old_int, old_term;
	sigaction(SIGINT, &ign, &old_int);
	sigaction(SIGTERM, &ign, &old_term);
	int status, r;
	while ((r = waitpid(pid, &status, 0)) < 0 && errno == EINTR)
		;
	sigaction(SIGINT, &old_int, NULL);
	sigaction(SIGTERM, &old_term, NULL);
	if (r < 0)
		return negative_errno();
	if (WIFSIGNALED(status))
		return 128 + WTERMSIG(status);
	return WEXITSTATUS(status);
}

int rsc_chroot_run_fd(rsc_context *ctx, const char *target, char *const *argv, int out_fd) {
	if (geteuid() != 0)
		return log_error_errno(ctx, RSC_ERR_NOT_ROOT, "Entering a system needs root");
	struct stat st;
	if (stat(target, &st) < 0 || !S_ISDIR(st.st_mode))
		return log_error_errno(ctx, ENOENT, "%s is not a directory: is the system mounted there?", target);
	const char *shell = shell_in(target);
	if (!argv && !shell)
		return log_error_errno(ctx, ENOENT, "%s has no /bin/sh: is the system mounted there?", target);

	int pipefd[2];
	if (pipe2(pipefd, O_CLOEXEC) < 0)
		return negative_errno();
	struct enter e = { .target = target, .argv = argv, .shell = shell, .errfd = pipefd[1] };
	int r;
	if (out_fd >= 0 && argv) {
		/* Unattended: a process group of its own that a cancel stops
		 * whole, its output read line by line into the log, the
		 * progress callback and out_fd. */
		struct rsc_run_options o = {
			.child_fn = enter_and_exec,
			.userdata = &e,
			.name = argv[0],
			.line_level = RSC_LOG_INFO,
			.out_fd = out_fd,
		};
		r = rsc_run(ctx, &o);
	} else
		r = run_in_foreground(&e);
	close(pipefd[1]);
	stop_leftovers(ctx, target);
	int msg[2];
	ssize_t k = read(pipefd[0], msg, sizeof(msg));
	close(pipefd[0]);
	if (k == (ssize_t)sizeof(msg)) {
		if (msg[1] == -3)
			return log_error_errno(ctx, msg[0], "Cannot run %s inside %s: %m", argv ? argv[0] : shell, target);
		if (msg[1] == -2)
			return log_error_errno(ctx, msg[0], "Cannot enter %s: %m", target);
		return log_error_errno(ctx, msg[0], "Cannot mount %s inside %s: %m",
				       msg[1] >= 0 ? api_mounts[msg[1]].where : "a private namespace", target);
	}
	return r;
}
