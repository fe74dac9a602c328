#!/bin/sh
# flow-idx.t - MNIST IDX output: images equal to the session bytes (checked
# with numpy by tests/idx_check.py from flow-json's hex), labels, classes,
# statistics, dedup, caps (the first N, and the N largest checked with
# numpy), deterministic sampling (checked in python from its definition),
# splits without shared images and the warning for a part without a class,
# determinism, concatenation, append (also to an unlabelled data set) with
# crash safety (the crash points are in the test build $FK_BIN/hooks only),
# write errors, the USTC-TK2016 AllLayers and L7 reproductions (SplitCap's
# rules: TCP and UDP only, orig_len = incl_len, no 1-byte L7 payloads), the
# PNG preview, and the shared battery cases that fit a tool whose output
# is files named by -o.

# shellcheck disable=SC2086
. "${0%/*}/lib.sh"

FI=$FK_BIN/flow-idx
FIH=$FK_BIN/hooks/flow-idx # with the crash points of FK_IDX_CRASH (make builds it)
PF=$FK_BIN/pcap-flows
FJ=$FK_BIN/flow-json
PY=/usr/bin/python3
CHK=$FK_ROOT/tests/idx_check.py
[ -x "$FI" ] || skip_all "no $FI"
[ -x "$PF" ] && [ -x "$FJ" ] || skip_all "needs pcap-flows and flow-json"
$PY -c 'import numpy' 2>/dev/null || skip_all "no numpy in $PY"

# same A B DESC: the four output files of prefixes A and B are identical.
same() {
	_ok=0
	for _s in images-idx3-ubyte labels-idx1-ubyte classes.txt; do
		cmp -s "$1-$_s" "$2-$_s" || _ok=1
	done
	ok "$3" [ "$_ok" -eq 0 ]
}

# Streams from real captures: every capture in tests/data, each labelled
# with its own name, network-layer and link-layer bytes.
: >"$T/net.flows"
: >"$T/link.flows"
for f in "$FK_DATA"/*.pcap "$FK_DATA"/*.pcapng; do
	n=${f##*/}
	n=${n%.*}
	"$PF" -l "$n" "$f" >>"$T/net.flows" 2>/dev/null
	"$PF" --link -l "$n" "$f" >>"$T/link.flows" 2>/dev/null
done
"$FJ" -a "$T/net.flows" >"$T/net.jsonl" && "$FJ" -a "$T/link.flows" >"$T/link.jsonl" ||
	{ echo "Bail out! flow-json failed"; exit 1; }
nflows=$(grep -c '"ipv"' "$T/net.jsonl")
diag "$nflows flows from $(ls "$FK_DATA"/*.pcap* | wc -l) captures"

# ---- usage ----
run "$FI" -h
is "$status" 0 "-h: exit 0"
like "$out" "*usage: flow-idx*" "-h: usage on stdout"
run "$FI" --version
like "$out" "flow-idx (flowkit) *" "--version"
run "$FI" "$T/net.flows"
is "$status" 2 "no -o: exit 2"
like "$err" "flow-idx: *-o PREFIX*" "no -o: says so"
for bad in "--rows 0" "--cols x" "--pad 256" "--split train=0.8,test=0.3" "--split train=0.5,train=0.5" \
	"--dedup some" "--mask port,foo" "--layer ip" "--pcap-framing" "--group host" "--bogus" \
	"--cap-keep most" "--sample 0" "--sample 1.5" "--orig-len full" "--min-payload x"; do
	run "$FI" -o "$T/u" $bad "$T/net.flows"
	is "$status" 2 "usage error: $bad"
done
ok "usage errors write nothing" [ ! -e "$T/u-images-idx3-ubyte" ]

