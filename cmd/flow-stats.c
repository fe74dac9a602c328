/*
 * flow-stats - per-flow statistical features of flowrec records as CSV,
 * TSV or JSON Lines, one row per flow in input order.  The features are
 * computed in common/stats.c and defined in flow-stats(1), FEATURES.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cicflow.h"
#include "cli.h"
#include "rjson.h"
#include "fval.h"
#include "npy.h"
#include "stats.h"
#include "stream.h"
#include "summary.h"

#define FLUSH_AT (1u << 20)
#define MAX_COLS 4096
#define MAX_SPLT 64

static const char usage_text[] =
    "usage: flow-stats [-c cols] [--set name] [-f format] [-o file] [file ...]\n"
    "       flow-stats -s key[,key...] [--bin S] [-n N] [--by metric] [-f format] [file ...]\n"
    "\n"
    "Print per-flow features of flowrec records, one row per flow, or (-s)\n"
    "summaries grouped by keys.  Reads the files, or stdin when none or -.\n"
    "\n"
    "  -c, --columns L   columns by name, comma-separated (repeatable)\n"
    "      --set NAME    a named column set: flowkit (the default), full,\n"
    "                    wa1kpcap, nfstream, cicflowmeter, id\n"
    "      --compat T    reproduce tool T's defects in its set (cicflowmeter)\n"
    "  -f, --format F    csv (the default), tsv, jsonl, or npy (with -o FILE.npy)\n"
    "      --no-header   no header row (csv, tsv)\n"
    "      --idle-gap S  a gap longer than S seconds ends an active period (5)\n"
    "      --partial     compute over a capped packet table's packets\n"
    "  -l, --list        list the column names and exit\n"
    "  -s, --summary K   summarize: group by the keys K (or \"total\")\n"
    "  -n, --top N       with -s, the N first groups by --by (all)\n"
    "      --by M        with -s, order by flows, pkts, bytes or duration (bytes)\n"
    "      --max-groups N  with -s, at most N groups (1000000)\n"
    "      --bin S       with -s, also group by time bins of S seconds (rwcount)\n"
    "  -o, --output F    write to F (through a temporary file) instead of stdout\n"
    "      --threads N   compute rows on N threads (the CPUs, at most 8)\n"
    "  -h, --help        this help\n"
    "      --version     print the version\n";

enum fmt { F_CSV, F_TSV, F_JSONL, F_NPY, F_TEXT };

/* Column kinds. */
enum {
	CK_FIELD,     /* the registry's field fld */
	CK_SEQ,       /* statistic stat of sequence seq, direction dir */
	CK_WA,        /* wa1kpcap: the same, named its way */
	CK_FLAG,      /* count of TCP flag bit k, direction dir */
	CK_INITWIN,   /* first window of direction dir */
	CK_SPLT_LEN,  /* k-th packet's IP length */
	CK_SPLT_DIR,  /* k-th packet's direction */
	CK_DUR,       /* duration, seconds */
	CK_PPS, CK_BPS, CK_DIR_PPS, CK_DIR_BPS,
	CK_DOWNUP_PKTS, CK_DOWNUP_BYTES,
	CK_CAPPED,    /* the table was capped */
	CK_STORED,    /* table entries */
	CK_ROW,       /* the row number */
	CK_FEATURE,   /* features.NAME */
	CK_BIN,       /* -s --bin: the start of the flow's time bin, seconds */
	CK_CIC,       /* CICFlowMeter's column k (common/cicflow.h) */
};

struct col {
	char *name;
	int prefix;  /* -s keys: an address field cut to this many bits, or -1 */
	uint8_t kind, seq, dir, stat;
	double p;    /* ST_QUANTILE: 0..1; ST_MEDIAN: -1 */
	double scale; /* CK_SEQ: a unit factor (seconds to ms: 1000), 0 for none */
	int k;
	uint16_t fld;
};

static struct col cols[MAX_COLS];
static unsigned ncols;
static struct st_cfg cfg = { 5000000000ull, false, 0 };
static bool numeric; /* NPY: enumerations as numbers */
static uint64_t bin_ns; /* -s --bin: the bin width, 0 for none */
static struct cic_cfg cic = { false, 5000000u, 120000000u, 5000000000ull };
/* Per thread (rows are computed on several: see run_rows_mt). */
static _Thread_local struct cic_val cic_v[CIC_NCOLS];
static _Thread_local uint64_t cic_row;  /* the row_no cic_v holds, 0 for none */

static const char *const dir_prefix[SD_N] = { "", "src_", "dst_" };
static const char *const flag_names[ST_NFLAGS] = {
	"fin", "syn", "rst", "psh", "ack", "urg", "ece", "cwr"
};

static void add_col(const struct col *c, const char *name)
{
	if (ncols == MAX_COLS) cli_usage_error("more than %u columns", MAX_COLS);
	cols[ncols] = *c;
	cols[ncols].name = xstrdup(name);
	cols[ncols].prefix = -1;
	ncols++;
}

/* A statistic by name: "mean", "p90" (percent); -1 if none. */
static int parse_stat(const char *s, double *p)
{
	*p = 0;
	for (int i = 0; i < ST_QUANTILE; i++)
		if (strcmp(s, st_stat_name(i)) == 0) {
			if (i == ST_MEDIAN) *p = -1;
			return i;
		}
	if (s[0] == 'p' && s[1] >= '0' && s[1] <= '9' && num_parse_double(s + 1, 0, 100, p) == 0) {
		*p /= 100;
		return ST_QUANTILE;
	}
	return -1;
}

/* A feature column of the flowkit names; false if name is none. */
static bool parse_feature(const char *name, struct col *c)
{
	const char *s = name;
	uint64_t k;

	memset(c, 0, sizeof *c);
	c->dir = SD_ALL;
	if (strncmp(s, "src_", 4) == 0) c->dir = SD_SRC, s += 4;
	else if (strncmp(s, "dst_", 4) == 0) c->dir = SD_DST, s += 4;
	for (int q = 0; q < SQ_N; q++) {
		size_t n = strlen(st_seq_name(q));
		int st;

		if (strncmp(s, st_seq_name(q), n) != 0 || s[n] != '_') continue;
		if ((st = parse_stat(s + n + 1, &c->p)) < 0) continue;
		c->kind = CK_SEQ;
		c->seq = (uint8_t)q;
		c->stat = (uint8_t)st;
		return true;
	}
	for (int b = 0; b < ST_NFLAGS; b++) {
		size_t n = strlen(flag_names[b]);

		if (strncmp(s, flag_names[b], n) == 0 && strcmp(s + n, "_count") == 0) {
			c->kind = CK_FLAG;
			c->k = b;
			return true;
		}
	}
	if (strcmp(s, "init_win") == 0 && c->dir != SD_ALL) return c->kind = CK_INITWIN, true;
	if (strcmp(s, "pkts_per_s") == 0) return c->kind = c->dir ? CK_DIR_PPS : CK_PPS, true;
	if (strcmp(s, "bytes_per_s") == 0) return c->kind = c->dir ? CK_DIR_BPS : CK_BPS, true;
	if (c->dir != SD_ALL) return false;
	if (strcmp(s, "duration_s") == 0) return c->kind = CK_DUR, true;
	if (strcmp(s, "down_up_pkts") == 0) return c->kind = CK_DOWNUP_PKTS, true;
	if (strcmp(s, "down_up_bytes") == 0) return c->kind = CK_DOWNUP_BYTES, true;
	if (strcmp(s, "stats_capped") == 0) return c->kind = CK_CAPPED, true;
	if (strcmp(s, "pkts_stored") == 0) return c->kind = CK_STORED, true;
	if (strcmp(s, "row") == 0) return c->kind = CK_ROW, true;
	if (strncmp(s, "features.", 9) == 0 && s[9]) return c->kind = CK_FEATURE, true;
	if (strncmp(s, "splt_len_", 9) == 0 && num_parse_u64(s + 9, 1, MAX_SPLT, &k) == 0)
		return c->kind = CK_SPLT_LEN, c->k = (int)k - 1, true;
	if (strncmp(s, "splt_dir_", 9) == 0 && num_parse_u64(s + 9, 1, MAX_SPLT, &k) == 0)
		return c->kind = CK_SPLT_DIR, c->k = (int)k - 1, true;
	return false;
}

/* Registry fields that give one value per flow (not the per-packet ones). */
static bool field_ok(const struct fld *d)
{
	if (d->type == FT_TABLE || d->type == FT_MAP) return false;
	if (d->elem == RE_PACKETS || d->elem == RE_PKTBYTES || d->elem == RE_PAYLOAD) return false;
	if (d->elem == RE_ENCAP) return false;
	if (fld_is_elem(d) && d->type == FT_OBJECT) return false;
	return true;
}

