/*
 * t_tls.c - unit tests of common/tls.c and common/reasm.c, TAP output.
 *
 * The fingerprint vectors are the published ones: the worked example of
 * the JA4 specification (FoxIO technical_details/JA4.md: ja4, ja4_r,
 * ja4_o) and a browser ClientHello published with its ja4, ja4_o, JA3
 * string and JA3 MD5 (a Chrome 143 hello as reported by browserleaks).
 * The ClientHello bytes are built here from the lists those vectors
 * print, with GREASE values added that the fingerprints must ignore.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bytes.h"
#include "reasm.h"
#include "tls.h"

#include "tap.h"

struct spec {
	const char *ciphers, *exts, *sigalgs, *groups, *alpn1, *sni;
};

static unsigned parse_hex_list(const char *s, uint16_t *v)
{
	unsigned n = 0;

	while (s && *s) {
		v[n++] = (uint16_t)strtoul(s, (char **)&s, 16);
		if (*s == ',') s++;
	}
	return n;
}

static void ext_body(struct buf *b, uint16_t type, const struct spec *sp)
{
	uint16_t v[128];
	unsigned n, i;
	size_t at;

	switch (type) {
	case 0x0000:
		buf_put16(b, (uint16_t)(strlen(sp->sni) + 3));
		buf_put8(b, 0);
		buf_put16(b, (uint16_t)strlen(sp->sni));
		buf_put(b, sp->sni, strlen(sp->sni));
		break;
	case 0x0010:
		buf_put16(b, (uint16_t)(strlen(sp->alpn1) + 1 + 9));
		buf_put8(b, (uint8_t)strlen(sp->alpn1));
		buf_put(b, sp->alpn1, strlen(sp->alpn1));
		buf_put8(b, 8);
		buf_put(b, "http/1.1", 8);
		break;
	case 0x000d: case 0x000a:
		n = parse_hex_list(type == 0x000d ? sp->sigalgs : sp->groups, v);
		at = b->len;
		buf_put16(b, 0);
		if (type == 0x000a) buf_put16(b, 0x2a2a); /* GREASE group */
		for (i = 0; i < n; i++) buf_put16(b, v[i]);
		put_be16(b->p + at, (uint16_t)(b->len - at - 2));
		break;
	case 0x000b:
		buf_put8(b, 1);
		buf_put8(b, 0);
		break;
	case 0x002b:
		buf_put8(b, 6);
		buf_put16(b, 0x3a3a);
		buf_put16(b, 0x0304);
		buf_put16(b, 0x0303);
		break;
	default:
		break;
	}
}

/* A ClientHello handshake message (header included). */
static void build_ch(struct buf *b, const struct spec *sp)
{
	uint16_t c[128], e[128];
	unsigned nc = parse_hex_list(sp->ciphers, c), ne = parse_hex_list(sp->exts, e), i;
	size_t hs, el;
	uint8_t rnd[32] = { 1 };

	buf_put8(b, 1);
	hs = b->len;
	buf_put8(b, 0); buf_put16(b, 0);
	buf_put16(b, 0x0303);
	buf_put(b, rnd, 32);
	buf_put8(b, 0);
	buf_put16(b, (uint16_t)(2 * nc + 2));
	buf_put16(b, 0x0a0a); /* GREASE suite */
	for (i = 0; i < nc; i++) buf_put16(b, c[i]);
	buf_put8(b, 1); buf_put8(b, 0);
	el = b->len;
	buf_put16(b, 0);
	buf_put16(b, 0x1a1a); buf_put16(b, 0); /* GREASE extension */
	for (i = 0; i < ne; i++) {
		size_t at;

		buf_put16(b, e[i]);
		at = b->len;
		buf_put16(b, 0);
		ext_body(b, e[i], sp);
		put_be16(b->p + at, (uint16_t)(b->len - at - 2));
	}
	put_be16(b->p + el, (uint16_t)(b->len - el - 2));
	b->p[hs] = (uint8_t)((b->len - hs - 3) >> 16);
	put_be16(b->p + hs + 1, (uint16_t)(b->len - hs - 3));
}

static const struct spec ja4_md = {
	"1301,1302,1303,c02b,c02f,c02c,c030,cca9,cca8,c013,c014,009c,009d,002f,0035",
	"001b,0000,0033,0010,4469,0017,002d,000d,0005,0023,0012,002b,ff01,000b,000a,0015",
	"0403,0804,0401,0503,0805,0501,0806,0601", "001d,0017,0018", "h2", "example.com",
};
static const struct spec chrome143 = {
	"1301,1302,1303,c02b,c02f,c02c,c030,cca9,cca8,c013,c014,009c,009d,002f,0035",
	"002d,0033,0010,fe0d,0017,44cd,0000,000b,000a,002b,ff01,0023,0012,0005,000d,001b",
	"0403,0804,0401,0503,0805,0501,0806,0601", "11ec,001d,0017,0018", "h2", "tls.browserleaks.com",
};

