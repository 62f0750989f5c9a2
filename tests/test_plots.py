"""Specification of the pictures: ``ssaae.plots`` and the ``ssaae sample`` and ``ssaae plot`` commands."""

import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from helpers import TINY, assert_one_line_error, run
from matplotlib import colormaps
from matplotlib.image import imread

from ssaae import (
    AAEClustering,
    SemiSupervisedAAEClassifier,
    load_model,
    make_semisupervised,
    save_model,
)
from ssaae.plots import (
    CELL,
    DPI,
    FIGURE_SIZE,
    GRID_MARGINS,
    cluster_exemplars,
    reconstructions,
    sample_grid,
    style_space,
)

TINY = {**TINY, "random_state": 0}
TAB10 = colormaps["tab10"].colors
PLOT_SIZE = (FIGURE_SIZE[1] * DPI, FIGURE_SIZE[0] * DPI)  # pixels (height, width) of the plots that are not grids

pytestmark = pytest.mark.usefixtures("one_torch_thread")


@pytest.fixture(scope="module")
def classifier(digits):
    y = make_semisupervised(digits.y_train, 100, random_state=0)
    return SemiSupervisedAAEClassifier(style_dim=2, **{**TINY, "max_iter": 3}).fit(digits.X_train, y)


@pytest.fixture(scope="module")
def clusterer(digits):
    return AAEClustering(n_clusters=4, style_dim=3, **{**TINY, "max_iter": 3}).fit(digits.X_train)


@pytest.fixture(scope="module")
def model_file(classifier, tmp_path_factory):
    path = tmp_path_factory.mktemp("models") / "digits.pt"
    save_model(classifier, path)
    return path


@pytest.fixture(scope="module")
def narrow_model_file(digits, tmp_path_factory):
    """A model of 10 features, which make no square image."""
    path = tmp_path_factory.mktemp("models") / "narrow.pt"
    save_model(SemiSupervisedAAEClassifier(**{**TINY, "max_iter": 1}).fit(digits.X_train[:, :10], digits.y_train), path)
    return path


def read_png(path):
    """The RGB pixels of a PNG file, floats in [0, 1]; fails if the file is not a PNG."""
    assert Path(path).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    return imread(path)[..., :3]


def grid_size(n_rows, n_columns, cell_height=CELL, cell_width=CELL):
    """Pixels (height, width) of an image grid."""
    return (GRID_MARGINS["top"] + n_rows * cell_height + GRID_MARGINS["bottom"],
            GRID_MARGINS["left"] + n_columns * cell_width + GRID_MARGINS["right"])


