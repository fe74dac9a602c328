/*
 * digest.c - MD5 and SHA-256 with fetched algorithms and reused
 * contexts (digest.h).
 */
#include "digest.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>

struct dg_state {
	EVP_MD *md;
	EVP_MD_CTX *ctx;
	bool failed;  /* a fetch failed: do not try again on every call */
};

static struct dg_state dg[2];

/*
 * Digests of short inputs, remembered: fingerprint strings (JA3, JA4's
 * cipher and extension lists, HASSH) repeat from flow to flow, as every
 * copy of a browser sends the same hello.  A direct-mapped table of
 * DG_MEMO entries by an FNV-1a hash of the algorithm and the input; an
 * entry holds the whole input, compared on lookup, so a hit gives the
 * digest the computation would.  Allocated on first use (about 550 KB)
 * and kept for the process.
 */
#define DG_MEMO 1024
#define DG_MEMO_MAX 512 /* longest input remembered */

struct dg_memo {
	uint16_t len;          /* of the input; 0: empty slot */
	uint8_t alg, dlen;
	uint8_t d[DG_MAX];
	uint8_t in[DG_MEMO_MAX];
};

static struct dg_memo *memo;
static bool memo_failed;

static unsigned dg_compute(struct dg_state *s, const void *in, size_t n, uint8_t out[DG_MAX]);

unsigned dg_hash(enum dg_alg alg, const void *in, size_t n, uint8_t out[DG_MAX])
{
	struct dg_state *s = &dg[alg == DG_MD5 ? 0 : 1];
	const uint8_t *b = in;
	struct dg_memo *m;
	uint32_t h = 2166136261u ^ (uint32_t)alg;
	unsigned len;
	size_t i;

	if (n == 0 || n > DG_MEMO_MAX) return dg_compute(s, in, n, out);
	if (memo == NULL && !memo_failed && (memo = calloc(DG_MEMO, sizeof *memo)) == NULL)
		memo_failed = true;
	if (memo == NULL) return dg_compute(s, in, n, out);
	for (i = 0; i < n; i++) h = (h ^ b[i]) * 16777619u;
	m = &memo[(h ^ h >> 15) % DG_MEMO];
	if (m->len == n && m->alg == alg && memcmp(m->in, in, n) == 0) {
		memcpy(out, m->d, m->dlen);
		return m->dlen;
	}
	len = dg_compute(s, in, n, out);
	if (len) {
		m->len = (uint16_t)n;
		m->alg = (uint8_t)alg;
		m->dlen = (uint8_t)len;
		memcpy(m->d, out, len);
		memcpy(m->in, in, n);
	}
	return len;
}

static unsigned dg_compute(struct dg_state *s, const void *in, size_t n, uint8_t out[DG_MAX])
{
	unsigned len = 0;

	if (s->ctx == NULL && !s->failed) {
		s->md = EVP_MD_fetch(NULL, s == &dg[0] ? "MD5" : "SHA256", NULL);
		s->ctx = s->md ? EVP_MD_CTX_new() : NULL;
		if (s->ctx == NULL) {
			EVP_MD_free(s->md);
			s->md = NULL;
			s->failed = true;
		}
	}
	if (s->ctx == NULL) return 0;
	if (EVP_DigestInit_ex2(s->ctx, s->md, NULL) != 1 || EVP_DigestUpdate(s->ctx, in, n) != 1 ||
	    EVP_DigestFinal_ex(s->ctx, out, &len) != 1 || len > DG_MAX)
		return 0;
	return len;
}

void dg_hex(enum dg_alg alg, const void *in, size_t n, char *out, size_t hexlen)
{
	static const char hx[] = "0123456789abcdef";
	uint8_t d[DG_MAX];
	unsigned dl = dg_hash(alg, in, n, d), i;

	for (i = 0; i < dl && 2 * i < hexlen; i++) {
		out[2 * i] = hx[d[i] >> 4];
		out[2 * i + 1] = hx[d[i] & 15];
	}
	out[2 * i < hexlen ? 2 * i : hexlen] = 0;
}
