/*
 * anonmeta.c - the metadata elements under flow-anon (anonmeta.h).
 *
 * --names hash: a name (ident "name") becomes 16 hex digits of a keyed
 * HMAC of its lowercased text; text and str identifiers ("text", "id")
 * 16 hex digits of a keyed HMAC of their exact bytes; bytes identifiers a
 * keyed pseudonym of their length; a software identification keeps its
 * first word and its comments are hashed as text.  --names drop: the
 * field goes (a software identification is cut after its first word).
 * Empty values stay empty.
 *
 * Needles: the bytes by which a packet spells those originals.  A name
 * is searched as text, case-insensitively (a TLS server name, an HTTP
 * Host, a certificate's SAN and CN), and, for DNS, label by label in
 * wire form (RFC 1035 3.1: a length byte, then the label), so that a
 * compressed name loses every label it spells out; a certificate name
 * (RFC 4514 text) by each of its attribute values; a serial number by
 * the bytes of its INTEGER; a connection id by its bytes.  Text shorter
 * than AM_MIN_NAME bytes and identifiers shorter than 4 bytes are not
 * searched: they would match anywhere.  A DNS answer address is searched
 * with the RDLENGTH before it (RFC 1035 4.1.3) and replaced by its
 * pseudonym, so that a stored DNS answer agrees with the flows.
 */
#include <string.h>

#include "anonmeta.h"
#include "field.h"

#define NF_CI   0x01 /* compare case-insensitively (the needle is lowercase) */
#define NF_REPL 0x02 /* replacement bytes follow; else zeros */

static uint8_t lower(uint8_t ch)
{
	return ch >= 'A' && ch <= 'Z' ? (uint8_t)(ch + 32) : ch;
}

/* ------------------------------------------------------------- fields */

/* fld_meta() of the tags of an element, looked up once per element and
 * tag: every field of every flow asks.  The registry is constant, so one
 * table serves every context. */
static const struct fld *meta_fld(uint16_t elem, uint8_t tag)
{
	static struct {
		uint16_t elem;
		bool filled;
		const struct fld *fd[256];
	} memo[8];
	unsigned k = elem & 7, t;

	if (!memo[k].filled || memo[k].elem != elem) {
		for (t = 0; t < 256; t++) memo[k].fd[t] = fld_meta(elem, (uint8_t)t);
		memo[k].elem = elem;
		memo[k].filled = true;
	}
	return memo[k].fd[tag];
}

/* One field that --names covers (names is not ANN_KEEP), into b. */
static void name_field(struct an_ctx *c, enum an_names names, const struct fld *fd, uint8_t tag,
    const uint8_t *val, uint16_t len, struct buf *b)
{
	char h[17];
	uint8_t id[32];
	size_t n;

	if (fd->ident == FI_SOFTWARE) {
		const uint8_t *sp = memchr(val, ' ', len);
		size_t word = sp ? (size_t)(sp - val) : len;

		buf_put8(b, tag);
		if (word == len || names == ANN_DROP || word > 65535 - 17) {
			buf_put16(b, (uint16_t)word);
			buf_put(b, val, word);
			return;
		}
		an_text_hash(c, val + word + 1, len - word - 1, h);
		buf_put16(b, (uint16_t)(word + 17));
		buf_put(b, val, word + 1);
		buf_put(b, h, 16);
		return;
	}
	if (names == ANN_DROP) return;
	buf_put8(b, tag);
	if (len == 0) {
		buf_put16(b, 0);
		return;
	}
	if (fd->type == FT_BYTES) {
		n = an_bytes_hash(c, val, len, id);
		buf_put16(b, (uint16_t)n);
		buf_put(b, id, n);
		return;
	}
	if (fd->ident == FI_NAME) an_name_hash(c, val, len, h);
	else an_text_hash(c, val, len, h);
	buf_put16(b, 16);
	buf_put(b, h, 16);
}

unsigned am_meta(struct an_ctx *c, enum an_names names, bool keep_unknown, const struct rec_elem *e,
    struct buf *out, unsigned *unknown_tag)
{
	struct rec_meta_iter it;
	const uint8_t *val;
	uint16_t len;
	uint8_t tag;
	unsigned dropped = 0;