# ---- images equal the session bytes, labels align (numpy) ----
run "$FI" -o "$T/n" "$T/net.flows"
is "$status" 0 "network layer: exit 0"
run $PY "$CHK" expect "$T/net.jsonl" "$T/n"
is "$out$err" "ok $nflows" "network layer: every image = session bytes, labels and classes.txt align"
run $PY "$CHK" load "$T/n"
is "$out" "$nflows 28 28" "numpy loads N x 28 x 28"
"$FI" -q -o "$T/nl" "$T/link.flows"
run $PY "$CHK" expect "$T/link.jsonl" "$T/nl"
is "$out$err" "ok $nflows" "network layer from link-layer bytes"
"$FI" -q -o "$T/l" --layer link "$T/link.flows"
run $PY "$CHK" expect "$T/link.jsonl" "$T/l" --layer link
is "$out$err" "ok $nflows" "link layer"
"$FI" -q -o "$T/t" --trailer --rows 16 --cols 50 --pad 7 --dedup all "$T/net.flows"
run $PY "$CHK" expect "$T/net.jsonl" "$T/t" --trailer --rows 16 --cols 50 --pad 7 --dedup all
like "$out$err" "ok *" "16 x 50, pad 7, trailer kept, dedup all"
"$FI" -q -o "$T/p" --layer payload --dedup none "$T/net.flows"
run $PY "$CHK" expect "$T/net.jsonl" "$T/p" --layer payload --dedup none
like "$out$err" "ok *" "payload (L7)"
"$FI" -q -o "$T/f" --layer link --pcap-framing "$T/link.flows"
run $PY "$CHK" expect "$T/link.jsonl" "$T/f" --layer link --framing
like "$out$err" "ok *" "pcap framing (SplitCap)"
"$FI" -q -o "$T/m" --mask addr --dedup none "$T/net.flows"
run $PY "$CHK" expect "$T/net.jsonl" "$T/m" --mask-addr --dedup none
like "$out$err" "ok *" "--mask addr zeroes the IP addresses and nothing else"
run "$FI" -q -o "$T/x" --layer link "$T/net.flows"
is "$status" 1 "--layer link on network-layer bytes: exit 1"
like "$err" "*pcap-flows --link*" "... says to use pcap-flows --link"

# --mask all: check a few fields of the first TCP packet of eth_vlan_http.
"$PF" "$FK_DATA/eth_vlan_http.pcap" | "$FI" -q -o "$T/ma" --mask all
head -c 80 "$T/ma-images-idx3-ubyte" | tail -c 64 | od -An -tx1 | tr -d ' \n' >"$T/ma.hex"
# 45 00 0040 [id] 4000 [ttl] 06 [csum] [src] [dst] [sport dport] [seq ack] b002 ffff [csum] 0000
# options 020405b4 01 030304 0101 080a [TSval TSecr] 04020000
is "$(cat "$T/ma.hex")" \
	"4500004000004000000600000000000000000000000000000000000000000000b002ffff00000000020405b4010303040101080a000000000000000004020000" \
	"--mask all: IP ID, TTL, checksums, addresses, ports, seq/ack, TCP timestamps zeroed"

# ---- labels and classes ----
cls=$FK_ROOT/scripts/labels/ustc-tfc2016.classes
{
	"$PF" -l Benign_FTP "$FK_DATA/dns_tcp.pcap"
	"$PF" -l Malware_Zeus "$FK_DATA/eth_vlan_http.pcap"
	"$PF" -l Not_A_Class "$FK_DATA/eth_qinq_http.pcap"
	"$PF" "$FK_DATA/pcap_nsec_le_http_rst.pcap"
} >"$T/lab.flows"
"$FJ" -a "$T/lab.flows" >"$T/lab.jsonl"
run "$FI" -o "$T/c" -c "$cls" "$T/lab.flows"
is "$status" 0 "class file: exit 0"
like "$err" "*without label 1*" "stats: a record without label is counted"
like "$err" "*unknown label 1*" "stats: an unknown label is counted"
like "$err" "*class 255 2 (unknown)*" "stats: per-class counts"
run $PY "$CHK" expect "$T/lab.jsonl" "$T/c" --classes "$cls"
is "$out$err" "ok 4" "class file: ids from the file, unknown = 255"
od -An -tu1 -j8 "$T/c-labels-idx1-ubyte" | tr -s ' ' >"$T/c.lab"
is "$(cat "$T/c.lab")" " 2 19 255 255" "labels 2 19 255 255"
is "$(sed -n '1p;$p' "$T/c-classes.txt" | tr '\n' ,)" "0 Benign_BitTorrent,19 Malware_Zeus," "classes.txt: id name, by id"
"$FI" -q -o "$T/c2" "$T/lab.flows"
is "$(cat "$T/c2-classes.txt" | tr '\n' ,)" "0 Benign_FTP,1 Malware_Zeus,2 Not_A_Class," "first appearance: classes.txt"
printf 'a 1\na 2\n' >"$T/dup.classes"
run "$FI" -q -o "$T/c3" -c "$T/dup.classes" "$T/lab.flows"
is "$status" 1 "class file with a name twice: exit 1"

# ---- statistics ----
"$PF" "$FK_DATA/eth_vlan_http.pcap" "$FK_DATA/dns_tcp.pcap" >"$T/two.flows"
run "$FI" -o "$T/s" --stats "$T/stats.txt" "$T/two.flows"
is "$err" "" "--stats FILE: nothing on stderr"
like "$(cat "$T/stats.txt")" "sessions read 2*sessions written 2*truncated 1*padded 1*used full length 0*average original length [0-9]*.[0-9][0-9]*" \
	"--stats: read, written, truncated, padded, full length, average with 2 decimals"
