/*
 * x509.c - the TLS Certificate message (RFC 5246 7.4.2, RFC 8446 4.4.2)
 * and its X.509 certificates (RFC 5280) through libcrypto.  Lengths come
 * from the wire and are checked with the cursors of bytes.h; libcrypto
 * only ever sees one entry's bytes.
 */
#include "x509.h"

#include <stdlib.h>
#include <string.h>

#include <openssl/asn1.h>
#include <openssl/bio.h>
#include <openssl/core_names.h>
#include <openssl/ec.h>
#include <openssl/evp.h>
#include <openssl/objects.h>
#include <openssl/provider.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "bytes.h"
#include "digest.h"

static bool cur_u24(struct cur *c, uint32_t *v)
{
	const uint8_t *p;

	if (!cur_bytes(c, 3, &p)) return false;
	*v = (uint32_t)p[0] << 16 | (uint32_t)p[1] << 8 | p[2];
	return true;
}

/*
 * Copy n bytes of text into dst[cap] with a NUL; a NUL inside becomes
 * '?'.  Text longer than cap - 1 is cut before a UTF-8 continuation byte
 * so that what is kept stays well formed, and *flags gets X5E_TEXT_CUT.
 */
static void copy_text(char *dst, size_t cap, const void *src, size_t n, uint8_t *flags, uint8_t cutflag)
{
	const uint8_t *s = src;
	size_t i;

	if (n > cap - 1) {
		n = cap - 1;
		while (n > 0 && (s[n] & 0xc0) == 0x80) n--;
		*flags |= cutflag;
	}
	for (i = 0; i < n; i++) dst[i] = s[i] ? (char)s[i] : '?';
	dst[n] = '\0';
}

static void name_text(const X509_NAME *nm, char *dst, size_t cap, uint8_t *flags)
{
	/* RFC 4514 (as RFC 2253: most specific RDN first), UTF-8 kept as it is */
	const unsigned long fl = XN_FLAG_RFC2253 & ~(unsigned long)ASN1_STRFLGS_ESC_MSB;
	BIO *b = BIO_new(BIO_s_mem());
	char *p;
	long n;

	dst[0] = '\0';
	if (b == NULL || nm == NULL) goto out;
	if (X509_NAME_print_ex(b, nm, 0, fl) < 0) goto out;
	n = BIO_get_mem_data(b, &p);
	if (n > 0) copy_text(dst, cap, p, (size_t)n, flags, X5E_TEXT_CUT);
out:
	BIO_free(b);
}

static void serial_text(const ASN1_INTEGER *s, char *dst, size_t cap, uint8_t *flags)
{
	static const char hex[] = "0123456789ABCDEF";
	const uint8_t *d = ASN1_STRING_get0_data(s);
	int n = ASN1_STRING_length(s);
	size_t o = 0;

	if (ASN1_STRING_type(s) == V_ASN1_NEG_INTEGER) dst[o++] = '-';
	if (n <= 0) {
		memcpy(dst + o, "00", 3);
		return;
	}
	for (int i = 0; i < n; i++) {
		if (o + 3 > cap) {
			*flags |= X5E_TEXT_CUT;
			break;
		}
		dst[o++] = hex[d[i] >> 4];
		dst[o++] = hex[d[i] & 15];
	}
	dst[o] = '\0';
}

/* Days from 1970-01-01 to y-m-d of the proleptic Gregorian calendar. */
static int64_t days_from_civil(int64_t y, int m, int d)
{
	int64_t era, yoe, doy, doe;

	y -= m <= 2;
	era = (y >= 0 ? y : y - 399) / 400;
	yoe = y - era * 400;
	doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + doe - 719468;
}

static bool time_unix(const ASN1_TIME *t, int64_t *out)
{
	struct tm tm;

	if (t == NULL || ASN1_TIME_to_tm(t, &tm) != 1) return false;
	*out = days_from_civil((int64_t)tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday) * 86400 +
	    tm.tm_hour * 3600 + tm.tm_min * 60 + tm.tm_sec;
	return true;
}

