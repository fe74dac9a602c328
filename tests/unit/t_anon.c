/*
 * t_anon.c - tests of common/anon.c, printing TAP.  Run by tests/flow-anon.t
 * as $FK_BIN/unit/t_anon.
 *
 * What is tested: Crypto-PAn against the sample key and address pairs
 * published with the Crypto-PAn reference distribution (sample_trace_raw /
 * sample_trace_sanitized); prefix preservation and injectivity on random
 * IPv6 addresses and on a whole IPv4 /16, for Crypto-PAn and the keyed
 * permutation; determinism across contexts and the effect of the key;
 * key files; and checksums: a packet rewritten whole must carry valid
 * checksums, and the same packet stored only in part must get the very
 * same checksum values through the incremental update; packets cut inside
 * the IP header; addresses in IPv6 routing headers and IPv4 options.
 */
#include <arpa/inet.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "anon.h"
#include "anonmeta.h"
#include "bytes.h"
#include "pkt.h"
#include "rec.h"

#define TAP_RNG_SEED 0x9E3779B97F4A7C15ull
#include "tap.h"

static const uint8_t sample_key[32] = {
	21, 34, 23, 141, 51, 164, 207, 128, 19, 10, 91, 22, 73, 144, 125, 16,
	216, 152, 143, 131, 121, 121, 101, 39, 98, 87, 76, 45, 42, 132, 34, 2,
};

/* Pairs from the Crypto-PAn distribution's sample trace. */
static const char *const vectors[][2] = {
	{ "128.11.68.132", "135.242.180.132" }, { "129.118.74.4", "134.136.186.123" },
	{ "130.132.252.244", "133.68.164.234" }, { "141.223.7.43", "141.167.8.160" },
	{ "141.233.145.108", "141.129.237.235" }, { "152.163.225.39", "151.140.114.167" },
	{ "156.29.3.236", "147.225.12.42" }, { "165.247.96.84", "162.9.99.234" },
	{ "166.107.77.190", "160.132.178.185" }, { "192.102.249.13", "252.138.62.131" },
	{ "192.215.32.125", "252.43.47.189" }, { "192.233.80.103", "252.25.108.8" },
	{ "192.41.57.43", "252.222.221.184" }, { "193.150.244.223", "253.169.52.216" },
	{ "195.205.63.100", "255.186.223.5" }, { "198.200.171.101", "249.199.68.213" },
	{ "198.26.132.101", "249.36.123.202" }, { "198.36.213.5", "249.7.21.132" },
	{ "198.51.77.238", "249.18.186.254" }, { "199.217.79.101", "248.38.184.213" },
	{ "202.49.198.20", "245.206.7.234" },
};

static unsigned common_prefix(const uint8_t *a, const uint8_t *b, unsigned len)
{
	unsigned i, bit;

	for (i = 0; i < len; i++) {
		uint8_t x = a[i] ^ b[i];
		if (x == 0) continue;
		for (bit = 0; !(x & 0x80); bit++) x = (uint8_t)(x << 1);
		return i * 8 + bit;
	}
	return len * 8;
}

static int cmp16(const void *a, const void *b) { return memcmp(a, b, 16); }
static int cmp4(const void *a, const void *b) { return memcmp(a, b, 4); }

static void test_vectors(void)
{
	struct an_ctx *c = an_new(sample_key, AN_CRYPTOPAN);
	size_t i, bad = 0;
	char fp[9];

	for (i = 0; i < sizeof vectors / sizeof vectors[0]; i++) {
		uint8_t in[4], want[4], got[4];

		inet_pton(AF_INET, vectors[i][0], in);
		inet_pton(AF_INET, vectors[i][1], want);
		an_cryptopan(c, in, got, 4);
		if (memcmp(got, want, 4) != 0) {
			bad++;
			printf("# %s -> %u.%u.%u.%u, want %s\n", vectors[i][0], got[0], got[1], got[2],
			    got[3], vectors[i][1]);
		}
		memcpy(got, in, 4);
		an_addr(c, got, 4); /* the cached path gives the same */
		if (memcmp(got, want, 4) != 0) bad++;
	}
	ok(bad == 0, "Crypto-PAn: the %zu reference pairs of the sample trace",
	    sizeof vectors / sizeof vectors[0]);
	an_key_fingerprint(sample_key, fp);
	ok(strcmp(fp, "3ef4b8b9") == 0, "key fingerprint: first 8 hex digits of SHA-256 (%s)", fp);
	an_free(c);
}

