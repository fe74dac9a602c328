/*
 * flow-json - flowrec records to JSON Lines, and back with -r.
 * The mapping is in common/rjson.c and documented in flow-json(1).
 */
#include <errno.h>
#include <getopt.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "rjson.h"
#include "stream.h"

#define FLUSH_AT (1u << 16)
#define MAX_LINE (256u << 20) /* well above the JSON of the largest record */

static const char usage_text[] =
    "usage: flow-json [-aHpx] [-o file] [file ...]\n"
    "       flow-json -r [-o file] [file ...]\n"
    "\n"
    "Print flowrec records as JSON Lines, one object per flow, or (-r) turn\n"
    "JSON Lines back into records.  Reads the files, or stdin when none or -.\n"
    "\n"
    "  -p, --packets   add the per-packet arrays (\"packets\")\n"
    "  -x, --bytes     add the packet bytes and payload as hex (\"pkt_bytes\", \"payload\")\n"
    "  -H, --header    print each segment's header as a line\n"
    "  -a, --all       all of -p, -x and -H (the form -r restores byte for byte)\n"
    "  -r, --reverse   read JSON Lines, write records\n"
    "  -o, --output F  write to F (through a temporary file) instead of stdout\n"
    "  -h, --help      this help\n"
    "      --version   print the version\n";

static void write_out(struct out_file *out, struct buf *b)
{
	if (b->len && fwrite(b->p, 1, b->len, out->fp) != b->len)
		msg_die(EXIT_DATA, "%s: write error: %s", out->name, strerror(errno));
	buf_reset(b);
}

/* Records to JSON: one line per flow (and per header with -H). */
static int to_json(char **in, int nin, struct out_file *out, unsigned opts, bool headers)
{
	struct buf b = { 0 };
	struct rs_inputs ins;
	struct rs_item it;
	uint64_t n = 0;
	int t, status;

	rs_in_begin(&ins, NULL, in, nin);
	while ((t = rs_in_next(&ins, &it)) != RS_EOF) {
		if (t == RS_FLOW) rj_put_flow(&b, it.flow, opts);
		else if (t == RS_HEADER && headers) rj_put_header(&b, it.hdr);
		else continue;
		buf_put8(&b, '\n');
		if (b.len >= FLUSH_AT) write_out(out, &b);
		if ((++n & 1023) == 0) msg_progress("records", n, 0);
	}
	status = rs_in_end(&ins, NULL);
	write_out(out, &b);
	buf_free(&b);
	msg_progress_end();
	return status;
}

/* A line reader that keeps no line longer than MAX_LINE. */
struct lines {
	int fd;
	const char *name;
	char *buf;
	size_t cap, start, end;
	bool eof, err;
	unsigned long long lineno;
};

/* Read more after what is buffered from l->start on; false at EOF or on error. */
static bool fill(struct lines *l)
{
	size_t have = l->end - l->start;

	if (l->eof) return false;
	if (have && l->start) memmove(l->buf, l->buf + l->start, have);
	l->start = 0;
	l->end = have;
	if (l->cap - l->end < (1u << 16)) {
		l->cap = l->cap ? 2 * l->cap : 1u << 20;
		l->buf = xrealloc(l->buf, l->cap);
	}
	for (;;) {
		ssize_t got = read(l->fd, l->buf + l->end, l->cap - l->end);

		if (got < 0 && errno == EINTR) continue;
		if (got < 0) {
			msg_warn("%s: read error: %s", l->name, strerror(errno));
			l->err = true;
			return false;
		}
		if (got == 0) l->eof = true;
		l->end += (size_t)got;
		return true;
	}
}

/* The next line without its newline, or NULL at the end (or on error: l->err). */
static char *next_line(struct lines *l, size_t *len)
{
	size_t scanned = 0;

	for (;;) {
		char *p = l->buf + l->start, *nl = memchr(p + scanned, '\n', l->end - l->start - scanned);

		if (nl || (l->eof && l->end > l->start)) {
			*len = nl ? (size_t)(nl - p) : l->end - l->start;
			l->start += *len + (nl != NULL);
			l->lineno++;
			return p;
		}
		scanned = l->end - l->start;
		if (scanned >= MAX_LINE) {
			msg_warn("%s: line %llu: longer than %u MiB", l->name, l->lineno + 1, MAX_LINE >> 20);
			l->err = true;
			return NULL;
		}
		if (!fill(l)) return NULL;
	}
}

/*
 * Binary given to -r by mistake: say what it is, from the first bytes.
 */
