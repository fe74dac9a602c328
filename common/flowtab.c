/*
 * flowtab.c - the flow table (flowtab.h).
 *
 * Every active flow is in the hash table, in the creation-ordered list
 * (active timeout, end-of-input order) and in one activity list: one per
 * protocol class ordered by last packet, or the linger list of closed TCP
 * flows, also ordered by last packet.  Expiry only ever looks at list heads, so
 * the per-packet cost is constant.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "bytes.h"
#include "flowtab.h"
#include "msg.h"
#include "stats.h"

enum { L_TCP, L_UDP, L_OTHER, L_LINGER, L_N };

struct src {
	char *file, *label;
	size_t file_len, label_len;
	unsigned refs;
};

struct seg;

#define SEG_NSIZE 64u                 /* segment sizes carved from the slot chunks (seg_drop) */

/* A per-flow store: a list of segments (see store_put). */
struct store {
	struct seg *head, *tail;
	uint32_t len, cap;            /* bytes stored; bytes of room and segment headers
	                                 (what growth goes by) */
};

/* The fields a packet reads and writes come first: the lookup's in the
 * first cache line, the per-packet state in the next ones. */
struct flow {
	struct flow *hnext;
	uint64_t hash;
	/* key: canonical endpoint order (a <= b) unless unidirectional; kw
	 * is key_word(), k the two addresses as words (only compared) */
	uint64_t kw;
	uint64_t k[4];
	uint8_t ipv, proto;
	uint8_t list;
	/* direction of a packet: (its key_swap ^ dxor) & dmask; dmask is 0
	 * when unidirectional or when both endpoints are the same */
	uint8_t dxor, dmask;
	bool mac_set;
	bool app_quiet;               /* app_packet wants no more of its packets */
	bool pb_done, pl_done;        /* PKTBYTES, PAYLOAD: full and flagged (or no budget) */
	/* TCP */
	bool closing, rst, syn_valid;
	uint8_t fin;                  /* bit d: FIN seen from direction d */
	uint8_t seq_valid;            /* bit d: next_seq[d] known */
	uint32_t flags;
	uint16_t tcp_flags[2];
	uint32_t next_seq[2], syn_seq;
	uint64_t idle_lim;            /* its class's idle timeout (UINT64_MAX: none) */
	uint64_t first_ns, last_ns;
	uint64_t pkts[2], bytes[2], l3[2];
	struct flow *aprev, *anext;   /* activity list */
	struct app_flow *app;         /* application metadata, NULL until payload */
	/* stored data */
	struct store pk, pb, pl;      /* PACKETS, PKTBYTES (from its first packet), PAYLOAD */
	uint32_t npk, npb;
	uint32_t pb_used;
	/* the rest is read when the flow ends */
	struct flow *cprev, *cnext;   /* creation list */
	/* initiator endpoint, as in the packets */
	uint8_t isrc[16];
	uint16_t rec_sport, rec_dport;
	uint8_t idst[16];
	uint64_t first_pkt_no;
	uint8_t mac[12];
	uint8_t encap_len;
	uint8_t *encap;               /* on the heap: few flows have one */
	struct src *src;
	struct ft_run *run;           /* running aggregates past the table (run_add) */
};

struct ft_table {
	struct ft_config c;
	uint32_t npb_max;             /* PKTBYTES packets per flow, so that records fit */
	/* the timeouts as limits: UINT64_MAX for none */
	uint64_t idle_lim[FT_NCLASS], active_lim;
	ft_emit_fn emit;
	ft_emit_pieces_fn emit_pieces; /* instead of emit, when set */
	void *ctx;
	struct flow **bucket;
	size_t nbucket, nflows;
	struct flow *ahead[L_N], *atail[L_N];
	struct flow *chead, *ctail;
	/* ft_expire has nothing to end while now <= sweep_at: the earliest
	 * timeout of the lists' heads, recomputed after a sweep and forgotten
	 * (set to sweep_forget) when a head leaves its list or a list gets its
	 * first.  sweep_forget is 0, at which time nothing can end, or, with
	 * no_split, which has no timeouts, UINT64_MAX. */
	uint64_t sweep_at, sweep_forget;
	uint64_t prev_ts;             /* time of the previous packet */
	bool now_set, warned_evict, warned_name;
	struct src *cur;
	struct ft_stats st;
	struct app_ctx *app;          /* NULL when metadata is off */
	uint64_t app_due;             /* app_due(app) */
	struct rec_flow rec;
	struct buf tmp;
	struct buf gather;            /* stores in one piece for a record (store_flat) */
	struct rec_pieces pcs[3];     /* or in pieces (emit_pieces) */
	unsigned npcs;
	struct rec_piece *piece;
	size_t npiece, piece_cap;
	struct seg *seg_free[SEG_NSIZE]; /* ended flows' segments by size (seg_drop) */
	/* flow slots: struct flow + inline buffers (see flow_alloc) */
	struct flow *free;            /* ended flows, chained by hnext */
	uint8_t *carve;               /* the unused rest of the newest chunk */
	size_t left;
	void **chunks;
	size_t nchunks;
	size_t slot, off_pk, off_pl, cap_pk, cap_pl; /* inline segments: offsets, bytes */
};

/*
 * Flows live in fixed-size slots carved from large chunks that ask for
 * transparent huge pages; each slot holds the struct and the first part
 * of its per-packet table and payload (their first segments), and ended
 * flows' slots are reused.  Chunks are never returned: memory follows the
 * peak of active flows.  PKTBYTES, whose size varies too much to reserve
 * room for in every slot, and a flow that outgrows its inline room go on
 * in segments carved from the same chunks (store_grow).
 */
#define SLAB_CHUNK  (32u << 20)
/* Under AddressSanitizer every flow and buffer is its own heap block, so
 * that an overrun is caught at its first byte. */
#if defined(__SANITIZE_ADDRESS__)
#define FT_SLAB 0
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define FT_SLAB 0
#endif
#endif
#ifndef FT_SLAB
#define FT_SLAB 1
#endif
#define INLINE_PKTS 8u
#define INLINE_MAX  2048u

