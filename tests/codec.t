#!/bin/sh
# codec.t - the flowrec codec and stream reader tests (tests/unit/t_rec.c),
# which print TAP themselves.
. "${0%/*}/lib.sh"

x=$FK_BIN/unit/t_rec
[ -x "$x" ] || skip_all "$x is not built"
"$x"
exit $?
