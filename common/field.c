/*
 * field.c - the field registry (field.h) and the accessor that reads a
 * field's value out of a decoded flow record.
 *
 * The table is in enum fld_id order; an element's fields follow it, a
 * metadata element's in tag order from tag 1, consecutive but for gaps
 * (fld_meta() relies on it, t_field checks it).  Names are the JSON keys of flowrec(5) and must not
 * change: the JSON mapping and the goldens depend on them.
 */
#include <string.h>

#include "field.h"
#include "rec.h"

#define NELEM(a) (sizeof(a) / sizeof((a)[0]))

/* ------------------------------------------------------------ value names */

/* IANA protocol numbers, with their usual lowercase keywords. */
static const struct fld_sym proto_syms[] = {
	{ 1, "icmp", 0 }, { 2, "igmp", 0 }, { 4, "ipip", 0 }, { 6, "tcp", 0 }, { 17, "udp", 0 },
	{ 41, "ipv6", 0 }, { 47, "gre", 0 }, { 50, "esp", 0 }, { 51, "ah", 0 }, { 58, "icmpv6", 0 },
	{ 132, "sctp", 0 },
};
static const struct fld_sym end_syms[] = {
	{ END_UNKNOWN, "unknown", 0 }, { END_FIN, "fin", 0 }, { END_RST, "rst", 0 },
	{ END_IDLE, "idle", 0 }, { END_ACTIVE, "active", 0 }, { END_EOF, "eof", 0 },
	{ END_EVICTED, "evicted", 0 }, { END_REUSED, "reused", 0 },
};
static const struct fld_sym flow_flag_syms[] = {
	{ RF_ANONYMIZED, "anonymized", 0 }, { RF_PKTS_TRUNCATED, "pkts_truncated", 0 },
	{ RF_BYTES_TRUNCATED, "bytes_truncated", 0 }, { RF_UNIDIRECTIONAL, "unidirectional", 0 },
	{ RF_INITIATOR_GUESSED, "initiator_guessed", 0 }, { RF_FRAGMENTS, "fragments", 0 },
	{ RF_SNAPLEN, "snaplen", 0 }, { RF_TS_BACKWARDS, "ts_backwards", 0 },
	{ RF_PAYLOAD_TRUNCATED, "payload_truncated", 0 },
};
/* RFC 9293 3.1, RFC 3168 (ECE, CWR), RFC 9768 (AE, formerly NS). */
static const struct fld_sym tcp_syms[] = {
	{ 0x001, "fin", 'F' }, { 0x002, "syn", 'S' }, { 0x004, "rst", 'R' }, { 0x008, "psh", 'P' },
	{ 0x010, "ack", 'A' }, { 0x020, "urg", 'U' }, { 0x040, "ece", 'E' }, { 0x080, "cwr", 'C' },
	{ 0x100, "ae", 'N' },
};
static const struct fld_sym pflag_syms[] = {
	{ RP_RETRANS, "retrans", 0 }, { RP_FRAG, "frag", 0 }, { RP_SNAPLEN, "snaplen", 0 },
};
static const struct fld_sym dir_syms[] = { { 0, "src", 0 }, { 1, "dst", 0 } };
static const struct fld_sym layer_syms[] = { { 0, "network", 0 }, { 1, "link", 0 } };
static const struct fld_sym encap_syms[] = {
	{ ENCAP_VLAN, "vlan", 0 }, { ENCAP_SVLAN, "svlan", 0 }, { ENCAP_MPLS, "mpls", 0 },
	{ ENCAP_PPPOE, "pppoe", 0 },
};

#define SYMS(t) .syms = t, .nsyms = NELEM(t)

/* ---------------------------------------------------------------- registry */

#define F(ID, NAME, TYPE, UNIT, IDENT, MEANING, ...) \
	[ID] = { .id = ID, NAME, .type = TYPE, .unit = UNIT, .ident = IDENT, \
		.meaning = MEANING, __VA_ARGS__ }
/* A name of its own, or an element's key, a dot and the field's key. */
#define N1(k) .name = k, .key = k, .keylen = sizeof(k) - 1
#define N2(e, k) .name = e "." k, .key = k, .keylen = sizeof(k) - 1
#define ELEM(e) .elem = e, .flags = FF_ELEM
#define DIR(d, tot, tw) .dir = d, .total = tot, .twin = tw
#define COL(o, w) .elem = RE_PACKETS, .off = o, .width = w
#define META(e, t) .elem = e, .tag = t

