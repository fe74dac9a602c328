/*
 * stream.h - reading and writing flowrec streams.
 *
 * A reader walks one input (a file or stdin) record by record, validating
 * every length before it allocates or reads, and reports data errors as
 * "prog: NAME: offset N: record M: what".  The input loop (rs_in_*) runs
 * over a tool's operands.  A writer keeps the per-segment counts and
 * writes them in the END record, unless abandoned (rw_abandon).
 */
#ifndef FK_STREAM_H
#define FK_STREAM_H

#include <stdbool.h>
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
uint64_t rs_records(const struct rs_reader *r);  /* FLOW records read so far */
/*
 * rs_recno: the number of the last record rs_next returned, as messages
 * give it: records of every type are numbered from 1 in the input, the
 * first HEADER being record 1, and the count runs on across segments
 * (flowrec(5), "Conventions").  0 before the first record.
 */
uint64_t rs_recno(const struct rs_reader *r);
void rs_close(struct rs_reader *r);

/* Report a data error about the record rs_next last returned:
 * "prog: name: offset N: record M: msg", M being rs_recno(). */
void rs_error(const struct rs_reader *r, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/*
 * The input loop every stream tool runs over its operands: files in
 * order, "-" for stdin, stdin alone when there is no operand.  An input
 * that cannot be opened (a directory is refused), is not a flowrec
 * stream, or fails part way is reported and the loop goes on with the
 * next one; rs_in_end then gives exit status 1.
 *
 *	struct rs_inputs in;
 *	rs_in_begin(&in, NULL, argv + optind, argc - optind);
 *	while ((t = rs_in_next(&in, &it)) != RS_EOF) {
 *		if (t == RS_ERR) { rw_abandon(w); continue; }  // reported
 *		...RS_HEADER, RS_FLOW, RS_END of the current input...
 *	}
 *	status = rs_in_end(&in);
 *
 * A tool that reads its inputs itself (JSON Lines, flow-json -r) takes
 * them one by one with rs_in_nextfd() and reports its own failures with
 * rs_in_failed().  The struct is the caller's; treat it as read-only.
 */
struct rs_in_cfg {
	bool text;            /* rs_in_nextfd inputs: a terminal on stdin is allowed */
};

struct rs_in_stats {
	uint64_t inputs;      /* operands opened */
	uint64_t failed;      /* operands not opened or not read to a clean end */
	uint64_t segments;    /* segments read to their END record */
	uint64_t records;     /* FLOW records read */
};

struct rs_inputs {
	struct rs_in_cfg cfg;
	struct rs_in_stats st;
	struct rs_reader *r;  /* the input being read; NULL between inputs */
	char *const *ops;
	int nops, next;
	int fd;               /* rs_in_nextfd: the descriptor handed out, or -1 */
};

/* rs_in_begin: start on ops[0..nops-1] (none: stdin); cfg NULL is the default. */
void rs_in_begin(struct rs_inputs *in, const struct rs_in_cfg *cfg, char *const *ops, int nops);
/*
 * rs_in_next: the next record of the current input, opening the next
 * operand as needed.  Returns RS_HEADER, RS_FLOW or RS_END (it as from
 * rs_next; in->r is its reader, for rs_error); RS_ERR once for each input
 * that failed (the message is printed; call again to go on); RS_EOF when
 * every operand has been read.
 */
int rs_in_next(struct rs_inputs *in, struct rs_item *it);
/*
 * rs_in_nextfd: open the next operand for a caller that reads it itself.
 * Returns a descriptor (owned by the loop: closed by the next call or by
 * rs_in_end) and sets *name ("stdin" for "-"); -1 when no operand is left.
 * Operands that cannot be opened are reported, counted and skipped.
 */
int rs_in_nextfd(struct rs_inputs *in, const char **name);
/* rs_in_failed: the caller found (and reported) an error in the current input. */
void rs_in_failed(struct rs_inputs *in);
/* rs_in_end: close what is open; EXIT_OK, or EXIT_DATA when an input failed.
 * st (may be NULL) receives the counts. */
int rs_in_end(struct rs_inputs *in, struct rs_in_stats *st);

struct rs_writer;

/*
 * rs_wopen(fp, name, cmdline): write records to fp (a binary stream).  A
 * terminal is refused (message, NULL).  cmdline (copied; NULL for none)
 * is the line this tool adds to the provenance of every header it writes
 * (cli_cmdline() in a tool).  The writer does not close fp.  Records
 * reach fp in blocks of some hundred kilobytes, written to its descriptor
 * past stdio (after flushing it): only rw_abandon and rs_wclose make sure
 * all of them have, so nothing else may write to fp.
 */
struct rs_writer *rs_wopen(FILE *fp, const char *name, const char *cmdline);
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
/* rs_write_flow_pieces: with values in pieces (rec_encode_flow_pieces). */
int rs_write_flow_pieces(struct rs_writer *w, const struct rec_flow *f, const struct rec_pieces *pc,
    unsigned npc);
/* rs_write_raw: pass a decoded record through unchanged (f gives its counts). */
int rs_write_raw(struct rs_writer *w, const uint8_t *raw, size_t len, const struct rec_flow *f);
/* rs_write_end: close the segment with its counts. */
int rs_write_end(struct rs_writer *w);
/* rs_in_segment: a header was written and its end not yet. */
int rs_in_segment(const struct rs_writer *w);
/*
 * rw_abandon: the output will not be complete (an input failed).  Flushes
 * what was written; the open segment, if any, never gets its END record
 * (rs_write_end leaves it open; a later header starts a new segment
 * after it, which readers reject as "header inside a segment"); and
 * rs_wclose ends the output unfinished: no END for an open segment, an
 * empty segment started when none is open.  So the next tool reports the
 * stream as truncated.  The caller must not commit an -o file
 * (out_abort keeps the previous one).  Calling it again is harmless.
 * -1 on a write error (reported).
 */
int rw_abandon(struct rs_writer *w);
/* rs_abandoned: rw_abandon was called. */
int rs_abandoned(const struct rs_writer *w);
/* rs_wclose: end an open segment (unless abandoned) and free the writer;
 * the caller flushes and closes the stream (out_commit).  -1 on a
 * write error (reported). */
int rs_wclose(struct rs_writer *w);

#endif
