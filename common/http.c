/*
 * http.c - HTTP/1.x message heads (http.h).  RFC 9112 2.1 (message
 * format), 3 (request line), 4 (status line), 5 (field lines).
 */
#include <stdio.h>
#include <string.h>

#include "bytes.h"
#include "http.h"

/*
 * Is method m (a string literal) at p, then a space and a byte above
 * space?  memcmp of a constant length compiles to a compare or two.
 */
#define METHOD(m) (n > sizeof m && memcmp(p, m " ", sizeof m) == 0 && p[sizeof m] > ' ')

bool http_start_line(const uint8_t *p, size_t n, bool *request)
{
	bool ok;

	/* The methods of RFC 9110 9, the common WebDAV/extension ones and
	 * SSDP's M-SEARCH (UPnP Device Architecture 2.0 1.3.2), by their
	 * first letter.  As each must be followed by a space, at most one
	 * can match.  n >= 4 (http_start). */
	switch (p[0]) {
	case 'C': ok = METHOD("CONNECT") || METHOD("COPY"); break;
	case 'D': ok = METHOD("DELETE"); break;
	case 'G': ok = METHOD("GET"); break;
	case 'H':
		if (n >= 9 && memcmp(p, "HTTP/1.", 7) == 0 && p[7] >= '0' && p[7] <= '9' && p[8] == ' ') {
			*request = false;
			return true;
		}
		ok = METHOD("HEAD");
		break;
	case 'L': ok = METHOD("LOCK"); break;
	case 'M': ok = METHOD("MKCOL") || METHOD("MOVE") || METHOD("MKCALENDAR") || METHOD("M-SEARCH"); break;
	case 'N': ok = METHOD("NOTIFY"); break;
	case 'O': ok = METHOD("OPTIONS"); break;
	case 'P':
		ok = METHOD("POST") || METHOD("PUT") || METHOD("PATCH") || METHOD("PROPFIND") ||
		    METHOD("PROPPATCH");
		break;
	case 'R': ok = METHOD("REPORT"); break;
	case 'S': ok = METHOD("SEARCH") || METHOD("SUBSCRIBE"); break;
	case 'T': ok = METHOD("TRACE"); break;
	case 'U': ok = METHOD("UNLOCK") || METHOD("UNSUBSCRIBE"); break;
	default: return false;
	}
	if (ok) *request = true;
	return ok;
}

/* Copy [s, s+n) into dst (size dsz) NUL-terminated; cut sets the flag. */
static void put(char *dst, size_t dsz, const uint8_t *s, size_t n, uint8_t *flags)
{
	if (n >= dsz) {
		n = dsz - 1;
		*flags |= HTTP_F_CUT;
	}
	memcpy(dst, s, n);
	dst[n] = 0;
}

/* Bytes of a field name (lower-case letters and '-') against 8 of p in
 * any case: a letter has bit 0x40, so it gives 0x20 to fold p with. */
static inline uint64_t name_diff8(const uint8_t *p, const char *name)
{
	uint64_t a, b;

	memcpy(&a, p, 8);
	memcpy(&b, name, 8);
	return (a | (b & 0x4040404040404040u) >> 1) ^ b;
}

static inline uint32_t name_diff4(const uint8_t *p, const char *name)
{
	uint32_t a, b;

	memcpy(&a, p, 4);
	memcpy(&b, name, 4);
	return (a | (b & 0x40404040u) >> 1) ^ b;
}

/* Is [p, p+n) name (n its length, at least 4) in any case?  A word at a
 * time, the last word overlapping the one before. */
static inline bool name_is(const uint8_t *p, const char *name, size_t n)
{
	uint64_t d = 0;
	size_t i;

	if (n < 8) return (name_diff4(p, name) | name_diff4(p + n - 4, name + n - 4)) == 0;
	for (i = 0; i + 8 < n; i += 8) d |= name_diff8(p + i, name + i);
	return (d | name_diff8(p + n - 8, name + n - 8)) == 0;
}
#define NAME_IS(p, name) name_is(p, name, sizeof name - 1)

/* The value of the field line whose colon is at colon and which ends at
 * e, without the spaces and tabs around it: its length, *v its start. */
static size_t field_value(const uint8_t *colon, const uint8_t *e, const uint8_t **v)
{
	const uint8_t *s = colon + 1;

	while (s < e && (*s == ' ' || *s == '\t')) s++;
	while (e > s && (e[-1] == ' ' || e[-1] == '\t')) e--;
	*v = s;
	return (size_t)(e - s);
}

