/*
 * dataset.c - choosing the items of a data set (dataset.h).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>

#include "bytes.h"
#include "msg.h"
#include "num.h"
#include "dataset.h"

/* ---- SHA-256 ---- */

void ds_sha_new(struct ds_sha *h)
{
	h->md = EVP_MD_CTX_new();
	if (h->md == NULL) msg_die(EXIT_DATA, "out of memory");
}

void ds_sha_free(struct ds_sha *h)
{
	EVP_MD_CTX_free(h->md);
	h->md = NULL;
}

void ds_sha_begin(struct ds_sha *h)
{
	if (EVP_DigestInit_ex(h->md, EVP_sha256(), NULL) != 1) msg_die(EXIT_DATA, "SHA-256 unavailable");
}

void ds_sha_add(struct ds_sha *h, const void *p, size_t n)
{
	if (n && EVP_DigestUpdate(h->md, p, n) != 1) msg_die(EXIT_DATA, "SHA-256 failed");
}

void ds_sha_add64(struct ds_sha *h, uint64_t v)
{
	uint8_t b[8];

	put_be64(b, v);
	ds_sha_add(h, b, 8);
}

void ds_sha_end(struct ds_sha *h, uint8_t out[32])
{
	unsigned n;

	if (EVP_DigestFinal_ex(h->md, out, &n) != 1 || n != 32) msg_die(EXIT_DATA, "SHA-256 failed");
}

/* ---- digest set ---- */

int ds_set_find_or_add(struct ds_set *s, const uint8_t key[32], uint32_t *val)
{
	size_t i, mask;

	if (s->n * 2 >= s->cap) {
		struct ds_set t = { 0 };
		size_t j;

		t.cap = s->cap ? s->cap * 2 : 1024;
		t.keys = xmalloc(t.cap * 32);
		t.vals = xmalloc(t.cap * sizeof *t.vals);
		t.used = xcalloc(t.cap, 1);
		for (j = 0; j < s->cap; j++)
			if (s->used[j]) {
				uint32_t v = s->vals[j];

				ds_set_find_or_add(&t, s->keys + j * 32, &v);
			}
		ds_set_free(s);
		*s = t;
	}
	mask = s->cap - 1;
	/* The key is a SHA-256 digest: its first bytes are already uniform. */
	for (i = (size_t)be64(key) & mask; s->used[i]; i = (i + 1) & mask)
		if (memcmp(s->keys + i * 32, key, 32) == 0) {
			*val = s->vals[i];
			return 1;
		}
	s->used[i] = 1;
	memcpy(s->keys + i * 32, key, 32);
	s->vals[i] = *val;
	s->n++;
	return 0;
}

void ds_set_free(struct ds_set *s)
{
	free(s->keys);
	free(s->vals);
	free(s->used);
	memset(s, 0, sizeof *s);
}

/* ---- selection ---- */

/* The items a DS_CAP_LARGEST cap holds for one class: a heap whose root
 * is the weakest item (lightest; of equal weights, the latest). */
struct heap {
	struct ds_held **v;
	size_t n, cap;
};

struct ds {
	struct ds_config c;
	struct ds_stats st;
	struct ds_sha sha;
	struct ds_set dedup, images;
	uint64_t class_total[DS_NCLASS]; /* items taken or old, against the cap */
	struct heap held[DS_NCLASS];
	uint64_t offered, seq;
	struct ds_held **drained;
};

