#!/bin/sh
# tshark-conv.t - pcap-flows against tshark's conversation tables.
#
# On every capture in $FK_DATA, the TCP and UDP flows of pcap-flows, with
# --no-split and with the default splitting (its flows of one key added
# up), have the packets and bytes per direction of tshark's conversations
# (tshark -z conv,tcp -z conv,udp; bytes summed from frame.len, since the
# table rounds them).  tests/tshark_conv.py does the comparison and names
# each difference; the differences pcap-flows has by design are listed
# below with their reason (and in pcap-flows(1), COMPARED WITH TSHARK).
# A difference not listed fails, and so does a listed one that is gone.
# Run it on other captures with FK_DATA=/some/dir prove tests/tshark-conv.t.
. "${0%/*}/lib.sh"

PF=$FK_BIN/pcap-flows
FJ=$FK_BIN/flow-json
PY=/usr/bin/python3
CMP=$FK_ROOT/tests/tshark_conv.py
[ -x "$PF" ] && [ -x "$FJ" ] || skip_all "pcap-flows or flow-json not built"
command -v tshark >/dev/null 2>&1 || skip_all "tshark not installed"
[ -x "$PY" ] || skip_all "no $PY"

# The differences, one per line, tab-separated: file, class, protocol,
# the two endpoints as the comparator prints them, the reason.
# Classes (see tests/tshark_conv.py): inner = a conversation of a packet
# inside a tunnel (tshark dissects tunnels, pcap-flows keys every packet on
# its outer header, so the tunnel is one flow of its own protocol);
# packets, bytes = the counts differ.  Each "reassembled datagrams" line is
# checked exactly by tests/pcap-flows.t, against tshark's fragment lists.
cat >"$T/expect" <<'EOF'
gre_sample.pcap	inner	tcp	172.28.2.3:22	66.59.111.190:40264	inside GRE
gre_sample.pcap	inner	udp	129.170.17.4:123	66.59.111.190:123	inside GRE
gre_sample.pcap	inner	udp	172.28.2.3:53	66.59.111.190:37675	inside GRE
gre_sample.pcap	inner	udp	18.26.4.105:123	66.59.111.190:123	inside GRE
gre_sample.pcap	inner	udp	66.59.111.182:123	66.59.111.190:123	inside GRE
ipip_6in4.pcap	inner	tcp	[2001:470:1f17:13f:3e97:eff:fe73:4dec]:41538	[2604:a880:1:20::224:b001]:80	IPv6 in IPv4
ipip_6in4.pcap	inner	tcp	[2001:470:1f17:13f:3e97:eff:fe73:4dec]:53234	[2a03:2880:1010:6f03:face:b00c:0:2]:443	IPv6 in IPv4
ipip_6in4.pcap	inner	tcp	[2001:470:1f17:13f:3e97:eff:fe73:4dec]:60205	[2604:a880:1:20::224:b001]:443	IPv6 in IPv4
ipip_6in4.pcap	inner	tcp	[2001:470:1f17:13f:6d69:c72:7313:616f]:35610	[2604:a880:1:20::224:b001]:993	IPv6 in IPv4
ipip_6in4.pcap	inner	tcp	[2001:470:1f17:13f:6d69:c72:7313:616f]:56381	[2604:a880:1:20::224:b001]:993	IPv6 in IPv4
ipip_6in4.pcap	inner	udp	[2001:470:1f16:13f::2]:6404	[2a03:2880:fffe:b:face:b00c:0:99]:53	IPv6 in IPv4
ipip_6in4.pcap	inner	udp	[2001:470:1f16:13f::2]:53959	[2a03:2880:fffe:b:face:b00c:0:99]:53	IPv6 in IPv4
vxlan_http.pcap	inner	tcp	172.16.11.201:40354	54.86.237.188:80	inside VXLAN (the outer UDP flow agrees)
gtp_u_fragmented.pcap	inner	tcp	10.131.47.185:1923	79.101.110.141:80	inside GTP-U (keyed on the outer header)
gtp_u_fragmented.pcap	bytes	udp	239.114.155.111:2152	63.94.149.181:2152	reassembled datagrams: pcap-flows counts the frames of all their fragments, tshark the last one
ipv4_frag_tcp.pcap	packets	tcp	10.0.0.1:80	128.32.46.142:7790	fragments overlap with different bytes: tshark reassembles them, pcap-flows discards the datagram (RFC 5722)
tcp_snaplen_truncated_hdr.pcap	packets	tcp	128.3.26.249:25	201.186.157.67:60827	a SYN whose TCP options are cut by the snapshot length: tshark leaves it out of the conversation, pcap-flows counts it
dns_udp_tcp_ecs_frag.pcap	bytes	udp	172.217.40.76:56680	193.24.227.238:53	reassembled datagrams: pcap-flows counts the frames of all their fragments, tshark the last one
dns_udp_tcp_ecs_frag.pcap	bytes	udp	173.194.169.104:59464	193.24.227.238:53	reassembled datagrams: pcap-flows counts the frames of all their fragments, tshark the last one
dns_udp_tcp_ecs_frag.pcap	bytes	udp	193.24.227.238:53	194.247.5.6:51791	reassembled datagrams: pcap-flows counts the frames of all their fragments, tshark the last one
dns_udp_tcp_ecs_frag.pcap	bytes	udp	193.24.227.238:53	74.125.47.136:59330	reassembled datagrams: pcap-flows counts the frames of all their fragments, tshark the last one
ipv4_frag_garbage_9k.pcap	bytes	tcp	10.0.0.2:9253	10.128.0.2:24102	reassembled datagrams: pcap-flows counts the frames of all their fragments, tshark the last one
ipv4_frag_garbage_9k.pcap	bytes	tcp	10.0.0.2:18730	10.128.0.2:20304	reassembled datagrams: pcap-flows counts the frames of all their fragments, tshark the last one
ipv4_frag_http_socks5.pcap	bytes	tcp	10.0.0.1:1637	10.0.0.2:21477	reassembled datagrams: pcap-flows counts the frames of all their fragments, tshark the last one
ipv6_fragmented_dns.pcap	bytes	udp	[2001:470:1f11:81f:d138:5f55:6d4:1fe2]:51851	[2607:f740:b::f93]:53	reassembled datagrams: pcap-flows counts the frames of all their fragments, tshark the last one
ipv6_fragments_udp.pcap	bytes	udp	[fe80::21f:f3ff:fecd:f617]:5353	[ff02::fb]:5353	reassembled datagrams: pcap-flows counts the frames of all their fragments, tshark the last one
ipv6_fragments_udp.pcap	bytes	udp	[fe80::2c23:b96c:78d:e116]:60245	[ff02::c]:3702	reassembled datagrams: pcap-flows counts the frames of all their fragments, tshark the last one
rawip14_fuzz_malformed.pcap	bytes	tcp	250.255.255.0:80	93.49.246.255:65241	a damaged record says 3599899676 bytes on the wire: tshark shows 2147483647, pcap-flows takes 1048576 (1 MiB, its bound)
EOF

