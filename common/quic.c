/*
 * quic.c - QUIC Initial packets and their CRYPTO streams (see quic.h).
 *
 * A datagram is walked with one cursor; each Initial packet is opened
 * where it lies (the header is never unmasked in the caller's bytes: the
 * associated data is unmasked in a copy of the header when that is short,
 * as it is without a long token, else fed to GCM in three pieces, the
 * unmasked first byte, the bytes up to the packet number, the unmasked
 * packet number).
 */
/* SHA256_Transform, deprecated in OpenSSL 3.0, declared without a
 * warning (see "keys" below); before any libcrypto header. */
#define OPENSSL_API_COMPAT 10101

#include "quic.h"

#include <openssl/evp.h>
#include <openssl/sha.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "bytes.h"

enum { K_INITIAL, K_0RTT, K_HANDSHAKE, K_RETRY };

/* RFC 9001 §5.2 and RFC 9369 §3.3: salt and labels; packet kinds by the type bits. */
struct qver {
	uint32_t version, last;  /* the range of versions that share it */
	uint8_t salt[20];
	const char *key, *iv, *hp;
	uint8_t kind[4];
};

static const struct qver versions[] = {
	{ QUIC_V1, QUIC_V1,
	  { 0x38, 0x76, 0x2c, 0xf7, 0xf5, 0x59, 0x34, 0xb3, 0x4d, 0x17,
	    0x9a, 0xe6, 0xa4, 0xc8, 0x0c, 0xad, 0xcc, 0xbb, 0x7f, 0x0a },
	  "quic key", "quic iv", "quic hp", { K_INITIAL, K_0RTT, K_HANDSHAKE, K_RETRY } },
	{ QUIC_V2, QUIC_V2,
	  { 0x0d, 0xed, 0xe3, 0xde, 0xf7, 0x00, 0xa6, 0xdb, 0x81, 0x93,
	    0x81, 0xbe, 0x6e, 0x26, 0x9d, 0xcb, 0xf9, 0xbd, 0x2e, 0xd9 },
	  "quicv2 key", "quicv2 iv", "quicv2 hp", { K_RETRY, K_INITIAL, K_0RTT, K_HANDSHAKE } },
	/* draft-ietf-quic-tls-29 §5.2 (the salt of drafts 29 to 32), which
	 * Chrome spoke for a while: version 1's labels and packet types. */
	{ 0xff00001du, 0xff000020u,
	  { 0xaf, 0xbf, 0xec, 0x28, 0x99, 0x93, 0xd2, 0x4c, 0x9e, 0x97,
	    0x86, 0xf1, 0x9c, 0x61, 0x11, 0xe0, 0x43, 0x90, 0xa8, 0x99 },
	  "quic key", "quic iv", "quic hp", { K_INITIAL, K_0RTT, K_HANDSHAKE, K_RETRY } },
};

static const struct qver *find_version(uint32_t v)
{
	for (size_t i = 0; i < sizeof versions / sizeof versions[0]; i++)
		if (versions[i].version <= v && v <= versions[i].last) return &versions[i];
	return NULL;
}

/* RFC 9000 §16: a variable-length integer; the cursor stays put on failure. */
static bool cur_varint(struct cur *c, uint64_t *v)
{
	if (cur_left(c) < 1) return false;
	size_t len = (size_t)1 << (c->p[0] >> 6);
	if (cur_left(c) < len) return false;
	uint64_t x = c->p[0] & 0x3f;
	for (size_t i = 1; i < len; i++) x = x << 8 | c->p[i];
	c->p += len;
	*v = x;
	return true;
}

/* ------------------------------------------------------------------ keys */

#define NVERSIONS (sizeof versions / sizeof versions[0])

/*
 * SHA-256 (FIPS 180-4) as chaining values and whole 64-byte blocks.  A
 * derivation is 14 block compressions (10 for the server's keys from a
 * kept initial secret, see dir_keys), all of them on short messages of
 * known length: through EVP each one also paid for a context copy (a
 * malloc and a free in OpenSSL 3.0), an init or a final, near a third
 * of the work.  Here a state is a plain value, copied by
 * assignment, and a block is handed to libcrypto's own block function,
 * SHA256_Transform: deprecated since OpenSSL 3.0 (hence
 * OPENSSL_API_COMPAT above), but it is libcrypto's assembly with the
 * machine's SHA extensions.  A libcrypto configured without the
 * deprecated functions (no-deprecated: OPENSSL_NO_DEPRECATED) gets the
 * portable block function below instead.
 */
#ifndef OPENSSL_NO_DEPRECATED
struct sha {
	SHA256_CTX c;  /* only c.h, the chaining value, is used */
};
#define SHA_H(s) ((s)->c.h)

static void sha_block(struct sha *s, const uint8_t b[64])
{
	SHA256_Transform(&s->c, b);
}
#else
struct sha {
	uint32_t h[8];
};
#define SHA_H(s) ((s)->h)

