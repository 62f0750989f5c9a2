#!/usr/bin/env bash
# Issue 28's tabular benchmark: the AAE's defaults against the labels-only baselines (the same
# network; a logistic regression) and scikit-learn's semi-supervised ones, few labels per class,
# 5 seeds, on the tables benchmarks/make_tabular.py writes. A folder per table, PREFIX-NAME;
# rerun to resume. Extra options go to every run; METHODS, TABLES and PREFIX may be set, e.g. a
# screen of one setting on the small tables:
#
#   bash benchmarks/tabular.sh [more `ssaae bench label-efficiency` options]
#   PREFIX=benchmarks/results/screen-tabular-neighbors METHODS=aae TABLES="iris:15 wine:15" \
#       bash benchmarks/tabular.sh --param=consistency_radius=neighbors
set -euo pipefail
cd "$(dirname "$0")/.."
python benchmarks/make_tabular.py
methods=${METHODS:-aae,labels-only,logistic-regression,label-spreading,self-training}
for table in ${TABLES:-iris:15 wine:15 breast_cancer:20 blobs:40}; do  # name:labels (5-10 per class)
    name=${table%:*}
    ssaae bench label-efficiency --dataset="data/tabular/$name.csv" --labels="${table#*:}" --seeds=5 \
        --methods="$methods" --out="${PREFIX:-benchmarks/results/tabular}-$name" --quiet "$@"
done
