/*
 * zread.h - decompressing byte sources: gzip (RFC 1952, through zlib),
 * zstd (RFC 8878, libzstd) and xz (liblzma), read from a file descriptor
 * or from memory in bounded memory, the kind recognised by magic number.
 *
 * Typical use, once the first bytes of an input are known:
 *
 *	int k = zr_sniff(p, n);                   // ZR_NONE: not compressed
 *	struct zr *z = zr_new(k, fd, p, n);       // p, n: bytes already read from fd
 *	size_t got;
 *	while ((rc = zr_read(z, out, sizeof out, &got)) == ZR_OK)
 *		use(out, got);
 *	if (rc != ZR_END)
 *		warn("%s", zr_errmsg(z));            // "gzip: corrupt data at byte N: ..."
 *	zr_free(z);                               // does not close fd
 *
 *	magic (first bytes)    kind   what follows it
 *	1f 8b                  gzip   members, one after another (as gzip -d)
 *	28 b5 2f fd            zstd   frames, skippable frames too
 *	fd 37 7a 58 5a 00      xz     streams, with their padding
 *
 * Concatenated members, frames and streams are one output, as the
 * command-line tools give it.  Memory: the input buffer (ZR_INBUF bytes)
 * plus the decoder's state: 32 KiB of window for gzip; the frame's window
 * for zstd, refused above 2^ZR_ZSTD_WINDOWLOG bytes (libzstd's default
 * limit); the dictionary for xz, refused when the decoder would need more
 * than ZR_XZ_MEMLIMIT bytes.  Byte offsets in messages are offsets of the
 * compressed input (the bytes consumed when the decoder found the fault).
 */
#ifndef FK_ZREAD_H
#define FK_ZREAD_H

#include <stddef.h>
#include <stdint.h>

enum { ZR_NONE = 0, ZR_GZIP, ZR_ZSTD, ZR_XZ };

/* Results of zr_read. */
enum {
	ZR_OK = 0,  /* *got > 0 bytes were stored */
	ZR_END,     /* the compressed data ended cleanly; *got is 0 */
	ZR_TRUNC,   /* the input ended inside compressed data; *got is 0 */
	ZR_ERR      /* corrupt data, an unsupported option, too much memory
	               needed, or a read error; *got is 0 */
};

#define ZR_INBUF (128u * 1024)
#define ZR_ZSTD_WINDOWLOG 27
#define ZR_XZ_MEMLIMIT (256u * 1024 * 1024)

/* zr_sniff(p, n): the kind of compressed data that starts with the n bytes
 * at p, or ZR_NONE (also when n is too short to tell). */
int zr_sniff(const uint8_t *p, size_t n);
/* zr_kind_name: "gzip", "zstd", "xz" ("none" for ZR_NONE). */
const char *zr_kind_name(int kind);

/*
 * zr_new(kind, fd, pre, npre): a reader of the compressed data of the given
 * kind.  fd >= 0: npre bytes at pre were already read from the start of fd
 * (they are copied) and the rest is read from fd, which the caller keeps
 * and closes after zr_free.  fd < 0: the whole input is the npre bytes at
 * pre, not copied (they must outlive the reader).  NULL when memory runs
 * out; a decoder that cannot start is reported by the first zr_read.
 */
struct zr *zr_new(int kind, int fd, const uint8_t *pre, size_t npre);

/* zr_read(z, out, n, got): up to n (> 0) decompressed bytes into out.  It
 * returns as soon as some bytes are stored and more input would have to be
 * read.  After ZR_END, ZR_TRUNC or ZR_ERR every call returns the same. */
int zr_read(struct zr *z, uint8_t *out, size_t n, size_t *got);

/* zr_errmsg: "KIND: what [at byte N]" for ZR_TRUNC and ZR_ERR, else "". */
const char *zr_errmsg(const struct zr *z);
/* zr_consumed: compressed bytes consumed so far. */
uint64_t zr_consumed(const struct zr *z);
int zr_kind(const struct zr *z);
void zr_free(struct zr *z);

#endif
