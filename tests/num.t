#!/bin/sh
# num.t - common/num.c's double printer (tests/unit/t_num.c): the fast
# path gives the bytes of the %.15g/%.16g/%.17g and strtod loop that
# flow-stats(1), Values, defines, on random and edge values.
. "${0%/*}/lib.sh"

run "$FK_BIN/unit/t_num"
if [ "$status" -eq 0 ] && ! grep -q '^not ok' "$T/out"; then
	pass "t_num: $(grep -c '^ok' "$T/out") unit tests"
else
	fail "t_num: unit tests (exit $status)"
	diag "$(grep -A1 '^not ok' "$T/out" | head -n 40)" "$(head -n 20 "$T/err")"
fi
done_testing
