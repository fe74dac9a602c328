/*
 * anon.c - keyed anonymization (see anon.h).
 *
 * Crypto-PAn follows Xu, Fan, Ammar and Moon, "Prefix-preserving IP
 * address anonymization" (ICNP 2002; Computer Networks 46(2), 2004): with
 * E the AES-128 encryption under key[0..15] and pad = E(key[16..31]), bit
 * i of the output is bit i of the input XOR the first bit of E(the first
 * i bits of the input followed by the bits of pad from i on).  Output bit
 * i therefore depends only on input bits 0..i, which is what preserves
 * prefixes; for a given prefix the map of the next bit is a bijection,
 * which makes the whole map injective.  IPv6 is the same construction
 * over 128 bits.
 *
 * The keyed pseudorandom map (AN_HMAC) and the MAC map are balanced
 * Feistel networks whose round function is HMAC-SHA-256 under a derived
 * subkey: a Feistel network is a permutation whatever its round
 * function, so distinct inputs never collide (a truncated hash of 32-bit
 * IPv4 addresses would, by the birthday bound, after ~65000 addresses).
 *
 * Checksums: RFC 1071 sums; a checksum whose data is stored whole is
 * recomputed, otherwise it is updated incrementally (RFC 1624, eqn. 3)
 * with the difference between the original and the rewritten stored
 * bytes, which is exact whatever part of the data is missing, because
 * the missing part did not change.
 */
#include "anon.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/rand.h>

#include "bytes.h"
#include "num.h"
#include "pkt.h"

#define CACHE_BITS 16  /* cached address pseudonyms */
#define MCACHE_BITS 12 /* cached MAC pseudonyms, apart: addresses do not evict them */
#define PAN_BITS 12    /* Crypto-PAn prefixes kept: half IPv4, half IPv6 */
#define HASH_BITS 15  /* cached name, text and identifier hashes */
#define HASH_MAX 126  /* the longest value cached */
#define FEISTEL_ROUNDS 8
#define MAX_PRESERVE 64
#define MAX_DEPTH 4   /* nested tunnels and quotes followed */

/* HMAC-SHA-256 with the key's inner and outer states computed once. */
struct hmac {
	EVP_MD_CTX *in, *out;
};

struct cache_ent {
	uint8_t len; /* 0: empty */
	uint8_t in[16], out[16];
};

/* The last address under a prefix that Crypto-PAn mapped, with the bits
 * it flipped (an_cryptopan()). */
struct pan_ent {
	uint8_t len; /* 0: empty */
	uint8_t in[16], flip[16];
};

/* One cached keyed hash (keyed_hash()). */
enum hash_kind { HK_NONE, HK_NAME, HK_TEXT, HK_ID };
struct hash_ent {
	uint8_t kind, len;
	uint8_t v[HASH_MAX];
	uint8_t md[32];
};

struct prefix {
	uint8_t len, bits;
	uint8_t a[16];
};

struct an_ctx {
	enum an_method m;
	uint8_t key[AN_KEY_LEN];
	EVP_CIPHER_CTX *aes;
	uint8_t pad[16];
	EVP_MD_CTX *tmp;
	struct hmac h_ip, h_mac, h_name, h_text, h_id;
	struct cache_ent *cache, *mcache;
	struct pan_ent *pan;
	struct hash_ent *hcache; /* allocated at the first hash */
	struct prefix pre[MAX_PRESERVE];
	unsigned npre;
	unsigned trunc4, trunc6;
	uint8_t *orig;     /* copy of the packet being rewritten */
	size_t origcap;
};

/* ------------------------------------------------------------------ keys */

int an_key_load(const char *path, uint8_t key[AN_KEY_LEN], char *err, size_t errlen)
{
	uint8_t buf[256];
	size_t n = 0, i, k = 0;
	ssize_t r;
	int fd = open(path, O_RDONLY);

	if (fd < 0) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return -1;
	}
	while (n < sizeof buf && (r = read(fd, buf + n, sizeof buf - n)) != 0) {
		if (r < 0) {
			if (errno == EINTR) continue;
			snprintf(err, errlen, "%s: %s", path, strerror(errno));
			close(fd);
			return -1;
		}
		n += (size_t)r;
	}
	close(fd);
	if (n == AN_KEY_LEN) {
		memcpy(key, buf, AN_KEY_LEN);
		OPENSSL_cleanse(buf, sizeof buf);
		return 0;
	}
	/* Otherwise 64 hex digits, white space around them allowed. */
	for (i = 0; i < n; i++) {
		int hi, lo;

		if (buf[i] == ' ' || buf[i] == '\t' || buf[i] == '\n' || buf[i] == '\r') {
			if (k > 0 && k < AN_KEY_LEN) break;
			continue;
		}
		if (k == AN_KEY_LEN || i + 1 >= n) break;
		hi = num_hexval(buf[i]);
		lo = num_hexval(buf[i + 1]);
		if (hi < 0 || lo < 0) break;
		key[k++] = (uint8_t)(hi << 4 | lo);
		i++;
	}
	OPENSSL_cleanse(buf, sizeof buf);
	if (i != n || k != AN_KEY_LEN) {
		OPENSSL_cleanse(key, AN_KEY_LEN);
		snprintf(err, errlen, "%s: not a key: want 32 bytes, raw or as 64 hex digits", path);
		return -1;
	}
	return 0;
}

int an_key_generate(const char *path, char *err, size_t errlen)
{
	static const char hx[] = "0123456789abcdef";
	uint8_t key[AN_KEY_LEN];
	char text[2 * AN_KEY_LEN + 1];
	size_t i, off = 0;
	int fd;

	if (RAND_bytes(key, sizeof key) != 1) {
		snprintf(err, errlen, "no random bytes from libcrypto");
		return -1;
	}
	for (i = 0; i < AN_KEY_LEN; i++) {
		text[2 * i] = hx[key[i] >> 4];
		text[2 * i + 1] = hx[key[i] & 15];
	}
	text[2 * AN_KEY_LEN] = '\n';
	OPENSSL_cleanse(key, sizeof key);
	fd = open(path, O_WRONLY | O_CREAT | O_EXCL, 0600);
	if (fd < 0) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		OPENSSL_cleanse(text, sizeof text);
		return -1;
	}
	while (off < sizeof text) {
		ssize_t w = write(fd, text + off, sizeof text - off);

		if (w < 0 && errno == EINTR) continue;
		if (w <= 0) {
			snprintf(err, errlen, "%s: %s", path, strerror(errno));
			close(fd);
			unlink(path);
			OPENSSL_cleanse(text, sizeof text);
			return -1;
		}
		off += (size_t)w;
	}
	OPENSSL_cleanse(text, sizeof text);
	if (fsync(fd) < 0 || close(fd) < 0) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		unlink(path);
		return -1;
	}
	return 0;
}

void an_key_fingerprint(const uint8_t key[AN_KEY_LEN], char out[9])
{
	uint8_t md[32];
	unsigned mdlen = 0;

	EVP_Digest(key, AN_KEY_LEN, md, &mdlen, EVP_sha256(), NULL);
	snprintf(out, 9, "%02x%02x%02x%02x", md[0], md[1], md[2], md[3]);
}

/* ----------------------------------------------------------------- HMAC */

static int hmac_init(struct hmac *h, const uint8_t *k, size_t klen)
{
	uint8_t ip[64], op[64];
	size_t i;
	int ok;

	h->in = EVP_MD_CTX_new();
	h->out = EVP_MD_CTX_new();
	if (h->in == NULL || h->out == NULL || klen > 64) return -1;
	memset(ip, 0x36, sizeof ip);
	memset(op, 0x5c, sizeof op);
	for (i = 0; i < klen; i++) {
		ip[i] ^= k[i];
		op[i] ^= k[i];
	}
	ok = EVP_DigestInit_ex(h->in, EVP_sha256(), NULL) == 1 &&
	    EVP_DigestUpdate(h->in, ip, sizeof ip) == 1 &&
	    EVP_DigestInit_ex(h->out, EVP_sha256(), NULL) == 1 &&
	    EVP_DigestUpdate(h->out, op, sizeof op) == 1;
	OPENSSL_cleanse(ip, sizeof ip);
	OPENSSL_cleanse(op, sizeof op);
	return ok ? 0 : -1;
}

static void hmac_free(struct hmac *h)
{
	EVP_MD_CTX_free(h->in);
	EVP_MD_CTX_free(h->out);
}

/* hmac_calc: HMAC-SHA-256 of d/n into md (32 bytes); tmp is scratch. */
static void hmac_calc(const struct hmac *h, EVP_MD_CTX *tmp, const uint8_t *d, size_t n,
    uint8_t md[32])
{
	uint8_t ih[32];
	unsigned len;

	EVP_MD_CTX_copy_ex(tmp, h->in);
	EVP_DigestUpdate(tmp, d, n);
	EVP_DigestFinal_ex(tmp, ih, &len);
	EVP_MD_CTX_copy_ex(tmp, h->out);
	EVP_DigestUpdate(tmp, ih, sizeof ih);
	EVP_DigestFinal_ex(tmp, md, &len);
}

/* A subkey for one purpose: HMAC-SHA-256(key, "flowkit-anon " label). */
static int subkey(struct an_ctx *c, const struct hmac *master, const char *label, struct hmac *out)
{
	uint8_t md[32];
	char text[64];
	int n = snprintf(text, sizeof text, "flowkit-anon %s", label), rc;

	hmac_calc(master, c->tmp, (const uint8_t *)text, (size_t)n, md);
	rc = hmac_init(out, md, sizeof md);
	OPENSSL_cleanse(md, sizeof md);
	return rc;
}

/*
 * Feistel permutation of len bytes (len even, at most 16) in place:
 * FEISTEL_ROUNDS rounds, round function = the first len/2 bytes of
 * HMAC(round number, len, right half).
 */
