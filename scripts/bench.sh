#!/bin/sh
# bench.sh - the flowkit benchmark (make bench).  A measurement, not a test:
# it exits 0 whatever the figures are, and 1 only when something failed to run.
#
# 1. Builds scripts/floor.c, scripts/mkbench.c and a small rusage wrapper
#    into $BENCH_DIR/bin (the tools themselves come from `make all`).
# 2. Creates the bench capture once (mkbench from the captures in
#    $BENCH_SRC) and reuses it while the inputs and options are the same.
# 3. Reads it once to warm the page cache, then times, best of $BENCH_RUNS:
#    the flow floor with a 1 MiB stdio buffer and with libpcap's default
#    one, pcap-flows with default options to /dev/null and into a pipe, and
#    with --no-meta (the cost of application metadata, as a CPU-time ratio)
#    and with --threads 1 (the reader and the flow table on one thread).
# 4. The same traffic at 1x and 10x length: peak RSS of pcap-flows on both
#    (and per active flow); on the bench capture, peak RSS per active flow and
#    against the bytes the active flows needed (pcap-flows -vv).
# 5. flow-json, flow-anon, flow-filter (a simple expression) and
#    flow-stats (its default set, the full set on its default threads and
#    on one, the cicflowmeter set, the full set's numbers as NPY, and -s)
#    on pcap-flows' output, against cat
#    of the same stream (records/s, and the ratio of cat's time to the tool's).
# 6. flow-pic pictures/s on the same output (mini-FlowPic, the original
#    rules stored sparse, overlapping two-channel windows).
# 7. flowkit.to_pandas flows/s on the same output (core fields and label,
#    then with the per-packet arrays; a new process each run), and
#    flowkit.read_packets (one row a packet, with the label) flows/s and
#    packets/s, when numpy and pandas are installed.
#
# Environment (defaults in brackets):
#   BENCH_DIR          cache and work directory [build/bench]
#   BENCH_SIZE         size of the bench capture, K/M/G suffixes [1G]
#   BENCH_SECONDS      time the bench capture spans [300]
#   BENCH_SRC          captures or directories to build it from
#                      [../shared/pcaps when it exists, else tests/data]
#   BENCH_SEED         mkbench seed [1]
#   BENCH_RUNS         runs per program, the best is kept [5]
#   BENCH_RSS_SIZE     size of the 1x capture of the memory test [128M]
#   BENCH_RSS_SECONDS  time the 1x capture spans [1800]
#   CC, B              compiler [cc], build directory of the tools [build]
set -u

cd "$(dirname "$0")/.." || exit 1
B=${B:-build}
CC=${CC:-cc}
BENCH_DIR=${BENCH_DIR:-$B/bench}
BENCH_SIZE=${BENCH_SIZE:-1G}
BENCH_SECONDS=${BENCH_SECONDS:-300}
if [ -z "${BENCH_SRC:-}" ]; then
	if [ -d ../shared/pcaps ]; then BENCH_SRC=../shared/pcaps; else BENCH_SRC=tests/data; fi
fi
BENCH_SEED=${BENCH_SEED:-1}
BENCH_RUNS=${BENCH_RUNS:-5}
BENCH_RSS_SIZE=${BENCH_RSS_SIZE:-128M}
BENCH_RSS_SECONDS=${BENCH_RSS_SECONDS:-1800}
BIN=$BENCH_DIR/bin
failed=0

die() { echo "bench: $*" >&2; exit 1; }
note() { echo "bench: $*" >&2; }

# bytes SIZE: a size with an optional K/M/G/T suffix (powers of 1024) in bytes.
bytes() {
	case $1 in
	*[kK]) n=${1%?}; m=1024 ;;
	*[mM]) n=${1%?}; m=1048576 ;;
	*[gG]) n=${1%?}; m=1073741824 ;;
	*[tT]) n=${1%?}; m=1099511627776 ;;
	*) n=$1; m=1 ;;
	esac
	case $n in ''|*[!0-9]*) die "'$1' is not a size (bytes, or with K, M, G, T)" ;; esac
	echo $((n * m))
}

case $BENCH_RUNS in ''|*[!0-9]*|0) die "BENCH_RUNS='$BENCH_RUNS' is not a positive number" ;; esac
size=$(bytes "$BENCH_SIZE") || exit 1
rss_size=$(bytes "$BENCH_RSS_SIZE") || exit 1

