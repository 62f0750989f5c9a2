"""Specification of the label-efficiency benchmark: a row of runs.csv per finished run, resuming,
processes sharing a folder, one labeled subset per label count and seed, a user's file as the data,
results.md, and `ssaae bench label-efficiency`."""

import fcntl
import itertools
import os
import re
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import sklearn
import torch
from helpers import TINY, TINY_OPTIONS, assert_one_line_error, run
from sklearn.semi_supervised import LabelSpreading, SelfTrainingClassifier

import ssaae
from ssaae import SemiSupervisedAAEClassifier
from ssaae.bench.data import benchmark_dataset
from ssaae.bench.label_efficiency import (
    BUDGET_SECONDS,
    COLUMNS,
    CURVES_FILE,
    EPOCHS,
    METHODS,
    PAPER_SETTINGS,
    RUNS_FILE,
    read_curves,
    read_runs,
    run_benchmark,
    summarize,
)
from ssaae.datasets import load_dataset, make_semisupervised

AAE_METHODS = {"aae", "aae-paper", "labels-only", "consistency-only"}


pytestmark = pytest.mark.usefixtures("one_torch_thread")


@pytest.fixture(scope="module")
def finished_benchmark(tmp_path_factory):
    """Every method, 20 and 50 labels, 2 seeds, on digits with tiny networks: 28 runs."""
    out = tmp_path_factory.mktemp("benchmark")
    run_benchmark("digits", labels=(20, 50), seeds=2, out_dir=out, aae_params=TINY, progress=False)
    return out


class Recorder:
    """A method that records what it trains on, and what runs.csv and results.md hold by then."""

    def __init__(self, name, log, out_dir, random_state):
        self.name, self.log, self.out_dir, self.random_state = name, log, out_dir, random_state

    def fit(self, X, y):
        self.log.append({"method": self.name, "seed": self.random_state, "y": y.copy(),
                         "rows": len(read_runs(self.out_dir / "runs.csv")),
                         "results": (self.out_dir / "results.md").read_text()})
        return self

    def score(self, X, y):
        return 0.75

    def get_params(self, deep=True):
        return {}

    def _validate_params(self):  # as scikit-learn's estimators and ssaae's have it
        pass


@pytest.fixture
def recorders(monkeypatch, tmp_path):
    """Methods "first" and "second", which record their fits in the returned list."""
    log = []
    for name in ("first", "second"):
        monkeypatch.setitem(METHODS, name, lambda random_state=None, name=name, **params: Recorder(
            name, log, tmp_path / "out", random_state))
    return log


# runs.csv

def test_every_run_is_a_row_of_runs_csv_with_the_benchmark_columns(finished_benchmark):
    runs = pd.read_csv(finished_benchmark / "runs.csv")
    assert tuple(runs.columns) == COLUMNS
    assert sorted(zip(runs["method"], runs["labels"], runs["seed"])) == sorted(
        (method, labels, seed) for method in METHODS for labels in (20, 50) for seed in (0, 1))
    assert (runs["dataset"] == "digits").all()
    assert runs["test_error"].between(0, 100).all() and runs["validation_error"].between(0, 100).all()
    aae = runs["method"].isin(AAE_METHODS)
    assert (runs.loc[aae, "epochs"] == 2).all() and runs.loc[~aae, "epochs"].isna().all()
    assert (runs["seconds"] >= 0).all()
    assert pd.to_datetime(runs["finished_at"]).notna().all()


def test_each_aae_run_records_its_validation_curve_epoch_by_epoch(finished_benchmark):
    runs, curves = read_runs(finished_benchmark / "runs.csv"), read_curves(finished_benchmark)
    assert set(curves["method"]) == AAE_METHODS
    for finished in runs[runs["method"].isin(AAE_METHODS)].itertuples():
        curve = curves[(curves["method"] == finished.method) & (curves["labels"] == finished.labels)
                       & (curves["seed"] == finished.seed)]
        assert curve["epoch"].tolist() == list(range(1, finished.epochs + 1))
        seconds = curve["seconds"]
        assert seconds.is_monotonic_increasing and seconds.iloc[-1] <= finished.seconds + 0.05  # runs.csv rounds to 0.1
        assert curve["validation_error"].iloc[-1] == pytest.approx(finished.validation_error, abs=1e-3)


