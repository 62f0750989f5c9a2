"""score_samples: both estimators' anomaly scores, higher for rows like the training rows."""

import numpy as np
import pytest
import torch
from helpers import TINY
from sklearn.metrics import roc_auc_score

from ssaae import AAEClustering, SemiSupervisedAAEClassifier
from ssaae.bench.one_class import AAE_SETTINGS
from ssaae.networks import AAEConfig, AdversarialAutoencoder
from ssaae.training import typicality

pytestmark = pytest.mark.usefixtures("one_torch_thread")
# 15 epochs: the two-digit AUROC of seeds 0-2 was 0.966-0.980 (clustering), 0.958-0.986 (classifier). The
# clusterer as the one-class benchmark runs it: its warm-up leaves the decoder 3 epochs of 15 (AUROC 0.942).
SETTINGS = {"hidden_layer_sizes": (128,), "discriminator_layer_sizes": (64,), "style_dim": 2, "batch_size": 16,
            "max_iter": 15, "random_state": 0}
ESTIMATORS = [AAEClustering(**SETTINGS, **AAE_SETTINGS, n_clusters=3), SemiSupervisedAAEClassifier(**SETTINGS)]


@pytest.mark.parametrize("estimator", ESTIMATORS, ids=lambda estimator: type(estimator).__name__)
def test_a_model_of_two_digits_scores_them_above_the_others(digits, estimator):
    """The one-class protocol (here with two digits, which the classifier needs): train on some
    digits, and their unseen rows rank above the rest."""
    known = digits.y_train < 2
    estimator.fit(digits.X_train[known], digits.y_train[known])
    scores = estimator.score_samples(digits.X_test)
    assert scores.shape == (len(digits.X_test),)
    assert roc_auc_score(digits.y_test < 2, scores) > 0.95


def test_score_samples_of_a_row_does_not_depend_on_the_other_rows(digits):
    model = AAEClustering(**TINY, n_clusters=3, random_state=0).fit(digits.X_train)
    np.testing.assert_array_equal(model.score_samples(digits.X_test[:5]), model.score_samples(digits.X_test)[:5])


@pytest.mark.parametrize("binary", [True, False])
def test_typicality_is_minus_reconstruction_error_and_class_surprise(binary):
    torch.manual_seed(0)
    model = AdversarialAutoencoder(AAEConfig(6, 3, 2, (8,), (8,), binary_features=binary)).eval()
    x = torch.rand(5, 6)
    with torch.no_grad():
        logits, style = model.encode(x)
        output = model.decode(logits.softmax(1), style)
        p = output.sigmoid()  # the Bernoulli divergence of the decoder's pixels from the row's, for binary features
        error = (x * (x / p).log() + (1 - x) * ((1 - x) / (1 - p)).log()) if binary else (output - x) ** 2
        expected = -(error.sum(1) - logits.softmax(1).max(1).values.log())
    torch.testing.assert_close(typicality(model, x.split(2)), expected)


def test_clustering_decision_function_is_negative_below_tukeys_fence_of_the_training_scores(digits):
    model = AAEClustering(**{**SETTINGS, **AAE_SETTINGS, "max_iter": 5}, n_clusters=3).fit(digits.X_train)
    first, third = np.percentile(model.score_samples(digits.X_train), [25, 75])
    assert model.offset_ == pytest.approx(first - 1.5 * (third - first))
    np.testing.assert_allclose(model.decision_function(digits.X_test), model.score_samples(digits.X_test) - model.offset_)
    assert (model.decision_function(digits.X_train) >= 0).mean() > 0.9
    noise = np.random.default_rng(0).uniform(0, 1, size=(20, digits.X_train.shape[1]))
    assert (model.decision_function(noise) < 0).all()