/* n decimal digits of v, zero-padded, no NUL */
static void digits(char *s, unsigned v, int n)
{
	while (n-- > 0) {
		s[n] = (char)('0' + v % 10);
		v /= 10;
	}
}

void x509_time_text(int64_t t, char s[21])
{
	int64_t days = t >= 0 ? t / 86400 : -((-t + 86399) / 86400);
	int64_t sec = t - days * 86400, z = days + 719468, era, doe, yoe, y, doy, mp, d, m;

	era = (z >= 0 ? z : z - 146096) / 146097;
	doe = z - era * 146097;
	yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	y = yoe + era * 400;
	doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	mp = (5 * doy + 2) / 153;
	d = doy - (153 * mp + 2) / 5 + 1;
	m = mp < 10 ? mp + 3 : mp - 9;
	y += m <= 2;
	if (y < 0 || y > 9999) {
		memcpy(s, y < 0 ? "0000-01-01T00:00:00Z" : "9999-12-31T23:59:59Z", 21);
		return;
	}
	digits(s, (unsigned)y, 4);
	s[4] = '-';
	digits(s + 5, (unsigned)m, 2);
	s[7] = '-';
	digits(s + 8, (unsigned)d, 2);
	s[10] = 'T';
	digits(s + 11, (unsigned)(sec / 3600), 2);
	s[13] = ':';
	digits(s + 14, (unsigned)(sec / 60 % 60), 2);
	s[16] = ':';
	digits(s + 17, (unsigned)(sec % 60), 2);
	s[19] = 'Z';
	s[20] = '\0';
}

static const char *key_name(int nid)
{
	switch (nid) {
	case NID_rsaEncryption: return "rsa";
	case NID_rsassaPss: return "rsa-pss";
	case NID_X9_62_id_ecPublicKey: return "ec";
	case NID_ED25519: return "ed25519";
	case NID_ED448: return "ed448";
	case NID_X25519: return "x25519";
	case NID_X448: return "x448";
	case NID_dsa: return "dsa";
	case NID_dhKeyAgreement: case NID_dhpublicnumber: return "dh";
	default: return NULL;
	}
}

/*
 * A library context holding only the null provider.  d2i_X509 decodes
 * the public key through the provider machinery, some 1,300,000
 * instructions a certificate, and gives up quietly when there is no
 * decoder: decoded in this context, a certificate has every field but
 * its EVP_PKEY.  An RSA key's size is then read here from the key bits
 * (rsa_bits); any other key, or an RSA key in an unusual form, is left
 * to a second d2i_X509 in the default context, as before.
 */
static OSSL_LIB_CTX *keyless_ctx(void)
{
	static OSSL_LIB_CTX *kl;
	static bool tried;

	if (!tried) {
		tried = true;
		if ((kl = OSSL_LIB_CTX_new()) != NULL && OSSL_PROVIDER_load(kl, "null") == NULL) {
			OSSL_LIB_CTX_free(kl);
			kl = NULL;
		}
	}
	return kl;
}

/* A DER length (X.690 10.1: minimal, definite) of at most 4 bytes. */
static bool der_length(struct cur *c, size_t *n)
{
	uint8_t b, k;

	if (!cur_u8(c, &b)) return false;
	if (b < 0x80) {
		*n = b;
		return true;
	}
	k = b & 0x7f;
	if (k == 0 || k > 4 || !cur_u8(c, &b) || b == 0) return false; /* no leading zero byte */
	*n = b;
	while (--k) {
		if (!cur_u8(c, &b)) return false;
		*n = *n << 8 | b;
	}
	return *n >= 0x80 && *n <= cur_left(c);
}

