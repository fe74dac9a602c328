#!/bin/sh
# flow-stats.t - flow-stats' features: values computed by hand on a small
# fixture (tests/data/stats.jsonl) and on a real capture (dns_tcp.pcap);
# every column of every flow of every test capture recomputed with numpy
# and exact rationals by tests/stats_check.py (full, flowkit and wa1kpcap
# sets, two idle gaps, capped tables); CSV and TSV against the JSON Lines;
# usage errors.
#
# Hand values, tests/data/stats.jsonl flow 1: wire lengths 100 60 100 60
# (mean 80, population std 20, skew 0, excess kurtosis 1 - 3 = -2); times
# 0 1 3 10 s, so IATs 1 2 7 (mean 10/3, median 2, skewness
# (308/27) / (186/27)^1.5 = 0.6309...); with the 5 s idle gap the active
# periods are 0..3 s and 10..10 s (2 of them, mean 1.5) and one idle
# period of 7 s; 4 bursts of one packet; 4 packets in 10 s = 0.4/s; 120 of
# 200 bytes back = 0.6.  Flow 2 has one packet: deviations and IATs 0,
# one active period of 0 s, no rate (0 s).  Flow 3 has no PACKETS: the
# sequence columns are empty, the rates come from the core (2 in 2 us).
#
# dns_tcp.pcap, the responder's 5 frames: 60 60 280 60 60 bytes: sum 520,
# mean 104, deviations -44 -44 176 -44 -44: variance 38720 / 5 = 7744, std
# 88, m3 = 5111040 / 5, skewness 1022208 / 88^3 = 1.5, m4 = 974504960 / 5,
# kurtosis 194900992 / 7744^2 - 3 = 0.25; all 11 frames: sum 922, median 60.
. "${0%/*}/lib.sh"

FS=$FK_BIN/flow-stats
FJ=$FK_BIN/flow-json
PF=$FK_BIN/pcap-flows
[ -x "$FS" ] || skip_all "no $FS"
PY=/usr/bin/python3
$PY -c 'import numpy' 2>/dev/null || skip_all "no numpy in $PY"

# --- hand values ------------------------------------------------------------
"$FJ" -r "$FK_DATA/stats.jsonl" >"$T/st.flows"
run "$FS" -c label,pkts,wire_len_mean,wire_len_std,wire_len_skew,wire_len_kurt,iat_mean,iat_median,iat_skew,active_count,active_mean,idle_sum,burst_pkts_count,src_init_win,dst_init_win,src_syn_count,dst_ack_count,splt_len_2,splt_dir_2,pkts_per_s,down_up_bytes,end "$T/st.flows"
is "$status:$err" "0:" "hand fixture: exit 0, no message"
cat >"$T/want" <<'EOF'
label,pkts,wire_len_mean,wire_len_std,wire_len_skew,wire_len_kurt,iat_mean,iat_median,iat_skew,active_count,active_mean,idle_sum,burst_pkts_count,src_init_win,dst_init_win,src_syn_count,dst_ack_count,splt_len_2,splt_dir_2,pkts_per_s,down_up_bytes,end
"web, ""plain""",4,80,20,0,-2,3.3333333333333335,2,0.6309038567106239,2,1.5,7,4,1000,2000,1,2,46,1,0.4,0.6,fin
,1,70,0,0,0,0,0,0,1,0,0,1,,,0,0,-1,-1,0,0,eof
,2,,,,,,,,,,,,,,,,,,1000000,1,idle
EOF
is_file "$T/out" "$T/want" "hand fixture: the values computed by hand (CSV quoting a label)"

"$PF" "$FK_DATA/dns_tcp.pcap" >"$T/dns.flows" 2>/dev/null
run "$FS" -c dst_wire_len_sum,dst_wire_len_mean,dst_wire_len_var,dst_wire_len_std,dst_wire_len_skew,dst_wire_len_kurt,wire_len_sum,wire_len_median "$T/dns.flows"
is "$out" "dst_wire_len_sum,dst_wire_len_mean,dst_wire_len_var,dst_wire_len_std,dst_wire_len_skew,dst_wire_len_kurt,wire_len_sum,wire_len_median
520,104,7744,88,1.5,0.25,922,60" "dns_tcp.pcap: moments computed by hand, exactly"

