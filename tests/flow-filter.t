#!/bin/sh
# flow-filter.t - flow-filter(1): every case of tests/flow-filter.cases on
# several captures and fixtures, cross-checked against the same selection
# made in Python from flow-json output (tests/filter_check.py); every
# malformed expression of tests/flow-filter.errors gives exit 2 and its
# column; --fail, --head, -f, -v, provenance; --sample the same across
# files given separately or concatenated; --max-per-label and --balance;
# label rules against a capture labelled by hand.
. "${0%/*}/lib.sh"

FF=$FK_BIN/flow-filter
FJ=$FK_BIN/flow-json
PF=$FK_BIN/pcap-flows
PY=/usr/bin/python3
[ -x "$FF" ] || skip_all "no $FF"
[ -x "$PY" ] || skip_all "no python3"

# --- the inputs: captures (two of them labelled) and JSON fixtures
D=$T/cases
mkdir "$D"
INPUTS=
add_cap() { # NAME CAPTURE [pcap-flows options]
	n=$1 c=$2
	shift 2
	"$PF" -q "$@" -o "$D/$n.flows" "$FK_DATA/$c" 2>/dev/null || "$PF" "$@" -o "$D/$n.flows" "$FK_DATA/$c"
	INPUTS="$INPUTS $n"
}
add_json() { # NAME FIXTURE
	"$FJ" -r -o "$D/$1.flows" "$FK_DATA/$2"
	INPUTS="$INPUTS $1"
}
add_cap mpls eth_vlan_mpls_mixed.pcap --label web
add_cap resp sll_resp_15_tcp_streams.pcap
add_cap dns dns_udp_tcp_ecs_frag.pcap --label dns
add_cap v6 ipv6_all_ext_headers.pcap
add_cap ping icmpv6_ping.pcap
add_cap qinq eth_qinq_pppoe_tls_retrans.pcap
add_cap ng pcapng_3if_dns_tcp.pcapng
add_json basic basic.jsonl
add_json pkts packets.jsonl
add_json elems elements.jsonl
# one input that mixes captures, for cases each capture keeps or drops whole
cat "$D/mpls.flows" "$D/resp.flows" "$D/dns.flows" "$D/qinq.flows" "$D/pkts.flows" "$D/basic.flows" >"$D/mix.flows"
INPUTS="$INPUTS mix"
for n in $INPUTS; do
	"$FJ" -p "$D/$n.flows" >"$D/$n.all.json"
done

# --- the table: flow-filter on every input, Python from the full JSON
k=0
errs=0
while IFS= read -r line; do
	case $line in '#'*|'') continue ;; esac
	k=$((k + 1))
	expr=${line%%	*}
	for n in $INPUTS; do
		if ! "$FF" "$expr" "$D/$n.flows" 2>>"$T/case.err" | "$FJ" -p >"$D/$n.$k.json" 2>>"$T/case.err"; then
			errs=$((errs + 1))
		fi
	done
done <"$FK_ROOT/tests/flow-filter.cases"
is "$errs" 0 "the $k cases run without error on every input"
[ "$errs" -eq 0 ] || diag "$(head -n 5 "$T/case.err")"
# shellcheck disable=SC2086
"$PY" "$FK_ROOT/tests/filter_check.py" "$FK_ROOT/tests/flow-filter.cases" "$D" $INPUTS >"$T/check" ||
	fail "filter_check.py ran"
while IFS='	' read -r st desc; do
	case $st in
	ok) pass "$desc" ;;
	fail) fail "$desc" ;;
	'#') diag "$desc" ;;
	esac
done <"$T/check"

# --- malformed expressions: exit 2, the column, what was expected
nerr=0
while IFS=';' read -r col expr msg; do
	case $col in '#'*|'') continue ;; esac
	nerr=$((nerr + 1))
	run "$FF" -e "$expr" </dev/null
	# $msg is a pattern.
	# shellcheck disable=SC2254
	case "$status:$err" in
	"2:flow-filter: expression:1:$col: "$msg) pass "malformed: '$expr': exit 2, column $col" ;;
	*) fail "malformed: '$expr': exit 2, column $col"; diag "got $status: $err" ;;
	esac