run "$FI" -o "$T/s" --rows 2 --cols 2 --stats "$T/stats2.txt" "$T/two.flows"
like "$(cat "$T/stats2.txt")" "*truncated 2*" "--rows 2 --cols 2: both truncated"

"$PF" --bytes 0 "$FK_DATA/dns_tcp.pcap" >"$T/nob.flows"
run "$FI" -o "$T/nob" "$T/nob.flows"
like "$err" "*no flow carries packet bytes: run pcap-flows with --bytes N*" "a stream without packet bytes: warned"

# ---- dedup ----
cat "$T/two.flows" "$T/two.flows" >"$T/twice.flows"
run "$FI" -o "$T/d" "$T/twice.flows"
like "$err" "*sessions written 2*duplicates removed 2*" "dedup file: identical sessions of one file removed"
run "$FI" -o "$T/d" --dedup none "$T/twice.flows"
like "$err" "*sessions written 4*duplicates removed 0*" "dedup none keeps them"
# The same bytes under two file names: kept per file, removed across the run.
"$PF" "$FK_DATA/dns_tcp.pcap" >"$T/a1.flows"
cp "$FK_DATA/dns_tcp.pcap" "$T/copy.pcap"
"$PF" "$T/copy.pcap" >"$T/a2.flows"
run "$FI" -o "$T/d" "$T/a1.flows" "$T/a2.flows"
like "$err" "*sessions written 2*" "dedup file: same bytes in two files kept"
run "$FI" -o "$T/d" --dedup all "$T/a1.flows" "$T/a2.flows"
like "$err" "*sessions written 1*duplicates removed 1*" "dedup all: removed across files"

# ---- class caps ----
run "$FI" -o "$T/cap" --max-per-class 2 "$T/net.flows"
is "$status" 0 "--max-per-class: exit 0"
max=$(od -An -tu1 -j8 -v "$T/cap-labels-idx1-ubyte" | tr -s ' ' '\n' | grep . | sort | uniq -c | sort -rn | head -1 | awk '{print $1}')
is "$max" 2 "--max-per-class 2: no class above 2"
like "$err" "*over class cap [1-9]*" "stats: capped sessions counted"
"$FI" -q -o "$T/cap1" --max-per-class 1 "$T/net.flows"
"$FI" -q -o "$T/cap1" --max-per-class 2 --append "$T/net.flows" "$T/lab.flows"
max=$(od -An -tu1 -j8 -v "$T/cap1-labels-idx1-ubyte" | tr -s ' ' '\n' | grep . | sort | uniq -c | sort -rn | head -1 | awk '{print $1}')
is "$max" 2 "--max-per-class with --append counts the images already there"
run $PY "$CHK" expect "$T/net.jsonl" "$T/cap" --max-per-class 2 --cap-keep first
like "$out$err" "ok *" "--max-per-class 2 keeps the first 2 of each class in input order (numpy)"
# USTC-TK2016's rule: the n largest sessions of each class.
for n in 1 3; do
	run "$FI" -o "$T/lg" --max-per-class $n --cap-keep largest "$T/net.flows"
	is "$status" 0 "--cap-keep largest, n=$n: exit 0"
	run $PY "$CHK" expect "$T/net.jsonl" "$T/lg" --max-per-class $n --cap-keep largest
	like "$out$err" "ok *" "--cap-keep largest, n=$n: the $n longest sessions of each class, ties to the earlier, in input order (numpy)"
done
"$FI" -q -o "$T/lg2" --max-per-class 3 --cap-keep largest "$T/net.flows"
same "$T/lg" "$T/lg2" "--cap-keep largest: deterministic"
run "$FI" -o "$T/lg" --max-per-class 3 --cap-keep largest --stats "$T/lg.st" "$T/net.flows"
run "$FI" -o "$T/lf" --max-per-class 3 --stats "$T/lf.st" "$T/net.flows"
is "$(grep 'over class cap' "$T/lg.st")" "$(grep 'over class cap' "$T/lf.st")" "--cap-keep largest counts what it leaves out as 'over class cap', as first does"
"$FI" -q -o "$T/lga" --max-per-class 1 "$T/net.flows"
"$FI" -q -o "$T/lga" --max-per-class 2 --cap-keep largest --append "$T/net.flows" "$T/lab.flows"
max=$(od -An -tu1 -j8 -v "$T/lga-labels-idx1-ubyte" | tr -s ' ' '\n' | grep . | sort | uniq -c | sort -rn | head -1 | awk '{print $1}')
is "$max" 2 "--cap-keep largest with --append counts the images already there"

