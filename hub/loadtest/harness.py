"""A class server for tests and the load test: start a hub on 127.0.0.1 with test students
(real Unix users; ClassHub), talk to it as the students' browsers do (HubClient: JupyterHub's
REST API, each student's Jupyter server API and the kernels' websockets, over HTTP or through
an HTTPS proxy), and clean everything up.

Used by hub/loadtest/loadtest.py (make hub-test) and tests/hub/. Runs as root from the hub's venv
(tornado is JupyterHub's own dependency; nothing else is needed).
"""

from __future__ import annotations

import asyncio
import json
import os
import pwd
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

from tornado.httpclient import AsyncHTTPClient, HTTPClientError, HTTPRequest
from tornado.websocket import websocket_connect

HUB_DIR = Path(__file__).resolve().parents[1]  # hub/
sys.path.insert(0, str(HUB_DIR))
import users as hub_users

sys.path.insert(0, str(HUB_DIR.parent / "tools"))
import procfs

PREFIX = Path(os.environ.get("NNEX4_HUB_PREFIX", "/opt/nn-ex4-hub"))


def ephemeral_ports() -> range:
    """The ports the kernel hands to outgoing connections (ip_local_port_range)."""
    try:
        low, high = Path("/proc/sys/net/ipv4/ip_local_port_range").read_text().split()
        return range(int(low), int(high) + 1)
    except (OSError, ValueError):
        return range(32768, 61000)  # Linux's default


HUB_PORTS = 4  # hub/jupyterhub_config.py: the hub's port, +1 its API, +2 the proxy's API, +3 the board


def free_port_block(n: int = HUB_PORTS) -> int:
    """A port p with p..p+n-1 free on 127.0.0.1: by default the four a hub started from
    hub/jupyterhub_config.py derives from its port (hub, hub API, proxy API, lab board).
    Chosen below the ephemeral range, so no outgoing connection (a kernel's, the proxy's)
    can take one of them between this check and the hub's bind."""
    ephemeral = ephemeral_ports()
    if ephemeral.start - n > 20000:
        bases = range(20000, ephemeral.start - n + 1)  # below it (Linux's default layout)
    elif ephemeral.stop + 100 < 65536 - n:
        bases = range(ephemeral.stop, 65536 - n + 1)  # above it
    else:
        bases = range(1024, 65536 - n + 1)  # it covers nearly every port: anywhere, and hope
    for _ in range(200):
        base = secrets.choice(bases)
        ok = True
        for p in range(base, base + n):
            t = socket.socket()
            try:
                t.bind(("127.0.0.1", p))
            except OSError:
                ok = False
            finally:
                t.close()
            if not ok:
                break
        if ok:
            return base
    raise RuntimeError("no free ports on 127.0.0.1")


class CellError(Exception):
    pass


async def next_message(ws, t0: float, timeout: float, what: str, shown: str = ""):
    """The websocket's next message, if it comes within `timeout` s of `t0`; else CellError
    naming `what` (and the end of what it showed so far)."""
    left = timeout - (time.monotonic() - t0)
    try:
        raw = await asyncio.wait_for(ws.read_message(), left) if left > 0 else None
    except TimeoutError:
        raw, left = None, 0
    if raw is None:
        why = f"no answer within {timeout:.0f} s" if left <= 0 else "its websocket closed"
        raise CellError(f"{what}: {why}" + (f":\n{shown[-3000:]}" if shown else ""))
    return raw


