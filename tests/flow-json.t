#!/bin/sh
# flow-json.t - flow-json both ways: round trips on every fixture, a golden
# stream checked by hand, what each option prints, concatenation, the error
# messages of -r, -o, and the man page examples.
#
# To regenerate the golden files (then check them by hand against
# flowrec(5) before committing):
#   build/flow-json -r <tests/data/minimal.jsonl | build/flow-json -H \
#       >tests/data/golden/flow-json-minimal.jsonl
#   build/flow-json -r <tests/data/minimal.jsonl | od -An -tx1 -v \
#       >tests/data/golden/flow-json-minimal.hex
. "${0%/*}/lib.sh"

FJ=$FK_BIN/flow-json
case $FJ in /*) ;; *) FJ=$(pwd)/$FJ ;; esac
[ -x "$FJ" ] || skip_all "no $FJ"
PY=/usr/bin/python3

# --- round trips on every fixture -----------------------------------------
# JSON -> records -> JSON (-a) -> records must give the same bytes; a
# fixture that starts with a header line is in the printed form already, so
# its JSON must come back unchanged too.
for f in "$FK_DATA"/*.jsonl; do
	n=${f##*/}
	run "$FJ" -r "$f"
	is "$status:$err" "0:" "$n: -r reads it"
	"$FJ" -r "$f" >"$T/r1"
	"$FJ" -a "$T/r1" >"$T/j1"
	"$FJ" -r "$T/j1" >"$T/r2"
	is_file "$T/r2" "$T/r1" "$n: records -> JSON -> records is byte-identical"
	if head -n 1 "$f" | grep -q '^{"flowrec":'; then
		is_file "$T/j1" "$f" "$n: JSON -> records -> JSON is unchanged"
	else
		"$FJ" -a "$T/r2" >"$T/j2"
		is_file "$T/j2" "$T/j1" "$n: printed JSON reads back to itself"
	fi
done

# --- golden: a hand-written fixture with defaults, checked by hand --------
"$FJ" -r <"$FK_DATA/minimal.jsonl" >"$T/min.flows"
"$FJ" -H "$T/min.flows" >"$T/min.jsonl"
is_file "$T/min.jsonl" "$FK_DATA/golden/flow-json-minimal.jsonl" "golden: minimal.jsonl as JSON"
od -An -tx1 -v "$T/min.flows" >"$T/min.hex"
is_file "$T/min.hex" "$FK_DATA/golden/flow-json-minimal.hex" "golden: minimal.jsonl as bytes"

# --- what each option prints ----------------------------------------------
# The expected lines are the fixture's with the keys an option leaves out
# removed; lines are compared parsed, keeping the key order and the text of
# every number (the exact text is checked by the round trips above).
same_json() { # same_json GOT WANT KEEP-HEADER DROP-KEYS...
	"$PY" -c '
import json, sys
got, want, hdr, drop = sys.argv[1], sys.argv[2], sys.argv[3] == "1", sys.argv[4:]
def parse(line):
    return json.loads(line, object_pairs_hook=list, parse_float=str, parse_int=str)
exp = []
for line in open(want, encoding="utf-8"):
    o = parse(line)
    if dict(o).get("flowrec"):
        if hdr: exp.append(o)
        continue
    exp.append([kv for kv in o if kv[0] not in drop])
res = [parse(line) for line in open(got, encoding="utf-8")]
if res != exp:
    for i, (a, b) in enumerate(zip(res, exp)):
        if a != b: print("line %d:\n got  %s\n want %s" % (i + 1, a, b)); break
    print("%d lines, want %d" % (len(res), len(exp)))
    sys.exit(1)
' "$@"
}
for f in packets elements segments; do
	"$FJ" -r "$FK_DATA/$f.jsonl" >"$T/$f.flows"
	for o in "" -p -x -H -px -a; do
		case $o in
		"") args="0 packets pkt_bytes payload" ;;
		-p) args="0 pkt_bytes payload" ;;
		-x) args="0 packets" ;;
		-H) args="1 packets pkt_bytes payload" ;;
		-px) args="0" ;;
		-a) args="1" ;;
		esac
		# $o and $args are split into words on purpose.
		# shellcheck disable=SC2086
		"$FJ" $o "$T/$f.flows" >"$T/got"
		# shellcheck disable=SC2086
		ok "$f: flow-json ${o:-(no option)} prints the documented keys" \
		    same_json "$T/got" "$FK_DATA/$f.jsonl" $args
	done
