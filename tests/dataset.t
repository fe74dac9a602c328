#!/bin/sh
# dataset.t - the unit tests of common/dataset.c (tests/unit/t_dataset.c:
# digest set, split syntax, class caps, placement, dedup, sampling), which
# print TAP themselves.
. "${0%/*}/lib.sh"

x=$FK_BIN/unit/t_dataset
[ -x "$x" ] || skip_all "$x is not built"
"$x"
exit $?
