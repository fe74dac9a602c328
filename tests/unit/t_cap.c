/*
 * t_cap.c - tests of the capture reader (common/cap.c).
 *
 *   t_cap                   built-in tests on captures made in memory (TAP)
 *   t_cap -p FILE|-         list packets as tshark -T fields would:
 *                           number, wire length, captured length, time
 *                           (s.nnnnnnnnn), interface id (pcapng), link type;
 *                           the end of the input goes to stderr as
 *                           "end: EOF" or "end: TRUNC|ERR OFFSET MESSAGE"
 *   t_cap -d FILE           the same through cap, in the columns of -l
 *   t_cap -l FILE           list packets with libpcap (pcap_next_ex)
 *   t_cap -P DIR FILE...    -p, -d and -l of every file into DIR/NAME.{p,pe,d,de,l,le}
 *   t_cap -s FILE...        TAP: each file read from a path, a descriptor,
 *                           memory and a pipe gives the same packets and end
 *   t_cap -f EXPR FILE      numbers of the packets a BPF filter passes (cap_bpf)
 *   t_cap -F EXPR FILE      the same with libpcap's own filtering
 *   t_cap -w DIR            write the synthetic captures into DIR (fuzzer seeds)
 *
 * Link types are printed as numbers, except the raw-IP family (12, 14, 101)
 * printed as "raw", because libpcap reports them as platform DLT_ values.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <pcap/pcap.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include <zlib.h>

#include "cap.h"

/* ---- TAP ---- */

static int t_n, t_failed;

