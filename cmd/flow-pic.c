/*
 * flow-pic - FlowPic histograms (common/flowpic.c) of flowrec flows as
 * NPY arrays: PREFIX[-PART]-X.npy (N, C, H, W), -y.npy (N,) class ids,
 * -index.csv (the flow, window and split of each row), PREFIX-classes.txt.
 *
 * Options -> class table (a class file, or the previous run's classes
 * when appending) -> writers (temporaries; the old items copied when
 * appending) -> for each flow: class, sample, split part, then for each
 * kept window: picture, dedup, cap, write -> every file finished, then
 * renamed as one group -> statistics.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "bytes.h"
#include "cli.h"
#include "dataset.h"
#include "flowpic.h"
#include "label.h"
#include "npy.h"
#include "pic.h"
#include "sink.h"
#include "stream.h"

static const char usage_text[] =
"usage: flow-pic -o PREFIX [options] [file ...]\n"
"Turn flowrec flows into FlowPic histograms: PREFIX-X.npy (N, C, H, W),\n"
"PREFIX-y.npy, PREFIX-index.csv and PREFIX-classes.txt.  Reads the files, or\n"
"stdin.\n"
"\n"
"presets (the first is the default; later options change them):\n"
"      --flowpic-original  the original: unidirectional IPv4 TCP/UDP flows of\n"
"                        more than 10 packets, 60 s windows kept with more than\n"
"                        10 packets spanning more than 50 s, 1500 x 1500, IP\n"
"                        length against time over the packets' span, uint16\n"
"      --mini            mini-FlowPic: 32 x 32, 15 s windows, no span minimum,\n"
"                        counts clipped at 255, uint8\n"
"picture:\n"
"      --window S        window length in seconds\n"
"      --step S          window start every S seconds (less than --window: overlap)\n"
"      --axis A          time axis: span (first to last packet) or fixed (the window)\n"
"      --bins N          bins on both axes; --size-bins N, --time-bins N each\n"
"      --size-range LO:HI  the size axis (default 0:1500)\n"
"      --time-range LO:HI  with --axis fixed: the time axis, in seconds from the\n"
"                        window's start (default 0:WINDOW)\n"
"      --size F          packet size: ip (default), wire, l4, payload\n"
"      --dir D           each (each direction its own flow), up, down, merged\n"
"                        (both directions, one channel), split (two channels)\n"
"      --min-flow-pkts N a flow needs more than N packets\n"
"      --min-pkts N      a window needs more than N packets\n"
"      --min-span S      and its packets must span more than S seconds\n"
"      --norm N          none, clip, max (scaled by the largest count), log\n"
"      --clip N          the largest count with --norm clip (default 255)\n"
"      --dtype T         uint8, uint16, float32\n"
"      --any-proto       also IPv6 and protocols other than TCP and UDP\n"
"labels and selection:\n"
"  -c, --classes FILE    class file (lines 'name id'); default: first appearance\n"
"      --sample F        keep a fraction F of the flows (a keyed hash of each)\n"
"      --dedup SCOPE     drop pictures identical to an earlier one: none (default),\n"
"                        file, all\n"
"      --max-per-class N keep at most N pictures of a class (the first ones)\n"
"      --split SPEC      parts, e.g. train=0.8,test=0.2; a flow's windows stay\n"
"                        in one part\n"
"      --seed N          split and sample seed (default 0)\n"
"      --group G         split unit: flow (default) or file\n"
"output:\n"
"  -o, --output PREFIX   output prefix (required)\n"
"  -a, --append          add to an existing data set\n"
"      --sparse          PREFIX-Xcoo.npy instead of X.npy: (picture, channel, row,\n"
"                        column, count) of each non-zero cell, uint32\n"
"      --preview FILE    a PNG contact sheet of the first pictures of each class\n"
"      --stats FILE      write the statistics to FILE instead of stderr\n"
"  -q, --quiet           no statistics on stderr\n"
"  -h, --help            this text\n"
"      --version         version\n";

enum {
	O_ORIG = 256, O_MINI, O_WINDOW, O_STEP, O_AXIS, O_BINS, O_SBINS, O_TBINS, O_SRANGE, O_TRANGE,
	O_SIZE, O_DIR, O_MINFLOW, O_MINPKTS, O_MINSPAN, O_NORM, O_CLIP, O_DTYPE, O_ANY,
	O_SAMPLE, O_DEDUP, O_MAXPC, O_SPLIT, O_SEED, O_GROUP, O_STATS, O_VERSION, O_SPARSE, O_PREVIEW
};

static struct {
	bool append, quiet, sparse;
	const char *prefix, *classes, *stats, *preview;
	struct fp_config pic;
	struct ds_config sel;
} opt = {
	.sel = { .dedup = DS_DEDUP_NONE, .cap = DS_CAP_FIRST },
};
static struct ds *sel;
static struct label_classes classes;

struct part {
	const char *name;      /* NULL without a split */
	struct npy_writer x, y;
	struct out_file csv;
	uint64_t rows;         /* rows in the part, old ones included */
	uint64_t new_n;
};
static struct part parts[DS_MAX_PARTS];
static unsigned nparts;
static bool appended; /* some part had old rows */