# ---- build ----

if [ ! -x "$B/pcap-flows" ] || [ ! -x "$B/flow-json" ] || [ ! -f "$B/libflowkit.a" ]; then
	${MAKE:-make} B="$B" all >&2 || die "make failed"
fi
mkdir -p "$BIN" || die "cannot create $BIN"
PKGS="libpcap jansson libcrypto libpng zlib libzstd liblzma"
CFLAGS_B="-std=c11 -D_GNU_SOURCE -O2 -g -Wall -Wextra -Wshadow -Wstrict-prototypes -Wmissing-prototypes"

# newer A B: A was modified after B.
newer() { [ -n "$(find "$1" -prune -newer "$2")" ]; }

# build OUT SRC ARGS...: compile when OUT is missing or older than SRC or the library.
# (Word splitting of $CC, the flags and pkg-config's output is wanted.)
# shellcheck disable=SC2086,SC2046
build() {
	out=$1; src=$2; shift 2
	if [ ! -x "$out" ] || newer "$src" "$out" || newer "$B/libflowkit.a" "$out"; then
		$CC $CFLAGS_B $(pkg-config --cflags $PKGS) -Icommon -o "$out" "$src" "$@" ||
			die "cannot build $out"
	fi
}
# shellcheck disable=SC2086,SC2046
build "$BIN/floor" scripts/floor.c $(pkg-config --libs libpcap)
# shellcheck disable=SC2086,SC2046
build "$BIN/mkbench" scripts/mkbench.c "$B/libflowkit.a" $(pkg-config --libs $PKGS) -lm -pthread

# runstat OUT CMD ARGS...: run CMD; write "wall_seconds maxrss_kib user sys" to OUT;
# exit with CMD's status.  wait4() gives the peak RSS of CMD and of every
# process it waited for, so `runstat OUT sh -c 'a | b'` covers both sides.
cat > "$BIN/runstat.c.new" <<'EOF'
#include <stdio.h>
#include <stdlib.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

