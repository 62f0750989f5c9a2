#!/usr/bin/env bash
# The CUDA check for a lent GPU machine (see README.md, "On a GPU"): installs the project, times
# MNIST epochs in bf16 and fp32 and trains one label-efficiency seed, all under $OUT, in about
# 10 minutes. Needs MNIST's four files in ./data (git-ignored; pass `carry: ["data"]`).
set -euo pipefail
cd "$(dirname "$0")/.."
pip install --no-deps -q -e .
export SSAAE_DATA_DIR=data
nvidia-smi --query-gpu=name,memory.total --format=csv | tee "$OUT/gpu.txt"
for precision in bf16 fp32; do
    ssaae bench throughput --device cuda --precision "$precision" --epochs 3 | tee "$OUT/throughput-$precision.txt"
done
ssaae bench label-efficiency --dataset mnist --labels 100 --seeds 1 --methods aae --param device=cuda \
    --out "$OUT/mnist-cuda" --quiet
cat "$OUT/mnist-cuda/results.md"
