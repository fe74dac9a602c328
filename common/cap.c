/*
 * cap.c - the capture reader (see cap.h for the formats and the contract).
 *
 * Files are read with read(2) into one buffer of CAP_BUFSIZE bytes (grown
 * only for a block larger than that, up to CAP_MAX_BLOCK) and packets are
 * returned as pointers into it.  When a record does not fit in what is left
 * of the buffer, the tail is moved to the front and the buffer refilled; a
 * tail is always shorter than one record, so the copy is small.  read(2) on
 * a pipe returns whatever the writer has written, so the same code serves
 * files, pipes and (with no reads at all) memory.
 *
 * A lending reader (cap_lend) keeps a pool of such buffers instead (struct
 * lend): while the current one has room at its end, reads go there; when
 * it has not, only the tail is copied into another buffer of the pool and
 * reading goes on there, so a packet's bytes stay where they are for as
 * long as the caller holds their buffer.  Each buffer has a count of holds
 * (the reader's own on its current buffer, and the caller's, which may be
 * released from another thread: C11 atomics, release and acquire, so that
 * the other thread's reads of a buffer come before the reader writes to
 * it again).  A buffer is taken again only when its count is 0, and only
 * while the buffers held stay under CAP_LEND_BYTES; else the reader calls
 * the caller's wait function, which makes the caller release some.
 */
#include "cap.h"

#include <errno.h>
#include <fcntl.h>
#include <pcap/pcap.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "bytes.h"
#include "zread.h"

#define SHB_TYPE 0x0A0D0D0Au
#define BOM 0x1A2B3C4Du
#define CAP_MAX_IFACES 65536u  /* interfaces per pcapng section */
#define CAP_BUF_MAX (CAP_MAX_BLOCK + 64)

enum { TS_MUL, TS_DIV, TS_POW2, TS_ZERO };

/* The pool of a lending reader (cap_lend); buffer cur is struct cap's mem. */
struct lend {
	atomic_uint ref[CAP_LEND_BUFS]; /* holds: the reader's on cur, the caller's */
	uint8_t *mem[CAP_LEND_BUFS];    /* NULL: not allocated */
	size_t cap[CAP_LEND_BUFS];      /* written by the reader's thread only */
	unsigned cur;
	size_t want;                    /* the size of the buffer being waited for */
	void (*wait)(void *ctx);
	void *ctx;
};

struct ifc {
	uint32_t snaplen;
	uint16_t linktype;
	int8_t fcslen;
	uint8_t tsresol;
	uint8_t tsmode, shift;  /* how units of if_tsresol become nanoseconds */
	uint64_t factor;
	int64_t tsoffset;       /* seconds */
	uint64_t off_ns;        /* tsoffset in ns, modulo 2^64 (added without overflow traps) */
};

struct cap {
	int fmt;
	int state;            /* CAP_OK, or the terminal result */
	int fd;               /* -1: memory input, live capture, or nothing opened */
	struct zr *z;         /* compressed input: bytes come decompressed from here */
	bool own_fd, eof;
	bool be;              /* the current byte order is big-endian */
	uint8_t *mem;         /* the owned buffer (a lending reader's current one) */
	size_t memcap;
	struct lend *lend;    /* NULL unless lending (cap_lend) */
	const uint8_t *buf;   /* mem, or the caller's bytes for cap_open_mem */
	size_t pos, len;      /* next unread byte, end of valid bytes in buf */
	uint64_t base;        /* file offset of buf[0] */

	/* pcap */
	size_t rechdr;        /* 16, or 24 for the modified format */
	bool nsec;
	int swaplen;          /* 0 never, 1 always, 2 when incl_len > orig_len (old versions) */
	uint32_t maxrec;
	struct ifc pif;       /* the file's single interface (pcap and live) */

	/* pcapng */
	struct ifc *ifs;
	uint32_t nif, ifcap;
	uint32_t ifbase;      /* global index of the current section's interface 0 */
	uint32_t section;

	/* live */
	pcap_t *live;
	bool live_nsec;
	int live_fd;                    /* to poll(2) on */
	volatile sig_atomic_t stop;     /* set by cap_breakloop */

	struct cap_stats st;
	char *name;
	int64_t erroff;
	char *msg;            /* "name: offset N: what" */
	size_t msgcap;
};

static inline uint16_t rd16(bool be, const uint8_t *p) { return be ? be16(p) : le16(p); }
static inline uint32_t rd32(bool be, const uint8_t *p) { return be ? be32(p) : le32(p); }
static inline uint64_t rd64(bool be, const uint8_t *p)
{
	return be ? be64(p) : ((uint64_t)le32(p + 4) << 32 | le32(p));
}

/* Cursor getters in the section's byte order: false (cursor unmoved) when short. */
static bool cu16(struct cur *k, bool be, uint16_t *v)
{
	if (cur_left(k) < 2) return false;
	*v = rd16(be, k->p); k->p += 2; return true;
}
static bool cu64(struct cur *k, bool be, uint64_t *v)
{
	if (cur_left(k) < 8) return false;
	*v = rd64(be, k->p); k->p += 8; return true;
}

/* ---- errors ---- */

static int vset(struct cap *c, int rc, int64_t off, const char *fmt, va_list ap)
{
	char what[320];
	size_t need;

	vsnprintf(what, sizeof what, fmt, ap);
	need = strlen(c->name) + strlen(what) + 48;
	if (need > c->msgcap) {
		char *m = realloc(c->msg, need);
		if (m) {
			c->msg = m;
			c->msgcap = need;
		}
	}
	if (c->msgcap) {
		if (off >= 0)
			snprintf(c->msg, c->msgcap, "%s: offset %lld: %s", c->name, (long long)off, what);
		else
			snprintf(c->msg, c->msgcap, "%s: %s", c->name, what);
	}
	c->erroff = off;
	c->state = rc;
	return rc;
}

