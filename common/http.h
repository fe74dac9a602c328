/*
 * http.h - HTTP/1.x message heads (RFC 9112 2-3, 5): the start line and
 * the few header fields flow metadata keeps.  Pure functions over bytes;
 * every string is bounded and NUL-terminated, cut values set HTTP_F_CUT.
 */
#ifndef FK_HTTP_H
#define FK_HTTP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define HTTP_MAXURI  512
#define HTTP_MAXVAL  255
#define HTTP_MAXHEAD 16384 /* a head longer than this is malformed */

enum { HTTP_MORE = 0, HTTP_OK = 1, HTTP_BAD = -1 };

#define HTTP_F_CUT 0x01u

struct http_msg {
	bool request;
	uint8_t flags;
	uint16_t status;
	char method[24], version[16];
	char uri[HTTP_MAXURI + 1];
	char host[HTTP_MAXVAL + 1], user_agent[HTTP_MAXVAL + 1];
	char content_type[HTTP_MAXVAL + 1], server[HTTP_MAXVAL + 1];
	uint64_t content_length;     /* UINT64_MAX when absent */
	bool chunked;
};

/*
 * http_start: does a request line ("GET / HTTP/1.1", any token method
 * of the registry's common ones) or a status line ("HTTP/1.1 200") start
 * at p?  *request says which.  Needs the first line or 16 bytes.
 * http_start_line is its part past the first byte, n at least 4.
 */
bool http_start_line(const uint8_t *p, size_t n, bool *request);
static inline bool http_start(const uint8_t *p, size_t n, bool *request)
{
	/* every method and "HTTP/" start with an upper-case letter: most
	 * payloads are rejected here, without a call (this runs on every
	 * packet of HTTP flows) */
	return n >= 4 && (unsigned)(p[0] - 'A') < 26u && http_start_line(p, n, request);
}

/*
 * http_parse: one message head at p, up to the empty line.  Returns
 * HTTP_OK with *head_len the bytes of the head, HTTP_MORE when the empty
 * line has not arrived, HTTP_BAD when it is not an HTTP/1.x head.
 */
int http_parse(const uint8_t *p, size_t n, struct http_msg *m, size_t *head_len);

#endif
