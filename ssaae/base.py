"""What the semi-supervised classifier and the clusterer share: their parameters (each with its
constraint and its documentation, declared once in :data:`PARAMETERS`) and the networks' life
cycle in a scikit-learn estimator (feature scaling, seeding, training, encoding, decoding,
pickling)."""

import copy
import inspect
import math
import mmap
import os
import textwrap
from dataclasses import dataclass
from numbers import Integral, Real

import numpy as np
import torch
from sklearn.base import BaseEstimator, ClassNamePrefixFeaturesOutMixin, TransformerMixin
from sklearn.utils import check_random_state
from sklearn.utils.validation import check_is_fitted, validate_data
from torch import distributed
from tqdm.auto import tqdm

from .checkpoints import data_digest, load_checkpoint, save_checkpoint
from .networks import AAEConfig, AdversarialAutoencoder, model_from_data, model_to_data
from .training import (
    TrainingConfig,
    available_memory,
    encode_dataset,
    make_optimizers,
    resolve_device,
    resolve_precision,
    train,
    typicality,
    world_size,
)


@dataclass(frozen=True)
class Parameter:
    """A hyper-parameter: what values it takes (``accepts``, described by ``expected``), its type
    and its meaning as the docstrings show them."""

    accepts: object  # callable: value -> bool
    expected: str
    kind: str
    doc: str


def _integer(low):
    return lambda value: isinstance(value, Integral) and not isinstance(value, bool) and value >= low


def _real(low, high=math.inf, low_open=False):
    def accepts(value):
        if not isinstance(value, Real) or isinstance(value, bool) or not math.isfinite(value):
            return False
        return (low < value if low_open else low <= value) and value <= high
    return accepts


def _one_of(*options):
    return lambda value: isinstance(value, str) and value in options


def _sizes(allow_empty):
    def accepts(value):
        return (isinstance(value, tuple | list) and (allow_empty or len(value) > 0)
                and all(_integer(0 if allow_empty else 1)(n) for n in value))
    return accepts


def _or(words, accepts):
    """Accepts one of the words (a space-separated string) or what ``accepts`` accepts."""
    return lambda value: value in words.split() if isinstance(value, str) else accepts(value)


def _boolean(value):
    return isinstance(value, bool | np.bool_)


def _random_state(value):
    return value is None or isinstance(value, np.random.RandomState) or (_integer(0)(value) and value < 2**32)


_LEARNING_RATE = (_real(0, low_open=True), "a float > 0", "float")

