/*
 * anon.h - keyed, consistent anonymization of addresses, ports, MACs and
 * names, in flow fields and in stored packet bytes (flow-anon(1)).
 *
 * One struct an_ctx holds the key material of one run.  Every mapping is a
 * pure function of (key, method, options, input): the same key gives the
 * same result in every run, file and machine.  Results are cached, so a
 * context is not thread-safe.
 *
 * Key file (-k): 32 bytes, either raw or as 64 hexadecimal digits (white
 * space around them allowed).  Bytes 0-15 are the AES-128 key of
 * Crypto-PAn, bytes 16-31 its pad secret (as in the Crypto-PAn reference
 * distribution); the other keyed methods use subkeys derived from all 32
 * bytes with HMAC-SHA-256 and a per-purpose label, so that no two methods
 * share a key.
 */
#ifndef FK_ANON_H
#define FK_ANON_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define AN_KEY_LEN 32

enum an_method {
	AN_CRYPTOPAN,  /* prefix-preserving (Xu, Fan, Ammar, Moon 2002) */
	AN_HMAC,       /* keyed pseudorandom permutation (Feistel over HMAC-SHA-256) */
	AN_ZERO,       /* all-zero address */
	AN_REMOVE,     /* one documented constant: 192.0.2.0, 2001:db8:: */
	AN_SHA_TEXT,   /* seeds: SHA-256 of the address text, unkeyed (reversible) */
	AN_KEEP,       /* addresses unchanged (other parts still anonymized) */
};

enum an_mac { ANM_ANON, ANM_ZERO, ANM_REMOVE, ANM_KEEP };
enum an_csum { ANC_FIX, ANC_ZERO, ANC_KEEP };
enum an_names { ANN_KEEP, ANN_DROP, ANN_HASH };

/* Options of the packet rewriter, an_packet(). */
struct an_opts {
	enum an_mac mac;
	enum an_csum csum;
	bool zero_ports;
	bool drop_payload;  /* cut stored packets after the last decoded header */
	bool outer_only;    /* addresses of the outermost IP header only (seed recipes):
	                       tunnels, quotes and packet bodies untouched */
};

/* What an_packet() did, summed over calls (the caller zeroes it). */
struct an_stats {
	uint64_t pkts;          /* stored packets seen */
	uint64_t undecoded;     /* dropped: no IP header could be found */
	uint64_t short_hdr;     /* cut inside the IP header: addresses mapped or zeroed */
	uint64_t quotes;        /* ICMP-quoted IP headers rewritten */
	uint64_t quotes_zeroed; /* quotes that could not be decoded: zeroed */
	uint64_t tunnels;       /* tunnelled inner IP headers rewritten */
	uint64_t encap_zeroed;  /* encapsulated bytes flow-anon cannot decode: zeroed */
	uint64_t bodies;        /* ICMP, ICMPv6 and SCTP bodies whose addresses were mapped */
	uint64_t csum_full;     /* checksums recomputed over the whole data */
	uint64_t csum_incr;     /* checksums updated incrementally (RFC 1624) */
};

struct an_ctx;

/*
 * an_key_load(path, key, err, errlen): read a key file.  0, or -1 with a
 * message in err.  The caller should wipe the key when done.
 */
int an_key_load(const char *path, uint8_t key[AN_KEY_LEN], char *err, size_t errlen);
/* an_key_generate(path): a new key file (64 hex digits and a newline),
 * mode 0600, refused when path exists.  0, or -1 with a message. */
int an_key_generate(const char *path, char *err, size_t errlen);
/* an_key_fingerprint: the first 8 hex digits of SHA-256(key), NUL-ended. */
void an_key_fingerprint(const uint8_t key[AN_KEY_LEN], char out[9]);

/* an_new: a context for one method; the key is copied (and wiped by
 * an_free).  NULL when libcrypto fails. */
struct an_ctx *an_new(const uint8_t key[AN_KEY_LEN], enum an_method m);
void an_free(struct an_ctx *c);

/*
 * an_preserve_add(c, "10.0.0.0/8"): addresses in this prefix keep its
 * bits; the rest is mapped.  -1 for a malformed prefix.
 * an_set_truncate(c, b4, b6): keep only the first b4 (IPv4) / b6 (IPv6)
 * bits of every mapped address, the rest zero (32 / 128: no truncation).
 */
int an_preserve_add(struct an_ctx *c, const char *cidr);
void an_set_truncate(struct an_ctx *c, unsigned b4, unsigned b6);

/* an_addr(c, a, len): map an IPv4 (len 4) or IPv6 (len 16) address in place. */
void an_addr(struct an_ctx *c, uint8_t *a, unsigned len);
/* an_cryptopan(c, in, out, len): the bare Crypto-PAn mapping (no address
 * cache, no preserve list, no truncation; its prefix memo changes no
 * bit), for tests. */
