#!/bin/sh
# fuzz.t - replay the fuzz seed corpora (and any kept crashers) through the
# libFuzzer harnesses built by `make fuzz`.  It builds nothing: without
# clang or without build-fuzz/ binaries it skips.
#
# tests/fuzz/seeds/NAME/    inputs replayed through build-fuzz/NAME
# tests/fuzz/crashes/NAME/  inputs that once crashed NAME, kept as regressions
. "${0%/*}/lib.sh"

command -v clang >/dev/null 2>&1 || skip_all "no clang (libFuzzer)"
[ -d "$FK_ROOT/build-fuzz" ] || skip_all "no build-fuzz/ (run make fuzz)"

for src in "$FK_ROOT"/tests/fuzz/*.c; do
	[ -f "$src" ] || continue
	name=$(basename "$src" .c)
	bin=$FK_ROOT/build-fuzz/$name
	if [ ! -x "$bin" ]; then
		skip 1 "$name is not built (run make fuzz)"
		continue
	fi
	for kind in seeds crashes; do
		dir=$FK_ROOT/tests/fuzz/$kind/$name
		[ -d "$dir" ] || continue
		status=0
		"$bin" -runs=0 "$dir" >"$T/$name.log" 2>&1 || status=$?
		if ! is "$status" 0 "$name: replays tests/fuzz/$kind/$name ($(ls "$dir" | wc -l) inputs)"; then
			diag "$(tail -n 30 "$T/$name.log")"
		fi
	done
done
done_testing
