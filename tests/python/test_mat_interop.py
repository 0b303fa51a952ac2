"""MAT files written by nn-core read exactly in SciPy, and SciPy's read exactly in nn-core.

Needs: numpy, scipy, pytest; cargo on PATH (builds the `mat-interop` helper of
the nn-tools crate). The course-figures check needs the course's ex4weights.mat (the
`course_weights` fixture of tests/conftest.py: NN_EX4_COURSE_WEIGHTS or data/).

    pytest tests/python/test_mat_interop.py
"""

import json
import subprocess
from pathlib import Path

import numpy as np
import pytest
import scipy.io as sio

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="session")
def tool():
    """Builds tools/src/bin/mat-interop.rs and returns the executable's path."""
    out = subprocess.run(
        ["cargo", "build", "--release", "-q", "-p", "nn-tools", "--bin", "mat-interop",
         "--message-format=json"],
        cwd=REPO, check=True, capture_output=True, text=True,
    ).stdout
    for line in out.splitlines():
        msg = json.loads(line)
        if msg.get("reason") == "compiler-artifact" and msg.get("executable") \
                and msg["target"]["name"] == "mat-interop":
            return msg["executable"]
    raise AssertionError("cargo did not report the mat-interop executable")


def run(tool, *args, ok=True):
    p = subprocess.run([tool, *map(str, args)], capture_output=True, text=True, check=False)
    assert (p.returncode == 0) == ok, f"exit {p.returncode}: {p.stdout}{p.stderr}"
    return p.stdout.strip()


def from_bits(entry):
    bits = np.array([int(h, 16) for h in entry["bits"]], dtype=np.uint64)
    return bits.view(np.float64).reshape(entry["shape"])


def same_bits(a, b):
    a = np.ascontiguousarray(a, dtype=np.float64)
    b = np.ascontiguousarray(b, dtype=np.float64)
    return a.shape == b.shape and np.array_equal(a.view(np.uint64), b.view(np.uint64))


def test_rust_writes_scipy_reads_bit_exact(tool, tmp_path):
    expected = json.loads(run(tool, "write-demo", tmp_path))
    assert set(expected) == {"demo.mat", "net.mat", "data.mat"}
    for fname, variables in expected.items():
        path = tmp_path / fname
        info = {name: (shape, cls) for name, shape, cls in sio.whosmat(path)}
        assert set(info) == set(variables), fname
        loaded = sio.loadmat(path)
        for name, entry in variables.items():
            assert info[name] == (tuple(entry["shape"]), "double"), (fname, name)
            assert loaded[name].dtype == np.float64
            assert same_bits(loaded[name], from_bits(entry)), (fname, name)
    # Variables keep their order (Theta1 before Theta2 ...).
    assert [n for n, _, _ in sio.whosmat(tmp_path / "net.mat")] == ["Theta1", "Theta2", "Theta3"]


def test_writes_are_deterministic(tool, tmp_path):
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    run(tool, "write-demo", tmp_path / "a")
    run(tool, "write-demo", tmp_path / "b")
    for f in ["demo.mat", "net.mat", "data.mat"]:
        assert (tmp_path / "a" / f).read_bytes() == (tmp_path / "b" / f).read_bytes(), f
    assert sorted(p.name for p in (tmp_path / "a").iterdir()) == ["data.mat", "demo.mat", "net.mat"]


@pytest.mark.parametrize("compress", [True, False])
def test_scipy_writes_rust_reads_bit_exact(tool, tmp_path, compress):
    rng = np.random.default_rng(7)
    special = np.array([[0.1, -0.0, 5e-324, 1.7976931348623157e308], [np.pi, -1e-300, 1 / 3, 2.0 ** -1074 * 3]])
    variables = {
        "X": rng.standard_normal((13, 400)),
        "y": rng.integers(1, 11, size=(13, 1)).astype(np.float64),
        "Theta1": np.asfortranarray(rng.uniform(-0.12, 0.12, (25, 401))),
        "special": special,
        "one": np.array([[42.0]]),
        "row": np.arange(9, dtype=np.float64).reshape(1, 9) / 7,
    }
    path = tmp_path / "scipy.mat"
    sio.savemat(path, variables, do_compression=compress)
    got = json.loads(run(tool, "dump", path))
    assert set(got) == set(variables)
    for name, value in variables.items():
        assert same_bits(from_bits(got[name]), value), name


