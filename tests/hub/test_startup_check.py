"""make hub's start-up checks, against faked system layouts and, where this machine allows,
the real one:

- hub/limits.py: which way the students' servers run (systemd units, or cgroup v1/v2 groups
  below the hub's) and why a class cannot be capped, from a fake /sys/fs/cgroup,
  /proc/self/cgroup and /run/systemd/system; the proof (a test cgroup here, as root; a
  systemd test unit's command and its verdicts from faked answers);
- hub/service.py and deploy/systemd/: the hub's unit files, checked by `systemd-analyze
  verify` (it runs without a running systemd);
- hub/jupyterhub_config.py: the spawner the detection chooses, and jupyterhub-systemdspawner's
  unit for a student as a unit file, verified (needs the hub's venv: jupyterhub);
- scripts/grading/userns.py: Ubuntu's AppArmor restriction of bubblewrap, from a fake /proc/sys.

No hub install, Unix users or NNEX4_HUB_TESTS needed: they run in the kit's venv
(.venv/bin/python -m pytest tests/hub/test_startup_check.py) and with tests/hub in .ci/run.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import types
from pathlib import Path

import limits
import pytest
import service
from hubenv import REPO

sys.path.insert(0, str(REPO / "scripts" / "grading"))
import userns

GIB = 1 << 30


# --- fake layouts ---------------------------------------------------------------------------
def fake_v2(tmp: Path, own: str, controllers: str, subtree: str, procs: str = "4242\n") -> limits.Roots:
    sysfs = tmp / "sys" / "fs" / "cgroup"
    d = sysfs / own.lstrip("/")
    d.mkdir(parents=True)
    (sysfs / "cgroup.controllers").write_text(controllers + "\n")
    (d / "cgroup.controllers").write_text(controllers + "\n")
    (d / "cgroup.subtree_control").write_text(subtree + "\n")
    (d / "cgroup.procs").write_text(procs)
    (tmp / "self_cgroup").write_text(f"0::{own}\n")
    return limits.Roots(sys_cgroup=sysfs, proc_self_cgroup=tmp / "self_cgroup", run_systemd=tmp / "run" / "systemd" / "system")


def fake_v1(tmp: Path, memory: bool = True) -> limits.Roots:
    """Debian's v1 layout: cpu and cpuacct co-mounted as cpu,cpuacct; a hybrid 0:: line."""
    sysfs = tmp / "sys" / "fs" / "cgroup"
    lines = ["9:pids:/user.slice", "3:cpu,cpuacct:/user.slice", "0::/user.slice/session-1.scope"]
    (sysfs / "cpu,cpuacct" / "user.slice").mkdir(parents=True)
    (sysfs / "cpu,cpuacct" / "cgroup.procs").write_text("1\n")
    if memory:
        lines.insert(1, "4:memory:/user.slice/session-1.scope")
        (sysfs / "memory" / "user.slice" / "session-1.scope").mkdir(parents=True)
        (sysfs / "memory" / "cgroup.procs").write_text("1\n")
    (tmp / "self_cgroup").write_text("\n".join(lines) + "\n")
    return limits.Roots(sys_cgroup=sysfs, proc_self_cgroup=tmp / "self_cgroup", run_systemd=tmp / "run" / "systemd" / "system")


def fake_systemd(tmp: Path) -> limits.Roots:
    roots = fake_v2(tmp, "/user.slice/user-0.slice/session-3.scope", "cpuset cpu io memory pids", "")
    roots.run_systemd.mkdir(parents=True)
    return roots


def never_run(*a, **k):
    raise AssertionError(f"nothing should run: {a}")


# --- the choice and its messages --------------------------------------------------------------
def test_systemd_is_chosen_where_pid1_is_systemd(tmp_path):
    """The issue's layout: a root shell's session scope on cgroup v2 without memory for its
    children. With systemd as PID 1 the class runs as units instead: no error."""
    p = limits.plan(2 * GIB, fake_systemd(tmp_path))
    assert (p.way, p.error) == ("systemd", "")
    assert limits.SLICE in p.describe() and "jupyter-<name>" in p.describe()


