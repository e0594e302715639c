/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The repair wizard's frame: terminal set-up (rich or basic mode), the one
 * input loop (keys, resize and model changes alike), the hub of steps, the
 * footer and info line, the overlays (help, glossary, questions, inputs),
 * and the headless driver that replays a key script and dumps the screen.
 */
#include <curses.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <locale.h>
#include <signal.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/reboot.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <wchar.h>

#include "macro.h"
#include "strv.h"
#include "tui.h"

#define MIN_COLS 40
#define MIN_ROWS 12
#define SIDEBAR_WIDTH 22

static volatile sig_atomic_t got_signal;

static void on_signal(int sig) {
	got_signal = sig;
}

/* A crash must not leave the console in raw mode with no echo: the person
 * would be stuck at a dead terminal. Restore it, then die as before. */
static void on_fatal_signal(int sig) {
	endwin();
	signal(sig, SIG_DFL);
	raise(sig);
}

/* ---- body builder ---- */

static void add_line(struct tui *t, int item, int attr, const char *text, size_t len) {
	if (t->n_lines == t->n_alloc) {
		size_t n = t->n_alloc ? t->n_alloc * 2 : 64;
		struct tui_line *l = realloc(t->lines, n * sizeof(*l));
		if (!l)
			return;
		t->lines = l;
		t->n_alloc = n;
	}
	char *copy = strndup(text, len);
	if (!copy)
		return;
	if (item >= 0 && t->focus_line < 0 && item == t->focus[t->screen])
		t->focus_line = (int)t->n_lines;
	if (item >= t->n_items)
		t->n_items = item + 1;
	t->lines[t->n_lines++] = (struct tui_line){ copy, attr, item };
}

/* Byte length of the longest prefix of s that fits in width columns. */
static size_t fit(const char *s, size_t len, size_t width) {
	size_t cols = 0, i = 0;
	while (i < len) {
		size_t j = i + 1;
		while (j < len && ((unsigned char)s[j] & 0xc0) == 0x80)
			j++;
		if (cols + 1 > width)
			break;
		cols++;
		i = j;
	}
	return i;
}

/* Splits text into lines of at most width columns, breaking at spaces
 * (a word longer than a line is cut); continuation lines start with
 * indent spaces. Appends to *lines. */
static void wrap_into(char ***lines, const char *text, int width, int indent) {
	if (width < 8)
		width = 8;
	if (indent > width / 3)
		indent = width / 3;
	const char *p = text;
	size_t len = strlen(p);
	bool cont = false;
	if (len == 0)
		strv_extend(lines, "");
	while (len > 0) {
		int avail = width - (cont ? indent : 0);
		size_t n = fit(p, len, (size_t)avail);
		if (n < len) {
			size_t b = n;
			while (b > 0 && p[b] != ' ')
				b--;
			if (b > 0)
				n = b;
		}
		char buf[1024];
		snprintf(buf, sizeof(buf), "%*s%.*s", cont ? indent : 0, "", (int)n, p);
		strv_extend(lines, buf);
		p += n;
		len -= n;
		while (len > 0 && *p == ' ')
			p++, len--;
		cont = true;
	}
}

/* Lines of a focusable item start with a two-column gutter: "> " on the
 * first line of the focused item, spaces elsewhere. Reverse video alone is
 * lost on a serial console, in a text dump or to a screen reader, and with
 * two items on a screen nothing else would tell which one Enter takes. */
#define FOCUS_GUTTER 2

void tui_add_wrapped(struct tui *t, int item, int attr, int indent, const char *text) {
	int width = t->width > 4 ? t->width : 4;
	if (item >= 0) {
		width -= FOCUS_GUTTER;
		if (width < 4)
			width = 4;
	}
	if (indent > width / 4)
		indent = width / 4;
	const char *p = text ? text : "";
	bool first = true;
	do {
		const char *nl = strchr(p, '\n');
		size_t len = nl ? (size_t)(nl - p) : strlen(p);
		/* Leading spaces of the first piece are kept as the line's own
		 * indentation; continuations get `indent`. */
		size_t lead = 0;
		while (lead < len && p[lead] == ' ')
			lead++;
		const char *q = p;
		size_t left = len;
		bool cont = false;
		do {
			int avail = width - (cont ? indent + (int)lead : 0);
			if (avail < 4)
				avail = 4;
			size_t take = fit(q, left, (size_t)avail);
			if (take < left) {
				/* Break at the last space that keeps a word whole. */
				size_t b = take;
				while (b > 0 && q[b] != ' ')
					b--;
				if (b > 0)
					take = b;
			}
			char buf[1024];
			int pad = cont ? indent + (int)lead : 0;
			/* Items are contiguous: the item's first line is the one
			 * that follows a line of anything else. */
			bool item_start = item >= 0 && (t->n_lines == 0 || t->lines[t->n_lines - 1].item != item);
			const char *gutter = item < 0 ? "" : item_start && item == t->focus[t->screen] ? "> " : "  ";
			int n = snprintf(buf, sizeof(buf), "%s%*s%.*s", gutter, pad, "", (int)take, q);
			add_line(t, item, attr, buf, n < 0 ? 0 : (size_t)n >= sizeof(buf) ? sizeof(buf) - 1 : (size_t)n);
			q += take;
			left -= take;
			while (left > 0 && *q == ' ') {
				q++;
				left--;
			}
			cont = true;
		} while (left > 0);
		(void)first;
		first = false;
		p = nl ? nl + 1 : NULL;
	} while (p);
}

void tui_add(struct tui *t, int item, int attr, const char *fmt, ...) {
	char buf[2048];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	tui_add_wrapped(t, item, attr, 0, buf);
}

void tui_add_bar(struct tui *t, int item, const char *label, double fraction, const char *after) {
	char bar[128];
	int w = t->width - (int)strlen(label) - (int)strlen(strempty(after)) - 4;
	if (w > 40)
		w = 40;
	if (w < 8) {
		tui_add(t, item, TUI_ATTR_NORMAL, "%s %3.0f%% %s", label, fraction * 100, strempty(after));
		return;
	}
	if (fraction < 0)
		fraction = 0;
	if (fraction > 1)
		fraction = 1;
	int filled = (int)(fraction * w + 0.5);
	for (int i = 0; i < w; i++)
		bar[i] = i < filled ? '#' : '.';
	bar[w] = 0;
	tui_add(t, item, fraction > 0.9 ? TUI_ATTR_WARNING : TUI_ATTR_NORMAL, "%s [%s] %s", label, bar, strempty(after));
}

