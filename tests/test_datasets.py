"""Specification of ssaae.datasets: loading and verifying data sets, and hiding labels."""

import gzip
import io
import re
import shutil
from pathlib import Path
from urllib.error import URLError

import numpy as np
import pytest

from ssaae import datasets
from ssaae.datasets import (
    IDX_FILES,
    available_datasets,
    load_dataset,
    make_semisupervised,
)

SHARED_MNIST = Path(__file__).resolve().parents[2] / "shared/data/mnist"
DEBIAN_FASHION_MNIST = Path("/usr/share/datasets/fashion-mnist")
needs_mnist = pytest.mark.skipif(
    not SHARED_MNIST.is_dir(), reason=f"MNIST IDX files not found in {SHARED_MNIST}")
needs_fashion_mnist = pytest.mark.skipif(
    not DEBIAN_FASHION_MNIST.is_dir(),
    reason="Fashion-MNIST not installed: apt-get install dataset-fashion-mnist")


@pytest.fixture(scope="module")
def mnist():
    if not SHARED_MNIST.is_dir():
        pytest.skip(f"MNIST IDX files not found in {SHARED_MNIST}")
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("SSAAE_DATA_DIR", str(SHARED_MNIST))
        return load_dataset("mnist", download=False)


def copy_mnist(directory, files=IDX_FILES):
    directory.mkdir(parents=True, exist_ok=True)
    for file in files:
        shutil.copyfile(SHARED_MNIST / f"{file}.gz", directory / f"{file}.gz")
    return directory


def rewrite(path, change):
    """Re-gzip path with change applied to its uncompressed bytes."""
    path.write_bytes(gzip.compress(change(gzip.decompress(path.read_bytes()))))


class FakeMirrors:
    """Stands in for urlopen: answers each URL with bytes, or raises the exception it is given."""

    def __init__(self, answer):
        self.answer = answer
        self.urls, self.timeouts = [], []

    def __call__(self, url, timeout=None):
        self.urls.append(url)
        self.timeouts.append(timeout)
        answer = self.answer(url)
        if isinstance(answer, Exception):
            raise answer
        response = io.BytesIO(answer)
        response.headers = {"Content-Length": str(len(answer))}
        return response


def serve_shared_mnist(url):
    return (SHARED_MNIST / url.rsplit("/", 1)[1]).read_bytes()


# digits


def test_digits_splits_1797_images_into_1077_train_360_validation_360_test():
    data = load_dataset("digits")
    assert (data.X_train.shape, data.X_val.shape, data.X_test.shape) == (
        (1077, 64), (360, 64), (360, 64))
    assert (len(data.y_train), len(data.y_val), len(data.y_test)) == (1077, 360, 360)
    assert data.image_shape == (8, 8)


def test_digits_pixels_are_float32_in_unit_interval_and_labels_int64():
    data = load_dataset("digits")
    splits = [(data.X_train, data.y_train), (data.X_val, data.y_val), (data.X_test, data.y_test)]
    for X, y in splits:
        assert X.dtype == np.float32 and y.dtype == np.int64
        assert X.min() == 0 and X.max() == 1
        assert set(np.unique(y)) == set(range(10))


def test_digits_split_is_stratified():
    data = load_dataset("digits")
    assert np.bincount(data.y_test).min() >= 35 and np.bincount(data.y_test).max() <= 37
    assert np.bincount(data.y_val).min() >= 35 and np.bincount(data.y_val).max() <= 37


def test_digits_split_is_the_same_on_every_load():
    first, second = load_dataset("digits"), load_dataset("digits")
    np.testing.assert_array_equal(first.X_train, second.X_train)
    np.testing.assert_array_equal(first.y_val, second.y_val)
    np.testing.assert_array_equal(first.X_test, second.X_test)


def test_unknown_name_raises_value_error_listing_known_names():
    with pytest.raises(ValueError, match="mnist, fashion-mnist, digits"):
        load_dataset("cifar10")


# MNIST from the IDX files


def test_mnist_splits_60000_training_images_into_50000_train_and_10000_validation(mnist):
    assert mnist.X_train.shape == (50_000, 784) and mnist.y_train.shape == (50_000,)
    assert mnist.X_val.shape == (10_000, 784) and mnist.y_val.shape == (10_000,)
    assert mnist.X_test.shape == (10_000, 784) and mnist.y_test.shape == (10_000,)
    assert mnist.image_shape == (28, 28)


