/*
 * app.c - application metadata of a flow (app.h).
 *
 * Detection is by content only: the first bytes of a TCP direction (a TLS
 * handshake record, an SSH identification string, an HTTP request or
 * status line, a length-prefixed DNS message, a server's greeting of
 * SMTP, IMAP, POP3 or FTP), the first datagram of a UDP flow (a QUIC
 * long-header Initial, an HTTP request or status line: SSDP, a DNS
 * message that parses).  Ports are never looked at.  The APP element
 * records the protocol and what recognised it.
 *
 * In-band TLS upgrades: a flow whose server greets as SMTP, IMAP, POP3
 * or FTP is a candidate; starttls.c reads both directions' clear-text
 * prelude (each time a line has ended in either) and says where TLS
 * begins in each; from there the bytes go to the TLS parse as a direct
 * TLS connection's would.  A refused upgrade leaves the flow named by
 * its clear-text protocol; a prelude without an upgrade, nothing.
 *
 * Fields are collected per element as tag-length-value triples in the
 * order they are found and sorted by tag (stably: the values of a multi
 * tag keep their order) when the record is written.
 *
 * Certificates: the server's first Certificate message (TLS 1.2 and
 * earlier) goes through x509.c into tags 9, 10 and 64..75 of the TLS
 * element; a ServerHello that chooses TLS 1.3 sets cert_flags "hidden".
 * QUIC: the datagrams of a flow whose first one is an Initial go to
 * quic.c (Initial decryption, CRYPTO reassembly) until each direction's
 * hello is whole; the ClientHello and ServerHello are then parsed by the
 * TLS code, into the TLS element (JA4 with 'q') and the QUIC one.
 */
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "app.h"
#include "bytes.h"
#include "dns.h"
#include "http.h"
#include "memo.h"
#include "quic.h"
#include "reasm.h"
#include "ssh.h"
#include "starttls.h"
#include "tls.h"
#include "x509.h"

/* P_STLS: a greeting seen, the prelude of an upgrade being read; P_SMTP
 * to P_FTP: the server refused the upgrade (the STLS_* order). */
enum { P_NONE, P_TLS, P_HTTP, P_DNS, P_SSH, P_QUIC, P_STLS, P_SMTP, P_IMAP, P_POP3, P_FTP };
static const char *const proto_names[] = { "", "tls", "http", "dns", "ssh", "quic", "", "smtp", "imap",
	"pop3", "ftp" };
/* APP detect of an upgrade, by STLS_* protocol */
static const char *const stls_detect[] = { "", "smtp-starttls", "imap-starttls", "pop3-stls",
	"ftp-auth-tls" };

/* Elements, in record order. */
enum { E_TLS, E_HTTP, E_DNS, E_QUIC, E_SSH, E_APP, E_N };
static const uint16_t elem_ids[E_N] = { RE_TLS, RE_HTTP, RE_DNS, RE_QUIC, RE_SSH, RE_APP };

#define MAX_ANS_ADDR  32 /* DNS answers kept per flow */
#define MAX_ANS_NAME  32
#define MAX_QNAMES     8 /* later question names kept per flow */
#define QUIC_MAX_DGRAMS 16 /* datagrams of a direction read for its hello */
#define NSPARE_LIVE  1024 /* parse states kept for reuse */
#define NSPARE_HEAD  1024 /* flow heads kept for reuse */
#define MAX_RUNS        4 /* runs in tag order of an element's fields merged at seal */

/*
 * A flow's metadata.  While a parse is under way its state is in *l;
 * once every direction's parse is over (or the flow is not ours) the
 * flow is sealed: the fields move into one allocation of their size and
 * *l is freed, so that a flow that lives on costs its fields and this
 * head, not the parse's buffers and bookkeeping (the bench capture's
 * active flows are mostly sealed ones).
 */
struct app_flow {
	uint8_t proto;
	bool off;                 /* nothing more to do for this flow */
	bool done[2];             /* the direction's parse is over */
	uint16_t status;          /* sealed: with the reassembly's (status_of) */
	const char *detect;
	uint32_t req, resp;       /* HTTP: requests and responses counted */
	uint32_t msgs;            /* DNS: messages parsed */
	struct app_live *l;       /* NULL once sealed */
	/* sealed: the elements as the record has them (fields sorted, APP
	 * whole), one after another, but the HTTP and DNS counters, which
	 * app_emit adds: the sort is done once, and a record points here.
	 * They follow the head in its allocation (NULL: a head alone). */
	uint8_t *fld;
	uint32_t flen[E_N];       /* sealed: their lengths, by element */
};

struct app_live {
	struct ra_dir ra[2];
	uint32_t toff[2];         /* DNS over TCP: next message offset */
	uint32_t base[2];         /* where TLS begins in the direction (after an upgrade's prelude) */
	uint32_t scanned[2];      /* upgrade prelude: bytes of the direction read at the last scan */
	/* TLS */
	uint8_t sid[32], sidlen;
	bool ch_seen, sh_seen, cert_seen;
	/* QUIC: the Initial state while a direction's hello is awaited */
	struct quic *q;
	uint8_t qdg[2];           /* datagrams fed, per direction */
	/* DNS */
	uint32_t naddr, nname, nq;
	bool have_q, have_rcode;
	uint32_t qhash[MAX_QNAMES];
	struct app_wait *wait[2]; /* the direction waits for a hole to fill */
	struct app_live *next_spare; /* in the context's list of spare ones */
	/* Each element's fields as runs in tag order (run_mark): the runs
	 * after the first (MAX_RUNS: too many to tell), where they begin,
	 * the highest tag the last one may have reached. */
	uint8_t runs[E_N], last[E_N];
	uint32_t run_at[E_N][MAX_RUNS - 1];
	/* last: a spare's are empty (live_free), and the reuse clears only
	 * what comes before them */
	struct buf fields[E_N];
};

/*
 * A TCP direction whose reassembly holds bytes past a hole, in the
 * context's list of them, oldest first: when the hole has not filled
 * within app_config.hole_ns of capture time the direction gives up
 * (ra_abandon), so that a hole that never fills (a packet the capture
 * lost) does not hold the bytes behind it until the flow ends.
 */
struct app_wait {
	struct app_wait *prev, *next;
	struct app_flow *f;
	uint64_t since;
	int d;
};

/* The longest memo key of a hello's fingerprints (hello_key), and
 * the longest value (hello_fps). */
#define HELLO_KEY_MAX (4 + 2 + TLS_MAXALPN + 6 * (2 + 2 * TLS_MAXLIST))
#define HELLO_FPS_MAX (4 * (2 + TLS_FP_MAX))

struct app_ctx {
	struct app_config c;
	/* sort_fields(): each field's offset, the next of its tag; each tag's first and last */
	uint32_t sf_off[REC_MAX_META_FIELDS];
	uint16_t sf_next[REC_MAX_META_FIELDS], sf_first[256], sf_last[256];
	struct ra_pool pool;
	struct buf hs;            /* scratch: handshake bytes joined from records */
	struct x509_chain *chain; /* scratch: the certificates of one message (15 KB) */
	/* Results by their input bytes (memo.h): the encoded certificate
	 * fields by Certificate message, the JA3 and JA4 strings by the hello
	 * fields they are made of.  NULL without memory: computed each time. */
	struct memo *certs, *hellos, *servers; /* and JA3S by the ServerHello's */
	struct buf out[E_N];      /* the encoded elements of the last app_emit */
	struct buf tmp;           /* scratch: an element's fields and its counters */
	struct app_wait *whead, *wtail; /* directions waiting for a hole, oldest first */
	uint64_t due;             /* whead's wait runs out after this capture time (app_due) */
	/* ended parses' state structs, for the next flows (a calloc and a
	 * free a flow otherwise): at most NSPARE_LIVE */
	struct app_live *spare;
	unsigned nspare;
	/* flow heads without fields, for the next flows: at most NSPARE_HEAD
	 * (a spare one's l points to the next) */
	struct app_flow *spare_head;
	unsigned nspare_head;
};