static void t_ok(int cond, int line, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static void t_ok(int cond, int line, const char *fmt, ...)
{
	va_list ap;

	t_n++;
	printf("%sok %d - ", cond ? "" : "not ", t_n);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
	if (!cond) {
		t_failed++;
		printf("#   failed at t_cap.c line %d\n", line);
	}
}

static void t_is(long long got, long long want, int line, const char *what)
{
	t_ok(got == want, line, "%s", what);
	if (got != want)
		printf("#   got %lld, want %lld\n", got, want);
}

static void t_like(const char *got, const char *want, int line, const char *what)
{
	int m = got && strstr(got, want) != NULL;
	t_ok(m, line, "%s", what);
	if (!m)
		printf("#   got \"%s\", wanted it to contain \"%s\"\n", got ? got : "(null)", want);
}

#define ok(cond, ...) t_ok(!!(cond), __LINE__, __VA_ARGS__)
#define is(got, want, what) t_is((long long)(got), (long long)(want), __LINE__, what)
#define like(got, want, what) t_like(got, want, __LINE__, what)

/* ---- a byte writer for building captures ---- */

struct wb {
	uint8_t *p;
	size_t n, cap;
	bool be;
};

static void wb_put(struct wb *b, const void *v, size_t n)
{
	if (b->cap - b->n < n) {
		size_t nc = b->cap ? b->cap : 256;
		while (nc - b->n < n)
			nc *= 2;
		b->p = realloc(b->p, nc);
		if (!b->p)
			abort();
		b->cap = nc;
	}
	memcpy(b->p + b->n, v, n);
	b->n += n;
}

static void w8(struct wb *b, uint8_t v) { wb_put(b, &v, 1); }
static void w16(struct wb *b, uint16_t v)
{
	uint8_t x[2];
	for (int i = 0; i < 2; i++)
		x[b->be ? 1 - i : i] = (uint8_t)(v >> (8 * i));
	wb_put(b, x, 2);
}
static void w32(struct wb *b, uint32_t v)
{
	uint8_t x[4];
	for (int i = 0; i < 4; i++)
		x[b->be ? 3 - i : i] = (uint8_t)(v >> (8 * i));
	wb_put(b, x, 4);
}
static void w64(struct wb *b, uint64_t v)
{
	uint8_t x[8];
	for (int i = 0; i < 8; i++)
		x[b->be ? 7 - i : i] = (uint8_t)(v >> (8 * i));
	wb_put(b, x, 8);
}
static void wfill(struct wb *b, size_t n, uint8_t seed)
{
	for (size_t i = 0; i < n; i++)
		w8(b, (uint8_t)(seed + i * 7));
}
static void wpatch32(struct wb *b, size_t at, uint32_t v)
{
	for (int i = 0; i < 4; i++)
		b->p[at + (size_t)(b->be ? 3 - i : i)] = (uint8_t)(v >> (8 * i));
}

/* Every block end written, for the prefix tests: a read may end cleanly there. */
static size_t g_ends[128], g_nends;

/* pcapng block: begin returns the start; end pads, writes and patches the length. */
static size_t blk_begin(struct wb *b, uint32_t type)
{
	size_t at = b->n;
	w32(b, type);
	w32(b, 0);
	return at;
}
static void blk_end(struct wb *b, size_t at)
{
	while (b->n % 4)
		w8(b, 0);
	w32(b, (uint32_t)(b->n - at + 4));
	wpatch32(b, at + 4, (uint32_t)(b->n - at));
	if (g_nends < sizeof g_ends / sizeof g_ends[0])
		g_ends[g_nends++] = b->n;
}
static void opt(struct wb *b, uint16_t code, const void *v, uint16_t len)
{
	w16(b, code);
	w16(b, len);
	wb_put(b, v, len);
	while (len++ % 4)
		w8(b, 0);
}
static void shb(struct wb *b, bool be)
{
	size_t at;
	b->be = be;
	at = blk_begin(b, 0x0A0D0D0A);
	w32(b, 0x1A2B3C4D);
	w16(b, 1);
	w16(b, 0);
	w64(b, UINT64_MAX);
	opt(b, 4, "t_cap", 5);  /* shb_userappl */
	w32(b, 0);              /* opt_endofopt */
	blk_end(b, at);
}
static void idb(struct wb *b, uint16_t lt, uint32_t snap, int tsresol, int64_t tsoff)
{
	size_t at = blk_begin(b, 1);
	w16(b, lt);
	w16(b, 0);
	w32(b, snap);
	opt(b, 2, "eth9", 4);  /* if_name */
	if (tsresol >= 0) {
		uint8_t r = (uint8_t)tsresol;
		opt(b, 9, &r, 1);
	}
	if (tsoff) {
		struct wb t = { 0 };
		t.be = b->be;
		w64(&t, (uint64_t)tsoff);
		opt(b, 14, t.p, 8);
		free(t.p);
	}
	blk_end(b, at);
}
static void epb(struct wb *b, uint32_t ifid, uint64_t ts, uint32_t caplen, uint32_t orig, uint8_t seed)
{
	size_t at = blk_begin(b, 6);
	w32(b, ifid);
	w32(b, (uint32_t)(ts >> 32));
	w32(b, (uint32_t)ts);
	w32(b, caplen);
	w32(b, orig);
	wfill(b, caplen, seed);
	while (b->n % 4)
		w8(b, 0);
	opt(b, 1, "hi", 2);  /* opt_comment */
	blk_end(b, at);
}

/* ---- listing packets ---- */

static const char *ltname(int lt, char *tmp, size_t n)
{
	if (lt == 12 || lt == 14 || lt == 101)
		return "raw";
	snprintf(tmp, n, "%d", lt);
	return tmp;
}

static void print_ts(FILE *o, int64_t ts)
{
	if (ts < 0)
		fprintf(o, "-%" PRId64 ".%09" PRId64, -ts / 1000000000, -ts % 1000000000);
	else
		fprintf(o, "%" PRId64 ".%09" PRId64, ts / 1000000000, ts % 1000000000);
}

static void print_end(FILE *o, struct cap *c, int rc)
{
	static const char *nm[] = { "OK", "EOF", "TIMEOUT", "TRUNC", "ERR" };
	if (rc == CAP_EOF)
		fprintf(o, "end: EOF\n");
	else
		fprintf(o, "end: %s %" PRId64 " %s\n", nm[rc], cap_erroff(c), cap_errmsg(c));
}

/* -p: the tshark-like listing. */
static int list_cap(const char *path, FILE *o, FILE *e)
{
	struct cap *c = cap_open(path);
	struct cap_pkt pk;
	uint64_t n = 0;
	char tmp[16];
	int rc;

	if (!c)
		return 2;
	while ((rc = cap_next(c, &pk)) == CAP_OK) {
		struct cap_iface fi;
		fprintf(o, "%" PRIu64 "\t%u\t%u\t", ++n, pk.wirelen, pk.caplen);
		if (!(pk.flags & CAP_PKT_NOTS))
			print_ts(o, pk.ts);
		fprintf(o, "\t");
		if (cap_format(c) == CAP_FMT_PCAPNG && cap_iface_info(c, pk.ifindex, &fi) == 0)
			fprintf(o, "%u", fi.local_id);
		fprintf(o, "\t%s\n", ltname(pk.linktype, tmp, sizeof tmp));
	}
	print_end(e, c, rc);
	cap_close(c, NULL);
	return 0;
}

/* -d: cap in the columns libpcap can give. */
static int list_cap_d(const char *path, FILE *o, FILE *e)
{
	struct cap *c = cap_open(path);
	struct cap_pkt pk;
	uint64_t n = 0;
	char tmp[16];
	int rc;

	if (!c)
		return 2;
	while ((rc = cap_next(c, &pk)) == CAP_OK) {
		fprintf(o, "%" PRIu64 "\t%u\t%u\t", ++n, pk.wirelen, pk.caplen);
		print_ts(o, pk.ts);
		fprintf(o, "\t%s\n", ltname(pk.linktype, tmp, sizeof tmp));
	}
	print_end(e, c, rc);
	cap_close(c, NULL);
	return 0;
}

/* -l: libpcap's view. */
static int list_pcap(const char *path, FILE *o, FILE *e)
{
	char eb[PCAP_ERRBUF_SIZE];
	pcap_t *p = pcap_open_offline_with_tstamp_precision(path, PCAP_TSTAMP_PRECISION_NANO, eb);
	struct pcap_pkthdr *h;
	const u_char *d;
	uint64_t n = 0;
	char tmp[16];
	uint8_t magic[4];
	bool pcapfile = false;
	FILE *fp;
	int r;

	if (!p) {
		fprintf(e, "end: OPEN %s\n", eb);
		return 0;
	}
	/* libpcap makes the 32-bit seconds of a pcap record signed (the
	 * format, and cap, have them unsigned): undo that for comparing. */
	fp = fopen(path, "rb");
	if (fp && fread(magic, 1, 4, fp) == 4 && memcmp(magic, "\x0a\x0d\x0d\x0a", 4) != 0)
		pcapfile = true;
	if (fp)
		fclose(fp);
	while ((r = pcap_next_ex(p, &h, &d)) == 1) {
		int64_t sec = pcapfile ? (int64_t)(uint32_t)h->ts.tv_sec : (int64_t)h->ts.tv_sec;
		fprintf(o, "%" PRIu64 "\t%u\t%u\t", ++n, h->len, h->caplen);
		print_ts(o, sec * 1000000000 + h->ts.tv_usec);
		fprintf(o, "\t%s\n", ltname(cap_dlt_to_linktype(pcap_datalink(p)), tmp, sizeof tmp));
	}
	if (r == PCAP_ERROR_BREAK)
		fprintf(e, "end: EOF\n");
	else
		fprintf(e, "end: ERR %s\n", pcap_geterr(p));
	pcap_close(p);
	return 0;
}

/*
 * -P DIR FILE...: the three listings of every file in one process (a
 * sanitized process takes long to start): DIR/NAME.p and .pe (-p: packets,
 * end), .d and .de (-d), .l and .le (-l).
 */
static int list_all(const char *dir, int n, char **files)
{
	static const char *ext[6] = { "p", "pe", "d", "de", "l", "le" };

	for (int i = 0; i < n; i++) {
		const char *b = strrchr(files[i], '/') ? strrchr(files[i], '/') + 1 : files[i];
		FILE *f[6];
		char path[4096];
		for (int k = 0; k < 6; k++) {
			snprintf(path, sizeof path, "%s/%s.%s", dir, b, ext[k]);
			f[k] = fopen(path, "w");
			if (!f[k]) {
				fprintf(stderr, "t_cap: %s: %s\n", path, strerror(errno));
				return 2;
			}
		}
		list_cap(files[i], f[0], f[1]);
		list_cap_d(files[i], f[2], f[3]);
		list_pcap(files[i], f[4], f[5]);
		for (int k = 0; k < 6; k++)
			if (fclose(f[k]) != 0)
				return 2;
	}
	return 0;
}

/* -F with libpcap's own filter: numbers of passing packets among all. */
static int filter_pcap(const char *expr, const char *path)
{
	char eb[PCAP_ERRBUF_SIZE];
	pcap_t *p = pcap_open_offline(path, eb);
	struct bpf_program prog;
	struct pcap_pkthdr *h;
	const u_char *d;
	uint64_t n = 0;

	if (!p) {
		fprintf(stderr, "%s\n", eb);
		return 2;
	}
	if (pcap_compile(p, &prog, expr, 1, PCAP_NETMASK_UNKNOWN) < 0) {
		fprintf(stderr, "filter: %s\n", pcap_geterr(p));
		return 2;
	}
	while (pcap_next_ex(p, &h, &d) == 1) {
		n++;
		if (pcap_offline_filter(&prog, h, d))
			printf("%" PRIu64 "\n", n);
	}
	pcap_freecode(&prog);
	pcap_close(p);
	return 0;
}

/* -f: cap_bpf over cap. */
static int filter_cap(const char *expr, const char *path)
{
	char err[512];
	struct cap_bpf *f = cap_bpf_new(expr, err, sizeof err);
	struct cap *c;
	struct cap_pkt pk;
	uint64_t n = 0;
	int rc;

	if (!f) {
		fprintf(stderr, "filter: %s\n", err);
		return 2;
	}
	c = cap_open(path);
	while ((rc = cap_next(c, &pk)) == CAP_OK) {
		int m = cap_bpf_match(f, &pk);
		n++;
		if (m < 0)
			fprintf(stderr, "warning: %s\n", cap_bpf_errmsg(f));
		if (m > 0)
			printf("%" PRIu64 "\n", n);
	}
	print_end(stderr, c, rc);
	cap_close(c, NULL);
	cap_bpf_free(f);
	return 0;
}

/* ---- digests of a whole read, for comparing input paths ---- */

struct digest {
	uint64_t n, h;
	int rc;
	int64_t off;
	char msg[200];
	struct cap_stats st;
};

static uint64_t fnv(uint64_t h, const void *p, size_t n)
{
	const uint8_t *s = p;
	for (size_t i = 0; i < n; i++)
		h = (h ^ s[i]) * 0x100000001b3ull;
	return h;
}

static void digest_cap(struct cap *c, struct digest *d)
{
	struct cap_pkt pk;
	const char *m;

	memset(d, 0, sizeof *d);
	d->h = 0xcbf29ce484222325ull;
	while ((d->rc = cap_next(c, &pk)) == CAP_OK) {
		uint64_t f[7] = { (uint64_t)pk.ts, pk.offset, pk.caplen, pk.wirelen, pk.ifindex, pk.linktype,
		                  (uint64_t)(pk.fcslen + 1) | (uint64_t)pk.flags << 8 };
		d->n++;
		d->h = fnv(d->h, f, sizeof f);
		d->h = fnv(d->h, pk.data, pk.caplen);
	}
	d->off = cap_erroff(c);
	/* The message starts with the name, which differs between paths. */
	m = strstr(cap_errmsg(c), ": ");
	snprintf(d->msg, sizeof d->msg, "%s", m ? m : "");
	cap_close(c, &d->st);
	d->st.bytes_read = 0;  /* a reader may stop reading at different points */
}

static bool digest_eq(const struct digest *a, const struct digest *b)
{
	return a->n == b->n && a->h == b->h && a->rc == b->rc && a->off == b->off &&
	       strcmp(a->msg, b->msg) == 0 && a->st.packets == b->st.packets &&
	       a->st.bytes == b->st.bytes && a->st.truncated == b->st.truncated &&
	       a->st.skipped == b->st.skipped && a->st.interfaces == b->st.interfaces;
}

static uint64_t rng_state = 0x9e3779b97f4a7c15ull;
static uint32_t rnd(void)
{
	rng_state ^= rng_state << 13;
	rng_state ^= rng_state >> 7;
	rng_state ^= rng_state << 17;
	return (uint32_t)rng_state;
}

/* A reader on a pipe fed by a child in chunks of random sizes (1 .. maxchunk). */
static struct cap *open_pipe(const uint8_t *p, size_t n, size_t maxchunk, pid_t *child)
{
	int fds[2];
	pid_t pid;

	if (pipe(fds) < 0)
		return NULL;
	fflush(stdout);
	pid = fork();
	if (pid == 0) {
		size_t o = 0;
		close(fds[0]);
		while (o < n) {
			size_t k = 1 + rnd() % maxchunk;
			if (k > n - o)
				k = n - o;
			if (write(fds[1], p + o, k) != (ssize_t)k)
				_exit(1);
			o += k;
		}
		_exit(0);
	}
	close(fds[1]);
	*child = pid;
	return cap_open_fd(fds[0], "pipe");
}

static void reap(pid_t pid)
{
	int st;
	/* The reader may stop before the writer is done (an error): let it end. */
	kill(pid, SIGTERM);
	waitpid(pid, &st, 0);
}

/* Compare every input path on the same bytes; tmpdir holds a copy as a file. */
static bool same_all_paths(const uint8_t *p, size_t n, const char *label, struct digest *out)
{
	struct digest dm, df, dd, dp, dq;
	char path[] = "/tmp/t_cap.XXXXXX";
	int fd = mkstemp(path);
	pid_t pid;
	bool ok = true;

	if (fd < 0 || write(fd, p, n) != (ssize_t)n) {
		printf("# cannot write a temporary file: %s\n", strerror(errno));
		return false;
	}
	close(fd);
	digest_cap(cap_open_mem(p, n, "mem"), &dm);
	digest_cap(cap_open(path), &df);
	digest_cap(cap_open_fd(open(path, O_RDONLY), "fd"), &dd);
	digest_cap(open_pipe(p, n, 9000, &pid), &dp);
	reap(pid);
	if (n < (1u << 16)) {  /* a few bytes at a time is slow; small inputs are enough for it */
		digest_cap(open_pipe(p, n, 7, &pid), &dq);
		reap(pid);
	} else {
		dq = dm;
	}
	unlink(path);
	if (!digest_eq(&dm, &df) || !digest_eq(&dm, &dd) || !digest_eq(&dm, &dp) || !digest_eq(&dm, &dq)) {
		printf("# %s: paths differ: mem %" PRIu64 "/%d, path %" PRIu64 "/%d, fd %" PRIu64
		       "/%d, pipe %" PRIu64 "/%d, slow pipe %" PRIu64 "/%d\n",
		       label, dm.n, dm.rc, df.n, df.rc, dd.n, dd.rc, dp.n, dp.rc, dq.n, dq.rc);
		ok = false;
	}
	if (out)
		*out = dm;
	return ok;
}

static int check_files(int argc, char **argv)
{
	for (int i = 0; i < argc; i++) {
		struct digest d;
		uint8_t *p = NULL;
		size_t n = 0, cap = 0;
		int fd = open(argv[i], O_RDONLY);
		ssize_t r;

		if (fd < 0) {
			ok(0, "%s: %s", argv[i], strerror(errno));
			continue;
		}
		for (;;) {
			if (cap - n < 65536) {
				cap = cap ? cap * 2 : 1 << 20;
				p = realloc(p, cap);
				if (!p)
					abort();
			}
			r = read(fd, p + n, cap - n);
			if (r <= 0)
				break;
			n += (size_t)r;
		}
		close(fd);
		ok(same_all_paths(p, n, argv[i], &d), "%s: path, descriptor, memory and pipe agree "
		   "(%" PRIu64 " packets, end %d%s)", argv[i], d.n, d.rc, d.msg);
		free(p);
	}
	printf("1..%d\n", t_n);
	return t_failed ? 1 : 0;
}

/* ---- built-in tests ---- */

struct want {
	int64_t ts;
	uint32_t caplen, wirelen, ifindex;
	uint16_t linktype;
	int fcslen;
	uint8_t seed;
};

/* Read a capture from memory and compare it with the expected packets. */
static void expect(const uint8_t *p, size_t n, const struct want *w, size_t nw, int end, const char *what)
{
	struct cap *c = cap_open_mem(p, n, what);
	struct cap_pkt pk;
	size_t i = 0;
	bool good = true;
	int rc;

	while ((rc = cap_next(c, &pk)) == CAP_OK) {
		if (i >= nw) {
			good = false;
			printf("# %s: extra packet %zu\n", what, i);
			break;
		}
		if (pk.ts != w[i].ts || pk.caplen != w[i].caplen || pk.wirelen != w[i].wirelen ||
		    pk.ifindex != w[i].ifindex || pk.linktype != w[i].linktype || pk.fcslen != w[i].fcslen) {
			printf("# %s: packet %zu: ts %" PRId64 " caplen %u wirelen %u if %u lt %u fcs %d; want "
			       "%" PRId64 " %u %u %u %u %d\n", what, i, pk.ts, pk.caplen, pk.wirelen, pk.ifindex,
			       pk.linktype, pk.fcslen, w[i].ts, w[i].caplen, w[i].wirelen, w[i].ifindex,
			       w[i].linktype, w[i].fcslen);
			good = false;
		}
		for (uint32_t k = 0; k < pk.caplen; k++)
			if (pk.data[k] != (uint8_t)(w[i].seed + k * 7)) {
				printf("# %s: packet %zu: data differ at byte %u\n", what, i, k);
				good = false;
				break;
			}
		i++;
	}
	ok(good && i == nw && rc == end, "%s: %zu packets, end %d", what, nw, end);
	if (rc != end || i != nw)
		printf("#   got %zu packets, end %d: %s\n", i, rc, cap_errmsg(c));
	cap_close(c, NULL);
}

/* Read and expect a given end, offset and message. */
static void expect_end(const uint8_t *p, size_t n, uint64_t npk, int end, int64_t off, const char *msg,
                       const char *what)
{
	struct cap *c = cap_open_mem(p, n, "x");
	struct cap_pkt pk;
	uint64_t k = 0;
	int rc;

	while ((rc = cap_next(c, &pk)) == CAP_OK)
		k++;
	ok(k == npk && rc == end && cap_erroff(c) == off && strstr(cap_errmsg(c), msg),
	   "%s: %" PRIu64 " packets then %s", what, npk, msg);
	if (!(k == npk && rc == end && cap_erroff(c) == off && strstr(cap_errmsg(c), msg)))
		printf("#   got %" PRIu64 " packets, end %d, \"%s\"\n", k, rc, cap_errmsg(c));
	is(cap_next(c, &pk), end, "the end repeats");
	cap_close(c, NULL);
}

/* With libpcap reading the same bytes: same packets and times. */
static void same_as_libpcap(const uint8_t *p, size_t n, const char *what)
{
	char eb[PCAP_ERRBUF_SIZE];
	FILE *fp = fmemopen((void *)(uintptr_t)p, n, "rb");
	pcap_t *pc = fp ? pcap_fopen_offline_with_tstamp_precision(fp, PCAP_TSTAMP_PRECISION_NANO, eb) : NULL;
	struct cap *c = cap_open_mem(p, n, what);
	struct pcap_pkthdr *h;
	const u_char *d;
	struct cap_pkt pk;
	uint64_t k = 0;
	bool good = pc != NULL;

	while (good && pcap_next_ex(pc, &h, &d) == 1) {
		int64_t ts = (int64_t)h->ts.tv_sec * 1000000000 + h->ts.tv_usec;
		if (cap_next(c, &pk) != CAP_OK || pk.ts != ts || pk.caplen != h->caplen ||
		    pk.wirelen != h->len || memcmp(pk.data, d, h->caplen) != 0) {
			printf("# %s: packet %" PRIu64 " differs from libpcap's\n", what, k);
			good = false;
		}
		k++;
	}
	ok(good && cap_next(c, &pk) == CAP_EOF && k > 0, "%s: same %" PRIu64 " packets as libpcap", what, k);
	if (pc)
		pcap_close(pc);
	else if (fp)
		fclose(fp);
	cap_close(c, NULL);
}

/* The n bytes at p as one gzip member into out (of cap bytes); its length. */
static size_t gz_member(const uint8_t *p, size_t n, uint8_t *out, size_t cap)
{
	z_stream zs;
	size_t len;

	memset(&zs, 0, sizeof zs);
	if (deflateInit2(&zs, 6, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) != Z_OK)
		abort();
	zs.next_in = (Bytef *)(uintptr_t)p;
	zs.avail_in = (uInt)n;
	zs.next_out = out;
	zs.avail_out = (uInt)cap;
	if (deflate(&zs, Z_FINISH) != Z_STREAM_END)
		abort();
	len = cap - zs.avail_out;
	deflateEnd(&zs);
	return len;
}

static void test_pcap_variants(void)
{
	static const struct { uint32_t magic; bool be, nsec, mod; const char *name; } v[] = {
		{ 0xa1b2c3d4, false, false, false, "pcap us little-endian" },
		{ 0xa1b2c3d4, true, false, false, "pcap us big-endian" },
		{ 0xa1b23c4d, false, true, false, "pcap ns little-endian" },
		{ 0xa1b23c4d, true, true, false, "pcap ns big-endian" },
		{ 0xa1b2cd34, false, false, true, "modified pcap little-endian" },
		{ 0xa1b2cd34, true, false, true, "modified pcap big-endian" },
	};
	for (size_t i = 0; i < sizeof v / sizeof v[0]; i++) {
		struct wb b = { 0 };
		struct want w[4];
		b.be = v[i].be;
		w32(&b, v[i].magic);
		w16(&b, 2);
		w16(&b, 4);
		w32(&b, 0);
		w32(&b, 0);
		w32(&b, 96);
		w32(&b, 1);
		for (int k = 0; k < 4; k++) {
			uint32_t sec = 1700000000u + (uint32_t)k * 4000000u, frac = 999999u - (uint32_t)k;
			uint32_t cl = k == 2 ? 0 : 40u + (uint32_t)k * 17, wl = k == 1 ? 1514 : cl;
			w32(&b, sec);
			w32(&b, frac);
			w32(&b, cl);
			w32(&b, wl);
			if (v[i].mod) {
				w32(&b, 3);
				w16(&b, 0x0800);
				w8(&b, 0);
				w8(&b, 0);
			}
			wfill(&b, cl, (uint8_t)(k * 31));
			w[k].ts = (int64_t)sec * 1000000000 + (int64_t)frac * (v[i].nsec ? 1 : 1000);
			w[k].caplen = cl;
			w[k].wirelen = wl;
			w[k].ifindex = 0;
			w[k].linktype = 1;
			w[k].fcslen = -1;
			w[k].seed = (uint8_t)(k * 31);
		}
		expect(b.p, b.n, w, 4, CAP_EOF, v[i].name);
		same_as_libpcap(b.p, b.n, v[i].name);
		free(b.p);
	}
}

static void pcap_hdr(struct wb *b, bool be, uint16_t major, uint16_t minor, uint32_t snap, uint32_t lt)
{
	b->be = be;
	w32(b, 0xa1b2c3d4);
	w16(b, major);
	w16(b, minor);
	w32(b, 0);
	w32(b, 0);
	w32(b, snap);
	w32(b, lt);
}

static void pcap_rec(struct wb *b, uint32_t sec, uint32_t us, uint32_t incl, uint32_t orig, uint8_t seed,
                     uint32_t real)
{
	w32(b, sec);
	w32(b, us);
	w32(b, incl);
	w32(b, orig);
	wfill(b, real, seed);
}

static void test_pcap_header_fields(void)
{
	struct wb b = { 0 };
	struct want w[2] = {
		{ 1000000000, 10, 20, 0, 105, 4, 1 },
		{ 2000000000, 30, 30, 0, 105, 4, 2 },
	};

	/* FCS length present (bit 26), 2 16-bit words (bits 28-31). */
	pcap_hdr(&b, false, 2, 4, 65535, 105 | 0x04000000u | 2u << 28);
	pcap_rec(&b, 1, 0, 10, 20, 1, 10);
	pcap_rec(&b, 2, 0, 30, 30, 2, 30);
	expect(b.p, b.n, w, 2, CAP_EOF, "link type with an FCS length");
	free(b.p);

	/* Version 2.2: lengths stored the other way round (libpcap swaps them). */
	memset(&b, 0, sizeof b);
	pcap_hdr(&b, true, 2, 2, 65535, 105);
	pcap_rec(&b, 1, 0, 20, 10, 1, 10);
	pcap_rec(&b, 2, 0, 30, 30, 2, 30);
	w[0].fcslen = w[1].fcslen = -1;
	expect(b.p, b.n, w, 2, CAP_EOF, "version 2.2 swaps the lengths");
	free(b.p);

	/* Version 2.3: swapped only when incl_len > orig_len. */
	memset(&b, 0, sizeof b);
	pcap_hdr(&b, false, 2, 3, 65535, 105);
	pcap_rec(&b, 1, 0, 20, 10, 1, 10);
	pcap_rec(&b, 2, 0, 30, 30, 2, 30);
	expect(b.p, b.n, w, 2, CAP_EOF, "version 2.3 swaps lengths when incl > orig");
	same_as_libpcap(b.p, b.n, "version 2.3");
	free(b.p);

	/* gzip members back to back (as cat a.gz b.gz) are one capture; the
	 * packets' offsets are those of the decompressed bytes. */
	memset(&b, 0, sizeof b);
	pcap_hdr(&b, false, 2, 4, 65535, 105);
	pcap_rec(&b, 1, 0, 10, 20, 1, 10);
	pcap_rec(&b, 2, 0, 30, 30, 2, 30);
	{
		uint8_t z[1024];
		size_t half = b.n / 2, zn = gz_member(b.p, half, z, sizeof z);
		zn += gz_member(b.p + half, b.n - half, z + zn, sizeof z - zn);
		expect(z, zn, w, 2, CAP_EOF, "two gzip members");
		expect_end(z, zn - 3, 2, CAP_TRUNC, -1, "x: gzip: file ends inside the compressed data",
		           "gzip cut in its trailer: every packet, then the truncation");
		z[zn - 5] ^= 1;  /* the second member's CRC-32 */
		expect_end(z, zn, 2, CAP_ERR, -1, "x: gzip: corrupt data at byte", "a bad gzip CRC");
	}
	free(b.p);

	/* A snapshot length above 256 KiB allows records up to it. */
	memset(&b, 0, sizeof b);
	pcap_hdr(&b, false, 2, 4, 300000, 1);
	pcap_rec(&b, 1, 0, 299999, 299999, 5, 299999);
	pcap_rec(&b, 2, 0, 300001, 300001, 5, 300001);
	expect_end(b.p, b.n, 1, CAP_ERR, 24 + 16 + 299999, "exceeds the maximum of 300000",
	           "records up to a large snapshot length");
	free(b.p);
}

static void test_pcap_errors(void)
{
	struct wb b = { 0 };
	uint8_t gz[] = { 0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 3 };
	uint8_t flow[] = { 0x89, 'F', 'L', 'O', 'W', 0x0d, 0x0a, 0x1a, 0, 0 };
	struct cap *c;

	pcap_hdr(&b, false, 1, 0, 65535, 1);
	expect_end(b.p, b.n, 0, CAP_ERR, 4, "unsupported pcap version 1.0", "version 1");
	free(b.p);
	memset(&b, 0, sizeof b);
	pcap_hdr(&b, true, 3, 0, 65535, 1);
	expect_end(b.p, b.n, 0, CAP_ERR, 4, "unsupported pcap version 3.0", "version 3");
	free(b.p);
	memset(&b, 0, sizeof b);
	pcap_hdr(&b, false, 2, 4, 65535, 0x00300000);
	expect_end(b.p, b.n, 0, CAP_ERR, 20, "reserved bits set in the link-type field (0x00300000)",
	           "reserved link-type bits");
	free(b.p);
	memset(&b, 0, sizeof b);
	pcap_hdr(&b, false, 2, 4, 65535, 1);
	pcap_rec(&b, 1, 0, 60, 60, 0, 60);
	pcap_rec(&b, 1, 0, CAP_MAX_PKT + 1, 60, 0, 0);
	expect_end(b.p, b.n, 1, CAP_ERR, 24 + 76, "record of 262145 captured bytes exceeds the maximum of 262144",
	           "huge record length");
	free(b.p);

	expect_end((const uint8_t *)"", 0, 0, CAP_ERR, -1, "empty file", "empty input");
	expect_end(gz, sizeof gz, 0, CAP_TRUNC, -1, "x: gzip: file ends inside the compressed data (at byte 10)",
	           "a gzip header alone");
	expect_end(flow, sizeof flow, 0, CAP_ERR, -1, "flowrec stream", "a flowrec stream");
	expect_end((const uint8_t *)"hello, world\n", 13, 0, CAP_ERR, -1,
	           "not a pcap or pcapng file (it starts with 68 65 6c 6c 6f 2c 20 77)", "text");
	expect_end((const uint8_t *)"\xd4\xc3\xb2\xa1\x02\x00", 6, 0, CAP_TRUNC, 0,
	           "file ends inside the pcap file header (6 of 24 bytes)", "cut in the file header");
	expect_end((const uint8_t *)"\xd4\xc3", 2, 0, CAP_ERR, -1, "not a pcap or pcapng file (it starts with d4 c3)",
	           "two bytes");

	c = cap_open("/nonexistent/t_cap");
	ok(c && cap_status(c) == CAP_ERR && strcmp(cap_errmsg(c), "/nonexistent/t_cap: No such file or directory") == 0,
	   "a missing file: \"%s\"", c ? cap_errmsg(c) : "");
	cap_close(c, NULL);
	c = cap_open("/");
	like(cap_errmsg(c), "/: is a directory", "a directory");
	cap_close(c, NULL);
}

/* Every prefix of a capture: the complete packets, then EOF at a boundary, TRUNC elsewhere. */
static void test_prefixes(const uint8_t *p, size_t n, const size_t *bounds, size_t nb,
                          const size_t *clean, size_t nclean, const char *what)
{
	bool good = true;

	for (size_t len = 0; len <= n; len++) {
		struct cap *c = cap_open_mem(p, len, "prefix");
		struct cap_pkt pk;
		size_t k = 0, want = 0;
		bool at_bound = false;
		int rc, want_rc;

		while ((rc = cap_next(c, &pk)) == CAP_OK)
			k++;
		for (size_t i = 0; i < nb; i++) {
			if (bounds[i] <= len)
				want = i + 1;
		}
		for (size_t i = 0; i < nclean; i++)
			if (clean[i] == len)
				at_bound = true;
		want_rc = at_bound ? CAP_EOF : len < 4 ? CAP_ERR : CAP_TRUNC;
		if (k != want || rc != want_rc) {
			printf("# %s: prefix of %zu bytes: %zu packets, end %d (%s); want %zu, %d\n",
			       what, len, k, rc, cap_errmsg(c), want, want_rc);
			good = false;
		}
		cap_close(c, NULL);
	}
	ok(good, "%s: every prefix of %zu bytes keeps the complete packets", what, n);
}

/* A pcapng with two sections of different byte orders and mixed link types. */
static void build_png(struct wb *b, struct want *w, size_t *nw, size_t *bounds, size_t *hdr)
{
	size_t at, k = 0;

	shb(b, false);
	idb(b, 1, 0, -1, 0);            /* if 0: Ethernet, microseconds */
	*hdr = b->n;
	idb(b, 101, 128, 9, 100);       /* if 1: raw IP, ns, +100 s */
	idb(b, 0, 65535, 0x80 | 10, 0); /* if 2: BSD loopback, 1/1024 s */
	epb(b, 0, 1700000000123456ull, 60, 60, 1);
	w[k++] = (struct want){ 1700000000123456000, 60, 60, 0, 1, -1, 1 };
	bounds[0] = b->n;
	epb(b, 1, 1700000000123456789ull, 33, 1500, 2);
	w[k++] = (struct want){ 1700000100123456789, 33, 1500, 1, 101, -1, 2 };
	bounds[1] = b->n;
	at = blk_begin(b, 4);  /* name resolution: skipped */
	w16(b, 1); w16(b, 8); w32(b, 0x0a000001); wb_put(b, "abc", 4); w32(b, 0);
	blk_end(b, at);
	epb(b, 2, 1024ull * 1700000000 + 512, 0, 0, 3);
	w[k++] = (struct want){ 1700000000500000000, 0, 0, 2, 0, -1, 3 };
	bounds[2] = b->n;
	at = blk_begin(b, 5);  /* interface statistics: skipped */
	w32(b, 0); w32(b, 0); w32(b, 0); w32(b, 0);
	blk_end(b, at);
	at = blk_begin(b, 0x40000BAD);  /* custom: skipped */
	w32(b, 32473); wfill(b, 9, 0);
	blk_end(b, at);
	at = blk_begin(b, 0x12345678);  /* unknown: skipped */
	blk_end(b, at);
	at = blk_begin(b, 2);  /* obsolete packet block on if 1 */
	w16(b, 1); w16(b, 0); w32(b, 0); w32(b, 5); w32(b, 7); w32(b, 9); wfill(b, 7, 4);
	blk_end(b, at);
	w[k++] = (struct want){ 100000000005, 7, 9, 1, 101, -1, 4 };
	bounds[3] = b->n;
	at = blk_begin(b, 3);  /* simple packet block: if 0, no time */
	w32(b, 70); wfill(b, 70, 5);
	blk_end(b, at);
	w[k++] = (struct want){ 0, 70, 70, 0, 1, -1, 5 };
	bounds[4] = b->n;

	shb(b, true);  /* second section, big-endian: interfaces start again */
	idb(b, 113, 50, 3, -10);  /* milliseconds, -10 s */
	epb(b, 0, 1700000000123ull, 50, 1000, 6);
	w[k++] = (struct want){ 1699999990123000000, 50, 1000, 3, 113, -1, 6 };
	bounds[5] = b->n;
	at = blk_begin(b, 3);  /* original 80 bytes, snapshot length 50 */
	w32(b, 80); wfill(b, 52, 7);
	blk_end(b, at);
	w[k++] = (struct want){ 0, 50, 80, 3, 113, -1, 7 };
	bounds[6] = b->n;
	*nw = k;
}

static void test_pcapng(void)
{
	struct wb b = { 0 };
	struct want w[16];
	size_t bounds[16], nw, hdr;
	struct cap *c;
	struct cap_pkt pk;
	struct cap_iface fi;
	struct cap_stats st;
	int i = 0;

	g_nends = 0;
	build_png(&b, w, &nw, bounds, &hdr);
	expect(b.p, b.n, w, nw, CAP_EOF, "pcapng: two sections, both byte orders, mixed link types");
	/* Every block boundary ends cleanly. */
	test_prefixes(b.p, b.n, bounds, nw, g_ends, g_nends, "pcapng");
	ok(same_all_paths(b.p, b.n, "pcapng", NULL), "pcapng: path, descriptor, memory and pipe agree");

	c = cap_open_mem(b.p, b.n, "png");
	is(cap_format(c), CAP_FMT_PCAPNG, "pcapng format");
	while (cap_next(c, &pk) == CAP_OK) {
		i++;
		if (i == 2) {
			ok(cap_iface_info(c, pk.ifindex, &fi) == 0 && fi.section == 0 && fi.local_id == 1 &&
			   fi.snaplen == 128 && fi.tsresol == 9 && fi.tsoffset == 100, "interface 1 of section 0");
			ok(pk.offset == bounds[0], "offset of the second packet block");
		}
		if (i == 5)
			ok(pk.flags & CAP_PKT_NOTS, "a simple packet block has no time stamp");
		if (i == 6) {
			ok(cap_iface_info(c, pk.ifindex, &fi) == 0 && fi.section == 1 && fi.local_id == 0 &&
			   fi.linktype == 113, "interface 0 of section 1 is the file's interface 3");
			ok(cap_iface_info(c, 0, &fi) == -1, "interfaces of an earlier section are forgotten");
		}
	}
	cap_close(c, &st);
	ok(st.packets == 7 && st.sections == 2 && st.interfaces == 4 && st.skipped == 4 && st.truncated == 4 &&
	   st.bytes == 60 + 33 + 0 + 7 + 70 + 50 + 50 && st.bytes_read == b.n,
	   "pcapng statistics (%" PRIu64 " packets, %" PRIu64 " sections, %" PRIu64 " interfaces, %" PRIu64
	   " skipped, %" PRIu64 " truncated)", st.packets, st.sections, st.interfaces, st.skipped, st.truncated);
	free(b.p);
}

static void test_pcapng_errors(void)
{
	struct wb b = { 0 };
	size_t base, at;
	uint32_t blen, blen2;
	char msg[128];

	/* Length checks on a block after a valid SHB + IDB. */
	static const struct { uint32_t len; const char *msg; } bad[] = {
		{ 8, "with a bad length (8)" },
		{ 14, "with a bad length (14)" },
		{ 0x7ffffff0, "with a bad length (2147483632)" },
		{ 16 * 1024 * 1024 + 4, "with a bad length (16777220)" },
	};
	shb(&b, false);
	idb(&b, 1, 0, -1, 0);
	base = b.n;
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		b.n = base;
		w32(&b, 6);
		w32(&b, bad[i].len);
		wfill(&b, 64, 0);
		expect_end(b.p, b.n, 0, CAP_ERR, (int64_t)base, bad[i].msg, "bad block length");
	}
	/* Trailing length differs. */
	b.n = base;
	epb(&b, 0, 0, 10, 10, 0);
	blen = (uint32_t)(b.n - base);
	wpatch32(&b, b.n - 4, blen + 4);
	snprintf(msg, sizeof msg, "block length %u at the end differs from %u", blen + 4, blen);
	expect_end(b.p, b.n, 0, CAP_ERR, (int64_t)base, msg, "trailer");
	/* Captured length overruns the block. */
	b.n = base;
	epb(&b, 0, 0, 10, 10, 0);
	epb(&b, 0, 0, 8, 8, 0);
	blen2 = (uint32_t)(b.n - base - blen);
	wpatch32(&b, base + blen + 20, 65536);
	snprintf(msg, sizeof msg, "captured length 65536 overruns its %u-byte block", blen2);
	expect_end(b.p, b.n, 1, CAP_ERR, (int64_t)(base + blen), msg, "captured length past the block");
	/* Unknown interface, packet before any interface. */
	b.n = base;
	epb(&b, 1, 0, 8, 8, 0);
	expect_end(b.p, b.n, 0, CAP_ERR, (int64_t)base, "packet for interface 1, but 1 interface is defined",
	           "unknown interface");
	b.n = 0;
	shb(&b, true);
	base = b.n;
	at = blk_begin(&b, 3);
	w32(&b, 4); w32(&b, 0);
	blk_end(&b, at);
	expect_end(b.p, b.n, 0, CAP_ERR, (int64_t)base, "but 0 interfaces are defined", "packet before interfaces");
	/* A truncated block keeps what came before. */
	b.n = 0;
	shb(&b, false);
	idb(&b, 1, 0, -1, 0);
	epb(&b, 0, 0, 10, 10, 0);
	base = b.n;
	epb(&b, 0, 0, 10, 10, 0);
	snprintf(msg, sizeof msg, "file ends inside a block (%u of %u bytes)", blen - 1, blen);
	expect_end(b.p, b.n - 1, 1, CAP_TRUNC, (int64_t)base, msg, "cut in a block");
	expect_end(b.p, base + 5, 1, CAP_TRUNC, (int64_t)base, "file ends inside a block header (5 of 8 bytes)",
	           "cut in a block header");
	/* Option overruns, bad option lengths, version, byte-order magic. */
	b.n = 0;
	shb(&b, false);
	b.p[24 + 2] = 0xff;  /* the shb_userappl option's length */
	expect_end(b.p, b.n, 0, CAP_ERR, 24, "option 4 of length 255 overruns its block", "SHB option overrun");
	b.n = 0;
	shb(&b, false);
	base = b.n;
	at = blk_begin(&b, 1);
	w16(&b, 1); w16(&b, 0); w32(&b, 0);
	opt(&b, 9, "\x06\x06", 2);
	blk_end(&b, at);
	expect_end(b.p, b.n, 0, CAP_ERR, (int64_t)base + 16, "if_tsresol option of length 2", "if_tsresol length");
	b.n = 0;
	shb(&b, false);
	b.p[12] = 2;
	expect_end(b.p, b.n, 0, CAP_ERR, 12, "unsupported pcapng version 2.0", "pcapng version 2.0");
	b.p[12] = 1;
	b.p[8] = 0x11;
	expect_end(b.p, b.n, 0, CAP_ERR, 0, "bad byte-order magic", "bad byte-order magic");
	b.p[8] = 0x4d;
	expect_end(b.p, 10, 0, CAP_TRUNC, 0, "file ends inside a section header block (10 of 12 bytes)",
	           "cut in the SHB");
	/* A second SHB with a bad length. */
	b.n = 0;
	shb(&b, false);
	base = b.n;
	shb(&b, true);
	wpatch32(&b, base + 4, 20);
	expect_end(b.p, b.n, 0, CAP_ERR, (int64_t)base, "section header block with a bad length (20)",
	           "second SHB too short");
	free(b.p);
}