void ft_config_default(struct ft_config *c)
{
	memset(c, 0, sizeof *c);
	c->idle_ns[FT_TCP] = 300 * 1000000000ull;
	c->idle_ns[FT_UDP] = 120 * 1000000000ull;
	c->idle_ns[FT_OTHER] = 60 * 1000000000ull;
	c->active_ns = 1800 * 1000000000ull;
	c->linger_ns = 5 * 1000000000ull;
	c->max_flows = 1u << 20;
	c->max_pkts = 16384;
	c->bytes_budget = 1024;
	c->payload_budget = 1024;
	c->meta = true;
	app_config_default(&c->app);
}

/*
 * The largest flow record a configuration can produce: the core, the
 * element headers, label, source, MAC and ENCAP at their limits, PACKETS
 * at its cap, the two byte budgets, and 28 bytes of PKTBYTES header per
 * stored packet.  Every stored packet holds at least one byte, so there
 * are at most bytes_budget of them; npb_max bounds them further so that
 * the record stays within REC_MAX_LEN.
 */
#define FIXED_ROOM (REC_FLOW_CORE + 16 * 6 + REC_MAX_LABEL + 8 + REC_MAX_SOURCE_NAME + 12 + \
	5 * REC_MAX_ENCAP + 4 + 8 + ST_RUN_ENC_MAX)

static int64_t pb_room(const struct ft_config *c)
{
	return (int64_t)REC_MAX_LEN - FIXED_ROOM - (int64_t)REC_PKT_ENTRY * c->max_pkts -
	    (int64_t)c->bytes_budget - (int64_t)c->payload_budget;
}

static uint32_t npb_max(const struct ft_config *c)
{
	int64_t room = pb_room(c), n = room > 0 ? room / REC_PB_HDR : 0;

	if (n > (int64_t)c->bytes_budget) n = c->bytes_budget;
	if (n > (int64_t)REC_MAX_PKTS) n = REC_MAX_PKTS;
	return (uint32_t)n;
}

int ft_config_check(const struct ft_config *c, char *err, size_t errlen)
{
	if (c->max_pkts > REC_MAX_PKTS) {
		snprintf(err, errlen, "at most %u packets per flow table", REC_MAX_PKTS);
		return -1;
	}
	if (pb_room(c) < 0 || (c->bytes_budget && npb_max(c) == 0)) {
		snprintf(err, errlen, "the packet table and byte budgets together exceed the "
		    "%u-byte record limit", REC_MAX_LEN);
		return -1;
	}
	return 0;
}

static void slab_init(struct ft_table *t);
static void slab_grow(struct ft_table *t);

struct ft_table *ft_new(const struct ft_config *c, ft_emit_fn emit, void *ctx)
{
	struct ft_table *t = xcalloc(1, sizeof *t);

	t->c = *c;
	t->npb_max = npb_max(c);
	for (int i = 0; i < FT_NCLASS; i++) t->idle_lim[i] = c->idle_ns[i] ? c->idle_ns[i] : UINT64_MAX;
	t->active_lim = c->active_ns ? c->active_ns : UINT64_MAX;
	t->sweep_at = t->sweep_forget = c->no_split ? UINT64_MAX : 0;
	if (t->c.max_flows == 0) t->c.max_flows = 1;
	t->emit = emit;
	t->ctx = ctx;
	t->nbucket = 4096;
	t->bucket = xcalloc(t->nbucket, sizeof *t->bucket);
	slab_init(t);
	if (c->meta) t->app = app_new(&c->app);
	t->app_due = UINT64_MAX;
	return t;
}

static void src_put(struct src *s)
{
	if (s && --s->refs == 0) {
		free(s->file);
		free(s->label);
		free(s);
	}
}

void ft_set_source(struct ft_table *t, const char *file, const char *label)
{
	struct src *s = xcalloc(1, sizeof *s);

	s->file = xstrdup(file ? file : "");
	s->label = label ? xstrdup(label) : NULL;
	s->file_len = strlen(s->file);
	s->label_len = s->label ? strlen(s->label) : 0;
	s->refs = 1;
	src_put(t->cur);
	t->cur = s;
}

const char *ft_source(const struct ft_table *t) { return t->cur ? t->cur->file : ""; }

void ft_emit_pieces(struct ft_table *t, ft_emit_pieces_fn emit) { t->emit_pieces = emit; }

/* ---- lists ---- */

static void act_unlink(struct ft_table *t, struct flow *f)
{
	if (!f->aprev) t->sweep_at = t->sweep_forget; /* the head goes */
	if (f->aprev) f->aprev->anext = f->anext; else t->ahead[f->list] = f->anext;
	if (f->anext) f->anext->aprev = f->aprev; else t->atail[f->list] = f->aprev;
	f->aprev = f->anext = NULL;
}

static void act_append(struct ft_table *t, struct flow *f, uint8_t list)
{
	f->list = list;
	f->anext = NULL;
	f->aprev = t->atail[list];
	if (t->atail[list]) t->atail[list]->anext = f;
	else t->ahead[list] = f, t->sweep_at = t->sweep_forget;
	t->atail[list] = f;
}

/* act_unlink and act_append to its list again, for a flow that is not
 * its list's tail (so it has a next, and the list keeps a tail). */
static inline void act_to_tail(struct ft_table *t, struct flow *f)
{
	uint8_t l = f->list;

	if (f->aprev) {
		f->aprev->anext = f->anext;
	} else {
		t->ahead[l] = f->anext;
		t->sweep_at = t->sweep_forget; /* the head goes */
	}
	f->anext->aprev = f->aprev;
	f->aprev = t->atail[l];
	f->anext = NULL;
	t->atail[l]->anext = f;
	t->atail[l] = f;
}

static void cre_unlink(struct ft_table *t, struct flow *f)
{
	if (!f->cprev) t->sweep_at = t->sweep_forget;
	if (f->cprev) f->cprev->cnext = f->cnext; else t->chead = f->cnext;
	if (f->cnext) f->cnext->cprev = f->cprev; else t->ctail = f->cprev;
}

static void cre_append(struct ft_table *t, struct flow *f)
{
	f->cnext = NULL;
	f->cprev = t->ctail;
	if (t->ctail) t->ctail->cnext = f;
	else t->chead = f, t->sweep_at = t->sweep_forget;
	t->ctail = f;
}

