/*
 * sink.h - what the data set sinks (flow-idx, flow-pic) share around
 * label.h and dataset.h: the names of the files under an output prefix,
 * the class of a flow's label, the per-class lines of the statistics and
 * the warning about a split part that lacks a class.  The functions that
 * can fail print "prog: why" and exit 1 (msg_die): a sink that cannot
 * tell the class of a flow cannot go on.
 */
#ifndef FK_SINK_H
#define FK_SINK_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "dataset.h"
#include "label.h"
#include "rec.h"

/* sink_path(prefix, part, what): "PREFIX-PART-WHAT", or "PREFIX-WHAT" when
 * part is NULL; malloc'd, the caller frees it. */
char *sink_path(const char *prefix, const char *part, const char *what);

/* sink_load_classes(t, path, cols): label_classes_load, exiting on an error. */
void sink_load_classes(struct label_classes *t, const char *path, enum label_cols cols);

/*
 * sink_begin(prefix, classfile, append, t, had_txt): the start of a run.
 * Appending, take the lock PREFIX-lock (out_lock: waits for another
 * appending job), since the old data set is read, rewritten and renamed.
 * Load classfile into t as a fixed table when given, or else, appending,
 * PREFIX-classes.txt when it exists (empty when every flow was
 * unlabelled); *had_txt says whether it did.  Returns the path of
 * PREFIX-classes.txt (malloc'd).  Exits on an error.
 */
char *sink_begin(const char *prefix, const char *classfile, bool append, struct label_classes *t,
    bool *had_txt);

/* sink_class_of(t, f, unlabeled, unknown): the class id of f's label
 * (label_class_id), LABEL_UNKNOWN for a flow without one; counts those
 * in *unlabeled and the unknown ones in *unknown.  Exits when the table is
 * full. */
uint8_t sink_class_of(struct label_classes *t, const struct rec_flow *f, uint64_t *unlabeled,
    uint64_t *unknown);

/* sink_class_name(t, id): "(unknown)" for LABEL_UNKNOWN, the class's
 * first name, or "" when the id has none. */
const char *sink_class_name(const struct label_classes *t, unsigned id);

/* sink_class_stats(fp, t, per_class): "class ID N NAME" for each class
 * with items, NAME as one field of the label grammar. */
void sink_class_stats(FILE *fp, const struct label_classes *t, const uint64_t per_class[256]);

/* sink_warn_gaps(sel, c, t, what): warn, for each part of c's split that
 * has no WHAT ("image") of a class the other parts hold. */
void sink_warn_gaps(const struct ds *sel, const struct ds_config *c, const struct label_classes *t,
    const char *what);

#endif
