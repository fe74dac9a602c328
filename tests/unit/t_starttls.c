/*
 * t_starttls.c - unit tests of common/starttls.c, TAP output: the
 * preludes of SMTP, IMAP, POP3 and FTP as their RFCs and common clients
 * write them, accepted and refused; every prefix of each direction; lines
 * split anywhere; hostile lengths and bytes.  Every call gets a heap
 * copy of exactly the bytes it may read, so that a read past them is an
 * error under ASan or valgrind.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "starttls.h"

#include "tap.h"

/* The first bytes of a TLS record, after each side's prelude. */
#define CH "\x16\x03\x01\x02\x00\x01"
#define SH "\x16\x03\x03\x00\x7a\x02"

struct dialog {
	const char *name;
	const char *cli, *srv;  /* prelude and the start of TLS */
	int want;               /* STLS_TLS or STLS_REFUSED */
	int proto;
	size_t coff, soff;      /* the prelude's lengths (STLS_TLS) */
};

static int scan(const char *c, size_t cn, const char *s, size_t sn, struct stls_result *r)
{
	char *cc = malloc(cn ? cn : 1), *sc = malloc(sn ? sn : 1);
	int e;

	memcpy(cc, c, cn);
	memcpy(sc, s, sn);
	e = stls_scan((const uint8_t *)cc, cn, (const uint8_t *)sc, sn, r);
	free(cc);
	free(sc);
	return e;
}

#define SMTP_C "EHLO client.example.org\r\nSTARTTLS\r\n"
#define SMTP_S "220-mx.example.com ESMTP ready\r\n220 mx.example.com\r\n" \
	"250-mx.example.com Hello client.example.org\r\n250-PIPELINING\r\n250-SIZE 10240000\r\n" \
	"250-STARTTLS\r\n250 8BITMIME\r\n220 2.0.0 Ready to start TLS\r\n"
/* openssl s_client -starttls imap: the tag "." twice */
#define IMAP_C ". CAPABILITY\r\n. STARTTLS\r\n"
#define IMAP_S "* OK [CAPABILITY IMAP4rev1 STARTTLS] imap.example.com ready\r\n" \
	"* CAPABILITY IMAP4rev1 STARTTLS LOGINDISABLED\r\n. OK Capability completed.\r\n" \
	". OK Begin TLS negotiation now.\r\n"
#define IMAP2_C "a001 CAPABILITY\r\na002 STARTTLS\r\n"
#define IMAP2_S "* OK IMAP4rev1 Service Ready\r\n* CAPABILITY IMAP4rev1 STARTTLS\r\n" \
	"a001 OK CAPABILITY completed\r\na002 OK Begin TLS negotiation now\r\n"
#define POP_C "CAPA\r\nSTLS\r\n"
#define POP_S "+OK POP3 server ready <1896.697170952@dbc.mtview.ca.us>\r\n" \
	"+OK Capability list follows\r\nTOP\r\nUSER\r\nSTLS\r\n.\r\n+OK Begin TLS negotiation\r\n"
/* bare LF, FTP multi-line replies whose middle lines have no code */
#define FTP_C "FEAT\nAUTH TLS\n"
#define FTP_S "220-Welcome\n  to the FTP service\n220 ready\n211-Features:\n AUTH TLS\n PBSZ\n" \
	"211 End\n234 AUTH TLS successful\n"