static void test_big_blocks(void)
{
	/* Packets larger than the buffer and many small ones across refills. */
	struct wb b = { 0 };
	struct want w[64];
	size_t k = 0;

	shb(&b, false);
	idb(&b, 1, 0, 9, 0);
	for (int i = 0; i < 40; i++) {
		uint32_t n = i == 7 ? 3 * 1024 * 1024 + 3 : i == 20 ? 9 * 1024 * 1024 : 60000u + (uint32_t)i * 1013;
		epb(&b, 0, (uint64_t)i, n, n, (uint8_t)i);
		w[k++] = (struct want){ i, n, n, 0, 1, -1, (uint8_t)i };
	}
	expect(b.p, b.n, w, k, CAP_EOF, "pcapng blocks larger than the buffer");
	ok(same_all_paths(b.p, b.n, "big pcapng", NULL), "big pcapng: path, descriptor, memory and pipe agree");
	free(b.p);

	memset(&b, 0, sizeof b);
	pcap_hdr(&b, true, 2, 4, 262144, 1);
	k = 0;
	for (int i = 0; i < 60; i++) {
		uint32_t n = i % 3 == 0 ? 262144 : 1 + (uint32_t)i * 977 % 1500;
		pcap_rec(&b, (uint32_t)i, 0, n, n, (uint8_t)i, n);
		w[k++] = (struct want){ (int64_t)i * 1000000000, n, n, 0, 1, -1, (uint8_t)i };
	}
	expect(b.p, b.n, w, k, CAP_EOF, "pcap records across buffer refills");
	ok(same_all_paths(b.p, b.n, "big pcap", NULL), "big pcap: path, descriptor, memory and pipe agree");
	free(b.p);
}

