"""SemiSupervisedAAEClassifier: scikit-learn conventions, errors, persistence and learning."""

import io
import math
import pickle

import joblib
import numpy as np
import pytest
from helpers import TINY
from sklearn.base import clone
from sklearn.exceptions import NotFittedError
from sklearn.model_selection import GridSearchCV
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import MinMaxScaler
from sklearn.utils.estimator_checks import parametrize_with_checks

from ssaae import AAEClustering, SemiSupervisedAAEClassifier
from ssaae.base import PARAMETERS
from ssaae.bench.baselines import ConsistencyOnlyAAEClassifier, LabelsOnlyAAEClassifier
from ssaae.datasets import make_semisupervised
from ssaae.training import TrainingConfig, regularization_phase, train, train_epoch


def tiny(**params):
    return SemiSupervisedAAEClassifier(**{**TINY, "style_dim": 3, "batch_size": 32, "max_iter": 3, "random_state": 0,
                                          **params})


@pytest.fixture(scope="module")
def fitted(digits):
    return tiny().fit(digits.X_train, make_semisupervised(digits.y_train, 50, random_state=0))


@parametrize_with_checks(
    [tiny(max_iter=5)],  # at least 100 minibatches
    expected_failed_checks=lambda estimator: {
        "check_classifiers_classes": "its binary case labels rows -1, which means unlabeled here, "
        "as in sklearn.semi_supervised",
    },
)
def test_sklearn_compatible(estimator, check):
    check(estimator)


def test_fit_uses_string_labels_and_minus_one_for_unlabeled(digits):
    names = np.array(["zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine"], dtype=object)
    y = names[digits.y_train]
    y[100:] = -1
    model = tiny().fit(digits.X_train, y)
    assert sorted(model.classes_) == sorted(names)
    assert set(model.predict(digits.X_test)) <= set(names)
    assert model.transduction_.shape == (len(y),)
    assert set(model.transduction_) <= set(names)


def test_fitted_attributes_describe_the_training(fitted, digits):
    n = len(digits.X_train)
    assert fitted.n_features_in_ == 64
    assert fitted.label_distributions_.shape == (n, 10)
    np.testing.assert_allclose(fitted.label_distributions_.sum(1), 1, rtol=1e-5)
    np.testing.assert_array_equal(fitted.transduction_, fitted.predict(digits.X_train))
    assert len(fitted.history_) == fitted.n_iter_ == 3
    assert set(fitted.history_[0]) == {"reconstruction", "discriminator", "generator", "semi_supervised", "seconds"}


def test_transform_gives_style_codes(fitted, digits):
    assert fitted.transform(digits.X_test).shape == (len(digits.X_test), 3)
    assert fitted.get_feature_names_out().tolist() == [f"semisupervisedaaeclassifier{i}" for i in range(3)]


def test_transform_of_the_full_code_gives_class_probabilities_then_style(fitted, digits):
    full = clone(fitted).set_params(transform_code="full")
    full.__dict__.update({k: v for k, v in fitted.__dict__.items() if k.endswith("_")})  # the same fitted networks
    np.testing.assert_array_equal(full.transform(digits.X_test),
                                  np.hstack([fitted.predict_proba(digits.X_test), fitted.transform(digits.X_test)]))
    assert len(full.get_feature_names_out()) == 10 + 3


def test_sample_decodes_images_of_the_requested_classes(fitted):
    X, y = fitted.sample(12, y=7)
    assert X.shape == (12, 64)
    assert (X >= 0).all() and (X <= 1).all()
    assert (y == 7).all()
    X, y = fitted.sample(500)
    assert set(y) == set(range(10))
    with pytest.raises(ValueError, match=r"not categories of the model: \[np.int64\(11\)\]|: \[11\]"):
        fitted.sample(2, y=[3, 11])


def test_reconstruct_rebuilds_inputs_better_than_the_mean_image(digits):
    model = tiny(max_iter=30, random_state=0).fit(digits.X_train, make_semisupervised(digits.y_train, 50, random_state=0))
    X = digits.X_test
    reconstruction = model.reconstruct(X)
    assert reconstruction.shape == X.shape
    assert ((reconstruction - X) ** 2).mean() < 0.7 * ((X.mean(0) - X) ** 2).mean()


