/*
 * stats.c - per-flow statistics (stats.h; definitions in flow-stats(1)).
 *
 * Moments are updated one value at a time by the recurrences of Welford
 * (mean, second moment) and Terriberry (third and fourth), which stay
 * accurate where the textbook sums of powers cancel; two accumulators
 * merge by the pairwise formulas of Chan, Golub and LeVeque.
 */
#include <math.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bytes.h"
#include "stats.h"

void st_mom_add(struct st_mom *m, double x)
{
	double n1 = (double)m->n, n, delta, dn, dn2, t1;

	if (m->n == 0 || x < m->min) m->min = x;
	if (m->n == 0 || x > m->max) m->max = x;
	m->n++;
	m->sum += x;
	n = (double)m->n;
	delta = x - m->mean;
	dn = delta / n;
	dn2 = dn * dn;
	t1 = delta * dn * n1;
	m->mean += dn;
	m->m4 += t1 * dn2 * (n * n - 3 * n + 3) + 6 * dn2 * m->m2 - 4 * dn * m->m3;
	m->m3 += t1 * dn * (n - 2) - 3 * dn * m->m2;
	m->m2 += t1;
}

void st_mom_merge(struct st_mom *a, const struct st_mom *b)
{
	double na = (double)a->n, nb = (double)b->n, n, d, d2, d3, d4;
	struct st_mom r;

	if (b->n == 0) return;
	if (a->n == 0) {
		*a = *b;
		return;
	}
	n = na + nb;
	d = b->mean - a->mean;
	d2 = d * d;
	d3 = d2 * d;
	d4 = d2 * d2;
	r.n = a->n + b->n;
	r.mean = a->mean + d * nb / n;
	r.m2 = a->m2 + b->m2 + d2 * na * nb / n;
	r.m3 = a->m3 + b->m3 + d3 * na * nb * (na - nb) / (n * n) +
	    3 * d * (na * b->m2 - nb * a->m2) / n;
	r.m4 = a->m4 + b->m4 + d4 * na * nb * (na * na - na * nb + nb * nb) / (n * n * n) +
	    6 * d2 * (na * na * b->m2 + nb * nb * a->m2) / (n * n) +
	    4 * d * (na * b->m3 - nb * a->m3) / n;
	r.min = a->min < b->min ? a->min : b->min;
	r.max = a->max > b->max ? a->max : b->max;
	r.sum = a->sum + b->sum;
	*a = r;
}

double st_mom_stat(const struct st_mom *m, enum st_stat s)
{
	double n = (double)m->n;

	if (s == ST_COUNT) return n;
	if (m->n == 0) return 0;
	switch (s) { /* var = m2 / n, divided only where it is used */
	case ST_SUM: return m->sum;
	case ST_MEAN: return m->sum / n; /* exact for integers: the sum is */
	case ST_VAR: return m->m2 / n;
	case ST_STD: return sqrt(m->m2 / n);
	case ST_SVAR: return m->n > 1 ? m->m2 / (n - 1) : 0;
	case ST_SSTD: return m->n > 1 ? sqrt(m->m2 / (n - 1)) : 0;
	case ST_MIN: return m->min;
	case ST_MAX: return m->max;
	case ST_RANGE: return m->max - m->min;
	case ST_SKEW: return m->m2 > 0 ? sqrt(n) * m->m3 / pow(m->m2, 1.5) : 0;
	case ST_KURT: return m->m2 > 0 ? n * m->m4 / (m->m2 * m->m2) - 3 : 0;
	case ST_CV: return m->sum != 0 ? sqrt(m->m2 / n) / (m->sum / n) : 0;
	default: return 0;
	}
}

double st_quantile(const double *v, size_t n, double p)
{
	double vi, lo, g, a, b;
	size_t i;

	if (n == 0) return 0;
	/* numpy's "linear" method operation for operation (its virtual index
	 * (n - 1) p, and its lerp from the nearer end), so that the value
	 * agrees with numpy.quantile to the last bit. */
	vi = (double)(n - 1) * p;
	if (vi <= 0) return v[0];
	if (vi >= (double)(n - 1)) return v[n - 1];
	lo = (double)(size_t)vi; /* floor: 0 < vi < n - 1 */
	i = (size_t)lo;
	g = vi - lo;
	a = v[i];
	b = v[i + 1];
	return g >= 0.5 ? b - (b - a) * (1 - g) : a + (b - a) * g;
}

