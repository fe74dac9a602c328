/*
 * t_x509.c - unit tests of common/x509.c.  Certificates are made here
 * with libcrypto (an EC P-256 key, self-signed), so the expected fields
 * are what was put in; hostile messages are built byte by byte.
 *
 *   t_x509          the tests, as TAP
 *   t_x509 -m [-3]  read Certificate message bodies, one per line in hex,
 *                   from stdin (-3: the TLS 1.3 form) and print what
 *                   x509_parse_msg() finds, for tests/x509.t
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/evp.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "bytes.h"
#include "field.h"
#include "rec.h"
#include "rjson.h"
#include "x509.h"

#include "tap.h"

static struct x509_chain ch; /* about 15 KB: not on the stack */

/* ------------------------------------------------------------ -m mode */

static int hexval(int c)
{
	if (c >= '0' && c <= '9') return c - '0';
	if (c >= 'a' && c <= 'f') return c - 'a' + 10;
	if (c >= 'A' && c <= 'F') return c - 'A' + 10;
	return -1;
}

static void print_chain(unsigned msg)
{
	char t[21];
	unsigned i, k;

	printf("msg %u flags %u total %u n %u\n", msg, ch.flags, ch.total, ch.n);
	for (i = 0; i < ch.n; i++) {
		const struct x509_cert *c = &ch.cert[i];

		printf("cert %u flags %u\n", i, c->flags);
		if (c->flags & (X5E_CUT | X5E_BAD)) continue;
		printf("cert %u subject %s\n", i, c->subject);
		printf("cert %u issuer %s\n", i, c->issuer);
		printf("cert %u serial %s\n", i, c->serial);
		x509_time_text(c->not_before, t);
		printf("cert %u not_before %s\n", i, t);
		x509_time_text(c->not_after, t);
		printf("cert %u not_after %s\n", i, t);
		printf("cert %u sha256 ", i);
		for (k = 0; k < 32; k++) printf("%s%02X", k ? ":" : "", c->sha256[k]);
		printf("\ncert %u key %s %u%s%s\n", i, c->key_type, c->key_bits, c->key_group[0] ? " " : "",
		    c->key_group);
		printf("cert %u sig_alg %s\n", i, c->sig_alg);
	}
	printf("san_total %u\n", ch.san_total);
	for (i = 0; i < ch.nsan; i++) printf("san %s\n", ch.san[i]);
}

static int msg_mode(enum x509_form form)
{
	static uint8_t bin[1 << 20];
	char *line = NULL;
	size_t cap = 0, n, i;
	ssize_t len;
	unsigned msg = 0;

	while ((len = getline(&line, &cap, stdin)) >= 0) {
		while (len > 0 && (line[len - 1] == '\n' || line[len - 1] == '\r')) line[--len] = '\0';
		for (n = 0, i = 0; i + 1 < (size_t)len && n < sizeof bin; i += 2) {
			int hi = hexval(line[i]), lo = hexval(line[i + 1]);

			if (hi < 0 || lo < 0) {
				fprintf(stderr, "t_x509: line %u: not hex\n", msg + 1);
				return 1;
			}
			bin[n++] = (uint8_t)(hi << 4 | lo);
		}
		x509_parse_msg(bin, n, form, &ch);
		print_chain(msg++);
	}
	free(line);
	return 0;
}

/* ------------------------------------------------------- certificates */

static EVP_PKEY *key;

struct mk {
	const char *cn;       /* subject and issuer CN */
	long serial;
	int64_t not_before, not_after;
	unsigned nsan;        /* DNS names san0.example ... */
	const char *extra_ou; /* an OU, repeated 20 times when set */
};

