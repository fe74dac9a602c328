/*
 * t_rec.c - tests of the flowrec codec and stream reader (rec.h, stream.h),
 * printing TAP.  Run by tests/codec.t as $FK_BIN/unit/t_rec.
 *
 * What is tested: round trips of every record and element type; every
 * hard limit at 0, 1, max-1, max and max+1 (max+1 must be refused by the
 * encoder or the decoder, with a message); every prefix of a valid stream
 * (only the empty one and those ending at a segment end are clean);
 * random and mutated bytes (no crash, a message on every rejection);
 * reserved fields, duplicates, unknown critical and non-critical elements.
 */
#include <inttypes.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bytes.h"
#include "cli.h"
#include "field.h"
#include "rec.h"
#include "stream.h"

#include "tap.h"

static char err[512];

/* Element values live in these buffers while a record is built. */
enum { NVAL = 80 };
static struct buf val[NVAL];

static struct buf *val_new(unsigned i)
{
	buf_reset(&val[i]);
	return &val[i];
}

static void put_f64(struct buf *b, double d)
{
	uint64_t u;

	memcpy(&u, &d, sizeof u);
	buf_put64(b, u);
}

static void meta_put(struct buf *b, uint8_t tag, const void *v, uint16_t len)
{
	buf_put8(b, tag);
	buf_put16(b, len);
	buf_put(b, v, len);
}

/* A plain IPv4 TCP flow, no elements. */
static void core4(struct rec_flow *f)
{
	memset(f, 0, sizeof *f);
	f->ipv = 4;
	f->proto = 6;
	f->end_reason = END_FIN;
	f->flags = RF_FRAGMENTS;
	memcpy(f->src, "\xc0\x00\x02\x0a", 4);
	memcpy(f->dst, "\xc6\x33\x64\x07", 4);
	f->sport = 49152;
	f->dport = 443;
	f->tcp_flags[0] = 0x1b;
	f->tcp_flags[1] = 0x11b;
	f->first_ns = 1700000000000000000ull;
	f->last_ns = f->first_ns + 3000000000ull;
	f->pkts[0] = 3;
	f->pkts[1] = 2;
	f->bytes[0] = 300;
	f->bytes[1] = 3000;
	f->l3_bytes[0] = 258;
	f->l3_bytes[1] = 2972;
}

/* An IPv6 flow carrying one element of every known type, and two unknown ones. */
static void full_flow(struct rec_flow *f)
{
	struct buf *b;
	struct rec_pkt p;
	struct rec_pb pb;
	static const uint8_t pkt[60] = { 0x60, 0, 0, 0, 0, 20, 6, 64 };
	uint8_t u8v;
	uint16_t u16v;
	uint8_t two[4];

	core4(f);
	f->ipv = 6;
	memset(f->src, 0, 16);
	memset(f->dst, 0, 16);
	memcpy(f->src, "\x20\x01\x0d\xb8", 4);
	f->src[15] = 1;
	memcpy(f->dst, "\x20\x01\x0d\xb8", 4);
	f->dst[15] = 2;
	f->flags = RF_BYTES_TRUNCATED | RF_SNAPLEN | 0x80000000u; /* an unknown bit is kept */
	f->end_reason = 200; /* unknown reasons are kept as numbers */

	b = val_new(0);
	buf_put32(b, 3);
	for (unsigned i = 0; i < 3; i++) {
		memset(&p, 0, sizeof p);
		p.t_ns = i * 1000000000ull;
		p.wire_len = 74 + i;
		p.ip_len = 60 + i;
		p.l4_len = 20 + i;
		p.payload_len = i;
		p.dir = (uint8_t)(i & 1);
		p.pflags = i == 2 ? RP_RETRANS : 0;
		p.ttl = (uint8_t)(64 - i);
		p.tos = (uint8_t)i;
		p.tcp_flags = (uint16_t)(0x10 | i);
		p.window = (uint16_t)(65535 - i);
		rec_pkt_put(b, &p);
	}
	rec_set(f, RE_PACKETS, b->p, (uint32_t)b->len);

	b = val_new(1);
	buf_put8(b, 0);
	buf_put8(b, 0);
	buf_put16(b, 0);
	buf_put32(b, 2);
	for (unsigned i = 0; i < 2; i++) {
		memset(&pb, 0, sizeof pb);
		pb.index = i * 2;
		pb.ts_ns = f->first_ns + i * 2000000000ull;
		pb.orig_len = 74;
		pb.incl_len = 74;
		pb.linktype = 1;
		pb.link_len = 14;
		pb.n = 60;
		pb.data = pkt;
		rec_pb_put(b, &pb);
	}
	rec_set(f, RE_PKTBYTES, b->p, (uint32_t)b->len);

	b = val_new(2);
	buf_put(b, "GET / HTTP/1.1\r\n", 16);
	rec_set(f, RE_PAYLOAD, b->p, (uint32_t)b->len);

	rec_set(f, RE_LABEL, "web", 3);

	b = val_new(3);
	buf_put64(b, 7);
	buf_put(b, "capture.pcap", 12);
	rec_set(f, RE_SOURCE, b->p, (uint32_t)b->len);

	rec_set(f, RE_MAC, "\x00\x11\x22\x33\x44\x55\x66\x77\x88\x99\xaa\xbb", 12);

	b = val_new(4);
	buf_put8(b, ENCAP_VLAN);
	buf_put32(b, 100);
	buf_put8(b, ENCAP_MPLS);
	buf_put32(b, 0x12345u << 12 | 1u << 8 | 64u);
	rec_set(f, RE_ENCAP, b->p, (uint32_t)b->len);

	b = val_new(5);
	buf_put16(b, 3);
	buf_put8(b, 4);
	buf_put(b, "mean", 4);
	put_f64(b, 1.5);
	buf_put8(b, 3);
	buf_put(b, "std", 3);
	put_f64(b, -2.25);
	buf_put8(b, 3);
	buf_put(b, "nan", 3);
	put_f64(b, NAN);
	rec_set(f, RE_FEATURES, b->p, (uint32_t)b->len);

	b = val_new(6);
	put_be16(two, 0x0303);
	meta_put(b, 1, two, 2);
	meta_put(b, 3, "example.org", 11);
	meta_put(b, 4, "h2", 2);
	meta_put(b, 4, "http/1.1", 8);
	meta_put(b, 5, "\x13\x01\x13\x02", 4);
	meta_put(b, 11, "771,4865-4866,0-10,29,0", 23);
	meta_put(b, 200, "?", 1); /* an unknown tag is kept */
	rec_set(f, RE_TLS, b->p, (uint32_t)b->len);

	b = val_new(7);
	meta_put(b, 1, "GET", 3);
	meta_put(b, 2, "/", 1);
	meta_put(b, 4, "example.org", 11);
	u16v = 200;
	put_be16(two, u16v);
	meta_put(b, 6, two, 2);
	rec_set(f, RE_HTTP, b->p, (uint32_t)b->len);

	b = val_new(8);
	put_be16(two, 0x1234);
	meta_put(b, 1, two, 2);
	meta_put(b, 2, "example.org", 11);
	put_be16(two, 1);
	meta_put(b, 3, two, 2);
	u8v = 0;
	meta_put(b, 4, &u8v, 1);
	meta_put(b, 5, "\xc0\x00\x02\x01", 4);
	meta_put(b, 5, "\x20\x01\x0d\xb8\0\0\0\0\0\0\0\0\0\0\0\x01", 16);
	rec_set(f, RE_DNS, b->p, (uint32_t)b->len);

	b = val_new(9);
	meta_put(b, 1, "\x00\x00\x00\x01", 4);
	meta_put(b, 2, "example.org", 11);
	meta_put(b, 4, "\x01\x02\x03\x04\x05\x06\x07\x08", 8);
	rec_set(f, RE_QUIC, b->p, (uint32_t)b->len);

	rec_set(f, 0x0123, "\x01\x02\x03", 3);
	rec_set(f, 0x4124, "", 0);
}