static void test_properties(enum an_method m, const char *name)
{
	uint8_t key[32];
	struct an_ctx *c;
	enum { N = 4000 };
	static uint8_t in6[N][16], out6[N][16], o4[65536][4];
	unsigned i, j, badpp = 0, dup = 0;

	for (i = 0; i < 32; i++) key[i] = (uint8_t)rng();
	c = an_new(key, m);
	/* Pairs with a random shared prefix of every length. */
	for (i = 0; i < N; i += 2) {
		unsigned keep = (unsigned)(rng() % 129);
		for (j = 0; j < 16; j++) in6[i][j] = (uint8_t)rng();
		memcpy(in6[i + 1], in6[i], 16);
		if (keep < 128) {
			for (j = keep; j < 128; j++)
				if (rng() & 1) in6[i + 1][j / 8] ^= (uint8_t)(0x80u >> (j % 8));
			in6[i + 1][keep / 8] ^= (uint8_t)(0x80u >> (keep % 8)); /* differ at keep */
		}
	}
	for (i = 0; i < N; i++) {
		memcpy(out6[i], in6[i], 16);
		an_addr(c, out6[i], 16);
	}
	if (m == AN_CRYPTOPAN) {
		for (i = 0; i < N; i++) {
			j = (i & 1) ? i - 1 : (unsigned)(rng() % N);
			if (common_prefix(in6[i], in6[j], 16) != common_prefix(out6[i], out6[j], 16)) badpp++;
		}
		ok(badpp == 0, "%s: IPv6 shared prefixes keep their length (%u pairs)", name, N);
	}
	qsort(out6, N, 16, cmp16);
	for (i = 1; i < N; i++) if (memcmp(out6[i], out6[i - 1], 16) == 0) dup++;
	/* Inputs may repeat only when keep was 128. */
	qsort(in6, N, 16, cmp16);
	for (i = 1; i < N; i++) if (memcmp(in6[i], in6[i - 1], 16) == 0) dup--;
	ok(dup == 0, "%s: IPv6 injective on %u random addresses", name, N);
	/* Every address of 10.1.0.0/16: distinct outputs. */
	for (i = 0; i < 65536; i++) {
		o4[i][0] = 10;
		o4[i][1] = 1;
		o4[i][2] = (uint8_t)(i >> 8);
		o4[i][3] = (uint8_t)i;
		an_addr(c, o4[i], 4);
	}
	if (m == AN_CRYPTOPAN) {
		for (i = 1, badpp = 0; i < 65536; i++)
			if (common_prefix(o4[0], o4[i], 4) < 16) badpp++;
		ok(badpp == 0, "%s: IPv4 /16 maps into one /16", name);
	}
	qsort(o4, 65536, 4, cmp4);
	for (i = 1, dup = 0; i < 65536; i++) if (memcmp(o4[i], o4[i - 1], 4) == 0) dup++;
	ok(dup == 0, "%s: IPv4 injective on a whole /16", name);
	an_free(c);
}

