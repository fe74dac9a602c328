#!/bin/sh
# replay.t - every fuzz harness of tests/fuzz/, linked with the plain main
# of tests/replay/replay.c, replays its seed corpus and its kept crashers
# without an abort or a sanitizer report.  This runs in both passes of
# `make check`, so a harness whose embedded fixtures no longer decode (its
# setup aborts) fails here, not first in the fuzzing run of CI.
. "${0%/*}/lib.sh"

for src in "$FK_ROOT"/tests/fuzz/*.c; do
	name=$(basename "$src" .c)
	bin=$FK_BIN/replay/$name
	if ! ok "$name: built as $bin" test -x "$bin"; then
		continue
	fi
	for kind in seeds crashes; do
		dir=$FK_ROOT/tests/fuzz/$kind/$name
		[ -d "$dir" ] || continue
		n=$(ls "$dir" | wc -l)
		status=0
		"$bin" "$dir" >"$T/$name.out" 2>"$T/$name.err" || status=$?
		if ! is "$status" 0 "$name: replays tests/fuzz/$kind/$name"; then
			diag "$(tail -n 20 "$T/$name.err")"
		fi
		is "$(cat "$T/$name.out")" "replay: $n inputs" "$name: all $n inputs of $kind ran"
	done
done
done_testing