static int same_flow(const struct rec_flow *a, const struct rec_flow *b)
{
	if (a->ipv != b->ipv || a->proto != b->proto || a->end_reason != b->end_reason ||
	    a->flags != b->flags || memcmp(a->src, b->src, 16) || memcmp(a->dst, b->dst, 16) ||
	    a->sport != b->sport || a->dport != b->dport ||
	    a->tcp_flags[0] != b->tcp_flags[0] || a->tcp_flags[1] != b->tcp_flags[1] ||
	    a->first_ns != b->first_ns || a->last_ns != b->last_ns)
		return 0;
	for (int d = 0; d < 2; d++)
		if (a->pkts[d] != b->pkts[d] || a->bytes[d] != b->bytes[d] ||
		    a->l3_bytes[d] != b->l3_bytes[d])
			return 0;
	if (a->nelem != b->nelem)
		return 0;
	for (unsigned i = 0; i < a->nelem; i++)
		if (a->elem[i].id != b->elem[i].id || a->elem[i].len != b->elem[i].len ||
		    (a->elem[i].len && memcmp(a->elem[i].val, b->elem[i].val, a->elem[i].len)))
			return 0;
	return 1;
}

static int same_header(const struct rec_header *a, const struct rec_header *b)
{
	if (a->nelem != b->nelem)
		return 0;
	for (unsigned i = 0; i < a->nelem; i++)
		if (a->elem[i].id != b->elem[i].id || a->elem[i].len != b->elem[i].len ||
		    (a->elem[i].len && memcmp(a->elem[i].val, b->elem[i].val, a->elem[i].len)))
			return 0;
	return 1;
}

static struct rec_flow g_dec;     /* decoded flows */
static struct rec_header h_dec;   /* decoded headers */
static struct buf enc, enc2;

/*
 * check_flow(f, want_ok, what): encode f, decode the result, and expect
 * acceptance (and decode(encode(f)) == f, re-encoding byte-identical) or
 * a rejection with a message from either side.
 */
static void check_flow(const struct rec_flow *f, int want_ok, const char *what)
{
	int r;

	buf_reset(&enc);
	err[0] = 0;
	r = rec_encode_flow(&enc, f, err, sizeof err);
	if (r < 0) {
		if (want_ok) {
			ok(0, "%s: accepted", what);
			diag("encoder: %s", err);
		} else if (ok(err[0] != 0, "%s: rejected by the encoder: %s", what, err)) {
			ok(enc.len == 0, "%s: encoder appended nothing", what);
		}
		return;
	}
	if (!ok(enc.len >= REC_FLOW_CORE && be32(enc.p) == enc.len && be16(enc.p + 4) == REC_FLOW,
	    "%s: encoded length field and type", what))
		return;
	err[0] = 0;
	r = rec_decode_flow(enc.p, enc.len, &g_dec, err, sizeof err);
	if (!want_ok) {
		if (!ok(r < 0 && err[0] != 0, "%s: rejected by the decoder: %s", what, err))
			diag("decoded without complaint (record length %zu)", enc.len);
		return;
	}
	if (!ok(r == 0, "%s: accepted", what)) {
		diag("decoder: %s", err);
		return;
	}
	ok(same_flow(f, &g_dec), "%s: decode(encode(x)) == x", what);
	buf_reset(&enc2);
	r = rec_encode_flow(&enc2, &g_dec, err, sizeof err);
	ok(r == 0 && enc2.len == enc.len && memcmp(enc.p, enc2.p, enc.len) == 0,
	    "%s: re-encoding is byte-identical", what);
}

/* check_header: like check_flow, for headers. */
static void check_header(const struct rec_header *h, int want_ok, const char *what)
{
	int r;

	buf_reset(&enc);
	err[0] = 0;
	r = rec_encode_header(&enc, h, err, sizeof err);
	if (r < 0) {
		if (want_ok) {
			ok(0, "%s: accepted", what);
			diag("encoder: %s", err);
		} else {
			ok(err[0] != 0, "%s: rejected by the encoder: %s", what, err);
		}
		return;
	}
	err[0] = 0;
	r = rec_decode_header(enc.p, enc.len, &h_dec, err, sizeof err);
	if (!want_ok) {
		if (!ok(r < 0 && err[0] != 0, "%s: rejected by the decoder: %s", what, err))
			diag("decoded without complaint (record length %zu)", enc.len);
		return;
	}
	if (!ok(r == 0, "%s: accepted", what)) {
		diag("decoder: %s", err);
		return;
	}
	ok(same_header(h, &h_dec) && h_dec.major == REC_VERSION_MAJOR,
	    "%s: decode(encode(x)) == x", what);
	buf_reset(&enc2);
	r = rec_encode_header(&enc2, &h_dec, err, sizeof err);
	ok(r == 0 && enc2.len == enc.len && memcmp(enc.p, enc2.p, enc.len) == 0,
	    "%s: re-encoding is byte-identical", what);
}

/* decode_patched: decode a copy of buf/len with one byte changed; 0 if accepted. */
static int decode_patched(int type, const struct buf *b, size_t off, uint8_t v)
{
	static struct rec_end e;
	uint8_t *copy = xmalloc(b->len);
	int r;

	memcpy(copy, b->p, b->len);
	copy[off] = v;
	err[0] = 0;
	if (type == REC_HEADER)
		r = rec_decode_header(copy, b->len, &h_dec, err, sizeof err);
	else if (type == REC_FLOW)
		r = rec_decode_flow(copy, b->len, &g_dec, err, sizeof err);
	else
		r = rec_decode_end(copy, b->len, &e, err, sizeof err);
	free(copy);
	return r;
}

/* rejected(r, what): a decoder returned r; it must have refused with a message. */
static void rejected(int r, const char *what)
{
	ok(r < 0 && err[0] != 0, "%s: %s", what, r < 0 ? err : "accepted");
}

static void init_header(struct rec_header *h)
{
	memset(h, 0, sizeof *h);
	h->major = REC_VERSION_MAJOR;
	h->minor = REC_VERSION_MINOR;
	rec_header_add(h, RH_CREATOR, "flowkit " FK_VERSION, (uint32_t)strlen("flowkit " FK_VERSION));
}

/* ---------------------------------------------------------------- */

