/*
 * tls.c - TLS handshake parsing and fingerprints (tls.h).
 *
 * Layouts: RFC 8446 4.1.2 (ClientHello), 4.1.3 (ServerHello), 4.2
 * (extensions); RFC 6066 3 (server_name), RFC 7301 3.1 (ALPN), RFC 8422
 * 5.1 (ec_point_formats), RFC 5246 6.2.1 (records).  JA3/JA3S:
 * salesforce/ja3 README; JA4: FoxIO technical_details/JA4.md.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>


#include "digest.h"
#include "tls.h"

static void list_add(struct tls_list *l, uint16_t v, uint8_t *flags)
{
	if (l->n < TLS_MAXLIST) l->v[l->n++] = v;
	else *flags |= TLS_F_CUT;
}

/* A u16 list preceded by its length in bytes (lenbytes 1 or 2). */
static bool get_u16s(struct cur *c, unsigned lenbytes, struct tls_list *l, uint8_t *flags)
{
	struct cur s;
	uint16_t n16, v;
	uint8_t n8;

	if (lenbytes == 1 ? !cur_u8(c, &n8) : !cur_u16(c, &n16)) return false;
	if (!cur_sub(c, lenbytes == 1 ? n8 : n16, &s) || cur_left(&s) % 2) return false;
	while (cur_u16(&s, &v)) list_add(l, v, flags);
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

static bool parse_ext(uint16_t type, struct cur c, struct tls_hello *h)
{
	uint8_t n8, b;
	struct cur s;

	switch (type) {
	case 0x0000:
		if (h->server) return true; /* empty in a ServerHello */
		return ext_sni(c, h);
	case 0x000a:
		return get_u16s(&c, 2, &h->groups, &h->flags);
	case 0x000b:
		if (!cur_u8(&c, &n8) || !cur_sub(&c, n8, &s)) return false;
		while (cur_u8(&s, &b)) list_add(&h->ecpf, b, &h->flags);
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

int tls_parse_hello(const uint8_t *body, size_t n, bool client, struct tls_hello *h)
{
	struct cur c = cur_make(body, n), s, exts;
	uint16_t len, type;
	uint8_t sid, comp;
	const uint8_t *sidp;

	memset(h, 0, sizeof *h);
	h->server = !client;
	if (!cur_u16(&c, &h->version) || !cur_skip(&c, 32)) return TLS_BAD; /* random */
	if (!cur_u8(&c, &sid) || sid > 32 || !cur_bytes(&c, sid, &sidp)) return TLS_BAD;
	h->session_id_len = sid;
	memcpy(h->session_id, sidp, sid);
	if (client) {
		if (!cur_u16(&c, &len) || len % 2 || !cur_sub(&c, len, &s)) return TLS_BAD;
		while (cur_u16(&s, &type)) list_add(&h->ciphers, type, &h->flags);
		if (!cur_u8(&c, &comp) || !cur_skip(&c, comp)) return TLS_BAD;
	} else {
		if (!cur_u16(&c, &h->cipher) || !cur_skip(&c, 1)) return TLS_BAD;
	}
	if (cur_left(&c) == 0) { /* no extensions (RFC 5246 7.4.1.2) */
		h->valid = true;
		return TLS_OK;
	}
	if (!cur_u16(&c, &len) || !cur_sub(&c, len, &exts)) return TLS_BAD;
	while (cur_left(&exts)) {
		if (!cur_u16(&exts, &type) || !cur_u16(&exts, &len) || !cur_sub(&exts, len, &s))
			return TLS_BAD;
		list_add(&h->exts, type, &h->flags);
		if (!parse_ext(type, s, h)) return TLS_BAD;
	}
	h->valid = true;
	return TLS_OK;
}

int tls_parse_handshake(const uint8_t *p, size_t n, struct tls_hello *ch, struct tls_hello *sh,
    tls_msg_fn on_msg, void *ctx, size_t *used)
{
	struct cur c;
	uint8_t type;
	const uint8_t *body = NULL;

	*used = 0;
	if (n == 0) return TLS_MORE; /* p may be NULL then */
	c = cur_make(p, n);
	while (cur_left(&c) >= 4) {
		uint32_t len = (uint32_t)c.p[1] << 16 | (uint32_t)c.p[2] << 8 | c.p[3];

		type = c.p[0];
		if (cur_left(&c) - 4 < len) return TLS_MORE;
		cur_skip(&c, 4);
		cur_bytes(&c, len, &body);
		*used = (size_t)(c.p - p);
		if (on_msg) on_msg(ctx, type, body, len);
		if (type == TLS_HS_CLIENT_HELLO) {
			if (ch && tls_parse_hello(body, len, true, ch) != TLS_OK) return TLS_BAD;
			return TLS_OK;
		}
		if (type == TLS_HS_SERVER_HELLO) {
			if (sh && tls_parse_hello(body, len, false, sh) != TLS_OK) return TLS_BAD;
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
	struct cur c;
	uint8_t type;
	uint16_t ver, len;
	const uint8_t *frag = NULL;
	bool first = true;

	if (n == 0) return TLS_MORE;
	c = cur_make(p, n);
	while (cur_left(&c) >= 5) {
		type = c.p[0];
		ver = be16(c.p + 1);
		len = be16(c.p + 3);
		if (type < 20 || type > 24 || (ver >> 8) != 3 || len > 18432) return TLS_BAD;
		if (first) *rec_version = ver;
		first = false;
		if (type != 22) return TLS_OK;
		if (cur_left(&c) - 5 < len) return TLS_MORE;
		cur_skip(&c, 5);
		cur_bytes(&c, len, &frag);
		buf_put(hs, frag, len);
	}
	return TLS_MORE;
}

bool tls_group_pq(uint16_t g)
{
	/* IANA TLS Supported Groups: SecP256r1MLKEM768 0x11eb, X25519MLKEM768
	 * 0x11ec, SecP384r1MLKEM1024 0x11ed; the draft Kyber hybrids
	 * X25519Kyber768Draft00 0x6399 and SecP256r1Kyber768Draft00 0x639a;
	 * the pure ML-KEM groups 0x0200-0x0202 are post-quantum too. */
	return (g >= 0x11eb && g <= 0x11ed) || g == 0x6399 || g == 0x639a ||
	    (g >= 0x0200 && g <= 0x0202);
}

/* ------------------------------------------------------------ fingerprints */

struct sbuf {
	char *p;
	size_t n, size;
};

/* Append v in decimal, or as 4 lowercase hex digits when hex (no printf:
 * this runs for every value of every hello). */
static void sb_add(struct sbuf *s, bool hex, unsigned v)
{
	char t[12];
	int n = 0;
	static const char hx[] = "0123456789abcdef";

	if (hex && s->n + 5 <= s->size) { /* the common case: room for all four and the NUL */
		char *o = s->p + s->n;

		o[0] = hx[v >> 12 & 15]; o[1] = hx[v >> 8 & 15];
		o[2] = hx[v >> 4 & 15]; o[3] = hx[v & 15];
		o[4] = 0;
		s->n += 4;
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

static void sb_str(struct sbuf *s, const char *str)
{
	while (*str && s->n + 1 < s->size) s->p[s->n++] = *str++;
	s->p[s->n] = 0;
}

/* The values of l without GREASE, joined by sep, each printed with fmt. */
static void sb_list(struct sbuf *s, const struct tls_list *l, bool hex, char sep)
{
	unsigned i, k = 0;

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
	sb_str(&s, ",");
	sb_list(&s, &ch->ciphers, false, '-');
	sb_str(&s, ",");
	sb_list(&s, &ch->exts, false, '-');
	sb_str(&s, ",");
	sb_list(&s, &ch->groups, false, '-');
	sb_str(&s, ",");
	sb_list(&s, &ch->ecpf, false, '-');
	if (raw) snprintf(out, out_size, "%s", str);
	else if (out_size > 32) dg_hex(DG_MD5, str, s.n, out, 32);
	else if (out_size) out[0] = 0;
}

void tls_ja3s(const struct tls_hello *sh, bool raw, char *out, size_t out_size)
{
	char str[TLS_FP_MAX];
	struct sbuf s = { str, 0, sizeof str };

	str[0] = 0;
	sb_add(&s, false, sh->version);
	sb_str(&s, ",");
	sb_add(&s, false, sh->cipher);
	sb_str(&s, ",");
	sb_list(&s, &sh->exts, false, '-');
	if (raw) snprintf(out, out_size, "%s", str);
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
		static const char hx[] = "0123456789abcdef";

		if (alnum(f) && alnum(l)) {
			alpn[0] = (char)f;
			alpn[1] = (char)l;
		} else {
			alpn[0] = hx[f >> 4];
			alpn[1] = hx[l & 15];
		}
	}
	snprintf(a, 16, "%c%s%c%02u%02u%s", proto, vs, (ch->flags & TLS_F_SNI) ? 'd' : 'i',
	    nc > 99 ? 99 : nc, ne > 99 ? 99 : ne, alpn);
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
		sb_str(&sx, "_");
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
		snprintf(out, out_size, "%s_%s_%s", a, b, x);
		return;
	}
	ja4_bc(ch, form == 'o', b, x, sizeof b, hb, hc);
	snprintf(out, out_size, "%s_%s_%s", a, hb, hc);
}

void tls_ja4_all(const struct tls_hello *ch, char proto, char *ja4, char *ja4_r, char *ja4_o,
    size_t size)
{
	char a[16], b[TLS_FP_MAX], x[TLS_FP_MAX], hb[13], hc[13];

	ja4_a(ch, proto, a);
	ja4_bc(ch, false, b, x, sizeof b, hb, hc);
	snprintf(ja4, size, "%s_%s_%s", a, hb, hc);
	snprintf(ja4_r, size, "%s_%s_%s", a, b, x);
	ja4_bc(ch, true, b, x, sizeof b, hb, hc);
	snprintf(ja4_o, size, "%s_%s_%s", a, hb, hc);
}