static size_t make_cert(const struct mk *m, uint8_t **der)
{
	X509 *x = X509_new();
	X509_NAME *nm = X509_NAME_new();
	int len;

	X509_set_version(x, 2);
	ASN1_INTEGER_set(X509_get_serialNumber(x), m->serial);
	X509_NAME_add_entry_by_txt(nm, "CN", MBSTRING_UTF8, (const unsigned char *)m->cn, -1, -1, 0);
	for (int i = 0; m->extra_ou && i < 20; i++)
		X509_NAME_add_entry_by_txt(nm, "OU", MBSTRING_UTF8, (const unsigned char *)m->extra_ou, -1,
		    -1, 0);
	X509_set_subject_name(x, nm);
	X509_set_issuer_name(x, nm);
	ASN1_TIME_set(X509_getm_notBefore(x), (time_t)m->not_before);
	ASN1_TIME_set(X509_getm_notAfter(x), (time_t)m->not_after);
	X509_set_pubkey(x, key);
	if (m->nsan) {
		GENERAL_NAMES *g = sk_GENERAL_NAME_new_null();
		char dns[32];

		for (unsigned i = 0; i < m->nsan; i++) {
			GENERAL_NAME *gn = GENERAL_NAME_new();
			ASN1_IA5STRING *s = ASN1_IA5STRING_new();

			snprintf(dns, sizeof dns, "san%u.example", i);
			ASN1_STRING_set(s, dns, -1);
			GENERAL_NAME_set0_value(gn, GEN_DNS, s);
			sk_GENERAL_NAME_push(g, gn);
		}
		X509_add1_ext_i2d(x, NID_subject_alt_name, g, 0, X509V3_ADD_DEFAULT);
		GENERAL_NAMES_free(g);
	}
	if (X509_sign(x, key, EVP_sha256()) <= 0) abort();
	*der = NULL;
	len = i2d_X509(x, der);
	if (len <= 0) abort();
	X509_NAME_free(nm);
	X509_free(x);
	return (size_t)len;
}

/* A TLS 1.2 message around ders: list length, then length + DER each. */
static void put24(struct buf *b, size_t v)
{
	buf_put8(b, (uint8_t)(v >> 16));
	buf_put16(b, (uint16_t)v);
}

static void msg12(struct buf *b, uint8_t *const *ders, const size_t *lens, unsigned n)
{
	size_t total = 0;

	buf_reset(b);
	for (unsigned i = 0; i < n; i++) total += 3 + lens[i];
	put24(b, total);
	for (unsigned i = 0; i < n; i++) {
		put24(b, lens[i]);
		buf_put(b, ders[i], lens[i]);
	}
}

/* ------------------------------------------------------------- tests */

static void t_time(void)
{
	char t[21];

	x509_time_text(0, t);
	ok(strcmp(t, "1970-01-01T00:00:00Z") == 0, "time 0: %s", t);
	x509_time_text(1700000000, t);
	ok(strcmp(t, "2023-11-14T22:13:20Z") == 0, "time 1700000000: %s", t);
	x509_time_text(-1, t);
	ok(strcmp(t, "1969-12-31T23:59:59Z") == 0, "time -1: %s", t);
	x509_time_text(253402300799, t);
	ok(strcmp(t, "9999-12-31T23:59:59Z") == 0, "time 9999-12-31T23:59:59Z");
	x509_time_text(951782400, t);
	ok(strcmp(t, "2000-02-29T00:00:00Z") == 0, "time of a leap day: %s", t);
}

