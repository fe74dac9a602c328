/*
 * bytes.c - the growable buffer and allocation helpers of bytes.h.
 */
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "bytes.h"
#include "msg.h"

static void oom(void)
{
	msg_die(EXIT_DATA, "out of memory");
}

void *xmalloc(size_t n)
{
	void *p = malloc(n ? n : 1);

	if (p == NULL) oom();
	return p;
}

void *xcalloc(size_t n, size_t size)
{
	void *p = calloc(n ? n : 1, size ? size : 1);

	if (p == NULL) oom();
	return p;
}

void *xrealloc(void *p, size_t n)
{
	p = realloc(p, n ? n : 1);
	if (p == NULL) oom();
	return p;
}

char *xstrdup(const char *s)
{
	size_t n = strlen(s) + 1;

	return memcpy(xmalloc(n), s, n);
}

/* Grow geometrically so that appending stays amortised O(1). */
void buf_reserve(struct buf *b, size_t extra)
{
	size_t need, cap;

	if (b->cap - b->len >= extra) return;
	if (extra > SIZE_MAX / 2 - b->len) oom();
	need = b->len + extra;
	cap = b->cap ? b->cap : need > 64 ? need : 64; /* a first size is taken as meant */
	while (cap < need) cap *= 2;
	buf_reserve_to(b, cap);
}

void buf_reserve_to(struct buf *b, size_t cap)
{
	if (cap <= b->cap) return;
	if (b->borrowed) {
		uint8_t *p = xmalloc(cap);

		if (b->len) memcpy(p, b->p, b->len);
		b->p = p;
		b->borrowed = false;
	} else {
		b->p = xrealloc(b->p, cap);
	}
	b->cap = cap;
}

void buf_free(struct buf *b)
{
	if (!b->borrowed) free(b->p);
	b->borrowed = false;
	b->p = NULL;
	b->len = b->cap = 0;
}

void fd_widen_pipe(int fd)
{
#ifdef F_SETPIPE_SZ
	struct stat sb;

	if (fstat(fd, &sb) == 0 && S_ISFIFO(sb.st_mode)) (void)fcntl(fd, F_SETPIPE_SZ, 1 << 20);
#else
	(void)fd;
#endif
}
