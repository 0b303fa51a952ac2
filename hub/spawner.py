"""The class server's spawners: real Unix users, the kit's shared read-only kernel, a private
copy of the notebooks kept up to date with the kit (hub/homes.py), a memory cap and an equal
CPU share per student.

hub/limits.py chooses the way (and `make hub` proves it works before the hub starts):
- NnEx4SystemdSpawner where systemd is PID 1: jupyterhub-systemdspawner runs each student's
  server as a systemd unit (MemoryMax=, CPUWeight=, a private /tmp), as The Littlest
  JupyterHub does.
- NnEx4Spawner elsewhere: JupyterHub's LocalProcessSpawner accepts `mem_limit` but does not
  enforce it (it only passes MEM_LIMIT to the server). Here each student's server starts in
  cgroups of its own below the hub's (memory, and cpu for an equal share per student rather
  than per thread), joined in the forked child before it drops to the student's uid, so the
  server, every kernel and every rustc it starts count against the cap, and the kernel's
  out-of-memory killer ends the biggest of them when it is reached.
"""

from __future__ import annotations

import asyncio
import os
import pwd
import shutil
import subprocess
import sys
from pathlib import Path

import limits
import users
from jupyterhub.spawner import LocalProcessSpawner

try:
    from systemdspawner import SystemdSpawner
except ImportError:  # a hub venv from before the systemd path: the cgroup way still works
    SystemdSpawner = None

PREFIX = Path(os.environ.get("NNEX4_HUB_PREFIX", "/opt/nn-ex4-hub"))
WARM_CACHE = PREFIX / "warm" / "home" / ".cache" / "evcxr"
KIT = PREFIX / "kit"
HOME_KIT = "nn-ex4"  # the student's copy: ~/nn-ex4/notebooks, with nn-core etc. linked in
HOMES_PY = Path(__file__).resolve().parent / "homes.py"
parse_bytes = limits.parse_bytes


# --- the cgroup way: a student's groups (hub/limits.py makes and removes them) -----------
def _groups_plan() -> limits.Plan:
    """The plan with a cap set, so that its folders include the memory group (tests read its
    counters, and clean-up removes it whatever the class's cap)."""
    return limits.plan(1)


def cgroup_for(user: str) -> tuple[str, Path]:
    """(cgroup version, the student's memory group)."""
    p = _groups_plan()
    return p.version, (p.memory or Path("/nonexistent")) / f"{limits.GROUP_PREFIX}{user}"


def cgroup_pids(user: str) -> list[int]:
    return limits.group_pids(_groups_plan(), user)


def remove_cgroup(user: str) -> None:
    """Kill whatever the student left running (a kernel's orphaned child) and drop the groups."""
    limits.remove_groups(_groups_plan(), user, users.kill_until_gone)


# --- the student's home -----------------------------------------------------------------
def seed_cache(dest: Path, uid: int, gid: int) -> None:
    """The student's evcxr cache from the root-owned warm one: files hard-linked (read-only
    to the student: root owns them, and the student cannot change what another student
    loads), except each entry's `hits` counter, which evcxr rewrites on every hit."""
    if not WARM_CACHE.is_dir() or dest.exists():
        return
    tmp = dest.with_name(dest.name + ".seeding")
    if tmp.is_symlink():  # the student's: root would chown and link where it points
        tmp.unlink()
    shutil.rmtree(tmp, ignore_errors=True)
    tmp.mkdir(mode=0o700)  # a new folder of root's making, or an error
    for root, dirs, files in os.walk(WARM_CACHE):
        rel = Path(root).relative_to(WARM_CACHE)
        (tmp / rel).mkdir(parents=True, exist_ok=True)
        os.chown(tmp / rel, uid, gid)
        for name in files:
            src, dst = Path(root) / name, tmp / rel / name
            if name == "hits":
                shutil.copyfile(src, dst)
                os.chown(dst, uid, gid)
            else:
                try:
                    os.link(src, dst)
                except OSError:  # another filesystem: a copy, owned by root, read-only
                    shutil.copyfile(src, dst)
                    os.chmod(dst, 0o444)
    tmp.rename(dest)


def _own_dir(path: Path, uid: int, gid: int) -> None:
    """`path`, a folder of the student's (made if missing); never a symlink root would follow."""
    if path.is_symlink() or (path.exists() and not path.is_dir()):
        raise RuntimeError(f"{path} is not a folder (a symlink or a file): move it away and log in again")
    if not path.exists():
        path.mkdir(mode=0o700)
        os.chown(path, uid, gid)


def _homes(username: str, *args: str) -> str:
    """hub/homes.py run as the student, its source on standard input (the hub's own folder
    need not be readable by students); returns what it printed."""
    pw = pwd.getpwnam(username)
    cmd = [sys.executable, "-I", "-", *args]
    source = HOMES_PY.read_text()
    env = {"HOME": pw.pw_dir, "LANG": "C.UTF-8", "PATH": "/usr/bin:/bin"}
    if os.getuid() == pw.pw_uid:  # already the student (a pod's postStart hook)
        p = subprocess.run(cmd, input=source, env=env, capture_output=True, text=True, timeout=600, check=False)
    else:
        p = subprocess.run(cmd, input=source, env=env, capture_output=True, text=True, timeout=600, check=False,
                           user=pw.pw_uid, group=pw.pw_gid, extra_groups=[], cwd=pw.pw_dir)
    if p.returncode:
        raise RuntimeError(f"hub/homes.py {args[0]} for {username} failed ({p.returncode}): {p.stderr[-2000:]}")
    return p.stdout


