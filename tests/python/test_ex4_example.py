"""The terminal walkthrough (`cargo run --release -p nn-core --example ex4`) prints the
course's results as `name: value` lines, writes its pictures with --out, and fails
cleanly on bad input.

Needs: pytest, cargo on PATH. One run uses the kit's bundled files (every clone has them);
the course-figures check also needs the course's ex4weights.mat (the `course_weights`
fixture of tests/conftest.py: NN_EX4_COURSE_WEIGHTS or data/) and skips without it.
"""

import re
import struct
import subprocess
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
DATA = REPO / "data"


def ex4(*args):
    return subprocess.run(
        ["cargo", "run", "--release", "-q", "-p", "nn-core", "--example", "ex4", "--", *map(str, args)],
        cwd=REPO, capture_output=True, text=True, timeout=900, check=False,
    )


def value(out, name):
    m = re.search(rf"^{re.escape(name)}: (.*)$", out, re.MULTILINE)
    assert m, f"no line `{name}:` in\n{out}"
    return m.group(1)


def check_cost_lines(out, expected):
    for name, want in expected:
        line = value(out, name)
        got = float(line.split()[0])
        assert abs(got - want) < 1e-6, line
        assert f"(expected {want:.6f})" in line, line


@pytest.fixture(scope="module")
def run_with_bundled_files(tmp_path_factory):
    out_dir = tmp_path_factory.mktemp("ex4-out")
    p = ex4("--data", DATA / "digits.mat", "--weights", DATA / "weights.mat", "--out", out_dir)
    assert p.returncode == 0, p.stdout + p.stderr
    return p.stdout, out_dir


def test_bundled_numbers(run_with_bundled_files):
    out, _ = run_with_bundled_files
    # The kit's weights on the kit's digits (data/README.md records them).
    check_cost_lines(out, [("feedforward_cost_lambda_0", 0.128780), ("regularized_cost_lambda_1", 0.316211),
                           ("debug_cost_lambda_3", 0.691072)])
    assert value(out, "pretrained_accuracy").startswith("99.54%")
    assert value(out, "sigmoid_gradient").startswith("[0.196612 0.235004 0.250000 0.235004 0.196612]")
    for lam in ("0", "3"):
        diff = float(re.search(r"relative difference (\S+)", value(out, f"gradient_check_lambda_{lam}")).group(1))
        assert diff < 1e-9
    acc = float(value(out, "training_accuracy").split("%")[0])
    assert 94.3 <= acc <= 96.3, acc


def test_course_numbers(course_weights):
    p = ex4("--data", DATA / "digits.mat", "--weights", course_weights)
    assert p.returncode == 0, p.stdout + p.stderr
    check_cost_lines(p.stdout, [("feedforward_cost_lambda_0", 0.287676), ("regularized_cost_lambda_1", 0.383816),
                                ("debug_cost_lambda_3", 0.576098)])
    assert value(p.stdout, "pretrained_accuracy").startswith("97.52%")


def test_pictures_written(run_with_bundled_files):
    out, out_dir = run_with_bundled_files
    for name, file in [("picture_digits", "digits.png"), ("picture_hidden_units", "hidden-units.png"),
                       ("picture_cost_curve", "cost-curve.png")]:
        path = Path(value(out, name))
        assert path == out_dir / file
        data = path.read_bytes()
        assert data[:8] == b"\x89PNG\r\n\x1a\n", path
        width, height = struct.unpack(">II", data[16:24])
        assert width > 100 and height > 100, (path, width, height)


def test_bad_input_is_named():
    p = ex4("--data", REPO / "Cargo.toml")
    assert p.returncode != 0
    assert "Cargo.toml" in p.stderr and "MAT" in p.stderr, p.stderr
    assert "panicked" not in p.stderr
    p = ex4("--bogus")
    assert p.returncode == 2 and "unknown argument" in p.stderr
