"""The throughput benchmark counts training FLOPs from the layer sizes and reports each phase."""

import re

import torch
from click.testing import CliRunner

from ssaae.cli import main
from ssaae.networks import AAEConfig
from ssaae.throughput import measure_throughput, training_flops_per_batch
from ssaae.training import TrainingConfig


def test_flops_are_counted_from_the_layer_sizes():
    config = AAEConfig(n_features=4, n_classes=2, style_dim=1, hidden_layer_sizes=(3,), discriminator_layer_sizes=(5,))
    flops = training_flops_per_batch(config, TrainingConfig(batch_size=10, labeled_batch_size=7))
    encoder = 4 * 3 + 3 * (2 + 1)  # trunk, then both heads
    decoder = 3 * 3 + 3 * 4
    discriminators = (2 * 5 + 5) + (1 * 5 + 5)
    assert flops == {
        "reconstruction": 6 * 10 * (encoder + decoder) + 12 * 10 * encoder,  # with the consistency term
        "discriminator": 6 * 20 * discriminators,
        "generator": 6 * 10 * encoder + 4 * 10 * discriminators,
        "semi_supervised": 6 * 7 * (4 * 3 + 3 * 2),
    }
    without_consistency = training_flops_per_batch(config, TrainingConfig(batch_size=10, consistency_weight=0))
    assert without_consistency["reconstruction"] == 6 * 10 * (encoder + decoder)


def test_report_gives_epoch_time_peak_ratio_and_phase_split():
    X = torch.rand(400, 16)
    config = AAEConfig(16, 3, 2, (32,), (32,))
    report = measure_throughput(X, 3, epochs=2, model_config=config, training=TrainingConfig(batch_size=50))
    assert len(report.epoch_seconds) == 2 and min(report.epoch_seconds) > 0
    assert len(report.epoch_memory) == 2 and min(report.epoch_memory) > 2**20
    assert report.peak_flops > 1e8
    assert set(report.phase_seconds) == {"reconstruction", "regularization", "semi_supervised"}
    text = "\n".join(report.lines())
    assert re.search(r"GFLOP/s, \d+% of peak", text)
    assert re.search(r"reconstruction [\d.]+ s \(\d+%\)", text)
    assert re.search(r"memory after each epoch: \d+ MB, \d+ MB", text)


def test_training_memory_stays_flat_across_epochs():
    """No graph, history or cache may grow with the number of epochs."""
    X = torch.rand(2000, 64)
    report = measure_throughput(X, 10, epochs=6, model_config=AAEConfig(64, 10, 4, (256, 256), (256,)))
    assert report.epoch_memory[-1] - report.epoch_memory[1] < 16 * 2**20, report.epoch_memory


def test_bench_throughput_command_prints_the_report():
    result = CliRunner().invoke(main, ["bench", "throughput", "--dataset", "digits", "--epochs", "1", "--precision", "fp32"])
    assert result.exit_code == 0, result.output
    assert "digits: 1077 rows, 1 epochs, fp32 on cpu" in result.output
    assert "of peak" in result.output and "phases:" in result.output