done
run "$FJ" --all --packets --bytes --header "$T/packets.flows"
is "$out" "$(cat "$FK_DATA/packets.jsonl")" "long options"

# --- concatenation ----------------------------------------------------------
cat "$T/packets.flows" "$T/segments.flows" "$T/elements.flows" >"$T/cat.flows"
"$FJ" -a "$T/packets.flows" "$T/segments.flows" "$T/elements.flows" >"$T/args.jsonl"
"$FJ" -a <"$T/cat.flows" >"$T/stdin.jsonl"
is_file "$T/stdin.jsonl" "$T/args.jsonl" "cat a b c | flow-json -a = flow-json -a a b c"
cat "$FK_DATA/packets.jsonl" "$FK_DATA/segments.jsonl" "$FK_DATA/elements.jsonl" >"$T/cat.jsonl"
is_file "$T/args.jsonl" "$T/cat.jsonl" "three streams print as their three fixtures"
"$FJ" -a - "$T/elements.flows" <"$T/packets.flows" >"$T/dash.jsonl"
cat "$FK_DATA/packets.jsonl" "$FK_DATA/elements.jsonl" >"$T/want"
is_file "$T/dash.jsonl" "$T/want" "- names stdin among files"
"$FJ" -r "$FK_DATA/packets.jsonl" "$FK_DATA/segments.jsonl" "$FK_DATA/elements.jsonl" >"$T/r-args.flows"
"$FJ" -r <"$T/cat.jsonl" >"$T/r-stdin.flows"
is_file "$T/r-stdin.flows" "$T/r-args.flows" "cat a b c | flow-json -r = flow-json -r a b c"
is_file "$T/r-args.flows" "$T/cat.flows" "flow-json -r a b c = the three streams concatenated"
# Flow lines of a second input continue the segment the first one left open.
grep -v '^{"flowrec"' "$FK_DATA/basic.jsonl" >"$T/nohdr.jsonl"
"$FJ" -r "$FK_DATA/basic.jsonl" "$T/nohdr.jsonl" | "$FJ" -H >"$T/got"
{ cat "$FK_DATA/basic.jsonl"; cat "$T/nohdr.jsonl"; } >"$T/want"
is_file "$T/got" "$T/want" "header-less lines continue the open segment"

# --- header lines -----------------------------------------------------------
run "$FJ" -H "$T/segments.flows"
is "$(printf '%s\n' "$out" | grep -c '^{"flowrec"')" 4 "-H prints the header of each of 4 segments"
printf '%s\n' '{"flowrec":"1.0","creator":"flowkit 0.1.0"}' | "$FJ" -r >"$T/h.flows"
# A header record (prefix, magic, version 1.0, one CREATOR element of 13
# bytes) and an END record with zero counts (flowrec(5)).
is "$(od -An -tx1 -v "$T/h.flows" | tr -d ' \n')" \
    "000000270001000089464c4f570d0a1a0100000000010000000d666c6f776b697420302e312e30$(
    )0000002000030000000000000000000000000000000000000000000000000000" \
    "header line alone: exactly the header and an empty end record"
: | "$FJ" -r >"$T/empty.flows"
is "$(wc -c <"$T/empty.flows" | tr -d ' ')" 0 "empty JSON input: empty stream"
printf '\n  \n\t\r\n' | "$FJ" -r >"$T/blank.flows"
is "$(wc -c <"$T/blank.flows" | tr -d ' ')" 0 "blank lines are skipped"
printf '%s' '{"ipv":4,"proto":6,"src":"1.2.3.4","dst":"5.6.7.8"}' | "$FJ" -r | "$FJ" >"$T/got"
like "$(cat "$T/got")" '{"ipv":4,"proto":6,"src":"1.2.3.4",*' "last line without a newline"

