#!/bin/sh
# pcap-flows.t - pcap-flows on real captures (and a few made by
# tests/mkpcap.py): the golden cases of tests/pcap-flows.cases, each
# checked once by hand against tshark's view of the packets; then the
# properties that are better said than shown: stdin equals the file,
# directories, determinism, atomic output, write errors, labels, the
# Ethernet trailer, the seed filters, BPF on every input, and that every
# capture of $FK_DATA is read without a crash.
# Regenerate one golden file for review: tests/pcap-flows-golden.sh NAME.
. "${0%/*}/lib.sh"

PF=$FK_BIN/pcap-flows
FJ=$FK_BIN/flow-json
PY=/usr/bin/python3
G=$FK_DATA/golden/pcap-flows
[ -x "$PF" ] && [ -x "$FJ" ] || skip_all "pcap-flows or flow-json not built"
[ -x "$PY" ] || skip_all "no $PY (the synthetic captures are made with it)"

PF_GOLDEN_LIB=1
. "$FK_ROOT/tests/pcap-flows-golden.sh"

# ---- golden cases
mkdir "$T/g"
grep -v '^#' "$FK_ROOT/tests/pcap-flows.cases" | grep . >"$T/cases"
while IFS='|' read -r name want opts inputs fjopts; do
	st=$(pf_case "$name" "$opts" "$inputs" "$fjopts" "$T/g")
	if [ "$st" = "$want" ] && cmp -s "$T/g/$name.jsonl" "$G/$name.jsonl" &&
		{ [ ! -f "$G/$name.err" ] && [ ! -f "$T/g/$name.err" ] ||
			cmp -s "$T/g/$name.err" "$G/$name.err"; }; then
		pass "$name: pcap-flows $opts $inputs"
	else
		fail "$name: pcap-flows $opts $inputs"
		[ "$st" = "$want" ] || diag "exit status $st, wanted $want"
		cmp -s "$T/g/$name.jsonl" "$G/$name.jsonl" ||
			diag "$(diff -u "$G/$name.jsonl" "$T/g/$name.jsonl" | cut -c1-300 | head -n 20)"
		if [ -f "$G/$name.err" ] || [ -f "$T/g/$name.err" ]; then
			touch "$T/g/$name.err.none"
			diag "$(diff -u "$G/$name.err" "$T/g/$name.err" 2>&1 | head -n 20)"
		fi
	fi
done <"$T/cases"
# Golden files with no case left.
for f in "$G"/*.jsonl; do
	n=${f##*/}
	n=${n%.jsonl}
	grep -q "^$n|" "$T/cases" || fail "golden file $n.jsonl has no case in tests/pcap-flows.cases"
done

# jq-free field extraction from flow-json lines: key=value per flow.
field() {
	"$PY" -c 'import json,sys
for l in sys.stdin:
    f = json.loads(l)
    print(" ".join(str(f.get(k)) for k in sys.argv[1:]))' "$@"
}

# ---- every capture: no crash, exit 0 or 1, the records valid
for f in $(cd "$FK_DATA" && ls -- *.pcap *.pcapng); do
	st=0
	"$PF" "$FK_DATA/$f" >"$T/all.flows" 2>"$T/all.err" || st=$?
	"$FJ" -a "$T/all.flows" >"$T/all.jsonl" 2>>"$T/all.err" || st=fj$?
	case $st in
	0 | 1) pass "$f: read (exit $st, $(grep -vc flowrec "$T/all.jsonl") flows)" ;;
	*) fail "$f: read (exit $st)"; diag "$(head -n 5 "$T/all.err")" ;;
	esac
done

