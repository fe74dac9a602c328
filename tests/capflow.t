#!/bin/sh
# capflow.t - the per-packet pipeline (common/capflow.c) and the walk of
# capture operands (common/capwalk.c): the unit program t_capflow.  The
# tool around them is tested end to end by pcap-flows.t and its goldens.
. "${0%/*}/lib.sh"

run "$FK_BIN/unit/t_capflow"
if [ "$status" -eq 0 ] && ! grep -q '^not ok' "$T/out"; then
	pass "t_capflow: $(grep -c '^ok' "$T/out") unit tests"
else
	fail "t_capflow: unit tests (exit $status)"
	diag "$(grep -A3 '^not ok' "$T/out" | head -n 40)" "$(head -n 20 "$T/err")"
fi
w='packet 7: recorded wire length 3145728 is not believable: taken as 1048576'
if grep -q "$w" "$T/err"; then
	pass "t_capflow: the clamped wire length is warned of"
else
	fail "t_capflow: no warning of the clamped wire length"
	diag "$(head -n 20 "$T/err")"
fi
done_testing