def test_sample_depends_on_the_class(fitted):
    a, _ = fitted.sample(50, y=0)
    b, _ = fitted.sample(50, y=1)
    assert np.abs(a.mean(0) - b.mean(0)).max() > 0.01


def test_real_valued_features_get_squared_error_on_standardized_features(digits):
    X = digits.X_train * 16 - 3
    model = tiny().fit(X, make_semisupervised(digits.y_train, 50, random_state=0))
    assert not model.model_.config.binary_features
    np.testing.assert_allclose(model.feature_mean_, X.mean(0), atol=1e-4)
    X_new, _ = model.sample(5)
    assert X_new.min() < 0 or X_new.max() > 1  # decoded back to the original scale
    with pytest.raises(ValueError, match=r"\[0, 1\]"):
        tiny(reconstruction_loss="bce").fit(X, digits.y_train)


def test_same_seed_same_model_other_seed_other_model(digits):
    y = make_semisupervised(digits.y_train, 50, random_state=0)
    a = tiny(max_iter=1).fit(digits.X_train, y).predict_proba(digits.X_test)
    b = tiny(max_iter=1).fit(digits.X_train, y).predict_proba(digits.X_test)
    c = tiny(max_iter=1, random_state=1).fit(digits.X_train, y).predict_proba(digits.X_test)
    np.testing.assert_array_equal(a, b)
    assert not np.allclose(a, c)


@pytest.mark.parametrize("dump, load", [(pickle.dumps, pickle.loads),
                                         (lambda m: _joblib_dumps(m), lambda b: joblib.load(io.BytesIO(b)))])
def test_pickle_round_trip_predicts_the_same(fitted, digits, dump, load):
    restored = load(dump(fitted))
    np.testing.assert_array_equal(restored.predict_proba(digits.X_test), fitted.predict_proba(digits.X_test))
    np.testing.assert_array_equal(restored.transform(digits.X_test), fitted.transform(digits.X_test))


def _joblib_dumps(model):
    buffer = io.BytesIO()
    joblib.dump(model, buffer)
    return buffer.getvalue()


def test_pickled_model_holds_plain_data_not_modules(fitted):
    state = fitted.__getstate__()
    assert set(state["model_"]) == {"config", "state"}
    assert all(t.device.type == "cpu" for t in state["model_"]["state"].values())


def test_works_in_pipeline_and_grid_search():
    rng = np.random.RandomState(0)
    X = np.r_[rng.normal(0, 1, (60, 5)), rng.normal(4, 1, (60, 5))]
    y = np.r_[[0] * 60, [1] * 60]
    search = GridSearchCV(make_pipeline(MinMaxScaler(), tiny(max_iter=4)),
                          {"semisupervisedaaeclassifier__style_dim": [2, 4]}, cv=2).fit(X, y)
    assert search.best_params_["semisupervisedaaeclassifier__style_dim"] in (2, 4)
    assert search.score(X, y) > 0.9
    assert clone(search.best_estimator_).get_params()["semisupervisedaaeclassifier__max_iter"] == 4


@pytest.mark.parametrize("X_change, y, message", [
    (lambda X: np.where(np.arange(X.size).reshape(X.shape) == 5, np.nan, X), None, "NaN"),
    (lambda X: np.where(np.arange(X.size).reshape(X.shape) == 5, np.inf, X), None, "infinity"),
    (None, lambda y: np.full_like(y, -1), "no labeled rows"),
    (None, lambda y: np.where(y == 3, 3, -1), "1 class"),
    (None, lambda y: y[:-1], "inconsistent numbers of samples"),
])
def test_bad_training_input_raises_value_error(digits, X_change, y, message):
    X = X_change(digits.X_train) if X_change else digits.X_train
    labels = y(digits.y_train) if y else digits.y_train
    with pytest.raises(ValueError, match=message):
        tiny().fit(X, labels)


