/*
 * starttls.c - the clear-text prelude of an in-band TLS upgrade
 * (starttls.h).
 *
 * The server speaks first: its greeting names the family ("220": SMTP
 * or FTP, RFC 5321 4.2, RFC 959 5.4; "+OK": POP3, RFC 1939 4; "* OK" or
 * "* PREAUTH": IMAP, RFC 3501 7.1).  The client's lines are read up to
 * the upgrade command (which also tells SMTP from FTP); each command
 * before it has one reply, in order (SMTP pipelining, RFC 2920 3.1, keeps
 * the order, and STARTTLS ends a pipelined group, RFC 3207 4), so the
 * server's reply after the greeting and those replies answers the
 * upgrade.  IMAP tags its completions instead (RFC 3501 2.2.2): the
 * server's line with the upgrade command's tag answers it.
 */
#include <string.h>

#include "bytes.h"
#include "starttls.h"

enum { F_DDD, F_POP, F_IMAP };

#define MAXTAG 64

/* The next line of c: *l its bytes without CR LF (or LF), the cursor
 * past its LF.  1 a line, 0 no LF yet, -1 longer than STLS_MAXLINE or
 * not text. */
static int next_line(struct cur *c, struct cur *l)
{
	size_t n = cur_left(c), lim = n < STLS_MAXLINE ? n : STLS_MAXLINE, i, len;
	const uint8_t *p = c->p;

	for (i = 0; i < lim; i++) {
		uint8_t b = p[i];

		if (b == '\n') {
			len = i && p[i - 1] == '\r' ? i - 1 : i;
			cur_sub(c, len, l);
			cur_skip(c, i + 1 - len);
			return 1;
		}
		if ((b < 0x20 && b != '\t' && b != '\r') || b == 0x7f) return -1;
	}
	return n >= STLS_MAXLINE ? -1 : 0;
}

/* A line of the server, counted against STLS_MAXLINES. */
static int srv_line(struct cur *c, struct cur *l, unsigned *nl)
{
	int e = next_line(c, l);

	if (e > 0 && ++*nl > STLS_MAXLINES) return -1;
	return e;
}

/* Do the n bytes at p start with s, ASCII case ignored? */
static bool ci_prefix(const uint8_t *p, size_t n, const char *s)
{
	size_t k = strlen(s), i;

	if (n < k) return false;
	for (i = 0; i < k; i++) {
		uint8_t b = p[i];

		if (b >= 'a' && b <= 'z') b = (uint8_t)(b - 32);
		if (b != (uint8_t)s[i]) return false;
	}
	return true;
}

/* Does the line, trailing blanks aside, equal s (ASCII case ignored)? */
static bool line_is(const struct cur *l, const char *s)
{
	size_t n = cur_left(l);

	while (n && (l->p[n - 1] == ' ' || l->p[n - 1] == '\t')) n--;
	return n == strlen(s) && ci_prefix(l->p, n, s);
}

/* Does the line start with s (case ignored), followed by its end or by
 * a space? */
static bool line_starts(const struct cur *l, const char *s)
{
	size_t k = strlen(s);

	return ci_prefix(l->p, cur_left(l), s) && (cur_left(l) == k || l->p[k] == ' ');
}

/* Three digits start the line: their value. */
static bool code3(const struct cur *l, unsigned *code)
{
	const uint8_t *p = l->p;

	if (cur_left(l) < 3 || p[0] < '1' || p[0] > '5' || p[1] < '0' || p[1] > '9' || p[2] < '0' ||
	    p[2] > '9')
		return false;
	*code = (unsigned)(p[0] - '0') * 100 + (unsigned)(p[1] - '0') * 10 + (unsigned)(p[2] - '0');
	return true;
}

/* The line ends a reply of this code: "ddd" alone or "ddd " text. */
static bool last_of(const struct cur *l, unsigned code)
{
	unsigned k;

	return code3(l, &k) && k == code && (cur_left(l) == 3 || l->p[3] == ' ');
}

