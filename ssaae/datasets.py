"""The data sets ssaae trains on: MNIST, Fashion-MNIST and scikit-learn's small digits.

MNIST and Fashion-MNIST are read from their four IDX files (plain or gzipped), checked against
known md5 sums and, if missing, downloaded from public mirrors. ``digits`` needs nothing on disk.
A user's own data comes from a ``.csv`` or ``.npy`` table (:func:`load_table`).
"""

import gzip
import hashlib
import math
import os
import zlib
from dataclasses import dataclass, field
from http.client import HTTPException
from pathlib import Path
from urllib.request import urlopen

import numpy as np
import pandas as pd
from sklearn.datasets import load_digits
from sklearn.model_selection import train_test_split
from sklearn.utils import check_random_state
from tqdm import tqdm

DATASET_NAMES = ("mnist", "fashion-mnist", "digits")
IDX_FILES = (
    "train-images-idx3-ubyte",
    "train-labels-idx1-ubyte",
    "t10k-images-idx3-ubyte",
    "t10k-labels-idx1-ubyte",
)

# md5 of the uncompressed IDX files, so a file verifies whether it is gzipped or not.
# MNIST: the sums torchvision and TensorFlow check. Fashion-MNIST: computed from Debian's
# dataset-fashion-mnist 0.0~git20200523.55506a9-1, which re-gzips the files (its .gz sums differ
# from the upstream README's); the uncompressed sums equal those published by loaders that check
# the raw files, and the headers and sizes are the documented 60000/10000 x 28 x 28.
IDX_MD5 = {
    "mnist": {
        "train-images-idx3-ubyte": "6bbc9ace898e44ae57da46a324031adb",
        "train-labels-idx1-ubyte": "a25bea736e30d166cdddb491f175f624",
        "t10k-images-idx3-ubyte": "2646ac647ad5339dbf082846283269ea",
        "t10k-labels-idx1-ubyte": "27ae3e4e09519cfbb04c329615203637",
    },
    "fashion-mnist": {
        "train-images-idx3-ubyte": "f4a8712d7a061bf5bd6d2ca38dc4d50a",
        "train-labels-idx1-ubyte": "9018921c3c673c538a1fc5bad174d6f9",
        "t10k-images-idx3-ubyte": "8181f5470baa50b63fa0f6fddb340f0a",
        "t10k-labels-idx1-ubyte": "15d484375f8d13e6eb1aabb0c3f46965",
    },
}
_KNOWN_FILES = {md5: (name, file) for name, sums in IDX_MD5.items() for file, md5 in sums.items()}

_MIRRORS = {
    "mnist": (
        "https://ossci-datasets.s3.amazonaws.com/mnist/",
        "https://storage.googleapis.com/cvdf-datasets/mnist/",
    ),
    "fashion-mnist": ("http://fashion-mnist.s3-website.eu-central-1.amazonaws.com/",),
}
_SYSTEM_DIRS = {"fashion-mnist": Path("/usr/share/datasets/fashion-mnist")}
_INSTALL_HINTS = {"fashion-mnist": ", or apt-get install dataset-fashion-mnist"}
_DOWNLOAD_TIMEOUT = 10  # seconds; a dead mirror should fail fast, not hang a training run


@dataclass
class Dataset:
    """A data set split into train, validation and test parts.

    Features are float32 rows (for the named data sets, flattened images with values in [0, 1]);
    labels are int64.
    """

    name: str
    X_train: np.ndarray = field(repr=False)
    y_train: np.ndarray = field(repr=False)
    X_val: np.ndarray = field(repr=False)
    y_val: np.ndarray = field(repr=False)
    X_test: np.ndarray = field(repr=False)
    y_test: np.ndarray = field(repr=False)
    image_shape: tuple


@dataclass
class DatasetStatus:
    """Whether a data set loads without a download, as :func:`available_datasets` reports."""

    name: str
    available: bool
    directory: Path | None  # where the files were found; None for digits or when none are
    verified: bool
    missing: list = field(default_factory=list)
    problem: str = ""  # why the files do not verify


