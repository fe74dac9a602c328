/*
 * expr.c - lexer, recursive-descent parser and evaluator of flow
 * expressions (expr.h; the grammar is in flow-filter(1)).
 *
 * Every comparison is compiled into a test node holding the fields it
 * reads (one, or several for host/net/port and for a short name such as
 * "sni"), the kind of value and a list of items: numeric comparisons
 * become ranges ("dport < 1024" is dport in 0..1023), "==" is a list of
 * one, "!=" the negation of a match per value.  Errors unwind with
 * longjmp; everything the parser allocates hangs off the struct ex and
 * goes with ex_free.
 */
#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <fnmatch.h>
#include <inttypes.h>
#include <math.h>
#include <regex.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "expr.h"
#include "fval.h"

#define MAX_FIELDS 4   /* fields one test reads */
#define MAX_DEPTH  200 /* nesting of parentheses and 'not' */
#define MAX_ITEMS  4096

/* ------------------------------------------------------------------ tree */

enum nk { N_AND, N_OR, N_NOT, N_TEST, N_CMP, N_HAS, N_HAS_FEAT, N_TRUE, N_FALSE };
enum vk { VK_UINT, VK_F64, VK_ADDR, VK_MAC, VK_STR, VK_FLAGS };
enum op { OP_IN, OP_NOTIN, OP_FHAS, OP_FEQ, OP_FNE, OP_GLOB, OP_RE,
	OP_EQ, OP_NE, OP_LT, OP_LE, OP_GT, OP_GE }; /* the last six: N_CMP */

struct item {
	uint64_t lo, hi;    /* VK_UINT */
	double flo, fhi;    /* VK_F64 */
	uint8_t a[16];      /* VK_ADDR (alen 4 or 16), VK_MAC (6) */
	uint8_t alen, plen;
	const char *s;      /* VK_STR */
	size_t n;
};

struct node {
	uint8_t kind, op, vk, all, nf;
	uint16_t fid[MAX_FIELDS];
	struct node *a, *b;
	struct item *items;
	size_t nitems;
	uint64_t mask;      /* VK_FLAGS */
	regex_t *re;
	const char *pat;    /* OP_GLOB, NUL-terminated */
	const char *feat;   /* N_HAS_FEAT and features.NAME */
	size_t featn;
	uint16_t rfid[MAX_FIELDS]; /* N_CMP: the fields on the right */
	uint8_t rnf;
	const char *rfeat;  /* N_CMP: a feature on the right */
	size_t rfeatn;
};

struct blk {
	struct blk *next;
	max_align_t data[];
};

struct ex {
	struct node *root;
	struct blk *blks;
	regex_t **res;
	size_t nres;
	char *scratch;      /* NUL-terminated copies of texts for fnmatch/regexec */
	size_t scap;
};

static void *ex_alloc(struct ex *e, size_t n)
{
	struct blk *b = calloc(1, sizeof *b + n);

	if (b == NULL) {
		fputs("out of memory\n", stderr);
		abort();
	}
	b->next = e->blks;
	e->blks = b;
	return b->data;
}

void ex_free(struct ex *e)
{
	struct blk *b, *n;
	size_t i;

	if (e == NULL) return;
	for (i = 0; i < e->nres; i++) regfree(e->res[i]);
	free(e->res);
	for (b = e->blks; b; b = n) {
		n = b->next;
		free(b);
	}
	free(e->scratch);
	free(e);
}

/* ----------------------------------------------------------------- lexer */

enum tk {
	T_END, T_WORD, T_STR, T_LP, T_RP, T_LB, T_RB, T_COMMA, T_DOTDOT, T_EQ, T_NE, T_LT, T_LE,
	T_GT, T_GE, T_GLOB, T_RE, T_BANG, T_ANDAND, T_OROR,
};

struct tok {
	enum tk t;
	const char *p;      /* the token's text in the source */
	size_t n;
	unsigned line, col;
	char *s;            /* T_STR: the unescaped string */
	size_t slen;
};

struct ps {
	struct ex *e;
	const char *cur, *linestart, *name;
	unsigned line;
	struct tok tk;      /* the current token */
	char *err;
	size_t errlen;
	jmp_buf jb;
	int depth;
};

static void fail_at(struct ps *p, unsigned line, unsigned col, const char *fmt, ...)
    __attribute__((format(printf, 4, 5), noreturn));

static void fail_at(struct ps *p, unsigned line, unsigned col, const char *fmt, ...)
{
	va_list ap;
	int k = snprintf(p->err, p->errlen, "%s:%u:%u: ", p->name, line, col);

	va_start(ap, fmt);
	if (k >= 0 && (size_t)k < p->errlen) vsnprintf(p->err + k, p->errlen - (size_t)k, fmt, ap);
	va_end(ap);
	longjmp(p->jb, 1);
}

#define FAIL(p, ...) fail_at(p, (p)->tk.line, (p)->tk.col, __VA_ARGS__)

static bool word_char(int c)
{
	return isalnum(c) || c == '_' || c == '.' || c == ':' || c == '/';
}

/* The current token shown in a message. */
static const char *tk_show(const struct tok *t, char *buf, size_t n)
{
	if (t->t == T_END) return "the end";
	snprintf(buf, n, "'%.*s'", (int)(t->n > 40 ? 40 : t->n), t->p);
	return buf;
}

static void lex_string(struct ps *p, char q)
{
	const char *s = p->cur + 1;
	char *out;
	size_t n = 0;

	out = ex_alloc(p->e, strlen(s) + 1);
	for (;; s++) {
		if (*s == 0 || *s == '\n')
			fail_at(p, p->tk.line, p->tk.col, "unterminated string");
		if (*s == q) break;
		if (*s == '\\') {
			s++;
			if (*s != q && *s != '\\')
				fail_at(p, p->line, (unsigned)(s - p->linestart), "unknown escape '\\%c' in a "
				    "string (only \\\\ and \\%c)", *s ? *s : ' ', q);
		}
		out[n++] = *s;
	}
	out[n] = 0;
	p->tk.t = T_STR;
	p->tk.s = out;
	p->tk.slen = n;
	p->cur = s + 1;
}