static void test_pcap_prefixes(void)
{
	struct wb b = { 0 };
	size_t bounds[3];

	pcap_hdr(&b, false, 2, 4, 65535, 1);
	pcap_rec(&b, 1, 0, 30, 30, 0, 30);
	bounds[0] = b.n;
	pcap_rec(&b, 2, 0, 0, 0, 0, 0);
	bounds[1] = b.n;
	pcap_rec(&b, 3, 0, 17, 99, 0, 17);
	bounds[2] = b.n;
	{
		size_t clean[4] = { 24, bounds[0], bounds[1], bounds[2] };
		test_prefixes(b.p, b.n, bounds, 3, clean, 4, "pcap");
	}
	expect_end(b.p, b.n - 3, 2, CAP_TRUNC, 24 + 46 + 16, "file ends inside a record (30 of 33 bytes)",
	           "pcap cut inside a record");
	expect_end(b.p, 24 + 46 + 16 + 5, 2, CAP_TRUNC, 24 + 46 + 16,
	           "file ends inside a record header (5 of 16 bytes)", "pcap cut inside a record header");
	free(b.p);
}

static void test_tsresol(void)
{
	static const struct { int res; uint64_t t; int64_t off, want; } v[] = {
		{ 0, 5, 0, 5000000000 },
		{ 3, 5, 0, 5000000 },
		{ 6, 5, 0, 5000 },
		{ 9, 5, 0, 5 },
		{ 12, 5999, 0, 5 },
		{ 0x80, 3, 0, 3000000000 },
		{ 0x80 | 1, 3, 0, 1500000000 },
		{ 0x80 | 30, (uint64_t)1 << 29, 0, 500000000 },
		{ 0x80 | 30, ((uint64_t)1700000000 << 30) + ((uint64_t)1 << 29), 0, 1700000000500000000 },
		{ 0x80 | 40, (uint64_t)3 << 39, 0, 1500000000 },
		{ 0x80 | 64, UINT64_MAX, 0, 999999999 },
		{ 6, 0, -1, -1000000000 },
		{ 100, 123, 0, 0 },
	};
	for (size_t i = 0; i < sizeof v / sizeof v[0]; i++) {
		struct wb b = { 0 };
		struct want w = { v[i].want, 4, 4, 0, 1, -1, 9 };
		char what[64];
		shb(&b, i % 2 == 1);
		idb(&b, 1, 0, v[i].res, v[i].off);
		epb(&b, 0, v[i].t, 4, 4, 9);
		snprintf(what, sizeof what, "if_tsresol 0x%02x, if_tsoffset %lld", v[i].res, (long long)v[i].off);
		expect(b.p, b.n, &w, 1, CAP_EOF, what);
		free(b.p);
	}
}

