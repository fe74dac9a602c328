/*
 * dns.c - DNS messages (dns.h).  RFC 1035 4.1.1 (header), 4.1.2
 * (question), 4.1.3 (resource records), 4.1.4 (compression); RFC 3596
 * (AAAA).
 */
#include <stdio.h>
#include <string.h>

#include "bytes.h"
#include "dns.h"

/* Fills the unused bytes of a short label's word: a letter, never escaped. */
#define PLAIN_FILL 0x6161616161616161u

/*
 * Whether any of the 8 bytes of w is one that a name shows as \xNN: a
 * control byte or space (below 0x21), DEL, a dot or a backslash.  Each
 * "has a byte below x" test is exact for "any": a borrow only runs up
 * from a byte that is itself below x.
 */
static inline uint64_t escaped8(uint64_t w)
{
	const uint64_t one = 0x0101010101010101u;
	uint64_t d = w ^ (one * 0x7f), t = w ^ (one * '.'), b = w ^ (one * '\\');

	return (((w - one * 0x21) & ~w) | ((d - one) & ~d) | ((t - one) & ~t) | ((b - one) & ~b)) &
	    (one * 0x80);
}

/*
 * Copy a label of k bytes (1 to 63) from s to o a word at a time, the
 * last word overlapping the one before; false when a byte of it must be
 * escaped (o is then partly written).  Nothing outside s[0, k) is read,
 * nothing outside o[0, k) is written.
 */
static inline bool plain_label(char *o, const uint8_t *s, size_t k)
{
	uint64_t w, esc = 0;
	uint32_t a, b;
	size_t i;

	if (k >= 8) {
		for (i = 0; i + 8 < k; i += 8) {
			memcpy(&w, s + i, 8);
			esc |= escaped8(w);
			memcpy(o + i, &w, 8);
		}
		memcpy(&w, s + k - 8, 8);
		esc |= escaped8(w);
		memcpy(o + k - 8, &w, 8);
	} else if (k >= 4) {
		memcpy(&a, s, 4);
		memcpy(&b, s + k - 4, 4);
		esc = escaped8(a | (PLAIN_FILL << 32)) | escaped8(b | (PLAIN_FILL << 32));
		memcpy(o, &a, 4);
		memcpy(o + k - 4, &b, 4);
	} else {
		/* 1 to 3 bytes: the first, middle and last cover them all */
		esc = escaped8(s[0] | (uint64_t)s[k >> 1] << 8 | (uint64_t)s[k - 1] << 16 | PLAIN_FILL << 24);
		o[0] = (char)s[0];
		o[k >> 1] = (char)s[k >> 1];
		o[k - 1] = (char)s[k - 1];
	}
	return esc == 0;
}

/*
 * A name decoded from msg[0, n) at offset at, len bytes presented.  A
 * walk that jumps to at goes the same way as that decoding did (its limit
 * is at either way), so a name only checked can stop there.
 */
struct known {
	size_t at, len;
};

/*
 * Read the name at *c (a cursor into msg) into out; on success the
 * cursor is past the name's bytes in place (a pointer ends it).  0 when
 * the name is bad (out then holds what was read), else its presented
 * length plus one.  With out NULL the
 * name is only checked, against an upper bound of its presented length
 * (every byte escaped) and kn: 1 when it is good, -1 when the bound is
 * over DNS_MAXNAME, so only decoding can tell.
 */
static int walk_name(const uint8_t *msg, size_t n, struct cur *c, char *out, const struct known *kn)
{
	size_t pos = (size_t)(c->p - msg), olen = 0, limit = pos;
	bool jumped = false;
	static const char hx[] = "0123456789abcdef";

	if (out) out[0] = 0;
	for (;;) {
		uint8_t k;

		if (pos >= n) goto bad;
		k = msg[pos];
		if (k >= 0xc0) {
			size_t to;

			if (pos + 1 >= n) goto bad;
			to = (size_t)(k & 0x3f) << 8 | msg[pos + 1];
			if (!jumped) c->p = msg + pos + 2;
			jumped = true;
			if (to >= limit) goto bad; /* only backwards: no loops */
			if (out == NULL && to == kn->at) {
				olen += (olen && kn->len ? 1u : 0u) + kn->len;
				return olen > DNS_MAXNAME ? -1 : 1;
			}
			limit = to;
			pos = to;
			continue;
		}
		if (k > 0x3f) goto bad; /* extended label types are not used */
		if (k == 0) {
			if (!jumped) c->p = msg + pos + 1;
			if (out == NULL) return 1;
			out[olen] = 0;
			return (int)olen + 1;
		}
		if (k >= n - pos) goto bad; /* pos + 1 + k > n */
		if (out == NULL) {
			olen += (olen ? 1u : 0u) + 4u * k;
			if (olen > DNS_MAXNAME) return -1;
			pos += 1u + k;
			continue;
		}
		if (olen && olen < DNS_MAXNAME) out[olen++] = '.';
		if (olen + k <= DNS_MAXNAME && plain_label(out + olen, msg + pos + 1, k)) {
			olen += k; /* the common case: nothing to escape */
		} else {
			for (size_t i = 0; i < k; i++) {
				uint8_t ch = msg[pos + 1 + i];

				/* a dot, a backslash or a control byte inside a label as \xNN;
				 * bytes from 0x80 are kept (names in UTF-8, RFC 6762 16) */
				if (ch > 0x20 && ch != 0x7f && ch != '.' && ch != '\\') {
					if (olen + 1 > DNS_MAXNAME) goto bad;
					out[olen++] = (char)ch;
				} else {
					if (olen + 4 > DNS_MAXNAME) goto bad;
					out[olen++] = '\\'; out[olen++] = 'x';
					out[olen++] = hx[ch >> 4]; out[olen++] = hx[ch & 15];
				}
			}
		}
		pos += 1u + k;
	}
bad:
	if (out) out[olen] = 0; /* what was read, as a string (olen <= DNS_MAXNAME) */
	return 0;
}

