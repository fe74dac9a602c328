/*
 * fuzz_reasm.c - libFuzzer harness for common/reasm.c.
 *
 * Input: byte 0 sets the window (64 << (b & 7) bytes) and whether there
 * is a SYN (bit 3, ISN from bytes 1-4); then segments of a 4-byte header
 * (16-bit offset from the ISN, captured length, a byte cut off as by the
 * snapshot length when bit 0 of the fourth byte is set; bit 1 gives up
 * on a hole after the segment, as app.c does when it waits too long: the
 * prefix must stay as it was, and nothing more is placed) and their
 * bytes.  A shadow copy (first copy of each byte wins) must equal the
 * reassembled prefix as long as no segment was dropped, and the ranges
 * must stay sorted, disjoint and beyond the prefix.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "bytes.h"
#include "reasm.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static uint8_t shadow[8192], have[8192];
	struct ra_pool pool;
	struct ra_dir d;
	struct cur c = cur_make(data, size);
	uint8_t b0, k, fl;
	uint32_t isn = 0, max, i;
	uint16_t off;
	const uint8_t *p;
	bool exact = true, gave_up = false;

	memset(&pool, 0, sizeof pool);
	pool.limit = 6000;
	memset(&d, 0, sizeof d);
	memset(have, 0, sizeof have);
	if (!cur_u8(&c, &b0)) return 0;
	max = 64u << (b0 & 7);
	if (b0 & 8) {
		if (!cur_u32(&c, &isn)) return 0;
		ra_syn(&d, isn);
		isn++;
	}
	while (cur_u16(&c, &off) && cur_u8(&c, &k) && cur_u8(&c, &fl) && cur_bytes(&c, k, &p)) {
		uint8_t before = d.flags;
		uint32_t len = k + (fl & 1);
		uint32_t seq = (b0 & 8) ? isn + off : off;
		uint32_t len0 = d.len, hi0 = d.hi;
		bool grew = ra_add(&pool, &d, max, seq, p, k, len);

		if (gave_up && (grew || d.len != len0 || d.hi != hi0 || d.cap != d.len ||
		    d.charged != d.len)) abort();
		if ((fl & 2) && !gave_up && ra_holes(&d)) {
			ra_abandon(&pool, &d);
			gave_up = true;
			if (!(d.flags & RA_GAP) || !ra_holes(&d) || d.cap != d.len || (d.len == 0) != (d.buf == NULL))
				abort();
		}
		if ((d.flags & (RA_RANGES | RA_BUDGET)) && !(before & (RA_RANGES | RA_BUDGET))) exact = false;
		for (i = 0; exact && d.started && i < k; i++) {
			int32_t pos = (int32_t)(seq + i - d.isn);

			if (pos >= 0 && (uint32_t)pos < max && !have[pos]) {
				have[pos] = 1;
				shadow[pos] = p[i];
			}
		}
		if (d.len > max || d.hi > max || d.len > d.hi || pool.used > pool.limit) abort();
		for (i = 0; i < d.nr; i++)
			if (d.r[i].s <= d.len || d.r[i].e <= d.r[i].s || (i && d.r[i].s <= d.r[i - 1].e)) abort();
		if (exact && d.len && memcmp(d.buf, shadow, d.len) != 0) abort();
	}
	ra_free(&pool, &d);
	if (pool.used) abort();
	ra_pool_free(&pool);
	return 0;
}
