"""What the benchmarks share: a ``runs.csv`` with a row per finished run, appended as each run
finishes so that a rerun resumes, a ``settings.json`` that keeps a rerun from resuming with other
settings, and a ``results.md`` of mean ± std over the runs with the command, package versions and
machine that produced them (its tables: :mod:`ssaae.bench.tables`). Processes sharing a results
folder share its runs: each run is claimed by a lock (:func:`run_lock`), and the shared files are
written under the lock of runs.csv (:func:`locked`).
"""

import ast
import csv
import fcntl
import io
import json
import os
import platform
import subprocess
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from importlib import metadata
from numbers import Integral
from pathlib import Path

import numpy as np
import pandas as pd
import sklearn
import torch
from tqdm.auto import tqdm

from ..files import atomic_write
from ..training import native_bf16, resolve_device, resolve_precision


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
    key : tuple of str
        The columns that tell one run from another: a rerun skips the runs whose key is in the file.
    optional : tuple of str, default=()
        Columns that may be empty; a row with any other column empty is a line cut short by a kill.

    Examples
    --------
    >>> import tempfile
    >>> runs_file = RunsFile("demo", {"method": str, "seed": int, "error": float, "finished_at": str},
    ...                      key=("method", "seed"))
    >>> with tempfile.TemporaryDirectory() as folder:
    ...     runs_file.append(f"{folder}/runs.csv", {"method": "a", "seed": 0, "error": 1.5, "finished_at": "now"})
    ...     with open(f"{folder}/runs.csv", "a") as file:
    ...         _ = file.write("b,0,2")  # killed while writing
    ...     runs = runs_file.read(f"{folder}/runs.csv")
    ...     finished = runs_file.finished(f"{folder}/runs.csv")
    >>> runs.to_dict("records"), finished
    ([{'method': 'a', 'seed': 0, 'error': 1.5, 'finished_at': 'now'}], {('a', 0)})
    """

    benchmark: str
    types: dict
    key: tuple
    optional: tuple = ()

    @property
    def columns(self):
        return tuple(self.types)

    def read(self, runs_csv):
        """The finished runs of ``runs_csv`` as a DataFrame with :attr:`columns`; empty when there
        is no file yet. A last line cut short by a kill is left out, and so is a line repeating
        the header."""
        path = Path(runs_csv)
        if not path.is_file() or path.stat().st_size == 0:
            return pd.DataFrame({column: [] for column in self.columns})
        runs = pd.read_csv(path, dtype=str)
        if tuple(runs.columns) != self.columns:
            raise ValueError(f"{path} is not a {self.benchmark} runs.csv: its columns are {', '.join(runs.columns)}")
        runs = runs[~(runs == list(self.columns)).all(axis=1)]  # a header written twice, by writers without the lock
        runs = runs.dropna(subset=[column for column in self.columns if column not in self.optional])
        numbers = {column: pd.to_numeric(runs[column]).astype(kind) for column, kind in self.types.items()
                   if kind is not str}
        return runs.assign(**numbers).reset_index(drop=True)

    def finished(self, runs_csv):
        """The runs of ``runs_csv`` as tuples of their :attr:`key` columns, an empty value as None:
        what a rerun skips."""
        runs = self.read(runs_csv)[list(self.key)]
        return {tuple(None if pd.isna(value) else value for value in run) for run in runs.itertuples(index=False)}

    def append(self, runs_csv, row):
        """Append one run to ``runs_csv``, writing the header first if the file is new, under the
        file's lock: processes sharing it write one header and whole lines."""
        line = io.StringIO()
        writer = csv.DictWriter(line, self.columns)
        with locked(runs_csv) as file:
            end = file.seek(0, os.SEEK_END)
            if end == 0:
                writer.writeheader()
            else:
                file.seek(end - 1)
                if file.read(1) != b"\n":  # a line cut short by a kill: end it, read drops it
                    line.write("\n")
            writer.writerow(row)
            file.write(line.getvalue().encode())


@contextmanager
def locked(path, wait=True):
    """Hold an exclusive lock (``fcntl.flock``) on the file ``path``, created if missing, through
    the block; yields the file, open for appending bytes. A process that holds it blocks the others
    until it leaves the block or ends; with ``wait=False``, yields None at once if one does.

    Examples
    --------
    >>> import tempfile
    >>> with tempfile.TemporaryDirectory() as folder:
    ...     with locked(f"{folder}/runs.csv") as file:
    ...         with locked(f"{folder}/runs.csv", wait=False) as other:
    ...             print(file is not None, other)
    True None
    """
    with open(path, "a+b") as file:
        try:
            fcntl.flock(file, fcntl.LOCK_EX if wait else fcntl.LOCK_EX | fcntl.LOCK_NB)
            held = True
        except BlockingIOError:
            held = False
        yield file if held else None


