/*
 * flowpic.c - FlowPic histograms from PACKETS tables (flowpic.h has the
 * rules).  The arithmetic follows the original's numpy code operation for
 * operation, in doubles, so that its pictures come out bit for bit.
 */
#include "flowpic.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bytes.h"

void fp_preset_original(struct fp_config *c)
{
	memset(c, 0, sizeof *c);
	c->window = 60;
	c->step = 60;
	c->size_bins = c->time_bins = 1500;
	c->size_lo = 0;
	c->size_hi = 1500;
	c->min_flow_pkts = 10;
	c->min_pkts = 10;
	c->min_span = 50;
	c->axis = FP_AXIS_SPAN;
	c->dir = FP_DIR_EACH;
	c->size = FP_SIZE_IP;
	c->norm = FP_NORM_NONE;
	c->clip = 255;
	c->dtype = FP_U16;
}

void fp_preset_mini(struct fp_config *c)
{
	fp_preset_original(c);
	c->window = c->step = 15;
	c->size_bins = c->time_bins = 32;
	c->min_span = 0;
	c->norm = FP_NORM_CLIP;
	c->dtype = FP_U8;
}

int fp_check(const struct fp_config *c, char *err, size_t errlen)
{
	const char *why = NULL;

	if (!(c->window > 0) || !(c->step > 0)) why = "the window and the step must be positive";
	else if (c->size_bins < 1 || c->size_bins > FP_MAX_BINS || c->time_bins < 1 ||
	    c->time_bins > FP_MAX_BINS)
		why = "bins must be from 1 to 4096";
	else if (!(c->size_lo < c->size_hi)) why = "the size range is empty";
	else if (!(c->time_lo >= 0) || c->time_hi < c->time_lo || (c->time_hi > 0 && c->axis != FP_AXIS_FIXED))
		why = "a time range needs LO < HI and the fixed time axis";
	else if (!(c->min_span >= 0)) why = "the minimum span must not be negative";
	else if (c->norm == FP_NORM_CLIP && !(c->clip >= 0)) why = "the clip value must not be negative";
	if (why == NULL) return 0;
	snprintf(err, errlen, "%s", why);
	return -1;
}

size_t fp_cells(const struct fp_config *c)
{
	return (size_t)fp_channels(c) * c->size_bins * c->time_bins;
}

static size_t dtype_bytes(enum fp_dtype t)
{
	return t == FP_U8 ? 1 : t == FP_U16 ? 2 : 4;
}

size_t fp_item_bytes(const struct fp_config *c)
{
	return fp_cells(c) * dtype_bytes(c->dtype);
}

const char *fp_descr(enum fp_dtype t)
{
	return t == FP_U8 ? "<u1" : t == FP_U16 ? "<u2" : "<f4";
}

/* ---- one flow ---- */

/* The packets of one flow: entries of e whose direction is dir (2: all). */
struct flow {
	const struct fp_config *c;
	const struct rec_elem *e;
	uint32_t n;          /* entries in the table */
	unsigned dir;
	uint64_t t0_ns;      /* the flow's first packet */
	bool sorted;         /* times never go down: windows can be found by scanning on */
};

static bool takes(const struct flow *fl, const struct rec_pkt *p)
{
	return fl->dir == 2 || p->dir == fl->dir;
}

/* Microseconds from the flow's first packet, rounded half away from zero. */
static double rel_time(const struct flow *fl, uint64_t t_ns)
{
	int64_t us;

	if (t_ns >= fl->t0_ns) us = (int64_t)((t_ns - fl->t0_ns + 500) / 1000);
	else us = -(int64_t)((fl->t0_ns - t_ns + 500) / 1000);
	return (double)us / 1e6;
}

static uint32_t size_of(const struct fp_config *c, const struct rec_pkt *p)
{
	switch (c->size) {
	case FP_SIZE_WIRE: return p->wire_len;
	case FP_SIZE_L4: return p->l4_len;
	case FP_SIZE_PAYLOAD: return p->payload_len;
	default: return p->ip_len;
	}
}

