/*
 * quic.h - QUIC Initial packets: recognition, decryption and the CRYPTO
 * stream of each direction (RFC 9000, RFC 9001, RFC 9369).
 *
 * Fed the UDP payloads of the first packets of a flow, the module finds
 * the long-header packets of each datagram (several may be coalesced,
 * RFC 9000 §12.2; padding or a short-header packet ends the datagram),
 * derives the Initial keys from the Destination Connection ID of the
 * client's first Initial (RFC 9001 §5.2; RFC 9369 §3.3 for version 2),
 * removes header protection (§5.4: AES-128-ECB over a 16-byte sample),
 * decrypts and authenticates each Initial packet (§5.3: AES-128-GCM, the
 * header as associated data), walks its frames (RFC 9000 §19) and puts
 * the CRYPTO frames' bytes in place in a bounded buffer per direction.
 * What comes out is the TLS handshake byte stream from offset 0 (the
 * ClientHello, the ServerHello): parse it with the TLS module.
 *
 * Long header (RFC 9000 §17.2), as bytes of the datagram:
 *
 *	off        size  field
 *	  0           1  1 (long) | fixed bit | type (2 bits) | reserved (2) | pn length - 1 (2)
 *	  1           4  version (0: Version Negotiation)
 *	  5           1  DCID length (at most 20 for versions 1 and 2)
 *	  6           d  Destination Connection ID
 *	  6+d         1  SCID length
 *	  7+d         s  Source Connection ID
 *	  ...            Initial only: token length (varint), token
 *	  ...            Length (varint): packet number + protected payload
 *	  ...      1..4  packet number (protected)
 *	  ...            payload, 16-byte AEAD tag at the end
 *
 * Types: version 1 Initial 0, 0-RTT 1, Handshake 2, Retry 3; version 2
 * (0x6b3343cf) Initial 1, 0-RTT 2, Handshake 3, Retry 0.  Drafts 29 to 32
 * (0xff00001d-0xff000020, which Chrome spoke before RFC 9000) are read as
 * version 1 with their own salt.  Other versions (older drafts, Google
 * QUIC, vendors' own) are recognised (QUIC_F_VERSION) but not read.
 *
 * Keys: a Retry makes the client use a new DCID for its next Initial; a
 * client Initial that fails with the current keys is tried with keys from
 * its own DCID, and those become the keys of both directions when it
 * decrypts.  The server's Initials use the client's keys' DCID.  Each
 * direction's keys are derived when its first Initial is opened.
 *
 * Memory: struct quic is a fixed-size value (512 bytes on LP64) that the
 * caller owns; the libcrypto algorithms and contexts are made on the
 * first call and kept for the process, static state that makes the
 * module for one thread only (pcap-flows runs it on the flow-table
 * thread); the only other allocation is each direction's CRYPTO buffer,
 * made with xmalloc (exits when memory runs out) on the first CRYPTO
 * byte and grown by doubling up to the limit given to quic_init; quic_free
 * releases both.  Decryption works in a buffer on the stack for packets
 * of up to QUIC_STACK_PKT bytes and in a temporary heap block for larger
 * ones (freed before quic_feed returns).  Bytes past the limit, and
 * ranges that would make more than QUIC_RANGES holes, are dropped with
 * QUIC_F_BUDGET.  Bytes received twice are written again (RFC 9000 §19.6
 * says they are the same).  A caller that stops feeding a direction once
 * quic_hello_done says so should also stop on QUIC_F_BUDGET, when the
 * message is larger than the limit.
 */
#ifndef FK_QUIC_H
#define FK_QUIC_H

#include <stddef.h>
#include <stdint.h>

#define QUIC_V1 0x00000001u
#define QUIC_V2 0x6b3343cfu

#define QUIC_CID_MAX 20
#define QUIC_CRYPTO_DEFAULT (64u * 1024) /* bound of each direction's CRYPTO bytes */
#define QUIC_RANGES 16                   /* disjoint received ranges kept per direction */
#define QUIC_STACK_PKT 2048