static void add_named(const char *name)
{
	const struct fld *d;
	struct col c;

	if (parse_feature(name, &c)) {
		add_col(&c, name);
		return;
	}
	if ((d = fld_by_name(name)) != NULL) {
		if (!field_ok(d))
			cli_usage_error("%s: not a column (a per-packet or structured field)", name);
		memset(&c, 0, sizeof c);
		c.kind = CK_FIELD;
		c.fld = d->id;
		add_col(&c, name);
		return;
	}
	cli_usage_error("%s: unknown column (flow-stats -l lists them)", name);
}

static void add_list(const char *list)
{
	char *s = xstrdup(list), *save = NULL;

	for (char *w = strtok_r(s, ",", &save); w; w = strtok_r(NULL, ",", &save)) add_named(w);
	free(s);
}

/* wa1kpcap's sequences and the flowkit sequence behind each. */
static const struct {
	const char *name;
	uint8_t seq, updown; /* updown: the sequence its up_/down_ statistics use */
} wa_seqs[] = {
	{ "packet_lengths", SQ_WIRE, SQ_WIRE_NZ },
	{ "ip_lengths", SQ_IP, SQ_IP_NZ },
	{ "trans_lengths", SQ_L4, SQ_L4_NZ },
	{ "app_lengths", SQ_PAYLOAD, SQ_DATA },
	{ "iats", SQ_IAT, SQ_N },
};
static const uint8_t wa_stats[] = {
	ST_MEAN, ST_STD, ST_VAR, ST_MIN, ST_MAX, ST_RANGE, ST_MEDIAN, ST_SUM, ST_COUNT,
	ST_SKEW, ST_KURT, ST_CV,
};
static const uint8_t wa_dir_stats[] = { ST_MEAN, ST_STD, ST_MIN, ST_MAX, ST_SUM, ST_COUNT };

static void add_seq(const char *name, int q, int d, int st, double p)
{
	struct col c = { 0 };

	c.kind = CK_SEQ;
	c.seq = (uint8_t)q;
	c.dir = (uint8_t)d;
	c.stat = (uint8_t)st;
	c.p = st == ST_MEDIAN ? -1 : p;
	add_col(&c, name);
}

static void set_wa1kpcap(void)
{
	char name[128];

	add_list("src,sport,dst,dport,proto,pkts,src_pkts,dst_pkts,src_bytes,dst_bytes,duration_s");
	for (size_t i = 0; i < sizeof wa_seqs / sizeof wa_seqs[0]; i++) {
		for (size_t j = 0; j < sizeof wa_stats; j++) {
			snprintf(name, sizeof name, "feature.%s.%s", wa_seqs[i].name,
			    st_stat_name(wa_stats[j]));
			add_seq(name, wa_seqs[i].seq, SD_ALL, wa_stats[j], 0);
		}
		if (wa_seqs[i].updown == SQ_N) continue;
		for (int d = SD_SRC; d <= SD_DST; d++)
			for (size_t j = 0; j < sizeof wa_dir_stats; j++) {
				snprintf(name, sizeof name, "feature.%s.%s_%s", wa_seqs[i].name,
				    d == SD_SRC ? "up" : "down", st_stat_name(wa_dir_stats[j]));
				add_seq(name, wa_seqs[i].updown, d, wa_dir_stats[j], 0);
			}
	}
	add_list("label");
}

static const uint8_t fk_stats[] = {
	ST_COUNT, ST_SUM, ST_MEAN, ST_STD, ST_MIN, ST_MAX, ST_MEDIAN, ST_SKEW, ST_KURT, ST_CV,
};

static void set_flowkit(bool full)
{
	char name[128];
	static const uint8_t seqs[] = { SQ_WIRE, SQ_IP, SQ_PAYLOAD, SQ_IAT };

	add_list("src,sport,dst,dport,proto,first_ns,last_ns,end,src_pkts,dst_pkts,src_bytes,dst_bytes");
	add_list("duration_s,pkts_per_s,bytes_per_s,down_up_pkts,down_up_bytes,stats_capped");
	for (int qi = 0; qi < (full ? SQ_N : (int)sizeof seqs); qi++) {
		int q = full ? qi : seqs[qi];

		for (int d = 0; d < SD_N; d++) {
			if (full) {
				for (int st = 0; st < ST_QUANTILE; st++) {
					snprintf(name, sizeof name, "%s%s_%s", dir_prefix[d], st_seq_name(q), st_stat_name(st));
					add_seq(name, q, d, st, 0);
				}
				snprintf(name, sizeof name, "%s%s_p25", dir_prefix[d], st_seq_name(q));
				add_seq(name, q, d, ST_QUANTILE, 0.25);
				snprintf(name, sizeof name, "%s%s_p75", dir_prefix[d], st_seq_name(q));
				add_seq(name, q, d, ST_QUANTILE, 0.75);
				continue;
			}
			for (size_t j = 0; j < sizeof fk_stats; j++) {
				snprintf(name, sizeof name, "%s%s_%s", dir_prefix[d], st_seq_name(q),
				    st_stat_name(fk_stats[j]));
				add_seq(name, q, d, fk_stats[j], 0);
			}
		}
	}
	for (int d = SD_SRC; d <= SD_DST; d++)
		for (int b = 0; b < ST_NFLAGS; b++) {
			snprintf(name, sizeof name, "%s%s_count", dir_prefix[d], flag_names[b]);
			add_named(name);
		}
	add_list("src_init_win,dst_init_win");
	if (!full) {
		add_list("active_mean,active_std,active_min,active_max,idle_mean,idle_std,idle_min,idle_max");
		add_list("burst_pkts_count,burst_pkts_mean,burst_pkts_max,burst_bytes_mean,burst_bytes_max");
	}
	for (int k = 1; k <= 10; k++) {
		snprintf(name, sizeof name, "splt_len_%d,splt_dir_%d", k, k);
		add_list(name);
	}
	add_list("label");
}

/*
 * NFStream's post-mortem statistics, named as NFStream names them, with
 * flowkit's definitions: ps is the wire length (NFStream's default
 * accounting), stddev the sample standard deviation, piat the
 * inter-arrival time in milliseconds (not rounded to whole ms).
 */
static void set_nfstream(void)
{
	static const char *const nd[SD_N] = { "bidirectional", "src2dst", "dst2src" };
	static const struct { const char *name; uint8_t st; } ns[] = {
		{ "min", ST_MIN }, { "mean", ST_MEAN }, { "stddev", ST_SSTD }, { "max", ST_MAX },
	};
	static const char *const nf_flags[] = { "syn", "cwr", "ece", "urg", "ack", "psh", "rst", "fin" };
	static const uint8_t nf_bits[] = { 1, 7, 6, 5, 4, 3, 2, 0 };
	char name[128];

	add_list("src,dst,sport,dport,proto,ipv");
	for (int d = 0; d < SD_N; d++) {
		snprintf(name, sizeof name, "%s_packets", nd[d]);
		add_seq(name, SQ_WIRE, d, ST_COUNT, 0);
		snprintf(name, sizeof name, "%s_bytes", nd[d]);
		add_seq(name, SQ_WIRE, d, ST_SUM, 0);
	}
	for (int d = 0; d < SD_N; d++)
		for (size_t i = 0; i < sizeof ns / sizeof ns[0]; i++) {
			snprintf(name, sizeof name, "%s_%s_ps", nd[d], ns[i].name);
			add_seq(name, SQ_WIRE, d, ns[i].st, 0);
		}
	for (int d = 0; d < SD_N; d++)
		for (size_t i = 0; i < sizeof ns / sizeof ns[0]; i++) {
			snprintf(name, sizeof name, "%s_%s_piat_ms", nd[d], ns[i].name);
			add_seq(name, SQ_IAT, d, ns[i].st, 0);
			cols[ncols - 1].scale = 1000;
		}
	for (int d = 0; d < SD_N; d++)
		for (size_t i = 0; i < sizeof nf_flags / sizeof nf_flags[0]; i++) {
			struct col c = { 0 };

			snprintf(name, sizeof name, "%s_%s_packets", nd[d], nf_flags[i]);
			c.kind = CK_FLAG;
			c.dir = (uint8_t)d;
			c.k = nf_bits[i];
			add_col(&c, name);
		}
	add_list("label");
}

