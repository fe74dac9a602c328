/*
 * tls.c - TLS handshake parsing and fingerprints (tls.h).
 *
 * Layouts: RFC 8446 4.1.2 (ClientHello), 4.1.3 (ServerHello), 4.2
 * (extensions); RFC 6066 3 (server_name), RFC 7301 3.1 (ALPN), RFC 8422
 * 5.1 (ec_point_formats), RFC 5246 6.2.1 (records).  JA3/JA3S:
 * salesforce/ja3 README; JA4: FoxIO technical_details/JA4.md.
 */
#include <stddef.h>
#include <string.h>

#include "digest.h"
#include "num.h"
#include "tls.h"

/* Append the n big-endian u16 values at p (already bounds-checked) to l:
 * one room test for the list rather than one per value. */
static void list_put16(struct tls_list *l, const uint8_t *p, size_t n, uint8_t *flags)
{
	uint16_t *o = l->v + l->n;
	size_t i = 0;

	if (n > (size_t)(TLS_MAXLIST - l->n)) {
		*flags |= TLS_F_CUT;
		n = (size_t)(TLS_MAXLIST - l->n);
	}
#ifdef FK_BSWAP
	/* Little-endian: four values per 64-bit load, the two bytes of each
	 * 16-bit lane swapped (cipher lists run to dozens of values). */
	for (; i + 4 <= n; i += 4) {
		uint64_t x;

		memcpy(&x, p + 2 * i, 8);
		x = (x & 0x00ff00ff00ff00ffull) << 8 | (x >> 8 & 0x00ff00ff00ff00ffull);
		memcpy(o + i, &x, 8);
	}
#endif
	for (; i < n; i++) o[i] = be16(p + 2 * i);
	l->n = (uint16_t)(l->n + n);
}

/* The same for u8 values. */
static void list_put8(struct tls_list *l, const uint8_t *p, size_t n, uint8_t *flags)
{
	uint16_t *o = l->v + l->n;
	size_t i;

	if (n > (size_t)(TLS_MAXLIST - l->n)) {
		*flags |= TLS_F_CUT;
		n = (size_t)(TLS_MAXLIST - l->n);
	}
	for (i = 0; i < n; i++) o[i] = p[i];
	l->n = (uint16_t)(l->n + n);
}

/* A u16 list preceded by its length in bytes (lenbytes 1 or 2): the
 * length and the list are checked once against what is left of c. */
static inline bool get_u16s(struct cur *c, unsigned lenbytes, struct tls_list *l, uint8_t *flags)
{
	size_t left = cur_left(c), n;

	if (left < lenbytes) return false;
	n = lenbytes == 1 ? c->p[0] : be16(c->p);
	if (n > left - lenbytes || n % 2) return false;
	list_put16(l, c->p + lenbytes, n / 2, flags);
	c->p += lenbytes + n;
	return true;
}

static bool ext_sni(struct cur c, struct tls_hello *h)
{
	struct cur list;
	uint16_t n, len;
	uint8_t type;
	const uint8_t *name;

	h->flags |= TLS_F_SNI;
	if (!cur_u16(&c, &n) || !cur_sub(&c, n, &list)) return false;
	while (cur_left(&list)) {
		if (!cur_u8(&list, &type) || !cur_u16(&list, &len) || !cur_bytes(&list, len, &name))
			return false;
		if (type == 0 && h->sni_len == 0 && len) { /* host_name */
			if (len > TLS_MAXNAME) {
				h->flags |= TLS_F_CUT;
				len = TLS_MAXNAME;
			}
			memcpy(h->sni, name, len);
			h->sni[len] = 0;
			h->sni_len = (uint8_t)len;
		}
	}
	return true;
}

