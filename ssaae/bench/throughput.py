"""How fast training runs: epoch time, achieved FLOP/s against the machine's matmul peak, and
the time of each phase."""

import itertools
import math
import os
import time
from dataclasses import dataclass, replace
from pathlib import Path

import torch
from torch.autograd import DeviceType
from torch.profiler import ProfilerActivity, profile

from ..networks import AAEConfig, AdversarialAutoencoder
from ..training import TrainingConfig, train

# The ranges train_epoch records each phase in (torch.profiler.record_function), in its order.
PHASES = ("reconstruction", "regularization", "semi_supervised")


def resident_memory():
    """Bytes of memory the process holds now (Linux; 0 where /proc is missing)."""
    try:
        pages = int(Path("/proc/self/statm").read_text().split()[1])
    except OSError:
        return 0
    return pages * os.sysconf("SC_PAGE_SIZE")


def matmul_peak(dtype, device, size=2048, repeats=5):
    """Best FLOP/s of a square matrix product of ``size``, the ceiling training can approach."""
    a = torch.randn(size, size, device=device).to(dtype)
    best = float("inf")
    for _ in range(repeats + 1):  # the first call warms up
        start = time.perf_counter()
        (a @ a).sum().item()
        best = min(best, time.perf_counter() - start)
    return 2 * size**3 / best


def _mlp_macs(sizes):
    return sum(a * b for a, b in itertools.pairwise(sizes))


def training_flops_per_batch(config: AAEConfig, training: TrainingConfig):
    """Matrix-product FLOPs of one minibatch in each phase, counted from the layer sizes:
    a forward pass is 2 FLOPs per multiply-add, a backward pass 4 (input and weight gradients),
    or 2 where only the input gradient is taken."""
    hidden = list(config.hidden_layer_sizes)
    encoder = _mlp_macs([config.n_features, *hidden]) + hidden[-1] * (config.n_classes + config.style_dim)
    decoder = _mlp_macs([config.n_classes + config.style_dim, *hidden[::-1], config.n_features])
    class_discriminator = _mlp_macs([config.n_classes, *config.discriminator_layer_sizes, 1])
    style_discriminator = _mlp_macs([config.style_dim, *config.discriminator_layer_sizes, 1])
    discriminators = class_discriminator + style_discriminator
    n, n_labeled = training.batch_size, training.labeled_batch_size
    return {
        # the consistency term: encoder passes on the clean rows (forward), the probe (forward, input
        # gradient) and the adversarial change (forward, backward)
        "reconstruction": 6 * n * (encoder + decoder) + (12 * n * encoder if training.consistency_weight else 0),
        "discriminator": 6 * 2 * n * discriminators,  # prior samples and encoder outputs
        "generator": 6 * n * encoder + 2 * 2 * n * discriminators,  # weights of D frozen: no weight gradient
        "semi_supervised": 6 * n_labeled * (encoder - hidden[-1] * config.style_dim),
    }


@dataclass
class ThroughputReport:
    dtype: str
    peak_flops: float
    epoch_seconds: list
    epoch_memory: list  # resident bytes of the process after each epoch: flat when nothing leaks
    rows: int
    flops_per_epoch: float
    phase_seconds: dict  # of one more epoch, profiled: each phase's time on the device

    def lines(self):
        median = sorted(self.epoch_seconds)[len(self.epoch_seconds) // 2]
        achieved = self.flops_per_epoch / median
        yield f"matmul peak ({self.dtype}): {self.peak_flops / 1e9:.0f} GFLOP/s"
        yield f"epoch: {median:.2f} s median of {len(self.epoch_seconds)} ({self.rows / median:,.0f} rows/s)"
        yield "memory after each epoch: " + ", ".join(f"{rss / 2**20:.0f} MB" for rss in self.epoch_memory)
        yield (f"training: {self.flops_per_epoch / 1e12:.2f} TFLOP per epoch, {achieved / 1e9:.0f} GFLOP/s, "
               f"{achieved / self.peak_flops:.0%} of peak")
        total = sum(self.phase_seconds.values())
        yield "phases: " + ", ".join(f"{name} {seconds:.2f} s ({seconds / total:.0%})"
                                     for name, seconds in self.phase_seconds.items())


def measure_throughput(X, n_classes, epochs=3, precision="fp32", device="cpu", model_config=None, training=None,
                       seed=0):
    """Time ``epochs`` epochs of :func:`ssaae.training.train` on ``X`` (a float tensor), with the
    process's memory after each, then profile one more epoch for the time of each phase. 100 rows
    are taken as labeled. ``training`` defaults to ``TrainingConfig(precision=precision)``; its
    ``epochs`` is replaced by ``epochs``.

    Returns
    -------
    ThroughputReport
    """
    device = torch.device(device)
    torch.manual_seed(seed)
    config = model_config or AAEConfig(X.shape[1], n_classes)
    training = replace(training or TrainingConfig(precision=precision), epochs=epochs)
    model = AdversarialAutoencoder(config).to(device)
    generator = torch.Generator(device).manual_seed(seed)
    X = X.to(device)
    labels = torch.arange(100, device=device) % n_classes

    epoch_seconds, epoch_memory = [], []
    start = time.perf_counter()

    def clock(epoch, losses):  # the losses have reached the host: the epoch's work is done
        nonlocal start
        epoch_seconds.append(time.perf_counter() - start)
        epoch_memory.append(resident_memory())
        start = time.perf_counter()

    train(model, X, training, generator, X[:100], labels, callback=clock)

    activities = [ProfilerActivity.CPU] + ([ProfilerActivity.CUDA] if device.type == "cuda" else [])
    with profile(activities=activities) as profiler:
        train(model, X, replace(training, epochs=1), generator, X[:100], labels)
    phase_seconds = dict.fromkeys(PHASES, 0.0)
    for event in profiler.events():
        # The host's ranges (a GPU holds copies of the same name); on a GPU the host only queues
        # kernels, so there a phase takes the time of the kernels it queued.
        if event.name in PHASES and event.device_type == DeviceType.CPU:
            microseconds = event.device_time_total if device.type == "cuda" else event.cpu_time_total
            phase_seconds[event.name] += microseconds / 1e6

    flops = training_flops_per_batch(config, training)
    batches = math.ceil(len(X) / training.batch_size)
    dtype = {"bf16": torch.bfloat16, "fp32": torch.float32}[training.precision]
    return ThroughputReport(training.precision, matmul_peak(dtype, device), epoch_seconds, epoch_memory, len(X),
                            sum(flops.values()) * batches, phase_seconds)