int main(int argc, char **argv)
{
	struct timespec t0, t1;
	struct rusage ru;
	FILE *fp;
	pid_t pid;
	int st;

	if (argc < 3) {
		fputs("usage: runstat OUT CMD [ARG...]\n", stderr);
		return 127;
	}
	clock_gettime(CLOCK_MONOTONIC, &t0);
	if ((pid = fork()) < 0) {
		perror("runstat: fork");
		return 127;
	}
	if (pid == 0) {
		execvp(argv[2], argv + 2);
		perror(argv[2]);
		_exit(127);
	}
	if (wait4(pid, &st, 0, &ru) < 0) {
		perror("runstat: wait4");
		return 127;
	}
	clock_gettime(CLOCK_MONOTONIC, &t1);
	if ((fp = fopen(argv[1], "w")) == NULL) {
		perror(argv[1]);
		return 127;
	}
	fprintf(fp, "%.6f %ld %.3f %.3f\n",
	    (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9,
	    ru.ru_maxrss, (double)ru.ru_utime.tv_sec + (double)ru.ru_utime.tv_usec / 1e6,
	    (double)ru.ru_stime.tv_sec + (double)ru.ru_stime.tv_usec / 1e6);
	if (fclose(fp) != 0) {
		perror(argv[1]);
		return 127;
	}
	return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}
EOF
if [ ! -x "$BIN/runstat" ] || ! cmp -s "$BIN/runstat.c.new" "$BIN/runstat.c"; then
	mv "$BIN/runstat.c.new" "$BIN/runstat.c"
	# shellcheck disable=SC2086
	$CC $CFLAGS_B -o "$BIN/runstat" "$BIN/runstat.c" || die "cannot build the runstat wrapper"
fi
rm -f "$BIN/runstat.c.new"

# ---- the captures ----

# The source captures, sorted; crafted malformed inputs (fuzz, garbage, bad_*)
# are left out: they are there to test error paths, not to be traffic.
srclist=$BENCH_DIR/sources.txt
: > "$srclist"
for s in $BENCH_SRC; do
	if [ -d "$s" ]; then
		find "$s" -type f \( -name '*.pcap' -o -name '*.pcapng' -o -name '*.cap' \) |
			grep -v -e fuzz -e garbage -e '/bad_[^/]*$' | LC_ALL=C sort >> "$srclist"
	elif [ -f "$s" ]; then
		echo "$s" >> "$srclist"
	else
		die "BENCH_SRC: $s: no such file or directory"
	fi
done
[ -s "$srclist" ] || die "no captures in BENCH_SRC=$BENCH_SRC"

# A key over everything the capture depends on: reused only while it holds.
key=$( { cat scripts/mkbench.c; while IFS= read -r f; do echo "$f"; cat "$f"; done < "$srclist"; } |
	cksum | awk '{print $1}')

# free_kib: space left in BENCH_DIR.
free_kib() { df -Pk "$BENCH_DIR" | awk 'NR == 2 {print $4}'; }

# make_capture NAME NEED_BYTES MKBENCH_ARGS...: run mkbench on the sources unless NAME exists.
make_capture() {
	name=$1; need=$2; shift 2
	[ -f "$name" ] && return 0
	for old in "$BENCH_DIR"/*.pcap; do
		[ -f "$old" ] || continue
		case $old in *"-$key"*) continue ;; esac
		note "removing stale $old"
		rm -f "$old"
	done
	avail=$(free_kib)
	note "creating $name: $((need / 1048576)) MiB on disk ($((avail / 1024)) MiB free in $BENCH_DIR)"
	if [ "$avail" -lt $((need / 1024 + 65536)) ]; then
		die "not enough disk space in $BENCH_DIR: set BENCH_DIR or a smaller BENCH_SIZE"
	fi
	# Word splitting of the source list is wanted (paths with spaces are not supported).
	# shellcheck disable=SC2046
	"$BIN/mkbench" -S "$BENCH_SEED" "$@" $(cat "$srclist") || die "mkbench failed"
}

cap=$BENCH_DIR/bench-$BENCH_SIZE-s$BENCH_SEED-t$BENCH_SECONDS-$key.pcap
make_capture "$cap" "$size" -s "$size" -t "$BENCH_SECONDS" -o "$cap"
rss1=$BENCH_DIR/rss-$BENCH_RSS_SIZE-s$BENCH_SEED-t$BENCH_RSS_SECONDS-$key-1x.pcap
rss10=$BENCH_DIR/rss-$BENCH_RSS_SIZE-s$BENCH_SEED-t$BENCH_RSS_SECONDS-$key-10x.pcap
[ -f "$rss10" ] || rm -f "$rss1"
make_capture "$rss1" $((11 * rss_size)) -s "$rss_size" -t "$BENCH_RSS_SECONDS" -o "$rss1" -p "$rss10"

# ---- measuring ----

err=$BENCH_DIR/stderr.txt
stat_out=$BENCH_DIR/runstat.txt

# measure RUNS OUTFILE CMD ARGS...: run CMD (stdout to OUTFILE) RUNS times;
# sets wall (the best), rss_kib (the largest peak RSS) and user/sys of the best run.
measure() {
	runs=$1; outf=$2; shift 2
	wall=; rss_kib=0; i=0
	while [ "$i" -lt "$runs" ]; do
		if ! "$BIN/runstat" "$stat_out" "$@" > "$outf" 2> "$err"; then
			note "failed: $*"
			sed 's/^/    /' "$err" | tail -n 20 >&2
			failed=1
			wall=; return 1
		fi
		read -r w r u s < "$stat_out"
		if [ -z "$wall" ] || awk -v a="$w" -v b="$wall" 'BEGIN { exit !(a < b) }'; then
			wall=$w; user=$u; sys=$s
		fi
		[ "$r" -gt "$rss_kib" ] && rss_kib=$r
		i=$((i + 1))
	done
	return 0
}

# warm FILE: read it once so that the page cache holds it (when it fits).
warm() {
	fsize=$(wc -c < "$1")
	avail_mem=$(awk '/^MemAvailable:/ {printf "%.0f", $2 * 1024}' /proc/meminfo 2>/dev/null)
	if [ -n "$avail_mem" ] && [ "$fsize" -gt "$avail_mem" ]; then
		note "warning: $1 is larger than the available memory: the runs read from disk"
	fi
	cat "$1" > /dev/null
}

hr() { printf '%s\n' "------------------------------------------------------------------------------------------------------"; }

echo "flowkit bench, $(date -u '+%Y-%m-%d %H:%M UTC')"
echo "machine: $(nproc) x $(awk -F': ' '/^model name/ {print $2; exit}' /proc/cpuinfo), $(uname -sr)," \
	"$(awk '/^MemTotal:/ {printf "%.1f GiB", $2 / 1048576}' /proc/meminfo)"
echo "tools: $($CC --version | head -n 1); $(pkg-config --modversion libpcap | sed 's/^/libpcap /');" \
	"git $(git rev-parse --short HEAD 2>/dev/null || echo '?')"

warm "$cap"
measure 1 "$BENCH_DIR/floor.txt" "$BIN/floor" "$cap" || die "the floor failed on $cap"
pkts=$(sed -n 's/.*packets=\([0-9]*\).*/\1/p' "$BENCH_DIR/floor.txt")
ftuples=$(sed -n 's/.*flows=\([0-9]*\).*/\1/p' "$BENCH_DIR/floor.txt")
span=$(sed -n 's/.*span=\([0-9.]*\).*/\1/p' "$BENCH_DIR/floor.txt")
capbytes=$(wc -c < "$cap")
echo "capture: $cap"
echo "  $(awk -v b="$capbytes" 'BEGIN {printf "%.2f GiB", b / 1073741824}'), $pkts packets," \
	"$ftuples 5-tuples (one direction), $(awk -v s="$span" 'BEGIN {printf "%.0f", s}') s of traffic"
echo "  built by mkbench from $(wc -l < "$srclist") captures in $BENCH_SRC; page cache warm, best of $BENCH_RUNS"
echo
hr
printf '%-36s %7s %6s %6s %6s %7s %11s %8s %7s\n' program seconds user sys Mpps MB/s "peak RSS" "vs floor" "by CPU"
hr
floor_wall=
floor_cpu=
busy=0

# row NAME: print the figures of the last measure.
row() {
	if [ -z "$wall" ]; then
		printf '%-36s %7s\n' "$1" "failed"
		return
	fi
	if [ -z "$floor_wall" ]; then
		floor_wall=$wall
		floor_cpu=$(awk -v u="$user" -v s="$sys" 'BEGIN { print u + s }')
	fi
	# A single process whose wall clock is well above its CPU time waited for a CPU
	# (short runs are left out: starting a process is most of their time).
	if [ "${2:-}" != pipe ] &&
	    awk -v w="$wall" -v u="$user" -v s="$sys" 'BEGIN { exit !(w > 0.5 && w > 1.25 * (u + s)) }'; then
		mark='*'; busy=1
	else
		mark=' '
	fi
	awk -v n="$1" -v w="$wall" -v p="$pkts" -v b="$capbytes" -v r="$rss_kib" -v f="$floor_wall" \
		-v u="$user" -v s="$sys" -v m="$mark" -v fc="$floor_cpu" \
		'BEGIN { printf "%-36s %7.3f%s%6.2f %6.2f %6.2f %7.0f %7.1f MiB %7.2fx %6.2fx\n",
			n, w, m, u, s, p / w / 1e6, b / w / 1e6, r / 1024, f / w, fc / (u + s) }'
}

measure "$BENCH_RUNS" /dev/null "$BIN/floor" "$cap"
row "floor: libpcap, 1 MiB stdio buffer"
measure "$BENCH_RUNS" /dev/null "$BIN/floor" -d "$cap"
row "floor: libpcap, default stdio buffer"
measure "$BENCH_RUNS" /dev/null "$B/pcap-flows" "$cap"
row "pcap-flows FILE > /dev/null"
pf_wall=$wall
meta_cpu=$(awk -v u="$user" -v s="$sys" 'BEGIN { print u + s }')
measure "$BENCH_RUNS" /dev/null "$B/pcap-flows" --no-meta "$cap"
row "pcap-flows --no-meta FILE > /dev/null"
meta_ratio=$(awk -v m="$meta_cpu" -v u="$user" -v s="$sys" 'BEGIN { if (u + s > 0) printf "%.3f", m / (u + s) }')
measure "$BENCH_RUNS" /dev/null "$B/pcap-flows" --threads 1 "$cap"
row "pcap-flows --threads 1 FILE > /dev/null"
# shellcheck disable=SC2016
measure "$BENCH_RUNS" /dev/null sh -c '"$0" "$1" | cat > /dev/null' "$B/pcap-flows" "$cap"
row "pcap-flows FILE | cat > /dev/null" pipe
hr
echo "seconds: wall clock of the best run (user, sys: its CPU seconds); MB/s: capture file bytes"
echo "(10^6) per second; vs floor: packets/s relative to the floor with the 1 MiB buffer; by CPU:"
echo "the same by CPU seconds (user + sys; with the pipe, of both sides), steadier on a busy machine."
echo "application metadata: pcap-flows takes ${meta_ratio:-?}x the CPU time of pcap-flows --no-meta (target <= 1.10)"
if [ -n "${pf_wall:-}" ] && [ -n "$floor_wall" ]; then
	awk -v w="$pf_wall" -v f="$floor_wall" 'BEGIN { r = f / w
		printf "pcap-flows: %.2fx the floor of this run (the target is at least 1.00: %s)\n", r,
			(r >= 1 ? "met" : "NOT met") }'