# ---- stdin equals the file, but for the name of the source
cd "$FK_DATA" || exit 1
for f in pcapng_2if_snaplen_trunc.pcapng ipv4_frag_http_socks5.pcap; do
	"$PF" "$f" | "$FJ" -p -x >"$T/file.jsonl"
	# The pipe is the point: stdin is not a file.
	# shellcheck disable=SC2002
	cat "$f" | "$PF" | "$FJ" -p -x | sed "s/\"file\":\"-\"/\"file\":\"$f\"/" >"$T/stdin.jsonl"
	ok "$f: cat $f | pcap-flows = pcap-flows $f (source - for stdin)" cmp -s "$T/file.jsonl" "$T/stdin.jsonl"
	"$PF" - <"$f" | "$FJ" -p -x | sed "s/\"file\":\"-\"/\"file\":\"$f\"/" >"$T/stdin2.jsonl"
	ok "$f: pcap-flows - < $f, the same" cmp -s "$T/file.jsonl" "$T/stdin2.jsonl"
done
run "$PF" </dev/null
is "$status" 1 "empty stdin: exit 1 (not a capture)"
like "$err" "pcap-flows: stdin: *" "empty stdin: named"

# ---- directories: recursive, sorted, independent of creation order
mkdir -p "$T/d1/b/c" "$T/d1/a" "$T/d2/a" "$T/d2/b/c"
cp eth_vlan_http.pcap "$T/d1/b/c/x.pcap"
cp dns_tcp.pcap "$T/d1/b/y.PCAP"
cp nflog_dns.pcap "$T/d1/a/z.pcapng"
cp pcapng_2if_multi.pcapng "$T/d1/b/w.cap"
echo "not a capture" >"$T/d1/b/notes.txt"
# The same files created in the opposite order.
cp pcapng_2if_multi.pcapng "$T/d2/b/w.cap"
cp nflog_dns.pcap "$T/d2/a/z.pcapng"
cp dns_tcp.pcap "$T/d2/b/y.PCAP"
cp eth_vlan_http.pcap "$T/d2/b/c/x.pcap"
(cd "$T/d1" && "$PF" . >"$T/d1.flows")
st1=$?
(cd "$T/d2" && "$PF" . >"$T/d2.flows")
ok "directory: exit 0" [ "$st1" -eq 0 ]
ok "directory: the same bytes whatever the order of creation" cmp -s "$T/d1.flows" "$T/d2.flows"
is "$("$FJ" "$T/d1.flows" | field source | sed 's/.*.file.: .\([^,]*\).,.*/\1/' | uniq | tr '\n' ' ')" \
	"./a/z.pcapng ./b/c/x.pcap ./b/w.cap ./b/y.PCAP " "directory: depth first, names sorted, *.txt skipped"
(cd "$T/d1" && "$PF" . >"$T/d1b.flows")
ok "two runs: byte-identical" cmp -s "$T/d1.flows" "$T/d1b.flows"

# ---- -o: atomic, same bytes as stdout
echo old >"$T/out.flows"
"$PF" -o "$T/out.flows" dns_tcp.pcap
"$PF" dns_tcp.pcap >"$T/stdout.flows"
"$FJ" -a "$T/out.flows" | sed 1d >"$T/out.jsonl"
"$FJ" -a "$T/stdout.flows" | sed 1d >"$T/stdout.jsonl"
ok "-o: the same flows as on the standard output" cmp -s "$T/out.jsonl" "$T/stdout.jsonl"
like "$("$FJ" -H "$T/out.flows")" '*"provenance":\["pcap-flows -o *out.flows dns_tcp.pcap"\]*' "-o: the command line in the header"
left=$(find "$T" -maxdepth 1 -name 'out.flows.tmp*' | wc -l | tr -d ' ')
is "$left" 0 "-o: no temporary file left"
echo old >"$T/out2.flows"
run "$PF" -o "$T/out2.flows" --bytes nine dns_tcp.pcap
is "$status $(cat "$T/out2.flows")" "2 old" "-o: a usage error leaves the old file alone"

# ---- write errors, closed pipes
if [ -w /dev/full ]; then
	run sh -c "'$PF' dns_tcp.pcap >/dev/full"
	is "$status" 1 ">/dev/full: exit 1"
	like "$err" "pcap-flows: *" ">/dev/full: message"
else
	skip 2 "no /dev/full"
