/*
 * fuzz_cap.c - libFuzzer harness for the capture reader (make fuzz; seeds
 * in tests/fuzz/seeds/fuzz_cap/: small real captures from tests/data and
 * the synthetic ones "t_cap -w DIR" writes).
 *
 * Every input is read as a capture file twice: from memory (cap_open_mem)
 * and from a file descriptor (a memfd, so the buffer refill code runs), to
 * the end or the first error.  Besides "no crash, no sanitizer report", it
 * checks what callers rely on:
 *   - every packet lies inside the input, after its record's offset;
 *   - a TRUNC or ERR end always comes with a message, and repeats;
 *   - the statistics count the packets returned;
 *   - both paths give the same packets and the same end;
 *   - a BPF filter can run on every packet returned.
 * Inputs compressed with gzip, zstd or xz (seeds *.gz, *.zst, *.xz) are
 * decompressed by the reader (common/zread.c): the same checks, except
 * that packets are then outside the input.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "cap.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct cap_bpf *filter;

static void die(const char *what)
{
	fprintf(stderr, "fuzz_cap: %s\n", what);
	abort();
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	char err[512];

	filter = cap_bpf_new("ip or ip6 or arp or tcp port 80", err, sizeof err);
	if (!filter)
		die(err);
	return 0;
}

static uint64_t fnv(uint64_t h, const void *p, size_t n)
{
	const uint8_t *s = p;
	for (size_t i = 0; i < n; i++)
		h = (h ^ s[i]) * 0x100000001b3ull;
	return h;
}

struct run {
	uint64_t n, h;
	int rc;
	int64_t off;
};

static void read_all(struct cap *c, const uint8_t *data, size_t size, struct run *r)
{
	struct cap_pkt pk;
	struct cap_stats st;

	if (!c)
		die("out of memory");
	r->n = 0;
	r->h = 0xcbf29ce484222325ull;
	/* Compressed input: packets are in the reader's buffer, at offsets
	 * of the decompressed bytes. */
	if (cap_compression(c))
		data = NULL, size = SIZE_MAX;
	while ((r->rc = cap_next(c, &pk)) == CAP_OK) {
		uint64_t f[5] = { (uint64_t)pk.ts, pk.offset, pk.wirelen, pk.ifindex,
		                  (uint64_t)pk.linktype << 16 | (uint8_t)pk.fcslen << 8 | pk.flags };
		r->n++;
		if (pk.offset >= size || pk.caplen > size - pk.offset)
			die("packet past the end of the input");
		if (data) {
			if (pk.data < data + pk.offset || pk.data + pk.caplen > data + size)
				die("packet data outside the input");
		}
		r->h = fnv(r->h, f, sizeof f);
		r->h = fnv(r->h, pk.data, pk.caplen);  /* touches every byte (ASan) */
		(void)cap_bpf_match(filter, &pk);
	}
	r->off = cap_erroff(c);
	if (r->rc == CAP_TRUNC || r->rc == CAP_ERR) {
		if (!cap_errmsg(c)[0])
			die("an error without a message");
		if (cap_next(c, &pk) != r->rc)
			die("the end does not repeat");
	} else if (r->rc != CAP_EOF) {
		die("a file read returned neither a packet nor an end");
	}
	cap_close(c, &st);
	if (st.packets != r->n)
		die("statistics disagree with the packets returned");
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct run a, b;
	int fd;

	read_all(cap_open_mem(data, size, "fuzz"), data, size, &a);

	fd = memfd_create("fuzz_cap", 0);
	if (fd < 0)
		return 0;
	if (write(fd, data, size) != (ssize_t)size || lseek(fd, 0, SEEK_SET) != 0) {
		close(fd);
		return 0;
	}
	read_all(cap_open_fd(fd, "fuzz"), NULL, size, &b);
	if (a.n != b.n || a.h != b.h || a.rc != b.rc || a.off != b.off)
		die("memory and descriptor reads differ");
	return 0;
}
