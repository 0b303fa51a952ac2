"""environment.yml (conda, cannot be solved here) must stay in step with requirements.txt,
and the Python the kit asks for (scripts/check_python.sh, README) with what its pins require.

Checks: every pinned package of requirements.txt is in environment.yml with a conda spec
that admits the pinned version, environment.yml has nothing else but python, pip, rust and
evcxr, rust's lower bound is the workspace's rust-version, and the evcxr entry exists.
"""

from __future__ import annotations

import importlib.metadata
import re
import subprocess
import sys
import tomllib
from pathlib import Path

import yaml

REPO = Path(__file__).resolve().parents[1]
EXTRA_CONDA = {"python", "pip", "rust", "evcxr"}  # not pip packages

SPEC = re.compile(r"^([A-Za-z0-9_.\-]+)\s*(.*)$")
CONSTRAINT = re.compile(r"^(==|>=|<=|!=|>|<|=)?\s*([0-9][0-9A-Za-z.*]*)$")


def norm(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def vtuple(v: str) -> tuple:
    return tuple(int(p) if p.isdigit() else p for p in v.split("."))


def admits(constraint: str, version: str) -> bool:
    """Does a conda constraint like '=4.6', '>=1.95', '==6.0.3', '4.6.*' admit version?"""
    if not constraint:
        return True
    for part in constraint.replace(" ", "").split(","):
        m = CONSTRAINT.match(part)
        assert m, f"cannot read conda constraint {part!r}"
        op, ver = m.group(1) or "=", m.group(2)
        v, c = vtuple(version), vtuple(ver.rstrip(".*"))
        if op == "=" or ver.endswith("*"):
            ok = v[: len(c)] == c
        elif op == "==":
            ok = v == c
        elif op == ">=":
            ok = v >= c
        elif op == "<=":
            ok = v <= c
        elif op == ">":
            ok = v > c
        elif op == "<":
            ok = v < c
        else:
            ok = v != c
        if not ok:
            return False
    return True


def read_requirements() -> dict[str, str]:
    pins = {}
    for line in (REPO / "requirements.txt").read_text().splitlines():
        line = line.split("#", 1)[0].strip()
        if not line:
            continue
        m = re.match(r"^([A-Za-z0-9_.\-\[\]]+)==([0-9][0-9A-Za-z.]*)$", line)
        assert m, f"requirements.txt: {line!r} is not pinned as name==version"
        pins[norm(m.group(1))] = m.group(2)
    return pins


def read_environment() -> tuple[dict, dict[str, str]]:
    env = yaml.safe_load((REPO / "environment.yml").read_text())
    specs = {}
    for dep in env["dependencies"]:
        assert isinstance(dep, str), f"unexpected entry {dep!r} (a pip: section is not used)"
        m = SPEC.match(dep.strip())
        assert m, f"cannot read {dep!r}"
        name = norm(m.group(1))
        assert name not in specs, f"{name} is listed twice"
        specs[name] = m.group(2).strip()
    return env, specs


def test_channels_and_name():
    env, _ = read_environment()
    assert env["name"] == "nn-ex4"
    assert env["channels"] == ["conda-forge"]


def test_requirements_are_pinned_and_in_environment():
    pins = read_requirements()
    _, specs = read_environment()
    assert pins, "requirements.txt is empty"
    for name, version in pins.items():
        assert name in specs, f"{name} is in requirements.txt but not in environment.yml"
        assert admits(specs[name], version), (
            f"environment.yml's {name}{specs[name]} does not admit requirements.txt's {version}")


def test_environment_has_nothing_extra():
    pins = read_requirements()
    _, specs = read_environment()
    extra = set(specs) - set(pins) - EXTRA_CONDA
    assert not extra, f"environment.yml has packages requirements.txt lacks: {sorted(extra)}"
    missing = EXTRA_CONDA - set(specs)
    assert not missing, f"environment.yml lacks {sorted(missing)}"


def test_rust_and_evcxr_entries():
    _, specs = read_environment()
    cargo = tomllib.loads((REPO / "Cargo.toml").read_text())
    msrv = cargo["workspace"]["package"]["rust-version"]
    assert specs["rust"] == f">={msrv}", f"rust should be '>={msrv}', is {specs['rust']!r}"
    # setup.sh builds evcxr_jupyter EVCXR_VERSION with cargo; conda's evcxr must admit a
    # version at least as old as the conda-forge one named here.
    assert specs["evcxr"].startswith(">="), "evcxr needs a lower bound"
    setup = (REPO / "scripts/setup.sh").read_text()
    m = re.search(r"EVCXR_VERSION:-([0-9.]+)", setup)
    assert m and admits(specs["evcxr"], m.group(1))


def python_min() -> str:
    m = re.search(r"^PYTHON_MIN=([0-9]+\.[0-9]+)$", (REPO / "scripts/check_python.sh").read_text(), re.MULTILINE)
    assert m, "scripts/check_python.sh sets no PYTHON_MIN"
    return m.group(1)


def test_the_python_asked_for_is_the_oldest_every_pinned_package_installs_on():
    """Each pinned package as installed here (its Requires-Python) decides; the README and
    scripts/check_python.sh (setup.sh's and hub/install.sh's check) say that version."""
    from packaging.specifiers import SpecifierSet

    needs = {name: importlib.metadata.metadata(name).get("Requires-Python") or ""
             for name in read_requirements()}
    oldest = next(f"3.{minor}" for minor in range(6, 30)
                  if all(f"3.{minor}.0" in SpecifierSet(spec) for spec in needs.values()))
    assert python_min() == oldest, (python_min(), {n: s for n, s in needs.items() if s})
    assert f"Python >= {oldest} with `venv`" in (REPO / "README.md").read_text()
    env, _ = read_environment()
    assert f"python={oldest}" in env["dependencies"]


def test_an_older_python_is_refused_at_the_start_saying_so(tmp_path):
    """A Python one minor version short of PYTHON_MIN (its version_info faked) is refused by
    the check setup.sh runs first, with its version and the minimum named."""
    major, minor = python_min().split(".")
    older = f"({major}, {int(minor) - 1}, 12, 'final', 0)"
    fake = tmp_path / "python3"
    fake.write_text(f"""#!/bin/sh
case "$1" in
  --version) echo "Python {major}.{int(minor) - 1}.12" ;;
  -c) exec {sys.executable} -c "import sys; sys.version_info = {older}; exec(sys.argv[1])" "$2" ;;
esac
""")
    fake.chmod(0o755)
    r = subprocess.run([str(REPO / "scripts/check_python.sh"), str(fake), "setup"],
                       check=False, capture_output=True, text=True)
    assert r.returncode == 1
    assert r.stderr.strip() == (f"setup: {fake} is Python {major}.{int(minor) - 1}.12, too old: "
                                f"Python >= {python_min()} is needed (requirements.txt's pins)")
    r = subprocess.run([str(REPO / "scripts/check_python.sh"), sys.executable],
                       check=False, capture_output=True, text=True)
    assert r.returncode == 0, r.stderr


def test_admits():
    assert admits("=4.6", "4.6.6")
    assert not admits("=4.6", "4.7.0")
    assert admits(">=1.95", "1.95.0") and not admits(">=1.95", "1.94.1")
    assert admits("==6.0.3", "6.0.3") and not admits("==6.0.3", "6.0.2")
    assert admits("4.6.*", "4.6.1")
    assert admits(">=4,<5", "4.9") and not admits(">=4,<5", "5.0")
