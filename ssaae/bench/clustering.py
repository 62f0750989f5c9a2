"""The clustering benchmark: how well unsupervised clusters follow the classes, for the AAE and
k-means, over several cluster counts and seeds.

For every cluster count and seed, each method clusters the training split without its labels.
Its clusters are then scored on the test split: by the protocol of Makhzani et al. (2015), where
each cluster takes the label of the validation row it ranks highest and every test row is
predicted its cluster's label (:func:`paper_error`); by normalized mutual information and the
adjusted Rand index; and, where there are as many clusters as classes, by the accuracy under the
best one-to-one matching of clusters to classes (:func:`matched_accuracy`). Nothing is tuned on
the test split: the paper's protocol applied to the validation split alone (its rows predicted
the label of their cluster's top validation row) gives the error to select settings by. As in
:mod:`ssaae.bench.label_efficiency`, each finished run is appended to ``runs.csv`` at once and
``results.md`` is rewritten from it, so a rerun resumes (with the same settings:
``settings.json``), and processes started on the same folder share its runs.

The methods (:data:`METHODS`):

- ``aae``: :class:`~ssaae.AAEClustering` with the project's defaults; a cluster ranks rows by
  its output q(cluster|x).
- ``kmeans-pixels``: k-means on the features; a cluster ranks rows by minus their distance to
  its centre.
- ``kmeans-aae-code``: k-means, ranking the same way, on the code of the ``aae`` model of the
  same cluster count and seed (its soft assignments and style codes side by side); the AAE is
  trained once for both methods.
"""

import time
from datetime import datetime
from pathlib import Path

import numpy as np
from scipy.optimize import linear_sum_assignment
from sklearn.cluster import KMeans
from sklearn.metrics import adjusted_rand_score, normalized_mutual_info_score
from sklearn.metrics.cluster import contingency_matrix
from tqdm.auto import tqdm

from ..clustering import AAEClustering
from .data import benchmark_dataset
from .runs import RunsFile, check_settings, estimator_settings, run_grid, run_lock, write_results
from .tables import budget_cell, markdown_table, metric_cell, summarize_runs

RUNS_FILE = RunsFile("clustering", {
    "dataset": str, "method": str, "clusters": int, "seed": int, "test_error": float, "validation_error": float,
    "normalized_mutual_info": float, "adjusted_rand_index": float, "matched_accuracy": float, "epochs": "Int64",
    "seconds": float, "finished_at": str,
}, key=("dataset", "method", "clusters", "seed", "epochs"), optional=("matched_accuracy", "epochs"))

EPOCHS = AAEClustering().max_iter  # the AAE's unless told (benchmarks/HISTORY.md)
METRICS = ("test_error", "validation_error", "normalized_mutual_info", "adjusted_rand_index", "matched_accuracy")

METHODS = {
    "aae": "AAEClustering with the project's defaults but for the command's --param settings; a cluster ranks "
           "validation images by its output q(cluster|x).",
    "kmeans-pixels": "KMeans(n_init=10) on the pixels; a cluster ranks validation images by minus their distance "
                     "to its centre.",
    "kmeans-aae-code": "KMeans(n_init=10) on the code of the aae model of the same run, its soft assignments and "
                       "style codes side by side; ranking as for kmeans-pixels. Its minutes include the AAE's "
                       "training.",
}
# The jobs of a cluster count and seed, with the methods each scores: one AAE serves both of its methods.
_JOBS = {"aae": ("aae", "kmeans-aae-code"), "kmeans-pixels": ("kmeans-pixels",)}


def paper_error(validation_scores, y_validation, test_clusters, y_test):
    """Error rate of clusters used as a classifier, by the protocol of Makhzani et al. (2015).

    Each cluster takes the label of the validation row it scores highest; each test row is
    predicted the label of its cluster.

    Parameters
    ----------
    validation_scores : array-like of shape (n_validation, n_clusters)
        How strongly each cluster claims each validation row, e.g. q(cluster|x), or minus the
        distance to a k-means centre.
    y_validation : array-like of shape (n_validation,)
    test_clusters : array-like of int, shape (n_test,)
        The cluster of each test row.
    y_test : array-like of shape (n_test,)

    Returns
    -------
    float
        The fraction of test rows whose cluster's label is not theirs.

    Examples
    --------
    Cluster 0 ranks the validation row labeled 7 highest, clusters 1 and 2 rows labeled 3:

    >>> scores = [[0.9, 0.1, 0.0],
    ...           [0.2, 0.7, 0.1],
    ...           [0.1, 0.3, 0.6]]
    >>> paper_error(scores, [7, 3, 3], test_clusters=[0, 1, 2, 2], y_test=[7, 3, 3, 5])
    0.25
    """
    cluster_labels = np.asarray(y_validation)[np.argmax(validation_scores, axis=0)]
    return float(np.mean(cluster_labels[np.asarray(test_clusters)] != np.asarray(y_test)))