def test_v2_session_scope_without_memory_stops_with_the_cause_and_the_fix(tmp_path):
    roots = fake_v2(tmp_path, "/user.slice/user-0.slice/session-3.scope", "cpuset cpu io memory pids", "")
    p = limits.plan(2 * GIB, roots)
    assert p.way == "cgroup" and p.version == "v2"
    assert "no internal processes" in p.error and "session-3.scope" in p.error
    assert "no memory.max" in p.error and "every login would fail" in p.error
    assert "systemd is PID 1" in p.error and "NNEX4_HUB_MEM_LIMIT=0" in p.error
    said = []
    assert limits.check(2 * GIB, roots, run=never_run, out=said.append) == 1
    assert said[-1].startswith("limits: cannot start the class: the hub's cgroup"), said


def test_v2_without_the_memory_controller_at_all(tmp_path):
    p = limits.plan(2 * GIB, fake_v2(tmp_path, "/hub", "cpu pids", "cpu"))
    assert "memory controller is not available" in p.error and "cpu pids" in p.error


def test_v2_with_memory_delegated_is_the_cgroup_way(tmp_path):
    roots = fake_v2(tmp_path, "/system.slice/hub.service/hub", "cpu memory pids", "cpu memory")
    p = limits.plan(2 * GIB, roots)
    assert (p.version, p.error) == ("v2", "")
    assert p.memory == p.cpu == roots.sys_cgroup / "system.slice/hub.service/hub"


def test_v2_root_cgroup_may_enable_memory_for_its_children(tmp_path):
    """A container with its own cgroup namespace: the hub in "/", where internal processes
    are allowed; the groups enable memory and cpu in the root's subtree_control."""
    roots = fake_v2(tmp_path, "/", "cpu memory pids", "")
    p = limits.plan(GIB, roots)
    assert (p.version, p.error, p.memory, p.cpu) == ("v2", "", roots.sys_cgroup, roots.sys_cgroup)
    dirs = limits.make_groups(p, "ana", cpu_limit=1.5)
    g = roots.sys_cgroup / "nnex4-ana"
    assert dirs == [g]
    assert (roots.sys_cgroup / "cgroup.subtree_control").read_text() == "+cpu"  # the last write wins in a fake
    assert (g / "memory.max").read_text() == str(GIB) and (g / "memory.swap.max").read_text() == "0"
    assert (g / "cpu.weight").read_text() == "100" and (g / "cpu.max").read_text() == "150000 100000"


def test_uncapped_class_says_so(tmp_path):
    roots = fake_v2(tmp_path, "/user.slice/user-0.slice/session-3.scope", "cpuset cpu io memory pids", "")
    p = limits.plan(0, roots)
    assert p.error == "" and limits.UNCAPPED in p.notes
    said = []
    fake_probe = lambda *a, **k: types.SimpleNamespace(returncode=0, stdout="memory= cpu= group=/", stderr="")
    assert limits.check(0, roots, run=fake_probe, out=said.append) == 0
    assert any("the class runs uncapped" in s for s in said), said


def test_v1_hybrid_layout(tmp_path):
    roots = fake_v1(tmp_path)
    p = limits.plan(2 * GIB, roots)
    assert (p.way, p.version, p.error) == ("cgroup", "v1", "")
    assert p.memory == roots.sys_cgroup / "memory/user.slice/session-1.scope"
    assert p.cpu == roots.sys_cgroup / "cpu,cpuacct/user.slice"
    (p.cpu / "cpu.cfs_period_us").parent.mkdir(parents=True, exist_ok=True)
    (p.cpu / "nnex4-bo").mkdir()
    (p.cpu / "nnex4-bo" / "cpu.cfs_period_us").write_text("100000\n")
    dirs = limits.make_groups(p, "bo", cpu_limit=0.5)
    assert dirs == [p.memory / "nnex4-bo", p.cpu / "nnex4-bo"]
    assert (dirs[0] / "memory.limit_in_bytes").read_text() == str(2 * GIB)
    assert (dirs[1] / "cpu.shares").read_text() == "1024" and (dirs[1] / "cpu.cfs_quota_us").read_text() == "50000"


