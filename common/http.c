/*
 * http.c - HTTP/1.x message heads (http.h).  RFC 9112 2.1 (message
 * format), 3 (request line), 4 (status line), 5 (field lines).
 */
#include <stdio.h>
#include <string.h>

#include "bytes.h"
#include "http.h"

/* The methods of RFC 9110 9, the common WebDAV/extension ones and SSDP's
 * M-SEARCH (UPnP Device Architecture 2.0 1.3.2). */
static const char *const methods[] = {
	"GET", "POST", "HEAD", "PUT", "DELETE", "OPTIONS", "CONNECT", "TRACE", "PATCH",
	"PROPFIND", "PROPPATCH", "MKCOL", "COPY", "MOVE", "LOCK", "UNLOCK", "REPORT", "SEARCH",
	"NOTIFY", "SUBSCRIBE", "UNSUBSCRIBE", "MKCALENDAR", "M-SEARCH",
};

bool http_start(const uint8_t *p, size_t n, bool *request)
{
	size_t i, k;

	/* every method and "HTTP/" start with an upper-case letter: most
	 * payloads are rejected here (this runs on every packet of HTTP flows) */
	if (n < 4 || p[0] < 'A' || p[0] > 'Z') return false;
	if (n >= 9 && memcmp(p, "HTTP/1.", 7) == 0 && p[7] >= '0' && p[7] <= '9' && p[8] == ' ') {
		*request = false;
		return true;
	}
	for (i = 0; i < sizeof methods / sizeof methods[0]; i++) {
		k = strlen(methods[i]);
		if (n > k + 1 && memcmp(p, methods[i], k) == 0 && p[k] == ' ' && p[k + 1] > ' ') {
			*request = true;
			return true;
		}
	}
	return false;
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

static bool name_is(const uint8_t *p, size_t n, const char *name)
{
	size_t i;

	if (n != strlen(name)) return false;
	for (i = 0; i < n; i++) {
		uint8_t c = p[i];

		if (c >= 'A' && c <= 'Z') c = (uint8_t)(c + 32);
		if (c != (uint8_t)name[i]) return false;
	}
	return true;
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

	memset(m, 0, sizeof *m);
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

			if (colon == NULL) return HTTP_BAD;
			nlen = (size_t)(colon - l);
			v = colon + 1;
			vlen = len - nlen - 1;
			while (vlen && (*v == ' ' || *v == '\t')) { v++; vlen--; }
			while (vlen && (v[vlen - 1] == ' ' || v[vlen - 1] == '\t')) vlen--;
			if (name_is(l, nlen, "host") && !m->host[0])
				put(m->host, sizeof m->host, v, vlen, &m->flags);
			else if (name_is(l, nlen, "user-agent") && !m->user_agent[0])
				put(m->user_agent, sizeof m->user_agent, v, vlen, &m->flags);
			else if (name_is(l, nlen, "content-type") && !m->content_type[0])
				put(m->content_type, sizeof m->content_type, v, vlen, &m->flags);
			else if (name_is(l, nlen, "server") && !m->server[0])
				put(m->server, sizeof m->server, v, vlen, &m->flags);
			else if (name_is(l, nlen, "transfer-encoding") && vlen >= 7 &&
			    name_is(v + vlen - 7, 7, "chunked"))
				m->chunked = true;
			else if (name_is(l, nlen, "content-length")) {
				uint64_t cl = 0;
				size_t i;

				for (i = 0; i < vlen && v[i] >= '0' && v[i] <= '9' && cl < (1ull << 50); i++)
					cl = cl * 10 + (uint64_t)(v[i] - '0');
				if (i == vlen && vlen) m->content_length = cl;
			}
		}
		l = nl + 1;
	}
}
