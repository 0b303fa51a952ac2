"""The lab board's own logic (hub/board/board.py), without a hub: what an event may be, what
is kept, what the board counts, and that the picture names nobody. (tests/hub/test_lab_board.py
runs it on the hub, as a class uses it.)"""

from __future__ import annotations

import importlib.util
import json
import os
import sqlite3
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]


def load_board():
    spec = importlib.util.spec_from_file_location("board", REPO / "hub" / "board" / "board.py")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


board = load_board()


def event(**over) -> bytes:
    e = {"user": "ada", "time": 1765000000,
         "parts": [{"part": "RegularizedCost", "points": 0, "mistake": "RegularizedBias"}]}
    e.update(over)
    return json.dumps(e).encode()


def test_a_well_formed_event_is_taken():
    e = board.parse_event(event())
    assert e["parts"][0]["mistake"] == "RegularizedBias"
    every_part = [{"part": p["id"], "points": p["max"], "mistake": None} for p in board.CATALOGUE["parts"]]
    assert len(board.parse_event(event(parts=every_part))["parts"]) == 5


@pytest.mark.parametrize("body, why", [
    (b"not json", "not JSON"),
    (b"\xff\xfe", "not JSON"),
    (b"[]", "{user, time, parts}"),
    (event(extra=1), "{user, time, parts}"),
    (event(user=""), "user"),
    (event(user=5), "user"),
    (event(time="now"), "time"),
    (event(time=True), "time"),
    (event(time=-1), "time"),
    (event(parts=[]), "parts"),
    (event(parts=[{"part": "SigmoidGradient", "points": 5, "mistake": None}] * 6), "parts"),
    (event(parts=[{"part": "Backprop", "points": 40, "mistake": None}]), "unknown"),
    (event(parts=[{"part": "SigmoidGradient", "points": 5, "mistake": None}] * 2), "repeated"),
    (event(parts=[{"part": "SigmoidGradient", "points": 4, "mistake": None}]), "points"),
    (event(parts=[{"part": "SigmoidGradient", "points": 5.0, "mistake": None}]), "points"),
    (event(parts=[{"part": "SigmoidGradient", "points": True, "mistake": None}]), "points"),
    (event(parts=[{"part": "SigmoidGradient", "points": 0, "mistake": "DroppedTable"}]), "mistake"),
    (event(parts=[{"part": "SigmoidGradient", "points": 0, "mistake": None, "code": "fn x"}]), "{part, points"),
    (event(parts="SigmoidGradient"), "parts"),
])
def test_a_malformed_event_is_refused_saying_why(body, why):
    with pytest.raises(ValueError, match=__import__("re").escape(why)):
        board.parse_event(body)


def test_the_catalogue_has_the_graders_five_parts_and_sixteen_mistakes():
    assert [p["max"] for p in board.CATALOGUE["parts"]] == [30, 15, 5, 40, 10]
    assert len(board.MISTAKES) == 16 and board.MISTAKES["RegularizedBias"] == "regularizing the bias column"


def test_the_store_keeps_each_students_latest_result_per_part_and_clear_empties_it(tmp_path, monkeypatch, capsys):
    store = board.Store(tmp_path / "board.sqlite")
    store.add("ada", board.parse_event(event())["parts"], 100)
    store.add("ada", [{"part": "RegularizedCost", "points": 15, "mistake": None}], 200)
    store.add("bob", [{"part": "RegularizedCost", "points": 0, "mistake": "NoRegularization"}], 150)
    cols = [r[1] for r in sqlite3.connect(str(tmp_path / "board.sqlite")).execute("PRAGMA table_info(results)")]
    assert cols == ["user", "part", "points", "mistake", "time"]
    assert (tmp_path / "board.sqlite").stat().st_mode & 0o077 == 0
    assert store.latest() == {"ada": {"RegularizedCost": {"points": 15, "mistake": None, "time": 200}},
                              "bob": {"RegularizedCost": {"points": 0, "mistake": "NoRegularization", "time": 150}}}
    # a student who sends a thousand events still has one row per part
    for t in range(1000):
        store.add("ada", [{"part": "SigmoidGradient", "points": 5, "mistake": None}], 300 + t)
    assert store.count() == 3
    # the command a teacher runs with the course
    monkeypatch.setenv("NNEX4_HUB_STATE", str(tmp_path))
    umask = os.umask(0o022)
    assert board.main(["clear"]) == 0
    # the caller's umask is left as it was (a leaked 077 made later builds unreadable to others)
    assert os.umask(umask) == 0o022
    assert "3 results deleted" in capsys.readouterr().out
    assert store.count() == 0 and store.latest() == {}
    assert board.main(["clear"]) == 0 and "0 results deleted" in capsys.readouterr().out


def test_the_summary_counts_passed_failing_and_not_tried_of_the_class():
    latest = {"ada": {"RegularizedCost": {"points": 0, "mistake": "RegularizedBias", "time": 1},
                      "SigmoidGradient": {"points": 5, "mistake": None, "time": 1}},
              "bob": {"RegularizedCost": {"points": 15, "mistake": None, "time": 2}}}
    s = board.summary(latest, ["ada", "bob", "cy"])
    by = {p["id"]: p for p in s["parts"]}
    assert (by["RegularizedCost"]["passed"], by["RegularizedCost"]["failing"], by["RegularizedCost"]["not_tried"]) \
        == (["bob"], ["ada"], 1)
    assert (len(by["SigmoidGradient"]["passed"]), by["SigmoidGradient"]["not_tried"]) == (1, 2)
    assert by["Backpropagation"]["not_tried"] == 3
    assert s["mistakes"] == [{"id": "RegularizedBias", "name": "regularizing the bias column", "who": ["ada"]}]
    html = board.board_html(s, latest, "/services/nnex4-board/")
    assert "failing: regularizing the bias column" in html and "never a grade" in html
    assert 'http-equiv="refresh"' in html


def test_names_are_escaped_on_the_board_and_absent_from_the_picture():
    latest = {"<script>x</script>": {"RegularizedCost": {"points": 0, "mistake": "RegularizedBias", "time": 1}},
              "zed-student": {"SigmoidGradient": {"points": 5, "mistake": None, "time": 1}}}
    s = board.summary(latest, [])
    assert "<script>x" not in board.board_html(s, latest, "/p/")
    svg = board.chart_svg(s)
    assert "zed-student" not in svg and "script" not in svg
    assert "regularizing the bias" in svg and "Regularized cost" in svg
    import xml.dom.minidom
    xml.dom.minidom.parseString(svg)  # well-formed