static const uint8_t eth_tcp80[] = {
	0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 0x08, 0x00,
	0x45, 0, 0, 40, 0, 1, 0, 0, 64, 6, 0, 0, 10, 0, 0, 1, 10, 0, 0, 2,
	0x30, 0x39, 0, 80, 0, 0, 0, 1, 0, 0, 0, 0, 0x50, 0x02, 0x20, 0, 0, 0, 0, 0,
};

static void test_bpf(void)
{
	char err[512];
	struct cap_bpf *f = cap_bpf_new("tcp port 80", err, sizeof err);
	struct cap_bpf *g;
	struct cap_pkt pk = { 0 };
	uint8_t nul[4 + 40];

	ok(f != NULL, "a filter compiles");
	pk.data = eth_tcp80;
	pk.caplen = pk.wirelen = sizeof eth_tcp80;
	pk.linktype = 1;
	is(cap_bpf_match(f, &pk), 1, "Ethernet TCP port 80 passes");
	pk.data = eth_tcp80 + 14;
	pk.caplen = pk.wirelen = sizeof eth_tcp80 - 14;
	pk.linktype = 101;
	is(cap_bpf_match(f, &pk), 1, "raw IP (101) TCP port 80 passes");
	pk.linktype = 12;
	is(cap_bpf_match(f, &pk), 1, "raw IP (12) TCP port 80 passes");
	pk.linktype = 228;
	is(cap_bpf_match(f, &pk), 1, "IPv4 (228) TCP port 80 passes");
	nul[0] = 2; nul[1] = nul[2] = nul[3] = 0;  /* AF_INET, host order of a little-endian writer */
	memcpy(nul + 4, eth_tcp80 + 14, 40);
	pk.data = nul;
	pk.caplen = pk.wirelen = sizeof nul;
	pk.linktype = 0;
	is(cap_bpf_match(f, &pk), 1, "BSD loopback TCP port 80 passes");
	nul[4 + 9] = 17;  /* now UDP */
	is(cap_bpf_match(f, &pk), 0, "BSD loopback UDP does not");
	nul[4 + 9] = 6;
	nul[0] = 0; nul[3] = 2;  /* AF_INET written by a big-endian host */
	is(cap_bpf_match(f, &pk), 0, "BSD loopback from a big-endian writer, read as little-endian: no");
	pk.flags = CAP_PKT_BE;
	is(cap_bpf_match(f, &pk), 1, "and with CAP_PKT_BE: yes");
	pk.flags = 0;
	pk.data = eth_tcp80;
	pk.caplen = pk.wirelen = sizeof eth_tcp80;
	pk.linktype = 1;
	pk.caplen = 30;  /* cut before the ports */
	is(cap_bpf_match(f, &pk), 0, "a packet cut before the ports does not pass");
	cap_bpf_free(f);

	g = cap_bpf_new("tcp port", err, sizeof err);
	ok(g == NULL && err[0], "a bad filter is refused: %s", err);
	g = cap_bpf_new("ether host 00:01:02:03:04:05", err, sizeof err);
	ok(g != NULL, "an Ethernet-only filter compiles");
	pk.linktype = 1;
	is(cap_bpf_match(g, &pk), 1, "and matches on Ethernet");
	pk.linktype = 101;
	is(cap_bpf_match(g, &pk), -1, "it cannot apply to raw IP: -1 once");
	like(cap_bpf_errmsg(g), "link type 101", cap_bpf_errmsg(g));
	is(cap_bpf_match(g, &pk), 0, "then 0");
	for (int lt = 300; lt < 400; lt++) {  /* more link types than the cache holds */
		pk.linktype = (uint16_t)lt;
		cap_bpf_match(g, &pk);
	}
	pk.linktype = 1;
	is(cap_bpf_match(g, &pk), 1, "still matches after the cache turned over");
	cap_bpf_free(g);
}