def matched_accuracy(y_true, clusters):
    """Accuracy of clusters under the best one-to-one matching of clusters to classes.

    The matching (Hungarian, :func:`scipy.optimize.linear_sum_assignment`) maximizes the rows
    whose cluster is matched to their class; a cluster or class left unmatched counts as wrong.

    Examples
    --------
    Cluster 2 is class 0 and cluster 1 class 2; cluster 0 is matched to class 1, which it gets
    right once:

    >>> matched_accuracy(y_true=[0, 0, 1, 1, 2, 2], clusters=[2, 2, 0, 1, 1, 1])
    0.8333333333333334
    """
    counts = contingency_matrix(y_true, clusters)
    classes, matched = linear_sum_assignment(counts, maximize=True)
    return float(counts[classes, matched].sum() / counts.sum())


def score_clustering(validation_scores, y_validation, test_clusters, y_test):
    """The benchmark's scores of one clustering, in its runs.csv columns.

    Returns
    -------
    dict
        ``test_error`` (:func:`paper_error`, percent), ``validation_error`` (the same with the
        validation rows in place of the test rows, each in the cluster that scores it highest),
        ``normalized_mutual_info`` and ``adjusted_rand_index`` of the test clusters against the
        test labels, and ``matched_accuracy`` (percent), NaN unless there are as many clusters as
        classes.

    Examples
    --------
    Two clusters that are the two classes, renamed:

    >>> scores = score_clustering([[0.2, 0.8], [0.9, 0.1]], [5, 6], test_clusters=[1, 1, 0], y_test=[5, 5, 6])
    >>> list(scores.values())
    [0.0, 0.0, 1.0, 1.0, 100.0]
    >>> list(scores)
    ['test_error', 'validation_error', 'normalized_mutual_info', 'adjusted_rand_index', 'matched_accuracy']
    """
    n_clusters = np.shape(validation_scores)[1]
    n_classes = len(np.union1d(y_validation, y_test))
    return {
        "test_error": 100 * paper_error(validation_scores, y_validation, test_clusters, y_test),
        "validation_error": 100 * paper_error(validation_scores, y_validation, np.argmax(validation_scores, axis=1),
                                              y_validation),
        "normalized_mutual_info": float(normalized_mutual_info_score(y_test, test_clusters)),
        "adjusted_rand_index": float(adjusted_rand_score(y_test, test_clusters)),
        "matched_accuracy": 100 * matched_accuracy(y_test, test_clusters) if n_clusters == n_classes else np.nan,
    }


