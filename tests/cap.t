#!/bin/sh
# cap.t - the capture reader (common/cap.c) against tshark and libpcap.
#
# For every capture in $FK_DATA: the packets cap returns (count, wire and
# captured lengths, time in ns, pcapng interface id, link type) equal
# tshark's; the same as libpcap's where libpcap can read the file; files
# that tshark cannot read end with the error or warning in the table below;
# every input path (file, descriptor, memory, pipe) gives the same packets.
# Run it on other captures with FK_DATA=/some/dir prove tests/cap.t.
. "${0%/*}/lib.sh"

TC=$FK_BIN/unit/t_cap
[ -x "$TC" ] || skip_all "$TC not built"

# Files tshark cannot read: packets kept, end, offset, message (a glob).
cat >"$T/expect" <<'EOF'
bad_pcap_version.pcap|0|ERR|4|*: offset 4: unsupported pcap version 1.4
bad_pcap_reserved_linktype_bits.pcap|0|ERR|20|*: offset 20: reserved bits set in the link-type field (0x00300000)
bad_pcapng_version.pcapng|0|ERR|12|*: offset 12: unsupported pcapng version 0.1
bad_pcapng_shb_option_too_long.pcapng|0|ERR|0|*: offset 0: block length 808464432 at the end differs from 52 at the start
bad_pcapng_epb_unbounded.pcapng|0|ERR|48|*: offset 48: captured length 65536 overruns its 32-byte block
trunc_file_cut_mid_packet.pcap|1|TRUNC|240|*: offset 240: file ends inside a record header (7 of 16 bytes)
rawip14_fuzz_malformed.pcap|2|ERR|65631|*: offset 65631: record of 16844826 captured bytes exceeds the maximum of 6094848
EOF

run "$TC"
ok "built-in tests ($(grep -c '^ok' "$T/out") passed)" [ "$status" -eq 0 ] ||
	diag "$(grep -A3 '^not ok' "$T/out" | head -n 40)"

# tshark's first protocol of a frame, and cap's link type, as one word.
lt_class() {
	awk -F'\t' 'BEGIN { OFS = "\t"
		m["1"] = "eth"; m["0"] = "null"; m["raw"] = "raw"; m["113"] = "sll"; m["276"] = "sll"
		m["228"] = "ip"; m["229"] = "ipv6"; m["239"] = "nflog" }
		{ $6 = ($6 in m) ? m[$6] : "lt" $6; print }'
}

have_tshark=0
command -v tshark >/dev/null 2>&1 && have_tshark=1
[ "$have_tshark" -eq 1 ] || diag "tshark not found: the tshark comparisons are skipped"

# tshark FILE ARGS... > out, 2> err, with its exit status.  tshark takes a
# second or more to start, and make check runs this file twice (plain and
# sanitized builds), so outputs are kept in build/tshark-cache, keyed by the
# capture's contents, the arguments and tshark's version.
TS_CACHE=${FK_TSHARK_CACHE:-$FK_ROOT/build/tshark-cache}
mkdir -p "$TS_CACHE" 2>/dev/null || TS_CACHE=$T
ts_version=$(tshark --version 2>/dev/null | head -n 1)
tshark_cached() {
	_f=$1
	shift
	_k=$({ printf '%s\n' "$ts_version" "$@"; cat "$_f"; } | sha256sum | cut -c1-32)
	if [ ! -f "$TS_CACHE/$_k.rc" ]; then
		tshark -r "$_f" "$@" >"$TS_CACHE/$_k.out.$$" 2>"$TS_CACHE/$_k.err.$$"
		echo $? >"$TS_CACHE/$_k.rc.$$"
		mv "$TS_CACHE/$_k.out.$$" "$TS_CACHE/$_k.out"
		mv "$TS_CACHE/$_k.err.$$" "$TS_CACHE/$_k.err"
		mv "$TS_CACHE/$_k.rc.$$" "$TS_CACHE/$_k.rc"
	fi
	cat "$TS_CACHE/$_k.out"
	cat "$TS_CACHE/$_k.err" >&2
	return "$(cat "$TS_CACHE/$_k.rc")"
}

files=$(cd "$FK_DATA" && ls -- *.pcap *.pcapng 2>/dev/null)
[ -n "$files" ] || skip_all "no captures in $FK_DATA"

# One process lists every file three ways: cap as tshark shows it (.p,
# end in .pe), cap as libpcap shows it (.d, .de), libpcap (.l, .le).
mkdir "$T/L"
set --
for f in $files; do set -- "$@" "$FK_DATA/$f"; done
run "$TC" -P "$T/L" "$@"
ok "every capture read without a crash" [ "$status" -eq 0 ] || diag "$err"

