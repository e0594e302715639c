/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The worker thread: runs session phases so that Argon2 and dracut never
 * block the keyboard, and turns the library's callbacks into model changes
 * the UI loop picks up within a tenth of a second. Questions park the
 * worker until the UI thread answers them.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "macro.h"
#include "tui.h"

static void model_changed(struct tui_model *m) {
	m->generation++;
}

static void on_log(void *userdata, int level, const char *message) {
	struct tui_model *m = userdata;
	/* Below NOTICE is chatter; warnings and errors stay on the info line. */
	if (level > RSC_LOG_NOTICE)
		return;
	pthread_mutex_lock(&m->lock);
	snprintf(m->info, sizeof(m->info), "%s%s", level <= RSC_LOG_ERR ? "error: " : level == RSC_LOG_WARNING ? "warning: " : "",
		 message);
	m->info_level = level;
	model_changed(m);
	pthread_mutex_unlock(&m->lock);
}

static void on_progress(void *userdata, const struct rsc_progress *p) {
	struct tui_model *m = userdata;
	pthread_mutex_lock(&m->lock);
	m->have_progress = true;
	m->progress_phase = p->phase;
	m->progress_step = p->step;
	m->progress_steps = p->n_steps;
	m->progress_fraction = p->fraction;
	m->progress_elapsed = p->elapsed;
	if (p->what)
		snprintf(m->progress_what, sizeof(m->progress_what), "%s", p->what);
	if (p->line) {
		char *copy = strdup(p->line);
		if (copy) {
			free(m->output[m->output_next]);
			m->output[m->output_next] = copy;
			m->output_next = (m->output_next + 1) % TUI_OUTPUT_LINES;
			if (m->n_output < TUI_OUTPUT_LINES)
				m->n_output++;
		}
	}
	model_changed(m);
	pthread_mutex_unlock(&m->lock);
}

static int on_ask(void *userdata, struct rsc_question *q) {
	struct tui_model *m = userdata;
	pthread_mutex_lock(&m->lock);
	if (m->closing) {
		pthread_mutex_unlock(&m->lock);
		return RSC_ANSWER_CANCEL;
	}
	m->question = q;
	m->has_answer = false;
	model_changed(m);
	while (!m->has_answer && !m->closing)
		pthread_cond_wait(&m->answered_cond, &m->lock);
	int answer = m->has_answer ? m->answer : RSC_ANSWER_CANCEL;
	m->question = NULL;
	m->has_answer = false;
	model_changed(m);
	pthread_mutex_unlock(&m->lock);
	return answer;
}

static bool on_cancel(void *userdata) {
	struct tui_model *m = userdata;
	return __atomic_load_n(&m->cancel_requested, __ATOMIC_RELAXED);
}

int tui_model_init(struct tui_model *m, rsc_context *ctx) {
	*m = (struct tui_model){ .ctx = ctx, .progress_phase = -1 };
	pthread_mutex_init(&m->lock, NULL);
	pthread_cond_init(&m->answered_cond, NULL);
	rsc_context_set_log(ctx, on_log, m);
	rsc_context_set_progress(ctx, on_progress, m);
	rsc_context_set_ask(ctx, on_ask, m);
	rsc_context_set_cancel(ctx, on_cancel, m);
	return 0;
}

void tui_model_done(struct tui_model *m) {
	pthread_mutex_lock(&m->lock);
	m->closing = true;
	__atomic_store_n(&m->cancel_requested, true, __ATOMIC_RELAXED);
	pthread_cond_broadcast(&m->answered_cond);
	pthread_mutex_unlock(&m->lock);
	if (m->thread_started)
		pthread_join(m->thread, NULL);
	m->thread_started = false;
	/* The session's teardown may still log: nothing of curses is left. */
	rsc_context_set_log(m->ctx, NULL, NULL);
	rsc_context_set_progress(m->ctx, NULL, NULL);
	rsc_context_set_ask(m->ctx, NULL, NULL);
	for (size_t i = 0; i < TUI_OUTPUT_LINES; i++)
		free(m->output[i]);
	free(m->choose_id);
	pthread_mutex_destroy(&m->lock);
	pthread_cond_destroy(&m->answered_cond);
}

const char *tui_job_name(enum tui_job job) {
	static const char *const names[] = {
		[JOB_NONE] = "nothing",           [JOB_DISCOVER] = "looking for systems",
		[JOB_UNLOCK] = "unlocking",       [JOB_MOUNT] = "mounting and checking",
		[JOB_APPLY] = "repairing",        [JOB_UNDO] = "undoing the repair",
		[JOB_TEARDOWN] = "unmounting",    [JOB_SAMPLE_QUESTION] = "asking",
	};
	return job < ELEMENTSOF(names) ? names[job] : "?";
}

/* A phase that already ran is not run again: the wizard may come back. */
static bool phase_pending(rsc_session *s, enum rsc_phase p) {
	return rsc_session_phase_state(s, p) == RSC_PHASE_TODO || rsc_session_phase_state(s, p) == RSC_PHASE_NEEDS_YOU;
}

