/*
 * tls.h - TLS handshake parsing (RFC 8446 4, RFC 5246 7.4) and the JA3,
 * JA3S and JA4 fingerprints.  Pure functions over bytes: nothing here
 * knows about flows or packets, so that TCP (through the record layer,
 * tls_records()) and QUIC (CRYPTO frames, straight to
 * tls_parse_handshake()) share the code.
 *
 * Lists are bounded (TLS_MAXLIST values, TLS_MAXNAME bytes of a name);
 * a longer list is cut and TLS_F_CUT set, never an error.
 */
#ifndef FK_TLS_H
#define FK_TLS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "bytes.h"

#define TLS_MAXLIST 128
#define TLS_MAXNAME 255
#define TLS_MAXALPN 512   /* bytes of the ALPN protocol_name_list kept */

/* Handshake message types (RFC 8446 4). */
enum { TLS_HS_CLIENT_HELLO = 1, TLS_HS_SERVER_HELLO = 2, TLS_HS_CERTIFICATE = 11,
	TLS_HS_SERVER_HELLO_DONE = 14 };

/* Results. */
enum { TLS_MORE = 0, TLS_OK = 1, TLS_BAD = -1 };

/* tls_hello.flags */
#define TLS_F_CUT        0x01u /* a list or name was longer than kept */
#define TLS_F_ECH        0x02u /* encrypted_client_hello (0xfe0d) present */
#define TLS_F_RESUME     0x04u /* resumption offered (client) or accepted (server) */
#define TLS_F_SNI        0x08u /* a server_name extension was present */

struct tls_list {
	uint16_t n;
	uint16_t v[TLS_MAXLIST];
};

/* A ClientHello or a ServerHello.  tls_parse_hello clears the fields
 * before ciphers with one memset and then only the counts: keep new
 * scalar fields before the lists. */
struct tls_hello {
	bool server;
	bool valid;                  /* tls_parse_hello returned TLS_OK */
	uint16_t version;            /* legacy_version */
	uint16_t cipher;             /* server: the chosen suite */
	uint16_t selected_version;   /* server: supported_versions, 0 if absent */
	uint16_t key_share;          /* server: the group of its key share, 0 if absent */
	uint8_t session_id_len;
	uint8_t session_id[32];
	uint8_t flags;               /* TLS_F_* */
	struct tls_list ciphers;     /* client */
	struct tls_list exts;        /* extension types, wire order */
	struct tls_list groups;      /* supported_groups (client) */
	struct tls_list sigalgs;     /* signature_algorithms (client) */
	struct tls_list versions;    /* supported_versions (client) */
	struct tls_list ecpf;        /* ec_point_formats (u8 values) */
	uint8_t sni_len;
	char sni[TLS_MAXNAME + 1];   /* host_name, NUL-terminated (may hold other bytes) */
	uint16_t alpn_len;
	uint8_t alpn[TLS_MAXALPN];   /* the protocol_name_list as on the wire (server: one name) */
};

/*
 * tls_parse_hello: the body of a ClientHello (client true) or ServerHello
 * handshake message (after its 4-byte header).  Returns TLS_OK or TLS_BAD;
 * h is filled as far as the bytes allowed.  Only what the counts cover is
 * set: list values past n, sni past its NUL and alpn past alpn_len are
 * left as they were.
 */
int tls_parse_hello(const uint8_t *body, size_t n, bool client, struct tls_hello *h);

/*
 * tls_parse_handshake: a sequence of handshake messages (type, 24-bit
 * length, body: the bytes of handshake records or of a QUIC CRYPTO
 * stream, in order from the first message).  Each complete message is
 * handed to on_msg (may be NULL); ClientHello and ServerHello are also
 * parsed into *ch / *sh (either may be NULL; their valid is cleared
 * first, so it tells whether that hello was parsed).  Stops after a
 * ServerHelloDone.  Returns TLS_OK when it stopped on a message boundary
 * that ends what the caller wants (a ClientHello seen, a ServerHelloDone
 * seen), TLS_MORE when a message is incomplete, TLS_BAD when a message
 * is malformed; *used is the number of bytes of whole messages read.
 */
typedef void (*tls_msg_fn)(void *ctx, uint8_t type, const uint8_t *body, size_t n);
int tls_parse_handshake(const uint8_t *p, size_t n, struct tls_hello *ch, struct tls_hello *sh,
    tls_msg_fn on_msg, void *ctx, size_t *used);

/*
 * tls_records: the payloads of the leading handshake records (type 22) of
 * a TLS stream, concatenated into hs (appended).  Stops at the first
 * record of another type (ChangeCipherSpec, application data: what
 * follows is encrypted) and at an incomplete record.  Returns TLS_OK when
 * it stopped at a record of another type, TLS_MORE at an incomplete
 * record, TLS_BAD for a record header that is not TLS.  *rec_version is
 * the version of the first record.
 */
int tls_records(const uint8_t *p, size_t n, struct buf *hs, uint16_t *rec_version);

/* tls_looks_like: a TLS handshake record starts here (content detection). */
bool tls_looks_like(const uint8_t *p, size_t n);
/* tls_sslv2_hello: an SSL 2.0-format ClientHello offering SSL 3.0 or
 * TLS starts here (RFC 5246 E.2: 2-byte length with the top bit set,
 * msg_type 1, version 3.x); the server answers with TLS records. */
bool tls_sslv2_hello(const uint8_t *p, size_t n);

/* GREASE values (RFC 8701): 0x0a0a, 0x1a1a, ... 0xfafa. */
static inline bool tls_grease(uint16_t v) { return (v & 0x0f0f) == 0x0a0a && (v >> 8) == (v & 0xff); }
/* A post-quantum hybrid key exchange group (X25519MLKEM768 0x11ec and the
 * other ML-KEM and Kyber hybrids of the IANA registry). */
static inline bool tls_group_pq(uint16_t g)
{
	/* IANA TLS Supported Groups: SecP256r1MLKEM768 0x11eb, X25519MLKEM768
	 * 0x11ec, SecP384r1MLKEM1024 0x11ed; the draft Kyber hybrids
	 * X25519Kyber768Draft00 0x6399 and SecP256r1Kyber768Draft00 0x639a;
	 * the pure ML-KEM groups 0x0200-0x0202 are post-quantum too. */
	return (g >= 0x11eb && g <= 0x11ed) || g == 0x6399 || g == 0x639a ||
	    (g >= 0x0200 && g <= 0x0202);
}

/*
 * Fingerprints, written NUL-terminated into out (out_size bytes; the
 * result is cut to fit).  JA3 and JA3S (salesforce/ja3): MD5 of the
 * decimal string, GREASE removed; the string itself when raw.  JA4
 * (FoxIO JA4 specification): proto is 't' (TCP), 'q' (QUIC) or 'd'
 * (DTLS); form 0 the fingerprint, 'r' the sorted raw form, 'o' the
 * original-order hashed form.
 */
#define TLS_FP_MAX 2048
void tls_ja3(const struct tls_hello *ch, bool raw, char *out, size_t out_size);
void tls_ja3s(const struct tls_hello *sh, bool raw, char *out, size_t out_size);
void tls_ja4(const struct tls_hello *ch, char proto, char form, char *out, size_t out_size);
/* tls_ja4_all: the three forms at once (one sort, one hash of each list),
 * each buffer size bytes. */
void tls_ja4_all(const struct tls_hello *ch, char proto, char *ja4, char *ja4_r, char *ja4_o,
    size_t size);

#endif
