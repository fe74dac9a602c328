#!/bin/sh
# out.t - the output rules of flowkit(7), FILES (common/out.c): special
# files written in place and never renamed over (a FIFO read by cat, a
# device node made with mknod, an IDX part that is a FIFO refused), the
# symlink policy (followed: the link stays, its target is replaced), fsync
# of every file before its rename and of the directory after it (strace),
# a file-size limit reported as a write error with no temporary left, and
# eight concurrent flow-idx --append jobs on one prefix keeping every
# image with labels that still match classes.txt.

# shellcheck disable=SC2086
. "${0%/*}/lib.sh"

FI=$FK_BIN/flow-idx
PF=$FK_BIN/pcap-flows
FJ=$FK_BIN/flow-json
PY=/usr/bin/python3
for t in "$FI" "$PF" "$FJ"; do [ -x "$t" ] || skip_all "no $t"; done

# no_tmp DIR DESC: no temporary file (NAME.tmp.XXXXXX) is left in DIR.
no_tmp() {
	is "$(ls "$1" | grep '\.tmp\.' | tr '\n' ' ')" "" "$2"
}

"$FJ" -r "$FK_DATA/battery.jsonl" >"$T/a.flows" || { echo "Bail out! flow-json -r failed"; exit 1; }
"$FJ" "$T/a.flows" >"$T/a.json"
"$PF" "$FK_DATA"/*.pcap >"$T/net.flows" 2>/dev/null
[ -s "$T/net.flows" ] || { echo "Bail out! pcap-flows made no flows"; exit 1; }

# ---- special files are written in place ----
mkfifo "$T/fifo"
timeout 20 cat "$T/fifo" >"$T/from-fifo" &
catpid=$!
run timeout 20 "$FJ" -o "$T/fifo" "$T/a.flows"
wait $catpid
is "$status" 0 "-o FIFO: exit 0"
ok "-o FIFO: still a FIFO, not renamed over" [ -p "$T/fifo" ]
is_file "$T/from-fifo" "$T/a.json" "-o FIFO: the reader got the output"
no_tmp "$T" "-o FIFO: no temporary file made"

if [ "$(id -u)" = 0 ] && mknod "$T/null" c 1 3 2>/dev/null; then
	run "$FI" -q -o "$T/d" --stats "$T/null" --preview "$T/null" "$T/net.flows"
	is "$status" 0 "--stats and --preview to a device node: exit 0"
	ok "... the device node is still a character device" [ -c "$T/null" ]
	run "$FJ" -o "$T/null" "$T/a.flows"
	ok "-o device node: exit 0, still a character device" [ "$status" -eq 0 -a -c "$T/null" ]
	run "$PF" -o "$T/null" "$FK_DATA/dns_tcp.pcap"
	ok "pcap-flows -o device node: still a character device" [ "$status" -eq 0 -a -c "$T/null" ]
	no_tmp "$T" "device node: no temporary file made"
else
	skip 5 "mknod needs root"
fi

# A name of one of our descriptors is that descriptor: appending stays
# appending.
echo first >"$T/log"
run "$FJ" -o /dev/fd/5 "$T/a.flows" 5>>"$T/log"
{ echo first; cat "$T/a.json"; } >"$T/want-log"
is_file "$T/log" "$T/want-log" "-o /dev/fd/5 5>>log: appended to the log"

# An IDX file is written in place at the end (its count), so a FIFO or a
# device there is refused, and left alone.
mkfifo "$T/f-images-idx3-ubyte"
run "$FI" -q -o "$T/f" "$T/net.flows"
is "$status" 1 "IDX part that is a FIFO: exit 1"
like "$err" "*f-images-idx3-ubyte: not a regular file*" "... saying why"
ok "... and the FIFO is left alone" [ -p "$T/f-images-idx3-ubyte" ]
ok "... no labels written" [ ! -e "$T/f-labels-idx1-ubyte" ]

# ---- symbolic links are followed ----
mkdir "$T/l" "$T/l/sub"
echo old >"$T/l/sub/target.json"
ln -s sub/target.json "$T/l/link"
run "$FJ" -o "$T/l/link" "$T/a.flows"
is "$status" 0 "-o symlink: exit 0"
ok "-o symlink: the link stays a link" [ -L "$T/l/link" ]
is_file "$T/l/sub/target.json" "$T/a.json" "-o symlink: its target holds the output"
ln -s sub/new.json "$T/l/dangling"
run "$FJ" -o "$T/l/dangling" "$T/a.flows"
ok "-o dangling symlink: the link stays, its target is made" [ -L "$T/l/dangling" -a -f "$T/l/sub/new.json" ]
ln -s link "$T/l/chain"
run "$FI" -q -o "$T/l/ds" --stats "$T/l/chain" "$T/net.flows"
ok "--stats through two links: both stay links" [ -L "$T/l/chain" -a -L "$T/l/link" ]
like "$(cat "$T/l/sub/target.json")" "*sessions read*" "... and the final target holds the statistics"
no_tmp "$T/l" "symlinks: no temporary left beside the links"
no_tmp "$T/l/sub" "symlinks: no temporary left beside the targets"
ln -s loop "$T/l/loop"
run "$FJ" -o "$T/l/loop" "$T/a.flows"
is "$status" 1 "-o symlink loop: exit 1"
like "$err" "*loop: Too many levels of symbolic links*" "... saying why"

# ---- fsync before each rename, and of the directory after ----
# sync_order TRACE NAME: "ok" when strace -y shows an fsync of NAME's
# temporary before its rename, and an fsync of its directory after.
sync_order() {
	awk -v f="$2" -v d="${2%/*}" '
		index($0, "fsync(") && index($0, "<" f ".tmp.") { if (!ren) synced = 1 }
		/rename/ && index($0, f ".tmp.") { if (synced) ren = NR }
		index($0, "fsync(") && index($0, "<" d ">") { if (ren && NR > ren) dir = 1 }
		END { print (synced && ren && dir) ? "ok" : "missing" }' "$1"
}
if command -v strace >/dev/null 2>&1 && strace -f -o /dev/null true 2>/dev/null; then
	mkdir "$T/s"
	S="$(cd "$T/s" && pwd -P)"
	strace -f -y -e trace=fsync,fdatasync,rename,renameat,renameat2 -o "$T/tr1" \
		"$FJ" -o "$S/a.json" "$T/a.flows" 2>/dev/null
	is "$(sync_order "$T/tr1" "$S/a.json")" ok "flow-json -o: file synced before the rename, directory after"
	strace -f -y -e trace=fsync,fdatasync,rename,renameat,renameat2 -o "$T/tr2" \
		"$PF" -o "$S/p.flows" "$FK_DATA/dns_tcp.pcap" 2>/dev/null
	is "$(sync_order "$T/tr2" "$S/p.flows")" ok "pcap-flows -o: synced"
	strace -f -y -e trace=fsync,fdatasync,rename,renameat,renameat2 -o "$T/tr3" \
		"$FI" -q -o "$S/d" --stats "$S/st.txt" --preview "$S/pv.png" "$T/net.flows"
	for f in d-classes.txt d-images-idx3-ubyte d-labels-idx1-ubyte st.txt pv.png; do
		is "$(sync_order "$T/tr3" "$S/$f")" ok "flow-idx: $f synced before its rename"
	done
	# The data set: every file on the disk before the first rename.
	is "$(awk '/rename/ && /(classes\.txt|ubyte)\.tmp/ && !r { r = NR } /fsync\(/ && r && /(classes\.txt|ubyte)\.tmp/ { late++ }
		END { print late + 0 }' "$T/tr3")" 0 "flow-idx: no data-set file is synced after the first rename"
	# Nothing is replaced before the data set is complete: a run that
	# fails before its renames leaves even the preview as it was.
	is "$(grep -o 'rename("[^"]*' "$T/tr3" | sed 's/.*\/\([^/]*\)\.tmp\..*/\1/' | tr '\n' ' ')" \
		"d-classes.txt d-images-idx3-ubyte d-labels-idx1-ubyte pv.png st.txt " \
		"flow-idx: renames in order, the data set first, labels last of it"
