/*
 * flow-idx - flowrec sessions to MNIST IDX images (the first rows x cols
 * bytes of each session) and labels.
 *
 * Options -> class table (a class file, or the previous run's classes
 * when appending) -> output writers (temporary files; copies of the old
 * items when appending) -> for each flow: label, sample, session bytes
 * (common/session.c), dedup, class cap, image, split part (common/dataset.c),
 * write -> finish every file, then rename them, the label files last ->
 * statistics.
 */
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "bytes.h"
#include "cli.h"
#include "dataset.h"
#include "idx.h"
#include "label.h"
#include "pic.h"
#include "session.h"
#include "sink.h"
#include "stream.h"

static const char usage_text[] =
"usage: flow-idx -o PREFIX [options] [file ...]\n"
"Turn flowrec sessions into MNIST IDX files: PREFIX-images-idx3-ubyte,\n"
"PREFIX-labels-idx1-ubyte and PREFIX-classes.txt.  Reads the files, or stdin.\n"
"\n"
"representation:\n"
"      --layer L         network (default: from the IP header), link, payload\n"
"      --pcap-framing    session bytes as a SplitCap pcap file (needs link bytes)\n"
"      --trailer         keep the Ethernet trailer after each IP packet\n"
"      --rows N, --cols N  image size (default 28 x 28)\n"
"      --pad BYTE        padding byte for short sessions (default 0)\n"
"      --short pad|drop  what to do with sessions shorter than an image\n"
"      --long trim|drop  what to do with sessions longer than an image\n"
"      --mask LIST       zero header fields: addr,port,ipid,ttl,csum,seq,ts, all\n"
"                        or none (default none)\n"
"      --tcp-udp-only    image TCP and UDP sessions only\n"
"      --orig-len W      pcap framing's wire length: wire (default) or captured\n"
"      --min-payload N   payload layer: leave out packet payloads under N bytes\n"
"labels and selection:\n"
"  -c, --classes FILE    class file (lines 'name id'); default: first appearance\n"
"      --sample F        keep a fraction F of the flows (a keyed hash of each)\n"
"      --dedup SCOPE     drop sessions with identical bytes: file (default), all, none\n"
"      --max-per-class N keep at most N sessions of a class\n"
"      --cap-keep K      which ones: first (default, in input order) or largest\n"
"      --split SPEC      parts, e.g. train=0.8,test=0.2 (one IDX pair per part)\n"
"      --seed N          split and sample seed (default 0)\n"
"      --group G         split unit: flow (default) or file\n"
"reproductions:\n"
"      --ustc-alllayers  USTC-TK2016 AllLayers (--layer link --pcap-framing\n"
"                        --orig-len captured --tcp-udp-only --dedup all\n"
"                        --cap-keep largest)\n"
"      --ustc-l7         USTC-TK2016 L7 (--layer payload --min-payload 2\n"
"                        --tcp-udp-only --dedup all --cap-keep largest)\n"
"      --seed001         seed 001 (--layer network --trailer --tcp-udp-only\n"
"                        --dedup file)\n"
"output:\n"
"  -o, --output PREFIX   output prefix (required)\n"
"  -a, --append          add to existing IDX files\n"
"      --stats FILE      write the statistics to FILE instead of stderr\n"
"      --preview FILE    draw a PNG contact sheet of a few images per class\n"
"  -q, --quiet           no statistics on stderr\n"
"  -h, --help            this text\n"
"      --version         version\n";

enum {
	O_LAYER = 256, O_FRAMING, O_TRAILER, O_ROWS, O_COLS, O_PAD, O_SHORT, O_LONG, O_MASK,
	O_DEDUP, O_MAXPC, O_SPLIT, O_SEED, O_GROUP, O_USTC_ALL, O_USTC_L7, O_SEED001,
	O_STATS, O_PREVIEW, O_VERSION, O_TCPUDP, O_ORIGLEN, O_MINPL, O_SAMPLE, O_CAPKEEP
};

#define MAX_PARTS   DS_MAX_PARTS /* two output files each, well within MSG_MAX_UNFINISHED */
#define PREVIEW_PER_CLASS 8