/* A positive INTEGER in minimal form; its size in bits. */
static bool der_uint_bits(struct cur *c, unsigned *bits)
{
	const uint8_t *v;
	uint8_t tag;
	size_t n;
	unsigned top;

	if (!cur_u8(c, &tag) || tag != 0x02 || !der_length(c, &n) || n == 0 || !cur_bytes(c, n, &v))
		return false;
	if (v[0] & 0x80) return false;                             /* negative */
	if (v[0] == 0 && (n == 1 || !(v[1] & 0x80))) return false; /* zero, or not minimal */
	if (v[0] == 0) {
		v++;
		n--;
	}
	for (top = 8; !(v[0] >> (top - 1) & 1); top--) continue;
	*bits = (unsigned)(n - 1) * 8 + top;
	return true;
}

/* The modulus size of an rsaEncryption key whose parameters are NULL or
 * absent and whose bits are exactly RSAPublicKey (RFC 8017 A.1.1) in
 * plain DER, a modulus of at most 16384 bits; false: ask libcrypto. */
static bool rsa_bits(X509_PUBKEY *pub, unsigned *bits)
{
	ASN1_OBJECT *oid = NULL;
	X509_ALGOR *alg = NULL;
	const unsigned char *pk = NULL;
	const void *pval;
	int pklen = 0, ptype;
	struct cur c, seq;
	uint8_t tag;
	size_t n;
	unsigned eb;

	if (X509_PUBKEY_get0_param(&oid, &pk, &pklen, &alg, pub) != 1 || oid == NULL || alg == NULL ||
	    pk == NULL || OBJ_obj2nid(oid) != NID_rsaEncryption)
		return false;
	X509_ALGOR_get0(NULL, &ptype, &pval, alg);
	if (ptype != V_ASN1_NULL && ptype != V_ASN1_UNDEF) return false;
	c = cur_make(pk, (size_t)pklen);
	if (!cur_u8(&c, &tag) || tag != 0x30 || !der_length(&c, &n) || n != cur_left(&c)) return false;
	cur_sub(&c, n, &seq);
	if (!der_uint_bits(&seq, bits) || !der_uint_bits(&seq, &eb) || cur_left(&seq) != 0) return false;
	return *bits <= 16384 && eb <= 64;
}

/*
 * The size (and for EC the group) of a key that libcrypto's decoder
 * would give without being asked: Ed25519, X25519, Ed448 and X448 with
 * absent parameters and a key of their length (RFC 8410 3, 4), and
 * id-ecPublicKey over P-256, P-384 or P-521 by namedCurve (RFC 5480
 * 2.1.1) whose point the curve accepts.  The bits are those of
 * EVP_PKEY_get_bits (the order's bits for EC; 256 for Ed25519, 253 for X25519), the name
 * that of OSSL_PKEY_PARAM_GROUP_NAME.  false: ask libcrypto.
 */
static bool other_bits(X509_PUBKEY *pub, unsigned *bits, char *group, size_t gcap)
{
	static const struct { int nid; unsigned len, bits; } ecx[] = {
		{ NID_ED25519, 32, 256 }, { NID_X25519, 32, 253 }, { NID_ED448, 57, 456 }, { NID_X448, 56, 448 },
	};
	static const struct { int nid; const char *name; } curves[] = {
		{ NID_X9_62_prime256v1, "prime256v1" }, { NID_secp384r1, "secp384r1" },
		{ NID_secp521r1, "secp521r1" },
	};
	ASN1_OBJECT *oid = NULL;
	X509_ALGOR *alg = NULL;
	const unsigned char *pk = NULL;
	const void *pval;
	int pklen = 0, ptype, nid, cn;
	EC_GROUP *g;
	EC_POINT *pt;
	size_t i;
	bool ok;

	if (X509_PUBKEY_get0_param(&oid, &pk, &pklen, &alg, pub) != 1 || oid == NULL || alg == NULL ||
	    pk == NULL)
		return false;
	nid = OBJ_obj2nid(oid);
	X509_ALGOR_get0(NULL, &ptype, &pval, alg);
	for (i = 0; i < sizeof ecx / sizeof ecx[0]; i++) {
		if (ecx[i].nid != nid) continue;
		if (ptype != V_ASN1_UNDEF || (unsigned)pklen != ecx[i].len) return false;
		*bits = ecx[i].bits;
		return true;
	}
	if (nid != NID_X9_62_id_ecPublicKey || ptype != V_ASN1_OBJECT || pval == NULL) return false;
	cn = OBJ_obj2nid(pval);
	for (i = 0; i < sizeof curves / sizeof curves[0] && curves[i].nid != cn; i++) continue;
	if (i == sizeof curves / sizeof curves[0] || strlen(curves[i].name) >= gcap) return false;
	/* the decoder refuses a point off the curve: the key is then absent */
	if ((g = EC_GROUP_new_by_curve_name(cn)) == NULL) return false;
	pt = EC_POINT_new(g);
	ok = pt && EC_POINT_oct2point(g, pt, pk, (size_t)pklen, NULL) == 1;
	if (ok) *bits = (unsigned)EC_GROUP_order_bits(g);
	EC_POINT_free(pt);
	EC_GROUP_free(g);
	if (ok) memcpy(group, curves[i].name, strlen(curves[i].name) + 1);
	return ok;
}

