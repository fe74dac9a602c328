/*
 * flow-filter - select flowrec records by an expression (common/expr.c),
 * label them by rules in the same language, and cut the selection down:
 * the first N, a deterministic sample, a cap per label, a balance of the
 * labels.  flow-filter(1) has the language and the order of the steps.
 */
#include <errno.h>
#include <getopt.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "cli.h"
#include "dataset.h"
#include "expr.h"
#include "stream.h"

static const char usage_text[] =
    "usage: flow-filter [options] EXPRESSION [file ...]\n"
    "       flow-filter [options] -e EXPRESSION | -f FILE [file ...]\n"
    "\n"
    "Copy the flowrec records that match the expression (flow-filter(1) has the\n"
    "language) to stdout.  Reads the files, or stdin when none or -.\n"
    "\n"
    "  -e, --expr EXPR         the expression (then every operand is an input)\n"
    "  -f, --file FILE         read the expression from FILE\n"
    "  -o, --output F          write to F (through a temporary file) instead of stdout\n"
    "      --fail F            write the records that do not match to F\n"
    "      --head N            stop after N records written\n"
    "      --sample P          keep a fraction P (0 < P <= 1) of the flows, chosen by a\n"
    "                          keyed hash of each flow: the same flows in every run\n"
    "      --seed S            the key of --sample (default 0)\n"
    "      --max-per-label N   keep at most the first N flows of each label\n"
    "      --cap-mode M        first (default), or reservoir: the N flows of each label\n"
    "                          of smallest keyed hash (--seed), whatever their order\n"
    "      --balance           keep as many flows of each label as the smallest label\n"
    "                          has (reads the files twice; not stdin)\n"
    "      --class-weights W   keep the labels in the proportions W, 'web=2,voip=1' or\n"
    "                          @FILE (a LABEL=WEIGHT a line; '*' any other label), as\n"
    "                          many flows as the inputs allow (reads the files twice)\n"
    "      --label-rules F     label flows by the rules of F (lines LABEL: EXPRESSION)\n"
    "      --default-label L   the label of flows no rule matches (default: unchanged)\n"
    "  -v, --verbose           counts on stderr at the end (and hits per rule)\n"
    "  -h, --help              this help\n"
    "      --version           print the version\n";

enum { OPT_FAIL = 256, OPT_HEAD, OPT_SAMPLE, OPT_SEED, OPT_MAX_PER_LABEL, OPT_BALANCE,
	OPT_LABEL_RULES, OPT_DEFAULT_LABEL, OPT_CAP_MODE, OPT_CLASS_WEIGHTS, OPT_VERSION };

#define MAX_WEIGHT 1000000u

#define MAX_EXPR_FILE (1u << 20)

/* ---------------------------------------------------- counts per label */

/* A flow the reservoir holds: its key, its place in the input, its bytes. */
struct held {
	uint64_t key, seq;
	uint8_t *raw;
	size_t len;
};

struct lcount {
	char *label;      /* NULL: free slot */
	size_t n;
	uint64_t count;
	uint64_t cap;      /* --class-weights: this label's cap in the second pass */
	struct held *heap; /* --cap-mode reservoir: a max-heap on (key, seq) */
	size_t nheap;
};
struct lcounts {
	struct lcount *v;
	size_t cap, used;
};

static uint64_t hash_bytes(const uint8_t *p, size_t n)
{
	uint64_t h = 1469598103934665603ull;
	size_t i;

	for (i = 0; i < n; i++) h = (h ^ p[i]) * 1099511628211ull;
	return h;
}

static struct lcount *lc_get(struct lcounts *t, const uint8_t *p, size_t n)
{
	size_t i;

	if (t->used * 2 >= t->cap) {
		struct lcounts big = { .cap = t->cap ? t->cap * 2 : 64 };

		big.v = calloc(big.cap, sizeof *big.v);
		if (big.v == NULL) msg_die(EXIT_DATA, "out of memory");
		for (i = 0; i < t->cap; i++) {
			struct lcount *o = &t->v[i];
			size_t k;

			if (o->label == NULL) continue;
			for (k = hash_bytes((uint8_t *)o->label, o->n) & (big.cap - 1); big.v[k].label;
			    k = (k + 1) & (big.cap - 1)) {
			}
			big.v[k] = *o;
		}
		free(t->v);
		big.used = t->used;
		*t = big;
	}
	for (i = hash_bytes(p, n) & (t->cap - 1); t->v[i].label; i = (i + 1) & (t->cap - 1))
		if (t->v[i].n == n && memcmp(t->v[i].label, p, n) == 0) return &t->v[i];
	t->v[i].label = malloc(n + 1);
	if (t->v[i].label == NULL) msg_die(EXIT_DATA, "out of memory");
	memcpy(t->v[i].label, p, n);
	t->v[i].label[n] = 0;
	t->v[i].n = n;
	t->used++;
	return &t->v[i];
}

