/*
 * flow-anon - keyed, consistent anonymization of flowrec streams: the
 * addresses, ports, MACs and names of the flow fields, of the stored
 * packet bytes (every IP header, ICMP quotes and tunnels included) and of
 * the metadata.  The mappings are in common/anon.c; flow-anon(1) has the
 * threat model.
 */
#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <getopt.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>

#include "anon.h"
#include "anonmeta.h"
#include "cli.h"
#include "field.h"
#include "stream.h"

static const char usage_text[] =
    "usage: flow-anon -k KEYFILE [options] [file ...]\n"
    "       flow-anon --genkey KEYFILE\n"
    "\n"
    "Anonymize flowrec records with a secret key: addresses in the flow fields,\n"
    "in the stored packet bytes (ICMP quotes and tunnels included) and in DNS\n"
    "answers; MACs, ports and the names of the metadata.  Reads the files, or\n"
    "stdin when none or -.\n"
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
    "      --names N         names, URIs, agents, certificate ids, connection ids,\n"
    "                        banner comments (flow-anon(1) METADATA), and those\n"
    "                        names in the stored bytes: hash (default), drop, keep\n"
    "      --checksum C      fix (default), zero, keep\n"
    "      --drop-payload    drop PAYLOAD and cut stored packets after their headers\n"
    "      --keep-unknown    keep unknown identifying elements and metadata fields\n"
    "      --udp-pad         pad stored UDP headers to 20 bytes (the seeds' option)\n"
    "      --outer-only      map only the outermost IP addresses of stored packets\n"
    "                        (the seed recipes; tunnels and bodies keep theirs)\n"
    "      --provenance P    upstream command lines: rewrite (their addresses,\n"
    "                        default), drop, keep\n"
    "      --source S        capture paths: base (the file name, default), keep, drop\n"
    "  -o, --output F        write to F (through a temporary file) instead of stdout\n"
    "  -v, --verbose         statistics on stderr at the end\n"
    "  -h, --help            this help\n"
    "      --version         print the version\n";

enum {
	OPT_GENKEY = 256, OPT_PRESERVE, OPT_TRUNCATE, OPT_MAC, OPT_PORTS, OPT_NAMES,
	OPT_CHECKSUM, OPT_DROP_PAYLOAD, OPT_KEEP_UNKNOWN, OPT_UDP_PAD, OPT_VERSION, OPT_OUTER_ONLY,
	OPT_PROVENANCE, OPT_SOURCE,
};

enum prov_mode { PROV_REWRITE, PROV_DROP, PROV_KEEP };
enum src_mode { SRC_BASE, SRC_KEEP, SRC_DROP };

struct run {
	struct an_ctx *ctx;
	struct an_opts o;
	enum an_names names;
	enum prov_mode prov;
	enum src_mode src;
	bool keep_unknown, drop_payload, udp_pad;
	struct buf pb, pkt, mac, meta[5], pl, srcb, hdr;
	struct rec_header h;
	struct an_stats st;
	uint64_t padded, flows, dropped_payloads, dropped_elems, dropped_fields, dropped_pkts;
	uint64_t tun_payloads, bad_payloads, cut_payloads, prov_addrs, prov_dropped, blanked;
	struct am_needles nd;
	bool warned_elem, warned_field, warned_payload, abandoned;
};

static const char *const method_names[] = { "cryptopan", "hmac", "zero", "remove", "sha-text",
	"keep" };
static const char *const mac_names[] = { "anon", "zero", "remove", "keep" };
static const char *const csum_names[] = { "fix", "zero", "keep" };
static const char *const name_modes[] = { "keep", "drop", "hash" };
static const char *const prov_names[] = { "rewrite", "drop", "keep" };
static const char *const src_names[] = { "base", "keep", "drop" };

static int pick(const char *opt, const char *v, const char *const *names, int n)
{
	int i;

	for (i = 0; i < n; i++)
		if (strcmp(v, names[i]) == 0) return i;
	cli_usage_error("%s: unknown value '%s'", opt, v);
}

/* Rewrite a metadata element into b (common/anonmeta.c); one warning
 * for the unknown fields dropped. */
