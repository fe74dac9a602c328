#!/bin/sh
# battery.t - the behaviour every flowkit tool shares (STYLE.md, "Tests"):
# help and version, usage errors, empty and header-only input, concatenated
# streams, truncation, write errors, a closed pipe, terminals, missing
# files, directories, a capture or JSON file given by mistake, record
# numbers in messages; and for transforms, that a failed input leaves an
# output that the next tool sees as unfinished, and an -o file unchanged.
#
# Each tool in TOOLS that exists in $FK_BIN gets the tests that fit its
# kind:
#   sink    reads a stream, writes text          (flow-json, flow-stats)
#   xform   reads a stream, writes a stream      (flow-anon, flow-filter)
#   source  reads captures, writes a stream      (pcap-flows)
#   files   reads a stream, writes a data set of files under -o PREFIX,
#           nothing at all when an input fails   (flow-pic)
# A tool that needs arguments to run at all gets them from tool_args.
# Streams are made by flow-json -r from tests/data/battery.jsonl.

# $A is split into words on purpose.
# shellcheck disable=SC2086
. "${0%/*}/lib.sh"

TOOLS="flow-json:sink pcap-flows:source flow-anon:xform flow-filter:xform flow-pic:files flow-stats:sink"

tool_args() {
	case $1 in
	flow-anon) echo "-k $FK_DATA/anon.key" ;;
	flow-filter) echo "-e true" ;;
	flow-pic) echo "-q -o $T/fp/p --min-flow-pkts 0 --min-pkts 0 --min-span 0 --bins 4" ;;
	*) echo "" ;;
	esac
}

FJ=$FK_BIN/flow-json
[ -x "$FJ" ] || skip_all "no $FJ (the battery makes its streams with flow-json -r)"

# The streams: a (all fixture flows), b (the first flow only), their
# concatenation, a header-only stream, a truncated one, and a big one
# (many copies of a) whose output overflows a pipe.
"$FJ" -r "$FK_DATA/battery.jsonl" >"$T/a.flows" || { echo "Bail out! flow-json -r battery.jsonl failed"; exit 1; }
head -n 1 "$FK_DATA/battery.jsonl" | "$FJ" -r >"$T/b.flows" || { echo "Bail out! flow-json -r failed"; exit 1; }
cat "$T/a.flows" "$T/b.flows" >"$T/ab.flows"
# "stream truncated after N records" counts every complete record: the
# header and the flows (flowrec(5), "Stream and segments").
NA=$(($(grep -c . "$FK_DATA/battery.jsonl") + 1))
# A header record (prefix, magic, version 1.0, one CREATOR element) and an
# END record with zero counts, written out byte by byte (flowrec(5)).
{
	printf '\000\000\000\047\000\001\000\000'
	printf '\211FLOW\015\012\032\001\000\000\000'
	printf '\000\001\000\000\000\015flowkit 0.1.0'
	printf '\000\000\000\040\000\003\000\000'
	printf '\000\000\000\000\000\000\000\000%.0s' 1 2 3
} >"$T/hdr.flows"
size=$(wc -c <"$T/a.flows")
head -c $((size - 32)) "$T/a.flows" >"$T/trunc-end.flows"
head -c $((size - 40)) "$T/a.flows" >"$T/trunc-mid.flows"
# Damaged first, second and last records (flowrec(5): records of every
# type are numbered from 1 in each input, the header being record 1).
hl=$(od -An -tu4 --endian=big -N4 "$T/a.flows" | tr -d ' ')
patch_byte() { # FILE OFFSET OCTAL
	printf "\\$3" | dd of="$1" bs=1 seek="$2" conv=notrunc 2>/dev/null
}
cp "$T/a.flows" "$T/bad1.flows" && patch_byte "$T/bad1.flows" 7 001
cp "$T/a.flows" "$T/bad2.flows" && patch_byte "$T/bad2.flows" $((hl + 7)) 001
cp "$T/a.flows" "$T/badlast.flows" && patch_byte "$T/badlast.flows" $((size - 17)) 377
# flow-json -r input cut inside its last line.
jsize=$(wc -c <"$FK_DATA/battery.jsonl")
head -c $((jsize - 10)) "$FK_DATA/battery.jsonl" >"$T/trunc.jsonl"
mkdir "$T/dir"
cp "$T/a.flows" "$T/big.flows"
# 8192 copies (5.8 MB), by doubling: more than the 1 MiB the tools widen
# their output pipes to, plus their 256 KiB write blocks.
for _ in 1 2 3 4 5 6 7 8 9 10 11 12 13; do
	cat "$T/big.flows" "$T/big.flows" >"$T/big2.flows"
	mv "$T/big2.flows" "$T/big.flows"
done

