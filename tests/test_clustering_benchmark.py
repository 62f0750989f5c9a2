"""Specification of the clustering benchmark: its scores, runs.csv, resuming, processes sharing a
folder, a user's file as the data, results.md and `ssaae bench clustering`."""

import fcntl
import math
import re
import shutil

import numpy as np
import pandas as pd
import pytest
from helpers import TINY, TINY_OPTIONS, assert_one_line_error, run
from sklearn.cluster import KMeans

from ssaae import AAEClustering
from ssaae.bench.clustering import (
    EPOCHS,
    METHODS,
    RUNS_FILE,
    matched_accuracy,
    paper_error,
    read_runs,
    run_benchmark,
    score_clustering,
    summarize,
)

pytestmark = pytest.mark.usefixtures("one_torch_thread")


@pytest.fixture(scope="module")
def finished_benchmark(tmp_path_factory):
    """Every method, 10 and 12 clusters, 2 seeds, on digits with tiny networks: 12 rows."""
    out = tmp_path_factory.mktemp("benchmark")
    run_benchmark("digits", clusters=(10, 12), seeds=[0, 1], out_dir=out, aae_params=TINY, progress=False)
    return out


@pytest.fixture
def fits(monkeypatch):
    """Records the AAE and k-means fits: ("aae", n_clusters) and ("kmeans", features)."""
    log = []
    aae_fit, kmeans_fit = AAEClustering.fit, KMeans.fit

    def record_aae(self, X, y=None):
        log.append(("aae", self.n_clusters))
        return aae_fit(self, X, y)

    def record_kmeans(self, X, y=None, sample_weight=None):
        log.append(("kmeans", X.shape[1]))
        return kmeans_fit(self, X, y, sample_weight)

    monkeypatch.setattr(AAEClustering, "fit", record_aae)
    monkeypatch.setattr(KMeans, "fit", record_kmeans)
    return log


# the scores

def test_paper_error_gives_each_cluster_the_label_of_its_top_ranked_validation_row_not_its_majority():
    scores = np.array([[0.9, 0.1],   # label 7: cluster 0's top row
                       [0.8, 0.2],   # label 3
                       [0.7, 0.3],   # label 3
                       [0.2, 0.8]])  # label 3: cluster 1's top row
    y_validation = [7, 3, 3, 3]
    # Cluster 0 is called 7 although most validation rows it claims are 3s.
    assert paper_error(scores, y_validation, test_clusters=[0, 0, 1], y_test=[7, 7, 3]) == 0.0
    assert paper_error(scores, y_validation, test_clusters=[0, 1, 1, 1], y_test=[7, 3, 3, 7]) == 0.25


def test_paper_error_ranks_by_the_highest_score_so_minus_distances_rank_the_nearest_row_first():
    distances = np.array([[0.5, 4.0],
                          [3.0, 0.1],
                          [0.2, 5.0]])
    assert paper_error(-distances, [1, 2, 3], test_clusters=[0, 1], y_test=[3, 2]) == 0.0
    assert paper_error(distances, [1, 2, 3], test_clusters=[0, 1], y_test=[3, 2]) == 1.0


def test_matched_accuracy_is_one_for_the_classes_under_other_cluster_names():
    assert matched_accuracy(y_true=[0, 0, 1, 1, 2], clusters=[5, 5, 3, 3, 4]) == 1.0


def test_matched_accuracy_allows_a_class_only_one_cluster():
    # Cluster 0 (two 0s) and cluster 1 (three 0s, two 1s) both hold mostly 0s; one-to-one, cluster 1
    # must be class 1 (2 + 2 right) or class 0 with cluster 0 as class 1 (3 + 0 right).
    assert matched_accuracy(y_true=[0, 0, 0, 0, 0, 1, 1], clusters=[0, 0, 1, 1, 1, 1, 1]) == pytest.approx(4 / 7)


def test_score_clustering_of_the_classes_renamed_is_perfect():
    scores = score_clustering([[0.1, 0.9], [0.8, 0.2]], [4, 9], test_clusters=[1, 0, 0, 1], y_test=[4, 9, 9, 4])
    assert scores == {"test_error": 0.0, "validation_error": 0.0, "normalized_mutual_info": 1.0,
                      "adjusted_rand_index": 1.0, "matched_accuracy": 100.0}