	buf_reset(out);
	rec_meta_begin(e, &it);
	while (rec_meta_next(&it, &tag, &val, &len)) {
		const struct fld *fd = meta_fld(e->id, tag);

		if (fd == NULL && !keep_unknown) {
			if (dropped++ == 0 && unknown_tag) *unknown_tag = tag;
			continue;
		}
		if (fld_under_names(fd) && names != ANN_KEEP) {
			name_field(c, names, fd, tag, val, len, out);
			continue;
		}
		buf_put8(out, tag);
		buf_put16(out, len);
		if (fd && fd->type == FT_ADDR && (len == 4 || len == 16)) {
			size_t at = out->len;

			buf_put(out, val, len);
			an_addr(c, out->p + at, len);
		} else {
			buf_put(out, val, len);
		}
	}
	return dropped;
}

/* ------------------------------------------------------------ needles */

void am_needles_reset(struct am_needles *nd)
{
	buf_reset(&nd->b);
	nd->n = 0;
	nd->quic = false;
}

void am_needles_free(struct am_needles *nd)
{
	buf_free(&nd->b);
	nd->n = 0;
}

static void add(struct am_needles *nd, unsigned flags, const uint8_t *p, size_t len,
    const uint8_t *repl)
{
	size_t i, at;

	if (len == 0 || len > 65535 || nd->n >= AM_MAX_NEEDLES) return;
	buf_put8(&nd->b, (uint8_t)(flags | (repl ? NF_REPL : 0)));
	buf_put16(&nd->b, (uint16_t)len);
	at = nd->b.len;
	buf_put(&nd->b, p, len);
	if (flags & NF_CI)
		for (i = 0; i < len; i++) nd->b.p[at + i] = lower(nd->b.p[at + i]);
	if (repl) buf_put(&nd->b, repl, len);
	nd->n++;
}

static void add_text(struct am_needles *nd, const uint8_t *p, size_t len, unsigned flags)
{
	if (len >= AM_MIN_NAME) add(nd, flags, p, len, NULL);
}

/* A dotted name's labels in DNS wire form. */
static void add_labels(struct am_needles *nd, const uint8_t *p, size_t len)
{
	uint8_t lab[64];
	size_t i = 0, j;

	while (i < len) {
		for (j = i; j < len && p[j] != '.'; j++) continue;
		if (j > i && j - i <= 63) {
			lab[0] = (uint8_t)(j - i);
			memcpy(lab + 1, p + i, j - i);
			add(nd, NF_CI, lab, j - i + 1, NULL);
		}
		i = j + 1;
	}
}

static int hexval(uint8_t ch)
{
	if (ch >= '0' && ch <= '9') return ch - '0';
	ch = lower(ch);
	if (ch >= 'a' && ch <= 'f') return ch - 'a' + 10;
	return -1;
}

/* The attribute values of an RFC 4514 name, unescaped (2.4: "\," and
 * "\HH"), each a needle. */
static void add_dn(struct am_needles *nd, const uint8_t *p, size_t len)
{
	uint8_t v[512];
	size_t i = 0, n = 0;
	bool in_value = false;

	for (i = 0; i <= len; i++) {
		if (i == len || (in_value && (p[i] == ',' || p[i] == '+'))) {
			if (in_value) add_text(nd, v, n, NF_CI);
			in_value = false;
			n = 0;
			continue;
		}
		if (!in_value) {
			if (p[i] == '=') in_value = true;
			continue;
		}
		if (p[i] == '\\' && i + 1 < len) {
			int hi = hexval(p[i + 1]), lo = i + 2 < len ? hexval(p[i + 2]) : -1;

			if (hi >= 0 && lo >= 0) {
				if (n < sizeof v) v[n++] = (uint8_t)(hi << 4 | lo);
				i += 2;
			} else {
				if (n < sizeof v) v[n++] = p[i + 1];
				i++;
			}
			continue;
		}
		if (n < sizeof v) v[n++] = p[i];
	}
}

/* A serial number's text (uppercase hex, maybe a '-') as its bytes. */
static void add_serial(struct am_needles *nd, const uint8_t *p, size_t len)
{
	uint8_t v[256];
	size_t i, n = 0;

	if (len && p[0] == '-') {
		p++;
		len--;
	}
	if (len % 2 || len / 2 > sizeof v) return;
	for (i = 0; i < len; i += 2) {
		int hi = hexval(p[i]), lo = hexval(p[i + 1]);

		if (hi < 0 || lo < 0) return;
		v[n++] = (uint8_t)(hi << 4 | lo);
	}
	if (n >= 4) add(nd, 0, v, n, NULL);
}

void am_needles_add(struct an_ctx *c, struct am_needles *nd, const struct rec_elem *e,
    enum an_names names, bool addrs)
{
	struct rec_meta_iter it;
	const uint8_t *val;
	uint16_t len;
	uint8_t tag;