static void anon_meta(struct run *r, const struct rec_elem *e, struct buf *b)
{
	unsigned tag = 0, n = am_meta(r->ctx, r->names, r->keep_unknown, e, b, &tag);

	r->dropped_fields += n;
	if (n && !r->warned_field) {
		msg_warn("dropping unknown field %u of the %s element (use --keep-unknown "
		    "to keep such fields)", tag, rec_elem_name(e->id));
		r->warned_field = true;
	}
}

/*
 * The needles of the flow (its names, its DNS answers) in the transport
 * payload of one stored packet, d/n from where the stored bytes start
 * (base: the link header's length, or 0).  The PACKETS entry of the
 * packet says where its payload starts; without one nothing is done.
 */
static void blank_stored(struct run *r, const struct rec_flow *f, const struct rec_pb *pb,
    uint32_t base, uint8_t *d, uint32_t n)
{
	const struct rec_elem *pk = rec_find(f, RE_PACKETS);
	struct rec_pkt p;
	uint32_t off;

	if (pk == NULL || pb->index >= rec_pkts_count(pk)) return;
	rec_pkt_get(pk, pb->index, &p);
	if (p.payload_len == 0 || p.payload_len > p.ip_len) return;
	off = base + (p.ip_len - p.payload_len);
	if (off >= n) return;
	r->blanked += am_blank(&r->nd, d + off, n - off, f->proto == 17);
}

/* Rewrite PKTBYTES into r->pb. */
static void anon_pktbytes(struct run *r, const struct rec_flow *f, const struct rec_elem *e)
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
		/* before the headers are rewritten: their checksums then cover the blanks */
		if (r->nd.n || r->nd.quic) blank_stored(r, f, &pb, outlayer ? pb.link_len : 0, d, n);
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

/*
 * next_slice(pk, count, &i, at, n, &len, &wire): the next packet with a
 * payload from PACKETS entry i on, whose slice of a PAYLOAD element of n
 * bytes starts at at: its stored length (cut by the element's end) and
 * its length on the wire.  false past the table or the bytes.
 */
static bool next_slice(const struct rec_elem *pk, uint32_t count, uint32_t *i, uint32_t at,
    uint32_t n, uint32_t *len, uint32_t *wire)
{
	struct rec_pkt p;

	while (*i < count && at < n) {
		rec_pkt_get(pk, (*i)++, &p);
		if (p.payload_len == 0) continue;
		*len = p.payload_len < n - at ? p.payload_len : n - at;
		*wire = p.payload_len;
		return true;
	}
	return false;
}

/*
 * A tunnel or SCTP flow's PAYLOAD element into r->pl: pcap-flows stores
 * the transport payload of each packet, one after the other, so the
 * payload lengths of the PACKETS table cut it back into per-packet
 * slices, and each slice gets the rewrite its stored packet got.  A slice
 * that does not have the structure of its protocol means the slices are
 * not where the table says (a packet cut by the snapshot length, say):
 * nothing can be trusted then, so the element goes (-1).  Bytes past the
 * table (more packets than it holds) are cut.
 */
static int anon_payload(struct run *r, const struct rec_flow *f, const struct rec_elem *e,
    uint16_t sport, uint16_t dport)
{
	const struct rec_elem *pk = rec_find(f, RE_PACKETS);
	uint32_t at = 0, n = e->len, i = 0, count = pk ? rec_pkts_count(pk) : 0, len, wire;

	buf_reset(&r->pl);
	buf_put(&r->pl, e->val, n);
	if (pk == NULL) count = 0;
	while (next_slice(pk, count, &i, at, n, &len, &wire)) {
		if (an_payload(r->ctx, &r->o, f->proto, sport, dport, r->pl.p + at, len, wire,
		    &r->st) < 0)
			return -1;
		at += len;
	}
	if (pk == NULL) {
		/* No table: one slice, which must be the whole of one packet. */
		if (an_payload(r->ctx, &r->o, f->proto, sport, dport, r->pl.p, n, n, &r->st) < 0)
			return -1;
		at = n;
	}
	if (at < n) r->cut_payloads++;
	r->pl.len = at;
	return 0;
}