fi
# The output (4 MB) must exceed what the pipe holds (pcap-flows widens it
# to 1 MiB) plus its 256 KiB write block; else pcap-flows may finish
# before head exits, and the test would measure a race.
pipein=
for i in 1 2 3 4 5 6 7 8 9 10 11 12; do
	pipein="$pipein pcap_be_fuzz_mixed_malformed.pcap tls12_google_cert_repeat.pcap"
done
{
	st=0
	"$PF" --bytes 65536 --payload 65536 $pipein 2>"$T/pipe.err" || st=$?
	echo "$st" >"$T/pipe.st"
} | head -c 1 >/dev/null
is "$(cat "$T/pipe.st") $(cat "$T/pipe.err")" "141 " "| head -c1: killed by SIGPIPE, silently"

# ---- not a capture, missing file: named, the other files still read
printf 'hello\n' >"$T/hello.pcap"
run "$PF" "$T/hello.pcap" dns_tcp.pcap "$T/missing.pcap"
is "$status" 1 "not a capture, missing file: exit 1"
like "$err" "*pcap-flows: $T/hello.pcap: not a pcap or pcapng file*" "not a capture: named"
like "$err" "*pcap-flows: $T/missing.pcap: *" "missing file: named"
"$FJ" "$T/out" >"$T/o.jsonl"
is "$(wc -l <"$T/o.jsonl" | tr -d ' ')" 1 "not a capture: the other file's flow written"

# ---- truncated capture: the complete packets, a warning with file and offset
run "$PF" trunc_file_cut_mid_packet.pcap
is "$status" 1 "truncated capture: exit 1"
is "$err" "pcap-flows: trunc_file_cut_mid_packet.pcap: offset 240: file ends inside a record header (7 of 16 bytes)" \
	"truncated capture: file and offset"

# ---- the Ethernet trailer is never stored (dns_tcp.pcap has 4 padded frames)
"$PF" --bytes 100000 --payload 100000 dns_tcp.pcap | "$FJ" -p -x >"$T/tr.jsonl"
"$PF" --link --bytes 100000 dns_tcp.pcap | "$FJ" -p -x >"$T/trl.jsonl"
"$PF" --link --trailer --bytes 100000 dns_tcp.pcap | "$FJ" -p -x >"$T/trt.jsonl"
chk='import json,sys
f = json.loads(open(sys.argv[1]).readline())
P, B = f["packets"], f["pkt_bytes"]["packets"]
mode = sys.argv[2]
bad = 0
for b in B:
    i = b["index"]
    n = len(b["hex"]) // 2
    want = {"net": P["ip_len"][i], "link": b["link_len"] + P["ip_len"][i], "trailer": b["incl_len"]}[mode]
    bad += n != want
pad = sum(1 for i, w in enumerate(P["wire_len"]) if w - 14 > P["ip_len"][i])
pl = len(f["payload"]) // 2
print(bad, pad, pl == sum(P["payload_len"]))'
is "$("$PY" -c "$chk" "$T/tr.jsonl" net)" "0 4 True" "trailer: network bytes end with the IP datagram (4 padded frames); payload = sum of payload lengths"
is "$("$PY" -c "$chk" "$T/trl.jsonl" link)" "0 4 True" "trailer: --link bytes end with the IP datagram too"
is "$("$PY" -c "$chk" "$T/trt.jsonl" trailer)" "0 4 True" "trailer: --link --trailer keeps the whole frame"
run "$PF" --trailer dns_tcp.pcap
is "$status" 2 "--trailer without --link: usage error"

# ---- budgets and the record limit
run "$PF" --max-pkts 262144 --bytes 4194304 --payload 4194304 dns_tcp.pcap
is "$status" 2 "budgets beyond the record limit: usage error"
run "$PF" --max-pkts 262145 dns_tcp.pcap
is "$status" 2 "--max-pkts 262145: usage error"
# One flag per budget: bytes_truncated for --bytes, payload_truncated for
# --payload, each only when that budget cut something.
for b in "10 100000:bytes_truncated" "100000 10:payload_truncated" "10 10:bytes_truncated payload_truncated" \
	"100000 100000:"; do
	bb=${b%%:*}
	"$PF" --bytes "${bb% *}" --payload "${bb#* }" dns_tcp.pcap >"$T/bud.flows"
	is "$("$FJ" "$T/bud.flows" | "$PY" -c 'import json, sys
