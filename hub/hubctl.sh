#!/usr/bin/env bash
# make hub / make hub-stop: start or stop the class server (run as root).
#   hubctl.sh start   hub/install.sh (skips what is done), then JupyterHub in the background
#                     on $NNEX4_HUB_IP:$NNEX4_HUB_PORT (127.0.0.1:8000); waits until it answers
#   hubctl.sh stop    stops the hub, its proxy, and every student's server and kernel
# State (database, cookie secret, students.txt, passwords, jupyterhub.log):
# $NNEX4_HUB_STATE (/var/lib/nn-ex4-hub). Settings: see hub/jupyterhub_config.py.
set -euo pipefail
HUB_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
PREFIX=${NNEX4_HUB_PREFIX:-/opt/nn-ex4-hub}
STATE=${NNEX4_HUB_STATE:-/var/lib/nn-ex4-hub}
IP=${NNEX4_HUB_IP:-127.0.0.1}
PORT=${NNEX4_HUB_PORT:-8000}
export NNEX4_HUB_PREFIX=$PREFIX NNEX4_HUB_STATE=$STATE NNEX4_HUB_IP=$IP NNEX4_HUB_PORT=$PORT
[ "$(id -u)" = 0 ] || { echo "hub: run as root (it spawns each student's server as their Unix user)" >&2; exit 1; }

running() { [ -f "$STATE/jupyterhub.pid" ] && kill -0 "$(cat "$STATE/jupyterhub.pid")" 2>/dev/null; }

case "${1:-}" in
  start)
    if running; then echo "hub: already running (pid $(cat "$STATE/jupyterhub.pid")) on http://$IP:$PORT"; exit 0; fi
    bash "$HUB_DIR/install.sh"
    mkdir -p "$STATE" && chmod 700 "$STATE"
    EXCHANGE=${NNEX4_HUB_EXCHANGE:-/srv/nbgrader/exchange}
    # nbgrader's exchange as nbgrader documents it: everyone may write, the course folders
    # inside are made by the teacher's `nbgrader release_assignment` (inbound: -wx, sticky)
    mkdir -p "$EXCHANGE" && chmod 1777 "$EXCHANGE"
    # setsid -f: the hub in a session of its own, and this script does not wait for it
    ( cd "$STATE" && setsid -f "$PREFIX/venv/bin/jupyterhub" -f "$HUB_DIR/jupyterhub_config.py" \
        >> "$STATE/jupyterhub.log" 2>&1 < /dev/null )
    for _ in $(seq 120); do
      if "$PREFIX/venv/bin/python" -c "import sys,urllib.request; urllib.request.urlopen(sys.argv[1], timeout=2)" "http://$IP:$PORT/hub/health" 2>/dev/null; then
        echo "hub: running on http://$IP:$PORT (pid $(cat "$STATE/jupyterhub.pid"); log $STATE/jupyterhub.log)"
        exit 0
      fi
      sleep 0.5
    done
    echo "hub: did not answer on http://$IP:$PORT within 60 s; the end of $STATE/jupyterhub.log:" >&2
    tail -30 "$STATE/jupyterhub.log" >&2
    exit 1
    ;;
  stop)
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