@contextmanager
def run_lock(out_dir, *key):
    """Take the lock of one run of a results folder without waiting: yields True while this
    process holds it, False at once if another does (and so is doing that run). Check in the block
    whether the run has finished meanwhile, and append its row there.

    The lock file is hidden and named after the run's key (a None left out). It is removed when a
    block that held it ends without an error, while still held: a process that opened it meanwhile
    then finds the run in runs.csv. After an error it stays, free to take.

    Examples
    --------
    >>> import os
    >>> import tempfile
    >>> with tempfile.TemporaryDirectory() as folder:
    ...     with run_lock(folder, "digits", "aae", 100, 0, None) as held:
    ...         with run_lock(folder, "digits", "aae", 100, 0, None) as held_too:
    ...             print(held, held_too, os.listdir(folder))
    ...     print(os.listdir(folder))
    True False ['.digits-aae-100-0.lock']
    []
    """
    path = Path(out_dir) / ("." + "-".join(str(part) for part in key if part is not None) + ".lock")
    with locked(path, wait=False) as held:
        yield held is not None
        if held is not None:
            path.unlink(missing_ok=True)  # missing where the file held was one another process had removed


def run_each(out_dir, runs_file, pending, run_one, describe, write_summary, desc, progress=True):
    """Do each of the ``pending`` runs (keys of ``runs_file``) that no other process holds or has
    finished, under its :func:`run_lock`, with a progress bar: ``run_one(run)`` trains and scores
    and returns the rest of its row, appended to ``out_dir/runs.csv`` at once; ``describe(run)`` is
    the bar's note on the run; ``write_summary()`` rewrites results.md after each run."""
    runs_csv = Path(out_dir) / "runs.csv"
    with tqdm(pending, desc=desc, unit="run", disable=not progress) as bar:
        for run in bar:
            with run_lock(out_dir, *run) as held:
                if not held or run in runs_file.finished(runs_csv):
                    continue  # another process has this run, or has finished it
                bar.set_postfix_str(describe(run))
                runs_file.append(runs_csv, {**dict(zip(runs_file.key, run)), **run_one(run)})
            write_summary()


# What a run's key (epochs, clusters, seed) or the machine sets, not the method's settings.
_NOT_SETTINGS = {"max_iter", "n_clusters", "random_state", "device", "verbose"}


def estimator_settings(estimator):
    """The parameters of a scikit-learn estimator that change what it computes, as strings; an
    ``"auto"`` precision as what it is on this machine, so that a folder resumed on a machine with
    other hardware does not mix bf16 and fp32 runs.

    Examples
    --------
    >>> from sklearn.cluster import KMeans
    >>> estimator_settings(KMeans(3, n_init=2, random_state=0, verbose=1))["n_init"]
    '2'
    >>> from ssaae import AAEClustering
    >>> estimator_settings(AAEClustering(precision="fp32"))["precision"]
    "'fp32'"
    """
    params = estimator.get_params(deep=False)
    if "precision" in params:
        params["precision"] = resolve_precision(params["precision"], resolve_device(params.get("device", "auto")))
    return {name: repr(value) for name, value in sorted(params.items()) if name not in _NOT_SETTINGS}