/*
 * The needles of the flow in its PAYLOAD element, copied into r->pl
 * unless it is there already: a TCP stream's bytes as one, for a name
 * may straddle two segments; a UDP flow's slice by slice (the payload
 * lengths of PACKETS), each a datagram.
 */
static void blank_payload(struct run *r, const struct rec_flow *f, struct rec_elem *e)
{
	const struct rec_elem *pk = rec_find(f, RE_PACKETS);
	uint32_t at = 0, n = e->len, i = 0, count = pk ? rec_pkts_count(pk) : 0, len, wire;

	if (n == 0) return;
	if (e->val != r->pl.p) {
		buf_reset(&r->pl);
		buf_put(&r->pl, e->val, n);
		e->val = r->pl.p;
	}
	if (f->proto != 17 || pk == NULL) {
		r->blanked += am_blank(&r->nd, r->pl.p, n, f->proto == 17);
		return;
	}
	while (next_slice(pk, count, &i, at, n, &len, &wire)) {
		r->blanked += am_blank(&r->nd, r->pl.p + at, len, true);
		at += len;
	}
	if (at < n) r->blanked += am_blank(&r->nd, r->pl.p + at, n - at, false);
}

/* SOURCE as --source says: the capture path whole, or its last part. */
static void anon_source(struct run *r, struct rec_elem *e)
{
	const uint8_t *name, *base;
	uint64_t first;
	uint32_t len, k;

	rec_source_get(e, &first, &name, &len);
	base = name;
	for (k = 0; k < len; k++)
		if (name[k] == '/') base = name + k + 1;
	buf_reset(&r->srcb);
	buf_put64(&r->srcb, first);
	buf_put(&r->srcb, base, (size_t)(name + len - base));
	e->val = r->srcb.p;
	e->len = (uint32_t)r->srcb.len;
}

static bool addr_char(int ch)
{
	return (ch >= '0' && ch <= '9') || (ch >= 'a' && ch <= 'f') || (ch >= 'A' && ch <= 'F') ||
	    ch == ':' || ch == '.';
}

/* Keep the first bits of a (len bytes), zero the rest. */
static void mask_bits(uint8_t *a, unsigned len, unsigned bits)
{
	unsigned i;

	for (i = 0; i < len; i++) {
		if (bits >= 8 * (i + 1)) continue;
		a[i] = bits <= 8 * i ? 0 : (uint8_t)(a[i] & (0xFF00u >> (bits - 8 * i)));
	}
}

/*
 * Text (a command line, a note) into out with every address literal
 * rewritten by the packets' mapping: IPv4 dotted quads, IPv6 addresses,
 * prefixes (ADDR/LEN: the mapped address cut to LEN bits, as the mapped
 * addresses of the prefix are), the shortened networks of pcap filters
 * ("net 10.1", "10.1/16": mapped as 10.1.0.0, the same number of parts
 * printed) and MACs (as --mac says).  Returns how many it rewrote.
 */
