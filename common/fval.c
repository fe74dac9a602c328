/*
 * fval.c - field values out of a decoded record: core fields and packet
 * columns in constant time, pkt_bytes and metadata by walking their
 * element.  See fval.h.
 */
#include <string.h>

#include "bytes.h"
#include "fval.h"

static int set_uint(struct fv *v, uint64_t u)
{
	v->vt = FV_UINT;
	v->u = u;
	return 1;
}

static int set_ptr(struct fv *v, enum fv_type vt, const uint8_t *p, uint32_t n)
{
	v->vt = (uint8_t)vt;
	v->p = p;
	v->n = n;
	return 1;
}

/* The i-th stored packet of PKTBYTES: a walk, the entries have no index. */
static bool pb_at(const struct rec_elem *e, uint32_t i, struct rec_pb *pb, uint8_t *layer)
{
	struct rec_pb_iter it;
	uint32_t count, k;

	rec_pb_begin(e, layer, &count, &it);
	for (k = 0; k <= i; k++)
		if (!rec_pb_next(&it, pb)) return false;
	return true;
}

/* The i-th field with this tag of a metadata element. */
static bool meta_at(const struct rec_elem *e, uint8_t want, uint32_t i, const uint8_t **val,
    uint16_t *len)
{
	struct rec_meta_iter it;
	uint8_t tag;

	rec_meta_begin(e, &it);
	while (rec_meta_next(&it, &tag, val, len)) {
		if (tag > want) break;
		if (tag == want && i-- == 0) return true;
	}
	return false;
}

uint32_t fv_count(const struct rec_flow *f, enum fld_id id)
{
	const struct fld *d;
	const struct rec_elem *e;
	struct rec_meta_iter it;
	const uint8_t *val;
	uint16_t len;
	uint8_t tag;
	uint32_t n = 0;

	if ((unsigned)id >= FLD_N) return 0;
	d = fld_def(id);
	if (d->elem == 0) return 1;
	if ((e = rec_find(f, d->elem)) == NULL) return 0;
	if (fld_is_elem(d) || id == FLD_PB_LAYER || id == FLD_SOURCE_FILE || id == FLD_SOURCE_FIRST_PKT ||
	    id == FLD_MAC_SRC || id == FLD_MAC_DST)
		return 1;
	if (d->elem == RE_PACKETS) return rec_pkts_count(e);
	if (d->elem == RE_PKTBYTES) return id == FLD_PB_PACKETS ? 1 : be32(e->val + 4);
	if (d->elem == RE_ENCAP) return e->len / 5;
	rec_meta_begin(e, &it);
	while (rec_meta_next(&it, &tag, &val, &len))
		if (tag == d->tag) n++;
	return n;
}

static int get_core(const struct rec_flow *f, enum fld_id id, struct fv *v)
{
	switch (id) {
	case FLD_IPV: return set_uint(v, f->ipv);
	case FLD_PROTO: return set_uint(v, f->proto);
	case FLD_SRC: return set_ptr(v, FV_ADDR, f->src, f->ipv == 4 ? 4 : 16);
	case FLD_SPORT: return set_uint(v, f->sport);
	case FLD_DST: return set_ptr(v, FV_ADDR, f->dst, f->ipv == 4 ? 4 : 16);
	case FLD_DPORT: return set_uint(v, f->dport);
	case FLD_FIRST_NS: return set_uint(v, f->first_ns);
	case FLD_LAST_NS: return set_uint(v, f->last_ns);
	case FLD_SRC_PKTS: case FLD_DST_PKTS: return set_uint(v, f->pkts[id == FLD_DST_PKTS]);
	case FLD_SRC_BYTES: case FLD_DST_BYTES: return set_uint(v, f->bytes[id == FLD_DST_BYTES]);
	case FLD_SRC_L3_BYTES: case FLD_DST_L3_BYTES:
		return set_uint(v, f->l3_bytes[id == FLD_DST_L3_BYTES]);
	case FLD_SRC_TCP_FLAGS: case FLD_DST_TCP_FLAGS:
		return set_uint(v, f->tcp_flags[id == FLD_DST_TCP_FLAGS]);
	case FLD_END: return set_uint(v, f->end_reason);
	case FLD_FLAGS: return set_uint(v, f->flags);
	case FLD_DURATION: return set_uint(v, f->last_ns - f->first_ns);
	case FLD_PKTS: return set_uint(v, f->pkts[0] + f->pkts[1]);
	case FLD_BYTES: return set_uint(v, f->bytes[0] + f->bytes[1]);
	case FLD_L3_BYTES: return set_uint(v, f->l3_bytes[0] + f->l3_bytes[1]);
	case FLD_TCP_FLAGS: return set_uint(v, (uint64_t)(f->tcp_flags[0] | f->tcp_flags[1]));
	default: return 0;
	}
}