static void test_roundtrips(void)
{
	static struct rec_header h;
	static struct rec_flow f;
	struct rec_end e = { 3, 12, 34567 }, e2;
	struct rec_pkt p;
	struct rec_pb pb;
	struct rec_pb_iter pit;
	struct rec_feat_iter fit;
	struct rec_meta_iter mit;
	const struct rec_elem *el;
	const uint8_t *s;
	uint8_t layer, nl, tag;
	uint16_t n16, mlen;
	uint32_t n32;
	uint64_t first;
	double d;
	int r;

	init_header(&h);
	rec_header_add(&h, RH_PROVENANCE, "pcap-flows -o x.flows x.pcap", 28);
	rec_header_add(&h, RH_PROVENANCE, "flow-anon -k '<secret>'", 23);
	rec_header_add(&h, RH_NOTE, "anon.ip=zero", 12);
	rec_header_add(&h, RH_NOTE, "", 0);
	rec_header_add(&h, 0x0100, "\xff", 1); /* unknown, not critical: kept */
	check_header(&h, 1, "header with creator, provenance, notes, unknown element");
	ok(enc.len >= REC_HEADER_FIXED && memcmp(enc.p + 8, rec_magic, 8) == 0 &&
	    enc.p[16] == 1 && enc.p[17] == 0, "header: magic and version at offsets 8 and 16");

	core4(&f);
	check_flow(&f, 1, "IPv4 flow without elements");
	ok(enc.len == REC_FLOW_CORE, "flow without elements is %u bytes", REC_FLOW_CORE);
	ok(enc.len == REC_FLOW_CORE && be16(enc.p + 48) == 49152 && be64(enc.p + 56) == f.first_ns &&
	    be64(enc.p + 112) == 2972 && enc.p[8] == 4 && enc.p[9] == 6,
	    "flow core fields at their offsets (flowrec(5))");

	full_flow(&f);
	check_flow(&f, 1, "IPv6 flow with every element type");

	/* The accessors over what the decoder accepted. */
	el = rec_find(&g_dec, RE_PACKETS);
	if (ok(el != NULL && rec_pkts_count(el) == 3, "PACKETS: count 3")) {
		rec_pkt_get(el, 2, &p);
		ok(p.t_ns == 2000000000ull && p.wire_len == 76 && p.ip_len == 62 && p.l4_len == 22 &&
		    p.payload_len == 2 && p.dir == 0 && p.pflags == RP_RETRANS && p.ttl == 62 &&
		    p.tos == 2 && p.tcp_flags == 0x12 && p.window == 65533, "PACKETS: entry 2 read back");
	}
	el = rec_find(&g_dec, RE_PKTBYTES);
	if (ok(el != NULL, "PKTBYTES found")) {
		rec_pb_begin(el, &layer, &n32, &pit);
		ok(layer == 0 && n32 == 2, "PKTBYTES: layer and count");
		r = rec_pb_next(&pit, &pb);
		ok(r && pb.index == 0 && pb.ts_ns == f.first_ns && pb.orig_len == 74 &&
		    pb.incl_len == 74 && pb.linktype == 1 && pb.link_len == 14 && pb.n == 60 &&
		    pb.data[0] == 0x60, "PKTBYTES: packet 0 read back");
		r = rec_pb_next(&pit, &pb);
		ok(r && pb.index == 2, "PKTBYTES: packet 1 read back");
		ok(!rec_pb_next(&pit, &pb), "PKTBYTES: then the end");
	}
	el = rec_find(&g_dec, RE_SOURCE);
	if (ok(el != NULL, "SOURCE found")) {
		rec_source_get(el, &first, &s, &n32);
		ok(first == 7 && n32 == 12 && memcmp(s, "capture.pcap", 12) == 0, "SOURCE read back");
	}
	el = rec_find(&g_dec, RE_FEATURES);
	if (ok(el != NULL, "FEATURES found")) {
		rec_feat_begin(el, &n16, &fit);
		ok(n16 == 3, "FEATURES: count");
		ok(rec_feat_next(&fit, &s, &nl, &d) && nl == 4 && memcmp(s, "mean", 4) == 0 && d == 1.5,
		    "FEATURES: first pair");
		ok(rec_feat_next(&fit, &s, &nl, &d) && d == -2.25, "FEATURES: second pair");
		ok(rec_feat_next(&fit, &s, &nl, &d) && isnan(d), "FEATURES: NaN kept");
		ok(!rec_feat_next(&fit, &s, &nl, &d), "FEATURES: then the end");
	}
	el = rec_find(&g_dec, RE_TLS);
	if (ok(el != NULL, "TLS found")) {
		unsigned nf = 0, alpn = 0;

		rec_meta_begin(el, &mit);
		while (rec_meta_next(&mit, &tag, &s, &mlen)) {
			nf++;
			if (tag == 4)
				alpn++;
		}
		ok(nf == 7 && alpn == 2, "TLS: 7 fields, alpn twice");
	}
	ok(fld_meta(RE_TLS, 3) && strcmp(fld_key(fld_meta(RE_TLS, 3)), "sni") == 0,
	    "TLS tag 3 is sni");
	ok(fld_meta(RE_DNS, 5) && (fld_meta(RE_DNS, 5)->flags & FF_MULTI) &&
	    fld_meta(RE_DNS, 5)->type == FT_ADDR, "DNS tag 5 is a multi address");
	ok(fld_meta(RE_TLS, 200) == NULL, "unknown TLS tag: no field");
	ok(fld_meta(RE_TLS, 25) != NULL && fld_meta(RE_TLS, 26) == NULL, "TLS has 25 known fields");
	ok(fld_meta(RE_LABEL, 1) == NULL, "LABEL is not a metadata element");
	el = rec_find(&g_dec, 0x0123);
	ok(el && el->len == 3, "unknown non-critical element passed through");

	/* Names. */
	ok(rec_elem_name(RE_PKTBYTES) && strcmp(rec_elem_name(RE_PKTBYTES), "pkt_bytes") == 0,
	    "element name pkt_bytes");
	ok(rec_elem_by_name("label") == RE_LABEL, "element by name: label");
	ok(rec_elem_by_name("nonesuch") == 0, "element by name: unknown is 0");
	ok(rec_end_name(END_RST) && strcmp(rec_end_name(END_RST), "rst") == 0, "end reason name rst");
	ok(rec_end_by_name("idle") == END_IDLE && rec_end_by_name("nonesuch") == -1,
	    "end reason by name");
	ok(rec_flag_name(0) && strcmp(rec_flag_name(0), "anonymized") == 0 && rec_flag_name(31) == NULL,
	    "flag names");

	/* rec_set replaces, rec_del keeps the order. */
	core4(&f);
	rec_set(&f, RE_LABEL, "a", 1);
	rec_set(&f, RE_PAYLOAD, "p", 1);
	rec_set(&f, 0x0200, "", 0);
	rec_set(&f, RE_LABEL, "bb", 2);
	ok(f.nelem == 3 && f.elem[0].id == RE_LABEL && f.elem[0].len == 2, "rec_set replaces in place");
	rec_del(&f, RE_PAYLOAD);
	ok(f.nelem == 2 && f.elem[0].id == RE_LABEL && f.elem[1].id == 0x0200,
	    "rec_del keeps the order of the others");
	ok(rec_find(&f, RE_PAYLOAD) == NULL, "rec_find after rec_del");

	buf_reset(&enc);
	rec_encode_end(&enc, &e);
	ok(enc.len == REC_END_LEN && be16(enc.p + 4) == REC_END, "END is 32 bytes, type 3");
	r = rec_decode_end(enc.p, enc.len, &e2, err, sizeof err);
	ok(r == 0 && e2.records == 3 && e2.packets == 12 && e2.bytes == 34567, "END round trip");
}

static void flow_with_payload(struct rec_flow *f, size_t n)
{
	struct buf *b = val_new(10);

	core4(f);
	buf_reserve(b, n ? n : 1);
	memset(b->p, 'x', n);
	b->len = n;
	rec_set(f, RE_PAYLOAD, b->p, (uint32_t)n);
}

