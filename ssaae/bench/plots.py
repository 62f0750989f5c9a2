"""The label-efficiency plot: test error against the number of labels, from a benchmark's runs."""

from pathlib import Path

import pandas as pd
from matplotlib.figure import Figure

from ..plots import DPI, FIGURE_SIZE, save_figure
from .label_efficiency import summarize


def label_efficiency(runs_csv, path):
    """Plot test error against the number of labels, one line per method, from a benchmark's runs.

    Parameters
    ----------
    runs_csv : str or Path
        A ``runs.csv`` written by :func:`ssaae.bench.label_efficiency.run_benchmark`.
    path : str or Path
        The PNG file to write.

    Returns
    -------
    Path
        ``path``.

    Notes
    -----
    Points are means over seeds, error bars one standard deviation (none for a single run); the
    legend gives each method's epoch budget and number of runs per point.
    """
    if not Path(runs_csv).is_file():
        raise FileNotFoundError(f"no runs file at {runs_csv}")
    summary = summarize(runs_csv)
    if summary.empty:
        raise ValueError(f"{runs_csv} holds no finished runs")
    datasets = summary["dataset"].unique()
    figure = Figure(figsize=FIGURE_SIZE, dpi=DPI, layout="constrained")
    axes = figure.subplots()
    for (dataset, method, epochs), line in summary.groupby(["dataset", "method", "epochs"], sort=False,
                                                           dropna=False):
        runs = sorted({line["runs"].min(), line["runs"].max()})
        label = (f"{dataset} " if len(datasets) > 1 else "") + method
        label += "" if pd.isna(epochs) else f", {epochs} epochs"
        label += f" (n={'–'.join(map(str, runs))})"
        axes.errorbar(line["labels"], line["test_error_mean"], yerr=line["test_error_std"].fillna(0),
                      marker="o", capsize=3, label=label)
    label_counts = sorted(summary["labels"].unique())
    axes.set_xscale("log")
    axes.set_xticks(label_counts, labels=[str(n) for n in label_counts])
    axes.minorticks_off()
    axes.set(xlabel="labeled training rows", ylabel="test error (%)",
             title=f"Label efficiency on {', '.join(datasets)} (mean ± std over seeds)")
    axes.grid(alpha=0.3)
    axes.legend()
    return save_figure(figure, path)
