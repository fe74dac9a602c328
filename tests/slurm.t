#!/bin/sh
# slurm.t - examples/slurm/ on a single-node Slurm started here: munged,
# slurmctld and slurmd on localhost, from the Debian packages, with a
# slurm.conf and every state directory in the test's temporary directory.
# The job array (one task per capture, then with several captures per
# task) and its dependent final job give the same files, byte for byte, as
# make -f examples/dataset.mk -j1, which then finds nothing to remake; a
# capture that fails cancels the final job and submit.sh says so.  Every
# daemon started here is stopped at exit, whatever happened.
. "${0%/*}/lib.sh"

PF=$FK_BIN/pcap-flows
MK=$FK_ROOT/examples/dataset.mk
SUBMIT=$FK_ROOT/examples/slurm/submit.sh
[ -x "$PF" ] || skip_all "no $PF"
[ "$(id -u)" -eq 0 ] || skip_all "not root: slurmd and munged run as root here (CI runs as root)"
for c in munged slurmctld slurmd sbatch scontrol squeue scancel sinfo make; do
	command -v "$c" >/dev/null 2>&1 ||
		PATH=$PATH:/usr/sbin command -v "$c" >/dev/null 2>&1 ||
		skip_all "no $c: install slurm-wlm and munge (scripts/install-deps.sh)"
done
PATH=$PATH:/usr/sbin

# A Slurm job of the caller's (CI inside a cluster) must not leak into
# this cluster's clients.
for v in $(env | sed -n 's/^\(S\(LURM\|BATCH\)_[A-Za-z0-9_]*\)=.*/\1/p'); do
	unset "$v"
done

S=$T/slurm
mkdir -p "$S/munge" "$S/state" "$S/spool"

# Stop what was started, by its process id, and wait for it to be gone, so
# that nothing (a port, a process in $T) is left for the next run.  Jobs
# are cancelled first, so that no slurmstepd outlives its slurmd.
ctld='' slurmd_pid='' munged_pid=''
stop() {
	if [ -n "$ctld" ]; then
		scancel --user=root >/dev/null 2>&1
		_i=0
		while [ "$_i" -lt 50 ] && [ -n "$(squeue -h -o %i 2>/dev/null)" ]; do
			sleep 0.2
			_i=$((_i + 1))
		done
	fi
	for _p in $slurmd_pid $ctld $munged_pid; do
		kill "$_p" 2>/dev/null
	done
	for _p in $slurmd_pid $ctld $munged_pid; do
		_i=0
		while kill -0 "$_p" 2>/dev/null && [ "$_i" -lt 50 ]; do
			sleep 0.1
			_i=$((_i + 1))
		done
		kill -9 "$_p" 2>/dev/null
	done
	wait 2>/dev/null
	ctld='' slurmd_pid='' munged_pid=''
}
trap 'stop; rm -rf "$T"' EXIT

# Two free TCP ports, from a start that depends on the process id.
port_free() {
	! ss -Htln "sport = :$1" 2>/dev/null | grep -q .
}
p=$((20000 + $$ % 20000))
while ! port_free "$p" || ! port_free $((p + 1)); do
	p=$((p + 2))
done

# munged with a key of its own (it refuses a key others can read).
dd if=/dev/urandom of="$S/munge/key" bs=1024 count=1 2>/dev/null
chmod 400 "$S/munge/key"
munged -f --key-file="$S/munge/key" --socket="$S/munge/sock" --pid-file="$S/munge/pid" \
	--log-file="$S/munge/log" --seed-file="$S/munge/seed" 2>"$T/err"
st=$?
[ -s "$S/munge/pid" ] && munged_pid=$(cat "$S/munge/pid")
[ "$st" -eq 0 ] && [ -n "$munged_pid" ] ||
	{ echo "Bail out! munged did not start: $(cat "$T/err")"; exit 1; }

cat >"$S/slurm.conf" <<EOF
ClusterName=flowkit-test
SlurmctldHost=localhost
SlurmctldPort=$p
SlurmdPort=$((p + 1))
AuthType=auth/munge
CredType=cred/munge
AuthInfo=socket=$S/munge/sock
SlurmUser=root
SlurmdUser=root
StateSaveLocation=$S/state
SlurmdSpoolDir=$S/spool
SlurmctldPidFile=$S/slurmctld.pid
SlurmdPidFile=$S/slurmd.pid
SlurmctldLogFile=$S/slurmctld.log
SlurmdLogFile=$S/slurmd.log
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
SelectType=select/cons_tres
SelectTypeParameters=CR_CPU
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
MpiDefault=none
ReturnToService=2
SchedulerParameters=batch_sched_delay=0,sched_min_interval=0,sched_interval=1
NodeName=localhost NodeAddr=127.0.0.1 CPUs=$(nproc) State=UNKNOWN
PartitionName=test Nodes=localhost Default=YES MaxTime=INFINITE State=UP
EOF
SLURM_CONF=$S/slurm.conf
export SLURM_CONF

slurmctld -D -f "$SLURM_CONF" >"$S/slurmctld.out" 2>&1 &
ctld=$!
slurmd -D -f "$SLURM_CONF" -N localhost >"$S/slurmd.out" 2>&1 &
slurmd_pid=$!

