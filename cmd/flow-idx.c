/*
 * flow-idx - flowrec sessions to MNIST IDX images (the first rows x cols
 * bytes of each session) and labels.
 *
 * Options -> class table (a class file, or the previous run's classes
 * when appending) -> output writers (temporary files; copies of the old
 * items when appending) -> for each flow: label, session bytes (masked),
 * dedup, class cap, image, split part, write -> finish every file, then
 * rename them, the label files last -> statistics.
 */
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <openssl/evp.h>

#include "bytes.h"
#include "cli.h"
#include "idx.h"
#include "label.h"
#include "pic.h"
#include "pkt.h"
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
"labels and selection:\n"
"  -c, --classes FILE    class file (lines 'name id'); default: first appearance\n"
"      --dedup SCOPE     drop sessions with identical bytes: file (default), all, none\n"
"      --max-per-class N keep at most N sessions of a class\n"
"      --split SPEC      parts, e.g. train=0.8,test=0.2 (one IDX pair per part)\n"
"      --seed N          split seed (default 0)\n"
"      --group G         split unit: flow (default) or file\n"
"reproductions:\n"
"      --ustc-alllayers  USTC-TK2016 AllLayers (--layer link --pcap-framing --dedup all)\n"
"      --ustc-l7         USTC-TK2016 L7 (--layer payload --dedup all)\n"
"      --seed001         seed 001 (--layer network --trailer --dedup file)\n"
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
	O_STATS, O_PREVIEW, O_VERSION
};

enum { LAYER_NET, LAYER_LINK, LAYER_PAYLOAD };
enum { DEDUP_NONE, DEDUP_FILE, DEDUP_ALL };

/* --mask bits */
#define M_ADDR 0x01u
#define M_PORT 0x02u
#define M_IPID 0x04u
#define M_TTL  0x08u
#define M_CSUM 0x10u
#define M_SEQ  0x20u
#define M_TS   0x40u
#define M_ALL  0x7fu

#define MAX_PARTS   16  /* two output files each, well within CLI_MAX_OUT */
#define UNKNOWN     LABEL_UNKNOWN
#define PREVIEW_PER_CLASS 8

static struct {
	int layer, dedup;
	bool framing, trailer, append, quiet, group_file, short_drop, long_drop;
	uint32_t rows, cols;
	uint8_t pad;
	unsigned mask;
	uint64_t max_per_class, seed;
	const char *prefix, *classes, *stats, *preview;
} opt = { .layer = LAYER_NET, .dedup = DEDUP_FILE, .rows = 28, .cols = 28 };

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
	uint64_t read, written, empty, dups, capped, unlabeled, unknown, short_store;
	uint64_t truncated, padded, full, dropped_short, dropped_long, moved, nobytes;
	uint64_t orig_sum;
	uint64_t per_class[256];
} st;
static uint64_t class_total[256]; /* per_class plus the images appended to */

/* A set of 32-byte digests with a byte of value each (open addressing). */
struct hset {
	uint8_t *keys, *vals, *used;
	size_t cap, n;
};

/* hset_find_or_add: 1 and *val = the stored value when key is present;
 * otherwise the key is added with *val and 0 is returned. */
static int hset_find_or_add(struct hset *s, const uint8_t *key, uint8_t *val)
{
	size_t i, mask;

	if (s->n * 2 >= s->cap) {
		struct hset t = { 0 };
		size_t j;

		t.cap = s->cap ? s->cap * 2 : 1024;
		t.keys = xmalloc(t.cap * 32);
		t.vals = xmalloc(t.cap);
		t.used = xcalloc(t.cap, 1);
		for (j = 0; j < s->cap; j++)
			if (s->used[j]) {
				uint8_t v = s->vals[j];

				hset_find_or_add(&t, s->keys + j * 32, &v);
			}
		free(s->keys);
		free(s->vals);
		free(s->used);
		*s = t;
	}
	mask = s->cap - 1;
	/* The key is a SHA-256 digest: its first bytes are already uniform. */
	for (i = (size_t)be64(key) & mask; s->used[i]; i = (i + 1) & mask)
		if (memcmp(s->keys + i * 32, key, 32) == 0) {
			*val = s->vals[i];
			return 1;
		}
	s->used[i] = 1;
	memcpy(s->keys + i * 32, key, 32);
	s->vals[i] = *val;
	s->n++;
	return 0;
}

static struct hset dedup_set, image_set;
static EVP_MD_CTX *md;

