"""``SemiSupervisedAAEClassifier``: the semi-supervised AAE as a scikit-learn classifier."""

from numbers import Integral

import numpy as np
import torch
from sklearn.base import BaseEstimator, ClassifierMixin, ClassNamePrefixFeaturesOutMixin, TransformerMixin
from sklearn.utils import check_random_state
from sklearn.utils.multiclass import check_classification_targets
from sklearn.utils.validation import check_is_fitted, validate_data
from tqdm.auto import tqdm

from .networks import AAEConfig, AdversarialAutoencoder, model_from_data, model_to_data
from .training import (
    TrainingConfig,
    divide_learning_rates,
    encode_dataset,
    make_optimizers,
    resolve_device,
    resolve_precision,
    train_epoch,
)


def unlabeled_mask(y):
    """Rows marked ``-1``, the unlabeled ones, as in ``sklearn.semi_supervised``."""
    return np.asarray(y == -1, dtype=bool)  # elementwise on object arrays of strings and -1


class SemiSupervisedAAEClassifier(ClassifierMixin, ClassNamePrefixFeaturesOutMixin, TransformerMixin, BaseEstimator):
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
    reconstruction_lr, regularization_lr, semi_supervised_lr : float
        Adam learning rates of the reconstruction phase (default 1e-3), of the adversarial
        phase, discriminators and encoder alike (default 2e-4), and of the semi-supervised
        phase (default 1e-3).
    optimizer : {"adam", "sgd"}, default="adam"
        ``"sgd"`` is the paper's: momentum 0.9 for reconstruction and classification, 0.1 for the
        adversarial steps (Adam's first beta is 0.9 and 0.5 likewise).
    learning_rate_drops : tuple of int, default=()
        Epochs at which every learning rate is divided by 10; the paper used (50, 1000).
    batch_size : int, default=100
        Unlabeled rows per minibatch; labeled rows count as unlabeled too.
    labeled_batch_size : int, default=100
        Labeled rows, drawn with replacement, per semi-supervised step.
    max_iter : int, default=100
        Epochs: passes over all rows of X.
    precision : {"auto", "bf16", "fp32"}, default="auto"
        Precision of the training forward passes. bf16 autocast is several times faster on
        CPUs with AMX or AVX512-BF16 and on recent GPUs, and many times slower where it is
        emulated; ``"auto"`` takes bf16 only where the hardware has it. Prediction always runs
        in fp32.
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

    _learns_from_unlabeled_rows = True  # False: only the semi-supervised phase runs (a baseline)

    def __init__(self, hidden_layer_sizes=(1000, 1000), discriminator_layer_sizes=(1000, 1000),
                 style_dim=10, reconstruction_loss="auto", input_noise=0.3, reconstruction_lr=1e-3,
                 regularization_lr=2e-4, semi_supervised_lr=1e-3, optimizer="adam", learning_rate_drops=(),
                 batch_size=100,
                 labeled_batch_size=100, max_iter=100, precision="auto", device="auto",
                 random_state=None, verbose=False):
        self.hidden_layer_sizes = hidden_layer_sizes
        self.discriminator_layer_sizes = discriminator_layer_sizes
        self.style_dim = style_dim
        self.reconstruction_loss = reconstruction_loss
        self.input_noise = input_noise
        self.reconstruction_lr = reconstruction_lr
        self.regularization_lr = regularization_lr
        self.semi_supervised_lr = semi_supervised_lr
        self.optimizer = optimizer
        self.learning_rate_drops = learning_rate_drops
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
        binary = self._binary_features(X)
        self.feature_mean_ = np.zeros(X.shape[1], np.float32) if binary else X.mean(0)
        self.feature_scale_ = np.ones(X.shape[1], np.float32) if binary else _nonzero(X.std(0))

        seed = check_random_state(self.random_state).randint(2**31)
        self.device_ = resolve_device(self.device)
        config = AAEConfig(X.shape[1], len(self.classes_), self.style_dim,
                           _layer_sizes("hidden_layer_sizes", self.hidden_layer_sizes),
                           _layer_sizes("discriminator_layer_sizes", self.discriminator_layer_sizes), binary)
        with torch.random.fork_rng(devices=[]):  # seeded weights, the user's global RNG untouched
            torch.manual_seed(seed)
            self.model_ = AdversarialAutoencoder(config).to(self.device_)
        training = TrainingConfig(self.batch_size, self.labeled_batch_size, self.reconstruction_lr,
                                  self.regularization_lr, self.semi_supervised_lr, self.input_noise,
                                  resolve_precision(self.precision, self.device_), self.optimizer)
        optimizers = make_optimizers(self.model_, training)
        generator = torch.Generator(self.device_).manual_seed(seed)
        X_train = self._standardized(X).to(self.device_)
        X_labeled = X_train[torch.from_numpy(labeled).to(self.device_)]
        labels = torch.as_tensor(label_index, device=self.device_)

        self.history_ = []
        epochs = tqdm(range(self.max_iter), desc="epochs", disable=not self.verbose)
        for epoch in epochs:
            if epoch in self.learning_rate_drops:
                divide_learning_rates(optimizers)
            losses = train_epoch(self.model_, optimizers, X_train, X_labeled, labels, training, generator,
                                 unlabeled=self._learns_from_unlabeled_rows)
            self.history_.append(losses)
            epochs.set_postfix({name: f"{value:.3g}" for name, value in losses.items()})
        self.n_iter_ = self.max_iter
        self.label_distributions_ = self.predict_proba(X)
        self.transduction_ = self.classes_[self.label_distributions_.argmax(1)]
        return self

    def _binary_features(self, X):
        if self.reconstruction_loss not in ("auto", "bce", "mse"):
            raise ValueError(f"reconstruction_loss must be 'auto', 'bce' or 'mse', got {self.reconstruction_loss!r}")
        in_unit_range = X.min() >= 0 and X.max() <= 1
        if self.reconstruction_loss == "bce" and not in_unit_range:
            raise ValueError("reconstruction_loss='bce' needs every feature in [0, 1]")
        return bool(self.reconstruction_loss == "bce" or (self.reconstruction_loss == "auto" and in_unit_range))

    def _standardized(self, X):
        return torch.from_numpy((X - self.feature_mean_) / self.feature_scale_)

    def _encode(self, X):
        check_is_fitted(self)
        X = validate_data(self, X, dtype=np.float32, reset=False)
        return encode_dataset(self.model_, self._standardized(X))

    def predict_proba(self, X):
        """Class probabilities q(y|x), columns in the order of ``classes_``."""
        return self._encode(X)[0].numpy()

    def predict(self, X):
        """Most probable class of each row."""
        probabilities = self.predict_proba(X)
        return self.classes_[probabilities.argmax(1)]

    @property
    def _n_features_out(self):
        return self.style_dim

    def transform(self, X):
        """Style codes z of each row: the continuous part of the latent code."""
        return self._encode(X)[1].numpy()

    @torch.no_grad()
    def sample(self, n_samples=1, y=None):
        """Decode draws of the priors: a class (uniform, or the given ``y``) and a N(0, I) style.

        Returns
        -------
        X : ndarray of shape (n_samples, n_features)
        y : ndarray of shape (n_samples,)
            The class of each sample.
        """
        check_is_fitted(self)
        rng = check_random_state(self.random_state)
        if y is None:
            index = rng.randint(len(self.classes_), size=n_samples)
        else:
            y = np.broadcast_to(np.asarray(y, dtype=self.classes_.dtype), (n_samples,))
            index = np.searchsorted(self.classes_, y).clip(max=len(self.classes_) - 1)
            unknown = self.classes_[index] != y
            if unknown.any():
                raise ValueError(f"y holds labels not in classes_: {sorted(set(y[unknown]))}")
        self.model_.eval()
        one_hot = np.eye(len(self.classes_), dtype=np.float32)[index]
        style = rng.standard_normal((n_samples, self.style_dim)).astype(np.float32)
        output = self.model_.decode(torch.from_numpy(one_hot).to(self.device_),
                                    torch.from_numpy(style).to(self.device_)).cpu()
        if self.model_.config.binary_features:
            output = output.sigmoid()
        return output.numpy() * self.feature_scale_ + self.feature_mean_, self.classes_[index]

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.transformer_tags.preserves_dtype = ["float32"]  # the networks compute in float32
        return tags

    def __getstate__(self):
        state = self.__dict__.copy()
        if "model_" in state:  # plain data, so that a model trained on a GPU loads on a CPU
            state["model_"] = model_to_data(state.pop("model_"))
            del state["device_"]
        return state

    def __setstate__(self, state):
        self.__dict__.update(state)
        if "model_" in state:
            self.device_ = resolve_device("cpu" if self.device == "cpu" else "auto")
            self.model_ = model_from_data(state["model_"], self.device_)


def _layer_sizes(name, sizes):
    """Layer sizes as a tuple of ints; a clear error for anything else (a string, a float, 0)."""
    if not (isinstance(sizes, tuple | list) and sizes and all(isinstance(n, Integral) and n > 0 for n in sizes)):
        raise ValueError(f"{name} must be a non-empty tuple of positive ints, got {sizes!r}")
    return tuple(int(n) for n in sizes)


def _nonzero(scale):
    """Constant features keep scale 1 so that standardizing them does not divide by zero."""
    return np.where(scale > 0, scale, 1).astype(np.float32)
