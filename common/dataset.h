/*
 * dataset.h - choosing the items of a data set: a set of SHA-256 digests,
 * deduplication, deterministic sampling, per-class caps (the first N or
 * the N largest) and deterministic splits that keep identical items on
 * one side.  For every sink that turns flows into training items
 * (flow-idx now; flow-pic and flow-filter next).
 *
 * A struct ds holds the settings (struct ds_config, copied at ds_init),
 * its state and its counts (struct ds_stats).  Nothing here prints or
 * exits except on a failure of the SHA-256 implementation or of memory,
 * which are fatal (xmalloc's rule).
 *
 * The identity of a flow (for sampling and for the split with
 * DS_GROUP_FLOW) is: the capture file name and the number of its first
 * packet (SOURCE element), the IP version, protocol, addresses, ports and
 * start time.  With DS_GROUP_FILE only the file name counts, so a whole
 * capture goes to one part.  Records without SOURCE have the name "".
 */
#ifndef FK_DATASET_H
#define FK_DATASET_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "rec.h"

#define DS_MAX_PARTS   16
#define DS_MAX_PART_NAME 64
#define DS_NCLASS      256  /* class ids are bytes; the caller gives them meaning */

/* ---- SHA-256 and a set of digests ---- */

struct evp_md_ctx_st;

/* One running SHA-256; ds_sha_new exits on failure.  The caller owns it. */
struct ds_sha {
	struct evp_md_ctx_st *md;
};
void ds_sha_new(struct ds_sha *h);
void ds_sha_free(struct ds_sha *h);
void ds_sha_begin(struct ds_sha *h);
void ds_sha_add(struct ds_sha *h, const void *p, size_t n);
void ds_sha_add64(struct ds_sha *h, uint64_t v); /* 8 bytes, big-endian */
void ds_sha_end(struct ds_sha *h, uint8_t out[32]);

/* A set of 32-byte digests, each with a 32-bit value (open addressing;
 * zero-initialise; grows as needed). */
struct ds_set {
	uint8_t *keys, *used;
	uint32_t *vals;
	size_t cap, n;
};
/* ds_set_find_or_add: 1 and *val = the stored value when key is present;
 * otherwise key is added with *val and 0 is returned. */
int ds_set_find_or_add(struct ds_set *s, const uint8_t key[32], uint32_t *val);
void ds_set_free(struct ds_set *s);

/* ---- selection ---- */

enum ds_dedup { DS_DEDUP_NONE, DS_DEDUP_FILE, DS_DEDUP_ALL };
enum ds_group { DS_GROUP_FLOW, DS_GROUP_FILE };
/*
 * The class cap: DS_CAP_FIRST keeps the first max_per_class items of a
 * class in input order (after deduplication and sampling) and drops the
 * rest as they come; DS_CAP_LARGEST keeps the max_per_class items of
 * largest weight (the caller's: flow-idx gives the session length before
 * truncation), ties going to the earlier item, and therefore holds up to
 * max_per_class items per class in memory until ds_drain.
 */
enum ds_cap { DS_CAP_FIRST, DS_CAP_LARGEST };

struct ds_config {
	enum ds_dedup dedup;
	uint64_t max_per_class;   /* 0: no cap */
	enum ds_cap cap;
	size_t item_len;          /* bytes of one item (DS_CAP_LARGEST copies items) */
	uint64_t seed;            /* of the split and the sample */
	enum ds_group group;      /* split unit */
	double sample;            /* fraction of flows kept, in (0, 1]; 0 means 1 */
	unsigned nparts;          /* 0 or 1: no split */
	char part_name[DS_MAX_PARTS][DS_MAX_PART_NAME];
	double part_cum[DS_MAX_PARTS]; /* upper end of each part's share of [0, 1) */
};

struct ds_stats {
	uint64_t dups;            /* dropped by ds_is_dup */
	uint64_t sampled_out;     /* dropped by ds_sampled */
	uint64_t capped;          /* refused by the cap (DS_CAP_LARGEST: after ds_drain) */
	uint64_t moved;           /* sent to another part to join an identical item */
	uint64_t per_part[DS_MAX_PARTS];
	uint64_t per_part_class[DS_MAX_PARTS][DS_NCLASS]; /* old items included */
};

