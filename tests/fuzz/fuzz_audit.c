/*
 * fuzz_audit.c - libFuzzer harness for the leakage audit (common/audit.c),
 * which reads each image back into packets: the first byte chooses the
 * layer (network, link, link with the pcap framing, payload), the
 * trailer setting and the link type, the second the class; the rest is
 * the image (28 x 28, padded with zeros), added twice (a duplicate) and
 * once under another class (a conflict), then reported; the number of
 * flagged positions must be one of the image's.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "audit.h"
#include "pkt.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const uint32_t lts[4] = { PKT_LT_EN10MB, PKT_LT_SLL, PKT_LT_SLL2, PKT_LT_RAW };
	struct au_config c;
	struct au_origin o = { 0, 0, (const uint8_t *)"f", 1, 1 };
	struct audit *a;
	uint8_t img[784] = { 0 };
	FILE *null;
	int n;

	if (size < 2) return 0;
	memset(&c, 0, sizeof c);
	c.rows = c.cols = 28;
	c.nparts = 2;
	c.part_name[0] = "train";
	c.part_name[1] = "test";
	switch (data[0] & 3) {
	case 0: c.layer = SES_NETWORK; break;
	case 1: c.layer = SES_LINK; break;
	case 2: c.layer = SES_LINK; c.framing = true; break;
	default: c.layer = SES_PAYLOAD; break;
	}
	c.trailer = data[0] & 4;
	c.linktype = lts[(data[0] >> 3) & 3];
	c.threshold = 0.5;
	memcpy(img, data + 2, size - 2 < sizeof img ? size - 2 : sizeof img);
	a = au_new(&c);
	au_add(a, img, data[1], &o);
	o.part = 1;
	o.index = 1;
	au_add(a, img, data[1], &o);
	img[0] ^= 1;
	au_add(a, img, (uint8_t)(data[1] + 1), &o);
	img[0] ^= 1;
	au_add(a, img, (uint8_t)(data[1] + 1), &o);
	if ((null = fopen("/dev/null", "w")) == NULL) abort();
	n = au_report(a, NULL, null, null);
	if (n < 0 || n > 784) abort();
	fclose(null);
	au_free(a);
	return 0;
}