static void next(struct ps *p)
{
	const char *c;

	for (;;) {
		c = p->cur;
		while (*c == ' ' || *c == '\t' || *c == '\r') c++;
		if (*c == '#')
			while (*c && *c != '\n') c++;
		if (*c == '\n') {
			p->line++;
			p->linestart = c + 1;
			p->cur = c + 1;
			continue;
		}
		break;
	}
	p->cur = c;
	p->tk.p = c;
	p->tk.line = p->line;
	p->tk.col = (unsigned)(c - p->linestart) + 1;
	p->tk.s = NULL;
#define TWO(a, b, t2, t1) \
	if (c[0] == a) { \
		if (c[1] == b) { p->tk.t = t2; p->cur += 2; } else { p->tk.t = t1; p->cur += 1; } \
		break; \
	}
	switch (*c) {
	case 0: p->tk.t = T_END; break;
	case '(': p->tk.t = T_LP; p->cur++; break;
	case ')': p->tk.t = T_RP; p->cur++; break;
	case '{': p->tk.t = T_LB; p->cur++; break;
	case '}': p->tk.t = T_RB; p->cur++; break;
	case ',': p->tk.t = T_COMMA; p->cur++; break;
	case '~': p->tk.t = T_GLOB; p->cur++; break;
	case '"': case '\'': lex_string(p, *c); break;
	default:
		TWO('<', '=', T_LE, T_LT)
		TWO('>', '=', T_GE, T_GT)
		TWO('!', '=', T_NE, T_BANG)
		if (c[0] == '=' && (c[1] == '=' || c[1] == '~')) {
			p->tk.t = c[1] == '=' ? T_EQ : T_RE;
			p->cur += 2;
			break;
		}
		if (c[0] == '&' && c[1] == '&') { p->tk.t = T_ANDAND; p->cur += 2; break; }
		if (c[0] == '|' && c[1] == '|') { p->tk.t = T_OROR; p->cur += 2; break; }
		if (c[0] == '.' && c[1] == '.') { p->tk.t = T_DOTDOT; p->cur += 2; break; }
		if (word_char((unsigned char)*c) || (c[0] == '-' && isdigit((unsigned char)c[1]))) {
			c++;
			while (word_char((unsigned char)*c) && !(c[0] == '.' && c[1] == '.')) c++;
			p->tk.t = T_WORD;
			p->cur = c;
			break;
		}
		if (*c == '=')
			fail_at(p, p->tk.line, p->tk.col, "unexpected '=' (comparison is '==')");
		if (isprint((unsigned char)*c))
			fail_at(p, p->tk.line, p->tk.col, "unexpected character '%c'", *c);
		fail_at(p, p->tk.line, p->tk.col, "unexpected byte 0x%02x", (unsigned char)*c);
	}
#undef TWO
	p->tk.n = (size_t)(p->cur - p->tk.p);
}

static bool is_word(const struct ps *p, const char *w)
{
	return p->tk.t == T_WORD && p->tk.n == strlen(w) && memcmp(p->tk.p, w, p->tk.n) == 0;
}

/* The current word as a NUL-terminated string (arena). */
static char *word_dup(struct ps *p)
{
	char *s = ex_alloc(p->e, p->tk.n + 1);

	memcpy(s, p->tk.p, p->tk.n);
	return s;
}

/* ---------------------------------------------------------------- values */

static const char *const keywords[] = { "and", "or", "not", "in", "has", "any", "all", "host",
	"net", "port", "true", "false" };

static bool is_keyword(const struct ps *p)
{
	size_t i;

	for (i = 0; i < sizeof keywords / sizeof keywords[0]; i++)
		if (is_word(p, keywords[i])) return true;
	return false;
}

/* What a test reads: its fields, their registry entry, the value kind. */
struct subj {
	uint16_t fid[MAX_FIELDS];
	uint8_t nf;
	const struct fld *d;
	enum vk vk;
	uint64_t max;         /* VK_UINT */
	const char *feat;     /* features.NAME */
	const char *what;     /* for messages: the name as written */
};

static uint64_t type_max(unsigned type)
{
	switch (type) {
	case FT_U8: return 0xff;
	case FT_U16: case FT_U16LIST: return 0xffff;
	case FT_U32: case FT_ENUM: return 0xffffffffu;
	default: return (uint64_t)INT64_MAX;
	}
}

/* Parse an unsigned number with an optional unit (durations). */
static bool parse_uint(const char *s, bool duration, uint64_t *out)
{
	static const struct { const char *u; uint64_t m; } units[] = {
		{ "ns", 1 }, { "us", 1000 }, { "ms", 1000000 }, { "s", 1000000000ull },
		{ "min", 60000000000ull }, { "h", 3600000000000ull },
	};
	char *end;
	unsigned long long v;
	size_t i;

	if (!isdigit((unsigned char)s[0])) return false;
	errno = 0;
	if (duration && strpbrk(s, ".") && !(s[0] == '0' && (s[1] == 'x' || s[1] == 'X'))) {
		double d = strtod(s, &end);

		for (i = 0; i < sizeof units / sizeof units[0]; i++)
			if (strcmp(end, units[i].u) == 0) {
				d *= (double)units[i].m;
				if (!(d >= 0 && d < 9.2e18)) return false;
				*out = (uint64_t)llround(d);
				return true;
			}
		return false;
	}
	v = strtoull(s, &end, 0);
	if (errno || end == s) return false;
	if (*end == 0) {
		*out = v;
		return true;
	}
	if (!duration) return false;
	for (i = 0; i < sizeof units / sizeof units[0]; i++)
		if (strcmp(end, units[i].u) == 0) {
			if (v > (uint64_t)INT64_MAX / units[i].m) return false;
			*out = v * units[i].m;
			return true;
		}
	return false;
}

/* "2017-07-07T12:00:00Z", "2017-07-07 12:00:00.5", "2017-07-07" (UTC). */
static bool parse_time(const char *s, uint64_t *out)
{
	struct tm tm = { 0 };
	const char *r;
	double frac = 0;
	time_t t;

	r = strptime(s, "%Y-%m-%d", &tm);
	if (r == NULL) return false;
	if (*r == 'T' || *r == ' ') {
		r = strptime(r + 1, "%H:%M:%S", &tm);
		if (r == NULL) return false;
		if (*r == '.') {
			char *end;

			frac = strtod(r, &end);
			r = end;
		}
	}
	if (*r == 'Z') r++;
	if (*r) return false;
	t = timegm(&tm);
	if (t < 0) return false;
	*out = (uint64_t)t * 1000000000ull + (uint64_t)llround(frac * 1e9);
	return true;
}