def test_a_curve_whose_run_was_cut_short_is_left_out(finished_benchmark, tmp_path):
    copy = tmp_path / "copy"
    shutil.copytree(finished_benchmark, copy)
    curves = (copy / "curves.csv").read_text().splitlines()
    with open(copy / "curves.csv", "a") as file:  # a rerun's curve, its run killed before its row
        file.write(curves[1].rsplit(",", 1)[0] + ",2030-01-01T00:00:00+00:00\n")
    assert len(read_curves(copy)) == len(read_curves(finished_benchmark))


def test_errors_are_the_percent_of_misclassified_validation_and_test_rows(finished_benchmark, digits):
    y = make_semisupervised(digits.y_train, 50, random_state=1)
    model = LabelSpreading(kernel="knn", n_neighbors=10).fit(digits.X_train, y)
    runs = pd.read_csv(finished_benchmark / "runs.csv").set_index(["method", "labels", "seed"])
    row = runs.loc[("label-spreading", 50, 1)]
    assert row["test_error"] == pytest.approx(100 * (1 - model.score(digits.X_test, digits.y_test)), abs=1e-4)
    assert row["validation_error"] == pytest.approx(100 * (1 - model.score(digits.X_val, digits.y_val)), abs=1e-4)


def test_each_run_is_appended_and_summarized_before_the_next_one_starts(recorders, tmp_path):
    run_benchmark("digits", labels=(20,), seeds=2, methods=["first", "second"], out_dir=tmp_path / "out",
                  progress=False)
    assert [fit["rows"] for fit in recorders] == [0, 1, 2, 3]
    assert "No finished runs yet" in recorders[0]["results"]
    assert "| first | 25.00 ± 0.00 (2) |" in recorders[3]["results"]  # first ran for seeds 0 and 1
    assert "| second | 25.00 (1) |" in recorders[3]["results"]


def test_every_method_of_a_label_count_and_seed_trains_on_the_same_labeled_subset(recorders, tmp_path, digits):
    run_benchmark("digits", labels=(20, 50), seeds=2, methods=["first", "second"], out_dir=tmp_path / "out",
                  progress=False)
    y_train = digits.y_train
    fits = iter(recorders)
    for labels in (20, 50):
        for seed in (0, 1):
            first, second = next(fits), next(fits)
            assert (first["method"], second["method"], first["seed"], second["seed"]) == ("first", "second",
                                                                                          seed, seed)
            np.testing.assert_array_equal(first["y"], make_semisupervised(y_train, labels, random_state=seed))
            np.testing.assert_array_equal(second["y"], first["y"])
            assert (first["y"] != -1).sum() == labels
    assert not np.array_equal(recorders[0]["y"], recorders[2]["y"])  # seeds 0 and 1 draw different subsets


# resuming

def test_rerunning_trains_nothing_when_every_run_is_in_runs_csv(finished_benchmark, monkeypatch):
    def refuse(self, X, y):
        raise AssertionError("a finished run was trained again")

    for estimator in (SemiSupervisedAAEClassifier, LabelSpreading, SelfTrainingClassifier):
        monkeypatch.setattr(estimator, "fit", refuse)
    before = (finished_benchmark / "runs.csv").read_bytes()
    run_benchmark("digits", labels=(20, 50), seeds=2, out_dir=finished_benchmark, aae_params=TINY, progress=False)
    assert (finished_benchmark / "runs.csv").read_bytes() == before


def test_a_killed_benchmark_resumes_with_the_runs_it_had_not_finished(recorders, tmp_path):
    out = tmp_path / "out"
    run_benchmark("digits", labels=(20,), seeds=3, methods=["first", "second"], out_dir=out, progress=False)
    lines = (out / "runs.csv").read_text().splitlines(keepends=True)
    (out / "runs.csv").write_text("".join(lines[:3]) + lines[3][:20])  # killed while writing the third run
    recorders.clear()
    run_benchmark("digits", labels=(20,), seeds=3, methods=["first", "second"], out_dir=out, progress=False)
    assert [(fit["method"], fit["seed"]) for fit in recorders] == [
        ("first", 1), ("second", 1), ("first", 2), ("second", 2)]  # (first, 1) was cut short
    runs = read_runs(out / "runs.csv")
    assert sorted(zip(runs["method"], runs["seed"])) == [(m, s) for m in ("first", "second") for s in range(3)]
    assert (out / "runs.csv").read_text().startswith("".join(lines[:3]))


