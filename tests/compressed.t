#!/bin/sh
# compressed.t - pcap-flows on gzip, zstd and xz captures (common/zread.c).
#
# Every capture below, compressed by the gzip, zstd and xz programs, gives
# the bytes pcap-flows gives for the plain file: named as the plain file
# (so the kind is found by magic number, not by name), from stdin, and in
# directories (where only the recorded file names differ).  A compressed
# file cut short gives the records of what the program itself decompresses
# from it (zcat & co. write out what they could decode) and exit 1; corrupt
# data gives exit 1 and "NAME: KIND: corrupt data at byte N".
. "${0%/*}/lib.sh"

PF=$FK_BIN/pcap-flows
FJ=$FK_BIN/flow-json
for p in gzip zstd xz; do
	command -v $p >/dev/null 2>&1 || skip_all "$p not installed"
done

caps="dns_tcp.pcap app_ssh.pcapng ipv4_frag_tcp.pcap app_openvpn.pcapng quic_ch_frags_out_of_order.pcapng
pcapng_11if_per_packet_encap.pcapng trunc_file_cut_mid_packet.pcap"
kinds="gz zst xz"

# compress KIND < plain > compressed
compress() {
	case $1 in
	gz) gzip -c ;;
	zst) zstd -q -c ;;
	xz) xz -c ;;
	esac
}
decompress() {
	case $1 in
	gz) gzip -dc ;;
	zst) zstd -q -dc ;;
	xz) xz -dc ;;
	esac
}

mkdir "$T/plain" "$T/same" "$T/dp" "$T/dz"
n=0
for f in $caps; do
	[ -f "$FK_DATA/$f" ] || { diag "$f: not in $FK_DATA"; continue; }
	cp "$FK_DATA/$f" "$T/plain/$f"
	cp "$FK_DATA/$f" "$T/dp/$f"
	(cd "$T/plain" && "$PF" "$f" >"$T/$f.ref" 2>"$T/$f.referr")
	echo $? >"$T/$f.refrc"
	"$PF" <"$T/plain/$f" >"$T/$f.refin" 2>/dev/null
	for k in $kinds; do
		compress $k <"$T/plain/$f" >"$T/same/$f"
		(cd "$T/same" && "$PF" "$f" >"$T/got" 2>"$T/goterr")
		is "$? $(cat "$T/goterr")" "$(cat "$T/$f.refrc") $(cat "$T/$f.referr")" \
			"$f as $k under the plain name: the same exit and messages"
		is_file "$T/got" "$T/$f.ref" "$f as $k under the plain name: the same bytes"
		"$PF" <"$T/same/$f" >"$T/got" 2>/dev/null
		is_file "$T/got" "$T/$f.refin" "$f as $k on stdin: the same bytes"
		cp "$T/same/$f" "$T/$f.$k"
	done
	# The directory holds each capture once, its kind chosen in turn.
	k=$(echo $kinds | cut -d' ' -f$((n % 3 + 1)))
	cp "$T/$f.$k" "$T/dz/$f.$k"
	n=$((n + 1))
done
[ "$n" -ge 5 ] || diag "only $n of the captures found"