BAD_VALUES = {
    "hidden_layer_sizes": ["abc", (), (0,), (10.5,), 100],
    "discriminator_layer_sizes": [(-1,), None],
    "style_dim": ["abc", 2.5, -2, 0, True],
    "transform_code": ["both", 1],
    "reconstruction_loss": ["l1", 1],
    "input_noise": [-1, "loud", float("nan")],
    "batch_norm": ["yes", 2],
    "consistency_weight": [-1.0, "strong"],
    "consistency_radius": [-0.5, "knn", "Neighbors"],
    "consistency_rampup": [-1, 1.5, True],
    "consistency_ramp": ["cosine"],
    "balance_weight": [-5.0],
    "mutual_information_weight": [-1.0, "high"],
    "consistency_lr": [0, -1e-3, "fast"],
    "consistency_probe": [0, -1.0, None],
    "class_head_init_scale": [-0.01, float("nan")],
    "reconstruction_lr": ["fast", 0, -1e-3, float("inf")],
    "regularization_lr": [0.0],
    "semi_supervised_lr": [None],
    "optimizer": ["rmsprop"],
    "learning_rate_drops": [5, (1.5,), (-1,)],
    "learning_rate_decay": [1.5, -0.1, "half"],
    "batch_size": [2.5, 0, "100", "Auto"],
    "labeled_batch_size": [0, "big"],
    "max_iter": [0, -1, 2.0],
    "early_stopping": ["yes"],
    "n_iter_no_change": [0, None],
    "precision": ["fp16"],
    "device": [3],
    "random_state": ["abc", -1, 2**40, 1.5],
    "warm_start": ["yes"],
    "checkpoint_path": [3, b"model.pt"],
    "checkpoint_every": [0, 1.5],
    "verbose": ["loud"],
}


def test_every_parameter_has_bad_values_to_test():
    assert set(BAD_VALUES) | {"n_clusters", "overclustering", "consistency_warmup"} == set(PARAMETERS)  # the clusterer's own: test_clustering.py


@pytest.mark.parametrize(("name", "value"), [(name, value) for name, values in BAD_VALUES.items() for value in values])
def test_a_bad_parameter_value_is_a_one_line_error_naming_it_before_training(digits, monkeypatch, name, value):
    monkeypatch.setattr("ssaae.base.train", lambda *args, **kwargs: pytest.fail("trained with a bad parameter"))
    with pytest.raises(ValueError, match=f"^{name} must be .*, got ") as error:
        tiny(**{name: value}).fit(digits.X_train, digits.y_train)
    assert "\n" not in str(error.value)


def test_history_records_each_epochs_seconds_and_validation_error(digits):
    y = make_semisupervised(digits.y_train, 50, random_state=0)
    model = tiny(max_iter=4).fit(digits.X_train, y, validation_data=(digits.X_val, digits.y_val))
    seconds = [record["seconds"] for record in model.history_]
    assert len(seconds) == 4 and 0 < seconds[0] < seconds[1] < seconds[2] < seconds[3]
    assert model.history_[-1]["validation_error"] == 1 - model.score(digits.X_val, digits.y_val)
    assert model.n_iter_ == model.best_iteration_ == 4


def test_early_stopping_stops_when_validation_stalls_and_keeps_the_best_epoch(digits, monkeypatch):
    errors = iter([0.5, 0.3, 0.4, 0.35, 0.3, 0.1])  # best at epoch 2, then 3 epochs without a better one
    monkeypatch.setattr(SemiSupervisedAAEClassifier, "_validation_error", lambda self, X, y: next(errors))
    states = []
    monkeypatch.setattr("ssaae.training.train_epoch", lambda model, *args, **kwargs: (
        states.append({name: value.clone() for name, value in model.state_dict().items()}),
        model.class_head.bias.data.add_(1.0), {"reconstruction": 0.0})[-1])
    model = tiny(max_iter=6, early_stopping=True, n_iter_no_change=3).fit(
        digits.X_train, digits.y_train, validation_data=(digits.X_val, digits.y_val))
    assert [record["validation_error"] for record in model.history_] == [0.5, 0.3, 0.4, 0.35, 0.3]
    assert model.n_iter_ == 5 and model.best_iteration_ == 2
    kept = model.model_.class_head.bias.detach()
    assert kept.equal(states[1]["class_head.bias"] + 1)  # as after epoch 2, whose step added 1


def test_early_stopping_without_validation_data_is_refused(digits):
    with pytest.raises(ValueError, match="early_stopping needs validation_data"):
        tiny(early_stopping=True).fit(digits.X_train, digits.y_train)


@pytest.mark.parametrize(("device", "message"), [("tpu", "not a torch device"), ("cuda:9", "not available")])
def test_a_device_that_is_unknown_or_absent_is_refused(digits, device, message):
    with pytest.raises(ValueError, match=message):
        tiny(device=device).fit(digits.X_train, digits.y_train)