static int fail(struct cap *c, int64_t off, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static int fail(struct cap *c, int64_t off, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vset(c, CAP_ERR, off, fmt, ap);
	va_end(ap);
	return CAP_ERR;
}

static int trunc_(struct cap *c, int64_t off, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static int trunc_(struct cap *c, int64_t off, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vset(c, CAP_TRUNC, off, fmt, ap);
	va_end(ap);
	return CAP_TRUNC;
}

/* ---- the buffer ---- */

static inline uint64_t offset_of(const struct cap *c, size_t pos) { return c->base + pos; }

/*
 * lend_pick(l, want): a buffer of the pool free to be read into, with
 * want bytes, or -1 when there is none or the buffers held and it would
 * exceed CAP_LEND_BYTES (which only the current buffer held may).
 * Prefers a free buffer that has the size already.
 */
static int lend_pick(struct lend *l, size_t want)
{
	size_t held = 0;
	unsigned nheld = 0;
	int k = -1;

	for (unsigned i = 0; i < CAP_LEND_BUFS; i++) {
		if (atomic_load_explicit(&l->ref[i], memory_order_acquire)) {
			nheld++;
			held += l->cap[i];
		} else if (k < 0 || (l->cap[i] == want && l->cap[k] != want)) {
			k = (int)i;
		}
	}
	if (k < 0 || (nheld > 1 && held + want > CAP_LEND_BYTES))
		return -1;
	return k;
}

/*
 * lend_next(c, n): go on reading in another buffer of the pool, of at
 * least n bytes, with the tail (c->len - c->pos bytes) copied to its
 * start; the reader's hold moves there.  Waits (l->wait) while none may be
 * used.  0 ok, -1 out of memory (reported).
 */
static int lend_next(struct cap *c, size_t n)
{
	struct lend *l = c->lend;
	size_t rem = c->len - c->pos, want = CAP_BUFSIZE;
	unsigned old = l->cur;
	int k;

	while (want < n)
		want *= 2;
	if (want > CAP_BUF_MAX)
		want = CAP_BUF_MAX;
	l->want = want;
	while ((k = lend_pick(l, want)) < 0)
		l->wait(l->ctx);
	/* Free buffers grown for large blocks are given back: the memory
	 * not held stays a few normal buffers. */
	for (unsigned i = 0; i < CAP_LEND_BUFS; i++)
		if ((int)i != k && l->cap[i] > CAP_BUFSIZE &&
		    !atomic_load_explicit(&l->ref[i], memory_order_acquire)) {
			free(l->mem[i]);
			l->mem[i] = NULL;
			l->cap[i] = 0;
		}
	if (l->cap[k] != want) {
		free(l->mem[k]);
		l->mem[k] = malloc(want);
		l->cap[k] = l->mem[k] ? want : 0;
		if (!l->mem[k]) {
			fail(c, (int64_t)offset_of(c, c->pos), "out of memory for a %zu-byte block", n);
			return -1;
		}
	}
	if (rem)
		memcpy(l->mem[k], c->mem + c->pos, rem);
	atomic_store_explicit(&l->ref[k], 1, memory_order_relaxed);
	l->cur = (unsigned)k;
	c->base += c->pos;
	c->pos = 0;
	c->len = rem;
	c->mem = l->mem[k];
	c->memcap = want;
	c->buf = c->mem;
	atomic_fetch_sub_explicit(&l->ref[old], 1, memory_order_release);
	return 0;
}

/*
 * fill(c, n): make at least n bytes available at buf + pos.  1 done; 0 the
 * input ended first (whatever could be read is available); -1 a read
 * error or corrupt compressed data (c->state CAP_ERR) or compressed data
 * cut short (CAP_TRUNC), reported.  The caller bounds n by CAP_BUF_MAX.
 */
static int fill(struct cap *c, size_t n)
{
	size_t rem = c->len - c->pos;

	if (rem >= n)
		return 1;
	if ((c->fd < 0 && !c->z) || c->eof)
		return 0;
	if (c->lend) {
		/* Lent bytes stay where they are: the reads go on at the
		 * end of the buffer, or in another one. */
		if (c->memcap - c->pos < n && lend_next(c, n) < 0)
			return -1;
	} else if (n > c->memcap) {
		size_t ncap = c->memcap ? c->memcap : CAP_BUFSIZE;
		uint8_t *m;
		while (ncap < n)
			ncap *= 2;
		if (ncap > CAP_BUF_MAX)
			ncap = CAP_BUF_MAX;
		/* Move the tail first, so realloc copies only live bytes. */
		if (c->pos && rem)
			memmove(c->mem, c->mem + c->pos, rem);
		c->base += c->pos;
		c->pos = 0;
		c->len = rem;
		m = realloc(c->mem, ncap);
		if (!m) {
			fail(c, (int64_t)c->base, "out of memory for a %zu-byte block", n);
			return -1;
		}
		c->mem = m;
		c->memcap = ncap;
		c->buf = m;
	} else if (c->pos) {
		if (rem)
			memmove(c->mem, c->mem + c->pos, rem);
		c->base += c->pos;
		c->pos = 0;
		c->len = rem;
	}
	while (c->len - c->pos < n) {
		ssize_t r;
		if (c->z) {
			size_t got;
			int zr = zr_read(c->z, c->mem + c->len, c->memcap - c->len, &got);
			if (zr == ZR_OK) {
				c->len += got;
				continue;
			}
			if (zr == ZR_END) {
				c->eof = true;
				return 0;
			}
			if (zr == ZR_TRUNC)
				trunc_(c, -1, "%s", zr_errmsg(c->z));
			else
				fail(c, -1, "%s", zr_errmsg(c->z));
			return -1;
		}
		r = read(c->fd, c->mem + c->len, c->memcap - c->len);
		if (r < 0) {
			if (errno == EINTR)
				continue;
			fail(c, -1, "read error: %s", strerror(errno));
			return -1;
		}
		if (r == 0) {
			c->eof = true;
			return 0;
		}
		c->len += (size_t)r;
	}
	return 1;
}

/* ---- time stamps ---- */

#define NS 1000000000ull

static void ifc_tsresol(struct ifc *f, uint8_t r)
{
	unsigned k = r & 0x7f;

	f->tsresol = r;
	if (r & 0x80) {
		f->tsmode = TS_POW2;
		f->shift = (uint8_t)k;
	} else if (k <= 9) {
		uint64_t m = 1;
		for (unsigned i = k; i < 9; i++)
			m *= 10;
		f->tsmode = TS_MUL;
		f->factor = m;
	} else if (k - 9 <= 19) {
		uint64_t d = 1;
		for (unsigned i = 9; i < k; i++)
			d *= 10;
		f->tsmode = TS_DIV;
		f->factor = d;
	} else {
		f->tsmode = TS_ZERO;  /* units below 10^-28 s: every stamp is under 1 ns */
	}
}

static int64_t ifc_ns(const struct ifc *f, uint64_t t)
{
	uint64_t ns;

	switch (f->tsmode) {
	case TS_MUL: ns = t * f->factor; break;
	case TS_DIV: ns = t / f->factor; break;
	case TS_POW2: {
		__extension__ typedef unsigned __int128 u128;
		ns = (uint64_t)(((u128)t * NS) >> f->shift);
		break;
	}
	default: ns = 0; break;
	}
	/* Unsigned addition: a hostile if_tsoffset wraps instead of trapping. */
	return (int64_t)(ns + f->off_ns);
}

static void ifc_init(struct ifc *f, uint16_t linktype, uint32_t snaplen)
{
	memset(f, 0, sizeof *f);
	f->linktype = linktype;
	f->snaplen = snaplen;
	f->fcslen = -1;
	ifc_tsresol(f, 6);
}

/* ---- pcap ---- */

static int pcap_header(struct cap *c, const uint8_t *p)
{
	uint32_t magic = be32(p);
	uint16_t major, minor;
	uint32_t snaplen, lt;

	c->fmt = CAP_FMT_PCAP;
	c->rechdr = 16;
	switch (magic) {
	case 0xa1b2c3d4: c->be = true; break;
	case 0xd4c3b2a1: c->be = false; break;
	case 0xa1b23c4d: c->be = true; c->nsec = true; break;
	case 0x4d3cb2a1: c->be = false; c->nsec = true; break;
	case 0xa1b2cd34: c->be = true; c->rechdr = 24; break;
	default: c->be = false; c->rechdr = 24; break;  /* 34cdb2a1 */
	}
	if (c->len - c->pos < 24)
		return trunc_(c, 0, "file ends inside the pcap file header (%zu of 24 bytes)",
		              c->len - c->pos);
	major = rd16(c->be, p + 4);
	minor = rd16(c->be, p + 6);
	snaplen = rd32(c->be, p + 16);
	lt = rd32(c->be, p + 20);
	if (major != 2)
		return fail(c, 4, "unsupported pcap version %u.%u", major, minor);
	/*
	 * Files of version 2.2 and older store the two lengths the other way
	 * round; some 2.3 writers did too, recognisable by incl_len > orig_len.
	 * This is what libpcap does.
	 */
	c->swaplen = minor < 3 ? 1 : minor == 3 ? 2 : 0;
	if (lt & 0x03FF0000u)
		return fail(c, 20, "reserved bits set in the link-type field (0x%08x)", lt);
	ifc_init(&c->pif, (uint16_t)(lt & 0xFFFF), snaplen);
	if (lt & 0x04000000u)
		c->pif.fcslen = (int8_t)(((lt >> 28) & 0xF) * 2);
	if (c->nsec)
		ifc_tsresol(&c->pif, 9);
	c->maxrec = CAP_MAX_PKT;
	if (snaplen > CAP_MAX_PKT && snaplen <= CAP_MAX_BLOCK)
		c->maxrec = snaplen;
	c->st.interfaces = 1;
	c->pos += 24;
	return CAP_OK;
}

static int pcap_rec(struct cap *c, struct cap_pkt *pk)
{
	size_t hl = c->rechdr;
	const uint8_t *p;
	uint32_t sec, frac, incl, orig;
	int r;

	if (c->len - c->pos < hl) {
		r = fill(c, hl);
		if (r < 0)
			return c->state;
		if (r == 0) {
			size_t have = c->len - c->pos;
			if (have == 0) {
				c->state = CAP_EOF;
				return CAP_EOF;
			}
			return trunc_(c, (int64_t)offset_of(c, c->pos),
			              "file ends inside a record header (%zu of %zu bytes)", have, hl);
		}
	}
	p = c->buf + c->pos;
	sec = rd32(c->be, p);
	frac = rd32(c->be, p + 4);
	incl = rd32(c->be, p + 8);
	orig = rd32(c->be, p + 12);
	if (c->swaplen && (c->swaplen == 1 || incl > orig)) {
		uint32_t t = incl;
		incl = orig;
		orig = t;
	}
	if (incl > c->maxrec)
		return fail(c, (int64_t)offset_of(c, c->pos),
		            "record of %u captured bytes exceeds the maximum of %u", incl, c->maxrec);
	if (c->len - c->pos < hl + incl) {
		r = fill(c, hl + incl);
		if (r < 0)
			return c->state;
		if (r == 0)
			return trunc_(c, (int64_t)offset_of(c, c->pos),
			              "file ends inside a record (%zu of %zu bytes)",
			              c->len - c->pos, hl + incl);
		p = c->buf + c->pos;
	}
	pk->data = p + hl;
	pk->caplen = incl;
	pk->wirelen = orig;
	pk->ts = (int64_t)((uint64_t)sec * NS + (uint64_t)frac * (c->nsec ? 1 : 1000));
	pk->offset = offset_of(c, c->pos);
	pk->ifindex = 0;
	pk->linktype = c->pif.linktype;
	pk->fcslen = c->pif.fcslen;
	pk->flags = c->be ? CAP_PKT_BE : 0;
	c->pos += hl + incl;
	return CAP_OK;
}

/* ---- pcapng ---- */

/* Options of an SHB or IDB: f is NULL for an SHB (checked, not used). */
static int png_opts(struct cap *c, struct cur k, uint64_t off, struct ifc *f)
{
	uint16_t code = 0, olen = 0;

	while (cur_left(&k) >= 4) {
		int64_t ooff = (int64_t)(off + (uint64_t)(k.p - (c->buf + c->pos)));
		struct cur v;
		cu16(&k, c->be, &code);
		cu16(&k, c->be, &olen);
		if (code == 0)  /* opt_endofopt */
			break;
		if (!cur_sub(&k, olen, &v))
			return fail(c, ooff,
			            "option %u of length %u overruns its block", code, olen);
		cur_skip(&k, (4 - olen % 4) % 4);  /* padding; may be missing at the very end */
		if (!f)
			continue;
		switch (code) {
		case 9:  /* if_tsresol */
			if (olen != 1)
				return fail(c, ooff,
				            "if_tsresol option of length %u", olen);
			ifc_tsresol(f, v.p[0]);
			break;
		case 13: /* if_fcslen */
			/* The old spec says bits, its example and Wireshark
			 * mean bytes: 16 and 32 can only be bits. */
			if (olen == 1)
				f->fcslen = (int8_t)(v.p[0] == 16 || v.p[0] == 32 ? v.p[0] / 8 :
				                     v.p[0] <= 8 ? v.p[0] : -1);
			break;
		case 14: { /* if_tsoffset */
			uint64_t o;
			if (olen != 8)
				return fail(c, ooff,
				            "if_tsoffset option of length %u", olen);
			cu64(&v, c->be, &o);
			f->tsoffset = (int64_t)o;
			f->off_ns = o * NS;
			break;
		}
		default:
			break;
		}
	}
	return CAP_OK;
}

/*
 * png_shb: the section header at buf + pos.  Reads the byte order, the
 * length, the whole block; on success pos is past it.
 */
static int png_shb(struct cap *c)
{
	uint64_t off = offset_of(c, c->pos);
	const uint8_t *p;
	uint32_t bom, len;
	uint16_t major, minor;
	int r;

	r = fill(c, 12);
	if (r < 0)
		return c->state;
	if (r == 0)
		return trunc_(c, (int64_t)off, "file ends inside a section header block (%zu of 12 bytes)",
		              c->len - c->pos);
	p = c->buf + c->pos;
	bom = be32(p + 8);
	if (bom == BOM)
		c->be = true;
	else if (bom == 0x4D3C2B1Au)
		c->be = false;
	else
		return fail(c, (int64_t)off, "section header with a bad byte-order magic (0x%08x)", bom);
	len = rd32(c->be, p + 4);
	if (len < 28 || len % 4 || len > CAP_MAX_BLOCK)
		return fail(c, (int64_t)off, "section header block with a bad length (%u)", len);
	r = fill(c, len);
	if (r < 0)
		return c->state;
	if (r == 0)
		return trunc_(c, (int64_t)off, "file ends inside a section header block (%zu of %u bytes)",
		              c->len - c->pos, len);
	p = c->buf + c->pos;
	if (rd32(c->be, p + len - 4) != len)
		return fail(c, (int64_t)off, "block length %u at the end differs from %u at the start",
		            rd32(c->be, p + len - 4), len);
	major = rd16(c->be, p + 12);
	minor = rd16(c->be, p + 14);
	if (major != 1 || minor > 2)
		return fail(c, (int64_t)off + 12, "unsupported pcapng version %u.%u", major, minor);
	r = png_opts(c, cur_make(p + 24, len - 28), off, NULL);
	if (r != CAP_OK)
		return r;
	if (c->st.sections)
		c->section++;
	c->st.sections++;
	c->ifbase += c->nif;
	c->nif = 0;
	c->pos += len;
	return CAP_OK;
}

static int png_idb(struct cap *c, const uint8_t *p, uint32_t len, uint64_t off)
{
	struct ifc *f;
	int r;

	if (len < 20)
		return fail(c, (int64_t)off, "interface description block too short (%u bytes)", len);
	if (c->nif >= CAP_MAX_IFACES)
		return fail(c, (int64_t)off, "more than %u interfaces in one section", CAP_MAX_IFACES);
	if (c->nif == c->ifcap) {
		uint32_t ncap = c->ifcap ? c->ifcap * 2 : 8;
		struct ifc *n = realloc(c->ifs, ncap * sizeof *n);
		if (!n)
			return fail(c, (int64_t)off, "out of memory for interfaces");
		c->ifs = n;
		c->ifcap = ncap;
	}
	f = &c->ifs[c->nif];
	ifc_init(f, rd16(c->be, p + 8), rd32(c->be, p + 12));
	r = png_opts(c, cur_make(p + 16, len - 20), off, f);
	if (r != CAP_OK)
		return r;
	c->nif++;
	c->st.interfaces++;
	return CAP_OK;
}

static int png_iface(struct cap *c, uint32_t id, uint64_t off, const struct ifc **f)
{
	if (id >= c->nif)
		return fail(c, (int64_t)off, "packet for interface %u, but %u interface%s defined in this section",
		            id, c->nif, c->nif == 1 ? " is" : "s are");
	*f = &c->ifs[id];
	return CAP_OK;
}

static int png_next(struct cap *c, struct cap_pkt *pk)
{
	for (;;) {
		const uint8_t *p;
		const struct ifc *f = NULL;
		uint32_t type, len, id, caplen, orig;
		uint64_t off;
		int r;

		if (c->len - c->pos < 8) {
			r = fill(c, 8);
			if (r < 0)
				return c->state;
			if (r == 0) {
				size_t have = c->len - c->pos;
				if (have == 0) {
					c->state = CAP_EOF;
					return CAP_EOF;
				}
				return trunc_(c, (int64_t)offset_of(c, c->pos),
				              "file ends inside a block header (%zu of 8 bytes)", have);
			}
		}
		p = c->buf + c->pos;
		off = offset_of(c, c->pos);
		if (be32(p) == SHB_TYPE) {
			r = png_shb(c);
			if (r != CAP_OK)
				return r;
			continue;
		}
		type = rd32(c->be, p);
		len = rd32(c->be, p + 4);
		if (len < 12 || len % 4 || len > CAP_MAX_BLOCK)
			return fail(c, (int64_t)off, "block of type 0x%08x with a bad length (%u)", type, len);
		if (c->len - c->pos < len) {
			r = fill(c, len);
			if (r < 0)
				return c->state;
			if (r == 0)
				return trunc_(c, (int64_t)off, "file ends inside a block (%zu of %u bytes)",
				              c->len - c->pos, len);
			p = c->buf + c->pos;
		}
		if (rd32(c->be, p + len - 4) != len)
			return fail(c, (int64_t)off, "block length %u at the end differs from %u at the start",
			            rd32(c->be, p + len - 4), len);

		switch (type) {
		case 6:   /* Enhanced Packet Block */
		case 2: { /* Packet Block (obsolete): 16-bit interface id, 16-bit drop count */
			uint64_t t;
			if (len < 32)
				return fail(c, (int64_t)off, "packet block too short (%u bytes)", len);
			id = type == 6 ? rd32(c->be, p + 8) : rd16(c->be, p + 8);
			t = (uint64_t)rd32(c->be, p + 12) << 32 | rd32(c->be, p + 16);
			caplen = rd32(c->be, p + 20);
			orig = rd32(c->be, p + 24);
			if (caplen > len - 32)
				return fail(c, (int64_t)off, "captured length %u overruns its %u-byte block",
				            caplen, len);
			if (png_iface(c, id, off, &f) != CAP_OK)
				return CAP_ERR;
			pk->data = p + 28;
			pk->ts = ifc_ns(f, t);
			pk->flags = c->be ? CAP_PKT_BE : 0;
			break;
		}
		case 3:   /* Simple Packet Block: interface 0, no time stamp */
			if (len < 16)
				return fail(c, (int64_t)off, "simple packet block too short (%u bytes)", len);
			if (png_iface(c, 0, off, &f) != CAP_OK)
				return CAP_ERR;
			orig = rd32(c->be, p + 8);
			caplen = len - 16;
			if (caplen > orig)
				caplen = orig;
			if (f->snaplen && caplen > f->snaplen)
				caplen = f->snaplen;
			id = 0;
			pk->data = p + 12;
			pk->ts = 0;
			pk->flags = CAP_PKT_NOTS | (c->be ? CAP_PKT_BE : 0);
			break;
		case 1:
			r = png_idb(c, p, len, off);
			if (r != CAP_OK)
				return r;
			c->pos += len;
			continue;
		default:  /* name resolution, statistics, secrets, custom, unknown */
			c->st.skipped++;
			c->pos += len;
			continue;
		}
		pk->caplen = caplen;
		pk->wirelen = orig;
		pk->offset = off;
		pk->ifindex = c->ifbase + id;
		pk->linktype = f->linktype;
		pk->fcslen = f->fcslen;
		c->pos += len;
		return CAP_OK;
	}
}

/* ---- opening ---- */

static struct cap *cap_new(const char *name)
{
	struct cap *c = calloc(1, sizeof *c);

	if (!c)
		return NULL;
	c->fd = -1;
	c->erroff = -1;
	c->name = strdup(name ? name : "stdin");
	if (!c->name) {
		free(c);
		return NULL;
	}
	return c;
}

static void hexbytes(char *out, size_t n, const uint8_t *p, size_t len)
{
	size_t o = 0;

	out[0] = '\0';
	for (size_t i = 0; i < len && o + 4 < n; i++)
		o += (size_t)snprintf(out + o, n - o, "%s%02x", i ? " " : "", p[i]);
}

/*
 * start_z(c, kind): from now on the bytes come decompressed.  What was read
 * (from offset 0 of the input) is handed to the decoder, and the buffer
 * starts again at offset 0 of the decompressed data: offsets in messages
 * about records are offsets there.  0 ok, -1 failed (reported).
 */
static int start_z(struct cap *c, int kind)
{
	c->z = zr_new(kind, c->fd, c->buf + c->pos, c->len - c->pos);
	if (!c->z)
		return fail(c, -1, "out of memory"), -1;
	/* A small compressed file may hold a large capture. */
	if (c->memcap < CAP_BUFSIZE) {
		uint8_t *m = c->mem ? realloc(c->mem, CAP_BUFSIZE) : malloc(CAP_BUFSIZE);
		if (!m)
			return fail(c, -1, "out of memory"), -1;
		c->mem = m;
		c->memcap = CAP_BUFSIZE;
	}
	c->buf = c->mem;
	c->pos = c->len = 0;
	c->base = 0;
	c->eof = false;
	return 0;
}

/* Look at the first bytes (decompressing gzip, zstd and xz data) and read
 * the file header. */
static void cap_start(struct cap *c)
{
	const uint8_t *p;
	size_t have;
	char hex[64];
	int r;

	r = fill(c, 24);
	if (r < 0)
		return;
	have = c->len - c->pos;
	p = c->buf + c->pos;
	if (!c->z && zr_sniff(p, have) != ZR_NONE) {
		if (start_z(c, zr_sniff(p, have)) < 0)
			return;
		r = fill(c, 24);
		if (r < 0)
			return;
		have = c->len - c->pos;
		p = c->buf + c->pos;
	}
	if (have == 0) {
		if (c->z)
			fail(c, -1, "%s data that decompress to nothing, not a capture",
			     zr_kind_name(zr_kind(c->z)));
		else
			fail(c, -1, "empty file, not a capture");
		return;
	}
	if (have >= 4) {
		uint32_t m = be32(p);
		switch (m) {
		case 0xa1b2c3d4: case 0xd4c3b2a1: case 0xa1b23c4d: case 0x4d3cb2a1:
		case 0xa1b2cd34: case 0x34cdb2a1:
			pcap_header(c, p);
			return;
		case SHB_TYPE:
			c->fmt = CAP_FMT_PCAPNG;
			png_shb(c);
			return;
		default:
			break;
		}
	}
	hexbytes(hex, sizeof hex, p, have < 8 ? have : 8);
	if (c->z && zr_sniff(p, have) != ZR_NONE)
		fail(c, -1, "%s-compressed data inside %s-compressed data: decompress the outer layer first",
		     zr_kind_name(zr_sniff(p, have)), zr_kind_name(zr_kind(c->z)));
	else if (c->z)
		fail(c, -1, "not a pcap or pcapng file inside the %s data (it starts with %s)",
		     zr_kind_name(zr_kind(c->z)), hex);
	else if (have >= 3 && memcmp(p, "BZh", 3) == 0)
		fail(c, -1, "bzip2-compressed data, not a capture (decompress it first: bzcat FILE | ...)");
	else if (have >= 5 && memcmp(p, "\x89" "FLOW", 5) == 0)
		fail(c, -1, "a flowrec stream, not a capture (read it with the flow-* tools)");
	else
		fail(c, -1, "not a pcap or pcapng file (it starts with %s)", hex);
}

struct cap *cap_open_fd(int fd, const char *name)
{
	struct cap *c = cap_new(name);
	struct stat sb;

	if (!c) {
		close(fd);
		return NULL;
	}
	c->fd = fd;
	c->own_fd = true;
	if (fstat(fd, &sb) == 0 && S_ISDIR(sb.st_mode)) {
		fail(c, -1, "is a directory");
		return c;
	}
	if (isatty(fd)) {
		fail(c, -1, "refusing to read a capture from a terminal");
		return c;
	}
	c->memcap = CAP_BUFSIZE;
	if (fstat(fd, &sb) == 0 && S_ISREG(sb.st_mode)) {
		(void)posix_fadvise(fd, 0, 0, POSIX_FADV_SEQUENTIAL);
		/* A small file needs no megabyte (many small captures are common);
		 * if it grows while being read, fill() grows the buffer. */
		if (sb.st_size >= 0 && (uint64_t)sb.st_size < CAP_BUFSIZE / 2)
			c->memcap = (size_t)sb.st_size + 4096;
	}
	fd_widen_pipe(fd);
	c->mem = malloc(c->memcap);
	if (!c->mem) {
		fail(c, -1, "out of memory");
		return c;
	}
	c->buf = c->mem;
	cap_start(c);
	return c;
}

struct cap *cap_open(const char *path)
{
	struct cap *c;
	int fd;

	if (!path || strcmp(path, "-") == 0) {
		c = cap_open_fd(0, "stdin");
		if (c)
			c->own_fd = false;
		return c;
	}
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		int e = errno;
		c = cap_new(path);
		if (c)
			fail(c, -1, "%s", strerror(e));
		return c;
	}
	return cap_open_fd(fd, path);
}

struct cap *cap_open_mem(const void *p, size_t n, const char *name)
{
	struct cap *c = cap_new(name ? name : "memory");

	if (!c)
		return NULL;
	c->buf = p ? p : (const void *)"";
	c->len = p ? n : 0;
	c->eof = true;
	cap_start(c);
	return c;
}

/* ---- live capture ---- */

struct cap *cap_open_live(const char *iface, int snaplen, int promisc, const char *bpf)
{
	char eb[PCAP_ERRBUF_SIZE];
	struct cap *c = cap_new(iface);
	pcap_t *p;
	int r;

	if (!c)
		return NULL;
	c->fmt = CAP_FMT_LIVE;
	eb[0] = '\0';
	p = pcap_create(iface, eb);
	if (!p) {
		fail(c, -1, "%s", eb);
		return c;
	}
	c->live = p;
	pcap_set_snaplen(p, snaplen > 0 ? snaplen : (int)CAP_MAX_PKT);
	pcap_set_promisc(p, promisc ? 1 : 0);
	pcap_set_timeout(p, CAP_LIVE_TIMEOUT_MS);
	pcap_set_immediate_mode(p, 1);
	(void)pcap_set_tstamp_precision(p, PCAP_TSTAMP_PRECISION_NANO);
	r = pcap_activate(p);
	if (r < 0) {
		const char *m = pcap_geterr(p);
		fail(c, -1, "%s", m && *m ? m : pcap_statustostr(r));
		return c;
	}
	c->live_nsec = pcap_get_tstamp_precision(p) == PCAP_TSTAMP_PRECISION_NANO;
	/*
	 * libpcap's read timeout does not make pcap_next_ex return on a quiet
	 * Linux link (the ring's poll may wait for ever), so the handle is
	 * non-blocking and live_next waits with poll(2) for at most
	 * CAP_LIVE_TIMEOUT_MS itself.
	 */
	c->live_fd = pcap_get_selectable_fd(p);
	if (c->live_fd < 0 || pcap_setnonblock(p, 1, eb) < 0) {
		fail(c, -1, "cannot wait for packets on this interface%s%s", eb[0] ? ": " : "", eb);
		return c;
	}
	c->be = be16((const uint8_t *)&(uint16_t){ 1 }) == 1;  /* the host's order */
	ifc_init(&c->pif, (uint16_t)cap_dlt_to_linktype(pcap_datalink(p)),
	         (uint32_t)pcap_snapshot(p));
	c->st.interfaces = 1;
	if (bpf) {
		struct bpf_program prog;
		if (pcap_compile(p, &prog, bpf, 1, PCAP_NETMASK_UNKNOWN) < 0) {
			fail(c, -1, "filter: %s", pcap_geterr(p));
			return c;
		}
		r = pcap_setfilter(p, &prog);
		pcap_freecode(&prog);
		if (r < 0) {
			fail(c, -1, "filter: %s", pcap_geterr(p));
			return c;
		}
	}
	return c;
}

void cap_breakloop(struct cap *c)
{
	if (c && c->live) {
		c->stop = 1;
		pcap_breakloop(c->live);
	}
}

static int live_next(struct cap *c, struct cap_pkt *pk)
{
	struct pcap_pkthdr *h;
	const u_char *d;
	int r;

	for (;;) {
		struct pollfd pf;
		if (c->stop) {
			c->state = CAP_EOF;
			return CAP_EOF;
		}
		r = pcap_next_ex(c->live, &h, &d);
		if (r != 0)
			break;
		pf.fd = c->live_fd;
		pf.events = POLLIN;
		pf.revents = 0;
		r = poll(&pf, 1, CAP_LIVE_TIMEOUT_MS);
		if (r == 0 || (r < 0 && errno == EINTR))
			return c->stop ? (c->state = CAP_EOF) : CAP_TIMEOUT;
		if (r < 0)
			return fail(c, -1, "poll: %s", strerror(errno));
	}
	if (r == PCAP_ERROR_BREAK) {
		c->state = CAP_EOF;
		return CAP_EOF;
	}
	if (r < 0)
		return fail(c, -1, "%s", pcap_geterr(c->live));
	pk->data = d;
	pk->caplen = h->caplen;
	pk->wirelen = h->len;
	pk->ts = (int64_t)h->ts.tv_sec * (int64_t)NS + (int64_t)h->ts.tv_usec * (c->live_nsec ? 1 : 1000);
	pk->offset = 0;
	pk->ifindex = 0;
	pk->linktype = c->pif.linktype;
	pk->fcslen = c->pif.fcslen;
	pk->flags = c->be ? CAP_PKT_BE : 0;
	return CAP_OK;
}

/* ---- reading ---- */

int cap_next(struct cap *c, struct cap_pkt *pk)
{
	int r;

	if (c->state != CAP_OK)
		return c->state;
	switch (c->fmt) {
	case CAP_FMT_PCAP: r = pcap_rec(c, pk); break;
	case CAP_FMT_PCAPNG: r = png_next(c, pk); break;
	case CAP_FMT_LIVE: r = live_next(c, pk); break;
	default: return fail(c, -1, "no capture open");
	}
	if (r == CAP_OK) {
		c->st.packets++;
		c->st.bytes += pk->caplen;
		c->st.wire_bytes += pk->wirelen;
		if (pk->caplen < pk->wirelen)
			c->st.truncated++;
	}
	return r;
}

int cap_status(const struct cap *c) { return c->state; }

const char *cap_errmsg(const struct cap *c)
{
	if ((c->state == CAP_ERR || c->state == CAP_TRUNC) && c->msg)
		return c->msg;
	return "";
}

int64_t cap_erroff(const struct cap *c) { return c->state == CAP_ERR || c->state == CAP_TRUNC ? c->erroff : -1; }
const char *cap_name(const struct cap *c) { return c->name; }
int cap_format(const struct cap *c) { return c->fmt; }
const char *cap_compression(const struct cap *c) { return c->z ? zr_kind_name(zr_kind(c->z)) : NULL; }

int cap_iface_info(const struct cap *c, uint32_t ifindex, struct cap_iface *out)
{
	const struct ifc *f;

	if (c->fmt == CAP_FMT_PCAPNG) {
		if (ifindex < c->ifbase || ifindex - c->ifbase >= c->nif)
			return -1;
		f = &c->ifs[ifindex - c->ifbase];
		out->section = c->section;
		out->local_id = ifindex - c->ifbase;
	} else if (c->fmt != CAP_FMT_NONE && ifindex == 0) {
		f = &c->pif;
		out->section = 0;
		out->local_id = 0;
	} else {
		return -1;
	}
	out->snaplen = f->snaplen;
	out->linktype = f->linktype;
	out->fcslen = f->fcslen;
	out->tsresol = f->tsresol;
	out->tsoffset = f->tsoffset;
	return 0;
}

void cap_stats(const struct cap *c, struct cap_stats *st)
{
	*st = c->st;
	st->bytes_read = c->base + c->pos;
	if (c->live && c->state != CAP_ERR) {
		struct pcap_stat ps;
		if (pcap_stats(c->live, &ps) == 0) {
			st->recv = ps.ps_recv;
			st->drop = ps.ps_drop;
			st->ifdrop = ps.ps_ifdrop;
		}
	}
}

/* ---- lending ---- */

int cap_lend(struct cap *c, void (*wait)(void *ctx), void *ctx)
{
	struct lend *l = c->lend;

	if (!wait) {
		/* Every hold was released: the current buffer becomes the
		 * one owned buffer again. */
		if (l) {
			for (unsigned i = 0; i < CAP_LEND_BUFS; i++)
				if (i != l->cur)
					free(l->mem[i]);
			free(l);
			c->lend = NULL;
		}
		return 0;
	}
	if (c->fmt == CAP_FMT_LIVE)
		return -1;
	if (c->fd < 0 && !c->z)
		return 1;  /* the caller's memory, or nothing: never reused */
	if (!l) {
		l = calloc(1, sizeof *l);
		if (!l)
			return -1;
		for (unsigned i = 0; i < CAP_LEND_BUFS; i++)
			atomic_init(&l->ref[i], 0);
		l->mem[0] = c->mem;
		l->cap[0] = c->memcap;
		atomic_init(&l->ref[0], 1);
		l->cur = 0;
		c->lend = l;
	}
	l->wait = wait;
	l->ctx = ctx;
	return 0;
}

int cap_buf(const struct cap *c, const uint8_t **start, size_t *size)
{
	if (!c->lend)
		return -1;
	*start = c->mem;
	*size = c->memcap;
	return (int)c->lend->cur;
}

void cap_hold(struct cap *c, int i)
{
	atomic_fetch_add_explicit(&c->lend->ref[i], 1, memory_order_relaxed);
}

void cap_release(struct cap *c, int i)
{
	atomic_fetch_sub_explicit(&c->lend->ref[i], 1, memory_order_release);
}

bool cap_lend_ready(const struct cap *c)
{
	return lend_pick(c->lend, c->lend->want) >= 0;
}

void cap_close(struct cap *c, struct cap_stats *st)
{
	if (!c)
		return;
	if (st)
		cap_stats(c, st);
	if (c->live)
		pcap_close(c->live);
	zr_free(c->z);
	if (c->own_fd && c->fd >= 0)
		close(c->fd);
	if (c->lend) {
		for (unsigned i = 0; i < CAP_LEND_BUFS; i++)
			free(c->lend->mem[i]);
		free(c->lend);
	} else {
		free(c->mem);
	}
	free(c->ifs);
	free(c->msg);
	free(c->name);
	free(c);
}

/* ---- link types ---- */

int cap_linktype_to_dlt(int lt)
{
	switch (lt) {
	case 100: return DLT_ATM_RFC1483;
	case 101: case 12: case 14: return DLT_RAW;  /* every raw-IP number */
	case 102: return DLT_SLIP_BSDOS;
	case 103: return DLT_PPP_BSDOS;
	case 106: return DLT_ATM_CLIP;
	case 108: return DLT_LOOP;
	case 246: return DLT_PFSYNC;
	default: return lt;
	}
}

int cap_dlt_to_linktype(int dlt)
{
	if (dlt == DLT_RAW) return 101;
	if (dlt == DLT_ATM_RFC1483) return 100;
	if (dlt == DLT_SLIP_BSDOS) return 102;
	if (dlt == DLT_PPP_BSDOS) return 103;
	if (dlt == DLT_ATM_CLIP) return 106;
	if (dlt == DLT_LOOP) return 108;
	if (dlt == DLT_PFSYNC) return 246;
	return dlt;
}

/* ---- BPF ---- */

#define BPF_MAX_TYPES 64  /* compiled programs kept; a hostile file cannot grow this */

struct bpf_ent {
	int linktype;
	bool be, ok;
	struct bpf_program prog;
};

struct cap_bpf {
	char *expr;
	struct bpf_ent ent[BPF_MAX_TYPES];
	int n, next_evict, last;
	char err[PCAP_ERRBUF_SIZE + 64];
};

/*
 * Compile for a link type as libpcap would for a savefile of that type
 * written in the given byte order.  A dead handle (pcap_open_dead) is not
 * the same: libpcap generates different code for files than for live
 * captures (BSD loopback: the address-family values of every BSD for a
 * file, the host's own for a live capture; byte-swapped when the file's
 * order is not the host's).  So the handle is opened on a pcap file header
 * held in memory.
 */
static int bpf_compile(const char *expr, int linktype, bool be, struct bpf_program *prog, char *err, size_t n)
{
	uint8_t h[24];
	char eb[PCAP_ERRBUF_SIZE];
	uint32_t lt = linktype == 12 || linktype == 14 ? 101 : (uint32_t)linktype;
	FILE *fp;
	pcap_t *d;
	int r = 0;

	/* magic, version 2.4, zone, sigfigs, snapshot length, link type */
	const uint32_t f[6] = { 0xa1b2c3d4, 2u << 16 | 4, 0, 0, CAP_MAX_PKT, lt };
	for (int i = 0; i < 6; i++) {
		uint32_t v = i == 1 ? (be ? f[1] : (4u << 16 | 2)) : f[i];
		for (int k = 0; k < 4; k++)
			h[4 * i + k] = (uint8_t)(be ? v >> (24 - 8 * k) : v >> (8 * k));
	}
	fp = fmemopen(h, sizeof h, "rb");
	if (!fp) {
		snprintf(err, n, "cannot compile a filter: %s", strerror(errno));
		return -1;
	}
	d = pcap_fopen_offline(fp, eb);
	if (!d) {
		fclose(fp);
		snprintf(err, n, "%.200s", eb);
		return -1;
	}
	/* The snapshot length only sets the value an accepting program
	 * returns; cap_bpf_match tests it for non-zero. */
	if (pcap_compile(d, prog, expr, 1, PCAP_NETMASK_UNKNOWN) < 0) {
		snprintf(err, n, "%s", pcap_geterr(d));
		r = -1;
	}
	pcap_close(d);
	return r;
}

static struct bpf_ent *bpf_slot(struct cap_bpf *f)
{
	struct bpf_ent *e;

	if (f->n < BPF_MAX_TYPES)
		return &f->ent[f->n++];
	e = &f->ent[f->next_evict];
	f->next_evict = (f->next_evict + 1) % BPF_MAX_TYPES;
	if (e->ok)
		pcap_freecode(&e->prog);
	return e;
}

struct cap_bpf *cap_bpf_new(const char *expr, char *err, size_t errlen)
{
	static const int probe[] = { 1, 101, 113, 0 };
	struct cap_bpf *f = calloc(1, sizeof *f);
	char first[PCAP_ERRBUF_SIZE + 64] = "";

	if (!f || !(f->expr = strdup(expr))) {
		free(f);
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	for (size_t i = 0; i < sizeof probe / sizeof probe[0]; i++) {
		struct bpf_program prog;
		char e[sizeof first];
		if (bpf_compile(expr, probe[i], false, &prog, e, sizeof e) == 0) {
			struct bpf_ent *s = bpf_slot(f);
			s->linktype = probe[i];
			s->be = false;
			s->ok = true;
			s->prog = prog;
			return f;
		}
		if (!first[0])
			snprintf(first, sizeof first, "%s", e);
	}
	snprintf(err, errlen, "%s", first);
	free(f->expr);
	free(f);
	return NULL;
}

int cap_bpf_match(struct cap_bpf *f, const struct cap_pkt *pk)
{
	bool be = (pk->flags & CAP_PKT_BE) != 0;
	struct bpf_ent *e = NULL;
	struct pcap_pkthdr h;

	if (f->last < f->n && f->ent[f->last].linktype == pk->linktype && f->ent[f->last].be == be) {
		e = &f->ent[f->last];
	} else {
		for (int i = 0; i < f->n; i++)
			if (f->ent[i].linktype == pk->linktype && f->ent[i].be == be) {
				e = &f->ent[i];
				f->last = i;
				break;
			}
	}
	if (!e) {
		char why[PCAP_ERRBUF_SIZE + 64];
		struct bpf_program prog;
		bool ok = bpf_compile(f->expr, pk->linktype, be, &prog, why, sizeof why) == 0;
		bool known = false;
		for (int i = 0; i < f->n; i++)
			if (f->ent[i].linktype == pk->linktype)
				known = true;
		e = bpf_slot(f);
		e->linktype = pk->linktype;
		e->be = be;
		e->ok = ok;
		if (ok)
			e->prog = prog;
		f->last = (int)(e - f->ent);
		if (!ok && !known) {
			snprintf(f->err, sizeof f->err, "filter cannot apply to link type %u: %.200s",
			         pk->linktype, why);
			return -1;
		}
	}
	if (!e->ok)
		return 0;
	memset(&h, 0, sizeof h);
	h.caplen = pk->caplen;
	h.len = pk->wirelen;
	return pcap_offline_filter(&e->prog, &h, pk->data) != 0;
}

const char *cap_bpf_errmsg(const struct cap_bpf *f) { return f->err; }

void cap_bpf_free(struct cap_bpf *f)
{
	if (!f)
		return;
	for (int i = 0; i < f->n; i++)
		if (f->ent[i].ok)
			pcap_freecode(&f->ent[i].prog);
	free(f->expr);
	free(f);
}