fi
if [ "$busy" = 1 ]; then
	echo "*: the wall clock is well above the CPU time: the machine was busy, the figures are not reliable."
fi
echo

# ---- memory: the same traffic at 1x and 10x length ----

echo "Peak RSS of pcap-flows (default options) on the same traffic at 1x and 10x length:"
rss_row() {
	stats=$BENCH_DIR/$2.stats
	warm "$1"
	if ! measure 1 /dev/null "$B/pcap-flows" -v "$1"; then
		printf '  %-4s failed\n' "$2"
		return 1
	fi
	cp "$err" "$stats"
	active=$(sed -n 's/.*(at most \([0-9]*\) active).*/\1/p' "$stats")
	nflows=$(sed -n 's/.*: flows \([0-9]*\) (at most.*/\1/p' "$stats")
	np=$(sed -n 's/.*packets read \([0-9]*\),.*/\1/p' "$stats")
	span=$("$BIN/floor" "$1" | sed -n 's/.*span=\([0-9.]*\).*/\1/p')
	awk -v n="$2" -v w="$wall" -v r="$rss_kib" -v p="$np" -v a="$active" -v f="$nflows" -v s="$span" \
		-v b="$(wc -c < "$1")" 'BEGIN {
		printf "  %-4s %7.0f MiB, %9d packets, %6.0f s of traffic, %8d flows, at most %7d active:" \
			" peak RSS %7.1f MiB (%.2f s), %.1f KiB per active flow\n", n, b / 1048576, p, s, f, a,
			r / 1024, w, (a > 0 ? r / a : 0) }'
	eval "rss_$2=\$rss_kib"
}

