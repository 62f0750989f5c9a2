"""Pictures of fitted AAEs, written as PNG files.

Each function draws a fitted :class:`~ssaae.SemiSupervisedAAEClassifier` or
:class:`~ssaae.AAEClustering` ``model`` into the PNG file ``path`` (str or Path) and returns
``path`` as a Path. Image grids take ``image_shape``, (height, width) of an image, inferred when
the number of features is a square (784 is 28x28).

Needs matplotlib (``pip install 'ssaae[plot]'``). Figures are drawn without pyplot, by matplotlib's
Agg renderer, so no display is needed. An image grid draws each image in a cell of
:data:`CELL` pixels (along the image's longer side) at :data:`DPI`, inside fixed margins
(:data:`GRID_MARGINS`), so a grid's size in pixels follows from its rows and columns.

Examples
--------
>>> import tempfile
>>> from ssaae import SemiSupervisedAAEClassifier, load_dataset
>>> data = load_dataset("digits")
>>> model = SemiSupervisedAAEClassifier(hidden_layer_sizes=(16,), discriminator_layer_sizes=(16,),
...                                     max_iter=1, random_state=0).fit(data.X_train, data.y_train)
>>> with tempfile.TemporaryDirectory() as folder:
...     path = sample_grid(model, f"{folder}/grid.png", n_styles=3)
...     print(path.name, path.read_bytes()[:4])
grid.png b'\\x89PNG'
"""

import math
from pathlib import Path

import numpy as np
from sklearn.decomposition import PCA
from sklearn.utils import check_random_state
from sklearn.utils.validation import check_is_fitted

from .clustering import AAEClustering
from .datasets import unlabeled_mask
from .files import atomic_write

try:
    from matplotlib import colormaps
    from matplotlib.figure import Figure
except ModuleNotFoundError as error:
    raise ModuleNotFoundError(f"ssaae.plots needs matplotlib ({error}): pip install 'ssaae[plot]'",
                              name="matplotlib") from error

DPI = 100
CELL = 80  # pixels per image of a grid, along the image's longer side
GRID_MARGINS = {"left": 110, "right": 10, "top": 50, "bottom": 10}  # pixels: row titles left, titles on top
FIGURE_SIZE = (7.0, 5.0)  # inches, of the plots that are not image grids


def sample_grid(model, path, n_styles=10, image_shape=None):
    """Draw generated images: one column per class or cluster, one row per style draw.

    Each row decodes the same style z, drawn from N(0, I) with the model's ``random_state``, in
    every class or cluster, so a row shows one style across all of them: what the category code
    holds (the digit) changes along a row, what the style holds (slant, width) along a column.

    Parameters
    ----------
    n_styles : int, default=10
        Rows: style draws.
    """
    check_is_fitted(model)
    categories = _categories(model)
    shape = _image_shape(model.n_features_in_, image_shape)
    style = check_random_state(model.random_state).standard_normal((n_styles, model.style_dim))
    images, _ = model.sample(n_styles * len(categories), y=np.tile(categories, n_styles),
                             style=np.repeat(style, len(categories), axis=0))  # a row's style in every category
    figure = _image_grid(images.reshape(n_styles, len(categories), -1), shape,
                         column_titles=categories, row_titles=range(1, n_styles + 1), row_label="style draw",
                         title=f"Samples: a {_category_word(model)} per column, a style per row")
    return save_figure(figure, path)


def style_space(model, X, y, path):
    """Scatter the style codes z of the rows of ``X``, coloured by their label.

    Parameters
    ----------
    model : fitted SemiSupervisedAAEClassifier or AAEClustering
        With ``style_dim >= 2``; a style of more than two dimensions is projected on its first
        two principal components, as the axis labels say.
    X : array-like of shape (n_samples, n_features)
    y : array-like of shape (n_samples,)
        The label of each row, ``-1`` for an unlabeled one (drawn in grey).
    """
    style = model.transform(X)[:, -model.style_dim:]  # the style is last whatever transform_code says
    y = np.asarray(y)
    if style.shape[1] < 2:
        raise ValueError(f"the style space has {style.shape[1]} dimension; a scatter needs at least 2")
    if style.shape[1] == 2:
        axis_labels = ["style z1", "style z2"]
    else:
        style = PCA(n_components=2).fit_transform(style)
        axis_labels = [f"style PC {i} (PCA of the {model.style_dim}-d style)" for i in (1, 2)]
    figure = Figure(figsize=FIGURE_SIZE, dpi=DPI, layout="constrained")
    axes = figure.subplots()
    unlabeled = unlabeled_mask(y)
    if unlabeled.any():
        axes.scatter(*style[unlabeled].T, s=10, color="0.8", label="unlabeled")
    classes = np.unique(y[~unlabeled])
    colors = colormaps["tab10" if len(classes) <= 10 else "tab20"]
    for i, label in enumerate(classes):
        axes.scatter(*style[y == label].T, s=10, color=colors(i % colors.N), label=str(label))
    axes.set(xlabel=axis_labels[0], ylabel=axis_labels[1], title=f"Style codes of {len(style)} rows")
    axes.set_aspect("equal", adjustable="datalim")  # the style prior is round: N(0, I)
    figure.legend(loc="outside right center", title="class", markerscale=2, frameon=False)
    return save_figure(figure, path)