static void flow_with_packets(struct rec_flow *f, uint32_t count)
{
	struct buf *b = val_new(11);
	struct rec_pkt p;

	core4(f);
	f->pkts[0] = count;
	f->pkts[1] = 0;
	f->last_ns = f->first_ns;
	memset(&p, 0, sizeof p);
	buf_reserve(b, 4 + (size_t)count * REC_PKT_ENTRY);
	buf_put32(b, count);
	for (uint32_t i = 0; i < count; i++)
		rec_pkt_put(b, &p);
	rec_set(f, RE_PACKETS, b->p, (uint32_t)b->len);
}

static void flow_with_text(struct rec_flow *f, uint16_t id, size_t prefix, size_t n)
{
	struct buf *b = val_new(12);

	core4(f);
	buf_reserve(b, prefix + n + 1);
	if (prefix)
		buf_put64(b, 1);
	memset(b->p + b->len, 'a', n);
	b->len += n;
	rec_set(f, id, b->p, (uint32_t)b->len);
}

static void flow_with_features(struct rec_flow *f, uint32_t count)
{
	struct buf *b = val_new(13);
	char name[16];

	core4(f);
	buf_put16(b, (uint16_t)count); /* count 65536 would wrap: not tested */
	for (uint32_t i = 0; i < count; i++) {
		int n = snprintf(name, sizeof name, "f%" PRIu32, i);

		buf_put8(b, (uint8_t)n);
		buf_put(b, name, (size_t)n);
		put_f64(b, (double)i);
	}
	rec_set(f, RE_FEATURES, b->p, (uint32_t)b->len);
}

static void flow_with_encap(struct rec_flow *f, uint32_t count)
{
	struct buf *b = val_new(14);

	core4(f);
	for (uint32_t i = 0; i < count; i++) {
		buf_put8(b, ENCAP_VLAN);
		buf_put32(b, i);
	}
	rec_set(f, RE_ENCAP, b->p, (uint32_t)b->len);
}

static void flow_with_meta(struct rec_flow *f, uint32_t count)
{
	struct buf *b = val_new(15);

	core4(f);
	for (uint32_t i = 0; i < count; i++)
		meta_put(b, 5, "\xc0\x00\x02\x01", 4);
	rec_set(f, RE_DNS, b->p, (uint32_t)b->len);
}

/* PKTBYTES with count packets of n stored bytes each (link layer). */
static void flow_with_pktbytes(struct rec_flow *f, uint32_t count, uint32_t n)
{
	struct buf *data = val_new(16), *b = val_new(17);
	struct rec_pb pb;

	core4(f);
	f->pkts[0] = count;
	f->pkts[1] = 0;
	f->last_ns = f->first_ns;
	buf_reserve(data, n + 1);
	memset(data->p, 0xab, n);
	buf_reserve(b, 8 + (size_t)count * (REC_PB_HDR + n));
	buf_put8(b, 1);
	buf_put8(b, 0);
	buf_put16(b, 0);
	buf_put32(b, count);
	for (uint32_t i = 0; i < count; i++) {
		memset(&pb, 0, sizeof pb);
		pb.index = i;
		pb.ts_ns = f->first_ns;
		pb.orig_len = n;
		pb.incl_len = n;
		pb.linktype = 1;
		pb.link_len = n < 14 ? 0 : 14;
		pb.n = n;
		pb.data = data->p;
		rec_pb_put(b, &pb);
	}
	rec_set(f, RE_PKTBYTES, b->p, (uint32_t)b->len);
}

/* The five sizes around a limit: 0, 1, max-1, max, max+1. */
#define FIVE(max) { 0, 1, (max) - 1, (max), (max) + 1 }