static bool parse_addr(const char *w, struct item *it)
{
	char buf[64];
	const char *slash = strchr(w, '/');
	size_t n = slash ? (size_t)(slash - w) : strlen(w);
	unsigned i;

	if (n >= sizeof buf) return false;
	memcpy(buf, w, n);
	buf[n] = 0;
	if (inet_pton(AF_INET, buf, it->a) == 1) it->alen = 4;
	else if (inet_pton(AF_INET6, buf, it->a) == 1) it->alen = 16;
	else return false;
	it->plen = (uint8_t)(it->alen * 8);
	if (slash) {
		char *end;
		unsigned long pl;

		if (!isdigit((unsigned char)slash[1])) return false;
		pl = strtoul(slash + 1, &end, 10);
		if (*end || pl > it->alen * 8u) return false;
		it->plen = (uint8_t)pl;
	}
	for (i = it->plen; i < it->alen * 8u; i++) it->a[i / 8] &= (uint8_t)~(0x80u >> (i % 8));
	return true;
}

static bool parse_mac(const char *w, struct item *it)
{
	unsigned v[6], k;
	int used = 0;

	if (sscanf(w, "%2x:%2x:%2x:%2x:%2x:%2x%n", &v[0], &v[1], &v[2], &v[3], &v[4], &v[5],
	    &used) != 6 || w[used] != 0 || strlen(w) != 17)
		return false;
	for (k = 0; k < 6; k++) it->a[k] = (uint8_t)v[k];
	it->alen = 6;
	return true;
}

/* A flags value: a value name, TCP letters ("SA"), or a number. */
static bool parse_flags(const struct fld *d, const char *w, uint64_t *mask)
{
	uint64_t v, m = 0;
	size_t i;

	if (fld_sym_value(d, w, &v) == 0) {
		*mask = v;
		return true;
	}
	if (parse_uint(w, false, mask)) return *mask <= 0xffffffffu;
	for (i = 0; w[i]; i++) {
		char one[2] = { w[i], 0 };
		unsigned k;
		bool found = false;

		for (k = 0; k < d->nsyms; k++)
			if (d->syms[k].letter == one[0]) found = true;
		if (!found || fld_sym_value(d, one, &v) < 0) return false;
		m |= v;
	}
	*mask = m;
	return i > 0;
}

static const char *vk_wanted(const struct subj *s)
{
	switch (s->vk) {
	case VK_UINT:
		if (s->d && s->d->type == FT_TIME) return "a time (ns or \"YYYY-MM-DDTHH:MM:SSZ\")";
		if (s->d && s->d->type == FT_DURATION) return "a duration (ns, or with ns/us/ms/s/min/h)";
		if (s->d && s->d->nsyms) return "a number or a value name";
		return "a number";
	case VK_F64: return "a number";
	case VK_ADDR: return "an address or a prefix";
	case VK_MAC: return "a MAC address";
	case VK_STR: return "a string";
	default: return "a flag name";
	}
}

/* List the value names of d into buf for a message. */
static const char *sym_list(const struct fld *d, char *buf, size_t n)
{
	size_t k = 0;
	unsigned i;

	buf[0] = 0;
	for (i = 0; i < d->nsyms && k + 1 < n; i++) {
		int w = snprintf(buf + k, n - k, "%s%s", i ? ", " : "", d->syms[i].name);

		if (w < 0) break;
		k += (size_t)w;
	}
	return buf;
}

/*
 * One value of the subject's kind at the current token into it (numbers
 * as lo = hi).  after names what came before, for messages.  Consumes it.
 */
static void parse_value(struct ps *p, const struct subj *s, struct item *it, const char *after)
{
	char sh[64], lst[256];
	char *w;

	if (p->tk.t == T_STR) {
		if (s->vk == VK_STR) {
			it->s = p->tk.s;
			it->n = p->tk.slen;
			next(p);
			return;
		}
		if (s->vk == VK_UINT && s->d && s->d->type == FT_TIME) {
			if (!parse_time(p->tk.s, &it->lo))
				FAIL(p, "not a time: \"%s\" (want YYYY-MM-DD[THH:MM:SS[.frac]][Z], UTC)",
				    p->tk.s);
			it->hi = it->lo;
			next(p);
			return;
		}
		FAIL(p, "expected %s after %s, not a string", vk_wanted(s), after);
	}
	if (p->tk.t != T_WORD || is_keyword(p))
		FAIL(p, "expected %s after %s, not %s", vk_wanted(s), after, tk_show(&p->tk, sh, sizeof sh));
	w = word_dup(p);
	switch (s->vk) {
	case VK_UINT: {
		uint64_t v;

		if (s->d && s->d->nsyms && fld_sym_value(s->d, w, &v) == 0) {
		} else if (!parse_uint(w, s->d && s->d->type == FT_DURATION, &v)) {
			if (s->d && s->d->nsyms && isalpha((unsigned char)w[0]))
				FAIL(p, "unknown value '%s' of '%s' (known: %s)", w, s->what,
				    sym_list(s->d, lst, sizeof lst));
			FAIL(p, "expected %s after %s, not '%s'", vk_wanted(s), after, w);
		}
		if (v > s->max)
			FAIL(p, "%s is out of range for '%s' (at most %" PRIu64 ")", w, s->what, s->max);
		it->lo = it->hi = v;
		break;
	}
	case VK_F64: {
		char *end;

		errno = 0;
		it->flo = it->fhi = strtod(w, &end);
		if (*end || errno || !isfinite(it->flo) ||
		    !isdigit((unsigned char)w[w[0] == '-']))
			FAIL(p, "expected a number after %s, not '%s'", after, w);
		break;
	}
	case VK_ADDR:
		if (!parse_addr(w, it)) FAIL(p, "expected an address or a prefix after %s, not '%s'", after, w);
		break;
	case VK_MAC:
		if (!parse_mac(w, it)) FAIL(p, "expected a MAC address after %s, not '%s'", after, w);
		break;
	case VK_STR:
		it->s = w;
		it->n = p->tk.n;
		break;
	default:
		if (!parse_flags(s->d, w, &it->lo))
			FAIL(p, "unknown flag '%s' of '%s' (known: %s, or letters such as SA)", w, s->what,
			    sym_list(s->d, lst, sizeof lst));
		break;
	}
	next(p);
}