class HubClient:
    """Talks to a running hub at `url` as the students' browsers do, with an admin `token`
    (the hub's NNEX4_HUB_SERVICE_TOKEN). Behind HTTPS: `ca_certs`, the certificate to trust,
    and every request and websocket carries the `Origin` a browser sends."""

    def __init__(self, url: str, token: str, ca_certs: str | None = None, log_file: Path | None = None):
        self.url = url
        self.token = token
        self.ca_certs = ca_certs
        self.origin = url if url.startswith("https:") else None
        self.log_file = log_file
        self.user_tokens: dict[str, str] = {}
        AsyncHTTPClient.configure(None, max_clients=64)

    def tail_log(self, n: int = 40) -> str:
        """The end of the hub's log (for error messages)."""
        try:
            return "\n".join(self.log_file.read_text(errors="replace").splitlines()[-n:]) if self.log_file else ""
        except OSError:
            return ""

    # --- REST ------------------------------------------------------------------------------------
    async def api(self, method: str, path: str, body=None, token: str | None = None, base: str = "/hub/api",
                  raw: bool = False, timeout: float = 120):
        headers = {"Authorization": f"token {token or self.token}", "Content-Type": "application/json"}
        req = HTTPRequest(self.url + base + path, method=method, headers=headers,
                          body=None if body is None and method == "GET" else json.dumps(body or {}),
                          request_timeout=timeout, connect_timeout=timeout, follow_redirects=False,
                          allow_nonstandard_methods=True, ca_certs=self.ca_certs)
        try:
            resp = await AsyncHTTPClient().fetch(req, raise_error=False)
        except Exception as e:
            raise RuntimeError(f"{method} {base}{path}: {type(e).__name__}: {e}") from e
        if raw:
            return resp
        if resp.code >= 400:
            raise HTTPClientError(resp.code, f"{method} {path}: {resp.code} {resp.body[:500]!r}", resp)
        return json.loads(resp.body) if resp.body else None

    async def form_login(self, name: str, password: str) -> int:
        """Log in through the hub's login page as a browser does; returns the HTTP status
        (302: logged in; 403: refused)."""
        return await Browser(self).login(name, password)

    async def login(self, name: str) -> float:
        """Make the student known to the hub, start their server, give them an API token.
        Returns the seconds until their server answered."""
        t0 = time.monotonic()
        r = await self.api("GET", f"/users/{name}", raw=True)
        if r.code == 404:
            await self.api("POST", f"/users/{name}")
        await self.api("POST", f"/users/{name}/server", raw=True)
        while True:
            user = await self.api("GET", f"/users/{name}")
            srv = user.get("servers", {}).get("", {})
            if srv.get("ready"):
                break
            if not user.get("pending") and not srv:
                raise RuntimeError(f"{name}'s server did not start:\n{self.tail_log()}")
            if time.monotonic() - t0 > 180:
                raise RuntimeError(f"{name}'s server not ready after 180 s:\n{self.tail_log()}")
            await asyncio.sleep(0.5)
        tok = await self.api("POST", f"/users/{name}/tokens", {"note": "classhub", "expires_in": 7200})
        self.user_tokens[name] = tok["token"]
        return time.monotonic() - t0

    async def stop_server(self, name: str) -> None:
        """Stops the student's server as the hub's admin page does; returns once the hub says
        it has stopped (the spawner's stop, clean-up included, is done by then)."""
        await self.api("DELETE", f"/users/{name}/server")
        for _ in range(120):
            if not (await self.api("GET", f"/users/{name}")).get("servers"):
                return
            await asyncio.sleep(0.5)
        raise RuntimeError(f"{name}'s server did not stop in 60 s:\n{self.tail_log()}")

    async def server(self, name: str, method: str, path: str, body=None, raw=False):
        return await self.api(method, path, body, token=self.user_tokens[name], base=f"/user/{name}/api", raw=raw)

    async def websocket(self, name: str, path: str, timeout: float):
        """A websocket to `path` of the user's server, with their token (and a browser's Origin)."""
        headers = {"Authorization": f"token {self.user_tokens[name]}"}
        if self.origin:
            headers["Origin"] = self.origin
        req = HTTPRequest(self.url.replace("http", "ws", 1) + f"/user/{name}{path}", headers=headers,
                          connect_timeout=timeout, request_timeout=timeout, ca_certs=self.ca_certs)
        return await websocket_connect(req, max_message_size=256 << 20)

    async def open_kernel(self, name: str, notebook: str) -> Kernel:
        """A `rust` kernel for the notebook at `notebook` (relative to the student's home), as
        JupyterLab opens one: a session, so the kernel runs in the notebook's folder."""
        s = await self.server(name, "POST", "/sessions",
                              {"path": notebook, "type": "notebook", "name": Path(notebook).name,
                               "kernel": {"name": "rust"}})
        k = Kernel(self, name, s["kernel"]["id"])
        await k.connect()
        return k

    async def open_terminal(self, name: str) -> Terminal:
        term = Terminal(self, name, (await self.server(name, "POST", "/terminals"))["name"])
        await term.connect()
        return term


