"""Specification of the ``ssaae`` command: fit, predict, datasets, and its one-line errors."""

import io
import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from cli_runner import assert_one_line_error, run

from ssaae.datasets import load_dataset
from ssaae.persistence import load_model

SHARED_MNIST = Path(__file__).resolve().parents[2] / "shared/data/mnist"
TINY = ["--param", "hidden_layer_sizes=(32,)", "--param", "discriminator_layer_sizes=(32,)", "--epochs", "2"]
ERRORS = r"validation error (\d+\.\d\d)%, test error (\d+\.\d\d)% \(trained in \d+\.\d s\)"
NAMES = np.array(["zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine"])


pytestmark = pytest.mark.usefixtures("one_torch_thread")


@pytest.fixture(scope="module")
def digits():
    return load_dataset("digits")


@pytest.fixture(scope="module")
def trained(tmp_path_factory):
    """One `ssaae fit digits --out MODEL`, shared by the tests of its output and of predict."""
    model = tmp_path_factory.mktemp("trained") / "digits.pt"
    return run("fit", "digits", "--labels", 100, *TINY, "--out", model), model


def write_csv(path, X, labels, label_column="label"):
    table = pd.DataFrame(X, columns=[f"x{i}" for i in range(X.shape[1])])
    if labels is not None:
        table[label_column] = labels
    table.to_csv(path, index=False)
    return path


# fit on a data set

def test_fit_on_digits_prints_validation_and_test_error_and_saves_the_model(trained, digits):
    result, model = trained
    assert result.exit_code == 0, result.output
    assert "digits: 100 of 1077 training rows labeled" in result.stdout
    validation, test = re.search(f"semi-supervised AAE: {ERRORS}", result.stdout).groups()
    loaded = load_model(model)
    assert validation == f"{100 * (1 - loaded.score(digits.X_val, digits.y_val)):.2f}"
    assert test == f"{100 * (1 - loaded.score(digits.X_test, digits.y_test)):.2f}"
    assert f"saved the model to {model}" in result.stdout
    assert (loaded.n_iter_, loaded.hidden_layer_sizes, loaded.random_state) == (2, (32,), 0)


def test_fit_shows_a_progress_bar_over_epochs(trained):
    result, _ = trained
    assert "epochs" in result.stderr and "2/2" in result.stderr


def test_fit_with_compare_prints_the_errors_with_and_without_the_unlabeled_data():
    result = run("fit", "digits", *TINY, "--quiet", "--compare")
    assert result.exit_code == 0, result.output
    assert re.search(f"semi-supervised AAE: {ERRORS}", result.stdout)
    assert re.search(f"labels only: {ERRORS}", result.stdout)
    assert result.stderr == ""


# fit on a file

def test_fit_on_a_csv_takes_minus_one_and_empty_as_unlabeled_and_keeps_string_classes(digits, tmp_path):
    labels = NAMES[digits.y_train[:300]].astype(object)
    labels[100:200] = -1
    labels[200:] = ""
    path = write_csv(tmp_path / "digits.csv", digits.X_train[:300], labels)
    result = run("fit", path, *TINY, "--quiet", "--out", tmp_path / "model.pt")
    assert result.exit_code == 0, result.output
    assert f"{path}: 300 rows, 100 labeled, 10 classes" in result.stdout
    assert result.stderr == ""
    assert sorted(load_model(tmp_path / "model.pt").classes_) == sorted(NAMES)


def test_fit_reads_labels_from_the_named_csv_column(digits, tmp_path):
    path = write_csv(tmp_path / "digits.csv", digits.X_train[:300], digits.y_train[:300], "digit")
    result = run("fit", path, "--label-column", "digit", *TINY, "--quiet")
    assert result.exit_code == 0, result.output
    assert "300 rows, 300 labeled, 10 classes" in result.stdout


def test_fit_on_an_npy_takes_the_last_column_as_labels(digits, tmp_path):
    y = digits.y_train[:300].copy()
    y[50:] = -1
    np.save(tmp_path / "digits.npy", np.column_stack([digits.X_train[:300], y]))
    result = run("fit", tmp_path / "digits.npy", *TINY, "--quiet", "--out", tmp_path / "model.pt")
    assert result.exit_code == 0, result.output
    assert "300 rows, 50 labeled, 10 classes" in result.stdout
    assert load_model(tmp_path / "model.pt").n_features_in_ == 64


def test_fit_on_a_file_with_labels_keeps_that_many_of_its_labels(digits, tmp_path):
    path = write_csv(tmp_path / "digits.csv", digits.X_train[:300], digits.y_train[:300])
    result = run("fit", path, "--labels", 20, *TINY, "--quiet")
    assert result.exit_code == 0, result.output
    assert "300 rows, 20 labeled, 10 classes" in result.stdout


