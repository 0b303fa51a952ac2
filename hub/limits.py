#!/usr/bin/env python3
"""Where the students' servers run, what caps them, and the proof that it works.

Two ways, chosen here and nowhere else (make hub, hub/jupyterhub_config.py):

  systemd    PID 1 is systemd (the servers schools get: Debian 12, Ubuntu 24.04, cgroup v2).
             The hub is the systemd service nnex4-hub (deploy/systemd/), each student's
             server a systemd unit jupyter-<name> in nnex4-students.slice, made by
             jupyterhub-systemdspawner with MemoryMax= and CPUWeight= (equal CPU shares for
             busy students), as The Littlest JupyterHub runs its users.
  cgroup     no systemd (a plain VM or container): the hub started from a root shell makes
             each student's cgroup below its own: memory (memory.limit_in_bytes on v1,
             memory.max on v2) and cpu (cpu.shares on v1, cpu.weight on v2).

Either way `make hub` first proves that a student's server can be capped: it makes a test
unit or cgroup with the class's memory cap, runs `limits.py probe` inside it, and reads back
the cap that process is under; otherwise it stops with the cause and the fix.

    python3 hub/limits.py check      (make hub) the choice, then the proof; exit 1 with the fix
    python3 hub/limits.py plan       the choice only
    python3 hub/limits.py way        systemd or cgroup
    python3 hub/limits.py probe      this process's memory cap and CPU weight, as the kernel sees them

The system's roots (/sys/fs/cgroup, /proc/self/cgroup, /run/systemd/system) are parameters,
so the choice and its messages are tested against faked layouts (tests/hub/test_startup_check.py).
Standard library only: it runs before the hub's venv exists, and in the kit's venv.
"""

from __future__ import annotations

import os
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path

SLICE = "nnex4-students.slice"
UNIT_TEMPLATE = "jupyter-{USERNAME}"
GROUP_PREFIX = "nnex4-"
CPU_WEIGHT = 100  # systemd's and cgroup v2's default: every busy student the same share
CPU_SHARES = 1024  # cgroup v1's default: the same, per student group rather than per thread
UNCAPPED = ("NNEX4_HUB_MEM_LIMIT=0: the class runs uncapped: one student's cell can take all "
            "of the server's memory, and the kernel's out-of-memory killer then picks any "
            "student's process")


@dataclass(frozen=True)
class Roots:
    """The files the choice reads; tests pass a fake tree."""
    sys_cgroup: Path = Path("/sys/fs/cgroup")
    proc_self_cgroup: Path = Path("/proc/self/cgroup")
    # sd_booted(3): this folder exists exactly when systemd is PID 1
    run_systemd: Path = Path("/run/systemd/system")


@dataclass
class Plan:
    way: str  # "systemd" | "cgroup"
    version: str  # "systemd" | "v1" | "v2"
    mem_limit: int  # bytes; 0: uncapped
    memory: Path | None = None  # cgroup way: the folder the students' memory groups go in
    cpu: Path | None = None  # cgroup way: the folder the students' cpu groups go in
    error: str = ""  # why the class cannot be capped, and the fix ("" when it can)
    notes: list[str] = field(default_factory=list)

    def describe(self) -> str:
        cap = f"{self.mem_limit >> 20} MiB memory cap per student" if self.mem_limit else "no memory cap"
        if self.way == "systemd":
            return (f"systemd is PID 1: the hub runs as the service nnex4-hub, each student's server as "
                    f"the unit {UNIT_TEMPLATE.format(USERNAME='<name>')} in {SLICE} "
                    f"({cap}, CPUWeight={CPU_WEIGHT})")
        cpu = (f"cpu.shares={CPU_SHARES}" if self.version == "v1" else f"cpu.weight={CPU_WEIGHT}") \
            if self.cpu else "no cpu controller: no CPU fairness"
        return (f"no systemd: each student's server in cgroup {self.version} groups below the hub's "
                f"(memory: {self.memory or '-'}; cpu: {self.cpu or '-'}; {cap}, {cpu})")


def parse_bytes(text: str) -> int:
    text = str(text).strip().upper()
    units = {"K": 1 << 10, "M": 1 << 20, "G": 1 << 30, "T": 1 << 40}
    if text and text[-1] in units:
        return int(float(text[:-1]) * units[text[-1]])
    return int(text)


def mem_limit_from_env(env=os.environ) -> int:
    text = env.get("NNEX4_HUB_MEM_LIMIT", "2G")
    if text in ("", "0"):
        return 0
    try:
        return parse_bytes(text)
    except ValueError:
        raise SystemExit(f"limits: NNEX4_HUB_MEM_LIMIT={text!r} is not a size (e.g. 2G, 1500M, 0 for none)")


