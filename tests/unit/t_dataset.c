/*
 * t_dataset.c - unit tests of common/dataset.c: the digest set, the split
 * syntax, the two class caps (the largest against a brute-force choice),
 * placement of identical items, dedup scopes and the sample.  Prints TAP.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dataset.h"
#include "tap.h"

/* A flow whose identity is n, from capture file name (NULL: no SOURCE). */
static void flow(struct rec_flow *f, uint64_t n, const char *name, uint8_t *srcbuf)
{
	memset(f, 0, sizeof *f);
	f->ipv = 4;
	f->proto = 6;
	f->src[0] = 10;
	f->dst[0] = 10;
	f->dst[3] = 2;
	f->sport = (uint16_t)(1024 + n % 60000);
	f->dport = 443;
	f->first_ns = 1700000000000000000ull + n * 1000;
	if (name) {
		size_t l = strlen(name);

		put_be64(srcbuf, n);
		memcpy(srcbuf + 8, name, l);
		rec_set(f, RE_SOURCE, srcbuf, (uint32_t)(8 + l));
	}
}

static void test_set(void)
{
	struct ds_set s = { 0 };
	uint8_t k[32];
	uint32_t v;
	unsigned i, found = 0, wrong = 0;

	for (i = 0; i < 5000; i++) {
		memset(k, 0, 32);
		put_be64(k, rng());
		put_be32(k + 28, i);
		v = i * 70001u; /* all 32 bits of the value are kept */
		if (ds_set_find_or_add(&s, k, &v)) wrong++;
	}
	is(s.n, 5000, "set: 5000 distinct digests added");
	is(wrong, 0, "set: none found before it was added");
	rng_state = TAP_RNG_SEED;
	for (i = 0; i < 5000; i++) {
		memset(k, 0, 32);
		put_be64(k, rng());
		put_be32(k + 28, i);
		v = 0;
		if (ds_set_find_or_add(&s, k, &v) && v == i * 70001u) found++;
	}
	is(found, 5000, "set: every digest found again, with its value");
	is(s.n, 5000, "set: finding adds nothing");
	ds_set_free(&s);
}

static void test_split_syntax(void)
{
	struct ds_config c;
	char err[200];

	memset(&c, 0, sizeof c);
	ok(ds_parse_split("train=0.7,val=0.1,test=0.2", &c, err, sizeof err) == 0, "split: three parts");
	is(c.nparts, 3, "split: nparts 3");
	ok(strcmp(c.part_name[1], "val") == 0 && c.part_cum[0] > 0.69 && c.part_cum[0] < 0.71 &&
	    c.part_cum[2] == 1, "split: names and cumulated shares");
	ok(ds_parse_split("a=0.5,b=0.6", &c, err, sizeof err) < 0 && strstr(err, "add up"),
	    "split: shares must add up to 1 (%s)", err);
	ok(ds_parse_split("a=0.5,a=0.5", &c, err, sizeof err) < 0 && strstr(err, "twice"),
	    "split: a name twice (%s)", err);
	ok(ds_parse_split("a/b=1", &c, err, sizeof err) < 0, "split: a name with '/' (%s)", err);
	ok(ds_parse_split("a=0", &c, err, sizeof err) < 0, "split: a zero share (%s)", err);
}

struct want {
	uint64_t w, seq;
	uint8_t cls;
};

static int by_weight(const void *a, const void *b)
{
	const struct want *x = a, *y = b;

	if (x->w != y->w) return x->w > y->w ? -1 : 1;
	return x->seq < y->seq ? -1 : x->seq > y->seq;
}

static int by_seq(const void *a, const void *b)
{
	const struct want *x = a, *y = b;

	return x->seq < y->seq ? -1 : x->seq > y->seq;
}

/* The largest cap against a brute-force choice: every item sorted by
 * weight (heaviest first, earlier first among equals), the first n of each
 * class, in offer order. */
static void test_largest(unsigned n, unsigned old1)
{
	enum { NITEM = 3000, NCLS = 4 };
	static struct want all[NITEM], pick[NITEM];
	struct ds_config c;
	struct ds *d;
	struct ds_held *const *h;
	unsigned i, per[NCLS] = { 0 }, np = 0, bad = 0, room;
	size_t got;
	uint8_t item[4];

	memset(&c, 0, sizeof c);
	c.max_per_class = n;
	c.cap = DS_CAP_LARGEST;
	c.item_len = 4;
	d = ds_new(&c);
	for (i = 0; i < old1; i++) ds_note_old_label(d, 0, 1);
	for (i = 0; i < NITEM; i++) {
		all[i].w = rng() % 50; /* many ties */
		all[i].seq = i;
		all[i].cls = (uint8_t)(rng() % NCLS);
		put_be32(item, i);
		ds_offer(d, all[i].cls, all[i].w, i, 0, item);
	}
	qsort(all, NITEM, sizeof all[0], by_weight);
	for (i = 0; i < NITEM; i++) {
		room = all[i].cls == 1 ? (n > old1 ? n - old1 : 0) : n;
		if (per[all[i].cls] < room) {
			per[all[i].cls]++;
			pick[np++] = all[i];
		}
	}
	qsort(pick, np, sizeof pick[0], by_seq);
	h = ds_drain(d, &got);
	is(got, np, "largest n=%u (old %u in class 1): as many held as the brute force keeps", n, old1);
	for (i = 0; i < np && i < got; i++)
		if (h[i]->seq != pick[i].seq || h[i]->weight != pick[i].w || h[i]->cls != pick[i].cls ||
		    be32(h[i]->item) != pick[i].seq || h[i]->tag != pick[i].seq)
			bad++;
	is(bad, 0, "largest n=%u: the same items, ties to the earlier, in offer order", n);
	is(ds_stats(d)->capped, NITEM - np, "largest n=%u: the rest counted as capped", n);
	ds_free(d);
}

