"""Does one batched product pay for the two discriminators? Times an MNIST epoch's discriminator
steps (minibatches of 500 codes against 500 prior draws, the classifier's defaults: 10 classes,
10 style dimensions, 256-256 units, bf16 where the hardware has it) with the two networks as
they are and with their layers stacked into one batched matrix product (torch.baddbmm), and
prints the seconds of each.

    python benchmarks/probe_batched_discriminators.py [--steps 100] [--repeats 3]

Writes nothing.
"""

import argparse
import time

import torch
from torch import nn
from torch.nn import functional as F

from ssaae import SemiSupervisedAAEClassifier
from ssaae.networks import AdversarialAutoencoder
from ssaae.training import autocast, resolve_precision


class Stacked(nn.Module):
    """Same-shape perceptrons run as one: each layer's weights stacked, one baddbmm per layer."""

    def __init__(self, mlps):
        super().__init__()
        layers = [[layer for layer in mlp if isinstance(layer, nn.Linear)] for mlp in mlps]
        self.weights = nn.ParameterList(torch.stack([m.weight.T for m in ms]).detach() for ms in zip(*layers))
        self.biases = nn.ParameterList(torch.stack([m.bias[None] for m in ms]).detach() for ms in zip(*layers))

    def forward(self, x):  # x: (networks, rows, features)
        for i, (weight, bias) in enumerate(zip(self.weights, self.biases)):
            x = torch.baddbmm(bias, x, weight)
            x = x if i == len(self.weights) - 1 else F.relu(x)
        return x


def _loss(logits, n):
    is_prior = torch.zeros_like(logits)
    is_prior[..., :n, :] = 1
    return F.binary_cross_entropy_with_logits(logits.float(), is_prior)


def epoch_seconds(step, steps, repeats):
    for _ in range(5):  # warm-up
        step()
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        for _ in range(steps):
            step()
        times.append(time.perf_counter() - start)
    return sorted(times)[len(times) // 2]


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=100, help="discriminator steps of an epoch (50,000 rows / 500)")
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    device = torch.device("cpu")
    config, training = SemiSupervisedAAEClassifier()._configs(50_000, 784, 10, True, device)
    amp = autocast(device, resolve_precision("auto", device))
    model = AdversarialAutoencoder(config)
    separate = [model.class_discriminator, model.style_discriminator]
    stacked = Stacked(separate)
    n = training.batch_size
    codes = torch.randn(2, 2 * n, config.n_classes)

    def step_with(parameters, forward):
        optimizer = torch.optim.Adam(parameters, lr=2e-4, betas=(0.5, 0.999), fused=True)

        def step():
            with amp:
                loss = forward()
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            optimizer.step()
        return step

    seconds = {
        "two networks": epoch_seconds(step_with([p for d in separate for p in d.parameters()],
                                                lambda: sum(_loss(d(c), n) for d, c in zip(separate, codes))),
                                      args.steps, args.repeats),
        "one batched product": epoch_seconds(step_with(stacked.parameters(), lambda: 2 * _loss(stacked(codes), n)),
                                             args.steps, args.repeats),
    }
    print(f"torch {torch.__version__}, {torch.get_num_threads()} threads, {training.precision}, "
          f"{args.steps} steps of {2 * n} rows, discriminators {config.discriminator_layer_sizes}")
    for name, value in seconds.items():
        print(f"{name}: {value:.3f} s per epoch")


if __name__ == "__main__":
    main()