static uint8_t class_of(uint8_t proto)
{
	return proto == 6 ? L_TCP : proto == 17 ? L_UDP : L_OTHER;
}

/* ---- hashing ---- */

static inline uint64_t mix(uint64_t h, uint64_t w)
{
	h = (h ^ w) * 0x9e3779b97f4a7c15ull;
	return h ^ (h >> 29);
}

/* The key's version, protocol and ports in one word. */
static inline uint64_t key_word(uint8_t ipv, uint8_t proto, uint16_t pa, uint16_t pb)
{
	return (uint64_t)ipv << 40 | (uint64_t)proto << 32 | (uint64_t)pa << 16 | pb;
}

static uint64_t key_hash(const uint8_t *a, const uint8_t *b, uint64_t kw)
{
	uint64_t w[4], h = 0x243f6a8885a308d3ull;

	memcpy(w, a, 16);
	memcpy(w + 2, b, 16);
	h = mix(h, w[0]);
	h = mix(h, w[1]);
	h = mix(h, w[2]);
	h = mix(h, w[3]);
	h = mix(h, kw);
	return h ^ (h >> 32);
}

static void grow(struct ft_table *t)
{
	size_t n = t->nbucket * 2, i;
	struct flow **nb = xcalloc(n, sizeof *nb);

	for (i = 0; i < t->nbucket; i++) {
		struct flow *f = t->bucket[i], *next;

		for (; f; f = next) {
			next = f->hnext;
			f->hnext = nb[f->hash & (n - 1)];
			nb[f->hash & (n - 1)] = f;
		}
	}
	free(t->bucket);
	t->bucket = nb;
	t->nbucket = n;
}

static void hash_remove(struct ft_table *t, struct flow *f)
{
	struct flow **pp = &t->bucket[f->hash & (t->nbucket - 1)];

	while (*pp != f) pp = &(*pp)->hnext;
	*pp = f->hnext;
}

static size_t round_up(size_t n, size_t a) { return (n + a - 1) / a * a; }

/*
 * A per-flow store (per-packet table, packet bytes, payload) is a list of
 * segments written in place, so that growing it copies nothing; the record
 * gets it in one piece when the flow ends (store_flat).  Each new segment
 * is half (a quarter past STORE_BIG) of what the store has, at least
 * STORE_MIN, in 64-byte steps, rather than doubling, so that what is held
 * stays within 1.5 (1.25) times what the flow has stored; the few flows
 * that hold much are most of the memory.  Every segment but the last is
 * full: a write that does not fit the room left is split.
 */
#define STORE_MIN 128u
#define STORE_BIG 8192u

struct seg {
	struct seg *next;
	uint32_t len, cap;            /* bytes of d used, and there */
	uint8_t d[];
};
_Static_assert(sizeof(struct seg) == 16, "store_grow counts on a 16-byte segment header");

static void store_init(struct store *s, void *inl, uint32_t cap)
{
	struct seg *g = inl;

	s->head = s->tail = NULL;
	s->len = s->cap = 0;
	if (cap == 0) return;
	g->next = NULL;
	g->len = 0;
	g->cap = cap;
	s->head = s->tail = g;
	s->cap = cap;
}

/*
 * Segments of up to 64 * SEG_NSIZE bytes (most of them) are carved from
 * the slot chunks, as slots are, and an ended flow's go to a free list by
 * size for the next flows (growth makes few sizes): a segment costs no
 * malloc and no free.  Like the slots they are never returned: memory
 * follows the peak of the active flows' segments of each size.  Under
 * AddressSanitizer every segment is a heap block of its own.
 */
static void seg_drop(struct ft_table *t, struct seg *g)
{
	size_t k = (g->cap + 32) / 64 - 1;

	if (FT_SLAB && k < SEG_NSIZE) {
		g->next = t->seg_free[k];
		t->seg_free[k] = g;
	} else {
		free(g);
	}
}

/* Free the segments of s but inl (the slot's inline one, or NULL). */
static void store_free(struct ft_table *t, struct store *s, const void *inl)
{
	struct seg *g, *next;

	for (g = s->head; g; g = next) {
		next = g->next;
		if ((const void *)g != inl) seg_drop(t, g);
	}
	s->head = s->tail = NULL;
	s->len = s->cap = 0;
}

/*
 * A new last segment with room for at least n bytes.  It takes a 64-byte
 * multiple of memory: in a chunk, or from malloc, asked for 16 bytes less
 * for malloc's own header (a word, in 16-byte steps in glibc).  Its room
 * is a multiple of 32 bytes, so that per-packet entries after the inline
 * room's count never straddle two segments.
 */
static struct seg *store_grow(struct ft_table *t, struct store *s, size_t n)
{
	size_t step = s->cap < STORE_BIG ? s->cap / 2 : s->cap / 4, size, k;
	struct seg *g;

	if (step < STORE_MIN) step = STORE_MIN;
	size = round_up(step > n + 32 ? step : n + 32, 64) - 16;
	k = (size + 16) / 64 - 1;
	if (FT_SLAB && k < SEG_NSIZE && (g = t->seg_free[k]) != NULL) {
		t->seg_free[k] = g->next;
	} else if (FT_SLAB && k < SEG_NSIZE) {
		if (t->left < size + 16) slab_grow(t);
		g = (struct seg *)(void *)t->carve;
		t->carve += size + 16;
		t->left -= size + 16;
	} else {
		g = xmalloc(size);
	}
	g->next = NULL;
	g->len = 0;
	g->cap = (uint32_t)(size - 16);
	if (s->tail) s->tail->next = g; else s->head = g;
	s->tail = g;
	s->cap += (uint32_t)size;
	return g;
}

/*
 * Append na bytes from a, then nb from b, to s: into the room left, then
 * into new segments, each grown by what is still to come (so that a
 * packet's header and bytes share a segment).
 */
