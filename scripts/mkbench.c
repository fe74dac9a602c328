/*
 * mkbench - build a large, time-ordered Ethernet pcap for benchmarks out of
 * real captures, so that flows multiply instead of merging.
 *
 *	mkbench [-v] [-s SIZE] [-r PPS | -t SECONDS] [-S SEED] [-g GAP] [-n]
 *	        -o OUT [-p OUT10] CAPTURE|DIR...
 *
 * Every input capture is a "template": its IP packets (any link type that
 * pkt_decode knows; non-IP frames are left out) with times made relative
 * to its first packet, never going backwards, and gaps longer than GAP
 * seconds (default 10) cut to GAP, since test captures often glue together
 * traffic recorded years apart.  Frames of other link types become
 * Ethernet frames (a made-up 14-byte header in front of the IP header);
 * Ethernet frames keep their VLAN, MPLS and PPPoE headers.
 *
 * The output is a stationary traffic mix: "sessions" start one after
 * another, spaced by a random 0.5 to 1.5 times the mean interval; each one
 * replays a template with its original packet spacing, and the sessions'
 * packets are merged in time order.  Templates are taken in rounds, every
 * template once per round in one shuffled order, so that every stretch of
 * the output longer than a round holds the same mix: the number of active
 * flows stays level, and a flow table's memory with it, rather than
 * following a chance run of templates with many flows.
 *
 * Session k XORs a 24-bit key (k times an odd constant, XOR a constant of
 * the seed: unique over 2^24 sessions) into the low 24 bits of every IPv4
 * and IPv6 address, both directions alike, so each copy is a new set of
 * hosts and its flows are new flows.  The IPv4 header checksum and the
 * TCP, UDP and ICMPv6 checksums (their pseudo header) are updated
 * incrementally (RFC 1624), as are the addresses of the IP header quoted
 * in ICMP errors and the ICMP checksum over them.  Left as they were: the
 * transport checksum behind an IPv6 routing header with segments left
 * (its pseudo header holds the final destination), checksums outside the
 * captured bytes, MAC addresses, payloads (addresses inside payloads or
 * inside tunnels stay as they were).  A checksum that was wrong stays
 * wrong by the same amount.
 *
 * Output stops at the first packet that makes the file at least SIZE
 * bytes (default 1 GiB).  With -p the same traffic goes on to 10 x SIZE
 * bytes in OUT10 while OUT gets its first SIZE bytes: "the same traffic at
 * 1x and 10x length", flows ending and new ones starting, for a memory
 * test.  The session rate comes from -r (mean packets per second) or -t
 * (the time OUT should span); default -t 300.  Output is deterministic
 * for a seed, inputs and -g: times start at 2024-01-01 00:00:00 UTC.
 * Files are written to a temporary name and renamed when complete.
 */
#include <errno.h>
#include <getopt.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "bytes.h"
#include "cap.h"
#include "capwalk.h"
#include "cli.h"
#include "pkt.h"

#define T0_NS (1704067200ull * 1000000000ull) /* 2024-01-01 00:00:00 UTC */
#define KEY_MUL 0x6f4a7bu                      /* odd: k -> k * KEY_MUL is a bijection mod 2^24 */
#define OUT_SNAPLEN 262144u

/* One packet of a template; offsets are into its (converted) frame. */
struct tpkt {
	uint64_t rel;     /* ns after the template's first packet */
	size_t off;       /* frame in the arena */
	uint32_t caplen, wirelen;
	uint32_t l3;      /* IP header */
	uint32_t l4ck;    /* transport checksum field, 0: none to update */
	uint32_t icmpck;  /* ICMP checksum covering a quoted header, 0: none */
	uint32_t q;       /* quoted IP header in an ICMP error, 0: none */
	uint8_t ipv, qv;  /* IP versions of the header and the quote */
	bool udp;         /* a computed 0 checksum is sent as 0xffff */
};

