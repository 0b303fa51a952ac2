"""The lab board: a JupyterHub service of the class server that shows the teachers, during a
lesson, where the class is stuck (docs/classroom.md, "The lab board").

    board.py serve     the service (JupyterHub starts it: hub/jupyterhub_config.py)
    board.py clear     delete everything kept (with the course); prints how many results

Students' grading cells send events (nn-grader's board module) to POST {prefix}api/events
with their server's API token; the hub says whose token it is (HubAuth), and an event in
another's name, a malformed one, one too big or for a part that does not exist is refused
with nothing stored. Kept, in $NNEX4_HUB_STATE/board.sqlite, each student's latest result per
part: their hub name, the part, the points, the classic mistake's id (or none) and when it
arrived. No code, no values, no messages, no history.

The pages ({prefix}, {prefix}picture, {prefix}chart.svg) are for the hub's admins (JupyterHub's
OAuth, then the hub's own `admin` flag): anyone else gets 403. Only the board page shows names;
the picture (parts as bars, mistakes by count) has none.

Runs from the hub's venv (tornado and jupyterhub are its dependencies); the parts and mistakes
it accepts are the grader's own (catalogue.json, written from nn-grader and checked by its
tests).
"""

from __future__ import annotations

import html
import json
import os
import secrets
import sqlite3
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
CATALOGUE = json.loads((HERE / "catalogue.json").read_text(encoding="utf-8"))
PARTS = {p["id"]: p for p in CATALOGUE["parts"]}
MISTAKES = {m["id"]: m["name"] for m in CATALOGUE["mistakes"]}
MAX_BODY = 16 * 1024  # an event is < 1 KiB; the HTTP server refuses bigger bodies unread
REFRESH = int(os.environ.get("NNEX4_BOARD_REFRESH", "10"))  # seconds between page reloads
USERS_MAX_AGE = 10  # seconds the hub's user list is reused


def state_dir() -> Path:
    return Path(os.environ.get("NNEX4_HUB_STATE", "/var/lib/nn-ex4-hub"))


# --- the store -------------------------------------------------------------------------------
class Store:
    """Each student's latest result per part (user, part, points, mistake, time), in SQLite: at
    most five rows a student, however many events they send."""

    def __init__(self, path: Path):
        self.path = path
        self.db = sqlite3.connect(str(path), isolation_level=None)
        os.chmod(path, 0o600)
        self.db.execute("PRAGMA journal_mode=WAL")
        self.db.execute("CREATE TABLE IF NOT EXISTS results (user TEXT NOT NULL, part TEXT NOT NULL, "
                        "points INTEGER NOT NULL, mistake TEXT, time INTEGER NOT NULL, PRIMARY KEY (user, part))")

    def add(self, user: str, parts: list[dict], when: int) -> None:
        with self.db:  # one transaction: all of the event's parts or none
            self.db.execute("BEGIN")
            self.db.executemany(
                "INSERT INTO results (user, part, points, mistake, time) VALUES (?, ?, ?, ?, ?) "
                "ON CONFLICT (user, part) DO UPDATE SET points = excluded.points, mistake = excluded.mistake, "
                "time = excluded.time",
                [(user, p["part"], p["points"], p["mistake"], when) for p in parts])

    def count(self) -> int:
        return self.db.execute("SELECT COUNT(*) FROM results").fetchone()[0]

    def latest(self) -> dict[str, dict[str, dict]]:
        """{user: {part: {points, mistake, time}}}."""
        out: dict[str, dict[str, dict]] = {}
        for user, part, points, mistake, when in self.db.execute(
                "SELECT user, part, points, mistake, time FROM results"):
            out.setdefault(user, {})[part] = {"points": points, "mistake": mistake, "time": when}
        return out

    def clear(self) -> int:
        with self.db:
            self.db.execute("BEGIN")
            n = self.db.execute("DELETE FROM results").rowcount
        self.db.execute("VACUUM")
        return n