const struct fld fld_table[FLD_N] = {
	F(FLD_IPV, N1("ipv"), FT_U8, NULL, FI_NO, "IP version: 4 or 6"),
	F(FLD_PROTO, N1("proto"), FT_ENUM, NULL, FI_NO, "IP protocol number", SYMS(proto_syms)),
	F(FLD_SRC, N1("src"), FT_ADDR, NULL, FI_ADDR, "initiator address", DIR(FD_SRC, 0, FLD_DST)),
	F(FLD_SPORT, N1("sport"), FT_U16, NULL, FI_NO, "initiator port (ICMP: type and code)",
	    DIR(FD_SRC, 0, FLD_DPORT)),
	F(FLD_DST, N1("dst"), FT_ADDR, NULL, FI_ADDR, "responder address", DIR(FD_DST, 0, FLD_SRC)),
	F(FLD_DPORT, N1("dport"), FT_U16, NULL, FI_NO, "responder port (ICMP: echo identifier)",
	    DIR(FD_DST, 0, FLD_SPORT)),
	F(FLD_FIRST_NS, N1("first_ns"), FT_TIME, "ns", FI_NO, "time of the first packet"),
	F(FLD_LAST_NS, N1("last_ns"), FT_TIME, "ns", FI_NO, "time of the latest packet"),
	F(FLD_SRC_PKTS, N1("src_pkts"), FT_U64, "packets", FI_NO, "packets initiator to responder",
	    DIR(FD_SRC, FLD_PKTS, FLD_DST_PKTS)),
	F(FLD_DST_PKTS, N1("dst_pkts"), FT_U64, "packets", FI_NO, "packets responder to initiator",
	    DIR(FD_DST, FLD_PKTS, FLD_SRC_PKTS)),
	F(FLD_SRC_BYTES, N1("src_bytes"), FT_U64, "bytes", FI_NO,
	    "wire bytes initiator to responder", DIR(FD_SRC, FLD_BYTES, FLD_DST_BYTES)),
	F(FLD_DST_BYTES, N1("dst_bytes"), FT_U64, "bytes", FI_NO,
	    "wire bytes responder to initiator", DIR(FD_DST, FLD_BYTES, FLD_SRC_BYTES)),
	F(FLD_SRC_L3_BYTES, N1("src_l3_bytes"), FT_U64, "bytes", FI_NO,
	    "IP bytes initiator to responder", DIR(FD_SRC, FLD_L3_BYTES, FLD_DST_L3_BYTES)),
	F(FLD_DST_L3_BYTES, N1("dst_l3_bytes"), FT_U64, "bytes", FI_NO,
	    "IP bytes responder to initiator", DIR(FD_DST, FLD_L3_BYTES, FLD_SRC_L3_BYTES)),
	F(FLD_SRC_TCP_FLAGS, N1("src_tcp_flags"), FT_FLAGS, NULL, FI_NO,
	    "OR of the TCP flags sent by the initiator", SYMS(tcp_syms),
	    DIR(FD_SRC, FLD_TCP_FLAGS, FLD_DST_TCP_FLAGS)),
	F(FLD_DST_TCP_FLAGS, N1("dst_tcp_flags"), FT_FLAGS, NULL, FI_NO,
	    "OR of the TCP flags sent by the responder", SYMS(tcp_syms),
	    DIR(FD_DST, FLD_TCP_FLAGS, FLD_SRC_TCP_FLAGS)),
	F(FLD_END, N1("end"), FT_ENUM, NULL, FI_NO, "end reason", SYMS(end_syms)),
	F(FLD_FLAGS, N1("flags"), FT_FLAGS, NULL, FI_NO, "flow flags", SYMS(flow_flag_syms)),

	F(FLD_DURATION, N1("duration"), FT_DURATION, "ns", FI_NO, "last_ns minus first_ns",
	    .flags = FF_DERIVED),
	F(FLD_PKTS, N1("pkts"), FT_U64, "packets", FI_NO, "packets in both directions",
	    .flags = FF_DERIVED),
	F(FLD_BYTES, N1("bytes"), FT_U64, "bytes", FI_NO, "wire bytes in both directions",
	    .flags = FF_DERIVED),
	F(FLD_L3_BYTES, N1("l3_bytes"), FT_U64, "bytes", FI_NO, "IP bytes in both directions",
	    .flags = FF_DERIVED),
	F(FLD_TCP_FLAGS, N1("tcp_flags"), FT_FLAGS, NULL, FI_NO, "OR of the TCP flags of both directions",
	    SYMS(tcp_syms), .flags = FF_DERIVED),

	F(FLD_PACKETS, N1("packets"), FT_TABLE, NULL, FI_NO, "PACKETS: the per-packet table",
	    ELEM(RE_PACKETS)),
	F(FLD_P_T_NS, N2("packets", "t_ns"), FT_DURATION, "ns", FI_NO, "time of the packet minus first_ns",
	    COL(0, 8)),
	F(FLD_P_WIRE_LEN, N2("packets", "wire_len"), FT_U32, "bytes", FI_NO, "original frame length",
	    COL(8, 4)),
	F(FLD_P_IP_LEN, N2("packets", "ip_len"), FT_U32, "bytes", FI_NO, "IP length", COL(12, 4)),
	F(FLD_P_L4_LEN, N2("packets", "l4_len"), FT_U32, "bytes", FI_NO, "transport header plus payload",
	    COL(16, 4)),
	F(FLD_P_PAYLOAD_LEN, N2("packets", "payload_len"), FT_U32, "bytes", FI_NO, "transport payload",
	    COL(20, 4)),
	F(FLD_P_DIR, N2("packets", "dir"), FT_ENUM, NULL, FI_NO, "direction: src (initiator to responder) "
	    "or dst", COL(24, 1), SYMS(dir_syms)),
	F(FLD_P_PFLAGS, N2("packets", "pflags"), FT_FLAGS, NULL, FI_NO, "packet flags", COL(25, 1),
	    SYMS(pflag_syms)),
	F(FLD_P_TTL, N2("packets", "ttl"), FT_U8, "hops", FI_NO, "IPv4 TTL or IPv6 hop limit", COL(26, 1)),
	F(FLD_P_TOS, N2("packets", "tos"), FT_U8, NULL, FI_NO, "IPv4 TOS or IPv6 traffic class", COL(27, 1)),
	F(FLD_P_TCP_FLAGS, N2("packets", "tcp_flags"), FT_FLAGS, NULL, FI_NO, "TCP flags of the packet",
	    COL(28, 2), SYMS(tcp_syms)),
	F(FLD_P_WINDOW, N2("packets", "window"), FT_U16, "bytes", FI_NO, "TCP window as sent (unscaled)",
	    COL(30, 2)),

	F(FLD_PKTBYTES, N1("pkt_bytes"), FT_OBJECT, NULL, FI_BYTES, "PKTBYTES: stored packet bytes",
	    ELEM(RE_PKTBYTES)),
	F(FLD_PB_LAYER, N2("pkt_bytes", "layer"), FT_ENUM, NULL, FI_NO, "where the stored bytes start",
	    .elem = RE_PKTBYTES, SYMS(layer_syms)),
	F(FLD_PB_PACKETS, N2("pkt_bytes", "packets"), FT_TABLE, NULL, FI_BYTES, "the stored packets",
	    .elem = RE_PKTBYTES),
	F(FLD_PB_INDEX, N2("pkt_bytes", "index"), FT_U32, NULL, FI_NO, "index of the packet in PACKETS",
	    .elem = RE_PKTBYTES),
	F(FLD_PB_TS_NS, N2("pkt_bytes", "ts_ns"), FT_TIME, "ns", FI_NO, "time of the packet",
	    .elem = RE_PKTBYTES),
	F(FLD_PB_ORIG_LEN, N2("pkt_bytes", "orig_len"), FT_U32, "bytes", FI_NO, "frame length on the wire",
	    .elem = RE_PKTBYTES),
	F(FLD_PB_INCL_LEN, N2("pkt_bytes", "incl_len"), FT_U32, "bytes", FI_NO, "frame length as captured",
	    .elem = RE_PKTBYTES),
	F(FLD_PB_LINKTYPE, N2("pkt_bytes", "linktype"), FT_U16, NULL, FI_NO, "LINKTYPE_ value of the frame",
	    .elem = RE_PKTBYTES),
	F(FLD_PB_LINK_LEN, N2("pkt_bytes", "link_len"), FT_U16, "bytes", FI_NO,
	    "bytes of the frame before the IP header", .elem = RE_PKTBYTES),
	F(FLD_PB_HEX, N2("pkt_bytes", "hex"), FT_BYTES, "bytes", FI_BYTES, "the stored bytes",
	    .elem = RE_PKTBYTES),

	F(FLD_PAYLOAD, N1("payload"), FT_BYTES, "bytes", FI_BYTES,
	    "PAYLOAD: the transport payloads, concatenated", ELEM(RE_PAYLOAD)),
	F(FLD_LABEL, N1("label"), FT_STR, NULL, FI_NO, "LABEL: the class label", ELEM(RE_LABEL)),

	F(FLD_SOURCE, N1("source"), FT_OBJECT, NULL, FI_NO, "SOURCE: where the flow was read",
	    ELEM(RE_SOURCE)),
	F(FLD_SOURCE_FILE, N2("source", "file"), FT_STR, NULL, FI_NO, "name of the capture file",
	    .elem = RE_SOURCE),
	F(FLD_SOURCE_FIRST_PKT, N2("source", "first_pkt"), FT_U64, NULL, FI_NO,
	    "number of the flow's first packet in the file, from 1", .elem = RE_SOURCE),

	F(FLD_MAC, N1("mac"), FT_OBJECT, NULL, FI_MAC, "MAC: link addresses", ELEM(RE_MAC)),
	F(FLD_MAC_SRC, N2("mac", "src"), FT_MAC, NULL, FI_MAC, "initiator MAC address", .elem = RE_MAC,
	    DIR(FD_SRC, 0, FLD_MAC_DST)),
	F(FLD_MAC_DST, N2("mac", "dst"), FT_MAC, NULL, FI_MAC, "responder MAC address", .elem = RE_MAC,
	    DIR(FD_DST, 0, FLD_MAC_SRC)),

	F(FLD_ENCAP, N1("encap"), FT_TABLE, NULL, FI_NO, "ENCAP: encapsulation, outermost first",
	    ELEM(RE_ENCAP)),
	F(FLD_ENCAP_KIND, N2("encap", "kind"), FT_ENUM, NULL, FI_NO, "kind of an entry", .elem = RE_ENCAP,
	    SYMS(encap_syms)),
	F(FLD_ENCAP_VALUE, N2("encap", "value"), FT_U32, NULL, FI_NO, "VLAN TCI, MPLS label, PPPoE session",
	    .elem = RE_ENCAP),

	F(FLD_FEATURES, N1("features"), FT_MAP, NULL, FI_NO, "FEATURES: named f64 values",
	    ELEM(RE_FEATURES)),

	F(FLD_TLS, N1("tls"), FT_OBJECT, NULL, FI_NAME, "TLS metadata", ELEM(RE_TLS)),
	F(FLD_TLS_CLIENT_VERSION, N2("tls", "client_version"), FT_U16, NULL, FI_NO,
	    "legacy_version of the ClientHello", META(RE_TLS, 1)),
	F(FLD_TLS_SERVER_VERSION, N2("tls", "server_version"), FT_U16, NULL, FI_NO,
	    "version chosen by the server", META(RE_TLS, 2)),
	F(FLD_TLS_SNI, N2("tls", "sni"), FT_STR, NULL, FI_NAME, "server name indication", META(RE_TLS, 3)),
	F(FLD_TLS_ALPN, N2("tls", "alpn"), FT_STR, NULL, FI_NO, "ALPN protocols offered by the client",
	    META(RE_TLS, 4), .flags = FF_MULTI),
	F(FLD_TLS_CIPHERS, N2("tls", "ciphers"), FT_U16LIST, NULL, FI_NO,
	    "cipher suites offered by the client", META(RE_TLS, 5)),
	F(FLD_TLS_CIPHER, N2("tls", "cipher"), FT_U16, NULL, FI_NO, "cipher suite chosen by the server",
	    META(RE_TLS, 6)),
	F(FLD_TLS_EXTENSIONS, N2("tls", "extensions"), FT_U16LIST, NULL, FI_NO,
	    "extension types of the ClientHello", META(RE_TLS, 7)),
	F(FLD_TLS_GROUPS, N2("tls", "groups"), FT_U16LIST, NULL, FI_NO, "supported groups of the client",
	    META(RE_TLS, 8)),
	F(FLD_TLS_CERT_SUBJECT, N2("tls", "cert_subject"), FT_STR, NULL, FI_NAME,
	    "certificate subjects, the server's own first", META(RE_TLS, 9), .flags = FF_MULTI),
	F(FLD_TLS_CERT_ISSUER, N2("tls", "cert_issuer"), FT_STR, NULL, FI_NAME,
	    "certificate issuers, same order", META(RE_TLS, 10), .flags = FF_MULTI),
	F(FLD_TLS_JA3, N2("tls", "ja3"), FT_STR, NULL, FI_NO, "JA3 fingerprint", META(RE_TLS, 11)),
	F(FLD_TLS_JA4, N2("tls", "ja4"), FT_STR, NULL, FI_NO, "JA4 fingerprint", META(RE_TLS, 12)),
	F(FLD_TLS_JA3S, N2("tls", "ja3s"), FT_STR, NULL, FI_NO, "JA3S fingerprint of the ServerHello",
	    META(RE_TLS, 13)),
	F(FLD_TLS_JA4_R, N2("tls", "ja4_r"), FT_STR, NULL, FI_NO, "JA4 raw form, sorted lists",
	    META(RE_TLS, 14)),
	F(FLD_TLS_JA4_O, N2("tls", "ja4_o"), FT_STR, NULL, FI_NO, "JA4 of the lists in wire order",
	    META(RE_TLS, 15)),
	F(FLD_TLS_SERVER_ALPN, N2("tls", "server_alpn"), FT_STR, NULL, FI_NO,
	    "ALPN protocol chosen by the server", META(RE_TLS, 16)),
	F(FLD_TLS_SIGALGS, N2("tls", "sigalgs"), FT_U16LIST, NULL, FI_NO,
	    "signature algorithms of the client", META(RE_TLS, 17)),
	F(FLD_TLS_VERSIONS, N2("tls", "versions"), FT_U16LIST, NULL, FI_NO,
	    "supported_versions offered by the client", META(RE_TLS, 18)),
	F(FLD_TLS_RECORD_VERSION, N2("tls", "record_version"), FT_U16, NULL, FI_NO,
	    "version of the client's first record", META(RE_TLS, 19)),
	F(FLD_TLS_PQ_GROUPS, N2("tls", "pq_groups"), FT_U16LIST, NULL, FI_NO,
	    "post-quantum hybrid groups offered", META(RE_TLS, 20)),
	F(FLD_TLS_SERVER_GROUP, N2("tls", "server_group"), FT_U16, NULL, FI_NO,
	    "key share group chosen by the server", META(RE_TLS, 21)),
	F(FLD_TLS_SERVER_EXTENSIONS, N2("tls", "server_extensions"), FT_U16LIST, NULL, FI_NO,
	    "extension types of the ServerHello", META(RE_TLS, 22)),
	F(FLD_TLS_ECH, N2("tls", "ech"), FT_U8, NULL, FI_NO, "1: encrypted_client_hello present",
	    META(RE_TLS, 23)),
	F(FLD_TLS_RESUME_OFFERED, N2("tls", "resume_offered"), FT_U8, NULL, FI_NO,
	    "1: the client offered a session to resume", META(RE_TLS, 24)),
	F(FLD_TLS_RESUMED, N2("tls", "resumed"), FT_U8, NULL, FI_NO,
	    "1: the server resumed a session", META(RE_TLS, 25)),
	/* The certificates of a TLS <= 1.2 Certificate message (common/x509.c), tags 64..75.
	 * Per-certificate fields repeat once per decoded certificate, like cert_subject. */
	F(FLD_TLS_CERT_COUNT, N2("tls", "cert_count"), FT_U16, NULL, FI_NO,
	    "certificates in the Certificate message", META(RE_TLS, 64)),
	F(FLD_TLS_CERT_FLAGS, N2("tls", "cert_flags"), FT_U8, NULL, FI_NO,
	    "Certificate message flags", META(RE_TLS, 65)),
	F(FLD_TLS_CERT_ENTRY_FLAGS, N2("tls", "cert_entry_flags"), FT_U8, NULL, FI_NO,
	    "flags of each certificate", META(RE_TLS, 66), .flags = FF_MULTI),
	F(FLD_TLS_CERT_SERIAL, N2("tls", "cert_serial"), FT_STR, NULL, FI_ID,
	    "serial numbers in hex", META(RE_TLS, 67), .flags = FF_MULTI),
	F(FLD_TLS_CERT_NOT_BEFORE, N2("tls", "cert_not_before"), FT_STR, NULL, FI_NO,
	    "start of validity, UTC", META(RE_TLS, 68), .flags = FF_MULTI),
	F(FLD_TLS_CERT_NOT_AFTER, N2("tls", "cert_not_after"), FT_STR, NULL, FI_NO,
	    "end of validity, UTC", META(RE_TLS, 69), .flags = FF_MULTI),
	F(FLD_TLS_CERT_SHA256, N2("tls", "cert_sha256"), FT_BYTES, NULL, FI_ID,
	    "SHA-256 fingerprints of the DER", META(RE_TLS, 70), .flags = FF_MULTI),
	F(FLD_TLS_CERT_KEY_TYPE, N2("tls", "cert_key_type"), FT_STR, NULL, FI_NO,
	    "public key types", META(RE_TLS, 71), .flags = FF_MULTI),
	F(FLD_TLS_CERT_KEY_GROUP, N2("tls", "cert_key_group"), FT_STR, NULL, FI_NO,
	    "elliptic curves of EC keys", META(RE_TLS, 72), .flags = FF_MULTI),
	F(FLD_TLS_CERT_KEY_BITS, N2("tls", "cert_key_bits"), FT_U16, "bits", FI_NO,
	    "public key sizes", META(RE_TLS, 73), .flags = FF_MULTI),
	F(FLD_TLS_CERT_SIG_ALG, N2("tls", "cert_sig_alg"), FT_STR, NULL, FI_NO,
	    "signature algorithms", META(RE_TLS, 74), .flags = FF_MULTI),
	F(FLD_TLS_CERT_SAN_DNS, N2("tls", "cert_san_dns"), FT_STR, NULL, FI_NAME,
	    "SAN DNS names of the server's certificate", META(RE_TLS, 75), .flags = FF_MULTI),

	F(FLD_HTTP, N1("http"), FT_OBJECT, NULL, FI_NAME, "HTTP metadata", ELEM(RE_HTTP)),
	F(FLD_HTTP_METHOD, N2("http", "method"), FT_STR, NULL, FI_NO, "request method", META(RE_HTTP, 1)),
	F(FLD_HTTP_URI, N2("http", "uri"), FT_STR, NULL, FI_TEXT, "request target", META(RE_HTTP, 2)),
	F(FLD_HTTP_VERSION, N2("http", "version"), FT_STR, NULL, FI_NO, "protocol version",
	    META(RE_HTTP, 3)),
	F(FLD_HTTP_HOST, N2("http", "host"), FT_STR, NULL, FI_NAME, "Host header", META(RE_HTTP, 4)),
	F(FLD_HTTP_USER_AGENT, N2("http", "user_agent"), FT_STR, NULL, FI_TEXT, "User-Agent header",
	    META(RE_HTTP, 5)),
	F(FLD_HTTP_STATUS, N2("http", "status"), FT_U16, NULL, FI_NO, "response status code",
	    META(RE_HTTP, 6)),
	F(FLD_HTTP_CONTENT_TYPE, N2("http", "content_type"), FT_STR, NULL, FI_NO,
	    "Content-Type of the response", META(RE_HTTP, 7)),
	F(FLD_HTTP_SERVER, N2("http", "server"), FT_STR, NULL, FI_SOFTWARE, "Server header", META(RE_HTTP, 8)),
	F(FLD_HTTP_REQUESTS, N2("http", "requests"), FT_U32, NULL, FI_NO, "requests seen", META(RE_HTTP, 9)),
	F(FLD_HTTP_RESPONSES, N2("http", "responses"), FT_U32, NULL, FI_NO, "responses seen",
	    META(RE_HTTP, 10)),

	F(FLD_DNS, N1("dns"), FT_OBJECT, NULL, FI_NAME, "DNS metadata", ELEM(RE_DNS)),
	F(FLD_DNS_ID, N2("dns", "id"), FT_U16, NULL, FI_NO, "transaction id", META(RE_DNS, 1)),
	F(FLD_DNS_QNAME, N2("dns", "qname"), FT_STR, NULL, FI_NAME, "first question name",
	    META(RE_DNS, 2)),
	F(FLD_DNS_QTYPE, N2("dns", "qtype"), FT_U16, NULL, FI_NO, "first question type", META(RE_DNS, 3)),
	F(FLD_DNS_RCODE, N2("dns", "rcode"), FT_U8, NULL, FI_NO, "response code", META(RE_DNS, 4)),
	F(FLD_DNS_ANSWER_ADDR, N2("dns", "answer_addr"), FT_ADDR, NULL, FI_ADDR, "A and AAAA answers",
	    META(RE_DNS, 5), .flags = FF_MULTI),
	F(FLD_DNS_ANSWER_NAME, N2("dns", "answer_name"), FT_STR, NULL, FI_NAME,
	    "CNAME and other name answers", META(RE_DNS, 6), .flags = FF_MULTI),
	F(FLD_DNS_MESSAGES, N2("dns", "messages"), FT_U32, NULL, FI_NO, "DNS messages seen",
	    META(RE_DNS, 7)),
	F(FLD_DNS_QNAMES, N2("dns", "qnames"), FT_STR, NULL, FI_NAME,
	    "question names of later messages, each once", META(RE_DNS, 8), .flags = FF_MULTI),

	F(FLD_QUIC, N1("quic"), FT_OBJECT, NULL, FI_NAME, "QUIC metadata", ELEM(RE_QUIC)),
	F(FLD_QUIC_VERSION, N2("quic", "version"), FT_U32, NULL, FI_NO,
	    "QUIC version of the first Initial packet", META(RE_QUIC, 1)),
	F(FLD_QUIC_SNI, N2("quic", "sni"), FT_STR, NULL, FI_NAME, "server name from the ClientHello",
	    META(RE_QUIC, 2)),
	F(FLD_QUIC_ALPN, N2("quic", "alpn"), FT_STR, NULL, FI_NO, "ALPN protocols offered",
	    META(RE_QUIC, 3), .flags = FF_MULTI),
	F(FLD_QUIC_DCID, N2("quic", "dcid"), FT_BYTES, NULL, FI_ID, "destination connection id",
	    META(RE_QUIC, 4)),
	F(FLD_QUIC_SCID, N2("quic", "scid"), FT_BYTES, NULL, FI_ID, "source connection id",
	    META(RE_QUIC, 5)),

	F(FLD_SSH, N1("ssh"), FT_OBJECT, NULL, FI_SOFTWARE, "SSH metadata", ELEM(RE_SSH)),
	F(FLD_SSH_CLIENT_BANNER, N2("ssh", "client_banner"), FT_STR, NULL, FI_SOFTWARE,
	    "identification string of the client", META(RE_SSH, 1)),
	F(FLD_SSH_SERVER_BANNER, N2("ssh", "server_banner"), FT_STR, NULL, FI_SOFTWARE,
	    "identification string of the server", META(RE_SSH, 2)),
	F(FLD_SSH_HASSH, N2("ssh", "hassh"), FT_STR, NULL, FI_NO, "HASSH of the client", META(RE_SSH, 3)),
	F(FLD_SSH_HASSH_SERVER, N2("ssh", "hassh_server"), FT_STR, NULL, FI_NO, "HASSH of the server",
	    META(RE_SSH, 4)),
	F(FLD_SSH_HASSH_ALGS, N2("ssh", "hassh_algs"), FT_STR, NULL, FI_NO,
	    "the client's HASSH string", META(RE_SSH, 5)),
	F(FLD_SSH_HASSH_SERVER_ALGS, N2("ssh", "hassh_server_algs"), FT_STR, NULL, FI_NO,
	    "the server's HASSH string", META(RE_SSH, 6)),

	F(FLD_APP, N1("app"), FT_OBJECT, NULL, FI_NO, "application protocol detection", ELEM(RE_APP)),
	F(FLD_APP_PROTO, N2("app", "proto"), FT_STR, NULL, FI_NO,
	    "protocol recognised (smtp, imap, pop3, ftp: an upgrade to TLS refused)", META(RE_APP, 1)),
	F(FLD_APP_DETECT, N2("app", "detect"), FT_STR, NULL, FI_NO,
	    "what recognised it (smtp-starttls, imap-starttls, pop3-stls, ftp-auth-tls: TLS after an upgrade)",
	    META(RE_APP, 2)),
	F(FLD_APP_STATUS, N2("app", "status"), FT_U16, NULL, FI_NO, "why a parse did not complete",
	    META(RE_APP, 3)),
};