print(" ".join(n for n in json.loads(sys.stdin.readline())["flags"] if n.endswith("_truncated")))')" \
		"${b#*:}" "--bytes ${bb% *} --payload ${bb#* }: flags '${b#*:}'"
	# flow-idx counts a short store of payload images by the payload flag.
	want=0
	case $b in *payload_truncated*) want=1 ;; esac
	"$FK_BIN/flow-idx" -q --layer payload -o "$T/bud" --stats "$T/bud.stats" "$T/bud.flows"
	is "$(sed -n 's/^short store //p' "$T/bud.stats")" "$want" \
		"--bytes ${bb% *} --payload ${bb#* }: flow-idx --layer payload: short store $want"
done
"$PF" --max-pkts 100000 --bytes 4194304 --payload 4194304 tls12_google_cert_repeat.pcap >"$T/big.flows"
ok "large budgets: records valid" "$FJ" -a -o "$T/big.jsonl" "$T/big.flows"

# ---- labels
mkdir -p "$T/lab/VPN-Streaming" "$T/lab2"
cp dns_tcp.pcap "$T/lab/VPN-Streaming/vpn_netflix_A.pcap"
cp dns_tcp.pcap "$T/lab2/Netflix_B.pcap"
cp dns_tcp.pcap "$T/lab2/unknown.pcap"
MAP=$FK_ROOT/scripts/labels/iscx-vpn2016.map
run "$PF" -L "$MAP" "$T/lab/VPN-Streaming/vpn_netflix_A.pcap" "$T/lab2/Netflix_B.pcap" "$T/lab2/unknown.pcap"
"$FJ" "$T/out" | field label >"$T/labels"
is "$(tr '\n' ' ' <"$T/labels")" "VPN_Streaming Streaming None " "--label-map: longest keyword (vpn_netflix), lowercased name (Netflix), no match"
like "$err" "*unknown.pcap: no keyword of the label map matches*" "--label-map: a file without a label is reported"
is "$status" 0 "--label-map: exit 0"
(cd "$T/lab/VPN-Streaming" && "$PF" --label-dir vpn_netflix_A.pcap) | "$FJ" | field label >"$T/labels"
is "$(cat "$T/labels")" "VPN-Streaming" "--label-dir: the parent directory, also for a bare name"
"$PF" --label-dir "$T/lab" | "$FJ" | field label >"$T/labels"
is "$(cat "$T/labels")" "VPN-Streaming" "--label-dir: on a directory tree"
run "$PF" --label x --label-dir dns_tcp.pcap
is "$status" 2 "--label and --label-dir: usage error"
printf 'onlyone\n' >"$T/bad.map"
run "$PF" -L "$T/bad.map" dns_tcp.pcap
is "$status" 2 "a bad label map: usage error"
like "$err" "*bad.map: line 1:*" "a bad label map: file and line"
for m in iscx-vpn2016 ustc-tfc2016 quic-netflow; do
	run "$PF" -L "$FK_ROOT/scripts/labels/$m.map" dns_tcp.pcap
	ok "shipped map $m.map loads" [ "$status" -eq 0 ]
done

# ---- BPF: on a pcap, and on a pcapng with two link types
n=$("$PF" -f 'tcp' pcapng_2if_snaplen_trunc.pcapng | "$FJ" | wc -l)
m=$("$PF" pcapng_2if_snaplen_trunc.pcapng | "$FJ" | grep -c '"proto":6')
is "$n" "$m" "-f tcp on an Ethernet + SLL pcapng: the TCP flows, no other"
"$PF" -f 'tcp' pcapng_2if_snaplen_trunc.pcapng | "$FJ" -p >"$T/bpf1"
"$PF" pcapng_2if_snaplen_trunc.pcapng | "$FJ" -p | grep '"proto":6' >"$T/bpf2"
ok "-f tcp: the TCP flows are those of the unfiltered run" cmp -s "$T/bpf1" "$T/bpf2"
n=$("$PF" -f 'ip6' dns_udp_tcp_ecs_frag.pcap | "$FJ" | grep -c '"ipv":6')
m=$("$PF" -f 'ip6' dns_udp_tcp_ecs_frag.pcap | "$FJ" | wc -l)
ok "-f ip6 on a pcap: only IPv6 flows ($n)" [ "$n" -eq "$m" ] && [ "$n" -gt 0 ]

