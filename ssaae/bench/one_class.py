"""The one-class benchmark: anomaly scores by the protocol of Deep SVDD (Ruff et al. 2018).

For every class of a data set and every seed, each method learns from the training rows of that
class alone (the normal class) and scores every row of the validation and the test split; the
area under the ROC curve of the scores, the normal class's rows counting as positives, says how
well it tells that class from the others (1 perfect, 0.5 chance). Settings are chosen on the
validation AUROC; nothing is tuned on the test split. As in :mod:`ssaae.bench.label_efficiency`,
each finished run is appended to ``runs.csv`` at once and ``results.md`` is rewritten from it, so
a rerun resumes (with the same settings: ``settings.json``), and processes started on the same
folder share its runs.

The methods (:data:`METHODS`), each scoring rows with its ``score_samples``:

- ``aae``: :class:`~ssaae.AAEClustering` with the project's defaults but :data:`AAE_SETTINGS`,
  :data:`EPOCHS` epochs.
- ``isolation-forest``: scikit-learn's ``IsolationForest``.
- ``autoencoder``: a plain autoencoder, scikit-learn's ``MLPRegressor`` trained to give back its
  input, scoring minus the squared reconstruction error.
"""

import time
import warnings
from datetime import datetime
from pathlib import Path

import numpy as np
import pandas as pd
from sklearn.ensemble import IsolationForest
from sklearn.exceptions import ConvergenceWarning
from sklearn.metrics import roc_auc_score
from sklearn.neural_network import MLPRegressor

from ..clustering import AAEClustering
from .data import benchmark_dataset
from .runs import RunsFile, check_settings, estimator_settings, run_each, run_grid, write_results
from .tables import budget_cell, markdown_table, metric_cell, summarize_runs

RUNS_FILE = RunsFile("one-class", {
    "dataset": str, "method": str, "normal_class": int, "seed": int, "test_auroc": float, "validation_auroc": float,
    "epochs": "Int64", "seconds": float, "finished_at": str,
}, key=("dataset", "method", "normal_class", "seed", "epochs"), optional=("epochs",))  # AUROCs in percent

EPOCHS = 10  # the AAE's unless told: best of 5, 10 and 20 on MNIST's validation AUROC (benchmarks/HISTORY.md)
# AAEClustering's defaults before its warm-up, which trains the decoder only in the last epochs: the
# one-class results were measured with these; the warm-up is not measured on this benchmark
AAE_SETTINGS = {"consistency_warmup": 0, "consistency_probe": 1e-6}


class ReconstructingMLP(MLPRegressor):
    """A plain autoencoder: an ``MLPRegressor`` fitted to give back its input, whose
    ``score_samples`` is minus each row's squared reconstruction error."""

    def fit(self, X, y=None):
        return super().fit(X, X)

    def score_samples(self, X):
        return -((self.predict(X) - X) ** 2).sum(1)


METHODS = {
    "aae": lambda seed, aae_params: AAEClustering(random_state=seed).set_params(**aae_params),
    "isolation-forest": lambda seed, aae_params: IsolationForest(random_state=seed),
    "autoencoder": lambda seed, aae_params: ReconstructingMLP(hidden_layer_sizes=(256, 32, 256), max_iter=50,
                                                                random_state=seed),
}
DESCRIPTIONS = {
    "aae": "AAEClustering with the project's defaults but AAE_SETTINGS and the command's --param settings; "
           "score_samples.",
    "isolation-forest": "IsolationForest with scikit-learn's defaults; score_samples.",
    "autoencoder": "MLPRegressor(hidden_layer_sizes=(256, 32, 256), max_iter=50) trained to give back its input; "
                   "minus the squared reconstruction error.",
}


