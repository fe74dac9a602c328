#!/bin/sh
# flow-pic.t - FlowPic pictures: the original preset against an independent
# implementation (tests/flowpic_ref.py: tshark and numpy.histogram2d) on a
# crafted capture and real ones, byte for byte; NPY files that numpy loads
# with the documented shapes and dtypes; labels, appends, a kill mid-run,
# splits without leakage, the other presets and options, usage errors.
. "${0%/*}/lib.sh"

PY=/usr/bin/python3
REF=$FK_ROOT/tests/flowpic_ref.py
FP=$FK_BIN/flow-pic
PF=$FK_BIN/pcap-flows
[ -x "$FP" ] || skip_all "no $FP"
"$PY" -c 'import numpy' 2>/dev/null || skip_all "no numpy"
command -v tshark >/dev/null 2>&1 || skip_all "no tshark"

# flows CAPTURE OUT: the original's sessions: one per tuple and capture, the
# whole packet table.
flows() {
	"$PF" --no-split --max-pkts 262144 --bytes 0 --payload 0 "$@" 2>/dev/null
}

# load PREFIX: "N C H W dtype | N dtype | csv rows" as numpy sees the files.
load() {
	"$PY" - "$1" <<'EOF'
import sys, csv
import numpy as np
p = sys.argv[1]
x = np.load(p + "-X.npy")
y = np.load(p + "-y.npy")
rows = list(csv.DictReader(open(p + "-index.csv")))
print(" ".join(map(str, x.shape)), x.dtype, "|", " ".join(map(str, y.shape)), y.dtype, "|", len(rows))
EOF
}

"$PY" "$REF" craft "$T/craft.pcap" && "$PY" "$REF" gaps "$T/gaps.pcap" ||
	{ echo "Bail out! flowpic_ref.py craft failed"; exit 1; }

