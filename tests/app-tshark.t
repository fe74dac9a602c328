#!/bin/sh
# app-tshark.t - pcap-flows' application metadata against tshark's.
#
# On every capture in $FK_DATA the TLS server names, ALPN protocols, HTTP
# hosts, DNS question names, JA3, JA3S, HASSH and HASSH-server of each
# TCP and UDP flow equal what tshark's dissectors report for the same
# flow (tests/app_tshark.py compares them).  The differences by design
# are listed below, each with its reason; a difference not listed fails,
# and so does a listed one that is gone.  A "*" in the endpoint columns
# excuses every difference of that field in that capture.
#
# Then the certificates of the TLS <= 1.2 captures against tshark's X.509
# dissector (tests/cert_tshark.py), the TLS 1.3 "not visible" mark, and
# the captures whose ClientHello is split: over two QUIC Initial packets,
# over TCP segments.  Then TLS after a clear-text upgrade (SMTP, IMAP,
# POP3, FTP) and HTTP over UDP (SSDP), against tshark's view of them.
. "${0%/*}/lib.sh"

PF=$FK_BIN/pcap-flows
FJ=$FK_BIN/flow-json
PY=/usr/bin/python3
CMP=$FK_ROOT/tests/app_tshark.py
[ -x "$PF" ] && [ -x "$FJ" ] || skip_all "pcap-flows or flow-json not built"
command -v tshark >/dev/null 2>&1 || skip_all "tshark not installed"
[ -x "$PY" ] || skip_all "no $PY"

# file, field, protocol, endpoint, endpoint, reason (tab-separated).
cat >"$T/expect" <<'EOF2'
gre_sample.pcap	hassh	tcp	172.27.1.66:40264	66.59.109.137:22	inside GRE: pcap-flows keys the packet on its outer header, its flow is GRE
gre_sample.pcap	hassh_server	tcp	172.27.1.66:40264	66.59.109.137:22	inside GRE
gre_sample.pcap	qname	udp	172.27.1.66:37675	66.59.109.137:53	inside GRE
gre_sample.pcap	qname	udp	172.27.1.66:53	66.59.109.137:37675	inside GRE
ipip_6in4.pcap	host	tcp	174.3.73.24:41538	184.105.255.26:80	IPv6 in IPv4: the flow is the outer one, protocol 41
ipip_6in4.pcap	sni	tcp	174.3.73.24:53234	184.105.255.26:443	IPv6 in IPv4
ipip_6in4.pcap	alpn	tcp	174.3.73.24:53234	184.105.255.26:443	IPv6 in IPv4
ipip_6in4.pcap	ja3	tcp	174.3.73.24:53234	184.105.255.26:443	IPv6 in IPv4
ipip_6in4.pcap	ja3s	tcp	174.3.73.24:53234	184.105.255.26:443	IPv6 in IPv4
ipip_6in4.pcap	sni	tcp	174.3.73.24:60205	184.105.255.26:443	IPv6 in IPv4
ipip_6in4.pcap	ja3	tcp	174.3.73.24:60205	184.105.255.26:443	IPv6 in IPv4
ipip_6in4.pcap	ja3s	tcp	174.3.73.24:60205	184.105.255.26:443	IPv6 in IPv4
ipip_6in4.pcap	qname	udp	174.3.73.24:53959	184.105.255.26:53	IPv6 in IPv4
ipip_6in4.pcap	qname	udp	174.3.73.24:6404	184.105.255.26:53	IPv6 in IPv4
vxlan_http.pcap	host	tcp	10.1.1.172:80	10.1.200.131:40354	inside VXLAN: the flow is the outer UDP one
ipv4_frag_http_socks5.pcap	host	tcp	10.0.0.1:1637	10.0.0.2:21477	HTTP after a SOCKS5 handshake: the stream starts with SOCKS, which is not recognised
ipv6_fragments_udp.pcap	qname	udp	fe80::21f:f3ff:fecd:f617:5353	ff02::fb:5353	mDNS messages of many questions: only the first question of each message is kept
pcap_nsec_le_http_rst.pcap	host	tcp	130.74.164.231:22	136.216.42.40:44338	HTTP sent to port 22: tshark dissects by port (SSH), pcap-flows by content
app_ssh.pcapng	hassh	tcp	127.0.0.1:58496	127.0.0.1:8000	SSH on port 8000: tshark dissects by port, pcap-flows by content
app_ssh.pcapng	hassh_server	tcp	127.0.0.1:58496	127.0.0.1:8000	SSH on port 8000
pcapng_2if_snaplen_trunc.pcapng	ja3	tcp	127.0.0.1:3306	127.0.0.1:40304	TLS inside MySQL after its greeting: the stream starts with MySQL, which is not recognised
pcapng_2if_snaplen_trunc.pcapng	ja3s	tcp	127.0.0.1:3306	127.0.0.1:40304	TLS inside MySQL
app_openvpn.pcapng	ja3	tcp	10.181.235.122:39772	10.251.71.30:1194	TLS inside the OpenVPN control channel: tshark dissects it by port 1194, pcap-flows sees OpenVPN framing first
app_openvpn.pcapng	ja3s	tcp	10.181.235.122:39772	10.251.71.30:1194	TLS inside OpenVPN
app_openvpn.pcapng	ja3	udp	3.111.166.78:51146	85.134.13.165:1194	TLS inside OpenVPN
app_openvpn.pcapng	ja3s	udp	3.111.166.78:51146	85.134.13.165:1194	TLS inside OpenVPN
gtp_u_fragmented.pcap	host	tcp	239.114.155.111:1923	63.94.149.181:80	inside GTP-U: the flow is the outer UDP one
pcap_be_fuzz_mixed_malformed.pcap	qname	*	*	*	a fuzzed capture: NetBIOS name service on port 137 has the DNS layout and parses as DNS (tshark dissects it by port as NBNS); damaged names are escaped (\xNN) where tshark prints the bytes or "<Unknown extended label>"; damaged first messages end the DNS parse
EOF2