def test_v1_without_memory_controller(tmp_path):
    p = limits.plan(2 * GIB, fake_v1(tmp_path, memory=False))
    assert "cgroup_enable=memory" in p.error and "NNEX4_HUB_MEM_LIMIT=0" in p.error
    assert limits.plan(0, fake_v1(tmp_path / "b", memory=False)).error == ""


def test_no_cgroups_at_all(tmp_path):
    (tmp_path / "empty").write_text("")
    p = limits.plan(GIB, limits.Roots(tmp_path, tmp_path / "empty", tmp_path / "nosystemd"))
    assert p.error.startswith("no cgroups")


# --- the proof ---------------------------------------------------------------------------------
def test_systemd_proof_runs_a_test_unit_with_a_students_settings(tmp_path):
    p = limits.plan(2 * GIB, fake_systemd(tmp_path))
    seen = []

    def answers(stdout, code=0, stderr=""):
        def run(cmd, **k):
            seen.append(cmd)
            return types.SimpleNamespace(returncode=code, stdout=stdout, stderr=stderr)
        return run

    unit = f"nnex4-capcheck-{os.getpid()}"
    ok = f"memory={2 * GIB} cpu=100 group=/nnex4.slice/{limits.SLICE}/{unit}.service\n"
    assert "memory cap 2147483648" in limits.prove(p, answers(ok))
    cmd = seen[0]
    assert cmd[0] == "systemd-run" and f"--slice={limits.SLICE}" in cmd and f"--unit={unit}" in cmd
    assert f"--property=MemoryMax={2 * GIB}" in cmd and "--property=CPUWeight=100" in cmd
    assert cmd[-1] == "probe" and not p.notes
    # a unit whose cap did not take (the controller missing below the slice): students would run uncapped
    with pytest.raises(RuntimeError, match="would run uncapped"):
        limits.prove(p, answers(f"memory= cpu=100 group=/nnex4.slice/{limits.SLICE}/{unit}.service\n"))


def test_systemd_proof_where_systemd_does_not_run_names_the_fix(tmp_path):
    """The real systemd-run on this machine (PID 1 is not systemd) refuses: the proof stops
    with its words and the fix."""
    if not shutil.which("systemd-run"):
        pytest.skip("systemd-run is not installed (apt-get install systemd)")
    if Path("/run/systemd/system").is_dir():
        pytest.skip("systemd runs here: this checks the message where it does not")
    p = limits.plan(GIB, fake_systemd(tmp_path))
    with pytest.raises(RuntimeError) as e:
        limits.prove(p)
    assert "did not run" in str(e.value) and "systemd >= 243" in str(e.value), e.value


def _real_cgroup_plan() -> limits.Plan:
    if os.geteuid() != 0:
        pytest.skip("the real cgroup proof needs root (it makes a cgroup)")
    if Path("/run/systemd/system").is_dir():
        pytest.skip("systemd runs here: make hub proves with a test unit instead")
    p = limits.plan(GIB)
    if p.error:
        pytest.skip(f"this machine cannot cap a student's server: {p.error}")
    return p


def test_cgroup_proof_on_this_machine():
    p = _real_cgroup_plan()
    said = []
    assert limits.check(GIB, run=subprocess.run, out=said.append) == 0, said
    assert f"memory cap {GIB} bytes" in said[1], said
    assert not any("CPU fairness not in effect" in s for s in said), said
    assert not any(d.exists() for d in limits.student_dirs(p, f"capcheck-{os.getpid()}")), "the test group stayed"


