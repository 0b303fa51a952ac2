"""What a process costs, from /proc (Linux): CPU-seconds and proportional memory (PSS).

Used by tools/kernel_cost.py (one kernel's cost) and hub/loadtest (per student), and for
the machine line every benchmark prints (the CPU's name, the load average).
"""

from __future__ import annotations

import os
from pathlib import Path

TICK = os.sysconf("SC_CLK_TCK")


def status(pid: int) -> tuple[str, int, float] | None:
    """(state letter, parent pid, CPU-s of the process and of the children it has reaped:
    utime + stime + cutime + cstime), or None if the process is gone."""
    try:
        raw = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    f = raw[raw.rindex(")") + 2:].split()
    # after the command: state ppid ... utime(11) stime(12) cutime(13) cstime(14)
    return f[0], int(f[1]), sum(int(x) for x in f[11:15]) / TICK


def stat(pid: int) -> tuple[int, float] | None:
    """(parent pid, CPU-s) of status(), or None if the process is gone."""
    s = status(pid)
    return s[1:] if s else None


def pss_kib(pid: int) -> int:
    """The process's PSS in KiB (/proc/<pid>/smaps_rollup), 0 if it is gone."""
    try:
        for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines():
            if line.startswith("Pss:"):
                return int(line.split()[1])
    except OSError:
        pass
    return 0


def cpu_name() -> str:
    """The CPU's model name (/proc/cpuinfo), "unknown CPU" if it has none."""
    for line in Path("/proc/cpuinfo").read_text().splitlines():
        if line.startswith("model name"):
            return line.split(":", 1)[1].strip()
    return "unknown CPU"


def load_average() -> str:
    """The 1, 5 and 15-minute load averages, as /proc/loadavg writes them."""
    return " ".join(Path("/proc/loadavg").read_text().split()[:3])


def machine_busy_seconds() -> float:
    """CPU-s all cores spent on anything but idle and iowait since boot (/proc/stat)."""
    fields = [int(x) for x in Path("/proc/stat").read_text().splitlines()[0].split()[1:8]]
    return (sum(fields) - fields[3] - fields[4]) / TICK