static struct {
	uint64_t read, proto, notable, few, nowin, flows, windows, written, unlabeled, unknown;
	uint64_t per_class[256];
} st;

static char *path_of(const char *part, const char *what)
{
	return sink_path(opt.prefix, part, what);
}

static const char csv_head[] =
    "row,split,class,label,file,first_packet,proto,src,sport,dst,dport,dir,window,start,packets,drawn\n";

/* A CSV field, quoted when it must be. */
static void csv_field(FILE *fp, const uint8_t *s, size_t n)
{
	size_t i;
	bool q = false;

	for (i = 0; i < n; i++)
		if (s[i] == ',' || s[i] == '"' || s[i] == '\n' || s[i] == '\r') q = true;
	if (!q) {
		fwrite(s, 1, n, fp);
		return;
	}
	putc('"', fp);
	for (i = 0; i < n; i++) {
		if (s[i] == '"') putc('"', fp);
		putc(s[i], fp);
	}
	putc('"', fp);
}

/* copy_csv: the old index's rows (its header line is ours, skipped). */
static void copy_csv(FILE *to, const char *path)
{
	FILE *fp = fopen(path, "rb");
	char b[1 << 14];
	size_t n;
	int ch;

	if (fp == NULL) msg_die(EXIT_DATA, "%s: %s", path, strerror(errno));
	while ((ch = getc(fp)) != EOF && ch != '\n') continue;
	while ((n = fread(b, 1, sizeof b, fp)) > 0)
		if (fwrite(b, 1, n, to) != n) msg_die(EXIT_DATA, "write error: %s", strerror(errno));
	if (ferror(fp)) msg_die(EXIT_DATA, "%s: read error", path);
	fclose(fp);
}

/* count_labels: the labels of an appended y.npy count against the cap. */
static void count_labels(const char *path, const struct npy_info *inf, unsigned part)
{
	FILE *fp = fopen(path, "rb");
	uint8_t v[8];
	uint64_t k;

	if (fp == NULL || fseek(fp, (long)inf->data, SEEK_SET) != 0)
		msg_die(EXIT_DATA, "%s: %s", path, strerror(errno));
	for (k = 0; k < inf->shape[0]; k++) {
		int64_t id;

		if (fread(v, 1, 8, fp) != 8) msg_die(EXIT_DATA, "%s: read error", path);
		id = (int64_t)(v[0] | (uint64_t)v[1] << 8 | (uint64_t)v[2] << 16 | (uint64_t)v[3] << 24 |
		    (uint64_t)v[4] << 32 | (uint64_t)v[5] << 40 | (uint64_t)v[6] << 48 |
		    (uint64_t)v[7] << 56);
		if (id < 0 || id > 255) msg_die(EXIT_DATA, "%s: label %lld is not a class id", path,
		    (long long)id);
		ds_note_old_label(sel, part, (uint8_t)id);
	}
	fclose(fp);
}