#define ROR32(x, n) ((x) >> (n) | (x) << (32 - (n)))

static void sha_block(struct sha *s, const uint8_t b[64])
{
	/* The first 32 bits of the fractional parts of the cube roots of
	 * the first 64 primes (FIPS 180-4 §4.2.2). */
	static const uint32_t k[64] = {
		0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1,
		0x923f82a4, 0xab1c5ed5, 0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3,
		0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174, 0xe49b69c1, 0xefbe4786,
		0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da,
		0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147,
		0x06ca6351, 0x14292967, 0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13,
		0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85, 0xa2bfe8a1, 0xa81a664b,
		0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
		0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a,
		0x5b9cca4f, 0x682e6ff3, 0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208,
		0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2,
	};
	uint32_t w[64];

	for (int i = 0; i < 16; i++) w[i] = be32(b + 4 * i);
	for (int i = 16; i < 64; i++) {
		uint32_t x = w[i - 15], y = w[i - 2];
		w[i] = w[i - 16] + (ROR32(x, 7) ^ ROR32(x, 18) ^ x >> 3) + w[i - 7] +
		    (ROR32(y, 17) ^ ROR32(y, 19) ^ y >> 10);
	}
	uint32_t a = s->h[0], b1 = s->h[1], c = s->h[2], d = s->h[3];
	uint32_t e = s->h[4], f = s->h[5], g = s->h[6], h = s->h[7];
	for (int i = 0; i < 64; i++) {
		uint32_t t1 = h + (ROR32(e, 6) ^ ROR32(e, 11) ^ ROR32(e, 25)) +
		    ((e & f) ^ (~e & g)) + k[i] + w[i];
		uint32_t t2 = (ROR32(a, 2) ^ ROR32(a, 13) ^ ROR32(a, 22)) +
		    ((a & b1) ^ (a & c) ^ (b1 & c));
		h = g;
		g = f;
		f = e;
		e = d + t1;
		d = c;
		c = b1;
		b1 = a;
		a = t1 + t2;
	}
	s->h[0] += a;
	s->h[1] += b1;
	s->h[2] += c;
	s->h[3] += d;
	s->h[4] += e;
	s->h[5] += f;
	s->h[6] += g;
	s->h[7] += h;
}
#endif

static void sha_start(struct sha *s)
{
	static const uint32_t iv[8] = {  /* FIPS 180-4 §5.3.3 */
		0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a,
		0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19,
	};

	memset(s, 0, sizeof *s);
	memcpy(SHA_H(s), iv, sizeof iv);
}

static void sha_out(const struct sha *s, uint8_t out[32])
{
	for (int i = 0; i < 8; i++) put_be32(out + 4 * i, SHA_H(s)[i]);
}

/* The last block of a message of total bytes whose last n (< 56) are m. */
static void sha_pad(uint8_t b[64], const uint8_t *m, size_t n, uint64_t total)
{
	if (n > 0) memcpy(b, m, n);
	b[n] = 0x80;
	memset(b + n + 1, 0, 56 - n - 1);
	put_be64(b + 56, total * 8);
}

/* A message being hashed: the state after len bytes, len % 64 of them
 * waiting in buf. */
struct sha_run {
	struct sha s;
	uint64_t len;
	uint8_t buf[64];
};

/* Go on from s, the state after len bytes (a multiple of 64). */
static void run_start(struct sha_run *r, const struct sha *s, uint64_t len)
{
	r->s = *s;
	r->len = len;
}

static void run_add(struct sha_run *r, const uint8_t *p, size_t n)
{
	size_t have = (size_t)(r->len % 64);

	if (n == 0) return;
	r->len += n;
	if (have > 0) {
		size_t take = n < 64 - have ? n : 64 - have;
		memcpy(r->buf + have, p, take);
		if (have + take < 64) return;
		sha_block(&r->s, r->buf);
		p += take;
		n -= take;
	}
	for (; n >= 64; p += 64, n -= 64) sha_block(&r->s, p);
	memcpy(r->buf, p, n);
}

/* The padding and the length: r->s is then the state after the message. */
static void run_finish(struct sha_run *r)
{
	size_t have = (size_t)(r->len % 64);
	uint8_t b[64];

	if (have >= 56) {  /* no room for the length: a block of its own */
		r->buf[have] = 0x80;
		memset(r->buf + have + 1, 0, 64 - have - 1);
		sha_block(&r->s, r->buf);
		memset(b, 0, 56);
		put_be64(b + 56, r->len * 8);
	} else {
		sha_pad(b, r->buf, have, r->len);
	}
	sha_block(&r->s, b);
}

/*
 * HMAC-SHA256 (RFC 2104): a key's padded blocks K^ipad and K^opad are
 * hashed once into the two states of a struct hkey, and each message
 * starts from copies of them.  Each key serves several messages (the
 * initial secret two, each direction's secret three), and a version's
 * salt, the key of HKDF-Extract, the whole process.
 */
