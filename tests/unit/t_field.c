/*
 * t_field.c - the field registry (common/field.c): its invariants, the
 * lookups, the value names, and fv_get() on a record that has every
 * element.  Run by tests/field.t, which also compares the registry with
 * flowrec(5) FIELDS and with scripts/flowrec.py.
 *
 *   t_field        the TAP tests
 *   t_field -l     the registry, one field a line: name type unit ident flags meaning
 *   t_field -s     the value names: field value name letter
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "field.h"
#include "fval.h"
#include "rec.h"
#include "rjson.h"

#include "tap.h"

static void list_fields(void)
{
	size_t i;

	for (i = 0; i < FLD_N; i++) {
		const struct fld *d = &fld_table[i];

		printf("%s\t%s\t%s\t%s\t%s\t%s\t%u\n", d->name, fld_type_name(d->type),
		    d->unit ? d->unit : "-", fld_ident_name(d->ident),
		    d->flags & FF_DERIVED ? "derived" : d->flags & FF_MULTI ? "multi" : "-", d->meaning,
		    d->tag);
	}
}

static void list_syms(void)
{
	size_t i;
	unsigned k;

	for (i = 0; i < FLD_N; i++)
		for (k = 0; k < fld_table[i].nsyms; k++) {
			const struct fld_sym *s = &fld_table[i].syms[k];

			printf("%s\t%u\t%s\t%c\n", fld_table[i].name, s->value, s->name,
			    s->letter ? s->letter : '-');
		}
}

static void t_invariants(void)
{
	size_t i, j, bad_id = 0, bad_name = 0, dup = 0, bad_meta = 0, bad_elem = 0, bad_lookup = 0;

	for (i = 0; i < FLD_N; i++) {
		const struct fld *d = &fld_table[i];
		const char *dot;

		if (d->id != i) bad_id++;
		if (!d->name || !*d->name || !d->meaning || !*d->meaning || !fld_type_name(d->type) ||
		    !fld_ident_name(d->ident) || strspn(d->name, "abcdefghijklmnopqrstuvwxyz0123456789_.")
		    != strlen(d->name)) {
			bad_name++;
			diag("bad entry %zu", i);
		}
		for (j = 0; j < i; j++)
			if (strcmp(fld_table[j].name, d->name) == 0) dup++;
		if (fld_by_name(d->name) != d) bad_lookup++;
		dot = strchr(d->name, '.');
		if (strcmp(d->key, dot ? dot + 1 : d->name) != 0 || d->keylen != strlen(d->key) ||
		    !!(d->flags & FF_ELEM) != (!dot && d->elem != 0) ||
		    ((d->flags & FF_ELEM) && fld_elem(d->elem) != d)) {
			bad_elem++;
			diag("%s: key, element flag or fld_elem() wrong", d->name);
		}
		/* A dotted name lives in the element its prefix names. */
		if (dot) {
			const struct fld *e = fld_elem(d->elem);

			if (!e || strncmp(e->name, d->name, (size_t)(dot - d->name)) != 0 ||
			    e->name[dot - d->name] != '\0' || fld_child(d->elem, fld_key(d)) != d)
				bad_elem++;
		} else if (d->elem) {
			/* An element: identifying exactly when its id says so. */
			if (!!(d->elem & REC_IDENTIFYING) != (d->ident != FI_NO)) {
				bad_elem++;
				diag("%s: identifying class and element id disagree", d->name);
			}
			if (fld_elem_by_key(d->name) != d) bad_lookup++;
		}
		if (d->tag && fld_meta(d->elem, d->tag) != d) bad_meta++;
		if (d->tag && d->type > FT_ADDR) bad_meta++; /* a wire type */
	}
	is(bad_id, 0, "every entry sits at its id");
	is(bad_name, 0, "every entry has a plain name, a meaning, a type and an ident");
	is(dup, 0, "names are unique");
	is(bad_lookup, 0, "fld_by_name and fld_elem_by_key find every entry");
	is(bad_elem, 0, "dotted names belong to their element; elements' ident matches their id");
	is(bad_meta, 0, "metadata tags follow their element from 1, with wire types");
	{
		static const uint16_t meta[] = { RE_TLS, RE_HTTP, RE_DNS, RE_QUIC, RE_SSH, RE_APP };
		static const unsigned nmeta[] = { 25, 10, 8, 5, 6, 3 };

		for (i = 0; i < 6; i++) {
			ok(fld_meta(meta[i], (uint8_t)nmeta[i]) && !fld_meta(meta[i], (uint8_t)(nmeta[i] + 1)) &&
			    !fld_meta(meta[i], 0), "%s: tags 1..%u", fld_elem(meta[i])->name, nmeta[i]);
		}
	}
	j = 0;
	for (i = 0; i < FLD_N; i++)
		if (fld_table[i].elem == RE_PACKETS && fld_table[i].width) {
			const struct fld *d = &fld_table[i];

			if (d->off + d->width > REC_PKT_ENTRY || (d->off % d->width) != 0) j++;
		}
	is(j, 0, "PACKETS columns fit the 32-byte entry");
}