static void t_one(void)
{
	struct mk m = { "test.example", 0x0102, 1700000000, 2000000000, 3, NULL };
	uint8_t *der, md[32];
	size_t len = make_cert(&m, &der);
	struct buf b = { 0 };
	const struct x509_cert *c = &ch.cert[0];

	msg12(&b, &der, &len, 1);
	is(x509_parse_msg(b.p, b.len, X5_FORM_TLS12, &ch), 0, "one certificate: well formed");
	is(ch.total, 1, "total 1");
	is(ch.n, 1, "n 1");
	is(ch.flags, 0, "no chain flags");
	is(c->flags, 0, "no entry flags");
	ok(strcmp(c->subject, "CN=test.example") == 0, "subject: %s", c->subject);
	ok(strcmp(c->issuer, "CN=test.example") == 0, "issuer: %s", c->issuer);
	ok(strcmp(c->serial, "0102") == 0, "serial: %s", c->serial);
	is(c->not_before, 1700000000, "not_before");
	is(c->not_after, 2000000000, "not_after");
	ok(strcmp(c->key_type, "ec") == 0 && c->key_bits == 256 && strcmp(c->key_group, "prime256v1") == 0,
	    "key: %s %u %s", c->key_type, c->key_bits, c->key_group);
	ok(strcmp(c->sig_alg, "ecdsa-with-SHA256") == 0, "sig_alg: %s", c->sig_alg);
	EVP_Digest(der, len, md, NULL, EVP_sha256(), NULL);
	ok(memcmp(md, c->sha256, 32) == 0 && c->der_len == len, "sha256 of the DER");
	ok(ch.san_total == 3 && ch.nsan == 3 && strcmp(ch.san[0], "san0.example") == 0 &&
	    strcmp(ch.san[2], "san2.example") == 0, "three SAN DNS names");

	/* every proper prefix: cut, never a crash, never a decoded certificate */
	{
		unsigned bad = 0;

		for (size_t k = 0; k < b.len; k++) {
			int rc = x509_parse_msg(b.p, k, X5_FORM_TLS12, &ch);

			if (rc != -1 || !(ch.flags & X5C_CUT) || (ch.n && !(ch.cert[0].flags & X5E_CUT)))
				bad++;
		}
		is(bad, 0, "each of the %zu prefixes is cut", b.len);
	}
	/* trailing bytes inside the entry: decoded, flagged */
	{
		uint8_t *d2 = malloc(len + 2);
		size_t l2 = len + 2;

		memcpy(d2, der, len);
		d2[len] = d2[len + 1] = 0;
		msg12(&b, &d2, &l2, 1);
		x509_parse_msg(b.p, b.len, X5_FORM_TLS12, &ch);
		ok(ch.cert[0].flags == X5E_TRAILING && strcmp(ch.cert[0].subject, "CN=test.example") == 0,
		    "trailing bytes in the entry: decoded, flag trailing");
		free(d2);
	}
	/* bytes after the list */
	msg12(&b, &der, &len, 1);
	buf_put8(&b, 0);
	is(x509_parse_msg(b.p, b.len, X5_FORM_TLS12, &ch), -1, "a byte after the list: -1");
	ok(ch.flags == X5C_MALFORMED && ch.n == 1 && ch.cert[0].flags == 0, "malformed, certificate decoded");
	OPENSSL_free(der);
	buf_free(&b);
}

static void t_tls13(void)
{
	struct mk m = { "v13.example", 7, 1700000000, 1800000000, 1, NULL };
	uint8_t *der;
	size_t len = make_cert(&m, &der);
	struct buf b = { 0 };

	/* context "ab", one entry with 4 bytes of extensions, one with none */
	buf_put8(&b, 2);
	buf_put(&b, "ab", 2);
	put24(&b, 2 * (3 + len + 2) + 4);
	put24(&b, len);
	buf_put(&b, der, len);
	buf_put16(&b, 4);
	buf_put32(&b, 0x00050000);
	put24(&b, len);
	buf_put(&b, der, len);
	buf_put16(&b, 0);
	is(x509_parse_msg(b.p, b.len, X5_FORM_TLS13, &ch), 0, "TLS 1.3 form: well formed");
	ok(ch.flags == X5C_TLS13 && ch.total == 2 && ch.n == 2 && ch.cert[1].flags == 0 &&
	    strcmp(ch.cert[1].subject, "CN=v13.example") == 0, "TLS 1.3 form: two certificates");
	/* the same bytes read as TLS 1.2 do not add up */
	is(x509_parse_msg(b.p, b.len, X5_FORM_TLS12, &ch), -1, "TLS 1.3 bytes as TLS 1.2: -1");
	/* extensions length past the list */
	b.p[b.len - 1] = 9;
	is(x509_parse_msg(b.p, b.len, X5_FORM_TLS13, &ch), -1, "extensions past the list: -1");
	ok(ch.flags & X5C_MALFORMED, "extensions past the list: malformed");
	OPENSSL_free(der);
	buf_free(&b);
}