class Browser:
    """What a browser does with the hub: cookies kept, redirects followed one by one (each
    Location recorded), the login form with its _xsrf field."""

    def __init__(self, hub: HubClient):
        self.hub = hub
        self.cookies: dict[str, str] = {}
        self.visited: list[str] = []  # every URL requested, redirects included

    async def fetch(self, url: str, method: str = "GET", form: dict | None = None):
        import urllib.parse
        headers = {"Cookie": "; ".join(f"{k}={v}" for k, v in self.cookies.items())}
        if self.hub.origin:
            headers["Origin"] = self.hub.origin
        if form is not None:
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        self.visited.append(url)
        resp = await AsyncHTTPClient().fetch(HTTPRequest(
            url, method=method, headers=headers, body=None if form is None else urllib.parse.urlencode(form),
            follow_redirects=False, ca_certs=self.hub.ca_certs, request_timeout=120), raise_error=False)
        for c in resp.headers.get_list("Set-Cookie"):
            k, _, v = c.split(";", 1)[0].partition("=")
            self.cookies[k.strip()] = v.strip()
        return resp

    async def login(self, name: str, password: str) -> int:
        import re
        page = await self.fetch(self.hub.url + "/hub/login")
        m = re.search(rb'name="_xsrf" value="([^"]+)"', page.body)
        form = {"username": name, "password": password, **({"_xsrf": m.group(1).decode()} if m else {})}
        return (await self.fetch(self.hub.url + "/hub/login", "POST", form)).code

    async def open(self, path: str, hops: int = 10):
        """GET `path`, following up to `hops` redirects as a browser does; the last response."""
        import urllib.parse
        url = self.hub.url + path
        for _ in range(hops):
            resp = await self.fetch(url)
            if resp.code not in (301, 302, 303, 307, 308):
                return resp
            url = urllib.parse.urljoin(url, resp.headers["Location"])
        raise RuntimeError(f"more than {hops} redirects: {self.visited}")


class Terminal:
    """A terminal of a user's Jupyter server (JupyterLab's File > New > Terminal): a login
    shell of theirs, over a websocket (terminado's ["stdin", text] / ["stdout", text])."""

    def __init__(self, hub: HubClient, user: str, name: str):
        self.hub, self.user, self.name = hub, user, name
        self.ws = None

    async def connect(self):
        self.ws = await self.hub.websocket(self.user, f"/terminals/websocket/{self.name}", timeout=120)

    async def run(self, command: str, timeout: float = 600) -> tuple[int, str]:
        """Types `command` and waits for it to end: (its exit status, what the terminal showed)."""
        import re
        mark = uuid.uuid4().hex[:12]
        # the status line is printed by the shell; the echo of what was typed has `$?`, not digits
        await self.ws.write_message(json.dumps(["stdin", f"{command}; echo \"{mark}:$?:{mark}\"\r"]))
        shown = ""
        t0 = time.monotonic()
        while True:
            raw = await next_message(self.ws, t0, timeout, f"{self.user}'s terminal, `{command}`", shown)
            kind, *rest = json.loads(raw)
            if kind == "stdout":
                shown += rest[0]
                m = re.search(mark + r":(\d+):" + mark, shown)
                if m:
                    return int(m.group(1)), shown[:m.start()]

    async def close(self):
        if self.ws:
            self.ws.close()
        await self.hub.server(self.user, "DELETE", f"/terminals/{self.name}", raw=True)