static void feistel(struct an_ctx *c, const struct hmac *h, uint8_t *v, unsigned len)
{
	unsigned half = len / 2, r, i;
	uint8_t L[8], R[8], in[2 + 8], md[32];

	memcpy(L, v, half);
	memcpy(R, v + half, half);
	for (r = 0; r < FEISTEL_ROUNDS; r++) {
		in[0] = (uint8_t)r;
		in[1] = (uint8_t)len;
		memcpy(in + 2, R, half);
		hmac_calc(h, c->tmp, in, 2 + half, md);
		for (i = 0; i < half; i++) {
			uint8_t t = R[i];
			R[i] = L[i] ^ md[i];
			L[i] = t;
		}
	}
	memcpy(v, L, half);
	memcpy(v + half, R, half);
}

/* ------------------------------------------------------------- context */

struct an_ctx *an_new(const uint8_t key[AN_KEY_LEN], enum an_method m)
{
	struct an_ctx *c = xcalloc(1, sizeof *c);
	struct hmac master = { 0 };
	int outl = 0, ok;

	c->m = m;
	memcpy(c->key, key, AN_KEY_LEN);
	c->trunc4 = 32;
	c->trunc6 = 128;
	c->cache = xcalloc((size_t)1 << CACHE_BITS, sizeof *c->cache);
	c->mcache = xcalloc((size_t)1 << MCACHE_BITS, sizeof *c->mcache);
	c->pan = xcalloc((size_t)1 << PAN_BITS, sizeof *c->pan);
	c->aes = EVP_CIPHER_CTX_new();
	c->tmp = EVP_MD_CTX_new();
	ok = c->aes && c->tmp &&
	    EVP_EncryptInit_ex(c->aes, EVP_aes_128_ecb(), NULL, key, NULL) == 1 &&
	    EVP_CIPHER_CTX_set_padding(c->aes, 0) == 1 &&
	    EVP_EncryptUpdate(c->aes, c->pad, &outl, key + 16, 16) == 1 && outl == 16 &&
	    hmac_init(&master, key, AN_KEY_LEN) == 0 &&
	    subkey(c, &master, "ip", &c->h_ip) == 0 &&
	    subkey(c, &master, "mac", &c->h_mac) == 0 &&
	    subkey(c, &master, "name", &c->h_name) == 0 &&
	    subkey(c, &master, "text", &c->h_text) == 0 &&
	    subkey(c, &master, "id", &c->h_id) == 0;
	hmac_free(&master);
	if (!ok) {
		an_free(c);
		return NULL;
	}
	return c;
}

void an_free(struct an_ctx *c)
{
	if (c == NULL) return;
	EVP_CIPHER_CTX_free(c->aes);
	EVP_MD_CTX_free(c->tmp);
	hmac_free(&c->h_ip);
	hmac_free(&c->h_mac);
	hmac_free(&c->h_name);
	hmac_free(&c->h_text);
	hmac_free(&c->h_id);
	OPENSSL_cleanse(c->key, sizeof c->key);
	OPENSSL_cleanse(c->pad, sizeof c->pad);
	if (c->cache) OPENSSL_cleanse(c->cache, ((size_t)1 << CACHE_BITS) * sizeof *c->cache);
	free(c->cache);
	if (c->mcache) OPENSSL_cleanse(c->mcache, ((size_t)1 << MCACHE_BITS) * sizeof *c->mcache);
	free(c->mcache);
	if (c->pan) OPENSSL_cleanse(c->pan, ((size_t)1 << PAN_BITS) * sizeof *c->pan);
	free(c->pan);
	if (c->hcache) OPENSSL_cleanse(c->hcache, ((size_t)1 << HASH_BITS) * sizeof *c->hcache);
	free(c->hcache);
	free(c->orig);
	free(c);
}

int an_preserve_add(struct an_ctx *c, const char *cidr)
{
	char text[INET6_ADDRSTRLEN + 8];
	const char *slash = strchr(cidr, '/');
	struct prefix p = { 0 };
	size_t alen = slash ? (size_t)(slash - cidr) : strlen(cidr);
	char *end;
	unsigned long bits;

	if (c->npre == MAX_PRESERVE || alen == 0 || alen >= sizeof text) return -1;
	memcpy(text, cidr, alen);
	text[alen] = 0;
	if (inet_pton(AF_INET, text, p.a) == 1) p.len = 4;
	else if (inet_pton(AF_INET6, text, p.a) == 1) p.len = 16;
	else return -1;
	bits = (unsigned long)p.len * 8;
	if (slash) {
		if (slash[1] < '0' || slash[1] > '9') return -1;
		errno = 0;
		bits = strtoul(slash + 1, &end, 10);
		if (errno || *end || bits > (unsigned long)p.len * 8) return -1;
	}
	p.bits = (uint8_t)bits;
	c->pre[c->npre++] = p;
	return 0;
}

void an_set_truncate(struct an_ctx *c, unsigned b4, unsigned b6)
{
	c->trunc4 = b4 > 32 ? 32 : b4;
	c->trunc6 = b6 > 128 ? 128 : b6;
}

/* Copy the first bits bits of src over dst. */
static void copy_bits(uint8_t *dst, const uint8_t *src, unsigned bits)
{
	unsigned full = bits / 8, rem = bits % 8;

	memcpy(dst, src, full);
	if (rem) {
		uint8_t mask = (uint8_t)(0xFF00u >> rem);
		dst[full] = (uint8_t)((src[full] & mask) | (dst[full] & ~mask));
	}
}

static bool prefix_match(const uint8_t *a, const uint8_t *p, unsigned bits)
{
	unsigned full = bits / 8, rem = bits % 8;

	if (memcmp(a, p, full) != 0) return false;
	if (rem) {
		uint8_t mask = (uint8_t)(0xFF00u >> rem);
		if ((a[full] ^ p[full]) & mask) return false;
	}
	return true;
}

/*
 * Output bit i of Crypto-PAn depends on the input's bits 0 .. i only
 * (its flip on bits 0 .. i - 1), so an address that shares its first p
 * bits with one mapped before has the flips of bits 0 .. p of that one:
 * the last address mapped in a slot picked by its first 16 bits is kept
 * with its flips, and only the blocks of the bits after the prefix it
 * shares with the address are encrypted (any address of the slot gives
 * the same result: the prefix is measured, not assumed).  Block i is the pad with the first i bits of the input,
 * built from block i - 1 by one bit.
 */
void an_cryptopan(struct an_ctx *c, const uint8_t *in, uint8_t *out, unsigned len)
{
	uint8_t blk[128 * 16], enc[128 * 16], cur[16], flip[16];
	unsigned nbits = len * 8, i, from = 0, p;
	struct pan_ent *pe;
	int outl = 0;

	if (len != 4 && len != 16) {
		memcpy(out, in, len);
		return;
	}
	pe = &c->pan[(len == 16) << (PAN_BITS - 1) | ((unsigned)in[0] << 8 | in[1]) % (1u << (PAN_BITS - 1))];
	memset(flip, 0, sizeof flip);
	if (pe->len == len) {
		/* p: the number of leading bits in and pe->in share */
		for (p = 0; p < len && in[p] == pe->in[p]; p++) continue;
		p = p == len ? nbits : p * 8 + (unsigned)__builtin_clz((unsigned)(in[p] ^ pe->in[p]) << 24);
		/* the flips of bits 0 .. p (all of them when p is nbits) */
		from = p + 1 < nbits ? p + 1 : nbits;
		copy_bits(flip, pe->flip, from);
	}
	memcpy(cur, c->pad, 16);
	copy_bits(cur, in, from);
	for (i = from; i < nbits; i++) {
		uint8_t m = (uint8_t)(0x80u >> (i % 8));

		memcpy(blk + 16 * (i - from), cur, 16);
		cur[i / 8] = (uint8_t)((cur[i / 8] & ~m) | (in[i / 8] & m));
	}
	if (from < nbits) EVP_EncryptUpdate(c->aes, enc, &outl, blk, (int)(16 * (nbits - from)));
	for (i = from; i < nbits; i++)
		if (enc[16 * (i - from)] & 0x80) flip[i / 8] |= (uint8_t)(0x80u >> (i % 8));
	for (i = 0; i < len; i++) out[i] = in[i] ^ flip[i];
	pe->len = (uint8_t)len;
	memcpy(pe->in, in, len);
	memcpy(pe->flip, flip, len);
}

/* The seeds' mapping: SHA-256 of the address text, first len bytes. */
static void sha_text(const uint8_t *in, uint8_t *out, unsigned len)
{
	char text[INET6_ADDRSTRLEN];
	uint8_t md[32];
	unsigned mdlen;

	inet_ntop(len == 4 ? AF_INET : AF_INET6, in, text, sizeof text);
	EVP_Digest(text, strlen(text), md, &mdlen, EVP_sha256(), NULL);
	memcpy(out, md, len);
}

static uint32_t cache_slot(const uint8_t *a, unsigned len)
{
	uint32_t h = 2166136261u;
	unsigned i;

	for (i = 0; i < len; i++) h = (h ^ a[i]) * 16777619u;
	return (h ^ h >> 15) & ((1u << CACHE_BITS) - 1);
}

/* The slot of an address: a multiplicative hash of its words, every
 * packet maps two addresses or more. */
static uint32_t addr_slot(const uint8_t *a, unsigned len)
{
	uint64_t x, y;

	if (len == 4) {
		uint32_t w;

		memcpy(&w, a, 4);
		return (uint32_t)(((uint64_t)w * 0x9E3779B97F4A7C15ull) >> (64 - CACHE_BITS));
	}
	memcpy(&x, a, 8);
	memcpy(&y, a + 8, 8);
	x = (x ^ (y * 0xC2B2AE3D27D4EB4Full)) * 0x9E3779B97F4A7C15ull;
	return (uint32_t)(x >> (64 - CACHE_BITS));
}