static const char *const seq_names[SQ_N] = {
	[SQ_WIRE] = "wire_len", [SQ_IP] = "ip_len", [SQ_L4] = "l4_len",
	[SQ_PAYLOAD] = "payload_len", [SQ_DATA] = "data_len",
	[SQ_WIRE_NZ] = "wire_len_nz", [SQ_IP_NZ] = "ip_len_nz", [SQ_L4_NZ] = "l4_len_nz", [SQ_IAT] = "iat", [SQ_WIN] = "win",
	[SQ_ACTIVE] = "active", [SQ_IDLE] = "idle", [SQ_BURST_PKTS] = "burst_pkts",
	[SQ_BURST_BYTES] = "burst_bytes",
};
static const char *const stat_names[ST_NSTATS] = {
	[ST_COUNT] = "count", [ST_SUM] = "sum", [ST_MEAN] = "mean", [ST_STD] = "std",
	[ST_VAR] = "var", [ST_SSTD] = "sstd", [ST_SVAR] = "svar", [ST_MIN] = "min",
	[ST_MAX] = "max", [ST_RANGE] = "range", [ST_SKEW] = "skew", [ST_KURT] = "kurt",
	[ST_CV] = "cv", [ST_MEDIAN] = "median", [ST_QUANTILE] = "p",
};

/* The sequences of the running aggregates, in their order. */
static const uint8_t run_seq[ST_RUN_NSEQ] = { SQ_WIRE, SQ_IP, SQ_L4, SQ_PAYLOAD, SQ_IAT };
static const char *const dir_names[SD_N] = { "all", "src", "dst" };
static const char *const flag_names[ST_NFLAGS] = {
	"fin", "syn", "rst", "psh", "ack", "urg", "ece", "cwr"
};
static const char *const mom_names[] = { "n", "sum", "mean", "m2", "m3", "m4", "min", "max" };
#define RUN_NMOM (sizeof mom_names / sizeof mom_names[0])

const char *st_seq_name(enum st_seq s) { return s < SQ_N ? seq_names[s] : NULL; }
const char *st_stat_name(enum st_stat s) { return s < ST_NSTATS ? stat_names[s] : NULL; }

void st_flow_init(struct st_flow *s)
{
	memset(s, 0, sizeof *s);
}

void st_flow_free(struct st_flow *s)
{
	free(s->scratch);
	free(s->cum);
	memset(s, 0, sizeof *s);
}

/*
 * The pass over the table that every sequence comes from: each packet is
 * decoded once and its values appended to their sequences' regions of
 * the scratch, in packet order (the initiator's values forward from the
 * start of the region its direction shares with the responder's, the
 * responder's backward from its end: no sequence has more values than
 * the table has entries, nor have the two directions together).  The
 * moments are then two tight loops over each flat sequence.
 */
struct coll {
	double *w[SQ_N][SD_N]; /* where the next value goes (SD_DST: just below it) */
};

static inline void put(struct coll *c, int q, int d, double x)
{
	if (d == SD_DST) *--c->w[q][d] = x;
	else *c->w[q][d]++ = x;
}

/* Seconds between two table times (which may go backwards). */
static double secs(uint64_t from, uint64_t to)
{
	return (double)(int64_t)(to - from) / 1e9;
}

/* The lengths of one packet into the sequences of direction d. */
static inline void put_lens(struct coll *c, int d, const struct rec_pkt *p, bool tcp)
{
	put(c, SQ_WIRE, d, p->wire_len);
	put(c, SQ_IP, d, p->ip_len);
	put(c, SQ_L4, d, p->l4_len);
	put(c, SQ_PAYLOAD, d, p->payload_len);
	if (p->payload_len) put(c, SQ_DATA, d, p->payload_len);
	if (p->wire_len) put(c, SQ_WIRE_NZ, d, p->wire_len);
	if (p->ip_len) put(c, SQ_IP_NZ, d, p->ip_len);
	if (p->l4_len) put(c, SQ_L4_NZ, d, p->l4_len);
	if (tcp) put(c, SQ_WIN, d, p->window);
}

