# The class server's JupyterHub configuration (make hub; docs/classroom.md). Every setting a
# teacher changes is an environment variable, read here:
#   NNEX4_HUB_PREFIX    the shared read-only install (hub/install.sh)   /opt/nn-ex4-hub
#   NNEX4_HUB_STATE     the hub's own state: database, cookie secret,
#                       students.txt, teachers.txt, passwords, the
#                       admin API token (admin-api.json), logs          /var/lib/nn-ex4-hub
#   NNEX4_HUB_IP/PORT   where it listens                                 127.0.0.1:8000
#   NNEX4_HUB_MEM_LIMIT memory cap per student (server + kernels)        2G (0: none)
#   NNEX4_HUB_CPU_LIMIT cores per student, even when the others are idle  0 (none: equal
#                       shares when busy, all cores for whoever computes alone)
#   NNEX4_HUB_CULL_TIMEOUT  seconds idle before a server is stopped      3600
#   NNEX4_HUB_ADMINS    more hub admins, comma-separated (teachers:      (none)
#                       hub/users.py add-teacher)
#   NNEX4_HUB_EXCHANGE  nbgrader's exchange folder                       /srv/nbgrader/exchange
#   NNEX4_HUB_SERVICE_TOKEN  the admin API token for scripts     (made once, kept in
#                       (hub/users.py, tests)                           admin-api.json)
import json
import os
import secrets
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import authenticator
import limits
import spawner

c = get_config()  # noqa: F821

PREFIX = Path(os.environ.get("NNEX4_HUB_PREFIX", "/opt/nn-ex4-hub"))
STATE = Path(os.environ.get("NNEX4_HUB_STATE", "/var/lib/nn-ex4-hub"))
STATE.mkdir(parents=True, exist_ok=True)
os.chmod(STATE, 0o700)  # the database and cookie secret are the hub's alone
os.environ.setdefault("NNEX4_HUB_EXCHANGE", "/srv/nbgrader/exchange")
os.environ.setdefault("NNEX4_HUB_COURSE", "nnex4")

c.JupyterHub.ip = os.environ.get("NNEX4_HUB_IP", "127.0.0.1")
c.JupyterHub.port = int(os.environ.get("NNEX4_HUB_PORT", "8000"))
c.JupyterHub.hub_ip = "127.0.0.1"
c.JupyterHub.hub_port = int(os.environ.get("NNEX4_HUB_API_PORT", str(c.JupyterHub.port + 1)))
c.ConfigurableHTTPProxy.api_url = f"http://127.0.0.1:{int(os.environ.get('NNEX4_HUB_PROXY_API_PORT', str(c.JupyterHub.port + 2)))}"
c.ConfigurableHTTPProxy.command = [str(PREFIX / "node" / "node_modules" / ".bin" / "configurable-http-proxy")]
c.JupyterHub.db_url = f"sqlite:///{STATE / 'jupyterhub.sqlite'}"
c.JupyterHub.cookie_secret_file = str(STATE / "jupyterhub_cookie_secret")
c.JupyterHub.pid_file = str(STATE / "jupyterhub.pid")
c.JupyterHub.cleanup_servers = True

# --- who may log in: the accounts hub/users.py made, each with its own password ------------
# `hub/users.py add` (students) and `add-teacher` make a Unix user, store a random first
# password (printed once for the teacher) and, while the hub runs, add the account through
# the REST API below: no restart. students.txt and teachers.txt are the lists for the next
# start. No login sets a password and no login makes an account (hub/authenticator.py).
def names_in(path: Path) -> set:
    return {n for n in path.read_text().split() if n} if path.exists() else set()


admins = names_in(STATE / "teachers.txt")
admins |= {a.strip() for a in os.environ.get("NNEX4_HUB_ADMINS", "").split(",") if a.strip()}
c.JupyterHub.authenticator_class = authenticator.ClassAuthenticator
c.FirstUseAuthenticator.dbm_path = str(STATE / "passwords.dbm")
c.FirstUseAuthenticator.create_users = False
c.FirstUseAuthenticator.min_password_length = 8
c.Authenticator.allowed_users = names_in(STATE / "students.txt")
c.Authenticator.admin_users = admins
# who is allowed: the lists above at start, then every user added through the REST API
# (JupyterHub 5: allow_existing_users); never "anyone who can log in", even with no students
c.Authenticator.allow_all = False
c.Authenticator.allow_existing_users = True
c.Authenticator.delete_invalid_users = True  # a hub user whose Unix user is gone