static bool addr_eq(const uint8_t *a, const uint8_t *b, unsigned len)
{
	uint64_t x0, x1, y0, y1;

	if (len == 4) {
		uint32_t u, v;

		memcpy(&u, a, 4);
		memcpy(&v, b, 4);
		return u == v;
	}
	memcpy(&x0, a, 8);
	memcpy(&x1, a + 8, 8);
	memcpy(&y0, b, 8);
	memcpy(&y1, b + 8, 8);
	return ((x0 ^ y0) | (x1 ^ y1)) == 0;
}

void an_addr(struct an_ctx *c, uint8_t *a, unsigned len)
{
	static const uint8_t rm4[4] = { 192, 0, 2, 0 };
	static const uint8_t rm6[16] = { 0x20, 0x01, 0x0d, 0xb8 };
	struct cache_ent *e;
	uint8_t out[16];
	unsigned i, tb;

	if (c->m == AN_KEEP || (len != 4 && len != 16)) return;
	e = &c->cache[addr_slot(a, len)];
	if (e->len == len && addr_eq(e->in, a, len)) {
		if (len == 4) memcpy(a, e->out, 4);
		else memcpy(a, e->out, 16);
		return;
	}
	switch (c->m) {
	case AN_CRYPTOPAN: an_cryptopan(c, a, out, len); break;
	case AN_HMAC: memcpy(out, a, len); feistel(c, &c->h_ip, out, len); break;
	case AN_ZERO: memset(out, 0, len); break;
	case AN_REMOVE: memcpy(out, len == 4 ? rm4 : rm6, len); break;
	case AN_SHA_TEXT: sha_text(a, out, len); break;
	default: memcpy(out, a, len); break;
	}
	for (i = 0; i < c->npre; i++)
		if (c->pre[i].len == len && prefix_match(a, c->pre[i].a, c->pre[i].bits)) {
			copy_bits(out, a, c->pre[i].bits);
			break;
		}
	tb = len == 4 ? c->trunc4 : c->trunc6;
	if (tb < len * 8) {
		uint8_t z[16] = { 0 };
		copy_bits(z, out, tb);
		memcpy(out, z, len);
	}
	e->len = (uint8_t)len;
	memcpy(e->in, a, len);
	memcpy(e->out, out, len);
	memcpy(a, out, len);
}

/*
 * The group bit and the local bit (the two low bits of the first byte)
 * are kept, so that a unicast address stays unicast: cycle walking (apply
 * the permutation again until those bits match) restricts a permutation
 * of all MACs to a permutation of the MACs with the same two bits.
 */
void an_mac_map(struct an_ctx *c, uint8_t m[6])
{
	static const uint8_t zero[6];
	uint8_t bits = m[0] & 3;

	struct cache_ent *e;
	uint8_t in[6];

	if (memcmp(m, zero, 6) == 0) return;
	e = &c->mcache[cache_slot(m, 6) & ((1u << MCACHE_BITS) - 1)];
	if (e->len == 6 && memcmp(e->in, m, 6) == 0) {
		memcpy(m, e->out, 6);
		return;
	}
	memcpy(in, m, 6);
	do
		feistel(c, &c->h_mac, m, 6);
	while ((m[0] & 3) != bits || memcmp(m, zero, 6) == 0);
	e->len = 6;
	memcpy(e->in, in, 6);
	memcpy(e->out, m, 6);
}

/*
 * The keyed hashes of names and identifiers, cached by purpose and
 * bytes: the same server names and URIs come back flow after flow, and
 * one HMAC costs two SHA-256 blocks and the EVP calls around them.
 * Longer values than an entry holds are hashed every time.
 */
static void keyed_hash(struct an_ctx *c, enum hash_kind kind, const struct hmac *h,
    const uint8_t *v, size_t len, uint8_t md[32])
{
	struct hash_ent *e;
	uint32_t x = 2166136261u ^ (uint32_t)kind;
	size_t i;

	if (len > HASH_MAX) {
		hmac_calc(h, c->tmp, v, len, md);
		return;
	}
	for (i = 0; i < len; i++) x = (x ^ v[i]) * 16777619u;
	if (c->hcache == NULL) c->hcache = xcalloc((size_t)1 << HASH_BITS, sizeof *c->hcache);
	e = &c->hcache[(x ^ x >> 15) & ((1u << HASH_BITS) - 1)];
	if (e->kind == kind && e->len == len && memcmp(e->v, v, len) == 0) {
		memcpy(md, e->md, 32);
		return;
	}
	hmac_calc(h, c->tmp, v, len, md);
	e->kind = (uint8_t)kind;
	e->len = (uint8_t)len;
	memcpy(e->v, v, len);
	memcpy(e->md, md, 32);
}

static void hex16(const uint8_t md[8], char out[17])
{
	static const char digit[] = "0123456789abcdef";
	unsigned i;

	for (i = 0; i < 8; i++) {
		out[2 * i] = digit[md[i] >> 4];
		out[2 * i + 1] = digit[md[i] & 15];
	}
	out[16] = 0;
}

/* Eight bytes at a time: a byte below 0x80 whose low seven bits are
 * 'A' .. 'Z' gets 0x20 (the additions to the low seven bits of each
 * byte cannot carry into the next). */
void an_lower(uint8_t *dst, const uint8_t *src, size_t n)
{
	const uint64_t lo7 = 0x7F7F7F7F7F7F7F7Full, hi = 0x8080808080808080ull;
	size_t i = 0;

	for (; i + 8 <= n; i += 8) {
		uint64_t x, h, ge, gt;

		memcpy(&x, src + i, 8);
		h = x & lo7;
		ge = h + 0x3F3F3F3F3F3F3F3Full; /* bit 7: at least 'A' */
		gt = h + 0x2525252525252525ull; /* bit 7: above 'Z' */
		x |= (ge & ~gt & ~x & hi) >> 2;
		memcpy(dst + i, &x, 8);
	}
	for (; i < n; i++) dst[i] = (uint8_t)(src[i] >= 'A' && src[i] <= 'Z' ? src[i] + 32 : src[i]);
}

void an_name_hash(struct an_ctx *c, const uint8_t *name, size_t len, char out[17])
{
	uint8_t md[32], small[HASH_MAX] = { 0 };
	uint8_t *low = len <= HASH_MAX ? small : xmalloc(len);

	an_lower(low, name, len);
	keyed_hash(c, HK_NAME, &c->h_name, low, len, md);
	if (low != small) free(low);
	hex16(md, out);
}

void an_text_hash(struct an_ctx *c, const uint8_t *text, size_t len, char out[17])
{
	uint8_t md[32];

	keyed_hash(c, HK_TEXT, &c->h_text, text, len, md);
	hex16(md, out);
}

size_t an_bytes_hash(struct an_ctx *c, const uint8_t *v, size_t len, uint8_t out[32])
{
	keyed_hash(c, HK_ID, &c->h_id, v, len, out);
	return len < 32 ? len : 32;
}

/* ------------------------------------------------------------ checksums */

/*
 * Eight bytes at a time: a 64-bit big-endian word is congruent, modulo
 * 0xFFFF, to the sum of its four 16-bit words (2^16 = 1), and so is a
 * carry out of 64 bits (2^64 = 1).  A one's complement sum folded to 16
 * bits is the one value in 1..0xFFFF of its class (0 only when every
 * byte is 0), so the result is that of the sum word by word.
 */
uint32_t an_csum_add(uint32_t sum, const uint8_t *p, size_t len, int odd)
{
	uint64_t s = sum, w = 0, carry = 0, x;
	size_t i = 0;

	if (odd && len) {
		s += p[0];
		i = 1;
	}
	for (; i + 8 <= len; i += 8) {
		x = be64(p + i);
		w += x;
		carry += w < x;
	}
	s += (w & 0xFFFFFFFF) + (w >> 32) + carry;
	for (; i + 1 < len; i += 2) s += (uint32_t)(p[i] << 8 | p[i + 1]);
	if (i < len) s += (uint32_t)p[i] << 8;
	while (s >> 16) s = (s & 0xFFFF) + (s >> 16);
	return (uint32_t)s;
}

uint16_t an_csum_fold(uint32_t sum)
{
	while (sum >> 16) sum = (sum & 0xFFFF) + (sum >> 16);
	return (uint16_t)~sum;
}

static uint32_t oc_add(uint32_t a, uint32_t b)
{
	a += b;
	while (a >> 16) a = (a & 0xFFFF) + (a >> 16);
	return a;
}

/* ------------------------------------------------------ packet rewriting */

struct rw {
	struct an_ctx *c;
	const struct an_opts *o;
	uint8_t *buf;          /* the stored bytes, rewritten in place */
	const uint8_t *orig;   /* their copy before any change */
	uint32_t n;
	struct an_stats *st;
};

/* The pseudo-header of TCP, UDP and ICMPv6 (RFC 9293 §3.1, RFC 768,
 * RFC 8200 §8.1): addresses at absolute offsets sa and da. */
struct pseudo {
	uint32_t sa, da;
	unsigned alen;
	uint8_t proto;
};

/*
 * fix_csum: the 16-bit checksum at fld covers cov bytes from start (and
 * the pseudo-header ps, if any); end is where the stored bytes of this
 * datagram end, frag says the data continues in other fragments.
 */
