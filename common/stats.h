/*
 * stats.h - per-flow statistics: one-pass moments (Welford, with
 * Terriberry's third and fourth moments), exact quantiles of the
 * per-packet table, and the flow features flow-stats prints.  Every
 * definition is in flow-stats(1), FEATURES; this header names them.
 *
 * Conventions: var and std are population values (divide by n), svar and
 * sstd sample values (divide by n - 1); skew is the population skewness
 * g1 = m3 / m2^1.5 and kurt the population excess kurtosis
 * g2 = m4 / m2^2 - 3 (m_k the k-th central moment, divided by n); cv is
 * std / mean.  A statistic that its sequence cannot define (an empty
 * sequence, a variance of one value, a skewness of equal values, a cv
 * with mean 0) is 0, never inf or NaN.
 */
#ifndef FK_STATS_H
#define FK_STATS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "rec.h"

/* Running moments of a sequence of doubles. */
struct st_mom {
	uint64_t n;
	double mean, m2, m3, m4; /* m_k: sums of (x - mean)^k */
	double min, max, sum;
};

void st_mom_add(struct st_mom *m, double x);
/* st_mom_merge: a becomes the moments of both sequences (Chan et al.). */
void st_mom_merge(struct st_mom *a, const struct st_mom *b);

/* The statistics of a sequence, by number. */
enum st_stat {
	ST_COUNT, ST_SUM, ST_MEAN, ST_STD, ST_VAR, ST_SSTD, ST_SVAR, ST_MIN, ST_MAX,
	ST_RANGE, ST_SKEW, ST_KURT, ST_CV, ST_MEDIAN, ST_QUANTILE, ST_NSTATS
};
/* st_mom_stat: a moment statistic (ST_COUNT .. ST_CV) of m. */
double st_mom_stat(const struct st_mom *m, enum st_stat s);

/*
 * st_quantile(v, n, p): the p-quantile (0 <= p <= 1) of the n sorted
 * values v, interpolated linearly between order statistics at rank
 * p (n - 1) (Hyndman and Fan's definition 7, numpy's default); 0 when
 * n is 0.  The median is p = 0.5.
 */
double st_quantile(const double *v, size_t n, double p);

/* The sequences of a flow (flow-stats(1), FEATURES). */
enum st_seq {
	SQ_WIRE, SQ_IP, SQ_L4, SQ_PAYLOAD, SQ_DATA, SQ_WIRE_NZ, SQ_IP_NZ, SQ_L4_NZ,
	SQ_IAT, SQ_WIN, SQ_ACTIVE, SQ_IDLE, SQ_BURST_PKTS, SQ_BURST_BYTES, SQ_N
};
/* Direction selectors: both, initiator to responder, the reverse. */
enum st_dir { SD_ALL, SD_SRC, SD_DST, SD_N };

const char *st_seq_name(enum st_seq s);   /* "wire_len" */
const char *st_stat_name(enum st_stat s); /* "mean"; ST_QUANTILE: "p" */

/* TCP flag counters, in bit order of the TCP header (FIN is bit 0). */
#define ST_NFLAGS 8

/* Settings of the feature computation. */
struct st_cfg {
	uint64_t idle_ns;   /* a gap above this ends an active period */
	bool partial;       /* compute over a capped table's packets anyway */
	uint32_t seqs;      /* bit q: the moments of sequence q are wanted (0: all) */
};

/*
 * The features of one flow, computed from its PACKETS table.  One pass
 * decodes each packet once into flat sequences in the struct's scratch
 * (reused from flow to flow: memory is bounded by the largest table
 * seen, never by the number of flows); the moments are loops over them.
 * A quantile of a short sequence sorts it (once for all its quantiles),
 * of a long integer one of narrow range counts its values (once), of
 * any other selects in it.
 * Each quantile is found by selection; the ranks already selected in a
 * sequence (its pivots) bound the search for the next one.
 */
struct st_flow {
	const struct rec_flow *f;
	bool have;                 /* the table is complete (or cfg->partial) */
	bool capped;               /* the table holds only the first packets */
	uint32_t npkts;            /* table entries */
	struct st_mom mom[SQ_N][SD_N];
	uint64_t flags[SD_N][ST_NFLAGS];
	int64_t init_win[SD_N];   /* the first packet's window, -1 when none */
	bool run;                  /* capped, with running aggregates: mom and flags
	                            * of the first ST_RUN_NSEQ sequences hold them */
	/* scratch */
	const struct rec_elem *pk;
	size_t sorted_off[SQ_N][SD_N]; /* into scratch */
	size_t nsorted[SQ_N][SD_N];
#define ST_NPIVOTS 8
	uint32_t npivots[SQ_N][SD_N];
	size_t pivots[SQ_N][SD_N][ST_NPIVOTS]; /* ranks selected, ascending */
	double *scratch;
	size_t scratch_cap;
	bool collected;            /* the scratch holds this flow's sequences */
	/* a long integer sequence of narrow range, counted: cum[j] values
	 * are at most cum_min + j (cum_seq = q * SD_N + d, -1 for none) */
	uint32_t *cum;
	size_t cum_cap, cum_len;
	int cum_seq;
	double cum_min;
};

void st_flow_init(struct st_flow *s);
void st_flow_free(struct st_flow *s);
/* st_flow_compute: the moments and counters of f (f must outlive s's use). */
/* st_flow_table: only f, its table, npkts, capped and have (no statistics). */
void st_flow_table(struct st_flow *s, const struct rec_flow *f, const struct st_cfg *cfg);
void st_flow_compute(struct st_flow *s, const struct rec_flow *f, const struct st_cfg *cfg);
/* st_flow_quantile: the p-quantile of a sequence (by selection);
 * p < 0 gives the median: the middle value, or the mean of the two middle
 * values when the count is even (numpy.median). */
double st_flow_quantile(struct st_flow *s, enum st_seq q, enum st_dir d, double p,
    const struct st_cfg *cfg);

/*
 * Running aggregates, for a flow longer than its per-packet table
 * (pcap-flows --max-pkts): moments of the wire, IP, transport and payload
 * lengths and the inter-arrival times in each direction selector, and
 * the TCP flag counts, updated one packet at a time (Welford and
 * Terriberry) in constant memory.  They travel in the FEATURES element
 * under names that start with "fk." (flow-stats(1), "Past the table").
 */
#define ST_RUN_ENC_MAX 8192 /* the encoded FEATURES value is shorter */
#define ST_RUN_NSEQ 5 /* SQ_WIRE, SQ_IP, SQ_L4, SQ_PAYLOAD, and SQ_IAT last */
struct st_run {
	struct st_mom mom[ST_RUN_NSEQ][SD_N];
	uint64_t flags[SD_N][ST_NFLAGS];
	uint64_t last_t[SD_N];
	bool seen[SD_N];
};
/* st_run_has: do the aggregates give statistic st of sequence q? (The
 * moments of the five sequences; not medians, quantiles, other sequences.) */
static inline bool st_run_has(unsigned q, unsigned st)
{
	return (q <= SQ_PAYLOAD || q == SQ_IAT) && st < ST_MEDIAN;
}
/* st_run_add: one packet (its table entry: t_ns from the flow's start). */
void st_run_add(struct st_run *r, const struct rec_pkt *p);
/* st_run_encode: append the FEATURES value of r to b. */
void st_run_encode(const struct st_run *r, struct buf *b);
/* st_run_decode: the aggregates of f's FEATURES; false if it has none. */
bool st_run_decode(const struct rec_flow *f, struct st_run *r);

#endif