def test_fit_refuses_an_out_file_in_a_missing_folder_before_training(tmp_path):
    result = run("fit", "digits", "--out", tmp_path / "absent" / "model.pt")
    assert result.exit_code == 2
    assert "Invalid value for --out: no folder" in result.stderr
    assert result.stdout == ""


# predict

def test_predict_writes_a_prediction_and_a_probability_per_class_for_each_row(trained, digits, tmp_path):
    _, model = trained
    path = write_csv(tmp_path / "test.csv", digits.X_test, digits.y_test)  # its label column is left out
    result = run("predict", model, path, "--out", tmp_path / "predictions.csv")
    assert result.exit_code == 0, result.output
    predictions = pd.read_csv(tmp_path / "predictions.csv")
    assert list(predictions.columns) == ["prediction"] + [f"proba_{digit}" for digit in range(10)]
    assert len(predictions) == len(digits.X_test)
    estimator = load_model(model)
    np.testing.assert_array_equal(predictions["prediction"], estimator.predict(digits.X_test))
    np.testing.assert_allclose(predictions.iloc[:, 1:], estimator.predict_proba(digits.X_test), rtol=1e-6)


def test_predict_without_out_writes_the_csv_to_standard_output(trained, digits, tmp_path):
    _, model = trained
    np.save(tmp_path / "test.npy", digits.X_test[:5])
    result = run("predict", model, tmp_path / "test.npy")
    assert result.exit_code == 0, result.output
    predictions = pd.read_csv(io.StringIO(result.stdout))
    np.testing.assert_array_equal(predictions["prediction"], load_model(model).predict(digits.X_test[:5]))


# datasets

@pytest.mark.skipif(not SHARED_MNIST.is_dir(), reason=f"MNIST IDX files not found in {SHARED_MNIST}")
def test_datasets_lists_mnist_available_and_verified_in_SSAAE_DATA_DIR(monkeypatch):
    monkeypatch.setenv("SSAAE_DATA_DIR", str(SHARED_MNIST))
    result = run("datasets")
    assert result.exit_code == 0, result.output
    mnist_line = rf"^mnist +available +{re.escape(str(SHARED_MNIST))} +verified$"
    assert re.search(mnist_line, result.stdout, re.MULTILINE)
    assert re.search(r"^digits +available .* verified$", result.stdout, re.MULTILINE)


def test_datasets_lists_mnist_missing_in_an_empty_data_dir(tmp_path):
    result = run("datasets", "--data-dir", tmp_path)
    assert result.exit_code == 0, result.output
    assert re.search(r"^mnist +missing +- +lacks train-images-idx3-ubyte", result.stdout, re.MULTILINE)


# one-line errors

def test_unknown_data_set_is_a_one_line_error(tmp_path):
    assert_one_line_error(run("fit", "mnsit"), "unknown data set 'mnsit'", "digits")


def test_missing_file_is_a_one_line_error(tmp_path):
    assert_one_line_error(run("fit", tmp_path / "absent.csv"), "absent.csv")


def test_unknown_param_name_is_a_one_line_error_listing_the_valid_names():
    assert_one_line_error(run("fit", "digits", "--param", "hidden_units=(32,)"),
                          "'hidden_units'", "hidden_layer_sizes", "style_dim")


def test_csv_with_a_text_feature_is_a_one_line_error(tmp_path):
    (tmp_path / "pets.csv").write_text("weight,colour,label\n4.1,red,cat\n30.5,blue,dog\n")
    assert_one_line_error(run("fit", tmp_path / "pets.csv"), "pets.csv", "colour")


def test_labels_of_a_single_class_are_a_one_line_error_from_the_estimator(digits, tmp_path):
    path = write_csv(tmp_path / "one.csv", digits.X_train[:10], ["cat"] * 5 + [-1] * 5)
    assert_one_line_error(run("fit", path, *TINY, "--quiet"), "1 class")


def test_predict_input_with_the_wrong_number_of_features_is_a_one_line_error(trained, digits, tmp_path):
    _, model = trained
    path = write_csv(tmp_path / "narrow.csv", digits.X_test[:, :10], None)
    assert_one_line_error(run("predict", model, path), "10 features", "expecting 64")


def test_predict_with_a_file_that_is_not_a_model_is_a_one_line_error(digits, tmp_path):
    path = write_csv(tmp_path / "test.csv", digits.X_test, None)
    assert_one_line_error(run("predict", path, path), "test.csv is not an ssaae model file")


def test_predict_with_a_missing_model_is_a_one_line_error(digits, tmp_path):
    path = write_csv(tmp_path / "test.csv", digits.X_test, None)
    assert_one_line_error(run("predict", tmp_path / "absent.pt", path), "absent.pt")
