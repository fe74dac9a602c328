/*
 * pcap-flows - packet captures to flowrec flow records.
 *
 * Options -> inputs (files, directories walked in sorted order, stdin, or
 * a live interface: capwalk) -> for each packet: BPF filter, decode,
 * reassemble fragments, seed-style drops, flow table (capflow) -> flows
 * written as they end.
 */
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cap.h"
#include "capflow.h"
#include "capwalk.h"
#include "cli.h"
#include "flowtab.h"
#include "frag.h"
#include "label.h"
#include "num.h"
#include "out.h"
#include "pkt.h"
#include "stream.h"

static const char usage_text[] =
"usage: pcap-flows [options] [FILE | DIR | -]...\n"
"       pcap-flows -i IFACE [-c COUNT] [-d SECONDS] [options]\n"
"Turn packet captures (pcap, pcapng) into a flowrec stream of flow records.\n"
"Directories are read recursively (*.pcap, *.pcapng, *.cap), in sorted order.\n"
"\n"
"input:\n"
"  -f, --filter EXPR       BPF filter applied to every packet\n"
"  -i, --interface IFACE   capture live on IFACE\n"
"  -c, --count N           live: stop after N packets\n"
"  -d, --duration SECONDS  live: stop after SECONDS\n"
"flows:\n"
"  -u, --unidirectional    one flow per direction\n"
"      --no-split          one flow per tuple per input: no timeouts, no TCP ends\n"
"      --idle-timeout S    idle timeout for TCP, UDP and others (default 300, 120, 60)\n"
"      --tcp-idle S, --udp-idle S, --other-idle S\n"
"      --active-timeout S  end flows older than S (default 1800; 0 = never)\n"
"      --linger S          a closed TCP flow ends after S without packets (default 5)\n"
"      --max-flows N       flow table limit; the least recently seen is evicted\n"
"      --max-pkts N        per-packet table entries per flow (default 16384)\n"
"      --bytes N           packet bytes stored per flow (default 1024)\n"
"      --payload N         payload bytes stored per flow (default 1024)\n"
"      --link              store packet bytes from the link layer\n"
"      --trailer           with --link, keep the Ethernet trailer in the stored bytes\n"
"      --no-meta           no application metadata (TLS, HTTP, DNS, QUIC, SSH elements)\n"
"      --reasm-bytes N     bytes reassembled per TCP direction for metadata (default 16384)\n"
"      --reasm-wait S      a direction waits S for a hole to fill (default 30; 0 = to the end)\n"
"      --threads N         1: one thread; 2: read and decode files on a second thread\n"
"                          (default 2 when there are two CPUs or more; same output)\n"
"packet filters (as the seed scripts):\n"
"      --drop-control      drop TCP packets with SYN, FIN or ACK and no payload\n"
"      --drop-dns          drop UDP packets to port 53 (DNS queries), as the seeds\n"
"      --drop-dns-queries  the same (an older name)\n"
"      --drop-retrans      drop TCP retransmissions\n"
"labels:\n"
"  -l, --label NAME        label every flow NAME\n"
"  -L, --label-map FILE    keyword -> class map matched on the lowercased file name\n"
"      --label-dir         label flows with the capture's parent directory name\n"
"output:\n"
"  -o, --output FILE       write to FILE (atomically) instead of stdout\n"
"  -v, --verbose           statistics on stderr at the end (twice: and memory)\n"
"  -h, --help              this text\n"
"      --version           version\n";

enum {
	O_NOSPLIT = 256, O_IDLE, O_TCPIDLE, O_UDPIDLE, O_OTHERIDLE, O_ACTIVE, O_LINGER,
	O_MAXFLOWS, O_MAXPKTS, O_BYTES, O_PAYLOAD, O_LINK, O_TRAILER, O_DROPCTL, O_DROPDNS, O_DROPDNSQ,
	O_DROPRETR, O_LABELDIR, O_VERSION, O_NOMETA, O_REASM, O_REASMWAIT, O_THREADS
};

