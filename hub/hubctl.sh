#!/usr/bin/env bash
# make hub / make hub-stop: start or stop the class server (run as root).
#   hubctl.sh start   hub/install.sh (skips what is done); the grading sandbox made to work
#                     (scripts/grading/userns.py); proof that a student's server can be capped
#                     (hub/limits.py check: a test unit or cgroup, or stop with the fix); then
#                     JupyterHub on $NNEX4_HUB_IP:$NNEX4_HUB_PORT (127.0.0.1:8000), waiting
#                     until it answers:
#                     - where systemd is PID 1: as the service nnex4-hub (enabled: starts at
#                       boot, restarts on failure, logs in the journal), each student's server
#                       a systemd unit (hub/service.py, deploy/systemd/)
#                     - elsewhere: in the background from this shell, log in $STATE/jupyterhub.log
#   hubctl.sh stop    stops the hub, its proxy, and every student's server and kernel
# State (database, cookie secret, students.txt, passwords): $NNEX4_HUB_STATE
# (/var/lib/nn-ex4-hub). Settings: see hub/jupyterhub_config.py.
set -euo pipefail
HUB_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
PREFIX=${NNEX4_HUB_PREFIX:-/opt/nn-ex4-hub}
STATE=${NNEX4_HUB_STATE:-/var/lib/nn-ex4-hub}
IP=${NNEX4_HUB_IP:-127.0.0.1}
PORT=${NNEX4_HUB_PORT:-8000}
export NNEX4_HUB_PREFIX=$PREFIX NNEX4_HUB_STATE=$STATE NNEX4_HUB_IP=$IP NNEX4_HUB_PORT=$PORT
[ "$(id -u)" = 0 ] || { echo "hub: run as root (it spawns each student's server as their Unix user)" >&2; exit 1; }

PY=${PYTHON:-$( [ -x /usr/bin/python3 ] && echo /usr/bin/python3 || command -v python3)}
# hub/limits.py decides: "systemd" (PID 1 is systemd) or "cgroup"
WAY=$("$PY" "$HUB_DIR/limits.py" way)

running() {
  if [ "$WAY" = systemd ]; then systemctl is-active --quiet nnex4-hub.service
  else [ -f "$STATE/jupyterhub.pid" ] && kill -0 "$(cat "$STATE/jupyterhub.pid")" 2>/dev/null; fi
}
answers() {
  for _ in $(seq 120); do
    if "$PREFIX/venv/bin/python" -c "import sys,urllib.request; urllib.request.urlopen(sys.argv[1], timeout=2)" "http://$IP:$PORT/hub/health" 2>/dev/null; then
      return 0
    fi
    sleep 0.5
  done
  return 1
}

case "${1:-}" in
  start)
    if running; then echo "hub: already running ($WAY) on http://$IP:$PORT"; exit 0; fi
    bash "$HUB_DIR/install.sh"
    # the teacher's `make grade` needs bubblewrap's user namespaces (Ubuntu 24.04: an AppArmor profile)
    "$PY" "$HUB_DIR/../scripts/grading/userns.py" ensure || exit 1
    # before the hub says "running": a student's server can be capped, or stop with the fix
    "$PREFIX/venv/bin/python" "$HUB_DIR/limits.py" check || exit 1
    mkdir -p "$STATE" && chmod 700 "$STATE"
    EXCHANGE=${NNEX4_HUB_EXCHANGE:-/srv/nbgrader/exchange}
    # nbgrader's exchange as nbgrader documents it: everyone may write, the course folders
    # inside are made by the teacher's `nbgrader release_assignment` (inbound: -wx, sticky)
    mkdir -p "$EXCHANGE" && chmod 1777 "$EXCHANGE"
    if [ "$WAY" = systemd ]; then
      "$PREFIX/venv/bin/python" "$HUB_DIR/service.py" install
      if answers; then
        echo "hub: running on http://$IP:$PORT as the systemd service nnex4-hub (starts at boot, restarts on failure; log: journalctl -u nnex4-hub)"
        exit 0
      fi
      echo "hub: did not answer on http://$IP:$PORT within 60 s; systemctl status nnex4-hub and the end of its journal:" >&2
      systemctl --no-pager status nnex4-hub.service >&2 || true
      journalctl --no-pager -u nnex4-hub.service -n 30 >&2 || true
      exit 1
    fi
    # setsid -f: the hub in a session of its own, and this script does not wait for it
    ( cd "$STATE" && setsid -f "$PREFIX/venv/bin/jupyterhub" -f "$HUB_DIR/jupyterhub_config.py" \
        >> "$STATE/jupyterhub.log" 2>&1 < /dev/null )
    if answers; then
      echo "hub: running on http://$IP:$PORT (pid $(cat "$STATE/jupyterhub.pid"); log $STATE/jupyterhub.log)"
      exit 0
    fi
    echo "hub: did not answer on http://$IP:$PORT within 60 s; the end of $STATE/jupyterhub.log:" >&2
    tail -30 "$STATE/jupyterhub.log" >&2
    exit 1
    ;;
  stop)
    if [ "$WAY" = systemd ]; then
      # the hub's service, then the slice: every student's server and kernel
      "$PY" "$HUB_DIR/service.py" stop
      echo "hub: stopped (the service nnex4-hub, and nnex4-students.slice: every student's server; no start at boot until make hub)"
      exit 0
    fi
    if ! running; then echo "hub: not running"; exit 0; fi
    pid=$(cat "$STATE/jupyterhub.pid")
    # SIGTERM: JupyterHub stops every student's server (cleanup_servers) and its proxy
    kill -TERM "$pid"
    for _ in $(seq 60); do kill -0 "$pid" 2>/dev/null || break; sleep 0.5; done
    if kill -0 "$pid" 2>/dev/null; then echo "hub: pid $pid still running after 30 s; killing it" >&2; kill -KILL "$pid"; fi
    rm -f "$STATE/jupyterhub.pid"
    echo "hub: stopped"
    ;;
  *) echo "usage: hubctl.sh start|stop" >&2; exit 2 ;;
esac
