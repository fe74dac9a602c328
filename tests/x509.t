#!/bin/sh
# x509.t - common/x509.c: its unit tests (tests/unit/t_x509.c: crafted
# certificates and hostile messages), then the certificates of the TLS 1.2
# test captures: tshark extracts each Certificate message's DERs, t_x509 -m
# reads the message rebuilt from them, and every field must equal what
# `openssl x509` says of the same DER (tests/x509_check.py).
. "${0%/*}/lib.sh"

x=$FK_BIN/unit/t_x509
[ -x "$x" ] || skip_all "$x is not built"

run "$x"
n=$(grep -c '^ok' "$T/out")
if [ "$status" -eq 0 ] && ! grep -q '^not ok' "$T/out"; then
	pass "t_x509: $n unit tests"
else
	fail "t_x509: unit tests (exit $status)"
	diag "$(grep -A2 '^not ok' "$T/out" | head -n 40)"
fi

command -v tshark >/dev/null 2>&1 || { skip 1 "no tshark"; done_testing; }
command -v openssl >/dev/null 2>&1 || { skip 1 "no openssl"; done_testing; }

# The captures with TLS <= 1.2 certificates: ours, and the shared ones when present.
SHARED=$FK_ROOT/../shared/pcaps
for f in "$FK_DATA/tls12_google_cert_repeat.pcap" "$FK_DATA/eth_qinq_pppoe_tls_retrans.pcap" \
    "$SHARED/tls12_ecdsa_cert.pcap" "$SHARED/null_loopback_pop3_starttls.pcap" \
    "$SHARED/tcp_rst_tls_ciphers_73conns.pcap" "$SHARED/mixed_webex.pcap" \
    "$SHARED/app_netflix.pcap"; do
	name=${f##*/}
	if [ ! -f "$f" ]; then
		skip 1 "$name: not here"
		continue
	fi
	tshark -r "$f" -Y 'tls.handshake.type == 11' -T fields -e tls.handshake.certificate 2>/dev/null |
	    grep . | sort -u >"$T/ders"
	msgs=$(wc -l <"$T/ders")
	if [ "$msgs" -eq 0 ]; then
		fail "$name: tshark finds no Certificate message"
		continue
	fi
	python3 "$FK_ROOT/tests/x509_check.py" -m <"$T/ders" >"$T/bodies"
	python3 "$FK_ROOT/tests/x509_check.py" <"$T/ders" >"$T/want" || { fail "$name: openssl"; continue; }
	"$x" -m <"$T/bodies" >"$T/got"
	certs=$(grep -c '^cert [0-9]* subject' "$T/want")
	is_file "$T/got" "$T/want" "$name: $msgs Certificate messages, $certs certificates: fields as openssl says"
done
done_testing
