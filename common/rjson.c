/*
 * rjson.c - flowrec records <-> JSON objects (rjson.h; flow-json(1) is the
 * reference for every key).
 *
 * Output is written by hand, byte for byte: numbers as decimal integers,
 * text as JSON strings when it is valid UTF-8 without NUL and as
 * {"hex":"..."} otherwise, f64 values in the shortest form that reads back
 * to the same bits.  Input is parsed by jansson; each decoder checks the
 * JSON types and ranges it needs (so that a message can name the field)
 * and leaves the rules of the format to rec_decode_flow().
 */
#include <arpa/inet.h>
#include <float.h>
#include <inttypes.h>
#include <stddef.h>
#include <math.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "num.h"
#include "field.h"
#include "rjson.h"

#define NELEM(a) (sizeof(a) / sizeof((a)[0]))

static const char hexdig[] = "0123456789abcdef";

/*
 * Every key below comes from the field registry (field.h).  The columns of
 * "packets" are its PACKETS fields, in entry order, each with its place in
 * the 32-byte entry; the fixed keys of a flow line are its core fields, in
 * output order (registry order is JSON order).
 */
#define PCOL0 FLD_P_T_NS
#define NPCOLS (FLD_P_WINDOW - FLD_P_T_NS + 1)
#define pcol(c) fld_def((enum fld_id)(PCOL0 + (c)))

enum {
	K_IPV = FLD_IPV, K_PROTO = FLD_PROTO, K_SRC = FLD_SRC, K_SPORT = FLD_SPORT, K_DST = FLD_DST,
	K_DPORT = FLD_DPORT, K_FIRST = FLD_FIRST_NS, K_LAST = FLD_LAST_NS, K_STF = FLD_SRC_TCP_FLAGS,
	K_DTF = FLD_DST_TCP_FLAGS, K_END = FLD_END, K_FLAGS = FLD_FLAGS, K_NCORE
};
_Static_assert(K_IPV == 0 && FLD_DST_PKTS == K_FIRST + 3 && K_STF == K_FIRST + 8,
    "core fields in JSON order");

/* The JSON key of a registry field. */
static inline const char *key_of(enum fld_id id)
{
	return fld_key(fld_def(id));
}
#define core_keys(k) fld_name((enum fld_id)(k))

/* ---------------------------------------------------------------- output */

static inline void put_lit(struct buf *b, const char *s)
{
	buf_put(b, s, strlen(s));
}

static void put_u64(struct buf *b, uint64_t v)
{
	char t[20];
	size_t i = sizeof t;

	do {
		t[--i] = (char)('0' + v % 10);
		v /= 10;
	} while (v);
	buf_put(b, t + i, sizeof t - i);
}

void rj_put_hex(struct buf *b, const uint8_t *p, size_t n)
{
	uint8_t *q;
	size_t i;

	buf_reserve(b, 2 * n + 2);
	q = b->p + b->len;
	*q++ = '"';
	for (i = 0; i < n; i++) {
		*q++ = (uint8_t)hexdig[p[i] >> 4];
		*q++ = (uint8_t)hexdig[p[i] & 15];
	}
	*q++ = '"';
	b->len += 2 * n + 2;
}

/* Strict UTF-8 (no overlong forms, no surrogates, nothing past U+10FFFF), no NUL. */
static bool utf8_ok(const uint8_t *p, size_t n)
{
	size_t i = 0, k, j;

	while (i < n) {
		uint8_t c = p[i];
		uint32_t cp, min;

		if (c < 0x80) {
			if (c == 0) return false;
			i++;
			continue;
		}
		if ((c & 0xe0) == 0xc0) { k = 1; cp = c & 0x1f; min = 0x80; }
		else if ((c & 0xf0) == 0xe0) { k = 2; cp = c & 0x0f; min = 0x800; }
		else if ((c & 0xf8) == 0xf0) { k = 3; cp = c & 0x07; min = 0x10000; }
		else return false;
		if (n - i - 1 < k) return false;
		for (j = 1; j <= k; j++) {
			if ((p[i + j] & 0xc0) != 0x80) return false;
			cp = cp << 6 | (p[i + j] & 0x3f);
		}
		if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) return false;
		i += k + 1;
	}
	return true;
}

/* A JSON string of bytes known to be valid UTF-8: escape only what JSON requires. */
static void put_string(struct buf *b, const uint8_t *p, size_t n)
{
	size_t i, run = 0;

	buf_reserve(b, n + 2);
	buf_put8(b, '"');
	for (i = 0; i < n; i++) {
		uint8_t c = p[i];
		char esc[7];

		if (c >= 0x20 && c != '"' && c != '\\') continue;
		buf_put(b, p + run, i - run);
		run = i + 1;
		switch (c) {
		case '"': put_lit(b, "\\\""); break;
		case '\\': put_lit(b, "\\\\"); break;
		case '\n': put_lit(b, "\\n"); break;
		case '\t': put_lit(b, "\\t"); break;
		case '\r': put_lit(b, "\\r"); break;
		case '\b': put_lit(b, "\\b"); break;
		case '\f': put_lit(b, "\\f"); break;
		default:
			esc[0] = '\\'; esc[1] = 'u'; esc[2] = '0'; esc[3] = '0';
			esc[4] = hexdig[c >> 4]; esc[5] = hexdig[c & 15]; esc[6] = 0;
			put_lit(b, esc);
		}
	}
	buf_put(b, p + run, n - run);
	buf_put8(b, '"');
}

void rj_put_text(struct buf *b, const uint8_t *p, size_t n)
{
	if (utf8_ok(p, n)) {
		put_string(b, p, n);
		return;
	}
	put_lit(b, "{\"hex\":");
	rj_put_hex(b, p, n);
	buf_put8(b, '}');
}

static void put_addr(struct buf *b, bool v4, const uint8_t *a)
{
	char s[INET6_ADDRSTRLEN];
	int i;

	buf_put8(b, '"');
	if (v4) {
		for (i = 0; i < 4; i++) {
			if (i) buf_put8(b, '.');
			put_u64(b, a[i]);
		}
	} else {
		inet_ntop(AF_INET6, a, s, sizeof s);
		put_lit(b, s);
	}
	buf_put8(b, '"');
}

/*
 * f64: the shortest %g that reads back to the same value (so 0.1 prints
 * as 0.1, not 0.10000000000000001), with ".0" added to integral values so that the JSON
 * number is a real again ("-0.0" keeps its sign).  Non-finite values are
 * strings; NaNs other than the two usual quiet ones keep their bits.
 */
static void put_f64(struct buf *b, double v)
{
	char s[48];
	uint64_t bits;
	int prec;

	memcpy(&bits, &v, sizeof bits);
	if (isnan(v)) {
		if (bits == UINT64_C(0x7ff8000000000000)) put_lit(b, "\"nan\"");
		else if (bits == UINT64_C(0xfff8000000000000)) put_lit(b, "\"-nan\"");
		else {
			snprintf(s, sizeof s, "\"nan:0x%016" PRIx64 "\"", bits);
			put_lit(b, s);
		}
		return;
	}
	if (isinf(v)) {
		put_lit(b, v > 0 ? "\"inf\"" : "\"-inf\"");
		return;
	}
	/*
	 * For a normal number the 15-digit rounding, once %g has dropped its
	 * trailing zeros, is already the shortest string when one of 15 digits
	 * or fewer exists; subnormals have fewer bits, so they start lower.
	 */
	prec = v != 0 && fabs(v) < DBL_MIN ? 1 : 15;
	for (; prec <= 17; prec++) {
		snprintf(s, sizeof s, "%.*g", prec, v);
		if (prec == 17 || strtod(s, NULL) == v) break;
	}
	if (strpbrk(s, ".e") == NULL) strcat(s, ".0");
	put_lit(b, s);
}

