/*
 * session.c - the bytes of a session (session.h).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "session.h"

/* ---- masking ---- */

unsigned ses_mask_bit(unsigned kind)
{
	switch (kind) {
	case PKT_FK_MACDST: case PKT_FK_MACSRC: case PKT_FK_SADDR: case PKT_FK_DADDR:
		return SES_M_ADDR;
	case PKT_FK_SPORT: case PKT_FK_DPORT: return SES_M_PORT;
	case PKT_FK_IPID: case PKT_FK_FLOWLABEL: return SES_M_IPID; /* the flow label plays its part */
	case PKT_FK_TTL: return SES_M_TTL;
	case PKT_FK_IPCSUM: case PKT_FK_L4CSUM: return SES_M_CSUM;
	case PKT_FK_SEQ: case PKT_FK_ACK: return SES_M_SEQ;
	case PKT_FK_TCPTS: return SES_M_TS;
	default: return 0;
	}
}

/*
 * Every located field, stored whole or not: a header cut by the snapshot
 * length or the byte budget (PKT_FP_CUT), a timestamps option cut short,
 * the headers an ICMP error quotes (cut short as a rule) and UDP-Lite's
 * ports and checksum (located by the RFC 3828 layout) are all masked as
 * far as their bytes are there, since a byte left in the image is a byte
 * a model can learn.
 */
void ses_mask(unsigned mask, uint8_t *p, uint32_t n, const struct pkt_info *pi)
{
	struct pkt_ftab t;
	uint32_t i;

	if (pi->caplen > n) return; /* pi does not describe these bytes */
	pkt_locate(pi, p, 1, &t);
	for (i = 0; i < t.n; i++) {
		const struct pkt_fpos *f = &t.f[i];

		if (!(mask & ses_mask_bit(f->kind)) || f->off >= n) continue;
		if (f->kind == PKT_FK_FLOWLABEL) {
			/* The label is the low 20 bits of the 3 bytes; the
			 * traffic class keeps its high nibble. */
			uint32_t k = f->have < n - f->off ? f->have : n - f->off;

			p[f->off] &= 0xf0;
			if (k > 1) memset(p + f->off + 1, 0, k - 1);
		} else {
			pkt_fp_zero(p, n, f);
		}
	}
}

static const struct { const char *name; unsigned bit; } mask_names[] = {
	{ "addr", SES_M_ADDR }, { "port", SES_M_PORT }, { "ipid", SES_M_IPID },
	{ "ttl", SES_M_TTL }, { "csum", SES_M_CSUM }, { "seq", SES_M_SEQ }, { "ts", SES_M_TS },
	{ "all", SES_M_ALL }, { "none", 0 },
};
#define N_MASK_NAMES (sizeof mask_names / sizeof mask_names[0])

