"""What the benchmarks record beside their results: the code's git revision."""

import subprocess

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
