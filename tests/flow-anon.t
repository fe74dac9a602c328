#!/bin/sh
# flow-anon.t - flow-anon(1): the unit tests of common/anon.c (Crypto-PAn
# reference vectors, prefix preservation, injectivity, checksums), keys,
# provenance, the leak test over every capture in tests/data, consistency
# across files, checksums verified by tshark on captures rebuilt from the
# rewritten bytes, and the elements that must pass through untouched.
. "${0%/*}/lib.sh"

FA=$FK_BIN/flow-anon
FJ=$FK_BIN/flow-json
PF=$FK_BIN/pcap-flows
PY=/usr/bin/python3
CHECK=$FK_ROOT/tests/anon_check.py
[ -x "$FA" ] || skip_all "no $FA"
[ -x "$FJ" ] || skip_all "no $FJ"

# --- unit tests
run "$FK_BIN/unit/t_anon"
if [ "$status" -eq 0 ]; then
	pass "t_anon: $(grep -c '^ok' "$T/out") unit tests"
else
	fail "t_anon: unit tests (exit $status)"
	diag "$(grep -v '^ok' "$T/out" | head -n 20)"
fi

# --- keys
K=$T/k.key
run "$FA" --genkey "$K"
is "$status" 0 "--genkey: exit 0"
is "$(stat -c %a "$K")" 600 "--genkey: mode 0600"
ok "--genkey: 64 hex digits" grep -Eqx '[0-9a-f]{64}' "$K"
run "$FA" --genkey "$K"
is "$status" 1 "--genkey: an existing file is not overwritten"
like "$err" "flow-anon: *k.key*" "--genkey: existing file named"
run "$FA" </dev/null
is "$status" 2 "no -k: usage error"
like "$err" "*-k FILE*" "no -k: says how to give a key"
printf 'short' >"$T/bad.key"
run "$FA" -k "$T/bad.key" </dev/null
is "$status" 1 "bad key file: exit 1"
like "$err" "*not a key*" "bad key file: message"
run "$FA" -k "$K" --method nosuch </dev/null
is "$status" 2 "bad --method: exit 2"

# --- provenance: method and fingerprint, never the key
"$FJ" -r "$FK_DATA/elements.jsonl" >"$T/el.flows"
run "$FA" -k "$K" "$T/el.flows"
cp "$T/out" "$T/el.anon"
"$FJ" -H "$T/el.anon" | head -n 1 >"$T/hdr.json"
fp=$(xxd -r -p "$K" | sha256sum | cut -c1-8)
like "$(cat "$T/hdr.json")" "*\"anon=cryptopan key=fp:$fp\"*" "provenance: NOTE with method and key fingerprint"
like "$(cat "$T/hdr.json")" "*\"flow-anon -k $K $T/el.flows\"*" "provenance: own command line last"
hexkey=$(cat "$K")
rawhit=$($PY -c 'import sys; k=bytes.fromhex(open(sys.argv[1]).read().strip()); d=open(sys.argv[2],"rb").read(); print(int(k in d or k[:8] in d or k[16:24] in d))' "$K" "$T/el.anon")
is "$rawhit" 0 "the key's bytes are nowhere in the output"
"$FJ" -a "$T/el.anon" >"$T/el.json"
ok "the key's hex is nowhere in flow-json -a" sh -c "! grep -qi '${hexkey%????????????????????????????????????????????????}' '$T/el.json'"
like "$err" "*unknown identifying element 0x4abc*" "unknown identifying element: warned"
is "$(grep -c 'unknown identifying' "$T/err")" 1 "unknown identifying element: warned once"

# --- elements: what changes, what passes through
$PY - "$T/el.flows" "$T/el.anon" "$FJ" <<'PYEOF' >"$T/elements.out"
import json, subprocess, sys
def flows(p):
    out = subprocess.run([sys.argv[3], "-a", p], capture_output=True, text=True).stdout
    return [json.loads(l) for l in out.splitlines() if '"flowrec"' not in l]
a, b = flows(sys.argv[1]), flows(sys.argv[2])
bad = []
same = ("packets", "label", "encap", "features", "elem_0x0000", "elem_0x0123", "elem_0x3fff",
        "sport", "dport", "first_ns", "last_ns", "src_pkts", "dst_pkts", "src_bytes", "dst_bytes", "end")
