/*
 * fval.h - the values of the fields of field.h, read from a decoded flow
 * record (struct rec_flow) without copying: what flow-filter, flow-stats
 * and flow-json's readers share.  The registry (field.h) says what a
 * field is; this module reads it out of a record.
 */
#ifndef FK_FVAL_H
#define FK_FVAL_H

#include <stddef.h>
#include <stdint.h>

#include "field.h"
#include "rec.h"

/*
 * A value read from a record, tagged with its form.  Pointers point into
 * the record (or into the struct rec_flow for addresses) and live as long
 * as they do.
 */
enum fv_type {
	FV_NONE,
	FV_UINT,    /* u: integers, enums, flags, times, durations */
	FV_F64,     /* f */
	FV_ADDR,    /* p, n = 4 or 16 */
	FV_MAC,     /* p, n = 6 */
	FV_TEXT,    /* p, n: text as stored (not always UTF-8) */
	FV_BYTES,   /* p, n: opaque bytes; also the raw value of an element */
	FV_U16LIST, /* p, n bytes: n / 2 big-endian u16 */
};
struct fv {
	uint8_t vt;
	union {
		uint64_t u;
		double f;
	};
	const uint8_t *p;
	uint32_t n;
};

/*
 * fv_count(f, id): how many values field id has in f: 1 for core and
 * derived fields, the packet count for PACKETS columns and for the
 * pkt_bytes fields, the number of entries for encap, the number of fields
 * of a metadata tag (more than 1 only for FF_MULTI), 1 for a present
 * element; 0 when the element is absent.
 *
 * fv_get(f, id, i, v): value i (0 <= i < fv_count) into v; returns 1,
 * or 0 (v->vt = FV_NONE) when there is no such value.  f must come from
 * rec_decode_flow().  Per-packet columns and encap entries are reached in
 * constant time, pkt_bytes and metadata values by walking their element.
 * An element field gives its raw value (FV_BYTES; LABEL: FV_TEXT).
 */
uint32_t fv_count(const struct rec_flow *f, enum fld_id id);
int fv_get(const struct rec_flow *f, enum fld_id id, uint32_t i, struct fv *v);

/* The FEATURES value called name (n bytes); returns 1, or 0 if none. */
int fv_feature(const struct rec_flow *f, const char *name, size_t n, double *v);

#endif
