/*
 * digest.h - one-shot MD5 and SHA-256 of a caller's bytes through
 * libcrypto, for fingerprints (JA3, JA4, HASSH) and certificate hashes.
 * EVP_Digest() with EVP_sha256() fetches the algorithm implicitly and
 * makes and frees a context on every call, several thousand instructions
 * for a 100-byte string; here each algorithm is fetched once and one
 * context per algorithm is reused, both kept for the process.  Not for
 * use from several threads at once.
 */
#ifndef FK_DIGEST_H
#define FK_DIGEST_H

#include <stddef.h>
#include <stdint.h>

enum dg_alg { DG_MD5, DG_SHA256 };

#define DG_MAX 32 /* bytes of the longest digest */

/* dg_hash(alg, in, n, out): the digest of in[0..n) into out (room for
 * DG_MAX bytes); returns its length, 0 when libcrypto failed. */
unsigned dg_hash(enum dg_alg alg, const void *in, size_t n, uint8_t out[DG_MAX]);

/* dg_hex(alg, in, n, out, hexlen): the digest in lowercase hex, cut to
 * hexlen digits, into out (room for hexlen + 1); "" when libcrypto failed. */
void dg_hex(enum dg_alg alg, const void *in, size_t n, char *out, size_t hexlen);

#endif