struct hkey {
	struct sha in, out;      /* SHA-256 after K^ipad, after K^opad */
};

static void hkey_set(struct hkey *h, const uint8_t *key, size_t kl)
{
	uint64_t pad[8] = { 0 };  /* a block as words: the pads are a byte repeated */
	uint8_t kd[32];

	if (kl > sizeof pad) {  /* §2: a longer key is hashed first */
		struct sha_run r;
		struct sha s;
		sha_start(&s);
		run_start(&r, &s, 0);
		run_add(&r, key, kl);
		run_finish(&r);
		sha_out(&r.s, kd);
		key = kd;
		kl = sizeof kd;
	}
	if (kl > 0) memcpy(pad, key, kl);
	for (int i = 0; i < 8; i++) pad[i] ^= 0x3636363636363636u;
	sha_start(&h->in);
	sha_block(&h->in, (const uint8_t *)pad);
	for (int i = 0; i < 8; i++) pad[i] ^= 0x3636363636363636u ^ 0x5c5c5c5c5c5c5c5cu;
	sha_start(&h->out);
	sha_block(&h->out, (const uint8_t *)pad);
}

/* The outer hash, H(K^opad || inner), from the state of the inner one
 * after its last block: the message is 32 bytes, so its block is the
 * inner digest and a fixed padding for 96 bytes in all. */
static void hmac_outer(const struct hkey *h, const struct sha *inner, uint8_t out[32])
{
	static const uint8_t tail[32] = { [0] = 0x80, [30] = 0x03 };  /* 768 bits */
	uint8_t b[64];
	struct sha s = h->out;

	sha_out(inner, b);
	memcpy(b + 32, tail, sizeof tail);
	sha_block(&s, b);
	sha_out(&s, out);
}

/* HMAC(key of h, message): start, add the message's pieces, end. */
static void hmac_start(struct sha_run *r, const struct hkey *h)
{
	run_start(r, &h->in, 64);
}

static void hmac_end(struct sha_run *r, const struct hkey *h, uint8_t out[32])
{
	run_finish(r);
	hmac_outer(h, &r->s, out);
}

static void hmac(const struct hkey *h, const uint8_t *m, size_t n, uint8_t out[32])
{
	struct sha_run r;

	hmac_start(&r, h);
	run_add(&r, m, n);
	hmac_end(&r, h, out);
}

/*
 * RFC 8446 §7.1 HKDF-Expand-Label with an empty context, for at most 32
 * bytes: one HMAC block, T(1) = HMAC(secret, HkdfLabel || 0x01) (RFC
 * 5869 §2.3).  HkdfLabel depends only on the version's label and the
 * length, so the inner hash's one padded block of each is made once
 * (hkdf_label, qk_ready); an expansion is then two block compressions,
 * the inner hash's and the outer's.
 */
enum { L_CLIENT, L_SERVER, L_KEY, L_IV, L_HP, NLABELS };

static void hkdf_label(uint8_t b[64], const char *label, size_t len)
{
	uint8_t info[2 + 1 + 6 + 16 + 1 + 1];
	size_t ll = strlen(label), w = 0;

	put_be16(info, (uint16_t)len);
	w = 2;
	info[w++] = (uint8_t)(6 + ll);
	memcpy(info + w, "tls13 ", 6);
	w += 6;
	memcpy(info + w, label, ll);
	w += ll;
	info[w++] = 0;     /* context length */
	info[w++] = 0x01;  /* HKDF-Expand block counter */
	sha_pad(b, info, w, 64 + w);  /* after the K^ipad block */
}

static void expand_label(const struct hkey *h, const uint8_t blk[64], uint8_t out[32])
{
	struct sha s = h->in;

	sha_block(&s, blk);
	hmac_outer(h, &s, out);
}

/*
 * The algorithms, fetched once, and the contexts, reused for the process:
 * EVP_aes_128_gcm() fetches its implementation on every call and a new
 * context costs allocations, more than the work itself on a 1200-byte
 * Initial.  Each cipher context is given its cipher once, in qc_ready:
 * naming it again on every init resets the context, and a packet then
 * only sets the key and the IV.  Static state, so not for several
 * threads: the QUIC module runs only on the flow-table thread.
 */
static struct {
	bool keys_made, tried, ok;
	struct hkey salt[NVERSIONS];  /* keyed with versions[i].salt */
	uint8_t label[NVERSIONS][NLABELS][64];  /* hkdf_label of each */
	EVP_CIPHER *gcm, *ecb;
	EVP_CIPHER_CTX *aead;      /* AES-128-GCM, keyed per packet */
	EVP_CIPHER_CTX *hpc;       /* AES-128-ECB for header protection */
} qc;

