"""A teacher's first day on the class server, in one test, as docs/classroom.md tells it.

From a machine where `make setup` ran: `make hub` starts the hub (on its own ports, state
folder and nbgrader exchange); Debian's nginx serves it over HTTPS with the kit's site
(deploy/nginx/, a self-signed certificate for 127.0.0.1; tests/hub/tls.py). While it runs, the
teacher (`hub/users.py add-teacher`) and two students (`hub/users.py add class.csv`) are
added; everybody logs in through HTTPS with the password `users.py` printed; a student's
browser gets from the login form to their JupyterLab through the hub's OAuth redirects, every
hop on the HTTPS address; a student's kernel runs a cell over a websocket through HTTPS.

Then the nbgrader day, every student request through HTTPS: the teacher generates and
releases the exercise (every command of the teacher's typed into a terminal of their own
Jupyter server, over a websocket through HTTPS, as docs/classroom.md shows them); each
student fetches it, writes the three functions (one with the
reference solution, one with the classic mistake of regularizing the bias column) and
submits, through their own server; neither can list the exchange's inbound folder; the
teacher collects, runs the sandboxed `make grade` (build folder in their home, the kit
read-only, under their server's memory cap) with `--nbgrader-feedback`, and `nbgrader
release_feedback`;
each student's "Fetch Feedback" brings the kit's page: 100 / 100, and 75 / 100 with the
mistake named (its name from the grader's catalogue).

Where systemd runs, `make hub` runs the hub as a service; this test runs the path of the
machine it is on (the test machines: no systemd, cgroup v1).
"""

from __future__ import annotations

import csv
import html
import io
import json
import os
import pwd
import secrets
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pytest
import users
from harness import Browser, HubClient, free_port_block
from hubenv import PREFIX, REPO, USER_PREFIX
from nbgrader_steps import (
    ASSIGNMENT,
    COURSE,
    NB_NAME,
    as_user,
    fetch_feedback,
    fetch_fill_submit,
    reference_bodies,
    script,
)
from tls import https_proxy

pytestmark = pytest.mark.needs_hub_install

TEACHER = f"{USER_PREFIX}-fdt"
GOOD = f"{USER_PREFIX}-fd1"  # the reference solution
MISTAKEN = f"{USER_PREFIX}-fd2"  # the bias column regularized
USERS_PY = [str(PREFIX / "venv" / "bin" / "python"), str(REPO / "hub" / "users.py")]


def run(args: list[str], env: dict, timeout: float = 3600) -> str:
    p = subprocess.run(args, cwd=REPO, env=env, check=False, capture_output=True, text=True, timeout=timeout)
    assert p.returncode == 0, f"{' '.join(args)} failed ({p.returncode}):\n{p.stdout[-3000:]}\n{p.stderr[-3000:]}"
    return p.stdout


def printed_passwords(out: str) -> dict[str, str]:
    """The `username,password` lines users.py prints for new accounts."""
    text = out[out.index("username,password"):] if "username,password" in out else ""
    return {r["username"]: r["password"] for r in csv.DictReader(io.StringIO(text)) if r.get("password")}


def catalogue_name(grader: Path, mistake_id: str) -> str:
    p = subprocess.run([str(grader), "tables"], capture_output=True, text=True, check=True)
    return next(m["name"] for m in json.loads(p.stdout)["mistakes"] if m["id"] == mistake_id)


