#!/usr/bin/env bash
# The Slurm path on a real single-node cluster started here (make test-slurm; make test
# runs it): munged, slurmctld and slurmd on localhost with a throw-away configuration,
# then `eval/slurm/submit.sh synthetic sift 2` (two shard jobs and the merge job) on a
# small synthetic set, checked against an unsharded `make eval` of the same set.
#
# Needs root (to install slurm-wlm and munge from Debian when missing, and to run the
# daemons). Skips, saying why, only when Slurm cannot be installed.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/../.." && pwd)"
cd "$root"

skip() { echo "test-slurm: SKIPPED: $*"; exit 0; }
fail() { echo "test-slurm: FAILED: $*" >&2; exit 1; }

if ! command -v slurmctld >/dev/null || ! command -v munged >/dev/null; then
  [[ $(id -u) -eq 0 ]] || skip "slurm-wlm and munge are not installed and installing them needs root"
  echo "test-slurm: installing slurm-wlm and munge"
  { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq slurm-wlm munge; } >/dev/null 2>&1 ||
    skip "apt-get could not install slurm-wlm and munge"
fi
[[ $(id -u) -eq 0 ]] || skip "the test runs slurmd, which needs root"
[[ -x .build/release/roma ]] || fail "build first (make build): the shards only run, they do not build"

work="$(mktemp -d /tmp/roma-slurm-XXXXXX)"
chmod 755 "$work"
pids=()
cleanup() {
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  for pid in "${pids[@]}"; do wait "$pid" 2>/dev/null || true; done
  [[ -n "${KEEP:-}" ]] || rm -rf "$work"
}
trap cleanup EXIT

# munge: our own key and socket, so a system munged (if any) is left alone.
mkdir -p "$work/munge"
chmod 700 "$work/munge"
dd if=/dev/urandom of="$work/munge/key" bs=1 count=1024 status=none
chmod 400 "$work/munge/key"
munged --foreground --force --key-file="$work/munge/key" --socket="$work/munge/socket" \
  --pid-file="$work/munge/pid" --log-file="$work/munge/log" --seed-file="$work/munge/seed" >"$work/munge/out" 2>&1 &
pids+=($!)

cpus="$(nproc)"
mkdir -p "$work/state" "$work/spool" "$work/logs"
cat >"$work/slurm.conf" <<EOF
ClusterName=roma-test
SlurmctldHost=localhost(127.0.0.1)
SlurmctldPort=$((20000 + RANDOM % 10000))
SlurmdPort=$((30000 + RANDOM % 10000))
AuthType=auth/munge
AuthInfo=socket=$work/munge/socket
CredType=cred/munge
SlurmUser=root
SlurmdUser=root
StateSaveLocation=$work/state
SlurmdSpoolDir=$work/spool
SlurmctldPidFile=$work/slurmctld.pid
SlurmdPidFile=$work/slurmd.pid
SlurmctldLogFile=$work/logs/slurmctld.log
SlurmdLogFile=$work/logs/slurmd.log
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
JobAcctGatherType=jobacct_gather/none
SelectType=select/cons_tres
SelectTypeParameters=CR_Core
SchedulerType=sched/builtin
ReturnToService=2
MpiDefault=none
NodeName=localhost NodeAddr=127.0.0.1 CPUs=$cpus RealMemory=2000 State=UNKNOWN
PartitionName=test Nodes=localhost Default=YES MaxTime=INFINITE State=UP
EOF
export SLURM_CONF="$work/slurm.conf"
for _ in $(seq 50); do [[ -S "$work/munge/socket" ]] && break; sleep 0.1; done
slurmctld -D -i -f "$SLURM_CONF" >"$work/logs/slurmctld.out" 2>&1 &
pids+=($!)
slurmd -D -N localhost -f "$SLURM_CONF" >"$work/logs/slurmd.out" 2>&1 &
pids+=($!)
for _ in $(seq 100); do
  sinfo -h -o '%t' 2>/dev/null | grep -Eq '^(idle|mix|alloc)' && break
  sleep 0.2
done
sinfo -h -o '%t' 2>/dev/null | grep -Eq '^(idle|mix|alloc)' ||
  { tail -n 20 "$work"/logs/*; fail "the local cluster did not come up (logs above)"; }
echo "test-slurm: cluster up ($(sinfo -h -o '%P %D %t %c'))"

# Two shards and the merge, as a user would submit them, with the job logs in $work.
runs="$work/runs"
vars="RUNS=$runs SYNTH_PAIRS=4"
MAKE_VARS="$vars" ROMA_DIR="$root" "$root/eval/slurm/submit.sh" synthetic sift 2 \
  --cpus-per-task=1 --mem=500M --time=00:05:00 --output="$work/%x-%j.log" | tee "$work/submit.out"
merge="$(sed -n 's/.*merge \([0-9]*\) once.*/\1/p' "$work/submit.out")"
[[ -n "$merge" ]] || fail "submit.sh printed no merge job id"
for _ in $(seq 600); do
  [[ -z "$(squeue -h 2>/dev/null)" ]] && break
  sleep 0.2
done
[[ -z "$(squeue -h)" ]] || { squeue; fail "jobs still queued or running after 2 minutes"; }

logs=("$work"/roma-*.log)
dir="$(make -s eval-where BENCH=synthetic MATCHER=sift $vars)"
[[ -f "$dir/results.safetensors" ]] || { tail -n 30 "${logs[@]}"; fail "the merge job wrote no $dir/results.safetensors (job logs above)"; }
grep -q "shard 1/2: 2 pairs done" "$work"/roma-shard-*.log || fail "no shard log says shard 1/2 did its 2 pairs"
grep -q "shard 2/2: 2 pairs done" "$work"/roma-shard-*.log || fail "no shard log says shard 2/2 did its 2 pairs"
# Shards only run: no build, no rendering of the synthetic set (done once by submit.sh).
! grep -qE "swift build|roma synth" "$work"/roma-shard-*.log || fail "a shard built or rendered (see its log)"
grep -q "^eval synthetic shard 1/2" "$work"/roma-shard-*.log || fail "no shard log has shard 1/2's progress line"
grep -q "report:" "$work"/roma-merge-*.log || fail "the merge job made no report"

# The same set without Slurm or shards gives the same poses, byte for byte (with the
# shards' thread count: RANSAC scores are sums whose last digits follow the split).
poses() { (cd "$dir" && sha256sum r*/*.pose.safetensors); }
sharded="$(poses)"
auc="$(grep -h '^evaluate:' "$work"/roma-merge-*.log)"
mv "$dir" "$work/sharded"
ROMA_THREADS=1 OPENBLAS_NUM_THREADS=1 OMP_NUM_THREADS=1 make -s eval-run BENCH=synthetic MATCHER=sift $vars >/dev/null
if [[ "$sharded" != "$(poses)" ]]; then
  first="$(diff <(echo "$sharded") <(poses) | sed -n 's/^< [0-9a-f]*  //p' | head -1 || true)"
  diff <(.build/release/roma info "$work/sharded/$first") <(.build/release/roma info "$dir/$first") >&2 || true
  fail "the sharded run's poses differ from an unsharded run's (first: $first, differences above)"
fi
echo "test-slurm: passed: 2 shards + merge on a local Slurm, poses identical to an unsharded run ($auc)"