void tui_notice(struct tui *t, const char *fmt, ...) {
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(t->notice, sizeof(t->notice), fmt, ap);
	va_end(ap);
}

/* The library's last message goes when what it reported is over: another
 * screen, a new job, or a job that succeeded after it (a passphrase that
 * opened the volume on the second try). */
void tui_clear_info(struct tui *t) {
	pthread_mutex_lock(&t->m.lock);
	t->m.info[0] = 0;
	t->m.info_level = 0;
	pthread_mutex_unlock(&t->m.lock);
	t->info_screen = t->screen;
}

static void clear_lines(struct tui *t) {
	for (size_t i = 0; i < t->n_lines; i++)
		free(t->lines[i].text);
	t->n_lines = 0;
	t->n_items = 0;
	t->focus_line = -1;
}

/* ---- drawing ---- */

static int attr_of(const struct tui *t, int attr) {
	if (t->basic)
		return attr == TUI_ATTR_TITLE || attr == TUI_ATTR_ERROR ? A_BOLD : A_NORMAL;
	if (!t->colour)
		return attr == TUI_ATTR_TITLE || attr == TUI_ATTR_ERROR ? A_BOLD : attr == TUI_ATTR_DIM ? A_DIM : A_NORMAL;
	switch (attr) {
	case TUI_ATTR_TITLE:
		return A_BOLD | COLOR_PAIR(1);
	case TUI_ATTR_ERROR:
		return A_BOLD | COLOR_PAIR(2);
	case TUI_ATTR_WARNING:
		return COLOR_PAIR(3);
	case TUI_ATTR_GOOD:
		return COLOR_PAIR(4);
	case TUI_ATTR_DIM:
		return A_DIM;
	case TUI_ATTR_COMMAND:
		return COLOR_PAIR(1);
	}
	return A_NORMAL;
}

static void hline_at(struct tui *t, int y, int x, int n) {
	if (n <= 0)
		return;
	if (t->basic)
		mvhline(y, x, '-', n);
	else
		mvhline(y, x, ACS_HLINE, n);
}

static void vline_at(struct tui *t, int y, int x, int n) {
	if (n <= 0)
		return;
	if (t->basic)
		mvvline(y, x, '|', n);
	else
		mvvline(y, x, ACS_VLINE, n);
}

static void box_at(struct tui *t, int y, int x, int h, int w) {
	for (int i = 0; i < h; i++)
		mvhline(y + i, x, ' ', w);
	hline_at(t, y, x + 1, w - 2);
	hline_at(t, y + h - 1, x + 1, w - 2);
	vline_at(t, y + 1, x, h - 2);
	vline_at(t, y + 1, x + w - 1, h - 2);
	if (t->basic) {
		mvaddch(y, x, '+');
		mvaddch(y, x + w - 1, '+');
		mvaddch(y + h - 1, x, '+');
		mvaddch(y + h - 1, x + w - 1, '+');
	} else {
		mvaddch(y, x, ACS_ULCORNER);
		mvaddch(y, x + w - 1, ACS_URCORNER);
		mvaddch(y + h - 1, x, ACS_LLCORNER);
		mvaddch(y + h - 1, x + w - 1, ACS_LRCORNER);
	}
}

/* Writes text clipped to width columns at (y, x). */
static void put(int y, int x, int width, int attr, const char *text) {
	if (width <= 0)
		return;
	size_t len = strlen(text);
	size_t n = fit(text, len, (size_t)width);
	attrset(attr);
	mvaddnstr(y, x, text, (int)n);
	attrset(A_NORMAL);
}

static void put_padded(int y, int x, int width, int attr, const char *text) {
	attrset(attr);
	mvhline(y, x, ' ', width);
	attrset(A_NORMAL);
	put(y, x, width, attr, text);
}

static int state_attr(const struct tui *t, enum rsc_phase_state s) {
	switch (s) {
	case RSC_PHASE_DONE:
		return attr_of(t, TUI_ATTR_GOOD);
	case RSC_PHASE_NEEDS_YOU:
		return attr_of(t, TUI_ATTR_WARNING) | A_BOLD;
	case RSC_PHASE_FAILED:
		return attr_of(t, TUI_ATTR_ERROR);
	case RSC_PHASE_NOT_NEEDED:
		return attr_of(t, TUI_ATTR_DIM);
	default:
		return A_NORMAL;
	}
}

static bool has_sidebar(const struct tui *t) {
	return t->cols >= 64 && t->rows >= 16;
}

static void draw_title(struct tui *t) {
	const struct tui_screen_info *si = &tui_screens[t->screen];
	enum rsc_phase_state st = t->state_seen[t->screen];
	char right[96], left[64];
	snprintf(left, sizeof(left), " rescue%s", t->cols >= 60 ? ": repair wizard" : "");
	snprintf(right, sizeof(right), "%d/%d %s: %s%s%s ", (int)t->screen + 1, _SCREEN_MAX, si->title, tui_state_words(st),
		 t->explain ? " [teach]" : "", t->basic ? "" : "");
	put_padded(0, 0, t->cols, A_REVERSE, left);
	int rl = (int)strlen(right);
	if (rl > t->cols - 1)
		put(0, 0, t->cols, A_REVERSE, right);
	else if (rl + (int)strlen(left) < t->cols)
		put(0, t->cols - rl, rl, A_REVERSE, right);
	else
		put(0, 0, t->cols, A_REVERSE, right);
}

static void draw_sidebar(struct tui *t, int h) {
	for (int i = 0; i < _SCREEN_MAX && i < h; i++) {
		const struct tui_screen_info *si = &tui_screens[i];
		enum rsc_phase_state st = t->state_seen[i];
		char buf[64];
		/* The current step is marked in words too, not only by video
		 * attributes a screen reader or a text dump does not see. */
		snprintf(buf, sizeof(buf), "%c%s %d %s", i == (int)t->screen ? '>' : ' ', tui_state_mark(st, true), i + 1,
			 si->title);
		int a = i == (int)t->screen ? (int)(A_REVERSE | A_BOLD) : state_attr(t, st);
		put_padded(1 + i, 0, SIDEBAR_WIDTH - 1, i == (int)t->screen ? A_REVERSE | A_BOLD : A_NORMAL, "");
		put(1 + i, 0, SIDEBAR_WIDTH - 1, a, buf);
	}
	/* The legend below the steps, when there is room. */
	static const char *const legend[] = { "", " [x] done", " [ ] to do", " [!] needs you", " [-] not needed", " [F] failed" };
	int y = 1 + _SCREEN_MAX;
	for (size_t i = 0; i < ELEMENTSOF(legend) && y < h + 1; i++, y++)
		put(y, 0, SIDEBAR_WIDTH - 1, attr_of(t, TUI_ATTR_DIM), legend[i]);
	vline_at(t, 1, SIDEBAR_WIDTH - 1, h);
}

