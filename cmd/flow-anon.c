/*
 * flow-anon - keyed, consistent anonymization of flowrec streams: the
 * addresses, ports, MACs and names of the flow fields, of the stored
 * packet bytes (every IP header, ICMP quotes and tunnels included) and of
 * the metadata.  The mappings are in common/anon.c; flow-anon(1) has the
 * threat model.
 */
#include <errno.h>
#include <getopt.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>

#include "anon.h"
#include "cli.h"
#include "field.h"
#include "stream.h"

static const char usage_text[] =
    "usage: flow-anon -k KEYFILE [options] [file ...]\n"
    "       flow-anon --genkey KEYFILE\n"
    "\n"
    "Anonymize flowrec records with a secret key: addresses in the flow fields,\n"
    "in the stored packet bytes (ICMP quotes and tunnels included) and in DNS\n"
    "answers; MACs, ports and names.  Reads the files, or stdin when none or -.\n"
    "\n"
    "  -k, --key FILE        the key: 32 bytes, raw or as 64 hex digits\n"
    "      --genkey FILE     write a new random key to FILE (mode 0600) and exit\n"
    "  -m, --method M        addresses: cryptopan (prefix-preserving, default),\n"
    "                        hmac (keyed pseudorandom), zero, remove (192.0.2.0,\n"
    "                        2001:db8::), sha-text (the seeds' unkeyed hash:\n"
    "                        reversible), keep\n"
    "      --preserve CIDR   addresses in CIDR keep its prefix (repeatable)\n"
    "      --truncate N[,M]  keep only the first N bits of IPv4, M of IPv6 addresses\n"
    "      --mac M           anon (default), zero, remove (drop link headers), keep\n"
    "      --ports P         keep (default) or zero\n"
    "      --names N         TLS SNI, HTTP host, DNS and QUIC names, certificate\n"
    "                        names: hash (default), drop, keep\n"
    "      --checksum C      fix (default), zero, keep\n"
    "      --drop-payload    drop PAYLOAD and cut stored packets after their headers\n"
    "      --keep-unknown    keep unknown identifying elements and metadata fields\n"
    "      --udp-pad         pad stored UDP headers to 20 bytes (the seeds' option)\n"
    "  -o, --output F        write to F (through a temporary file) instead of stdout\n"
    "  -v, --verbose         statistics on stderr at the end\n"
    "  -h, --help            this help\n"
    "      --version         print the version\n";

enum {
	OPT_GENKEY = 256, OPT_PRESERVE, OPT_TRUNCATE, OPT_MAC, OPT_PORTS, OPT_NAMES,
	OPT_CHECKSUM, OPT_DROP_PAYLOAD, OPT_KEEP_UNKNOWN, OPT_UDP_PAD, OPT_VERSION,
};

struct run {
	struct an_ctx *ctx;
	struct an_opts o;
	enum an_names names;
	bool keep_unknown, drop_payload, udp_pad;
	struct buf pb, pkt, mac, meta[4];
	struct an_stats st;
	uint64_t padded, flows, dropped_payloads, dropped_elems, dropped_fields, dropped_pkts;
	bool warned_elem, warned_field;
};

static const char *const method_names[] = { "cryptopan", "hmac", "zero", "remove", "sha-text",
	"keep" };
static const char *const mac_names[] = { "anon", "zero", "remove", "keep" };
static const char *const csum_names[] = { "fix", "zero", "keep" };
static const char *const name_modes[] = { "keep", "drop", "hash" };

static int pick(const char *opt, const char *v, const char *const *names, int n)
{
	int i;

	for (i = 0; i < n; i++)
		if (strcmp(v, names[i]) == 0) return i;
	cli_usage_error("%s: unknown value '%s'", opt, v);
}

/* Rewrite a metadata element into b: names, DNS answer addresses; unknown
 * tags dropped unless --keep-unknown. */
static void anon_meta(struct run *r, const struct rec_elem *e, struct buf *b)
{
	struct rec_meta_iter it;
	const uint8_t *val;
	uint16_t len;
	uint8_t tag;

	buf_reset(b);
	rec_meta_begin(e, &it);
	while (rec_meta_next(&it, &tag, &val, &len)) {
		const struct fld *fd = fld_meta(e->id, tag);

		if (fd == NULL && !r->keep_unknown) {
			r->dropped_fields++;
			if (!r->warned_field) {
				msg_warn("dropping unknown field %u of the %s element (use --keep-unknown "
				    "to keep such fields)", tag, rec_elem_name(e->id));
				r->warned_field = true;
			}
			continue;
		}
		if (fld_is_name(fd) && r->names != ANN_KEEP) {
			char h[17];

			if (r->names == ANN_DROP) continue;
			an_name_hash(r->ctx, val, len, h);
			buf_put8(b, tag);
			buf_put16(b, 16);
			buf_put(b, h, 16);
			continue;
		}
		buf_put8(b, tag);
		buf_put16(b, len);
		if (fd && fd->type == FT_ADDR && (len == 4 || len == 16)) {
			size_t at = b->len;
			buf_put(b, val, len);
			an_addr(r->ctx, b->p + at, len);
		} else {
			buf_put(b, val, len);
		}
	}
}

