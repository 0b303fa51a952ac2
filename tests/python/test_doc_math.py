"""`make doc` renders the doc comments' formulas: rustdoc with the KaTeX header, in Chromium.

The doc comments write the lecture's formulas in TeX (`$g(z) = \\frac{1}{1 + e^{-z}}$`,
`$$J(\\Theta) = ...$$`). `make doc` passes `nn-core/doc/katex-header.html` to rustdoc and
copies the vendored KaTeX (`nn-core/doc/katex/`) beside the docs. The test builds them the
same way, opens the pages of the cost and the sigmoid, and checks that every formula became
KaTeX's markup without a parse error, that no raw TeX is left in the text, that no paragraph
scrolls for a formula's height, and that the pages asked for nothing over the network. Skips, saying why, without cargo or a browser.
"""

from __future__ import annotations

import os
import re
import subprocess
from pathlib import Path

import pytest

from chromium import headless_chromium, network_requests, screenshot, severe_logs

REPO = Path(__file__).resolve().parents[2]
needs_browser = pytest.mark.needs_browser  # (tests/conftest.py: skips, or fails, saying why)


@pytest.fixture(scope="module")
def browser():
    with headless_chromium("--window-size=1000,1100", logs=True) as driver:
        yield driver


@pytest.fixture(scope="module")
def docs() -> Path:
    p = subprocess.run(["make", "-s", "doc"], cwd=REPO, capture_output=True, text=True, timeout=1500,
                       env={**os.environ, "CARGO_TERM_COLOR": "never"})
    assert p.returncode == 0, p.stdout + p.stderr
    return REPO / "target" / "doc"


@needs_browser
@pytest.mark.parametrize("page", ["nn_core/lecture/cost/index.html", "nn_core/lecture/sigmoid/index.html"])
def test_formulas_render_with_the_vendored_katex(docs, browser, page):
    browser.get((docs / page).as_uri())
    browser.implicitly_wait(0)
    rendered = 0
    for _ in range(50):  # the header loads KaTeX asynchronously
        rendered = browser.execute_script("return document.querySelectorAll('.katex').length")
        if rendered:
            break
        browser.execute_script("return new Promise(r => setTimeout(r, 100))")
    screenshot(browser, page.replace("/", "_") + ".png")
    assert rendered >= 2, f"{page}: no formula was rendered by KaTeX"
    errors = browser.execute_script("return document.querySelectorAll('.katex-error').length")
    assert errors == 0, f"{page}: {errors} formulas KaTeX could not parse"
    text = browser.execute_script("return document.querySelector('#main-content').innerText")
    assert "$$" not in text and "\\frac" not in text, f"{page}: raw TeX left in the page"
    scrolling = browser.execute_script(
        "return Array.from(document.querySelectorAll('.docblock p')).filter(p => p.scrollHeight > p.clientHeight + 1"
        " && ['auto', 'scroll'].includes(getComputedStyle(p).overflowY))"
        ".map(p => p.innerText.slice(0, 60))")
    assert not scrolling, f"{page}: paragraphs whose formulas make them scroll: {scrolling}"
    assert not severe_logs(browser), severe_logs(browser)
    assert not network_requests(browser), network_requests(browser)


def test_the_header_names_only_vendored_files():
    header = (REPO / "nn-core/doc/katex-header.html").read_text()
    for name in ("katex.min.css", "katex.min.js", "contrib/auto-render.min.js"):
        assert f'"{name}"' in header or f'+ "{name}"' in header, name
        assert (REPO / "nn-core/doc/katex" / name).is_file(), name
    assert "http://" not in header and "https://" not in header, "the docs fetch nothing"
    css = (REPO / "nn-core/doc/katex/katex.min.css").read_text()
    fonts = {f for f in re.findall(r"url\(fonts/([^)]+\.woff2)\)", css)}
    missing = [f for f in sorted(fonts) if not (REPO / "nn-core/doc/katex/fonts" / f).is_file()]
    assert fonts and not missing, f"fonts the CSS names but the kit lacks: {missing}"