static bool refuse_binary(struct lines *l)
{
	const uint8_t *p = (const uint8_t *)l->buf;
	size_t n = l->end;
	const char *hint;

	if (n >= REC_HEADER_FIXED && be16(p + 4) == REC_HEADER &&
	    memcmp(p + 8, rec_magic, sizeof rec_magic) == 0) {
		msg_warn("%s: this is a flowrec stream (use flow-json without -r)", l->name);
		return true;
	}
	hint = rec_sniff_foreign(p, n);
	if (hint && *hint != 'J') {
		msg_warn("%s: not JSON Lines: this is %s", l->name, hint);
		return true;
	}
	return false;
}

/* JSON Lines to records. */
static int to_records(char **in, int nin, struct out_file *out)
{
	struct rs_writer *w = rs_wopen(out->fp, out->name, cli_cmdline());
	struct rs_in_cfg cfg = { .text = true };
	struct rs_inputs ins;
	struct rj_dec *d;
	struct lines l = { 0 };
	uint64_t n = 0;
	int status;

	if (w == NULL) return -1;
	d = rj_dec_new();
	rs_in_begin(&ins, &cfg, in, nin);
	while ((l.fd = rs_in_nextfd(&ins, &l.name)) >= 0) {
		char *line;
		size_t len;

		l.start = l.end = 0;
		l.eof = l.err = false;
		l.lineno = 0;
		if (fill(&l) && refuse_binary(&l)) l.err = true;
		while (!l.err && (line = next_line(&l, &len)) != NULL) {
			int rc = rj_decode_line(d, line, len);

			if (rc == RJ_ERR) {
				msg_warn("%s: line %llu: %s", l.name, l.lineno, d->err);
				l.err = true;
				break;
			}
			if (rc == RJ_HEADER) {
				if (rs_write_header_exact(w, &d->hdr) < 0) l.err = true;
			} else if (rc == RJ_FLOW) {
				if (rs_write_raw(w, d->rec.p, d->rec.len, &d->flow) < 0) l.err = true;
				if ((++n & 1023) == 0) msg_progress("records", n, 0);
			}
			if (l.err) break;
		}
		if (l.err) {
			/* What this input gave so far stays unfinished: the next
			 * tool must not take it for a complete stream. */
			rs_in_failed(&ins);
			rw_abandon(w);
		}
	}
	status = rs_in_end(&ins, NULL);
	if (status != EXIT_OK) rw_abandon(w);
	msg_progress_end();
	free(l.buf);
	rj_dec_free(d);
	if (rs_wclose(w) < 0) status = EXIT_DATA;
	return status;
}

int main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "all", no_argument, NULL, 'a' },
		{ "header", no_argument, NULL, 'H' },
		{ "packets", no_argument, NULL, 'p' },
		{ "bytes", no_argument, NULL, 'x' },
		{ "reverse", no_argument, NULL, 'r' },
		{ "output", required_argument, NULL, 'o' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 },
	};
	struct out_file out;
	const char *opath = NULL;
	unsigned opts = 0;
	bool headers = false, reverse = false;
	int c, status;

	cli_init("flow-json", argc, argv);
	opterr = 0;
	while ((c = getopt_long(argc, argv, ":aHpxro:h", longopts, NULL)) != -1) {
		switch (c) {
		case 'a': opts |= RJ_PACKETS | RJ_BYTES; headers = true; break;
		case 'H': headers = true; break;
		case 'p': opts |= RJ_PACKETS; break;
		case 'x': opts |= RJ_BYTES; break;
		case 'r': reverse = true; break;
		case 'o': opath = optarg; break;
		case 'h': cli_help(usage_text);
		case 'V': cli_version();
		default: cli_bad_option(c, argv);
		}
	}
	if (reverse && (opts || headers))
		cli_usage_error("-r takes none of -a, -H, -p, -x");
	if (out_open(&out, opath) < 0) return EXIT_DATA;
	if (reverse)
		status = to_records(argv + optind, argc - optind, &out);
	else
		status = to_json(argv + optind, argc - optind, &out, opts, headers);
	if (status < 0 || (status != EXIT_OK && opath && strcmp(opath, "-") != 0)) {
		/* A failed input: an -o file keeps what it held (stdout has what
		 * could be read, and with -r no end record after it). */
		if (status > 0) msg_warn("%s: not written: an input failed", opath);
		out_abort(&out);
		return EXIT_DATA;
	}
	if (out_commit(&out) < 0) status = EXIT_DATA;
	return status;
}
