/*
 * capflow.c - captures to flows: the per-packet pipeline (see capflow.h).
 */
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "bytes.h"
#include "capflow.h"
#include "msg.h"
#include "rec.h"

/*
 * Two threads (cfg.threads >= 2, a capture that is not live): a reader
 * thread reads, decodes and reassembles, and hands the flow table's
 * inputs over in batches; the calling thread runs the flow table, which
 * writes the records.  A batch holds the ft_pkt entries and the reader's
 * messages and progress at their place among the packets: the flow table
 * sees the same calls in the same order as with one thread, so the output
 * and the messages are the same bytes.
 *
 * The packets' bytes are not copied: the capture reader lends its buffers
 * (cap_lend), and the entries point into them.  A batch holds each buffer
 * its packets point into (a bit in held), and the flow table's side
 * releases them when it hands the batch back; when the reader runs out of
 * buffers it hands over the batch it is filling and waits, as it waits for
 * a free batch.  Only what the reader reuses at once is copied into the
 * batch's bytes: a reassembled datagram (the reassembly buffer), the ENCAP
 * entries (cf->encap), and the messages.  Memory inputs are never reused,
 * so there is nothing to hold.
 */
#define CF_BATCH_ITEMS 2048
#define CF_BATCH_BYTES (256u * 1024)
#define CF_NBATCH 4
_Static_assert(CAP_LEND_BUFS <= 32, "cf_batch.held is a 32-bit mask");

enum { CF_I_PKT, CF_I_WARN, CF_I_PROGRESS };

struct cf_item {
	uint8_t kind;
	uint64_t n;                  /* CF_I_PROGRESS: packets read */
	uint32_t off;                /* CF_I_WARN: the message, at bytes + off */
	struct ft_pkt fp;            /* CF_I_PKT */
};

struct cf_batch {
	size_t n, used, cap;         /* items; bytes used of cap */
	uint8_t *bytes;
	uint32_t held;               /* the capture buffers held (bit i: cap_buf's number i) */
	uintptr_t held_lo;           /* the extent of the last one held */
	size_t held_n;
	struct cf_item it[CF_BATCH_ITEMS];
};

struct cf_queue {
	pthread_mutex_t mu;
	pthread_cond_t full, empty;  /* a batch was filled; one was emptied */
	struct cf_batch b[CF_NBATCH];
	unsigned head, count;        /* the oldest full batch, how many are full */
	bool done;                   /* the reader ended: no more batches */
	uint64_t table_waits;        /* the flow table's side's (cf->st is the reader's) */
	/* the reader thread's */
	struct cap *cap;
	bool lent;                   /* the packets point into cap's lent buffers */
	int rc;
};

struct cf {
	struct cf_config cfg;
	struct cf_stats st;
	struct ft_table *ft;
	struct frag *fr;
	struct cap_bpf *bpf;
	bool wire_warned;                    /* in the current input */
	uint8_t linktype_warned[65536 / 8]; /* a bit per link type */
	uint8_t encap[PKT_MAX_ENCAP * REC_ENCAP_ENTRY];    /* the ENCAP value of the packet in ft_packet */
	struct cf_queue *q;                  /* during a two-thread cf_read */
	struct cf_batch *fill;               /* the batch the reader thread fills */
};

static const char *const drop_names[CF_D_N] = {
	"filtered by BPF", "unknown link type", "not IP", "malformed or cut before the IP header",
	"TCP control (--drop-control)", "UDP to port 53 (--drop-dns)", "fragments held or discarded",
};

struct cf *cf_new(const struct cf_config *cfg, struct ft_table *ft, struct frag *fr,
    struct cap_bpf *bpf)
{
	struct cf *cf = xcalloc(1, sizeof *cf);

	cf->cfg = *cfg;
	cf->ft = ft;
	cf->fr = fr;
	cf->bpf = bpf;
	return cf;
}

void cf_free(struct cf *cf)
{
	free(cf);
}

const struct cf_stats *cf_stats(const struct cf *cf)
{
	return &cf->st;
}

const char *cf_drop_name(int i)
{
	return i >= 0 && i < CF_D_N ? drop_names[i] : "?";
}

/* ICMP and ICMPv6 echo request and reply: the identifier keys the flow. */
static bool is_echo(uint8_t proto, uint8_t type)
{
	if (proto == 1) return type == 0 || type == 8;
	return type == 128 || type == 129;
}