/* ----------------------------------------------------------------- lookups */

const struct fld *fld_by_name(const char *name)
{
	size_t i;

	for (i = 0; i < FLD_N; i++)
		if (strcmp(fld_table[i].name, name) == 0) return &fld_table[i];
	return NULL;
}

bool fld_is_elem(const struct fld *d)
{
	return d->flags & FF_ELEM;
}

/* Called for every element of every record by the codec and flow-json:
 * a switch, not a search (t_field checks it against the table). */
const struct fld *fld_elem(uint16_t elem)
{
	enum fld_id id;

	switch (elem) {
	case RE_PACKETS: id = FLD_PACKETS; break;
	case RE_PKTBYTES: id = FLD_PKTBYTES; break;
	case RE_PAYLOAD: id = FLD_PAYLOAD; break;
	case RE_LABEL: id = FLD_LABEL; break;
	case RE_SOURCE: id = FLD_SOURCE; break;
	case RE_MAC: id = FLD_MAC; break;
	case RE_ENCAP: id = FLD_ENCAP; break;
	case RE_FEATURES: id = FLD_FEATURES; break;
	case RE_TLS: id = FLD_TLS; break;
	case RE_HTTP: id = FLD_HTTP; break;
	case RE_DNS: id = FLD_DNS; break;
	case RE_QUIC: id = FLD_QUIC; break;
	case RE_SSH: id = FLD_SSH; break;
	case RE_APP: id = FLD_APP; break;
	default: return NULL;
	}
	return &fld_table[id];
}

