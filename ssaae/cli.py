"""The ``ssaae`` command: train a semi-supervised AAE or cluster with one, predict with a saved model,
draw samples and plots, list the data sets; ``ssaae bench`` runs the benchmarks (:mod:`ssaae.bench.cli`).
Thin: each command parses, calls the library, prints."""

import ast
import contextlib
import importlib
import os
import time
from pathlib import Path

import click
import numpy as np
import pandas as pd

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
from .files import atomic_write, check_writable
from .persistence import load_model, save_model


class Commands(click.Group):
    """Commands whose expected failures end in a one-line ``Error: ...`` instead of a traceback; the
    ``bench`` group is imported only when it is used, so the library never loads the benchmarks."""

    def invoke(self, ctx):
        try:
            with _silent_unless_first_process():
                return super().invoke(ctx)
        except click.UsageError as error:  # without click's usage lines: one line, as for the others
            raise click.ClickException(f"{error.format_message()} (--help lists the options)") from error
        except (ValueError, OSError, KeyError) as error:
            raise click.ClickException(_one_line(error)) from error

    def list_commands(self, ctx):
        return sorted([*super().list_commands(ctx), "bench"])

    def get_command(self, ctx, name):
        if name == "bench":
            from .bench.cli import bench

            return bench
        return super().get_command(ctx, name)


@contextlib.contextmanager
def _silent_unless_first_process():
    """Under ``torchrun``, only the first process (``RANK`` 0) prints; errors are printed by all."""
    if first_process():
        yield
    else:
        with open(os.devnull, "w") as devnull, contextlib.redirect_stdout(devnull):
            yield


def first_process():
    """Whether this process writes the files: the only one, or the first of ``torchrun``'s."""
    return int(os.environ.get("RANK", "0")) == 0


def _one_line(error):
    message = error.args[0] if isinstance(error, KeyError) and error.args else error  # str() adds quotes
    return " ".join(str(message).split())


def parse_params(context, option, values):
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


checkpoint_option = click.option(
    "--checkpoint", type=click.Path(dir_okay=False), metavar="FILE",
    help="Write the training state to FILE after every epoch (checkpoint_path); if FILE exists, resume from it.")
data_dir_option = click.option("--data-dir", type=click.Path(file_okay=False), metavar="DIR",
                                help="Folder of the data sets' files.  [default: $SSAAE_DATA_DIR, else ./data]")


@click.group(cls=Commands)
def main():
    """Semi-supervised classification with Adversarial Autoencoders."""


@main.command()
@click.argument("data")
@click.option("--labels", type=click.IntRange(min=1), metavar="N",
              help="Labeled training rows to keep.  [default: 100 for a data set, all for a file]")
@click.option("--epochs", type=click.IntRange(min=1), metavar="E",
              help=f"Training epochs (max_iter).  [default: {SemiSupervisedAAEClassifier().max_iter}]")
@click.option("--seed", default=0, show_default=True, type=click.IntRange(0, 2**32 - 1), metavar="S",
              help="Seed of the choice of labeled rows and of the training (random_state).")
@click.option("--out", type=click.Path(dir_okay=False), metavar="MODEL",
              help="Save the trained model to this file.")
@click.option("--compare", is_flag=True,
              help="Also train the same network on the labeled rows alone and print its errors "
                   "(data sets only).")
@click.option("--label-column", default="label", show_default=True, metavar="NAME",
              help="The label column of a CSV file.")
@checkpoint_option
@data_dir_option
@click.option("--param", "params", multiple=True, callback=parse_params, metavar="NAME=VALUE",
              help="Any other parameter of SemiSupervisedAAEClassifier, e.g. hidden_layer_sizes=(500,500). "
                   "Repeatable.")
@click.option("--quiet", is_flag=True, help="No progress bar.")
def fit(data, labels, epochs, seed, out, compare, label_column, checkpoint, data_dir, params, quiet):
    """Train a semi-supervised AAE on a data set or a file.

    DATA is a data set (mnist, fashion-mnist, digits), whose validation and test errors are
    printed, or a .csv or .npy file. A .csv file holds numeric feature columns and a label column;
    a .npy file is a 2-D array whose last column holds the labels (read memory-mapped when it is
    float32). A label -1 (or an empty CSV cell) marks an unlabeled row.
    """
    for path in (out, checkpoint):
        if path:
            check_writable(path)  # now rather than after the training
    settings = option_settings(params, random_state=seed, verbose=not quiet, max_iter=epochs,
                               checkpoint_path=checkpoint)
    estimator = SemiSupervisedAAEClassifier().set_params(**settings)  # its ValueError lists the valid names
    if Path(data).suffix:
        if compare:
            raise click.UsageError("--compare needs a data set, with validation and test parts to score")
        _fit_file(estimator, Path(data), labels, seed, label_column)
    else:
        _fit_dataset(estimator, data, 100 if labels is None else labels, seed, data_dir, compare)
    if out and first_process():
        save_model(estimator, out)
        click.echo(f"saved the model to {out}")