def sync_home(username: str) -> str:
    """The student's old build folders removed, the kit's new or changed notebooks brought in
    (hub/homes.py sync, as the student)."""
    return _homes(username, "sync", str(KIT), pwd.getpwnam(username).pw_dir)


def clean_home(username: str) -> str:
    """evcxr's build folders the student's ended kernels left (hub/homes.py clean)."""
    return _homes(username, "clean", pwd.getpwnam(username).pw_dir)


def prepare_home(username: str) -> Path:
    """At each start of a student's server: ~/nn-ex4/notebooks (the walkthroughs and the
    exercise, the student's to edit; new and changed kit notebooks brought in by sync_home)
    with nn-core, nn-grader and data linked to the shared read-only kit, so that the
    notebooks' `:dep nn-core = { path = "../nn-core" }` resolves (evcxr canonicalizes it) to
    the one path the warm build compiled; and the evcxr cache seeded from the warm build.
    No process of the student may run meanwhile (the spawner ends them first)."""
    pw = pwd.getpwnam(username)
    home, uid, gid = Path(pw.pw_dir), pw.pw_uid, pw.pw_gid
    if not home.is_dir():
        raise RuntimeError(f"{username} has no home folder {home}: create students with hub/users.py")
    os.chown(home, uid, gid)
    os.chmod(home, 0o700)
    cache = home / ".cache"
    _own_dir(cache, uid, gid)
    if (cache / "evcxr").is_symlink():
        raise RuntimeError(f"{cache / 'evcxr'} is a symlink: remove it and log in again")
    seed_cache(cache / "evcxr", uid, gid)
    sync_home(username)
    return home / HOME_KIT


class KitServer:
    """What both spawners add: the student's home prepared before the server starts, and the
    kit's toolchain and settings in the server's environment."""

    async def start(self):
        # in a thread: the first login links thousands of files, and the hub serves meanwhile
        await asyncio.to_thread(prepare_home, self.user.name)
        return await super().start()

    async def stop(self, now=False):
        await super().stop(now=now)
        # nothing of the student's may run while their build folders go: a kernel the server
        # left behind (killed mid-shutdown, or restarted as the server stopped) keeps writing
        await asyncio.to_thread(self.end_processes)
        try:  # what the kernels that just ended left (a killed kernel: its whole build folder)
            await asyncio.to_thread(clean_home, self.user.name)
        except (RuntimeError, OSError, KeyError, subprocess.SubprocessError) as e:
            self.log.warning("%s's build folders stay until their next start: %s", self.user.name, e)

    def end_processes(self) -> None:
        """Ends what the student's server left running. A systemd unit's stop has done it
        (systemd waits for every process of the unit's cgroup)."""

    def get_env(self):
        env = super().get_env()
        env["PATH"] = f"{PREFIX}/venv/bin:{PREFIX}/rust/current/bin:/usr/local/bin:/usr/bin:/bin"
        env["CARGO_HOME"] = str(PREFIX / "cargo")
        env["RUSTUP_HOME"] = str(PREFIX / "rust")
        # notebooks' own files (nn_core::bundled::out_path): the kit is read-only, so in the home
        env["NN_EX4_OUT_DIR"] = str(Path(pwd.getpwnam(self.user.name).pw_dir) / HOME_KIT / "out")
        for key in ("NNEX4_HUB_EXCHANGE", "NNEX4_HUB_COURSE"):
            if key in os.environ:
                env[key] = os.environ[key]
        return env


class NnEx4Spawner(KitServer, LocalProcessSpawner):
    """LocalProcessSpawner + the student's memory and cpu cgroups + the kit's environment."""

    def _plan(self) -> limits.Plan:
        return limits.plan(parse_bytes(self.mem_limit) if self.mem_limit else 0)

    def make_preexec_fn(self, name):
        drop_to_user = super().make_preexec_fn(name)
        dirs = limits.student_dirs(self._plan(), name)

        def preexec():  # still root here: join the groups, then become the student
            limits.join(dirs)
            drop_to_user()

        return preexec

    async def start(self):
        name = self.user.name
        plan = self._plan()
        if plan.error:
            raise RuntimeError(plan.error)
        remove_cgroup(name)
        limits.make_groups(plan, name, self.cpu_limit or 0.0)
        return await super().start()

    def end_processes(self) -> None:
        remove_cgroup(self.user.name)


if SystemdSpawner is not None:
    class NnEx4SystemdSpawner(KitServer, SystemdSpawner):
        """jupyterhub-systemdspawner (each student's server a systemd unit; settings in
        hub/jupyterhub_config.py) + the kit's home and environment."""


if __name__ == "__main__":  # `python3 hub/spawner.py prepare-home [user]`: a pod's postStart hook
    import sys

    if len(sys.argv) < 2 or sys.argv[1] != "prepare-home":
        sys.exit("usage: spawner.py prepare-home [user]   (default: the current user)")
    who = sys.argv[2] if len(sys.argv) > 2 else pwd.getpwuid(os.getuid()).pw_name
    print(f"spawner: {prepare_home(who)} ready")
