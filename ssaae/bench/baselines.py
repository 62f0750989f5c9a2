"""What the semi-supervised AAE is measured against."""

import numpy as np
from sklearn.linear_model import LogisticRegression

from ..classifier import SemiSupervisedAAEClassifier
from ..datasets import unlabeled_mask


class LabelsOnlyAAEClassifier(SemiSupervisedAAEClassifier):
    """The encoder and class head of :class:`SemiSupervisedAAEClassifier`, trained by its
    semi-supervised phase alone: cross-entropy on minibatches of labeled rows, no reconstruction,
    no priors. Same parameters, and as many steps: an epoch still counts one minibatch per
    ``batch_size`` rows of ``X``, so unlabeled rows (``y == -1``) set the number of steps (and,
    for features outside [0, 1], their scaling) but are never learned from.

    Examples
    --------
    >>> import numpy as np
    >>> X, y = np.random.rand(300, 4), np.r_[[0, 1] * 10, [-1] * 280]
    >>> model = LabelsOnlyAAEClassifier(hidden_layer_sizes=(8,), max_iter=2).fit(X, y)
    >>> len(model.history_), list(model.history_[0])  # 2 epochs, cross-entropy only
    (2, ['semi_supervised', 'seconds'])
    """

    _unlabeled_phases = None


class ConsistencyOnlyAAEClassifier(SemiSupervisedAAEClassifier):
    """The encoder and class head of :class:`SemiSupervisedAAEClassifier`, trained by its
    semi-supervised phase and its consistency term (``consistency_weight``, ``consistency_radius``
    and their rise) on the unlabeled rows, with no decoder and no discriminators: what the
    adversarial autoencoder adds to the consistency term. Same parameters, and as many steps.

    Examples
    --------
    >>> import numpy as np
    >>> X, y = np.random.rand(300, 4), np.r_[[0, 1] * 10, [-1] * 280]
    >>> model = ConsistencyOnlyAAEClassifier(hidden_layer_sizes=(8,), max_iter=2).fit(X, y)
    >>> list(model.history_[0])
    ['consistency', 'semi_supervised', 'seconds']
    """

    _unlabeled_phases = "consistency"


class LabeledRowsLogisticRegression(LogisticRegression):
    """scikit-learn's ``LogisticRegression`` fitted on the labeled rows alone: rows with ``y == -1``
    are left out, not taken for a class.

    Examples
    --------
    >>> X, y = np.array([[0.0], [1.0], [5.0]]), np.array([0, 1, -1])
    >>> LabeledRowsLogisticRegression().fit(X, y).classes_.tolist()
    [0, 1]
    """

    def fit(self, X, y):
        labeled = ~unlabeled_mask(np.asarray(y))
        return super().fit(np.asarray(X)[labeled], np.asarray(y)[labeled])
