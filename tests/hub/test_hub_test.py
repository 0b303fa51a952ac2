"""make hub-test's simulator (hub/loadtest/loadtest.py), smoke-tested with one student: its last
line has the promised shape with numbers from the run, and a failing cell fails the run."""

from __future__ import annotations

import os
import re
import subprocess

import pytest

from hubenv import PREFIX, REPO, USER_PREFIX

LAST = re.compile(r"^hub-test: 1 students, (\d+) MiB per student \(kernel (\d+) MiB\), "
                  r"cell latency p50 ([\d.]+) s p95 ([\d.]+) s, first result ([\d.]+) s$")


def run(*extra: str) -> subprocess.CompletedProcess:
    # its students are <prefix>-s1...: a prefix of its own, not the `hub` fixture's students
    # (the simulator removes its students at the end, whatever the other tests are doing)
    env = {**os.environ, "NNEX4_TEST_USER_PREFIX": f"{USER_PREFIX}lt"}
    return subprocess.run([str(PREFIX / "venv" / "bin" / "python"), str(REPO / "hub" / "loadtest" / "loadtest.py"),
                           "--students", "1", "--pause", "0.5", *extra],
                          capture_output=True, text=True, timeout=900, env=env)


@pytest.mark.needs_hub_install
def test_one_student_runs_notebook_01_and_the_last_line_says_how_it_went():
    p = run()
    assert p.returncode == 0, p.stdout[-3000:] + p.stderr[-3000:]
    last = p.stdout.strip().splitlines()[-1]
    m = LAST.match(last)
    assert m, last
    total, kernel, p50, p95, first = map(float, m.groups())
    assert 0 < kernel < total, last  # the kernel is part of the student's memory
    assert 0 < p50 <= p95 and first > 0, last


@pytest.mark.needs_hub_install
def test_a_failing_cell_fails_the_run():
    p = run("--extra-cell", 'panic!("a student\'s mistake");')
    assert p.returncode == 1, p.stdout[-3000:]
    assert "FAILED" in p.stdout and "a student's mistake" in p.stdout, p.stdout[-3000:]