static unsigned anon_text(struct run *r, const uint8_t *s, size_t n, struct buf *out)
{
	size_t i = 0;
	unsigned count = 0;

	while (i < n) {
		char tok[64], txt[INET6_ADDRSTRLEN + 8];
		uint8_t a[16];
		size_t j = i, tl, k;
		unsigned bits = 0, parts = 0, alen = 0;
		bool slash = false, net = false, mac = false;

		if (!addr_char(s[i]) || (i > 0 && (addr_char(s[i - 1]) || s[i - 1] == '_' ||
		    isalpha(s[i - 1])))) {
			buf_put8(out, s[i++]);
			continue;
		}
		while (j < n && addr_char(s[j])) j++;
		while (j > i && (s[j - 1] == '.' || (s[j - 1] == ':' && (j - i < 2 || s[j - 2] != ':'))))
			j--;
		tl = j - i;
		if (tl == 0 || tl >= sizeof tok) {
			buf_put(out, s + i, tl ? tl : 1);
			i += tl ? tl : 1;
			continue;
		}
		memcpy(tok, s + i, tl);
		tok[tl] = 0;
		if (j + 1 < n && s[j] == '/' && s[j + 1] >= '0' && s[j + 1] <= '9') {
			size_t m = j + 1;
			while (m < n && s[m] >= '0' && s[m] <= '9' && bits <= 128) bits = bits * 10 + (s[m++] - '0');
			slash = bits <= 128;
		}
		net = i >= 4 && memcmp(s + i - 4, "net ", 4) == 0;
		if (inet_pton(AF_INET, tok, a) == 1) {
			alen = 4;
			parts = 4;
		} else if (strchr(tok, ':') && inet_pton(AF_INET6, tok, a) == 1) {
			alen = 16;
		} else if (tl == 17) {
			unsigned m[6];
			mac = sscanf(tok, "%2x:%2x:%2x:%2x:%2x:%2x", &m[0], &m[1], &m[2], &m[3], &m[4], &m[5]) == 6;
			for (k = 0; mac && k < 6; k++) a[k] = (uint8_t)m[k];
			for (k = 0; mac && k < 17; k++)
				if (k % 3 == 2 ? tok[k] != ':' : !addr_char(tok[k]) || tok[k] == '.') mac = false;
		} else if (slash || net) {
			/* a shortened network: 2 or 3 decimal parts */
			unsigned v = 0;
			bool ok = true;

			memset(a, 0, 4);
			parts = 0;
			for (k = 0; k <= tl && ok; k++) {
				if (k == tl || tok[k] == '.') {
					if (k == 0 || tok[k - 1] == '.' || parts == 4) ok = false;
					else a[parts++] = (uint8_t)v;
					v = 0;
				} else if (tok[k] >= '0' && tok[k] <= '9' && v <= 255) {
					v = v * 10 + (unsigned)(tok[k] - '0');
					ok = v <= 255;
				} else {
					ok = false;
				}
			}
			if (ok && parts >= 2 && parts <= 3) {
				alen = 4;
				if (!slash) bits = 8 * parts;
				slash = true;
			}
		}
		if (mac) {
			if (r->o.mac == ANM_ANON) an_mac_map(r->ctx, a);
			else if (r->o.mac != ANM_KEEP) memset(a, 0, 6);
			snprintf(txt, sizeof txt, "%02x:%02x:%02x:%02x:%02x:%02x", a[0], a[1], a[2], a[3],
			    a[4], a[5]);
		} else if (alen) {
			an_addr(r->ctx, a, alen);
			if (slash) mask_bits(a, alen, bits > alen * 8 ? alen * 8 : bits);
			if (parts && parts < 4) {
				int off = 0;
				for (k = 0; k < parts; k++)
					off += snprintf(txt + off, sizeof txt - (size_t)off, k ? ".%u" : "%u", a[k]);
			} else {
				inet_ntop(alen == 4 ? AF_INET : AF_INET6, a, txt, sizeof txt);
			}
		} else {
			buf_put(out, s + i, tl);
			i = j;
			continue;
		}
		buf_put(out, txt, strlen(txt));
		count++;
		i = j;
	}
	return count;
}

/*
 * The upstream header as --provenance says, into r->h (pointing into
 * r->hdr): addresses in command lines and notes rewritten, or the
 * command lines dropped (a note says how many).  Returns r->h.
 */
static const struct rec_header *anon_header(struct run *r, const struct rec_header *in)
{
	size_t offs[REC_MAX_HDR_ELEMS];
	unsigned i, k = 0, dropped = 0;

	if (r->prov == PROV_KEEP) return in;
	buf_reset(&r->hdr);
	r->h.major = in->major;
	r->h.minor = in->minor;
	for (i = 0; i < in->nelem; i++) {
		const struct rec_elem *e = &in->elem[i];

		if (e->id == RH_PROVENANCE && r->prov == PROV_DROP) {
			dropped++;
			continue;
		}
		r->h.elem[k] = *e;
		offs[k] = SIZE_MAX;
		if (e->id == RH_PROVENANCE || e->id == RH_NOTE) {
			offs[k] = r->hdr.len;
			r->prov_addrs += anon_text(r, e->val, e->len, &r->hdr);
			r->h.elem[k].len = (uint32_t)(r->hdr.len - offs[k]);
		}
		k++;
	}
	if (dropped && k < REC_MAX_HDR_ELEMS) {
		char note[96];
		int nl = snprintf(note, sizeof note, "anon.provenance=%u upstream command lines dropped",
		    dropped);

		r->h.elem[k].id = RH_NOTE;
		offs[k] = r->hdr.len;
		buf_put(&r->hdr, note, (size_t)nl);
		r->h.elem[k++].len = (uint32_t)nl;
		r->prov_dropped += dropped;
	}
	r->h.nelem = k;
	for (i = 0; i < k; i++)
		if (offs[i] != SIZE_MAX) r->h.elem[i].val = r->hdr.p + offs[i];
	return &r->h;
}