/* The salts' states and the label blocks, made once; nothing can fail. */
static void qk_ready(void)
{
	if (qc.keys_made) return;
	qc.keys_made = true;
	for (size_t i = 0; i < NVERSIONS; i++) {
		const struct qver *v = &versions[i];
		hkey_set(&qc.salt[i], v->salt, sizeof v->salt);
		hkdf_label(qc.label[i][L_CLIENT], "client in", 32);
		hkdf_label(qc.label[i][L_SERVER], "server in", 32);
		hkdf_label(qc.label[i][L_KEY], v->key, sizeof ((struct quic_keys *)0)->key);
		hkdf_label(qc.label[i][L_IV], v->iv, sizeof ((struct quic_keys *)0)->iv);
		hkdf_label(qc.label[i][L_HP], v->hp, sizeof ((struct quic_keys *)0)->hp);
	}
}

static bool qc_ready(void)
{
	if (qc.tried) return qc.ok;
	qc.tried = true;
	qc.ok = (qc.gcm = EVP_CIPHER_fetch(NULL, "AES-128-GCM", NULL)) != NULL &&
	    (qc.ecb = EVP_CIPHER_fetch(NULL, "AES-128-ECB", NULL)) != NULL &&
	    (qc.aead = EVP_CIPHER_CTX_new()) != NULL && (qc.hpc = EVP_CIPHER_CTX_new()) != NULL &&
	    EVP_EncryptInit_ex2(qc.aead, qc.gcm, NULL, NULL, NULL) == 1 &&
	    EVP_EncryptInit_ex2(qc.hpc, qc.ecb, NULL, NULL, NULL) == 1 &&
	    EVP_CIPHER_CTX_set_padding(qc.hpc, 0) == 1;
	return qc.ok;
}

/* RFC 9001 §5.2: the initial secret, HKDF-Extract(salt, DCID), which is
 * HMAC with the salt as the key. */
static void initial_secret(const struct qver *v, const uint8_t *dcid, size_t n, uint8_t out[32])
{
	hmac(&qc.salt[v - versions], dcid, n, out);
}

/* One direction's keys from the initial secret (the key of h): its own
 * secret, then key, iv and hp from that. */
static void direction_keys(const struct qver *v, const struct hkey *h, int client,
    struct quic_keys *k)
{
	const uint8_t (*lb)[64] = qc.label[v - versions];
	struct hkey sh;
	uint8_t t[32];

	expand_label(h, lb[client ? L_CLIENT : L_SERVER], t);
	hkey_set(&sh, t, sizeof t);
	expand_label(&sh, lb[L_KEY], t);
	memcpy(k->key, t, sizeof k->key);
	expand_label(&sh, lb[L_IV], t);
	memcpy(k->iv, t, sizeof k->iv);
	expand_label(&sh, lb[L_HP], t);
	memcpy(k->hp, t, sizeof k->hp);
}

int quic_initial_keys(uint32_t version, const uint8_t *dcid, size_t n, struct quic_keys *client,
    struct quic_keys *server)
{
	const struct qver *v = find_version(version);
	uint8_t initial[32];
	struct hkey h;

	if (!v) {
		if (client) memset(client, 0, sizeof *client);
		if (server) memset(server, 0, sizeof *server);
		return -1;
	}
	qk_ready();
	initial_secret(v, dcid, n, initial);
	hkey_set(&h, initial, sizeof initial);
	if (client) direction_keys(v, &h, 1, client);
	if (server) direction_keys(v, &h, 0, server);
	return 0;
}

void quic_hmac_sha256(const uint8_t *key, size_t kl, const uint8_t *m, size_t n, uint8_t out[32])
{
	struct hkey h;

	hkey_set(&h, key, kl);
	hmac(&h, m, n, out);
}

int quic_hkdf_sha256(const uint8_t *salt, size_t sl, const uint8_t *ikm, size_t il,
    const uint8_t *info, size_t nl, uint8_t *out, size_t len)
{
	struct hkey h;
	struct sha_run r;
	uint8_t prk[32], t[32];

	if (len > 255 * sizeof t) return -1;
	quic_hmac_sha256(salt, sl, ikm, il, prk);  /* RFC 5869 §2.2: Extract */
	hkey_set(&h, prk, sizeof prk);
	for (size_t i = 1, w = 0; w < len; i++) {  /* §2.3: T(i) = HMAC(PRK, T(i-1) | info | i) */
		uint8_t c = (uint8_t)i;
		hmac_start(&r, &h);
		if (i > 1) run_add(&r, t, sizeof t);
		run_add(&r, info, nl);
		run_add(&r, &c, 1);
		hmac_end(&r, &h, t);
		size_t m = len - w < sizeof t ? len - w : sizeof t;
		memcpy(out + w, t, m);
		w += m;
	}
	return 0;
}

int quic_hp_mask(const struct quic_keys *k, const uint8_t sample[16], uint8_t mask[5])
{
	uint8_t out[32];
	int len = 0, rc = -1;

	if (!qc_ready()) return -1;
	EVP_CIPHER_CTX *cx = qc.hpc;
	if (EVP_EncryptInit_ex2(cx, NULL, k->hp, NULL, NULL) == 1 &&
	    EVP_EncryptUpdate(cx, out, &len, sample, 16) == 1 && len == 16) {
		memcpy(mask, out, 5);
		rc = 0;
	}
	return rc;
}

