"""Draws the two example digits of data/examples/ on an HTML canvas in headless Chromium.

    .venv/bin/python data/examples/make_examples.py

three.png: a dark 3 on white paper, 240 x 300, as a pen would draw it (round caps, a
slightly uneven line, a faint paper tone). seven.jpg: a light 7 on a dark board,
320 x 260 (a JPEG, quality 0.85). Needs chromium and chromium-driver (Debian) and
selenium (requirements.txt). The files are committed; this only documents how they were
made.
"""

from __future__ import annotations

import base64
import os
import shutil
import sys
import tempfile
from pathlib import Path

# Selenium Manager must not look for browsers or drivers online: give it both paths.
os.environ.setdefault("SE_OFFLINE", "true")
os.environ.setdefault("SE_AVOID_STATS", "true")

from selenium import webdriver  # noqa: E402
from selenium.webdriver.chrome.service import Service  # noqa: E402

HERE = Path(__file__).resolve().parent

DRAW = r"""
function draw(w, h, paper, ink, width, strokes, mime, quality) {
  const c = document.createElement("canvas");
  c.width = w; c.height = h;
  const g = c.getContext("2d");
  g.fillStyle = paper; g.fillRect(0, 0, w, h);
  g.strokeStyle = ink; g.lineCap = "round"; g.lineJoin = "round";
  for (const s of strokes) {
    g.lineWidth = width * (s.w || 1);
    g.beginPath();
    g.moveTo(s.p[0], s.p[1]);
    for (let i = 2; i + 3 < s.p.length + 1; i += 4) g.quadraticCurveTo(s.p[i], s.p[i + 1], s.p[i + 2], s.p[i + 3]);
    g.stroke();
  }
  return c.toDataURL(mime, quality);
}
"""

# A 3: two bowls, drawn as quadratic curves (x, y pairs: start, then control + end ...).
THREE = [
    {"p": [62, 78, 100, 34, 150, 46, 196, 64, 172, 118, 158, 146, 112, 150], "w": 1.0},
    {"p": [112, 150, 170, 152, 186, 196, 200, 256, 130, 262, 92, 266, 58, 236], "w": 0.92},
]
# A 7: the bar, slightly rising, then the stem with a gentle curve.
SEVEN = [
    {"p": [92, 62, 160, 56, 238, 52], "w": 1.0},
    {"p": [238, 52, 196, 120, 170, 206], "w": 0.95},
    {"p": [170, 206, 160, 226, 156, 232], "w": 0.9},
]


def main() -> int:
    browser = shutil.which("chromium") or shutil.which("chromium-browser")
    driver_path = shutil.which("chromedriver")
    if not browser or not driver_path:
        print("needs chromium and chromedriver: apt-get install -y chromium chromium-driver", file=sys.stderr)
        return 1
    opts = webdriver.ChromeOptions()
    opts.binary_location = browser
    for a in ("--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
              "--disable-component-update", "--no-first-run"):
        opts.add_argument(a)
    with tempfile.TemporaryDirectory() as profile:
        opts.add_argument(f"--user-data-dir={profile}")
        driver = webdriver.Chrome(options=opts, service=Service(executable_path=driver_path))
        try:
            driver.get("about:blank")
            three = driver.execute_script(DRAW + "return draw(240, 300, '#f4f1ea', '#1a1a2a', 17, arguments[0], 'image/png');", THREE)
            seven = driver.execute_script(DRAW + "return draw(320, 260, '#20262c', '#f0f0e8', 22, arguments[0], 'image/jpeg', 0.85);", SEVEN)
        finally:
            driver.quit()
    for name, uri in (("three.png", three), ("seven.jpg", seven)):
        data = base64.b64decode(uri.split(",", 1)[1])
        (HERE / name).write_bytes(data)
        print(f"{name}: {len(data)} bytes")
    return 0


if __name__ == "__main__":
    sys.exit(main())
