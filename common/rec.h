/*
 * rec.h - the flowrec record model and codec (format 1.0; man/flowrec.5 is
 * the normative specification, this header follows it).
 *
 * Decoding never copies: struct rec_flow and struct rec_header point into
 * the caller's record buffer, which must outlive them.  Every length is
 * validated by rec_decode_*() before anything else may look at the bytes,
 * so the element accessors below trust what they are given.
 */
#ifndef FK_REC_H
#define FK_REC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "bytes.h"

/* Record types and sizes. */
enum { REC_HEADER = 1, REC_FLOW = 2, REC_END = 3 };

#define REC_PREFIX_LEN     8u
#define REC_HEADER_FIXED   20u
#define REC_FLOW_CORE      120u
#define REC_END_LEN        32u
#define REC_MAX_LEN        (16u << 20)  /* any record */
#define REC_MAX_HEADER_LEN (1u << 20)
#define REC_VERSION_MAJOR  1
#define REC_VERSION_MINOR  0

extern const uint8_t rec_magic[8]; /* 89 46 4C 4F 57 0D 0A 1A */

/* Hard limits (flowrec(5), LIMITS). */
#define REC_MAX_ELEMS       64u      /* elements in one flow record */
#define REC_MAX_HDR_ELEMS   1024u    /* elements in one header */
#define REC_MAX_HDR_TEXT    65535u   /* one header text element */
#define REC_MAX_PROVENANCE  256u
#define REC_MAX_NOTES       256u
#define REC_MAX_PKTS        262144u  /* PACKETS entries, PKTBYTES packets */
#define REC_MAX_PKT_STORED  262144u  /* stored bytes of one packet */
#define REC_MAX_LABEL       1024u
#define REC_MAX_SOURCE_NAME 4096u
#define REC_MAX_FEATURES    4096u
#define REC_MAX_META_FIELDS 1024u
#define REC_MAX_ENCAP       32u
#define REC_U64_MAX         INT64_MAX /* u64 fields must be below 2^63 */

/* Element ids: the two top bits are properties of the id. */
#define REC_CRITICAL    0x8000u
#define REC_IDENTIFYING 0x4000u

enum {
	/* header elements */
	RH_CREATOR = 0x0001,
	RH_PROVENANCE = 0x0002,
	RH_NOTE = 0x0003,
	/* flow elements */
	RE_PACKETS = 0x0001,
	RE_PKTBYTES = 0x4002,
	RE_PAYLOAD = 0x4003,
	RE_LABEL = 0x0004,
	RE_SOURCE = 0x0005,
	RE_MAC = 0x4006,
	RE_ENCAP = 0x0007,
	RE_FEATURES = 0x0008,
	RE_TLS = 0x4010,
	RE_HTTP = 0x4011,
	RE_DNS = 0x4012,
	RE_QUIC = 0x4013,
	RE_SSH = 0x4014,
	RE_APP = 0x0015,
};

/* End reasons (flow core byte 10). */
enum {
	END_UNKNOWN = 0, END_FIN, END_RST, END_IDLE, END_ACTIVE, END_EOF,
	END_EVICTED, END_REUSED, END_NKNOWN
};

/* Flow flags (flow core bytes 12-15). */
#define RF_ANONYMIZED        0x0001u
#define RF_PKTS_TRUNCATED    0x0002u
#define RF_BYTES_TRUNCATED   0x0004u
#define RF_UNIDIRECTIONAL    0x0008u
#define RF_INITIATOR_GUESSED 0x0010u
#define RF_FRAGMENTS         0x0020u
#define RF_SNAPLEN           0x0040u
#define RF_TS_BACKWARDS      0x0080u
#define RF_PAYLOAD_TRUNCATED 0x0100u /* the PAYLOAD budget ran out (RF_BYTES_TRUNCATED: PKTBYTES') */
#define RF_NKNOWN            9

/* Per-packet flags (PACKETS entry byte 25). */
#define RP_RETRANS 0x01u
#define RP_FRAG    0x02u
#define RP_SNAPLEN 0x04u

