/*
 * session.h - the bytes of a session, as the image and picture sinks use
 * them: the stored packets of a flow record from the network or the link
 * layer (optionally framed as the pcap file SplitCap writes), or its
 * transport payloads; header fields masked on request.
 *
 * Pure functions of the record and a struct ses_config: no I/O, no
 * messages; the caller owns every buffer.
 */
#ifndef FK_SESSION_H
#define FK_SESSION_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "bytes.h"
#include "pkt.h"
#include "rec.h"

enum ses_layer { SES_NETWORK, SES_LINK, SES_PAYLOAD };

/* Header fields ses_mask zeroes (flow-idx --mask). */
#define SES_M_ADDR 0x01u /* IPv4/IPv6 and MAC addresses */
#define SES_M_PORT 0x02u /* TCP, UDP, UDP-Lite, SCTP ports */
#define SES_M_IPID 0x04u /* IPv4 identification, IPv6 flow label */
#define SES_M_TTL  0x08u /* TTL, hop limit */
#define SES_M_CSUM 0x10u /* IPv4, TCP, UDP(-Lite), ICMP(v6), SCTP checksums */
#define SES_M_SEQ  0x20u /* TCP sequence and acknowledgement numbers */
#define SES_M_TS   0x40u /* pcap framing timestamps, TCP timestamps option */
#define SES_M_ALL  0x7fu

struct ses_config {
	enum ses_layer layer;
	bool framing;         /* SplitCap pcap framing (SES_LINK only) */
	bool orig_captured;   /* framing: orig_len = incl_len, as SplitCap writes it */
	bool trailer;         /* keep the bytes after each IP packet */
	bool tcp_udp_only;    /* sessions of other protocols are left out */
	uint32_t min_payload; /* SES_PAYLOAD: leave out packet payloads shorter than this
	                         (SplitCap's L7 output: 2, no 1-byte payloads) */
	unsigned mask;        /* SES_M_* */
	uint32_t want;        /* bytes the caller needs (an image): for short_store */
};

/* Result of ses_build. */
enum {
	SES_OK = 0,
	SES_NOBYTES = 1,      /* the record holds no PKTBYTES (network and link layers) */
	SES_PROTO = 2,        /* left out: neither TCP nor UDP (tcp_udp_only) */
	SES_E_NETSTORE = -1,  /* link layer asked for, the record holds network-layer bytes */
};

/* What ses_build says about one session besides its bytes. */
struct ses_info {
	bool short_store;     /* the producer's byte budget left fewer than want bytes
	                         although the flow had more */
	uint64_t payload_dropped; /* packet payloads left out by min_payload */
};

/*
 * ses_build(c, f, s, info): append the session bytes of flow f to s
 * (which the caller resets and owns).  Network and link layers: every
 * stored packet in capture order, each cut at its IP length unless
 * c->trailer or c->framing; a packet cut by the byte budget ends the
 * session there.  Payload: the PAYLOAD element, less the payloads shorter
 * than c->min_payload (split by the PACKETS table; where that table ends
 * or a packet was cut by the snapshot length, the rest is taken whole).
 * Returns SES_OK (s may still be empty), SES_NOBYTES, SES_PROTO or
 * SES_E_NETSTORE (nothing appended).
 */
int ses_build(const struct ses_config *c, const struct rec_flow *f, struct buf *s,
    struct ses_info *info);

/*
 * ses_mask(mask, p, n, pi): zero the SES_M_* fields in the n bytes at p,
 * which pi (pkt_decode or pkt_decode_ip of those bytes) describes; ICMP
 * error quotes are masked too.  Writes stay below n.
 */
void ses_mask(unsigned mask, uint8_t *p, uint32_t n, const struct pkt_info *pi);

/* ses_parse_mask(list, &mask, err, errlen): "addr,port,..." (field
 * names as in flow-idx(1), also "all" and "none").  0, or -1 with a
 * message in err. */
int ses_parse_mask(const char *list, unsigned *mask, char *err, size_t errlen);

/* ses_mask_bit(kind): the SES_M_* bit that masks a field of that
 * PKT_FK_* kind (0: none; the lengths are never masked). */
unsigned ses_mask_bit(unsigned kind);
/* ses_mask_list(mask, buf, n): the names of mask's fields as --mask takes
 * them ("port,ttl", in the order of flow-idx(1)); "none" for 0. */
void ses_mask_list(unsigned mask, char *buf, size_t n);

/* ses_ip_len(p, n): the IP length from an IPv4/IPv6 header itself; 0 when
 * unknown. */
uint32_t ses_ip_len(const uint8_t *p, uint32_t n);

#endif