static void t_lookups(void)
{
	const struct fld *d;
	uint64_t v = 0;
	/* the names: TLS 3, 9, 10, 75; HTTP 4; DNS 2, 6, 8; QUIC 2. */
	static const struct { uint16_t elem; uint8_t tag; } names[] = {
		{ RE_TLS, 3 }, { RE_TLS, 9 }, { RE_TLS, 10 }, { RE_HTTP, 4 }, { RE_DNS, 2 },
		{ RE_DNS, 6 }, { RE_QUIC, 2 }, { RE_DNS, 8 }, { RE_TLS, 75 },
	};
	size_t i, n = 0;

	ok((d = fld_by_name("tls.sni")) && d->id == FLD_TLS_SNI && strcmp(fld_key(d), "sni") == 0,
	    "tls.sni by name, key sni");
	ok(fld_by_name("sni") == NULL && fld_by_name("") == NULL && fld_by_name("tls.") == NULL,
	    "no field for sni, '' or tls.");
	ok(fld_elem(RE_PKTBYTES) && strcmp(fld_elem(RE_PKTBYTES)->name, "pkt_bytes") == 0,
	    "element 0x4002 is pkt_bytes");
	ok(fld_elem(0x0123) == NULL && fld_elem(0) == NULL, "no field for unknown elements");
	ok(fld_child(RE_SOURCE, "first_pkt") == fld_def(FLD_SOURCE_FIRST_PKT) &&
	    fld_child(RE_SOURCE, "hex") == NULL, "children of source");
	ok(fld_meta(RE_DNS, 5) == fld_def(FLD_DNS_ANSWER_ADDR) && fld_meta(RE_LABEL, 1) == NULL &&
	    fld_meta(RE_SOURCE, 1) == NULL, "fld_meta only for metadata tags");
	for (i = 0; i < FLD_N; i++)
		if (fld_is_name(&fld_table[i])) n++;
	is(n, 8 + 1 + 4, "eight name fields, the SAN DNS names and the four elements that hold them");
	for (i = 0; i < sizeof names / sizeof names[0]; i++)
		ok(fld_is_name(fld_meta(names[i].elem, names[i].tag)), "%s is a name",
		    fld_meta(names[i].elem, names[i].tag)->name);
	ok(!fld_is_name(fld_def(FLD_HTTP_URI)) && !fld_is_name(fld_def(FLD_DNS_ANSWER_ADDR)) &&
	    !fld_is_name(NULL), "uri, answer_addr and NULL are not names");
	{
		/* what flow-anon --names covers besides names */
		static const enum fld_id under[] = { FLD_HTTP_URI, FLD_HTTP_USER_AGENT, FLD_HTTP_SERVER,
			FLD_TLS_CERT_SERIAL, FLD_TLS_CERT_SHA256, FLD_QUIC_DCID, FLD_QUIC_SCID,
			FLD_SSH_CLIENT_BANNER, FLD_SSH_SERVER_BANNER, FLD_TLS_CERT_SAN_DNS };
		static const enum fld_id not_under[] = { FLD_TLS_JA3, FLD_TLS_ALPN, FLD_SSH_HASSH,
			FLD_SSH_HASSH_ALGS, FLD_HTTP_CONTENT_TYPE, FLD_DNS_ANSWER_ADDR, FLD_APP_PROTO,
			FLD_TLS_CERT_NOT_AFTER };
		size_t bad = 0, k;

		for (k = 0; k < sizeof under / sizeof under[0]; k++)
			if (!fld_under_names(fld_def(under[k]))) bad++;
		for (k = 0; k < sizeof not_under / sizeof not_under[0]; k++)
			if (fld_under_names(fld_def(not_under[k]))) bad++;
		is(bad, 0, "--names covers URIs, agents, banners, serials, fingerprints, connection ids");
		for (bad = 0, k = 0; k < FLD_N; k++)
			if (fld_table[k].tag && fld_table[k].ident != FI_NO &&
			    !fld_under_names(&fld_table[k]) && fld_table[k].type != FT_ADDR)
				bad++;
		is(bad, 0, "every identifying metadata field is an address or under --names");
	}
	ok(fld_def(FLD_SRC)->ident == FI_ADDR && fld_def(FLD_DNS_ANSWER_ADDR)->ident == FI_ADDR &&
	    fld_def(FLD_MAC_SRC)->ident == FI_MAC && fld_def(FLD_SPORT)->ident == FI_NO,
	    "addresses and MACs are identifying, ports are not");

	is(fld_variant(FLD_PKTS, FD_DST), FLD_DST_PKTS, "pkts, dst -> dst_pkts");
	is(fld_variant(FLD_TCP_FLAGS, FD_SRC), FLD_SRC_TCP_FLAGS, "tcp_flags, src -> src_tcp_flags");
	is(fld_variant(FLD_PROTO, FD_SRC), -1, "proto has no variants");
	is(fld_twin(FLD_SPORT), FLD_DPORT, "sport's twin is dport");
	is(fld_twin(FLD_MAC_DST), FLD_MAC_SRC, "mac.dst's twin is mac.src");
	is(fld_twin(FLD_PROTO), -1, "proto has no twin");
	{
		size_t k, bad = 0;

		for (k = 0; k < FLD_N; k++) {
			const struct fld *e = &fld_table[k];
			const struct fld *t = e->dir ? fld_def(e->twin) : NULL;

			if (e->dir && (t->twin != e->id || t->dir == e->dir || t->total != e->total ||
			    t->type != e->type || t->elem != e->elem))
				bad++;
			if (e->total && (e->dir == FD_NONE || fld_variant(e->total, e->dir) != (int)k ||
			    fld_def(e->total)->type != e->type))
				bad++;
		}
		is(bad, 0, "twins pair src and dst of one type; totals have both variants");
	}
	is(fld_variant(FLD_PKTS, FD_NONE), -1, "no variant without a direction");

	ok(fld_sym_value(fld_def(FLD_PROTO), "tcp", &v) == 0 && v == 6, "proto tcp = 6");
	ok(strcmp(fld_sym_name(fld_def(FLD_PROTO), 58), "icmpv6") == 0, "proto 58 = icmpv6");
	ok(fld_sym_name(fld_def(FLD_PROTO), 253) == NULL, "proto 253 has no name");
	ok(fld_sym_value(fld_def(FLD_END), "rst", &v) == 0 && v == END_RST, "end rst");
	ok(fld_sym_value(fld_def(FLD_END), "nonesuch", &v) < 0, "unknown end reason");
	ok(fld_sym_value(fld_def(FLD_SRC_TCP_FLAGS), "S", &v) == 0 && v == 0x02, "TCP flag letter S");
	ok(fld_sym_value(fld_def(FLD_P_TCP_FLAGS), "ae", &v) == 0 && v == 0x100, "TCP flag ae");
	ok(fld_sym_value(fld_def(FLD_P_TCP_FLAGS), "SA", &v) < 0, "SA is not one flag");
	ok(strcmp(fld_sym_name(fld_def(FLD_FLAGS), RF_TS_BACKWARDS), "ts_backwards") == 0,
	    "flow flag 0x80");
	ok(strcmp(fld_sym_name(fld_def(FLD_FLAGS), RF_PAYLOAD_TRUNCATED), "payload_truncated") == 0,
	    "flow flag 0x100");
	ok(fld_sym_name(fld_def(FLD_FLAGS), 0x200) == NULL, "flow flag 0x200 has no name");
	ok(strcmp(fld_type_name(FT_U16LIST), "u16list") == 0 && fld_type_name(FT_NTYPES) == NULL &&
	    strcmp(fld_ident_name(FI_NAME), "name") == 0 && strcmp(fld_ident_name(FI_ID), "id") == 0 &&
	    strcmp(fld_ident_name(FI_SOFTWARE), "software") == 0 && fld_ident_name(FI_NIDENT) == NULL,
	    "type and ident names");
	/* the codec's own name functions ask the registry */
	ok(rec_encap_by_name("mpls") == ENCAP_MPLS && rec_encap_name(9) == NULL &&
	    rec_elem_by_name("quic") == RE_QUIC && strcmp(rec_flag_name(5), "fragments") == 0,
	    "rec_*_name agree");
}