for x, y in zip(a, b):
    for k in same:
        if x.get(k) != y.get(k):
            bad.append("%s changed" % k)
    if "elem_0x4abc" in y: bad.append("identifying 0x4abc kept")
    if "anonymized" not in y["flags"]: bad.append("not flagged")
    if "source" in x and (y["source"]["file"] != x["source"]["file"].rsplit("/", 1)[-1]
                          or y["source"]["first_pkt"] != x["source"]["first_pkt"]):
        bad.append("source not reduced to its base name")
    if x["src"] == y["src"] or x["dst"] == y["dst"]: bad.append("address kept")
    if "mac" in x and x["mac"]["src"] != "00:00:00:00:00:00" and x["mac"] == y["mac"]: bad.append("mac kept")
    for el, tag in (("tls", "sni"), ("http", "host"), ("dns", "qname"), ("quic", "sni")):
        if tag in x.get(el, {}) and x[el][tag] == y[el][tag]: bad.append(el + " name kept")
    if "dns" in x and x["dns"].get("answer_addr") and x["dns"]["answer_addr"] == y["dns"]["answer_addr"]:
        bad.append("dns answer kept")
print(len(a) == len(b) and len(a) > 0, " ".join(bad) or "none")
PYEOF
is "$(cat "$T/elements.out")" "True none" "elements: addresses, MACs, names, DNS answers changed, source paths reduced to the file name; the others untouched"
run "$FA" -k "$K" --keep-unknown --names keep "$T/el.flows"
"$FJ" "$T/out" >"$T/keep.json"
ok "--keep-unknown keeps the unknown identifying element" grep -q '"elem_0x4abc"' "$T/keep.json"
ok "--names keep keeps the SNI" grep -q '"sni":"www.example.com"' "$T/keep.json"
run "$FA" -k "$K" --names drop --mac remove --ports zero "$T/el.flows"
"$FJ" "$T/out" >"$T/drop.json"
ok "--names drop: no SNI" sh -c "! grep -q '\"sni\"' '$T/drop.json'"
ok "--mac remove: no MAC element" sh -c "! grep -q '\"mac\"' '$T/drop.json'"
ok "--ports zero: ports zero" sh -c "! grep -Eq '\"[sd]port\":[1-9]' '$T/drop.json'"
run "$FA" -k "$K" --method zero "$T/el.flows"
"$FJ" "$T/out" >"$T/zero.json"
$PY "$CHECK" map "$T/zero.json" | tr ' ' '\n' | sort -u >"$T/zero.addr"
is "$(tr '\n' ' ' <"$T/zero.addr")" "0.0.0.0 :: " "--method zero: every address zero"
run "$FA" -k "$K" --method sha-text "$T/el.flows"
like "$err" "*reversible*" "--method sha-text: warns that it is reversible"
"$FJ" "$T/out" >"$T/sha.json"
$PY "$CHECK" map "$T/sha.json" >"$T/sha.map"
head -n 1 "$T/sha.map" | cut -d' ' -f1 >"$T/sha.src"
want=$(printf 10.8.0.2 | sha256sum | cut -c1-8 | $PY -c 'import sys; h=sys.stdin.read().strip(); print(".".join(str(int(h[i:i+2],16)) for i in (0,2,4,6)))')
is "$(cat "$T/sha.src")" "$want" "--method sha-text: SHA-256 of the dotted quad, first 4 bytes"

# --- preserve lists and truncation
run "$FA" -k "$K" --preserve 10.0.0.0/8 "$T/el.flows"
"$FJ" "$T/out" >"$T/pre.json"
$PY "$CHECK" map "$T/pre.json" >"$T/pre.map"
is "$(head -n 1 "$T/pre.map" | cut -d' ' -f1 | cut -d. -f1)" 10 "--preserve 10.0.0.0/8: 10.8.0.2 stays in 10/8"
ok "--preserve: but is still mapped" sh -c "! grep -q '\"src\":\"10.8.0.2\"' '$T/pre.json'"
run "$FA" -k "$K" --truncate 24,48 "$T/el.flows"
"$FJ" "$T/out" >"$T/trunc.json"
$PY "$CHECK" map "$T/trunc.json" | tr ' ' '\n' | grep -v : | grep -vc '\.0$' >"$T/trunc.n" || :
is "$(cat "$T/trunc.n")" 0 "--truncate 24: every IPv4 address ends in .0"
run "$FA" -k "$K" --preserve 10.0.0.0/33 "$T/el.flows"
is "$status" 2 "--preserve with a bad prefix: usage error"

# --- the EXAMPLES of flow-anon(1)
if [ -x "$PF" ]; then
	(cd "$T" && "$FA" --genkey site.key && "$PF" "$FK_DATA/dns_tcp.pcap" | "$FA" -k site.key | "$FJ" -a) >"$T/ex1" 2>&1
	ok "EXAMPLES: --genkey, then pcap-flows | flow-anon | flow-json -a" grep -q '"anonymized"' "$T/ex1"
	"$PF" "$FK_DATA/dns_tcp.pcap" >"$T/in.flows"
	run "$FA" -k "$T/site.key" --preserve 10.0.0.0/8 --preserve 192.168.0.0/16 --method hmac --drop-payload "$T/in.flows"
	is "$status" 0 "EXAMPLES: preserve, hmac, --drop-payload"
	run "$FA" -k "$T/site.key" --method sha-text --mac zero "$T/in.flows"
	is "$status" 0 "EXAMPLES: sha-text, --mac zero"