static int get_pktbytes(const struct rec_elem *e, enum fld_id id, uint32_t i, struct fv *v)
{
	struct rec_pb pb;
	uint8_t layer;

	if (id == FLD_PB_LAYER) return i == 0 ? set_uint(v, e->val[0]) : 0;
	if (id == FLD_PB_PACKETS) return i == 0 ? set_ptr(v, FV_BYTES, e->val + 8, e->len - 8) : 0;
	if (!pb_at(e, i, &pb, &layer)) return 0;
	switch (id) {
	case FLD_PB_INDEX: return set_uint(v, pb.index);
	case FLD_PB_TS_NS: return set_uint(v, pb.ts_ns);
	case FLD_PB_ORIG_LEN: return set_uint(v, pb.orig_len);
	case FLD_PB_INCL_LEN: return set_uint(v, pb.incl_len);
	case FLD_PB_LINKTYPE: return set_uint(v, pb.linktype);
	case FLD_PB_LINK_LEN: return set_uint(v, pb.link_len);
	case FLD_PB_HEX: return set_ptr(v, FV_BYTES, pb.data, pb.n);
	default: return 0;
	}
}

static int get_meta(const struct fld *d, const struct rec_elem *e, uint32_t i, struct fv *v)
{
	const uint8_t *val;
	uint16_t len;

	if (!meta_at(e, d->tag, i, &val, &len)) return 0;
	switch (d->type) {
	case FT_U8: return set_uint(v, val[0]);
	case FT_U16: return set_uint(v, be16(val));
	case FT_U32: return set_uint(v, be32(val));
	case FT_STR: return set_ptr(v, FV_TEXT, val, len);
	case FT_U16LIST: return set_ptr(v, FV_U16LIST, val, len);
	case FT_ADDR: return set_ptr(v, FV_ADDR, val, len);
	default: return set_ptr(v, FV_BYTES, val, len);
	}
}

int fv_get(const struct rec_flow *f, enum fld_id id, uint32_t i, struct fv *v)
{
	const struct fld *d;
	const struct rec_elem *e;
	const uint8_t *p;

	v->vt = FV_NONE;
	if ((unsigned)id >= FLD_N) return 0;
	d = fld_def(id);
	if (d->elem == 0) return i == 0 ? get_core(f, id, v) : 0;
	if ((e = rec_find(f, d->elem)) == NULL) return 0;
	if (fld_is_elem(d))
		return i == 0 ? set_ptr(v, d->type == FT_STR ? FV_TEXT : FV_BYTES, e->val, e->len) : 0;
	switch (d->elem) {
	case RE_PACKETS:
		if (i >= rec_pkts_count(e)) return 0;
		p = e->val + 4 + (size_t)i * REC_PKT_ENTRY + d->off;
		switch (d->width) {
		case 1: return set_uint(v, p[0]);
		case 2: return set_uint(v, be16(p));
		case 4: return set_uint(v, be32(p));
		default: return set_uint(v, be64(p));
		}
	case RE_PKTBYTES:
		return get_pktbytes(e, id, i, v);
	case RE_SOURCE:
		if (i) return 0;
		if (id == FLD_SOURCE_FIRST_PKT) return set_uint(v, be64(e->val));
		return set_ptr(v, FV_TEXT, e->val + 8, e->len - 8);
	case RE_MAC:
		return i == 0 ? set_ptr(v, FV_MAC, e->val + (id == FLD_MAC_DST ? 6 : 0), 6) : 0;
	case RE_ENCAP:
		if ((uint64_t)i * 5 + 5 > e->len) return 0;
		p = e->val + (size_t)i * 5;
		return set_uint(v, id == FLD_ENCAP_KIND ? p[0] : be32(p + 1));
	default:
		return get_meta(d, e, i, v);
	}
}

int fv_feature(const struct rec_flow *f, const char *name, size_t n, double *v)
{
	const struct rec_elem *e = rec_find(f, RE_FEATURES);
	struct rec_feat_iter it;
	const uint8_t *fn;
	uint8_t fl;
	uint16_t count;
	double x;

	if (e == NULL) return 0;
	rec_feat_begin(e, &count, &it);
	while (rec_feat_next(&it, &fn, &fl, &x)) {
		if (fl == n && memcmp(fn, name, n) == 0) {
			*v = x;
			return 1;
		}
	}
	return 0;
}
