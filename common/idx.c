/*
 * idx.c - MNIST IDX files (idx.h).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "bytes.h"
#include "idx.h"

size_t idx_header(uint8_t *out, unsigned dims, const uint32_t *dim)
{
	unsigned i;

	out[0] = 0;
	out[1] = 0;
	out[2] = IDX_UBYTE;
	out[3] = (uint8_t)dims;
	for (i = 0; i < dims; i++) put_be32(out + 4 + 4 * i, dim[i]);
	return 4 + 4 * (size_t)dims;
}

int idx_read_info(const char *path, unsigned want_dims, struct idx_info *inf,
    char *err, size_t errlen)
{
	uint8_t h[4 + 4 * IDX_MAX_DIMS];
	struct stat st;
	struct cur c;
	FILE *fp;
	size_t got;
	unsigned i;
	uint8_t z0, z1, type, dims;

	fp = fopen(path, "rb");
	if (fp == NULL) {
		int e = errno;

		snprintf(err, errlen, "%s", strerror(e));
		errno = e;
		return -1;
	}
	got = fread(h, 1, sizeof h, fp);
	if (fstat(fileno(fp), &st) != 0) {
		snprintf(err, errlen, "%s", strerror(errno));
		fclose(fp);
		return -1;
	}
	fclose(fp);
	errno = 0;
	c = cur_make(h, got);
	if (!cur_u8(&c, &z0) || !cur_u8(&c, &z1) || !cur_u8(&c, &type) || !cur_u8(&c, &dims)) {
		snprintf(err, errlen, "not an IDX file (shorter than a header)");
		return -1;
	}
	if (z0 || z1 || type != IDX_UBYTE) {
		snprintf(err, errlen, "not an unsigned-byte IDX file (magic %02x%02x%02x%02x)",
		    z0, z1, type, dims);
		return -1;
	}
	if (dims != want_dims) {
		snprintf(err, errlen, "IDX file of %u dimensions, expected %u", dims, want_dims);
		return -1;
	}
	inf->dims = dims;
	inf->item = 1;
	for (i = 0; i < dims; i++) {
		if (!cur_u32(&c, &inf->dim[i])) {
			snprintf(err, errlen, "IDX header cut short");
			return -1;
		}
		if (i) inf->item *= inf->dim[i];
	}
	inf->hdr = 4 + 4 * (uint64_t)dims;
	if ((uint64_t)st.st_size != inf->hdr + (uint64_t)inf->dim[0] * inf->item) {
		snprintf(err, errlen, "size %lld does not match the header (%lu items of %llu bytes)",
		    (long long)st.st_size, (unsigned long)inf->dim[0], (unsigned long long)inf->item);
		return -1;
	}
	return 0;
}

static int werr(struct idx_writer *w)
{
	if (!w->failed) msg_warn("%s: write error: %s", w->out.path, strerror(errno));
	w->failed = 1;
	return -1;
}

int idx_create(struct idx_writer *w, const char *path, unsigned dims, uint32_t rows,
    uint32_t cols)
{
	uint8_t h[16];
	size_t hl;

	memset(w, 0, sizeof *w);
	w->dims = dims;
	w->dim[1] = rows;
	w->dim[2] = cols;
	w->item = dims == 3 ? (uint64_t)rows * cols : 1;
	if (out_open_regular(&w->out, path) < 0) return -1;
	hl = idx_header(h, dims, w->dim);
	if (fwrite(h, 1, hl, w->out.fp) != hl) return werr(w);
	return 0;
}

int idx_copy_from(struct idx_writer *w, const char *src)
{
	struct idx_info inf;
	char err[256];

	if (idx_read_info(src, w->dims, &inf, err, sizeof err) < 0) {
		msg_warn("%s: %s", src, err);
		return -1;
	}
	if (inf.item != w->item || (w->dims == 3 && (inf.dim[1] != w->dim[1] || inf.dim[2] != w->dim[2]))) {
		msg_warn("%s: images are %lux%lu, not %lux%lu", src, (unsigned long)inf.dim[1],
		    (unsigned long)inf.dim[2], (unsigned long)w->dim[1], (unsigned long)w->dim[2]);
		return -1;
	}
	if (out_copy_range(&w->out, src, inf.hdr, (uint64_t)inf.dim[0] * inf.item) < 0) {
		w->failed = 1;
		return -1;
	}
	w->n += inf.dim[0];
	return 0;
}

int idx_put(struct idx_writer *w, const uint8_t *item)
{
	if (w->failed) return -1;
	if (fwrite(item, 1, (size_t)w->item, w->out.fp) != w->item) return werr(w);
	w->n++;
	return 0;
}

int idx_finish(struct idx_writer *w)
{
	uint8_t h[4];

	if (w->failed) return -1;
	if (w->n > UINT32_MAX) {
		msg_warn("%s: more than %lu items do not fit an IDX header", w->out.path,
		    (unsigned long)UINT32_MAX);
		w->failed = 1;
		return -1;
	}
	/* The output is our own temporary regular file, never a pipe, so the
	 * count can be written in place once it is known. */
	put_be32(h, (uint32_t)w->n);
	if (fflush(w->out.fp) != 0 || fseek(w->out.fp, 4, SEEK_SET) != 0 ||
	    fwrite(h, 1, 4, w->out.fp) != 4)
		return werr(w);
	/* The data must be on the disk before the rename makes it the file. */
	if (out_finish(&w->out) < 0) {
		w->failed = 1;
		return -1;
	}
	return 0;
}

int idx_commit(struct idx_writer *w)
{
	if (w->failed) {
		idx_abort(w);
		return -1;
	}
	return out_commit(&w->out);
}

void idx_abort(struct idx_writer *w)
{
	out_abort(&w->out);
}
