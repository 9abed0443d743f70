#!/usr/bin/env bash
# One shard of `gaitforge ablate` per Slurm array task, each into its own run folder (docs/pipeline.md):
#
#   GAITFORGE_DATA=/shared/real.parquet GAITFORGE_CONFIG=/shared/ablation.yaml GAITFORGE_RUN_DIR=/shared/runs/egait \
#     sbatch --array=1-8 scripts/slurm/ablate-array.sh [more ablate options, e.g. --backend wasm]
#   # once every task has ended: npx gaitforge ablate merge /shared/runs/egait/shard-* --out /shared/runs/egait/merged
#
# Task k of an array of N (a contiguous range, whatever its first index) runs `--shard k/N --no-report`
# into $GAITFORGE_RUN_DIR/shard-k. sbatch passes the submitting shell's environment on: the three
# variables above, and `npx gaitforge` from the submit folder, or GAITFORGE_CLI=path/to/dist/cli/main.js
# run by the `node` on PATH. test/pipeline/slurm.test.ts submits this file to a one-node cluster.
#SBATCH --job-name=gaitforge-ablate
set -euo pipefail

: "${GAITFORGE_DATA:?set GAITFORGE_DATA to the real gaits (.parquet or .arrow)}"
: "${GAITFORGE_CONFIG:?set GAITFORGE_CONFIG to the ablation config (YAML or JSON)}"
: "${GAITFORGE_RUN_DIR:?set GAITFORGE_RUN_DIR to the folder that receives one shard-k folder per task}"
: "${SLURM_ARRAY_TASK_ID:?submit as an array: sbatch --array=1-N $0}"

count=$SLURM_ARRAY_TASK_COUNT
index=$((SLURM_ARRAY_TASK_ID - SLURM_ARRAY_TASK_MIN + 1))
if ((index < 1 || index > count)); then
  echo "ablate-array: task $SLURM_ARRAY_TASK_ID is not in a contiguous array of $count tasks from $SLURM_ARRAY_TASK_MIN (use --array=1-N)" >&2
  exit 2
fi

if [[ -n "${GAITFORGE_CLI:-}" ]]; then gaitforge=(node "$GAITFORGE_CLI"); else gaitforge=(npx gaitforge); fi
run_dir="$GAITFORGE_RUN_DIR/shard-$index"
echo "ablate-array: job ${SLURM_ARRAY_JOB_ID:-?} task $SLURM_ARRAY_TASK_ID on $(hostname -s): shard $index/$count into $run_dir" >&2
exec "${gaitforge[@]}" ablate --data "$GAITFORGE_DATA" --config "$GAITFORGE_CONFIG" --run-dir "$run_dir" \
  --shard "$index/$count" --no-report "$@"
