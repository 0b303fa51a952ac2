"""The NumPy baseline of `make bench`: the exercise's vectorized cost + gradient in NumPy.

The code is the seeds' straightforward vectorized version (the one a student writes from
the lecture): a1 = [1 X], z2 = a1 Theta1', a2 = [1 g(z2)], h = g(a2 Theta2'), J with the
one-hot Y, delta3 = h - Y, delta2 = delta3 Theta2(:, 2:) .* g'(z2), the gradients and the
regularization. float64 throughout; the matrix products go to the BLAS NumPy was built
with (OpenBLAS in the PyPI wheels), on as many threads as threadpoolctl reports.

Two ways to run it (from the kit's .venv, which has numpy, scipy and threadpoolctl):

    .venv/bin/python tools/numpy_baseline.py [--digits data/digits.mat] [--weights data/weights.mat] [--rounds 50] [--threads N]
        prints the BLAS in use and the median and minimum time of one evaluation;
    .venv/bin/python tools/numpy_baseline.py --serve --digits ... --weights ... --lambda 1
        what `make bench` (nn-core/examples/bench.rs) starts: a line protocol on
        stdin/stdout, so that the Rust benchmark can interleave NumPy rounds with its own
        (see `serve`).

The benchmark starts this process with OPENBLAS_CORETYPE and OPENBLAS_L2_SIZE removed
from its environment (an older OpenBLAS needed them on some machines; here they would pin
a kernel that is not this processor's), so OpenBLAS picks its kernel itself; the
`blas` line says which one it picked. `make bench BENCH_ARGS=--as-avx2` sets
OPENBLAS_CORETYPE=Haswell instead: the AVX2 kernels an AVX2-only processor would run.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import time
from pathlib import Path

import numpy as np
import scipy.io
import threadpoolctl

REPO = Path(__file__).resolve().parents[1]


def sigmoid(z):
    return 1.0 / (1.0 + np.exp(-z))


def sigmoid_gradient(z):
    g = sigmoid(z)
    return g * (1.0 - g)


def nn_cost_function(theta1, theta2, X, y, num_labels, lam):
    """J and the two gradients, as in the seeds' vectorized nnCostFunction."""
    m = X.shape[0]
    Y = np.eye(num_labels)[y - 1]  # one-hot, labels 1..K
    a1 = np.hstack([np.ones((m, 1)), X])
    z2 = a1 @ theta1.T
    a2 = np.hstack([np.ones((m, 1)), sigmoid(z2)])
    h = sigmoid(a2 @ theta2.T)
    J = -np.sum(Y * np.log(h) + (1.0 - Y) * np.log(1.0 - h)) / m
    J += lam / (2.0 * m) * (np.sum(theta1[:, 1:] ** 2) + np.sum(theta2[:, 1:] ** 2))
    delta3 = h - Y
    delta2 = (delta3 @ theta2[:, 1:]) * sigmoid_gradient(z2)
    theta1_grad = delta2.T @ a1 / m
    theta2_grad = delta3.T @ a2 / m
    theta1_grad[:, 1:] += lam / m * theta1[:, 1:]
    theta2_grad[:, 1:] += lam / m * theta2[:, 1:]
    return J, theta1_grad, theta2_grad


