"""Students are each other's attackers: from a cell of their own `rust` kernel on the hub
(the code a student runs), nnex4-s1 attacks nnex4-s2 and nnex4-s2 attacks nnex4-s1. Each
attack must fail; the same probes on the attacker's own files must succeed (so a probe that
could not work at all would not pass as a defence). Then the memory cap: a cell that fills
3 GiB is stopped at the student's cap, and the other student's kernel is unharmed.
"""

from __future__ import annotations

import glob
import json
import os
import pwd
import re

import harness
import limits
import pytest
import spawner
from hubenv import PREFIX, STUDENTS, USER_PREFIX

NOTEBOOK = "nn-ex4/notebooks/01-feedforward-and-cost.ipynb"


def _one(pattern: str) -> str:
    found = sorted(glob.glob(pattern, recursive=True))
    assert found, f"nothing matches {pattern}"
    return found[0]


def probe_cell(checks: list[tuple[str, str, str]]) -> str:
    """A Rust cell: each check is (name, kind, argument); prints `PROBE name: ok|denied (...)`."""
    lines = [
        "use std::fs::{self, OpenOptions};",
        "fn report(name: &str, r: std::io::Result<()>) {",
        "    match r { Ok(()) => println!(\"PROBE {name}: ok\"), Err(e) => println!(\"PROBE {name}: denied ({e})\") }",
        "}",
        "fn signal(pid: &str) -> std::io::Result<()> {",
        "    let st = std::process::Command::new(\"kill\").args([\"-KILL\", pid]).stderr(std::process::Stdio::null()).status()?;",
        "    if st.success() { Ok(()) } else { Err(std::io::Error::other(format!(\"kill: {st}\"))) }",
        "}",
    ]
    for name, kind, arg in checks:
        a = json.dumps(arg)
        expr = {
            "list": f"fs::read_dir({a}).map(|_| ())",
            "read": f"fs::read({a}).map(|_| ())",
            "write": f"OpenOptions::new().write(true).open({a}).map(|_| ())",
            "create": f"fs::write({a}, b\"evil\")",
            "signal": f"signal({a})",
        }[kind]
        lines.append(f"report({json.dumps(name)}, {expr});")
    return "\n".join(lines) + "\n"


def results(out: dict) -> dict[str, str]:
    got = dict(re.findall(r"^PROBE (.+?): (ok|denied)", out["stdout"], re.MULTILINE))
    assert got, f"the probe cell printed nothing: {out}"
    return got


def kernel_pid(user: str) -> str:
    for pid, cmd in harness.processes_of(user):
        if "evcxr_jupyter" in cmd and "--control_file" in cmd:
            return str(pid)
    raise AssertionError(f"{user} has no kernel running: {harness.processes_of(user)}")