void app_config_default(struct app_config *c)
{
	c->reasm_bytes = 16384;
	c->pool_bytes = 256ull << 20;
	c->max_dns = 64;
	c->hole_ns = 30 * 1000000000ull;
}

struct app_ctx *app_new(const struct app_config *c)
{
	struct app_ctx *a = xcalloc(1, sizeof *a);

	a->c = *c;
	a->pool.limit = c->pool_bytes;
	a->due = UINT64_MAX;
	a->certs = memo_new(64, 64 * 1024);
	a->hellos = memo_new(256, HELLO_FPS_MAX + HELLO_KEY_MAX);
	a->servers = memo_new(64, 4 + 2 + 2 * TLS_MAXLIST + TLS_FP_MAX);
	return a;
}

void app_free(struct app_ctx *a)
{
	int i;

	if (a == NULL) return;
	ra_pool_free(&a->pool);
	buf_free(&a->hs);
	free(a->chain);
	memo_free(a->certs);
	memo_free(a->hellos);
	memo_free(a->servers);
	for (i = 0; i < E_N; i++) buf_free(&a->out[i]);
	buf_free(&a->tmp);
	while (a->spare_head) {
		struct app_flow *f = a->spare_head;

		a->spare_head = (struct app_flow *)(void *)f->l;
		free(f);
	}
	while (a->spare) {
		struct app_live *l = a->spare;

		a->spare = l->next_spare;
		free(l);
	}
	free(a);
}

static void quic_release(struct app_ctx *a, struct app_flow *f);

/* The list's head changed. */
static void set_due(struct app_ctx *a)
{
	const struct app_wait *w = a->whead;

	if (w == NULL) a->due = UINT64_MAX;
	else a->due = w->since > UINT64_MAX - a->c.hole_ns ? UINT64_MAX : w->since + a->c.hole_ns;
}

/* Direction d of f stops waiting (its hole filled, its parse ended, or
 * the flow ends). */
static void wait_end(struct app_ctx *a, struct app_flow *f, int d)
{
	struct app_wait *w = f->l->wait[d];

	if (w == NULL) return;
	if (w->prev) {
		w->prev->next = w->next;
	} else {
		a->whead = w->next;
		set_due(a);
	}
	if (w->next) w->next->prev = w->prev;
	else a->wtail = w->prev;
	f->l->wait[d] = NULL;
	free(w);
}

/* Direction d of f holds bytes past a hole since now. */
static void wait_start(struct app_ctx *a, struct app_flow *f, int d, uint64_t now)
{
	struct app_wait *w;

	if (a->c.hole_ns == 0 || f->l->wait[d]) return;
	w = xmalloc(sizeof *w);
	w->f = f;
	w->d = d;
	w->since = now;
	w->next = NULL;
	w->prev = a->wtail;
	a->wtail = w;
	if (w->prev) {
		w->prev->next = w;
	} else {
		a->whead = w;
		set_due(a);
	}
	f->l->wait[d] = w;
}

/* The parse's state goes, kept for reuse when there are few spares. */
static void live_free(struct app_ctx *a, struct app_flow *f)
{
	struct app_live *l = f->l;
	int i;

	wait_end(a, f, 0);
	wait_end(a, f, 1);
	quic_release(a, f);
	ra_free(&a->pool, &l->ra[0]);
	ra_free(&a->pool, &l->ra[1]);
	/* The field buffers are not kept with a spare: the flows being
	 * parsed would then hold buffers of the size of earlier flows'
	 * fields (12 MB more at the peak of the bench capture, for 0.4% of
	 * the instructions). */
	for (i = 0; i < E_N; i++) buf_free(&l->fields[i]);
	if (a->nspare < NSPARE_LIVE) {
		l->next_spare = a->spare;
		a->spare = l;
		a->nspare++;
	} else {
		free(l);
	}
	f->l = NULL;
}

/* The directions whose holes are older than hole_ns at now give up.
 * (Capture time may step back: a wait counts from when it began.) */
void app_expire(struct app_ctx *a, uint64_t now)
{
	/* due is the head's since + hole_ns, UINT64_MAX without a head */
	while (now > a->due) {
		struct app_wait *w = a->whead;
		struct app_flow *f = w->f;
		int d = w->d;

		wait_end(a, f, d);
		ra_abandon(&a->pool, &f->l->ra[d]);
	}
}

uint64_t app_due(const struct app_ctx *a)
{
	return a->due;
}

/* A head alone, zeroed. */
static struct app_flow *head_new(struct app_ctx *a)
{
	struct app_flow *f = a->spare_head;

	if (f == NULL) return xcalloc(1, sizeof *f);
	a->spare_head = (struct app_flow *)(void *)f->l;
	a->nspare_head--;
	memset(f, 0, sizeof *f);
	return f;
}

static void head_free(struct app_ctx *a, struct app_flow *f)
{
	if (f->fld || a->nspare_head >= NSPARE_HEAD) {
		free(f);
		return;
	}
	f->l = (struct app_live *)(void *)a->spare_head;
	a->spare_head = f;
	a->nspare_head++;
}

void app_flow_free(struct app_ctx *a, struct app_flow *f)
{
	if (f == NULL) return;
	if (f->l) live_free(a, f);
	head_free(a, f);
}

/* ------------------------------------------------------------------ fields */

/* One field, tag-length-value, onto b. */
static void tlv_put(struct buf *b, uint8_t tag, const void *v, size_t n)
{
	uint8_t *q;

	if (n > 65535) n = 65535;
	if (b->cap - b->len < 3 + n) buf_reserve(b, 3 + n);
	q = b->p + b->len;
	q[0] = tag;
	put_be16(q + 1, (uint16_t)n);
	if (n) memcpy(q + 3, v, n);
	b->len += 3 + n;
}

/* Fields of element el from offset at on, tags ascending from first
 * to at most top: a new run when first is below the last one's top. */
static inline void run_mark(struct app_live *l, int el, size_t at, uint8_t first, uint8_t top)
{
	if (first < l->last[el] && l->runs[el] < MAX_RUNS) {
		if (l->runs[el] < MAX_RUNS - 1) l->run_at[el][l->runs[el]] = (uint32_t)at;
		l->runs[el]++;
	}
	l->last[el] = top;
}

static void fput(struct app_flow *f, int el, uint8_t tag, const void *v, size_t n)
{
	struct buf *b = &f->l->fields[el];

	run_mark(f->l, el, b->len, tag, tag);
	if (b->cap == 0) buf_reserve(b, 384); /* most flows' fields fit: one allocation */
	tlv_put(b, tag, v, n);
}

static void fput_str(struct app_flow *f, int el, uint8_t tag, const char *s)
{
	if (s[0]) fput(f, el, tag, s, strlen(s));
}

static void fput_u8(struct app_flow *f, int el, uint8_t tag, uint8_t v)
{
	fput(f, el, tag, &v, 1);
}

static void fput_u16(struct app_flow *f, int el, uint8_t tag, uint16_t v)
{
	uint8_t b[2];

	put_be16(b, v);
	fput(f, el, tag, b, 2);
}

/* ------------------------------------------------------------------- TLS */

struct tls_cb {
	struct app_ctx *a;
	struct app_flow *f;
};

/* Every whole handshake message of the server's flight, each time the
 * flight is parsed again with more bytes: the first Certificate message
 * (TLS 1.2 and earlier: under TLS 1.3 it is encrypted) is decoded once,
 * into the scratch chain, and its fields go straight into the element. */
static void on_tls_msg(void *ctx, uint8_t type, const uint8_t *body, size_t n)
{
	struct tls_cb *cb = ctx;
	struct app_flow *f = cb->f;
	struct app_ctx *a = cb->a;
	struct buf *el = &f->l->fields[E_TLS];
	const uint8_t *v;
	size_t vl, at = el->len;

	if (type != TLS_HS_CERTIFICATE || f->l->cert_seen) return;
	f->l->cert_seen = true;
	/* the fields below depend on the message bytes alone */
	if (a->certs && (v = memo_get(a->certs, body, n, &vl)) != NULL) {
		buf_put(el, v, vl);
		if (vl) run_mark(f->l, E_TLS, at, v[0], X5_TAG_SAN_DNS);
		return;
	}
	if (a->chain == NULL) a->chain = xmalloc(sizeof *a->chain);
	x509_parse_msg(body, n, X5_FORM_TLS12, a->chain);
	/* the element's fields are sorted by tag when the record is written */
	x509_encode_names(a->chain, el);
	x509_encode(a->chain, el);
	if (a->certs) memo_put(a->certs, body, n, el->p + at, el->len - at);
	if (el->len > at) run_mark(f->l, E_TLS, at, el->p[at], X5_TAG_SAN_DNS);
}

