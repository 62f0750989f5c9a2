"""Fixtures every test file shares."""

import pytest
import torch

from ssaae import datasets


@pytest.fixture(autouse=True)
def offline(monkeypatch, tmp_path):
    """No test downloads, sees the user's $SSAAE_DATA_DIR or ./data, or writes into the working directory."""
    def refuse(url, timeout=None):
        raise AssertionError(f"a test tried to download {url}")

    monkeypatch.setattr(datasets, "urlopen", refuse)
    monkeypatch.delenv("SSAAE_DATA_DIR", raising=False)
    monkeypatch.chdir(tmp_path)


@pytest.fixture(scope="module")
def one_torch_thread():
    """Tiny networks train fastest on one thread, and many times faster on busy cores."""
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


@pytest.fixture(scope="session")
def digits():
    """scikit-learn's digits in the train, validation and test splits of ``load_dataset``."""
    return datasets.load_dataset("digits")
