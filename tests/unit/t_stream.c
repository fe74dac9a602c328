/*
 * t_stream.c - tests of the stream layer above the codec (stream.h):
 * the record numbers in messages (rs_recno, rs_error, the reader's own
 * errors) on streams with a damaged first, second and last record; the
 * writer's rw_abandon (a failed transform's output must read as
 * truncated); and the input loop over operands (rs_in_*).  Prints TAP;
 * run by tests/stream.t as $FK_BIN/unit/t_stream.
 *
 * The streams are written by the writer into files in a temporary
 * directory, so that the input loop reads real files, "-" and
 * directories.
 */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "bytes.h"
#include "cli.h"
#include "rec.h"
#include "stream.h"

#include "tap.h"

static char dir[64];

/* is_str(got, want, fmt, ...): strings compared, both shown when they differ. */
#define is_str(got, want, ...) do { \
	const char *g_ = (got), *w_ = (want); \
	if (!tap_result(strcmp(g_, w_) == 0, __LINE__, __VA_ARGS__)) \
		printf("#   got  '%s'\n#   want '%s'\n", g_, w_); \
} while (0)

static char *path_in(const char *name)
{
	static char p[4][128];
	static unsigned k;
	char *s = p[k++ % 4];

	snprintf(s, sizeof p[0], "%s/%s", dir, name);
	return s;
}

static void flow(struct rec_flow *f, uint16_t sport)
{
	memset(f, 0, sizeof *f);
	f->ipv = 4;
	f->proto = 17;
	f->src[0] = 10;
	f->dst[0] = 10;
	f->dst[3] = 1;
	f->sport = sport;
	f->dport = 53;
	f->first_ns = 1000;
	f->last_ns = 2000;
	f->pkts[0] = 1;
	f->bytes[0] = 60;
}

/*
 * Write a stream to dir/name from a script, one letter a step: H a header,
 * F a flow, E an end record, A rw_abandon.  The writer is closed at the end.
 */
static void write_script(const char *name, const char *script)
{
	FILE *fp = fopen(path_in(name), "wb");
	struct rs_writer *w = rs_wopen(fp, name, "t_stream");
	struct rec_flow f;
	uint16_t port = 1000;

	for (; *script; script++) {
		switch (*script) {
		case 'H': rs_write_header(w, NULL); break;
		case 'F': flow(&f, port++); rs_write_flow(w, &f); break;
		case 'E': rs_write_end(w); break;
		case 'A': rw_abandon(w); break;
		}
	}
	rs_wclose(w);
	fclose(fp);
}

/* The whole file dir/name in b. */
static void slurp(const char *name, struct buf *b)
{
	FILE *fp = fopen(path_in(name), "rb");
	uint8_t tmp[4096];
	size_t n;

	buf_reset(b);
	while (fp && (n = fread(tmp, 1, sizeof tmp, fp)) > 0) buf_put(b, tmp, n);
	if (fp) fclose(fp);
}

/*
 * Read a stream held in memory; the record types go into types as letters
 * (H, F, E), then '!' and the message when it fails.
 */
static const char *read_mem(const uint8_t *p, size_t n)
{
	static char out[600];
	struct rs_reader *r = rs_memopen(p, n, "mem");
	struct rs_item it;
	size_t k = 0;
	int t;

	rs_quiet(r);
	while ((t = rs_next(r, &it)) > 0 && k < 64)
		out[k++] = t == RS_HEADER ? 'H' : t == RS_FLOW ? 'F' : 'E';
	out[k] = 0;
	if (t == RS_ERR) snprintf(out + k, sizeof out - k, "!%s", rs_errmsg(r));
	rs_close(r);
	return out;
}

static const char *read_file(const char *name)
{
	struct buf b = { 0 };
	static char out[600];

	slurp(name, &b);
	snprintf(out, sizeof out, "%s", read_mem(b.p, b.len));
	buf_free(&b);
	return out;
}

/* What rs_error prints to stderr, caught in a file. */
static const char *caught_rs_error(const struct rs_reader *r)
{
	static char out[600];
	int save = dup(2), fd = open(path_in("stderr"), O_RDWR | O_CREAT | O_TRUNC, 0600);
	ssize_t n;

	fflush(stderr);
	dup2(fd, 2);
	rs_error(r, "test message");
	fflush(stderr);
	dup2(save, 2);
	close(save);
	n = pread(fd, out, sizeof out - 1, 0);
	close(fd);
	out[n > 0 ? n : 0] = 0;
	if (n > 0 && out[n - 1] == '\n') out[n - 1] = 0;
	return out;
}