static void sha_begin(void)
{
	if (EVP_DigestInit_ex(md, EVP_sha256(), NULL) != 1) cli_die(EXIT_DATA, "SHA-256 unavailable");
}
static void sha_add(const void *p, size_t n)
{
	if (n && EVP_DigestUpdate(md, p, n) != 1) cli_die(EXIT_DATA, "SHA-256 failed");
}
static void sha_end(uint8_t *out)
{
	unsigned n;

	if (EVP_DigestFinal_ex(md, out, &n) != 1 || n != 32) cli_die(EXIT_DATA, "SHA-256 failed");
}
static void sha_add64(uint64_t v)
{
	uint8_t b[8];

	put_be64(b, v);
	sha_add(b, 8);
}

/* ---- class table ---- */

/* Read a class table (cols: a class file or classes.txt); exits on a bad one. */
static void load_classes(const char *path, enum label_cols cols)
{
	char err[LABEL_ERRLEN];

	if (label_classes_load(&classes, path, cols, err, sizeof err) < 0) cli_die(EXIT_DATA, "%s", err);
}

/* The class id of a flow's label (counts unlabeled and unknown labels). */
static uint8_t class_of(const struct rec_flow *f)
{
	const struct rec_elem *e = rec_find(f, RE_LABEL);
	char err[LABEL_ERRLEN];
	int id;

	if (e == NULL) {
		st.unlabeled++;
		return UNKNOWN;
	}
	id = label_class_id(&classes, e->val, e->len, err, sizeof err);
	if (id < 0) cli_die(EXIT_DATA, "%s; give a class file (-c)", err);
	if (id == (int)UNKNOWN) st.unknown++;
	return (uint8_t)id;
}

/* ---- masking ---- */

static void zero(uint8_t *p, uint32_t n, uint32_t off, uint32_t len)
{
	if (off >= n) return;
	if (len > n - off) len = n - off;
	memset(p + off, 0, len);
}

/* TCP timestamps option (RFC 7323 section 3.2): kind 8, length 10. */
static void mask_tcp_ts(uint8_t *p, uint32_t n, uint32_t off, uint32_t end)
{
	struct cur c;

	if (end > n) end = n;
	if (off >= end) return;
	c = cur_make(p + off, end - off);
	while (cur_left(&c) > 0) {
		uint8_t kind, len;

		if (!cur_u8(&c, &kind) || kind == 0) return;
		if (kind == 1) continue;
		if (!cur_u8(&c, &len) || len < 2 || (size_t)len - 2 > cur_left(&c)) return;
		if (kind == 8 && len == 10) memset((uint8_t *)(uintptr_t)c.p, 0, 8);
		cur_skip(&c, len - 2u);
	}
}

/*
 * mask_fields(p, n, pi, depth): zero the fields chosen by --mask in the n
 * bytes at p, which pi describes (offsets from p).  Called on the caller's
 * own copy of the packet.
 */
static void mask_fields(uint8_t *p, uint32_t n, const struct pkt_info *pi, int depth)
{
	unsigned m = opt.mask;
	uint32_t o, t;

	if ((pi->layers & PKT_L_MACDST) && (m & M_ADDR)) zero(p, n, pi->mac_dst_off, 6);
	if ((pi->layers & PKT_L_MACSRC) && (m & M_ADDR)) zero(p, n, pi->mac_src_off, 6);
	if (!(pi->layers & PKT_L_NET)) return;
	o = pi->net_off;
	if (pi->ipver == 4) {
		if (m & M_IPID) zero(p, n, o + 4, 2);
		if (m & M_TTL) zero(p, n, o + 8, 1);
		if (m & M_CSUM) zero(p, n, o + 10, 2);
		if (m & M_ADDR) zero(p, n, o + 12, 8);
	} else {
		if ((m & M_IPID) && o + 4 <= n) {  /* the flow label plays the part of the IP ID */
			p[o + 1] &= 0xf0;
			p[o + 2] = p[o + 3] = 0;
		}
		if (m & M_TTL) zero(p, n, o + 7, 1);
		if (m & M_ADDR) zero(p, n, o + 8, 32);
	}
	if (!(pi->layers & PKT_L_TRANS)) return;
	t = pi->trans_off;
	switch (pi->proto) {
	case 6:
		if (m & M_PORT) zero(p, n, t, 4);
		if (m & M_SEQ) zero(p, n, t + 4, 8);
		if (m & M_CSUM) zero(p, n, t + 16, 2);
		if (m & M_TS) mask_tcp_ts(p, n, t + 20, t + pi->trans_hdr_len);
		break;
	case 17:
		if (m & M_PORT) zero(p, n, t, 4);
		if (m & M_CSUM) zero(p, n, t + 6, 2);
		break;
	case 132:
		if (m & M_PORT) zero(p, n, t, 4);
		if (m & M_CSUM) zero(p, n, t + 8, 4);
		break;
	case 1:
	case 58:
		if (m & M_CSUM) zero(p, n, t + 2, 2);
		/* An error message quotes the offending header, addresses and all. */
		if (depth == 0 && (pi->layers & PKT_L_ICMPQ) && pi->icmpq_off < n) {
			struct pkt_info q;
			uint32_t qn = pi->icmpq_len;

			if (qn > n - pi->icmpq_off) qn = n - pi->icmpq_off;
			memset(&q, 0, sizeof q);
			pkt_decode_ip(p + pi->icmpq_off, qn, UINT32_MAX, &q);
			mask_fields(p + pi->icmpq_off, qn, &q, 1);
		}
		break;
	}
}