for f in $files; do
	p=$FK_DATA/$f
	cp "$T/L/$f.p" "$T/cap" 2>/dev/null || : >"$T/cap"
	end=$(cat "$T/L/$f.pe" 2>/dev/null)
	n=$(wc -l <"$T/cap" | tr -d ' ')
	like "$end" "end: *" "$f: read to its end ($n packets, ${end#end: })" || continue

	exp=$(grep "^$f|" "$T/expect")
	if [ -n "$exp" ]; then
		IFS='|' read -r _ en ee eo em <<EOF
$exp
EOF
		is "$n" "$en" "$f: $en complete packets kept"
		like "$end" "end: $ee $eo $em" "$f: ends with $ee at offset $eo"
	elif [ "$have_tshark" -eq 1 ]; then
		tshark_cached "$p" -T fields -e frame.number -e frame.len -e frame.cap_len \
			-e frame.time_epoch -e frame.interface_id -e frame.protocols \
			>"$T/ts" 2>"$T/ts.err"
		tst=$?
		if [ "$tst" -ne 0 ] || grep -qv '^Running as user' "$T/ts.err"; then
			fail "$f: tshark cannot read it, and the expectation table has no line for it"
			diag "$(cat "$T/ts.err")"
			continue
		fi
		# pcapng records that are not packets (custom blocks) have no
		# interface in tshark; frames are numbered again without them.
		case $f in
		*.pcapng) awk -F'\t' '$5 != ""' "$T/ts" >"$T/ts2" ;;
		*) cp "$T/ts" "$T/ts2" ;;
		esac
		awk -F'\t' 'BEGIN { OFS = "\t" } { split($6, a, ":"); print NR, $2, $3, $4, $5, a[1] }' \
			"$T/ts2" >"$T/want"
		lt_class <"$T/cap" >"$T/got0"
		# Documented exception: a time stamp past 2262 (beyond int64
		# nanoseconds; tshark shows the unsigned 64-bit value) wraps in cap.
		awk -F'\t' 'BEGIN { OFS = "\t" }
			NR == FNR { if ($4 + 0 > 9223372036) big[FNR] = 1; next }
			FNR in big { $4 = "(beyond 2262)" } { print }' "$T/want" "$T/got0" >"$T/got"
		awk -F'\t' 'BEGIN { OFS = "\t" } $4 + 0 > 9223372036 { $4 = "(beyond 2262)" } { print }' \
			"$T/want" >"$T/want2" && mv "$T/want2" "$T/want"
		is_file "$T/got" "$T/want" "$f: same packets, lengths, times, interfaces, link types as tshark"
		is "$end" "end: EOF" "$f: clean end"
	else
		skip 2 "no tshark"
	fi

	# libpcap, where it can open the file (1.10 refuses mixed pcapng, at
	# the open or at the first packet of the second link type): as far as
	# it reads, the same packets.
	cp "$T/L/$f.l" "$T/lp"
	lend=$(cat "$T/L/$f.le")
	case $lend in
	"end: OPEN"*) ;;
	*)
		head -n "$(wc -l <"$T/lp")" "$T/L/$f.d" >"$T/d"
		is_file "$T/d" "$T/lp" "$f: same packets as libpcap ($(wc -l <"$T/lp" | tr -d ' '), libpcap's ${lend#end: })"
		;;
	esac
done

# Input paths: a path, a descriptor, memory, pipes written in small chunks.
set --
for f in $files; do set -- "$@" "$FK_DATA/$f"; done
run "$TC" -s "$@"
ok "every capture: path, descriptor, memory and pipe give the same packets" [ "$status" -eq 0 ] ||
	diag "$(grep -A2 '^not ok' "$T/out" | head -n 20)"

# stdin as a pipe, as in "zcat x.pcap.gz | pcap-flows".
for f in pcap_nsec_be_tcp.pcap pcapng_11if_per_packet_encap.pcapng pcapng_be_2if_crafted.pcapng \
	trunc_file_cut_mid_packet.pcap; do
	[ -f "$FK_DATA/$f" ] || continue
	"$TC" -p "$FK_DATA/$f" >"$T/a" 2>"$T/a.end"
	gzip -c "$FK_DATA/$f" | gzip -dc | "$TC" -p - >"$T/b" 2>"$T/b.end"
	is_file "$T/b" "$T/a" "$f: the same from a pipe on stdin"
	is "$(sed 's/stdin: //' "$T/b.end")" "$(sed "s|$FK_DATA/$f: ||" "$T/a.end")" "$f: the same end from a pipe"
done
printf 'not a capture at all\n' >"$T/text.pcap"
run "$TC" -p "$T/text.pcap"
like "$err" "end: ERR -1 */text.pcap: not a pcap or pcapng file (it starts with 6e 6f 74 20 61 20 63 61)" \
	"a text file is not a capture"