def test_mnist_pixels_are_float32_in_unit_interval_and_labels_int64(mnist):
    for X in (mnist.X_train, mnist.X_val, mnist.X_test):
        assert X.dtype == np.float32 and X.min() == 0 and X.max() == 1
    for y in (mnist.y_train, mnist.y_val, mnist.y_test):
        assert y.dtype == np.int64


def test_mnist_first_training_label_is_5_and_every_digit_is_common(mnist):
    assert mnist.y_train[0] == 5
    assert np.bincount(mnist.y_train, minlength=10).min() > 4_000
    assert np.bincount(mnist.y_val, minlength=10).min() > 800
    assert np.bincount(mnist.y_test, minlength=10).min() > 800


def test_mnist_labels_follow_the_idx_files_in_order(mnist):
    def labels(file):
        return np.frombuffer(gzip.decompress((SHARED_MNIST / file).read_bytes())[8:], np.uint8)

    train_labels = labels("train-labels-idx1-ubyte.gz")
    np.testing.assert_array_equal(mnist.y_train, train_labels[:50_000])
    np.testing.assert_array_equal(mnist.y_val, train_labels[50_000:])
    np.testing.assert_array_equal(mnist.y_test, labels("t10k-labels-idx1-ubyte.gz"))


def test_plain_and_gzipped_idx_files_load_alike(mnist, tmp_path):
    copy_mnist(tmp_path)
    for file in ("train-labels-idx1-ubyte", "t10k-images-idx3-ubyte"):
        gzipped = tmp_path / f"{file}.gz"
        (tmp_path / file).write_bytes(gzip.decompress(gzipped.read_bytes()))
        gzipped.unlink()
    mixed = load_dataset("mnist", data_dir=tmp_path, download=False)
    np.testing.assert_array_equal(mixed.y_train, mnist.y_train)
    np.testing.assert_array_equal(mixed.X_test, mnist.X_test)


@needs_mnist
@pytest.mark.parametrize("change, message", [
    (lambda content: content[:-9] + bytes([content[-9] ^ 1]) + content[-8:], "corrupt"),
    (lambda content: b"\x00\x00\x09" + content[3:], "magic"),
    (lambda content: content[:-100], "truncated"),
], ids=["flipped byte", "bad magic", "truncated"])
def test_damaged_idx_file_is_refused_with_its_path(tmp_path, change, message):
    damaged = copy_mnist(tmp_path) / "t10k-labels-idx1-ubyte.gz"
    rewrite(damaged, change)
    with pytest.raises(ValueError, match=message) as error:
        load_dataset("mnist", data_dir=tmp_path, download=False)
    assert str(damaged) in str(error.value) and "\n" not in str(error.value)


@needs_mnist
def test_file_that_is_not_gzip_is_refused_with_its_path(tmp_path):
    broken = copy_mnist(tmp_path) / "train-labels-idx1-ubyte.gz"
    broken.write_bytes(b"not gzip at all")
    with pytest.raises(ValueError, match="cannot be read") as error:
        load_dataset("mnist", data_dir=tmp_path, download=False)
    assert str(broken) in str(error.value)


@needs_mnist
def test_mnist_files_given_as_fashion_mnist_are_recognised(tmp_path):
    (tmp_path / "fashion-mnist").symlink_to(SHARED_MNIST)
    with pytest.raises(ValueError, match="is mnist's train-images-idx3-ubyte, not fashion-mnist"):
        load_dataset("fashion-mnist", data_dir=tmp_path, download=False)


def test_missing_files_without_download_raise_file_not_found_naming_files_and_folder(tmp_path):
    with pytest.raises(FileNotFoundError) as error:
        load_dataset("mnist", data_dir=tmp_path, download=False)
    message = str(error.value)
    assert all(file in message for file in IDX_FILES)
    assert str(tmp_path / "mnist") in message and "$SSAAE_DATA_DIR" in message
    assert "\n" not in message


@needs_mnist
def test_one_missing_file_is_named_with_the_folder_holding_the_others(tmp_path):
    copy_mnist(tmp_path, files=IDX_FILES[:1] + IDX_FILES[2:])
    with pytest.raises(FileNotFoundError, match="missing train-labels-idx1-ubyte ") as error:
        load_dataset("mnist", data_dir=tmp_path, download=False)
    assert f"in {tmp_path} " in str(error.value)