_OPTION_OF = {"random_state": "--seed", "verbose": "--quiet", "max_iter": "--epochs", "n_clusters": "--clusters",
              "precision": "--precision", "device": "--device",
              "checkpoint_path": "--checkpoint"}


def option_settings(params, **options):
    """The estimator's parameters: the ``--param`` ones and those the options set (None: not given);
    a parameter that an option sets is refused as a ``--param``."""
    for name in params.keys() & options.keys():
        raise click.BadParameter(f"{name} is set by {_OPTION_OF[name]}; pass that instead", param_hint="--param")
    return {**params, **{name: value for name, value in options.items() if value is not None}}


def _fit_dataset(estimator, name, labels, seed, data_dir, compare):
    dataset = load_dataset(name, data_dir)
    y = make_semisupervised(dataset.y_train, labels, random_state=seed)
    click.echo(f"{name}: {labels} of {len(y)} training rows labeled")
    start = time.perf_counter()
    estimator.fit(dataset.X_train, y)
    _print_errors("semi-supervised AAE", estimator, dataset, time.perf_counter() - start)
    if compare:
        from .bench.baselines import LabelsOnlyAAEClassifier

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


def _model_and_rows(function):
    """The arguments and options `predict` and `score` share: a model file, rows to apply it to,
    and where to write the CSV."""
    for decorator in reversed([
        click.argument("model", type=click.Path(dir_okay=False)),
        click.argument("input_path", metavar="INPUT", type=click.Path(dir_okay=False)),
        click.option("--out", type=click.Path(dir_okay=False), metavar="CSV",
                     help="CSV file to write.  [default: standard output]"),
        click.option("--label-column", default="label", show_default=True, metavar="NAME",
                     help="A CSV column to leave out, as `ssaae fit --label-column` reads it."),
    ]):
        function = decorator(function)
    return function


def _load_model_and_rows(model, input_path, out, label_column):
    if out:
        check_writable(out)
    return load_model(model), load_features(input_path, label_column)


def _print_or_write(table, out, what):
    if out:
        _write_csv(table, out)
        click.echo(f"wrote {len(table)} {what} to {out}")
    else:
        click.echo(table.to_csv(index=False), nl=False)


@main.command()
@_model_and_rows
def predict(model, input_path, out, label_column):
    """Predict the class (or cluster) of each row of a file with a saved model.

    MODEL is a file saved by `ssaae fit --out` or `ssaae cluster --model-out`; INPUT a .csv or
    .npy file of features. The output is a CSV with a `prediction` column and a `proba_<class>`
    column per class; for a clustering model, a `cluster` column and a `probability_<k>` column
    per cluster.
    """
    estimator, X = _load_model_and_rows(model, input_path, out, label_column)
    if isinstance(estimator, AAEClustering):
        table = _cluster_table(estimator, X)
    else:
        table = pd.DataFrame(estimator.predict_proba(X), columns=[f"proba_{name}" for name in estimator.classes_])
        table.insert(0, "prediction", estimator.predict(X))
    _print_or_write(table, out, "predictions")


@main.command()
@_model_and_rows
def score(model, input_path, out, label_column):
    """Score how typical each row of a file is of a saved model's training rows: anomaly scores.

    MODEL and INPUT as for `ssaae predict`. The output is a CSV with a `score` column, the
    estimator's `score_samples`: higher for more typical rows, lowest for the odd ones (a poor
    reconstruction, or codes far from the priors).
    """
    estimator, X = _load_model_and_rows(model, input_path, out, label_column)
    _print_or_write(pd.DataFrame({"score": estimator.score_samples(X)}), out, "scores")


def _cluster_table(estimator, X):
    """A row per row of ``X``: its cluster, then its probability of each cluster."""
    table = pd.DataFrame(estimator.predict_proba(X),
                         columns=[f"probability_{k}" for k in range(estimator.n_clusters)])
    table.insert(0, "cluster", table.to_numpy().argmax(1))
    return table


def _write_csv(table, path):
    with atomic_write(path) as file:
        table.to_csv(file, index=False)