/* ---- session bytes ---- */

/* The IP length from the header itself, for packets past a capped PACKETS
 * table; 0 when unknown (then nothing is cut). */
static uint32_t ip_len_of(const uint8_t *p, uint32_t n)
{
	if (n >= 4 && p[0] >> 4 == 4) return be16(p + 2);
	if (n >= 6 && p[0] >> 4 == 6) return 40u + be16(p + 4);
	return 0;
}

static uint32_t image_len(void) { return opt.rows * opt.cols; }

/*
 * build_session(f, s): the flow's session bytes, as chosen by the
 * representation options, appended to s (which the caller resets and
 * owns).  *short_store is set when the producer's byte budget left fewer
 * bytes than an image needs.
 */
static void build_session(const struct rec_flow *f, struct buf *s, bool *short_store)
{
	const struct rec_elem *e, *pk;
	struct rec_pb_iter it;
	struct rec_pb pb;
	uint32_t count, npk, stored = 0;
	uint8_t layer;
	bool cut = false, first = true;

	*short_store = false;
	if (opt.layer == LAYER_PAYLOAD) {
		e = rec_find(f, RE_PAYLOAD);
		if (e) buf_put(s, e->val, e->len);
		*short_store = (f->flags & RF_PAYLOAD_TRUNCATED) && s->len < image_len();
		return;
	}
	e = rec_find(f, RE_PKTBYTES);
	if (e == NULL) {
		st.nobytes++;
		return;
	}
	rec_pb_begin(e, &layer, &count, &it);
	if (layer == 0 && opt.layer == LAYER_LINK)
		cli_die(EXIT_DATA, "the stream holds packet bytes from the network layer; "
		    "--layer link and --pcap-framing need pcap-flows --link");
	pk = rec_find(f, RE_PACKETS);
	npk = pk ? rec_pkts_count(pk) : 0;
	while (rec_pb_next(&it, &pb)) {
		const uint8_t *d = pb.data;
		uint32_t n = pb.n, captured, want, keep, ip_len = 0, hdr = 0;
		size_t start;
		struct pkt_info pi;

		stored++;
		if (layer == 0) {
			captured = pb.incl_len > pb.link_len ? pb.incl_len - pb.link_len : 0;
		} else if (opt.layer == LAYER_NET) {
			/* Network bytes out of a link-layer store. */
			if (n < pb.link_len) { cut = true; break; }
			d += pb.link_len;
			n -= pb.link_len;
			captured = pb.incl_len - pb.link_len;
		} else {
			captured = pb.incl_len;
			hdr = pb.link_len;
		}
		if (pk && pb.index < npk) {
			struct rec_pkt p;

			rec_pkt_get(pk, pb.index, &p);
			ip_len = p.ip_len;
		}
		if (ip_len == 0 && n > hdr) ip_len = ip_len_of(d + hdr, n - hdr);
		want = captured;
		if (!opt.trailer && !opt.framing && ip_len && hdr + ip_len < want) want = hdr + ip_len;
		keep = n < want ? n : want;
		if (opt.framing) {
			uint8_t h[24];

			if (first) {
				/* SplitCap's global header: big-endian, v2.4, snaplen 65535. */
				put_be32(h, 0xa1b2c3d4);
				put_be16(h + 4, 2);
				put_be16(h + 6, 4);
				put_be32(h + 8, 0);
				put_be32(h + 12, 0);
				put_be32(h + 16, 65535);
				put_be32(h + 20, pb.linktype);
				buf_put(s, h, 24);
			}
			put_be32(h, (uint32_t)(pb.ts_ns / 1000000000u));
			put_be32(h + 4, (uint32_t)(pb.ts_ns % 1000000000u / 1000u));
			put_be32(h + 8, pb.incl_len);
			put_be32(h + 12, pb.orig_len);
			if (opt.mask & M_TS) memset(h, 0, 8);
			buf_put(s, h, 16);
		}
		first = false;
		start = s->len;
		buf_put(s, d, keep);
		if (opt.mask) {
			uint8_t *p = s->p + start;

			memset(&pi, 0, sizeof pi);
			if (opt.layer == LAYER_NET)
				pkt_decode_ip(p, keep, keep > captured ? keep : captured, &pi);
			else
				pkt_decode(pb.linktype, p, keep, keep > pb.orig_len ? keep : pb.orig_len, &pi);
			mask_fields(p, keep, &pi, 0);
		}
		/* A packet cut by the byte budget: what follows it would not be
		 * the session's next bytes. */
		if (keep < want) {
			cut = true;
			break;
		}
	}
	if (s->len < image_len() &&
	    (cut || ((f->flags & RF_BYTES_TRUNCATED) && stored < f->pkts[0] + f->pkts[1])))
		*short_store = true;
}