static inline void put_burst(struct coll *c, int bdir, uint64_t bpkts, uint64_t bbytes)
{
	int d = bdir ? SD_DST : SD_SRC;

	put(c, SQ_BURST_PKTS, SD_ALL, (double)bpkts);
	put(c, SQ_BURST_PKTS, d, (double)bpkts);
	put(c, SQ_BURST_BYTES, SD_ALL, (double)bbytes);
	put(c, SQ_BURST_BYTES, d, (double)bbytes);
}

/*
 * TCP flag counts 8 at a time: bit b of a flags byte becomes byte b of
 * a word, and a word of counters adds it (at most 255 packets between
 * two flushes into the counters, so no byte carries into the next).
 */
#define FL_LANE(v, b) ((uint64_t)((v) >> (b) & 1) << 8 * (b))
#define FL(v) (FL_LANE(v, 0) | FL_LANE(v, 1) | FL_LANE(v, 2) | FL_LANE(v, 3) | \
	FL_LANE(v, 4) | FL_LANE(v, 5) | FL_LANE(v, 6) | FL_LANE(v, 7))
#define FL4(v) FL(v), FL((v) + 1), FL((v) + 2), FL((v) + 3)
#define FL16(v) FL4(v), FL4((v) + 4), FL4((v) + 8), FL4((v) + 12)
#define FL64(v) FL16(v), FL16((v) + 16), FL16((v) + 32), FL16((v) + 48)
/* constant, so that threads share it (flow-stats computes rows on several) */
static const uint64_t flag_lanes[256] = { FL64(0), FL64(64), FL64(128), FL64(192) };
#if ST_NFLAGS != 8
#error "flag_lanes has a lane for each of 8 flags"
#endif

static void flush_flags(uint64_t *lanes, uint64_t *cnt)
{
	for (int b = 0; b < ST_NFLAGS; b++) cnt[b] += *lanes >> 8 * b & 0xff;
	*lanes = 0;
}

