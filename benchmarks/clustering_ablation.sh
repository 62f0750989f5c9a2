#!/usr/bin/env bash
# The clustering ablation of issue 27: AAEClustering's defaults, and the defaults with each of their
# parts taken out (set to its value in the earlier defaults), each in its own folder PREFIX-VARIANT
# (validation error in its results.md). The earlier defaults themselves, none of the parts, are
# benchmarks/results/mnist-ablation-imsat-earlier-defaults (10 epochs). Several copies of the
# command may run at once: they share the runs (see ssaae/bench/runs.py).
#
#   benchmarks/clustering_ablation.sh DATASET PREFIX [more `ssaae bench clustering` options]
#   benchmarks/clustering_ablation.sh mnist benchmarks/results/mnist-ablation-bf16 --clusters=16 --seeds=5
#
# The extra options (--clusters, --seeds, --epochs, --param, --data-dir) apply to every variant.
# Rerun the same command to resume.
set -euo pipefail
dataset=$1 prefix=$2
shift 2
run() {
    local name=$1
    shift
    ssaae bench clustering --dataset="$dataset" --methods=aae --out="$prefix-$name" "$@"
}
run defaults "$@"
# one category per cluster, the paper's (the defaults' "auto" is 3 up to 16 clusters)
run no-overclustering --param=overclustering=1 "$@"
# every phase from the first epoch: no epochs of IMSAT's objective alone
run no-warmup --param=consistency_warmup=0 "$@"
# the earlier objective in the reconstruction phase: VAT of weight 150 rising over 3 epochs, no
# mutual information term, no phase of its own (so no warm-up)
run no-own-phase --param=consistency_lr=None --param=consistency_warmup=0 --param=consistency_weight=150.0 \
    --param=mutual_information_weight=0.0 --param=consistency_rampup=3 "$@"
run no-mutual-information --param=mutual_information_weight=0.0 "$@"
run no-neighbors --param=consistency_radius=2.0 "$@"
run no-batch-norm --param=batch_norm=False "$@"
run no-class-head-init --param=class_head_init_scale=1.0 "$@"
run short-probe --param=consistency_probe=1e-6 "$@"
run batch-100 --param=batch_size=100 "$@"
# the table of every variant, a row each, in PREFIX.md
python "$(dirname "$0")/ablation_table.py" "$prefix"-* > "$prefix.md"
