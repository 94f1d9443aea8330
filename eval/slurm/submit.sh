#!/usr/bin/env bash
# Runs a benchmark on a Slurm cluster: an array of n shard jobs, then one merge job
# that starts only if every shard succeeded. See docs/scale-out.md.
#
#   eval/slurm/submit.sh BENCH MATCHER SHARDS [sbatch options...]
#   e.g. eval/slurm/submit.sh megadepth1500 roma 16 --partition=gpu --time=02:00:00
#
# Extra `make eval` variables go in MAKE_VARS (e.g. MAKE_VARS="NUM=5000 SEED=0").
# DRY_RUN=1 prints the sbatch commands instead of submitting them.
set -euo pipefail

usage() { sed -n '5,6p' "$0" | sed 's/^# \{0,3\}//' >&2; exit 2; }
[[ $# -ge 3 ]] || usage
bench="$1"; matcher="$2"; shards="$3"; shift 3
[[ "$shards" =~ ^[1-9][0-9]*$ ]] || { echo "submit: SHARDS='$shards' is not a positive whole number" >&2; exit 2; }

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
roma_dir="${ROMA_DIR:-$(cd "$here/../.." && pwd)}"
export ROMA_DIR="$roma_dir" BENCH="$bench" MATCHER="$matcher" SHARDS="$shards" MAKE_VARS="${MAKE_VARS:-}"

# Build once and prepare the run (manifest; the synthetic set's rendering) here, so the
# shards only run: n shards starting n `swift build`s or renderings of one set would
# queue on SwiftPM's lock or redo the same work.
# shellcheck disable=SC2086
if [[ -z "${DRY_RUN:-}" ]]; then
  make -C "$roma_dir" -s build >&2
  make -C "$roma_dir" -s eval-prepare BENCH="$bench" MATCHER="$matcher" ${MAKE_VARS:-} >&2
fi

submit() {
  if [[ -n "${DRY_RUN:-}" ]]; then
    echo "sbatch $*" >&2
    echo "DRYRUN$RANDOM"
  else
    sbatch --parsable "$@"
  fi
}

# --export=ALL carries the variables above (and MEGADEPTH_ROOT etc.) into the jobs.
array_id="$(submit --export=ALL --chdir="$roma_dir" --array="1-$shards" "$@" "$here/shard.sbatch")"
array_id="${array_id%%;*}"  # --parsable prints "id;cluster" on multi-cluster setups
merge_id="$(submit --export=ALL --chdir="$roma_dir" --dependency="afterok:$array_id" --kill-on-invalid-dep=yes "$@" "$here/merge.sbatch")"
merge_id="${merge_id%%;*}"
echo "submitted: shards $array_id (1-$shards of $bench with $matcher), merge $merge_id once all succeed"