def cell(png, row, column, side=8):
    """The ink (0 white, 1 black) of each pixel of the side x side image drawn in a cell of a grid."""
    step = CELL // side
    top, left = GRID_MARGINS["top"] + row * CELL, GRID_MARGINS["left"] + column * CELL
    return 1 - png[top + step // 2:top + CELL:step, left + step // 2:left + CELL:step, 0]


def as_ink(images):
    """Images on the grey scale of a grid: its smallest value white, its largest black."""
    return (images - images.min()) / (images.max() - images.min())


def has_colour(png, colour):
    return bool((np.abs(png - np.asarray(colour)) < 0.01).all(axis=-1).any())


# sample_grid

def test_sample_grid_has_a_column_per_class_and_a_row_per_style_draw(classifier, tmp_path):
    path = sample_grid(classifier, tmp_path / "grid.png", n_styles=3)
    assert path == tmp_path / "grid.png"
    assert read_png(path).shape[:2] == grid_size(3, 10)


def test_sample_grid_of_a_clusterer_has_a_column_per_cluster(clusterer, tmp_path):
    assert read_png(sample_grid(clusterer, tmp_path / "grid.png", n_styles=2)).shape[:2] == grid_size(2, 4)


def test_sample_grid_cell_shows_its_columns_class_decoded_with_its_rows_style(classifier, tmp_path, monkeypatch):
    decoded = []
    decode = SemiSupervisedAAEClassifier._decode

    def recording_decode(model, index, style):
        images = decode(model, index, style)
        decoded.append((index, style.numpy(), images))
        return images

    monkeypatch.setattr(SemiSupervisedAAEClassifier, "_decode", recording_decode)
    png = read_png(sample_grid(classifier, tmp_path / "grid.png", n_styles=3))
    index, style, images = (np.concatenate(parts) for parts in zip(*decoded))
    assert index.tolist() == list(range(10)) * 3
    style = style.reshape(3, 10, classifier.style_dim)
    assert (style == style[:, :1]).all() and len(np.unique(style[:, 0], axis=0)) == 3
    ink = as_ink(images).reshape(3, 10, 8, 8)
    for row in range(3):
        for column in range(10):
            np.testing.assert_allclose(cell(png, row, column), ink[row, column], atol=0.01)
    assert not np.allclose(cell(png, 0, 0), cell(png, 0, 1), atol=0.05)


def test_sample_grid_of_non_square_features_needs_an_image_shape(narrow_model_file, tmp_path):
    model = load_model(narrow_model_file)
    with pytest.raises(ValueError, match="10 features are not a square image; pass image_shape"):
        sample_grid(model, tmp_path / "grid.png")
    with pytest.raises(ValueError, match="image shape 3x3 does not hold the model's 10 features"):
        sample_grid(model, tmp_path / "grid.png", image_shape=(3, 3))
    png = read_png(sample_grid(model, tmp_path / "grid.png", n_styles=2, image_shape=(2, 5)))
    assert png.shape[:2] == grid_size(2, 10, cell_height=CELL * 2 // 5)


# style_space

def test_style_space_colours_each_class_with_its_own_colour(classifier, digits, tmp_path):
    png = read_png(style_space(classifier, digits.X_test, digits.y_test, tmp_path / "style.png"))
    assert png.shape[:2] == PLOT_SIZE
    assert all(has_colour(png, colour) for colour in TAB10)


def test_style_space_of_a_model_transforming_to_the_full_code_draws_the_same_style(classifier, digits, tmp_path):
    style = read_png(style_space(classifier, digits.X_test, digits.y_test, tmp_path / "style.png"))
    classifier.set_params(transform_code="full")
    try:
        full = read_png(style_space(classifier, digits.X_test, digits.y_test, tmp_path / "full.png"))
    finally:
        classifier.set_params(transform_code="style")
    np.testing.assert_array_equal(full, style)


def test_style_space_draws_unlabeled_rows_in_grey(classifier, digits, tmp_path):
    def grey_pixels(y):
        png = read_png(style_space(classifier, digits.X_test, y, tmp_path / "style.png"))
        return int((np.abs(png - 0.8) < 0.002).all(axis=-1).sum())

    y = digits.y_test.copy()
    without_unlabeled = grey_pixels(y)
    y[:60] = -1
    assert grey_pixels(y) > 10 * (without_unlabeled + 1)


def test_style_space_of_more_than_two_style_dimensions_draws_a_projection(clusterer, digits, tmp_path):
    y = digits.y_test % 3
    png = read_png(style_space(clusterer, digits.X_test, y, tmp_path / "style.png"))
    assert png.shape[:2] == PLOT_SIZE
    assert [has_colour(png, colour) for colour in TAB10[:4]] == [True, True, True, False]


def test_style_space_of_a_one_dimensional_style_is_an_error(digits, tmp_path):
    model = SemiSupervisedAAEClassifier(style_dim=1, **{**TINY, "max_iter": 1}).fit(digits.X_train, digits.y_train)
    with pytest.raises(ValueError, match="1 dimension"):
        style_space(model, digits.X_test, digits.y_test, tmp_path / "style.png")


# reconstructions and cluster_exemplars

def test_reconstructions_draws_inputs_above_their_reconstructions(classifier, digits, tmp_path):
    png = read_png(reconstructions(classifier, digits.X_test, tmp_path / "rec.png", n=5))
    assert png.shape[:2] == grid_size(2, 5)
    ink = as_ink(np.stack([digits.X_test[:5], classifier.reconstruct(digits.X_test[:5])])).reshape(2, 5, 8, 8)
    for row in range(2):
        for column in range(5):
            np.testing.assert_allclose(cell(png, row, column), ink[row, column], atol=0.01)


def test_cluster_exemplars_draws_each_clusters_most_likely_rows_in_its_row(clusterer, digits, tmp_path):
    png = read_png(cluster_exemplars(clusterer, digits.X_test, tmp_path / "clusters.png", n_per_cluster=3))
    assert png.shape[:2] == grid_size(4, 3)
    ranked = np.argsort(-clusterer.predict_proba(digits.X_test), axis=0)[:3].T
    ink = as_ink(digits.X_test[ranked]).reshape(4, 3, 8, 8)
    for row in range(4):
        for column in range(3):
            np.testing.assert_allclose(cell(png, row, column), ink[row, column], atol=0.01)


# the commands

def test_sample_command_writes_the_grid_and_prints_its_path(model_file, tmp_path):
    result = run("sample", model_file, "--out", tmp_path / "grid.png", "--styles", 2)
    assert result.exit_code == 0, result.output
    assert result.stdout == f"{tmp_path / 'grid.png'}\n"
    assert read_png(tmp_path / "grid.png").shape[:2] == grid_size(2, 10)


def test_sample_command_draws_non_square_features_in_the_given_image_shape(narrow_model_file, tmp_path):
    result = run("sample", narrow_model_file, "--out", tmp_path / "grid.png", "--styles", 1, "--image-shape", "2x5")
    assert result.exit_code == 0, result.output
    assert read_png(tmp_path / "grid.png").shape[:2] == grid_size(1, 10, cell_height=CELL * 2 // 5)


def test_plot_style_space_of_a_data_set_draws_its_test_split(model_file, tmp_path):
    result = run("plot", "style-space", model_file, "digits", "--out", tmp_path / "style.png")
    assert result.exit_code == 0, result.output
    assert result.stdout == f"{tmp_path / 'style.png'}\n"
    assert all(has_colour(read_png(tmp_path / "style.png"), colour) for colour in TAB10)


def test_plot_style_space_of_a_csv_colours_the_labels_of_its_label_column(model_file, digits, tmp_path):
    table = pd.DataFrame(digits.X_test[:60], columns=[f"x{i}" for i in range(64)])
    table["digit"] = np.array(["zero", "one", "two"])[np.arange(60) % 3]
    table.to_csv(tmp_path / "rows.csv", index=False)
    result = run("plot", "style-space", model_file, tmp_path / "rows.csv", "--label-column", "digit",
                 "--out", tmp_path / "style.png")
    assert result.exit_code == 0, result.output
    png = read_png(tmp_path / "style.png")
    assert [has_colour(png, colour) for colour in TAB10[:4]] == [True, True, True, False]


def test_plot_reconstructions_of_a_file_draws_its_first_rows(model_file, digits, tmp_path):
    np.save(tmp_path / "rows.npy", digits.X_test[:4])
    result = run("plot", "reconstructions", model_file, tmp_path / "rows.npy", "--out", tmp_path / "rec.png")
    assert result.exit_code == 0, result.output
    png = read_png(tmp_path / "rec.png")
    assert png.shape[:2] == grid_size(2, 4)
    np.testing.assert_allclose(cell(png, 0, 3), as_ink(digits.X_test[3]).reshape(8, 8), atol=0.01)


def test_plot_clusters_of_a_classifier_draws_a_row_per_class(model_file, tmp_path):
    result = run("plot", "clusters", model_file, "digits", "--per-cluster", 2, "--out", tmp_path / "clusters.png")
    assert result.exit_code == 0, result.output
    assert read_png(tmp_path / "clusters.png").shape[:2] == grid_size(10, 2)


# one-line errors

def test_sample_with_a_missing_model_is_a_one_line_error(tmp_path):
    assert_one_line_error(run("sample", tmp_path / "absent.pt", "--out", tmp_path / "grid.png"), "absent.pt")


def test_sample_of_non_square_features_without_an_image_shape_is_a_one_line_error(narrow_model_file, tmp_path):
    assert_one_line_error(run("sample", narrow_model_file, "--out", tmp_path / "grid.png"),
                          "10 features are not a square image")


def test_plot_of_rows_with_the_wrong_number_of_features_is_a_one_line_error(model_file, digits, tmp_path):
    np.save(tmp_path / "narrow.npy", digits.X_test[:, :10])
    result = run("plot", "reconstructions", model_file, tmp_path / "narrow.npy", "--out", tmp_path / "rec.png")
    assert_one_line_error(result, "10 features", "expecting 64")


def test_image_shape_that_is_not_height_x_width_is_a_one_line_error(model_file, tmp_path):
    result = run("sample", model_file, "--out", tmp_path / "grid.png", "--image-shape", "8by8")
    assert_one_line_error(result, "'8by8' is not HEIGHTxWIDTH")


def test_drawing_without_matplotlib_is_a_one_line_error_naming_the_extra(model_file, tmp_path, monkeypatch):
    for name in [name for name in sys.modules if name.split(".")[0] == "matplotlib"]:
        monkeypatch.setitem(sys.modules, name, None)  # None in sys.modules: the import fails
    monkeypatch.delitem(sys.modules, "ssaae.plots")
    result = run("sample", model_file, "--out", tmp_path / "grid.png")
    assert_one_line_error(result, "matplotlib", "pip install 'ssaae[plot]'")
    assert not (tmp_path / "grid.png").exists()
