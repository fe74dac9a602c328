#!/bin/sh
# dataset-mk.t - examples/dataset.mk: a tree of captures (one directory per
# class, a compressed capture among them) built at -j1 and at -j8 gives the
# same bytes in every output file; the per-capture build equals one
# pcap-flows run over the whole directory (IDX, FlowPic, features and
# records); a touched capture remakes its own stream and the final outputs
# only; a touched map remakes every stream; a capture that fails stops the
# build without leaving a stream or a data set; usage errors.
. "${0%/*}/lib.sh"

MK=$FK_ROOT/examples/dataset.mk
PF=$FK_BIN/pcap-flows
[ -x "$PF" ] || skip_all "no $PF"
command -v make >/dev/null 2>&1 || skip_all "no make"

. "${0%/*}/captree.sh"
captree "$T/caps" || { echo "Bail out! cannot make the tree of captures"; exit 1; }
ncap=$CAPTREE_N

# build DIR [VAR=value...]: run the make file in DIR (made), as a user
# would, with relative paths that are the same in every DIR; log in DIR.log.
build() {
	_d=$1
	shift
	mkdir -p "$T/$_d"
	(cd "$T/$_d" && make -f "$MK" CAPTURES=../caps OUT=out FLOWKIT="$FK_BIN" \
		PIC_OPTS=--mini "$@") >"$T/$_d.log" 2>&1
}

# files DIR: the files under DIR/out, one relative name a line, sorted.
files() {
	(cd "$T/$1/out" && find . -type f | LC_ALL=C sort)
}

# same A B WHAT: every file of A/out is in B/out with the same bytes.
same() {
	is "$(files "$1")" "$(files "$2")" "$3: the same files"
	for f in $(files "$1"); do
		is_file "$T/$2/out/$f" "$T/$1/out/$f" "$3: ${f#./} is the same, byte for byte"
	done
}

# later: wait until file times move on.  The kernel stamps files with a
# coarse clock (a few milliseconds), and make takes equal times as up to
# date: a file changed in the tick its output was written would be missed.
later() {
	sleep 0.1
}

# stamps DIR: every output file with its inode and modification time.
stamps() {
	(cd "$T/$1/out" && find . -type f -printf '%p %i %T@\n' | LC_ALL=C sort)
}

build j1 -j1
st=$?
ok "-j1: exit 0" test "$st" -eq 0 || diag "$(tail -n 20 "$T/j1.log")"
build j8 -j8
st=$?
ok "-j8: exit 0" test "$st" -eq 0 || diag "$(tail -n 20 "$T/j8.log")"
is "$(grep -c 'pcap-flows --label-dir' "$T/j8.log")" "$ncap" "-j8: one pcap-flows job per capture"
same j1 j8 "-j1 and -j8"
is "$(find "$T/j1/out" "$T/j8/out" -name '*.tmp.*' | wc -l)" 0 "no temporary file left"

O=$T/j1/out
is "$(cat "$O/captures.list")" "dns/dns_tcp.pcap
dns/dns_udp_tcp_ecs_frag.pcap
dns/nflog_dns.pcap.gz
quic/app_ssh.pcapng
quic/quic_chromium.pcap
tcp/sll_resp_15_tcp_streams.pcap
tcp/tcp_ooo_retrans_heuristic.pcap
web/eth_qinq_http.pcap
web/eth_vlan_http.pcap
web/eth_vlan_mpls_mixed.pcap" "the captures, in pcap-flows' directory order" ||
	diag "(the list has $(wc -l <"$O/captures.list") lines; $ncap expected: check the test)"
is "$(cat "$O/idx-classes.txt")" "0 dns
1 quic
2 tcp
3 web" "labels from the directory names"
is "$(cat "$O/pic-classes.txt")" "$(cat "$O/idx-classes.txt")" "flow-pic has the same classes"