/* Rewrite PKTBYTES into r->pb. */
static void anon_pktbytes(struct run *r, const struct rec_elem *e)
{
	struct rec_pb_iter it;
	struct rec_pb pb;
	uint32_t count, kept = 0;
	uint8_t layer, outlayer;
	bool strip;

	rec_pb_begin(e, &layer, &count, &it);
	strip = layer == 1 && r->o.mac == ANM_REMOVE;
	outlayer = strip ? 0 : layer;
	buf_reset(&r->pb);
	buf_put32(&r->pb, (uint32_t)outlayer << 24);
	buf_put32(&r->pb, 0);
	while (rec_pb_next(&it, &pb)) {
		uint32_t skip = strip ? pb.link_len : 0, n, wire, newlen;
		uint8_t *d;

		n = pb.n > skip ? pb.n - skip : 0;
		buf_reset(&r->pkt);
		buf_reserve(&r->pkt, n ? n : 1);
		if (n) memcpy(r->pkt.p, pb.data + skip, n);
		d = r->pkt.p;
		wire = pb.orig_len;
		if (outlayer == 0) wire = wire > pb.link_len ? wire - pb.link_len : 0;
		if (n == 0 || an_packet(r->ctx, &r->o, pb.linktype, outlayer, d, n, wire, &newlen,
		    &r->st) < 0) {
			r->dropped_pkts++;
			continue;
		}
		if (r->udp_pad && !r->drop_payload) {
			uint32_t add;

			buf_reserve(&r->pkt, (size_t)newlen + 12);
			d = r->pkt.p;
			add = an_udp_pad(r->o.csum, pb.linktype, outlayer, d, newlen, wire);
			if (add && pb.incl_len <= UINT32_MAX - add && pb.orig_len <= UINT32_MAX - add) {
				newlen += add;
				pb.incl_len += add;
				pb.orig_len += add;
				r->padded++;
			}
		}
		pb.data = d;
		pb.n = newlen;
		rec_pb_put(&r->pb, &pb);
		kept++;
	}
	put_be32(r->pb.p + 4, kept);
}

/* Anonymize one flow in place; its elements may point into r's buffers. */
static void anon_flow(struct run *r, struct rec_flow *f)
{
	unsigned alen = f->ipv == 4 ? 4 : 16, i, k = 0;
	int nmeta = 0;

	an_addr(r->ctx, f->src, alen);
	an_addr(r->ctx, f->dst, alen);
	if (r->o.zero_ports) f->sport = f->dport = 0;
	f->flags |= RF_ANONYMIZED;
	for (i = 0; i < f->nelem; i++) {
		struct rec_elem e = f->elem[i];

		switch (e.id) {
		case RE_PKTBYTES:
			anon_pktbytes(r, &e);
			e.val = r->pb.p;
			e.len = (uint32_t)r->pb.len;
			break;
		case RE_PAYLOAD:
			/* The payload of a tunnel or of ICMP holds the headers of
			 * other packets, cut where the packets' payloads meet:
			 * they cannot be found reliably, so the element goes. */
			if (r->drop_payload || f->proto == 1 || f->proto == 4 || f->proto == 41 ||
			    f->proto == 47 || f->proto == 58) {
				r->dropped_payloads++;
				continue;
			}
			break;
		case RE_MAC:
			if (r->o.mac == ANM_REMOVE) continue;
			if (r->o.mac != ANM_KEEP) {
				buf_reset(&r->mac);
				buf_put(&r->mac, e.val, 12);
				if (r->o.mac == ANM_ZERO) {
					memset(r->mac.p, 0, 12);
				} else {
					an_mac_map(r->ctx, r->mac.p);
					an_mac_map(r->ctx, r->mac.p + 6);
				}
				e.val = r->mac.p;
			}
			break;
		case RE_TLS: case RE_HTTP: case RE_DNS: case RE_QUIC:
			anon_meta(r, &e, &r->meta[nmeta]);
			e.val = r->meta[nmeta].p;
			e.len = (uint32_t)r->meta[nmeta].len;
			nmeta++;
			break;
		case RE_PACKETS: case RE_LABEL: case RE_SOURCE: case RE_ENCAP: case RE_FEATURES:
			break;
		default:
			if ((e.id & REC_IDENTIFYING) && !r->keep_unknown) {
				r->dropped_elems++;
				if (!r->warned_elem) {
					msg_warn("dropping unknown identifying element 0x%04x (use "
					    "--keep-unknown to keep such elements)", e.id);
					r->warned_elem = true;
				}
				continue;
			}
		}
		f->elem[k++] = e;
	}
	f->nelem = k;
}

