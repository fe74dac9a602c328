/*
 * summary.c - whole-stream summaries (summary.h): open addressing over
 * FNV-1a hashes of the key texts, doubled when half full.
 */
#include <stdlib.h>
#include <string.h>

#include "bytes.h"
#include "summary.h"

struct sm_table {
	struct sm_group **slot; /* cap entries, NULL when free */
	size_t cap, n, max;
	struct sm_group **sorted;
	enum sm_metric by;
};

static uint64_t hash(const char *p, size_t n)
{
	uint64_t h = 14695981039346656037ull;

	for (size_t i = 0; i < n; i++) h = (h ^ (uint8_t)p[i]) * 1099511628211ull;
	return h;
}

struct sm_table *sm_new(size_t max_groups)
{
	struct sm_table *t = xcalloc(1, sizeof *t);

	t->cap = 1024;
	t->slot = xcalloc(t->cap, sizeof *t->slot);
	t->max = max_groups;
	return t;
}

void sm_free(struct sm_table *t)
{
	if (!t) return;
	for (size_t i = 0; i < t->cap; i++)
		if (t->slot[i]) {
			free(t->slot[i]->key);
			free(t->slot[i]);
		}
	free(t->slot);
	free(t->sorted);
	free(t);
}

static size_t find(const struct sm_table *t, const char *key, size_t n)
{
	size_t i = (size_t)hash(key, n) & (t->cap - 1);

	while (t->slot[i] && (t->slot[i]->keylen != n || memcmp(t->slot[i]->key, key, n) != 0))
		i = (i + 1) & (t->cap - 1);
	return i;
}

static void grow(struct sm_table *t)
{
	struct sm_group **old = t->slot;
	size_t oldcap = t->cap;

	t->cap *= 2;
	t->slot = xcalloc(t->cap, sizeof *t->slot);
	for (size_t i = 0; i < oldcap; i++)
		if (old[i]) t->slot[find(t, old[i]->key, old[i]->keylen)] = old[i];
	free(old);
}

int sm_add(struct sm_table *t, const char *key, size_t keylen, uint64_t pkts, uint64_t bytes,
    uint64_t duration_ns)
{
	size_t i;
	struct sm_group *g;

	if (key == NULL) key = ""; /* the one group of -s total */
	i = find(t, key, keylen);
	g = t->slot[i];

	if (!g) {
		if (t->n == t->max) return -1;
		g = xcalloc(1, sizeof *g);
		g->key = xmalloc(keylen + 1);
		memcpy(g->key, key, keylen);
		g->key[keylen] = 0;
		g->keylen = keylen;
		t->slot[i] = g;
		if (++t->n * 2 > t->cap) grow(t);
		free(t->sorted);
		t->sorted = NULL;
	}
	g->m[SM_FLOWS]++;
	g->m[SM_PKTS] += pkts;
	g->m[SM_BYTES] += bytes;
	g->m[SM_DURATION] += duration_ns;
	return 0;
}

size_t sm_count(const struct sm_table *t) { return t->n; }

static enum sm_metric sort_by;

static int cmp(const void *a, const void *b)
{
	const struct sm_group *x = *(struct sm_group *const *)a, *y = *(struct sm_group *const *)b;
	size_t n = x->keylen < y->keylen ? x->keylen : y->keylen;
	int c;

	if (x->m[sort_by] != y->m[sort_by]) return x->m[sort_by] > y->m[sort_by] ? -1 : 1;
	if ((c = memcmp(x->key, y->key, n)) != 0) return c;
	return (x->keylen > y->keylen) - (x->keylen < y->keylen);
}

struct sm_group *const *sm_sorted(struct sm_table *t, enum sm_metric m)
{
	size_t k = 0;

	free(t->sorted);
	t->sorted = xmalloc((t->n + 1) * sizeof *t->sorted);
	for (size_t i = 0; i < t->cap; i++)
		if (t->slot[i]) t->sorted[k++] = t->slot[i];
	sort_by = m;
	qsort(t->sorted, k, sizeof *t->sorted, cmp);
	return t->sorted;
}

static const char *const metric_names[SM_NMETRICS] = { "flows", "pkts", "bytes", "duration" };

const char *sm_metric_name(enum sm_metric m) { return m < SM_NMETRICS ? metric_names[m] : NULL; }

int sm_metric_by_name(const char *name)
{
	for (int i = 0; i < SM_NMETRICS; i++)
		if (strcmp(name, metric_names[i]) == 0) return i;
	return -1;
}