/* A value, or a range "lo..hi" when the kind is numeric. */
static void parse_item(struct ps *p, const struct subj *s, struct item *it, const char *after)
{
	struct item hi;
	unsigned line = p->tk.line, col = p->tk.col;

	parse_value(p, s, it, after);
	if (p->tk.t != T_DOTDOT) return;
	if (s->vk != VK_UINT && s->vk != VK_F64) FAIL(p, "a range '..' needs a numeric field");
	next(p);
	memset(&hi, 0, sizeof hi);
	parse_value(p, s, &hi, "'..'");
	if (s->vk == VK_UINT) {
		it->hi = hi.hi;
		if (it->lo > it->hi) fail_at(p, line, col, "empty range: the low end exceeds the high end");
	} else {
		it->fhi = hi.fhi;
		if (it->flo > it->fhi) fail_at(p, line, col, "empty range: the low end exceeds the high end");
	}
}

/* "{" item { "," item } "}", or one item. */
static void parse_set(struct ps *p, struct node *n, const struct subj *s, const char *after)
{
	size_t cap = 8;

	if (p->tk.t != T_LB) {
		n->items = ex_alloc(p->e, sizeof *n->items);
		n->nitems = 1;
		parse_item(p, s, &n->items[0], after);
		return;
	}
	next(p);
	n->items = ex_alloc(p->e, cap * sizeof *n->items);
	for (;;) {
		if (n->nitems == cap) {
			struct item *bigger;

			if (cap >= MAX_ITEMS) FAIL(p, "more than %d values in a set", MAX_ITEMS);
			bigger = ex_alloc(p->e, 2 * cap * sizeof *bigger);
			memcpy(bigger, n->items, cap * sizeof *bigger);
			n->items = bigger;
			cap *= 2;
		}
		parse_item(p, s, &n->items[n->nitems], n->nitems == 0 ? "'{'" : "','");
		n->nitems++;
		if (p->tk.t == T_RB) break;
		if (p->tk.t != T_COMMA) {
			char sh[64];

			FAIL(p, "expected ',' or '}' in a set, not %s", tk_show(&p->tk, sh, sizeof sh));
		}
		next(p);
	}
	next(p);
}

/* ---------------------------------------------------------------- parser */

static enum vk vk_of(const struct fld *d, bool *ok)
{
	*ok = true;
	switch (d->type) {
	case FT_U8: case FT_U16: case FT_U32: case FT_U64: case FT_TIME: case FT_DURATION:
	case FT_ENUM: case FT_U16LIST:
		return VK_UINT;
	case FT_F64: return VK_F64;
	case FT_ADDR: return VK_ADDR;
	case FT_MAC: return VK_MAC;
	case FT_STR: return VK_STR;
	case FT_FLAGS: return VK_FLAGS;
	default:
		*ok = false;
		return VK_UINT;
	}
}

/*
 * The fields a short name w (no dot, not a field of its own) stands for:
 * the field of key w in every metadata element having one ("sni":
 * tls.sni, quic.sni; "qname": dns.qname).  Fills fid[] and *nf and
 * returns the first, or NULL when none has that key; *amb is set to a
 * field of another type when the key is ambiguous ("version").
 */
static const struct fld *short_name(const char *w, uint16_t *fid, uint8_t *nf,
    const struct fld **amb)
{
	const struct fld *d = NULL;
	size_t i;

	*nf = 0;
	*amb = NULL;
	if (strchr(w, '.')) return NULL;
	for (i = 0; i < FLD_N; i++) {
		const struct fld *c = &fld_table[i];

		if (c->elem == 0 || fld_is_elem(c) || strcmp(c->key, w) != 0) continue;
		if (c->elem == RE_PACKETS || c->elem == RE_PKTBYTES || c->elem == RE_MAC) continue;
		if (d && d->type != c->type) {
			*amb = c;
			return d;
		}
		if (*nf == MAX_FIELDS) break;
		if (d == NULL) d = c;
		fid[(*nf)++] = c->id;
	}
	return d;
}

/* A field by full name, or a short name naming the same-typed field of
 * several elements ("sni": tls.sni, quic.sni). */
static void resolve_field(struct ps *p, struct subj *s)
{
	char *w = word_dup(p);
	const struct fld *d = fld_by_name(w), *amb;
	bool ok;

	s->what = w;
	s->nf = 0;
	if (strncmp(w, "features.", 9) == 0 && w[9]) {
		s->feat = w + 9;
		s->vk = VK_F64;
		s->d = NULL;
		return;
	}
	if (d) {
		s->fid[s->nf++] = d->id;
	} else {
		d = short_name(w, s->fid, &s->nf, &amb);
		if (amb) FAIL(p, "'%s' is ambiguous: say '%s' or '%s'", w, d->name, amb->name);
	}
	if (d == NULL) FAIL(p, "unknown field '%s' (flowrec(5) FIELDS lists them)", w);
	s->d = d;
	s->vk = vk_of(d, &ok);
	if (!ok)
		FAIL(p, "'%s' is %s %s: it can only be tested with 'has %s'", w,
		    d->type == FT_OBJECT ? "an" : "a", fld_type_name(d->type), w);
	s->max = type_max(d->type);
}

static struct node *new_node(struct ps *p, enum nk k)
{
	struct node *n = ex_alloc(p->e, sizeof *n);

	n->kind = (uint8_t)k;
	return n;
}

static const char *op_text(enum tk t)
{
	switch (t) {
	case T_EQ: return "'=='";
	case T_NE: return "'!='";
	case T_LT: return "'<'";
	case T_LE: return "'<='";
	case T_GT: return "'>'";
	case T_GE: return "'>='";
	case T_GLOB: return "'~'";
	case T_RE: return "'=~'";
	default: return "'in'";
	}
}

/* "has NAME": presence of an element, a field or a feature. */
static struct node *parse_has(struct ps *p)
{
	struct node *n;
	const struct fld *d;
	char *w;

