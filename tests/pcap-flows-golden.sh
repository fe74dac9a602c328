#!/bin/sh
# pcap-flows-golden.sh - run the golden cases of tests/pcap-flows.cases.
#
#   tests/pcap-flows-golden.sh NAME...    regenerate these golden files and
#                                         print them for review
#   tests/pcap-flows-golden.sh -a         regenerate all of them
#
# Look at every regenerated file (against tshark's view of the capture)
# before committing it.  tests/pcap-flows.t sources this file with
# PF_GOLDEN_LIB=1 for pf_case, and does not regenerate anything.

# pf_case NAME OPTIONS INPUTS FJOPTS OUTDIR: run one case; the flows as
# flow-json prints them go to OUTDIR/NAME.jsonl, pcap-flows' standard
# error to OUTDIR/NAME.err (removed when empty); prints the exit status.
# Needs FK_BIN, FK_DATA, FK_ROOT and a scratch directory T.
pf_case() {
	_n=$1 _o=$2 _i=$3 _j=$4 _d=$5
	_dir=$FK_DATA
	case $_i in
	@*)
		_dir=$T/syn.$_n
		mkdir -p "$_dir"
		_sc=${_i#@}
		case $_sc in
		8021ad:*)
			/usr/bin/python3 "$FK_ROOT/tests/mkpcap.py" 8021ad "$_dir/8021ad.pcap" \
				"$FK_DATA/${_sc#8021ad:}" || return 1
			_i=8021ad.pcap
			;;
		*)
			/usr/bin/python3 "$FK_ROOT/tests/mkpcap.py" "$_sc" "$_dir/$_sc.pcap" || return 1
			_i=$_sc.pcap
			;;
		esac
		;;
	esac
	_st=0
	# The options and inputs are split into words on purpose.
	# shellcheck disable=SC2086
	(cd "$_dir" && eval "set -- $_o" && exec "$FK_BIN/pcap-flows" "$@" $_i) \
		>"$T/case.flows" 2>"$_d/$_n.err" || _st=$?
	# shellcheck disable=SC2086
	"$FK_BIN/flow-json" $_j "$T/case.flows" >"$_d/$_n.jsonl" || _st=fj
	[ -s "$_d/$_n.err" ] || rm -f "$_d/$_n.err"
	echo "$_st"
}

[ -n "$PF_GOLDEN_LIB" ] && return 0

set -e
FK_ROOT=$(cd "$(dirname "$0")/.." && pwd)
FK_BIN=${FK_BIN:-$FK_ROOT/build}
FK_DATA=$FK_ROOT/tests/data
G=$FK_DATA/golden/pcap-flows
TZ=UTC LC_ALL=C
export TZ LC_ALL
T=$(mktemp -d "${TMPDIR:-/tmp}/fk-golden.XXXXXX")
trap 'rm -rf "$T"' EXIT
mkdir -p "$G"
[ $# -gt 0 ] || { echo "usage: $0 NAME... | -a" >&2; exit 2; }
grep -v '^#' "$FK_ROOT/tests/pcap-flows.cases" | grep . >"$T/cases"
while IFS='|' read -r name want opts inputs fjopts; do
	if [ "$1" != -a ]; then
		hit=no
		for a in "$@"; do [ "$a" = "$name" ] && hit=yes; done
		[ $hit = yes ] || continue
	fi
	rm -f "$G/$name.err"
	st=$(pf_case "$name" "$opts" "$inputs" "$fjopts" "$G")
	echo "== $name: exit $st (the table says $want)"
	[ "$1" = -a ] || { cat "$G/$name.jsonl"; [ -f "$G/$name.err" ] && cat "$G/$name.err"; }
done <"$T/cases"
