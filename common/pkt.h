/*
 * pkt.h - packet decoding: link layers, IPv4/IPv6, transport headers.
 *
 * Pure functions over (bytes, length): no allocation, no I/O, no global
 * state, so pcap-flows, flow-anon and the fuzzers share them.  Every read
 * goes through the cursors of bytes.h and stays below caplen.
 *
 * The result is a struct pkt_info that describes the frame by offsets
 * (into the caller's frame) and decoded header fields.  pkt_decode() does
 * not clear the struct: it writes the "always" fields, then each group of
 * fields as the group is decoded, and says in pi->layers which groups are
 * valid.  Fields of a group whose bit is not set hold whatever the struct
 * held before.  This keeps the per-packet cost to the fields the packet
 * really has.
 *
 * pkt_locate() (at the end) turns a decoded frame into the positions of
 * its header fields, for the tools that rewrite them in place: they take
 * the offsets from there rather than redo the headers' arithmetic.
 */
#ifndef FK_PKT_H
#define FK_PKT_H

#include <stdint.h>

/* Link types, as LINKTYPE_* values in pcap and pcapng headers (plus the
 * DLT_* values some systems write for raw IP). */
enum {
	PKT_LT_NULL = 0,       /* BSD loopback: 4-byte AF_ value in the writer's byte order */
	PKT_LT_EN10MB = 1,     /* Ethernet II / 802.3 */
	PKT_LT_PPP = 9,        /* PPP, RFC 1661, optionally with RFC 1662 address/control */
	PKT_LT_RAW12 = 12,     /* DLT_RAW on most systems: raw IPv4 or IPv6 */
	PKT_LT_RAW14 = 14,     /* DLT_RAW on OpenBSD */
	PKT_LT_PPP_HDLC = 50,  /* PPP in HDLC-like framing (RFC 1662) or Cisco HDLC */
	PKT_LT_RAW = 101,      /* LINKTYPE_RAW */
	PKT_LT_C_HDLC = 104,   /* Cisco HDLC */
	PKT_LT_LOOP = 108,     /* OpenBSD loopback: AF_ value in network order */
	PKT_LT_SLL = 113,      /* Linux cooked capture v1 */
	PKT_LT_IPV4 = 228,
	PKT_LT_IPV6 = 229,
	PKT_LT_NFLOG = 239,    /* Linux netfilter log */
	PKT_LT_SLL2 = 276,     /* Linux cooked capture v2 */
};

/*
 * Result codes.  PKT_OK: every header the packet has was decoded (the
 * payload may still be cut by the snapshot length: see PKT_F_SNAPLEN).
 * Anything else stops decoding at the layer where it happened; pi->layers
 * still tells what was decoded before (so a caller may still key a packet
 * by addresses and protocol when PKT_L_NET is set).  PKT_E_TRUNC is "cut
 * by the snapshot length inside a header" (caplen < wirelen); the other
 * PKT_E_* codes are malformed frames (a header longer than the frame on
 * the wire, an impossible length field) or frames this module does not
 * decode (PKT_E_LINKTYPE, PKT_E_NOTIP).  pkt_strerror() names each code.
 *
 * Length fields that claim more than the enclosing layer holds (an IP
 * length past the frame, a UDP length past the IP payload) are not
 * errors: the length is clamped to what is there and flagged
 * (PKT_F_IPLEN_CLAMPED, PKT_F_UDPLEN_CLAMPED), as receivers and
 * Wireshark do.  A fragment is decoded as far as it holds headers: the
 * first one's transport header when it fits, later ones only to the
 * network layer; problems past the network layer of a fragment are not
 * reported (the reassembled datagram will tell).
 *
 * Not decoded: tunnels (GRE, IP-in-IP, VXLAN... are payload of their
 * protocol), Ethernet pseudowires below MPLS (PKT_E_NOTIP), IPv4 AH.
 */