fi

# --- the captures, with a fixed key so that results repeat (a different
# key may make an original's bytes turn up by chance in a checksum)
K=$FK_DATA/anon.key
[ -x "$PF" ] || { skip 1 "no $PF"; done_testing; }
command -v tshark >/dev/null 2>&1 || { skip 1 "no tshark"; done_testing; }
# Application data inside tunnels is not anonymized (flow-anon(1)); these
# addresses are such data: an NTP reference id in a GRE-tunnelled NTP
# packet, DNS AAAA answers in 6in4-tunnelled DNS responses.
known() {
	case $1 in
	gre_sample.pcap) echo "18.26.4.105" ;;
	ipip_6in4.pcap) echo "2a03:2880:fffe:b:face:b00c:0:99 2a03:2880:1010:6f03:face:b00c:0:2" ;;
	*) echo "" ;;
	esac
}
# Every capture pcap-flows makes flows from; one tshark run over all of
# them (mergecap keeps each file's link types).
n=0 list="" exempt=""
: >"$T/all.in"
for f in "$FK_DATA"/*.pcap "$FK_DATA"/*.pcapng; do
	b=${f##*/}
	"$PF" --link --bytes 4000000 --payload 4000000 "$f" >"$T/c.in" 2>/dev/null || continue
	"$FJ" "$T/c.in" | grep -q . || continue
	n=$((n + 1))
	cat "$T/c.in" >>"$T/all.in"
	list="$list $f"
	exempt="$exempt $(known "$b")"
done
ok "captures with flows: $n" test "$n" -gt 20
# shellcheck disable=SC2086
mergecap -a -F pcapng -w "$T/all.pcapng" $list 2>/dev/null
tshark -r "$T/all.pcapng" -T fields -e ip.src -e ip.dst -e ipv6.src -e ipv6.dst -e eth.src -e eth.dst \
	-E occurrence=a -E aggregator=, 2>/dev/null >"$T/all.fields"
ok "tshark: original addresses collected" test -s "$T/all.fields"
"$FJ" -x "$T/all.in" >"$T/all.injson"
"$FA" -k "$K" "$T/all.in" >"$T/leak.out" 2>"$T/leak.err"
"$FJ" -a "$T/leak.out" >"$T/leak.json"
run $PY "$CHECK" leak "$T/all.fields" "$T/leak.out" "$T/leak.json" "$T/all.injson" "$exempt"
is "$status" 0 "leak test: no original address or MAC in the output of $n captures (application payload excepted)"
[ "$status" -eq 0 ] || diag "$(grep leak: "$T/out" | head -n 10)"
diag "$(tail -n 1 "$T/out" | cut -c1-300)"
"$FA" -k "$K" --drop-payload "$T/all.in" >"$T/leak.out" 2>"$T/leak.err"
"$FJ" -a "$T/leak.out" >"$T/leak.json"
run $PY "$CHECK" leak "$T/all.fields" "$T/leak.out" "$T/leak.json"
is "$status" 0 "leak test with --drop-payload: no original address or MAC at all"
[ "$status" -eq 0 ] || diag "$(grep leak: "$T/out" | head -n 10)"
# What tshark decodes in the anonymized packets (every IP header it finds,
# ICMP quotes and tunnels included): no original address or MAC.
rm -f "$T"/rb-*.pcap
"$FJ" -x "$T/leak.out" >"$T/leak.xjson"
$PY "$CHECK" pcap "$T/leak.xjson" "$T/rb" all >"$T/rb.list"
# shellcheck disable=SC2046
mergecap -a -F pcapng -w "$T/anon.pcapng" $(cat "$T/rb.list") 2>/dev/null
"$FA" -k "$K" "$T/all.in" | "$FJ" -x >"$T/leak.xjson"
rm -f "$T"/rb-*.pcap
$PY "$CHECK" pcap "$T/leak.xjson" "$T/rb" all >"$T/rb.list"
# shellcheck disable=SC2046
mergecap -a -F pcapng -w "$T/anon2.pcapng" $(cat "$T/rb.list") 2>/dev/null
for a in anon anon2; do
	tshark -r "$T/$a.pcapng" -T fields -e ip.src -e ip.dst -e ipv6.src -e ipv6.dst -e eth.src -e eth.dst \
		-E occurrence=a -E aggregator=, 2>/dev/null
done >"$T/anon.fields"
run $PY "$CHECK" seen "$T/all.fields" "$T/anon.fields"
is "$status" 0 "leak test, tshark's view: no original address or MAC in any header of the rewritten packets"
[ "$status" -eq 0 ] || diag "$(head -n 10 "$T/out")"
ok "every flow flagged anonymized" sh -c "! '$FJ' '$T/leak.out' | grep -v '\"anonymized\"' | grep -q ."

