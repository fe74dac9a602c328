/*
 * floor - the "flow floor" of the benchmark: the least work a flow meter
 * must do on a capture file, for comparison with pcap-flows.
 *
 *	floor [-d | -b BYTES] FILE
 *
 * Reads FILE with libpcap's pcap_next_ex, decodes Ethernet (802.1Q and
 * 802.1ad tags, MPLS, PPPoE), raw IP or Linux cooked headers, then IPv4 or
 * IPv6 (extension headers skipped) and the TCP/UDP/SCTP ports, and counts
 * packets per 5-tuple (one direction; non-first fragments count with ports
 * 0) in an open-addressing hash table.  By default the file is opened
 * with fopen, given a 1 MiB stdio buffer (setvbuf) and handed to
 * pcap_fopen_offline; -b sets another buffer size; -d uses
 * pcap_open_offline and the default stdio buffer.  Prints one line:
 *
 *	packets=N ip=N flows=N bytes=N span=S seconds=S
 *
 * bytes is the size of the file, span the seconds from its first packet
 * to its last, seconds the time from opening the file to the end of the
 * loop.  Exit 0, or 1 when the file cannot be read.
 */
#include <errno.h>
#include <pcap/pcap.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define KEYLEN 40 /* version, protocol, 2 zero bytes, ports, 16+16 address bytes */

struct slot {
	uint8_t key[KEYLEN];
	uint64_t packets; /* 0: empty slot */
};

static struct slot *tab;
static size_t tab_mask, tab_used;

static uint64_t load64(const uint8_t *p)
{
	uint64_t v;

	memcpy(&v, p, 8); /* a hash input only: byte order does not matter */
	return v;
}

static uint64_t hash_key(const uint8_t *k)
{
	uint64_t h = 0x9e3779b97f4a7c15ull;
	size_t i;

	for (i = 0; i < KEYLEN; i += 8) {
		h ^= load64(k + i);
		h *= 0xff51afd7ed558ccdull;
		h ^= h >> 32;
	}
	return h;
}

static void die(const char *msg)
{
	fprintf(stderr, "floor: %s\n", msg);
	exit(1);
}

static void tab_init(size_t n)
{
	tab = calloc(n, sizeof *tab);
	if (!tab) die("out of memory");
	tab_mask = n - 1;
	tab_used = 0;
}

static void tab_grow(void)
{
	struct slot *old = tab;
	size_t n = tab_mask + 1, i;

	tab_init(2 * n);
	for (i = 0; i < n; i++) {
		if (old[i].packets) {
			size_t j = hash_key(old[i].key) & tab_mask;

			while (tab[j].packets) j = (j + 1) & tab_mask;
			tab[j] = old[i];
			tab_used++;
		}
	}
	free(old);
}

static void count(const uint8_t *k)
{
	size_t j = hash_key(k) & tab_mask;

	for (;;) {
		struct slot *s = &tab[j];

		if (s->packets == 0) {
			memcpy(s->key, k, KEYLEN);
			s->packets = 1;
			if (++tab_used * 2 > tab_mask + 1) tab_grow();
			return;
		}
		if (memcmp(s->key, k, KEYLEN) == 0) {
			s->packets++;
			return;
		}
		j = (j + 1) & tab_mask;
	}
}

static uint16_t rd16(const uint8_t *p) { return (uint16_t)(p[0] << 8 | p[1]); }

/*
 * Build the key of the IP datagram at ip (n captured bytes); false when
 * it is not IPv4/IPv6 or its fixed header is not all there.
 */
static bool ip_key(const uint8_t *ip, uint32_t n, uint8_t *k)
{
	uint32_t off;
	uint8_t proto;
	bool first = true;

	memset(k, 0, KEYLEN);
	if (n < 1) return false;
	if (ip[0] >> 4 == 4) {
		uint32_t ihl = (uint32_t)(ip[0] & 0x0f) * 4;

		if (n < 20 || ihl < 20) return false;
		proto = ip[9];
		first = (rd16(ip + 6) & 0x1fff) == 0;
		memcpy(k + 8, ip + 12, 4);
		memcpy(k + 24, ip + 16, 4);
		k[0] = 4;
		off = ihl;
	} else if (ip[0] >> 4 == 6) {
		if (n < 40) return false;
		proto = ip[6];
		memcpy(k + 8, ip + 8, 16);
		memcpy(k + 24, ip + 24, 16);
		k[0] = 6;
		off = 40;
		/* Hop-by-hop, routing, destination options; fragment; AH. */
		while (proto == 0 || proto == 43 || proto == 60 || proto == 44 || proto == 51) {
			uint32_t len;

			if (off + 8 > n) break;
			if (proto == 44) {
				first = (rd16(ip + off + 2) & 0xfff8) == 0;
				len = 8;
			} else if (proto == 51) {
				len = ((uint32_t)ip[off + 1] + 2) * 4;
			} else {
				len = ((uint32_t)ip[off + 1] + 1) * 8;
			}
			proto = ip[off];
			off += len;
		}
	} else {
		return false;
	}
	k[1] = proto;
	if (first && (proto == 6 || proto == 17 || proto == 132) && off + 4 <= n) {
		memcpy(k + 4, ip + off, 4); /* source and destination port */
	}
	return true;
}