def load_dataset(name, data_dir=None, download=True):
    """Load a data set with its fixed train/validation/test split.

    Parameters
    ----------
    name : {"mnist", "fashion-mnist", "digits"}
        MNIST and Fashion-MNIST: the first 50,000 training images train, the last 10,000
        validate, the 10,000 t10k images test. digits: a stratified split with
        random_state=0 into 1077 train, 360 validation and 360 test images.
    data_dir : str or Path, optional
        Folder holding the IDX files, directly or in a subfolder named after the data set.
        Defaults to ``$SSAAE_DATA_DIR``, else ``./data``. Fashion-MNIST is also looked for in
        ``/usr/share/datasets/fashion-mnist`` (Debian's ``dataset-fashion-mnist``).
    download : bool, default=True
        Download missing IDX files into the data folder.

    Returns
    -------
    Dataset

    Raises
    ------
    FileNotFoundError
        If IDX files are missing and could not be downloaded.
    ValueError
        If ``name`` is unknown or a file is corrupt.

    Examples
    --------
    >>> from ssaae.datasets import load_dataset
    >>> data = load_dataset("digits")
    >>> data.X_train.shape, data.X_val.shape, data.X_test.shape
    ((1077, 64), (360, 64), (360, 64))
    >>> float(data.X_train.max()), data.image_shape
    (1.0, (8, 8))
    """
    if name == "digits":
        return _load_digits()
    if name not in IDX_MD5:
        raise ValueError(f"unknown data set {name!r}; known: {', '.join(DATASET_NAMES)}")
    arrays = _read_idx_files(name, data_dir, download)
    X = _as_features(arrays["train-images-idx3-ubyte"])
    y = arrays["train-labels-idx1-ubyte"].astype(np.int64)
    return Dataset(
        name,
        X[:50_000], y[:50_000],
        X[50_000:], y[50_000:],
        _as_features(arrays["t10k-images-idx3-ubyte"]),
        arrays["t10k-labels-idx1-ubyte"].astype(np.int64),
        image_shape=arrays["train-images-idx3-ubyte"].shape[1:],
    )


def available_datasets(data_dir=None):
    """Report which data sets load without a download, and whether their files verify.

    Parameters
    ----------
    data_dir : str or Path, optional
        Searched as in :func:`load_dataset`.

    Returns
    -------
    list of DatasetStatus
        One per name in ``DATASET_NAMES``.

    Examples
    --------
    >>> from ssaae.datasets import available_datasets
    >>> digits = available_datasets()[-1]
    >>> digits.name, digits.available, digits.verified
    ('digits', True, True)
    """
    statuses = []
    for name in DATASET_NAMES:
        if name == "digits":
            statuses.append(DatasetStatus(name, available=True, directory=None, verified=True))
            continue
        directory, paths = _find_idx_files(name, data_dir)
        missing = [file for file in IDX_FILES if file not in paths]
        problem = ""
        if not missing:
            try:
                for file, path in paths.items():
                    _read_idx(path, name, file)
            except ValueError as error:
                problem = str(error)
        statuses.append(DatasetStatus(
            name, available=not missing, directory=directory,
            verified=not missing and not problem, missing=missing, problem=problem,
        ))
    return statuses


