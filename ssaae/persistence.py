"""Save fitted ssaae estimators as plain data and load them back, so a model file cannot run code.

A model file is written by ``torch.save`` and holds only dicts, lists, tuples, strings, numbers and
tensors, which ``torch.load(path, weights_only=True)`` reads without importing any class::

    {"format": "ssaae-model", "version": 1, "estimator": "SemiSupervisedAAEClassifier",
     "state": estimator.__getstate__()}

In the state, numpy scalars become Python numbers and each numpy array becomes a dict
``{"ssaae.ndarray": dtype, "data": tensor}``, or, for strings and objects,
``{"ssaae.ndarray": dtype, "shape": shape, "data": list}``.
"""

from pathlib import Path

import numpy as np
import torch

from .classifier import SemiSupervisedAAEClassifier
from .clustering import AAEClustering
from .files import atomic_write

FORMAT = "ssaae-model"
VERSION = 1
ESTIMATORS = {
    "SemiSupervisedAAEClassifier": SemiSupervisedAAEClassifier,
    "AAEClustering": AAEClustering,
}
# What a fitted estimator's state holds besides its parameters, and of which type.
FITTED = {"model_": dict, "feature_mean_": np.ndarray, "feature_scale_": np.ndarray, "n_features_in_": int,
          "history_": list, "n_iter_": int, "best_iteration_": int}
FITTED_BY_ESTIMATOR = {
    "SemiSupervisedAAEClassifier": {"classes_": np.ndarray, "transduction_": np.ndarray,
                                    "label_distributions_": np.ndarray},
    "AAEClustering": {"labels_": np.ndarray, "offset_": float, "category_clusters_": np.ndarray},
}
ARRAY = "ssaae.ndarray"  # the key that marks a dict standing for a numpy array
_PLAIN_TYPES = (str, bytes, bool, int, float, complex, type(None), torch.Tensor)


def save_model(estimator, path):
    """Write an ssaae estimator to ``path`` as plain data.

    Parameters
    ----------
    estimator : SemiSupervisedAAEClassifier or AAEClustering
        Usually fitted; an unfitted one loads back unfitted.
    path : str or Path

    The file is written beside ``path`` first and renamed over it once complete, so a kill or a
    full disk during the save leaves any earlier file at ``path`` whole.

    Raises
    ------
    FileNotFoundError
        If the folder of ``path`` does not exist.
    ValueError
        If ``estimator`` is not an ssaae estimator, or holds something other than plain data,
        such as a ``RandomState`` instance as ``random_state``.

    Examples
    --------
    >>> import tempfile
    >>> from sklearn.datasets import load_digits
    >>> X, y = load_digits(return_X_y=True)
    >>> model = SemiSupervisedAAEClassifier(hidden_layer_sizes=(16,), discriminator_layer_sizes=(16,),
    ...                                     max_iter=1, random_state=0).fit(X[:200] / 16, y[:200])
    >>> with tempfile.TemporaryDirectory() as folder:
    ...     save_model(model, f"{folder}/digits.pt")
    ...     loaded = load_model(f"{folder}/digits.pt")
    >>> bool((loaded.predict_proba(X / 16) == model.predict_proba(X / 16)).all())
    True
    """
    name = type(estimator).__name__
    if ESTIMATORS.get(name) is not type(estimator):
        raise ValueError(f"cannot save a {name}: only ssaae estimators ({', '.join(ESTIMATORS)}) are saved")
    if not Path(path).parent.is_dir():  # torch.save would raise a RuntimeError
        raise FileNotFoundError(f"no folder {Path(path).parent} to save {path} in")
    state = {key: _as_plain_data(value, key) for key, value in estimator.__getstate__().items()}
    with atomic_write(path, "wb") as file:
        torch.save({"format": FORMAT, "version": VERSION, "estimator": name, "state": state}, file)