static struct {
	bool append, quiet, short_drop, long_drop;
	uint32_t rows, cols;
	uint8_t pad;
	const char *prefix, *classes, *stats, *preview;
	struct ses_config ses;  /* the session bytes */
	struct ds_config sel;   /* the selection */
} opt = {
	.rows = 28, .cols = 28,
	.ses = { .layer = SES_NETWORK },
	.sel = { .dedup = DS_DEDUP_FILE, .cap = DS_CAP_FIRST },
};
static struct ds *sel;

/* The class table: names (several may share an id in a class file). */
static struct label_classes classes;

struct part {
	char *name;
	double cum;       /* upper end of the part's share of [0, 1) */
	struct idx_writer img, lab;
	uint64_t new_n;   /* images this run wrote to the part */
};
static struct part parts[MAX_PARTS];
static unsigned nparts;
static bool appended; /* some part had old files to append to */

static struct {
	uint64_t read, written, empty, unlabeled, unknown, short_store, other_proto;
	uint64_t truncated, padded, full, dropped_short, dropped_long, nobytes;
	uint64_t orig_sum, payload_dropped;
	uint64_t per_class[256];
} st;

/* ---- class table ---- */

/* The class id of a flow's label (counts unlabeled and unknown labels). */
static uint8_t class_of(const struct rec_flow *f)
{
	return sink_class_of(&classes, f, &st.unlabeled, &st.unknown);
}

static uint32_t image_len(void) { return opt.rows * opt.cols; }

/* ---- output ---- */

static char *path_of(const char *part, const char *what)
{
	return sink_path(opt.prefix, part, what);
}

/* remember_images: note the images already in an appended part, so that
 * the split keeps new copies of them on the same side. */
static void remember_images(const char *path, const struct idx_info *inf, unsigned part)
{
	FILE *fp = fopen(path, "rb");
	uint8_t *im = xmalloc(inf->item);
	uint32_t k;

	if (fp == NULL || fseek(fp, (long)inf->hdr, SEEK_SET) != 0)
		msg_die(EXIT_DATA, "%s: %s", path, strerror(errno));
	for (k = 0; k < inf->dim[0]; k++) {
		if (fread(im, 1, inf->item, fp) != inf->item)
			msg_die(EXIT_DATA, "%s: read error", path);
		ds_note_old_item(sel, part, im);
	}
	fclose(fp);
	free(im);
}

/* count_labels: add the labels already in an appended file to the
 * per-class totals that --max-per-class and the empty-part warning look
 * at. */
static void count_labels(const char *path, const struct idx_info *inf)
{
	FILE *fp = fopen(path, "rb");
	uint32_t k;
	unsigned part = 0;
	int ch;

	for (k = 0; k < nparts; k++) {
		char *lp = path_of(parts[k].name, "labels-idx1-ubyte");

		if (strcmp(lp, path) == 0) part = k;
		free(lp);
	}

	if (fp == NULL || fseek(fp, (long)inf->hdr, SEEK_SET) != 0)
		msg_die(EXIT_DATA, "%s: %s", path, strerror(errno));
	for (k = 0; k < inf->dim[0]; k++) {
		if ((ch = getc(fp)) == EOF) msg_die(EXIT_DATA, "%s: read error", path);
		ds_note_old_label(sel, part, (uint8_t)ch);
	}
	fclose(fp);
}

