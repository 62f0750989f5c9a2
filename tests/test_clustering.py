"""AAEClustering: the unsupervised AAE as a scikit-learn clusterer."""

import pickle

import numpy as np
import pytest
import torch
from helpers import TINY
from sklearn.base import clone
from sklearn.cluster import KMeans
from sklearn.metrics import normalized_mutual_info_score
from sklearn.utils.estimator_checks import parametrize_with_checks

from ssaae import AAEClustering, load_model, save_model
from ssaae.clustering import merge_categories


def tiny(**params):
    return AAEClustering(**{**TINY, "style_dim": 2, "batch_size": 32, "max_iter": 3, "n_clusters": 4, "random_state": 0,
                            **params})


@pytest.fixture(scope="module")
def fitted(digits):
    return tiny().fit(digits.X_train)


# Without the consistency term, which at the default radius blurs sklearn's 50 two-dimensional blobs
# into one another on some seeds and CPUs; 10 epochs fit them on seeds 0-4 (ARI 0.94-1.0, needed: 0.4).
@parametrize_with_checks([tiny(max_iter=10, consistency_weight=0)])
def test_sklearn_compatible(estimator, check):
    check(estimator)


def test_fitted_attributes_describe_the_clustering(fitted, digits):
    assert fitted.labels_.shape == (len(digits.X_train),)
    assert set(fitted.labels_) <= set(range(4))
    assert fitted.n_features_in_ == 64
    assert len(fitted.history_) == fitted.n_iter_ == 3
    # no semi-supervised phase; IMSAT's objective in a phase of its own (alone in the warm-up's epochs)
    assert set(fitted.history_[-1]) == {"reconstruction", "discriminator", "generator", "consistency", "seconds"}
    np.testing.assert_array_equal(fitted.labels_, fitted.predict(digits.X_train))


def test_consistency_lr_none_puts_the_consistency_terms_back_into_the_reconstruction_phase(digits):
    model = tiny(max_iter=1, consistency_lr=None).fit(digits.X_train)
    assert set(model.history_[0]) == {"reconstruction", "discriminator", "generator", "seconds"}


def test_consistency_warmup_epochs_train_the_class_head_alone(digits):
    model = tiny(max_iter=1, consistency_warmup=1).fit(digits.X_train)
    untrained = tiny(max_iter=1, consistency_warmup=1, consistency_weight=0, mutual_information_weight=0)
    untrained = untrained.fit(digits.X_train).model_  # nothing to learn in the consistency phase: initial networks
    assert list(model.history_[0]) == ["consistency", "seconds"]
    for trained, initial in zip(model.model_.decoder.parameters(), untrained.decoder.parameters(), strict=True):
        assert torch.equal(trained, initial)
    assert not torch.equal(model.model_.class_head.weight, untrained.class_head.weight)


def test_a_float_consistency_warmup_is_a_share_of_max_iter_rounded_down(digits):
    model = tiny(max_iter=4, consistency_warmup=0.8).fit(digits.X_train)  # 3.2 epochs: 3
    phases = [list(record) for record in model.history_]
    assert phases == [["consistency", "seconds"]] * 3 + [["reconstruction", "discriminator", "generator",
                                                          "consistency", "seconds"]]


def test_predict_proba_gives_soft_assignments_whose_argmax_is_predict(fitted, digits):
    probabilities = fitted.predict_proba(digits.X_test)
    assert probabilities.shape == (len(digits.X_test), 4)
    np.testing.assert_allclose(probabilities.sum(1), 1, rtol=1e-5)
    np.testing.assert_array_equal(probabilities.argmax(1), fitted.predict(digits.X_test))


def test_transform_gives_style_codes_and_sample_decodes_clusters(fitted, digits):
    assert fitted.transform(digits.X_test).shape == (len(digits.X_test), 2)
    X, clusters = fitted.sample(6, y=3)
    assert X.shape == (6, 64) and (clusters == 3).all()
    with pytest.raises(ValueError, match="not categories"):
        fitted.sample(1, y=4)


def test_clusters_digits_by_content_nearly_as_well_as_kmeans(digits):
    """The claim of the method: the categorical code groups images of the same digit. The paper's
    AAE, with its 5-d style, without the balance and consistency terms and with the gentler
    adversarial learning rate they need (alone, 1e-3 collapses all rows into one cluster): the
    defaults were chosen on MNIST.
    In fp32: in bf16 this small model clusters digits a little worse (an open question)."""
    model = AAEClustering(n_clusters=10, hidden_layer_sizes=(256, 256), discriminator_layer_sizes=(128,),
                          style_dim=5, overclustering=1, balance_weight=0, consistency_weight=0, consistency_warmup=0,
                          regularization_lr=2e-4, max_iter=200,
                          precision="fp32", random_state=0).fit(digits.X_train)
    aae = normalized_mutual_info_score(digits.y_test, model.predict(digits.X_test))
    kmeans = KMeans(10, n_init=10, random_state=0).fit(digits.X_train)
    pixels = normalized_mutual_info_score(digits.y_test, kmeans.predict(digits.X_test))
    print(f"test NMI: AAE {aae:.3f}, k-means on pixels {pixels:.3f}")
    assert aae > pixels - 0.1, (aae, pixels)


@pytest.fixture(scope="module")
def overclustered(digits):
    return tiny(overclustering=3).fit(digits.X_train)


