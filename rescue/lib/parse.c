/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Parsers for fstab, crypttab and KEY=VALUE files of a target system.
 *
 * fstab is parsed here rather than by libmount: the text was read through
 * the in-root opener (so a hostile symlink cannot redirect it), and we want
 * every rejected line named with its number and reason, then skipped.
 */
#include <ctype.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"
#include "rescue/parse.h"
#include "strv.h"
#include "utf8.h"

/* Splits one line into at most max whitespace-separated fields, in place.
 * Returns the number of fields. */
static size_t split_fields(char *line, char **fields, size_t max) {
	size_t n = 0;
	char *p = line;
	while (*p && n < max) {
		while (*p == ' ' || *p == '\t')
			p++;
		if (!*p)
			break;
		fields[n++] = p;
		while (*p && *p != ' ' && *p != '\t')
			p++;
		if (*p)
			*p++ = 0;
	}
	/* Anything beyond max fields: report it as one extra field. */
	while (*p == ' ' || *p == '\t')
		p++;
	if (*p && n == max)
		return max + 1;
	return n;
}

/* fstab escapes blanks in fields as octal: \040 for space, \011 for tab. */
static char *fstab_unescape(const char *s) {
	char *r = malloc(strlen(s) + 1), *o = r;
	if (!r)
		return NULL;
	while (*s) {
		if (s[0] == '\\' && s[1] >= '0' && s[1] <= '3' && s[2] >= '0' && s[2] <= '7' && s[3] >= '0' &&
		    s[3] <= '7') {
			char c = (char)(((s[1] - '0') << 6) | ((s[2] - '0') << 3) | (s[3] - '0'));
			*o++ = c ? c : '?';
			s += 4;
		} else
			*o++ = *s++;
	}
	*o = 0;
	return r;
}

/* Calls fn for each line (without its newline), with its 1-based number.
 * Comment and blank lines are skipped. A NUL inside the text ends it. */
static int foreach_line(const char *text, int (*fn)(char *line, unsigned no, void *userdata), void *userdata) {
	unsigned no = 0;
	const char *p = text;
	while (*p) {
		size_t n = strcspn(p, "\n");
		no++;
		_cleanup_free_ char *line = strndup(p, n);
		if (!line)
			return -ENOMEM;
		p += n;
		if (*p == '\n')
			p++;
		char *s = line;
		while (*s == ' ' || *s == '\t' || *s == '\r')
			s++;
		size_t l = strlen(s);
		while (l > 0 && (s[l - 1] == '\r' || s[l - 1] == ' ' || s[l - 1] == '\t'))
			s[--l] = 0;
		if (!*s || *s == '#')
			continue;
		int r = fn(s, no, userdata);
		if (r < 0)
			return r;
		if (r > 0) /* the callback has seen enough */
			break;
	}
	return 0;
}


/* A file of garbage would otherwise bury everything else under one
 * warning per line: the first few are shown, the rest counted. */
#define BAD_LINES_SHOWN 10

_printf_(5, 6) static void bad_line(rsc_context *ctx, const char *filename, unsigned no, unsigned *bad,
				    const char *fmt, ...) {
	(*bad)++;
	int level = *bad <= BAD_LINES_SHOWN ? RSC_LOG_WARNING : RSC_LOG_DEBUG;
	if (level > rsc_context_get_log_level(ctx))
		return;
	va_list ap;
	va_start(ap, fmt);
	_cleanup_free_ char *msg = NULL;
	int r = vasprintf(&msg, fmt, ap);
	va_end(ap);
	rsc_log_full(ctx, level, 0, "%s:%u: %s", filename, no, r < 0 ? "unparseable line" : msg);
}

static void bad_lines_summary(rsc_context *ctx, const char *filename, unsigned bad, const char *what) {
	if (bad > BAD_LINES_SHOWN)
		log_warning(ctx, "%s: %u bad lines in all (%u more not shown): is this really %s?", filename,
			    bad, bad - BAD_LINES_SHOWN, what);
}

struct fstab_state {
	rsc_context *ctx;
	const char *filename;
	struct rsc_fstab_entry *entries;
	size_t n, cap;
	unsigned bad;
};