static void open_parts(struct out_group *g)
{
	const struct fp_config *c = &opt.pic;
	uint64_t xs[4] = { 0, fp_channels(c), c->size_bins, c->time_bins }, ys[1] = { 0 };
	uint64_t cs[2] = { 0, 5 };
	unsigned i;

	for (i = 0; i < nparts; i++) {
		struct part *p = &parts[i];
		char *xp = path_of(p->name, opt.sparse ? "Xcoo.npy" : "X.npy"), *yp = path_of(p->name, "y.npy");
		char *cp = path_of(p->name, "index.csv");
		struct npy_info xi, yi;
		char e1[256], e2[256];
		int rx = -1, ry = -1;
		bool old = false;

		if (opt.append) {
			rx = npy_read_info(xp, &xi, e1, sizeof e1);
			if (rx < 0 && errno != ENOENT) msg_die(EXIT_DATA, "%s: %s", xp, e1);
			ry = npy_read_info(yp, &yi, e2, sizeof e2);
			if (ry < 0 && errno != ENOENT) msg_die(EXIT_DATA, "%s: %s", yp, e2);
			if ((rx == 0) != (ry == 0))
				msg_die(EXIT_DATA, "%s: exists without %s; not appending to half a data set",
				    rx == 0 ? xp : yp, rx == 0 ? yp : xp);
			old = rx == 0;
			if (old && !opt.sparse && xi.shape[0] != yi.shape[0])
				msg_die(EXIT_DATA, "%s holds %llu pictures but %s %llu labels", xp,
				    (unsigned long long)xi.shape[0], yp, (unsigned long long)yi.shape[0]);
		}
		if ((opt.sparse ? npy_create(&p->x, xp, "<u4", 2, cs) :
		    npy_create(&p->x, xp, fp_descr(c->dtype), 4, xs)) < 0 ||
		    npy_create(&p->y, yp, "<i8", 1, ys) < 0 || out_open(&p->csv, cp) < 0)
			msg_die(EXIT_DATA, "%s: not written", opt.prefix);
		fputs(csv_head, p->csv.fp);
		if (old) {
			if (npy_copy_from(&p->x, xp) < 0 || npy_copy_from(&p->y, yp) < 0)
				msg_die(EXIT_DATA, "cannot append to %s", opt.prefix);
			copy_csv(p->csv.fp, cp);
			count_labels(yp, &yi, i);
			p->rows = yi.shape[0];
			appended = true;
		}
		/* Labels last: a reader that finds them finds the pictures. */
		out_group_add(g, &p->x.out);
		out_group_add(g, &p->csv);
		out_group_add(g, &p->y.out);
		free(xp);
		free(yp);
		free(cp);
	}
}

/* ---- the flows ---- */

struct ctx {
	const struct rec_flow *f;
	uint8_t cls;
	unsigned part;
	uint8_t id[32];   /* the flow's identity: its windows share one part */
	uint8_t *item;
};

static void flow_identity(const struct rec_flow *f, uint8_t out[32])
{
	static struct ds_sha h;
	static bool init;
	const struct rec_elem *e = rec_find(f, RE_SOURCE);

	if (!init) {
		ds_sha_new(&h);
		init = true;
	}
	ds_sha_begin(&h);
	ds_sha_add(&h, &f->ipv, 1);
	ds_sha_add(&h, &f->proto, 1);
	ds_sha_add(&h, f->src, 16);
	ds_sha_add(&h, f->dst, 16);
	ds_sha_add64(&h, (uint64_t)f->sport << 16 | f->dport);
	ds_sha_add64(&h, f->first_ns);
	if (e) ds_sha_add(&h, e->val, e->len);
	ds_sha_end(&h, out);
}

