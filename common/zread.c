/*
 * zread.c - decompressing byte sources (see zread.h).
 *
 * One loop for the three kinds: take input (reading fd when the buffer is
 * used up), run the decoder, stop when the output is full, or when some
 * output is ready and more input would have to be read.  The end of the
 * input is a clean end only at a boundary the format defines (the end of a
 * gzip member, of a zstd frame, of an xz stream and its padding); anywhere
 * else it is a truncation.
 */
#include "zread.h"

#include <errno.h>
#include <lzma.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <zlib.h>
#include <zstd.h>
#include <zstd_errors.h>

struct zr {
	int kind;
	int fd;               /* -1: memory input */
	int state;            /* ZR_OK, or the terminal result */
	bool eof;             /* nothing more to read from fd */
	bool started;         /* the decoder was set up */
	bool boundary;        /* the last input consumed ended a member/frame */
	bool ended;           /* a clean end: ZR_END once the output is handed over */
	int pending;          /* a fault found after some output: reported next time */
	uint8_t *ibuf;        /* owned input buffer (fd input) */
	size_t icap;
	const uint8_t *in;    /* ibuf, or the caller's bytes */
	size_t inpos, inlen;
	uint64_t inbase;      /* offset of in[0] in the compressed input */
	z_stream gz;
	ZSTD_DStream *zs;
	lzma_stream xz;
	char msg[256];
};

int zr_sniff(const uint8_t *p, size_t n)
{
	if (n >= 2 && p[0] == 0x1f && p[1] == 0x8b)
		return ZR_GZIP;
	if (n >= 4 && memcmp(p, "\x28\xb5\x2f\xfd", 4) == 0)
		return ZR_ZSTD;
	if (n >= 6 && memcmp(p, "\xfd" "7zXZ\0", 6) == 0)
		return ZR_XZ;
	return ZR_NONE;
}

const char *zr_kind_name(int kind)
{
	switch (kind) {
	case ZR_GZIP: return "gzip";
	case ZR_ZSTD: return "zstd";
	case ZR_XZ: return "xz";
	default: return "none";
	}
}

static uint64_t consumed(const struct zr *z) { return z->inbase + z->inpos; }