/*
 * Fill an ft_pkt from a decoded packet.  pi describes the IP datagram at
 * ipbase: the frame's (ipbase == cp->data, lk == pi) or a reassembled
 * datagram's (then lk describes the frame of its last fragment, which
 * gives the link addresses and the encapsulation).  wire is the length on
 * the wire: the frame's, or the sum of the fragments' frames.
 * fp points into cp->data, ipbase and cf->encap; nothing else is copied.
 */
static void to_ft(struct cf *cf, struct ft_pkt *fp, const struct pkt_info *pi,
    const struct pkt_info *lk, const struct cap_pkt *cp, uint64_t ts, const uint8_t *ipbase,
    uint8_t pflags, uint32_t wire)
{
	unsigned i;

	/* constant sizes: a few moves, not calls.  An IPv4 address goes
	 * in as two 8-byte words, as ft_key reads it back at once: an
	 * 8-byte load over a 4-byte store and a 16-byte one cannot take its
	 * value from the stores, and waits until they reach the cache,
	 * whose line the other thread may hold. */
	if (pi->ipver == 4) {
		uint64_t sw = 0, dw = 0, z = 0;

		memcpy(&sw, pi->saddr, 4);
		memcpy(&dw, pi->daddr, 4);
		memcpy(fp->src, &sw, 8);
		memcpy(fp->src + 8, &z, 8);
		memcpy(fp->dst, &dw, 8);
		memcpy(fp->dst + 8, &z, 8);
	} else {
		memcpy(fp->src, pi->saddr, 16);
		memcpy(fp->dst, pi->daddr, 16);
	}
	fp->ts_ns = ts;
	fp->ipv = pi->ipver;
	fp->proto = pi->proto;
	fp->ttl = pi->ttl;
	fp->tos = pi->tos;
	fp->ip_len = pi->ip_len;
	fp->pflags = pflags;
	fp->is_tcp = false;
	fp->sport = fp->dport = fp->rec_sport = fp->rec_dport = 0;
	fp->tcp_flags = fp->window = 0;
	fp->seq = 0;
	fp->l4_len = fp->payload_len = fp->payload_caplen = 0;
	fp->payload = NULL;
	if (pi->layers & PKT_L_TRANS) {
		fp->l4_len = pi->trans_len;
		if (pi->proto == 1 || pi->proto == 58) {
			uint16_t tc = (uint16_t)(pi->icmp_type << 8 | pi->icmp_code);

			fp->rec_sport = tc;
			if (is_echo(pi->proto, pi->icmp_type)) {
				fp->sport = fp->dport = pi->icmp_id;
				fp->rec_dport = pi->icmp_id;
			} else {
				fp->sport = tc;
			}
		} else {
			fp->sport = fp->rec_sport = pi->sport;
			fp->dport = fp->rec_dport = pi->dport;
		}
		if (pi->proto == 6) {
			fp->is_tcp = true;
			fp->tcp_flags = pi->tcp_flags;
			fp->window = pi->tcp_win;
			fp->seq = pi->tcp_seq;
		}
		/* TCP options cut by the snapshot length: the lengths are
		 * still known from the IP header. */
		if (!(pi->layers & PKT_L_PAYLOAD) && pi->trans_hdr_len <= pi->trans_len)
			fp->payload_len = pi->trans_len - pi->trans_hdr_len;
	}
	if (pi->layers & PKT_L_PAYLOAD) {
		fp->payload_len = pi->payload_len;
		fp->payload_caplen = pi->payload_caplen;
		fp->payload = ipbase + pi->payload_off;
	}
	fp->wire_len = wire;
	fp->mac_src = fp->mac_dst = NULL;
	fp->encap = NULL;
	fp->encap_len = 0;
	if (lk->layers & PKT_L_MACSRC) fp->mac_src = cp->data + lk->mac_src_off;
	if (lk->layers & PKT_L_MACDST) fp->mac_dst = cp->data + lk->mac_dst_off;
	for (i = 0; i < lk->n_encap; i++) {
		cf->encap[REC_ENCAP_ENTRY * i] = lk->encap_kind[i];
		put_be32(cf->encap + REC_ENCAP_ENTRY * i + 1, lk->encap_val[i]);
	}
	if (lk->n_encap) {
		fp->encap = cf->encap;
		fp->encap_len = (uint8_t)(REC_ENCAP_ENTRY * lk->n_encap);
	}
	if (ipbase == cp->data && pi->net_off > UINT16_MAX) {
		/* A link header too long for PKTBYTES' link_len: nothing stored. */
		fp->frame = fp->ip = NULL;
		fp->caplen = cp->caplen;
		fp->orig_len = lk->wirelen;
		fp->linktype = cp->linktype;
		fp->link_len = 0;
		fp->ip_caplen = fp->link_caplen = 0;
	} else if (ipbase == cp->data) {
		uint32_t have = cp->caplen - pi->net_off;

		fp->frame = cp->data;
		fp->caplen = cp->caplen;
		fp->orig_len = lk->wirelen;
		fp->linktype = cp->linktype;
		fp->link_len = (uint16_t)pi->net_off;
		fp->ip = cp->data + pi->net_off;
		fp->ip_caplen = have < pi->ip_len ? have : pi->ip_len;
		/* The Ethernet trailer (bytes after the datagram) is not stored
		 * unless asked for. */
		fp->link_caplen = cf->cfg.trailer ? cp->caplen : pi->net_off + fp->ip_caplen;
	} else {
		/* A reassembled datagram has no frame of its own: stored as
		 * a raw IP packet. */
		fp->frame = ipbase;
		fp->caplen = fp->orig_len = pi->ip_len;
		fp->linktype = PKT_LT_RAW;
		fp->link_len = 0;
		fp->ip = ipbase;
		fp->ip_caplen = fp->link_caplen = pi->ip_len;
	}
}

