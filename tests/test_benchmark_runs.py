"""What the benchmarks record beside their results: runs.csv files, the locks that let processes share
a results folder, the code's git revision and the machine."""

import fcntl
import os
import subprocess
import threading
import time
from pathlib import Path

import pytest

import ssaae
from ssaae import training
from ssaae.bench import runs as bench_runs
from ssaae.bench.runs import RunsFile, _git_revision, check_settings, estimator_settings, locked, write_results

RUNS = RunsFile("demo", {"method": str, "error": float, "extra": float, "finished_at": str}, key=("method",),
                optional=("extra",))


def test_a_new_runs_csv_has_every_column(tmp_path):
    RUNS.append(tmp_path / "runs.csv", {"method": "b", "error": 2.5, "extra": 7.0, "finished_at": "t2"})
    assert RUNS.read(tmp_path / "runs.csv").to_dict("records") == [
        {"method": "b", "error": 2.5, "extra": 7.0, "finished_at": "t2"}]


def test_an_optional_column_may_be_empty_and_any_other_marks_a_line_cut_short(tmp_path):
    (tmp_path / "runs.csv").write_text("method,error,extra,finished_at\na,1.5,,t1\nb,2.5,7.0,\n")
    runs = RUNS.read(tmp_path / "runs.csv")
    assert runs["method"].tolist() == ["a"] and runs["extra"].isna().all()


@pytest.mark.parametrize("header", ["method,error,finished_at", "method,finished_at", "error,method,extra,finished_at",
                                    "method,error,extra"])
def test_a_runs_csv_lacking_a_column_or_in_another_order_is_refused(tmp_path, header):
    (tmp_path / "runs.csv").write_text(header + "\n")
    with pytest.raises(ValueError, match="is not a demo runs.csv: its columns are "):
        RUNS.read(tmp_path / "runs.csv")


def test_a_runs_csv_with_a_repeated_header_line_reads_as_its_runs(tmp_path):
    header = "method,error,extra,finished_at\n"
    (tmp_path / "runs.csv").write_text(header + "a,1.5,,t1\n" + header + "b,2.5,7.0,t2\n")
    runs = RUNS.read(tmp_path / "runs.csv")
    assert runs[["method", "error"]].to_dict("records") == [{"method": "a", "error": 1.5},
                                                              {"method": "b", "error": 2.5}]
    assert RUNS.finished(tmp_path / "runs.csv") == {("a",), ("b",)}


def test_an_append_waits_for_the_lock_of_runs_csv_so_a_new_file_gets_one_header(tmp_path):
    row = {"method": "a", "error": 1.5, "extra": 2.0, "finished_at": "t1"}
    writers = [threading.Thread(target=RUNS.append, args=(tmp_path / "runs.csv", row)) for _ in range(2)]
    with locked(tmp_path / "runs.csv"):
        for writer in writers:
            writer.start()
        time.sleep(0.5)
        assert all(writer.is_alive() for writer in writers)
        assert (tmp_path / "runs.csv").read_text() == ""
    for writer in writers:
        writer.join(timeout=30)
    assert (tmp_path / "runs.csv").read_text().splitlines() == ["method,error,extra,finished_at", "a,1.5,2.0,t1",
                                                                 "a,1.5,2.0,t1"]


def test_locked_without_waiting_yields_none_while_another_holds_the_lock(tmp_path):
    with open(tmp_path / ".run.lock", "w") as other:
        fcntl.flock(other, fcntl.LOCK_EX)
        with locked(tmp_path / ".run.lock", wait=False) as held:
            assert held is None
    with locked(tmp_path / ".run.lock", wait=False) as held:
        assert held is not None


def test_results_md_is_replaced_whole_and_leaves_no_temporary_file(tmp_path):
    (tmp_path / "results.md").write_text("old table\n")
    write_results(tmp_path, RUNS, lambda runs: [f"# {len(runs)} runs", ""], "ssaae bench demo")
    assert (tmp_path / "results.md").read_text().startswith("# 0 runs\n\n## How these were produced")
    assert sorted(path.name for path in tmp_path.iterdir()) == ["results.md", "runs.csv"]


@pytest.mark.parametrize("name, write", [
    ("results.md", lambda folder: write_results(folder, RUNS, lambda runs: ["# new table"], "ssaae bench demo")),
    ("settings.json", lambda folder: check_settings(folder, {"aae": {"style_dim": "3"}}, finished_methods=set())),
])
def test_a_write_that_runs_out_of_disk_space_keeps_the_old_file_whole(tmp_path, monkeypatch, name, write):
    (tmp_path / name).write_text("{}\n")
    (tmp_path / "runs.csv").touch()

    def disk_full(descriptor):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "fsync", disk_full)
    with pytest.raises(OSError, match="No space left on device"):
        write(tmp_path)
    assert (tmp_path / name).read_text() == "{}\n"
    assert sorted(path.name for path in tmp_path.iterdir()) == sorted([name, "runs.csv"])


def test_the_git_revision_is_read_from_the_folder_holding_the_package():
    assert bench_runs._CHECKOUT == Path(ssaae.__file__).resolve().parent.parent


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
    monkeypatch.setattr(bench_runs, "native_bf16", lambda device: native)
    assert f", {words}, " in bench_runs.machine_description()


@pytest.mark.parametrize("available, ending", [(True, ", GPU: Fake H200"), (False, " x86_64")])
def test_machine_description_names_the_gpu_that_auto_device_trains_on(monkeypatch, available, ending):
    monkeypatch.setattr(bench_runs.platform, "machine", lambda: "x86_64")
    monkeypatch.setattr(bench_runs.torch.cuda, "is_available", lambda: available)
    monkeypatch.setattr(bench_runs.torch.cuda, "get_device_name", lambda: "Fake H200")
    assert bench_runs.machine_description().endswith(ending)


def test_a_folder_of_auto_precision_runs_from_a_bf16_machine_is_not_resumed_on_an_fp32_one(tmp_path, monkeypatch):
    monkeypatch.setattr(training, "native_bf16", lambda device: True)
    check_settings(tmp_path, {"aae": estimator_settings(ssaae.AAEClustering(device="cpu"))}, finished_methods=set())
    monkeypatch.setattr(training, "native_bf16", lambda device: False)
    with pytest.raises(ValueError, match="has aae runs with precision='bf16', not 'fp32'"):
        check_settings(tmp_path, {"aae": estimator_settings(ssaae.AAEClustering(device="cpu"))},
                       finished_methods={"aae"})


def test_a_folder_recorded_before_the_precision_was_resolved_resumes_and_records_it(tmp_path):
    check_settings(tmp_path, {"aae": {"precision": "'auto'"}}, finished_methods=set())
    check_settings(tmp_path, {"aae": {"precision": "'bf16'"}}, finished_methods={"aae"})
    with pytest.raises(ValueError, match="has aae runs with precision='bf16', not 'fp32'"):
        check_settings(tmp_path, {"aae": {"precision": "'fp32'"}}, finished_methods={"aae"})
