#!/bin/sh
# audit.t - flow-idx --audit: on a set where one header byte (the TTL:
# class a 64, class b 128; everything else drawn from the same small sets)
# predicts the label, the audit flags the TTL positions and suggests
# --mask ttl, and after --mask all (or --mask ttl) flags nothing; the IDX
# files are the same with and without --audit; the mutual information,
# label entropy and duplicate counts agree with numpy on the files written
# (tests/audit_check.py); planted duplicates within and across split parts
# and identical images with conflicting labels are found (--audit-only on
# parts written by separate runs); the JSON parses; usage errors.

# shellcheck disable=SC2086
. "${0%/*}/lib.sh"

FI=$FK_BIN/flow-idx
PF=$FK_BIN/pcap-flows
PY=/usr/bin/python3
MK=$FK_ROOT/tests/mkpcap.py
CHK=$FK_ROOT/tests/audit_check.py
[ -x "$FI" ] && [ -x "$PF" ] || skip_all "needs flow-idx and pcap-flows"
$PY -c 'import numpy' 2>/dev/null || skip_all "no numpy in $PY"

# jf FILE EXPR: a python expression over the JSON document d.
jf() {
	$PY -c 'import json, sys; d = json.load(open(sys.argv[1])); print(eval(sys.argv[2]))' "$1" "$2"
}

mkdir -p "$T/set/a" "$T/set/b"
$PY "$MK" ttl-flows "$T/set/a/a1.pcap" 64 1:150
$PY "$MK" ttl-flows "$T/set/b/b1.pcap" 128 2:150
printf 'a 0\nb 1\n' >"$T/classes"
"$PF" --label-dir "$T/set/" >"$T/f"

run "$FI" -o "$T/D" -c "$T/classes" --split train=0.8,test=0.2 --audit="$T/a.json" "$T/f"
is "$status" 0 "--audit: exit 0"
"$FI" -q -o "$T/E" -c "$T/classes" --split train=0.8,test=0.2 "$T/f"
_same=0
for s in train-images-idx3-ubyte train-labels-idx1-ubyte test-images-idx3-ubyte \
	test-labels-idx1-ubyte classes.txt; do
	cmp -s "$T/D-$s" "$T/E-$s" || _same=1
done
ok "the IDX files are the same with and without --audit" [ "$_same" -eq 0 ]
is "$(jf "$T/a.json" 'd["flagged"]')" "[8, 72, 136]" "the TTL of each packet is flagged"
is "$(jf "$T/a.json" '[d["positions"][i]["field"] for i in (8, 72, 136)]')" "['ttl', 'ttl', 'ttl']" \
	"the flagged positions are named ttl"
is "$(jf "$T/a.json" 'd["mask"]')" "ttl" "the suggested mask is ttl"
like "$err" "*audit position 8: mi 1.0024 bits (plug-in 1.0000), 2 values, ttl 100%: flagged*" \
	"stderr: position 8 with its MI, its values and its field"
like "$err" "*audit flagged positions 3 (mi >= 0.5000 bits, 0.50 of H(label)): remove with --mask ttl*" \
	"stderr: the mask that removes them"
like "$err" "*sessions written 300*audit images 300*" "the audit comes after the statistics"
is "$(jf "$T/a.json" '[(p["pos"], p["field"]) for p in d["positions"][:28] if p["field"]]')" \
	"[(2, 'iplen'), (3, 'iplen'), (4, 'ipid'), (5, 'ipid'), (8, 'ttl'), (10, 'ipcsum'), (11, 'ipcsum'), (12, 'saddr'), (13, 'saddr'), (14, 'saddr'), (15, 'saddr'), (16, 'daddr'), (17, 'daddr'), (18, 'daddr'), (19, 'daddr'), (20, 'sport'), (21, 'sport'), (22, 'dport'), (23, 'dport'), (24, 'udplen'), (25, 'udplen'), (26, 'l4csum'), (27, 'l4csum')]" \
	"the fields of the first row are those of an IPv4 and a UDP header"
run $PY "$CHK" "$T/a.json" "$T/D" train test
like "$out$err" "ok 300 images, 784 positions" "MI, entropy and counts agree with numpy"

for m in all ttl; do
	run "$FI" -q -o "$T/M$m" -c "$T/classes" --mask $m --audit="$T/m$m.json" "$T/f"
	is "$(jf "$T/m$m.json" '(d["flagged"], d["mask"], sum(p["flagged"] for p in d["positions"]))')" \
		"([], None, 0)" "after --mask $m: no flagged position"
	run $PY "$CHK" "$T/m$m.json" "$T/M$m"
	like "$out$err" "ok 300 images, 784 positions" "after --mask $m: MI agrees with numpy"
done
run "$FI" -o "$T/Mall2" -c "$T/classes" --mask all --audit "$T/f"
like "$err" "*audit part whole: images 300,*audit flagged positions 0 (mi >= 0.5000 bits, 0.50 of H(label))" "--audit without a file: the report on stderr, nothing flagged after --mask all"
run "$FI" -q -o "$T/Mq" -c "$T/classes" --audit "$T/f"
is "$err" "" "-q: no report on stderr"

