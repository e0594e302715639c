/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Running a command the library needs (a generator in the target's chroot,
 * lvm, mdadm): in a process group of its own, its stdin on /dev/null and
 * its stdout and stderr on a pipe we read line by line. Each line goes to
 * the log and progress callbacks as it comes, so nothing a child prints
 * reaches the terminal a front-end owns. The context's cancel callback is
 * polled every tenth of a second; when it fires, the whole group (the
 * command and whatever it started) gets SIGTERM, then SIGKILL after a
 * grace period, and is reaped before we return -ECANCELED.
 */
#include <assert.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "internal.h"

#define TICK_MS 100
#define LINE_MAX_LEN 4096
#define DEFAULT_GRACE 5.0
/* After the command exited, how long output of processes it left behind
 * (holding the pipe open) is still read before we stop waiting for it. */
#define DRAIN_SECONDS 2.0

struct runner {
	rsc_context *ctx;
	const struct rsc_run_options *o;
	const char *name;
	char line[LINE_MAX_LEN];
	size_t len;
	FILE *output;           /* collects everything for ret_output */
	char *output_buf;
	size_t output_len;
};

static void emit_line(struct runner *r) {
	r->line[r->len] = 0;
	/* Trailing blanks and carriage returns carry nothing for a log. */
	while (r->len && (r->line[r->len - 1] == '\r' || r->line[r->len - 1] == ' '))
		r->line[--r->len] = 0;
	if (r->len) {
		rsc_log_full(r->ctx, r->o->line_level ? r->o->line_level : RSC_LOG_DEBUG, 0, "%s: %s", r->name, r->line);
		rsc_progress_report(r->ctx, 0, 0, -1, r->o->what ? r->o->what : r->name, r->line);
	}
	r->len = 0;
}

static void consume(struct runner *r, const char *buf, size_t n) {
	if (r->o->out_fd > 0)
		for (size_t o = 0; o < n;) {
			ssize_t w = write(r->o->out_fd, buf + o, n - o);
			if (w <= 0)
				break; /* a full journal log loses the copy, not the line */
			o += (size_t)w;
		}
	if (r->output)
		fwrite(buf, 1, n, r->output);
	for (size_t i = 0; i < n; i++) {
		if (buf[i] == '\n') {
			emit_line(r);
			continue;
		}
		if (r->len + 1 >= sizeof(r->line))
			emit_line(r);
		r->line[r->len++] = buf[i];
	}
}

/* Reads what is there: 1 read some, 0 end of file, -EAGAIN nothing now,
 * another negative errno on failure (taken as the end). */
static int read_some(struct runner *r, int fd) {
	char buf[4096];
	ssize_t k = read(fd, buf, sizeof(buf));
	if (k < 0)
		return errno == EINTR || errno == EAGAIN ? -EAGAIN : negative_errno();
	if (k == 0)
		return 0;
	consume(r, buf, (size_t)k);
	return 1;
}

/* Reaps every child of ours in the group; records the leader's status.
 * Returns true when no process of the group is left at all. */
static bool reap_group(pid_t pgid, bool *leader_done, int *leader_status) {
	for (;;) {
		int st;
		pid_t p = waitpid(-pgid, &st, WNOHANG);
		if (p == pgid) {
			*leader_done = true;
			*leader_status = st;
			continue;
		}
		if (p > 0)
			continue;
		if (p < 0 && errno == EINTR)
			continue;
		break;
	}
	/* Members that are not our children (reparented to init) still count. */
	return *leader_done && kill(-pgid, 0) < 0 && errno == ESRCH;
}

__attribute__((noreturn)) static void child(const struct rsc_run_options *o, int out) {
	/* A group of its own: a cancel reaches everything it starts, and a
	 * Ctrl-C on the terminal reaches only us, who decide. */
	setpgid(0, 0);
	int devnull = open("/dev/null", O_RDONLY | O_CLOEXEC);
	if (devnull >= 0)
		dup2(devnull, STDIN_FILENO);
	dup2(out, STDOUT_FILENO);
	dup2(out, STDERR_FILENO);
	static const int sigs[] = { SIGINT, SIGTERM, SIGHUP, SIGPIPE, SIGQUIT, SIGCHLD };
	for (size_t i = 0; i < ELEMENTSOF(sigs); i++)
		signal(sigs[i], SIG_DFL);
	sigset_t all;
	sigemptyset(&all);
	sigprocmask(SIG_SETMASK, &all, NULL);
	/* Descriptors of ours that lvm inherits are harmless: say so, or it
	 * warns about each one. */
	setenv("LVM_SUPPRESS_FD_WARNINGS", "1", 1);
	if (o->child_fn)
		o->child_fn(o->userdata);
	else
		execvp(o->argv[0], (char *const *)o->argv);
	_exit(127);
}

