/*
 * flowtab.h - the flow table of pcap-flows: packets in, flow records out.
 *
 * Flows are bidirectional by default (the initiator is the SYN sender, else
 * the sender of the first packet), keyed by IP version, protocol, the two
 * addresses and the two ports.  A flow ends on FIN from both sides or RST
 * (after a linger that collects the last ACKs and retransmitted FINs: the
 * flow ends once it has been quiet that long), on a new SYN, on an idle or
 * active timeout driven by packet time, when the table is full (a closed
 * flow, else the least recently seen one is evicted), or at the end of the
 * input.  Ending flows are handed to an emit callback as finished flowrec
 * records.
 *
 * Time: a flow's own timeouts are checked when its next packet comes, with
 * that packet's time.  Flows that get no more packets are swept out with
 * the older of the current and the previous packet's time, so that one
 * packet stamped far in the future does not end every flow.
 *
 * Memory: one struct per active flow plus its per-packet table and stored
 * bytes, each capped by the configuration; nothing grows with the input.
 */
#ifndef FK_FLOWTAB_H
#define FK_FLOWTAB_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "app.h"
#include "rec.h"

enum { FT_TCP, FT_UDP, FT_OTHER, FT_NCLASS };

struct ft_config {
	uint64_t idle_ns[FT_NCLASS];  /* idle timeout per protocol class; 0 = none */
	uint64_t active_ns;           /* active timeout; 0 = none */
	uint64_t linger_ns;           /* after FIN/FIN or RST: ends when quiet this long */
	uint32_t max_flows;           /* table size limit (eviction beyond) */
	uint32_t max_pkts;            /* per-packet table cap per flow */
	uint32_t bytes_budget;        /* PKTBYTES: stored packet bytes per flow */
	uint32_t payload_budget;      /* PAYLOAD: stored payload bytes per flow */
	bool link_bytes;              /* store bytes from the link layer */
	bool unidirectional;
	bool no_split;                /* one flow per tuple per input: no timeouts, no TCP ends */
	bool drop_retrans;            /* TCP retransmissions are counted, not added */
	bool meta;                    /* application metadata (app.h) */
	struct app_config app;
};

/* Defaults: idle 300 s TCP, 120 s UDP, 60 s other; active 1800 s; linger 5 s;
 * 1 Mi flows; 16384 packets; 1024 bytes and 1024 payload bytes; metadata on
 * with app_config_default(). */
void ft_config_default(struct ft_config *c);
/* ft_config_check: 0 when every record the configuration can produce fits
 * the flowrec limits, else -1 with the reason in err. */
int ft_config_check(const struct ft_config *c, char *err, size_t errlen);

/*
 * One decoded packet, filled by the caller.  Addresses and ports are as
 * in the packet (sender first).  For ICMP the caller puts the flow key's
 * ports in sport/dport (echo identifier twice, or type << 8 | code and 0)
 * and the record's port values in rec_sport/rec_dport.  The pointers are
 * only read during ft_packet().
 */
struct ft_pkt {
	uint64_t ts_ns;
	uint64_t pkt_no;              /* 1-based number in its capture file */
	uint8_t ipv, proto;
	uint8_t src[16], dst[16];
	uint16_t sport, dport;
	uint16_t rec_sport, rec_dport; /* port values for the record (== sport/dport but for ICMP) */
	bool is_tcp;
	uint16_t tcp_flags, window;
	uint32_t seq;
	uint32_t wire_len, ip_len, l4_len, payload_len;
	uint8_t ttl, tos, pflags;     /* pflags: RP_FRAG, RP_SNAPLEN */
	/* bytes for storage */
	const uint8_t *frame;         /* the captured frame (a reassembled datagram: the datagram,
	                                 with linktype RAW) */
	uint32_t caplen, orig_len;    /* PKTBYTES incl_len and orig_len */
	uint32_t link_caplen;         /* bytes of frame that may be stored (the trailer excluded) */
	uint16_t linktype, link_len;  /* link_len: offset of the IP header in frame */
	const uint8_t *ip;            /* the IP header (in frame, or a reassembled datagram) */
	uint32_t ip_caplen;           /* captured bytes from ip on, trailer excluded */
	const uint8_t *payload;       /* the transport payload */
	uint32_t payload_caplen;      /* captured payload bytes */
	const uint8_t *mac_src, *mac_dst; /* NULL when not Ethernet */
	const uint8_t *encap;         /* ENCAP element value (5-byte entries), or NULL */
	uint8_t encap_len;
	/* set by ft_key: the flow key's hash, its version, protocol and ports in
	 * one word, and whether dst/dport come first in it */
	uint64_t hash, key_word;
	bool key_swap;
};

struct ft_stats {
	uint64_t packets;             /* packets added to flows */
	uint64_t flows, ended[END_NKNOWN], evicted, ts_backwards, retrans, retrans_dropped,
	    pkts_truncated, bytes_truncated, payload_truncated;
	uint64_t max_active;
	uint64_t held, max_held;      /* bytes the active flows need: their state and stored
	                                 per-packet entries, bytes and payload (now, at most) */
};

typedef void (*ft_emit_fn)(void *ctx, const struct rec_flow *f);
/* An emit callback that takes the stored data as it is held: elements of
 * f whose val is NULL have their value in pieces, pc[0..npc-1]
 * (rec_encode_flow_pieces), which saves copying it into one piece. */
typedef void (*ft_emit_pieces_fn)(void *ctx, const struct rec_flow *f, const struct rec_pieces *pc,
    unsigned npc);

struct ft_table;

struct ft_table *ft_new(const struct ft_config *c, ft_emit_fn emit, void *ctx);
/* ft_emit_pieces: ended flows go to emit (same ctx) instead of ft_new's callback. */
void ft_emit_pieces(struct ft_table *t, ft_emit_pieces_fn emit);
/* The source (file name) and label of the packets that follow; both are
 * copied; label may be NULL, and is at most REC_MAX_LABEL bytes (the
 * caller checks). */
void ft_set_source(struct ft_table *t, const char *file, const char *label);
/* The file name last given to ft_set_source ("" before). */
const char *ft_source(const struct ft_table *t);
/* Feed one packet (may end and emit flows). */
void ft_packet(struct ft_table *t, const struct ft_pkt *p);
/*
 * ft_key: fill p->hash and p->key_swap, which ft_packet needs, from the
 * addresses, ports and protocol.  It reads only the table's configuration,
 * so the reader thread calls it, off the flow table's thread.
 */
void ft_key(const struct ft_table *t, struct ft_pkt *p);
/* Sweep out flows whose idle, active or linger time has passed at now_ns
 * (ft_packet does it; call it on quiet live links with the clock). */
void ft_expire(struct ft_table *t, uint64_t now_ns);
/* End every flow with the given reason, in order of their first packet. */
void ft_flush(struct ft_table *t, uint8_t reason);
const struct ft_stats *ft_stats(const struct ft_table *t);
void ft_free(struct ft_table *t);

#endif