/* RFC 9000 §A.3: the full packet number from its truncated form. */
static uint64_t pn_decode(uint64_t expected, uint64_t truncated, unsigned bits)
{
	uint64_t win = (uint64_t)1 << bits, hwin = win / 2, mask = win - 1;
	uint64_t cand = (expected & ~mask) | truncated;

	if (cand + hwin <= expected && cand < ((uint64_t)1 << 62) - win) return cand + win;
	if (cand > expected + hwin && cand >= win) return cand - win;
	return cand;
}

/*
 * open_initial: remove header protection and decrypt the packet at pkt
 * whose packet number starts at pn_off and which ends at end (bytes from
 * pkt).  The plaintext goes to out (room for end - pn_off bytes); its
 * length to *outlen, the packet number to *pn.  false when the packet is
 * too short for a sample or does not authenticate.
 */
static bool open_initial(const struct quic_keys *k, const uint8_t *pkt, size_t pn_off, size_t end,
    uint64_t expected, uint8_t *out, size_t *outlen, uint64_t *pn)
{
	uint8_t mask[5], first, pnb[4], nonce[12], hdr[128];
	int len = 0, len2 = 0;
	bool ok = false;

	/* RFC 9001 §5.4.2: the sample starts 4 bytes after the packet number
	 * and there must be 16 bytes of it; the tag is at least that long. */
	if (pn_off < 1 || end - pn_off < 4 + 16) return false;
	if (quic_hp_mask(k, pkt + pn_off + 4, mask) != 0) return false;
	EVP_CIPHER_CTX *cx = qc.aead; /* quic_hp_mask made it ready */

	first = pkt[0] ^ (mask[0] & 0x0f);
	unsigned pnlen = (first & 3u) + 1;
	uint64_t tpn = 0;
	for (unsigned i = 0; i < pnlen; i++) {
		pnb[i] = pkt[pn_off + i] ^ mask[1 + i];
		tpn = tpn << 8 | pnb[i];
	}
	*pn = pn_decode(expected, tpn, 8 * pnlen);

	/* §5.3: the nonce is the IV xored with the packet number, left-padded. */
	memcpy(nonce, k->iv, sizeof nonce);
	for (unsigned i = 0; i < 8; i++) nonce[11 - i] ^= (uint8_t)(*pn >> (8 * i));

	size_t ct_off = pn_off + pnlen, ct_len = end - ct_off - 16;
	if (EVP_DecryptInit_ex2(cx, NULL, k->key, nonce, NULL) != 1) goto done;
	if (ct_off <= sizeof hdr) {  /* the header unmasked in a copy, one update */
		hdr[0] = first;
		memcpy(hdr + 1, pkt + 1, pn_off - 1);
		memcpy(hdr + pn_off, pnb, pnlen);
		if (EVP_DecryptUpdate(cx, NULL, &len, hdr, (int)ct_off) != 1) goto done;
	} else if (EVP_DecryptUpdate(cx, NULL, &len, &first, 1) != 1 ||
	    EVP_DecryptUpdate(cx, NULL, &len, pkt + 1, (int)(pn_off - 1)) != 1 ||
	    EVP_DecryptUpdate(cx, NULL, &len, pnb, (int)pnlen) != 1) {
		goto done;
	}
	len = 0;
	if (ct_len > 0 && EVP_DecryptUpdate(cx, out, &len, pkt + ct_off, (int)ct_len) != 1)
		goto done;
	if (EVP_CIPHER_CTX_ctrl(cx, EVP_CTRL_GCM_SET_TAG, 16, (void *)(pkt + end - 16)) != 1)
		goto done;
	if (EVP_DecryptFinal_ex(cx, out + len, &len2) != 1) goto done;
	*outlen = (size_t)len + (size_t)len2;
	ok = true;
done:
	return ok;
}

int quic_protect(const struct quic_keys *k, uint8_t *pkt, size_t pn_off, size_t n, uint64_t pn)
{
	uint8_t nonce[12], mask[5];
	size_t pnlen = (pkt[0] & 3u) + 1, pt_off = pn_off + pnlen;
	int len = 0, rc = -1;

	if (n < pt_off + 16 || n - pn_off < 4 + 16 || n > INT32_MAX) return -1;
	memcpy(nonce, k->iv, sizeof nonce);
	for (unsigned i = 0; i < 8; i++) nonce[11 - i] ^= (uint8_t)(pn >> (8 * i));
	if (!qc_ready()) return -1;
	EVP_CIPHER_CTX *cx = qc.aead;

	if (EVP_EncryptInit_ex2(cx, NULL, k->key, nonce, NULL) == 1 &&
	    EVP_EncryptUpdate(cx, NULL, &len, pkt, (int)pt_off) == 1 &&
	    EVP_EncryptUpdate(cx, pkt + pt_off, &len, pkt + pt_off, (int)(n - 16 - pt_off)) == 1 &&
	    EVP_EncryptFinal_ex(cx, pkt + pt_off + len, &len) == 1 &&
	    EVP_CIPHER_CTX_ctrl(cx, EVP_CTRL_GCM_GET_TAG, 16, pkt + n - 16) == 1 &&
	    quic_hp_mask(k, pkt + pn_off + 4, mask) == 0) {
		pkt[0] ^= mask[0] & 0x0f;
		for (size_t i = 0; i < pnlen; i++) pkt[pn_off + i] ^= mask[1 + i];
		rc = 0;
	}
	return rc;
}

