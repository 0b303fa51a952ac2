"""Names shared by the class-server tests (tests/hub/)."""

from __future__ import annotations

import os
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO / "hub"))
sys.path.insert(0, str(REPO / "hub" / "loadtest"))
PREFIX = Path(os.environ.get("NNEX4_HUB_PREFIX", "/opt/nn-ex4-hub"))
# NNEX4_TEST_USER_PREFIX lets two checkouts run these tests on one machine at once.
USER_PREFIX = os.environ.get("NNEX4_TEST_USER_PREFIX", "nnex4")
STUDENTS = [f"{USER_PREFIX}-s1", f"{USER_PREFIX}-s2"]
TEACHER = f"{USER_PREFIX}-teacher"