static int zfail(struct zr *z, int rc, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static int zfail(struct zr *z, int rc, const char *fmt, ...)
{
	char what[200];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(what, sizeof what, fmt, ap);
	va_end(ap);
	snprintf(z->msg, sizeof z->msg, "%s: %s", zr_kind_name(z->kind), what);
	z->state = rc;
	return rc;
}

static int corrupt(struct zr *z, const char *why)
{
	return zfail(z, ZR_ERR, "corrupt data at byte %llu%s%s", (unsigned long long)consumed(z),
	             why && *why ? ": " : "", why ? why : "");
}

static int truncated(struct zr *z)
{
	return zfail(z, ZR_TRUNC, "file ends inside the compressed data (at byte %llu)",
	             (unsigned long long)consumed(z));
}

struct zr *zr_new(int kind, int fd, const uint8_t *pre, size_t npre)
{
	struct zr *z = calloc(1, sizeof *z);

	if (!z)
		return NULL;
	z->kind = kind;
	z->fd = fd;
	if (fd < 0) {
		z->in = pre;
		z->inlen = npre;
		z->eof = true;
		return z;
	}
	z->icap = npre > ZR_INBUF ? npre : ZR_INBUF;
	z->ibuf = malloc(z->icap);
	if (!z->ibuf) {
		free(z);
		return NULL;
	}
	if (npre)
		memcpy(z->ibuf, pre, npre);
	z->in = z->ibuf;
	z->inlen = npre;
	return z;
}

/* Make input available when all of it was consumed: 1 some, 0 none left,
 * -1 read error (reported). */
static int refill(struct zr *z)
{
	ssize_t r;

	if (z->inpos < z->inlen)
		return 1;
	if (z->eof)
		return 0;
	z->inbase += z->inlen;
	z->inpos = z->inlen = 0;
	do
		r = read(z->fd, z->ibuf, z->icap);
	while (r < 0 && errno == EINTR);
	if (r < 0) {
		zfail(z, ZR_ERR, "read error at byte %llu: %s", (unsigned long long)z->inbase, strerror(errno));
		return -1;
	}
	if (r == 0) {
		z->eof = true;
		return 0;
	}
	z->inlen = (size_t)r;
	return 1;
}

static int start(struct zr *z)
{
	switch (z->kind) {
	case ZR_GZIP:
		/* 15 + 16: a gzip wrapper only, the largest window. */
		if (inflateInit2(&z->gz, 15 + 16) != Z_OK)
			return zfail(z, ZR_ERR, "cannot start the decoder: out of memory");
		break;
	case ZR_ZSTD:
		z->zs = ZSTD_createDStream();
		if (!z->zs)
			return zfail(z, ZR_ERR, "cannot start the decoder: out of memory");
		if (ZSTD_isError(ZSTD_DCtx_setParameter(z->zs, ZSTD_d_windowLogMax, ZR_ZSTD_WINDOWLOG)))
			return zfail(z, ZR_ERR, "cannot start the decoder");
		break;
	case ZR_XZ: {
		lzma_stream init = LZMA_STREAM_INIT;
		z->xz = init;
		if (lzma_stream_decoder(&z->xz, ZR_XZ_MEMLIMIT, LZMA_CONCATENATED) != LZMA_OK)
			return zfail(z, ZR_ERR, "cannot start the decoder: out of memory");
		break;
	}
	default:
		return zfail(z, ZR_ERR, "not compressed data");
	}
	z->started = true;
	return ZR_OK;
}

/*
 * One step of the decoder over the available input into out[*pos..n).
 * 1 progress (input or output moved) or a clean end (z->ended),
 * 0 no progress possible, -1 a fault (reported).
 */
static int gz_step(struct zr *z, uint8_t *out, size_t n, size_t *pos)
{
	int r;
	size_t in0 = z->inpos, out0 = *pos;

	if (z->boundary) {
		/* The last member ended: another may follow, as in gzip -d. */
		if (z->inpos == z->inlen && z->eof) {
			z->ended = true;
			return 1;
		}
		if (z->inpos == z->inlen)
			return 0;
		inflateReset(&z->gz);
		z->boundary = false;
	}
	z->gz.next_in = (Bytef *)(uintptr_t)(z->in + z->inpos);
	z->gz.avail_in = (uInt)(z->inlen - z->inpos);
	z->gz.next_out = out + *pos;
	z->gz.avail_out = (uInt)(n - *pos);
	r = inflate(&z->gz, Z_NO_FLUSH);
	z->inpos = (size_t)(z->gz.next_in - z->in);
	*pos = (size_t)(z->gz.next_out - out);
	switch (r) {
	case Z_STREAM_END:
		z->boundary = true;
		return 1;
	case Z_OK:
		return 1;
	case Z_BUF_ERROR:
		return z->inpos != in0 || *pos != out0;
	case Z_MEM_ERROR:
		zfail(z, ZR_ERR, "out of memory");
		return -1;
	default:  /* Z_DATA_ERROR, Z_NEED_DICT, Z_STREAM_ERROR */
		corrupt(z, z->gz.msg);
		return -1;
	}
}

#define ZS_SLICE 4096

static int zs_step(struct zr *z, uint8_t *out, size_t n, size_t *pos)
{
	/* libzstd leaves the input position where the call began when it
	 * fails, so input goes in slices: a fault is placed within one. */
	size_t end = z->inlen - z->inpos > ZS_SLICE ? z->inpos + ZS_SLICE : z->inlen;
	ZSTD_inBuffer ib = { z->in, end, z->inpos };
	ZSTD_outBuffer ob = { out, n, *pos };
	size_t r;

	if (z->boundary && z->inpos == z->inlen && z->eof) {
		z->ended = true;
		return 1;
	}
	r = ZSTD_decompressStream(z->zs, &ob, &ib);
	if (ZSTD_isError(r)) {
		z->inpos = end;
		*pos = ob.pos;
		if (ZSTD_getErrorCode(r) == ZSTD_error_frameParameter_windowTooLarge ||
		    ZSTD_getErrorCode(r) == ZSTD_error_memory_allocation)
			zfail(z, ZR_ERR, "%s (at byte %llu; the limit is a %u-byte window)", ZSTD_getErrorName(r),
			      (unsigned long long)consumed(z), 1u << ZR_ZSTD_WINDOWLOG);
		else
			corrupt(z, ZSTD_getErrorName(r));
		return -1;
	}
	/* 0: a frame is complete and all its output flushed. */
	z->boundary = r == 0;
	if (ib.pos == z->inpos && ob.pos == *pos)
		return 0;
	z->inpos = ib.pos;
	*pos = ob.pos;
	return 1;
}

static int xz_step(struct zr *z, uint8_t *out, size_t n, size_t *pos)
{
	size_t in0 = z->inpos, out0 = *pos;
	lzma_ret r;

	z->xz.next_in = z->in + z->inpos;
	z->xz.avail_in = z->inlen - z->inpos;
	z->xz.next_out = out + *pos;
	z->xz.avail_out = n - *pos;
	/* With LZMA_CONCATENATED only LZMA_FINISH says where the input ends. */
	r = lzma_code(&z->xz, z->eof && z->inpos == z->inlen ? LZMA_FINISH : LZMA_RUN);
	z->inpos = (size_t)(z->xz.next_in - z->in);
	*pos = (size_t)(z->xz.next_out - out);
	switch (r) {
	case LZMA_OK:
		return z->inpos != in0 || *pos != out0;
	case LZMA_STREAM_END:
		z->ended = true;
		return 1;
	case LZMA_BUF_ERROR:
		return 0;
	case LZMA_MEM_ERROR:
		zfail(z, ZR_ERR, "out of memory");
		return -1;
	case LZMA_MEMLIMIT_ERROR:
		zfail(z, ZR_ERR, "the data needs %llu MiB of memory to decompress, more than the limit of %u MiB",
		      (unsigned long long)(lzma_memusage(&z->xz) >> 20), ZR_XZ_MEMLIMIT >> 20);
		return -1;
	case LZMA_OPTIONS_ERROR:
		zfail(z, ZR_ERR, "unsupported options at byte %llu", (unsigned long long)consumed(z));
		return -1;
	case LZMA_FORMAT_ERROR:
		corrupt(z, "not xz data");
		return -1;
	default:  /* LZMA_DATA_ERROR and anything new */
		corrupt(z, NULL);
		return -1;
	}
}

int zr_read(struct zr *z, uint8_t *out, size_t n, size_t *got)
{
	size_t pos = 0;

	*got = 0;
	if (z->pending)
		z->state = z->pending, z->pending = 0;
	if (z->state != ZR_OK)
		return z->state;
	if (!z->started && start(z) != ZR_OK)
		return z->state;
	while (pos < n && !z->ended) {
		int r;
		if (z->inpos == z->inlen && !z->eof) {
			/* Hand over what is ready before waiting for input. */
			if (pos)
				break;
			if (refill(z) < 0)
				return z->state;
		}
		switch (z->kind) {
		case ZR_GZIP: r = gz_step(z, out, n, &pos); break;
		case ZR_ZSTD: r = zs_step(z, out, n, &pos); break;
		default: r = xz_step(z, out, n, &pos); break;
		}
		if (r < 0) {
			/* What was decoded before the fault is handed over first. */
			if (pos)
				z->pending = z->state, z->state = ZR_OK;
			break;
		}
		if (r > 0 || (z->inpos == z->inlen && !z->eof))
			continue;
		/* No progress with input at hand would be a decoder fault;
		 * with none left, the data stops short of its end. */
		if (z->inpos < z->inlen)
			return corrupt(z, "the decoder makes no progress");
		if (pos)
			break;
		return truncated(z);
	}
	if (pos) {
		*got = pos;
		return ZR_OK;
	}
	if (z->ended && z->state == ZR_OK)
		z->state = ZR_END;
	return z->state;
}

const char *zr_errmsg(const struct zr *z)
{
	return z->state == ZR_TRUNC || z->state == ZR_ERR ? z->msg : "";
}

uint64_t zr_consumed(const struct zr *z) { return consumed(z); }
int zr_kind(const struct zr *z) { return z->kind; }

void zr_free(struct zr *z)
{
	if (!z)
		return;
	if (z->started) {
		switch (z->kind) {
		case ZR_GZIP: inflateEnd(&z->gz); break;
		case ZR_ZSTD: ZSTD_freeDStream(z->zs); break;
		case ZR_XZ: lzma_end(&z->xz); break;
		default: break;
		}
	} else if (z->zs) {
		ZSTD_freeDStream(z->zs);
	}
	free(z->ibuf);
	free(z);
}
