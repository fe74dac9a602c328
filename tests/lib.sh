# tests/lib.sh - a tiny TAP library for the shell tests (POSIX sh).
#
# Source it first in every tests/NAME.t:  . "${0%/*}/lib.sh"
#
#   plan N                 print the plan up front (or call done_testing at the end)
#   pass DESC / fail DESC  one test result
#   ok DESC CMD [ARG...]   passes when CMD succeeds:  ok "exit 0" [ "$status" -eq 0 ]
#   is GOT WANT DESC       string equality; a diff is shown on failure
#   is_file GOT WANT DESC  file contents equality (cmp); a diff of the text on failure
#   like GOT PATTERN DESC  GOT matches the shell pattern (case glob): like "$err" "*truncated*"
#   run CMD [ARG...]       run CMD: stdout in $T/out and $out, stderr in $T/err and $err,
#                          exit status in $status; redirect stdin on the call: run cmd <file
#   skip N REASON          N tests skipped;  skip_all REASON  the whole file is skipped
#   diag TEXT              a comment line on stderr (shown by prove)
#   done_testing           print the plan if none was given; exit 1 if a test failed
#
# Environment: FK_BIN (the binaries; default build/), FK_DATA (tests/data),
# T (a temporary directory removed at exit), TZ=UTC and LC_ALL=C.

TZ=UTC LC_ALL=C
export TZ LC_ALL
unset LANG LANGUAGE 2>/dev/null || :

FK_ROOT=$(cd "$(dirname "$0")/.." && pwd)
FK_BIN=${FK_BIN:-$FK_ROOT/build}
FK_DATA=${FK_DATA:-$FK_ROOT/tests/data}
export FK_ROOT FK_BIN FK_DATA

T=$(mktemp -d "${TMPDIR:-/tmp}/fk-test.XXXXXX") || exit 1
trap 'rm -rf "$T"' EXIT
trap 'exit 129' HUP
trap 'exit 130' INT
trap 'exit 143' TERM

_tap_n=0
_tap_failed=0
_tap_planned=

plan() {
	_tap_planned=$1
	echo "1..$1"
}

pass() {
	_tap_n=$((_tap_n + 1))
	echo "ok $_tap_n - $1"
}

fail() {
	_tap_n=$((_tap_n + 1))
	_tap_failed=$((_tap_failed + 1))
	echo "not ok $_tap_n - $1"
}

diag() {
	printf '%s\n' "$@" | sed 's/^/# /' >&2
}

ok() {
	_tap_d=$1
	shift
	if "$@"; then pass "$_tap_d"; else fail "$_tap_d"; return 1; fi
}

is() {
	if [ "$1" = "$2" ]; then
		pass "$3"
	else
		fail "$3"
		printf '%s\n' "$2" >"$T/.want"
		printf '%s\n' "$1" >"$T/.got"
		diag "$(diff -u "$T/.want" "$T/.got" | sed '1,2d' | head -n 40)"
		return 1
	fi
}

is_file() {
	if cmp -s "$1" "$2"; then
		pass "$3"
	else
		fail "$3"
		if [ ! -f "$1" ] || [ ! -f "$2" ]; then
			diag "missing file: $1 or $2"
		else
			diag "$(diff -u -a "$2" "$1" | head -n 40)"
		fi
		return 1
	fi
}

like() {
	# The pattern is a shell glob on purpose.
	# shellcheck disable=SC2254
	case $1 in
	$2) pass "$3" ;;
	*)
		fail "$3"
		diag "got:  $1" "wanted to match: $2"
		return 1
		;;
	esac
}

# status, out and err are for the caller.
# shellcheck disable=SC2034
run() {
	status=0
	"$@" >"$T/out" 2>"$T/err" || status=$?
	out=$(cat "$T/out")
	err=$(cat "$T/err")
}

skip() {
	_tap_k=0
	while [ "$_tap_k" -lt "$1" ]; do
		_tap_n=$((_tap_n + 1))
		echo "ok $_tap_n # SKIP $2"
		_tap_k=$((_tap_k + 1))
	done
}

skip_all() {
	echo "1..0 # SKIP $1"
	exit 0
}

done_testing() {
	[ -n "$_tap_planned" ] || echo "1..$_tap_n"
	[ "$_tap_failed" -eq 0 ] || exit 1
	exit 0
}
