"""What the semi-supervised AAE is measured against."""

import math

from sklearn.base import clone

from .classifier import unlabeled_mask


def fit_labels_only(estimator, X, y):
    """Fit a clone of ``estimator`` on the labeled rows of ``X`` alone: the same network and
    training, without the unlabeled data. Its epochs are scaled up so that it takes as many
    minibatch steps as ``estimator`` takes on all of ``X``.

    Examples
    --------
    >>> import numpy as np
    >>> from ssaae import SemiSupervisedAAEClassifier
    >>> X, y = np.random.rand(300, 4), np.r_[[0, 1] * 10, [-1] * 280]
    >>> model = SemiSupervisedAAEClassifier(hidden_layer_sizes=(8,), max_iter=2)
    >>> fit_labels_only(model, X, y).max_iter  # 3 batches of 100 a pass over X, 1 over 20 labels
    6
    """
    labeled = ~unlabeled_mask(y)
    batch_size = estimator.get_params()["batch_size"]
    steps = math.ceil(len(X) / batch_size) * estimator.get_params()["max_iter"]
    epochs = math.ceil(steps / math.ceil(labeled.sum() / batch_size))
    return clone(estimator).set_params(max_iter=epochs).fit(X[labeled], y[labeled])