# --- text and number forms accepted on input ------------------------------
L='"ipv":4,"proto":6,"src":"10.0.0.1","dst":"10.0.0.2"'
P='{"ipv":4,"proto":6,"src":"10.0.0.1","sport":0,"dst":"10.0.0.2","dport":0,"first_ns":0,"last_ns":0,"src_pkts":0,"dst_pkts":0,"src_bytes":0,"dst_bytes":0,"src_l3_bytes":0,"dst_l3_bytes":0,"src_tcp_flags":0,"dst_tcp_flags":0,"end":"unknown","flags":[]'
accepts() { # accepts INPUT-REST OUTPUT DESC
	printf '{%s%s}\n' "$L" "$1" | "$FJ" -r | "$FJ" -a >"$T/got" 2>&1
	is "$(tail -n 1 "$T/got")" "$2" "$3"
}
accepts ',"label":{"hex":"616263"}' "$P"',"label":"abc"}' "text given as hex prints as a string when it is UTF-8"
accepts ',"label":"a\u0000b"' "$P"',"label":{"hex":"610062"}}' "text with NUL is accepted and printed as hex"
accepts ',"label":{"hex":"C3A9"}' "$P"',"label":"é"}' "upper-case hex"
accepts ',"features":{"a":1,"b":-2,"c":1e2,"d":0.1}' "$P"',"features":{"a":1.0,"b":-2.0,"c":100.0,"d":0.1}}' "features: integers and reals"
accepts ',"tls":{"unknown":[{"tag":1,"hex":"0303"}],"sni":"x"}' "$P"',"tls":{"client_version":771,"sni":"x"}}' "metadata: fields sorted by tag, known tags given by hex"
accepts ',"dns":{"answer_addr":["1.2.3.4","::1"]}' "$P"',"dns":{"answer_addr":["1.2.3.4","::1"]}}' "addresses of both versions"
accepts ',"end":3,"flags":["bit3","bit30"]' \
    "$(printf '%s' "$P" | sed 's/"end":"unknown","flags":\[\]/"end":"idle","flags":["unidirectional","bit30"]/')}" \
    "end and flags by number"
accepts ',"packets":{"ttl":[1,2]},"src_pkts":2' \
    "$(printf '%s' "$P" | sed 's/"src_pkts":0/"src_pkts":2/')"',"packets":{"t_ns":[0,0],"wire_len":[0,0],"ip_len":[0,0],"l4_len":[0,0],"payload_len":[0,0],"dir":[0,0],"pflags":[0,0],"ttl":[1,2],"tos":[0,0],"tcp_flags":[0,0],"window":[0,0]}}' \
    "packets: missing columns are 0; core keys in any order"