static void put_addr(FILE *fp, const struct rec_flow *f, const uint8_t *a)
{
	char t[64];

	if (f->ipv == 4) inet_ntop(AF_INET, a, t, sizeof t);
	else if (f->ipv == 6) inet_ntop(AF_INET6, a, t, sizeof t);
	else t[0] = '\0';
	fputs(t, fp);
}

static void csv_row(struct part *p, const struct ctx *x, const struct fp_window *w)
{
	static const char *const dirs[] = { "up", "down", "both" };
	const struct rec_flow *f = x->f;
	const struct rec_elem *le = rec_find(f, RE_LABEL), *se = rec_find(f, RE_SOURCE);
	const uint8_t *name = (const uint8_t *)"";
	uint32_t namelen = 0;
	uint64_t first = 0;
	FILE *fp = p->csv.fp;

	if (se) rec_source_get(se, &first, &name, &namelen);
	fprintf(fp, "%llu,", (unsigned long long)p->rows);
	if (p->name) csv_field(fp, (const uint8_t *)p->name, strlen(p->name));
	fprintf(fp, ",%u,", x->cls);
	if (le) csv_field(fp, le->val, le->len);
	putc(',', fp);
	csv_field(fp, name, namelen);
	fprintf(fp, ",%llu,%u,", (unsigned long long)(se ? first : 0), f->proto);
	put_addr(fp, f, f->src);
	fprintf(fp, ",%u,", f->sport);
	put_addr(fp, f, f->dst);
	fprintf(fp, ",%u,%s,%llu,%.6f,%lu,%lu\n", f->dport, dirs[w->dir > 2 ? 2 : w->dir],
	    (unsigned long long)w->index, w->start, (unsigned long)w->pkts, (unsigned long)w->drawn);
}

/* The preview: the first pictures of each class, rendered. */
#define PREVIEW_PER_CLASS 8
#define PREVIEW_SIDE 150
static struct {
	uint8_t *img[256];
	unsigned n[256];
	uint32_t rows, cols;
} pv;

static void preview_add(uint8_t cls, const uint32_t *counts)
{
	size_t one = (size_t)pv.rows * pv.cols * 3;

	if (pv.n[cls] >= PREVIEW_PER_CLASS) return;
	if (pv.img[cls] == NULL) pv.img[cls] = xmalloc(one * PREVIEW_PER_CLASS);
	fp_render(&opt.pic, counts, PREVIEW_SIDE, pv.img[cls] + one * pv.n[cls]++);
}

/* preview_write: the contact sheet into o (opened; committed with the group). */
static void preview_write(struct out_file *o)
{
	const uint8_t *rowsv[256];
	char *labels[256];
	unsigned counts[256], k, nr = 0;

	for (k = 0; k < 256; k++)
		if (pv.n[k]) {
			const char *nm = sink_class_name(&classes, k);

			labels[nr] = xmalloc(strlen(nm) + 8);
			sprintf(labels[nr], "%u %s", k, nm);
			counts[nr] = pv.n[k];
			rowsv[nr++] = pv.img[k];
		}
	if (pic_contact_sheet_rgb(o, rowsv, (const char *const *)labels, counts, nr, PREVIEW_PER_CLASS,
	    pv.rows, pv.cols) < 0)
		msg_die(EXIT_DATA, "%s: not written", opt.prefix);
	for (k = 0; k < nr; k++) free(labels[k]);
	for (k = 0; k < 256; k++) free(pv.img[k]);
}

static void put_u32(uint8_t *p, uint64_t v)
{
	p[0] = (uint8_t)v;
	p[1] = (uint8_t)(v >> 8);
	p[2] = (uint8_t)(v >> 16);
	p[3] = (uint8_t)(v >> 24);
}

