/*
 * frag.c - fragment reassembly (see frag.h for the policy).
 *
 * Each datagram in progress has a slot; slots sit in a hash table (for
 * lookup) and in a list by arrival of their first fragment (oldest first:
 * for eviction and timeouts).  A slot's buffer holds
 *
 *   offset 0          BITMAP_LEN bytes: one bit per 8-byte block of data received
 *   BITMAP_LEN        FRAG_MAX_UNFRAG bytes of room for the header, which is
 *                     stored right-aligned so that it ends where the data starts
 *   DATA_OFF          the fragment data, at its fragment offset
 *
 * so the finished datagram is contiguous and needs no copy.  Buffers grow
 * by doubling and stay with their slot when it is freed, so a steady
 * stream of fragments allocates nothing; every byte allocated counts
 * against max_bytes.
 */
#include "frag.h"

#include <stdlib.h>
#include <string.h>

#include "bytes.h"

#define MAX_DATA   65535u                     /* fragment data end, both versions */
#define BITMAP_LEN ((MAX_DATA + 7) / 8 / 8 + 1) /* 1025 bytes: one bit per block */
#define DATA_OFF   (BITMAP_LEN + FRAG_MAX_UNFRAG)
#define MIN_CAP    4096u
#define MAX_CAP    (DATA_OFF + MAX_DATA + 1)

struct slot {
	uint8_t *buf;
	uint32_t cap;
	uint32_t id;
	uint64_t first_ts;
	uint8_t ver, proto;
	uint8_t live;       /* in the table */
	uint8_t dead;       /* discarded: absorbs its remaining fragments */
	uint8_t have_first, have_last;
	uint8_t nexthdr;    /* IPv6: the fragment header's next header */
	uint8_t src[16], dst[16];
	uint32_t hdr_len;   /* stored header (IPv4) or unfragmentable part (IPv6) */
	uint32_t nh_off;    /* IPv6: in the stored part, the byte that named the fragment header */
	uint32_t total;     /* data length, once the last fragment is seen */
	uint32_t maxend;    /* highest data end seen */
	uint32_t got;       /* data bytes held */
	uint64_t wire;      /* wire lengths of the fragments that added data */
	int32_t hnext;      /* hash chain, or free list */
	int32_t prev, next; /* arrival list */
};

struct frag {
	struct frag_cfg cfg;
	struct frag_stats st;
	struct slot *slots;
	int32_t *bucket;
	uint32_t nbucket;   /* a power of two */
	int32_t free_head;
	int32_t old, young; /* arrival list ends */
	uint64_t last_wire; /* the wire length of the datagram returned last */
};

void frag_cfg_default(struct frag_cfg *cfg)
{
	cfg->max_datagrams = 1024;
	cfg->max_bytes = 32u << 20;
	cfg->timeout_ns = 30ull * 1000000000ull;
}

struct frag *frag_new(const struct frag_cfg *cfg)
{
	struct frag *f = xcalloc(1, sizeof *f);
	struct frag_cfg def;

	frag_cfg_default(&def);
	f->cfg = def;
	if (cfg) {
		if (cfg->max_datagrams) f->cfg.max_datagrams = cfg->max_datagrams;
		if (cfg->max_bytes) f->cfg.max_bytes = cfg->max_bytes;
		if (cfg->timeout_ns) f->cfg.timeout_ns = cfg->timeout_ns;
	}
	if (f->cfg.max_datagrams > (1u << 24)) f->cfg.max_datagrams = 1u << 24;
	if (f->cfg.max_bytes < MAX_CAP) f->cfg.max_bytes = MAX_CAP;
	f->slots = xcalloc(f->cfg.max_datagrams, sizeof *f->slots);
	f->nbucket = 16;
	while (f->nbucket < 2 * f->cfg.max_datagrams) f->nbucket *= 2;
	f->bucket = xmalloc(f->nbucket * sizeof *f->bucket);
	for (uint32_t i = 0; i < f->nbucket; i++) f->bucket[i] = -1;
	for (uint32_t i = 0; i < f->cfg.max_datagrams; i++)
		f->slots[i].hnext = i + 1 < f->cfg.max_datagrams ? (int32_t)(i + 1) : -1;
	f->free_head = 0;
	f->old = f->young = -1;
	return f;
}

void frag_free(struct frag *f)
{
	if (!f) return;
	for (uint32_t i = 0; i < f->cfg.max_datagrams; i++) free(f->slots[i].buf);
	free(f->slots);
	free(f->bucket);
	free(f);
}

