"""What every part of the class grader shares: the parts and their points, the student's functions, atomic writes."""

from __future__ import annotations

import argparse
import concurrent.futures
import csv
import fcntl
import hashlib
import html
import io
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]


DRIVER_VERSION = "3"


PARTS = [  # (name in the table, points, student function)
    ("Feedforward and cost", 30, "nn_cost_function"),
    ("Regularized cost", 15, "nn_cost_function"),
    ("Sigmoid gradient", 5, "sigmoid_gradient"),
    ("Backpropagation", 40, "nn_cost_function"),
    ("Regularized gradient", 10, "nn_cost_function"),
]


FUNCTIONS = ["sigmoid_gradient", "rand_initialize_weights", "nn_cost_function"]


SIGNATURES = {
    "sigmoid_gradient": "fn sigmoid_gradient(z: &Array2<f64>) -> Array2<f64>",
    "rand_initialize_weights":
        "fn rand_initialize_weights(l_in: usize, l_out: usize, epsilon: f64, rng: &mut StdRng) -> Array2<f64>",
    "nn_cost_function": "fn nn_cost_function(theta1: &Array2<f64>, theta2: &Array2<f64>, x: &Array2<f64>, "
                        "y: &Array1<usize>, lambda: f64) -> nn_core::Result<(f64, Array2<f64>, Array2<f64>)>",
}


# What the notebook's imports cell brings into scope (the student's code may rely on it).
PRELUDE = "use nn_grader::prelude::*;\n#[allow(unused_imports)]\nuse nn_core::{bundled, viz, Network};\n"


def log(msg: str) -> None:
    print(f"grade: {msg}", flush=True)


_UMASK = os.umask(0)


os.umask(_UMASK)


def write_atomic(path: Path, data: bytes | str) -> None:
    """Writes path via a temporary file in the same folder and a rename."""
    path.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(data, str):
        data = data.encode("utf-8")
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        os.fchmod(fd, 0o666 & ~_UMASK)
        with os.fdopen(fd, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except FileNotFoundError:
            pass
        raise