rss_row "$rss1" 1x
rss_row "$rss10" 10x
if [ -n "${rss_1x:-}" ] && [ -n "${rss_10x:-}" ]; then
	awk -v a="$rss_1x" -v b="$rss_10x" 'BEGIN {
		r = b / a
		printf "  ratio 10x / 1x: %.2f (the target is at most 1.20: %s)\n", r, r <= 1.2 ? "met" : "NOT met" }'
fi
echo

# ---- flow-json on pcap-flows' output ----

flows=$BENCH_DIR/bench.flows
if "$BIN/runstat" "$stat_out" "$B/pcap-flows" -vv "$cap" > "$flows" 2> "$err"; then
	active=$(sed -n 's/.*(at most \([0-9]*\) active).*/\1/p' "$err")
	# issue 14: peak RSS per active flow, and against what the flows needed
	held=$(sed -n 's/.*memory: flow state and stored data at most \([0-9]*\) bytes.*/\1/p' "$err")
	read -r _ pf_rss _ < "$stat_out"
	awk -v r="$pf_rss" -v a="$active" -v h="${held:-0}" 'BEGIN {
		printf "memory: pcap-flows on the bench capture: peak RSS %.1f MiB, at most %d active flows:" \
			" %.1f KiB per active flow;\n", r / 1024, a, (a > 0 ? r / a : 0)
		printf "  the active flows\047 state and stored data needed at most %.1f MiB (%.1f KiB per flow):" \
			" peak RSS / needed %.2f\n\n", h / 1048576, (a > 0 ? h / 1024 / a : 0), (h > 0 ? r * 1024 / h : 0) }'
	warm "$flows"
	nrec=$("$B/flow-json" "$flows" | wc -l)
	fbytes=$(wc -c < "$flows")
	echo "flow-json on pcap-flows' output for the bench capture: $nrec flow records (at most $active" \
		"active), $(awk -v b="$fbytes" 'BEGIN {printf "%.1f MiB", b / 1048576}'), best of $BENCH_RUNS:"
	anonkey=$BENCH_DIR/bench-anon.key
	[ -f "$anonkey" ] || "$B/flow-anon" --genkey "$anonkey" || failed=1
	catwall=
	ffwall=
	# flow-stats -f npy: the full set's numeric columns (all but src and dst),
	# float64 with no printing at all (the NPY files are removed after)
	npycols=$("$B/flow-stats" --set full "$flows" | head -n 1 | tr ',' '\n' |
		grep -v -x -e src -e dst | paste -s -d , -)
	for what in "cat" "flow-json" "flow-json -p" "flow-anon" "flow-filter" "flow-stats" "flow-stats --set full" \
	    "flow-stats --set full --threads 1" "flow-stats --set cicflowmeter" "flow-stats -f npy (full)" "flow-stats -s"; do
		case $what in
		cat) measure "$BENCH_RUNS" /dev/null cat "$flows" ;;
		flow-filter) measure "$BENCH_RUNS" /dev/null "$B/flow-filter" 'proto == tcp and dport == 443' "$flows" ;;
		flow-stats) measure "$BENCH_RUNS" /dev/null "$B/flow-stats" "$flows" ;;
		"flow-stats --set full") measure "$BENCH_RUNS" /dev/null "$B/flow-stats" --set full "$flows" ;;
		"flow-stats --set full --threads 1")
			measure "$BENCH_RUNS" /dev/null "$B/flow-stats" --set full --threads 1 "$flows" ;;
		"flow-stats --set cicflowmeter")
			measure "$BENCH_RUNS" /dev/null "$B/flow-stats" --set cicflowmeter "$flows" ;;
		"flow-stats -f npy (full)")
			measure "$BENCH_RUNS" /dev/null "$B/flow-stats" -c "$npycols" -f npy \
				-o "$BENCH_DIR/bench-stats.npy" "$flows"
			rm -f "$BENCH_DIR"/bench-stats.npy "$BENCH_DIR"/bench-stats.labels.npy \
				"$BENCH_DIR"/bench-stats.columns.txt "$BENCH_DIR"/bench-stats.classes.txt ;;
		"flow-stats -s") measure "$BENCH_RUNS" /dev/null "$B/flow-stats" -s proto,dport "$flows" ;;
		flow-anon) measure "$BENCH_RUNS" /dev/null "$B/flow-anon" -k "$anonkey" "$flows" ;;
		"flow-json -p") measure "$BENCH_RUNS" /dev/null "$B/flow-json" -p "$flows" ;;
		*) measure "$BENCH_RUNS" /dev/null "$B/flow-json" "$flows" ;;
		esac
		if [ -n "$wall" ]; then
			[ "$what" = cat ] && catwall=$wall
			[ "$what" = flow-filter ] && ffwall=$wall
			# vs cat: the time of cat over the tool's (cat reads the same stream)
			awk -v n="$what" -v w="$wall" -v c="$nrec" -v b="$fbytes" -v r="$rss_kib" -v cw="$catwall" 'BEGIN {
				printf "  %-34s %8.3f s %12.0f records/s %8.0f MB/s  peak RSS %6.1f MiB  %8.4fx cat\n",
					n, w, c / w, b / w / 1e6, r / 1024, cw / w }'
		else
			printf '  %-34s failed\n' "$what"
		fi
	done
	# issue 12: flow-filter on a simple expression against cat of the same stream, this run
	if [ -n "$catwall" ] && [ -n "${ffwall:-}" ]; then
		awk -v w="$ffwall" -v c="$nrec" -v cw="$catwall" 'BEGIN {
			r = cw / w
			printf "  flow-filter (proto == tcp and dport == 443): %.0f records/s, %.2fx cat on the same stream" \
				" (the target is at least 0.50: %s)\n", c / w, r, (r >= 0.5 ? "met" : "NOT met") }'
	fi