int ds_parse_split(const char *spec, struct ds_config *c, char *err, size_t errlen)
{
	char *s = xstrdup(spec), *tok, *save = NULL;
	double sum = 0;
	int rc = -1;

	c->nparts = 0;
	for (tok = strtok_r(s, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
		char *eq = strchr(tok, '='), *q;
		double fr;
		unsigned i;

		if (eq == NULL || eq == tok) {
			snprintf(err, errlen, "'%s' is not NAME=FRACTION", tok);
			goto out;
		}
		*eq = '\0';
		for (q = tok; *q; q++)
			if (!strchr("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_.", *q)) {
				snprintf(err, errlen, "part name '%s': letters, digits, '_' and '.' only", tok);
				goto out;
			}
		if (strlen(tok) >= DS_MAX_PART_NAME) {
			snprintf(err, errlen, "part name '%.20s...': at most %d characters", tok,
			    DS_MAX_PART_NAME - 1);
			goto out;
		}
		if (num_parse_double(eq + 1, 0, 1, &fr) < 0 || fr <= 0) {
			snprintf(err, errlen, "'%s' is not a fraction in (0, 1]", eq + 1);
			goto out;
		}
		for (i = 0; i < c->nparts; i++)
			if (strcmp(c->part_name[i], tok) == 0) {
				snprintf(err, errlen, "part '%s' twice", tok);
				goto out;
			}
		if (c->nparts == DS_MAX_PARTS) {
			snprintf(err, errlen, "at most %d parts", DS_MAX_PARTS);
			goto out;
		}
		sum += fr;
		strcpy(c->part_name[c->nparts], tok);
		c->part_cum[c->nparts++] = sum;
	}
	if (c->nparts == 0) {
		snprintf(err, errlen, "no parts");
		goto out;
	}
	if (sum < 1 - 1e-9 || sum > 1 + 1e-9) {
		snprintf(err, errlen, "the fractions add up to %g, not 1", sum);
		goto out;
	}
	c->part_cum[c->nparts - 1] = 1;
	rc = 0;
out:
	free(s);
	return rc;
}

struct ds *ds_new(const struct ds_config *c)
{
	struct ds *d = xcalloc(1, sizeof *d);

	d->c = *c;
	if (d->c.nparts == 0) d->c.nparts = 1;
	if (d->c.sample <= 0 || d->c.sample > 1) d->c.sample = 1;
	ds_sha_new(&d->sha);
	return d;
}

void ds_free(struct ds *d)
{
	unsigned k;
	size_t i;

	if (d == NULL) return;
	for (k = 0; k < DS_NCLASS; k++) {
		for (i = 0; i < d->held[k].n; i++) {
			free(d->held[k].v[i]->item);
			free(d->held[k].v[i]);
		}
		free(d->held[k].v);
	}
	free(d->drained);
	ds_set_free(&d->dedup);
	ds_set_free(&d->images);
	ds_sha_free(&d->sha);
	free(d);
}

const struct ds_stats *ds_stats(const struct ds *d) { return &d->st; }

/* The capture file name of a flow ("" without SOURCE) and its first packet. */
static void source_of(const struct rec_flow *f, const uint8_t **name, uint32_t *namelen,
    uint64_t *first_pkt)
{
	const struct rec_elem *src = rec_find(f, RE_SOURCE);

	*name = (const uint8_t *)"";
	*namelen = 0;
	*first_pkt = 0;
	if (src) rec_source_get(src, first_pkt, name, namelen);
}

/* Hash the identity of a flow (dataset.h) after whatever the caller began
 * with; whole: the flow, not only its file. */
static void add_identity(struct ds *d, const struct rec_flow *f, bool whole)
{
	const uint8_t *name;
	uint32_t namelen;
	uint64_t first_pkt;
	uint8_t core[4];

	source_of(f, &name, &namelen, &first_pkt);
	ds_sha_add64(&d->sha, namelen);
	ds_sha_add(&d->sha, name, namelen);
	if (!whole) return;
	ds_sha_add64(&d->sha, first_pkt);
	core[0] = f->ipv;
	core[1] = f->proto;
	put_be16(core + 2, f->sport);
	ds_sha_add(&d->sha, core, 4);
	ds_sha_add(&d->sha, f->src, 16);
	ds_sha_add(&d->sha, f->dst, 16);
	ds_sha_add64(&d->sha, f->dport);
	ds_sha_add64(&d->sha, f->first_ns);
}

/* The first 53 bits of a digest as a number uniform in [0, 1). */
static double unit_of(const uint8_t dg[32])
{
	return (double)(be64(dg) >> 11) / 9007199254740992.0;
}

bool ds_sampled(struct ds *d, const struct rec_flow *f)
{
	static const char tag[] = "flowkit sample";
	uint8_t dg[32];

	if (d->c.sample >= 1) return false;
	/* Its own tag, so that the sample and the split are independent
	 * draws from one seed. */
	ds_sha_begin(&d->sha);
	ds_sha_add(&d->sha, tag, sizeof tag - 1);
	ds_sha_add64(&d->sha, d->c.seed);
	add_identity(d, f, true);
	ds_sha_end(&d->sha, dg);
	if (unit_of(dg) < d->c.sample) return false;
	d->st.sampled_out++;
	return true;
}

uint64_t ds_flow_key(struct ds *d, const struct rec_flow *f)
{
	static const char tag[] = "flowkit reservoir";
	uint8_t dg[32];

	ds_sha_begin(&d->sha);
	ds_sha_add(&d->sha, tag, sizeof tag - 1);
	ds_sha_add64(&d->sha, d->c.seed);
	add_identity(d, f, true);
	ds_sha_end(&d->sha, dg);
	return be64(dg);
}

bool ds_is_dup(struct ds *d, const struct rec_flow *f, const uint8_t *p, size_t n)
{
	uint8_t dg[32];
	uint32_t v = 0;

	if (d->c.dedup == DS_DEDUP_NONE) return false;
	ds_sha_begin(&d->sha);
	if (d->c.dedup == DS_DEDUP_FILE) add_identity(d, f, false);
	ds_sha_add(&d->sha, p, n);
	ds_sha_end(&d->sha, dg);
	if (!ds_set_find_or_add(&d->dedup, dg, &v)) return false;
	d->st.dups++;
	return true;
}

void ds_note_old_item(struct ds *d, unsigned part, const uint8_t *item)
{
	uint8_t dg[32];
	uint32_t v = part;

	if (d->c.nparts <= 1) return;
	ds_sha_begin(&d->sha);
	ds_sha_add(&d->sha, item, d->c.item_len);
	ds_sha_end(&d->sha, dg);
	ds_set_find_or_add(&d->images, dg, &v);
}

void ds_note_old_label(struct ds *d, unsigned part, uint8_t cls)
{
	d->class_total[cls]++;
	if (part < DS_MAX_PARTS) d->st.per_part_class[part][cls]++;
}

bool ds_cap_full(struct ds *d, uint8_t cls)
{
	if (d->c.max_per_class == 0 || d->class_total[cls] < d->c.max_per_class) return false;
	d->st.capped++;
	return true;
}

unsigned ds_part_pick(struct ds *d, const struct rec_flow *f)
{
	uint8_t dg[32];
	double u;
	unsigned i;

	if (d->c.nparts <= 1) return 0;
	ds_sha_begin(&d->sha);
	ds_sha_add64(&d->sha, d->c.seed);
	add_identity(d, f, d->c.group == DS_GROUP_FLOW);
	ds_sha_end(&d->sha, dg);
	u = unit_of(dg);
	for (i = 0; i + 1 < d->c.nparts; i++)
		if (u < d->c.part_cum[i]) return i;
	return d->c.nparts - 1;
}

unsigned ds_place(struct ds *d, const uint8_t *item, unsigned part, uint8_t cls)
{
	if (d->c.nparts > 1) {
		uint8_t dg[32];
		uint32_t v = part;

		/* Identical items go where the first of them went, whatever
		 * their group says: a copy on each side would leak. */
		ds_sha_begin(&d->sha);
		ds_sha_add(&d->sha, item, d->c.item_len);
		ds_sha_end(&d->sha, dg);
		if (ds_set_find_or_add(&d->images, dg, &v) && v != part) {
			d->st.moved++;
			part = v;
		}
	}
	d->class_total[cls]++;
	d->st.per_part[part]++;
	d->st.per_part_class[part][cls]++;
	return part;
}

bool ds_next_gap(const struct ds *d, unsigned *pos, unsigned *part, uint8_t *cls,
    uint64_t *others)
{
	unsigned np = d->c.nparts;

	if (np < 2) return false;
	for (; *pos < DS_NCLASS * np; (*pos)++) {
		unsigned k = *pos / np, i = *pos % np, j;
		uint64_t any = 0;

		if (d->st.per_part_class[i][k]) continue;
		for (j = 0; j < np; j++) any += d->st.per_part_class[j][k];
		if (any == 0) continue;
		*part = i;
		*cls = (uint8_t)k;
		*others = any;
		(*pos)++;
		return true;
	}
	return false;
}

/* Is a weaker than b?  Lighter, or as heavy and offered later. */
static bool weaker(const struct ds_held *a, const struct ds_held *b)
{
	return a->weight < b->weight || (a->weight == b->weight && a->seq > b->seq);
}

static void sift_down(struct heap *h, size_t i)
{
	for (;;) {
		size_t l = 2 * i + 1, r = l + 1, m = i;
		struct ds_held *t;

		if (l < h->n && weaker(h->v[l], h->v[m])) m = l;
		if (r < h->n && weaker(h->v[r], h->v[m])) m = r;
		if (m == i) return;
		t = h->v[i];
		h->v[i] = h->v[m];
		h->v[m] = t;
		i = m;
	}
}

static void sift_up(struct heap *h, size_t i)
{
	while (i > 0) {
		size_t p = (i - 1) / 2;
		struct ds_held *t;

		if (!weaker(h->v[i], h->v[p])) return;
		t = h->v[i];
		h->v[i] = h->v[p];
		h->v[p] = t;
		i = p;
	}
}

int ds_offer(struct ds *d, uint8_t cls, uint64_t weight, uint32_t tag, unsigned part,
    const uint8_t *item)
{
	struct heap *h = &d->held[cls];
	struct ds_held x, *e;
	uint64_t room;
	bool replace = false;

	d->offered++;
	x.weight = weight;
	x.seq = d->seq++;
	room = d->c.max_per_class > d->class_total[cls] ? d->c.max_per_class - d->class_total[cls] : 0;
	if (d->c.max_per_class == 0) room = UINT64_MAX;
	if (room == 0) return 0;
	if (h->n < room) {
		if (h->n == h->cap) {
			h->cap = h->cap ? h->cap * 2 : 64;
			h->v = xrealloc(h->v, h->cap * sizeof *h->v);
		}
		e = xmalloc(sizeof *e);
		e->item = xmalloc(d->c.item_len ? d->c.item_len : 1);
		h->v[h->n++] = e;
	} else if (weaker(&x, h->v[0])) {
		return 0;
	} else {
		e = h->v[0]; /* the weakest leaves; its memory takes the new item */
		replace = true;
	}
	e->weight = x.weight;
	e->seq = x.seq;
	e->tag = tag;
	e->cls = cls;
	e->part = (uint8_t)part;
	memcpy(e->item, item, d->c.item_len);
	if (replace) sift_down(h, 0);
	else sift_up(h, h->n - 1);
	return 1;
}

static int cmp_seq(const void *a, const void *b)
{
	const struct ds_held *x = *(struct ds_held *const *)a, *y = *(struct ds_held *const *)b;

	return x->seq < y->seq ? -1 : x->seq > y->seq;
}

struct ds_held *const *ds_drain(struct ds *d, size_t *n)
{
	size_t total = 0, k;
	unsigned c;

	for (c = 0; c < DS_NCLASS; c++) total += d->held[c].n;
	free(d->drained);
	d->drained = xmalloc((total ? total : 1) * sizeof *d->drained);
	for (c = 0, k = 0; c < DS_NCLASS; c++) {
		if (d->held[c].n == 0) continue;
		memcpy(d->drained + k, d->held[c].v, d->held[c].n * sizeof *d->drained);
		k += d->held[c].n;
	}
	qsort(d->drained, total, sizeof *d->drained, cmp_seq);
	d->st.capped += d->offered - total;
	d->offered = total;
	*n = total;
	return d->drained;
}
