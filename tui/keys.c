/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Every key action of the wizard, declared once: this table is the key map
 * (tui_dispatch), the footer (actions with a label, in table order) and the
 * help screen (every action of the current screen). Handlers return KEY_*
 * flags; the main loop acts on them.
 */
#include <curses.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <wchar.h>

#include "macro.h"
#include "strv.h"
#include "tui.h"

#define ON(s) (1u << (s))

static struct rsc_question *question_locked(struct tui *t) {
	pthread_mutex_lock(&t->m.lock);
	return t->m.question;
}
static void unlock_model(struct tui *t) {
	pthread_mutex_unlock(&t->m.lock);
}

unsigned tui_context(const struct tui *t) {
	switch (t->overlay) {
	case OVERLAY_NONE:
		return CTX_SCREEN;
	case OVERLAY_HELP:
	case OVERLAY_GLOSSARY:
	case OVERLAY_CHOOSE:
		return CTX_LIST;
	case OVERLAY_INPUT:
		/* A path, not the passphrase: the footer must not offer
		 * reveal or key file there. */
		return CTX_PATH;
	case OVERLAY_CONFIRM:
		return CTX_YESNO;
	case OVERLAY_QUESTION: {
		struct tui *mt = (struct tui *)t;
		struct rsc_question *q = question_locked(mt);
		enum rsc_question_kind k = q ? q->kind : RSC_ASK_CONFIRM_PLAN;
		unlock_model(mt);
		return k == RSC_ASK_PASSPHRASE ? CTX_TEXT : k == RSC_ASK_CHOOSE_SYSTEM ? CTX_LIST : CTX_YESNO;
	}
	}
	return CTX_SCREEN;
}

/* ---- on a screen ---- */

static int act_help(struct tui *t) {
	t->overlay = OVERLAY_HELP;
	t->overlay_scroll = 0;
	return KEY_REDRAW;
}
static int act_back(struct tui *t) {
	if (t->screen > 0)
		t->screen--;
	return KEY_REDRAW;
}
static int act_enter(struct tui *t) {
	const struct tui_screen_info *si = &tui_screens[t->screen];
	if (!si->activate || t->n_items == 0)
		return KEY_HANDLED;
	return si->activate(t, t->focus[t->screen]) | KEY_REDRAW;
}
static int move_focus(struct tui *t, int delta) {
	if (t->n_items > 0) {
		int f = t->focus[t->screen] + delta;
		if (f < 0)
			f = 0;
		if (f >= t->n_items)
			f = t->n_items - 1;
		t->focus[t->screen] = f;
	} else
		t->scroll[t->screen] += delta;
	return KEY_REDRAW;
}
static int act_up(struct tui *t) {
	return move_focus(t, -1);
}
static int act_down(struct tui *t) {
	return move_focus(t, 1);
}
static int act_page_up(struct tui *t) {
	/* Scroll by a page of lines; focus follows to an item in view. */
	int h = t->rows - 4;
	t->scroll[t->screen] -= h > 1 ? h : 1;
	if (t->scroll[t->screen] < 0)
		t->scroll[t->screen] = 0;
	for (size_t i = (size_t)t->scroll[t->screen]; i < t->n_lines; i++)
		if (t->lines[i].item >= 0) {
			t->focus[t->screen] = t->lines[i].item;
			break;
		}
	return KEY_REDRAW;
}
static int act_page_down(struct tui *t) {
	int h = t->rows - 4;
	if (h < 1)
		h = 1;
	int last = t->scroll[t->screen] + h;
	t->scroll[t->screen] = last < (int)t->n_lines ? last : t->scroll[t->screen];
	for (size_t i = (size_t)t->scroll[t->screen]; i < t->n_lines; i++)
		if (t->lines[i].item >= 0) {
			t->focus[t->screen] = t->lines[i].item;
			break;
		}
	return KEY_REDRAW;
}
static int act_next_step(struct tui *t) {
	if (t->screen + 1 < _SCREEN_MAX)
		t->screen++;
	return KEY_REDRAW;
}
static int act_teach(struct tui *t) {
	t->explain = !t->explain;
	return KEY_REDRAW;
}
static int scroll_teaching(struct tui *t, int delta) {
	if (!t->explain)
		return KEY_HANDLED;
	t->teach_scroll += delta;
	return KEY_REDRAW;
}
static int act_teach_up(struct tui *t) {
	return scroll_teaching(t, -3);
}
static int act_teach_down(struct tui *t) {
	return scroll_teaching(t, 3);
}
static int act_glossary(struct tui *t) {
	t->overlay = OVERLAY_GLOSSARY;
	t->overlay_scroll = 0;
	return KEY_REDRAW;
}
static int act_mode(struct tui *t) {
	t->basic = !t->basic;
	const char *nc = getenv("NO_COLOR");
	if (!t->basic && has_colors() && !(nc && *nc)) {
		start_color();
		use_default_colors();
		init_pair(1, COLOR_CYAN, -1);
		init_pair(2, COLOR_RED, -1);
		init_pair(3, COLOR_YELLOW, -1);
		init_pair(4, COLOR_GREEN, -1);
		init_pair(5, COLOR_BLACK, COLOR_CYAN);
		t->colour = true;
	} else
		t->colour = false;
	tui_notice(t, "%s mode.", t->basic ? "Basic (ASCII, no colour)" : "Rich (line drawing, colour)");
	return KEY_REDRAW;
}
static int act_quit(struct tui *t) {
	t->overlay = OVERLAY_CONFIRM;
	t->confirm_purpose = CONFIRM_QUIT;
	return KEY_REDRAW;
}
static int act_cancel_work(struct tui *t) {
	if (!tui_busy(t)) {
		tui_notice(t, "Nothing is running.");
		return KEY_REDRAW;
	}
	tui_cancel_work(t);
	tui_notice(t, "Cancelling: what the running step did is being undone.");
	return KEY_REDRAW;
}
static int act_apply(struct tui *t) {
	return tui_do_apply(t);
}
static int act_undo(struct tui *t) {
	return tui_do_undo(t);
}
static int act_report(struct tui *t) {
	return tui_do_save(t, INPUT_REPORT);
}
static int act_transcript(struct tui *t) {
	return tui_do_save(t, INPUT_TRANSCRIPT);
}
static int act_shell(struct tui *t) {
	return tui_do_shell(t);
}
static int act_reboot(struct tui *t) {
	return tui_do_power(t, CONFIRM_REBOOT);
}
static int act_poweroff(struct tui *t) {
	return tui_do_power(t, CONFIRM_POWEROFF);
}