static const struct dialog dialogs[] = {
	{ "SMTP", SMTP_C CH, SMTP_S SH, STLS_TLS, STLS_SMTP, sizeof SMTP_C - 1, sizeof SMTP_S - 1 },
	{ "IMAP, reused tag", IMAP_C CH, IMAP_S SH, STLS_TLS, STLS_IMAP, sizeof IMAP_C - 1,
	    sizeof IMAP_S - 1 },
	{ "IMAP", IMAP2_C CH, IMAP2_S SH, STLS_TLS, STLS_IMAP, sizeof IMAP2_C - 1, sizeof IMAP2_S - 1 },
	{ "POP3, CAPA", POP_C CH, POP_S SH, STLS_TLS, STLS_POP3, sizeof POP_C - 1, sizeof POP_S - 1 },
	{ "POP3 without CAPA", "STLS\r\n" CH, "+OK ready\r\n+OK go ahead\r\n" SH, STLS_TLS, STLS_POP3, 6,
	    25 },
	{ "FTP, LF lines", FTP_C CH, FTP_S SH, STLS_TLS, STLS_FTP, sizeof FTP_C - 1, sizeof FTP_S - 1 },
	{ "FTP AUTH SSL, lower case", "auth ssl\r\n" CH, "220 ftp\r\n234 ok\r\n" SH, STLS_TLS, STLS_FTP,
	    10, 17 },
	{ "SMTP, pipelined EHLO", "EHLO a\r\nSTARTTLS\r\n" CH, "220 mx\r\n250 mx\r\n220 go\r\n" SH,
	    STLS_TLS, STLS_SMTP, 18, 24 },
	{ "SMTP refused", "EHLO a\r\nSTARTTLS\r\nQUIT\r\n", "220 mx\r\n250-mx\r\n250 OK\r\n"
	    "454 4.7.0 TLS not available\r\n221 bye\r\n", STLS_REFUSED, STLS_SMTP, 0, 0 },
	{ "IMAP refused", "x STARTTLS\r\n", "* OK hi\r\nx BAD no\r\n", STLS_REFUSED, STLS_IMAP, 0, 0 },
	{ "IMAP refused, NO", "x1 STARTTLS\r\n", "* PREAUTH hi\r\nx1 NO sorry\r\n", STLS_REFUSED,
	    STLS_IMAP, 0, 0 },
	{ "POP3 refused", "CAPA\r\nSTLS\r\n", "+OK hi\r\n-ERR no CAPA\r\n-ERR no STLS\r\n", STLS_REFUSED,
	    STLS_POP3, 0, 0 },
	{ "FTP refused", "AUTH TLS\r\n", "220 ftp\r\n530 Please login with USER and PASS\r\n", STLS_REFUSED,
	    STLS_FTP, 0, 0 },
};

static void test_dialogs(void)
{
	size_t i, cut;

	for (i = 0; i < sizeof dialogs / sizeof dialogs[0]; i++) {
		const struct dialog *d = &dialogs[i];
		size_t cn = strlen(d->cli), sn = strlen(d->srv), cend, send;
		struct stls_result r;
		int bad = 0;

		is(scan(d->cli, cn, d->srv, sn, &r), d->want, "%s: recognised", d->name);
		is(r.proto, d->proto, "%s: protocol", d->name);
		if (d->want == STLS_TLS) {
			ok(r.off[0] == d->coff && r.off[1] == d->soff, "%s: TLS at %zu and %zu (got %u, %u)",
			    d->name, d->coff, d->soff, r.off[0], r.off[1]);
			ok(memcmp(d->cli + r.off[0], CH, 6) == 0 && memcmp(d->srv + r.off[1], SH, 6) == 0,
			    "%s: the offsets point at the records", d->name);
		}
		/* every prefix short of either answer asks for more; longer ones
		 * give the same answer */
		cend = d->want == STLS_TLS ? d->coff : cn;
		send = d->want == STLS_TLS ? d->soff : sn;
		for (cut = 0; cut < cn; cut++) {
			struct stls_result q;
			int e = scan(d->cli, cut, d->srv, sn, &q);

			if (cut < cend && d->want == STLS_TLS) bad += e != STLS_MORE;
			else if (cut >= cend) bad += e != d->want;
		}
		for (cut = 0; cut < sn; cut++) {
			struct stls_result q;
			int e = scan(d->cli, cn, d->srv, cut, &q);

			if (cut < send && d->want == STLS_TLS) bad += e != STLS_MORE;
			else if (cut >= send) bad += e != d->want || q.off[1] != r.off[1];
		}
		is(bad, 0, "%s: every prefix of each side asks for more, then the same answer", d->name);
	}
}

/* The refusals, cut: no prefix before the answer is read as an answer. */
static void test_refusal_prefixes(void)
{
	static const char c[] = "EHLO a\r\nSTARTTLS\r\n", s[] = "220 mx\r\n250 OK\r\n454 TLS not available\r\n";
	size_t cut;
	int bad = 0;

	for (cut = 0; cut < sizeof s - 1; cut++) {
		struct stls_result r;

		bad += scan(c, sizeof c - 1, s, cut, &r) != STLS_MORE;
	}
	is(bad, 0, "SMTP refusal: every prefix of the server's side asks for more");
}