files=$(cd "$FK_DATA" && ls -- *.pcap *.pcapng 2>/dev/null)
[ -n "$files" ] || skip_all "no captures in $FK_DATA"
# shellcheck disable=SC2086
(cd "$FK_DATA" && "$PY" "$CMP" "$PF" "$FJ" $files) >"$T/all" 2>"$T/all.err" ||
	{ echo "Bail out! app_tshark.py failed: $(cat "$T/all.err")"; exit 1; }

total=0
for f in $files; do
	grep "^$f	" "$T/all" | grep -v "^$f	summary" | cut -f2-5 | sort >"$T/got0"
	n=$(sed -n "s/^$f	summary	//p" "$T/all")
	total=$((total + ${n:-0}))
	# wildcard exceptions drop every difference of their field
	grep "^$f	[a-z0-9_]*	\*	" "$T/expect" | cut -f2 >"$T/wild"
	if [ -s "$T/wild" ]; then
		awk -F'\t' 'NR == FNR { w[$1] = 1; next } !($1 in w)' "$T/wild" "$T/got0" >"$T/got"
	else
		cp "$T/got0" "$T/got"
	fi
	grep "^$f	" "$T/expect" | grep -v "^$f	[a-z0-9_]*	\*	" | cut -f2-5 | sort >"$T/want"
	ne=$(wc -l <"$T/want" | tr -d ' ')
	if cmp -s "$T/got" "$T/want"; then
		pass "$f: $n values as tshark's ($ne listed differences)"
	else
		fail "$f: $n values as tshark's ($ne listed differences)"
		diag "differences not listed (+) or listed and gone (-):"
		diag "$(diff "$T/want" "$T/got" | sed -n 's/^> /+ /p; s/^< /- /p')"
		diag "$(grep "^$f	" "$T/all")"
	fi
done
ok "some values were compared ($total)" [ "$total" -gt 100 ]

cut -f1 "$T/expect" | sort -u >"$T/listed"
while read -r f; do
	[ -f "$FK_DATA/$f" ] || fail "exception list: $f is not in $FK_DATA"
done <"$T/listed"