# Directories: the same records; the file names are the only difference.
(cd "$T" && "$PF" dp) 2>"$T/dperr" | "$FJ" -a >"$T/dp.json"
(cd "$T" && "$PF" dz) 2>"$T/dzerr" | "$FJ" -a >"$T/dz.json"
sed 's/\.\(gz\|zst\|xz\)"/"/g; s/"dz\//"dp\//g; s/"pcap-flows dz"/"pcap-flows dp"/' "$T/dz.json" >"$T/dz.norm"
is_file "$T/dz.norm" "$T/dp.json" "a directory of compressed captures: the records of the plain ones ($(grep -c . "$T/dp.json") lines)"
is "$(sed 's/\.\(gz\|zst\|xz\):/:/; s|dz/|dp/|' "$T/dzerr")" "$(cat "$T/dperr")" "and the same messages"
ok "the walk found every compressed capture" [ "$(grep -c '"file":"dz/' "$T/dz.json")" -ge "$(grep -c '"file":"dp/' "$T/dp.json")" ]
like "$(grep -o '"file":"dz/[^"]*"' "$T/dz.json" | sort -u | tr '\n' ' ')" '*.gz"*.xz"*.zst"*' \
	"the recorded names are those of the compressed files"

# Cut short: the records of what the program decompresses, exit 1.
f=quic_ch_frags_out_of_order.pcapng
if [ -f "$T/plain/$f" ]; then
	# zstd decodes whole blocks: frames of 16 KiB give a prefix to compare.
	split -b 16384 "$T/plain/$f" "$T/part."
	for p in "$T"/part.*; do zstd -q -c "$p"; done >"$T/$f.zst"
	"$PF" <"$T/$f.zst" | cmp -s - "$T/$f.refin"
	ok "zstd frames back to back: the bytes of the plain file" [ $? -eq 0 ]
	for k in $kinds; do
		kn=$(echo $k | sed 's/gz/gzip/; s/zst/zstd/')
		s=$(wc -c <"$T/$f.$k")
		head -c $((s * 3 / 4)) "$T/$f.$k" >"$T/cut.$f.$k"
		decompress $k <"$T/cut.$f.$k" >"$T/cut.plain" 2>/dev/null
		"$PF" <"$T/cut.plain" >"$T/want" 2>/dev/null
		run "$PF" "$T/cut.$f.$k"
		ok "$k cut at 3/4: exit 1" [ "$status" -eq 1 ]
		like "$err" "pcap-flows: $T/cut.$f.$k: $kn: file ends inside the compressed data (at byte [0-9]*)" \
			"$k cut at 3/4: the message"
		"$PF" <"$T/cut.$f.$k" >"$T/got" 2>/dev/null
		is_file "$T/got" "$T/want" "$k cut at 3/4: the records of what $kn -d decodes ($("$FJ" "$T/got" | grep -c .) flows)"
	done
fi

# Corrupt: a flipped bit in the check value at the end of each format.
f=app_ssh.pcapng
if [ -f "$T/$f.gz" ]; then
	flip() { # file offset-from-end
		python3 -c 'import sys
p, o = sys.argv[1], int(sys.argv[2])
b = bytearray(open(p, "rb").read()); b[len(b) - o] ^= 0x10
open(p, "wb").write(b)' "$1" "$2"
	}
	cp "$T/$f.gz" "$T/bad.pcapng.gz" && flip "$T/bad.pcapng.gz" 8      # CRC-32 of the member
	cp "$T/$f.zst" "$T/bad.pcapng.zst" && flip "$T/bad.pcapng.zst" 2   # the frame's checksum
	cp "$T/$f.xz" "$T/bad.pcapng.xz" && flip "$T/bad.pcapng.xz" 20     # the index's CRC-32
	for k in $kinds; do
		kn=$(echo $k | sed 's/gz/gzip/; s/zst/zstd/')
		run "$PF" "$T/bad.pcapng.$k"
		ok "$k corrupt: exit 1" [ "$status" -eq 1 ]
		like "$err" "pcap-flows: $T/bad.pcapng.$k: $kn: corrupt data at byte [0-9]*" "$k corrupt: the message ($err)"
		run "$PF" <"$T/bad.pcapng.$k"
		like "$status $err" "1 pcap-flows: stdin: $kn: corrupt data at byte [0-9]*" "$k corrupt on stdin"
	done
	# A gzip header that names an unknown method is found at once.
	printf '\037\213\007\000\000\000\000\000\000\003xxxxxxxx' >"$T/method.pcap.gz"
	run "$PF" "$T/method.pcap.gz"
	is "$status $err" "1 pcap-flows: $T/method.pcap.gz: gzip: corrupt data at byte 4: unknown compression method" \
		"a gzip header with an unknown method"
	# Garbage after the last member: an error where it starts.
	{ cat "$T/$f.gz"; printf 'garbage!'; } >"$T/trail.pcapng.gz"
	run "$PF" "$T/trail.pcapng.gz"
	like "$status $err" "1 pcap-flows: $T/trail.pcapng.gz: gzip: corrupt data at byte $(($(wc -c <"$T/$f.gz") + 2)): incorrect header check" \
		"garbage after the last gzip member"
	"$FJ" "$T/out" >"$T/trail.json" && "$FJ" "$T/$f.ref" >"$T/ref.json"
	is "$(grep -c . "$T/trail.json")" "$(grep -c . "$T/ref.json")" "and the records before it are kept"
fi

# Directories in which nothing can be read.
mkdir "$T/empty" "$T/notes" "$T/bad"
echo text >"$T/notes/readme.txt"
echo text | gzip -c >"$T/bad/x.pcap.gz"
run "$PF" "$T/empty"
is "$status $err" "1 pcap-flows: $T/empty: no capture files in this directory" "an empty directory is an error"
run "$PF" "$T/notes"
is "$status $err" "1 pcap-flows: $T/notes: no capture files in this directory" "a directory without captures is an error"
run "$PF" "$T/bad"
is "$status $err" "1 pcap-flows: $T/bad/x.pcap.gz: not a pcap or pcapng file inside the gzip data (it starts with 74 65 78 74 0a)" \
	"a directory of unreadable captures is an error"
run "$PF" "$T/empty" "$T/plain/dns_tcp.pcap"
ok "an empty directory among inputs: the others are read, exit 1" [ "$status" -eq 1 ] &&
	"$FJ" "$T/out" | grep -q '"file":".*dns_tcp.pcap"'

done_testing