/* CICFlowMeter's 84 columns, named and ordered as it writes them. */
static void set_cicflowmeter(void)
{
	static const char *const id[] = { "src", "sport", "dst", "dport", "proto" };

	for (unsigned i = 0; i < CIC_NCOLS; i++) {
		struct col c = { 0 };

		if ((i >= 1 && i <= 5) || i == CIC_LABEL) {
			const struct fld *d = fld_by_name(i == CIC_LABEL ? "label" : id[i - 1]);

			c.kind = CK_FIELD;
			c.fld = d->id;
		} else {
			c.kind = CK_CIC;
			c.k = (int)i;
		}
		add_col(&c, cic_name(i));
	}
}

static void add_set(const char *name)
{
	if (strcmp(name, "flowkit") == 0) set_flowkit(false);
	else if (strcmp(name, "full") == 0) set_flowkit(true);
	else if (strcmp(name, "wa1kpcap") == 0) set_wa1kpcap();
	else if (strcmp(name, "nfstream") == 0) set_nfstream();
	else if (strcmp(name, "cicflowmeter") == 0) set_cicflowmeter();
	else if (strcmp(name, "id") == 0) add_list("src,sport,dst,dport,proto,first_ns,last_ns");
	else cli_usage_error("%s: unknown set (flowkit, full, wa1kpcap, nfstream, cicflowmeter, id)", name);
}

/* One cell's value. */
enum { CE_EMPTY, CE_UINT, CE_INT, CE_F64, CE_TEXT };
struct cell {
	int t;
	uint64_t u;
	int64_t i;
	double f;
	const char *p;
	size_t n;
	char tmp[64];
};

static double ratio(double a, double b) { return b != 0 ? a / b : 0; }

static void put_addr_text(struct cell *v, const uint8_t *a, uint32_t n)
{
	v->t = CE_TEXT;
	v->p = v->tmp;
	if (n == 4) { /* dotted quad by hand: inet_ntop was a tenth of the time */
		size_t k = 0;

		for (int i = 0; i < 4; i++) {
			unsigned b = a[i];

			if (i) v->tmp[k++] = '.';
			if (b >= 100) v->tmp[k++] = (char)('0' + b / 100);
			if (b >= 10) v->tmp[k++] = (char)('0' + b / 10 % 10);
			v->tmp[k++] = (char)('0' + b % 10);
		}
		v->n = k;
		return;
	}
	if (!inet_ntop(AF_INET6, a, v->tmp, sizeof v->tmp)) v->tmp[0] = 0;
	v->n = strlen(v->tmp);
}

/* A registry field's value; multi-valued ones are joined with ';' into tb. */
static void eval_field(const struct rec_flow *f, const struct col *c, struct cell *v,
    struct buf *tb)
{
	uint32_t n = fv_count(f, c->fld);
	struct fv x;

	v->t = CE_EMPTY;
	if (n == 0) return;
	buf_reset(tb);
	for (uint32_t i = 0; i < n; i++) {
		if (!fv_get(f, c->fld, i, &x)) continue;
		if (n == 1 && x.vt == FV_UINT) {
			/* Value names as flow-json prints them; the protocol as a number. */
			const struct fld *d = fld_def(c->fld);
			const char *sym = d->type == FT_ENUM && c->fld != FLD_PROTO && !numeric ?
			    fld_sym_name(d, x.u) : NULL;

			if (sym) {
				v->t = CE_TEXT;
				v->p = sym;
				v->n = strlen(sym);
				return;
			}
			v->t = CE_UINT;
			v->u = x.u;
			return;
		}
		if (n == 1 && x.vt == FV_F64) {
			v->t = CE_F64;
			v->f = x.f;
			return;
		}
		if (i) buf_put8(tb, ';');
		switch (x.vt) {
		case FV_UINT: {
			char s[24];
			int k = snprintf(s, sizeof s, "%llu", (unsigned long long)x.u);
			buf_put(tb, s, (size_t)k);
			break;
		}
		case FV_ADDR: {
			struct cell a;
			put_addr_text(&a, x.p, x.n);
			buf_put(tb, a.p, a.n);
			break;
		}
		case FV_MAC: {
			char s[20];
			snprintf(s, sizeof s, "%02x:%02x:%02x:%02x:%02x:%02x", x.p[0], x.p[1], x.p[2],
			    x.p[3], x.p[4], x.p[5]);
			buf_put(tb, s, 17);
			break;
		}
		case FV_TEXT: buf_put(tb, x.p, x.n); break;
		case FV_U16LIST:
			for (uint32_t j = 0; j + 1 < x.n; j += 2) {
				char s[8];
				int k = snprintf(s, sizeof s, "%s%u", j ? " " : "", be16(x.p + j));
				buf_put(tb, s, (size_t)k);
			}
			break;
		default:
			for (uint32_t j = 0; j < x.n; j++) {
				char s[3];
				snprintf(s, sizeof s, "%02x", x.p[j]);
				buf_put(tb, s, 2);
			}
		}
	}
	v->t = CE_TEXT;
	v->p = (const char *)tb->p;
	v->n = tb->len;
}

static _Thread_local uint64_t row_no; /* the row being computed, from 1 */

/* Column k of the cicflowmeter set. */
static void eval_cic(struct st_flow *s, const struct col *c, struct cell *v, struct buf *tb)
{
	const struct rec_flow *f = s->f;
	const struct cic_val *x;

	if (c->k == CIC_FLOW_ID) { /* "src-dst-sport-dport-proto" */
		struct cell a;
		char t[24];
		int n;

		buf_reset(tb);
		put_addr_text(&a, f->src, f->ipv == 6 ? 16 : 4);
		buf_put(tb, a.p, a.n);
		buf_put8(tb, '-');
		put_addr_text(&a, f->dst, f->ipv == 6 ? 16 : 4);
		buf_put(tb, a.p, a.n);
		n = snprintf(t, sizeof t, "-%u-%u-%u", f->sport, f->dport, f->proto);
		buf_put(tb, t, (size_t)n);
		v->t = CE_TEXT;
		v->p = (const char *)tb->p;
		v->n = tb->len;
		return;
	}
	if (c->k == CIC_TIMESTAMP) {
		char t[40];
		int n = cic_timestamp(f->first_ns, cic.compat, t);

		memcpy(v->tmp, t, (size_t)n + 1);
		v->t = CE_TEXT;
		v->p = v->tmp;
		v->n = (size_t)n;
		return;
	}
	if (cic_row != row_no) {
		cic_compute(f, s->have ? s->pk : NULL, &cic, cic_v);
		cic_row = row_no;
	}
	x = &cic_v[c->k];
	switch (x->t) {
	case CV_NUM: v->t = CE_F64; v->f = x->v; return;
	case CV_INF: v->t = CE_TEXT; v->p = "Infinity"; v->n = 8; return;
	case CV_NAN: v->t = CE_TEXT; v->p = "NaN"; v->n = 3; return;
	default: v->t = CE_EMPTY;
	}
}

/*
 * A sequence's statistic (most columns of the big sets: kept small, for
 * inlining); false for an empty cell (no table, or not finite: see eval).
 */
static inline bool seq_value(struct st_flow *s, const struct col *c, double *f)
{
	if (!s->have && !(s->run && st_run_has(c->seq, c->stat))) return false;
	if (c->stat >= ST_MEDIAN)
		*f = st_flow_quantile(s, c->seq, c->dir, c->p, &cfg);
	else
		*f = st_mom_stat(&s->mom[c->seq][c->dir], c->stat);
	if (c->scale) *f *= c->scale;
	return isfinite(*f);
}

static void eval_seq(struct st_flow *s, const struct col *c, struct cell *v)
{
	v->t = seq_value(s, c, &v->f) ? CE_F64 : CE_EMPTY;
}

/* The flow's duration in seconds (only for the columns that need it: a division). */
static double flow_dur(const struct rec_flow *f)
{
	return (double)(int64_t)(f->last_ns - f->first_ns) / 1e9;
}

