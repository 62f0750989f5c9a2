#!/usr/bin/env bash
# Issue 27's ablation on a lent GPU machine, in one call of about 10 minutes: the MNIST ablation at
# 16 clusters (benchmarks/clustering_ablation.sh), 5 seeds. Eleven processes share the
# GPU and the runs of each results folder. At DEADLINE seconds (default 520) the workers stop; the
# folders are archived into $OUT/results.tar.gz every minute and at the end (8 files at most come
# back). Rerun to resume. Needs data/mnist (git-ignored): pass `carry: ["data/mnist"]`.
#
#   benchmarks/device_clustering.sh [DEADLINE]
set -uo pipefail
source "$(dirname "$0")/device_setup.sh"
export OMP_NUM_THREADS=1
deadline=${1:-520}
prefix=benchmarks/results/mnist-ablation-device
copy() {  # one archive: at most 8 files come back from $OUT
    tar czf "$OUT/.results.tar.gz" "$prefix"-* 2>/dev/null && mv "$OUT/.results.tar.gz" "$OUT/results.tar.gz"
}
for worker in $(seq 11); do
    timeout "$deadline" benchmarks/clustering_ablation.sh mnist "$prefix" --clusters=16 --seeds=5 --quiet \
        >"$OUT/ablation-$worker.log" 2>&1 &
done
(while sleep 60; do copy; done) &
copier=$!
for job in $(jobs -p); do [ "$job" = "$copier" ] || wait "$job"; done
kill "$copier"
copy
