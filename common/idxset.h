/*
 * idxset.h - an MNIST IDX data set built from flow records: for each part
 * of a split, a pair PREFIX[-PART]-images-idx3-ubyte and
 * PREFIX[-PART]-labels-idx1-ubyte, with PREFIX-classes.txt, and
 * optionally a statistics file and a PNG contact sheet (flow-idx).
 *
 * A flow goes through: its label's class (sink.h), the sample, its
 * session bytes (session.h), deduplication, the class cap, the image
 * (padded or trimmed to rows x cols) and its split part (dataset.h).
 *
 * The commit protocol (flow-idx(1), "Appending and crash safety"):
 * appending holds PREFIX-lock from before the old files are read
 * (sink_begin); the old items are copied into the temporaries first;
 * after the input every file is finished and synced, then renamed:
 * classes.txt, then each part's images and its labels (last, so that
 * matching counts mean a complete pair), then the preview and the
 * statistics.  A bad input or a failed write leaves PREFIX as it was.
 *
 * Errors print "prog: why" and exit 1 (msg_die): the data set is then
 * left untouched.
 */
#ifndef FK_IDXSET_H
#define FK_IDXSET_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "dataset.h"
#include "rec.h"
#include "session.h"

#define IDXSET_PREVIEW_PER_CLASS 8

struct idxset_config {
	const char *prefix;       /* output prefix (required) */
	const char *classes;      /* class file (lines "name id"), or NULL */
	const char *stats;        /* statistics file, or NULL */
	const char *preview;      /* PNG contact sheet, or NULL */
	bool append;              /* add to the existing pairs */
	bool quiet;               /* without stats: no statistics on stderr */
	bool short_drop, long_drop; /* drop sessions shorter / longer than an image */
	uint32_t rows, cols;      /* image size; rows x cols at most 1 << 24 */
	uint8_t pad;              /* padding byte of short sessions */
	struct ses_config ses;    /* the session bytes (want is set here) */
	struct ds_config sel;     /* the selection (item_len is set here) */
	/* The leakage audit (audit.h) of the images written: its report on
	 * stderr after the statistics, and as JSON to audit_json ("-":
	 * stdout) when not NULL. */
	bool audit;
	const char *audit_json;
	double audit_threshold;   /* flag at MI >= this x H(label) */
	/* The test build's crash points ("midway", "before-rename",
	 * "between-renames"), or NULL. */
	void (*hook)(const char *where);
};

/* The counts of a run (the statistics; see flow-idx(1)). */
struct idxset_stats {
	uint64_t read, written, empty, unlabeled, unknown, short_store, other_proto;
	uint64_t truncated, padded, full, dropped_short, dropped_long, nobytes;
	uint64_t orig_sum, payload_dropped;
	uint64_t per_class[256];
};

struct idxset;

/*
 * idxset_open(c): start a run with a copy of c: the lock and class table
 * (sink_begin), the selection, a writer for each file of each part (with
 * c->append, holding the old items; the old pairs are checked).  Exits on
 * an error.  idxset_close frees it.
 */
struct idxset *idxset_open(const struct idxset_config *c);

/* idxset_take(s, f): one flow record, written or counted as left out. */
void idxset_take(struct idxset *s, const struct rec_flow *f);

/* idxset_stats: the counts so far. */
const struct idxset_stats *idxset_stats(const struct idxset *s);

/*
 * idxset_close(s, input_ok): after the input.  With input_ok false
 * nothing is changed at the prefix ("PREFIX: not written", exit 1).
 * Otherwise the held items of DS_CAP_LARGEST are written, the warnings
 * given (no packet bytes, a part without a class), every file finished
 * and committed in the order above, and the statistics written to the
 * stats file or to stderr (unless quiet).  Returns EXIT_OK, or EXIT_DATA
 * when the preview or statistics file could not be renamed; frees s.
 */
int idxset_close(struct idxset *s, bool input_ok);

/*
 * idxset_audit_files(c): the audit of the data set already at c->prefix
 * (each part of c->sel's split, or the single pair; the classes from
 * c->classes or PREFIX-classes.txt when there is one) without reading
 * flows or writing IDX files.  Returns the exit status (1 after a
 * message when a file cannot be read).
 */
int idxset_audit_files(const struct idxset_config *c);

/* idxset_write_stats(s, fp): the statistics lines. */
void idxset_write_stats(const struct idxset *s, FILE *fp);

#endif