# The leak test of every method: the stored packets rebuilt, and the
# per-packet slices of the PAYLOAD elements of UDP and SCTP flows rebuilt
# as packets (tunnels found by the original ports), dissected by tshark:
# no original address or MAC in any header or control field (link, IP,
# ICMP, transport, tunnel headers; anon_check.py HDR_PROTOS).
"$PY" "$CHECK" fields "$T/all.pcapng" >"$T/orig.hdr"
ok "tshark: original header and control addresses collected ($(wc -l <"$T/orig.hdr" | tr -d ' '))" \
	test -s "$T/orig.hdr"
"$FJ" -p -x "$T/all.in" >"$T/all.px"
for m in "hmac --mac remove --ports zero" cryptopan hmac zero remove sha-text; do
	# shellcheck disable=SC2086
	"$FA" -k "$K" -m $m "$T/all.in" 2>/dev/null | "$FJ" -p -x >"$T/m.px"
	rm -f "$T"/rb-*.pcap
	$PY "$CHECK" pcap "$T/m.px" "$T/rb" all >"$T/rb.list"
	$PY "$CHECK" paypcap "$T/m.px" "$T/all.px" "$T/rb" >>"$T/rb.list"
	# shellcheck disable=SC2046
	mergecap -a -F pcapng -w "$T/m.pcapng" $(cat "$T/rb.list") 2>/dev/null
	$PY "$CHECK" fields "$T/m.pcapng" >"$T/m.hdr"
	run $PY "$CHECK" cmp "$T/orig.hdr" "$T/m.hdr"
	is "$status" 0 "leak test, -m $m: no original address or MAC in a header or control field of the stored packets or the tunnel and SCTP payloads"
	[ "$status" -eq 0 ] && diag "$(tail -n 1 "$T/out")" || diag "$(head -n 10 "$T/out")"
done
run $PY "$CHECK" same "$T/all.px" "$T/m.px" # the last method: sha-text, link layer kept
is "$status" 0 "tunnel and SCTP payloads: each slice rewritten exactly as in its stored packet ($(tail -n 1 "$T/out"))"
# A capture cut by its snapshot length: the slices are not where the
# packet table says, so the tunnel's payload goes.
editcap -s 120 "$FK_DATA/vxlan_http.pcap" "$T/snap.pcap" 2>/dev/null
"$PF" --link "$T/snap.pcap" | "$FA" -k "$K" 2>"$T/snap.err" | "$FJ" -x >"$T/snap.json"
ok "VXLAN cut by the snapshot length: payload dropped" sh -c "! grep -q '\"payload\"' '$T/snap.json'"
like "$(cat "$T/snap.err")" "*dropping the payload of a UDP tunnel flow*" "... and said so"
grep -q '^icmp.redir_gw ' "$T/orig.hdr" && grep -q '^icmp.router_address ' "$T/orig.hdr" &&
	grep -q '^sctp.parameter_ipv4_address ' "$T/orig.hdr" && grep -q '^teredo.orig.addr ' "$T/orig.hdr"
is "$?" 0 "leak test: Redirect gateways, router advertisements, SCTP address parameters, Teredo origins among the fields checked"

# GRE payloads the captures lack: MPLS (rewritten) and an unknown type
# (zeroed: fail closed), crafted from gre_sample.pcap.
$PY "$CHECK" gre "$FK_DATA/gre_sample.pcap" "$T/gre-mpls.pcap" 8847
$PY "$CHECK" gre "$FK_DATA/gre_sample.pcap" "$T/gre-unk.pcap" 88b5
"$PF" --link --bytes 4000000 "$T/gre-mpls.pcap" >"$T/mpls.in"
$PY "$CHECK" fields "$T/gre-mpls.pcap" >"$T/mpls.hdr"
"$FA" -k "$K" "$T/mpls.in" | "$FJ" -x >"$T/mpls.json"
rm -f "$T"/rb-*.pcap
$PY "$CHECK" pcap "$T/mpls.json" "$T/rb" all >"$T/rb.list"
$PY "$CHECK" fields $(cat "$T/rb.list") >"$T/mpls.anon"
run $PY "$CHECK" cmp "$T/mpls.hdr" "$T/mpls.anon"
n=$(grep -c '^mpls.label ' "$T/mpls.hdr" 2>/dev/null; tshark -r "$(head -n 1 "$T/rb.list")" -Y 'mpls && ip.src' 2>/dev/null | wc -l)
ok "GRE with MPLS inside: inner headers rewritten, no original address ($(echo $n | cut -d' ' -f2) packets)" \
	test "$status" -eq 0 -a "$(echo $n | cut -d' ' -f2)" -gt 0