static void draw_lines(struct tui *t, int y0, int x0, int h, int w, int *scroll, int *ret_cursor_y) {
	if (t->focus_line >= 0) {
		/* Keep the whole focused item in view when it fits. */
		int end = t->focus_line;
		while (end + 1 < (int)t->n_lines && t->lines[end + 1].item == t->lines[t->focus_line].item)
			end++;
		if (end - *scroll >= h)
			*scroll = end - h + 1;
		if (t->focus_line < *scroll || end - t->focus_line >= h)
			*scroll = t->focus_line;
	}
	int max_scroll = (int)t->n_lines - h;
	if (*scroll > max_scroll)
		*scroll = max_scroll;
	if (*scroll < 0)
		*scroll = 0;
	for (int i = 0; i < h; i++) {
		int li = *scroll + i;
		if (li >= (int)t->n_lines)
			break;
		struct tui_line *l = &t->lines[li];
		bool focused = l->item >= 0 && l->item == t->focus[t->screen];
		int a = attr_of(t, l->attr);
		if (focused)
			a = (t->colour && !t->basic ? COLOR_PAIR(5) : A_REVERSE) | (a & A_BOLD);
		if (focused)
			put_padded(y0 + i, x0, w, a, l->text);
		else
			put(y0 + i, x0, w, a, l->text);
		if (focused && li == t->focus_line && ret_cursor_y)
			*ret_cursor_y = y0 + i;
	}
	/* Show there is more above or below. */
	if (*scroll > 0)
		put(y0, x0 + w - 1, 1, A_BOLD, "^");
	if (*scroll + h < (int)t->n_lines)
		put(y0 + h - 1, x0 + w - 1, 1, A_BOLD, "v");
}

static void draw_teaching(struct tui *t, int y0, int x0, int h, int w) {
	if (t->session_ours || t->teach_seen_screen != (int)t->screen) {
		strv_free(t->teach_seen);
		t->teach_seen = NULL;
		t->teach_seen_screen = (int)t->screen;
		if (t->session_ours)
			tui_build_teaching(t, tui_screens[t->screen].phase, &t->teach_seen);
		else
			strv_extend(&t->teach_seen, "Shown when the running step is done.");
	}
	char **lines = t->teach_seen;
	hline_at(t, y0, x0, w);
	put(y0, x0 + 1, w - 2, A_BOLD, t->cols >= 60 ? " Teaching: commands and why ([ ] scroll, t hides) " :
							   " Teaching ([ ] scroll, t hides) ");
	/* Wrapped first, so the panel scrolls by screen lines. */
	_cleanup_(strv_freep) char **wrapped = NULL;
	_cleanup_free_ bool *is_command = NULL;
	STRV_FOREACH(l, lines) {
		/* Commands (indented) keep their indentation on continuations;
		 * "Why: " text continues under its first word. */
		size_t before = strv_length(wrapped);
		bool command = (*l)[0] == ' ';
		wrap_into(&wrapped, *l, w - 2, command ? 6 : strncmp(*l, "Why: ", 5) == 0 ? 5 : 2);
		size_t after = strv_length(wrapped);
		bool *n = realloc(is_command, (after + 1) * sizeof(bool));
		if (!n)
			return;
		is_command = n;
		for (size_t i = before; i < after; i++)
			is_command[i] = command;
	}
	int n = (int)strv_length(wrapped), inner = h - 1;
	if (t->teach_screen != t->screen) {
		t->teach_screen = t->screen;
		t->teach_scroll = 0;
	}
	if (t->teach_scroll > n - inner)
		t->teach_scroll = n - inner;
	if (t->teach_scroll < 0)
		t->teach_scroll = 0;
	for (int i = 0; i < inner && t->teach_scroll + i < n; i++)
		put(y0 + 1 + i, x0 + 1, w - 1, is_command[t->teach_scroll + i] ? attr_of(t, TUI_ATTR_COMMAND) : (int)A_NORMAL,
		    wrapped[t->teach_scroll + i]);
	if (t->teach_scroll > 0)
		put(y0 + 1, x0 + w - 1, 1, A_BOLD, "^");
	if (t->teach_scroll + inner < n)
		put(y0 + h - 1, x0 + w - 1, 1, A_BOLD, "v");
}

static void build_footer(struct tui *t, char *buf, size_t size) {
	unsigned ctx = tui_context(t);
	size_t o = 0;
	buf[0] = 0;
	for (size_t i = 0; i < tui_n_keys; i++) {
		const struct tui_key_action *k = &tui_keys[i];
		if (!k->label || !(k->contexts & ctx))
			continue;
		if (ctx == CTX_SCREEN && k->screens && !(k->screens & (1u << t->screen)))
			continue;
		int n = snprintf(buf + o, size - o, "%s%s %s", o ? "  " : " ", k->name, k->label);
		if (n < 0 || (size_t)n >= size - o)
			break;
		o += (size_t)n;
	}
}

static void draw_footer(struct tui *t) {
	char buf[512];
	build_footer(t, buf, sizeof(buf));
	/* The way out must always show: when the keys do not fit, the
	 * footer names only help and quit. */
	if ((int)strlen(buf) > t->cols)
		snprintf(buf, sizeof(buf), " ? help  Esc back  q quit");
	put_padded(t->rows - 1, 0, t->cols, A_REVERSE, buf);
}

static void draw_info(struct tui *t) {
	char buf[320];
	pthread_mutex_lock(&t->m.lock);
	enum tui_job job = t->m.job;
	if (job != JOB_NONE && t->m.have_progress) {
		if (t->m.progress_steps)
			snprintf(buf, sizeof(buf), " %s: step %u/%u, %.0f s: %s", rsc_phase_to_string(t->m.progress_phase),
				 t->m.progress_step, t->m.progress_steps, t->m.progress_elapsed, t->m.progress_what);
		else
			snprintf(buf, sizeof(buf), " %s, %.0f s: %s", rsc_phase_to_string(t->m.progress_phase),
				 t->m.progress_elapsed, t->m.progress_what);
	} else if (job != JOB_NONE)
		snprintf(buf, sizeof(buf), " Working: %s ...", tui_job_name(job));
	else if (t->notice[0])
		snprintf(buf, sizeof(buf), " %s", t->notice);
	else
		snprintf(buf, sizeof(buf), " %s", t->m.info);
	int level = t->m.info_level;
	pthread_mutex_unlock(&t->m.lock);
	int a = job == JOB_NONE && !t->notice[0] && level <= RSC_LOG_ERR && level > 0 ? attr_of(t, TUI_ATTR_ERROR) : (int)A_NORMAL;
	put_padded(t->rows - 2, 0, t->cols, a, buf);
}

