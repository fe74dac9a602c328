/*
 * field.h - the field registry: every name a flowrec record can be asked
 * about (core fields, per-packet columns, elements, the fields inside
 * elements), with its type, unit, whether it identifies a host or a
 * person, and the names of its values.  flow-json's keys, flow-anon's
 * "is a name" test, flow-filter's field names and flow-stats' columns all
 * come from here; nothing else holds a list of field names.  flowrec(5),
 * section FIELDS, documents the same table (tests/field.t compares them).
 *
 * A field's name is its JSON key, prefixed by its element's key and a dot
 * when it lives inside an element ("sport", "packets.ttl", "tls.sni").
 * Fields marked FF_DERIVED are computed from others ("duration", "pkts")
 * and have no JSON key of their own.
 *
 * The registry is constant data: lookups never allocate and may be called
 * from any thread.  Values are read from a decoded struct rec_flow (rec.h)
 * with fld_get(), which points into the record buffer and never copies.
 */
#ifndef FK_FIELD_H
#define FK_FIELD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct rec_flow;

/* Field ids, in registry order (the order of flowrec(5) FIELDS). */
enum fld_id {
	/* core, in JSON key order */
	FLD_IPV, FLD_PROTO, FLD_SRC, FLD_SPORT, FLD_DST, FLD_DPORT, FLD_FIRST_NS, FLD_LAST_NS,
	FLD_SRC_PKTS, FLD_DST_PKTS, FLD_SRC_BYTES, FLD_DST_BYTES, FLD_SRC_L3_BYTES,
	FLD_DST_L3_BYTES, FLD_SRC_TCP_FLAGS, FLD_DST_TCP_FLAGS, FLD_END, FLD_FLAGS,
	/* derived from the core */
	FLD_DURATION, FLD_PKTS, FLD_BYTES, FLD_L3_BYTES, FLD_TCP_FLAGS,
	/* PACKETS and its columns, in entry order */
	FLD_PACKETS, FLD_P_T_NS, FLD_P_WIRE_LEN, FLD_P_IP_LEN, FLD_P_L4_LEN, FLD_P_PAYLOAD_LEN,
	FLD_P_DIR, FLD_P_PFLAGS, FLD_P_TTL, FLD_P_TOS, FLD_P_TCP_FLAGS, FLD_P_WINDOW,
	/* PKTBYTES, in JSON key order */
	FLD_PKTBYTES, FLD_PB_LAYER, FLD_PB_PACKETS, FLD_PB_INDEX, FLD_PB_TS_NS, FLD_PB_ORIG_LEN,
	FLD_PB_INCL_LEN, FLD_PB_LINKTYPE, FLD_PB_LINK_LEN, FLD_PB_HEX,
	FLD_PAYLOAD,
	FLD_LABEL,
	FLD_SOURCE, FLD_SOURCE_FILE, FLD_SOURCE_FIRST_PKT,
	FLD_MAC, FLD_MAC_SRC, FLD_MAC_DST,
	FLD_ENCAP, FLD_ENCAP_KIND, FLD_ENCAP_VALUE,
	FLD_FEATURES,
	/* metadata elements, each followed by its fields in tag order */
	FLD_TLS, FLD_TLS_CLIENT_VERSION, FLD_TLS_SERVER_VERSION, FLD_TLS_SNI, FLD_TLS_ALPN,
	FLD_TLS_CIPHERS, FLD_TLS_CIPHER, FLD_TLS_EXTENSIONS, FLD_TLS_GROUPS, FLD_TLS_CERT_SUBJECT,
	FLD_TLS_CERT_ISSUER, FLD_TLS_JA3, FLD_TLS_JA4, FLD_TLS_JA3S, FLD_TLS_JA4_R, FLD_TLS_JA4_O,
	FLD_TLS_SERVER_ALPN, FLD_TLS_SIGALGS, FLD_TLS_VERSIONS, FLD_TLS_RECORD_VERSION,
	FLD_TLS_PQ_GROUPS, FLD_TLS_SERVER_GROUP, FLD_TLS_SERVER_EXTENSIONS, FLD_TLS_ECH,
	FLD_TLS_RESUME_OFFERED, FLD_TLS_RESUMED,
	/* TLS certificate fields (x509.h), tags 64.. */
	FLD_TLS_CERT_COUNT, FLD_TLS_CERT_FLAGS, FLD_TLS_CERT_ENTRY_FLAGS, FLD_TLS_CERT_SERIAL,
	FLD_TLS_CERT_NOT_BEFORE, FLD_TLS_CERT_NOT_AFTER, FLD_TLS_CERT_SHA256, FLD_TLS_CERT_KEY_TYPE,
	FLD_TLS_CERT_KEY_GROUP, FLD_TLS_CERT_KEY_BITS, FLD_TLS_CERT_SIG_ALG, FLD_TLS_CERT_SAN_DNS,
	FLD_HTTP, FLD_HTTP_METHOD, FLD_HTTP_URI, FLD_HTTP_VERSION, FLD_HTTP_HOST,
	FLD_HTTP_USER_AGENT, FLD_HTTP_STATUS, FLD_HTTP_CONTENT_TYPE, FLD_HTTP_SERVER,
	FLD_HTTP_REQUESTS, FLD_HTTP_RESPONSES,
	FLD_DNS, FLD_DNS_ID, FLD_DNS_QNAME, FLD_DNS_QTYPE, FLD_DNS_RCODE, FLD_DNS_ANSWER_ADDR,
	FLD_DNS_ANSWER_NAME, FLD_DNS_MESSAGES, FLD_DNS_QNAMES,
	FLD_QUIC, FLD_QUIC_VERSION, FLD_QUIC_SNI, FLD_QUIC_ALPN, FLD_QUIC_DCID, FLD_QUIC_SCID,
	FLD_SSH, FLD_SSH_CLIENT_BANNER, FLD_SSH_SERVER_BANNER, FLD_SSH_HASSH, FLD_SSH_HASSH_SERVER,
	FLD_SSH_HASSH_ALGS, FLD_SSH_HASSH_SERVER_ALGS,
	FLD_APP, FLD_APP_PROTO, FLD_APP_DETECT, FLD_APP_STATUS,
	FLD_N
};

