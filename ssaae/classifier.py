"""``SemiSupervisedAAEClassifier``: the semi-supervised AAE as a scikit-learn classifier."""

import numpy as np
from sklearn.base import ClassifierMixin
from sklearn.utils.multiclass import check_classification_targets
from sklearn.utils.validation import validate_data

from .base import BaseAAE, document_parameters
from .datasets import unlabeled_mask


@document_parameters
class SemiSupervisedAAEClassifier(ClassifierMixin, BaseAAE):
    """Semi-supervised classifier built on an Adversarial Autoencoder (Makhzani et al. 2015).

    The encoder has a softmax class head q(y|x) and a linear style head q(z|x); the decoder
    rebuilds x from [y, z]; two discriminators push q(y) towards a uniform categorical prior and
    q(z) towards N(0, I). Unlabeled rows (``y == -1``) shape the encoder through reconstruction
    and the priors, labeled rows through a cross-entropy step.

    Parameters
    ----------
    {parameters}

    Attributes
    ----------
    classes_ : ndarray of shape (n_classes,)
        The labels seen among labeled rows.
    transduction_ : ndarray of shape (n_samples,)
        Label predicted for every training row.
    label_distributions_ : ndarray of shape (n_samples, n_classes)
        Class probabilities of every training row.
    {shared_attributes}

    Examples
    --------
    >>> from sklearn.datasets import load_digits
    >>> X, y = load_digits(return_X_y=True)
    >>> y_semi = y.copy()
    >>> y_semi[100:] = -1
    >>> model = SemiSupervisedAAEClassifier(hidden_layer_sizes=(64,), discriminator_layer_sizes=(64,),
    ...                                     max_iter=2, random_state=0).fit(X / 16, y_semi)
    >>> model.predict(X[:3] / 16).shape
    (3,)
    """

    def __init__(self, hidden_layer_sizes=(1000, 1000), discriminator_layer_sizes=(256, 256),
                 style_dim=10, transform_code="style", reconstruction_loss="auto", input_noise=0.3, batch_norm=True,
                 consistency_weight=100.0, consistency_radius="auto", consistency_rampup=8, consistency_ramp="sigmoid",
                 balance_weight=5.0, mutual_information_weight=0.0, consistency_probe=1e-6, consistency_lr=None,
                 class_head_init_scale=1.0,
                 reconstruction_lr=1e-3, regularization_lr=2e-4, semi_supervised_lr=1e-3, optimizer="adam",
                 learning_rate_drops=(), learning_rate_decay=0.5, batch_size="auto",
                 labeled_batch_size="auto", max_iter=25, early_stopping=False, n_iter_no_change=5,
                 precision="auto", device="auto", random_state=None, warm_start=False,
                 checkpoint_path=None, checkpoint_every=1, verbose=False):
        self._store(locals())

    def fit(self, X, y, validation_data=None):
        """Train on all rows of ``X``; ``y`` holds a label, or ``-1`` for an unlabeled row.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
        y : array-like of shape (n_samples,)
            Integer or string labels, ``-1`` (or the text ``"-1"``) where unknown.
        validation_data : tuple (X_val, y_val), optional
            Labeled rows scored after every epoch: ``history_`` records their error rate as
            ``validation_error``, and ``early_stopping`` stops on it.

        Returns
        -------
        self
        """
        self._validate_params()
        if self.early_stopping and validation_data is None:
            raise ValueError("early_stopping needs validation_data, the rows fit scores after each epoch")
        X, y = validate_data(self, X, y, dtype=np.float32)
        labeled = ~unlabeled_mask(y)
        if not labeled.any():
            raise ValueError("y has no labeled rows: every entry is -1")
        check_classification_targets(y[labeled])
        self.classes_, label_index = np.unique(y[labeled], return_inverse=True)
        if len(self.classes_) < 2:
            raise ValueError(f"y has 1 class among its labeled rows ({self.classes_[0]!r}); "
                             "a classifier needs at least two")
        self._fit_networks(X, len(self.classes_), X[labeled], label_index, validation_data,
                           self.n_iter_no_change if self.early_stopping else None)
        self.label_distributions_ = self.predict_proba(X)
        self.transduction_ = self.classes_[self.label_distributions_.argmax(1)]
        return self

    def _training_fields(self, n_samples):
        labeled = self._batch_size(n_samples) if self.labeled_batch_size == "auto" else self.labeled_batch_size
        return {"labeled_batch_size": labeled, "semi_supervised_lr": self.semi_supervised_lr}

    def predict_proba(self, X):
        """Class probabilities q(y|x), columns in the order of ``classes_``."""
        return self._probabilities(X)

    def _validation_error(self, X, y):
        return 1 - self.score(X, y)

    def predict(self, X):
        """Most probable class of each row."""
        probabilities = self.predict_proba(X)
        return self.classes_[probabilities.argmax(1)]

    @property
    def _categories(self):
        return self.classes_
