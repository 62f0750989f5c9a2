#!/usr/bin/env bash
# The clustering ablation of issue 27: AAEClustering's defaults (IMSAT's parts beside the AAE, trained alone first),
# the earlier defaults (none of them), and each part alone on the earlier defaults, each in its own
# folder PREFIX-VARIANT (validation error in its results.md). Several copies of the command may run
# at once: they share the runs (see ssaae/bench/runs.py).
#
#   benchmarks/clustering_ablation.sh DATASET PREFIX [more `ssaae bench clustering` options]
#   benchmarks/clustering_ablation.sh mnist benchmarks/results/mnist-ablation-imsat --clusters=16 --seeds=5
#
# The extra options (--clusters, --seeds, --epochs, --param, --data-dir) apply to every variant.
# Rerun the same command to resume.
set -euo pipefail
dataset=$1 prefix=$2
shift 2
# the defaults before IMSAT's parts, each part's setting replaced by its earlier value
earlier=(--param=consistency_lr=None --param=consistency_weight=150.0 --param=mutual_information_weight=0.0
         --param=consistency_rampup=3 --param=consistency_radius=2.0 --param=batch_norm=False
         --param=class_head_init_scale=1.0 --param=batch_size=100 --param=consistency_probe=1e-6
         --param=consistency_warmup=0 --param=overclustering=1)
run() {
    local name=$1
    shift
    ssaae bench clustering --dataset="$dataset" --methods=aae --out="$prefix-$name" "$@"
}
run earlier-defaults "${earlier[@]}" "$@"
# IMSAT's objective (VAT weight 1, mutual information 0.1) in a phase of its own
run own-phase "${earlier[@]}" --param=consistency_lr=0.002 --param=consistency_weight=1.0 \
    --param=mutual_information_weight=0.1 --param=consistency_rampup=0 "$@"
run neighbors "${earlier[@]}" --param=consistency_radius=neighbors "$@"
run batch-norm "${earlier[@]}" --param=batch_norm=True "$@"
run class-head-init "${earlier[@]}" --param=class_head_init_scale=0.01 "$@"
run batch-250 "${earlier[@]}" --param=batch_size=250 "$@"
# the consistency phase alone for the first 80% of the epochs; VAT's probe at IMSAT's length
run warmup "${earlier[@]}" --param=consistency_warmup=0.8 "$@"
run long-probe "${earlier[@]}" --param=consistency_probe=5.0 "$@"
# three categories per cluster, joined after training (the defaults' "auto" up to 16 clusters)
run overclustering "${earlier[@]}" --param=overclustering=3 "$@"
run defaults "$@"
