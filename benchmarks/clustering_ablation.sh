#!/usr/bin/env bash
# The clustering ablation of issue 27: AAEClustering's defaults, each of IMSAT's parts alone, and
# all of them together, each in its own folder PREFIX-VARIANT (validation error in its results.md).
# Several copies of the command may run at once: they share the runs (see ssaae/bench/runs.py).
#
#   benchmarks/clustering_ablation.sh DATASET PREFIX [more `ssaae bench clustering` options]
#   benchmarks/clustering_ablation.sh mnist benchmarks/results/mnist-ablation --clusters=16 --seeds=5
#
# The extra options (--clusters, --seeds, --epochs, --param, --data-dir) apply to every variant.
# Rerun the same command to resume.
set -euo pipefail
dataset=$1 prefix=$2
shift 2
mutual_information=--param=mutual_information_weight=15
neighbors=--param=consistency_radius=neighbors
class_head=--param=class_head_init_scale=0.01
batch_norm=--param=batch_norm=True
run() {
    local name=$1
    shift
    ssaae bench clustering --dataset="$dataset" --methods=aae --out="$prefix-$name" "$@"
}
run defaults "$@"
run all "$mutual_information" "$neighbors" "$class_head" "$batch_norm" "$@"
run batch-norm "$batch_norm" "$@"
run mutual-information "$mutual_information" "$@"
run neighbors "$neighbors" "$@"
run class-head-init "$class_head" "$@"