static const struct option longopts[] = {
	{ "filter", required_argument, NULL, 'f' },
	{ "interface", required_argument, NULL, 'i' },
	{ "count", required_argument, NULL, 'c' },
	{ "duration", required_argument, NULL, 'd' },
	{ "unidirectional", no_argument, NULL, 'u' },
	{ "no-split", no_argument, NULL, O_NOSPLIT },
	{ "idle-timeout", required_argument, NULL, O_IDLE },
	{ "tcp-idle", required_argument, NULL, O_TCPIDLE },
	{ "udp-idle", required_argument, NULL, O_UDPIDLE },
	{ "other-idle", required_argument, NULL, O_OTHERIDLE },
	{ "active-timeout", required_argument, NULL, O_ACTIVE },
	{ "linger", required_argument, NULL, O_LINGER },
	{ "max-flows", required_argument, NULL, O_MAXFLOWS },
	{ "max-pkts", required_argument, NULL, O_MAXPKTS },
	{ "bytes", required_argument, NULL, O_BYTES },
	{ "payload", required_argument, NULL, O_PAYLOAD },
	{ "link", no_argument, NULL, O_LINK },
	{ "trailer", no_argument, NULL, O_TRAILER },
	{ "no-meta", no_argument, NULL, O_NOMETA },
	{ "reasm-bytes", required_argument, NULL, O_REASM },
	{ "reasm-wait", required_argument, NULL, O_REASMWAIT },
	{ "threads", required_argument, NULL, O_THREADS },
	{ "drop-control", no_argument, NULL, O_DROPCTL },
	{ "drop-dns", no_argument, NULL, O_DROPDNS },
	{ "drop-dns-queries", no_argument, NULL, O_DROPDNSQ },
	{ "drop-retrans", no_argument, NULL, O_DROPRETR },
	{ "label", required_argument, NULL, 'l' },
	{ "label-map", required_argument, NULL, 'L' },
	{ "label-dir", no_argument, NULL, O_LABELDIR },
	{ "output", required_argument, NULL, 'o' },
	{ "verbose", no_argument, NULL, 'v' },
	{ "help", no_argument, NULL, 'h' },
	{ "version", no_argument, NULL, O_VERSION },
	{ NULL, 0, NULL, 0 },
};

static struct {
	struct ft_config fc;
	struct cf_config cc;
	int verbose;
	bool label_dir;
	const char *label, *bpf_expr, *iface, *outpath;
	uint64_t duration_ns;
	struct label_map map;
} opt;

static struct rs_writer *out;
static struct cap *live_cap;
static volatile sig_atomic_t stop_live;

/* The stored data goes from the flow's segments straight into the
 * output block (ft_emit_pieces). */
static void emit(void *ctx, const struct rec_flow *f, const struct rec_pieces *pc, unsigned npc)
{
	(void)ctx;
	if (rs_write_flow_pieces(out, f, pc, npc) < 0) msg_die(EXIT_DATA, "cannot encode a flow record");
}

/* An option's seconds as nanoseconds. */
static uint64_t parse_seconds(const char *s, const char *what)
{
	return (uint64_t)(cli_seconds(what, s, 0, 1e9) * 1e9 + 0.5);
}

/* ---- labels ---- */

static void load_label_map(const char *path)
{
	char err[LABEL_ERRLEN];

	if (label_map_load(&opt.map, path, err, sizeof err) < 0) msg_die(EXIT_USAGE, "%s", err);
}

/*
 * The label of an input (see label_for_input): display names it in
 * messages, path is its file name or NULL (stdin, live capture).  An
 * allocated string or NULL (no label).
 */
static char *label_for(const char *display, const char *path)
{
	struct label_config lc = { opt.label, opt.map.n ? &opt.map : NULL, opt.label_dir };
	char *label, why[LABEL_ERRLEN];

	if (label_for_input(&lc, path, &label, why, sizeof why) > 0)
		msg_warn("%s: %s", path ? path : strcmp(display, "-") == 0 ? "standard input" : display,
		    why);
	return label;
}

/* ---- inputs ---- */

