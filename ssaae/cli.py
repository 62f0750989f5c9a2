"""The ``ssaae`` command: train a semi-supervised AAE or cluster with one, predict with a saved model,
draw samples and plots, list the data sets, run the benchmarks. Thin: each command parses, calls
the library, prints."""

import ast
import functools
import importlib
import platform
import shlex
import time
from pathlib import Path

import click
import numpy as np
import pandas as pd
import torch

from . import clustering_benchmark, label_efficiency
from .baselines import LabelsOnlyAAEClassifier
from .classifier import SemiSupervisedAAEClassifier
from .clustering import AAEClustering
from .datasets import (
    available_datasets,
    keep_labels,
    load_dataset,
    load_features,
    load_table,
    make_semisupervised,
)
from .persistence import load_model, save_model
from .throughput import measure_throughput
from .training import resolve_device, resolve_precision


class Commands(click.Group):
    """Commands whose expected failures end in a one-line ``Error: ...`` instead of a traceback."""

    def invoke(self, ctx):
        try:
            return super().invoke(ctx)
        except (ValueError, OSError, KeyError) as error:
            raise click.ClickException(_one_line(error)) from error


def _one_line(error):
    message = error.args[0] if isinstance(error, KeyError) and error.args else error  # str() adds quotes
    return " ".join(str(message).split())


def _split_names(context, option, values):
    """Names given comma-separated or by repeating the option, as one list."""
    return [name for value in values for name in value.split(",") if name]


def _parse_params(context, option, values):
    """``NAME=VALUE`` pairs as a dict; a value is a Python literal, else a string."""
    params = {}
    for pair in values:
        name, equals, value = pair.partition("=")
        if not equals:
            raise click.BadParameter(f"{pair!r} is not NAME=VALUE")
        try:
            params[name] = ast.literal_eval(value)
        except (ValueError, SyntaxError):
            params[name] = value
    return params


_data_dir_option = click.option("--data-dir", type=click.Path(file_okay=False), metavar="DIR",
                                help="Folder of the data sets' files.  [default: $SSAAE_DATA_DIR, else ./data]")


@click.group(cls=Commands)
def main():
    """Semi-supervised classification with Adversarial Autoencoders."""


@main.command()
@click.argument("data")
@click.option("--labels", type=click.IntRange(min=1), metavar="N",
              help="Labeled training rows to keep.  [default: 100 for a data set, all for a file]")
@click.option("--epochs", type=click.IntRange(min=1), metavar="E",
              help="Training epochs (max_iter).  [default: 100]")
@click.option("--seed", default=0, show_default=True, metavar="S",
              help="Seed of the choice of labeled rows and of the training (random_state).")
@click.option("--out", type=click.Path(dir_okay=False), metavar="MODEL",
              help="Save the trained model to this file.")
@click.option("--compare", is_flag=True,
              help="Also train the same network on the labeled rows alone and print its errors "
                   "(data sets only).")
@click.option("--label-column", default="label", show_default=True, metavar="NAME",
              help="The label column of a CSV file.")
@_data_dir_option
@click.option("--param", "params", multiple=True, callback=_parse_params, metavar="NAME=VALUE",
              help="Any other parameter of SemiSupervisedAAEClassifier, e.g. hidden_layer_sizes=(500,500). "
                   "Repeatable.")
@click.option("--quiet", is_flag=True, help="No progress bar.")
def fit(data, labels, epochs, seed, out, compare, label_column, data_dir, params, quiet):
    """Train a semi-supervised AAE on a data set or a file.

    DATA is a data set (mnist, fashion-mnist, digits), whose validation and test errors are
    printed, or a .csv or .npy file. A .csv file holds numeric feature columns and a label column;
    a .npy file is a 2-D array whose last column holds the labels. A label -1 (or an empty CSV
    cell) marks an unlabeled row.
    """
    if out and not Path(out).parent.is_dir():  # fail now rather than after the training
        raise click.BadParameter(f"no folder {Path(out).parent} to save the model in", param_hint="--out")
    settings = {**params, "random_state": seed, "verbose": not quiet}
    if epochs:
        settings["max_iter"] = epochs
    estimator = SemiSupervisedAAEClassifier().set_params(**settings)  # its ValueError lists the valid names
    if Path(data).suffix:
        if compare:
            raise click.UsageError("--compare needs a data set, with validation and test parts to score")
        _fit_file(estimator, Path(data), labels, seed, label_column)
    else:
        _fit_dataset(estimator, data, 100 if labels is None else labels, seed, data_dir, compare)
    if out:
        save_model(estimator, out)
        click.echo(f"saved the model to {out}")


