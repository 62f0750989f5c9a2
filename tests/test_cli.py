"""Specification of the ``ssaae`` command: fit, predict, datasets, and its one-line errors."""

import io
import re
import subprocess
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import torch
from helpers import TINY_OPTIONS as TINY
from helpers import assert_one_line_error, run

from ssaae.persistence import load_model

SHARED_MNIST = Path(__file__).resolve().parents[2] / "shared/data/mnist"
ERRORS = r"validation error (\d+\.\d\d)%, test error (\d+\.\d\d)% \(trained in \d+\.\d s\)"
NAMES = np.array(["zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine"])


pytestmark = pytest.mark.usefixtures("one_torch_thread")


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


@pytest.fixture
def no_training(monkeypatch):
    """Fails the test if a command starts training."""
    monkeypatch.setattr("ssaae.base.train", lambda *args, **kwargs: pytest.fail("the command trained"))


@pytest.fixture
def read_only_folder(tmp_path):
    """A folder no file can be created in: chmod for a user, a read-only file system for root."""
    folder = tmp_path / "read-only"
    folder.mkdir()
    folder.chmod(0o555)
    try:
        (folder / "probe").touch()
    except PermissionError:
        yield folder
        return
    (folder / "probe").unlink()  # root writes through the permissions
    if subprocess.run(["mount", "-t", "tmpfs", "-o", "ro", "tmpfs", folder], capture_output=True, check=False).returncode:
        pytest.skip("as root, a read-only folder needs a read-only mount, which this machine refuses")
    yield folder
    subprocess.run(["umount", folder], check=True)


@pytest.mark.parametrize("command", [("fit", "digits", "--out"), ("cluster", "digits", "--out"),
                                     ("cluster", "digits", "--out", "ok.csv", "--model-out")])
def test_an_out_file_in_a_missing_folder_is_refused_before_training(tmp_path, no_training, command):
    assert_one_line_error(run(*command, tmp_path / "absent" / "model.pt"), "cannot write", "no folder")


def test_an_out_file_in_a_read_only_folder_is_refused_before_training(read_only_folder, no_training):
    assert_one_line_error(run("fit", "digits", "--out", read_only_folder / "model.pt"), "cannot write",
                          "model.pt")


def test_a_failed_save_keeps_the_model_already_at_out(trained, tmp_path, monkeypatch):
    _, model = trained
    out = tmp_path / "model.pt"
    out.write_bytes(model.read_bytes())

    def disk_full(content, file):
        file.write(b"half a model")
        raise OSError(28, "No space left on device")

    monkeypatch.setattr("ssaae.persistence.torch.save", disk_full)
    assert_one_line_error(run("fit", "digits", *TINY, "--quiet", "--out", out), "No space left on device")
    assert out.read_bytes() == model.read_bytes()
    assert [path.name for path in tmp_path.iterdir()] == ["model.pt"]


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


def test_predict_leaves_out_the_label_column_fit_was_told_of(trained, digits, tmp_path):
    _, model = trained
    path = write_csv(tmp_path / "test.csv", digits.X_test, digits.y_test, label_column="digit")
    result = run("predict", model, path, "--label-column", "digit")
    assert result.exit_code == 0, result.output
    assert len(pd.read_csv(io.StringIO(result.stdout))) == len(digits.X_test)


def test_predict_with_a_clustering_model_gives_clusters(digits, tmp_path):
    result = run("cluster", "digits", "--clusters", 3, *TINY, "--quiet", "--out", tmp_path / "c.csv",
                 "--model-out", tmp_path / "c.pt")
    assert result.exit_code == 0, result.output
    np.save(tmp_path / "test.npy", digits.X_test)
    result = run("predict", tmp_path / "c.pt", tmp_path / "test.npy")
    assert result.exit_code == 0, result.output
    predictions = pd.read_csv(io.StringIO(result.stdout))
    assert list(predictions.columns) == ["cluster", "probability_0", "probability_1", "probability_2"]
    np.testing.assert_array_equal(predictions["cluster"], load_model(tmp_path / "c.pt").predict(digits.X_test))


def test_predict_without_out_writes_the_csv_to_standard_output(trained, digits, tmp_path):
    _, model = trained
    np.save(tmp_path / "test.npy", digits.X_test[:5])
    result = run("predict", model, tmp_path / "test.npy")
    assert result.exit_code == 0, result.output
    predictions = pd.read_csv(io.StringIO(result.stdout))
    np.testing.assert_array_equal(predictions["prediction"], load_model(model).predict(digits.X_test[:5]))


