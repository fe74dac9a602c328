/*
 * frag.h - IPv4 and IPv6 fragment reassembly with bounded memory.
 *
 * The caller decodes each frame with pkt_decode(); a frame with
 * PKT_F_FRAG is fed to frag_feed(), which holds it until its datagram is
 * complete and then hands back the whole datagram, to be decoded with
 * pkt_decode_ip().
 *
 * Datagrams are keyed as the RFCs say: IPv4 by (source, destination,
 * protocol, identification) (RFC 791 §3.2), IPv6 by (source, destination,
 * identification) (RFC 8200 §4.5).  The reassembled IPv4 header is the
 * first fragment's (options included) with total length, flags/offset
 * and checksum rewritten; the IPv6 one is the first fragment's
 * unfragmentable part with the fragment header removed and payload
 * length and next header rewritten.
 *
 * Limits: at most max_datagrams datagrams in progress and max_bytes of
 * buffers (held and cached) at any time; when either would be exceeded,
 * the oldest datagram in progress is evicted.  A datagram is dropped
 * when timeout_ns of packet time have passed since its first fragment.
 * Datagrams may not exceed 65535 bytes (IPv4) or 65535 bytes of payload
 * (IPv6); the unfragmentable part of an IPv6 datagram may not exceed
 * FRAG_MAX_UNFRAG bytes.
 *
 * Overlap policy: bytes that overlap bytes already held must equal them;
 * then the fragment is accepted and only its new bytes are added (one
 * with no new bytes counts as a duplicate: captures see retransmitted or
 * mirrored fragments twice).  An overlap with different bytes discards
 * the whole datagram, so no choice between two readings of the same
 * bytes is ever made.  (RFC 5722 has IPv6 hosts discard on any overlap;
 * an observer that did so would lose datagrams the receiver may have
 * taken, and agreeing overlaps are harmless.)  The remaining fragments
 * of a discarded datagram are absorbed until it times out.  Fragments
 * that are inconsistent (a non-last fragment whose length is not a
 * multiple of 8, data beyond the end a last fragment set, two different
 * ends, data beyond 65535) are counted invalid and discard their
 * datagram the same way; a fragment cut by the snapshot length discards
 * its datagram as truncated.
 */
#ifndef FK_FRAG_H
#define FK_FRAG_H

#include <stdint.h>

#include "pkt.h"

#define FRAG_MAX_UNFRAG 512u

struct frag_cfg {
	uint32_t max_datagrams; /* datagrams in progress; default 1024 */
	uint64_t max_bytes;     /* buffer memory; default 32 MiB (at least one datagram's worth is used) */
	uint64_t timeout_ns;    /* from the first fragment, in packet time; default 30 s */
};

struct frag_stats {
	uint64_t fragments;   /* frag_feed calls */
	uint64_t reassembled; /* datagrams completed and returned */
	uint64_t timed_out;   /* incomplete datagrams dropped by the timeout */
	uint64_t evicted;     /* incomplete datagrams dropped to stay within the limits */
	uint64_t overlaps;    /* datagrams discarded for overlapping fragments */
	uint64_t duplicates;  /* fragments equal to bytes already held, ignored */
	uint64_t invalid;     /* fragments refused as inconsistent or too large (and their datagram) */
	uint64_t truncated;   /* datagrams discarded for a fragment cut by the snapshot length */
	uint64_t unfinished;  /* incomplete datagrams dropped by frag_flush */
	uint32_t held;        /* datagrams in progress now */
	uint64_t bytes;       /* buffer memory now */
	uint64_t peak_bytes;  /* the most buffer memory ever */
};

/* frag_cfg_default: fill cfg with the defaults above. */
void frag_cfg_default(struct frag_cfg *cfg);

/* frag_new: a reassembler (cfg NULL: defaults; zero fields: their default).
 * Allocation failure is fatal.  Free with frag_free. */
struct frag *frag_new(const struct frag_cfg *cfg);
void frag_free(struct frag *f);

/*
 * frag_feed: one fragment.  pi is what pkt_decode()/pkt_decode_ip() said of
 * buf (with PKT_F_FRAG set); ts_ns its capture time.  The fragment's bytes
 * are copied.  Returns NULL when the fragment is held (or refused: see
 * the counters), or the reassembled datagram, starting at its IP header,
 * with its length in *len; it belongs to the reassembler and stays valid
 * until the next call on f.
 */
const uint8_t *frag_feed(struct frag *f, const struct pkt_info *pi, const uint8_t *buf,
    uint64_t ts_ns, uint32_t *len);

/*
 * frag_wirelen: the length on the wire of the datagram frag_feed returned
 * last: the sum of the wire (frame) lengths of the fragments that made it,
 * link headers included; a fragment that only repeated bytes already held
 * (a duplicate) is not part of it.
 */
uint64_t frag_wirelen(const struct frag *f);

/* frag_expire: drop datagrams older than the timeout at now_ns (frag_feed
 * does this itself; call it when time advances without fragments). */
void frag_expire(struct frag *f, uint64_t now_ns);
/* frag_flush: drop every datagram in progress (end of input). */
void frag_flush(struct frag *f);

const struct frag_stats *frag_stats(const struct frag *f);

#endif
