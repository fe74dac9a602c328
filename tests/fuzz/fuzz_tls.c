/*
 * fuzz_tls.c - libFuzzer harness for common/tls.c.
 *
 * The input is the start of a TLS stream: its handshake records are
 * joined and parsed as handshake messages, as app.c does; the input is
 * also parsed as bare handshake messages (the QUIC CRYPTO path) and as a
 * hello body.  Every hello that parses is fingerprinted, and the strings
 * must be NUL-terminated within their buffers.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "tls.h"

static void fingerprints(const struct tls_hello *h)
{
	char fp[TLS_FP_MAX];

	if (!h->valid) return;
	if (h->sni[h->sni_len] != 0 || h->alpn_len > TLS_MAXALPN) abort();
	if (h->server) {
		tls_ja3s(h, false, fp, sizeof fp);
		tls_ja3s(h, true, fp, sizeof fp);
	} else {
		tls_ja3(h, false, fp, sizeof fp);
		if (strlen(fp) != 32) abort();
		tls_ja3(h, true, fp, sizeof fp);
		tls_ja4(h, 't', 0, fp, sizeof fp);
		tls_ja4(h, 'q', 'r', fp, sizeof fp);
		tls_ja4(h, 't', 'o', fp, 8); /* a short buffer cuts, never overflows */
		if (strlen(fp) > 7) abort();
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct buf hs = { 0 };
	struct tls_hello ch, sh;
	uint16_t rv = 0;
	size_t used = 0;

	tls_records(data, size, &hs, &rv);
	ch.valid = sh.valid = false;
	tls_parse_handshake(hs.p, hs.len, &ch, &sh, NULL, NULL, &used);
	if (used > hs.len) abort();
	fingerprints(&ch);
	fingerprints(&sh);
	ch.valid = sh.valid = false;
	tls_parse_handshake(data, size, &ch, &sh, NULL, NULL, &used);
	if (used > size) abort();
	fingerprints(&ch);
	fingerprints(&sh);
	if (size) {
		tls_parse_hello(data + 1, size - 1, data[0] & 1, &ch);
		fingerprints(&ch);
	}
	buf_free(&hs);
	return 0;
}