const struct frag_stats *frag_stats(const struct frag *f) { return &f->st; }

uint64_t frag_wirelen(const struct frag *f) { return f->last_wire; }

static uint32_t key_hash(uint8_t ver, uint8_t proto, uint32_t id, const uint8_t *src,
    const uint8_t *dst, uint32_t alen)
{
	uint32_t h = 2166136261u ^ id ^ ((uint32_t)ver << 24 | proto);

	for (uint32_t i = 0; i < alen; i++) h = (h ^ src[i]) * 16777619u;
	for (uint32_t i = 0; i < alen; i++) h = (h ^ dst[i]) * 16777619u;
	return h ^ (h >> 15);
}

static void buf_drop(struct frag *f, struct slot *s)
{
	if (!s->buf) return;
	f->st.bytes -= s->cap;
	free(s->buf);
	s->buf = NULL;
	s->cap = 0;
}

/* Take slot i out of the table and the arrival list, onto the free list. */
static void slot_release(struct frag *f, int32_t i)
{
	struct slot *s = &f->slots[i];
	uint32_t alen = s->ver == 4 ? 4 : 16;
	int32_t *pp = &f->bucket[key_hash(s->ver, s->proto, s->id, s->src, s->dst, alen) &
	    (f->nbucket - 1)];

	while (*pp != i) pp = &f->slots[*pp].hnext;
	*pp = s->hnext;
	if (s->prev >= 0) f->slots[s->prev].next = s->next; else f->old = s->next;
	if (s->next >= 0) f->slots[s->next].prev = s->prev; else f->young = s->prev;
	s->live = 0;
	s->hnext = f->free_head;
	f->free_head = i;
	f->st.held--;
}

/* Drop the datagram in slot i before completion; *counter says why. */
static void slot_drop(struct frag *f, int32_t i, uint64_t *counter)
{
	if (!f->slots[i].dead && counter) (*counter)++;
	slot_release(f, i);
}

/* Discard the datagram in s but keep the slot to absorb its fragments. */
static void slot_kill(struct frag *f, struct slot *s, uint64_t *counter)
{
	(*counter)++;
	s->dead = 1;
	buf_drop(f, s);
}

void frag_expire(struct frag *f, uint64_t now_ns)
{
	while (f->old >= 0) {
		struct slot *s = &f->slots[f->old];
		if (now_ns < s->first_ts || now_ns - s->first_ts <= f->cfg.timeout_ns) break;
		slot_drop(f, f->old, &f->st.timed_out);
	}
}

void frag_flush(struct frag *f)
{
	while (f->old >= 0) slot_drop(f, f->old, &f->st.unfinished);
}

/*
 * Make room for need more bytes of buffer: first free cached buffers of
 * free slots, then evict the oldest datagrams other than keep.  Returns 0
 * when the room is there.
 */
static int reserve(struct frag *f, uint64_t need, int32_t keep)
{
	int32_t i;

	if (f->st.bytes + need <= f->cfg.max_bytes) return 0;
	for (i = f->free_head; i >= 0 && f->st.bytes + need > f->cfg.max_bytes; i = f->slots[i].hnext)
		buf_drop(f, &f->slots[i]);
	while (f->st.bytes + need > f->cfg.max_bytes) {
		i = f->old;
		if (i == keep) i = f->slots[i].next;
		if (i < 0) return -1;
		buf_drop(f, &f->slots[i]);
		slot_drop(f, i, &f->st.evicted);
	}
	return 0;
}

/* Make s->buf hold at least DATA_OFF + end bytes; -1 if memory is short. */
static int grow(struct frag *f, struct slot *s, int32_t si, uint32_t end)
{
	uint32_t want = DATA_OFF + end, cap = s->cap ? s->cap : MIN_CAP;
	uint8_t *nb;

	if (s->buf && want <= s->cap) return 0;
	while (cap < want) cap *= 2;
	if (cap > MAX_CAP) cap = MAX_CAP;
	if (reserve(f, cap - s->cap, si)) return -1;
	nb = xrealloc(s->buf, cap);
	if (!s->buf) memset(nb, 0, BITMAP_LEN);
	f->st.bytes += cap - s->cap;
	if (f->st.bytes > f->st.peak_bytes) f->st.peak_bytes = f->st.bytes;
	s->buf = nb;
	s->cap = cap;
	return 0;
}