# --- errors: exact messages ------------------------------------------------
bad() { # bad LINE MESSAGE DESC: line 2 of x.jsonl is LINE (line 1 is good)
	printf '{%s}\n%s\n{%s}\n' "$L" "$1" "$L" >"$T/x.jsonl"
	(cd "$T" && "$FJ" -r x.jsonl >x.flows 2>x.err)
	st=$?
	is "$st:$(cat "$T/x.err")" "1:flow-json: x.jsonl: line 2: $2" "$3"
}
bad '{bad' 'column 4: invalid JSON: string or '"'"'}'"'"' expected near '"'"'bad'"'" "bad JSON"
bad '[1,2]' 'expected a JSON object' "not an object"
bad "{$L,\"sport\":70000}" '"sport": expected an integer 0..65535' "out-of-range port"
bad "{$L,\"sport\":\"80\"}" '"sport": expected an integer 0..65535' "port as a string"
bad "{$L,\"sport\":80.0}" '"sport": expected an integer 0..65535' "port as a real"
bad "{$L,\"src_bytes\":-1}" '"src_bytes": expected an integer 0..9223372036854775807' "negative counter"
bad "{$L,\"first_ns\":9223372036854775808}" 'column 65: "first_ns": integer out of range (integers are 0..9223372036854775807)' "counter of 2^63"
bad "{$L,\"ipv\":5}" 'column 58: invalid JSON: duplicate object key near '"'"'"ipv"'"'"'' "duplicate key"
bad '{"ipv":5,"proto":6,"src":"10.0.0.1","dst":"10.0.0.2"}' '"ipv": expected 4 or 6' "bad IP version"
bad '{"ipv":6,"proto":6,"src":"10.0.0.1","dst":"::2"}' '"src": expected an IPv6 address' "IPv4 address in an IPv6 flow"
bad '{"ipv":4,"src":"10.0.0.1","dst":"10.0.0.2"}' 'missing key "proto"' "missing required key"
bad "{$L,\"foo\":1}" '"foo": unknown key (not a field, an element name or elem_0xNNNN)' "unknown key"
bad "{$L,\"elem_0x12\":\"00\"}" '"elem_0x12": unknown key (not a field, an element name or elem_0xNNNN)' "short elem_ key"
bad "{$L,\"elem_0x8123\":\"00\"}" '"elem_0x8123": unknown critical element (a reader must reject it)' "critical unknown element"
bad "{$L,\"label\":\"a\",\"elem_0x0004\":\"62\"}" '"elem_0x0004": element 0x0004 given twice' "an element twice"
bad "{$L,\"label\":7}" '"label": expected a string or {"hex":"..."}' "label of the wrong type"
bad "{$L,\"label\":{\"hex\":\"6\"}}" '"label.hex": odd number of hex digits' "odd hex"
bad "{$L,\"payload\":\"0g\"}" '"payload": not a hex digit at position 2' "bad hex digit"
bad "{$L,\"end\":\"done\"}" '"end": unknown end reason "done"' "unknown end reason"
bad "{$L,\"flags\":[\"fast\"]}" '"flags[0]": expected a flag name or "bit<N>" for an unnamed bit N' "unknown flag"
bad "{$L,\"first_ns\":5,\"last_ns\":4}" 'last packet time before the first' "last before first (checked by the decoder)"
bad "{$L,\"packets\":{\"t_ns\":[0,0],\"ttl\":[1]}}" '"packets.ttl": 1 entries, but "t_ns" has 2' "packets: columns of unequal length"
bad "{$L,\"src_pkts\":1,\"packets\":{\"ttl\":[1,256]}}" '"packets.ttl[1]": expected an integer 0..255' "packets: TTL out of range"
bad "{$L,\"packets\":{\"ttl\":[1]}}" 'packets: 1 entries but the flow counts 0 packets' "packets: more entries than packets"
bad "{$L,\"packets\":{\"size\":[1]}}" '"packets.size": unknown key' "packets: unknown column"
bad "{$L,\"pkt_bytes\":{\"layer\":\"ip\",\"packets\":[]}}" '"pkt_bytes.layer": expected "network" or "link"' "pkt_bytes: bad layer"
bad "{$L,\"pkt_bytes\":{\"layer\":\"link\",\"packets\":[{\"index\":0}]}}" '"pkt_bytes.packets[0]": missing key "ts_ns"' "pkt_bytes: missing key"
bad "{$L,\"mac\":{\"src\":\"00:11\",\"dst\":\"00:11:22:33:44:55\"}}" '"mac.src": expected a MAC address such as "00:11:22:aa:bb:cc"' "bad MAC"
bad "{$L,\"encap\":[{\"kind\":\"gre\",\"value\":1}]}" '"encap[0].kind": unknown kind "gre" (a name or an integer 0..255)' "unknown encap kind name"
bad "{$L,\"features\":{\"a b\":1}}" '"features.a b": a feature name is printable ASCII without spaces' "feature name with a space"
bad "{$L,\"features\":{\"a\":\"NaN\"}}" '"features.a": expected a number, "nan", "-nan", "inf", "-inf" or "nan:0x<16 hex digits>"' "feature value"
bad "{$L,\"features\":{\"a\":\"nan:0x7ff0000000000000\"}}" '"features.a": expected a number, "nan", "-nan", "inf", "-inf" or "nan:0x<16 hex digits>"' "nan: pattern that is not a NaN"
bad "{$L,\"tls\":{\"alpn\":\"h2\"}}" '"tls.alpn": expected an array' "multi field not an array"
bad "{$L,\"tls\":{\"cipher\":65536}}" '"tls.cipher": expected an integer 0..65535' "metadata u16 out of range"
bad "{$L,\"dns\":{\"rcode\":256}}" '"dns.rcode": expected an integer 0..255' "metadata u8 out of range"
bad "{$L,\"http\":{\"cookie\":\"x\"}}" '"http.cookie": unknown field' "unknown metadata field"
bad "{$L,\"quic\":{\"unknown\":[{\"tag\":256,\"hex\":\"\"}]}}" '"quic.unknown[0].tag": expected an integer 0..255' "unknown tag out of range"
bad "{$L,\"tls\":{\"sni\":\"a\",\"unknown\":[{\"tag\":3,\"hex\":\"62\"}]}}" 'tls: field sni repeated' "a single field twice (checked by the decoder)"
bad '{"flowrec":"2.0","creator":"x"}' '"flowrec": version 2.0: this reader knows 1.x' "header of another major version"
bad '{"flowrec":"1","creator":"x"}' '"flowrec": expected a version such as "1.0"' "header version without minor"
bad '{"flowrec":"1.0"}' 'header has 0 creator elements, expected 1' "header without creator"
bad '{"flowrec":"1.0","creator":"x","elem_0x8001":""}' 'unknown critical header element 0x8001' "header: critical unknown element"
bad '{"flowrec":"1.0","creator":"x","provenance":"p"}' '"provenance": expected an array' "header: provenance not an array"
bad '{"flowrec":"1.0","creator":"x","order":[1,1]}' '"order": 2 ids for 1 header elements' "header: order of the wrong length"
bad '{"flowrec":"1.0","creator":"x","notes":["n"],"order":[1,2]}' '"order[1]": no header element 0x0002 left for this place' "header: order naming a missing element"
bad '{"flowrec":"1.0","creator":"x","size":1}' '"size": unknown key' "header: unknown key"
# What came before the bad line is kept, but the stream is left without
# its end record, so that the next tool sees that it is not complete
# (flowrec(5), "What a writer MUST do").
printf '{%s}\n{%s,"sport":-1}\n' "$L" "$L" >"$T/x.jsonl"
"$FJ" -r "$T/x.jsonl" >"$T/x.flows" 2>/dev/null
run "$FJ" "$T/x.flows"
is "$status:$(printf '%s\n' "$out" | wc -l | tr -d ' ')" "1:1" "records before a bad line are kept, in an unfinished stream"
like "$err" "flow-json: *x.flows: offset *: stream truncated after 2 records" "a bad line: the next tool reports truncation"
# A bad input does not stop the next one: its records follow the
# unfinished segment, byte for byte (a header line makes the first part
# the same whatever the command line), and the last segment, which ends
# the output, is left unfinished too.
{ head -n 1 "$FK_DATA/basic.jsonl"; cat "$T/x.jsonl"; } >"$T/y.jsonl"
"$FJ" -r "$T/y.jsonl" >"$T/y.flows" 2>/dev/null
run "$FJ" -r "$T/y.jsonl" "$FK_DATA/basic.jsonl"
is "$status" 1 "a bad input: exit 1"
"$FJ" -r "$FK_DATA/basic.jsonl" >"$T/basic.flows"
n1=$(wc -c <"$T/y.flows") n2=$(wc -c <"$T/basic.flows")
tail -c +$((n1 + 1)) "$T/out" >"$T/got"
head -c $((n2 - 32)) "$T/basic.flows" >"$T/want"
is_file "$T/got" "$T/want" "a bad input: the next input is still read"