# --- the cross-check on every test capture ----------------------------------
for f in "$FK_DATA"/*.pcap "$FK_DATA"/*.pcapng; do "$PF" "$f" 2>/dev/null; done >"$T/all.flows"
for f in "$FK_DATA"/*.pcap "$FK_DATA"/*.pcapng; do "$PF" --max-pkts 3 "$f" 2>/dev/null; done >"$T/cap.flows"
"$FJ" -r "$FK_DATA/stats.jsonl" >>"$T/all.flows"
"$FJ" -p "$T/all.flows" >"$T/all.jsonl"
"$FJ" -p "$T/cap.flows" >"$T/cap.jsonl"
n=$(grep -c . "$T/all.jsonl")
ok "the captures give flows ($n)" [ "$n" -gt 400 ]
extra=$(echo splt_len_1 splt_len_12 splt_dir_1 splt_dir_12 src_init_win dst_init_win \
    src_pkts_per_s dst_bytes_per_s pkts_stored row iat_p10 src_wire_len_p99.5 label end | tr ' ' ,)
check() { # NAME GAP JSONL FLOWS FLOW-STATS-ARGS...
	name=$1 gap=$2 pk=$3 fl=$4
	shift 4
	"$FS" -f jsonl "$@" "$fl" >"$T/rows.jsonl"
	run $PY "$FK_ROOT/tests/stats_check.py" "$pk" "$T/rows.jsonl" "$gap"
	diag "$name: $(tail -n 1 "$T/out")$err"
	is "$status" 0 "$name: numpy agrees with every value"
	[ "$status" = 0 ] || diag "$(head -n 20 "$T/out")"
}
check "full set" 5 "$T/all.jsonl" "$T/all.flows" --set full -c "$extra"
check "50 ms idle gap" 0.05 "$T/all.jsonl" "$T/all.flows" --idle-gap 0.05 -c active_count,active_sum,active_mean,active_std,active_max,src_idle_count,src_idle_sum,dst_idle_max,idle_median
check "flowkit set" 5 "$T/all.jsonl" "$T/all.flows"
check "wa1kpcap set" 5 "$T/all.jsonl" "$T/all.flows" --set wa1kpcap
check "capped tables (--max-pkts 3)" 5 "$T/cap.jsonl" "$T/cap.flows" -c "$extra,wire_len_mean,iat_std,src_syn_count,burst_pkts_max"

# Past the table: a flow capped at 3 packets has the moment statistics of
# the whole flow, from pcap-flows' running aggregates (FEATURES "fk.*"):
# counts, sums, minima and maxima equal, the others within 1e-12 (one pass
# against two).  Medians stay empty.
mom=$(for s in wire_len ip_len l4_len payload_len iat; do for d in "" src_ dst_; do
	for st in count sum mean std var skew kurt cv min max range; do printf '%s%s_%s,' "$d" "$s" "$st"; done
done; done)
mom="${mom}src_syn_count,dst_ack_count,src_fin_count"
"$FS" -f jsonl -c "$mom" "$T/all.flows" | head -n "$(grep -c . "$T/cap.jsonl")" >"$T/full.rows"
"$FS" -f jsonl -c "$mom,wire_len_median,stats_capped" "$T/cap.flows" >"$T/cap.rows"
run $PY - "$T/full.rows" "$T/cap.rows" <<'EOF'
import json, sys
full = [json.loads(l) for l in open(sys.argv[1])]
cap = [json.loads(l) for l in open(sys.argv[2])]
assert len(full) == len(cap), (len(full), len(cap))
capped = bad = 0
for i, (a, b) in enumerate(zip(full, cap), 1):
    if not b["stats_capped"]:
        continue
    capped += 1
    assert b["wire_len_median"] is None, i
    for k, v in a.items():
        w = b[k]
        exact = k.endswith(("count", "sum", "min", "max", "range")) or (k.endswith("mean") and "iat" not in k)
        unitless = k.endswith(("skew", "kurt", "cv"))
        # One pass against two: a variance loses digits to the square of
        # the mean (cancellation), so its bound is relative to that scale.
        scale = abs(v)
        if k.endswith(("_var", "_std")):
            m = abs(a[k[:-3] + "mean"])
            scale += m * m if k.endswith("_var") else m
        if w is None or (w != v if exact else abs(w - v) > 1e-12 * (max(abs(v), 1) if unitless else scale)):
            print("row", i, k, v, w)
            bad += 1
assert capped > 50, capped
print("ok" if not bad else "bad")
EOF
is "$status:$out$err" "0:ok" "capped at 3: the moments of the whole flow, as without a cap"

# Damaged running aggregates (a negative second moment) give empty cells,
# never a negative variance, nan or inf.
"$PF" --max-pkts 3 "$FK_DATA/dns_tcp.pcap" | "$FJ" |
	sed 's/"fk.wire_len.all.m2":[-0-9.e+]*/"fk.wire_len.all.m2":-1e308/' | "$FJ" -r >"$T/bad.flows"