static void eval_one(struct st_flow *s, const struct col *c, struct cell *v, struct buf *tb)
{
	const struct rec_flow *f = s->f;
	int d = c->dir;
	struct rec_pkt p;

	v->t = CE_F64;
	switch (c->kind) {
	case CK_FIELD: eval_field(f, c, v, tb); return;
	case CK_CIC: eval_cic(s, c, v, tb); return;
	case CK_SEQ:
	case CK_WA: eval_seq(s, c, v); return;
	case CK_FLAG:
		if (!s->have && !s->run) break;
		v->t = CE_UINT;
		v->u = s->flags[d][c->k];
		return;
	case CK_INITWIN:
		if (!s->pk || s->init_win[d] < 0) break;
		v->t = CE_UINT;
		v->u = (uint64_t)s->init_win[d];
		return;
	case CK_SPLT_LEN:
	case CK_SPLT_DIR:
		if (!s->pk || ((uint32_t)c->k >= s->npkts && s->capped)) break;
		v->t = CE_INT;
		v->i = -1;
		if ((uint32_t)c->k < s->npkts) {
			rec_pkt_get(s->pk, (uint32_t)c->k, &p);
			v->i = c->kind == CK_SPLT_LEN ? (int64_t)p.ip_len : p.dir;
		}
		return;
	case CK_DUR: v->f = flow_dur(f); return;
	case CK_PPS: v->f = ratio((double)(f->pkts[0] + f->pkts[1]), flow_dur(f)); return;
	case CK_BPS: v->f = ratio((double)(f->bytes[0] + f->bytes[1]), flow_dur(f)); return;
	case CK_DIR_PPS: v->f = ratio((double)f->pkts[d - 1], flow_dur(f)); return;
	case CK_DIR_BPS: v->f = ratio((double)f->bytes[d - 1], flow_dur(f)); return;
	case CK_DOWNUP_PKTS: v->f = ratio((double)f->pkts[1], (double)f->pkts[0]); return;
	case CK_DOWNUP_BYTES: v->f = ratio((double)f->bytes[1], (double)f->bytes[0]); return;
	case CK_CAPPED: v->t = CE_UINT; v->u = s->capped; return;
	case CK_STORED: v->t = CE_UINT; v->u = s->npkts; return;
	case CK_ROW: v->t = CE_UINT; v->u = row_no; return;
	case CK_BIN: { /* exact decimal seconds: a double would round the ns */
		uint64_t t = f->first_ns / bin_ns * bin_ns, ns = t % 1000000000u;
		int n = snprintf(v->tmp, sizeof v->tmp, "%llu", (unsigned long long)(t / 1000000000u));

		if (ns) {
			n += snprintf(v->tmp + n, sizeof v->tmp - (size_t)n, ".%09llu", (unsigned long long)ns);
			while (v->tmp[n - 1] == '0') n--;
		}
		v->t = CE_TEXT;
		v->p = v->tmp;
		v->n = (size_t)n;
		return;
	}
	case CK_FEATURE:
		if (!fv_feature(f, c->name + 9, strlen(c->name + 9), &v->f)) break;
		if (!isfinite(v->f)) break;
		return;
	}
	v->t = CE_EMPTY;
}

/*
 * The value of column c.  A value that is not finite can only come from
 * damaged input (running aggregates in a crafted FEATURES element): it
 * is left empty rather than printed as nan or inf.
 */
static void eval(struct st_flow *s, const struct col *c, struct cell *v, struct buf *tb)
{
	if (c->kind == CK_SEQ || c->kind == CK_WA) eval_seq(s, c, v);
	else eval_one(s, c, v, tb);
	if (v->t == CE_F64 && !isfinite(v->f)) v->t = CE_EMPTY;
}

/*
 * Does any column need the per-flow statistics (the pass over the
 * table)?  cfg.seqs gets the sequences whose moments the columns use;
 * the others are not computed.  The columns of the cicflowmeter set,
 * SPLT and the table's counts need only the table (st_flow_table).
 */
static bool need_stats(void)
{
	bool walk = false;

	cfg.seqs = 1u << SQ_N; /* none yet (0 would be all) */
	for (unsigned i = 0; i < ncols; i++) {
		const struct col *c = &cols[i];

		if (c->kind == CK_SEQ || c->kind == CK_WA) cfg.seqs |= 1u << c->seq;
		if (c->kind == CK_SEQ || c->kind == CK_WA || c->kind == CK_FLAG || c->kind == CK_INITWIN)
			walk = true;
	}
	return walk;
}

static void put_u64(struct buf *b, uint64_t u)
{
	char s[24];
	int n = 0;

	do s[sizeof s - 1 - n++] = (char)('0' + u % 10); while ((u /= 10) != 0);
	buf_put(b, s + sizeof s - n, (size_t)n);
}

/*
 * The texts of the non-integers printed, by their bits: the same values
 * recur, in a row (a mean that is also the median, the statistics of
 * both directions of a one-way flow) and from row to row (about half of
 * them in the full set).  An empty slot's bits (0) are those of 0.0, an
 * integer, never looked up.
 */
#define MEMO_BITS 12
static _Thread_local struct memo {
	uint64_t bits;
	size_t len;
	char s[NUM_DBL_LEN];
} memo[1u << MEMO_BITS];

/* A double in the fewest digits that read back to it (num_fmt_double). */
static void put_f64(struct buf *b, double x)
{
	char *o;
	struct memo *e;
	uint64_t bits;

	if (b->cap - b->len < NUM_DBL_LEN) buf_reserve(b, NUM_DBL_LEN);
	o = (char *)b->p + b->len;
	if (fabs(x) < 9007199254740992.0 && (double)(int64_t)x == x) { /* quick to print */
		b->len += num_fmt_double(o, x);
		return;
	}
	memcpy(&bits, &x, sizeof bits);
	e = &memo[(bits * 0x9e3779b97f4a7c15ull) >> (64 - MEMO_BITS)];
	if (e->bits != bits) {
		e->len = num_fmt_double(e->s, x);
		e->bits = bits;
	}
	memcpy(o, e->s, NUM_DBL_LEN); /* all of it: a fixed-size copy */
	b->len += e->len;
}

static void put_cell_num(struct buf *b, const struct cell *v)
{
	switch (v->t) {
	case CE_UINT: put_u64(b, v->u); break;
	case CE_INT:
		if (v->i < 0) {
			buf_put8(b, '-');
			put_u64(b, (uint64_t)-v->i);
		} else put_u64(b, (uint64_t)v->i);
		break;
	case CE_F64: put_f64(b, v->f); break;
	}
}

/* RFC 4180: quote a field holding a comma, quote, CR or LF. */
static void put_csv_text(struct buf *b, const char *p, size_t n, char sep)
{
	bool q = false;

	for (size_t i = 0; i < n && !q; i++)
		q = p[i] == sep || p[i] == '"' || p[i] == '\r' || p[i] == '\n';
	if (!q) {
		buf_put(b, p, n);
		return;
	}
	buf_put8(b, '"');
	for (size_t i = 0; i < n; i++) {
		if (p[i] == '"') buf_put8(b, '"');
		buf_put8(b, (uint8_t)p[i]);
	}
	buf_put8(b, '"');
}

/* TSV: no quoting; tab, CR and LF inside a value become \t, \r, \n, and \ is \\. */
static void put_tsv_text(struct buf *b, const char *p, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		char e = p[i] == '\t' ? 't' : p[i] == '\n' ? 'n' : p[i] == '\r' ? 'r' : p[i] == '\\' ? '\\' : 0;

		if (e) {
			buf_put8(b, '\\');
			buf_put8(b, (uint8_t)e);
		} else buf_put8(b, (uint8_t)p[i]);
	}
}

static void put_header(struct buf *b, enum fmt fm)
{
	for (unsigned i = 0; i < ncols; i++) {
		if (i) buf_put8(b, fm == F_TSV ? '\t' : ',');
		if (fm == F_TSV) put_tsv_text(b, cols[i].name, strlen(cols[i].name));
		else put_csv_text(b, cols[i].name, strlen(cols[i].name), ',');
	}
	buf_put8(b, '\n');
}

static void put_row(struct buf *b, enum fmt fm, struct st_flow *s, struct buf *tb)
{
	char sep = fm == F_TSV ? '\t' : ',';
	struct cell v;

	if (fm == F_JSONL) buf_put8(b, '{');
	for (unsigned i = 0; i < ncols; i++) {
		const struct col *c = &cols[i];

		if (fm != F_JSONL) {
			if (i) buf_put8(b, (uint8_t)sep);
			if (c->kind == CK_SEQ || c->kind == CK_WA) { /* the common case, directly */
				double f;

				if (seq_value(s, c, &f)) put_f64(b, f);
				continue;
			}
		}
		eval(s, c, &v, tb);
		if (fm == F_JSONL) {
			if (i) buf_put8(b, ',');
			rj_put_text(b, (const uint8_t *)c->name, strlen(c->name));
			buf_put8(b, ':');
			if (v.t == CE_EMPTY) buf_put(b, "null", 4);
			else if (v.t == CE_TEXT) rj_put_text(b, (const uint8_t *)v.p, v.n);
			else put_cell_num(b, &v);
			continue;
		}
		if (v.t == CE_TEXT) {
			if (fm == F_TSV) put_tsv_text(b, v.p, v.n);
			else put_csv_text(b, v.p, v.n, sep);
		} else put_cell_num(b, &v);
	}
	if (fm == F_JSONL) buf_put8(b, '}');
	buf_put8(b, '\n');
}