/* The fields put_value fills, all of one size. */
#define VAL_SIZE(f) (sizeof ((struct http_msg *)0)->f == HTTP_MAXVAL + 1)
_Static_assert(VAL_SIZE(host) && VAL_SIZE(user_agent) && VAL_SIZE(content_type) && VAL_SIZE(server),
    "http_parse keeps every field value in HTTP_MAXVAL + 1 bytes");

/* put() the value of the field line with its colon at colon, ending at e. */
static void put_value(char *dst, size_t dsz, const uint8_t *colon, const uint8_t *e, uint8_t *flags)
{
	const uint8_t *v;
	size_t vlen = field_value(colon, e, &v);

	put(dst, dsz, v, vlen, flags);
}

/* Find the next line in [p, end): its length without CR LF (or LF). */
static const uint8_t *line_end(const uint8_t *p, const uint8_t *end)
{
	const uint8_t *q = memchr(p, '\n', (size_t)(end - p));

	return q;
}

int http_parse(const uint8_t *p, size_t n, struct http_msg *m, size_t *head_len)
{
	const uint8_t *end = p + (n > HTTP_MAXHEAD ? HTTP_MAXHEAD : n), *l = p, *nl, *sp, *sp2;
	size_t len;
	bool first = true;

	/* not memset(m): 1.6 KB, when every string only needs its first byte */
	m->request = m->chunked = false;
	m->flags = 0;
	m->status = 0;
	m->method[0] = m->version[0] = m->uri[0] = 0;
	m->host[0] = m->user_agent[0] = m->content_type[0] = m->server[0] = 0;
	m->content_length = UINT64_MAX;
	if (!http_start(p, n, &m->request)) return n < 16 && !memchr(p, '\n', n) ? HTTP_MORE : HTTP_BAD;
	for (;;) {
		nl = line_end(l, end);
		if (nl == NULL) return n >= HTTP_MAXHEAD ? HTTP_BAD : HTTP_MORE;
		len = (size_t)(nl - l);
		if (len && l[len - 1] == '\r') len--;
		if (first) {
			first = false;
			sp = memchr(l, ' ', len);
			if (sp == NULL) return HTTP_BAD;
			if (m->request) {
				put(m->method, sizeof m->method, l, (size_t)(sp - l), &m->flags);
				sp2 = memchr(sp + 1, ' ', len - (size_t)(sp + 1 - l));
				if (sp2 == NULL || len - (size_t)(sp2 + 1 - l) < 8 ||
				    memcmp(sp2 + 1, "HTTP/", 5) != 0)
					return HTTP_BAD;
				put(m->uri, sizeof m->uri, sp + 1, (size_t)(sp2 - sp - 1), &m->flags);
				put(m->version, sizeof m->version, sp2 + 1, len - (size_t)(sp2 + 1 - l), &m->flags);
			} else {
				unsigned st = 0, i;

				put(m->version, sizeof m->version, l, (size_t)(sp - l), &m->flags);
				for (i = 1; i <= 3; i++) {
					if ((size_t)(sp - l) + i >= len || sp[i] < '0' || sp[i] > '9') return HTTP_BAD;
					st = st * 10 + (unsigned)(sp[i] - '0');
				}
				m->status = (uint16_t)st;
			}
		} else if (len == 0) {
			*head_len = (size_t)(nl + 1 - p);
			return HTTP_OK;
		} else {
			const uint8_t *colon = memchr(l, ':', len), *v;
			size_t nlen, vlen;
			char *keep = NULL;

			if (colon == NULL) return HTTP_BAD;
			nlen = (size_t)(colon - l);
			/* the names kept differ in length: one compare at most */
			switch (nlen) {
			case 4: if (NAME_IS(l, "host")) keep = m->host; break;
			case 6: if (NAME_IS(l, "server")) keep = m->server; break;
			case 10: if (NAME_IS(l, "user-agent")) keep = m->user_agent; break;
			case 12: if (NAME_IS(l, "content-type")) keep = m->content_type; break;
			case 14:
				if (NAME_IS(l, "content-length")) {
					uint64_t cl = 0;
					size_t i;

					vlen = field_value(colon, l + len, &v);
					for (i = 0; i < vlen && v[i] >= '0' && v[i] <= '9' && cl < (1ull << 50); i++)
						cl = cl * 10 + (uint64_t)(v[i] - '0');
					if (i == vlen && vlen) m->content_length = cl;
				}
				break;
			case 17:
				if (NAME_IS(l, "transfer-encoding")) {
					vlen = field_value(colon, l + len, &v);
					if (vlen >= 7 && NAME_IS(v + vlen - 7, "chunked")) m->chunked = true;
				}
				break;
			}
			if (keep && !keep[0]) /* the first of each is kept */
				put_value(keep, HTTP_MAXVAL + 1, colon, l + len, &m->flags);
		}
		l = nl + 1;
	}
}