/*
 * One final reply of SMTP or FTP (RFC 5321 4.2.1, RFC 959 4.2): the
 * lines "ddd-text" up to "ddd text" of the same code; FTP's lines in
 * between need not start with the code.  Preliminary 1yz replies (RFC
 * 959 4.2) are stepped over.  1 read (*code), 0 more, -1 not a reply.
 */
static int reply_ddd(struct cur *c, unsigned *code, unsigned *nl)
{
	struct cur l;
	int e;

	for (;;) {
		if ((e = srv_line(c, &l, nl)) <= 0) return e;
		if (!code3(&l, code)) return -1;
		if (cur_left(&l) > 3 && l.p[3] == '-') {
			do {
				if ((e = srv_line(c, &l, nl)) <= 0) return e;
			} while (!last_of(&l, *code));
		} else if (cur_left(&l) > 3 && l.p[3] != ' ') {
			return -1;
		}
		if (*code >= 200) return 1;
	}
}

/*
 * One POP3 reply (RFC 1939 3): "+OK" or "-ERR" and, when multi and
 * positive, the lines up to "." (CAPA, RFC 2449 5; AUTH without a
 * mechanism lists them the same way).  1 read (*ok), 0 more, -1 not a
 * reply.
 */
static int reply_pop(struct cur *c, bool multi, bool *ok, unsigned *nl)
{
	struct cur l;
	int e;

	if ((e = srv_line(c, &l, nl)) <= 0) return e;
	*ok = line_starts(&l, "+OK");
	if (!*ok && !line_starts(&l, "-ERR")) return -1;
	if (!*ok || !multi) return 1;
	do {
		if ((e = srv_line(c, &l, nl)) <= 0) return e;
	} while (cur_left(&l) != 1 || l.p[0] != '.');
	return 1;
}

/* An IMAP tag (RFC 3501 9: astring characters but "+") and the space
 * after it start the line: its length. */
static size_t imap_tag(const struct cur *l)
{
	size_t n = cur_left(l), i;

	for (i = 0; i < n && i <= MAXTAG; i++) {
		uint8_t b = l->p[i];

		if (b == ' ') return i;
		if (b <= 0x20 || b >= 0x7f || strchr("(){%*\"\\+", b)) return 0;
	}
	return 0;
}

bool stls_greeting(const uint8_t *p, size_t n)
{
	if (n >= 4 && memcmp(p, "220", 3) == 0 && (p[3] == ' ' || p[3] == '-' || p[3] == '\r'))
		return true;
	if (n >= 4 && memcmp(p, "+OK", 3) == 0 && (p[3] == ' ' || p[3] == '\r' || p[3] == '\n'))
		return true;
	if (n >= 5 && ci_prefix(p, n, "* OK") && (p[4] == ' ' || p[4] == '\r'))
		return true;
	return n >= 10 && ci_prefix(p, n, "* PREAUTH") && (p[9] == ' ' || p[9] == '\r');
}

/* The server's greeting: its family, or -1 when it is not one; 0 more. */
static int greeting(struct cur *s, int *fam, unsigned *nl)
{
	struct cur l, g;
	unsigned code;
	bool ok;
	int e;

	if (cur_left(s) == 0) return 0;
	if (s->p[0] == '*') {
		if ((e = srv_line(s, &l, nl)) <= 0) return e;
		*fam = F_IMAP;
		if (cur_left(&l) < 2 || l.p[1] != ' ') return -1;
		g = l;
		g.p += 2;
		return line_starts(&g, "OK") || line_starts(&g, "PREAUTH") ? 1 : -1;
	}
	if (s->p[0] == '+' || s->p[0] == '-') {
		*fam = F_POP;
		e = reply_pop(s, false, &ok, nl);
		return e <= 0 ? e : ok ? 1 : -1;
	}
	*fam = F_DDD;
	e = reply_ddd(s, &code, nl);
	return e <= 0 ? e : code == 220 ? 1 : -1;
}