/* Overlay text: a list of lines in a box covering the body. */
static void draw_text_overlay(struct tui *t, const char *title, char **lines, int *cursor_y, int *cursor_x) {
	int y0 = 1, x0 = 0, h = t->rows - 3, w = t->cols;
	box_at(t, y0, x0, h, w);
	put(y0, x0 + 2, w - 4, A_BOLD, title);
	int n = (int)strv_length(lines), inner = h - 2;
	if (t->overlay_scroll > n - inner)
		t->overlay_scroll = n - inner;
	if (t->overlay_scroll < 0)
		t->overlay_scroll = 0;
	for (int i = 0; i < inner && t->overlay_scroll + i < n; i++)
		put(y0 + 1 + i, x0 + 2, w - 4, A_NORMAL, lines[t->overlay_scroll + i]);
	if (t->overlay_scroll > 0)
		put(y0 + 1, x0 + w - 2, 1, A_BOLD, "^");
	if (t->overlay_scroll + inner < n)
		put(y0 + h - 2, x0 + w - 2, 1, A_BOLD, "v");
	*cursor_y = y0 + 1;
	*cursor_x = x0 + 2;
}

static char **help_lines(struct tui *t) {
	char **l = NULL;
	char buf[256];
	snprintf(buf, sizeof(buf), "Keys on this screen (%s):", tui_screens[t->screen].title);
	strv_extend(&l, buf);
	for (size_t i = 0; i < tui_n_keys; i++) {
		const struct tui_key_action *k = &tui_keys[i];
		if (!(k->contexts & CTX_SCREEN))
			continue;
		if (k->screens && !(k->screens & (1u << t->screen)))
			continue;
		snprintf(buf, sizeof(buf), "  %-10s %s", k->name, k->help);
		wrap_into(&l, buf, t->cols - 4, 13);
	}
	strv_extend(&l, "");
	strv_extend(&l, "In questions and text fields:");
	for (size_t i = 0; i < tui_n_keys; i++) {
		const struct tui_key_action *k = &tui_keys[i];
		if (k->contexts & CTX_SCREEN || !(k->contexts & (CTX_TEXT | CTX_PATH | CTX_YESNO)))
			continue;
		snprintf(buf, sizeof(buf), "  %-10s %s", k->name, k->help);
		wrap_into(&l, buf, t->cols - 4, 13);
	}
	strv_extend(&l, "");
	wrap_into(&l, "Steps: [x] done  [ ] to do  [!] needs you  [-] not needed  [F] failed", t->cols - 4, 7);
	wrap_into(&l, "Nothing is written to your disks before you say yes on the Plan step.", t->cols - 4, 0);
	return l;
}

static char **glossary_lines(struct tui *t) {
	char **l = NULL;
	for (size_t i = 0; i < tui_n_glossary; i++) {
		strv_extend(&l, tui_glossary[i].term);
		char buf[1024];
		snprintf(buf, sizeof(buf), "  %s", tui_glossary[i].meaning);
		wrap_into(&l, buf, t->cols - 4, 2);
	}
	return l;
}

static const char *question_title(enum rsc_question_kind k) {
	switch (k) {
	case RSC_ASK_PASSPHRASE:
		return "Unlock an encrypted volume";
	case RSC_ASK_CHOOSE_SYSTEM:
		return "Which system?";
	case RSC_ASK_CONFIRM_REPLAY:
		return "Replay the filesystem journal?";
	case RSC_ASK_CONFIRM_PLAN:
		return "Apply the plan?";
	case RSC_ASK_CONFIRM_STEP:
		return "Apply this step?";
	case RSC_ASK_UNFINISHED_JOURNAL:
		return "An earlier repair did not finish";
	default:
		return "Question";
	}
}

/* The dialog box: title, wrapped lines, then an optional field. */
static void draw_dialog(struct tui *t, const char *title, char **lines, const char *field_label, const char *field,
			const char *keys, int *cursor_y, int *cursor_x) {
	int w = t->cols - 4 > 72 ? 72 : t->cols - 4;
	if (w < 20)
		w = t->cols;
	char **wrapped = NULL;
	STRV_FOREACH(l, lines)
		wrap_into(&wrapped, *l, w - 4, 0);
	int n = (int)strv_length(wrapped);
	int extra = (field_label ? 2 : 0) + (keys ? 2 : 0);
	int h = n + 2 + extra;
	int maxh = t->rows - 3;
	if (h > maxh)
		h = maxh;
	int y0 = 1 + (maxh - h) / 2, x0 = (t->cols - w) / 2;
	box_at(t, y0, x0, h, w);
	put(y0, x0 + 2, w - 4, A_BOLD, title);
	/* When it does not fit, the field and keys win over the text. */
	int room = h - 2 - extra;
	for (int i = 0; i < room && i < n; i++)
		put(y0 + 1 + i, x0 + 2, w - 4, A_NORMAL, wrapped[i]);
	int y = y0 + 1 + (room < n ? room : n);
	if (field_label) {
		y++;
		char buf[600];
		int lw = snprintf(buf, sizeof(buf), "%s ", field_label);
		put(y, x0 + 2, w - 4, A_BOLD, buf);
		int fx = x0 + 2 + lw, fw = x0 + w - 2 - fx;
		if (fw < 4) {
			y++;
			fx = x0 + 2;
			fw = w - 4;
		}
		/* Show the end of a long field: that is where typing happens. */
		size_t flen = strlen(field);
		const char *shown = flen > (size_t)(fw - 1) ? field + flen - (fw - 1) : field;
		put_padded(y, fx, fw, A_REVERSE, shown);
		*cursor_y = y;
		*cursor_x = fx + (int)strlen(shown);
		y++;
	} else {
		*cursor_y = y0 + 1;
		*cursor_x = x0 + 2;
	}
	if (keys && y < y0 + h - 1)
		put(y0 + h - 2, x0 + 2, w - 4, attr_of(t, TUI_ATTR_DIM) | A_BOLD, keys);
	strv_free(wrapped);
}

