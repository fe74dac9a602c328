/*
 * reasm.c - bounded TCP reassembly (reasm.h).
 *
 * Offsets are 32-bit distances from the stream start (RFC 9293 3.4:
 * sequence numbers wrap, so only differences are meaningful), and are
 * always below max, so that no arithmetic here can wrap.
 */
#include <stdlib.h>
#include <string.h>

#include "bytes.h"
#include "reasm.h"

void ra_syn(struct ra_dir *d, uint32_t seq)
{
	if (d->hi == 0) {
		d->isn = seq + 1;
		d->started = true;
	}
}

bool ra_first(struct ra_dir *d, uint32_t seq)
{
	if (d->hi != 0 || d->nr != 0) return false;
	if (!d->started) {
		d->isn = seq;
		d->started = true;
	}
	return seq == d->isn;
}

/* Charge the pool max bytes for the direction at its first byte; false
 * when the budget says no. */
static bool reserve(struct ra_pool *pool, struct ra_dir *d, uint32_t max)
{
	if (d->charged) return true;
	if (pool->limit && pool->used + max > pool->limit) {
		d->flags |= RA_BUDGET;
		return false;
	}
	pool->used += max;
	d->charged = max;
	return true;
}

/* A buffer no direction uses: a spare if it has the first size. */
static void ra_give(struct ra_pool *pool, uint8_t *buf, uint32_t cap)
{
	if (buf == NULL) return;
	if (cap == RA_FIRST && pool->nspare < RA_NSPARE) pool->spare[pool->nspare++] = buf;
	else free(buf);
}

/* Room in the buffer for offsets below e (e <= d->charged): RA_FIRST
 * bytes first (a spare when there is one), then doubling. */
static void room(struct ra_pool *pool, struct ra_dir *d, uint32_t e)
{
	uint32_t cap = d->cap;

	if (e <= cap) return;
	if (cap == 0) cap = RA_FIRST;
	while (cap < e) cap = cap > UINT32_MAX / 2 ? UINT32_MAX : cap * 2;
	if (cap > d->charged) cap = d->charged;
	if (d->cap == 0 && cap == RA_FIRST && pool->nspare) {
		d->buf = pool->spare[--pool->nspare];
	} else {
		uint8_t *nb = xmalloc(cap);

		if (d->cap) memcpy(nb, d->buf, d->hi < d->cap ? d->hi : d->cap);
		ra_give(pool, d->buf, d->cap);
		d->buf = nb;
	}
	d->cap = cap;
}

/* Copy the bytes of [s, e) that nothing received yet covers. */
static void fill(struct ra_dir *d, uint32_t s, uint32_t e, const uint8_t *src, uint32_t s0)
{
	uint32_t at = s > d->len ? s : d->len;
	unsigned i;

	for (i = 0; i <= d->nr && at < e; i++) {
		uint32_t stop = i < d->nr ? d->r[i].s : e;

		if (stop > e) stop = e;
		if (stop > at) memcpy(d->buf + at, src + (at - s0), stop - at);
		if (i < d->nr && d->r[i].e > at) at = d->r[i].e;
	}
}

/* Record [s, e) as received; false when it needs a range and none is left. */
static bool mark(struct ra_dir *d, uint32_t s, uint32_t e)
{
	unsigned i = 0, j;

	if (s <= d->len) {
		if (e > d->len) d->len = e;
	} else {
		while (i < d->nr && d->r[i].e < s) i++;
		if (i < d->nr && d->r[i].s <= e) { /* touches range i: widen it */
			if (s < d->r[i].s) d->r[i].s = s;
			if (e > d->r[i].e) d->r[i].e = e;
		} else {
			if (d->nr == RA_NRANGE) return false;
			memmove(&d->r[i + 1], &d->r[i], (d->nr - i) * sizeof d->r[0]);
			d->r[i].s = s;
			d->r[i].e = e;
			d->nr++;
		}
		/* merge range i with the ones it now reaches */
		while (i + 1 < d->nr && d->r[i + 1].s <= d->r[i].e) {
			if (d->r[i + 1].e > d->r[i].e) d->r[i].e = d->r[i + 1].e;
			memmove(&d->r[i + 1], &d->r[i + 2], (d->nr - i - 2) * sizeof d->r[0]);
			d->nr--;
		}
	}
	/* ranges that the prefix now reaches join it */
	for (j = 0; j < d->nr && d->r[j].s <= d->len; j++)
		if (d->r[j].e > d->len) d->len = d->r[j].e;
	if (j) {
		memmove(&d->r[0], &d->r[j], (d->nr - j) * sizeof d->r[0]);
		d->nr = (uint8_t)(d->nr - j);
	}
	return true;
}

bool ra_add(struct ra_pool *pool, struct ra_dir *d, uint32_t max, uint32_t seq,
    const uint8_t *p, uint32_t caplen, uint32_t len)
{
	uint32_t off, s, e, old = d->len;
	int32_t rel;

	if (caplen > len) caplen = len;
	if (caplen < len) d->flags |= RA_SNAPLEN;
	if (d->flags & RA_GAP) return false;
	if (caplen == 0 || (d->started && d->hi >= max && d->len >= max)) return false;
	if (!d->started) {
		d->isn = seq;
		d->started = true;
	}
	rel = (int32_t)(seq - d->isn);
	if (rel < 0) { /* starts before the stream start: keep what follows it */
		if ((uint32_t)-rel >= caplen) return false;
		p += (uint32_t)-rel;
		caplen -= (uint32_t)-rel;
		off = 0;
	} else {
		off = (uint32_t)rel;
	}
	if (off >= max) return false;
	s = off;
	e = caplen > max - off ? max : off + caplen;
	if (!reserve(pool, d, max)) return false;
	room(pool, d, e);
	fill(d, s, e, p, s);
	if (!mark(d, s, e)) {
		d->flags |= RA_RANGES;
		return false;
	}
	if (e > d->hi) d->hi = e;
	return d->len > old;
}

/* The buffer and its charge back to the pool. */
static void release(struct ra_pool *pool, struct ra_dir *d)
{
	pool->used -= d->charged;
	ra_give(pool, d->buf, d->cap);
	d->buf = NULL;
	d->cap = d->charged = 0;
}

void ra_free(struct ra_pool *pool, struct ra_dir *d)
{
	release(pool, d);
	d->hi = d->len = UINT32_MAX; /* accepts nothing more */
}

void ra_abandon(struct ra_pool *pool, struct ra_dir *d)
{
	d->flags |= RA_GAP;
	if (d->len == 0) {
		release(pool, d);
		return;
	}
	if (d->cap > d->len) {
		d->buf = xrealloc(d->buf, d->len);
		d->cap = d->len;
	}
	pool->used -= d->charged - d->len;
	d->charged = d->len;
}

void ra_pool_free(struct ra_pool *pool)
{
	while (pool->nspare) free(pool->spare[--pool->nspare]);
}