done <"$FK_ROOT/tests/flow-filter.errors"
ok "at least 40 malformed expressions ($nerr)" [ "$nerr" -ge 40 ]
printf 'proto == tcp\n  and dport in {80,\n 443\n' >"$T/bad.expr"
run "$FF" -f "$T/bad.expr" </dev/null
is "$status:$err" "2:flow-filter: $T/bad.expr:4:1: expected ',' or '}' in a set, not the end" \
    "-f: an error names the file, its line and column"

# --- outputs: --fail, -o, -v, -f, provenance
A=$D/dns.flows
run "$FF" -v --fail "$T/rej.flows" -o "$T/acc.flows" 'proto == tcp' "$A"
is "$status" 0 "--fail: exit 0"
like "$err" "flow-filter: 69 records read, 8 matched, 61 failed the expression, 0 sampled out, 0 over the label cap, 8 written" \
    "-v: the counts"
is "$("$FJ" "$T/acc.flows" | wc -l | tr -d ' ')" 8 "-o: the matching records"
is "$("$FJ" "$T/rej.flows" | grep -c '"proto":17')" 61 "--fail: the others, all UDP"
cat "$T/acc.flows" "$T/rej.flows" | "$FJ" | sort >"$T/both"
"$FJ" "$A" | sort >"$T/orig"
is_file "$T/both" "$T/orig" "matching and failing records make up the input, unchanged"
"$FJ" -H "$T/acc.flows" | head -n 1 >"$T/hdr"
like "$(cat "$T/hdr")" "*\"filter=proto == tcp\"*" "provenance: the expression as a note"
like "$(cat "$T/hdr")" "*\"flow-filter -v --fail $T/rej.flows -o $T/acc.flows 'proto == tcp' $A\"*" \
    "provenance: the command line"
printf '# TCP only\nproto == tcp   # the resolver side\n' >"$T/e.expr"
run "$FF" -f "$T/e.expr" "$A"
cmp -s "$T/out" "$T/acc.flows" || "$FJ" "$T/out" | cmp -s - "$T/acc.json" 2>/dev/null
is "$("$FJ" "$T/out")" "$("$FJ" "$T/acc.flows")" "-f: the expression from a file, with comments"
run "$FF" --head 3 'proto == udp' "$A"
is "$("$FJ" "$T/out" | wc -l | tr -d ' ')" 3 "--head 3: three records"
is "$("$FJ" "$T/out" | cut -c1-60)" "$("$FJ" "$A" | grep '"proto":17' | head -n 3 | cut -c1-60)" \
    "--head 3: the first three matches"
run "$FF" --head 3 --fail "$T/rej2.flows" 'proto == udp' "$A"
is "$("$FJ" "$T/rej2.flows" | wc -l | tr -d ' ')" 8 "--head with --fail: the whole input is still read"
run "$FF" 'proto == tcp' "$T/nosuch.flows" </dev/null
is "$status" 1 "a missing input: exit 1"
run "$FF" </dev/null
is "$status" 2 "no expression: exit 2"

# --- --sample: the same flows given separately, concatenated, or in one run
for s in 0.3 0.7; do
	"$FF" --sample $s --seed 7 true "$D/dns.flows" | "$FJ" >"$T/s1"
	"$FF" --sample $s --seed 7 true "$D/mpls.flows" | "$FJ" >>"$T/s1"
	"$FF" --sample $s --seed 7 true "$D/dns.flows" "$D/mpls.flows" | "$FJ" >"$T/s2"
	cat "$D/dns.flows" "$D/mpls.flows" | "$FF" --sample $s --seed 7 true | "$FJ" >"$T/s3"
	is_file "$T/s2" "$T/s1" "--sample $s: two files in one run as separately"
	is_file "$T/s3" "$T/s1" "--sample $s: concatenated on stdin as separately"
	got=$(wc -l <"$T/s1" | tr -d ' ')
	ok "--sample $s: a fraction near $s of 72 flows ($got)" \
	    "$PY" -c "import sys; sys.exit(not abs($got / 72 - $s) < 0.2)"
done
"$FF" --sample 0.5 --seed 8 true "$D/dns.flows" | "$FJ" >"$T/s8"
"$FF" --sample 0.5 --seed 7 true "$D/dns.flows" | "$FJ" >"$T/s7"
ok "--sample: another seed, another sample" sh -c "! cmp -s '$T/s7' '$T/s8'"
"$FF" --sample 0.5 --seed 7 'proto == udp' "$D/dns.flows" | "$FJ" >"$T/s7u"
is "$(cat "$T/s7u")" "$(grep '"proto":17' "$T/s7")" "--sample: a flow's fate does not depend on the expression"