static void fix_csum(struct rw *w, uint32_t fld, uint32_t start, uint32_t cov, uint32_t end,
    const struct pseudo *ps, bool frag, bool udp4)
{
	uint8_t *b = w->buf;
	uint16_t old, v;
	uint32_t s;

	if (fld + 2 > end || start > end) return;
	old = be16(b + fld);
	if (w->o->csum == ANC_KEEP) return;
	if (w->o->csum == ANC_ZERO) {
		put_be16(b + fld, 0);
		return;
	}
	if (udp4 && old == 0) return; /* UDP over IPv4 without a checksum */
	if (!frag && (uint64_t)start + cov <= end) {
		put_be16(b + fld, 0);
		s = an_csum_add(0, b + start, cov, 0);
		if (ps) {
			uint8_t tail[8] = { 0, 0, 0, 0, 0, 0, 0, ps->proto };
			s = an_csum_add(s, b + ps->sa, ps->alen, 0);
			s = an_csum_add(s, b + ps->da, ps->alen, 0);
			put_be32(tail, cov);
			s = an_csum_add(s, tail, 8, 0);
		}
		v = an_csum_fold(s);
		w->st->csum_full++;
	} else {
		uint32_t have = (uint64_t)start + cov <= end ? cov : end - start;
		uint32_t snew = an_csum_add(0, b + start, have, 0);
		uint32_t sold = an_csum_add(0, w->orig + start, have, 0);

		if (ps) {
			snew = an_csum_add(snew, b + ps->sa, ps->alen, 0);
			snew = an_csum_add(snew, b + ps->da, ps->alen, 0);
			sold = an_csum_add(sold, w->orig + ps->sa, ps->alen, 0);
			sold = an_csum_add(sold, w->orig + ps->da, ps->alen, 0);
		}
		s = oc_add(oc_add(~(uint32_t)old & 0xFFFF, snew), ~sold & 0xFFFF);
		v = (uint16_t)~s;
		w->st->csum_incr++;
	}
	if (udp4 && v == 0) v = 0xFFFF;
	if (ps && ps->proto == 17 && v == 0) v = 0xFFFF;
	put_be16(b + fld, v);
}

static void rw_ip(struct rw *w, uint32_t base, const struct pkt_info *pi, int depth);
static int rw_frame(struct rw *w, uint32_t linktype, uint32_t base, uint32_t len, uint32_t wirelen,
    struct pkt_info *pi, int depth);

/* Bytes of an encapsulation flow-anon cannot decode: they may hold
 * addresses, so they go (fail closed). */
/* The header fields of the datagram (or frame) at base that pi
 * describes: where the decoder found them (pkt_locate), as absolute
 * offsets into w->buf are base + f->off. */
static void locate(struct rw *w, uint32_t base, const struct pkt_info *pi, struct pkt_ftab *t)
{
	pkt_locate(pi, w->buf + base, 0, t);
}

/* The absolute offset of the field of kind when stored whole, else 0
 * with *ok false. */
static uint32_t whole_at(const struct pkt_ftab *t, uint32_t base, uint32_t n, unsigned kind,
    bool *ok)
{
	const struct pkt_fpos *f = pkt_fp_find(t, kind, 0);

	*ok = f != NULL && f->have == f->len && (uint64_t)base + f->off + f->len <= n;
	return *ok ? base + f->off : 0;
}

static void zero_encap(struct rw *w, uint32_t off, uint32_t len)
{
	if (len == 0) return;
	memset(w->buf + off, 0, len);
	w->st->encap_zeroed++;
}

/* An inner IP datagram at off (len stored bytes, wire on the wire).
 * Returns the decoded datagram's length, 0 when it was not IP (zeroed). */
static uint32_t rw_inner(struct rw *w, uint32_t off, uint32_t len, uint32_t wire, int depth,
    bool quote)
{
	struct pkt_info q;

	if (len == 0) return 0;
	memset(&q, 0, sizeof q);
	/* Quotes are cut short by design: say so, or the decoder would clamp
	 * the quoted lengths to what is there. */
	pkt_decode_ip(w->buf + off, len, quote ? UINT32_MAX : wire > len ? wire : len, &q);
	if (q.layers & PKT_L_NET) {
		rw_ip(w, off, &q, depth + 1);
		if (quote) w->st->quotes++;
		else w->st->tunnels++;
		return q.ip_len ? q.ip_len : 1;
	}
	/* Fail closed: bytes that may hold part of an address go. */
	memset(w->buf + off, 0, len);
	if (quote) w->st->quotes_zeroed++;
	else w->st->encap_zeroed++;
	return 0;
}

/* An inner Ethernet frame at off (a bridged tunnel, ERSPAN, a
 * pseudowire): its MACs and IP packet rewritten; when it holds no IP
 * packet (ARP, anything else) what follows its link header is zeroed.
 * Returns the end of the IP datagram from off, 0 when it was not IP. */
static uint32_t rw_eth_inner(struct rw *w, uint32_t off, uint32_t len, uint32_t wire, int depth)
{
	struct pkt_info e;

	if (len == 0) return 0;
	if (rw_frame(w, PKT_LT_EN10MB, off, len, wire > len ? wire : len, &e, depth + 1) == 0) {
		w->st->tunnels++;
		return e.net_off + (e.ip_len ? e.ip_len : 1);
	}
	if ((e.layers & PKT_L_LINK) && e.l2_len < len) zero_encap(w, off + e.l2_len, len - e.l2_len);
	else if (!(e.layers & PKT_L_LINK)) zero_encap(w, off, len);
	return 0;
}

/* MPLS label stack (RFC 3032 §2.1) then IPv4, IPv6, or a pseudowire
 * control word (RFC 4385 §3: first nibble 0) and an Ethernet frame
 * (RFC 4448); anything else is zeroed. */
static void rw_mpls(struct rw *w, uint32_t off, uint32_t len, uint32_t wire, int depth)
{
	uint32_t k = 0;
	uint8_t nib;

	while (k + 4 <= len) {
		bool bottom = (w->buf[off + k + 2] & 1) != 0;
		k += 4;
		if (bottom) break;
	}
	if (k >= len) return;
	wire = wire > k ? wire - k : 0;
	nib = w->buf[off + k] >> 4;
	if (nib == 4 || nib == 6) rw_inner(w, off + k, len - k, wire, depth, false);
	else if (nib == 0 && k + 4 < len) rw_eth_inner(w, off + k + 4, len - k - 4, wire, depth);
	else zero_encap(w, off + k, len - k);
}

/*
 * GRE, RFC 2784 / RFC 2890 (and RFC 1701 flags), and the enhanced GRE of
 * PPTP (RFC 2637 §4.1): find the payload and rewrite it when it is IP, IP
 * in PPP, Ethernet (transparent bridging, 0x6558), ERSPAN type I and II
 * (0x88BE; type II has a sequence number and an 8-byte header) or III
 * (0x22EB: 12 bytes, 8 more with the O flag), MPLS (0x8847, 0x8848), WCCP
 * (0x883E: IP after a 4-byte redirect header, or none in version 1) or
 * NSH (RFC 8300 §2: its context headers zeroed, then IPv4, IPv6,
 * Ethernet or MPLS).  Any other payload is zeroed: fail closed.
 */
static void rw_gre(struct rw *w, uint32_t off, uint32_t len, uint32_t wire, int depth)
{
	struct cur cu = cur_make(w->buf + off, len);
	uint16_t flags, proto;
	uint32_t hl = 4, g0 = off, glen = len, gwire = wire > len ? wire : len, k;
	unsigned ver;
	bool csum;

	if (!cur_u16(&cu, &flags) || !cur_u16(&cu, &proto)) return;
	ver = flags & 7;
	csum = ver == 0 && (flags & 0x8000);
	if (flags & 0x8000) hl += 4;
	if (flags & 0x2000) hl += 4;
	if (flags & 0x1000) hl += 4;
	if (ver == 1 && (flags & 0x0080)) hl += 4;
	if (ver > 1 || (flags & 0x4000) || hl > len) {
		/* Source routes (RFC 1701) and unknown versions are not
		 * followed: what follows the fixed header goes. */
		zero_encap(w, off + 4, len - 4);
		if (csum) fix_csum(w, g0 + 4, g0, gwire, g0 + glen, NULL, false, false);
		return;
	}
	off += hl;
	len -= hl;
	wire = wire > hl ? wire - hl : 0;
	if (proto == 0x880B && len >= 1) { /* PPP, RFC 1661 §2 */
		uint16_t pp = 0;

		k = 0;
		if (len >= 2 && w->buf[off] == 0xFF && w->buf[off + 1] == 0x03) k = 2;
		if (k < len && (w->buf[off + k] & 1)) {
			pp = w->buf[off + k];
			k += 1;
		} else if (k + 2 <= len) {
			pp = be16(w->buf + off + k);
			k += 2;
		} else {
			k = 0;
		}
		if (pp == 0x21) proto = 0x0800;
		else if (pp == 0x57) proto = 0x86DD;
		else proto = 0; /* IPCP holds addresses; LCP, CCP, compressed data: zeroed too */
		off += k;
		len -= k;
		wire = wire > k ? wire - k : 0;
	}
	switch (proto) {
	case 0x0800: case 0x86DD:
		rw_inner(w, off, len, wire, depth, false);
		break;
	case 0x6558:
		rw_eth_inner(w, off, len, wire, depth);
		break;
	case 0x88BE:
		k = (flags & 0x1000) ? 8 : 0;
		if (k < len) rw_eth_inner(w, off + k, len - k, wire > k ? wire - k : 0, depth);
		break;
	case 0x22EB:
		k = len >= 12 && (w->buf[off + 11] & 1) ? 20 : 12;
		if (k < len) rw_eth_inner(w, off + k, len - k, wire > k ? wire - k : 0, depth);
		break;
	case 0x8847: case 0x8848:
		rw_mpls(w, off, len, wire, depth);
		break;
	case 0x883E:
		k = len && (w->buf[off] >> 4) == 4 ? 0 : 4;
		if (k < len) rw_inner(w, off + k, len - k, wire > k ? wire - k : 0, depth, false);
		break;
	case 0x894F:
		if (len < 8) {
			zero_encap(w, off, len);
			break;
		}
		k = (uint32_t)(w->buf[off + 1] & 0x3F) * 4;
		if (k < 8) k = 8;
		if (k > len) k = len;
		if (k > 8) zero_encap(w, off + 8, k - 8);
		if (k < len) {
			uint8_t np = w->buf[off + 3];
			uint32_t iw = wire > k ? wire - k : 0;
			if (np == 1 || np == 2) rw_inner(w, off + k, len - k, iw, depth, false);
			else if (np == 3) rw_eth_inner(w, off + k, len - k, iw, depth);
			else if (np == 5) rw_mpls(w, off + k, len - k, iw, depth);
			else zero_encap(w, off + k, len - k);
		}
		break;
	default:
		zero_encap(w, off, len);
	}
	/* The optional GRE checksum covers the GRE header and its payload. */
	if (csum) fix_csum(w, g0 + 4, g0, gwire, g0 + glen, NULL, false, false);
}

