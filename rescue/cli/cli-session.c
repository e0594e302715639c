/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * What the CLI's session verbs (diagnose, fix, undo, auto) share: the
 * answers to the library's typed questions on a terminal or from files,
 * progress and --explain on the terminal, and the exit code of a session.
 */
#include <errno.h>
#include <fcntl.h>
#include <json-c/json.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>

#include "cli.h"
#include "macro.h"
#include "rescue/session.h"
#include "strv.h"

/* Reads one line (without its newline) from fd into buf; -ECANCELED when
 * a signal asked us to stop while waiting for it. */
int cli_read_line(int fd, char *buf, size_t size) {
	size_t n = 0;
	for (;;) {
		/* Wait in slices: a blocked read would not notice the signal
		 * (SA_RESTART resumes it). */
		struct pollfd p = { .fd = fd, .events = POLLIN };
		int q = poll(&p, 1, 100);
		if (cli_cancelled())
			return -ECANCELED;
		if (q == 0 || (q < 0 && errno == EINTR))
			continue;
		char c;
		ssize_t k = read(fd, &c, 1);
		if (k < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		if (k == 0 || c == '\n' || c == '\r')
			break;
		if (n + 1 < size)
			buf[n++] = c;
	}
	buf[n] = 0;
	return (int)n;
}

int cli_ask_tty_secret(const char *prompt, char *buf, size_t size) {
	int tty = open("/dev/tty", O_RDWR | O_CLOEXEC | O_NOCTTY);
	if (tty < 0)
		return -ENOKEY;
	struct termios old, quiet;
	if (tcgetattr(tty, &old) < 0) {
		close(tty);
		return -ENOKEY;
	}
	quiet = old;
	quiet.c_lflag &= ~(tcflag_t)(ECHO | ECHONL);
	(void)!write(tty, prompt, strlen(prompt));
	tcsetattr(tty, TCSAFLUSH, &quiet);
	int n = cli_read_line(tty, buf, size);
	tcsetattr(tty, TCSAFLUSH, &old);
	(void)!write(tty, "\n", 1);
	close(tty);
	return n;
}

static int ask_tty_line(const char *prompt, char *buf, size_t size) {
	if (!isatty(STDIN_FILENO))
		return -ENOKEY;
	fputs(prompt, stdout);
	fflush(stdout);
	/* Wait in slices: a signal must not leave us blocked in the read. */
	for (;;) {
		struct pollfd p = { .fd = STDIN_FILENO, .events = POLLIN };
		int q = poll(&p, 1, 100);
		if (cli_cancelled())
			return -ECANCELED;
		if (q > 0)
			break;
	}
	if (!fgets(buf, (int)size, stdin))
		return -ECANCELED;
	buf[strcspn(buf, "\n")] = 0;
	return 0;
}

static int answer_passphrase(struct cli_session *cs, struct rsc_question *q) {
	if (cs->has_passphrase_fd) {
		if (cs->passphrase_fd_eof)
			return -EPERM;
		int n = cli_read_line(cs->passphrase_fd, q->secret, q->secret_size);
		if (n < 0)
			return n;
		if (n == 0) {
			cs->passphrase_fd_eof = true;
			return -EPERM;
		}
		q->secret_len = (size_t)n;
		return RSC_ANSWER_YES;
	}
	if (cs->passphrase_file) {
		/* One passphrase, one try: the file will not change. */
		if (cs->passphrase_used)
			return -EPERM;
		cs->passphrase_used = true;
		int fd = open(cs->passphrase_file, O_RDONLY | O_CLOEXEC);
		if (fd < 0)
			return -ENOKEY;
		int n = cli_read_line(fd, q->secret, q->secret_size);
		close(fd);
		if (n < 0)
			return n;
		q->secret_len = (size_t)n;
		return RSC_ANSWER_YES;
	}
	if (cs->unattended)
		/* Keys were given and do not open it: that is the answer. With no
		 * key at all only unencrypted systems are looked at. */
		return cs->key_file ? -EPERM : RSC_ANSWER_SKIP;
	char prompt[512];
	snprintf(prompt, sizeof(prompt), "%s (%s)%s: ", q->text, strempty(q->detail),
		 q->attempt > 1 ? "" : "");
	int n = cli_ask_tty_secret(prompt, q->secret, q->secret_size);
	if (n < 0)
		return n;
	q->secret_len = (size_t)n;
	return RSC_ANSWER_YES;
}

static int answer_choice(struct cli_session *cs, struct rsc_question *q) {
	if (cs->unattended || !isatty(STDIN_FILENO)) {
		fprintf(stderr, "rescue: choose one with --system ID (the names 'rescue scan' shows)\n");
		return -ENOKEY;
	}
	printf("%s\n", q->text);
	for (size_t i = 0; i < q->n_choices; i++)
		printf("  %zu. %s\n", i + 1, q->choices[i]);
	char line[32];
	if (ask_tty_line("Number (empty: none): ", line, sizeof(line)) < 0 || !*line)
		return RSC_ANSWER_CANCEL;
	unsigned long k = strtoul(line, NULL, 10);
	if (k < 1 || k > q->n_choices)
		return RSC_ANSWER_CANCEL;
	q->choice = k - 1;
	return RSC_ANSWER_YES;
}

static int answer_yes_no(struct cli_session *cs, struct rsc_question *q) {
	if (cs->assume_yes)
		return RSC_ANSWER_YES;
	if (cs->unattended || !isatty(STDIN_FILENO))
		return -ENOKEY;
	char line[16], prompt[512];
	snprintf(prompt, sizeof(prompt), "%s [y/N] ", q->text);
	if (ask_tty_line(prompt, line, sizeof(line)) < 0)
		return RSC_ANSWER_NO;
	return line[0] == 'y' || line[0] == 'Y' ? RSC_ANSWER_YES : RSC_ANSWER_NO;
}

static int cli_ask(void *userdata, struct rsc_question *q) {
	struct cli_session *cs = userdata;
	switch (q->kind) {
	case RSC_ASK_PASSPHRASE:
		return answer_passphrase(cs, q);
	case RSC_ASK_CHOOSE_SYSTEM:
		return answer_choice(cs, q);
	case RSC_ASK_CONFIRM_PLAN:
		if (cs->show_plan)
			cs->show_plan(cs);
		return answer_yes_no(cs, q);
	case RSC_ASK_CONFIRM_REPLAY:
	case RSC_ASK_CONFIRM_STEP:
		return answer_yes_no(cs, q);
	case RSC_ASK_UNFINISHED_JOURNAL:
		/* Unattended: put back what the interrupted repair saved. */
		if (cs->unattended || cs->assume_yes)
			return RSC_ANSWER_UNDO;
		return answer_yes_no(cs, q) == RSC_ANSWER_YES ? RSC_ANSWER_UNDO : RSC_ANSWER_NO;
	case _RSC_ASK_MAX:
		break;
	}
	return -ENOKEY;
}

/* --explain: before each phase, the commands a person would type and why. */
static void explain(struct cli_session *cs, enum rsc_phase p) {
	_cleanup_free_ char *cmds = NULL, *why = NULL;
	if (rsc_session_explain_phase(cs->session, p, &cmds, &why) < 0)
		return;
	FILE *f = cs->cli->json ? stderr : stdout;
	fprintf(f, "\n== %s\n", rsc_phase_to_string(p));
	for (char *line = why, *save = NULL; (line = strtok_r(line, "\n", &save)); line = NULL)
		fprintf(f, "   %s\n", line);
	for (char *line = cmds, *save = NULL; (line = strtok_r(line, "\n", &save)); line = NULL)
		fprintf(f, "   %s %s\n", line[0] == '#' ? " " : "$", line);
	fflush(f);
}

static void cli_progress(void *userdata, const struct rsc_progress *p) {
	struct cli_session *cs = userdata;
	if (p->phase >= 0 && p->phase != cs->last_phase && p->step == 0 && !p->line) {
		cs->last_phase = p->phase;
		if (cs->cli->explain && cs->session)
			explain(cs, (enum rsc_phase)p->phase);
	}
	if (p->phase < 0 && !p->line)
		cs->last_phase = -1;
	/* The output of the commands run, as it comes, when asked for. */
	if (p->line && cs->cli->verbosity > 0)
		fprintf(stderr, "  | %s\n", p->line);
}

void cli_session_setup(struct cli_session *cs, struct cli *cli) {
	cs->cli = cli;
	cs->last_phase = -1;
	rsc_context_set_ask(cli->ctx, cli_ask, cs);
	rsc_context_set_progress(cli->ctx, cli_progress, cs);
}

int cli_session_exit_code(const rsc_session *s, bool dry_run) {
	const struct rsc_plan *p = rsc_session_get_plan(s);
	const struct rsc_diagnosis *d = rsc_session_get_diagnosis(s);
	switch (rsc_session_get_outcome(s)) {
	case RSC_OUTCOME_REPAIRED:
		return EXIT_OK;
	case RSC_OUTCOME_PLAN_ONLY:
		return EXIT_FINDINGS;
	case RSC_OUTCOME_NOTHING_TO_DO:
		return dry_run ? EXIT_OK : EXIT_NOTHING_TO_DO;
	case RSC_OUTCOME_NEEDS_HUMAN:
		/* A dry run that found errors no step fixes still found them. */
		return dry_run && ((p && p->n_actions) || (d && d->errors)) ? EXIT_FINDINGS : EXIT_NEEDS_HUMAN;
	case RSC_OUTCOME_REPAIR_FAILED:
		return EXIT_REPAIR_FAILED;
	case RSC_OUTCOME_CANCELLED:
		return EXIT_CANCELLED;
	case RSC_OUTCOME_FAILED: {
		int e = rsc_session_get_error(s);
		/* No key or passphrase given opened a volume. */
		if ((e == -EPERM || e == -ENOKEY) && rsc_session_get_error_phase(s) == RSC_PHASE_UNLOCK)
			return EXIT_BAD_PASSPHRASE;
		return cli_exit_code(e);
	}
	case RSC_OUTCOME_NONE:
	case _RSC_OUTCOME_MAX:
		break;
	}
	return rsc_session_get_error(s) ? cli_exit_code(rsc_session_get_error(s)) : EXIT_OK;
}

int cli_write_json(struct json_object *j, const char *path) {
	/* Beside the destination, synced, then renamed: never half a file. */
	_cleanup_free_ char *tmp = NULL;
	if (asprintf(&tmp, "%s.tmp", path) < 0)
		return -ENOMEM;
	FILE *f = fopen(tmp, "we");
	if (!f)
		return -errno;
	int r = fputs(json_object_to_json_string_ext(j, JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_NOSLASHESCAPE), f) < 0 ||
			fputc('\n', f) == EOF || fflush(f) != 0 || fsync(fileno(f)) < 0 ? -EIO : 0;
	if (fclose(f) != 0 && r >= 0)
		r = -EIO;
	if (r >= 0 && rename(tmp, path) < 0)
		r = -errno;
	if (r < 0) {
		unlink(tmp);
		errno = -r;
	}
	return r;
}