# --- --max-per-label, --balance
cat "$D/dns.flows" "$D/mpls.flows" "$D/resp.flows" >"$T/mix.flows"
firsts='import sys, json
seen = {}
for l in sys.stdin:
    r = json.loads(l)
    k = r.get("label")
    seen[k] = seen.get(k, 0) + 1
    if seen[k] <= int(sys.argv[1]):
        print(r["source"]["first_pkt"], k)'
run "$FF" --max-per-label 2 true "$T/mix.flows"
is "$("$FJ" "$T/out" | "$PY" -c "$firsts" 1000)" "$("$FJ" "$T/mix.flows" | "$PY" -c "$firsts" 2)" \
    "--max-per-label 2: the first two of each label (dns, web, none)"
run "$FF" -v --balance true "$D/dns.flows" "$D/mpls.flows"
is "$("$FJ" "$T/out" | grep -c '"label":"dns"'):$("$FJ" "$T/out" | grep -c '"label":"web"')" "3:3" \
    "--balance: as many of each label as the smallest has"
run "$FF" --balance true <"$D/dns.flows"
is "$status" 2 "--balance on stdin: usage error"
"$FF" --max-per-label 4 --cap-mode reservoir --seed 3 true "$D/dns.flows" "$D/resp.flows" \
    "$D/mpls.flows" | "$FJ" >"$T/r1"
"$FF" --max-per-label 4 --cap-mode reservoir --seed 3 true "$D/mpls.flows" "$D/resp.flows" \
    "$D/dns.flows" | "$FJ" >"$T/r2"
is "$(sort "$T/r2")" "$(sort "$T/r1")" "--cap-mode reservoir: the same flows whatever the input order"
is "$(grep -c '"label":"dns"' "$T/r1"):$(grep -c '"label":"web"' "$T/r1"):$(grep -vc '"label"' "$T/r1")" "4:3:4" \
    "--cap-mode reservoir: at most 4 flows of each label"
"$FJ" "$D/dns.flows" "$D/resp.flows" "$D/mpls.flows" >"$T/r1.in"
is "$(grep -Fxf "$T/r1" "$T/r1.in")" "$(cat "$T/r1")" "--cap-mode reservoir: the flows held come out in input order"
"$FF" --max-per-label 4 --cap-mode reservoir --seed 4 true "$D/dns.flows" "$D/resp.flows" \
    "$D/mpls.flows" | "$FJ" >"$T/r4"
ok "--cap-mode reservoir: another seed, other flows" sh -c "! cmp -s '$T/r1' '$T/r4'"
is "$("$FF" --max-per-label 4 --cap-mode reservoir true "$D/dns.flows" "$D/mpls.flows" | "$FJ" -H |
    grep -c '"flowrec"')" 1 "--cap-mode reservoir: one output segment"
run "$FF" -v --balance --cap-mode reservoir --label-rules "$FK_DATA/dns_udp_tcp_ecs_frag.rules" \
    --default-label other true "$D/dns.flows"
is "$("$FJ" "$T/out" | grep -o '"label":"[a-z-]*"' | sort | uniq -c | tr -s ' ' | tr '\n' ';')" \
    " 5 \"label\":\"dns-tcp\"; 5 \"label\":\"other\"; 5 \"label\":\"public-resolver\"; 5 \"label\":\"resolver-upstream\"; 5 \"label\":\"weberdns\";" \
    "--balance --cap-mode reservoir: relabelled flows, five of each label"
run "$FF" --cap-mode reservoir true "$D/dns.flows"
is "$status" 2 "--cap-mode reservoir without a cap: usage error"

# --- --class-weights: Python computes the caps from the weights (fractions)
weighted='import sys, json
from fractions import Fraction
w = {}
for item in sys.argv[1].split(","):
    k, v = item.rsplit("=", 1)
    w[k] = int(v)
recs = [json.loads(l) for l in sys.stdin]
lab = lambda r: r.get("label", "")
count = {}
for r in recs:
    count[lab(r)] = count.get(lab(r), 0) + 1