"$PF" --link --bytes 4000000 "$T/gre-unk.pcap" | "$FA" -k "$K" 2>"$T/unk.err" | "$FJ" -x >"$T/unk.json"
rm -f "$T"/rb-*.pcap
$PY "$CHECK" pcap "$T/unk.json" "$T/rb" all >"$T/rb.list"
z=$(tshark -r "$(head -n 1 "$T/rb.list")" -T fields -e data.data 2>/dev/null | grep -c '[1-9a-f]')
a=$(tshark -r "$(head -n 1 "$T/rb.list")" -Y gre 2>/dev/null | wc -l)
ok "GRE with an unknown payload: inner bytes zeroed ($a packets, $z not zero)" test "$z" -eq 0 -a "$a" -gt 0
is "$(grep -c 'cannot decode were zeroed' "$T/unk.err")" 1 "GRE with an unknown payload: warned once"

# --ports zero: no original port byte anywhere, also when the byte budget
# cuts a packet inside its transport header (36: 2 bytes of TCP after
# Ethernet and IPv4, 56: inside the options); all.in has the same flows
# stored whole.
cp "$T/all.injson" "$T/full.json"
for bud in 36 56; do
	: >"$T/cut.in"
	for f in $list; do "$PF" --link --bytes $bud "$f" >>"$T/cut.in" 2>/dev/null; done
	"$FA" -k "$K" --ports zero "$T/cut.in" 2>/dev/null | "$FJ" -x >"$T/cut.json"
	run $PY "$CHECK" ports "$T/full.json" "$T/cut.json"
	is "$status" 0 "--ports zero, --bytes $bud: no original port in a stored packet ($(tail -n 1 "$T/out"))"
	[ "$status" -eq 0 ] || diag "$(head -n 5 "$T/out")"
done

# --outer-only (the seed recipes): Teredo's inner IPv6 header keeps its
# addresses, the outer ones are mapped.
"$PF" --link --bytes 4000000 "$FK_DATA/teredo.pcap" >"$T/ter.in"
"$FA" -k "$K" --outer-only -m sha-text "$T/ter.in" 2>/dev/null | "$FJ" -x >"$T/ter.json"
rm -f "$T"/rb-*.pcap
$PY "$CHECK" pcap "$T/ter.json" "$T/rb" all >"$T/rb.list"
tshark -r "$(head -n 1 "$T/rb.list")" -T fields -e ipv6.src -e ipv6.dst 2>/dev/null | sort -u >"$T/ter.in6"
tshark -r "$FK_DATA/teredo.pcap" -T fields -e ipv6.src -e ipv6.dst 2>/dev/null | sort -u >"$T/ter.orig6"
is_file "$T/ter.in6" "$T/ter.orig6" "--outer-only: tunnelled IPv6 addresses untouched"
ok "--outer-only: outer addresses mapped" sh -c "! grep -q '\"src\":\"$(tshark -r "$FK_DATA/teredo.pcap" -T fields -e ip.src 2>/dev/null | head -n 1)\"' '$T/ter.json'"

# --- provenance and sources
A=$(tshark -n -r "$FK_DATA/dns_tcp.pcap" -T fields -e ip.src 2>/dev/null | head -n 1)
M=$(tshark -n -r "$FK_DATA/dns_tcp.pcap" -T fields -e eth.src 2>/dev/null | head -n 1)
"$PF" --link -f "host $A or net 10.1/16 or ether host $M or net 192.168.0.0/16" "$FK_DATA/dns_tcp.pcap" >"$T/prov.in"
"$FA" -k "$K" "$T/prov.in" >"$T/prov.out"
"$FJ" -H "$T/prov.out" | head -n 1 >"$T/prov.hdr"
"$FJ" "$T/prov.out" | head -n 1 >"$T/prov.flow"
MA=$($PY -c 'import json,sys; r=json.loads(open(sys.argv[1]).readline()); print(r["src"] if r["src"] != sys.argv[2] else "?")' "$T/prov.flow" "$A")
NA=$($PY -c 'import json,sys; r=json.loads(open(sys.argv[1]).readline()); print(r["mac"]["src"])' "$T/prov.flow")
ok "provenance: the filter's address is gone" sh -c "! grep -Fq '$A' '$T/prov.hdr'"
like "$(cat "$T/prov.hdr")" "*host $MA or *" "provenance: ... and replaced by its pseudonym in the flows ($MA)"
like "$(cat "$T/prov.hdr")" "*ether host $NA or*" "provenance: a MAC in the filter replaced by the MAC's pseudonym"
ok "provenance: networks rewritten (shortened and CIDR)" sh -c "! grep -Eq 'net 10\.1/16|192\.168\.0\.0/16' '$T/prov.hdr'"
like "$(cat "$T/prov.hdr")" "*net ${MA%.*.*}.0.0/16*" "provenance: 192.168.0.0/16 as the /16 of the pseudonym of $A: prefixes stay consistent"
"$FA" -k "$K" --provenance drop "$T/prov.in" | "$FJ" -H | head -n 1 >"$T/prov.hdr"
ok "--provenance drop: no upstream command line" sh -c "! grep -q 'pcap-flows' '$T/prov.hdr'"
like "$(cat "$T/prov.hdr")" "*anon.provenance=1 upstream command lines dropped*" "--provenance drop: a note says so"
"$FA" -k "$K" --provenance keep "$T/prov.in" | "$FJ" -H | head -n 1 >"$T/prov.hdr"
ok "--provenance keep: kept" grep -Fq "host $A or" "$T/prov.hdr"
"$FA" -k "$K" --source keep "$T/prov.in" | "$FJ" | head -n 1 >"$T/src.json"
like "$(cat "$T/src.json")" "*\"file\":\"$FK_DATA/dns_tcp.pcap\"*" "--source keep: the whole path"
"$FA" -k "$K" --source drop "$T/prov.in" | "$FJ" | head -n 1 >"$T/src.json"
ok "--source drop: no source" sh -c "! grep -q '\"source\"' '$T/src.json'"
"$FA" -k "$K" "$T/prov.in" | "$FJ" | head -n 1 >"$T/src.json"
like "$(cat "$T/src.json")" "*\"source\":{\"file\":\"dns_tcp.pcap\",*" "--source base (default): the file name only"