/* The entry of a label, or NULL when it has none. */
static struct lcount *lc_find(const struct lcounts *t, const char *p, size_t n)
{
	size_t i;

	if (t->cap == 0) return NULL;
	for (i = hash_bytes((const uint8_t *)p, n) & (t->cap - 1); t->v[i].label; i = (i + 1) & (t->cap - 1))
		if (t->v[i].n == n && memcmp(t->v[i].label, p, n) == 0) return &t->v[i];
	return NULL;
}

static void lc_free(struct lcounts *t)
{
	size_t i;

	for (i = 0; i < t->cap; i++) {
		size_t k;

		for (k = 0; k < t->v[i].nheap; k++) free(t->v[i].heap[k].raw);
		free(t->v[i].heap);
		free(t->v[i].label);
	}
	free(t->v);
	memset(t, 0, sizeof *t);
}

/* ---------------------------------------------------------- label rules */

struct rule {
	char *label;
	size_t n;
	struct ex *ex;
	uint64_t hits;
};

/* One class weight of --class-weights. */
struct weight {
	char *label;
	size_t n;
	uint64_t w;
};

struct run {
	struct ex *ex;
	struct rule *rules;
	size_t nrules;
	const char *default_label;
	uint64_t unmatched;
	struct ds *ds;
	uint64_t head, cap;
	bool balance, reservoir;
	bool percap;        /* the cap of each label is its lcount's cap */
	struct weight *weights;
	size_t nweights;
	uint64_t wdefault;  /* the weight of labels not listed ('*'), 0 by default */
	uint64_t seq;
	struct buf enc;     /* a relabelled record, encoded for the reservoir */
	struct lcounts kept;
	uint64_t read, matched, failed_expr, sampled_out, capped, written;
};

static char *slurp(const char *path, size_t *len)
{
	FILE *fp = strcmp(path, "-") == 0 ? stdin : fopen(path, "r");
	char *b;
	size_t n;

	if (fp == NULL) msg_die(EXIT_USAGE, "%s: %s", path, strerror(errno));
	b = malloc(MAX_EXPR_FILE + 1);
	if (b == NULL) msg_die(EXIT_DATA, "out of memory");
	n = fread(b, 1, MAX_EXPR_FILE + 1, fp);
	if (ferror(fp)) msg_die(EXIT_USAGE, "%s: %s", path, strerror(errno));
	if (n > MAX_EXPR_FILE) msg_die(EXIT_USAGE, "%s: longer than %u bytes", path, MAX_EXPR_FILE);
	if (fp != stdin) fclose(fp);
	if (memchr(b, 0, n)) msg_die(EXIT_USAGE, "%s: holds a NUL byte", path);
	b[n] = 0;
	*len = n;
	return b;
}

