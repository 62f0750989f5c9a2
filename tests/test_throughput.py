"""The throughput benchmark times the library's training run, counts its FLOPs from the layer sizes
and profiles each phase."""

import re

import pytest
import torch
from helpers import assert_one_line_error, run

from ssaae import SemiSupervisedAAEClassifier, training
from ssaae.bench import cli as bench_cli
from ssaae.bench import throughput
from ssaae.bench.throughput import PHASES, measure_throughput, training_flops_per_batch
from ssaae.networks import AAEConfig
from ssaae.training import TrainingConfig

pytestmark = pytest.mark.usefixtures("one_torch_thread")


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


@pytest.fixture(scope="module")
def report():
    X = torch.rand(400, 16)
    config = AAEConfig(16, 3, 2, (32,), (32,))
    return measure_throughput(X, 3, epochs=3, model_config=config, training=TrainingConfig(batch_size=50))


def test_the_epochs_timed_are_those_of_the_librarys_training_run(monkeypatch):
    runs = []

    def recording_train(model, X, config, generator, X_labeled=None, labels=None, unlabeled="aae", callback=None):
        runs.append((config.epochs, callback is not None, len(X_labeled)))
        return training.train(model, X, config, generator, X_labeled, labels, unlabeled, callback)

    monkeypatch.setattr(throughput, "train", recording_train)
    measure_throughput(torch.rand(200, 16), 3, epochs=2, model_config=AAEConfig(16, 3, 2, (32,), (32,)))
    assert runs == [(2, True, 100), (1, False, 100)]  # the timed epochs, then the profiled one


def test_report_has_a_time_and_the_memory_after_each_epoch(report):
    assert len(report.epoch_seconds) == 3 and min(report.epoch_seconds) > 0
    assert len(report.epoch_memory) == 3 and min(report.epoch_memory) > 2**20


def test_the_phases_of_the_profiled_epoch_take_about_an_epoch(report):
    assert list(report.phase_seconds) == list(PHASES)
    assert min(report.phase_seconds.values()) > 0
    median = sorted(report.epoch_seconds)[1]
    # less the noise, the minibatch order and the loss totals; more by the profiler's overhead per operation
    assert 0.5 * median < sum(report.phase_seconds.values()) < 3 * median


def test_report_gives_epoch_time_peak_ratio_and_phase_split(report):
    assert report.peak_flops > 1e8
    text = "\n".join(report.lines())
    assert re.search(r"GFLOP/s, \d+% of peak", text)
    assert re.search(r"reconstruction [\d.]+ s \(\d+%\)", text)
    assert re.search(r"memory after each epoch: \d+ MB, \d+ MB, \d+ MB", text)


def test_training_memory_stays_flat_across_epochs():
    """No graph, history or cache may grow with the number of epochs."""
    X = torch.rand(2000, 64)
    report = measure_throughput(X, 10, epochs=6, model_config=AAEConfig(64, 10, 4, (256, 256), (256,)))
    assert report.epoch_memory[-1] - report.epoch_memory[1] < 16 * 2**20, report.epoch_memory


def test_bench_throughput_command_prints_the_report():
    result = run("bench", "throughput", "--dataset", "digits", "--epochs", 1, "--precision", "fp32")
    assert result.exit_code == 0, result.output
    assert "digits: 1077 rows, 1 epochs, fp32 on cpu" in result.output
    assert "of peak" in result.output and "phases:" in result.output


def test_bench_throughput_times_the_classifiers_defaults_and_params(monkeypatch):
    timed = []

    def record(X, n_classes, epochs, device, model_config, training):
        timed.append((model_config, training))
        return throughput.ThroughputReport("fp32", 1.0, [1.0], [0], len(X), 1.0, dict.fromkeys(PHASES, 1.0))

    monkeypatch.setattr(bench_cli, "measure_throughput", record)
    result = run("bench", "throughput", "--dataset", "digits", "--precision", "fp32", "--param", "style_dim=3",
                 "--param", "batch_size=50")
    assert result.exit_code == 0, result.output
    (config, training), = timed
    defaults = SemiSupervisedAAEClassifier()
    assert (config.style_dim, training.batch_size, training.precision) == (3, 50, "fp32")
    assert config.discriminator_layer_sizes == defaults.discriminator_layer_sizes
    assert (config.batch_norm, training.consistency_weight) == (defaults.batch_norm, defaults.consistency_weight)
    assert training.labeled_batch_size == 50  # "auto": the size of the unlabeled minibatches


def test_bench_throughput_refuses_a_param_an_option_sets():
    assert_one_line_error(run("bench", "throughput", "--dataset", "digits", "--param", "precision=fp32"),
                          "precision is set by --precision")