/*
 * NPY output (numpy's format 1.0, common/npy): the matrix of the numeric
 * columns as little-endian float64, rows in input order, an empty cell
 * NaN; the label column as an int64 vector of class numbers (-1: no
 * label) with the class names, and the column names, in text files
 * beside it.  The row count goes into the headers at the end.
 */
struct npy {
	struct npy_writer mat, lab;
	struct out_file names, classes;
	struct out_group g;
	unsigned label_col; /* its index in cols, or ncols */
	char **cls;
	size_t ncls;
	unsigned ncols_num;
	uint8_t *row;
};

/* "X.npy" -> "X" + suffix. */
static char *npy_name(const char *path, const char *suffix)
{
	size_t n = strlen(path), k = strlen(suffix);
	char *s;

	if (n > 4 && strcmp(path + n - 4, ".npy") == 0) n -= 4;
	s = xmalloc(n + k + 1);
	memcpy(s, path, n);
	memcpy(s + n, suffix, k + 1);
	return s;
}

static int npy_open(struct npy *z, const char *path)
{
	char *lp = npy_name(path, ".labels.npy"), *np = npy_name(path, ".columns.txt"),
	     *cp = npy_name(path, ".classes.txt");
	uint64_t shape[2] = { 0, 0 };
	int rc;

	memset(z, 0, sizeof *z);
	z->label_col = ncols;
	for (unsigned i = 0; i < ncols; i++) {
		const struct col *c = &cols[i];
		const struct fld *d = c->kind == CK_FIELD ? fld_def(c->fld) : NULL;

		if (d && d->id == FLD_LABEL) {
			if (z->label_col != ncols) cli_usage_error("-f npy: label given twice");
			z->label_col = i;
			continue;
		}
		if (d && d->type != FT_U8 && d->type != FT_U16 && d->type != FT_U32 &&
		    d->type != FT_U64 && d->type != FT_F64 && d->type != FT_TIME &&
		    d->type != FT_DURATION && d->type != FT_ENUM && d->type != FT_FLAGS)
			cli_usage_error("-f npy: %s is not a number (only label may be text)", c->name);
		if (c->kind == CK_CIC && (c->k == CIC_FLOW_ID || c->k == CIC_TIMESTAMP))
			cli_usage_error("-f npy: %s is not a number (only label may be text)", c->name);
		z->ncols_num++;
	}
	z->row = xmalloc((z->ncols_num + 1) * 8u);
	shape[1] = z->ncols_num;
	rc = npy_create(&z->mat, path, "<f8", 2, shape) < 0 ||
	    npy_create(&z->lab, lp, "<i8", 1, shape) < 0 ||
	    out_open(&z->names, np) < 0 || out_open(&z->classes, cp) < 0 ? -1 : 0;
	free(lp); /* out_open keeps copies */
	free(np);
	free(cp);
	if (rc < 0) return -1;
	out_group_add(&z->g, &z->names);
	out_group_add(&z->g, &z->classes);
	out_group_add(&z->g, &z->lab.out);
	out_group_add(&z->g, &z->mat.out);
	for (unsigned i = 0; i < ncols; i++)
		if (i != z->label_col) fprintf(z->names.fp, "%s\n", cols[i].name);
	return 0;
}

/* The class number of a label, numbered in order of first appearance. */
static int64_t npy_class(struct npy *z, const char *p, size_t n)
{
	for (size_t i = 0; i < z->ncls; i++)
		if (strlen(z->cls[i]) == n && memcmp(z->cls[i], p, n) == 0) return (int64_t)i;
	if (z->ncls == 1u << 20) msg_die(EXIT_DATA, "-f npy: more than %u labels", 1u << 20);
	z->cls = xrealloc(z->cls, (z->ncls + 1) * sizeof *z->cls);
	z->cls[z->ncls] = xmalloc(n + 1);
	memcpy(z->cls[z->ncls], p, n);
	z->cls[z->ncls][n] = 0;
	return (int64_t)z->ncls++;
}

static void set_le64(uint8_t *p, uint64_t u)
{
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
	memcpy(p, &u, 8);
#else
	for (int i = 0; i < 8; i++) p[i] = (uint8_t)(u >> 8 * i);
#endif
}

/*
 * One row's numeric cells into row (ncols_num little-endian float64 on
 * any host) and its label onto lab: a 32-bit length, -1 for none, and the
 * text (copied: the cell may point into tb, which the next column reuses).
 */
static void npy_cells(const struct npy *z, struct st_flow *s, struct buf *tb, uint8_t *row,
    struct buf *lab)
{
	struct cell v;
	int32_t ln = -1;
	unsigned k = 0;
	double x;
	uint64_t u;
	size_t at = lab->len;

	buf_put(lab, &ln, sizeof ln);
	for (unsigned i = 0; i < ncols; i++) {
		const struct col *c = &cols[i];

		if (c->kind == CK_SEQ || c->kind == CK_WA) { /* the common case, directly */
			if (!seq_value(s, c, &x)) x = NAN;
			memcpy(&u, &x, 8);
			set_le64(row + 8 * k++, u);
			continue;
		}
		eval(s, c, &v, tb);
		if (i == z->label_col) {
			if (v.t == CE_TEXT && v.n <= INT32_MAX) {
				ln = (int32_t)v.n;
				memcpy(lab->p + at, &ln, sizeof ln);
				buf_put(lab, v.p, v.n);
			}
			continue;
		}
		switch (v.t) {
		case CE_UINT: x = (double)v.u; break;
		case CE_INT: x = (double)v.i; break;
		case CE_F64: x = v.f; break;
		case CE_TEXT: x = v.n == 8 && memcmp(v.p, "Infinity", 8) == 0 ? INFINITY : NAN; break;
		default: x = NAN;
		}
		memcpy(&u, &x, 8);
		set_le64(row + 8 * k++, u);
	}
}

/* Write a row of cells and the class of the label that npy_cells put at
 * *lp (moved past it). */
static int npy_write(struct npy *z, const uint8_t *row, const uint8_t **lp)
{
	int64_t label = -1;
	int32_t ln;
	uint8_t lab[8];

	memcpy(&ln, *lp, sizeof ln);
	*lp += sizeof ln;
	if (ln >= 0) {
		label = npy_class(z, (const char *)*lp, (size_t)ln);
		*lp += ln;
	}
	set_le64(lab, (uint64_t)label);
	return npy_put(&z->mat, row) < 0 || npy_put(&z->lab, lab) < 0 ? -1 : 0;
}

/* One row of the matrix and its label. */
static int npy_row(struct npy *z, struct st_flow *s, struct buf *tb, struct buf *lab)
{
	const uint8_t *lp;

	buf_reset(lab);
	npy_cells(z, s, tb, z->row, lab);
	lp = lab->p;
	return npy_write(z, z->row, &lp);
}

/* Write the counts into the headers, the class names, and commit all. */
static int npy_close(struct npy *z, bool ok)
{
	int rc = 0;

	for (size_t i = 0; i < z->ncls; i++) fprintf(z->classes.fp, "%s\n", z->cls[i]);
	if (ok && (npy_finish(&z->mat) < 0 || npy_finish(&z->lab) < 0)) ok = false;
	if (!ok) out_group_abort(&z->g);
	else rc = out_group_commit(&z->g);
	for (size_t i = 0; i < z->ncls; i++) free(z->cls[i]);
	free(z->cls);
	free(z->row);
	return ok ? rc : -1;
}

/* The row buffer in large writes of its own, past stdio (nothing is
 * left in the stream's buffer: the header rows go through b too). */
static void write_out(struct out_file *out, struct buf *b)
{
	size_t done = 0;

	if (b->len && fflush(out->fp) != 0)
		msg_die(EXIT_DATA, "%s: write error: %s", out->name, strerror(errno));
	while (done < b->len) {
		ssize_t n = write(fileno(out->fp), b->p + done, b->len - done);

		if (n < 0 && errno == EINTR) continue;
		if (n <= 0) msg_die(EXIT_DATA, "%s: write error: %s", out->name, strerror(n < 0 ? errno : EIO));
		done += (size_t)n;
	}
	buf_reset(b);
}