# --- a damaged input: no END record in the output, -o keeps the old file
"$PF" --link "$FK_DATA/dns_tcp.pcap" "$FK_DATA/geneve.pcap" >"$T/two.in"
head -c $(($(wc -c <"$T/two.in") - 40)) "$T/two.in" >"$T/trunc.in"
run "$FA" -k "$K" "$T/trunc.in"
is "$status" 1 "truncated input: exit 1"
cp "$T/out" "$T/trunc.out"
run "$FJ" "$T/trunc.out"
like "$status:$err" "1:*truncated*" "truncated input: the output is truncated too (no END record)"
echo previous >"$T/prev.out"
run "$FA" -k "$K" -o "$T/prev.out" "$T/trunc.in"
is "$status:$(cat "$T/prev.out")" "1:previous" "truncated input: -o keeps the previous file"
is "$(ls "$T" | grep -c 'prev.out.')" 0 "truncated input: no temporary file left"

# --- consistency: separately, together, concatenated
"$PF" --link "$FK_DATA/dns_tcp.pcap" >"$T/a.in"
"$PF" --link "$FK_DATA/pcapng_3if_dns_tcp.pcapng" >"$T/b.in"
"$FA" -k "$K" "$T/a.in" >"$T/a.out"
"$FA" -k "$K" "$T/b.in" >"$T/b.out"
"$FA" -k "$K" "$T/a.in" "$T/b.in" >"$T/ab.out"
cat "$T/a.in" "$T/b.in" | "$FA" -k "$K" >"$T/cat.out"
"$FJ" -a "$T/a.out" "$T/b.out" | grep -v '"flowrec"' >"$T/sep.json"
"$FJ" -a "$T/ab.out" | grep -v '"flowrec"' >"$T/tog.json"
"$FJ" -a "$T/cat.out" | grep -v '"flowrec"' >"$T/cat.json"
ok "consistency: some flows" test -s "$T/sep.json"
is_file "$T/tog.json" "$T/sep.json" "consistency: two files in one run = each file alone"
is_file "$T/cat.json" "$T/sep.json" "consistency: cat a b | flow-anon = each file alone"
cp "$K" "$T/k2.key"
"$FA" -k "$T/k2.key" "$T/a.in" "$T/b.in" | "$FJ" -a | grep -v '"flowrec"' >"$T/k2.json"
is_file "$T/k2.json" "$T/tog.json" "consistency: the same key from another file, the same mapping"
# Over all captures: one pseudonym per address, one address per pseudonym.
"$FA" -k "$K" "$T/all.in" >"$T/all.out"
"$FJ" "$T/all.in" >"$T/all.in.json"
"$FJ" "$T/all.out" >"$T/all.out.json"
$PY - "$T/all.in.json" "$T/all.out.json" <<'PYEOF' >"$T/map.out"
import json, sys
fw, bw = {}, {}
bad = 0
for x, y in zip(open(sys.argv[1]), open(sys.argv[2])):
    x, y = json.loads(x), json.loads(y)
    for k in ("src", "dst"):
        if fw.setdefault(x[k], y[k]) != y[k] or bw.setdefault(y[k], x[k]) != x[k]:
            bad += 1