def test_students_cannot_reach_each_other(hub, loop):
    kernels = {s: loop.run_until_complete(hub.open_kernel(s, NOTEBOOK)) for s in STUDENTS}
    try:
        for s, k in kernels.items():  # the first cell: the warm build's :dep lines
            harness.check_cell(s, 0, loop.run_until_complete(k.execute(harness.code_cells(
                PREFIX / "kit" / "notebooks" / "01-feedforward-and-cost.ipynb")[0])))
        warm_file = _one(f"{PREFIX}/warm/home/.cache/evcxr/*/libnn_core-*.rlib")
        std_rlib = _one(f"{PREFIX}/rust/current/lib/rustlib/*/lib/libstd-*.rlib")
        registry_src = _one(f"{PREFIX}/cargo/registry/src/*/ndarray-0.17*/src/lib.rs")
        for attacker, victim in [(STUDENTS[0], STUDENTS[1]), (STUDENTS[1], STUDENTS[0])]:
            vh, ah = f"/home/{victim}", f"/home/{attacker}"
            own_cached = _one(f"{ah}/.cache/evcxr/*/libnn_core-*.rlib")
            assert os.stat(own_cached).st_uid == 0, "the student's cached nn-core must be root's (hard link)"
            victim_kernel = kernel_pid(victim)
            attacks = [
                ("list the other's home", "list", vh),
                ("read the other's notebook", "read", f"{vh}/{NOTEBOOK}"),
                ("list the other's kernel build folder", "list", f"{vh}/.cache/nn-ex4/evcxr-tmp"),
                ("list the other's evcxr cache", "list", f"{vh}/.cache/evcxr"),
                ("read the other's kernel environment", "read", f"/proc/{victim_kernel}/environ"),
                ("signal the other's kernel", "signal", victim_kernel),
                ("overwrite the shared warm nn-core", "write", warm_file),
                ("add a file to the shared warm cache", "create", os.path.join(os.path.dirname(warm_file), "evil")),
                ("overwrite one's own cached nn-core (shared by hard link)", "write", own_cached),
                ("overwrite the toolchain's libstd", "write", std_rlib),
                ("overwrite a registry crate everyone compiles", "write", registry_src),
                ("overwrite the kit's nn-core source", "write", f"{PREFIX}/kit/nn-core/src/lib.rs"),
                ("overwrite the shared evcxr_jupyter", "write", f"{PREFIX}/bin/evcxr_jupyter"),
                ("overwrite the kernel wrapper", "write", f"{PREFIX}/bin/nnex4-kernel"),
                ("add a kernelspec", "create", f"{PREFIX}/venv/share/jupyter/kernels/evil.json"),
            ]
            controls = [
                ("own home", "list", ah),
                ("own notebook", "read", f"{ah}/{NOTEBOOK}"),
                ("own build folder", "list", f"{ah}/.cache/nn-ex4/evcxr-tmp"),
                ("own new file", "create", f"{ah}/probe.txt"),
                ("read the shared warm nn-core", "read", warm_file),
            ]
            out = loop.run_until_complete(kernels[attacker].execute(probe_cell(attacks + controls)))
            got = results(out)
            for name, _, _ in attacks:
                assert got.get(name) == "denied", f"{attacker} could {name}: {out['stdout']}"
            for name, _, _ in controls:
                assert got.get(name) == "ok", f"{attacker}'s control '{name}' failed: {out['stdout']}"
            assert kernel_pid(victim) == victim_kernel, f"{victim}'s kernel changed"
        for s, k in kernels.items():  # both kernels still answer
            out = loop.run_until_complete(k.execute('println!("alive {}", 6 * 7);'))
            assert "alive 42" in out["stdout"], (s, out)
        for s in STUDENTS:
            assert not os.path.exists(f"{PREFIX}/warm/home/.cache/evcxr/evil")
            assert oct(os.stat(f"/home/{s}").st_mode & 0o777) == "0o700"
    finally:
        for k in kernels.values():
            loop.run_until_complete(k.close())


def test_memory_cap_stops_a_hog_and_spares_the_other(hub, loop):
    limit = spawner.parse_bytes(hub.mem_limit)
    version, cg = spawner.cgroup_for(STUDENTS[0])
    assert spawner.cgroup_pids(STUDENTS[0]), f"{STUDENTS[0]}'s server is not in {cg}"
    hog = loop.run_until_complete(hub.open_kernel(STUDENTS[0], "nn-ex4/hog.ipynb"))
    other = loop.run_until_complete(hub.open_kernel(STUDENTS[1], "nn-ex4/other.ipynb"))
    try:
        big = limit + (1 << 30)  # 1 GiB over the cap, every byte written
        out = loop.run_until_complete(hog.execute(
            f"let v = vec![7u8; {big}usize];\nprintln!(\"filled {{}}\", v.iter().map(|&b| b as u64).sum::<u64>());"))
        assert "filled" not in out["stdout"], f"the hog filled {big} bytes past a {limit}-byte cap: {out}"
        if version == "v1":
            peak = int((cg / "memory.max_usage_in_bytes").read_text())
            assert int((cg / "memory.failcnt").read_text()) > 0
        else:
            peak = int((cg / "memory.peak").read_text())
            assert "oom_kill 0" not in (cg / "memory.events").read_text()
        assert peak <= limit, (peak, limit)
        out2 = loop.run_until_complete(other.execute('println!("fine {}", 1 + 1);'))
        assert "fine 2" in out2["stdout"], out2
    finally:
        loop.run_until_complete(hog.close())
        loop.run_until_complete(other.close())