void rsc_fstab_free(struct rsc_fstab_entry *entries, size_t n) {
	for (size_t i = 0; i < n; i++) {
		free(entries[i].spec);
		free(entries[i].target);
		free(entries[i].fstype);
		free(entries[i].options);
	}
	free(entries);
}

static int fstab_line(char *line, unsigned no, void *userdata) {
	struct fstab_state *st = userdata;
	char *f[6] = { 0 };
	/* Checked before splitting, which cuts the line into fields. */
	if (!utf8_text_valid(line, "\t")) {
		bad_line(st->ctx, st->filename, no, &st->bad,
			 "not an fstab entry (control characters or invalid UTF-8), ignored");
		return 0;
	}
	size_t n = split_fields(line, f, 6);
	if (n < 3 || n > 6) {
		bad_line(st->ctx, st->filename, no, &st->bad, "not an fstab entry (%s), ignored",
			 n < 3 ? "fewer than 3 fields" : "more than 6 fields");
		return 0;
	}
	int passno = 0;
	if (n == 6) {
		char *end;
		long v = strtol(f[5], &end, 10);
		if (*end || v < 0 || v > 9) {
			bad_line(st->ctx, st->filename, no, &st->bad, "bad pass number '%s', taken as 0", f[5]);
			v = 0;
		}
		passno = (int)v;
	}
	if (st->n == st->cap) {
		size_t ncap = st->cap ? st->cap * 2 : 16;
		struct rsc_fstab_entry *m = realloc(st->entries, ncap * sizeof(*m));
		if (!m)
			return -ENOMEM;
		st->entries = m;
		st->cap = ncap;
	}
	struct rsc_fstab_entry *m = st->entries;
	struct rsc_fstab_entry *e = &m[st->n];
	*e = (struct rsc_fstab_entry){ .passno = passno, .line = no };
	e->spec = fstab_unescape(f[0]);
	e->target = fstab_unescape(f[1]);
	e->fstype = strdup(f[2]);
	e->options = strdup(n >= 4 ? f[3] : "defaults");
	if (!e->spec || !e->target || !e->fstype || !e->options) {
		free(e->spec), free(e->target), free(e->fstype), free(e->options);
		return -ENOMEM;
	}
	st->n++;
	return 0;
}

int rsc_fstab_parse(rsc_context *ctx, const char *text, const char *filename,
		    struct rsc_fstab_entry **ret, size_t *ret_n) {
	struct fstab_state st = { .ctx = ctx, .filename = filename };
	int r = foreach_line(text, fstab_line, &st);
	bad_lines_summary(ctx, filename, st.bad, "an fstab");
	if (r < 0) {
		rsc_fstab_free(st.entries, st.n);
		return r;
	}
	*ret = st.entries;
	*ret_n = st.n;
	return 0;
}

struct crypttab_state {
	rsc_context *ctx;
	const char *filename;
	struct rsc_crypttab_entry *entries;
	size_t n, cap;
	unsigned bad;
};

void rsc_crypttab_free(struct rsc_crypttab_entry *entries, size_t n) {
	for (size_t i = 0; i < n; i++) {
		free(entries[i].name);
		free(entries[i].device);
		free(entries[i].keyfile);
		free(entries[i].options);
	}
	free(entries);
}

static int crypttab_line(char *line, unsigned no, void *userdata) {
	struct crypttab_state *st = userdata;
	char *f[4] = { 0 };
	if (!utf8_text_valid(line, "\t")) {
		bad_line(st->ctx, st->filename, no, &st->bad,
			 "not a crypttab entry (control characters or invalid UTF-8), ignored");
		return 0;
	}
	size_t n = split_fields(line, f, 4);
	if (n < 2 || n > 4 || strchr(f[0], '/')) {
		bad_line(st->ctx, st->filename, no, &st->bad, "not a crypttab entry (%s), ignored",
			 n < 2 ? "fewer than 2 fields" : n > 4 ? "more than 4 fields" : "'/' in the volume name");
		return 0;
	}
	if (st->n == st->cap) {
		size_t ncap = st->cap ? st->cap * 2 : 16;
		struct rsc_crypttab_entry *m = realloc(st->entries, ncap * sizeof(*m));
		if (!m)
			return -ENOMEM;
		st->entries = m;
		st->cap = ncap;
	}
	struct rsc_crypttab_entry *m = st->entries;
	struct rsc_crypttab_entry *e = &m[st->n];
	*e = (struct rsc_crypttab_entry){ .line = no };
	bool has_key = n >= 3 && !streq(f[2], "none") && !streq(f[2], "-");
	e->name = strdup(f[0]);
	e->device = strdup(f[1]);
	e->keyfile = has_key ? strdup(f[2]) : NULL;
	e->options = n >= 4 ? strdup(f[3]) : NULL;
	if (!e->name || !e->device || (has_key && !e->keyfile) || (n >= 4 && !e->options)) {
		free(e->name), free(e->device), free(e->keyfile), free(e->options);
		return -ENOMEM;
	}
	st->n++;
	return 0;
}