class ClassHub(HubClient):
    """A hub started here on 127.0.0.1 with test students; use as a context manager."""

    def __init__(self, students: list[str], mem_limit: str = "2G", cull_timeout: int = 0,
                 exchange: Path | None = None, log=print):
        self.port = free_port_block()
        self.state = Path(tempfile.mkdtemp(prefix="nnex4-hub-state-"))
        super().__init__(f"http://127.0.0.1:{self.port}", secrets.token_hex(24),
                         log_file=self.state / "jupyterhub.log")
        self.students = students
        self.exchange = exchange or Path(tempfile.mkdtemp(prefix="nnex4-exchange-"))
        self.mem_limit = mem_limit
        self.cull_timeout = cull_timeout
        self.proc: subprocess.Popen | None = None
        self.log = log

    # --- lifecycle ---------------------------------------------------------------------------
    def env(self) -> dict:
        return {**os.environ, "NNEX4_HUB_PREFIX": str(PREFIX), "NNEX4_HUB_STATE": str(self.state),
                "NNEX4_HUB_PORT": str(self.port), "NNEX4_HUB_IP": "127.0.0.1",
                "NNEX4_HUB_MEM_LIMIT": self.mem_limit, "NNEX4_HUB_CULL_TIMEOUT": str(self.cull_timeout),
                "NNEX4_HUB_SERVICE_TOKEN": self.token, "NNEX4_HUB_EXCHANGE": str(self.exchange)}

    def __enter__(self):
        hub_users.STATE = self.state
        os.chmod(self.state, 0o700)
        self.passwords = hub_users.add(self.students)  # {name: first password}
        self.exchange.mkdir(parents=True, exist_ok=True)
        os.chmod(self.exchange, 0o1777)
        self.logfile = open(self.state / "jupyterhub.log", "ab")
        self.proc = subprocess.Popen(
            [str(PREFIX / "venv" / "bin" / "jupyterhub"), "-f", str(HUB_DIR / "jupyterhub_config.py")],
            cwd=self.state, env=self.env(), stdout=self.logfile, stderr=subprocess.STDOUT,
            start_new_session=True)
        deadline = time.monotonic() + 90
        import urllib.request
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"the hub exited ({self.proc.returncode}):\n{self.tail_log()}")
            try:
                urllib.request.urlopen(self.url + "/hub/health", timeout=2)
                return self
            except OSError:
                time.sleep(0.5)
        raise RuntimeError(f"the hub did not answer in 90 s:\n{self.tail_log()}")

    def __exit__(self, *exc):
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)  # the hub stops every server it spawned
            try:
                self.proc.wait(30)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait(10)
        # the proxy runs in the hub's session: end whatever is left of it, by process group
        if self.proc:
            try:
                os.killpg(self.proc.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        import spawner
        for name in self.students:
            spawner.remove_cgroup(name)
        hub_users.remove(self.students)
        self.logfile.close()
        if os.environ.get("NNEX4_HUB_KEEP_STATE"):
            self.log(f"hub state kept in {self.state}")
        else:
            shutil.rmtree(self.state, ignore_errors=True)
            shutil.rmtree(self.exchange, ignore_errors=True)
        return False


class Kernel:
    def __init__(self, hub: HubClient, user: str, kernel_id: str):
        self.hub, self.user, self.id = hub, user, kernel_id
        self.session = uuid.uuid4().hex
        self.ws = None

    async def connect(self):
        # the server answers the websocket once the kernel is up: with many students starting
        # kernels at once that takes longer than tornado's 20 s default
        self.ws = await self.hub.websocket(self.user, f"/api/kernels/{self.id}/channels", timeout=300)

    async def execute(self, code: str, timeout: float = 600) -> dict:
        """Runs one cell; returns {"seconds", "stdout", "stderr", "outputs", "error"}."""
        msg_id = uuid.uuid4().hex
        msg = {"header": {"msg_id": msg_id, "username": self.user, "session": self.session,
                          "msg_type": "execute_request", "version": "5.3",
                          "date": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())},
               "parent_header": {}, "metadata": {}, "channel": "shell",
               "content": {"code": code, "silent": False, "store_history": True,
                           "user_expressions": {}, "allow_stdin": False, "stop_on_error": True}}
        t0 = time.monotonic()
        await self.ws.write_message(json.dumps(msg))
        out = {"stdout": "", "stderr": "", "outputs": [], "error": None, "reply": None}
        idle = False
        while not (idle and out["reply"] is not None):
            raw = await next_message(self.ws, t0, timeout, f"{self.user}'s kernel")
            if isinstance(raw, bytes):
                continue
            m = json.loads(raw)
            if m.get("parent_header", {}).get("msg_id") != msg_id:
                continue
            t, c = m["msg_type"], m["content"]
            if t == "stream":
                out[c["name"]] += c["text"]
            elif t in ("execute_result", "display_data"):
                out["outputs"].append(c.get("data", {}))
            elif t == "error":
                out["error"] = f"{c.get('ename')}: {c.get('evalue')}"
            elif t == "status" and c["execution_state"] == "idle":
                idle = True
            elif t == "execute_reply":
                out["reply"] = c
                if c.get("status") != "ok" and not out["error"]:
                    out["error"] = f"{c.get('ename')}: {c.get('evalue')}"
        out["seconds"] = time.monotonic() - t0
        return out

    async def close(self):
        if self.ws:
            self.ws.close()