else
	skip 8 "strace is not installed or cannot trace here"
fi

# ---- a file-size limit is a write error ----
: >"$T/big.flows"
for _ in 1 2 3 4 5 6 7 8; do cat "$T/net.flows" >>"$T/big.flows"; done
mkdir "$T/xf"
# xfsz CMD...: run CMD under a limit of 4 blocks (2 or 4 KiB, the shell
# decides), SIGXFSZ left at its default action.
xfsz() {
	( trap - XFSZ; ulimit -f 4; exec "$@" ) >"$T/out" 2>"$T/err"
	status=$?
	err=$(cat "$T/err")
}
xfsz "$FJ" -o "$T/xf/big.json" "$T/big.flows"
is "$status" 1 "flow-json -o over ulimit -f: exit 1, not killed by SIGXFSZ"
is "$err" "flow-json: $T/xf/big.json: write error: File too large" "... the message"
xfsz "$PF" -o "$T/xf/big.flows" "$FK_DATA/dns_tcp.pcap" "$FK_DATA/tls12_google_cert_repeat.pcap" \
	"$FK_DATA/sll_resp_15_tcp_streams.pcap"
is "$status" 1 "pcap-flows -o over ulimit -f: exit 1"
like "$err" "pcap-flows: $T/xf/big.flows: write error: File too large*" "... the message"
xfsz "$FI" -q -o "$T/xf/d" --dedup none "$T/big.flows"
is "$status" 1 "flow-idx over ulimit -f: exit 1"
like "$err" "flow-idx: $T/xf/d-*: write error: File too large*" "... the message"
is "$(ls "$T/xf" | tr '\n' ' ')" "" "ulimit -f: no temporary or partial file left"
( trap - XFSZ; ulimit -f 4; exec "$FJ" "$T/big.flows" ) >"$T/xf/stdout.json" 2>"$T/err"
is "$?" 1 "stdout redirected to a file over ulimit -f: exit 1"
is "$(cat "$T/err")" "flow-json: stdout: write error: File too large" "... the message"