/* Open the writers of every part; with --append, copy the old items first. */
static void open_parts(void)
{
	unsigned i;

	for (i = 0; i < nparts; i++) {
		struct part *p = &parts[i];
		char *ip = path_of(p->name, "images-idx3-ubyte"), *lp = path_of(p->name, "labels-idx1-ubyte");
		struct idx_info ii, li;
		char e1[256], e2[256];
		int ri = -1, rl = -1, ei = 0, el = 0;

		if (opt.append) {
			ri = idx_read_info(ip, 3, &ii, e1, sizeof e1);
			ei = ri < 0 ? errno : 0;
			rl = idx_read_info(lp, 1, &li, e2, sizeof e2);
			el = rl < 0 ? errno : 0;
			if (ri < 0 && ei != ENOENT) msg_die(EXIT_DATA, "%s: %s", ip, e1);
			if (rl < 0 && el != ENOENT) msg_die(EXIT_DATA, "%s: %s", lp, e2);
			if ((ri == 0) != (rl == 0))
				msg_die(EXIT_DATA, "%s: exists without %s; not appending to half a data set",
				    ri == 0 ? ip : lp, ri == 0 ? lp : ip);
			if (ri == 0 && ii.dim[0] != li.dim[0])
				msg_die(EXIT_DATA, "%s holds %lu images but %s %lu labels: an earlier run "
				    "was interrupted between its renames; rebuild the data set",
				    ip, (unsigned long)ii.dim[0], lp, (unsigned long)li.dim[0]);
			if (ri == 0 && (ii.dim[1] != opt.rows || ii.dim[2] != opt.cols))
				msg_die(EXIT_DATA, "%s: images are %lux%lu, not %lux%lu", ip,
				    (unsigned long)ii.dim[1], (unsigned long)ii.dim[2],
				    (unsigned long)opt.rows, (unsigned long)opt.cols);
		}
		if (idx_create(&p->img, ip, 3, opt.rows, opt.cols) < 0 ||
		    idx_create(&p->lab, lp, 1, 0, 0) < 0)
			msg_die(EXIT_DATA, "cannot write the data set");
		if (ri == 0 && (idx_copy_from(&p->img, ip) < 0 || idx_copy_from(&p->lab, lp) < 0))
			msg_die(EXIT_DATA, "cannot append to %s", opt.prefix);
		if (ri == 0 && nparts > 1) remember_images(ip, &ii, i);
		if (ri == 0) count_labels(lp, &li);
		if (ri == 0) appended = true;
		free(ip);
		free(lp);
	}
}

static void write_stats(FILE *fp)
{
	const struct ds_stats *ds = ds_stats(sel);
	unsigned i;

	fprintf(fp, "sessions read %llu\n", (unsigned long long)st.read);
	fprintf(fp, "sessions written %llu\n", (unsigned long long)st.written);
	fprintf(fp, "empty %llu\n", (unsigned long long)st.empty);
	fprintf(fp, "duplicates removed %llu\n", (unsigned long long)ds->dups);
	fprintf(fp, "over class cap %llu\n", (unsigned long long)ds->capped);
	fprintf(fp, "dropped short %llu\n", (unsigned long long)st.dropped_short);
	fprintf(fp, "dropped long %llu\n", (unsigned long long)st.dropped_long);
	if (opt.sel.sample > 0 && opt.sel.sample < 1)
		fprintf(fp, "sampled out %llu\n", (unsigned long long)ds->sampled_out);
	if (opt.ses.tcp_udp_only)
		fprintf(fp, "not TCP or UDP %llu\n", (unsigned long long)st.other_proto);
	if (opt.ses.min_payload > 1)
		fprintf(fp, "payloads under %lu bytes left out %llu\n", (unsigned long)opt.ses.min_payload,
		    (unsigned long long)st.payload_dropped);
	fprintf(fp, "without label %llu\n", (unsigned long long)st.unlabeled);
	fprintf(fp, "unknown label %llu\n", (unsigned long long)st.unknown);
	fprintf(fp, "short store %llu\n", (unsigned long long)st.short_store);
	fprintf(fp, "truncated %llu\n", (unsigned long long)st.truncated);
	fprintf(fp, "padded %llu\n", (unsigned long long)st.padded);
	fprintf(fp, "used full length %llu\n", (unsigned long long)st.full);
	fprintf(fp, "average original length %.2f\n",
	    st.written ? (double)st.orig_sum / (double)st.written : 0.0);
	if (nparts > 1) {
		fprintf(fp, "moved to keep identical images together %llu\n", (unsigned long long)ds->moved);
		for (i = 0; i < nparts; i++)
			fprintf(fp, "part %s %llu\n", parts[i].name, (unsigned long long)parts[i].new_n);
	}
	sink_class_stats(fp, &classes, st.per_class);
}

/* ---- main loop ---- */

#ifdef FK_TEST_HOOKS
/* Built only into the test binary (make: $(B)/hooks/flow-idx). */
static const char *crash_at; /* FK_IDX_CRASH */

static void crash_hook(const char *where)
{
	/* For the tests: die as a power cut would, at a named point. */
	if (crash_at && strcmp(crash_at, where) == 0) raise(SIGKILL);
}
#else
#define crash_hook(where) ((void)0)
#endif

