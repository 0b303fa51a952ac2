"""What this machine lacks for some tests: the class grader's sandbox, a headless browser.

A student's machine has neither (the README asks only for Rust, Python and gcc), so the
tests that need one skip, and the test summary says which and how to get it in one line
per tool (tests/conftest.py). Where a machine must have them (CI's full run),
NN_EX4_REQUIRE=sandbox,browser turns those skips into failures.
"""

from __future__ import annotations

import functools
import shutil
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


@functools.cache
def missing_sandbox() -> str | None:
    """Why `make grade` cannot sandbox a student here, or None: the grader's own check."""
    sys.path.insert(0, str(REPO / "scripts"))
    from grading.sandbox import Sandbox

    return Sandbox(enabled=True, jobs=1).check() or None


@functools.cache
def missing_browser() -> str | None:
    """Why the browser tests cannot run here, or None."""
    try:
        import selenium  # noqa: F401
    except ImportError:
        return "selenium is not installed (pip install -r requirements.txt)"
    if not (shutil.which("chromium") or shutil.which("chromium-browser")):
        return "chromium is not installed (apt-get install -y chromium chromium-driver)"
    if not shutil.which("chromedriver"):
        return "chromedriver is not installed (apt-get install -y chromium-driver)"
    return None


# marker -> (what it needs, in the summary's words; the probe)
NEEDS = {
    "sandbox": ("bubblewrap with user namespaces (make grade's sandbox)", missing_sandbox),
    "browser": ("headless Chromium and chromedriver", missing_browser),
}