static void test_vectors(void)
{
	struct buf b = { 0 };
	struct tls_hello ch;
	char fp[TLS_FP_MAX];
	size_t used;

	build_ch(&b, &ja4_md);
	is(tls_parse_handshake(b.p, b.len, &ch, NULL, NULL, NULL, &used), TLS_OK, "JA4.md hello parses");
	is(used, b.len, "whole message used");
	ok(strcmp(ch.sni, "example.com") == 0, "sni");
	tls_ja4(&ch, 't', 0, fp, sizeof fp);
	ok(strcmp(fp, "t13d1516h2_8daaf6152771_e5627efa2ab1") == 0, "JA4.md ja4 (%s)", fp);
	tls_ja4(&ch, 't', 'r', fp, sizeof fp);
	ok(strcmp(fp, "t13d1516h2_002f,0035,009c,009d,1301,1302,1303,c013,c014,c02b,c02c,c02f,c030,"
	    "cca8,cca9_0005,000a,000b,000d,0012,0015,0017,001b,0023,002b,002d,0033,4469,ff01_0403,"
	    "0804,0401,0503,0805,0501,0806,0601") == 0, "JA4.md ja4_r (%s)", fp);
	tls_ja4(&ch, 't', 'o', fp, sizeof fp);
	ok(strcmp(fp, "t13d1516h2_acb858a92679_18f69afefd3d") == 0, "JA4.md ja4_o (%s)", fp);
	tls_ja4(&ch, 'q', 0, fp, sizeof fp);
	ok(fp[0] == 'q' && strcmp(fp + 1, "13d1516h2_8daaf6152771_e5627efa2ab1") == 0, "QUIC prefix");

	buf_reset(&b);
	build_ch(&b, &chrome143);
	is(tls_parse_handshake(b.p, b.len, &ch, NULL, NULL, NULL, &used), TLS_OK, "chrome hello parses");
	tls_ja4(&ch, 't', 0, fp, sizeof fp);
	ok(strcmp(fp, "t13d1516h2_8daaf6152771_d8a2da3f94cd") == 0, "chrome ja4 (%s)", fp);
	tls_ja4(&ch, 't', 'o', fp, sizeof fp);
	ok(strcmp(fp, "t13d1516h2_acb858a92679_f96a17c57971") == 0, "chrome ja4_o (%s)", fp);
	tls_ja3(&ch, true, fp, sizeof fp);
	ok(strcmp(fp, "771,4865-4866-4867-49195-49199-49196-49200-52393-52392-49171-49172-156-157-47-53,"
	    "45-51-16-65037-23-17613-0-11-10-43-65281-35-18-5-13-27,4588-29-23-24,0") == 0,
	    "chrome ja3 string (%s)", fp);
	tls_ja3(&ch, false, fp, sizeof fp);
	ok(strcmp(fp, "98487aa16281980e7d1120d399efb6a4") == 0, "chrome ja3 (%s)", fp);
	ok(ch.flags & TLS_F_ECH, "ECH seen");
	ok(tls_group_pq(ch.groups.v[1]) && !tls_group_pq(ch.groups.v[2]), "X25519MLKEM768 is PQ");
	buf_free(&b);
}

static void test_bad(void)
{
	struct buf b = { 0 };
	struct tls_hello ch;
	size_t used, cut;
	int bad = 0;

	build_ch(&b, &chrome143);
	for (cut = 0; cut < b.len; cut++)
		if (tls_parse_handshake(b.p, cut, &ch, NULL, NULL, NULL, &used) != TLS_MORE) bad++;
	is(bad, 0, "every prefix of a hello asks for more");
	b.p[4 + 2 + 32 + 1] = 0xff; /* cipher list longer than the message */
	is(tls_parse_handshake(b.p, b.len, &ch, NULL, NULL, NULL, &used), TLS_BAD, "bad length: TLS_BAD");
	buf_free(&b);
}

static void test_records(void)
{
	struct buf b = { 0 }, hs = { 0 }, rec = { 0 };
	struct tls_hello ch;
	size_t used, off;
	uint16_t rv = 0;

	build_ch(&b, &chrome143);
	/* three records of at most 200 bytes, then a ChangeCipherSpec */
	for (off = 0; off < b.len; off += 200) {
		size_t k = b.len - off < 200 ? b.len - off : 200;

		buf_put8(&rec, 22); buf_put16(&rec, 0x0301); buf_put16(&rec, (uint16_t)k);
		buf_put(&rec, b.p + off, k);
	}
	is(tls_records(rec.p, rec.len - 1, &hs, &rv), TLS_MORE, "records: incomplete");
	buf_reset(&hs);
	buf_put8(&rec, 20); buf_put16(&rec, 0x0303); buf_put16(&rec, 1); buf_put8(&rec, 1);
	is(tls_records(rec.p, rec.len, &hs, &rv), TLS_OK, "records: stop at CCS");
	is(rv, 0x0301, "record version");
	is(hs.len, b.len, "handshake bytes joined");
	is(tls_parse_handshake(hs.p, hs.len, &ch, NULL, NULL, NULL, &used), TLS_OK, "joined hello parses");
	ok(strcmp(ch.sni, "tls.browserleaks.com") == 0, "sni from split records");
	buf_free(&b); buf_free(&hs); buf_free(&rec);
}