# ---- deterministic sampling ----
"$FI" -q -o "$T/all" --dedup none "$T/net.flows"
run "$FI" -o "$T/sa" --dedup none --sample 0.5 --seed 7 "$T/net.flows"
is "$status" 0 "--sample 0.5: exit 0"
like "$err" "*sampled out [1-9]*" "--sample: counted in the statistics"
run $PY "$CHK" expect "$T/net.jsonl" "$T/sa" --dedup none --sample 0.5 --seed 7
like "$out$err" "ok *" "--sample: exactly the flows whose keyed hash is below the fraction (python, from the man page's definition)"
"$FI" -q -o "$T/sa2" --dedup none --sample 0.5 --seed 7 "$T/net.flows"
same "$T/sa" "$T/sa2" "--sample: the same selection in every run"
"$FI" -q -o "$T/sa3" --dedup none --sample 0.5 --seed 8 "$T/net.flows"
if cmp -s "$T/sa-images-idx3-ubyte" "$T/sa3-images-idx3-ubyte"; then
	fail "--sample: another seed, another sample"
else
	pass "--sample: another seed, another sample"
fi
cat "$T/lab.flows" "$T/net.flows" | "$FI" -q -o "$T/sa4" --dedup none --sample 0.5 --seed 7
cat "$T/lab.jsonl" "$T/net.jsonl" >"$T/labnet.jsonl"
run $PY "$CHK" expect "$T/labnet.jsonl" "$T/sa4" --dedup none --sample 0.5 --seed 7
like "$out$err" "ok *" "--sample: a flow's fate does not depend on the other flows"

# ---- determinism and concatenation ----
"$FI" -q -o "$T/r1" "$T/net.flows"
"$FI" -q -o "$T/r2" "$T/net.flows"
same "$T/r1" "$T/r2" "two runs give identical files"
cat "$T/net.flows" "$T/lab.flows" | "$FI" -q -o "$T/cat1"
"$FI" -q -o "$T/cat2" "$T/net.flows" "$T/lab.flows"
same "$T/cat1" "$T/cat2" "cat a b | flow-idx = flow-idx a b"

# ---- splits ----
"$FI" -q -o "$T/w" --dedup none "$T/net.flows"
run "$FI" -o "$T/sp" --dedup none --split train=0.7,val=0.1,test=0.2 --seed 3 "$T/net.flows"
is "$status" 0 "--split: exit 0"
run $PY "$CHK" split "$T/w" "$T/sp-train" "$T/sp-val" "$T/sp-test"
like "$out$err" "ok 3 parts, $nflows images, no image in two parts" "split: zero identical images across parts, nothing lost"
"$FI" -q -o "$T/sp2" --dedup none --split train=0.7,val=0.1,test=0.2 --seed 3 "$T/net.flows" 2>/dev/null
_ok=0
for _p in train val test; do
	for _s in images-idx3-ubyte labels-idx1-ubyte; do
		cmp -s "$T/sp-$_p-$_s" "$T/sp2-$_p-$_s" || _ok=1
	done
done
ok "split: deterministic" [ "$_ok" -eq 0 ]
"$FI" -q -o "$T/sp3" --dedup none --split train=0.7,val=0.1,test=0.2 --seed 4 "$T/net.flows" 2>/dev/null
if cmp -s "$T/sp-test-images-idx3-ubyte" "$T/sp3-test-images-idx3-ubyte"; then
	fail "split: another seed, another split"
else
	pass "split: another seed, another split"
fi
"$FI" -q -o "$T/sf" --split a=0.5,b=0.5 --group file "$T/net.flows" 2>"$T/sf.err"
run $PY "$CHK" split "$T/r1" "$T/sf-a" "$T/sf-b"
like "$out$err" "ok 2 parts*" "split by file: parts add up, no shared image"
# By file, each class (one capture each) is on one side only: warned.
like "$(cat "$T/sf.err")" "*flow-idx: part [ab] has no image of class [0-9]* *" "split: a part without a class is warned"
# Exactly the (part, class) pairs the label files lack, and no other.
sed -n 's/^flow-idx: part \([ab]\) has no image of class \([0-9]*\) .*/\1 \2/p' "$T/sf.err" >"$T/sf.warned"
run $PY -c 'import numpy as np, sys
p = sys.argv[1]
lab = {k: set(np.fromfile(p + "-" + k + "-labels-idx1-ubyte", np.uint8, offset=8).tolist()) for k in "ab"}
every = lab["a"] | lab["b"]
for c in sorted(every):
    for k in "ab":
        if c not in lab[k]:
            print(k, c)' "$T/sf"
