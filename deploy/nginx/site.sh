#!/usr/bin/env bash
# The class server behind nginx with HTTPS (docs/classroom.md, "HTTPS").
#   deploy/nginx/site.sh render    the site's configuration (deploy/nginx/nn-ex4-hub.conf filled in) on stdout
#   deploy/nginx/site.sh install   (root) writes it to /etc/nginx/sites-available/nn-ex4-hub, enables
#                                  it, checks it with `nginx -t`, and reloads (or starts) nginx
# Settings, from the environment:
#   NNEX4_TLS_NAME         the server's DNS name, as in its certificate (required)
#   NNEX4_TLS_CERT         the certificate chain, PEM (required), e.g. /etc/letsencrypt/live/NAME/fullchain.pem
#   NNEX4_TLS_KEY          its private key, PEM (required)
#   NNEX4_HUB_PORT         the hub's port on 127.0.0.1 (8000, as `make hub`)
#   NNEX4_TLS_LISTEN       where HTTPS listens (443; e.g. 127.0.0.1:8443)
#   NNEX4_TLS_HTTP_LISTEN  where plain HTTP listens, to redirect to HTTPS (80)
set -euo pipefail
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
NAME=${NNEX4_TLS_NAME:-}
CERT=${NNEX4_TLS_CERT:-}
KEY=${NNEX4_TLS_KEY:-}
HUB=127.0.0.1:${NNEX4_HUB_PORT:-8000}
LISTEN=${NNEX4_TLS_LISTEN:-443}
HTTP_LISTEN=${NNEX4_TLS_HTTP_LISTEN:-80}
die() { echo "nginx site: $*" >&2; exit 1; }

render() {
  [ -n "$NAME" ] || die "NNEX4_TLS_NAME is not set: the server's DNS name, as in its certificate"
  [[ $HUB =~ ^127\.0\.0\.1:[0-9]+$ ]] || die "NNEX4_HUB_PORT '${NNEX4_HUB_PORT:-}' is not a port number"
  # each value goes into nginx's configuration as it is: one word, no ; { } quotes or spaces
  for v in NAME LISTEN HTTP_LISTEN CERT KEY; do
    [[ ${!v} =~ ^[A-Za-z0-9._:/@+*-]*$ ]] || die "NNEX4_TLS_$v='${!v}' has a character nginx would misread (space, ;, {, quote ...)"
  done
  for f in CERT KEY; do
    [ -n "${!f}" ] || die "NNEX4_TLS_$f is not set (the certificate chain and its private key, PEM)"
    [ -r "${!f}" ] || die "NNEX4_TLS_$f: ${!f} is not a readable file"
    [[ ${!f} = /* ]] || die "NNEX4_TLS_$f: ${!f} is not an absolute path"
  done
  sed -e "s|@SERVER_NAME@|$NAME|g" -e "s|@HUB@|$HUB|g" -e "s|@HTTPS_LISTEN@|$LISTEN|g" \
      -e "s|@HTTP_LISTEN@|$HTTP_LISTEN|g" -e "s|@CERT@|$CERT|g" -e "s|@KEY@|$KEY|g" "$HERE/nn-ex4-hub.conf"
}

case "${1:-}" in
  render) render ;;
  install)
    [ "$(id -u)" = 0 ] || die "run as root (it writes /etc/nginx)"
    command -v nginx >/dev/null || die "nginx is not installed: apt-get install nginx"
    conf=$(render)
    dest=/etc/nginx/sites-available/nn-ex4-hub
    old=$(cat "$dest" 2>/dev/null || true)
    printf '%s\n' "$conf" > "$dest.new" && mv "$dest.new" "$dest"
    ln -sfn "$dest" /etc/nginx/sites-enabled/nn-ex4-hub
    if ! nginx -t 2>/tmp/nn-ex4-nginx-t.$$; then
      cat /tmp/nn-ex4-nginx-t.$$ >&2; rm -f /tmp/nn-ex4-nginx-t.$$
      if [ -n "$old" ]; then printf '%s\n' "$old" > "$dest"; else rm -f "$dest" /etc/nginx/sites-enabled/nn-ex4-hub; fi
      die "nginx -t refused the configuration (above); the previous one is back"
    fi
    rm -f /tmp/nn-ex4-nginx-t.$$
    if [ -d /run/systemd/system ]; then
      systemctl enable --now nginx >/dev/null 2>&1 || true
      systemctl reload nginx
    elif [ -s /run/nginx.pid ] && kill -0 "$(cat /run/nginx.pid)" 2>/dev/null; then
      nginx -s reload
    else
      nginx
    fi
    echo "nginx site: https://$NAME/ -> http://$HUB ($dest)"
    ;;
  *) echo "usage: NNEX4_TLS_NAME=... NNEX4_TLS_CERT=... NNEX4_TLS_KEY=... deploy/nginx/site.sh render|install" >&2; exit 2 ;;
esac