# Captures tshark cannot read at all: pcap-flows must refuse them too.
cat >"$T/unreadable" <<'EOF'
bad_pcap_reserved_linktype_bits.pcap
bad_pcap_version.pcap
bad_pcapng_version.pcapng
EOF

# Captures on which pcap-flows exits 1 (cut short, or damaged after some
# packets; tshark reads what it can of them too); all others exit 0.
cat >"$T/exit1" <<'EOF'
bad_pcapng_epb_unbounded.pcapng
bad_pcapng_shb_option_too_long.pcapng
rawip14_fuzz_malformed.pcap
trunc_file_cut_mid_packet.pcap
EOF

files=$(cd "$FK_DATA" && ls -- *.pcap *.pcapng 2>/dev/null)
[ -n "$files" ] || skip_all "no captures in $FK_DATA"

# One run for all captures, three at a time (tshark takes most of a
# second to start).
# $files is split into words on purpose (capture names have no spaces).
# shellcheck disable=SC2086
(cd "$FK_DATA" && "$PY" "$CMP" -j 3 "$PF" "$FJ" $files) >"$T/all" 2>"$T/all.err" ||
	{ echo "Bail out! tshark_conv.py failed: $(cat "$T/all.err")"; exit 1; }

for f in $files; do
	grep "^$f	" "$T/all" | cut -f2- >"$T/one"
	st=$(sed -n 's/^pcap-flows	\([0-9]*\)	.*/\1/p' "$T/one")
	nf=$(sed -n 's/^pcap-flows	[0-9]*	\([0-9]*\)/\1/p' "$T/one")
	if grep -qx "$f" "$T/unreadable"; then
		like "$(grep '^unreadable' "$T/one")" "unreadable*" "$f: tshark cannot read it"
		is "$st $nf" "1 0" "$f: pcap-flows exits 1 with no flow"
		continue
	fi
	if grep -qx "$f" "$T/exit1"; then
		is "$st" 1 "$f: pcap-flows exits 1 ($nf flows of the packets before the damage)"
	else
		is "$st" 0 "$f: pcap-flows exits 0"
	fi
	if grep -q '^unreadable' "$T/one"; then
		fail "$f: tshark cannot read it, and it is not listed as such"
		diag "$(grep '^unreadable' "$T/one")"
		continue
	fi
	grep "^$f	" "$T/expect" | cut -f2-5 | sort >"$T/want"
	for mode in nosplit default; do
		grep "^$mode	" "$T/one" | grep -v "^$mode	summary" | cut -f2-5 | sort >"$T/got"
		n=$(sed -n "s/^$mode	summary	//p" "$T/one")
		ne=$(wc -l <"$T/want" | tr -d ' ')
		if cmp -s "$T/got" "$T/want"; then
			pass "$f: $mode: $n conversations as tshark's ($ne listed differences)"
		else
			fail "$f: $mode: $n conversations as tshark's ($ne listed differences)"
			diag "differences not listed (+) or listed and gone (-):"
			diag "$(diff "$T/want" "$T/got" | sed -n 's/^> /+ /p; s/^< /- /p')"
			diag "$(grep "^$mode	" "$T/one")"
		fi
	done
done

# Every listed difference names a capture that is there.
cut -f1 "$T/expect" | sort -u >"$T/listed"
while read -r f; do
	[ -f "$FK_DATA/$f" ] || fail "exception list: $f is not in $FK_DATA"
done <"$T/listed"
done_testing