is "$(cat "$T/sf.warned")" "$out" "split: one warning for each part and class it lacks (numpy), $(wc -l <"$T/sf.warned") here"
"$PF" -l one "$FK_DATA/sll_resp_15_tcp_streams.pcap" >"$T/one.flows"
run "$FI" -o "$T/o" --split a=0.5,b=0.5 --seed 1 "$T/one.flows"
is "$(printf '%s\n' "$err" | grep -c 'has no image')" 0 "split: no warning when every part has every class"
run "$FI" -o "$T/o" --split a=0.5,b=0.5 --seed 1 -a "$T/lab.flows"
like "$err" "*part * has no image of class*" "split with --append: a class still missing from a part is warned"

# ---- append ----
# (dedup does not reach into the files appended to, so none here)
"$FI" -q -o "$T/ap" --dedup none "$T/net.flows"
"$FI" -q -o "$T/ap" --dedup none --append "$T/lab.flows"
"$FI" -q -o "$T/apw" --dedup none "$T/net.flows" "$T/lab.flows"
same "$T/ap" "$T/apw" "append = one run over both inputs (counts, classes continued)"
run $PY "$CHK" load "$T/ap"
like "$out" "$((nflows + 4)) 28 28" "append: header count right"
run "$FI" -q -o "$T/ap" --append --rows 10 "$T/lab.flows"
is "$status" 1 "append with another image size: exit 1"
"$FI" -q -o "$T/bad" "$T/lab.flows"
head -c 100 "$T/bad-images-idx3-ubyte" >"$T/cut" && mv "$T/cut" "$T/bad-images-idx3-ubyte"
run "$FI" -q -o "$T/bad" --append "$T/lab.flows"
is "$status" 1 "append to a cut image file: exit 1"
like "$err" "*bad-images-idx3-ubyte: size 100 does not match the header*" "... saying so"
printf '\000\000\010\001\000\000\000\000' >"$T/bad-images-idx3-ubyte"
run "$FI" -q -o "$T/bad" --append "$T/lab.flows"
like "$status:$err" "1:*IDX file of 1 dimensions, expected 3*" "append to labels posing as images: exit 1, message"
"$FI" -q -o "$T/nc" "$T/lab.flows"
rm "$T/nc-classes.txt"
run "$FI" -q -o "$T/nc" --append "$T/lab.flows"
is "$status" 1 "append without classes.txt or -c: exit 1"
like "$err" "*nc-classes.txt: missing*" "... saying why"

# 9.9: an unlabelled data set has an empty classes.txt; appending to it works.
"$PF" "$FK_DATA/dns_tcp.pcap" | "$FI" -q -o "$T/ul"
is "$(wc -c <"$T/ul-classes.txt" | tr -d ' ')" 0 "unlabelled flows: classes.txt is empty"
run "$FI" -q -o "$T/ul" --append "$T/two.flows"
is "$status" 0 "append to an unlabelled data set (empty classes.txt): exit 0"
"$PF" "$FK_DATA/dns_tcp.pcap" | cat - "$T/two.flows" | "$FI" -q -o "$T/ul2" --dedup none
"$PF" "$FK_DATA/dns_tcp.pcap" | "$FI" -q -o "$T/ul3" --dedup none
"$FI" -q -o "$T/ul3" --dedup none --append "$T/two.flows"
same "$T/ul3" "$T/ul2" "... and gives what one run over both inputs gives"

# Killed before its renames: the previous files stay as they were.
for s in images-idx3-ubyte labels-idx1-ubyte classes.txt; do cp "$T/ap-$s" "$T/keep-$s"; done
FK_IDX_CRASH=before-rename "$FIH" -q -o "$T/ap" --append "$T/net.flows" 2>/dev/null
same "$T/ap" "$T/keep" "killed before the renames: previous files intact"
FK_IDX_CRASH=midway "$FIH" -q -o "$T/ap" --append --dedup none "$T/net.flows" "$T/net.flows" "$T/net.flows" 2>/dev/null
same "$T/ap" "$T/keep" "killed midway through an append (1000 images in): previous files intact"
# Killed by SIGKILL at a random point of a long append.
: >"$T/big.flows"
for _ in $(seq 1 150); do cat "$T/net.flows" >>"$T/big.flows"; done
"$FI" -q -o "$T/ap" --append --dedup none "$T/big.flows" 2>/dev/null &
pid=$!
sleep 0.15
kill -9 $pid 2>/dev/null
wait $pid 2>/dev/null
if cmp -s "$T/ap-images-idx3-ubyte" "$T/keep-images-idx3-ubyte"; then
	same "$T/ap" "$T/keep" "kill -9 during an append: previous files intact"
elif cmp -s "$T/ap-labels-idx1-ubyte" "$T/keep-labels-idx1-ubyte"; then
	# The one-rename window (flow-idx(1), "Appending and crash safety").
	run $PY "$CHK" load "$T/ap"
	like "$err" "*images*labels*" "kill -9 between the renames: the counts tell"
