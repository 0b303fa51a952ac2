#!/usr/bin/env python3
"""make warm: compile nn-core (and the exercise's nn-grader) into the notebook kernel's
cache once, so that the first cell of the first notebook a student opens takes seconds.

It runs, on the kit's `rust` kernel and from each notebook's own folder, the first cell
(tagged `setup`: the `:dep` lines and `:cache`) of notebooks/01 and of the exercise
notebook, plus one line that uses the library, then shuts the kernel down. evcxr keys its
cache by the compiler's command line, so the notebooks' identical `:dep` lines then hit it.
Prints how long each took.
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
NOTEBOOKS = [REPO / "notebooks" / "01-feedforward-and-cost.ipynb",
             REPO / "notebooks" / "exercises" / "ex4-neural-network-learning.ipynb"]


def setup_cell(path: Path) -> str:
    nb = json.loads(path.read_text(encoding="utf-8"))
    for cell in nb["cells"]:
        if cell["cell_type"] == "code" and "setup" in cell.get("metadata", {}).get("tags", []):
            return "".join(cell["source"])
    raise SystemExit(f"warm: {path.relative_to(REPO)} has no cell tagged `setup`")


def warm(path: Path) -> float:
    import nbformat
    from nbclient import NotebookClient

    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_code_cell(setup_cell(path)),
                nbformat.v4.new_code_cell("use nn_core::prelude::*;\nlet _ = sigmoid(&array![0.0]);")]
    t0 = time.monotonic()
    # The kernel's own output (cargo's "Compiling ..." lines) goes to out/warm.log.
    log_path = REPO / "out" / "warm.log"
    log_path.parent.mkdir(exist_ok=True)
    with open(log_path, "ab") as log:
        NotebookClient(nb, kernel_name="rust", timeout=1800, startup_timeout=120,
                       resources={"metadata": {"path": str(path.parent)}}).execute(stdout=log, stderr=log)
    return time.monotonic() - t0


def main() -> int:
    for path in NOTEBOOKS:
        if not path.exists():
            continue
        print(f"warm: {path.relative_to(REPO)} ... ", end="", flush=True)
        print(f"{warm(path):.1f} s", flush=True)
    # each kernel compiled into a cache layer of its own (scripts/nnex4_kernel.py): into the
    # shared cache with what they built, now that they have ended
    sys.path.insert(0, str(REPO / "scripts"))
    import nnex4_kernel
    nnex4_kernel.harvest_all()
    return 0


if __name__ == "__main__":
    sys.exit(main())