def _read(path: Path) -> str:
    try:
        return path.read_text()
    except OSError:
        return ""


def own_groups(roots: Roots) -> dict[str, str]:
    """/proc/self/cgroup as {controller: path}: v1 lines per controller (and per co-mounted
    group, "cpu,cpuacct"), and "" for v2's 0:: line."""
    groups = {}
    for line in _read(roots.proc_self_cgroup).splitlines():
        parts = line.split(":", 2)
        if len(parts) != 3:
            continue
        _, controllers, path = parts
        if not controllers:
            groups[""] = path
        elif "," in controllers:  # co-mounted (cpu,cpuacct): the mount folder's name
            groups[controllers] = path
        for c in controllers.split(","):
            if c:
                groups[c] = path
    return groups


def _v1_dir(roots: Roots, controller: str, groups: dict[str, str]) -> Path | None:
    """The folder of this process's v1 group for a controller: the controller's mount is
    /sys/fs/cgroup/<name> (Debian: cpu,cpuacct with cpu a link to it)."""
    if controller not in groups:
        return None
    for mount in (controller, *[k for k in groups if controller in k.split(",")]):
        base = roots.sys_cgroup / mount
        if (base / "cgroup.procs").exists():
            return base / groups[controller].lstrip("/")
    return None


def way(roots: Roots = Roots()) -> str:
    """"systemd" where systemd is PID 1, else "cgroup"."""
    return "systemd" if roots.run_systemd.is_dir() else "cgroup"


def plan(mem_limit: int, roots: Roots = Roots()) -> Plan:
    """The way the students' servers run here, and whether they can be capped (from files only)."""
    if way(roots) == "systemd":
        p = Plan("systemd", "systemd", mem_limit)
        if not mem_limit:
            p.notes.append(UNCAPPED)
        return p
    groups = own_groups(roots)
    if not groups:
        return Plan("cgroup", "none", mem_limit, error=(
            f"no cgroups: {roots.proc_self_cgroup} is empty or missing, so a student's server cannot "
            "be capped. Fix: run the class on a Linux server with systemd (Debian 12, Ubuntu 24.04), "
            "or set NNEX4_HUB_MEM_LIMIT=0 to run the class without a memory cap (not for a class)"))
    if "memory" in groups or "cpu" in groups:  # cgroup v1 (or hybrid: v1 controllers + an empty v2)
        p = Plan("cgroup", "v1", mem_limit, memory=_v1_dir(roots, "memory", groups),
                 cpu=_v1_dir(roots, "cpu", groups))
        if not p.cpu:
            p.notes.append("no cpu cgroup controller: one student's busy loop slows everyone's cells")
        if mem_limit and not p.memory:
            p.error = (f"cgroup v1 without the memory controller ({roots.proc_self_cgroup} has no memory "
                       f"line, or {roots.sys_cgroup}/memory is not mounted): a student's server cannot be "
                       "capped. Fix: boot with cgroup_enable=memory (kernel command line), or run the class "
                       "on a server with systemd, or set NNEX4_HUB_MEM_LIMIT=0 to run without a memory cap "
                       "(not for a class)")
        if not mem_limit:
            p.notes.append(UNCAPPED)
        return p
    own = roots.sys_cgroup / groups.get("", "/").lstrip("/")
    available = _read(own / "cgroup.controllers").split()
    enabled = _read(own / "cgroup.subtree_control").split()
    is_root = own == roots.sys_cgroup
    p = Plan("cgroup", "v2", mem_limit, memory=own, cpu=own if ("cpu" in enabled or (is_root and "cpu" in available)) else None)
    if not p.cpu:
        p.notes.append(f"cpu is not in {own}/cgroup.subtree_control: one student's busy loop slows "
                       "everyone's cells")
    if not mem_limit:
        p.notes.append(UNCAPPED)
        return p
    if "memory" in enabled or (is_root and "memory" in available):
        return p
    if "memory" not in available:
        why = (f"the memory controller is not available in the hub's cgroup {own} (its cgroup.controllers: "
               f"{' '.join(available) or 'empty'})")
    else:
        why = (f"the hub's cgroup {own} holds processes, and cgroup v2 lets such a cgroup give no "
               f"controller to its children (\"no internal processes\"): memory is not in its "
               f"cgroup.subtree_control ({' '.join(enabled) or 'empty'}), so a student's cgroup below it "
               "would have no memory.max and every login would fail")
    p.error = (f"{why}. Fix: run the class on a server where systemd is PID 1 (make hub then runs the hub "
               "as the service nnex4-hub and each student's server as a systemd unit), or start the hub in "
               "an empty cgroup whose parent has memory in cgroup.subtree_control, or set "
               "NNEX4_HUB_MEM_LIMIT=0 to run the class without a memory cap (not for a class)")
    return p