enum {
	PKT_OK = 0,
	PKT_E_TRUNC = -1,     /* a header cut by the snapshot length */
	PKT_E_LINKTYPE = -2,  /* link type not decoded here */
	PKT_E_NOTIP = -3,     /* a link-layer protocol other than IPv4/IPv6 (ARP, LLDP...) */
	PKT_E_LINK = -4,      /* link header, VLAN tag, MPLS, PPPoE or NFLOG TLV malformed */
	PKT_E_IPVER = -5,     /* IP version nibble is not 4 or 6 (or not the one the link said) */
	PKT_E_IPHDR = -6,     /* IPv4 IHL < 5, or the frame ends before the fixed IP header */
	PKT_E_IPLEN = -7,     /* IPv4 total length < header length; jumbo length > the frame */
	PKT_E_IP6EXT = -8,    /* IPv6 extension header runs past the datagram */
	PKT_E_TRANS = -9,     /* the datagram ends before the transport header does */
	PKT_E_TCPHDR = -10,   /* TCP data offset < 5 or past the segment */
	PKT_E_UDPLEN = -11,   /* UDP length < 8 */
};
#define PKT_NERR 12

/* pi->layers: which groups of struct pkt_info are valid. */
#define PKT_L_LINK    0x01u /* link group: l2_len, ethertype, encap */
#define PKT_L_MACDST  0x02u /* mac_dst_off */
#define PKT_L_MACSRC  0x04u /* mac_src_off */
#define PKT_L_NET     0x08u /* network group (IP header) */
#define PKT_L_TRANS   0x10u /* transport group (TCP, UDP, ICMP, ICMPv6, SCTP header) */
#define PKT_L_PAYLOAD 0x20u /* payload_off, payload_len, payload_caplen */
#define PKT_L_ICMPQ   0x40u /* icmpq_off, icmpq_len */
#define PKT_L_IPCUT   0x80u /* without PKT_L_NET: an IP header at net_off (version ipver) that the
                               buffer cuts inside its fixed part (for pkt_locate) */
#define PKT_L_MACDSTCUT 0x100u /* without PKT_L_MACDST: a link header cut short (or too short)
                                  whose destination MAC would be at mac_dst_off (for pkt_locate:
                                  fewer than 6 bytes of it may be there) */
#define PKT_L_MACSRCCUT 0x200u /* the same for the source MAC at mac_src_off */

/* pi->flags. */
#define PKT_F_SNAPLEN    0x0001u /* caplen < what the headers say the frame holds */
#define PKT_F_TRAILER    0x0002u /* bytes after the IP datagram (Ethernet padding/trailer) */
#define PKT_F_FRAG       0x0004u /* a fragment of a larger datagram: reassemble (frag.h) */
#define PKT_F_FRAGHDR    0x0008u /* IPv6 fragment header present (atomic if !PKT_F_FRAG) */
#define PKT_F_DF         0x0010u /* IPv4 don't-fragment */
#define PKT_F_MF         0x0020u /* more fragments (IPv4 MF, IPv6 M) */
#define PKT_F_IPLEN_DERIVED 0x0040u /* IP length field was 0 (TSO/GSO): ip_len from the frame */
#define PKT_F_JUMBO      0x0080u /* IPv6 jumbo payload option (RFC 2675) gave the length */
#define PKT_F_IPOPTS     0x0100u /* IPv4 options present */
#define PKT_F_IP6EXT     0x0200u /* IPv6 extension headers present */
#define PKT_F_ENCAP_MORE 0x0400u /* more encapsulation than PKT_MAX_ENCAP: list cut */
#define PKT_F_ICMP_ERR   0x0800u /* ICMP/ICMPv6 error message (quotes an IP header) */
#define PKT_F_IPLEN_CLAMPED 0x1000u /* IP length field exceeds the frame on the wire: ip_len is
                                       what the frame holds (as Wireshark and receivers do) */
#define PKT_F_UDPLEN_CLAMPED 0x2000u /* UDP length exceeds the IP payload: the payload is
                                        what the IP payload holds */

/* Encapsulation kinds; the numbers are those of the flowrec ENCAP element. */
enum { PKT_ENC_VLAN = 1, PKT_ENC_SVLAN = 2, PKT_ENC_MPLS = 3, PKT_ENC_PPPOE = 4 };
#define PKT_MAX_ENCAP 8

/*
 * All offsets are from the start of the buffer given to pkt_decode (the
 * frame) or pkt_decode_ip (the datagram); lengths are in bytes.
 */