have_script=no
# script(1) needs a working pseudo-terminal (not every container has one).
if command -v script >/dev/null 2>&1 && command -v timeout >/dev/null 2>&1 &&
	timeout 10 script -qec 'test -t 0 && test -t 1' /dev/null </dev/null >/dev/null 2>&1; then
	have_script=yes
fi

# view KIND FILE: the flows of a tool's output as text, for comparisons.
view() {
	case $1 in
	sink) cat "$2" ;;
	files) # the data set, then gone: a run that writes none shows nothing
		cat "$T"/fp/p-* 2>/dev/null
		rm -f "$T"/fp/p-* ;;
	*) "$FJ" "$2" ;;
	esac
}

# Tests that every tool gets.
common_tests() {
	t=$1 x=$2
	for h in -h --help; do
		run "$x" $h </dev/null
		is "$status" 0 "$t $h: exit 0"
		like "$out" "*[Uu]sage*" "$t $h: usage on stdout"
		is "$err" "" "$t $h: nothing on stderr"
	done

	run "$x" --version </dev/null
	is "$status" 0 "$t --version: exit 0"
	like "$out" "$t (flowkit) [0-9]*" "$t --version: name and version"

	run "$x" --no-such-option </dev/null
	is "$status" 2 "$t bad option: exit 2"
	like "$err" "$t: *" "$t bad option: message on stderr"
	is "$out" "" "$t bad option: nothing on stdout"
}

# Tests for tools that read a stream.
reader_tests() {
	t=$1 x=$2 k=$3 A=$4
	# A data set sink adds "PREFIX: not written" after the input's message.
	more=
	[ "$k" = files ] && more="
$t: $T/fp/p: not written"

	run "$x" $A </dev/null
	is "$status" 0 "$t: empty stdin: exit 0"
	is "$err" "" "$t: empty stdin: no message"
	[ "$k" = sink ] && is "$out" "" "$t: empty stdin: no output"
	run "$x" $A - </dev/null
	is "$status" 0 "$t -: empty stdin: exit 0"

	run "$x" $A "$T/hdr.flows"
	is "$status" 0 "$t: header-only stream: exit 0"
	is "$err" "" "$t: header-only stream: no message"
	[ "$k" = sink ] && is "$out" "" "$t: header-only stream: no output"
	run "$x" $A <"$T/hdr.flows"
	is "$status" 0 "$t: header-only stream on stdin: exit 0"

	# cat a b | tool  ==  tool a b
	run "$x" $A <"$T/ab.flows"
	is "$status" 0 "$t: concatenated streams on stdin: exit 0"
	view "$k" "$T/out" >"$T/cat.view"
	run "$x" $A "$T/a.flows" "$T/b.flows"
	is "$status" 0 "$t: two files: exit 0"
	view "$k" "$T/out" >"$T/two.view"
	ok "$t: two files: some output" test -s "$T/two.view"
	is_file "$T/cat.view" "$T/two.view" "$t: cat a b | $t equals $t a b"

	run "$x" $A "$T/trunc-end.flows"
	is "$status" 1 "$t: stream without END: exit 1"
	like "$err" "$t: *stream truncated after $NA records*" "$t: stream without END: message"
	run "$x" $A <"$T/trunc-end.flows"
	like "$err" "$t: stdin: *stream truncated after $NA records*" "$t: stream without END on stdin: names stdin"
	run "$x" $A "$T/trunc-mid.flows"
	is "$status" 1 "$t: stream cut in a record: exit 1"
	like "$err" "$t: *truncated*" "$t: stream cut in a record: message"

	run "$x" $A "$T/nosuch.flows" "$T/a.flows"
	is "$status" 1 "$t: missing file: exit 1"
	like "$err" "$t: *nosuch.flows*" "$t: missing file: named"
	view "$k" "$T/out" >"$T/miss.view"
	run "$x" $A "$T/a.flows"
	view "$k" "$T/out" >"$T/a.view"
	if [ "$k" = files ]; then
		is "$(cat "$T/miss.view")" "" "$t: missing file: no data set"
	else
		is_file "$T/miss.view" "$T/a.view" "$t: missing file: the other file still processed"
	fi

	run "$x" $A "$T/dir" "$T/a.flows"
	is "$status" 1 "$t: directory: exit 1"
	is "$err" "$t: $T/dir: is a directory, not an input file$more" "$t: directory: message"
	view "$k" "$T/out" >"$T/dir.view"
	if [ "$k" = files ]; then
		is "$(cat "$T/dir.view")" "" "$t: directory: no data set"
	else
		is_file "$T/dir.view" "$T/a.view" "$t: directory: the other file still processed"
	fi

	run "$x" $A "$T/bad1.flows"
	like "$status:$err" "1:$t: $T/bad1.flows: offset 0: record 1: reserved prefix bytes are not zero$more" \
	    "$t: damaged header: named as record 1"
	run "$x" $A "$T/bad2.flows"
	like "$status:$err" "1:$t: $T/bad2.flows: offset $hl: record 2: reserved prefix bytes are not zero$more" \
	    "$t: damaged first flow: named as record 2"
	run "$x" $A "$T/badlast.flows"
	like "$status:$err" "1:$t: $T/badlast.flows: offset $((size - 32)): record $((NA + 1)): end record counts*" \
	    "$t: damaged end record: named as record $((NA + 1))"

	run "$x" $A "$FK_DATA/dns_tcp.pcap"
	is "$status" 1 "$t: pcap given: exit 1"
	like "$err" "$t: *pcap-flows*" "$t: pcap given: says to use pcap-flows"
	run "$x" $A <"$FK_DATA/pcapng_2if_multi.pcapng"
	is "$status" 1 "$t: pcapng on stdin: exit 1"
	like "$err" "$t: *pcap-flows*" "$t: pcapng on stdin: says to use pcap-flows"
	run "$x" $A "$FK_DATA/battery.jsonl"
	is "$status" 1 "$t: JSON given: exit 1"
	like "$err" "$t: *flow-json*" "$t: JSON given: says to use flow-json"

	if [ "$have_script" = yes ]; then
		# script(1) gives the tool a terminal on stdin and stdout.
		status=0
		timeout 20 script -qec "'$x' $A" /dev/null </dev/null >"$T/tty" 2>&1 || status=$?
		ok "$t: binary stdin from a terminal: refused" test "$status" -eq 1 -o "$status" -eq 2
		like "$(cat "$T/tty")" "*$t: *terminal*" "$t: binary stdin from a terminal: message"
	else
		skip 2 "no pseudo-terminal through script(1)"
	fi
}

