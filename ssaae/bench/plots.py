"""The label-efficiency plots, from a benchmark's results folder: test error against the number of
labels, and validation error against the seconds of training (time to accuracy)."""

from pathlib import Path

import pandas as pd
from matplotlib.figure import Figure
from matplotlib.ticker import FuncFormatter

from ..plots import DPI, FIGURE_SIZE, save_figure
from .label_efficiency import read_curves, summarize


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


def time_to_accuracy(out_dirs, labels, path):
    """Plot validation error against the seconds of training, one line per results folder, AAE
    method and epoch budget, from the ``curves.csv`` of each folder of ``out_dirs``, at ``labels``
    labeled rows.

    Each point is an epoch: its validation error (%) and seconds since the fit started, both
    means over the seeds that ran it; the legend gives the number of seeds, and the folder's name
    where there are several. Returns ``path``.
    """
    figure = Figure(figsize=FIGURE_SIZE, dpi=DPI, layout="constrained")
    axes = figure.subplots()
    for out_dir in out_dirs:
        curves = read_curves(out_dir)
        curves = curves[curves["labels"] == labels]
        if curves.empty:
            raise ValueError(f"{out_dir} holds no validation curves of runs with {labels} labels")
        folder = f"{Path(out_dir).name}: " if len(out_dirs) > 1 else ""
        for (dataset, method, epochs), runs in curves.groupby(["dataset", "method", "epochs"], sort=False):
            line = runs.groupby("epoch")[["seconds", "validation_error"]].mean()
            axes.plot(line["seconds"], line["validation_error"], marker="o", markersize=3,
                      label=f"{folder}{dataset} {method}, {epochs} epochs (n={runs['seed'].nunique()})")
    axes.set_yscale("log")
    plain = FuncFormatter(lambda value, position: f"{value:g}")  # 2, 5, 10 rather than 2 x 10^0
    axes.yaxis.set_major_formatter(plain)
    axes.yaxis.set_minor_formatter(plain)
    axes.set(xlabel="seconds of training", ylabel="validation error (%)",
             title=f"Time to accuracy, {labels} labels (means over seeds)")
    axes.grid(alpha=0.3, which="both")
    axes.legend()
    return save_figure(figure, path)
