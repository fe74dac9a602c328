#!/bin/sh
# app-unit.t - the unit programs of the application metadata modules:
# t_tls (common/tls.c against the JA3/JA4 published vectors, and
# common/reasm.c), t_app (common/http.c, dns.c, ssh.c, app.c) and
# t_starttls (common/starttls.c).
. "${0%/*}/lib.sh"

for u in t_tls t_app t_starttls; do
	if [ ! -x "$FK_BIN/unit/$u" ]; then
		fail "$u: no $FK_BIN/unit/$u"
		continue
	fi
	run "$FK_BIN/unit/$u"
	n=$(grep -c '^ok' "$T/out")
	if [ "$status" -eq 0 ] && ! grep -q '^not ok' "$T/out"; then
		pass "$u: $n unit tests"
	else
		fail "$u: unit tests (exit $status)"
		diag "$(grep -A2 '^not ok' "$T/out" | head -n 40)" "$(head -n 20 "$T/err")"
	fi
done
done_testing