/* The key's fields from x; NULL full when x was decoded keyless.  false
 * when the default context refuses the certificate that the keyless one
 * read (then, as before, it is X5E_BAD). */
static bool key_info(X509 *x, bool keyless, const uint8_t *der, size_t len, struct x509_cert *c)
{
	X509_PUBKEY *pub = X509_get_X509_PUBKEY(x);
	ASN1_OBJECT *oid = NULL;
	EVP_PKEY *pk;
	X509 *full = NULL;
	const char *kn;
	unsigned rb;
	int bits;

	if (pub && X509_PUBKEY_get0_param(&oid, NULL, NULL, NULL, pub) == 1 && oid) {
		kn = key_name(OBJ_obj2nid(oid));
		if (kn)
			copy_text(c->key_type, sizeof c->key_type, kn, strlen(kn), &c->flags, X5E_TEXT_CUT);
		else if (OBJ_obj2txt(c->key_type, sizeof c->key_type, oid, 1) >= (int)sizeof c->key_type)
			c->flags |= X5E_TEXT_CUT;
	}
	if (keyless && pub && (rsa_bits(pub, &rb) ||
	    other_bits(pub, &rb, c->key_group, sizeof c->key_group))) {
		c->key_bits = (uint16_t)rb;
		return true;
	}
	if (keyless) {
		const unsigned char *p = der;

		if ((full = d2i_X509(NULL, &p, (long)len)) == NULL) return false;
		x = full;
	}
	pk = X509_get0_pubkey(x); /* cached in x, not ours to free */
	if (pk == NULL) {
		c->flags |= X5E_NO_KEY;
		X509_free(full);
		return true;
	}
	bits = EVP_PKEY_get_bits(pk);
	c->key_bits = bits > 0 && bits <= UINT16_MAX ? (uint16_t)bits : 0;
	if (EVP_PKEY_get_base_id(pk) == EVP_PKEY_EC &&
	    EVP_PKEY_get_utf8_string_param(pk, OSSL_PKEY_PARAM_GROUP_NAME, c->key_group,
	        sizeof c->key_group, NULL) != 1)
		c->key_group[0] = '\0';
	X509_free(full);
	return true;
}

/* The SAN DNS names of a certificate: where they go, and the flag a cut sets. */
struct sanlist {
	uint8_t flags;
	uint32_t total;
	uint8_t n;
	char name[X5_MAX_SAN][X5_MAX_DNS];
};

