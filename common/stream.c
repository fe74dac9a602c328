/*
 * stream.c - flowrec stream reader, the input loop over a tool's
 * operands, and the writer.
 *
 * The reader keeps one buffer; it reads the 8-byte prefix, validates the
 * length against the limits of the record type, and only then makes sure
 * the whole record is in the buffer (growing it up to the limit).  Records
 * are numbered from 1 in each input; messages name the input, the byte
 * offset of the record and its number.  The writer's abandoned state
 * exists so that a transform whose input failed can never end its output
 * with a valid END record (flowrec(5), "What a writer MUST do").
 */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "msg.h"
#include "stream.h"

#define RS_BUFSZ  (1u << 20)
#define RS_READSZ (1u << 17) /* read in cat's size: what was read is still in the cache when parsed */

enum { ST_START, ST_SEGMENT, ST_AFTER_END, ST_FAILED };

struct rs_reader {
	int fd;
	char *name;
	bool mem, quiet, eof;
	uint8_t *buf;
	size_t cap, start, end;
	uint64_t base;      /* file offset of buf[0] */
	uint64_t recoff;    /* offset of the current record */
	uint64_t nrec;      /* complete records read (all types) */
	uint64_t nflows;
	int state;
	struct rec_end seg;
	struct rec_header hdr;
	struct rec_flow flow;
	char err[512];
};

static uint64_t sat_add(uint64_t a, uint64_t b)
{
	return b > REC_U64_MAX - a ? REC_U64_MAX : a + b;
}

static struct rs_reader *reader_new(int fd, const char *name)
{
	struct rs_reader *r = xcalloc(1, sizeof *r);

	r->fd = fd;
	r->name = xstrdup(name);
	r->state = ST_START;
	return r;
}

struct rs_reader *rs_fdopen(int fd, const char *name)
{
	struct rs_reader *r = reader_new(fd, name);

	r->cap = RS_BUFSZ;
	r->buf = xmalloc(r->cap);
	return r;
}

/*
 * Open an operand for reading: "-" (or NULL) is stdin.  A directory is
 * refused, and so is a terminal unless tty_ok.  Returns the descriptor, or
 * -1 after "prog: name: why".
 */
static int open_input(const char *path, bool tty_ok)
{
	bool is_stdin = path == NULL || strcmp(path, "-") == 0;
	const char *name = is_stdin ? "stdin" : path;
	struct stat sb;
	int fd = 0;

	if (is_stdin) {
		if (!tty_ok && isatty(0)) {
			msg_warn("stdin: refusing to read binary records from a terminal");
			return -1;
		}
	} else {
		fd = open(path, O_RDONLY | O_CLOEXEC);
		if (fd < 0) {
			msg_warn("%s: %s", path, strerror(errno));
			return -1;
		}
	}
	if (fstat(fd, &sb) == 0 && S_ISDIR(sb.st_mode)) {
		msg_warn("%s: is a directory, not an input file", name);
		if (fd > 0) close(fd);
		return -1;
	}
	fd_widen_pipe(fd);
	return fd;
}

struct rs_reader *rs_open(const char *path)
{
	int fd = open_input(path, false);

	if (fd < 0) return NULL;
	return rs_fdopen(fd, path == NULL || strcmp(path, "-") == 0 ? "stdin" : path);
}

struct rs_reader *rs_memopen(const void *p, size_t n, const char *name)
{
	struct rs_reader *r = reader_new(-1, name);

	r->mem = true;
	r->buf = (uint8_t *)p; /* never written through */
	r->cap = r->end = n;
	r->eof = true;
	return r;
}

void rs_quiet(struct rs_reader *r) { r->quiet = true; }
const char *rs_errmsg(const struct rs_reader *r) { return r->err; }
const char *rs_name(const struct rs_reader *r) { return r->name; }
uint64_t rs_offset(const struct rs_reader *r) { return r->recoff; }
uint64_t rs_records(const struct rs_reader *r) { return r->nflows; }
uint64_t rs_recno(const struct rs_reader *r) { return r->nrec; }

void rs_close(struct rs_reader *r)
{
	if (r == NULL) return;
	if (!r->mem) {
		free(r->buf);
		if (r->fd > 0) close(r->fd);
	}
	free(r->name);
	free(r);
}

static void report(struct rs_reader *r, const char *msg)
{
	snprintf(r->err, sizeof r->err, "%s: offset %llu: %s", r->name,
	    (unsigned long long)r->recoff, msg);
	if (!r->quiet) msg_warn("%s", r->err);
	r->state = ST_FAILED;
}