/* Anonymize every input into out; the notes go into every header.
 * Returns the exit status, or -1 when the output cannot be opened. */
static int run_inputs(struct run *r, char **in, int nin, struct out_file *out, char notes[2][160])
{
	struct rs_writer *w = rs_wopen(out->fp, out->name, cli_cmdline());
	struct rs_inputs ins;
	struct rs_item it;
	int t, status = EXIT_OK;

	if (w == NULL) return -1;
	rs_add_note(w, notes[0]);
	rs_add_note(w, notes[1]);
	rs_in_begin(&ins, NULL, in, nin);
	while ((t = rs_in_next(&ins, &it)) != RS_EOF) {
		if (t == RS_ERR) {
			rw_abandon(w); /* the output must not look complete */
		} else if (t == RS_HEADER) {
			if (rs_write_header(w, it.hdr) < 0) {
				rw_abandon(w);
				status = EXIT_DATA;
			}
		} else if (t == RS_FLOW) {
			anon_flow(r, it.flow);
			if (rs_write_flow(w, it.flow) < 0) {
				rs_error(ins.r, "cannot write the anonymized record");
				rw_abandon(w);
				status = EXIT_DATA;
			}
			if ((++r->flows & 1023) == 0) msg_progress("records", r->flows, 0);
		} else if (t == RS_END) {
			if (rs_write_end(w) < 0) status = EXIT_DATA;
		}
	}
	if (rs_in_end(&ins, NULL) != EXIT_OK) status = EXIT_DATA;
	msg_progress_end();
	if (rs_wclose(w) < 0) status = EXIT_DATA;
	return status;
}

