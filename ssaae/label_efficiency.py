"""The label-efficiency benchmark: test error against the number of labels, for the semi-supervised
AAE and the baselines it should beat.

For every label count and seed, one balanced labeled subset is drawn from the training split
(:func:`ssaae.datasets.make_semisupervised`) and every method trains on it with that seed. A run's
errors are measured on the validation and the test split; nothing is tuned on either. Each
finished run is appended to ``runs.csv`` at once and ``results.md`` is rewritten from it, so a
killed benchmark loses only the run in progress and a rerun resumes where it stopped.

The methods (:data:`METHODS`):

- ``aae``: :class:`~ssaae.SemiSupervisedAAEClassifier` with the project's defaults.
- ``aae-paper``: the settings Makhzani et al. (2015) state, as far as the estimator has them;
  :data:`PAPER_ASSUMPTIONS` says what is kept and what had to be assumed.
- ``labels-only``: the ``aae`` encoder and class head trained by cross-entropy on the labeled rows
  alone, for as many steps (:class:`ssaae.baselines.LabelsOnlyAAEClassifier`).
- ``label-spreading``: scikit-learn's ``LabelSpreading(kernel="knn", n_neighbors=10)``.
- ``self-training``: scikit-learn's ``SelfTrainingClassifier`` around a logistic regression.
"""

import csv
import os
import platform
import subprocess
import time
import warnings
from datetime import datetime
from importlib import metadata
from numbers import Integral
from pathlib import Path

import numpy as np
import pandas as pd
import sklearn
import torch
from sklearn.exceptions import ConvergenceWarning
from sklearn.linear_model import LogisticRegression
from sklearn.semi_supervised import LabelSpreading, SelfTrainingClassifier
from tqdm.auto import tqdm

from .baselines import LabelsOnlyAAEClassifier
from .classifier import SemiSupervisedAAEClassifier
from .datasets import load_dataset, make_semisupervised

COLUMNS = ("dataset", "method", "labels", "seed", "test_error", "validation_error", "epochs", "seconds",
           "finished_at")

# What the paper states, pinned so that the preset stays the paper's when the defaults are tuned.
PAPER_SETTINGS = {
    "hidden_layer_sizes": (1000, 1000),
    "discriminator_layer_sizes": (1000, 1000),
    "style_dim": 10,
    "input_noise": 0.3,
    "batch_size": 100,
    "labeled_batch_size": 100,
    "optimizer": "sgd",
    "reconstruction_lr": 0.01,
    "regularization_lr": 0.1,
    "semi_supervised_lr": 0.1,
    "learning_rate_drops": (50, 1000),
}

PAPER_ASSUMPTIONS = """\
Kept from the paper: encoder, decoder and both discriminators with two hidden layers of 1000 ReLU
units; a 10-way softmax class head with a categorical prior and a 10-d linear style head with a
N(0, I) prior; Gaussian noise of standard deviation 0.3 on the input, in training only; per
minibatch a reconstruction step, a regularization step (discriminators, then the encoder) and a
semi-supervised cross-entropy step; SGD with momentum 0.9 (reconstruction, classification) and
0.1 (adversarial steps) at learning rates 0.01 (reconstruction) and 0.1 (adversarial,
classification), each divided by 10 at epochs 50 and 1000 (only the drops inside the epoch budget
happen); the 10,000 t10k images for test.

Assumed, because the paper does not say: 100 unlabeled rows per minibatch and 100 labeled rows,
drawn with replacement, per semi-supervised step; the usual split of MNIST's training set into
50,000 rows to train on and 10,000 to validate; the epoch budget of the project's defaults
(max_iter).
"""


def semi_supervised_aae(random_state=None, **aae_params):
    """SemiSupervisedAAEClassifier with the project's defaults."""
    return SemiSupervisedAAEClassifier(random_state=random_state).set_params(**aae_params)


def paper_aae(random_state=None, **aae_params):
    """SemiSupervisedAAEClassifier with the paper's stated settings (PAPER_SETTINGS)."""
    return SemiSupervisedAAEClassifier(random_state=random_state, **PAPER_SETTINGS).set_params(**aae_params)


def labels_only(random_state=None, **aae_params):
    """The aae encoder and class head, cross-entropy on the labeled rows alone, as many steps."""
    return LabelsOnlyAAEClassifier(random_state=random_state).set_params(**aae_params)


def label_spreading(random_state=None, **aae_params):
    """LabelSpreading(kernel="knn", n_neighbors=10), other settings scikit-learn's defaults."""
    return LabelSpreading(kernel="knn", n_neighbors=10)  # deterministic: no random_state to pass