static void san_names(X509 *x, struct sanlist *sl)
{
	GENERAL_NAMES *g = X509_get_ext_d2i(x, NID_subject_alt_name, NULL, NULL);
	int i, n;

	if (g == NULL) return;
	n = sk_GENERAL_NAME_num(g);
	for (i = 0; i < n; i++) {
		const GENERAL_NAME *gn = sk_GENERAL_NAME_value(g, i);
		const ASN1_STRING *s;

		if (gn == NULL || gn->type != GEN_DNS) continue;
		s = gn->d.dNSName;
		if (sl->total < UINT32_MAX) sl->total++;
		if (sl->n == X5_MAX_SAN) {
			sl->flags |= X5E_SAN_CAP;
			continue;
		}
		copy_text(sl->name[sl->n++], X5_MAX_DNS, ASN1_STRING_get0_data(s),
		    (size_t)ASN1_STRING_length(s), &sl->flags, X5E_SAN_CAP);
	}
	GENERAL_NAMES_free(g);
}

/*
 * The certificates decoded last, by their DER bytes: d2i_X509 of OpenSSL
 * 3 decodes the public key through its provider machinery, some
 * 1,500,000 instructions a certificate, and even its SHA-256 costs some
 * 40 instructions a byte, while a capture meets the same server
 * certificates over and over.  A set-associative table of X5_SETS sets of
 * X5_WAYS entries, chosen by a hash of the length and the last bytes (the
 * signature); an entry holds a copy of the DER (certificates up to
 * X5_CACHE_DER bytes), compared whole on lookup, and the exact result of
 * decoding it, SHA-256 included, so a hit changes nothing in the output.
 * Entries are allocated when first filled (at most X5_SETS * X5_WAYS of
 * about 5 KB and their DER) and kept for the process.  A direct-mapped
 * table of 128 entries by SHA-256 missed one lookup in six on the bench
 * capture, whose 86 distinct certificates collided in it.
 */
#define X5_SETS 256
#define X5_WAYS 4
#define X5_CACHE_DER 8192

struct x5_cached {
	uint32_t len;
	struct x509_cert c;      /* without the SAN cut flag */
	struct sanlist san;
	uint8_t der[];           /* len bytes */
};

struct x5_set {
	struct x5_cached *way[X5_WAYS];
	uint8_t next;            /* the way a miss replaces when all are used */
};

static struct x5_set *x5_cache;

static unsigned der_set(const uint8_t *der, size_t len)
{
	uint32_t h = 2166136261u ^ (uint32_t)len;
	size_t i = len > 32 ? len - 32 : 0;

	for (; i < len; i++) h = (h ^ der[i]) * 16777619u;
	return (h ^ h >> 16) % X5_SETS;
}

static void decode(const uint8_t *der, size_t len, struct x509_cert *c, struct sanlist *sl)
{
	const unsigned char *p = der;
	const X509_ALGOR *alg = NULL;
	const ASN1_OBJECT *sigoid = NULL;
	OSSL_LIB_CTX *kl = keyless_ctx();
	struct x509_cert before = *c;
	X509 *x = NULL;

	if (len == 0 || len > 0x7fffffff) {
		c->flags |= X5E_BAD;
		return;
	}
	if (kl) x = (X509 *)ASN1_item_d2i_ex(NULL, &p, (long)len, ASN1_ITEM_rptr(X509), kl, NULL);
	if (x == NULL) { /* as before, in the default context */
		kl = NULL;
		p = der;
		x = d2i_X509(NULL, &p, (long)len);
	}
	if (x == NULL) {
		c->flags |= X5E_BAD;
		return;
	}
	if ((size_t)(p - der) < len) c->flags |= X5E_TRAILING;
	name_text(X509_get_subject_name(x), c->subject, sizeof c->subject, &c->flags);
	name_text(X509_get_issuer_name(x), c->issuer, sizeof c->issuer, &c->flags);
	serial_text(X509_get0_serialNumber(x), c->serial, sizeof c->serial, &c->flags);
	if (!time_unix(X509_get0_notBefore(x), &c->not_before) ||
	    !time_unix(X509_get0_notAfter(x), &c->not_after)) {
		c->not_before = c->not_after = 0;
		c->flags |= X5E_NO_TIME;
	}
	if (!key_info(x, kl != NULL, der, len, c)) {
		X509_free(x);
		*c = before;
		c->flags |= X5E_BAD;
		return;
	}
	X509_get0_signature(NULL, &alg, x);
	if (alg) X509_ALGOR_get0(&sigoid, NULL, NULL, alg);
	if (sigoid && OBJ_obj2txt(c->sig_alg, sizeof c->sig_alg, sigoid, 0) >= (int)sizeof c->sig_alg)
		c->flags |= X5E_TEXT_CUT;
	san_names(x, sl);
	X509_free(x);
}