/* Map an address of alen bytes at off when it is stored whole. */
static void map_at(struct rw *w, uint32_t off, unsigned alen, uint32_t end)
{
	if ((uint64_t)off + alen <= end) an_addr(w->c, w->buf + off, alen);
}

/* A MAC inside a packet body (ND options). */
static void mac_at(struct rw *w, uint32_t off, uint32_t end)
{
	if ((uint64_t)off + 6 > end || w->o->mac == ANM_KEEP) return;
	if (w->o->mac == ANM_ANON) an_mac_map(w->c, w->buf + off);
	else memset(w->buf + off, 0, 6);
}

/* A prefix of plen stored bytes (a route information option stores only
 * the significant bytes): mapped as the address it starts, so that it
 * stays the prefix of the mapped addresses. */
static void map_prefix6(struct rw *w, uint32_t off, uint32_t plen, uint32_t end)
{
	uint8_t a[16] = { 0 };

	if (plen > 16 || (uint64_t)off + plen > end) return;
	memcpy(a, w->buf + off, plen);
	an_addr(w->c, a, 16);
	memcpy(w->buf + off, a, plen);
}

/*
 * Neighbor Discovery options (RFC 4861 §4.6): link-layer addresses (1,
 * 2), prefixes (3), the redirected header (4), the address lists of
 * inverse discovery (RFC 3122 §4.2-4.3, 9 and 10), route information
 * (RFC 4191 §2.3, 24), DNS servers (RFC 8106, 25).
 */
static void rw_nd_opts(struct rw *w, uint32_t off, uint32_t end, int depth)
{
	while ((uint64_t)off + 2 <= end) {
		uint32_t len = (uint32_t)w->buf[off + 1] * 8, k;

		if (len == 0) return;
		switch (w->buf[off]) {
		case 1: case 2:
			mac_at(w, off + 2, end);
			break;
		case 3:
			map_at(w, off + 16, 16, end);
			break;
		case 4:
			if (len > 8 && (uint64_t)off + 8 < end && depth < MAX_DEPTH) {
				uint32_t q = off + 8, ql = off + len <= end ? len - 8 : end - q;
				rw_inner(w, q, ql, len - 8, depth, true);
			}
			break;
		case 9: case 10:
			for (k = 8; k + 16 <= len; k += 16) map_at(w, off + k, 16, end);
			break;
		case 24:
			map_prefix6(w, off + 8, len - 8 < 16 ? len - 8 : 16, end);
			break;
		case 25:
			for (k = 8; k + 16 <= len; k += 16) map_at(w, off + k, 16, end);
			break;
		}
		if ((uint64_t)off + len > end) return;
		off += len;
	}
}

/* ICMPv6 messages that carry addresses: ND (RFC 4861 §4), MLD (RFC 2710,
 * RFC 3810 §5), inverse ND (RFC 3122 §3: options from byte 8), Mobile
 * IPv6 home agent discovery and prefix advertisement (RFC 6275 §6.6,
 * §6.8).  Multicast router discovery (RFC 4286 §2-4) and the errors of
 * RFC 4443 hold none beyond their quotes.  t is the ICMPv6 header, end
 * the end of the stored bytes. */
static void rw_icmp6(struct rw *w, uint32_t t, uint32_t end, uint32_t len, int depth)
{
	uint8_t type = w->buf[t];
	uint32_t k, n, rec, off;

	switch (type) {
	case 133: case 141: case 142: case 147: rw_nd_opts(w, t + 8, end, depth); break;
	case 145:
		for (k = t + 8; (uint64_t)k + 16 <= end; k += 16) map_at(w, k, 16, end);
		break;
	case 134: rw_nd_opts(w, t + 16, end, depth); break;
	case 135: case 136:
		map_at(w, t + 8, 16, end);
		rw_nd_opts(w, t + 24, end, depth);
		break;
	case 137:
		map_at(w, t + 8, 16, end);
		map_at(w, t + 24, 16, end);
		rw_nd_opts(w, t + 40, end, depth);
		break;
	case 130: case 131: case 132:
		map_at(w, t + 8, 16, end);
		if (type == 130 && len >= 28 && (uint64_t)t + 28 <= end) {
			n = be16(w->buf + t + 26);
			for (k = 0; k < n; k++) map_at(w, t + 28 + 16 * k, 16, end);
		}
		break;
	case 143:
		if ((uint64_t)t + 8 > end) break;
		n = be16(w->buf + t + 6);
		off = t + 8;
		for (rec = 0; rec < n && (uint64_t)off + 20 <= end; rec++) {
			uint32_t aux = w->buf[off + 1], ns = be16(w->buf + off + 2);
			map_at(w, off + 4, 16, end);
			for (k = 0; k < ns; k++) map_at(w, off + 20 + 16 * k, 16, end);
			off += 20 + 16 * ns + 4 * aux;
		}
		break;
	}
}

/* CRC-32C (Castagnoli, reflected 0x82F63B78), RFC 9260 appendix A. */
static uint32_t crc32c_tab[256];

static void crc32c_init(void)
{
	uint32_t i, k, c;

	if (crc32c_tab[1]) return;
	for (i = 0; i < 256; i++) {
		c = i;
		for (k = 0; k < 8; k++) c = c & 1 ? (c >> 1) ^ 0x82F63B78u : c >> 1;
		crc32c_tab[i] = c;
	}
}

static uint32_t crc32c_raw(uint32_t crc, const uint8_t *p, size_t n)
{
	while (n--) crc = crc32c_tab[(crc ^ *p++) & 0xFF] ^ (crc >> 8);
	return crc;
}

/*
 * SCTP parameters and error causes from p to pend (RFC 9260 §3.2.1):
 * IPv4 (5) and IPv6 (6) addresses mapped, and those nested in the
 * address parameters of ASCONF (RFC 5061 §4.2.1-4.2.4: add, delete, set
 * primary, after a 4-byte correlation id), in the Unresolvable Address
 * cause (§3.3.10.5: the parameter after the cause header) and in the
 * Restart with New Addresses cause (§3.3.10.11).  The State Cookie
 * (7) is zeroed: its format is the sender's own and implementations put
 * the association's addresses in it.
 */
static void rw_sctp_params(struct rw *w, uint32_t p, uint32_t pend, int nest, bool causes)
{
	uint8_t *b = w->buf;

	while ((uint64_t)p + 4 <= pend) {
		uint32_t pt = be16(b + p), pl = be16(b + p + 2);
		uint32_t vend = (uint64_t)p + pl < pend ? p + pl : pend;

		if (pl < 4) break;
		if (causes) {
			if ((pt == 5 || pt == 11) && nest < 2) rw_sctp_params(w, p + 4, vend, nest + 1, false);
		} else if (pt == 5 && pl == 8) {
			map_at(w, p + 4, 4, vend);
		} else if (pt == 6 && pl == 20) {
			map_at(w, p + 4, 16, vend);
		} else if (pt == 7 && vend > p + 4) {
			memset(b + p + 4, 0, vend - p - 4); /* a state cookie: opaque, may hold addresses */
		} else if ((pt == 0xC001 || pt == 0xC002 || pt == 0xC004) && nest < 2) {
			rw_sctp_params(w, p + 8, vend, nest + 1, false);
		}
		p += (pl + 3) & ~3u;
	}
}

/*
 * The chunks of an SCTP packet from off to end (stored), wire long on
 * the wire: addresses in INIT and INIT ACK (§3.3.2-3.3.3, parameters
 * from byte 20), ASCONF (RFC 5061 §3.1.1: an address parameter, then
 * parameters, from byte 8), ABORT and ERROR (causes from byte 4); the
 * cookie of COOKIE ECHO (§3.3.11) zeroed, as in the INIT ACK.
 * Returns 1 when the chunk lengths tile the wire length exactly.
 */
static int rw_sctp_chunks(struct rw *w, uint32_t off, uint32_t end, uint64_t wire)
{
	uint8_t *b = w->buf;
	uint64_t at = 0;

	while ((uint64_t)off + 4 <= end) {
		uint32_t clen = be16(b + off + 2), cend;
		uint8_t ct = b[off];

		if (clen < 4) return 0;
		cend = (uint64_t)off + clen < end ? off + clen : end;
		if ((ct == 1 || ct == 2) && clen >= 20) rw_sctp_params(w, off + 20, cend, 0, false);
		else if (ct == 0xC1 && clen >= 8) rw_sctp_params(w, off + 8, cend, 0, false);
		else if (ct == 6 || ct == 9) rw_sctp_params(w, off + 4, cend, 0, true);
		else if (ct == 10 && cend > off + 4) memset(b + off + 4, 0, cend - off - 4);
		if (ct == 1 || ct == 2 || ct == 0xC1 || ct == 6 || ct == 9 || ct == 10) w->st->bodies++;
		at += clen;
		if (at >= wire) return at == wire;
		at = (at + 3) & ~(uint64_t)3;
		if (at >= wire) return at == wire;
		off += (clen + 3) & ~3u;
	}
	return at == wire || (uint64_t)off >= end;
}

/*
 * SCTP (RFC 9260): the addresses of the chunks, then the CRC-32C over the
 * whole packet.  When only part of the packet is stored, CRC linearity
 * gives the new value: crc(new) = crc(old) xor crc0(new xor old), crc0
 * without the initial and final inversion, over the full length (zeros
 * past what is stored, which did not change).
 */