/* The IP datagram of a frame: its offset, or -1 when the frame holds none. */
static long ip_offset(int dlt, const uint8_t *p, uint32_t n)
{
	uint32_t off;
	uint16_t type;

	switch (dlt) {
	case DLT_EN10MB:
		if (n < 14) return -1;
		type = rd16(p + 12);
		off = 14;
		while (type == 0x8100 || type == 0x88a8 || type == 0x9100) {
			if (off + 4 > n) return -1;
			type = rd16(p + off + 2);
			off += 4;
		}
		if (type == 0x8847 || type == 0x8848) { /* MPLS: labels to the bottom of the stack */
			do {
				if (off + 4 > n) return -1;
				off += 4;
			} while (!(p[off - 2] & 1));
			return off < n && (p[off] >> 4 == 4 || p[off] >> 4 == 6) ? (long)off : -1;
		}
		if (type == 0x8864) { /* PPPoE session: 6-byte header, then the PPP protocol */
			if (off + 8 > n) return -1;
			type = rd16(p + off + 6);
			off += 8;
			return type == 0x0021 || type == 0x0057 ? (long)off : -1;
		}
		return type == 0x0800 || type == 0x86dd ? (long)off : -1;
	case DLT_LINUX_SLL:
		if (n < 16) return -1;
		type = rd16(p + 14);
		return type == 0x0800 || type == 0x86dd ? 16 : -1;
	case DLT_RAW:
#ifdef DLT_IPV4
	case DLT_IPV4:
	case DLT_IPV6:
#endif
		return 0;
	default:
		return -1;
	}
}

int main(int argc, char **argv)
{
	char err[PCAP_ERRBUF_SIZE];
	const char *path;
	size_t bufsize = 1u << 20;
	bool dflt = false;
	pcap_t *pc;
	FILE *fp = NULL;
	char *iobuf = NULL;
	struct pcap_pkthdr *h;
	const u_char *data;
	uint64_t packets = 0, ip = 0;
	double first = 0, last = 0;
	struct timespec t0, t1;
	struct stat sb;
	uint8_t key[KEYLEN];
	int c, dlt, rc;

	while ((c = getopt(argc, argv, "db:")) != -1) {
		switch (c) {
		case 'd': dflt = true; break;
		case 'b': {
			char *end;
			unsigned long long v;

			errno = 0;
			v = strtoull(optarg, &end, 10);
			if (errno || end == optarg || *end || v < 1 || v > (1ull << 30) || optarg[0] == '-')
				die("-b: not a buffer size in bytes (1 .. 2^30)");
			bufsize = (size_t)v;
			break;
		}
		default:
			fputs("usage: floor [-d | -b BYTES] FILE\n", stderr);
			return 2;
		}
	}
	if (optind + 1 != argc) {
		fputs("usage: floor [-d | -b BYTES] FILE\n", stderr);
		return 2;
	}
	path = argv[optind];
	tab_init(1u << 16);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	if (dflt) {
		pc = pcap_open_offline(path, err);
	} else {
		fp = fopen(path, "rb");
		if (!fp) {
			fprintf(stderr, "floor: %s: %s\n", path, strerror(errno));
			return 1;
		}
		iobuf = malloc(bufsize);
		if (!iobuf || setvbuf(fp, iobuf, _IOFBF, bufsize) != 0) die("cannot set the buffer");
		pc = pcap_fopen_offline(fp, err); /* owns fp from here */
	}
	if (!pc) {
		fprintf(stderr, "floor: %s: %s\n", path, err);
		return 1;
	}
	dlt = pcap_datalink(pc);
	while ((rc = pcap_next_ex(pc, &h, &data)) == 1) {
		long off = ip_offset(dlt, data, h->caplen);

		last = (double)h->ts.tv_sec + (double)h->ts.tv_usec / 1e6;
		if (packets++ == 0) first = last;
		if (off >= 0 && ip_key(data + off, h->caplen - (uint32_t)off, key)) {
			ip++;
			count(key);
		}
	}
	if (rc == -1) fprintf(stderr, "floor: %s: %s\n", path, pcap_geterr(pc));
	pcap_close(pc);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	free(iobuf);
	if (stat(path, &sb) < 0) sb.st_size = 0;
	printf("packets=%llu ip=%llu flows=%llu bytes=%lld span=%.6f seconds=%.6f\n",
	    (unsigned long long)packets, (unsigned long long)ip, (unsigned long long)tab_used,
	    (long long)sb.st_size, last - first,
	    (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9);
	free(tab);
	return rc == -1 ? 1 : 0;
}