run "$FS" -c wire_len_var,wire_len_std,stats_capped "$T/bad.flows"
is "$out" "wire_len_var,wire_len_std,stats_capped
,,1" "damaged aggregates: empty cells"

# The nfstream set: NFStream's names over flowkit's columns (ps the wire
# length, stddev the sample deviation, piat in ms, flags per direction).
"$FS" --set nfstream -f jsonl "$T/all.flows" >"$T/nf.jsonl"
"$FS" --set full -f jsonl "$T/all.flows" >"$T/fk.jsonl"
run $PY - "$T/nf.jsonl" "$T/fk.jsonl" <<'EOF'
import json, sys
nd = {"bidirectional": "", "src2dst": "src_", "dst2src": "dst_"}
st = {"min": "min", "mean": "mean", "stddev": "sstd", "max": "max"}
n = 0
for a, b in zip(open(sys.argv[1]), open(sys.argv[2])):
    a, b = json.loads(a), json.loads(b)
    for k, v in a.items():
        p = k.split("_")
        if p[0] not in nd:
            assert k not in b or v == b[k], (k, v, b[k])
            continue
        d = nd[p[0]]
        if k.endswith("_ps"):
            w = b[d + "wire_len_" + st[p[1]]]
        elif k.endswith("_piat_ms"):
            w = b[d + "iat_" + st[p[1]]]
            w = None if w is None else w * 1000
        elif p[1] in ("packets", "bytes"):
            w = b[d + "wire_len_" + ("count" if p[1] == "packets" else "sum")]
        else:
            c = [b[x + p[1] + "_count"] for x in ("src_", "dst_")]
            w = (None if None in c else sum(c)) if d == "" else b[d + p[1] + "_count"]
        assert v == w, (k, v, w)
        n += 1
print("ok" if n > 1000 else n)
EOF
is "$status:$out$err" "0:ok" "nfstream set: NFStream's names over the flowkit values"

# A capped table gives empty medians and says so.
run "$FS" -c stats_capped,pkts_stored,wire_len_median,splt_len_3,splt_len_4 "$T/cap.flows"
like "$out" "*
1,3,,*,
*" "capped: stats_capped 1, the statistics and SPLT past the table empty"
run "$FS" --partial -c stats_capped,wire_len_count "$T/cap.flows"
like "$out" "*
1,3
*" "--partial: the capped table's packets are counted"

# --- formats ----------------------------------------------------------------
# CSV (Python's csv module, RFC 4180) and TSV give the same values as JSON Lines.
"$FS" -f jsonl "$T/all.flows" >"$T/f.jsonl"
"$FS" "$T/all.flows" >"$T/f.csv"
"$FS" -f tsv "$T/all.flows" >"$T/f.tsv"
run $PY - "$T/f.jsonl" "$T/f.csv" "$T/f.tsv" <<'EOF'
import csv, json, sys
rows = [json.loads(l) for l in open(sys.argv[1])]
def cell(v):
    return "" if v is None else v if isinstance(v, str) else json.dumps(v)