def reconstructions(model, X, path, n=10, image_shape=None):
    """Draw the first ``n`` rows of ``X`` above their reconstructions (``model.reconstruct``).

    Parameters
    ----------
    X : array-like of shape (n_samples, n_features)
    n : int, default=10
        Columns: rows of ``X`` to draw (fewer if ``X`` has fewer).
    """
    shape = _image_shape(model.n_features_in_, image_shape)
    X = np.asarray(X, dtype=np.float32)[:n]
    images = np.stack([X, model.reconstruct(X)])
    figure = _image_grid(images, shape, row_titles=["input", "reconstruction"], title="Reconstructions")
    return save_figure(figure, path)


def cluster_exemplars(model, X, path, n_per_cluster=10, image_shape=None):
    """Draw, for each cluster (or class), the rows of ``X`` the model ranks most likely in it.

    Parameters
    ----------
    X : array-like of shape (n_samples, n_features)
    n_per_cluster : int, default=10
        Columns: images per cluster, by decreasing probability of the cluster (its
        ``predict_proba`` column).
    """
    shape = _image_shape(model.n_features_in_, image_shape)
    X = np.asarray(X, dtype=np.float32)
    ranked = np.argsort(-model.predict_proba(X), axis=0, kind="stable")[:n_per_cluster]  # (n, n_categories)
    word = _category_word(model)
    figure = _image_grid(X[ranked.T], shape, row_titles=_categories(model), row_label=word,
                         title=f"Most likely images of each {word}")
    return save_figure(figure, path)


def _image_shape(n_features, image_shape):
    """``image_shape`` checked against the number of features, else the square the features make."""
    if image_shape is not None:
        if math.prod(image_shape) != n_features:
            raise ValueError(f"image shape {'x'.join(map(str, image_shape))} does not hold the model's "
                             f"{n_features} features")
        return tuple(image_shape)
    side = math.isqrt(n_features)
    if side * side != n_features:
        raise ValueError(f"{n_features} features are not a square image; pass image_shape (height, width)")
    return side, side


def _categories(model):
    """The values of a model's categorical code: its classes, or its cluster ids."""
    return np.arange(model.n_clusters) if isinstance(model, AAEClustering) else model.classes_


def _category_word(model):
    return "cluster" if isinstance(model, AAEClustering) else "class"


def _image_grid(images, shape, row_titles, title, column_titles=None, row_label=None):
    """A figure of ``images`` (n_rows, n_columns, n_features), one cell each, sharing one grey scale."""
    n_rows, n_columns = images.shape[:2]
    height, width = shape
    cell_width, cell_height = CELL * width / max(shape), CELL * height / max(shape)
    grid_width, grid_height = n_columns * cell_width, n_rows * cell_height
    figure_width = GRID_MARGINS["left"] + grid_width + GRID_MARGINS["right"]
    figure_height = GRID_MARGINS["top"] + grid_height + GRID_MARGINS["bottom"]
    figure = Figure(figsize=(figure_width / DPI, figure_height / DPI), dpi=DPI)
    axes = figure.add_axes((GRID_MARGINS["left"] / figure_width, GRID_MARGINS["bottom"] / figure_height,
                            grid_width / figure_width, grid_height / figure_height))
    mosaic = images.reshape(n_rows, n_columns, height, width).transpose(0, 2, 1, 3).reshape(
        n_rows * height, n_columns * width)
    # In cell units: cell (row, column) spans [column, column + 1] x [row, row + 1].
    axes.imshow(mosaic, cmap="gray_r", interpolation="nearest", aspect="auto", extent=(0, n_columns, n_rows, 0))
    for column in range(1, n_columns):
        axes.axvline(column, color="0.75", linewidth=1)
    for row in range(1, n_rows):
        axes.axhline(row, color="0.75", linewidth=1)
    axes.tick_params(length=0, labelsize=9, top=True, labeltop=True, bottom=False, labelbottom=False)
    axes.set_xticks(np.arange(n_columns) + 0.5, labels=[] if column_titles is None else [str(t) for t in column_titles])
    axes.set_yticks(np.arange(n_rows) + 0.5, labels=[str(t) for t in row_titles])
    if row_label:
        axes.set_ylabel(row_label)
    figure.suptitle(title, y=1 - 4 / figure_height, va="top", fontsize=11)
    return figure


def save_figure(figure, path):
    """Write ``figure`` to ``path`` as a PNG, whole or not at all; return ``path`` as a Path."""
    with atomic_write(path, "wb") as file:
        figure.savefig(file, format="png")
    return Path(path)