/* Flags: sticky in the state (quic_info), and per direction (quic_crypto). */
#define QUIC_F_LONG      0x0001u /* a long header of a version read here was seen */
#define QUIC_F_DECRYPTED 0x0002u /* an Initial packet decrypted and authenticated: QUIC */
#define QUIC_F_NOTQUIC   0x0004u /* the client's first datagram did not start with a long header */
#define QUIC_F_VERSION   0x0008u /* a long header of a version not read here */
#define QUIC_F_VNEG      0x0010u /* a Version Negotiation packet */
#define QUIC_F_RETRY     0x0020u /* a Retry packet */
#define QUIC_F_DECRYPT   0x0040u /* an Initial failed to decrypt (authentication or too short) */
#define QUIC_F_MALFORMED 0x0080u /* a header or a frame ran past its packet, a bad length */
#define QUIC_F_FRAME     0x0100u /* a frame type not allowed in Initial packets: rest of it skipped */
#define QUIC_F_GAP       0x0200u /* CRYPTO bytes received past a hole (quic_crypto: now) */
#define QUIC_F_BUDGET    0x0400u /* CRYPTO bytes dropped: past the limit or too many holes */
#define QUIC_F_CLOSE     0x0800u /* CONNECTION_CLOSE in an Initial */
#define QUIC_F_NOKEYS    0x1000u /* a server Initial before any client Initial: not decrypted */

struct quic_keys {
	uint8_t key[16], iv[12], hp[16];
};

/* One direction's CRYPTO stream: bytes in place, and the ranges received. */
struct quic_dir {
	uint8_t *buf;          /* heap; NULL until the first CRYPTO byte */
	uint32_t alloc;        /* bytes allocated at buf */
	uint32_t nr;           /* ranges in lo/hi, sorted, disjoint, not touching */
	uint32_t lo[QUIC_RANGES], hi[QUIC_RANGES];
	uint64_t largest_pn;   /* largest Initial packet number decrypted, +1 (0: none) */
	uint32_t initials;     /* Initial packets decrypted */
	uint16_t flags;        /* QUIC_F_GAP, QUIC_F_BUDGET, QUIC_F_CLOSE of this direction */
};

/* Per-flow state: zero it with quic_init, release with quic_free. */
struct quic {
	uint32_t limit;        /* bound of each direction's buffer */
	uint32_t version;      /* of the first long header with a known version; 0 none */
	uint32_t key_version;  /* the keys below: version and DCID they come from */
	uint16_t flags;
	uint8_t keyed;                 /* key_version, key_dcid set; which of k derived */
	uint8_t sscid_set, client_seen;
	uint8_t dcid_len, scid_len, sscid_len, key_dcid_len;
	uint8_t dcid[QUIC_CID_MAX];    /* DCID of the client's first Initial */
	uint8_t scid[QUIC_CID_MAX];    /* SCID of the client's first Initial */
	uint8_t sscid[QUIC_CID_MAX];   /* SCID of the server's first long header */
	uint8_t key_dcid[QUIC_CID_MAX];
	struct quic_keys k[2];         /* [0] server's, [1] client's */
	struct quic_dir dir[2];        /* [0] server to client, [1] client to server */
};

/*
 * quic_init(q, limit): an empty state; limit is each direction's CRYPTO
 * bound in bytes (0: QUIC_CRYPTO_DEFAULT; at most 1 GiB).  Nothing is
 * allocated.  quic_free(q): release the buffers; q may be reused after
 * another quic_init.
 */
void quic_init(struct quic *q, uint32_t limit);
void quic_free(struct quic *q);

/*
 * quic_feed(q, udp_payload, n, from_client): one datagram of the flow
 * (the UDP payload, not copied, not kept).  Returns the number of Initial
 * packets it held that decrypted, or -1 when it does not start with a
 * long header (for the client's first datagram this also sets
 * QUIC_F_NOTQUIC; later ones are 1-RTT short headers).  Never
 * fails otherwise: what could not be read is in the flags.
 */
