"""What the benchmarks share: a ``runs.csv`` with a row per finished run, appended as each run
finishes so that a rerun resumes, a ``settings.json`` that keeps a rerun from resuming with other
settings, and a ``results.md`` of mean ± std over the runs with the command, package versions and
machine that produced them.
"""

import ast
import csv
import json
import os
import platform
import subprocess
from dataclasses import dataclass
from datetime import datetime
from importlib import metadata
from numbers import Integral
from pathlib import Path

import numpy as np
import pandas as pd
import sklearn
import torch

from ..training import native_bf16


@dataclass(frozen=True)
class RunsFile:
    """The layout of a benchmark's ``runs.csv``.

    Parameters
    ----------
    benchmark : str
        The benchmark's name, for error messages.
    types : dict
        Column name to type (``str``, ``int``, ``float`` or ``"Int64"`` for integers that may be
        missing), in the file's column order.
    optional : tuple of str, default=()
        Columns that may be empty; a row with any other column empty is a line cut short by a kill.
        A file written before an optional column was added lacks it: it reads as empty, and rows
        appended to that file keep its columns.

    Examples
    --------
    >>> import tempfile
    >>> runs_file = RunsFile("demo", {"method": str, "seed": int, "error": float, "finished_at": str})
    >>> with tempfile.TemporaryDirectory() as folder:
    ...     runs_file.append(f"{folder}/runs.csv", {"method": "a", "seed": 0, "error": 1.5, "finished_at": "now"})
    ...     with open(f"{folder}/runs.csv", "a") as file:
    ...         _ = file.write("b,0,2")  # killed while writing
    ...     runs = runs_file.read(f"{folder}/runs.csv")
    >>> runs.to_dict("records")
    [{'method': 'a', 'seed': 0, 'error': 1.5, 'finished_at': 'now'}]
    """

    benchmark: str
    types: dict
    optional: tuple = ()

    @property
    def columns(self):
        return tuple(self.types)

    def read(self, runs_csv):
        """The finished runs of ``runs_csv`` as a DataFrame with :attr:`columns`; empty when there
        is no file yet. A last line cut short by a kill is left out."""
        path = Path(runs_csv)
        if not path.is_file() or path.stat().st_size == 0:
            return pd.DataFrame({column: [] for column in self.columns})
        runs = pd.read_csv(path, dtype={column: str for column, kind in self.types.items() if kind is str})
        expected = [column for column in self.columns if column in runs.columns or column not in self.optional]
        if list(runs.columns) != expected:
            raise ValueError(f"{path} is not a {self.benchmark} runs.csv: its columns are {', '.join(runs.columns)}")
        runs = runs.reindex(columns=self.columns)
        runs = runs.dropna(subset=[column for column in self.columns if column not in self.optional])
        return runs.reset_index(drop=True).astype({column: kind for column, kind in self.types.items()
                                                   if kind is not str})

    def finished(self, runs_csv, key):
        """The runs of ``runs_csv`` as tuples of their ``key`` columns, an empty value as None:
        what a rerun skips."""
        runs = self.read(runs_csv)[list(key)]
        return {tuple(None if pd.isna(value) else value for value in run) for run in runs.itertuples(index=False)}

    def append(self, runs_csv, row):
        """Append one run to ``runs_csv``, writing the header first if the file is new."""
        path = Path(runs_csv)
        new = not path.is_file() or path.stat().st_size == 0
        columns = self.columns
        if not new:  # an older file may lack optional columns: keep its own
            with open(path, newline="") as file:
                columns = next(csv.reader(file))
        with open(path, "a+b") as file:
            if not new:
                file.seek(-1, os.SEEK_END)
                if file.read(1) != b"\n":  # a line cut short by a kill: end it, read drops it
                    file.write(b"\n")
        with open(path, "a", newline="") as file:
            writer = csv.DictWriter(file, columns, extrasaction="ignore")
            if new:
                writer.writeheader()
            writer.writerow(row)