/* ---- lists and scrolled text ---- */

static int list_move(struct tui *t, int delta) {
	struct rsc_question *q;
	if (t->overlay == OVERLAY_CHOOSE) {
		int n = (int)strv_length(t->choices);
		t->choice += delta;
		if (t->choice >= n)
			t->choice = n - 1;
		if (t->choice < 0)
			t->choice = 0;
	} else if (t->overlay == OVERLAY_QUESTION) {
		q = question_locked(t);
		int n = q ? (int)q->n_choices : 0;
		unlock_model(t);
		t->choice += delta;
		if (t->choice >= n)
			t->choice = n - 1;
		if (t->choice < 0)
			t->choice = 0;
	} else
		t->overlay_scroll += delta;
	return KEY_REDRAW;
}
static int act_list_up(struct tui *t) {
	return list_move(t, -1);
}
static int act_list_down(struct tui *t) {
	return list_move(t, 1);
}
static int act_list_page_up(struct tui *t) {
	return list_move(t, -(t->rows - 6));
}
static int act_list_page_down(struct tui *t) {
	return list_move(t, t->rows - 6);
}
static int act_list_enter(struct tui *t) {
	if (t->overlay == OVERLAY_CHOOSE) {
		tui_choose_done(t);
		return KEY_REDRAW;
	}
	if (t->overlay == OVERLAY_QUESTION) {
		struct rsc_question *q = question_locked(t);
		if (q && t->choice >= 0 && (size_t)t->choice < q->n_choices)
			q->choice = (size_t)t->choice;
		unlock_model(t);
		tui_answer(t, RSC_ANSWER_YES);
		return KEY_REDRAW;
	}
	t->overlay = OVERLAY_NONE;
	return KEY_REDRAW;
}
static int act_list_close(struct tui *t) {
	if (t->overlay == OVERLAY_QUESTION) {
		tui_answer(t, RSC_ANSWER_CANCEL);
		return KEY_REDRAW;
	}
	t->overlay = OVERLAY_NONE;
	return KEY_REDRAW;
}

/* ---- text fields: the passphrase (straight into the library's locked
 * buffer) and paths of our own ---- */

static void wipe_secret(struct rsc_question *q) {
	if (q && q->secret) {
		explicit_bzero(q->secret, q->secret_size);
		q->secret_len = 0;
	}
}