# Certificates of TLS <= 1.2 (tests/cert_tshark.py): serial, subject,
# issuer and SAN DNS names of every certificate of each connection's first
# Certificate message, and their count, as tshark's X.509 dissector shows
# them; on our captures and the shared ones when present.
SHARED=$FK_ROOT/../shared/pcaps
ncert=0
for f in tls12_ecdsa_cert.pcap tls12_google_cert_repeat.pcap eth_qinq_pppoe_tls_retrans.pcap \
    lo_starttls.pcap null_loopback_pop3_starttls.pcap tcp_rst_tls_ciphers_73conns.pcap mixed_webex.pcap app_netflix.pcap mixed_alexa_app.pcapng; do
	p=$FK_DATA/$f
	[ -f "$p" ] || p=$SHARED/$f
	if [ ! -f "$p" ]; then
		skip 1 "$f: not here"
		continue
	fi
	"$PY" "$FK_ROOT/tests/cert_tshark.py" "$PF" "$FJ" "$p" >"$T/cert" 2>"$T/cert.err" ||
		{ fail "$f: cert_tshark.py failed: $(head -n 3 "$T/cert.err")"; continue; }
	# shellcheck disable=SC2046
	set -- $(sed -n "s/^$f	summary	//p" "$T/cert")
	ncert=$((ncert + ${1:-0}))
	if [ "$(grep -vc "	summary	" "$T/cert")" -eq 0 ] && [ "${1:-0}" -gt 0 ] && [ "${2:-1}" -eq 0 ]; then
		pass "$f: ${1} certificates: serial, subject, issuer, SAN as tshark's"
	else
		fail "$f: certificates as tshark's (${1:-0} compared, ${2:-?} skipped)"
		diag "$(head -n 20 "$T/cert")"
	fi
done
ok "certificates were compared ($ncert)" [ "$ncert" -ge 28 ]

# TLS 1.3 over TCP: the certificates are not visible, and the record says so.
"$PF" "$FK_DATA/sll2_tls13_openjdk.pcap" | "$FJ" >"$T/t13.jsonl"
is "$(jq -c 'select(.tls) | [.tls.server_version, .tls.cert_flags, .tls.cert_count]' "$T/t13.jsonl")" \
	"[772,16,null]" "TLS 1.3: cert_flags hidden (0x10), no certificate fields"

# QUIC: the ClientHello spread over two Initial packets yields its server
# name (tshark's), JA4 starts with q, the TLS element has no record version.
k=$FK_DATA/quic_pq_kyber_chrome.pcapng
want=$(tshark -n -r "$k" -Y 'tls.handshake.type == 1' -T fields -e tls.handshake.extensions_server_name 2>/dev/null)
"$PF" "$k" | "$FJ" >"$T/k.jsonl"
is "$(jq -r 'select(.quic) | .quic.sni' "$T/k.jsonl")" "$want" "two-Initial QUIC ClientHello: SNI as tshark's ($want)"
is "$(jq -r 'select(.quic) | [.tls.sni, (.tls.ja4 | .[0:4]), .tls.record_version, .tls.cert_flags, .app.status] | @json' "$T/k.jsonl")" \
	"[\"$want\",\"q13d\",null,16,null]" "two-Initial QUIC: TLS element with JA4 q13d, complete"
is "$(jq -r 'select(.quic) | .tls.pq_groups | length' "$T/k.jsonl")" 1 "two-Initial QUIC: the Kyber group offered"
# The same flow cut to its first datagram: no SNI, and the status says why.
n1=$(tshark -n -r "$k" -Y 'udp' -T fields -e frame.number 2>/dev/null | head -n 1)
tshark -r "$k" -Y "frame.number == $n1" -w "$T/k1.pcapng" 2>/dev/null
"$PF" "$T/k1.pcapng" | "$FJ" >"$T/k1.jsonl"
is "$(jq -c 'select(.quic) | [.quic.sni, .app.status]' "$T/k1.jsonl")" "[null,32]" \
	"QUIC, one Initial of two: no SNI, status incomplete"

# The split ClientHello (two TCP segments) yields its server name.
"$PF" "$FK_DATA/rawip101_tls_split_ch.pcap" | "$FJ" >"$T/split.jsonl"
is "$(jq -r 'select(.tls) | .tls.sni' "$T/split.jsonl")" "west-tdm.codmwest.com" \
	"split ClientHello: its SNI"
is "$("$PF" --no-meta "$FK_DATA/rawip101_tls_split_ch.pcap" | "$FJ" | jq -c 'select(.tls or .app)' | wc -l | tr -d ' ')" 0 \
	"--no-meta: no metadata elements"
# A window too small for the ClientHello: no SNI, and the status says why.
"$PF" --reasm-bytes 300 "$FK_DATA/rawip101_tls_split_ch.pcap" | "$FJ" >"$T/small.jsonl"
is "$(jq -r 'select(.app.proto == "tls") | "\(.tls.sni) \(.app.status)"' "$T/small.jsonl")" "null 2" \
	"--reasm-bytes 300: no SNI, status budget"
# The 1720-byte (post-quantum) ClientHello over several segments, when shared.
f=$SHARED/tls_split_clienthello_1720B.pcap
if [ -f "$f" ]; then
	want=$(tshark -n -r "$f" -Y 'tls.handshake.type == 1' -T fields -e tls.handshake.extensions_server_name 2>/dev/null)
	is "$("$PF" "$f" | "$FJ" | jq -r 'select(.tls) | .tls.sni')" "$want" "1720-byte split ClientHello: SNI as tshark's"