# What a run's key (epochs, clusters, seed) or the machine sets, not the method's settings.
_NOT_SETTINGS = {"max_iter", "n_clusters", "random_state", "device", "verbose"}
# Parameters added since folders recorded their settings, with the value their runs had.
_SETTINGS_BEFORE_ADDED = {"batch_norm": "False", "balance_weight": "0.0", "consistency_rampup": "0",
                          "consistency_ramp": "'linear'"}


def estimator_settings(estimator):
    """The parameters of a scikit-learn estimator that change what it computes, as strings.

    Examples
    --------
    >>> from sklearn.cluster import KMeans
    >>> estimator_settings(KMeans(3, n_init=2, random_state=0, verbose=1))["n_init"]
    '2'
    """
    params = estimator.get_params(deep=False)
    return {name: repr(value) for name, value in sorted(params.items()) if name not in _NOT_SETTINGS}


def check_settings(out_dir, settings, finished_methods):
    """Keep the runs of a results folder comparable: a ValueError if a method that has finished
    runs there had other ``settings`` (method name to :func:`estimator_settings`), else record
    ``settings`` in ``out_dir/settings.json``. A folder made before settings were recorded takes
    the settings of its first rerun.

    Examples
    --------
    >>> import tempfile
    >>> with tempfile.TemporaryDirectory() as folder:
    ...     check_settings(folder, {"aae": {"style_dim": "10"}}, finished_methods={"aae"})
    ...     check_settings(folder, {"aae": {"style_dim": "5"}}, finished_methods=set())  # no runs to keep
    ...     check_settings(folder, {"aae": {"style_dim": "10"}}, finished_methods={"aae"})
    Traceback (most recent call last):
    ...
    ValueError: ... has aae runs with style_dim=5, not 10; rerun with those settings or pass another output folder

    A parameter added to ssaae since the runs counts as the value they had
    (``_SETTINGS_BEFORE_ADDED``): batch normalization came later, so those runs had none.

    >>> with tempfile.TemporaryDirectory() as folder:
    ...     check_settings(folder, {"aae": {"style_dim": "10"}}, finished_methods=set())
    ...     check_settings(folder, {"aae": {"style_dim": "10", "batch_norm": "False"}}, finished_methods={"aae"})
    ...     check_settings(folder, {"aae": {"style_dim": "10", "batch_norm": "True"}}, finished_methods={"aae"})
    Traceback (most recent call last):
    ...
    ValueError: ... has aae runs with batch_norm=False, not True; rerun with those settings or pass another output folder

    Settings are compared as values where they are Python literals: ``5`` (from ``--param``) and
    ``5.0`` (a default) are the same weight.

    >>> with tempfile.TemporaryDirectory() as folder:
    ...     check_settings(folder, {"aae": {"balance_weight": "5"}}, finished_methods=set())
    ...     check_settings(folder, {"aae": {"balance_weight": "5.0"}}, finished_methods={"aae"})
    ...     check_settings(folder, {"aae": {"balance_weight": "5.5"}}, finished_methods={"aae"})
    Traceback (most recent call last):
    ...
    ValueError: ... has aae runs with balance_weight=5.0, not 5.5; rerun with those settings or pass another output folder
    """
    path = Path(out_dir) / "settings.json"
    recorded = json.loads(path.read_text()) if path.is_file() else {}
    for method in sorted(set(finished_methods) & recorded.keys() & settings.keys()):
        names = sorted(recorded[method].keys() | settings[method].keys())
        old = {name: recorded[method].get(name, _SETTINGS_BEFORE_ADDED.get(name, "(unset)")) for name in names}
        new = {name: settings[method].get(name, "(unset)") for name in names}
        changed = [name for name in names if not _same_setting(old[name], new[name])]
        if changed:
            name = changed[0]
            raise ValueError(f"{out_dir} has {method} runs with {name}={old[name]}, not {new[name]}; "
                             "rerun with those settings or pass another output folder")
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps({**recorded, **settings}, indent=1, sort_keys=True) + "\n")


def _same_setting(old, new):
    """Whether two recorded settings are equal as Python literals, or else as text."""
    try:
        return ast.literal_eval(old) == ast.literal_eval(new)
    except (ValueError, SyntaxError):
        return old == new


