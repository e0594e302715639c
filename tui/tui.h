/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The repair wizard: private header of tui/. The model (the session, the
 * latest progress, the question waiting for an answer) lives apart from the
 * views (one table entry per screen) and from the keys (one table of key
 * actions that drives dispatch, the footer and the help screen).
 *
 * Threads: the UI thread owns curses. Session phases run in one worker
 * thread; its callbacks (log, progress, ask, cancel) only touch the model
 * under model.lock and bump model.generation, which the UI loop polls every
 * tenth of a second. A question blocks the worker until the UI answers it.
 */
#pragma once

#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>

#include "rescue/rescue.h"
#include "rescue/session.h"

enum tui_screen {
	SCREEN_WELCOME,
	SCREEN_SYSTEMS,
	SCREEN_UNLOCK,
	SCREEN_MOUNT,
	SCREEN_CHECKS,
	SCREEN_DIAGNOSIS,
	SCREEN_PLAN,
	SCREEN_APPLY,
	SCREEN_RESULT,
	_SCREEN_MAX,
};

/* What the worker thread runs: one job is one or several session phases. */
enum tui_job {
	JOB_NONE,
	JOB_DISCOVER,
	JOB_UNLOCK,
	JOB_MOUNT,      /* activate, choose, mount read-only, check, diagnose, plan */
	JOB_APPLY,      /* mount read-write, apply (asks to confirm the plan), verify */
	JOB_UNDO,
	JOB_TEARDOWN,
	JOB_SAMPLE_QUESTION, /* headless scripts: one question of sample_kind, to test the dialogs */
};

#define TUI_OUTPUT_LINES 200

struct tui_model {
	rsc_context *ctx;
	rsc_session *session;
	pthread_mutex_t lock;
	pthread_cond_t answered_cond;
	unsigned generation;            /* bumped on every change the UI must show */
	bool redraw_all;                /* others wrote to the terminal: draw every cell again */

	/* The worker. */
	pthread_t thread;
	bool thread_started;
	enum tui_job job;               /* running, or JOB_NONE */
	enum tui_job job_done;          /* finished and not yet seen by the UI */
	int job_result;
	char *choose_id;                /* system picked on the Systems screen */
	bool cancel_requested;

	/* Latest progress (copied: the library's strings live only during the call). */
	bool have_progress;
	int progress_phase;
	unsigned progress_step, progress_steps;
	double progress_fraction, progress_elapsed;
	char progress_what[160];
	char *output[TUI_OUTPUT_LINES]; /* ring of lines the running command printed */
	size_t n_output, output_next;

	/* Last library message worth a line of its own. */
	char info[240];
	int info_level;

	/* The question the worker waits on, NULL when none. */
	struct rsc_question *question;
	int answer;
	bool has_answer;
	bool closing;                   /* the UI is going away: answer everything with CANCEL */
	int sample_kind;
	bool sample_retry;              /* the passphrase is "wrong" once, as a mistyped one is */
	char sample_result[96];         /* the answer to the sample question, never the secret */
};

enum tui_overlay {
	OVERLAY_NONE,
	OVERLAY_HELP,
	OVERLAY_GLOSSARY,
	OVERLAY_QUESTION,               /* a question of the library */
	OVERLAY_INPUT,                  /* a path of our own: report, transcript, key file */
	OVERLAY_CHOOSE,                 /* a list: keyboard layouts, systems */
	OVERLAY_CONFIRM,                /* a yes/no of our own: quit, reboot */
};

enum tui_input_purpose { INPUT_REPORT, INPUT_TRANSCRIPT, INPUT_KEY_FILE };
enum tui_confirm_purpose { CONFIRM_QUIT, CONFIRM_REBOOT, CONFIRM_POWEROFF, CONFIRM_UNDO };
enum tui_choose_purpose { CHOOSE_KEYMAP, CHOOSE_SYSTEM };