static void test_keys(void)
{
	struct an_ctx *a, *b, *d;
	uint8_t k2[32], x[16], y[16], z[16], m1[6] = { 0, 0x1b, 0x21, 1, 2, 3 }, m2[6];
	char path[] = "/tmp/t_anon_keyXXXXXX", err[300], h1[17], h2[17];
	uint8_t loaded[32];
	int fd, i;
	FILE *fp;

	memcpy(k2, sample_key, 32);
	k2[31] ^= 1;
	a = an_new(sample_key, AN_HMAC);
	b = an_new(sample_key, AN_HMAC);
	d = an_new(k2, AN_HMAC);
	for (i = 0; i < 16; i++) x[i] = (uint8_t)i;
	memcpy(y, x, 16);
	memcpy(z, x, 16);
	an_addr(a, x, 16);
	an_addr(b, y, 16);
	an_addr(d, z, 16);
	ok(memcmp(x, y, 16) == 0, "hmac: same key, same mapping in two contexts");
	ok(memcmp(x, z, 16) != 0, "hmac: one key bit changed, another mapping");
	memcpy(m2, m1, 6);
	an_mac_map(a, m1);
	an_mac_map(b, m2);
	ok(memcmp(m1, m2, 6) == 0 && memcmp(m1, "\0\x1b\x21\1\2\3", 6) != 0,
	    "MAC map: keyed and deterministic");
	memset(m1, 0, 6);
	an_mac_map(a, m1);
	ok(memcmp(m1, "\0\0\0\0\0\0", 6) == 0, "MAC map: the all-zero MAC (unseen) stays zero");
	an_name_hash(a, (const uint8_t *)"WWW.Example.org", 15, h1);
	an_name_hash(b, (const uint8_t *)"www.example.org", 15, h2);
	ok(strcmp(h1, h2) == 0 && strlen(h1) == 16, "name hash: keyed, case-insensitive (%s)", h1);
	an_free(a);
	an_free(b);
	an_free(d);

	fd = mkstemp(path);
	fp = fdopen(fd, "w");
	fputs("  ", fp);
	for (i = 0; i < 32; i++) fprintf(fp, "%02X", sample_key[i]);
	fputs("\n", fp);
	fclose(fp);
	ok(an_key_load(path, loaded, err, sizeof err) == 0 && memcmp(loaded, sample_key, 32) == 0,
	    "key file: 64 hex digits with white space");
	fp = fopen(path, "w");
	fwrite(sample_key, 1, 32, fp);
	fclose(fp);
	ok(an_key_load(path, loaded, err, sizeof err) == 0 && memcmp(loaded, sample_key, 32) == 0,
	    "key file: 32 raw bytes");
	fp = fopen(path, "w");
	fputs("00112233", fp);
	fclose(fp);
	ok(an_key_load(path, loaded, err, sizeof err) < 0 && strstr(err, "not a key"),
	    "key file: too short refused (%s)", err);
	unlink(path);
	ok(an_key_generate(path, err, sizeof err) == 0 && an_key_load(path, loaded, err, sizeof err) == 0,
	    "generated key loads");
	ok(an_key_generate(path, err, sizeof err) < 0, "generate refuses to overwrite");
	unlink(path);
}

/* ------------------------------------------------------------ checksums */

static uint32_t sum16(const uint8_t *p, size_t n)
{
	uint32_t s = 0;
	size_t i;

	for (i = 0; i + 1 < n; i += 2) s += (uint32_t)(p[i] << 8 | p[i + 1]);
	if (n & 1) s += (uint32_t)p[n - 1] << 8;
	while (s >> 16) s = (s & 0xFFFF) + (s >> 16);
	return s;
}

static uint16_t cks(uint32_t s)
{
	while (s >> 16) s = (s & 0xFFFF) + (s >> 16);
	return (uint16_t)~s;
}

/* Transport checksum over p[t..t+len) with the pseudo-header of the IP header at ip. */
static uint16_t l4sum(const uint8_t *ip, int v6, const uint8_t *t, uint32_t len, uint8_t proto,
    int pseudo)
{
	uint32_t s = sum16(t, len);

	if (pseudo) {
		s += v6 ? sum16(ip + 8, 32) : sum16(ip + 12, 8);
		s += proto + (len & 0xFFFF) + (len >> 16);
	}
	return cks(s);
}

/* Build an IP header at p; returns its length. */
static uint32_t mk_ip(uint8_t *p, int v6, uint8_t proto, uint32_t paylen, const char *s, const char *d)
{
	if (v6) {
		memset(p, 0, 40);
		p[0] = 0x60;
		put_be16(p + 4, (uint16_t)paylen);
		p[6] = proto;
		p[7] = 64;
		inet_pton(AF_INET6, s, p + 8);
		inet_pton(AF_INET6, d, p + 24);
		return 40;
	}
	memset(p, 0, 20);
	p[0] = 0x45;
	put_be16(p + 2, (uint16_t)(20 + paylen));
	put_be16(p + 4, 0x1234);
	p[8] = 64;
	p[9] = proto;
	inet_pton(AF_INET, s, p + 12);
	inet_pton(AF_INET, d, p + 16);
	put_be16(p + 10, cks(sum16(p, 20)));
	return 20;
}

/* A transport segment at t (TCP 6, UDP 17, or ICMP/ICMPv6 with its body
 * already written), its checksum filled in for the IP header at ip. */
