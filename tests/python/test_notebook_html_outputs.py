"""No committed output vanishes from a notebook's nbconvert HTML.

nbconvert's HTML export shows an output in the first of its `display_data_priority` types
that the output has, and silently drops an output with none of them (an `image/gif`, for
one: the training animation of notebook 03 was missing from its HTML page). Each rich
output of each committed notebook must have one of those types, and every image must
reach the page as an <img>. And every link within a notebook (`[1.3](#1.3-Feedforward-...)`,
the links from a check back to the cell that defines its function) lands on a heading.
"""

from __future__ import annotations

import html
import re
from pathlib import Path
from urllib.parse import unquote

import pytest

REPO = Path(__file__).resolve().parents[2]
NOTEBOOKS = sorted(REPO.glob("notebooks/*.ipynb")) + sorted(REPO.glob("notebooks/exercises/*.ipynb"))

nbconvert = pytest.importorskip("nbconvert", reason="nbconvert is not installed (pip install -r requirements.txt)")
nbformat = pytest.importorskip("nbformat")


def shown_types() -> list[str]:
    return list(nbconvert.HTMLExporter().default_config["NbConvertBase"]["display_data_priority"])


@pytest.mark.filterwarnings("ignore:Your element with mimetype")
def test_the_check_knows_what_nbconvert_drops():
    # The fact the notebooks rely on, and the mistake this file guards against.
    types = shown_types()
    assert "text/html" in types and "image/png" in types
    assert "image/gif" not in types
    nb = nbformat.v4.new_notebook()
    gif = "R0lGODlhAQABAIAAAP///wAAACwAAAAAAQABAAACAkQBADs="
    nb.cells.append(nbformat.v4.new_code_cell(outputs=[
        nbformat.v4.new_output("display_data", data={"image/gif": gif}),
    ]))
    body, _ = nbconvert.HTMLExporter().from_notebook_node(nb)
    assert gif not in body
    nb.cells[0].outputs = [nbformat.v4.new_output(
        "display_data", data={"text/html": f'<img src="data:image/gif;base64,{gif}">'})]
    body, _ = nbconvert.HTMLExporter().from_notebook_node(nb)
    assert f"data:image/gif;base64,{gif}" in body


@pytest.mark.parametrize("notebook", NOTEBOOKS, ids=lambda p: p.name)
def test_every_output_reaches_the_html_page(notebook):
    nb = nbformat.read(str(notebook), as_version=4)
    types = set(shown_types())
    dropped = []
    gifs = 0
    for i, cell in enumerate(nb.cells):
        for out in cell.get("outputs", []):
            data = out.get("data")
            if not data:
                continue
            if not set(data) & types:
                dropped.append(f"cell {i}: an output of type {sorted(data)} (nbconvert shows {sorted(types)})")
            gifs += str(data.get("text/html", "")).count("data:image/gif;base64,")
    assert not dropped, f"{notebook.relative_to(REPO)}: nbconvert's HTML drops\n" + "\n".join(dropped)
    if gifs:
        body, _ = nbconvert.HTMLExporter().from_notebook_node(nb)
        assert body.count('src="data:image/gif;base64,') == gifs


def broken_links(nb) -> list[str]:
    """The links within the notebook's HTML page (`href="#..."`) that land on no id."""
    body, _ = nbconvert.HTMLExporter().from_notebook_node(nb)
    # A browser matches a fragment to an id as written or percent-decoded: compare both decoded.
    ids = {unquote(html.unescape(i)) for i in re.findall(r'\bid="([^"]+)"', body)}
    links = [unquote(html.unescape(h)) for h in re.findall(r'href="#([^"]+)"', body)]
    return sorted({h for h in links if h not in ids})


@pytest.mark.parametrize("notebook", NOTEBOOKS, ids=lambda p: p.name)
def test_every_link_within_the_notebook_lands_on_a_heading(notebook):
    broken = broken_links(nbformat.read(str(notebook), as_version=4))
    assert not broken, f"{notebook.relative_to(REPO)}: links to no heading: {broken}"


def test_a_broken_link_is_caught():
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_markdown_cell("### 1.3 Feedforward\n\n[ok](#1.3-Feedforward), [bad](#1.4-Cost)")]
    assert broken_links(nb) == ["1.4-Cost"]
