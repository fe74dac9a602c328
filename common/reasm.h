/*
 * reasm.h - bounded reassembly of the first bytes of one TCP direction.
 *
 * A struct ra_dir collects the first `max` bytes of a byte stream, in
 * sequence order from its start (the byte after the SYN, or the first
 * sequence number seen when the SYN was missed).  Retransmissions and
 * overlaps keep the bytes that came first; out-of-order segments wait in
 * a few ranges until the hole before them fills.  Memory: a direction is
 * charged `max` bytes at its first byte, to a struct ra_pool shared by
 * every direction, and gives them back in ra_free(); when the pool is
 * empty the bytes are dropped and RA_BUDGET set.  Its buffer starts at
 * RA_FIRST bytes and doubles as the bytes reach further, up to max: most
 * directions end their parse within a few kilobytes, and a buffer
 * touched only that far costs fewer fresh pages.  Zero-initialise both
 * structs.
 */
#ifndef FK_REASM_H
#define FK_REASM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Why the reassembled prefix may be short (ra_dir.flags). */
#define RA_GAP     0x01u /* the direction stopped waiting for a hole to fill (ra_abandon) */
#define RA_BUDGET  0x02u /* the direction's or the pool's byte budget ran out */
#define RA_SNAPLEN 0x04u /* a segment was cut by the capture's snapshot length */
#define RA_RANGES  0x08u /* too many out-of-order ranges: a segment was dropped */

#define RA_NRANGE 8

#define RA_NSPARE 64
#define RA_FIRST  4096 /* bytes of a direction's first buffer; spares are this size */

struct ra_pool {
	uint64_t used, limit; /* bytes held by all directions; limit 0: no limit */
	/* freed first-size buffers kept for reuse (malloc would hand their
	 * pages back and fault fresh zeroed ones in for the next flow) */
	unsigned nspare;
	uint8_t *spare[RA_NSPARE];
};

struct ra_dir {
	uint8_t *buf;
	uint32_t cap;         /* allocated: grows as bytes come, up to the max charged */
	uint32_t charged;     /* what the pool was charged for it: the direction's max */
	uint32_t len;         /* contiguous bytes from the start */
	uint32_t hi;          /* one past the highest byte offset received */
	uint32_t isn;         /* sequence number of offset 0 */
	bool started;
	uint8_t flags;        /* RA_* */
	uint8_t nr;
	struct { uint32_t s, e; } r[RA_NRANGE]; /* received beyond len, sorted, disjoint */
};

/* ra_syn: the direction's SYN carried sequence number seq (data starts
 * at seq + 1); ignored once data has been placed. */
void ra_syn(struct ra_dir *d, uint32_t seq);
/*
 * ra_add: one segment, seq its sequence number, p its caplen captured
 * bytes out of len payload bytes.  Returns true when the contiguous
 * prefix grew.  Bytes beyond max are ignored (not an error: the caller
 * asked only for the first max bytes).
 */
bool ra_add(struct ra_pool *pool, struct ra_dir *d, uint32_t max, uint32_t seq,
    const uint8_t *p, uint32_t caplen, uint32_t len);
/* ra_first: nothing has been placed yet and a segment at seq starts the
 * stream (it fixes the start when no SYN was seen): the caller may parse
 * such a segment where it lies and call ra_add only if it must wait for
 * more. */
bool ra_first(struct ra_dir *d, uint32_t seq);
/* ra_holes: bytes were received past a hole (RA_GAP applies if the
 * caller's parse needed the missing bytes). */
static inline bool ra_holes(const struct ra_dir *d) { return d->hi > d->len; }
/* ra_free: give the buffer back to the pool; the direction keeps its
 * counters and flags and accepts nothing more. */
void ra_free(struct ra_pool *pool, struct ra_dir *d);
/* ra_abandon: stop waiting for the hole to fill: the bytes past it go
 * back to the pool (the buffer shrinks to the len contiguous ones, which
 * stay readable), RA_GAP is set, len and hi keep their values (ra_holes
 * stays true), and segments after it are not placed (RA_SNAPLEN is
 * still set by the ones the snapshot length cut). */
void ra_abandon(struct ra_pool *pool, struct ra_dir *d);
/* ra_pool_free: release the pool's spare buffers (every direction must
 * have been given back). */
void ra_pool_free(struct ra_pool *pool);

#endif
