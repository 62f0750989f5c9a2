"""AAEClustering on MNIST, scored after every epoch: where does the clustering gain or lose?
Fits AAEClustering with the defaults but for the given parameters on MNIST's training split and
prints, after each epoch, the validation error by the paper's protocol and the validation
accuracy under the best one-to-one matching. ``--detach-class-code`` feeds the decoder the class
code detached, so that reconstruction no longer pulls on q(y|x) (its trunk and style still learn).

    python benchmarks/probe_clustering_epochs.py --clusters 10 --epochs 25 \\
        --params '{"consistency_warmup": 20}' [--detach-class-code] [--seed 0] [--data-dir DIR]

Writes nothing.
"""

import argparse
import json
import time

import torch

import ssaae.training
from ssaae import AAEClustering
from ssaae.bench.clustering import matched_accuracy, score_clustering
from ssaae.datasets import load_dataset
from ssaae.networks import AdversarialAutoencoder


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--clusters", type=int, default=16)
    parser.add_argument("--epochs", type=int, default=10)
    parser.add_argument("--params", default="{}", help="AAEClustering parameters, as JSON")
    parser.add_argument("--detach-class-code", action="store_true")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--data-dir")
    args = parser.parse_args()

    data = load_dataset("mnist", args.data_dir)
    X_val = torch.tensor(data.X_val, dtype=torch.float32)  # pixels in [0, 1]: the estimator leaves them as they are
    if args.detach_class_code:
        decode = AdversarialAutoencoder.decode
        AdversarialAutoencoder.decode = lambda model, y, z: decode(model, y.detach(), z)
    train_epoch, start = ssaae.training.train_epoch, time.perf_counter()

    def scored_epoch(model, *arguments, **keywords):
        losses = train_epoch(model, *arguments, **keywords)
        model.eval()
        with torch.no_grad():
            val = model.encode(X_val)[0].softmax(1).numpy()
        error = score_clustering(val, data.y_val, val.argmax(1), data.y_val)["validation_error"]
        print(f"{keywords['unlabeled']:>11} {time.perf_counter() - start:5.0f}s validation error {error:.2f} "
              f"matched accuracy {100 * matched_accuracy(data.y_val, val.argmax(1)):.2f}", flush=True)
        model.train()
        return losses

    ssaae.training.train_epoch = scored_epoch
    model = AAEClustering(n_clusters=args.clusters, max_iter=args.epochs, random_state=args.seed,
                          **json.loads(args.params)).fit(data.X_train)
    scores = score_clustering(model.predict_proba(data.X_val), data.y_val, model.predict(data.X_test), data.y_test)
    print(f"seed {args.seed}: validation error {scores['validation_error']:.2f} test error {scores['test_error']:.2f} "
          f"NMI {scores['normalized_mutual_info']:.3f}", flush=True)


if __name__ == "__main__":
    main()