struct pkt_info {
	/* Always set. */
	uint32_t caplen;      /* bytes in the buffer */
	uint32_t wirelen;     /* bytes on the wire (never below caplen) */
	uint16_t flags;       /* PKT_F_* */
	uint16_t layers;      /* PKT_L_* */
	uint8_t n_encap;      /* entries in encap_kind/encap_val (0 when none) */

	/* Link group (PKT_L_LINK). */
	uint16_t ethertype;   /* the protocol the link layer named last: 0x0800, 0x86dd, or the
	                         non-IP one with PKT_E_NOTIP (0 where the link has no ethertype) */
	uint32_t l2_len;      /* the link header proper: Ethernet 14, SLL 16, SLL2 20, NULL 4,
	                         NFLOG up to the payload; VLAN/MPLS/PPPoE come after it */
	uint32_t mac_dst_off; /* 6-byte destination MAC (PKT_L_MACDST) */
	uint32_t mac_src_off; /* 6-byte source MAC (PKT_L_MACSRC; SLL/SLL2 when it is Ethernet) */
	uint8_t encap_kind[PKT_MAX_ENCAP]; /* PKT_ENC_*, outermost first */
	uint32_t encap_val[PKT_MAX_ENCAP]; /* VLAN: the 16-bit TCI; MPLS: the 20-bit label;
	                                      PPPoE: the session id */

	/* Network group (PKT_L_NET): the fixed IP header was decoded. */
	uint32_t net_off;     /* offset of the IP header */
	uint8_t ipver;        /* 4 or 6 */
	uint8_t proto;        /* upper-layer protocol: IPv4 protocol; IPv6 the next header where
	                         the extension chain stopped (ESP 50, no-next 59, unknown, or the
	                         transport); for a non-first IPv6 fragment the fragment's next header */
	uint8_t ttl;          /* TTL / hop limit */
	uint8_t tos;          /* TOS / traffic class */
	uint32_t flowlabel;   /* IPv6 flow label (0 for IPv4) */
	const uint8_t *saddr; /* source address (4 or 16 bytes), pointing into the buffer */
	const uint8_t *daddr; /* destination address */
	uint32_t ip_len;      /* datagram length: IPv4 total length, IPv6 40 + payload length
	                         (or the jumbo length, or derived: see flags) */
	uint32_t ip_hdr_len;  /* IP header incl. options / extension headers, up to trans_off */
	uint32_t frag_id;     /* IPv4 identification, IPv6 fragment header identification */
	uint32_t frag_off;    /* fragment offset in bytes */
	uint32_t frag_data_off; /* from net_off: where the fragment's data starts (IPv4 header
	                           length; IPv6 after the fragment header) */
	uint32_t frag_nh_off; /* IPv6: from net_off, the next-header byte naming the fragment
	                         header (the unfragmentable part is frag_data_off - 8 bytes) */
	uint8_t frag_nexthdr; /* IPv6: next header inside the fragment header; IPv4: proto */
	uint16_t sport, dport; /* ports (0 for protocols without them, and until decoded) */

	/* Transport group (PKT_L_TRANS). */
	uint32_t trans_off;   /* offset of the transport header */
	uint32_t trans_len;   /* transport header + payload, from the IP length */
	uint32_t trans_hdr_len; /* TCP data offset * 4, UDP 8, ICMP 8, SCTP 12 */
	uint32_t tcp_seq, tcp_ack;
	uint16_t tcp_flags;   /* FIN 0x01 ... CWR 0x80, AE (ex-NS) 0x100 */
	uint16_t tcp_win;
	uint16_t tcp_urp;
	uint16_t udp_len;     /* UDP length field */
	uint8_t icmp_type, icmp_code;
	uint16_t icmp_id, icmp_seq; /* ICMP header bytes 4-5 and 6-7: echo id and sequence */
	uint32_t sctp_vtag;   /* SCTP verification tag */

	/* Payload (PKT_L_PAYLOAD): after the transport header; for protocols this
	 * module does not decode, everything after the IP header(s). */
	uint32_t payload_off;
	uint32_t payload_len;    /* from the IP (or UDP) length: never the Ethernet trailer */
	uint32_t payload_caplen; /* of it, the bytes in the buffer */

