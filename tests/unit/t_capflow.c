/*
 * t_capflow.c - unit tests of common/capflow.c (the per-packet pipeline,
 * through cf_read on a pcap built in memory) and common/capwalk.c (capture
 * operands to inputs, on a directory tree made in a temporary directory).
 * TAP output.
 *
 * The expected values come from the rules as capflow.h and capwalk.h state
 * them (which drops which packet, which name is a capture, the order of a
 * walk), each case built so that only one rule decides it.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "capflow.h"
#include "capwalk.h"
#include "msg.h"
#include "rec.h"

#include "tap.h"

/* is_str(got, want, what): strings compared, both shown when they differ. */
static void is_str(const char *got, const char *want, const char *what)
{
	if (!ok(strcmp(got, want) == 0, "%s", what))
		printf("#   got  '%s'\n#   want '%s'\n", got, want);
}

/* ------------------------------------------------------------ a pcap in memory */

struct fb {
	uint8_t b[8192];
	uint32_t n;
};

static void f8(struct fb *f, unsigned v) { f->b[f->n++] = (uint8_t)v; }
static void f16(struct fb *f, unsigned v) { f8(f, v >> 8); f8(f, v); }
static void f32(struct fb *f, uint32_t v) { f16(f, v >> 16); f16(f, v & 0xffff); }
static void fle32(struct fb *f, uint32_t v)
{
	for (int i = 0; i < 4; i++) f8(f, v >> 8 * i & 0xff);
}

/* Little-endian microsecond pcap, Ethernet. */
static void pcap_header(struct fb *f)
{
	fle32(f, 0xa1b2c3d4);
	fle32(f, 2 | 4u << 16);
	fle32(f, 0);
	fle32(f, 0);
	fle32(f, 65535);
	fle32(f, 1);
}

/* One record: the frame fr, cut to caplen bytes (0: whole), wire length wire (0: the frame's). */
static void record(struct fb *f, unsigned sec, const struct fb *fr, uint32_t caplen, uint32_t wire)
{
	uint32_t n = caplen ? caplen : fr->n;

	fle32(f, sec);
	fle32(f, 0);
	fle32(f, n);
	fle32(f, wire ? wire : fr->n);
	memcpy(f->b + f->n, fr->b, n);
	f->n += n;
}

static void eth(struct fb *f, unsigned type)
{
	for (int i = 0; i < 12; i++) f8(f, i < 6 ? 2 : 4);
	f16(f, type);
}

static void ip4(struct fb *f, unsigned proto, unsigned plen)
{
	f8(f, 0x45);
	f8(f, 0);
	f16(f, 20 + plen);
	f16(f, 1);
	f16(f, 0);
	f8(f, 64);
	f8(f, proto);
	f16(f, 0);
	f32(f, 0x0a000001);
	f32(f, 0xc0a80102);
}

/* Ethernet, IPv4, TCP with flags and plen payload bytes. */
static void tcp_frame(struct fb *f, unsigned sport, unsigned dport, unsigned flags, unsigned plen)
{
	f->n = 0;
	eth(f, 0x0800);
	ip4(f, 6, 20 + plen);
	f16(f, sport);
	f16(f, dport);
	f32(f, 1000);
	f32(f, 0);
	f8(f, 5 << 4);
	f8(f, flags);
	f16(f, 8192);
	f16(f, 0);
	f16(f, 0);
	while (plen--) f8(f, 'x');
}

static void udp_frame(struct fb *f, unsigned sport, unsigned dport, unsigned plen)
{
	f->n = 0;
	eth(f, 0x0800);
	ip4(f, 17, 8 + plen);
	f16(f, sport);
	f16(f, dport);
	f16(f, 8 + plen);
	f16(f, 0);
	while (plen--) f8(f, 'y');
}

/* ICMP echo request (type 8) with identifier id. */
static void echo_frame(struct fb *f, unsigned id)
{
	f->n = 0;
	eth(f, 0x0800);
	ip4(f, 1, 8);
	f8(f, 8);
	f8(f, 0);
	f16(f, 0);
	f16(f, id);
	f16(f, 1);
}

/* The capture every pipeline case reads: what each packet is for. */
static void build(struct fb *cap)
{
	struct fb fr;

	cap->n = 0;
	pcap_header(cap);
	tcp_frame(&fr, 1000, 80, 0x02, 0);      /* 1: SYN, no payload: --drop-control */
	record(cap, 1, &fr, 0, 0);
	tcp_frame(&fr, 1000, 80, 0x18, 5);      /* 2: PSH ACK with payload: kept */
	record(cap, 2, &fr, 0, 0);
	udp_frame(&fr, 1234, 53, 4);            /* 3: UDP to 53: --drop-dns */
	record(cap, 3, &fr, 0, 0);
	udp_frame(&fr, 53, 1234, 4);            /* 4: UDP from 53: kept */
	record(cap, 4, &fr, 0, 0);
	fr.n = 0;                               /* 5: ARP: not IP */
	eth(&fr, 0x0806);
	for (int i = 0; i < 28; i++) f8(&fr, 0);
	record(cap, 5, &fr, 0, 0);
	udp_frame(&fr, 7, 9, 0);                /* 6: cut inside the IP header: malformed */
	record(cap, 6, &fr, 14 + 10, 0);
	udp_frame(&fr, 5000, 5001, 4);          /* 7: a wire length past CF_MAX_WIRE */
	record(cap, 7, &fr, 0, 3u << 20);
	echo_frame(&fr, 0x4242);                /* 8: echo request: the id keys the flow */
	record(cap, 8, &fr, 0, 0);
}