def run_benchmark(dataset="mnist", clusters=(16, 30), seeds=5, methods=tuple(METHODS), out_dir=None,
                  aae_params=None, data_dir=None, progress=True, command=None, label_column="label"):
    """Cluster with every method, cluster count and seed, and score; resume an interrupted benchmark,
    or share its runs with other processes on the same ``out_dir``.

    Parameters
    ----------
    dataset : str or Path, default="mnist"
        A name :func:`ssaae.datasets.load_dataset` knows, or a ``.csv`` or ``.npy`` file, split
        as :func:`ssaae.bench.data.benchmark_dataset` says; its training split is clustered.
    clusters : iterable of int, default=(16, 30)
        Cluster counts.
    seeds : int or iterable of int, default=5
        The seeds, or their number: ``5`` is seeds 0 to 4 (``random_state`` of the AAE and k-means).
    methods : iterable of str, default=all of METHODS
    out_dir : str or Path, optional
        Where ``runs.csv`` and ``results.md`` go; default ``benchmarks/results/<dataset>-clustering``
        (a file's stem for ``<dataset>``).
    aae_params : dict, optional
        Parameters of :class:`~ssaae.AAEClustering`, e.g. ``{"style_dim": 3}``; ``max_iter``
        (epochs) is :data:`EPOCHS` unless given.
    data_dir, progress, command, label_column
        As for :func:`ssaae.bench.label_efficiency.run_benchmark`.

    Returns
    -------
    pandas.DataFrame
        Every row of ``runs.csv``: one per method and finished run, whichever process ran it, with
        the columns of ``RUNS_FILE``; ``seconds`` is the wall time of clustering and scoring (for
        ``kmeans-aae-code`` with the AAE's training), ``epochs`` the AAE's epoch budget.

    Examples
    --------
    >>> import tempfile
    >>> with tempfile.TemporaryDirectory() as folder:
    ...     runs = run_benchmark("digits", clusters=[10], seeds=1, methods=["kmeans-pixels"], out_dir=folder,
    ...                          progress=False)
    >>> runs[["method", "clusters", "seed"]].to_dict("records")
    [{'method': 'kmeans-pixels', 'clusters': 10, 'seed': 0}]
    """
    methods, clusters, seeds = run_grid(methods, METHODS, clusters, seeds)
    aae_params = {"max_iter": EPOCHS, **(aae_params or {})}
    if "n_clusters" in aae_params:
        raise ValueError("n_clusters is set by the cluster counts; pass clusters instead")
    if "random_state" in aae_params:
        raise ValueError("random_state is set by the seeds; pass seeds instead")
    aae = AAEClustering().set_params(**aae_params)
    aae._validate_params()  # bad aae_params fail here, before anything is written
    epochs = int(aae.max_iter)
    budgets = {"aae": epochs, "kmeans-aae-code": epochs, "kmeans-pixels": None}
    if command is None:
        command = (f"run_benchmark({str(dataset)!r}, clusters={clusters}, seeds={seeds}, methods={methods}, "
                   f"out_dir={out_dir!r}, aae_params={aae_params}, data_dir={data_dir!r}, "
                   f"label_column={label_column!r})")

    data = benchmark_dataset(dataset, data_dir, label_column)
    out_dir = Path(out_dir or Path("benchmarks/results") / f"{data.name}-clustering")
    runs_csv = out_dir / "runs.csv"

    def unfinished(job, n_clusters, seed, finished):
        return [name for name in _JOBS[job] if name in methods
                and (data.name, name, n_clusters, seed, budgets[name]) not in finished]

    finished = RUNS_FILE.finished(runs_csv)
    jobs = [(job, n_clusters, seed) for n_clusters in clusters for seed in seeds for job in _JOBS
            if unfinished(job, n_clusters, seed, finished)]
    check_settings(out_dir, {name: estimator_settings(aae) for name in methods if name in _JOBS["aae"]},
                   finished_methods={run[1] for run in finished})
    write_summary(out_dir, command)
    with tqdm(jobs, desc=f"{data.name} clustering runs", unit="run", disable=not progress) as bar:
        for job, n_clusters, seed in bar:
            with run_lock(out_dir, data.name, job, n_clusters, seed, budgets[job]) as held:
                group = unfinished(job, n_clusters, seed, RUNS_FILE.finished(runs_csv)) if held else []
                if not group:
                    continue  # another process has this job, or has finished it
                bar.set_postfix_str(f"{' and '.join(group)}, {n_clusters} clusters, seed {seed}")
                for name, scores in _cluster_and_score(group, data, n_clusters, seed, aae_params):
                    RUNS_FILE.append(runs_csv, {"dataset": data.name, "method": name, "clusters": n_clusters,
                                                "seed": seed, **scores, "epochs": budgets[name]})
                    write_summary(out_dir, command)
    return read_runs(runs_csv)


def _cluster_and_score(methods, data, n_clusters, seed, aae_params):
    """Yield each method's name and scores as soon as it finishes; the AAE methods share one AAE."""
    start = time.perf_counter()
    if methods == ["kmeans-pixels"]:
        scores = _kmeans_scores(data.X_train, data.X_val, data.X_test, data, n_clusters, seed)
        yield "kmeans-pixels", _finished(scores, time.perf_counter() - start)
        return
    model = AAEClustering(n_clusters=n_clusters, random_state=seed).set_params(**aae_params).fit(data.X_train)
    training_seconds = time.perf_counter() - start
    if "aae" in methods:
        scores = score_clustering(model.predict_proba(data.X_val), data.y_val, model.predict(data.X_test),
                                  data.y_test)
        yield "aae", _finished(scores, time.perf_counter() - start)
    if "kmeans-aae-code" in methods:
        start = time.perf_counter()
        codes = [np.hstack([model.predict_proba(X), model.transform(X)]) for X in (data.X_train, data.X_val,
                                                                                   data.X_test)]
        scores = _kmeans_scores(*codes, data, n_clusters, seed)
        yield "kmeans-aae-code", _finished(scores, training_seconds + time.perf_counter() - start)