/*
 * Types.  The first seven are also the wire types of metadata fields
 * (flowrec(5): u8, u16, u32, str, bytes, u16list, addr), so a metadata
 * field's type says which lengths its value may have.
 */
enum fld_type {
	FT_U8, FT_U16, FT_U32, FT_STR, FT_BYTES, FT_U16LIST, FT_ADDR,
	FT_U64,      /* unsigned, below 2^63 */
	FT_F64,
	FT_MAC,      /* 6 bytes */
	FT_TIME,     /* u64 ns since 1970-01-01 UTC */
	FT_DURATION, /* u64 ns */
	FT_ENUM,     /* an integer with value names (fld_sym_*) */
	FT_FLAGS,    /* a bit set with a name per bit (fld_sym_*) */
	FT_TABLE,    /* an element or array of entries (packets, encap) */
	FT_OBJECT,   /* an element of named fields (source, mac, tls...) */
	FT_MAP,      /* FEATURES: names chosen by the producer, f64 values */
	FT_NTYPES
};

/* What a field may reveal; anything but FI_NO is "identifying". */
enum fld_ident {
	FI_NO,    /* nothing about a host or a person */
	FI_ADDR,  /* an IP address */
	FI_MAC,   /* a link-layer address */
	FI_NAME,  /* a host or domain name, a certificate name (flow-anon --names) */
	FI_TEXT,  /* free text that may carry names (an HTTP request target) */
	FI_BYTES, /* packet contents */
	FI_ID,    /* an identifier of one server or connection: a certificate's
	             serial or fingerprint, a QUIC connection id */
	FI_SOFTWARE, /* a software identification whose first word names the
	             software and whose comments after it may name a host */
	FI_NIDENT
};

/* Direction of a per-direction field. */
enum fld_dir { FD_NONE, FD_SRC, FD_DST };

