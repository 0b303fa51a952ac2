"""The explorers work in a real browser: headless Chromium, driven by selenium.

`cargo run --release -p nn-core --example explorer -- OUT.html --quick` writes a lambda
explorer (and `--training` a training explorer) as a page, OUT.evcxr.txt (what evcxr
reads from the kernel for that value) and OUT.png (the PNG fallback). The page is opened
in Chromium; the test moves the slider, presses play, checks that the frame shown
changes, that the page logged no JavaScript error, that it asked for nothing over the
network, and that the display output carries the PNG fallback beside the HTML.

Needs: cargo; chromium and chromedriver (Debian: `apt-get install -y chromium
chromium-driver`); selenium (requirements.txt). Skips, saying which is missing, without
them (the display-output check needs only cargo). Set NN_EX4_SCREENSHOTS=<folder> to keep screenshots of the pages.
"""

from __future__ import annotations

import base64
import shutil
import subprocess
import time
from pathlib import Path

import pytest

from chromium import headless_chromium, network_requests, screenshot, severe_logs

REPO = Path(__file__).resolve().parents[2]

NO_CARGO = None if shutil.which("cargo") else "cargo is not on PATH"
needs_cargo = pytest.mark.skipif(NO_CARGO is not None, reason=f"explorer test skipped: {NO_CARGO}")


def needs_browser(test):
    """cargo and Chromium (tests/conftest.py: a missing browser skips, or fails, saying why)."""
    return needs_cargo(pytest.mark.needs_browser(test))


def explorer(out: Path, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        ["cargo", "run", "--release", "-q", "-p", "nn-core", "--example", "explorer", "--", str(out), "--quick", *args],
        cwd=REPO, capture_output=True, text=True, timeout=1500,
    )


@pytest.fixture(scope="module")
def pages(tmp_path_factory):
    d = tmp_path_factory.mktemp("explorers")
    out = {}
    for kind, args in (("lambda", ()), ("training", ("--training", "--frames", "6"))):
        path = d / f"{kind}.html"
        p = explorer(path, *args)
        assert p.returncode == 0, p.stdout + p.stderr
        out[kind] = path
    return out


@pytest.fixture(scope="module")
def browser():
    with headless_chromium("--window-size=1000,1100", logs=True) as driver:
        yield driver


def shown(driver) -> list[int]:
    """Indices of the frames displayed (the CSS decides: exactly one should be)."""
    return driver.execute_script(
        "return Array.from(document.querySelectorAll('.nnx-frame'))"
        ".filter(f => getComputedStyle(f).display !== 'none').map(f => +f.dataset.index);")


def shown_src(driver) -> str:
    return driver.execute_script(
        "const f = Array.from(document.querySelectorAll('.nnx-frame'))"
        ".find(f => getComputedStyle(f).display !== 'none'); return f.querySelector('img.nnx-units').src;")


def set_slider(driver, value: int) -> None:
    # What dragging does: a new value, then an `input` event.
    driver.execute_script(
        "const s = document.querySelector('.nnx-slider'); s.value = arguments[0];"
        "s.dispatchEvent(new Event('input', {bubbles: true}));", str(value))


@needs_browser
@pytest.mark.parametrize("kind", ["lambda", "training"])
def test_slider_and_play_change_the_frame(pages, browser, kind):
    page = pages[kind]
    browser.get_log("performance")  # drop what came before this page
    browser.get(page.as_uri())
    n = browser.execute_script("return document.querySelectorAll('.nnx-frame').length;")
    assert n == 6, n  # six lambdas; six training frames (--frames 6)
    assert shown(browser) == [0]
    # The script ran: the no-JavaScript note is hidden, the label names frame 0.
    assert not browser.find_element("css selector", ".nnx-nojs").is_displayed()
    first_label = browser.find_element("css selector", ".nnx-label").text
    first_src = shown_src(browser)
    screenshot(browser, f"{kind}-explorer-0.png")

    # The slider.
    set_slider(browser, n - 1)
    assert shown(browser) == [n - 1]
    assert browser.find_element("css selector", ".nnx-label").text != first_label
    assert shown_src(browser) != first_src
    screenshot(browser, f"{kind}-explorer-last.png")
    set_slider(browser, 2)
    assert shown(browser) == [2]

    # Play, from the start: frames advance by themselves, then stop on the last.
    set_slider(browser, 0)
    play = browser.find_element("css selector", ".nnx-play")
    play.click()
    assert "pause" in play.text
    deadline = time.time() + 5
    while shown(browser) == [0] and time.time() < deadline:
        time.sleep(0.1)
    assert shown(browser) not in ([0], []), "play did not move to another frame"
    deadline = time.time() + 20
    while shown(browser) != [n - 1] and time.time() < deadline:
        time.sleep(0.2)
    assert shown(browser) == [n - 1]
    time.sleep(0.3)
    assert "play" in play.text
    # Pressing play on the last frame starts again from the first.
    play.click()
    time.sleep(0.2)
    assert shown(browser)[0] < n - 1
    play.click()  # pause
    assert "play" in play.text

    assert severe_logs(browser) == []
    assert network_requests(browser) == []


@needs_cargo
def test_display_output_has_html_and_png_fallback(pages):
    for kind, page in pages.items():
        text = page.with_suffix(".evcxr.txt").read_text()
        blocks = []
        lines = iter(text.splitlines())
        for line in lines:
            if line.startswith("EVCXR_BEGIN_CONTENT "):
                mime = line.split(" ", 1)[1]
                body = []
                for d in lines:
                    if d == "EVCXR_END_CONTENT":
                        break
                    body.append(d)
                blocks.append((mime, "\n".join(body)))
        assert [m for m, _ in blocks] == ["text/html", "image/png"], kind
        html, png_b64 = blocks[0][1], blocks[1][1]
        assert html in page.read_text()
        png = base64.b64decode(png_b64, validate=True)
        assert png[:8] == b"\x89PNG\r\n\x1a\n"
        assert png == page.with_suffix(".png").read_bytes()
        assert "http://" not in html and "https://" not in html
        assert len(text) < 500_000, (kind, len(text))


@needs_browser
def test_fallback_alone_without_javascript(pages, browser):
    """With scripts off (an untrusted notebook), the static panel of all frames and a note show, no slider."""
    html = pages["lambda"].read_text()
    no_js = pages["lambda"].with_name("no-js.html")
    no_js.write_text(html.replace("<script>", "<script type=\"text/x-disabled\">"))
    browser.get(no_js.as_uri())
    assert browser.find_element("css selector", ".nnx-nojs").is_displayed()
    assert browser.find_element("css selector", ".nnx-static img").is_displayed()
    assert not browser.find_element("css selector", ".nnx-slider").is_displayed()
    assert not browser.find_element("css selector", ".nnx-frame").is_displayed()
    png = base64.b64encode(pages["lambda"].with_suffix(".png").read_bytes()).decode()
    assert browser.find_element("css selector", ".nnx-static img").get_attribute("src").endswith(png)
    assert severe_logs(browser) == []