static int text_insert(struct tui *t, int key) {
	char mb[8];
	mbstate_t ps = { 0 };
	size_t n = wcrtomb(mb, (wchar_t)key, &ps);
	if (n == (size_t)-1) {
		if (key > 0x7f)
			return KEY_HANDLED;
		mb[0] = (char)key;
		n = 1;
	}
	if (t->overlay == OVERLAY_INPUT) {
		if (t->input_len + n < sizeof(t->input)) {
			memcpy(t->input + t->input_len, mb, n);
			t->input_len += n;
			t->input[t->input_len] = 0;
		}
		return KEY_REDRAW;
	}
	struct rsc_question *q = question_locked(t);
	if (q && q->kind == RSC_ASK_PASSPHRASE && q->secret && q->secret_len + n < q->secret_size) {
		memcpy(q->secret + q->secret_len, mb, n);
		q->secret_len += n;
		q->secret[q->secret_len] = 0;
	}
	unlock_model(t);
	explicit_bzero(mb, sizeof(mb));
	return KEY_REDRAW;
}

static int act_text_backspace(struct tui *t) {
	if (t->overlay == OVERLAY_INPUT) {
		while (t->input_len > 0) {
			unsigned char c = (unsigned char)t->input[--t->input_len];
			t->input[t->input_len] = 0;
			if ((c & 0xc0) != 0x80)
				break;
		}
		return KEY_REDRAW;
	}
	struct rsc_question *q = question_locked(t);
	if (q && q->secret)
		while (q->secret_len > 0) {
			unsigned char c = (unsigned char)q->secret[--q->secret_len];
			q->secret[q->secret_len] = 0;
			if ((c & 0xc0) != 0x80)
				break;
		}
	unlock_model(t);
	return KEY_REDRAW;
}
static int act_text_ok(struct tui *t) {
	if (t->overlay == OVERLAY_INPUT) {
		tui_input_done(t);
		return KEY_REDRAW;
	}
	tui_answer(t, RSC_ANSWER_YES);
	t->reveal = false;
	return KEY_REDRAW;
}
static int act_text_skip(struct tui *t) {
	if (t->overlay == OVERLAY_INPUT) {
		if (t->input_purpose == INPUT_KEY_FILE) {
			/* Back to the passphrase. */
			t->overlay = OVERLAY_QUESTION;
			return KEY_REDRAW;
		}
		t->overlay = OVERLAY_NONE;
		return KEY_REDRAW;
	}
	struct rsc_question *q = question_locked(t);
	wipe_secret(q);
	unlock_model(t);
	tui_answer(t, RSC_ANSWER_SKIP);
	return KEY_REDRAW;
}
static int act_text_cancel(struct tui *t) {
	if (t->overlay == OVERLAY_INPUT && t->input_purpose != INPUT_KEY_FILE) {
		t->overlay = OVERLAY_NONE;
		return KEY_REDRAW;
	}
	struct rsc_question *q = question_locked(t);
	wipe_secret(q);
	unlock_model(t);
	tui_answer(t, RSC_ANSWER_CANCEL);
	return KEY_REDRAW;
}
static int act_text_reveal(struct tui *t) {
	if (t->overlay == OVERLAY_QUESTION)
		t->reveal = !t->reveal;
	return KEY_REDRAW;
}
static int act_text_key_file(struct tui *t) {
	if (t->overlay != OVERLAY_QUESTION)
		return KEY_HANDLED;
	t->overlay = OVERLAY_INPUT;
	t->input_purpose = INPUT_KEY_FILE;
	t->input[0] = 0;
	t->input_len = 0;
	return KEY_REDRAW;
}

/* ---- yes/no ---- */

static int answer(struct tui *t, int a) {
	if (t->overlay == OVERLAY_CONFIRM) {
		if (a == RSC_ANSWER_YES)
			tui_confirm_done(t);
		else
			t->overlay = OVERLAY_NONE;
		return KEY_REDRAW;
	}
	struct rsc_question *q = question_locked(t);
	enum rsc_question_kind k = q ? q->kind : _RSC_ASK_MAX;
	unlock_model(t);
	/* Only the answers each kind of question takes. */
	if (a == RSC_ANSWER_SKIP && k != RSC_ASK_CONFIRM_STEP)
		return KEY_HANDLED;
	if (a == RSC_ANSWER_UNDO && k != RSC_ASK_UNFINISHED_JOURNAL)
		return KEY_HANDLED;
	if (a == RSC_ANSWER_NO && k == RSC_ASK_CONFIRM_STEP)
		a = RSC_ANSWER_CANCEL;
	tui_answer(t, a);
	return KEY_REDRAW;
}
static int act_yes(struct tui *t) {
	return answer(t, RSC_ANSWER_YES);
}
static int act_no(struct tui *t) {
	return answer(t, RSC_ANSWER_NO);
}
static int act_skip(struct tui *t) {
	return answer(t, RSC_ANSWER_SKIP);
}
static int act_undo_answer(struct tui *t) {
	return answer(t, RSC_ANSWER_UNDO);
}
static int act_cancel_answer(struct tui *t) {
	if (t->overlay == OVERLAY_CONFIRM) {
		t->overlay = OVERLAY_NONE;
		return KEY_REDRAW;
	}
	return answer(t, RSC_ANSWER_CANCEL);
}