/* bin(v, n): the histogram2d bin of v for n unit bins over [0, n]; -1 out. */
static long bin(double v, uint32_t n)
{
	if (!(v >= 0) || v > (double)n) return -1;
	if (v == (double)n) return (long)n - 1;
	return (long)floor(v);
}

/* One window [lo, hi]: count and span; draw when kept.  from is where the
 * scan may start (sorted tables); *next receives where the next window's
 * scan may start, *upto the latest time up to hi seen (-INFINITY: none),
 * *after the earliest time after hi (INFINITY: none). */
static int window(const struct flow *fl, uint64_t k, double lo, double hi, uint32_t from,
    uint32_t *next, double *upto, double *after, uint32_t *counts, fp_emit_fn emit, void *ctx, uint64_t *nwin)
{
	const struct fp_config *c = fl->c;
	struct fp_window w = { .dir = fl->dir, .index = k, .start = lo };
	double tf = 0, tl = 0, span;
	bool seen_next = false;
	struct rec_pkt p;
	uint32_t i, end = fl->n;
	double next_lo = (double)(k + 1) * c->step;
	size_t plane = (size_t)c->size_bins * c->time_bins;

	*next = from;
	*after = INFINITY;
	*upto = -INFINITY;
	for (i = from; i < fl->n; i++) {
		double t;

		rec_pkt_get(fl->e, i, &p);
		if (!takes(fl, &p)) continue;
		t = rel_time(fl, p.t_ns);
		if (fl->sorted && !seen_next && t < next_lo) *next = i + 1;
		else seen_next = true;
		if (t <= hi && t > *upto) *upto = t;
		if (t < lo) continue;
		if (t > hi) {
			if (t < *after) *after = t;
			if (fl->sorted) {
				end = i;
				break;
			}
			continue;
		}
		if (w.pkts == 0) tf = t;
		tl = t;
		w.pkts++;
	}
	span = tl - tf;
	if (!(w.pkts > c->min_pkts && span > c->min_span)) return 0;
	w.span = span;
	memset(counts, 0, fp_cells(c) * sizeof *counts);
	for (i = from; i < end; i++) {
		double t, x, y;
		long bx, by;
		unsigned ch = 0;

		rec_pkt_get(fl->e, i, &p);
		if (!takes(fl, &p)) continue;
		t = rel_time(fl, p.t_ns);
		if (t < lo || t > hi) continue;
		/* The original's order of operations: ((t - t0) / span) * bins. */
		if (c->axis == FP_AXIS_SPAN) x = ((t - tf) / span) * (double)c->time_bins;
		else if (c->time_hi > c->time_lo)
			x = ((t - lo - c->time_lo) / (c->time_hi - c->time_lo)) * (double)c->time_bins;
		else x = ((t - lo) / c->window) * (double)c->time_bins;
		y = ((double)size_of(c, &p) - c->size_lo) * (double)c->size_bins /
		    (c->size_hi - c->size_lo);
		bx = bin(x, c->time_bins);
		by = bin(y, c->size_bins);
		if (bx < 0 || by < 0) continue;
		if (c->dir == FP_DIR_SPLIT) ch = p.dir ? 1 : 0;
		counts[plane * ch + (size_t)by * c->time_bins + (size_t)bx]++;
		w.drawn++;
	}
	if (nwin) (*nwin)++;
	return emit(ctx, &w, counts);
}