/* Lines "LABEL: EXPRESSION"; blank lines and '#' comments skipped. */
static void load_rules(struct run *r, const char *path)
{
	size_t len, cap = 0;
	char *text = slurp(path, &len), *line = text, *nl;
	unsigned lineno = 0;
	char err[512];

	for (; line && *line; line = nl) {
		char *colon, *s = line, *end;
		struct rule *ru;

		lineno++;
		nl = strchr(line, '\n');
		if (nl) *nl++ = 0;
		while (*s == ' ' || *s == '\t') s++;
		if (*s == 0 || *s == '#') continue;
		colon = strchr(s, ':');
		/* The label ends at the first ':' followed by a blank or the end
		 * (an IPv6 address in the expression has none before it). */
		while (colon && colon[1] && colon[1] != ' ' && colon[1] != '\t') colon = strchr(colon + 1, ':');
		if (colon == NULL || colon == s)
			msg_die(EXIT_USAGE, "%s:%u:1: expected 'LABEL: EXPRESSION'", path, lineno);
		for (end = colon; end > s && (end[-1] == ' ' || end[-1] == '\t'); end--) {
		}
		if ((size_t)(end - s) > REC_MAX_LABEL)
			msg_die(EXIT_USAGE, "%s:%u:1: label longer than %u bytes", path, lineno, REC_MAX_LABEL);
		if (r->nrules == cap) {
			cap = cap ? cap * 2 : 16;
			r->rules = realloc(r->rules, cap * sizeof *r->rules);
			if (r->rules == NULL) msg_die(EXIT_DATA, "out of memory");
		}
		ru = &r->rules[r->nrules];
		memset(ru, 0, sizeof *ru);
		ru->n = (size_t)(end - s);
		ru->label = malloc(ru->n + 1);
		if (ru->label == NULL) msg_die(EXIT_DATA, "out of memory");
		memcpy(ru->label, s, ru->n);
		ru->label[ru->n] = 0;
		/* Pad with blanks so that columns stay those of the file's line. */
		memset(line, ' ', (size_t)(colon + 1 - line));
		if ((ru->ex = ex_compile(line, path, lineno, err, sizeof err)) == NULL)
			msg_die(EXIT_USAGE, "%s", err);
		r->nrules++;
	}
	free(text);
}

/* ------------------------------------------------------- class weights */

/* One "LABEL=WEIGHT" of --class-weights (n bytes at s; the label ends at
 * the last '='; "*" is every label not listed, an empty one the flows
 * without a label). */
static void add_weight(struct run *r, const char *s, size_t n, const char *where)
{
	const char *eq = NULL;
	char num[24];
	uint64_t w;
	size_t i, ln;

	for (i = 0; i < n; i++)
		if (s[i] == '=') eq = s + i;
	if (eq == NULL) cli_usage_error("--class-weights: %swant LABEL=WEIGHT, not '%.*s'", where, (int)n, s);
	ln = (size_t)(eq - s);
	if (n - ln - 1 >= sizeof num) cli_usage_error("--class-weights: %sbad weight '%.*s'", where, (int)n, s);
	memcpy(num, eq + 1, n - ln - 1);
	num[n - ln - 1] = 0;
	if (num_parse_u64(num, 0, MAX_WEIGHT, &w) < 0)
		cli_usage_error("--class-weights: %swant a whole weight from 0 to %u, not '%s'", where,
		    MAX_WEIGHT, num);
	if (ln > REC_MAX_LABEL) cli_usage_error("--class-weights: %slabel longer than %u bytes", where, REC_MAX_LABEL);
	if (ln == 1 && s[0] == '*') {
		r->wdefault = w;
		return;
	}
	for (i = 0; i < r->nweights; i++)
		if (r->weights[i].n == ln && memcmp(r->weights[i].label, s, ln) == 0)
			cli_usage_error("--class-weights: %slabel '%.*s' given twice", where, (int)ln, s);
	r->weights = realloc(r->weights, (r->nweights + 1) * sizeof *r->weights);
	if (r->weights == NULL || (r->weights[r->nweights].label = malloc(ln + 1)) == NULL)
		msg_die(EXIT_DATA, "out of memory");
	memcpy(r->weights[r->nweights].label, s, ln);
	r->weights[r->nweights].label[ln] = 0;
	r->weights[r->nweights].n = ln;
	r->weights[r->nweights].w = w;
	r->nweights++;
}

/* "web=2,voip=1", or "@FILE" with one LABEL=WEIGHT a line ('#' comments). */
static void load_weights(struct run *r, const char *spec)
{
	const char *p, *end;
	size_t i;
	bool any;

	if (spec[0] == '@') {
		size_t len;
		char *text = slurp(spec + 1, &len), *line, *nl;
		unsigned lineno = 0;
		char where[512];

		for (line = text; line && *line; line = nl) {
			size_t n;

			lineno++;
			nl = strchr(line, '\n');
			if (nl) *nl++ = 0;
			n = strlen(line);
			while (n && (line[n - 1] == ' ' || line[n - 1] == '\t' || line[n - 1] == '\r')) n--;
			if (n == 0 || line[0] == '#') continue;
			snprintf(where, sizeof where, "%.400s:%u: ", spec + 1, lineno);
			add_weight(r, line, n, where);
		}
		free(text);
	} else {
		for (p = spec;; p = end + 1) {
			end = strchr(p, ',');
			if (end == NULL) end = p + strlen(p);
			add_weight(r, p, (size_t)(end - p), "");
			if (*end == 0) break;
		}
	}
	any = r->wdefault > 0;
	for (i = 0; i < r->nweights; i++) any |= r->weights[i].w > 0;
	if (!any) cli_usage_error("--class-weights: no weight above 0");
}