static void put_packets(struct buf *b, const struct rec_elem *e)
{
	uint32_t n = rec_pkts_count(e), i;
	size_t c;

	buf_put8(b, '{');
	for (c = 0; c < NPCOLS; c++) {
		const uint8_t *p = e->val + 4 + pcol(c)->off;

		if (c) buf_put8(b, ',');
		buf_put8(b, '"');
		put_lit(b, fld_key(pcol(c)));
		put_lit(b, "\":[");
		for (i = 0; i < n; i++, p += REC_PKT_ENTRY) {
			if (i) buf_put8(b, ',');
			switch (pcol(c)->width) {
			case 1: put_u64(b, p[0]); break;
			case 2: put_u64(b, be16(p)); break;
			case 4: put_u64(b, be32(p)); break;
			default: put_u64(b, be64(p)); break;
			}
		}
		buf_put8(b, ']');
	}
	buf_put8(b, '}');
}

/* sep (unless 0), then "key": of a registry field. */
static void put_key(struct buf *b, char sep, enum fld_id id)
{
	const struct fld *d = fld_def(id);
	uint8_t *q;

	buf_reserve(b, d->keylen + 4u);
	q = b->p + b->len;
	if (sep) *q++ = (uint8_t)sep;
	*q++ = '"';
	memcpy(q, d->key, d->keylen);
	q += d->keylen;
	*q++ = '"';
	*q++ = ':';
	b->len = (size_t)(q - b->p);
}

/* A value name as a JSON string; false (nothing written) when it has none. */
static bool put_sym(struct buf *b, enum fld_id id, uint64_t value)
{
	const char *name = fld_sym_name(fld_def(id), value);

	if (name == NULL) return false;
	buf_put8(b, '"');
	put_lit(b, name);
	buf_put8(b, '"');
	return true;
}

static void put_pktbytes(struct buf *b, const struct rec_elem *e)
{
	struct rec_pb_iter it;
	struct rec_pb pb;
	uint8_t layer;
	uint32_t count;
	bool first = true;

	rec_pb_begin(e, &layer, &count, &it);
	put_key(b, '{', FLD_PB_LAYER);
	put_sym(b, FLD_PB_LAYER, layer); /* rec_decode_flow() allows only named layers */
	put_key(b, ',', FLD_PB_PACKETS);
	buf_put8(b, '[');
	while (rec_pb_next(&it, &pb)) {
		if (!first) buf_put8(b, ',');
		first = false;
		put_key(b, '{', FLD_PB_INDEX);
		put_u64(b, pb.index);
		put_key(b, ',', FLD_PB_TS_NS);
		put_u64(b, pb.ts_ns);
		put_key(b, ',', FLD_PB_ORIG_LEN);
		put_u64(b, pb.orig_len);
		put_key(b, ',', FLD_PB_INCL_LEN);
		put_u64(b, pb.incl_len);
		put_key(b, ',', FLD_PB_LINKTYPE);
		put_u64(b, pb.linktype);
		put_key(b, ',', FLD_PB_LINK_LEN);
		put_u64(b, pb.link_len);
		put_key(b, ',', FLD_PB_HEX);
		rj_put_hex(b, pb.data, pb.n);
		buf_put8(b, '}');
	}
	put_lit(b, "]}");
}

static void put_mac(struct buf *b, const uint8_t *m)
{
	int i;

	buf_reserve(b, 19);
	buf_put8(b, '"');
	for (i = 0; i < 6; i++) {
		if (i) buf_put8(b, ':');
		buf_put8(b, (uint8_t)hexdig[m[i] >> 4]);
		buf_put8(b, (uint8_t)hexdig[m[i] & 15]);
	}
	buf_put8(b, '"');
}

static void put_encap(struct buf *b, const struct rec_elem *e)
{
	uint32_t i;

	buf_put8(b, '[');
	for (i = 0; i + 5 <= e->len; i += 5) {
		if (i) buf_put8(b, ',');
		put_key(b, '{', FLD_ENCAP_KIND);
		if (!put_sym(b, FLD_ENCAP_KIND, e->val[i])) put_u64(b, e->val[i]);
		put_key(b, ',', FLD_ENCAP_VALUE);
		put_u64(b, be32(e->val + i + 1));
		buf_put8(b, '}');
	}
	buf_put8(b, ']');
}

static void put_features(struct buf *b, const struct rec_elem *e)
{
	struct rec_feat_iter it;
	const uint8_t *name;
	uint8_t namelen;
	uint16_t count;
	double v;
	bool first = true;

	rec_feat_begin(e, &count, &it);
	buf_put8(b, '{');
	while (rec_feat_next(&it, &name, &namelen, &v)) {
		if (!first) buf_put8(b, ',');
		first = false;
		put_string(b, name, namelen);
		buf_put8(b, ':');
		put_f64(b, v);
	}
	buf_put8(b, '}');
}

static void put_meta_value(struct buf *b, const struct fld *mf, const uint8_t *v, uint16_t n)
{
	uint16_t i;

	switch (mf->type) {
	case FT_U8: put_u64(b, v[0]); break;
	case FT_U16: put_u64(b, be16(v)); break;
	case FT_U32: put_u64(b, be32(v)); break;
	case FT_STR: rj_put_text(b, v, n); break;
	case FT_U16LIST:
		buf_put8(b, '[');
		for (i = 0; i + 1 < n; i += 2) {
			if (i) buf_put8(b, ',');
			put_u64(b, be16(v + i));
		}
		buf_put8(b, ']');
		break;
	case FT_ADDR: put_addr(b, n == 4, v); break;
	default: rj_put_hex(b, v, n); break; /* bytes */
	}
}

/*
 * Known fields in record order (a multi-valued tag becomes one array),
 * then the unknown tags in one "unknown" array, in record order too.
 */
static void put_meta(struct buf *b, const struct rec_elem *e)
{
	struct rec_meta_iter it;
	const struct fld *mf;
	const uint8_t *v;
	uint16_t n;
	uint8_t tag;
	int last = -1;
	bool first = true, open = false, unknown = false;

	buf_put8(b, '{');
	rec_meta_begin(e, &it);
	while (rec_meta_next(&it, &tag, &v, &n)) {
		mf = fld_meta(e->id, tag);
		if (mf == NULL) {
			unknown = true;
			continue;
		}
		if ((mf->flags & FF_MULTI) && tag == last) {
			buf_put8(b, ',');
			put_meta_value(b, mf, v, n);
			continue;
		}
		if (open) buf_put8(b, ']');
		open = false;
		if (!first) buf_put8(b, ',');
		first = false;
		buf_put8(b, '"');
		put_lit(b, fld_key(mf));
		put_lit(b, "\":");
		if (mf->flags & FF_MULTI) {
			buf_put8(b, '[');
			open = true;
		}
		put_meta_value(b, mf, v, n);
		last = tag;
	}
	if (open) buf_put8(b, ']');
	if (unknown) {
		if (!first) buf_put8(b, ',');
		put_lit(b, "\"unknown\":[");
		first = true;
		rec_meta_begin(e, &it);
		while (rec_meta_next(&it, &tag, &v, &n)) {
			if (fld_meta(e->id, tag)) continue;
			if (!first) buf_put8(b, ',');
			first = false;
			put_lit(b, "{\"tag\":");
			put_u64(b, tag);
			put_lit(b, ",\"hex\":");
			rj_put_hex(b, v, n);
			buf_put8(b, '}');
		}
		buf_put8(b, ']');
	}
	buf_put8(b, '}');
}

