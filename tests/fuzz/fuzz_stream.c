/*
 * fuzz_stream.c - libFuzzer harness for the flowrec stream reader and the
 * record codec (make fuzz; seeds in tests/fuzz/seeds/fuzz_stream/).
 *
 * Every input is read with rs_memopen() + rs_next() to the end or to the
 * first error.  Besides "no crash, no sanitizer report", it checks the
 * properties the toolkit relies on:
 *   - an error always comes with a message;
 *   - every header and flow record the reader accepts re-encodes to
 *     exactly the bytes it was read from (transforms pass records through,
 *     and flow-json round trips, byte for byte);
 *   - the re-encoded record decodes again (decode(encode(x)) == x).
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bytes.h"
#include "cli.h"
#include "rec.h"
#include "stream.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct buf enc;
static struct rec_flow flow2;
static struct rec_header hdr2;

static void fail(const char *what, const struct rs_reader *r)
{
	fprintf(stderr, "fuzz_stream: %s (record at offset %llu)\n", what,
	    (unsigned long long)rs_offset(r));
	abort();
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	cli_init("fuzz_stream", *argc, *argv);
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct rs_reader *r;
	struct rs_item it;
	char err[512];
	int t;

	r = rs_memopen(data, size, "fuzz");
	rs_quiet(r);
	while ((t = rs_next(r, &it)) > 0) {
		buf_reset(&enc);
		if (t == RS_FLOW) {
			if (rec_encode_flow(&enc, it.flow, err, sizeof err) < 0)
				fail("an accepted flow does not re-encode", r);
		} else if (t == RS_HEADER) {
			if (rec_encode_header(&enc, it.hdr, err, sizeof err) < 0)
				fail("an accepted header does not re-encode", r);
		} else {
			rec_encode_end(&enc, &it.end);
		}
		if (enc.len != it.rawlen || memcmp(enc.p, it.raw, enc.len) != 0)
			fail("encode(decode(record)) differs from the record", r);
		if (t == RS_FLOW && rec_decode_flow(enc.p, enc.len, &flow2, err, sizeof err) < 0)
			fail("a re-encoded flow does not decode", r);
		if (t == RS_HEADER && rec_decode_header(enc.p, enc.len, &hdr2, err, sizeof err) < 0)
			fail("a re-encoded header does not decode", r);
	}
	if (t == RS_ERR && (rs_errmsg(r) == NULL || rs_errmsg(r)[0] == '\0'))
		fail("an error without a message", r);
	rs_close(r);
	return 0;
}