/*
 * Writing a hello's fields into an element whose room was reserved for
 * them at their longest (tls_client, tls_server): no test per field.
 */
static inline uint8_t *w_tlv(uint8_t *q, uint8_t tag, const void *v, size_t n)
{
	q[0] = tag;
	put_be16(q + 1, (uint16_t)n);
	memcpy(q + 3, v, n);
	return q + 3 + n;
}

static inline uint8_t *w_u16(uint8_t *q, uint8_t tag, uint16_t v)
{
	q[0] = tag;
	put_be16(q + 1, 2);
	put_be16(q + 3, v);
	return q + 5;
}

static inline uint8_t *w_u8(uint8_t *q, uint8_t tag, uint8_t v)
{
	q[0] = tag;
	put_be16(q + 1, 1);
	q[3] = v;
	return q + 4;
}

/* The list's values, big-endian. */
static uint8_t *w_list(uint8_t *q, uint8_t tag, const struct tls_list *l)
{
	uint8_t *o = q + 3;
	unsigned i = 0;

	q[0] = tag;
	put_be16(q + 1, (uint16_t)(2 * l->n));
#ifdef FK_BSWAP
	/* four values a 64-bit word, the bytes of each 16-bit lane swapped */
	for (; i + 4 <= l->n; i += 4) {
		uint64_t x;

		memcpy(&x, l->v + i, 8);
		x = (x & 0x00ff00ff00ff00ffull) << 8 | (x >> 8 & 0x00ff00ff00ff00ffull);
		memcpy(o + 2 * i, &x, 8);
	}
#endif
	for (; i < l->n; i++) put_be16(o + 2 * i, l->v[i]);
	return o + 2 * l->n;
}

/* The post-quantum groups of l; nothing when there are none. */
static uint8_t *w_pq(uint8_t *q, uint8_t tag, const struct tls_list *l)
{
	unsigned i, n = 0;

	for (i = 0; i < l->n; i++)
		if (tls_group_pq(l->v[i])) put_be16(q + 3 + 2 * n++, l->v[i]);
	if (n == 0) return q;
	q[0] = tag;
	put_be16(q + 1, (uint16_t)(2 * n));
	return q + 3 + 2 * n;
}

/* Room for n more bytes of element b: also for what usually follows
 * (the ServerHello's fields after the ClientHello's), one allocation. */
static uint8_t *room_for(struct buf *b, size_t n)
{
	if (b->cap - b->len < n) buf_reserve(b, n + 256);
	return b->p + b->len;
}

/* The list's length and its values but GREASE (RFC 8701), which JA3 and
 * JA4 leave out: clients pick new GREASE values for every connection.
 * The key is only compared: its values keep their memory order. */
static size_t key_list(uint8_t *k, size_t at, const struct tls_list *l)
{
	unsigned i = 0, j;

	memcpy(k + at, &l->n, 2);
	at += 2;
	/* four values at a time while none of them can be GREASE: no 16-bit
	 * lane of (v & 0x0f0f) ^ 0x0a0a is zero */
	for (; i + 4 <= l->n; i += 4) {
		uint64_t x, y;

		memcpy(&x, l->v + i, 8);
		y = (x & 0x0f0f0f0f0f0f0f0full) ^ 0x0a0a0a0a0a0a0a0aull;
		if (((y - 0x0001000100010001ull) & ~y & 0x8000800080008000ull) == 0) {
			memcpy(k + at, &x, 8);
			at += 8;
			continue;
		}
		for (j = i; j < i + 4; j++) {
			if (tls_grease(l->v[j])) continue;
			memcpy(k + at, &l->v[j], 2);
			at += 2;
		}
	}
	for (; i < l->n; i++) {
		if (tls_grease(l->v[i])) continue;
		memcpy(k + at, &l->v[i], 2);
		at += 2;
	}
	return at;
}

/* Everything of a hello that JA3 and JA4 are computed from, into
 * k[HELLO_KEY_MAX]; returns its length.  Two hellos with the same key
 * have the same fingerprints. */
static size_t hello_key(const struct tls_hello *ch, char proto, uint8_t *k)
{
	size_t at = 0, na = ch->alpn_len < TLS_MAXALPN ? ch->alpn_len : TLS_MAXALPN;

	k[at++] = (uint8_t)proto;
	k[at++] = (ch->flags & TLS_F_SNI) != 0;
	put_be16(k + at, ch->version);
	at += 2;
	put_be16(k + at, (uint16_t)na);
	at += 2;
	memcpy(k + at, ch->alpn, na);
	at += na;
	at = key_list(k, at, &ch->ciphers);
	at = key_list(k, at, &ch->exts);
	at = key_list(k, at, &ch->groups);
	at = key_list(k, at, &ch->ecpf);
	at = key_list(k, at, &ch->sigalgs);
	return key_list(k, at, &ch->versions);
}

/* JA3, JA4 and JA4's raw and original-order forms of a hello, each a
 * 2-byte length and its characters, one after another (*vl bytes, in
 * the memo or in val[HELLO_FPS_MAX]); remembered by the fields they
 * come from. */
static const uint8_t *hello_fps(struct app_ctx *a, const struct tls_hello *ch, char proto, uint8_t *val,
    size_t *vl)
{
	uint8_t key[HELLO_KEY_MAX];
	char fp[4][TLS_FP_MAX];
	const uint8_t *v;
	size_t kl = 0, i, at = 0;

	if (a->hellos) {
		kl = hello_key(ch, proto, key);
		if ((v = memo_get(a->hellos, key, kl, vl)) != NULL) return v;
	}
	tls_ja3(ch, false, fp[0], TLS_FP_MAX);
	tls_ja4_all(ch, proto, fp[1], fp[2], fp[3], TLS_FP_MAX);
	for (i = 0; i < 4; i++) {
		size_t n = strlen(fp[i]); /* below TLS_FP_MAX */

		put_be16(val + at, (uint16_t)n);
		memcpy(val + at + 2, fp[i], n);
		at += 2 + n;
	}
	*vl = at;
	if (a->hellos) memo_put(a->hellos, key, kl, val, at);
	return val;
}

/* The ClientHello's fields; proto 't' (TCP: rv the version of the first
 * record) or 'q' (QUIC: no record layer, rv 0). */
