/*
 * stream.h - reading and writing flowrec streams.
 *
 * A reader walks one input (a file or stdin) record by record, validating
 * every length before it allocates or reads, and reports data errors as
 * "prog: NAME: offset N: record M: what".  A writer keeps the per-segment
 * counts and writes them in the END record.
 */
#ifndef FK_STREAM_H
#define FK_STREAM_H

#include <stdint.h>
#include <stdio.h>

#include "rec.h"

enum { RS_ERR = -1, RS_EOF = 0, RS_HEADER = REC_HEADER, RS_FLOW = REC_FLOW, RS_END = REC_END };

struct rs_item {
	int type;                 /* RS_HEADER, RS_FLOW or RS_END */
	const uint8_t *raw;       /* the whole record as read */
	size_t rawlen;
	struct rec_header *hdr;   /* valid for RS_HEADER */
	struct rec_flow *flow;    /* valid for RS_FLOW */
	struct rec_end end;       /* valid for RS_END */
};

struct rs_reader;

/*
 * rs_open(path): open a flowrec input; "-" (or NULL) is stdin.  A terminal
 * on stdin is refused.  Returns NULL after printing "prog: path: why".
 * The name is used in messages ("-" shows as "stdin").
 */
struct rs_reader *rs_open(const char *path);
/* rs_fdopen: read from an open descriptor (taken over; closed by rs_close). */
struct rs_reader *rs_fdopen(int fd, const char *name);
/* rs_memopen: read a stream held in memory (not copied; for fuzzers and tests). */
struct rs_reader *rs_memopen(const void *p, size_t n, const char *name);
/* rs_quiet: do not print messages (fuzzers); rs_errmsg() holds the last one. */
void rs_quiet(struct rs_reader *r);
const char *rs_errmsg(const struct rs_reader *r);

/*
 * rs_next: the next record.  Returns RS_HEADER, RS_FLOW, RS_END; RS_EOF at
 * a clean end (after an END record, or on empty input); RS_ERR after
 * printing a message (bad data, truncation, read error).  The item points
 * into the reader and stays valid until the next call.  Unknown record
 * types inside a segment are skipped.
 */
int rs_next(struct rs_reader *r, struct rs_item *it);

const char *rs_name(const struct rs_reader *r);
uint64_t rs_offset(const struct rs_reader *r);   /* offset of the last record read */
uint64_t rs_records(const struct rs_reader *r);  /* FLOW records read so far (messages count
                                                    records of every type) */
void rs_close(struct rs_reader *r);

/* Report a data error about the last record: "prog: name: offset N: record M: msg". */
void rs_error(const struct rs_reader *r, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

struct rs_writer;

/*
 * rs_wopen(fp, name): write records to fp (a binary stream).  A terminal is
 * refused (message, NULL).  The writer does not close fp.
 */
struct rs_writer *rs_wopen(FILE *fp, const char *name);
/*
 * rs_write_header: start a segment.  When in is non-NULL its elements are
 * copied (the upstream creator, provenance and notes); then the writer's
 * own creator (if in had none) and the command line from cli_cmdline() are
 * added as the last PROVENANCE.  extra_notes may be NULL.
 */
int rs_write_header(struct rs_writer *w, const struct rec_header *in);
/* rs_write_header_exact: write the header as given (flow-json -r). */
int rs_write_header_exact(struct rs_writer *w, const struct rec_header *h);
/* rs_add_note: a NOTE for the next header this writer writes ("key=value"). */
void rs_add_note(struct rs_writer *w, const char *note);
int rs_write_flow(struct rs_writer *w, const struct rec_flow *f);
/* rs_write_raw: pass a decoded record through unchanged (f gives its counts). */
int rs_write_raw(struct rs_writer *w, const uint8_t *raw, size_t len, const struct rec_flow *f);
/* rs_write_end: close the segment with its counts. */
int rs_write_end(struct rs_writer *w);
/* rs_in_segment: a header was written and its end not yet. */
int rs_in_segment(const struct rs_writer *w);
/*
 * rw_abandon: the output will not be complete (an input failed): flush
 * what was written; rs_wclose then leaves the last segment without its
 * END record (starting an empty one when none is open), so that the next
 * tool reports the stream as truncated.  The caller writes no more and
 * must not commit an -o file (cli_out_abort keeps the previous one).
 * -1 on a write error (reported).
 */
int rw_abandon(struct rs_writer *w);
/* rs_wclose: end an open segment and free the writer; the caller flushes and
 * closes the stream (cli_out_commit).  -1 on a write error (reported). */
int rs_wclose(struct rs_writer *w);

#endif
