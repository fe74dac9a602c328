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
struct meta_memo {
	uint16_t elem;
	bool filled;
	const struct fld *fd[256];
};

static struct meta_memo memo[8];

static void memo_fill(struct meta_memo *m, uint16_t elem)
{
	unsigned t;

	for (t = 0; t < 256; t++) m->fd[t] = fld_meta(elem, (uint8_t)t);
	m->elem = elem;
	m->filled = true;
}

static inline const struct fld *meta_fld(uint16_t elem, uint8_t tag)
{
	struct meta_memo *m = &memo[elem & 7];

	if (!m->filled || m->elem != elem) memo_fill(m, elem);
	return m->fd[tag];
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

/* The byte that an uppercase letter of the text may stand for, in a
 * case-insensitive needle (kept in lowercase). */
static uint8_t other_case(uint8_t ch, bool ci)
{
	return ci && ch >= 'a' && ch <= 'z' ? (uint8_t)(ch - 32) : ch;
}

static void set_pair(struct am_needles *nd, uint8_t a, uint8_t b)
{
	unsigned pr = (unsigned)a << 8 | b;

	nd->pair[pr] = nd->gen;
}

/* The pair stamps of needle x: its pairs of bytes at 0 .. AM_PAIRS - 1, in
 * both cases (am_blank()). */
static void mark_pairs(struct am_needles *nd, const struct am_needle *x)
{
	const uint8_t *v = nd->b.p + x->at;
	bool ci = x->flags & NF_CI;
	unsigned o;

	for (o = 0; o < AM_PAIRS && o + 1u < x->len; o++) {
		uint8_t a = v[o], b = v[o + 1], ua = other_case(a, ci), ub = other_case(b, ci);

		set_pair(nd, a, b);
		if (ua != a) set_pair(nd, ua, b);
		if (ub != b) {
			set_pair(nd, a, ub);
			if (ua != a) set_pair(nd, ua, ub);
		}
	}
}

/* Needle k at the end of the chain of the byte b. */
static void chain(struct am_needles *nd, uint8_t b, unsigned k)
{
	unsigned m = nd->nnode++;

	nd->node[m].k = (uint16_t)k;
	nd->node[m].next = 0;
	if (nd->tail[b]) nd->node[nd->tail[b] - 1].next = (uint16_t)(m + 1);
	else nd->head[b] = (uint16_t)(m + 1);
	nd->tail[b] = (uint16_t)(m + 1);
}

void am_needles_reset(struct am_needles *nd)
{
	if (nd->n) {
		/* the stamps of this set go stale; at the wrap, all of them */
		if (++nd->gen == 0) {
			memset(nd->pair, 0, sizeof nd->pair);
			nd->gen = 1;
		}
		memset(nd->head, 0, sizeof nd->head);
		memset(nd->tail, 0, sizeof nd->tail);
	}
	nd->nnode = 0;
	buf_reset(&nd->b);
	nd->n = 0;
	nd->quic = false;
}

void am_needles_free(struct am_needles *nd)
{
	am_needles_reset(nd);
	buf_free(&nd->b);
}

static void add(struct am_needles *nd, unsigned flags, const uint8_t *p, size_t len,
    const uint8_t *repl)
{
	struct am_needle *x;
	size_t at;

	if (len == 0 || len > 65535 || nd->n >= AM_MAX_NEEDLES) return;
	if (nd->gen == 0) nd->gen = 1; /* a zeroed set: 0 is no stamp */
	at = nd->b.len;
	buf_put(&nd->b, p, len);
	if (flags & NF_CI)
		an_lower(nd->b.p + at, nd->b.p + at, len);
	if (repl) buf_put(&nd->b, repl, len);
	x = &nd->e[nd->n];
	x->at = (uint32_t)at;
	x->len = (uint16_t)len;
	x->flags = (uint8_t)(flags | (repl ? NF_REPL : 0));
	chain(nd, nd->b.p[at], nd->n);
	if ((flags & NF_CI) && nd->b.p[at] >= 'a' && nd->b.p[at] <= 'z')
		chain(nd, (uint8_t)(nd->b.p[at] - 32), nd->n);
	mark_pairs(nd, x);
	if (nd->n == 0 || len < nd->minlen) nd->minlen = (uint16_t)len;
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

	/* most places differ by their second byte: no call for those */
	if (!ci) return (len < 2 || (p[0] == nd[0] && p[1] == nd[1])) && memcmp(p, nd, len) == 0;
	for (i = 0; i < len; i++)
		if (lower(p[i]) != nd[i]) return false;
	return true;
}

/* The first needle of the chain of p[i] that matches at p + i, or NULL. */
static const struct am_needle *match_at(const struct am_needles *nd, const uint8_t *p, size_t i,
    size_t n)
{
	unsigned j;

	for (j = nd->head[p[i]]; j; j = nd->node[j - 1].next) {
		const struct am_needle *x = &nd->e[nd->node[j - 1].k];

		if (x->len <= n - i && match(p + i, nd->b.p + x->at, x->len, x->flags & NF_CI)) return x;
	}
	return NULL;
}

static void rewrite(const struct am_needles *nd, const struct am_needle *x, uint8_t *p)
{
	if (x->flags & NF_REPL) memcpy(p, nd->b.p + x->at + x->len, x->len);
	else memset(p, 0, x->len);
}

unsigned am_blank(const struct am_needles *nd, uint8_t *p, size_t n, bool udp_payload)
{
	const struct am_needle *x;
	const uint16_t *pair = nd->pair, gen = nd->gen;
	unsigned done = 0;
	size_t i, k, step, from = 0;

	if (nd->quic && udp_payload && n > 5 && (p[0] & 0x80)) {
		memset(p + 5, 0, n - 5);
		done++;
	}
	if (nd->n == 0) return done;
	/* One pass: at each place the first needle that matches is rewritten
	 * and the search goes on after it, so that a replacement is never
	 * taken for another needle. */
	if (nd->minlen < 3) {
		/* With 2 bytes or more, a needle at i has the stamp of the pair
		 * at i (its place 0, under any case): none at the last byte. */
		bool two = nd->minlen >= 2;

		for (i = 0; i < n; i++) {
			if (two && (i + 1 >= n || pair[(unsigned)p[i] << 8 | p[i + 1]] != gen)) continue;
			if (nd->head[p[i]] && (x = match_at(nd, p, i, n)) != NULL) {
				rewrite(nd, x, p + i);
				done++;
				i += x->len - 1u;
			}
		}
		return done;
	}
	/* Every needle has step + 1 bytes or more, so that an occurrence at i
	 * covers the pair at the multiple of step in i .. i + step - 1, at
	 * one of the needle's first step places, whose stamps are set: the
	 * pairs at those multiples are enough to find the places to look at,
	 * in order; from is the first place after the last rewrite. */
	step = nd->minlen - 1u < AM_PAIRS ? nd->minlen - 1u : AM_PAIRS;
	for (k = 0; k + 1 < n; k += step) {
		unsigned pr = (unsigned)p[k] << 8 | p[k + 1];

		if (pair[pr] != gen) continue;
		for (i = k >= step - 1 ? k - (step - 1) : 0; i <= k; i++) {
			/* i + 1 <= k + 1 < n; the pair at i is a needle's place 0 */
			if (i < from || pair[(unsigned)p[i] << 8 | p[i + 1]] != gen || !nd->head[p[i]] ||
			    (x = match_at(nd, p, i, n)) == NULL)
				continue;
			rewrite(nd, x, p + i);
			done++;
			from = i + x->len;
			/* on at the multiple of step that from's place falls to */
			k = (from + step - 1) / step * step - step;
			break;
		}
	}
	return done;
}