static bool ext_alpn(struct cur c, struct tls_hello *h)
{
	struct cur list, chk;
	uint16_t n;
	uint8_t k;

	if (!cur_u16(&c, &n) || !cur_sub(&c, n, &list)) return false;
	chk = list;
	while (cur_left(&chk))
		if (!cur_u8(&chk, &k) || k == 0 || !cur_skip(&chk, k)) return false;
	n = (uint16_t)cur_left(&list);
	if (n > TLS_MAXALPN) { /* keep whole names only */
		uint16_t keep = 0;

		chk = list;
		while (cur_u8(&chk, &k) && keep + 1u + k <= TLS_MAXALPN) {
			keep = (uint16_t)(keep + 1 + k);
			cur_skip(&chk, k);
		}
		n = keep;
		h->flags |= TLS_F_CUT;
	}
	memcpy(h->alpn, list.p, n);
	h->alpn_len = n;
	return true;
}

/* The extension body c of the given type. */
static bool parse_ext(uint16_t type, struct cur c, struct tls_hello *h)
{
	switch (type) {
	case 0x0000:
		if (h->server) return true; /* empty in a ServerHello */
		return ext_sni(c, h);
	case 0x000a:
		return get_u16s(&c, 2, &h->groups, &h->flags);
	case 0x000b:
		if (cur_left(&c) < 1 || c.p[0] > cur_left(&c) - 1) return false;
		list_put8(&h->ecpf, c.p + 1, c.p[0], &h->flags);
		return true;
	case 0x000d:
		return get_u16s(&c, 2, &h->sigalgs, &h->flags);
	case 0x0010:
		return ext_alpn(c, h);
	case 0x002b:
		if (h->server) return cur_u16(&c, &h->selected_version);
		return get_u16s(&c, 1, &h->versions, &h->flags);
	case 0x0033:
		if (h->server) return cur_u16(&c, &h->key_share);
		return true;
	case 0x0023: /* session_ticket: a ticket offered (the server's empty one announces a new ticket) */
		if (cur_left(&c) && !h->server) h->flags |= TLS_F_RESUME;
		return true;
	case 0x0029: /* pre_shared_key: offered, or (server) accepted */
		h->flags |= TLS_F_RESUME;
		return true;
	case 0xfe0d:
		h->flags |= TLS_F_ECH;
		return true;
	default:
		return true;
	}
}

/*
 * An empty hello.  Only the fields before the lists and the counts are
 * cleared: every reader stops at a count (and sni is NUL-terminated at
 * sni_len), so the 2 KB of list, name and ALPN storage need no zeroing,
 * which was a third of the cost of parsing a hello.
 */
static void hello_clear(struct tls_hello *h, bool server)
{
	memset(h, 0, offsetof(struct tls_hello, ciphers));
	h->server = server;
	h->ciphers.n = h->exts.n = h->groups.n = h->sigalgs.n = h->versions.n = h->ecpf.n = 0;
	h->sni_len = 0;
	h->sni[0] = 0;
	h->alpn_len = 0;
}