/* Flags key handlers return, acted on in one place (the main loop). */
enum {
	KEY_UNHANDLED = 0,
	KEY_HANDLED = 1 << 0,
	KEY_REDRAW = 1 << 1,
	KEY_QUIT = 1 << 2,
};

/* One rendered line of a screen's body before scrolling. */
struct tui_line {
	char *text;
	int attr;                       /* TUI_ATTR_* */
	int item;                       /* focusable item index, -1 none */
};
enum {
	TUI_ATTR_NORMAL,
	TUI_ATTR_TITLE,
	TUI_ATTR_ERROR,
	TUI_ATTR_WARNING,
	TUI_ATTR_GOOD,
	TUI_ATTR_DIM,
	TUI_ATTR_COMMAND,
	_TUI_ATTR_MAX,
};

struct tui {
	struct tui_model m;
	rsc_context *ctx;
	struct rsc_session_options opts;

	/* The session belongs to the worker while it runs a job (it frees
	 * and replaces the scan, the system, the diagnosis): the UI reads it
	 * only when session_ours (no job, or the worker parked on a
	 * question), and otherwise draws from what it saw last. */
	bool session_ours;
	enum rsc_phase_state phase_seen[_RSC_PHASE_MAX];
	enum rsc_phase_state state_seen[_SCREEN_MAX];
	char **teach_seen;              /* the teaching panel's lines, for teach_seen_screen */
	int teach_seen_screen;

	enum tui_screen screen;
	int focus[_SCREEN_MAX];
	int scroll[_SCREEN_MAX];
	bool basic;                     /* ASCII, no colour, reverse video for focus */
	bool colour;                    /* colours available and wanted */
	bool explain;                   /* teaching panel shown */
	int teach_scroll;               /* first line of the teaching panel shown */
	enum tui_screen teach_screen;   /* the screen teach_scroll belongs to */
	bool headless;
	bool quit;
	bool quit_requested_flag;
	int power;                      /* after teardown: 0, CONFIRM_REBOOT or CONFIRM_POWEROFF */       /* a key asked to quit: release everything first */
	int rows, cols;
	unsigned drawn_generation;

	/* The body of the current screen, rebuilt on every draw. */
	struct tui_line *lines;
	size_t n_lines, n_alloc;
	int n_items;
	int width;                      /* of the body, for wrapping */
	int focus_line;                 /* first line of the focused item, -1 */

	/* Overlays. */
	enum tui_overlay overlay;
	int overlay_scroll;
	bool reveal;                    /* passphrase shown in clear */
	char input[512];                /* non-secret text entry (paths) */
	size_t input_len;
	enum tui_input_purpose input_purpose;
	enum tui_confirm_purpose confirm_purpose;
	enum tui_choose_purpose choose_purpose;
	char **choices;
	int choice;
	char key_file_path[512];        /* a key file answer stays valid until the worker reads it */

	/* Facts shown on the Welcome screen. */
	char keymap[64];
	const char *keymap_source;
	char console[96];
	bool serial;

	/* What happened, in words, for the info line (messages of our own). */
	char notice[240];
	/* The screen the library's last message (m.info) was shown for: on
	 * another screen it no longer says anything true and is cleared. */
	enum tui_screen info_screen;

	/* Selected system id (Systems screen). */
	char *chosen;
	bool unlock_skipped;
	bool welcome_seen;
};

/* ---- tui.c: terminal, loop, drawing frame ---- */
struct tui_options {
	bool headless;
	const char *keys_file;          /* headless: the script */
	const char *dump_dir;           /* headless: where "dump NAME" writes */
	int rows, cols;                 /* headless: terminal size */
	int basic;                      /* 1 basic, 0 rich, -1 from the terminal */
	bool explain;
};
int tui_run(rsc_context *ctx, const struct rsc_session_options *so, const struct tui_options *o);