int quic_feed(struct quic *q, const uint8_t *udp_payload, size_t n, int from_client);

/*
 * quic_crypto(q, from_client, &p, &flags): the CRYPTO bytes of a direction
 * that are contiguous from offset 0: their length is returned and *p
 * points at them (into q: valid until the next quic_feed or quic_free;
 * NULL when the length is 0).  flags (may be NULL) receives the
 * direction's QUIC_F_BUDGET and QUIC_F_CLOSE, and QUIC_F_GAP when bytes
 * past a hole are held (a lost or not yet seen packet).
 */
size_t quic_crypto(const struct quic *q, int from_client, const uint8_t **p, unsigned *flags);

/*
 * quic_hello_done(q, from_client): 1 when the contiguous bytes hold the
 * whole first handshake message (4-byte header, type and 24-bit length,
 * RFC 8446 §4), so that feeding more of that direction adds nothing to
 * a ClientHello or ServerHello parse.
 */
int quic_hello_done(const struct quic *q, int from_client);

/* What is known of the connection, pointing into q. */
struct quic_info {
	uint32_t version;       /* 0 when no long header of a known version was seen */
	unsigned flags;         /* QUIC_F_*, sticky, both directions */
	const uint8_t *dcid, *scid, *server_scid;
	uint8_t dcid_len, scid_len, server_scid_len;
	uint32_t initials[2];   /* Initial packets decrypted: [0] server, [1] client */
};
void quic_info(const struct quic *q, struct quic_info *out);

/*
 * Lower-level pieces, for the tests and the fuzzer.
 *
 * quic_initial_keys(version, dcid, n, client, server): the Initial keys
 * of both directions (either pointer may be NULL); -1 for a version
 * without Initial keys here (the keys asked for are then zeroed).
 * quic_frames(q, payload, n, from_client): walk the frames of a
 * decrypted Initial payload into the direction's CRYPTO stream; 0, or -1
 * when it stopped early (flags say why).
 */
int quic_initial_keys(uint32_t version, const uint8_t *dcid, size_t n, struct quic_keys *client,
    struct quic_keys *server);
int quic_frames(struct quic *q, const uint8_t *payload, size_t n, int from_client);
/* quic_hmac_sha256(key, kl, m, n, out): HMAC-SHA256 (RFC 2104) of m with
 * key into out[32].  quic_hkdf_sha256(salt, sl, ikm, il, info, nl, out,
 * len): HKDF-SHA256 (RFC 5869), Extract then Expand, len bytes into out;
 * -1 when len is over 255 * 32.  The derivation's own HMAC and HKDF
 * (on libcrypto's SHA-256 block function), exported for their tests. */
void quic_hmac_sha256(const uint8_t *key, size_t kl, const uint8_t *m, size_t n, uint8_t out[32]);
int quic_hkdf_sha256(const uint8_t *salt, size_t sl, const uint8_t *ikm, size_t il,
    const uint8_t *info, size_t nl, uint8_t *out, size_t len);
/* quic_hp_mask(k, sample, mask): RFC 9001 §5.4.3, the first 5 bytes of
 * AES-128-ECB(hp, sample); -1 when libcrypto fails. */
int quic_hp_mask(const struct quic_keys *k, const uint8_t sample[16], uint8_t mask[5]);
/* quic_protect(k, pkt, pn_off, n, pn): the reverse of decryption, for the
 * tests and the fuzzer: pkt holds n bytes, the unprotected long header
 * (packet number of (pkt[0] & 3) + 1 bytes at pn_off), the payload, and
 * 16 bytes for the tag; encrypted and header-protected in place (RFC
 * 9001 §5.3, §5.4.1).  0, or -1 when too short or libcrypto fails. */
int quic_protect(const struct quic_keys *k, uint8_t *pkt, size_t pn_off, size_t n, uint64_t pn);

#endif