def test_cgroup_proof_catches_a_cap_that_did_not_take(monkeypatch):
    """The attack on the proof: groups made without the cap. The proof must see it."""
    p = _real_cgroup_plan()
    real = limits.make_groups

    def forgetful(plan, user, cpu_limit=0.0):
        dirs = real(plan, user, cpu_limit)
        name = "memory.limit_in_bytes" if plan.version == "v1" else "memory.max"
        (dirs[0] / name).write_text("-1" if plan.version == "v1" else "max")
        return dirs

    monkeypatch.setattr(limits, "make_groups", forgetful)
    with pytest.raises(RuntimeError, match="would run uncapped"):
        limits.prove(p)
    assert not any(d.exists() for d in limits.student_dirs(p, f"capcheck-{os.getpid()}"))


# --- the hub's unit files ------------------------------------------------------------------------
def _verify(folder: Path, *names: str) -> subprocess.CompletedProcess:
    if not shutil.which("systemd-analyze"):
        pytest.skip("systemd-analyze is not installed (apt-get install systemd)")
    return subprocess.run(["systemd-analyze", "verify", *names], cwd=folder, capture_output=True, text=True,
                          check=False)


def _fake_prefix(tmp: Path) -> dict[str, str]:
    prefix, state = tmp / "prefix", tmp / "state"
    (prefix / "venv" / "bin").mkdir(parents=True)
    state.mkdir()
    hub = prefix / "venv" / "bin" / "jupyterhub"
    hub.write_text("#!/bin/sh\n")
    hub.chmod(0o755)
    return {"NNEX4_HUB_PREFIX": str(prefix), "NNEX4_HUB_STATE": str(state)}


def test_hub_units_pass_systemd_analyze_verify(tmp_path):
    values = _fake_prefix(tmp_path)
    units = service.render(values)
    for name, text in units.items():
        (tmp_path / name).write_text(text)
    hub = units[service.SERVICE]
    for line in ["Restart=on-failure", "WantedBy=multi-user.target", f"WorkingDirectory={values['NNEX4_HUB_STATE']}",
                 f"EnvironmentFile={values['NNEX4_HUB_STATE']}/hub.env",
                 (f"ExecStart={values['NNEX4_HUB_PREFIX']}/venv/bin/jupyterhub -f "
                  f"{values['NNEX4_HUB_PREFIX']}/kit/hub/jupyterhub_config.py --upgrade-db")]:
        assert line in hub.splitlines(), line
    assert "StandardOutput" not in hub  # the journal
    r = _verify(tmp_path, service.SERVICE, service.SLICE)
    assert (r.returncode, r.stderr.strip()) == (0, ""), r.stderr
    # the check can fail: an unknown setting, and a hub that is not installed
    (tmp_path / "bad.service").write_text(hub.replace("Restart=on-failure", "Restart=on-failure\nRestartt=always"))
    assert "Unknown key 'Restartt'" in _verify(tmp_path, "bad.service").stderr
    os.remove(Path(values["NNEX4_HUB_PREFIX"]) / "venv" / "bin" / "jupyterhub")
    r = _verify(tmp_path, service.SERVICE)
    assert r.returncode != 0 and "is not executable" in r.stderr


def test_hub_env_file_and_install_steps(tmp_path):
    values = {**_fake_prefix(tmp_path), "NNEX4_HUB_PORT": "8400", "NNEX4_HUB_ADMINS": 'ms "q", mr\\b'}
    units, ran = tmp_path / "units", []
    units.mkdir()
    service.install(values, unit_dir=units, run=lambda cmd, **k: ran.append(cmd))
    env = Path(values["NNEX4_HUB_STATE"]) / "hub.env"
    assert oct(env.stat().st_mode & 0o777) == "0o600"
    assert 'NNEX4_HUB_ADMINS="ms \\"q\\", mr\\\\b"' in env.read_text().splitlines()
    assert sorted(p.name for p in units.iterdir()) == sorted([service.SERVICE, service.SLICE])
    assert ran == [["systemctl", "daemon-reload"], ["systemctl", "enable", "--now", service.SERVICE]]
    with pytest.raises(ValueError, match="line break"):
        service.env_file({"NNEX4_HUB_ADMINS": "a\nb"})