const struct fld *fld_elem_by_key(const char *key)
{
	size_t i;

	for (i = 0; i < FLD_N; i++)
		if (fld_is_elem(&fld_table[i]) && strcmp(fld_table[i].name, key) == 0) return &fld_table[i];
	return NULL;
}

const struct fld *fld_meta(uint16_t elem, uint8_t tag)
{
	const struct fld *e = fld_elem(elem), *d;

	if (e == NULL || e->type != FT_OBJECT || tag == 0) return NULL;
	if (e->id + (size_t)tag < FLD_N) {
		d = e + tag; /* tags 1..n follow their element */
		if (d->elem == elem && d->tag == tag) return d;
	}
	/* past a gap in the tags (TLS: 64.. for certificates), look further on */
	for (d = e + 1; d < fld_table + FLD_N && d->elem == elem && d->tag && d->tag <= tag; d++)
		if (d->tag == tag) return d;
	return NULL;
}

const struct fld *fld_child(uint16_t elem, const char *key)
{
	const struct fld *e = fld_elem(elem), *d;

	if (e == NULL) return NULL;
	for (d = e + 1; d < fld_table + FLD_N && d->elem == elem; d++)
		if (strcmp(fld_key(d), key) == 0) return d;
	return NULL;
}

int fld_twin(enum fld_id id)
{
	if ((unsigned)id >= FLD_N) return -1;
	return fld_table[id].dir != FD_NONE ? fld_table[id].twin : -1;
}