static void rw_sctp(struct rw *w, uint32_t t, uint32_t end, uint32_t tlen, bool frag)
{
	uint8_t *b = w->buf;
	uint32_t have, i, crc;

	if (!w->o->outer_only) rw_sctp_chunks(w, t + 12, end, tlen > 12 ? tlen - 12 : 0);
	if ((uint64_t)t + 12 > end || w->o->csum == ANC_KEEP) return;
	if (w->o->csum == ANC_ZERO) {
		memset(b + t + 8, 0, 4);
		return;
	}
	if (tlen > 65535) {
		/* No real SCTP packet is this long (a damaged length): the CRC
		 * cannot be brought up to date, so it is zeroed rather than left
		 * stale, and a run over gigabytes of zeros is avoided. */
		memset(b + t + 8, 0, 4);
		return;
	}
	crc32c_init();
	if (!frag && (uint64_t)t + tlen <= end) {
		static const uint8_t z4[4];
		crc = crc32c_raw(0xFFFFFFFFu, b + t, 8);
		crc = crc32c_raw(crc, z4, 4);
		crc = ~crc32c_raw(crc, b + t + 12, tlen - 12);
		w->st->csum_full++;
	} else {
		uint8_t d[256];
		uint32_t old = le32(b + t + 8);

		have = end - t;
		crc = 0;
		for (i = 0; i < tlen; i += (uint32_t)sizeof d) {
			uint32_t m = tlen - i < sizeof d ? tlen - i : (uint32_t)sizeof d, j;
			for (j = 0; j < m; j++) {
				uint32_t at = i + j;
				d[j] = at < have && (at < 8 || at >= 12) ? b[t + at] ^ w->orig[t + at] : 0;
			}
			crc = crc32c_raw(crc, d, m);
		}
		crc ^= old;
		w->st->csum_incr++;
	}
	b[t + 8] = (uint8_t)crc;
	b[t + 9] = (uint8_t)(crc >> 8);
	b[t + 10] = (uint8_t)(crc >> 16);
	b[t + 11] = (uint8_t)(crc >> 24);
}

/* Is an inner datagram ending at iend (from the tunnel payload start) the
 * whole of a tunnel payload of wire bytes, Ethernet padding allowed? */
static bool fills(uint32_t iend, uint32_t wire, uint32_t pad)
{
	return iend > 0 && iend <= wire && wire - iend <= pad;
}

/*
 * UDP tunnels, found by port: Teredo (RFC 4380 §5.1.1, 3544: optional
 * authentication and origin indication, then IPv6; the origin indication
 * holds the client's IPv4 address obfuscated by XOR), VXLAN (RFC 7348 §5,
 * 4789: 8 bytes, then Ethernet), GENEVE (RFC 8926 §3, 6081) and GTP-U
 * (3GPP TS 29.281 §5, 2152: 8 bytes, 4 more when E, S or PN is set, then
 * extension headers, then IP; other messages than echo, end marker and
 * extension header notification, such as the error indication with its
 * peer address, are zeroed after their header).  p is the UDP payload,
 * cap its stored bytes, wire its length.  strict (a slice of a PAYLOAD
 * element) also wants the inner lengths to agree with wire.  Returns 1
 * when a tunnel was rewritten, 0 when the ports name no tunnel or the
 * message holds no header, -1 when the bytes do not have the structure
 * the port promises (zeroed unless strict).
 */
static int rw_udp_tunnel(struct rw *w, uint32_t p, uint32_t cap, uint32_t wire,
    uint16_t sport, uint16_t dport, int depth, bool strict)
{
	uint8_t *b = w->buf;
	uint32_t p0 = p, end = p + cap, k, hl;
	int rc = -1;

	if (wire < cap) wire = cap;
	if (sport == 3544 || dport == 3544) {
		if (p + 4 <= end && be16(b + p) == 1) {
			p += 4 + (uint32_t)b[p + 2] + b[p + 3] + 8 + 1;
			if (p > end) p = end;
		}
		if (p + 8 <= end && be16(b + p) == 0) {
			uint8_t a[4];
			for (k = 0; k < 4; k++) a[k] = (uint8_t)~b[p + 4 + k];
			an_addr(w->c, a, 4);
			for (k = 0; k < 4; k++) b[p + 4 + k] = (uint8_t)~a[k];
			p += 8;
		}
		if (p + 1 <= end && (b[p] >> 4) == 6 &&
		    (!strict || (p + 6 <= end && 40u + be16(b + p + 4) == wire - (p - p0)))) {
			rw_inner(w, p, end - p, wire - (p - p0), depth, false);
			rc = 1;
		}
	} else if (sport == 4789 || dport == 4789) {
		if (p + 8 < end && (b[p] & 0x08)) {
			uint32_t iend = rw_eth_inner(w, p + 8, end - p - 8, wire - 8, depth);
			if (!strict || fills(iend, wire - 8, 46)) rc = 1;
		}
	} else if (sport == 6081 || dport == 6081) {
		if (p + 8 <= end && (b[p] >> 6) == 0) {
			uint16_t proto = be16(b + p + 2);
			uint32_t iend = 0;

			hl = 8 + (uint32_t)(b[p] & 0x3F) * 4;
			if (hl > wire) return -1;
			if (p + hl < end && proto == 0x6558)
				iend = rw_eth_inner(w, p + hl, end - p - hl, wire - hl, depth);
			else if (p + hl < end && (proto == 0x0800 || proto == 0x86DD))
				iend = rw_inner(w, p + hl, end - p - hl, wire - hl, depth, false);
			else if (p + hl < end)
				zero_encap(w, p + hl, end - p - hl);
			if (p + hl >= end || !strict || fills(iend, wire - hl, 46)) rc = 1;
		}
	} else if (sport == 2152 || dport == 2152) {
		if (p + 8 > end || (b[p] >> 5) != 1 || !(b[p] & 0x10)) return strict ? -1 : 0;
		if (strict && 8u + be16(b + p + 2) != wire) return -1;
		if (b[p + 1] != 0xFF) {
			uint8_t mt = b[p + 1];
			if (mt != 1 && mt != 2 && mt != 31 && mt != 254) zero_encap(w, p + 8, end - p - 8);
			return 0;
		}
		hl = 8;
		if (b[p] & 0x07) {
			uint8_t next;

			hl = 12;
			if (p + hl > end) return 1;
			next = b[p + 11];
			while (next && (b[p] & 0x04)) {
				uint32_t xl;
				if (p + hl + 1 > end) return 1;
				xl = (uint32_t)b[p + hl] * 4;
				if (xl == 0 || p + hl + xl > end) {
					zero_encap(w, p + hl, end - p - hl);
					return strict ? -1 : 1;
				}
				next = b[p + hl + xl - 1];
				hl += xl;
			}
		}
		if (p + hl < end) rw_inner(w, p + hl, end - p - hl, wire - hl, depth, false);
		return 1;
	} else {
		return 0;
	}
	if (rc < 0 && !strict) zero_encap(w, p0, cap);
	return rc;
}

/*
 * IPv6 extension headers (RFC 8200 §4) that hold addresses: the routing
 * headers of type 0 (deprecated, RFC 5095), 2 (Mobile IPv6, RFC 6275
 * §6.4) and 4 (segment routing, RFC 8754 §2), and the Home Address
 * destination option (RFC 6275 §6.3).  Returns the offset of the final
 * destination named by a routing header with segments left, which the
 * upper-layer pseudo-header uses (RFC 8200 §8.1), or 0.
 */
static uint32_t rw_ip6_ext(struct rw *w, uint32_t net, uint32_t hend)
{
	uint8_t *b = w->buf;
	uint8_t nh = b[net + 6];
	uint32_t off = net + 40, final = 0;

	while (off + 2 <= hend) {
		uint32_t len, k;

		switch (nh) {
		case 0: case 60: case 43: case 135:
			len = ((uint32_t)b[off + 1] + 1) * 8;
			break;
		case 44:
			len = 8;
			break;
		case 51:
			len = ((uint32_t)b[off + 1] + 2) * 4;
			break;
		default:
			return final;
		}
		if (off + len > hend) len = hend - off;
		if (nh == 60) {
			for (k = 2; k + 2 <= len;) {
				uint8_t t = b[off + k], ol;
				if (t == 0) { k++; continue; }
				ol = b[off + k + 1];
				if (t == 0xC9 && ol == 16) map_at(w, off + k + 2, 16, off + len);
				k += 2u + ol;
			}
		} else if (nh == 43 && len >= 8) {
			uint8_t type = b[off + 2], left = b[off + 3];
			uint32_t n = (uint32_t)b[off + 1] / 2, last = 0;

			if (type == 4 && (uint32_t)b[off + 4] + 1 < n) n = (uint32_t)b[off + 4] + 1;
			if (type == 0 || type == 2 || type == 4) {
				for (k = 0; k < n; k++) {
					map_at(w, off + 8 + 16 * k, 16, off + len);
					if (off + 8 + 16 * k + 16 <= off + len) last = off + 8 + 16 * k;
				}
				/* Type 4 lists the segments last first. */
				if (left && n && type != 4 && last) final = last;
				if (left && n && type == 4 && off + 24 <= off + len) final = off + 8;
			}
		}
		nh = b[off];
		if (len == 0) return final;
		off += len;
	}
	return final;
}

/*
 * IPv4 options that hold addresses (RFC 791 §3.1): loose and strict
 * source routes (131, 137) and record route (7): addresses from byte 3;
 * timestamps (68, RFC 791) with flag 1 or 3: address and time pairs from
 * byte 4.  Returns the offset of the final destination of an unfinished
 * source route (the pseudo-header's destination, RFC 9293 §3.1), or 0.
 */
static uint32_t rw_ip4_opts(struct rw *w, uint32_t off, uint32_t end)
{
	uint8_t *b = w->buf;
	uint32_t final = 0, k;

	while (off < end) {
		uint8_t t = b[off], len;

		if (t == 0) break;
		if (t == 1) { off++; continue; }
		if (off + 2 > end) break;
		len = b[off + 1];
		if (len < 2 || off + len > end) break;
		if (t == 131 || t == 137 || t == 7) {
			for (k = 3; k + 4 <= len; k += 4) map_at(w, off + k, 4, off + len);
			if (t != 7 && len >= 7 && b[off + 2] <= len) final = off + 3 + (len - 3) / 4 * 4 - 4;
		} else if (t == 68 && len >= 4 && ((b[off + 3] & 15) == 1 || (b[off + 3] & 15) == 3)) {
			for (k = 4; k + 8 <= len; k += 8) map_at(w, off + k, 4, off + len);
		}
		off += len;
	}
	return final;
}

