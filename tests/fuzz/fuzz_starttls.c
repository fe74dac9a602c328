/*
 * fuzz_starttls.c - libFuzzer harness for common/starttls.c.
 *
 * Input: a 16-bit big-endian length L, then the client's first L bytes
 * (fewer if the input ends), then the server's.  Each side is copied to a
 * buffer of exactly its size, so that a read past it is caught.  An
 * answer of TLS must point within each side, just after a line's LF, and
 * must not change when each side is cut at its offset (the decision rests
 * on the prelude alone); an upgrade answered names its protocol.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "bytes.h"
#include "starttls.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct stls_result r, q;
	size_t cn, sn;
	uint8_t *c, *s;
	int e;

	if (size < 2) return 0;
	cn = be16(data);
	if (cn > size - 2) cn = size - 2;
	sn = size - 2 - cn;
	c = malloc(cn ? cn : 1);
	s = malloc(sn ? sn : 1);
	memcpy(c, data + 2, cn);
	memcpy(s, data + 2 + cn, sn);
	stls_greeting(s, sn);
	e = stls_scan(c, cn, s, sn, &r);
	if (e != STLS_MORE && e != STLS_TLS && e != STLS_REFUSED && e != STLS_NOT) abort();
	if ((e == STLS_TLS || e == STLS_REFUSED) && (r.proto < STLS_SMTP || r.proto > STLS_FTP)) abort();
	if (e == STLS_TLS) {
		if (r.off[0] == 0 || r.off[0] > cn || r.off[1] == 0 || r.off[1] > sn) abort();
		if (c[r.off[0] - 1] != '\n' || s[r.off[1] - 1] != '\n') abort();
		if (stls_scan(c, r.off[0], s, r.off[1], &q) != STLS_TLS || q.off[0] != r.off[0] ||
		    q.off[1] != r.off[1] || q.proto != r.proto)
			abort();
	}
	free(c);
	free(s);
	return 0;
}