static struct cap *live_cap;
static void on_alarm(int sig)
{
	(void)sig;
	cap_breakloop(live_cap);
}

static void test_live(void)
{
	struct cap *c = cap_open_live("t_cap_no_such_if0", 0, 0, NULL);
	struct cap_pkt pk;
	struct cap_stats st;
	struct sockaddr_in sa;
	struct sigaction act;
	int s, rc, got = 0, timeouts = 0, bad = 0;
	unsigned port = 40000 + (unsigned)getpid() % 20000;
	char expr[64];

	ok(c && cap_status(c) == CAP_ERR && cap_next(c, &pk) == CAP_ERR && cap_errmsg(c)[0],
	   "live capture on a missing interface: %s", c ? cap_errmsg(c) : "");
	cap_close(c, NULL);

	/* On the loopback interface, where allowed: a filter, packets, quiet
	 * periods, and a stop from a signal handler. */
	snprintf(expr, sizeof expr, "udp dst port %u", port);
	live_cap = cap_open_live("lo", 0, 0, expr);
	if (!live_cap || cap_status(live_cap) != CAP_OK) {
		printf("ok %d # SKIP live capture on lo: %s\n", ++t_n, live_cap ? cap_errmsg(live_cap) : "");
		cap_close(live_cap, NULL);
		return;
	}
	s = socket(AF_INET, SOCK_DGRAM, 0);
	memset(&sa, 0, sizeof sa);
	sa.sin_family = AF_INET;
	sa.sin_port = htons((uint16_t)port);
	sa.sin_addr.s_addr = htonl(0x7f000001);
	for (int i = 0; i < 3; i++)
		if (sendto(s, "t_cap", 5, 0, (struct sockaddr *)&sa, sizeof sa) != 5)
			bad++;
	close(s);
	memset(&act, 0, sizeof act);
	act.sa_handler = on_alarm;
	sigaction(SIGALRM, &act, NULL);
	alarm(1);
	while ((rc = cap_next(live_cap, &pk)) == CAP_OK || rc == CAP_TIMEOUT) {
		if (rc == CAP_TIMEOUT) {
			timeouts++;
			continue;
		}
		got++;
		if (pk.linktype != 1 || pk.caplen != 14 + 20 + 8 + 5 || memcmp(pk.data + 42, "t_cap", 5) != 0)
			bad++;
	}
	alarm(0);
	cap_close(live_cap, &st);
	ok(got == 3 && bad == 0, "live capture on lo: the 3 packets sent, filtered in the kernel (%d)", got);
	ok(timeouts >= 3, "cap_next returns CAP_TIMEOUT on a quiet link (%d in 1 s)", timeouts);
	is(rc, CAP_EOF, "cap_breakloop in a signal handler ends the capture");
	ok(st.packets == 3 && st.recv >= 3, "live statistics (%" PRIu64 " packets, %" PRIu64 " received by the filter)",
	   st.packets, st.recv);
}