def _fit_dataset(estimator, name, labels, seed, data_dir, compare):
    dataset = load_dataset(name, data_dir)
    y = make_semisupervised(dataset.y_train, labels, random_state=seed)
    click.echo(f"{name}: {labels} of {len(y)} training rows labeled")
    start = time.perf_counter()
    estimator.fit(dataset.X_train, y)
    _print_errors("semi-supervised AAE", estimator, dataset, time.perf_counter() - start)
    if compare:
        start = time.perf_counter()
        baseline = LabelsOnlyAAEClassifier(**estimator.get_params()).fit(dataset.X_train, y)
        _print_errors("labels only", baseline, dataset, time.perf_counter() - start)


def _print_errors(name, estimator, dataset, seconds):
    validation = 100 * (1 - estimator.score(dataset.X_val, dataset.y_val))
    test = 100 * (1 - estimator.score(dataset.X_test, dataset.y_test))
    click.echo(f"{name}: validation error {validation:.2f}%, test error {test:.2f}% "
               f"(trained in {seconds:.1f} s)")


def _fit_file(estimator, path, labels, seed, label_column):
    X, y = load_table(path, label_column)
    if labels is not None:
        y = keep_labels(y, labels, random_state=seed)
    start = time.perf_counter()
    estimator.fit(X, y)
    click.echo(f"{path}: {len(y)} rows, {(y != -1).sum()} labeled, {len(estimator.classes_)} classes "
               f"(trained in {time.perf_counter() - start:.1f} s)")


@main.command()
@click.argument("model", type=click.Path(dir_okay=False))
@click.argument("input_path", metavar="INPUT", type=click.Path(dir_okay=False))
@click.option("--out", type=click.Path(dir_okay=False), metavar="CSV",
              help="CSV file to write.  [default: standard output]")
def predict(model, input_path, out):
    """Predict the class of each row of a file with a saved model.

    MODEL is a file saved by `ssaae fit --out`; INPUT a .csv or .npy file of features (a CSV's
    `label` column, if any, is left out). The output is a CSV with a `prediction` column and a
    `proba_<class>` column per class.
    """
    estimator = load_model(model)
    X = load_features(input_path)
    table = pd.DataFrame(estimator.predict_proba(X), columns=[f"proba_{name}" for name in estimator.classes_])
    table.insert(0, "prediction", estimator.predict(X))
    if out:
        table.to_csv(out, index=False)
        click.echo(f"wrote {len(table)} predictions to {out}")
    else:
        click.echo(table.to_csv(index=False), nl=False)


@main.command()
@click.argument("data")
@click.option("--clusters", default=16, show_default=True, type=click.IntRange(min=1), metavar="N",
              help="Number of clusters (n_clusters).")
@click.option("--epochs", type=click.IntRange(min=1), metavar="E",
              help=f"Training epochs (max_iter).  [default: {AAEClustering().max_iter}]")
@click.option("--seed", default=0, show_default=True, metavar="S", help="Seed of the training (random_state).")
@click.option("--out", required=True, type=click.Path(dir_okay=False), metavar="CSV",
              help="CSV file to write, a row per input row.")
@click.option("--model-out", type=click.Path(dir_okay=False), metavar="MODEL",
              help="Save the trained model to this file.")
@_data_dir_option
@click.option("--param", "params", multiple=True, callback=_parse_params, metavar="NAME=VALUE",
              help="Any other parameter of AAEClustering, e.g. style_dim=10. Repeatable.")
