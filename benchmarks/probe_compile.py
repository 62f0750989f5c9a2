"""Does torch.compile pay for the classifier's training? Times MNIST epochs of the defaults with the
networks as they are and with each of them compiled (torch.compile, inductor), and prints the
seconds of each epoch. The first epoch of the compiled networks includes the compilation.

    python benchmarks/probe_compile.py [--epochs 3]

Finds MNIST through $SSAAE_DATA_DIR or ./data; writes nothing.
"""

import argparse

import numpy as np
import torch

from ssaae import SemiSupervisedAAEClassifier, load_dataset
from ssaae.networks import AdversarialAutoencoder
from ssaae.training import train

NETWORKS = ("encoder", "class_head", "style_head", "decoder", "class_discriminator", "style_discriminator")


def epoch_seconds(X, config, training, compiled):
    torch.manual_seed(0)
    model = AdversarialAutoencoder(config)
    if compiled:
        for name in NETWORKS:
            setattr(model, name, torch.compile(getattr(model, name)))
    labels = torch.arange(100) % config.n_classes
    history = train(model, X, training, torch.Generator().manual_seed(0), X[:100], labels)
    return np.diff([0.0] + [record["seconds"] for record in history])


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=3)
    epochs = parser.parse_args().epochs
    data = load_dataset("mnist")
    estimator = SemiSupervisedAAEClassifier(max_iter=epochs)
    config, training = estimator._configs(*data.X_train.shape, 10, True, torch.device("cpu"))
    X = torch.from_numpy(data.X_train)
    print(f"torch {torch.__version__}, {torch.get_num_threads()} threads, {training.precision}, "
          f"batch_size {training.batch_size}")
    for compiled in (False, True):
        seconds = epoch_seconds(X, config, training, compiled)
        print(f"{'compiled' if compiled else 'eager'}: " + ", ".join(f"{s:.2f}" for s in seconds) + " s per epoch")


if __name__ == "__main__":
    main()
