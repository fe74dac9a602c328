/*
 * ssh.c - SSH identification and KEXINIT (ssh.h).  RFC 4253 4.2 (the
 * identification string, at most 255 bytes with CR LF), 6 (binary packet:
 * uint32 packet_length, byte padding_length, payload), 7.1 (KEXINIT: byte
 * 20, 16-byte cookie, ten name-lists, boolean, uint32).  HASSH: MD5 of
 * kex;encryption;mac;compression, the client-to-server lists for the
 * client and the server-to-client lists for the server.
 */
#include <stdio.h>
#include <string.h>

#include "bytes.h"
#include "digest.h"
#include "ssh.h"

bool ssh_start(const uint8_t *p, size_t n)
{
	return n >= 4 && memcmp(p, "SSH-", 4) == 0;
}

int ssh_parse(const uint8_t *p, size_t n, bool server, struct ssh_side *s)
{
	struct cur c = cur_make(p, n), pk, lists[10];
	const uint8_t *nl, *l = p;
	uint32_t plen, k;
	uint8_t pad, type;
	size_t len, at = 0;
	char all[SSH_MAXPKT + 3];
	unsigned i, lines = 0;
	static const unsigned pick[2][4] = { { 0, 2, 4, 6 }, { 0, 3, 5, 7 } };

	memset(s, 0, sizeof *s);
	for (;;) { /* the identification string */
		nl = memchr(l, '\n', (size_t)(p + n - l));
		if (nl == NULL) return n - (size_t)(l - p) > 8192 ? SSH_BAD : SSH_MORE;
		len = (size_t)(nl - l);
		if (len && l[len - 1] == '\r') len--;
		if (len >= 4 && memcmp(l, "SSH-", 4) == 0) break;
		if (!server || ++lines > 32) return SSH_BAD;
		l = nl + 1;
	}
	if (len > SSH_MAXBANNER) len = SSH_MAXBANNER;
	memcpy(s->banner, l, len);
	s->banner[len] = 0;
	c.p = nl + 1;
	if (!cur_u32(&c, &plen) || !cur_u8(&c, &pad)) return SSH_MORE;
	if (plen < 2 || plen > SSH_MAXPKT || pad >= plen) return SSH_BAD;
	if (!cur_sub(&c, plen - 1 - pad, &pk)) return SSH_MORE;
	if (!cur_u8(&pk, &type) || type != 20 || !cur_skip(&pk, 16)) return SSH_BAD;
	for (i = 0; i < 10; i++)
		if (!cur_u32(&pk, &k) || !cur_sub(&pk, k, &lists[i])) return SSH_BAD;
	for (i = 0; i < 4; i++) { /* the lists lie within plen bytes */
		struct cur *li = &lists[pick[server][i]];
		size_t m = cur_left(li);

		memcpy(all + at, li->p, m);
		at += m;
		if (i < 3) all[at++] = ';';
	}
	dg_hex(DG_MD5, all, at, s->hassh, 32); /* over the whole string */
	if (at > sizeof s->algs - 1) at = sizeof s->algs - 1;
	memcpy(s->algs, all, at);
	s->algs[at] = 0;
	s->kexinit = true;
	return SSH_OK;
}
