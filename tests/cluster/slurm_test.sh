#!/usr/bin/env bash
# The sharded run on a real Slurm (not in CI: it installs packages and starts daemons). As root:
# installs Debian's slurm-wlm and munge if missing, starts munged, slurmctld and slurmd on this
# machine with their own key, sockets, ports and state under a temporary folder, submits the
# recipe docs/cluster/slurm-array.sh as a 4-task array over the demo model's layers, merges the
# parts and compares the result with the unsharded report. Stops the daemons it started.
# usage: tests/cluster/slurm_test.sh [CLI] [MODEL]   (default: build/weightscope, the demo model)
set -euo pipefail
src=$(cd "$(dirname "$0")/../.." && pwd)
cli=$(realpath "${1:-$src/build/weightscope}")
model=$(realpath "${2:-$src/web/demo/ppocrv4_rec.safetensors}")
[ "$(id -u)" = 0 ] || { echo "slurm_test: run as root" >&2; exit 2; }
[ -x "$cli" ] || { echo "slurm_test: no CLI at $cli (build it first)" >&2; exit 2; }

missing=()
for p in slurm-wlm munge; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq "${missing[@]}" >/dev/null
fi

tmp=$(mktemp -d /tmp/ws-slurm.XXXXXX)
chmod 755 "$tmp"
pids=()
cleanup() {
  # Stop the daemons this script started (slurmd, slurmctld, then munged) and let each finish
  # writing its state before the folder goes.
  for ((i = ${#pids[@]} - 1; i >= 0; --i)); do
    kill "${pids[i]}" 2>/dev/null || continue
    for _ in $(seq 50); do kill -0 "${pids[i]}" 2>/dev/null || break; sleep 0.2; done
  done
  rm -rf "$tmp"
}
trap cleanup EXIT
fail() {
  echo "slurm_test: FAIL: $*" >&2
  for log in "$tmp"/*.log; do [ -f "$log" ] && { echo "--- $log" >&2; tail -20 "$log" >&2; }; done
  exit 1
}
wait_for() {  # wait_for SECONDS WHAT CONDITION...
  local t=$1 what=$2; shift 2
  for _ in $(seq $((t * 5))); do "$@" >/dev/null 2>&1 && return 0; sleep 0.2; done
  fail "$what within ${t}s"
}

# munge: its own key and socket, so a system munged (if any) is left alone.
mkdir -m 700 "$tmp/munge"
dd if=/dev/urandom of="$tmp/munge/munge.key" bs=1024 count=1 status=none
chmod 400 "$tmp/munge/munge.key"
socket=$tmp/munge/munge.socket
munged --force --key-file="$tmp/munge/munge.key" --socket="$socket" --pid-file="$tmp/munge/munged.pid" \
  --log-file="$tmp/munged.log" --seed-file="$tmp/munge/munged.seed" || fail "munged did not start"
wait_for 10 "munged's pid file" test -s "$tmp/munge/munged.pid"
pids+=("$(cat "$tmp/munge/munged.pid")")
wait_for 10 "a munge credential" sh -c "munge -S '$socket' -n | unmunge -S '$socket'"

# A one-node cluster on this host; no cgroups, accounting or job containers (a container rarely has them).
host=$(hostname -s)
mkdir -p "$tmp/state" "$tmp/spool"
cat >"$tmp/slurm.conf" <<EOF
ClusterName=wstest
SlurmctldHost=$host(127.0.0.1)
SlurmctldPort=16817
SlurmdPort=16818
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
AuthInfo=socket=$socket
CredType=cred/munge
StateSaveLocation=$tmp/state
SlurmdSpoolDir=$tmp/spool
SlurmctldPidFile=$tmp/slurmctld.pid
SlurmdPidFile=$tmp/slurmd.pid
SlurmctldLogFile=$tmp/slurmctld.log
SlurmdLogFile=$tmp/slurmd.log
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
SchedulerType=sched/backfill
SelectType=select/cons_tres
SelectTypeParameters=CR_CPU
MpiDefault=none
ReturnToService=2
NodeName=$host NodeAddr=127.0.0.1 CPUs=$(nproc) State=UNKNOWN
PartitionName=test Nodes=$host Default=YES MaxTime=INFINITE State=UP OverSubscribe=FORCE:4
EOF
export SLURM_CONF=$tmp/slurm.conf
slurmctld -i || fail "slurmctld did not start"
wait_for 20 "slurmctld's pid file" test -s "$tmp/slurmctld.pid"
pids+=("$(cat "$tmp/slurmctld.pid")")
slurmd || fail "slurmd did not start"
wait_for 20 "slurmd's pid file" test -s "$tmp/slurmd.pid"
pids+=("$(cat "$tmp/slurmd.pid")")
wait_for 60 "the node to be idle" sh -c "sinfo -h -N -o %T | grep -qx idle"

"$cli" analyze "$model" --json "$tmp/whole.json" --quiet >/dev/null
mkdir "$tmp/out"
cd "$tmp"
start=$(date +%s%N)
WEIGHTSCOPE=$cli sbatch --wait --array=0-3 --cpus-per-task=1 --output="$tmp/task-%a.log" \
  "$src/docs/cluster/slurm-array.sh" "$model" "$tmp/out" >/dev/null || fail "the array job failed"
echo "slurm_test: 4-task array done in $((($(date +%s%N) - start) / 1000000)) ms"
[ "$(ls "$tmp"/out/part-?.json | wc -l)" = 4 ] || fail "the array wrote $(ls "$tmp"/out | wc -l) parts, not 4"
# The merge as the recipe runs it: a job that waits for the array.
sbatch --wait --output="$tmp/merge.log" --wrap "'$cli' merge $tmp/out/part-*.json --json $tmp/merged.json" >/dev/null ||
  fail "the merge job failed"
node "$src/tests/cli/same_report.mjs" "$cli" "$tmp/merged.json" "$tmp/whole.json" ||
  fail "the merged report differs from the unsharded one"
echo "slurm_test: the merged report of the 4-task Slurm array equals the unsharded report"