/* A question like the library's, through the same context callback, so
 * scripted tests reach every dialog without a LUKS volume. The answer is
 * recorded as a kind and a length only. */
static int sample_question(struct tui_model *m) {
	static const char *const systems[] = { "Debian GNU/Linux 12 (bookworm)", "Fedora Linux 39" };
	char *secret = calloc(1, 512);
	if (!secret)
		return -ENOMEM;
	struct rsc_question q = {
		.kind = (enum rsc_question_kind)m->sample_kind,
		.subject = "vda2 (LUKS2, UUID 0f3a9c1e-5b7d-4e2a-9c8f-1d2e3f4a5b6c)",
		.text = "Type the passphrase of this encrypted volume.",
		.detail = "Argon2id, 1048576 KiB, 4 threads",
		.attempt = 1,
		.max_attempts = 3,
		.kdf_memory_kib = 1048576,
		.choices = systems,
		.n_choices = ELEMENTSOF(systems),
		.secret = secret,
		.secret_size = 512,
	};
	if (q.kind != RSC_ASK_PASSPHRASE) {
		q.subject = q.kind == RSC_ASK_CHOOSE_SYSTEM ? NULL : "debian-12";
		q.text = q.kind == RSC_ASK_CHOOSE_SYSTEM ? "Several systems are installed. Which one?" :
			 q.kind == RSC_ASK_CONFIRM_REPLAY ? "Its root filesystem was not cleanly unmounted. Mounting it "
							    "read-write replays its journal, which writes to the disk." :
							    "Apply the plan to this system now?";
		q.detail = NULL;
	}
	int r = rsc_ask(m->ctx, &q);
	int result = 0;
	if (m->sample_retry && r == RSC_ANSWER_YES) {
		/* As the library does with a passphrase that does not open the
		 * volume: a warning through the log callback, and a second try. */
		on_log(m, RSC_LOG_WARNING, "vda2: wrong passphrase (1 of 3 tries)");
		explicit_bzero(secret, 512);
		q.secret_len = 0;
		q.attempt = 2;
		q.text = "Type the passphrase of this encrypted volume (that one did not open it; try again).";
		r = rsc_ask(m->ctx, &q);
		if (r != RSC_ANSWER_YES) {
			on_log(m, RSC_LOG_ERR, "vda2: not unlocked; it stays locked");
			result = -EPERM;
		}
	}
	pthread_mutex_lock(&m->lock);
	static const char *const answers[] = { "yes", "no", "skip", "key file", "undo", "cancel" };
	snprintf(m->sample_result, sizeof(m->sample_result), "%s, %zu byte(s) in the buffer, choice %zu%s%s",
		 r >= 0 && (size_t)r < ELEMENTSOF(answers) ? answers[r] : "error", strnlen(secret, 512), q.choice,
		 q.key_file ? ", key file " : "", strempty(q.key_file));
	pthread_mutex_unlock(&m->lock);
	explicit_bzero(secret, 512);
	free(secret);
	return result;
}

/* On the rescue medium the wizard starts while udev is still probing the
 * machine's disks (two seconds and more under QEMU), so that its first
 * screen comes up that much sooner. Init names a file in
 * $RESCUE_DEVICES_READY that it creates once the devices have settled and
 * the RESCUE partition is mounted; discovery waits for it (at most
 * DEVICES_WAIT_S, above init's own worst case of some 90 s: a 30 s settle
 * and a USB stick's retries; then it scans what is there) so that the first scan sees
 * every disk. Init's last lines went to the same console meanwhile: once
 * the file is there the screen is drawn again in full (also when it was
 * there at the first look, which may come after the first screen). */
#define DEVICES_WAIT_S 120
static int wait_for_devices(struct tui_model *m) {
	const char *f = getenv("RESCUE_DEVICES_READY");
	if (!f || !*f)
		return 0;
	for (unsigned i = 0; access(f, F_OK) < 0; i++) {
		if (on_cancel(m))
			return -ECANCELED;
		if (i == DEVICES_WAIT_S * 10) {
			on_log(m, RSC_LOG_WARNING, "the devices did not settle within two minutes: looking at those there are");
			break;
		}
		if (i % 10 == 0) {
			struct rsc_progress p = {
				.phase = RSC_PHASE_DISCOVER,
				.fraction = -1,
				.elapsed = i / 10.0,
				.what = "waiting for the machine's disks to appear",
			};
			on_progress(m, &p);
		}
		usleep(100 * 1000);
	}
	pthread_mutex_lock(&m->lock);
	m->redraw_all = true;
	model_changed(m);
	pthread_mutex_unlock(&m->lock);
	return 0;
}