struct tpl {
	struct tpkt *p;
	size_t n;
	uint64_t bytes; /* record bytes, 16-byte headers included */
	uint64_t dur;   /* ns */
};

struct session {
	uint64_t next;  /* time of its next packet, ns */
	uint64_t start;
	uint64_t id;    /* start order; breaks ties so the merge is deterministic */
	uint32_t tpl, i, key;
};

static struct buf arena;
static struct tpl *tpls;
static size_t ntpls;
static uint64_t skipped_notip, skipped_other;
static bool verbose;
static double opt_gap = 10.0; /* -g: longest gap kept inside a template, seconds */

/* ---- random numbers: splitmix64, fixed so output does not depend on libc ---- */

static uint64_t rng_state;

static uint64_t rng_next(void)
{
	uint64_t z = (rng_state += 0x9e3779b97f4a7c15ull);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

/* An interval of 0.5 to 1.5 times mean_ns, in ns (at least 1). */
static uint64_t rng_interval_ns(double mean_ns)
{
	double u = (double)(rng_next() >> 11) / 9007199254740992.0; /* [0, 1) */
	double v = (0.5 + u) * mean_ns;

	return v < 1.0 ? 1 : (uint64_t)v;
}

/* The next template: rounds of one shuffled order of all of them. */
static uint32_t next_template(const uint32_t *order, size_t n, size_t *pos)
{
	if (*pos == n) *pos = 0;
	return order[(*pos)++];
}

/* ---- checksums (RFC 1071 sums, RFC 1624 updates) ---- */

/* The 16-bit words of p..p+n (n even) summed without folding. */
static uint32_t words(const uint8_t *p, size_t n)
{
	uint32_t s = 0;
	size_t i;

	for (i = 0; i < n; i += 2) s += be16(p + i);
	return s;
}

/* Fold a 32-bit sum into 16 bits of one's complement. */
static uint32_t fold(uint32_t s)
{
	while (s >> 16) s = (s & 0xffff) + (s >> 16);
	return s;
}

/*
 * Update the checksum at ck after words summing to oldsum were replaced by
 * words summing to newsum (nw words each): HC' = ~(~HC + ~m + m').
 */
static void csum_update(uint8_t *ck, uint32_t oldsum, uint32_t newsum, unsigned nw, bool udp)
{
	uint32_t acc = (uint16_t)~be16(ck);
	uint16_t v;

	acc += fold(0xffffu * nw - oldsum); /* sum of ~m over nw words */
	acc += fold(newsum);
	v = (uint16_t)~fold(acc);
	if (udp && v == 0) v = 0xffff;
	put_be16(ck, v);
}

/*
 * XOR the key into the addresses of the IP header at ip (version v) and
 * return, through *olds and *news, the word sums before and after (the
 * address block is 4 words for IPv4, 16 for IPv6).  The caller made sure
 * the addresses are inside the frame.
 */
static unsigned xor_addrs(uint8_t *ip, uint8_t v, uint32_t key, uint32_t *olds, uint32_t *news)
{
	uint8_t *a = ip + (v == 4 ? 12 : 8);
	size_t alen = v == 4 ? 4 : 16, n = 2 * alen, j;

	*olds = words(a, n);
	for (j = 0; j < 2; j++) {
		uint8_t *e = a + j * alen + alen;

		e[-3] ^= (uint8_t)(key >> 16);
		e[-2] ^= (uint8_t)(key >> 8);
		e[-1] ^= (uint8_t)key;
	}
	*news = words(a, n);
	return (unsigned)(n / 2);
}

/* Rewrite one packet (already copied to f) for the session key. */
static void rewrite(uint8_t *f, const struct tpkt *p, uint32_t key)
{
	uint32_t o, nw_, qo, qn;
	unsigned nw = xor_addrs(f + p->l3, p->ipv, key, &o, &nw_);

	if (p->ipv == 4) csum_update(f + p->l3 + 10, o, nw_, nw, false);
	if (p->l4ck) csum_update(f + p->l4ck, o, nw_, nw, p->udp);
	if (p->q) {
		unsigned qw = xor_addrs(f + p->q, p->qv, key, &qo, &qn);

		/* The quoted IPv4 header checksum is usually intact; keep it so. */
		if (p->qv == 4) {
			uint32_t before = be16(f + p->q + 10), after;

			csum_update(f + p->q + 10, qo, qn, qw, false);
			after = be16(f + p->q + 10);
			qo += before;
			qn += after;
			qw++;
		}
		csum_update(f + p->icmpck, qo, qn, qw, false);
	}
}

/* ---- templates ---- */

/*
 * Find the transport header of the IP datagram at f + l3 (version v,
 * caplen bytes in the frame): its offset and protocol through *t and
 * *proto.  Returns false when the packet carries none that can be
 * updated here: a non-first fragment, headers past the captured bytes, or
 * an IPv6 routing header with segments left (the pseudo header then holds
 * the final destination, which is not rewritten).
 */
static bool transport(const uint8_t *f, uint32_t caplen, uint32_t l3, uint8_t v, uint32_t *t,
    uint8_t *proto)
{
	struct cur c = cur_make(f + l3, caplen - l3), h;
	uint8_t nh, b0, b1;
	const uint8_t *ext;

	if (v == 4) {
		const uint8_t *ip;

		if (!cur_bytes(&c, 20, &ip)) return false;
		if ((be16(ip + 6) & 0x1fff) != 0) return false;
		*proto = ip[9];
		*t = l3 + (uint32_t)(ip[0] & 0x0f) * 4;
		return (ip[0] & 0x0f) >= 5 && *t <= caplen;
	}
	if (!cur_bytes(&c, 40, &ext)) return false;
	nh = ext[6];
	for (;;) { /* ends: every header is at least 8 bytes of a finite frame */
		size_t len;

		h = c;
		if (!cur_u8(&h, &b0) || !cur_u8(&h, &b1)) return false;
		switch (nh) {
		case 0: case 60: len = ((size_t)b1 + 1) * 8; break;       /* RFC 8200 4.3, 4.6 */
		case 43:                                                  /* 4.4 */
			if (!cur_bytes(&h, 2, &ext) || ext[1] != 0) return false;
			len = ((size_t)b1 + 1) * 8;
			break;
		case 44:                                                  /* 4.5 */
			if (!cur_bytes(&h, 2, &ext) || (be16(ext) & 0xfff8) != 0) return false;
			len = 8;
			break;
		case 51: len = ((size_t)b1 + 2) * 4; break;               /* RFC 4302 2.2 */
		default:
			*proto = nh;
			*t = (uint32_t)(c.p - f);
			return true;
		}
		if (!cur_skip(&c, len)) return false;
		nh = b0;
	}
}

/*
 * Where the transport checksum of this packet is (0: none to update):
 * TCP, UDP (a zero UDP checksum over IPv4 means "none") and ICMPv6 (its
 * checksum covers a pseudo header), inside the captured bytes.
 */
static uint32_t l4_checksum(const uint8_t *f, uint32_t caplen, uint32_t l3, uint8_t v, bool *udp)
{
	uint32_t t, at;
	uint8_t proto;

	*udp = false;
	if (!transport(f, caplen, l3, v, &t, &proto)) return 0;
	switch (proto) {
	case 6: at = t + 16; break;
	case 17: at = t + 6; *udp = true; break;
	case 58: at = t + 2; break;
	default: return 0;
	}
	if ((uint64_t)at + 2 > caplen) return 0;
	if (*udp && v == 4 && be16(f + at) == 0) return 0;
	return at;
}

/* Read one capture into a template; a capture with no IP packet adds none. */
static void load(const char *path)
{
	struct cap *c = cap_open(path);
	struct cap_pkt cp;
	struct tpl t = { 0 };
	size_t cap_n = 0;
	int64_t last = 0, prev_rel = 0;
	uint64_t gapmax_ns = (uint64_t)(opt_gap * 1e9);
	int rc;

	if (!c) msg_die(EXIT_DATA, "out of memory");
	while ((rc = cap_next(c, &cp)) == CAP_OK) {
		struct pkt_info pi;
		struct tpkt *p;
		uint32_t shift, caplen, wirelen;
		bool eth = cp.linktype == PKT_LT_EN10MB;
		uint8_t *f;

		pi.layers = 0;
		(void)pkt_decode(cp.linktype, cp.data, cp.caplen, cp.wirelen, &pi);
		if (!(pi.layers & PKT_L_NET)) {
			if (pi.layers & PKT_L_LINK) skipped_notip++;
			else skipped_other++;
			continue;
		}
		/* The addresses must be in the frame (a snaplen cut can leave them out). */
		if ((uint64_t)pi.net_off + (pi.ipver == 4 ? 20 : 40) > cp.caplen) {
			skipped_other++;
			continue;
		}
		if (eth) {
			shift = 0;
			caplen = cp.caplen;
			wirelen = cp.wirelen;
		} else {
			/* A made-up Ethernet header replaces the link header. */
			shift = 14 - pi.net_off;
			caplen = cp.caplen - pi.net_off + 14;
			wirelen = (cp.wirelen > pi.net_off ? cp.wirelen - pi.net_off : 0) + 14;
		}
		if (caplen > OUT_SNAPLEN) {
			skipped_other++;
			continue;
		}
		if (t.n == cap_n) {
			cap_n = cap_n ? 2 * cap_n : 256;
			t.p = xrealloc(t.p, cap_n * sizeof *t.p);
		}
		p = &t.p[t.n++];
		memset(p, 0, sizeof *p);
		p->off = arena.len;
		p->caplen = caplen;
		p->wirelen = wirelen < caplen ? caplen : wirelen;
		buf_reserve(&arena, caplen);
		f = arena.p + arena.len;
		if (eth) {
			memcpy(f, cp.data, caplen);
		} else {
			static const uint8_t mac[12] = { 2, 0, 0, 0, 0, 2, 2, 0, 0, 0, 0, 1 };

			memcpy(f, mac, 12);
			put_be16(f + 12, pi.ipver == 4 ? 0x0800 : 0x86dd);
			memcpy(f + 14, cp.data + pi.net_off, cp.caplen - pi.net_off);
		}
		arena.len += caplen;
		p->l3 = pi.net_off + shift;
		p->ipv = pi.ipver;
		p->l4ck = l4_checksum(f, caplen, p->l3, p->ipv, &p->udp);
		if ((pi.layers & PKT_L_ICMPQ) && (pi.layers & PKT_L_TRANS) && pi.icmpq_len >= 1 &&
		    (uint64_t)pi.trans_off + shift + 4 <= caplen) {
			uint32_t q = pi.icmpq_off + shift, ck = pi.trans_off + shift + 2;
			uint8_t qv = f[q] >> 4;

			if ((qv == 4 && pi.icmpq_len >= 20) || (qv == 6 && pi.icmpq_len >= 40)) {
				/* For ICMPv6, l4ck is the same field: both updates apply. */
				p->q = q;
				p->qv = qv;
				p->icmpck = ck;
			}
		}
		/* Times: relative, never backwards, long gaps cut. */
		if (t.n == 1) {
			last = cp.ts;
			p->rel = 0;
		} else {
			int64_t d = cp.ts - last;

			if (d < 0) d = 0;
			if ((uint64_t)d > gapmax_ns) d = (int64_t)gapmax_ns;
			p->rel = (uint64_t)(prev_rel + d);
			last = cp.ts > last ? cp.ts : last;
		}
		prev_rel = (int64_t)p->rel;
		t.bytes += 16 + caplen;
	}
	if (rc == CAP_TRUNC || rc == CAP_ERR) msg_warn("%s (using the packets before it)", cap_errmsg(c));
	cap_close(c, NULL);
	if (t.n == 0) {
		free(t.p);
		if (verbose) msg_warn("%s: no IP packets, not used", path);
		return;
	}
	t.dur = t.p[t.n - 1].rel;
	tpls = xrealloc(tpls, (ntpls + 1) * sizeof *tpls);
	tpls[ntpls++] = t;
}

/* ---- the session merge ---- */

static struct session *heap;
static size_t nheap, capheap;

static bool before(const struct session *a, const struct session *b)
{
	return a->next < b->next || (a->next == b->next && a->id < b->id);
}

static void heap_push(struct session s)
{
	size_t i;

	if (nheap == capheap) {
		capheap = capheap ? 2 * capheap : 1024;
		heap = xrealloc(heap, capheap * sizeof *heap);
	}
	i = nheap++;
	while (i > 0 && before(&s, &heap[(i - 1) / 2])) {
		heap[i] = heap[(i - 1) / 2];
		i = (i - 1) / 2;
	}
	heap[i] = s;
}

/* Put heap[0] (changed or replaced) back in order. */
static void heap_down(void)
{
	struct session s = heap[0];
	size_t i = 0;

	for (;;) {
		size_t l = 2 * i + 1, m = l;

		if (l >= nheap) break;
		if (l + 1 < nheap && before(&heap[l + 1], &heap[l])) m = l + 1;
		if (!before(&heap[m], &s)) break;
		heap[i] = heap[m];
		i = m;
	}
	heap[i] = s;
}

static void put_le32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)v; p[1] = (uint8_t)(v >> 8); p[2] = (uint8_t)(v >> 16); p[3] = (uint8_t)(v >> 24);
}

