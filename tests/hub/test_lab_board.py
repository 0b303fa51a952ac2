"""The lab board as a class uses it, on the hub with two test students and the teacher.

Each student opens the exercise in their own kernel and runs its cells with the reference
solutions (tests/notebooks/solutions/ex4.rs); the first student's nn_cost_function
regularizes the bias column (the classic mistake), the second's is right. Their grading
cells send their events from the kernel (nn-grader's board module, the server's own token).
The teacher, a hub admin, logs in through the hub's login page in headless Chromium and
opens the board: 1 passed and 1 failing for the regularized parts, the mistake named with
the first student's name; the picture for the projector names nobody. A student who opens
the board gets 403. From the first student's kernel: an event in the second's name, a bad
token, a 1 MB body and a part that does not exist are refused and nothing is stored. With
the board service stopped (SIGSTOP: it accepts connections and never answers) or absent,
the grade cells print what they printed before, and the sender ran with the hub's timeout.
"""

from __future__ import annotations

import json
import os
import re
import signal
import sqlite3
import sys
from pathlib import Path

import pytest
from hubenv import REPO, STUDENTS, TEACHER

sys.path.insert(0, str(REPO / "tests" / "python"))
import chromium

NOTEBOOK = "nn-ex4/notebooks/exercises/ex4-neural-network-learning.ipynb"
PASSWORD = "lab-board-test-password"
BOARD = "/services/nnex4-board/"


def exercise_cells() -> dict[str, str]:
    """The exercise's code cells by nbgrader grade_id."""
    nb = json.loads((REPO / "notebooks" / "exercises" / "ex4-neural-network-learning.ipynb").read_text())
    return {c["metadata"]["nbgrader"]["grade_id"]: "".join(c["source"])
            for c in nb["cells"] if c["cell_type"] == "code" and "nbgrader" in c["metadata"]}


def solutions() -> dict[str, str]:
    """The reference solutions by slot name."""
    text = (REPO / "tests" / "notebooks" / "solutions" / "ex4.rs").read_text()
    parts = re.split(r"^// ===== slot: (\w+) =====\n", text, flags=re.MULTILINE)
    return {parts[i]: parts[i + 1] for i in range(1, len(parts), 2)}


def with_bias_regularized(code: str) -> str:
    """The classic mistake: the bias column (column 0) regularized, in the cost and the gradient."""
    for old, new in [("t.slice(s![.., 1..]).mapv(|w| w * w).sum()", "t.mapv(|w| w * w).sum()"),
                     ("theta1_grad.slice_mut(s![.., 1..]).scaled_add(lambda / mf, &theta1.slice(s![.., 1..]));",
                      "theta1_grad.scaled_add(lambda / mf, theta1);"),
                     ("theta2_grad.slice_mut(s![.., 1..]).scaled_add(lambda / mf, &theta2.slice(s![.., 1..]));",
                      "theta2_grad.scaled_add(lambda / mf, theta2);")]:
        assert code.count(old) == 1, old
        code = code.replace(old, new)
    return code


def stored(hub) -> set[tuple]:
    """What the board keeps: (user, part, points, mistake) rows (the time aside)."""
    db = sqlite3.connect(str(hub.state / "board.sqlite"))
    try:
        return set(db.execute("SELECT user, part, points, mistake FROM results"))
    finally:
        db.close()


def board_pid(hub) -> int:
    """The board service's process (the hub started it)."""
    for proc in Path("/proc").iterdir():
        if not proc.name.isdigit():
            continue
        try:
            cmd = (proc / "cmdline").read_bytes().split(b"\0")
        except OSError:
            continue
        if any(part.endswith(b"board/board.py") for part in cmd) and b"serve" in cmd:
            ppid = int((proc / "stat").read_text().rsplit(")", 1)[1].split()[1])
            if ppid == hub.proc.pid:
                return int(proc.name)
    raise AssertionError(f"no board service running:\n{hub.tail_log()}")


def run(loop, kernel, code: str) -> str:
    out = loop.run_until_complete(kernel.execute(code, timeout=900))
    assert not out["error"] and "panicked at" not in out["stderr"], f"{kernel.user}: {code[:200]}\n{out}"
    return out["stdout"]


def reset_password(hub, name: str) -> None:
    """PASSWORD becomes `name`'s, stored as `hub/users.py reset-password` stores one."""
    import authenticator
    authenticator.set_password(str(hub.state / "passwords.dbm"), name, PASSWORD)