#define REC_PKT_ENTRY    32u
#define REC_PB_HDR       28u /* PKTBYTES per-packet header */

/* One element: id, and the value bytes (pointing into the record). */
struct rec_elem {
	uint16_t id;
	uint32_t len;
	const uint8_t *val;
};

/*
 * A flow record.  Index 0 of the two-element arrays is the initiator ->
 * responder direction (src), index 1 the reverse (dst).
 */
struct rec_flow {
	uint8_t ipv, proto, end_reason;
	uint32_t flags;
	uint8_t src[16], dst[16];
	uint16_t sport, dport;
	uint16_t tcp_flags[2];
	uint64_t first_ns, last_ns;
	uint64_t pkts[2], bytes[2], l3_bytes[2];
	unsigned nelem;
	struct rec_elem elem[REC_MAX_ELEMS];
};

struct rec_header {
	uint8_t major, minor;
	unsigned nelem;
	struct rec_elem elem[REC_MAX_HDR_ELEMS];
};

struct rec_end {
	uint64_t records, packets, bytes;
};

/*
 * Decoders.  buf/len is one whole record (prefix included) whose length
 * field equals len.  On failure they return -1 and write a message
 * ("element 0x4002: packet 3: stored length 9000 exceeds element") into
 * err, which the caller prefixes with file, offset and record number.
 */
int rec_decode_header(const uint8_t *buf, size_t len, struct rec_header *h,
    char *err, size_t errlen);
int rec_decode_flow(const uint8_t *buf, size_t len, struct rec_flow *f,
    char *err, size_t errlen);
int rec_decode_end(const uint8_t *buf, size_t len, struct rec_end *e,
    char *err, size_t errlen);

/*
 * Encoders: append one whole record to b.  The flow encoder writes the
 * elements in f->elem order.  They return -1 with a message in err when a
 * limit would be broken (nothing is appended then).  Encoders do not
 * validate element contents; rec_decode_flow() on the result does.
 */
int rec_encode_header(struct buf *b, const struct rec_header *h, char *err, size_t errlen);
int rec_encode_flow(struct buf *b, const struct rec_flow *f, char *err, size_t errlen);
/*
 * A value in pieces: the flow table's stores are lists of segments, and
 * copying them into the record once, rather than into one piece first,
 * saves a copy of every byte.  rec_encode_flow_pieces is rec_encode_flow
 * where an element whose val is NULL (and len not 0) takes its value from
 * the entry of pc[0..npc-1] with its id: n pieces whose lengths add up to
 * the element's.
 */
struct rec_piece {
	const uint8_t *p;
	uint32_t len;
};
struct rec_pieces {
	uint16_t id;
	unsigned n;
	const struct rec_piece *v;
};
int rec_encode_flow_pieces(struct buf *b, const struct rec_flow *f, const struct rec_pieces *pc,
    unsigned npc, char *err, size_t errlen);
void rec_encode_end(struct buf *b, const struct rec_end *e);

/* Element lookup: the element with this id, or NULL. */
const struct rec_elem *rec_find(const struct rec_flow *f, uint16_t id);
/* Add (or, when the id is present, replace) an element; -1 when full. */
int rec_set(struct rec_flow *f, uint16_t id, const void *val, uint32_t len);
/* Remove the element with this id, keeping the order of the others. */
void rec_del(struct rec_flow *f, uint16_t id);

/* Header helpers: add an element at the end; -1 when a limit is hit. */
int rec_header_add(struct rec_header *h, uint16_t id, const void *val, uint32_t len);

/* PACKETS (validated by rec_decode_flow). */
struct rec_pkt {
	uint64_t t_ns;
	uint32_t wire_len, ip_len, l4_len, payload_len;
	uint8_t dir, pflags, ttl, tos;
	uint16_t tcp_flags, window;
};
static inline uint32_t rec_pkts_count(const struct rec_elem *e) { return be32(e->val); }
void rec_pkt_get(const struct rec_elem *e, uint32_t i, struct rec_pkt *p);
void rec_pkt_put(struct buf *b, const struct rec_pkt *p); /* appends one 32-byte entry */
/* rec_pkt_enc: the entry in q, in few stores (the flow table writes one
 * per packet, in place). */