/* The bytes the UDP checksum covers: the UDP length when it is sane. */
static uint32_t udp_cov(const struct pkt_info *pi)
{
	return pi->udp_len >= 8 && pi->udp_len <= pi->trans_len ? pi->udp_len : pi->trans_len;
}

/* --ports zero: the ports of TCP, UDP, SCTP and UDP-Lite, whatever part
 * of them is stored (a header cut by the byte budget keeps none). */
static void zero_ports(struct rw *w, uint32_t base, const struct pkt_ftab *t)
{
	for (uint32_t i = 0; i < t->n; i++)
		if (t->f[i].depth == 0 && (t->f[i].kind == PKT_FK_SPORT || t->f[i].kind == PKT_FK_DPORT))
			pkt_fp_zero(w->buf + base, w->n - base, &t->f[i]);
}

/*
 * ICMP bodies that hold addresses (RFC 792, RFC 1256, RFC 5944, RFC 8335):
 * the gateway of a Redirect (type 5); the router addresses of a Router
 * Advertisement (type 9, RFC 1256 §3: count, entry size in words, then
 * entries starting with the address) and the care-of addresses of its
 * mobility agent extension (RFC 5944 §2.1.1, type 16; prefix lengths,
 * type 19, and the challenge of RFC 4721 §3.2, type 24, hold none; other
 * extensions are zeroed); the interface
 * address object of an Extended Echo Request (type 42, RFC 8335 §2,
 * class 3 C-type 3), whose extension checksum is then recomputed.  t is
 * the ICMP header, end the end of the stored bytes, len the message
 * length.
 */
static void rw_icmp4(struct rw *w, uint32_t t, uint32_t end, uint32_t len)
{
	uint8_t *b = w->buf;
	uint32_t mend = (uint64_t)t + len < end ? t + len : end, off, k, n, esz;

	switch (b[t]) {
	case 5:
		map_at(w, t + 4, 4, end);
		w->st->bodies++;
		break;
	case 9:
		n = b[t + 4];
		esz = (uint32_t)b[t + 5] * 4;
		w->st->bodies++;
		if (esz < 4) {
			zero_encap(w, t + 8, mend > t + 8 ? mend - t - 8 : 0);
			break;
		}
		for (k = 0, off = t + 8; k < n && (uint64_t)off + 4 <= mend; k++, off += esz)
			map_at(w, off, 4, mend);
		while (off < mend) {
			uint32_t el;

			if (b[off] == 0) { /* a one-byte pad */
				off++;
				continue;
			}
			if (off + 2 > mend || (b[off] != 16 && b[off] != 19 && b[off] != 24)) {
				zero_encap(w, off, mend - off);
				break;
			}
			el = b[off + 1];
			if (b[off] == 16)
				for (k = off + 8; (uint64_t)k + 4 <= (uint64_t)off + 2 + el; k += 4)
					map_at(w, k, 4, mend);
			off += 2 + el;
		}
		break;
	case 42:
		if (t + 12 > mend) break;
		for (off = t + 12; off + 4 <= mend;) {
			uint32_t ol = be16(b + off);

			if (ol < 4) break;
			if (b[off + 2] == 3 && b[off + 3] == 3 && ol >= 8) {
				uint32_t al = b[off + 6];
				if (al == 4 || al == 16) map_at(w, off + 8, al, off + ol < mend ? off + ol : mend);
				w->st->bodies++;
			}
			off += ol;
		}
		if (mend == (uint64_t)t + len && w->o->csum != ANC_KEEP) {
			put_be16(b + t + 10, 0);
			if (w->o->csum == ANC_FIX)
				put_be16(b + t + 10, an_csum_fold(an_csum_add(0, b + t + 8, mend - t - 8, 0)));
		}
		break;
	}
}

/*
 * IGMP (RFC 2236 §2, RFC 3376 §4): the group address of every message,
 * the sources of a version 3 query, the group records of a version 3
 * report (type 0x22); then the checksum over the whole message.
 */
static void rw_igmp(struct rw *w, uint32_t p, uint32_t end, uint32_t len, bool frag)
{
	uint8_t *b = w->buf;
	uint32_t k, n, off;

	if ((uint64_t)p + 8 > end || w->o->outer_only) return;
	if (b[p] == 0x22) {
		n = be16(b + p + 6);
		for (k = 0, off = p + 8; k < n && (uint64_t)off + 8 <= end; k++) {
			uint32_t aux = b[off + 1], ns = be16(b + off + 2), j;
			map_at(w, off + 4, 4, end);
			for (j = 0; j < ns; j++) map_at(w, off + 8 + 4 * j, 4, end);
			off += 8 + 4 * ns + 4 * aux;
		}
	} else {
		map_at(w, p + 4, 4, end);
		if (b[p] == 0x11 && len >= 12 && (uint64_t)p + 12 <= end) {
			n = be16(b + p + 10);
			for (k = 0; k < n; k++) map_at(w, p + 12 + 4 * k, 4, end);
		}
	}
	w->st->bodies++;
	fix_csum(w, p + 2, p, len, end, NULL, frag, false);
}

/* The IPv4 header checksum, as the options say, when the whole header
 * (options too) is stored. */
static void ip4_csum(struct rw *w, uint32_t base, const struct pkt_ftab *t,
    const struct pkt_info *pi)
{
	uint32_t net = base + pi->net_off, at;
	bool ok;

	if (pi->ipver != 4 || (uint64_t)net + pi->ip_hdr_len > base + pi->caplen) return;
	at = whole_at(t, base, base + pi->caplen, PKT_FK_IPCSUM, &ok);
	if (!ok || w->o->csum == ANC_KEEP) return;
	put_be16(w->buf + at, 0);
	if (w->o->csum == ANC_FIX)
		put_be16(w->buf + at, an_csum_fold(an_csum_add(0, w->buf + net, pi->ip_hdr_len, 0)));
}

/*
 * rw_ip: rewrite the datagram decoded into pi; pi's offsets are from
 * base, its pointers point into w->buf.
 */
static void rw_ip(struct rw *w, uint32_t base, const struct pkt_info *pi, int depth)
{
	uint8_t *b = w->buf;
	uint32_t net = base + pi->net_off, end = base + pi->caplen, sa, da, cs;
	unsigned alen = pi->ipver == 4 ? 4 : 16;
	bool first = pi->frag_off == 0, sok, dok, csok;
	/* A fragment, or a length clamped to the frame: the checksum covers
	 * data that is not here, so it can only be updated. */
	bool frag = (pi->flags & (PKT_F_FRAG | PKT_F_IPLEN_CLAMPED | PKT_F_UDPLEN_CLAMPED)) != 0;
	struct pseudo ps;
	struct pkt_ftab ft;

	locate(w, base, pi, &ft);
	sa = whole_at(&ft, base, end, PKT_FK_SADDR, &sok);
	da = whole_at(&ft, base, end, PKT_FK_DADDR, &dok);
	if (!sok || !dok) {
		/* Not with PKT_L_NET (the fixed header is whole); fail closed. */
		zero_encap(w, net, end > net ? end - net : 0);
		return;
	}
	/* The transport checksum, where the decoder found it. */
	cs = whole_at(&ft, base, end, PKT_FK_L4CSUM, &csok);
	ps = (struct pseudo){ sa, da, alen, pi->proto };
	an_addr(w->c, b + sa, alen);
	an_addr(w->c, b + da, alen);
	if (w->o->outer_only) {
		/* Only the outermost addresses: the rest as it was. */
		if (w->o->zero_ports && first) zero_ports(w, base, &ft);
		if ((pi->layers & PKT_L_TRANS) && first) {
			uint32_t t = base + pi->trans_off;
			if (pi->proto == 6 && csok) fix_csum(w, cs, t, pi->trans_len, end, &ps, frag, false);
			else if (pi->proto == 17 && csok)
				fix_csum(w, cs, t, udp_cov(pi), end, &ps, frag, alen == 4);
			else if (pi->proto == 58 && alen == 16 && csok)
				fix_csum(w, cs, t, pi->trans_len, end, &ps, frag, false);
			else if (pi->proto == 132) rw_sctp(w, t, end, pi->trans_len, frag);
		}
		ip4_csum(w, base, &ft, pi);
		return;
	}
	if (pi->ipver == 4 && (pi->flags & PKT_F_IPOPTS)) {
		uint32_t hend = net + pi->ip_hdr_len, fin;

		fin = rw_ip4_opts(w, net + 20, hend < end ? hend : end);
		if (fin) ps.da = fin;
	}
	if (pi->ipver == 6 && (pi->flags & PKT_F_IP6EXT) && pi->ip_hdr_len > 40) {
		uint32_t hend = net + pi->ip_hdr_len, fin;

		fin = rw_ip6_ext(w, net, hend < end ? hend : end);
		if (fin) ps.da = fin;
	}
	if (w->o->zero_ports && first) zero_ports(w, base, &ft);

	if (first && (pi->layers & PKT_L_TRANS)) {
		uint32_t t = base + pi->trans_off;

		if (pi->layers & PKT_L_ICMPQ) {
			if (depth < MAX_DEPTH) rw_inner(w, base + pi->icmpq_off, pi->icmpq_len, 0, depth, true);
			else zero_encap(w, base + pi->icmpq_off, pi->icmpq_len);
		}
		switch (pi->proto) {
		case 6:
			if (csok) fix_csum(w, cs, t, pi->trans_len, end, &ps, frag, false);
			break;
		case 17:
			if (pi->layers & PKT_L_PAYLOAD) {
				uint32_t pp = base + pi->payload_off, pcap;

				pcap = pp < end ? (pi->payload_caplen <= end - pp ? pi->payload_caplen : end - pp) : 0;
				if (depth < MAX_DEPTH && pcap)
					rw_udp_tunnel(w, pp, pcap, udp_cov(pi) - 8, pi->sport, pi->dport, depth, false);
				else if (pcap && an_payload_kind(17, pi->sport, pi->dport))
					zero_encap(w, pp, pcap);
			}
			if (csok) fix_csum(w, cs, t, udp_cov(pi), end, &ps, frag, alen == 4);
			break;
		case 1:
			if (alen == 4 && t + 8 <= end) rw_icmp4(w, t, end, pi->trans_len);
			if (alen == 4 && csok) fix_csum(w, cs, t, pi->trans_len, end, NULL, frag, false);
			break;
		case 58:
			if (depth < MAX_DEPTH && t + 8 <= end) rw_icmp6(w, t, end, pi->trans_len, depth);
			if (alen == 16 && csok) fix_csum(w, cs, t, pi->trans_len, end, &ps, frag, false);
			break;
		case 132:
			rw_sctp(w, t, end, pi->trans_len, frag);
			break;
		}
	} else if (first && (pi->layers & PKT_L_PAYLOAD)) {
		uint32_t p = base + pi->payload_off;
		uint32_t cap = pi->payload_caplen;

		if (p <= end && cap <= end - p) {
			bool tun = pi->proto == 4 || pi->proto == 41 || pi->proto == 47;

			if (tun && depth >= MAX_DEPTH)
				zero_encap(w, p, cap); /* nested deeper than followed */
			else if (pi->proto == 4 || pi->proto == 41)
				rw_inner(w, p, cap, pi->payload_len, depth, false);
			else if (pi->proto == 47)
				rw_gre(w, p, cap, pi->payload_len, depth);
			else if (pi->proto == 2)
				rw_igmp(w, p, p + cap, pi->payload_len, frag);
		}
	}
	ip4_csum(w, base, &ft, pi);
}

