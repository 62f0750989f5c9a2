#!/usr/bin/env bash
# Issue 27's clustering tables on a lent GPU machine, in one call of about 10 minutes: the MNIST
# ablation at 10 clusters (benchmarks/clustering_ablation.sh) and Fashion-MNIST at 10, 16 and 30
# clusters against k-means on the pixels, 5 seeds, 10 epochs. Twelve processes share the GPU and
# the runs of each results folder. At DEADLINE seconds (default 520) the workers stop; the folders
# are copied under $OUT every minute and at the end. Rerun to resume. Needs data/mnist and
# data/fashion-mnist (git-ignored): pass `carry: ["data/mnist", "data/fashion-mnist"]`.
#
#   benchmarks/device_clustering.sh [DEADLINE]
set -uo pipefail
cd "$(dirname "$0")/.."
python -m pip install --no-deps --no-build-isolation -q -e . || export PYTHONPATH="$PWD"  # no index there
mkdir -p build/bin  # `ssaae` run by the python that has torch, whichever pip put its script on the PATH
printf '#!/bin/sh\nexec python -c "from ssaae.cli import main; main()" "$@"\n' >build/bin/ssaae
chmod +x build/bin/ssaae
export PATH="$PWD/build/bin:$PATH"
export SSAAE_DATA_DIR=data OMP_NUM_THREADS=1
deadline=${1:-520}
nvidia-smi --query-gpu=name,memory.total --format=csv >"$OUT/gpu.txt" 2>&1
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