# Tests on the output side; IN is what the tool reads.
writer_tests() {
	t=$1 x=$2 k=$3 A=$4 IN=$5 BIG=$6

	if [ -w /dev/full ]; then
		status=0
		"$x" $A "$IN" >/dev/full 2>"$T/err" || status=$?
		is "$status" 1 "$t >/dev/full: exit 1"
		like "$(cat "$T/err")" "$t: *" "$t >/dev/full: message"
	else
		skip 2 "no /dev/full"
	fi

	# A reader that goes away: the tool dies by SIGPIPE, silently.
	{
		st=0
		"$x" $A "$BIG" 2>"$T/err" || st=$?
		echo "$st" >"$T/st"
	} | head -c 1 >/dev/null
	is "$(cat "$T/err")" "" "$t | head -c1: no message"
	if [ "$BIG" = "$T/big.flows" ]; then
		is "$(cat "$T/st")" 141 "$t | head -c1: killed by SIGPIPE"
	else
		skip 1 "no input big enough to fill a pipe"
	fi

	if [ "$have_script" = yes ]; then
		status=0
		timeout 20 script -qec "'$x' $A '$IN'" /dev/null </dev/null >"$T/tty" 2>&1 || status=$?
		if [ "$k" = sink ]; then
			is "$status" 0 "$t: text output to a terminal: allowed"
		else
			ok "$t: binary output to a terminal: refused" test "$status" -eq 1 -o "$status" -eq 2
			like "$(cat "$T/tty")" "*$t: *terminal*" "$t: binary output to a terminal: message"
		fi
	else
		skip 1 "no pseudo-terminal through script(1)"
	fi
}