/* ------------------------------------------------------------ reassembly */

void quic_init(struct quic *q, uint32_t limit)
{
	memset(q, 0, sizeof *q);
	if (limit == 0) limit = QUIC_CRYPTO_DEFAULT;
	if (limit > (1u << 30)) limit = 1u << 30;
	q->limit = limit;
}

void quic_free(struct quic *q)
{
	for (int i = 0; i < 2; i++) {
		free(q->dir[i].buf);
		q->dir[i].buf = NULL;
		q->dir[i].alloc = 0;
	}
}

/* Add [lo, hi) to the sorted, disjoint ranges, merging what overlaps or
 * touches it; false when that would make more than QUIC_RANGES ranges. */
static bool range_add(struct quic_dir *d, uint32_t lo, uint32_t hi)
{
	uint32_t i = 0, j;

	while (i < d->nr && d->hi[i] < lo) i++;
	for (j = i; j < d->nr && d->lo[j] <= hi; j++)
		;
	if (i == j) {
		if (d->nr == QUIC_RANGES) return false;
		memmove(&d->lo[i + 1], &d->lo[i], (d->nr - i) * sizeof d->lo[0]);
		memmove(&d->hi[i + 1], &d->hi[i], (d->nr - i) * sizeof d->hi[0]);
		d->lo[i] = lo;
		d->hi[i] = hi;
		d->nr++;
		return true;
	}
	if (d->lo[i] < lo) lo = d->lo[i];
	if (d->hi[j - 1] > hi) hi = d->hi[j - 1];
	d->lo[i] = lo;
	d->hi[i] = hi;
	memmove(&d->lo[i + 1], &d->lo[j], (d->nr - j) * sizeof d->lo[0]);
	memmove(&d->hi[i + 1], &d->hi[j], (d->nr - j) * sizeof d->hi[0]);
	d->nr -= j - i - 1;
	return true;
}

static void crypto_put(struct quic *q, struct quic_dir *d, uint64_t off, const uint8_t *data,
    size_t len)
{
	if (len == 0) return;
	if (off >= q->limit) {
		d->flags |= QUIC_F_BUDGET;
		return;
	}
	if (len > q->limit - off) {
		len = (size_t)(q->limit - off);
		d->flags |= QUIC_F_BUDGET;
	}
	uint32_t lo = (uint32_t)off, hi = (uint32_t)(off + len);
	if (!range_add(d, lo, hi)) {
		d->flags |= QUIC_F_BUDGET;
		return;
	}
	if (hi > d->alloc) {
		uint32_t na = d->alloc ? d->alloc : 4096;
		while (na < hi) na *= 2;
		if (na > q->limit) na = q->limit;
		d->buf = xrealloc(d->buf, na);
		d->alloc = na;
	}
	memcpy(d->buf + lo, data, len);
}

size_t quic_crypto(const struct quic *q, int from_client, const uint8_t **p, unsigned *flags)
{
	const struct quic_dir *d = &q->dir[from_client ? 1 : 0];
	size_t n = d->nr > 0 && d->lo[0] == 0 ? d->hi[0] : 0;

	if (p) *p = n ? d->buf : NULL;
	if (flags) {
		*flags = d->flags;
		if (d->nr > 1 || (d->nr == 1 && d->lo[0] != 0)) *flags |= QUIC_F_GAP;
	}
	return n;
}

int quic_hello_done(const struct quic *q, int from_client)
{
	const uint8_t *p;
	size_t n = quic_crypto(q, from_client, &p, NULL);

	return n >= 4 && n - 4 >= ((size_t)p[1] << 16 | (size_t)p[2] << 8 | p[3]);
}

/* -------------------------------------------------------------- frames */

/* Past a run of PADDING frames (zero bytes): clients fill their Initial
 * datagrams to 1200 bytes (RFC 9000 §14.1), mostly with them, so they are
 * tested 8 at a time (a load into a word only to compare it with zero,
 * whatever the byte order). */
static void skip_padding(struct cur *c)
{
	uint64_t w;

	while (cur_left(c) >= sizeof w) {
		memcpy(&w, c->p, sizeof w);
		if (w != 0) break;
		c->p += sizeof w;
	}
	while (cur_left(c) > 0 && *c->p == 0x00) c->p++;
}