PARAMETERS = {
    "n_clusters": Parameter(_integer(1), "an int >= 1", "int", "Number of clusters."),
    "overclustering": Parameter(_or("auto", _integer(1)), "'auto' or an int >= 1", '"auto" or int', """\
Categories of the categorical code per cluster. The networks learn ``overclustering *
n_clusters`` categories, each purer than a cluster could be, and after training the categories
whose rows' q(y|x) overlap most join into ``n_clusters`` clusters (average-linkage agglomerative
clustering of the cosine similarity of the categories' columns of q(y|x) over the training rows):
the categories of one cluster hold one kind of row in several styles. 1 is the paper's AAE, a
category per cluster. ``"auto"`` is 3 for up to 16 clusters and 1 for more, as chosen on the
validation splits of MNIST and Fashion-MNIST."""),
    "hidden_layer_sizes": Parameter(_sizes(False), "a non-empty tuple of ints >= 1", "tuple of int",
                                    "Hidden ReLU layers of the encoder (mirrored in the decoder)."),
    "discriminator_layer_sizes": Parameter(_sizes(False), "a non-empty tuple of ints >= 1", "tuple of int",
                                           "Hidden ReLU layers of each discriminator."),
    "style_dim": Parameter(_integer(1), "an int >= 1", "int", "Size of the continuous style code z."),
    "transform_code": Parameter(_one_of("style", "full"), "'style' or 'full'", '{"style", "full"}', """\
What ``transform`` returns: the style code z, or the full code, the class (or cluster)
probabilities q(y|x) followed by z, for a reduction of the features that keeps the class."""),
    "reconstruction_loss": Parameter(_one_of("auto", "bce", "mse"), "'auto', 'bce' or 'mse'",
                                     '{"auto", "bce", "mse"}', """\
Binary cross-entropy suits features in [0, 1] (images); squared error on standardized features
suits any real values. ``"auto"`` picks bce when every feature is in [0, 1]."""),
    "input_noise": Parameter(_real(0), "a float >= 0", "float",
                             "Standard deviation of the Gaussian noise added to the encoder's input in training."),
    "batch_norm": Parameter(_boolean, "True or False", "bool",
                            "Batch normalization before each ReLU of the encoder. Not in the paper."),
    "consistency_weight": Parameter(_real(0), "a float >= 0", "float", """\
Weight of a consistency term in the reconstruction phase (or in a phase of its own, see
``consistency_lr``): q(y|x) should not change under the input change of length
``consistency_radius`` it is most sensitive to (virtual adversarial training, Miyato et al.
2018). Not in the paper; 0 turns it off."""),
    "consistency_radius": Parameter(_or("auto neighbors", _real(0)), "a float >= 0, 'auto' or 'neighbors'",
                                    'float, "auto" or "neighbors"', """\
Length of that input change, in the units of the (standardized) features. ``"auto"`` is 0.38
times the median distance of a row to its 10th nearest training row (about 2.0 on MNIST's
pixels), found once before the first epoch (:func:`~ssaae.training.typical_radius`). ``"neighbors"`` gives
each training row its own: a quarter of its distance to its 10th nearest training row (IMSAT,
Hu et al. 2017), found once before the first epoch, small where the rows are dense."""),
    "consistency_rampup": Parameter(_integer(0), "an int >= 0", "int", """\
Epochs over which the consistency weight rises to ``consistency_weight``; 0 applies it in full
from the start."""),
    "consistency_ramp": Parameter(_one_of("linear", "sigmoid"), "'linear' or 'sigmoid'", '{"linear", "sigmoid"}', """\
Shape of that rise (:func:`~ssaae.training.consistency_factor`): ``"linear"``, or ``"sigmoid"``,
the ``exp(-5 (1 - t)^2)`` of temporal ensembling, far lower in the first epochs."""),
    "balance_weight": Parameter(_real(0), "a float >= 0", "float", """\
Weight of a term that keeps every category in use: log K minus the entropy of a minibatch's mean
q(y|x). The discriminators judge one code at a time and cannot see a few categories taking all
rows. Not in the paper; 0 turns it off."""),
    "mutual_information_weight": Parameter(_real(0), "a float >= 0", "float", """\
Weight of IMSAT's (Hu et al. 2017) mutual information term in the reconstruction phase (or in
the phase of ``consistency_lr``): the mean entropy of q(y|x) over a minibatch plus 4 times the balance term's log K minus the entropy
of its mean (:func:`~ssaae.training.mutual_information_loss`), so that each row is sure of its
category and every category is used. Not in the paper; 0 turns it off."""),
    "consistency_probe": Parameter(_real(0, low_open=True), "a float > 0", "float", """\
Length of the random input change from which the consistency term's power iteration finds the
most sensitive direction. A short one (1e-6) finds the direction at the row itself; a long one
(IMSAT's 10 on pixels in [-1, 1] is 5 on pixels in [0, 1]) the one that moves q(y|x) most at
that distance."""),
    "consistency_lr": Parameter(lambda value: value is None or _LEARNING_RATE[0](value), "None or a float > 0",
                                "float or None", """\
None adds the consistency and mutual information terms to the reconstruction phase's loss, where
the decoder's gradient shapes q(y|x) too. A learning rate gives them a phase of their own after
the regularization phase, on the clean rows, with its own optimizer over the encoder and class
head: IMSAT's objective (Hu et al. 2017) trained beside the autoencoder, not mixed into it."""),
    "consistency_warmup": Parameter(lambda value: _integer(0)(value) or (isinstance(value, float) and 0 <= value < 1),
                                    "an int >= 0 or a float in [0, 1)", "int or float", """\
Epochs at the start, counted in ``max_iter``, that train the phase of ``consistency_lr`` alone, as
a number or (a float) as a share of ``max_iter`` rounded down: IMSAT's objective, which needs many
steps to settle the clusters, at about a third of an AAE epoch's time each; the autoencoder's
phases join after them and keep the clusters. 0 runs every phase from the start."""),
    "class_head_init_scale": Parameter(_real(0), "a float >= 0", "float", """\
Factor on the initial weights and bias of the class head, the encoder's last layer before
q(y|x) (PyTorch's default initialization at 1). Near 0, as in IMSAT, the first predictions are
near uniform and no category wins by the luck of the initialization."""),
    "reconstruction_lr": Parameter(*_LEARNING_RATE, "Learning rate of the reconstruction phase."),
    "regularization_lr": Parameter(*_LEARNING_RATE,
                                   "Learning rate of the adversarial phase, discriminators and encoder alike."),
    "semi_supervised_lr": Parameter(*_LEARNING_RATE, "Learning rate of the semi-supervised phase."),
    "optimizer": Parameter(_one_of("adam", "sgd"), "'adam' or 'sgd'", '{"adam", "sgd"}', """\
``"sgd"`` is the paper's: momentum 0.9 for reconstruction and classification, 0.1 for the
adversarial steps (Adam's first beta is 0.9 and 0.5 likewise)."""),
    "learning_rate_drops": Parameter(_sizes(True), "a tuple of ints >= 0", "tuple of int",
                                     "Epochs at which every learning rate is divided by 10; the paper used (50, 1000)."),
    "learning_rate_decay": Parameter(_real(0, 1), "a float in [0, 1]", "float", """\
Fraction of the epochs, at the end, over which every learning rate falls linearly towards 0
(:func:`~ssaae.training.learning_rate_factor`). 0 keeps the rates constant."""),
    "batch_size": Parameter(_or("auto", _integer(1)), "'auto' or an int >= 1", '"auto" or int', """\
Rows per minibatch of the reconstruction and regularization phases. ``"auto"`` is
``n_samples // 20`` between 32 and 500 (and at most ``n_samples``): 500, where matrix products
run several times faster per row than at 100, unless that would leave fewer than 20 steps an
epoch; 32 at least, so that the discriminators and batch normalization see enough rows."""),
    "labeled_batch_size": Parameter(_or("auto", _integer(1)), "'auto' or an int >= 1", '"auto" or int', """\
Labeled rows, drawn with replacement, per semi-supervised step; ``"auto"`` is the size of the
unlabeled minibatches, so that labeled and unlabeled rows weigh alike."""),
    "max_iter": Parameter(_integer(1), "an int >= 1", "int", """\
Epochs: passes over all rows of X, or as many passes as make 20 minibatches where one makes fewer
(:func:`~ssaae.training.epoch_batches`)."""),
    "precision": Parameter(_one_of("auto", "bf16", "fp32"), "'auto', 'bf16' or 'fp32'", '{"auto", "bf16", "fp32"}', """\
Precision of the training forward passes. bf16 is faster where the hardware multiplies it (CPUs
with AMX or AVX512-BF16, recent GPUs) and many times slower where it is emulated; ``"auto"``
takes it only where the hardware has it. Prediction always runs in fp32."""),
    "device": Parameter(lambda value: isinstance(value, str), "a device name such as 'cpu' or 'cuda'", "str",
                        'Torch device; ``"auto"`` takes the accelerator (CUDA) when there is one, else the CPU.'),
    "random_state": Parameter(_random_state, "None, an int in [0, 2**32) or a RandomState",
                              "int, RandomState instance or None",
                              "Seeds weight initialization, noise, prior draws and minibatch order."),
    "early_stopping": Parameter(_boolean, "True or False", "bool", """\
Stop when the error on ``fit``'s ``validation_data`` has not improved for ``n_iter_no_change``
epochs, and keep the networks of the epoch that validated best."""),
    "n_iter_no_change": Parameter(_integer(1), "an int >= 1", "int",
                                  "Epochs without a better validation error that ``early_stopping`` waits."),
    "warm_start": Parameter(_boolean, "True or False", "bool", """\
Start ``fit`` from the networks and feature scaling of the last ``fit``, as ``MLPClassifier``
does: ``max_iter`` more epochs with fresh optimizers, ``history_`` continued. The data must have
as many features and categories."""),
    "checkpoint_path": Parameter(lambda value: value is None or isinstance(value, str | os.PathLike),
                                 "None or a file path", "str or None", """\
File that ``fit`` writes its whole training state to every ``checkpoint_every`` epochs and after
the last (atomically: a kill leaves the last one whole), and resumes from if it exists: a killed
``fit`` called again continues where the checkpoint ends, with the same result. A checkpoint of
other parameters, data or device type is refused, naming what differs."""),
    "checkpoint_every": Parameter(_integer(1), "an int >= 1", "int", "Epochs between checkpoints."),
    "verbose": Parameter(_boolean, "True or False", "bool", "Show a progress bar over epochs with each phase's loss."),
}

