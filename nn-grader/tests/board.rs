//! The lab board's sender as a grading cell meets it: a process whose environment is a hub
//! kernel's (this test binary run again as a child, `child_process` below) against a
//! service played here on 127.0.0.1: one that answers, one that never answers, none.

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::process::Command;
use std::sync::mpsc;
use std::thread;
use std::time::Duration;

use nn_grader::prelude::*;
use nn_grader::Mistake;

const CHILD: &str = "NNEX4_BOARD_TEST_CHILD";

/// What the child does (its stdout lines start with "OUT "), by `NNEX4_BOARD_TEST_CHILD`:
/// - `cell`: the notebook's "Regularized cost" cell with the bias column regularized, then
///   its "Sigmoid gradient" cell with the right function;
/// - `make-grade`: what `make grade`'s sandboxed program runs (class::values) and scores.
#[test]
fn child_process() {
    let Ok(what) = std::env::var(CHILD) else { return };
    println!("OUT board {:?}", nn_grader::board::Destination::from_env().map(|d| d.timeout));
    match what.as_str() {
        "cell" => {
            let part = nn_grader::grade_regularized_cost(&Mistake::RegularizedBias.function());
            println!("OUT {part}");
            let part = nn_grader::grade_sigmoid_gradient(&|z: &Array2<f64>| nn_core::sigmoid_gradient(z));
            println!("OUT {part}");
        }
        "make-grade" => {
            let init = |l_in: usize, l_out: usize, eps: f64, rng: &mut StdRng| {
                Array2::from_shape_fn((l_out, 1 + l_in), |_| rng.random_range(-eps..=eps))
            };
            let options = nn_grader::GradeOptions::default();
            let values = nn_grader::class::values(
                7,
                &options,
                &|z: &Array2<f64>| nn_core::sigmoid_gradient(z),
                &init,
                &Mistake::RegularizedBias.function(),
            );
            let frame = nn_grader::wire::frame(&nn_grader::wire::encode(&values));
            let report = nn_grader::class::score_frame(7, &frame).expect("scoring the frame");
            println!("OUT total {}", report.total());
        }
        other => panic!("unknown child task {other}"),
    }
}

/// Runs the child with `env` on top of an environment cleared of the hub's variables;
/// returns its "OUT " lines.
fn run_child(what: &str, env: &[(&str, String)]) -> Vec<String> {
    let mut cmd = Command::new(std::env::current_exe().unwrap());
    cmd.args(["--exact", "child_process", "--nocapture", "--test-threads", "1"]);
    for key in
        ["NNEX4_BOARD_URL", "NNEX4_BOARD_TIMEOUT_MS", "JUPYTERHUB_API_TOKEN", "JUPYTERHUB_USER", "NBGRADER_EXECUTION"]
    {
        cmd.env_remove(key);
    }
    cmd.env(CHILD, what);
    for (k, v) in env {
        cmd.env(k, v);
    }
    let out = cmd.output().unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "child {what} failed:\n{stdout}\n{}", String::from_utf8_lossy(&out.stderr));
    // (libtest prints "test child_process ... " before the first line)
    stdout.lines().filter_map(|l| l.split_once("OUT ")).map(|(_, rest)| rest.to_string()).collect()
}

fn hub_env(port: u16, timeout_ms: u64) -> Vec<(&'static str, String)> {
    vec![
        ("NNEX4_BOARD_URL", format!("http://127.0.0.1:{port}/services/nnex4-board/api/events")),
        ("NNEX4_BOARD_TIMEOUT_MS", timeout_ms.to_string()),
        ("JUPYTERHUB_API_TOKEN", "the-servers-token".to_string()),
        ("JUPYTERHUB_USER", "ada".to_string()),
    ]
}

/// A service on 127.0.0.1 that reads each request whole, answers `status` (or never, with
/// `None`: it holds the connection open), and hands each request's text to the test.
fn fake_service(status: Option<u16>) -> (u16, mpsc::Receiver<String>) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let (tx, rx) = mpsc::channel();
    thread::spawn(move || {
        let mut held = Vec::new();
        for stream in listener.incoming() {
            let Ok(mut stream) = stream else { continue };
            let request = read_request(&mut stream);
            match status {
                Some(code) => {
                    let _ = write!(stream, "HTTP/1.1 {code} X\r\nContent-Length: 0\r\nConnection: close\r\n\r\n");
                }
                None => held.push(stream), // never answers, never closes
            }
            if tx.send(request).is_err() {
                break;
            }
        }
    });
    (port, rx)
}

