"""What the semi-supervised classifier and the clusterer share: the networks' life cycle in a
scikit-learn estimator (feature scaling, seeding, the epoch loop, encoding, decoding, pickling)."""

from dataclasses import fields, replace
from numbers import Integral, Real

import numpy as np
import torch
from sklearn.base import BaseEstimator, ClassNamePrefixFeaturesOutMixin, TransformerMixin
from sklearn.utils import check_random_state
from sklearn.utils.validation import check_is_fitted, validate_data
from tqdm.auto import tqdm

from .networks import AAEConfig, AdversarialAutoencoder, model_from_data, model_to_data
from .training import (
    TrainingConfig,
    consistency_factor,
    encode_dataset,
    learning_rate_factor,
    make_optimizers,
    resolve_device,
    resolve_precision,
    set_learning_rates,
    train_epoch,
)


class BaseAAE(ClassNamePrefixFeaturesOutMixin, TransformerMixin, BaseEstimator):
    """Base class of the ssaae estimators; not for direct use.

    Subclasses store their hyper-parameters, validate ``X`` and ``y``, and call
    :meth:`_fit_networks`; a parameter named as a field of :class:`~ssaae.training.TrainingConfig`
    sets that field, the fields a subclass lacks keep their defaults. ``_categories`` names the
    categorical code's values (classes or cluster ids), ``_learns_from_unlabeled_rows = False``
    keeps only the semi-supervised phase.
    """

    _learns_from_unlabeled_rows = True

    def _fit_networks(self, X, n_categories, X_labeled=None, labels=None):
        """Build the networks for ``X`` (float32, validated) and train them for ``max_iter``
        epochs; ``labels`` is the category index of each row of ``X_labeled`` (None: no
        semi-supervised phase)."""
        params = self.get_params(deep=False)
        training = TrainingConfig(**{field.name: params[field.name] for field in fields(TrainingConfig)
                                     if field.name in params})
        if not (isinstance(self.learning_rate_decay, Real) and 0 <= self.learning_rate_decay <= 1):
            raise ValueError(f"learning_rate_decay must be in [0, 1], got {self.learning_rate_decay!r}")
        rampup = training.consistency_rampup
        if not (isinstance(rampup, Integral) and not isinstance(rampup, bool) and rampup >= 0):
            raise ValueError(f"consistency_rampup must be an int >= 0, got {rampup!r}")
        if training.consistency_ramp not in ("linear", "sigmoid"):
            raise ValueError(f"consistency_ramp must be 'linear' or 'sigmoid', got {training.consistency_ramp!r}")
        if self.batch_norm and min(len(X), training.batch_size, training.labeled_batch_size) < 2:
            raise ValueError(f"batch_norm needs minibatches of 2 rows or more, got n_samples = {len(X)}, "
                             f"batch_size = {training.batch_size}, labeled_batch_size = {training.labeled_batch_size}")
        binary = self._binary_features(X)
        self.feature_mean_ = np.zeros(X.shape[1], np.float32) if binary else X.mean(0)
        self.feature_scale_ = np.ones(X.shape[1], np.float32) if binary else _nonzero(X.std(0))

        seed = check_random_state(self.random_state).randint(2**31)
        self.device_ = resolve_device(self.device)
        config = AAEConfig(X.shape[1], n_categories, self.style_dim,
                           _layer_sizes("hidden_layer_sizes", self.hidden_layer_sizes),
                           _layer_sizes("discriminator_layer_sizes", self.discriminator_layer_sizes), binary,
                           bool(self.batch_norm))
        with torch.random.fork_rng(devices=[]):  # seeded weights, the user's global RNG untouched
            torch.manual_seed(seed)
            self.model_ = AdversarialAutoencoder(config).to(self.device_)
        training = replace(training, precision=resolve_precision(self.precision, self.device_))
        optimizers = make_optimizers(self.model_, training)
        generator = torch.Generator(self.device_).manual_seed(seed)
        X_train = self._standardized(X).to(self.device_)
        if X_labeled is not None:
            X_labeled = self._standardized(X_labeled).to(self.device_)
            labels = torch.as_tensor(labels, device=self.device_)

        self.history_ = []
        epochs = tqdm(range(self.max_iter), desc="epochs", disable=not self.verbose)
        for epoch in epochs:
            set_learning_rates(optimizers, learning_rate_factor(epoch, self.max_iter, self.learning_rate_drops,
                                                                self.learning_rate_decay))
            rise = consistency_factor(epoch, training.consistency_rampup, training.consistency_ramp)
            weight = training.consistency_weight * rise
            losses = train_epoch(self.model_, optimizers, X_train, X_labeled, labels,
                                 replace(training, consistency_weight=weight), generator,
                                 unlabeled=self._learns_from_unlabeled_rows)
            self.history_.append(losses)
            epochs.set_postfix({name: f"{value:.3g}" for name, value in losses.items()})
        self.n_iter_ = self.max_iter

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

    def _probabilities(self, X):
        """q(y|x): probabilities of the categorical code, one column per category."""
        return self._encode(X)[0].numpy()

    @property
    def _n_features_out(self):
        return self.style_dim

    def transform(self, X):
        """Style codes z of each row: the continuous part of the latent code.

        Returns
        -------
        ndarray of shape (n_samples, style_dim)
        """
        return self._encode(X)[1].numpy()

    @torch.no_grad()
    def reconstruct(self, X):
        """Decode each row's own code: the most probable category, one-hot, and its style.

        Returns
        -------
        ndarray of shape (n_samples, n_features)
        """
        probabilities, style = self._encode(X)
        return self._decode(probabilities.argmax(1).numpy(), style)

    @torch.no_grad()
    def sample(self, n_samples=1, y=None):
        """Decode draws of the priors: a category (uniform, or the given ``y``) and a N(0, I) style.

        Returns
        -------
        X : ndarray of shape (n_samples, n_features)
        y : ndarray of shape (n_samples,)
            The category of each sample.
        """
        check_is_fitted(self)
        categories = self._categories
        rng = check_random_state(self.random_state)
        if y is None:
            index = rng.randint(len(categories), size=n_samples)
        else:
            y = np.broadcast_to(np.asarray(y, dtype=categories.dtype), (n_samples,))
            index = np.searchsorted(categories, y).clip(max=len(categories) - 1)
            unknown = categories[index] != y
            if unknown.any():
                raise ValueError(f"y holds values that are not categories of the model: {sorted(set(y[unknown]))}")
        style = torch.from_numpy(rng.standard_normal((n_samples, self.style_dim)).astype(np.float32))
        return self._decode(index, style), categories[index]

    def _decode(self, index, style):
        self.model_.eval()
        one_hot = torch.from_numpy(np.eye(self.model_.config.n_classes, dtype=np.float32)[index])
        output = self.model_.decode(one_hot.to(self.device_), style.to(self.device_)).cpu()
        if self.model_.config.binary_features:
            output = output.sigmoid()
        return output.numpy() * self.feature_scale_ + self.feature_mean_

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
