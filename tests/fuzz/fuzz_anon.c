/*
 * fuzz_anon.c - libFuzzer harness for the packet rewriter of flow-anon
 * (an_packet in common/anon.c) and its metadata rewriter (common/anonmeta.c).
 *
 * Input: byte 0 picks a link type from lts[] (modulo its size; the first
 * entry means network layer, bytes from the IP header), byte 1 holds the
 * options (bit 0 zero ports, bits 1-2 checksum mode, bit 3 drop payload,
 * bits 4-5 MAC mode, bit 6: the stored bytes are a prefix of a longer
 * packet), the rest is the stored packet.  The packet is rewritten in a
 * buffer of exactly its size, so that ASan sees any access past it; the
 * result must be the same twice and newlen never above the length.
 *
 * The same rest is then the value of a metadata element (byte 0 modulo 6
 * picks TLS, HTTP, DNS, QUIC, SSH or APP; byte 1 modulo 3 the --names
 * mode, bit 2 --keep-unknown): am_meta() must give the same well-formed
 * field sequence twice; the element's needles are blanked in the bytes
 * themselves (bit 3: as a UDP payload), twice on two copies, with the
 * same result.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "anon.h"
#include "anonmeta.h"
#include "pkt.h"

static const uint32_t lts[] = {
	0, PKT_LT_EN10MB, PKT_LT_EN10MB, PKT_LT_RAW, PKT_LT_SLL, PKT_LT_SLL2, PKT_LT_NULL,
	PKT_LT_NFLOG, PKT_LT_PPP, PKT_LT_IPV4, PKT_LT_IPV6,
};

static struct an_ctx *ctx;

/* A well-formed field sequence: the fields consume it exactly. */
static int well_formed(const struct buf *b)
{
	struct rec_elem e = { RE_TLS, (uint32_t)b->len, b->p };
	struct rec_meta_iter it;
	const uint8_t *v;
	uint16_t len;
	uint8_t tag;

	rec_meta_begin(&e, &it);
	while (rec_meta_next(&it, &tag, &v, &len)) continue;
	return cur_left(&it.c) == 0;
}

static void meta(const uint8_t *data, size_t size)
{
	static const uint16_t ids[6] = { RE_TLS, RE_HTTP, RE_DNS, RE_QUIC, RE_SSH, RE_APP };
	static struct buf o1, o2;
	static struct am_needles nd;
	struct rec_elem e;
	enum an_names names = (enum an_names)(data[1] % 3);
	bool keep = (data[1] >> 2) & 1;
	unsigned t1 = 0, t2 = 0, d1, d2;
	uint8_t *p, *q;
	size_t n = size - 2;

	e.id = ids[data[0] % 6];
	e.len = (uint32_t)n;
	e.val = data + 2;
	d1 = am_meta(ctx, names, keep, &e, &o1, &t1);
	d2 = am_meta(ctx, names, keep, &e, &o2, &t2);
	if (d1 != d2 || t1 != t2 || o1.len != o2.len || (o1.len && memcmp(o1.p, o2.p, o1.len) != 0))
		abort();
	if (!well_formed(&o1)) abort();
	am_needles_reset(&nd);
	am_needles_add(ctx, &nd, &e, names, true);
	if (nd.n > AM_MAX_NEEDLES) abort();
	p = malloc(n ? n : 1);
	q = malloc(n ? n : 1);
	memcpy(p, data + 2, n);
	memcpy(q, data + 2, n);
	d1 = am_blank(&nd, p, n, (data[1] >> 3) & 1);
	d2 = am_blank(&nd, q, n, (data[1] >> 3) & 1);
	if (d1 != d2 || memcmp(p, q, n) != 0 || d1 > n) abort();
	free(p);
	free(q);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const uint8_t key[AN_KEY_LEN] = { 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16 };
	struct an_opts o;
	struct an_stats st = { 0 };
	uint32_t lt, n, wire, nl1 = 0, nl2 = 0;
	uint8_t *a, *b;
	int layer, r1, r2;

	if (size < 2 || size - 2 > 65536) return 0;
	if (ctx == NULL) ctx = an_new(key, AN_CRYPTOPAN);
	lt = lts[data[0] % (sizeof lts / sizeof lts[0])];
	layer = data[0] % (sizeof lts / sizeof lts[0]) == 0 ? 0 : 1;
	o.zero_ports = data[1] & 1;
	o.csum = (enum an_csum)((data[1] >> 1) & 3) % 3;
	o.drop_payload = (data[1] >> 3) & 1;
	o.mac = (enum an_mac)((data[1] >> 4) & 3);
	o.outer_only = (data[1] >> 7) & 1;
	n = (uint32_t)(size - 2);
	wire = (data[1] & 0x40) ? n + 1000 : n;
	a = malloc(n ? n : 1);
	b = malloc(n ? n : 1);
	memcpy(a, data + 2, n);
	memcpy(b, data + 2, n);
	r1 = an_packet(ctx, &o, lt, layer, a, n, wire, &nl1, &st);
	r2 = an_packet(ctx, &o, lt, layer, b, n, wire, &nl2, &st);
	if (r1 != r2 || nl1 != nl2 || memcmp(a, b, n) != 0) abort();
	if (r1 == 0 && nl1 > n) abort();
	/* The same bytes as one PAYLOAD slice of a tunnel or SCTP flow. */
	{
		static const uint16_t ports[4] = { 3544, 4789, 6081, 2152 };
		uint8_t proto = (data[0] & 0x80) ? 132 : 17;

		memcpy(a, data + 2, n);
		memcpy(b, data + 2, n);
		r1 = an_payload(ctx, &o, proto, ports[data[0] & 3], 1234, a, n, wire, &st);
		r2 = an_payload(ctx, &o, proto, ports[data[0] & 3], 1234, b, n, wire, &st);
		if (r1 != r2 || memcmp(a, b, n) != 0 || r1 < -1 || r1 > 1) abort();
	}
	meta(data, size);
	free(a);
	free(b);
	return 0;
}