# The same data set from one pcap-flows run over the directory: the split
# into per-capture jobs changes nothing but the headers.
(
	cd "$T/j1" &&
	"$PF" --label-dir ../caps >one.flows 2>/dev/null &&
	"$FK_BIN/flow-idx" -q -o one-idx one.flows &&
	"$FK_BIN/flow-pic" -q --mini -o one-pic one.flows &&
	"$FK_BIN/flow-stats" -o one.csv one.flows &&
	"$FK_BIN/flow-json" one.flows >one.jsonl &&
	"$FK_BIN/flow-json" out/all.flows >all.jsonl
) 2>"$T/err"
ok "one pcap-flows run over the directory: the tools exit 0" test $? -eq 0 || diag "$(cat "$T/err")"
for f in idx-images-idx3-ubyte idx-labels-idx1-ubyte idx-classes.txt \
    pic-X.npy pic-y.npy pic-index.csv pic-classes.txt; do
	is_file "$O/$f" "$T/j1/one-$f" "$f equals the one made by a single pcap-flows run"
done
is_file "$O/features.csv" "$T/j1/one.csv" "features.csv equals the single run's"
is_file "$T/j1/all.jsonl" "$T/j1/one.jsonl" "all.flows holds the single run's records"
n=$(wc -l <"$T/j1/one.jsonl")
ok "the records are not few ($n)" test "$n" -gt 40
n=$(od -An -tu1 -j7 -N1 "$O/idx-labels-idx1-ubyte" | tr -d ' ')
ok "the IDX data set has images ($n in its low count byte)" test "$n" -gt 0
n=$(($(wc -l <"$O/pic-index.csv") - 1))
ok "flow-pic drew pictures ($n)" test "$n" -gt 0
# Each stream has one header: the all.flows of N captures has N segments.
is "$("$FK_BIN/flow-json" -H "$O/all.flows" | grep -c '"provenance"')" "$ncap" \
	"all.flows is the $ncap streams concatenated, one segment each"

# ---- what a change remakes ----
build j8 -j8
is "$(grep -c -e pcap-flows -e flow-idx -e flow-pic -e flow-stats "$T/j8.log")" 0 \
	"nothing changed: nothing is remade"
stamps j8 >"$T/before"
later
touch "$T/caps/web/eth_vlan_http.pcap"
build j8 -j8
st=$?
ok "after a touch: exit 0" test "$st" -eq 0 || diag "$(tail -n 20 "$T/j8.log")"
is "$(grep pcap-flows "$T/j8.log" | sed 's/.* -o //')" \
	"out/flows/web/eth_vlan_http.pcap.flows ../caps/web/eth_vlan_http.pcap" \
	"after a touch: one pcap-flows job, for the touched capture"
stamps j8 >"$T/after"
is "$(join "$T/before" "$T/after" | awk '$2 != $4 || $3 != $5 { print $1 }')" "./all.flows
./features.csv
./flows/web/eth_vlan_http.pcap.flows
./idx-classes.txt
./idx-images-idx3-ubyte
./idx-labels-idx1-ubyte
./idx.done
./pic-X.npy
./pic-classes.txt
./pic-index.csv
./pic-y.npy
./pic.done" "after a touch: its stream and the final outputs were rewritten, nothing else"
same j1 j8 "after the touch, -j1 and -j8"

# A capture added: the list, its stream and the final outputs.
later
cp "$FK_DATA/icmpv6_ping.pcap" "$T/caps/web/"
build j8 -j8
is "$(grep pcap-flows "$T/j8.log" | sed 's/.* -o //')" \
	"out/flows/web/icmpv6_ping.pcap.flows ../caps/web/icmpv6_ping.pcap" \
	"a capture added: one pcap-flows job, for it"
is "$(grep -c icmpv6_ping "$T/j8/out/captures.list")" 1 "a capture added: it is in the list"
later
rm "$T/caps/web/icmpv6_ping.pcap"
build j8 -j8
is "$(grep -c pcap-flows "$T/j8.log"):$(grep -c icmpv6_ping "$T/j8/out/captures.list")" "0:0" \
	"a capture removed: no job, out of the list"
# Its stream is left in out/flows, but is no more in all.flows.
is_file "$T/j8/out/all.flows" "$T/j1/out/all.flows" "a capture removed: all.flows is as before"

# ---- labels from a map ----
printf '%s\n' '# test map' 'http web' 'mixed web' 'dns dns' 'tcp tcp' 'quic quic' 'ssh quic' >"$T/test.map"
build jm -j8 MAP=../test.map
st=$?
ok "MAP: exit 0" test "$st" -eq 0 || diag "$(tail -n 20 "$T/jm.log")"
is "$(grep -c 'pcap-flows -L ../test.map' "$T/jm.log")" "$ncap" "MAP: pcap-flows -L for every capture"
is_file "$T/jm/out/idx-labels-idx1-ubyte" "$O/idx-labels-idx1-ubyte" \
	"MAP: a map that names the directories' classes gives the same labels"