def test_a_new_epoch_budget_reruns_the_aae_methods_but_not_the_baselines(finished_benchmark, tmp_path):
    out = shutil.copytree(finished_benchmark, tmp_path / "copy")
    runs = run_benchmark("digits", labels=(20,), seeds=1, methods=["aae", "label-spreading"], out_dir=out,
                         aae_params={**TINY, "max_iter": 3}, progress=False)
    assert len(runs) == 29  # the 28 runs of finished_benchmark and a new one
    assert runs.iloc[-1][["method", "labels", "seed", "epochs"]].tolist() == ["aae", 20, 0, 3]
    assert "| aae (2 epochs) |" in (out / "results.md").read_text()
    assert "| aae (3 epochs) |" in (out / "results.md").read_text()


def test_a_rerun_with_other_settings_for_a_method_with_runs_stops_before_training(finished_benchmark, tmp_path,
                                                                                  monkeypatch):
    out = shutil.copytree(finished_benchmark, tmp_path / "copy")
    before = (out / "runs.csv").read_bytes()
    monkeypatch.setattr(SemiSupervisedAAEClassifier, "fit", lambda *args: pytest.fail("trained"))
    with pytest.raises(ValueError, match=r"copy has aae runs with style_dim=10, not 3; rerun with those settings"):
        run_benchmark("digits", labels=(20, 80), seeds=1, methods=["aae"], out_dir=out,
                      aae_params={**TINY, "style_dim": 3}, progress=False)
    assert (out / "runs.csv").read_bytes() == before


def test_the_aae_methods_train_for_the_benchmark_epochs_unless_told(monkeypatch, tmp_path):
    budgets = []
    monkeypatch.setattr(SemiSupervisedAAEClassifier, "fit",
                        lambda self, X, y, validation_data: budgets.append(self.max_iter) or self)
    monkeypatch.setattr(SemiSupervisedAAEClassifier, "score", lambda self, X, y: 0.5)
    run_benchmark("digits", labels=(20,), seeds=1, methods=["aae", "aae-paper"], out_dir=tmp_path / "a",
                  progress=False)
    run_benchmark("digits", labels=(20,), seeds=1, methods=["aae"], out_dir=tmp_path / "b",
                  aae_params={"max_iter": 3}, progress=False)
    assert budgets == [EPOCHS, EPOCHS, 3]
    assert read_runs(tmp_path / "a" / "runs.csv")["epochs"].tolist() == [EPOCHS, EPOCHS]


def test_a_rerun_for_a_method_whose_settings_were_not_recorded_stops_before_training(finished_benchmark, tmp_path,
                                                                                     monkeypatch):
    out = shutil.copytree(finished_benchmark, tmp_path / "copy")
    (out / "settings.json").unlink()
    monkeypatch.setattr(LabelSpreading, "fit", lambda *args: pytest.fail("trained"))
    with pytest.raises(ValueError, match=r"copy has label-spreading runs but settings.json lacks their settings"):
        run_benchmark("digits", labels=(20, 80), seeds=1, methods=["label-spreading"], out_dir=out, progress=False)


def test_a_method_without_runs_in_the_folder_takes_any_settings(tmp_path):
    out = tmp_path / "out"
    run_benchmark("digits", labels=(20,), seeds=1, methods=["aae"], out_dir=out, aae_params={**TINY, "style_dim": 3},
                  progress=False)
    (out / "runs.csv").unlink()
    run_benchmark("digits", labels=(20,), seeds=1, methods=["aae"], out_dir=out, aae_params={**TINY, "style_dim": 4},
                  progress=False)
    assert read_runs(out / "runs.csv")["method"].tolist() == ["aae"]
    assert '"style_dim": "4"' in (out / "settings.json").read_text()


# processes sharing a folder