/* A flow: its first and last packets, then its windows. */
static int one_flow(struct flow *fl, uint32_t *counts, fp_emit_fn emit, void *ctx,
    uint64_t *nwin, bool *enough)
{
	const struct fp_config *c = fl->c;
	struct rec_pkt p;
	uint64_t npk = 0, prev = 0, k;
	double last, x;
	long nw;
	uint32_t i, from = 0, next;
	int r;

	fl->sorted = true;
	for (i = 0; i < fl->n; i++) {
		rec_pkt_get(fl->e, i, &p);
		if (!takes(fl, &p)) continue;
		if (npk == 0) fl->t0_ns = p.t_ns;
		else if (p.t_ns < prev) fl->sorted = false;
		prev = p.t_ns;
		npk++;
	}
	if (npk <= c->min_flow_pkts) return 0;
	*enough = true;
	last = rel_time(fl, prev);
	/* Python: range(int(ts[-1] / DELTA_T - TPS / DELTA_T) + 1). */
	x = last / c->step - c->window / c->step;
	if (!(x > -1)) return 0;
	nw = x < 1e18 ? (long)x + 1 : (long)1e18;
	for (k = 0; k < (uint64_t)nw; k++) {
		double lo = (double)k * c->step, hi = lo + c->window, upto, after, j;

		r = window(fl, k, lo, hi, from, &next, &upto, &after, counts, emit, ctx, nwin);
		if (r) return r;
		from = next;
		/* No packet in (upto, after): once the next window starts after
		 * upto, the windows that end before after are empty, and a gap in
		 * the times costs nothing (landing a window early, for safety
		 * against rounding). */
		if ((double)(k + 1) * c->step > upto) {
			if (after == INFINITY) break;
			j = floor((after - c->window) / c->step) - 1;
			if (j > (double)(k + 1)) k = j >= (double)nw ? (uint64_t)nw : (uint64_t)j - 1;
		}
	}
	return 0;
}

int fp_flow(const struct fp_config *c, const struct rec_flow *f, uint32_t *counts,
    fp_emit_fn emit, void *ctx, uint64_t *nwin)
{
	const struct rec_elem *e = rec_find(f, RE_PACKETS);
	struct flow fl = { .c = c, .e = e };
	bool enough = false;
	unsigned d;
	int r;

	if (nwin) *nwin = 0;
	if (!c->any_proto && (f->ipv != 4 || (f->proto != 6 && f->proto != 17))) return FP_PROTO;
	if (e == NULL) return FP_NOTABLE;
	fl.n = rec_pkts_count(e);
	switch (c->dir) {
	case FP_DIR_EACH:
		for (d = 0; d < 2; d++) {
			fl.dir = d;
			if ((r = one_flow(&fl, counts, emit, ctx, nwin, &enough)) != 0) return r;
		}
		break;
	case FP_DIR_UP:
	case FP_DIR_DOWN:
		fl.dir = c->dir == FP_DIR_UP ? 0 : 1;
		if ((r = one_flow(&fl, counts, emit, ctx, nwin, &enough)) != 0) return r;
		break;
	default:
		fl.dir = 2;
		if ((r = one_flow(&fl, counts, emit, ctx, nwin, &enough)) != 0) return r;
		break;
	}
	return enough ? FP_OK : FP_FEW;
}

/* ---- normalisation and storage ---- */

static void put_value(uint8_t *out, size_t i, enum fp_dtype t, double v)
{
	switch (t) {
	case FP_U8:
		out[i] = (uint8_t)(v > 255 ? 255 : v);
		break;
	case FP_U16: {
		uint16_t u = (uint16_t)(v > 65535 ? 65535 : v);

		out[2 * i] = (uint8_t)u;
		out[2 * i + 1] = (uint8_t)(u >> 8);
		break;
	}
	default: {
		float fv = (float)v;
		uint32_t u;

		memcpy(&u, &fv, 4);
		out[4 * i] = (uint8_t)u;
		out[4 * i + 1] = (uint8_t)(u >> 8);
		out[4 * i + 2] = (uint8_t)(u >> 16);
		out[4 * i + 3] = (uint8_t)(u >> 24);
		break;
	}
	}
}