# --- a student's groups (the cgroup way) ---------------------------------------------------
def student_dirs(p: Plan, user: str) -> list[Path]:
    """The cgroup folders a student's server joins: memory (when capped) and cpu; on v2 one."""
    dirs = []
    if p.mem_limit and p.memory:
        dirs.append(p.memory / f"{GROUP_PREFIX}{user}")
    if p.cpu and (p.cpu / f"{GROUP_PREFIX}{user}") not in dirs:
        dirs.append(p.cpu / f"{GROUP_PREFIX}{user}")
    return dirs


def make_groups(p: Plan, user: str, cpu_limit: float = 0.0) -> list[Path]:
    """Makes the student's groups with the class's memory cap and an equal CPU share (and a
    CPU quota of `cpu_limit` cores when set); returns the folders the server must join."""
    dirs = student_dirs(p, user)
    try:
        if p.version == "v2" and p.memory:  # the root cgroup may enable them for its children
            enabled = _read(p.memory / "cgroup.subtree_control").split()
            for c in (["memory"] if p.mem_limit else []) + (["cpu"] if p.cpu else []):
                if c not in enabled:
                    (p.memory / "cgroup.subtree_control").write_text(f"+{c}")
        for d in dirs:
            d.mkdir(exist_ok=True)
        if p.version == "v1":
            if p.mem_limit and p.memory:
                (p.memory / f"{GROUP_PREFIX}{user}" / "memory.limit_in_bytes").write_text(str(p.mem_limit))
            if p.cpu:
                g = p.cpu / f"{GROUP_PREFIX}{user}"
                (g / "cpu.shares").write_text(str(CPU_SHARES))
                if cpu_limit:
                    period = int((g / "cpu.cfs_period_us").read_text())
                    (g / "cpu.cfs_quota_us").write_text(str(int(cpu_limit * period)))
        elif dirs:
            g = dirs[0]
            if p.mem_limit:
                (g / "memory.max").write_text(str(p.mem_limit))
                (g / "memory.swap.max").write_text("0")
            if p.cpu:
                (g / "cpu.weight").write_text(str(CPU_WEIGHT))
                if cpu_limit:
                    (g / "cpu.max").write_text(f"{int(cpu_limit * 100000)} 100000")
    except OSError as e:
        raise RuntimeError(f"cannot cap {user}'s server: {e.filename}: {e.strerror}. {p.describe()}") from e
    return dirs


def group_pids(p: Plan, user: str) -> list[int]:
    pids: set[int] = set()
    for d in student_dirs(p, user):
        pids.update(int(x) for x in _read(d / "cgroup.procs").split())
    return sorted(pids)


def join(dirs: list[Path], pid: int | None = None) -> None:
    """Moves a process (this one by default) into the student's groups: the spawner's child
    does this as root, before it becomes the student."""
    for d in dirs:
        with open(d / "cgroup.procs", "w") as f:
            f.write(str(pid or os.getpid()))


def remove_groups(p: Plan, user: str, kill_until_gone=None) -> None:
    """Ends whatever the student left running in their groups, then removes the groups."""
    if kill_until_gone:
        kill_until_gone(lambda: group_pids(p, user))
    for d in student_dirs(p, user):
        try:
            d.rmdir()
        except OSError:
            pass


# --- the probe and the proof ----------------------------------------------------------------
def probe(roots: Roots = Roots()) -> dict[str, int | str | None]:
    """The memory cap and CPU share this process is under, read from its own cgroup(s), and
    the group that gives it its CPU share."""
    groups = own_groups(roots)
    out: dict[str, int | str | None] = {"memory": None, "cpu": None,
                                        "group": groups.get("cpu", groups.get(""))}
    if "memory" in groups or "cpu" in groups:
        mem, cpu = _v1_dir(roots, "memory", groups), _v1_dir(roots, "cpu", groups)
        mem_text = _read(mem / "memory.limit_in_bytes").strip() if mem else ""
        cpu_text = _read(cpu / "cpu.shares").strip() if cpu else ""
    else:
        own = roots.sys_cgroup / groups.get("", "/").lstrip("/")
        mem_text, cpu_text = _read(own / "memory.max").strip(), _read(own / "cpu.weight").strip()
    out["memory"] = int(mem_text) if mem_text.isdigit() else None
    out["cpu"] = int(cpu_text) if cpu_text.isdigit() else None
    return out


def _probe_cmd() -> list[str]:
    return [sys.executable, str(Path(__file__).resolve()), "probe"]