# ---- the original, byte for byte ----
for cap in "$T/craft.pcap" "$T/gaps.pcap" "$FK_DATA/rawip101_ocs_mobile.pcap" \
    "$FK_DATA/tcp_ooo_retrans_heuristic.pcap" "$FK_DATA/app_openvpn.pcapng" \
    "$FK_ROOT/../shared/pcaps/tcp_long_ftp_8k_pkts.pcap"; do
	n=${cap##*/}
	if [ ! -f "$cap" ]; then
		skip 2 "no $cap"
		continue
	fi
	flows "$cap" >"$T/c.flows"
	rm -f "$T"/o-*
	run "$FP" -q --flowpic-original -o "$T/o" "$T/c.flows"
	is "$status:$err" "0:" "$n: flow-pic --flowpic-original: exit 0, no message"
	"$PY" "$REF" check "$cap" "$T/o-X.npy" "$T/o-index.csv" >"$T/cmp" 2>&1
	st=$?
	ok "$n: every picture equals the reference's, byte for byte ($(tail -n 1 "$T/cmp"))" test "$st" -eq 0 ||
		diag "$(cat "$T/cmp")"
done

# The crafted capture's boundaries, as the reference found them.
flows "$T/craft.pcap" >"$T/craft.flows"
"$FP" -q -o "$T/o" "$T/craft.flows"
is "$(cut -d, -f8-16 "$T/o-index.csv")" "src,sport,dst,dport,dir,window,start,packets,drawn
10.0.0.1,1000,10.0.0.2,2000,up,0,0.000000,41,34
10.0.0.1,1000,10.0.0.2,2000,up,1,60.000000,41,34
10.0.0.1,1000,10.0.0.2,2000,down,0,0.000000,30,30
10.0.0.5,1002,10.0.0.6,2002,up,0,0.000000,12,12
10.0.0.7,1003,10.0.0.8,2003,up,0,0.000000,11,11
10.0.0.11,1005,10.0.0.12,2005,up,0,0.000000,11,11
10.0.0.11,1005,10.0.0.12,2005,up,1,60.000000,11,11" \
    "crafted: windows on the boundaries (both ends closed, span > 50 s, > 10 packets, sizes over 1500 not drawn)"
is "$(load "$T/o")" "7 1 1500 1500 uint16 | 7 int64 | 7" "numpy.load: X (N, 1, 1500, 1500) uint16, y (N,) int64"
is "$(head -c 128 "$T/o-X.npy" | tail -c +11 | sed 's/  *$/|/')" "{'descr': '<u2', 'fortran_order': False, 'shape': (7, 1, 1500, 1500), }|" "X.npy: version 1.0 header in 128 bytes"
is "$(od -An -tx1 -N10 "$T/o-X.npy" | tr -d ' ')" "934e554d505901007600" "X.npy: magic, version 1.0, header length 118"
is "$(cat "$T/o-classes.txt")" "" "unlabelled flows: classes.txt empty"
is "$("$PY" -c "import numpy as np; print(set(np.load('$T/o-y.npy').tolist()))")" "{255}" "unlabelled flows: class 255"

# ---- labels ----
"$PF" --no-split --max-pkts 262144 --bytes 0 --payload 0 -l chat "$T/craft.pcap" >"$T/chat.flows" 2>/dev/null
"$PF" --no-split --max-pkts 262144 --bytes 0 --payload 0 -l voip "$FK_DATA/app_openvpn.pcapng" >"$T/voip.flows" 2>/dev/null
run "$FP" -o "$T/l" "$T/chat.flows" "$T/voip.flows"
is "$status" 0 "labelled: exit 0"
like "$err" "*pictures written 9*class 0 7 chat*class 1 2 voip*" "labelled: statistics per class"
is "$(cat "$T/l-classes.txt")" "0 chat
1 voip" "labelled: classes.txt"
is "$("$PY" -c "import numpy as np; print(np.load('$T/l-y.npy').tolist())")" "[0, 0, 0, 0, 0, 0, 0, 1, 1]" "labelled: y"
is "$(cut -d, -f3,4 "$T/l-index.csv" | sort | uniq -c | tr -s ' ')" " 7 0,chat
 2 1,voip
 1 class,label" "labelled: the index names class and label"

# ---- append ----
cp "$T/l-X.npy" "$T/X1.npy"
run "$FP" -q -a -o "$T/l" "$T/voip.flows"
is "$status:$err" "0:" "append: exit 0"
is "$(load "$T/l")" "11 1 1500 1500 uint16 | 11 int64 | 11" "append: the shapes count the new rows"
is "$("$PY" - "$T" <<'EOF'
import sys
import numpy as np
t = sys.argv[1]
x, old = np.load(t + "/l-X.npy"), np.load(t + "/X1.npy")
print(bool((x[:9] == old).all()), bool((x[9:] == old[7:]).all()), np.load(t + "/l-y.npy").tolist()[9:])
EOF
)" "True True [1, 1]" "append: old rows kept, new rows after them, labels by the old classes"
is "$(cut -d, -f1 "$T/l-index.csv" | tail -n 3 | tr '\n' ' ')" "8 9 10 " "append: index rows go on"
"$FP" -q -o "$T/x" "$T/voip.flows"
run "$FP" -q -a -o "$T/x" --mini "$T/voip.flows"
like "$status:$err" "1:flow-pic: $T/x-X.npy: holds <u2 in 4 dimensions, not <u1 in 4*" "append with other pictures: refused"
is "$(load "$T/x")" "2 1 1500 1500 uint16 | 2 int64 | 2" "append refused: the data set is unchanged"

# Files that numpy.save made (its own header layout) can be appended to.
"$PY" - "$T/np" <<'EOF'
import sys
import numpy as np
p = sys.argv[1]
np.save(p + "-X.npy", np.ones((2, 1, 1500, 1500), np.uint16))
np.save(p + "-y.npy", np.array([0, 0], np.int64))
open(p + "-index.csv", "w").write("row,split\n0,\n1,\n")
open(p + "-classes.txt", "w").write("0 old\n")
EOF
run "$FP" -q -a -o "$T/np" "$T/voip.flows"
is "$status:$err:$(load "$T/np"):$(tr '\n' ' ' <"$T/np-classes.txt")" \
    "0::4 1 1500 1500 uint16 | 4 int64 | 4:0 old 1 voip " "append to files numpy.save made"