static void tls_client(struct app_ctx *a, struct app_flow *f, const struct tls_hello *ch, uint16_t rv,
    char proto)
{
	static const uint8_t fp_tags[4] = { 11, 12, 14, 15 };
	uint8_t val[HELLO_FPS_MAX], *q;
	struct cur c = cur_make(ch->alpn, ch->alpn_len);
	size_t vl, need, i, at;
	const uint8_t *fps = hello_fps(a, ch, proto, val, &vl), *name;
	uint8_t k;

	/* every field at its longest: an ALPN name of k bytes takes 1 + k of
	 * the list and 3 + k here, a fingerprint 3 + n here and 2 + n in fps */
	need = 5 + 3 + (size_t)ch->sni_len + 3 * (size_t)ch->alpn_len + 6 * 3 +
	    2 * ((size_t)ch->ciphers.n + ch->exts.n + 2 * (size_t)ch->groups.n + ch->sigalgs.n + ch->versions.n) +
	    vl + 4 + 5 + 4 + 4;
	q = room_for(&f->l->fields[E_TLS], need);
	run_mark(f->l, E_TLS, f->l->fields[E_TLS].len, 1, 24);
	q = w_u16(q, 1, ch->version);
	if (ch->sni_len) q = w_tlv(q, 3, ch->sni, ch->sni_len);
	while (cur_u8(&c, &k) && cur_bytes(&c, k, &name)) q = w_tlv(q, 4, name, k);
	q = w_list(q, 5, &ch->ciphers);
	q = w_list(q, 7, &ch->exts);
	if (ch->groups.n) q = w_list(q, 8, &ch->groups);
	for (i = 0, at = 0; i < 4; i++) {
		size_t n = be16(fps + at);

		if (n) q = w_tlv(q, fp_tags[i], fps + at + 2, n);
		at += 2 + n;
	}
	if (ch->sigalgs.n) q = w_list(q, 17, &ch->sigalgs);
	if (ch->versions.n) q = w_list(q, 18, &ch->versions);
	if (rv) q = w_u16(q, 19, rv);
	q = w_pq(q, 20, &ch->groups);
	if (ch->flags & TLS_F_ECH) q = w_u8(q, 23, 1);
	if (ch->flags & TLS_F_RESUME) q = w_u8(q, 24, 1);
	f->l->fields[E_TLS].len = (size_t)(q - f->l->fields[E_TLS].p);
	if (ch->flags & TLS_F_CUT) f->status |= APP_S_CUT;
	memcpy(f->l->sid, ch->session_id, ch->session_id_len);
	f->l->sidlen = ch->session_id_len;
	f->l->ch_seen = true;
}

/* JA3S of a ServerHello into fp[TLS_FP_MAX]; returns its length.
 * Remembered by the fields it comes from (servers answer alike). */
static size_t server_fp(struct app_ctx *a, const struct tls_hello *sh, char *fp)
{
	uint8_t key[4 + 2 + 2 * TLS_MAXLIST];
	const uint8_t *v;
	size_t kl, n;

	put_be16(key, sh->version);
	put_be16(key + 2, sh->cipher);
	kl = key_list(key, 4, &sh->exts);
	if (a->servers && (v = memo_get(a->servers, key, kl, &n)) != NULL) {
		memcpy(fp, v, n);
		return n;
	}
	tls_ja3s(sh, false, fp, TLS_FP_MAX);
	n = strlen(fp);
	if (a->servers) memo_put(a->servers, key, kl, fp, n);
	return n;
}

static void tls_server(struct app_ctx *a, struct app_flow *f, const struct tls_hello *sh)
{
	char fp[TLS_FP_MAX];
	bool tls13 = sh->selected_version == 0x0304;
	bool resumed;
	size_t fl = server_fp(a, sh, fp);
	uint8_t *q = room_for(&f->l->fields[E_TLS], 5 + 5 + 3 + fl + 3 + 255 + 5 + 3 + 2 * (size_t)sh->exts.n + 4 + 4);

	run_mark(f->l, E_TLS, f->l->fields[E_TLS].len, 2, X5_TAG_FLAGS);
	q = w_u16(q, 2, sh->selected_version ? sh->selected_version : sh->version);
	q = w_u16(q, 6, sh->cipher);
	if (fl) q = w_tlv(q, 13, fp, fl);
	if (sh->alpn_len >= 2 && sh->alpn[0] + 1u <= sh->alpn_len) q = w_tlv(q, 16, sh->alpn + 1, sh->alpn[0]);
	if (sh->key_share) q = w_u16(q, 21, sh->key_share);
	q = w_list(q, 22, &sh->exts);
	/* TLS 1.3 echoes the session id always: only an accepted PSK resumes */
	resumed = tls13 ? (sh->flags & TLS_F_RESUME) != 0 :
	    f->l->ch_seen && f->l->sidlen && sh->session_id_len == f->l->sidlen &&
	    memcmp(sh->session_id, f->l->sid, f->l->sidlen) == 0;
	if (resumed) q = w_u8(q, 25, 1);
	/* TLS 1.3 encrypts the Certificate message: say so rather than say nothing */
	if (tls13 && !f->l->cert_seen) {
		f->l->cert_seen = true;
		q = w_u8(q, X5_TAG_FLAGS, X5C_HIDDEN);
	}
	f->l->fields[E_TLS].len = (size_t)(q - f->l->fields[E_TLS].p);
}

/* Parse what direction d has so far; true when its parse is over. */
static bool parse_tls(struct app_ctx *a, struct app_flow *f, int d, const uint8_t *p, uint32_t n)
{
	struct tls_hello h;
	struct tls_cb cb = { a, f };
	uint16_t rv = 0;
	size_t used;
	int rr, hr;

	/* an SSL 2.0-format ClientHello has no fields here; the server's TLS does */
	if (d == 0 && tls_sslv2_hello(p, n)) return true;
	buf_reset(&a->hs);
	rr = tls_records(p, n, &a->hs, &rv);
	if (rr == TLS_BAD && a->hs.len == 0) {
		f->status |= APP_S_MALFORMED;
		return true;
	}
	/* h is read only when valid: tls_parse_handshake clears that first */
	hr = tls_parse_handshake(a->hs.p, a->hs.len, d == 0 ? &h : NULL, d == 1 ? &h : NULL,
	    d == 1 && !f->l->cert_seen ? on_tls_msg : NULL, &cb, &used);
	/* the ServerHello's fields do not wait for the rest of the flight */
	if (d == 1 && h.valid && !f->l->sh_seen) {
		tls_server(a, f, &h);
		f->l->sh_seen = true;
	}
	if (hr == TLS_BAD) {
		f->status |= APP_S_MALFORMED;
		return true;
	}
	if (hr == TLS_MORE && rr == TLS_MORE) return false;
	if (hr == TLS_MORE && d == 1 && used) return true; /* the rest is encrypted */
	if (hr == TLS_MORE) {
		f->status |= rr == TLS_BAD ? APP_S_MALFORMED : APP_S_INCOMPLETE;
		return true;
	}
	if (d == 0 && h.valid) tls_client(a, f, &h, rv, 't');
	return true;
}

/* ------------------------------------------------------------------ HTTP */

static bool parse_http(struct app_flow *f, const uint8_t *p, uint32_t n)
{
	struct http_msg m;
	size_t used;
	int r = http_parse(p, n, &m, &used);

	if (r == HTTP_MORE) return false;
	if (r == HTTP_BAD) {
		f->status |= APP_S_MALFORMED;
		return true;
	}
	if (m.flags & HTTP_F_CUT) f->status |= APP_S_CUT;
	if (m.request) {
		fput_str(f, E_HTTP, 1, m.method);
		fput_str(f, E_HTTP, 2, m.uri);
		fput_str(f, E_HTTP, 3, m.version);
		fput_str(f, E_HTTP, 4, m.host);
		fput_str(f, E_HTTP, 5, m.user_agent);
	} else {
		fput_u16(f, E_HTTP, 6, m.status);
		fput_str(f, E_HTTP, 7, m.content_type);
		fput_str(f, E_HTTP, 8, m.server);
	}
	return true;
}

/* ------------------------------------------------------------------- DNS */

static uint32_t name_hash(const char *s)
{
	uint32_t h = 2166136261u;

	while (*s) h = (h ^ (uint8_t)*s++) * 16777619u;
	return h | 1;
}

static void dns_take(struct app_ctx *a, struct app_flow *f, const struct dns_msg *m)
{
	unsigned i;

	if (f->msgs >= a->c.max_dns) {
		f->status |= APP_S_CUT;
		return;
	}
	f->msgs++;
	if (!f->l->have_q) {
		f->l->have_q = true;
		fput_u16(f, E_DNS, 1, m->id);
		fput(f, E_DNS, 2, m->qname, strlen(m->qname));
		fput_u16(f, E_DNS, 3, m->qtype);
		f->l->qhash[0] = name_hash(m->qname);
		f->l->nq = 1;
	} else if (m->qdcount) {
		uint32_t h = name_hash(m->qname);

		for (i = 0; i < f->l->nq && f->l->qhash[i] != h; i++) continue;
		if (i == f->l->nq) {
			if (f->l->nq < MAX_QNAMES) {
				f->l->qhash[f->l->nq++] = h;
				fput(f, E_DNS, 8, m->qname, strlen(m->qname));
			} else {
				f->status |= APP_S_CUT;
			}
		}
	}
	if (m->response && !f->l->have_rcode) {
		f->l->have_rcode = true;
		fput_u8(f, E_DNS, 4, m->rcode);
	}
	if (m->mflags & DNS_F_CUT) f->status |= APP_S_CUT;
	for (i = 0; i < m->nans; i++) {
		const struct dns_answer *an = &m->ans[i];

		if (an->alen && f->l->naddr < MAX_ANS_ADDR) {
			fput(f, E_DNS, 5, an->addr, an->alen);
			f->l->naddr++;
		} else if (!an->alen && f->l->nname < MAX_ANS_NAME) {
			fput(f, E_DNS, 6, an->name, strlen(an->name));
			f->l->nname++;
		} else {
			f->status |= APP_S_CUT;
		}
	}
}