int tls_parse_hello(const uint8_t *body, size_t n, bool client, struct tls_hello *h)
{
	const uint8_t *p = body, *end;
	size_t left = n, len;
	unsigned ne;
	uint8_t sid;

	hello_clear(h, !client);
	if (left < 2) return TLS_BAD;
	h->version = be16(p);
	/* legacy_version, random (32 bytes), the session id length byte, the id */
	if (left < 35 || (sid = p[34]) > 32 || sid > left - 35) return TLS_BAD;
	h->session_id_len = sid;
	if (sid == 32) memcpy(h->session_id, p + 35, 32); /* the usual length, copied inline */
	else memcpy(h->session_id, p + 35, sid);
	p += 35 + sid;
	left -= 35 + (size_t)sid;
	if (client) {
		/* cipher_suites (2-byte length, even), compression_methods (1-byte length) */
		if (left < 2 || (len = be16(p)) % 2 || len > left - 2) return TLS_BAD;
		list_put16(&h->ciphers, p + 2, len / 2, &h->flags);
		p += 2 + len;
		left -= 2 + len;
		if (left < 1 || p[0] > left - 1) return TLS_BAD;
		left -= 1 + (size_t)p[0];
		p += 1 + p[0];
	} else {
		/* cipher_suite, compression_method */
		if (left < 2) return TLS_BAD;
		h->cipher = be16(p);
		if (left < 3) return TLS_BAD;
		p += 3;
		left -= 3;
	}
	if (left == 0) { /* no extensions (RFC 5246 7.4.1.2) */
		h->valid = true;
		return TLS_OK;
	}
	if (left < 2 || (len = be16(p)) > left - 2) return TLS_BAD;
	p += 2;
	end = p + len;
	/* the count of extension types in a register: parse_ext stores through h */
	ne = h->exts.n;
	while (p != end) {
		uint16_t type;
		size_t elen;

		/* type and length, then the body: two tests per extension */
		if (end - p < 4) goto bad;
		type = be16(p);
		elen = be16(p + 2);
		if (elen > (size_t)(end - p) - 4) goto bad;
		if (ne < TLS_MAXLIST) h->exts.v[ne++] = type;
		else h->flags |= TLS_F_CUT;
		if (!parse_ext(type, cur_make(p + 4, elen), h)) goto bad;
		p += 4 + elen;
	}
	h->exts.n = (uint16_t)ne;
	h->valid = true;
	return TLS_OK;
bad:
	h->exts.n = (uint16_t)ne;
	return TLS_BAD;
}

int tls_parse_handshake(const uint8_t *p, size_t n, struct tls_hello *ch, struct tls_hello *sh,
    tls_msg_fn on_msg, void *ctx, size_t *used)
{
	size_t at = 0;

	*used = 0;
	/* a caller need not clear its hellos (2.4 KB each) to tell whether one came */
	if (ch) ch->valid = false;
	if (sh) sh->valid = false;
	if (n == 0) return TLS_MORE; /* p may be NULL then */
	while (n - at >= 4) {
		const uint8_t *m = p + at;
		uint8_t type = m[0];
		uint32_t len = (uint32_t)m[1] << 16 | (uint32_t)m[2] << 8 | m[3];

		if (n - at - 4 < len) return TLS_MORE;
		at += 4 + (size_t)len;
		*used = at;
		if (on_msg) on_msg(ctx, type, m + 4, len);
		if (type == TLS_HS_CLIENT_HELLO) {
			if (ch && tls_parse_hello(m + 4, len, true, ch) != TLS_OK) return TLS_BAD;
			return TLS_OK;
		}
		if (type == TLS_HS_SERVER_HELLO) {
			if (sh && tls_parse_hello(m + 4, len, false, sh) != TLS_OK) return TLS_BAD;
			/* TLS 1.3: everything after the ServerHello is encrypted */
			if (sh && sh->selected_version == 0x0304) return TLS_OK;
		}
		if (type == TLS_HS_SERVER_HELLO_DONE) return TLS_OK;
	}
	return TLS_MORE;
}

bool tls_looks_like(const uint8_t *p, size_t n)
{
	/* handshake record, version 3.x, then a ClientHello or ServerHello */
	return n >= 6 && p[0] == 22 && p[1] == 3 && p[2] <= 4 && (p[5] == 1 || p[5] == 2);
}

bool tls_sslv2_hello(const uint8_t *p, size_t n)
{
	/* 9 bytes of header fields, then at least one 3-byte cipher spec */
	return n >= 5 && (p[0] & 0x80) && (((p[0] & 0x7fu) << 8) | p[1]) >= 12 && p[2] == 1 &&
	    p[3] == 3 && p[4] <= 4;
}

int tls_records(const uint8_t *p, size_t n, struct buf *hs, uint16_t *rec_version)
{
	size_t at = 0;

	if (n == 0) return TLS_MORE;
	while (n - at >= 5) {
		const uint8_t *r = p + at;
		uint16_t ver = be16(r + 1), len = be16(r + 3);

		if (r[0] < 20 || r[0] > 24 || (ver >> 8) != 3 || len > 18432) return TLS_BAD;
		if (at == 0) *rec_version = ver; /* the first record */
		if (r[0] != 22) return TLS_OK;
		if (n - at - 5 < len) return TLS_MORE;
		buf_put(hs, r + 5, len);
		at += 5 + (size_t)len;
	}
	return TLS_MORE;
}

