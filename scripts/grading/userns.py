#!/usr/bin/env python3
"""bubblewrap's user namespaces here, and Ubuntu's AppArmor restriction of them.

The class grader's sandbox (scripts/grading/sandbox.py) runs bwrap as an unprivileged user;
bwrap then needs unprivileged user namespaces. Ubuntu 24.04 restricts them to programs whose
AppArmor profile grants `userns` (kernel.apparmor_restrict_unprivileged_userns=1); Ubuntu's
documented way to let one program through is a profile for it in /etc/apparmor.d/, loaded
with apparmor_parser, which is what `ensure` does.

    python3 scripts/grading/userns.py check    bwrap's namespaces work here, or exit 1 with the fix
    python3 scripts/grading/userns.py ensure   as root: where Ubuntu's restriction stops bwrap,
                                               install and load the profile, then check again
                                               (make setup as root, make hub)

The system's roots (/proc/sys, /etc/apparmor.d) are parameters: tests fake them
(tests/hub/test_startup_check.py). Standard library only.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

RESTRICT = "kernel.apparmor_restrict_unprivileged_userns"
PROFILE = "nnex4-bwrap"  # the file in /etc/apparmor.d and the profile's name
NOBODY = 65534


def sysctl(proc_sys: Path, name: str) -> str | None:
    """A kernel setting by its sysctl name, or None where this kernel has no such setting."""
    try:
        return (proc_sys / name.replace(".", "/")).read_text().strip()
    except OSError:
        return None


def profile_text(bwrap: str) -> str:
    """The profile Ubuntu documents for a program that needs user namespaces: unconfined
    otherwise, `userns` allowed."""
    return ("# bubblewrap may create user namespaces (Ubuntu's kernel.apparmor_restrict_unprivileged_userns):\n"
            "# the nn-ex4 class grader's sandbox (scripts/grading/userns.py)\n"
            "abi <abi/4.0>,\n"
            "include <tunables/global>\n\n"
            f"profile {PROFILE} {bwrap} flags=(unconfined) {{\n"
            "  userns,\n\n"
            f"  include if exists <local/{PROFILE}>\n"
            "}\n")


def try_bwrap(bwrap: str) -> str:
    """'' when bwrap makes its namespaces as an unprivileged user (as the grader runs it; root
    is not restricted, so as root it runs as nobody), else its error."""
    cmd = [bwrap, "--unshare-all", "--die-with-parent", "--new-session", "--cap-drop", "ALL",
           "--ro-bind", "/", "/", "true"]
    as_user = {"user": NOBODY, "group": NOBODY, "extra_groups": []} if os.geteuid() == 0 else {}
    try:
        p = subprocess.run(cmd, capture_output=True, text=True, timeout=30, **as_user)
    except (OSError, subprocess.SubprocessError) as e:
        return str(e)
    return "" if p.returncode == 0 else (p.stderr.strip() or f"exit {p.returncode}")


def fix(proc_sys: Path, apparmor_d: Path, bwrap: str) -> str:
    """The exact fix for bwrap's failing namespaces, from the kernel's settings."""
    if sysctl(proc_sys, RESTRICT) == "1":
        path = apparmor_d / PROFILE
        return (f"Ubuntu's AppArmor restricts unprivileged user namespaces ({RESTRICT}=1). Fix, as root, "
                f"the way Ubuntu documents: a profile for bwrap, {path}, holding\n{profile_text(bwrap)}"
                f"then load it: apparmor_parser -r {path}   (sudo make setup does both: "
                "python3 scripts/grading/userns.py ensure)")
    fixes = []
    if sysctl(proc_sys, "kernel.unprivileged_userns_clone") == "0":
        fixes.append("sysctl -w kernel.unprivileged_userns_clone=1")
    if sysctl(proc_sys, "user.max_user_namespaces") == "0":
        fixes.append("sysctl -w user.max_user_namespaces=15000")
    if fixes:
        return ("unprivileged user namespaces are switched off. Fix, as root: " + "; ".join(fixes) +
                " (and the same lines in /etc/sysctl.d/90-nnex4-userns.conf to keep them after a reboot)")
    return ("bwrap cannot create its namespaces, and no kernel setting here explains it (inside a container, "
            "the container's runtime must allow user namespaces)")


def ensure(proc_sys: Path = Path("/proc/sys"), apparmor_d: Path = Path("/etc/apparmor.d"),
           bwrap: str | None = None, parser: str | None = None, run=subprocess.run, attempt=try_bwrap,
           is_root: bool | None = None, out=print) -> int:
    """0 when bwrap's namespaces work (after installing the AppArmor profile where that is
    the cause and this runs as root); 1 with the fix otherwise."""
    found = bwrap or shutil.which("bwrap")
    if not found:
        out("sandbox: bwrap is not installed: apt-get install bubblewrap")
        return 1
    real = os.path.realpath(found)
    err = attempt(real)
    if not err:
        out(f"sandbox: bwrap's user namespaces work ({real})")
        return 0
    root = os.geteuid() == 0 if is_root is None else is_root
    parser = parser or shutil.which("apparmor_parser")
    if sysctl(proc_sys, RESTRICT) == "1" and root and apparmor_d.is_dir() and parser:
        path = apparmor_d / PROFILE
        out(f"sandbox: {RESTRICT}=1 stops bwrap ({err}): installing the AppArmor profile {path}")
        tmp = path.with_name(PROFILE + ".new")
        tmp.write_text(profile_text(real))
        os.chmod(tmp, 0o644)
        tmp.replace(path)
        r = run([parser, "-r", str(path)], capture_output=True, text=True)
        if r.returncode != 0:
            out(f"sandbox: apparmor_parser -r {path} failed: {(r.stderr or '').strip()}")
            return 1
        err = attempt(real)
        if not err:
            out(f"sandbox: bwrap's user namespaces work with the profile {path}")
            return 0
    out(f"sandbox: bwrap cannot create its namespaces ({err}). {fix(proc_sys, apparmor_d, real)}")
    return 1


if __name__ == "__main__":
    cmd = sys.argv[1:2]
    if cmd == ["check"]:
        sys.exit(ensure(is_root=False))
    elif cmd == ["ensure"]:
        sys.exit(ensure())
    else:
        sys.exit("usage: userns.py check|ensure")