static void test_numbers(void)
{
	struct rs_reader *r;
	struct rs_item it;
	struct buf b = { 0 }, c = { 0 };
	uint64_t hl = 0, want;
	char msg[300];
	int t, k = 0;

	write_script("s.flows", "HFFFE");
	slurp("s.flows", &b);
	hl = be32(b.p);
	ok(b.len == hl + 3 * REC_FLOW_CORE + REC_END_LEN, "stream of a header, 3 flows, an end: %zu bytes",
	    b.len);

	r = rs_open(path_in("s.flows"));
	ok(r && rs_recno(r) == 0, "rs_recno is 0 before the first record");
	while (r && (t = rs_next(r, &it)) > 0) {
		k++;
		if (rs_recno(r) != (uint64_t)k) break;
		if (k == 1 || k == 2 || k == 5) {
			want = k == 1 ? 0 : k == 2 ? hl : b.len - REC_END_LEN;
			snprintf(msg, sizeof msg, "t_stream: %s: offset %llu: record %d: test message",
			    path_in("s.flows"), (unsigned long long)want, k);
			is_str(caught_rs_error(r), msg, "rs_error after record %d (%s) names record %d", k,
			    k == 1 ? "the header" : k == 2 ? "the first flow" : "the end", k);
		}
	}
	ok(k == 5, "rs_recno counts records of every type from 1 (%d of 5)", k);
	rs_close(r);

	/* The reader's own errors: a damaged first, second and last record. */
	buf_reset(&c);
	buf_put(&c, b.p, b.len);
	c.p[7] = 1;
	is_str(read_mem(c.p, c.len), "!mem: offset 0: record 1: reserved prefix bytes are not zero",
	    "damaged header: record 1");
	memcpy(c.p, b.p, b.len);
	c.p[hl + 7] = 1;
	snprintf(msg, sizeof msg, "H!mem: offset %llu: record 2: reserved prefix bytes are not zero",
	    (unsigned long long)hl);
	is_str(read_mem(c.p, c.len), msg, "damaged first flow: record 2");
	memcpy(c.p, b.p, b.len);
	c.p[b.len - REC_END_LEN + 15] ^= 1;
	snprintf(msg, sizeof msg, "HFFF!mem: offset %llu: record 5: end record counts 2 records, "
	    "3 packets, 180 bytes; the segment holds 3, 3, 180", (unsigned long long)(b.len - REC_END_LEN));
	is_str(read_mem(c.p, c.len), msg, "damaged end record: record 5");
	snprintf(msg, sizeof msg, "HFFF!mem: offset %llu: stream truncated after 4 records",
	    (unsigned long long)(b.len - REC_END_LEN));
	is_str(read_mem(b.p, b.len - REC_END_LEN), msg, "end record missing: truncated after 4 records");
	buf_free(&b);
	buf_free(&c);
}

static void test_abandon(void)
{
	static const struct { const char *script, *want, *what; } cases[] = {
		{ "HFF", "HFFE", "no abandon: the last segment is ended" },
		{ "HFFA", "HFF!stream truncated after 3 records", "abandoned in a segment: no end record" },
		{ "HFFAE", "HFF!stream truncated after 3 records",
		  "abandoned in a segment: a later end is not written" },
		{ "HFAHFE", "HF!record 3: header inside a segment (the end record is missing)",
		  "abandoned, then a new segment: the unfinished one stays unfinished" },
		{ "HFEA", "HFEH!stream truncated after 4 records",
		  "abandoned between segments: an unfinished segment ends the output" },
		{ "A", "H!stream truncated after 1 records", "abandoned before any output" },
		{ "HFAA", "HF!stream truncated after 2 records", "abandoned twice: as once" },
	};
	size_t i;

	for (i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		char got[600], *at;

		write_script("ab.flows", cases[i].script);
		snprintf(got, sizeof got, "%s", read_file("ab.flows"));
		/* Leave out "mem: offset N: " after the '!'. */
		if ((at = strchr(got, '!')) != NULL && strncmp(at + 1, "mem: offset ", 12) == 0) {
			char *rest = strchr(at + 13, ':');

			if (rest) memmove(at + 1, rest + 2, strlen(rest + 2) + 1);
		}
		is_str(got, cases[i].want, "%s: %s", cases[i].script, cases[i].what);
	}
}

