"""A student's ~/nn-ex4 at each start of their server, done as the student (hub/spawner.py
runs this file as them: root never writes where a student's symlink could lead it).

    python3 homes.py sync KIT HOME [DATE]     (the server starts)
    python3 homes.py clean HOME               (the server stopped)

- evcxr's build folders (~/.cache/nn-ex4/evcxr-tmp/*, one per kernel, left behind when a
  kernel was killed: out of memory, server stopped or culled; a few MiB from most that
  ended cleanly) are removed: no kernel of the student runs then.
- ~/nn-ex4/notebooks gets the kit's notebooks the student does not have (new ones, or one
  they deleted to start again). A kit notebook that changed since the student got it
  replaces the student's copy if they never changed it; if they did, the new version is
  put beside theirs as `NAME (kit update DATE).ipynb`, and theirs is left as it is.
  ~/nn-ex4/.kit-versions.json records which kit version of each file the student got.
- ~/nn-ex4/nn-core, nn-grader, data, ... link to the kit (the notebooks' `:dep` paths).

Standard library only: it runs from the hub's venv as the student, fed on standard input.
"""

from __future__ import annotations

import datetime
import hashlib
import json
import os
import shutil
import sys
from pathlib import Path

HOME_KIT = "nn-ex4"
LINKED = ("nn-core", "nn-grader", "data", "Cargo.toml", "tools")
BUILD = Path(".cache") / "nn-ex4" / "evcxr-tmp"
VERSIONS = ".kit-versions.json"


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def copy_new(src: Path, dest: Path) -> None:
    """`src` to `dest`, whole or not at all (a file of the same name beside, then renamed)."""
    tmp = dest.with_name(f".{dest.name}.kit-new")
    tmp.unlink(missing_ok=True)
    shutil.copyfile(src, tmp)
    os.chmod(tmp, 0o644)
    tmp.replace(dest)


def beside(path: Path, day: str) -> Path:
    return path.with_name(f"{path.stem} (kit update {day}){path.suffix}")


def clean_builds(home: Path) -> int:
    """Removes evcxr's build folders; returns how many."""
    build = home / BUILD
    n = 0
    if build.is_dir() and not build.is_symlink():
        for entry in build.iterdir():
            if entry.is_dir() and not entry.is_symlink():
                shutil.rmtree(entry, ignore_errors=True)
            else:
                entry.unlink(missing_ok=True)
            n += 1
    return n


def sync(kit: Path, home: Path, day: str) -> list[str]:
    """Brings the kit's notebooks into `home`/nn-ex4 (see the module's text); returns what it
    did, one line each."""
    done = []
    dest = home / HOME_KIT
    dest.mkdir(exist_ok=True)
    for name in LINKED:
        link = dest / name
        if (kit / name).exists() and not link.exists() and not link.is_symlink():
            link.symlink_to(kit / name)
    vfile = dest / VERSIONS
    try:
        given = json.loads(vfile.read_text())
        given = given if isinstance(given, dict) else {}
    except (OSError, ValueError):
        given = {}
    src_root = kit / "notebooks"
    for src in sorted(p for p in src_root.rglob("*") if p.is_file()):
        rel = src.relative_to(src_root).as_posix()
        target = dest / "notebooks" / rel
        try:
            new = digest(src)
        except FileNotFoundError:  # the kit is being replaced (make hub while the hub runs)
            continue
        if target.is_symlink() or (target.exists() and not target.is_file()):
            continue  # the student's own business
        if not target.exists():
            target.parent.mkdir(parents=True, exist_ok=True)
            copy_new(src, target)
            done.append(f"new {rel}")
        else:
            mine = digest(target)
            if mine == new or given.get(rel) == new:
                pass  # the kit's version, or the student's edit of the version they have
            elif mine == given.get(rel):
                copy_new(src, target)  # unchanged by the student: the kit's new version
                done.append(f"updated {rel}")
            else:
                side = beside(target, day)
                if not (side.is_file() and digest(side) == new):
                    copy_new(src, side)
                    done.append(f"beside {rel}: {side.name}")
        given[rel] = new
    tmp = dest / (VERSIONS + ".new")
    tmp.write_text(json.dumps(given, indent=1, sort_keys=True) + "\n")
    tmp.replace(vfile)
    return done


def main(argv: list[str]) -> int:
    if len(argv) == 3 and argv[1] == "clean":
        cleaned = clean_builds(Path(argv[2]))
        if cleaned:
            print(f"homes: removed {cleaned} evcxr build folder(s)")
        return 0
    if len(argv) not in (4, 5) or argv[1] != "sync":
        print("usage: homes.py sync KIT HOME [YYYY-MM-DD] | clean HOME", file=sys.stderr)
        return 2
    kit, home = Path(argv[2]), Path(argv[3])
    day = argv[4] if len(argv) == 5 else datetime.date.today().isoformat()
    os.umask(0o077)
    cleaned = clean_builds(home)
    for line in sync(kit, home, day):
        print(f"homes: {line}")
    if cleaned:
        print(f"homes: removed {cleaned} evcxr build folder(s)")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