static void draw_question(struct tui *t, int *cy, int *cx) {
	pthread_mutex_lock(&t->m.lock);
	struct rsc_question *q = t->m.question;
	if (!q) {
		pthread_mutex_unlock(&t->m.lock);
		return;
	}
	char **lines = NULL;
	char buf[512];
	if (q->subject) {
		snprintf(buf, sizeof(buf), "%s", q->subject);
		strv_extend(&lines, buf);
	}
	strv_extend(&lines, strempty(q->text));
	if (q->detail)
		strv_extend(&lines, q->detail);
	const char *keys = NULL, *label = NULL;
	char field[256] = "";
	switch (q->kind) {
	case RSC_ASK_PASSPHRASE: {
		if (q->max_attempts) {
			snprintf(buf, sizeof(buf), "Try %u of %u.", q->attempt, q->max_attempts);
			strv_extend(&lines, buf);
		}
		if (q->kdf_memory_kib >= 256 * 1024) {
			snprintf(buf, sizeof(buf), "This volume uses Argon2 with %" PRIu64 " MiB of memory: each try takes a while.",
				 q->kdf_memory_kib / 1024);
			strv_extend(&lines, buf);
		}
		snprintf(buf, sizeof(buf), "Keyboard layout in use: %s%s%s.", t->keymap, t->keymap_source ? " " : "",
			 strempty(t->keymap_source));
		strv_extend(&lines, buf);
		label = "Passphrase:";
		/* Drawn from the locked buffer itself; no copy is kept. */
		size_t n = q->secret_len < sizeof(field) - 1 ? q->secret_len : sizeof(field) - 1;
		if (t->reveal && q->secret)
			memcpy(field, q->secret, n);
		else
			memset(field, '*', n);
		field[n] = 0;
		keys = "Enter unlock  Esc skip  ^R reveal  ^K key file  ^X cancel";
		break;
	}
	case RSC_ASK_CHOOSE_SYSTEM:
		for (size_t i = 0; i < q->n_choices; i++) {
			snprintf(buf, sizeof(buf), "%c %zu. %s", (int)i == t->choice ? '>' : ' ', i + 1, q->choices[i]);
			strv_extend(&lines, buf);
		}
		keys = "Up/Down choose  Enter use it  Esc cancel";
		break;
	case RSC_ASK_CONFIRM_PLAN:
		strv_extend(&lines, "Nothing has been written yet. Every file replaced is saved to a journal first, so the repair can be undone.");
		keys = "y/Enter yes, apply  n/Esc no";
		break;
	case RSC_ASK_CONFIRM_STEP:
		keys = "y/Enter yes  s skip  x/Esc cancel";
		break;
	case RSC_ASK_UNFINISHED_JOURNAL:
		keys = "u undo it  n leave it  x/Esc cancel";
		break;
	default:
		keys = "y/Enter yes  n/Esc no";
		break;
	}
	pthread_mutex_unlock(&t->m.lock);
	draw_dialog(t, question_title(q->kind), lines, label, field, keys, cy, cx);
	explicit_bzero(field, sizeof(field));
	strv_free(lines);
}

static void draw_overlay(struct tui *t, int *cy, int *cx) {
	char **lines = NULL;
	switch (t->overlay) {
	case OVERLAY_NONE:
		return;
	case OVERLAY_HELP:
		lines = help_lines(t);
		draw_text_overlay(t, " Help (Esc closes) ", lines, cy, cx);
		break;
	case OVERLAY_GLOSSARY:
		lines = glossary_lines(t);
		draw_text_overlay(t, " Glossary (Esc closes) ", lines, cy, cx);
		break;
	case OVERLAY_QUESTION:
		draw_question(t, cy, cx);
		break;
	case OVERLAY_INPUT: {
		static const char *const what[] = { [INPUT_REPORT] = "Where to save the report (a file or a directory):",
						    [INPUT_TRANSCRIPT] = "Where to save the session as a shell transcript:",
						    [INPUT_KEY_FILE] = "The key file that opens this volume:" };
		strv_extend(&lines, what[t->input_purpose]);
		draw_dialog(t, t->input_purpose == INPUT_KEY_FILE ? "Key file" : "Save", lines, "Path:", t->input,
			    t->input_purpose == INPUT_KEY_FILE ? "Enter use it  Esc back to the passphrase" : "Enter save  Esc cancel",
			    cy, cx);
		break;
	}
	case OVERLAY_CONFIRM: {
		static const char *const what[] = {
			[CONFIRM_QUIT] = "Quit the wizard? Everything it mounted, unlocked or activated is released first.",
			[CONFIRM_REBOOT] = "Release everything and restart the computer?",
			[CONFIRM_POWEROFF] = "Release everything and power the computer off?",
			[CONFIRM_UNDO] = "Put back every file the repair changed, from its journal?",
		};
		strv_extend(&lines, what[t->confirm_purpose]);
		draw_dialog(t, "Are you sure?", lines, NULL, NULL, "y/Enter yes  n/Esc no", cy, cx);
		break;
	}
	case OVERLAY_CHOOSE: {
		strv_extend(&lines, t->choose_purpose == CHOOSE_KEYMAP ? "Keyboard layouts on this medium:" : "Systems:");
		int n = (int)strv_length(t->choices);
		int room = t->rows - 10;
		if (room < 1)
			room = 1;
		int first = t->choice >= room ? t->choice - room + 1 : 0;
		for (int i = first; i < n && i < first + room; i++) {
			char buf[256];
			snprintf(buf, sizeof(buf), "%c %s", i == t->choice ? '>' : ' ', t->choices[i]);
			strv_extend(&lines, buf);
		}
		draw_dialog(t, t->choose_purpose == CHOOSE_KEYMAP ? "Keyboard layout" : "Choose", lines, NULL, NULL,
			    "Up/Down move  Enter choose  Esc cancel", cy, cx);
		/* The cursor on the chosen line. */
		break;
	}
	}
	strv_free(lines);
}