static int run_job(struct tui_model *m, enum tui_job job) {
	rsc_session *s = m->session;
	int r = 0;
	switch (job) {
	case JOB_NONE:
		return 0;
	case JOB_DISCOVER:
		if ((r = wait_for_devices(m)) < 0)
			return r;
		return rsc_session_discover(s);
	case JOB_UNLOCK:
		return rsc_session_unlock(s);
	case JOB_MOUNT:
		if (phase_pending(s, RSC_PHASE_ACTIVATE) && (r = rsc_session_activate(s)) < 0)
			return r;
		if (phase_pending(s, RSC_PHASE_MOUNT)) {
			/* The system picked on the Systems screen; none: the
			 * session takes the only one or asks. */
			pthread_mutex_lock(&m->lock);
			_cleanup_free_ char *id = m->choose_id ? strdup(m->choose_id) : NULL;
			pthread_mutex_unlock(&m->lock);
			if ((id || !rsc_session_get_system(s)) && (r = rsc_session_choose(s, id)) < 0)
				return r;
		}
		if (phase_pending(s, RSC_PHASE_MOUNT) && (r = rsc_session_mount(s, false)) < 0)
			return r;
		if (phase_pending(s, RSC_PHASE_CHECK) && (r = rsc_session_check(s)) < 0)
			return r;
		if (phase_pending(s, RSC_PHASE_DIAGNOSE) && (r = rsc_session_diagnose(s)) < 0)
			return r;
		if (phase_pending(s, RSC_PHASE_PLAN) && (r = rsc_session_plan(s)) < 0)
			return r;
		return 0;
	case JOB_APPLY:
		/* The session asks to confirm the plan before anything else,
		 * then mounts read-write (asking about a journal replay). */
		r = rsc_session_apply(s);
		if (rsc_session_phase_state(s, RSC_PHASE_APPLY) == RSC_PHASE_NEEDS_YOU)
			return r; /* declined: nothing was written, nothing to verify */
		int v = rsc_session_verify(s);
		return r < 0 ? r : v;
	case JOB_UNDO:
		r = rsc_session_undo(s);
		if (r >= 0)
			(void)rsc_session_verify(s);
		return r;
	case JOB_TEARDOWN:
		return rsc_session_teardown(s);
	case JOB_SAMPLE_QUESTION:
		return sample_question(m);
	}
	return 0;
}

struct job_arg {
	struct tui_model *m;
	enum tui_job job;
};

static void *worker_main(void *userdata) {
	struct job_arg *a = userdata;
	struct tui_model *m = a->m;
	enum tui_job job = a->job;
	free(a);
	int r = run_job(m, job);
	pthread_mutex_lock(&m->lock);
	m->job = JOB_NONE;
	m->job_done = job;
	m->job_result = r;
	model_changed(m);
	pthread_mutex_unlock(&m->lock);
	return NULL;
}

int tui_start_job(struct tui *t, enum tui_job job) {
	struct tui_model *m = &t->m;
	if (tui_busy(t))
		return -EBUSY;
	if (m->thread_started) {
		pthread_join(m->thread, NULL);
		m->thread_started = false;
	}
	struct job_arg *a = malloc(sizeof(*a));
	if (!a)
		return -ENOMEM;
	*a = (struct job_arg){ m, job };
	pthread_mutex_lock(&m->lock);
	m->job = job;
	m->job_done = JOB_NONE;
	m->have_progress = false;
	m->progress_what[0] = 0;
	/* What the last job reported is superseded by this one. */
	m->info[0] = 0;
	m->info_level = 0;
	__atomic_store_n(&m->cancel_requested, false, __ATOMIC_RELAXED);
	if (job == JOB_APPLY || job == JOB_UNDO) {
		for (size_t i = 0; i < TUI_OUTPUT_LINES; i++) {
			free(m->output[i]);
			m->output[i] = NULL;
		}
		m->n_output = m->output_next = 0;
	}
	model_changed(m);
	pthread_mutex_unlock(&m->lock);
	int r = -pthread_create(&m->thread, NULL, worker_main, a);
	if (r < 0) {
		free(a);
		pthread_mutex_lock(&m->lock);
		m->job = JOB_NONE;
		pthread_mutex_unlock(&m->lock);
		return r;
	}
	m->thread_started = true;
	return 0;
}

bool tui_busy(struct tui *t) {
	pthread_mutex_lock(&t->m.lock);
	bool busy = t->m.job != JOB_NONE;
	pthread_mutex_unlock(&t->m.lock);
	return busy;
}

/* Only the UI thread starts jobs and answers questions, so what this
 * returns holds until the UI thread itself does either. */
bool tui_session_ours(struct tui *t) {
	pthread_mutex_lock(&t->m.lock);
	bool ours = t->m.job == JOB_NONE || (t->m.question && !t->m.has_answer);
	pthread_mutex_unlock(&t->m.lock);
	return ours;
}

void tui_answer(struct tui *t, int answer) {
	pthread_mutex_lock(&t->m.lock);
	if (t->m.question) {
		t->m.answer = answer;
		t->m.has_answer = true;
		pthread_cond_broadcast(&t->m.answered_cond);
	}
	pthread_mutex_unlock(&t->m.lock);
}

void tui_cancel_work(struct tui *t) {
	__atomic_store_n(&t->m.cancel_requested, true, __ATOMIC_RELAXED);
}