static void test_first_and_place(void)
{
	struct ds_config c;
	struct ds *d;
	uint8_t a[8] = "AAAAAAA", b[8] = "BBBBBBB";
	unsigned p;

	memset(&c, 0, sizeof c);
	c.max_per_class = 2;
	c.item_len = 8;
	ds_parse_split("x=0.5,y=0.5", &c, (char[64]){ 0 }, 64);
	d = ds_new(&c);
	ds_note_old_label(d, 1, 3);
	ds_note_old_item(d, 1, a);
	ok(!ds_cap_full(d, 3), "first: one old item of 2, room left");
	p = ds_place(d, a, 0, 3);
	is(p, 1, "place: an item identical to an old one goes to the old one's part");
	is(ds_stats(d)->moved, 1, "place: counted as moved");
	ok(ds_cap_full(d, 3), "first: full after the second");
	is(ds_stats(d)->capped, 1, "first: the refused one counted");
	ok(!ds_cap_full(d, 4), "first: another class has room");
	p = ds_place(d, b, 0, 4);
	is(p, 0, "place: a new item stays where it was picked");
	is(ds_stats(d)->per_part_class[1][3], 2, "per part and class: old and new counted");
	is(ds_stats(d)->per_part_class[0][3], 0, "per part and class: none of class 3 in part x");
	{
		unsigned pos = 0, part = 9, n = 0;
		uint64_t others = 0;
		uint8_t cls = 0;

		ok(ds_next_gap(d, &pos, &part, &cls, &others) && cls == 3 && part == 0 && others == 2,
		    "gap: class 3 missing from part x (2 elsewhere)");
		ok(ds_next_gap(d, &pos, &part, &cls, &others) && cls == 4 && part == 1 && others == 1,
		    "gap: class 4 missing from part y (1 elsewhere)");
		ok(!ds_next_gap(d, &pos, &part, &cls, &others), "gap: no other");
		p = ds_place(d, (const uint8_t *)"CCCCCCC", 1, 4);
		is(p, 1, "place: another item of class 4 stays in part y");
		for (pos = 0; ds_next_gap(d, &pos, &part, &cls, &others);) n++;
		is(n, 1, "gap: class 4 in both parts now, one gap left");
	}
	ds_free(d);
}

static void test_dedup_sample(void)
{
	static uint8_t sb1[64], sb2[64];
	struct rec_flow f1, f2;
	struct ds_config c;
	struct ds *d, *e;
	unsigned i, kept = 0, same = 0, parts[2] = { 0, 0 };
	const uint8_t bytes[] = "session bytes";

	memset(&c, 0, sizeof c);
	c.dedup = DS_DEDUP_FILE;
	d = ds_new(&c);
	flow(&f1, 1, "a.pcap", sb1);
	flow(&f2, 2, "b.pcap", sb2);
	ok(!ds_is_dup(d, &f1, bytes, sizeof bytes), "dedup file: the first copy kept");
	ok(!ds_is_dup(d, &f2, bytes, sizeof bytes), "dedup file: the same bytes in another file kept");
	ok(ds_is_dup(d, &f1, bytes, sizeof bytes), "dedup file: again in the first file: dropped");
	ds_free(d);
	c.dedup = DS_DEDUP_ALL;
	d = ds_new(&c);
	ok(!ds_is_dup(d, &f1, bytes, sizeof bytes) && ds_is_dup(d, &f2, bytes, sizeof bytes),
	    "dedup all: the same bytes in another file dropped");
	ds_free(d);

	memset(&c, 0, sizeof c);
	c.sample = 0.25;
	c.seed = 9;
	ds_parse_split("p=0.5,q=0.5", &c, (char[64]){ 0 }, 64);
	d = ds_new(&c);
	e = ds_new(&c);
	for (i = 0; i < 20000; i++) {
		bool out;

		flow(&f1, i, "c.pcap", sb1);
		out = ds_sampled(d, &f1);
		if (!out) kept++;
		if (out == ds_sampled(e, &f1)) same++;
		if (!out) parts[ds_part_pick(d, &f1)]++;
	}
	ok(kept > 4700 && kept < 5300, "sample 0.25: %u of 20000 kept", kept);
	is(same, 20000, "sample: the same decision for the same flow");
	is(ds_stats(d)->sampled_out, 20000 - kept, "sample: the left out counted");
	ok(parts[0] > kept * 45 / 100 && parts[0] < kept * 55 / 100,
	    "sample and split independent: %u of %u kept flows in part p", parts[0], kept);
	ds_free(d);
	ds_free(e);
}

int main(void)
{
	test_set();
	test_split_syntax();
	test_largest(1, 0);
	test_largest(7, 0);
	test_largest(7, 5);
	test_largest(7, 9);
	test_largest(5000, 0);
	test_first_and_place();
	test_dedup_sample();
	printf("1..%u\n", ntest);
	return nfail != 0;
}