def fmincg(f, x, max_iter):
    """The course's fmincg.m (C. E. Rasmussen's conjugate gradients, Polak-Ribiere, with
    Wolfe-Powell line searches), as nn-core's optim/fmincg.rs has it. Returns
    (x, final cost, evaluations)."""
    RHO, SIG, INT, EXT, MAX, RATIO = 0.01, 0.5, 0.1, 3.0, 20, 100.0
    realmin = np.finfo(float).tiny
    evaluations = 1
    f1, df1 = f(x)
    s = -df1
    d1 = -s @ s
    z1 = 1.0 / (1.0 - d1)
    i = 0
    ls_failed = False
    while i < max_iter:
        i += 1
        X0, f0, df0 = x.copy(), f1, df1.copy()
        x = x + z1 * s
        f2, df2 = f(x)
        evaluations += 1
        d2 = df2 @ s
        f3, d3, z3 = f1, d1, -z1
        M, success, limit = MAX, False, -1.0
        while True:
            while (f2 > f1 + z1 * RHO * d1 or d2 > -SIG * d1) and M > 0:
                limit = z1
                with np.errstate(all="ignore"):
                    if f2 > f1:
                        z2 = z3 - (0.5 * d3 * z3 * z3) / (d3 * z3 + f2 - f3)
                    else:
                        A = 6.0 * (f2 - f3) / z3 + 3.0 * (d2 + d3)
                        B = 3.0 * (f3 - f2) - z3 * (d3 + 2.0 * d2)
                        z2 = (np.sqrt(B * B - A * d2 * z3 * z3) - B) / A
                if not np.isfinite(z2):
                    z2 = z3 / 2.0
                z2 = max(min(z2, INT * z3), (1.0 - INT) * z3)
                z1 += z2
                x = x + z2 * s
                f2, df2 = f(x)
                evaluations += 1
                M -= 1
                d2 = df2 @ s
                z3 -= z2
            if f2 > f1 + z1 * RHO * d1 or d2 > -SIG * d1:
                break
            elif d2 > SIG * d1:
                success = True
                break
            elif M == 0:
                break
            A = 6.0 * (f2 - f3) / z3 + 3.0 * (d2 + d3)
            B = 3.0 * (f3 - f2) - z3 * (d3 + 2.0 * d2)
            with np.errstate(all="ignore"):
                z2 = -d2 * z3 * z3 / (B + np.sqrt(B * B - A * d2 * z3 * z3))
            if not np.isfinite(z2) or z2 < 0.0:
                z2 = z1 * (EXT - 1.0) if limit < -0.5 else (limit - z1) / 2.0
            elif limit > -0.5 and z2 + z1 > limit:
                z2 = (limit - z1) / 2.0
            elif limit < -0.5 and z2 + z1 > z1 * EXT:
                z2 = z1 * (EXT - 1.0)
            elif z2 < -z3 * INT:
                z2 = -z3 * INT
            elif limit > -0.5 and z2 < (limit - z1) * (1.0 - INT):
                z2 = (limit - z1) * (1.0 - INT)
            f3, d3, z3 = f2, d2, -z2
            z1 += z2
            x = x + z2 * s
            f2, df2 = f(x)
            evaluations += 1
            M -= 1
            d2 = df2 @ s
        if success:
            f1 = f2
            s = (df2 @ df2 - df1 @ df2) / (df1 @ df1) * s - df2
            df1, df2 = df2, df1
            d2 = df1 @ s
            if d2 > 0:
                s = -df1
                d2 = -s @ s
            z1 *= min(RATIO, d1 / (d2 - realmin))
            d1 = d2
            ls_failed = False
        else:
            x, f1, df1 = X0, f0, df0
            if ls_failed or i > max_iter:
                break
            df1, df2 = df2, df1
            s = -df1
            d1 = -s @ s
            z1 = 1.0 / (1.0 - d1)
            ls_failed = True
    return x, f1, evaluations


def train(start: np.ndarray, shapes, X, y, num_labels, lam, iterations):
    """fmincg on the unrolled parameters, as the seeds' ex4.m: (final cost, evaluations)."""
    (r1, c1), (r2, c2) = shapes

    def cost(p):
        theta1 = p[: r1 * c1].reshape((r1, c1), order="F")
        theta2 = p[r1 * c1 :].reshape((r2, c2), order="F")
        J, g1, g2 = nn_cost_function(theta1, theta2, X, y, num_labels, lam)
        return J, np.concatenate([g1.ravel(order="F"), g2.ravel(order="F")])

    _, final, evaluations = fmincg(cost, start, iterations)
    return final, evaluations


def load(digits: Path, weights: Path):
    d = scipy.io.loadmat(digits)
    w = scipy.io.loadmat(weights)
    X = np.ascontiguousarray(d["X"], dtype=np.float64)
    y = np.asarray(d["y"]).reshape(-1).astype(np.int64)
    theta1 = np.ascontiguousarray(w["Theta1"], dtype=np.float64)
    theta2 = np.ascontiguousarray(w["Theta2"], dtype=np.float64)
    return X, y, theta1, theta2