@needs_mnist
def test_data_dir_argument_wins_over_SSAAE_DATA_DIR(tmp_path, monkeypatch):
    monkeypatch.setenv("SSAAE_DATA_DIR", str(SHARED_MNIST))
    with pytest.raises(FileNotFoundError, match=re.escape(str(tmp_path))):
        load_dataset("mnist", data_dir=tmp_path, download=False)


def test_data_folder_defaults_to_data_in_the_working_directory(tmp_path):
    with pytest.raises(FileNotFoundError, match=re.escape(str(Path("data") / "mnist"))):
        load_dataset("mnist", download=False)


# downloading, with the network faked


def test_download_fetches_only_missing_files_with_a_short_timeout(mnist, tmp_path, monkeypatch):
    copy_mnist(tmp_path, files=IDX_FILES[:1] + IDX_FILES[2:])
    mirrors = FakeMirrors(serve_shared_mnist)
    monkeypatch.setattr(datasets, "urlopen", mirrors)
    data = load_dataset("mnist", data_dir=tmp_path)
    assert mirrors.urls == [datasets._MIRRORS["mnist"][0] + "train-labels-idx1-ubyte.gz"]
    assert all(0 < timeout <= 10 for timeout in mirrors.timeouts)
    assert (tmp_path / "train-labels-idx1-ubyte.gz").is_file()
    np.testing.assert_array_equal(data.y_train, mnist.y_train)


@needs_mnist
def test_download_falls_back_to_the_next_mirror(tmp_path, monkeypatch):
    copy_mnist(tmp_path, files=IDX_FILES[:3])
    first, second = datasets._MIRRORS["mnist"]
    mirrors = FakeMirrors(
        lambda url: URLError("no route") if url.startswith(first) else serve_shared_mnist(url))
    monkeypatch.setattr(datasets, "urlopen", mirrors)
    data = load_dataset("mnist", data_dir=tmp_path)
    assert [url.split("/mnist/")[0] + "/mnist/" for url in mirrors.urls] == [first, second]
    assert len(data.y_test) == 10_000


@needs_mnist
def test_download_of_the_wrong_file_is_deleted_and_reported(tmp_path, monkeypatch):
    copy_mnist(tmp_path, files=IDX_FILES[:3])
    wrong = (SHARED_MNIST / "train-labels-idx1-ubyte.gz").read_bytes()
    monkeypatch.setattr(datasets, "urlopen", FakeMirrors(lambda url: wrong))
    with pytest.raises(FileNotFoundError, match="download failed: .*md5"):
        load_dataset("mnist", data_dir=tmp_path)
    assert sorted(path.name for path in tmp_path.iterdir()) == sorted(
        f"{file}.gz" for file in IDX_FILES[:3])


def test_unreachable_mirrors_raise_file_not_found_not_a_network_error(tmp_path, monkeypatch):
    mirrors = FakeMirrors(lambda url: TimeoutError("timed out"))
    monkeypatch.setattr(datasets, "urlopen", mirrors)
    with pytest.raises(FileNotFoundError, match="download failed: .*timed out") as error:
        load_dataset("mnist", data_dir=tmp_path)
    assert "\n" not in str(error.value)
    assert len(mirrors.urls) == len(datasets._MIRRORS["mnist"])  # each dead mirror asked once
    assert not any((tmp_path / "mnist").iterdir())


# Fashion-MNIST from Debian's package


@needs_fashion_mnist
def test_fashion_mnist_loads_from_the_debian_package(tmp_path):
    data = load_dataset("fashion-mnist", data_dir=tmp_path, download=False)
    assert (len(data.X_train), len(data.X_val), len(data.X_test)) == (50_000, 10_000, 10_000)
    assert data.X_train.dtype == np.float32 and data.X_train.min() == 0 and data.X_train.max() == 1
    # Fashion-MNIST is balanced: 6000 training and 1000 test images of each of 10 classes.
    assert (np.bincount(np.concatenate([data.y_train, data.y_val])) == 6_000).all()
    assert (np.bincount(data.y_test) == 1_000).all()


# available_datasets