int main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "key", required_argument, NULL, 'k' },
		{ "genkey", required_argument, NULL, OPT_GENKEY },
		{ "method", required_argument, NULL, 'm' },
		{ "preserve", required_argument, NULL, OPT_PRESERVE },
		{ "truncate", required_argument, NULL, OPT_TRUNCATE },
		{ "mac", required_argument, NULL, OPT_MAC },
		{ "ports", required_argument, NULL, OPT_PORTS },
		{ "names", required_argument, NULL, OPT_NAMES },
		{ "checksum", required_argument, NULL, OPT_CHECKSUM },
		{ "drop-payload", no_argument, NULL, OPT_DROP_PAYLOAD },
		{ "keep-unknown", no_argument, NULL, OPT_KEEP_UNKNOWN },
		{ "udp-pad", no_argument, NULL, OPT_UDP_PAD },
		{ "output", required_argument, NULL, 'o' },
		{ "verbose", no_argument, NULL, 'v' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, OPT_VERSION },
		{ NULL, 0, NULL, 0 },
	};
	static char *stdin_only[] = { "-", NULL };
	struct run r = { 0 };
	struct out_file out;
	const char *keyfile = NULL, *genkey = NULL, *opath = NULL;
	char *preserve[64];
	int npreserve = 0, c, status, i;
	enum an_method method = AN_CRYPTOPAN;
	uint64_t t4 = 32, t6 = 128;
	bool verbose = false;
	uint8_t key[AN_KEY_LEN];
	char err[512], fp[9], notes[2][160];

	cli_init("flow-anon", argc, argv);
	r.o.mac = ANM_ANON;
	r.o.csum = ANC_FIX;
	r.names = ANN_HASH;
	opterr = 0;
	while ((c = getopt_long(argc, argv, ":k:m:o:vh", longopts, NULL)) != -1) {
		switch (c) {
		case 'k': keyfile = optarg; break;
		case OPT_GENKEY: genkey = optarg; break;
		case 'm': method = (enum an_method)pick("--method", optarg, method_names, 6); break;
		case OPT_PRESERVE:
			if (npreserve == 64) cli_usage_error("--preserve: at most 64 prefixes");
			preserve[npreserve++] = optarg;
			break;
		case OPT_TRUNCATE: {
			char *comma = strchr(optarg, ',');

			if (comma) *comma = 0;
			if (num_parse_u64(optarg, 0, 32, &t4) < 0 ||
			    (comma && num_parse_u64(comma + 1, 0, 128, &t6) < 0))
				cli_usage_error("--truncate: want BITS4[,BITS6], 0-32 and 0-128");
			if (comma) *comma = ',';
			break;
		}
		case OPT_MAC: r.o.mac = (enum an_mac)pick("--mac", optarg, mac_names, 4); break;
		case OPT_PORTS: {
			static const char *const pn[] = { "keep", "zero" };
			r.o.zero_ports = pick("--ports", optarg, pn, 2) == 1;
			break;
		}
		case OPT_NAMES: r.names = (enum an_names)pick("--names", optarg, name_modes, 3); break;
		case OPT_CHECKSUM: r.o.csum = (enum an_csum)pick("--checksum", optarg, csum_names, 3); break;
		case OPT_DROP_PAYLOAD: r.drop_payload = r.o.drop_payload = true; break;
		case OPT_KEEP_UNKNOWN: r.keep_unknown = true; break;
		case OPT_UDP_PAD: r.udp_pad = true; break;
		case 'o': opath = optarg; break;
		case 'v': verbose = true; break;
		case 'h':
			fputs(usage_text, stdout);
			out_close_stdout();
			return EXIT_OK;
		case OPT_VERSION: cli_version();
		case ':': cli_usage_error("option %s needs an argument", argv[optind - 1]);
		default:
			if (optopt) cli_usage_error("unknown option -%c", optopt);
			cli_usage_error("unknown option %s", argv[optind - 1]);
		}
	}
	if (genkey) {
		if (keyfile || optind < argc) cli_usage_error("--genkey takes only the key file");
		if (an_key_generate(genkey, err, sizeof err) < 0) msg_die(EXIT_DATA, "%s", err);
		return EXIT_OK;
	}
	if (keyfile == NULL)
		cli_usage_error("a key file is needed: -k FILE (make one with --genkey FILE)");
	if (an_key_load(keyfile, key, err, sizeof err) < 0) msg_die(EXIT_DATA, "%s", err);
	r.ctx = an_new(key, method);
	an_key_fingerprint(key, fp);
	OPENSSL_cleanse(key, sizeof key);
	if (r.ctx == NULL) msg_die(EXIT_DATA, "libcrypto: cannot set up the ciphers");
	for (i = 0; i < npreserve; i++)
		if (an_preserve_add(r.ctx, preserve[i]) < 0)
			cli_usage_error("--preserve: not an address prefix: '%s'", preserve[i]);
	an_set_truncate(r.ctx, (unsigned)t4, (unsigned)t6);
	if (method == AN_SHA_TEXT)
		msg_warn("warning: --method sha-text is unkeyed and reversible: hashing every IPv4 "
		    "address recovers the originals in minutes");
	if (optind == argc) {
		argv = stdin_only;
		argc = 1;
		optind = 0;
	}
	if (out_open(&out, opath) < 0) return EXIT_DATA;
	snprintf(notes[0], sizeof notes[0], "anon=%s key=fp:%s", method_names[method], fp);
	snprintf(notes[1], sizeof notes[1],
	    "anon.opts=mac:%s,ports:%s,names:%s,checksum:%s,payload:%s%s",
	    mac_names[r.o.mac], r.o.zero_ports ? "zero" : "keep", name_modes[r.names],
	    csum_names[r.o.csum], r.drop_payload ? "drop" : "keep", r.udp_pad ? ",udp-pad" : "");
	status = run_inputs(&r, argv + optind, argc - optind, &out, notes);
	if (status < 0) {
		out_abort(&out);
		an_free(r.ctx);
		return EXIT_DATA;
	}
	if (r.dropped_pkts)
		msg_warn("%llu stored packets dropped: no IP header could be decoded in them",
		    (unsigned long long)r.dropped_pkts);
	if (verbose) {
		fprintf(stderr, "flow-anon: %llu flows, %llu stored packets (%llu dropped, %llu cut in "
		    "the IP header), "
		    "%llu ICMP quotes (%llu zeroed), %llu tunnelled headers, checksums %llu "
		    "recomputed %llu updated, %llu elements and %llu fields dropped\n",
		    (unsigned long long)r.flows, (unsigned long long)r.st.pkts,
		    (unsigned long long)r.dropped_pkts, (unsigned long long)r.st.short_hdr,
		    (unsigned long long)r.st.quotes,
		    (unsigned long long)r.st.quotes_zeroed, (unsigned long long)r.st.tunnels,
		    (unsigned long long)r.st.csum_full, (unsigned long long)r.st.csum_incr,
		    (unsigned long long)r.dropped_elems, (unsigned long long)r.dropped_fields);
	}
	an_free(r.ctx);
	buf_free(&r.pb);
	buf_free(&r.pkt);
	buf_free(&r.mac);
	for (i = 0; i < 4; i++) buf_free(&r.meta[i]);
	if (status != EXIT_OK && opath && strcmp(opath, "-") != 0) {
		/* Keep the previous file rather than put a partial one over it. */
		msg_warn("%s: not written: an input failed", opath);
		out_abort(&out);
	} else if (out_commit(&out) < 0) {
		status = EXIT_DATA;
	}
	return status;
}
