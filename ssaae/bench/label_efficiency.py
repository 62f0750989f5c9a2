"""The label-efficiency benchmark: test error against the number of labels, for the semi-supervised
AAE and the baselines it should beat.

For every label count and seed, one balanced labeled subset is drawn from the training split
(:func:`ssaae.datasets.make_semisupervised`) and every method trains on it with that seed. A run's
errors are measured on the validation and the test split; nothing is tuned on either. Each
finished run is appended to ``runs.csv`` at once and ``results.md`` is rewritten from it, so a
killed benchmark loses only the run in progress and a rerun resumes where it stopped; a rerun with
other settings for a method that has runs there stops with an error (``settings.json``). Processes
started on the same folder share its runs: each takes the runs no other has taken.

The methods (:data:`METHODS`):

- ``aae``: :class:`~ssaae.SemiSupervisedAAEClassifier` with the project's defaults, trained for
  :data:`EPOCHS` epochs unless told otherwise (as are the other AAE methods).
- ``aae-paper``: the settings Makhzani et al. (2015) state, as far as the estimator has them;
  :data:`PAPER_ASSUMPTIONS` says what is kept and what had to be assumed.
- ``labels-only``: the ``aae`` encoder and class head trained by cross-entropy on the labeled rows
  alone, for as many steps (:class:`ssaae.bench.baselines.LabelsOnlyAAEClassifier`).
- ``consistency-only``: the same, plus the ``aae``'s consistency term on every row, with no decoder
  and no discriminators (:class:`ssaae.bench.baselines.ConsistencyOnlyAAEClassifier`): what the
  adversarial autoencoder adds to the consistency term.
- ``label-spreading``: scikit-learn's ``LabelSpreading(kernel="knn", n_neighbors=10)``.
- ``self-training``: scikit-learn's ``SelfTrainingClassifier`` around a logistic regression.
- ``logistic-regression``: a logistic regression on the labeled rows alone, what a user with a
  table tries first (:class:`ssaae.bench.baselines.LabeledRowsLogisticRegression`).
"""

import functools
import time
import warnings
from datetime import datetime
from pathlib import Path

from sklearn.exceptions import ConvergenceWarning
from sklearn.linear_model import LogisticRegression
from sklearn.semi_supervised import LabelSpreading, SelfTrainingClassifier

from ..classifier import SemiSupervisedAAEClassifier
from ..datasets import make_semisupervised
from .baselines import ConsistencyOnlyAAEClassifier, LabeledRowsLogisticRegression, LabelsOnlyAAEClassifier
from .data import benchmark_dataset
from .runs import RunsFile, check_settings, estimator_settings, run_each, run_grid, write_results
from .tables import budget_cell, markdown_table, metric_cell, summarize_runs

RUNS_FILE = RunsFile("label-efficiency", {
    "dataset": str, "method": str, "labels": int, "seed": int, "test_error": float, "validation_error": float,
    "epochs": "Int64", "seconds": float, "finished_at": str,
}, key=("dataset", "method", "labels", "seed", "epochs"), optional=("epochs",))
COLUMNS = RUNS_FILE.columns
# The AAE methods' validation error after each epoch, against the seconds of training so far: a
# run's rows share its key and finished_at with its row of runs.csv.
CURVES_FILE = RunsFile("label-efficiency curves", {
    "dataset": str, "method": str, "labels": int, "seed": int, "epochs": int, "epoch": int, "seconds": float,
    "validation_error": float, "finished_at": str,
}, key=("dataset", "method", "labels", "seed", "epochs", "epoch"))

# The training time after which results.md gives each AAE method's validation error: time to
# accuracy as a user meets it.
BUDGET_SECONDS = 180
EPOCHS = SemiSupervisedAAEClassifier().max_iter  # the AAE methods' unless told (benchmarks/HISTORY.md)