# --- the spawner the detection chooses (the hub's venv) -------------------------------------------
def _load_config(tmp_path, monkeypatch, roots: limits.Roots, mem="2G", cpu="0"):
    pytest.importorskip("jupyterhub", reason="the hub's own venv (hub/install.sh) has jupyterhub")
    pytest.importorskip("systemdspawner", reason="the hub's venv from hub/requirements-hub.txt has systemdspawner")
    from traitlets.config.loader import PyFileConfigLoader

    real_plan = limits.plan
    monkeypatch.setattr(limits, "plan", lambda m, roots_=None: real_plan(m, roots))
    for k, v in {"NNEX4_HUB_STATE": str(tmp_path / "state"), "NNEX4_HUB_MEM_LIMIT": mem,
                 "NNEX4_HUB_CPU_LIMIT": cpu}.items():
        monkeypatch.setenv(k, v)
    return PyFileConfigLoader("jupyterhub_config.py", path=str(REPO / "hub")).load_config()


def test_config_chooses_the_cgroup_spawner_without_systemd(tmp_path, monkeypatch):
    cfg = _load_config(tmp_path, monkeypatch, fake_v1(tmp_path))
    import spawner
    assert cfg.JupyterHub.spawner_class is spawner.NnEx4Spawner
    assert cfg.JupyterHub.cleanup_servers is True and cfg.Spawner.mem_limit == 2 * GIB


def test_a_test_hub_reserves_every_port_its_config_listens_on(tmp_path, monkeypatch):
    """The test hubs' ports: every port hub/jupyterhub_config.py derives from the hub's lies in
    the block the harness checked, and outside the ephemeral range, where an outgoing
    connection could take it before the hub binds (a CI run lost the board's port so)."""
    import urllib.parse

    import harness
    base = harness.free_port_block()
    monkeypatch.setenv("NNEX4_HUB_PORT", str(base))
    cfg = _load_config(tmp_path, monkeypatch, fake_v1(tmp_path))
    urls = [cfg.ConfigurableHTTPProxy.api_url] + [s["url"] for s in cfg.JupyterHub.services if "url" in s]
    ports = {cfg.JupyterHub.port, cfg.JupyterHub.hub_port} | {urllib.parse.urlsplit(u).port for u in urls}
    assert len(ports) == 4 and ports <= set(range(base, base + harness.HUB_PORTS)), (base, ports)
    assert not ports & set(harness.ephemeral_ports()), (ports, harness.ephemeral_ports())


def test_a_board_port_in_use_stops_the_board_naming_the_port_and_the_setting(tmp_path):
    """Another program on the board's port (hub port + 3): the board service, and with it the
    hub, stops at start with one line that names the port and NNEX4_BOARD_PORT."""
    pytest.importorskip("jupyterhub", reason="the hub's own venv (hub/install.sh) has jupyterhub")
    import socket
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        env = {**os.environ, "JUPYTERHUB_SERVICE_URL": f"http://127.0.0.1:{port}",
               "NNEX4_HUB_STATE": str(tmp_path), "JUPYTERHUB_API_TOKEN": "unused"}
        r = subprocess.run([sys.executable, str(REPO / "hub" / "board" / "board.py"), "serve"],
                           check=False, env=env, capture_output=True, text=True, timeout=60)
    assert r.returncode == 1, r
    last = r.stderr.strip().splitlines()[-1]
    assert last.startswith(f"board: cannot listen on 127.0.0.1:{port} (") and "NNEX4_BOARD_PORT" in last, r.stderr


