"""tools/numpy_baseline.py, the NumPy baseline of `make bench`: its cost and gradient are
right (finite differences on a small network), its fmincg minimizes, and its line protocol
answers as nn-core/examples/bench.rs expects. No timing is checked.

Needs: numpy, scipy, threadpoolctl (requirements.txt).
"""

import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO / "tools"))
import numpy_baseline as nb


def small_problem(seed=0):
    rng = np.random.default_rng(seed)
    X = rng.uniform(-1, 1, (7, 3)) * (rng.uniform(size=(7, 3)) < 0.6)
    y = np.array([1, 2, 3, 1, 2, 3, 2])
    theta1 = rng.uniform(-1, 1, (5, 4))
    theta2 = rng.uniform(-1, 1, (3, 6))
    return theta1, theta2, X, y


def test_gradient_matches_finite_differences():
    theta1, theta2, X, y = small_problem()
    for lam in (0.0, 1.5):
        _, g1, g2 = nb.nn_cost_function(theta1, theta2, X, y, 3, lam)
        for theta, grad in ((theta1, g1), (theta2, g2)):
            for idx in np.ndindex(theta.shape):
                e = 1e-5
                theta[idx] += e
                up = nb.nn_cost_function(theta1, theta2, X, y, 3, lam)[0]
                theta[idx] -= 2 * e
                down = nb.nn_cost_function(theta1, theta2, X, y, 3, lam)[0]
                theta[idx] += e
                assert abs((up - down) / (2 * e) - grad[idx]) < 1e-8


def test_fmincg_minimizes():
    d = np.arange(1.0, 6.0)
    x, fx, evaluations = nb.fmincg(lambda x: ((d * x * x).sum() / 2, d * x), np.ones(5), 40)
    assert np.abs(x).max() < 1e-6 and fx < 1e-10 and evaluations > 5
    theta1, theta2, X, y = small_problem(1)
    start = np.concatenate([theta1.ravel(order="F"), theta2.ravel(order="F")])
    first = nb.nn_cost_function(theta1, theta2, X, y, 3, 0.1)[0]
    final, evaluations = nb.train(start, (theta1.shape, theta2.shape), X, y, 3, 0.1, 20)
    assert final < first and evaluations >= 20


def test_serve_protocol(tmp_path):
    start = tmp_path / "start params.txt"  # a space in the path, on purpose
    w = nb.scipy.io.loadmat(REPO / "data/weights.mat")
    np.savetxt(start, np.concatenate([w["Theta1"].ravel(order="F"), w["Theta2"].ravel(order="F")]))
    script = REPO / "tools/numpy_baseline.py"
    out = subprocess.run(
        [sys.executable, str(script), "--serve", "--threads", "1"],
        input=f"time 2\ntrain 2 {start}\nquit\n", capture_output=True, text=True, timeout=300, check=True,
    ).stdout.splitlines()
    words = [line.split()[0] for line in out]
    assert words == ["info", "cost", "grad", "ready", "times", "trained"], out
    assert '"blas_threads": 1' in out[0]
    assert 0 < float(out[1].split()[1]) < 10
    assert len(out[2].split()) == 1 + 25 * 401 + 10 * 26
    assert len(out[4].split()) == 3
    _, secs, evaluations, final = out[5].split()
    assert float(secs) > 0 and int(evaluations) >= 2 and float(final) < float(out[1].split()[1])


def avx2_fma() -> bool:
    flags = next((l for l in Path("/proc/cpuinfo").read_text().splitlines() if l.startswith("flags")), "")
    return {"avx2", "fma"} <= set(flags.split())


@pytest.mark.skipif(not Path("/proc/cpuinfo").exists() or not avx2_fma(),
                    reason="--as-avx2 needs a processor with AVX2 and FMA")
def test_bench_as_avx2_forces_both_sides(tmp_path):
    """`make bench BENCH_ARGS=--as-avx2`: the kit runs its AVX2 kernel and NumPy's OpenBLAS
    its Haswell one, in the same run, and the AVX-512 variant is left out. (One short round:
    the figures are not checked, only what ran.)"""
    json_path = tmp_path / "bench.json"
    out = subprocess.run(
        ["cargo", "run", "--release", "-q", "-p", "nn-core", "--example", "bench", "--",
         "--as-avx2", "--rounds", "1", "--per-round", "1", "--train-rounds", "1",
         "--python", sys.executable, "--json", str(json_path)],
        cwd=REPO, capture_output=True, text=True, timeout=900, check=False,
        env={**os.environ, "OPENBLAS_CORETYPE": "Zen"},  # must be replaced, not inherited
    )
    assert out.returncode == 0, out.stderr[-3000:]
    lines = out.stdout.splitlines()
    kernel = next(l for l in lines if l.startswith("kernel:"))
    assert kernel.startswith("kernel: avx2 ") and "NN_CORE_KERNEL=avx2" in kernel, kernel
    numpy_line = next(l for l in lines if l.startswith("numpy:"))
    assert "kernel Haswell" in numpy_line and "forced: OPENBLAS_CORETYPE=Haswell" in numpy_line, numpy_line
    assert not any(l.startswith("cost_grad_avx512_ms") for l in lines), lines
    assert any(l.startswith("cost_grad_portable_ms") for l in lines), lines
    assert '"as_avx2": true' in json_path.read_text()