# A threshold above 1 x H(label) (MM's estimate of a perfect predictor is a
# little above it) flags nothing; 0 flags every header position with MI > 0.
run "$FI" -q -o "$T/Th" -c "$T/classes" --audit-threshold 1 --audit="$T/t1.json" "$T/f"
is "$(jf "$T/t1.json" 'd["flagged"]')" "[8, 72, 136]" "--audit-threshold 1: MI 1.0024 >= 1 bit still flagged"
run "$FI" -q -o "$T/Th" -c "$T/classes" --audit-threshold 0 --audit="$T/t0.json" "$T/f"
is "$(jf "$T/t0.json" 'all(p["field"] not in (None, "iplen", "udplen") for p in d["positions"] if p["flagged"]) and len(d["flagged"]) > 3')" \
	"True" "--audit-threshold 0: more positions, only maskable header fields"

# Planted duplicates: the train part (one run) holds a1 and b1, and bx: the
# first 3 flows of a1 labelled b (identical images, conflicting labels,
# duplicates within the part); the test part (another run) holds a2 and
# b2, and 7 flows identical to a1's first 7 (in both parts).
mkdir -p "$T/tr/a" "$T/tr/b" "$T/te/a" "$T/te/b"
$PY "$MK" ttl-flows "$T/tr/a/a1.pcap" 64 1:100
$PY "$MK" ttl-flows "$T/tr/b/b1.pcap" 128 2:100
$PY "$MK" ttl-flows "$T/tr/b/bx.pcap" 64 1:3
$PY "$MK" ttl-flows "$T/te/a/a2.pcap" 64 3:50,1:7
$PY "$MK" ttl-flows "$T/te/b/b2.pcap" 128 4:50
"$PF" --label-dir "$T/tr/" | "$FI" -q -c "$T/classes" -o "$T/P-train"
"$PF" --label-dir "$T/te/" | "$FI" -q -c "$T/classes" -o "$T/P-test"
run "$FI" --audit-only --split train=0.5,test=0.5 -c "$T/classes" -o "$T/P" --audit="$T/p.json"
is "$status" 0 "--audit-only: exit 0"
is "$(jf "$T/p.json" '[(p["name"], p["images"], p["distinct"], p["duplicates"]) for p in d["parts"]]')" \
	"[('train', 203, 200, 3), ('test', 107, 107, 0)]" "images, distinct images and duplicates of each part"
is "$(jf "$T/p.json" '(d["duplicates_within_parts"]["images"], d["across_parts"]["images"], d["conflicting_labels"]["distinct"], d["conflicting_labels"]["images"])')" \
	"(3, 7, 3, 9)" "3 within the train part, 7 across parts, 3 images with two labels (9 copies)"
is "$(jf "$T/p.json" 'd["across_parts"]["examples"][0]')" \
	"[{'part': 'train', 'index': 0, 'class': 0}, {'part': 'test', 'index': 50, 'class': 0}]" \
	"an example: the first image of train is the 51st of test"
like "$err" "*audit across parts: part test image 50 class 0 = part train image 0 class 0*" \
	"stderr: the example"
run $PY "$CHK" "$T/p.json" "$T/P" train test
like "$out$err" "ok 310 images, 784 positions" "the planted set: counts and MI agree with numpy"
ls "$T" | grep -c '^P-' >"$T/n"
is "$(cat "$T/n")" "6" "--audit-only wrote nothing"

# Examples name the capture and first packet when the flow is known.
"$PF" --label-dir "$T/tr/" | "$FI" -q -c "$T/classes" --dedup none -o "$T/Q" --audit="$T/q.json"
is "$(jf "$T/q.json" 'd["conflicting_labels"]["examples"][0][1]["source"].endswith("tr/b/bx.pcap"), d["conflicting_labels"]["examples"][0][1]["first_pkt"]')" \
	"(True, 1)" "a flow's example names its capture and first packet"

# An empty data set (an empty classes.txt too).
"$FI" -q -o "$T/Z" </dev/null
run "$FI" --audit-only -o "$T/Z" --audit="$T/z.json"
is "$status:$(jf "$T/z.json" '(d["images"], d["positions"], d["mask"])')" "0:(0, [], None)" \
	"--audit-only on an empty data set: exit 0, nothing found"

# Errors.
run "$FI" --audit-only -o "$T/nothing"
is "$status" 1 "--audit-only on missing files: exit 1"
like "$err" "flow-idx: $T/nothing-images-idx3-ubyte: *" "--audit-only: the missing file named"
run "$FI" -o "$T/x" --audit-threshold 2 "$T/f"
is "$status" 2 "--audit-threshold 2: usage error"
run "$FI" -o "$T/x" --audit-only "$T/f"
is "$status" 2 "--audit-only with operands: usage error"
run "$FI" -o "$T/x" --audit= "$T/f"
is "$status" 2 "--audit= with an empty name: usage error"
run "$FI" -q -o "$T/x" --audit=/nonexistent/dir/a.json "$T/f"
is "$status" 1 "an audit file that cannot be written: exit 1"

done_testing
