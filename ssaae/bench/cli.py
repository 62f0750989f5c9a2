"""The ``ssaae bench`` commands: training speed, label efficiency, clustering and one-class anomaly
scores, and the plots of label-efficiency runs. The main ``ssaae`` command loads this module only
when ``bench`` is asked for."""

import functools
import platform
import shlex
from pathlib import Path

import click
import numpy as np
import torch

from ..classifier import SemiSupervisedAAEClassifier
from ..cli import data_dir_option, option_settings, parse_params, plots_module
from ..clustering import AAEClustering
from ..datasets import load_dataset
from ..training import resolve_device
from . import clustering, label_efficiency, one_class
from .data import dataset_name
from .throughput import measure_throughput


def _split_names(context, option, values):
    """Names given comma-separated or by repeating the option, as one list."""
    return [name for value in values for name in value.split(",") if name]


@click.group()
def bench():
    """Benchmarks: training speed, test error against the number of labels, clustering and
    one-class anomaly detection."""


@bench.command()
@click.option("--dataset", default="mnist", show_default=True, help="Data set whose training rows to train on.")
@click.option("--epochs", default=3, show_default=True, type=click.IntRange(min=1), help="Epochs to time.")
@click.option("--precision", default="auto", show_default=True, type=click.Choice(["auto", "bf16", "fp32"]))
@click.option("--device", default="auto", show_default=True)
@click.option("--param", "params", multiple=True, callback=parse_params, metavar="NAME=VALUE",
              help="A parameter of SemiSupervisedAAEClassifier other than its default. Repeatable.")
@data_dir_option
def throughput(dataset, epochs, precision, device, params, data_dir):
    """Time epochs of training with the classifier's defaults (and the --param settings); print
    FLOP/s against the matmul peak and the phases' split."""
    estimator = SemiSupervisedAAEClassifier().set_params(**option_settings(params, precision=precision, device=device))
    estimator._validate_params()
    data = load_dataset(dataset, data_dir)
    X, device = data.X_train, resolve_device(estimator.device)
    config, training = estimator._configs(*X.shape, len(np.unique(data.y_train)), estimator._binary_features(X),
                                          device)
    click.echo(f"{dataset}: {len(X)} rows, {epochs} epochs, {training.precision} on {device}, "
               f"torch {torch.__version__}, {torch.get_num_threads()} threads, {platform.processor() or platform.machine()}")
    report = measure_throughput(torch.from_numpy(X), config.n_classes, epochs, device=device, model_config=config,
                                training=training)
    for line in report.lines():
        click.echo(line)


def _benchmark_command(benchmark, estimator, size, default_sizes, size_help, out_suffix, least_size=1):
    """Make the decorated function, whose docstring is the help, a command running ``benchmark``
    (a module with METHODS, EPOCHS, run_benchmark, summarize and summary_tables); ``--<size>`` (labels,
    clusters, classes), integers from ``least_size``, is what its runs vary besides the method and the seed."""
    options = [
        click.option("--dataset", default="mnist", show_default=True, metavar="NAME|FILE",
                     help="Data set to train and score on, or a .csv or .npy file of labeled rows (split "
                          "60/20/20 into train, validation and test; rows labeled -1 left out)."),
        click.option("--label-column", default="label", show_default=True, metavar="NAME",
                     help="The label column of a CSV file."),
        click.option(f"--{size}", "sizes", multiple=True, default=default_sizes, show_default=bool(default_sizes),
                     type=int if least_size is None else click.IntRange(min=least_size), metavar="N",
                     help=size_help),
        click.option("--seeds", default=5, show_default=True, type=click.IntRange(min=1), metavar="S",
                     help=f"Runs per method and --{size} value, with seeds 0 to S-1."),
        click.option("--methods", multiple=True, callback=_split_names, metavar="NAMES",
                     help=f"Comma-separated or repeatable.  [default: all: {','.join(benchmark.METHODS)}]"),
        click.option("--out", type=click.Path(file_okay=False), metavar="DIR",
                     help=f"Folder of runs.csv and results.md; processes started on the same folder share its "
                          f"runs.  [default: benchmarks/results/<dataset>{out_suffix}, a file's stem for <dataset>]"),
        click.option("--epochs", default=benchmark.EPOCHS, show_default=True, type=click.IntRange(min=1), metavar="E",
                     help="Epochs of the AAE methods (max_iter)."),
        click.option("--param", "params", multiple=True, callback=parse_params, metavar="NAME=VALUE",
                     help=f"Any other parameter of {estimator.__name__} for the AAE methods. Repeatable."),
        data_dir_option,
        click.option("--quiet", is_flag=True, help="No progress bar."),
    ]

    def decorate(help_function):
        @functools.wraps(help_function)
        def command(**values):
            _run_benchmark(benchmark, size, out_suffix, **values)
        for option in reversed(options):
            command = option(command)
        return command
    return decorate