/* DNS over TCP: every whole length-prefixed message not yet read. */
static bool parse_dns_tcp(struct app_ctx *a, struct app_flow *f, int d, const uint8_t *p, uint32_t n)
{
	struct dns_msg m;

	while (n - f->l->toff[d] >= 2) {
		uint32_t k = be16(p + f->l->toff[d]);

		if (n - f->l->toff[d] - 2 < k) return f->l->toff[d] + 2 + k > a->c.reasm_bytes;
		if (dns_parse(p + f->l->toff[d] + 2, k, &m) != DNS_OK) {
			f->status |= APP_S_MALFORMED;
			return true;
		}
		dns_take(a, f, &m);
		f->l->toff[d] += 2 + k;
	}
	return false;
}

/* ------------------------------------------------------------------- SSH */

static bool parse_ssh(struct app_flow *f, int d, const uint8_t *p, uint32_t n)
{
	struct ssh_side s;
	int r = ssh_parse(p, n, d == 1, &s);

	if (r == SSH_MORE) return false;
	fput_str(f, E_SSH, (uint8_t)(1 + d), s.banner);
	if (s.kexinit) {
		fput_str(f, E_SSH, (uint8_t)(3 + d), s.hassh);
		fput_str(f, E_SSH, (uint8_t)(5 + d), s.algs);
	}
	if (r == SSH_BAD) f->status |= APP_S_MALFORMED;
	return true;
}

/* ------------------------------------------------------------ detection */

static void set_proto(struct app_flow *f, uint8_t p, const char *how)
{
	f->proto = p;
	f->detect = how;
}

/* Recognise the protocol from the first bytes of a TCP direction:
 * 1 recognised, 0 not yet decidable, -1 not one of ours. */
static int detect_tcp(struct app_flow *f, int d, const uint8_t *p, uint32_t n)
{
	bool req;
	struct dns_msg m;

	if (tls_looks_like(p, n)) {
		set_proto(f, P_TLS, "tls-handshake-record");
		return 1;
	}
	if (tls_sslv2_hello(p, n)) {
		set_proto(f, P_TLS, "sslv2-client-hello");
		return 1;
	}
	if (ssh_start(p, n)) {
		set_proto(f, P_SSH, "ssh-identification");
		return 1;
	}
	if (http_start(p, n, &req)) {
		set_proto(f, P_HTTP, req ? "http-request-line" : "http-status-line");
		return 1;
	}
	if (n >= 2 && be16(p) >= 17 && n >= 2u + be16(p) && dns_parse(p + 2, be16(p), &m) == DNS_OK &&
	    dns_plausible(&m)) {
		set_proto(f, P_DNS, "dns-tcp-message");
		return 1;
	}
	if (d == 1 && stls_greeting(p, n)) { /* the server speaks first */
		set_proto(f, P_STLS, "");
		return 1;
	}
	return n >= 16 ? -1 : 0;
}

static bool parse_dir(struct app_ctx *a, struct app_flow *f, int d, const uint8_t *p, uint32_t n)
{
	switch (f->proto) {
	case P_TLS: return parse_tls(a, f, d, p, n);
	case P_HTTP: return parse_http(f, p, n);
	case P_DNS: return parse_dns_tcp(a, f, d, p, n);
	case P_SSH: return parse_ssh(f, d, p, n);
	default: return true;
	}
}

static void finish_dir(struct app_ctx *a, struct app_flow *f, int d)
{
	wait_end(a, f, d);
	f->done[d] = true;
	ra_free(&a->pool, &f->l->ra[d]);
}

/*
 * An upgrade candidate, direction d's bytes p[0..n) new: read both
 * directions' preludes again if a line ended in the new bytes (so that a
 * direction is read at most once per line: a bounded number of times).
 * 1 TLS begins (f->l->base set, the protocol is TLS), 0 more bytes are
 * needed, -1 the flow's parse is over (refused, or not an upgrade).
 */
static int prelude(struct app_ctx *a, struct app_flow *f, int d, const uint8_t *p, uint32_t n)
{
	static const uint8_t none[1]; /* a direction without bytes has no buffer */
	const uint8_t *c = d == 0 ? p : f->l->ra[0].buf ? f->l->ra[0].buf : none;
	const uint8_t *s = d == 1 ? p : f->l->ra[1].buf ? f->l->ra[1].buf : none;
	uint32_t cn = d == 0 ? n : f->l->ra[0].len, sn = d == 1 ? n : f->l->ra[1].len;
	struct stls_result r;
	int e;

	if (n <= f->l->scanned[d] || memchr(p + f->l->scanned[d], '\n', n - f->l->scanned[d]) == NULL) return 0;
	f->l->scanned[d] = n;
	e = stls_scan(c, cn, s, sn, &r);
	if (e == STLS_MORE) {
		if (cn < a->c.reasm_bytes && sn < a->c.reasm_bytes) return 0;
		e = STLS_NOT; /* undecided within the window */
	}
	if (e == STLS_NOT) {
		set_proto(f, P_NONE, NULL);
		return -1;
	}
	if (e == STLS_REFUSED) {
		set_proto(f, (uint8_t)(P_SMTP + r.proto - STLS_SMTP), stls_detect[r.proto]);
		return -1;
	}
	set_proto(f, P_TLS, stls_detect[r.proto]);
	f->l->base[0] = r.off[0];
	f->l->base[1] = r.off[1];
	return 1;
}

/* HTTP over TCP: every request and response start counts, past the
 * reassembly window too. */
static void http_count(struct app_flow *f, int d, const struct app_seg *s)
{
	bool req;

	if (s->caplen && !s->retrans && http_start(s->payload, s->caplen, &req) && req == (d == 0)) {
		if (req) f->req++;
		else f->resp++;
	}
}

static void tcp_segment(struct app_ctx *a, struct app_flow *f, int d, const struct app_seg *s)
{
	struct ra_dir *r = &f->l->ra[d];
	uint32_t seq = s->seq, n;
	const uint8_t *p;
	bool view, first = f->proto == P_NONE;
	int i, k;

	if (f->proto == P_HTTP) http_count(f, d, s);
	if (f->done[d]) return;
	if (s->tcp_flags & 0x02) { /* data on a SYN (TCP Fast Open) starts at seq + 1 */
		ra_syn(r, seq);
		seq++;
	}
	if (s->len == 0) return;
	/* The direction's first bytes in one whole segment (the common case)
	 * are parsed where they lie; they are copied only if more must come. */
	view = s->caplen == s->len && ra_first(r, seq);
	if (view) {
		p = s->payload;
		n = s->caplen < a->c.reasm_bytes ? s->caplen : a->c.reasm_bytes;
	} else {
		if (!ra_add(&a->pool, r, a->c.reasm_bytes, seq, s->payload, s->caplen, s->len)) {
			if (r->flags & RA_BUDGET && r->len == 0) finish_dir(a, f, d);
			return;
		}
		p = r->buf;
		n = r->len;
	}
	/* k: 1 the protocol is known, 0 more bytes must come, -1 not ours */
	k = f->proto == P_NONE ? detect_tcp(f, d, p, n) : 1;
	if (k > 0 && f->proto == P_STLS) k = prelude(a, f, d, p, n);
	if (k < 0) {
		f->off = true;
		finish_dir(a, f, 0);
		finish_dir(a, f, 1);
		return;
	}
	if (k == 0) {
		if (view) ra_add(&a->pool, r, a->c.reasm_bytes, seq, s->payload, s->caplen, s->len);
		return;
	}
	if (first && f->proto == P_HTTP) { /* the packet that started it counts */
		if (d == 0) f->req++;
		else f->resp++;
	}
	/* the other direction may hold bytes that came before the protocol was known */
	for (i = 0; i < 2; i++) {
		int e = i == 0 ? d : !d;
		const uint8_t *q = e == d ? p : f->l->ra[e].buf;
		uint32_t m = e == d ? n : f->l->ra[e].len;
		bool over;

		if (f->done[e] || m == 0 || m < f->l->base[e]) continue;
		/* after an upgrade's prelude, its TLS bytes (none yet: the parse waits) */
		over = parse_dir(a, f, e, q + f->l->base[e], m - f->l->base[e]);
		if (!over && m >= a->c.reasm_bytes) {
			f->status |= APP_S_BUDGET;
			over = true;
		}
		if (over) finish_dir(a, f, e);
		else if (e == d && view) ra_add(&a->pool, r, a->c.reasm_bytes, seq, s->payload, s->caplen, s->len);
	}
}