def test_validation_error_scores_the_validation_rows_by_their_clusters_top_row():
    # Cluster 0 ranks the 7 highest and also claims the 3 below it; cluster 1 claims the 1.
    validation_scores = [[0.9, 0.1], [0.6, 0.4], [0.2, 0.8]]
    scores = score_clustering(validation_scores, [7, 3, 1], test_clusters=[0, 1], y_test=[7, 1])
    assert scores["validation_error"] == pytest.approx(100 / 3) and scores["test_error"] == 0.0


def test_score_clustering_of_clusters_that_cut_across_the_classes_has_nmi_0_and_ari_minus_one_half():
    # Pairs in one class: 2 of 6, in one cluster: 2, in both: 0. ARI = (0 - 2*2/6) / ((2+2)/2 - 2*2/6) = -1/2.
    scores = score_clustering([[1.0, 0.0], [0.0, 1.0]], [0, 1], test_clusters=[0, 1, 0, 1], y_test=[0, 0, 1, 1])
    assert scores["normalized_mutual_info"] == pytest.approx(0, abs=1e-12)
    assert scores["adjusted_rand_index"] == pytest.approx(-0.5)
    assert scores["test_error"] == 50.0 and scores["matched_accuracy"] == 50.0


def test_score_clustering_leaves_matched_accuracy_out_when_clusters_and_classes_differ_in_number():
    scores = score_clustering(np.eye(3), [0, 1, 1], test_clusters=[0, 1, 2], y_test=[0, 1, 1])
    assert math.isnan(scores["matched_accuracy"])
    assert scores["test_error"] == 0.0


# runs.csv

def test_every_method_cluster_count_and_seed_is_a_row_of_runs_csv(finished_benchmark):
    runs = pd.read_csv(finished_benchmark / "runs.csv")
    assert tuple(runs.columns) == RUNS_FILE.columns
    assert sorted(zip(runs["method"], runs["clusters"], runs["seed"])) == sorted(
        (method, clusters, seed) for method in METHODS for clusters in (10, 12) for seed in (0, 1))
    assert runs["test_error"].between(0, 100).all() and runs["adjusted_rand_index"].between(-1, 1).all()
    assert runs["normalized_mutual_info"].between(0, 1).all()
    ten = runs["clusters"] == 10  # digits has 10 classes
    assert runs.loc[ten, "matched_accuracy"].between(0, 100).all() and runs.loc[~ten, "matched_accuracy"].isna().all()
    pixels = runs["method"] == "kmeans-pixels"
    assert runs.loc[pixels, "epochs"].isna().all() and (runs.loc[~pixels, "epochs"] == 2).all()
    assert (runs["seconds"] >= 0).all() and pd.to_datetime(runs["finished_at"]).notna().all()


def test_kmeans_on_pixels_is_scored_with_minus_the_distance_to_its_centres(finished_benchmark, digits):
    kmeans = KMeans(10, n_init=10, random_state=1).fit(digits.X_train)
    expected = score_clustering(-kmeans.transform(digits.X_val), digits.y_val, kmeans.predict(digits.X_test),
                                digits.y_test)
    runs = read_runs(finished_benchmark / "runs.csv").set_index(["method", "clusters", "seed"])
    row = runs.loc[("kmeans-pixels", 10, 1)]
    assert {name: row[name] for name in expected} == pytest.approx(expected, abs=1e-4)


def test_the_aae_is_scored_with_its_soft_assignments_on_validation_and_its_clusters_on_test(finished_benchmark,
                                                                                              digits):
    model = AAEClustering(n_clusters=12, random_state=0, **TINY).fit(digits.X_train)
    expected = score_clustering(model.predict_proba(digits.X_val), digits.y_val, model.predict(digits.X_test),
                                digits.y_test)
    runs = read_runs(finished_benchmark / "runs.csv").set_index(["method", "clusters", "seed"])
    row = runs.loc[("aae", 12, 0)]
    assert {name: row[name] for name in expected} == pytest.approx(expected, abs=1e-4, nan_ok=True)


