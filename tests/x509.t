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

command -v openssl >/dev/null 2>&1 || { skip 1 "no openssl"; done_testing; }

# Certificates made by openssl req, one per message, for the key types the
# captures lack (and an RSA modulus whose top byte is not full: 1025 bits);
# a subject with an escaped comma and UTF-8; SANs.
: >"$T/ders"
for k in rsa:2048 rsa:1025 ec:P-256 ec:P-384 ec:P-521 ed25519 ed448 rsa-pss:1024; do
	case $k in
	rsa:*) opt="-newkey rsa:${k#*:}" ;;
	ec:*) opt="-newkey ec -pkeyopt ec_paramgen_curve:${k#*:}" ;;
	rsa-pss:*) opt="-newkey rsa-pss -pkeyopt rsa_keygen_bits:${k#*:}" ;;
	*) opt="-newkey $k" ;;
	esac
	# shellcheck disable=SC2086
	openssl req -x509 $opt -nodes -keyout "$T/key" -days 30 -utf8 \
	    -subj "$(printf '/C=FR/O=Caf\303\251, Ltd/CN=%s.example' "${k%%:*}")" \
	    -addext "subjectAltName=DNS:${k%%:*}.example,DNS:*.${k%%:*}.example,IP:192.0.2.1" \
	    -outform DER -out "$T/der" 2>"$T/err" || { diag "$(cat "$T/err")"; continue; }
	od -An -v -tx1 "$T/der" | tr -d ' \n' >>"$T/ders"
	echo >>"$T/ders"
done
python3 "$FK_ROOT/tests/x509_check.py" -m <"$T/ders" >"$T/bodies"
python3 "$FK_ROOT/tests/x509_check.py" <"$T/ders" >"$T/want"
"$x" -m <"$T/bodies" >"$T/got"
is_file "$T/got" "$T/want" "$(wc -l <"$T/ders") certificates made by openssl req: fields as openssl says"

command -v tshark >/dev/null 2>&1 || { skip 1 "no tshark"; done_testing; }

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