# score

def test_score_writes_each_rows_anomaly_score(trained, digits, tmp_path):
    _, model = trained
    path = write_csv(tmp_path / "test.csv", digits.X_test, digits.y_test)
    result = run("score", model, path, "--out", tmp_path / "scores.csv")
    assert result.exit_code == 0, result.output
    assert f"wrote {len(digits.X_test)} scores" in result.stdout
    scores = pd.read_csv(tmp_path / "scores.csv")
    assert list(scores.columns) == ["score"]
    np.testing.assert_allclose(scores["score"], load_model(model).score_samples(digits.X_test), rtol=1e-6)


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


@pytest.mark.parametrize("command", ["predict", "score"])
def test_model_input_with_the_wrong_number_of_features_is_a_one_line_error(trained, digits, tmp_path, command):
    _, model = trained
    path = write_csv(tmp_path / "narrow.csv", digits.X_test[:, :10], None)
    assert_one_line_error(run(command, model, path), "10 features", "expecting 64")


def test_predict_with_a_file_that_is_not_a_model_is_a_one_line_error(digits, tmp_path):
    path = write_csv(tmp_path / "test.csv", digits.X_test, None)
    assert_one_line_error(run("predict", path, path), "test.csv is not an ssaae model file")


def test_predict_with_a_truncated_model_is_a_one_line_error_naming_it(trained, digits, tmp_path):
    _, model = trained
    cut = tmp_path / "cut.pt"
    cut.write_bytes(model.read_bytes()[:len(model.read_bytes()) // 2])
    assert_one_line_error(run("predict", cut, write_csv(tmp_path / "test.csv", digits.X_test, None)),
                          "cut.pt", "cut short")


def test_a_csv_with_a_header_and_no_rows_is_a_one_line_error(tmp_path):
    (tmp_path / "empty.csv").write_text("x0,x1,label\n")
    assert_one_line_error(run("fit", tmp_path / "empty.csv"), "empty.csv has no rows")


def test_labels_minus_one_as_text_among_text_labels_are_unlabeled(digits, tmp_path):
    labels = np.where(np.arange(300) < 60, NAMES[digits.y_train[:300]], "-1.0")
    result = run("fit", write_csv(tmp_path / "pets.csv", digits.X_train[:300], labels), *TINY, "--quiet")
    assert result.exit_code == 0, result.output
    assert "300 rows, 60 labeled, 10 classes" in result.stdout


BAD_PARAMS = ["style_dim=abc", "style_dim=2.5", "style_dim=-2", "reconstruction_lr=fast", "batch_size=2.5",
              "batch_size=0", "learning_rate_drops=5", "device=tpu", "hidden_layer_sizes=(100000000,)", "input_noise=-1",
              "consistency_ramp=cosine", "precision=fp16", "balance_weight=much", "learning_rate_decay=2"]


@pytest.mark.parametrize("param", BAD_PARAMS + ([] if torch.cuda.is_available() else ["device=cuda"]))
@pytest.mark.parametrize("command", ["fit", "cluster"])
def test_a_bad_param_is_a_one_line_error_naming_it_before_training(tmp_path, no_training, command, param):
    name = param.partition("=")[0]
    options = ["--out", tmp_path / "out.csv"] if command == "cluster" else []
    assert_one_line_error(run(command, "digits", "--param", param, *options), name)


@pytest.mark.parametrize("options", [("--epochs", 0), ("--epochs", -1), ("--seed", "abc"), ("--labels", 0)])
def test_a_bad_option_is_a_one_line_error(no_training, options):
    assert_one_line_error(run("fit", "digits", *options), options[0])


@pytest.mark.parametrize(("param", "option"), [("random_state=abc", "--seed"), ("max_iter=0", "--epochs")])
def test_a_param_that_an_option_sets_is_refused_naming_the_option(no_training, param, option):
    assert_one_line_error(run("fit", "digits", "--param", param), param.partition("=")[0], option)


@pytest.mark.parametrize("command", ["predict", "score"])
def test_a_missing_model_is_a_one_line_error(digits, tmp_path, command):
    path = write_csv(tmp_path / "test.csv", digits.X_test, None)
    assert_one_line_error(run(command, tmp_path / "absent.pt", path), "absent.pt")