# --- the students' servers: real Unix users, the shared kernel, caps (hub/limits.py chooses) ---
mem = limits.mem_limit_from_env()
cpu = float(os.environ.get("NNEX4_HUB_CPU_LIMIT", "0") or 0)
c.Spawner.mem_limit = mem or None
c.Spawner.cpu_limit = cpu or None
c.Spawner.cmd = [str(PREFIX / "venv" / "bin" / "jupyterhub-singleuser")]
c.Spawner.notebook_dir = "~"
c.Spawner.default_url = "/lab/tree/nn-ex4/notebooks"
c.Spawner.start_timeout = 120
c.Spawner.http_timeout = 120
plan = limits.plan(mem)
if plan.error:  # however the hub was started: stop now, not at every student's login
    raise SystemExit(f"jupyterhub_config.py: students' servers cannot be capped here: {plan.error}")
if plan.way == "systemd":
    # as The Littlest JupyterHub: each student's server the systemd unit jupyter-<name>,
    # MemoryMax=/CPUQuota= from mem_limit/cpu_limit, an equal CPUWeight= in one slice, a
    # private /tmp and /dev, no sudo. The units outlive a restart of the hub (a crash, an
    # upgrade): students keep their kernels; `make hub-stop` stops the slice with the hub.
    c.JupyterHub.spawner_class = spawner.NnEx4SystemdSpawner
    c.JupyterHub.cleanup_servers = False
    c.SystemdSpawner.unit_name_template = limits.UNIT_TEMPLATE
    c.SystemdSpawner.slice = limits.SLICE
    c.SystemdSpawner.isolate_tmp = True
    c.SystemdSpawner.isolate_devices = True
    c.SystemdSpawner.disable_user_sudo = True
    c.SystemdSpawner.default_shell = "/bin/bash"
    c.SystemdSpawner.unit_extra_properties = {"CPUWeight": str(limits.CPU_WEIGHT)}
else:
    c.JupyterHub.spawner_class = spawner.NnEx4Spawner

# --- scripts' admin token and the idle culler ---------------------------------------------
services = []
roles = []
cull = int(os.environ.get("NNEX4_HUB_CULL_TIMEOUT", "3600"))
if cull > 0:
    services.append({
        "name": "idle-culler",
        "command": [str(PREFIX / "venv" / "bin" / "python"), "-m", "jupyterhub_idle_culler",
                    f"--timeout={cull}", f"--cull-every={max(10, min(300, cull // 4))}"],
    })
    roles.append({"name": "idle-culler", "services": ["idle-culler"],
                  "scopes": ["list:users", "read:users:activity", "read:servers", "delete:servers"]})
# the admin API for root's scripts (hub/users.py): the token is made at the first start and
# kept, with the API's address, in $NNEX4_HUB_STATE/admin-api.json (0600, in the root-only
# state folder); NNEX4_HUB_SERVICE_TOKEN, if set, is the token instead (tests, load test)
admin_api = STATE / "admin-api.json"
token = os.environ.get("NNEX4_HUB_SERVICE_TOKEN")
if not token:
    try:
        token = json.loads(admin_api.read_text())["token"]
    except (OSError, ValueError, KeyError):
        token = secrets.token_hex(32)
fd = os.open(str(admin_api) + ".tmp", os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
with os.fdopen(fd, "w") as f:
    json.dump({"url": f"http://127.0.0.1:{c.JupyterHub.hub_port}/hub/api", "token": token}, f)
os.replace(str(admin_api) + ".tmp", admin_api)
# admin: JupyterHub lets only an admin make another admin (add-teacher); the service's admin
# flag (deprecated in favour of roles, but roles alone do not count as admin for that check)
services.append({"name": "nnex4-admin", "api_token": token, "admin": True})

# --- the lab board (hub/board/, docs/classroom.md): grading cells' events, a page for admins ---
#   NNEX4_BOARD_PORT        the board service's port on 127.0.0.1        hub port + 3
#   NNEX4_BOARD_TIMEOUT_MS  how long a student's cell waits for it at most 500
board_port = int(os.environ.get("NNEX4_BOARD_PORT", str(c.JupyterHub.port + 3)))
services.append({
    "name": "nnex4-board",
    "url": f"http://127.0.0.1:{board_port}",
    "command": [str(PREFIX / "venv" / "bin" / "python"), str(Path(__file__).resolve().parent / "board" / "board.py"),
                "serve"],
    "environment": {"NNEX4_HUB_STATE": str(STATE)},
    "oauth_no_confirm": True,
})
# the board asks the hub who is an admin (its pages are theirs) and who the students are
roles.append({"name": "nnex4-board", "services": ["nnex4-board"], "scopes": ["list:users", "read:users"]})
# each student's server (and so each kernel) learns where to send events (nn-grader's board)
c.Spawner.environment.update({
    "NNEX4_BOARD_URL": f"http://127.0.0.1:{board_port}/services/nnex4-board/api/events",
    "NNEX4_BOARD_TIMEOUT_MS": os.environ.get("NNEX4_BOARD_TIMEOUT_MS", "500"),
})

c.JupyterHub.services = services
c.JupyterHub.load_roles = roles