/* ------------------------------------------------------------ fingerprints */

struct sbuf {
	char *p;
	size_t n, size;  /* p[n] is always the NUL; n < size */
};

static const char hx[] = "0123456789abcdef";
/* v as 4 lowercase hex digits at o, without a NUL; returns the end. */
static inline char *put_hex4(char *o, unsigned v)
{
	o[0] = hx[v >> 12 & 15]; o[1] = hx[v >> 8 & 15];
	o[2] = hx[v >> 4 & 15]; o[3] = hx[v & 15];
	return o + 4;
}

/* Append v in decimal, or as 4 lowercase hex digits when hex (no printf:
 * this runs for every value of every hello). */
static void sb_add(struct sbuf *s, bool hex, unsigned v)
{
	char t[12];
	int n = 0;

	if (s->size - s->n >= 6 && (hex || v < 100000)) { /* the common case: room for it all and the NUL */
		char *o = s->p + s->n, *e = hex ? put_hex4(o, v) : o + num_fmt_u64(o, v);

		*e = 0;
		s->n += (size_t)(e - o);
		return;
	}
	if (hex) {
		t[n++] = hx[v & 15]; t[n++] = hx[v >> 4 & 15];
		t[n++] = hx[v >> 8 & 15]; t[n++] = hx[v >> 12 & 15];
	} else {
		do t[n++] = (char)('0' + v % 10); while ((v /= 10) != 0);
	}
	while (n > 0 && s->n + 1 < s->size) s->p[s->n++] = t[--n];
	s->p[s->n] = 0;
}

/* Append the n bytes of str, cut to fit as snprintf would. */
static void sb_mem(struct sbuf *s, const char *str, size_t n)
{
	if (n > s->size - s->n - 1) n = s->size - s->n - 1;
	memcpy(s->p + s->n, str, n);
	s->n += n;
	s->p[s->n] = 0;
}

static void sb_str(struct sbuf *s, const char *str)
{
	sb_mem(s, str, strlen(str));
}

/* Append one character (a separator), cut to fit. */
static void sb_chr(struct sbuf *s, char c)
{
	if (s->n + 1 < s->size) {
		s->p[s->n++] = c;
		s->p[s->n] = 0;
	}
}

/* str into out[size], cut to fit (snprintf(out, size, "%s", str)). */
static void copy_cut(char *out, size_t size, const char *str, size_t n)
{
	struct sbuf s = { out, 0, size };

	if (size == 0) return;
	out[0] = 0;
	sb_mem(&s, str, n);
}

/* "a_b_c" into out[size], cut to fit (snprintf(out, size, "%s_%s_%s", a, b, c)). */
static void join3(char *out, size_t size, const char *a, const char *b, const char *c)
{
	struct sbuf s = { out, 0, size };

	if (size == 0) return;
	out[0] = 0;
	sb_str(&s, a);
	sb_chr(&s, '_');
	sb_str(&s, b);
	sb_chr(&s, '_');
	sb_str(&s, c);
}

/* The values of l without GREASE, joined by sep, in decimal or (hex) as 4 hex digits. */
static void sb_list(struct sbuf *s, const struct tls_list *l, bool hex, char sep)
{
	unsigned i, k = 0;

	/* Room for every value at its longest (5 digits) with a separator,
	 * and the NUL: no test per character.  The callers' buffers are
	 * sized so that this is the rule for lists of TLS_MAXLIST values. */
	if (s->size - s->n > 6u * l->n) {
		char *o = s->p + s->n, *o0 = o;

		for (i = 0; i < l->n; i++) {
			unsigned v = l->v[i];

			if (tls_grease((uint16_t)v)) continue;
			if (k++) *o++ = sep;
			o = hex ? put_hex4(o, v) : o + num_fmt_u64(o, v);
		}
		*o = 0;
		s->n += (size_t)(o - o0);
		return;
	}
	for (i = 0; i < l->n; i++) {
		if (tls_grease(l->v[i])) continue;
		if (k++ && s->n + 1 < s->size) {
			s->p[s->n++] = sep;
			s->p[s->n] = 0;
		}
		sb_add(s, hex, l->v[i]);
	}
}

