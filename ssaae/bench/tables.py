"""The tables of a results.md: mean ± std of each metric over the runs of a runs.csv, as Markdown."""

import pandas as pd


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