def self_training(random_state=None, **aae_params):
    """SelfTrainingClassifier(LogisticRegression(max_iter=200), threshold=0.9, max_iter=10)."""
    # Pseudo-labels only where the regression is 90% sure, at most 10 refits: on 10,000 MNIST rows
    # on one slow core the whole fit took 6 s (100 labels) to 12 s (1000), about a minute on 50,000.
    return SelfTrainingClassifier(LogisticRegression(max_iter=200), threshold=0.9, max_iter=10)


METHODS = {
    "aae": semi_supervised_aae,
    "aae-paper": paper_aae,
    "labels-only": labels_only,
    "label-spreading": label_spreading,
    "self-training": self_training,
}


def epoch_budget(estimator):
    """Epochs over all training rows an AAE method is given (``labels-only`` takes as many
    minibatch steps); None for the scikit-learn baselines, which do not train in epochs."""
    if isinstance(estimator, SemiSupervisedAAEClassifier):
        return int(estimator.max_iter)
    return None


def run_benchmark(dataset, labels=(100, 1000), seeds=5, methods=tuple(METHODS), out_dir=None, aae_params=None,
                  data_dir=None, progress=True, command=None):
    """Train and score every method on every label count and seed; resume an interrupted benchmark.

    Parameters
    ----------
    dataset : str
        A name :func:`ssaae.datasets.load_dataset` knows.
    labels : iterable of int, default=(100, 1000)
        Labeled training rows per run.
    seeds : int or iterable of int, default=5
        The seeds, or their number: ``5`` is seeds 0 to 4. A seed draws the labeled subset and
        seeds the training.
    methods : iterable of str, default=all of METHODS
    out_dir : str or Path, optional
        Where ``runs.csv`` and ``results.md`` go; default ``benchmarks/results/<dataset>``.
    aae_params : dict, optional
        Parameters of SemiSupervisedAAEClassifier for the AAE methods (``aae``, ``aae-paper``,
        ``labels-only``), e.g. ``{"max_iter": 50}``; they override the ``aae-paper`` settings.
    data_dir : str or Path, optional
        Passed to :func:`ssaae.datasets.load_dataset`.
    progress : bool, default=True
        Show a progress bar over the runs, with the time left.
    command : str, optional
        How the benchmark was started, for ``results.md``; default a description of this call.

    Returns
    -------
    pandas.DataFrame
        Every row of ``runs.csv``: one per finished run, with the columns of :data:`COLUMNS`.
        Errors are in percent; ``seconds`` is the wall time of the fit and of scoring both
        splits; ``epochs`` is empty for the scikit-learn baselines.

    Examples
    --------
    >>> import tempfile
    >>> with tempfile.TemporaryDirectory() as folder:
    ...     runs = run_benchmark("digits", labels=[50], seeds=2, methods=["label-spreading"],
    ...                          out_dir=folder, progress=False)
    ...     print(sorted(os.listdir(folder)))
    ['results.md', 'runs.csv']
    >>> runs[["method", "labels", "seed"]].to_dict("records")
    [{'method': 'label-spreading', 'labels': 50, 'seed': 0}, {'method': 'label-spreading', 'labels': 50, 'seed': 1}]
    """
    methods = list(dict.fromkeys(methods))
    unknown = [name for name in methods if name not in METHODS]
    if unknown:
        raise ValueError(f"unknown method {unknown[0]!r}; known: {', '.join(METHODS)}")
    if not methods:
        raise ValueError("no method to run")
    labels = [int(n) for n in dict.fromkeys(labels)]
    seeds = list(range(seeds)) if isinstance(seeds, Integral) else [int(seed) for seed in dict.fromkeys(seeds)]
    aae_params = dict(aae_params or {})
    if "random_state" in aae_params:
        raise ValueError("random_state is set by the seeds; pass seeds instead")
    if command is None:
        command = (f"run_benchmark({dataset!r}, labels={labels}, seeds={seeds}, methods={methods}, "
                   f"out_dir={out_dir!r}, aae_params={aae_params}, data_dir={data_dir!r})")
    epochs = {name: epoch_budget(METHODS[name](**aae_params)) for name in methods}  # bad aae_params fail here

    data = load_dataset(dataset, data_dir)
    out_dir = Path(out_dir or Path("benchmarks/results") / dataset)
    runs_csv = out_dir / "runs.csv"
    finished = {_run_key(run) for run in read_runs(runs_csv).to_dict("records")}
    pending = [(n_labels, seed, name) for n_labels in labels for seed in seeds for name in methods
               if (dataset, name, n_labels, seed, epochs[name]) not in finished]
    # One draw per label count and seed, shared by every method (and checked before any training).
    subsets = {(n_labels, seed): make_semisupervised(data.y_train, n_labels, random_state=seed)
               for n_labels, seed, _ in pending}

    out_dir.mkdir(parents=True, exist_ok=True)
    write_summary(out_dir, command)
    with tqdm(pending, desc=f"{dataset} runs", unit="run", disable=not progress) as bar:
        for n_labels, seed, name in bar:
            bar.set_postfix_str(f"{name}, {n_labels} labels, seed {seed}")
            estimator = METHODS[name](random_state=seed, **aae_params)
            scores = _train_and_score(estimator, data, subsets[n_labels, seed])
            append_run(runs_csv, {"dataset": dataset, "method": name, "labels": n_labels, "seed": seed, **scores,
                                  "epochs": epochs[name]})
            write_summary(out_dir, command)
    return read_runs(runs_csv)