def make_semisupervised(y, n_labeled, random_state=None):
    """Hide all labels but ``n_labeled``, the same number per class, as -1.

    Parameters
    ----------
    y : array-like of shape (n_samples,)
        Class labels.
    n_labeled : int
        How many labels to keep: ``n_labeled // n_classes`` per class, and the remainder one
        each to randomly chosen classes.
    random_state : int, RandomState instance or None
        Seed of the choice of labeled rows.

    Returns
    -------
    ndarray of shape (n_samples,)
        A copy of ``y`` (int64, or object for string labels) with unlabeled rows set to -1.

    Examples
    --------
    >>> from ssaae.datasets import load_dataset, make_semisupervised
    >>> y = make_semisupervised(load_dataset("digits").y_train, n_labeled=100, random_state=0)
    >>> int((y != -1).sum()), sorted(set(np.bincount(y[y != -1]).tolist()))
    (100, [10])
    """
    y = np.asarray(y)
    if y.ndim != 1:
        raise ValueError(f"y must be one-dimensional, got shape {y.shape}")
    y = y.astype(object if y.dtype.kind in "OUS" else np.int64)
    if unlabeled_mask(y).any():
        raise ValueError("y already holds unlabeled rows (-1)")
    classes, counts = np.unique(y, return_counts=True)
    if not len(classes) <= n_labeled <= len(y):
        raise ValueError(
            f"n_labeled must be between the number of classes ({len(classes)}) "
            f"and the number of rows ({len(y)}), got {n_labeled}"
        )
    rng = check_random_state(random_state)
    per_class = np.full(len(classes), n_labeled // len(classes))
    per_class[rng.choice(len(classes), n_labeled % len(classes), replace=False)] += 1
    short = [f"{c} has {n} rows" for c, n, k in zip(classes, counts, per_class) if n < k]
    if short:
        raise ValueError(f"too few rows for {n_labeled} labels: class {', '.join(short)}")
    labeled = np.concatenate([
        rng.choice(np.flatnonzero(y == c), k, replace=False) for c, k in zip(classes, per_class)
    ])
    semisupervised = np.full(len(y), -1, dtype=y.dtype)
    semisupervised[labeled] = y[labeled]
    return semisupervised


def unlabeled_mask(y):
    """Rows marked ``-1``, the unlabeled ones, as in ``sklearn.semi_supervised``: the number -1,
    or text that reads as it (``"-1"``, ``" -1.0"``), so that labels read from a file as text
    and labels given as numbers agree.

    Examples
    --------
    >>> unlabeled_mask(np.array([3, -1])).tolist(), unlabeled_mask(np.array(["cat", "-1", " -1.0"])).tolist()
    ([False, True], [False, True, True])
    """
    y = np.asarray(y)
    if y.dtype.kind in "biuf":
        return y == -1
    text = pd.Series(y.ravel(), dtype=object).map(lambda value: str(value).strip())
    return (pd.to_numeric(text, errors="coerce") == -1).to_numpy().reshape(y.shape)


def keep_labels(y, n_labeled, random_state=None):
    """Keep ``n_labeled`` of the labels of a partly labeled ``y``, picked as by
    :func:`make_semisupervised`; rows already ``-1`` stay unlabeled.

    Examples
    --------
    >>> y = keep_labels(np.array([0, 0, 0, 1, 1, 1, -1]), n_labeled=2, random_state=0)
    >>> int((y == 0).sum()), int((y == 1).sum()), int(y[-1])
    (1, 1, -1)
    """
    y = np.asarray(y)
    labeled = ~unlabeled_mask(y)
    kept = np.full(len(y), -1, dtype=object if y.dtype.kind in "OUS" else np.int64)
    kept[labeled] = make_semisupervised(y[labeled], n_labeled, random_state=random_state)
    return kept


def load_table(path, label_column="label"):
    """Read features and labels from a ``.csv`` or ``.npy`` file.

    Parameters
    ----------
    path : str or Path
        A CSV file with a header row, numeric feature columns and a label column; or a 2-D
        NPY array of numbers whose last column holds the labels.
    label_column : str, default="label"
        The CSV column holding the labels.

    Returns
    -------
    X : ndarray of shape (n_samples, n_features), float32
        Memory-mapped from a float32 NPY, read as it is used: larger than memory is fine.
    y : ndarray of shape (n_samples,)
        int64 when every label is an integer, else object (strings), with -1 for unlabeled rows:
        those whose label is -1, an empty CSV cell or NaN in an NPY.

    Raises
    ------
    FileNotFoundError
        If there is no file at ``path``.
    ValueError
        If the file cannot be read, lacks the label column, or holds non-numeric features.

    Examples
    --------
    >>> import tempfile
    >>> with tempfile.TemporaryDirectory() as folder:
    ...     np.save(f"{folder}/points.npy", [[0.5, 0.1, 1], [0.2, 0.9, 0], [0.4, 0.4, -1]])
    ...     X, y = load_table(f"{folder}/points.npy")
    >>> X.shape, y.tolist()
    ((3, 2), [1, 0, -1])
    """
    path = Path(path)
    table = _read_table(path, label_column)
    if isinstance(table, np.ndarray):
        if table.shape[1] < 2:
            raise ValueError(f"{path} has {table.shape[1]} column; it needs features and a last label column")
        return _features(table[:, :-1], path), _npy_labels(table[:, -1], path)
    if label_column not in table.columns:
        raise ValueError(f"{path} has no label column {label_column!r}; its columns: "
                         f"{', '.join(map(str, table.columns))}")
    return _features(table.drop(columns=label_column), path), _csv_labels(table[label_column])


def load_features(path, label_column="label"):
    """Read the features of a ``.csv`` or ``.npy`` file, to predict from.

    Parameters
    ----------
    path : str or Path
        A CSV file with a header row and numeric columns, or a 2-D NPY array of numbers.
    label_column : str, default="label"
        A CSV column dropped if present, so that a table :func:`load_table` reads works too.

    Returns
    -------
    X : ndarray of shape (n_samples, n_features), float32

    Examples
    --------
    >>> import tempfile
    >>> with tempfile.TemporaryDirectory() as folder:
    ...     pd.DataFrame({"x0": [0.5, 0.2], "x1": [0.1, 0.9], "label": ["cat", ""]}).to_csv(
    ...         f"{folder}/points.csv", index=False)
    ...     X = load_features(f"{folder}/points.csv")
    >>> X.shape, X.dtype
    ((2, 2), dtype('float32'))
    """
    path = Path(path)
    table = _read_table(path, label_column)
    if isinstance(table, pd.DataFrame):
        table = table.drop(columns=label_column, errors="ignore")
    return _features(table, path)


def _read_table(path, label_column):
    """A CSV as a DataFrame, its label column as text; an NPY as a 2-D array."""
    if not path.is_file():
        raise FileNotFoundError(f"no such file: {path}")
    if path.suffix.lower() == ".csv":
        try:
            return pd.read_csv(path, dtype={label_column: str})
        except ValueError as error:  # pandas' parser and decoding errors
            raise ValueError(f"{path} is not a readable CSV file: {error}") from None
    if path.suffix.lower() != ".npy":
        raise ValueError(f"{path} is neither a .csv nor a .npy file")
    try:
        table = np.load(path, mmap_mode="r", allow_pickle=False)  # mapped: rows are read when used; no pickle
    except (ValueError, EOFError) as error:
        raise ValueError(f"{path} is not a readable NPY file: {error}") from None
    if table.ndim != 2 or table.dtype.kind not in "biuf":
        raise ValueError(f"{path} holds a {table.ndim}-D array of {table.dtype}; "
                         "expected a 2-D array of numbers")
    return table


def _features(table, path):
    if len(table) == 0:
        raise ValueError(f"{path} has no rows")
    if isinstance(table, pd.DataFrame):
        text = [str(name) for name, dtype in table.dtypes.items() if not pd.api.types.is_numeric_dtype(dtype)]
        if text:
            raise ValueError(f"{path}: feature columns must be numeric, and these are not: {', '.join(text)}")
    X = np.asarray(table, dtype=np.float32)  # a float32 NPY stays memory-mapped
    incomplete = np.isnan(X.sum(axis=1)).sum()  # no copy of X: NaN (or inf - inf) in a row's sum
    if incomplete:
        raise ValueError(f"{path}: {incomplete} rows lack feature values")
    return X


def _csv_labels(column):
    """Integers as int64 when every label is one, else strings; -1 where a label is -1 or empty."""
    text = column.str.strip()
    unlabeled = (text.isna() | (text == "")).to_numpy() | unlabeled_mask(text.fillna(""))
    numbers = pd.to_numeric(text[~unlabeled], errors="coerce")
    if numbers.notna().all() and (numbers % 1 == 0).all():
        y, labels = np.full(len(text), -1, dtype=np.int64), numbers.to_numpy(np.int64)
    else:
        y, labels = np.full(len(text), -1, dtype=object), text[~unlabeled].to_numpy(object)
    y[~unlabeled] = labels
    return y


def _npy_labels(column, path):
    unlabeled = np.isnan(column) | (column == -1)
    if (column[~unlabeled] % 1 != 0).any():
        raise ValueError(f"{path}: the last column holds the labels and must hold integers, "
                         "-1 for unlabeled rows")
    return np.where(unlabeled, -1, column).astype(np.int64)


def _load_digits():
    digits = load_digits()
    X = (digits.data / 16).astype(np.float32)
    y = digits.target.astype(np.int64)
    X_rest, X_test, y_rest, y_test = train_test_split(
        X, y, test_size=360, stratify=y, random_state=0)
    X_train, X_val, y_train, y_val = train_test_split(
        X_rest, y_rest, test_size=360, stratify=y_rest, random_state=0)
    return Dataset("digits", X_train, y_train, X_val, y_val, X_test, y_test, image_shape=(8, 8))


def _as_features(images):
    """Flatten uint8 images into float32 rows in [0, 1]."""
    features = images.reshape(len(images), -1).astype(np.float32)
    features /= 255  # in place: 60,000 MNIST images take 188 MB as float32
    return features


def _data_root(data_dir):
    return Path(data_dir or os.environ.get("SSAAE_DATA_DIR") or "data").expanduser()


def _find_idx_files(name, data_dir):
    """Return the folder holding most of the data set's IDX files and their paths."""
    roots = [_data_root(data_dir)] + ([_SYSTEM_DIRS[name]] if name in _SYSTEM_DIRS else [])
    best_directory, best_paths = None, {}
    for directory in [d for root in roots for d in (root / name, root)]:
        paths = {}
        for file in IDX_FILES:
            for path in (directory / file, directory / f"{file}.gz"):
                if path.is_file():
                    paths[file] = path
                    break
        if len(paths) > len(best_paths):
            best_directory, best_paths = directory, paths
    return best_directory, best_paths


def _read_idx_files(name, data_dir, download):
    directory, paths = _find_idx_files(name, data_dir)
    missing = [file for file in IDX_FILES if file not in paths]
    why = "download=False"
    if missing and download:
        directory = directory or _data_root(data_dir) / name
        why = f"download failed: {_download_idx_files(name, missing, directory)}"
        directory, paths = _find_idx_files(name, data_dir)
        missing = [file for file in IDX_FILES if file not in paths]
    if missing:
        directory = directory or _data_root(data_dir) / name
        raise FileNotFoundError(
            f"{name}: missing {', '.join(missing)} (plain or .gz) in {directory} ({why}); "
            f"put them there, pass data_dir or set $SSAAE_DATA_DIR{_INSTALL_HINTS.get(name, '')}"
        )
    return {file: _read_idx(path, name, file) for file, path in paths.items()}


def _read_idx(path, name, file):
    """Read one IDX file, gzipped or not, and check it is the expected one."""
    try:
        content = path.read_bytes()
        if path.suffix == ".gz":
            content = gzip.decompress(content)
    except (OSError, EOFError, zlib.error) as error:
        raise ValueError(f"{path} cannot be read: {error}") from None
    array = _parse_idx(content, path)
    md5 = hashlib.md5(content, usedforsecurity=False).hexdigest()
    if md5 != IDX_MD5[name][file]:
        other = _KNOWN_FILES.get(md5)
        if other:
            raise ValueError(f"{path} is {other[0]}'s {other[1]}, not {name}'s {file}; "
                             "keep each data set in a subfolder named after it")
        raise ValueError(f"{path} is corrupt: md5 {md5} is not that of {name}'s {file}")
    return array


def _parse_idx(content, path):
    """Parse an IDX file of unsigned bytes: magic 0 0 8 ndim, ndim big-endian sizes, data."""
    if len(content) < 4 or content[:3] != b"\x00\x00\x08":
        raise ValueError(f"{path} is not an IDX file of unsigned bytes (bad magic number)")
    ndim = content[3]
    header_size = 4 + 4 * ndim
    if len(content) < header_size:
        raise ValueError(f"{path} is truncated within its IDX header")
    shape = tuple(int(n) for n in np.frombuffer(content, dtype=">u4", count=ndim, offset=4))
    if len(content) != header_size + math.prod(shape):
        raise ValueError(f"{path} is truncated or does not match its IDX shape {shape}")
    return np.frombuffer(content, dtype=np.uint8, offset=header_size).reshape(shape)


def _download_idx_files(name, files, directory):
    """Fetch gzipped IDX files from the mirrors; return the last failure, or ''."""
    failure, failed_mirrors = "", set()
    for file in files:
        for mirror in [mirror for mirror in _MIRRORS[name] if mirror not in failed_mirrors]:
            try:
                directory.mkdir(parents=True, exist_ok=True)
                _download(f"{mirror}{file}.gz", directory / f"{file}.gz", IDX_MD5[name][file])
                break
            except (OSError, HTTPException, EOFError, zlib.error, ValueError) as error:
                failed_mirrors.add(mirror)  # offline, it would time out again for every file
                failure = f"{mirror}{file}.gz: {error}"
    return failure


def _download(url, path, md5):
    """Stream url to path, checking the md5 of the decompressed bytes on the way."""
    partial = path.with_name(path.name + ".part")
    inflater = zlib.decompressobj(wbits=31)  # 31: a gzip stream
    digest = hashlib.md5(usedforsecurity=False)
    try:
        with urlopen(url, timeout=_DOWNLOAD_TIMEOUT) as response, open(partial, "wb") as out:
            size = int(response.headers.get("Content-Length") or 0) or None
            with tqdm(total=size, unit="B", unit_scale=True, desc=path.name) as progress:
                while chunk := response.read(1 << 16):
                    out.write(chunk)
                    digest.update(inflater.decompress(chunk))
                    progress.update(len(chunk))
        if not inflater.eof or digest.hexdigest() != md5:
            raise ValueError("the download is not the expected file (md5 mismatch)")
        partial.replace(path)
    finally:
        partial.unlink(missing_ok=True)