/* ---- splits ---- */

static unsigned pick_part(const struct rec_flow *f)
{
	const struct rec_elem *src = rec_find(f, RE_SOURCE);
	const uint8_t *name = (const uint8_t *)"";
	uint32_t namelen = 0;
	uint64_t first_pkt = 0, h;
	uint8_t dg[32];
	double u;
	unsigned i;

	if (nparts == 1) return 0;
	if (src) rec_source_get(src, &first_pkt, &name, &namelen);
	sha_begin();
	sha_add64(opt.seed);
	sha_add64(namelen);
	sha_add(name, namelen);
	if (!opt.group_file) {
		uint8_t core[4];

		sha_add64(first_pkt);
		core[0] = f->ipv;
		core[1] = f->proto;
		put_be16(core + 2, f->sport);
		sha_add(core, 4);
		sha_add(f->src, 16);
		sha_add(f->dst, 16);
		sha_add64(f->dport);
		sha_add64(f->first_ns);
	}
	sha_end(dg);
	h = be64(dg);
	u = (double)(h >> 11) / 9007199254740992.0; /* 2^53: uniform in [0, 1) */
	for (i = 0; i + 1 < nparts; i++)
		if (u < parts[i].cum) return i;
	return nparts - 1;
}

/* ---- output ---- */

static char *path_of(const char *part, const char *what)
{
	size_t n = strlen(opt.prefix) + (part ? strlen(part) + 1 : 0) + strlen(what) + 2;
	char *p = xmalloc(n);

	if (part) snprintf(p, n, "%s-%s-%s", opt.prefix, part, what);
	else snprintf(p, n, "%s-%s", opt.prefix, what);
	return p;
}

/* remember_images: note the images already in an appended part, so that
 * the split keeps new copies of them on the same side. */
static void remember_images(const char *path, const struct idx_info *inf, unsigned part)
{
	FILE *fp = fopen(path, "rb");
	uint8_t *im = xmalloc(inf->item), dg[32], v;
	uint32_t k;

	if (fp == NULL || fseek(fp, (long)inf->hdr, SEEK_SET) != 0)
		cli_die(EXIT_DATA, "%s: %s", path, strerror(errno));
	for (k = 0; k < inf->dim[0]; k++) {
		if (fread(im, 1, inf->item, fp) != inf->item)
			cli_die(EXIT_DATA, "%s: read error", path);
		sha_begin();
		sha_add(im, inf->item);
		sha_end(dg);
		v = (uint8_t)part;
		hset_find_or_add(&image_set, dg, &v);
	}
	fclose(fp);
	free(im);
}

/* count_labels: add the labels already in an appended file to the
 * per-class totals that --max-per-class looks at. */