int fld_variant(enum fld_id total, enum fld_dir dir)
{
	size_t i;

	for (i = 0; i < FLD_N; i++)
		if (fld_table[i].total == total && fld_table[i].dir == dir && dir != FD_NONE)
			return (int)i;
	return -1;
}

const char *fld_sym_name(const struct fld *d, uint64_t value)
{
	unsigned i;

	for (i = 0; i < d->nsyms; i++)
		if (d->syms[i].value == value) return d->syms[i].name;
	return NULL;
}

int fld_sym_value(const struct fld *d, const char *name, uint64_t *value)
{
	unsigned i;

	for (i = 0; i < d->nsyms; i++) {
		const struct fld_sym *s = &d->syms[i];

		if (strcmp(s->name, name) == 0 || (s->letter && name[0] == s->letter && !name[1])) {
			*value = s->value;
			return 0;
		}
	}
	return -1;
}

static const char *const type_names[FT_NTYPES] = {
	[FT_U8] = "u8", [FT_U16] = "u16", [FT_U32] = "u32", [FT_STR] = "str", [FT_BYTES] = "bytes",
	[FT_U16LIST] = "u16list", [FT_ADDR] = "addr", [FT_U64] = "u64", [FT_F64] = "f64",
	[FT_MAC] = "mac", [FT_TIME] = "time", [FT_DURATION] = "duration", [FT_ENUM] = "enum",
	[FT_FLAGS] = "flags", [FT_TABLE] = "table", [FT_OBJECT] = "object", [FT_MAP] = "map",
};
static const char *const ident_names[FI_NIDENT] = {
	[FI_NO] = "no", [FI_ADDR] = "address", [FI_MAC] = "mac", [FI_NAME] = "name",
	[FI_TEXT] = "text", [FI_BYTES] = "bytes", [FI_ID] = "id", [FI_SOFTWARE] = "software",
};

const char *fld_type_name(unsigned type)
{
	return type < FT_NTYPES ? type_names[type] : NULL;
}

const char *fld_ident_name(unsigned ident)
{
	return ident < FI_NIDENT ? ident_names[ident] : NULL;
}