/* Find the datagram's slot, or start one (evicting the oldest when full). */
static int32_t lookup(struct frag *f, const struct pkt_info *pi, uint64_t ts)
{
	uint8_t proto = pi->ipver == 4 ? pi->proto : 0;
	uint32_t alen = pi->ipver == 4 ? 4 : 16;
	uint32_t b = key_hash(pi->ipver, proto, pi->frag_id, pi->saddr, pi->daddr, alen) &
	    (f->nbucket - 1);
	int32_t i;
	struct slot *s;

	for (i = f->bucket[b]; i >= 0; i = f->slots[i].hnext) {
		s = &f->slots[i];
		if (s->id == pi->frag_id && s->ver == pi->ipver && s->proto == proto &&
		    !memcmp(s->src, pi->saddr, alen) && !memcmp(s->dst, pi->daddr, alen))
			return i;
	}
	if (f->free_head < 0) slot_drop(f, f->old, &f->st.evicted);
	i = f->free_head;
	s = &f->slots[i];
	f->free_head = s->hnext;
	s->hnext = f->bucket[b];
	f->bucket[b] = i;
	s->prev = f->young;
	s->next = -1;
	if (f->young >= 0) f->slots[f->young].next = i; else f->old = i;
	f->young = i;
	s->live = 1;
	s->dead = 0;
	s->have_first = s->have_last = 0;
	s->id = pi->frag_id;
	s->ver = pi->ipver;
	s->proto = proto;
	memcpy(s->src, pi->saddr, alen);
	memcpy(s->dst, pi->daddr, alen);
	s->first_ts = ts;
	s->total = s->maxend = s->got = 0;
	s->wire = 0;
	s->hdr_len = 0;
	if (s->buf) memset(s->buf, 0, BITMAP_LEN);
	f->st.held++;
	return i;
}

/* RFC 1071 checksum of an IPv4 header whose checksum field is zero. */
static uint16_t ip4_cksum(const uint8_t *h, uint32_t n)
{
	uint32_t sum = 0;

	for (uint32_t i = 0; i + 1 < n; i += 2) sum += be16(h + i);
	while (sum >> 16) sum = (sum & 0xffffu) + (sum >> 16);
	return (uint16_t)~sum;
}

/*
 * Put data [off, end) into s: bytes of blocks already held must equal
 * what is there; the others are copied in.  Returns the number of new
 * bytes, or -1 when held bytes differ.  Only a last fragment ends inside
 * a block, and nothing may go past its end, so a held block holds data
 * wherever a later fragment can overlap it.
 */
/* The blocks [b0, b1) of bitmap bm all held (held) or all not held. */
static bool blocks_are(const uint8_t *bm, uint32_t b0, uint32_t b1, bool held)
{
	uint32_t b = b0;
	uint8_t all = held ? 0xff : 0;

	for (; b < b1 && (b & 7); b++)
		if ((bm[b >> 3] >> (b & 7) & 1u) != held) return false;
	for (; b + 8 <= b1; b += 8)
		if (bm[b >> 3] != all) return false;
	for (; b < b1; b++)
		if ((bm[b >> 3] >> (b & 7) & 1u) != held) return false;
	return true;
}

static void blocks_hold(uint8_t *bm, uint32_t b0, uint32_t b1)
{
	uint32_t b = b0;

	for (; b < b1 && (b & 7); b++) bm[b >> 3] |= (uint8_t)(1u << (b & 7));
	for (; b + 8 <= b1; b += 8) bm[b >> 3] = 0xff;
	for (; b < b1; b++) bm[b >> 3] |= (uint8_t)(1u << (b & 7));
}

static int64_t put_data(struct slot *s, const uint8_t *data, uint32_t off, uint32_t end)
{
	uint8_t *bm = s->buf, *dst = s->buf + DATA_OFF;
	uint32_t b, lo, hi;
	int64_t fresh = 0;

	/* The usual cases: nothing of it held yet (one copy), or all of it
	 * (a duplicate: one comparison). */
	if (end > off && blocks_are(bm, off / 8, (end + 7) / 8, false)) {
		memcpy(dst + off, data, end - off);
		blocks_hold(bm, off / 8, (end + 7) / 8);
		return end - off;
	}
	if (end > off && blocks_are(bm, off / 8, (end + 7) / 8, true))
		return memcmp(dst + off, data, end - off) ? -1 : 0;
	for (b = off / 8; b * 8 < end; b++) {
		lo = b * 8 > off ? b * 8 : off;
		hi = b * 8 + 8 < end ? b * 8 + 8 : end;
		if (bm[b >> 3] >> (b & 7) & 1u) {
			if (memcmp(dst + lo, data + (lo - off), hi - lo)) return -1;
		} else {
			memcpy(dst + lo, data + (lo - off), hi - lo);
			bm[b >> 3] |= (uint8_t)(1u << (b & 7));
			fresh += hi - lo;
		}
	}
	return fresh;
}