static void test_greeting(void)
{
	static const struct { const char *s; bool want; } g[] = {
		{ "220 mx ESMTP", true }, { "220-mx", true }, { "220\r\n", true }, { "+OK hi", true },
		{ "+OK\r\n", true }, { "* OK [CAPABILITY]", true }, { "* ok hi", true },
		{ "* PREAUTH x", true }, { "221 bye", false }, { "+OKAY", false }, { "* BYE", false },
		{ "220", false }, { "* O", false }, { "GET / HTTP/1.1", false }, { "SSH-2.0-x", false },
		{ "", false }, { "\x16\x03\x01", false }, { "2200 x", false },
	};
	size_t i;

	for (i = 0; i < sizeof g / sizeof g[0]; i++) {
		size_t n = strlen(g[i].s);
		char *p = malloc(n ? n : 1);

		memcpy(p, g[i].s, n);
		is(stls_greeting((const uint8_t *)p, n), g[i].want, "greeting \"%.*s\"",
		    (int)strcspn(g[i].s, "\r\n"), g[i].s);
		free(p);
	}
}

static void test_not(void)
{
	static const struct { const char *name, *cli, *srv; } t[] = {
		{ "no greeting", "STARTTLS\r\n", "554 no service\r\n" },
		{ "greeting is not text", "STARTTLS\r\n", "220 a\x01\r\n" },
		{ "client not text", "EHLO \x80\x01\r\n", "220 mx\r\n" },
		{ "QUIT before the upgrade", "EHLO a\r\nQUIT\r\n", "220 mx\r\n" },
		{ "IMAP LOGOUT", "a LOGOUT\r\n", "* OK hi\r\n" },
		{ "IMAP untagged client line", "STARTTLS\r\n", "* OK hi\r\n" },
		{ "IMAP bad tag", "a{b STARTTLS\r\n", "* OK hi\r\n" },
		{ "reply without a code", "EHLO a\r\nSTARTTLS\r\n", "220 mx\r\nhello\r\n220 go\r\n" },
		{ "reply code then junk", "EHLO a\r\nSTARTTLS\r\n", "220 mx\r\n250x\r\n220 go\r\n" },
		{ "POP3 reply neither +OK nor -ERR", "STLS\r\n", "+OK hi\r\nOK\r\n" },
		{ "POP3 greeting -ERR", "STLS\r\n", "-ERR busy\r\n" },
		{ "greeting '*' alone", "x STARTTLS\r\n", "*\r\n" },
	};
	size_t i;

	for (i = 0; i < sizeof t / sizeof t[0]; i++) {
		struct stls_result r;

		is(scan(t[i].cli, strlen(t[i].cli), t[i].srv, strlen(t[i].srv), &r), STLS_NOT, "not: %s",
		    t[i].name);
	}
}

