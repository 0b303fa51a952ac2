"""deploy/nginx/site.sh render: the HTTPS site for the class server, filled in from the
environment; a value nginx would misread, or a certificate that is not there, is refused
with the setting's name and nothing is printed. (The site itself serves a hub through nginx
in tests/hub/test_first_day.py.)"""

from __future__ import annotations

import os
import re
import subprocess
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
SITE = REPO / "deploy" / "nginx" / "site.sh"


def render(tmp_path: Path, **settings: str) -> subprocess.CompletedProcess:
    cert, key = tmp_path / "cert.pem", tmp_path / "key.pem"
    cert.write_text("certificate")
    key.write_text("key")
    env = {k: v for k, v in os.environ.items() if not k.startswith(("NNEX4_TLS_", "NNEX4_HUB_PORT"))}
    env.update({"NNEX4_TLS_NAME": "class.school.example", "NNEX4_TLS_CERT": str(cert), "NNEX4_TLS_KEY": str(key)})
    env.update(settings)
    return subprocess.run(["bash", str(SITE), "render"], env=env, check=False, capture_output=True, text=True, timeout=30)


def test_render_fills_in_every_value(tmp_path):
    p = render(tmp_path, NNEX4_HUB_PORT="8123", NNEX4_TLS_LISTEN="127.0.0.1:8443")
    assert p.returncode == 0, p.stderr
    assert not re.search(r"@[A-Z_]+@", p.stdout), p.stdout  # no placeholder left
    assert "proxy_pass http://127.0.0.1:8123;" in p.stdout
    assert "listen 127.0.0.1:8443 ssl;" in p.stdout and "listen 80;" in p.stdout
    assert f"ssl_certificate     {tmp_path / 'cert.pem'};" in p.stdout
    assert p.stdout.count("server_name class.school.example;") == 2


@pytest.mark.parametrize("setting, value, says", [
    ("NNEX4_TLS_NAME", "", "NNEX4_TLS_NAME is not set"),
    ("NNEX4_TLS_NAME", "evil; include /etc/shadow", "NNEX4_TLS_NAME="),
    ("NNEX4_TLS_LISTEN", "443 ssl; }", "NNEX4_TLS_LISTEN="),
    ("NNEX4_TLS_CERT", "/nonexistent/fullchain.pem", "NNEX4_TLS_CERT: /nonexistent/fullchain.pem is not a readable file"),
    ("NNEX4_TLS_KEY", "relative.pem", "NNEX4_TLS_KEY"),
    ("NNEX4_HUB_PORT", "80;80", "NNEX4_HUB_PORT '80;80' is not a port number"),
])
def test_render_refuses_what_nginx_would_misread(tmp_path, setting, value, says):
    p = render(tmp_path, **{setting: value})
    assert p.returncode == 1, p.stdout
    assert says in p.stderr, p.stderr
    assert p.stdout == ""