def _run_benchmark(benchmark, size, out_suffix, dataset, label_column, sizes, seeds, methods, out, epochs, params,
                   data_dir, quiet):
    methods = methods or list(benchmark.METHODS)
    out = out or str(Path("benchmarks/results") / f"{dataset_name(dataset)}{out_suffix}")
    if "max_iter" in params:
        raise ValueError("max_iter is set by --epochs; pass --epochs instead")
    aae_params = {**params, "max_iter": epochs}
    # Every option spelled out, so that the command reruns the same benchmark whatever the defaults
    # become; but --data-dir, which says where the files are, not what they are.
    command = shlex.join([
        "ssaae", "bench", click.get_current_context().info_name, f"--dataset={dataset}",
        *([f"--label-column={label_column}"] if Path(dataset).suffix else []), *[f"--{size}={n}" for n in sizes],
        f"--seeds={seeds}", f"--methods={','.join(methods)}", f"--out={out}",
        f"--epochs={epochs}", *[f"--param={name}={value!r}" for name, value in params.items()],
    ])
    benchmark.run_benchmark(dataset, sizes, seeds, methods, out, aae_params, data_dir, progress=not quiet,
                            command=command, label_column=label_column)
    click.echo(benchmark.summary_tables(benchmark.summarize(Path(out) / "runs.csv")), nl=False)
    click.echo(f"runs in {Path(out) / 'runs.csv'}, summary in {Path(out) / 'results.md'}")


@bench.command("label-efficiency")
@_benchmark_command(label_efficiency, SemiSupervisedAAEClassifier, "labels", (100, 1000),
                    "Labeled training rows of a run. Repeatable.", "")
def bench_label_efficiency():
    """Test error against the number of labels: the AAE and baselines, over several seeds.

    Each finished run is appended to DIR/runs.csv at once and DIR/results.md (tables of
    mean ± std, the command, versions and machine) is rewritten from it. Run the same command
    again to resume: runs already in runs.csv are skipped.
    """


@bench.command("clustering")
@_benchmark_command(clustering, AAEClustering, "clusters", (16, 30), "Clusters of a run. Repeatable.", "-clustering")
def bench_clustering():
    """Unsupervised clusters against the classes: the AAE and k-means, over cluster counts and seeds.

    Scores on the test split: the error by the paper's protocol (each cluster takes the label of
    the validation image it ranks highest), NMI, the adjusted Rand index and, where there are as
    many clusters as classes, the accuracy under the best one-to-one matching. Each finished run
    is appended to DIR/runs.csv at once and DIR/results.md is rewritten from it. Run the same
    command again to resume: runs already in runs.csv are skipped.
    """


@bench.command("one-class")
@_benchmark_command(one_class, AAEClustering, "classes", (), "A normal class, as the data set labels it. "
                    "Repeatable.  [default: every class]", "-one-class", least_size=None)
def bench_one_class():
    """Anomaly scores by the one-class protocol: train on one class, score the rest; AUROC.

    For each normal class and seed, each method (the AAE's score_samples, IsolationForest, a plain
    autoencoder) learns from that class's training rows alone and scores the validation and test
    splits; the AUROC takes the normal class as positive. Each finished run is appended to
    DIR/runs.csv at once and DIR/results.md is rewritten from it. Run the same command again to
    resume: runs already in runs.csv are skipped.
    """


@bench.command("plot")
@click.argument("runs_csv", metavar="RUNS_CSV", type=click.Path(dir_okay=False))
@click.option("--out", required=True, type=click.Path(dir_okay=False), metavar="PNG", help="Image file to write.")
def plot_label_efficiency(runs_csv, out):
    """Plot test error against the number of labels, a line per method, from the runs.csv of
    `ssaae bench label-efficiency`."""
    plots_module()  # matplotlib is optional: a one-line error if it is missing
    from .plots import label_efficiency

    click.echo(label_efficiency(runs_csv, out))


@bench.command("plot-curves")
@click.argument("results", metavar="DIR...", nargs=-1, required=True, type=click.Path(file_okay=False, exists=True))
@click.option("--labels", required=True, type=click.IntRange(min=1), metavar="N", help="The label count to draw.")
@click.option("--out", required=True, type=click.Path(dir_okay=False), metavar="PNG", help="Image file to write.")
def plot_curves(results, labels, out):
    """Plot validation error against seconds of training, a line per folder and AAE method, from
    the curves.csv of `ssaae bench label-efficiency` folders."""
    plots_module()
    from .plots import time_to_accuracy

    click.echo(time_to_accuracy(results, labels, out))
