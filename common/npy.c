/*
 * npy.c - NumPy .npy files (npy.h).
 */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "bytes.h"
#include "npy.h"

static const uint8_t magic[6] = { 0x93, 'N', 'U', 'M', 'P', 'Y' };

void npy_header(uint8_t out[NPY_PREAMBLE], const char *descr, unsigned ndim, const uint64_t *shape)
{
	char d[NPY_PREAMBLE];
	size_t n, hl = NPY_PREAMBLE - 10;
	unsigned i;

	n = (size_t)snprintf(d, sizeof d, "{'descr': '%s', 'fortran_order': False, 'shape': (", descr);
	for (i = 0; i < ndim && n < sizeof d; i++)
		n += (size_t)snprintf(d + n, sizeof d - n, i + 1 < ndim ? "%llu, " : ndim > 1 ? "%llu" : "%llu,",
		    (unsigned long long)shape[i]);
	if (n < sizeof d) n += (size_t)snprintf(d + n, sizeof d - n, "), }");
	/* As numpy writes a tuple: "(7, 1500)", "(7,)". */
	/* 3 descriptor bytes and 8 dimensions of 20 digits would not fit; the
	 * callers use at most 4 dimensions. */
	if (n > hl - 1) n = hl - 1;
	memcpy(out, magic, 6);
	out[6] = 1;
	out[7] = 0;
	out[8] = (uint8_t)(hl & 0xff);
	out[9] = (uint8_t)(hl >> 8);
	memcpy(out + 10, d, n);
	memset(out + 10 + n, ' ', hl - n - 1);
	out[NPY_PREAMBLE - 1] = '\n';
}

/* ---- reading a header ---- */

struct lex {
	const char *p, *end;
};

static void blanks(struct lex *l)
{
	while (l->p < l->end && (*l->p == ' ' || *l->p == '\t')) l->p++;
}

static bool lit(struct lex *l, const char *s)
{
	size_t n = strlen(s);

	blanks(l);
	if ((size_t)(l->end - l->p) < n || memcmp(l->p, s, n) != 0) return false;
	l->p += n;
	return true;
}

/* A quoted string ('...' or "..."), copied into out[cap]. */
static bool str(struct lex *l, char *out, size_t cap)
{
	char q;
	size_t n = 0;

	blanks(l);
	if (l->p >= l->end || (*l->p != '\'' && *l->p != '"')) return false;
	q = *l->p++;
	while (l->p < l->end && *l->p != q) {
		if (n + 1 >= cap) return false;
		out[n++] = *l->p++;
	}
	if (l->p >= l->end) return false;
	l->p++;
	out[n] = '\0';
	return true;
}

static bool unum(struct lex *l, uint64_t *v)
{
	bool any = false;

	blanks(l);
	*v = 0;
	while (l->p < l->end && *l->p >= '0' && *l->p <= '9') {
		if (*v > (UINT64_MAX - 9) / 10) return false;
		*v = *v * 10 + (uint64_t)(*l->p++ - '0');
		any = true;
	}
	return any;
}

static bool shape(struct lex *l, struct npy_info *inf)
{
	inf->ndim = 0;
	if (!lit(l, "(")) return false;
	for (;;) {
		if (lit(l, ")")) return inf->ndim > 0;
		if (inf->ndim == NPY_MAX_DIMS || !unum(l, &inf->shape[inf->ndim])) return false;
		inf->ndim++;
		if (!lit(l, ",")) return lit(l, ")");
	}
}

static uint64_t itemsize(const char *d)
{
	if ((d[0] != '<' && d[0] != '|') || strchr("uif", d[1]) == NULL || d[2] < '1' || d[2] > '8' ||
	    d[3] != '\0')
		return 0;
	if (d[0] == '|' && d[2] != '1') return 0;
	return (uint64_t)(d[2] - '0');
}

static int bad(char *err, size_t errlen, const char *why)
{
	snprintf(err, errlen, "%s", why);
	errno = 0;
	return -1;
}