int rsc_crypttab_parse(rsc_context *ctx, const char *text, const char *filename,
		       struct rsc_crypttab_entry **ret, size_t *ret_n) {
	struct crypttab_state st = { .ctx = ctx, .filename = filename };
	int r = foreach_line(text, crypttab_line, &st);
	bad_lines_summary(ctx, filename, st.bad, "a crypttab");
	if (r < 0) {
		rsc_crypttab_free(st.entries, st.n);
		return r;
	}
	*ret = st.entries;
	*ret_n = st.n;
	return 0;
}

/* ---- KEY=VALUE files ---- */

/* Limits that real files never reach (os-release, /etc/default/grub and
 * /etc/selinux/config hold a few dozen short assignments), so a hostile
 * target cannot make the scan run for hours or exhaust the memory of a
 * rescue machine: A=$A$A repeated doubles the value at every line. */
#define ENV_MAX_LINES 10000
#define ENV_MAX_VALUE (64u * 1024)
#define ENV_MAX_EXPANSIONS 4096

struct env_state {
	rsc_context *ctx;
	const char *filename;
	char **env;
	size_t n_env, cap_env;
	unsigned bad;
	unsigned lines;
	unsigned expansions; /* $VAR references looked up so far */
	/* Shell assignments (rsc_assignments_parse): KEY+=value appends, and
	 * every assignment is recorded with its line. */
	bool shell;
	struct rsc_assignment **assignments;
	size_t *n_assignments;
};

const char *rsc_env_get(char *const *env, const char *key) {
	size_t kl = strlen(key);
	const char *found = NULL;
	STRV_FOREACH(e, env)
		if (strncmp(*e, key, kl) == 0 && (*e)[kl] == '=')
			found = *e + kl + 1;
	return found;
}

/* Appends c to the value; -E2BIG past ENV_MAX_VALUE. */
static int buf_putc(char **buf, size_t *len, size_t *cap, char c) {
	if (*len >= ENV_MAX_VALUE)
		return -E2BIG;
	if (*len + 2 > *cap) {
		size_t ncap = *cap ? *cap * 2 : 64;
		char *n = realloc(*buf, ncap);
		if (!n)
			return -ENOMEM;
		*buf = n;
		*cap = ncap;
	}
	(*buf)[(*len)++] = c;
	(*buf)[*len] = 0;
	return 0;
}

/* Expands $NAME and ${NAME} from earlier assignments of the same file,
 * which is how /etc/default/grub appends to its own variables. Command
 * substitution is never run: the text stays as it is. -E2BIG when the
 * value grows too long or the file makes too many references. */
static int expand_var(struct env_state *st, const char **pp, char **buf, size_t *len, size_t *cap) {
	const char *p = *pp + 1;
	bool braced = *p == '{';
	if (braced)
		p++;
	const char *s = p;
	while (isalnum((unsigned char)*p) || *p == '_')
		p++;
	if (p == s || (braced && *p != '}')) {
		(*pp)++;
		return buf_putc(buf, len, cap, '$');
	}
	if (++st->expansions > ENV_MAX_EXPANSIONS)
		return -E2BIG;
	_cleanup_free_ char *name = strndup(s, (size_t)(p - s));
	if (!name)
		return -ENOMEM;
	const char *v = rsc_env_get(st->env, name);
	for (; v && *v; v++) {
		int r = buf_putc(buf, len, cap, *v);
		if (r < 0)
			return r;
	}
	*pp = braced ? p + 1 : p;
	return 0;
}

/* The end (one past the closing ` or ')') of the command substitution
 * starting at p, or NULL when the line ends first. */