# What the paper states, pinned so that the preset stays the paper's when the defaults are tuned.
PAPER_SETTINGS = {
    "hidden_layer_sizes": (1000, 1000),
    "discriminator_layer_sizes": (1000, 1000),
    "style_dim": 10,
    "input_noise": 0.3,
    "batch_norm": False,
    "consistency_weight": 0.0,
    "consistency_rampup": 0,
    "consistency_ramp": "linear",
    "balance_weight": 0.0,
    "batch_size": 100,
    "labeled_batch_size": 100,
    "optimizer": "sgd",
    "reconstruction_lr": 0.01 / 784,  # the paper's 0.01 for a cost averaged over MNIST's pixels; ours sums them
    "regularization_lr": 0.1,
    "semi_supervised_lr": 0.1,
    "learning_rate_drops": (50, 1000),
    "learning_rate_decay": 0.0,
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
50,000 rows to train on and 10,000 to validate; the epoch budget of the other AAE methods;
a reconstruction cost averaged over the 784 pixels, which for SGD is the estimator's
summed cost at a learning rate of 0.01 / 784 (with the summed cost at 0.01 the first epoch
diverges to NaN).
"""


def semi_supervised_aae(random_state=None, **aae_params):
    """SemiSupervisedAAEClassifier with the project's defaults but for the command's --param settings."""
    return SemiSupervisedAAEClassifier(random_state=random_state).set_params(**aae_params)


def paper_aae(random_state=None, **aae_params):
    """SemiSupervisedAAEClassifier with the paper's stated settings (PAPER_SETTINGS), then the --param ones."""
    return SemiSupervisedAAEClassifier(random_state=random_state, **PAPER_SETTINGS).set_params(**aae_params)


def labels_only(random_state=None, **aae_params):
    """The aae encoder and class head, cross-entropy on the labeled rows alone, as many steps."""
    return LabelsOnlyAAEClassifier(random_state=random_state).set_params(**aae_params)


def consistency_only(random_state=None, **aae_params):
    """The aae encoder and class head, cross-entropy on the labeled rows and the aae's consistency term on
    all rows, no decoder or discriminators, as many steps."""
    return ConsistencyOnlyAAEClassifier(random_state=random_state).set_params(**aae_params)


def label_spreading(random_state=None, **aae_params):
    """LabelSpreading(kernel="knn", n_neighbors=10), other settings scikit-learn's defaults."""
    return LabelSpreading(kernel="knn", n_neighbors=10)  # deterministic: no random_state to pass


def self_training(random_state=None, **aae_params):
    """SelfTrainingClassifier(LogisticRegression(max_iter=200), threshold=0.9, max_iter=10)."""
    # pseudo-labels only where the regression is 90% sure, and at most 10 refits: they bound its time
    return SelfTrainingClassifier(LogisticRegression(max_iter=200), threshold=0.9, max_iter=10)


def logistic_regression(random_state=None, **aae_params):
    """LogisticRegression(max_iter=1000) on the labeled rows alone."""
    return LabeledRowsLogisticRegression(max_iter=1000)


METHODS = {
    "aae": semi_supervised_aae,
    "aae-paper": paper_aae,
    "labels-only": labels_only,
    "consistency-only": consistency_only,
    "label-spreading": label_spreading,
    "self-training": self_training,
    "logistic-regression": logistic_regression,
}


def epoch_budget(estimator):
    """Epochs over all training rows an AAE method is given (``labels-only`` takes as many
    minibatch steps); None for the scikit-learn baselines, which do not train in epochs."""
    if isinstance(estimator, SemiSupervisedAAEClassifier):
        return int(estimator.max_iter)
    return None


def run_benchmark(dataset, labels=(100, 1000), seeds=5, methods=tuple(METHODS), out_dir=None, aae_params=None,
                  data_dir=None, progress=True, command=None, label_column="label"):
    """Train and score every method on every label count and seed; resume an interrupted benchmark,
    or share its runs with other processes on the same ``out_dir``.

    Parameters
    ----------
    dataset : str or Path
        A name :func:`ssaae.datasets.load_dataset` knows, or a ``.csv`` or ``.npy`` file, split
        as :func:`ssaae.bench.data.benchmark_dataset` says.
    labels : iterable of int, default=(100, 1000)
        Labeled training rows per run.
    seeds : int or iterable of int, default=5
        The seeds, or their number: ``5`` is seeds 0 to 4. A seed draws the labeled subset and
        seeds the training.
    methods : iterable of str, default=all of METHODS
    out_dir : str or Path, optional
        Where ``runs.csv`` and ``results.md`` go; default ``benchmarks/results/<dataset>`` (a
        file's stem).
    aae_params : dict, optional
        Parameters of SemiSupervisedAAEClassifier for the AAE methods (``aae``, ``aae-paper``,
        ``labels-only``), e.g. ``{"style_dim": 5}``; they override the ``aae-paper`` settings.
        ``max_iter`` (epochs) is :data:`EPOCHS` unless given.
    data_dir : str or Path, optional
        Passed to :func:`ssaae.datasets.load_dataset`.
    progress : bool, default=True
        Show a progress bar over the runs, with the time left.
    command : str, optional
        How the benchmark was started, for ``results.md``; default a description of this call.
    label_column : str, default="label"
        The label column of a CSV file.

    Returns
    -------
    pandas.DataFrame
        Every row of ``runs.csv``: one per finished run, with the columns of :data:`COLUMNS`,
        whichever process ran it. Errors are in percent; ``seconds`` is the wall time of the fit
        and of scoring both splits; ``epochs`` is empty for the scikit-learn baselines.

    Examples
    --------
    >>> import os
    >>> import tempfile
    >>> with tempfile.TemporaryDirectory() as folder:
    ...     runs = run_benchmark("digits", labels=[50], seeds=2, methods=["label-spreading"],
    ...                          out_dir=folder, progress=False)
    ...     print(sorted(os.listdir(folder)))
    ['results.md', 'runs.csv', 'settings.json']
    >>> runs[["method", "labels", "seed"]].to_dict("records")
    [{'method': 'label-spreading', 'labels': 50, 'seed': 0}, {'method': 'label-spreading', 'labels': 50, 'seed': 1}]
    """
    methods, labels, seeds = run_grid(methods, METHODS, labels, seeds)
    aae_params = {"max_iter": EPOCHS, **(aae_params or {})}
    if "random_state" in aae_params:
        raise ValueError("random_state is set by the seeds; pass seeds instead")
    if command is None:
        command = (f"run_benchmark({str(dataset)!r}, labels={labels}, seeds={seeds}, methods={methods}, "
                   f"out_dir={out_dir!r}, aae_params={aae_params}, data_dir={data_dir!r}, "
                   f"label_column={label_column!r})")
    estimators = {name: METHODS[name](**aae_params) for name in methods}
    for estimator in estimators.values():
        estimator._validate_params()  # bad aae_params fail here, before anything is written
    epochs = {name: epoch_budget(estimator) for name, estimator in estimators.items()}

    data = benchmark_dataset(dataset, data_dir, label_column)
    out_dir = Path(out_dir or Path("benchmarks/results") / data.name)
    runs_csv = out_dir / "runs.csv"
    finished = RUNS_FILE.finished(runs_csv)
    # Each run as its key in runs.csv: (dataset, method, labels, seed, epochs).
    runs = [(data.name, name, n_labels, seed, epochs[name]) for n_labels in labels for seed in seeds for name in methods]
    pending = [run for run in runs if run not in finished]
    # One draw per label count and seed, shared by every method (and checked before any training).
    subsets = {(n_labels, seed): make_semisupervised(data.y_train, n_labels, random_state=seed)
               for _, _, n_labels, seed, _ in pending}

    check_settings(out_dir, {name: estimator_settings(estimator) for name, estimator in estimators.items()},
                   finished_methods={run[1] for run in finished})
    write_summary(out_dir, command)

    def run_one(run):
        _, name, n_labels, seed, _ = run
        estimator = METHODS[name](random_state=seed, **aae_params)
        scores, curve = _train_and_score(estimator, data, subsets[n_labels, seed])
        for point in curve:  # before the run's row: a curve without its run is left out when read
            CURVES_FILE.append(out_dir / "curves.csv", {**dict(zip(RUNS_FILE.key, run)), **point,
                                                        "finished_at": scores["finished_at"]})
        return scores

    run_each(out_dir, RUNS_FILE, pending, run_one, lambda run: f"{run[1]}, {run[2]} labels, seed {run[3]}",
             lambda: write_summary(out_dir, command), f"{data.name} runs", progress)
    return read_runs(runs_csv)


def _train_and_score(estimator, data, y):
    """The run's scores, and for an AAE method its validation curve: one dict per epoch."""
    start = time.perf_counter()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)  # the baselines' iteration caps are their settings
        if isinstance(estimator, SemiSupervisedAAEClassifier):
            estimator.fit(data.X_train, y, validation_data=(data.X_val, data.y_val))
        else:
            estimator.fit(data.X_train, y)
        test_error = 100 * (1 - estimator.score(data.X_test, data.y_test))
        validation_error = 100 * (1 - estimator.score(data.X_val, data.y_val))
    scores = {
        "test_error": round(float(test_error), 4),
        "validation_error": round(float(validation_error), 4),
        "seconds": round(time.perf_counter() - start, 1),
        "finished_at": datetime.now().astimezone().isoformat(timespec="seconds"),
    }
    curve = [{"epoch": epoch, "seconds": round(record["seconds"], 2),
              "validation_error": round(100 * record["validation_error"], 4)}
             for epoch, record in enumerate(getattr(estimator, "history_", []), start=1)]
    return scores, curve


