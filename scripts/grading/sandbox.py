"""Running a student's program: bubblewrap, limits, and the report channel."""

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
import queue
import secrets
import threading
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

from .extract import Submission
from .project import Project

def status_of(report: dict) -> str:
    """`ok`, or why some part could not be graded normally."""
    reasons = []
    for p in report["parts"]:
        msg = p["message"]
        m = re.match(r"timed out after .* in (\w+)", msg)
        if m:
            reasons.append(f"timed out in {m.group(1)}")
        elif msg.startswith("the process exited"):
            reasons.append("process exited")
        elif msg.startswith("ran out of memory"):
            reasons.append("ran out of memory")
        elif msg.startswith("stack overflow"):
            reasons.append("stack overflow")
        elif msg.startswith("the process crashed"):
            reasons.append("crashed")
        elif msg.startswith("could not run"):
            reasons.append("could not run")
    init = report.get("init") or {}
    m = re.match(r"timed out after .* in (\w+)", init.get("message", ""))
    if m:
        reasons.append(f"timed out in {m.group(1)}")
    out = []
    for r in reasons:
        if r not in out:
            out.append(r)
    return "; ".join(out) or "ok"


FIX = ("install bubblewrap (apt-get install bubblewrap) and allow unprivileged user namespaces "
       "(sysctl -w kernel.unprivileged_userns_clone=1 where that setting exists; user.max_user_namespaces must be "
       "above 0; on Ubuntu 24.04, kernel.apparmor_restrict_unprivileged_userns=1, an AppArmor profile for bwrap: as "
       "root, python3 scripts/grading/userns.py ensure installs it, and its `check` names the exact fix), or "
       "grade without the sandbox: "
       "--no-sandbox (the gradebook records it)")
# Limits of the whole sandbox (the per-part time and memory limits are nn_grader's, inside it).
PROCESSES = 64          # RLIMIT_NPROC: processes of the sandbox's user
FILE_SIZE = 64 << 20    # RLIMIT_FSIZE: the largest file it may write
SCRATCH = 128 << 20     # the size of its only writable folder (a tmpfs)
OPEN_FILES = 256        # RLIMIT_NOFILE
REPORT_MAX = 32 << 20   # a longer report counts for nothing
UID_BASE = 2_100_000_000  # as root: the sandbox runs as UID_BASE + slot (no such user exists)
BWRAP = os.environ.get("NN_EX4_BWRAP", "bwrap")  # (the tests point it elsewhere to see the error)