/* put_sparse: the non-zero cells of a converted picture as COO rows. */
static int put_sparse(struct part *p, const uint8_t *item)
{
	const struct fp_config *c = &opt.pic;
	size_t n = fp_cells(c), i, plane = (size_t)c->size_bins * c->time_bins;
	uint8_t r[20];

	for (i = 0; i < n; i++) {
		uint32_t v = c->dtype == FP_U8 ? item[i] : (uint32_t)(item[2 * i] | item[2 * i + 1] << 8);

		if (v == 0) continue;
		put_u32(r, p->rows);
		put_u32(r + 4, i / plane);
		put_u32(r + 8, i % plane / c->time_bins);
		put_u32(r + 12, i % c->time_bins);
		put_u32(r + 16, v);
		if (npy_put(&p->x, r) < 0) return -1;
	}
	return 0;
}

static int take_window(void *arg, const struct fp_window *w, const uint32_t *counts)
{
	struct ctx *x = arg;
	size_t n = fp_item_bytes(&opt.pic);
	int64_t cls = x->cls;
	uint8_t y[8];
	unsigned p, i;

	st.windows++;
	fp_convert(&opt.pic, counts, x->item);
	if (ds_is_dup(sel, x->f, x->item, n)) return 0;
	if (ds_cap_full(sel, x->cls)) return 0;
	/* The item ds_place compares is the flow's identity, not the picture:
	 * identical pictures of two flows may sit in two parts, the windows of
	 * one flow never do. */
	p = ds_place(sel, x->id, x->part, x->cls);
	for (i = 0; i < 8; i++) y[i] = (uint8_t)((uint64_t)cls >> (8 * i));
	if ((opt.sparse ? put_sparse(&parts[p], x->item) : npy_put(&parts[p].x, x->item)) < 0 ||
	    npy_put(&parts[p].y, y) < 0)
		msg_die(EXIT_DATA, "giving up: nothing was changed at %s", opt.prefix);
	csv_row(&parts[p], x, w);
	if (opt.preview) preview_add(x->cls, counts);
	parts[p].rows++;
	parts[p].new_n++;
	st.written++;
	st.per_class[x->cls]++;
	return 0;
}

static void take_flow(const struct rec_flow *f, uint32_t *counts, uint8_t *item)
{
	struct ctx x = { .f = f, .item = item };
	uint64_t nw;

	st.read++;
	x.cls = sink_class_of(&classes, f, &st.unlabeled, &st.unknown);
	if (ds_sampled(sel, f)) return;
	x.part = ds_part_pick(sel, f);
	flow_identity(f, x.id);
	switch (fp_flow(&opt.pic, f, counts, take_window, &x, &nw)) {
	case FP_PROTO: st.proto++; break;
	case FP_NOTABLE: st.notable++; break;
	case FP_FEW: st.few++; break;
	default:
		if (nw) st.flows++;
		else st.nowin++;
		break;
	}
}

static void write_stats(FILE *fp)
{
	const struct ds_stats *ds = ds_stats(sel);
	unsigned i;

	fprintf(fp, "flows read %llu\n", (unsigned long long)st.read);
	fprintf(fp, "not IPv4 TCP or UDP %llu\n", (unsigned long long)st.proto);
	fprintf(fp, "without packet table %llu\n", (unsigned long long)st.notable);
	fprintf(fp, "too few packets %llu\n", (unsigned long long)st.few);
	fprintf(fp, "no window kept %llu\n", (unsigned long long)st.nowin);
	fprintf(fp, "flows pictured %llu\n", (unsigned long long)st.flows);
	fprintf(fp, "windows kept %llu\n", (unsigned long long)st.windows);
	fprintf(fp, "duplicates removed %llu\n", (unsigned long long)ds->dups);
	fprintf(fp, "over class cap %llu\n", (unsigned long long)ds->capped);
	if (opt.sel.sample > 0 && opt.sel.sample < 1)
		fprintf(fp, "sampled out %llu\n", (unsigned long long)ds->sampled_out);
	fprintf(fp, "pictures written %llu\n", (unsigned long long)st.written);
	fprintf(fp, "without label %llu\n", (unsigned long long)st.unlabeled);
	fprintf(fp, "unknown label %llu\n", (unsigned long long)st.unknown);
	if (nparts > 1)
		for (i = 0; i < nparts; i++)
			fprintf(fp, "part %s %llu\n", parts[i].name, (unsigned long long)parts[i].new_n);
	sink_class_stats(fp, &classes, st.per_class);
}