def test_kmeans_on_the_aae_code_reuses_the_aae_of_its_run_on_its_soft_assignments_and_style(fits, tmp_path):
    run_benchmark("digits", clusters=(10,), seeds=1, out_dir=tmp_path, aae_params=TINY, progress=False)
    style_dim = AAEClustering().style_dim
    assert sorted(fits) == sorted([("aae", 10), ("kmeans", 10 + style_dim), ("kmeans", 64)])


def test_each_run_is_appended_and_summarized_as_soon_as_it_finishes(monkeypatch, tmp_path):
    seen = []
    kmeans_fit = KMeans.fit

    def record(self, X, y=None, sample_weight=None):
        seen.append((len(read_runs(tmp_path / "runs.csv")), (tmp_path / "results.md").read_text()))
        return kmeans_fit(self, X, y, sample_weight)

    monkeypatch.setattr(KMeans, "fit", record)
    run_benchmark("digits", clusters=(10,), seeds=2, methods=["kmeans-pixels"], out_dir=tmp_path, progress=False)
    assert [rows for rows, _ in seen] == [0, 1]
    assert "No finished runs yet" in seen[0][1]
    assert re.search(r"^\| kmeans-pixels \| \d+\.\d\d \(1\) \|$", seen[1][1], re.MULTILINE)


# resuming

def test_rerunning_trains_nothing_when_every_run_is_in_runs_csv(finished_benchmark, fits):
    before = (finished_benchmark / "runs.csv").read_bytes()
    run_benchmark("digits", clusters=(10, 12), seeds=2, out_dir=finished_benchmark, aae_params=TINY, progress=False)
    assert fits == []
    assert (finished_benchmark / "runs.csv").read_bytes() == before


def test_a_killed_benchmark_redoes_only_the_runs_it_had_not_finished(finished_benchmark, fits, tmp_path):
    out = shutil.copytree(finished_benchmark, tmp_path / "copy")
    lines = (out / "runs.csv").read_text().splitlines(keepends=True)
    last_aae = max(index for index, line in enumerate(lines) if line.startswith("digits,aae,"))
    kept = lines[:last_aae + 1]  # killed while writing the kmeans-aae-code row after it
    (out / "runs.csv").write_text("".join(kept) + lines[last_aae + 1][:15])
    finished_before = read_runs(out / "runs.csv")
    run_benchmark("digits", clusters=(10, 12), seeds=2, out_dir=out, aae_params=TINY, progress=False)
    runs = read_runs(out / "runs.csv")
    missing = set(zip(runs["method"], runs["clusters"], runs["seed"])) - set(
        zip(finished_before["method"], finished_before["clusters"], finished_before["seed"]))
    assert len(runs) == 12 and not runs.duplicated(["method", "clusters", "seed"]).any()
    assert missing == {("kmeans-aae-code", 12, 1), ("kmeans-pixels", 12, 1)}
    assert sorted(fits) == sorted([("aae", 12), ("kmeans", 64), ("kmeans", 12 + AAEClustering().style_dim)])
    assert (out / "runs.csv").read_text().startswith("".join(kept))


def test_a_new_epoch_budget_reruns_the_aae_methods_but_not_kmeans_on_pixels(finished_benchmark, fits, tmp_path):
    out = shutil.copytree(finished_benchmark, tmp_path / "copy")
    runs = run_benchmark("digits", clusters=(10,), seeds=1, out_dir=out, aae_params={**TINY, "max_iter": 3},
                         progress=False)
    assert len(runs) == 14 and [name for name, _ in fits] == ["aae", "kmeans"]
    assert runs.tail(2)[["method", "epochs"]].values.tolist() == [["aae", 3], ["kmeans-aae-code", 3]]
    assert "| aae (2 epochs) |" in (out / "results.md").read_text()
    assert "| aae (3 epochs) |" in (out / "results.md").read_text()


def test_the_aae_trains_for_the_benchmark_epochs_unless_told(monkeypatch, tmp_path):
    class Trained(Exception):
        pass

    def fit(self, X, y=None):
        raise Trained(self.max_iter)

    monkeypatch.setattr(AAEClustering, "fit", fit)
    for aae_params, epochs in [(None, EPOCHS), ({"max_iter": 3}, 3)]:
        with pytest.raises(Trained) as trained:
            run_benchmark("digits", clusters=(10,), seeds=1, methods=["aae"], out_dir=tmp_path, aae_params=aae_params,
                          progress=False)
        assert trained.value.args == (epochs,)


