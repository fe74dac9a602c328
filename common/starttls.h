/*
 * starttls.h - the clear-text prelude of a connection that upgrades to
 * TLS in band: SMTP STARTTLS (RFC 3207 4), IMAP STARTTLS (RFC 3501
 * 6.2.1), POP3 STLS (RFC 2595 4) and FTP AUTH TLS (RFC 4217 4; RFC 2228
 * 3).  Pure functions over the reassembled first bytes of both
 * directions: where, in each, the TLS bytes begin, or that the server
 * refused, or that more bytes are needed.
 *
 * Bounds: a line is at most STLS_MAXLINE bytes with its CR LF, a
 * direction has at most STLS_MAXLINES lines before its TLS bytes, the
 * client at most STLS_MAXCMDS commands up to and with the upgrade.  A
 * byte below 0x20 other than TAB, CR and LF ends the recognition: the
 * prelude is text.  IMAP literals ({n}) are not followed: a server line
 * is read as a line.
 */
#ifndef FK_STARTTLS_H
#define FK_STARTTLS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define STLS_MAXLINE  1024
#define STLS_MAXLINES 128
#define STLS_MAXCMDS  16

/* Results of stls_scan. */
enum { STLS_MORE = 0, STLS_TLS = 1, STLS_REFUSED = 2, STLS_NOT = -1 };

/* The protocols (stls_result.proto). */
enum { STLS_NONE, STLS_SMTP, STLS_IMAP, STLS_POP3, STLS_FTP };

struct stls_result {
	uint8_t proto;      /* STLS_SMTP ... once the client's upgrade command is read */
	uint32_t off[2];    /* STLS_TLS: where the TLS bytes begin, client [0] and server [1] */
	uint16_t code;      /* SMTP, FTP: the code of the server's answer to the upgrade */
};

/*
 * stls_greeting: does a server greeting of one of the four protocols
 * start the n bytes at p ("220 " or "220-": SMTP, FTP; "+OK": POP3;
 * "* OK", "* PREAUTH": IMAP)?  Needs at most 10 bytes.
 */
bool stls_greeting(const uint8_t *p, size_t n);

/*
 * stls_scan: the client's first cn bytes at cli and the server's first sn
 * bytes at srv, each from the start of its direction.  Returns STLS_TLS
 * with r->off the offsets of the first TLS byte in each (the byte after
 * the client's upgrade command line, the byte after the line of the
 * server's positive answer), STLS_REFUSED when the server answered the
 * upgrade otherwise, STLS_MORE when either direction must bring more
 * bytes, STLS_NOT when the bytes are not such a prelude or exceed its
 * bounds.  r->proto is set as soon as the upgrade command is read.
 */
int stls_scan(const uint8_t *cli, size_t cn, const uint8_t *srv, size_t sn, struct stls_result *r);

#endif