static void put_elem_key(struct buf *b, uint16_t id)
{
	const struct fld *d = fld_elem(id);
	char s[24];

	if (d) {
		put_lit(b, ",\"");
		put_lit(b, d->name);
		put_lit(b, "\":");
	} else {
		snprintf(s, sizeof s, ",\"elem_0x%04x\":", id);
		put_lit(b, s);
	}
}

void rj_put_flow(struct buf *b, const struct rec_flow *f, unsigned opts)
{
	uint64_t nums[10];
	unsigned i, k;
	bool first;

	put_key(b, '{', FLD_IPV);
	put_u64(b, f->ipv);
	put_key(b, ',', FLD_PROTO);
	put_u64(b, f->proto);
	put_key(b, ',', FLD_SRC);
	put_addr(b, f->ipv == 4, f->src);
	put_key(b, ',', FLD_SPORT);
	put_u64(b, f->sport);
	put_key(b, ',', FLD_DST);
	put_addr(b, f->ipv == 4, f->dst);
	put_key(b, ',', FLD_DPORT);
	put_u64(b, f->dport);
	nums[0] = f->first_ns; nums[1] = f->last_ns;
	nums[2] = f->pkts[0]; nums[3] = f->pkts[1];
	nums[4] = f->bytes[0]; nums[5] = f->bytes[1];
	nums[6] = f->l3_bytes[0]; nums[7] = f->l3_bytes[1];
	nums[8] = f->tcp_flags[0]; nums[9] = f->tcp_flags[1];
	for (k = 0; k < 10; k++) {
		put_key(b, ',', (enum fld_id)(K_FIRST + k));
		put_u64(b, nums[k]);
	}
	put_key(b, ',', FLD_END);
	if (!put_sym(b, FLD_END, f->end_reason)) put_u64(b, f->end_reason);
	put_key(b, ',', FLD_FLAGS);
	buf_put8(b, '[');
	first = true;
	for (k = 0; k < 32; k++) {
		if (!(f->flags & (UINT32_C(1) << k))) continue;
		if (!first) buf_put8(b, ',');
		first = false;
		if (!put_sym(b, FLD_FLAGS, UINT32_C(1) << k)) {
			put_lit(b, "\"bit");
			put_u64(b, k);
			buf_put8(b, '"');
		}
	}
	buf_put8(b, ']');

	for (i = 0; i < f->nelem; i++) {
		const struct rec_elem *e = &f->elem[i];
		uint64_t first_pkt;
		const uint8_t *name;
		uint32_t namelen;

		if (e->id == RE_PACKETS && !(opts & RJ_PACKETS)) continue;
		if ((e->id == RE_PKTBYTES || e->id == RE_PAYLOAD) && !(opts & RJ_BYTES)) continue;
		put_elem_key(b, e->id);
		switch (e->id) {
		case RE_PACKETS: put_packets(b, e); break;
		case RE_PKTBYTES: put_pktbytes(b, e); break;
		case RE_LABEL: rj_put_text(b, e->val, e->len); break;
		case RE_SOURCE:
			rec_source_get(e, &first_pkt, &name, &namelen);
			put_key(b, '{', FLD_SOURCE_FILE);
			rj_put_text(b, name, namelen);
			put_key(b, ',', FLD_SOURCE_FIRST_PKT);
			put_u64(b, first_pkt);
			buf_put8(b, '}');
			break;
		case RE_MAC:
			put_key(b, '{', FLD_MAC_SRC);
			put_mac(b, e->val);
			put_key(b, ',', FLD_MAC_DST);
			put_mac(b, e->val + 6);
			buf_put8(b, '}');
			break;
		case RE_ENCAP: put_encap(b, e); break;
		case RE_FEATURES: put_features(b, e); break;
		case RE_TLS: case RE_HTTP: case RE_DNS: case RE_QUIC: case RE_SSH: case RE_APP: put_meta(b, e); break;
		default: rj_put_hex(b, e->val, e->len); break; /* RE_PAYLOAD and unknown ones */
		}
	}
	buf_put8(b, '}');
}

static void put_hdr_text(struct buf *b, const struct rec_elem *e)
{
	rj_put_text(b, e->val, e->len);
}

void rj_put_header(struct buf *b, const struct rec_header *h)
{
	unsigned i, j, k = 0;
	bool done_prov = false, done_note = false, grouped = true;
	char s[24];

	put_lit(b, "{\"flowrec\":\"");
	put_u64(b, h->major);
	buf_put8(b, '.');
	put_u64(b, h->minor);
	buf_put8(b, '"');
	/*
	 * Keys in the order the kinds first appear; the reader rebuilds the
	 * elements key by key, so k follows that rebuilt order and tells
	 * whether it matches the record.
	 */
	for (i = 0; i < h->nelem; i++) {
		const struct rec_elem *e = &h->elem[i];
		bool *done = e->id == RH_PROVENANCE ? &done_prov : &done_note;

		switch (e->id) {
		case RH_CREATOR:
			put_lit(b, ",\"creator\":");
			put_hdr_text(b, e);
			if (h->elem[k++].id != e->id) grouped = false;
			break;
		case RH_PROVENANCE:
		case RH_NOTE:
			if (*done) break;
			*done = true;
			put_lit(b, e->id == RH_PROVENANCE ? ",\"provenance\":[" : ",\"notes\":[");
			for (j = i; j < h->nelem; j++) {
				if (h->elem[j].id != e->id) continue;
				if (j > i) buf_put8(b, ',');
				put_hdr_text(b, &h->elem[j]);
				if (h->elem[k++].id != e->id) grouped = false;
			}
			buf_put8(b, ']');
			break;
		default:
			snprintf(s, sizeof s, ",\"elem_0x%04x\":", e->id);
			put_lit(b, s);
			rj_put_hex(b, e->val, e->len);
			if (h->elem[k++].id != e->id) grouped = false;
			break;
		}
	}
	if (!grouped) {
		put_lit(b, ",\"order\":[");
		for (i = 0; i < h->nelem; i++) {
			if (i) buf_put8(b, ',');
			put_u64(b, h->elem[i].id);
		}
		buf_put8(b, ']');
	}
	buf_put8(b, '}');
}

/* ----------------------------------------------------------------- input */

struct rj_field {
	uint8_t tag;
	uint16_t len;
	uint32_t seq;
	size_t off;
};

struct rj_dec *rj_dec_new(void)
{
	return xcalloc(1, sizeof(struct rj_dec));
}

void rj_dec_free(struct rj_dec *d)
{
	if (d == NULL) return;
	buf_free(&d->rec);
	buf_free(&d->val);
	buf_free(&d->tmp);
	free(d->fields);
	free(d);
}