struct preview {
	uint8_t *img[256];
	unsigned n[256];
};
static struct preview pv;

/* emit: write one image to its part (or the part of an identical one). */
static void emit(const uint8_t *image, unsigned part, uint8_t cls, uint64_t len, bool short_store)
{
	uint32_t il = image_len();
	unsigned p = ds_place(sel, image, part, cls);

	if (idx_put(&parts[p].img, image) < 0 || idx_put(&parts[p].lab, &cls) < 0)
		msg_die(EXIT_DATA, "giving up: nothing was changed at %s", opt.prefix);
	parts[p].new_n++;
	if (++st.written == 1000) crash_hook("midway");
	st.per_class[cls]++;
	st.orig_sum += len;
	if (short_store) st.short_store++;
	if (len > il) st.truncated++;
	else if (len < il) st.padded++;
	else st.full++;
	if (opt.preview && pv.n[cls] < PREVIEW_PER_CLASS) {
		if (pv.img[cls] == NULL) pv.img[cls] = xmalloc((size_t)il * PREVIEW_PER_CLASS);
		memcpy(pv.img[cls] + (size_t)il * pv.n[cls]++, image, il);
	}
}

static void take_flow(const struct rec_flow *f, struct buf *s, uint8_t *image)
{
	uint32_t il = image_len(), len;
	struct ses_info si;
	unsigned part;
	uint8_t cls;

	st.read++;
	cls = class_of(f);
	if (ds_sampled(sel, f)) return;
	buf_reset(s);
	switch (ses_build(&opt.ses, f, s, &si)) {
	case SES_E_NETSTORE:
		msg_die(EXIT_DATA, "the stream holds packet bytes from the network layer; "
		    "--layer link and --pcap-framing need pcap-flows --link");
	case SES_NOBYTES:
		st.nobytes++;
		break;
	case SES_PROTO:
		st.other_proto++;
		return;
	}
	st.payload_dropped += si.payload_dropped;
	len = (uint32_t)s->len;
	if (len == 0) {
		st.empty++;
		return;
	}
	if (ds_is_dup(sel, f, s->p, len)) return;
	if (opt.sel.cap == DS_CAP_FIRST && ds_cap_full(sel, cls)) return;
	if (len < il && opt.short_drop) {
		st.dropped_short++;
		return;
	}
	if (len > il && opt.long_drop) {
		st.dropped_long++;
		return;
	}
	if (len >= il) {
		memcpy(image, s->p, il);
	} else {
		memcpy(image, s->p, len);
		memset(image + len, opt.pad, il - len);
	}
	part = ds_part_pick(sel, f);
	if (opt.sel.cap == DS_CAP_LARGEST) ds_offer(sel, cls, len, si.short_store, part, image);
	else emit(image, part, cls, len, si.short_store);
}

/* ---- options ---- */

static uint64_t num(const char *o, const char *s, uint64_t min, uint64_t max)
{
	uint64_t v;

	if (num_parse_u64(s, min, max, &v) < 0)
		cli_usage_error("%s: '%s' is not a number from %llu to %llu", o, s,
		    (unsigned long long)min, (unsigned long long)max);
	return v;
}