static void test_limits(void)
{
	static struct rec_flow f;
	static struct rec_header h;
	char what[160];
	size_t max_payload = REC_MAX_LEN - REC_FLOW_CORE - 6;

	/* Record length, through the largest element. */
	{
		size_t sizes[] = { 0, 1, max_payload - 1, max_payload, max_payload + 1 };

		for (int i = 0; i < 5; i++) {
			flow_with_payload(&f, sizes[i]);
			snprintf(what, sizeof what, "flow record of %zu bytes (limit %u)",
			    REC_FLOW_CORE + 6 + sizes[i], REC_MAX_LEN);
			check_flow(&f, i < 4, what);
		}
	}

	/* Elements per flow record. */
	{
		unsigned sizes[] = FIVE(REC_MAX_ELEMS);

		for (int i = 0; i < 4; i++) {
			core4(&f);
			for (unsigned j = 0; j < sizes[i]; j++)
				rec_set(&f, (uint16_t)(0x0200 + j), "", 0);
			snprintf(what, sizeof what, "%u elements (limit %u)", sizes[i], REC_MAX_ELEMS);
			check_flow(&f, 1, what);
		}
		ok(rec_set(&f, 0x0300, "", 0) == -1, "rec_set refuses element %u", REC_MAX_ELEMS + 1);
		/* A record that carries one more element than allowed. */
		core4(&f);
		for (unsigned j = 0; j < REC_MAX_ELEMS; j++)
			rec_set(&f, (uint16_t)(0x0200 + j), "", 0);
		buf_reset(&enc);
		if (rec_encode_flow(&enc, &f, err, sizeof err) == 0) {
			buf_put16(&enc, 0x0300);
			buf_put32(&enc, 0);
			put_be32(enc.p, (uint32_t)enc.len);
			err[0] = 0;
			ok(rec_decode_flow(enc.p, enc.len, &g_dec, err, sizeof err) < 0 && err[0],
			    "decoder rejects %u elements with a message", REC_MAX_ELEMS + 1);
		} else {
			ok(0, "encode %u elements", REC_MAX_ELEMS);
		}
	}

	/* PACKETS entries. */
	{
		uint32_t sizes[] = FIVE(REC_MAX_PKTS);

		for (int i = 0; i < 5; i++) {
			flow_with_packets(&f, sizes[i]);
			snprintf(what, sizeof what, "PACKETS with %" PRIu32 " entries (limit %u)",
			    sizes[i], REC_MAX_PKTS);
			check_flow(&f, i < 4, what);
		}
		flow_with_packets(&f, 5);
		f.pkts[0] = 4;
		check_flow(&f, 0, "PACKETS with more entries than the flow's packets");
	}

	/* PKTBYTES packets and stored bytes per packet. */
	{
		uint32_t sizes[] = FIVE(REC_MAX_PKTS);
		uint32_t bytes[] = FIVE(REC_MAX_PKT_STORED);

		for (int i = 0; i < 5; i++) {
			flow_with_pktbytes(&f, sizes[i], 0);
			snprintf(what, sizeof what, "PKTBYTES with %" PRIu32 " packets (limit %u)",
			    sizes[i], REC_MAX_PKTS);
			check_flow(&f, i < 4, what);
		}
		for (int i = 0; i < 5; i++) {
			flow_with_pktbytes(&f, 1, bytes[i]);
			snprintf(what, sizeof what, "PKTBYTES packet of %" PRIu32 " bytes (limit %u)",
			    bytes[i], REC_MAX_PKT_STORED);
			check_flow(&f, i < 4, what);
		}
	}

	/* Label and source name lengths. */
	{
		size_t sizes[] = FIVE((size_t)REC_MAX_LABEL);
		size_t names[] = FIVE((size_t)REC_MAX_SOURCE_NAME);

		for (int i = 0; i < 5; i++) {
			flow_with_text(&f, RE_LABEL, 0, sizes[i]);
			snprintf(what, sizeof what, "label of %zu bytes (limit %u)", sizes[i], REC_MAX_LABEL);
			check_flow(&f, i < 4, what);
		}
		for (int i = 0; i < 5; i++) {
			flow_with_text(&f, RE_SOURCE, 8, names[i]);
			snprintf(what, sizeof what, "source name of %zu bytes (limit %u)", names[i],
			    REC_MAX_SOURCE_NAME);
			check_flow(&f, i < 4, what);
		}
	}

	/* Features, ENCAP entries, metadata fields. */
	{
		uint32_t feats[] = FIVE(REC_MAX_FEATURES);
		uint32_t encs[] = FIVE(REC_MAX_ENCAP);
		uint32_t metas[] = FIVE(REC_MAX_META_FIELDS);

		for (int i = 0; i < 5; i++) {
			flow_with_features(&f, feats[i]);
			snprintf(what, sizeof what, "%" PRIu32 " features (limit %u)", feats[i],
			    REC_MAX_FEATURES);
			check_flow(&f, i < 4, what);
		}
		for (int i = 0; i < 5; i++) {
			flow_with_encap(&f, encs[i]);
			snprintf(what, sizeof what, "%" PRIu32 " ENCAP entries (limit %u)", encs[i],
			    REC_MAX_ENCAP);
			check_flow(&f, i < 4, what);
		}
		for (int i = 0; i < 5; i++) {
			flow_with_meta(&f, metas[i]);
			snprintf(what, sizeof what, "%" PRIu32 " DNS fields (limit %u)", metas[i],
			    REC_MAX_META_FIELDS);
			check_flow(&f, i < 4, what);
		}
	}

	/* u64 fields: 2^63-1 is the largest value. */
	{
		core4(&f);
		f.first_ns = f.last_ns = REC_U64_MAX;
		check_flow(&f, 1, "timestamps 2^63-1");
		f.last_ns = (uint64_t)REC_U64_MAX + 1;
		check_flow(&f, 0, "last_ns 2^63");
		core4(&f);
		f.pkts[1] = (uint64_t)REC_U64_MAX - 1;
		check_flow(&f, 1, "dst_pkts 2^63-2");
		f.pkts[1] = REC_U64_MAX;
		check_flow(&f, 1, "dst_pkts 2^63-1");
		f.pkts[1] = (uint64_t)REC_U64_MAX + 1;
		check_flow(&f, 0, "dst_pkts 2^63");
		core4(&f);
		f.bytes[0] = UINT64_MAX;
		check_flow(&f, 0, "src_bytes 2^64-1");
		core4(&f);
		f.l3_bytes[1] = (uint64_t)REC_U64_MAX + 1;
		check_flow(&f, 0, "dst_l3_bytes 2^63");
	}

	/* Header text, provenance and note counts, elements per header. */
	{
		size_t sizes[] = FIVE((size_t)REC_MAX_HDR_TEXT);
		unsigned counts[] = FIVE(REC_MAX_PROVENANCE);
		unsigned notes[] = FIVE(REC_MAX_NOTES);
		struct buf *b = val_new(20);
		int bad;

		buf_reserve(b, REC_MAX_HDR_TEXT + 2);
		memset(b->p, 'n', REC_MAX_HDR_TEXT + 2);
		for (int i = 0; i < 5; i++) {
			init_header(&h);
			snprintf(what, sizeof what, "header NOTE of %zu bytes (limit %u)", sizes[i],
			    REC_MAX_HDR_TEXT);
			if (rec_header_add(&h, RH_NOTE, b->p, (uint32_t)sizes[i]) < 0)
				ok(i == 4, "%s: rec_header_add refuses", what);
			else
				check_header(&h, i < 4, what);
		}
		for (int i = 0; i < 5; i++) {
			init_header(&h);
			bad = 0;
			for (unsigned j = 0; j < counts[i]; j++)
				if (rec_header_add(&h, RH_PROVENANCE, "tool -x", 7) < 0)
					bad = 1;
			snprintf(what, sizeof what, "%u PROVENANCE elements (limit %u)", counts[i],
			    REC_MAX_PROVENANCE);
			if (bad)
				ok(i == 4, "%s: rec_header_add refuses", what);
			else
				check_header(&h, i < 4, what);
		}
		for (int i = 0; i < 5; i++) {
			init_header(&h);
			bad = 0;
			for (unsigned j = 0; j < notes[i]; j++)
				if (rec_header_add(&h, RH_NOTE, "k=v", 3) < 0)
					bad = 1;
			snprintf(what, sizeof what, "%u NOTE elements (limit %u)", notes[i], REC_MAX_NOTES);
			if (bad)
				ok(i == 4, "%s: rec_header_add refuses", what);
			else
				check_header(&h, i < 4, what);
		}
		/* Elements per header: the creator plus distinct unknown elements. */
		for (int i = 2; i < 5; i++) {
			unsigned total = (unsigned[])FIVE(REC_MAX_HDR_ELEMS)[i];

			init_header(&h);
			bad = 0;
			for (unsigned j = 1; j < total; j++)
				if (rec_header_add(&h, (uint16_t)(0x0100 + j), "", 0) < 0)
					bad = 1;
			snprintf(what, sizeof what, "%u header elements (limit %u)", total,
			    REC_MAX_HDR_ELEMS);
			if (bad)
				ok(i == 4, "%s: rec_header_add refuses", what);
			else
				check_header(&h, i < 4, what);
		}
		/* Header record size: notes up to exactly 1 MiB, then one byte more. */
		for (int i = 0; i < 3; i++) {
			size_t left;

			init_header(&h);
			left = REC_MAX_HEADER_LEN - REC_HEADER_FIXED - 6 - strlen("flowkit " FK_VERSION);
			while (left > 6 + REC_MAX_HDR_TEXT) {
				rec_header_add(&h, RH_NOTE, b->p, REC_MAX_HDR_TEXT);
				left -= 6 + REC_MAX_HDR_TEXT;
			}
			rec_header_add(&h, RH_NOTE, b->p, (uint32_t)(left - 6 + (size_t)i) - 1);
			snprintf(what, sizeof what, "header record of %zu bytes (limit %u)",
			    (size_t)REC_MAX_HEADER_LEN - 1 + (size_t)i, REC_MAX_HEADER_LEN);
			check_header(&h, i < 2, what);
		}
	}
}

