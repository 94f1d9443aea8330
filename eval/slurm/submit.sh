#!/usr/bin/env bash
# Runs a benchmark on a Slurm cluster: an array of n shard jobs, then one merge job
# that starts only if every shard succeeded. See docs/scale-out.md.
#
#   eval/slurm/submit.sh BENCH MATCHER SHARDS RUN_DIR [sbatch options...]
#   e.g. eval/slurm/submit.sh megadepth1500 roma 16 runs/megadepth1500/roma-n5000 --partition=gpu
#
# Extra `make eval` variables go in MAKE_VARS (e.g. MAKE_VARS="NUM=5000"), extra
# `roma evaluate` arguments in EVALUATE_ARGS. DRY_RUN=1 prints the sbatch commands
# instead of submitting them.
set -euo pipefail

usage() { sed -n '5,6p' "$0" | sed 's/^# \{0,3\}//' >&2; exit 2; }
[[ $# -ge 4 ]] || usage
bench="$1"; matcher="$2"; shards="$3"; run_dir="$4"; shift 4
[[ "$shards" =~ ^[1-9][0-9]*$ ]] || { echo "submit: SHARDS='$shards' is not a positive whole number" >&2; exit 2; }

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
roma_dir="${ROMA_DIR:-$(cd "$here/../.." && pwd)}"
export ROMA_DIR="$roma_dir" BENCH="$bench" MATCHER="$matcher" SHARDS="$shards" RUN_DIR="$run_dir"
export MAKE_VARS="${MAKE_VARS:-}" EVALUATE_ARGS="${EVALUATE_ARGS:-}"

submit() {
  if [[ -n "${DRY_RUN:-}" ]]; then
    echo "sbatch $*" >&2
    echo "DRYRUN$RANDOM"
  else
    sbatch --parsable "$@"
  fi
}

# --export=ALL carries the variables above into the jobs.
array_id="$(submit --export=ALL --chdir="$roma_dir" --array="1-$shards" "$@" "$here/shard.sbatch")"
array_id="${array_id%%;*}"  # --parsable prints "id;cluster" on multi-cluster setups
merge_id="$(submit --export=ALL --chdir="$roma_dir" --dependency="afterok:$array_id" --kill-on-invalid-dep=yes "$@" "$here/merge.sbatch")"
merge_id="${merge_id%%;*}"
echo "submitted: shards $array_id (1-$shards), merge $merge_id after all succeed; results in $run_dir"