void rs_error(const struct rs_reader *r, const char *fmt, ...)
{
	char msg[400];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	/* nrec already counts the record rs_next returned. */
	msg_warn("%s: offset %llu: record %llu: %s", r->name, (unsigned long long)r->recoff,
	    (unsigned long long)rs_recno(r), msg);
}

static int fail_rec(struct rs_reader *r, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static int fail_rec(struct rs_reader *r, const char *fmt, ...)
{
	char msg[400], full[450];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	snprintf(full, sizeof full, "record %llu: %s", (unsigned long long)r->nrec + 1, msg);
	report(r, full);
	return RS_ERR;
}

static int fail_trunc(struct rs_reader *r)
{
	char msg[100];

	snprintf(msg, sizeof msg, "stream truncated after %llu records", (unsigned long long)r->nrec);
	report(r, msg);
	return RS_ERR;
}

/*
 * Make at least n bytes available from r->start on, reading as needed.
 * Returns how many are available (fewer than n only at EOF), or -1 on a
 * read error (reported).
 */
static ssize_t fill(struct rs_reader *r, size_t n)
{
	while (r->end - r->start < n && !r->eof) {
		ssize_t got;

		if (r->cap - r->start < n) {
			/* Slide down, and grow when the record is larger than the buffer. */
			memmove(r->buf, r->buf + r->start, r->end - r->start);
			r->base += r->start;
			r->end -= r->start;
			r->start = 0;
			if (r->cap < n) {
				r->cap = n;
				r->buf = xrealloc(r->buf, r->cap);
			}
		}
		got = read(r->fd, r->buf + r->end, r->cap - r->end < RS_READSZ ? r->cap - r->end : RS_READSZ);
		if (got < 0) {
			if (errno == EINTR) continue;
			snprintf(r->err, sizeof r->err, "%s: read error: %s", r->name, strerror(errno));
			if (!r->quiet) msg_warn("%s", r->err);
			r->state = ST_FAILED;
			return -1;
		}
		if (got == 0) r->eof = true;
		r->end += (size_t)got;
	}
	return (ssize_t)(r->end - r->start);
}

static int not_flowrec(struct rs_reader *r)
{
	const char *hint;
	ssize_t n = fill(r, 64);

	if (n < 0) return RS_ERR;
	hint = rec_sniff_foreign(r->buf + r->start, (size_t)n);
	if (hint) {
		char msg[160];

		snprintf(msg, sizeof msg, "not a flowrec stream: this is %s", hint);
		report(r, msg);
	} else {
		report(r, "not a flowrec stream (no header record at the start)");
	}
	return RS_ERR;
}

/*
 * Could these n (< 20) bytes be the start of a header record?  Then a
 * stream that ends here was cut short rather than something else.
 */
static bool header_prefix(const uint8_t *p, size_t n)
{
	static const uint8_t tmpl[REC_HEADER_FIXED] = {
		0, 0, 0, 0, 0, 1, 0, 0, 0x89, 'F', 'L', 'O', 'W', 0x0d, 0x0a, 0x1a,
	};
	size_t i;

	for (i = 0; i < n && i < 16; i++) {
		if (i == 1 && p[1] <= 0x10) continue;  /* header length <= 1 MiB */
		if (i == 2 || i == 3) continue;
		if (p[i] != tmpl[i]) return false;
	}
	return true;
}

int rs_next(struct rs_reader *r, struct rs_item *it)
{
	const uint8_t *p;
	uint32_t len;
	uint16_t type;
	ssize_t n;
	char err[300];

	for (;;) {
		if (r->state == ST_FAILED) return RS_ERR;
		r->recoff = r->base + r->start;
		n = fill(r, REC_PREFIX_LEN);
		if (n < 0) return RS_ERR;
		if (n == 0) {
			if (r->state == ST_SEGMENT) return fail_trunc(r);
			return RS_EOF;
		}
		if (r->state == ST_START) {
			n = fill(r, REC_HEADER_FIXED);
			if (n < 0) return RS_ERR;
			if (n < (ssize_t)REC_HEADER_FIXED)
				return header_prefix(r->buf + r->start, (size_t)n) ? fail_trunc(r) :
				    not_flowrec(r);
			p = r->buf + r->start;
			if (be16(p + 4) != REC_HEADER || memcmp(p + 8, rec_magic, sizeof rec_magic) != 0)
				return not_flowrec(r);
		}
		if (n < (ssize_t)REC_PREFIX_LEN) return fail_trunc(r);
		p = r->buf + r->start;
		len = be32(p);
		type = be16(p + 4);
		if (len < REC_PREFIX_LEN || len > REC_MAX_LEN)
			return fail_rec(r, "record length %u out of range", len);
		if (be16(p + 6) != 0)
			return fail_rec(r, "reserved prefix bytes are not zero");
		switch (type) {
		case REC_HEADER:
			if (len < REC_HEADER_FIXED || len > REC_MAX_HEADER_LEN)
				return fail_rec(r, "header length %u out of range", len);
			if (r->state == ST_SEGMENT)
				return fail_rec(r, "header inside a segment (the end record is missing)");
			break;
		case REC_FLOW:
			if (len < REC_FLOW_CORE)
				return fail_rec(r, "flow record length %u out of range", len);
			break;
		case REC_END:
			if (len != REC_END_LEN)
				return fail_rec(r, "end record length %u, expected %u", len, REC_END_LEN);
			break;
		}
		if (type != REC_HEADER && r->state != ST_SEGMENT)
			return fail_rec(r, "record of type %u outside a segment (no header before it)", type);
		n = fill(r, len);
		if (n < 0) return RS_ERR;
		if (n < (ssize_t)len) return fail_trunc(r);
		p = r->buf + r->start;
		it->raw = p;
		it->rawlen = len;
		it->type = type;
		switch (type) {
		case REC_HEADER:
			if (rec_decode_header(p, len, &r->hdr, err, sizeof err) < 0)
				return fail_rec(r, "%s", err);
			it->hdr = &r->hdr;
			r->state = ST_SEGMENT;
			memset(&r->seg, 0, sizeof r->seg);
			break;
		case REC_FLOW:
			if (rec_decode_flow(p, len, &r->flow, err, sizeof err) < 0)
				return fail_rec(r, "%s", err);
			it->flow = &r->flow;
			r->seg.records++;
			r->seg.packets = sat_add(r->seg.packets, sat_add(r->flow.pkts[0], r->flow.pkts[1]));
			r->seg.bytes = sat_add(r->seg.bytes, sat_add(r->flow.bytes[0], r->flow.bytes[1]));
			r->nflows++;
			break;
		case REC_END:
			if (rec_decode_end(p, len, &it->end, err, sizeof err) < 0)
				return fail_rec(r, "%s", err);
			if (it->end.records != r->seg.records || it->end.packets != r->seg.packets ||
			    it->end.bytes != r->seg.bytes)
				return fail_rec(r, "end record counts %llu records, %llu packets, %llu bytes; "
				    "the segment holds %llu, %llu, %llu",
				    (unsigned long long)it->end.records, (unsigned long long)it->end.packets,
				    (unsigned long long)it->end.bytes, (unsigned long long)r->seg.records,
				    (unsigned long long)r->seg.packets, (unsigned long long)r->seg.bytes);
			r->state = ST_AFTER_END;
			break;
		}
		r->start += len;
		r->nrec++;
		if (type == REC_HEADER || type == REC_FLOW || type == REC_END) return type;
		/* An unknown record type inside a segment: skipped. */
	}
}

/* ---- the input loop ---- */

void rs_in_begin(struct rs_inputs *in, const struct rs_in_cfg *cfg, char *const *ops, int nops)
{
	static char *const stdin_only[] = { "-" };

	memset(in, 0, sizeof *in);
	if (cfg) in->cfg = *cfg;
	if (nops <= 0) {
		ops = stdin_only;
		nops = 1;
	}
	in->ops = ops;
	in->nops = nops;
	in->fd = -1;
}

int rs_in_next(struct rs_inputs *in, struct rs_item *it)
{
	int t;

	for (;;) {
		if (in->r == NULL) {
			if (in->next >= in->nops) return RS_EOF;
			in->r = rs_open(in->ops[in->next++]);
			if (in->r == NULL) {
				in->st.failed++;
				return RS_ERR;
			}
			in->st.inputs++;
		}
		t = rs_next(in->r, it);
		if (t == RS_FLOW) in->st.records++;
		else if (t == RS_END) in->st.segments++;
		if (t > 0) return t;
		rs_close(in->r);
		in->r = NULL;
		if (t == RS_ERR) {
			in->st.failed++;
			return RS_ERR;
		}
	}
}

static void in_closefd(struct rs_inputs *in)
{
	if (in->fd > 0) close(in->fd);
	in->fd = -1;
}

int rs_in_nextfd(struct rs_inputs *in, const char **name)
{
	in_closefd(in);
	while (in->next < in->nops) {
		const char *op = in->ops[in->next++];
		int fd = open_input(op, in->cfg.text);

		if (fd < 0) {
			in->st.failed++;
			continue;
		}
		in->st.inputs++;
		in->fd = fd;
		*name = strcmp(op, "-") == 0 ? "stdin" : op;
		return fd;
	}
	return -1;
}

void rs_in_failed(struct rs_inputs *in) { in->st.failed++; }

int rs_in_end(struct rs_inputs *in, struct rs_in_stats *st)
{
	rs_close(in->r);
	in->r = NULL;
	in_closefd(in);
	if (st) *st = in->st;
	return in->st.failed ? EXIT_DATA : EXIT_OK;
}

/* ---- writer ---- */

struct rs_writer {
	FILE *fp;
	char *name;
	char *cmdline;   /* this tool's line of the provenance, or NULL */
	bool in_seg;
	bool abandoned;  /* rw_abandon was called: the output is known incomplete */
	bool broken;     /* the open segment must never get its END record */
	struct rec_end seg;
	struct buf b;
	char **notes;
	size_t nnotes;
	struct rec_header h;
};

struct rs_writer *rs_wopen(FILE *fp, const char *name, const char *cmdline)
{
	struct rs_writer *w;

	if (isatty(fileno(fp))) {
		msg_warn("%s: refusing to write binary records to a terminal", name);
		return NULL;
	}
	fd_widen_pipe(fileno(fp));
	w = xcalloc(1, sizeof *w);
	w->fp = fp;
	w->name = xstrdup(name);
	w->cmdline = cmdline ? xstrdup(cmdline) : NULL;
	return w;
}

void rs_add_note(struct rs_writer *w, const char *note)
{
	w->notes = xrealloc(w->notes, (w->nnotes + 1) * sizeof *w->notes);
	w->notes[w->nnotes++] = xstrdup(note);
}

int rs_in_segment(const struct rs_writer *w) { return w->in_seg; }
int rs_abandoned(const struct rs_writer *w) { return w->abandoned; }

/*
 * What w->b holds goes to the stream: with write(2) on its descriptor,
 * after whatever stdio holds (nothing, as a rule), so that no byte is
 * copied on the way; fwrite copied the part of each block that filled
 * its buffer.  A stream without a descriptor goes through stdio.
 */
static void drain(struct rs_writer *w)
{
	const uint8_t *p = w->b.p;
	size_t n = w->b.len;
	int fd = fileno(w->fp);

	if (n == 0) return;
	if (fd < 0) {
		if (fwrite(p, 1, n, w->fp) != n || ferror(w->fp))
			msg_die(EXIT_DATA, "%s: write error: %s", w->name, strerror(errno));
		buf_reset(&w->b);
		return;
	}
	if (fflush(w->fp) != 0 || ferror(w->fp))
		msg_die(EXIT_DATA, "%s: write error: %s", w->name, strerror(errno));
	while (n > 0) {
		ssize_t k = write(fd, p, n);

		if (k < 0 && errno == EINTR) continue;
		if (k <= 0) msg_die(EXIT_DATA, "%s: write error: %s", w->name, strerror(errno));
		p += k;
		n -= (size_t)k;
	}
	buf_reset(&w->b);
}

/*
 * A record was encoded into w->b.  Records gather there up to RS_WBATCH
 * bytes and go out in one write (drain): a record of the bench capture
 * is 3 KB, and its fwrite cost 900 instructions; records passed through
 * (rs_write_raw) go the same way.  Whatever flushes w->fp drains first.
 */
#define RS_WBATCH (256u << 10)

static void emit(struct rs_writer *w)
{
	if (w->b.len >= RS_WBATCH) drain(w);
}

static void end_segment(struct rs_writer *w);

int rs_write_header_exact(struct rs_writer *w, const struct rec_header *h)
{
	char err[200];

	end_segment(w);
	if (rec_encode_header(&w->b, h, err, sizeof err) < 0) {
		msg_warn("%s: %s", w->name, err);
		return -1;
	}
	emit(w);
	w->in_seg = true;
	memset(&w->seg, 0, sizeof w->seg);
	return 0;
}

/* Stable insertion sort by id: creator, provenance in order, notes in order. */
static void sort_header(struct rec_header *h)
{
	unsigned i, j;

	for (i = 1; i < h->nelem; i++) {
		struct rec_elem e = h->elem[i];

		for (j = i; j > 0 && h->elem[j - 1].id > e.id; j--) h->elem[j] = h->elem[j - 1];
		h->elem[j] = e;
	}
}

int rs_write_header(struct rs_writer *w, const struct rec_header *in)
{
	static const char creator[] = "flowkit " FK_VERSION;
	struct rec_header *h = &w->h;
	const char *cmd = w->cmdline;
	unsigned i, nprov = 0;
	bool have_creator = false;
	uint64_t size = REC_HEADER_FIXED;

	h->major = REC_VERSION_MAJOR;
	h->minor = REC_VERSION_MINOR;
	h->nelem = 0;
	if (in) {
		if (in->minor > h->minor) h->minor = in->minor;
		for (i = 0; i < in->nelem; i++) {
			h->elem[h->nelem++] = in->elem[i];
			size += 6 + (uint64_t)in->elem[i].len;
			if (in->elem[i].id == RH_CREATOR) have_creator = true;
			if (in->elem[i].id == RH_PROVENANCE) nprov++;
		}
	}
	if (!have_creator) {
		rec_header_add(h, RH_CREATOR, creator, sizeof creator - 1);
		size += 6 + sizeof creator - 1;
	}
	for (i = 0; i < w->nnotes; i++) {
		size_t n = strlen(w->notes[i]);

		if (size + 6 + n > REC_MAX_HEADER_LEN || rec_header_add(h, RH_NOTE, w->notes[i],
		    (uint32_t)n) < 0)
			msg_warn("%s: header full: note not recorded", w->name);
		else
			size += 6 + n;
	}
	if (cmd && (nprov >= REC_MAX_PROVENANCE || size + 6 + strlen(cmd) > REC_MAX_HEADER_LEN ||
	    rec_header_add(h, RH_PROVENANCE, cmd, (uint32_t)strlen(cmd)) < 0))
		msg_warn("%s: header full: this command line not recorded in the provenance", w->name);
	sort_header(h);
	return rs_write_header_exact(w, h);
}

int rs_write_raw(struct rs_writer *w, const uint8_t *raw, size_t len, const struct rec_flow *f)
{
	if (!w->in_seg && rs_write_header(w, NULL) < 0) return -1;
	buf_put(&w->b, raw, len);
	emit(w);
	w->seg.records++;
	w->seg.packets = sat_add(w->seg.packets, sat_add(f->pkts[0], f->pkts[1]));
	w->seg.bytes = sat_add(w->seg.bytes, sat_add(f->bytes[0], f->bytes[1]));
	return 0;
}

int rs_write_flow(struct rs_writer *w, const struct rec_flow *f)
{
	return rs_write_flow_pieces(w, f, NULL, 0);
}

int rs_write_flow_pieces(struct rs_writer *w, const struct rec_flow *f, const struct rec_pieces *pc,
    unsigned npc)
{
	char err[200];

	if (!w->in_seg && rs_write_header(w, NULL) < 0) return -1;
	if (rec_encode_flow_pieces(&w->b, f, pc, npc, err, sizeof err) < 0) {
		msg_warn("%s: %s", w->name, err);
		return -1;
	}
	emit(w);
	w->seg.records++;
	w->seg.packets = sat_add(w->seg.packets, sat_add(f->pkts[0], f->pkts[1]));
	w->seg.bytes = sat_add(w->seg.bytes, sat_add(f->bytes[0], f->bytes[1]));
	return 0;
}

/* Close the open segment: with its END record, unless it is broken. */
static void end_segment(struct rs_writer *w)
{
	if (!w->in_seg) return;
	if (!w->broken) {
		rec_encode_end(&w->b, &w->seg);
		emit(w);
	}
	w->in_seg = w->broken = false;
}

int rs_write_end(struct rs_writer *w)
{
	/* A broken segment stays open, so that an output ending here ends
	 * unfinished; the next header closes it (without END). */
	if (!w->broken) end_segment(w);
	return 0;
}

int rw_abandon(struct rs_writer *w)
{
	w->abandoned = true;
	if (w->in_seg) w->broken = true;
	drain(w);
	if (fflush(w->fp) != 0 || ferror(w->fp)) {
		msg_warn("%s: write error: %s", w->name, strerror(errno));
		return -1;
	}
	return 0;
}

int rs_wclose(struct rs_writer *w)
{
	size_t i;
	int rc = 0;

	if (w == NULL) return 0;
	if (!w->abandoned)
		rs_write_end(w);
	else if (!w->in_seg)
		rs_write_header(w, NULL); /* an unfinished segment marks the output incomplete */
	drain(w);
	if (ferror(w->fp)) {
		msg_warn("%s: write error", w->name);
		rc = -1;
	}
	for (i = 0; i < w->nnotes; i++) free(w->notes[i]);
	free(w->notes);
	buf_free(&w->b);
	free(w->name);
	free(w->cmdline);
	free(w);
	return rc;
}