print(len(fw), bad)
PYEOF
like "$(cat "$T/map.out")" "* 0" "consistency: a one-to-one mapping over all captures ($(cut -d' ' -f1 "$T/map.out") addresses)"
"$FA" -k "$K" --method hmac "$T/all.in" >"$T/allh.out"
"$FJ" "$T/allh.out" >"$T/all.out.json"
$PY - "$T/all.in.json" "$T/all.out.json" <<'PYEOF' >"$T/map.out"
import json, sys
fw, bw = {}, {}
bad = 0
for x, y in zip(open(sys.argv[1]), open(sys.argv[2])):
    x, y = json.loads(x), json.loads(y)
    for k in ("src", "dst"):
        if fw.setdefault(x[k], y[k]) != y[k] or bw.setdefault(y[k], x[k]) != x[k]:
            bad += 1
print(len(fw), bad)
PYEOF
like "$(cat "$T/map.out")" "* 0" "consistency: --method hmac is one-to-one too"

# --- checksums, verified by tshark on captures rebuilt from the rewritten bytes
TS_OPTS="-o ip.check_checksum:TRUE -o tcp.check_checksum:TRUE -o udp.check_checksum:TRUE"
BAD='ip.checksum.status == "Bad" || tcp.checksum.status == "Bad" || udp.checksum.status == "Bad" || icmp.checksum.status == "Bad" || icmpv6.checksum.status == "Bad"'
# The bad checksums of a capture rebuilt from the original stored bytes.
badset() {
	rm -f "$T"/rb-*.pcap
	$PY "$CHECK" pcap "$1" "$T/rb" >"$T/rb.list"
	for p in $(cat "$T/rb.list"); do
		# shellcheck disable=SC2086
		tshark -r "$p" $TS_OPTS -Y "$BAD" -T fields -e frame.time_epoch -e frame.len -e frame.cap_len 2>/dev/null
	done | sort
}
"$FJ" -x "$T/all.in" >"$T/cs.json"
badset "$T/cs.json" >"$T/orig.bad"
for mode in default ports-zero; do
	A=""
	[ "$mode" = ports-zero ] && A="--ports zero"
	# shellcheck disable=SC2086
	"$FA" -k "$K" $A "$T/all.in" | "$FJ" -x >"$T/cs.json"
	badset "$T/cs.json" >"$T/anon.bad"
	total=0
	for p in $(cat "$T/rb.list"); do total=$((total + $(tshark -r "$p" 2>/dev/null | wc -l))); done
	ok "checksums ($mode): packets stored whole rebuilt ($total)" test "$total" -gt 1000
	# Packets stored whole get every checksum recomputed; those whose lengths
	# were clamped (malformed, fuzzed) are only updated, so a checksum that
	# was bad stays bad: what is bad now must have been bad before.
	comm -13 "$T/orig.bad" "$T/anon.bad" >"$T/new.bad"
	is "$(wc -l <"$T/new.bad" | tr -d ' ')" 0 "checksums ($mode): tshark finds no bad checksum that was good ($(wc -l <"$T/anon.bad" | tr -d ' ') bad now, $(wc -l <"$T/orig.bad" | tr -d ' ') in the original)"
done
"$FA" -k "$K" --checksum zero "$T/all.in" | "$FJ" -x >"$T/cs.json"
rm -f "$T"/rb-*.pcap
$PY "$CHECK" pcap "$T/cs.json" "$T/rb" >"$T/rb.list"
for p in $(cat "$T/rb.list"); do
	tshark -r "$p" -T fields -e ip.checksum -e tcp.checksum -e udp.checksum -e icmp.checksum \
		-e icmpv6.checksum -E occurrence=a -E aggregator=, 2>/dev/null
done | tr '\t,' '\n\n' | grep . | sort -u >"$T/zero.cs"
is "$(tr '\n' ' ' <"$T/zero.cs")" "0x0000 " "--checksum zero: every checksum is zero"
# --udp-pad: UDP headers padded to 20 bytes, lengths and checksums fixed.
"$PF" --link "$FK_DATA/pcapng_3if_dns_tcp.pcapng" "$FK_DATA/dns_udp_tcp_ecs_frag.pcap" >"$T/u.in"
"$FA" -k "$K" --udp-pad "$T/u.in" | "$FJ" -x >"$T/u.json"
rm -f "$T"/rb-*.pcap
$PY "$CHECK" pcap "$T/u.json" "$T/rb" >"$T/rb.list"
p=$(head -n 1 "$T/rb.list")
# shellcheck disable=SC2086
b=$(tshark -r "$p" $TS_OPTS -Y "$BAD" 2>/dev/null | wc -l)
g=$(tshark -r "$p" -Y 'udp && (udp.length == ip.len - ip.hdr_len || udp.length == ipv6.plen) && udp.payload[0:12] == 00:00:00:00:00:00:00:00:00:00:00:00' 2>/dev/null | wc -l)
a=$(tshark -r "$p" -Y 'udp' 2>/dev/null | wc -l)
ok "--udp-pad: every UDP packet padded, lengths consistent ($g of $a)" test "$g" -eq "$a" -a "$a" -gt 0
is "$b" 0 "--udp-pad: checksums good"
# SCTP: the CRC-32C recomputed after the ports are zeroed.
"$PF" --link "$FK_DATA/pcap_be_sctp.pcap" | "$FA" -k "$K" --ports zero | "$FJ" -x >"$T/sctp.json"
rm -f "$T"/rb-*.pcap
$PY "$CHECK" pcap "$T/sctp.json" "$T/rb" >"$T/rb.list"
b=$(tshark -r "$(head -n 1 "$T/rb.list")" -o sctp.checksum:crc-32c -Y 'sctp.checksum.status == "Bad"' 2>/dev/null | wc -l)
g=$(tshark -r "$(head -n 1 "$T/rb.list")" -o sctp.checksum:crc-32c -Y 'sctp.checksum.status == "Good" && sctp.srcport == 0' 2>/dev/null | wc -l)
ok "SCTP: CRC-32C good after zeroing the ports ($g packets)" test "$b" -eq 0 -a "$g" -gt 0

