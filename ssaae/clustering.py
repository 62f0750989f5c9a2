"""``AAEClustering``: the unsupervised AAE of Makhzani et al. (2015) as a scikit-learn clusterer."""

from numbers import Integral

import numpy as np
import torch
from sklearn.base import ClusterMixin
from sklearn.cluster import AgglomerativeClustering
from sklearn.utils.validation import validate_data

from .base import BaseAAE, document_parameters


@document_parameters
class AAEClustering(ClusterMixin, BaseAAE):
    """Clustering with an Adversarial Autoencoder, no labels needed.

    The encoder's categorical head q(y|x) has ``n_clusters`` outputs and is pushed towards a
    uniform categorical prior, its style head q(z|x) towards N(0, I); the decoder rebuilds x from
    [y, z]. What the style code cannot carry (the style has few dimensions) the cluster must:
    images split by content, not by style. By default a fourth phase (``consistency_lr``) trains
    the encoder and class head on IMSAT's objective (Hu et al. 2017): q(y|x) steady under the
    most sensitive input change of each row's own radius (``consistency_radius="neighbors"``),
    each row sure of its cluster and every cluster used (``mutual_information_weight``), with
    batch normalization and a class head that starts near zero. That phase trains alone for the
    first epochs (``consistency_warmup``), where the clusters form; the autoencoder's phases then
    join it and fit the decoder, the priors and the style code around them. The networks learn
    ``overclustering`` categories per cluster, finer and purer than the clusters, and the
    categories that share rows join into the clusters after training.

    Parameters
    ----------
    {parameters}

    Attributes
    ----------
    labels_ : ndarray of shape (n_samples,)
        Cluster of every training row.
    category_clusters_ : ndarray of shape (n_categories,)
        Cluster of every category of the categorical code (``n_clusters`` times the categories per
        cluster, ``overclustering``).
    offset_ : float
        Tukey's lower fence of the training rows' ``score_samples``, first quartile minus 1.5
        times the interquartile range: where ``decision_function`` is 0.
    {shared_attributes}

    Examples
    --------
    >>> from sklearn.datasets import load_digits
    >>> X, _ = load_digits(return_X_y=True)
    >>> model = AAEClustering(n_clusters=10, hidden_layer_sizes=(64,), discriminator_layer_sizes=(64,),
    ...                       max_iter=2, random_state=0).fit(X / 16)
    >>> model.predict_proba(X[:3] / 16).shape
    (3, 10)
    """

    def __init__(self, n_clusters=16, overclustering="auto", hidden_layer_sizes=(1000, 1000), discriminator_layer_sizes=(1000, 1000),
                 style_dim=3, transform_code="style", reconstruction_loss="auto", input_noise=0.3, batch_norm=True,
                 consistency_weight=1.0, consistency_radius="neighbors", consistency_rampup=0,
                 consistency_ramp="linear", balance_weight=5.0, mutual_information_weight=0.1, consistency_probe=5.0,
                 consistency_lr=2e-3, consistency_warmup=0.8, class_head_init_scale=0.01,
                 reconstruction_lr=1e-3, regularization_lr=1e-3, optimizer="adam", learning_rate_drops=(),
                 learning_rate_decay=0.0, batch_size=250, max_iter=25,
                 precision="auto", device="auto", random_state=None, warm_start=False,
                 checkpoint_path=None, checkpoint_every=1, verbose=False):
        self._store(locals())

    def fit(self, X, y=None):
        """Train on the rows of ``X``; ``y`` is ignored.

        Returns
        -------
        self
        """
        self._validate_params()
        X = validate_data(self, X, dtype=np.float32)
        per_cluster = self.overclustering
        if per_cluster == "auto":
            per_cluster = 3 if self.n_clusters <= 16 else 1
        self._fit_networks(X, self.n_clusters * per_cluster)
        probabilities = self._encode(X)[0]
        self.category_clusters_ = merge_categories(probabilities.numpy(), self.n_clusters)
        self.labels_ = self._merged(probabilities).numpy().argmax(1)  # predict(X) without encoding X again
        first, third = np.percentile(self.score_samples(X), [25, 75])
        self.offset_ = float(first - 1.5 * (third - first))
        return self

    def decision_function(self, X):
        """``score_samples`` minus ``offset_``, as in scikit-learn's ``IsolationForest``: negative
        for rows less typical than Tukey's lower fence of the training rows' scores, outliers
        among them; higher is more normal.

        Returns
        -------
        ndarray of shape (n_samples,)
        """
        return self.score_samples(X) - self.offset_

    def predict_proba(self, X):
        """Soft assignments q(y|x): one column per cluster."""
        return self._probabilities(X)

    def predict(self, X):
        """Most probable cluster of each row."""
        return self.predict_proba(X).argmax(1)

    def _merged(self, probabilities):
        membership = np.eye(self.n_clusters, dtype=np.float32)[self.category_clusters_]
        return probabilities @ torch.from_numpy(membership)

    def _network_categories(self, index, rng):
        members = [np.flatnonzero(self.category_clusters_ == cluster) for cluster in range(self.n_clusters)]
        return np.array([rng.choice(members[cluster]) for cluster in index], dtype=int)

    def _training_fields(self, n_samples):
        warmup = self.consistency_warmup
        return {"consistency_warmup": warmup if isinstance(warmup, Integral) else int(warmup * self.max_iter)}

    @property
    def _categories(self):
        return np.arange(self.n_clusters)


def merge_categories(probabilities, n_clusters):
    """The cluster of each column of ``probabilities`` (q(y|x) of the training rows, one column per
    category): average-linkage agglomerative clustering of the columns' cosine similarity, so that
    categories sharing rows join. Each of the ``n_clusters`` clusters gets at least one category.

    >>> merge_categories(np.array([[0.6, 0.4, 0.0], [0.5, 0.5, 0.0], [0.0, 0.1, 0.9]]), 2).tolist()
    [0, 0, 1]
    """
    if probabilities.shape[1] == n_clusters:
        return np.arange(n_clusters)
    columns = probabilities.astype(np.float64)
    shared = columns.T @ columns
    norms = np.sqrt(np.diag(shared)) + np.finfo(np.float64).tiny
    distance = 1 - shared / np.outer(norms, norms)
    return AgglomerativeClustering(n_clusters, metric="precomputed", linkage="average").fit_predict(distance)
