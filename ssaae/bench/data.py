"""The data a benchmark runs on: a data set by name, or a user's table split for scoring."""

from pathlib import Path

import numpy as np
from sklearn.model_selection import train_test_split

from ..datasets import Dataset, load_dataset, load_table, unlabeled_mask


def dataset_name(name_or_path):
    """The name a benchmark gives its data: a data set's name, or a file's stem.

    Examples
    --------
    >>> dataset_name("mnist"), dataset_name("/home/me/cells.csv")
    ('mnist', 'cells')
    """
    path = Path(name_or_path)
    return path.stem if path.suffix else str(name_or_path)


def benchmark_dataset(name_or_path, data_dir=None, label_column="label"):
    """A data set by name (:func:`ssaae.datasets.load_dataset`), or the labeled rows of a ``.csv``
    or ``.npy`` file (:func:`ssaae.datasets.load_table`) split into train, validation and test parts.

    Parameters
    ----------
    name_or_path : str or Path
        A data set's name, or a file: a name with a suffix is a file.
    data_dir : str or Path, optional
        Passed to :func:`ssaae.datasets.load_dataset`.
    label_column : str, default="label"
        The label column of a CSV file.

    Returns
    -------
    Dataset
        For a file: named after its stem, without an image shape; its rows labeled -1 left out
        (the benchmarks score against true labels), the others split 60/20/20, stratified by
        label with ``random_state=0``; text labels numbered in sorted order.

    Examples
    --------
    >>> import tempfile
    >>> with tempfile.TemporaryDirectory() as folder:
    ...     np.save(f"{folder}/points.npy", np.c_[np.random.rand(12, 2), [0, 1] * 5 + [-1, -1]])
    ...     data = benchmark_dataset(f"{folder}/points.npy")
    >>> data.name, len(data.y_train), len(data.y_val), len(data.y_test), data.image_shape
    ('points', 6, 2, 2, None)
    """
    path = Path(name_or_path)
    if not path.suffix:
        return load_dataset(str(name_or_path), data_dir)
    X, y = load_table(path, label_column)
    labeled = ~unlabeled_mask(y)
    if not labeled.any():
        raise ValueError(f"{path} has no labeled rows; the benchmarks score against true labels")
    X, y = X[labeled], y[labeled]
    if y.dtype == object:  # the baselines take numbers
        y = np.unique(y, return_inverse=True)[1]
    try:
        X_train, X_rest, y_train, y_rest = train_test_split(X, y, train_size=0.6, stratify=y, random_state=0)
        X_val, X_test, y_val, y_test = train_test_split(X_rest, y_rest, test_size=0.5, stratify=y_rest,
                                                        random_state=0)
    except ValueError as error:
        raise ValueError(f"{path}: cannot split its labeled rows 60/20/20 with every class in each part: "
                         f"{error}") from None
    return Dataset(path.stem, X_train, y_train, X_val, y_val, X_test, y_test, image_shape=None)