/* decode der into *e (cleared first), with its SHA-256 (zero when libcrypto fails) */
static void decode_entry(const uint8_t *der, size_t len, const struct x509_cert *c0,
    struct x5_cached *e)
{
	memset(e, 0, sizeof *e);
	e->c = *c0;
	if (dg_hash(DG_SHA256, der, len, e->c.sha256) != 32) memset(e->c.sha256, 0, 32);
	decode(der, len, &e->c, &e->san);
	e->len = c0->der_len;
}

int x509_parse_der(const uint8_t *der, size_t len, struct x509_cert *c, struct x509_chain *chain)
{
	struct x5_cached *e = NULL, one; /* one: the DER is not copied into it */
	struct x5_set *set = NULL;
	unsigned w = 0;

	memset(c, 0, sizeof *c);
	c->der_len = len > UINT32_MAX ? UINT32_MAX : (uint32_t)len;
	if (len <= X5_CACHE_DER && x5_cache == NULL) x5_cache = calloc(X5_SETS, sizeof *x5_cache);
	if (len <= X5_CACHE_DER && x5_cache) {
		set = &x5_cache[der_set(der, len)];
		for (w = 0; w < X5_WAYS && set->way[w]; w++) {
			e = set->way[w];
			if (e->len == len && memcmp(e->der, der, len) == 0) break;
		}
		if (w < X5_WAYS && set->way[w] == NULL)
			set->way[w] = malloc(sizeof *e + X5_CACHE_DER);
		else if (w == X5_WAYS) {
			w = set->next;
			set->next = (uint8_t)((w + 1) % X5_WAYS);
		} else {
			set = NULL; /* a hit */
		}
		e = set ? set->way[w] : e;
	}
	if (set && e) {
		decode_entry(der, len, c, e);
		memcpy(e->der, der, len);
	} else if (e == NULL) {
		/* too long for the table, or no memory: decode without it */
		e = &one;
		decode_entry(der, len, c, e);
	}
	*c = e->c;
	if (chain) {
		c->flags |= e->san.flags;
		chain->san_total = e->san.total;
		chain->nsan = e->san.n;
		memcpy(chain->san, e->san.name, sizeof chain->san);
	}
	return c->flags & X5E_BAD ? -1 : 0;
}

int x509_parse_msg(const uint8_t *body, size_t len, enum x509_form form, struct x509_chain *out)
{
	struct cur c = cur_make(body, len), list;
	uint8_t ctxlen, over;
	uint32_t n, m;
	uint16_t extlen;
	const uint8_t *der;

	memset(out, 0, sizeof *out);
	if (form == X5_FORM_TLS13) {
		out->flags |= X5C_TLS13;
		if (!cur_u8(&c, &ctxlen) || !cur_skip(&c, ctxlen)) {
			out->flags |= X5C_CUT;
			return -1;
		}
	}
	if (!cur_u24(&c, &n)) {
		out->flags |= X5C_CUT;
		return -1;
	}
	if (n > cur_left(&c)) {
		/* the message stops early: read what there is, an overrun is a cut */
		out->flags |= X5C_CUT;
		list = c;
		over = X5C_CUT;
	} else {
		cur_sub(&c, n, &list);
		if (cur_left(&c) > 0) out->flags |= X5C_MALFORMED;
		over = X5C_MALFORMED;
	}
	while (cur_left(&list) > 0) {
		struct x509_cert *xc = out->n < X5_MAX_CERTS ? &out->cert[out->n] : NULL;

		if (!cur_u24(&list, &m)) {
			out->flags |= over;
			break;
		}
		if (out->total < UINT16_MAX) out->total++;
		if (xc == NULL) out->flags |= X5C_CAPPED;
		if (!cur_bytes(&list, m, &der)) {
			out->flags |= over;
			if (xc) {
				memset(xc, 0, sizeof *xc);
				xc->flags = X5E_CUT;
				xc->der_len = m;
				out->n++;
			}
			break;
		}
		if (xc) {
			x509_parse_der(der, m, xc, out->n == 0 ? out : NULL);
			out->n++;
		}
		if (form == X5_FORM_TLS13 && (!cur_u16(&list, &extlen) || !cur_skip(&list, extlen))) {
			out->flags |= over;
			break;
		}
	}
	return out->flags & (X5C_CUT | X5C_MALFORMED) ? -1 : 0;
}