static void collect(struct st_flow *s, const struct st_cfg *cfg)
{
	bool tcp = s->f->proto == 6;
	uint64_t prev[SD_N] = { 0 }, run0[SD_N] = { 0 };
	bool seen[SD_N] = { false };
	uint64_t bpkts = 0, bbytes = 0;
	uint64_t fl[SD_N][ST_NFLAGS] = { { 0 } }, lanes[SD_N] = { 0 };
	unsigned nlanes = 0; /* packets in lanes */
	int bdir = -1;
	size_t cap = s->npkts;
	double *base = s->scratch;
	struct coll c;
	struct rec_pkt p;

	for (int q = 0; q < SQ_N; q++) {
		c.w[q][SD_ALL] = base + 2 * (size_t)q * cap;
		c.w[q][SD_SRC] = base + (2 * (size_t)q + 1) * cap;
		c.w[q][SD_DST] = base + (2 * (size_t)q + 2) * cap;
	}
	for (uint32_t i = 0; i < s->npkts; i++) {
		int dd[2];

		rec_pkt_get(s->pk, i, &p);
		dd[0] = SD_ALL;
		dd[1] = p.dir ? SD_DST : SD_SRC;
		put_lens(&c, SD_ALL, &p, tcp);
		put_lens(&c, dd[1], &p, tcp);
		for (int k = 0; k < 2; k++) {
			int d = dd[k];

			if (seen[d]) {
				put(&c, SQ_IAT, d, secs(prev[d], p.t_ns));
				if ((int64_t)(p.t_ns - prev[d]) > (int64_t)cfg->idle_ns) {
					put(&c, SQ_ACTIVE, d, secs(run0[d], prev[d]));
					put(&c, SQ_IDLE, d, secs(prev[d], p.t_ns));
					run0[d] = p.t_ns;
				}
			} else {
				run0[d] = p.t_ns;
				s->init_win[d] = tcp ? p.window : -1;
			}
			seen[d] = true;
			prev[d] = p.t_ns;
		}
		lanes[dd[1]] += flag_lanes[p.tcp_flags & 0xff];
		if (++nlanes == 255) {
			nlanes = 0;
			flush_flags(&lanes[SD_SRC], fl[SD_SRC]);
			flush_flags(&lanes[SD_DST], fl[SD_DST]);
		}
		if (bdir != p.dir && bdir >= 0) {
			put_burst(&c, bdir, bpkts, bbytes);
			bpkts = bbytes = 0;
		}
		bdir = p.dir;
		bpkts++;
		bbytes += p.wire_len;
	}
	for (int d = 0; d < SD_N; d++)
		if (seen[d]) put(&c, SQ_ACTIVE, d, secs(run0[d], prev[d]));
	if (bdir >= 0) put_burst(&c, bdir, bpkts, bbytes);
	flush_flags(&lanes[SD_SRC], fl[SD_SRC]);
	flush_flags(&lanes[SD_DST], fl[SD_DST]);
	for (int b = 0; b < ST_NFLAGS; b++) {
		s->flags[SD_SRC][b] = fl[SD_SRC][b];
		s->flags[SD_DST][b] = fl[SD_DST][b];
		s->flags[SD_ALL][b] = fl[SD_SRC][b] + fl[SD_DST][b];
	}
	for (int q = 0; q < SQ_N; q++) {
		double *all = base + 2 * (size_t)q * cap, *dir = all + cap, *end = dir + cap;

		s->sorted_off[q][SD_ALL] = (size_t)(all - base);
		s->nsorted[q][SD_ALL] = (size_t)(c.w[q][SD_ALL] - all);
		s->sorted_off[q][SD_SRC] = (size_t)(dir - base);
		s->nsorted[q][SD_SRC] = (size_t)(c.w[q][SD_SRC] - dir);
		s->sorted_off[q][SD_DST] = (size_t)(c.w[q][SD_DST] - base);
		s->nsorted[q][SD_DST] = (size_t)(end - c.w[q][SD_DST]);
		for (int d = 0; d < SD_N; d++) s->npivots[q][d] = 0;
	}
	s->cum_seq = -1;
}

/* The first windows only (a capped table without --partial). */
static void first_windows(struct st_flow *s)
{
	bool tcp = s->f->proto == 6;
	struct rec_pkt p;

	for (uint32_t i = 0; i < s->npkts; i++) {
		int d;

		rec_pkt_get(s->pk, i, &p);
		d = p.dir ? SD_DST : SD_SRC;
		if (i == 0) s->init_win[SD_ALL] = tcp ? p.window : -1;
		if (s->init_win[d] < 0 && tcp) s->init_win[d] = p.window;
		if (s->init_win[SD_SRC] >= 0 && s->init_win[SD_DST] >= 0) break;
	}
}

/*
 * The moments of the n values v[0], v[step], ... in that order: their
 * count, sums and bounds, then the central moments about the mean
 * sum / n, corrected by the sum of the deviations (0 but for the
 * rounding of the mean: the corrected two-pass algorithm, extended to
 * the third and fourth moments).  For integer lengths whose mean is a
 * double the results are exact.
 */