static void tcp_packet(struct app_ctx *a, struct app_flow *f, int d, const struct app_seg *s)
{
	const struct ra_dir *r = &f->l->ra[d];

	tcp_segment(a, f, d, s);
	if (!f->done[d] && ra_holes(r) && !(r->flags & RA_GAP)) wait_start(a, f, d, s->ts);
	else wait_end(a, f, d);
}

/* ------------------------------------------------------------------- UDP */

/* A QUIC long-header Initial (RFC 9000 17.2.2; RFC 9369 3.2 for v2;
 * drafts 29 to 32, which Chrome spoke, have version 1's packet types). */
static bool quic_initial(const uint8_t *p, uint32_t n, uint32_t *ver, struct cur *dcid,
    struct cur *scid)
{
	struct cur c = cur_make(p, n);
	uint8_t b0, k;
	bool v1;

	if (!cur_u8(&c, &b0) || (b0 & 0xc0) != 0xc0 || !cur_u32(&c, ver)) return false;
	v1 = *ver == QUIC_V1 || (*ver >= 0xff00001du && *ver <= 0xff000020u);
	if (!((v1 && (b0 >> 4 & 3) == 0) || (*ver == QUIC_V2 && (b0 >> 4 & 3) == 1)))
		return false;
	if (!cur_u8(&c, &k) || k > 20 || !cur_sub(&c, k, dcid)) return false;
	if (!cur_u8(&c, &k) || k > 20 || !cur_sub(&c, k, scid)) return false;
	return n >= 1200 || cur_left(&c) >= 20; /* clients pad Initials to 1200 bytes */
}

/* What a QUIC state is charged to the reassembly pool: itself and a full
 * CRYPTO buffer each way. */
static uint64_t quic_cost(const struct app_ctx *a)
{
	return sizeof(struct quic) + 2ull * a->c.reasm_bytes;
}

static void quic_release(struct app_ctx *a, struct app_flow *f)
{
	if (f->l->q == NULL) return;
	quic_free(f->l->q);
	free(f->l->q);
	f->l->q = NULL;
	a->pool.used -= quic_cost(a);
}

/* Direction d's hello is whole, or will not be: parse the CRYPTO bytes
 * with the TLS code (RFC 9001 4: handshake messages without records). */
static void quic_hello(struct app_ctx *a, struct app_flow *f, int d)
{
	struct tls_hello h;
	const uint8_t *p;
	unsigned fl;
	size_t n = quic_crypto(f->l->q, d == 0, &p, &fl), used;
	int r;

	(void)a;
	f->done[d] = true;
	r = tls_parse_handshake(p, n, d == 0 ? &h : NULL, d == 1 ? &h : NULL, NULL, NULL, &used);
	if (h.valid && d == 0) {
		struct cur c = cur_make(h.alpn, h.alpn_len);
		const uint8_t *name;
		uint8_t k;

		tls_client(a, f, &h, 0, 'q');
		if (h.sni_len) fput(f, E_QUIC, 2, h.sni, h.sni_len);
		while (cur_u8(&c, &k) && cur_bytes(&c, k, &name)) fput(f, E_QUIC, 3, name, k);
	} else if (h.valid) {
		tls_server(a, f, &h);
		f->l->sh_seen = true;
	}
	if (r == TLS_BAD) {
		f->status |= APP_S_MALFORMED;
	} else if (!h.valid) {
		f->status |= APP_S_INCOMPLETE;
		if (fl & QUIC_F_GAP) f->status |= APP_S_GAP;
		if (fl & QUIC_F_BUDGET) f->status |= APP_S_BUDGET;
	}
}

/*
 * A datagram of a QUIC flow, direction d: fed to the Initial decryption
 * until the direction's first handshake message (the ClientHello, the
 * ServerHello) is whole in its CRYPTO stream, the stream's budget runs
 * out, or QUIC_MAX_DGRAMS datagrams brought neither.  The state is freed
 * with the rest of the parse's once both directions are over (seal).
 */
static void quic_datagram(struct app_ctx *a, struct app_flow *f, int d, const struct app_seg *s)
{
	unsigned fl;
	int fc = d == 0;

	if (f->done[d]) return;
	if (f->l->q == NULL) {
		if (a->pool.limit && a->pool.used + quic_cost(a) > a->pool.limit) {
			f->status |= APP_S_BUDGET;
			f->off = true;
			return;
		}
		a->pool.used += quic_cost(a);
		f->l->q = xmalloc(sizeof *f->l->q);
		quic_init(f->l->q, a->c.reasm_bytes);
	}
	quic_feed(f->l->q, s->payload, s->caplen, fc);
	f->l->qdg[d]++;
	quic_crypto(f->l->q, fc, NULL, &fl);
	if (quic_hello_done(f->l->q, fc) || (fl & QUIC_F_BUDGET) || f->l->qdg[d] >= QUIC_MAX_DGRAMS) {
		quic_hello(a, f, d);
		if (s->caplen < s->len && !(d == 0 ? f->l->ch_seen : f->l->sh_seen)) f->status |= APP_S_SNAPLEN;
	}
}

/* A datagram of an HTTP flow over UDP (SSDP, UPnP Device Architecture
 * 2.0 1.1: HTTPU, a whole message in each datagram): every request and
 * response counted, the first of each parsed. */
static void http_datagram(struct app_flow *f, const struct app_seg *s)
{
	bool req;

	if (!http_start(s->payload, s->caplen, &req)) {
		f->status |= s->caplen < s->len ? APP_S_SNAPLEN : APP_S_MALFORMED;
		return;
	}
	if (f->proto == P_NONE) set_proto(f, P_HTTP, req ? "http-request-line" : "http-status-line");
	if ((req ? f->req++ : f->resp++) == 0 && !parse_http(f, s->payload, s->caplen))
		f->status |= s->caplen < s->len ? APP_S_SNAPLEN : APP_S_MALFORMED; /* the head is cut */
}

static void udp_packet(struct app_ctx *a, struct app_flow *f, int d, const struct app_seg *s)
{
	struct dns_msg m;
	uint32_t ver;
	struct cur dcid, scid;
	bool first = f->proto == P_NONE, req;

	if (f->proto == P_QUIC) {
		quic_datagram(a, f, d, s);
		return;
	}
	if (first && quic_initial(s->payload, s->caplen, &ver, &dcid, &scid)) {
		uint8_t v[4];

		set_proto(f, P_QUIC, "quic-initial");
		put_be32(v, ver);
		fput(f, E_QUIC, 1, v, 4);
		fput(f, E_QUIC, 4, dcid.p, cur_left(&dcid));
		fput(f, E_QUIC, 5, scid.p, cur_left(&scid));
		quic_datagram(a, f, d, s);
		return;
	}
	if (f->proto == P_HTTP || (first && http_start(s->payload, s->caplen, &req))) {
		http_datagram(f, s);
		return;
	}
	if (dns_parse(s->payload, s->caplen, &m) == DNS_OK && (!first || dns_plausible(&m))) {
		if (first) set_proto(f, P_DNS, "dns-message");
		dns_take(a, f, &m);
		return;
	}
	if (f->proto == P_DNS) {
		f->status |= s->caplen < s->len ? APP_S_SNAPLEN : APP_S_MALFORMED;
		return;
	}
	f->off = true; /* the first datagram is not ours: neither is the flow */
}