/* Structural rules: reserved fields, duplicates, unknown elements, and the like. */
static void test_rules(void)
{
	static struct rec_flow f;
	static struct rec_header h;
	static struct buf b;
	struct rec_end e = { 0, 0, 0 };
	int r;

	init_header(&h);
	buf_reset(&b);
	rec_encode_header(&b, &h, err, sizeof err);
	rejected(decode_patched(REC_HEADER, &b, 6, 1), "header: reserved prefix bytes rejected");
	rejected(decode_patched(REC_HEADER, &b, 19, 1), "header: reserved bytes 18-19 rejected");
	rejected(decode_patched(REC_HEADER, &b, 9, 'f'), "header: bad magic rejected");
	rejected(decode_patched(REC_HEADER, &b, 16, 2), "header: major version 2 rejected");
	ok(decode_patched(REC_HEADER, &b, 17, 9) == 0, "header: minor version 9 accepted");
	rejected(decode_patched(REC_HEADER, &b, 5, REC_FLOW), "header decoder: wrong type rejected");
	rec_header_add(&h, REC_CRITICAL | 0x0100, "", 0);
	check_header(&h, 0, "header: unknown critical element");

	core4(&f);
	rec_set(&f, RE_LABEL, "x", 1);
	buf_reset(&b);
	rec_encode_flow(&b, &f, err, sizeof err);
	rejected(decode_patched(REC_FLOW, &b, 7, 1), "flow: reserved prefix bytes rejected");
	rejected(decode_patched(REC_FLOW, &b, 11, 1), "flow: reserved byte 11 rejected");
	rejected(decode_patched(REC_FLOW, &b, 16 + 4, 1), "flow: IPv4 source padding rejected");
	rejected(decode_patched(REC_FLOW, &b, 32 + 15, 1), "flow: IPv4 destination padding rejected");
	rejected(decode_patched(REC_FLOW, &b, 8, 5), "flow: IP version 5 rejected");
	ok(decode_patched(REC_FLOW, &b, 8, 6) == 0, "flow: IP version 6 with the same bytes accepted");
	rejected(decode_patched(REC_FLOW, &b, 120, 0x80), "flow: label id with the critical bit (0x8004, unknown) rejected");
	rejected(decode_patched(REC_FLOW, &b, 125, 2), "flow: element longer than the record rejected");
	rejected(decode_patched(REC_FLOW, &b, 125, 0), "flow: element shorter than the record rejected");
	rejected(decode_patched(REC_FLOW, &b, 3, (uint8_t)(b.len - 1)), "flow: length field not the record length rejected");
	rejected(decode_patched(REC_FLOW, &b, 5, REC_END), "flow decoder: wrong type rejected");

	core4(&f);
	f.last_ns = f.first_ns - 1;
	check_flow(&f, 0, "flow: last_ns before first_ns");

	/* A duplicate element, built by hand (rec_set would replace it). */
	core4(&f);
	rec_set(&f, RE_LABEL, "x", 1);
	buf_reset(&b);
	rec_encode_flow(&b, &f, err, sizeof err);
	buf_put16(&b, RE_LABEL);
	buf_put32(&b, 1);
	buf_put8(&b, 'y');
	put_be32(b.p, (uint32_t)b.len);
	err[0] = 0;
	rejected(rec_decode_flow(b.p, b.len, &g_dec, err, sizeof err), "flow: duplicate element rejected");
	f.nelem = 2;
	f.elem[1] = f.elem[0];
	check_flow(&f, 0, "flow: duplicate element from the encoder");

	core4(&f);
	rec_set(&f, REC_CRITICAL | 0x0123, "x", 1);
	check_flow(&f, 0, "flow: unknown critical element");
	err[0] = 0;
	buf_reset(&b);
	if (rec_encode_flow(&b, &f, err, sizeof err) == 0) {
		rec_decode_flow(b.p, b.len, &g_dec, err, sizeof err);
		ok(strstr(err, "8123") != NULL, "flow: the message names element 0x8123 (%s)", err);
	}
	core4(&f);
	rec_set(&f, 0x0123, "x", 1);
	check_flow(&f, 1, "flow: unknown non-critical element");
	core4(&f);
	rec_set(&f, REC_IDENTIFYING | 0x0123, "x", 1);
	check_flow(&f, 1, "flow: unknown identifying element");

	/* Element contents. */
	{
		struct buf *v = val_new(30);
		struct rec_pkt p;

		flow_with_packets(&f, 2);
		v = val_new(31);
		buf_put32(v, 2);
		memset(&p, 0, sizeof p);
		rec_pkt_put(v, &p);
		p.dir = 2;
		rec_pkt_put(v, &p);
		rec_set(&f, RE_PACKETS, v->p, (uint32_t)v->len);
		check_flow(&f, 0, "PACKETS: direction 2");
		v->len -= 1;
		rec_set(&f, RE_PACKETS, v->p, (uint32_t)v->len);
		check_flow(&f, 0, "PACKETS: length not 4 + 32 * count");

		flow_with_pktbytes(&f, 2, 4);
		v = &val[17];
		put_be32(v->p + 8 + REC_PB_HDR + 4, 0); /* second index not increasing */
		check_flow(&f, 0, "PKTBYTES: indexes not increasing");
		flow_with_pktbytes(&f, 1, 4);
		v = &val[17];
		v->p[2] = 1;
		check_flow(&f, 0, "PKTBYTES: reserved bytes");
		flow_with_pktbytes(&f, 2, 4);
		v = &val[17];
		put_be32(v->p + 4, 3);
		check_flow(&f, 0, "PKTBYTES: count larger than the packets stored");
		flow_with_pktbytes(&f, 1, 4);
		v = &val[17];
		v->p[0] = 2;
		check_flow(&f, 0, "PKTBYTES: layer 2");

		flow_with_features(&f, 2);
		v = &val[13];
		v->p[2 + (1 + 2 + 8) + 1 + 1] = '0'; /* "f1" becomes "f0": a duplicate name */
		check_flow(&f, 0, "FEATURES: duplicate name");
		flow_with_features(&f, 1);
		v = &val[13];
		v->p[2] = 0;
		check_flow(&f, 0, "FEATURES: empty name");
		flow_with_features(&f, 1);
		v = &val[13];
		v->p[3] = ' ';
		check_flow(&f, 0, "FEATURES: name with a space");

		flow_with_encap(&f, 1);
		val[14].len -= 1;
		f.elem[0].len -= 1;
		check_flow(&f, 0, "ENCAP: length not a multiple of 5");

		core4(&f);
		v = val_new(32);
		meta_put(v, 6, "a.example", 9);
		meta_put(v, 2, "b.example", 9);
		rec_set(&f, RE_DNS, v->p, (uint32_t)v->len);
		check_flow(&f, 0, "DNS: tags out of order");
		core4(&f);
		v = val_new(32);
		meta_put(v, 2, "a", 1);
		meta_put(v, 2, "b", 1);
		rec_set(&f, RE_DNS, v->p, (uint32_t)v->len);
		check_flow(&f, 0, "DNS: single-valued qname twice");
		core4(&f);
		v = val_new(32);
		meta_put(v, 1, "abc", 3);
		rec_set(&f, RE_DNS, v->p, (uint32_t)v->len);
		check_flow(&f, 0, "DNS: u16 id of 3 bytes");
		core4(&f);
		v = val_new(32);
		meta_put(v, 5, "abc", 3);
		rec_set(&f, RE_DNS, v->p, (uint32_t)v->len);
		check_flow(&f, 0, "DNS: address of 3 bytes");
		core4(&f);
		v = val_new(32);
		meta_put(v, 1, "ab", 2);
		v->len -= 1;
		rec_set(&f, RE_DNS, v->p, (uint32_t)v->len);
		check_flow(&f, 0, "DNS: field longer than the element");
		core4(&f);
		rec_set(&f, RE_MAC, "abc", 3);
		check_flow(&f, 0, "MAC: 3 bytes");
		core4(&f);
		rec_set(&f, RE_SOURCE, "abc", 3);
		check_flow(&f, 0, "SOURCE: shorter than its u64");
	}

	buf_reset(&b);
	rec_encode_end(&b, &e);
	rejected(decode_patched(REC_END, &b, 6, 1), "end: reserved prefix bytes rejected");
	rejected(decode_patched(REC_END, &b, 8, 0x80), "end: count of 2^63 rejected");
	r = rec_decode_end(b.p, b.len - 1, &e, err, sizeof err);
	ok(r < 0, "end: 31 bytes rejected");

	/* What a stream is not. */
	{
		static const struct {
			const char *bytes;
			size_t len;
			const char *hint, *what;
		} foreign[] = {
			{ "\xd4\xc3\xb2\xa1\x02\x00\x04\x00", 8, "pcap-flows", "pcap, little-endian" },
			{ "\xa1\xb2\xc3\xd4\x00\x02\x00\x04", 8, "pcap-flows", "pcap, big-endian" },
			{ "\x4d\x3c\xb2\xa1\x02\x00\x04\x00", 8, "pcap-flows", "pcap, nanoseconds" },
			{ "\x0a\x0d\x0d\x0a\x1c\x00\x00\x00", 8, "pcap-flows", "pcapng" },
			{ "{\"ipv\":4,\"proto\":6}\n", 20, "flow-json", "JSON Lines" },
		};
		const char *hint;

		for (size_t i = 0; i < sizeof foreign / sizeof foreign[0]; i++) {
			hint = rec_sniff_foreign((const uint8_t *)foreign[i].bytes, foreign[i].len);
			ok(hint && strstr(hint, foreign[i].hint), "sniff: %s -> %s", foreign[i].what,
			    hint ? hint : "(nothing)");
		}
		init_header(&h);
		buf_reset(&b);
		rec_encode_header(&b, &h, err, sizeof err);
		ok(rec_sniff_foreign(b.p, b.len) == NULL, "sniff: a flowrec header is not foreign");
	}
}