# --- the wrong kind of input ---------------------------------------------
run "$FJ" -r "$T/packets.flows"
is "$status:$err" "1:flow-json: $T/packets.flows: this is a flowrec stream (use flow-json without -r)" "-r given records"
run "$FJ" -r "$FK_DATA/dns_tcp.pcap"
is "$status:$err" "1:flow-json: $FK_DATA/dns_tcp.pcap: not JSON Lines: this is a pcap capture (use pcap-flows)" "-r given a capture"
run "$FJ" "$FK_DATA/basic.jsonl"
is "$status:$err" "1:flow-json: $FK_DATA/basic.jsonl: offset 0: not a flowrec stream: this is JSON text (use flow-json -r)" "JSON given without -r"
run "$FJ" -r -p "$FK_DATA/basic.jsonl"
is "$status" 2 "-r with -p: usage error"

# --- -o: written through a temporary file, renamed at the end -------------
mkdir "$T/o"
"$FJ" -a -o "$T/o/out.jsonl" "$T/packets.flows"
is_file "$T/o/out.jsonl" "$FK_DATA/packets.jsonl" "-o FILE: the output"
is "$(ls "$T/o")" "out.jsonl" "-o FILE: no temporary file left"
"$FJ" -r -o "$T/o/out.flows" "$FK_DATA/packets.jsonl"
is_file "$T/o/out.flows" "$T/packets.flows" "-r -o FILE: the output"
run "$FJ" -o "$T/nodir/out.jsonl" "$T/packets.flows"
like "$status:$err" "1:flow-json: $T/nodir/out.jsonl: *" "-o in a missing directory: exit 1 and a message"
# Interrupted while writing: the old file stays as it was, no temporary file.
if command -v mkfifo >/dev/null 2>&1; then
	echo old >"$T/o/keep.flows"
	mkfifo "$T/fifo"
	"$FJ" -r -o "$T/o/keep.flows" "$T/fifo" 2>/dev/null &
	pid=$!
	exec 3>"$T/fifo"
	cat "$FK_DATA/packets.jsonl" >&3
	ntmp() { set -- "$T"/o/keep.flows.tmp.*; if [ -e "$1" ]; then echo $#; else echo 0; fi; }
	n=0
	while [ "$(ntmp)" -lt 1 ] && [ $n -lt 50 ]; do sleep 0.1; n=$((n + 1)); done
	is "$(ntmp)" 1 "-o: a temporary file while writing"
	is "$(cat "$T/o/keep.flows")" old "-o: the old file untouched while writing"
	kill -TERM "$pid"
	wait "$pid" 2>/dev/null
	exec 3>&-
	is "$(cat "$T/o/keep.flows")" old "-o: the old file untouched when interrupted"
	is "$(ntmp)" 0 "-o: the temporary file removed when interrupted"
else
	skip 4 "no mkfifo"
fi

# --- the EXAMPLES of flow-json(1) -------------------------------------------
(
	cd "$T" || exit 1
	cp packets.flows x.flows
	"$FJ" -a x.flows >x.jsonl
	"$FJ" -r x.jsonl >y.flows
	cmp x.flows y.flows
)
is "$?" 0 "example: flow-json -a, flow-json -r, cmp"
(
	cd "$T" || exit 1
	echo '{"ipv":4,"proto":17,"src":"192.0.2.1","dst":"192.0.2.2","src_pkts":1}' |
	    "$FJ" -r -o one.flows
)
run "$FJ" "$T/one.flows"
like "$status:$out" '0:{"ipv":4,"proto":17,"src":"192.0.2.1","sport":0,"dst":"192.0.2.2",*"src_pkts":1,"dst_pkts":0,*' \
    "example: a fixture written by hand"

done_testing