/* An item the cap holds (DS_CAP_LARGEST). */
struct ds_held {
	uint64_t weight, seq;
	uint32_t tag;             /* the caller's (flow-idx: flags of the item) */
	uint8_t cls;
	uint8_t part;             /* the part ds_part_pick gave */
	uint8_t *item;            /* item_len bytes, owned by the struct ds */
};

struct ds;

/* ds_parse_split(spec, c, err, errlen): "train=0.8,test=0.2" into c's
 * parts.  0, or -1 with a message ("part 'x' twice"). */
int ds_parse_split(const char *spec, struct ds_config *c, char *err, size_t errlen);

/* ds_new(c): a selection with a copy of c.  ds_free releases everything. */
struct ds *ds_new(const struct ds_config *c);
void ds_free(struct ds *d);
const struct ds_stats *ds_stats(const struct ds *d);

/* ds_sampled(d, f): true when the flow is left out by the sample (a keyed
 * hash of its identity and the seed, so the same flows in every run). */
bool ds_sampled(struct ds *d, const struct rec_flow *f);
/* ds_flow_key(d, f): the keyed hash of the flow's identity under another
 * tag than the sample's, as a number: the order of a deterministic
 * reservoir (the flows of smallest key win, whatever the input order). */
uint64_t ds_flow_key(struct ds *d, const struct rec_flow *f);
/* ds_is_dup(d, f, p, n): true when bytes p/n equal those of an earlier
 * item (of the same capture file, with DS_DEDUP_FILE); false always with
 * DS_DEDUP_NONE.  The item is remembered. */
bool ds_is_dup(struct ds *d, const struct rec_flow *f, const uint8_t *p, size_t n);

/* Items already in the data set (appending).  ds_note_old_item: the
 * image (item_len bytes) joins the split's memory, so that new copies of
 * it go to the same part.  ds_note_old_label: the class counts against
 * the cap and in the part's class counts. */
void ds_note_old_item(struct ds *d, unsigned part, const uint8_t *item);
void ds_note_old_label(struct ds *d, unsigned part, uint8_t cls);

/* ds_cap_full(d, cls): DS_CAP_FIRST (or no cap): true (counted as
 * capped) when the class already has its max_per_class items (old ones
 * and those given to ds_place); otherwise the caller may take the item. */
bool ds_cap_full(struct ds *d, uint8_t cls);

/* ds_part_pick(d, f): the part the flow's identity hashes to (0 without a
 * split).  Same flow, same seed: same part, whatever else is in the input. */
unsigned ds_part_pick(struct ds *d, const struct rec_flow *f);
/* ds_place(d, item, part, cls): the final part of an item about to be
 * written: part, or the part where an identical item went before (then
 * counted as moved).  Counts the item in its part and class, and
 * against the class cap. */
unsigned ds_place(struct ds *d, const uint8_t *item, unsigned part, uint8_t cls);

/* ds_next_gap(d, &pos, &part, &cls, &others): with a split, the next
 * (class, part) pair, in order of class then part, from *pos on (start
 * with 0), where the part has no item of a class the other parts hold
 * (others items); false when there is none left.  For the warning every
 * sink owes its user: that class cannot be evaluated on that part. */
bool ds_next_gap(const struct ds *d, unsigned *pos, unsigned *part, uint8_t *cls,
    uint64_t *others);

/* ds_offer(d, cls, weight, tag, part, item): DS_CAP_LARGEST: hold the
 * item if it is among the max_per_class heaviest of its class so far
 * (room less the old items), evicting the lightest.  1 held, 0 refused.
 * With max_per_class 0 every item is held: callers without a cap use
 * DS_CAP_FIRST. */
int ds_offer(struct ds *d, uint8_t cls, uint64_t weight, uint32_t tag, unsigned part,
    const uint8_t *item);
/* ds_drain(d, &n): the held items in the order they were offered (an
 * array of n pointers, owned by d, valid until ds_free); counts the
 * refused and evicted ones as capped.  Call once. */
struct ds_held *const *ds_drain(struct ds *d, size_t *n);

#endif
