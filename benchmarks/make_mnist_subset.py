"""Write the first N rows of MNIST's training split, pixels then label, as an NPY file for quick
screens with `ssaae bench clustering data/mnist-train-N.npy` (split 60/20/20 there; MNIST's
validation and test splits stay untouched).

    python benchmarks/make_mnist_subset.py 20000 --data-dir ../shared/data/mnist
"""

import argparse

import numpy as np

from ssaae import load_dataset

parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
parser.add_argument("rows", type=int)
parser.add_argument("--data-dir")
args = parser.parse_args()
data = load_dataset("mnist", args.data_dir)
rows = np.c_[data.X_train[: args.rows], data.y_train[: args.rows]].astype(np.float32)
np.save(f"data/mnist-train-{args.rows}.npy", rows)