# ---- eight concurrent appends keep every image ----
# Job k appends k+1 copies of the flows labelled jobK; alone, each gives
# n_k images.  Together on one prefix they must give the sum, and the
# labels of class jobK must still number n_k.
sum=0
for k in 0 1 2 3 4 5 6 7; do
	"$PF" -l "job$k" "$FK_DATA"/*.pcap >"$T/one$k.flows" 2>/dev/null
	: >"$T/job$k.flows"
	for _ in $(seq 0 $k); do cat "$T/one$k.flows" >>"$T/job$k.flows"; done
	"$FI" -q --dedup none -o "$T/single$k" "$T/job$k.flows"
	n=$(od -An -tu4 --endian=big -j4 -N4 "$T/single$k-labels-idx1-ubyte" | tr -d ' ')
	echo "job$k $n" >>"$T/want"
	sum=$((sum + n))
done
pids=
for k in 0 1 2 3 4 5 6 7; do
	"$FI" -q -a --dedup none -o "$T/cc" "$T/job$k.flows" 2>>"$T/cc.err" &
	pids="$pids $!"
done
bad=0
for p in $pids; do wait $p || bad=$((bad + 1)); done
is "$bad" 0 "eight concurrent appends: every job exits 0"
is "$(cat "$T/cc.err")" "" "... and says nothing"
run $PY - "$T/cc" <<'EOF'
import sys
p = sys.argv[1]
img = open(p + "-images-idx3-ubyte", "rb").read()
lab = open(p + "-labels-idx1-ubyte", "rb").read()
n = int.from_bytes(img[4:8], "big")
item = int.from_bytes(img[8:12], "big") * int.from_bytes(img[12:16], "big")
assert len(img) == 16 + n * item, "images file size"
assert int.from_bytes(lab[4:8], "big") == n and len(lab) == 8 + n, "labels count"
ids = {}
for line in open(p + "-classes.txt"):
    i, name = line.split()
    ids[int(i)] = name
count = {}
for b in lab[8:]:
    count[ids.get(b, "?%d" % b)] = count.get(ids.get(b, "?%d" % b), 0) + 1
print(n)
for name in sorted(count):
    print(name, count[name])
EOF
is "$(head -n 1 "$T/out")" "$sum" "eight concurrent appends keep all $sum images"
is "$(sed 1d "$T/out")" "$(cat "$T/want")" "... and each class has the labels of its own job"
is "$err" "" "... the data set reads back whole"

done_testing