static void status_of(const struct app_flow *f, int d, uint16_t *st)
{
	const struct ra_dir *r = &f->l->ra[d];

	if (f->done[d] || !r->started || r->len == 0) return;
	*st |= APP_S_INCOMPLETE;
	if (ra_holes(r)) *st |= APP_S_GAP;
	if (r->flags & RA_BUDGET) *st |= APP_S_BUDGET;
	if (r->flags & RA_SNAPLEN) *st |= APP_S_SNAPLEN;
	if (r->flags & RA_RANGES) *st |= APP_S_RANGES;
}

/* What a flow's reassembly and QUIC state add to its status when the
 * record is written (nothing once every direction's parse is over). */
static uint16_t live_status(const struct app_flow *f)
{
	uint16_t st = 0;
	int i;

	if (f->proto != P_QUIC && f->proto != P_DNS) {
		status_of(f, 0, &st);
		status_of(f, 1, &st);
	} else if (f->proto == P_DNS && (f->l->ra[0].started || f->l->ra[1].started)) {
		status_of(f, 0, &st);
		status_of(f, 1, &st);
	} else if (f->proto == P_QUIC && f->l->q) {
		for (i = 0; i < 2; i++) {
			unsigned fl;

			if (f->done[i] || f->l->qdg[i] == 0) continue;
			quic_crypto(f->l->q, i == 0, NULL, &fl);
			st |= APP_S_INCOMPLETE;
			if (fl & QUIC_F_GAP) st |= APP_S_GAP;
		}
	}
	return st;
}

static void seal(struct app_ctx *a, struct app_flow **fp);

bool app_packet(struct app_ctx *a, struct app_flow **fp, int dir, const struct app_seg *s)
{
	struct app_flow *f;

	app_expire(a, s->ts);
	f = *fp;
	if (f && f->l == NULL) {
		/* sealed: an HTTP connection's later requests and responses still count */
		if (f->proto != P_HTTP) return false;
		http_count(f, dir, s);
		return true;
	}
	if (s->caplen == 0 && !(s->is_tcp && (s->tcp_flags & 0x02))) return true;
	if (f == NULL) {
		f = *fp = head_new(a);
		if ((f->l = a->spare) != NULL) {
			a->spare = f->l->next_spare;
			a->nspare--;
			memset(f->l, 0, offsetof(struct app_live, fields)); /* the fields are empty */
		} else {
			f->l = xcalloc(1, sizeof *f->l);
		}
	}
	if (s->is_tcp) tcp_packet(a, f, dir, s);
	else udp_packet(a, f, dir, s);
	if (f->off || (f->done[0] && f->done[1])) {
		seal(a, fp);
		return (*fp)->proto == P_HTTP;
	}
	return true;
}

/* ------------------------------------------------------------------ emit */

/* A field of m bytes (3 and more: tag, length, value) from s to o,
 * inline when it is short (most are): a call to memcpy costs more. */
static inline void copy_field(uint8_t *o, const uint8_t *s, size_t m)
{
	uint64_t x, y;
	uint32_t u, v;

	if (m <= 16 && m >= 8) { /* two words that overlap when m < 16 */
		memcpy(&x, s, 8);
		memcpy(&y, s + m - 8, 8);
		memcpy(o, &x, 8);
		memcpy(o + m - 8, &y, 8);
	} else if (m >= 4 && m < 8) {
		memcpy(&u, s, 4);
		memcpy(&v, s + m - 4, 4);
		memcpy(o, &u, 4);
		memcpy(o + m - 4, &v, 4);
	} else if (m < 4) {
		o[0] = s[0];
		o[1] = s[1];
		o[2] = s[2];
	} else {
		memcpy(o, s, m);
	}
}

/*
 * Runs of fields in tag order, run k from at[k] to at[k + 1] (at[0] 0,
 * at[nrun] n), merged into out (n bytes), an earlier run's fields first
 * among equal tags: the piece of the chosen run that goes before every
 * other run's next field is copied at once.  The fields are the
 * parse's own, whole.
 */
static void merge_runs(uint8_t *out, const uint8_t *in, const uint32_t *at, unsigned nrun)
{
	const uint8_t *h[MAX_RUNS], *e[MAX_RUNS];
	unsigned k, j, left = nrun;

	for (k = 0; k < nrun; k++) {
		h[k] = in + at[k];
		e[k] = in + at[k + 1];
		if (h[k] == e[k]) left--;
	}
	while (left > 1) {
		const uint8_t *s;
		int lim = 256;

		for (k = MAX_RUNS, j = 0; j < nrun; j++)
			if (h[j] < e[j] && (k == MAX_RUNS || h[j][0] < h[k][0])) k = j;
		/* before the runs ahead of k strictly, before those after it or with them */
		for (j = 0; j < nrun; j++) {
			if (j == k || h[j] == e[j]) continue;
			if (j < k && h[j][0] - 1 < lim) lim = h[j][0] - 1;
			if (j > k && h[j][0] < lim) lim = h[j][0];
		}
		for (s = h[k]; h[k] < e[k] && h[k][0] <= lim;) h[k] += 3 + (size_t)be16(h[k] + 1);
		copy_field(out, s, (size_t)(h[k] - s));
		out += h[k] - s;
		if (h[k] == e[k]) left--;
	}
	for (k = 0; k < nrun; k++)
		if (h[k] < e[k]) memcpy(out, h[k], (size_t)(e[k] - h[k]));
}

/*
 * The fields of in[0..inlen) (tag-length-value, in the order they were
 * found; at most REC_MAX_META_FIELDS of them) into out, sorted by tag,
 * stably: the values of a multi tag keep their order.  Returns the bytes
 * written (at most inlen).  The fields come in runs that are in order
 * already (a ClientHello's, then a ServerHello's): one run is copied
 * whole, two are merged; more (a certificate chain's fields) are sorted
 * by chaining each tag's fields in the order found and walking the tags
 * present (a bit each) upwards.
 */
static size_t sort_fields(struct app_ctx *a, uint8_t *out, const uint8_t *in, size_t inlen)
{
	uint32_t *off = a->sf_off;
	uint16_t *first = a->sf_first, *last = a->sf_last, *next = a->sf_next;
	uint64_t seen[4] = { 0, 0, 0, 0 };
	const uint8_t *p = in, *end = in + inlen;
	unsigned n = 0, nrun = 1, r2 = 0, i, j, w;
	uint8_t prev = 0;
	uint8_t *o = out;

	while (n < REC_MAX_META_FIELDS && end - p >= 3) {
		size_t len = be16(p + 1);

		if (len > (size_t)(end - p) - 3) break;
		if (p[0] < prev && nrun++ == 1) r2 = n;
		prev = p[0];
		off[n++] = (uint32_t)(p - in);
		p += 3 + len;
	}
	end = p;
	if (nrun == 1) {
		memcpy(out, in, (size_t)(end - in));
		return (size_t)(end - in);
	}
	if (nrun == 2) { /* [0, r2) and [r2, n): the first run's field first among equal tags */
		for (i = 0, j = r2; i < r2 && j < n;) {
			const uint8_t *x = in + off[i], *y = in + off[j];

			if (y[0] < x[0]) {
				copy_field(o, y, 3 + (size_t)be16(y + 1));
				o += 3 + (size_t)be16(y + 1);
				j++;
			} else {
				copy_field(o, x, 3 + (size_t)be16(x + 1));
				o += 3 + (size_t)be16(x + 1);
				i++;
			}
		}
		/* what is left of either run is one piece of in */
		if (i < r2) {
			memcpy(o, in + off[i], off[r2] - off[i]);
			o += off[r2] - off[i];
		} else if (j < n) {
			memcpy(o, in + off[j], (size_t)(end - (in + off[j])));
			o += end - (in + off[j]);
		}
		return (size_t)(o - out);
	}
	for (i = 0; i < n; i++) {
		uint8_t t = in[off[i]];

		if (seen[t >> 6] & 1ull << (t & 63)) {
			next[last[t]] = (uint16_t)i;
		} else {
			seen[t >> 6] |= 1ull << (t & 63);
			first[t] = (uint16_t)i;
		}
		last[t] = (uint16_t)i;
	}
	for (w = 0; w < 4; w++) {
		uint64_t bits;

		for (bits = seen[w]; bits; bits &= bits - 1) {
			unsigned t = w * 64 + (unsigned)__builtin_ctzll(bits);

			for (i = first[t];; i = next[i]) {
				const uint8_t *fl = in + off[i];
				size_t m = 3 + (size_t)be16(fl + 1);

				copy_field(o, fl, m);
				o += m;
				if (i == last[t]) break;
			}
		}
	}
	return (size_t)(o - out);
}

