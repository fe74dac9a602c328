/*
 * x509.h - the TLS Certificate handshake message and the X.509
 * certificates in it, read with libcrypto into fixed-size fields: subject,
 * issuer, serial, validity, SHA-256 fingerprint, public key, signature
 * algorithm and (server certificate only) the SAN DNS names.  A pure
 * module: no I/O, no state, no allocation visible to the caller (libcrypto
 * allocates while it decodes and everything is freed before return).
 *
 * The message body (after the 4-byte handshake header), RFC 5246 7.4.2:
 *
 *   Offset  Size  Field
 *   0       3     n, length of the certificate list
 *   3       n     entries: a 3-byte length m, then m bytes of DER
 *
 * and RFC 8446 4.4.2 (TLS 1.3, seen only when decrypted):
 *
 *   0       1     c, length of certificate_request_context
 *   1       c     the context
 *   1+c     3     n, length of the certificate list
 *   4+c     n     entries: a 3-byte DER length, the DER, a 2-byte
 *                 extensions length, the extensions
 *
 * Every length is checked against what remains; the DER goes to
 * d2i_X509() over exactly the bytes its entry holds.  Constants are
 * prefixed X5 because libcrypto owns the X509_ names.
 */
#ifndef FK_X509_H
#define FK_X509_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct buf;

#define X5_MAX_CERTS  8   /* entries decoded per message; the rest are counted */
#define X5_MAX_NAME   512 /* subject and issuer text, with its NUL */
#define X5_MAX_SERIAL 132 /* "-" and 64 bytes of hex, with the NUL */
#define X5_MAX_ALG    64  /* signature algorithm name, with the NUL */
#define X5_MAX_KEY    24  /* key type, with the NUL */
#define X5_MAX_GROUP  32  /* EC curve name, with the NUL */
#define X5_MAX_SAN    16  /* SAN DNS names kept, of the server's certificate */
#define X5_MAX_DNS    254 /* one SAN DNS name, with its NUL */

/* Entry flags (struct x509_cert.flags), the wire field cert_entry_flags. */
#define X5E_CUT      0x01u /* the entry runs past the end of the message: not decoded */
#define X5E_BAD      0x02u /* libcrypto could not decode the DER */
#define X5E_TRAILING 0x04u /* bytes after the certificate inside its entry */
#define X5E_TEXT_CUT 0x08u /* a name, serial or algorithm was cut to its bound */
#define X5E_SAN_CAP  0x10u /* more SAN DNS names than X5_MAX_SAN, or one too long */
#define X5E_NO_TIME  0x20u /* a validity time could not be read (its value is 0) */
#define X5E_NO_KEY   0x40u /* the public key could not be decoded */

/* Chain flags (struct x509_chain.flags), the wire field cert_flags. */
#define X5C_CUT       0x01u /* the message is shorter than its lengths say */
#define X5C_CAPPED    0x02u /* more than X5_MAX_CERTS entries */
#define X5C_TLS13     0x04u /* read in the TLS 1.3 form */
#define X5C_MALFORMED 0x08u /* bytes after the list, or a bad TLS 1.3 extensions length */
#define X5C_HIDDEN    0x10u /* not set here: the flow's ServerHello chose TLS 1.3, whose
                             * Certificate message is encrypted (nothing to read) */

struct x509_cert {
	uint8_t flags;                 /* X5E_* */
	uint32_t der_len;              /* length of the DER in the message */
	uint8_t sha256[32];            /* of the DER; zero when X5E_CUT */
	/* The rest is empty (zero) when X5E_CUT or X5E_BAD. */
	char subject[X5_MAX_NAME];     /* RFC 4514 one line, UTF-8 */
	char issuer[X5_MAX_NAME];
	char serial[X5_MAX_SERIAL];    /* uppercase hex of the INTEGER's bytes, "-" if negative */
	int64_t not_before, not_after; /* Unix seconds, UTC */
	char key_type[X5_MAX_KEY];     /* "rsa", "rsa-pss", "ec", "ed25519", "dsa"... */
	char key_group[X5_MAX_GROUP];  /* EC: the curve ("prime256v1"), else empty */
	uint16_t key_bits;             /* as libcrypto counts them; 0 if unknown */
	char sig_alg[X5_MAX_ALG];      /* "sha256WithRSAEncryption", or the OID */
};

struct x509_chain {
	uint8_t flags;                 /* X5C_* */
	uint16_t total;                /* entries in the message, up to 65535 */
	uint8_t n;                     /* entries decoded into cert[] */
	struct x509_cert cert[X5_MAX_CERTS]; /* in message order: the server's own first */
	/* SAN DNS names of cert[0], in certificate order */
	uint32_t san_total;            /* how many it has */
	uint8_t nsan;                  /* how many are in san[] */
	char san[X5_MAX_SAN][X5_MAX_DNS];
};

/* Message forms for x509_parse_msg(). */
enum x509_form {
	X5_FORM_TLS12, /* TLS 1.2 and earlier (RFC 5246) */
	X5_FORM_TLS13  /* TLS 1.3 (RFC 8446) */
};

/*
 * x509_parse_msg(body, len, form, out): read a Certificate message body
 * (the bytes after the handshake type and 24-bit length) into the caller's
 * *out, which it clears first.  Returns 0 when the message is well formed
 * (entries that libcrypto rejects still have X5E_BAD), -1 when X5C_CUT or
 * X5C_MALFORMED is set; *out then holds what could be read.  The struct is
 * about 15 KB: fill it, encode it, do not keep one per flow.
 */
int x509_parse_msg(const uint8_t *body, size_t len, enum x509_form form, struct x509_chain *out);

/*
 * x509_parse_der(der, len, c, chain): decode one DER certificate into *c
 * (cleared first; flags X5E_BAD when libcrypto refuses it).  With chain
 * non-NULL its SAN DNS names go to chain->san (nsan, san_total).  Returns
 * 0, or -1 when X5E_BAD.
 */
int x509_parse_der(const uint8_t *der, size_t len, struct x509_cert *c, struct x509_chain *chain);

/*
 * Encoding into the TLS element (flowrec(5), metadata fields): the caller
 * appends the fields of a TLS element in ascending tag order, and calls
 * x509_encode_names() where tags 9 and 10 go (cert_subject, cert_issuer:
 * after tag 8, before tag 11) and x509_encode() where tags 64 to 75 go
 * (cert_count ... cert_san_dns: after every tag below 64).  Both append
 * nothing when chain->total is 0.  Per-certificate fields repeat once per
 * decoded entry, in message order, so their n-th values describe the same
 * certificate.
 */
void x509_encode_names(const struct x509_chain *chain, struct buf *elem_body);
void x509_encode(const struct x509_chain *chain, struct buf *elem_body);

/* Tags of the TLS element used by x509_encode(). */
enum {
	X5_TAG_SUBJECT = 9, X5_TAG_ISSUER = 10,
	X5_TAG_COUNT = 64, X5_TAG_FLAGS, X5_TAG_ENTRY_FLAGS, X5_TAG_SERIAL, X5_TAG_NOT_BEFORE,
	X5_TAG_NOT_AFTER, X5_TAG_SHA256, X5_TAG_KEY_TYPE, X5_TAG_KEY_GROUP, X5_TAG_KEY_BITS,
	X5_TAG_SIG_ALG, X5_TAG_SAN_DNS
};

/* x509_time_text(t, s): "2026-12-01T22:04:14Z" into s[21] (years 0..9999). */
void x509_time_text(int64_t t, char s[21]);

#endif