else
	run $PY "$CHK" load "$T/ap"
	is "$out" "$((nflows + 4 + 150 * nflows)) 28 28" "kill -9 came after the renames: the new files are complete"
fi
for s in images-idx3-ubyte labels-idx1-ubyte classes.txt; do cp "$T/keep-$s" "$T/ap-$s"; done
# Killed between the two renames: the counts differ and the next append refuses.
FK_IDX_CRASH=between-renames "$FIH" -q -o "$T/ap" --append "$T/two.flows" 2>/dev/null
run $PY "$CHK" load "$T/ap"
like "$err" "*images*labels*" "killed between the renames: a reader sees the counts differ"
rm -f "$T"/ap-*.tmp.* # what SIGKILL leaves behind
run "$FI" -q -o "$T/ap" --append "$T/two.flows"
is "$status" 1 "... and the next append exits 1"
like "$err" "*interrupted between its renames*" "... saying why"
ok "a refused append leaves no temporary file" [ -z "$(ls "$T" | grep '^ap-.*\.tmp\.')" ] ||
	diag "$(ls "$T" | grep '\.tmp\.')"

# The crash points live only in the test build: the shipped flow-idx ignores them.
run env FK_IDX_CRASH=before-rename "$FI" -q -o "$T/nh" "$T/two.flows"
is "$status" 0 "shipped flow-idx: FK_IDX_CRASH does nothing"
ok "... and the data set is written" [ -f "$T/nh-labels-idx1-ubyte" ]

# ---- write errors ----
run "$FI" -o /dev/full/x "$T/net.flows"
is "$status" 1 "-o /dev/full/x: exit 1"
like "$err" "flow-idx: /dev/full/x-*" "-o /dev/full/x: message"
mkdir "$T/fs"
(
	trap '' XFSZ
	ulimit -f 20
	exec "$FI" -q -o "$T/fs/big" --dedup none "$T/big.flows"
) >"$T/out" 2>"$T/err"
is "$?" 1 "file size limit (a full disk): exit 1"
like "$(cat "$T/err")" "*write error*" "full disk: message"
is "$(ls "$T/fs")" "" "full disk: no partial or temporary output"
"$FI" -q -o "$T/ok" "$T/two.flows"
for s in images-idx3-ubyte labels-idx1-ubyte classes.txt; do cp "$T/ok-$s" "$T/ok0-$s"; done
(
	trap '' XFSZ
	ulimit -f 20
	exec "$FI" -q -o "$T/ok" --append --dedup none "$T/big.flows"
) 2>/dev/null
same "$T/ok" "$T/ok0" "full disk during an append: previous files intact"

# ---- battery cases that fit a tool writing files ----
if [ -w /dev/full ]; then
	run sh -c '"$1" -h >/dev/full' sh "$FI"
	is "$status" 1 "-h >/dev/full: exit 1"
else
	skip 1 "no /dev/full"
fi
run "$FI" -o "$T/e" </dev/null
is "$status" 0 "empty input: exit 0"
run $PY "$CHK" load "$T/e"
is "$out" "0 28 28" "empty input: an empty data set"
printf '' | "$FJ" -r >"$T/none.flows"
head -n 1 "$FK_DATA/battery.jsonl" | "$FJ" -r >"$T/b.flows"
"$FJ" -r "$FK_DATA/battery.jsonl" >"$T/a.flows"
run "$FI" -o "$T/ab1" "$T/a.flows" "$T/b.flows"
cat "$T/a.flows" "$T/b.flows" | "$FI" -q -o "$T/ab2"
same "$T/ab1" "$T/ab2" "battery streams: two concatenated = two files"
size=$(wc -c <"$T/a.flows")
head -c $((size - 40)) "$T/a.flows" >"$T/trunc.flows"
run "$FI" -o "$T/tr" "$T/trunc.flows"
is "$status" 1 "truncated stream: exit 1"
like "$err" "*truncated*" "truncated stream: message"
ok "truncated stream: no data set written" [ ! -e "$T/tr-images-idx3-ubyte" ]
run "$FI" -o "$T/mi" "$T/nosuch.flows" "$T/a.flows"
is "$status" 1 "missing file: exit 1"
like "$err" "*nosuch.flows*" "missing file: named"
run "$FI" -o "$T/pc" "$FK_DATA/dns_tcp.pcap"
is "$status" 1 "pcap given: exit 1"
like "$err" "*pcap-flows*" "pcap given: says to use pcap-flows"