#define CTRL(c) ((c) & 0x1f)

const struct tui_key_action tui_keys[] = {
	/* Screens. Footer order is table order. */
	{ '?', KEY_F(1), "?", "Help", "this help: every key of the current screen", CTX_SCREEN | ANY_TIME, 0, act_help },
	{ '\n', KEY_ENTER, "Enter", "Choose", "do the focused item (start a step, pick a system, apply)", CTX_SCREEN, 0, act_enter },
	{ 27, 0, "Esc", "Back", "back to the previous step", CTX_SCREEN | ANY_TIME, 0, act_back },
	{ '\t', KEY_RIGHT, "Tab", "Next", "to the next step (also Right)", CTX_SCREEN | ANY_TIME, 0, act_next_step },
	{ 'a', 0, "a", "Apply", "apply the plan (asks first; nothing is written before)", CTX_SCREEN, ON(SCREEN_PLAN), act_apply },
	{ 'c', 0, "c", "Cancel", "cancel the running work; what it did is rolled back", CTX_SCREEN | ANY_TIME,
	  ON(SCREEN_APPLY) | ON(SCREEN_UNLOCK) | ON(SCREEN_MOUNT), act_cancel_work },
	{ 'u', 0, "u", "Undo", "put back every file the repair changed", CTX_SCREEN, ON(SCREEN_RESULT), act_undo },
	{ 's', 0, "s", "Report", "save the report (JSON) and the journal", CTX_SCREEN, ON(SCREEN_RESULT), act_report },
	{ 't', KEY_F(2), "t", "Teach", "teaching mode: the commands a person would type, and why", CTX_SCREEN | ANY_TIME, 0, act_teach },
	{ 'q', KEY_F(10), "q", "Quit", "release everything (unmount, lock) and quit", CTX_SCREEN | ANY_TIME, 0, act_quit },
	{ KEY_BTAB, KEY_LEFT, "S-Tab", NULL, "to the previous step (also Left)", CTX_SCREEN | ANY_TIME, 0, act_back },
	{ KEY_UP, 'k', "Up", NULL, "focus the previous item (also k)", CTX_SCREEN | ANY_TIME, 0, act_up },
	{ KEY_DOWN, 'j', "Down", NULL, "focus the next item (also j)", CTX_SCREEN | ANY_TIME, 0, act_down },
	{ KEY_PPAGE, 0, "PgUp", NULL, "scroll a page up", CTX_SCREEN | ANY_TIME, 0, act_page_up },
	{ KEY_NPAGE, ' ', "PgDn", NULL, "scroll a page down (also Space)", CTX_SCREEN | ANY_TIME, 0, act_page_down },
	{ '[', 0, "[", NULL, "teaching mode: scroll the panel up", CTX_SCREEN | ANY_TIME, 0, act_teach_up },
	{ ']', 0, "]", NULL, "teaching mode: scroll the panel down", CTX_SCREEN | ANY_TIME, 0, act_teach_down },
	{ 'g', 0, "g", NULL, "glossary: initramfs, dracut, LUKS, LVM, GRUB, ESP ...", CTX_SCREEN | ANY_TIME, 0, act_glossary },
	{ 'm', KEY_F(3), "m", NULL, "switch rich mode (colour, line drawing) and basic mode (ASCII)", CTX_SCREEN | ANY_TIME, 0, act_mode },
	{ 'w', 0, "w", NULL, "save the whole session as a commented shell transcript", CTX_SCREEN, ON(SCREEN_RESULT), act_transcript },
	{ '!', 0, "!", NULL, "a shell inside the mounted system (exit returns here)", CTX_SCREEN, ON(SCREEN_RESULT), act_shell },
	{ 'R', 0, "R", NULL, "release everything and restart the computer", CTX_SCREEN, ON(SCREEN_RESULT), act_reboot },
	{ 'P', 0, "P", NULL, "release everything and power off", CTX_SCREEN, ON(SCREEN_RESULT), act_poweroff },

	/* Text fields: the passphrase, and paths (save, key file). Other keys type. */
	{ '\n', KEY_ENTER, "Enter", "OK", "use what was typed", CTX_TEXT | CTX_PATH, 0, act_text_ok },
	{ 27, 0, "Esc", "Skip", "skip this volume", CTX_TEXT, 0, act_text_skip },
	{ 27, 0, "Esc", "Cancel", "close a path field (a key file's: back to the passphrase)", CTX_PATH, 0, act_text_skip },
	{ CTRL('r'), 0, "^R", "Reveal", "show or hide the passphrase as typed", CTX_TEXT, 0, act_text_reveal },
	{ CTRL('k'), 0, "^K", "Key file", "use a key file instead of a passphrase", CTX_TEXT, 0, act_text_key_file },
	{ CTRL('x'), 0, "^X", "Cancel", "cancel the whole step", CTX_TEXT, 0, act_text_cancel },
	{ CTRL('x'), 0, "^X", NULL, "close a path field (a key file's: cancel the whole step)", CTX_PATH, 0, act_text_cancel },
	{ KEY_BACKSPACE, 0, "Backspace", NULL, "delete the last character", CTX_TEXT | CTX_PATH, 0, act_text_backspace },

	/* Questions and confirmations. */
	{ 'y', '\n', "y", "Yes", "yes (also Enter)", CTX_YESNO, 0, act_yes },
	{ 'n', 27, "n", "No", "no (also Esc)", CTX_YESNO, 0, act_no },
	{ 's', 0, "s", NULL, "skip this step of the plan", CTX_YESNO, 0, act_skip },
	{ 'u', 0, "u", NULL, "undo an unfinished repair", CTX_YESNO, 0, act_undo_answer },
	{ 'x', 0, "x", NULL, "cancel", CTX_YESNO, 0, act_cancel_answer },

	/* Lists and scrolled text. */
	{ KEY_UP, 'k', "Up", "Move", "previous", CTX_LIST, 0, act_list_up },
	{ KEY_DOWN, 'j', "Down", NULL, "next", CTX_LIST, 0, act_list_down },
	{ KEY_PPAGE, 0, "PgUp", NULL, "a page up", CTX_LIST, 0, act_list_page_up },
	{ KEY_NPAGE, ' ', "PgDn", NULL, "a page down", CTX_LIST, 0, act_list_page_down },
	{ '\n', KEY_ENTER, "Enter", "Choose", "choose, or close", CTX_LIST, 0, act_list_enter },
	{ 27, 'q', "Esc", "Close", "close (also q)", CTX_LIST, 0, act_list_close },
};
const size_t tui_n_keys = ELEMENTSOF(tui_keys);

