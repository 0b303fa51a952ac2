# The class server's JupyterHub configuration (make hub; docs/classroom.md). Every setting a
# teacher changes is an environment variable, read here:
#   NNEX4_HUB_PREFIX    the shared read-only install (hub/install.sh)   /opt/nn-ex4-hub
#   NNEX4_HUB_STATE     the hub's own state: database, cookie secret,
#                       students.txt (allowed users), logs              /var/lib/nn-ex4-hub
#   NNEX4_HUB_IP/PORT   where it listens                                 127.0.0.1:8000
#   NNEX4_HUB_MEM_LIMIT memory cap per student (server + kernels)        2G (0: none)
#   NNEX4_HUB_CPU_LIMIT cores per student, even when the others are idle  0 (none: equal
#                       shares when busy, all cores for whoever computes alone)
#   NNEX4_HUB_CULL_TIMEOUT  seconds idle before a server is stopped      3600
#   NNEX4_HUB_ADMINS    comma-separated teacher user names               (none)
#   NNEX4_HUB_EXCHANGE  nbgrader's exchange folder                       /srv/nbgrader/exchange
#   NNEX4_HUB_SERVICE_TOKEN  if set: an admin API token for scripts (hub/loadtest/loadtest.py, tests)
import os
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import limits  # noqa: E402
import spawner  # noqa: E402

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

# --- who may log in: the class list (hub/users.py writes it), first-use passwords ------------
# A student chooses a password at their first login; later logins need it. Nobody outside
# students.txt (and the admins) can log in, and no account is made by logging in.
students_file = STATE / "students.txt"
allowed = set()
if students_file.exists():
    allowed = {line.strip() for line in students_file.read_text().splitlines() if line.strip()}
admins = {a.strip() for a in os.environ.get("NNEX4_HUB_ADMINS", "").split(",") if a.strip()}
c.JupyterHub.authenticator_class = "firstuseauthenticator.FirstUseAuthenticator"
c.FirstUseAuthenticator.dbm_path = str(STATE / "passwords.dbm")
c.FirstUseAuthenticator.create_users = False
c.FirstUseAuthenticator.min_password_length = 8
c.Authenticator.allowed_users = allowed
c.Authenticator.admin_users = admins

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
token = os.environ.get("NNEX4_HUB_SERVICE_TOKEN")
if token:
    services.append({"name": "nnex4-admin", "api_token": token})
    roles.append({"name": "nnex4-admin", "services": ["nnex4-admin"],
                  "scopes": ["admin:users", "admin:servers", "tokens", "access:servers", "read:users"]})
c.JupyterHub.services = services
c.JupyterHub.load_roles = roles