later
touch "$T/test.map"
build jm -j8 MAP=../test.map
is "$(grep -c 'pcap-flows' "$T/jm.log")" "$ncap" "MAP: a touched map remakes every stream"
later
printf '%s\n' 'dns 7' 'quic 1' 'tcp 2' 'web 3' >"$T/test.classes"
build jm -j8 MAP=../test.map CLASSES=../test.classes
is "$(head -n 1 "$T/jm/out/idx-classes.txt"):$(grep -c pcap-flows "$T/jm.log")" "1 quic:0" \
	"CLASSES: the class file gives the ids, and no stream is remade"

# ---- a capture that fails ----
mkdir -p "$T/bad/caps/x"
cp "$FK_DATA/dns_tcp.pcap" "$FK_DATA/trunc_file_cut_mid_packet.pcap" "$T/bad/caps/x/"
run sh -c "cd '$T/bad' && make -f '$MK' CAPTURES=caps OUT=out FLOWKIT='$FK_BIN' -j8"
ok "a capture cut short: make fails" test "$status" -ne 0
like "$err" "*trunc_file_cut_mid_packet.pcap*" "a capture cut short: pcap-flows names it"
ok "a capture cut short: no stream for it, no all.flows, no data set" \
	test ! -e "$T/bad/out/flows/x/trunc_file_cut_mid_packet.pcap.flows" -a ! -e "$T/bad/out/all.flows" \
	-a ! -e "$T/bad/out/idx.done"
ok "a capture cut short: the other stream is made" test -s "$T/bad/out/flows/x/dns_tcp.pcap.flows"

# ---- one capture split first (flowkit(7), One huge capture) ----
# 15 TCP connections of 10 packets one after the other, cut every 25
# packets: the 3 connections across a cut become two records each, the
# first ending eof, the second starting without its SYN.
if command -v editcap >/dev/null 2>&1; then
	mkdir -p "$T/split"
	editcap -c 25 "$FK_DATA/sll_resp_15_tcp_streams.pcap" "$T/split/p.pcap"
	is "$(ls "$T/split" | head -n 2)" "p_00000_20150224022300.pcap
p_00001_20150224022300.pcap" "editcap -c: parts named in order"
	"$PF" "$FK_DATA/sll_resp_15_tcp_streams.pcap" | "$FK_BIN/flow-stats" -c end --no-header >"$T/whole"
	"$PF" "$T/split" | "$FK_BIN/flow-stats" -c end,src_pkts,src_tcp_flags --no-header >"$T/parts"
	is "$(wc -l <"$T/whole"):$(grep -c . "$T/parts")" "15:18" "a cut flow is two records"
	is "$(grep -c '^eof,3,' "$T/parts")" 3 "the first part of a cut flow ends eof"
	is "$(awk -F, '$1 == "fin" && $2 == 2 && int($3 / 2) % 2 == 0' "$T/parts" | wc -l)" 3 \
		"the second part starts mid-conversation: no SYN from its initiator"
else
	skip 4 "no editcap"
fi

# ---- usage ----
run make -f "$MK" OUT="$T/u"
like "$status:$err" "2:*CAPTURES=dir is required*" "no CAPTURES: an error"
run make -f "$MK" CAPTURES="$T/caps"
like "$status:$err" "2:*OUT=dir is required*" "no OUT: an error"
mkdir -p "$T/empty"
echo x >"$T/empty/notes.txt"
run make -f "$MK" CAPTURES="$T/empty" OUT="$T/u"
like "$status:$err" "2:*empty: no capture files in this directory*" "no captures: an error"
mkdir -p "$T/blank"
cp "$FK_DATA/dns_tcp.pcap" "$T/blank/a b.pcap"
run make -f "$MK" CAPTURES="$T/blank" OUT="$T/u"
like "$status:$err" "2:*a b.pcap: a file name with a blank*" "a name with a blank: refused"
ok "usage errors: nothing written" test ! -e "$T/u"

done_testing
