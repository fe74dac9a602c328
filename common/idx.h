/*
 * idx.h - MNIST IDX files: writing through a temporary file, appending to
 * an existing file, and reading headers back.
 *
 * Layout (../shared/COMPAT.md, "IDX"): every integer big-endian.
 *
 *   offset  size  field
 *   0       2     zero
 *   2       1     element type: 0x08 unsigned byte (the only one written)
 *   3       1     number of dimensions d (1 for labels, 3 for images)
 *   4       4·d   the dimensions: N, then rows and cols for images
 *   4+4·d   ...   N items of rows·cols bytes each (1 byte for labels),
 *                 row-major, nothing else: no padding, no trailer
 *
 * So an image file starts 00 00 08 03 and a label file 00 00 08 01.
 */
#ifndef FK_IDX_H
#define FK_IDX_H

#include <stdint.h>
#include <stdio.h>

#include "out.h"

#define IDX_UBYTE 0x08u
#define IDX_MAX_DIMS 3

/* What a header says. */
struct idx_info {
	unsigned dims;             /* 1 to IDX_MAX_DIMS */
	uint32_t dim[IDX_MAX_DIMS]; /* dim[0] is N, the item count */
	uint64_t item;             /* bytes per item: the product of dim[1..] */
	uint64_t hdr;              /* header bytes: 4 + 4·dims */
};

/*
 * idx_read_info(path, want_dims, inf, err, errlen): open path, read its
 * header and check that it is an unsigned-byte IDX file of want_dims
 * dimensions whose size is exactly header + N·item.  0 ok; -1 with a
 * message in err (ENOENT is reported as "no such file", errno kept).
 */
int idx_read_info(const char *path, unsigned want_dims, struct idx_info *inf,
    char *err, size_t errlen);

/*
 * A writer: the file is built under a temporary name next to path
 * (out_open_regular: a FIFO or device is refused, the count is written
 * in place) with a placeholder count, items are added with idx_put,
 * idx_finish writes the real count and flushes everything to the disk,
 * and idx_commit renames the file over path (or a group commits it:
 * out_group_add(g, &w->out)).  Nothing is visible at path before the
 * commit; msg_die and the usual signals remove the temporary.
 */
struct idx_writer {
	struct out_file out;
	unsigned dims;
	uint32_t dim[IDX_MAX_DIMS];
	uint64_t item;
	uint64_t n;          /* items written so far, copied ones included */
	int failed;          /* a write error was reported */
};

/* idx_create: start a new file; dims 1 (labels) or 3 (rows, cols).  0 or -1
 * after a message. */
int idx_create(struct idx_writer *w, const char *path, unsigned dims, uint32_t rows,
    uint32_t cols);
/* idx_copy_from: copy the items of the existing file src (checked with
 * idx_read_info; same shape required) into w.  -1 after a message. */
int idx_copy_from(struct idx_writer *w, const char *src);
/* idx_put: add one item of w->item bytes.  -1 after a message (write error). */
int idx_put(struct idx_writer *w, const uint8_t *item);
/* idx_finish: write the count into the header, flush and fsync.  -1 after
 * a message; the file is not renamed. */
int idx_finish(struct idx_writer *w);
/* idx_commit: rename the finished temporary file over its path. */
int idx_commit(struct idx_writer *w);
/* idx_abort: remove the temporary file. */
void idx_abort(struct idx_writer *w);

/* idx_header: the header bytes for a shape (out holds 16 bytes); returns
 * its length. */
size_t idx_header(uint8_t *out, unsigned dims, const uint32_t *dim);

#endif