def check_cell(user: str, index: int, out: dict) -> None:
    """A cell fails on an error reply/output or a panic (evcxr reports a panic as stderr with
    status ok)."""
    if out["error"] or "panicked at" in out["stderr"]:
        raise CellError(f"{user}: cell {index} failed: {out['error'] or ''} {out['stderr'][-800:]}")


def code_cells(notebook: Path) -> list[str]:
    nb = json.loads(notebook.read_text(encoding="utf-8"))
    return ["".join(c["source"]) for c in nb["cells"] if c["cell_type"] == "code"]


def cpu_seconds_of(user: str) -> float:
    """CPU-s of the student's live processes and of the children they reaped (their server
    reaps their kernels, a kernel its cargo and rustc): everything since their server started."""
    return sum((procfs.stat(pid) or (0, 0.0))[1] for pid, _ in processes_of(user))


def disk_use_mib(user: str) -> float:
    """MiB of files the student owns in their home (the warm cache's hard links are root's
    and shared: not counted)."""
    entry = pwd.getpwnam(user)
    total = 0
    for root, _, files in os.walk(entry.pw_dir):
        for f in files:
            try:
                st = os.lstat(os.path.join(root, f))
            except OSError:
                continue
            if st.st_uid == entry.pw_uid:
                total += st.st_blocks * 512
    return total / (1 << 20)


def processes_of(user: str) -> list[tuple[int, str]]:
    uid = pwd.getpwnam(user).pw_uid
    out = []
    for pid in hub_users.pids_of(uid):
        try:
            cmd = Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
        except OSError:
            continue
        out.append((pid, cmd))
    return out


def process_table(user: str) -> str:
    """The student's processes, a line each: pid, parent, state, CPU-s, what the kernel waits in
    (wchan) and the command: what a stuck cell was doing."""
    lines = []
    for pid, cmd in processes_of(user):
        s = procfs.status(pid)
        try:
            wchan = Path(f"/proc/{pid}/wchan").read_text()
        except OSError:
            s = None
        if s is None:  # gone since processes_of listed it
            continue
        state, ppid, cpu = s
        lines.append(f"{pid} {ppid} {state} {cpu:.1f} CPU-s {wchan or '-'} {cmd[:160]}")
    return "\n".join(lines)


def memory_of(user: str) -> tuple[float, float]:
    """(everything, kernel) PSS in MiB of the student's processes: their Jupyter server, the
    kernel and all its children (every process runs as the student's uid)."""
    total = kernel = 0
    for pid, cmd in processes_of(user):
        kib = procfs.pss_kib(pid)
        total += kib
        if "jupyterhub-singleuser" not in cmd:
            kernel += kib
    return total / 1024, kernel / 1024