static void moments(struct st_mom *m, const double *v, size_t n, ptrdiff_t step)
{
	double mn = v[0], mx = v[0], sum = 0, mean, c = 0, m2 = 0, m3 = 0, m4 = 0;
	const double *x = v;

	for (size_t i = 0; i < n; i++, x += step) {
		if (*x < mn) mn = *x;
		if (*x > mx) mx = *x;
		sum += *x;
	}
	m->n = n;
	m->sum = sum;
	m->min = mn;
	m->max = mx;
	m->mean = mean = sum / (double)n;
	if (mn == mx) { /* equal values: no spread at all */
		m->m2 = m->m3 = m->m4 = 0;
		return;
	}
	x = v;
	for (size_t i = 0; i < n; i++, x += step) {
		double dev = *x - mean, d2 = dev * dev;

		c += dev;
		m2 += d2;
		m3 += d2 * dev;
		m4 += d2 * d2;
	}
	/* Moments about mean + e, e = c / n the mean's rounding error. */
	{
		double e = c / (double)n;

		m->m2 = m2 - c * e;
		m->m3 = m3 - 3 * e * m2 + 2 * c * e * e;
		m->m4 = m4 - 4 * e * m3 + 6 * e * e * m2 - 3 * c * e * e * e;
		if (m->m2 < 0) m->m2 = 0;
	}
}

/* A capped flow's moments from its running aggregates, if it has them. */
static void st_flow_run(struct st_flow *s, const struct rec_flow *f)
{
	struct st_run r;

	if (!s->capped || !st_run_decode(f, &r)) return;
	for (int q = 0; q < ST_RUN_NSEQ; q++)
		memcpy(s->mom[run_seq[q]], r.mom[q], sizeof r.mom[q]);
	memcpy(s->flags, r.flags, sizeof r.flags);
	s->run = true;
}

void st_flow_table(struct st_flow *s, const struct rec_flow *f, const struct st_cfg *cfg)
{
	s->f = f;
	s->collected = false;
	s->cum_seq = -1;
	s->run = false;
	s->pk = rec_find(f, RE_PACKETS);
	s->npkts = s->pk ? rec_pkts_count(s->pk) : 0;
	s->capped = (f->flags & RF_PKTS_TRUNCATED) != 0;
	s->have = s->pk && (!s->capped || cfg->partial);
}

void st_flow_compute(struct st_flow *s, const struct rec_flow *f, const struct st_cfg *cfg)
{
	size_t need;

	st_flow_table(s, f, cfg);
	memset(s->mom, 0, sizeof s->mom);
	memset(s->flags, 0, sizeof s->flags);
	for (int d = 0; d < SD_N; d++) s->init_win[d] = -1;
	if (!s->have) {
		if (s->pk) first_windows(s); /* right even in a capped table */
		st_flow_run(s, f);
		return;
	}
	if (s->npkts == 0) {
		s->collected = true;
		memset(s->nsorted, 0, sizeof s->nsorted);
		return;
	}
	need = 2 * (size_t)SQ_N * s->npkts;
	if (need > s->scratch_cap) {
		s->scratch_cap = need;
		s->scratch = xrealloc(s->scratch, need * sizeof *s->scratch);
	}
	collect(s, cfg);
	s->collected = true;
	for (int q = 0; q < SQ_N; q++) {
		if (cfg->seqs && !(cfg->seqs >> q & 1)) continue;
		for (int d = 0; d < SD_N; d++) {
			size_t n = s->nsorted[q][d];
			const double *v = s->scratch + s->sorted_off[q][d];

			if (n == 0) continue;
			/* The responder's values lie backward: walk them from the last. */
			if (d == SD_DST) moments(&s->mom[q][d], v + n - 1, n, -1);
			else moments(&s->mom[q][d], v, n, 1);
		}
	}
}

/*
 * The k-th smallest of v[0..n), by selection in v[lo..hi] (lo <= k <= hi,
 * the values outside already on their side of it) (Hoare's partition
 * around a median of three, then the side holding k): the values are
 * reordered so that v[k] holds it, those before it are not above it and
 * those after not below.  Linear on average, where a sort is n log n.
 */
static double select_k(double *v, size_t lo, size_t hi, size_t k)
{
	ptrdiff_t l = (ptrdiff_t)lo, m = (ptrdiff_t)hi, kk = (ptrdiff_t)k;

	while (l < m) { /* Wirth's selection; the pivot a value of v[l..m] */
		double a = v[l], b = v[kk], c = v[m];
		double x = a < b ? (b < c ? b : (a < c ? c : a)) : (a < c ? a : (b < c ? c : b));
		ptrdiff_t i = l, j = m;

		do {
			while (v[i] < x) i++;
			while (x < v[j]) j--;
			if (i <= j) {
				double t = v[i];

				v[i] = v[j];
				v[j] = t;
				i++;
				j--;
			}
		} while (i <= j);
		if (j < kk) l = i;
		if (kk < i) m = j;
	}
	return v[kk];
}