static int run_rows(char **in, int nin, struct out_file *out, struct npy *z, enum fmt fm,
    bool header)
{
	struct buf b = { 0 }, tb = { 0 }, lab = { 0 };
	struct rs_inputs ins;
	struct rs_item it;
	struct st_flow s;
	bool stats = need_stats();
	int t, status;

	st_flow_init(&s);
	rs_in_begin(&ins, NULL, in, nin);
	while ((t = rs_in_next(&ins, &it)) != RS_EOF) {
		if (t != RS_FLOW) continue;
		/* The header comes with the first row: no flows, no output. */
		if (row_no++ == 0 && header && fm != F_JSONL && fm != F_NPY) put_header(&b, fm);
		if (stats) st_flow_compute(&s, it.flow, &cfg);
		else st_flow_table(&s, it.flow, &cfg);
		if (fm == F_NPY) {
			if (npy_row(z, &s, &tb, &lab) < 0) msg_exit(EXIT_DATA);
		} else put_row(&b, fm, &s, &tb);
		if (b.len >= FLUSH_AT) write_out(out, &b);
		if ((row_no & 1023) == 0) msg_progress("records", row_no, 0);
	}
	status = rs_in_end(&ins, NULL);
	if (out) write_out(out, &b);
	buf_free(&b);
	buf_free(&tb);
	buf_free(&lab);
	st_flow_free(&s);
	msg_progress_end();
	return status;
}

/*
 * Rows on several threads (--threads N, N > 1).  The main thread reads
 * the input and copies its flow records into batches; N workers take
 * the batches in turn, decode the records again and print their rows
 * (or NPY cells) into the batch; the main thread writes the batches in
 * input order.  The output is the same bytes whatever N is: rows are
 * independent, and what a row depends on besides its record (its number,
 * the cicflowmeter cache, the memo of printed doubles) is thread-local.
 * At most 2N batches exist, so memory stays bounded whatever the input.
 */
#define BATCH_RECS 512
#define BATCH_BYTES (1u << 20)

enum { B_FREE, B_FULL, B_DONE };

struct batch {
	uint64_t first_row;  /* the row number of its first record */
	unsigned n;          /* records */
	int state;
	struct buf raw;      /* the records, each after its length (a size_t) */
	struct buf out;      /* their rows, or NPY cells (ncols_num doubles a row) */
	struct buf lab;      /* NPY: the rows' labels (npy_cells) */
};

struct pool {
	pthread_mutex_t mu;
	pthread_cond_t work, done;
	struct batch *b;
	unsigned nb;
	uint64_t filled, taken, written; /* batches given out, taken, written */
	bool quit;
	enum fmt fm;
	const struct npy *z;
	bool stats;
};

static void batch_rows(const struct pool *p, struct batch *b, struct st_flow *s,
    struct rec_flow *f, struct buf *tb)
{
	const uint8_t *q = b->raw.p;
	size_t row = p->z ? (size_t)p->z->ncols_num * 8 : 0;
	char err[256];

	buf_reset(&b->out);
	buf_reset(&b->lab);
	for (unsigned i = 0; i < b->n; i++) {
		size_t len;

		memcpy(&len, q, sizeof len);
		q += sizeof len;
		/* the bytes were decoded once already: this cannot fail */
		if (rec_decode_flow(q, len, f, err, sizeof err) < 0) msg_die(EXIT_DATA, "record: %s", err);
		q += len;
		row_no = b->first_row + i;
		if (p->stats) st_flow_compute(s, f, &cfg);
		else st_flow_table(s, f, &cfg);
		if (p->fm == F_NPY) {
			buf_reserve(&b->out, row);
			npy_cells(p->z, s, tb, b->out.p + b->out.len, &b->lab);
			b->out.len += row;
		} else {
			put_row(&b->out, p->fm, s, tb);
		}
	}
}

static void *worker(void *arg)
{
	struct pool *p = arg;
	struct rec_flow *f = xmalloc(sizeof *f);
	struct buf tb = { 0 };
	struct st_flow s;

	st_flow_init(&s);
	pthread_mutex_lock(&p->mu);
	for (;;) {
		struct batch *b;

		while (!p->quit && p->taken == p->filled) pthread_cond_wait(&p->work, &p->mu);
		if (p->taken == p->filled) break; /* told to quit, and nothing is left */
		b = &p->b[p->taken++ % p->nb];
		pthread_mutex_unlock(&p->mu);
		batch_rows(p, b, &s, f, &tb);
		pthread_mutex_lock(&p->mu);
		b->state = B_DONE;
		pthread_cond_broadcast(&p->done);
	}
	pthread_mutex_unlock(&p->mu);
	st_flow_free(&s);
	buf_free(&tb);
	free(f);
	return NULL;
}

/* Write the done batches in order; with wait, the oldest one first
 * waits until it is done. */
static void write_batches(struct pool *p, struct out_file *out, struct npy *z, bool wait)
{
	for (;;) {
		struct batch *b;
		bool done;

		pthread_mutex_lock(&p->mu);
		if (p->written == p->filled) {
			pthread_mutex_unlock(&p->mu);
			return;
		}
		b = &p->b[p->written % p->nb];
		while (wait && b->state != B_DONE) pthread_cond_wait(&p->done, &p->mu);
		done = b->state == B_DONE;
		pthread_mutex_unlock(&p->mu);
		if (!done) return;
		if (z) {
			const uint8_t *lp = b->lab.p;

			for (unsigned i = 0; i < b->n; i++)
				if (npy_write(z, b->out.p + (size_t)i * z->ncols_num * 8, &lp) < 0)
					msg_exit(EXIT_DATA);
		} else {
			write_out(out, &b->out);
		}
		b->state = B_FREE;
		b->n = 0;
		buf_reset(&b->raw);
		p->written++;
		wait = false;
	}
}

static int run_rows_mt(char **in, int nin, struct out_file *out, struct npy *z, enum fmt fm,
    bool header, unsigned nthreads)
{
	struct pool p = { .fm = fm, .z = z, .stats = need_stats(), .nb = 2 * nthreads };
	pthread_t *th = xcalloc(nthreads, sizeof *th);
	struct batch *cur = NULL;
	struct rs_inputs ins;
	struct rs_item it;
	int t, status;
	unsigned i;

	p.b = xcalloc(p.nb, sizeof *p.b);
	pthread_mutex_init(&p.mu, NULL);
	pthread_cond_init(&p.work, NULL);
	pthread_cond_init(&p.done, NULL);
	for (i = 0; i < nthreads; i++)
		if (pthread_create(&th[i], NULL, worker, &p) != 0) msg_die(EXIT_DATA, "cannot start a thread");
	rs_in_begin(&ins, NULL, in, nin);
	while ((t = rs_in_next(&ins, &it)) != RS_EOF) {
		if (t != RS_FLOW) continue;
		if (row_no++ == 0 && header && fm != F_JSONL && fm != F_NPY) {
			struct buf hb = { 0 };

			put_header(&hb, fm);
			write_out(out, &hb);
			buf_free(&hb);
		}
		if (cur == NULL) {
			while (p.filled - p.written >= p.nb) write_batches(&p, out, z, true);
			cur = &p.b[p.filled % p.nb];
			cur->first_row = row_no;
		}
		buf_put(&cur->raw, &it.rawlen, sizeof it.rawlen);
		buf_put(&cur->raw, it.raw, it.rawlen);
		if (++cur->n == BATCH_RECS || cur->raw.len >= BATCH_BYTES) {
			pthread_mutex_lock(&p.mu);
			cur->state = B_FULL;
			p.filled++;
			pthread_cond_signal(&p.work);
			pthread_mutex_unlock(&p.mu);
			cur = NULL;
			write_batches(&p, out, z, false);
		}
		if ((row_no & 1023) == 0) msg_progress("records", row_no, 0);
	}
	status = rs_in_end(&ins, NULL);
	pthread_mutex_lock(&p.mu);
	if (cur) {
		cur->state = B_FULL;
		p.filled++;
	}
	p.quit = true;
	pthread_cond_broadcast(&p.work);
	pthread_mutex_unlock(&p.mu);
	while (p.written < p.filled) write_batches(&p, out, z, true);
	for (i = 0; i < nthreads; i++) pthread_join(th[i], NULL);
	for (i = 0; i < p.nb; i++) {
		buf_free(&p.b[i].raw);
		buf_free(&p.b[i].out);
		buf_free(&p.b[i].lab);
	}
	free(p.b);
	free(th);
	pthread_mutex_destroy(&p.mu);
	pthread_cond_destroy(&p.work);
	pthread_cond_destroy(&p.done);
	msg_progress_end();
	return status;
}