/* Read the open capture c to its end; path names a file (for labels), or is NULL. */
static void read_input(struct cf *cf, struct cap *c, const char *display, const char *path)
{
	char *label = label_for(display, path);

	cf_read(cf, c, display, label);
	free(label);
}

static void on_live_signal(int sig)
{
	(void)sig;
	stop_live = 1;
	if (live_cap) cap_breakloop(live_cap);
}

static void on_alarm(int sig)
{
	on_live_signal(sig);
}

/* bad_inputs: those that could not be walked, opened or read to their end;
 * memory: add the flow table's high-water mark (-vv). */
static void print_stats(const struct cf *cf, struct ft_table *ft, struct frag *fr,
    uint64_t bad_inputs, bool memory)
{
	const struct cf_stats *cs = cf_stats(cf);
	const struct ft_stats *fs = ft_stats(ft);
	const struct frag_stats *gs = frag_stats(fr);
	int i;

	msg_warn("inputs %llu (%llu with errors); packets read %llu, decoded %llu, in flows %llu",
	    (unsigned long long)cs->inputs, (unsigned long long)bad_inputs,
	    (unsigned long long)cs->read, (unsigned long long)cs->decoded,
	    (unsigned long long)fs->packets);
	for (i = 0; i < CF_D_N; i++)
		if (cs->drops[i])
			msg_warn("dropped: %s: %llu", cf_drop_name(i), (unsigned long long)cs->drops[i]);
	if (fs->retrans_dropped)
		msg_warn("dropped: TCP retransmissions (--drop-retrans): %llu",
		    (unsigned long long)fs->retrans_dropped);
	if (cs->wire_clamped)
		msg_warn("recorded wire lengths over %u bytes, taken as %u or the captured length: %llu",
		    CF_MAX_WIRE, CF_MAX_WIRE, (unsigned long long)cs->wire_clamped);
	for (i = 1; i < PKT_NERR; i++)
		if (cs->malformed[i])
			msg_warn("malformed: %s: %llu", pkt_strerror(-i),
			    (unsigned long long)cs->malformed[i]);
	msg_warn("fragments %llu: datagrams reassembled %llu; discarded: timed out %llu, "
	    "evicted %llu, overlapping %llu, invalid %llu, cut by snaplen %llu, unfinished %llu; "
	    "duplicates %llu", (unsigned long long)gs->fragments,
	    (unsigned long long)gs->reassembled, (unsigned long long)gs->timed_out,
	    (unsigned long long)gs->evicted, (unsigned long long)gs->overlaps,
	    (unsigned long long)gs->invalid, (unsigned long long)gs->truncated,
	    (unsigned long long)gs->unfinished, (unsigned long long)gs->duplicates);
	msg_warn("flows %llu (at most %llu active): fin %llu, rst %llu, idle %llu, active %llu, "
	    "eof %llu, evicted %llu, reused %llu; table full %llu times", (unsigned long long)fs->flows,
	    (unsigned long long)fs->max_active, (unsigned long long)fs->ended[END_FIN],
	    (unsigned long long)fs->ended[END_RST], (unsigned long long)fs->ended[END_IDLE],
	    (unsigned long long)fs->ended[END_ACTIVE], (unsigned long long)fs->ended[END_EOF],
	    (unsigned long long)fs->ended[END_EVICTED], (unsigned long long)fs->ended[END_REUSED],
	    (unsigned long long)fs->evicted);
	msg_warn("truncated: %llu packet tables, %llu byte stores, %llu payload stores; "
	    "%llu packets cut by snaplen; %llu timestamps backwards; %llu retransmissions",
	    (unsigned long long)fs->pkts_truncated, (unsigned long long)fs->bytes_truncated,
	    (unsigned long long)fs->payload_truncated,
	    (unsigned long long)cs->snaplen, (unsigned long long)fs->ts_backwards,
	    (unsigned long long)fs->retrans);
	if (!memory) return;
	msg_warn("memory: flow state and stored data at most %llu bytes",
	    (unsigned long long)fs->max_held);
	msg_warn("threads: %llu of %llu inputs read on a second thread, in %llu batches; "
	    "the flow table waited for the reader %llu times, the reader for the flow table %llu",
	    (unsigned long long)cs->threaded, (unsigned long long)cs->inputs,
	    (unsigned long long)cs->batches, (unsigned long long)cs->table_waits,
	    (unsigned long long)cs->reader_waits);
}