static void test_mutations(void)
{
	/* Random damage to valid captures: every read ends, no packet overruns the input. */
	struct wb b = { 0 };
	struct want w[16];
	size_t bounds[16], nw, hdr;
	bool good = true;

	build_png(&b, w, &nw, bounds, &hdr);
	for (int it = 0; it < 3000; it++) {
		uint8_t *m = malloc(b.n);
		struct cap *c;
		struct cap_pkt pk;
		int rc, guard = 0;
		memcpy(m, b.p, b.n);
		for (int k = 0; k < 1 + it % 4; k++)
			m[rnd() % b.n] = (uint8_t)rnd();
		c = cap_open_mem(m, b.n, "m");
		while ((rc = cap_next(c, &pk)) == CAP_OK && guard++ < 100)
			if (pk.data < m || pk.data + pk.caplen > m + b.n)
				good = false;
		if (rc == CAP_OK)
			good = false;
		cap_close(c, NULL);
		free(m);
	}
	ok(good, "3000 damaged captures read without overruns");
	free(b.p);
}

/* -w DIR: the synthetic captures, as seeds for the fuzzer. */
static int write_seeds(const char *dir)
{
	struct wb b = { 0 };
	struct want w[16];
	size_t bounds[16], nw, hdr, at;
	char path[4096];
	int bad = 0;
	struct { const char *name; struct wb b; } out[4];

	build_png(&b, w, &nw, bounds, &hdr);
	out[0].name = "synthetic_2sections.pcapng";
	out[0].b = b;
	memset(&b, 0, sizeof b);
	b.be = true;
	w32(&b, 0xa1b2cd34);
	w16(&b, 2); w16(&b, 4); w32(&b, 0); w32(&b, 0); w32(&b, 65535); w32(&b, 1);
	w32(&b, 1); w32(&b, 2); w32(&b, 14); w32(&b, 14); w32(&b, 3); w16(&b, 0x800); w8(&b, 0); w8(&b, 0);
	wfill(&b, 14, 1);
	out[1].name = "synthetic_modified.pcap";
	out[1].b = b;
	memset(&b, 0, sizeof b);
	pcap_hdr(&b, false, 2, 3, 65535, 105 | 0x04000000u | 2u << 28);
	pcap_rec(&b, 1, 0, 20, 10, 1, 10);
	pcap_rec(&b, 2, 0, 30, 30, 2, 30);
	out[2].name = "synthetic_v23_fcs.pcap";
	out[2].b = b;
	memset(&b, 0, sizeof b);
	shb(&b, true);
	idb(&b, 0, 0, 0x80 | 20, -5);
	at = blk_begin(&b, 2);
	w16(&b, 0); w16(&b, 0); w32(&b, 1); w32(&b, 5); w32(&b, 8); w32(&b, 8); wfill(&b, 8, 4);
	blk_end(&b, at);
	epb(&b, 0, 1, 4, 4, 1);
	out[3].name = "synthetic_pow2_opb.pcapng";
	out[3].b = b;
	for (int i = 0; i < 4; i++) {
		FILE *fp;
		snprintf(path, sizeof path, "%s/%s", dir, out[i].name);
		fp = fopen(path, "wb");
		if (!fp || fwrite(out[i].b.p, 1, out[i].b.n, fp) != out[i].b.n || fclose(fp) != 0) {
			fprintf(stderr, "t_cap: %s: %s\n", path, strerror(errno));
			bad = 1;
		}
		free(out[i].b.p);
	}
	return bad;
}