/* Field flags. */
#define FF_DERIVED 0x01u /* computed from other fields, no JSON key */
#define FF_MULTI   0x02u /* a metadata tag that may repeat, an array in JSON */
#define FF_ELEM    0x04u /* an element (its id in elem) */

/* One value name of an enum or flags field. */
struct fld_sym {
	uint32_t value; /* the value, or the bit (FT_FLAGS) */
	const char *name;
	char letter;    /* TCP flags: the one-letter form ("S"), else 0 */
};

struct fld {
	uint16_t id;           /* enum fld_id, its index in the registry */
	const char *name;      /* "tls.sni" */
	const char *key;       /* its JSON key, "sni" */
	uint8_t keylen;        /* strlen(key) */
	uint8_t type;          /* enum fld_type */
	uint8_t ident;         /* enum fld_ident */
	uint8_t dir;           /* enum fld_dir */
	uint8_t flags;         /* FF_* */
	const char *unit;      /* "ns", "bytes", "packets", ...; NULL when none */
	uint16_t elem;         /* the element holding it (RE_*), 0 for the core */
	uint8_t tag;           /* metadata fields: the tag */
	uint8_t off, width;    /* PACKETS columns: place in the 32-byte entry */
	uint16_t total;        /* FD_SRC/FD_DST: the both-directions field, or 0 */
	uint16_t twin;         /* FD_SRC/FD_DST: the other direction's field */
	const struct fld_sym *syms;
	uint8_t nsyms;
	const char *meaning;   /* one line, as in flowrec(5) FIELDS */
};

extern const struct fld fld_table[FLD_N];

static inline const struct fld *fld_def(enum fld_id id) { return &fld_table[id]; }
static inline const char *fld_name(enum fld_id id) { return fld_table[id].name; }

/* The JSON key: the name after its element's prefix ("sni" of "tls.sni"). */
static inline const char *fld_key(const struct fld *d) { return d->key; }

/* The field of a full name ("dport", "tls.sni"); NULL if none. */
const struct fld *fld_by_name(const char *name);
/* The field of an element id (RE_TLS -> "tls"); NULL if unknown. */
const struct fld *fld_elem(uint16_t elem);
/* The element field whose JSON key is key ("pkt_bytes"); NULL if none. */
const struct fld *fld_elem_by_key(const char *key);
/* The field of a metadata tag (RE_DNS, 2 -> "dns.qname"); NULL if unknown. */
const struct fld *fld_meta(uint16_t elem, uint8_t tag);
/* The field with JSON key key inside element elem; NULL if none. */
const struct fld *fld_child(uint16_t elem, const char *key);

/* The other direction's field (FLD_SPORT -> FLD_DPORT); -1 when none. */
int fld_twin(enum fld_id id);
/* The src or dst variant of a both-directions field (FLD_PKTS, FD_DST ->
 * FLD_DST_PKTS); -1 when it has none. */
int fld_variant(enum fld_id total, enum fld_dir dir);

/*
 * Value names.  fld_sym_name: the name of value (for FT_FLAGS, of the one
 * bit value), NULL when it has none.  fld_sym_value: the value of a name
 * (for FT_FLAGS, the bit mask; a one-letter TCP flag also matches); -1
 * when unknown.
 */
const char *fld_sym_name(const struct fld *d, uint64_t value);
int fld_sym_value(const struct fld *d, const char *name, uint64_t *value);

const char *fld_type_name(unsigned type);   /* "u16", "addr", ...  */
const char *fld_ident_name(unsigned ident); /* "no", "address", ... */

/* Is d an element (the whole element, not a field inside it)? */
bool fld_is_elem(const struct fld *d);

/* Is this field a host or domain name (hashed case-insensitively)? */
static inline bool fld_is_name(const struct fld *d) { return d && d->ident == FI_NAME; }
/* Does flow-anon --names hash or drop this field (a name, text that may
 * carry names, an identifier, the comments of a software banner)? */
static inline bool fld_under_names(const struct fld *d)
{
	return d && (d->ident == FI_NAME || d->ident == FI_TEXT || d->ident == FI_ID ||
	    d->ident == FI_SOFTWARE);
}

#endif