else
	note "pcap-flows failed on $cap:"
	tail -n 20 "$err" >&2
	failed=1
fi
# ---- sessions/s: pcap-flows | flow-anon | flow-idx against pcap-flows alone ----
if [ -x "$B/flow-anon" ] && [ -x "$B/flow-idx" ]; then
	idxdir=$BENCH_DIR/idx
	mkdir -p "$idxdir"
	"$B/flow-anon" --genkey "$idxdir/key" 2>/dev/null || [ -f "$idxdir/key" ]
	nsess=$("$B/flow-idx" -o "$idxdir/count" --dedup none "$flows" 2>&1 >/dev/null |
		sed -n 's/^sessions read //p')
	echo "sessions/s on the bench capture ($nsess sessions), best of $BENCH_RUNS:"
	measure "$BENCH_RUNS" /dev/null "$B/pcap-flows" "$cap" && base=$wall
	for what in "pcap-flows" "pcap-flows | flow-idx" "pcap-flows | flow-anon | flow-idx"; do
		case $what in
		"pcap-flows") wall=$base ;;
		"pcap-flows | flow-idx")
			# shellcheck disable=SC2016
			measure "$BENCH_RUNS" /dev/null sh -c '"$0" "$1" | "$2" -q -o "$3"' \
				"$B/pcap-flows" "$cap" "$B/flow-idx" "$idxdir/bench" ;;
		*)
			# shellcheck disable=SC2016
			measure "$BENCH_RUNS" /dev/null sh -c '"$0" "$1" | "$2" -k "$3" 2>/dev/null | "$4" -q -o "$5"' \
				"$B/pcap-flows" "$cap" "$B/flow-anon" "$idxdir/key" "$B/flow-idx" "$idxdir/bench" ;;
		esac
		if [ -n "$wall" ] && [ -n "${base:-}" ]; then
			awk -v n="$what" -v w="$wall" -v c="$nsess" -v b="$base" -v f="${floor_wall:-0}" 'BEGIN {
				printf "  %-36s %8.3f s %12.0f sessions/s  %5.2fx pcap-flows alone  %5.2fx the floor\n",
					n, w, c / w, b / w, f / w }'
			pipe_wall=$wall
		else
			printf '  %-36s failed\n' "$what"
			pipe_wall=
		fi
	done
	if [ -n "${pipe_wall:-}" ] && [ -n "$floor_wall" ]; then
		awk -v w="$pipe_wall" -v f="$floor_wall" 'BEGIN { r = f / w
			printf "  pcap-flows | flow-anon | flow-idx: %.2fx the floor (the target is at least 0.50: %s)\n",
				r, (r >= 0.5 ? "met" : "NOT met") }'
	fi
	rm -rf "$idxdir"
