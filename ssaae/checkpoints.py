"""Checkpoints of a training run: all that continuing it after a kill needs, written atomically as
plain data that ``torch.load(path, weights_only=True)`` reads without running code::

    {"format": "ssaae-checkpoint", "version": 1,
     "identity": {"estimator": ..., "parameters": {name: repr(value)}, "data": digest, "device": type},
     "epoch": epochs run, "model": state dict, "optimizers": {phase: state dict},
     "generator": torch generator state, "history": [...], "best": {...}, "feature_mean_": ..., ...}

A checkpoint is resumed only by a run whose identity is the same: the same estimator, training
parameters, data and device type.
"""

import hashlib
from pathlib import Path

import numpy as np
import torch

from .files import atomic_write

FORMAT = "ssaae-checkpoint"
VERSION = 1


def save_checkpoint(path, identity, state):
    """Write ``state`` (plain data and tensors) with its run's ``identity`` to ``path``: beside it
    first, then renamed over it, so that a kill leaves the last checkpoint whole."""
    with atomic_write(path, "wb") as file:
        torch.save({"format": FORMAT, "version": VERSION, "identity": identity, **state}, file)


def load_checkpoint(path, identity):
    """The state saved at ``path`` by a run of this ``identity``; None if there is no file.

    Raises
    ------
    ValueError
        If the file is not a checkpoint, or another run's: the message names what differs.
    """
    path = Path(path)
    if not path.is_file():
        return None
    try:
        content = torch.load(path, weights_only=True, map_location="cpu")
    except Exception as error:  # pickle, zip and torch each fail their own way on a foreign or cut file
        raise ValueError(f"{path} is not an ssaae checkpoint, or is cut short") from error
    if not isinstance(content, dict) or content.get("format") != FORMAT or content.get("version") != VERSION:
        raise ValueError(f"{path} is not an ssaae checkpoint of format version {VERSION}")
    differences = _differences(content.get("identity"), identity)
    if differences:
        raise ValueError(f"checkpoint {path} belongs to another run ({differences}); "
                         "rerun with what wrote it, or remove the file to start afresh")
    return content


def _differences(saved, current):
    if not isinstance(saved, dict):
        return "it names no run"
    saved_parameters, parameters = saved.get("parameters", {}), current["parameters"]
    words = [f"{name} {saved_parameters.get(name, 'unset')} there, {value} here"
             for name, value in parameters.items() if saved_parameters.get(name) != value]
    words += [f"other {key}: {saved.get(key)} there, {current[key]} here" if key != "data" else "other data"
              for key in ("estimator", "device", "data") if saved.get(key) != current[key]]
    return "; ".join(words)


def data_digest(*arrays, rows=65536):
    """A digest of the arrays' shapes, types and values (None stands for a missing array), read
    ``rows`` rows at a time so that a memory-mapped array is never copied whole.

    >>> a = np.zeros((3, 2), np.float32)
    >>> data_digest(a) == data_digest(a.copy()), data_digest(a) == data_digest(a + 1)
    (True, False)
    """
    digest = hashlib.blake2b(digest_size=16)
    for array in arrays:
        array = np.empty(0) if array is None else np.asarray(array)
        digest.update(f"{array.shape} {array.dtype.str};".encode())
        for start in range(0, len(array), rows):
            digest.update(np.ascontiguousarray(array[start:start + rows]).tobytes())
    return digest.hexdigest()