/* RFC 9000 §19 and §17.2.2: the frames an Initial packet may carry. */
int quic_frames(struct quic *q, const uint8_t *payload, size_t n, int from_client)
{
	struct quic_dir *d = &q->dir[from_client ? 1 : 0];
	struct cur c = cur_make(payload, n);
	uint64_t t, a, b, cnt, off, len;
	const uint8_t *data;

	while (cur_left(&c) > 0) {
		if (*c.p == 0x00) {  /* PADDING, usually a long run of it */
			skip_padding(&c);
			continue;
		}
		if (!cur_varint(&c, &t)) goto bad;
		switch (t) {
		case 0x01:  /* PING */
			break;
		case 0x02:  /* ACK: largest, delay, range count, first range, ranges */
		case 0x03:  /* ACK with ECN counts */
			if (!cur_varint(&c, &a) || !cur_varint(&c, &a) || !cur_varint(&c, &cnt) ||
			    !cur_varint(&c, &a))
				goto bad;
			for (uint64_t i = 0; i < cnt; i++)
				if (!cur_varint(&c, &a) || !cur_varint(&c, &b)) goto bad;
			if (t == 0x03 && (!cur_varint(&c, &a) || !cur_varint(&c, &a) || !cur_varint(&c, &a)))
				goto bad;
			break;
		case 0x06:  /* CRYPTO: offset, length, data */
			if (!cur_varint(&c, &off) || !cur_varint(&c, &len) || len > cur_left(&c) ||
			    !cur_bytes(&c, (size_t)len, &data))
				goto bad;
			if (off + len > ((uint64_t)1 << 62) - 1) goto bad;
			crypto_put(q, d, off, data, (size_t)len);
			break;
		case 0x1c:  /* CONNECTION_CLOSE: error code, frame type, reason */
			d->flags |= QUIC_F_CLOSE;
			q->flags |= QUIC_F_CLOSE;
			if (!cur_varint(&c, &a) || !cur_varint(&c, &a) || !cur_varint(&c, &len) ||
			    len > cur_left(&c) || !cur_skip(&c, (size_t)len))
				goto bad;
			break;
		default:
			q->flags |= QUIC_F_FRAME;
			return -1;
		}
	}
	return 0;
bad:
	q->flags |= QUIC_F_MALFORMED;
	return -1;
}

/* ------------------------------------------------------------- packets */

/* q->keyed: the source of the keys is set, which of q->k are derived,
 * and whether k[0] holds the initial secret instead (below). */
#define KEYED_SRC 1u
#define KEYED_DIR(fc) (2u << (fc))
#define KEYED_SECRET 8u

_Static_assert(sizeof(struct quic_keys) >= 32, "k[0] holds the 32-byte initial secret");

/* The keys now come from version and dcid; each direction's are derived
 * when its first Initial needs them (dir_keys): many flows never show a
 * server Initial (one-sided captures, a client retrying), and a
 * direction costs half of a derivation. */
static void set_keys(struct quic *q, uint32_t version, const uint8_t *dcid, size_t n)
{
	q->key_version = version;
	memcpy(q->key_dcid, dcid, n);
	q->key_dcid_len = (uint8_t)n;
	q->keyed = KEYED_SRC;
}

/*
 * The client's keys come first (a server Initial before any client
 * Initial is not read), and the initial secret they came from is kept in
 * the place of the server's keys, k[0], until those are derived: the
 * server's then skip HKDF-Extract, 10 block compressions instead of 14,
 * and struct quic stays the size it was.
 */
static const struct quic_keys *dir_keys(struct quic *q, int fc)
{
	if (q->keyed & KEYED_DIR(fc)) return &q->k[fc];

	const struct qver *v = find_version(q->key_version);  /* quic_feed took it */
	uint8_t initial[32];
	struct hkey h;

	qk_ready();
	if (q->keyed & KEYED_SECRET) memcpy(initial, &q->k[0], sizeof initial);
	else initial_secret(v, q->key_dcid, q->key_dcid_len, initial);
	hkey_set(&h, initial, sizeof initial);
	direction_keys(v, &h, fc, &q->k[fc]);
	q->keyed &= ~KEYED_SECRET;
	if (fc && !(q->keyed & KEYED_DIR(0))) {
		memcpy(&q->k[0], initial, sizeof initial);
		q->keyed |= KEYED_SECRET;
	}
	q->keyed |= KEYED_DIR(fc);
	return &q->k[fc];
}

/* One Initial packet: pkt[0] is its first byte, the packet number at
 * pn_off, its end at end.  true when it decrypted. */