/* ---------------------------------------------------------------- */

/* The stream used below: two segments, elements in most flows. */
static struct buf stream;
static size_t seg1_end;
static unsigned nrec;        /* records in the stream */
static size_t rec_off[16];   /* where each record starts */

static void add_end(struct buf *b, uint64_t n, uint64_t pk, uint64_t by)
{
	struct rec_end e = { n, pk, by };

	rec_encode_end(b, &e);
}

static void make_stream(void)
{
	static struct rec_header h;
	static struct rec_flow f;
	uint64_t pk = 0, by = 0;

	buf_reset(&stream);
	nrec = 0;
	init_header(&h);
	rec_header_add(&h, RH_PROVENANCE, "t_rec", 5);
	rec_off[nrec++] = stream.len;
	rec_encode_header(&stream, &h, err, sizeof err);
	for (int i = 0; i < 3; i++) {
		if (i == 1)
			full_flow(&f);
		else
			core4(&f);
		if (i == 2)
			rec_set(&f, RE_LABEL, "third", 5);
		f.sport = (uint16_t)(1000 + i);
		rec_off[nrec++] = stream.len;
		rec_encode_flow(&stream, &f, err, sizeof err);
		pk += f.pkts[0] + f.pkts[1];
		by += f.bytes[0] + f.bytes[1];
	}
	rec_off[nrec++] = stream.len;
	add_end(&stream, 3, pk, by);
	seg1_end = stream.len;
	rec_off[nrec++] = stream.len;
	rec_encode_header(&stream, &h, err, sizeof err);
	core4(&f);
	rec_off[nrec++] = stream.len;
	rec_encode_flow(&stream, &f, err, sizeof err);
	rec_off[nrec++] = stream.len;
	add_end(&stream, 1, f.pkts[0] + f.pkts[1], f.bytes[0] + f.bytes[1]);
	rec_off[nrec] = stream.len;
}

/*
 * read_all(p, n, types, max): read a stream from a private copy of exactly
 * n bytes (so that any over-read is caught by ASan), recording the record
 * types.  Returns RS_EOF or RS_ERR; *count is the number of items; the
 * message of an RS_ERR is left in err.
 */
static int read_all(const uint8_t *p, size_t n, int *types, unsigned max, unsigned *count,
    int check_raw)
{
	uint8_t *copy = xmalloc(n ? n : 1);
	struct rs_reader *r;
	struct rs_item it;
	int t;

	memcpy(copy, p, n);
	r = rs_memopen(copy, n, "mem");
	rs_quiet(r);
	*count = 0;
	err[0] = 0;
	while ((t = rs_next(r, &it)) > 0) {
		if (types && *count < max)
			types[*count] = t;
		if (check_raw && t == RS_FLOW) {
			/* Whatever the reader accepts re-encodes to the same bytes. */
			buf_reset(&enc);
			if (rec_encode_flow(&enc, it.flow, err, sizeof err) < 0 ||
			    enc.len != it.rawlen || memcmp(enc.p, it.raw, enc.len) != 0) {
				t = -2;
				break;
			}
		}
		(*count)++;
	}
	if (t == RS_ERR)
		snprintf(err, sizeof err, "%s", rs_errmsg(r) ? rs_errmsg(r) : "");
	rs_close(r);
	free(copy);
	return t;
}

