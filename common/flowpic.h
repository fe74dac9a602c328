/*
 * flowpic.h - FlowPic histograms (Shapira & Shavitt) from the per-packet
 * table (PACKETS) of a flow record: packet size against arrival time
 * inside a time window, one picture per kept window.
 *
 * A "flow" is what the pictures are made of: with FP_DIR_EACH (the
 * original's unidirectional flows) each direction of a record is a flow
 * of its own, so a bidirectional record gives up to two flows; with
 * FP_DIR_UP or FP_DIR_DOWN only that direction is; with FP_DIR_MERGED and
 * FP_DIR_SPLIT the whole record is one flow, drawn in one channel or in
 * two (channel 0 initiator -> responder, channel 1 the reverse).
 *
 * The rules (flow-pic(1) gives them with the original's constants):
 *   - a flow needs more than min_flow_pkts packets in the table;
 *   - a packet's time t is its offset from the flow's first packet in
 *     table order, rounded to the microsecond, as a double in seconds;
 *     "last" is the t of the flow's last packet in table order;
 *   - window k = 0 .. trunc(last/step - window/step) covers
 *     [k*step, k*step + window], both ends closed;
 *   - a window is kept when it holds more than min_pkts packets and
 *     t(last) - t(first) of its packets, in table order, exceeds min_span;
 *   - time axis: FP_AXIS_SPAN x = (t - t_first) / span * time_bins,
 *     FP_AXIS_FIXED x = (t - k*step - time_lo) / (time_hi - time_lo) *
 *     time_bins (time_lo 0 and time_hi window unless set); size axis
 *     y = (size - size_lo) * size_bins / (size_hi - size_lo); a value
 *     below 0 or above the bin count is dropped, one equal to the bin
 *     count goes into the last bin (numpy.histogram2d's closed last bin),
 *     the others into bin floor(v);
 *   - rows are size bins, columns time bins; counts then normalised.
 */
#ifndef FK_FLOWPIC_H
#define FK_FLOWPIC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "rec.h"

enum fp_axis { FP_AXIS_SPAN, FP_AXIS_FIXED };
enum fp_dir { FP_DIR_EACH, FP_DIR_UP, FP_DIR_DOWN, FP_DIR_MERGED, FP_DIR_SPLIT };
enum fp_norm { FP_NORM_NONE, FP_NORM_CLIP, FP_NORM_MAX, FP_NORM_LOG };
enum fp_dtype { FP_U8, FP_U16, FP_F32 };
enum fp_size { FP_SIZE_IP, FP_SIZE_WIRE, FP_SIZE_L4, FP_SIZE_PAYLOAD };

#define FP_MAX_BINS 4096u

struct fp_config {
	double window, step;        /* seconds, > 0 */
	uint32_t size_bins, time_bins; /* rows, columns: 1 .. FP_MAX_BINS */
	double size_lo, size_hi;    /* the size axis, size_lo < size_hi */
	double time_lo, time_hi;    /* FP_AXIS_FIXED: the time axis in seconds from the
	                             * window's start; both 0: the window */
	uint64_t min_flow_pkts;     /* a flow needs more packets than this */
	uint64_t min_pkts;          /* a window needs more packets than this */
	double min_span;            /* and a span of more than this, >= 0 */
	enum fp_axis axis;
	enum fp_dir dir;
	enum fp_size size;
	enum fp_norm norm;
	double clip;                /* FP_NORM_CLIP: the largest count kept */
	enum fp_dtype dtype;
	bool any_proto;             /* else IPv4 TCP and UDP only */
};

/* fp_preset_original / fp_preset_mini: fill c with a preset. */
void fp_preset_original(struct fp_config *c);
void fp_preset_mini(struct fp_config *c);

/* fp_check(c, err, errlen): 0, or -1 with what is wrong in err. */
int fp_check(const struct fp_config *c, char *err, size_t errlen);

static inline unsigned fp_channels(const struct fp_config *c) { return c->dir == FP_DIR_SPLIT ? 2 : 1; }
/* Cells of one picture (channels x rows x columns), and bytes once converted. */
size_t fp_cells(const struct fp_config *c);
size_t fp_item_bytes(const struct fp_config *c);
/* The NPY descriptor of the dtype: "<u1", "<u2" or "<f4". */
const char *fp_descr(enum fp_dtype t);

/* One kept window, as fp_flow hands it to its callback. */
struct fp_window {
	unsigned dir;       /* 0 or 1 for one direction, 2 for the whole record */
	uint64_t index;     /* k */
	double start;       /* k * step */
	uint32_t pkts;      /* packets in the window (before the axes drop any) */
	uint32_t drawn;     /* packets counted in the picture */
	double span;        /* t(last) - t(first) */
};

/* Why a flow gave no window. */
enum { FP_OK = 0, FP_NOTABLE, FP_PROTO, FP_FEW };

/*
 * fp_flow(c, f, counts, emit, ctx): cut the flow(s) of record f into
 * windows and call emit(ctx, w, counts) for each kept one, counts being
 * fp_cells(c) raw counts owned by the caller (overwritten per window).
 * An emit returning non-zero stops the walk and is returned.  Otherwise
 * the result is FP_OK, or FP_NOTABLE (no PACKETS element), FP_PROTO (not
 * IPv4 TCP or UDP, unless any_proto), FP_FEW (no flow had enough
 * packets); *nwin (may be NULL) receives the windows emitted.
 */
typedef int (*fp_emit_fn)(void *ctx, const struct fp_window *w, const uint32_t *counts);
int fp_flow(const struct fp_config *c, const struct rec_flow *f, uint32_t *counts,
    fp_emit_fn emit, void *ctx, uint64_t *nwin);

/* fp_convert(c, counts, out): normalise the counts and store them as
 * c->dtype, little-endian, in out (fp_item_bytes(c) bytes). */
void fp_convert(const struct fp_config *c, const uint32_t *counts, uint8_t *out);

/*
 * Pictures to look at: fp_render_dims(c, max, &rows, &cols) gives the size
 * of a rendering at most max pixels on a side (cells summed in square
 * blocks); fp_render(c, counts, max, rgb) draws the raw counts into
 * rows x cols x 3 bytes: white background, size 0 at the bottom, time to
 * the right, darker for more packets (log scale); one channel in black,
 * two in colour: blue the initiator's packets, red the responder's.
 */
void fp_render_dims(const struct fp_config *c, uint32_t max, uint32_t *rows, uint32_t *cols);
void fp_render(const struct fp_config *c, const uint32_t *counts, uint32_t max, uint8_t *rgb);

#endif