	next(p);
	if (p->tk.t != T_WORD || is_keyword(p)) {
		char sh[64];

		FAIL(p, "expected a field or element name after 'has', not %s",
		    tk_show(&p->tk, sh, sizeof sh));
	}
	w = word_dup(p);
	if (strncmp(w, "features.", 9) == 0 && w[9]) {
		n = new_node(p, N_HAS_FEAT);
		n->feat = w + 9;
		n->featn = strlen(w + 9);
		next(p);
		return n;
	}
	n = new_node(p, N_HAS);
	if ((d = fld_by_name(w)) != NULL) {
		n->fid[0] = d->id;
		n->nf = 1;
	} else {
		const struct fld *amb;

		/* "has sni": tls.sni or quic.sni, as in a test. */
		if (short_name(w, n->fid, &n->nf, &amb) == NULL)
			FAIL(p, "unknown field '%s' (flowrec(5) FIELDS lists them)", w);
		if (amb) FAIL(p, "'%s' is ambiguous: say '%s' or '%s'", w, fld_name(n->fid[0]), amb->name);
	}
	next(p);
	return n;
}

static void compile_regex(struct ps *p, struct node *n, const char *pat, unsigned line, unsigned col)
{
	regex_t *re = ex_alloc(p->e, sizeof *re);
	int rc = regcomp(re, pat, REG_EXTENDED | REG_NOSUB);

	if (rc != 0) {
		char why[128];

		regerror(rc, re, why, sizeof why);
		regfree(re);
		fail_at(p, line, col, "bad regular expression: %s", why);
	}
	p->e->res = realloc(p->e->res, (p->e->nres + 1) * sizeof *p->e->res);
	if (p->e->res == NULL) abort();
	p->e->res[p->e->nres++] = re;
	n->re = re;
}

/* ------------------------------------------- comparisons of two fields */

/* What may be compared with what: the same class, and for enums and flags
 * the same value names. */
enum cls { C_NUM, C_TIME, C_DUR, C_ENUM, C_FLAGS, C_ADDR, C_MAC, C_TEXT, C_OTHER };

static enum cls cls_of(const struct fld *d)
{
	if (d == NULL) return C_NUM; /* a feature */
	switch (d->type) {
	case FT_U8: case FT_U16: case FT_U32: case FT_U64: case FT_F64: return C_NUM;
	case FT_TIME: return C_TIME;
	case FT_DURATION: return C_DUR;
	case FT_ENUM: return C_ENUM;
	case FT_FLAGS: return C_FLAGS;
	case FT_ADDR: return C_ADDR;
	case FT_MAC: return C_MAC;
	case FT_STR: return C_TEXT;
	default: return C_OTHER;
	}
}

/* Per-packet columns, stored packets, encapsulation entries, repeated
 * tags and u16 lists have several values per flow. */
static bool multi_valued(const struct fld *d)
{
	return d && (d->elem == RE_PACKETS || d->elem == RE_PKTBYTES || d->elem == RE_ENCAP ||
	    (d->flags & FF_MULTI) || d->type == FT_U16LIST);
}

static const char *subj_type(const struct subj *s)
{
	return s->d ? fld_type_name(s->d->type) : "f64";
}

/*
 * Does the current word name a field, the right side of a comparison
 * with subject s?  Fills r.  A value of the subject's kind comes first
 * (packets.dir == dst is the value dst); for a text subject a bare word
 * is text unless it is the full name of a field.
 */
static bool rhs_field(struct ps *p, const struct subj *s, struct subj *r)
{
	const struct fld *d, *amb;
	uint64_t v;
	char *w;

	if (p->tk.t != T_WORD || is_keyword(p) || !isalpha((unsigned char)p->tk.p[0])) return false;
	w = word_dup(p);
	if (s->d && s->d->nsyms && fld_sym_value(s->d, w, &v) == 0) return false;
	if (s->vk == VK_FLAGS && parse_flags(s->d, w, &v)) return false;
	memset(r, 0, sizeof *r);
	r->what = w;
	if (strncmp(w, "features.", 9) == 0 && w[9]) {
		r->feat = w + 9;
		r->vk = VK_F64;
		return true;
	}
	if ((d = fld_by_name(w)) != NULL) {
		if (fld_is_elem(d)) return false;
		r->fid[r->nf++] = d->id;
	} else {
		if (s->vk == VK_STR) return false;
		if ((d = short_name(w, r->fid, &r->nf, &amb)) == NULL) return false;
		if (amb) FAIL(p, "'%s' is ambiguous: say '%s' or '%s'", w, d->name, amb->name);
	}
	r->d = d;
	return true;
}

/*
 * "subject OP field": when the current word names a field, compile n
 * into an N_CMP (type-checked) and return it; else NULL.  sline/scol:
 * where the subject is, oline/ocol: the operator.
 */
static struct node *field_cmp(struct ps *p, struct node *n, const struct subj *s, enum tk op,
    unsigned sline, unsigned scol, unsigned oline, unsigned ocol)
{
	unsigned rline = p->tk.line, rcol = p->tk.col, i;
	struct subj r;
	enum cls a, b;

	if (!rhs_field(p, s, &r)) return NULL;
	if (multi_valued(s->d))
		fail_at(p, sline, scol, "'%s' has several values per flow: compare it with values, "
		    "not with the field '%s'", s->what, r.what);
	if (multi_valued(r.d))
		fail_at(p, rline, rcol, "'%s' has several values per flow: it cannot be compared with "
		    "the field '%s'", r.what, s->what);
	a = cls_of(s->d);
	b = cls_of(r.d);
	if (a != b || a == C_OTHER)
		fail_at(p, rline, rcol, "cannot compare '%s' (%s) with '%s' (%s)", s->what, subj_type(s),
		    r.what, subj_type(&r));
	if ((a == C_ENUM || a == C_FLAGS) && s->d->syms != r.d->syms)
		fail_at(p, rline, rcol, "cannot compare '%s' with '%s': %s of different meanings",
		    s->what, r.what, a == C_ENUM ? "enums" : "flags");
	if ((op == T_LT || op == T_LE || op == T_GT || op == T_GE) && a != C_NUM && a != C_TIME &&
	    a != C_DUR)
		fail_at(p, oline, ocol, "%s applies to numbers, times and durations; '%s' is %s",
		    op_text(op), s->what, subj_type(s));
	n->kind = N_CMP;
	n->op = (uint8_t)(op == T_EQ ? OP_EQ : op == T_NE ? OP_NE : op == T_LT ? OP_LT :
	    op == T_LE ? OP_LE : op == T_GT ? OP_GT : OP_GE);
	n->rnf = r.nf;
	for (i = 0; i < r.nf; i++) n->rfid[i] = r.fid[i];
	if (r.feat) {
		n->rfeat = r.feat;
		n->rfeatn = strlen(r.feat);
	}
	next(p);
	return n;
}