static void draw(struct tui *t) {
	getmaxyx(stdscr, t->rows, t->cols);
	t->session_ours = tui_session_ours(t);
	if (t->session_ours)
		for (int i = 0; i < _SCREEN_MAX; i++)
			t->state_seen[i] = tui_screens[i].state(t);
	else
		t->state_seen[SCREEN_WELCOME] = tui_screens[SCREEN_WELCOME].state(t);
	/* The library's last message was about another screen. */
	if (t->screen != t->info_screen)
		tui_clear_info(t);
	/* ncurses compares this with what the terminal shows and sends only
	 * the difference: a progress tick costs its own line on a serial
	 * console, not a repaint. */
	erase();
	int cursor_y = -1, cursor_x = 0;
	if (t->cols < MIN_COLS || t->rows < MIN_ROWS) {
		char buf[128];
		snprintf(buf, sizeof(buf), "Terminal too small (%dx%d, need %dx%d). Enlarge it, or press q to quit.", t->cols,
			 t->rows, MIN_COLS, MIN_ROWS);
		for (int y = 0, o = 0; y < t->rows && o < (int)strlen(buf); y++) {
			put(y, 0, t->cols, A_NORMAL, buf + o);
			o += t->cols > 0 ? t->cols : 1;
		}
		move(0, 0);
		wnoutrefresh(stdscr);
		doupdate();
		return;
	}
	draw_title(t);
	int body_y = 1, body_h = t->rows - 3, body_x = 0;
	if (has_sidebar(t)) {
		draw_sidebar(t, body_h);
		body_x = SIDEBAR_WIDTH;
	}
	int body_w = t->cols - body_x - (body_x ? 1 : 0);
	if (body_x)
		body_x++;
	int main_h = body_h, teach_h = 0;
	if (t->explain) {
		if (body_h >= 14) {
			teach_h = body_h * 2 / 5;
			main_h = body_h - teach_h;
		} else {
			teach_h = body_h;
			main_h = 0;
		}
	}
	clear_lines(t);
	t->width = body_w - 1;
	void (*build)(struct tui *) = t->session_ours || tui_screens[t->screen].live ? tui_screens[t->screen].build : tui_build_busy;
	build(t);
	if (t->focus[t->screen] >= t->n_items && t->n_items > 0) {
		t->focus[t->screen] = t->n_items - 1;
		clear_lines(t);
		build(t);
	}
	if (main_h > 0)
		draw_lines(t, body_y, body_x, main_h, body_w, &t->scroll[t->screen], &cursor_y);
	if (cursor_y >= 0)
		cursor_x = body_x;
	if (teach_h > 0)
		draw_teaching(t, body_y + main_h, body_x, teach_h, body_w);
	draw_info(t);
	draw_footer(t);
	if (t->overlay != OVERLAY_NONE) {
		int oy = -1, ox = 0;
		draw_overlay(t, &oy, &ox);
		if (oy >= 0) {
			cursor_y = oy;
			cursor_x = ox;
		}
	}
	/* The hardware cursor on the focused item: screen readers follow it. */
	if (cursor_y < 0) {
		cursor_y = body_y;
		cursor_x = body_x;
	}
	move(cursor_y, cursor_x);
	wnoutrefresh(stdscr);
	doupdate();
}

/* ---- terminal modes ---- */

static bool serial_line(void) {
	const char *tty = ttyname(STDIN_FILENO);
	return tty && (strncmp(tty, "/dev/ttyS", 9) == 0 || strncmp(tty, "/dev/ttyAMA", 11) == 0 ||
		       strncmp(tty, "/dev/ttyUSB", 11) == 0 || strncmp(tty, "/dev/hvc", 8) == 0);
}

static bool basic_terminal(void) {
	const char *term = getenv("TERM");
	if (!term || !*term)
		return true;
	static const char *const plain[] = { "vt100", "vt102", "vt220", "dumb", "ansi" };
	for (size_t i = 0; i < ELEMENTSOF(plain); i++)
		if (strncmp(term, plain[i], strlen(plain[i])) == 0)
			return true;
	return serial_line();
}

static void set_mode(struct tui *t, bool basic) {
	t->basic = basic;
	const char *nc = getenv("NO_COLOR");
	t->colour = !basic && has_colors() && !(nc && *nc);
	if (t->colour) {
		start_color();
		use_default_colors();
		init_pair(1, COLOR_CYAN, -1);
		init_pair(2, COLOR_RED, -1);
		init_pair(3, COLOR_YELLOW, -1);
		init_pair(4, COLOR_GREEN, -1);
		init_pair(5, COLOR_BLACK, COLOR_CYAN);
	}
}

/* ---- headless driver ---- */

struct script {
	FILE *f;
	const char *dump_dir;
	char *pending;          /* rest of a line of keys not yet sent */
	char line[1024];
	size_t typed;           /* position in a "type" command's text */
	bool typing;
	char text[1024];
};

static const struct {
	const char *name;
	int key;
	bool function;
} key_names[] = {
	{ "Enter", '\n', false },      { "Esc", 27, false },         { "Tab", '\t', false },
	{ "BTab", KEY_BTAB, true },    { "Up", KEY_UP, true },       { "Down", KEY_DOWN, true },
	{ "Left", KEY_LEFT, true },    { "Right", KEY_RIGHT, true }, { "PgUp", KEY_PPAGE, true },
	{ "PgDn", KEY_NPAGE, true },   { "Home", KEY_HOME, true },   { "End", KEY_END, true },
	{ "Backspace", KEY_BACKSPACE, true }, { "Space", ' ', false },
};

static int parse_key(const char *tok, int *ret_key, bool *ret_function) {
	for (size_t i = 0; i < ELEMENTSOF(key_names); i++)
		if (streq(tok, key_names[i].name)) {
			*ret_key = key_names[i].key;
			*ret_function = key_names[i].function;
			return 0;
		}
	if (tok[0] == 'F' && tok[1] >= '1' && tok[1] <= '9') {
		*ret_key = KEY_F(atoi(tok + 1));
		*ret_function = true;
		return 0;
	}
	if (strncmp(tok, "C-", 2) == 0 && tok[2] && !tok[3]) {
		*ret_key = tok[2] & 0x1f;
		*ret_function = false;
		return 0;
	}
	if (tok[0] && !tok[1]) {
		*ret_key = (unsigned char)tok[0];
		*ret_function = false;
		return 0;
	}
	return -EINVAL;
}

/* Characters of the screen as UTF-8: line-drawing cells (stored as
 * alternate-charset letters) become their Unicode box characters. */
static void dump_cell(FILE *f, const cchar_t *c) {
	wchar_t wch[CCHARW_MAX + 1] = { 0 };
	attr_t attrs;
	short pair;
	if (getcchar(c, wch, &attrs, &pair, NULL) == ERR)
		return;
	wchar_t w = wch[0];
	if (attrs & A_ALTCHARSET) {
		static const struct {
			char acs;
			wchar_t uni;
		} map[] = { { 'q', 0x2500 }, { 'x', 0x2502 }, { 'l', 0x250c }, { 'k', 0x2510 }, { 'm', 0x2514 },
			    { 'j', 0x2518 }, { 't', 0x251c }, { 'u', 0x2524 }, { 'w', 0x252c }, { 'v', 0x2534 },
			    { 'n', 0x253c }, { 'a', 0x2592 } };
		for (size_t i = 0; i < ELEMENTSOF(map); i++)
			if (w == (wchar_t)map[i].acs)
				w = map[i].uni;
	}
	if (w == 0)
		w = ' ';
	if (w < 0x80)
		fputc((int)w, f);
	else if (w < 0x800)
		fprintf(f, "%c%c", 0xc0 | (int)(w >> 6), 0x80 | (int)(w & 0x3f));
	else
		fprintf(f, "%c%c%c", 0xe0 | (int)(w >> 12), 0x80 | (int)((w >> 6) & 0x3f), 0x80 | (int)(w & 0x3f));
}