# ---- USTC-TK2016 AllLayers, rebuilt in Python from the captures ----
# splitcap.pcap (made by idx_check.py): 1-byte payloads, a frame cut by the
# snapshot length, ICMP; tcp_snaplen_truncated_hdr: every frame cut.
$PY "$CHK" splitcap "$T/splitcap.pcap"
ustc_cap() { case $1 in splitcap) echo "$T/splitcap.pcap" ;; *) echo "$FK_DATA/$1.pcap" ;; esac; }
for c in tls12_google_cert_repeat teredo eth_vlan_http splitcap tcp_snaplen_truncated_hdr; do
	"$PF" --no-split --link --trailer --bytes 4194304 --payload 0 "$(ustc_cap $c)" |
		"$FI" -q -o "$T/ustc" --ustc-alllayers
	run $PY "$CHK" ustc "$(ustc_cap $c)" "$T/ustc"
	like "$out$err" "ok [1-9]* sessions" "USTC-TK2016 AllLayers byte-identical: $c"
done
"$PF" --no-split --link --trailer --bytes 4194304 --payload 0 "$FK_DATA/icmp_gateway.pcap" |
	"$FI" -o "$T/ustc" --ustc-alllayers 2>"$T/ustc.err"
run $PY "$CHK" ustc "$FK_DATA/icmp_gateway.pcap" "$T/ustc"
is "$out$err" "ok 0 sessions" "USTC-TK2016 AllLayers: no ICMP sessions (icmp_gateway)"
like "$(cat "$T/ustc.err")" "*not TCP or UDP 6*" "... counted as not TCP or UDP"
for c in tls12_google_cert_repeat teredo eth_vlan_http splitcap; do
	"$PF" --no-split --payload 4194304 "$(ustc_cap $c)" | "$FI" -q -o "$T/ustc" --ustc-l7
	run $PY "$CHK" ustc "$(ustc_cap $c)" "$T/ustc" --l7
	like "$out$err" "ok [1-9]* sessions" "USTC-TK2016 L7 byte-identical: $c"
done
"$PF" --no-split --payload 4194304 "$T/splitcap.pcap" | "$FI" -o "$T/ustc" --ustc-l7 2>"$T/ustc.err"
like "$(cat "$T/ustc.err")" "*sessions written 2*payloads under 2 bytes left out 9*" \
	"USTC-TK2016 L7: the 9 one-byte payloads counted; the session of nothing else left out"
# Past a capped PACKETS table the rest of the payload is taken whole: "G"
# (packet 4) is left out, "H" (packet 6) stays.
"$PF" --no-split --max-pkts 4 --payload 4194304 "$T/splitcap.pcap" 2>/dev/null |
	"$FI" -q -o "$T/l7m" --ustc-l7
is "$(dd if="$T/l7m-images-idx3-ubyte" bs=1 skip=16 count=32 2>/dev/null | tr '\r\n' '..')" \
	"ET / HTTP/1.0....HTTP/1.0 200 OK" "--min-payload: split by the PACKETS table as far as it goes"
"$PF" --no-split --payload 4194304 "$T/splitcap.pcap" | "$FI" -q -o "$T/l7p" --layer payload --dedup none
run $PY "$CHK" load "$T/l7p"
is "$out" "4 28 28" "--layer payload alone keeps 1-byte payloads and ICMP (4 sessions)"

# ---- seed 001 on raw-IP captures, rebuilt in Python from the captures ----
FA=$FK_BIN/flow-anon
for c in rawip101_tls_split_ch rawip101_ocs_mobile rawip101_tcp_dns; do
	"$PF" --no-split --drop-control --drop-dns-queries -f ip --bytes 4194304 "$FK_DATA/$c.pcap" |
		"$FI" -q -o "$T/s1" --seed001
	run $PY "$CHK" seed001 "$FK_DATA/$c.pcap" "$T/s1"
	like "$out$err" "ok [1-9]* sessions" "seed 001 without anonymization, byte-identical: $c"
	if [ -x "$FA" ] && "$FA" --genkey "$T/key" 2>/dev/null; then
		"$PF" --no-split --drop-control --drop-dns-queries -f ip --bytes 4194304 "$FK_DATA/$c.pcap" |
			"$FA" -k "$T/key" -m sha-text --outer-only --checksum keep --ports keep --mac keep --names keep 2>/dev/null |
			"$FI" -q -o "$T/s1" --seed001
		run $PY "$CHK" seed001 "$FK_DATA/$c.pcap" "$T/s1" --anon
		like "$out$err" "ok [1-9]* sessions" "seed 001 with its address hash, byte-identical: $c"
	else
		skip 1 "no flow-anon"
	fi
done

# --seed001 images TCP and UDP sessions only, as the seed does.
"$PF" "$FK_DATA/icmp_gateway.pcap" | "$FI" -o "$T/s1i" --seed001 2>"$T/s1i.err"
like "$(cat "$T/s1i.err")" "*sessions written 0*not TCP or UDP 6*" "--seed001: no ICMP sessions (icmp_gateway)"