# Parameters that change how a run is watched or saved, not what it computes: a checkpoint
# written under other values of these is resumed.
_NOT_TRAINING = ("checkpoint_path", "checkpoint_every", "verbose", "device", "warm_start")


SHARED_ATTRIBUTES = """\
    n_features_in_ : int
        Number of features seen during fit.
    history_ : list of dict
        Mean loss of each phase, one dict per epoch.
    n_iter_ : int
        Epochs run.
    best_iteration_ : int
        The epoch (counted from 1) whose networks the model keeps: the last one, or with
        ``early_stopping`` the one with the lowest validation error.
    model_ : AdversarialAutoencoder
        The trained networks."""


def document_parameters(cls):
    """Class decorator: replace ``{parameters}`` in the docstring of ``cls`` by the numpydoc entries
    of :data:`PARAMETERS` for the arguments of its ``__init__``, with their defaults there, and
    ``{shared_attributes}`` by :data:`SHARED_ATTRIBUTES`."""
    entries = []
    for name, argument in list(inspect.signature(cls.__init__).parameters.items())[1:]:
        parameter = PARAMETERS[name]
        default = f'"{argument.default}"' if isinstance(argument.default, str) else repr(argument.default)
        entries.append(f"    {name} : {parameter.kind}, default={default}\n"
                       + textwrap.indent(parameter.doc, " " * 8))
    cls.__doc__ = cls.__doc__.replace("    {parameters}", "\n".join(entries)).replace(
        "    {shared_attributes}", SHARED_ATTRIBUTES)
    return cls