int npy_read_info(const char *path, struct npy_info *inf, char *err, size_t errlen)
{
	uint8_t pre[12];
	char *h = NULL;
	struct stat st;
	struct lex l;
	uint64_t hl, pl, total;
	bool order = false, haveshape = false, havedescr = false;
	unsigned i;
	FILE *fp;
	int r = -1;

	memset(inf, 0, sizeof *inf);
	if ((fp = fopen(path, "rb")) == NULL) {
		int e = errno;

		snprintf(err, errlen, "%s", strerror(e));
		errno = e;
		return -1;
	}
	if (fstat(fileno(fp), &st) != 0) {
		snprintf(err, errlen, "%s", strerror(errno));
		goto out;
	}
	if (fread(pre, 1, 10, fp) != 10 || memcmp(pre, magic, 6) != 0) {
		bad(err, errlen, "not an NPY file");
		goto out;
	}
	if (pre[6] == 1) {
		hl = pre[8] | (uint64_t)pre[9] << 8;
		pl = 10;
	} else if (pre[6] == 2 && fread(pre + 10, 1, 2, fp) == 2) {
		hl = pre[8] | (uint64_t)pre[9] << 8 | (uint64_t)pre[10] << 16 | (uint64_t)pre[11] << 24;
		pl = 12;
	} else {
		bad(err, errlen, "NPY format version not 1 or 2");
		goto out;
	}
	if (hl > 65536 || pl + hl > (uint64_t)st.st_size) {
		bad(err, errlen, "NPY header longer than the file");
		goto out;
	}
	h = malloc((size_t)hl + 1);
	if (h == NULL || fread(h, 1, (size_t)hl, fp) != hl) {
		bad(err, errlen, "NPY header cut short");
		goto out;
	}
	l.p = h;
	l.end = h + hl;
	if (!lit(&l, "{")) goto syntax;
	while (!lit(&l, "}")) {
		char key[32];

		if (!str(&l, key, sizeof key) || !lit(&l, ":")) goto syntax;
		if (strcmp(key, "descr") == 0) {
			if (!str(&l, inf->descr, sizeof inf->descr)) goto syntax;
			havedescr = true;
		} else if (strcmp(key, "fortran_order") == 0) {
			if (lit(&l, "True")) order = true;
			else if (!lit(&l, "False")) goto syntax;
		} else if (strcmp(key, "shape") == 0) {
			if (!shape(&l, inf)) goto syntax;
			haveshape = true;
		} else {
			goto syntax;
		}
		if (!lit(&l, ",")) {
			if (!lit(&l, "}")) goto syntax;
			break;
		}
	}
	if (!havedescr || !haveshape || order) {
		bad(err, errlen, "NPY header without descr or shape, or in Fortran order");
		goto out;
	}
	if ((inf->item = itemsize(inf->descr)) == 0) {
		bad(err, errlen, "NPY descriptor not a little-endian number");
		goto out;
	}
	for (i = 1; i < inf->ndim; i++) {
		if (inf->shape[i] && inf->item > UINT64_MAX / inf->shape[i]) goto size;
		inf->item *= inf->shape[i];
	}
	inf->data = pl + hl;
	if (inf->item && inf->shape[0] > (UINT64_MAX - inf->data) / inf->item) goto size;
	total = inf->data + inf->shape[0] * inf->item;
	if (total != (uint64_t)st.st_size) goto size;
	r = 0;
	goto out;
syntax:
	bad(err, errlen, "NPY header is not a dictionary of descr, fortran_order and shape");
	goto out;
size:
	snprintf(err, errlen, "size %lld does not match the NPY header (%llu items of %llu bytes)",
	    (long long)st.st_size, (unsigned long long)inf->shape[0], (unsigned long long)inf->item);
	errno = 0;
out:
	free(h);
	fclose(fp);
	return r;
}

/* ---- writing ---- */

static int werr(struct npy_writer *w)
{
	if (!w->failed) msg_warn("%s: write error: %s", w->out.path, strerror(errno));
	w->failed = 1;
	return -1;
}

int npy_create(struct npy_writer *w, const char *path, const char *descr, unsigned ndim,
    const uint64_t *shp)
{
	uint8_t h[NPY_PREAMBLE];
	unsigned i;

	memset(w, 0, sizeof *w);
	snprintf(w->descr, sizeof w->descr, "%s", descr);
	w->ndim = ndim;
	w->item = itemsize(descr);
	for (i = 1; i < ndim; i++) {
		w->shape[i] = shp[i];
		w->item *= shp[i];
	}
	if (out_open_regular(&w->out, path) < 0) return -1;
	npy_header(h, w->descr, w->ndim, w->shape);
	if (fwrite(h, 1, sizeof h, w->out.fp) != sizeof h) return werr(w);
	return 0;
}

int npy_copy_from(struct npy_writer *w, const char *src)
{
	struct npy_info inf;
	char err[256];
	unsigned i;

	if (npy_read_info(src, &inf, err, sizeof err) < 0) {
		msg_warn("%s: %s", src, err);
		return -1;
	}
	if (strcmp(inf.descr, w->descr) != 0 || inf.ndim != w->ndim) {
		msg_warn("%s: holds %s in %u dimensions, not %s in %u", src, inf.descr, inf.ndim,
		    w->descr, w->ndim);
		return -1;
	}
	for (i = 1; i < w->ndim; i++)
		if (inf.shape[i] != w->shape[i]) {
			msg_warn("%s: dimension %u is %llu, not %llu", src, i,
			    (unsigned long long)inf.shape[i], (unsigned long long)w->shape[i]);
			return -1;
		}
	if (out_copy_range(&w->out, src, inf.data, inf.shape[0] * inf.item) < 0) {
		w->failed = 1;
		return -1;
	}
	w->shape[0] += inf.shape[0];
	return 0;
}

int npy_put(struct npy_writer *w, const void *p)
{
	if (w->failed) return -1;
	if (fwrite(p, 1, (size_t)w->item, w->out.fp) != w->item) return werr(w);
	w->shape[0]++;
	return 0;
}

int npy_finish(struct npy_writer *w)
{
	uint8_t h[NPY_PREAMBLE];

	if (w->failed) return -1;
	/* Our own temporary regular file: the count goes in place. */
	npy_header(h, w->descr, w->ndim, w->shape);
	if (fflush(w->out.fp) != 0 || fseek(w->out.fp, 0, SEEK_SET) != 0 ||
	    fwrite(h, 1, sizeof h, w->out.fp) != sizeof h)
		return werr(w);
	if (out_finish(&w->out) < 0) {
		w->failed = 1;
		return -1;
	}
	return 0;
}

int npy_commit(struct npy_writer *w)
{
	if (w->failed) {
		npy_abort(w);
		return -1;
	}
	return out_commit(&w->out);
}

void npy_abort(struct npy_writer *w)
{
	out_abort(&w->out);
}