# ---- a kill mid-run leaves the previous data set ----
cp "$T/l-X.npy" "$T/X2.npy"
mkfifo "$T/fifo"
"$FP" -q -a -o "$T/l" "$T/fifo" 2>/dev/null &
pid=$!
exec 3>"$T/fifo"
cat "$T/chat.flows" >&3
i=0
while [ $i -lt 100 ] && ! ls "$T"/l-X.npy.tmp.* >/dev/null 2>&1; do sleep 0.1; i=$((i + 1)); done
sleep 0.5
kill -KILL $pid
wait $pid 2>/dev/null
exec 3>&-
ok "kill -9 mid-run: the files are the previous ones" cmp -s "$T/l-X.npy" "$T/X2.npy"
is "$(load "$T/l")" "11 1 1500 1500 uint16 | 11 int64 | 11" "kill -9 mid-run: they load with their shapes"
rm -f "$T"/l-*.tmp.*
"$FP" -q -a -o "$T/l" "$T/fifo" 2>/dev/null &
pid=$!
exec 3>"$T/fifo"
cat "$T/chat.flows" >&3
sleep 1
kill -TERM $pid
wait $pid 2>/dev/null
exec 3>&-
is "$(ls "$T" | grep -c '\.tmp\.')" 0 "kill -TERM mid-run: no temporary left"
ok "kill -TERM mid-run: the files are the previous ones" cmp -s "$T/l-X.npy" "$T/X2.npy"

# ---- a failed input: nothing written ----
rm -f "$T"/f-*
size=$(wc -c <"$T/chat.flows")
head -c $((size - 40)) "$T/chat.flows" >"$T/cut.flows"
run "$FP" -o "$T/f" "$T/voip.flows" "$T/cut.flows"
like "$status:$err" "1:flow-pic: $T/cut.flows: *truncated*flow-pic: $T/f: not written" "input cut short: exit 1"
is "$(ls "$T" | grep -c '^f-')" 0 "input cut short: no data set"

# ---- a write error (a file-size limit: EFBIG) ----
status=0
(ulimit -f 2000; exec "$FP" -q -o "$T/w" "$T/chat.flows") 2>"$T/err" || status=$?
like "$status:$(cat "$T/err")" "1:flow-pic: $T/w-X.npy*: write error: File too large*" "write error: exit 1, message"
is "$(ls "$T" | grep -c '^w-')" 0 "write error: no data set, no temporary"

# ---- dedup and caps ----
run "$FP" -o "$T/dd" --dedup all "$T/voip.flows" "$T/voip.flows" "$T/chat.flows"
like "$status:$err" "0:*duplicates removed 2*pictures written 9*" "--dedup all: the second copy of each picture dropped"
run "$FP" -o "$T/cap" --max-per-class 3 "$T/chat.flows" "$T/voip.flows" "$T/chat.flows"
like "$status:$err" "0:*over class cap 11*pictures written 5*class 0 3 chat*class 1 2 voip*" \
    "--max-per-class 3: the first 3 pictures of a class"

# ---- splits: the windows of a flow stay in one part ----
run "$FP" -q --mini --split train=0.5,test=0.5 --seed 3 -o "$T/s" "$T/chat.flows" "$T/voip.flows"
is "$status" 0 "split: exit 0"
is "$("$PY" - "$T/s" <<'EOF'
import sys, csv
import numpy as np
p = sys.argv[1]
parts, n = {}, {}
for s in ("train", "test"):
    rows = list(csv.DictReader(open("%s-%s-index.csv" % (p, s))))
    n[s] = len(rows)
    assert np.load("%s-%s-X.npy" % (p, s)).shape[0] == len(rows)
    for r in rows:
        assert r["split"] == s
        key = (r["file"], r["first_packet"], r["proto"], r["src"], r["sport"], r["dst"], r["dport"])
        parts.setdefault(key, set()).add(s)
print(len(parts), "flows", sum(len(v) > 1 for v in parts.values()), "in two parts",
      "both parts used" if min(n.values()) > 0 else "a part empty")
EOF
)" "9 flows 0 in two parts both parts used" "split: no flow has windows in two parts"
run "$FP" -q --mini --split train=0.5,test=0.5 --seed 3 -o "$T/s2" "$T/voip.flows" "$T/chat.flows"
ok "split: the same flows go to the same parts whatever the order" \
    test "$(cut -d, -f2,5- "$T/s-train-index.csv" | sort)" = "$(cut -d, -f2,5- "$T/s2-train-index.csv" | sort)"