@click.option("--quiet", is_flag=True, help="No progress bar.")
def cluster(data, clusters, epochs, seed, out, model_out, data_dir, params, quiet):
    """Cluster the rows of a data set or a file with an AAE, without labels.

    DATA is a data set (mnist, fashion-mnist, digits), whose training rows are clustered, or a
    .csv or .npy file of features (a CSV's `label` column, if any, is left out). The output CSV
    has a `cluster` column and a `probability_<k>` column per cluster: the soft assignments.
    """
    for path, option in ((out, "--out"), (model_out, "--model-out")):
        if path and not Path(path).parent.is_dir():  # fail now rather than after the training
            raise click.BadParameter(f"no folder {Path(path).parent} to write {path} in", param_hint=option)
    settings = {**params, "n_clusters": clusters, "random_state": seed, "verbose": not quiet}
    if epochs:
        settings["max_iter"] = epochs
    estimator = AAEClustering().set_params(**settings)  # its ValueError lists the valid names
    X = load_features(data) if Path(data).suffix else load_dataset(data, data_dir).X_train
    start = time.perf_counter()
    estimator.fit(X)
    seconds = time.perf_counter() - start
    table = pd.DataFrame(estimator.predict_proba(X), columns=[f"probability_{k}" for k in range(clusters)])
    table.insert(0, "cluster", estimator.labels_)
    table.to_csv(out, index=False)
    if model_out:
        save_model(estimator, model_out)
    click.echo(f"{data}: {len(X)} rows in {len(np.unique(estimator.labels_))} of {clusters} clusters "
               f"(trained in {seconds:.1f} s); wrote {out}" + (f" and {model_out}" if model_out else ""))


@main.command("datasets")
@_data_dir_option
def list_datasets(data_dir):
    """List the data sets and whether their files verify.

    One line per data set: its name, available or missing, the folder of its files, and
    "verified" or what is wrong with them.
    """
    for status in available_datasets(data_dir):
        availability = "available" if status.available else "missing"
        check = "verified" if status.verified else status.problem or f"lacks {', '.join(status.missing)}"
        click.echo(f"{status.name:<14} {availability:<10} {status.directory or '-'}  {check}")


def _plots():
    """``ssaae.plots``, imported only by the commands that draw: matplotlib is an optional dependency."""
    try:
        return importlib.import_module(".plots", __package__)
    except ModuleNotFoundError as error:  # its message says what to install
        raise click.ClickException(str(error)) from error


def _parse_image_shape(context, option, value):
    """``HxW`` as (height, width)."""
    if value is None:
        return None
    height, x, width = value.lower().partition("x")
    if not (x and height.isdigit() and width.isdigit() and int(height) > 0 and int(width) > 0):
        raise click.BadParameter(f"{value!r} is not HEIGHTxWIDTH, e.g. 28x28")
    return int(height), int(width)


def _data_rows(data, data_dir, label_column):
    """Features and labels of DATA: a data set's test split, or the rows of a .csv or .npy file."""
    if Path(data).suffix:
        return load_table(data, label_column)
    dataset = load_dataset(data, data_dir)
    return dataset.X_test, dataset.y_test


def _data_features(data, data_dir):
    """Features of DATA: a data set's test split, or the rows of a .csv or .npy file."""
    return load_features(data) if Path(data).suffix else load_dataset(data, data_dir).X_test


_model_argument = click.argument("model", type=click.Path(dir_okay=False))
_png_option = click.option("--out", required=True, type=click.Path(dir_okay=False), metavar="PNG",
                           help="Image file to write.")
_image_shape_option = click.option("--image-shape", callback=_parse_image_shape, metavar="HxW",
                                   help="Height and width of an image.  [default: the square the features make]")


@main.command()
@_model_argument
@_png_option
@click.option("--styles", default=10, show_default=True, type=click.IntRange(min=1), metavar="N",
              help="Rows of the grid: style draws, each decoded in every class or cluster.")