fi
# ---- images/s: flow-pic on pcap-flows' output ----
if [ -x "$B/flow-pic" ] && [ -s "$flows" ]; then
	picdir=$BENCH_DIR/pic
	mkdir -p "$picdir"
	echo "flow-pic on pcap-flows' output for the bench capture, best of $BENCH_RUNS:"
	for what in "--mini" "--sparse" "--mini --dir split --window 30 --step 5"; do
		# shellcheck disable=SC2086
		npic=$("$B/flow-pic" $what -o "$picdir/count" --stats /dev/stdout "$flows" 2>/dev/null |
			sed -n 's/^pictures written //p')
		# shellcheck disable=SC2086
		measure "$BENCH_RUNS" /dev/null "$B/flow-pic" -q $what -o "$picdir/bench" "$flows"
		if [ -n "$wall" ] && [ -n "$npic" ]; then
			awk -v n="$what" -v w="$wall" -v c="$npic" -v r="$rss_kib" 'BEGIN {
				printf "  %-40s %8.3f s %8d pictures %10.0f pictures/s  peak RSS %6.1f MiB\n",
					n, w, c, c / w, r / 1024 }'
		else
			printf '  %-40s failed\n' "$what"
		fi
	done
	rm -rf "$picdir"
fi

# ---- flows/s: flowkit.to_pandas (Python, numpy) on pcap-flows' output ----
# Each run a new process (as a user's script would be), pandas imported
# before the clock starts; the best of $BENCH_RUNS by wall time is kept.
if [ -s "$flows" ] && /usr/bin/python3 -c 'import numpy, pandas' 2> /dev/null; then
	echo "flowkit.to_pandas and read_packets on pcap-flows' output for the bench capture (a new process a run, pandas imported), best of $BENCH_RUNS:"
	for what in core packets long; do
		bw=
		i=0
		while [ "$i" -lt "$BENCH_RUNS" ]; do
			if ! PYTHONPATH=python /usr/bin/python3 - "$flows" "$what" > "$stat_out" 2> "$err" <<'EOF'
