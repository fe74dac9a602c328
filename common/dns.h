/*
 * dns.h - DNS messages (RFC 1035 4.1): header, first question, answers.
 * Pure functions over one message (over TCP the caller strips the 2-byte
 * length, RFC 1035 4.2.2).  Names are decoded with compression pointers
 * that must point strictly backwards (so a loop is impossible) and are
 * at most 255 bytes in presentation form.
 */
#ifndef FK_DNS_H
#define FK_DNS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define DNS_MAXNAME 255
#define DNS_MAXANS  16   /* answers kept per message */

enum { DNS_OK = 1, DNS_BAD = -1 };

#define DNS_F_CUT 0x01u  /* more answers than kept */

struct dns_answer {
	uint16_t type;
	uint8_t alen;                 /* 4 or 16 for A / AAAA, else 0 */
	uint8_t addr[16];
	char name[DNS_MAXNAME + 1];   /* CNAME, NS, PTR, MX target..., else "" */
};

struct dns_msg {
	uint16_t id, flags, qdcount, ancount;
	bool response;
	uint8_t rcode, opcode, mflags;
	uint16_t qtype, qclass;
	char qname[DNS_MAXNAME + 1];  /* dotted, no final dot; "" for the root */
	unsigned nans;
	struct dns_answer ans[DNS_MAXANS];
};

/* dns_parse: one whole message.  DNS_OK when the header, the questions
 * and the answer section parse; DNS_BAD otherwise (m is then partial).
 * Only ans[0, nans) is set: the rest of ans is left as it was. */
int dns_parse(const uint8_t *p, size_t n, struct dns_msg *m);
/* dns_plausible: DNS_OK from dns_parse and a shape that real DNS has
 * (one question, a known class, opcode 0-6): detection by content. */
bool dns_plausible(const struct dns_msg *m);

#endif