static void t_hostile(void)
{
	static const uint8_t zero[] = { 0, 0, 3, 0, 0, 0 };
	static const uint8_t garbage[] = { 0, 0, 8, 0, 0, 5, 0x30, 0x03, 0x02, 0x01, 0x01 };
	static const uint8_t past[] = { 0, 0, 6, 0, 0, 100, 0x30, 0x80, 0 };
	static const uint8_t listpast[] = { 0, 0x10, 0, 0, 0, 1, 0x30 };
	static const uint8_t half[] = { 0, 0, 2, 0, 0 };
	static const uint8_t huge[] = { 0, 0, 3, 0xff, 0xff, 0xff };
	struct buf b = { 0 };

	is(x509_parse_msg(NULL, 0, X5_FORM_TLS12, &ch), -1, "empty message: -1");
	ok(ch.flags == X5C_CUT && ch.total == 0 && ch.n == 0, "empty message: cut, nothing");
	is(x509_parse_msg(NULL, 0, X5_FORM_TLS13, &ch), -1, "empty TLS 1.3 message: -1");
	is(x509_parse_msg(zero, sizeof zero, X5_FORM_TLS12, &ch), 0, "zero-length entry: well formed");
	ok(ch.total == 1 && ch.n == 1 && ch.cert[0].flags == X5E_BAD, "zero-length entry: bad");
	is(x509_parse_msg(garbage, sizeof garbage, X5_FORM_TLS12, &ch), 0, "garbage DER: well formed");
	ok(ch.n == 1 && ch.cert[0].flags == X5E_BAD && ch.cert[0].subject[0] == '\0' && ch.cert[0].der_len == 5,
	    "garbage DER: bad, no subject");
	is(x509_parse_msg(past, sizeof past, X5_FORM_TLS12, &ch), -1, "entry past the list: -1");
	ok(ch.flags == X5C_MALFORMED && ch.n == 1 && ch.cert[0].flags == X5E_CUT && ch.cert[0].der_len == 100,
	    "entry past the list: malformed, entry cut");
	is(x509_parse_msg(listpast, sizeof listpast, X5_FORM_TLS12, &ch), -1, "list past the message: -1");
	ok(ch.flags == X5C_CUT && ch.n == 1 && ch.cert[0].flags == X5E_BAD, "list past the message: cut");
	is(x509_parse_msg(half, sizeof half, X5_FORM_TLS12, &ch), -1, "half an entry length: -1");
	ok(ch.flags == X5C_MALFORMED && ch.total == 0, "half an entry length: malformed, no entry");
	is(x509_parse_msg(huge, sizeof huge, X5_FORM_TLS12, &ch), -1, "entry of 16 MB in 6 bytes: -1");
	ok(ch.n == 1 && ch.cert[0].flags == X5E_CUT && ch.cert[0].der_len == 0xffffff, "16 MB entry: cut");

	/* 10,000 empty entries: counted, 8 decoded, capped */
	put24(&b, 3 * 10000);
	for (unsigned i = 0; i < 10000; i++) put24(&b, 0);
	is(x509_parse_msg(b.p, b.len, X5_FORM_TLS12, &ch), 0, "10000 empty entries: well formed");
	ok(ch.total == 10000 && ch.n == X5_MAX_CERTS && ch.flags == X5C_CAPPED, "10000 entries: %u, %u kept, capped",
	    ch.total, ch.n);
	/* 70,000: the count stops at 65535 */
	buf_reset(&b);
	put24(&b, 3 * 70000);
	for (unsigned i = 0; i < 70000; i++) put24(&b, 0);
	x509_parse_msg(b.p, b.len, X5_FORM_TLS12, &ch);
	is(ch.total, 65535, "70000 entries: total stops at 65535");
	buf_free(&b);
}

