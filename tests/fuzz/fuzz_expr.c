/*
 * fuzz_expr.c - libFuzzer harness for the expression language
 * (common/expr.c): the input is an expression.  A rejected one must come
 * with a message of the form "fuzz:LINE:COLUMN: ..."; an accepted one is
 * evaluated on a few records (core fields, packets, labels, metadata,
 * features, from tests/data/packets.jsonl and elements.jsonl) without
 * fault, and its negation must give the opposite answer on each.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "expr.h"
#include "rjson.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char *const records[] = {
	    "{\"ipv\":4,\"proto\":6,\"src\":\"10.1.1.1\",\"sport\":40000,\"dst\":\"93.184.216.34\",\"dp"
	    "ort\":80,\"first_ns\":1700000000000000000,\"last_ns\":1700000000042100000,\"src_pkts\":5,\""
	    "dst_pkts\":3,\"src_bytes\":307,\"dst_bytes\":200,\"src_l3_bytes\":237,\"dst_l3_bytes\":158"
	    ",\"src_tcp_flags\":27,\"dst_tcp_flags\":27,\"end\":\"fin\",\"flags\":[],\"source\":{\"file"
	    "\":\"http.pcap\",\"first_pkt\":1},\"packets\":{\"t_ns\":[0,20000000,20100000,20200000,4000"
	    "0000,41000000,42000000,42100000],\"wire_len\":[54,54,54,91,92,54,54,54],\"ip_len\":[40,40,"
	    "40,77,78,40,40,40],\"l4_len\":[20,20,20,57,58,20,20,20],\"payload_len\":[0,0,0,37,38,0,0,0"
	    "],\"dir\":[0,1,0,0,1,0,1,0],\"pflags\":[0,0,0,0,0,0,0,0],\"ttl\":[64,56,64,64,56,64,56,64]"
	    ",\"tos\":[0,0,0,0,0,0,0,0],\"tcp_flags\":[2,18,16,24,24,17,17,16],\"window\":[64240,65535,"
	    "502,502,501,502,501,502]},\"pkt_bytes\":{\"layer\":\"network\",\"packets\":[{\"index\":0,\""
	    "ts_ns\":1700000000000000000,\"orig_len\":54,\"incl_len\":54,\"linktype\":1,\"link_len\":14"
	    ",\"hex\":\"45000028111140004006e8e20a0101015db8d8229c400050000003e8000000005002faf0d39c000"
	    "0\"},{\"index\":3,\"ts_ns\":1700000000020200000,\"orig_len\":91,\"incl_len\":91,\"linktype"
	    "\":1,\"link_len\":14,\"hex\":\"4500004d111340004006e8bb0a0101015db8d8229c400050000003e9000"
	    "01389501801f6702d0000474554202f20485454502f312e310d0a486f73743a206578616d706c652e636f6d0d0"
	    "a0d0a\"}]},\"payload\":\"474554202f20485454502f312e310d0a486f73743a206578616d706c652e636f6"
	    "d0d0a0d0a485454502f312e3120323030204f4b0d0a436f6e74656e742d4c656e6774683a20300d0a0d0a\",\""
	    "http\":{\"method\":\"GET\",\"uri\":\"/\",\"version\":\"HTTP/1.1\",\"host\":\"example.com\""
	    ",\"status\":200}}",
	    "{\"ipv\":6,\"proto\":17,\"src\":\"2001:db8::10\",\"sport\":53000,\"dst\":\"2001:db8::53\","
	    "\"dport\":53,\"first_ns\":1700000001000000000,\"last_ns\":1700000001012345678,\"src_pkts\""
	    ":1,\"dst_pkts\":1,\"src_bytes\":91,\"dst_bytes\":119,\"src_l3_bytes\":77,\"dst_l3_bytes\":"
	    "105,\"src_tcp_flags\":0,\"dst_tcp_flags\":0,\"end\":\"idle\",\"flags\":[\"bytes_truncated\""
	    "],\"mac\":{\"src\":\"02:00:00:00:00:10\",\"dst\":\"02:00:00:00:00:53\"},\"packets\":{\"t_n"
	    "s\":[0,12345678],\"wire_len\":[91,119],\"ip_len\":[77,105],\"l4_len\":[37,65],\"payload_le"
	    "n\":[29,57],\"dir\":[0,1],\"pflags\":[0,0],\"ttl\":[64,64],\"tos\":[0,0],\"tcp_flags\":[0,"
	    "0],\"window\":[0,0]},\"pkt_bytes\":{\"layer\":\"link\",\"packets\":[{\"index\":0,\"ts_ns\""
	    ":1700000001000000000,\"orig_len\":91,\"incl_len\":91,\"linktype\":1,\"link_len\":14,\"hex\""
	    ":\"02000000005302000000001086dd600000000025114020010db800000000000000000000001020010db8000"
	    "000000000000000000053cf0800350025d7ef123401000001000000000000076578616d706c6503636f6d00001"
	    "c0001\"},{\"index\":1,\"ts_ns\":1700000001012345678,\"orig_len\":119,\"incl_len\":119,\"li"
	    "nktype\":1,\"link_len\":14,\"hex\":\"02000000001002000000005386dd600000000041114020010db80"
	    "0000000000000000000005320010db80000000000000000000000100035cf080041533a1234\"}]},\"payload"
	    "\":\"123401000001000000000000076578616d706c6503636f6d00001c0001123481800001000100000000076"
	    "578616d706c6503636f6d00001c0001c00c001c000100000e10001020010db8000000000000000000000001\","
	    "\"dns\":{\"id\":4660,\"qname\":\"example.com\",\"qtype\":28,\"rcode\":0,\"answer_addr\":[\""
	    "2001:db8::1\"]}}",
	    "{\"ipv\":4,\"proto\":6,\"src\":\"10.8.0.2\",\"sport\":50443,\"dst\":\"198.51.100.80\",\"dp"
	    "ort\":443,\"first_ns\":1700000000000000000,\"last_ns\":1700000009000000000,\"src_pkts\":40"
	    ",\"dst_pkts\":60,\"src_bytes\":5200,\"dst_bytes\":80000,\"src_l3_bytes\":4640,\"dst_l3_byt"
	    "es\":79160,\"src_tcp_flags\":27,\"dst_tcp_flags\":27,\"end\":\"fin\",\"flags\":[],\"label\""
	    ":\"vpn_netflix\",\"source\":{\"file\":\"captures/d\\u00eda 1.pcap\",\"first_pkt\":42},\"ma"
	    "c\":{\"src\":\"00:1b:21:3a:4f:5e\",\"dst\":\"a4:5e:60:d1:02:ff\"},\"encap\":[{\"kind\":\"s"
	    "vlan\",\"value\":8292},{\"kind\":\"vlan\",\"value\":100}],\"tls\":{\"client_version\":771,"
	    "\"server_version\":771,\"sni\":\"www.example.com\",\"alpn\":[\"h2\",\"http/1.1\"],\"cipher"
	    "s\":[4865,4866,4867,49195,49199],\"cipher\":4865,\"extensions\":[0,23,65281,10,11,35,16,5,"
	    "13,18,51,45,43,27,17513,21],\"groups\":[29,23,24],\"cert_subject\":[\"CN=www.example.com\""
	    ",\"CN=Example Intermediate\"],\"cert_issuer\":[\"CN=Example Root CA\"],\"ja3\":\"771,4865-"
	    "4866-4867,0-23-65281,29-23-24,0\",\"ja4\":\"t13d1516h2_8daaf6152771_e5627efa2ab1\",\"unkno"
	    "wn\":[{\"tag\":213,\"hex\":\"0102\"},{\"tag\":213,\"hex\":\"\"},{\"tag\":200,\"hex\":\"ff\"}"
	    "]},\"features\":{\"duration\":9.0,\"mean_iat\":0.0421,\"third\":0.3333333333333333,\"zero\""
	    ":0.0,\"negzero\":-0.0,\"big\":1e+300,\"tiny\":5e-324,\"max\":1.7976931348623157e+308,\"neg"
	    "\":-12.5,\"nan\":\"nan\",\"negnan\":\"-nan\",\"inf\":\"inf\",\"ninf\":\"-inf\",\"signal\":"
	    "\"nan:0x7ff0000000000001\",\"x\\\"y\\\\z\":1.0}}",
	    "{\"ipv\":6,\"proto\":17,\"src\":\"2001:db8::20\",\"sport\":61000,\"dst\":\"2001:db8::443\""
	    ",\"dport\":443,\"first_ns\":1700000010000000000,\"last_ns\":1700000010500000000,\"src_pkts"
	    "\":10,\"dst_pkts\":12,\"src_bytes\":9000,\"dst_bytes\":14000,\"src_l3_bytes\":8860,\"dst_l"
	    "3_bytes\":13832,\"src_tcp_flags\":0,\"dst_tcp_flags\":0,\"end\":\"idle\",\"flags\":[],\"la"
	    "bel\":{\"hex\":\"6c6162656cff00\"},\"encap\":[{\"kind\":\"mpls\",\"value\":1049087},{\"kin"
	    "d\":\"pppoe\",\"value\":4660},{\"kind\":9,\"value\":7}],\"quic\":{\"version\":1,\"sni\":\""
	    "www.example.org\",\"alpn\":[\"h3\"],\"dcid\":\"8394c8f03e515708\",\"scid\":\"\",\"unknown\""
	    ":[{\"tag\":0,\"hex\":\"aa\"},{\"tag\":6,\"hex\":\"0001\"}]},\"elem_0x0123\":\"deadbeef\",\""
	    "elem_0x4abc\":\"\"}",
	    "{\"ipv\":4,\"proto\":6,\"src\":\"192.0.2.33\",\"sport\":51515,\"dst\":\"198.51.100.44\",\""
	    "dport\":8080,\"first_ns\":1700000020000000000,\"last_ns\":1700000020300000000,\"src_pkts\""
	    ":4,\"dst_pkts\":4,\"src_bytes\":600,\"dst_bytes\":1500,\"src_l3_bytes\":544,\"dst_l3_bytes"
	    "\":1444,\"src_tcp_flags\":27,\"dst_tcp_flags\":27,\"end\":\"fin\",\"flags\":[],\"label\":{"
	    "\"hex\":\"610062\"},\"http\":{\"method\":\"POST\",\"uri\":\"/a?b=\\\"c\\\"&d=\\\\e\\u0007\\"
	    "t\",\"version\":\"HTTP/1.0\",\"host\":\"api.example.net\",\"user_agent\":\"Mozilla/5.0 (X1"
	    "1; Linux x86_64) \\u2603 \\ud834\\udd1e\",\"status\":404,\"content_type\":\"text/html; cha"
	    "rset=utf-8\",\"server\":{\"hex\":\"c0af\"},\"unknown\":[{\"tag\":209,\"hex\":\"7a\"}]}}",
	    "{\"ipv\":4,\"proto\":17,\"src\":\"192.0.2.33\",\"sport\":40053,\"dst\":\"192.0.2.53\",\"dp"
	    "ort\":53,\"first_ns\":1700000030000000000,\"last_ns\":1700000030001000000,\"src_pkts\":1,\""
	    "dst_pkts\":1,\"src_bytes\":80,\"dst_bytes\":200,\"src_l3_bytes\":66,\"dst_l3_bytes\":186,\""
	    "src_tcp_flags\":0,\"dst_tcp_flags\":0,\"end\":\"idle\",\"flags\":[],\"dns\":{\"id\":65535,"
	    "\"qname\":\"www.example.com\",\"qtype\":1,\"rcode\":3,\"answer_addr\":[\"192.0.2.80\",\"20"
	    "01:db8::80\",\"::ffff:192.0.2.81\"],\"answer_name\":[\"cdn.example.com\",\"edge.example.co"
	    "m\"]}}",
};

#define NREC (sizeof records / sizeof records[0])

static struct rec_flow flows[NREC];
static uint8_t *bytes[NREC];

static void setup(void)
{
	struct rj_dec *d = rj_dec_new();
	char err[200];
	size_t i;

	for (i = 0; i < NREC; i++) {
		if (rj_decode_line(d, records[i], strlen(records[i])) != RJ_FLOW) {
			fprintf(stderr, "record %zu: %s\n", i, d->err);
			abort();
		}
		bytes[i] = malloc(d->rec.len);
		if (bytes[i] == NULL) abort();
		memcpy(bytes[i], d->rec.p, d->rec.len);
		if (rec_decode_flow(bytes[i], d->rec.len, &flows[i], err, sizeof err) < 0) abort();
	}
	rj_dec_free(d);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static int ready;
	char err[1024], *text, *neg;
	struct ex *e, *n;
	size_t i;

	if (!ready) {
		setup();
		ready = 1;
	}
	if (size > 4096) return 0;
	text = malloc(size + 1);
	neg = malloc(size + 8);
	if (text == NULL || neg == NULL) abort();
	memcpy(text, data, size);
	text[size] = 0;
	e = ex_compile(text, "fuzz", 1, err, sizeof err);
	if (e == NULL) {
		if (strncmp(err, "fuzz:", 5) != 0) abort();
	} else {
		/* not (E), on a line of its own so that a comment in E ends */
		snprintf(neg, size + 8, "not (%s\n)", text);
		n = strlen(text) == size ? ex_compile(neg, "fuzz", 1, err, sizeof err) : NULL;
		for (i = 0; i < NREC; i++) {
			bool m = ex_match(e, &flows[i]);

			if (n && ex_match(n, &flows[i]) == m) abort();
		}
		ex_free(n);
		ex_free(e);
	}
	free(text);
	free(neg);
	return 0;
}