@needs_mnist
def test_available_datasets_finds_mnist_verified_in_a_subfolder_of_the_data_folder():
    status = {entry.name: entry for entry in available_datasets(SHARED_MNIST.parent)}
    assert list(status) == ["mnist", "fashion-mnist", "digits"]
    assert status["mnist"].available and status["mnist"].verified
    assert status["mnist"].directory == SHARED_MNIST
    assert status["digits"].available and status["digits"].verified


def test_available_datasets_reports_mnist_missing_in_an_empty_folder(tmp_path):
    status = {entry.name: entry for entry in available_datasets(tmp_path)}
    assert not status["mnist"].available and not status["mnist"].verified
    assert status["mnist"].missing == list(IDX_FILES)
    assert status["fashion-mnist"].available == DEBIAN_FASHION_MNIST.is_dir()
    assert not any(tmp_path.iterdir())


@needs_mnist
def test_available_datasets_reports_a_corrupt_file_as_unverified(tmp_path):
    damaged = copy_mnist(tmp_path) / "t10k-labels-idx1-ubyte.gz"
    rewrite(damaged, lambda content: content[:-1] + bytes([content[-1] ^ 1]))
    mnist_status = available_datasets(tmp_path)[0]
    assert mnist_status.available and not mnist_status.verified
    assert str(damaged) in mnist_status.problem


# make_semisupervised

Y = np.repeat(np.arange(10), 50)


def labeled_counts(y_semi):
    return np.bincount(y_semi[y_semi != -1], minlength=10)


def test_make_semisupervised_keeps_the_same_number_of_labels_per_class():
    y_semi = make_semisupervised(Y, n_labeled=100, random_state=0)
    assert (labeled_counts(y_semi) == 10).all()
    assert (y_semi == -1).sum() == 400


def test_make_semisupervised_gives_the_remainder_one_each_to_distinct_classes():
    counts = labeled_counts(make_semisupervised(Y, n_labeled=23, random_state=0))
    assert sorted(counts.tolist()) == [2] * 7 + [3] * 3


def test_make_semisupervised_draws_the_classes_given_the_remainder_at_random():
    favoured = {
        tuple(np.flatnonzero(labeled_counts(make_semisupervised(Y, 23, random_state=seed)) == 3))
        for seed in range(5)
    }
    assert len(favoured) > 1


def test_make_semisupervised_is_reproducible_from_the_seed():
    np.testing.assert_array_equal(make_semisupervised(Y, 23, random_state=1),
                                  make_semisupervised(Y, 23, random_state=1))


def test_make_semisupervised_differs_with_another_seed():
    assert (make_semisupervised(Y, 23, random_state=1)
            != make_semisupervised(Y, 23, random_state=2)).any()


def test_make_semisupervised_keeps_labels_of_labeled_rows_and_leaves_y_unchanged():
    y = np.random.default_rng(0).permutation(Y).astype(np.int32)
    original = y.copy()
    y_semi = make_semisupervised(y, n_labeled=30, random_state=0)
    labeled = y_semi != -1
    assert y_semi.dtype == np.int64
    np.testing.assert_array_equal(y_semi[labeled], y[labeled])
    np.testing.assert_array_equal(y, original)


def test_make_semisupervised_handles_string_labels():
    y = np.array(["cat", "dog", "fox"] * 20)
    y_semi = make_semisupervised(y, n_labeled=9, random_state=0)
    assert y_semi.dtype == object
    labeled = y_semi != -1
    assert labeled.sum() == 9
    assert sorted(y_semi[labeled]) == ["cat"] * 3 + ["dog"] * 3 + ["fox"] * 3
    assert (y_semi[labeled] == y[labeled]).all()


@pytest.mark.parametrize("y, n_labeled, message", [
    (Y, 9, "between the number of classes"),
    (Y, 501, "between the number of classes"),
    (np.array([0] * 50 + [1] * 2), 10, "class 1 has 2 rows"),
    (Y.reshape(50, 10), 10, "one-dimensional"),
    (np.array([0, 1, -1, 1, 0]), 2, "already holds unlabeled"),
], ids=["fewer than classes", "more than rows", "rare class", "two-dimensional", "already -1"])
def test_make_semisupervised_rejects_impossible_requests(y, n_labeled, message):
    with pytest.raises(ValueError, match=message):
        make_semisupervised(y, n_labeled, random_state=0)
