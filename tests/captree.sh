# tests/captree.sh - the tree of captures that tests/dataset-mk.t and
# tests/slurm.t build data sets from; source it after lib.sh.
#
#   captree DIR   make DIR/{web,dns,tcp,quic}/ with CAPTREE_N captures of
#                 tests/data (one gzipped) and two files that are not
#                 captures by name, which pcap-flows skips in a directory

CAPTREE_N=10

captree() {
	mkdir -p "$1/web" "$1/dns" "$1/tcp" "$1/quic" &&
	cp "$FK_DATA/eth_vlan_http.pcap" "$FK_DATA/eth_qinq_http.pcap" \
		"$FK_DATA/eth_vlan_mpls_mixed.pcap" "$1/web/" &&
	cp "$FK_DATA/dns_tcp.pcap" "$FK_DATA/dns_udp_tcp_ecs_frag.pcap" "$1/dns/" &&
	gzip -c "$FK_DATA/nflog_dns.pcap" >"$1/dns/nflog_dns.pcap.gz" &&
	cp "$FK_DATA/tcp_ooo_retrans_heuristic.pcap" "$FK_DATA/sll_resp_15_tcp_streams.pcap" "$1/tcp/" &&
	cp "$FK_DATA/quic_chromium.pcap" "$FK_DATA/app_ssh.pcapng" "$1/quic/" &&
	echo notes >"$1/web/README" &&
	cp "$FK_DATA/dns_tcp.pcap" "$1/dns/dns_tcp.pcap.bak"
}