# The node is up when sinfo says it is idle (at most 30 s).
i=0
until [ "$(sinfo -h -n localhost -o %t 2>/dev/null)" = idle ]; do
	if [ "$i" -ge 150 ] || ! kill -0 "$ctld" 2>/dev/null || ! kill -0 "$slurmd_pid" 2>/dev/null; then
		echo "Bail out! the Slurm node did not come up: $(tail -n 5 "$S/slurmctld.log" "$S/slurmd.log" 2>&1)"
		exit 1
	fi
	sleep 0.2
	i=$((i + 1))
done
pass "single-node Slurm is up (munged, slurmctld, slurmd on localhost:$p)"

. "${0%/*}/captree.sh"
captree "$T/caps" || { echo "Bail out! cannot make the tree of captures"; exit 1; }

export FLOWKIT="$FK_BIN" PIC_OPTS=--mini
mkdir -p "$T/mk" "$T/sl"
(cd "$T/mk" && make -f "$MK" CAPTURES=../caps OUT=out -j1) >"$T/mk.log" 2>&1
ok "make -j1: exit 0" test $? -eq 0 || diag "$(tail -n 20 "$T/mk.log")"

# files DIR: the files under DIR, without the job logs, sorted.
files() {
	(cd "$1" && find . -type f ! -path './logs/*' | LC_ALL=C sort)
}

# same DIR WHAT: DIR holds make's files, byte for byte.
same() {
	is "$(files "$1")" "$(files "$T/mk/out")" "$2: the same files as make -j1"
	_bad=
	for _f in $(files "$T/mk/out"); do
		cmp -s "$T/mk/out/$_f" "$1/$_f" || _bad="$_bad ${_f#./}"
	done
	is "$_bad" "" "$2: every file the same as make's, byte for byte ($(files "$1" | wc -l) files)"
}

# submit DIR OUT [VAR=value...]: submit.sh --wait from DIR, at most 120 s.
submit() {
	_d=$1 _o=$2
	shift 2
	(cd "$_d" && env "$@" timeout 120 sh "$SUBMIT" --wait ../caps "$_o") >"$T/out" 2>"$T/err"
}

submit "$T/sl" out
st=$?
ok "submit.sh --wait: exit 0" test "$st" -eq 0 || diag "$(cat "$T/out" "$T/err")"
like "$(cat "$T/out")" "submit.sh: $CAPTREE_N captures: array job * ($CAPTREE_N tasks), final job *" \
	"submit.sh: one task per capture"
array=$(sed -n 's/.*array job \([0-9]*\).*/\1/p' "$T/out")
is "$(find "$T/sl/out/logs" -name "flows-${array}_*" | wc -l)" "$CAPTREE_N" "one log per array task"
is "$(scontrol show job -o "$array" | sed -n 's/.*JobState=\([A-Z]*\).*/\1/p' | sort | uniq -c | tr -s ' ')" \
	" $CAPTREE_N COMPLETED" "every array task completed"
same "$T/sl/out" "Slurm"

# The Slurm build is make's: make on it has nothing to remake.
(cd "$T/sl" && make -f "$MK" CAPTURES=../caps OUT=out) >"$T/mk2.log" 2>&1
is "$?:$(grep -c -e pcap-flows -e flow-idx -e flow-pic -e flow-stats "$T/mk2.log")" "0:0" \
	"make on Slurm's output: nothing to remake"

mkdir -p "$T/sl4"
submit "$T/sl4" out FILES_PER_TASK=4
st=$?
ok "FILES_PER_TASK=4: exit 0" test "$st" -eq 0 || diag "$(cat "$T/out" "$T/err")"
like "$(cat "$T/out")" "*array job * (3 tasks)*" "FILES_PER_TASK=4: 3 tasks for $CAPTREE_N captures"
same "$T/sl4/out" "FILES_PER_TASK=4"

# A capture that fails: its task fails, the final job never runs.
cp "$FK_DATA/trunc_file_cut_mid_packet.pcap" "$T/caps/tcp/"
submit "$T/sl" bad FILES_PER_TASK=4
st=$?
ok "a capture cut short: submit.sh exits 1" test "$st" -eq 1
like "$(cat "$T/err")" "submit.sh: final job *: CANCELLED; see bad/logs/*" \
	"a capture cut short: the final job is cancelled, and submit.sh says so"
ok "a capture cut short: no all.flows, no data set" test ! -e "$T/sl/bad/all.flows" -a ! -e "$T/sl/bad/idx.done"
like "$(cat "$T/sl/bad/logs"/flows-*)" "*trunc_file_cut_mid_packet.pcap*" "the task's log names the capture"
rm "$T/caps/tcp/trunc_file_cut_mid_packet.pcap"

run sh "$SUBMIT" "$T/caps"
like "$status:$err" "2:usage: submit.sh*" "submit.sh: usage"
mkdir -p "$T/none"
run sh "$SUBMIT" "$T/none" "$T/none-out"
like "$status:$err" "1:*none: no capture files in this directory" "submit.sh: no captures"

pids="$slurmd_pid $ctld $munged_pid"
stop
left=
for p in $pids; do
	kill -0 "$p" 2>/dev/null && left="$left $p"
done
is "$left" "" "every daemon started here is stopped"

done_testing