def test_config_refuses_to_start_a_hub_that_cannot_cap(tmp_path, monkeypatch):
    """Started without make hub (by hand, or a unit of one's own), the configuration itself
    stops on the issue's layout, instead of a hub whose every login fails."""
    roots = fake_v2(tmp_path, "/user.slice/user-0.slice/session-3.scope", "cpuset cpu io memory pids", "")
    with pytest.raises(SystemExit, match="cannot be capped here: the hub's cgroup .*no internal processes"):
        _load_config(tmp_path, monkeypatch, roots)
    cfg = _load_config(tmp_path, monkeypatch, roots, mem="0")  # uncapped, as asked
    assert cfg.Spawner.mem_limit is None


def test_config_chooses_systemd_units_and_their_settings_verify(tmp_path, monkeypatch):
    """With systemd as PID 1: jupyterhub-systemdspawner, as the hub would run it for a
    student (its systemd-run call captured), gives a unit whose settings are the class's
    and which systemd-analyze accepts; and the proof's test unit has the same limits."""
    import asyncio

    cfg = _load_config(tmp_path, monkeypatch, fake_systemd(tmp_path), mem="1536M", cpu="1.5")
    import spawner
    from systemdspawner import systemd as sd
    cls = cfg.JupyterHub.spawner_class
    assert cls is spawner.NnEx4SystemdSpawner and cfg.JupyterHub.cleanup_servers is False

    captured = {}

    async def fake_start(unit_name, **kw):
        captured.update(kw, unit_name=unit_name)

    monkeypatch.setattr(sd, "start_transient_service", fake_start)
    monkeypatch.setattr(spawner, "prepare_home", lambda name: None)
    user = types.SimpleNamespace(name="nobody", id=7, url="/user/nobody/", escaped_name="nobody")
    sp = cls(user=user, config=cfg, start_timeout=0)
    sp.get_env = lambda: {"PATH": "/usr/bin:/bin"}
    sp.get_args = lambda: ["--port=1234"]
    asyncio.run(sp.start())
    props = captured["properties"]
    assert captured["unit_name"] == "jupyter-nobody" and captured["slice"] == limits.SLICE
    assert int(props["MemoryMax"]) == 1536 << 20 and props["CPUQuota"] == "150%"
    assert props["CPUWeight"] == "100" and props["PrivateTmp"] == props["PrivateDevices"] == "yes"
    assert props["NoNewPrivileges"] == "yes" and props.get("OOMPolicy", "continue") == "continue"
    # the same settings as a unit file (systemd-run --property=K=V is a unit's K=V)
    lines = ["[Unit]", "Description=a student's server as systemd-run makes it", "[Service]",
             f"ExecStart={' '.join(captured['cmd'] + captured['args'])}", f"WorkingDirectory={captured['working_dir']}",
             f"User={captured['uid']}", f"Group={captured['gid']}", f"Slice={captured['slice']}",
             "RuntimeDirectory=jupyter-nobody", "RuntimeDirectoryMode=700", "RuntimeDirectoryPreserve=restart",
             "OOMPolicy=continue"]
    lines += [f"{k}={v}" for k, v in props.items() if not isinstance(v, list)]
    (tmp_path / "jupyter-nobody.service").write_text("\n".join(lines) + "\n")
    cmd0 = Path(captured["cmd"][0])
    if not cmd0.exists():  # the venv's jupyterhub-singleuser in the prefix the config names
        pytest.skip(f"{cmd0} is not installed (hub/install.sh): the unit's ExecStart would not verify")
    r = _verify(tmp_path, "jupyter-nobody.service")
    assert (r.returncode, r.stderr.strip()) == (0, ""), r.stderr
    proof = limits.systemd_test_unit_cmd(limits.plan(1536 << 20), "t", cpu_limit=1.5)
    assert f"--property=MemoryMax={props['MemoryMax']}" in proof and f"--property=CPUQuota={props['CPUQuota']}" in proof
    assert f"--property=CPUWeight={props['CPUWeight']}" in proof and f"--slice={captured['slice']}" in proof