# ---- presets and options ----
run "$FP" -q --mini -o "$T/m" "$T/chat.flows"
is "$(load "$T/m")" "8 1 32 32 uint8 | 8 int64 | 8" "--mini: (N, 1, 32, 32) uint8, 15 s windows"
run "$FP" -q --mini --dir split -o "$T/m2" "$T/chat.flows"
is "$(load "$T/m2" | cut -d' ' -f2-5)" "2 32 32 uint8" "--dir split: two channels"
is "$("$PY" -c "
import numpy as np
x = np.load('$T/m2-X.npy')
print(int(x[:, 0].sum()) > 0, int(x[:, 1].sum()) > 0)")" "True True" "--dir split: both directions drawn"
run "$FP" -q --bins 64 --dtype float32 --norm max -o "$T/m3" "$T/chat.flows"
is "$("$PY" -c "
import numpy as np
x = np.load('$T/m3-X.npy')
print(x.shape, x.dtype, sorted(set(x.reshape(len(x), -1).max(axis=1).tolist())))")" "(7, 1, 64, 64) float32 [1.0]" \
    "--norm max --dtype float32: each picture scaled to a maximum of 1"
run "$FP" -q --bins 4 --axis fixed --norm clip --clip 3 --dtype uint8 -o "$T/m4" "$T/chat.flows"
is "$("$PY" -c "
import numpy as np
x = np.load('$T/m4-X.npy')
print(x.shape, int(x.max()))")" "(7, 1, 4, 4) 3" "--norm clip --clip 3: counts clipped"
run "$FP" -q --window 30 --step 10 --min-span 0 -o "$T/m5" "$T/chat.flows"
like "$(cut -d, -f12,13,14 "$T/m5-index.csv" | sed -n 2,4p | tr '\n' ' ')" "up,0,0.000000 up,1,10.000000 up,2,20.000000 " \
    "--window 30 --step 10: overlapping windows every 10 s"

# ---- sparse output ----
run "$FP" -q --sparse -o "$T/sp" "$T/chat.flows" "$T/voip.flows"
is "$status:$err" "0:" "--sparse: exit 0"
run "$FP" -q --sparse -a -o "$T/sp" "$T/voip.flows"
"$FP" -q -o "$T/dn" "$T/chat.flows" "$T/voip.flows" "$T/voip.flows"
is "$("$PY" - "$T" <<'EOF'
import sys
import numpy as np
t = sys.argv[1]
c, y, d = np.load(t + "/sp-Xcoo.npy"), np.load(t + "/sp-y.npy"), np.load(t + "/dn-X.npy")
x = np.zeros(d.shape, d.dtype)
x[c[:, 0], c[:, 1], c[:, 2], c[:, 3]] = c[:, 4]
print(c.dtype, c.shape[1], len(y), bool((x == d).all()), int((c[:, 4] == 0).sum()))
EOF
)" "uint32 5 11 True 0" "--sparse (and an append to it): the COO cells rebuild the dense pictures"
run "$FP" -q --sparse --dtype float32 -o "$T/u" "$T/chat.flows"
is "$status" 2 "--sparse --dtype float32: usage error"

# ---- memory: bounded by a picture and a record, not by the number of flows ----
if [ -x /usr/bin/time ] && [ -z "${FK_SANITIZED:-}" ]; then
	cp "$T/chat.flows" "$T/many.flows"
	for _ in 1 2 3 4 5 6 7 8; do cat "$T/many.flows" "$T/many.flows" >"$T/m2.flows" && mv "$T/m2.flows" "$T/many.flows"; done
	# time's own file: the tools' warnings (an empty part) stay out of it
	/usr/bin/time -o "$T/rss1" -f %M "$FP" -q --split a=0.5,b=0.5 -o "$T/r1" "$T/chat.flows" 2>/dev/null
	/usr/bin/time -o "$T/rss2" -f %M "$FP" -q --split a=0.5,b=0.5 --sparse -o "$T/r2" "$T/many.flows" 2>/dev/null
	ok "peak RSS with 256 times the flows: $(cat "$T/rss2") KiB against $(cat "$T/rss1") KiB" \
	    test "$(cat "$T/rss2")" -le $(($(cat "$T/rss1") * 12 / 10))
	rm -f "$T"/r1-* "$T"/r2-* "$T/many.flows"
else
	skip 1 "no /usr/bin/time, or under a sanitizer"
fi