/* The smallest of v[0..n), n > 0. */
static double min_of(const double *v, size_t n)
{
	double m = v[0];

	for (size_t i = 1; i < n; i++)
		if (v[i] < m) m = v[i];
	return m;
}

static double max_of(const double *v, size_t n)
{
	double m = v[0];

	for (size_t i = 1; i < n; i++)
		if (v[i] > m) m = v[i];
	return m;
}

/*
 * The ranks selected so far in one sequence: the value at each is in its
 * sorted place, those before it not above it, those after not below.
 */
struct pivots {
	size_t *k;
	uint32_t *n;
};

/* The pivots around rank k: *lo the last one below k (or -1), *hi the first above (or n). */
static bool pivot_bounds(const struct pivots *pv, size_t n, size_t k, ptrdiff_t *lo, size_t *hi)
{
	bool found = false;

	*lo = -1;
	*hi = n;
	for (uint32_t i = 0; i < *pv->n; i++) {
		if (pv->k[i] == k) found = true;
		else if (pv->k[i] < k) *lo = (ptrdiff_t)pv->k[i];
		else if (pv->k[i] < *hi) *hi = pv->k[i];
	}
	return found;
}

/* The k-th smallest of v[0..n), its rank kept as a pivot while there is room. */
static double select_rank(double *v, size_t n, size_t k, struct pivots *pv)
{
	ptrdiff_t lo;
	size_t hi, i;

	if (pivot_bounds(pv, n, k, &lo, &hi)) return v[k];
	select_k(v, (size_t)(lo + 1), hi - 1, k);
	if (*pv->n < ST_NPIVOTS) {
		for (i = *pv->n; i > 0 && pv->k[i - 1] > k; i--) pv->k[i] = pv->k[i - 1];
		pv->k[i] = k;
		++*pv->n;
	}
	return v[k];
}

/* st_quantile and median over unsorted values, by selection: the same
 * order statistics, so the same arithmetic and the same bits. */
static double select_quantile(double *v, size_t n, double p, struct pivots *pv)
{
	double vi, lo, g, a, b;
	ptrdiff_t below;
	size_t i, above;

	if (n == 0) return 0;
	vi = (double)(n - 1) * p;
	if (vi <= 0) return min_of(v, n);
	if (vi >= (double)(n - 1)) return max_of(v, n);
	lo = (double)(size_t)vi; /* floor: 0 < vi < n - 1 */
	i = (size_t)lo;
	g = vi - lo;
	a = select_rank(v, n, i, pv);
	/* The next order statistic: the least of v(i..], up to the next pivot. */
	pivot_bounds(pv, n, i, &below, &above);
	b = min_of(v + i + 1, (above < n ? above + 1 : n) - i - 1);
	return g >= 0.5 ? b - (b - a) * (1 - g) : a + (b - a) * g;
}

static double select_median(double *v, size_t n, struct pivots *pv)
{
	ptrdiff_t below;
	size_t above;
	double b;

	if (n == 0) return 0;
	b = select_rank(v, n, n / 2, pv);
	if (n & 1) return b;
	/* The rank below: the greatest of v[..n/2), from the pivot before it. */
	pivot_bounds(pv, n, n / 2, &below, &above);
	below = below < 0 ? 0 : below;
	return (max_of(v + below, n / 2 - (size_t)below) + b) / 2;
}

/* A short sequence is sorted (by insertion) at its first quantile, and
 * its quantiles read from it: cheaper than selecting each of them. */
#define SORT_MAX 24
#define SORTED UINT32_MAX /* npivots of a sorted sequence */

static void insertion_sort(double *v, size_t n)
{
	for (size_t i = 1; i < n; i++) {
		double x = v[i];
		size_t j = i;

		for (; j > 0 && v[j - 1] > x; j--) v[j] = v[j - 1];
		v[j] = x;
	}
}

