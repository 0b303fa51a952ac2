#!/usr/bin/env python3
"""The hub as a systemd service (make hub / make hub-stop where systemd is PID 1; run as root).

    python3 hub/service.py install        the units from deploy/systemd/ into /etc/systemd/system,
                                          the teacher's NNEX4_HUB_* settings into $STATE/hub.env,
                                          then `systemctl enable --now nnex4-hub`
    python3 hub/service.py stop           stops the hub and the students' slice (every server and
                                          kernel), and disables the start at boot
    python3 hub/service.py render DIR     writes the filled-in units into DIR (to read or verify)

Standard library only.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
TEMPLATES = REPO / "deploy" / "systemd"
SERVICE = "nnex4-hub.service"
SLICE = "nnex4-students.slice"
UNIT_DIR = Path("/etc/systemd/system")


def settings(env=os.environ) -> dict[str, str]:
    """The hub's settings as make hub sees them: every NNEX4_HUB_* variable, and the defaults
    of the ones the unit's paths depend on."""
    out = {k: v for k, v in env.items() if k.startswith("NNEX4_HUB_")}
    out.setdefault("NNEX4_HUB_PREFIX", "/opt/nn-ex4-hub")
    out.setdefault("NNEX4_HUB_STATE", "/var/lib/nn-ex4-hub")
    return out


def render(values: dict[str, str]) -> dict[str, str]:
    """{unit file name: text} with @PREFIX@ and @STATE@ filled in."""
    units = {}
    for name in (SERVICE, SLICE):
        text = (TEMPLATES / name).read_text()
        text = text.replace("@PREFIX@", values["NNEX4_HUB_PREFIX"]).replace("@STATE@", values["NNEX4_HUB_STATE"])
        if "@" in text.replace("@...@", ""):
            raise ValueError(f"{TEMPLATES / name}: a @NAME@ left unfilled")
        units[name] = text
    return units


def env_file(values: dict[str, str]) -> str:
    """systemd's EnvironmentFile= syntax: one KEY="value" a line."""
    lines = []
    for key, value in sorted(values.items()):
        if "\n" in value:
            raise ValueError(f"{key}: a setting cannot hold a line break")
        quoted = value.replace("\\", "\\\\").replace('"', '\\"')
        lines.append(f'{key}="{quoted}"')
    return "\n".join(lines) + "\n"


def write(path: Path, text: str, mode: int) -> None:
    tmp = path.with_name(path.name + ".new")
    tmp.write_text(text)
    os.chmod(tmp, mode)
    tmp.replace(path)


def install(values: dict[str, str], unit_dir: Path = UNIT_DIR, run=subprocess.run) -> None:
    state = Path(values["NNEX4_HUB_STATE"])
    state.mkdir(parents=True, exist_ok=True)
    os.chmod(state, 0o700)
    write(state / "hub.env", env_file(values), 0o600)  # may hold NNEX4_HUB_SERVICE_TOKEN
    for name, text in render(values).items():
        write(unit_dir / name, text, 0o644)
    run(["systemctl", "daemon-reload"], check=True)
    run(["systemctl", "enable", "--now", SERVICE], check=True)


def stop(run=subprocess.run) -> None:
    run(["systemctl", "disable", "--now", SERVICE], check=True)
    run(["systemctl", "stop", SLICE], check=False)


if __name__ == "__main__":
    cmd = sys.argv[1:2]
    if cmd == ["install"]:
        install(settings())
    elif cmd == ["stop"]:
        stop()
    elif cmd == ["render"] and len(sys.argv) == 3:
        for name, text in render(settings()).items():
            (Path(sys.argv[2]) / name).write_text(text)
    else:
        sys.exit("usage: service.py install|stop|render DIR")