static bool initial_packet(struct quic *q, const uint8_t *pkt, size_t pn_off, size_t end, int fc,
    uint32_t version, const uint8_t *dcid, size_t dcid_len)
{
	struct quic_dir *d = &q->dir[fc];
	uint8_t stack[QUIC_STACK_PKT], *out = stack;
	size_t outlen = 0;
	uint64_t pn = 0;
	bool ok;

	if (!q->keyed) {
		if (!fc) {
			q->flags |= QUIC_F_NOKEYS;
			return false;
		}
		set_keys(q, version, dcid, dcid_len);
	} else if (q->key_version != version) {
		/* Compatible version negotiation (RFC 9368): the same DCID, the
		 * other version's salt and labels. */
		set_keys(q, version, q->key_dcid, q->key_dcid_len);
	}
	if (end - pn_off > sizeof stack) out = xmalloc(end - pn_off);
	ok = open_initial(dir_keys(q, fc), pkt, pn_off, end, d->largest_pn, out, &outlen, &pn);
	if (!ok && fc && (dcid_len != q->key_dcid_len || memcmp(dcid, q->key_dcid, dcid_len) != 0)) {
		/* After a Retry the client's DCID, and so the keys, change. */
		struct quic_keys k;
		quic_initial_keys(version, dcid, dcid_len, &k, NULL);
		ok = open_initial(&k, pkt, pn_off, end, d->largest_pn, out, &outlen, &pn);
		if (ok) {
			set_keys(q, version, dcid, dcid_len);
			q->k[1] = k;
			q->keyed |= KEYED_DIR(1);
		}
	}
	if (ok) {
		q->flags |= QUIC_F_DECRYPTED;
		d->initials++;
		if (pn + 1 > d->largest_pn) d->largest_pn = pn + 1;
		quic_frames(q, out, outlen, fc);
	} else {
		q->flags |= QUIC_F_DECRYPT;
	}
	if (out != stack) free(out);
	return ok;
}

int quic_feed(struct quic *q, const uint8_t *udp_payload, size_t n, int from_client)
{
	struct cur c = cur_make(udp_payload, n);
	int fc = from_client ? 1 : 0, got = 0;
	bool first = true;

	while (cur_left(&c) > 0) {
		const uint8_t *start = c.p, *dcid, *scid;
		uint8_t b, dl, sl;
		uint32_t version;
		uint64_t tlen, len;

		/* A short header (1-RTT) or padding fills the rest (§12.2). */
		if (!(*c.p & 0x80)) break;
		if (!cur_u8(&c, &b) || !cur_u32(&c, &version) || !cur_u8(&c, &dl) ||
		    !cur_bytes(&c, dl, &dcid) || !cur_u8(&c, &sl) || !cur_bytes(&c, sl, &scid)) {
			if (!first) q->flags |= QUIC_F_MALFORMED;
			break;
		}
		if (version == 0) {  /* §17.2.1: the rest is the list of versions */
			q->flags |= QUIC_F_VNEG;
			first = false;
			break;
		}
		const struct qver *v = find_version(version);
		if (!v) {
			q->flags |= QUIC_F_VERSION;
			first = false;
			break;
		}
		if (dl > QUIC_CID_MAX || sl > QUIC_CID_MAX) {
			if (!first) q->flags |= QUIC_F_MALFORMED;
			break;
		}
		first = false;
		q->flags |= QUIC_F_LONG;
		if (!q->version) q->version = version;
		int kind = v->kind[(b >> 4) & 3];
		if (fc && kind == K_INITIAL && !q->dir[1].initials && !q->keyed) {
			memcpy(q->dcid, dcid, dl);
			q->dcid_len = dl;
			memcpy(q->scid, scid, sl);
			q->scid_len = sl;
		}
		if (!fc && !q->sscid_set) {
			memcpy(q->sscid, scid, sl);
			q->sscid_len = sl;
			q->sscid_set = 1;
		}
		if (kind == K_RETRY) {  /* §17.2.5: no Length; the rest is token and tag */
			q->flags |= QUIC_F_RETRY;
			break;
		}
		if (kind == K_INITIAL && (!cur_varint(&c, &tlen) || tlen > cur_left(&c) ||
		    !cur_skip(&c, (size_t)tlen))) {
			q->flags |= QUIC_F_MALFORMED;
			break;
		}
		if (!cur_varint(&c, &len) || len > cur_left(&c)) {
			q->flags |= QUIC_F_MALFORMED;
			break;
		}
		size_t pn_off = (size_t)(c.p - start);
		if (kind == K_INITIAL &&
		    initial_packet(q, start, pn_off, pn_off + (size_t)len, fc, version, dcid, dl))
			got++;
		c.p += len;
	}
	if (fc && !q->client_seen) {
		q->client_seen = 1;
		if (first) q->flags |= QUIC_F_NOTQUIC;
	}
	return first ? -1 : got;
}

void quic_info(const struct quic *q, struct quic_info *out)
{
	out->version = q->version;
	out->flags = q->flags;
	out->dcid = q->dcid;
	out->dcid_len = q->dcid_len;
	out->scid = q->scid;
	out->scid_len = q->scid_len;
	out->server_scid = q->sscid;
	out->server_scid_len = q->sscid_len;
	out->initials[0] = q->dir[0].initials;
	out->initials[1] = q->dir[1].initials;
}