/*
 * Counting: the integer sequences (all but the times) whose range is at
 * most twice their count.  The counts of the one sequence last asked
 * for are kept (the columns of one sequence's quantiles come together).
 */
static bool count_seq(struct st_flow *s, int q, int d, const double *v, size_t n)
{
	const struct st_mom *m = &s->mom[q][d];
	size_t r;

	if (q == SQ_IAT || q == SQ_ACTIVE || q == SQ_IDLE) return false;
	if (s->cum_seq == q * SD_N + d) return true;
	if (m->n != n || !(m->max - m->min < 2.0 * (double)n)) return false;
	r = (size_t)(m->max - m->min) + 1;
	if (r > s->cum_cap) {
		s->cum_cap = r;
		s->cum = xrealloc(s->cum, r * sizeof *s->cum);
	}
	memset(s->cum, 0, r * sizeof *s->cum);
	for (size_t i = 0; i < n; i++) s->cum[(size_t)(v[i] - m->min)]++;
	for (size_t j = 1; j < r; j++) s->cum[j] += s->cum[j - 1];
	s->cum_len = r;
	s->cum_min = m->min;
	s->cum_seq = q * SD_N + d;
	return true;
}

/* The k-th smallest of the counted sequence: the first j with cum[j] > k. */
static double cum_rank(const struct st_flow *s, size_t k)
{
	size_t lo = 0, hi = s->cum_len - 1;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (s->cum[mid] > k) hi = mid;
		else lo = mid + 1;
	}
	return s->cum_min + (double)lo;
}

double st_flow_quantile(struct st_flow *s, enum st_seq q, enum st_dir d, double p,
    const struct st_cfg *cfg)
{
	struct pivots pv;
	double *v;
	size_t n;

	if (!s->have || !s->collected) return 0;
	v = s->scratch + s->sorted_off[q][d];
	n = s->nsorted[q][d];
	pv.k = s->pivots[q][d];
	pv.n = &s->npivots[q][d];
	if (n > SORT_MAX && count_seq(s, q, d, v, n)) {
		size_t i;
		double g;

		if (p < 0) {
			double b = cum_rank(s, n / 2);

			return n & 1 ? b : (cum_rank(s, n / 2 - 1) + b) / 2;
		}
		/* st_quantile's arithmetic over the counted order statistics */
		g = (double)(n - 1) * p;
		if (g <= 0) return cum_rank(s, 0);
		if (g >= (double)(n - 1)) return cum_rank(s, n - 1);
		i = (size_t)g; /* floor: 0 < g < n - 1 */
		g -= (double)i;
		{
			double a = cum_rank(s, i), b = cum_rank(s, i + 1);

			return g >= 0.5 ? b - (b - a) * (1 - g) : a + (b - a) * g;
		}
	}
	if (n <= SORT_MAX) {
		if (*pv.n != SORTED) {
			insertion_sort(v, n);
			*pv.n = SORTED;
		}
		if (p >= 0) return st_quantile(v, n, p);
		if (n == 0) return 0;
		/* the same order statistics as select_median, the same sum */
		return n & 1 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
	}
	return p < 0 ? select_median(v, n, &pv) : select_quantile(v, n, p, &pv);
}


void st_run_add(struct st_run *r, const struct rec_pkt *p)
{
	int dd[2] = { SD_ALL, p->dir ? SD_DST : SD_SRC };

	for (int k = 0; k < 2; k++) {
		int d = dd[k];

		st_mom_add(&r->mom[0][d], p->wire_len);
		st_mom_add(&r->mom[1][d], p->ip_len);
		st_mom_add(&r->mom[2][d], p->l4_len);
		st_mom_add(&r->mom[3][d], p->payload_len);
		if (r->seen[d]) st_mom_add(&r->mom[4][d], secs(r->last_t[d], p->t_ns));
		r->seen[d] = true;
		r->last_t[d] = p->t_ns;
		for (int b = 0; b < ST_NFLAGS; b++)
			if (p->tcp_flags & (1u << b)) r->flags[d][b]++;
	}
}