/*
 * Summaries (-s): the key of a flow is the text of its key columns,
 * separated by tabs; an address key "src/24" keeps the first 24 bits.
 */
static void add_keys(const char *list)
{
	char *s = xstrdup(list), *save = NULL;

	if (bin_ns) {
		struct col c = { 0 };

		c.kind = CK_BIN;
		add_col(&c, "bin_start");
	}
	if (strcmp(list, "total") == 0) {
		free(s);
		return;
	}
	for (char *w = strtok_r(s, ",", &save); w; w = strtok_r(NULL, ",", &save)) {
		char *slash = strchr(w, '/');
		uint64_t bits = 0;

		if (slash) {
			*slash = 0;
			if (num_parse_u64(slash + 1, 0, 128, &bits) < 0)
				cli_usage_error("-s %s/%s: not a prefix length (0 to 128)", w, slash + 1);
		}
		add_named(w);
		if (slash) {
			const struct col *c = &cols[ncols - 1];

			if (c->kind != CK_FIELD || fld_def(c->fld)->type != FT_ADDR)
				cli_usage_error("-s %s/%s: a prefix needs an address field", w, slash + 1);
			cols[ncols - 1].prefix = (int)bits;
			free(cols[ncols - 1].name);
			*slash = '/';
			cols[ncols - 1].name = xstrdup(w);
		}
	}
	free(s);
}

/* The text of key column c of the flow into b. */
static void put_key(struct buf *b, struct st_flow *s, const struct col *c, struct buf *tb)
{
	struct cell v;
	struct fv x;

	if (c->prefix >= 0) {
		uint8_t a[16] = { 0 };
		char t[64];
		unsigned bits;

		if (!fv_get(s->f, c->fld, 0, &x) || x.vt != FV_ADDR) return;
		bits = (unsigned)c->prefix < x.n * 8 ? (unsigned)c->prefix : x.n * 8;
		memcpy(a, x.p, x.n);
		for (unsigned i = bits; i < x.n * 8; i++) a[i / 8] &= (uint8_t)~(0x80u >> (i % 8));
		if (!inet_ntop(x.n == 4 ? AF_INET : AF_INET6, a, t, sizeof t)) return;
		buf_put(b, t, strlen(t));
		snprintf(t, sizeof t, "/%u", bits);
		buf_put(b, t, strlen(t));
		return;
	}
	eval(s, c, &v, tb);
	if (v.t == CE_TEXT) {
		for (size_t i = 0; i < v.n; i++) buf_put8(b, v.p[i] == '\t' ? ' ' : (uint8_t)v.p[i]);
	} else put_cell_num(b, &v);
}

static const char *const sum_cols[] = { "flows", "pkts", "bytes", "duration_s" };

/* The ns of a bin_start text ("12.5" -> 12500000000). */
static uint64_t bin_key_ns(const char *p)
{
	uint64_t t = 0, f = 0;
	int k = 0;

	while (*p >= '0' && *p <= '9') t = t * 10 + (uint64_t)(*p++ - '0');
	if (*p == '.')
		for (p++; *p >= '0' && *p <= '9' && k < 9; k++) f = f * 10 + (uint64_t)(*p++ - '0');
	for (; k < 9; k++) f *= 10;
	return t * 1000000000u + f;
}

/* --bin: groups by bin start ascending, then as sm_sorted orders them. */
static enum sm_metric bin_by;
static int cmp_bin(const void *a, const void *b)
{
	const struct sm_group *x = *(struct sm_group *const *)a, *y = *(struct sm_group *const *)b;
	uint64_t tx = bin_key_ns(x->key), ty = bin_key_ns(y->key);
	size_t n = x->keylen < y->keylen ? x->keylen : y->keylen;
	int c;

	if (tx != ty) return tx < ty ? -1 : 1;
	if (x->m[bin_by] != y->m[bin_by]) return x->m[bin_by] > y->m[bin_by] ? -1 : 1;
	if ((c = memcmp(x->key, y->key, n)) != 0) return c;
	return (x->keylen > y->keylen) - (x->keylen < y->keylen);
}

/* One summary row's cells as text, the key's parts then the metrics. */
static size_t sum_cells(const struct sm_group *g, const char **cell, size_t *len, char *num,
    size_t numlen)
{
	size_t k = 0, at = 0;
	const char *p = g->key, *end = g->key + g->keylen;

	if (ncols) {
		for (;;) {
			const char *tab = memchr(p, '\t', (size_t)(end - p));

			cell[k] = p;
			len[k++] = (size_t)((tab ? tab : end) - p);
			if (!tab) break;
			p = tab + 1;
		}
	}
	for (int m = 0; m < SM_NMETRICS; m++) {
		int n;

		if (m == SM_DURATION) {
			struct buf b = { 0 };

			put_f64(&b, (double)g->m[m] / 1e9);
			n = snprintf(num + at, numlen - at, "%.*s", (int)b.len, (const char *)b.p);
			buf_free(&b);
		} else
			n = snprintf(num + at, numlen - at, "%llu", (unsigned long long)g->m[m]);
		cell[k] = num + at;
		len[k++] = (size_t)n;
		at += (size_t)n + 1;
	}
	return k;
}

static int run_summary(char **in, int nin, struct out_file *out, enum fmt fm, bool header,
    enum sm_metric by, uint64_t top, size_t max_groups)
{
	struct buf b = { 0 }, key = { 0 }, tb = { 0 };
	struct rs_inputs ins;
	struct rs_item it;
	struct st_flow s;
	struct sm_table *t = sm_new(max_groups);
	bool stats = need_stats();
	const char *cell[MAX_COLS + SM_NMETRICS];
	size_t len[MAX_COLS + SM_NMETRICS], width[MAX_COLS + SM_NMETRICS] = { 0 }, ng, nc = ncols + SM_NMETRICS;
	char num[SM_NMETRICS * 32];
	struct sm_group *const *g;
	int rt, status;

	st_flow_init(&s);
	rs_in_begin(&ins, NULL, in, nin);
	while ((rt = rs_in_next(&ins, &it)) != RS_EOF) {
		const struct rec_flow *f = it.flow;

		if (rt != RS_FLOW) continue;
		row_no++;
		if (stats) st_flow_compute(&s, f, &cfg);
		else st_flow_table(&s, f, &cfg);
		buf_reset(&key);
		for (unsigned i = 0; i < ncols; i++) {
			if (i) buf_put8(&key, '\t');
			put_key(&key, &s, &cols[i], &tb);
		}
		if (sm_add(t, (const char *)key.p, key.len, f->pkts[0] + f->pkts[1],
		    f->bytes[0] + f->bytes[1], f->last_ns - f->first_ns) < 0)
			msg_die(EXIT_DATA, "-s: more than %zu groups: group by fewer or coarser keys, or raise --max-groups",
			    max_groups);
		if ((row_no & 1023) == 0) msg_progress("records", row_no, 0);
	}
	status = rs_in_end(&ins, NULL);
	msg_progress_end();
	ng = sm_count(t);
	g = sm_sorted(t, by);
	if (bin_ns) {
		bin_by = by;
		qsort((void *)g, ng, sizeof *g, cmp_bin);
	}
	if (top && top < ng) ng = (size_t)top;
	if (fm == F_TEXT) { /* columns as wide as their widest cell, numbers to the right */
		for (unsigned i = 0; i < nc; i++)
			width[i] = strlen(i < ncols ? cols[i].name : sum_cols[i - ncols]);
		for (size_t r = 0; r < ng; r++) {
			sum_cells(g[r], cell, len, num, sizeof num);
			for (unsigned i = 0; i < nc; i++)
				if (len[i] > width[i]) width[i] = len[i];
		}
	}
	for (size_t r = 0; r <= ng && row_no; r++) {
		if (r == 0 && !header) continue;
		if (r == 0) {
			for (unsigned i = 0; i < nc; i++) {
				cell[i] = i < ncols ? cols[i].name : sum_cols[i - ncols];
				len[i] = strlen(cell[i]);
			}
		} else sum_cells(g[r - 1], cell, len, num, sizeof num);
		if (fm == F_JSONL) {
			if (r == 0) continue;
			buf_put8(&b, '{');
			for (unsigned i = 0; i < nc; i++) {
				const char *name = i < ncols ? cols[i].name : sum_cols[i - ncols];

				if (i) buf_put8(&b, ',');
				rj_put_text(&b, (const uint8_t *)name, strlen(name));
				buf_put8(&b, ':');
				if (i >= ncols) buf_put(&b, cell[i], len[i]);
				else rj_put_text(&b, (const uint8_t *)cell[i], len[i]);
			}
			buf_put(&b, "}\n", 2);
			continue;
		}
		for (unsigned i = 0; i < nc; i++) {
			if (fm == F_TEXT) {
				size_t pad = width[i] - len[i];

				if (i) buf_put(&b, "  ", 2);
				if (i >= ncols)
					while (pad--) buf_put8(&b, ' ');
				buf_put(&b, cell[i], len[i]);
				if (i < ncols && i + 1 < nc)
					while (pad--) buf_put8(&b, ' ');
				continue;
			}
			if (i) buf_put8(&b, fm == F_TSV ? '\t' : ',');
			if (fm == F_TSV) put_tsv_text(&b, cell[i], len[i]);
			else put_csv_text(&b, cell[i], len[i], ',');
		}
		buf_put8(&b, '\n');
		if (b.len >= FLUSH_AT) write_out(out, &b);
	}
	write_out(out, &b);
	buf_free(&b);
	buf_free(&key);
	buf_free(&tb);
	st_flow_free(&s);
	sm_free(t);
	return status;
}