int rsc_run(rsc_context *ctx, const struct rsc_run_options *o) {
	assert(o->argv || o->child_fn);
	if (!o->no_cancel && rsc_context_cancelled(ctx))
		return -ECANCELED;
	struct runner r = { .ctx = ctx, .o = o, .name = o->name ? o->name : o->argv ? o->argv[0] : "command" };
	int pipefd[2];
	if (pipe2(pipefd, O_CLOEXEC) < 0)
		return negative_errno();
	pid_t pid = fork();
	if (pid < 0) {
		int e = negative_errno();
		close(pipefd[0]);
		close(pipefd[1]);
		return e;
	}
	if (pid == 0) {
		close(pipefd[0]);
		child(o, pipefd[1]);
	}
	/* Also here: the group must exist before we may signal it. */
	setpgid(pid, pid);
	close(pipefd[1]);
	int in = pipefd[0];
	/* Never block on it: processes the command left behind may hold it
	 * open long after the command is gone. */
	fcntl(in, F_SETFL, fcntl(in, F_GETFL) | O_NONBLOCK);
	if (o->ret_output)
		r.output = open_memstream(&r.output_buf, &r.output_len);

	bool leader_done = false, eof = false, cancelled = false, killed = false;
	int status = 0;
	double grace = o->grace > 0 ? o->grace : DEFAULT_GRACE;
	double deadline = 0, exited_at = 0, last_tick = rsc_now();
	for (;;) {
		if (!eof) {
			struct pollfd p = { .fd = in, .events = POLLIN };
			int n = poll(&p, 1, TICK_MS);
			if (n > 0) {
				int q = read_some(&r, in);
				if (q == 0 || (q < 0 && q != -EAGAIN))
					eof = true;
			}
		} else if (!leader_done || cancelled)
			usleep(TICK_MS * 1000 / 2);
		bool gone = reap_group(pid, &leader_done, &status);
		double now = rsc_now();

		if (!cancelled && !o->no_cancel && rsc_context_cancelled(ctx)) {
			cancelled = true;
			log_notice(ctx, "Interrupted: stopping %s and what it started", r.name);
			kill(-pid, SIGTERM);
			/* A stopped process would never see SIGTERM. */
			kill(-pid, SIGCONT);
			deadline = now + grace;
		}
		if (cancelled) {
			if (gone)
				break;
			if (!killed && now >= deadline) {
				log_warning(ctx, "%s did not stop within %.0f s: killing it", r.name, grace);
				kill(-pid, SIGKILL);
				killed = true;
				deadline = now + 5;
			} else if (killed && now >= deadline && leader_done)
				break; /* only processes we cannot reap: not ours to wait for */
			continue;
		}
		if (leader_done) {
			if (eof)
				break;
			if (exited_at == 0)
				exited_at = now;
			else if (now - exited_at > DRAIN_SECONDS)
				break; /* something it started still holds the pipe */
		}
		if (now - last_tick >= 1.0) {
			/* Alive, for a front-end's spinner. */
			rsc_progress_report(ctx, 0, 0, -1, o->what ? o->what : r.name, NULL);
			last_tick = now;
		}
	}
	/* What was read after the last newline is a line too. */
	if (!eof)
		while (read_some(&r, in) > 0)
			;
	if (r.len)
		emit_line(&r);
	close(in);
	if (r.output) {
		fclose(r.output);
		if (!cancelled)
			*o->ret_output = TAKE_PTR(r.output_buf);
		free(r.output_buf);
	}
	if (cancelled)
		return -ECANCELED;
	if (WIFSIGNALED(status))
		return 128 + WTERMSIG(status);
	return WEXITSTATUS(status);
}