static void store_put2(struct ft_table *t, struct store *s, const void *a, size_t na,
    const void *b, size_t nb)
{
	const uint8_t *q = a;
	size_t n = na, left = na + nb;

	while (left) {
		struct seg *g = s->tail;
		size_t k;

		if (n == 0) {
			q = b;
			n = nb;
		}
		if (!g || g->len == g->cap) g = store_grow(t, s, left);
		k = g->cap - g->len < n ? g->cap - g->len : n;
		memcpy(g->d + g->len, q, k);
		g->len += (uint32_t)k;
		s->len += (uint32_t)k;
		q += k;
		n -= k;
		left -= k;
	}
}

static void store_put(struct ft_table *t, struct store *s, const void *v, size_t n)
{
	store_put2(t, s, v, n, NULL, 0);
}

/*
 * Room for n bytes in place at the end of s (a new segment when the last
 * is full), or NULL when they would straddle two segments; store_commit
 * then counts them.  Per-packet entries never straddle with the slot
 * chunks (see store_grow).
 */
static inline uint8_t *store_room(struct ft_table *t, struct store *s, size_t n)
{
	struct seg *g = s->tail;

	if (!g || g->len == g->cap) g = store_grow(t, s, n);
	return g->cap - g->len >= n ? g->d + g->len : NULL;
}

static inline void store_commit(struct store *s, size_t n)
{
	s->tail->len += (uint32_t)n;
	s->len += (uint32_t)n;
}

/* What store_flat will add to t->gather. */
static size_t store_gather_len(const struct store *s)
{
	return s->head && s->head->next ? s->len : 0;
}

/* The bytes of s in one piece: its only segment, or a copy at the end of
 * t->gather, which the caller has reserved store_gather_len(s) bytes in. */
static const uint8_t *store_flat(struct ft_table *t, const struct store *s)
{
	const struct seg *g;
	uint8_t *p;

	if (!s->head) return NULL;
	if (!s->head->next) return s->head->d;
	p = t->gather.p + t->gather.len;
	for (g = s->head; g; g = g->next) {
		memcpy(t->gather.p + t->gather.len, g->d, g->len);
		t->gather.len += g->len;
	}
	return p;
}

/* ---- ending a flow ---- */

/*
 * Running aggregates (stats.h, st_run) of a flow whose table is full, so
 * that its moments cover every packet: started from the table when the
 * first packet past it arrives, then updated per packet in constant
 * memory; written as the FEATURES element when the flow ends.
 */
struct ft_run {
	struct st_run r;
	struct buf enc;
};

/* The per-packet table entry of packet p, of direction d. */
static void entry_of(const struct flow *f, const struct ft_pkt *p, int d, uint8_t pflags,
    struct rec_pkt *e)
{
	e->t_ns = p->ts_ns > f->first_ns ? p->ts_ns - f->first_ns : 0;
	if (e->t_ns > f->last_ns - f->first_ns) e->t_ns = f->last_ns - f->first_ns;
	e->wire_len = p->wire_len;
	e->ip_len = p->ip_len;
	e->l4_len = p->l4_len;
	e->payload_len = p->payload_len;
	e->dir = (uint8_t)d;
	e->pflags = pflags;
	e->ttl = p->ttl;
	e->tos = p->tos;
	e->tcp_flags = p->is_tcp ? p->tcp_flags : 0;
	e->window = p->is_tcp ? p->window : 0;
}

static void run_add(struct ft_table *t, struct flow *f, const struct ft_pkt *p, int d,
    uint8_t pflags)
{
	struct rec_pkt e;

	if (!f->run) {
		struct rec_elem tab = { RE_PACKETS, f->pk.len, NULL };

		buf_reset(&t->gather);
		buf_reserve(&t->gather, store_gather_len(&f->pk));
		tab.val = store_flat(t, &f->pk);
		f->run = xcalloc(1, sizeof *f->run);
		for (uint32_t i = 0; i < f->npk; i++) {
			rec_pkt_get(&tab, i, &e);
			st_run_add(&f->run->r, &e);
		}
	}
	entry_of(f, p, d, pflags, &e);
	st_run_add(&f->run->r, &e);
}

static void run_put(struct rec_flow *r, struct ft_run *run)
{
	buf_reset(&run->enc);
	st_run_encode(&run->r, &run->enc);
	rec_set(r, RE_FEATURES, run->enc.p, (uint32_t)run->enc.len);
}

static void run_free(struct ft_run *run)
{
	buf_free(&run->enc);
	free(run);
}

/* An element the record has not got yet. */
static inline void elem_add(struct rec_flow *r, uint16_t id, const void *val, uint32_t len)
{
	r->elem[r->nelem].id = id;
	r->elem[r->nelem].len = len;
	r->elem[r->nelem].val = val;
	r->nelem++;
}

static size_t store_nseg(const struct store *s)
{
	size_t n = 0;

	for (const struct seg *g = s->head; g; g = g->next) n++;
	return n;
}

/* Room in t->piece for the segments of f's stores (emit_pieces). */
static void pieces_begin(struct ft_table *t, const struct flow *f)
{
	size_t n = store_nseg(&f->pk) + store_nseg(&f->pb) + store_nseg(&f->pl);

	t->npiece = 0;
	if (n > t->piece_cap) {
		t->piece_cap = n * 2;
		t->piece = xrealloc(t->piece, t->piece_cap * sizeof *t->piece);
	}
}

/* Store s as element id of r: in one piece (gathered unless it has one
 * segment), or with emit_pieces and more than one segment, as pieces
 * after those of the elements before it (pieces_begin made room). */
static void store_elem(struct ft_table *t, struct rec_flow *r, uint16_t id, const struct store *s)
{
	struct rec_pieces *pc;
	struct rec_piece *v;
	const struct seg *g;

	if (!t->emit_pieces || !s->head || !s->head->next) {
		elem_add(r, id, store_flat(t, s), s->len);
		return;
	}
	pc = &t->pcs[t->npcs];
	v = t->piece + t->npiece;
	pc->id = id;
	pc->n = 0;
	pc->v = v;
	for (g = s->head; g; g = g->next) {
		v[pc->n].p = g->d;
		v[pc->n].len = g->len;
		pc->n++;
	}
	t->npiece += pc->n;
	t->npcs++;
	elem_add(r, id, NULL, s->len);
}

