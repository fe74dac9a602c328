#!/bin/sh
# stream.t - the stream layer above the codec (tests/unit/t_stream.c):
# record numbers in messages, the writer's rw_abandon, the input loop.
# The program prints TAP itself.
. "${0%/*}/lib.sh"

x=$FK_BIN/unit/t_stream
[ -x "$x" ] || skip_all "$x is not built"
"$x"
exit $?