static uint64_t weight_of(const struct run *r, const char *l, size_t n)
{
	size_t i;

	for (i = 0; i < r->nweights; i++)
		if (r->weights[i].n == n && memcmp(r->weights[i].label, l, n) == 0) return r->weights[i].w;
	return r->wdefault;
}

/*
 * After the counting pass: the caps that keep the labels in the
 * proportions of their weights, with as many flows as the inputs have.
 * The limiting label m has the smallest count / weight; label l keeps
 * floor(count_m * w_l / w_m) flows (never more than it has), computed in
 * integers so that the result is the same everywhere.
 */
static void weigh(struct run *r)
{
	struct lcount *m = NULL;
	uint64_t wm = 0, mcount;
	size_t i;

	for (i = 0; i < r->kept.cap; i++) {
		struct lcount *c = &r->kept.v[i];
		uint64_t w;

		if (c->label == NULL || c->count == 0) continue;
		w = weight_of(r, c->label, c->n);
		if (w == 0) continue;
		if (m == NULL || (unsigned __int128)c->count * wm < (unsigned __int128)m->count * w) {
			m = c;
			wm = w;
		}
	}
	mcount = m ? m->count : 0;
	for (i = 0; i < r->kept.cap; i++) {
		struct lcount *c = &r->kept.v[i];
		unsigned __int128 k;

		if (c->label == NULL) continue;
		k = wm ? (unsigned __int128)mcount * weight_of(r, c->label, c->n) / wm : 0;
		c->cap = k < c->count ? (uint64_t)k : c->count;
		c->count = 0;
	}
	for (i = 0; i < r->nweights; i++)
		if (r->weights[i].w && lc_find(&r->kept, r->weights[i].label, r->weights[i].n) == NULL)
			msg_warn("--class-weights: no flow is labelled '%s'", r->weights[i].label);
}

/* ------------------------------------------------------------- the run */

/* The label of f as bytes; n 0 and an empty string when it has none. */
static const uint8_t *label_of(const struct rec_flow *f, size_t *n)
{
	const struct rec_elem *e = rec_find(f, RE_LABEL);

	*n = e ? e->len : 0;
	return e ? e->val : (const uint8_t *)"";
}

/* Apply the rules; true when the label changed. */
static bool relabel(struct run *r, struct rec_flow *f)
{
	const char *l = NULL;
	size_t i, n = 0;

	for (i = 0; i < r->nrules; i++)
		if (ex_match(r->rules[i].ex, f)) {
			r->rules[i].hits++;
			l = r->rules[i].label;
			n = r->rules[i].n;
			break;
		}
	if (l == NULL) {
		r->unmatched++;
		if (r->default_label == NULL) return false;
		l = r->default_label;
		n = strlen(l);
	}
	if (n == 0) {
		if (rec_find(f, RE_LABEL) == NULL) return false;
		rec_del(f, RE_LABEL);
		return true;
	}
	if (rec_set(f, RE_LABEL, l, (uint32_t)n) < 0) msg_die(EXIT_DATA, "no room for a LABEL element");
	return true;
}

/* ---------------------------------------------------- the reservoir */

static bool held_above(const struct held *a, const struct held *b)
{
	return a->key > b->key || (a->key == b->key && a->seq > b->seq);
}

static void sift_down(struct held *h, size_t n, size_t i)
{
	for (;;) {
		size_t l = 2 * i + 1, r = l + 1, m = i;
		struct held t;

		if (l < n && held_above(&h[l], &h[m])) m = l;
		if (r < n && held_above(&h[r], &h[m])) m = r;
		if (m == i) return;
		t = h[i];
		h[i] = h[m];
		h[m] = t;
		i = m;
	}
}

static void sift_up(struct held *h, size_t i)
{
	while (i > 0 && held_above(&h[i], &h[(i - 1) / 2])) {
		struct held t = h[i];

		h[i] = h[(i - 1) / 2];
		h[(i - 1) / 2] = t;
		i = (i - 1) / 2;
	}
}