	/* ICMP error quote (PKT_L_ICMPQ): the IP header (and more) quoted in an
	 * ICMP/ICMPv6 error message; decode it with pkt_decode_ip(buf + icmpq_off,
	 * icmpq_len, UINT32_MAX, &q) since quotes are usually cut short. */
	uint32_t icmpq_off;
	uint32_t icmpq_len;   /* bytes in the buffer, within the ICMP message */
};

/*
 * pkt_decode: decode one frame of the given link type.  frame and
 * caplen are the captured bytes, wirelen the length on the wire (pcap's
 * orig_len).  pi is filled as described above; nothing is allocated and
 * pi keeps pointers into frame.  Returns PKT_OK or a PKT_E_* code.
 */
int pkt_decode(uint32_t linktype, const uint8_t *frame, uint32_t caplen, uint32_t wirelen,
    struct pkt_info *pi);

/*
 * pkt_decode_general: the same, without pkt_decode's shortcut for the
 * common Ethernet/IP/TCP-or-UDP frame: every frame through the layer-by-
 * layer decoder.  The result is the same by construction; it is there so
 * that tests (fuzz_pkt) can check the shortcut against it, field by field.
 */
int pkt_decode_general(uint32_t linktype, const uint8_t *frame, uint32_t caplen,
    uint32_t wirelen, struct pkt_info *pi);

/*
 * pkt_decode_ip: decode a buffer that starts with an IPv4 or IPv6 header
 * (a reassembled datagram from frag_feed, a quoted ICMP header, a
 * tunnel's inner packet).  Link fields are reset (no PKT_L_LINK,
 * n_encap 0, net_off 0).  Pass wirelen = caplen for a whole datagram, or
 * more when the buffer is known to be cut (then a header that runs past
 * the buffer is PKT_E_TRUNC rather than malformed).
 */
int pkt_decode_ip(const uint8_t *ip, uint32_t caplen, uint32_t wirelen, struct pkt_info *pi);

/* pkt_strerror: a short constant name for a result code ("ok", "truncated"...). */
const char *pkt_strerror(int code);
/* pkt_linktype_known: 1 if pkt_decode decodes this link type. */
int pkt_linktype_known(uint32_t linktype);
/* pkt_linktype_name: "EN10MB", "LINUX_SLL"... or NULL if unknown. */
const char *pkt_linktype_name(uint32_t linktype);

/*
 * Field positions.  pkt_locate() turns a decoded struct pkt_info (and the
 * bytes it was decoded from) into a table of where each rewritable header
 * field sits, so that rewriters (flow-anon, flow-idx --mask) never redo
 * the index arithmetic of the headers.  One entry per field: its kind,
 * the header it belongs to, its offset and length in the buffer, and how
 * many of its bytes the buffer holds (have < len: cut by the end of the
 * buffer; fields that start past the end are not listed).  Fields of a
 * header the decoder did not decode whole (a link header cut short,
 * PKT_L_MACDSTCUT and PKT_L_MACSRCCUT; an IP header cut inside its
 * fixed part, PKT_L_IPCUT; a transport header cut short or malformed; a
 * header quoted short) carry PKT_FP_CUT; a cut TCP header whose data
 * offset is stored has its options walked as far as they are stored.
 * The headers quoted by
 * ICMP/ICMPv6 errors are located too (pkt_decode_ip of the quote, as
 * described for PKT_L_ICMPQ), with depth 1, 2... up to PKT_FP_MAXDEPTH;
 * a quoted field's have stops where the ICMP message does.  Offsets are
 * always from the start of the buffer.  Not listed: tunnels' inner
 * headers (the decoder does not follow tunnels), UDP-Lite's fields other
 * than ports, length and checksum (hdr PKT_H_UDPLITE: located by the RFC
 * 3828 layout, not decoded), later fragments' transport fields.
 */