void tls_ja3(const struct tls_hello *ch, bool raw, char *out, size_t out_size)
{
	char str[TLS_FP_MAX * 2];
	struct sbuf s = { str, 0, sizeof str };

	str[0] = 0;
	sb_add(&s, false, ch->version);
	sb_chr(&s, ',');
	sb_list(&s, &ch->ciphers, false, '-');
	sb_chr(&s, ',');
	sb_list(&s, &ch->exts, false, '-');
	sb_chr(&s, ',');
	sb_list(&s, &ch->groups, false, '-');
	sb_chr(&s, ',');
	sb_list(&s, &ch->ecpf, false, '-');
	if (raw) copy_cut(out, out_size, str, s.n);
	else if (out_size > 32) dg_hex(DG_MD5, str, s.n, out, 32);
	else if (out_size) out[0] = 0;
}

void tls_ja3s(const struct tls_hello *sh, bool raw, char *out, size_t out_size)
{
	char str[TLS_FP_MAX];
	struct sbuf s = { str, 0, sizeof str };

	/* "version,cipher," (at most 12 bytes of the TLS_FP_MAX) straight in */
	s.n = num_fmt_u64(str, sh->version);
	str[s.n++] = ',';
	s.n += num_fmt_u64(str + s.n, sh->cipher);
	str[s.n++] = ',';
	str[s.n] = 0;
	sb_list(&s, &sh->exts, false, '-');
	if (raw) copy_cut(out, out_size, str, s.n);
	else if (out_size > 32) dg_hex(DG_MD5, str, s.n, out, 32);
	else if (out_size) out[0] = 0;
}

/* Ascending, by insertion: lists are short (at most TLS_MAXLIST) and
 * mostly sorted already; qsort's merge sort costs several times more. */
static void sort_u16(uint16_t *v, unsigned n)
{
	unsigned i, j;

	for (i = 1; i < n; i++) {
		uint16_t x = v[i];

		for (j = i; j > 0 && v[j - 1] > x; j--) v[j] = v[j - 1];
		v[j] = x;
	}
}

/* l without GREASE (and without SNI and ALPN when drop_sni_alpn), sorted if asked. */
static void ja4_list(const struct tls_list *l, bool drop_sni_alpn, bool sorted, struct tls_list *o)
{
	unsigned i;

	o->n = 0;
	for (i = 0; i < l->n; i++) {
		uint16_t v = l->v[i];

		if (tls_grease(v) || (drop_sni_alpn && (v == 0x0000 || v == 0x0010))) continue;
		o->v[o->n++] = v;
	}
	if (sorted) sort_u16(o->v, o->n);
}

static bool alnum(uint8_t b)
{
	return (b >= '0' && b <= '9') || (b >= 'A' && b <= 'Z') || (b >= 'a' && b <= 'z');
}

