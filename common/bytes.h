/*
 * bytes.h - big-endian byte helpers, bounds-checked read cursors and a
 * growable write buffer.  Every integer that crosses a file or a pipe goes
 * through these helpers; no struct is ever laid over a buffer.
 */
#ifndef FK_BYTES_H
#define FK_BYTES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

/*
 * Unchecked loads and stores: the caller has already checked the length.
 * On a little-endian GCC or clang they are one load or store and a byte
 * swap: GCC 12 does not always merge the byte-wise form (rec_pkt_put's
 * 32-byte entry took some 130 instructions that way).
 */
#if defined(__GNUC__) && defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
#define FK_BSWAP 1
#endif
static inline uint16_t be16(const uint8_t *p) { return (uint16_t)(p[0] << 8 | p[1]); }
static inline uint32_t be32(const uint8_t *p)
{
#ifdef FK_BSWAP
	uint32_t v;

	memcpy(&v, p, 4);
	return __builtin_bswap32(v);
#else
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
#endif
}
static inline uint64_t be64(const uint8_t *p)
{
#ifdef FK_BSWAP
	uint64_t v;

	memcpy(&v, p, 8);
	return __builtin_bswap64(v);
#else
	return (uint64_t)be32(p) << 32 | be32(p + 4);
#endif
}
static inline uint16_t le16(const uint8_t *p) { return (uint16_t)(p[1] << 8 | p[0]); }
static inline uint32_t le32(const uint8_t *p)
{
	return (uint32_t)p[3] << 24 | (uint32_t)p[2] << 16 | (uint32_t)p[1] << 8 | p[0];
}
static inline void put_be16(uint8_t *p, uint16_t v)
{
#ifdef FK_BSWAP
	v = __builtin_bswap16(v);
	memcpy(p, &v, 2);
#else
	p[0] = (uint8_t)(v >> 8); p[1] = (uint8_t)v;
#endif
}
static inline void put_be32(uint8_t *p, uint32_t v)
{
#ifdef FK_BSWAP
	v = __builtin_bswap32(v);
	memcpy(p, &v, 4);
#else
	p[0] = (uint8_t)(v >> 24); p[1] = (uint8_t)(v >> 16); p[2] = (uint8_t)(v >> 8); p[3] = (uint8_t)v;
#endif
}
static inline void put_be64(uint8_t *p, uint64_t v)
{
#ifdef FK_BSWAP
	v = __builtin_bswap64(v);
	memcpy(p, &v, 8);
#else
	put_be32(p, (uint32_t)(v >> 32)); put_be32(p + 4, (uint32_t)v);
#endif
}

/*
 * A read cursor over untrusted bytes.  cur_* getters return false, and
 * leave the cursor where it was, when fewer bytes remain than asked for.
 */
struct cur {
	const uint8_t *p, *end;
};

static inline struct cur cur_make(const void *p, size_t n)
{
	/* An empty buffer may have no storage: no arithmetic on NULL (C11 6.5.6). */
	struct cur c = { (const uint8_t *)p, p ? (const uint8_t *)p + n : NULL };
	return c;
}
static inline size_t cur_left(const struct cur *c) { return (size_t)(c->end - c->p); }
static inline bool cur_skip(struct cur *c, size_t n)
{
	if (n > cur_left(c)) return false;
	c->p += n; return true;
}
static inline bool cur_u8(struct cur *c, uint8_t *v)
{
	if (cur_left(c) < 1) return false;
	*v = *c->p++; return true;
}
static inline bool cur_u16(struct cur *c, uint16_t *v)
{
	if (cur_left(c) < 2) return false;
	*v = be16(c->p); c->p += 2; return true;
}
static inline bool cur_u32(struct cur *c, uint32_t *v)
{
	if (cur_left(c) < 4) return false;
	*v = be32(c->p); c->p += 4; return true;
}
static inline bool cur_u64(struct cur *c, uint64_t *v)
{
	if (cur_left(c) < 8) return false;
	*v = be64(c->p); c->p += 8; return true;
}
/* cur_bytes: point *v at the next n bytes (no copy) and step over them. */
static inline bool cur_bytes(struct cur *c, size_t n, const uint8_t **v)
{
	if (n > cur_left(c)) return false;
	*v = c->p; c->p += n; return true;
}
/* cur_sub: split off the next n bytes as a cursor of their own. */
static inline bool cur_sub(struct cur *c, size_t n, struct cur *sub)
{
	if (n > cur_left(c)) return false;
	sub->p = c->p; sub->end = c->p + n; c->p += n; return true;
}

/*
 * A growable output buffer.  Zero-initialise it; buf_free releases it.
 * Allocation failure is fatal (the caller cannot do anything useful),
 * so the put functions never fail.
 */
struct buf {
	uint8_t *p;
	size_t len, cap;
	bool borrowed;  /* p is the caller's memory: moved to the heap when it must grow */
};

/* buf_borrow: a buffer over cap bytes of the caller's memory (not freed). */
static inline void buf_borrow(struct buf *b, void *mem, size_t cap)
{
	b->p = mem;
	b->len = 0;
	b->cap = cap;
	b->borrowed = true;
}

void buf_reserve(struct buf *b, size_t extra);
/* buf_reserve_to: capacity exactly cap bytes when it is less (for stores
 * that choose their own growth). */
void buf_reserve_to(struct buf *b, size_t cap);
void buf_free(struct buf *b);

/*
 * fd_widen_pipe: if fd is a pipe (either end), ask for a 1 MiB buffer:
 * the default 64 KiB makes writer and reader wake each other every few
 * records or packets ("pcap-flows x | flow-anon | flow-idx", "zcat
 * x.pcap.gz | pcap-flows -").  1 MiB is the default limit for
 * unprivileged users; a refusal changes nothing.
 */
void fd_widen_pipe(int fd);
static inline void buf_reset(struct buf *b) { b->len = 0; }
static inline void buf_put(struct buf *b, const void *v, size_t n)
{
	if (n == 0) return;
	if (b->cap - b->len < n) buf_reserve(b, n);
	memcpy(b->p + b->len, v, n); b->len += n;
}
static inline void buf_put8(struct buf *b, uint8_t v)
{
	if (b->cap - b->len < 1) buf_reserve(b, 1);
	b->p[b->len++] = v;
}
static inline void buf_put16(struct buf *b, uint16_t v)
{
	if (b->cap - b->len < 2) buf_reserve(b, 2);
	put_be16(b->p + b->len, v); b->len += 2;
}
static inline void buf_put32(struct buf *b, uint32_t v)
{
	if (b->cap - b->len < 4) buf_reserve(b, 4);
	put_be32(b->p + b->len, v); b->len += 4;
}
static inline void buf_put64(struct buf *b, uint64_t v)
{
	if (b->cap - b->len < 8) buf_reserve(b, 8);
	put_be64(b->p + b->len, v); b->len += 8;
}

/* Allocation helpers that exit with a message on failure. */
void *xmalloc(size_t n);
void *xcalloc(size_t n, size_t size);
void *xrealloc(void *p, size_t n);
char *xstrdup(const char *s);

#endif