/* Body builder: screens add lines; long lines wrap to the body width. */
void tui_add(struct tui *t, int item, int attr, const char *fmt, ...) __attribute__((format(printf, 4, 5)));
void tui_add_wrapped(struct tui *t, int item, int attr, int indent, const char *text);
void tui_add_bar(struct tui *t, int item, const char *label, double fraction, const char *after);
void tui_notice(struct tui *t, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void tui_clear_info(struct tui *t);

/* ---- screens.c: one table entry per screen ---- */
struct tui_screen_info {
	enum tui_screen id;
	const char *title;
	int phase;                      /* enum rsc_phase explained by the teaching panel, -1 none */
	void (*build)(struct tui *t);
	int (*activate)(struct tui *t, int item); /* Enter on a focused item */
	enum rsc_phase_state (*state)(struct tui *t);
	bool live;                      /* build reads only the model: drawn while a job runs */
};
extern const struct tui_screen_info tui_screens[_SCREEN_MAX];
const char *tui_state_mark(enum rsc_phase_state s, bool basic);
const char *tui_state_words(enum rsc_phase_state s);
void tui_job_finished(struct tui *t, enum tui_job job, int r);
void tui_build_busy(struct tui *t);
/* Actions shared by keys and screen items. */
int tui_do_apply(struct tui *t);
int tui_do_undo(struct tui *t);
int tui_do_save(struct tui *t, enum tui_input_purpose what);
int tui_do_shell(struct tui *t);
int tui_do_power(struct tui *t, enum tui_confirm_purpose what);
void tui_input_done(struct tui *t);
void tui_confirm_done(struct tui *t);
void tui_choose_done(struct tui *t);

/* ---- keys.c: the one table of key actions ---- */
enum {
	CTX_SCREEN = 1 << 0,            /* on a screen, no overlay */
	CTX_TEXT = 1 << 1,              /* the passphrase field has the keyboard */
	CTX_YESNO = 1 << 2,             /* a yes/no question or confirmation */
	CTX_LIST = 1 << 3,              /* an overlay with a list or scrolled text */
	CTX_PATH = 1 << 4,              /* a path field (save, key file): its own keys, not the passphrase's */
	CTX_ALL = CTX_SCREEN | CTX_TEXT | CTX_YESNO | CTX_LIST | CTX_PATH,
	/* Not a context: marks a screen action that touches nothing of the
	 * session, so it also works while the worker runs a job. */
	ANY_TIME = 1 << 8,
};
struct tui_key_action {
	int key, key2;                  /* curses key codes (KEY_*) or characters */
	const char *name;               /* as the footer and help show the key */
	const char *label;              /* short, for the footer; NULL: help only */
	const char *help;
	unsigned contexts;
	unsigned screens;               /* bitmask of (1 << screen); 0 every screen */
	int (*run)(struct tui *t);
};
extern const struct tui_key_action tui_keys[];
extern const size_t tui_n_keys;
unsigned tui_context(const struct tui *t);
int tui_dispatch(struct tui *t, int key, bool function_key);

/* ---- worker.c ---- */
int tui_model_init(struct tui_model *m, rsc_context *ctx);
void tui_model_done(struct tui_model *m);
int tui_start_job(struct tui *t, enum tui_job job);
bool tui_busy(struct tui *t);
bool tui_session_ours(struct tui *t);
void tui_answer(struct tui *t, int answer);
void tui_cancel_work(struct tui *t);
const char *tui_job_name(enum tui_job job);

/* ---- teach.c: the teaching panel, glossary, transcript ---- */
struct tui_term {
	const char *term;
	const char *meaning;
};
extern const struct tui_term tui_glossary[];
extern const size_t tui_n_glossary;
void tui_build_teaching(struct tui *t, int phase, char ***ret_lines);
int tui_write_transcript(struct tui *t, const char *path);

/* ---- welcome.c: facts of this console ---- */
void tui_detect_console(struct tui *t);
int tui_list_keymaps(char ***ret);
int tui_set_keymap(struct tui *t, const char *name);