/* rw_frame: decode a frame at base and rewrite its MACs and IP packet.
 * 0 when an IP header was found, -1 otherwise. */
static int rw_frame(struct rw *w, uint32_t linktype, uint32_t base, uint32_t len, uint32_t wirelen,
    struct pkt_info *pi, int depth)
{
	memset(pi, 0, sizeof *pi);
	pkt_decode(linktype, w->buf + base, len, wirelen < len ? len : wirelen, pi);
	/* An inner frame's MACs with --mac remove: zeroed (only the outer
	 * link header is cut off). */
	if (w->o->mac != ANM_KEEP && (pi->layers & (PKT_L_MACDST | PKT_L_MACSRC))) {
		static const uint8_t kinds[2] = { PKT_FK_MACDST, PKT_FK_MACSRC };
		struct pkt_ftab ft;
		uint8_t *m;

		locate(w, base, pi, &ft);
		for (int k = 0; k < 2; k++) {
			if ((m = pkt_fp_span(w->buf + base, len, pkt_fp_find(&ft, kinds[k], 0))) == NULL)
				continue;
			if (w->o->mac != ANM_ANON) memset(m, 0, 6);
			else an_mac_map(w->c, m);
		}
	}
	if (!(pi->layers & PKT_L_NET)) return -1;
	rw_ip(w, base, pi, depth);
	return 0;
}

/*
 * A network-layer packet cut inside its fixed IP header (a byte budget
 * that ran out): what is stored of each address is mapped when whole,
 * zeroed when cut.  0, or -1 when the bytes are not such a header.
 */
static int short_ip(struct an_ctx *c, const struct pkt_info *pi, uint8_t *d, uint32_t n,
    struct an_stats *st)
{
	struct pkt_ftab t;
	unsigned alen = pi->ipver == 4 ? 4 : 16;

	if (!(pi->layers & PKT_L_IPCUT) || pi->net_off != 0) return -1;
	pkt_locate(pi, d, 0, &t);
	for (uint32_t i = 0; i < t.n; i++) {
		const struct pkt_fpos *f = &t.f[i];

		if (f->kind != PKT_FK_SADDR && f->kind != PKT_FK_DADDR) continue;
		if (f->have == f->len) an_addr(c, d + f->off, alen);
		else pkt_fp_zero(d, n, f);
	}
	st->short_hdr++;
	return 0;
}

int an_packet(struct an_ctx *c, const struct an_opts *o, uint32_t linktype, int layer,
    uint8_t *data, uint32_t n, uint32_t wirelen, uint32_t *newlen, struct an_stats *st)
{
	struct rw w = { c, o, data, NULL, n, st };
	struct pkt_info pi;
	int rc;

	st->pkts++;
	*newlen = n;
	if (c->origcap < n) {
		c->orig = xrealloc(c->orig, n);
		c->origcap = n;
	}
	if (n) memcpy(c->orig, data, n);
	w.orig = c->orig;
	if (layer == 0) {
		memset(&pi, 0, sizeof pi);
		pkt_decode_ip(data, n, wirelen < n ? n : wirelen, &pi);
		rc = (pi.layers & PKT_L_NET) ? 0 : -1;
		if (rc == 0) rw_ip(&w, 0, &pi, 0);
		else if (short_ip(c, &pi, data, n, st) == 0) return 0;
	} else {
		rc = rw_frame(&w, linktype, 0, n, wirelen, &pi, 0);
	}
	if (rc < 0) {
		st->undecoded++;
		return -1;
	}
	if (o->drop_payload) {
		uint32_t cut;

		if (pi.layers & PKT_L_PAYLOAD) cut = pi.payload_off;
		else if (pi.layers & PKT_L_TRANS) cut = pi.trans_off + pi.trans_hdr_len;
		else cut = pi.net_off + (pi.ip_hdr_len ? pi.ip_hdr_len : (pi.ipver == 4 ? 20u : 40u));
		if (cut < *newlen) *newlen = cut;
	}
	return 0;
}

int an_udp_pad(enum an_csum cs, uint32_t linktype, int layer, uint8_t *d, uint32_t n,
    uint32_t wirelen)
{
	struct pkt_info pi;
	struct pkt_ftab ft;
	uint32_t t, net, ul, ipl, sum, ic = 0;
	bool ok, ok2, icok = false;

	memset(&pi, 0, sizeof pi);
	if (layer == 0) pkt_decode_ip(d, n, wirelen < n ? n : wirelen, &pi);
	else pkt_decode(linktype, d, n, wirelen < n ? n : wirelen, &pi);
	if (!(pi.layers & PKT_L_TRANS) || pi.proto != 17 || (pi.flags & (PKT_F_FRAG | PKT_F_JUMBO)) ||
	    pi.udp_len < 8 || n + 12 > 262144)
		return 0;
	net = pi.net_off;
	t = pi.trans_off;
	if (t + 8 > n || pi.ip_len + 12 > 0xFFFF + (pi.ipver == 6 ? 40u : 0u)) return 0;
	/* The fields that change, where the decoder found them (before the
	 * move: all lie before t + 8). */
	pkt_locate(&pi, d, 0, &ft);
	ul = whole_at(&ft, 0, n, PKT_FK_UDPLEN, &ok);
	sum = whole_at(&ft, 0, n, PKT_FK_L4CSUM, &ok2);
	ipl = whole_at(&ft, 0, n, PKT_FK_IPLEN, &ok);
	if (pi.ipver == 4 && net + pi.ip_hdr_len <= n) ic = whole_at(&ft, 0, n, PKT_FK_IPCSUM, &icok);
	if (!ok || !ok2) return 0; /* not with PKT_L_TRANS */
	memmove(d + t + 20, d + t + 8, n - t - 8);
	memset(d + t + 8, 0, 12);
	put_be16(d + ul, (uint16_t)(pi.udp_len + 12));
	if (pi.ipver == 4) {
		put_be16(d + ipl, (uint16_t)(pi.ip_len + 12));
		if (cs == ANC_FIX && icok) {
			put_be16(d + ic, 0);
			put_be16(d + ic, an_csum_fold(an_csum_add(0, d + net, pi.ip_hdr_len, 0)));
		}
	} else {
		put_be16(d + ipl, (uint16_t)(pi.ip_len - 40 + 12));
	}
	/* The zeros add nothing to the sum and keep the payload's alignment;
	 * the length grows by 12 in the header and in the pseudo-header. */
	if (cs == ANC_FIX && be16(d + sum) != 0) {
		uint32_t x = oc_add(~(uint32_t)be16(d + sum) & 0xFFFF, 24);
		uint16_t v = (uint16_t)~x;
		put_be16(d + sum, v ? v : 0xFFFF);
	}
	return 12;
}

int an_payload_kind(uint8_t proto, uint16_t sport, uint16_t dport)
{
	static const uint16_t tun[] = { 3544, 4789, 6081, 2152 };
	unsigned i;

	if (proto == 132) return 1;
	if (proto != 17) return 0;
	for (i = 0; i < sizeof tun / sizeof tun[0]; i++)
		if (sport == tun[i] || dport == tun[i]) return 1;
	return 0;
}

int an_payload(struct an_ctx *c, const struct an_opts *o, uint8_t proto, uint16_t sport,
    uint16_t dport, uint8_t *d, uint32_t n, uint32_t wire, struct an_stats *st)
{
	struct rw w = { c, o, d, NULL, n, st };

	if (n == 0 || o->outer_only || !an_payload_kind(proto, sport, dport)) return 0;
	if (c->origcap < n) {
		c->orig = xrealloc(c->orig, n);
		c->origcap = n;
	}
	memcpy(c->orig, d, n);
	w.orig = c->orig;
	if (wire < n) wire = n;
	if (proto == 132) return rw_sctp_chunks(&w, 0, n, wire) ? 1 : -1;
	return rw_udp_tunnel(&w, 0, n, wire, sport, dport, 0, true);
}