static void ja4_a(const struct tls_hello *ch, char proto, char a[16])
{
	uint16_t ver = ch->version;
	const char *vs;
	unsigned i, nc = 0, ne = 0;
	char alpn[3] = "00";

	if (ch->versions.n) {
		ver = 0;
		for (i = 0; i < ch->versions.n; i++)
			if (!tls_grease(ch->versions.v[i]) && ch->versions.v[i] > ver) ver = ch->versions.v[i];
	}
	switch (ver) {
	case 0x0304: vs = "13"; break;
	case 0x0303: vs = "12"; break;
	case 0x0302: vs = "11"; break;
	case 0x0301: vs = "10"; break;
	case 0x0300: vs = "s3"; break;
	case 0x0002: vs = "s2"; break;
	case 0xfeff: vs = "d1"; break;
	case 0xfefd: vs = "d2"; break;
	case 0xfefc: vs = "d3"; break;
	default: vs = "00"; break;
	}
	for (i = 0; i < ch->ciphers.n; i++) nc += !tls_grease(ch->ciphers.v[i]);
	for (i = 0; i < ch->exts.n; i++) ne += !tls_grease(ch->exts.v[i]);
	if (ch->alpn_len >= 2 && ch->alpn[0] && ch->alpn[0] < ch->alpn_len) {
		uint8_t k = ch->alpn[0], f = ch->alpn[1], l = ch->alpn[k];

		if (alnum(f) && alnum(l)) {
			alpn[0] = (char)f;
			alpn[1] = (char)l;
		} else {
			alpn[0] = hx[f >> 4];
			alpn[1] = hx[l & 15];
		}
	}
	/* "%c%s%c%02u%02u%s" without printf */
	if (nc > 99) nc = 99;
	if (ne > 99) ne = 99;
	a[0] = proto;
	a[1] = vs[0];
	a[2] = vs[1];
	a[3] = (ch->flags & TLS_F_SNI) ? 'd' : 'i';
	a[4] = (char)('0' + nc / 10);
	a[5] = (char)('0' + nc % 10);
	a[6] = (char)('0' + ne / 10);
	a[7] = (char)('0' + ne % 10);
	a[8] = alpn[0];
	a[9] = alpn[1];
	a[10] = 0;
}

/* The b and c parts of JA4, raw (comma lists) or hashed, sorted or in
 * wire order. */
static void ja4_bc(const struct tls_hello *ch, bool orig, char *b, char *x, size_t size,
    char hb[13], char hc[13])
{
	struct tls_list cl, el;
	struct sbuf sb = { b, 0, size }, sx = { x, 0, size };

	b[0] = x[0] = 0;
	ja4_list(&ch->ciphers, false, !orig, &cl);
	ja4_list(&ch->exts, !orig, !orig, &el);
	sb_list(&sb, &cl, true, ',');
	sb_list(&sx, &el, true, ',');
	if (ch->sigalgs.n) {
		sb_chr(&sx, '_');
		sb_list(&sx, &ch->sigalgs, true, ',');
	}
	if (hb == NULL) return;
	if (cl.n) dg_hex(DG_SHA256, b, sb.n, hb, 12);
	else strcpy(hb, "000000000000");
	if (el.n) dg_hex(DG_SHA256, x, sx.n, hc, 12);
	else strcpy(hc, "000000000000");
}

void tls_ja4(const struct tls_hello *ch, char proto, char form, char *out, size_t out_size)
{
	char a[16], b[TLS_FP_MAX], x[TLS_FP_MAX], hb[13], hc[13];

	ja4_a(ch, proto, a);
	if (form == 'r') {
		ja4_bc(ch, false, b, x, sizeof b, NULL, NULL);
		join3(out, out_size, a, b, x);
		return;
	}
	ja4_bc(ch, form == 'o', b, x, sizeof b, hb, hc);
	join3(out, out_size, a, hb, hc);
}

void tls_ja4_all(const struct tls_hello *ch, char proto, char *ja4, char *ja4_r, char *ja4_o,
    size_t size)
{
	char a[16], b[TLS_FP_MAX], x[TLS_FP_MAX], hb[13], hc[13];

	ja4_a(ch, proto, a);
	ja4_bc(ch, false, b, x, sizeof b, hb, hc);
	join3(ja4, size, a, hb, hc);
	join3(ja4_r, size, a, b, x);
	ja4_bc(ch, true, b, x, sizeof b, hb, hc);
	join3(ja4_o, size, a, hb, hc);
}
