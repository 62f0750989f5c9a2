#!/usr/bin/env bash
# The CUDA check for a lent GPU machine (see benchmarks/README.md, "On a GPU"): times MNIST epochs
# in bf16 and fp32, trains one label-efficiency seed, and kills a checkpointed fit on the GPU and
# resumes it beside an uninterrupted one, all under $OUT (7 files), in about 10 minutes. Needs
# MNIST's four files in data/mnist (git-ignored): pass `carry: ["data/mnist"]`.
set -uo pipefail
source "$(dirname "$0")/device_setup.sh"
for precision in bf16 fp32; do
    ssaae bench throughput --device cuda --precision "$precision" --epochs 3 >"$OUT/throughput-$precision.txt" 2>&1
done
ssaae bench label-efficiency --dataset mnist --labels 100 --seeds 1 --methods aae --param device=cuda \
    --out "$OUT/mnist-cuda" --quiet
fit=(fit mnist --labels 100 --epochs 6 --quiet --param "device='cuda'")
{
    ssaae "${fit[@]}" --out build/uninterrupted.pt
    ssaae "${fit[@]}" --checkpoint build/cuda.ckpt --out build/resumed.pt &
    killed=$!
    while kill -0 "$killed" 2>/dev/null && ! python -c 'import sys, torch
sys.exit(torch.load("build/cuda.ckpt", weights_only=True)["epoch"] < 2)' 2>/dev/null; do sleep 1; done
    kill -9 "$killed"
    echo "killed at epoch $(python -c 'import torch; print(torch.load("build/cuda.ckpt", weights_only=True)["epoch"])')"
    ssaae "${fit[@]}" --checkpoint build/cuda.ckpt --out build/resumed.pt
    python -c 'from ssaae import load_dataset, load_model
data = load_dataset("mnist")
a, b = (load_model(f"build/{name}.pt") for name in ("uninterrupted", "resumed"))
print("predictions equal:", (a.predict(data.X_test) == b.predict(data.X_test)).mean())'
} >"$OUT/cuda-resume.txt" 2>&1
