"""How far does IMSAT's objective (Hu et al. 2017) go with ssaae's parts alone, no autoencoder?
Trains the encoder and class head of IMSAT's shape (784-1200-1200, batch normalization, class head
near zero) on MNIST's training split with VAT of each row's own radius plus 0.1 times the mutual
information term (Adam, 2e-3, minibatches of 250, as in IMSAT), and prints the validation and test
scores of each epoch (matched accuracy on the validation split is what to compare), with the
epoch's mean objective and the mutual information term on the validation split.

    python benchmarks/probe_imsat.py --clusters 10 --epochs 15 [--probe 5] [--data-dir DIR]

Writes nothing.
"""

import argparse
import time

import torch

from ssaae.bench.clustering import matched_accuracy, score_clustering
from ssaae.datasets import load_dataset
from ssaae.networks import AAEConfig, AdversarialAutoencoder
from ssaae.training import _step, epoch_batches, mutual_information_loss, neighbor_radii, virtual_adversarial_loss


def nearest_rows(X, k=10, batch_size=1024):
    """Indices of each row's ``k`` nearest other rows of ``X``."""
    found = []
    for rows in torch.arange(len(X)).split(batch_size):
        distances = torch.cdist(X[rows], X)
        distances[torch.arange(len(rows)), rows] = float("inf")
        found.append(distances.topk(k, largest=False).indices)
    return torch.cat(found)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--clusters", type=int, default=10)
    parser.add_argument("--epochs", type=int, default=15)
    parser.add_argument("--batch-size", type=int, default=250)
    parser.add_argument("--probe", type=float, default=1e-6, help="length of VAT's power-iteration probe")
    parser.add_argument("--hidden-init-scale", type=float, default=1.0, help="factor on the encoder's weights")
    parser.add_argument("--neighbor-weight", type=float, default=0.0,
                        help="weight of minus the log agreement of q(y|x) with a random one of its 10 nearest rows'")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--data-dir")
    args = parser.parse_args()

    torch.manual_seed(args.seed)
    generator = torch.Generator().manual_seed(args.seed)
    data = load_dataset("mnist", args.data_dir)
    X, X_val, X_test = (torch.tensor(rows, dtype=torch.float32) for rows in (data.X_train, data.X_val, data.X_test))
    model = AdversarialAutoencoder(AAEConfig(X.shape[1], args.clusters, 3, (1200, 1200), (1000, 1000),
                                             batch_norm=True))
    with torch.no_grad():
        for parameter in model.class_head.parameters():
            parameter.mul_(0.01)
        for layer in model.encoder:
            if isinstance(layer, torch.nn.Linear):
                layer.weight.mul_(args.hidden_init_scale)
    radii = neighbor_radii(X)
    neighbors = nearest_rows(X) if args.neighbor_weight else None
    imsat = torch.optim.Adam(model.classifier_parameters(), lr=2e-3)
    start = time.perf_counter()
    for epoch in range(args.epochs):
        model.train()
        total = 0.0
        for batch in epoch_batches(len(X), args.batch_size, generator, X.device):
            x = X[batch]
            loss = virtual_adversarial_loss(model, x, radii[batch, None], generator, args.probe)
            logits = model.encode(x)[0]
            loss = loss + 0.1 * mutual_information_loss(logits)
            if args.neighbor_weight:
                pick = torch.randint(neighbors.shape[1], (len(batch),), generator=generator)
                other = model.encode(X[neighbors[batch, pick]])[0]
                agreement = (logits.softmax(1) * other.softmax(1)).sum(1)
                loss = loss - args.neighbor_weight * agreement.clamp_min(1e-8).log().mean()
            _step(imsat, loss)
            total += float(loss.detach()) * len(batch) / len(X)
        model.eval()
        with torch.no_grad():
            logits = model.encode(X_val)[0]
            val, test = logits.softmax(1).numpy(), model.encode(X_test)[0].softmax(1).numpy()
        scores = score_clustering(val, data.y_val, test.argmax(1), data.y_test)
        print(f"epoch {epoch} {time.perf_counter() - start:.0f}s validation error {scores['validation_error']:.2f} "
              f"validation matched accuracy {100 * matched_accuracy(data.y_val, val.argmax(1)):.2f} "
              f"test error {scores['test_error']:.2f} NMI {scores['normalized_mutual_info']:.3f} "
              f"clusters used {len(set(val.argmax(1)))} objective {total:.4f} "
              f"validation mutual information loss {float(mutual_information_loss(logits)):.4f}", flush=True)


if __name__ == "__main__":
    main()