enum {
	PKT_FK_MACDST = 1, /* 6 bytes */
	PKT_FK_MACSRC,     /* 6 bytes */
	PKT_FK_IPID,       /* IPv4 identification, 2 bytes */
	PKT_FK_FLOWLABEL,  /* IPv6 bytes 1-3: the low 4 bits of byte 1 and bytes 2-3 */
	PKT_FK_TTL,        /* TTL / hop limit, 1 byte */
	PKT_FK_IPCSUM,     /* IPv4 header checksum, 2 bytes */
	PKT_FK_SADDR,      /* 4 or 16 bytes */
	PKT_FK_DADDR,
	PKT_FK_SPORT,      /* TCP, UDP, UDP-Lite, SCTP: 2 bytes */
	PKT_FK_DPORT,
	PKT_FK_SEQ,        /* TCP sequence number, 4 bytes */
	PKT_FK_ACK,        /* TCP acknowledgement number, 4 bytes */
	PKT_FK_L4CSUM,     /* TCP, UDP, ICMP, ICMPv6 (2 bytes), SCTP CRC32c (4 bytes) */
	PKT_FK_TCPTS,      /* TCP timestamps option (RFC 7323 §3.2): TSval and TSecr, 8 bytes */
	PKT_FK_IPLEN,      /* IPv4 total length, IPv6 payload length: 2 bytes */
	PKT_FK_UDPLEN,     /* UDP (UDP-Lite: checksum coverage) length: 2 bytes */
	PKT_FK_N
};
/* The header a field belongs to. */
enum {
	PKT_H_LINK = 1, PKT_H_IP4, PKT_H_IP6, PKT_H_TCP, PKT_H_UDP, PKT_H_UDPLITE, PKT_H_SCTP,
	PKT_H_ICMP, PKT_H_ICMP6,
};
#define PKT_FP_CUT 0x01u     /* the field's header was not decoded whole */
#define PKT_FP_MAX 64        /* entries in a table: room for a quote chain of PKT_FP_MAXDEPTH */
#define PKT_FP_MAXDEPTH 4    /* ICMP quotes inside quotes followed */

struct pkt_fpos {
	uint32_t off;         /* from the start of the buffer */
	uint8_t len;          /* the field's length */
	uint8_t have;         /* of it, bytes in the buffer (1..len) */
	uint8_t kind;         /* PKT_FK_* */
	uint8_t hdr;          /* PKT_H_* */
	uint8_t depth;        /* 0 the packet, 1 a header quoted by an ICMP error, ... */
	uint8_t flags;        /* PKT_FP_* */
};

struct pkt_ftab {
	uint32_t n;           /* entries in f */
	uint32_t lost;        /* fields that did not fit in f (0 unless PKT_FP_MAX is too small) */
	uint8_t first[PKT_FK_N]; /* index in f of the first field of each kind at depth 0, or 0xff */
	struct pkt_fpos f[PKT_FP_MAX];
};

/*
 * pkt_locate: fill t (cleared first) with the fields of the headers pi
 * describes, following quotes levels of ICMP error quotes (0: none, at
 * most PKT_FP_MAXDEPTH); buf and pi->caplen are the bytes pi was decoded
 * from.  Reads stay below pi->caplen; nothing is written to buf.
 */
void pkt_locate(const struct pkt_info *pi, const uint8_t *buf, unsigned quotes,
    struct pkt_ftab *t);

/*
 * pkt_fp_find: the first entry of kind at depth in t, or NULL.
 * pkt_fp_span: a pointer to the field in buf of n bytes when the whole
 * field lies inside it, else NULL (the bounds-checked way to rewrite one).
 * pkt_fp_zero: zero the stored bytes of the field (its first have bytes)
 * that lie inside the n bytes of buf (none past n); returns how many.
 */
const struct pkt_fpos *pkt_fp_find(const struct pkt_ftab *t, unsigned kind, unsigned depth);
/* pkt_fk_name: "macdst", "ttl", "tcpts"... for a PKT_FK_* kind, or NULL. */
const char *pkt_fk_name(unsigned kind);
uint8_t *pkt_fp_span(uint8_t *buf, uint32_t n, const struct pkt_fpos *f);
uint32_t pkt_fp_zero(uint8_t *buf, uint32_t n, const struct pkt_fpos *f);

#endif