def parse_event(body: bytes) -> dict:
    """The event, checked field by field; ValueError says what is wrong."""
    try:
        event = json.loads(body.decode("utf-8"))
    except (UnicodeDecodeError, ValueError) as e:
        raise ValueError(f"not JSON: {e}") from None
    if not isinstance(event, dict) or set(event) != {"user", "time", "parts"}:
        raise ValueError("an event is {user, time, parts}")
    if not isinstance(event["user"], str) or not event["user"]:
        raise ValueError("user: a name")
    if type(event["time"]) is not int or event["time"] < 0:
        raise ValueError("time: seconds since 1970")
    parts = event["parts"]
    if not isinstance(parts, list) or not 1 <= len(parts) <= len(PARTS):
        raise ValueError(f"parts: 1 to {len(PARTS)} results")
    seen = set()
    for p in parts:
        if not isinstance(p, dict) or set(p) != {"part", "points", "mistake"}:
            raise ValueError("a part's result is {part, points, mistake}")
        if p["part"] not in PARTS or p["part"] in seen:
            raise ValueError(f"part {str(p['part'])[:40]!r}: unknown or repeated")
        seen.add(p["part"])
        if type(p["points"]) is not int or p["points"] not in (0, PARTS[p["part"]]["max"]):
            raise ValueError(f"{p['part']}: points are 0 or {PARTS[p['part']]['max']}")
        if p["mistake"] is not None and p["mistake"] not in MISTAKES:
            raise ValueError(f"{p['part']}: unknown mistake")
    return event


# --- what the board shows ----------------------------------------------------------------------
def summary(latest: dict[str, dict[str, dict]], students: list[str]) -> dict:
    """Per part: passed / failing / not tried (of the class: `students`, and anyone who sent an
    event); the mistakes now on the class's screens by count, with who."""
    everyone = sorted(set(students) | set(latest))
    parts = []
    for pid, p in PARTS.items():
        passed = sorted(u for u in everyone if latest.get(u, {}).get(pid, {}).get("points") == p["max"])
        failing = sorted(u for u in everyone if pid in latest.get(u, {}) and u not in passed)
        parts.append({"id": pid, "name": p["name"], "passed": passed, "failing": failing,
                      "not_tried": len(everyone) - len(passed) - len(failing)})
    who: dict[str, set] = {}
    for user, results in latest.items():
        for r in results.values():
            if r["mistake"]:
                who.setdefault(r["mistake"], set()).add(user)
    mistakes = sorted(({"id": m, "name": MISTAKES[m], "who": sorted(users)} for m, users in who.items()),
                      key=lambda m: (-len(m["who"]), m["name"]))
    return {"students": everyone, "parts": parts, "mistakes": mistakes}


def chart_svg(s: dict) -> str:
    """The picture for the projector: each part as a bar (passed, failing, not tried), then the
    mistakes by count. Counts and the grader's names only, never a student's."""
    esc = html.escape
    width, left, bar_w, row = 900, 250, 500, 44
    n = max(1, len(s["students"]))
    rows = len(s["parts"]) + 2 + max(1, len(s["mistakes"]))
    height = 90 + rows * row
    out = [(f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
            f'viewBox="0 0 {width} {height}" font-family="sans-serif" font-size="20">'),
           f'<rect width="{width}" height="{height}" fill="white"/>',
           f'<text x="20" y="36" font-size="26" font-weight="bold">The class now: {len(s["students"])} students</text>',
           ('<text x="20" y="66" font-size="18" fill="#555">'
            '<tspan fill="#2e7d32">&#9632; passed</tspan>  <tspan fill="#c62828">&#9632; failing</tspan>  '
            '<tspan fill="#9e9e9e">&#9632; not tried</tspan>  (advisory, not a grade)</text>')]
    y = 90
    for p in s["parts"]:
        x = left
        for count, colour in ((len(p["passed"]), "#2e7d32"), (len(p["failing"]), "#c62828"),
                              (p["not_tried"], "#e0e0e0")):
            w = bar_w * count / n
            if w > 0:
                out.append(f'<rect x="{x:.1f}" y="{y}" width="{w:.1f}" height="{row - 12}" fill="{colour}"/>')
            x += w
        out.append(f'<text x="20" y="{y + 24}">{esc(p["name"])}</text>')
        out.append(f'<text x="{left + bar_w + 12}" y="{y + 24}">{len(p["passed"])} / {len(p["failing"])} / '
                   f'{p["not_tried"]}</text>')
        y += row
    y += row // 2
    out.append(f'<text x="20" y="{y + 20}" font-size="22" font-weight="bold">Classic mistakes on screens now</text>')
    y += row
    if not s["mistakes"]:
        out.append(f'<text x="20" y="{y + 24}" fill="#555">none recognized</text>')
    top = max([len(m["who"]) for m in s["mistakes"]] + [1])
    for m in s["mistakes"]:  # the bar, then its count and the mistake's name
        w = 380 * len(m["who"]) / top
        out.append(f'<rect x="20" y="{y}" width="{w:.1f}" height="{row - 12}" fill="#ef6c00"/>')
        out.append(f'<text x="{30 + w:.1f}" y="{y + 24}"><tspan font-weight="bold">{len(m["who"])}</tspan>  '
                   f'{esc(m["name"][:40])}</text>')
        y += row
    out.append("</svg>")
    return "\n".join(out)