int main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "layer", required_argument, NULL, O_LAYER },
		{ "pcap-framing", no_argument, NULL, O_FRAMING },
		{ "trailer", no_argument, NULL, O_TRAILER },
		{ "rows", required_argument, NULL, O_ROWS },
		{ "cols", required_argument, NULL, O_COLS },
		{ "pad", required_argument, NULL, O_PAD },
		{ "short", required_argument, NULL, O_SHORT },
		{ "long", required_argument, NULL, O_LONG },
		{ "mask", required_argument, NULL, O_MASK },
		{ "classes", required_argument, NULL, 'c' },
		{ "dedup", required_argument, NULL, O_DEDUP },
		{ "max-per-class", required_argument, NULL, O_MAXPC },
		{ "split", required_argument, NULL, O_SPLIT },
		{ "seed", required_argument, NULL, O_SEED },
		{ "group", required_argument, NULL, O_GROUP },
		{ "ustc-alllayers", no_argument, NULL, O_USTC_ALL },
		{ "ustc-l7", no_argument, NULL, O_USTC_L7 },
		{ "seed001", no_argument, NULL, O_SEED001 },
		{ "tcp-udp-only", no_argument, NULL, O_TCPUDP },
		{ "orig-len", required_argument, NULL, O_ORIGLEN },
		{ "min-payload", required_argument, NULL, O_MINPL },
		{ "sample", required_argument, NULL, O_SAMPLE },
		{ "cap-keep", required_argument, NULL, O_CAPKEEP },
		{ "output", required_argument, NULL, 'o' },
		{ "append", no_argument, NULL, 'a' },
		{ "stats", required_argument, NULL, O_STATS },
		{ "preview", required_argument, NULL, O_PREVIEW },
		{ "quiet", no_argument, NULL, 'q' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, O_VERSION },
		{ NULL, 0, NULL, 0 },
	};
	static char *stdin_only[] = { "-", NULL };
	struct out_file cls_out, stats_out, pv_out;
	struct buf s = { 0 };
	struct rs_inputs ins;
	struct rs_item it;
	uint8_t *image;
	char *cls_path;
	struct ses_config *sc = &opt.ses;
	struct ds_config *dc = &opt.sel;
	char err[256];
	int c, t, status = EXIT_OK;
	bool have_classes_txt = false;

	cli_init("flow-idx", argc, argv);
#ifdef FK_TEST_HOOKS
	crash_at = getenv("FK_IDX_CRASH");
