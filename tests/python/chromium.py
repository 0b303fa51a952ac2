"""Headless Chromium for the browser tests (selenium, chromedriver; never online)."""

from __future__ import annotations

import contextlib
import os
import shutil
import tempfile
from pathlib import Path

from machine import missing_browser  # noqa: F401  (tests/: the one probe, re-exported)

# Selenium Manager must never look for browsers or drivers online (the paths are given).
os.environ.setdefault("SE_OFFLINE", "true")
os.environ.setdefault("SE_AVOID_STATS", "true")


@contextlib.contextmanager
def headless_chromium(*extra_args: str, logs: bool = False):
    """A selenium driver on a fresh headless Chromium profile, removed afterwards."""
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    opts = webdriver.ChromeOptions()
    opts.binary_location = shutil.which("chromium") or shutil.which("chromium-browser")
    profile = tempfile.mkdtemp(prefix="nn-ex4-chromium-")
    for a in ("--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
              "--disable-component-update", "--no-first-run", f"--user-data-dir={profile}", *extra_args):
        opts.add_argument(a)
    if logs:
        opts.set_capability("goog:loggingPrefs", {"browser": "ALL", "performance": "ALL"})
    driver = webdriver.Chrome(options=opts, service=Service(executable_path=shutil.which("chromedriver")))
    try:
        yield driver
    finally:
        driver.quit()
        shutil.rmtree(profile, ignore_errors=True)


def screenshot(driver, name: str) -> None:
    folder = os.environ.get("NN_EX4_SCREENSHOTS")
    if folder:
        Path(folder).mkdir(parents=True, exist_ok=True)
        driver.save_screenshot(str(Path(folder) / name))


def severe_logs(driver) -> list[str]:
    return [e["message"] for e in driver.get_log("browser") if e["level"] in ("SEVERE", "ERROR")]


def network_requests(driver) -> list[str]:
    import json

    urls = []
    for e in driver.get_log("performance"):
        msg = json.loads(e["message"])["message"]
        if msg.get("method") == "Network.requestWillBeSent":
            urls.append(msg["params"]["request"]["url"])
    # (chrome:// requests are the browser's own pages, not the explorer's)
    return [u for u in urls if u.startswith(("http:", "https:", "ws:", "wss:", "ftp:"))]