fn read_request(stream: &mut TcpStream) -> String {
    stream.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
    let mut got = Vec::new();
    let mut buf = [0u8; 4096];
    loop {
        let text = String::from_utf8_lossy(&got).to_string();
        if let Some(end) = text.find("\r\n\r\n") {
            let length = text
                .lines()
                .find_map(|l| l.strip_prefix("Content-Length: "))
                .and_then(|n| n.trim().parse::<usize>().ok())
                .unwrap_or(0);
            if got.len() >= end + 4 + length {
                return text;
            }
        }
        match stream.read(&mut buf) {
            Ok(0) | Err(_) => return String::from_utf8_lossy(&got).to_string(),
            Ok(n) => got.extend_from_slice(&buf[..n]),
        }
    }
}

/// The output of the cells off the hub (no board variables at all): what every other run
/// must print too.
fn off_the_hub(what: &str) -> Vec<String> {
    let lines = run_child(what, &[]);
    assert_eq!(lines[0], "board None", "{lines:?}");
    lines
}

#[test]
fn each_grading_cell_sends_one_event_as_the_token_holder_and_prints_what_it_did_before() {
    let (port, requests) = fake_service(Some(201));
    let lines = run_child("cell", &hub_env(port, 2000));
    assert_eq!(lines[0], "board Some(2s)");
    assert_eq!(lines[1..], off_the_hub("cell")[1..]);
    assert!(lines[1].starts_with("Regularized cost") && lines[1].contains("bias column"), "{lines:?}");
    assert!(lines[2].starts_with("Sigmoid gradient") && lines[2].contains("Nice work!"), "{lines:?}");
    let first = requests.recv_timeout(Duration::from_secs(5)).unwrap();
    let second = requests.recv_timeout(Duration::from_secs(5)).unwrap();
    assert!(requests.recv_timeout(Duration::from_millis(300)).is_err(), "more than one event per cell");
    for request in [&first, &second] {
        assert!(request.starts_with("POST /services/nnex4-board/api/events HTTP/1.1\r\n"), "{request}");
        assert!(request.contains("\r\nAuthorization: token the-servers-token\r\n"), "{request}");
    }
    let body = |r: &str| r.split_once("\r\n\r\n").unwrap().1.to_string();
    let first = body(&first);
    assert!(first.starts_with(r#"{"user":"ada","time":"#), "{first}");
    assert!(
        first.ends_with(r#","parts":[{"part":"RegularizedCost","points":0,"mistake":"RegularizedBias"}]}"#),
        "{first}"
    );
    assert!(body(&second).ends_with(r#","parts":[{"part":"SigmoidGradient","points":5,"mistake":null}]}"#));
}

#[test]
fn grading_runs_send_nothing() {
    let (port, requests) = fake_service(Some(201));
    // nbgrader's autograder (and the Validate button) set NBGRADER_EXECUTION in the kernel
    let mut env = hub_env(port, 2000);
    env.push(("NBGRADER_EXECUTION", "autograde".to_string()));
    let lines = run_child("cell", &env);
    assert_eq!(lines, off_the_hub("cell"));
    // `make grade`'s program, even with every hub variable set (its sandbox clears them)
    let lines = run_child("make-grade", &hub_env(port, 2000));
    assert_eq!(lines[1], "total 75", "{lines:?}");
    assert!(requests.recv_timeout(Duration::from_millis(500)).is_err(), "a grading run sent an event");
}

#[test]
fn a_service_that_never_answers_or_is_not_there_changes_nothing() {
    let expected = off_the_hub("cell");
    let (port, requests) = fake_service(None);
    let lines = run_child("cell", &hub_env(port, 150));
    // the setting the sender ran with, and the cells completed with the same output
    assert_eq!(lines[0], "board Some(150ms)");
    assert_eq!(lines[1..], expected[1..]);
    assert!(requests.recv_timeout(Duration::from_secs(5)).unwrap().contains("\"part\":\"RegularizedCost\""));
    // no service: a port nobody listens on
    let closed = TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let lines = run_child("cell", &hub_env(closed, 150));
    assert_eq!(lines[1..], expected[1..]);
}

#[test]
fn the_services_catalogue_is_the_graders() {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../hub/board/catalogue.json");
    let file = std::fs::read_to_string(path).unwrap_or_default();
    let want = nn_grader::board::catalogue_json();
    if std::env::var("NNEX4_WRITE_CATALOGUE").is_ok() {
        std::fs::write(path, &want).unwrap();
        return;
    }
    assert!(
        file == want,
        "{path} is not the grader's catalogue: NNEX4_WRITE_CATALOGUE=1 cargo test -p nn-grader --test board"
    );
}