# ---- seed filters: counted with -v
run "$PF" -v --no-split --drop-control --drop-dns --drop-retrans eth_qinq_pppoe_tls_retrans.pcap dns_tcp.pcap
like "$err" "*dropped: TCP control (--drop-control): *" "-v: --drop-control counted"
ndns=$(printf '%s\n' "$err" | grep -c 'to port 53' || true)
is "$ndns" 0 "-v: --drop-dns drops none of dns_tcp.pcap's TCP DNS packets"
like "$err" "*dropped: TCP retransmissions (--drop-retrans): *" "-v: --drop-retrans counted"

# ---- -vv: the flow table's high-water mark of bytes held (issue 14).
# With --no-split every flow stays open to the end, so the mark is the
# sum over all flows, and dropping the payload store lowers it by exactly
# the PAYLOAD bytes the records carry.  held OPTS...: the -vv figure.
held() {
	"$PF" -vv --no-split "$@" pcapng_2if_snaplen_trunc.pcapng 2>&1 >/dev/null |
		sed -n 's/^pcap-flows: memory: flow state and stored data at most \([0-9]*\) bytes$/\1/p'
}
run "$PF" -v pcapng_2if_snaplen_trunc.pcapng
case $err in *memory:*) fail "-v: no memory line" ;; *) pass "-v: no memory line" ;; esac
h_all=$(held)
h_nopl=$(held --payload 0)
pl=$("$PF" --no-split pcapng_2if_snaplen_trunc.pcapng | "$FJ" -x |
	/usr/bin/python3 -c 'import json, sys; print(sum(len(json.loads(l).get("payload", "")) // 2 for l in sys.stdin))')
ok "-vv: memory line ($h_all bytes, payload $pl)" [ -n "$h_all" ] && [ "$pl" -gt 0 ]
is "$((h_all - h_nopl))" "$pl" "-vv: the mark falls by the stored payload bytes with --payload 0"

# ---- --drop-dns drops UDP to port 53 only, as both seeds (COMPAT.md):
# the count against tshark's, TCP DNS and answers kept, with or without
# --drop-dns-queries (the same option).  pkts_of FILTER: packets of the
# --no-split flows that FILTER (a python expression on f) keeps.
pkts_of() {
	"$PY" -c 'import json, sys
print(sum(f["src_pkts"] + f["dst_pkts"] for f in map(json.loads, sys.stdin) if '"$1"'))'
}
dns53='f["proto"] == 17 and 53 in (f["sport"], f["dport"])'
tcp53='f["proto"] == 6 and 53 in (f["sport"], f["dport"])'
if command -v tshark >/dev/null 2>&1; then
	for f in dns_tcp.pcap dns_udp_tcp_ecs_frag.pcap rawip101_tcp_dns.pcap; do
		want=$(tshark -n -r "$f" -Y 'udp.dstport == 53 && !icmp && !icmpv6' 2>/dev/null | wc -l)
		run "$PF" -v --no-split --drop-dns -o "$T/dd.flows" "$f"
		got=$(printf '%s\n' "$err" | sed -n 's/.*dropped: UDP to port 53 (--drop-dns): //p')
		is "${got:-0}" "$want" "$f: --drop-dns drops tshark's $want UDP datagrams to port 53"
		"$PF" --no-split --drop-dns-queries -o "$T/dq.flows" "$f"
		"$FJ" -p -x "$T/dd.flows" >"$T/dd.jsonl"
		"$FJ" -p -x "$T/dq.flows" >"$T/dq.jsonl"
		ok "$f: --drop-dns-queries is --drop-dns" cmp -s "$T/dd.jsonl" "$T/dq.jsonl"
		want=$(tshark -n -r "$f" -Y 'tcp.port == 53 && !icmp && !icmpv6' 2>/dev/null | wc -l)
		is "$("$FJ" "$T/dd.flows" | pkts_of "$tcp53")" "$want" "$f: --drop-dns keeps the $want TCP packets of port 53"
		want=$(tshark -n -r "$f" -Y 'udp.srcport == 53 && udp.dstport != 53 && !icmp && !icmpv6' \
			2>/dev/null | wc -l)
		is "$("$FJ" "$T/dd.flows" | pkts_of "$dns53")" "$want" "$f: --drop-dns keeps the $want answers"
	done