static void emit_flow(struct ft_table *t, struct flow *f, uint8_t reason)
{
	struct rec_flow *r = &t->rec;
	int i;

	r->ipv = f->ipv;
	r->proto = f->proto;
	r->end_reason = reason;
	r->flags = f->flags;
	memcpy(r->src, f->isrc, 16);
	memcpy(r->dst, f->idst, 16);
	if (f->ipv == 4) {
		memset(r->src + 4, 0, 12);
		memset(r->dst + 4, 0, 12);
	}
	r->sport = f->rec_sport;
	r->dport = f->rec_dport;
	for (i = 0; i < 2; i++) {
		r->tcp_flags[i] = f->tcp_flags[i];
		r->pkts[i] = f->pkts[i];
		r->bytes[i] = f->bytes[i];
		r->l3_bytes[i] = f->l3[i];
	}
	r->first_ns = f->first_ns;
	r->last_ns = f->last_ns;
	r->nelem = 0;

	/* The elements are new ones: elem_add rather than rec_set. */
	buf_reset(&t->tmp);
	if (f->src) {
		size_t n = f->src->file_len;
		const char *name = f->src->file;

		/* Keep the end of an over-long path: the file name says most. */
		if (n > REC_MAX_SOURCE_NAME) {
			name += n - REC_MAX_SOURCE_NAME;
			n = REC_MAX_SOURCE_NAME;
			if (!t->warned_name) {
				msg_warn("%s: name longer than %u bytes: its last %u bytes are recorded",
				    f->src->file, REC_MAX_SOURCE_NAME, REC_MAX_SOURCE_NAME);
				t->warned_name = true;
			}
		}
		buf_put64(&t->tmp, f->first_pkt_no);
		buf_put(&t->tmp, name, n);
		elem_add(r, RE_SOURCE, t->tmp.p, (uint32_t)t->tmp.len);
	}
	if (f->src && f->src->label)
		elem_add(r, RE_LABEL, f->src->label, (uint32_t)f->src->label_len);
	/* Counts are patched in the first segment, which holds the header. */
	t->npcs = 0;
	if (t->emit_pieces) {
		pieces_begin(t, f);
	} else {
		buf_reset(&t->gather);
		buf_reserve(&t->gather, store_gather_len(&f->pk) + store_gather_len(&f->pb) +
		    store_gather_len(&f->pl));
	}
	if (f->npk) {
		put_be32(f->pk.head->d, f->npk);
		store_elem(t, r, RE_PACKETS, &f->pk);
	}
	if (f->npb) {
		put_be32(f->pb.head->d + 4, f->npb);
		store_elem(t, r, RE_PKTBYTES, &f->pb);
	}
	if (f->pl.len) store_elem(t, r, RE_PAYLOAD, &f->pl);
	if (f->mac_set) elem_add(r, RE_MAC, f->mac, 12);
	if (f->encap_len) elem_add(r, RE_ENCAP, f->encap, f->encap_len);
	if (f->run) run_put(r, f->run);
	if (f->app) app_emit(t->app, f->app, r);

	if (reason < END_NKNOWN) t->st.ended[reason]++;
	if (f->flags & RF_PKTS_TRUNCATED) t->st.pkts_truncated++;
	if (f->flags & RF_BYTES_TRUNCATED) t->st.bytes_truncated++;
	if (f->flags & RF_PAYLOAD_TRUNCATED) t->st.payload_truncated++;
	if (t->emit_pieces) t->emit_pieces(t->ctx, r, t->pcs, t->npcs);
	else t->emit(t->ctx, r);
}


static void slab_init(struct ft_table *t)
{
	const struct ft_config *c = &t->c;

	/* PKTBYTES sizes vary most: no inline room, its segments fit its packets */
	t->cap_pk = 4 + REC_PKT_ENTRY * (c->max_pkts < INLINE_PKTS ? c->max_pkts : INLINE_PKTS);
	t->cap_pl = c->payload_budget < INLINE_MAX ? c->payload_budget : INLINE_MAX;
	t->off_pk = round_up(sizeof(struct flow), 16);
	t->off_pl = t->off_pk + round_up(sizeof(struct seg) + t->cap_pk, 16);
	t->slot = round_up(t->off_pl + (t->cap_pl ? sizeof(struct seg) + t->cap_pl : 0), 64);
	if (!FT_SLAB) t->cap_pk = t->cap_pl = 0;
}