static void mk_l4(uint8_t *ip, int v6, uint8_t *t, uint8_t proto, uint32_t len)
{
	uint32_t i;

	if (proto == 6) {
		memset(t, 0, 20);
		put_be16(t, 40000);
		put_be16(t + 2, 443);
		put_be32(t + 4, 0x01020304);
		t[12] = 0x50;
		t[13] = 0x18;
		put_be16(t + 14, 8192);
		for (i = 20; i < len; i++) t[i] = (uint8_t)(i * 7);
		put_be16(t + 16, l4sum(ip, v6, t, len, 6, 1));
	} else if (proto == 17) {
		memset(t, 0, 8);
		put_be16(t, 5353);
		put_be16(t + 2, 53);
		put_be16(t + 4, (uint16_t)len);
		for (i = 8; i < len; i++) t[i] = (uint8_t)(i * 13);
		put_be16(t + 6, l4sum(ip, v6, t, len, 17, 1));
	} else {
		put_be16(t + 2, l4sum(ip, v6, t, len, proto, v6));
	}
}

/* Check every checksum of an IP packet stored whole. */
static int valid(const uint8_t *p, uint32_t n)
{
	struct pkt_info pi;
	const uint8_t *t;

	memset(&pi, 0, sizeof pi);
	if (pkt_decode_ip(p, n, n, &pi) != PKT_OK) return 0;
	if (pi.ipver == 4 && sum16(p, 20) != 0xFFFF) return 0;
	t = p + pi.trans_off;
	return l4sum(p, pi.ipver == 6, t, pi.trans_len, pi.proto, pi.proto != 1) == 0;
}

/* min_cut: cuts below it are not compared (a quote cut inside its headers
 * is zeroed, by design). */
static void check_pkt(const char *what, const uint8_t *pkt, uint32_t n, bool zero_ports,
    uint32_t min_cut)
{
	struct an_ctx *c = an_new(sample_key, AN_CRYPTOPAN);
	struct an_opts o = { ANM_ANON, ANC_FIX, zero_ports, false, false };
	struct an_stats st = { 0 };
	uint8_t whole[1500], part[1500];
	uint32_t nl, cut, bad = 0;
	struct pkt_info pi;

	ok(valid(pkt, n), "%s: the test packet itself is valid", what);
	memcpy(whole, pkt, n);
	an_packet(c, &o, 0, 0, whole, n, n, &nl, &st);
	ok(valid(whole, n) && memcmp(whole, pkt, n) != 0, "%s: rewritten whole: checksums valid", what);
	memset(&pi, 0, sizeof pi);
	pkt_decode_ip(whole, n, n, &pi);
	/* Every cut that keeps the IP and transport headers must give the
	 * same header bytes as the whole rewrite. */
	cut = pi.trans_off + pi.trans_hdr_len;
	if (cut < min_cut) cut = min_cut;
	for (; cut < n; cut++) {
		memcpy(part, pkt, cut);
		an_packet(c, &o, 0, 0, part, cut, n, &nl, &st);
		if (memcmp(part, whole, cut) != 0) {
			uint32_t k;
			if (bad++ == 0)
				for (k = 0; k < cut; k++)
					if (part[k] != whole[k])
						printf("# cut %u: byte %u differs: %02x, whole %02x\n", cut, k,
						    part[k], whole[k]);
		}
	}
	ok(bad == 0 && st.csum_incr > 0, "%s: stored in part: the same checksums by incremental update",
	    what);
	o.csum = ANC_ZERO;
	memcpy(part, pkt, n);
	an_packet(c, &o, 0, 0, part, n, n, &nl, &st);
	ok(be16(part + pi.trans_off + (pi.proto == 6 ? 16 : pi.proto == 17 ? 6 : 2)) == 0 &&
	    (pi.ipver == 6 || be16(part + 10) == 0), "%s: --checksum=zero zeroes them", what);
	an_free(c);
}