int stls_scan(const uint8_t *cli, size_t cn, const uint8_t *srv, size_t sn, struct stls_result *r)
{
	struct cur s = cur_make(srv, sn), c = cur_make(cli, cn), l, rest;
	unsigned nl = 0, k, i, code = 0, same = 0;
	uint32_t multi = 0;      /* bit i: a positive reply to command i has more lines (POP3) */
	size_t tl = 0;
	int fam, e;
	bool ok = false;

	memset(r, 0, sizeof *r);
	if ((e = greeting(&s, &fam, &nl)) <= 0) return e < 0 ? STLS_NOT : STLS_MORE;
	/* the client's commands up to the upgrade */
	for (k = 0; !r->proto; k++) {
		if ((e = next_line(&c, &l)) <= 0) return e < 0 ? STLS_NOT : STLS_MORE;
		if (k >= STLS_MAXCMDS || line_is(&l, "QUIT")) return STLS_NOT;
		if (fam == F_DDD && line_is(&l, "STARTTLS")) {
			r->proto = STLS_SMTP;
		} else if (fam == F_DDD && (line_is(&l, "AUTH TLS") || line_is(&l, "AUTH SSL") ||
		    line_is(&l, "AUTH TLS-C") || line_is(&l, "AUTH TLS-P"))) {
			r->proto = STLS_FTP;
		} else if (fam == F_POP && line_is(&l, "STLS")) {
			r->proto = STLS_POP3;
		} else if (fam == F_POP) {
			if (line_is(&l, "CAPA") || line_is(&l, "AUTH")) multi |= 1u << k;
		} else if (fam == F_IMAP) {
			if ((tl = imap_tag(&l)) == 0) return STLS_NOT;
			rest = l;
			rest.p += tl + 1;
			if (line_is(&rest, "LOGOUT")) return STLS_NOT;
			if (line_is(&rest, "STARTTLS")) r->proto = STLS_IMAP;
		}
	}
	r->off[0] = (uint32_t)(c.p - cli);
	if (fam == F_IMAP) {
		/* tagged completions come in order for commands the client did
		 * not pipeline: the answer is the tag's line after those of the
		 * earlier commands with the same tag (clients reuse tags) */
		const uint8_t *tag = l.p;
		struct cur e2 = cur_make(cli, cn), m;

		for (i = 0; i + 1 < k && next_line(&e2, &m) > 0; i++)
			if (cur_left(&m) > tl && memcmp(m.p, tag, tl) == 0 && m.p[tl] == ' ') same++;
		for (;;) {
			if ((e = srv_line(&s, &m, &nl)) <= 0) return e < 0 ? STLS_NOT : STLS_MORE;
			if (cur_left(&m) <= tl || memcmp(m.p, tag, tl) != 0 || m.p[tl] != ' ') continue;
			if (same) {
				same--;
				continue;
			}
			rest = m;
			rest.p += tl + 1;
			r->off[1] = (uint32_t)(s.p - srv);
			return line_starts(&rest, "OK") ? STLS_TLS : STLS_REFUSED;
		}
	}
	/* one reply for the greeting, read; one for each command */
	for (i = 0; i < k; i++) {
		if (fam == F_POP)
			e = reply_pop(&s, (multi >> i & 1) != 0, &ok, &nl);
		else
			e = reply_ddd(&s, &code, &nl);
		if (e <= 0) return e < 0 ? STLS_NOT : STLS_MORE;
	}
	r->off[1] = (uint32_t)(s.p - srv);
	if (fam == F_POP) return ok ? STLS_TLS : STLS_REFUSED;
	r->code = (uint16_t)code;
	return code == (r->proto == STLS_SMTP ? 220u : 234u) ? STLS_TLS : STLS_REFUSED;
}