def _train_and_score(estimator, data, y):
    start = time.perf_counter()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)  # the baselines' iteration caps are their settings
        estimator.fit(data.X_train, y)
        test_error = 100 * (1 - estimator.score(data.X_test, data.y_test))
        validation_error = 100 * (1 - estimator.score(data.X_val, data.y_val))
    return {
        "test_error": round(float(test_error), 4),
        "validation_error": round(float(validation_error), 4),
        "seconds": round(time.perf_counter() - start, 1),
        "finished_at": datetime.now().astimezone().isoformat(timespec="seconds"),
    }


def _run_key(run):
    epochs = None if pd.isna(run["epochs"]) else int(run["epochs"])
    return run["dataset"], run["method"], int(run["labels"]), int(run["seed"]), epochs


def read_runs(runs_csv):
    """The finished runs of a ``runs.csv`` as a DataFrame with the columns of :data:`COLUMNS`;
    empty when there is no file yet. A last line cut short by a kill is left out."""
    path = Path(runs_csv)
    if not path.is_file() or path.stat().st_size == 0:
        return pd.DataFrame({column: [] for column in COLUMNS})
    runs = pd.read_csv(path, dtype={"dataset": str, "method": str, "finished_at": str})
    if tuple(runs.columns) != COLUMNS:
        raise ValueError(f"{path} is not a label-efficiency runs.csv: its columns are {', '.join(runs.columns)}")
    runs = runs.dropna(subset=[column for column in COLUMNS if column != "epochs"]).reset_index(drop=True)
    return runs.astype({"labels": int, "seed": int, "epochs": "Int64"})


def append_run(runs_csv, row):
    """Append one run to ``runs_csv``, writing the header first if the file is new."""
    path = Path(runs_csv)
    new = not path.is_file() or path.stat().st_size == 0
    with open(path, "a+b") as file:
        if not new:
            file.seek(-1, os.SEEK_END)
            if file.read(1) != b"\n":  # a line cut short by a kill: end it, read_runs drops it
                file.write(b"\n")
    with open(path, "a", newline="") as file:
        writer = csv.DictWriter(file, COLUMNS)
        if new:
            writer.writeheader()
        writer.writerow(row)


def summarize(runs_csv):
    """Mean and standard deviation of the errors (percent) per data set, method, epoch budget and
    label count, with the number of runs and the mean minutes per run.

    Returns
    -------
    pandas.DataFrame
        Columns ``dataset, method, epochs, labels, runs, test_error_mean, test_error_std,
        validation_error_mean, validation_error_std, minutes_mean``; methods in the order of
        :data:`METHODS`. A standard deviation over one run is NaN.
    """
    runs = read_runs(runs_csv).assign(minutes=lambda runs: runs["seconds"] / 60)
    summary = runs.groupby(["dataset", "method", "epochs", "labels"], dropna=False).agg(
        runs=("test_error", "size"),
        test_error_mean=("test_error", "mean"),
        test_error_std=("test_error", "std"),
        validation_error_mean=("validation_error", "mean"),
        validation_error_std=("validation_error", "std"),
        minutes_mean=("minutes", "mean"),
    ).reset_index()
    order = {name: index for index, name in enumerate(METHODS)}
    summary["method_order"] = summary["method"].map(lambda name: order.get(name, len(order)))
    summary = summary.sort_values(["dataset", "method_order", "method", "epochs", "labels"])
    return summary.drop(columns="method_order").reset_index(drop=True)