else
	skip 1 "tls_split_clienthello_1720B.pcap: not here"
fi

# TLS after STARTTLS (tests/mkcap_starttls.py recorded lo_starttls.pcap):
# each flow's server name is tshark's, by client port; the APP element
# names the upgrade; the refused one (127.0.0.2, 454) is SMTP with no TLS
# element although its client sent a ClientHello anyway.
st=$FK_DATA/lo_starttls.pcap
"$PF" "$st" | "$FJ" >"$T/st.jsonl"
tshark -n -r "$st" -Y tls.handshake.extensions_server_name -T fields -e tcp.srcport \
	-e tls.handshake.extensions_server_name 2>/dev/null | sort >"$T/st.want"
jq -r 'select(.tls.sni) | "\(.sport)\t\(.tls.sni)"' "$T/st.jsonl" | sort >"$T/st.got"
is "$(wc -l <"$T/st.want" | tr -d ' ')" 4 "STARTTLS: tshark sees 4 server names"
is "$(cat "$T/st.got")" "$(cat "$T/st.want")" "STARTTLS: the server names are tshark's, flow by flow"
is "$(jq -r '"\(.dst):\(.dport) \(.app.proto) \(.app.detect) \(.app.status) \(.tls.sni != null) \(.tls.server_version)"' "$T/st.jsonl" | sort)" \
"127.0.0.1:110 tls pop3-stls null true 772
127.0.0.1:143 tls imap-starttls null true 772
127.0.0.1:21 tls ftp-auth-tls null true 772
127.0.0.1:25 tls smtp-starttls null true 771
127.0.0.2:25 smtp smtp-starttls null false null" "STARTTLS: detection, complete parses; the refusal has no TLS element"
# the JA4 of openssl's ClientHello is the same through every upgrade
is "$(jq -r 'select(.app.detect != "smtp-starttls") | .tls.ja4 // empty' "$T/st.jsonl" | sort | uniq -c | awk '{print $1, substr($2, 1, 4)}')" \
	"3 t13d" "STARTTLS: one JA4 (t13d) for the three TLS 1.3 upgrades of one client"
# POP3 STLS of another implementation (Zeek's capture): JA3 and JA3S are
# compared with tshark's above, the certificate too; here the detection.
is "$("$PF" "$FK_DATA/null_loopback_pop3_starttls.pcap" | "$FJ" | jq -r '"\(.app.proto) \(.app.detect) \(.tls.cert_count)"')" \
	"tls pop3-stls 1" "POP3 STLS (Cyrus): TLS 1.2 and its certificate"
# The prelude must fit in the window: with 100 bytes, SMTP's EHLO reply
# does not, and the flow is not recognised (rather than wrongly).
is "$("$PF" --reasm-bytes 100 "$st" | "$FJ" | jq -r 'select(.dport == 25) | .app.proto' | sort | tr '\n' ' ')" \
	"null null " "--reasm-bytes 100: SMTP's prelude does not fit, the flows are not recognised"

# HTTP over UDP: SSDP's requests (M-SEARCH, NOTIFY) and the 200 answer,
# by content; the fields are tshark's (the hosts are compared above).
sd=$FK_DATA/lo_ssdp.pcap
want=$(tshark -n -r "$sd" -T fields -e http.request.method -e http.user_agent -e http.response.code \
	-e http.server 2>/dev/null | tr '\t' '\n' | grep . | tr '\n' '|')
got=$("$PF" "$sd" | "$FJ" | jq -r '.http | [.method, .user_agent, .status, .server] | map(tostring) | join("|")')
is "$got|" "$want" "SSDP: method, user agent, status, server as tshark's"
is "$("$PF" "$sd" | "$FJ" | jq -c '[.http.requests, .http.responses, .app.detect, .app.status]')" \
	'[1,1,"http-request-line",null]' "SSDP: one request, one response, detected by its request line"
is "$("$PF" "$FK_DATA/eth_ssdp_1kxun.pcap" | "$FJ" | jq -r '"\(.ipv) \(.http.method) \(.http.requests)"' | sort | tr '\n' ' ')" \
	"4 M-SEARCH 1 4 M-SEARCH 1 4 NOTIFY 1 6 NOTIFY 1 " "SSDP (a real capture): M-SEARCH and NOTIFY over IPv4 and IPv6"
done_testing
