/*
 * rjson.h - the mapping between flowrec records and JSON (flow-json(1)
 * documents it key by key).
 *
 * Records to JSON is done by hand into a struct buf: the key order is part
 * of the contract, and the writer is the hot loop of flow-json.  JSON to
 * records goes through jansson (which keeps the key order of an object, so
 * the element order of a record is the key order of its line), and every
 * record built is checked with rec_decode_flow() before it is handed out.
 */
#ifndef FK_RJSON_H
#define FK_RJSON_H

#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "bytes.h"
#include "rec.h"

/* What rj_put_flow() prints besides the core and the always-shown elements. */
#define RJ_PACKETS 0x01u /* "packets": the per-packet table */
#define RJ_BYTES   0x02u /* "pkt_bytes" and "payload" (hex) */

/*
 * rj_put_flow(out, f, opts): append one flow as a compact JSON object,
 * without a newline.  f must come from rec_decode_flow() (the element
 * contents are trusted).  Elements not asked for by opts are left out.
 */
void rj_put_flow(struct buf *out, const struct rec_flow *f, unsigned opts);

/*
 * rj_put_header(out, h): append a header as the JSON object
 * {"flowrec":"1.0","creator":...,"provenance":[...],"notes":[...]}, without
 * a newline.  h must come from rec_decode_header().  When the elements are
 * not grouped by kind, an "order" array of element ids makes the line
 * restore them exactly.
 */
void rj_put_header(struct buf *out, const struct rec_header *h);

/*
 * rj_put_text(out, p, n): append bytes as a JSON string when they are valid
 * UTF-8 without NUL, else as {"hex":"..."}.  rj_put_hex: "..." of lowercase
 * hex digits.
 */
void rj_put_text(struct buf *out, const uint8_t *p, size_t n);
void rj_put_hex(struct buf *out, const uint8_t *p, size_t n);

/*
 * Decoding state, reused from line to line (allocate it: the header alone
 * is some 16 KiB).  Zero-initialise it (rj_dec_new does); rj_dec_free
 * releases it.  The results of a call stay valid until the next call.
 */
struct rj_field;

struct rj_dec {
	struct rec_flow flow;     /* RJ_FLOW: the record, decoded from rec */
	struct buf rec;           /* RJ_FLOW: the encoded record */
	struct rec_header hdr;    /* RJ_HEADER: the header (points into val) */
	char err[512];            /* RJ_ERR: the message, without file and line */
	/* private */
	struct rec_flow build;
	struct buf val, tmp;
	struct rj_field *fields;
	size_t nfields, capfields;
	size_t off[REC_MAX_HDR_ELEMS];
	char path[256];
	size_t pathlen;
};

enum { RJ_ERR = -1, RJ_BLANK = 0, RJ_HEADER = 1, RJ_FLOW = 2 };

struct rj_dec *rj_dec_new(void);
void rj_dec_free(struct rj_dec *d);

/*
 * rj_decode_line(d, line, len): one line of JSON Lines (without its
 * newline; it need not be NUL-terminated).  Returns RJ_BLANK for an empty
 * or all-blank line, RJ_HEADER (d->hdr; an object with the key "flowrec"),
 * RJ_FLOW (d->rec and d->flow), or RJ_ERR with d->err such as
 * "\"sport\": expected an integer 0..65535".
 */
int rj_decode_line(struct rj_dec *d, const char *line, size_t len);

/* The same for an object already parsed (not consumed). */
int rj_decode_header(struct rj_dec *d, json_t *obj);
int rj_decode_flow(struct rj_dec *d, json_t *obj);

#endif
