/*
 * anonmeta.h - flow-anon's rewriting of the metadata elements (TLS, HTTP,
 * DNS, QUIC, SSH of flowrec(5)) and of the names they hold where the
 * stored packet bytes repeat them.
 *
 * What a field is comes from the field registry (field.h): its ident
 * class says how --names treats it (am_meta()).  The originals of the
 * fields --names covers, and the DNS answer addresses, are also collected
 * per flow as "needles" (am_needles_add()), searched in the stored
 * payload bytes of the same flow and overwritten in place, with the same
 * length (am_blank()): names with zero bytes, addresses with their
 * pseudonyms.
 */
#ifndef FK_ANONMETA_H
#define FK_ANONMETA_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "anon.h"
#include "bytes.h"
#include "rec.h"

/*
 * am_meta(c, names, keep_unknown, e, out, unknown_tag): e rewritten into
 * out (reset first): the fields --names covers as it says, addresses
 * mapped, unknown tags dropped unless keep_unknown.  Returns the number
 * of unknown fields dropped; *unknown_tag is the first one's tag.  The
 * output is a well-formed field sequence whatever the input bytes.
 */
unsigned am_meta(struct an_ctx *c, enum an_names names, bool keep_unknown, const struct rec_elem *e,
    struct buf *out, unsigned *unknown_tag);

#define AM_MAX_NEEDLES 512
#define AM_PAIRS 8 /* the pairs of bytes of each needle in its pair stamps */

/* The needles of one flow; zero it before the first use.  The index that
 * am_blank() searches by is kept as the needles are added. */
struct am_needles {
	struct buf b;   /* each needle's bytes, then its replacement's, if any */
	unsigned n;
	bool quic;      /* the flow has a QUIC element: its Initial packets are blanked too */
	struct am_needle { uint32_t at; uint16_t len; uint8_t flags; } e[AM_MAX_NEEDLES];
	/* chains by first byte, in the needles' order (a case-insensitive
	 * needle under both cases): 1 + the node of the first and the last */
	uint16_t head[256], tail[256];
	struct { uint16_t k, next; } node[2 * AM_MAX_NEEDLES];
	unsigned nnode;
	/* pair[a << 8 | b] == gen: a needle has the bytes a, b at 0 ..
	 * AM_PAIRS - 1.  A stamp, not a bit: the reset is one increment, and
	 * am_blank() tests one load at every step. */
	uint16_t pair[65536];
	uint16_t gen;
	uint16_t minlen; /* the shortest needle's length */
};

#define AM_MIN_NAME 3 /* text shorter than this is not searched */

void am_needles_reset(struct am_needles *nd);
void am_needles_free(struct am_needles *nd);
/*
 * am_needles_add(c, nd, e, names, addrs): the needles of metadata element
 * e: under names hash or drop, the originals of the fields --names
 * covers, as they appear in packets (text, DNS labels, the attribute
 * values of certificate names, serial numbers and connection ids as
 * bytes); with addrs, the DNS answer addresses as they appear in DNS
 * records, to be replaced by their pseudonyms.
 */
void am_needles_add(struct an_ctx *c, struct am_needles *nd, const struct rec_elem *e,
    enum an_names names, bool addrs);
/*
 * am_blank(nd, p, n, udp_payload): overwrite in place every needle found
 * in p[0..n): names with zero bytes, addresses with their pseudonyms.
 * When p is one UDP payload of a QUIC flow that starts with a long
 * header, it keeps its first 5 bytes (form, version) and is zeroed after
 * them: anyone can decrypt an Initial packet (RFC 9001 5.2) and read the
 * server name, and the header holds both connection ids.  Returns the
 * number of rewrites.
 */
unsigned am_blank(const struct am_needles *nd, uint8_t *p, size_t n, bool udp_payload);

#endif