static void out_write(struct out_file *o, const void *p, size_t n)
{
	if (fwrite(p, 1, n, o->fp) != n) msg_die(EXIT_DATA, "%s: write error: %s", o->name, strerror(errno));
}

static void write_file_header(struct out_file *o, bool nsec)
{
	uint8_t h[24];

	put_le32(h, nsec ? 0xa1b23c4du : 0xa1b2c3d4u);
	h[4] = 2; h[5] = 0; h[6] = 4; h[7] = 0; /* version 2.4, little-endian */
	memset(h + 8, 0, 8);
	put_le32(h + 16, OUT_SNAPLEN);
	put_le32(h + 20, PKT_LT_EN10MB);
	out_write(o, h, sizeof h);
}

static uint64_t parse_size(const char *s)
{
	char num[32];
	size_t n = strlen(s);
	uint64_t v, mul = 1;

	if (n == 0 || n >= sizeof num) cli_usage_error("-s: '%s' is not a size", s);
	memcpy(num, s, n + 1);
	switch (num[n - 1]) {
	case 'k': case 'K': mul = 1ull << 10; break;
	case 'm': case 'M': mul = 1ull << 20; break;
	case 'g': case 'G': mul = 1ull << 30; break;
	case 't': case 'T': mul = 1ull << 40; break;
	default: break;
	}
	if (mul != 1) num[n - 1] = '\0';
	if (num_parse_u64(num, 1, (1ull << 50) / mul, &v) < 0)
		cli_usage_error("-s: '%s' is not a size (bytes, or with K, M, G, T)", s);
	return v * mul;
}

