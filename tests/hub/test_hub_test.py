"""make hub-test's simulator (hub/loadtest/loadtest.py), smoke-tested with one student: its last
line has the promised shape with numbers from the run, and a failing or stuck cell fails the
run, naming the student and the cell."""

from __future__ import annotations

import subprocess
import sys

import pytest
from hubenv import PREFIX, REPO, USER_PREFIX

sys.path.insert(0, str(REPO / "hub" / "loadtest"))
import capacity  # its LAST is the shape the last line promises


def run(*extra: str) -> subprocess.CompletedProcess:
    return subprocess.run([str(PREFIX / "venv" / "bin" / "python"), str(REPO / "hub" / "loadtest" / "loadtest.py"),
                           "--students", "1", "--pause", "0.5", *extra],
                          capture_output=True, text=True, timeout=900, check=False)


@pytest.mark.needs_hub_install
def test_one_student_runs_notebook_01_and_the_last_line_says_how_it_went():
    p = run()
    assert p.returncode == 0, p.stdout[-3000:] + p.stderr[-3000:]
    last = p.stdout.strip().splitlines()[-1]
    m = capacity.LAST.match(last)
    assert m, last
    assert m.groups()[:3] == ("1", "01", "classroom"), last
    total, kernel, peak, cpu, p50, p95, first, slowest, disk = map(float, m.groups()[3:])
    assert 0 < kernel < total <= peak, last  # the kernel is part of the student's memory
    assert 0 < p50 <= p95 and 0 < first <= slowest, last
    # notebook 01 on a warm cache: the kernel alone spends seconds (its start, the first `let`)
    assert cpu > 2, last
    assert disk > 0, last  # the student's copy of the notebooks at least
    # make hub-capacity's table reads the same run: its three lines, with the run's own figures
    found = capacity.parse(p.stdout)
    assert set(found) == {"load", "run", "last"}, p.stdout[-3000:]
    assert found["last"] == m.groups(), found
    wall, busy, share, first_cpu = map(float, found["run"])
    assert first <= wall and 0 < first_cpu < cpu, found["run"]
    # the machine's CPU over the run covers at least the student's own (hub and proxy on top)
    assert busy >= 0.9 * cpu and 0 < share <= 100, found["run"]


@pytest.mark.needs_hub_install
def test_a_failing_cell_fails_the_run():
    p = run("--extra-cell", 'panic!("a student\'s mistake");')
    assert p.returncode == 1, p.stdout[-3000:]
    assert f"FAILED: 1 of 1 students ({USER_PREFIX}-load1)" in p.stdout, p.stdout[-3000:]
    assert f"{USER_PREFIX}-load1: cell 13 failed" in p.stdout, p.stdout[-3000:]  # notebook 01 has 13 cells
    # the student's error once (it was printed again under FAILED)
    assert p.stdout.count("a student's mistake") == 1, p.stdout[-3000:]


@pytest.mark.needs_hub_install
def test_a_stuck_cell_fails_the_run_and_shows_what_was_running():
    # a cell still running when --cell-timeout ends: before, a bare "TimeoutError: " and nothing
    # to say whose kernel or which cell
    p = run("--extra-cell", "std::thread::sleep(std::time::Duration::from_secs(300));", "--cell-timeout", "20")
    assert p.returncode == 1, p.stdout[-3000:]
    assert f"{USER_PREFIX}-load1: cell 13 failed" in p.stdout and "no answer within 20 s" in p.stdout, p.stdout[-3000:]
    assert f"{USER_PREFIX}-load1's processes:" in p.stdout and "evcxr_jupyter" in p.stdout, p.stdout[-3000:]