static int fail(struct rj_dec *d, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Put the message, prefixed with the path of the field being read, in d->err. */
static int fail(struct rj_dec *d, const char *fmt, ...)
{
	char msg[240];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	if (d->pathlen)
		snprintf(d->err, sizeof d->err, "\"%s\": %s", d->path, msg);
	else
		snprintf(d->err, sizeof d->err, "%s", msg);
	return -1;
}

/*
 * The path grows by ".key" or "[i]"; the mark returned restores it.  It is
 * pushed for every value read (so that any message can name its field),
 * hence plain copies rather than snprintf.
 */
static size_t path_push(struct rj_dec *d, const char *key, size_t idx)
{
	size_t mark = d->pathlen, room = sizeof d->path - 1 - d->pathlen, n;
	char num[24], *p = d->path + d->pathlen;

	if (key) {
		n = strlen(key);
		if (mark && room) {
			*p++ = '.';
			room--;
		}
	} else {
		char *q = num + sizeof num;

		*--q = ']';
		do {
			*--q = (char)('0' + idx % 10);
			idx /= 10;
		} while (idx);
		*--q = '[';
		n = (size_t)(num + sizeof num - q);
		key = q;
	}
	if (n > room) n = room;
	memcpy(p, key, n);
	p[n] = '\0';
	d->pathlen = (size_t)(p + n - d->path);
	return mark;
}

static void path_pop(struct rj_dec *d, size_t mark)
{
	d->pathlen = mark;
	d->path[mark] = '\0';
}

static int get_uint(struct rj_dec *d, json_t *v, uint64_t max, uint64_t *out)
{
	json_int_t i;

	*out = 0;
	if (!json_is_integer(v) || (i = json_integer_value(v)) < 0 || (uint64_t)i > max)
		return fail(d, "expected an integer 0..%" PRIu64, max);
	*out = (uint64_t)i;
	return 0;
}

/* get_uint for an object member (path pushed for the message). */
static int get_member_uint(struct rj_dec *d, const char *key, json_t *v, uint64_t max, uint64_t *out)
{
	size_t mark = path_push(d, key, 0);
	int rc = get_uint(d, v, max, out);

	if (rc == 0) path_pop(d, mark);
	return rc;
}

/* Append the bytes of a hex string to dst; *n gets their number. */
static int get_hex(struct rj_dec *d, json_t *v, struct buf *dst, size_t *n)
{
	const char *s;
	size_t len, i;
	uint8_t *q;

	if (!json_is_string(v)) return fail(d, "expected a string of hex digits");
	s = json_string_value(v);
	len = json_string_length(v);
	if (len % 2) return fail(d, "odd number of hex digits");
	buf_reserve(dst, len / 2);
	q = dst->p + dst->len;
	for (i = 0; i < len; i += 2) {
		int hi = num_hexval(s[i]), lo = num_hexval(s[i + 1]);

		if (hi < 0 || lo < 0)
			return fail(d, "not a hex digit at position %zu", hi < 0 ? i + 1 : i + 2);
		*q++ = (uint8_t)(hi << 4 | lo);
	}
	dst->len += len / 2;
	*n = len / 2;
	return 0;
}

/* Text: a JSON string (its UTF-8 bytes), or {"hex":"..."}.  Appended to dst. */
static int get_text(struct rj_dec *d, json_t *v, struct buf *dst, size_t max, size_t *n)
{
	json_t *hex;

	if (json_is_string(v)) {
		*n = json_string_length(v);
		buf_put(dst, json_string_value(v), *n);
	} else if (json_is_object(v) && json_object_size(v) == 1 &&
	    (hex = json_object_get(v, "hex")) != NULL) {
		size_t mark = path_push(d, "hex", 0);

		if (get_hex(d, hex, dst, n) < 0) return -1;
		path_pop(d, mark);
	} else {
		return fail(d, "expected a string or {\"hex\":\"...\"}");
	}
	if (*n > max) return fail(d, "%zu bytes of text, more than %zu", *n, max);
	return 0;
}

/* An address of IP version ipv (4 or 6), or of either when ipv is 0; *n = 4 or 16. */
static int get_addr(struct rj_dec *d, json_t *v, int ipv, uint8_t out[16], size_t *n)
{
	const char *s = json_is_string(v) ? json_string_value(v) : NULL;
	bool six = s && strchr(s, ':') != NULL;

	memset(out, 0, 16);
	if (s && ipv != 6 && !six && inet_pton(AF_INET, s, out) == 1) {
		*n = 4;
		return 0;
	}
	if (s && ipv != 4 && six && inet_pton(AF_INET6, s, out) == 1) {
		*n = 16;
		return 0;
	}
	return fail(d, "expected %s address", ipv == 4 ? "an IPv4" : ipv == 6 ? "an IPv6" : "an IP");
}

/*
 * Collect the members of an object whose keys must all be in names[]
 * (vals[i] for names[i], NULL when absent); every name is required.
 */
static int get_members(struct rj_dec *d, json_t *obj, const char *const *names, size_t n,
    json_t **vals)
{
	const char *key;
	json_t *v;
	size_t i;

	if (!json_is_object(obj)) return fail(d, "expected an object");
	memset(vals, 0, n * sizeof *vals);
	json_object_foreach(obj, key, v) {
		for (i = 0; i < n && strcmp(key, names[i]) != 0; i++)
			;
		if (i == n) {
			path_push(d, key, 0);
			return fail(d, "unknown key");
		}
		vals[i] = v;
	}
	for (i = 0; i < n; i++)
		if (vals[i] == NULL) return fail(d, "missing key \"%s\"", names[i]);
	return 0;
}

static int dec_packets(struct rj_dec *d, json_t *obj)
{
	json_t *col[NPCOLS] = { 0 }, *v;
	const char *key;
	size_t n = 0, i, c, base, firstcol = NPCOLS;

	if (!json_is_object(obj)) return fail(d, "expected an object of arrays");
	json_object_foreach(obj, key, v) {
		size_t mark = path_push(d, key, 0);

		for (c = 0; c < NPCOLS && strcmp(key, fld_key(pcol(c))) != 0; c++)
			;
		if (c == NPCOLS) return fail(d, "unknown key");
		if (!json_is_array(v)) return fail(d, "expected an array");
		if (firstcol == NPCOLS) {
			firstcol = c;
			n = json_array_size(v);
		} else if (json_array_size(v) != n) {
			return fail(d, "%zu entries, but \"%s\" has %zu", json_array_size(v),
			    fld_key(pcol(firstcol)), n);
		}
		col[c] = v;
		path_pop(d, mark);
	}
	if (n > REC_MAX_PKTS) return fail(d, "%zu packets, more than %u", n, REC_MAX_PKTS);
	buf_put32(&d->val, (uint32_t)n);
	base = d->val.len;
	buf_reserve(&d->val, n * REC_PKT_ENTRY);
	memset(d->val.p + base, 0, n * REC_PKT_ENTRY);
	d->val.len += n * REC_PKT_ENTRY;
	for (c = 0; c < NPCOLS; c++) {
		unsigned w = pcol(c)->width;
		uint64_t max = w == 8 ? (uint64_t)REC_U64_MAX : (UINT64_C(1) << (8 * w)) - 1, x;
		size_t mark;

		if (col[c] == NULL) continue;
		mark = path_push(d, fld_key(pcol(c)), 0);
		for (i = 0; i < n; i++) {
			uint8_t *p = d->val.p + base + i * REC_PKT_ENTRY + pcol(c)->off;
			size_t m2 = path_push(d, NULL, i);

			if (get_uint(d, json_array_get(col[c], i), max, &x) < 0) return -1;
			path_pop(d, m2);
			switch (w) {
			case 1: p[0] = (uint8_t)x; break;
			case 2: put_be16(p, (uint16_t)x); break;
			case 4: put_be32(p, (uint32_t)x); break;
			default: put_be64(p, x); break;
			}
		}
		path_pop(d, mark);
	}
	return 0;
}

static int dec_pktbytes(struct rj_dec *d, json_t *obj)
{
	const char *top[] = { key_of(FLD_PB_LAYER), key_of(FLD_PB_PACKETS) };
	const char *pk[7];
	const struct fld *lf = fld_def(FLD_PB_LAYER);
	json_t *tv[2], *pv[7];
	const char *layer;
	size_t i, n, stored, mark;
	uint64_t x[6], lv;

	for (i = 0; i < 7; i++) pk[i] = key_of((enum fld_id)(FLD_PB_INDEX + i));
	if (get_members(d, obj, top, 2, tv) < 0) return -1;
	layer = json_is_string(tv[0]) ? json_string_value(tv[0]) : "";
	mark = path_push(d, top[0], 0);
	if (fld_sym_value(lf, layer, &lv) < 0)
		return fail(d, "expected \"%s\" or \"%s\"", lf->syms[0].name, lf->syms[1].name);
	buf_put8(&d->val, (uint8_t)lv);
	path_pop(d, mark);
	buf_put8(&d->val, 0);
	buf_put16(&d->val, 0);
	mark = path_push(d, top[1], 0);
	if (!json_is_array(tv[1])) return fail(d, "expected an array");
	n = json_array_size(tv[1]);
	if (n > REC_MAX_PKTS) return fail(d, "%zu packets, more than %u", n, REC_MAX_PKTS);
	buf_put32(&d->val, (uint32_t)n);
	for (i = 0; i < n; i++) {
		size_t m2 = path_push(d, NULL, i), k, at;

		if (get_members(d, json_array_get(tv[1], i), pk, 7, pv) < 0) return -1;
		for (k = 0; k < 6; k++) {
			static const uint64_t max[6] = { UINT32_MAX, REC_U64_MAX, UINT32_MAX, UINT32_MAX,
				UINT16_MAX, UINT16_MAX };

			if (get_member_uint(d, pk[k], pv[k], max[k], &x[k]) < 0) return -1;
		}
		buf_put32(&d->val, (uint32_t)x[0]);
		buf_put64(&d->val, x[1]);
		buf_put32(&d->val, (uint32_t)x[2]);
		buf_put32(&d->val, (uint32_t)x[3]);
		buf_put16(&d->val, (uint16_t)x[4]);
		buf_put16(&d->val, (uint16_t)x[5]);
		at = d->val.len;
		buf_put32(&d->val, 0);
		path_push(d, pk[6], 0);
		if (get_hex(d, pv[6], &d->val, &stored) < 0) return -1;
		if (stored > REC_MAX_PKT_STORED)
			return fail(d, "%zu bytes, more than %u", stored, REC_MAX_PKT_STORED);
		put_be32(d->val.p + at, (uint32_t)stored);
		path_pop(d, m2);
	}
	path_pop(d, mark);
	return 0;
}

static int dec_source(struct rj_dec *d, json_t *obj)
{
	const char *names[] = { key_of(FLD_SOURCE_FILE), key_of(FLD_SOURCE_FIRST_PKT) };
	json_t *v[2];
	uint64_t first;
	size_t n, mark;

	if (get_members(d, obj, names, 2, v) < 0) return -1;
	if (get_member_uint(d, names[1], v[1], REC_U64_MAX, &first) < 0) return -1;
	buf_put64(&d->val, first);
	mark = path_push(d, names[0], 0);
	if (get_text(d, v[0], &d->val, REC_MAX_SOURCE_NAME, &n) < 0) return -1;
	path_pop(d, mark);
	return 0;
}

static int get_mac(struct rj_dec *d, json_t *v)
{
	const char *s = json_is_string(v) ? json_string_value(v) : "";
	uint8_t m[6];
	int i;

	if (strlen(s) != 17) goto bad;
	for (i = 0; i < 6; i++) {
		int hi = num_hexval(s[3 * i]), lo = num_hexval(s[3 * i + 1]);

		if (hi < 0 || lo < 0 || (i < 5 && s[3 * i + 2] != ':')) goto bad;
		m[i] = (uint8_t)(hi << 4 | lo);
	}
	buf_put(&d->val, m, 6);
	return 0;
bad:
	return fail(d, "expected a MAC address such as \"00:11:22:aa:bb:cc\"");
}

static int dec_mac(struct rj_dec *d, json_t *obj)
{
	const char *names[] = { key_of(FLD_MAC_SRC), key_of(FLD_MAC_DST) };
	json_t *v[2];
	int i;

	if (get_members(d, obj, names, 2, v) < 0) return -1;
	for (i = 0; i < 2; i++) {
		size_t mark = path_push(d, names[i], 0);

		if (get_mac(d, v[i]) < 0) return -1;
		path_pop(d, mark);
	}
	return 0;
}

static int dec_encap(struct rj_dec *d, json_t *arr)
{
	const char *names[] = { key_of(FLD_ENCAP_KIND), key_of(FLD_ENCAP_VALUE) };
	json_t *v[2];
	size_t i;
	uint64_t kind, value;

	if (!json_is_array(arr)) return fail(d, "expected an array");
	for (i = 0; i < json_array_size(arr); i++) {
		size_t mark = path_push(d, NULL, i), m2;

		if (get_members(d, json_array_get(arr, i), names, 2, v) < 0) return -1;
		m2 = path_push(d, names[0], 0);
		if (json_is_string(v[0])) {
			if (fld_sym_value(fld_def(FLD_ENCAP_KIND), json_string_value(v[0]), &kind) < 0)
				return fail(d, "unknown kind \"%s\" (a name or an integer 0..255)",
				    json_string_value(v[0]));
		} else if (get_uint(d, v[0], 255, &kind) < 0) {
			return -1;
		}
		path_pop(d, m2);
		if (get_member_uint(d, names[1], v[1], UINT32_MAX, &value) < 0) return -1;
		buf_put8(&d->val, (uint8_t)kind);
		buf_put32(&d->val, (uint32_t)value);
		path_pop(d, mark);
	}
	return 0;
}

/* A feature value: a number, or one of the strings put_f64() writes. */
static int get_f64(struct rj_dec *d, json_t *v, uint64_t *bits)
{
	double x;
	const char *s;

	*bits = 0;
	if (json_is_real(v)) {
		x = json_real_value(v);
	} else if (json_is_integer(v)) {
		x = (double)json_integer_value(v);
	} else if (json_is_string(v)) {
		s = json_string_value(v);
		if (strcmp(s, "nan") == 0) *bits = UINT64_C(0x7ff8000000000000);
		else if (strcmp(s, "-nan") == 0) *bits = UINT64_C(0xfff8000000000000);
		else if (strcmp(s, "inf") == 0) *bits = UINT64_C(0x7ff0000000000000);
		else if (strcmp(s, "-inf") == 0) *bits = UINT64_C(0xfff0000000000000);
		else if (strncmp(s, "nan:0x", 6) == 0 && strlen(s) == 22) {
			size_t i;

			*bits = 0;
			for (i = 6; i < 22; i++) {
				int h = num_hexval(s[i]);

				if (h < 0) goto bad;
				*bits = *bits << 4 | (uint64_t)h;
			}
			x = 0;
			memcpy(&x, bits, sizeof x);
			if (!isnan(x)) goto bad;
		} else {
			goto bad;
		}
		return 0;
	} else {
		goto bad;
	}
	memcpy(bits, &x, sizeof x);
	return 0;
bad:
	return fail(d, "expected a number, \"nan\", \"-nan\", \"inf\", \"-inf\" or \"nan:0x<16 hex digits>\"");
}

static int dec_features(struct rj_dec *d, json_t *obj)
{
	const char *key;
	json_t *v;
	uint64_t bits;

	if (!json_is_object(obj)) return fail(d, "expected an object");
	if (json_object_size(obj) > REC_MAX_FEATURES)
		return fail(d, "%zu features, more than %u", json_object_size(obj), REC_MAX_FEATURES);
	buf_put16(&d->val, (uint16_t)json_object_size(obj));
	json_object_foreach(obj, key, v) {
		size_t n = strlen(key), i, mark = path_push(d, key, 0);

		if (n == 0 || n > 255)
			return fail(d, "a feature name has 1..255 characters");
		for (i = 0; i < n; i++)
			if (key[i] < 0x21 || key[i] > 0x7e)
				return fail(d, "a feature name is printable ASCII without spaces");
		if (get_f64(d, v, &bits) < 0) return -1;
		buf_put8(&d->val, (uint8_t)n);
		buf_put(&d->val, key, n);
		buf_put64(&d->val, bits);
		path_pop(d, mark);
	}
	return 0;
}

static void add_field(struct rj_dec *d, uint8_t tag, size_t off, size_t len)
{
	if (d->nfields == d->capfields) {
		d->capfields = d->capfields ? 2 * d->capfields : 64;
		d->fields = xrealloc(d->fields, d->capfields * sizeof *d->fields);
	}
	d->fields[d->nfields].tag = tag;
	d->fields[d->nfields].off = off;
	d->fields[d->nfields].len = (uint16_t)len;
	d->fields[d->nfields].seq = (uint32_t)d->nfields;
	d->nfields++;
}

static int cmp_field(const void *a, const void *b)
{
	const struct rj_field *x = a, *y = b;

	if (x->tag != y->tag) return x->tag < y->tag ? -1 : 1;
	return x->seq < y->seq ? -1 : x->seq > y->seq;
}

/* One value of a known metadata field, appended to d->tmp as a field. */
static int get_meta_value(struct rj_dec *d, const struct fld *mf, json_t *v)
{
	size_t off = d->tmp.len, n = 0, i;
	uint64_t x;
	uint8_t a[16];

	switch (mf->type) {
	case FT_U8:
	case FT_U16:
	case FT_U32:
		n = mf->type == FT_U8 ? 1 : mf->type == FT_U16 ? 2 : 4;
		if (get_uint(d, v, (UINT64_C(1) << (8 * n)) - 1, &x) < 0) return -1;
		if (n == 1) buf_put8(&d->tmp, (uint8_t)x);
		else if (n == 2) buf_put16(&d->tmp, (uint16_t)x);
		else buf_put32(&d->tmp, (uint32_t)x);
		break;
	case FT_STR:
		if (get_text(d, v, &d->tmp, UINT16_MAX, &n) < 0) return -1;
		break;
	case FT_U16LIST:
		if (!json_is_array(v)) return fail(d, "expected an array of integers 0..65535");
		if (json_array_size(v) > UINT16_MAX / 2)
			return fail(d, "more than %u values", UINT16_MAX / 2);
		for (i = 0; i < json_array_size(v); i++) {
			size_t mark = path_push(d, NULL, i);

			if (get_uint(d, json_array_get(v, i), UINT16_MAX, &x) < 0) return -1;
			buf_put16(&d->tmp, (uint16_t)x);
			path_pop(d, mark);
		}
		n = 2 * json_array_size(v);
		break;
	case FT_ADDR:
		if (get_addr(d, v, 0, a, &n) < 0) return -1;
		buf_put(&d->tmp, a, n);
		break;
	default: /* bytes */
		if (get_hex(d, v, &d->tmp, &n) < 0) return -1;
		if (n > UINT16_MAX) return fail(d, "%zu bytes, more than %u", n, UINT16_MAX);
		break;
	}
	add_field(d, mf->tag, off, n);
	return 0;
}

static int dec_meta_unknown(struct rj_dec *d, json_t *arr)
{
	static const char *const names[] = { "tag", "hex" };
	json_t *v[2];
	size_t i, n, off, mark;
	uint64_t tag;

	if (!json_is_array(arr)) return fail(d, "expected an array of {\"tag\":N,\"hex\":\"...\"}");
	for (i = 0; i < json_array_size(arr); i++) {
		mark = path_push(d, NULL, i);
		if (get_members(d, json_array_get(arr, i), names, 2, v) < 0) return -1;
		if (get_member_uint(d, "tag", v[0], 255, &tag) < 0) return -1;
		off = d->tmp.len;
		path_push(d, "hex", 0);
		if (get_hex(d, v[1], &d->tmp, &n) < 0) return -1;
		if (n > UINT16_MAX) return fail(d, "%zu bytes, more than %u", n, UINT16_MAX);
		add_field(d, (uint8_t)tag, off, n);
		path_pop(d, mark);
	}
	return 0;
}

/*
 * Fields come from the keys (a multi-valued field from an array) and from
 * "unknown"; the record wants them in tag order, values of one tag in the
 * order given, which a sort on (tag, arrival) gives back.
 */
static int dec_meta(struct rj_dec *d, uint16_t id, json_t *obj)
{
	size_t j;
	const struct fld *mf;
	const char *key;
	json_t *v;

	if (!json_is_object(obj)) return fail(d, "expected an object");
	buf_reset(&d->tmp);
	buf_reserve(&d->tmp, 1); /* never a null base, even when every value is empty */
	d->nfields = 0;
	json_object_foreach(obj, key, v) {
		size_t mark = path_push(d, key, 0);

		if (strcmp(key, "unknown") == 0) {
			if (dec_meta_unknown(d, v) < 0) return -1;
			path_pop(d, mark);
			continue;
		}
		if ((mf = fld_child(id, key)) == NULL) return fail(d, "unknown field");
		if (!(mf->flags & FF_MULTI)) {
			if (get_meta_value(d, mf, v) < 0) return -1;
		} else {
			if (!json_is_array(v)) return fail(d, "expected an array");
			for (j = 0; j < json_array_size(v); j++) {
				size_t m2 = path_push(d, NULL, j);

				if (get_meta_value(d, mf, json_array_get(v, j)) < 0) return -1;
				path_pop(d, m2);
			}
		}
		path_pop(d, mark);
	}
	if (d->nfields > REC_MAX_META_FIELDS)
		return fail(d, "%zu fields, more than %u", d->nfields, REC_MAX_META_FIELDS);
	if (d->nfields > 1) qsort(d->fields, d->nfields, sizeof *d->fields, cmp_field);
	for (j = 0; j < d->nfields; j++) {
		buf_put8(&d->val, d->fields[j].tag);
		buf_put16(&d->val, d->fields[j].len);
		buf_put(&d->val, d->tmp.p + d->fields[j].off, d->fields[j].len);
	}
	return 0;
}

/* The element id a flow key names: a known name or elem_0xNNNN; -1 if neither. */
static int elem_key_id(const char *key)
{
	const struct fld *e = fld_elem_by_key(key);
	int id = 0, i, h;

	if (e) return e->elem;
	if (strncmp(key, "elem_0x", 7) != 0 || strlen(key) != 11) return -1;
	for (i = 7; i < 11; i++) {
		if ((h = num_hexval(key[i])) < 0) return -1;
		id = id << 4 | h;
	}
	return id;
}

static int dec_elem(struct rj_dec *d, int id, const char *key, json_t *v)
{
	size_t n;

	if (strncmp(key, "elem_0x", 7) == 0) return get_hex(d, v, &d->val, &n);
	switch (id) {
	case RE_PACKETS: return dec_packets(d, v);
	case RE_PKTBYTES: return dec_pktbytes(d, v);
	case RE_PAYLOAD: return get_hex(d, v, &d->val, &n);
	case RE_LABEL: return get_text(d, v, &d->val, REC_MAX_LABEL, &n);
	case RE_SOURCE: return dec_source(d, v);
	case RE_MAC: return dec_mac(d, v);
	case RE_ENCAP: return dec_encap(d, v);
	case RE_FEATURES: return dec_features(d, v);
	case RE_TLS: case RE_HTTP: case RE_DNS: case RE_QUIC: case RE_SSH: case RE_APP: return dec_meta(d, (uint16_t)id, v);
	}
	return get_hex(d, v, &d->val, &n);
}

/* The core key index of key, or -1; called for every key of every line. */
static int core_key(const char *key)
{
	int k;

	switch (key[0]) {
	case 'i': k = K_IPV; break;
	case 'p': k = K_PROTO; break;
	case 'e': k = K_END; break;
	case 'f':
		if (key[1] == 'l') { k = K_FLAGS; break; }
		k = K_FIRST;
		break;
	case 'l': k = K_LAST; break;
	case 's':
	case 'd':
		for (k = key[0] == 's' ? K_SRC : K_DST; k < K_END; k++)
			if (strcmp(key, core_keys(k)) == 0) return k;
		return -1;
	default: return -1;
	}
	return strcmp(key, core_keys(k)) == 0 ? k : -1;
}

static int dec_flags(struct rj_dec *d, json_t *arr, uint32_t *flags)
{
	size_t i;
	unsigned bit;

	*flags = 0;
	if (!json_is_array(arr)) return fail(d, "expected an array of flag names");
	for (i = 0; i < json_array_size(arr); i++) {
		json_t *v = json_array_get(arr, i);
		const char *s = json_is_string(v) ? json_string_value(v) : NULL;
		size_t mark = path_push(d, NULL, i);
		uint64_t b;

		for (bit = 0; s && bit < 32; bit++) {
			const char *name = fld_sym_name(fld_def(FLD_FLAGS), UINT32_C(1) << bit);

			if (name && strcmp(s, name) == 0) break;
		}
		if (s && bit == 32 && strncmp(s, "bit", 3) == 0 && num_parse_u64(s + 3, 0, 31, &b) == 0)
			bit = (unsigned)b;
		if (!s || bit == 32)
			return fail(d, "expected a flag name or \"bit<N>\" for an unnamed bit N");
		*flags |= UINT32_C(1) << bit;
		path_pop(d, mark);
	}
	return 0;
}

static int dec_core(struct rj_dec *d, json_t **core, struct rec_flow *f)
{
	static const int required[] = { K_IPV, K_PROTO, K_SRC, K_DST };
	uint64_t x, *dst64[] = { &f->first_ns, &f->last_ns, &f->pkts[0], &f->pkts[1], &f->bytes[0],
		&f->bytes[1], &f->l3_bytes[0], &f->l3_bytes[1] };
	size_t i, n;
	int k;

	for (i = 0; i < NELEM(required); i++)
		if (core[required[i]] == NULL)
			return fail(d, "missing key \"%s\"", core_keys(required[i]));
	for (k = 0; k < K_NCORE; k++) {
		json_t *v = core[k];
		size_t mark;

		if (v == NULL) continue;
		mark = path_push(d, core_keys(k), 0);
		switch (k) {
		case K_IPV:
			if (!json_is_integer(v) || (json_integer_value(v) != 4 && json_integer_value(v) != 6))
				return fail(d, "expected 4 or 6");
			f->ipv = (uint8_t)json_integer_value(v);
			break;
		case K_PROTO:
			if (get_uint(d, v, 255, &x) < 0) return -1;
			f->proto = (uint8_t)x;
			break;
		case K_SRC:
		case K_DST:
			if (get_addr(d, v, f->ipv, k == K_SRC ? f->src : f->dst, &n) < 0) return -1;
			break;
		case K_SPORT:
		case K_DPORT:
		case K_STF:
		case K_DTF:
			if (get_uint(d, v, UINT16_MAX, &x) < 0) return -1;
			if (k == K_SPORT) f->sport = (uint16_t)x;
			else if (k == K_DPORT) f->dport = (uint16_t)x;
			else f->tcp_flags[k == K_DTF] = (uint16_t)x;
			break;
		case K_END:
			if (json_is_string(v)) {
				if (fld_sym_value(fld_def(FLD_END), json_string_value(v), &x) < 0)
					return fail(d, "unknown end reason \"%s\"", json_string_value(v));
				f->end_reason = (uint8_t)x;
			} else if (!json_is_integer(v) || json_integer_value(v) < 0 ||
			    json_integer_value(v) > 255) {
				return fail(d, "expected an end reason name or an integer 0..255");
			} else {
				f->end_reason = (uint8_t)json_integer_value(v);
			}
			break;
		case K_FLAGS:
			if (dec_flags(d, v, &f->flags) < 0) return -1;
			break;
		default:
			if (get_uint(d, v, REC_U64_MAX, dst64[k - K_FIRST]) < 0) return -1;
			break;
		}
		path_pop(d, mark);
	}
	/* A hand-written line may give only first_ns: a flow of one instant. */
	if (core[K_LAST] == NULL) f->last_ns = f->first_ns;
	return 0;
}

int rj_decode_flow(struct rj_dec *d, json_t *obj)
{
	struct rec_flow *f = &d->build;
	json_t *core[K_NCORE] = { 0 }, *v;
	const char *key;
	unsigned i;

	d->pathlen = 0;
	d->path[0] = '\0';
	memset(f, 0, offsetof(struct rec_flow, elem));
	f->nelem = 0;
	buf_reset(&d->val);
	buf_reserve(&d->val, 1); /* elements point into it, even empty ones */
	if (!json_is_object(obj)) return fail(d, "expected a JSON object");
	json_object_foreach(obj, key, v) {
		int k = core_key(key);
		int id;
		size_t mark, off;

		if (k >= 0) {
			core[k] = v;
			continue;
		}
		mark = path_push(d, key, 0);
		if ((id = elem_key_id(key)) < 0)
			return fail(d, "unknown key (not a field, an element name or elem_0xNNNN)");
		for (i = 0; i < f->nelem; i++)
			if (f->elem[i].id == id)
				return fail(d, "element 0x%04x given twice", id);
		if ((id & REC_CRITICAL) && fld_elem((uint16_t)id) == NULL)
			return fail(d, "unknown critical element (a reader must reject it)");
		if (f->nelem == REC_MAX_ELEMS)
			return fail(d, "more than %u elements", REC_MAX_ELEMS);
		off = d->val.len;
		if (dec_elem(d, id, key, v) < 0) return RJ_ERR;
		if (d->val.len - off > UINT32_MAX) return fail(d, "element too large");
		f->elem[f->nelem].id = (uint16_t)id;
		f->elem[f->nelem].len = (uint32_t)(d->val.len - off);
		d->off[f->nelem] = off;
		f->nelem++;
		path_pop(d, mark);
	}
	if (dec_core(d, core, f) < 0) return RJ_ERR;
	for (i = 0; i < f->nelem; i++)
		f->elem[i].val = d->val.p + d->off[i];
	buf_reset(&d->rec);
	if (rec_encode_flow(&d->rec, f, d->err, sizeof d->err) < 0 ||
	    rec_decode_flow(d->rec.p, d->rec.len, &d->flow, d->err, sizeof d->err) < 0)
		return RJ_ERR;
	return RJ_FLOW;
}

static int add_hdr_elem(struct rj_dec *d, uint16_t id, size_t off)
{
	struct rec_header *h = &d->hdr;

	if (h->nelem == REC_MAX_HDR_ELEMS)
		return fail(d, "more than %u header elements", REC_MAX_HDR_ELEMS);
	h->elem[h->nelem].id = id;
	h->elem[h->nelem].len = (uint32_t)(d->val.len - off);
	d->off[h->nelem] = off;
	h->nelem++;
	return 0;
}

static int dec_version(struct rj_dec *d, json_t *v, struct rec_header *h)
{
	const char *s = json_is_string(v) ? json_string_value(v) : "";
	const char *dot = strchr(s, '.');
	char major[8];
	uint64_t ma, mi;

	if (dot == NULL || (size_t)(dot - s) >= sizeof major) goto bad;
	memcpy(major, s, (size_t)(dot - s));
	major[dot - s] = '\0';
	if (num_parse_u64(major, 0, 255, &ma) < 0 || num_parse_u64(dot + 1, 0, 255, &mi) < 0)
		goto bad;
	if (ma != REC_VERSION_MAJOR)
		return fail(d, "version %s: this reader knows %d.x", s, REC_VERSION_MAJOR);
	h->major = (uint8_t)ma;
	h->minor = (uint8_t)mi;
	return 0;
bad:
	return fail(d, "expected a version such as \"1.0\"");
}

/* "order" lists the element ids; rebuild the element list in that order. */
static int reorder_header(struct rj_dec *d, json_t *order)
{
	struct rec_header *h = &d->hdr;
	struct rec_elem *e;
	size_t *off, i, j;
	bool *used;
	uint64_t id;

	if (!json_is_array(order)) return fail(d, "expected an array of element ids");
	if (json_array_size(order) != h->nelem)
		return fail(d, "%zu ids for %u header elements", json_array_size(order), h->nelem);
	e = xmalloc((h->nelem + 1) * sizeof *e);
	off = xmalloc((h->nelem + 1) * sizeof *off);
	used = xcalloc(h->nelem + 1, sizeof *used);
	for (i = 0; i < h->nelem; i++) {
		size_t mark = path_push(d, NULL, i);

		if (get_uint(d, json_array_get(order, i), UINT16_MAX, &id) < 0) goto out;
		for (j = 0; j < h->nelem && (used[j] || h->elem[j].id != id); j++)
			;
		if (j == h->nelem) {
			fail(d, "no header element 0x%04x left for this place", (unsigned)id);
			goto out;
		}
		used[j] = true;
		e[i] = h->elem[j];
		off[i] = d->off[j];
		path_pop(d, mark);
	}
	memcpy(h->elem, e, h->nelem * sizeof *e);
	memcpy(d->off, off, h->nelem * sizeof *off);
	i = SIZE_MAX;
out:
	free(e);
	free(off);
	free(used);
	return i == SIZE_MAX ? 0 : -1;
}

int rj_decode_header(struct rj_dec *d, json_t *obj)
{
	struct rec_header *h = &d->hdr;
	json_t *v, *order = NULL;
	const char *key;
	size_t n, i;
	unsigned k;

	d->pathlen = 0;
	d->path[0] = '\0';
	h->major = REC_VERSION_MAJOR;
	h->minor = REC_VERSION_MINOR;
	h->nelem = 0;
	buf_reset(&d->val);
	buf_reserve(&d->val, 1); /* elements point into it, even empty ones */
	if (!json_is_object(obj)) return fail(d, "expected a JSON object");
	json_object_foreach(obj, key, v) {
		size_t mark = path_push(d, key, 0), off = d->val.len;
		int id;

		if (strcmp(key, "flowrec") == 0) {
			if (dec_version(d, v, h) < 0) return RJ_ERR;
		} else if (strcmp(key, "creator") == 0) {
			if (get_text(d, v, &d->val, REC_MAX_HDR_TEXT, &n) < 0 ||
			    add_hdr_elem(d, RH_CREATOR, off) < 0)
				return RJ_ERR;
		} else if (strcmp(key, "provenance") == 0 || strcmp(key, "notes") == 0) {
			uint16_t kind = key[0] == 'p' ? RH_PROVENANCE : RH_NOTE;

			if (!json_is_array(v)) return fail(d, "expected an array");
			for (i = 0; i < json_array_size(v); i++) {
				size_t m2 = path_push(d, NULL, i);

				off = d->val.len;
				if (get_text(d, json_array_get(v, i), &d->val, REC_MAX_HDR_TEXT, &n) < 0 ||
				    add_hdr_elem(d, kind, off) < 0)
					return RJ_ERR;
				path_pop(d, m2);
			}
		} else if (strcmp(key, "order") == 0) {
			order = v;
		} else if (strncmp(key, "elem_0x", 7) == 0 && (id = elem_key_id(key)) >= 0) {
			if (id == RH_CREATOR || id == RH_PROVENANCE || id == RH_NOTE)
				return fail(d, "this element has its own key");
			if (get_hex(d, v, &d->val, &n) < 0 || add_hdr_elem(d, (uint16_t)id, off) < 0)
				return RJ_ERR;
		} else {
			return fail(d, "unknown key");
		}
		path_pop(d, mark);
	}
	if (order) {
		size_t mark = path_push(d, "order", 0);

		if (reorder_header(d, order) < 0) return RJ_ERR;
		path_pop(d, mark);
	}
	for (k = 0; k < h->nelem; k++)
		h->elem[k].val = d->val.p + d->off[k];
	/* Check it as a reader will, then hand out the checked copy. */
	buf_reset(&d->tmp);
	if (rec_encode_header(&d->tmp, h, d->err, sizeof d->err) < 0 ||
	    rec_decode_header(d->tmp.p, d->tmp.len, h, d->err, sizeof d->err) < 0)
		return RJ_ERR;
	return RJ_HEADER;
}

/*
 * jansson refuses integers beyond json_int_t before we see them; name the
 * key in front of the number when there is one, as the checks above do.
 */
static void too_big(struct rj_dec *d, const char *line, const json_error_t *e)
{
	size_t i = (size_t)e->position, end;
	char key[64];
	int col;

	/* position is just past the number: go back over it, then look for "key": */
	while (i > 0 && strchr("0123456789-+.eE", line[i - 1])) i--;
	col = e->column - (int)((size_t)e->position - i) + 1;
	while (i > 0 && (line[i - 1] == ' ' || line[i - 1] == '\t')) i--;
	if (i > 0 && line[i - 1] == ':') {
		i--;
		while (i > 0 && (line[i - 1] == ' ' || line[i - 1] == '\t')) i--;
		if (i > 1 && line[i - 1] == '"') {
			end = --i;
			while (i > 0 && line[i - 1] != '"') i--;
			if (i > 0 && end - i < sizeof key) {
				memcpy(key, line + i, end - i);
				key[end - i] = '\0';
				snprintf(d->err, sizeof d->err,
				    "column %d: \"%s\": integer out of range (integers are 0..%" PRId64 ")",
				    col, key, (int64_t)REC_U64_MAX);
				return;
			}
		}
	}
	snprintf(d->err, sizeof d->err, "column %d: integer out of range (integers are 0..%" PRId64 ")",
	    col, (int64_t)REC_U64_MAX);
}

int rj_decode_line(struct rj_dec *d, const char *line, size_t len)
{
	json_error_t e;
	json_t *o;
	size_t i;
	int rc;

	for (i = 0; i < len && (line[i] == ' ' || line[i] == '\t' || line[i] == '\r'); i++)
		;
	if (i == len) return RJ_BLANK;
	o = json_loadb(line, len, JSON_REJECT_DUPLICATES | JSON_ALLOW_NUL | JSON_DECODE_ANY, &e);
	if (o == NULL) {
		if (json_error_code(&e) == json_error_numeric_overflow &&
		    strncmp(e.text, "too big", 7) == 0 && e.position > 0 && (size_t)e.position <= len)
			too_big(d, line, &e);
		else
			snprintf(d->err, sizeof d->err, "column %d: invalid JSON: %s", e.column, e.text);
		return RJ_ERR;
	}
	if (!json_is_object(o)) {
		snprintf(d->err, sizeof d->err, "expected a JSON object");
		rc = RJ_ERR;
	} else if (json_object_get(o, "flowrec") != NULL) {
		rc = rj_decode_header(d, o);
	} else {
		rc = rj_decode_flow(d, o);
	}
	json_decref(o);
	return rc;
}
