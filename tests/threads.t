#!/bin/sh
# threads.t - pcap-flows --threads 2 (the reader on a second thread, the
# flow table on the first; common/capflow.c) writes the same bytes and the
# same messages as --threads 1: on every capture of tests/data, on the
# whole directory in one run, on a gzip stream on stdin, and on a capture
# made to cross many batches (mkthreads.py: fragments, a frame larger than
# a batch, a warning among the packets).  -vv says which inputs were
# read on the second thread, so that the comparison is not of one mode
# with itself.
. "${0%/*}/lib.sh"

PF=$FK_BIN/pcap-flows
[ -x "$PF" ] || skip_all "no $PF"

# same NAME ARGS...: both modes on ARGS (stdin from $T/stdin when it
# exists): identical stdout once the option's digit is made the same, and
# identical stderr.
same() {
	_name=$1
	shift
	for t in 1 2; do
		if [ -f "$T/stdin" ]; then
			"$PF" -v --threads $t "$@" <"$T/stdin" >"$T/o$t" 2>"$T/e$t"
		else
			"$PF" -v --threads $t "$@" >"$T/o$t" 2>"$T/e$t"
		fi
		echo $? >"$T/s$t"
	done
	# The stream header records the command line: --threads 1 there too.
	perl -0777 -pe 's/--threads\x002/--threads\x001/g; s/--threads 2/--threads 1/g' "$T/o2" >"$T/o2n"
	if cmp -s "$T/o1" "$T/o2n" && cmp -s "$T/e1" "$T/e2" && cmp -s "$T/s1" "$T/s2"; then
		pass "$_name: the same output, messages and exit status"
	else
		fail "$_name: the same output, messages and exit status"
		diag "$(cmp "$T/o1" "$T/o2n")" "$(diff "$T/e1" "$T/e2" | head -n 10)"
	fi
}

n=0
for f in "$FK_DATA"/*.pcap "$FK_DATA"/*.pcapng; do
	same "$(basename "$f")" "$f"
	n=$((n + 1))
done
ok "$n captures compared" [ "$n" -gt 50 ]

same "tests/data in one run" "$FK_DATA"

gzip -c "$FK_DATA/ipv4_frag_tcp.pcap" >"$T/stdin"
same "a gzip stream on stdin" -
rm -f "$T/stdin"

/usr/bin/python3 "$FK_ROOT/tests/mkthreads.py" "$T/many.pcap" || echo "Bail out! mkthreads.py failed"
same "30,157 packets across many batches" "$T/many.pcap"
like "$(cat "$T/e1")" "*packet 20107: recorded wire length 4026531840 is not believable*" \
	"the reader's warning is printed"
like "$(cat "$T/e1")" "*datagrams reassembled 155;*" "its fragments are reassembled"

# -vv: which inputs the second thread read (a capture that is not live).
"$PF" -vv --threads 2 "$T/many.pcap" 2>"$T/vv" >/dev/null
like "$(cat "$T/vv")" "*threads: 1 of 1 inputs read on a second thread, in [1-9]* batches*" \
	"--threads 2: the input was read on the second thread, in more than one batch"
grep -q "in 1 batches" "$T/vv" && fail "more than one batch" || pass "more than one batch"
"$PF" -vv --threads 1 "$T/many.pcap" 2>"$T/vv" >/dev/null
like "$(cat "$T/vv")" "*threads: 0 of 1 inputs read on a second thread*" "--threads 1: one thread"

run "$PF" --threads 3 "$FK_DATA/ipv4_frag_tcp.pcap"
is "$status" 2 "--threads 3: a usage error"
like "$err" "pcap-flows: --threads*" "the message names the option"

done_testing