class Sandbox:
    """How each student's program runs: bubblewrap (own user, mount, PID, network, IPC, UTS and
    cgroup namespaces; read-only: the program and the shared libraries it needs; writable: an
    empty tmpfs; no capabilities; killed with its grader), under process, file-size, memory and
    open-file limits, as a user of its own. `enabled` False: `--no-sandbox`, the program runs
    directly (recorded in the gradebook)."""

    def __init__(self, enabled: bool, jobs: int):
        self.enabled = enabled
        self.root = os.geteuid() == 0
        self.slots: queue.Queue[int] = queue.Queue()
        for i in range(max(1, jobs)):
            self.slots.put(i)
        self.dir: Path | None = None
        self.binary: Path | None = None

    def check(self) -> str:
        """'' when the sandbox works here, else what is missing and the fix."""
        if not sys.platform.startswith("linux"):
            return f"the sandbox needs Linux (this is {sys.platform}); {FIX}"
        for tool in (BWRAP, "prlimit"):
            if not shutil.which(tool):
                return f"`{tool}` is not installed; {FIX}"
        try:
            p = subprocess.run(self._prefix(0, []) + ["--ro-bind", "/", "/", "--", "/bin/true"],
                               capture_output=True, text=True, timeout=30, **self._user(0))
        except (OSError, subprocess.SubprocessError) as e:
            return f"bwrap could not run ({e}); {FIX}"
        if p.returncode != 0:
            return f"bwrap cannot create its namespaces here ({p.stderr.strip() or p.returncode}); {FIX}"
        return ""

    def _user(self, slot: int) -> dict:
        if not self.root:
            return {}
        uid = UID_BASE + slot
        return {"user": uid, "group": uid, "extra_groups": []}

    def _nproc(self) -> int:
        """As root each slot has a user of its own; otherwise the limit is on the teacher's user,
        so it is set above what that user runs already."""
        if self.root:
            return PROCESSES
        mine = 0
        for d in Path("/proc").iterdir():
            try:
                if d.name.isdigit() and d.stat().st_uid == os.getuid():
                    mine += 1
            except OSError:
                pass
        return mine + PROCESSES * self.slots.qsize() + PROCESSES

    def _prefix(self, slot: int, extra: list[str], memory_mb: int = 0) -> list[str]:
        limits = [f"--nproc={self._nproc()}", f"--fsize={FILE_SIZE}", f"--nofile={OPEN_FILES}", "--core=0"]
        if memory_mb:
            limits.append(f"--as={(memory_mb + 1024) << 20}")
        return (["prlimit", *limits, "--", BWRAP, "--unshare-all", "--die-with-parent", "--new-session",
                 "--cap-drop", "ALL", "--hostname", "sandbox", "--clearenv", "--setenv", "HOME", "/scratch",
                 "--setenv", "TMPDIR", "/scratch", "--setenv", "LANG", "C.UTF-8", "--setenv", "PATH", "/nowhere"]
                + extra)

    def prepare(self, project: Project) -> None:
        """Copies the class program where the sandbox's user can read it (the build folder may
        not be), and finds the shared libraries it needs (from the `grader` program: the same
        toolchain and libraries, and no student code run to ask)."""
        self.dir = Path(tempfile.mkdtemp(prefix="nn-ex4-sandbox-"))
        os.chmod(self.dir, 0o711)  # the sandbox's user may reach the program, nobody may list it
        self.binary = self.dir / "class"
        shutil.copyfile(project.binary, self.binary)
        os.chmod(self.binary, 0o755)
        self.binds: list[str] = []
        if not self.enabled:
            return
        libs = set()
        try:
            out = subprocess.run(["ldd", str(project.grader)], capture_output=True, text=True, timeout=30).stdout
            libs = {m for m in re.findall(r"(/\S+\.so[\w.]*)", out)}
        except (OSError, subprocess.SubprocessError):
            pass
        if not libs:  # no ldd: the system's library folders
            libs = {d for d in ("/usr/lib", "/usr/lib64", "/lib", "/lib64") if os.path.isdir(d) and not os.path.islink(d)}
        for top in ("/lib", "/lib64", "/bin"):
            if os.path.islink(top):
                self.binds += ["--symlink", os.readlink(top), top]
        links = {t: os.path.realpath(t) for t in ("/lib", "/lib64", "/bin") if os.path.islink(t)}
        done = set()
        for lib in sorted(libs):
            real = os.path.realpath(lib)
            # The file at each name the loader may look for it under (/lib64/ld-linux... is
            # /usr/lib64/ld-linux... through the symlink /lib64, itself a link to the real file).
            names = {real, lib}
            for top, target in links.items():
                if lib.startswith(top + "/"):
                    names.add(target + lib[len(top):])
            for path in sorted(names):
                if path in done or any(path.startswith(top + "/") for top in links):
                    continue
                done.add(path)
                self.binds += ["--ro-bind", real, path]

    def cleanup(self) -> None:
        if self.dir:
            shutil.rmtree(self.dir, ignore_errors=True)

    def command(self, slot: int, args: list[str], memory_mb: int) -> list[str]:
        if not self.enabled:
            return [str(self.binary), *args]
        return self._prefix(slot, self.binds + [
            "--ro-bind", str(self.binary), "/sandbox/class", "--proc", "/proc", "--dev", "/dev",
            "--size", str(SCRATCH), "--tmpfs", "/scratch", "--chdir", "/scratch", "--remount-ro", "/",
            "--", "/sandbox/class", *args], memory_mb)

    def run(self, module: str, seed: int, time_limit: float, memory_mb: int, wall: float) -> tuple[bytes | None, str, float]:
        """The report's bytes (None: it counts for nothing) and, then, why; and the seconds taken."""
        slot = self.slots.get()
        try:
            return self._run(slot, module, seed, time_limit, memory_mb, wall)
        finally:
            self.slots.put(slot)

    def _run(self, slot, module, seed, time_limit, memory_mb, wall):
        r, w = os.pipe()
        args = ["values", module, str(seed), "--report-fd", str(w), "--time-limit", str(time_limit),
                "--memory-limit", str(memory_mb)]
        err = tempfile.TemporaryFile(dir=self.dir)
        start = time.monotonic()
        try:
            proc = subprocess.Popen(self.command(slot, args, memory_mb), cwd="/", stdin=subprocess.DEVNULL,
                                    stdout=subprocess.DEVNULL, stderr=err, pass_fds=(w,),
                                    env={"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "LANG": "C.UTF-8"},
                                    start_new_session=True, **(self._user(slot) if self.enabled else {}))
        finally:
            os.close(w)
        report = bytearray()
        too_long = threading.Event()

        def read():
            with os.fdopen(r, "rb", buffering=0) as f:
                while True:
                    chunk = f.read(1 << 16)
                    if not chunk:
                        return
                    if len(report) + len(chunk) > REPORT_MAX:
                        too_long.set()
                        return  # closing the pipe: the writer gets EPIPE
                    report.extend(chunk)

        reader = threading.Thread(target=read, daemon=True)
        reader.start()
        timed_out = False
        try:
            proc.wait(timeout=wall)
        except subprocess.TimeoutExpired:
            timed_out = True
        # Killing bwrap kills the sandbox's PID 1 (--die-with-parent), and with it every process
        # of its PID namespace; without the sandbox, the process group is all there is to kill.
        for kill in (lambda: proc.kill(), lambda: os.killpg(proc.pid, signal.SIGKILL)):
            try:
                kill()
            except (ProcessLookupError, PermissionError):
                pass
        proc.wait()
        reader.join(timeout=10)
        seconds = time.monotonic() - start
        err.seek(0, os.SEEK_END)
        err.seek(max(0, err.tell() - 300))
        tail = err.read().decode("utf-8", "replace").strip()
        err.close()
        if timed_out:
            return None, f"timed out (whole student, {wall:.0f} s)", wall
        if too_long.is_set():
            return None, f"the report was longer than {REPORT_MAX >> 20} MiB: counted for nothing", seconds
        if reader.is_alive():
            return None, "the report channel stayed open after the program ended: counted for nothing", seconds
        if proc.returncode != 0:
            why = (f"killed by signal {-proc.returncode}" if proc.returncode < 0
                   else f"process exited (status {proc.returncode})")
            return None, f"{why}; no report{f' ({tail[-200:]})' if tail else ''}", seconds
        return bytes(report), "", seconds


def run_student(project: Project, sandbox: Sandbox, sub: Submission, time_limit: float, memory_mb: int,
                wall: float | None = None) -> dict:
    """One student: a seed drawn here, the values from the sandbox, the points from `grader score`."""
    wall = wall or 8 * time_limit + 30
    seed = secrets.randbits(63)
    report_bytes, why, seconds = sandbox.run(sub.module, seed, time_limit, memory_mb, wall)
    if report_bytes is None:
        return {"report": None, "status": why, "seconds": seconds}
    p = subprocess.run([str(project.grader), "score", str(seed)], input=report_bytes, capture_output=True,
                       timeout=300)
    if p.returncode == 3:
        return {"report": None, "status": "the report was malformed: counted for nothing", "seconds": seconds}
    if p.returncode != 0:
        return {"report": None, "status": f"grader error ({p.stderr.decode('utf-8', 'replace').strip()[-300:]})",
                "seconds": seconds}
    report = json.loads(p.stdout)
    return {"report": report, "status": status_of(report), "seconds": seconds}