static double *mom_field(struct st_mom *m, unsigned i)
{
	switch (i) {
	case 1: return &m->sum;
	case 2: return &m->mean;
	case 3: return &m->m2;
	case 4: return &m->m3;
	case 5: return &m->m4;
	case 6: return &m->min;
	case 7: return &m->max;
	default: return NULL;
	}
}

static void put_feature(struct buf *b, const char *name, double v)
{
	uint64_t u;
	size_t n = strlen(name);

	buf_put8(b, (uint8_t)n);
	buf_put(b, name, n);
	memcpy(&u, &v, 8);
	buf_put64(b, u);
}

void st_run_encode(const struct st_run *r, struct buf *b)
{
	char name[64];
	size_t at = b->len;
	uint16_t count = 0;

	buf_put16(b, 0);
	for (int q = 0; q < ST_RUN_NSEQ; q++)
		for (int d = 0; d < SD_N; d++)
			for (unsigned i = 0; i < RUN_NMOM; i++) {
				struct st_mom m = r->mom[q][d];
				double *v = mom_field(&m, i);

				snprintf(name, sizeof name, "fk.%s.%s.%s", seq_names[run_seq[q]],
				    dir_names[d], mom_names[i]);
				put_feature(b, name, v ? *v : (double)m.n);
				count++;
			}
	for (int d = 0; d < SD_N; d++)
		for (int k = 0; k < ST_NFLAGS; k++) {
			snprintf(name, sizeof name, "fk.%s.%s", flag_names[k], dir_names[d]);
			put_feature(b, name, (double)r->flags[d][k]);
			count++;
		}
	put_be16(b->p + at, count);
}

bool st_run_decode(const struct rec_flow *f, struct st_run *r)
{
	const struct rec_elem *e = rec_find(f, RE_FEATURES);
	struct rec_feat_iter it;
	const uint8_t *name;
	uint8_t n;
	uint16_t count;
	double v;
	char want[64];
	unsigned found = 0, q = 0, d = 0, i = 0;

	if (!e) return false;
	memset(r, 0, sizeof *r);
	/* The entries are in encoding order; anything else is not ours. */
	rec_feat_begin(e, &count, &it);
	while (rec_feat_next(&it, &name, &n, &v)) {
		if (q < ST_RUN_NSEQ) {
			snprintf(want, sizeof want, "fk.%s.%s.%s", seq_names[run_seq[q]], dir_names[d],
			    mom_names[i]);
		} else {
			snprintf(want, sizeof want, "fk.%s.%s", flag_names[i], dir_names[d]);
		}
		if (strlen(want) != n || memcmp(want, name, n) != 0) continue;
		if (q < ST_RUN_NSEQ) {
			struct st_mom *m = &r->mom[q][d];
			double *p = mom_field(m, i);

			if (p) *p = v;
			else m->n = v >= 0 && v < 9007199254740992.0 ? (uint64_t)v : 0;
			if (++i == RUN_NMOM) {
				i = 0;
				if (++d == SD_N) d = 0, q++;
			}
		} else {
			r->flags[d][i] = v >= 0 && v < 9007199254740992.0 ? (uint64_t)v : 0;
			if (++i == ST_NFLAGS) i = 0, d++;
		}
		found++;
	}
	if (found != ST_RUN_NSEQ * SD_N * RUN_NMOM + SD_N * ST_NFLAGS) return false;
	/* Damaged aggregates (not finite, negative even moments) are none. */
	for (q = 0; q < ST_RUN_NSEQ; q++)
		for (d = 0; d < SD_N; d++) {
			const struct st_mom *m = &r->mom[q][d];

			if (!isfinite(m->sum) || !isfinite(m->mean) || !isfinite(m->m2) ||
			    !isfinite(m->m3) || !isfinite(m->m4) || !isfinite(m->min) ||
			    !isfinite(m->max) || m->m2 < 0 || m->m4 < 0)
				return false;
		}
	return true;
}