static void test_checksums(void)
{
	uint8_t p[1500], *q;
	uint32_t h, qh, n;

	h = mk_ip(p, 0, 6, 120, "192.0.2.7", "198.51.100.9");
	mk_l4(p, 0, p + h, 6, 120);
	check_pkt("IPv4 TCP", p, h + 120, false, 0);
	check_pkt("IPv4 TCP, ports zeroed", p, h + 120, true, 0);
	h = mk_ip(p, 0, 17, 77, "10.1.2.3", "10.200.0.1");
	mk_l4(p, 0, p + h, 17, 77);
	check_pkt("IPv4 UDP (odd length)", p, h + 77, false, 0);
	h = mk_ip(p, 1, 17, 91, "2001:db8::1", "2001:db8:ffff::abcd");
	mk_l4(p, 1, p + h, 17, 91);
	check_pkt("IPv6 UDP", p, h + 91, true, 0);
	h = mk_ip(p, 1, 6, 64, "fe80::1", "2001:db8:1:2::3");
	mk_l4(p, 1, p + h, 6, 64);
	check_pkt("IPv6 TCP", p, h + 64, false, 0);

	/* ICMP port unreachable quoting an IPv4 UDP datagram (RFC 792). */
	q = p + 20 + 8;
	qh = mk_ip(q, 0, 17, 200, "198.51.100.9", "192.0.2.7");
	mk_l4(q, 0, q + qh, 17, 200);
	n = 8 + qh + 8 + 20; /* the quote stops inside the UDP payload */
	h = mk_ip(p, 0, 1, n, "203.0.113.1", "198.51.100.9");
	memset(p + h, 0, 8);
	p[h] = 3;
	p[h + 1] = 3;
	mk_l4(p, 0, p + h, 1, n);
	check_pkt("ICMP error quoting UDP", p, h + n, true, h + 8 + qh + 8);
	{
		struct an_ctx *c = an_new(sample_key, AN_CRYPTOPAN);
		struct an_opts o = { ANM_ANON, ANC_FIX, false, false, false };
		struct an_stats st = { 0 };
		uint8_t w[1500];
		uint32_t nl;

		memcpy(w, p, h + n);
		an_packet(c, &o, 0, 0, w, h + n, h + n, &nl, &st);
		ok(st.quotes == 1 && memcmp(w + 28 + 12, p + 28 + 12, 8) != 0 &&
		    memcmp(w + 28 + 12, w + 16, 4) == 0,
		    "ICMP quote: quoted source rewritten like the outer destination");
		an_free(c);
	}

	/* ICMPv6 packet too big quoting IPv6 TCP (RFC 4443 §3.2). */
	q = p + 40 + 8;
	qh = mk_ip(q, 1, 6, 400, "2001:db8:1:2::3", "fe80::1");
	mk_l4(q, 1, q + qh, 6, 400);
	n = 8 + qh + 60;
	h = mk_ip(p, 1, 58, n, "2001:db8::fe", "2001:db8:1:2::3");
	memset(p + h, 0, 8);
	p[h] = 2;
	put_be32(p + h + 4, 1280);
	mk_l4(p, 1, p + h, 58, n);
	check_pkt("ICMPv6 error quoting TCP", p, h + n, false, h + 8 + qh + 20);
}

/* Packets cut inside the IP header: whole addresses mapped, cut ones zeroed. */
static void test_short(void)
{
	struct an_ctx *c = an_new(sample_key, AN_CRYPTOPAN);
	struct an_opts o = { ANM_ANON, ANC_FIX, false, false, false };
	struct an_stats st = { 0 };
	uint8_t p[64], q[64], want[4];
	uint32_t nl, h;

	h = mk_ip(p, 0, 6, 20, "128.11.68.132", "129.118.74.4");
	memcpy(q, p, 18);
	ok(an_packet(c, &o, 0, 0, q, 18, h + 20, &nl, &st) == 0 && nl == 18 && st.short_hdr == 1,
	    "IPv4 cut at 18 bytes: kept");
	inet_pton(AF_INET, "135.242.180.132", want);
	ok(memcmp(q + 12, want, 4) == 0 && q[16] == 0 && q[17] == 0 && memcmp(q, p, 12) == 0,
	    "IPv4 cut at 18 bytes: source mapped, the cut destination zeroed");
	memcpy(q, p, 12);
	ok(an_packet(c, &o, 0, 0, q, 12, h + 20, &nl, &st) == 0 && memcmp(q, p, 12) == 0,
	    "IPv4 cut before the addresses: unchanged");
	h = mk_ip(p, 1, 17, 8, "2001:db8::1", "2001:db8::2");
	memcpy(q, p, 30);
	an_packet(c, &o, 0, 0, q, 30, h + 8, &nl, &st);
	ok(memcmp(q + 8, p + 8, 16) != 0 && q[24] == 0 && q[29] == 0, "IPv6 cut at 30 bytes: mapped and zeroed");
	p[0] = 0x20;
	ok(an_packet(c, &o, 0, 0, p, 10, 40, &nl, &st) < 0, "not IP: refused");
	an_free(c);
}