/* Lengths at and around the bounds; floods of lines. */
static void test_bounds(void)
{
	char *b = malloc(3 * STLS_MAXLINE), *s = malloc(16 * (STLS_MAXLINES + 4));
	struct stls_result r;
	size_t n, i;

	/* a client line of STLS_MAXLINE - 1 bytes without its LF may still end */
	memset(b, 'a', 3 * STLS_MAXLINE);
	is(scan(b, STLS_MAXLINE - 1, "220 mx\r\n", 8, &r), STLS_MORE, "client line of MAXLINE-1: more");
	is(scan(b, STLS_MAXLINE, "220 mx\r\n", 8, &r), STLS_NOT, "client line of MAXLINE without LF: not");
	memcpy(b + STLS_MAXLINE - 2, "\r\n", 2);
	is(scan(b, STLS_MAXLINE + 5, "220 mx\r\n", 8, &r), STLS_MORE, "client line of MAXLINE with CR LF: read");
	memset(b, 'a', 3 * STLS_MAXLINE);
	b[STLS_MAXLINE] = '\n';
	is(scan(b, STLS_MAXLINE + 5, "220 mx\r\n", 8, &r), STLS_NOT, "client line of MAXLINE+1: not");
	/* a greeting longer than a line */
	memset(b, 'x', 3 * STLS_MAXLINE);
	memcpy(b, "220 ", 4);
	is(scan("STARTTLS\r\n", 10, b, 3 * STLS_MAXLINE, &r), STLS_NOT, "endless greeting line: not");
	/* STLS_MAXCMDS commands before the upgrade: one too many */
	for (n = 0, i = 0; i < STLS_MAXCMDS; i++) n += (size_t)sprintf(b + n, "NOOP\r\n");
	n += (size_t)sprintf(b + n, "STARTTLS\r\n");
	is(scan(b, n, "220 mx\r\n", 8, &r), STLS_NOT, "%d commands before STARTTLS: not", STLS_MAXCMDS);
	for (n = 0, i = 0; i + 1 < STLS_MAXCMDS; i++) n += (size_t)sprintf(b + n, "NOOP\r\n");
	n += (size_t)sprintf(b + n, "STARTTLS\r\n");
	is(scan(b, n, "220 mx\r\n", 8, &r), STLS_MORE, "%d commands before STARTTLS: waits for replies",
	    STLS_MAXCMDS - 1);
	/* a multi-line reply that never ends, then one that ends in time */
	for (n = 0, i = 0; i < STLS_MAXLINES + 2; i++) n += (size_t)sprintf(s + n, "220-x\r\n");
	is(scan("STARTTLS\r\n", 10, s, n, &r), STLS_NOT, "greeting of more than %d lines: not", STLS_MAXLINES);
	for (n = 0, i = 0; i + 3 < STLS_MAXLINES; i++) n += (size_t)sprintf(s + n, "220-x\r\n");
	n += (size_t)sprintf(s + n, "220 x\r\n220 go\r\n");
	is(scan("STARTTLS\r\n", 10, s, n, &r), STLS_TLS, "greeting of %d lines: read", STLS_MAXLINES - 2);
	is(r.off[1], n, "... TLS after it");
	/* IMAP: the answer never comes, untagged lines flood */
	for (n = 0, i = 0; i < STLS_MAXLINES + 2; i++) n += (size_t)sprintf(s + n, "* x\r\n");
	is(scan("a STARTTLS\r\n", 12, s, n, &r), STLS_NOT, "IMAP: more than %d server lines: not", STLS_MAXLINES);
	/* an IMAP tag of 64 bytes and one of 65 */
	memset(b, 't', 65);
	memcpy(b + 64, " STARTTLS\r\n", 11);
	memcpy(s, "* OK hi\r\n", 9);
	memcpy(s + 9, b, 64);
	memcpy(s + 73, " OK\r\n", 5);
	is(scan(b, 75, s, 78, &r), STLS_TLS, "IMAP tag of 64 bytes");
	memset(b, 't', 65);
	memcpy(b + 65, " STARTTLS\r\n", 11);
	is(scan(b, 76, s, 78, &r), STLS_NOT, "IMAP tag of 65 bytes: not");
	/* empty inputs */
	is(scan("", 0, "", 0, &r), STLS_MORE, "nothing yet: more");
	is(scan("STARTTLS\r\n", 10, "", 0, &r), STLS_MORE, "no greeting yet: more");
	free(b);
	free(s);
}

/* Random bytes and random cuts of the dialogs never read out of bounds
 * (the heap copies) and give an offset within the data. */
static void test_random(void)
{
	size_t i, bad = 0;

	for (i = 0; i < 20000; i++) {
		const struct dialog *d = &dialogs[rng() % (sizeof dialogs / sizeof dialogs[0])];
		size_t cn = strlen(d->cli), sn = strlen(d->srv);
		char c[512], s[512];
		struct stls_result r;
		int e;

		memcpy(c, d->cli, cn);
		memcpy(s, d->srv, sn);
		if (rng() % 2) c[rng() % cn] = (char)rng();
		if (rng() % 2) s[rng() % sn] = (char)rng();
		cn = rng() % (cn + 1);
		sn = rng() % (sn + 1);
		e = scan(c, cn, s, sn, &r);
		if (e == STLS_TLS && (r.off[0] > cn || r.off[1] > sn)) bad++;
	}
	is(bad, 0, "damaged and cut dialogs: offsets within the data");
}

int main(void)
{
	test_dialogs();
	test_refusal_prefixes();
	test_greeting();
	test_not();
	test_bounds();
	test_random();
	printf("1..%u\n", ntest);
	return nfail != 0;
}