static void test_stream(void)
{
	int types[16], want[] = { RS_HEADER, RS_FLOW, RS_FLOW, RS_FLOW, RS_END, RS_HEADER, RS_FLOW, RS_END };
	unsigned n, bad = 0, badmsg = 0;
	int r;

	make_stream();
	r = read_all(stream.p, stream.len, types, 16, &n, 1);
	ok(r == RS_EOF && n == 8 && memcmp(types, want, sizeof want) == 0,
	    "two-segment stream of %zu bytes read back", stream.len);
	if (r == RS_ERR)
		diag("%s", err);
	r = read_all(stream.p, 0, NULL, 0, &n, 0);
	ok(r == RS_EOF && n == 0, "empty input is an empty stream");

	/* Every prefix: clean only at 0 and at the end of a segment. */
	for (size_t k = 1; k < stream.len; k++) {
		r = read_all(stream.p, k, NULL, 0, &n, 0);
		if (k == seg1_end) {
			ok(r == RS_EOF && n == 5, "prefix ending after the first END is a valid stream");
			continue;
		}
		if (r != RS_ERR) {
			if (bad++ < 5)
				diag("prefix of %zu bytes: accepted", k);
		} else if (!strstr(err, "truncated")) {
			if (badmsg++ < 5)
				diag("prefix of %zu bytes: message without 'truncated': %s", k, err);
		}
	}
	ok(bad == 0, "every other prefix of the stream (%zu) is rejected", stream.len - 2);
	ok(badmsg == 0, "and the message says truncated (%u do not)", badmsg);
	/* The message counts the complete records, of all types (flowrec(5)). */
	r = read_all(stream.p, rec_off[4], NULL, 0, &n, 0);
	ok(r == RS_ERR && strstr(err, "stream truncated after 4 records"),
	    "header and 3 flows, no END: 'stream truncated after 4 records' (%s)", err);
	r = read_all(stream.p, rec_off[6] + 10, NULL, 0, &n, 0);
	ok(r == RS_ERR && strstr(err, "stream truncated after 6 records"),
	    "cut in the second segment's flow: 'stream truncated after 6 records' (%s)", err);

	/* END counts must match. */
	{
		static struct buf s;

		buf_reset(&s);
		buf_put(&s, stream.p, rec_off[4]);
		add_end(&s, 2, 0, 0);
		r = read_all(s.p, s.len, NULL, 0, &n, 0);
		ok(r == RS_ERR && err[0], "END with the wrong record count rejected (%s)", err);
		buf_reset(&s);
		buf_put(&s, stream.p, rec_off[1]);
		add_end(&s, 0, 1, 0);
		r = read_all(s.p, s.len, NULL, 0, &n, 0);
		ok(r == RS_ERR && err[0], "END with the wrong packet count rejected (%s)", err);

		/* An unknown record type inside a segment is skipped. */
		buf_reset(&s);
		buf_put(&s, stream.p, rec_off[2]);
		buf_put32(&s, 12);
		buf_put16(&s, 9);
		buf_put16(&s, 0);
		buf_put32(&s, 0xdeadbeef);
		buf_put(&s, stream.p + rec_off[2], stream.len - rec_off[2]);
		r = read_all(s.p, s.len, types, 16, &n, 0);
		ok(r == RS_EOF && n == 8, "unknown record type inside a segment skipped");
		/* ... but not before a header. */
		buf_reset(&s);
		buf_put32(&s, 12);
		buf_put16(&s, 9);
		buf_put16(&s, 0);
		buf_put32(&s, 0);
		buf_put(&s, stream.p, stream.len);
		r = read_all(s.p, s.len, NULL, 0, &n, 0);
		ok(r == RS_ERR && err[0], "a stream that does not start with a header rejected (%s)", err);

		/* Record length fields at and around their limits. */
		{
			uint32_t lens[] = { 0, 1, 7, REC_FLOW_CORE - 1, REC_MAX_LEN + 1, UINT32_MAX };

			for (size_t i = 0; i < sizeof lens / sizeof lens[0]; i++) {
				buf_reset(&s);
				buf_put(&s, stream.p, rec_off[1]);
				buf_put32(&s, lens[i]);
				buf_put16(&s, REC_FLOW);
				buf_put16(&s, 0);
				for (int j = 0; j < 200; j++)
					buf_put8(&s, 0);
				r = read_all(s.p, s.len, NULL, 0, &n, 0);
				ok(r == RS_ERR && err[0], "flow record length field %" PRIu32 " rejected (%s)",
				    lens[i], err);
			}
			buf_reset(&s);
			buf_put(&s, stream.p, rec_off[1]);
			buf_put32(&s, REC_MAX_LEN + 1);
			buf_put16(&s, 9);
			buf_put16(&s, 0);
			r = read_all(s.p, s.len, NULL, 0, &n, 0);
			ok(r == RS_ERR && err[0], "unknown record of %u bytes rejected (%s)", REC_MAX_LEN + 1, err);
			buf_reset(&s);
			buf_put(&s, stream.p, rec_off[1]);
			buf_put32(&s, REC_END_LEN + 1);
			buf_put16(&s, REC_END);
			buf_put16(&s, 0);
			for (int j = 0; j < 25; j++)
				buf_put8(&s, 0);
			r = read_all(s.p, s.len, NULL, 0, &n, 0);
			ok(r == RS_ERR && err[0], "END of 33 bytes rejected (%s)", err);
		}

		/* The largest record goes through the reader. */
		{
			static struct rec_flow f;
			size_t max_payload = REC_MAX_LEN - REC_FLOW_CORE - 6;

			buf_reset(&s);
			buf_put(&s, stream.p, rec_off[1]);
			flow_with_payload(&f, max_payload);
			rec_encode_flow(&s, &f, err, sizeof err);
			add_end(&s, 1, f.pkts[0] + f.pkts[1], f.bytes[0] + f.bytes[1]);
			r = read_all(s.p, s.len, NULL, 0, &n, 1);
			ok(r == RS_EOF && n == 3, "a flow record of %u bytes read through the stream (%s)",
			    REC_MAX_LEN, r == RS_ERR ? err : "ok");
		}
		buf_free(&s);
	}

	/* A pcap given by mistake. */
	r = read_all((const uint8_t *)"\xd4\xc3\xb2\xa1\x02\x00\x04\x00\0\0\0\0\0\0\0\0\xff\xff\0\0\1\0\0\0", 24,
	    NULL, 0, &n, 0);
	ok(r == RS_ERR && strstr(err, "pcap-flows"), "pcap bytes: the message names pcap-flows (%s)", err);
}

static void test_random(void)
{
	enum { ITER = 20000 };
	uint8_t buf[1024];
	unsigned n, accepted = 0, nomsg = 0, mism = 0;
	int r;

	/* Random bytes. */
	for (unsigned i = 0; i < ITER; i++) {
		size_t len = 1 + rng() % 300;

		for (size_t j = 0; j < len; j++)
			buf[j] = (uint8_t)rng();
		r = read_all(buf, len, NULL, 0, &n, 0);
		if (r != RS_ERR)
			accepted++;
		else if (!err[0])
			nomsg++;
	}
	ok(accepted == 0, "%u random inputs rejected", ITER);
	ok(nomsg == 0, "each with a message");

	/* A valid header, then random bytes. */
	make_stream();
	accepted = nomsg = 0;
	for (unsigned i = 0; i < ITER; i++) {
		size_t len = rec_off[1] + rng() % 300;

		memcpy(buf, stream.p, rec_off[1]);
		for (size_t j = rec_off[1]; j < len; j++)
			buf[j] = (uint8_t)rng();
		/* Now and then a plausible flow length, to get past the prefix. */
		if (len >= rec_off[1] + 8 && (i & 1)) {
			put_be32(buf + rec_off[1], (uint32_t)(len - rec_off[1]));
			put_be16(buf + rec_off[1] + 4, REC_FLOW);
			buf[rec_off[1] + 6] = buf[rec_off[1] + 7] = 0;
		}
		r = read_all(buf, len, NULL, 0, &n, 1);
		if (r == -2)
			mism++;
		else if (r != RS_ERR)
			accepted++;
		else if (!err[0])
			nomsg++;
	}
	ok(accepted == 0, "%u header + random inputs rejected", ITER);
	ok(nomsg == 0, "each with a message");
	ok(mism == 0, "every flow accepted on the way re-encodes byte-identically");

	/* The valid stream with a few bytes changed. */
	nomsg = mism = 0;
	accepted = 0;
	for (unsigned i = 0; i < ITER; i++) {
		uint8_t *m = xmalloc(stream.len);
		unsigned flips = 1 + (unsigned)(rng() % 4);

		memcpy(m, stream.p, stream.len);
		for (unsigned j = 0; j < flips; j++)
			m[rng() % stream.len] ^= (uint8_t)(1u << (rng() % 8));
		r = read_all(m, stream.len, NULL, 0, &n, 1);
		if (r == -2)
			mism++;
		else if (r == RS_ERR && !err[0])
			nomsg++;
		else if (r == RS_EOF)
			accepted++;
		free(m);
	}
	ok(nomsg == 0, "%u mutated streams: every rejection has a message (%u accepted)", ITER, accepted);
	ok(mism == 0, "mutated streams: every flow accepted re-encodes byte-identically");
}

int main(int argc, char **argv)
{
	cli_init("t_rec", argc, argv);
	test_roundtrips();
	test_limits();
	test_rules();
	test_stream();
	test_random();
	printf("1..%u\n", ntest);
	for (unsigned i = 0; i < NVAL; i++)
		buf_free(&val[i]);
	buf_free(&enc);
	buf_free(&enc2);
	buf_free(&stream);
	return nfail ? 1 : 0;
}