for path, delim in ((sys.argv[2], ","), (sys.argv[3], "\t")):
    with open(path, newline="") as fp:
        r = list(csv.reader(fp, delimiter=delim, quoting=csv.QUOTE_MINIMAL if delim == "," else csv.QUOTE_NONE))
    assert r[0] == list(rows[0].keys()), (path, "header")
    assert len(r) == len(rows) + 1, (path, len(r))
    for got, want in zip(r[1:], rows):
        w = [cell(v) for v in want.values()]
        if delim == "\t":
            w = [x.replace("\\", "\\\\").replace("\t", "\\t") for x in w]
        assert got == w, (path, got, w)
print("ok")
EOF
is "$status:$out" "0:ok" "CSV and TSV hold the JSON Lines' values, header first"
ok "no nan or inf anywhere" sh -c "! grep -qiE 'nan|inf' '$T/f.csv'"
run "$FS" --no-header -c pkts "$T/st.flows"
is "$out" "4
1
2" "--no-header"

# NPY: the matrix holds the JSON Lines' numbers (NaN for an empty cell,
# enumerations as numbers), the label vector the class numbers in order of
# first appearance, and the two text files the names.
"$FS" -f npy -o "$T/m.npy" -c pkts,end,wire_len_mean,label,iat_p75,src_init_win "$T/all.flows"
"$FS" -f jsonl -c pkts,end,wire_len_mean,label,iat_p75,src_init_win "$T/all.flows" >"$T/m.jsonl"
run $PY - "$T/m.npy" "$T/m.jsonl" "$T/m.labels.npy" "$T/m.columns.txt" "$T/m.classes.txt" <<'EOF'
import json, sys
import numpy as np
m, lab = np.load(sys.argv[1]), np.load(sys.argv[3])
rows = [json.loads(l) for l in open(sys.argv[2])]
cols = open(sys.argv[4]).read().split("\n")[:-1]
classes = open(sys.argv[5]).read().split("\n")[:-1]
ends = {"unknown": 0, "fin": 1, "rst": 2, "idle": 3, "active": 4, "eof": 5, "evicted": 6, "reused": 7}
assert m.dtype == np.float64 and lab.dtype == np.int64, (m.dtype, lab.dtype)
assert m.shape == (len(rows), 5) and lab.shape == (len(rows),), (m.shape, lab.shape)
assert cols == ["pkts", "end", "wire_len_mean", "iat_p75", "src_init_win"], cols
seen = []
for i, r in enumerate(rows):
    for j, c in enumerate(cols):
        v = r[c]
        v = ends[v] if c == "end" else v
        assert (np.isnan(m[i, j]) if v is None else m[i, j] == v), (i, c, m[i, j], v)
    if r["label"] is None:
        assert lab[i] == -1
    else:
        if r["label"] not in seen:
            seen.append(r["label"])
        assert lab[i] == seen.index(r["label"]), (i, lab[i])
assert classes == seen, (classes, seen)
print("ok")
EOF
is "$status:$out$err" "0:ok" "NPY: matrix, label vector, column and class names"
n=$(grep -c . "$T/m.jsonl")
is "$(head -c 128 "$T/m.npy" | tail -c +11 | sed 's/  *$/|/')$(head -c 128 "$T/m.labels.npy" | tail -c +11 | sed 's/  *$/|/')" \
    "{'descr': '<f8', 'fortran_order': False, 'shape': ($n, 5), }|{'descr': '<i8', 'fortran_order': False, 'shape': ($n,), }|" \
    "NPY: version 1.0 headers in 128 bytes, the shapes as numpy writes them"
run "$FS" -f npy -o "$T/n.npy" -c src "$T/st.flows"
is "$status" 2 "NPY: a text column other than the label is refused"
run "$FS" -f npy "$T/st.flows"
is "$status" 2 "NPY: -o is required"