def _kmeans_scores(X_train, X_val, X_test, data, n_clusters, seed):
    kmeans = KMeans(n_clusters, n_init=10, random_state=seed).fit(X_train)
    return score_clustering(-kmeans.transform(X_val), data.y_val, kmeans.predict(X_test), data.y_test)


def _finished(scores, seconds):
    return {
        **{name: round(value, 4) for name, value in scores.items()},
        "seconds": round(seconds, 1),
        "finished_at": datetime.now().astimezone().isoformat(timespec="seconds"),
    }


def read_runs(runs_csv):
    """The finished runs of a clustering ``runs.csv`` as a DataFrame; empty when there is no file
    yet. A last line cut short by a kill is left out."""
    return RUNS_FILE.read(runs_csv)


def summarize(runs_csv):
    """Mean and standard deviation of each score per data set, method, epoch budget and cluster
    count, with the number of runs and the mean minutes per run.

    Returns
    -------
    pandas.DataFrame
        Columns ``dataset, method, epochs, clusters, runs``, ``<score>_mean, <score>_std`` for
        each of :data:`METRICS`, and ``minutes_mean``; methods in the order of :data:`METHODS`.
    """
    return _summarize(read_runs(runs_csv))


def _summarize(runs):
    return summarize_runs(runs, ("epochs", "clusters"), METRICS, METHODS)


def summary_tables(summary):
    """Markdown tables of a :func:`summarize` frame, a row per method and a column per cluster
    count, for each data set: the paper-protocol test error, NMI, adjusted Rand index, the
    one-to-one accuracy (only for cluster counts that have it), and epochs and minutes per run."""
    if summary.empty:
        return "No finished runs yet.\n"
    sections = []
    for dataset, part in summary.groupby("dataset", sort=False):
        tables = [
            ("Test error by the paper's protocol, %", _table(part, "test_error")),
            ("Validation error by the paper's protocol (what settings are chosen by), %",
             _table(part, "validation_error")),
            ("Normalized mutual information, test split", _table(part, "normalized_mutual_info", decimals=3)),
            ("Adjusted Rand index, test split", _table(part, "adjusted_rand_index", decimals=3)),
        ]
        matched = part[part["matched_accuracy_mean"].notna()]
        if not matched.empty:
            tables.append(("Accuracy under the best one-to-one matching of clusters to classes, test split, %",
                           _table(matched, "matched_accuracy")))
        scores = "".join(f"{title} (mean ± std over n runs)\n\n{table}\n" for title, table in tables)
        sections.append(f"## {dataset}\n\n{scores}Epochs and minutes per run (means)\n\n"
                        f"{markdown_table(part, 'clusters', '{} clusters', budget_cell)}")
    return "\n".join(sections)


def _table(part, metric, decimals=2):
    return markdown_table(part, "clusters", "{} clusters", metric_cell(metric, decimals))


def write_summary(out_dir, command):
    """Write ``out_dir/results.md`` from ``out_dir/runs.csv``: the tables of :func:`summary_tables`,
    the methods, the command, the package versions, the machine and the date; returns its path."""
    return write_results(out_dir, RUNS_FILE, _describe, command)


def _describe(runs):
    return [
        "# Clustering",
        "",
        ("Each method clusters the training split without its labels, with the run's seed. By the protocol of "
         "Makhzani et al. (2015), each cluster then takes the label of the validation image it ranks highest, "
         "and every test image is predicted its cluster's label. Normalized mutual information, the adjusted "
         "Rand index and, where there are as many clusters as classes, the accuracy under the best one-to-one "
         "matching of clusters to classes are measured on the test split. Nothing is tuned on it. Every run "
         "is a row of runs.csv."),
        "",
        summary_tables(_summarize(runs)),
        "## Methods",
        "",
        *[f"- `{name}`: {description}" for name, description in METHODS.items() if name in set(runs["method"])],
        "",
    ]
