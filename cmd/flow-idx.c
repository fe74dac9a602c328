/*
 * flow-idx - flowrec sessions to MNIST IDX images (the first rows x cols
 * bytes of each session) and labels.
 *
 * Options -> the data set (common/idxset.c: class table, lock and
 * writers, with the old items when appending) -> each flow record of the
 * inputs goes to it -> closing it writes, syncs and renames every file,
 * the label files last, and prints the statistics.
 */
#include <getopt.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "dataset.h"
#include "idxset.h"
#include "session.h"
#include "stream.h"

static const char usage_text[] =
"usage: flow-idx -o PREFIX [options] [file ...]\n"
"       flow-idx --audit-only [--audit=FILE.json] -o PREFIX [--split SPEC]\n"
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
"leakage audit:\n"
"      --audit[=FILE]    audit the images written: duplicates, conflicting\n"
"                        labels, per-byte mutual information with the label;\n"
"                        report on stderr, and as JSON to FILE\n"
"      --audit-threshold F  flag positions at MI >= F x H(label) (default 0.5)\n"
"      --audit-only      audit the IDX files already at PREFIX; write nothing\n"
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
	O_STATS, O_PREVIEW, O_VERSION, O_TCPUDP, O_ORIGLEN, O_MINPL, O_SAMPLE, O_CAPKEEP,
	O_AUDIT, O_AUDIT_THR, O_AUDIT_ONLY
};

static struct idxset_config opt = {
	.rows = 28, .cols = 28,
	.ses = { .layer = SES_NETWORK },
	.sel = { .dedup = DS_DEDUP_FILE, .cap = DS_CAP_FIRST },
	.audit_threshold = 0.5,
};

#ifdef FK_TEST_HOOKS
/* Built only into the test binary (make: $(B)/hooks/flow-idx). */
static const char *crash_at; /* FK_IDX_CRASH */

static void crash_hook(const char *where)
{
	/* For the tests: die as a power cut would, at a named point. */
	if (crash_at && strcmp(crash_at, where) == 0) raise(SIGKILL);
}
#endif

/* ---- options ---- */

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
		{ "audit", optional_argument, NULL, O_AUDIT },
		{ "audit-threshold", required_argument, NULL, O_AUDIT_THR },
		{ "audit-only", no_argument, NULL, O_AUDIT_ONLY },
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
	struct ses_config *sc = &opt.ses;
	struct ds_config *dc = &opt.sel;
	struct rs_inputs ins;
	struct rs_item it;
	struct idxset *set;
	char err[256];
	int c, t;
	bool input_ok, audit_only = false;

	cli_init("flow-idx", argc, argv);
#ifdef FK_TEST_HOOKS
	crash_at = getenv("FK_IDX_CRASH");
	opt.hook = crash_hook;
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
		case O_MINPL: sc->min_payload = (uint32_t)cli_count("--min-payload", optarg, 0, 65536); break;
		case O_ROWS: opt.rows = (uint32_t)cli_count("--rows", optarg, 1, 65536); break;
		case O_COLS: opt.cols = (uint32_t)cli_count("--cols", optarg, 1, 65536); break;
		case O_PAD: opt.pad = (uint8_t)cli_count("--pad", optarg, 0, 255); break;
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
		case O_MAXPC: dc->max_per_class = cli_count("--max-per-class", optarg, 1, UINT32_MAX); break;
		case O_CAPKEEP:
			if (strcmp(optarg, "first") == 0) dc->cap = DS_CAP_FIRST;
			else if (strcmp(optarg, "largest") == 0) dc->cap = DS_CAP_LARGEST;
			else cli_usage_error("--cap-keep: '%s' is not first or largest", optarg);
			break;
		case O_SPLIT:
			if (dc->nparts) cli_usage_error("--split given twice");
			if (ds_parse_split(optarg, dc, err, sizeof err) < 0) cli_usage_error("--split: %s", err);
			break;
		case O_SEED: dc->seed = cli_count("--seed", optarg, 0, UINT64_MAX); break;
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
		case O_AUDIT:
			opt.audit = true;
			opt.audit_json = optarg;
			if (optarg && *optarg == '\0') cli_usage_error("--audit=: an empty file name");
			break;
		case O_AUDIT_THR:
			if (num_parse_double(optarg, 0, 1, &opt.audit_threshold) < 0)
				cli_usage_error("--audit-threshold: '%s' is not a fraction in [0, 1]", optarg);
			break;
		case O_AUDIT_ONLY: audit_only = opt.audit = true; break;
		case 'o': opt.prefix = optarg; break;
		case 'a': opt.append = true; break;
		case O_STATS: opt.stats = optarg; break;
		case O_PREVIEW: opt.preview = optarg; break;
		case 'q': opt.quiet = true; break;
		case 'h': cli_help(usage_text);
		case O_VERSION: cli_version();
		default: cli_bad_option(c, argv);
		}
	}
	if (opt.prefix == NULL || *opt.prefix == '\0') cli_usage_error("-o PREFIX is required");
	if (strcmp(opt.prefix, "-") == 0) cli_usage_error("-o: IDX files cannot go to stdout");
	if (sc->framing && sc->layer != SES_LINK)
		cli_usage_error("--pcap-framing goes with --layer link");
	if ((uint64_t)opt.rows * opt.cols > (1u << 24))
		cli_usage_error("--rows x --cols: at most %u bytes per image", 1u << 24);
	if (audit_only) {
		if (optind != argc) cli_usage_error("--audit-only reads no flows: no file operands");
		if (opt.append) cli_usage_error("--audit-only writes nothing: no -a");
		return idxset_audit_files(&opt);
	}
	if (optind == argc) {
		argv = stdin_only;
		argc = 1;
		optind = 0;
	}

	set = idxset_open(&opt);
	rs_in_begin(&ins, NULL, argv + optind, argc - optind);
	while ((t = rs_in_next(&ins, &it)) != RS_EOF) {
		if (t != RS_FLOW) continue;
		idxset_take(set, it.flow);
		if ((idxset_stats(set)->read & 1023) == 0) msg_progress("sessions", idxset_stats(set)->read, 0);
	}
	input_ok = rs_in_end(&ins, NULL) == EXIT_OK;
	msg_progress_end();
	return idxset_close(set, input_ok);
}