def systemd_test_unit_cmd(p: Plan, name: str, cpu_limit: float = 0.0) -> list[str]:
    """systemd-run for a test unit with a student's settings (as jupyterhub-systemdspawner passes them)."""
    cmd = ["systemd-run", "--quiet", "--wait", "--pipe", "--collect", f"--unit={name}", f"--slice={SLICE}",
           "--property=CPUAccounting=yes", f"--property=CPUWeight={CPU_WEIGHT}"]
    if p.mem_limit:
        cmd += ["--property=MemoryAccounting=yes", f"--property=MemoryMax={p.mem_limit}"]
    if cpu_limit:
        cmd.append(f"--property=CPUQuota={int(cpu_limit * 100)}%")
    return cmd + _probe_cmd()


def _parse_probe(text: str) -> dict[str, int | str | None]:
    got: dict[str, int | str | None] = {}
    for word in text.split():
        key, _, value = word.partition("=")
        if key in ("memory", "cpu"):
            got[key] = int(value) if value.isdigit() else None
        elif key == "group":
            got[key] = value
    return got


def prove(p: Plan, run=subprocess.run) -> str:
    """Makes a test unit or cgroup with the class's settings, runs the probe inside it and
    checks the cap it reports. Returns what was proved; raises RuntimeError with the fix."""
    name = f"nnex4-capcheck-{os.getpid()}"
    if p.way == "systemd":
        cmd = systemd_test_unit_cmd(p, name)
        r = run(cmd, capture_output=True, text=True, timeout=60)
        got = _parse_probe(r.stdout)
        if r.returncode != 0 or "memory" not in got:
            raise RuntimeError(f"a test unit with a student's settings did not run ({' '.join(cmd)}: exit "
                               f"{r.returncode}: {(r.stderr or r.stdout).strip()[-400:]}). Fix: systemd >= 243 "
                               "with cgroup v2 (systemctl --version; Debian 12 and Ubuntu 24.04 have it)")
    else:
        user = name[len(GROUP_PREFIX):]  # capcheck-<pid>: two checks at once do not meet
        remove_groups(p, user)
        dirs = make_groups(p, user)
        try:
            r = run(_probe_cmd(), capture_output=True, text=True, timeout=60,
                    preexec_fn=lambda: join(dirs))
            got = _parse_probe(r.stdout)
        finally:
            remove_groups(p, user)
    if p.mem_limit and got.get("memory") != p.mem_limit:
        raise RuntimeError(f"a test {'unit' if p.way == 'systemd' else 'cgroup'} was made with a {p.mem_limit}-byte "
                           f"memory cap, but the process inside it is under {got.get('memory')}: students' "
                           f"servers would run uncapped. {p.describe()}")
    cpu, group = got.get("cpu"), str(got.get("group") or "")
    want_cpu = CPU_SHARES if p.version == "v1" else CPU_WEIGHT
    if (p.way == "systemd" or p.cpu) and (cpu != want_cpu or not group.rstrip("/").endswith(
            (f"/{name}.service", f"/{name}"))):
        p.notes.append(f"CPU fairness not in effect: the test process ran in the group {group or '?'} "
                       f"with a CPU share of {cpu}, not a group of its own with {want_cpu}")
    cap = f"memory cap {got.get('memory')} bytes" if p.mem_limit else "no memory cap"
    return (f"a test {'unit' if p.way == 'systemd' else 'cgroup'} ran with the class's settings ({cap}, "
            f"CPU share {cpu} in {group})")


def check(mem_limit: int, roots: Roots = Roots(), run=subprocess.run, out=print) -> int:
    """`make hub`'s start-up check: 0 when students' servers can be capped (or NNEX4_HUB_MEM_LIMIT=0)."""
    p = plan(mem_limit, roots)
    out(f"limits: {p.describe()}")
    if p.error:
        out(f"limits: cannot start the class: {p.error}")
        return 1
    try:
        out(f"limits: proved: {prove(p, run)}")
    except (RuntimeError, OSError, subprocess.SubprocessError) as e:
        out(f"limits: cannot start the class: {e}")
        return 1
    for note in p.notes:
        out(f"limits: warning: {note}")
    return 0


if __name__ == "__main__":
    cmd = sys.argv[1] if len(sys.argv) > 1 else ""
    if cmd == "probe":
        got = probe()
        print(" ".join(f"{k}={'' if v is None else v}" for k, v in got.items()))
    elif cmd == "way":
        print(way())
    elif cmd == "plan":
        pl = plan(mem_limit_from_env())
        print(pl.describe(), pl.error, *pl.notes, sep="\n")
    elif cmd == "check":
        sys.exit(check(mem_limit_from_env()))
    else:
        sys.exit("usage: limits.py check|plan|way|probe")