static bool get_name(const uint8_t *msg, size_t n, struct cur *c, char *out)
{
	return walk_name(msg, n, c, out, NULL) > 0;
}

/* Check a name whose text is not kept (scratch: room for the rare one
 * that must be decoded to know whether it fits). */
static bool skip_name(const uint8_t *msg, size_t n, struct cur *c, const struct known *kn, char *scratch)
{
	const uint8_t *at = c->p;
	int r = walk_name(msg, n, c, NULL, kn);

	if (r >= 0) return r;
	c->p = at;
	return get_name(msg, n, c, scratch);
}

int dns_parse(const uint8_t *p, size_t n, struct dns_msg *m)
{
	struct cur c = cur_make(p, n);
	uint16_t nscount, arcount, i, type, class, rdlen;
	uint32_t ttl;
	char tmp[DNS_MAXNAME + 1];
	struct cur rd;
	struct known kn = { SIZE_MAX, 0 };
	int r;

	/* not memset(m): the answers are 4 KB and only ans[0, nans) is read */
	m->id = m->flags = m->qdcount = m->ancount = m->qtype = m->qclass = 0;
	m->response = false;
	m->rcode = m->opcode = m->mflags = 0;
	m->qname[0] = 0;
	m->nans = 0;
	if (!cur_u16(&c, &m->id) || !cur_u16(&c, &m->flags) || !cur_u16(&c, &m->qdcount) ||
	    !cur_u16(&c, &m->ancount) || !cur_u16(&c, &nscount) || !cur_u16(&c, &arcount))
		return DNS_BAD;
	m->response = m->flags >> 15;
	m->opcode = (uint8_t)(m->flags >> 11 & 15);
	m->rcode = (uint8_t)(m->flags & 15);
	for (i = 0; i < m->qdcount; i++) {
		if (i) {
			if (!skip_name(p, n, &c, &kn, tmp)) return DNS_BAD;
		} else {
			/* answers' owners point back at it, most of the time */
			kn.at = (size_t)(c.p - p);
			r = walk_name(p, n, &c, m->qname, NULL);
			if (r <= 0) return DNS_BAD;
			kn.len = (size_t)r - 1;
		}
		if (!cur_u16(&c, &type) || !cur_u16(&c, &class)) return DNS_BAD;
		if (i == 0) {
			m->qtype = type;
			m->qclass = class;
		}
	}
	for (i = 0; i < m->ancount; i++) {
		struct dns_answer *a = m->nans < DNS_MAXANS ? &m->ans[m->nans] : NULL;

		if (!skip_name(p, n, &c, &kn, tmp) || !cur_u16(&c, &type) || !cur_u16(&c, &class) ||
		    !cur_u32(&c, &ttl) || !cur_u16(&c, &rdlen))
			return DNS_BAD;
		rd.p = c.p;
		if (!cur_skip(&c, rdlen)) return DNS_BAD;
		rd.end = c.p;
		if (a == NULL) {
			m->mflags |= DNS_F_CUT;
			continue;
		}
		a->type = type;
		a->alen = 0;
		memset(a->addr, 0, sizeof a->addr);
		a->name[0] = 0;
		if ((type == 1 && rdlen == 4) || (type == 28 && rdlen == 16)) {
			a->alen = (uint8_t)rdlen;
			memcpy(a->addr, rd.p, rdlen == 4 ? 4 : 16); /* constant sizes: no call */
		} else if (type == 5 || type == 2 || type == 12 || type == 39) { /* CNAME NS PTR DNAME */
			if (!get_name(p, (size_t)(rd.end - p), &rd, a->name)) return DNS_BAD;
		} else if (type == 15) { /* MX: preference, exchange */
			if (!cur_skip(&rd, 2) || !get_name(p, (size_t)(rd.end - p), &rd, a->name)) return DNS_BAD;
		} else {
			continue; /* other types: not kept */
		}
		m->nans++;
	}
	return DNS_OK;
}

bool dns_plausible(const struct dns_msg *m)
{
	return m->qdcount == 1 && m->opcode <= 6 && m->opcode != 3 &&
	    (m->qclass == 1 || m->qclass == 3 || m->qclass == 4 || m->qclass == 255 ||
	    (m->qclass & 0x7fff) == 1) && m->qtype != 0;
}