# --- summaries --------------------------------------------------------------
# Groups recomputed in python from flow-json's records: flows, packets,
# bytes, duration per (proto, dst/16), ordered by bytes then key text.
"$FS" -s proto,dst/16 -f jsonl "$T/all.flows" >"$T/sum.jsonl"
"$FJ" "$T/all.flows" >"$T/core.jsonl"
run $PY - "$T/core.jsonl" "$T/sum.jsonl" <<'EOF'
import ipaddress, json, sys
g = {}
for l in open(sys.argv[1]):
    f = json.loads(l)
    a = ipaddress.ip_address(f["dst"])
    net = ipaddress.ip_network("%s/16" % a, strict=False) if a.version == 4 else ipaddress.ip_network("%s/16" % a, strict=False)
    k = (str(f["proto"]), "%s/16" % net.network_address)
    v = g.setdefault(k, [0, 0, 0, 0])
    v[0] += 1
    v[1] += f["src_pkts"] + f["dst_pkts"]
    v[2] += f["src_bytes"] + f["dst_bytes"]
    v[3] += f["last_ns"] - f["first_ns"]
want = sorted(g.items(), key=lambda kv: (-kv[1][2], "\t".join(kv[0]).encode()))
got = [json.loads(l) for l in open(sys.argv[2])]
assert len(got) == len(want), (len(got), len(want))
for r, (k, v) in zip(got, want):
    assert (r["proto"], r["dst/16"]) == k, (r, k)
    assert [r["flows"], r["pkts"], r["bytes"]] == v[:3], (r, v)
    assert r["duration_s"] == v[3] / 1e9, (r, v)
print("ok")
EOF
is "$status:$out$err" "0:ok" "-s proto,dst/16: the groups python makes, in order"
run "$FS" -s total "$T/st.flows"
is "$out" "flows  pkts  bytes  duration_s
    3     7    570   10.000002" "-s total: one line of totals, aligned"
run "$FS" -s label -n 1 --by flows -f csv "$T/st.flows"
is "$out" "label,flows,pkts,bytes,duration_s
,2,3,250,2e-06" "-n 1 --by flows: the largest group (no label), CSV"
# Time bins (--bin): by hand, the fixture's flows start at 1 s, 5 us and
# 7 us; 1 s bins put the last two in bin 0 (1 + 2 packets, 70 + 180 bytes,
# 0 + 2 us) and the first alone in bin 1; 6 us bins put them at 0, 0.000006
# and 999996 us (1e9 ns rounded down to a multiple of 6000).
run "$FS" -s total --bin 1 "$T/st.flows"
is "$out" "bin_start  flows  pkts  bytes  duration_s
0              2     3    250       2e-06
1              1     4    320          10" "--bin 1: flows, packets, bytes per bin, in time order"
run "$FS" -s proto --bin 0.000006 -f csv "$T/st.flows"
is "$out" "bin_start,proto,flows,pkts,bytes,duration_s
0,17,1,1,70,0
0.000006,17,1,2,180,2e-06
0.999996,6,1,4,320,10" "--bin 0.000006 with a key, CSV: bins rounded down, time order"
run "$FS" -s proto --bin 1 -f jsonl "$T/st.flows"
is "$out" '{"bin_start":"0","proto":"17","flows":2,"pkts":3,"bytes":250,"duration_s":2e-06}
{"bin_start":"1","proto":"6","flows":1,"pkts":4,"bytes":320,"duration_s":10}' "--bin, JSON Lines"
run "$FS" -s total --bin 0 "$T/st.flows"
is "$status" 2 "--bin 0: usage error"
run "$FS" --bin 60 "$T/st.flows"
is "$status" 2 "--bin without -s: usage error"
run "$FS" -s sport --max-groups 2 "$T/st.flows"
is "$status" 1 "--max-groups exceeded: exit 1"
like "$err" "flow-stats: -s: more than 2 groups*" "--max-groups exceeded: a message"
run "$FS" -s sport/8 "$T/st.flows"
is "$status" 2 "a prefix on a field that is not an address: usage error"

