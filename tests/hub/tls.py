"""HTTPS in front of a hub, for the tests: a self-signed certificate for 127.0.0.1 (openssl)
and Debian's nginx serving the kit's site (deploy/nginx/site.sh render, the file a teacher
installs), run from a folder of its own so that it touches nothing in /etc/nginx."""

from __future__ import annotations

import contextlib
import os
import shutil
import socket
import subprocess
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from harness import free_port_block
from hubenv import REPO


@dataclass
class Proxy:
    url: str  # https://127.0.0.1:PORT
    http_url: str  # the plain-HTTP port, which only redirects
    ca_certs: str  # the certificate a client must trust
    folder: Path


@contextlib.contextmanager
def https_proxy(hub_port: int):
    nginx = shutil.which("nginx") or "/usr/sbin/nginx"
    if not os.path.exists(nginx):
        raise RuntimeError("nginx is not installed: apt-get install nginx (.ci/run installs it)")
    d = Path(tempfile.mkdtemp(prefix="nnex4-tls-"))
    os.chmod(d, 0o755)  # nginx's workers (user nobody) make their temporary folders here
    proc = None
    try:
        cert, key = d / "cert.pem", d / "key.pem"
        subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2",
                        "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1",
                        "-keyout", str(key), "-out", str(cert)], check=True, capture_output=True)
        port = free_port_block(2)
        site = subprocess.run(["bash", str(REPO / "deploy" / "nginx" / "site.sh"), "render"], check=True,
                              capture_output=True, text=True,
                              env={**os.environ, "NNEX4_TLS_NAME": "127.0.0.1", "NNEX4_TLS_CERT": str(cert),
                                   "NNEX4_TLS_KEY": str(key), "NNEX4_HUB_PORT": str(hub_port),
                                   "NNEX4_TLS_LISTEN": f"127.0.0.1:{port}",
                                   "NNEX4_TLS_HTTP_LISTEN": f"127.0.0.1:{port + 1}"}).stdout
        (d / "site.conf").write_text(site)
        # what Debian's /etc/nginx/nginx.conf gives a site, with every path in this folder
        temps = " ".join(f"{k}_temp_path {d / k};" for k in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi"))
        (d / "nginx.conf").write_text(
            f"worker_processes 1;\npid {d / 'nginx.pid'};\nerror_log {d / 'error.log'};\n"
            "events { worker_connections 256; }\n"
            f"http {{\n    access_log {d / 'access.log'};\n    {temps}\n    include {d / 'site.conf'};\n}}\n")
        args = [nginx, "-p", str(d), "-c", str(d / "nginx.conf")]
        t = subprocess.run(args + ["-t"], check=False, capture_output=True, text=True)
        assert t.returncode == 0, f"nginx -t refused the site:\n{t.stderr}"
        proc = subprocess.Popen(args + ["-g", "daemon off;"], start_new_session=True,
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + 20
        while True:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                if proc.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError(f"nginx does not answer on {port}: {(d / 'error.log').read_text()}") from None
                time.sleep(0.1)
        yield Proxy(f"https://127.0.0.1:{port}", f"http://127.0.0.1:{port + 1}", str(cert), d)
    finally:
        if proc and proc.poll() is None:
            proc.terminate()
            try:
                proc.wait(10)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(5)
        shutil.rmtree(d, ignore_errors=True)
