/*
 * rec.c - flowrec 1.0 codec.  The layouts are in man/flowrec.5; the offset
 * tables are repeated here where the code reads them.
 *
 *   record prefix        flow core (after the prefix)
 *   0  u32 length        8  u8 ipv      12 u32 flags     52 u16 src_tcp_flags
 *   4  u16 type          9  u8 proto    16 16B src       54 u16 dst_tcp_flags
 *   6  u16 reserved      10 u8 end      32 16B dst       56 u64 first_ns
 *                        11 u8 reserved 48 u16 sport     64 u64 last_ns
 *                                       50 u16 dport     72 u64 pkts[2]
 *                                                        88 u64 bytes[2]
 *                                                        104 u64 l3_bytes[2]
 *   element: u16 id, u32 length, value
 */
#include <stdarg.h>
#include <stdio.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "field.h"
#include "rec.h"

const uint8_t rec_magic[8] = { 0x89, 'F', 'L', 'O', 'W', 0x0d, 0x0a, 0x1a };

static int fail(char *err, size_t errlen, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static int fail(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	if (err && errlen) {
		va_start(ap, fmt);
		vsnprintf(err, errlen, fmt, ap);
		va_end(ap);
	}
	return -1;
}

/* The record prefix: length equal to what the caller framed, the type, reserved 0. */
static int check_prefix(const uint8_t *buf, size_t len, unsigned type, char *err, size_t errlen)
{
	if (len < REC_PREFIX_LEN)
		return fail(err, errlen, "record shorter than its prefix");
	if (be32(buf) != len)
		return fail(err, errlen, "record length %u does not match %zu", be32(buf), len);
	if (be16(buf + 4) != type)
		return fail(err, errlen, "record type %u, expected %u", be16(buf + 4), type);
	if (be16(buf + 6) != 0)
		return fail(err, errlen, "reserved prefix bytes are not zero");
	return 0;
}

/*
 * Split the element area into elements.  max bounds the count; ids that
 * may repeat are decided by the caller.
 */
static int split_elems(const uint8_t *p, size_t n, struct rec_elem *elem, unsigned max,
    unsigned *nelem, char *err, size_t errlen)
{
	struct cur c = cur_make(p, n);
	unsigned k = 0;

	while (cur_left(&c) > 0) {
		uint16_t id;
		uint32_t len;
		const uint8_t *val;

		if (!cur_u16(&c, &id) || !cur_u32(&c, &len))
			return fail(err, errlen, "element %u: header cut short", k + 1);
		if (!cur_bytes(&c, len, &val))
			return fail(err, errlen, "element 0x%04x: length %u exceeds the record", id, len);
		if (k == max)
			return fail(err, errlen, "more than %u elements", max);
		elem[k].id = id;
		elem[k].len = len;
		elem[k].val = val;
		k++;
	}
	*nelem = k;
	return 0;
}

int rec_decode_header(const uint8_t *buf, size_t len, struct rec_header *h,
    char *err, size_t errlen)
{
	unsigned i, ncreator = 0, nprov = 0, nnote = 0;

	if (len < REC_HEADER_FIXED || len > REC_MAX_HEADER_LEN)
		return fail(err, errlen, "header length %zu out of range %u..%u", len,
		    REC_HEADER_FIXED, REC_MAX_HEADER_LEN);
	if (check_prefix(buf, len, REC_HEADER, err, errlen) < 0) return -1;
	if (memcmp(buf + 8, rec_magic, sizeof rec_magic) != 0)
		return fail(err, errlen, "bad magic (not a flowrec stream, or mangled)");
	h->major = buf[16];
	h->minor = buf[17];
	if (h->major != REC_VERSION_MAJOR)
		return fail(err, errlen, "unsupported flowrec version %u.%u (this reader knows %d.x)",
		    h->major, h->minor, REC_VERSION_MAJOR);
	if (be16(buf + 18) != 0)
		return fail(err, errlen, "reserved header bytes are not zero");
	if (split_elems(buf + REC_HEADER_FIXED, len - REC_HEADER_FIXED, h->elem, REC_MAX_HDR_ELEMS,
	    &h->nelem, err, errlen) < 0)
		return -1;
	for (i = 0; i < h->nelem; i++) {
		const struct rec_elem *e = &h->elem[i];
		unsigned j;

		switch (e->id) {
		case RH_CREATOR: ncreator++; break;
		case RH_PROVENANCE: nprov++; break;
		case RH_NOTE: nnote++; break;
		default:
			if (e->id & REC_CRITICAL)
				return fail(err, errlen, "unknown critical header element 0x%04x", e->id);
			for (j = 0; j < i; j++)
				if (h->elem[j].id == e->id)
					return fail(err, errlen, "duplicate header element 0x%04x", e->id);
			continue;
		}
		if (e->len > REC_MAX_HDR_TEXT)
			return fail(err, errlen, "header element 0x%04x: %u bytes, more than %u",
			    e->id, e->len, REC_MAX_HDR_TEXT);
	}
	if (ncreator != 1)
		return fail(err, errlen, "header has %u creator elements, expected 1", ncreator);
	if (nprov > REC_MAX_PROVENANCE || nnote > REC_MAX_NOTES)
		return fail(err, errlen, "header has more than %u provenance or notes", REC_MAX_PROVENANCE);
	return 0;
}

/* The entries one by one, for the message about the first bad one. */
static int bad_packet(const struct rec_elem *e, uint32_t count, uint64_t span, char *err,
    size_t errlen)
{
	uint32_t i;

	for (i = 0; i < count; i++) {
		const uint8_t *p = e->val + 4 + (size_t)i * REC_PKT_ENTRY;

		if (be64(p) > span)
			return fail(err, errlen, "packets: entry %u: time offset beyond the flow's last packet", i);
		if (p[24] > 1)
			return fail(err, errlen, "packets: entry %u: direction %u", i, p[24]);
	}
	return fail(err, errlen, "packets: a bad entry"); /* not reached */
}

static int check_packets(const struct rec_flow *f, const struct rec_elem *e, char *err, size_t errlen)
{
	uint32_t count, i;
	uint64_t span = f->last_ns - f->first_ns;
	const uint8_t *p;
	uint64_t maxt = 0;
	unsigned dirs = 0;

	if (e->len < 4)
		return fail(err, errlen, "packets: element too short");
	count = be32(e->val);
	if (count > REC_MAX_PKTS)
		return fail(err, errlen, "packets: %u entries, more than %u", count, REC_MAX_PKTS);
	if (e->len != 4 + (uint64_t)count * REC_PKT_ENTRY)
		return fail(err, errlen, "packets: length %u does not hold %u entries", e->len, count);
	if (count > f->pkts[0] + f->pkts[1])
		return fail(err, errlen, "packets: %u entries but the flow counts %llu packets", count,
		    (unsigned long long)(f->pkts[0] + f->pkts[1]));
	/* Every reader runs this on every entry: no branch per entry (the
	 * largest offset and the directions or-ed together), and the slow
	 * walk only to name the first bad one. */
	for (i = 0, p = e->val + 4; i + 2 <= count; i += 2, p += 2 * REC_PKT_ENTRY) {
		uint64_t t0 = be64(p), t1 = be64(p + REC_PKT_ENTRY), t = t0 > t1 ? t0 : t1;

		maxt = t > maxt ? t : maxt;
		dirs |= p[24] | p[REC_PKT_ENTRY + 24];
	}
	if (i < count) {
		maxt = be64(p) > maxt ? be64(p) : maxt;
		dirs |= p[24];
	}
	return maxt > span || dirs > 1 ? bad_packet(e, count, span, err, errlen) : 0;
}

static int check_pktbytes(const struct rec_flow *f, const struct rec_elem *e, char *err, size_t errlen)
{
	struct cur c = cur_make(e->val, e->len);
	uint8_t layer;
	uint32_t count, i;
	int64_t last = -1;

	if (e->len < 8)
		return fail(err, errlen, "pkt_bytes: element too short");
	layer = e->val[0];
	if (layer > 1)
		return fail(err, errlen, "pkt_bytes: unknown layer %u", layer);
	if (e->val[1] || e->val[2] || e->val[3])
		return fail(err, errlen, "pkt_bytes: reserved bytes are not zero");
	count = be32(e->val + 4);
	if (count > REC_MAX_PKTS)
		return fail(err, errlen, "pkt_bytes: %u packets, more than %u", count, REC_MAX_PKTS);
	cur_skip(&c, 8);
	for (i = 0; i < count; i++) {
		const uint8_t *h;
		uint32_t index, incl, n;
		uint16_t linklen;

		if (!cur_bytes(&c, REC_PB_HDR, &h))
			return fail(err, errlen, "pkt_bytes: packet %u: header cut short", i);
		index = be32(h);
		incl = be32(h + 16);
		linklen = be16(h + 22);
		n = be32(h + 24);
		if ((int64_t)index <= last)
			return fail(err, errlen, "pkt_bytes: packet %u: index %u not increasing", i, index);
		last = index;
		if (index >= f->pkts[0] + f->pkts[1])
			return fail(err, errlen, "pkt_bytes: packet %u: index %u beyond the flow's packets", i,
			    index);
		if (be64(h + 4) > REC_U64_MAX)
			return fail(err, errlen, "pkt_bytes: packet %u: timestamp out of range", i);
		if (n > REC_MAX_PKT_STORED)
			return fail(err, errlen, "pkt_bytes: packet %u: %u stored bytes, more than %u", i, n,
			    REC_MAX_PKT_STORED);
		if (linklen > incl)
			return fail(err, errlen, "pkt_bytes: packet %u: link header longer than the frame", i);
		if (n > incl - (layer == 0 ? linklen : 0))
			return fail(err, errlen, "pkt_bytes: packet %u: more bytes stored than captured", i);
		if (!cur_skip(&c, n))
			return fail(err, errlen, "pkt_bytes: packet %u: %u bytes exceed the element", i, n);
	}
	if (cur_left(&c) != 0)
		return fail(err, errlen, "pkt_bytes: %zu bytes after the last packet", cur_left(&c));
	return 0;
}

static int cmp_name(const void *a, const void *b)
{
	const uint8_t *x = *(const uint8_t *const *)a, *y = *(const uint8_t *const *)b;
	size_t n = x[0] < y[0] ? x[0] : y[0];
	int r = memcmp(x + 1, y + 1, n);

	return r ? r : (int)x[0] - (int)y[0];
}

static int check_features(const struct rec_elem *e, char *err, size_t errlen)
{
	struct cur c = cur_make(e->val, e->len);
	uint16_t count, i;
	const uint8_t **names;
	int rc = 0;

	if (!cur_u16(&c, &count))
		return fail(err, errlen, "features: element too short");
	if (count > REC_MAX_FEATURES)
		return fail(err, errlen, "features: %u values, more than %u", count, REC_MAX_FEATURES);
	names = xmalloc((count ? count : 1) * sizeof *names);
	for (i = 0; i < count; i++) {
		uint8_t n, k;
		const uint8_t *name;

		names[i] = c.p;
		if (!cur_u8(&c, &n) || n == 0 || !cur_bytes(&c, n, &name) || !cur_skip(&c, 8)) {
			rc = fail(err, errlen, "features: value %u cut short or unnamed", i);
			goto out;
		}
		for (k = 0; k < n; k++)
			if (name[k] < 0x21 || name[k] > 0x7e) {
				rc = fail(err, errlen, "features: value %u: name is not printable ASCII", i);
				goto out;
			}
	}
	if (cur_left(&c) != 0) {
		rc = fail(err, errlen, "features: %zu bytes after the last value", cur_left(&c));
		goto out;
	}
	qsort(names, count, sizeof *names, cmp_name);
	for (i = 1; i < count; i++)
		if (cmp_name(&names[i - 1], &names[i]) == 0) {
			rc = fail(err, errlen, "features: duplicate name \"%.*s\"", names[i][0],
			    (const char *)names[i] + 1);
			goto out;
		}
out:
	free(names);
	return rc;
}

/* The metadata elements, in the order of meta_defs. */
static const uint16_t meta_elems[] = { RE_TLS, RE_HTTP, RE_DNS, RE_QUIC, RE_SSH, RE_APP };
#define N_META (sizeof meta_elems / sizeof meta_elems[0])

/*
 * The definition of each tag of a metadata element (NULL: not known),
 * what fld_meta gives, as a table: check_meta looks up every field of
 * every record.  Filled from the registry once (pthread_once: decoders
 * run on several threads in flow-stats).
 */
static const struct fld *meta_tab[N_META][256];
static pthread_once_t meta_once = PTHREAD_ONCE_INIT;

static void meta_fill(void)
{
	const struct fld *d;
	size_t k;

	for (d = fld_table; d < fld_table + FLD_N; d++)
		for (k = 0; k < N_META; k++)
			if (d->elem == meta_elems[k] && !fld_is_elem(d) && d->tag)
				meta_tab[k][d->tag] = d;
}

static const struct fld *const *meta_defs(uint16_t elem)
{
	size_t k;

	pthread_once(&meta_once, meta_fill);
	for (k = 0; k < N_META; k++)
		if (meta_elems[k] == elem) return meta_tab[k];
	return NULL;
}

static int check_meta(const struct rec_elem *e, char *err, size_t errlen)
{
	const uint8_t *p = e->val, *end = e->val + e->len;
	const struct fld *const *defs = meta_defs(e->id);
	unsigned n = 0;
	int last = -1;

	while (p < end) {
		const struct fld *mf;
		uint8_t tag;
		uint16_t len;

		if (end - p < 3 || (len = be16(p + 1)) > (size_t)(end - p - 3))
			return fail(err, errlen, "%s: field %u cut short", rec_elem_name(e->id), n + 1);
		tag = p[0];
		p += 3 + (size_t)len;
		if (++n > REC_MAX_META_FIELDS)
			return fail(err, errlen, "%s: more than %u fields", rec_elem_name(e->id),
			    REC_MAX_META_FIELDS);
		mf = defs[tag];
		if (tag < last)
			return fail(err, errlen, "%s: field tags out of order (%u after %d)",
			    rec_elem_name(e->id), tag, last);
		if (tag == last && mf && !(mf->flags & FF_MULTI))
			return fail(err, errlen, "%s: field %s repeated", rec_elem_name(e->id), fld_key(mf));
		last = tag;
		if (!mf) continue;
		switch (mf->type) {
		case FT_U8: if (len != 1) goto badlen; break;
		case FT_U16: if (len != 2) goto badlen; break;
		case FT_U32: if (len != 4) goto badlen; break;
		case FT_U16LIST: if (len % 2) goto badlen; break;
		case FT_ADDR: if (len != 4 && len != 16) goto badlen; break;
		default: break; /* str, bytes */
		}
		continue;
badlen:
		return fail(err, errlen, "%s: field %s: bad length %u", rec_elem_name(e->id), fld_key(mf), len);
	}
	return 0;
}

static int check_elem(const struct rec_flow *f, const struct rec_elem *e, char *err, size_t errlen)
{
	switch (e->id) {
	case RE_PACKETS: return check_packets(f, e, err, errlen);
	case RE_PKTBYTES: return check_pktbytes(f, e, err, errlen);
	case RE_PAYLOAD: return 0;
	case RE_LABEL:
		if (e->len > REC_MAX_LABEL)
			return fail(err, errlen, "label: %u bytes, more than %u", e->len, REC_MAX_LABEL);
		return 0;
	case RE_SOURCE:
		if (e->len < 8)
			return fail(err, errlen, "source: element too short");
		if (be64(e->val) > REC_U64_MAX)
			return fail(err, errlen, "source: packet number out of range");
		if (e->len - 8 > REC_MAX_SOURCE_NAME)
			return fail(err, errlen, "source: name of %u bytes, more than %u", e->len - 8,
			    REC_MAX_SOURCE_NAME);
		return 0;
	case RE_MAC:
		if (e->len != 12)
			return fail(err, errlen, "mac: length %u, expected 12", e->len);
		return 0;
	case RE_ENCAP:
		if (e->len % 5 || e->len / 5 > REC_MAX_ENCAP)
			return fail(err, errlen, "encap: length %u is not 5 x 0..%u", e->len, REC_MAX_ENCAP);
		return 0;
	case RE_FEATURES: return check_features(e, err, errlen);
	case RE_TLS: case RE_HTTP: case RE_DNS: case RE_QUIC: case RE_SSH: case RE_APP:
		return check_meta(e, err, errlen);
	default:
		if (e->id & REC_CRITICAL)
			return fail(err, errlen, "unknown critical element 0x%04x", e->id);
		return 0;
	}
}

int rec_decode_flow(const uint8_t *buf, size_t len, struct rec_flow *f, char *err, size_t errlen)
{
	static const uint8_t zero[12];
	unsigned i, j;
	uint64_t seen = 0;

	if (len < REC_FLOW_CORE || len > REC_MAX_LEN)
		return fail(err, errlen, "flow record length %zu out of range %u..%u", len,
		    REC_FLOW_CORE, REC_MAX_LEN);
	if (check_prefix(buf, len, REC_FLOW, err, errlen) < 0) return -1;
	f->ipv = buf[8];
	f->proto = buf[9];
	f->end_reason = buf[10];
	if (buf[11] != 0)
		return fail(err, errlen, "reserved core byte is not zero");
	f->flags = be32(buf + 12);
	memcpy(f->src, buf + 16, 16);
	memcpy(f->dst, buf + 32, 16);
	f->sport = be16(buf + 48);
	f->dport = be16(buf + 50);
	f->tcp_flags[0] = be16(buf + 52);
	f->tcp_flags[1] = be16(buf + 54);
	f->first_ns = be64(buf + 56);
	f->last_ns = be64(buf + 64);
	for (i = 0; i < 2; i++) {
		f->pkts[i] = be64(buf + 72 + 8 * i);
		f->bytes[i] = be64(buf + 88 + 8 * i);
		f->l3_bytes[i] = be64(buf + 104 + 8 * i);
	}
	if (f->ipv != 4 && f->ipv != 6)
		return fail(err, errlen, "IP version %u", f->ipv);
	if (f->ipv == 4 && (memcmp(f->src + 4, zero, 12) || memcmp(f->dst + 4, zero, 12)))
		return fail(err, errlen, "IPv4 address with non-zero padding");
	for (i = 56; i < REC_FLOW_CORE; i += 8)
		if (be64(buf + i) > REC_U64_MAX)
			return fail(err, errlen, "64-bit field at offset %u is 2^63 or more", i);
	if (f->last_ns < f->first_ns)
		return fail(err, errlen, "last packet time before the first");
	if (split_elems(buf + REC_FLOW_CORE, len - REC_FLOW_CORE, f->elem, REC_MAX_ELEMS, &f->nelem,
	    err, errlen) < 0)
		return -1;
	for (i = 0; i < f->nelem; i++) {
		/* A bit per id modulo 64: the pairs are compared only when one
		 * might repeat. */
		uint64_t bit = 1ull << (f->elem[i].id & 63);

		if (seen & bit)
			for (j = 0; j < i; j++)
				if (f->elem[j].id == f->elem[i].id)
					return fail(err, errlen, "duplicate element 0x%04x", f->elem[i].id);
		seen |= bit;
		if (check_elem(f, &f->elem[i], err, errlen) < 0) return -1;
	}
	return 0;
}

int rec_decode_end(const uint8_t *buf, size_t len, struct rec_end *e, char *err, size_t errlen)
{
	if (len != REC_END_LEN)
		return fail(err, errlen, "end record length %zu, expected %u", len, REC_END_LEN);
	if (check_prefix(buf, len, REC_END, err, errlen) < 0) return -1;
	e->records = be64(buf + 8);
	e->packets = be64(buf + 16);
	e->bytes = be64(buf + 24);
	if (e->records > REC_U64_MAX || e->packets > REC_U64_MAX || e->bytes > REC_U64_MAX)
		return fail(err, errlen, "end record count is 2^63 or more");
	return 0;
}

static void put_prefix(struct buf *b, uint32_t len, uint16_t type)
{
	buf_put32(b, len);
	buf_put16(b, type);
	buf_put16(b, 0);
}

/* The elements, in the room the caller has reserved (pc: rec_encode_flow_pieces). */
static void put_elems(struct buf *b, const struct rec_elem *elem, unsigned n,
    const struct rec_pieces *pc, unsigned npc)
{
	uint8_t *q = b->p + b->len;
	unsigned i, j, k;

	for (i = 0; i < n; i++) {
		put_be16(q, elem[i].id);
		put_be32(q + 2, elem[i].len);
		q += 6;
		if (elem[i].val) {
			memcpy(q, elem[i].val, elem[i].len);
			q += elem[i].len;
			continue;
		}
		for (j = 0; j < npc && pc[j].id != elem[i].id; j++) continue;
		if (j == npc) { /* not reached: rec_encode_flow_pieces checked */
			memset(q, 0, elem[i].len);
			q += elem[i].len;
			continue;
		}
		for (k = 0; k < pc[j].n; k++) {
			memcpy(q, pc[j].v[k].p, pc[j].v[k].len);
			q += pc[j].v[k].len;
		}
	}
	b->len = (size_t)(q - b->p);
}

static uint64_t elems_size(const struct rec_elem *elem, unsigned n)
{
	uint64_t sz = 0;
	unsigned i;

	for (i = 0; i < n; i++)
		sz += 6 + (uint64_t)elem[i].len;
	return sz;
}

int rec_encode_header(struct buf *b, const struct rec_header *h, char *err, size_t errlen)
{
	uint64_t len;

	if (h->nelem > REC_MAX_HDR_ELEMS)
		return fail(err, errlen, "header: more than %u elements", REC_MAX_HDR_ELEMS);
	len = REC_HEADER_FIXED + elems_size(h->elem, h->nelem);
	if (len > REC_MAX_HEADER_LEN)
		return fail(err, errlen, "header: %llu bytes, more than %u", (unsigned long long)len,
		    REC_MAX_HEADER_LEN);
	buf_reserve(b, len);
	put_prefix(b, (uint32_t)len, REC_HEADER);
	buf_put(b, rec_magic, sizeof rec_magic);
	buf_put8(b, h->major);
	buf_put8(b, h->minor);
	buf_put16(b, 0);
	put_elems(b, h->elem, h->nelem, NULL, 0);
	return 0;
}

int rec_encode_flow(struct buf *b, const struct rec_flow *f, char *err, size_t errlen)
{
	return rec_encode_flow_pieces(b, f, NULL, 0, err, errlen);
}

int rec_encode_flow_pieces(struct buf *b, const struct rec_flow *f, const struct rec_pieces *pc,
    unsigned npc, char *err, size_t errlen)
{
	uint64_t len;
	unsigned i;
	uint8_t core[REC_FLOW_CORE - REC_PREFIX_LEN], *p = core;

	if (f->nelem > REC_MAX_ELEMS)
		return fail(err, errlen, "flow: more than %u elements", REC_MAX_ELEMS);
	for (i = 0; i < f->nelem; i++) {
		unsigned j, k;
		uint64_t sum = 0;

		if (f->elem[i].val || f->elem[i].len == 0) continue;
		for (j = 0; j < npc && pc[j].id != f->elem[i].id; j++) continue;
		for (k = 0; j < npc && k < pc[j].n; k++) sum += pc[j].v[k].len;
		if (sum != f->elem[i].len)
			return fail(err, errlen, "flow: element 0x%04x: %llu bytes in pieces, not %u",
			    f->elem[i].id, (unsigned long long)sum, f->elem[i].len);
	}
	len = REC_FLOW_CORE + elems_size(f->elem, f->nelem);
	if (len > REC_MAX_LEN)
		return fail(err, errlen, "flow: %llu bytes, more than %u", (unsigned long long)len,
		    REC_MAX_LEN);
	buf_reserve(b, len);
	put_prefix(b, (uint32_t)len, REC_FLOW);
	p[0] = f->ipv;
	p[1] = f->proto;
	p[2] = f->end_reason;
	p[3] = 0;
	put_be32(p + 4, f->flags);
	memcpy(p + 8, f->src, 16);
	memcpy(p + 24, f->dst, 16);
	put_be16(p + 40, f->sport);
	put_be16(p + 42, f->dport);
	put_be16(p + 44, f->tcp_flags[0]);
	put_be16(p + 46, f->tcp_flags[1]);
	put_be64(p + 48, f->first_ns);
	put_be64(p + 56, f->last_ns);
	for (i = 0; i < 2; i++) {
		put_be64(p + 64 + 8 * i, f->pkts[i]);
		put_be64(p + 80 + 8 * i, f->bytes[i]);
		put_be64(p + 96 + 8 * i, f->l3_bytes[i]);
	}
	buf_put(b, core, sizeof core);
	put_elems(b, f->elem, f->nelem, pc, npc);
	return 0;
}

void rec_encode_end(struct buf *b, const struct rec_end *e)
{
	put_prefix(b, REC_END_LEN, REC_END);
	buf_put64(b, e->records);
	buf_put64(b, e->packets);
	buf_put64(b, e->bytes);
}

const struct rec_elem *rec_find(const struct rec_flow *f, uint16_t id)
{
	unsigned i;

	for (i = 0; i < f->nelem; i++)
		if (f->elem[i].id == id) return &f->elem[i];
	return NULL;
}

int rec_set(struct rec_flow *f, uint16_t id, const void *val, uint32_t len)
{
	unsigned i;

	for (i = 0; i < f->nelem; i++)
		if (f->elem[i].id == id) break;
	if (i == f->nelem) {
		if (f->nelem == REC_MAX_ELEMS) return -1;
		f->nelem++;
	}
	f->elem[i].id = id;
	f->elem[i].len = len;
	f->elem[i].val = val;
	return 0;
}

void rec_del(struct rec_flow *f, uint16_t id)
{
	unsigned i, k = 0;

	for (i = 0; i < f->nelem; i++)
		if (f->elem[i].id != id) f->elem[k++] = f->elem[i];
	f->nelem = k;
}

int rec_header_add(struct rec_header *h, uint16_t id, const void *val, uint32_t len)
{
	if (h->nelem == REC_MAX_HDR_ELEMS || len > REC_MAX_HDR_TEXT) return -1;
	h->elem[h->nelem].id = id;
	h->elem[h->nelem].len = len;
	h->elem[h->nelem].val = val;
	h->nelem++;
	return 0;
}

void rec_pkt_get(const struct rec_elem *e, uint32_t i, struct rec_pkt *p)
{
	const uint8_t *q = e->val + 4 + (size_t)i * REC_PKT_ENTRY;

	p->t_ns = be64(q);
	p->wire_len = be32(q + 8);
	p->ip_len = be32(q + 12);
	p->l4_len = be32(q + 16);
	p->payload_len = be32(q + 20);
	p->dir = q[24];
	p->pflags = q[25];
	p->ttl = q[26];
	p->tos = q[27];
	p->tcp_flags = be16(q + 28);
	p->window = be16(q + 30);
}

void rec_pkt_put(struct buf *b, const struct rec_pkt *p)
{
	if (b->cap - b->len < REC_PKT_ENTRY) buf_reserve(b, REC_PKT_ENTRY);
	rec_pkt_enc(b->p + b->len, p);
	b->len += REC_PKT_ENTRY;
}

void rec_pb_begin(const struct rec_elem *e, uint8_t *layer, uint32_t *count, struct rec_pb_iter *it)
{
	*layer = e->val[0];
	*count = be32(e->val + 4);
	it->c = cur_make(e->val + 8, e->len - 8);
	it->left = *count;
}

bool rec_pb_next(struct rec_pb_iter *it, struct rec_pb *pb)
{
	const uint8_t *h;

	if (it->left == 0 || !cur_bytes(&it->c, REC_PB_HDR, &h)) return false;
	pb->index = be32(h);
	pb->ts_ns = be64(h + 4);
	pb->orig_len = be32(h + 12);
	pb->incl_len = be32(h + 16);
	pb->linktype = be16(h + 20);
	pb->link_len = be16(h + 22);
	pb->n = be32(h + 24);
	if (!cur_bytes(&it->c, pb->n, &pb->data)) return false;
	it->left--;
	return true;
}

void rec_pb_put(struct buf *b, const struct rec_pb *pb)
{
	uint8_t h[REC_PB_HDR];

	rec_pb_hdr(h, pb);
	buf_put(b, h, sizeof h);
	buf_put(b, pb->data, pb->n);
}

void rec_source_get(const struct rec_elem *e, uint64_t *first_pkt, const uint8_t **name,
    uint32_t *namelen)
{
	*first_pkt = be64(e->val);
	*name = e->val + 8;
	*namelen = e->len - 8;
}

void rec_feat_begin(const struct rec_elem *e, uint16_t *count, struct rec_feat_iter *it)
{
	*count = be16(e->val);
	it->c = cur_make(e->val + 2, e->len - 2);
	it->left = *count;
}

bool rec_feat_next(struct rec_feat_iter *it, const uint8_t **name, uint8_t *namelen, double *v)
{
	uint64_t bits;

	if (it->left == 0 || !cur_u8(&it->c, namelen) || !cur_bytes(&it->c, *namelen, name) ||
	    !cur_u64(&it->c, &bits))
		return false;
	memcpy(v, &bits, sizeof *v);
	it->left--;
	return true;
}

bool rec_meta_next(struct rec_meta_iter *it, uint8_t *tag, const uint8_t **val, uint16_t *len)
{
	struct cur save = it->c;

	if (!cur_u8(&it->c, tag) || !cur_u16(&it->c, len) || !cur_bytes(&it->c, *len, val)) {
		it->c = save;
		return false;
	}
	return true;
}

/*
 * Names come from the field registry (field.h); these keep the codec's
 * own vocabulary for its messages and older callers.
 */
const char *rec_elem_name(uint16_t id)
{
	const struct fld *d = fld_elem(id);

	return d ? d->name : NULL;
}

uint16_t rec_elem_by_name(const char *name)
{
	const struct fld *d = fld_elem_by_key(name);

	return d ? d->elem : 0;
}

const char *rec_end_name(uint8_t reason)
{
	return fld_sym_name(fld_def(FLD_END), reason);
}

int rec_end_by_name(const char *name)
{
	uint64_t v;

	return fld_sym_value(fld_def(FLD_END), name, &v) == 0 ? (int)v : -1;
}

const char *rec_flag_name(unsigned bit)
{
	return bit < 32 ? fld_sym_name(fld_def(FLD_FLAGS), UINT32_C(1) << bit) : NULL;
}

const char *rec_encap_name(uint8_t kind)
{
	return fld_sym_name(fld_def(FLD_ENCAP_KIND), kind);
}

int rec_encap_by_name(const char *name)
{
	uint64_t v;

	return fld_sym_value(fld_def(FLD_ENCAP_KIND), name, &v) == 0 ? (int)v : -1;
}

const char *rec_sniff_foreign(const uint8_t *p, size_t n)
{
	if (n >= 4) {
		uint32_t m = be32(p);

		if (m == 0xa1b2c3d4 || m == 0xd4c3b2a1 || m == 0xa1b23c4d || m == 0x4d3cb2a1)
			return "a pcap capture (use pcap-flows)";
		if (m == 0x0a0d0d0a)
			return "a pcapng capture (use pcap-flows)";
		if (p[0] == 0x1f && p[1] == 0x8b)
			return "gzip-compressed data (decompress it first)";
	}
	while (n > 0 && (*p == ' ' || *p == '\t' || *p == '\r' || *p == '\n')) p++, n--;
	if (n > 0 && (*p == '{' || *p == '['))
		return "JSON text (use flow-json -r)";
	return NULL;
}