@_image_shape_option
def sample(model, out, styles, image_shape):
    """Draw generated images: a column per class or cluster, a row per style draw.

    MODEL is a file saved by `ssaae fit --out`. A row decodes one style in every class, so the class
    changes along a row and the style down a column. Prints the path of the image.
    """
    plots = _plots()
    click.echo(plots.sample_grid(load_model(model), out, styles, image_shape))


@main.group()
def plot():
    """Pictures of a saved model and of benchmark runs, as PNG files (pip install 'ssaae[plot]').

    MODEL is a file saved by `ssaae fit --out`. DATA is a data set (mnist, fashion-mnist, digits),
    whose test split is drawn, or a .csv or .npy file as `ssaae fit` reads it. Each command prints
    the path of the image it wrote.
    """


@plot.command("style-space")
@_model_argument
@click.argument("data")
@_png_option
@click.option("--label-column", default="label", show_default=True, metavar="NAME",
              help="The label column of a CSV file.")
@_data_dir_option
def plot_style_space(model, data, out, label_column, data_dir):
    """Scatter the style codes of DATA's rows, coloured by label."""
    plots = _plots()
    X, y = _data_rows(data, data_dir, label_column)
    click.echo(plots.style_space(load_model(model), X, y, out))


@plot.command("reconstructions")
@_model_argument
@click.argument("data")
@_png_option
@click.option("--images", default=10, show_default=True, type=click.IntRange(min=1), metavar="N",
              help="Rows of DATA to draw, from the first.")
@_image_shape_option
@_data_dir_option
def plot_reconstructions(model, data, out, images, image_shape, data_dir):
    """Draw rows of DATA above their reconstructions."""
    plots = _plots()
    click.echo(plots.reconstructions(load_model(model), _data_features(data, data_dir), out, images, image_shape))


@plot.command("clusters")
@_model_argument
@click.argument("data")
@_png_option
@click.option("--per-cluster", default=10, show_default=True, type=click.IntRange(min=1), metavar="N",
              help="Images per cluster.")
@_image_shape_option
@_data_dir_option
def plot_clusters(model, data, out, per_cluster, image_shape, data_dir):
    """Draw, for each cluster (or class), the rows of DATA the model finds most likely in it."""
    plots = _plots()
    click.echo(plots.cluster_exemplars(load_model(model), _data_features(data, data_dir), out, per_cluster,
                                       image_shape))


@plot.command("label-efficiency")
@click.argument("runs_csv", metavar="RUNS_CSV", type=click.Path(dir_okay=False))
@_png_option
def plot_label_efficiency(runs_csv, out):
    """Plot test error against the number of labels, a line per method, from the runs.csv of
    `ssaae bench label-efficiency`."""
    plots = _plots()
    click.echo(plots.label_efficiency(runs_csv, out))


@main.group()
def bench():
    """Benchmarks: training speed, test error against the number of labels, and clustering."""


@bench.command()
@click.option("--dataset", default="mnist", show_default=True, help="Data set whose training rows to train on.")
@click.option("--epochs", default=3, show_default=True, type=click.IntRange(min=1), help="Epochs to time.")
@click.option("--precision", default="auto", show_default=True, type=click.Choice(["auto", "bf16", "fp32"]))
@click.option("--device", default="auto", show_default=True)
@_data_dir_option
def throughput(dataset, epochs, precision, device, data_dir):
    """Time epochs of default training; print FLOP/s against the matmul peak and the phases' split."""
    data = load_dataset(dataset, data_dir)
    device = resolve_device(device)
    precision = resolve_precision(precision, device)
    click.echo(f"{dataset}: {len(data.X_train)} rows, {epochs} epochs, {precision} on {device}, "
               f"torch {torch.__version__}, {torch.get_num_threads()} threads, {platform.processor() or platform.machine()}")
    report = measure_throughput(torch.from_numpy(data.X_train), len(np.unique(data.y_train)), epochs, precision,
                                device)
    for line in report.lines():
        click.echo(line)