/* Anonymize one flow in place; its elements may point into r's buffers. */
static void anon_flow(struct run *r, struct rec_flow *f)
{
	unsigned alen = f->ipv == 4 ? 4 : 16, i, k = 0;
	uint16_t sport = f->sport, dport = f->dport;
	int nmeta = 0;

	/* the originals of the metadata, for the stored bytes (before the
	 * addresses below change: the DNS answers' pseudonyms are taken here) */
	am_needles_reset(&r->nd);
	if (!r->o.outer_only || r->names != ANN_KEEP)
		for (i = 0; i < f->nelem; i++)
			if (f->elem[i].id == RE_TLS || f->elem[i].id == RE_HTTP ||
			    f->elem[i].id == RE_DNS || f->elem[i].id == RE_QUIC || f->elem[i].id == RE_SSH)
				am_needles_add(r->ctx, &r->nd, &f->elem[i], r->names, !r->o.outer_only);
	an_addr(r->ctx, f->src, alen);
	an_addr(r->ctx, f->dst, alen);
	if (r->o.zero_ports) f->sport = f->dport = 0;
	f->flags |= RF_ANONYMIZED;
	for (i = 0; i < f->nelem; i++) {
		struct rec_elem e = f->elem[i];

		switch (e.id) {
		case RE_PKTBYTES:
			anon_pktbytes(r, f, &e);
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
			if (an_payload_kind(f->proto, sport, dport) && !r->o.outer_only) {
				r->tun_payloads++;
				if (anon_payload(r, f, &e, sport, dport) < 0) {
					r->bad_payloads++;
					r->dropped_payloads++;
					if (!r->warned_payload) {
						msg_warn("dropping the payload of a %s flow: its slices do not match "
						    "its packet table", f->proto == 132 ? "SCTP" : "UDP tunnel");
						r->warned_payload = true;
					}
					continue;
				}
				if (r->pl.len < e.len) f->flags |= RF_BYTES_TRUNCATED;
				e.val = r->pl.p;
				e.len = (uint32_t)r->pl.len;
			}
			if (r->nd.n || r->nd.quic) blank_payload(r, f, &e);
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
		case RE_TLS: case RE_HTTP: case RE_DNS: case RE_QUIC: case RE_SSH:
			if (nmeta == 5) continue; /* a sixth: the codec allows one of each */
			anon_meta(r, &e, &r->meta[nmeta]);
			e.len = (uint32_t)r->meta[nmeta].len;
			e.val = e.len ? r->meta[nmeta].p : (const uint8_t *)"";
			nmeta++;
			break;
		case RE_SOURCE:
			if (r->src == SRC_DROP) continue;
			if (r->src == SRC_BASE) anon_source(r, &e);
			break;
		case RE_PACKETS: case RE_LABEL: case RE_ENCAP: case RE_FEATURES: case RE_APP:
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
static int run_inputs(struct run *r, char **in, int nin, struct out_file *out, char notes[2][200])
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
			/* A damaged, truncated or missing input (already
			 * reported): what is written must not look complete, so
			 * the output never gets its END record; the other inputs
			 * are still read, as for every tool. */
			status = EXIT_DATA;
			r->abandoned = true;
			if (rw_abandon(w) < 0) status = EXIT_DATA;
		} else if (t == RS_HEADER) {
			if (rs_write_header(w, anon_header(r, it.hdr)) < 0) {
				rw_abandon(w);
				r->abandoned = true;
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
		{ "outer-only", no_argument, NULL, OPT_OUTER_ONLY },
		{ "provenance", required_argument, NULL, OPT_PROVENANCE },
		{ "source", required_argument, NULL, OPT_SOURCE },
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
	char err[512], fp[9], notes[2][200];

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
		case OPT_OUTER_ONLY: r.o.outer_only = true; break;
		case OPT_PROVENANCE:
			r.prov = (enum prov_mode)pick("--provenance", optarg, prov_names, 3);
			break;
		case OPT_SOURCE: r.src = (enum src_mode)pick("--source", optarg, src_names, 3); break;
		case 'o': opath = optarg; break;
		case 'v': verbose = true; break;
		case 'h': cli_help(usage_text);
		case OPT_VERSION: cli_version();
		default: cli_bad_option(c, argv);
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
	    "anon.opts=mac:%s,ports:%s,names:%s,checksum:%s,payload:%s,provenance:%s,source:%s%s%s",
	    mac_names[r.o.mac], r.o.zero_ports ? "zero" : "keep", name_modes[r.names],
	    csum_names[r.o.csum], r.drop_payload ? "drop" : "keep", prov_names[r.prov],
	    src_names[r.src], r.udp_pad ? ",udp-pad" : "", r.o.outer_only ? ",outer-only" : "");
	status = run_inputs(&r, argv + optind, argc - optind, &out, notes);
	if (status < 0) {
		out_abort(&out);
		an_free(r.ctx);
		return EXIT_DATA;
	}
	if (r.st.encap_zeroed)
		msg_warn("%llu encapsulated payloads that flow-anon cannot decode were zeroed",
		    (unsigned long long)r.st.encap_zeroed);
	if (r.dropped_pkts)
		msg_warn("%llu stored packets dropped: no IP header could be decoded in them",
		    (unsigned long long)r.dropped_pkts);
	if (verbose) {
		fprintf(stderr, "flow-anon: %llu flows, %llu stored packets (%llu dropped, %llu cut in "
		    "the IP header), "
		    "%llu ICMP quotes (%llu zeroed), %llu tunnelled headers, %llu bodies with addresses, "
		    "%llu encapsulations zeroed, checksums %llu "
		    "recomputed %llu updated, %llu elements and %llu fields dropped, %llu tunnel or SCTP "
		    "payloads rewritten (%llu dropped, %llu cut), %llu names and DNS answers rewritten in "
		    "stored bytes, %llu addresses in provenance rewritten, %llu command lines dropped\n",
		    (unsigned long long)r.flows, (unsigned long long)r.st.pkts,
		    (unsigned long long)r.dropped_pkts, (unsigned long long)r.st.short_hdr,
		    (unsigned long long)r.st.quotes,
		    (unsigned long long)r.st.quotes_zeroed, (unsigned long long)r.st.tunnels,
		    (unsigned long long)r.st.bodies, (unsigned long long)r.st.encap_zeroed,
		    (unsigned long long)r.st.csum_full, (unsigned long long)r.st.csum_incr,
		    (unsigned long long)r.dropped_elems, (unsigned long long)r.dropped_fields,
		    (unsigned long long)(r.tun_payloads - r.bad_payloads),
		    (unsigned long long)r.bad_payloads, (unsigned long long)r.cut_payloads,
		    (unsigned long long)r.blanked, (unsigned long long)r.prov_addrs, (unsigned long long)r.prov_dropped);
	}
	an_free(r.ctx);
	buf_free(&r.pb);
	buf_free(&r.pkt);
	buf_free(&r.mac);
	for (i = 0; i < 5; i++) buf_free(&r.meta[i]);
	buf_free(&r.pl);
	am_needles_free(&r.nd);
	buf_free(&r.srcb);
	buf_free(&r.hdr);
	if (status != EXIT_OK && opath && strcmp(opath, "-") != 0) {
		/* Keep the previous file rather than put a partial one over it. */
		msg_warn("%s: not written: an input failed", opath);
		out_abort(&out);
	} else if (out_commit(&out) < 0) {
		status = EXIT_DATA;
	}
	return status;
}
