#!/bin/bash
# A whole cohort on Slurm: features (an array of SHARDS tasks) → train → evaluate and predict (arrays), each step
# starting only when every task of the one before it succeeded; a failed step cancels the steps after it.
# Export what the scripts read (DATA, LAYOUT, CACHE, ENCODER, RUN, EPOCHS, EVALUATION, INPUT, PREDICTIONS) or edit
# their defaults, then: SHARDS=8 ./cohort.sh
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
SHARDS=${SHARDS:-8}
features=$(sbatch --parsable --array=1-"$SHARDS" "$here/features.sbatch")
train=$(sbatch --parsable --dependency=afterok:"${features%%;*}" --kill-on-invalid-dep=yes "$here/train.sbatch")
evaluate=$(sbatch --parsable --array=1-"$SHARDS" --dependency=afterok:"${train%%;*}" --kill-on-invalid-dep=yes \
  "$here/evaluate.sbatch")
predict=$(sbatch --parsable --array=1-"$SHARDS" --dependency=afterok:"${train%%;*}" --kill-on-invalid-dep=yes \
  "$here/predict.sbatch")
echo "features ${features%%;*} → train ${train%%;*} → evaluate ${evaluate%%;*} and predict ${predict%%;*}"
