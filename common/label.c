/*
 * label.c - keyword maps, class tables and the label of a capture, all
 * read with one line grammar (see label.h and flowkit(7), LABELS).
 */
#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "bytes.h"
#include "label.h"
#include "num.h"
#include "rec.h"

/* ---- the grammar ---- */

/* One line read from a file: its fields, unescaped (NUL-terminated). */
struct line {
	char *buf;   /* the raw line */
	size_t cap;
	char *f[2];  /* the fields, in buf (unescaping only shortens them) */
	size_t len[2];
	int n;       /* 0 for a blank or comment line */
	bool directive;
};

struct reader {
	FILE *fp;
	const char *name;
	unsigned long lineno;
	char *err;
	size_t errlen;
};

static int fail(struct reader *r, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static int fail(struct reader *r, const char *fmt, ...)
{
	va_list ap;
	int k = r->lineno ? snprintf(r->err, r->errlen, "%s: line %lu: ", r->name, r->lineno)
			  : snprintf(r->err, r->errlen, "%s: ", r->name);

	if (k < 0 || (size_t)k >= r->errlen) return -1;
	va_start(ap, fmt);
	vsnprintf(r->err + k, r->errlen - (size_t)k, fmt, ap);
	va_end(ap);
	return -1;
}

/* A field for a message: at most 60 bytes, escaped as in a file. */
static const char *shown(const char *s, size_t n, char out[256])
{
	size_t i, o = 0;

	for (i = 0; i < n && o < 240; i++) {
		unsigned char c = (unsigned char)s[i];

		if (i == 60) {
			memcpy(out + o, "...", 3);
			o += 3;
			break;
		}
		if (c <= 0x20 || c == 0x7f || c == '\\' || c == '\'')
			o += (size_t)snprintf(out + o, 8, "\\x%02x", c);
		else
			out[o++] = (char)c;
	}
	out[o] = '\0';
	return out;
}

static bool blank(int c) { return c == ' ' || c == '\t'; }

/*
 * Read the next line into l.  1: a line (l->n fields, 0 for blank and
 * comment lines), 0: end of file, -1: error (a read error, a line too
 * long, a NUL byte, a bad escape, a number of fields other than two).
 */
static int next_line(struct reader *r, struct line *l)
{
	size_t n = 0;
	char *p, *end;
	int c;

	if (l->buf == NULL) {
		l->cap = 256;
		l->buf = xmalloc(l->cap);
	}
	for (;;) {
		c = getc(r->fp);
		if (c == EOF || c == '\n') break;
		if (n == LABEL_MAX_LINE) {
			r->lineno++;
			return fail(r, "longer than %u bytes", LABEL_MAX_LINE);
		}
		if (n + 1 >= l->cap) {
			l->cap *= 2;
			l->buf = xrealloc(l->buf, l->cap);
		}
		l->buf[n++] = (char)c;
	}
	if (c == EOF && ferror(r->fp)) return fail(r, "read error: %s", strerror(errno));
	if (c == EOF && n == 0) return 0;
	r->lineno++;
	if (memchr(l->buf, '\0', n)) return fail(r, "a NUL byte");
	if (n && l->buf[n - 1] == '\r') n--;
	p = l->buf;
	end = l->buf + n;
	l->n = 0;
	l->directive = false;
	for (;;) {
		char *o;

		while (p < end && blank(*p)) p++;
		if (p == end || *p == '#') break;
		if (l->n == 2) return fail(r, "expected two fields, found more");
		if (l->n == 0 && *p == '%') l->directive = true;
		l->f[l->n] = o = p;
		while (p < end && !blank(*p)) {
			if (*p != '\\') {
				*o++ = *p++;
			} else if (p + 1 < end && p[1] == '\\') {
				*o++ = '\\';
				p += 2;
			} else if (end - p >= 4 && p[1] == 'x' && num_hexval(p[2]) >= 0 && num_hexval(p[3]) >= 0) {
				int v = num_hexval(p[2]) << 4 | num_hexval(p[3]);

				if (v == 0) return fail(r, "\\x00: a field cannot hold a NUL byte");
				*o++ = (char)v;
				p += 4;
			} else {
				return fail(r, "a backslash starts \\\\ or \\xHH (two hex digits)");
			}
		}
		l->len[l->n] = (size_t)(o - l->f[l->n]);
		/* The blank after the field (or the end) is overwritten only
		 * once the field is complete. */
		if (p < end) p++;
		*o = '\0';
		l->n++;
	}
	if (l->n == 1) return fail(r, "expected two fields separated by blanks");
	return 1;
}

#ifndef FK_DATADIR
#define FK_DATADIR "/usr/local/share/flowkit"
#endif

/*
 * open_file(path, ext, err, errlen): fopen(path, "r"); a name without a
 * slash that is not in the current directory is then looked up as
 * FK_DATADIR/labels/NAME and FK_DATADIR/labels/NAME.EXT (ext without the
 * dot, NULL for none), where make install puts the maps of scripts/labels.
 * The caller closes the file.
 */
static FILE *open_file(const char *path, const char *ext, char *err, size_t errlen)
{
	FILE *fp = fopen(path, "r");
	int e = errno;
	char alt[4096];

	if (fp != NULL) return fp;
	if (e == ENOENT && strchr(path, '/') == NULL && *path != '\0') {
		int n = snprintf(alt, sizeof alt, "%s/labels/%s", FK_DATADIR, path);

		if (n > 0 && (size_t)n < sizeof alt && (fp = fopen(alt, "r")) != NULL) return fp;
		if (ext != NULL) {
			n = snprintf(alt, sizeof alt, "%s/labels/%s.%s", FK_DATADIR, path, ext);
			if (n > 0 && (size_t)n < sizeof alt && (fp = fopen(alt, "r")) != NULL) return fp;
		}
		snprintf(err, errlen, "%s: %s (nor in %s/labels)", path, strerror(e), FK_DATADIR);
		return NULL;
	}
	snprintf(err, errlen, "%s: %s", path, strerror(e));
	return NULL;
}

/* ---- keyword maps ---- */

int label_map_read(struct label_map *m, FILE *fp, const char *name, char *err, size_t errlen)
{
	struct reader r = { fp, name, 0, err, errlen };
	struct line l = { 0 };
	size_t first = m->n, i;
	int rc;
	char s[256];

	while ((rc = next_line(&r, &l)) > 0) {
		char *p;

		if (l.n == 0) continue;
		if (l.directive) {
			enum label_match mt;

			if (strcmp(l.f[0], "%match") != 0) {
				rc = fail(&r, "unknown directive '%s'", shown(l.f[0], l.len[0], s));
				break;
			}
			if (strcmp(l.f[1], "longest") == 0) {
				mt = LABEL_LONGEST;
			} else if (strcmp(l.f[1], "first") == 0) {
				mt = LABEL_FIRST;
			} else {
				rc = fail(&r, "%%match takes longest or first");
				break;
			}
			if (m->match_set && m->match != mt) {
				rc = fail(&r, "%%match differs from an earlier one");
				break;
			}
			m->match = mt;
			m->match_set = true;
			continue;
		}
		if (l.len[1] > REC_MAX_LABEL) {
			rc = fail(&r, "label longer than %u bytes", REC_MAX_LABEL);
			break;
		}
		if (memchr(l.f[0], '/', l.len[0])) {
			rc = fail(&r, "keyword '%s': a '/' never matches a file name",
			    shown(l.f[0], l.len[0], s));
			break;
		}
		for (p = l.f[0]; *p; p++)
			if (*p >= 'A' && *p <= 'Z') *p = (char)(*p - 'A' + 'a');
		for (i = 0; i < m->n; i++)
			if (m->v[i].kwlen == l.len[0] && memcmp(m->v[i].kw, l.f[0], l.len[0]) == 0) break;
		if (i < m->n) {
			rc = fail(&r, "keyword '%s' given twice", shown(l.f[0], l.len[0], s));
			break;
		}
		m->v = xrealloc(m->v, (m->n + 1) * sizeof *m->v);
		m->v[m->n].kw = xstrdup(l.f[0]);
		m->v[m->n].kwlen = l.len[0];
		m->v[m->n].label = xstrdup(l.f[1]);
		m->n++;
	}
	free(l.buf);
	if (rc == 0 && m->n == first) {
		r.lineno = 0;
		rc = fail(&r, "no keywords");
	}
	return rc < 0 ? -1 : 0;
}

int label_map_load(struct label_map *m, const char *path, char *err, size_t errlen)
{
	FILE *fp = open_file(path, "map", err, errlen);
	int rc;

	if (fp == NULL) return -1;
	rc = label_map_read(m, fp, path, err, errlen);
	fclose(fp);
	return rc;
}

const char *label_map_match(const struct label_map *m, const char *name)
{
	const char *base = strrchr(name, '/'), *res = NULL;
	char *lower, *p;
	size_t i, best = 0;

	lower = xstrdup(base ? base + 1 : name);
	for (p = lower; *p; p++)
		if (*p >= 'A' && *p <= 'Z') *p = (char)(*p - 'A' + 'a');
	for (i = 0; i < m->n; i++) {
		if (m->v[i].kwlen <= best || strstr(lower, m->v[i].kw) == NULL) continue;
		res = m->v[i].label;
		if (m->match == LABEL_FIRST) break;
		best = m->v[i].kwlen;
	}
	free(lower);
	return res;
}

void label_map_free(struct label_map *m)
{
	size_t i;

	for (i = 0; i < m->n; i++) {
		free(m->v[i].kw);
		free(m->v[i].label);
	}
	free(m->v);
	memset(m, 0, sizeof *m);
}

/* ---- the label of a capture ---- */

/* The current directory as the shell names it: $PWD when it is that
 * directory, else getcwd().  Malloc'd, or NULL. */
static char *logical_cwd(void)
{
	const char *pwd = getenv("PWD");
	struct stat a, b;
	size_t n;

	if (pwd && pwd[0] == '/' && stat(pwd, &a) == 0 && stat(".", &b) == 0 && a.st_dev == b.st_dev &&
	    a.st_ino == b.st_ino)
		return xstrdup(pwd);
	for (n = 256; n <= (1u << 20); n *= 2) {
		char *buf = xmalloc(n);

		if (getcwd(buf, n)) return buf;
		free(buf);
		if (errno != ERANGE) return NULL;
	}
	return NULL;
}

/*
 * The name of the directory path names its file in, resolving "." and
 * ".." by name.  Malloc'd, or NULL (the file is in "/", or the current
 * directory is unknown).
 */
static char *dir_name(const char *path)
{
	char *full, *p, *save = NULL, **comp, *res = NULL;
	size_t n = 0, cap;

	if (path[0] == '/') {
		full = xstrdup(path);
	} else {
		char *cwd = logical_cwd();

		if (cwd == NULL) return NULL;
		full = xmalloc(strlen(cwd) + strlen(path) + 2);
		sprintf(full, "%s/%s", cwd, path);
		free(cwd);
	}
	cap = strlen(full) / 2 + 2;
	comp = xmalloc(cap * sizeof *comp);
	for (p = strtok_r(full, "/", &save); p; p = strtok_r(NULL, "/", &save)) {
		if (strcmp(p, ".") == 0) continue;
		if (strcmp(p, "..") == 0) {
			if (n) n--;
			continue;
		}
		comp[n++] = p;
	}
	if (n >= 2) res = xstrdup(comp[n - 2]);
	free(comp);
	free(full);
	return res;
}

int label_for_input(const struct label_config *c, const char *path, char **label, char *why,
    size_t whylen)
{
	*label = NULL;
	if (c->fixed) {
		*label = xstrdup(c->fixed);
		return 0;
	}
	if (!c->dir && (c->map == NULL || c->map->n == 0)) return 0;
	if (path == NULL) {
		snprintf(why, whylen, "no file name to take a label from (%s): its flows have no label",
		    c->dir ? "it has no directory" : "the label map matches file names");
		return 1;
	}
	if (c->dir) {
		char *d = dir_name(path);

		if (d && strlen(d) <= REC_MAX_LABEL) {
			*label = d;
			return 0;
		}
		if (d)
			snprintf(why, whylen, "the name of its directory is longer than %u bytes: its flows "
			    "have no label", REC_MAX_LABEL);
		else
			snprintf(why, whylen, "no parent directory name to label its flows with");
		free(d);
		return 1;
	}
	{
		const char *m = label_map_match(c->map, path);

		if (m) {
			*label = xstrdup(m);
			return 0;
		}
	}
	snprintf(why, whylen, "no keyword of the label map matches its name: its flows have no label");
	return 1;
}

/* ---- class tables ---- */

/* A class id: 1 to 3 decimal digits, at most LABEL_MAX_ID. */
static int parse_id(const char *s, size_t n)
{
	unsigned v = 0;
	size_t i;

	if (n == 0 || n > 3) return -1;
	for (i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9') return -1;
		v = v * 10 + (unsigned)(s[i] - '0');
	}
	return v <= LABEL_MAX_ID ? (int)v : -1;
}

const struct label_class *label_class_lookup(struct label_classes *t, const void *name, size_t len)
{
	size_t i;

	if (t->hit && t->v[t->hit - 1].len == len && memcmp(t->v[t->hit - 1].name, name, len) == 0)
		return &t->v[t->hit - 1];
	for (i = 0; i < t->n; i++)
		if (t->v[i].len == len && memcmp(t->v[i].name, name, len) == 0) {
			t->hit = i + 1;
			return &t->v[i];
		}
	return NULL;
}

/* Add a name (not yet in t); -1 when the table is full. */
static int add_class(struct label_classes *t, const void *name, size_t len, unsigned id)
{
	struct label_class *c;

	if (t->n == LABEL_MAX_NAMES) return -1;
	if (t->n == t->cap) {
		t->cap = t->cap ? t->cap * 2 : 32;
		t->v = xrealloc(t->v, t->cap * sizeof *t->v);
	}
	c = &t->v[t->n++];
	c->name = xmalloc(len + 1);
	memcpy(c->name, name, len);
	c->name[len] = '\0';
	c->len = len;
	c->id = (uint8_t)id;
	if (id >= t->next_id) t->next_id = id + 1;
	return 0;
}

int label_classes_read(struct label_classes *t, FILE *fp, const char *name, enum label_cols cols,
    char *err, size_t errlen)
{
	struct reader r = { fp, name, 0, err, errlen };
	struct line l = { 0 };
	size_t first = t->n;
	int rc;
	char s[256];

	while ((rc = next_line(&r, &l)) > 0) {
		int ni = cols == LABEL_NAME_ID ? 0 : 1, id;

		if (l.n == 0) continue;
		if (l.directive) {
			rc = fail(&r, "unknown directive '%s'", shown(l.f[0], l.len[0], s));
			break;
		}
		id = parse_id(l.f[1 - ni], l.len[1 - ni]);
		if (id < 0) {
			rc = fail(&r, "'%s' is not a class id (0 to %u)",
			    shown(l.f[1 - ni], l.len[1 - ni], s), LABEL_MAX_ID);
			break;
		}
		if (l.len[ni] > REC_MAX_LABEL) {
			rc = fail(&r, "class name longer than %u bytes", REC_MAX_LABEL);
			break;
		}
		if (label_class_lookup(t, l.f[ni], l.len[ni])) {
			rc = fail(&r, "class '%s' given twice", shown(l.f[ni], l.len[ni], s));
			break;
		}
		if (add_class(t, l.f[ni], l.len[ni], (unsigned)id) < 0) {
			rc = fail(&r, "more than %u class names", LABEL_MAX_NAMES);
			break;
		}
	}
	free(l.buf);
	if (rc == 0 && t->n == first) {
		r.lineno = 0;
		rc = fail(&r, "no classes");
	}
	return rc < 0 ? -1 : 0;
}

int label_classes_load(struct label_classes *t, const char *path, enum label_cols cols, char *err,
    size_t errlen)
{
	FILE *fp = open_file(path, "classes", err, errlen);
	int rc;

	if (fp == NULL) return -1;
	rc = label_classes_read(t, fp, path, cols, err, errlen);
	fclose(fp);
	return rc;
}

int label_class_id(struct label_classes *t, const void *name, size_t len, char *err, size_t errlen)
{
	const struct label_class *c = label_class_lookup(t, name, len);

	if (c) return c->id;
	if (t->fixed) return (int)LABEL_UNKNOWN;
	if (t->next_id > LABEL_MAX_ID) {
		snprintf(err, errlen, "more than %u classes", LABEL_MAX_ID + 1);
		return -1;
	}
	if (add_class(t, name, len, t->next_id) < 0) {
		snprintf(err, errlen, "more than %u class names", LABEL_MAX_NAMES);
		return -1;
	}
	return t->v[t->n - 1].id;
}

const char *label_class_name(const struct label_classes *t, unsigned id)
{
	size_t i;

	for (i = 0; i < t->n; i++)
		if (t->v[i].id == id) return t->v[i].name;
	return NULL;
}

void label_put_field(FILE *fp, const char *s, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];

		if (c <= 0x20 || c == 0x7f || c == '\\' || (i == 0 && (c == '#' || c == '%')))
			fprintf(fp, "\\x%02x", c);
		else
			putc(c, fp);
	}
}

int label_classes_write(const struct label_classes *t, FILE *fp)
{
	unsigned id;
	size_t i;

	/* By id, then in the order the names came: at most 255 passes over
	 * at most LABEL_MAX_NAMES names. */
	for (id = 0; id <= LABEL_MAX_ID; id++)
		for (i = 0; i < t->n; i++)
			if (t->v[i].id == id) {
				fprintf(fp, "%u ", id);
				label_put_field(fp, t->v[i].name, t->v[i].len);
				putc('\n', fp);
			}
	return ferror(fp) ? -1 : 0;
}

void label_classes_free(struct label_classes *t)
{
	size_t i;

	for (i = 0; i < t->n; i++) free(t->v[i].name);
	free(t->v);
	memset(t, 0, sizeof *t);
}