# ---- hostile times: packets 20 years apart, 1 ms windows: gaps cost nothing ----
"$PY" - >"$T/far.jsonl" <<'EOF'
import json
n, gap = 24, 20 * 365 * 86400 * 10**9 // 23
t = [(i // 2) * gap + (i % 2) * 10**6 for i in range(n)]
print(json.dumps({"flowrec": "1.0", "creator": "flowkit 0.1.0", "provenance": []}))
print(json.dumps({"ipv": 4, "proto": 17, "src": "10.9.9.1", "sport": 1, "dst": "10.9.9.2", "dport": 2,
    "first_ns": 10**18, "last_ns": 10**18 + t[-1], "src_pkts": n, "dst_pkts": 0, "src_bytes": 100 * n,
    "dst_bytes": 0, "src_l3_bytes": 100 * n, "dst_l3_bytes": 0, "src_tcp_flags": 0, "dst_tcp_flags": 0,
    "end": "eof", "flags": [], "packets": {"t_ns": t, "wire_len": [100] * n, "ip_len": [86] * n,
    "l4_len": [66] * n, "payload_len": [58] * n, "dir": [0] * n, "pflags": [0] * n, "ttl": [64] * n,
    "tos": [0] * n, "tcp_flags": [0] * n, "window": [0] * n}}))
EOF
"$FK_BIN/flow-json" -r "$T/far.jsonl" >"$T/far.flows" 2>"$T/err" || diag "$(cat "$T/err")"
status=0
timeout 20 "$FP" -q --window 0.002 --step 0.001 --min-flow-pkts 0 --min-pkts 0 --min-span 0 --bins 8 \
    -o "$T/far" "$T/far.flows" || status=$?
like "$status:$(cut -d, -f13 "$T/far-index.csv" | sed -n 2,3p | tr '\n' ' ')" "0:[0-9]* [0-9]* " \
    "pairs of packets 1 ms apart, 10 years between pairs, 1 ms steps: done at once"
# Each pair is in the one 2 ms window that starts in the millisecond before
# it; the last pair's is the trailing partial window.
is "$(($(wc -l <"$T/far-index.csv") - 1))" 11 "... each pair but the last in the window that holds both"

# ---- the PNG preview: a known flow, checked once by eye, kept as a golden ----
"$PF" --no-split --max-pkts 262144 --bytes 0 --payload 0 -l crafted "$T/craft.pcap" >"$T/cr.flows" 2>/dev/null
run "$FP" -q --dir split --bins 100 -o "$T/pv" --preview "$T/pv.png" "$T/cr.flows"
is "$status:$err" "0:" "--preview: exit 0"
is "$("$PY" "$REF" pngpix "$T/pv.png")" "$("$PY" "$REF" pngpix "$FK_DATA/flowpic_crafted_split.png")" \
    "--preview --dir split: the pixels of the golden (tests/data/flowpic_crafted_split.png)"
rm -f "$T"/pv*
size=$(wc -c <"$T/cr.flows")
head -c $((size - 40)) "$T/cr.flows" >"$T/crcut.flows"
run "$FP" -q -o "$T/pv" --preview "$T/pv.png" "$T/crcut.flows"
is "$status:$(ls "$T" | grep -c '^pv')" "1:0" "--preview, input cut short: no picture, no data set"

"$FP" -q --axis fixed --time-bins 2 --size-bins 1 -o "$T/tr1" "$T/chat.flows"
"$FP" -q --axis fixed --time-range 0:30 --time-bins 1 --size-bins 1 -o "$T/tr2" "$T/chat.flows"
is "$("$PY" -c "
import numpy as np
a, b = np.load('$T/tr1-X.npy').astype(int), np.load('$T/tr2-X.npy').astype(int)
# [0, 30] closed: the first half of [0, 60] and the packets on 30 s
print(bool((b[:, 0, 0, 0] >= a[:, 0, 0, 0]).all()), bool((b[:, 0, 0, 0] < a.sum(axis=(1, 2, 3))).all()))")" \
    "True True" "--time-range 0:30: the first half of each window"

# ---- usage ----
for a in "" "-o -" "-o $T/u --time-range 0:30" "-o $T/u --bins 0" "-o $T/u --window 0" "-o $T/u --dir sideways" "-o $T/u --size-range 9:3"; do
	run "$FP" $a "$T/chat.flows"
	like "$status:$err" "2:flow-pic: *" "usage error ($a): exit 2 with a message"
done
done_testing