def test_networks_too_large_for_memory_are_refused_before_any_allocation(digits):
    with pytest.raises(ValueError, match="parameters and need about .* GiB to train"):
        tiny(hidden_layer_sizes=(100_000_000,)).fit(digits.X_train, digits.y_train)


@pytest.mark.parametrize("unlabeled", [-1.0, "-1", " -1", "-1.0"])
def test_minus_one_as_a_float_or_as_text_marks_an_unlabeled_row(digits, unlabeled):
    y = digits.y_train.astype(float if isinstance(unlabeled, float) else str)  # numpy floats or numpy strings
    y[200:] = unlabeled
    model = tiny(max_iter=1).fit(digits.X_train, y)
    assert len(model.classes_) == 10 and unlabeled not in set(model.classes_)


@pytest.mark.parametrize(("params", "factors"), [
    ({"learning_rate_drops": (1, 3, 50), "learning_rate_decay": 0}, [1, 0.1, 0.1, 0.01]),
    ({}, [1, 1, 2 / 3, 1 / 3]),  # the default: a linear fall over the last half
])
def test_learning_rates_follow_the_drops_and_the_decay_epoch_by_epoch(digits, monkeypatch, params, factors):
    seen = []

    def record(model, optimizers, *args, **kwargs):
        seen.append(optimizers["semi_supervised"].param_groups[0]["lr"])
        return train_epoch(model, optimizers, *args, **kwargs)

    monkeypatch.setattr("ssaae.training.train_epoch", record)
    tiny(max_iter=4, optimizer="sgd", semi_supervised_lr=0.3, **params).fit(
        digits.X_train, make_semisupervised(digits.y_train, 50, random_state=0))
    assert seen == pytest.approx([0.3 * f for f in factors])


@pytest.mark.parametrize(("rampup", "ramp", "weights"), [
    (3, "linear", [2, 4, 6, 6]),
    (3, "sigmoid", [6 * math.exp(-5 * 4 / 9), 6 * math.exp(-5 / 9), 6, 6]),
    (0, "sigmoid", [6, 6, 6, 6]),
])
def test_consistency_weight_rises_over_the_rampup_epochs(digits, monkeypatch, rampup, ramp, weights):
    seen = []

    def record(model, optimizers, X, X_labeled, labels, config, *args, **kwargs):
        seen.append(config.consistency_weight)
        return train_epoch(model, optimizers, X, X_labeled, labels, config, *args, **kwargs)

    monkeypatch.setattr("ssaae.training.train_epoch", record)
    tiny(max_iter=4, consistency_weight=6.0, consistency_rampup=rampup, consistency_ramp=ramp).fit(
        digits.X_train, make_semisupervised(digits.y_train, 50, random_state=0))
    assert seen == pytest.approx(weights)


@pytest.mark.parametrize("estimator", [SemiSupervisedAAEClassifier, AAEClustering])
def test_every_training_parameter_reaches_the_epochs(digits, monkeypatch, estimator):
    """A parameter with the name of a TrainingConfig field (all but precision, which is resolved,
    and the consistency weight, which rises) is the value that field has in every epoch."""
    chosen = {"batch_size": 17, "labeled_batch_size": 9, "reconstruction_lr": 3e-3, "regularization_lr": 4e-4,
              "semi_supervised_lr": 5e-3, "input_noise": 0.2, "optimizer": "sgd", "consistency_radius": 1.5,
              "consistency_rampup": 2, "consistency_ramp": "linear", "balance_weight": 0.5,
              "learning_rate_drops": (1,), "learning_rate_decay": 0.25}
    params = {name: value for name, value in chosen.items() if name in estimator().get_params()}
    seen = []

    def record(model, optimizers, X, X_labeled, labels, config, *args, **kwargs):
        seen.append(config)
        return train_epoch(model, optimizers, X, X_labeled, labels, config, *args, **kwargs)

    monkeypatch.setattr("ssaae.training.train_epoch", record)
    tiny_params = {**TINY, "style_dim": 3, "batch_norm": False, "consistency_weight": 1.0}
    estimator(**{**tiny_params, **params}, random_state=0).fit(digits.X_train, digits.y_train)
    defaults = TrainingConfig()
    assert len(seen) == 2
    for config in seen:
        assert {name: getattr(config, name) for name in chosen} == {
            name: params.get(name, getattr(defaults, name)) for name in chosen}