def method_names(methods, known):
    """The methods to run, in order and without repeats; a ValueError for an unknown name or none.

    Examples
    --------
    >>> method_names(["b", "a", "b"], known=["a", "b"])
    ['b', 'a']
    """
    methods = list(dict.fromkeys(methods))
    unknown = [name for name in methods if name not in known]
    if unknown:
        raise ValueError(f"unknown method {unknown[0]!r}; known: {', '.join(known)}")
    if not methods:
        raise ValueError("no method to run")
    return methods


def seed_list(seeds):
    """The seeds of a benchmark, given as a list or as their number (``3``: seeds 0 to 2).

    Examples
    --------
    >>> seed_list(3), seed_list([4, 1, 4])
    ([0, 1, 2], [4, 1])
    """
    return list(range(seeds)) if isinstance(seeds, Integral) else [int(seed) for seed in dict.fromkeys(seeds)]


def summarize_runs(runs, by, metrics, method_order):
    """Mean and standard deviation of each metric per data set, method and the columns ``by``,
    with the number of runs and the mean minutes per run.

    Parameters
    ----------
    runs : pandas.DataFrame
        Rows of a runs.csv, with columns ``dataset``, ``method``, ``seconds``, ``by`` and ``metrics``.
    by : sequence of str
        The other columns that tell runs apart, e.g. ``("epochs", "labels")``.
    metrics : sequence of str
    method_order : sequence of str
        Methods in the order of the rows; others come after them, by name.

    Returns
    -------
    pandas.DataFrame
        Columns ``dataset, method, *by, runs``, then ``<metric>_mean, <metric>_std`` per metric, then
        ``minutes_mean``. A standard deviation over one run is NaN.

    Examples
    --------
    >>> runs = pd.DataFrame({"dataset": "d", "method": ["b", "a", "a"], "size": 1, "error": [1.0, 2.0, 4.0],
    ...                      "seconds": 60.0})
    >>> summary = summarize_runs(runs, ["size"], ["error"], method_order=["a", "b"])
    >>> list(summary.columns)
    ['dataset', 'method', 'size', 'runs', 'error_mean', 'error_std', 'minutes_mean']
    >>> summary[["method", "runs", "error_mean", "error_std"]].round(2)
      method  runs  error_mean  error_std
    0      a     2         3.0       1.41
    1      b     1         1.0        NaN
    """
    runs = runs.assign(minutes=runs["seconds"] / 60)
    statistics = {f"{metric}_{statistic}": (metric, statistic) for metric in metrics for statistic in ("mean", "std")}
    summary = runs.groupby(["dataset", "method", *by], dropna=False).agg(
        runs=(metrics[0], "size"), **statistics, minutes_mean=("minutes", "mean")).reset_index()
    order = {name: index for index, name in enumerate(method_order)}
    summary["method_order"] = summary["method"].map(lambda name: order.get(name, len(order)))
    summary = summary.sort_values(["dataset", "method_order", "method", *by])
    return summary.drop(columns="method_order").reset_index(drop=True)


def markdown_table(part, column, heading, cell):
    """A Markdown table of one data set's :func:`summarize_runs` rows.

    A row per method, or per method and epoch budget where a method has several; a column per
    value of ``column``, headed ``heading.format(value)``; ``cell(record)`` in each, – where a
    method lacks that value.

    Examples
    --------
    >>> part = pd.DataFrame({"method": ["a", "a", "b"], "epochs": [2, 3, 2], "labels": [10, 10, 20],
    ...                      "runs": [1, 1, 1]})
    >>> print(markdown_table(part, "labels", "{} labels", lambda record: str(record["runs"])))
    | method | 10 labels | 20 labels |
    | --- | --- | --- |
    | a (2 epochs) | 1 | – |
    | a (3 epochs) | 1 | – |
    | b | – | 1 |
    <BLANKLINE>
    """
    budgets = part.groupby("method", sort=False)["epochs"].nunique(dropna=False)
    part = part.assign(row=[f"{method} ({epochs} epochs)" if budgets[method] > 1 else method
                            for method, epochs in zip(part["method"], part["epochs"])])
    values = sorted(part[column].unique())
    lines = ["| method | " + " | ".join(heading.format(value) for value in values) + " |",
             "| --- |" + " --- |" * len(values)]
    for row, group in part.groupby("row", sort=False):
        by_value = {record[column]: record for record in group.to_dict("records")}
        cells = [cell(by_value[value]) if value in by_value else "–" for value in values]
        lines.append(f"| {row} | " + " | ".join(cells) + " |")
    return "\n".join(lines) + "\n"


