"""Do batch normalization's running averages, which prediction uses, cost AAEClustering accuracy?
Its reconstruction and regularization phases feed noisy rows (``input_noise``) through the
encoder in training mode, so the running averages mix the statistics of noisy and clean rows,
while the IMSAT phase learns q(y|x) under the statistics of clean minibatches. Fits
AAEClustering on MNIST's training split and scores the validation and test splits twice: with the
running averages as training left them, and after recomputing them from the clean training rows.

    python benchmarks/probe_bn_statistics.py --clusters 16 --epochs 10 [--seed 0] [--data-dir DIR]

Writes nothing.
"""

import argparse

import torch

from ssaae import AAEClustering
from ssaae.bench.clustering import matched_accuracy, score_clustering
from ssaae.datasets import load_dataset


def scores(model, data):
    val = model.predict_proba(data.X_val)
    result = score_clustering(val, data.y_val, model.predict(data.X_test), data.y_test)
    return (f"validation error {result['validation_error']:.2f} test error {result['test_error']:.2f} "
            f"validation matched accuracy {100 * matched_accuracy(data.y_val, val.argmax(1)):.2f}")


def recompute_running_statistics(model, X, batch_size=250):
    """Batch normalization's running averages replaced by the mean over clean minibatches of ``X``."""
    layers = [module for module in model.model_.modules() if isinstance(module, torch.nn.BatchNorm1d)]
    for layer in layers:
        layer.reset_running_stats()
        layer.momentum = None  # a cumulative average
    model.model_.train()
    with torch.no_grad():
        for batch in model._batches(X, batch_size):
            model.model_.encode(batch)
    model.model_.eval()


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--clusters", type=int, default=16)
    parser.add_argument("--epochs", type=int, default=10)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--data-dir")
    args = parser.parse_args()

    data = load_dataset("mnist", args.data_dir)
    model = AAEClustering(n_clusters=args.clusters, max_iter=args.epochs, random_state=args.seed).fit(data.X_train)
    print("running averages from training:", scores(model, data), flush=True)
    recompute_running_statistics(model, data.X_train)
    print("recomputed on clean rows:      ", scores(model, data), flush=True)


if __name__ == "__main__":
    main()
