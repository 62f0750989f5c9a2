"""Specification of the one-class benchmark: its runs and scores, the mean over the classes,
results.md and `ssaae bench one-class`."""

import numpy as np
import pandas as pd
import pytest
from helpers import TINY, assert_one_line_error, run
from sklearn.ensemble import IsolationForest
from sklearn.metrics import roc_auc_score

from ssaae import AAEClustering
from ssaae.bench.one_class import (
    AAE_SETTINGS,
    EPOCHS,
    METHODS,
    RUNS_FILE,
    ReconstructingMLP,
    run_benchmark,
    summarize,
    summary_tables,
)

pytestmark = pytest.mark.usefixtures("one_torch_thread")


@pytest.fixture(scope="module")
def finished_benchmark(tmp_path_factory):
    """Every method, normal classes 0 and 3, 2 seeds, on digits with tiny networks: 12 rows."""
    out = tmp_path_factory.mktemp("benchmark")
    run_benchmark("digits", classes=(0, 3), seeds=2, out_dir=out, aae_params=TINY, progress=False)
    return out


def test_every_method_class_and_seed_is_a_row_of_runs_csv(finished_benchmark):
    runs = pd.read_csv(finished_benchmark / "runs.csv")
    assert tuple(runs.columns) == RUNS_FILE.columns
    assert sorted(zip(runs["method"], runs["normal_class"], runs["seed"])) == sorted(
        (method, normal, seed) for method in METHODS for normal in (0, 3) for seed in (0, 1))
    assert runs["test_auroc"].between(0, 100).all() and runs["validation_auroc"].between(0, 100).all()
    aae = runs["method"] == "aae"
    assert (runs.loc[aae, "epochs"] == TINY["max_iter"]).all() and runs.loc[~aae, "epochs"].isna().all()


@pytest.mark.parametrize("method", ["aae", "isolation-forest"])
def test_a_run_trains_on_its_normal_class_alone_and_scores_auroc_with_it_as_positive(finished_benchmark, digits,
                                                                                     method):
    model = (AAEClustering(random_state=1, **TINY, **AAE_SETTINGS) if method == "aae"
             else IsolationForest(random_state=1))
    model.fit(digits.X_train[digits.y_train == 3])
    expected = 100 * roc_auc_score(digits.y_test == 3, model.score_samples(digits.X_test))
    runs = pd.read_csv(finished_benchmark / "runs.csv").set_index(["method", "normal_class", "seed"])
    assert runs.loc[(method, 3, 1), "test_auroc"] == pytest.approx(expected, abs=0.01)


def test_the_autoencoder_scores_minus_its_squared_reconstruction_error(digits):
    model = ReconstructingMLP(hidden_layer_sizes=(8,), max_iter=200, random_state=0).fit(digits.X_train[:100])
    X = digits.X_test[:4]
    np.testing.assert_allclose(model.score_samples(X), -((model.predict(X) - X) ** 2).sum(1))


def test_every_class_of_the_training_split_is_a_normal_class_unless_told(monkeypatch, tmp_path):
    normal_classes = []
    monkeypatch.setattr("ssaae.bench.one_class._train_and_score", lambda estimator, data, normal: (
        normal_classes.append(normal) or {"test_auroc": 50.0, "validation_auroc": 50.0, "seconds": 0.0,
                                          "finished_at": "now"}))
    run_benchmark("digits", seeds=1, methods=["isolation-forest"], out_dir=tmp_path, progress=False)
    assert normal_classes == list(range(10))


def test_a_class_the_data_set_lacks_is_an_error_before_anything_is_written(tmp_path):
    with pytest.raises(ValueError, match="digits has no training rows of class 12"):
        run_benchmark("digits", classes=[12], seeds=1, out_dir=tmp_path / "out", progress=False)
    assert not (tmp_path / "out").exists()


def test_rerunning_trains_nothing_when_every_run_is_in_runs_csv(finished_benchmark, monkeypatch):
    monkeypatch.setattr("ssaae.bench.one_class._train_and_score", lambda *args: pytest.fail("trained again"))
    run_benchmark("digits", classes=(0, 3), seeds=2, out_dir=finished_benchmark, aae_params=TINY, progress=False)


def test_the_mean_over_the_classes_counts_a_seed_once_it_has_every_class(tmp_path):
    for normal, seed, auroc in [(0, 0, 90.0), (1, 0, 70.0), (0, 1, 100.0), (0, 2, 80.0), (1, 2, 60.0)]:
        RUNS_FILE.append(tmp_path / "runs.csv", {"dataset": "d", "method": "aae", "normal_class": normal, "seed": seed,
                                                 "test_auroc": auroc, "validation_auroc": auroc, "epochs": 1,
                                                 "seconds": 60.0, "finished_at": "now"})
    summary = summarize(tmp_path / "runs.csv").set_index("normal_class")
    assert summary.loc["all", "runs"] == 2 and summary.loc["all", "test_auroc_mean"] == pytest.approx(75.0)
    assert summary.loc["all", "minutes_mean"] == pytest.approx(2.0)  # both classes' runs of a seed
    assert summary.loc["0", "runs"] == 3 and summary.loc["0", "test_auroc_mean"] == pytest.approx(90.0)
    tables = summary_tables(summarize(tmp_path / "runs.csv"))
    assert "| method | all classes |\n| --- | --- |\n| aae | 75.00 ± 7.07 (2) |" in tables
    assert "| method | class 0 | class 1 |\n| --- | --- | --- |\n| aae | 90.00 ± 10.00 (3) | 65.00 ± 7.07 (2) |" in tables


def test_bench_one_class_prints_the_tables_and_records_its_command(tmp_path):
    result = run("bench", "one-class", "--dataset", "digits", "--classes", 1, "--seeds", 1, "--methods",
                 "isolation-forest", "--out", tmp_path, "--quiet")
    assert result.exit_code == 0, result.output
    assert "| isolation-forest |" in result.stdout
    assert ("Command: `ssaae bench one-class --dataset=digits --classes=1 --seeds=1 --methods=isolation-forest "
            f"--out={tmp_path} --epochs={EPOCHS}`") in (tmp_path / "results.md").read_text()


@pytest.mark.parametrize(("options", "message"), [(["--classes", 12], "no training rows of class 12"),
                                                  (["--methods", "svm"], "unknown method 'svm'"),
                                                  (["--param", "n_clusters=0"], "n_clusters")])
def test_bench_one_class_bad_options_are_a_one_line_error(options, message, tmp_path):
    assert_one_line_error(run("bench", "one-class", "--dataset", "digits", *options, "--out", tmp_path), message)
