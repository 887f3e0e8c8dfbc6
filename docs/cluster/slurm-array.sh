#!/bin/bash
# One model's layers over a Slurm job array: task I of N analyzes every N-th layer (weightscope
# reads its shard from SLURM_ARRAY_TASK_ID / SLURM_ARRAY_TASK_COUNT) and writes OUT/part-I.json.
# Submit it, then the merge as a job that waits for the array (docs/cluster.md):
#   job=$(sbatch --parsable --array=0-3 docs/cluster/slurm-array.sh model.safetensors out)
#   sbatch --dependency=afterok:$job --wrap "weightscope merge out/part-*.json --json out/report.json"
# A model list instead of a model: MODEL is "--models LIST" (each task then takes every N-th model).
#SBATCH --job-name=weightscope
#SBATCH --array=0-3
#SBATCH --cpus-per-task=2
#SBATCH --output=weightscope-%A_%a.out
set -euo pipefail
if [ $# -lt 2 ]; then
  echo "usage: sbatch [--array=0-N] slurm-array.sh MODEL|'--models LIST' OUT" >&2
  exit 2
fi
model=$1 out=$2
weightscope=${WEIGHTSCOPE:-weightscope}  # the CLI's path, if it is not on PATH
mkdir -p "$out"
# shellcheck disable=SC2086  # MODEL may be "--models LIST"
"$weightscope" analyze $model --threads "${SLURM_CPUS_PER_TASK:-0}" --quiet \
  --json "$out/part-$SLURM_ARRAY_TASK_ID.json"
