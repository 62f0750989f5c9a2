"""Specification of ssaae.persistence: model files are plain data that load back exactly."""

import subprocess
import sys

import numpy as np
import pytest
import torch
from sklearn.linear_model import LogisticRegression

from ssaae import SemiSupervisedAAEClassifier
from ssaae.persistence import load_model, save_model

NAMES = np.array(["zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine"])


pytestmark = pytest.mark.usefixtures("one_torch_thread")


def tiny_model():
    return SemiSupervisedAAEClassifier(hidden_layer_sizes=(16,), discriminator_layer_sizes=(16,), max_iter=1,
                                       random_state=0)


@pytest.fixture(scope="module", params=["integers", "strings with -1", "numpy strings"])
def fitted(request, digits):
    """A model fitted on 300 digits, its labels integers, an object array of strings and -1 (as
    read from a CSV), or a numpy unicode array."""
    X, y = digits.X_train[:300], digits.y_train[:300]
    if request.param == "strings with -1":
        y = NAMES[y].astype(object)
        y[100:] = -1
    elif request.param == "numpy strings":
        y = NAMES[y]
    return tiny_model().fit(X, y)


def test_loaded_model_predicts_exactly_as_the_saved_one(fitted, digits, tmp_path):
    save_model(fitted, tmp_path / "model.pt")
    loaded = load_model(tmp_path / "model.pt")
    assert type(loaded) is SemiSupervisedAAEClassifier
    np.testing.assert_array_equal(loaded.predict_proba(digits.X_test), fitted.predict_proba(digits.X_test))
    np.testing.assert_array_equal(loaded.predict(digits.X_test), fitted.predict(digits.X_test))


def test_loaded_model_keeps_parameters_and_the_dtype_of_its_arrays(fitted, tmp_path):
    save_model(fitted, tmp_path / "model.pt")
    loaded = load_model(tmp_path / "model.pt")
    assert loaded.get_params() == fitted.get_params()
    for name in ("classes_", "transduction_", "feature_mean_", "label_distributions_"):
        assert type(getattr(loaded, name)) is np.ndarray
        assert getattr(loaded, name).dtype == getattr(fitted, name).dtype
        np.testing.assert_array_equal(getattr(loaded, name), getattr(fitted, name))
    assert loaded.history_ == fitted.history_


def test_model_file_loads_with_torch_weights_only_as_tagged_plain_data(fitted, tmp_path):
    save_model(fitted, tmp_path / "model.pt")
    content = torch.load(tmp_path / "model.pt", weights_only=True)
    assert (content["format"], content["version"]) == ("ssaae-model", 1)
    assert content["estimator"] == "SemiSupervisedAAEClassifier"
    assert isinstance(content["state"]["feature_mean_"]["data"], torch.Tensor)


def test_unfitted_model_loads_back_unfitted_with_its_parameters(tmp_path):
    save_model(tiny_model(), tmp_path / "model.pt")
    loaded = load_model(tmp_path / "model.pt")
    assert loaded.get_params() == tiny_model().get_params()
    assert not hasattr(loaded, "model_")


class RunsCode:
    """Unpickling this would create a file: what a malicious model file could do."""

    def __init__(self, path):
        self.path = path

    def __reduce__(self):
        return open, (str(self.path), "w")


def test_a_file_that_would_run_code_is_refused_without_running_it(tmp_path):
    content = {"format": "ssaae-model", "version": 1, "estimator": "SemiSupervisedAAEClassifier",
               "state": RunsCode(tmp_path / "ran")}
    torch.save(content, tmp_path / "evil.pt")
    with pytest.raises(ValueError, match="evil.pt is not an ssaae model file"):
        load_model(tmp_path / "evil.pt")
    assert not (tmp_path / "ran").exists()


def write_torch_weights(path):
    torch.save({"weight": torch.zeros(3)}, path)


def write_text(path):
    path.write_text("x0,x1\n0.5,0.2\n")


def write_truncated_model(path):
    save_model(tiny_model(), path)
    path.write_bytes(path.read_bytes()[:200])


@pytest.mark.parametrize("write", [write_torch_weights, write_text, write_truncated_model],
                         ids=["other torch file", "text file", "truncated model"])