def test_two_processes_on_one_folder_share_its_runs(tmp_path):
    out = tmp_path / "results"
    command = [sys.executable, "-c", "from ssaae.cli import main; main()", "bench", "label-efficiency",
               "--dataset", "digits", "--labels", "20", "--labels", "50", "--seeds", "2",
               "--methods", "aae,label-spreading", *TINY_OPTIONS, "--out", str(out), "--quiet"]
    package_root = str(Path(ssaae.__file__).resolve().parents[1])  # the ssaae under test
    env = {**os.environ, "OMP_NUM_THREADS": "1",
           "PYTHONPATH": os.pathsep.join(filter(None, [package_root, os.environ.get("PYTHONPATH")]))}
    processes = [subprocess.Popen(command, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
                 for _ in range(2)]
    for process in processes:
        _, stderr = process.communicate(timeout=600)
        assert process.returncode == 0, stderr
    runs = read_runs(out / "runs.csv")
    assert sorted(zip(runs["method"], runs["labels"], runs["seed"])) == sorted(
        itertools.product(["aae", "label-spreading"], [20, 50], [0, 1]))
    assert "- Runs: 8, finished " in (out / "results.md").read_text()
    assert len(read_curves(out)) == len(CURVES_FILE.read(out / "curves.csv")) == 4 * TINY["max_iter"]  # aae's 4 runs
    assert sorted(path.name for path in out.iterdir()) == ["curves.csv", "results.md", "runs.csv", "settings.json"]


def test_a_run_whose_lock_another_process_holds_is_left_to_it(tmp_path):
    out = tmp_path / "out"
    out.mkdir()
    with open(out / ".digits-label-spreading-20-0.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # as the process doing that run would
        runs = run_benchmark("digits", labels=(20,), seeds=2, methods=["label-spreading"], out_dir=out,
                             progress=False)
    assert runs["seed"].tolist() == [1]
    assert "- Runs: 1, finished " in (out / "results.md").read_text()
    rerun = run_benchmark("digits", labels=(20,), seeds=2, methods=["label-spreading"], out_dir=out, progress=False)
    assert rerun["seed"].tolist() == [1, 0]


def test_a_run_another_process_finished_meanwhile_is_not_trained_again(recorders, tmp_path, monkeypatch):
    out = tmp_path / "out"
    fit = Recorder.fit

    def fit_while_another_process_finishes_seed_1(self, X, y):
        if self.random_state == 0:
            RUNS_FILE.append(out / "runs.csv", {"dataset": "digits", "method": "first", "labels": 20, "seed": 1,
                                                "test_error": 5.0, "validation_error": 5.0, "epochs": None,
                                                "seconds": 1.0, "finished_at": "2026-01-01T00:00:00+00:00"})
        return fit(self, X, y)

    monkeypatch.setattr(Recorder, "fit", fit_while_another_process_finishes_seed_1)
    runs = run_benchmark("digits", labels=(20,), seeds=2, methods=["first"], out_dir=out, progress=False)
    assert [fit["seed"] for fit in recorders] == [0]
    assert sorted(runs["seed"]) == [0, 1]


# a user's file

@pytest.fixture
def digits_csv(digits, tmp_path):
    """digits' training rows as a CSV with a `digit` column, the first 77 unlabeled: 1000 labeled rows."""
    table = pd.DataFrame(digits.X_train, columns=[f"x{i}" for i in range(64)]).assign(digit=digits.y_train)
    table.loc[:76, "digit"] = -1
    table.to_csv(tmp_path / "rows.csv", index=False)
    return tmp_path / "rows.csv"


def test_a_file_is_split_60_20_20_by_label_and_its_unlabeled_rows_left_out(digits_csv, digits):
    data = benchmark_dataset(digits_csv, label_column="digit")
    assert (data.name, data.image_shape) == ("rows", None)
    assert (len(data.y_train), len(data.y_val), len(data.y_test)) == (600, 200, 200)
    assert (len(data.X_train), len(data.X_val), len(data.X_test)) == (600, 200, 200)
    for y in (data.y_train, data.y_val, data.y_test):
        assert set(y) == set(range(10))  # stratified: every class in every part
    rows = {row.tobytes() for row in np.vstack([data.X_train, data.X_val, data.X_test])}
    assert rows == {row.tobytes() for row in digits.X_train[77:]}
    again = benchmark_dataset(digits_csv, label_column="digit")
    np.testing.assert_array_equal(again.X_test, data.X_test)


def test_text_labels_of_a_file_are_numbered(digits, tmp_path):
    table = pd.DataFrame(digits.X_train[:100]).assign(label=np.array(["cat", "dog"])[digits.y_train[:100] % 2])
    table.to_csv(tmp_path / "pets.csv", index=False)
    data = benchmark_dataset(tmp_path / "pets.csv")
    assert set(data.y_train) == {0, 1} and data.y_train.dtype.kind == "i"


def test_the_command_benchmarks_a_csv_file_into_a_folder_named_after_it(digits_csv, tmp_path):
    result = run("bench", "label-efficiency", "--dataset", digits_csv, "--label-column", "digit", "--labels", 20,
                 "--seeds", 1, "--methods", "label-spreading", "--quiet")
    assert result.exit_code == 0, result.output
    out = tmp_path / "benchmarks/results/rows"
    runs = read_runs(out / "runs.csv")
    assert runs[["dataset", "method", "labels", "seed"]].values.tolist() == [["rows", "label-spreading", 20, 0]]
    assert runs["test_error"].between(0, 100).all()
    assert (f"Command: `ssaae bench label-efficiency --dataset={digits_csv} --label-column=digit --labels=20 "
            "--seeds=1") in (out / "results.md").read_text()


def test_a_file_without_labeled_rows_is_a_one_line_error(tmp_path):
    pd.DataFrame({"x": [0.1, 0.2], "label": [-1, -1]}).to_csv(tmp_path / "unlabeled.csv", index=False)
    result = run("bench", "label-efficiency", "--dataset", tmp_path / "unlabeled.csv", "--out", tmp_path / "out")
    assert_one_line_error(result, "unlabeled.csv has no labeled rows")
    assert not (tmp_path / "out").exists()


# results.md

def test_summarize_gives_the_mean_std_and_number_of_runs_per_method_and_label_count(finished_benchmark):
    summary = summarize(finished_benchmark / "runs.csv")
    assert summary["method"].unique().tolist() == list(METHODS)
    assert (summary["runs"] == 2).all()
    runs = pd.read_csv(finished_benchmark / "runs.csv")
    errors = runs.loc[(runs["method"] == "self-training") & (runs["labels"] == 50), "test_error"]
    row = summary[(summary["method"] == "self-training") & (summary["labels"] == 50)].iloc[0]
    assert (row["test_error_mean"], row["test_error_std"]) == pytest.approx((errors.mean(), errors.std()))


def test_results_md_tables_mean_std_and_runs_per_method_and_label_count(finished_benchmark):
    results = (finished_benchmark / "results.md").read_text()
    for title in ("Test error, %", "Validation error, %", "Epochs and minutes per run"):
        assert title in results
    assert results.count("| method | 20 labels | 50 labels |") == 4  # and the table of the time budget
    cell = r"\d+\.\d\d ± \d+\.\d\d \(2\)"
    for method in METHODS:
        assert re.search(rf"^\| {method} \| {cell} \| {cell} \|$", results, re.MULTILINE), method
    summary = summarize(finished_benchmark / "runs.csv").set_index(["method", "labels"])
    mean, std = summary.loc[("label-spreading", 20), ["test_error_mean", "test_error_std"]]
    assert f"| label-spreading | {mean:.2f} ± {std:.2f} (2) |" in results
    assert re.search(r"^\| aae \| 2 epochs, \d+\.\d min \| 2 epochs, \d+\.\d min \|$", results, re.MULTILINE)


def test_results_md_gives_the_validation_error_within_the_time_budget(finished_benchmark):
    results = (finished_benchmark / "results.md").read_text()
    assert f"after the last epoch that ended within {BUDGET_SECONDS} s of training" in results
    table = results[results.index(f"within {BUDGET_SECONDS} s"):results.index("## Methods")]
    curves = read_curves(finished_benchmark)
    for method in AAE_METHODS:  # tiny runs end well within the budget: the mean of their last epochs
        last = curves[(curves["method"] == method) & (curves["labels"] == 20) & (curves["epoch"] == 2)]
        errors = last["validation_error"]
        assert f"| {method} | {errors.mean():.2f} ± {errors.std():.2f} (2) |" in table
    assert "label-spreading" not in table  # no curves: it does not train in epochs


def test_results_md_records_the_command_versions_machine_and_settings(finished_benchmark):
    results = (finished_benchmark / "results.md").read_text()
    assert "Command: `run_benchmark('digits', labels=[20, 50], seeds=[0, 1]" in results
    for version in (f"torch {torch.__version__}", f"numpy {np.__version__}", f"scikit-learn {sklearn.__version__}",
                    "ssaae 0.1.0", "python 3."):
        assert version in results
    assert re.search(r"Machine: .+, \d+ cores, torch on 1 thread, ", results)
    assert "Runs: 28, finished " in results
    assert "LabelSpreading(kernel=\"knn\", n_neighbors=10)" in results
    assert "SGD with momentum 0.9" in results and "divided by 10 at epochs 50 and 1000" in results  # aae-paper


# methods

def test_the_paper_preset_keeps_its_settings_and_takes_extra_aae_parameters():
    paper = METHODS["aae-paper"](random_state=3, max_iter=7).get_params()
    assert {name: paper[name] for name in PAPER_SETTINGS} == PAPER_SETTINGS
    assert (paper["max_iter"], paper["random_state"]) == (7, 3)
    assert METHODS["aae"](style_dim=4).style_dim == 4
    assert METHODS["labels-only"](random_state=3, max_iter=7).max_iter == 7
    assert METHODS["consistency-only"](style_dim=4).get_params() == METHODS["aae"](style_dim=4).get_params()


def test_the_paper_preset_trains_on_mnist_without_diverging():
    # Its SGD learning rates are the paper's for a cost averaged over pixels: with the summed cost at
    # 0.01 every loss was NaN within this first epoch on 3,000 rows.
    mnist_dir = Path(__file__).resolve().parents[2] / "shared/data/mnist"
    if not mnist_dir.is_dir():
        pytest.skip(f"MNIST IDX files not found in {mnist_dir}")
    data = load_dataset("mnist", data_dir=mnist_dir)
    y = make_semisupervised(data.y_train, 100, random_state=0)[:3000]
    model = METHODS["aae-paper"](random_state=0, max_iter=1).fit(data.X_train[:3000], y)
    assert np.isfinite(list(model.history_[0].values())).all()
    assert np.isfinite(model.predict_proba(data.X_val[:500])).all()


# the command

def test_the_command_runs_the_benchmark_prints_the_table_and_resumes(tmp_path):
    out = tmp_path / "results"
    result = run("bench", "label-efficiency", "--dataset", "digits", "--labels", 20, "--seeds", 2,
                 "--methods", "aae,label-spreading", *TINY_OPTIONS, "--out", out, "--quiet")
    assert result.exit_code == 0, result.output
    assert re.search(r"^\| label-spreading \| \d+\.\d\d ± \d+\.\d\d \(2\) \|$", result.stdout, re.MULTILINE)
    assert f"runs in {out / 'runs.csv'}, summary in {out / 'results.md'}" in result.stdout
    assert len(read_runs(out / "runs.csv")) == 4
    assert ("Command: `ssaae bench label-efficiency --dataset=digits --labels=20 --seeds=2 "
            "--methods=aae,label-spreading") in (out / "results.md").read_text()

    again = run("bench", "label-efficiency", "--dataset", "digits", "--labels", 20, "--seeds", 2,
                "--methods", "aae", "--methods", "label-spreading", *TINY_OPTIONS, "--out", out, "--quiet")
    assert again.exit_code == 0, again.output
    assert len(read_runs(out / "runs.csv")) == 4


def test_the_recorded_command_spells_out_every_option_but_the_data_dir(tmp_path):
    out = tmp_path / "out"
    result = run("bench", "label-efficiency", "--dataset", "digits", "--labels", 20, "--seeds", 1,
                 "--methods", "label-spreading", "--data-dir", tmp_path / "data", "--out", out, "--quiet")
    assert result.exit_code == 0, result.output
    expected = shlex.join(["ssaae", "bench", "label-efficiency", "--dataset=digits", "--labels=20", "--seeds=1",
                           "--methods=label-spreading", f"--out={out}", f"--epochs={EPOCHS}"])
    assert f"- Command: `{expected}`\n" in (out / "results.md").read_text()


def test_the_command_will_not_resume_runs_with_other_settings(tmp_path):
    out = tmp_path / "results"
    options = ["bench", "label-efficiency", "--dataset", "digits", "--labels", 20, "--seeds", 1, "--methods", "aae",
               *TINY_OPTIONS, "--out", out, "--quiet"]
    assert run(*options).exit_code == 0
    assert_one_line_error(run(*options, "--param", "input_noise=0.1"), "has aae runs with input_noise=0.3, not 0.1")


@pytest.mark.parametrize(("options", "message"), [
    (["--dataset", "digits", "--methods", "aae,ladder"], "unknown method 'ladder'; known: aae, aae-paper"),
    (["--dataset", "mnsit"], "unknown data set 'mnsit'"),
    (["--dataset", "absent.csv"], "absent.csv"),
    (["--dataset", "digits", "--param", "random_state=1"], "random_state is set by the seeds"),
    (["--dataset", "digits", "--param", "max_iter=3"], "max_iter is set by --epochs"),
    (["--dataset", "digits", "--param", "style_dim=abc"], "style_dim must be an int >= 1, got 'abc'"),
])
def test_bad_options_are_a_one_line_error_before_any_run(options, message, tmp_path):
    assert_one_line_error(run("bench", "label-efficiency", *options, "--out", tmp_path / "out"), message)
    assert not (tmp_path / "out").exists()