def read_curves(out_dir):
    """The validation curves of a results folder's finished runs: a row per run and epoch, with
    the columns of ``CURVES_FILE``; a curve whose run is not in runs.csv (cut short by a kill) is
    left out."""
    out_dir = Path(out_dir)
    runs = read_runs(out_dir / "runs.csv")
    curves = CURVES_FILE.read(out_dir / "curves.csv")
    if curves.empty or runs.empty:
        return curves.iloc[:0]
    finished = runs.dropna(subset=["epochs"])[[*RUNS_FILE.key, "finished_at"]].astype({"epochs": int})
    return curves.merge(finished, on=[*RUNS_FILE.key, "finished_at"])


def read_runs(runs_csv):
    """The finished runs of a ``runs.csv`` as a DataFrame with the columns of :data:`COLUMNS`;
    empty when there is no file yet. A last line cut short by a kill is left out."""
    return RUNS_FILE.read(runs_csv)


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
    return _summarize(read_runs(runs_csv))


def _summarize(runs):
    return summarize_runs(runs, ("epochs", "labels"), ("test_error", "validation_error"), METHODS)


def summary_tables(summary):
    """Markdown tables of a :func:`summarize` frame: test error, validation error, and epochs and
    minutes per run, with a row per method and a column per label count, for each data set."""
    if summary.empty:
        return "No finished runs yet.\n"
    sections = []
    for dataset, part in summary.groupby("dataset", sort=False):
        tables = [markdown_table(part, "labels", "{} labels", cell) for cell in (
            metric_cell("test_error"), metric_cell("validation_error"), budget_cell)]
        sections.append(f"## {dataset}\n\n"
                        f"Test error, % (mean ± std over n runs)\n\n{tables[0]}\n"
                        f"Validation error, % (mean ± std over n runs)\n\n{tables[1]}\n"
                        f"Epochs and minutes per run (means)\n\n{tables[2]}")
    return "\n".join(sections)