def board_html(s: dict, latest: dict[str, dict[str, dict]], prefix: str) -> str:
    esc = html.escape
    part_rows = "".join(
        f'<tr><td>{esc(p["name"])}</td><td class="n passed">{len(p["passed"])}</td>'
        f'<td class="n failing">{len(p["failing"])}</td><td class="n">{p["not_tried"]}</td></tr>'
        for p in s["parts"])
    mistake_rows = "".join(
        f'<tr><td>{esc(m["name"])}</td><td class="n">{len(m["who"])}</td><td>{esc(", ".join(m["who"]))}</td></tr>'
        for m in s["mistakes"]) or '<tr><td colspan="3">none recognized</td></tr>'
    head = "".join(f"<th>{esc(p['name'])}</th>" for p in s["parts"])
    student_rows = []
    for user in s["students"]:
        cells, last = [], 0
        for p in s["parts"]:
            r = latest.get(user, {}).get(p["id"])
            if r is None:
                cells.append('<td class="none">not tried</td>')
                continue
            last = max(last, r["time"])
            if r["points"] == PARTS[p["id"]]["max"]:
                cells.append('<td class="passed">passed</td>')
            else:
                why = MISTAKES.get(r["mistake"], "") if r["mistake"] else ""
                cells.append(f'<td class="failing">failing{": " + esc(why) if why else ""}</td>')
        when = time.strftime("%H:%M:%S", time.localtime(last)) if last else ""
        student_rows.append(f'<tr><td>{esc(user)}</td>{"".join(cells)}<td>{when}</td></tr>')
    return f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta http-equiv="refresh" content="{REFRESH}">
