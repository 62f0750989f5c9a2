"""Does the decoder's pull on q(y|x) hold AAEClustering back now that IMSAT's objective trains it?
Fits AAEClustering on MNIST's training split with the decoder fed the class code detached, so that
reconstruction trains the style, the encoder's trunk and the decoder but not the class head's
output directly, and prints the validation and test error by the paper's protocol, to compare
with the defaults' runs of the same seed (mnist-clustering-imsat-phase).

    python benchmarks/probe_detached_class_code.py --clusters 16 --epochs 10 [--seed 0] [--data-dir DIR]

Writes nothing.
"""

import argparse

from ssaae import AAEClustering
from ssaae.bench.clustering import score_clustering
from ssaae.datasets import load_dataset
from ssaae.networks import AdversarialAutoencoder


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--clusters", type=int, default=16)
    parser.add_argument("--epochs", type=int, default=10)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--data-dir")
    args = parser.parse_args()

    decode = AdversarialAutoencoder.decode
    AdversarialAutoencoder.decode = lambda model, y, z: decode(model, y.detach(), z)
    data = load_dataset("mnist", args.data_dir)
    model = AAEClustering(n_clusters=args.clusters, max_iter=args.epochs, random_state=args.seed).fit(data.X_train)
    scores = score_clustering(model.predict_proba(data.X_val), data.y_val, model.predict(data.X_test), data.y_test)
    print(f"seed {args.seed}: validation error {scores['validation_error']:.2f} test error {scores['test_error']:.2f} "
          f"NMI {scores['normalized_mutual_info']:.3f}", flush=True)


if __name__ == "__main__":
    main()
