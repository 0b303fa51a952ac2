"""The class server's spawner: real Unix users, the kit's shared read-only kernel, a private
copy of the notebooks on first login, and a memory cap per student that the kernel enforces.

JupyterHub's LocalProcessSpawner accepts `mem_limit` but does not enforce it (it only passes
MEM_LIMIT to the server). Here each student's server starts inside a memory cgroup of its own
(a child of the hub's own cgroup), joined in the forked child before it drops to the
student's uid, so the server, every kernel and every rustc it starts count against the cap,
and the kernel's out-of-memory killer ends the biggest of them when it is reached.
"""

from __future__ import annotations

import asyncio
import os
import pwd
import shutil
import subprocess
import sys
from pathlib import Path

import users
from jupyterhub.spawner import LocalProcessSpawner

PREFIX = Path(os.environ.get("NNEX4_HUB_PREFIX", "/opt/nn-ex4-hub"))
WARM_CACHE = PREFIX / "warm" / "home" / ".cache" / "evcxr"
KIT = PREFIX / "kit"
HOME_KIT = "nn-ex4"  # the student's copy: ~/nn-ex4/notebooks, with nn-core etc. linked in
HOMES_PY = Path(__file__).resolve().parent / "homes.py"


# --- memory cgroups ---------------------------------------------------------------------
def _own_cgroup() -> tuple[str, Path]:
    """(version, folder) of this process's memory cgroup; the students' go below it."""
    lines = Path("/proc/self/cgroup").read_text().splitlines()
    for line in lines:
        _, controllers, path = line.split(":", 2)
        if "memory" in controllers.split(","):
            return "v1", Path("/sys/fs/cgroup/memory") / path.lstrip("/")
    for line in lines:
        if line.startswith("0::"):
            return "v2", Path("/sys/fs/cgroup") / line[3:].lstrip("/")
    raise RuntimeError("no memory cgroup found in /proc/self/cgroup")


def cgroup_for(user: str) -> tuple[str, Path]:
    version, base = _own_cgroup()
    return version, base / f"nnex4-{user}"


def make_cgroup(user: str, limit_bytes: int) -> Path:
    version, path = cgroup_for(user)
    try:
        path.mkdir(exist_ok=True)
        if version == "v1":
            (path / "memory.limit_in_bytes").write_text(str(limit_bytes))
        else:
            (path / "memory.max").write_text(str(limit_bytes))
            (path / "memory.swap.max").write_text("0")
    except OSError as e:
        raise RuntimeError(
            f"cannot cap {user}'s memory: {path}: {e}. On a systemd machine (cgroup v2) use "
            "jupyterhub-systemdspawner instead (its mem_limit is enforced), or set "
            "NNEX4_HUB_MEM_LIMIT=0 to run without a cap (not for a class)") from e
    return path


def cgroup_pids(user: str) -> list[int]:
    _, path = cgroup_for(user)
    try:
        return [int(p) for p in (path / "cgroup.procs").read_text().split()]
    except OSError:
        return []


def remove_cgroup(user: str) -> None:
    """Kill whatever the student left running (a kernel's orphaned child) and drop the group."""
    _, path = cgroup_for(user)
    users.kill_until_gone(lambda: cgroup_pids(user))
    try:
        path.rmdir()
    except OSError:
        pass


def parse_bytes(text: str) -> int:
    text = str(text).strip().upper()
    units = {"K": 1 << 10, "M": 1 << 20, "G": 1 << 30, "T": 1 << 40}
    if text and text[-1] in units:
        return int(float(text[:-1]) * units[text[-1]])
    return int(text)


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


def sync_home(username: str) -> str:
    """hub/homes.py's `sync`, run as the student (their old build folders removed, the kit's
    new or changed notebooks brought in; see there). Its source goes on standard input: the
    hub's own folder need not be readable by students. Returns what it printed."""
    pw = pwd.getpwnam(username)
    args = [sys.executable, "-I", "-", "sync", str(KIT), pw.pw_dir]
    source = HOMES_PY.read_text()
    env = {"HOME": pw.pw_dir, "LANG": "C.UTF-8", "PATH": "/usr/bin:/bin"}
    if os.getuid() == pw.pw_uid:  # already the student (a pod's postStart hook)
        p = subprocess.run(args, input=source, env=env, capture_output=True, text=True, timeout=600)
    else:
        p = subprocess.run(args, input=source, env=env, capture_output=True, text=True, timeout=600,
                           user=pw.pw_uid, group=pw.pw_gid, extra_groups=[], cwd=pw.pw_dir)
    if p.returncode:
        raise RuntimeError(f"preparing {username}'s home failed ({p.returncode}): {p.stderr[-2000:]}")
    return p.stdout


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


class NnEx4Spawner(LocalProcessSpawner):
    """LocalProcessSpawner + a memory cgroup per student + the kit's environment."""

    def make_preexec_fn(self, name):
        drop_to_user = super().make_preexec_fn(name)
        limit = parse_bytes(self.mem_limit) if self.mem_limit else 0
        _, path = cgroup_for(name)

        def preexec():
            if limit:  # still root here: join the cap, then become the student
                with open(path / "cgroup.procs", "w") as f:
                    f.write(str(os.getpid()))
            drop_to_user()

        return preexec

    async def start(self):
        name = self.user.name
        if self.mem_limit:
            remove_cgroup(name)
            make_cgroup(name, parse_bytes(self.mem_limit))
        # after the cgroup's leftovers are gone; in a thread: the first login links thousands of files
        await asyncio.to_thread(prepare_home, name)
        return await super().start()

    async def stop(self, now=False):
        await super().stop(now=now)
        remove_cgroup(self.user.name)

    def get_env(self):
        env = super().get_env()
        env["PATH"] = f"{PREFIX}/venv/bin:{PREFIX}/rust/current/bin:/usr/local/bin:/usr/bin:/bin"
        env["CARGO_HOME"] = str(PREFIX / "cargo")
        env["RUSTUP_HOME"] = str(PREFIX / "rust")
        for key in ("NNEX4_HUB_EXCHANGE", "NNEX4_HUB_COURSE"):
            if key in os.environ:
                env[key] = os.environ[key]
        return env


if __name__ == "__main__":  # `python3 hub/spawner.py prepare-home [user]`: a pod's postStart hook
    import sys

    if len(sys.argv) < 2 or sys.argv[1] != "prepare-home":
        sys.exit("usage: spawner.py prepare-home [user]   (default: the current user)")
    who = sys.argv[2] if len(sys.argv) > 2 else pwd.getpwuid(os.getuid()).pw_name
    print(f"spawner: {prepare_home(who)} ready")
