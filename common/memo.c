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

/* FNV-1a over the length and at most 64 bytes from each end: the set
 * only; the lookup compares every byte. */
static struct memo_set *set_of(struct memo *m, const uint8_t *k, size_t n)
{
	uint32_t h = 2166136261u ^ (uint32_t)n;
	size_t i, head = n < 64 ? n : 64, tail = n - head < 64 ? n - head : 64;

	for (i = 0; i < head; i++) h = (h ^ k[i]) * 16777619u;
	for (i = n - tail; i < n; i++) h = (h ^ k[i]) * 16777619u;
	return &m->set[(h ^ h >> 15) % m->nsets];
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