def test_a_rerun_with_other_aae_settings_stops_before_training(finished_benchmark, fits, tmp_path):
    out = shutil.copytree(finished_benchmark, tmp_path / "copy")
    with pytest.raises(ValueError, match=r"copy has aae runs with balance_weight=5.0, not 0; rerun with those"):
        run_benchmark("digits", clusters=(10,), seeds=3, methods=["aae", "kmeans-pixels"], out_dir=out,
                      aae_params={**TINY, "balance_weight": 0}, progress=False)
    assert fits == []


# processes sharing a folder

def test_an_aae_job_whose_lock_another_process_holds_is_left_to_it(fits, tmp_path):
    out = tmp_path / "out"
    out.mkdir()
    with open(out / ".digits-aae-10-0-2.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # as the process training that AAE would
        runs = run_benchmark("digits", clusters=(10,), seeds=1, methods=["aae", "kmeans-aae-code"], out_dir=out,
                             aae_params=TINY, progress=False)
    assert fits == [] and runs.empty
    assert "- Runs: 0" in (out / "results.md").read_text()


def test_the_aae_job_lock_covers_its_kmeans_on_the_code_alone(finished_benchmark, fits, tmp_path):
    out = shutil.copytree(finished_benchmark, tmp_path / "copy")
    lines = (out / "runs.csv").read_text().splitlines(keepends=True)
    (out / "runs.csv").write_text("".join(line for line in lines if not line.startswith("digits,kmeans-aae-code,10,0,")))
    with open(out / ".digits-aae-10-0-2.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        run_benchmark("digits", clusters=(10, 12), seeds=2, out_dir=out, aae_params=TINY, progress=False)
    assert fits == [] and len(read_runs(out / "runs.csv")) == 11


# a user's file

def test_a_npy_file_is_clustered_and_scored_on_its_labeled_rows(digits, tmp_path):
    table = np.c_[digits.X_train, digits.y_train]
    table[:77, -1] = -1  # 1000 labeled rows
    np.save(tmp_path / "rows.npy", table)
    result = run("bench", "clustering", "--dataset", tmp_path / "rows.npy", "--clusters", 10, "--seeds", 1,
                 "--methods", "kmeans-pixels", "--quiet")
    assert result.exit_code == 0, result.output
    out = tmp_path / "benchmarks/results/rows-clustering"
    runs = read_runs(out / "runs.csv")
    assert runs[["dataset", "method", "clusters", "seed"]].values.tolist() == [["rows", "kmeans-pixels", 10, 0]]
    assert runs["normalized_mutual_info"].between(0, 1).all() and runs["matched_accuracy"].between(0, 100).all()
    assert "Command: `ssaae bench clustering --dataset=" in (out / "results.md").read_text()


# results.md

def test_summarize_gives_the_mean_std_and_number_of_runs_per_method_and_cluster_count(finished_benchmark):
    summary = summarize(finished_benchmark / "runs.csv")
    assert summary["method"].unique().tolist() == list(METHODS) and (summary["runs"] == 2).all()
    runs = pd.read_csv(finished_benchmark / "runs.csv")
    nmi = runs.loc[(runs["method"] == "kmeans-pixels") & (runs["clusters"] == 12), "normalized_mutual_info"]
    row = summary[(summary["method"] == "kmeans-pixels") & (summary["clusters"] == 12)].iloc[0]
    assert (row["normalized_mutual_info_mean"], row["normalized_mutual_info_std"]) == pytest.approx((nmi.mean(),
                                                                                                    nmi.std()))


def test_results_md_tables_mean_std_and_runs_per_method_and_cluster_count(finished_benchmark):
    results = (finished_benchmark / "results.md").read_text()
    for title in ("Test error by the paper's protocol, %", "Validation error by the paper's protocol",
                  "Normalized mutual information", "Adjusted Rand index", "Epochs and minutes per run"):
        assert title in results
    assert results.count("| method | 10 clusters | 12 clusters |") == 5
    percent, fraction = r"\d+\.\d\d ± \d+\.\d\d \(2\)", r"-?\d\.\d\d\d ± \d\.\d\d\d \(2\)"
    for method in METHODS:
        assert re.search(rf"^\| {method} \| {percent} \| {percent} \|$", results, re.MULTILINE), method
        assert re.search(rf"^\| {method} \| {fraction} \| {fraction} \|$", results, re.MULTILINE), method
    summary = summarize(finished_benchmark / "runs.csv").set_index(["method", "clusters"])
    mean, std = summary.loc[("kmeans-pixels", 12), ["test_error_mean", "test_error_std"]]
    assert f"| kmeans-pixels | {summary.loc[('kmeans-pixels', 10), 'test_error_mean']:.2f} ± " in results
    assert f" | {mean:.2f} ± {std:.2f} (2) |" in results
    matched = results.split("one-to-one matching of clusters to classes, test split, %")[1].split("Epochs")[0]
    assert "| method | 10 clusters |\n" in matched  # only 10 clusters match digits' 10 classes
    assert re.search(r"^\| kmeans-aae-code \| 2 epochs, \d+\.\d min \| 2 epochs, \d+\.\d min \|$", results,
                     re.MULTILINE)


def test_results_md_records_the_command_versions_machine_and_methods(finished_benchmark):
    results = (finished_benchmark / "results.md").read_text()
    assert "Command: `run_benchmark('digits', clusters=[10, 12], seeds=[0, 1]" in results
    assert "Versions: python 3." in results and re.search(r"Machine: .+, \d+ cores, torch on 1 thread, ", results)
    assert "Runs: 12, finished " in results
    assert "- `kmeans-aae-code`: KMeans(n_init=10) on the code of the aae model" in results


# ssaae bench clustering

def test_bench_clustering_runs_prints_the_tables_and_resumes(tmp_path):
    out = tmp_path / "results"
    options = ["--dataset", "digits", *TINY_OPTIONS, "--clusters", 10, "--seeds", 2, "--out", out, "--quiet"]
    result = run("bench", "clustering", *options)
    assert result.exit_code == 0, result.output
    assert f"runs in {out / 'runs.csv'}, summary in {out / 'results.md'}" in result.stdout
    assert re.search(r"^\| kmeans-pixels \| \d+\.\d\d ± \d+\.\d\d \(2\) \|$", result.stdout, re.MULTILINE)
    runs = read_runs(out / "runs.csv")
    assert sorted(zip(runs["method"], runs["seed"])) == sorted((method, seed) for method in METHODS for seed in (0, 1))
    results = (out / "results.md").read_text()
    assert ("Command: `ssaae bench clustering --dataset=digits --clusters=10 --seeds=2 "
            "--methods=aae,kmeans-pixels,kmeans-aae-code ") in results

    again = run("bench", "clustering", *options)
    assert again.exit_code == 0, again.output
    assert read_runs(out / "runs.csv").equals(runs)


def test_bench_clustering_writes_to_benchmarks_results_dataset_clustering_by_default(tmp_path):
    result = run("bench", "clustering", "--dataset", "digits", "--clusters", 10, "--seeds", 1,
                 "--methods", "kmeans-pixels", "--quiet")
    assert result.exit_code == 0, result.output
    assert len(read_runs(tmp_path / "benchmarks/results/digits-clustering/runs.csv")) == 1


@pytest.mark.parametrize(("options", "message"), [
    (["--dataset", "digits", "--methods", "aae,dec"], "unknown method 'dec'; known: aae, kmeans-pixels"),
    (["--dataset", "mnsit"], "unknown data set 'mnsit'"),
    (["--dataset", "digits", "--param", "n_clusters=3"], "n_clusters is set by the cluster counts"),
    (["--dataset", "digits", "--param", "random_state=1"], "random_state is set by the seeds"),
    (["--dataset", "digits", "--param", "hidden_units=(32,)"], "hidden_units"),
    (["--dataset", "digits", "--param", "style_dim=-2"], "style_dim must be an int >= 1, got -2"),
])
def test_bench_clustering_bad_options_are_a_one_line_error_before_any_run(options, message, tmp_path):
    assert_one_line_error(run("bench", "clustering", *options, "--out", tmp_path / "out"), message)
    assert not (tmp_path / "out").exists()