def check_settings(out_dir, settings, finished_methods):
    """Keep the runs of a results folder comparable: a ValueError if a method that has finished
    runs there had other ``settings`` (method name to :func:`estimator_settings`) or none recorded,
    else record ``settings`` in ``out_dir/settings.json`` (under the lock of ``out_dir/runs.csv``,
    so that processes sharing the folder keep each other's).

    Examples
    --------
    >>> import tempfile
    >>> with tempfile.TemporaryDirectory() as folder:
    ...     check_settings(folder, {"aae": {"style_dim": "10"}}, finished_methods=set())
    ...     check_settings(folder, {"aae": {"style_dim": "5"}}, finished_methods=set())  # no runs to keep
    ...     check_settings(folder, {"aae": {"style_dim": "10"}}, finished_methods={"aae"})
    Traceback (most recent call last):
    ...
    ValueError: ... has aae runs with style_dim=5, not 10; rerun with those settings or pass another output folder

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
    path.parent.mkdir(parents=True, exist_ok=True)
    with locked(path.with_name("runs.csv")):
        recorded = json.loads(path.read_text()) if path.is_file() else {}
        for method in sorted(set(finished_methods) & settings.keys()):
            if method not in recorded:
                raise ValueError(f"{out_dir} has {method} runs but {path.name} lacks their settings; "
                                 "pass another output folder")
            names = sorted(recorded[method].keys() | settings[method].keys())
            old = {name: recorded[method].get(name, "(unset)") for name in names}
            new = {name: settings[method].get(name, "(unset)") for name in names}
            changed = [name for name in names if not _same_setting(old[name], new[name])
                       and (name, old[name]) != ("precision", "'auto'")]  # recorded before it was resolved
            if changed:
                name = changed[0]
                raise ValueError(f"{out_dir} has {method} runs with {name}={old[name]}, not {new[name]}; "
                                 "rerun with those settings or pass another output folder")
        with atomic_write(path) as file:
            file.write(json.dumps({**recorded, **settings}, indent=1, sort_keys=True) + "\n")


def _same_setting(old, new):
    """Whether two recorded settings are equal as Python literals, or else as text."""
    try:
        return ast.literal_eval(old) == ast.literal_eval(new)
    except (ValueError, SyntaxError):
        return old == new


def run_grid(methods, known, sizes, seeds):
    """What a benchmark runs: its methods, sizes (label or cluster counts) and seeds, each in order
    and without repeats, the seeds given as a list or as their number (``3``: seeds 0 to 2); a
    ValueError for an unknown method or none.

    Examples
    --------
    >>> run_grid(["b", "a", "b"], known=["a", "b"], sizes=[100, 10, 100], seeds=3)
    (['b', 'a'], [100, 10], [0, 1, 2])
    >>> run_grid(["a"], known=["a", "b"], sizes=[10], seeds=[4, 1, 4])[2]
    [4, 1]
    >>> run_grid(["c"], known=["a", "b"], sizes=[10], seeds=1)
    Traceback (most recent call last):
    ...
    ValueError: unknown method 'c'; known: a, b
    """
    methods = list(dict.fromkeys(methods))
    unknown = [name for name in methods if name not in known]
    if unknown:
        raise ValueError(f"unknown method {unknown[0]!r}; known: {', '.join(known)}")
    if not methods:
        raise ValueError("no method to run")
    seeds = range(seeds) if isinstance(seeds, Integral) else seeds
    return methods, [int(n) for n in dict.fromkeys(sizes)], [int(seed) for seed in dict.fromkeys(seeds)]


def write_results(out_dir, runs_file, describe, command):
    """Rewrite ``out_dir/results.md`` from ``out_dir/runs.csv``: the lines ``describe(runs)`` gives
    for its runs (a :meth:`RunsFile.read` frame), then how the runs were produced (the command, the
    number of runs and when they finished, the package versions, the machine and the date).

    The lock of runs.csv is held throughout, so that of processes sharing the folder the last to
    write reads the last run appended; readers never see half a file (:func:`ssaae.files.atomic_write`).

    Returns
    -------
    Path
        The file written.
    """
    out_dir = Path(out_dir)
    with locked(out_dir / "runs.csv"):
        runs = runs_file.read(out_dir / "runs.csv")
        lines = [
            *describe(runs),
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
        with atomic_write(out_dir / "results.md") as file:
            file.write("\n".join(lines))
    return out_dir / "results.md"


def environment_versions():
    """Versions of Python, torch, numpy, scikit-learn and ssaae (with its git revision if known,
    and whether the package's code differs from it; a benchmark's own results files do)."""
    versions = (f"python {platform.python_version()}, torch {torch.__version__}, numpy {np.__version__}, "
                f"scikit-learn {sklearn.__version__}, ssaae {metadata.version('ssaae')}")
    revision = _git_revision()
    return f"{versions} ({revision})" if revision else versions


_CHECKOUT = Path(__file__).resolve().parents[2]  # the folder holding ssaae/: a checkout, or site-packages


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
    trains in bf16 there, in fp32 elsewhere), operating system, and the CUDA GPU where there is one
    (``device="auto"`` trains there)."""
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    threads = torch.get_num_threads()
    bf16 = "with" if native_bf16(torch.device("cpu")) else "without"
    gpu = f", GPU: {torch.cuda.get_device_name()}" if torch.cuda.is_available() else ""
    return (f"{_cpu_model()}, {cores} cores, torch on {threads} thread{'s' if threads > 1 else ''}, "
            f"{bf16} native bf16, {platform.system()} {platform.machine()}{gpu}")


def _cpu_model():
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.partition(":")[2].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()