# --- --names over application metadata: TLS with certificates, DNS, HTTP,
# QUIC, SSH (tests/anon_names.py: flow-json's view and tshark's).
NAMECAPS="tls12_google_cert_repeat.pcap tls12_ecdsa_cert.pcap rawip101_tls_split_ch.pcap
sll2_tls13_openjdk.pcap dns_udp_tcp_ecs_frag.pcap dns_tcp.pcap nflog_dns.pcap
ipv6_fragmented_dns.pcap pcapng_3if_dns_tcp.pcapng eth_vlan_http.pcap eth_qinq_http.pcap
quic_chromium.pcap quic_v2_http3.pcap quic_xargs_illustrated.pcap quic_pq_kyber_chrome.pcapng
quic_ch_frags_out_of_order.pcapng app_ssh.pcapng"
set --
for c in $NAMECAPS; do set -- "$@" "$FK_DATA/$c"; done
"$FA" --genkey "$T/k3.key"
mkdir -p "$T/names"
$PY "$FK_ROOT/tests/anon_names.py" "$FK_BIN" "$K" "$T/k3.key" "$T/names" "$@" >"$T/names.out" 2>&1
while IFS= read -r l; do
	case $l in
	"ok "*) pass "${l#ok }" ;;
	"not ok "*) fail "${l#not ok }" ;;
	*) fail "anon_names.py: $l" ;;
	esac
done <"$T/names.out"
ok "anon_names.py: ran its checks" grep -q '^ok .*original values checked' "$T/names.out"
# tshark's view of the rewritten packets: the stored bytes of every packet
# whole (--bytes), rebuilt as captures and dissected (QUIC Initials
# decrypted): no server name, DNS name, HTTP host or certificate name of
# the originals is left (tshark's "<Root>" and the like are not names),
# and the checksums over the blanks are good.
NF="-e tls.handshake.extensions_server_name -e dns.qry.name -e dns.resp.name -e http.host
-e x509ce.dNSName -e x509sat.printableString -e x509sat.uTF8String -e http.request.uri"
for c in "$@"; do "$PF" --link --bytes 1000000 --payload 0 "$c"; done >"$T/nm.in"
rm -f "$T"/nb-*.pcap "$T"/na-*.pcap
"$FJ" -x "$T/nm.in" >"$T/nm.json"
$PY "$CHECK" pcap "$T/nm.json" "$T/nb" all >"$T/nb.list"
"$FA" -k "$K" "$T/nm.in" | "$FJ" -x >"$T/nma.json"
$PY "$CHECK" pcap "$T/nma.json" "$T/na" all >"$T/na.list"
# shellcheck disable=SC2086
for p in $(cat "$T/nb.list"); do tshark -n -r "$p" -T fields $NF -E occurrence=a -E aggregator=, 2>/dev/null; done |
	tr '\t,' '\n\n' | awk 'length >= 4 && !/^</' | sort -u >"$T/nb.names"
# shellcheck disable=SC2086
for p in $(cat "$T/na.list"); do tshark -n -r "$p" -T fields $NF -E occurrence=a -E aggregator=, 2>/dev/null; done |
	tr '\t,' '\n\n' | awk 'length >= 4 && !/^</' | sort -u >"$T/na.names"
ok "tshark: names in the original packets ($(wc -l <"$T/nb.names" | tr -d ' '))" test "$(wc -l <"$T/nb.names")" -gt 40
is "$(comm -12 "$T/nb.names" "$T/na.names" | head -n 5 | tr '\n' ' ')" "" \
	"tshark: none of them in the rewritten packets"
b=0
for p in $(cat "$T/na.list"); do
	# shellcheck disable=SC2086
	n=$(tshark -r "$p" $TS_OPTS -Y "$BAD" 2>/dev/null | wc -l)
	b=$((b + n))
done
is "$b" 0 "tshark: checksums good over the blanked names"

done_testing