def browser_login(driver, hub, name: str) -> None:
    from selenium.webdriver.common.by import By

    reset_password(hub, name)
    driver.get(hub.url + "/hub/login")
    driver.find_element(By.ID, "username_input").send_keys(name)
    driver.find_element(By.ID, "password_input").send_keys(PASSWORD)
    driver.find_element(By.ID, "login_submit").click()
    driver.find_element(By.TAG_NAME, "body")  # the page after the login


@pytest.mark.needs_browser
def test_the_board_shows_the_teacher_where_the_class_is_stuck(hub, loop):
    wrong, right = STUDENTS
    cells, sol = exercise_cells(), solutions()
    # the teacher: a hub admin (conftest.py), logging in with a password of their own
    assert loop.run_until_complete(hub.api("GET", f"/users/{TEACHER}"))["admin"]

    kernels, outputs = {}, {}
    try:
        for name in STUDENTS:
            k = loop.run_until_complete(hub.open_kernel(name, NOTEBOOK))
            kernels[name] = k
            run(loop, k, cells["setup"])
            run(loop, k, cells["imports"])
            run(loop, k, sol["sigmoid_gradient"])
            run(loop, k, sol["rand_initialize_weights"])
            run(loop, k, with_bias_regularized(sol["nn_cost_function"]) if name == wrong else sol["nn_cost_function"])
            # the kernel has what the hub gives it: the board's address and timeout, the server's token
            setting = run(loop, k, 'println!("{:?}", nn_grader::board::Destination::from_env());')
            assert f'user: "{name}"' in setting and "timeout: 500ms" in setting, setting
            assert "/services/nnex4-board/api/events" in setting, setting
            outputs[name] = (run(loop, k, cells["grade-regularized-cost"]), run(loop, k, cells["grade-all"]))
        assert "Classic mistake — regularizing the bias column" in outputs[wrong][0], outputs[wrong]
        assert "Total: 75 / 100" in outputs[wrong][1] and "Total: 100 / 100" in outputs[right][1], outputs
        # each student's latest result per part
        before = stored(hub)
        assert before == {(u, p, pts if u == right or p not in ("RegularizedCost", "RegularizedGradient") else 0,
                           "RegularizedBias" if u == wrong and p in ("RegularizedCost", "RegularizedGradient") else None)
                          for u in STUDENTS
                          for p, pts in [("FeedforwardCost", 30), ("RegularizedCost", 15), ("SigmoidGradient", 5),
                                         ("Backpropagation", 40), ("RegularizedGradient", 10)]}, hub.tail_log()

        # the student's own kernel tries what a hostile student would: each event, had it been
        # taken, would change what is kept; nothing is stored
        attack = """{  // (braces: evcxr keeps no variables of this cell)
    use nn_grader::board::{self, Destination};
    let env = |k: &str| std::env::var(k).ok();
    let mine = Destination::from_env().unwrap();
    let as_other = Destination::from_vars(|k| if k == "JUPYTERHUB_USER" { Some("%(right)s".to_string()) } else { env(k) }).unwrap();
    println!("other's name: {:?}", board::post(&as_other, r#"{"user":"%(right)s","time":1,"parts":[{"part":"RegularizedCost","points":0,"mistake":"NoRegularization"}]}"#));
    let bad_token = Destination::from_vars(|k| if k == "JUPYTERHUB_API_TOKEN" { Some("not-a-token".to_string()) } else { env(k) }).unwrap();
    println!("bad token: {:?}", board::post(&bad_token, r#"{"user":"%(wrong)s","time":1,"parts":[{"part":"RegularizedCost","points":15,"mistake":null}]}"#));
    let padding = " ".repeat(1 << 20);  // (JSON allows trailing spaces: only the size is wrong)
    println!("1 MB body: {:?}", board::post(&mine, &format!(r#"{{"user":"%(wrong)s","time":1,"parts":[{{"part":"SigmoidGradient","points":0,"mistake":"SigmoidGradientOfZ"}}]}}{padding}"#)));
    println!("unknown part: {:?}", board::post(&mine, r#"{"user":"%(wrong)s","time":1,"parts":[{"part":"Backprop","points":40,"mistake":null}]}"#));
    println!("own event: {:?}", board::post(&mine, r#"{"user":"%(wrong)s","time":1,"parts":[{"part":"Backpropagation","points":40,"mistake":null}]}"#));
    }""" % {"right": right, "wrong": wrong}  # noqa: UP031 (the Rust source has braces of its own)
        said = run(loop, kernels[wrong], attack)
        assert "other's name: Ok(403)" in said and "bad token: Ok(403)" in said, said
        assert "unknown part: Ok(400)" in said, said
        assert re.search(r"1 MB body: (Ok\(4\d\d\)|Err)", said), said
        # the same request, in the student's own name, is taken: the refusals were for what they said
        assert "own event: Ok(201)" in said, said
        # (that event said Backpropagation passed, which it had: what is kept is unchanged)
        assert stored(hub) == before

        from selenium.webdriver.common.by import By

        with chromium.headless_chromium("--window-size=1200,1400") as driver:
            browser_login(driver, hub, TEACHER)
            driver.get(hub.url + BOARD)
            assert driver.title == "Lab board", driver.page_source[:3000]
            chromium.screenshot(driver, "lab-board.png")

            def row(table: str, first: str) -> list[str]:
                for tr in driver.find_elements(By.CSS_SELECTOR, f"table#{table} tr"):
                    tds = [td.text for td in tr.find_elements(By.TAG_NAME, "td")]
                    if tds and tds[0] == first:
                        return tds
                raise AssertionError(f"no row {first!r} in {table}:\n{driver.page_source[:4000]}")

            # part: passed, failing, not tried (of the two students; the teacher is not counted)
            assert row("parts", "Regularized cost")[1:] == ["1", "1", "0"]
            assert row("parts", "Regularized gradient")[1:] == ["1", "1", "0"]
            assert row("parts", "Backpropagation")[1:] == ["2", "0", "0"]
            assert row("mistakes", "regularizing the bias column")[1:] == ["1", wrong]
            assert "failing: regularizing the bias column" in row("students", wrong)
            assert "failing" not in " ".join(row("students", right))
            assert "never a grade" in driver.find_element(By.CLASS_NAME, "note").text
            # the picture for the projector: the counts, no names
            driver.get(hub.url + BOARD + "chart.svg")
            svg = driver.page_source
            assert "regularizing the bias" in svg and "Regularized cost" in svg, svg[:2000]
            for name in STUDENTS + [TEACHER]:
                assert name not in svg, f"{name} on the picture"
            driver.get(hub.url + BOARD + "picture")
            chromium.screenshot(driver, "lab-board-picture.png")

        with chromium.headless_chromium() as driver:
            browser_login(driver, hub, wrong)
            driver.get(hub.url + BOARD)
            page = driver.page_source
            assert "403" in page and "Lab board" not in driver.title, page[:2000]
            assert right not in page and "bias column" not in page
        # the student's token, as a script would send it
        r = loop.run_until_complete(hub.api("GET", "", token=hub.user_tokens[wrong], base=BOARD.rstrip("/") + "/chart.svg",
                                            raw=True))
        assert r.code in (302, 403) and b"<svg" not in (r.body or b""), r.code

        # the board service not answering (stopped: connections wait, nothing answers), then absent
        pid = board_pid(hub)
        k = kernels[right]
        os.kill(pid, signal.SIGSTOP)
        try:
            again = run(loop, k, cells["grade-all"])
        finally:
            os.kill(pid, signal.SIGCONT)
        assert again == outputs[right][1]
        # (evcxr compiles cells as edition 2024: set_var is unsafe there; this kernel runs no other thread)
        run(loop, k, 'unsafe { std::env::set_var("NNEX4_BOARD_URL", "http://127.0.0.1:9/services/nnex4-board/api/events") };')
        assert run(loop, k, cells["grade-all"]) == outputs[right][1]
        setting = run(loop, k, 'println!("{:?}", nn_grader::board::Destination::from_env().map(|d| d.timeout));')
        assert setting.strip() == "Some(500ms)", setting
    finally:
        # leave the students as the other tests expect them: no kernels of ours, and their
        # own passwords (harness.ClassHub.passwords)
        import authenticator
        for k in kernels.values():
            loop.run_until_complete(k.close())
            loop.run_until_complete(hub.server(k.user, "DELETE", f"/kernels/{k.id}", raw=True))
        authenticator.set_password(str(hub.state / "passwords.dbm"), wrong, hub.passwords[wrong])