def test_first_day(loop, tmp_path):
    t0 = time.monotonic()

    def step(what: str) -> None:  # where the time goes (pytest -s shows it)
        print(f"first day: {what}: {time.monotonic() - t0:.0f} s", file=sys.stderr)

    port = free_port_block()  # the hub, its API, the proxy's API, the lab board
    token = secrets.token_hex(24)
    state = Path(tempfile.mkdtemp(prefix="nnex4-firstday-state-"))
    exchange = Path(tempfile.mkdtemp(prefix="nnex4-firstday-exchange-"))
    env = {**os.environ, "NNEX4_HUB_PREFIX": str(PREFIX), "NNEX4_HUB_STATE": str(state),
           "NNEX4_HUB_PORT": str(port), "NNEX4_HUB_EXCHANGE": str(exchange), "NNEX4_HUB_COURSE": COURSE,
           "NNEX4_HUB_SERVICE_TOKEN": token, "NNEX4_HUB_CULL_TIMEOUT": "0"}
    class_csv = tmp_path / "class.csv"
    class_csv.write_text(f"username,name\n{GOOD},Ada\n{MISTAKEN},Bruno\n")
    try:
        assert "hub: running on" in run(["make", "hub"], env)
        step("make hub")
        with https_proxy(port) as proxy:
            hub = HubClient(proxy.url, token, ca_certs=proxy.ca_certs, log_file=state / "jupyterhub.log")
            # plain HTTP says where HTTPS is, and nothing else
            code, location = loop.run_until_complete(_plain_http(proxy.http_url))
            assert code == 301 and location.startswith("https://"), (code, location)

            # --- accounts, while the hub runs --------------------------------------------
            passwords = printed_passwords(run(USERS_PY + ["add-teacher", TEACHER], env))
            passwords.update(printed_passwords(run(USERS_PY + ["add", str(class_csv)], env)))
            assert set(passwords) == {TEACHER, GOOD, MISTAKEN}, passwords
            for name in (TEACHER, GOOD, MISTAKEN):
                assert loop.run_until_complete(hub.form_login(name, passwords[name])) == 302, name
            assert loop.run_until_complete(hub.form_login(GOOD, passwords[MISTAKEN])) == 403
            step("accounts added and logged in through HTTPS")
            for s in (GOOD, MISTAKEN):
                loop.run_until_complete(hub.login(s))  # their servers, and an API token each
            # a browser's way to JupyterLab: the login form, then the hub's OAuth redirects to the
            # student's server, every hop on the HTTPS address (nginx passes Host and the scheme on)
            browser = Browser(hub)
            assert loop.run_until_complete(browser.login(GOOD, passwords[GOOD])) == 302
            lab = loop.run_until_complete(browser.open(f"/user/{GOOD}/lab"))
            assert lab.code == 200 and b"<title>JupyterLab</title>" in lab.body, (lab.code, browser.visited)
            assert any("/oauth_callback" in u for u in browser.visited), browser.visited
            assert all(u.startswith(proxy.url + "/") for u in browser.visited), browser.visited

            # --- a kernel's websocket through HTTPS runs a cell ------------------------------
            async def one_cell():
                k = await hub.open_kernel(GOOD, "nn-ex4/notebooks/exercises/" + NB_NAME)
                try:
                    return await k.execute('println!("{}", 6 * 7);', timeout=600)
                finally:
                    await k.close()
                    await hub.server(GOOD, "DELETE", f"/kernels/{k.id}", raw=True)

            out = loop.run_until_complete(one_cell())
            assert out["error"] is None and out["stdout"].strip() == "42", out
            step("a cell over wss://")

            # --- the teacher's day, in a terminal of their own server (docs/classroom.md) --------
            loop.run_until_complete(hub.login(TEACHER))
            term = loop.run_until_complete(hub.open_terminal(TEACHER))

            def teacher(command: str, timeout: float = 600) -> str:
                status, shown = loop.run_until_complete(term.run(command, timeout))
                assert status == 0, f"{TEACHER}$ {command}\n(exit status {status})\n{shown[-4000:]}"
                return shown

            teacher("cd ~/course && nbgrader generate_assignment ex4 && nbgrader release_assignment ex4")
            inbound = exchange / COURSE / "inbound"
            assert not inbound.stat().st_mode & 0o004, f"{inbound} is readable by students"
            bodies = reference_bodies()
            # the classic mistake, as scripts/make_class.py writes it for the grading tests
            edit = dict(script("make_class").MISTAKES["bias-regularized"])["nn_cost_function"]
            mistaken = dict(bodies, nn_cost_function=edit(bodies["nn_cost_function"]))
            assert mistaken["nn_cost_function"] != bodies["nn_cost_function"]
            loop.run_until_complete(fetch_fill_submit(hub, GOOD, bodies))
            loop.run_until_complete(fetch_fill_submit(hub, MISTAKEN, mistaken))
            step("released, fetched, submitted through HTTPS")
            probe = "import os,sys\ntry:\n os.listdir(sys.argv[1]); print('LISTED')\nexcept OSError as e: print('denied', e)\n"
            for attacker in (GOOD, MISTAKEN):
                said = as_user(attacker, [f"{PREFIX}/venv/bin/python", "-c", probe, str(inbound)], Path("/"), exchange)
                assert "LISTED" not in said and "denied" in said, said

            teacher("nbgrader collect ex4")
            teacher(f"make -C {PREFIX}/kit grade SUBMISSIONS=$HOME/course GRADES=$HOME/course/kit-grades "
                    'GRADE_ARGS="--assignment ex4 --build-dir $HOME/.cache/nn-ex4/grade-class --nbgrader-feedback"',
                    timeout=3600)
            step("collected, graded (make grade, sandboxed, in the teacher's terminal)")
            teacher_home = Path(pwd.getpwnam(TEACHER).pw_dir)
            grades = teacher_home / "course" / "kit-grades"
            rows = {r["student"]: r for r in csv.DictReader(io.StringIO((grades / "gradebook.csv").read_text()))}
            assert set(rows) == {GOOD, MISTAKEN}, rows
            assert {s: (rows[s]["total"], rows[s]["status"], rows[s]["sandbox"]) for s in rows} == {
                GOOD: ("100", "ok", "bwrap"), MISTAKEN: ("75", "ok", "bwrap")}, rows
            teacher("nbgrader release_feedback ex4")
            loop.run_until_complete(term.close())

            # --- each student's Fetch Feedback brings the kit's page ----------------------------
            name = catalogue_name(teacher_home / ".cache/nn-ex4/grade-class/target/debug/grader", "RegularizedBias")
            for s, total in ((GOOD, 100), (MISTAKEN, 75)):
                page = loop.run_until_complete(fetch_feedback(hub, s))
                assert f"feedback for {s}</h1>" in page, page[:1500]
                assert f"<th>Total</th><th class=num>{total} / 100</th>" in page, page[:3000]
                named = f"<b>{html.escape(name)}</b>" in page
                assert named == (s == MISTAKEN), page[:3000]
                assert os.stat(f"/home/{s}/{ASSIGNMENT}/feedback").st_uid == pwd.getpwnam(s).pw_uid
            step("feedback fetched through HTTPS")
    finally:
        subprocess.run(["make", "hub-stop"], cwd=REPO, env=env, check=False, capture_output=True)
        subprocess.run(USERS_PY + ["remove", str(class_csv)], cwd=REPO, env=env, check=False, capture_output=True)
        if users.exists(TEACHER):
            users.kill_processes_of(pwd.getpwnam(TEACHER).pw_uid)
            subprocess.run(["userdel", "-r", TEACHER], check=False, capture_output=True)
        if not os.environ.get("NNEX4_HUB_KEEP_STATE"):
            shutil.rmtree(state, ignore_errors=True)
            shutil.rmtree(exchange, ignore_errors=True)


async def _plain_http(url: str) -> tuple[int, str]:
    from tornado.httpclient import AsyncHTTPClient, HTTPRequest
    r = await AsyncHTTPClient().fetch(HTTPRequest(url + "/hub/login", follow_redirects=False), raise_error=False)
    return r.code, r.headers.get("Location", "")
