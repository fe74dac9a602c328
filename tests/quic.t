#!/bin/sh
# quic.t - QUIC Initial decryption and CRYPTO reassembly (common/quic.c):
# the unit program (RFC 9001 and RFC 9369 Appendix A examples), then the
# real captures below against tshark.
#
# For each capture, t_quic -c feeds every UDP datagram of every flow to
# the module and prints each direction's contiguous CRYPTO bytes;
# quic_check.py reads the server name out of the ClientHello there (its
# own reading of RFC 8446 and RFC 6066) and checks that the server's bytes
# start with a whole ServerHello; both must equal what tshark's own QUIC
# decryption reports for the same client port.
. "${0%/*}/lib.sh"

TQ=$FK_BIN/unit/t_quic
[ -x "$TQ" ] || skip_all "$TQ not built"
PY=/usr/bin/python3
CHECK=$FK_ROOT/tests/quic_check.py

run "$TQ"
if [ "$status" -eq 0 ] && ! grep -q '^not ok' "$T/out"; then
	pass "t_quic: $(grep -c '^ok' "$T/out") unit tests"
else
	fail "t_quic: unit tests (exit $status)"
	diag "$(grep -A2 '^not ok' "$T/out" | head -n 40)" "$(head -n 20 "$T/err")"
fi

# capture|flows|what it shows
cat >"$T/caps" <<'EOF'
quic_pq_kyber_chrome.pcapng|1|a 1745-byte ClientHello (Kyber key share) over two Initial packets
quic_chromium.pcap|1|Chromium, QUIC v1
quic_v2_http3.pcap|1|QUIC version 2 (a ClientHello without server_name)
null_loopback_quic.pcap|1|BSD loopback
quic_xargs_illustrated.pcap|1|the Illustrated QUIC handshake
quic_ch_frags_out_of_order.pcapng|113|draft-29, CRYPTO frames out of order inside and across packets
EOF

have_ts=1
command -v tshark >/dev/null 2>&1 && [ -x "$PY" ] || have_ts=0
[ "$have_ts" -eq 1 ] || diag "no tshark or python3: the cross-checks are skipped"

while IFS='|' read -r f nflows what; do
	p=$FK_DATA/$f
	if [ ! -f "$p" ]; then
		fail "$f: missing"
		continue
	fi
	"$TQ" -c "$p" >"$T/q" 2>"$T/q.err"
	st=$?
	ok "$f: read (exit $st)" [ "$st" -eq 0 ] || diag "$(head -n 5 "$T/q.err")"
	# Under the sanitizers surviving is the point; tshark's answers do not change.
	[ -n "${FK_SANITIZED:-}" ] && continue
	if [ "$have_ts" -eq 0 ]; then
		skip 1 "$f: no tshark"
		continue
	fi
	tshark -r "$p" -Y 'tls.handshake.type == 1 || tls.handshake.type == 2' -T fields \
		-e udp.srcport -e udp.dstport -e tls.handshake.type \
		-e tls.handshake.extensions_server_name >"$T/ts" 2>/dev/null
	"$PY" "$CHECK" "$T/q" "$T/ts" >"$T/cmp"
	st=$?
	n=$(grep -c 'ServerHello tshark=' "$T/cmp")
	if [ "$st" -eq 0 ] && [ "$(wc -l <"$T/cmp")" -eq "$nflows" ]; then
		pass "$f: $what: SNI of $nflows flow(s) as tshark ($n with the ServerHello)"
	else
		fail "$f: $what: SNI as tshark"
		diag "$(grep -v 'ours=\(.*\) tshark=\1$' "$T/cmp" | head -n 20)"
	fi
done <"$T/caps"

# The split ClientHello: more than one client Initial, every byte of it.
if [ -f "$FK_DATA/quic_pq_kyber_chrome.pcapng" ]; then
	"$TQ" -c "$FK_DATA/quic_pq_kyber_chrome.pcapng" >"$T/k"
	# Split into the fields on purpose (hex and numbers, no spaces).
	# shellcheck disable=SC2046
	set -- $(cat "$T/k")
	is "$3 $4" "00000001 0003" "kyber: version 1, flags long header and decrypted, nothing else"
	ok "kyber: the ClientHello came in $5 client Initials (more than one)" [ "$5" -gt 1 ]
	like "$9" "010006d1*" "kyber: the CRYPTO bytes start with a ClientHello of 1745 (4 + 0x6d1) bytes"
	ok "kyber: all of it is there (${#9} hex digits)" [ "${#9}" -ge $((2 * 1745)) ]
fi
if [ -f "$FK_DATA/quic_v2_http3.pcap" ]; then
	# shellcheck disable=SC2046
	set -- $("$TQ" -c "$FK_DATA/quic_v2_http3.pcap")
	is "$3" "6b3343cf" "v2: the version is RFC 9369's"
fi

# Not QUIC: DNS flows of a capture are not decrypted and nothing is kept.
if [ -f "$FK_DATA/dns_udp_tcp_ecs_frag.pcap" ]; then
	"$TQ" -c "$FK_DATA/dns_udp_tcp_ecs_frag.pcap" >"$T/d"
	is "$(awk '$8 != "-" || $9 != "-" || $5 != 0' "$T/d")" "" "DNS flows: no Initial, no CRYPTO bytes"
fi

done_testing
