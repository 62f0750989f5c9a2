"""``AAEClustering``: the unsupervised AAE of Makhzani et al. (2015) as a scikit-learn clusterer."""

from numbers import Integral

import numpy as np
from sklearn.base import ClusterMixin
from sklearn.utils.validation import validate_data

from .base import BaseAAE


class AAEClustering(ClusterMixin, BaseAAE):
    """Clustering with an Adversarial Autoencoder, no labels needed.

    The encoder's categorical head q(y|x) has ``n_clusters`` outputs and is pushed towards a
    uniform categorical prior, its style head q(z|x) towards N(0, I); the decoder rebuilds x from
    [y, z]. What the style code cannot carry (the style has few dimensions) the cluster must:
    images split by content, not by style.

    Parameters
    ----------
    n_clusters : int, default=16
        Number of clusters, the size of the categorical code.
    hidden_layer_sizes : tuple of int, default=(1000, 1000)
        Hidden ReLU layers of the encoder (mirrored in the decoder).
    discriminator_layer_sizes : tuple of int, default=(1000, 1000)
        Hidden ReLU layers of each discriminator.
    style_dim : int, default=3
        Size of the continuous style code z. The paper used 5; on MNIST, 10 epochs, 5 seeds, 3 had
        the lower validation error with 16 and with 30 clusters
        (benchmarks/results/mnist-clustering-bf16-style-3 against mnist-clustering-bf16).
    reconstruction_loss : {"auto", "bce", "mse"}, default="auto"
        As in :class:`~ssaae.SemiSupervisedAAEClassifier`.
    input_noise : float, default=0.3
        Standard deviation of the Gaussian noise added to the encoder's input during training.
    batch_norm : bool, default=False
        As in :class:`~ssaae.SemiSupervisedAAEClassifier`; untested for clustering.
    consistency_weight, consistency_radius, consistency_rampup, consistency_ramp : default=150.0, 2.0, 3, "linear"
        The virtual adversarial consistency term of
        :class:`~ssaae.SemiSupervisedAAEClassifier`, here on the cluster assignments: a row and
        its neighbours should share a cluster. On MNIST, 10 epochs, 5 seeds, the weight 150 (with
        ``regularization_lr=1e-3``) cut the paper-protocol test error from 37% to 21% with 16
        clusters and from 32% to 15% with 30 (benchmarks/results/mnist-clustering-consistency-150,
        mnist-clustering), at the cost of reconstructions about twice as poor (blurrier samples);
        0 turns it off.
    balance_weight : float, default=5.0
        Weight of a term that keeps every cluster in use: log ``n_clusters`` minus the entropy
        of a minibatch's mean assignment. The discriminators judge one code at a time and cannot
        see a few clusters taking all rows. Not in the paper; 0 turns it off.
    reconstruction_lr, regularization_lr : float
        Learning rates of the reconstruction phase and of the adversarial phase, both 1e-3 (the
        classifier's adversarial phase uses 2e-4).
    optimizer : {"adam", "sgd"}, default="adam"
    learning_rate_drops : tuple of int, default=()
        Epochs at which every learning rate is divided by 10.
    learning_rate_decay : float, default=0.0
        As in :class:`~ssaae.SemiSupervisedAAEClassifier` (default 0.5 there); untested for
        clustering, so off here.
    batch_size : int, default=100
    max_iter : int, default=100
        Epochs: passes over all rows of X.
    precision : {"auto", "bf16", "fp32"}, default="auto"
    device : str, default="auto"
    random_state : int, RandomState instance or None, default=None
    verbose : bool, default=False

    Attributes
    ----------
    labels_ : ndarray of shape (n_samples,)
        Cluster of every training row.
    n_features_in_ : int
    history_ : list of dict
        Mean loss of each phase, one dict per epoch.
    n_iter_ : int
    model_ : AdversarialAutoencoder

    Examples
    --------
    >>> from sklearn.datasets import load_digits
    >>> X, _ = load_digits(return_X_y=True)
    >>> model = AAEClustering(n_clusters=10, hidden_layer_sizes=(64,), discriminator_layer_sizes=(64,),
    ...                       max_iter=2, random_state=0).fit(X / 16)
    >>> model.predict_proba(X[:3] / 16).shape
    (3, 10)
    """

    def __init__(self, n_clusters=16, hidden_layer_sizes=(1000, 1000), discriminator_layer_sizes=(1000, 1000),
                 style_dim=3, reconstruction_loss="auto", input_noise=0.3, batch_norm=False,
                 consistency_weight=150.0, consistency_radius=2.0, consistency_rampup=3, consistency_ramp="linear",
                 balance_weight=5.0,
                 reconstruction_lr=1e-3, regularization_lr=1e-3, optimizer="adam", learning_rate_drops=(),
                 learning_rate_decay=0.0, batch_size=100, max_iter=100,
                 precision="auto", device="auto", random_state=None, verbose=False):
        self.n_clusters = n_clusters
        self.hidden_layer_sizes = hidden_layer_sizes
        self.discriminator_layer_sizes = discriminator_layer_sizes
        self.style_dim = style_dim
        self.reconstruction_loss = reconstruction_loss
        self.input_noise = input_noise
        self.batch_norm = batch_norm
        self.consistency_weight = consistency_weight
        self.consistency_radius = consistency_radius
        self.consistency_rampup = consistency_rampup
        self.consistency_ramp = consistency_ramp
        self.balance_weight = balance_weight
        self.reconstruction_lr = reconstruction_lr
        self.regularization_lr = regularization_lr
        self.optimizer = optimizer
        self.learning_rate_drops = learning_rate_drops
        self.learning_rate_decay = learning_rate_decay
        self.batch_size = batch_size
        self.max_iter = max_iter
        self.precision = precision
        self.device = device
        self.random_state = random_state
        self.verbose = verbose

    def fit(self, X, y=None):
        """Train on the rows of ``X``; ``y`` is ignored.

        Returns
        -------
        self
        """
        X = validate_data(self, X, dtype=np.float32)
        if not (isinstance(self.n_clusters, Integral) and self.n_clusters >= 1):
            raise ValueError(f"n_clusters must be a positive int, got {self.n_clusters!r}")
        self._fit_networks(X, int(self.n_clusters))
        self.labels_ = self.predict(X)
        return self

    def predict_proba(self, X):
        """Soft assignments q(y|x): one column per cluster."""
        return self._probabilities(X)

    def predict(self, X):
        """Most probable cluster of each row."""
        return self.predict_proba(X).argmax(1)

    @property
    def _categories(self):
        return np.arange(self.n_clusters)