/* ---- options ---- */

/* pick(o, s, names): the index of s in the NULL-terminated names. */
static int pick(const char *o, const char *s, const char *const *names)
{
	int i;

	for (i = 0; names[i]; i++)
		if (strcmp(s, names[i]) == 0) return i;
	cli_usage_error("%s: '%s' is not one of the documented values", o, s);
}

/* range(o, s, lo, hi): "LO:HI" with 0 <= LO < HI. */
static void range(const char *o, const char *s, double *lo, double *hi)
{
	const char *colon = strchr(s, ':');
	char a[64];

	if (colon == NULL || (size_t)(colon - s) >= sizeof a)
		cli_usage_error("%s: '%s' is not LO:HI", o, s);
	memcpy(a, s, (size_t)(colon - s));
	a[colon - s] = '\0';
	if (num_parse_double(a, 0, 1e9, lo) < 0 || num_parse_double(colon + 1, 0, 1e9, hi) < 0 ||
	    !(*lo < *hi))
		cli_usage_error("%s: '%s' is not LO:HI with 0 <= LO < HI", o, s);
}

static void parse_options(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "flowpic-original", no_argument, NULL, O_ORIG },
		{ "mini", no_argument, NULL, O_MINI },
		{ "window", required_argument, NULL, O_WINDOW },
		{ "step", required_argument, NULL, O_STEP },
		{ "axis", required_argument, NULL, O_AXIS },
		{ "bins", required_argument, NULL, O_BINS },
		{ "size-bins", required_argument, NULL, O_SBINS },
		{ "time-bins", required_argument, NULL, O_TBINS },
		{ "size-range", required_argument, NULL, O_SRANGE },
		{ "time-range", required_argument, NULL, O_TRANGE },
		{ "size", required_argument, NULL, O_SIZE },
		{ "dir", required_argument, NULL, O_DIR },
		{ "min-flow-pkts", required_argument, NULL, O_MINFLOW },
		{ "min-pkts", required_argument, NULL, O_MINPKTS },
		{ "min-span", required_argument, NULL, O_MINSPAN },
		{ "norm", required_argument, NULL, O_NORM },
		{ "clip", required_argument, NULL, O_CLIP },
		{ "dtype", required_argument, NULL, O_DTYPE },
		{ "any-proto", no_argument, NULL, O_ANY },
		{ "classes", required_argument, NULL, 'c' },
		{ "sample", required_argument, NULL, O_SAMPLE },
		{ "dedup", required_argument, NULL, O_DEDUP },
		{ "max-per-class", required_argument, NULL, O_MAXPC },
		{ "split", required_argument, NULL, O_SPLIT },
		{ "seed", required_argument, NULL, O_SEED },
		{ "group", required_argument, NULL, O_GROUP },
		{ "output", required_argument, NULL, 'o' },
		{ "append", no_argument, NULL, 'a' },
		{ "stats", required_argument, NULL, O_STATS },
		{ "sparse", no_argument, NULL, O_SPARSE },
		{ "preview", required_argument, NULL, O_PREVIEW },
		{ "quiet", no_argument, NULL, 'q' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, O_VERSION },
		{ NULL, 0, NULL, 0 },
	};
	static const char *const axes[] = { "span", "fixed", NULL };
	static const char *const dirs[] = { "each", "up", "down", "merged", "split", NULL };
	static const char *const norms[] = { "none", "clip", "max", "log", NULL };
	static const char *const dtypes[] = { "uint8", "uint16", "float32", NULL };
	static const char *const sizes[] = { "ip", "wire", "l4", "payload", NULL };
	static const char *const dedups[] = { "none", "file", "all", NULL };
	static const char *const groups[] = { "flow", "file", NULL };
	struct fp_config *pc = &opt.pic;
	struct ds_config *dc = &opt.sel;
	char err[256];
	int c;

	fp_preset_original(pc);
	opterr = 0;
	while ((c = getopt_long(argc, argv, ":c:o:aqh", longopts, NULL)) != -1) {
		switch (c) {
		case O_ORIG: fp_preset_original(pc); break;
		case O_MINI: fp_preset_mini(pc); break;
		case O_WINDOW: pc->window = cli_seconds("--window", optarg, 1e-6, 1e9); break;
		case O_STEP: pc->step = cli_seconds("--step", optarg, 1e-6, 1e9); break;
		case O_AXIS: pc->axis = (enum fp_axis)pick("--axis", optarg, axes); break;
		case O_BINS:
			pc->size_bins = pc->time_bins = (uint32_t)cli_count("--bins", optarg, 1, FP_MAX_BINS);
			break;
		case O_SBINS: pc->size_bins = (uint32_t)cli_count("--size-bins", optarg, 1, FP_MAX_BINS); break;
		case O_TBINS: pc->time_bins = (uint32_t)cli_count("--time-bins", optarg, 1, FP_MAX_BINS); break;
		case O_SRANGE: range("--size-range", optarg, &pc->size_lo, &pc->size_hi); break;
		case O_TRANGE: range("--time-range", optarg, &pc->time_lo, &pc->time_hi); break;
		case O_SIZE: pc->size = (enum fp_size)pick("--size", optarg, sizes); break;
		case O_DIR: pc->dir = (enum fp_dir)pick("--dir", optarg, dirs); break;
		case O_MINFLOW: pc->min_flow_pkts = cli_count("--min-flow-pkts", optarg, 0, REC_MAX_PKTS); break;
		case O_MINPKTS: pc->min_pkts = cli_count("--min-pkts", optarg, 0, REC_MAX_PKTS); break;
		case O_MINSPAN: pc->min_span = cli_seconds("--min-span", optarg, 0, 1e9); break;
		case O_NORM: pc->norm = (enum fp_norm)pick("--norm", optarg, norms); break;
		case O_CLIP: pc->clip = (double)cli_count("--clip", optarg, 0, UINT32_MAX); break;
		case O_DTYPE: pc->dtype = (enum fp_dtype)pick("--dtype", optarg, dtypes); break;
		case O_ANY: pc->any_proto = true; break;
		case 'c': opt.classes = optarg; break;
		case O_SAMPLE:
			if (num_parse_double(optarg, 0, 1, &dc->sample) < 0 || dc->sample <= 0)
				cli_usage_error("--sample: '%s' is not a fraction in (0, 1]", optarg);
			break;
		case O_DEDUP: dc->dedup = (enum ds_dedup)pick("--dedup", optarg, dedups); break;
		case O_MAXPC: dc->max_per_class = cli_count("--max-per-class", optarg, 1, UINT32_MAX); break;
		case O_SPLIT:
			if (dc->nparts) cli_usage_error("--split given twice");
			if (ds_parse_split(optarg, dc, err, sizeof err) < 0) cli_usage_error("--split: %s", err);
			break;
		case O_SEED: dc->seed = cli_count("--seed", optarg, 0, UINT64_MAX); break;
		case O_GROUP: dc->group = (enum ds_group)pick("--group", optarg, groups); break;
		case 'o': opt.prefix = optarg; break;
		case 'a': opt.append = true; break;
		case O_STATS: opt.stats = optarg; break;
		case O_SPARSE: opt.sparse = true; break;
		case O_PREVIEW: opt.preview = optarg; break;
		case 'q': opt.quiet = true; break;
		case 'h': cli_help(usage_text);
		case O_VERSION: cli_version();
		default: cli_bad_option(c, argv);
		}
	}
	if (opt.prefix == NULL || *opt.prefix == '\0') cli_usage_error("-o PREFIX is required");
	if (strcmp(opt.prefix, "-") == 0) cli_usage_error("-o: NPY files cannot go to stdout");
	if (fp_check(pc, err, sizeof err) < 0) cli_usage_error("%s", err);
	if (fp_item_bytes(pc) > (size_t)1 << 28)
		cli_usage_error("--bins: at most %u bytes per picture", 1u << 28);
	if (opt.sparse && pc->dtype == FP_F32) cli_usage_error("--sparse stores integers: not with --dtype float32");
	dc->item_len = 32; /* ds_place compares flow identities (take_window) */
	dc->cap = DS_CAP_FIRST;
}