def run_benchmark(dataset="mnist", classes=(), seeds=5, methods=tuple(METHODS), out_dir=None, aae_params=None,
                  data_dir=None, progress=True, command=None, label_column="label"):
    """Train every method on each normal class with every seed, and score; resume an interrupted
    benchmark, or share its runs with other processes on the same ``out_dir``.

    Parameters
    ----------
    dataset : str or Path, default="mnist"
        A name :func:`ssaae.datasets.load_dataset` knows, or a ``.csv`` or ``.npy`` file, split as
        :func:`ssaae.bench.data.benchmark_dataset` says.
    classes : iterable of int, default=()
        The normal classes, as the data set's labels; empty for every class of its training split.
    seeds : int or iterable of int, default=5
        The seeds, or their number: ``5`` is seeds 0 to 4.
    methods : iterable of str, default=all of METHODS
    out_dir : str or Path, optional
        Where ``runs.csv`` and ``results.md`` go; default ``benchmarks/results/<dataset>-one-class``
        (a file's stem for ``<dataset>``).
    aae_params : dict, optional
        Parameters of :class:`~ssaae.AAEClustering`; ``max_iter`` (epochs) is :data:`EPOCHS`
        and the others :data:`AAE_SETTINGS` unless given.
    data_dir, progress, command, label_column
        As for :func:`ssaae.bench.label_efficiency.run_benchmark`.

    Returns
    -------
    pandas.DataFrame
        Every row of ``runs.csv``, one per method and finished run, with the columns of
        ``RUNS_FILE``; ``seconds`` is the wall time of training and scoring.

    Examples
    --------
    >>> import tempfile
    >>> with tempfile.TemporaryDirectory() as folder:
    ...     runs = run_benchmark("digits", classes=[3], seeds=1, methods=["isolation-forest"], out_dir=folder,
    ...                          progress=False)
    >>> runs[["method", "normal_class", "seed"]].to_dict("records"), bool(runs["test_auroc"][0] > 50)
    ([{'method': 'isolation-forest', 'normal_class': 3, 'seed': 0}], True)
    """
    aae_params = {"max_iter": EPOCHS, **AAE_SETTINGS, **(aae_params or {})}
    if "random_state" in aae_params:
        raise ValueError("random_state is set by the seeds; pass seeds instead")
    aae = METHODS["aae"](None, aae_params)
    aae._validate_params()  # bad aae_params fail here, before anything is written
    data = benchmark_dataset(dataset, data_dir, label_column)
    known = np.unique(data.y_train)
    methods, classes, seeds = run_grid(methods, METHODS, list(classes) or known, seeds)
    missing = sorted(set(classes) - set(known.tolist()))
    if missing:
        raise ValueError(f"{data.name} has no training rows of class {missing[0]}; its classes: "
                         f"{', '.join(map(str, known))}")
    if command is None:
        command = (f"run_benchmark({str(dataset)!r}, classes={classes}, seeds={seeds}, methods={methods}, "
                   f"out_dir={out_dir!r}, aae_params={aae_params}, data_dir={data_dir!r}, "
                   f"label_column={label_column!r})")
    epochs = {name: int(aae.max_iter) if name == "aae" else None for name in methods}
    out_dir = Path(out_dir or Path("benchmarks/results") / f"{data.name}-one-class")
    runs_csv = out_dir / "runs.csv"
    finished = RUNS_FILE.finished(runs_csv)
    runs = [(data.name, name, normal, seed, epochs[name]) for normal in classes for seed in seeds for name in methods]
    pending = [run for run in runs if run not in finished]
    check_settings(out_dir, {name: estimator_settings(METHODS[name](None, aae_params)) for name in methods},
                   finished_methods={run[1] for run in finished})
    write_summary(out_dir, command)
    run_each(out_dir, RUNS_FILE, pending,
             lambda run: _train_and_score(METHODS[run[1]](run[3], aae_params), data, run[2]),
             lambda run: f"{run[1]}, class {run[2]}, seed {run[3]}", lambda: write_summary(out_dir, command),
             f"{data.name} one-class runs", progress)
    return read_runs(runs_csv)


