#!/bin/sh
# out-unit.t - the unit tests of common/out.c (tests/unit/t_out.c), which
# print TAP themselves: group commits, abort, out_open_regular, out_lock.
. "${0%/*}/lib.sh"

x=$FK_BIN/unit/t_out
[ -x "$x" ] || skip_all "$x is not built"
TMPDIR=$T "$x"
exit $?