def summary_tables(summary):
    """Markdown tables of a :func:`summarize` frame: test error, validation error, and epochs and
    minutes per run, with a row per method and a column per label count, for each data set."""
    if summary.empty:
        return "No finished runs yet.\n"
    sections = []
    for dataset, part in summary.groupby("dataset", sort=False):
        budgets = part.groupby("method", sort=False)["epochs"].nunique(dropna=False)
        part = part.assign(row=[
            f"{method} ({epochs} epochs)" if budgets[method] > 1 else method
            for method, epochs in zip(part["method"], part["epochs"])
        ])
        sections.append(f"## {dataset}\n\n"
                        f"Test error, % (mean ± std over n runs)\n\n{_table(part, _test_error)}\n"
                        f"Validation error, % (mean ± std over n runs)\n\n{_table(part, _validation_error)}\n"
                        f"Epochs and minutes per run (means)\n\n{_table(part, _budget)}")
    return "\n".join(sections)


def _table(part, cell):
    label_counts = sorted(part["labels"].unique())
    lines = ["| method | " + " | ".join(f"{n} labels" for n in label_counts) + " |",
             "| --- |" + " --- |" * len(label_counts)]
    for row, group in part.groupby("row", sort=False):
        by_labels = {record["labels"]: record for record in group.to_dict("records")}
        cells = [cell(by_labels[n]) if n in by_labels else "–" for n in label_counts]
        lines.append(f"| {row} | " + " | ".join(cells) + " |")
    return "\n".join(lines) + "\n"


def _mean_std(mean, std, runs):
    return f"{mean:.2f} ± {std:.2f} ({runs})" if runs > 1 else f"{mean:.2f} ({runs})"


def _test_error(record):
    return _mean_std(record["test_error_mean"], record["test_error_std"], record["runs"])


def _validation_error(record):
    return _mean_std(record["validation_error_mean"], record["validation_error_std"], record["runs"])


def _budget(record):
    minutes = f"{record['minutes_mean']:.1f} min"
    return minutes if pd.isna(record["epochs"]) else f"{record['epochs']} epochs, {minutes}"


def write_summary(out_dir, command):
    """Write ``out_dir/results.md`` from ``out_dir/runs.csv``: the tables of :func:`summary_tables`,
    the methods' settings, the command, the package versions, the machine and the date.

    Returns
    -------
    Path
        The file written.
    """
    out_dir = Path(out_dir)
    runs = read_runs(out_dir / "runs.csv")
    methods = [name for name in METHODS if name in set(runs["method"])]
    lines = [
        "# Label efficiency",
        "",
        ("Each run draws a balanced labeled subset of the training split with its seed (the same subset "
         "for every method), trains with that seed, and is scored on the validation and the test split; "
         "nothing is tuned on either. Every run is a row of runs.csv."),
        "",
        summary_tables(summarize(out_dir / "runs.csv")),
        "## Methods",
        "",
        *[f"- `{name}`: {METHODS[name].__doc__}" for name in methods],
        "",
    ]
    if "aae-paper" in methods:
        lines += ["What `aae-paper` keeps from the paper and what it assumes:", "", PAPER_ASSUMPTIONS]
    lines += [
        "## How these were produced",
        "",
        f"- Command: `{command}`",
        f"- Runs: {len(runs)}" + (f", finished {runs['finished_at'].min()} to {runs['finished_at'].max()}"
                                   if len(runs) else ""),
        f"- Versions: {environment_versions()}",
        f"- Machine: {machine_description()}",
        f"- Written: {datetime.now().astimezone().isoformat(timespec='seconds')}",
        "",
    ]
    path = out_dir / "results.md"
    partial = path.with_name(path.name + ".part")
    partial.write_text("\n".join(lines))
    partial.replace(path)  # readers never see half a file
    return path


def environment_versions():
    """Versions of Python, torch, numpy, scikit-learn and ssaae (with its git revision if known)."""
    versions = (f"python {platform.python_version()}, torch {torch.__version__}, numpy {np.__version__}, "
                f"scikit-learn {sklearn.__version__}, ssaae {metadata.version('ssaae')}")
    revision = _git_revision()
    return f"{versions} ({revision})" if revision else versions


def _git_revision():
    checkout = Path(__file__).resolve().parents[1]
    if not (checkout / ".git").exists():  # an installed copy, not a checkout
        return ""
    try:
        commit = subprocess.run(["git", "-C", checkout, "rev-parse", "--short", "HEAD"], capture_output=True,
                                text=True, check=True, timeout=10).stdout.strip()
        changes = subprocess.run(["git", "-C", checkout, "status", "--porcelain", "--untracked-files=no"],
                                 capture_output=True, text=True, check=True, timeout=10).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return ""
    return f"git {commit}" + (", with uncommitted changes" if changes else "")


def machine_description():
    """CPU model, cores, torch threads and operating system."""
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    threads = torch.get_num_threads()
    return (f"{_cpu_model()}, {cores} cores, torch on {threads} thread{'s' if threads > 1 else ''}, "
            f"{platform.system()} {platform.machine()}")


def _cpu_model():
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.partition(":")[2].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()
