"""Specification of `ssaae cluster`: the clusters and soft assignments of every row, from a data set
or a file, the saved model, and its one-line errors."""

import re

import numpy as np
import pandas as pd
import pytest
from helpers import TINY_OPTIONS, assert_one_line_error, run

from ssaae import AAEClustering
from ssaae.persistence import load_model

pytestmark = pytest.mark.usefixtures("one_torch_thread")


def test_cluster_on_digits_writes_the_cluster_and_soft_assignments_of_every_training_row(digits, tmp_path):
    result = run("cluster", "digits", "--clusters", 7, *TINY_OPTIONS, "--quiet", "--out", tmp_path / "clusters.csv",
                 "--model-out", tmp_path / "model.pt")
    assert result.exit_code == 0, result.output
    table = pd.read_csv(tmp_path / "clusters.csv")
    assert list(table.columns) == ["cluster"] + [f"probability_{k}" for k in range(7)]
    assert len(table) == len(digits.X_train)
    probabilities = table.drop(columns="cluster").to_numpy()
    np.testing.assert_allclose(probabilities.sum(1), 1, rtol=1e-5)
    np.testing.assert_array_equal(table["cluster"], probabilities.argmax(1))
    model = load_model(tmp_path / "model.pt")
    assert isinstance(model, AAEClustering) and (model.n_clusters, model.n_iter_, model.random_state) == (7, 2, 0)
    np.testing.assert_array_equal(table["cluster"], model.predict(digits.X_train))
    used = table["cluster"].nunique()
    assert re.fullmatch(rf"digits: 1077 rows in {used} of 7 clusters \(trained in \d+\.\d s\); wrote "
                        rf"{re.escape(str(tmp_path / 'clusters.csv'))} and {re.escape(str(tmp_path / 'model.pt'))}\n",
                        result.stdout)
    assert result.stderr == ""


def test_cluster_on_a_csv_clusters_its_rows_and_leaves_out_its_label_column(digits, tmp_path):
    table = pd.DataFrame(digits.X_train[:100], columns=[f"x{i}" for i in range(64)]).assign(label=digits.y_train[:100])
    table.to_csv(tmp_path / "rows.csv", index=False)
    result = run("cluster", tmp_path / "rows.csv", "--clusters", 3, *TINY_OPTIONS, "--quiet",
                 "--out", tmp_path / "clusters.csv", "--model-out", tmp_path / "model.pt")
    assert result.exit_code == 0, result.output
    clusters = pd.read_csv(tmp_path / "clusters.csv")
    assert clusters.shape == (100, 4)
    np.testing.assert_allclose(clusters.drop(columns="cluster").sum(axis=1), 1, rtol=1e-5)
    assert load_model(tmp_path / "model.pt").n_features_in_ == 64
    assert "rows.csv: 100 rows in " in result.stdout


def test_cluster_shows_a_progress_bar_over_epochs_unless_quiet(tmp_path):
    result = run("cluster", "digits", *TINY_OPTIONS, "--out", tmp_path / "clusters.csv")
    assert result.exit_code == 0, result.output
    assert "epochs" in result.stderr and "2/2" in result.stderr


@pytest.mark.parametrize(("arguments", "fragments"), [
    (["mnsit"], ["unknown data set 'mnsit'", "digits"]),
    (["absent.csv"], ["absent.csv"]),
    (["digits", "--param", "n_cluster=3"], ["'n_cluster'", "n_clusters"]),
])
def test_cluster_bad_input_is_a_one_line_error(arguments, fragments, tmp_path):
    assert_one_line_error(run("cluster", *arguments, "--out", tmp_path / "clusters.csv"), *fragments)
    assert not (tmp_path / "clusters.csv").exists()


def test_cluster_needs_an_out_file_in_an_existing_folder_before_training(tmp_path):
    assert_one_line_error(run("cluster", "digits"), "Missing option '--out'")
    absent = run("cluster", "digits", "--out", tmp_path / "absent" / "clusters.csv")
    assert_one_line_error(absent, "cannot write", "no folder")
    assert absent.stdout == ""