wt = lambda l: w.get(l, w.get("*", 0))
scale = min(Fraction(c, wt(l)) for l, c in count.items() if wt(l) > 0)
cap = {l: int(scale * wt(l)) for l in count}
seen = {}
for r in recs:
    l = lab(r)
    seen[l] = seen.get(l, 0) + 1
    if seen[l] <= cap[l]:
        print(r["source"]["first_pkt"], r.get("label"))'
for wts in "web=1,dns=1" "dns=2,web=1" "dns=5,web=2" "web=1,dns=7,*=2" "dns=3,=1" "dns=1,web=0,*=4" "web=2"; do
	run "$FF" --class-weights "$wts" true "$T/mix.flows"
	is "$status:$("$FJ" "$T/out" | "$PY" -c "$firsts" 1000000)" \
	    "0:$("$FJ" "$T/mix.flows" | "$PY" -c "$weighted" "$wts")" \
	    "--class-weights $wts: the first flows of each label, in proportion"
done
run "$FF" --class-weights 'dns=3,web=1' 'proto == tcp or label == web' "$T/mix.flows"
is "$("$FJ" "$T/out" | "$PY" -c "$firsts" 1000000)" \
    "$("$FF" 'proto == tcp or label == web' "$T/mix.flows" | "$FJ" | "$PY" -c "$weighted" 'dns=3,web=1')" \
    "--class-weights: counted after the expression"
printf '# the weights of a file\nweb=1\n\ndns=2  \n' >"$T/w.txt"
run "$FF" --class-weights "@$T/w.txt" true "$T/mix.flows"
is "$("$FJ" "$T/out" | "$PY" -c "$firsts" 1000000)" "$("$FJ" "$T/mix.flows" | "$PY" -c "$weighted" 'web=1,dns=2')" \
    "--class-weights @FILE: one LABEL=WEIGHT a line, comments and blank lines"
run "$FF" --class-weights 'dns=2,web=1,voip=5' true "$T/mix.flows"
is "$("$FJ" "$T/out" | grep -c '"label":"dns"'):$("$FJ" "$T/out" | grep -c '"label":"web"'):$err" \
    "6:3:flow-filter: --class-weights: no flow is labelled 'voip'" \
    "--class-weights: a label without flows is left out, with a warning"
"$FF" --class-weights 'dns=2,web=1,*=1' --cap-mode reservoir --seed 5 true "$D/dns.flows" "$D/mpls.flows" \
    "$D/resp.flows" | "$FJ" >"$T/cw1"
"$FF" --class-weights 'dns=2,web=1,*=1' --cap-mode reservoir --seed 5 true "$D/resp.flows" "$D/mpls.flows" \
    "$D/dns.flows" | "$FJ" >"$T/cw2"
is "$(grep -c '"label":"dns"' "$T/cw1"):$(grep -c '"label":"web"' "$T/cw1"):$(grep -vc '"label"' "$T/cw1")" "6:3:3" \
    "--class-weights --cap-mode reservoir: the proportions"
is "$(sort "$T/cw2")" "$(sort "$T/cw1")" "--class-weights --cap-mode reservoir: the same flows whatever the input order"
"$FJ" "$D/dns.flows" "$D/mpls.flows" "$D/resp.flows" >"$T/cw1.in"
is "$(grep -Fxf "$T/cw1" "$T/cw1.in")" "$(cat "$T/cw1")" "--class-weights --cap-mode reservoir: in input order"
for bad in 'web' 'web=x' 'web=-1' 'web=1000001' 'web=1,web=2' 'web=0' '=' '*=0'; do
	run "$FF" --class-weights "$bad" true "$T/mix.flows"
	like "$status:$err" "2:flow-filter: --class-weights: *" "--class-weights '$bad': usage error"
done
run "$FF" --class-weights web=1 --balance true "$T/mix.flows"
is "$status" 2 "--class-weights with --balance: usage error"
run "$FF" --class-weights web=1 true <"$T/mix.flows"
is "$status:$err" "2:flow-filter: --class-weights reads its inputs twice: give files, not stdin
Try 'flow-filter --help' for more information." "--class-weights on stdin: usage error"