def blas_info() -> dict:
    """The BLAS libraries NumPy loaded, as threadpoolctl sees them."""
    info = [i for i in threadpoolctl.threadpool_info() if i.get("user_api") == "blas"]
    return info[0] if info else {"user_api": "blas", "internal_api": "unknown"}


def describe() -> dict:
    blas = blas_info()
    return {
        "python": platform.python_version(),
        "numpy": np.__version__,
        "blas": blas.get("internal_api", "unknown"),
        "blas_version": blas.get("version"),
        "blas_kernel": blas.get("architecture"),
        "blas_threads": blas.get("num_threads"),
        "blas_threading_layer": blas.get("threading_layer"),
        "OPENBLAS_CORETYPE": os.environ.get("OPENBLAS_CORETYPE"),
        "OPENBLAS_L2_SIZE": os.environ.get("OPENBLAS_L2_SIZE"),
    }


def time_evaluations(n: int, args) -> list[float]:
    """Seconds of each of n evaluations."""
    times = []
    for _ in range(n):
        t = time.perf_counter()
        nn_cost_function(*args)
        times.append(time.perf_counter() - t)
    return times


def serve(args) -> None:
    """The protocol `make bench` speaks, one line each way:

    on start this prints `info <json>`, `cost <J>` and `grad <values>` (the gradient
    unrolled column by column, Theta1 then Theta2, as in the course) and `ready`;
    then for each line `time N` on stdin it runs N evaluations and prints
    `times <seconds>...`; for `train N FILE` it runs N fmincg iterations from the
    parameters in FILE (one number per line, unrolled as the course does) and prints
    `trained <seconds> <evaluations> <final cost>`; `quit` or the end of stdin ends it.
    """
    X, y, theta1, theta2 = load(args.digits, args.weights)
    K = int(theta2.shape[0])
    problem = (theta1, theta2, X, y, K, args.lam)
    J, g1, g2 = nn_cost_function(*problem)
    grad = np.concatenate([g1.ravel(order="F"), g2.ravel(order="F")])
    out = sys.stdout
    out.write("info " + json.dumps(describe()) + "\n")
    out.write(f"cost {float(J)!r}\n")
    out.write("grad " + " ".join(repr(float(v)) for v in grad) + "\n")
    out.write("ready\n")
    out.flush()
    for line in sys.stdin:
        words = line.split()
        if not words or words[0] == "quit":
            break
        if words[0] == "time":
            times = time_evaluations(int(words[1]), problem)
            out.write("times " + " ".join(repr(t) for t in times) + "\n")
        elif words[0] == "train":
            start = np.loadtxt(line.split(maxsplit=2)[2].strip(), dtype=np.float64)
            t = time.perf_counter()
            final, evaluations = train(start, (theta1.shape, theta2.shape), X, y, K, args.lam, int(words[1]))
            out.write(f"trained {time.perf_counter() - t!r} {evaluations} {float(final)!r}\n")
        else:
            out.write(f"error unknown command {words[0]!r}\n")
        out.flush()


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--digits", type=Path, default=REPO / "data/digits.mat")
    p.add_argument("--weights", type=Path, default=REPO / "data/weights.mat")
    p.add_argument("--lambda", dest="lam", type=float, default=1.0)
    p.add_argument("--rounds", type=int, default=50, help="evaluations to time (without --serve)")
    p.add_argument("--serve", action="store_true", help="the line protocol of `make bench`")
    p.add_argument("--threads", type=int, default=None, help="BLAS threads (default: OpenBLAS's own choice, all cores)")
    args = p.parse_args()
    with threadpoolctl.threadpool_limits(limits=args.threads, user_api="blas"):
        run(args)


def run(args) -> None:
    if args.serve:
        serve(args)
        return
    X, y, theta1, theta2 = load(args.digits, args.weights)
    problem = (theta1, theta2, X, y, int(theta2.shape[0]), args.lam)
    J, _, _ = nn_cost_function(*problem)
    print("info:", json.dumps(describe()))
    print(f"cost: {J:.12f}")
    times = sorted(time_evaluations(args.rounds + 1, problem)[1:])
    print(f"numpy_ms: median {1e3 * times[len(times) // 2]:.3f}, min {1e3 * times[0]:.3f} ({args.rounds} evaluations)")


if __name__ == "__main__":
    main()
