#!/bin/sh
# stream.t - the stream layer above the codec (tests/unit/t_stream.c):
# record numbers in messages, the writer's rw_abandon, the input loop.
# The program prints TAP itself; the messages it makes the loop print on
# purpose are shown only when a test fails.
. "${0%/*}/lib.sh"

x=$FK_BIN/unit/t_stream
[ -x "$x" ] || skip_all "$x is not built"
rc=0
"$x" 2>"$T/stderr" || rc=$?
[ "$rc" -eq 0 ] || cat "$T/stderr" >&2
exit "$rc"