import sys, time
import flowkit
import pandas  # noqa: F401  (imported before the clock starts: a one-time cost)
cols = ["src", "sport", "dst", "dport", "proto", "first_ns", "last_ns", "src_pkts", "dst_pkts",
        "src_bytes", "dst_bytes", "end", "flags", "label"]
if sys.argv[2] == "packets":
    cols.append("packets")
t, c = time.perf_counter(), time.process_time()
if sys.argv[2] == "long":
    p = len(flowkit.read_packets(sys.argv[1], columns=["label"]))
else:
    n, p = len(flowkit.to_pandas(sys.argv[1], columns=cols)), 0
t, c = time.perf_counter() - t, time.process_time() - c
if sys.argv[2] == "long":       # the flows read, counted after the clock
    n = len(flowkit.read_columns(sys.argv[1], ["ipv"])[1]["ipv"])
print(t, c, n, p)
EOF
			then
				note "failed: flowkit.to_pandas ($what)"
				sed 's/^/    /' "$err" | tail -n 20 >&2
				failed=1; bw=; break
			fi
			read -r w c n np < "$stat_out"
			if [ -z "$bw" ] || awk -v a="$w" -v b="$bw" 'BEGIN { exit !(a < b) }'; then
				bw=$w; bc=$c; bn=$n; bp=$np
			fi
			i=$((i + 1))
		done
		if [ -n "$bw" ] && [ "$what" = long ]; then
			awk -v w="$bw" -v c="$bc" -v f="$bn" -v p="$bp" 'BEGIN {
				printf "  %-26s %8.3f s %10.0f flows/s %10.0f packets/s  (CPU %.3f s: %.0f flows/s, %.0f packets/s)\n",
					"read_packets, and label", w, f / w, p / w, c, f / c, p / c }'
		elif [ -n "$bw" ]; then
			awk -v n="$what" -v w="$bw" -v c="$bc" -v f="$bn" 'BEGIN {
				printf "  %-26s %8.3f s %10.0f flows/s  (CPU %.3f s: %.0f flows/s)\n",
					(n == "core" ? "core fields and label" : "and the PACKETS arrays"), w, f / w, c, f / c }'
		else
			printf '  %-26s failed\n' "$what"
		fi
	done
fi

# ---- compressed captures (pcap-flows reading .gz through zlib) ----
# The bench capture gzip-compressed once (kept next to it, remade when the
# capture is newer); pcap-flows on it against the plain file, as a ratio.
gzcap=$cap.gz
if [ ! -f "$gzcap" ] || newer "$cap" "$gzcap"; then
	note "compressing $cap with gzip (once)"
	gzip -c "$cap" > "$gzcap.tmp" && mv "$gzcap.tmp" "$gzcap" || rm -f "$gzcap.tmp"
fi
if [ -f "$gzcap" ]; then
	echo
	measure "$BENCH_RUNS" /dev/null "$B/pcap-flows" "$cap"
	pw=$wall; pc=$(awk -v u="$user" -v s="$sys" 'BEGIN { print u + s }')
	measure "$BENCH_RUNS" /dev/null "$B/pcap-flows" "$gzcap"
	if [ -n "$pw" ] && [ -n "$wall" ]; then
		awk -v pw="$pw" -v pc="$pc" -v w="$wall" -v u="$user" -v s="$sys" -v r="$rss_kib" \
			-v zb="$(wc -c < "$gzcap")" -v b="$capbytes" 'BEGIN {
			printf "pcap-flows FILE.gz (gzip, %.1f%% of the size): %.3f s, %.2fx the speed of the plain file", \
				100 * zb / b, w, pw / w
			printf " (%.2fx by CPU), peak RSS %.1f MiB\n", pc / (u + s), r / 1024 }'
	else
		echo "pcap-flows FILE.gz: failed"
	fi
fi
# ---- end of compressed captures ----

rm -f "$flows"
exit "$failed"
