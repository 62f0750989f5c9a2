"""What the benchmarks record beside their results: runs.csv files, including those written before
a column was added, the code's git revision and the machine."""

import subprocess

import pytest

from ssaae import benchmark_runs
from ssaae.benchmark_runs import RunsFile, _git_revision

RUNS = RunsFile("demo", {"method": str, "error": float, "extra": float, "finished_at": str}, optional=("extra",))


def test_a_runs_csv_written_before_an_optional_column_was_added_reads_it_as_empty_and_keeps_its_columns(tmp_path):
    old = tmp_path / "runs.csv"
    old.write_text("method,error,finished_at\na,1.5,t1\n")
    RUNS.append(old, {"method": "b", "error": 2.5, "extra": 7.0, "finished_at": "t2"})
    assert old.read_text() == "method,error,finished_at\na,1.5,t1\nb,2.5,t2\n"
    runs = RUNS.read(old)
    assert list(runs.columns) == ["method", "error", "extra", "finished_at"]
    assert runs["method"].tolist() == ["a", "b"] and runs["extra"].isna().all()


def test_a_new_runs_csv_has_every_column(tmp_path):
    RUNS.append(tmp_path / "runs.csv", {"method": "b", "error": 2.5, "extra": 7.0, "finished_at": "t2"})
    assert RUNS.read(tmp_path / "runs.csv").to_dict("records") == [
        {"method": "b", "error": 2.5, "extra": 7.0, "finished_at": "t2"}]


@pytest.mark.parametrize("header", ["method,finished_at", "error,method,extra,finished_at", "method,error,extra"])
def test_a_runs_csv_lacking_a_required_column_or_in_another_order_is_refused(tmp_path, header):
    (tmp_path / "runs.csv").write_text(header + "\n")
    with pytest.raises(ValueError, match="is not a demo runs.csv: its columns are "):
        RUNS.read(tmp_path / "runs.csv")


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