/* IPv6 routing header type 0 with one address (the final destination):
 * the address is mapped like any other, and the UDP checksum uses it in
 * the pseudo-header (RFC 8200 §8.1). */
static void test_routing(void)
{
	struct an_ctx *c = an_new(sample_key, AN_CRYPTOPAN);
	struct an_opts o = { ANM_ANON, ANC_FIX, false, false, false };
	struct an_stats st = { 0 };
	uint8_t p[200], q[200], fin[16], want[16], ph[40];
	uint32_t nl, n = 40 + 24 + 30, s;

	mk_ip(p, 1, 43, n - 40, "2001:db8::1", "2001:db8::2");
	memset(p + 40, 0, 24);
	p[40] = 17;      /* next header UDP */
	p[41] = 2;       /* (2 + 1) * 8 = 24 bytes */
	p[43] = 1;       /* segments left */
	inet_pton(AF_INET6, "2001:db8:99::7", fin);
	memcpy(p + 48, fin, 16);
	memset(p + 64, 0, 30);
	put_be16(p + 64, 1000);
	put_be16(p + 66, 2000);
	put_be16(p + 68, 30);
	memcpy(ph, p + 8, 16);
	memcpy(ph + 16, fin, 16);
	s = sum16(ph, 32) + 17 + 30 + sum16(p + 64, 30);
	put_be16(p + 70, cks(s));
	memcpy(q, p, n);
	an_packet(c, &o, 0, 0, q, n, n, &nl, &st);
	memcpy(want, fin, 16);
	an_addr(c, want, 16);
	ok(memcmp(q + 48, want, 16) == 0, "IPv6 routing header: its address mapped");
	memcpy(ph, q + 8, 16);
	memcpy(ph + 16, q + 48, 16);
	ok(cks(sum16(ph, 32) + 17 + 30 + sum16(q + 64, 30)) == 0,
	    "IPv6 routing header: UDP checksum over the final destination");
	an_free(c);
}

/* IPv4 record route option: its address mapped, the header checksum valid. */
static void test_ip4_opts(void)
{
	struct an_ctx *c = an_new(sample_key, AN_CRYPTOPAN);
	struct an_opts o = { ANM_ANON, ANC_FIX, false, false, false };
	struct an_stats st = { 0 };
	uint8_t p[64], want[4];
	uint32_t nl;

	memset(p, 0, sizeof p);
	p[0] = 0x47;                 /* 28-byte header */
	put_be16(p + 2, 28 + 8);
	p[8] = 64;
	p[9] = 17;
	inet_pton(AF_INET, "128.11.68.132", p + 12);
	inet_pton(AF_INET, "129.118.74.4", p + 16);
	p[20] = 7;                   /* record route, 7 bytes, one address */
	p[21] = 7;
	p[22] = 8;
	inet_pton(AF_INET, "141.223.7.43", p + 23);
	put_be16(p + 28, 1);
	put_be16(p + 30, 2);
	put_be16(p + 32, 8);         /* UDP, checksum 0: none */
	put_be16(p + 10, cks(sum16(p, 28)));
	an_packet(c, &o, 0, 0, p, 36, 36, &nl, &st);
	inet_pton(AF_INET, "141.167.8.160", want);
	ok(memcmp(p + 23, want, 4) == 0 && sum16(p, 28) == 0xFFFF,
	    "IPv4 record route: address mapped, header checksum valid");
	an_free(c);
}

/* Append one metadata field to b. */
static void fld_add(struct buf *b, uint8_t tag, const void *v, size_t n)
{
	buf_put8(b, tag);
	buf_put16(b, (uint16_t)n);
	buf_put(b, v, n);
}

