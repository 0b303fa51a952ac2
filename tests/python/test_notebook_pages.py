"""Every notebook, as nbconvert's HTML, fits a 900 px wide browser window (headless Chromium).

For each committed notebook (notebooks/*.ipynb and notebooks/exercises/*.ipynb, with the
outputs they are committed with) the page must have no horizontal scroll bar, no shown image
may be wider than the window (neither as drawn nor in its own pixels: a bigger picture is
scaled down and its text shrinks below legibility), and each explorer's frame must fit on
one line (hidden units beside the cost curve, not wrapped below it).

Needs selenium (requirements.txt), nbconvert (with JupyterLab), chromium and chromedriver
(Debian: chromium, chromium-driver); skips with the reason where one is missing. Set
NN_EX4_SCREENSHOTS=<folder> to keep a full-page screenshot of each notebook at 900 px.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
WIDTH = 900
NOTEBOOKS = sorted(REPO.glob("notebooks/*.ipynb")) + sorted(REPO.glob("notebooks/exercises/*.ipynb"))

from chromium import headless_chromium


def _missing() -> str | None:
    try:
        import nbconvert  # noqa: F401
    except ImportError:
        return "nbconvert is not installed (pip install -r requirements.txt)"
    return None


MISSING = _missing()
pytestmark = [pytest.mark.needs_browser,  # (tests/conftest.py: skips, or fails, saying why)
              pytest.mark.skipif(MISSING is not None, reason=f"notebook page test skipped: {MISSING}")]


@pytest.fixture(scope="module")
def browser():
    with headless_chromium("--disable-quic", "--hide-scrollbars", f"--window-size={WIDTH},1000") as driver:
        yield driver


MEASURE = """
const doc = document.documentElement;
const out = {inner: window.innerWidth, scroll: doc.scrollWidth, client: doc.clientWidth, images: [], frames: []};
for (const img of document.querySelectorAll('img')) {
  const r = img.getBoundingClientRect();
  if (r.width === 0 || getComputedStyle(img).visibility === 'hidden') continue;  // not shown
  out.images.push({right: r.right, width: r.width, natural: img.naturalWidth, alt: img.alt || img.src.slice(0, 40)});
}
for (const f of document.querySelectorAll('.nnx-frame.nnx-on')) {
  const left = f.querySelector('.nnx-left').getBoundingClientRect();
  const right = f.querySelector('.nnx-right').getBoundingClientRect();
  out.frames.push({leftTop: left.top, rightTop: right.top, right: right.right});
}
return out;
"""


@pytest.mark.parametrize("notebook", NOTEBOOKS, ids=lambda p: p.name)
def test_the_notebook_fits_900_px(notebook, browser, tmp_path):
    import nbconvert
    import nbformat

    body, _ = nbconvert.HTMLExporter().from_notebook_node(nbformat.read(str(notebook), as_version=4))
    page = tmp_path / (notebook.stem + ".html")
    page.write_text(body, encoding="utf-8")
    browser.set_window_size(WIDTH, 1000)
    browser.get(page.as_uri())
    m = browser.execute_script(MEASURE)
    problems = []
    if m["scroll"] > m["client"]:
        problems.append(f"horizontal scroll bar: the page is {m['scroll']} px wide in a {m['client']} px window")
    for img in m["images"]:
        if img["right"] > m["client"] + 0.5:
            problems.append(f"image {img['alt']!r} ends at {img['right']:.0f} px, past the window ({m['client']} px)")
        if img["natural"] > m["inner"]:
            problems.append(f"image {img['alt']!r} is {img['natural']} px wide, wider than the {m['inner']} px page "
                            f"(shown at {img['width']:.0f} px, its text scaled down)")
    for f in m["frames"]:
        if abs(f["leftTop"] - f["rightTop"]) > 1 or f["right"] > m["client"]:
            problems.append(f"an explorer's frame wraps or overflows at {WIDTH} px: {f}")
    folder = os.environ.get("NN_EX4_SCREENSHOTS")
    if folder:
        Path(folder).mkdir(parents=True, exist_ok=True)
        height = browser.execute_script("return document.documentElement.scrollHeight;")
        browser.set_window_size(WIDTH, min(height + 100, 30000))
        browser.save_screenshot(str(Path(folder) / f"{notebook.stem}-{WIDTH}.png"))
    assert not problems, f"{notebook.relative_to(REPO)} at {WIDTH} px:\n" + "\n".join(problems)
