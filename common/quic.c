/*
 * quic.c - QUIC Initial packets and their CRYPTO streams (see quic.h).
 *
 * A datagram is walked with one cursor; each Initial packet is opened
 * where it lies (the header is never unmasked in the caller's bytes: the
 * associated data is fed to GCM in three pieces, the unmasked first byte,
 * the bytes up to the packet number, the unmasked packet number).
 */
#include "quic.h"

#include <openssl/evp.h>
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
 * HMAC-SHA256 (RFC 2104) made of SHA-256 digest contexts: a key's padded
 * blocks K^ipad and K^opad are hashed once into the two states of a
 * struct hkey, and each message starts from copies of them.  EVP_MAC
 * hashes both pads again on every init; here each key serves several
 * messages (the initial secret two, each direction's secret three) and
 * a version's salt, the key of HKDF-Extract, the whole process.
 */
struct hkey {
	EVP_MD_CTX *in, *out;    /* SHA-256 after K^ipad, after K^opad */
};

/*
 * The algorithms, fetched once, and the contexts, reused for the process:
 * HMAC(EVP_sha256(), ...) and EVP_aes_128_gcm() fetch their
 * implementation on every call and a new context costs allocations, more
 * than the work itself on a 1200-byte Initial.  Each cipher context is
 * given its cipher once, in qc_ready: naming it again on every init
 * resets the context, and a packet then only sets the key and the IV.
 * Static state, so not for several threads: the QUIC module runs only on
 * the flow-table thread.
 */
static struct {
	bool tried, ok;
	EVP_MD *sha256;
	EVP_MD_CTX *work;          /* a copy of a key's state, one message */
	struct hkey salt[NVERSIONS];  /* keyed with versions[i].salt */
	struct hkey initial;       /* keyed per derivation with the initial secret */
	struct hkey secret;        /* then with one direction's secret */
	EVP_CIPHER *gcm, *ecb;
	EVP_CIPHER_CTX *aead;      /* AES-128-GCM, keyed per packet */
	EVP_CIPHER_CTX *hpc;       /* AES-128-ECB for header protection */
} qc;

/* Hash the key's pads into h (kl <= 64, the SHA-256 block); false when
 * libcrypto failed. */
static bool hkey_set(struct hkey *h, const uint8_t *key, size_t kl)
{
	uint8_t pad[64];

	for (size_t i = 0; i < sizeof pad; i++) pad[i] = (uint8_t)((i < kl ? key[i] : 0) ^ 0x36);
	if (EVP_DigestInit_ex2(h->in, qc.sha256, NULL) != 1 ||
	    EVP_DigestUpdate(h->in, pad, sizeof pad) != 1)
		return false;
	for (size_t i = 0; i < sizeof pad; i++) pad[i] ^= 0x36 ^ 0x5c;
	return EVP_DigestInit_ex2(h->out, qc.sha256, NULL) == 1 &&
	    EVP_DigestUpdate(h->out, pad, sizeof pad) == 1;
}

static bool hkey_new(struct hkey *h)
{
	return (h->in = EVP_MD_CTX_new()) != NULL && (h->out = EVP_MD_CTX_new()) != NULL;
}

static bool qc_ready(void)
{
	if (qc.tried) return qc.ok;
	qc.tried = true;
	qc.ok = (qc.sha256 = EVP_MD_fetch(NULL, "SHA256", NULL)) != NULL &&
	    (qc.work = EVP_MD_CTX_new()) != NULL && hkey_new(&qc.initial) && hkey_new(&qc.secret) &&
	    (qc.gcm = EVP_CIPHER_fetch(NULL, "AES-128-GCM", NULL)) != NULL &&
	    (qc.ecb = EVP_CIPHER_fetch(NULL, "AES-128-ECB", NULL)) != NULL &&
	    (qc.aead = EVP_CIPHER_CTX_new()) != NULL && (qc.hpc = EVP_CIPHER_CTX_new()) != NULL &&
	    EVP_EncryptInit_ex2(qc.aead, qc.gcm, NULL, NULL, NULL) == 1 &&
	    EVP_EncryptInit_ex2(qc.hpc, qc.ecb, NULL, NULL, NULL) == 1 &&
	    EVP_CIPHER_CTX_set_padding(qc.hpc, 0) == 1;
	for (size_t i = 0; qc.ok && i < NVERSIONS; i++)
		qc.ok = hkey_new(&qc.salt[i]) &&
		    hkey_set(&qc.salt[i], versions[i].salt, sizeof versions[i].salt);
	return qc.ok;
}

/* HMAC(key of h, in) into out[32]: H(K^opad || H(K^ipad || in)).  With
 * last, the key's own states are used up (no copies: the last message of
 * a key, which must be set again before another).  false when libcrypto
 * failed. */
static bool hmac_sha256(struct hkey *h, bool last, const uint8_t *in, size_t n, uint8_t out[32])
{
	uint8_t inner[32];
	unsigned il = 0, ol = 0;
	EVP_MD_CTX *ci = last ? h->in : qc.work, *co = last ? h->out : qc.work;

	return (last || EVP_MD_CTX_copy_ex(ci, h->in) == 1) && EVP_DigestUpdate(ci, in, n) == 1 &&
	    EVP_DigestFinal_ex(ci, inner, &il) == 1 && il == 32 &&
	    (last || EVP_MD_CTX_copy_ex(co, h->out) == 1) &&
	    EVP_DigestUpdate(co, inner, sizeof inner) == 1 &&
	    EVP_DigestFinal_ex(co, out, &ol) == 1 && ol == 32;
}

/* RFC 8446 §7.1 HKDF-Expand-Label with an empty context, for out <= 32 bytes:
 * one HMAC block, T(1) = HMAC(secret, HkdfLabel || 0x01) (RFC 5869 §2.3),
 * the secret being the key of h. */
static bool expand_label(struct hkey *h, bool last, const char *label, uint8_t *out, size_t len)
{
	uint8_t info[2 + 1 + 6 + 16 + 1 + 1], t[32];
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
	if (!hmac_sha256(h, last, info, w, t)) return false;
	memcpy(out, t, len);
	return true;
}

/* One direction: its secret from the initial secret (the key of
 * qc.initial; last: its last use), then key, iv and hp from that secret. */
static bool direction_keys(const struct qver *v, bool last, const char *label,
    struct quic_keys *k)
{
	uint8_t secret[32];

	return expand_label(&qc.initial, last, label, secret, sizeof secret) &&
	    hkey_set(&qc.secret, secret, sizeof secret) &&
	    expand_label(&qc.secret, false, v->key, k->key, sizeof k->key) &&
	    expand_label(&qc.secret, false, v->iv, k->iv, sizeof k->iv) &&
	    expand_label(&qc.secret, true, v->hp, k->hp, sizeof k->hp);
}

int quic_initial_keys(uint32_t version, const uint8_t *dcid, size_t n, struct quic_keys *client,
    struct quic_keys *server)
{
	const struct qver *v = find_version(version);
	uint8_t initial[32];

	if (!v || !qc_ready()) return -1;
	/* HKDF-Extract(salt, DCID) is HMAC with the salt as the key. */
	if (!hmac_sha256(&qc.salt[v - versions], false, dcid, n, initial) ||
	    !hkey_set(&qc.initial, initial, sizeof initial) ||
	    (client && !direction_keys(v, !server, "client in", client)) ||
	    (server && !direction_keys(v, true, "server in", server))) {
		if (client) memset(client, 0, sizeof *client);
		if (server) memset(server, 0, sizeof *server);
		return -1;
	}
	return 0;
}

int quic_hp_mask(const struct quic_keys *k, const uint8_t sample[16], uint8_t mask[5])
{
	uint8_t out[32];
	int len = 0, rc = -1;
	EVP_CIPHER_CTX *cx = qc.hpc;

	if (!qc_ready()) return -1;
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
	uint8_t mask[5], first, pnb[4], nonce[12];
	int len = 0, len2 = 0;
	bool ok = false;

	/* RFC 9001 §5.4.2: the sample starts 4 bytes after the packet number
	 * and there must be 16 bytes of it; the tag is at least that long. */
	if (end - pn_off < 4 + 16) return false;
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
	if (EVP_DecryptInit_ex2(cx, NULL, k->key, nonce, NULL) != 1 ||
	    EVP_DecryptUpdate(cx, NULL, &len, &first, 1) != 1 ||
	    (pn_off > 1 && EVP_DecryptUpdate(cx, NULL, &len, pkt + 1, (int)(pn_off - 1)) != 1) ||
	    EVP_DecryptUpdate(cx, NULL, &len, pnb, (int)pnlen) != 1)
		goto done;
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
	EVP_CIPHER_CTX *cx = qc.aead;

	if (!qc_ready()) return -1;
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

/* q->keyed: the source of the keys is set, and which of q->k are derived. */
#define KEYED_SRC 1u
#define KEYED_DIR(fc) (2u << (fc))

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

static const struct quic_keys *dir_keys(struct quic *q, int fc)
{
	if (!(q->keyed & KEYED_DIR(fc))) {
		quic_initial_keys(q->key_version, q->key_dcid, q->key_dcid_len, fc ? &q->k[1] : NULL,
		    fc ? NULL : &q->k[0]);
		q->keyed |= KEYED_DIR(fc);
	}
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