/* The value of the k-th field with this tag in b, NUL-ended in out; its length, or -1. */
static int fld_value(const struct buf *b, uint8_t tag, unsigned k, char *out, size_t cap)
{
	struct rec_elem e = { RE_TLS, (uint32_t)b->len, b->p };
	struct rec_meta_iter it;
	const uint8_t *v;
	uint16_t len;
	uint8_t t;

	rec_meta_begin(&e, &it);
	while (rec_meta_next(&it, &t, &v, &len))
		if (t == tag && k-- == 0) {
			size_t n = len < cap - 1 ? len : cap - 1;

			memcpy(out, v, n);
			out[n] = 0;
			return len;
		}
	return -1;
}

static void test_meta(void)
{
	struct an_ctx *c = an_new(sample_key, AN_HMAC);
	struct buf in = { 0 }, out = { 0 };
	struct am_needles nd = { 0 };
	struct rec_elem e;
	char v[64], h1[17], h2[17];
	unsigned tag = 0, dropped;
	uint8_t cid[8] = { 1, 2, 3, 4, 5, 6, 7, 8 }, a4[4] = { 192, 0, 2, 7 }, m4[4], mm4[4];
	uint8_t pkt[96];
	static const uint8_t dnsq[] = "\x03www\x07" "Example\x03" "com";

	/* TLS: SNI a name, serial and fingerprint identifiers, an empty subject kept */
	fld_add(&in, 3, "WWW.Example.com", 15);
	fld_add(&in, 9, "", 0);
	fld_add(&in, 9, "CN=www.example.com,O=Example Org", 32);
	fld_add(&in, 11, "ja3ja3", 6);
	fld_add(&in, 67, "0A1B2C3D", 8);
	fld_add(&in, 70, cid, 8);
	fld_add(&in, 200, "x", 1);
	e.id = RE_TLS;
	e.len = (uint32_t)in.len;
	e.val = in.p;
	dropped = am_meta(c, ANN_HASH, false, &e, &out, &tag);
	ok(dropped == 1 && tag == 200, "am_meta: an unknown tag dropped and named");
	an_name_hash(c, (const uint8_t *)"www.example.com", 15, h1);
	ok(fld_value(&out, 3, 0, v, sizeof v) == 16 && strcmp(v, h1) == 0,
	    "am_meta: the SNI hashed case-insensitively");
	ok(fld_value(&out, 9, 0, v, sizeof v) == 0 && fld_value(&out, 9, 1, v, sizeof v) == 16,
	    "am_meta: an empty subject stays empty, the next one is hashed");
	ok(fld_value(&out, 11, 0, v, sizeof v) == 6 && strcmp(v, "ja3ja3") == 0, "am_meta: JA3 kept");
	an_text_hash(c, (const uint8_t *)"0A1B2C3D", 8, h2);
	ok(fld_value(&out, 67, 0, v, sizeof v) == 16 && strcmp(v, h2) == 0, "am_meta: serial hashed exactly");
	ok(fld_value(&out, 70, 0, v, sizeof v) == 8 && memcmp(v, cid, 8) != 0,
	    "am_meta: a bytes identifier keeps its length, not its value");
	am_meta(c, ANN_DROP, true, &e, &out, &tag);
	ok(fld_value(&out, 3, 0, v, sizeof v) < 0 && fld_value(&out, 67, 0, v, sizeof v) < 0 &&
	    fld_value(&out, 200, 0, v, sizeof v) == 1, "am_meta drop: names and ids gone, unknown kept");
	am_meta(c, ANN_KEEP, false, &e, &out, &tag);
	ok(fld_value(&out, 3, 0, v, sizeof v) == 15 && strcmp(v, "WWW.Example.com") == 0,
	    "am_meta keep: the SNI kept");

	/* SSH: the software word kept, the comment hashed or cut */
	buf_reset(&in);
	fld_add(&in, 1, "SSH-2.0-OpenSSH_9.2 host42", 26);
	fld_add(&in, 2, "SSH-2.0-dropbear", 16);
	e.id = RE_SSH;
	e.len = (uint32_t)in.len;
	e.val = in.p;
	am_meta(c, ANN_HASH, false, &e, &out, &tag);
	an_text_hash(c, (const uint8_t *)"host42", 6, h1);
	ok(fld_value(&out, 1, 0, v, sizeof v) == 36 && strncmp(v, "SSH-2.0-OpenSSH_9.2 ", 20) == 0 &&
	    strcmp(v + 20, h1) == 0, "am_meta: banner comment hashed, software kept");
	ok(fld_value(&out, 2, 0, v, sizeof v) == 16 && strcmp(v, "SSH-2.0-dropbear") == 0,
	    "am_meta: a banner without comment unchanged");
	am_meta(c, ANN_DROP, false, &e, &out, &tag);
	ok(fld_value(&out, 1, 0, v, sizeof v) == 19 && strcmp(v, "SSH-2.0-OpenSSH_9.2") == 0,
	    "am_meta drop: banner cut after the software");

	/* needles: a DNS name as text and labels, an answer address mapped once */
	memcpy(m4, a4, 4);
	an_addr(c, m4, 4);
	memcpy(mm4, m4, 4);
	an_addr(c, mm4, 4);
	buf_reset(&in);
	fld_add(&in, 2, "www.example.com", 15);
	fld_add(&in, 5, a4, 4);
	fld_add(&in, 5, m4, 4); /* an answer that is the pseudonym of the other */
	e.id = RE_DNS;
	e.len = (uint32_t)in.len;
	e.val = in.p;
	am_needles_reset(&nd);
	am_needles_add(c, &nd, &e, ANN_HASH, true);
	memset(pkt, 0x55, sizeof pkt);
	memcpy(pkt + 4, dnsq, sizeof dnsq);                  /* the question, with its root label */
	memcpy(pkt + 30, "\x07" "EXAMPLE\xc0\x10", 10);       /* a compressed name */
	memcpy(pkt + 50, "\x00\x04\xc0\x00\x02\x07", 6);      /* RDLENGTH 4 and the address */
	memcpy(pkt + 60, "\x00\x04", 2);
	memcpy(pkt + 62, m4, 4);
	ok(am_blank(&nd, pkt, sizeof pkt, true) >= 4, "am_blank: rewrites counted");
	ok(memcmp(pkt + 4, "\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0", 17) == 0 && pkt[21] == 0x55 &&
	    pkt[3] == 0x55, "am_blank: the wire-form name zeroed, its neighbours kept");
	ok(memcmp(pkt + 30, "\0\0\0\0\0\0\0\0\xc0\x10", 10) == 0, "am_blank: a label of a compressed name");
	ok(memcmp(pkt + 52, m4, 4) == 0 && memcmp(pkt + 62, mm4, 4) == 0,
	    "am_blank: each answer address becomes its pseudonym, once (one pass)");
	/* QUIC: a long-header datagram keeps 5 bytes */
	buf_reset(&in);
	fld_add(&in, 4, cid, 8);
	e.id = RE_QUIC;
	e.len = (uint32_t)in.len;
	e.val = in.p;
	am_needles_reset(&nd);
	am_needles_add(c, &nd, &e, ANN_HASH, true);
	memset(pkt, 0x77, sizeof pkt);
	pkt[0] = 0xc3;
	am_blank(&nd, pkt, sizeof pkt, true);
	ok(pkt[0] == 0xc3 && pkt[4] == 0x77 && pkt[5] == 0 && pkt[95] == 0,
	    "am_blank: a QUIC long header zeroed after its version");
	memset(pkt, 0x77, sizeof pkt);
	pkt[0] = 0x43;
	memcpy(pkt + 1, cid, 8);
	am_blank(&nd, pkt, sizeof pkt, true);
	ok(pkt[0] == 0x43 && memcmp(pkt + 1, "\0\0\0\0\0\0\0\0", 8) == 0 && pkt[9] == 0x77,
	    "am_blank: a short header loses the connection id the metadata holds");
	am_needles_reset(&nd);
	am_needles_add(c, &nd, &e, ANN_KEEP, true);
	memset(pkt, 0x77, sizeof pkt);
	pkt[0] = 0xc3;
	ok(am_blank(&nd, pkt, sizeof pkt, true) == 0 && pkt[5] == 0x77, "--names keep: nothing blanked");
	am_needles_free(&nd);
	buf_free(&in);
	buf_free(&out);
	an_free(c);
}

int main(void)
{
	test_vectors();
	test_properties(AN_CRYPTOPAN, "cryptopan");
	test_properties(AN_HMAC, "hmac");
	test_keys();
	test_checksums();
	test_short();
	test_routing();
	test_ip4_opts();
	test_meta();
	printf("1..%u\n", ntest);
	return nfail ? 1 : 0;
}