static const char line[] =
    "{\"ipv\":4,\"proto\":6,\"src\":\"10.0.0.1\",\"sport\":40000,\"dst\":\"10.0.0.2\","
    "\"dport\":443,\"first_ns\":1000,\"last_ns\":5000,\"src_pkts\":2,\"dst_pkts\":1,"
    "\"src_bytes\":150,\"dst_bytes\":60,\"src_l3_bytes\":122,\"dst_l3_bytes\":46,"
    "\"src_tcp_flags\":26,\"dst_tcp_flags\":18,\"end\":\"rst\",\"flags\":[\"pkts_truncated\",\"bit9\"],"
    "\"label\":\"web\",\"source\":{\"file\":\"a.pcap\",\"first_pkt\":7},"
    "\"packets\":{\"t_ns\":[0,100,4000],\"wire_len\":[60,60,90],\"ip_len\":[46,46,76],"
    "\"l4_len\":[26,26,56],\"payload_len\":[0,0,30],\"dir\":[0,1,0],\"pflags\":[0,0,1],"
    "\"ttl\":[64,128,64],\"tos\":[0,0,4],\"tcp_flags\":[2,18,24],\"window\":[1000,2000,3000]},"
    "\"pkt_bytes\":{\"layer\":\"network\",\"packets\":["
    "{\"index\":0,\"ts_ns\":1000,\"orig_len\":60,\"incl_len\":60,\"linktype\":101,\"link_len\":0,"
    "\"hex\":\"4500\"},"
    "{\"index\":2,\"ts_ns\":5000,\"orig_len\":90,\"incl_len\":80,\"linktype\":101,\"link_len\":0,"
    "\"hex\":\"45000001\"}]},"
    "\"payload\":\"aabb\",\"mac\":{\"src\":\"00:11:22:33:44:55\",\"dst\":\"66:77:88:99:aa:bb\"},"
    "\"encap\":[{\"kind\":\"vlan\",\"value\":100},{\"kind\":9,\"value\":7}],"
    "\"features\":{\"x\":1.5,\"y\":-2.0},"
    "\"tls\":{\"sni\":\"example.com\",\"alpn\":[\"h2\",\"http/1.1\"],\"ciphers\":[4865,4866]},"
    "\"dns\":{\"qname\":\"a.example\",\"answer_addr\":[\"1.2.3.4\",\"::1\"]}}";