# --- label rules against the capture labelled by hand
R=$FK_DATA/dns_udp_tcp_ecs_frag.rules
run "$FF" -v --label-rules "$R" --default-label other true "$D/dns.flows"
is "$status" 0 "--label-rules: exit 0"
"$FJ" "$T/out" | "$PY" -c "$firsts" 1000 >"$T/labels"
grep -v '^#' "$FK_DATA/dns_udp_tcp_ecs_frag.labels" >"$T/hand"
is_file "$T/labels" "$T/hand" "--label-rules: the hand-made labels of dns_udp_tcp_ecs_frag.pcap"
like "$err" "*rule 1 (dns-tcp): 8 flows*rule 2 (weberdns): 5 flows*rule 3 (public-resolver): 6 flows*rule 4 (resolver-upstream): 37 flows*no rule: 13 flows*" \
    "-v: hits per rule"
run "$FF" --label-rules "$R" 'label == weberdns' "$D/dns.flows"
is "$("$FJ" "$T/out" | wc -l | tr -d ' ')" 5 "the expression sees the new labels"
run "$FF" --label-rules "$R" true "$D/dns.flows"
is "$("$FJ" "$T/out" | grep -c '"label":"dns"')" 13 "without --default-label unmatched flows keep theirs"
# --- label rules against an app's capture labelled by hand: DNS, the app's
# servers, analytics and Google services told apart by SNI, HTTP host,
# addresses and ports (tests/data/rawip101_ocs_mobile.labels.tsv, a reason a flow)
"$PF" -o "$T/ocs.flows" "$FK_DATA/rawip101_ocs_mobile.pcap" 2>/dev/null
run "$FF" -v --label-rules "$FK_DATA/rawip101_ocs_mobile.rules" --default-label unlabelled true "$T/ocs.flows"
is "$status" 0 "--label-rules on rawip101_ocs_mobile.pcap: exit 0"
flowkey='import sys, json
names = {6: "tcp", 17: "udp"}
for l in sys.stdin:
    r = json.loads(l)
    print("%s %s:%d > %s:%d\t%s" % (names.get(r["proto"], r["proto"]), r["src"], r["sport"], r["dst"],
        r["dport"], r.get("label", "")))'
"$FJ" "$T/out" | "$PY" -c "$flowkey" | sort >"$T/ocs.got"
grep -v '^#' "$FK_DATA/rawip101_ocs_mobile.labels.tsv" | cut -f 1,2 | sort >"$T/ocs.want"
is_file "$T/ocs.got" "$T/ocs.want" "--label-rules: the hand-made labels of every flow of rawip101_ocs_mobile.pcap"
is "$(wc -l <"$T/ocs.want" | tr -d ' ')" "$("$FJ" "$T/ocs.flows" | wc -l | tr -d ' ')" \
    "the hand-made labels name as many flows as the capture has"
is "$(printf '%s\n' "$err" | grep 'rule')" "flow-filter: rule 1 (dns): 8 flows
flow-filter: rule 2 (ocs): 3 flows
flow-filter: rule 3 (ocs): 1 flows
flow-filter: rule 4 (analytics): 1 flows
flow-filter: rule 5 (analytics): 2 flows
flow-filter: rule 6 (analytics): 1 flows
flow-filter: rule 7 (google): 2 flows
flow-filter: rule 8 (google): 2 flows
flow-filter: no rule: 0 flows" "-v: the hits per rule on rawip101_ocs_mobile.pcap"
run "$FF" --label-rules "$FK_DATA/rawip101_ocs_mobile.rules" 'label == analytics and proto == tcp' "$T/ocs.flows"
is "$("$FJ" "$T/out" | "$PY" -c "$flowkey" | cut -f 1 | sort)" \
    "$(grep '	analytics	' "$FK_DATA/rawip101_ocs_mobile.labels.tsv" | cut -f 1 | sort)" \
    "the expression selects the flows the rules labelled"

printf 'good: proto == tcp\nbad: dport in {1,\n' >"$T/bad.rules"
run "$FF" --label-rules "$T/bad.rules" true "$D/dns.flows"
is "$status:$err" "2:flow-filter: $T/bad.rules:2:18: expected a number after ',', not the end" \
    "--label-rules: an error names the file, line and column"
printf 'no colon here\n' >"$T/bad.rules"
run "$FF" --label-rules "$T/bad.rules" true "$D/dns.flows"
is "$status:$err" "2:flow-filter: $T/bad.rules:1:1: expected 'LABEL: EXPRESSION'" \
    "--label-rules: a line without a label"

done_testing
