/*
 * dns.c - DNS messages (dns.h).  RFC 1035 4.1.1 (header), 4.1.2
 * (question), 4.1.3 (resource records), 4.1.4 (compression); RFC 3596
 * (AAAA).
 */
#include <stdio.h>
#include <string.h>

#include "bytes.h"
#include "dns.h"

/*
 * Read the name at *c (a cursor into msg) into out; on success the
 * cursor is past the name's bytes in place (a pointer ends it).
 */
static bool get_name(const uint8_t *msg, size_t n, struct cur *c, char *out)
{
	size_t pos = (size_t)(c->p - msg), olen = 0, limit = pos;
	bool jumped = false;
	static const char hx[] = "0123456789abcdef";

	out[0] = 0;
	for (;;) {
		uint8_t k;

		if (pos >= n) return false;
		k = msg[pos];
		if ((k & 0xc0) == 0xc0) {
			size_t to;

			if (pos + 1 >= n) return false;
			to = (size_t)(k & 0x3f) << 8 | msg[pos + 1];
			if (!jumped) c->p = msg + pos + 2;
			jumped = true;
			if (to >= limit) return false; /* only backwards: no loops */
			limit = to;
			pos = to;
			continue;
		}
		if (k & 0xc0) return false; /* extended label types are not used */
		if (k == 0) {
			if (!jumped) c->p = msg + pos + 1;
			out[olen] = 0;
			return true;
		}
		if (pos + 1 + k > n) return false;
		if (olen && olen < DNS_MAXNAME) out[olen++] = '.';
		for (size_t i = 0; i < k; i++) {
			uint8_t ch = msg[pos + 1 + i];

			/* a dot, a backslash or a control byte inside a label as \xNN;
			 * bytes from 0x80 are kept (names in UTF-8, RFC 6762 16) */
			if (ch > 0x20 && ch != 0x7f && ch != '.' && ch != '\\') {
				if (olen + 1 > DNS_MAXNAME) return false;
				out[olen++] = (char)ch;
			} else {
				if (olen + 4 > DNS_MAXNAME) return false;
				out[olen++] = '\\'; out[olen++] = 'x';
				out[olen++] = hx[ch >> 4]; out[olen++] = hx[ch & 15];
			}
		}
		pos += 1u + k;
	}
}

int dns_parse(const uint8_t *p, size_t n, struct dns_msg *m)
{
	struct cur c = cur_make(p, n);
	uint16_t nscount, arcount, i, type, class, rdlen;
	uint32_t ttl;
	char tmp[DNS_MAXNAME + 1];
	struct cur rd;

	memset(m, 0, sizeof *m);
	if (!cur_u16(&c, &m->id) || !cur_u16(&c, &m->flags) || !cur_u16(&c, &m->qdcount) ||
	    !cur_u16(&c, &m->ancount) || !cur_u16(&c, &nscount) || !cur_u16(&c, &arcount))
		return DNS_BAD;
	m->response = m->flags >> 15;
	m->opcode = (uint8_t)(m->flags >> 11 & 15);
	m->rcode = (uint8_t)(m->flags & 15);
	for (i = 0; i < m->qdcount; i++) {
		if (!get_name(p, n, &c, i ? tmp : m->qname) || !cur_u16(&c, &type) || !cur_u16(&c, &class))
			return DNS_BAD;
		if (i == 0) {
			m->qtype = type;
			m->qclass = class;
		}
	}
	for (i = 0; i < m->ancount; i++) {
		struct dns_answer *a = m->nans < DNS_MAXANS ? &m->ans[m->nans] : NULL;

		if (!get_name(p, n, &c, tmp) || !cur_u16(&c, &type) || !cur_u16(&c, &class) ||
		    !cur_u32(&c, &ttl) || !cur_u16(&c, &rdlen))
			return DNS_BAD;
		rd.p = c.p;
		if (!cur_skip(&c, rdlen)) return DNS_BAD;
		rd.end = c.p;
		if (a == NULL) {
			m->mflags |= DNS_F_CUT;
			continue;
		}
		memset(a, 0, sizeof *a);
		a->type = type;
		if ((type == 1 && rdlen == 4) || (type == 28 && rdlen == 16)) {
			a->alen = (uint8_t)rdlen;
			memcpy(a->addr, rd.p, rdlen);
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
