#!/bin/sh
# submit.sh - build a data set on a Slurm cluster: one array task per
# capture (dataset.sbatch), then the final step (dataset-final.sbatch) as a
# job that starts when every task has succeeded.
#
#   sh examples/slurm/submit.sh [--wait] CAPTURES OUT
#
# It writes OUT/captures.list (the captures under CAPTURES, in the order
# pcap-flows reads a directory, the order of examples/dataset.mk), submits
# the array with one task per FILES_PER_TASK captures (default 1; a
# cluster's MaxArraySize bounds the number of tasks, 1001 by default) and
# the final job with --dependency=afterok, and prints the two job ids.  The
# jobs' output goes to OUT/logs/.  With --wait it waits for the final job
# and exits 0 only when it completed; when a task failed, the final job is
# cancelled (--kill-on-invalid-dep) and submit.sh exits 1.
#
# The jobs get the environment (FLOWKIT, MAP, CLASSES, PCAP_FLOWS_OPTS,
# IDX_OPTS, PIC_OPTS, STATS_OPTS, as for dataset.mk; sbatch's own SBATCH_*
# variables such as SBATCH_PARTITION); the jobs run in the current
# directory, so relative CAPTURES and OUT must name the same place on the
# nodes (a shared file system).
set -eu
prog=submit.sh
here=$(cd "$(dirname "$0")" && pwd)
wait=
if [ "${1:-}" = --wait ]; then
	wait=1
	shift
fi
[ $# -eq 2 ] || { echo "usage: $prog [--wait] CAPTURES OUT" >&2; exit 2; }
captures=${1%/}
out=${2%/}
k=${FILES_PER_TASK:-1}
[ -d "$captures" ] || { echo "$prog: $captures: not a directory" >&2; exit 1; }

mkdir -p "$out/logs"
# The names pcap-flows reads in a directory; '/' as \001 sorts by component.
names=
for e in pcap pcapng cap pcap.ng; do
	for z in "" .gz .zst .xz; do names="$names -o -iname ?*.$e$z"; done
done
# $names is a list of words on purpose (no file name matches its globs here:
# set -f).
set -f
# shellcheck disable=SC2086
(cd "$captures" && find . \( -type f -o -type l -xtype f \) \( -false $names \) | sed 's|^\./||') |
	tr / '\001' | LC_ALL=C sort | tr '\001' / >"$out/captures.list.new"
set +f
mv -f "$out/captures.list.new" "$out/captures.list"
n=$(wc -l <"$out/captures.list")
[ "$n" -gt 0 ] || { echo "$prog: $captures: no capture files in this directory" >&2; exit 1; }

tasks=$(((n + k - 1) / k))
array=$(sbatch --parsable --array="1-$tasks" --output="$out/logs/flows-%A_%a.out" \
	"$here/dataset.sbatch" "$captures" "$out")
array=${array%%;*}
final=$(sbatch --parsable --dependency="afterok:$array" --kill-on-invalid-dep=yes \
	--output="$out/logs/final-%j.out" "$here/dataset-final.sbatch" "$out")
final=${final%%;*}
echo "$prog: $n captures: array job $array ($tasks tasks), final job $final"
[ -n "$wait" ] || exit 0

# sbatch --wait polls slowly and exits 0 for a job cancelled before it ran:
# ask for the state of the final job instead.
# An answer missing (slurmctld busy) is asked again, up to 20 times running.
miss=0
while :; do
	state=$(scontrol show job -o "$final" 2>/dev/null | sed -n 's/.*JobState=\([A-Z_]*\).*/\1/p')
	case $state in
	COMPLETED) exit 0 ;;
	PENDING | CONFIGURING | RUNNING | COMPLETING | SUSPENDED | REQUEUED* | RESIZING)
		miss=0
		sleep 0.5
		;;
	"")
		miss=$((miss + 1))
		[ "$miss" -ge 20 ] || { sleep 0.5; continue; }
		echo "$prog: final job $final: no state from scontrol; see $out/logs/" >&2
		exit 1
		;;
	*)
		echo "$prog: final job $final: ${state:-unknown}; see $out/logs/" >&2
		exit 1
		;;
	esac
done
