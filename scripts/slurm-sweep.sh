#!/bin/bash
# A sweep as a Slurm array job: task i of n runs shard i/n (n is the array's size, so keep it
# 0-(n-1); `sbatch --array=0-3 …` overrides the line below). All tasks write to one shared
# directory, whose record files are the merged result. --resume lets a requeued or restarted task
# continue where it stopped. From the repository root (or a project that installed rulebench):
#   sbatch scripts/slurm-sweep.sh [experiment.ts] [shared-out-dir]
# Afterwards, once: npx rulebench report /shared/mnist-compare
#SBATCH --array=0-7
#SBATCH --cpus-per-task=2
experiment=${1:-experiments/mnist-compare.ts}
out=${2:-/shared/mnist-compare}
exec npx rulebench run "$experiment" --out "$out" \
    --shard "${SLURM_ARRAY_TASK_ID}/${SLURM_ARRAY_TASK_COUNT}" --workers "${SLURM_CPUS_PER_TASK:-1}" --resume