# Tests for tools that write a stream made from what they read (flowrec(5),
# "What a writer MUST do"): after a failed input the output has no END
# record, so that the next tool reports it truncated, and an -o file keeps
# what it held.  NAME labels the tests, t is the program; BAD is an input
# that fails part way, GOOD one that does not.
transform_tests() {
	n=$1 t=$2 x=$3 A=$4 BAD=$5 GOOD=$6

	status=0
	"$x" $A "$BAD" >"$T/x.flows" 2>/dev/null || status=$?
	is "$status" 1 "$n: input cut short: exit 1"
	run "$FJ" "$T/x.flows"
	like "$status:$err" "1:flow-json: $T/x.flows: *stream truncated after*" \
	    "$n: input cut short: the output has no end record"
	rm -rf "$T/ds" && mkdir "$T/ds"
	status=0
	"$x" $A "$BAD" 2>/dev/null | "$FK_BIN/flow-idx" -q -o "$T/ds/p" 2>"$T/err" || status=$?
	like "$status:$(cat "$T/err")" "1:flow-idx: stdin: *stream truncated after*" \
	    "$n | flow-idx: input cut short: flow-idx exits 1"
	is "$(ls "$T/ds")" "" "$n | flow-idx: input cut short: no data set"

	status=0
	"$x" $A "$T/nosuch" "$GOOD" >"$T/x.flows" 2>/dev/null || status=$?
	is "$status" 1 "$n: a missing input: exit 1"
	run "$FJ" "$T/x.flows"
	like "$status:$err" "1:flow-json: $T/x.flows: *stream truncated after*" \
	    "$n: a missing input: the output has no end record"

	rm -rf "$T/od" && mkdir "$T/od"
	cp "$T/hdr.flows" "$T/od/prev.flows"
	run "$x" $A -o "$T/od/prev.flows" "$BAD"
	is "$status" 1 "$n -o: input cut short: exit 1"
	like "$err" "*$t: $T/od/prev.flows: not written: an input failed" "$n -o: input cut short: says so"
	is_file "$T/od/prev.flows" "$T/hdr.flows" "$n -o: input cut short: the previous file is kept"
	is "$(ls "$T/od")" "prev.flows" "$n -o: input cut short: no temporary file left"
	run "$x" $A -o "$T/od/prev.flows" "$T/nosuch" "$GOOD"
	is_file "$T/od/prev.flows" "$T/hdr.flows" "$n -o: a missing input: the previous file is kept"
	run "$x" $A -o "$T/od/prev.flows" "$GOOD"
	ok "$n -o: good input: the file is replaced" test "$status" -eq 0 -a -s "$T/od/prev.flows" &&
		! cmp -s "$T/od/prev.flows" "$T/hdr.flows"
}

# Tool-specific cases of the shared rules.
extra_tests() {
	t=$1 x=$2
	case $t in
	flow-json)
		# flow-json -r writes binary.
		if [ "$have_script" = yes ]; then
			status=0
			timeout 20 script -qec "'$x' -r '$FK_DATA/battery.jsonl'" /dev/null </dev/null >"$T/tty" 2>&1 || status=$?
			ok "$t -r: binary output to a terminal: refused" test "$status" -eq 1 -o "$status" -eq 2
			like "$(cat "$T/tty")" "*$t: *terminal*" "$t -r: binary output to a terminal: message"
		else
			skip 2 "no pseudo-terminal through script(1)"
		fi
		if [ -w /dev/full ]; then
			status=0
			"$x" -r "$FK_DATA/battery.jsonl" >/dev/full 2>"$T/err" || status=$?
			is "$status" 1 "$t -r >/dev/full: exit 1"
			like "$(cat "$T/err")" "$t: *" "$t -r >/dev/full: message"
		else
			skip 2 "no /dev/full"
		fi
		transform_tests "$t -r" "$t" "$x" -r "$T/trunc.jsonl" "$FK_DATA/battery.jsonl"
		# Text output too: an -o file is replaced only by a complete result.
		cp "$T/hdr.flows" "$T/od/prev.jsonl"
		run "$x" -o "$T/od/prev.jsonl" "$T/trunc-mid.flows"
		is_file "$T/od/prev.jsonl" "$T/hdr.flows" "$t -o: input cut short: the previous file is kept"
		;;
	esac
}

ran=0
for entry in $TOOLS; do
	t=${entry%%:*} k=${entry#*:}
	x=$FK_BIN/$t
	[ -x "$x" ] || continue
	ran=$((ran + 1))
	A=$(tool_args "$t")
	common_tests "$t" "$x"
	case $k in
	source)
		# Sources have their own tests for their inputs.
		writer_tests "$t" "$x" "$k" "$A" "$FK_DATA/dns_tcp.pcap" "$FK_DATA/dns_tcp.pcap"
		run "$x" $A "$T/nosuch.pcap"
		is "$status" 1 "$t: missing file: exit 1"
		like "$err" "$t: *nosuch.pcap*" "$t: missing file: named"
		;;
	files)
		mkdir -p "$T/fp"
		reader_tests "$t" "$x" "$k" "$A"
		# Its output is files only: one that cannot be made fails the run.
		run "$x" $A -o "$T/nodir/p" "$T/a.flows"
		is "$status" 1 "$t -o in a missing directory: exit 1"
		like "$err" "$t: $T/nodir/p-*" "$t -o in a missing directory: message"
		;;
	*)
		reader_tests "$t" "$x" "$k" "$A"
		writer_tests "$t" "$x" "$k" "$A" "$T/a.flows" "$T/big.flows"
		if [ "$k" = xform ]; then
			transform_tests "$t" "$t" "$x" "$A" "$T/trunc-mid.flows" "$T/a.flows"
			transform_tests "$t (cut at the end)" "$t" "$x" "$A" "$T/trunc-end.flows" "$T/a.flows"
		fi
		;;
	esac
	extra_tests "$t" "$x"
done
[ "$ran" -gt 0 ] || skip_all "none of the tools is built"
done_testing