static bool matches(int want, int key, bool function) {
	if (!want)
		return false;
	/* Function keys and characters share number space in curses. */
	return want == key && (want >= KEY_MIN) == function;
}

int tui_dispatch(struct tui *t, int key, bool function) {
	if (!function && key == '\r')
		key = '\n';
	if (!function && (key == 127 || key == 8)) {
		key = KEY_BACKSPACE;
		function = true;
	}
	/* Any key after a notice makes it go away. */
	t->notice[0] = 0;
	if (t->cols < 40 || t->rows < 12) {
		/* Too small to show anything but the way out. */
		if (!function && (key == 'q' || key == 27)) {
			if (t->overlay == OVERLAY_CONFIRM && t->confirm_purpose == CONFIRM_QUIT)
				return KEY_QUIT;
			return act_quit(t);
		}
		if (t->overlay == OVERLAY_CONFIRM && !function && (key == 'y' || key == '\n'))
			return answer(t, RSC_ANSWER_YES);
		return KEY_HANDLED;
	}
	unsigned ctx = tui_context(t);
	for (size_t i = 0; i < tui_n_keys; i++) {
		const struct tui_key_action *k = &tui_keys[i];
		if (!(k->contexts & ctx))
			continue;
		if (ctx == CTX_SCREEN && k->screens && !(k->screens & ON(t->screen)))
			continue;
		if (!matches(k->key, key, function) && !matches(k->key2, key, function))
			continue;
		/* Enter on a screen drawn from the model only (Welcome, Apply)
		 * touches nothing of the session either. */
		bool any_time = (k->contexts & ANY_TIME) || (k->run == act_enter && tui_screens[t->screen].live);
		if (ctx == CTX_SCREEN && !any_time && !tui_session_ours(t)) {
			pthread_mutex_lock(&t->m.lock);
			enum tui_job job = t->m.job;
			pthread_mutex_unlock(&t->m.lock);
			tui_notice(t, "Wait: %s is still running (c cancels it).", tui_job_name(job));
			return KEY_REDRAW;
		}
		return k->run(t);
	}
	if ((ctx == CTX_TEXT || ctx == CTX_PATH) && !function && key >= 32)
		return text_insert(t, key);
	return KEY_UNHANDLED;
}
