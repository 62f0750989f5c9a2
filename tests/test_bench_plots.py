"""Specification of the label-efficiency plot: ``ssaae.bench.plots.label_efficiency`` and
`ssaae bench plot`."""

import shutil

import numpy as np
import pandas as pd
import pytest
from helpers import TINY_OPTIONS, assert_one_line_error, run
from matplotlib import colormaps
from matplotlib.image import imread

from ssaae.bench.label_efficiency import COLUMNS
from ssaae.bench.plots import label_efficiency
from ssaae.plots import DPI, FIGURE_SIZE

LINE_COLOURS = colormaps["tab10"].colors  # matplotlib's colours of a plot's first lines, in order


def write_runs(path, methods):
    """A label-efficiency runs.csv: two label counts, two seeds per method."""
    runs = [{"dataset": "digits", "method": method, "labels": labels, "seed": seed, "test_error": 20 - labels / 10 + seed,
             "validation_error": 10.0, "epochs": 100 if method == "aae" else None, "seconds": 1.0,
             "finished_at": "2025-01-01T00:00:00+00:00"}
            for method in methods for labels in (50, 100) for seed in (0, 1)]
    pd.DataFrame(runs, columns=COLUMNS).to_csv(path, index=False)
    return path


def line_colours(path, n=3):
    """Whether the PNG at ``path``, of a plot's size, shows each of the first ``n`` line colours."""
    assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    pixels = imread(path)[..., :3]
    assert pixels.shape[:2] == (FIGURE_SIZE[1] * DPI, FIGURE_SIZE[0] * DPI)
    return [bool((np.abs(pixels - colour) < 0.01).all(axis=-1).any()) for colour in LINE_COLOURS[:n]]


def test_label_efficiency_draws_one_line_per_method(tmp_path):
    runs = write_runs(tmp_path / "runs.csv", ["aae", "label-spreading"])
    assert label_efficiency(runs, tmp_path / "efficiency.png") == tmp_path / "efficiency.png"
    assert line_colours(tmp_path / "efficiency.png") == [True, True, False]


def test_label_efficiency_of_a_runs_file_without_runs_is_an_error(tmp_path):
    (tmp_path / "runs.csv").write_text(",".join(COLUMNS) + "\n")
    with pytest.raises(ValueError, match="no finished runs"):
        label_efficiency(tmp_path / "runs.csv", tmp_path / "efficiency.png")
    with pytest.raises(FileNotFoundError, match="absent.csv"):
        label_efficiency(tmp_path / "absent.csv", tmp_path / "efficiency.png")


def test_bench_plot_writes_the_png_of_a_runs_file_and_prints_its_path(tmp_path):
    runs = write_runs(tmp_path / "runs.csv", ["aae"])
    result = run("bench", "plot", runs, "--out", tmp_path / "efficiency.png")
    assert result.exit_code == 0, result.output
    assert result.stdout == f"{tmp_path / 'efficiency.png'}\n"
    assert line_colours(tmp_path / "efficiency.png") == [True, False, False]


def test_bench_plot_of_a_missing_runs_file_is_a_one_line_error(tmp_path):
    assert_one_line_error(run("bench", "plot", tmp_path / "absent.csv", "--out", tmp_path / "e.png"), "absent.csv")
    assert not (tmp_path / "e.png").exists()


def test_time_to_accuracy_draws_a_line_per_aae_method_from_a_results_folder(tmp_path):
    result = run("bench", "label-efficiency", "--dataset", "digits", "--labels", 20, "--seeds", 1,
                 "--methods", "aae,labels-only,label-spreading", *TINY_OPTIONS, "--out", tmp_path / "out", "--quiet")
    assert result.exit_code == 0, result.output
    result = run("bench", "plot-curves", tmp_path / "out", "--labels", 20, "--out", tmp_path / "curves.png")
    assert result.exit_code == 0, result.output
    assert line_colours(tmp_path / "curves.png") == [True, True, False]  # aae, labels-only; no curve for the rest
    shutil.copytree(tmp_path / "out", tmp_path / "again")
    result = run("bench", "plot-curves", tmp_path / "out", tmp_path / "again", "--labels", 20,
                 "--out", tmp_path / "both.png")
    assert result.exit_code == 0, result.output
    assert line_colours(tmp_path / "both.png", n=5) == [True] * 4 + [False]  # each folder's two lines
    assert_one_line_error(run("bench", "plot-curves", tmp_path / "out", "--labels", 50, "--out", tmp_path / "x.png"),
                          "no validation curves of runs with 50 labels")