def test_a_file_that_is_not_a_model_is_refused_naming_its_path(tmp_path, write):
    write(tmp_path / "model.pt")
    with pytest.raises(ValueError, match="model.pt is not an ssaae model file") as error:
        load_model(tmp_path / "model.pt")
    assert "\n" not in str(error.value)


def test_a_missing_file_raises_file_not_found_naming_its_path(tmp_path):
    with pytest.raises(FileNotFoundError, match="absent.pt"):
        load_model(tmp_path / "absent.pt")


def test_a_newer_format_version_is_refused(tmp_path):
    save_model(tiny_model(), tmp_path / "model.pt")
    content = torch.load(tmp_path / "model.pt", weights_only=True)
    torch.save({**content, "version": 2}, tmp_path / "model.pt")
    with pytest.raises(ValueError, match="format version 2; this ssaae reads version 1"):
        load_model(tmp_path / "model.pt")


def test_an_unknown_estimator_name_is_refused(tmp_path):
    save_model(tiny_model(), tmp_path / "model.pt")
    content = torch.load(tmp_path / "model.pt", weights_only=True)
    torch.save({**content, "estimator": "Pipeline"}, tmp_path / "model.pt")
    with pytest.raises(ValueError, match="unknown estimator 'Pipeline'"):
        load_model(tmp_path / "model.pt")


def test_save_into_a_missing_folder_raises_file_not_found_naming_it(tmp_path):
    with pytest.raises(FileNotFoundError, match="no folder .*absent to save"):
        save_model(tiny_model(), tmp_path / "absent" / "model.pt")


def test_save_refuses_an_estimator_that_is_not_from_ssaae(tmp_path):
    with pytest.raises(ValueError, match="cannot save a LogisticRegression"):
        save_model(LogisticRegression(), tmp_path / "model.pt")
    assert not (tmp_path / "model.pt").exists()


def test_save_refuses_a_random_state_instance_that_is_not_plain_data(tmp_path):
    model = tiny_model().set_params(random_state=np.random.RandomState(0))
    with pytest.raises(ValueError, match="cannot save random_state: a RandomState is not plain data"):
        save_model(model, tmp_path / "model.pt")


@pytest.mark.parametrize(("change", "message"), [
    (lambda state: state.pop("feature_scale_"), "lacks feature_scale_"),
    (lambda state: state.pop("classes_"), "lacks classes_"),
    (lambda state: state.pop("style_dim"), "lacks style_dim"),
    (lambda state: state.update(n_features_in_="64"), "n_features_in_ is a str, not a int"),
    (lambda state: state.update(model_=[1, 2]), "model_ is a list, not a dict"),
    (lambda state: state.update(style_dim=-3), "style_dim must be an int >= 1"),
    (lambda state: state["model_"].pop("state"), "'state'"),
])
def test_a_model_file_with_a_field_missing_or_of_the_wrong_type_is_refused_by_name(fitted, tmp_path, change, message):
    save_model(fitted, tmp_path / "model.pt")
    content = torch.load(tmp_path / "model.pt", weights_only=True)
    change(content["state"])
    torch.save(content, tmp_path / "crafted.pt")
    with pytest.raises(ValueError, match=f"crafted.pt is a damaged ssaae model file: .*{message}"):
        load_model(tmp_path / "crafted.pt")


def test_a_save_killed_midway_leaves_the_earlier_file_whole(fitted, tmp_path):
    save_model(fitted, tmp_path / "model.pt")
    before = (tmp_path / "model.pt").read_bytes()
    killed = subprocess.run([sys.executable, "-c", f"""
import os, signal, torch
from ssaae import SemiSupervisedAAEClassifier
from ssaae.persistence import load_model, save_model
def die(content, file):
    file.write(b"half a model")
    os.kill(os.getpid(), signal.SIGKILL)
torch.save = die
save_model(SemiSupervisedAAEClassifier(), {str(tmp_path / "model.pt")!r})
"""], check=False)
    assert killed.returncode == -9
    assert (tmp_path / "model.pt").read_bytes() == before
    load_model(tmp_path / "model.pt")