static void t_bounds(void)
{
	/* 10,000 SAN names; a subject far over its bound; 9 certificates; a negative serial */
	static const char ou[] = "\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9"
				 "\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9"; /* 15 x U+00E9 */
	struct mk big = { "many.example", 1, 0, 4102444800, 10000, NULL };
	struct mk longname = { "x", -1, 1700000000, 1700000001, 0, ou };
	uint8_t *ders[9];
	size_t lens[9];
	struct buf b = { 0 };
	size_t sl;
	unsigned i;

	ders[0] = NULL;
	lens[0] = make_cert(&big, &ders[0]);
	lens[1] = make_cert(&longname, &ders[1]);
	for (i = 2; i < 9; i++) {
		ders[i] = ders[1];
		lens[i] = lens[1];
	}
	msg12(&b, ders, lens, 9);
	is(x509_parse_msg(b.p, b.len, X5_FORM_TLS12, &ch), 0, "9 certificates (one with 10000 SANs): well formed");
	ok(ch.total == 9 && ch.n == 8 && ch.flags == X5C_CAPPED, "9 certificates: 8 kept, capped");
	ok(ch.san_total == 10000 && ch.nsan == X5_MAX_SAN && (ch.cert[0].flags & X5E_SAN_CAP) &&
	    strcmp(ch.san[15], "san15.example") == 0, "10000 SANs: counted, 16 kept, flag san_capped");
	ok(ch.cert[0].not_after == 4102444800 && ch.cert[0].not_before == 0, "validity 1970 to 2100");
	sl = strlen(ch.cert[1].subject);
	ok(sl <= X5_MAX_NAME - 1 && sl > 400 && (ch.cert[1].flags & X5E_TEXT_CUT), "long subject cut to %zu bytes",
	    sl);
	ok(strncmp(ch.cert[1].subject, "OU=\xc3\xa9\xc3\xa9", 7) == 0,
	    "subject in RFC 4514 order (last RDN first), UTF-8 kept");
	ok((ch.cert[1].subject[sl - 1] & 0xc0) != 0xc0, "the cut is at a character boundary");
	ok(strcmp(ch.cert[1].serial, "-01") == 0, "negative serial: %s", ch.cert[1].serial);

	/* The encoding of this chain is a valid TLS element with every tag known. */
	{
		struct buf el = { 0 }, rec = { 0 }, js = { 0 };
		struct rec_flow f, g;
		struct rec_meta_iter it;
		char err[256];
		uint8_t tag;
		const uint8_t *v;
		uint16_t n;
		unsigned nf = 0, unknown = 0, nsan = 0, nsub = 0, nbits = 0;

		memset(&f, 0, sizeof f);
		f.ipv = 4;
		f.proto = 6;
		f.first_ns = f.last_ns = 1700000000000000000ull;
		f.pkts[0] = 1;
		f.bytes[0] = 40;
		f.l3_bytes[0] = 40;
		buf_put8(&el, 3);
		buf_put16(&el, 12);
		buf_put(&el, "many.example", 12);
		x509_encode_names(&ch, &el);
		buf_put8(&el, 11);
		buf_put16(&el, 3);
		buf_put(&el, "ja3", 3);
		x509_encode(&ch, &el);
		rec_set(&f, RE_TLS, el.p, (uint32_t)el.len);
		ok(rec_encode_flow(&rec, &f, err, sizeof err) == 0, "record encodes");
		ok(rec_decode_flow(rec.p, rec.len, &g, err, sizeof err) == 0, "record decodes: %s",
		    rec_decode_flow(rec.p, rec.len, &g, err, sizeof err) ? err : "ok");
		rec_meta_begin(rec_find(&g, RE_TLS), &it);
		while (rec_meta_next(&it, &tag, &v, &n)) {
			nf++;
			if (fld_meta(RE_TLS, tag) == NULL) unknown++;
			if (tag == X5_TAG_SAN_DNS) nsan++;
			if (tag == X5_TAG_SUBJECT) nsub++;
			if (tag == X5_TAG_KEY_BITS && n == 2 && be16(v) == 256) nbits++;
		}
		ok(unknown == 0 && nsan == 16 && nsub == 8 && nbits == 8, "%u fields, every tag known, 16 SANs, 8 subjects",
		    nf);
		rj_put_flow(&js, &g, 0);
		buf_put8(&js, 0);
		ok(strstr((char *)js.p, "\"cert_count\":9,\"cert_flags\":2,") &&
		    strstr((char *)js.p, "\"cert_not_after\":[\"2100-01-01T00:00:00Z\",") &&
		    strstr((char *)js.p, "\"cert_key_group\":[\"prime256v1\","),
		    "flow-json shows the certificate fields");
		{
			struct rj_dec *d = rj_dec_new();

			ok(rj_decode_line(d, (const char *)js.p, js.len - 1) == RJ_FLOW && d->rec.len == rec.len &&
			    memcmp(d->rec.p, rec.p, rec.len) == 0, "and reads them back to the same record");
			rj_dec_free(d);
		}
		buf_free(&el);
		buf_free(&rec);
		buf_free(&js);
	}
	/* an empty chain encodes to nothing */
	{
		struct buf el = { 0 };

		memset(&ch, 0, sizeof ch);
		x509_encode_names(&ch, &el);
		x509_encode(&ch, &el);
		is(el.len, 0, "an empty chain encodes to nothing");
		buf_free(&el);
	}
	OPENSSL_free(ders[0]);
	OPENSSL_free(ders[1]);
	buf_free(&b);
}