/*
 * Offer a flow to its label's reservoir: the cap flows of smallest key
 * stay.  Returns false when it is refused or evicts another (one flow
 * over the cap either way).
 */
static bool offer(struct run *r, struct lcount *c, uint64_t cap, const struct rec_flow *f,
    const uint8_t *raw, size_t len)
{
	struct held h = { .key = ds_flow_key(r->ds, f), .seq = r->seq++ };
	bool full = c->nheap == cap;

	if (full && !held_above(&c->heap[0], &h)) return false;
	h.raw = malloc(len ? len : 1);
	if (h.raw == NULL) msg_die(EXIT_DATA, "out of memory");
	memcpy(h.raw, raw, len);
	h.len = len;
	if (full) {
		free(c->heap[0].raw);
		c->heap[0] = h;
		sift_down(c->heap, c->nheap, 0);
		return false;
	}
	if (c->heap == NULL) {
		size_t first = cap < 1024 ? (size_t)cap : 1024;

		c->heap = malloc(first * sizeof *c->heap);
		if (c->heap == NULL) msg_die(EXIT_DATA, "out of memory");
	} else if (c->nheap >= 1024 && (c->nheap & (c->nheap - 1)) == 0) {
		c->heap = realloc(c->heap, 2 * c->nheap * sizeof *c->heap);
		if (c->heap == NULL) msg_die(EXIT_DATA, "out of memory");
	}
	c->heap[c->nheap++] = h;
	sift_up(c->heap, c->nheap - 1);
	return true;
}

static int by_seq(const void *a, const void *b)
{
	const struct held *x = *(const struct held *const *)a, *y = *(const struct held *const *)b;

	return x->seq < y->seq ? -1 : x->seq > y->seq;
}

/* Write what the reservoirs hold, in input order. */
static int drain(struct run *r, struct rs_writer *w)
{
	struct held **all;
	struct rec_flow *f = malloc(sizeof *f);
	size_t n = 0, i, k;
	char err[200];
	int status = EXIT_OK;

	for (i = 0; i < r->kept.cap; i++) n += r->kept.v[i].nheap;
	all = malloc((n ? n : 1) * sizeof *all);
	if (all == NULL || f == NULL) msg_die(EXIT_DATA, "out of memory");
	n = 0;
	for (i = 0; i < r->kept.cap; i++)
		for (k = 0; k < r->kept.v[i].nheap; k++) all[n++] = &r->kept.v[i].heap[k];
	qsort(all, n, sizeof *all, by_seq);
	for (i = 0; i < n && !(r->head && r->written >= r->head); i++) {
		if (rec_decode_flow(all[i]->raw, all[i]->len, f, err, sizeof err) < 0 ||
		    rs_write_raw(w, all[i]->raw, all[i]->len, f) < 0) {
			msg_warn("cannot write a held record: %s", err);
			status = EXIT_DATA;
			break;
		}
		r->written++;
	}
	free(all);
	free(f);
	return status;
}

enum verdict { V_PASS, V_FAIL, V_DROP, V_HELD };

/* The steps, in the order flow-filter(1) gives. */
static enum verdict judge(struct run *r, const struct rs_item *it, bool *changed)
{
	struct rec_flow *f = it->flow;
	size_t n;
	const uint8_t *l;
	struct lcount *c;
	uint64_t cap;

	*changed = r->nrules ? relabel(r, f) : false;
	if (!ex_match(r->ex, f)) {
		r->failed_expr++;
		return V_FAIL;
	}
	r->matched++;
	if (r->ds && ds_sampled(r->ds, f)) {
		r->sampled_out++;
		return V_DROP;
	}
	if (r->cap || r->balance || r->percap) {
		l = label_of(f, &n);
		c = lc_get(&r->kept, l, n);
		cap = r->percap ? c->cap : r->cap;
		if (r->percap && cap == 0) {
			r->capped++;
			return V_DROP;
		}
		if (r->reservoir && cap) {
			const uint8_t *raw = it->raw;
			size_t len = it->rawlen;
			char err[200];

			if (*changed) {
				buf_reset(&r->enc);
				if (rec_encode_flow(&r->enc, f, err, sizeof err) < 0)
					msg_die(EXIT_DATA, "cannot encode a relabelled record: %s", err);
				raw = r->enc.p;
				len = r->enc.len;
			}
			if (!offer(r, c, cap, f, raw, len)) r->capped++;
			return V_HELD;
		}
		if (cap && c->count >= cap) {
			r->capped++;
			return V_DROP;
		}
		c->count++;
	}
	return V_PASS;
}