# --- the cicflowmeter set ----------------------------------------------------
# dns_tcp.pcap by hand (flow-json -p gives the arrays): the initiator's IP
# lengths 60 40 98 40 40 40 (sum 318, mean 53, squared deviations 2750,
# sample std sqrt(550) = 23.452...), the responder's 44 40 266 40 40 (430,
# 86); all 11: sum 748, mean 68, sample variance 46232 / 10 = 4623.2.
# Times 0 .. 380967 us: duration 380967, 10 gaps (mean 38096.7, max 126619,
# min 40); forward times 0 126771 127034 252931 254555 380967 (IAT total
# 380967, min 263), backward 126619 .. 380895 (total 254276, min 549).
# Headers: IP + TCP 20 + 40 (SYN) + 4 x 40 = 260 forward.  Flags: FIN on 2
# packets, PSH on 3 (1 forward), ACK on 10; windows 64240 first both ways.
# Compat: payloads 58 and 226 (TotLen), the first packet (0 bytes) twice
# among 12 lengths (mean 284 / 12, sample variance 4338.06...; Pkt Size Avg
# 284 / 11), TCP headers only (140, 104), Fwd Seg Size Min the smallest TCP
# header (20), PSH of the first packet only (0 0), the last backward window
# (64239), Down/Up 5 / 6 in integers (0), no gap over 1 s: subflows 0, no
# active period (0), no idle (the flow ended with FIN).
run "$FS" --set cicflowmeter "$T/dns.flows"
cat >"$T/want" <<'EOF'
Flow ID,Src IP,Src Port,Dst IP,Dst Port,Protocol,Timestamp,Flow Duration,Tot Fwd Pkts,Tot Bwd Pkts,TotLen Fwd Pkts,TotLen Bwd Pkts,Fwd Pkt Len Max,Fwd Pkt Len Min,Fwd Pkt Len Mean,Fwd Pkt Len Std,Bwd Pkt Len Max,Bwd Pkt Len Min,Bwd Pkt Len Mean,Bwd Pkt Len Std,Flow Byts/s,Flow Pkts/s,Flow IAT Mean,Flow IAT Std,Flow IAT Max,Flow IAT Min,Fwd IAT Tot,Fwd IAT Mean,Fwd IAT Std,Fwd IAT Max,Fwd IAT Min,Bwd IAT Tot,Bwd IAT Mean,Bwd IAT Std,Bwd IAT Max,Bwd IAT Min,Fwd PSH Flags,Bwd PSH Flags,Fwd URG Flags,Bwd URG Flags,Fwd Header Len,Bwd Header Len,Fwd Pkts/s,Bwd Pkts/s,Pkt Len Min,Pkt Len Max,Pkt Len Mean,Pkt Len Std,Pkt Len Var,FIN Flag Cnt,SYN Flag Cnt,RST Flag Cnt,PSH Flag Cnt,ACK Flag Cnt,URG Flag Cnt,CWE Flag Count,ECE Flag Cnt,Down/Up Ratio,Pkt Size Avg,Fwd Seg Size Avg,Bwd Seg Size Avg,Fwd Byts/b Avg,Fwd Pkts/b Avg,Fwd Blk Rate Avg,Bwd Byts/b Avg,Bwd Pkts/b Avg,Bwd Blk Rate Avg,Subflow Fwd Pkts,Subflow Fwd Byts,Subflow Bwd Pkts,Subflow Bwd Byts,Init Fwd Win Byts,Init Bwd Win Byts,Fwd Act Data Pkts,Fwd Seg Size Min,Active Mean,Active Std,Active Max,Active Min,Idle Mean,Idle Std,Idle Max,Idle Min,Label
192.168.1.11-209.87.249.18-33779-53-6,192.168.1.11,33779,209.87.249.18,53,6,2020-06-10 09:21:03.720289,380967,6,5,318,430,98,40,53,23.45207879911715,266,40,86,100.63796500327301,1963.4246535789189,28.873891964395867,38096.7,60725.57050470767,126619,40,380967,76193.4,68695.83379143164,126771,263,254276,63569,71896.10857804939,125938,549,1,2,0,0,260,204,15.7493956169432,13.124496347452666,40,266,68,67.99411739260978,4623.199999999999,2,2,0,3,10,0,0,0,0.8333333333333334,68,9.666666666666666,45.2,0,0,0,0,0,0,6,318,5,430,64240,64240,1,0,380967,0,380967,380967,0,0,0,0,
EOF
is_file "$T/out" "$T/want" "cicflowmeter set: dns_tcp.pcap, values checked by hand"
run "$FS" --set cicflowmeter --compat cicflowmeter --no-header "$T/dns.flows"
cat >"$T/want" <<'EOF'
192.168.1.11-209.87.249.18-33779-53-6,192.168.1.11,33779,209.87.249.18,53,6,10/06/2020 09:21:03 AM,380967,6,5,58,226,58,0,9.666666666666666,23.678400846904054,226,0,45.2,101.0702725829905,745.4713925353115,28.873891964395867,38096.7,60725.57050470767,126619,40,380967,76193.4,68695.83379143164,126771,263,254276,63569,71896.10857804939,125938,549,0,0,0,0,140,104,15.7493956169432,13.124496347452666,0,226,23.666666666666668,65.86395528709619,4338.060606060607,2,2,0,3,10,0,0,0,0,25.818181818181817,9.666666666666666,45.2,0,0,0,0,0,0,0,0,0,0,64240,64239,1,20,0,0,0,0,0,0,0,0,
EOF
is_file "$T/out" "$T/want" "--compat cicflowmeter: dns_tcp.pcap, its defects by hand"
# Column by column: the columns --compat changes on that flow, and no other.
"$FS" --set cicflowmeter -f jsonl "$T/dns.flows" >"$T/cd.jsonl"
"$FS" --set cicflowmeter --compat cicflowmeter -f jsonl "$T/dns.flows" >"$T/cc.jsonl"
run $PY -c 'import json, sys
a, b = (json.load(open(f)) for f in sys.argv[1:])
print("|".join(k for k in a if a[k] != b[k]))' "$T/cd.jsonl" "$T/cc.jsonl"
is "$out" "Timestamp|TotLen Fwd Pkts|TotLen Bwd Pkts|Fwd Pkt Len Max|Fwd Pkt Len Min|Fwd Pkt Len Mean|Fwd Pkt Len Std|Bwd Pkt Len Max|Bwd Pkt Len Min|Bwd Pkt Len Mean|Bwd Pkt Len Std|Flow Byts/s|Fwd PSH Flags|Bwd PSH Flags|Fwd Header Len|Bwd Header Len|Pkt Len Min|Pkt Len Max|Pkt Len Mean|Pkt Len Std|Pkt Len Var|Down/Up Ratio|Pkt Size Avg|Subflow Fwd Pkts|Subflow Fwd Byts|Subflow Bwd Pkts|Subflow Bwd Byts|Init Bwd Win Byts|Fwd Seg Size Min|Active Mean|Active Max|Active Min" \
    "--compat cicflowmeter changes exactly the documented columns on dns_tcp.pcap"
