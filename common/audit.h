/*
 * audit.h - the leakage audit of an image data set (flow-idx --audit):
 * duplicate images within and across the parts of a split, identical
 * images with different labels, and for each byte position the mutual
 * information between the byte and the label, with the header field the
 * position holds in most images (pkt_locate's table, the one --mask
 * uses) and the positions that look like shortcuts, with the --mask
 * that removes them.  flow-idx(1), "Leakage audit", defines every number.
 *
 * Memory: for each class seen, AU_MAX_POS x 256 counters of 4 bytes at
 * most (0.8 MB per class for 28 x 28 images); for each distinct image a
 * digest and 32 bytes.  Nothing here prints except au_report.
 */
#ifndef FK_AUDIT_H
#define FK_AUDIT_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "dataset.h"
#include "label.h"
#include "session.h"

#define AU_MAX_POS 4096     /* positions whose mutual information is measured */
#define AU_MAX_EXAMPLES 5   /* examples kept of each finding */
#define AU_K_PCAPTS PKT_FK_N /* the field kind of a pcap record's timestamp */
#define AU_NKIND (PKT_FK_N + 1)

struct au_config {
	uint32_t rows, cols;
	unsigned nparts;            /* 1: no split */
	const char *part_name[DS_MAX_PARTS]; /* NULL for the only part of no split */
	enum ses_layer layer;       /* how an image is read back into packets */
	bool framing, trailer;      /* SplitCap pcap framing; Ethernet trailers kept */
	uint32_t linktype;          /* link layer: the frames' link type (PKT_LT_*) */
	double threshold;           /* flag at MI >= threshold x H(label) */
	unsigned mask;              /* the --mask the images were made with */
};

/* Where an image came from, for the examples. */
struct au_origin {
	unsigned part;
	uint64_t index;             /* its place in the part's IDX file, from 0 */
	const uint8_t *src;         /* capture file name (SOURCE), or NULL when unknown */
	uint32_t srclen;
	uint64_t first_pkt;         /* its first packet in that file, from 1 */
};

struct audit;

/* au_new(c): an empty audit with a copy of c.  au_free releases it. */
struct audit *au_new(const struct au_config *c);
void au_free(struct audit *a);

/* au_set_linktype(a, lt): the link type of link-layer images, when the
 * config could not know it. */
void au_set_linktype(struct audit *a, uint32_t lt);

/* au_add(a, image, cls, o): one image (rows x cols bytes) of class cls. */
void au_add(struct audit *a, const uint8_t *image, uint8_t cls, const struct au_origin *o);

/*
 * au_read_idx(a, prefix, part, err, errlen): add every image of the pair
 * PREFIX[-NAME]-images-idx3-ubyte / -labels-idx1-ubyte of part (its name
 * from the config), which must have the configured size.  0, or -1 with
 * a message in err.
 */
int au_read_idx(struct audit *a, const char *prefix, unsigned part, char *err, size_t errlen);

/*
 * au_report(a, classes, human, json): the findings as lines for people
 * on human (if not NULL) and as one JSON object on json (if not NULL).
 * classes names the class ids (NULL: numbers only).  Returns the number
 * of flagged positions, or -1 on a write error of json.
 */
int au_report(struct audit *a, const struct label_classes *classes, FILE *human, FILE *json);

#endif