static const char *substitution_end(const char *p) {
	if (*p == '`') {
		for (p++; *p; p++)
			if (*p == '\\' && p[1])
				p++;
			else if (*p == '`')
				return p + 1;
		return NULL;
	}
	unsigned depth = 0;
	for (p++; *p; p++)
		if (*p == '\\' && p[1])
			p++;
		else if (*p == '(')
			depth++;
		else if (*p == ')' && --depth == 0)
			return p + 1;
	return NULL;
}

/* Appends kv (taking it) to the vector, which stays NULL-terminated;
 * grows geometrically, as files of many lines would otherwise cost a
 * time quadratic in their length. */
static int env_push(struct env_state *st, char *kv) {
	if (st->n_env + 2 > st->cap_env) {
		size_t ncap = st->cap_env ? st->cap_env * 2 : 16;
		char **m = realloc(st->env, ncap * sizeof(char *));
		if (!m)
			return -ENOMEM;
		st->env = m;
		st->cap_env = ncap;
	}
	st->env[st->n_env++] = kv;
	st->env[st->n_env] = NULL;
	return 0;
}

void rsc_assignments_free(struct rsc_assignment *a, size_t n) {
	for (size_t i = 0; i < n; i++) {
		free(a[i].key);
		free(a[i].value);
		free(a[i].text);
		free(a[i].file);
	}
	free(a);
}

static int assignment_push(struct env_state *st, const char *key, const char *value, const char *text, bool append,
			   unsigned line) {
	/* Callers chain files into one array of unknown capacity: grow it
	 * by doubling from what it holds (powers of two). */
	size_t n = *st->n_assignments;
	if ((n & (n - 1)) == 0) {
		struct rsc_assignment *m = reallocarray(*st->assignments, n ? n * 2 : 1, sizeof(*m));
		if (!m)
			return -ENOMEM;
		*st->assignments = m;
	}
	struct rsc_assignment *a = &(*st->assignments)[n];
	*a = (struct rsc_assignment){ .append = append, .line = line };
	a->key = strdup(key);
	a->value = strdup(value);
	a->text = strdup(text);
	a->file = strdup(st->filename);
	if (!a->key || !a->value || !a->text || !a->file) {
		free(a->key), free(a->value), free(a->text), free(a->file);
		return -ENOMEM;
	}
	(*st->n_assignments)++;
	return 0;
}