static void test_reasm(void)
{
	struct ra_pool pool;
	struct ra_dir d;
	uint8_t data[5000], mix[5000];
	static uint8_t big[10000];
	unsigned i;

	memset(&pool, 0, sizeof pool);
	for (i = 0; i < sizeof data; i++) data[i] = (uint8_t)(i * 7 + 3);
	memset(&d, 0, sizeof d);
	ra_syn(&d, 1000);
	/* out of order, overlapping, a retransmission with different bytes */
	memcpy(mix, data, sizeof mix);
	ok(!ra_add(&pool, &d, 4096, 1001 + 3000, data + 3000, 1000, 1000), "ooo: no growth");
	ok(ra_holes(&d), "holes seen");
	ok(ra_add(&pool, &d, 4096, 1001, data, 1500, 1500), "first segment grows");
	mix[1200] ^= 0xff;
	ra_add(&pool, &d, 4096, 1001 + 1000, mix + 1000, 1000, 1000); /* overlaps 1000-1500 */
	ok(ra_add(&pool, &d, 4096, 1001 + 1400, data + 1400, 1700, 1700), "hole filled");
	is(d.len, 4000, "contiguous to 4000");
	ok(memcmp(d.buf, data, 4000) == 0, "bytes in order, first copy kept");
	ra_add(&pool, &d, 4096, 1001 + 4000, data + 4000, 1000, 1000);
	is(d.len, 4096, "capped at max");
	is(pool.used, 4096, "pool charged max");
	ra_free(&pool, &d);
	is(pool.used, 0, "pool given back");

	memset(&d, 0, sizeof d);
	pool.limit = 1000;
	ra_add(&pool, &d, 4096, 5, data, 3000, 3000);
	ok(d.flags & RA_BUDGET, "pool limit: RA_BUDGET");
	ra_free(&pool, &d);
	memset(&d, 0, sizeof d);
	pool.limit = 0;
	ra_add(&pool, &d, 4096, 0xfffffff0u, data, 100, 200);
	is(d.len, 100, "sequence wrap, snaplen cut");
	ok(d.flags & RA_SNAPLEN, "RA_SNAPLEN");
	ra_add(&pool, &d, 4096, 0xfffffff0u + 200, data + 200, 50, 50);
	ok(ra_holes(&d) && d.len == 100, "snaplen hole stays");
	for (i = 0; i < 12; i++) ra_add(&pool, &d, 4096, 0xfffffff0u + 300 + 20 * i, data, 5, 5);
	ok(d.flags & RA_RANGES, "too many ranges: RA_RANGES");
	ra_add(&pool, &d, 4096, 0xfffffff0u - 50, data, 10, 10);
	is(d.len, 100, "bytes before the start ignored");
	ra_free(&pool, &d);
	is(pool.used, 0, "pool empty");
	ok(pool.nspare == 1, "a spare buffer kept");

	/* a buffer grows from RA_FIRST bytes as the bytes reach further,
	 * keeping what it holds, out-of-order ranges included */
	for (i = 0; i < sizeof big; i++) big[i] = (uint8_t)(i * 13 + 5);
	memset(&d, 0, sizeof d);
	ra_add(&pool, &d, 16384, 7, big, 1000, 1000);
	ok(pool.nspare == 0 && d.cap == RA_FIRST, "first buffer: the spare, RA_FIRST bytes");
	is(pool.used, 16384, "pool charged max at the first byte");
	ra_add(&pool, &d, 16384, 7 + 9000, big + 9000, 1000, 1000);
	ok(d.cap >= 10000 && d.cap <= 16384 && d.len == 1000, "grown for a later range");
	for (i = 1; i < 9; i++) ra_add(&pool, &d, 16384, 7 + 1000 * (unsigned)i, big + 1000 * i, 1000, 1000);
	is(d.len, 10000, "hole filled after growing");
	ok(memcmp(d.buf, big, 10000) == 0, "bytes kept across the growth");
	ra_free(&pool, &d);
	is(pool.used, 0, "pool given back");
	ra_pool_free(&pool);
}

int main(void)
{
	test_vectors();
	test_bad();
	test_records();
	test_reasm();
	printf("1..%u\n", ntest);
	return nfail != 0;
}