static struct rec_flow flows[16];
static unsigned nflows;

static void emit(void *ctx, const struct rec_flow *f)
{
	(void)ctx;
	if (nflows < 16) flows[nflows] = *f;
	nflows++;
}

/* Run the capture through a pipeline with cfg; the stats left in *cs. */
static void run(const struct fb *cap, const struct cf_config *cfg, struct cf_stats *cs,
    uint64_t *in_flows)
{
	struct ft_config fc;
	struct ft_table *ft;
	struct frag *fr = frag_new(NULL);
	struct cap *c = cap_open_mem(cap->b, cap->n, "mem.pcap");
	struct cf *cf;

	ft_config_default(&fc);
	ft = ft_new(&fc, emit, NULL);
	cf = cf_new(cfg, ft, fr, NULL);
	nflows = 0;
	ok(cf_read(cf, c, "mem.pcap", "lab") == 0, "cf_read: no read error");
	*cs = *cf_stats(cf);
	*in_flows = ft_stats(ft)->packets;
	cap_close(c, NULL);
	cf_free(cf);
	ft_free(ft);
	frag_free(fr);
}

static const struct rec_flow *flow_of(uint8_t proto, uint16_t sport)
{
	for (unsigned i = 0; i < nflows && i < 16; i++)
		if (flows[i].proto == proto && flows[i].sport == sport) return &flows[i];
	return NULL;
}

static void t_pipeline(void)
{
	static struct fb cap;
	struct cf_config cfg = { 0 };
	struct cf_stats cs;
	uint64_t in;
	const struct rec_flow *f;
	volatile sig_atomic_t stop = 1;

	build(&cap);
	run(&cap, &cfg, &cs, &in);
	is(cs.inputs, 1, "one input");
	is(cs.read, 8, "8 packets read");
	is(cs.decoded, 6, "6 decoded (not the ARP nor the cut one)");
	is(cs.drops[CF_D_NOTIP], 1, "ARP: not IP");
	is(cs.drops[CF_D_MALFORMED], 1, "cut inside the IP header: malformed");
	is(cs.drops[CF_D_CONTROL] + cs.drops[CF_D_DNS], 0, "no seed drop unless asked");
	is(cs.wire_clamped, 1, "one wire length clamped");
	is(in, 6, "6 packets in flows");
	/* Every frame is sent by 10.0.0.1, so 1234 -> 53 and 53 -> 1234 are two flows. */
	is(nflows, 5, "5 flows: TCP, UDP to 53, UDP from 53, UDP 5000, ICMP");
	f = flow_of(1, 0x0800);
	ok(f && f->dport == 0x4242, "ICMP echo: sport type<<8|code, dport the identifier");
	f = flow_of(17, 5000);
	ok(f && f->bytes[0] + f->bytes[1] == CF_MAX_WIRE, "clamped wire length counted as CF_MAX_WIRE");

	cfg.drop_control = cfg.drop_dns = true;
	run(&cap, &cfg, &cs, &in);
	is(cs.drops[CF_D_CONTROL], 1, "--drop-control drops the bare SYN only");
	is(cs.drops[CF_D_DNS], 1, "--drop-dns drops UDP to 53, not from 53");
	is(in, 4, "4 packets in flows with the seed drops");
	ok(flow_of(17, 53) != NULL, "the answer from port 53 stays");

	cfg = (struct cf_config){ .count = 3 };
	run(&cap, &cfg, &cs, &in);
	is(cs.read, 3, "count 3: three packets read");

	cfg = (struct cf_config){ .stop = &stop };
	run(&cap, &cfg, &cs, &in);
	is(cs.read, 1, "stop set: the input ends after the packet in hand");

	ok(strcmp(cf_drop_name(CF_D_DNS), "UDP to port 53 (--drop-dns)") == 0, "cf_drop_name");
	ok(strcmp(cf_drop_name(CF_D_N), "?") == 0, "cf_drop_name out of range");
}

/* ------------------------------------------------------------ capwalk */

static char tmp[64];

static void touch(const char *rel)
{
	char p[256];
	FILE *fp;

	snprintf(p, sizeof p, "%s/%s", tmp, rel);
	fp = fopen(p, "w");
	if (fp) fclose(fp);
}

