/*
 * fuzz_pkt.c - libFuzzer harness for the packet decoder and the fragment
 * reassembler.
 *
 * Input: byte 0 picks a link type from lts[] (modulo its size), byte 1
 * holds flags (bit 0: the frame was cut by a snapshot length, so wirelen
 * is larger; bits 1-7: how many seconds of packet time pass before this
 * frame), the rest is the frame.  Fragments go to one long-lived
 * reassembler with small limits, so eviction and timeouts are reached;
 * reassembled datagrams and ICMP quotes are decoded again.  Invariants
 * that callers rely on are checked and abort when broken, among them that
 * every field position pkt_locate reports lies inside the buffer.
 *
 * Every frame is also decoded by pkt_decode_general (no fast path) into a
 * struct that held the same bytes before (a pattern taken from the input,
 * since pkt_decode leaves the fields of groups it does not decode as they
 * were); the return codes and every field, valid or not, must agree.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "frag.h"
#include "pkt.h"

static const uint32_t lts[] = {
	PKT_LT_EN10MB, PKT_LT_EN10MB, PKT_LT_EN10MB, PKT_LT_RAW, PKT_LT_RAW12, PKT_LT_RAW14,
	PKT_LT_IPV4, PKT_LT_IPV6, PKT_LT_NULL, PKT_LT_LOOP, PKT_LT_SLL, PKT_LT_SLL2, PKT_LT_NFLOG,
	PKT_LT_PPP, PKT_LT_PPP_HDLC, PKT_LT_C_HDLC, 147,
};

static struct frag *fr;
static uint64_t now;

/* Every located field starts inside the buffer, and what it says is
 * stored is; no two fields of one depth overlap. */
static void check_pos(const struct pkt_info *pi, const uint8_t *buf)
{
	struct pkt_ftab t;

	pkt_locate(pi, buf, PKT_FP_MAXDEPTH, &t);
	if (t.n > PKT_FP_MAX || t.lost) abort();
	for (uint32_t i = 0; i < t.n; i++) {
		const struct pkt_fpos *f = &t.f[i];
		uint32_t have = f->len < pi->caplen - f->off ? f->len : pi->caplen - f->off;

		/* A quoted header ends with the ICMP message (have may be less). */
		if (f->off >= pi->caplen || f->have == 0 || f->have > have) abort();
		if (f->depth == 0 && f->have != have) abort();
		if (f->depth > PKT_FP_MAXDEPTH || f->kind == 0 || f->len == 0) abort();
		if (!(f->flags & PKT_FP_CUT) && f->depth == 0 && f->kind >= PKT_FK_IPID &&
		    !(pi->layers & PKT_L_NET)) abort();
		if (f->have == f->len && pkt_fp_span((uint8_t *)buf, pi->caplen, f) == NULL) abort();
		if (f->depth == 0 && f->have < f->len && pkt_fp_span((uint8_t *)buf, pi->caplen, f)) abort();
		for (uint32_t j = 0; j < i; j++) {
			const struct pkt_fpos *g = &t.f[j];
			if (g->depth == f->depth && g->off < f->off + f->len && f->off < g->off + g->len) abort();
		}
	}
}

/* Field by field, so that padding does not count. */
static void same(const struct pkt_info *a, const struct pkt_info *b)
{
#define SAME(f) do { if (a->f != b->f) abort(); } while (0)
	SAME(caplen); SAME(wirelen); SAME(flags); SAME(layers); SAME(n_encap);
	SAME(ethertype); SAME(l2_len); SAME(mac_dst_off); SAME(mac_src_off);
	for (int i = 0; i < PKT_MAX_ENCAP; i++) {
		SAME(encap_kind[i]);
		SAME(encap_val[i]);
	}
	SAME(net_off); SAME(ipver); SAME(proto); SAME(ttl); SAME(tos); SAME(flowlabel);
	SAME(saddr); SAME(daddr); SAME(ip_len); SAME(ip_hdr_len); SAME(frag_id); SAME(frag_off);
	SAME(frag_data_off); SAME(frag_nh_off); SAME(frag_nexthdr); SAME(sport); SAME(dport);
	SAME(trans_off); SAME(trans_len); SAME(trans_hdr_len); SAME(tcp_seq); SAME(tcp_ack);
	SAME(tcp_flags); SAME(tcp_win); SAME(tcp_urp); SAME(udp_len); SAME(icmp_type);
	SAME(icmp_code); SAME(icmp_id); SAME(icmp_seq); SAME(sctp_vtag);
	SAME(payload_off); SAME(payload_len); SAME(payload_caplen);
	SAME(icmpq_off); SAME(icmpq_len);
#undef SAME
}

static void check(const struct pkt_info *pi, int rc)
{
	if (rc > 0 || rc <= -PKT_NERR) abort();
	if (rc == PKT_OK && !(pi->layers & PKT_L_NET)) abort();
	if (pi->wirelen < pi->caplen) abort();
	if ((pi->layers & PKT_L_PAYLOAD) &&
	    (uint64_t)pi->payload_off + pi->payload_caplen > pi->caplen) abort();
	if ((pi->layers & PKT_L_PAYLOAD) && pi->payload_caplen > pi->payload_len) abort();
	if ((pi->layers & PKT_L_ICMPQ) && (uint64_t)pi->icmpq_off + pi->icmpq_len > pi->caplen) abort();
	if ((pi->layers & PKT_L_NET) && pi->ipver != 4 && pi->ipver != 6) abort();
	if (pi->n_encap > PKT_MAX_ENCAP) abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct pkt_info pi, q, g;
	const uint8_t *d;
	uint32_t caplen, wirelen, len, lt;
	int rc, grc;

	if (size < 2) return 0;
	if (!fr) {
		struct frag_cfg cfg = { .max_datagrams = 8, .max_bytes = 1, .timeout_ns = 5000000000ull };
		fr = frag_new(&cfg);
	}
	caplen = (uint32_t)(size - 2);
	wirelen = caplen + (data[1] & 1 ? 100 : 0);
	now += (uint64_t)(data[1] >> 1) * 1000000000ull;
	lt = lts[data[0] % (sizeof lts / sizeof lts[0])];
	memset(&pi, data[size - 1], sizeof pi);
	memset(&g, data[size - 1], sizeof g);
	rc = pkt_decode(lt, data + 2, caplen, wirelen, &pi);
	grc = pkt_decode_general(lt, data + 2, caplen, wirelen, &g);
	if (rc != grc) abort();
	same(&pi, &g);
	check(&pi, rc);
	check_pos(&pi, data + 2);
	if (pi.layers & PKT_L_ICMPQ) {
		rc = pkt_decode_ip(data + 2 + pi.icmpq_off, pi.icmpq_len, UINT32_MAX, &q);
		check(&q, rc);
	}
	if ((pi.layers & PKT_L_NET) && (pi.flags & PKT_F_FRAG)) {
		d = frag_feed(fr, &pi, data + 2, now, &len);
		if (d) {
			rc = pkt_decode_ip(d, len, len, &q);
			check(&q, rc);
			check_pos(&q, d);
			/* IPv4 clears MF and the offset; IPv6 data may nest another fragment header. */
			if (q.ipver == 4 && (q.flags & PKT_F_FRAG)) abort();
		}
	}
	if (frag_stats(fr)->held > 8) abort();
	return 0;
}
