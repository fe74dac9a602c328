/*
 * memo.c - results by the bytes they were computed from (memo.h).
 */
#include "memo.h"

#include <stdlib.h>
#include <string.h>

struct memo_ent {
	size_t klen, vlen;
	uint8_t b[];             /* the key, then the value */
};

struct memo_set {
	struct memo_ent *way[MEMO_WAYS];
	uint8_t next;            /* the way replaced when all are used */
};

struct memo {
	unsigned nsets;
	size_t max;
	struct memo_set *set;
};

struct memo *memo_new(unsigned sets, size_t max)
{
	struct memo *m = calloc(1, sizeof *m);

	if (m == NULL) return NULL;
	m->nsets = sets ? sets : 1;
	m->max = max;
	if ((m->set = calloc(m->nsets, sizeof *m->set)) == NULL) {
		free(m);
		return NULL;
	}
	return m;
}

void memo_free(struct memo *m)
{
	unsigned i, w;

	if (m == NULL) return;
	for (i = 0; i < m->nsets; i++)
		for (w = 0; w < MEMO_WAYS; w++) free(m->set[i].way[w]);
	free(m->set);
	free(m);
}

/* A word at a time (multiply and fold) over the length and at most 64
 * bytes from each end: the set only; the lookup compares every byte. */
static inline uint64_t mix(uint64_t h, uint64_t w)
{
	h = (h ^ w) * 0x9e3779b97f4a7c15ull;
	return h ^ h >> 29;
}

static uint64_t hash_run(uint64_t h, const uint8_t *k, size_t n)
{
	uint64_t w;
	size_t i;

	for (i = 0; i + 8 <= n; i += 8) {
		memcpy(&w, k + i, 8);
		h = mix(h, w);
	}
	if (i < n) {
		w = 0;
		memcpy(&w, k + i, n - i);
		h = mix(h, w);
	}
	return h;
}

static struct memo_set *set_of(struct memo *m, const uint8_t *k, size_t n)
{
	size_t head = n < 64 ? n : 64, tail = n - head < 64 ? n - head : 64;
	uint64_t h = hash_run(0x243f6a8885a308d3ull ^ n, k, head);

	h = hash_run(h, k + n - tail, tail);
	return &m->set[(h ^ h >> 32) % m->nsets];
}

const uint8_t *memo_get(struct memo *m, const void *key, size_t klen, size_t *vlen)
{
	struct memo_set *s = set_of(m, key, klen);
	unsigned w;

	for (w = 0; w < MEMO_WAYS && s->way[w]; w++) {
		struct memo_ent *e = s->way[w];

		if (e->klen == klen && memcmp(e->b, key, klen) == 0) {
			*vlen = e->vlen;
			return e->b + klen;
		}
	}
	return NULL;
}

void memo_put(struct memo *m, const void *key, size_t klen, const void *val, size_t vlen)
{
	struct memo_set *s;
	struct memo_ent *e;
	unsigned w;

	if (klen > m->max || vlen > m->max - klen) return;
	s = set_of(m, key, klen);
	for (w = 0; w < MEMO_WAYS && s->way[w]; w++) continue;
	if (w == MEMO_WAYS) {
		w = s->next;
		s->next = (uint8_t)((w + 1) % MEMO_WAYS);
		free(s->way[w]);
		s->way[w] = NULL;
	}
	if ((e = malloc(sizeof *e + klen + vlen)) == NULL) return;
	e->klen = klen;
	e->vlen = vlen;
	memcpy(e->b, key, klen);
	memcpy(e->b + klen, val, vlen);
	s->way[w] = e;
}