	if (e->id == RE_QUIC && names != ANN_KEEP) nd->quic = true;
	rec_meta_begin(e, &it);
	while (rec_meta_next(&it, &tag, &val, &len)) {
		const struct fld *fd = meta_fld(e->id, tag);

		if (fd == NULL) continue;
		if (fd->type == FT_ADDR && addrs && (len == 4 || len == 16)) {
			uint8_t rr[18], to[18];

			put_be16(rr, len);
			memcpy(rr + 2, val, len);
			memcpy(to, rr, 2u + len);
			an_addr(c, to + 2, len);
			add(nd, 0, rr, 2u + len, to);
			continue;
		}
		if (names == ANN_KEEP || !fld_under_names(fd)) continue;
		switch (fd->ident) {
		case FI_NAME:
			if (fd->id == FLD_TLS_CERT_SUBJECT || fd->id == FLD_TLS_CERT_ISSUER) {
				add_dn(nd, val, len);
				break;
			}
			add_text(nd, val, len, NF_CI);
			if (e->id == RE_DNS) add_labels(nd, val, len);
			break;
		case FI_TEXT:
			add_text(nd, val, len, 0);
			break;
		case FI_SOFTWARE: {
			const uint8_t *sp = memchr(val, ' ', len);

			if (sp) add_text(nd, sp + 1, (size_t)(val + len - sp - 1), 0);
			break;
		}
		case FI_ID:
			if (fd->type == FT_BYTES && fd->id != FLD_TLS_CERT_SHA256 && len >= 4)
				add(nd, 0, val, len, NULL);
			else if (fd->type == FT_STR)
				add_serial(nd, val, len);
			break;
		default:
			break;
		}
	}
}

static bool match(const uint8_t *p, const uint8_t *nd, size_t len, bool ci)
{
	size_t i;

	if (!ci) return memcmp(p, nd, len) == 0;
	for (i = 0; i < len; i++)
		if (lower(p[i]) != nd[i]) return false;
	return true;
}

unsigned am_blank(const struct am_needles *nd, uint8_t *p, size_t n, bool udp_payload)
{
	/* The needles by the byte they start with (a case-insensitive one
	 * under both cases), each chain in the needles' order. */
	struct blank_needle { const uint8_t *v, *to; uint16_t len; bool ci; } e[AM_MAX_NEEDLES];
	struct { int16_t k, next; } node[2 * AM_MAX_NEEDLES];
	int16_t head[256];
	struct cur c;
	unsigned done = 0, k, m = 0, nn = 0;
	size_t i;
	int j;

	if (nd->quic && udp_payload && n > 5 && (p[0] & 0x80)) {
		memset(p + 5, 0, n - 5);
		done++;
	}
	if (nd->n == 0) return done;
	c = cur_make(nd->b.p, nd->b.len);
	for (k = 0; k < nd->n && m < AM_MAX_NEEDLES; k++) {
		uint8_t fl;

		if (!cur_u8(&c, &fl) || !cur_u16(&c, &e[m].len) || !cur_bytes(&c, e[m].len, &e[m].v))
			break;
		e[m].ci = fl & NF_CI;
		e[m].to = NULL;
		if ((fl & NF_REPL) && !cur_bytes(&c, e[m].len, &e[m].to)) break;
		if (e[m].len) m++; /* an empty needle would match everywhere */
	}
	memset(head, 0xff, sizeof head);
	for (j = (int)m - 1; j >= 0; j--) { /* pushed last first: chains in order */
		uint8_t b = e[j].v[0];

		node[nn].k = (int16_t)j;
		node[nn].next = head[b];
		head[b] = (int16_t)nn++;
		if (e[j].ci && b >= 'a' && b <= 'z') {
			node[nn].k = (int16_t)j;
			node[nn].next = head[b - 32];
			head[b - 32] = (int16_t)nn++;
		}
	}
	/* One pass: at each place the first needle that matches is rewritten
	 * and the search goes on after it, so that a replacement is never
	 * taken for another needle. */
	for (i = 0; i < n; i++) {
		for (j = head[p[i]]; j >= 0; j = node[j].next) {
			const struct blank_needle *x = &e[node[j].k];

			if (x->len > n - i || !match(p + i, x->v, x->len, x->ci)) continue;
			if (x->to) memcpy(p + i, x->to, x->len);
			else memset(p + i, 0, x->len);
			done++;
			i += x->len - 1u;
			break;
		}
	}
	return done;
}
