/*
 * fuzz_quic.c - libFuzzer harness for the QUIC Initial reader (common/quic.c).
 *
 * Input: byte 0 picks the mode and the limit.
 *   bits 0-1  0: datagrams: records of direction (1 byte, bit 0: from the
 *                client), length (2 bytes, big-endian), the UDP payload; a
 *                last record cut short takes what is left.  The seeds are
 *                real flows in this form (t_quic -s).
 *             1: frames: byte 1 is the direction, the rest a decrypted
 *                Initial payload given to quic_frames.
 *             2: sealed: byte 1 is the version (bit 0: v2, else v1), the
 *                rest a payload that the harness protects as a client
 *                Initial (with the RFC 9001 A.2 DCID) and feeds, so that
 *                mutated frames reach the parser through decryption.
 *   bit 2     a 512-byte limit instead of the default, to reach the budget.
 * Invariants of the state that callers rely on abort when broken.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "bytes.h"
#include "quic.h"

static void check(const struct quic *q)
{
	for (int d = 0; d < 2; d++) {
		const struct quic_dir *r = &q->dir[d];
		const uint8_t *p;
		unsigned fl;
		size_t n = quic_crypto(q, d, &p, &fl);
		if (r->nr > QUIC_RANGES) abort();
		for (uint32_t i = 0; i < r->nr; i++) {
			if (r->lo[i] >= r->hi[i] || r->hi[i] > r->alloc || r->alloc > q->limit) abort();
			if (i > 0 && r->lo[i] <= r->hi[i - 1]) abort();
		}
		if ((n == 0) != (p == NULL) || n > q->limit) abort();
		if (n && p[0] != r->buf[0]) abort();
	}
}

/* Protect payload as a client Initial: the header of RFC 9001 A.2
 * (4-byte packet number 2), then quic_protect. */
static size_t seal(uint32_t version, const uint8_t *pl, size_t n, uint8_t *out, size_t max)
{
	static const uint8_t dcid[8] = { 0x83, 0x94, 0xc8, 0xf0, 0x3e, 0x51, 0x57, 0x08 };
	struct quic_keys k;
	size_t h = 0;

	if (n > 1100) n = 1100;
	if (22 + n + 16 > max) return 0;
	quic_initial_keys(version, dcid, sizeof dcid, &k, NULL);
	out[h++] = version == QUIC_V2 ? 0xd3 : 0xc3;
	put_be32(out + h, version);
	h += 4;
	out[h++] = 8;
	memcpy(out + h, dcid, 8);
	h += 8;
	out[h++] = 0;  /* SCID */
	out[h++] = 0;  /* token */
	put_be16(out + h, (uint16_t)(0x4000 | (4 + n + 16)));
	h += 2;
	put_be32(out + h, 2);
	h += 4;
	memcpy(out + h, pl, n);
	if (quic_protect(&k, out, h - 4, h + n + 16, 2) != 0) abort();
	return h + n + 16;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct quic q;
	struct cur c = cur_make(data, size);
	uint8_t mode, b;

	if (!cur_u8(&c, &mode)) return 0;
	quic_init(&q, (mode & 4) ? 512 : 0);
	switch (mode & 3) {
	case 0:
		while (cur_u8(&c, &b)) {
			uint16_t n = 0;
			size_t len;
			if (!cur_u16(&c, &n)) n = 0;
			len = n < cur_left(&c) ? n : cur_left(&c);
			/* A heap copy of exactly the datagram, for ASan. */
			uint8_t *d = malloc(len ? len : 1);
			if (!d) abort();
			memcpy(d, c.p, len);
			quic_feed(&q, d, len, b & 1);
			free(d);
			c.p += len;
			check(&q);
		}
		break;
	case 1:
		if (cur_u8(&c, &b)) quic_frames(&q, c.p, cur_left(&c), b & 1);
		break;
	case 2:
		if (cur_u8(&c, &b)) {
			static uint8_t pkt[1200];
			size_t n = seal(b & 1 ? QUIC_V2 : QUIC_V1, c.p, cur_left(&c), pkt, sizeof pkt);
			if (n && quic_feed(&q, pkt, n, 1) != 1) abort();  /* it must open */
		}
		break;
	default:
		break;
	}
	check(&q);
	quic_hello_done(&q, 0);
	quic_hello_done(&q, 1);
	quic_free(&q);
	return 0;
}