int ses_parse_mask(const char *list, unsigned *mask, char *err, size_t errlen)
{
	char *s = xstrdup(list), *tok, *save = NULL;
	unsigned m = 0, i;

	for (tok = strtok_r(s, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
		for (i = 0; i < N_MASK_NAMES; i++)
			if (strcmp(tok, mask_names[i].name) == 0) break;
		if (i == N_MASK_NAMES) {
			snprintf(err, errlen, "unknown field '%s' (addr, port, ipid, ttl, csum, seq, ts, all, none)",
			    tok);
			free(s);
			return -1;
		}
		m |= mask_names[i].bit;
	}
	free(s);
	*mask = m;
	return 0;
}

void ses_mask_list(unsigned mask, char *buf, size_t n)
{
	size_t len = 0;
	unsigned i;

	if (n == 0) return;
	buf[0] = '\0';
	/* The single bits, in the order of the table (not "all"). */
	for (i = 0; i < N_MASK_NAMES && len < n; i++) {
		unsigned b = mask_names[i].bit;

		if (b == 0 || (b & (b - 1)) || !(mask & b)) continue;
		len += (size_t)snprintf(buf + len, n - len, "%s%s", len ? "," : "", mask_names[i].name);
	}
	if (len == 0) snprintf(buf, n, "none");
}

/* ---- session bytes ---- */

uint32_t ses_ip_len(const uint8_t *p, uint32_t n)
{
	if (n >= 4 && p[0] >> 4 == 4) return be16(p + 2);
	if (n >= 6 && p[0] >> 4 == 6) return 40u + be16(p + 4);
	return 0;
}

/* The payload layer: PAYLOAD less the packet payloads below min_payload. */
static void payload_of(const struct ses_config *c, const struct rec_flow *f, struct buf *s,
    struct ses_info *info)
{
	const struct rec_elem *e = rec_find(f, RE_PAYLOAD), *pk;
	uint32_t off = 0, i, npk;

	if (e == NULL) return;
	pk = c->min_payload > 1 ? rec_find(f, RE_PACKETS) : NULL;
	npk = pk ? rec_pkts_count(pk) : 0;
	for (i = 0; i < npk && off < e->len; i++) {
		struct rec_pkt p;
		uint32_t n;

		rec_pkt_get(pk, i, &p);
		if (p.pflags & RP_SNAPLEN) break; /* its stored share is unknown */
		n = p.payload_len < e->len - off ? p.payload_len : e->len - off;
		if (p.payload_len && p.payload_len < c->min_payload) info->payload_dropped++;
		else buf_put(s, e->val + off, n);
		off += n;
	}
	buf_put(s, e->val + off, e->len - off);
}

int ses_build(const struct ses_config *c, const struct rec_flow *f, struct buf *s,
    struct ses_info *info)
{
	const struct rec_elem *e, *pk;
	struct rec_pb_iter it;
	struct rec_pb pb;
	uint32_t count, npk, stored = 0;
	uint8_t layer;
	bool cut = false, first = true;

	memset(info, 0, sizeof *info);
	if (c->tcp_udp_only && f->proto != 6 && f->proto != 17) return SES_PROTO;
	if (c->layer == SES_PAYLOAD) {
		payload_of(c, f, s, info);
		info->short_store = (f->flags & RF_PAYLOAD_TRUNCATED) && s->len < c->want;
		return SES_OK;
	}
	e = rec_find(f, RE_PKTBYTES);
	if (e == NULL) return SES_NOBYTES;
	rec_pb_begin(e, &layer, &count, &it);
	if (layer == 0 && c->layer == SES_LINK) return SES_E_NETSTORE;
	pk = rec_find(f, RE_PACKETS);
	npk = pk ? rec_pkts_count(pk) : 0;
	while (rec_pb_next(&it, &pb)) {
		const uint8_t *d = pb.data;
		uint32_t n = pb.n, captured, want, keep, ip_len = 0, hdr = 0;
		size_t start;
		struct pkt_info pi;

		stored++;
		if (layer == 0) {
			captured = pb.incl_len > pb.link_len ? pb.incl_len - pb.link_len : 0;
		} else if (c->layer == SES_NETWORK) {
			/* Network bytes out of a link-layer store. */
			if (n < pb.link_len) { cut = true; break; }
			d += pb.link_len;
			n -= pb.link_len;
			captured = pb.incl_len - pb.link_len;
		} else {
			captured = pb.incl_len;
			hdr = pb.link_len;
		}
		if (pk && pb.index < npk) {
			struct rec_pkt p;

			rec_pkt_get(pk, pb.index, &p);
			ip_len = p.ip_len;
		}
		if (ip_len == 0 && n > hdr) ip_len = ses_ip_len(d + hdr, n - hdr);
		want = captured;
		if (!c->trailer && !c->framing && ip_len && hdr + ip_len < want) want = hdr + ip_len;
		keep = n < want ? n : want;
		if (c->framing) {
			uint8_t h[24];

			if (first) {
				/* SplitCap's global header: big-endian, v2.4, snaplen 65535. */
				put_be32(h, 0xa1b2c3d4);
				put_be16(h + 4, 2);
				put_be16(h + 6, 4);
				put_be32(h + 8, 0);
				put_be32(h + 12, 0);
				put_be32(h + 16, 65535);
				put_be32(h + 20, pb.linktype);
				buf_put(s, h, 24);
			}
			put_be32(h, (uint32_t)(pb.ts_ns / 1000000000u));
			put_be32(h + 4, (uint32_t)(pb.ts_ns % 1000000000u / 1000u));
			put_be32(h + 8, pb.incl_len);
			put_be32(h + 12, c->orig_captured ? pb.incl_len : pb.orig_len);
			if (c->mask & SES_M_TS) memset(h, 0, 8);
			buf_put(s, h, 16);
		}
		first = false;
		start = s->len;
		buf_put(s, d, keep);
		if (c->mask) {
			uint8_t *p = s->p + start;

			memset(&pi, 0, sizeof pi);
			if (c->layer == SES_NETWORK)
				pkt_decode_ip(p, keep, keep > captured ? keep : captured, &pi);
			else
				pkt_decode(pb.linktype, p, keep, keep > pb.orig_len ? keep : pb.orig_len, &pi);
			ses_mask(c->mask, p, keep, &pi);
		}
		/* A packet cut by the byte budget: what follows it would not be
		 * the session's next bytes. */
		if (keep < want) {
			cut = true;
			break;
		}
	}
	if (s->len < c->want &&
	    (cut || ((f->flags & RF_BYTES_TRUNCATED) && stored < f->pkts[0] + f->pkts[1])))
		info->short_store = true;
	return SES_OK;
}