static int dump_screen(struct tui *t, const char *dir, const char *name) {
	_cleanup_free_ char *path = NULL, *tmp = NULL;
	if (asprintf(&path, "%s/%s.txt", dir, name) < 0 || asprintf(&tmp, "%s.tmp", path) < 0)
		return -ENOMEM;
	FILE *f = fopen(tmp, "we");
	if (!f)
		return negative_errno();
	int cy, cx;
	getyx(stdscr, cy, cx);
	for (int y = 0; y < t->rows; y++) {
		/* Trailing blanks are not part of the golden text. */
		char *line = NULL;
		size_t len = 0;
		FILE *lf = open_memstream(&line, &len);
		if (!lf) {
			fclose(f);
			return -ENOMEM;
		}
		for (int x = 0; x < t->cols; x++) {
			cchar_t c;
			if (mvwin_wch(stdscr, y, x, &c) == ERR)
				break;
			dump_cell(lf, &c);
		}
		fclose(lf);
		while (len > 0 && line[len - 1] == ' ')
			line[--len] = 0;
		fprintf(f, "%s\n", line);
		free(line);
	}
	fprintf(f, "-- cursor %d,%d\n", cy, cx);
	move(cy, cx);
	if (fclose(f) != 0 || rename(tmp, path) < 0)
		return negative_errno();
	return 0;
}

/* The next key of the script, running its other commands on the way.
 * Keys wait while the worker runs and asks nothing, so a script reads
 * like what a person does and its dumps are the same on every run.
 * Returns 1 with a key, 0 at the end of the script. */
static int script_next(struct tui *t, struct script *s, int *ret_key, bool *ret_function) {
	for (;;) {
		pthread_mutex_lock(&t->m.lock);
		/* Also while an answer was given and the worker has not taken it,
		 * and while a question came or went since the loop last matched
		 * the overlay to it: a job that asks twice (a second passphrase
		 * try) would otherwise get the next key on the bare screen. */
		bool key_file_entry = t->overlay == OVERLAY_INPUT && t->input_purpose == INPUT_KEY_FILE;
		bool unsynced = (t->m.question != NULL) != (t->overlay == OVERLAY_QUESTION || key_file_entry);
		bool waiting = (t->m.job != JOB_NONE && !t->m.question) || t->m.has_answer || unsynced;
		bool pending_done = t->m.job_done != JOB_NONE;
		pthread_mutex_unlock(&t->m.lock);
		if (waiting || pending_done)
			return -EAGAIN;
		if (s->typing) {
			if (s->text[s->typed]) {
				*ret_key = (unsigned char)s->text[s->typed++];
				*ret_function = false;
				return 1;
			}
			s->typing = false;
		}
		char *tok = NULL;
		while (s->pending && !tok) {
			tok = strsep(&s->pending, " \t");
			if (tok && !*tok)
				tok = NULL;
		}
		if (!tok) {
			if (!fgets(s->line, sizeof(s->line), s->f))
				return 0;
			s->line[strcspn(s->line, "\n")] = 0;
			char *p = s->line;
			while (*p == ' ' || *p == '\t')
				p++;
			if (*p == '#' || !*p)
				continue;
			if (strncmp(p, "dump ", 5) == 0) {
				draw(t);
				int r = dump_screen(t, s->dump_dir ? s->dump_dir : ".", p + 5);
				if (r < 0)
					fprintf(stderr, "rescue tui: cannot dump %s: %s\n", p + 5, strerror(-r));
				continue;
			}
			if (strncmp(p, "type ", 5) == 0) {
				snprintf(s->text, sizeof(s->text), "%s", p + 5);
				s->typed = 0;
				s->typing = true;
				continue;
			}
			if (strncmp(p, "resize ", 7) == 0) {
				int c, r;
				if (sscanf(p + 7, "%dx%d", &c, &r) == 2) {
					resizeterm(r, c);
					draw(t);
				}
				continue;
			}
			if (strncmp(p, "ask ", 4) == 0) {
				/* "retry": a passphrase that is wrong once, then asked again. */
				static const char *const kinds[] = { "passphrase", "choose", "replay", "plan", "retry" };
				for (size_t i = 0; i < ELEMENTSOF(kinds); i++)
					if (streq(p + 4, kinds[i])) {
						t->m.sample_retry = streq(kinds[i], "retry");
						t->m.sample_kind = t->m.sample_retry ? RSC_ASK_PASSPHRASE : (int)i;
						tui_start_job(t, JOB_SAMPLE_QUESTION);
					}
				/* Let the worker reach its question before the next key. */
				for (int i = 0; i < 500; i++) {
					pthread_mutex_lock(&t->m.lock);
					bool asked = t->m.question != NULL || t->m.job == JOB_NONE;
					pthread_mutex_unlock(&t->m.lock);
					if (asked)
						break;
					usleep(10 * 1000);
				}
				return -EAGAIN;
			}
			if (streq(p, "wait"))
				continue;
			s->pending = p;
			continue;
		}
		int r = parse_key(tok, ret_key, ret_function);
		if (r < 0) {
			fprintf(stderr, "rescue tui: unknown key '%s' in the script\n", tok);
			continue;
		}
		return 1;
	}
}

/* ---- the loop ---- */

/* Both return whether they changed what the screen shows: the model's
 * generation may have been drawn already, so the caller draws again. */
static bool sync_overlay_with_question(struct tui *t) {
	pthread_mutex_lock(&t->m.lock);
	struct rsc_question *q = t->m.question;
	pthread_mutex_unlock(&t->m.lock);
	bool key_file_entry = t->overlay == OVERLAY_INPUT && t->input_purpose == INPUT_KEY_FILE;
	if (q && t->overlay != OVERLAY_QUESTION && !key_file_entry) {
		t->overlay = OVERLAY_QUESTION;
		t->reveal = false;
		t->choice = 0;
		if (q->kind == RSC_ASK_PASSPHRASE)
			t->screen = SCREEN_UNLOCK;
		return true;
	}
	if (!q && (t->overlay == OVERLAY_QUESTION || key_file_entry)) {
		t->overlay = OVERLAY_NONE;
		return true;
	}
	return false;
}

