/*
 * pcap-flows - packet captures to flowrec flow records.
 *
 * Options -> inputs (files, directories walked in sorted order, stdin, or
 * a live interface) -> for each packet: BPF filter, decode, reassemble
 * fragments, seed-style drops, flow table -> flows written as they end.
 */
#include <dirent.h>
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "bytes.h"
#include "cap.h"
#include "cli.h"
#include "flowtab.h"
#include "frag.h"
#include "label.h"
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
"  -v, --verbose           statistics on stderr at the end\n"
"  -h, --help              this text\n"
"      --version           version\n";

enum {
	O_NOSPLIT = 256, O_IDLE, O_TCPIDLE, O_UDPIDLE, O_OTHERIDLE, O_ACTIVE, O_LINGER,
	O_MAXFLOWS, O_MAXPKTS, O_BYTES, O_PAYLOAD, O_LINK, O_TRAILER, O_DROPCTL, O_DROPDNS, O_DROPDNSQ,
	O_DROPRETR, O_LABELDIR, O_VERSION, O_NOMETA, O_REASM
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

/* Why packets did not reach the flow table. */
enum {
	D_BPF, D_LINKTYPE, D_NOTIP, D_MALFORMED, D_CONTROL, D_DNS, D_FRAG_HELD, D_N
};
static const char *const drop_names[D_N] = {
	"filtered by BPF", "unknown link type", "not IP", "malformed or cut before the IP header",
	"TCP control (--drop-control)", "UDP to port 53 (--drop-dns)", "fragments held or discarded",
};

static struct {
	struct ft_config fc;
	bool drop_control, drop_dns, drop_dns_queries, verbose, label_dir, trailer;
	const char *label, *bpf_expr, *iface, *outpath;
	uint64_t count, duration_ns;
	struct label_map map;
} opt;

static struct {
	uint64_t read, decoded, drops[D_N], malformed[PKT_NERR], snaplen, inputs, bad_inputs;
	uint64_t wire_clamped;
	bool linktype_warned[65536], wire_warned;
} st;

static struct rs_writer *out;
static struct cap *live_cap;
static volatile sig_atomic_t stop_live;

static void emit(void *ctx, const struct rec_flow *f)
{
	(void)ctx;
	if (rs_write_flow(out, f) < 0) msg_die(EXIT_DATA, "cannot encode a flow record");
}

static uint64_t parse_seconds(const char *s, const char *what)
{
	double v;

	if (num_parse_double(s, 0, 1e9, &v) < 0)
		cli_usage_error("%s: '%s' is not a number of seconds", what, s);
	return (uint64_t)(v * 1e9 + 0.5);
}

static uint64_t parse_count(const char *s, const char *what, uint64_t min, uint64_t max)
{
	uint64_t v;

	if (num_parse_u64(s, min, max, &v) < 0)
		cli_usage_error("%s: '%s' is not a whole number in %llu..%llu", what, s,
		    (unsigned long long)min, (unsigned long long)max);
	return v;
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

/* ---- packets ---- */

static bool is_echo(uint8_t proto, uint8_t type)
{
	if (proto == 1) return type == 0 || type == 8;
	return type == 128 || type == 129;
}

/*
 * Fill an ft_pkt from a decoded packet.  pi describes the IP datagram at
 * ipbase: the frame's (ipbase == cp->data, lk == pi) or a reassembled
 * datagram's (then lk describes the frame of its last fragment, which
 * gives the link addresses and the encapsulation).  wire is the length on
 * the wire: the frame's, or the sum of the fragments' frames.
 * fp points into cp->data and ipbase; nothing is copied.
 */
static void to_ft(struct ft_pkt *fp, const struct pkt_info *pi, const struct pkt_info *lk,
    const struct cap_pkt *cp, uint64_t ts, const uint8_t *ipbase, uint8_t pflags, uint32_t wire)
{
	static uint8_t encap[PKT_MAX_ENCAP * 5];
	unsigned i, alen = pi->ipver == 4 ? 4 : 16;

	memset(fp->src, 0, 16);
	memset(fp->dst, 0, 16);
	memcpy(fp->src, pi->saddr, alen);
	memcpy(fp->dst, pi->daddr, alen);
	fp->ts_ns = ts;
	fp->ipv = pi->ipver;
	fp->proto = pi->proto;
	fp->ttl = pi->ttl;
	fp->tos = pi->tos;
	fp->ip_len = pi->ip_len;
	fp->pflags = pflags;
	fp->is_tcp = false;
	fp->sport = fp->dport = fp->rec_sport = fp->rec_dport = 0;
	fp->tcp_flags = fp->window = 0;
	fp->seq = 0;
	fp->l4_len = fp->payload_len = fp->payload_caplen = 0;
	fp->payload = NULL;
	if (pi->layers & PKT_L_TRANS) {
		fp->l4_len = pi->trans_len;
		if (pi->proto == 1 || pi->proto == 58) {
			uint16_t tc = (uint16_t)(pi->icmp_type << 8 | pi->icmp_code);

			fp->rec_sport = tc;
			if (is_echo(pi->proto, pi->icmp_type)) {
				fp->sport = fp->dport = pi->icmp_id;
				fp->rec_dport = pi->icmp_id;
			} else {
				fp->sport = tc;
			}
		} else {
			fp->sport = fp->rec_sport = pi->sport;
			fp->dport = fp->rec_dport = pi->dport;
		}
		if (pi->proto == 6) {
			fp->is_tcp = true;
			fp->tcp_flags = pi->tcp_flags;
			fp->window = pi->tcp_win;
			fp->seq = pi->tcp_seq;
		}
		/* TCP options cut by the snapshot length: the lengths are
		 * still known from the IP header. */
		if (!(pi->layers & PKT_L_PAYLOAD) && pi->trans_hdr_len <= pi->trans_len)
			fp->payload_len = pi->trans_len - pi->trans_hdr_len;
	}
	if (pi->layers & PKT_L_PAYLOAD) {
		fp->payload_len = pi->payload_len;
		fp->payload_caplen = pi->payload_caplen;
		fp->payload = ipbase + pi->payload_off;
	}
	fp->wire_len = wire;
	fp->mac_src = fp->mac_dst = NULL;
	fp->encap = NULL;
	fp->encap_len = 0;
	if (lk->layers & PKT_L_MACSRC) fp->mac_src = cp->data + lk->mac_src_off;
	if (lk->layers & PKT_L_MACDST) fp->mac_dst = cp->data + lk->mac_dst_off;
	for (i = 0; i < lk->n_encap; i++) {
		encap[5 * i] = lk->encap_kind[i];
		put_be32(encap + 5 * i + 1, lk->encap_val[i]);
	}
	if (lk->n_encap) {
		fp->encap = encap;
		fp->encap_len = (uint8_t)(5 * lk->n_encap);
	}
	if (ipbase == cp->data && pi->net_off > UINT16_MAX) {
		/* A link header too long for PKTBYTES' link_len: nothing stored. */
		fp->frame = fp->ip = NULL;
		fp->caplen = cp->caplen;
		fp->orig_len = lk->wirelen;
		fp->linktype = cp->linktype;
		fp->link_len = 0;
		fp->ip_caplen = fp->link_caplen = 0;
	} else if (ipbase == cp->data) {
		uint32_t have = cp->caplen - pi->net_off;

		fp->frame = cp->data;
		fp->caplen = cp->caplen;
		fp->orig_len = lk->wirelen;
		fp->linktype = cp->linktype;
		fp->link_len = (uint16_t)pi->net_off;
		fp->ip = cp->data + pi->net_off;
		fp->ip_caplen = have < pi->ip_len ? have : pi->ip_len;
		/* The Ethernet trailer (bytes after the datagram) is not stored
		 * unless asked for. */
		fp->link_caplen = opt.trailer ? cp->caplen : pi->net_off + fp->ip_caplen;
	} else {
		/* A reassembled datagram has no frame of its own: stored as
		 * a raw IP packet. */
		fp->frame = ipbase;
		fp->caplen = fp->orig_len = pi->ip_len;
		fp->linktype = PKT_LT_RAW;
		fp->link_len = 0;
		fp->ip = ipbase;
		fp->ip_caplen = fp->link_caplen = pi->ip_len;
	}
}

static bool seed_drop(const struct ft_pkt *fp)
{
	if (opt.drop_control && fp->is_tcp && fp->payload_len == 0 && (fp->tcp_flags & 0x13)) {
		st.drops[D_CONTROL]++;
		return true;
	}
	/* Both seeds drop UDP to port 53 only: TCP to port 53 and every
	 * answer are kept. */
	if ((opt.drop_dns || opt.drop_dns_queries) && fp->proto == 17 && fp->rec_dport == 53) {
		st.drops[D_DNS]++;
		return true;
	}
	return false;
}

static void malformed(int rc)
{
	st.drops[D_MALFORMED]++;
	st.malformed[rc < 0 && -rc < PKT_NERR ? -rc : 0]++;
}

/*
 * The largest wire length taken from a capture record: above every real
 * frame (an IPv4 or IPv6 datagram of 65535 bytes, or a 512 KiB Linux
 * BIG TCP / GRO super-packet, with its link header), far below the
 * gigabytes a damaged record can claim.  A longer recorded length (that is
 * also longer than the captured bytes) is taken as this one.
 */
#define MAX_WIRE (1u << 20)

/*
 * One captured packet: filter, decode, reassemble, drop, add to a flow.
 * A packet cut by the snapshot length is used as far as it was decoded;
 * any other decoding error drops it (counted by reason), as receivers
 * and tshark's conversation tables do.
 */
static void packet(struct ft_table *ft, struct frag *fr, struct cap_bpf *bpf,
    const struct cap_pkt *cp, uint64_t ts, uint64_t pkt_no)
{
	struct pkt_info pi, dpi;
	struct ft_pkt fp;
	int rc;
	uint8_t pflags = 0;
	uint64_t wire;
	uint32_t wirelen = cp->wirelen;

	if (pkt_no == 1) st.wire_warned = false;   /* a new input */
	st.read++;
	if (bpf) {
		int m = cap_bpf_match(bpf, cp);

		if (m < 0) msg_warn("%s", cap_bpf_errmsg(bpf));
		if (m <= 0) {
			st.drops[D_BPF]++;
			return;
		}
	}
	if (wirelen > MAX_WIRE && wirelen > cp->caplen) {
		wirelen = cp->caplen > MAX_WIRE ? cp->caplen : MAX_WIRE;
		if (!st.wire_warned)
			msg_warn("%s: packet %llu: recorded wire length %lu is not believable: taken as "
			    "%lu (later ones of this input are counted by -v)", ft_source(ft),
			    (unsigned long long)pkt_no, (unsigned long)cp->wirelen,
			    (unsigned long)wirelen);
		st.wire_warned = true;
		st.wire_clamped++;
	}
	rc = pkt_decode(cp->linktype, cp->data, cp->caplen, wirelen, &pi);
	if (rc == PKT_E_LINKTYPE) {
		if (!st.linktype_warned[cp->linktype]) {
			msg_warn("link type %u is not decoded; its packets are counted and skipped",
			    cp->linktype);
			st.linktype_warned[cp->linktype] = true;
		}
		st.drops[D_LINKTYPE]++;
		return;
	}
	if (rc == PKT_E_NOTIP) {
		st.drops[D_NOTIP]++;
		return;
	}
	if (!(pi.layers & PKT_L_NET) || (rc != PKT_OK && rc != PKT_E_TRUNC)) {
		malformed(rc);
		return;
	}
	if (pi.flags & PKT_F_SNAPLEN) {
		st.snaplen++;
		pflags |= RP_SNAPLEN;
	}
	if (pi.flags & PKT_F_FRAG) {
		uint32_t len;
		const uint8_t *dg = frag_feed(fr, &pi, cp->data, ts, &len);

		if (dg == NULL) {
			st.drops[D_FRAG_HELD]++;
			return;
		}
		rc = pkt_decode_ip(dg, len, len, &dpi);
		if (rc != PKT_OK) {
			malformed(rc);
			return;
		}
		wire = frag_wirelen(fr);
		to_ft(&fp, &dpi, &pi, cp, ts, dg, (uint8_t)(pflags | RP_FRAG),
		    wire > UINT32_MAX ? UINT32_MAX : (uint32_t)wire);
	} else {
		to_ft(&fp, &pi, &pi, cp, ts, cp->data, pflags, pi.wirelen);
	}
	fp.pkt_no = pkt_no;
	st.decoded++;
	if (seed_drop(&fp)) return;
	ft_packet(ft, &fp);
}

/* ---- inputs ---- */

static int cmpstr(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static bool capture_name(const char *name)
{
	static const char *const ext[] = { ".pcap", ".pcapng", ".cap", ".pcap.ng" };
	size_t n = strlen(name), i;

	for (i = 0; i < sizeof ext / sizeof ext[0]; i++) {
		size_t k = strlen(ext[i]);

		if (n > k && strcasecmp(name + n - k, ext[i]) == 0) return true;
	}
	return false;
}

/* Append the captures under dir to the list, depth first, names sorted. */
static void walk(const char *dir, char ***list, size_t *n)
{
	DIR *d = opendir(dir);
	struct dirent *de;
	char **names = NULL;
	size_t nn = 0, i;

	if (!d) {
		msg_warn("%s: %s", dir, strerror(errno));
		st.bad_inputs++;
		return;
	}
	while ((de = readdir(d)) != NULL) {
		if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0) continue;
		names = xrealloc(names, (nn + 1) * sizeof *names);
		names[nn++] = xstrdup(de->d_name);
	}
	closedir(d);
	qsort(names, nn, sizeof *names, cmpstr);
	for (i = 0; i < nn; i++) {
		size_t len = strlen(dir) + strlen(names[i]) + 2;
		char *path = xmalloc(len);
		struct stat sb;

		snprintf(path, len, "%s%s%s", dir, dir[strlen(dir) - 1] == '/' ? "" : "/", names[i]);
		if (lstat(path, &sb) == 0 && S_ISDIR(sb.st_mode)) {
			walk(path, list, n);
			free(path);
		} else if (stat(path, &sb) == 0 && S_ISREG(sb.st_mode) && capture_name(names[i])) {
			*list = xrealloc(*list, (*n + 1) * sizeof **list);
			(*list)[(*n)++] = path;
		} else {
			free(path);
		}
		free(names[i]);
	}
	free(names);
}

/* Read one input to its end; path names a file (for labels), or is NULL. */
static void read_input(struct ft_table *ft, struct frag *fr, struct cap_bpf *bpf, struct cap *c,
    const char *display, const char *path)
{
	struct cap_pkt cp;
	struct cap_stats cs;
	int rc;
	uint64_t n = 0, ts, last_ts = 0;
	char *label = label_for(display, path);

	ft_set_source(ft, display, label);
	free(label);
	st.inputs++;
	for (;;) {
		rc = cap_next(c, &cp);
		if (rc == CAP_TIMEOUT) {
			struct timespec now;

			if (stop_live) break;
			clock_gettime(CLOCK_REALTIME, &now);
			ft_expire(ft, (uint64_t)now.tv_sec * 1000000000ull + (uint64_t)now.tv_nsec);
			continue;
		}
		if (rc != CAP_OK) break;
		n++;
		/* Times before 1970 are 0; a packet without a time (a pcapng
		 * Simple Packet Block) gets the time of the one before it. */
		ts = cp.ts > 0 ? (uint64_t)cp.ts : 0;
		if (cp.flags & CAP_PKT_NOTS) ts = last_ts;
		last_ts = ts;
		packet(ft, fr, bpf, &cp, ts, n);
		if ((n & 0xffff) == 0) msg_progress(display, n, 0);
		if (opt.count && n >= opt.count) break;
		if (stop_live) break;
	}
	msg_progress_end();
	if (rc == CAP_TRUNC || rc == CAP_ERR) {
		msg_warn("%s", cap_errmsg(c));
		st.bad_inputs++;
	}
	frag_flush(fr);
	ft_flush(ft, END_EOF);
	cap_close(c, &cs);
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

static void print_stats(struct ft_table *ft, struct frag *fr)
{
	const struct ft_stats *fs = ft_stats(ft);
	const struct frag_stats *gs = frag_stats(fr);
	int i;

	msg_warn("inputs %llu (%llu with errors); packets read %llu, decoded %llu, in flows %llu",
	    (unsigned long long)st.inputs, (unsigned long long)st.bad_inputs,
	    (unsigned long long)st.read, (unsigned long long)st.decoded,
	    (unsigned long long)fs->packets);
	for (i = 0; i < D_N; i++)
		if (st.drops[i])
			msg_warn("dropped: %s: %llu", drop_names[i], (unsigned long long)st.drops[i]);
	if (fs->retrans_dropped)
		msg_warn("dropped: TCP retransmissions (--drop-retrans): %llu",
		    (unsigned long long)fs->retrans_dropped);
	if (st.wire_clamped)
		msg_warn("recorded wire lengths over %u bytes, taken as %u or the captured length: %llu",
		    MAX_WIRE, MAX_WIRE, (unsigned long long)st.wire_clamped);
	for (i = 1; i < PKT_NERR; i++)
		if (st.malformed[i])
			msg_warn("malformed: %s: %llu", pkt_strerror(-i),
			    (unsigned long long)st.malformed[i]);
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
	    (unsigned long long)st.snaplen, (unsigned long long)fs->ts_backwards,
	    (unsigned long long)fs->retrans);
}

int main(int argc, char **argv)
{
	/* Static so that they stay reachable when a write error ends the
	 * run from inside the loop (leak checkers then stay quiet). */
	static struct out_file o;
	static struct ft_table *ft;
	static struct frag *fr;
	static struct cap_bpf *bpf;
	static char **inputs;
	size_t ninputs = 0, i;
	int c;
	uint64_t idle;

	cli_init("pcap-flows", argc, argv);
	ft_config_default(&opt.fc);
	opterr = 0;
	while ((c = getopt_long(argc, argv, ":f:i:c:d:ul:L:o:vh", longopts, NULL)) != -1) {
		switch (c) {
		case 'f': opt.bpf_expr = optarg; break;
		case 'i': opt.iface = optarg; break;
		case 'c': opt.count = parse_count(optarg, "--count", 1, UINT64_MAX); break;
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
			opt.fc.max_flows = (uint32_t)parse_count(optarg, "--max-flows", 1, 1u << 28);
			break;
		case O_MAXPKTS:
			opt.fc.max_pkts = (uint32_t)parse_count(optarg, "--max-pkts", 0, REC_MAX_PKTS);
			break;
		case O_BYTES:
			opt.fc.bytes_budget = (uint32_t)parse_count(optarg, "--bytes", 0, 4u << 20);
			break;
		case O_PAYLOAD:
			opt.fc.payload_budget = (uint32_t)parse_count(optarg, "--payload", 0, 4u << 20);
			break;
		case O_LINK: opt.fc.link_bytes = true; break;
		case O_TRAILER: opt.trailer = true; break;
		case O_NOMETA: opt.fc.meta = false; break;
		case O_REASM:
			opt.fc.app.reasm_bytes = (uint32_t)parse_count(optarg, "--reasm-bytes", 0, 16u << 20);
			break;
		case O_DROPCTL: opt.drop_control = true; break;
		case O_DROPDNS: opt.drop_dns = true; break;
		case O_DROPDNSQ: opt.drop_dns_queries = true; break;
		case O_DROPRETR: opt.fc.drop_retrans = true; break;
		case 'l':
			opt.label = optarg;
			if (strlen(optarg) > REC_MAX_LABEL)
				cli_usage_error("--label: longer than %u bytes", REC_MAX_LABEL);
			break;
		case 'L': load_label_map(optarg); break;
		case O_LABELDIR: opt.label_dir = true; break;
		case 'o': opt.outpath = optarg; break;
		case 'v': opt.verbose = true; break;
		case 'h': fputs(usage_text, stdout); out_close_stdout(); return EXIT_OK;
		case O_VERSION: cli_version();
		case ':': cli_usage_error("option %s needs an argument", argv[optind - 1]);
		default:
			if (optopt) cli_usage_error("unknown option -%c", optopt);
			cli_usage_error("unknown option %s", argv[optind - 1]);
		}
	}
	if ((opt.label != NULL) + opt.label_dir + (opt.map.n > 0) > 1)
		cli_usage_error("--label, --label-map and --label-dir exclude each other");
	if (opt.iface && optind < argc)
		cli_usage_error("-i reads a live interface: no files with it");
	if ((opt.count || opt.duration_ns) && !opt.iface)
		cli_usage_error("--count and --duration go with -i");
	if (opt.trailer && !opt.fc.link_bytes)
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
	ft = ft_new(&opt.fc, emit, NULL);
	fr = frag_new(NULL);
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
		read_input(ft, fr, NULL, lc, opt.iface, NULL);
		live_cap = NULL;
	} else {
		for (i = (size_t)optind; i < (size_t)argc || (i == (size_t)optind && optind == argc); i++) {
			const char *a = i < (size_t)argc ? argv[i] : "-";
			struct stat sb;

			if (strcmp(a, "-") != 0 && stat(a, &sb) == 0 && S_ISDIR(sb.st_mode)) {
				walk(a, &inputs, &ninputs);
			} else {
				inputs = xrealloc(inputs, (ninputs + 1) * sizeof *inputs);
				inputs[ninputs++] = xstrdup(a);
			}
		}
		for (i = 0; i < ninputs; i++) {
			struct cap *cf = cap_open(inputs[i]);

			if (!cf) msg_die(EXIT_DATA, "out of memory");
			if (cap_status(cf) == CAP_OK) {
				read_input(ft, fr, bpf, cf, inputs[i],
				    strcmp(inputs[i], "-") == 0 ? NULL : inputs[i]);
			} else {
				msg_warn("%s", cap_errmsg(cf));
				st.bad_inputs++;
				cap_close(cf, NULL);
			}
			free(inputs[i]);
		}
		free(inputs);
	}
	if (opt.verbose) print_stats(ft, fr);
	rs_write_end(out);
	if (rs_wclose(out) < 0 || out_commit(&o) < 0) return EXIT_DATA;
	ft_free(ft);
	frag_free(fr);
	cap_bpf_free(bpf);
	label_map_free(&opt.map);
	return st.bad_inputs ? EXIT_DATA : EXIT_OK;
}