static const char usage_text[] =
"usage: mkbench [-v] [-s SIZE] [-r PPS | -t SECONDS] [-S SEED] [-g GAP] [-n]\n"
"               -o OUT [-p OUT10] CAPTURE|DIR...\n"
"Build a time-ordered Ethernet pcap of at least SIZE bytes (default 1G) from\n"
"real captures: sessions replay them one after another, overlapping, each\n"
"with its own addresses (a key XORed into the low 24 bits), checksums updated.\n"
"  -s SIZE     output size in bytes; K, M, G, T suffixes are powers of 1024\n"
"  -r PPS      mean packets per second of the output\n"
"  -t SECONDS  time OUT should span (default 300); of -r and -t the last counts\n"
"  -S SEED     random seed (default 1)\n"
"  -g GAP      cut gaps between packets of a capture to GAP seconds (default 10)\n"
"  -n          nanosecond time stamps (default microseconds)\n"
"  -o OUT      output file\n"
"  -p OUT10    also write the same traffic continued to 10 x SIZE into OUT10\n"
"  -v          describe the inputs and the output on stderr\n";

static const struct option longopts[] = {
	{ "help", no_argument, NULL, 'h' },
	{ NULL, 0, NULL, 0 },
};

int main(int argc, char **argv)
{
	struct out_file o1 = { 0 }, o10 = { 0 };
	const char *out1 = NULL, *out10 = NULL;
	uint64_t size = 1ull << 30, seed = 1, total_pkts = 0, total_bytes = 0, sum_dur = 0, max_dur = 0;
	uint64_t written1 = 24, written10 = 24, limit, nsess = 0, npk = 0, last_ts = 0, next_start;
	double pps = 0, span = 300, mean_pkts, mean_rec, lambda_ns;
	bool nsec = false, done1;
	uint8_t *rec;
	uint32_t *order;
	int c;
	size_t i, opos;
	struct stat sb;
	struct cw_list inputs = { 0 };

	cli_init("mkbench", argc, argv);
	while ((c = getopt_long(argc, argv, "s:r:t:S:g:no:p:vh", longopts, NULL)) != -1) {
		switch (c) {
		case 's': size = parse_size(optarg); break;
		case 'r':
			if (num_parse_double(optarg, 1e-3, 1e9, &pps) < 0)
				cli_usage_error("-r: '%s' is not a packet rate", optarg);
			break;
		case 't':
			if (num_parse_double(optarg, 1e-3, 1e9, &span) < 0)
				cli_usage_error("-t: '%s' is not a number of seconds", optarg);
			pps = 0;
			break;
		case 'S':
			if (num_parse_u64(optarg, 0, UINT64_MAX, &seed) < 0)
				cli_usage_error("-S: '%s' is not a whole number", optarg);
			break;
		case 'g':
			if (num_parse_double(optarg, 0, 1e6, &opt_gap) < 0)
				cli_usage_error("-g: '%s' is not a number of seconds", optarg);
			break;
		case 'n': nsec = true; break;
		case 'o': out1 = optarg; break;
		case 'p': out10 = optarg; break;
		case 'v': verbose = true; break;
		case 'h': fputs(usage_text, stdout); out_close_stdout(); return EXIT_OK;
		default: cli_usage_error("unknown or incomplete option");
		}
	}
	if (!out1) cli_usage_error("-o OUT is required");
	if (optind == argc) cli_usage_error("no input captures");
	for (i = (size_t)optind; i < (size_t)argc; i++)
		if (stat(argv[i], &sb) < 0) msg_die(EXIT_DATA, "%s: %s", argv[i], strerror(errno));
	cw_operands(&inputs, argv + optind, (size_t)(argc - optind));
	if (inputs.unreadable) msg_die(EXIT_DATA, "a directory of the inputs could not be read");
	for (i = 0; i < inputs.n; i++) load(inputs.paths[i]);
	cw_free(&inputs);
	if (ntpls == 0) msg_die(EXIT_DATA, "no IP packets in the inputs");
	for (i = 0; i < ntpls; i++) {
		total_pkts += tpls[i].n;
		total_bytes += tpls[i].bytes;
		sum_dur += tpls[i].dur;
		if (tpls[i].dur > max_dur) max_dur = tpls[i].dur;
	}
	/* Every template equally often: a session brings the mean of each. */
	mean_pkts = (double)total_pkts / (double)ntpls;
	mean_rec = (double)total_bytes / (double)total_pkts;
	if (pps == 0) pps = (double)size / mean_rec / span;
	lambda_ns = 1e9 * mean_pkts / pps; /* mean ns between session starts */
	if (verbose) {
		msg_warn("%zu templates, %llu packets (%llu non-IP and %llu undecodable left out), "
		    "%.1f bytes per record, %.1f packets and %.2f s (at most %.0f s) per session",
		    ntpls, (unsigned long long)total_pkts, (unsigned long long)skipped_notip,
		    (unsigned long long)skipped_other, mean_rec, mean_pkts,
		    (double)sum_dur / (double)ntpls / 1e9, (double)max_dur / 1e9);
		msg_warn("%.0f packets/s: %.2f sessions/s, about %.0f at a time", pps, 1e9 / lambda_ns,
		    (double)sum_dur / (double)ntpls / lambda_ns);
	}

	if (out_open(&o1, out1) < 0) return EXIT_DATA;
	setvbuf(o1.fp, NULL, _IOFBF, 1u << 20);
	write_file_header(&o1, nsec);
	if (out10) {
		if (out_open(&o10, out10) < 0) return EXIT_DATA;
		setvbuf(o10.fp, NULL, _IOFBF, 1u << 20);
		write_file_header(&o10, nsec);
	}
	limit = out10 ? 10 * size : size;
	done1 = false;
	rec = xmalloc(16 + OUT_SNAPLEN);
	rng_state = seed;
	order = xmalloc(ntpls * sizeof *order);
	for (i = 0; i < ntpls; i++) order[i] = (uint32_t)i;
	for (i = ntpls - 1; i > 0; i--) { /* Fisher-Yates */
		size_t j = (size_t)(rng_next() % (i + 1));
		uint32_t x = order[i];

		order[i] = order[j];
		order[j] = x;
	}
	opos = 0;
	next_start = T0_NS;
	while ((out10 ? written10 : written1) < limit) {
		struct session *s;
		const struct tpkt *p;
		uint64_t us;

		/* Start every session due before the next packet. */
		while (nheap == 0 || next_start <= heap[0].next) {
			struct session n = { 0 };

			n.tpl = next_template(order, ntpls, &opos);
			n.start = n.next = next_start;
			n.id = nsess;
			/* A bijection of the session number: no two of 2^24 share a key. */
			n.key = (uint32_t)((nsess * KEY_MUL) ^ (seed * 0x9e3779b1u)) & 0xffffff;
			nsess++;
			heap_push(n);
			next_start += rng_interval_ns(lambda_ns);
		}
		s = &heap[0];
		p = &tpls[s->tpl].p[s->i];
		us = nsec ? s->next % 1000000000u : s->next % 1000000000u / 1000u;
		put_le32(rec, (uint32_t)(s->next / 1000000000u));
		put_le32(rec + 4, (uint32_t)us);
		put_le32(rec + 8, p->caplen);
		put_le32(rec + 12, p->wirelen);
		memcpy(rec + 16, arena.p + p->off, p->caplen);
		rewrite(rec + 16, p, s->key);
		if (!done1) {
			out_write(&o1, rec, 16 + p->caplen);
			written1 += 16 + p->caplen;
			if (written1 >= size) done1 = true;
		}
		if (out10) {
			out_write(&o10, rec, 16 + p->caplen);
			written10 += 16 + p->caplen;
		}
		last_ts = s->next;
		npk++;
		if (++s->i < tpls[s->tpl].n) {
			s->next = s->start + tpls[s->tpl].p[s->i].rel;
		} else {
			heap[0] = heap[--nheap];
		}
		if (nheap) heap_down();
		if ((npk & 0xffff) == 0) msg_progress("bytes", out10 ? written10 : written1, limit);
	}
	msg_progress_end();
	if (out_commit(&o1) < 0) return EXIT_DATA;
	if (out10 && out_commit(&o10) < 0) return EXIT_DATA;
	if (verbose)
		msg_warn("wrote %llu packets, %llu sessions started, %.1f s of traffic",
		    (unsigned long long)npk, (unsigned long long)nsess, (double)(last_ts - T0_NS) / 1e9);
	if (nsess > (1u << 24)) msg_warn("more than 2^24 sessions: address keys repeat");
	free(rec);
	free(order);
	return EXIT_OK;
}
