/*
 * capflow.h - captures to flows: the per-packet pipeline between a
 * capture reader and the flow table.  For each captured packet: the BPF
 * filter, a check of the recorded wire length, decoding, fragment
 * reassembly, the conversion of the decoded packet into the flow table's
 * input (struct ft_pkt), the seed scripts' packet filters, and
 * ft_packet(); each packet that does not reach the flow table is counted
 * by reason.
 *
 * Typical use, one input after another (the caller owns ft, fr, bpf and
 * each capture, and closes them):
 *
 *	struct cf *cf = cf_new(&cfg, ft, fr, bpf);
 *	for each input:
 *		struct cap *c = cap_open(path);
 *		if (cap_status(c) == CAP_OK) cf_read(cf, c, path, label);
 *		cap_close(c, NULL);
 *	use cf_stats(cf), ft_stats(ft), frag_stats(fr);
 *	cf_free(cf);
 *
 * Messages: the module warns (msg_warn) of what a reader of the output
 * must know and the counters cannot say: a read error that ended an
 * input, the first unbelievable wire length of each input, the first
 * packet of each link type that is not decoded, a BPF run-time error.
 * It never exits (but for msg_die on a failed allocation).
 */
#ifndef FK_CAPFLOW_H
#define FK_CAPFLOW_H

#include <signal.h>
#include <stdbool.h>
#include <stdint.h>

#include "cap.h"
#include "flowtab.h"
#include "frag.h"
#include "pkt.h"

/*
 * The largest wire length taken from a capture record: above every real
 * frame (an IPv4 or IPv6 datagram of 65535 bytes, or a 512 KiB Linux
 * BIG TCP / GRO super-packet, with its link header), far below the
 * gigabytes a damaged record can claim.  A longer recorded length (that is
 * also longer than the captured bytes) is taken as this one, or as the
 * captured length when that is longer.
 */
#define CF_MAX_WIRE (1u << 20)

struct cf_config {
	bool drop_control;      /* drop TCP packets with SYN, FIN or ACK and no payload */
	bool drop_dns;          /* drop UDP packets to port 53 (both seed scripts' DNS drop) */
	bool trailer;           /* the stored frame bytes keep the bytes after the datagram */
	uint64_t count;         /* cf_read ends an input after this many packets; 0: no limit */
	/* 2 or more: cf_read reads and decodes a capture that is not live on a
	 * second thread, the flow table stays on the caller's; the calls into
	 * the flow table and the messages are the same, in the same order. */
	unsigned threads;
	/* When not NULL: cf_read ends the input once *stop is set (a live
	 * capture's signal handler sets it, and breaks the capture's loop). */
	const volatile sig_atomic_t *stop;
};

/* Why packets did not reach the flow table (cf_stats.drops). */
enum {
	CF_D_BPF, CF_D_LINKTYPE, CF_D_NOTIP, CF_D_MALFORMED, CF_D_CONTROL, CF_D_DNS, CF_D_FRAG_HELD,
	CF_D_N
};

struct cf_stats {
	uint64_t inputs;                /* cf_read calls */
	uint64_t bad_inputs;            /* inputs ended by a read error (warned) */
	uint64_t read;                  /* packets read */
	uint64_t decoded;               /* packets decoded (a datagram counts once, when complete) */
	uint64_t drops[CF_D_N];
	uint64_t malformed[PKT_NERR];   /* CF_D_MALFORMED by -PKT_E_* (0: any other code) */
	uint64_t snaplen;               /* packets cut by the snapshot length */
	uint64_t wire_clamped;          /* wire lengths taken as CF_MAX_WIRE or the captured length */
	uint64_t threaded;              /* inputs read on a second thread (cfg.threads) */
	uint64_t batches;               /* batches it handed over */
	uint64_t table_waits;           /* times the flow table waited for a batch */
	uint64_t reader_waits;          /* times the reader waited for a free batch or read buffer */
};

struct cf;

/*
 * cf_new(cfg, ft, fr, bpf): a pipeline feeding ft, reassembling with fr,
 * filtering with bpf (NULL: every packet).  cfg is copied; ft, fr and bpf
 * are borrowed and must outlive the pipeline.  Free with cf_free().
 */
struct cf *cf_new(const struct cf_config *cfg, struct ft_table *ft, struct frag *fr,
    struct cap_bpf *bpf);
/*
 * cf_read(cf, c, display, label): read the open capture c to its end (or
 * to cfg.count packets, or *cfg.stop) into the flow table as the source
 * display with label (NULL: none; both copied), then flush the fragments
 * and end every flow (END_EOF).  Packets before 1970 get time 0; a packet
 * without a time gets the time of the one before it.  A packet cut by the
 * snapshot length is used as far as it was decoded; any other decoding
 * error drops it, as receivers and tshark's conversation tables do.  On a
 * quiet live capture (CAP_TIMEOUT) flows are expired by the clock.
 * Returns 0, or -1 when a read error ended the input (warned, counted in
 * bad_inputs).  The caller closes c.
 */
int cf_read(struct cf *cf, struct cap *c, const char *display, const char *label);
const struct cf_stats *cf_stats(const struct cf *cf);
/* The reason of drops[i] in words, e.g. "not IP". */
const char *cf_drop_name(int i);
void cf_free(struct cf *cf);

#endif