# ---- the first example of the manual ----
mkdir -p "$T/captures/web" "$T/captures/dns" "$T/data"
cp "$FK_DATA/eth_vlan_http.pcap" "$FK_DATA/eth_qinq_http.pcap" "$FK_DATA/tls12_google_cert_repeat.pcap" "$T/captures/web/"
cp "$FK_DATA/dns_tcp.pcap" "$FK_DATA/ipv6_fragmented_dns.pcap" "$T/captures/dns/"
(cd "$T" && "$PF" --label-dir --bytes 784 captures/ |
	"$FI" -o data/traffic --mask all --split train=0.8,test=0.2 --group file --seed 1) 2>"$T/err"
is "$(ls "$T/data" | tr '\n' ' ')" "traffic-classes.txt traffic-test-images-idx3-ubyte traffic-test-labels-idx1-ubyte traffic-train-images-idx3-ubyte traffic-train-labels-idx1-ubyte " \
	"manual example: the files listed"
is "$(cat "$T/data/traffic-classes.txt" | tr '\n' ,)" "0 dns,1 web," "manual example: classes by directory"
run $PY -c 'import numpy as np, sys
x = np.fromfile(sys.argv[1] + "-train-images-idx3-ubyte", np.uint8, offset=16).reshape(-1, 28, 28)
y = np.fromfile(sys.argv[1] + "-train-labels-idx1-ubyte", np.uint8, offset=8)
print(len(x) == len(y) and len(x) > 0)' "$T/data/traffic"
is "$out" "True" "manual example: numpy loading code"

# ---- preview ----
run "$FI" -o "$T/pv" --preview "$T/pv.png" "$T/net.flows"
is "$status" 0 "--preview: exit 0"
is "$(head -c 8 "$T/pv.png" | od -An -tx1 | tr -d ' ')" "89504e470d0a1a0a" "--preview writes a PNG"

# ---- class files (wp-label): one grammar, file:line errors, names as given
printf 'Chat 0\n# c\n\nweb x\n' >"$T/bad.classes"
"$PF" -l Chat "$FK_DATA/dns_tcp.pcap" >"$T/one.flows"
run "$FI" -q -o "$T/bc" -c "$T/bad.classes" "$T/one.flows"
is "$status:$err" "1:flow-idx: $T/bad.classes: line 4: 'x' is not a class id (0 to 254)" "a bad class file: exit 1, file and line"
"$PF" -l "my class" "$FK_DATA/dns_tcp.pcap" >"$T/sp.flows"
"$FI" -q -o "$T/sp" "$T/sp.flows"
is "$(cat "$T/sp-classes.txt")" '0 my\x20class' "classes.txt: a space in a name is escaped"
"$PF" -l other "$FK_DATA/dns_tcp.pcap" >"$T/sp2.flows"
"$FI" -q -a -o "$T/sp" "$T/sp.flows" "$T/sp2.flows"
is "$(tr '\n' , <"$T/sp-classes.txt")" '0 my\x20class,1 other,' "append: classes.txt read back, the spaced name keeps id 0"
mkdir -p "$T/cl/real_9" "$T/cl/x"
cp "$FK_DATA/dns_tcp.pcap" "$T/cl/real_9/a.pcap"
ln -s real_9 "$T/cl/Web"
"$PF" --label-dir "$T/cl/Web/a.pcap" | "$FI" -q -o "$T/cl/x/d"
is "$(cat "$T/cl/x/d-classes.txt")" "0 Web" "--label-dir through a linked directory: the class is the name given"
# Seed 001's labels: its own map and classes give its ids (first match:
# vpn_netflix_A is Streaming, 3); the shipped map gives VPN_Streaming, 8.
cp "$FK_DATA/rawip101_tcp_dns.pcap" "$T/cl/vpn_netflix_A.pcap"
for m in seed001-iscx:3 iscx-vpn2016:8; do
	"$PF" --no-split --drop-control --drop-dns-queries -f ip --bytes 4194304 \
		-L "$FK_ROOT/scripts/labels/${m%:*}.map" "$T/cl/vpn_netflix_A.pcap" |
		"$FI" -q -o "$T/cl/s" --seed001 -c "$FK_ROOT/scripts/labels/${m%:*}.classes"
	is "$(od -An -tu1 -j8 -v "$T/cl/s-labels-idx1-ubyte" | tr -s ' \n' '\n' | grep . | sort -u)" "${m#*:}" \
		"seed 001 recipe with ${m%:*}.map: vpn_netflix_A is class ${m#*:}"
done

done_testing