/* The datagram in s is complete: fix its header and return it. */
static const uint8_t *finish(struct frag *f, int32_t si, uint32_t *len)
{
	struct slot *s = &f->slots[si];
	uint8_t *h = s->buf + DATA_OFF - s->hdr_len;
	uint32_t n = s->hdr_len + s->total;

	if (s->ver == 4) {
		if (n > 65535) {
			slot_kill(f, s, &f->st.invalid);
			return NULL;
		}
		put_be16(h + 2, (uint16_t)n);
		put_be16(h + 6, be16(h + 6) & 0x4000u); /* keep DF; no MF, offset 0 */
		put_be16(h + 10, 0);
		put_be16(h + 10, ip4_cksum(h, s->hdr_len));
	} else {
		if (n - 40 > 65535) {
			slot_kill(f, s, &f->st.invalid);
			return NULL;
		}
		put_be16(h + 4, (uint16_t)(n - 40));
		h[s->nh_off] = s->nexthdr;
	}
	f->st.reassembled++;
	f->last_wire = s->wire;
	slot_release(f, si);
	*len = n;
	return h;
}

const uint8_t *frag_feed(struct frag *f, const struct pkt_info *pi, const uint8_t *buf,
    uint64_t ts_ns, uint32_t *len)
{
	const uint8_t *ip, *data;
	uint32_t dlen, off, end;
	int64_t fresh;
	int last;
	int32_t si;
	struct slot *s;

	f->st.fragments++;
	frag_expire(f, ts_ns);
	if (!(pi->layers & PKT_L_NET) || !(pi->flags & PKT_F_FRAG) ||
	    (pi->ipver != 4 && pi->ipver != 6) || pi->frag_data_off > pi->ip_len) {
		f->st.invalid++;
		return NULL;
	}
	ip = buf + pi->net_off;
	data = ip + pi->frag_data_off;
	dlen = pi->ip_len - pi->frag_data_off;
	off = pi->frag_off;
	end = off + dlen;
	last = !(pi->flags & PKT_F_MF);
	si = lookup(f, pi, ts_ns);
	s = &f->slots[si];
	if (s->dead) return NULL;
	if (end > MAX_DATA || (!last && ((dlen & 7) || dlen == 0)) ||
	    (last && s->have_last && end != s->total) || (last && end < s->maxend) ||
	    (!last && s->have_last && end > s->total) ||
	    (off == 0 && pi->ipver == 6 && pi->frag_data_off - 8 > FRAG_MAX_UNFRAG)) {
		slot_kill(f, s, &f->st.invalid);
		return NULL;
	}
	if ((uint64_t)pi->net_off + pi->ip_len > pi->caplen) {
		slot_kill(f, s, &f->st.truncated);
		return NULL;
	}
	if (grow(f, s, si, end)) {
		/* Even alone it does not fit the memory limit. */
		slot_drop(f, si, &f->st.evicted);
		return NULL;
	}
	fresh = put_data(s, data, off, end);
	if (fresh < 0) {
		slot_kill(f, s, &f->st.overlaps);
		return NULL;
	}
	if (fresh == 0 && dlen) {
		f->st.duplicates++;
		return NULL;
	}
	s->got += (uint32_t)fresh;
	s->wire += pi->wirelen;
	if (end > s->maxend) s->maxend = end;
	if (last) {
		s->have_last = 1;
		s->total = end;
	}
	if (off == 0) {
		/* IPv4: the whole header, options included; IPv6: the part before
		 * the fragment header. */
		uint32_t hl = pi->ipver == 4 ? pi->frag_data_off : pi->frag_data_off - 8;
		memcpy(s->buf + DATA_OFF - hl, ip, hl);
		s->hdr_len = hl;
		s->nh_off = pi->frag_nh_off;
		s->nexthdr = pi->frag_nexthdr;
		s->have_first = 1;
	}
	if (s->have_first && s->have_last && s->got == s->total) return finish(f, si, len);
	return NULL;
}