int main(int argc, char **argv)
{
	static char *stdin_only[] = { "-", NULL };
	struct out_file cls_out, stats_out, pv_out;
	struct out_group g = { .n = 0 };
	struct rs_inputs ins;
	struct rs_item it;
	uint32_t *counts;
	uint8_t *item;
	char *cls_path;
	bool had_txt;
	int t, status = EXIT_OK;
	unsigned i;

	cli_init("flow-pic", argc, argv);
	parse_options(argc, argv);
	for (nparts = 0; nparts < opt.sel.nparts; nparts++) parts[nparts].name = opt.sel.part_name[nparts];
	if (nparts == 0) nparts = 1;
	if (optind == argc) {
		argv = stdin_only;
		argc = 1;
		optind = 0;
	}

	cls_path = sink_begin(opt.prefix, opt.classes, opt.append, &classes, &had_txt);
	sel = ds_new(&opt.sel);
	if (out_open(&cls_out, cls_path) < 0) msg_die(EXIT_DATA, "%s: not written", opt.prefix);
	out_group_add(&g, &cls_out);
	open_parts(&g);
	if (appended && !opt.classes && !had_txt)
		msg_die(EXIT_DATA, "%s: missing; without it or -c the class ids of the files "
		    "appended to are unknown", cls_path);

	fp_render_dims(&opt.pic, PREVIEW_SIDE, &pv.rows, &pv.cols);
	counts = xmalloc(fp_cells(&opt.pic) * sizeof *counts);
	item = xmalloc(fp_item_bytes(&opt.pic));
	rs_in_begin(&ins, NULL, argv + optind, argc - optind);
	while ((t = rs_in_next(&ins, &it)) != RS_EOF) {
		if (t != RS_FLOW) continue;
		take_flow(it.flow, counts, item);
		if ((st.read & 255) == 0) msg_progress("flows", st.read, 0);
	}
	if (rs_in_end(&ins, NULL) != EXIT_OK) status = EXIT_DATA;
	msg_progress_end();
	/* A bad input leaves the data set as it was: a partial one would look
	 * complete. */
	if (status != EXIT_OK) msg_die(EXIT_DATA, "%s: not written", opt.prefix);
	if (st.read && st.notable == st.read)
		msg_warn("no flow has a packet table: run pcap-flows without --max-pkts 0");
	sink_warn_gaps(sel, &opt.sel, &classes, "picture");

	if (label_classes_write(&classes, cls_out.fp) < 0)
		msg_die(EXIT_DATA, "%s: write error: %s", cls_path, strerror(errno));
	if (opt.preview) {
		if (out_open(&pv_out, opt.preview) < 0) msg_die(EXIT_DATA, "%s: not written", opt.prefix);
		preview_write(&pv_out);
		out_group_add(&g, &pv_out);
	}
	if (opt.stats) {
		if (out_open(&stats_out, opt.stats) < 0) msg_die(EXIT_DATA, "%s: not written", opt.prefix);
		write_stats(stats_out.fp);
		out_group_add(&g, &stats_out);
	}
	for (i = 0; i < nparts; i++)
		if (npy_finish(&parts[i].x) < 0 || npy_finish(&parts[i].y) < 0)
			msg_die(EXIT_DATA, "%s: not written", opt.prefix);
	if (out_group_commit(&g) < 0) msg_die(EXIT_DATA, "%s: not written", opt.prefix);
	if (!opt.stats && !opt.quiet) write_stats(stderr);
	free(counts);
	free(item);
	free(cls_path);
	label_classes_free(&classes);
	ds_free(sel);
	return EXIT_OK;
}