static int env_line(char *line, unsigned no, void *userdata) {
	struct env_state *st = userdata;
	/* Both declared before the first "goto bad": jumping past a cleanup
	 * variable's initialisation would free an indeterminate pointer. */
	_cleanup_free_ char *val = NULL, *kv = NULL;
	size_t len = 0, cap = 0;
	char *p = line;
	int r = 0;
	if (++st->lines > ENV_MAX_LINES) {
		log_warning(st->ctx, "%s: more than %u lines: not a KEY=VALUE configuration file; the rest is ignored",
			    st->filename, ENV_MAX_LINES);
		return 1; /* stop */
	}
	if (!utf8_text_valid(line, "\t")) {
		bad_line(st->ctx, st->filename, no, &st->bad, "control characters or invalid UTF-8, ignored");
		return 0;
	}
	const char *kw = startswith(p, "export ");
	if (kw)
		p = (char *)kw + strspn(kw, " \t");
	char *key = p;
	if (!isalpha((unsigned char)*p) && *p != '_')
		goto bad;
	while (isalnum((unsigned char)*p) || *p == '_')
		p++;
	/* dracut's configuration appends to its lists with +=, as bash does;
	 * os-release and the like have no such thing. */
	bool append = st->shell && p[0] == '+' && p[1] == '=';
	if (append)
		*p++ = 0;
	else if (*p != '=')
		goto bad;
	*p++ = 0;

	if ((r = buf_putc(&val, &len, &cap, 0)) < 0)
		goto fail;
	len = 0;
	char quote = 0;
	while (*p) {
		char c = *p;
		if (quote == '\'') {
			if (c == '\'')
				quote = 0;
			else if ((r = buf_putc(&val, &len, &cap, c)) < 0)
				goto fail;
			p++;
		} else if (c == '\\' && p[1] && (!quote || strchr("\"\\$`", p[1]))) {
			if ((r = buf_putc(&val, &len, &cap, p[1])) < 0)
				goto fail;
			p += 2;
		} else if ((c == '`' || (c == '$' && p[1] == '(')) && quote != '\'') {
			/* Command substitution is never run: its text is kept as
			 * written, blanks included (GRUB_DISTRIBUTOR=`lsb_release
			 * -i -s ...` in Debian's /etc/default/grub). */
			const char *end = substitution_end(p);
			if (!end) {
				bad_line(st->ctx, st->filename, no, &st->bad,
					 "unterminated command substitution in %s, ignored", key);
				return 0;
			}
			for (; p < end; p++)
				if ((r = buf_putc(&val, &len, &cap, *p)) < 0)
					goto fail;
		} else if (c == '$' && quote != '\'') {
			if ((r = expand_var(st, (const char **)&p, &val, &len, &cap)) < 0)
				goto fail;
		} else if (c == '"') {
			quote = quote ? 0 : '"';
			p++;
		} else if (c == '\'' && !quote) {
			quote = '\'';
			p++;
		} else if (!quote && (c == ' ' || c == '\t')) {
			/* An unquoted blank ends the value; a comment may follow. */
			const char *rest = p + strspn(p, " \t");
			if (*rest && *rest != '#')
				log_debug(st->ctx, "%s:%u: text after the value of %s ignored", st->filename, no, key);
			break;
		} else {
			if ((r = buf_putc(&val, &len, &cap, c)) < 0)
				goto fail;
			p++;
		}
	}
	if (quote) {
		bad_line(st->ctx, st->filename, no, &st->bad, "unterminated quote in %s, ignored", key);
		return 0;
	}
	const char *before = append ? rsc_env_get(st->env, key) : NULL;
	if (before && strlen(before) + len > ENV_MAX_VALUE) {
		bad_line(st->ctx, st->filename, no, &st->bad, "value of %s longer than %u bytes, ignored", key,
			 ENV_MAX_VALUE);
		return 0;
	}
	if (asprintf(&kv, "%s=%s%s", key, strempty(before), val) < 0)
		return -ENOMEM;
	if (st->assignments && (r = assignment_push(st, key, kv + strlen(key) + 1, val, append, no)) < 0)
		return r;
	if (env_push(st, kv) < 0)
		return -ENOMEM;
	kv = NULL;
	return 0;
fail:
	if (r != -E2BIG)
		return r;
	if (st->expansions > ENV_MAX_EXPANSIONS)
		bad_line(st->ctx, st->filename, no, &st->bad,
			 "more than %u variable references in the file: %s ignored", ENV_MAX_EXPANSIONS, key);
	else
		bad_line(st->ctx, st->filename, no, &st->bad, "value of %s longer than %u bytes, ignored", key,
			 ENV_MAX_VALUE);
	return 0;
bad:
	bad_line(st->ctx, st->filename, no, &st->bad, "not a KEY=VALUE assignment, ignored");
	return 0;
}

int rsc_envfile_parse(rsc_context *ctx, const char *text, const char *filename, char ***ret) {
	struct env_state st = { .ctx = ctx, .filename = filename };
	st.env = calloc(1, sizeof(char *));
	if (!st.env)
		return -ENOMEM;
	st.cap_env = 1;
	int r = foreach_line(text, env_line, &st);
	bad_lines_summary(ctx, filename, st.bad, "a KEY=VALUE file");
	if (r < 0) {
		strv_free(st.env);
		return r;
	}
	*ret = st.env;
	return 0;
}

int rsc_assignments_parse(rsc_context *ctx, const char *text, const char *filename, char ***env,
			  struct rsc_assignment **assignments, size_t *n_assignments) {
	struct env_state st = { .ctx = ctx, .filename = filename, .shell = true, .assignments = assignments,
				.n_assignments = n_assignments };
	if (!*env && !(*env = calloc(1, sizeof(char *))))
		return -ENOMEM;
	/* The vector grows in place: its capacity is at least its length
	 * plus the terminating NULL. */
	st.env = *env;
	st.n_env = strv_length(*env);
	st.cap_env = st.n_env + 1;
	int r = foreach_line(text, env_line, &st);
	*env = st.env;
	bad_lines_summary(ctx, filename, st.bad, "a shell configuration file");
	return r;
}
