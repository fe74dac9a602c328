/*
 * fuzz_http.c - libFuzzer harness for common/http.c: one message head;
 * the head length must lie within the input and every string must be
 * NUL-terminated within its field.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "http.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct http_msg m;
	size_t used = 0;
	bool req;

	http_start(data, size, &req);
	if (http_parse(data, size, &m, &used) == HTTP_OK && (used > size || used == 0)) abort();
	if (strnlen(m.uri, sizeof m.uri) == sizeof m.uri || strnlen(m.host, sizeof m.host) == sizeof m.host ||
	    strnlen(m.method, sizeof m.method) == sizeof m.method ||
	    strnlen(m.server, sizeof m.server) == sizeof m.server)
		abort();
	return 0;
}