/* The APP element of f with status st into out (app_len bytes). */
static size_t app_len(const struct app_flow *f, uint16_t st)
{
	return 6 + strlen(proto_names[f->proto]) + strlen(f->detect) + (st ? 5 : 0);
}

static void app_elem(const struct app_flow *f, uint16_t st, uint8_t *out)
{
	size_t pn = strlen(proto_names[f->proto]), dn = strlen(f->detect);

	out[0] = 1;
	put_be16(out + 1, (uint16_t)pn);
	memcpy(out + 3, proto_names[f->proto], pn);
	out += 3 + pn;
	out[0] = 2;
	put_be16(out + 1, (uint16_t)dn);
	memcpy(out + 3, f->detect, dn);
	out += 3 + dn;
	if (st) {
		out[0] = 3;
		put_be16(out + 1, 2);
		put_be16(out + 3, st);
	}
}

/* Every parse of *fp is over: keep what the record needs, as app_emit
 * hands it out, in one block with the head (*fp moves there). */
static void seal(struct app_ctx *a, struct app_flow **fp)
{
	struct app_flow *f = *fp, *g;
	struct app_live *l = f->l;
	size_t n, at = 0;
	int i;

	if (f->proto != P_NONE && f->proto != P_STLS) { /* else nothing is written */
		f->status |= live_status(f);
		n = app_len(f, f->status);
		for (i = 0; i < E_N - 1; i++) n += l->fields[i].len;
		g = xmalloc(sizeof *g + n);
		*g = *f;
		g->fld = (uint8_t *)(g + 1);
		head_free(a, f);
		*fp = f = g;
		for (i = 0; i < E_N - 1; i++) {
			size_t len = l->fields[i].len;

			/* fewer bytes than REC_MAX_META_FIELDS fields take: none is cut by the bound */
			if (len == 0 || len >= 3 * REC_MAX_META_FIELDS || l->runs[i] == MAX_RUNS) {
				f->flen[i] = len ? (uint32_t)sort_fields(a, f->fld + at, l->fields[i].p, len) : 0;
			} else if (l->runs[i] == 0) {
				memcpy(f->fld + at, l->fields[i].p, len);
				f->flen[i] = (uint32_t)len;
			} else {
				uint32_t ra[MAX_RUNS + 1];
				unsigned k, nr = l->runs[i] + 1u;

				ra[0] = 0;
				for (k = 1; k < nr; k++) ra[k] = l->run_at[i][k - 1];
				ra[nr] = (uint32_t)len;
				merge_runs(f->fld + at, l->fields[i].p, ra, nr);
				f->flen[i] = (uint32_t)len;
			}
			at += f->flen[i];
		}
		app_elem(f, f->status, f->fld + at);
		f->flen[E_APP] = (uint32_t)app_len(f, f->status);
	}
	live_free(a, f);
}

/*
 * Sorted fields p[0..n) and counters (tags ctag[0..nc) ascending, 4-byte
 * values) into o, each counter after the fields of its tag and below:
 * what sorting the fields followed by the counters gives.  (The bounds
 * of the parsers keep an element far below REC_MAX_META_FIELDS fields,
 * so that no counter is ever cut by it.)
 */
static void with_counters(struct buf *o, const uint8_t *p, size_t n, const uint8_t *ctag,
    const uint32_t *cval, int nc)
{
	size_t at = 0, s;
	int k;

	buf_reset(o);
	buf_reserve(o, n + 7 * (size_t)nc);
	for (k = 0; k < nc; k++) {
		uint8_t *q;

		for (s = at; at < n && p[at] <= ctag[k]; at += 3 + (size_t)be16(p + at + 1)) continue;
		if (at > s) memcpy(o->p + o->len, p + s, at - s);
		q = o->p + o->len + (at - s);
		q[0] = ctag[k];
		put_be16(q + 1, 4);
		put_be32(q + 3, cval[k]);
		o->len += at - s + 7;
	}
	if (n > at) memcpy(o->p + o->len, p + at, n - at);
	o->len += n - at;
}

/* A sealed flow: its elements as they are, but for the counters. */
static void emit_sealed(struct app_ctx *a, const struct app_flow *f, struct rec_flow *r)
{
	static const uint8_t http_tags[2] = { 9, 10 }, dns_tag[1] = { 7 };
	size_t at = 0;
	int i;

	for (i = 0; i < E_N; i++) {
		const uint8_t *p = f->fld + at;
		size_t n = f->flen[i];
		uint32_t v[2];
		int nc = 0;

		at += n;
		if (i == E_HTTP && (f->req || f->resp)) {
			uint8_t t[2];

			if (f->req) {
				t[nc] = http_tags[0];
				v[nc++] = f->req;
			}
			if (f->resp) {
				t[nc] = http_tags[1];
				v[nc++] = f->resp;
			}
			with_counters(&a->out[i], p, n, t, v, nc);
		} else if (i == E_DNS && f->msgs) {
			v[0] = f->msgs;
			with_counters(&a->out[i], p, n, dns_tag, v, 1);
			nc = 1;
		}
		if (nc) {
			p = a->out[i].p;
			n = a->out[i].len;
		}
		if (n) rec_set(r, elem_ids[i], p, (uint32_t)n);
	}
}

void app_emit(struct app_ctx *a, const struct app_flow *f, struct rec_flow *r)
{
	uint16_t st;
	int i;

	if (f == NULL || f->proto == P_NONE || f->proto == P_STLS) return;
	if (f->l == NULL) {
		emit_sealed(a, f, r);
		return;
	}
	st = f->status | live_status(f);
	for (i = 0; i < E_N - 1; i++) {
		const uint8_t *p = f->l->fields[i].p;
		size_t n = f->l->fields[i].len;
		uint8_t v[4];

		/* the counters go last, among the fields found */
		if ((i == E_HTTP && (f->req || f->resp)) || (i == E_DNS && f->msgs)) {
			buf_reset(&a->tmp);
			buf_put(&a->tmp, p, n);
			if (i == E_HTTP) {
				put_be32(v, f->req);
				if (f->req) tlv_put(&a->tmp, 9, v, 4);
				put_be32(v, f->resp);
				if (f->resp) tlv_put(&a->tmp, 10, v, 4);
			} else {
				put_be32(v, f->msgs);
				tlv_put(&a->tmp, 7, v, 4);
			}
			p = a->tmp.p;
			n = a->tmp.len;
		}
		if (n) {
			buf_reset(&a->out[i]);
			buf_reserve(&a->out[i], n);
			a->out[i].len = sort_fields(a, a->out[i].p, p, n);
			rec_set(r, elem_ids[i], a->out[i].p, (uint32_t)a->out[i].len);
		}
	}
	buf_reset(&a->out[E_APP]);
	buf_reserve(&a->out[E_APP], app_len(f, st));
	app_elem(f, st, a->out[E_APP].p);
	a->out[E_APP].len = app_len(f, st);
	rec_set(r, RE_APP, a->out[E_APP].p, (uint32_t)a->out[E_APP].len);
}