struct sink {
	struct out_file of;
	struct rs_writer *w;
};

static int put(struct sink *s, const struct rs_item *it, bool changed)
{
	if (s->w == NULL) return 0;
	if (changed) return rs_write_flow(s->w, it->flow);
	return rs_write_raw(s->w, it->raw, it->rawlen, it->flow);
}

/* One pass over the inputs; with out NULL, only counting (--balance). */
static int run_pass(struct run *r, char **ops, int nops, struct sink *out, struct sink *fail)
{
	struct rs_inputs in;
	struct rs_item it;
	int t, status = EXIT_OK;
	bool changed;

	rs_in_begin(&in, NULL, ops, nops);
	while ((t = rs_in_next(&in, &it)) != RS_EOF) {
		if (t == RS_ERR) {
			if (out) rw_abandon(out->w);
			if (fail && fail->w) rw_abandon(fail->w);
			status = EXIT_DATA;
		} else if (t == RS_HEADER) {
			/* The reservoir writes one segment at the end, under the
			 * first input's header. */
			if (out && (!r->reservoir || !rs_in_segment(out->w)) &&
			    rs_write_header(out->w, it.hdr) < 0)
				status = EXIT_DATA;
			if (fail && fail->w && rs_write_header(fail->w, it.hdr) < 0) status = EXIT_DATA;
		} else if (t == RS_END) {
			if (out && !r->reservoir && rs_write_end(out->w) < 0) status = EXIT_DATA;
			if (fail && fail->w && rs_write_end(fail->w) < 0) status = EXIT_DATA;
		} else {
			enum verdict v;

			r->read++;
			v = judge(r, &it, &changed);
			if (out == NULL) continue;
			if (v == V_PASS && r->head && r->written >= r->head) {
				/* past the head (still reading for --fail) */
			} else if (v == V_PASS) {
				if (put(out, &it, changed) < 0) {
					rs_error(in.r, "cannot write the record");
					status = EXIT_DATA;
				}
				if (++r->written == r->head && (fail == NULL || fail->w == NULL)) break;
			} else if (v == V_FAIL && fail && put(fail, &it, changed) < 0) {
				rs_error(in.r, "cannot write the record");
				status = EXIT_DATA;
			}
			if ((r->read & 1023) == 0) msg_progress("records", r->read, 0);
		}
	}
	if (rs_in_end(&in, NULL) != EXIT_OK) status = EXIT_DATA;
	msg_progress_end();
	if (out && r->reservoir && status == EXIT_OK) status = drain(r, out->w);
	return status;
}

/* The expression, with its line breaks, for the provenance note. */
static void note_expr(struct rs_writer *w, const char *key, const char *text)
{
	char note[4096];
	size_t k = 0, i;

	k = (size_t)snprintf(note, sizeof note, "%s=", key);
	for (i = 0; text[i] && k + 4 < sizeof note; i++)
		note[k++] = text[i] == '\n' || text[i] == '\t' || text[i] == '\r' ? ' ' : text[i];
	if (text[i]) {
		memcpy(note + k, "...", 3);
		k += 3;
	}
	note[k] = 0;
	rs_add_note(w, note);
}