# Rates and IATs of the hand fixture: flow 1 has 264 IP bytes (104 of
# payload) and 4 packets in 10 s, IATs 1, 2, 7 s (sample std
# sqrt(31 / 3) s); flow 2 is one packet (0 s): Java's Infinity and NaN in
# compat mode only; flow 3 has no packet table: empty.
run sh -c "\"$FS\" --set cicflowmeter --compat cicflowmeter --no-header \"$T/st.flows\" | cut -d, -f21-26"
is "$out" "10.4,0.4,3333333.3333333335,3214550.253664318,7000000,1000000
Infinity,Infinity,NaN,NaN,NaN,NaN
,,,,," "--compat: Infinity and NaN where CICFlowMeter divides by 0 or has no IAT"
run sh -c "\"$FS\" --set cicflowmeter --no-header \"$T/st.flows\" | cut -d, -f21-26"
is "$out" "26.4,0.4,3333333.3333333335,3214550.253664318,7000000,1000000
0,0,0,0,0,0
,,,,," "default: IP bytes, and 0 where CICFlowMeter prints Infinity or NaN"
# Every column of every flow of every capture, both modes, recomputed with numpy.
"$FS" --set cicflowmeter -f jsonl "$T/all.flows" >"$T/cd.jsonl"
"$FS" --set cicflowmeter --compat cicflowmeter -f jsonl "$T/all.flows" >"$T/cc.jsonl"
run $PY "$FK_ROOT/tests/cic_check.py" "$T/all.jsonl" "$T/cd.jsonl" "$T/cc.jsonl"
diag "cicflowmeter: $out$err"
is "$status" 0 "cicflowmeter set, both modes: numpy agrees with every value"
like "$out" "*Infinity [1-9]*NaN [1-9]*" "the captures have zero-duration and one-packet flows"
run "$FS" --compat nosuch "$T/st.flows"
is "$status" 2 "--compat: an unknown tool: exit 2"
run "$FS" -f npy -o "$T/c.npy" --set cicflowmeter "$T/st.flows"
is "$status" 2 "NPY: the Flow ID text column is refused"