class BaseAAE(ClassNamePrefixFeaturesOutMixin, TransformerMixin, BaseEstimator):
    """Base class of the ssaae estimators; not for direct use.

    Subclasses store their hyper-parameters with :meth:`_store`, start ``fit`` with
    :meth:`_validate_params`, validate ``X`` and ``y``, and call :meth:`_fit_networks`.
    ``_categories`` names the categorical code's values (classes or cluster ids),
    ``_unlabeled_phases`` is what the rows of ``X`` train (:func:`~ssaae.training.train_epoch`'s
    ``unlabeled``: the AAE's phases; the baselines change it), and :meth:`_training_fields` the
    training settings of a subclass's own phase.
    """

    _unlabeled_phases = "aae"

    def _store(self, arguments):
        """Keep ``__init__``'s arguments (its ``locals()``) as they are, as scikit-learn asks."""
        for name, value in arguments.items():
            if name not in ("self", "__class__"):
                setattr(self, name, value)

    def _validate_params(self):
        """A ValueError naming the first parameter whose value :data:`PARAMETERS` does not accept."""
        for name, value in self.get_params(deep=False).items():
            parameter = PARAMETERS[name]
            if not parameter.accepts(value):
                raise ValueError(f"{name} must be {parameter.expected}, got {value!r}")

    def _training_fields(self, n_samples):
        """The :class:`~ssaae.training.TrainingConfig` fields of a subclass's own phases."""
        return {}

    def _configs(self, n_samples, n_features, n_categories, binary, device):
        """The networks' and the training's configurations for these parameters and data."""
        config = AAEConfig(n_features, n_categories, self.style_dim, tuple(self.hidden_layer_sizes),
                           tuple(self.discriminator_layer_sizes), binary, bool(self.batch_norm))
        training = TrainingConfig(
            epochs=self.max_iter, batch_size=self._batch_size(n_samples), reconstruction_lr=self.reconstruction_lr,
            regularization_lr=self.regularization_lr, input_noise=self.input_noise,
            precision=resolve_precision(self.precision, device), optimizer=self.optimizer,
            consistency_weight=self.consistency_weight, consistency_radius=self.consistency_radius,
            consistency_rampup=self.consistency_rampup, consistency_ramp=self.consistency_ramp,
            balance_weight=self.balance_weight, mutual_information_weight=self.mutual_information_weight,
            consistency_probe=self.consistency_probe, consistency_lr=self.consistency_lr,
            learning_rate_drops=tuple(self.learning_rate_drops),
            learning_rate_decay=self.learning_rate_decay, **self._training_fields(n_samples),
        )
        return config, training

    def _batch_size(self, n_samples):
        """``batch_size``, with ``"auto"`` resolved for ``n_samples`` rows."""
        return min(500, n_samples, max(32, n_samples // 20)) if self.batch_size == "auto" else self.batch_size

    def _fit_networks(self, X, n_categories, X_labeled=None, labels=None, validation_data=None, patience=None):
        """Build the networks for ``X`` (float32, validated; possibly memory-mapped) and train
        them; ``labels`` is the category index of each row of ``X_labeled`` (None: no
        semi-supervised phase), ``validation_data`` an ``(X, y)`` pair scored after every epoch by
        ``_validation_error``, ``patience`` the epochs without a better score after which training
        stops, keeping the best epoch's networks (None: no early stopping). With ``warm_start``,
        training starts from the fitted networks; with ``checkpoint_path``, from its checkpoint."""
        binary = self._binary_features(X)
        device = _join_processes(resolve_device(self.device))
        world, rank = world_size(), distributed.get_rank() if world_size() > 1 else 0
        config, training = self._configs(*X.shape, n_categories, binary, device)
        smallest = min(len(X), training.batch_size, *([training.labeled_batch_size] if labels is not None else []))
        if self.batch_norm and smallest < 2:
            raise ValueError(f"batch_norm needs minibatches of 2 rows or more, got n_samples = {len(X)}, "
                             f"batch_size = {training.batch_size}"
                             + (f", labeled_batch_size = {training.labeled_batch_size}" if labels is not None else ""))
        mapped = _memory_mapped(X)
        warm = self.warm_start and hasattr(self, "model_")
        if warm and self.model_.config != config:
            raise ValueError(f"warm_start needs networks of the fitted shape: {self.model_.config} fitted, "
                             f"{config} for these parameters and data")
        identity = self._run_identity(device, X, X_labeled, labels, validation_data)
        checkpoint = load_checkpoint(self.checkpoint_path, identity) if self.checkpoint_path else None
        seed = check_random_state(self.random_state).randint(2**31)
        if warm:
            model = self.model_.to(device)
        else:
            model = _new_networks(config, device, seed, self.class_head_init_scale)
            self.feature_mean_, self.feature_scale_ = (np.zeros(X.shape[1], np.float32), np.ones(X.shape[1], np.float32)) \
                if binary else _mean_and_scale(X)
        self.device_, self.model_ = device, model
        run = {"optimizers": make_optimizers(model, training), "history": [], "finished": False,
               "generator": torch.Generator(device).manual_seed(seed + rank),  # each process its own stream
               "best": {"error": math.inf, "epoch": 0, "state": None}}
        if checkpoint is not None:
            self._resume(checkpoint, run, rank, seed)
        history, best = run["history"], run["best"]
        if X_labeled is not None:
            X_labeled = self._standardized(X_labeled).to(device)
            labels = torch.as_tensor(labels, device=device)
        with tqdm(total=self.max_iter, initial=len(history), desc="epochs", disable=not self.verbose) as bar:
            def after_epoch(epoch, record):
                if validation_data is not None:
                    record["validation_error"] = self._validation_error(*validation_data)
                    if record["validation_error"] < best["error"]:
                        best.update(error=record["validation_error"], epoch=epoch,
                                    state=copy.deepcopy(model.state_dict()) if patience else None)
                bar.set_postfix({name: f"{value:.3g}" for name, value in record.items()}, refresh=False)
                bar.update()
                run["finished"] = (patience is not None and epoch - best["epoch"] >= patience) or epoch + 1 == self.max_iter
                if self.checkpoint_path and (run["finished"] or (epoch + 1) % self.checkpoint_every == 0):
                    self._save_checkpoint(identity, run, rank, world)
                return run["finished"]

            if world > 1:  # the same networks everywhere; each process its share of the rows
                for tensor in model.state_dict().values():
                    distributed.broadcast(tensor, 0)
                X = X[rank:world * (len(X) // world):world]
            if not run["finished"]:
                rows = _MappedRows(X, self, device) if mapped else self._standardized(X).to(device)
                train(model, rows, training, run["generator"], X_labeled, labels, unlabeled=self._unlabeled_phases,
                      callback=after_epoch, optimizers=run["optimizers"], history=history)
        self.history_ = [*self.history_, *history] if warm else history
        self.n_iter_ = len(self.history_)
        self.best_iteration_ = self.n_iter_
        if patience is not None:
            model.load_state_dict(best["state"])
            self.best_iteration_ = self.n_iter_ - len(history) + best["epoch"] + 1

    def _run_identity(self, device, X, X_labeled, labels, validation_data):
        """What a checkpoint must have been written by to be resumed: this estimator, its training
        parameters, the device type and (with a ``checkpoint_path``) a digest of the data."""
        return {"estimator": type(self).__name__, "device": device.type,
                "parameters": {name: repr(value) for name, value in self.get_params().items()
                               if name not in _NOT_TRAINING},
                "data": data_digest(X, X_labeled, labels, *(validation_data or ())) if self.checkpoint_path else None}

    def _save_checkpoint(self, identity, run, rank, world):
        """Write the run's state to ``checkpoint_path`` (the first process writes, every process's
        random state in it)."""
        states = [run["generator"].get_state()] * world
        if world > 1:
            distributed.all_gather_object(states, run["generator"].get_state())
        if rank == 0:
            save_checkpoint(self.checkpoint_path, identity, {
                "epoch": len(run["history"]), "finished": run["finished"], "model": self.model_.state_dict(),
                "optimizers": {name: optimizer.state_dict() for name, optimizer in run["optimizers"].items()},
                "generators": states, "history": run["history"], "best": run["best"],
                "feature_mean_": torch.from_numpy(self.feature_mean_),
                "feature_scale_": torch.from_numpy(self.feature_scale_)})

    def _resume(self, checkpoint, run, rank, seed):
        """Load a checkpoint into the networks and ``run``; a process beyond those that wrote it
        draws a random stream of its own."""
        self.model_.load_state_dict(checkpoint["model"])
        for name, optimizer in run["optimizers"].items():
            optimizer.load_state_dict(checkpoint["optimizers"][name])
        states = checkpoint["generators"]
        if rank < len(states):
            run["generator"].set_state(states[rank])
        else:
            run["generator"].manual_seed(seed + rank + 7919)
        run.update(history=checkpoint["history"], best=checkpoint["best"], finished=checkpoint["finished"])
        self.feature_mean_ = checkpoint["feature_mean_"].numpy()
        self.feature_scale_ = checkpoint["feature_scale_"].numpy()

    def _binary_features(self, X):
        in_unit_range = X.min() >= 0 and X.max() <= 1
        if self.reconstruction_loss == "bce" and not in_unit_range:
            raise ValueError("reconstruction_loss='bce' needs every feature in [0, 1]")
        return bool(self.reconstruction_loss == "bce" or (self.reconstruction_loss == "auto" and in_unit_range))

    def _standardized(self, X):
        return torch.from_numpy((X - self.feature_mean_) / self.feature_scale_)

    def _batches(self, X, rows=4096):
        """The rows of ``X``, standardized ``rows`` at a time (a memory-mapped ``X`` is never copied whole)."""
        return (self._standardized(X[start:start + rows]) for start in range(0, len(X), rows))

    def _encode(self, X):
        check_is_fitted(self)
        X = validate_data(self, X, dtype=np.float32, reset=False)
        return encode_dataset(self.model_, self._batches(X))

    def _probabilities(self, X):
        """q(y|x): probabilities of the categorical code, one column per class or cluster."""
        return self._merged(self._encode(X)[0]).numpy()

    def _merged(self, probabilities):
        """The categorical code's probabilities summed over each class's or cluster's categories."""
        return probabilities

    def _network_categories(self, index, rng):
        """A category of the categorical code for each class or cluster of ``_categories[index]``."""
        return index

    @property
    def _n_features_out(self):
        return self.style_dim + (len(self._categories) if self.transform_code == "full" else 0)

    def transform(self, X):
        """Style codes z of each row, the continuous part of the latent code; with
        ``transform_code="full"``, the class (or cluster) probabilities first, then z.

        Returns
        -------
        ndarray of shape (n_samples, style_dim), or (n_samples, n_categories + style_dim)
        """
        probabilities, style = self._encode(X)
        return (torch.cat([self._merged(probabilities), style], dim=1) if self.transform_code == "full"
                else style).numpy()

    def score_samples(self, X):
        """How typical each row is of the training rows, higher for more typical ones, as in
        scikit-learn's ``IsolationForest``: an anomaly score from what training keeps small, minus
        the sum of the row's reconstruction error from its own code (binary cross-entropy less
        the row's own entropy, or squared error of the standardized features, summed) and
        ``-log max q(y|x)``. The reconstruction usually dominates. For a model fitted for anomaly
        scores alone, ``consistency_weight=0`` is worth a try: the consistency term teaches the
        encoder to overlook small changes of a row.

        Returns
        -------
        ndarray of shape (n_samples,)
        """
        check_is_fitted(self)
        X = validate_data(self, X, dtype=np.float32, reset=False)
        return typicality(self.model_, self._batches(X)).numpy()

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
    def sample(self, n_samples=1, y=None, style=None):
        """Decode draws of the priors: a category (uniform, or the given ``y``) and a style (drawn
        from N(0, I) with ``random_state``, or the given ``style``).

        Parameters
        ----------
        n_samples : int, default=1
        y : category or array-like of shape (n_samples,), optional
        style : array-like of shape (n_samples, style_dim), optional

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
        if style is None:
            style = rng.standard_normal((n_samples, self.style_dim))
        style = np.asarray(style, dtype=np.float32)
        if style.shape != (n_samples, self.style_dim):
            raise ValueError(f"style must have shape ({n_samples}, {self.style_dim}), got {style.shape}")
        return self._decode(self._network_categories(index, rng), torch.from_numpy(style)), categories[index]

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


def _check_fits_in_memory(config, device):
    """A ValueError, before any allocation, for networks whose training state (weights, gradients
    and two Adam moments, 4 bytes each) would not fit in the device's free memory."""
    with torch.device("meta"):  # shapes only: nothing allocated
        n_parameters = sum(p.numel() for p in AdversarialAutoencoder(config).parameters())
    needed, free = 16 * n_parameters, available_memory(device)
    if free is not None and needed > free:
        raise ValueError(f"the networks have {n_parameters:,} parameters and need about {needed / 2**30:.1f} GiB "
                         f"to train, more than the {free / 2**30:.1f} GiB free on {device}; choose smaller "
                         "hidden_layer_sizes or discriminator_layer_sizes")


class _MappedRows:
    """The rows of a memory-mapped array as training reads them: a minibatch at a time, standardized
    by ``estimator``'s feature scaling and moved to ``device``, so that the array is never copied whole."""

    def __init__(self, X, estimator, device):
        self.X, self.estimator, self.device = X, estimator, device

    def __len__(self):
        return len(self.X)

    def __getitem__(self, index):
        return self.estimator._standardized(self.X[index.cpu().numpy()]).to(self.device)


def _new_networks(config, device, seed, class_head_init_scale):
    """Networks of ``config`` initialized from ``seed``, the class head scaled; the user's global RNG untouched."""
    with torch.random.fork_rng(devices=[]):
        _check_fits_in_memory(config, device)
        torch.manual_seed(seed)
        model = AdversarialAutoencoder(config).to(device)
        with torch.no_grad():
            for parameter in model.class_head.parameters():
                parameter.mul_(class_head_init_scale)
    return model


def _join_processes(device):
    """The device of this process, joining the process group of the processes that ``torchrun``
    started (``WORLD_SIZE`` > 1) if none is running: gloo on the CPU, NCCL on CUDA, one GPU per
    process (``LOCAL_RANK``)."""
    several = int(os.environ.get("WORLD_SIZE", "1")) > 1
    if several and device.type == "cuda":
        device = torch.device("cuda", int(os.environ.get("LOCAL_RANK", "0")))
        torch.cuda.set_device(device)
    if several and not distributed.is_initialized():
        distributed.init_process_group("nccl" if device.type == "cuda" else "gloo")
    return device


def _memory_mapped(X):
    """Whether ``X`` views a memory-mapped file (``np.load(..., mmap_mode="r")``, ``np.memmap``)."""
    while X is not None:
        if isinstance(X, np.memmap | mmap.mmap):
            return True
        X = getattr(X, "base", None)
    return False


def _mean_and_scale(X, rows=65536):
    """Each feature's mean and standard deviation (1 where it is 0), ``rows`` rows at a time in
    float64, so that a memory-mapped ``X`` is never copied whole."""
    chunks = [X[start:start + rows] for start in range(0, len(X), rows)]
    mean = sum(chunk.sum(0, dtype=np.float64) for chunk in chunks) / len(X)
    variance = sum(np.square(chunk - mean).sum(0) for chunk in chunks) / len(X)
    return mean.astype(np.float32), _nonzero(np.sqrt(variance))


def _nonzero(scale):
    """Constant features keep scale 1 so that standardizing them does not divide by zero."""
    return np.where(scale > 0, scale, 1).astype(np.float32)
