"""Names shared by the class-server tests (tests/hub/)."""

from __future__ import annotations

import os
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO / "hub"))
sys.path.insert(0, str(REPO / "hub" / "loadtest"))
PREFIX = Path(os.environ.get("NNEX4_HUB_PREFIX", "/opt/nn-ex4-hub"))
STUDENTS = ["nnex4-s1", "nnex4-s2"]
TEACHER = "nnex4-teacher"
