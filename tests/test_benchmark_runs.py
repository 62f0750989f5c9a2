"""What the benchmarks record beside their results: the code's git revision and the machine."""

import subprocess

import pytest

from ssaae import benchmark_runs
from ssaae.benchmark_runs import _git_revision


def test_git_revision_flags_changed_package_code_but_not_changed_results(tmp_path):
    def git(*args):
        return subprocess.run(["git", "-C", tmp_path, *args], capture_output=True, text=True, check=True).stdout

    (tmp_path / "ssaae").mkdir()
    (tmp_path / "ssaae/code.py").write_text("a = 1\n")
    (tmp_path / "results.md").write_text("| 1 |\n")
    git("init", "-q")
    git("add", ".")
    git("-c", "user.name=t", "-c", "user.email=t@t", "commit", "-qm", "first")
    commit = git("rev-parse", "--short", "HEAD").strip()

    (tmp_path / "results.md").write_text("| 2 |\n")  # a benchmark rewriting its own table
    assert _git_revision(tmp_path) == f"git {commit}"
    (tmp_path / "ssaae/code.py").write_text("a = 2\n")
    assert _git_revision(tmp_path) == f"git {commit}, with uncommitted changes to ssaae/"


@pytest.mark.parametrize("native, words", [(True, "with native bf16"), (False, "without native bf16")])
def test_machine_description_says_whether_auto_precision_trains_in_bf16(monkeypatch, native, words):
    monkeypatch.setattr(benchmark_runs, "native_bf16", lambda device: native)
    assert f", {words}, " in benchmark_runs.machine_description()