int main(int argc, char **argv)
{
	if (argc == 3 && strcmp(argv[1], "-p") == 0)
		return list_cap(argv[2], stdout, stderr);
	if (argc == 3 && strcmp(argv[1], "-d") == 0)
		return list_cap_d(argv[2], stdout, stderr);
	if (argc == 3 && strcmp(argv[1], "-l") == 0)
		return list_pcap(argv[2], stdout, stderr);
	if (argc >= 3 && strcmp(argv[1], "-P") == 0)
		return list_all(argv[2], argc - 3, argv + 3);
	if (argc == 4 && strcmp(argv[1], "-f") == 0)
		return filter_cap(argv[2], argv[3]);
	if (argc == 4 && strcmp(argv[1], "-F") == 0)
		return filter_pcap(argv[2], argv[3]);
	if (argc == 3 && strcmp(argv[1], "-w") == 0)
		return write_seeds(argv[2]);
	if (argc >= 2 && strcmp(argv[1], "-s") == 0)
		return check_files(argc - 2, argv + 2);
	if (argc != 1) {
		fprintf(stderr, "usage: t_cap [-p|-d|-l FILE | -P DIR FILE... | -s FILE... | -f|-F EXPR FILE | -w DIR]\n");
		return 2;
	}
	setvbuf(stdout, NULL, _IOLBF, 0);
	test_pcap_variants();
	test_pcap_header_fields();
	test_pcap_errors();
	test_pcap_prefixes();
	test_pcapng();
	test_pcapng_errors();
	test_tsresol();
	test_big_blocks();
	test_bpf();
	test_live();
	test_mutations();
	printf("1..%d\n", t_n);
	return t_failed ? 1 : 0;
}