def metric_cell(metric, decimals=2):
    """A ``cell`` for :func:`markdown_table`: the metric's mean ± std (number of runs); – for a
    metric the runs lack.

    Examples
    --------
    >>> cell = metric_cell("error")
    >>> cell({"error_mean": 1.234, "error_std": 0.5, "runs": 3})
    '1.23 ± 0.50 (3)'
    >>> cell({"error_mean": 1.234, "error_std": float("nan"), "runs": 1})
    '1.23 (1)'
    >>> cell({"error_mean": float("nan"), "error_std": float("nan"), "runs": 2})
    '–'
    """
    def cell(record):
        mean, std, runs = record[f"{metric}_mean"], record[f"{metric}_std"], record["runs"]
        if pd.isna(mean):
            return "–"
        return f"{mean:.{decimals}f} ± {std:.{decimals}f} ({runs})" if runs > 1 else f"{mean:.{decimals}f} ({runs})"
    return cell


def budget_cell(record):
    """A ``cell`` for :func:`markdown_table`: epochs (if the method has any) and mean minutes per run."""
    minutes = f"{record['minutes_mean']:.1f} min"
    return minutes if pd.isna(record["epochs"]) else f"{record['epochs']} epochs, {minutes}"


def write_results(path, lines, runs, command):
    """Write a results.md: ``lines``, then how the runs were produced (the command, the number of
    runs and when they finished, the package versions, the machine and the date). Readers never
    see half a file, and two benchmark processes sharing a folder (each on its own label counts,
    say) do not trip over each other's partial file: the last to finish a run writes the table.

    Returns
    -------
    Path
        The file written.
    """
    lines = [
        *lines,
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
    path = Path(path)
    partial = path.with_name(f"{path.name}.{os.getpid()}.part")
    partial.write_text("\n".join(lines))
    partial.replace(path)
    return path


def environment_versions():
    """Versions of Python, torch, numpy, scikit-learn and ssaae (with its git revision if known,
    and whether the package's code differs from it; a benchmark's own results files do)."""
    versions = (f"python {platform.python_version()}, torch {torch.__version__}, numpy {np.__version__}, "
                f"scikit-learn {sklearn.__version__}, ssaae {metadata.version('ssaae')}")
    revision = _git_revision()
    return f"{versions} ({revision})" if revision else versions


_CHECKOUT = Path(__file__).resolve().parents[1]


def _git_revision(checkout=_CHECKOUT):
    if not (checkout / ".git").exists():  # an installed copy, not a checkout
        return ""
    try:
        commit = subprocess.run(["git", "-C", checkout, "rev-parse", "--short", "HEAD"], capture_output=True,
                                text=True, check=True, timeout=10).stdout.strip()
        changes = subprocess.run(["git", "-C", checkout, "status", "--porcelain", "--untracked-files=no", "--",
                                  "ssaae"], capture_output=True, text=True, check=True, timeout=10).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return ""
    return f"git {commit}" + (", with uncommitted changes to ssaae/" if changes else "")  # results files change


def machine_description():
    """CPU model, cores, torch threads, whether the CPU multiplies bf16 natively (``precision="auto"``
    trains in bf16 there, in fp32 elsewhere) and operating system."""
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    threads = torch.get_num_threads()
    bf16 = "with" if native_bf16(torch.device("cpu")) else "without"
    return (f"{_cpu_model()}, {cores} cores, torch on {threads} thread{'s' if threads > 1 else ''}, "
            f"{bf16} native bf16, {platform.system()} {platform.machine()}")


def _cpu_model():
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.partition(":")[2].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()