def test_scipy_saved_dataset_and_network_load(tool, tmp_path):
    rng = np.random.default_rng(1)
    X = rng.uniform(-0.1, 1.1, (30, 400))
    y = np.tile(np.array([10, 1, 2, 3, 4, 5, 6, 7, 8, 9], dtype=np.float64), 3).reshape(30, 1)
    sio.savemat(tmp_path / "d.mat", {"X": X, "y": y})
    assert run(tool, "load-dataset", tmp_path / "d.mat") == "ok 30 400 [3, 3, 3, 3, 3, 3, 3, 3, 3, 3]"
    # uint8 labels are fine too.
    sio.savemat(tmp_path / "u8.mat", {"X": X, "y": y.astype(np.uint8)})
    assert run(tool, "load-dataset", tmp_path / "u8.mat").startswith("ok 30 400")
    sio.savemat(tmp_path / "w.mat", {"Theta1": rng.normal(size=(25, 401)), "Theta2": rng.normal(size=(10, 26))})
    assert run(tool, "load-network", tmp_path / "w.mat") == "ok [400, 25, 10]"


def test_int32_labels_load(tool, tmp_path):
    """SciPy saves Python ints as int32: the kit's own reader takes them (matfile could not)."""
    X = np.zeros((4, 400))
    y = np.array([[10], [1], [2], [3]], dtype=np.int32)
    path = tmp_path / "int32.mat"
    sio.savemat(path, {"X": X, "y": y})
    assert run(tool, "load-dataset", path) == "ok 4 400 [1, 1, 1, 0, 0, 0, 0, 0, 0, 1]"
    # Labels out of range are still named, with their row.
    sio.savemat(path, {"X": X, "y": np.array([[10], [1], [11], [3]], dtype=np.int32)})
    msg = run(tool, "load-dataset", path, ok=False)
    assert "int32.mat" in msg and "row 3" in msg and "11" in msg, msg


def test_transposed_theta_and_missing_variable_messages(tool, tmp_path):
    rng = np.random.default_rng(2)
    sio.savemat(tmp_path / "t.mat", {"Theta1": rng.normal(size=(401, 25)), "Theta2": rng.normal(size=(10, 26))})
    msg = run(tool, "load-network", tmp_path / "t.mat", ok=False)
    assert "t.mat" in msg and "Theta2" in msg and "wrong shape" in msg, msg
    sio.savemat(tmp_path / "m.mat", {"X": np.zeros((2, 400)), "labels": np.ones((2, 1))})
    msg = run(tool, "load-dataset", tmp_path / "m.mat", ok=False)
    assert "`y`" in msg and "X, labels" in msg, msg


def test_bundled_digits_in_numpy_have_the_course_layout():
    m = sio.loadmat(REPO / "data" / "digits.mat")
    X, y = m["X"], m["y"]
    assert X.shape == (5000, 400) and X.dtype == np.float64
    assert y.shape == (5000, 1) and y.dtype == np.float64
    assert list(y[::500, 0]) == [10, 1, 2, 3, 4, 5, 6, 7, 8, 9]
    mt = sio.loadmat(REPO / "data" / "digits-test.mat")
    assert mt["X"].shape == (5000, 400) and set(mt["y"][:, 0]) == set(range(1, 11))


def test_bundled_digits_in_numpy_give_the_course_figures(course_weights):
    """An independent NumPy check of data/digits.mat with the course's weights."""
    m = sio.loadmat(REPO / "data" / "digits.mat")
    X, y = m["X"], m["y"]
    w = sio.loadmat(course_weights)
    t1, t2 = w["Theta1"], w["Theta2"]
    sig = lambda z: 1 / (1 + np.exp(-z))
    a2 = sig(np.c_[np.ones(5000), X] @ t1.T)
    h = sig(np.c_[np.ones(5000), a2] @ t2.T)
    pred = h.argmax(axis=1) + 1
    assert np.mean(pred == y[:, 0]) == pytest.approx(0.9752, abs=1e-12)
    Y = np.eye(10)[y[:, 0].astype(int) - 1]
    J = -np.sum(Y * np.log(h) + (1 - Y) * np.log(1 - h)) / 5000
    assert J == pytest.approx(0.287676, abs=1e-6)
    assert abs(J - 0.287629) < 1e-3