/* Run the input loop over ops; the types as letters, '!' for each RS_ERR. */
static const char *loop(char *const *ops, int nops, struct rs_in_stats *st, int *status)
{
	static char out[128];
	struct rs_inputs in;
	struct rs_item it;
	size_t k = 0;
	int t;

	rs_in_begin(&in, NULL, ops, nops);
	while ((t = rs_in_next(&in, &it)) != RS_EOF && k < sizeof out - 1)
		out[k++] = t == RS_ERR ? '!' : t == RS_HEADER ? 'H' : t == RS_FLOW ? 'F' : 'E';
	out[k] = 0;
	*status = rs_in_end(&in, st);
	return out;
}

static void test_loop(void)
{
	struct rs_in_stats st;
	struct buf b = { 0 };
	struct rs_inputs in;
	const char *name;
	char *ops[5], names[6][128];
	int status, fd, save, n;

	write_script("one.flows", "HFE");
	write_script("two.flows", "HFFEHFE");
	slurp("two.flows", &b);
	b.p[be32(b.p) + 7] = 1; /* its first flow damaged */
	fd = open(path_in("bad.flows"), O_WRONLY | O_CREAT | O_TRUNC, 0600);
	n = (int)write(fd, b.p, b.len);
	close(fd);
	ok(n == (int)b.len, "bad.flows written");
	mkdir(path_in("sub"), 0700);

#define OP(i, name) (snprintf(names[i], sizeof names[i], "%s", path_in(name)), ops[i] = names[i])
	OP(0, "one.flows");
	OP(1, "two.flows");
	is_str(loop(ops, 2, &st, &status), "HFEHFFEHFE", "two files, read in order as one stream");
	ok(status == EXIT_OK && st.inputs == 2 && st.failed == 0 && st.segments == 3 && st.records == 4,
	    "two files: exit 0, 2 inputs, 3 segments, 4 records");

	OP(1, "missing.flows");
	OP(2, "sub");
	OP(3, "bad.flows");
	OP(4, "two.flows");
	is_str(loop(ops, 5, &st, &status), "HFE!!H!HFFEHFE",
	    "a missing file, a directory, a damaged file: one RS_ERR each, the loop goes on");
	ok(status == EXIT_DATA && st.inputs == 3 && st.failed == 3 && st.segments == 3 && st.records == 4,
	    "failed inputs: exit 1; %llu inputs opened, %llu failed", (unsigned long long)st.inputs,
	    (unsigned long long)st.failed);

	/* No operand: stdin. */
	fflush(stdout);
	save = dup(0);
	fd = open(path_in("two.flows"), O_RDONLY);
	dup2(fd, 0);
	close(fd);
	is_str(loop(NULL, 0, &st, &status), "HFFEHFE", "no operand: stdin");
	ops[0] = "-";
	fd = open(path_in("one.flows"), O_RDONLY);
	dup2(fd, 0);
	close(fd);
	is_str(loop(ops, 1, &st, &status), "HFE", "\"-\": stdin");
	dup2(save, 0);
	close(save);

	/* Inputs that the caller reads itself. */
	OP(0, "one.flows");
#undef OP
	rs_in_begin(&in, NULL, ops, 5);
	n = 0;
	while ((fd = rs_in_nextfd(&in, &name)) >= 0) {
		n++;
		if (strstr(name, "bad.flows")) rs_in_failed(&in);
	}
	status = rs_in_end(&in, &st);
	ok(n == 3 && st.inputs == 3 && st.failed == 3 && status == EXIT_DATA,
	    "rs_in_nextfd: 3 descriptors; the missing file, the directory and a reported failure counted");
	buf_free(&b);
}

int main(int argc, char **argv)
{
	char cmd[100];

	cli_init("t_stream", argc, argv);
	snprintf(dir, sizeof dir, "%s/t_stream.XXXXXX", getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp");
	if (strlen(dir) > 40 || mkdtemp(dir) == NULL) {
		printf("Bail out! no temporary directory\n");
		return 1;
	}
	test_numbers();
	test_abandon();
	test_loop();
	snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
	if (system(cmd) != 0) diag("could not remove %s", dir);
	printf("1..%u\n", ntest);
	return nfail != 0;
}