static bool cert_eq(const struct x509_cert *a, const struct x509_cert *b)
{
	return a->flags == b->flags && a->der_len == b->der_len && !memcmp(a->sha256, b->sha256, 32) &&
	    !strcmp(a->subject, b->subject) && !strcmp(a->issuer, b->issuer) &&
	    !strcmp(a->serial, b->serial) && a->not_before == b->not_before &&
	    a->not_after == b->not_after && !strcmp(a->key_type, b->key_type) &&
	    !strcmp(a->key_group, b->key_group) && a->key_bits == b->key_bits &&
	    !strcmp(a->sig_alg, b->sig_alg);
}

/* The table of decoded certificates: a hit gives what a decode gives. */
static void t_cache(void)
{
	enum { N = 300 };
	static struct x509_cert first[N];
	static char subj[N][32];
	struct x509_cert again, nochain;
	uint8_t *der[N];
	size_t len[N];
	unsigned bad = 0, i;

	for (i = 0; i < N; i++) {
		struct mk m = { subj[i], (long)i + 1, 1700000000, 2000000000, i % 4, NULL };

		snprintf(subj[i], sizeof subj[i], "c%u.example", i);
		len[i] = make_cert(&m, &der[i]);
		x509_parse_der(der[i], len[i], &first[i], &ch);
	}
	/* again, after 300 others went through a table of 128 */
	for (i = 0; i < N; i++) {
		char want[40];

		snprintf(want, sizeof want, "CN=%s", subj[i]);
		x509_parse_der(der[i], len[i], &again, &ch);
		x509_parse_der(der[i], len[i], &nochain, NULL);
		if (!cert_eq(&again, &first[i]) || strcmp(again.subject, want) != 0 ||
		    ch.nsan != i % 4 || !cert_eq(&nochain, &again))
			bad++;
		OPENSSL_free(der[i]);
	}
	is(bad, 0, "300 certificates decoded twice: the same results, SANs with a chain only");
}

int main(int argc, char **argv)
{
	if (argc >= 2 && strcmp(argv[1], "-m") == 0)
		return msg_mode(argc == 3 && strcmp(argv[2], "-3") == 0 ? X5_FORM_TLS13 : X5_FORM_TLS12);
	key = EVP_EC_gen("P-256");
	if (key == NULL) abort();
	t_time();
	t_one();
	t_tls13();
	t_hostile();
	t_bounds();
	t_cache();
	EVP_PKEY_free(key);
	printf("1..%u\n", ntest);
	return nfail != 0;
}