else
	skip 12 "tshark not installed"
fi

# ---- a reassembled datagram's wire length is the sum of its fragments'
# frame lengths, as tshark lists them (ip.fragment, ipv6.fragment).  The
# datagrams not in flows: ipv4_frag_garbage_9k's 2 with a bad TCP header,
# ipv4_frag_tcp's with overlapping fragments that differ (pcap-flows(1)).
fragchk='import json, subprocess, sys
cap, pf, fj = sys.argv[1:4]
out = subprocess.run(["tshark", "-n", "-r", cap, "-T", "fields", "-E", "occurrence=a",
                      "-E", "aggregator=,", "-e", "frame.number", "-e", "frame.len",
                      "-e", "ip.fragment", "-e", "ipv6.fragment"],
                     capture_output=True, text=True).stdout
flen, want = {}, []
for line in out.splitlines():
    c = line.split("\t")
    flen[int(c[0])] = int(c[1])
    for fr in c[2:4]:
        if fr:
            want.append([int(x) for x in fr.split(",")])
want = sorted(sum(flen[i] for i in fs) for fs in want)
p = subprocess.run([pf, "--no-split", cap], capture_output=True).stdout
js = subprocess.run([fj, "-p"], input=p, capture_output=True).stdout.decode()
got = []
for l in js.splitlines():
    P = json.loads(l).get("packets")
    if P:
        got += [w for w, fl in zip(P["wire_len"], P["pflags"]) if fl & 2]
# Every datagram in a flow has the length of one of those of tshark; print how
# many of those are not in a flow.
for w in got:
    if w not in want:
        print("pcap-flows has a datagram of %d bytes, tshark has %s" % (w, want))
        sys.exit()
    want.remove(w)
print("%d datagrams, %d not in flows" % (len(got), len(want)))
'
if command -v tshark >/dev/null 2>&1; then
	for c in "dns_udp_tcp_ecs_frag.pcap 4 0" "ipv6_fragments_udp.pcap 4 0" \
		"ipv6_fragmented_dns.pcap 1 0" "ipv4_frag_http_socks5.pcap 4 0" \
		"ipv4_frag_garbage_9k.pcap 2 2" "ipv4_frag_tcp.pcap 0 1"; do
		set -- $c
		is "$("$PY" -c "$fragchk" "$1" "$PF" "$FJ")" "$2 datagrams, $3 not in flows" \
			"$1: reassembled wire lengths are tshark's sums of fragment frames"
	done
else
	skip 6 "tshark not installed"
fi

# ---- recorded wire lengths over 1 MiB (and over the captured length) are
# taken as 1 MiB, with a message: UDP packets of 60 captured bytes
# recorded as 1048576, 1048577 and 4000000000 bytes on the wire.
"$PY" -c 'import struct, sys
ip = bytes.fromhex("4500001c000100004011" "0000" "0a000001" "0a000002") + bytes.fromhex("1f901f900008" "0000")
out = open(sys.argv[1], "wb")
out.write(struct.pack("<IHHiIII", 0xa1b2c3d4, 2, 4, 0, 0, 65535, 101))
for i, w in enumerate((1048576, 1048577, 4000000000)):
    out.write(struct.pack("<IIII", 1000 + i, 0, len(ip), w) + ip)' "$T/wire.pcap"
