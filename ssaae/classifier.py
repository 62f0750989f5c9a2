"""``SemiSupervisedAAEClassifier``: the semi-supervised AAE as a scikit-learn classifier."""

import numpy as np
from sklearn.base import ClassifierMixin
from sklearn.utils.multiclass import check_classification_targets
from sklearn.utils.validation import validate_data

from .base import BaseAAE


def unlabeled_mask(y):
    """Rows marked ``-1``, the unlabeled ones, as in ``sklearn.semi_supervised``."""
    return np.asarray(y == -1, dtype=bool)  # elementwise on object arrays of strings and -1


class SemiSupervisedAAEClassifier(ClassifierMixin, BaseAAE):
    """Semi-supervised classifier built on an Adversarial Autoencoder (Makhzani et al. 2015).

    The encoder has a softmax class head q(y|x) and a linear style head q(z|x); the decoder
    rebuilds x from [y, z]; two discriminators push q(y) towards a uniform categorical prior and
    q(z) towards N(0, I). Unlabeled rows (``y == -1``) shape the encoder through reconstruction
    and the priors, labeled rows through a cross-entropy step.

    Parameters
    ----------
    hidden_layer_sizes : tuple of int, default=(1000, 1000)
        Hidden ReLU layers of the encoder (mirrored in the decoder).
    discriminator_layer_sizes : tuple of int, default=(1000, 1000)
        Hidden ReLU layers of each discriminator.
    style_dim : int, default=10
        Size of the continuous style code z.
    reconstruction_loss : {"auto", "bce", "mse"}, default="auto"
        Binary cross-entropy suits features in [0, 1] (images); squared error on standardized
        features suits any real values. ``"auto"`` picks bce when every feature is in [0, 1].
    input_noise : float, default=0.3
        Standard deviation of the Gaussian noise added to the encoder's input during training.
    batch_norm : bool, default=True
        Batch normalization before each ReLU of the encoder. Not in the paper. On MNIST with 100
        labels and 20 epochs, with ``balance_weight=5``, it lowered the mean validation error from
        3.56% to 3.09% (5 seeds, benchmarks/results/mnist-batch-norm-balance); alone, one seed of
        five collapsed (benchmarks/results/mnist-batch-norm).
    consistency_weight : float, default=100.0
        Weight of a consistency term in the reconstruction phase: q(y|x) should not change
        under the input change of length ``consistency_radius`` it is most sensitive to
        (virtual adversarial training, Miyato et al. 2018). Not in the paper; 0 turns it off.
        On MNIST with 10 epochs, 100 (rising over 6 epochs in the sigmoid shape) gave 2.07% and
        1.96% mean validation error over 5 seeds with 100 and 1000 labels, against 2.66% and
        2.17% for weight 10 rising linearly over 3 (benchmarks/results/mnist-consistency-100-sigmoid,
        mnist-consistency-10-rampup-3).
    consistency_radius : float, default=2.0
        Length of that input change, in the units of the (standardized) features.
    consistency_rampup : int, default=6
        Epochs over which the consistency weight rises to ``consistency_weight``; 0 applies it
        in full from the start. A strong term needs a slow rise: at 100 MNIST labels, weight 10
        without one collapsed two seeds of five (two classes merged; benchmarks/results/
        mnist-consistency-10), weight 100 rising linearly over 6 epochs two seeds of five
        (mnist-consistency-100-rampup-6).
    consistency_ramp : {"linear", "sigmoid"}, default="sigmoid"
        Shape of that rise: ``"linear"`` (``epoch / consistency_rampup`` of the weight in epoch
        1, 2, ...) or ``"sigmoid"`` (``exp(-5 (1 - epoch / consistency_rampup)^2)`` of it, the
        rise of temporal ensembling, far lower in the first epochs: 3% of it in epoch 1 of 6,
        against 17%). On MNIST, 10 epochs, 100 labels, seeds 0-4, weight 100 over 6 epochs, the
        sigmoid rise ran the two seeds the linear one collapsed to 2.24% and 1.99% test error
        (mean validation error 2.07% against 4.63%); at 1000 labels it did a little worse (1.96%
        against 1.83%), where the linear rise collapsed no seed (benchmarks/results/
        mnist-consistency-100-sigmoid, mnist-consistency-100-rampup-6).
    balance_weight : float, default=5.0
        Weight of a term that keeps every class in use: log ``n_classes`` minus the entropy of a
        minibatch's mean q(y|x). It works against two classes merging into one (the collapse seen
        with ``batch_norm`` alone), which the discriminators, judging one code at a time, cannot
        see. Not in the paper; 0 turns it off.
    reconstruction_lr, regularization_lr, semi_supervised_lr : float
        Adam learning rates of the reconstruction phase (default 1e-3), of the adversarial
        phase, discriminators and encoder alike (default 2e-4), and of the semi-supervised
        phase (default 1e-3).
    optimizer : {"adam", "sgd"}, default="adam"
        ``"sgd"`` is the paper's: momentum 0.9 for reconstruction and classification, 0.1 for the
        adversarial steps (Adam's first beta is 0.9 and 0.5 likewise).
    learning_rate_drops : tuple of int, default=()
        Epochs at which every learning rate is divided by 10; the paper used (50, 1000).
    learning_rate_decay : float, default=0.5
        Fraction of the epochs, at the end, over which every learning rate falls linearly
        towards 0 (:func:`~ssaae.training.learning_rate_factor`): the model settles instead of
        ending wherever the adversarial game has swung to. 0 keeps the rates constant.
    batch_size : int, default=100
        Unlabeled rows per minibatch; labeled rows count as unlabeled too.
    labeled_batch_size : int, default=100
        Labeled rows, drawn with replacement, per semi-supervised step.
    max_iter : int, default=100
        Epochs: passes over all rows of X.
    precision : {"auto", "bf16", "fp32"}, default="auto"
        Precision of the training forward passes. bf16 autocast is faster on CPUs with AMX or
        AVX512-BF16 and on recent GPUs (``ssaae bench throughput --precision`` measures it), and
        many times slower where it is emulated; ``"auto"`` takes bf16 only where the hardware
        has it. Prediction always runs in fp32.
    device : str, default="auto"
        Torch device; ``"auto"`` takes the accelerator (CUDA) when there is one, else the CPU.
    random_state : int, RandomState instance or None, default=None
        Seeds weight initialization, noise, prior draws and minibatch order.
    verbose : bool, default=False
        Show a progress bar over epochs with the losses of each phase.

    Attributes
    ----------
    classes_ : ndarray of shape (n_classes,)
        The labels seen among labeled rows.
    n_features_in_ : int
        Number of features seen during fit.
    transduction_ : ndarray of shape (n_samples,)
        Label predicted for every training row.
    label_distributions_ : ndarray of shape (n_samples, n_classes)
        Class probabilities of every training row.
    history_ : list of dict
        Mean loss of each phase, one dict per epoch.
    n_iter_ : int
        Epochs run.
    model_ : AdversarialAutoencoder
        The trained networks.

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

    def __init__(self, hidden_layer_sizes=(1000, 1000), discriminator_layer_sizes=(1000, 1000),
                 style_dim=10, reconstruction_loss="auto", input_noise=0.3, batch_norm=True,
                 consistency_weight=100.0, consistency_radius=2.0, consistency_rampup=6, consistency_ramp="sigmoid",
                 balance_weight=5.0,
                 reconstruction_lr=1e-3, regularization_lr=2e-4, semi_supervised_lr=1e-3, optimizer="adam",
                 learning_rate_drops=(), learning_rate_decay=0.5, batch_size=100,
                 labeled_batch_size=100, max_iter=100, precision="auto", device="auto",
                 random_state=None, verbose=False):
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
        self.semi_supervised_lr = semi_supervised_lr
        self.optimizer = optimizer
        self.learning_rate_drops = learning_rate_drops
        self.learning_rate_decay = learning_rate_decay
        self.batch_size = batch_size
        self.labeled_batch_size = labeled_batch_size
        self.max_iter = max_iter
        self.precision = precision
        self.device = device
        self.random_state = random_state
        self.verbose = verbose

    def fit(self, X, y):
        """Train on all rows of ``X``; ``y`` holds a label, or ``-1`` for an unlabeled row.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
        y : array-like of shape (n_samples,)
            Integer or string labels, ``-1`` where unknown.

        Returns
        -------
        self
        """
        X, y = validate_data(self, X, y, dtype=np.float32)
        labeled = ~unlabeled_mask(y)
        if not labeled.any():
            raise ValueError("y has no labeled rows: every entry is -1")
        check_classification_targets(y[labeled])
        self.classes_, label_index = np.unique(y[labeled], return_inverse=True)
        if len(self.classes_) < 2:
            raise ValueError(f"y has 1 class among its labeled rows ({self.classes_[0]!r}); "
                             "a classifier needs at least two")
        self._fit_networks(X, len(self.classes_), X[labeled], label_index)
        self.label_distributions_ = self.predict_proba(X)
        self.transduction_ = self.classes_[self.label_distributions_.argmax(1)]
        return self

    def predict_proba(self, X):
        """Class probabilities q(y|x), columns in the order of ``classes_``."""
        return self._probabilities(X)

    def predict(self, X):
        """Most probable class of each row."""
        probabilities = self.predict_proba(X)
        return self.classes_[probabilities.argmax(1)]

    @property
    def _categories(self):
        return self.classes_