static void count_labels(const char *path, const struct idx_info *inf)
{
	FILE *fp = fopen(path, "rb");
	uint32_t k;
	int ch;

	if (fp == NULL || fseek(fp, (long)inf->hdr, SEEK_SET) != 0)
		cli_die(EXIT_DATA, "%s: %s", path, strerror(errno));
	for (k = 0; k < inf->dim[0]; k++) {
		if ((ch = getc(fp)) == EOF) cli_die(EXIT_DATA, "%s: read error", path);
		class_total[ch]++;
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
			if (ri < 0 && ei != ENOENT) cli_die(EXIT_DATA, "%s: %s", ip, e1);
			if (rl < 0 && el != ENOENT) cli_die(EXIT_DATA, "%s: %s", lp, e2);
			if ((ri == 0) != (rl == 0))
				cli_die(EXIT_DATA, "%s: exists without %s; not appending to half a data set",
				    ri == 0 ? ip : lp, ri == 0 ? lp : ip);
			if (ri == 0 && ii.dim[0] != li.dim[0])
				cli_die(EXIT_DATA, "%s holds %lu images but %s %lu labels: an earlier run "
				    "was interrupted between its renames; rebuild the data set",
				    ip, (unsigned long)ii.dim[0], lp, (unsigned long)li.dim[0]);
			if (ri == 0 && (ii.dim[1] != opt.rows || ii.dim[2] != opt.cols))
				cli_die(EXIT_DATA, "%s: images are %lux%lu, not %lux%lu", ip,
				    (unsigned long)ii.dim[1], (unsigned long)ii.dim[2],
				    (unsigned long)opt.rows, (unsigned long)opt.cols);
		}
		if (idx_create(&p->img, ip, 3, opt.rows, opt.cols) < 0 ||
		    idx_create(&p->lab, lp, 1, 0, 0) < 0)
			cli_die(EXIT_DATA, "cannot write the data set");
		if (ri == 0 && (idx_copy_from(&p->img, ip) < 0 || idx_copy_from(&p->lab, lp) < 0))
			cli_die(EXIT_DATA, "cannot append to %s", opt.prefix);
		if (ri == 0 && nparts > 1) remember_images(ip, &ii, i);
		if (ri == 0) count_labels(lp, &li);
		if (ri == 0) appended = true;
		free(ip);
		free(lp);
	}
}

/* A class name as one field of the label grammar (flowkit(7), LABELS). */
static void put_name(FILE *fp, const char *s, size_t n)
{
	label_put_field(fp, s, n);
}

static const char *name_of(unsigned id)
{
	return label_class_name(&classes, id);
}

static void write_stats(FILE *fp)
{
	unsigned i;

	fprintf(fp, "sessions read %llu\n", (unsigned long long)st.read);
	fprintf(fp, "sessions written %llu\n", (unsigned long long)st.written);
	fprintf(fp, "empty %llu\n", (unsigned long long)st.empty);
	fprintf(fp, "duplicates removed %llu\n", (unsigned long long)st.dups);
	fprintf(fp, "over class cap %llu\n", (unsigned long long)st.capped);
	fprintf(fp, "dropped short %llu\n", (unsigned long long)st.dropped_short);
	fprintf(fp, "dropped long %llu\n", (unsigned long long)st.dropped_long);
	fprintf(fp, "without label %llu\n", (unsigned long long)st.unlabeled);
	fprintf(fp, "unknown label %llu\n", (unsigned long long)st.unknown);
	fprintf(fp, "short store %llu\n", (unsigned long long)st.short_store);
	fprintf(fp, "truncated %llu\n", (unsigned long long)st.truncated);
	fprintf(fp, "padded %llu\n", (unsigned long long)st.padded);
	fprintf(fp, "used full length %llu\n", (unsigned long long)st.full);
	fprintf(fp, "average original length %.2f\n",
	    st.written ? (double)st.orig_sum / (double)st.written : 0.0);
	if (nparts > 1) {
		fprintf(fp, "moved to keep identical images together %llu\n", (unsigned long long)st.moved);
		for (i = 0; i < nparts; i++)
			fprintf(fp, "part %s %llu\n", parts[i].name, (unsigned long long)parts[i].new_n);
	}
	for (i = 0; i < 256; i++) {
		const char *nm;

		if (st.per_class[i] == 0) continue;
		nm = i == UNKNOWN ? "(unknown)" : name_of(i);
		fprintf(fp, "class %u %llu ", i, (unsigned long long)st.per_class[i]);
		put_name(fp, nm ? nm : "", nm ? strlen(nm) : 0);
		putc('\n', fp);
	}
}

/* ---- main loop ---- */

static const char *crash_at; /* FK_IDX_CRASH */

static void crash_hook(const char *where)
{
	/* For the tests: die as a power cut would, at a named point. */
	if (crash_at && strcmp(crash_at, where) == 0) raise(SIGKILL);
}

struct preview {
	uint8_t *img[256];
	unsigned n[256];
};
static struct preview pv;