/* The seed scripts' packet filters: true when fp is dropped (counted). */
static bool seed_drop(struct cf *cf, const struct ft_pkt *fp)
{
	if (cf->cfg.drop_control && fp->is_tcp && fp->payload_len == 0 && (fp->tcp_flags & 0x13)) {
		cf->st.drops[CF_D_CONTROL]++;
		return true;
	}
	/* Both seeds drop UDP to port 53 only: TCP to port 53 and every
	 * answer are kept. */
	if (cf->cfg.drop_dns && fp->proto == 17 && fp->rec_dport == 53) {
		cf->st.drops[CF_D_DNS]++;
		return true;
	}
	return false;
}

static void malformed(struct cf *cf, int rc)
{
	cf->st.drops[CF_D_MALFORMED]++;
	cf->st.malformed[rc < 0 && -rc < PKT_NERR ? -rc : 0]++;
}

/* ---- the reader thread's side of the queue ---- */

/* An empty batch, that holds no capture buffer: its extent is empty, or
 * everything when there is nothing to hold (q_commit tests it alone). */
static void q_reset(const struct cf_queue *q, struct cf_batch *b)
{
	b->n = b->used = 0;
	b->held = 0;
	b->held_lo = 0;
	b->held_n = q->lent ? 0 : SIZE_MAX;
}

/* Hand the batch being filled over, and take the next free one. */
static void q_submit(struct cf *cf)
{
	struct cf_queue *q = cf->q;

	pthread_mutex_lock(&q->mu);
	q->count++;
	cf->st.batches++;
	pthread_cond_signal(&q->full);
	if (q->count == CF_NBATCH) cf->st.reader_waits++;
	while (q->count == CF_NBATCH) pthread_cond_wait(&q->empty, &q->mu);
	cf->fill = &q->b[(q->head + q->count) % CF_NBATCH];
	pthread_mutex_unlock(&q->mu);
	q_reset(q, cf->fill);
}

/* The capture reader's wait for a free buffer (cap_lend): the batch being
 * filled may hold the buffers it needs, so it is handed over first. */
static void q_wait_buf(void *arg)
{
	struct cf *cf = arg;
	struct cf_queue *q = cf->q;

	if (cf->fill->n) q_submit(cf);
	pthread_mutex_lock(&q->mu);
	if (!cap_lend_ready(q->cap)) cf->st.reader_waits++;
	while (!cap_lend_ready(q->cap)) pthread_cond_wait(&q->empty, &q->mu);
	pthread_mutex_unlock(&q->mu);
}

/* q_room's way out: the next batch (grown when it is too small even empty). */
static __attribute__((noinline)) struct cf_batch *q_next(struct cf *cf, size_t bytes)
{
	struct cf_batch *b;

	if (cf->fill->n) q_submit(cf);
	b = cf->fill;
	if (b->cap < bytes) {
		free(b->bytes);
		b->bytes = xmalloc(bytes);
		b->cap = bytes;
	}
	return b;
}

/* The batch to add an item of `bytes` bytes to: the current one while it
 * has room (inlined: it is asked once a packet), else the next. */
static inline struct cf_batch *q_room(struct cf *cf, size_t bytes)
{
	struct cf_batch *b = cf->fill;

	if (b->n == CF_BATCH_ITEMS || b->cap - b->used < bytes) b = q_next(cf, bytes);
	return b;
}

