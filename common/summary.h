/*
 * summary.h - whole-stream summaries (flow-stats -s): flows, packets,
 * bytes and duration per group, a group being the text of its key; one
 * entry per group in a hash table with a bound on the number of groups;
 * the groups sorted by a metric for the top N.
 */
#ifndef FK_SUMMARY_H
#define FK_SUMMARY_H

#include <stddef.h>
#include <stdint.h>

enum sm_metric { SM_FLOWS, SM_PKTS, SM_BYTES, SM_DURATION, SM_NMETRICS };

struct sm_group {
	char *key;       /* the key's text (its parts separated by '\t') */
	size_t keylen;
	uint64_t m[SM_NMETRICS]; /* SM_DURATION in ns */
};

struct sm_table;

/* sm_new: at most max_groups groups. */
struct sm_table *sm_new(size_t max_groups);
void sm_free(struct sm_table *t);
/*
 * sm_add: count one flow in the group of key (created when new).
 * Returns 0, or -1 when a new group would exceed the bound (nothing is
 * counted then).
 */
int sm_add(struct sm_table *t, const char *key, size_t keylen, uint64_t pkts, uint64_t bytes,
    uint64_t duration_ns);
size_t sm_count(const struct sm_table *t);
/*
 * sm_sorted: the groups, by metric m descending, ties by key in byte
 * order ascending (so the order is the same from run to run).  The array
 * belongs to the table and lives until the next sm_add or sm_free.
 */
struct sm_group *const *sm_sorted(struct sm_table *t, enum sm_metric m);
const char *sm_metric_name(enum sm_metric m); /* "flows", "pkts", "bytes", "duration" */
int sm_metric_by_name(const char *name);      /* -1 if unknown */

#endif