#endif
	opterr = 0;
	while ((c = getopt_long(argc, argv, ":c:o:aqh", longopts, NULL)) != -1) {
		switch (c) {
		case O_LAYER:
			if (strcmp(optarg, "network") == 0) sc->layer = SES_NETWORK;
			else if (strcmp(optarg, "link") == 0) sc->layer = SES_LINK;
			else if (strcmp(optarg, "payload") == 0) sc->layer = SES_PAYLOAD;
			else cli_usage_error("--layer: '%s' is not network, link or payload", optarg);
			break;
		case O_FRAMING: sc->framing = true; break;
		case O_TRAILER: sc->trailer = true; break;
		case O_TCPUDP: sc->tcp_udp_only = true; break;
		case O_ORIGLEN:
			if (strcmp(optarg, "wire") == 0) sc->orig_captured = false;
			else if (strcmp(optarg, "captured") == 0) sc->orig_captured = true;
			else cli_usage_error("--orig-len: '%s' is not wire or captured", optarg);
			break;
		case O_MINPL: sc->min_payload = (uint32_t)num("--min-payload", optarg, 0, 65536); break;
		case O_ROWS: opt.rows = (uint32_t)num("--rows", optarg, 1, 65536); break;
		case O_COLS: opt.cols = (uint32_t)num("--cols", optarg, 1, 65536); break;
		case O_PAD: opt.pad = (uint8_t)num("--pad", optarg, 0, 255); break;
		case O_SHORT:
			if (strcmp(optarg, "pad") == 0) opt.short_drop = false;
			else if (strcmp(optarg, "drop") == 0) opt.short_drop = true;
			else cli_usage_error("--short: '%s' is not pad or drop", optarg);
			break;
		case O_LONG:
			if (strcmp(optarg, "trim") == 0) opt.long_drop = false;
			else if (strcmp(optarg, "drop") == 0) opt.long_drop = true;
			else cli_usage_error("--long: '%s' is not trim or drop", optarg);
			break;
		case O_MASK:
			if (ses_parse_mask(optarg, &sc->mask, err, sizeof err) < 0)
				cli_usage_error("--mask: %s", err);
			break;
		case 'c': opt.classes = optarg; break;
		case O_SAMPLE:
			if (num_parse_double(optarg, 0, 1, &dc->sample) < 0 || dc->sample <= 0)
				cli_usage_error("--sample: '%s' is not a fraction in (0, 1]", optarg);
			break;
		case O_DEDUP:
			if (strcmp(optarg, "file") == 0) dc->dedup = DS_DEDUP_FILE;
			else if (strcmp(optarg, "all") == 0) dc->dedup = DS_DEDUP_ALL;
			else if (strcmp(optarg, "none") == 0) dc->dedup = DS_DEDUP_NONE;
			else cli_usage_error("--dedup: '%s' is not file, all or none", optarg);
			break;
		case O_MAXPC: dc->max_per_class = num("--max-per-class", optarg, 1, UINT32_MAX); break;
		case O_CAPKEEP:
			if (strcmp(optarg, "first") == 0) dc->cap = DS_CAP_FIRST;
			else if (strcmp(optarg, "largest") == 0) dc->cap = DS_CAP_LARGEST;
			else cli_usage_error("--cap-keep: '%s' is not first or largest", optarg);
			break;
		case O_SPLIT:
			if (dc->nparts) cli_usage_error("--split given twice");
			if (ds_parse_split(optarg, dc, err, sizeof err) < 0) cli_usage_error("--split: %s", err);
			break;
		case O_SEED: dc->seed = num("--seed", optarg, 0, UINT64_MAX); break;
		case O_GROUP:
			if (strcmp(optarg, "flow") == 0) dc->group = DS_GROUP_FLOW;
			else if (strcmp(optarg, "file") == 0) dc->group = DS_GROUP_FILE;
			else cli_usage_error("--group: '%s' is not flow or file", optarg);
			break;
		case O_USTC_ALL:
			sc->layer = SES_LINK;
			sc->framing = true;
			sc->orig_captured = true;
			sc->tcp_udp_only = true;
			sc->min_payload = 0;
			dc->dedup = DS_DEDUP_ALL;
			dc->cap = DS_CAP_LARGEST;
			break;
		case O_USTC_L7:
			sc->layer = SES_PAYLOAD;
			sc->framing = false;
			sc->tcp_udp_only = true;
			sc->min_payload = 2;
			dc->dedup = DS_DEDUP_ALL;
			dc->cap = DS_CAP_LARGEST;
			break;
		case O_SEED001:
			sc->layer = SES_NETWORK;
			sc->framing = false;
			sc->trailer = true;
			sc->tcp_udp_only = true;
			dc->dedup = DS_DEDUP_FILE;
			break;
		case 'o': opt.prefix = optarg; break;
		case 'a': opt.append = true; break;
		case O_STATS: opt.stats = optarg; break;
		case O_PREVIEW: opt.preview = optarg; break;
		case 'q': opt.quiet = true; break;
		case 'h':
			fputs(usage_text, stdout);
			out_close_stdout();
			return EXIT_OK;
		case O_VERSION: cli_version();
		case ':': cli_usage_error("option %s needs an argument", argv[optind - 1]);
		default:
			if (optopt) cli_usage_error("unknown option -%c", optopt);
			cli_usage_error("unknown option %s", argv[optind - 1]);
		}
	}
	if (opt.prefix == NULL || *opt.prefix == '\0') cli_usage_error("-o PREFIX is required");
	if (strcmp(opt.prefix, "-") == 0) cli_usage_error("-o: IDX files cannot go to stdout");
	if (sc->framing && sc->layer != SES_LINK)
		cli_usage_error("--pcap-framing goes with --layer link");
	if ((uint64_t)opt.rows * opt.cols > (1u << 24))
		cli_usage_error("--rows x --cols: at most %u bytes per image", 1u << 24);
	/* parts[0].name NULL without a split: PREFIX-images-idx3-ubyte */
	for (nparts = 0; nparts < dc->nparts; nparts++) {
		parts[nparts].name = dc->part_name[nparts];
		parts[nparts].cum = dc->part_cum[nparts];
	}
	if (nparts == 0) nparts = 1;
	sc->want = image_len();
	dc->item_len = image_len();
	/* Without a cap nothing is left out, and nothing need be held. */
	if (dc->max_per_class == 0) dc->cap = DS_CAP_FIRST;
	if (optind == argc) {
		argv = stdin_only;
		argc = 1;
		optind = 0;
	}

	cls_path = sink_begin(opt.prefix, opt.classes, opt.append, &classes, &have_classes_txt);
	sel = ds_new(dc);
	open_parts();
	if (appended && !opt.classes && !have_classes_txt)
		msg_die(EXIT_DATA, "%s: missing; without it or -c the class ids of the files "
		    "appended to are unknown", cls_path);

	image = xmalloc(image_len());
	rs_in_begin(&ins, NULL, argv + optind, argc - optind);
	while ((t = rs_in_next(&ins, &it)) != RS_EOF) {
		if (t != RS_FLOW) continue;
		take_flow(it.flow, &s, image);
		if ((st.read & 1023) == 0) msg_progress("sessions", st.read, 0);
	}
	if (rs_in_end(&ins, NULL) != EXIT_OK) status = EXIT_DATA;
	msg_progress_end();
	if (dc->cap == DS_CAP_LARGEST && status == EXIT_OK) {
		size_t n, k;
		struct ds_held *const *h = ds_drain(sel, &n);

		for (k = 0; k < n; k++) emit(h[k]->item, h[k]->part, h[k]->cls, h[k]->weight, h[k]->tag);
	}
	if (st.read && st.nobytes == st.read)
		msg_warn("no flow carries packet bytes: run pcap-flows with --bytes N (N >= %lu)",
		    (unsigned long)image_len());
	if (status != EXIT_OK) {
		/* A bad input leaves the data set as it was: a partial data set
		 * would look complete. */
		msg_die(EXIT_DATA, "%s: not written", opt.prefix);
	}
	/* A part without a class the others hold cannot evaluate it. */
	sink_warn_gaps(sel, dc, &classes, "image");

	/* Finish everything, then rename: labels last, so that a reader that
	 * finds matching counts finds a complete pair. */
	if (out_open(&cls_out, cls_path) < 0) msg_die(EXIT_DATA, "%s: not written", opt.prefix);
	if (label_classes_write(&classes, cls_out.fp) < 0 || fflush(cls_out.fp) != 0 ||
	    ferror(cls_out.fp))
		msg_die(EXIT_DATA, "%s: write error: %s", cls_path, strerror(errno));
	if (opt.stats) {
		if (out_open(&stats_out, opt.stats) < 0) msg_die(EXIT_DATA, "%s: not written", opt.prefix);
		write_stats(stats_out.fp);
		if (fflush(stats_out.fp) != 0 || ferror(stats_out.fp))
			msg_die(EXIT_DATA, "%s: write error: %s", opt.stats, strerror(errno));
	}
	if (opt.preview) {
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
		if (out_open(&pv_out, opt.preview) < 0 ||
		    pic_contact_sheet(&pv_out, rowsv, (const char *const *)labels, counts, nr,
		    PREVIEW_PER_CLASS, opt.rows, opt.cols) < 0)
			msg_die(EXIT_DATA, "%s: not written", opt.prefix);
		for (k = 0; k < nr; k++) free(labels[k]);
		for (k = 0; k < 256; k++) free(pv.img[k]);
	}
	for (c = 0; c < (int)nparts; c++)
		if (idx_finish(&parts[c].img) < 0 || idx_finish(&parts[c].lab) < 0)
			msg_die(EXIT_DATA, "%s: not written", opt.prefix);
	/* Everything on the disk before the first rename. */
	if (out_finish(&cls_out) < 0 || (opt.stats && out_finish(&stats_out) < 0) ||
	    (opt.preview && out_finish(&pv_out) < 0))
		msg_die(EXIT_DATA, "%s: not written", opt.prefix);
	crash_hook("before-rename");
	if (out_commit(&cls_out) < 0) msg_die(EXIT_DATA, "%s: not written", opt.prefix);
	for (c = 0; c < (int)nparts; c++) {
		if (idx_commit(&parts[c].img) < 0) msg_die(EXIT_DATA, "%s: not written", opt.prefix);
		crash_hook("between-renames");
		if (idx_commit(&parts[c].lab) < 0)
			msg_die(EXIT_DATA, "%s: labels not renamed: the images are new and the labels "
			    "old; rebuild the data set", opt.prefix);
	}
	if (opt.preview && out_commit(&pv_out) < 0) status = EXIT_DATA;
	if (opt.stats) {
		if (out_commit(&stats_out) < 0) status = EXIT_DATA;
	} else if (!opt.quiet) {
		write_stats(stderr);
	}
	free(image);
	free(cls_path);
	label_classes_free(&classes);
	buf_free(&s);
	ds_free(sel);
	return status;
}