# --- Ubuntu's AppArmor and bubblewrap ---------------------------------------------------------
def fake_proc_sys(tmp: Path, **settings: str) -> Path:
    for name, value in settings.items():
        f = tmp / "proc_sys" / name.replace("__", "/")
        f.parent.mkdir(parents=True, exist_ok=True)
        f.write_text(value + "\n")
    (tmp / "proc_sys").mkdir(exist_ok=True)
    return tmp / "proc_sys"


def test_apparmor_restriction_installs_ubuntus_profile_as_root(tmp_path):
    proc_sys = fake_proc_sys(tmp_path, kernel__apparmor_restrict_unprivileged_userns="1")
    apparmor_d = tmp_path / "apparmor.d"
    apparmor_d.mkdir()
    loaded = []

    def attempt(bwrap):  # what the kernel does: namespaces only once a profile granting userns is loaded
        return "" if loaded else "bwrap: setting up uid map: Permission denied"

    def parser(cmd, **k):
        text = Path(cmd[-1]).read_text()
        if "profile nnex4-bwrap /usr/bin/bwrap flags=(unconfined)" in text and "  userns,\n" in text:
            loaded.append(cmd)
        return types.SimpleNamespace(returncode=0, stderr="")

    said = []
    rc = userns.ensure(proc_sys, apparmor_d, bwrap="/usr/bin/bwrap", parser="/sbin/apparmor_parser", run=parser,
                       attempt=attempt, is_root=True, out=said.append)
    assert rc == 0, said
    assert loaded == [["/sbin/apparmor_parser", "-r", str(apparmor_d / "nnex4-bwrap")]]
    assert "abi <abi/4.0>," in (apparmor_d / "nnex4-bwrap").read_text()
    assert said[-1].startswith("sandbox: bwrap's user namespaces work with the profile"), said


def test_apparmor_restriction_without_root_names_the_exact_fix(tmp_path):
    proc_sys = fake_proc_sys(tmp_path, kernel__apparmor_restrict_unprivileged_userns="1")
    said = []
    rc = userns.ensure(proc_sys, tmp_path, bwrap="/usr/bin/bwrap", parser="/sbin/apparmor_parser", run=never_run,
                       attempt=lambda b: "Permission denied", is_root=False, out=said.append)
    assert rc == 1
    assert "kernel.apparmor_restrict_unprivileged_userns=1" in said[-1]
    assert userns.profile_text("/usr/bin/bwrap") in said[-1]
    assert f"apparmor_parser -r {tmp_path / 'nnex4-bwrap'}" in said[-1]
    assert not (tmp_path / "nnex4-bwrap").exists()


def test_other_userns_settings_name_their_sysctl(tmp_path):
    off = fake_proc_sys(tmp_path, kernel__apparmor_restrict_unprivileged_userns="0",
                        kernel__unprivileged_userns_clone="0", user__max_user_namespaces="0")
    said = []
    assert userns.ensure(off, tmp_path, bwrap="/usr/bin/bwrap", parser="/x", run=never_run,
                         attempt=lambda b: "No permission", is_root=True, out=said.append) == 1
    assert "sysctl -w kernel.unprivileged_userns_clone=1; sysctl -w user.max_user_namespaces=15000" in said[-1]
    assert "AppArmor" not in said[-1]


def test_bwrap_on_this_machine():
    if not shutil.which("bwrap"):
        pytest.skip("bubblewrap is not installed (apt-get install bubblewrap)")
    said = []
    rc = userns.ensure(is_root=False, out=said.append)
    restricted = userns.sysctl(Path("/proc/sys"), userns.RESTRICT)
    print(f"{userns.RESTRICT}: {restricted}; {said}")
    assert rc == 0 or "Fix" in said[-1], said