run "$PF" -v --no-split "$T/wire.pcap"
"$PF" --no-split "$T/wire.pcap" 2>/dev/null | "$FJ" -p >"$T/wire.jsonl"
is "$status" 0 "absurd wire lengths: exit 0"
is "$(field src_bytes <"$T/wire.jsonl")" 3145728 "absurd wire lengths: taken as 1048576 (3 x 1048576 bytes)"
is "$("$PY" -c 'import json, sys; print(json.loads(sys.stdin.readline())["packets"]["wire_len"])' <"$T/wire.jsonl")" \
	"[1048576, 1048576, 1048576]" "absurd wire lengths: per packet"
like "$err" "*wire.pcap: packet 2: recorded wire length 1048577 is not believable: taken as 1048576*" \
	"absurd wire lengths: the first one named"
like "$err" "*recorded wire lengths over 1048576 bytes, taken as 1048576 or the captured length: 2*" \
	"absurd wire lengths: -v counts them"
run "$PF" -o "$T/wire2.flows" "$T/wire.pcap" "$T/wire.pcap"
is "$(printf '%s\n' "$err" | grep -c 'not believable')" 2 "absurd wire lengths: reported once per input"

# ---- the EXAMPLES of pcap-flows(1) run (all but the live capture)
mkdir -p "$T/ex/captures/Chat" "$T/ex/captures/Streaming" "$T/ex/scripts"
cp dns_tcp.pcap "$T/ex/capture.pcap"
gzip -c tls12_google_cert_repeat.pcap >"$T/ex/capture.pcap.gz"
cp sll2_tls13_openjdk.pcap "$T/ex/captures/Chat/aim_chat_3a.pcap"
cp eth_vlan_http.pcap "$T/ex/captures/Streaming/vpn_netflix_A.pcap"
ln -s "$FK_ROOT/scripts/labels" "$T/ex/scripts/labels"
# The commands, with the output the page shows, are run by
# tests/man-examples.t; the setup lines above are no longer used (kept so
# that this change does not touch the lines edited next to them elsewhere).

# ---- live options need -i, and -i takes no files
run "$PF" -c 3 dns_tcp.pcap
is "$status" 2 "-c without -i: usage error"
run "$PF" -i lo dns_tcp.pcap
is "$status" 2 "-i with a file: usage error"
run "$PF" --udp-idle x dns_tcp.pcap
is "$status" 2 "--udp-idle x: usage error"
# ---- labels (wp-label): stdin has no file name; --label-dir as named
run "$PF" -L "$FK_ROOT/scripts/labels/iscx-vpn2016.map" <dns_tcp.pcap
like "$err" "*standard input: no file name to take a label from*" "-L on stdin: says stdin has no file name"
is "$status" 0 "-L on stdin: exit 0"
is "$("$FJ" "$T/out" | field label | sort -u)" "None" "-L on stdin: no label"
run "$PF" --label-dir - <dns_tcp.pcap
like "$err" "*standard input: no file name*" "--label-dir on stdin: says so too"
mkdir -p "$T/sl/store" "$T/sl/Chat" "$T/sl/real_dir_7f3a"
cp dns_tcp.pcap "$T/sl/store/blob.pcap"
ln -s ../store/blob.pcap "$T/sl/Chat/aim_chat_3a.pcap"
cp dns_tcp.pcap "$T/sl/real_dir_7f3a/x.pcap"
ln -s real_dir_7f3a "$T/sl/VPN-Chat"
"$PF" --label-dir "$T/sl/Chat/aim_chat_3a.pcap" "$T/sl/VPN-Chat/x.pcap" | "$FJ" | field label >"$T/labels"
is "$(tr '\n' ' ' <"$T/labels")" "Chat VPN-Chat " "--label-dir: a linked file and a linked directory keep the names given"
(cd "$T/sl/VPN-Chat" && "$PF" --label-dir x.pcap ../Chat/aim_chat_3a.pcap) | "$FJ" | field label >"$T/labels"
is "$(tr '\n' ' ' <"$T/labels")" "VPN-Chat Chat " "--label-dir: in a linked directory, bare and .. names go by \$PWD"
done_testing