# --- threads ----------------------------------------------------------------
# Rows computed on several threads come out as the same bytes as on one:
# the stream four times over (more than 512-record batches), labelled,
# in every format, with the columns that depend on state (row, the
# cicflowmeter cache, the memo of printed numbers).
printf 'web: dport == 443 or dport == 80\ndns: dport == 53\n' >"$T/thr.rules"
cat "$T/all.flows" "$T/all.flows" "$T/all.flows" "$T/all.flows" |
    "$FK_BIN/flow-filter" --label-rules "$T/thr.rules" true >"$T/thr.flows"
nthr=$("$FS" --threads 1 -c row "$T/thr.flows" | tail -n 1)
ok "threads: the input has more than two batches ($nthr rows)" [ "$nthr" -gt 1024 ]
thr_same() { # NAME ARGS... (the output goes to stdout)
	name=$1
	shift
	"$FS" --threads 1 "$@" "$T/thr.flows" >"$T/thr1" 2>&1
	for n in 2 3 8; do
		"$FS" --threads $n "$@" "$T/thr.flows" >"$T/thr$n" 2>&1
		cmp -s "$T/thr1" "$T/thr$n" || break
	done
	is "$(cmp "$T/thr1" "$T/thr$n" 2>&1)" "" "threads: $name: the same bytes with 1, 2, 3 and 8 threads"
}
thr_same "full set, csv" --set full -c row,label
thr_same "cicflowmeter set" --set cicflowmeter
thr_same "cicflowmeter compat, tsv" --set cicflowmeter --compat cicflowmeter -f tsv
thr_same "wa1kpcap set, jsonl" --set wa1kpcap -c row,label -f jsonl
for n in 1 3; do
	"$FS" --threads $n -f npy -c label,row,pkts,wire_len_mean,iat_p75 -o "$T/thr$n.npy" "$T/thr.flows"
done
is "$(cd "$T" && cat thr1.npy thr1.labels.npy thr1.columns.txt thr1.classes.txt | cksum)" \
    "$(cd "$T" && cat thr3.npy thr3.labels.npy thr3.columns.txt thr3.classes.txt | cksum)" \
    "threads: NPY: the same matrix, labels and names with 1 and 3 threads"
is "$(tr '\n' ' ' <"$T/thr1.classes.txt")" \
    "$("$FS" -c label --no-header "$T/thr.flows" | awk 'NF && !s[$0]++' | tr '\n' ' ')" \
    "threads: NPY: the classes in order of first appearance"
# A damaged input: the rows before the damage, the same with 3 threads, exit 1.
sz=$(wc -c <"$T/thr.flows")
head -c $((sz * 2 / 5)) "$T/thr.flows" >"$T/thr-cut.flows"
run "$FS" --threads 1 -c row,pkts "$T/thr-cut.flows"
st1=$status
cp "$T/out" "$T/cut1"
run "$FS" --threads 3 -c row,pkts "$T/thr-cut.flows"
is "$st1:$status" "1:1" "threads: a cut input: exit 1 with 1 and 3 threads"
ok "threads: a cut input: the same rows before the cut" cmp -s "$T/cut1" "$T/out"
run "$FS" --threads 0 "$T/st.flows"
is "$status" 2 "--threads 0: exit 2"

# --- usage ------------------------------------------------------------------
run "$FS" -c no_such_column "$T/st.flows"
is "$status" 2 "an unknown column: exit 2"
like "$err" "flow-stats: no_such_column: unknown column*" "an unknown column: message"
run "$FS" -c packets.ttl "$T/st.flows"
is "$status" 2 "a per-packet field is not a column"
run "$FS" --set nosuch "$T/st.flows"
is "$status" 2 "an unknown set: exit 2"
run "$FS" -l
like "$out" "*wire_len*sport*" "-l lists the columns"
done_testing