static void sub(const char *rel)
{
	char p[256];

	snprintf(p, sizeof p, "%s/%s", tmp, rel);
	mkdir(p, 0755);
}

/* The list's paths with tmp cut off, joined by spaces. */
static const char *joined(const struct cw_list *l)
{
	static char s[2048];
	size_t k = strlen(tmp), i;

	s[0] = 0;
	for (i = 0; i < l->n; i++) {
		const char *p = strncmp(l->paths[i], tmp, k) == 0 ? l->paths[i] + k : l->paths[i];

		if (i) strcat(s, " ");
		strncat(s, p, sizeof s - strlen(s) - 1);
	}
	return s;
}

static void t_walk(void)
{
	struct cw_list l = { 0 };
	char p[256], q[256];
	char *ops[2];

	ok(cw_capture_name("a.pcap") && cw_capture_name("A.PCAPNG") && cw_capture_name("x.cap") &&
	    cw_capture_name("y.pcap.ng"), "capture names, any case");
	ok(cw_capture_name("a.pcap.gz") && cw_capture_name("a.PCAPNG.ZST") && cw_capture_name("x.cap.xz") &&
	    cw_capture_name("y.pcap.ng.gz"), "compressed capture names, any case");
	ok(!cw_capture_name(".pcap") && !cw_capture_name("pcap") && !cw_capture_name(".pcap.gz") &&
	    !cw_capture_name("a.gz") && !cw_capture_name("a.pcap.bz2") && !cw_capture_name("a.gz.pcap.txt") &&
	    !cw_capture_name("a.pcap.gz.gz"), "not capture names");

	cw_operands(&l, NULL, 0);
	ok(l.n == 1 && strcmp(l.paths[0], "-") == 0, "no operand: standard input");
	cw_free(&l);
	ok(l.n == 0 && l.paths == NULL, "cw_free empties the list");

	strcpy(tmp, "/tmp/t_capflow.XXXXXX");
	if (!mkdtemp(tmp)) {
		ok(0, "mkdtemp");
		return;
	}
	sub("d");
	sub("d/sub");
	sub("d/B");
	touch("d/b.pcap");
	touch("d/a.PCAPNG");
	touch("d/.h.pcap");
	touch("d/notes.txt");
	touch("d/sub/c.cap");
	touch("d/sub/e.pcap.ng");
	touch("d/sub/f.pcapng.zst");
	touch("d/sub/g.tar.gz");
	touch("d/B/z.pcap");
	touch("elsewhere.pcap");
	sub("o");
	touch("o/only.pcap");
	snprintf(p, sizeof p, "%s/elsewhere.pcap", tmp);
	snprintf(q, sizeof q, "%s/d/link.pcap", tmp);
	ok(symlink(p, q) == 0, "a link to a capture");
	snprintf(p, sizeof p, "%s/o", tmp);
	snprintf(q, sizeof q, "%s/d/linkdir", tmp);
	ok(symlink(p, q) == 0, "a link to a directory");

	snprintf(p, sizeof p, "%s/d/", tmp);
	ops[0] = p;
	ops[1] = "-";
	cw_operands(&l, ops, 2);
	is_str(joined(&l), "/d/.h.pcap /d/B/z.pcap /d/a.PCAPNG /d/b.pcap /d/link.pcap /d/sub/c.cap "
	    "/d/sub/e.pcap.ng /d/sub/f.pcapng.zst -", "walk: sorted by bytes, depth first, links to files only, then '-'");
	is(l.unreadable, 0, "nothing unreadable");
	cw_free(&l);

	snprintf(p, sizeof p, "%s/d/linkdir", tmp);
	snprintf(q, sizeof q, "%s/none.pcap", tmp);
	ops[0] = p;
	ops[1] = q;
	cw_operands(&l, ops, 2);
	is_str(joined(&l), "/d/linkdir/only.pcap /none.pcap",
	    "an operand that links to a directory is walked; a missing file is kept for the reader");
	cw_free(&l);

	sub("e");
	sub("e/sub");
	touch("e/sub/notes.txt");
	snprintf(p, sizeof p, "%s/e", tmp);
	snprintf(q, sizeof q, "%s/o", tmp);
	ops[0] = p;
	ops[1] = q;
	cw_operands(&l, ops, 2);
	is_str(joined(&l), "/o/only.pcap", "a directory with no capture adds nothing");
	is(l.unreadable, 1, "and counts as unreadable");
	cw_free(&l);

	snprintf(p, sizeof p, "rm -rf '%s'", tmp);
	if (system(p) != 0) diag("could not remove %s", tmp);
}

int main(void)
{
	msg_init("t_capflow");
	t_pipeline();
	t_walk();
	printf("1..%u\n", ntest);
	return nfail != 0;
}