/* Value i of field id, which must be an integer. */
static long long u_at(const struct rec_flow *f, enum fld_id id, uint32_t i)
{
	struct fv v;

	if (fv_get(f, id, i, &v) != 1 || v.vt != FV_UINT) return -1;
	return (long long)v.u;
}

/* Value i of field id as form vt with these bytes? */
static bool bytes_at(const struct rec_flow *f, enum fld_id id, uint32_t i, int vt, const char *p,
    uint32_t n)
{
	struct fv v;

	return fv_get(f, id, i, &v) == 1 && v.vt == vt && v.n == n && memcmp(v.p, p, n) == 0;
}

static void t_get(void)
{
	struct rj_dec *d = rj_dec_new();
	const struct rec_flow *f;
	struct buf out = { 0 };
	struct fv v;
	double x = 0;
	size_t i, missing = 0;

	if (rj_decode_line(d, line, strlen(line)) != RJ_FLOW) {
		ok(0, "the test line decodes: %s", d->err);
		rj_dec_free(d);
		return;
	}
	f = &d->flow;
	is(u_at(f, FLD_IPV, 0), 4, "ipv");
	is(u_at(f, FLD_PROTO, 0), 6, "proto");
	ok(bytes_at(f, FLD_SRC, 0, FV_ADDR, "\x0a\0\0\x01", 4), "src is 4 bytes 10.0.0.1");
	is(u_at(f, FLD_SPORT, 0), 40000, "sport");
	is(u_at(f, FLD_DPORT, 0), 443, "dport");
	is(u_at(f, FLD_SPORT, 1), -1, "a core field has only value 0");
	is(u_at(f, FLD_FIRST_NS, 0), 1000, "first_ns");
	is(u_at(f, FLD_DURATION, 0), 4000, "duration");
	is(u_at(f, FLD_PKTS, 0), 3, "pkts = src_pkts + dst_pkts");
	is(u_at(f, FLD_BYTES, 0), 210, "bytes");
	is(u_at(f, FLD_L3_BYTES, 0), 168, "l3_bytes");
	is(u_at(f, FLD_DST_L3_BYTES, 0), 46, "dst_l3_bytes");
	is(u_at(f, FLD_TCP_FLAGS, 0), 26, "tcp_flags = OR of both");
	is(u_at(f, FLD_END, 0), END_RST, "end");
	is(u_at(f, FLD_FLAGS, 0), 0x202, "flags, named and unnamed bits");
	is(fv_count(f, FLD_SRC), 1, "one src");

	is(fv_count(f, FLD_P_TTL), 3, "three packets");
	is(u_at(f, FLD_P_TTL, 1), 128, "packets.ttl[1]");
	is(u_at(f, FLD_P_T_NS, 2), 4000, "packets.t_ns[2]");
	is(u_at(f, FLD_P_WINDOW, 2), 3000, "packets.window[2]");
	is(u_at(f, FLD_P_TCP_FLAGS, 1), 18, "packets.tcp_flags[1]");
	is(u_at(f, FLD_P_DIR, 1), 1, "packets.dir[1]");
	is(u_at(f, FLD_P_TOS, 2), 4, "packets.tos[2]");
	is(u_at(f, FLD_P_PAYLOAD_LEN, 2), 30, "packets.payload_len[2]");
	is(u_at(f, FLD_P_TTL, 3), -1, "no packet 3");

	is(fv_count(f, FLD_PB_HEX), 2, "two stored packets");
	is(u_at(f, FLD_PB_LAYER, 0), 0, "pkt_bytes.layer");
	is(u_at(f, FLD_PB_INDEX, 1), 2, "pkt_bytes.index[1]");
	is(u_at(f, FLD_PB_INCL_LEN, 1), 80, "pkt_bytes.incl_len[1]");
	is(u_at(f, FLD_PB_LINKTYPE, 0), 101, "pkt_bytes.linktype[0]");
	ok(bytes_at(f, FLD_PB_HEX, 1, FV_BYTES, "\x45\0\0\x01", 4), "pkt_bytes.hex[1]");
	is(u_at(f, FLD_PB_TS_NS, 2), -1, "no stored packet 2");

	ok(bytes_at(f, FLD_PAYLOAD, 0, FV_BYTES, "\xaa\xbb", 2), "payload");
	ok(bytes_at(f, FLD_LABEL, 0, FV_TEXT, "web", 3), "label");
	ok(bytes_at(f, FLD_SOURCE_FILE, 0, FV_TEXT, "a.pcap", 6), "source.file");
	is(u_at(f, FLD_SOURCE_FIRST_PKT, 0), 7, "source.first_pkt");
	ok(bytes_at(f, FLD_MAC_DST, 0, FV_MAC, "\x66\x77\x88\x99\xaa\xbb", 6), "mac.dst");
	is(fv_count(f, FLD_ENCAP_KIND), 2, "two encap entries");
	is(u_at(f, FLD_ENCAP_KIND, 0), ENCAP_VLAN, "encap.kind[0]");
	is(u_at(f, FLD_ENCAP_KIND, 1), 9, "encap.kind[1], unnamed");
	is(u_at(f, FLD_ENCAP_VALUE, 0), 100, "encap.value[0]");
	is(u_at(f, FLD_ENCAP_VALUE, 2), -1, "no encap entry 2");
	ok(fv_feature(f, "y", 1, &x) == 1 && x == -2.0, "features y");
	ok(fv_feature(f, "z", 1, &x) == 0, "no feature z");

	ok(bytes_at(f, FLD_TLS_SNI, 0, FV_TEXT, "example.com", 11), "tls.sni");
	is(fv_count(f, FLD_TLS_ALPN), 2, "two ALPN values");
	ok(bytes_at(f, FLD_TLS_ALPN, 1, FV_TEXT, "http/1.1", 8), "tls.alpn[1]");
	ok(bytes_at(f, FLD_TLS_CIPHERS, 0, FV_U16LIST, "\x13\x01\x13\x02", 4), "tls.ciphers");
	is(fv_count(f, FLD_TLS_JA3), 0, "no ja3");
	ok(fv_get(f, FLD_TLS_JA3, 0, &v) == 0 && v.vt == FV_NONE, "fv_get of an absent tag");
	ok(bytes_at(f, FLD_DNS_ANSWER_ADDR, 1, FV_ADDR,
	    "\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\x01", 16), "dns.answer_addr[1] is ::1");
	is(fv_count(f, FLD_HTTP), 0, "no http element");
	is(fv_count(f, FLD_HTTP_HOST), 0, "so no http.host");
	is(fv_count(f, FLD_TLS), 1, "a tls element");
	ok(fv_get(f, FLD_N, 0, &v) == 0 && fv_count(f, FLD_N) == 0, "no field past the registry");

	/* Every JSON key of the registry appears in flow-json's output of this line. */
	rj_put_flow(&out, f, RJ_PACKETS | RJ_BYTES);
	buf_put8(&out, 0);
	for (i = 0; i < FLD_N; i++) {
		const struct fld *fd = &fld_table[i];
		char k[64];

		if ((fd->flags & FF_DERIVED) || fd->elem == RE_HTTP || fd->elem == RE_QUIC ||
		    fd->elem == RE_SSH || fd->elem == RE_APP ||
		    (fd->tag && fv_count(f, (enum fld_id)i) == 0))
			continue;
		snprintf(k, sizeof k, "\"%s\":", fld_key(fd));
		if (strstr((const char *)out.p, k) == NULL) {
			missing++;
			diag("key %s not in the output", k);
		}
	}
	is(missing, 0, "every present field's key is in flow-json's line");
	ok(strcmp((const char *)out.p, line) == 0, "and the line prints back as it was");
	buf_free(&out);
	rj_dec_free(d);
}

int main(int argc, char **argv)
{
	if (argc == 2 && strcmp(argv[1], "-l") == 0) {
		list_fields();
		return 0;
	}
	if (argc == 2 && strcmp(argv[1], "-s") == 0) {
		list_syms();
		return 0;
	}
	t_invariants();
	t_lookups();
	t_get();
	printf("1..%u\n", ntest);
	return nfail != 0;
}