# Compressed captures (common/zread.c): the same packets and the same end,
# offsets included (they are offsets of the decompressed data), from every
# input path (path, descriptor, memory, pipe).
for f in pcap_nsec_be_tcp.pcap pcapng_11if_per_packet_encap.pcapng trunc_file_cut_mid_packet.pcap; do
	[ -f "$FK_DATA/$f" ] || continue
	"$TC" -p "$FK_DATA/$f" >"$T/a" 2>"$T/a.end"
	for z in "gzip -c" "zstd -q -c" "xz -c"; do
		e=$(echo "$z" | sed 's/ .*//; s/zstd/zst/; s/gzip/gz/')
		$z "$FK_DATA/$f" >"$T/$f.$e"
		"$TC" -p "$T/$f.$e" >"$T/b" 2>"$T/b.end"
		is_file "$T/b" "$T/a" "$f.$e: the packets of $f"
		is "$(sed "s|$T/$f.$e: ||" "$T/b.end")" "$(sed "s|$FK_DATA/$f: ||" "$T/a.end")" "$f.$e: the same end"
	done
	"$TC" -s "$T/$f.gz" "$T/$f.zst" "$T/$f.xz" >"$T/s" 2>&1
	ok "$f: compressed, every input path gives the same packets" [ $? -eq 0 ] ||
		diag "$(grep -A2 '^not ok' "$T/s" | head -n 20)"
done
printf 'not a capture\n' | gzip -c >"$T/text.gz"
run "$TC" -p "$T/text.gz"
like "$err" "end: ERR -1 */text.gz: not a pcap or pcapng file inside the gzip data (it starts with 6e 6f 74 20 61 20 63 61)" \
	"text inside gzip is named as such"
gzip -c "$FK_DATA/$(echo "$files" | head -n 1)" | gzip -c >"$T/x.pcap.gz.gz"
run "$TC" -p "$T/x.pcap.gz.gz"
like "$err" "end: ERR -1 *: gzip-compressed data inside gzip-compressed data: decompress the outer layer first" \
	"compressed twice is named as such"
: | gzip -c >"$T/empty.gz"
run "$TC" -p "$T/empty.gz"
like "$err" "end: ERR -1 *: gzip data that decompress to nothing, not a capture" "compressed nothing"
printf 'BZh91AY&SY' >"$T/x.bz2"
run "$TC" -p "$T/x.bz2"
like "$err" "end: ERR -1 *: bzip2-compressed data, not a capture (decompress it first: bzcat FILE | ...)" \
	"bzip2 is named as such"
run "$TC" -p "$T/missing.pcap"
like "$err" "end: ERR -1 */missing.pcap: No such file or directory" "a missing file"

# BPF on every input, mixed link types included.
bpf_vs_tshark() { # file bpf display-filter
	[ -f "$FK_DATA/$1" ] || return 0
	"$TC" -f "$2" "$FK_DATA/$1" >"$T/f" 2>"$T/f.err"
	if [ "$have_tshark" -eq 1 ]; then
		tshark_cached "$FK_DATA/$1" -Y "$3" -T fields -e frame.number >"$T/fy" 2>/dev/null
		is_file "$T/f" "$T/fy" "$1: filter '$2' passes the packets tshark shows for '$3' ($(wc -l <"$T/f" | tr -d ' '))"
	else
		skip 1 "no tshark"
	fi
}
bpf_vs_tshark pcapng_11if_per_packet_encap.pcapng 'udp port 53' 'udp.port == 53'
bpf_vs_tshark pcapng_2if_snaplen_trunc.pcapng 'tcp port 6000 or ip6' 'tcp.port == 6000 || ipv6'
bpf_vs_tshark pcapng_11if_per_packet_encap.pcapng 'ip and not udp port 53' 'ip && !(udp.port == 53)'
for f in pcap_be_pptp_gre.pcap rawip12_ipv6_http.pcap pcap_nsec_le_sll_tcp.pcap null_loopback_quic.pcap; do
	[ -f "$FK_DATA/$f" ] || continue
	"$TC" -f 'tcp or udp' "$FK_DATA/$f" >"$T/f" 2>/dev/null
	"$TC" -F 'tcp or udp' "$FK_DATA/$f" >"$T/F" 2>/dev/null
	is_file "$T/f" "$T/F" "$f: filter 'tcp or udp' passes what libpcap's filter passes ($(wc -l <"$T/f" | tr -d ' '))"
done
if [ -f "$FK_DATA/pcapng_11if_per_packet_encap.pcapng" ]; then
	run "$TC" -f 'ether host 00:01:02:03:04:05' "$FK_DATA/pcapng_11if_per_packet_encap.pcapng"
	like "$err" "*warning: filter cannot apply to link type 0:*" "an Ethernet-only filter warns on loopback"
	is "$(printf '%s\n' "$err" | grep -c warning)" 1 "once per link type, not per packet (2 loopback packets)"
fi
run "$TC" -f 'tcp port' "$FK_DATA/$(echo "$files" | head -n 1)"
like "$err" "filter: *" "a bad filter is refused"

done_testing