static void take_flow(const struct rec_flow *f, struct buf *s, uint8_t *image)
{
	uint32_t il = image_len(), len;
	uint8_t cls, dg[32], v;
	bool short_store;
	unsigned p;

	st.read++;
	cls = class_of(f);
	buf_reset(s);
	build_session(f, s, &short_store);
	len = (uint32_t)s->len;
	if (len == 0) {
		st.empty++;
		return;
	}
	if (opt.dedup != DEDUP_NONE) {
		sha_begin();
		if (opt.dedup == DEDUP_FILE) {
			const struct rec_elem *src = rec_find(f, RE_SOURCE);
			const uint8_t *name = (const uint8_t *)"";
			uint32_t namelen = 0;
			uint64_t fp_;

			if (src) rec_source_get(src, &fp_, &name, &namelen);
			sha_add64(namelen);
			sha_add(name, namelen);
		}
		sha_add(s->p, len);
		sha_end(dg);
		v = 0;
		if (hset_find_or_add(&dedup_set, dg, &v)) {
			st.dups++;
			return;
		}
	}
	if (opt.max_per_class && class_total[cls] >= opt.max_per_class) {
		st.capped++;
		return;
	}
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
	p = pick_part(f);
	if (nparts > 1) {
		/* Identical images go where the first of them went, whatever
		 * their group says: a copy on each side would leak. */
		sha_begin();
		sha_add(image, il);
		sha_end(dg);
		v = (uint8_t)p;
		if (hset_find_or_add(&image_set, dg, &v) && v != p) {
			st.moved++;
			p = v;
		}
	}
	if (idx_put(&parts[p].img, image) < 0 || idx_put(&parts[p].lab, &cls) < 0)
		cli_die(EXIT_DATA, "giving up: nothing was changed at %s", opt.prefix);
	parts[p].new_n++;
	if (++st.written == 1000) crash_hook("midway");
	st.per_class[cls]++;
	class_total[cls]++;
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


/* ---- options ---- */

static void parse_split(const char *spec)
{
	char *s = xstrdup(spec), *tok, *save = NULL;
	double sum = 0;

	for (tok = strtok_r(s, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
		char *eq = strchr(tok, '='), *c;
		double fr;
		unsigned i;

		if (eq == NULL || eq == tok) cli_usage_error("--split: '%s' is not NAME=FRACTION", tok);
		*eq = '\0';
		for (c = tok; *c; c++)
			if (!strchr("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_.", *c))
				cli_usage_error("--split: part name '%s': letters, digits, '_' and '.' only", tok);
		if (cli_parse_double(eq + 1, 0, 1, &fr) < 0 || fr <= 0)
			cli_usage_error("--split: '%s' is not a fraction in (0, 1]", eq + 1);
		for (i = 0; i < nparts; i++)
			if (strcmp(parts[i].name, tok) == 0) cli_usage_error("--split: part '%s' twice", tok);
		if (nparts == MAX_PARTS) cli_usage_error("--split: at most %d parts", MAX_PARTS);
		sum += fr;
		parts[nparts].name = xstrdup(tok);
		parts[nparts++].cum = sum;
	}
	free(s);
	if (nparts == 0) cli_usage_error("--split: no parts");
	if (sum < 1 - 1e-9 || sum > 1 + 1e-9) cli_usage_error("--split: the fractions add up to %g, not 1", sum);
	parts[nparts - 1].cum = 1;
}

static unsigned parse_mask(const char *list)
{
	static const struct { const char *name; unsigned bit; } tab[] = {
		{ "addr", M_ADDR }, { "port", M_PORT }, { "ipid", M_IPID }, { "ttl", M_TTL },
		{ "csum", M_CSUM }, { "seq", M_SEQ }, { "ts", M_TS }, { "all", M_ALL }, { "none", 0 },
	};
	char *s = xstrdup(list), *tok, *save = NULL;
	unsigned m = 0, i;

	for (tok = strtok_r(s, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
		for (i = 0; i < sizeof tab / sizeof tab[0]; i++)
			if (strcmp(tok, tab[i].name) == 0) break;
		if (i == sizeof tab / sizeof tab[0])
			cli_usage_error("--mask: unknown field '%s' (addr, port, ipid, ttl, csum, seq, ts, all, none)", tok);
		m |= tab[i].bit;
	}
	free(s);
	return m;
}

static uint64_t num(const char *o, const char *s, uint64_t min, uint64_t max)
{
	uint64_t v;

	if (cli_parse_u64(s, min, max, &v) < 0)
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
	struct cli_out cls_out, stats_out, pv_out;
	struct buf s = { 0 };
	struct rs_inputs ins;
	struct rs_item it;
	uint8_t *image;
	char *cls_path;
	int c, t, status = EXIT_OK;
	bool have_classes_txt = false;

	cli_init("flow-idx", argc, argv);
	crash_at = getenv("FK_IDX_CRASH");
	opterr = 0;
	while ((c = getopt_long(argc, argv, ":c:o:aqh", longopts, NULL)) != -1) {
		switch (c) {
		case O_LAYER:
			if (strcmp(optarg, "network") == 0) opt.layer = LAYER_NET;
			else if (strcmp(optarg, "link") == 0) opt.layer = LAYER_LINK;
			else if (strcmp(optarg, "payload") == 0) opt.layer = LAYER_PAYLOAD;
			else cli_usage_error("--layer: '%s' is not network, link or payload", optarg);
			break;
		case O_FRAMING: opt.framing = true; break;
		case O_TRAILER: opt.trailer = true; break;
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
		case O_MASK: opt.mask = parse_mask(optarg); break;
		case 'c': opt.classes = optarg; break;
		case O_DEDUP:
			if (strcmp(optarg, "file") == 0) opt.dedup = DEDUP_FILE;
			else if (strcmp(optarg, "all") == 0) opt.dedup = DEDUP_ALL;
			else if (strcmp(optarg, "none") == 0) opt.dedup = DEDUP_NONE;
			else cli_usage_error("--dedup: '%s' is not file, all or none", optarg);
			break;
		case O_MAXPC: opt.max_per_class = num("--max-per-class", optarg, 1, UINT32_MAX); break;
		case O_SPLIT:
			if (nparts) cli_usage_error("--split given twice");
			parse_split(optarg);
			break;
		case O_SEED: opt.seed = num("--seed", optarg, 0, UINT64_MAX); break;
		case O_GROUP:
			if (strcmp(optarg, "flow") == 0) opt.group_file = false;
			else if (strcmp(optarg, "file") == 0) opt.group_file = true;
			else cli_usage_error("--group: '%s' is not flow or file", optarg);
			break;
		case O_USTC_ALL:
			opt.layer = LAYER_LINK;
			opt.framing = true;
			opt.dedup = DEDUP_ALL;
			break;
		case O_USTC_L7:
			opt.layer = LAYER_PAYLOAD;
			opt.framing = false;
			opt.dedup = DEDUP_ALL;
			break;
		case O_SEED001:
			opt.layer = LAYER_NET;
			opt.framing = false;
			opt.trailer = true;
			opt.dedup = DEDUP_FILE;
			break;
		case 'o': opt.prefix = optarg; break;
		case 'a': opt.append = true; break;
		case O_STATS: opt.stats = optarg; break;
		case O_PREVIEW: opt.preview = optarg; break;
		case 'q': opt.quiet = true; break;
		case 'h':
			fputs(usage_text, stdout);
			cli_close_stdout();
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
	if (opt.framing && opt.layer != LAYER_LINK)
		cli_usage_error("--pcap-framing goes with --layer link");
	if ((uint64_t)opt.rows * opt.cols > (1u << 24))
		cli_usage_error("--rows x --cols: at most %u bytes per image", 1u << 24);
	if (nparts == 0) nparts = 1; /* parts[0].name NULL: PREFIX-images-idx3-ubyte */
	if (optind == argc) {
		argv = stdin_only;
		argc = 1;
		optind = 0;
	}

	/* An append reads the old data set, writes and renames: appending jobs
	 * on one prefix take turns (out_lock waits), or they lose data. */
	cls_path = path_of(NULL, "lock");
	if (opt.append && out_lock(cls_path) < 0) cli_die(EXIT_DATA, "%s: not written", opt.prefix);
	free(cls_path);
	cls_path = path_of(NULL, "classes.txt");
	if (opt.classes) {
		load_classes(opt.classes, LABEL_NAME_ID);
		classes.fixed = true;
	} else if (opt.append) {
		struct stat sb;

		if (stat(cls_path, &sb) == 0) {
			load_classes(cls_path, LABEL_ID_NAME);
			have_classes_txt = true;
		}
	}
	md = EVP_MD_CTX_new();
	if (md == NULL) cli_die(EXIT_DATA, "out of memory");
	open_parts();
	if (appended && !opt.classes && !have_classes_txt)
		cli_die(EXIT_DATA, "%s: missing; without it or -c the class ids of the files "
		    "appended to are unknown", cls_path);

	image = xmalloc(image_len());
	rs_in_begin(&ins, NULL, argv + optind, argc - optind);
	while ((t = rs_in_next(&ins, &it)) != RS_EOF) {
		if (t != RS_FLOW) continue;
		take_flow(it.flow, &s, image);
		if ((st.read & 1023) == 0) cli_progress("sessions", st.read, 0);
	}
	if (rs_in_end(&ins, NULL) != EXIT_OK) status = EXIT_DATA;
	cli_progress_end();
	if (st.read && st.nobytes == st.read)
		cli_warn("no flow carries packet bytes: run pcap-flows with --bytes N (N >= %lu)",
		    (unsigned long)image_len());
	if (status != EXIT_OK) {
		/* A bad input leaves the data set as it was: a partial data set
		 * would look complete. */
		cli_die(EXIT_DATA, "%s: not written", opt.prefix);
	}

	/* Finish everything, then rename: labels last, so that a reader that
	 * finds matching counts finds a complete pair. */
	if (cli_out_open(&cls_out, cls_path) < 0) cli_die(EXIT_DATA, "%s: not written", opt.prefix);
	if (label_classes_write(&classes, cls_out.fp) < 0 || fflush(cls_out.fp) != 0 ||
	    ferror(cls_out.fp))
		cli_die(EXIT_DATA, "%s: write error: %s", cls_path, strerror(errno));
	if (opt.stats) {
		if (cli_out_open(&stats_out, opt.stats) < 0) cli_die(EXIT_DATA, "%s: not written", opt.prefix);
		write_stats(stats_out.fp);
		if (fflush(stats_out.fp) != 0 || ferror(stats_out.fp))
			cli_die(EXIT_DATA, "%s: write error: %s", opt.stats, strerror(errno));
	}
	if (opt.preview) {
		const uint8_t *rowsv[256];
		char *labels[256];
		unsigned counts[256], k, nr = 0;

		for (k = 0; k < 256; k++)
			if (pv.n[k]) {
				const char *nm = k == UNKNOWN ? "(unknown)" : name_of(k);

				labels[nr] = xmalloc(strlen(nm ? nm : "") + 8);
				sprintf(labels[nr], "%u %s", k, nm ? nm : "");
				counts[nr] = pv.n[k];
				rowsv[nr++] = pv.img[k];
			}
		if (cli_out_open(&pv_out, opt.preview) < 0 ||
		    pic_contact_sheet(&pv_out, rowsv, (const char *const *)labels, counts, nr,
		    PREVIEW_PER_CLASS, opt.rows, opt.cols) < 0)
			cli_die(EXIT_DATA, "%s: not written", opt.prefix);
		for (k = 0; k < nr; k++) free(labels[k]);
		for (k = 0; k < 256; k++) free(pv.img[k]);
	}
	for (c = 0; c < (int)nparts; c++)
		if (idx_finish(&parts[c].img) < 0 || idx_finish(&parts[c].lab) < 0)
			cli_die(EXIT_DATA, "%s: not written", opt.prefix);
	/* Everything on the disk before the first rename. */
	if (out_finish(&cls_out) < 0 || (opt.stats && out_finish(&stats_out) < 0) ||
	    (opt.preview && out_finish(&pv_out) < 0))
		cli_die(EXIT_DATA, "%s: not written", opt.prefix);
	crash_hook("before-rename");
	if (cli_out_commit(&cls_out) < 0) cli_die(EXIT_DATA, "%s: not written", opt.prefix);
	for (c = 0; c < (int)nparts; c++) {
		if (idx_commit(&parts[c].img) < 0) cli_die(EXIT_DATA, "%s: not written", opt.prefix);
		crash_hook("between-renames");
		if (idx_commit(&parts[c].lab) < 0)
			cli_die(EXIT_DATA, "%s: labels not renamed: the images are new and the labels "
			    "old; rebuild the data set", opt.prefix);
	}
	if (opt.preview && cli_out_commit(&pv_out) < 0) status = EXIT_DATA;
	if (opt.stats) {
		if (cli_out_commit(&stats_out) < 0) status = EXIT_DATA;
	} else if (!opt.quiet) {
		write_stats(stderr);
	}
	free(image);
	free(cls_path);
	label_classes_free(&classes);
	buf_free(&s);
	EVP_MD_CTX_free(md);
	return status;
}
