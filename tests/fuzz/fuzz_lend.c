/*
 * fuzz_lend.c - libFuzzer harness for the lending capture reader
 * (cap_lend: the two-thread pcap-flows hands packets over in the reader's
 * own buffers).  Seeds in tests/fuzz/seeds/fuzz_lend/.
 *
 * An input is two control bytes and a body: byte 0 sets how many packets
 * stay held at once (1 + 8 * byte 0), bit 0 of byte 1 picks a pcap or a
 * pcapng file header, and the body (records or blocks) is repeated after
 * that header to about 20 MiB, more than the 16 MiB a reader may lend,
 * so that the reader refills, changes buffers, reuses them and waits for
 * held ones at every alignment (the seeds jumbo-k* hold more than 16 MiB
 * at once).  The file is read twice:
 * from memory (the reference) and from a memfd with lending on, where
 * each packet is held, its bytes hashed, and released oldest first, by
 * the wait function too.  Checks:
 *   - both reads give the same packets (bytes, offset, time) and the same
 *     end at the same offset;
 *   - a lent packet lies inside the buffer cap_buf names;
 *   - a held packet's bytes do not change until it is released;
 *   - the reader waits only while something is held.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "cap.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define NHELD (1u << 16)      /* more than 1 + 8 * 255 */
#define FILE_BYTES (20u << 20)

struct held {
	const uint8_t *p;
	uint32_t n;
	uint64_t hash;
	int buf;              /* cap_buf's index, -1: not lent */
};

static struct held fifo[NHELD];
static size_t head, tail;
static struct cap *lender;

static void die(const char *what)
{
	fprintf(stderr, "fuzz_lend: %s\n", what);
	abort();
}

/* FNV-1a, 64 bits: a packet's bytes stay the same while held. */
static uint64_t hash(const uint8_t *p, size_t n)
{
	uint64_t h = 0xcbf29ce484222325ull;

	for (size_t i = 0; i < n; i++) h = (h ^ p[i]) * 0x100000001b3ull;
	return h;
}

static uint64_t pkt_sum(const struct cap_pkt *pk)
{
	return hash(pk->data, pk->caplen) ^ (uint64_t)pk->offset * 31 ^ (uint64_t)pk->ts;
}

static void release_oldest(void)
{
	struct held *e = &fifo[head++ % NHELD];

	if (hash(e->p, e->n) != e->hash) die("held bytes changed");
	if (e->buf >= 0) cap_release(lender, e->buf);
}

static void wait_fn(void *ctx)
{
	(void)ctx;
	while (!cap_lend_ready(lender)) {
		if (head == tail) die("the reader waits with nothing held");
		release_oldest();
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	/* pcap: little-endian, version 2.4, snaplen 16 MiB, Ethernet */
	static const uint8_t pcap_hdr[24] = {
		0xd4, 0xc3, 0xb2, 0xa1, 2, 0, 4, 0, 0, 0, 0, 0, 0, 0, 0, 0,
		0, 0, 0, 1, 1, 0, 0, 0,
	};
	/* pcapng: a Section Header Block, an Interface Description Block
	 * (Ethernet, no snaplen) */
	static const uint8_t png_hdr[48] = {
		0x0a, 0x0d, 0x0d, 0x0a, 28, 0, 0, 0, 0x4d, 0x3c, 0x2b, 0x1a, 1, 0, 0, 0,
		0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 28, 0, 0, 0,
		1, 0, 0, 0, 20, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 20, 0, 0, 0,
	};
	const uint8_t *hdr;
	size_t keep, hl, reps, n, nref = 0, refcap = 0, i;
	uint64_t *ref = NULL;
	uint8_t *f;
	struct cap *m;
	struct cap_pkt pk;
	int rc1, rc2, fd;
	int64_t off1;

	if (size < 2) return 0;
	keep = 1 + (size_t)data[0] * 8;
	hdr = data[1] & 1 ? png_hdr : pcap_hdr;
	hl = data[1] & 1 ? sizeof png_hdr : sizeof pcap_hdr;
	data += 2;
	size -= 2;
	reps = size ? FILE_BYTES / size + 1 : 1;
	n = hl + reps * size;
	if ((f = malloc(n)) == NULL) return 0;
	memcpy(f, hdr, hl);
	for (i = 0; i < reps; i++) memcpy(f + hl + i * size, data, size);

	m = cap_open_mem(f, n, "mem");
	if (!m) die("cap_open_mem");
	while ((rc1 = cap_next(m, &pk)) == CAP_OK) {
		if (nref == refcap) {
			refcap = refcap ? 2 * refcap : 1024;
			if ((ref = realloc(ref, refcap * sizeof *ref)) == NULL) die("out of memory");
		}
		ref[nref++] = pkt_sum(&pk);
	}
	off1 = cap_erroff(m);
	cap_close(m, NULL);

	fd = memfd_create("fuzz_lend", 0);
	if (fd < 0 || write(fd, f, n) != (ssize_t)n || lseek(fd, 0, SEEK_SET) != 0) die("memfd");
	lender = cap_open_fd(fd, "fd");
	if (!lender) die("cap_open_fd");
	if (cap_lend(lender, wait_fn, NULL) != 0 && cap_status(lender) == CAP_OK) die("no lending");
	head = tail = 0;
	i = 0;
	while ((rc2 = cap_next(lender, &pk)) == CAP_OK) {
		const uint8_t *start;
		size_t bsize;
		int b = cap_buf(lender, &start, &bsize);

		if (i >= nref || pkt_sum(&pk) != ref[i]) die("the packets differ from a memory read");
		i++;
		if (b >= 0) {
			if (pk.data < start || pk.data + pk.caplen > start + bsize) die("a packet outside its buffer");
			cap_hold(lender, b);
		}
		fifo[tail++ % NHELD] = (struct held){ pk.data, pk.caplen, hash(pk.data, pk.caplen), b };
		while (tail - head > keep) release_oldest();
	}
	while (head != tail) release_oldest();
	if (rc1 != rc2 || i != nref || off1 != cap_erroff(lender)) die("the ends differ from a memory read");
	cap_lend(lender, NULL, NULL);
	cap_close(lender, NULL); /* closes fd */
	free(ref);
	free(f);
	return 0;
}