void an_cryptopan(struct an_ctx *c, const uint8_t *in, uint8_t *out, unsigned len);
/* an_mac_map(c, m): a keyed permutation of MACs, in place, that keeps the
 * group and local bits.  The all-zero MAC (flowrec's "unseen") stays zero. */
void an_mac_map(struct an_ctx *c, uint8_t m[6]);
/* an_lower(dst, src, n): src[0..n) with 'A' .. 'Z' lowered, into dst
 * (which may be src). */
void an_lower(uint8_t *dst, const uint8_t *src, size_t n);
/* an_name_hash(c, name, len, out): keyed hash of a name as 16 lowercase
 * hex digits, NUL-ended (case-insensitive: the name is lowercased first). */
void an_name_hash(struct an_ctx *c, const uint8_t *name, size_t len, char out[17]);
/* an_text_hash: the same for text whose case matters (a URI, a comment),
 * under a key of its own: no case folding. */
void an_text_hash(struct an_ctx *c, const uint8_t *text, size_t len, char out[17]);
/* an_bytes_hash(c, v, len, out): a keyed pseudonym of an identifier of
 * len bytes (a fingerprint, a connection id) into out, of the same length
 * up to 32 bytes; returns that length. */
size_t an_bytes_hash(struct an_ctx *c, const uint8_t *v, size_t len, uint8_t out[32]);

/*
 * an_packet(c, o, linktype, layer, data, n, wirelen, &newlen, st): rewrite
 * one stored packet in place.  data/n are the stored bytes, starting at
 * the frame (layer 1, linktype names the link) or at the IP header
 * (layer 0); wirelen is how long that same part was on the wire.
 * Every IP header found is rewritten: the outer one, tunnelled ones
 * (IP-in-IP, IPv6-in-IPv4, GRE) and those quoted in ICMP/ICMPv6 errors;
 * ports when o->zero_ports; MACs of the link header; checksums as
 * o->csum says.  *newlen receives the bytes to keep (n, or less with
 * o->drop_payload).  A network-layer packet cut inside its fixed IP
 * header keeps its whole addresses mapped and its cut ones zeroed.
 * Returns 0, or -1 when no IP header could be decoded (the caller must
 * not keep the packet).
 */
int an_packet(struct an_ctx *c, const struct an_opts *o, uint32_t linktype, int layer,
    uint8_t *data, uint32_t n, uint32_t wirelen, uint32_t *newlen, struct an_stats *st);

/*
 * an_payload(c, o, proto, sport, dport, d, n, wire, st): rewrite in place
 * one packet's slice of a PAYLOAD element (the transport payload of one
 * packet, n stored bytes of wire on the wire) the way an_packet()
 * rewrites the same bytes inside the stored packet: the tunnels of UDP
 * (found by port) and the address parameters of SCTP chunks.  Returns 1
 * when it rewrote a tunnel or chunks and the slice is consistent with
 * its length, 0 when the slice is application data (nothing to do), -1
 * when the slice does not have the structure its ports or protocol
 * promise (the caller must not keep it, nor what follows).
 */
int an_payload(struct an_ctx *c, const struct an_opts *o, uint8_t proto, uint16_t sport,
    uint16_t dport, uint8_t *d, uint32_t n, uint32_t wire, struct an_stats *st);
/* an_payload_kind(proto, sport, dport): 1 when payloads of this transport
 * and these ports hold headers that an_payload() rewrites, 0 otherwise. */
int an_payload_kind(uint8_t proto, uint16_t sport, uint16_t dport);

/*
 * an_udp_pad(cs, linktype, layer, d, n, wirelen): pad the outermost UDP
 * header of a stored packet to 20 bytes, as the seed scripts' option did:
 * 12 zero bytes after the 8-byte header, the UDP length and the IP length
 * grown by 12 so that the packet stays well-formed, the checksums updated
 * (cs ANC_FIX).  d must have room for n + 12 bytes.  Returns 12 when it
 * padded, 0 when the packet is not an unfragmented UDP datagram whose
 * header is stored.
 */
int an_udp_pad(enum an_csum cs, uint32_t linktype, int layer, uint8_t *d, uint32_t n,
    uint32_t wirelen);

/* Internet checksum helpers (RFC 1071), exported for tests: the 32-bit
 * partial sum of len bytes, as if they started at an even offset when
 * odd is 0; an_csum_fold() folds and complements it. */
uint32_t an_csum_add(uint32_t sum, const uint8_t *p, size_t len, int odd);
uint16_t an_csum_fold(uint32_t sum);

#endif