def test_each_student_has_a_cpu_share_of_their_own(hub):
    """CPU fairness on the cgroup way: every process of each student's server sits in a cpu
    group of that student's own with the same cpu.shares (cpu.weight on v2), so the scheduler
    shares the cores per student, not per thread."""
    plan = limits.plan(1)
    if plan.way != "cgroup" or not plan.cpu:
        pytest.skip(f"no cpu groups on this machine: {plan.describe()}")
    groups = {}
    for s in STUDENTS:
        group = limits.student_dirs(plan, s)[-1]
        inside = {int(x) for x in (group / "cgroup.procs").read_text().split()}
        pids = [pid for pid, _ in harness.processes_of(s)]
        assert pids and set(pids) <= inside, (s, group, pids, inside)
        share = "cpu.shares" if plan.version == "v1" else "cpu.weight"
        want = limits.CPU_SHARES if plan.version == "v1" else limits.CPU_WEIGHT
        assert int((group / share).read_text()) == want
        groups[s] = group
    assert len(set(groups.values())) == len(STUDENTS)


@pytest.mark.needs_hub_install
def test_idle_culler_stops_an_idle_server(loop):
    """jupyterhub-idle-culler, as the hub runs it, with a 10 s timeout: a server nobody uses
    is stopped (and its memory cgroup emptied) within a minute."""
    import asyncio
    import time

    name = f"{USER_PREFIX}-s3"
    with harness.ClassHub([name], cull_timeout=10) as h:
        loop.run_until_complete(h.login(name))
        assert spawner.cgroup_pids(name)
        t0 = time.monotonic()

        async def wait_culled():
            while time.monotonic() - t0 < 90:
                user = await h.api("GET", f"/users/{name}")
                if not user.get("servers"):
                    return time.monotonic() - t0
                await asyncio.sleep(2)
            raise AssertionError(f"{name}'s idle server still running after 90 s:\n{h.tail_log()}")

        took = loop.run_until_complete(wait_culled())
        print(f"idle server culled after {took:.0f} s")
        for _ in range(20):
            if not harness.processes_of(name):
                break
            time.sleep(0.5)
        assert not harness.processes_of(name), harness.processes_of(name)


def test_notebooks_keep_their_files_in_the_students_home(hub, loop):
    """Notebook 03 keeps a checkpoint through nn_core::bundled::out_path: on the server the
    kit is read-only, so the folder is the student's own ~/nn-ex4/out (NN_EX4_OUT_DIR)."""
    s = STUDENTS[0]
    k = loop.run_until_complete(hub.open_kernel(s, NOTEBOOK))
    try:
        first = harness.code_cells(PREFIX / "kit" / "notebooks" / "01-feedforward-and-cost.ipynb")[0]
        harness.check_cell(s, 0, loop.run_until_complete(k.execute(first)))
        out = loop.run_until_complete(k.execute(
            'let p = nn_core::bundled::out_path("probe.mat").expect("the out/ folder");\n'
            'std::fs::write(&p, b"x").expect("write");\nprintln!("OUT {}", p.display());'))
        harness.check_cell(s, 1, out)
        assert f"OUT /home/{s}/nn-ex4/out/probe.mat" in out["stdout"], out
        assert os.stat(f"/home/{s}/nn-ex4/out/probe.mat").st_uid == pwd.getpwnam(s).pw_uid
    finally:
        loop.run_until_complete(k.close())
