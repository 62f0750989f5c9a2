"""Which part of AAEClustering's anomaly score tells one MNIST digit from the others? Trains on
one digit's training rows as ``ssaae bench one-class`` does, and prints the validation AUROC (%)
of the whole score_samples and of each part alone, with the squared pixel error (what the plain
autoencoder baseline scores) and the cross-entropy less the image's own entropy beside them.

    python benchmarks/probe_one_class_scores.py --digits 2 5 8 --epochs 10 [--param NAME=VALUE ...] [--data-dir DIR]

Writes nothing.
"""

import argparse

import torch
from sklearn.metrics import roc_auc_score
from torch.nn import functional as F

from ssaae import AAEClustering
from ssaae.bench.data import benchmark_dataset
from ssaae.cli import parse_params


def parts(model, X):
    """Each row's cost of each kind (lower for a more typical row), by name."""
    x = torch.cat(list(model._batches(X)))
    model.model_.eval()
    with torch.no_grad():
        class_logits, style = model.model_.encode(x)
        logits = model.model_.decode(class_logits.softmax(dim=1), style).float()
    cross_entropy = F.binary_cross_entropy_with_logits(logits, x, reduction="none").sum(1)
    divergence = cross_entropy - F.binary_cross_entropy(x, x, reduction="none").sum(1)
    style_energy = style.square().sum(1) / 2
    class_surprise = -class_logits.log_softmax(dim=1).max(1).values
    return {
        "score_samples": -torch.from_numpy(model.score_samples(X)),
        "cross-entropy": cross_entropy,
        "cross-entropy - own entropy": divergence,
        "squared pixel error": (logits.sigmoid() - x).square().sum(1),
        "|z|^2 / 2": style_energy,
        "-log max q(y|x)": class_surprise,
        "cross-entropy - own entropy + |z|^2 / 2": divergence + style_energy,
        "cross-entropy - own entropy - log max q(y|x)": divergence + class_surprise,
    }


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--digits", type=int, nargs="+", default=[2, 5, 8])
    parser.add_argument("--epochs", type=int, default=10)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--param", action="append", default=[], metavar="NAME=VALUE",
                        help="A parameter of AAEClustering other than its default. Repeatable.")
    parser.add_argument("--data-dir")
    args = parser.parse_args()
    params = parse_params(None, None, args.param)
    data = benchmark_dataset("mnist", args.data_dir)
    for digit in args.digits:
        model = AAEClustering(**params, max_iter=args.epochs, random_state=args.seed).fit(data.X_train[data.y_train == digit])
        normal = data.y_val == digit
        aurocs = {name: 100 * roc_auc_score(normal, -cost.numpy()) for name, cost in parts(model, data.X_val).items()}
        print(f"digit {digit}: " + ", ".join(f"{name} {auroc:.2f}" for name, auroc in aurocs.items()), flush=True)


if __name__ == "__main__":
    main()