@pytest.mark.parametrize("balance_weight", [0.0, 5.0])
def test_balance_weight_reaches_the_regularization_phase(digits, monkeypatch, balance_weight):
    seen = []

    def record(*args, balance_weight):
        seen.append(balance_weight)
        return regularization_phase(*args, balance_weight=balance_weight)

    monkeypatch.setattr("ssaae.training.regularization_phase", record)
    y = make_semisupervised(digits.y_train, 50, random_state=0)
    tiny(max_iter=1, balance_weight=balance_weight).fit(digits.X_train, y)
    assert seen and set(seen) == {balance_weight}


@pytest.mark.parametrize("n_samples, params, sizes", [
    (1077, {"batch_size": "auto"}, (53, 53)),  # 20 steps an epoch
    (12000, {"batch_size": "auto"}, (500, 500)),  # at most 500 rows
    (300, {"batch_size": "auto"}, (32, 32)),  # at least 32 (epoch_batches makes 20 of them)
    (20, {"batch_size": "auto"}, (20, 20)),  # at most all rows
    (1077, {"batch_size": 64}, (64, 64)),  # the labeled minibatches follow the unlabeled ones
    (1077, {"batch_size": 64, "labeled_batch_size": 32}, (64, 32)),
])
def test_auto_batch_sizes_depend_on_the_number_of_rows(monkeypatch, n_samples, params, sizes):
    seen = []

    def record(model, X, config, *args, **kwargs):
        seen.append((config.batch_size, config.labeled_batch_size))
        return []

    monkeypatch.setattr("ssaae.base.train", record)
    X = np.random.default_rng(0).random((n_samples, 4), dtype=np.float32)
    y = np.r_[[0, 1] * 5, [-1] * (n_samples - 10)]
    tiny(**params).fit(X, y)
    assert seen == [sizes]


@pytest.mark.parametrize("params", [{"batch_size": 1}, {"labeled_batch_size": 1}])
def test_batch_norm_with_minibatches_of_one_row_raises(digits, params):
    with pytest.raises(ValueError, match="batch_norm needs minibatches of 2 rows or more"):
        tiny(batch_norm=True, **params).fit(digits.X_train, digits.y_train)


def test_predict_with_wrong_number_of_features_raises(fitted, digits):
    with pytest.raises(ValueError, match="features"):
        fitted.predict(digits.X_test[:, :10])


def test_predict_before_fit_raises_not_fitted():
    with pytest.raises(NotFittedError):
        SemiSupervisedAAEClassifier().predict(np.zeros((2, 3)))


def test_unlabeled_data_lowers_test_error_on_digits(digits):
    """The claim of the method: with 50 labels, the unlabeled rows make the classifier better
    than the same network trained, for as many steps, on the 50 labels alone."""
    y = make_semisupervised(digits.y_train, 50, random_state=0)
    model = SemiSupervisedAAEClassifier(max_iter=20, random_state=0).fit(digits.X_train, y)
    labels_only = LabelsOnlyAAEClassifier(max_iter=20, random_state=0).fit(digits.X_train, y)
    aae_error = 1 - model.score(digits.X_test, digits.y_test)
    labels_only_error = 1 - labels_only.score(digits.X_test, digits.y_test)
    print(f"test error: AAE {aae_error:.3f}, labels only {labels_only_error:.3f}")
    assert aae_error < labels_only_error - 0.03, (aae_error, labels_only_error)


def test_the_consistency_only_baseline_trains_no_decoder_and_no_discriminator(digits, monkeypatch):
    initial = {}

    def snapshot_then_train(model, *args, **kwargs):
        initial.update({name: value.clone() for name, value in model.state_dict().items()})
        return train(model, *args, **kwargs)

    monkeypatch.setattr("ssaae.base.train", snapshot_then_train)
    model = ConsistencyOnlyAAEClassifier(**{**TINY, "random_state": 0}).fit(
        digits.X_train, make_semisupervised(digits.y_train, 50, random_state=0))
    assert set(model.history_[0]) == {"consistency", "semi_supervised", "seconds"}
    moved = {name.split(".")[0] for name, value in model.model_.state_dict().items() if not value.equal(initial[name])}
    assert moved == {"encoder", "class_head"}