static bool check_job(struct tui *t) {
	pthread_mutex_lock(&t->m.lock);
	enum tui_job job = t->m.job_done;
	int r = t->m.job_result;
	t->m.job_done = JOB_NONE;
	pthread_mutex_unlock(&t->m.lock);
	if (job == JOB_NONE)
		return false;
	t->session_ours = tui_session_ours(t);
	tui_job_finished(t, job, r);
	return true;
}

int tui_run(rsc_context *ctx, const struct rsc_session_options *so, const struct tui_options *o) {
	struct tui *t = calloc(1, sizeof(*t));
	if (!t)
		return -ENOMEM;
	t->ctx = ctx;
	t->opts = *so;
	t->headless = o->headless;
	t->explain = o->explain;
	tui_model_init(&t->m, ctx);
	int r = rsc_session_new(ctx, so, &t->m.session);
	if (r < 0) {
		tui_model_done(&t->m);
		free(t);
		return r;
	}
	tui_detect_console(t);

	SCREEN *term = NULL;
	FILE *out = NULL, *in = NULL;
	struct script script = { 0 };
	if (o->headless) {
		/* A terminal of a fixed size that shows nothing: the dumps are
		 * the only output. */
		if (!setlocale(LC_ALL, "C.UTF-8"))
			setlocale(LC_ALL, "");
		char rows[16], cols[16];
		snprintf(rows, sizeof(rows), "%d", o->rows > 0 ? o->rows : 24);
		snprintf(cols, sizeof(cols), "%d", o->cols > 0 ? o->cols : 80);
		setenv("LINES", rows, 1);
		setenv("COLUMNS", cols, 1);
		out = fopen("/dev/null", "we");
		in = fopen("/dev/null", "re");
		script.f = o->keys_file ? fopen(o->keys_file, "re") : NULL;
		script.dump_dir = o->dump_dir;
		if (!out || !in || !script.f) {
			r = -errno;
			goto out;
		}
		term = newterm(o->basic == 1 ? "vt100" : "linux", out, in);
	} else {
		setlocale(LC_ALL, "");
		term = newterm(NULL, stdout, stdin);
	}
	if (!term) {
		r = -ENOTTY;
		goto out;
	}
	set_term(term);
	cbreak();
	noecho();
	keypad(stdscr, TRUE);
	set_escdelay(100);
	curs_set(1);
	set_mode(t, o->basic == -1 ? basic_terminal() || getenv("NO_COLOR") : o->basic == 1);

	struct sigaction sa = { .sa_handler = on_signal };
	sigemptyset(&sa.sa_mask);
	if (!o->headless) {
		sigaction(SIGINT, &sa, NULL);
		sigaction(SIGTERM, &sa, NULL);
		sigaction(SIGHUP, &sa, NULL);
		/* Not in headless runs: the sanitizers report those signals. */
		struct sigaction fatal = { .sa_handler = on_fatal_signal, .sa_flags = SA_RESETHAND };
		sigemptyset(&fatal.sa_mask);
		sigaction(SIGSEGV, &fatal, NULL);
		sigaction(SIGBUS, &fatal, NULL);
		sigaction(SIGABRT, &fatal, NULL);
		sigaction(SIGFPE, &fatal, NULL);
		timeout(100);
	}

	tui_start_job(t, JOB_DISCOVER);
	bool quit_requested = false, teardown_started = false;
	draw(t);
	t->drawn_generation = t->m.generation;
	/* The rescue medium holds its device probing back until the first
	 * screen is up (a small VM has one CPU: the person sees the screen
	 * sooner, and the disks are wanted only later): tell it. */
	const char *drawn = getenv("RESCUE_DRAWN");
	if (drawn && *drawn && !o->headless) {
		int fd = open(drawn, O_WRONLY | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0644);
		if (fd >= 0)
			close(fd);
	}
	while (!t->quit) {
		if (got_signal) {
			int sig = got_signal;
			got_signal = 0;
			tui_cancel_work(t);
			if (sig != SIGINT)
				quit_requested = true;
			else
				tui_notice(t, "Cancelling: what the running step did is being undone.");
		}
		bool changed = check_job(t);
		changed = sync_overlay_with_question(t) || changed;
		if (t->quit_requested_flag) {
			t->quit_requested_flag = false;
			quit_requested = true;
		}
		if (quit_requested && !tui_busy(t)) {
			if (!teardown_started && !t->headless) {
				teardown_started = true;
				tui_start_job(t, JOB_TEARDOWN);
			} else
				break;
		}
		pthread_mutex_lock(&t->m.lock);
		unsigned gen = t->m.generation;
		bool all = t->m.redraw_all;
		t->m.redraw_all = false;
		pthread_mutex_unlock(&t->m.lock);
		if (all)
			clearok(curscr, TRUE);
		if (gen != t->drawn_generation || changed) {
			t->drawn_generation = gen;
			draw(t);
		}

		int key = 0;
		bool function = false;
		if (o->headless) {
			int k = script_next(t, &script, &key, &function);
			if (k == -EAGAIN) {
				usleep(10 * 1000);
				continue;
			}
			if (k == 0)
				break;
		} else {
			wint_t wk;
			int k = get_wch(&wk);
			if (k == ERR)
				continue;
			key = (int)wk;
			function = k == KEY_CODE_YES;
		}
		if (function && key == KEY_RESIZE) {
			draw(t);
			continue;
		}
		int flags = tui_dispatch(t, key, function);
		if (flags & KEY_QUIT)
			quit_requested = true;
		if (flags & (KEY_REDRAW | KEY_HANDLED))
			draw(t);
	}
	r = 0;
out:
	if (term) {
		endwin();
		delscreen(term);
	}
	if (out)
		fclose(out);
	if (in)
		fclose(in);
	if (script.f)
		fclose(script.f);
	tui_model_done(&t->m);
	rsc_session_free(t->m.session);
	int power = t->power;
	bool headless = t->headless;
	clear_lines(t);
	free(t->lines);
	strv_free(t->teach_seen);
	strv_free(t->choices);
	free(t->chosen);
	free(t);
	/* Restart or power off only now that everything was released; on the
	 * rescue medium nothing else is left to stop. */
	if (power && !headless && r >= 0) {
		sync();
		if (reboot(power == CONFIRM_REBOOT ? RB_AUTOBOOT : RB_POWER_OFF) < 0)
			r = -errno;
	}
	return r;
}