static inline void rec_pkt_enc(uint8_t *q, const struct rec_pkt *p)
{
	put_be64(q, p->t_ns);
	put_be64(q + 8, (uint64_t)p->wire_len << 32 | p->ip_len);
	put_be64(q + 16, (uint64_t)p->l4_len << 32 | p->payload_len);
	q[24] = p->dir;
	q[25] = p->pflags;
	q[26] = p->ttl;
	q[27] = p->tos;
	put_be32(q + 28, (uint32_t)p->tcp_flags << 16 | p->window);
}

/* PKTBYTES (validated by rec_decode_flow): walk the stored packets. */
struct rec_pb {
	uint32_t index;
	uint64_t ts_ns;
	uint32_t orig_len, incl_len;
	uint16_t linktype, link_len;
	uint32_t n;
	const uint8_t *data;
};
struct rec_pb_iter {
	struct cur c;
	uint32_t left;
};
/* Returns the layer (0 network, 1 link) and the packet count. */
void rec_pb_begin(const struct rec_elem *e, uint8_t *layer, uint32_t *count,
    struct rec_pb_iter *it);
bool rec_pb_next(struct rec_pb_iter *it, struct rec_pb *pb);
void rec_pb_put(struct buf *b, const struct rec_pb *pb); /* header + bytes */
/* rec_pb_hdr: the per-packet header alone, in h. */
static inline void rec_pb_hdr(uint8_t *h, const struct rec_pb *pb)
{
	put_be32(h, pb->index);
	put_be64(h + 4, pb->ts_ns);
	put_be32(h + 12, pb->orig_len);
	put_be32(h + 16, pb->incl_len);
	put_be16(h + 20, pb->linktype);
	put_be16(h + 22, pb->link_len);
	put_be32(h + 24, pb->n);
}

/* SOURCE */
void rec_source_get(const struct rec_elem *e, uint64_t *first_pkt,
    const uint8_t **name, uint32_t *namelen);

/* FEATURES: walk (name, value) pairs. */
struct rec_feat_iter {
	struct cur c;
	uint16_t left;
};
void rec_feat_begin(const struct rec_elem *e, uint16_t *count, struct rec_feat_iter *it);
bool rec_feat_next(struct rec_feat_iter *it, const uint8_t **name, uint8_t *namelen,
    double *v);

/* ENCAP entries are REC_ENCAP_ENTRY bytes: kind, value. */
#define REC_ENCAP_ENTRY 5
enum { ENCAP_VLAN = 1, ENCAP_SVLAN = 2, ENCAP_MPLS = 3, ENCAP_PPPOE = 4 };

/* Metadata elements (TLS, HTTP, DNS, QUIC): the registry (field.h,
 * fld_meta()) knows each tag's name, type and whether it repeats. */
struct rec_meta_iter {
	struct cur c;
};
static inline void rec_meta_begin(const struct rec_elem *e, struct rec_meta_iter *it)
{
	it->c = cur_make(e->val, e->len);
}
bool rec_meta_next(struct rec_meta_iter *it, uint8_t *tag, const uint8_t **val,
    uint16_t *len);

/* Names, from the field registry (field.h). */
const char *rec_elem_name(uint16_t id);          /* "packets"; NULL if unknown */
uint16_t rec_elem_by_name(const char *name);     /* 0 if unknown */
const char *rec_end_name(uint8_t reason);        /* "fin"; NULL if unknown */
int rec_end_by_name(const char *name);           /* -1 if unknown */
const char *rec_flag_name(unsigned bit);         /* bit 0..31; NULL if unknown */
const char *rec_encap_name(uint8_t kind);        /* NULL if unknown */
int rec_encap_by_name(const char *name);

/* Is this stream prefix something else?  Returns a hint such as
 * "a pcap capture (use pcap-flows)" or NULL. */
const char *rec_sniff_foreign(const uint8_t *p, size_t n);

#endif