void fp_convert(const struct fp_config *c, const uint32_t *counts, uint8_t *out)
{
	size_t n = fp_cells(c), i;
	double top = c->dtype == FP_U8 ? 255 : c->dtype == FP_U16 ? 65535 : 1, max = 0, v;

	if (c->dtype != FP_F32 && (c->norm == FP_NORM_NONE || c->norm == FP_NORM_CLIP)) {
		/* The common case, without doubles: counts saturated or clipped. */
		uint32_t lim = c->dtype == FP_U8 ? 255 : 65535;

		if (c->norm == FP_NORM_CLIP && c->clip < lim) lim = (uint32_t)c->clip;
		for (i = 0; i < n; i++) {
			uint32_t u = counts[i] > lim ? lim : counts[i];

			if (c->dtype == FP_U8) {
				out[i] = (uint8_t)u;
			} else {
				out[2 * i] = (uint8_t)u;
				out[2 * i + 1] = (uint8_t)(u >> 8);
			}
		}
		return;
	}
	if (c->norm == FP_NORM_MAX || c->norm == FP_NORM_LOG)
		for (i = 0; i < n; i++)
			if (counts[i] > max) max = counts[i];
	for (i = 0; i < n; i++) {
		v = counts[i];
		switch (c->norm) {
		case FP_NORM_CLIP:
			if (v > c->clip) v = c->clip;
			break;
		case FP_NORM_MAX:
			v = max > 0 ? v / max * top : 0;
			break;
		case FP_NORM_LOG:
			v = max > 0 ? log1p(v) / log1p(max) * top : 0;
			break;
		default:
			break;
		}
		if (c->dtype != FP_F32 && c->norm >= FP_NORM_MAX) v = floor(v + 0.5);
		put_value(out, i, c->dtype, v);
	}
}

/* ---- pictures to look at ---- */

static uint32_t block(const struct fp_config *c, uint32_t max)
{
	uint32_t m = c->size_bins > c->time_bins ? c->size_bins : c->time_bins;

	return max && m > max ? (m + max - 1) / max : 1;
}

void fp_render_dims(const struct fp_config *c, uint32_t max, uint32_t *rows, uint32_t *cols)
{
	uint32_t f = block(c, max);

	*rows = (c->size_bins + f - 1) / f;
	*cols = (c->time_bins + f - 1) / f;
}

void fp_render(const struct fp_config *c, const uint32_t *counts, uint32_t max, uint8_t *rgb)
{
	uint32_t f = block(c, max), rows, cols, r, k, y, x;
	unsigned nch = fp_channels(c), ch;
	size_t plane = (size_t)c->size_bins * c->time_bins;
	double top = 0, *sum;

	fp_render_dims(c, max, &rows, &cols);
	sum = xmalloc((size_t)nch * rows * cols * sizeof *sum);
	memset(sum, 0, (size_t)nch * rows * cols * sizeof *sum);
	for (ch = 0; ch < nch; ch++)
		for (y = 0; y < c->size_bins; y++)
			for (x = 0; x < c->time_bins; x++)
				sum[((size_t)ch * rows + y / f) * cols + x / f] +=
				    counts[plane * ch + (size_t)y * c->time_bins + x];
	for (k = 0; k < nch * rows * cols; k++)
		if (sum[k] > top) top = sum[k];
	for (r = 0; r < rows; r++)
		for (x = 0; x < cols; x++) {
			uint8_t *p = rgb + ((size_t)r * cols + x) * 3;
			int v[2] = { 0, 0 }, rr, gg, bb;

			for (ch = 0; ch < nch; ch++) {
				double s = sum[((size_t)ch * rows + (rows - 1 - r)) * cols + x];

				if (s > 0) v[ch] = 96 + (int)(159 * log1p(s) / log1p(top));
			}
			if (nch == 1) {
				rr = gg = bb = 255 - v[0];
			} else {
				rr = 255 - v[0];
				gg = 255 - v[0] - v[1];
				bb = 255 - v[1];
			}
			p[0] = (uint8_t)(rr < 0 ? 0 : rr);
			p[1] = (uint8_t)(gg < 0 ? 0 : gg);
			p[2] = (uint8_t)(bb < 0 ? 0 : bb);
		}
	free(sum);
}