@main.command()
@click.argument("data")
@click.option("--clusters", default=16, show_default=True, type=click.IntRange(min=1), metavar="N",
              help="Number of clusters (n_clusters).")
@click.option("--epochs", type=click.IntRange(min=1), metavar="E",
              help=f"Training epochs (max_iter).  [default: {AAEClustering().max_iter}]")
@click.option("--seed", default=0, show_default=True, type=click.IntRange(0, 2**32 - 1), metavar="S",
              help="Seed of the training (random_state).")
@click.option("--out", required=True, type=click.Path(dir_okay=False), metavar="CSV",
              help="CSV file to write, a row per input row.")
@click.option("--model-out", type=click.Path(dir_okay=False), metavar="MODEL",
              help="Save the trained model to this file.")
@checkpoint_option
@data_dir_option
@click.option("--param", "params", multiple=True, callback=parse_params, metavar="NAME=VALUE",
              help="Any other parameter of AAEClustering, e.g. style_dim=10. Repeatable.")
@click.option("--quiet", is_flag=True, help="No progress bar.")
def cluster(data, clusters, epochs, seed, out, model_out, checkpoint, data_dir, params, quiet):
    """Cluster the rows of a data set or a file with an AAE, without labels.

    DATA is a data set (mnist, fashion-mnist, digits), whose training rows are clustered, or a
    .csv or .npy file of features (a CSV's `label` column, if any, is left out). The output CSV
    has a `cluster` column and a `probability_<k>` column per cluster: the soft assignments.
    """
    for path in (out, model_out, checkpoint):
        if path:
            check_writable(path)  # now rather than after the training
    settings = option_settings(params, n_clusters=clusters, random_state=seed, verbose=not quiet, max_iter=epochs,
                               checkpoint_path=checkpoint)
    estimator = AAEClustering().set_params(**settings)  # its ValueError lists the valid names
    X = load_features(data) if Path(data).suffix else load_dataset(data, data_dir).X_train
    start = time.perf_counter()
    estimator.fit(X)
    seconds = time.perf_counter() - start
    if first_process():
        _write_csv(_cluster_table(estimator, X), out)
        if model_out:
            save_model(estimator, model_out)
    click.echo(f"{data}: {len(X)} rows in {len(np.unique(estimator.labels_))} of {clusters} clusters "
               f"(trained in {seconds:.1f} s); wrote {out}" + (f" and {model_out}" if model_out else ""))


@main.command("datasets")
@data_dir_option
def list_datasets(data_dir):
    """List the data sets and whether their files verify.

    One line per data set: its name, available or missing, the folder of its files, and
    "verified" or what is wrong with them.
    """
    for status in available_datasets(data_dir):
        availability = "available" if status.available else "missing"
        check = "verified" if status.verified else status.problem or f"lacks {', '.join(status.missing)}"
        click.echo(f"{status.name:<14} {availability:<10} {status.directory or '-'}  {check}")


def plots_module():
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
    plots = plots_module()
    click.echo(plots.sample_grid(load_model(model), out, styles, image_shape))


@main.group()
def plot():
    """Pictures of a saved model, as PNG files (pip install 'ssaae[plot]').

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
@data_dir_option
def plot_style_space(model, data, out, label_column, data_dir):
    """Scatter the style codes of DATA's rows, coloured by label."""
    plots = plots_module()
    X, y = _data_rows(data, data_dir, label_column)
    click.echo(plots.style_space(load_model(model), X, y, out))


def _image_plot(command):
    """The arguments and options of a grid of DATA's images drawn by a model."""
    for decorate in (data_dir_option, _image_shape_option, _png_option, click.argument("data"), _model_argument):
        command = decorate(command)
    return command


@plot.command("reconstructions")
@_image_plot
@click.option("--images", default=10, show_default=True, type=click.IntRange(min=1), metavar="N",
              help="Rows of DATA to draw, from the first.")
def plot_reconstructions(model, data, out, images, image_shape, data_dir):
    """Draw rows of DATA above their reconstructions."""
    plots = plots_module()
    click.echo(plots.reconstructions(load_model(model), _data_features(data, data_dir), out, images, image_shape))


@plot.command("clusters")
@_image_plot
@click.option("--per-cluster", default=10, show_default=True, type=click.IntRange(min=1), metavar="N",
              help="Images per cluster.")
def plot_clusters(model, data, out, per_cluster, image_shape, data_dir):
    """Draw, for each cluster (or class), the rows of DATA the model finds most likely in it."""
    plots = plots_module()
    click.echo(plots.cluster_exemplars(load_model(model), _data_features(data, data_dir), out, per_cluster,
                                       image_shape))
