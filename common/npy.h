/*
 * npy.h - NumPy .npy files (format version 1.0), written through a
 * temporary file, appended to by copying, their headers read back.
 *
 * Layout (numpy's "format" module documentation):
 *
 *   offset  size  field
 *   0       6     magic "\x93NUMPY"
 *   6       1     major version, 1
 *   7       1     minor version, 0
 *   8       2     header length H, little-endian u16
 *   10      H     a Python dict literal in ASCII, e.g.
 *                 {'descr': '<u2', 'fortran_order': False, 'shape': (7, 1, 1500, 1500), }
 *                 padded with spaces and ended by '\n' so that 10 + H is a
 *                 multiple of 64
 *   10+H    ...   the items, C order, nothing after them
 *
 * The writer always makes a 128-byte preamble (10 + H = 128): room for
 * any count, so the header is rewritten in place with the final count at
 * npy_finish, and a file on disk never holds a shape that disagrees with
 * its size.
 */
#ifndef FK_NPY_H
#define FK_NPY_H

#include <stdint.h>
#include <stdio.h>

#include "out.h"

#define NPY_MAX_DIMS 8
#define NPY_PREAMBLE 128u

struct npy_info {
	char descr[8];             /* "<u2" */
	unsigned ndim;             /* 1 to NPY_MAX_DIMS */
	uint64_t shape[NPY_MAX_DIMS]; /* shape[0] is N */
	uint64_t item;             /* bytes per item: itemsize x shape[1..] */
	uint64_t data;             /* offset of the first item */
};

/*
 * npy_read_info(path, inf, err, errlen): read the header of the file at
 * path: version 1.0 or 2.0, a little-endian or byte descriptor, C order,
 * and a size of exactly data + N x item.  0, or -1 with a message in err
 * (errno kept, ENOENT for a missing file).
 */
int npy_read_info(const char *path, struct npy_info *inf, char *err, size_t errlen);

/* npy_header(out, descr, ndim, shape): the NPY_PREAMBLE bytes of a header. */
void npy_header(uint8_t out[NPY_PREAMBLE], const char *descr, unsigned ndim, const uint64_t *shape);

/*
 * A writer, as idx.h's: the file is built under a temporary name next to
 * path (out_open_regular), items are added with npy_put, npy_finish
 * writes the count and syncs, npy_commit renames (or a group commits
 * &w->out).  Nothing is visible at path before the commit.
 */
struct npy_writer {
	struct out_file out;
	char descr[8];
	unsigned ndim;
	uint64_t shape[NPY_MAX_DIMS]; /* shape[0] is updated as items come */
	uint64_t item;
	int failed;
};

/* npy_create(w, path, descr, ndim, shape): shape[1..ndim-1] give an
 * item's shape (shape[0] is ignored).  0, or -1 after a message. */
int npy_create(struct npy_writer *w, const char *path, const char *descr, unsigned ndim,
    const uint64_t *shape);
/* npy_copy_from(w, src): copy the items of an existing file with the same
 * descriptor and item shape.  -1 after a message. */
int npy_copy_from(struct npy_writer *w, const char *src);
/* npy_put(w, p): one item of w->item bytes.  -1 after a message. */
int npy_put(struct npy_writer *w, const void *p);
int npy_finish(struct npy_writer *w);
int npy_commit(struct npy_writer *w);
void npy_abort(struct npy_writer *w);

#endif