def load_model(path):
    """Read an estimator written by :func:`save_model`; the file is read as data and runs no code.

    Parameters
    ----------
    path : str or Path

    Returns
    -------
    SemiSupervisedAAEClassifier or AAEClustering
        On the CPU, unless its ``device`` parameter names another one.

    Raises
    ------
    FileNotFoundError
        If there is no file at ``path``.
    ValueError
        If the file is not an ssaae model file, is cut short or damaged, or lacks a field or holds
        one of the wrong type (the message names it).
    """
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"no model file at {path}")
    try:
        content = torch.load(path, weights_only=True, map_location="cpu")
    except PermissionError:
        raise  # unreadable, not foreign: keep the system's reason, which names the file
    except Exception as error:  # pickle, zip and torch each fail their own way on a foreign or cut file
        raise ValueError(f"{path} is not an ssaae model file, or is cut short: it does not load as plain data") \
            from error
    if not isinstance(content, dict) or content.get("format") != FORMAT:
        raise ValueError(f"{path} is not an ssaae model file")
    if content.get("version") != VERSION:
        raise ValueError(f"{path} has model format version {content.get('version')!r}; "
                         f"this ssaae reads version {VERSION}")
    estimator_class = ESTIMATORS.get(content.get("estimator"))
    if estimator_class is None:
        raise ValueError(f"{path} holds an unknown estimator {content.get('estimator')!r}; "
                         f"known: {', '.join(ESTIMATORS)}")
    state = _from_plain_data(content.get("state"))
    damage = _damage(state, estimator_class)
    if damage:
        raise ValueError(f"{path} is a damaged ssaae model file: {damage}")
    estimator = estimator_class.__new__(estimator_class)
    try:
        estimator.__setstate__(state)
        estimator._validate_params()
    except (KeyError, TypeError, ValueError, RuntimeError) as error:  # the right tags around the wrong content
        raise ValueError(f"{path} is a damaged ssaae model file: {' '.join(str(error).split())[:200]}") from error
    return estimator


def _damage(state, estimator_class):
    """What a model file's state lacks or holds of the wrong type, in words; '' if nothing."""
    if not isinstance(state, dict):
        return "it has no state"
    fields = dict.fromkeys(estimator_class._get_param_names(), object)
    if "model_" in state:
        fields |= FITTED | FITTED_BY_ESTIMATOR[estimator_class.__name__]
    for name, kind in fields.items():
        if name not in state:
            return f"it lacks {name}"
        if not isinstance(state[name], kind):
            return f"its {name} is a {type(state[name]).__name__}, not a {kind.__name__}"
    return ""


def _as_plain_data(value, name):
    """``value`` with numpy arrays and scalars replaced by what ``weights_only`` loading accepts."""
    if isinstance(value, np.ndarray):
        if value.dtype.kind in "biufc":
            return {ARRAY: value.dtype.str, "data": torch.from_numpy(np.ascontiguousarray(value))}
        if value.dtype.kind in "OSU":
            return {ARRAY: value.dtype.str, "shape": value.shape,
                    "data": [_as_plain_data(item, name) for item in value.ravel().tolist()]}
    if isinstance(value, np.generic):  # before the plain types: np.float64 is a float, np.str_ a str
        return value.item()
    if isinstance(value, dict):
        return {key: _as_plain_data(item, name) for key, item in value.items()}
    if isinstance(value, list):
        return [_as_plain_data(item, name) for item in value]
    if isinstance(value, tuple):
        return tuple(_as_plain_data(item, name) for item in value)
    if isinstance(value, _PLAIN_TYPES):
        return value
    raise ValueError(f"cannot save {name}: a {type(value).__name__} is not plain data")


def _from_plain_data(value):
    """Undo :func:`_as_plain_data`."""
    if isinstance(value, dict):
        if ARRAY in value:
            data = value["data"]
            if isinstance(data, torch.Tensor):
                return data.numpy()
            return np.array(data, dtype=value[ARRAY]).reshape(value["shape"])
        return {key: _from_plain_data(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_from_plain_data(item) for item in value]
    if isinstance(value, tuple):
        return tuple(_from_plain_data(item) for item in value)
    return value