static void slab_grow(struct ft_table *t)
{
	void *p = mmap(NULL, SLAB_CHUNK, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	if (p == MAP_FAILED) msg_die(EXIT_DATA, "out of memory");
	(void)madvise(p, SLAB_CHUNK, MADV_HUGEPAGE); /* a hint: fewer page faults and TLB misses */
	t->chunks = xrealloc(t->chunks, (t->nchunks + 1) * sizeof *t->chunks);
	t->chunks[t->nchunks++] = p;
	t->carve = p;
	t->left = SLAB_CHUNK;
}

/* A zeroed flow with its inline buffers, from a reused or a new slot. */
static struct flow *flow_alloc(struct ft_table *t)
{
	struct flow *f = t->free;

	if (!FT_SLAB) {
		f = xmalloc(sizeof *f);
	} else if (f) {
		t->free = f->hnext;
	} else {
		if (t->left < t->slot) slab_grow(t);
		f = (struct flow *)(void *)t->carve;
		t->carve += t->slot;
		t->left -= t->slot;
	}
	memset(f, 0, sizeof *f);
	store_init(&f->pk, (uint8_t *)f + t->off_pk, (uint32_t)t->cap_pk);
	store_init(&f->pl, (uint8_t *)f + t->off_pl, (uint32_t)t->cap_pl);
	return f;
}

/* Give back a flow's segments and what it took from the heap; its slot
 * goes to the free list. */
static void flow_release(struct ft_table *t, struct flow *f)
{
	store_free(t, &f->pk, t->cap_pk ? (uint8_t *)f + t->off_pk : NULL);
	store_free(t, &f->pb, NULL);
	store_free(t, &f->pl, t->cap_pl ? (uint8_t *)f + t->off_pl : NULL);
	if (f->run) run_free(f->run);
	free(f->encap);
	app_flow_free(t->app, f->app);
	if (!FT_SLAB) {
		free(f);
		return;
	}
	f->hnext = t->free;
	t->free = f;
}

/* The bytes flow f needs (ft_stats.held). */
static size_t flow_held(const struct flow *f)
{
	return sizeof *f + f->pk.len + f->pb.len + f->pl.len;
}

static void end_flow(struct ft_table *t, struct flow *f, uint8_t reason)
{
	emit_flow(t, f, reason);
	t->st.held -= flow_held(f);
	hash_remove(t, f);
	act_unlink(t, f);
	cre_unlink(t, f);
	t->nflows--;
	src_put(f->src);
	flow_release(t, f);
}

static uint8_t closed_reason(const struct flow *f)
{
	return f->rst ? END_RST : END_FIN;
}

/* a + b, or UINT64_MAX past it */
static uint64_t sat_add(uint64_t a, uint64_t b) { return a > UINT64_MAX - b ? UINT64_MAX : a + b; }

void ft_expire(struct ft_table *t, uint64_t now)
{
	int l;
	struct flow *f;
	uint64_t at = UINT64_MAX;

	if (t->c.no_split) return;
	if (now <= t->sweep_at) return;
	for (l = L_TCP; l <= L_OTHER; l++) {
		uint64_t idle = t->c.idle_ns[l];

		while (idle && (f = t->ahead[l]) != NULL && now - f->last_ns > idle && now > f->last_ns)
			end_flow(t, f, END_IDLE);
	}
	while ((f = t->ahead[L_LINGER]) != NULL && now > f->last_ns &&
	    now - f->last_ns > t->c.linger_ns)
		end_flow(t, f, closed_reason(f));
	while (t->c.active_ns && (f = t->chead) != NULL && now > f->first_ns &&
	    now - f->first_ns > t->c.active_ns)
		end_flow(t, f, END_ACTIVE);
	/* Each head above is due after at: a flow behind it has been active
	 * since (a list is in order of last activity or of creation). */
	for (l = L_TCP; l <= L_OTHER; l++)
		if (t->c.idle_ns[l] && (f = t->ahead[l]) != NULL && sat_add(f->last_ns, t->c.idle_ns[l]) < at)
			at = sat_add(f->last_ns, t->c.idle_ns[l]);
	if ((f = t->ahead[L_LINGER]) != NULL && sat_add(f->last_ns, t->c.linger_ns) < at)
		at = sat_add(f->last_ns, t->c.linger_ns);
	if (t->c.active_ns && (f = t->chead) != NULL && sat_add(f->first_ns, t->c.active_ns) < at)
		at = sat_add(f->first_ns, t->c.active_ns);
	t->sweep_at = at;
}

/* The least recently active flow: closed ones first, then the oldest head. */
static void evict_one(struct ft_table *t)
{
	struct flow *victim = t->ahead[L_LINGER];
	int l;

	if (!victim)
		for (l = L_TCP; l <= L_OTHER; l++)
			if (t->ahead[l] && (!victim || t->ahead[l]->last_ns < victim->last_ns))
				victim = t->ahead[l];
	if (!victim) return;
	if (!t->warned_evict) {
		msg_warn("flow table full (%u flows): evicting the least recently active flows",
		    t->c.max_flows);
		t->warned_evict = true;
	}
	t->st.evicted++;
	/* A closed flow is complete: it only loses its linger. */
	end_flow(t, victim, victim->closing ? closed_reason(victim) : END_EVICTED);
}

static struct flow *flow_new(struct ft_table *t, const struct ft_pkt *p, uint64_t h,
    uint64_t kw, const uint64_t *k)
{
	struct flow *f;
	bool reverse = false;

	while (t->nflows >= t->c.max_flows) evict_one(t);
	f = flow_alloc(t);
	f->hash = h;
	f->kw = kw;
	memcpy(f->k, k, sizeof f->k);
	f->ipv = p->ipv;
	f->proto = p->proto;
	f->idle_lim = t->idle_lim[class_of(p->proto)];
	f->pb_done = t->c.bytes_budget == 0;
	f->pl_done = t->c.payload_budget == 0;
	if (p->is_tcp && (p->tcp_flags & 0x12) == 0x12) {
		reverse = true;                    /* SYN+ACK: the receiver opened it */
	} else if (p->is_tcp && !(p->tcp_flags & 0x02)) {
		f->flags |= RF_INITIATOR_GUESSED;
	}
	if (t->c.unidirectional) {
		reverse = false;
		f->flags |= RF_UNIDIRECTIONAL;
	}
	if (!reverse) {
		memcpy(f->isrc, p->src, 16);
		memcpy(f->idst, p->dst, 16);
		f->rec_sport = p->rec_sport;
		f->rec_dport = p->rec_dport;
	} else {
		memcpy(f->isrc, p->dst, 16);
		memcpy(f->idst, p->src, 16);
		f->rec_sport = p->rec_dport;
		f->rec_dport = p->rec_sport;
	}
	/* A packet's sender is the key's first endpoint unless key_swap, and
	 * the initiator that of this one unless reversed: direction 0 is the
	 * initiator's.  With both endpoints alike every packet is direction 0. */
	f->dxor = (uint8_t)(p->key_swap ^ reverse);
	f->dmask = !t->c.unidirectional &&
	    !(p->sport == p->dport && memcmp(p->src, p->dst, 16) == 0);
	f->first_ns = f->last_ns = p->ts_ns;
	f->first_pkt_no = p->pkt_no;
	f->src = t->cur;
	if (f->src) f->src->refs++;
	if (p->encap && p->encap_len) {
		f->encap_len = p->encap_len > REC_MAX_ENCAP * 5 ? REC_MAX_ENCAP * 5 : p->encap_len;
		f->encap_len -= f->encap_len % 5;
		if (f->encap_len) {
			f->encap = xmalloc(f->encap_len);
			memcpy(f->encap, p->encap, f->encap_len);
		}
	}
	store_put(t, &f->pk, (const uint8_t[4]){ 0 }, 4); /* count, patched at the end */
	f->hnext = t->bucket[h & (t->nbucket - 1)];
	t->bucket[h & (t->nbucket - 1)] = f;
	act_append(t, f, class_of(f->proto));
	cre_append(t, f);
	t->st.held += flow_held(f);
	if (++t->nflows > t->nbucket && t->nbucket < (1u << 26)) grow(t);
	if (t->nflows > t->st.max_active) t->st.max_active = t->nflows;
	t->st.flows++;
	return f;
}

/* Serial-number comparison (RFC 1982): is a after b? */
static inline bool seq_after(uint32_t a, uint32_t b) { return (int32_t)(a - b) > 0; }

_Static_assert(RP_FRAG << 4 == RF_FRAGMENTS && RP_SNAPLEN << 4 == RF_SNAPLEN,
    "add_packet shifts the packet flags into the flow's");

static void add_packet(struct ft_table *t, struct flow *f, const struct ft_pkt *p)
{
	int d = (p->key_swap ^ f->dxor) & f->dmask;
	uint8_t pflags = p->pflags;
	size_t added = 0;             /* bytes stored (ft_stats.held) */

	if (p->is_tcp) {
		uint16_t fl = p->tcp_flags;
		uint32_t end = p->seq + p->payload_len + !!(fl & 0x02) + !!(fl & 0x01);

		/* A segment that carries nothing beyond what was already sent is a
		 * retransmission (keep-alives included). */
		if (end != p->seq) {
			if ((f->seq_valid >> d & 1) && !seq_after(end, f->next_seq[d])) {
				pflags |= RP_RETRANS;
				t->st.retrans++;
				if (t->c.drop_retrans) {
					t->st.retrans_dropped++;
					return;
				}
			} else {
				f->next_seq[d] = end;
				f->seq_valid |= (uint8_t)(1u << d);
			}
		}
	}
	t->st.packets++;
	if (p->ts_ns < f->last_ns) f->flags |= RF_TS_BACKWARDS;
	else f->last_ns = p->ts_ns;
	f->flags |= (uint32_t)(p->pflags & (RP_FRAG | RP_SNAPLEN)) << 4;
	f->pkts[d]++;
	f->bytes[d] += p->wire_len;
	f->l3[d] += p->ip_len;

	if (p->is_tcp) {
		uint16_t fl = p->tcp_flags;

		f->tcp_flags[d] |= fl;
		if ((fl & 0x12) == 0x02 && !f->syn_valid) {
			f->syn_valid = true;
			f->syn_seq = p->seq;
		}
		/* Only RST or FIN can close it (a flow that is not closing has
		 * seen neither RST nor both FINs). */
		if ((fl & 0x05) && !t->c.no_split && !f->closing) {
			if (fl & 0x04) f->rst = true;
			if (fl & 0x01) f->fin |= (uint8_t)(1u << d);
			/* A unidirectional flow is one side of a connection: its
			 * own FIN ends it. */
			if (f->rst || f->fin == 3 || (t->c.unidirectional && f->fin)) {
				f->closing = true;
				act_unlink(t, f);
				act_append(t, f, L_LINGER);
			}
		}
	}
	/* The lists are in order of last activity (the linger list too:
	 * a closed flow lingers until its stragglers stop). */
	if (t->atail[f->list] != f) act_to_tail(t, f);

	if (t->app && (p->is_tcp || p->proto == 17)) {
		if (!f->app_quiet) {
			struct app_seg s = { p->is_tcp, (pflags & RP_RETRANS) != 0, p->tcp_flags, p->seq,
				p->payload, p->payload_caplen, p->payload_len, p->ts_ns };

			f->app_quiet = !app_packet(t->app, &f->app, d, &s);
			t->app_due = app_due(t->app);
		} else if (p->ts_ns > t->app_due) {
			app_expire(t->app, p->ts_ns);
			t->app_due = app_due(t->app);
		}
	}

	if (!f->mac_set && p->mac_src && p->mac_dst) {
		memcpy(f->mac, d == 0 ? p->mac_src : p->mac_dst, 6);
		memcpy(f->mac + 6, d == 0 ? p->mac_dst : p->mac_src, 6);
		f->mac_set = true;
	}

	if (f->npk < t->c.max_pkts) {
		/* entry_of's entry, as it is known here: last_ns is at least
		 * ts_ns or has just become it */
		struct rec_pkt e = {
			.t_ns = p->ts_ns > f->first_ns ? p->ts_ns - f->first_ns : 0,
			.wire_len = p->wire_len, .ip_len = p->ip_len, .l4_len = p->l4_len,
			.payload_len = p->payload_len, .dir = (uint8_t)d, .pflags = pflags,
			.ttl = p->ttl, .tos = p->tos,
			.tcp_flags = p->is_tcp ? p->tcp_flags : 0, .window = p->is_tcp ? p->window : 0,
		};
		uint8_t tmp[REC_PKT_ENTRY], *q = store_room(t, &f->pk, REC_PKT_ENTRY);

		rec_pkt_enc(q ? q : tmp, &e);
		if (q) store_commit(&f->pk, REC_PKT_ENTRY);
		else store_put(t, &f->pk, tmp, REC_PKT_ENTRY);
		added += REC_PKT_ENTRY;
		f->npk++;
	} else if (t->c.max_pkts) {
		f->flags |= RF_PKTS_TRUNCATED;
		run_add(t, f, p, d, pflags);
	}

	if (!f->pb_done) {
		const uint8_t *from = t->c.link_bytes ? p->frame : p->ip;
		uint32_t avail = t->c.link_bytes ? p->link_caplen : p->ip_caplen;

		if (from == NULL) avail = 0;
		if (f->pb_used < t->c.bytes_budget && avail > 0 && f->npb < t->npb_max) {
			struct rec_pb pb;
			uint8_t hdr[8 + REC_PB_HDR] = { 0 };
			uint32_t room = t->c.bytes_budget - f->pb_used, head = f->pb.len ? 0 : 8;

			if (room > REC_MAX_PKT_STORED) room = REC_MAX_PKT_STORED;
			pb.index = (uint32_t)(f->pkts[0] + f->pkts[1] - 1);
			pb.ts_ns = p->ts_ns;
			pb.orig_len = p->orig_len;
			pb.incl_len = p->caplen;
			pb.linktype = p->linktype;
			pb.link_len = p->link_len;
			pb.n = avail < room ? avail : room;
			pb.data = from;
			if (pb.n < avail) f->flags |= RF_BYTES_TRUNCATED;
			/* The element's header (layer, count patched at the end)
			 * comes with the first packet: one segment for both
			 * (store_put grows by what is asked first). */
			hdr[0] = t->c.link_bytes ? 1 : 0;
			rec_pb_hdr(hdr + 8, &pb);
			store_put2(t, &f->pb, hdr + 8 - head, head + REC_PB_HDR, pb.data, pb.n);
			added += head + REC_PB_HDR + pb.n;
			f->npb++;
			f->pb_used += pb.n;
		} else if (avail > 0) {
			f->flags |= RF_BYTES_TRUNCATED;
		}
		/* Full and flagged: later packets change nothing. */
		if ((f->flags & RF_BYTES_TRUNCATED) &&
		    (f->pb_used >= t->c.bytes_budget || f->npb >= t->npb_max))
			f->pb_done = true;
	}
	if (p->payload_caplen && !f->pl_done && p->payload) {
		uint32_t room = t->c.payload_budget - (uint32_t)f->pl.len;
		uint32_t n = p->payload_caplen < room ? p->payload_caplen : room;

		if (n) store_put(t, &f->pl, p->payload, n);
		added += n;
		if (n < p->payload_caplen) {
			f->flags |= RF_PAYLOAD_TRUNCATED;
			f->pl_done = true;
		}
	}
	t->st.held += added;
	if (t->st.held > t->st.max_held) t->st.max_held = t->st.held;
}

/*
 * Should flow f end before a packet at time ts joins it?  Its own
 * timeouts decide, whatever the table's sweeps have seen.  Returns the
 * end reason, or 0.
 */
static uint8_t stale(const struct ft_table *t, const struct flow *f, uint64_t ts)
{
	/* first_ns <= last_ns < ts below */
	if (ts <= f->last_ns) return 0;
	if (f->closing) return ts - f->last_ns > t->c.linger_ns ? closed_reason(f) : 0;
	if (ts - f->last_ns > f->idle_lim) return END_IDLE;
	if (ts - f->first_ns > t->active_lim) return END_ACTIVE;
	return 0;
}

/* memcmp(a, b, 16)'s sign, in two loads a side rather than a call. */
static inline int cmp_addr(const uint8_t *a, const uint8_t *b)
{
	uint64_t x = be64(a), y = be64(b);

	if (x == y) {
		x = be64(a + 8);
		y = be64(b + 8);
	}
	return x < y ? -1 : x > y;
}

void ft_key(const struct ft_table *t, struct ft_pkt *p)
{
	int c = t->c.unidirectional ? -1 : cmp_addr(p->src, p->dst);

	p->key_swap = c > 0 || (c == 0 && p->sport > p->dport);
	if (p->key_swap) {
		p->key_word = key_word(p->ipv, p->proto, p->dport, p->sport);
		p->hash = key_hash(p->dst, p->src, p->key_word);
	} else {
		p->key_word = key_word(p->ipv, p->proto, p->sport, p->dport);
		p->hash = key_hash(p->src, p->dst, p->key_word);
	}
}

void ft_packet(struct ft_table *t, const struct ft_pkt *p)
{
	const uint8_t *ka = p->src, *kb = p->dst;
	uint64_t h, clock, kw, k[4];
	struct flow *f;

	/*
	 * The sweeps run on the older of this packet's and the previous
	 * packet's time: one packet stamped far in the future (a broken
	 * clock, a crafted file) cannot end every other flow; two in a row
	 * are a real jump.  Each flow's own timeouts are checked exactly
	 * when its next packet comes (stale()).
	 */
	clock = p->ts_ns;
	if (t->now_set && p->ts_ns < t->prev_ts) t->st.ts_backwards++;
	else if (t->now_set) clock = t->prev_ts;
	t->prev_ts = p->ts_ns;
	t->now_set = true;
	if (clock > t->sweep_at) ft_expire(t, clock);

	if (p->key_swap) {
		ka = p->dst;
		kb = p->src;
	}
	kw = p->key_word;
	memcpy(k, ka, 16);
	memcpy(k + 2, kb, 16);
	h = p->hash;
	for (f = t->bucket[h & (t->nbucket - 1)]; f; f = f->hnext)
		if (f->hash == h && f->kw == kw &&
		    ((f->k[0] ^ k[0]) | (f->k[1] ^ k[1]) | (f->k[2] ^ k[2]) | (f->k[3] ^ k[3])) == 0)
			break;
	if (f && !t->c.no_split) {
		uint8_t why = stale(t, f, p->ts_ns);

		if (!why && p->is_tcp && (p->tcp_flags & 0x12) == 0x02) { /* a pure SYN */
			if (f->closing)
				why = closed_reason(f);
			else if (f->syn_valid && p->seq != f->syn_seq && f->pkts[0] + f->pkts[1] > 1)
				why = END_REUSED; /* a new connection on a tuple still open */
		}
		if (why) {
			end_flow(t, f, why);
			f = NULL;
		}
	}
	if (!f) f = flow_new(t, p, h, kw, k);
	add_packet(t, f, p);
}

void ft_flush(struct ft_table *t, uint8_t reason)
{
	while (t->chead) {
		struct flow *f = t->chead;

		end_flow(t, f, f->closing ? closed_reason(f) : reason);
	}
	t->now_set = false;
}

const struct ft_stats *ft_stats(const struct ft_table *t) { return &t->st; }

void ft_free(struct ft_table *t)
{
	if (t == NULL) return;
	while (t->chead) {
		struct flow *f = t->chead;

		cre_unlink(t, f);
		src_put(f->src);
		flow_release(t, f);
	}
	for (size_t i = 0; i < t->nchunks; i++) munmap(t->chunks[i], SLAB_CHUNK);
	free(t->chunks);
	src_put(t->cur);
	buf_free(&t->tmp);
	buf_free(&t->gather);
	free(t->piece);
	free(t->bucket);
	app_free(t->app);
	free(t);
}