/* A warning: printed now with one thread; else queued at its place. */
static void cf_warn(struct cf *cf, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void cf_warn(struct cf *cf, const char *fmt, ...)
{
	struct cf_batch *b;
	va_list ap, aq;
	int n;

	va_start(ap, fmt);
	if (cf->q == NULL) {
		msg_vwarn(fmt, ap);
		va_end(ap);
		return;
	}
	va_copy(aq, ap);
	n = vsnprintf(NULL, 0, fmt, aq);
	va_end(aq);
	if (n < 0) n = 0;
	b = q_room(cf, (size_t)n + 1);
	b->bytes[b->used] = '\0';
	vsnprintf((char *)b->bytes + b->used, (size_t)n + 1, fmt, ap);
	va_end(ap);
	b->it[b->n].kind = CF_I_WARN;
	b->it[b->n++].off = (uint32_t)b->used;
	b->used += (size_t)n + 1;
}

static void q_progress(struct cf *cf, uint64_t n)
{
	struct cf_batch *b = q_room(cf, 0);

	b->it[b->n].kind = CF_I_PROGRESS;
	b->it[b->n++].n = n;
}

/* p, a pointer into [from, ...), as the same offset from to. */
static const uint8_t *rebase(const uint8_t *p, const uint8_t *from, uint8_t *to)
{
	return p ? to + (p - from) : NULL;
}

/* b holds the capture buffer of the packet just read. */
static void q_hold(struct cf_queue *q, struct cf_batch *b)
{
	const uint8_t *start;
	size_t size;
	int k = cap_buf(q->cap, &start, &size);

	if (k < 0) return;
	if (!(b->held & 1u << k)) {
		cap_hold(q->cap, k);
		b->held |= 1u << k;
	}
	b->held_lo = (uintptr_t)start;
	b->held_n = size;
}

/*
 * The bytes of a packet that to_ft built in b's next item that are not in
 * the capture's buffer: a reassembled datagram dg (len bytes) and the
 * ENCAP entries, copied into b's bytes, or into the next batch's (the item
 * moves along) when b has no room for them.  The batch the item is in.
 */
static __attribute__((noinline)) struct cf_batch *q_copy(struct cf *cf, struct cf_batch *b,
    const uint8_t *dg, uint32_t len)
{
	struct ft_pkt *fp = &b->it[b->n].fp;
	size_t need = (size_t)len + fp->encap_len;

	if (b->cap - b->used < need) {
		struct ft_pkt one = *fp;

		b = q_next(cf, need);
		fp = &b->it[b->n].fp;
		*fp = one;
	}
	if (dg) {
		uint8_t *d = b->bytes + b->used;

		memcpy(d, dg, len);
		b->used += len;
		fp->frame = rebase(fp->frame, dg, d);
		fp->ip = rebase(fp->ip, dg, d);
		fp->payload = rebase(fp->payload, dg, d);
	}
	if (fp->encap_len) {
		uint8_t *e = b->bytes + b->used;

		memcpy(e, fp->encap, fp->encap_len);
		b->used += fp->encap_len;
		fp->encap = e;
	}
	return b;
}

/* Queue the packet that to_ft built in b's next item; its frame stays in
 * the capture's buffer, which the batch holds. */
static inline void q_commit(struct cf *cf, struct cf_batch *b, const struct cap_pkt *cp,
    const uint8_t *dg, uint32_t len)
{
	if (__builtin_expect((len | b->it[b->n].fp.encap_len) != 0, 0)) b = q_copy(cf, b, dg, len);
	b->it[b->n++].kind = CF_I_PKT;
	/* One compare a packet: the buffer is the one held last. */
	if ((uintptr_t)cp->data - b->held_lo >= b->held_n) q_hold(cf->q, b);
}

/*
 * One captured packet, with its time in ns since 1970 and its 1-based
 * number in its input (1 starts a new input for the once-per-input
 * warnings).  A packet cut by the snapshot length is used as far as it was
 * decoded; any other decoding error drops it, as receivers and tshark's
 * conversation tables do.  Static and called once, so that it is inlined
 * into the read loop (an exported function here costs ~2% of the run).
 */
static inline __attribute__((always_inline)) void packet(struct cf *cf, const struct cap_pkt *cp,
    uint64_t ts, uint64_t pkt_no)
{
	struct pkt_info pi, dpi;
	struct ft_pkt one, *fp = &one;
	struct cf_batch *b = NULL;
	int rc;
	uint8_t pflags = 0;
	uint64_t wire = 0;
	uint32_t wirelen = cp->wirelen, len = 0;
	const uint8_t *dg = NULL;

	if (pkt_no == 1) cf->wire_warned = false;   /* a new input */
	cf->st.read++;
	if (cf->bpf) {
		int m = cap_bpf_match(cf->bpf, cp);

		if (m < 0) cf_warn(cf, "%s", cap_bpf_errmsg(cf->bpf));
		if (m <= 0) {
			cf->st.drops[CF_D_BPF]++;
			return;
		}
	}
	if (wirelen > CF_MAX_WIRE && wirelen > cp->caplen) {
		wirelen = cp->caplen > CF_MAX_WIRE ? cp->caplen : CF_MAX_WIRE;
		if (!cf->wire_warned)
			cf_warn(cf, "%s: packet %llu: recorded wire length %lu is not believable: taken as "
			    "%lu (later ones of this input are counted by -v)", ft_source(cf->ft),
			    (unsigned long long)pkt_no, (unsigned long)cp->wirelen,
			    (unsigned long)wirelen);
		cf->wire_warned = true;
		cf->st.wire_clamped++;
	}
	rc = pkt_decode(cp->linktype, cp->data, cp->caplen, wirelen, &pi);
	if (rc == PKT_E_LINKTYPE) {
		if (!(cf->linktype_warned[cp->linktype >> 3] & 1u << (cp->linktype & 7))) {
			cf_warn(cf, "link type %u is not decoded; its packets are counted and skipped",
			    cp->linktype);
			cf->linktype_warned[cp->linktype >> 3] |= (uint8_t)(1u << (cp->linktype & 7));
		}
		cf->st.drops[CF_D_LINKTYPE]++;
		return;
	}
	if (rc == PKT_E_NOTIP) {
		cf->st.drops[CF_D_NOTIP]++;
		return;
	}
	if (!(pi.layers & PKT_L_NET) || (rc != PKT_OK && rc != PKT_E_TRUNC)) {
		malformed(cf, rc);
		return;
	}
	if (pi.flags & PKT_F_SNAPLEN) {
		cf->st.snaplen++;
		pflags |= RP_SNAPLEN;
	}
	if (pi.flags & PKT_F_FRAG) {
		dg = frag_feed(cf->fr, &pi, cp->data, ts, &len);
		if (dg == NULL) {
			cf->st.drops[CF_D_FRAG_HELD]++;
			return;
		}
		rc = pkt_decode_ip(dg, len, len, &dpi);
		if (rc != PKT_OK) {
			malformed(cf, rc);
			return;
		}
		wire = frag_wirelen(cf->fr);
	}
	/* With a second thread the packet is built in its batch item (not
	 * copied there); the item counts only once q_commit takes it. */
	if (cf->q) {
		b = q_room(cf, 0);  /* q_commit finds room for the bytes to copy */
		fp = &b->it[b->n].fp;
	}
	if (dg)
		to_ft(cf, fp, &dpi, &pi, cp, ts, dg, (uint8_t)(pflags | RP_FRAG),
		    wire > UINT32_MAX ? UINT32_MAX : (uint32_t)wire);
	else
		to_ft(cf, fp, &pi, &pi, cp, ts, cp->data, pflags, pi.wirelen);
	fp->pkt_no = pkt_no;
	cf->st.decoded++;
	if (seed_drop(cf, fp)) return;
	ft_key(cf->ft, fp);
	if (b)
		q_commit(cf, b, cp, dg, len);
	else
		ft_packet(cf->ft, fp);
}

static bool stopped(const struct cf *cf)
{
	return cf->cfg.stop && *cf->cfg.stop;
}

/* The read loop: every packet of c to packet(), and the progress line;
 * the reader's end code. */
static int read_loop(struct cf *cf, struct cap *c, const char *display)
{
	struct cap_pkt cp;
	int rc;
	uint64_t n = 0, ts, last_ts = 0;

	for (;;) {
		rc = cap_next(c, &cp);
		if (rc == CAP_TIMEOUT) {
			struct timespec now;

			if (stopped(cf)) break;
			clock_gettime(CLOCK_REALTIME, &now);
			ft_expire(cf->ft, (uint64_t)now.tv_sec * 1000000000ull + (uint64_t)now.tv_nsec);
			continue;
		}
		if (rc != CAP_OK) break;
		n++;
		ts = cp.ts > 0 ? (uint64_t)cp.ts : 0;
		if (cp.flags & CAP_PKT_NOTS) ts = last_ts;
		last_ts = ts;
		packet(cf, &cp, ts, n);
		if ((n & 0xffff) == 0) {
			if (cf->q)
				q_progress(cf, n);
			else
				msg_progress(display, n, 0);
		}
		if (cf->cfg.count && n >= cf->cfg.count) break;
		if (stopped(cf)) break;
	}
	return rc;
}

static void *reader_main(void *arg)
{
	struct cf *cf = arg;
	struct cf_queue *q = cf->q;

	q->rc = read_loop(cf, q->cap, NULL);
	pthread_mutex_lock(&q->mu);
	if (cf->fill->n) {
		q->count++;
		cf->st.batches++;
	}
	q->done = true;
	pthread_cond_signal(&q->full);
	pthread_mutex_unlock(&q->mu);
	return NULL;
}

/* The flow table's side: every batch the reader hands over, in order. */
static void drain(struct cf *cf, const char *display)
{
	struct cf_queue *q = cf->q;

	for (;;) {
		struct cf_batch *b;
		size_t i;

		pthread_mutex_lock(&q->mu);
		if (q->count == 0 && !q->done) q->table_waits++;
		while (q->count == 0 && !q->done) pthread_cond_wait(&q->full, &q->mu);
		if (q->count == 0) {
			pthread_mutex_unlock(&q->mu);
			return;
		}
		b = &q->b[q->head];
		pthread_mutex_unlock(&q->mu);
		for (i = 0; i < b->n; i++) {
			const struct cf_item *it = &b->it[i];

			if (it->kind == CF_I_PKT)
				ft_packet(cf->ft, &it->fp);
			else if (it->kind == CF_I_WARN)
				msg_warn("%s", (const char *)b->bytes + it->off);
			else
				msg_progress(display, it->n, 0);
		}
		/* Released before the reader, waiting under the lock, is told. */
		for (uint32_t m = b->held; m; m &= m - 1)
			cap_release(q->cap, __builtin_ctz(m));
		pthread_mutex_lock(&q->mu);
		q->head = (q->head + 1) % CF_NBATCH;
		q->count--;
		pthread_cond_signal(&q->empty);
		pthread_mutex_unlock(&q->mu);
	}
}

/* Read c on a second thread; false when it could not be started. */
static bool read_threaded(struct cf *cf, struct cap *c, const char *display, int *rc)
{
	struct cf_queue *q;
	pthread_t th;
	unsigned i;
	bool started;
	int lend = cap_lend(c, q_wait_buf, cf);

	if (lend < 0) return false;
	q = xcalloc(1, sizeof *q);
	q->lent = lend == 0;
	for (i = 0; i < CF_NBATCH; i++) {
		q->b[i].bytes = xmalloc(CF_BATCH_BYTES);
		q->b[i].cap = CF_BATCH_BYTES;
	}
	pthread_mutex_init(&q->mu, NULL);
	pthread_cond_init(&q->full, NULL);
	pthread_cond_init(&q->empty, NULL);
	q->cap = c;
	cf->q = q;
	for (i = 0; i < CF_NBATCH; i++) q_reset(q, &q->b[i]);
	cf->fill = &q->b[0];
	started = pthread_create(&th, NULL, reader_main, cf) == 0;
	if (started) {
		drain(cf, display);
		pthread_join(th, NULL);
		*rc = q->rc;
		cf->st.threaded++;
		cf->st.table_waits += q->table_waits;
	}
	cap_lend(c, NULL, NULL);
	cf->q = NULL;
	pthread_cond_destroy(&q->empty);
	pthread_cond_destroy(&q->full);
	pthread_mutex_destroy(&q->mu);
	for (i = 0; i < CF_NBATCH; i++) free(q->b[i].bytes);
	free(q);
	return started;
}

int cf_read(struct cf *cf, struct cap *c, const char *display, const char *label)
{
	int rc, ret = 0;

	ft_set_source(cf->ft, display, label);
	cf->st.inputs++;
	if (cf->cfg.threads < 2 || cap_format(c) == CAP_FMT_LIVE || !read_threaded(cf, c, display, &rc))
		rc = read_loop(cf, c, display);
	msg_progress_end();
	if (rc == CAP_TRUNC || rc == CAP_ERR) {
		msg_warn("%s", cap_errmsg(c));
		cf->st.bad_inputs++;
		ret = -1;
	}
	frag_flush(cf->fr);
	ft_flush(cf->ft, END_EOF);
	return ret;
}