/* ------------------------------------------------------------- encoding */

static void put_field(struct buf *b, uint8_t tag, const void *v, size_t n)
{
	if (n > UINT16_MAX) n = UINT16_MAX; /* every bound of x509.h is far below */
	buf_put8(b, tag);
	buf_put16(b, (uint16_t)n);
	buf_put(b, v, n);
}

static void put_str(struct buf *b, uint8_t tag, const char *s)
{
	put_field(b, tag, s, strlen(s));
}

void x509_encode_names(const struct x509_chain *ch, struct buf *b)
{
	unsigned i;

	for (i = 0; i < ch->n; i++) put_str(b, X5_TAG_SUBJECT, ch->cert[i].subject);
	for (i = 0; i < ch->n; i++) put_str(b, X5_TAG_ISSUER, ch->cert[i].issuer);
}

static bool has_time(const struct x509_cert *c)
{
	return !(c->flags & (X5E_CUT | X5E_BAD | X5E_NO_TIME));
}

void x509_encode(const struct x509_chain *ch, struct buf *b)
{
	uint8_t v[2];
	char t[21];
	unsigned i;

	if (ch->total == 0 && ch->flags == 0) return;
	put_be16(v, ch->total);
	put_field(b, X5_TAG_COUNT, v, 2);
	put_field(b, X5_TAG_FLAGS, &ch->flags, 1);
	for (i = 0; i < ch->n; i++) put_field(b, X5_TAG_ENTRY_FLAGS, &ch->cert[i].flags, 1);
	for (i = 0; i < ch->n; i++) put_str(b, X5_TAG_SERIAL, ch->cert[i].serial);
	for (i = 0; i < ch->n; i++) {
		if (has_time(&ch->cert[i])) x509_time_text(ch->cert[i].not_before, t);
		else t[0] = '\0';
		put_str(b, X5_TAG_NOT_BEFORE, t);
	}
	for (i = 0; i < ch->n; i++) {
		if (has_time(&ch->cert[i])) x509_time_text(ch->cert[i].not_after, t);
		else t[0] = '\0';
		put_str(b, X5_TAG_NOT_AFTER, t);
	}
	for (i = 0; i < ch->n; i++)
		put_field(b, X5_TAG_SHA256, ch->cert[i].sha256,
		    ch->cert[i].flags & X5E_CUT ? 0 : sizeof ch->cert[i].sha256);
	for (i = 0; i < ch->n; i++) put_str(b, X5_TAG_KEY_TYPE, ch->cert[i].key_type);
	for (i = 0; i < ch->n; i++) put_str(b, X5_TAG_KEY_GROUP, ch->cert[i].key_group);
	for (i = 0; i < ch->n; i++) {
		put_be16(v, ch->cert[i].key_bits);
		put_field(b, X5_TAG_KEY_BITS, v, 2);
	}
	for (i = 0; i < ch->n; i++) put_str(b, X5_TAG_SIG_ALG, ch->cert[i].sig_alg);
	for (i = 0; i < ch->nsan; i++) put_str(b, X5_TAG_SAN_DNS, ch->san[i]);
}
