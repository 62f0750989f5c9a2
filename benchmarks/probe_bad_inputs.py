"""Bad inputs and faults sent through the real ``ssaae`` command, each in its own process: how many
end in a clean one-line ``Error: ...`` with a non-zero exit, and what the others printed.

    python benchmarks/probe_bad_inputs.py

Needs no data beyond scikit-learn's digits; as root it mounts a read-only tmpfs for the
read-only folder cases (elsewhere a chmod-ed folder). Takes a few minutes on 2 cores.
"""

import os
import subprocess
import tempfile
from pathlib import Path

import numpy as np
import pandas as pd
import torch
from tqdm import tqdm

ENV = {**os.environ, "OMP_NUM_THREADS": "1"}
T = ["--param", "hidden_layer_sizes=(16,)", "--param", "discriminator_layer_sizes=(16,)", "--epochs", "1", "--quiet"]


def ssaae(*args):
    return subprocess.run(["ssaae", *args], capture_output=True, text=True, env=ENV, timeout=300, check=False)


def make_inputs():
    """The files the cases read, in the working directory; returns the read-only folder's unmount."""
    assert ssaae("fit", "digits", *T, "--out", "good.pt").returncode == 0
    assert ssaae("cluster", "digits", *T, "--out", "c.csv", "--model-out", "clusters.pt").returncode == 0
    X = np.random.default_rng(0).random((20, 64), dtype=np.float32)
    pd.DataFrame(X, columns=[f"x{i}" for i in range(64)]).assign(label=[0, 1] * 10).to_csv("ok.csv", index=False)
    Path("header.csv").write_text("x0,x1,label\n")
    Path("text.csv").write_text("a,b,label\n1,red,0\n2,blue,1\n")
    Path("nolabel.csv").write_text("a,b\n1,2\n3,4\n")
    Path("bad.csv").write_bytes(b"\xff\xfe\x00garbage\x00\n")
    Path("one.csv").write_text("a,b,label\n1,2,x\n3,4,-1\n")
    np.save("wide.npy", np.zeros((5, 10)))
    np.save("three_d.npy", np.zeros((2, 2, 2)))
    np.save("strings.npy", np.array([["a", "b"]]))
    Path("fake.npy").write_text("not npy")
    Path("fake.pt").write_text("not a model")
    good = Path("good.pt").read_bytes()
    Path("cut.pt").write_bytes(good[: len(good) // 2])
    Path("empty.pt").write_bytes(b"")
    changes = {"lacks": lambda state: state.pop("feature_mean_"),
               "wrongtype": lambda state: state.update(n_features_in_="x"),
               "badparam": lambda state: state.update(style_dim=-1),
               "nostate": lambda state: state["model_"].pop("state")}
    for name, change in changes.items():
        content = torch.load("good.pt", weights_only=True)
        change(content["state"])
        torch.save(content, f"crafted-{name}.pt")
    torch.save({"format": "ssaae-model", "version": 99}, "v99.pt")
    torch.save([1, 2, 3], "list.pt")
    Path("afile").write_text("x")
    Path("ro").mkdir()
    if os.geteuid() == 0 and subprocess.run(["mount", "-t", "tmpfs", "-o", "ro", "tmpfs", "ro"],
                                            check=False).returncode == 0:
        return lambda: subprocess.run(["umount", "ro"], check=True)
    Path("ro").chmod(0o555)
    return lambda: None


def cases():
    params = ["style_dim=abc", "style_dim=2.5", "style_dim=-2", "style_dim=0", "reconstruction_lr=fast", "reconstruction_lr=0",
              "batch_size=2.5", "batch_size=0", "learning_rate_drops=5", "learning_rate_drops=(1.5,)", "device=tpu", "device=cuda",
              "device=cuda:3", "hidden_layer_sizes=(100000000,)", "hidden_layer_sizes=()", "hidden_layer_sizes=abc",
              "discriminator_layer_sizes=(0,)", "input_noise=-1", "input_noise=nan", "consistency_weight=-1", "consistency_radius=-1",
              "consistency_rampup=-1", "consistency_rampup=1.5", "consistency_ramp=cosine", "balance_weight=-1", "optimizer=rmsprop",
              "learning_rate_decay=2", "labeled_batch_size=0", "precision=fp16", "reconstruction_loss=l1", "batch_norm=maybe",
              "random_state=abc", "max_iter=0", "verbose=loud", "no_such_param=1", "noequals"]
    cases = [["fit", "digits", "--param", p] for p in params]
    cases += [["cluster", "digits", "--out", "x.csv", "--param", p] for p in params]
    cases += [
        ["fit", "digits", "--epochs", "0"], ["fit", "digits", "--epochs", "-1"], ["fit", "digits", "--seed", "abc"],
        ["fit", "digits", "--labels", "0"], ["fit", "digits", "--labels", "100000"], ["fit", "digits", "--labels", "5"],
        ["fit", "mnsit"], ["fit", "absent.csv"], ["fit", "header.csv"], ["fit", "text.csv"], ["fit", "nolabel.csv"],
        ["fit", "bad.csv"], ["fit", "one.csv", *T], ["fit", "three_d.npy"], ["fit", "strings.npy"], ["fit", "fake.npy"],
        ["fit", "ok.csv", "--label-column", "y"], ["fit", "ok.txt"], ["fit", "ok.csv", "--compare"],
        ["fit", "digits", "--out", "absent/m.pt"], ["fit", "digits", "--out", "ro/m.pt"], ["fit", "digits", "--out", "afile/m.pt"],
        ["fit", "digits", "--out", "ro"], ["fit", "mnist", "--data-dir", "ro"],
        ["predict", "clusters.pt", "wide.npy"], ["predict", "good.pt", "wide.npy"], ["predict", "fake.pt", "ok.csv"],
        ["predict", "cut.pt", "ok.csv"], ["predict", "empty.pt", "ok.csv"], ["predict", "absent.pt", "ok.csv"],
        ["predict", "v99.pt", "ok.csv"], ["predict", "list.pt", "ok.csv"], ["predict", "ok.csv", "ok.csv"],
        *[["predict", f"crafted-{n}.pt", "ok.csv"] for n in ("lacks", "wrongtype", "badparam", "nostate")],
        ["predict", "good.pt", "header.csv"], ["predict", "good.pt", "text.csv"], ["predict", "good.pt", "absent.csv"],
        ["predict", "good.pt", "ok.csv", "--out", "ro/p.csv"], ["predict", "good.pt", "ok.csv", "--out", "absent/p.csv"],
        ["score", "good.pt", "wide.npy"], ["score", "cut.pt", "ok.csv"], ["score", "absent.pt", "ok.csv"],
        ["score", "good.pt", "text.csv"], ["score", "good.pt", "ok.csv", "--out", "ro/s.csv"],
        ["cluster", "digits", "--clusters", "0", "--out", "x.csv"], ["cluster", "digits", "--out", "ro/x.csv"],
        ["cluster", "digits", "--out", "x.csv", "--model-out", "absent/m.pt"], ["cluster", "header.csv", "--out", "x.csv"],
        ["cluster", "digits"],
        ["sample", "fake.pt", "--out", "s.png"], ["sample", "good.pt", "--out", "absent/s.png"], ["sample", "good.pt", "--out", "s.png", "--styles", "0"],
        ["sample", "good.pt", "--out", "s.png", "--image-shape", "3x3"], ["sample", "good.pt", "--out", "s.png", "--image-shape", "abc"],
        ["plot", "style-space", "good.pt", "wide.npy", "--out", "p.png"], ["plot", "reconstructions", "good.pt", "wide.npy", "--out", "p.png"],
        ["plot", "clusters", "cut.pt", "digits", "--out", "p.png"], ["plot", "nothing"], ["nothing"],
        ["bench", "label-efficiency", "--dataset", "mnsit"], ["bench", "label-efficiency", "--dataset", "digits", "--methods", "nope"],
        ["bench", "label-efficiency", "--dataset", "digits", "--param", "max_iter=3"], ["bench", "label-efficiency", "--dataset", "digits", "--param", "style_dim=abc"],
        ["bench", "label-efficiency", "--dataset", "digits", "--labels", "5"], ["bench", "clustering", "--dataset", "digits", "--param", "n_clusters=3"],
        ["bench", "clustering", "--dataset", "digits", "--out", "ro/x"], ["bench", "throughput", "--dataset", "mnsit"],
        ["bench", "throughput", "--device", "tpu"], ["bench", "plot", "absent.csv", "--out", "p.png"], ["bench", "plot", "ok.csv", "--out", "p.png"],
    ]
    return cases


def main():
    with tempfile.TemporaryDirectory() as folder:
        os.chdir(folder)
        unmount = make_inputs()
        try:
            results = [(case, ssaae(*case)) for case in tqdm(cases(), desc="bad inputs")]
        finally:
            unmount()
    others = []
    for case, result in results:
        lines = result.stderr.strip().splitlines()
        if not (result.returncode != 0 and len(lines) == 1 and lines[0].startswith("Error: ")):
            others.append((case, result))
    print(f"{len(results)} bad inputs, {len(results) - len(others)} clean one-line errors, {len(others)} others")
    for case, result in others:
        print(" ".join(case), "-> exit", result.returncode, "|", result.stderr[-300:].replace("\n", " | "))


if __name__ == "__main__":
    main()
