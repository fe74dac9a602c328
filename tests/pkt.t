#!/bin/sh
# pkt.t - packet decoding (common/pkt.c) and fragment reassembly
# (common/frag.c): the unit programs, then a cross-check of the decoder
# against tshark, packet by packet, on real captures.
#
# The cross-check compares, for every packet the decoder calls "ok": the
# IP version and length, and for TCP/UDP the ports and the payload length
# (tcp.len, udp.length - 8).  Captures with fragments, IP/UDP lengths
# past the frame, or ICMP errors (tshark reports the quoted ports) are
# left out: there the two differ on purpose (see pkt.h).
. "${0%/*}/lib.sh"

for u in t_pkt t_frag; do
	if [ ! -x "$FK_BIN/unit/$u" ]; then
		fail "$u: no $FK_BIN/unit/$u"
		continue
	fi
	run "$FK_BIN/unit/$u" "$FK_DATA"
	n=$(grep -c '^ok' "$T/out")
	if [ "$status" -eq 0 ] && ! grep -q '^not ok' "$T/out"; then
		pass "$u: $n unit tests"
	else
		fail "$u: unit tests (exit $status)"
		diag "$(grep -A1 '^not ok' "$T/out" | head -n 40)" "$(head -n 20 "$T/err")"
	fi
done

CAPS="eth_vlan_http.pcap eth_qinq_http.pcap eth_vlan_mpls_mixed.pcap eth_mpls_in_vlan.pcap
pcap_nsec_le_sll_tcp.pcap sll2_tls13_openjdk.pcap sll2_misc.pcap rawip101_tls_split_ch.pcap
rawip12_ipv6_http.pcap rawipv4_228_syslog.pcap rawipv6_229_mld.pcap null_loopback_quic.pcap
nflog_dns.pcap ipv6_all_ext_headers.pcap ipv6_exthdr_frag_http.pcap tcp_snaplen_truncated_hdr.pcap
icmpv6_ping.pcap dns_tcp.pcap"

POSCAPS="eth_vlan_http.pcap eth_qinq_http.pcap eth_vlan_mpls_qinq_tcp.pcap eth_qinq_pppoe_tls_retrans.pcap
sll2_misc.pcap pcap_nsec_le_sll_tcp.pcap ipv6_all_ext_headers.pcap ipv6_exthdr_frag_http.pcap
ipip_6in4.pcap gre_sample.pcap vxlan_http.pcap teredo.pcap geneve.pcap icmp_redirect_pcpp.pcap
icmp_gateway.pcap bad_icmp_hdr_trunc.pcap icmpv6_nd_options.pcap tcp_snaplen_truncated_hdr.pcap
bad_ip4_trunc.pcap bad_ip6_ext_trunc.pcap pcap_be_sctp.pcap dns_tcp.pcap"

# Under the sanitizers the decoder only has to survive every capture;
# tshark's answers do not change, so they are compared in the plain run.
if [ -n "${FK_SANITIZED:-}" ]; then
	bad=
	for c in $CAPS; do
		"$FK_BIN/unit/t_pkt" -d "$FK_DATA/$c" >/dev/null 2>"$T/err" || bad="$bad $c"
	done
	for c in $POSCAPS; do
		"$FK_BIN/unit/t_pkt" -p "$FK_DATA/$c" >/dev/null 2>"$T/err" || bad="$bad $c"
	done
	is "$bad" "" "every capture decodes under the sanitizers"
	done_testing
fi
if ! command -v tshark >/dev/null 2>&1; then
	skip 1 "tshark not installed"
	done_testing
fi

# ours: number, result, version, protocol, ip length, fragment, sport, dport, payload
norm_ours() {
	awk -F'\t' '{
		if ($2 != "ok" || $3 == "") { print $1, "-"; next }
		s = $1 " v" $3 " " $5
		if ($7 != "") s = s " " ($4 == 6 ? "tcp" : "udp") " " $7 " " $8 " " $9
		print s
	}'
}

# tshark, first occurrence of each field; lines for packets the decoder
# did not call "ok" are blanked to match.
norm_tshark() {
	tshark -n -r "$1" -T fields -E occurrence=f \
		-e frame.number -e ip.len -e ipv6.plen -e tcp.srcport -e tcp.dstport -e tcp.len \
		-e udp.srcport -e udp.dstport -e udp.length 2>/dev/null |
	awk -F'\t' '{
		if ($2 != "") s = $1 " v4 " $2
		else if ($3 != "") s = $1 " v6 " ($3 + 40)
		else s = $1 " none"
		if ($4 != "") s = s " tcp " $4 " " $5 " " $6
		else if ($7 != "") s = s " udp " $7 " " $8 " " ($9 - 8)
		print s
	}'
}

for c in $CAPS; do
	f=$FK_DATA/$c
	if [ ! -f "$f" ]; then
		fail "tshark cross-check $c: missing"
		continue
	fi
	"$FK_BIN/unit/t_pkt" -d "$f" | norm_ours >"$T/ours"
	norm_tshark "$f" >"$T/ts.raw"
	# Packets the decoder refused (ARP, truncated...) are not compared.
	awk 'NR == FNR { skip[$1] = ($2 == "-"); next } { print (skip[$1] ? $1 " -" : $0) }' \
		"$T/ours" "$T/ts.raw" >"$T/ts"
	n=$(wc -l <"$T/ours" | tr -d ' ')
	is "$(cat "$T/ours")" "$(cat "$T/ts")" "tshark cross-check $c ($n packets)"
done

# Field positions (pkt_locate, t_pkt -p) against tshark's PDML pos/size of
# the same fields: VLAN, QinQ, MPLS, cooked captures, IPv6 extension
# headers, the outer headers of tunnels, ICMP errors and their quotes,
# headers cut by the snapshot length.  Fragmented datagrams are left out
# (tshark shows the reassembled transport header), and so are multi-link
# pcapng files (t_pkt reads one link type).
for c in $POSCAPS; do
	f=$FK_DATA/$c
	"$FK_BIN/unit/t_pkt" -p "$f" >"$T/pos" 2>"$T/err"
	run python3 "$FK_ROOT/tests/pkt_pos_check.py" "$f" "$T/pos"
	like "$(cat "$T/out")" "ok *" "field positions agree with tshark on $c ($(cut -d' ' -f2 "$T/out") fields)"
done

# Reassembly: the frames that complete a datagram and the datagram's IP
# payload length.  (ipv4_frag_tcp.pcap is left out: its fragments
# conflict, which tshark resolves and frag.c refuses; see t_frag.)
for c in ipv4_frag_http_socks5.pcap ipv6_fragmented_dns.pcap ipv6_fragments_udp.pcap \
    dns_udp_tcp_ecs_frag.pcap ipv4_frag_garbage_9k.pcap; do
	f=$FK_DATA/$c
	"$FK_BIN/unit/t_frag" -d "$f" 2>/dev/null | awk -F'\t' '{ print $1, $4 }' >"$T/ours"
	tshark -n -r "$f" -Y 'ip.reassembled.length || ipv6.reassembled.length' -T fields \
		-e frame.number -e ip.reassembled.length -e ipv6.reassembled.length 2>/dev/null |
		awk '{ print $1, $2 }' >"$T/ts"
	n=$(wc -l <"$T/ours" | tr -d ' ')
	is "$(cat "$T/ours")" "$(cat "$T/ts")" "tshark reassembly cross-check $c ($n datagrams)"
done

done_testing