def errors_within(curves, seconds=BUDGET_SECONDS):
    """Each run's validation error after the last epoch that ended within ``seconds`` of training,
    with that epoch's ``seconds``; a row per run of a :func:`read_curves` frame, runs with no such
    epoch left out.

    Examples
    --------
    >>> import pandas as pd
    >>> curves = pd.DataFrame({"dataset": "d", "method": "aae", "labels": 10, "seed": 0, "epochs": 3,
    ...                        "epoch": [1, 2, 3], "seconds": [50.0, 100.0, 150.0],
    ...                        "validation_error": [9.0, 5.0, 4.0], "finished_at": "t"})
    >>> errors_within(curves, 120)[["epoch", "seconds", "validation_error"]].to_dict("records")
    [{'epoch': 2, 'seconds': 100.0, 'validation_error': 5.0}]
    """
    within = curves[curves["seconds"] <= seconds].sort_values("epoch")
    return within.groupby([*RUNS_FILE.key, "finished_at"]).tail(1).reset_index(drop=True)


def write_summary(out_dir, command):
    """Write ``out_dir/results.md`` from ``out_dir/runs.csv`` and its curves: the tables of
    :func:`summary_tables`, the AAE methods' validation error within :data:`BUDGET_SECONDS` of
    training, the methods' settings, the command, the package versions, the machine and the date;
    returns its path."""
    budget = summarize_runs(errors_within(read_curves(out_dir)), ("epochs", "labels"), ("validation_error",), METHODS)
    return write_results(out_dir, RUNS_FILE, functools.partial(_describe, budget=budget), command)


def _describe(runs, budget):
    methods = [name for name in METHODS if name in set(runs["method"])]
    lines = [
        "# Label efficiency",
        "",
        ("Each run draws a balanced labeled subset of the training split with its seed (the same subset "
         "for every method), trains with that seed, and is scored on the validation and the test split; "
         "nothing is tuned on either. Every run is a row of runs.csv."),
        "",
        summary_tables(_summarize(runs)),
    ]
    for dataset, part in budget.groupby("dataset", sort=False):
        title = (f"Validation error, %, of {dataset} after the last epoch that ended within {BUDGET_SECONDS} s of "
                 "training (mean ± std over n runs; curves.csv)")
        lines += [title, "",
                  markdown_table(part, "labels", "{} labels", metric_cell("validation_error"))]
    lines += [
        "## Methods",
        "",
        *[f"- `{name}`: {METHODS[name].__doc__}" for name in methods],
        "",
    ]
    if "aae-paper" in methods:
        lines += ["What `aae-paper` keeps from the paper and what it assumes:", "", PAPER_ASSUMPTIONS]
    return lines