def _benchmark_command(benchmark, estimator, size, default_sizes, size_help, out_suffix):
    """Make the decorated function, whose docstring is the help, a command running ``benchmark``
    (a module with METHODS, run_benchmark, summarize and summary_tables); ``--<size>`` (labels,
    clusters) is what its runs vary besides the method and the seed."""
    options = [
        click.option("--dataset", default="mnist", show_default=True, help="Data set to train and score on."),
        click.option(f"--{size}", "sizes", multiple=True, default=default_sizes, show_default=True,
                     type=click.IntRange(min=1), metavar="N", help=f"{size_help} Repeatable."),
        click.option("--seeds", default=5, show_default=True, type=click.IntRange(min=1), metavar="S",
                     help=f"Runs per method and --{size} value, with seeds 0 to S-1."),
        click.option("--methods", multiple=True, callback=_split_names, metavar="NAMES",
                     help=f"Comma-separated or repeatable.  [default: all: {','.join(benchmark.METHODS)}]"),
        click.option("--out", type=click.Path(file_okay=False), metavar="DIR",
                     help=f"Folder of runs.csv and results.md.  [default: benchmarks/results/<dataset>{out_suffix}]"),
        click.option("--epochs", default=benchmark.EPOCHS, show_default=True, type=click.IntRange(min=1), metavar="E",
                     help="Epochs of the AAE methods (max_iter)."),
        click.option("--param", "params", multiple=True, callback=_parse_params, metavar="NAME=VALUE",
                     help=f"Any other parameter of {estimator.__name__} for the AAE methods. Repeatable."),
        _data_dir_option,
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


def _run_benchmark(benchmark, size, out_suffix, dataset, sizes, seeds, methods, out, epochs, params, data_dir, quiet):
    methods = methods or list(benchmark.METHODS)
    out = out or str(Path("benchmarks/results") / f"{dataset}{out_suffix}")
    if "max_iter" in params:
        raise ValueError("max_iter is set by --epochs; pass --epochs instead")
    aae_params = {**params, "max_iter": epochs}
    command = shlex.join([
        "ssaae", "bench", click.get_current_context().info_name, f"--dataset={dataset}", *[f"--{size}={n}" for n in sizes],
        f"--seeds={seeds}", f"--methods={','.join(methods)}", f"--out={out}",
        f"--epochs={epochs}", *[f"--param={name}={value!r}" for name, value in params.items()],
        *([f"--data-dir={data_dir}"] if data_dir else []),
    ])  # every option spelled out, so that it reruns the same benchmark whatever the defaults become
    benchmark.run_benchmark(dataset, sizes, seeds, methods, out, aae_params, data_dir, progress=not quiet,
                            command=command)
    click.echo(benchmark.summary_tables(benchmark.summarize(Path(out) / "runs.csv")), nl=False)
    click.echo(f"runs in {Path(out) / 'runs.csv'}, summary in {Path(out) / 'results.md'}")


@bench.command("label-efficiency")
@_benchmark_command(label_efficiency, SemiSupervisedAAEClassifier, "labels", (100, 1000),
                    "Labeled training rows of a run.", "")
def bench_label_efficiency():
    """Test error against the number of labels: the AAE and baselines, over several seeds.

    Each finished run is appended to DIR/runs.csv at once and DIR/results.md (tables of
    mean ± std, the command, versions and machine) is rewritten from it. Run the same command
    again to resume: runs already in runs.csv are skipped.
    """


@bench.command("clustering")
@_benchmark_command(clustering_benchmark, AAEClustering, "clusters", (16, 30), "Clusters of a run.", "-clustering")
def bench_clustering():
    """Unsupervised clusters against the classes: the AAE and k-means, over cluster counts and seeds.

    Scores on the test split: the error by the paper's protocol (each cluster takes the label of
    the validation image it ranks highest), NMI, the adjusted Rand index and, where there are as
    many clusters as classes, the accuracy under the best one-to-one matching. Each finished run
    is appended to DIR/runs.csv at once and DIR/results.md is rewritten from it. Run the same
    command again to resume: runs already in runs.csv are skipped.
    """