/* A test: [any|all] subject [op] value. */
static struct node *parse_test(struct ps *p)
{
	struct node *n = new_node(p, N_TEST);
	struct subj s = { .nf = 0 };
	enum tk op = T_WORD;
	char sh[64], after[80];
	unsigned i, oline, ocol, sline, scol;

	if (is_word(p, "any") || is_word(p, "all")) {
		n->all = is_word(p, "all");
		next(p);
	}
	sline = p->tk.line;
	scol = p->tk.col;
	if (p->tk.t != T_WORD || (is_keyword(p) && !is_word(p, "host") && !is_word(p, "net") &&
	    !is_word(p, "port")))
		FAIL(p, "expected a field name, 'has', 'not' or '(', not %s", tk_show(&p->tk, sh, sizeof sh));
	if (is_word(p, "host") || is_word(p, "net") || is_word(p, "port")) {
		bool port = is_word(p, "port");

		s.what = port ? "port" : is_word(p, "host") ? "host" : "net";
		s.fid[0] = port ? FLD_SPORT : FLD_SRC;
		s.fid[1] = port ? FLD_DPORT : FLD_DST;
		s.nf = 2;
		s.d = fld_def(s.fid[0]);
		s.vk = port ? VK_UINT : VK_ADDR;
		s.max = 0xffff;
	} else {
		resolve_field(p, &s);
	}
	next(p);
	n->nf = s.nf;
	for (i = 0; i < s.nf; i++) n->fid[i] = s.fid[i];
	n->vk = (uint8_t)s.vk;
	oline = p->tk.line;
	ocol = p->tk.col;
	if (s.feat) {
		n->feat = s.feat;
		n->featn = strlen(s.feat);
	}
	switch (p->tk.t) {
	case T_EQ: case T_NE: case T_LT: case T_LE: case T_GT: case T_GE: case T_GLOB: case T_RE:
		op = p->tk.t;
		snprintf(after, sizeof after, "%s", op_text(op));
		next(p);
		break;
	case T_WORD:
		if (is_word(p, "in")) {
			op = T_WORD;
			snprintf(after, sizeof after, "'in'");
			next(p);
			break;
		}
		if (is_word(p, "has")) {
			if (s.vk != VK_FLAGS) FAIL(p, "'has' after a field applies to flags fields; "
			    "'%s' is %s (presence is 'has %s')", s.what,
			    s.d ? fld_type_name(s.d->type) : "f64", s.what);
			next(p);
			n->op = OP_FHAS;
			n->items = ex_alloc(p->e, sizeof *n->items);
			n->nitems = 1;
			parse_value(p, &s, &n->items[0], "'has'");
			n->mask = n->items[0].lo;
			return n;
		}
		if (is_keyword(p)) FAIL(p, "expected an operator after '%s', not %s", s.what,
		    tk_show(&p->tk, sh, sizeof sh));
		snprintf(after, sizeof after, "'%s'", s.what);
		break;
	case T_STR: case T_LB:
		snprintf(after, sizeof after, "'%s'", s.what);
		break;
	default:
		FAIL(p, "expected an operator or a value after '%s', not %s", s.what,
		    tk_show(&p->tk, sh, sizeof sh));
	}
	if (op == T_EQ || op == T_NE || op == T_LT || op == T_LE || op == T_GT || op == T_GE) {
		struct node *c = field_cmp(p, n, &s, op, sline, scol, oline, ocol);

		if (c) return c;
	}
	/* The operator decides the node. */
	if (s.vk == VK_FLAGS) {
		if (op != T_EQ && op != T_NE)
			fail_at(p, oline, ocol, "%s does not apply to flags field '%s' (use 'has', '==' or '!=')",
			    op == T_WORD ? "a set" : op_text(op), s.what);
		n->op = op == T_EQ ? OP_FEQ : OP_FNE;
		n->items = ex_alloc(p->e, sizeof *n->items);
		n->nitems = 1;
		parse_value(p, &s, &n->items[0], after);
		n->mask = n->items[0].lo;
		return n;
	}
	if (op == T_GLOB || op == T_RE) {
		unsigned line = p->tk.line, col = p->tk.col;

		if (s.vk != VK_STR)
			fail_at(p, oline, ocol, "%s applies to text fields; '%s' is %s%s", op_text(op), s.what,
			    s.d ? fld_type_name(s.d->type) : "f64",
			    strcmp(s.what, "host") == 0 ? " (the HTTP Host header is 'http.host')" : "");
		if (p->tk.t != T_STR && p->tk.t != T_WORD)
			FAIL(p, "expected a pattern string after %s, not %s", op_text(op),
			    tk_show(&p->tk, sh, sizeof sh));
		const char *pat = p->tk.t == T_STR ? p->tk.s : word_dup(p);
		n->op = op == T_GLOB ? OP_GLOB : OP_RE;
		if (op == T_RE) compile_regex(p, n, pat, line, col);
		else n->pat = pat;
		next(p);
		return n;
	}
	if (op == T_LT || op == T_LE || op == T_GT || op == T_GE) {
		struct item *it;

		if (s.vk != VK_UINT && s.vk != VK_F64)
			fail_at(p, oline, ocol, "%s applies to numbers; '%s' is %s", op_text(op), s.what,
			    fld_type_name(s.d->type));
		n->op = OP_IN;
		n->items = it = ex_alloc(p->e, sizeof *it);
		n->nitems = 1;
		parse_value(p, &s, it, after);
		if (s.vk == VK_UINT) {
			uint64_t v = it->lo;

			/* Derived sums (pkts, bytes) may pass the type's maximum. */
			if (op == T_LT && v == 0) {
				n->nitems = 0; /* never true */
			} else if (op == T_LT || op == T_LE) {
				it->lo = 0;
				it->hi = op == T_LT ? v - 1 : v;
			} else {
				it->lo = op == T_GT ? v + 1 : v;
				it->hi = UINT64_MAX;
			}
		} else {
			double v = it->flo;

			it->flo = op == T_LT || op == T_LE ? -INFINITY : op == T_GT ? nextafter(v, INFINITY) : v;
			it->fhi = op == T_GT || op == T_GE ? INFINITY : op == T_LT ? nextafter(v, -INFINITY) : v;
		}
		return n;
	}
	n->op = op == T_NE ? OP_NOTIN : OP_IN;
	if (op == T_EQ || op == T_NE) {
		n->items = ex_alloc(p->e, sizeof *n->items);
		n->nitems = 1;
		parse_item(p, &s, &n->items[0], after);
	} else {
		parse_set(p, n, &s, after);
	}
	return n;
}

