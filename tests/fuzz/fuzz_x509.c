/*
 * fuzz_x509.c - libFuzzer harness for the Certificate message and X.509
 * reader (common/x509.c).  The first byte picks the form (bit 0: TLS 1.3),
 * the rest is the message body.  Whatever comes back must respect the
 * bounds of x509.h, and its encoding must be a TLS element that the
 * record decoder accepts with every tag known.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "field.h"
#include "rec.h"
#include "x509.h"

int LLVMFuzzerTestOneInput(const uint8_t *p, size_t n);

static void check_str(const char *s, size_t cap)
{
	if (memchr(s, '\0', cap) == NULL) abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *p, size_t n)
{
	static struct x509_chain ch;
	static struct rec_flow f, g;
	struct buf el = { 0 }, rec = { 0 };
	struct rec_meta_iter it;
	char err[256];
	uint8_t tag;
	const uint8_t *v;
	uint16_t len;
	int rc;

	if (n == 0) return 0;
	rc = x509_parse_msg(p + 1, n - 1, p[0] & 1 ? X5_FORM_TLS13 : X5_FORM_TLS12, &ch);
	if (rc != 0 && rc != -1) abort();
	if ((rc == -1) != !!(ch.flags & (X5C_CUT | X5C_MALFORMED))) abort();
	if (ch.n > X5_MAX_CERTS || ch.n > ch.total || ch.nsan > X5_MAX_SAN || ch.nsan > ch.san_total) abort();
	for (unsigned i = 0; i < ch.n; i++) {
		const struct x509_cert *c = &ch.cert[i];

		check_str(c->subject, sizeof c->subject);
		check_str(c->issuer, sizeof c->issuer);
		check_str(c->serial, sizeof c->serial);
		check_str(c->key_type, sizeof c->key_type);
		check_str(c->key_group, sizeof c->key_group);
		check_str(c->sig_alg, sizeof c->sig_alg);
		if ((c->flags & (X5E_CUT | X5E_BAD)) && c->subject[0]) abort();
	}
	for (unsigned i = 0; i < ch.nsan; i++) check_str(ch.san[i], sizeof ch.san[i]);

	x509_encode_names(&ch, &el);
	x509_encode(&ch, &el);
	memset(&f, 0, sizeof f);
	f.ipv = 4;
	f.proto = 6;
	f.pkts[0] = 1;
	f.bytes[0] = f.l3_bytes[0] = 40;
	if (el.len) rec_set(&f, RE_TLS, el.p, (uint32_t)el.len);
	if (rec_encode_flow(&rec, &f, err, sizeof err) != 0) abort();
	if (rec_decode_flow(rec.p, rec.len, &g, err, sizeof err) != 0) abort();
	if (el.len) {
		rec_meta_begin(rec_find(&g, RE_TLS), &it);
		while (rec_meta_next(&it, &tag, &v, &len))
			if (fld_meta(RE_TLS, tag) == NULL) abort();
	}
	buf_free(&el);
	buf_free(&rec);
	return 0;
}