int main(int argc, char **argv)
{
	/* Static so that they stay reachable when a write error ends the
	 * run from inside the loop (leak checkers then stay quiet). */
	static struct out_file o;
	static struct ft_table *ft;
	static struct frag *fr;
	static struct cap_bpf *bpf;
	static struct cf *cf;
	static struct cw_list inputs;
	size_t i;
	int c;
	uint64_t idle, bad_inputs = 0;

	cli_init("pcap-flows", argc, argv);
	ft_config_default(&opt.fc);
	opt.cc.stop = &stop_live;
	opt.cc.threads = sysconf(_SC_NPROCESSORS_ONLN) >= 2 ? 2 : 1;
	opterr = 0;
	while ((c = getopt_long(argc, argv, ":f:i:c:d:ul:L:o:vh", longopts, NULL)) != -1) {
		switch (c) {
		case 'f': opt.bpf_expr = optarg; break;
		case 'i': opt.iface = optarg; break;
		case 'c': opt.cc.count = cli_count("--count", optarg, 1, UINT64_MAX); break;
		case 'd': opt.duration_ns = parse_seconds(optarg, "--duration"); break;
		case 'u': opt.fc.unidirectional = true; break;
		case O_NOSPLIT: opt.fc.no_split = true; break;
		case O_IDLE:
			idle = parse_seconds(optarg, "--idle-timeout");
			opt.fc.idle_ns[FT_TCP] = opt.fc.idle_ns[FT_UDP] = opt.fc.idle_ns[FT_OTHER] = idle;
			break;
		case O_TCPIDLE: opt.fc.idle_ns[FT_TCP] = parse_seconds(optarg, "--tcp-idle"); break;
		case O_UDPIDLE: opt.fc.idle_ns[FT_UDP] = parse_seconds(optarg, "--udp-idle"); break;
		case O_OTHERIDLE: opt.fc.idle_ns[FT_OTHER] = parse_seconds(optarg, "--other-idle"); break;
		case O_ACTIVE: opt.fc.active_ns = parse_seconds(optarg, "--active-timeout"); break;
		case O_LINGER: opt.fc.linger_ns = parse_seconds(optarg, "--linger"); break;
		case O_MAXFLOWS:
			opt.fc.max_flows = (uint32_t)cli_count("--max-flows", optarg, 1, 1u << 28);
			break;
		case O_MAXPKTS:
			opt.fc.max_pkts = (uint32_t)cli_count("--max-pkts", optarg, 0, REC_MAX_PKTS);
			break;
		case O_BYTES:
			opt.fc.bytes_budget = (uint32_t)cli_count("--bytes", optarg, 0, 4u << 20);
			break;
		case O_PAYLOAD:
			opt.fc.payload_budget = (uint32_t)cli_count("--payload", optarg, 0, 4u << 20);
			break;
		case O_LINK: opt.fc.link_bytes = true; break;
		case O_TRAILER: opt.cc.trailer = true; break;
		case O_NOMETA: opt.fc.meta = false; break;
		case O_REASM:
			opt.fc.app.reasm_bytes = (uint32_t)cli_count("--reasm-bytes", optarg, 0, 16u << 20);
			break;
		case O_REASMWAIT: opt.fc.app.hole_ns = parse_seconds(optarg, "--reasm-wait"); break;
		case O_THREADS: opt.cc.threads = (unsigned)cli_count("--threads", optarg, 1, 2); break;
		case O_DROPCTL: opt.cc.drop_control = true; break;
		case O_DROPDNS: opt.cc.drop_dns = true; break;
		case O_DROPDNSQ: opt.cc.drop_dns = true; break;
		case O_DROPRETR: opt.fc.drop_retrans = true; break;
		case 'l':
			opt.label = optarg;
			if (strlen(optarg) > REC_MAX_LABEL)
				cli_usage_error("--label: longer than %u bytes", REC_MAX_LABEL);
			break;
		case 'L': load_label_map(optarg); break;
		case O_LABELDIR: opt.label_dir = true; break;
		case 'o': opt.outpath = optarg; break;
		case 'v': if (opt.verbose < 2) opt.verbose++; break;
		case 'h': cli_help(usage_text);
		case O_VERSION: cli_version();
		default: cli_bad_option(c, argv);
		}
	}
	if ((opt.label != NULL) + opt.label_dir + (opt.map.n > 0) > 1)
		cli_usage_error("--label, --label-map and --label-dir exclude each other");
	if (opt.iface && optind < argc)
		cli_usage_error("-i reads a live interface: no files with it");
	if ((opt.cc.count || opt.duration_ns) && !opt.iface)
		cli_usage_error("--count and --duration go with -i");
	if (opt.cc.trailer && !opt.fc.link_bytes)
		cli_usage_error("--trailer goes with --link");
	{
		char err[200];

		if (ft_config_check(&opt.fc, err, sizeof err) < 0) cli_usage_error("%s", err);
	}
	if (opt.bpf_expr) {
		char err[256];

		bpf = cap_bpf_new(opt.bpf_expr, err, sizeof err);
		if (!bpf) cli_usage_error("-f: %s", err);
	}
	if (out_open(&o, opt.outpath) < 0) return EXIT_DATA;
	out = rs_wopen(o.fp, o.name, cli_cmdline());
	if (!out) {
		out_abort(&o);
		return EXIT_USAGE;
	}
	ft = ft_new(&opt.fc, NULL, NULL);
	ft_emit_pieces(ft, emit);
	fr = frag_new(NULL);
	/* A live capture is filtered by libpcap (cap_open_live), files here. */
	cf = cf_new(&opt.cc, ft, fr, opt.iface ? NULL : bpf);
	rs_write_header(out, NULL);

	if (opt.iface) {
		struct cap *lc = cap_open_live(opt.iface, 262144, 1, opt.bpf_expr);

		if (cap_status(lc) != CAP_OK) {
			msg_warn("%s", cap_errmsg(lc));
			cap_close(lc, NULL);
			out_abort(&o);
			return EXIT_DATA;
		}
		live_cap = lc;
		signal(SIGINT, on_live_signal);
		signal(SIGTERM, on_live_signal);
		if (opt.duration_ns) {
			signal(SIGALRM, on_alarm);
			alarm((unsigned)((opt.duration_ns + 999999999) / 1000000000));
		}
		read_input(cf, lc, opt.iface, NULL);
		live_cap = NULL;
		cap_close(lc, NULL);
	} else {
		cw_operands(&inputs, argv + optind, (size_t)(argc - optind));
		bad_inputs += inputs.unreadable;
		for (i = 0; i < inputs.n; i++) {
			const char *path = inputs.paths[i];
			struct cap *cp = cap_open(path);

			if (!cp) msg_die(EXIT_DATA, "out of memory");
			if (cap_status(cp) == CAP_OK) {
				read_input(cf, cp, path, strcmp(path, "-") == 0 ? NULL : path);
			} else {
				msg_warn("%s", cap_errmsg(cp));
				bad_inputs++;
			}
			cap_close(cp, NULL);
		}
		cw_free(&inputs);
	}
	bad_inputs += cf_stats(cf)->bad_inputs;
	if (opt.verbose) print_stats(cf, ft, fr, bad_inputs, opt.verbose > 1);
	rs_write_end(out);
	if (rs_wclose(out) < 0 || out_commit(&o) < 0) return EXIT_DATA;
	cf_free(cf);
	ft_free(ft);
	frag_free(fr);
	cap_bpf_free(bpf);
	label_map_free(&opt.map);
	return bad_inputs ? EXIT_DATA : EXIT_OK;
}