static struct node *parse_or(struct ps *p);

static struct node *parse_unary(struct ps *p)
{
	struct node *n;

	if (++p->depth > MAX_DEPTH) FAIL(p, "expression nested too deeply (over %d levels)", MAX_DEPTH);
	if (is_word(p, "not") || p->tk.t == T_BANG) {
		next(p);
		n = new_node(p, N_NOT);
		n->a = parse_unary(p);
	} else if (p->tk.t == T_LP) {
		unsigned line = p->tk.line, col = p->tk.col;
		char sh[64];

		next(p);
		n = parse_or(p);
		if (p->tk.t != T_RP) {
			if (p->tk.t == T_END)
				fail_at(p, line, col, "'(' is not closed");
			FAIL(p, "expected ')', 'and' or 'or', not %s", tk_show(&p->tk, sh, sizeof sh));
		}
		next(p);
	} else if (is_word(p, "has")) {
		n = parse_has(p);
	} else if (is_word(p, "true") || is_word(p, "false")) {
		n = new_node(p, is_word(p, "true") ? N_TRUE : N_FALSE);
		next(p);
	} else {
		n = parse_test(p);
	}
	p->depth--;
	return n;
}

static struct node *parse_and(struct ps *p)
{
	struct node *n = parse_unary(p);

	while (is_word(p, "and") || p->tk.t == T_ANDAND) {
		struct node *m = new_node(p, N_AND);

		next(p);
		m->a = n;
		m->b = parse_unary(p);
		n = m;
	}
	return n;
}

static struct node *parse_or(struct ps *p)
{
	struct node *n = parse_and(p);

	while (is_word(p, "or") || p->tk.t == T_OROR) {
		struct node *m = new_node(p, N_OR);

		next(p);
		m->a = n;
		m->b = parse_and(p);
		n = m;
	}
	return n;
}

struct ex *ex_compile(const char *text, const char *name, unsigned line, char *err, size_t errlen)
{
	struct ps p = { 0 };
	char sh[64];

	if ((p.e = calloc(1, sizeof *p.e)) == NULL) return NULL;
	p.cur = p.linestart = text;
	p.name = name;
	p.line = line;
	p.err = err;
	p.errlen = errlen;
	if (setjmp(p.jb)) {
		ex_free(p.e);
		return NULL;
	}
	next(&p);
	if (p.tk.t == T_END) FAIL(&p, "expected an expression");
	p.e->root = parse_or(&p);
	if (p.tk.t == T_RP) FAIL(&p, "')' without '('");
	if (p.tk.t != T_END) FAIL(&p, "expected 'and', 'or' or the end, not %s", tk_show(&p.tk, sh, sizeof sh));
	return p.e;
}

/* ------------------------------------------------------------- evaluator */

/* A NUL-terminated copy of n bytes in e's scratch buffer. */
static const char *cstr(struct ex *e, const uint8_t *p, size_t n)
{
	if (n + 1 > e->scap) {
		size_t cap = e->scap ? e->scap : 256;

		while (cap < n + 1) cap *= 2;
		free(e->scratch);
		e->scratch = malloc(cap);
		if (e->scratch == NULL) abort();
		e->scap = cap;
	}
	memcpy(e->scratch, p, n);
	e->scratch[n] = 0;
	return e->scratch;
}

static bool prefix_match(const struct item *it, const uint8_t *a, uint32_t n)
{
	unsigned full = it->plen / 8, rest = it->plen % 8;

	if (n != it->alen) return false;
	if (memcmp(a, it->a, full) != 0) return false;
	return rest == 0 || ((a[full] ^ it->a[full]) & (uint8_t)(0xff00u >> rest)) == 0;
}

/* Does one value match the node (before its negation)? */
static bool value_match(struct ex *e, const struct node *n, const struct fv *v)
{
	size_t i;

	switch (n->vk) {
	case VK_UINT:
		if (v->vt != FV_UINT) return false;
		for (i = 0; i < n->nitems; i++)
			if (v->u >= n->items[i].lo && v->u <= n->items[i].hi) return true;
		return false;
	case VK_F64:
		for (i = 0; i < n->nitems; i++)
			if (v->f >= n->items[i].flo && v->f <= n->items[i].fhi) return true;
		return false;
	case VK_ADDR:
		if (v->vt != FV_ADDR) return false;
		for (i = 0; i < n->nitems; i++)
			if (prefix_match(&n->items[i], v->p, v->n)) return true;
		return false;
	case VK_MAC:
		if (v->vt != FV_MAC) return false;
		for (i = 0; i < n->nitems; i++)
			if (memcmp(v->p, n->items[i].a, 6) == 0) return true;
		return false;
	case VK_STR:
		if (v->vt != FV_TEXT) return false;
		if (n->op == OP_GLOB) return fnmatch(n->pat, cstr(e, v->p, v->n), 0) == 0;
		if (n->op == OP_RE) return regexec(n->re, cstr(e, v->p, v->n), 0, NULL, 0) == 0;
		for (i = 0; i < n->nitems; i++)
			if (v->n == n->items[i].n && memcmp(v->p, n->items[i].s, v->n) == 0) return true;
		return false;
	default:
		if (v->vt != FV_UINT) return false;
		if (n->op == OP_FHAS) return (v->u & n->mask) == n->mask;
		return v->u == n->mask;
	}
}

/* One value, the node's negation applied. */
static bool one(struct ex *e, const struct node *n, const struct fv *v)
{
	bool m = value_match(e, n, v);

	return n->op == OP_NOTIN || n->op == OP_FNE ? !m : m;
}

