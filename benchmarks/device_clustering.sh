#!/usr/bin/env bash
# Issue 27's clustering tables on a lent GPU machine, in one call of about 10 minutes: the MNIST
# ablation at 10 clusters (benchmarks/clustering_ablation.sh) and Fashion-MNIST at 10, 16 and 30
# clusters against k-means on the pixels, 5 seeds, 10 epochs. Eleven processes share the GPU and
# the runs of each results folder. At DEADLINE seconds (default 520) the workers stop; the folders
# are archived into $OUT/results.tar.gz every minute and at the end (8 files at most come back). Rerun to resume. Needs data/mnist and
# data/fashion-mnist (git-ignored): pass `carry: ["data/mnist", "data/fashion-mnist"]`.
#
#   benchmarks/device_clustering.sh [DEADLINE]
set -uo pipefail
source "$(dirname "$0")/device_setup.sh"
export OMP_NUM_THREADS=1
deadline=${1:-520}
results=(benchmarks/results/mnist-ablation benchmarks/results/fashion-mnist-clustering)
copy() {  # one archive: at most 8 files come back from $OUT
    tar czf "$OUT/.results.tar.gz" ${results[@]/%/*} 2>/dev/null && mv "$OUT/.results.tar.gz" "$OUT/results.tar.gz"
}
common=(--seeds=5 --epochs=10 --param=style_dim=3 --quiet)
for worker in 1 2 3 4 5 6; do
    timeout "$deadline" benchmarks/clustering_ablation.sh mnist "${results[0]}" --clusters=10 "${common[@]}" \
        >"$OUT/ablation-$worker.log" 2>&1 &
done
for worker in 1 2 3 4 5; do
    timeout "$deadline" ssaae bench clustering --dataset=fashion-mnist --clusters=10 --clusters=16 --clusters=30 \
        --methods=aae,kmeans-pixels --out="${results[1]}" "${common[@]}" >/dev/null 2>&1 &
done
(while sleep 60; do copy; done) &
copier=$!
for job in $(jobs -p); do [ "$job" = "$copier" ] || wait "$job"; done
kill "$copier"
copy