def test_overclustering_learns_more_categories_and_merges_them_into_the_clusters(overclustered, digits):
    assert overclustered.model_.config.n_classes == 12
    assert sorted(set(overclustered.category_clusters_)) == [0, 1, 2, 3]  # every cluster has a category
    raw = overclustered._encode(digits.X_test)[0].numpy()
    merged = overclustered.predict_proba(digits.X_test)
    assert merged.shape == (len(digits.X_test), 4)
    for cluster in range(4):  # a cluster's probability is its categories' sum
        np.testing.assert_allclose(merged[:, cluster], raw[:, overclustered.category_clusters_ == cluster].sum(1),
                                   rtol=1e-5, atol=1e-6)
    np.testing.assert_array_equal(merged.argmax(1), overclustered.predict(digits.X_test))
    assert overclustered.set_params(transform_code="full").transform(digits.X_test).shape == (len(digits.X_test), 6)
    overclustered.set_params(transform_code="style")


def test_overclustering_samples_a_cluster_from_its_own_categories(overclustered):
    _, clusters = overclustered.sample(5, y=2)
    assert (clusters == 2).all()
    with torch.no_grad():  # as sample decodes
        own, others = (overclustered._decode(categories, torch.zeros(len(categories), 2)) for categories in
                       (np.flatnonzero(overclustered.category_clusters_ == 2),
                        np.flatnonzero(overclustered.category_clusters_ != 2)))
    zero_style, _ = overclustered.sample(20, y=2, style=np.zeros((20, 2)))
    for row in zero_style:  # each the decoding of one of cluster 2's categories, none of another's
        assert np.abs(own - row).max(1).min() < 1e-4
        assert np.abs(others - row).max(1).min() > 1e-4


@pytest.mark.parametrize("n_clusters, categories", [(16, 48), (17, 17)])
def test_auto_overclustering_learns_three_categories_per_cluster_up_to_16_clusters(digits, n_clusters, categories):
    model = tiny(n_clusters=n_clusters, max_iter=1).fit(digits.X_train)
    assert model.model_.config.n_classes == categories and len(model.category_clusters_) == categories


def test_merge_categories_joins_the_categories_that_share_rows():
    rng = np.random.default_rng(0)
    truth = rng.integers(3, size=300)
    category = 2 * truth + rng.integers(2, size=300)  # each true group split in two categories
    probabilities = np.eye(6)[category] * 0.8 + 0.2 * np.eye(6)[category ^ 1]  # mass leaks to the sibling only
    clusters = merge_categories(probabilities, 3)
    assert len(set(clusters)) == 3
    assert clusters[0] == clusters[1] and clusters[2] == clusters[3] and clusters[4] == clusters[5]


@pytest.mark.parametrize(("name", "value"), [("n_clusters", 0), ("overclustering", 0), ("overclustering", 1.5), ("overclustering", "three"), ("n_clusters", 2.5), ("n_clusters", "3"),
                                             ("consistency_warmup", -1), ("consistency_warmup", 1.0),
                                             ("consistency_warmup", 1.5), ("consistency_warmup", True),
                                             ("consistency_warmup", float("nan"))])
def test_a_bad_clustering_parameter_is_a_one_line_value_error_naming_it(digits, name, value):
    with pytest.raises(ValueError, match=f"^{name} must be .*, got ") as error:
        tiny(**{name: value}).fit(digits.X_train)
    assert "\n" not in str(error.value)


def test_clone_pickle_and_model_file_keep_the_clustering(fitted, digits, tmp_path):
    assert clone(fitted).get_params() == fitted.get_params()
    unpickled = pickle.loads(pickle.dumps(fitted))
    save_model(fitted, tmp_path / "clusters.pt")
    loaded = load_model(tmp_path / "clusters.pt")
    for other in (unpickled, loaded):
        assert type(other) is AAEClustering
        np.testing.assert_array_equal(other.predict_proba(digits.X_test), fitted.predict_proba(digits.X_test))


def test_model_file_keeps_the_merge_of_the_categories(overclustered, digits, tmp_path):
    save_model(overclustered, tmp_path / "clusters.pt")
    loaded = load_model(tmp_path / "clusters.pt")
    np.testing.assert_array_equal(loaded.category_clusters_, overclustered.category_clusters_)
    np.testing.assert_array_equal(loaded.predict_proba(digits.X_test), overclustered.predict_proba(digits.X_test))


def test_balance_weight_keeps_more_clusters_in_use(digits):
    def clusters_used(balance_weight):
        model = AAEClustering(n_clusters=16, overclustering=1, hidden_layer_sizes=(128,), discriminator_layer_sizes=(64,),
                              max_iter=40,
                              consistency_weight=0, mutual_information_weight=0, consistency_warmup=0,
                              balance_weight=balance_weight,
                              random_state=0).fit(digits.X_train)
        return len(set(model.predict(digits.X_val)))

    assert clusters_used(5.0) > clusters_used(0.0) + 2


@pytest.mark.parametrize("scale, uniform", [(0.0, True), (1.0, False)])
def test_class_head_init_scale_near_zero_starts_every_row_near_uniform(digits, scale, uniform):
    model = tiny(n_clusters=10, overclustering=1, class_head_init_scale=scale, max_iter=1, reconstruction_lr=1e-12,
                 regularization_lr=1e-12, consistency_weight=0).fit(digits.X_train)
    spread = np.abs(model.predict_proba(digits.X_test) - 0.1).max()
    assert (spread < 1e-3) == uniform, spread