/* Quantifier state: any value seen matching, any value seen failing. */
struct qstate {
	bool hit, miss, seen;
};

static bool q_add(const struct node *n, struct qstate *q, bool m)
{
	q->seen = true;
	if (m) q->hit = true;
	else q->miss = true;
	/* true: the answer is known */
	return n->all ? q->miss : q->hit;
}

static bool test_field(struct ex *e, const struct node *n, const struct rec_flow *f, uint16_t id)
{
	const struct fld *d = fld_def(id);
	struct qstate q = { 0 };
	struct fv v;
	uint32_t i, k, cnt;

	if (d->elem == RE_PKTBYTES && id != FLD_PB_LAYER && id != FLD_PB_PACKETS) {
		/* Walk once: fv_get would walk from the start for each packet. */
		const struct rec_elem *el = rec_find(f, RE_PKTBYTES);
		struct rec_pb_iter it;
		struct rec_pb pb;
		uint8_t layer;

		if (el == NULL) return false;
		rec_pb_begin(el, &layer, &cnt, &it);
		while (rec_pb_next(&it, &pb)) {
			v.vt = FV_UINT;
			switch (id) {
			case FLD_PB_INDEX: v.u = pb.index; break;
			case FLD_PB_TS_NS: v.u = pb.ts_ns; break;
			case FLD_PB_ORIG_LEN: v.u = pb.orig_len; break;
			case FLD_PB_INCL_LEN: v.u = pb.incl_len; break;
			case FLD_PB_LINKTYPE: v.u = pb.linktype; break;
			case FLD_PB_LINK_LEN: v.u = pb.link_len; break;
			default: v.vt = FV_BYTES; v.p = pb.data; v.n = pb.n; break;
			}
			if (q_add(n, &q, one(e, n, &v))) break;
		}
		return n->all ? q.seen && !q.miss : q.hit;
	}
	if (d->elem == 0) return fv_get(f, id, 0, &v) && one(e, n, &v); /* one value */
	cnt = fv_count(f, id);
	for (i = 0; i < cnt; i++) {
		if (!fv_get(f, id, i, &v)) break;
		if (v.vt == FV_U16LIST) {
			struct fv u = { .vt = FV_UINT };
			bool done = false;

			for (k = 0; k + 1 < v.n && !done; k += 2) {
				u.u = be16(v.p + k);
				done = q_add(n, &q, one(e, n, &u));
			}
			if (done) break;
			continue;
		}
		if (q_add(n, &q, one(e, n, &v))) break;
	}
	return n->all ? q.seen && !q.miss : q.hit;
}

/* Value k of one side of an N_CMP: field fid, or the feature feat. */
static bool side_get(const struct rec_flow *f, uint16_t fid, const char *feat, size_t featn,
    struct fv *v)
{
	if (feat) {
		v->vt = FV_F64;
		return fv_feature(f, feat, featn, &v->f) == 1;
	}
	if (fld_def(fid)->elem != 0 && fv_count(f, fid) == 0) return false;
	return fv_get(f, fid, 0, v) == 1;
}

static bool cmp_pair(const struct node *n, const struct fv *a, const struct fv *b)
{
	int c;

	if ((a->vt == FV_F64 || b->vt == FV_F64) && (a->vt == FV_UINT || a->vt == FV_F64) &&
	    (b->vt == FV_UINT || b->vt == FV_F64)) {
		double x = a->vt == FV_F64 ? a->f : (double)a->u, y = b->vt == FV_F64 ? b->f : (double)b->u;

		if (isnan(x) || isnan(y)) return n->op == OP_NE;
		c = x < y ? -1 : x > y;
	} else if (a->vt == FV_UINT && b->vt == FV_UINT) {
		c = a->u < b->u ? -1 : a->u > b->u;
	} else if (a->vt == b->vt && a->vt != FV_NONE) {
		/* addresses, MACs, text: equality only (the parser saw to it) */
		c = a->n == b->n && memcmp(a->p, b->p, a->n) == 0 ? 0 : 1;
	} else {
		return false;
	}
	switch (n->op) {
	case OP_EQ: return c == 0;
	case OP_NE: return c != 0;
	case OP_LT: return c < 0;
	case OP_LE: return c <= 0;
	case OP_GT: return c > 0;
	default: return c >= 0;
	}
}

/* Every pair of a value on the left and one on the right (a short name
 * may stand for several fields), under the node's quantifier. */
static bool eval_cmp(const struct node *n, const struct rec_flow *f)
{
	unsigned i, k, nl = n->feat ? 1 : n->nf, nr = n->rfeat ? 1 : n->rnf;
	struct qstate q = { 0 };
	struct fv a, b;

	for (i = 0; i < nl; i++) {
		if (!side_get(f, n->fid[i], n->feat, n->featn, &a)) continue;
		for (k = 0; k < nr; k++) {
			if (!side_get(f, n->rfid[k], n->rfeat, n->rfeatn, &b)) continue;
			if (q_add(n, &q, cmp_pair(n, &a, &b))) return !n->all;
		}
	}
	return n->all ? q.seen && !q.miss : q.hit;
}

static bool eval(struct ex *e, const struct node *n, const struct rec_flow *f)
{
	double x;
	unsigned i;

	switch (n->kind) {
	case N_AND: return eval(e, n->a, f) && eval(e, n->b, f);
	case N_OR: return eval(e, n->a, f) || eval(e, n->b, f);
	case N_NOT: return !eval(e, n->a, f);
	case N_HAS:
		for (i = 0; i < n->nf; i++)
			if (fv_count(f, n->fid[i]) > 0) return true;
		return false;
	case N_HAS_FEAT: return fv_feature(f, n->feat, n->featn, &x) == 1;
	case N_CMP: return eval_cmp(n, f);
	case N_TRUE: return true;
	case N_FALSE: return false;
	default:
		if (n->feat) {
			struct fv v = { .vt = FV_F64 };

			if (fv_feature(f, n->feat, n->featn, &v.f) != 1) return false;
			return one(e, n, &v);
		}
		for (i = 0; i < n->nf; i++)
			if (test_field(e, n, f, n->fid[i])) return true;
		return false;
	}
}

bool ex_match(struct ex *e, const struct rec_flow *f)
{
	return eval(e, e->root, f);
}