int main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "expr", required_argument, NULL, 'e' },
		{ "file", required_argument, NULL, 'f' },
		{ "output", required_argument, NULL, 'o' },
		{ "fail", required_argument, NULL, OPT_FAIL },
		{ "head", required_argument, NULL, OPT_HEAD },
		{ "sample", required_argument, NULL, OPT_SAMPLE },
		{ "seed", required_argument, NULL, OPT_SEED },
		{ "max-per-label", required_argument, NULL, OPT_MAX_PER_LABEL },
		{ "balance", no_argument, NULL, OPT_BALANCE },
		{ "class-weights", required_argument, NULL, OPT_CLASS_WEIGHTS },
		{ "cap-mode", required_argument, NULL, OPT_CAP_MODE },
		{ "label-rules", required_argument, NULL, OPT_LABEL_RULES },
		{ "default-label", required_argument, NULL, OPT_DEFAULT_LABEL },
		{ "verbose", no_argument, NULL, 'v' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, OPT_VERSION },
		{ NULL, 0, NULL, 0 },
	};
	struct run r = { 0 };
	struct sink out = { 0 }, fail = { 0 };
	const char *expr = NULL, *exfile = NULL, *opath = NULL, *fpath = NULL, *rules = NULL;
	const char *exname = "expression", *weights = NULL;
	char *text = NULL, err[1024];
	double sample = 1;
	uint64_t seed = 0;
	bool verbose = false, sampling = false;
	int c, status, i;
	size_t k;

	cli_init("flow-filter", argc, argv);
	opterr = 0;
	while ((c = getopt_long(argc, argv, ":e:f:o:vh", longopts, NULL)) != -1) {
		switch (c) {
		case 'e': expr = optarg; break;
		case 'f': exfile = optarg; break;
		case 'o': opath = optarg; break;
		case OPT_FAIL: fpath = optarg; break;
		case OPT_HEAD:
			if (num_parse_u64(optarg, 1, UINT64_MAX, &r.head) < 0)
				cli_usage_error("--head: want a positive number, not '%s'", optarg);
			break;
		case OPT_SAMPLE:
			if (num_parse_double(optarg, 0, 1, &sample) < 0 || sample <= 0)
				cli_usage_error("--sample: want a fraction in (0, 1], not '%s'", optarg);
			sampling = true;
			break;
		case OPT_SEED:
			if (num_parse_u64(optarg, 0, UINT64_MAX, &seed) < 0)
				cli_usage_error("--seed: want a number, not '%s'", optarg);
			break;
		case OPT_MAX_PER_LABEL:
			if (num_parse_u64(optarg, 1, UINT64_MAX, &r.cap) < 0)
				cli_usage_error("--max-per-label: want a positive number, not '%s'", optarg);
			break;
		case OPT_BALANCE: r.balance = true; break;
		case OPT_CLASS_WEIGHTS: weights = optarg; break;
		case OPT_CAP_MODE:
			if (strcmp(optarg, "first") == 0) r.reservoir = false;
			else if (strcmp(optarg, "reservoir") == 0) r.reservoir = true;
			else cli_usage_error("--cap-mode: first or reservoir, not '%s'", optarg);
			break;
		case OPT_LABEL_RULES: rules = optarg; break;
		case OPT_DEFAULT_LABEL:
			if (strlen(optarg) > REC_MAX_LABEL)
				cli_usage_error("--default-label: longer than %u bytes", REC_MAX_LABEL);
			r.default_label = optarg;
			break;
		case 'v': verbose = true; break;
		case 'h': cli_help(usage_text);
		case OPT_VERSION: cli_version();
		default: cli_bad_option(c, argv);
		}
	}
	if (expr && exfile) cli_usage_error("give the expression once: -e or -f");
	if (r.balance && r.cap) cli_usage_error("--balance and --max-per-label exclude each other");
	if (weights && (r.balance || r.cap))
		cli_usage_error("--class-weights excludes --balance and --max-per-label");
	if (weights) {
		load_weights(&r, weights);
		r.balance = true; /* the counting pass is --balance's */
	}
	if (r.reservoir && r.cap == 0 && !r.balance)
		cli_usage_error("--cap-mode reservoir needs --max-per-label N, --balance or --class-weights");
	if (exfile) {
		size_t len;

		text = slurp(exfile, &len);
		exname = exfile;
	} else if (expr) {
		text = strdup(expr);
	} else {
		if (optind == argc) cli_usage_error("an expression is needed (or -e EXPR, -f FILE)");
		text = strdup(argv[optind++]);
	}
	if (text == NULL) msg_die(EXIT_DATA, "out of memory");
	if ((r.ex = ex_compile(text, exname, 1, err, sizeof err)) == NULL) msg_die(EXIT_USAGE, "%s", err);
	if (rules) load_rules(&r, rules);
	if (r.balance) {
		const char *opt = weights ? "--class-weights" : "--balance";

		if (optind == argc) cli_usage_error("%s reads its inputs twice: give files, not stdin", opt);
		for (i = optind; i < argc; i++) {
			struct stat st;

			if (strcmp(argv[i], "-") == 0 || stat(argv[i], &st) < 0 || !S_ISREG(st.st_mode))
				cli_usage_error("%s reads its inputs twice: '%s' is not a regular file", opt,
				    argv[i]);
		}
	}
	if (sampling || r.reservoir) {
		struct ds_config dc = { .sample = sampling ? sample : 1, .seed = seed };

		r.ds = ds_new(&dc);
	}
	if (r.balance) {
		uint64_t min = UINT64_MAX;

		status = run_pass(&r, argv + optind, argc - optind, NULL, NULL);
		if (status != EXIT_OK) return status;
		if (weights) {
			weigh(&r);
			r.percap = true;
		} else {
			for (k = 0; k < r.kept.cap; k++)
				if (r.kept.v[k].label && r.kept.v[k].count < min) min = r.kept.v[k].count;
			lc_free(&r.kept);
			r.cap = min == UINT64_MAX ? 0 : min;
			if (min == 0 || min == UINT64_MAX) r.cap = UINT64_MAX; /* nothing matched */
		}
		for (k = 0; k < r.nrules; k++) r.rules[k].hits = 0;
		r.read = r.matched = r.failed_expr = r.sampled_out = r.unmatched = r.capped = 0;
		r.balance = false;
		if (r.ds) {
			struct ds_config dc = { .sample = sample, .seed = seed };

			ds_free(r.ds);
			r.ds = ds_new(&dc);
		}
	}
	if (out_open(&out.of, opath) < 0) {
		status = EXIT_DATA;
		goto done;
	}
	if ((out.w = rs_wopen(out.of.fp, out.of.name, cli_cmdline())) == NULL) {
		out_abort(&out.of);
		status = EXIT_DATA;
		goto done;
	}
	note_expr(out.w, "filter", text);
	if (rules) note_expr(out.w, "filter.label-rules", rules);
	if (fpath) {
		if (out_open(&fail.of, fpath) < 0) {
			rw_abandon(out.w);
			rs_wclose(out.w);
			out_abort(&out.of);
			status = EXIT_DATA;
			goto done;
		}
		if ((fail.w = rs_wopen(fail.of.fp, fail.of.name, cli_cmdline())) == NULL) {
			out_abort(&fail.of);
			out_abort(&out.of);
			status = EXIT_DATA;
			goto done;
		}
		note_expr(fail.w, "filter.fail", text);
	}
	status = run_pass(&r, argv + optind, argc - optind, &out, &fail);
	if (rs_wclose(out.w) < 0) status = EXIT_DATA;
	if (fail.w && rs_wclose(fail.w) < 0) status = EXIT_DATA;
	if (verbose) {
		fprintf(stderr, "flow-filter: %llu records read, %llu matched, %llu failed the "
		    "expression, %llu sampled out, %llu over the label cap, %llu written\n",
		    (unsigned long long)r.read, (unsigned long long)r.matched,
		    (unsigned long long)r.failed_expr, (unsigned long long)r.sampled_out,
		    (unsigned long long)r.capped, (unsigned long long)r.written);
		for (k = 0; k < r.nrules; k++)
			fprintf(stderr, "flow-filter: rule %zu (%s): %llu flows\n", k + 1, r.rules[k].label,
			    (unsigned long long)r.rules[k].hits);
		if (r.nrules)
			fprintf(stderr, "flow-filter: no rule: %llu flows\n", (unsigned long long)r.unmatched);
	}
	if (status != EXIT_OK) {
		if (opath && strcmp(opath, "-") != 0) msg_warn("%s: not written: an input failed", opath);
		if (fpath && strcmp(fpath, "-") != 0) msg_warn("%s: not written: an input failed", fpath);
		out_abort(&out.of);
		if (fail.w) out_abort(&fail.of);
	} else {
		if (out_commit(&out.of) < 0) status = EXIT_DATA;
		if (fail.w && out_commit(&fail.of) < 0) status = EXIT_DATA;
	}
done:
	ex_free(r.ex);
	for (k = 0; k < r.nrules; k++) {
		ex_free(r.rules[k].ex);
		free(r.rules[k].label);
	}
	free(r.rules);
	for (k = 0; k < r.nweights; k++) free(r.weights[k].label);
	free(r.weights);
	lc_free(&r.kept);
	buf_free(&r.enc);
	ds_free(r.ds);
	free(text);
	return status;
}
