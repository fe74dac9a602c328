/*
 * fuzz_rjson.c - libFuzzer harness for the record <-> JSON mapping: any
 * body the flow decoder accepts must come back from its JSON line as the
 * very same bytes (flow-json -a | flow-json -r is byte-identical).
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "rjson.h"
int LLVMFuzzerTestOneInput(const uint8_t *p, size_t n);

int LLVMFuzzerTestOneInput(const uint8_t *p, size_t n)
{
	static struct rj_dec *d;
	static struct rec_flow f;
	struct buf rec = { 0 }, b = { 0 };
	char err[300];

	if (!d) d = rj_dec_new();
	buf_put32(&rec, (uint32_t)(n + 8));
	buf_put16(&rec, 2);
	buf_put16(&rec, 0);
	buf_put(&rec, p, n);
	if (rec_decode_flow(rec.p, rec.len, &f, err, sizeof err) == 0) {
		rj_put_flow(&b, &f, RJ_PACKETS | RJ_BYTES);
		if (rj_decode_line(d, (const char *)b.p, b.len) != RJ_FLOW) {
			fprintf(stderr, "%.*s\n%s\n", (int)b.len, b.p, d->err);
			abort();
		}
		if (d->rec.len != rec.len || memcmp(d->rec.p, rec.p, rec.len) != 0) abort();
	}
	buf_free(&rec);
	buf_free(&b);
	return 0;
}