def _train_and_score(estimator, data, normal):
    start = time.perf_counter()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)  # the autoencoder's iteration cap is its setting
        estimator.fit(data.X_train[data.y_train == normal])
    aurocs = {f"{split}_auroc": round(100 * float(roc_auc_score(y == normal, estimator.score_samples(X))), 2)
              for split, X, y in (("test", data.X_test, data.y_test), ("validation", data.X_val, data.y_val))}
    return {**aurocs, "seconds": round(time.perf_counter() - start, 1),
            "finished_at": datetime.now().astimezone().isoformat(timespec="seconds")}


def read_runs(runs_csv):
    """The finished runs of a one-class ``runs.csv`` as a DataFrame; empty when there is no file
    yet. A last line cut short by a kill is left out."""
    return RUNS_FILE.read(runs_csv)


def summarize(runs_csv):
    """Mean and standard deviation of the AUROCs per data set, method, epoch budget and normal
    class, with the number of runs and the mean minutes per run; and the same of each seed's mean
    over the classes, as ``normal_class`` "all" (minutes: all the classes' runs of a seed).

    Returns
    -------
    pandas.DataFrame
        Columns ``dataset, method, epochs, normal_class, runs, test_auroc_mean, test_auroc_std,
        validation_auroc_mean, validation_auroc_std, minutes_mean``.
    """
    return _summarize(read_runs(runs_csv))


METRICS = ("test_auroc", "validation_auroc")


def _summarize(runs):
    by_seed = runs.groupby(["dataset", "method", "epochs", "seed"], dropna=False)
    means = by_seed.agg({**dict.fromkeys(METRICS, "mean"), "seconds": "sum"}).reset_index()
    means["classes"] = by_seed["normal_class"].nunique().to_numpy()
    # a seed's mean counts once it covers every class the method has runs of
    complete = means["classes"] == means.groupby(["dataset", "method"])["classes"].transform("max")
    means = means[complete].assign(normal_class="all")
    per_class = runs.astype({"normal_class": str})
    return summarize_runs(pd.concat([per_class, means], ignore_index=True), ("epochs", "normal_class"), METRICS,
                          METHODS)


def summary_tables(summary):
    """Markdown tables of a :func:`summarize` frame for each data set: the test and validation
    AUROC over all the classes, the test AUROC of each normal class, and minutes."""
    if summary.empty:
        return "No finished runs yet.\n"
    sections = []
    for dataset, part in summary.groupby("dataset", sort=False):
        overall = part[part["normal_class"] == "all"]
        per_class = part[part["normal_class"] != "all"].astype({"normal_class": int})
        spread = "(mean ± std over n seeds)"
        tables = [
            (f"Test AUROC, %, the mean over the normal classes {spread}", overall, "{} classes",
             metric_cell("test_auroc")),
            (f"Validation AUROC (what settings are chosen by), %, the mean over the normal classes {spread}",
             overall, "{} classes", metric_cell("validation_auroc")),
            (f"Test AUROC, %, by normal class {spread}", per_class, "class {}", metric_cell("test_auroc")),
            ("Epochs and minutes for all the classes of a seed (means)", overall, "{} classes", budget_cell),
        ]
        sections.append(f"## {dataset}\n\n" + "".join(
            f"{title}\n\n{markdown_table(rows, 'normal_class', heading, cell)}\n"
            for title, rows, heading, cell in tables if not rows.empty))
    return "\n".join(sections)


def write_summary(out_dir, command):
    """Write ``out_dir/results.md`` from ``out_dir/runs.csv``: the tables of :func:`summary_tables`,
    the methods, the command, the package versions, the machine and the date; returns its path."""
    return write_results(out_dir, RUNS_FILE, _describe, command)


def _describe(runs):
    return [
        "# One-class anomaly detection",
        "",
        ("For each normal class and seed, each method learns from the training rows of that class alone and "
         "scores every validation and test row; the area under the ROC curve (percent) takes the normal class's "
         "rows as positives. Nothing is tuned on the test split. Every run is a row of runs.csv; a mean over "
         "the classes (\"all\") counts a seed once it has every class."),
        "",
        summary_tables(_summarize(runs)),
        "## Methods",
        "",
        *[f"- `{name}`: {DESCRIPTIONS[name]}" for name in METHODS if name in set(runs["method"])],
        "",
    ]