static void list_columns(void)
{
	printf("# named sets: flowkit full wa1kpcap nfstream cicflowmeter id\n");
	printf("# features: [src_|dst_]SEQ_STAT, SEQ one of:");
	for (int q = 0; q < SQ_N; q++) printf(" %s", st_seq_name(q));
	printf("\n# STAT one of:");
	for (int st = 0; st < ST_QUANTILE; st++) printf(" %s", st_stat_name(st));
	printf(" pNN\n");
	printf("# also: [src_|dst_]FLAG_count (FLAG:");
	for (int b = 0; b < ST_NFLAGS; b++) printf(" %s", flag_names[b]);
	printf("), src_init_win, dst_init_win, duration_s, [src_|dst_]pkts_per_s,\n");
	printf("# [src_|dst_]bytes_per_s, down_up_pkts, down_up_bytes, stats_capped, pkts_stored,\n");
	printf("# row, splt_len_K, splt_dir_K (K 1..%d), features.NAME\n", MAX_SPLT);
	printf("# registry fields:\n");
	for (int i = 0; i < FLD_N; i++)
		if (field_ok(fld_def(i))) printf("%s\n", fld_name(i));
}

int main(int argc, char **argv)
{
	enum { O_SET = 256, O_NOHDR, O_IDLE, O_PARTIAL, O_BY, O_MAXG, O_BIN, O_COMPAT, O_THREADS };
	const char *summary = NULL;
	int by = SM_BYTES;
	uint64_t top = 0, max_groups = 1000000;
	bool fmt_set = false;
	static const struct option longopts[] = {
		{ "columns", required_argument, NULL, 'c' },
		{ "set", required_argument, NULL, O_SET },
		{ "compat", required_argument, NULL, O_COMPAT },
		{ "format", required_argument, NULL, 'f' },
		{ "no-header", no_argument, NULL, O_NOHDR },
		{ "idle-gap", required_argument, NULL, O_IDLE },
		{ "partial", no_argument, NULL, O_PARTIAL },
		{ "list", no_argument, NULL, 'l' },
		{ "summary", required_argument, NULL, 's' },
		{ "top", required_argument, NULL, 'n' },
		{ "by", required_argument, NULL, O_BY },
		{ "max-groups", required_argument, NULL, O_MAXG },
		{ "bin", required_argument, NULL, O_BIN },
		{ "output", required_argument, NULL, 'o' },
		{ "threads", required_argument, NULL, O_THREADS },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 },
	};
	struct out_file out;
	const char *opath = NULL;
	enum fmt fm = F_CSV;
	bool header = true;
	double gap;
	int c, status;
	long ncpu = sysconf(_SC_NPROCESSORS_ONLN);
	unsigned threads = ncpu > 8 ? 8 : ncpu > 1 ? (unsigned)ncpu : 1;

	cli_init("flow-stats", argc, argv);
	opterr = 0;
	while ((c = getopt_long(argc, argv, ":c:f:ln:o:s:h", longopts, NULL)) != -1) {
		switch (c) {
		case 'c': add_list(optarg); break;
		case O_SET: add_set(optarg); break;
		case O_COMPAT:
			if (strcmp(optarg, "cicflowmeter") != 0)
				cli_usage_error("--compat: %s: not a tool flow-stats can imitate (cicflowmeter)", optarg);
			cic.compat = true;
			break;
		case 's': summary = optarg; break;
		case 'n':
			if (num_parse_u64(optarg, 1, UINT64_MAX >> 1, &top) < 0)
				cli_usage_error("-n: %s: not a positive number", optarg);
			break;
		case O_BY:
			if ((by = sm_metric_by_name(optarg)) < 0)
				cli_usage_error("--by: %s: not flows, pkts, bytes or duration", optarg);
			break;
		case O_MAXG:
			if (num_parse_u64(optarg, 1, 1u << 30, &max_groups) < 0)
				cli_usage_error("--max-groups: %s: not a number from 1 to 2^30", optarg);
			break;
		case 'f':
			fmt_set = true;
			if (strcmp(optarg, "csv") == 0) fm = F_CSV;
			else if (strcmp(optarg, "tsv") == 0) fm = F_TSV;
			else if (strcmp(optarg, "jsonl") == 0) fm = F_JSONL;
			else if (strcmp(optarg, "npy") == 0) fm = F_NPY;
			else if (strcmp(optarg, "text") == 0) fm = F_TEXT;
			else cli_usage_error("%s: unknown format (csv, tsv, jsonl, npy, text)", optarg);
			break;
		case O_BIN: {
			double w;

			if (num_parse_double(optarg, 1e-9, 1e9, &w) < 0 || llround(w * 1e9) < 1)
				cli_usage_error("--bin: %s: not a number of seconds (1e-9 to 1e9)", optarg);
			bin_ns = (uint64_t)llround(w * 1e9);
			break;
		}
		case O_NOHDR: header = false; break;
		case O_IDLE:
			if (num_parse_double(optarg, 0, 1e9, &gap) < 0)
				cli_usage_error("--idle-gap: %s: not a number of seconds", optarg);
			cfg.idle_ns = (uint64_t)llround(gap * 1e9);
			cic.idle_ns = cfg.idle_ns;
			break;
		case O_PARTIAL: cfg.partial = true; break;
		case 'l':
			list_columns();
			out_close_stdout();
			return EXIT_OK;
		case 'o': opath = optarg; break;
		case O_THREADS: threads = (unsigned)cli_count("--threads", optarg, 1, 64); break;
		case 'h': cli_help(usage_text);
		case 'V': cli_version();
		default: cli_bad_option(c, argv);
		}
	}
	if (summary) {
		if (ncols) cli_usage_error("-s takes no -c or --set: its keys are its columns");
		if (fm == F_NPY) cli_usage_error("-s writes text, csv, tsv or jsonl");
		if (!fmt_set) fm = F_TEXT;
		add_keys(summary);
	} else {
		if (fm == F_TEXT) cli_usage_error("-f text is for -s");
		if (top || by != SM_BYTES || max_groups != 1000000 || bin_ns)
			cli_usage_error("-n, --by, --max-groups and --bin are for -s");
		if (ncols == 0) set_flowkit(false);
	}
	if (fm == F_NPY) {
		struct npy z;

		if (!opath || strcmp(opath, "-") == 0) cli_usage_error("-f npy needs -o FILE.npy");
		numeric = true;
		if (npy_open(&z, opath) < 0) return EXIT_DATA;
		status = threads > 1 ? run_rows_mt(argv + optind, argc - optind, NULL, &z, fm, false, threads)
		                     : run_rows(argv + optind, argc - optind, NULL, &z, fm, false);
		if (status != EXIT_OK) msg_warn("%s: not written: an input failed", opath);
		if (npy_close(&z, status == EXIT_OK) < 0) status = EXIT_DATA;
		return status;
	}
	if (out_open(&out, opath) < 0) return EXIT_DATA;
	if (summary)
		status = run_summary(argv + optind, argc - optind, &out, fm, header, (enum sm_metric)by,
		    top, (size_t)max_groups);
	else if (threads > 1)
		status = run_rows_mt(argv + optind, argc - optind, &out, NULL, fm, header, threads);
	else
		status = run_rows(argv + optind, argc - optind, &out, NULL, fm, header);
	if (status != EXIT_OK && opath && strcmp(opath, "-") != 0) {
		msg_warn("%s: not written: an input failed", opath);
		out_abort(&out);
		return EXIT_DATA;
	}
	if (out_commit(&out) < 0) status = EXIT_DATA;
	return status;
}