<title>Lab board</title>
<style>
body {{ font-family: sans-serif; margin: 1.5em; max-width: 1200px; }}
table {{ border-collapse: collapse; margin-bottom: 1.5em; }}
th, td {{ border: 1px solid #ccc; padding: 0.3em 0.6em; text-align: left; }}
td.n {{ text-align: right; }} .passed {{ color: #2e7d32; }} .failing {{ color: #c62828; }}
td.none {{ color: #999; }} .note {{ background: #fff8e1; padding: 0.6em; border: 1px solid #ffe082; }}
</style></head><body>
<h1>Lab board</h1>
<p class="note"><b>Advisory, never a grade.</b> What the students' grading cells reported, for teaching
during the lesson: a student's own code could report anything for themself. Grades come from
<code>make grade</code> or nbgrader. This page reloads every {REFRESH} s; the
<a href="{prefix}picture">picture for the projector</a> shows no names.</p>
<h2>Parts</h2>
<table id="parts"><tr><th>Part</th><th>passed</th><th>failing</th><th>not tried</th></tr>{part_rows}</table>
<h2>Classic mistakes now</h2>
<table id="mistakes"><tr><th>Mistake</th><th>students</th><th>who</th></tr>{mistake_rows}</table>
<h2>Students</h2>
<table id="students"><tr><th>Student</th>{head}<th>last event</th></tr>{"".join(student_rows)}</table>
</body></html>
"""


def picture_html() -> str:
    return f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta http-equiv="refresh" content="{REFRESH}">
<title>Lab board: the class</title></head>
<body style="margin:0;background:white"><img src="chart.svg" alt="the class's parts and mistakes"
style="width:100%;max-width:1200px"></body></html>
"""


# --- the service ---------------------------------------------------------------------------------
def make_app(store: Store, prefix: str):
    from jupyterhub.services.auth import (
        HubAuth,
        HubOAuth,
        HubOAuthCallbackHandler,
        HubOAuthenticated,
    )
    from jupyterhub.utils import url_path_join
    from tornado import web
    from tornado.httpclient import AsyncHTTPClient, HTTPRequest
    from tornado.httputil import url_concat

    token_auth = HubAuth(cache_max_age=60)
    users_cache: dict = {"at": 0.0, "users": None}

    async def hub_users() -> list[dict]:
        """The hub's users (the service's token may read them), reused for USERS_MAX_AGE s."""
        if users_cache["users"] is None or time.monotonic() - users_cache["at"] > USERS_MAX_AGE:
            found, offset = [], 0
            while True:  # the hub's pages (JupyterHub's pagination, 200 a page)
                req = HTTPRequest(url_concat(url_path_join(token_auth.api_url, "users"), {"offset": offset, "limit": 200}),
                                  headers={"Authorization": f"token {token_auth.api_token}",
                                           "Accept": "application/jupyterhub-pagination+json"}, request_timeout=10)
                try:
                    page = json.loads((await AsyncHTTPClient().fetch(req)).body)
                except Exception as e:  # noqa: BLE001 (any failure of the hub's API: a 502 that says so)
                    raise web.HTTPError(502, f"the hub did not list its users: {e}") from None
                found += page["items"]
                nxt = page["_pagination"].get("next")
                if not nxt:
                    break
                offset = nxt["offset"]
            users_cache["users"], users_cache["at"] = found, time.monotonic()
        return users_cache["users"]

    class EventHandler(web.RequestHandler):
        """POST an event: the token's owner must be the event's user."""

        def check_xsrf_cookie(self):  # token-authenticated API, never a browser form
            pass

        async def post(self):
            m = token_auth.auth_header_pat.match(self.request.headers.get("Authorization", ""))
            if not m:
                raise web.HTTPError(401, "no token")
            try:
                event = parse_event(self.request.body)
            except ValueError as e:
                raise web.HTTPError(400, str(e)) from None
            model = await token_auth.user_for_token(m.group(1), sync=False)
            if not model or model.get("kind", "user") != "user":
                raise web.HTTPError(403, "not a user's token")
            if model["name"] != event["user"]:
                raise web.HTTPError(403, "an event in another's name")
            store.add(event["user"], event["parts"], int(time.time()))
            self.set_status(201)
            self.finish({"stored": len(event["parts"])})

    class TeacherPage(HubOAuthenticated, web.RequestHandler):
        """Pages for the hub's admins: OAuth says who, the hub says whether they are an admin."""

        async def teacher(self) -> list[str]:
            user = self.current_user
            if user is None:
                self.redirect(self.get_login_url())
                return []
            everyone = await hub_users()
            if not any(u["name"] == user["name"] and u.get("admin") for u in everyone):
                raise web.HTTPError(403, "the lab board is for the class's teachers (hub admins)")
            self.set_header("Cache-Control", "no-store")
            return [u["name"] for u in everyone if not u.get("admin")]

    class BoardHandler(TeacherPage):
        async def get(self):
            students = await self.teacher()
            if self._finished:
                return
            latest = store.latest()
            self.finish(board_html(summary(latest, students), latest, prefix))

    class PictureHandler(TeacherPage):
        async def get(self):
            await self.teacher()
            if not self._finished:
                self.finish(picture_html())

    class ChartHandler(TeacherPage):
        async def get(self):
            students = await self.teacher()
            if self._finished:
                return
            self.set_header("Content-Type", "image/svg+xml")
            self.finish(chart_svg(summary(store.latest(), students)))

    return web.Application([
        (prefix + "api/events", EventHandler),
        (prefix + "oauth_callback", HubOAuthCallbackHandler),
        (prefix, BoardHandler),
        (prefix + "picture", PictureHandler),
        (prefix + "chart.svg", ChartHandler),
    ], cookie_secret=secrets.token_bytes(32), hub_auth=HubOAuth())


def serve() -> None:
    from urllib.parse import urlparse

    from tornado.httpserver import HTTPServer
    from tornado.ioloop import IOLoop
    from tornado.log import enable_pretty_logging

    enable_pretty_logging()  # one line per request, with its status, in the hub's log

    os.umask(0o077)  # the database and its journal files: the hub's alone
    store = Store(state_dir() / "board.sqlite")
    prefix = os.environ.get("JUPYTERHUB_SERVICE_PREFIX", "/services/nnex4-board/")
    url = urlparse(os.environ["JUPYTERHUB_SERVICE_URL"])
    server = HTTPServer(make_app(store, prefix), max_body_size=MAX_BODY)
    try:
        server.listen(url.port, url.hostname)
    except OSError as e:  # the hub stops when its service does: say why in its log
        sys.exit(f"board: cannot listen on {url.hostname}:{url.port} ({e.strerror}); if another "
                 "program has that port, give the board another with NNEX4_BOARD_PORT "
                 "(docs/classroom.md, the lab board's settings)")
    print(f"board: serving {prefix} on {url.hostname}:{url.port}, events in {store.path}", flush=True)
    try:
        IOLoop.current().start()
    except KeyboardInterrupt:  # the hub stops its services with SIGINT
        print("board: stopped", flush=True)


def main(argv: list[str]) -> int:
    if argv[:1] == ["serve"]:
        serve()
        return 0
    if argv[:1] == ["clear"]:
        path = state_dir() / "board.sqlite"
        if not path.exists():
            print(f"board: nothing kept ({path} does not exist)")
            return 0
        umask = os.umask(0o077)  # (its journal files: the hub's alone; the caller's umask restored)
        try:
            print(f"board: {Store(path).clear()} results deleted from {path}")
        finally:
            os.umask(umask)
        return 0
    print(__doc__.split("\n\n")[1], file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
