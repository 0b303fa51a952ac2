//! Hostile students: functions that loop, recurse without end, take all the memory, exit
//! the process, crash, panic, print, return NaN, wrong shapes or errors. Each costs its
//! parts their points with the right reason; the other parts are graded as usual; nothing
//! reaches this process's stderr; and the test process goes on.
//!
//! Every test here runs with file descriptor 2 pointed at a temporary file (and takes
//! turns with the others for that), then checks the file is empty.

#![cfg(all(target_os = "linux", not(nn_grader_in_process)))]

use std::io::{Read, Seek, Write};
use std::os::fd::AsRawFd;
use std::sync::{Mutex, PoisonError};
use std::time::{Duration, Instant};

use nn_grader::prelude::*;
use nn_grader::{GradeOptions, GradeReport, Part};

include!("../../tests/notebooks/solutions/ex4.rs");

type CostValue = nn_core::Result<(f64, Array2<f64>, Array2<f64>)>;

static STDERR: Mutex<()> = Mutex::new(());

/// Runs `f` with this process's stderr (fd 2) going to a file; returns what reached it.
fn with_stderr_captured<R>(f: impl FnOnce() -> R) -> (R, String) {
    let _turn = STDERR.lock().unwrap_or_else(PoisonError::into_inner);
    let mut file = tempfile();
    // SAFETY: dup/dup2 on this process's own descriptors; fd 2 is put back below.
    let saved = unsafe { libc::dup(2) };
    assert!(saved >= 0);
    // SAFETY: as above: fd 2 now points at the temporary file.
    unsafe { libc::dup2(file.as_raw_fd(), 2) };
    let result = f();
    // SAFETY: as above: fd 2 back as it was, the copy closed.
    unsafe {
        libc::dup2(saved, 2);
        libc::close(saved);
    }
    let mut text = String::new();
    file.rewind().unwrap();
    file.read_to_string(&mut text).unwrap();
    (result, text)
}

fn tempfile() -> std::fs::File {
    let path =
        std::env::temp_dir().join(format!("nn-grader-stderr-{}-{:?}", std::process::id(), std::thread::current().id()));
    let file = std::fs::OpenOptions::new().read(true).write(true).create(true).truncate(true).open(&path).unwrap();
    std::fs::remove_file(&path).unwrap();
    file
}

fn quick() -> GradeOptions {
    GradeOptions { time_limit: Duration::from_secs(1), memory_limit: 512 << 20 }
}

/// Grades a hostile `nn_cost_function` (with the right other two functions): every cost
/// part scores 0 with `reason`, the sigmoid gradient keeps its 5 points, nothing on stderr.
fn assert_cost_parts_fail(
    what: &str,
    options: GradeOptions,
    f: &nn_grader::TwoLayerCost<'_>,
    reason: &str,
) -> GradeReport {
    let (report, stderr) = with_stderr_captured(|| options.grade(&sigmoid_gradient, &rand_initialize_weights, f));
    let text = report.to_string();
    for p in &report.parts {
        if p.part == Part::SigmoidGradient {
            assert!(p.passed(), "{what}: the sigmoid gradient lost its points\n{text}");
        } else {
            assert_eq!(p.score, 0, "{what}\n{text}");
            assert!(p.message.starts_with(reason), "{what}: {:?} does not start with {reason:?}\n{text}", p.message);
        }
    }
    assert!(report.init.as_ref().unwrap().passed, "{what}\n{text}");
    assert_eq!(report.total(), 5, "{what}\n{text}");
    assert_eq!(stderr, "", "{what}: something reached stderr");
    report
}

fn endless(n: u64) -> u64 {
    // Not a tail call (the addition comes after), and the array keeps each frame real.
    let frame = std::hint::black_box([n; 32]);
    if n == u64::MAX {
        return 0;
    }
    endless(n + 1) + frame[7]
}

#[test]
fn an_infinite_loop_times_out() {
    let looping = |_: &Array2<f64>, _: &Array2<f64>, _: &Array2<f64>, _: &Array1<usize>, _: f64| -> CostValue {
        loop {
            std::hint::spin_loop();
        }
    };
    assert_cost_parts_fail("loop", quick(), &looping, "timed out after 1 s in nn_cost_function");
}

#[test]
fn sleeping_forever_times_out() {
    let sleeping = |_: &Array2<f64>, _: &Array2<f64>, _: &Array2<f64>, _: &Array1<usize>, _: f64| -> CostValue {
        std::thread::sleep(Duration::from_secs(3600));
        unreachable!()
    };
    assert_cost_parts_fail("sleep", quick(), &sleeping, "timed out after 1 s in nn_cost_function");
}

#[test]
fn endless_recursion_overflows_the_stack() {
    let recursing = |_: &Array2<f64>, _: &Array2<f64>, _: &Array2<f64>, _: &Array1<usize>, _: f64| -> CostValue {
        let n = endless(0);
        Err(nn_core::NnError::InvalidArgument { name: "n", reason: n.to_string() })
    };
    assert_cost_parts_fail("recursion", quick(), &recursing, "stack overflow (endless recursion?)");
}

#[test]
fn a_huge_allocation_runs_out_of_memory() {
    let huge = |_: &Array2<f64>, _: &Array2<f64>, _: &Array2<f64>, _: &Array1<usize>, _: f64| -> CostValue {
        // black_box: in a release build the optimizer would otherwise drop the allocation.
        let v = std::hint::black_box(vec![0u8; std::hint::black_box(1 << 40)]);
        Ok((v[12345] as f64, Array2::zeros((1, 1)), Array2::zeros((1, 1))))
    };
    // With the default limits (2 GiB).
    assert_cost_parts_fail("vec![0u8; 1 << 40]", GradeOptions::default(), &huge, "ran out of memory");
}

#[test]
fn a_growing_vec_runs_out_of_memory() {
    let growing = |_: &Array2<f64>, _: &Array2<f64>, _: &Array2<f64>, _: &Array1<usize>, _: f64| -> CostValue {
        let mut v: Vec<u64> = Vec::new();
        loop {
            v.push(std::hint::black_box(v.len() as u64));
        }
    };
    let options = GradeOptions { time_limit: Duration::from_secs(20), memory_limit: 256 << 20 };
    assert_cost_parts_fail("growing Vec", options, &growing, "ran out of memory");
}

#[test]
fn process_exit_is_an_exit_not_a_result() {
    let exiting = |_: &Array2<f64>, _: &Array2<f64>, _: &Array2<f64>, _: &Array1<usize>, _: f64| -> CostValue {
        std::process::exit(0)
    };
    assert_cost_parts_fail("exit(0)", quick(), &exiting, "the process exited: status 0 (std::process::exit?)");
    let exiting3 = |_: &Array2<f64>, _: &Array2<f64>, _: &Array2<f64>, _: &Array1<usize>, _: f64| -> CostValue {
        std::process::exit(3)
    };
    assert_cost_parts_fail("exit(3)", quick(), &exiting3, "the process exited: status 3");
}

#[test]
fn abort_and_segfault_are_crashes() {
    let aborting = |_: &Array2<f64>, _: &Array2<f64>, _: &Array2<f64>, _: &Array1<usize>, _: f64| -> CostValue {
        std::process::abort()
    };
    assert_cost_parts_fail("abort", quick(), &aborting, "the process crashed: signal 6, SIGABRT (abort)");
    let segfault = |_: &Array2<f64>, _: &Array2<f64>, _: &Array2<f64>, _: &Array1<usize>, _: f64| -> CostValue {
        // SAFETY: none; this is the hostile student's code.
        unsafe { std::ptr::null_mut::<u64>().write_volatile(1) };
        unreachable!()
    };
    assert_cost_parts_fail("null write", quick(), &segfault, "the process crashed: signal 11, SIGSEGV");
}

#[test]
fn panics_score_0_with_their_message() {
    let panicking = |_: &Array2<f64>, _: &Array2<f64>, _: &Array2<f64>, _: &Array1<usize>, _: f64| -> CostValue {
        panic!("boom at {}", 42)
    };
    assert_cost_parts_fail("panic", quick(), &panicking, "panicked: boom at 42");
    let todo = |_: &Array2<f64>, _: &Array2<f64>, _: &Array2<f64>, _: &Array1<usize>, _: f64| -> CostValue { todo!() };
    assert_cost_parts_fail("todo", quick(), &todo, "not implemented yet (todo!())");
    let any = |_: &Array2<f64>, _: &Array2<f64>, _: &Array2<f64>, _: &Array1<usize>, _: f64| -> CostValue {
        std::panic::panic_any(42u32)
    };
    assert_cost_parts_fail("panic_any", quick(), &any, "panicked: a panic without a message");
}

#[test]
fn nan_wrong_shapes_and_err_score_0() {
    let nan = |t1: &Array2<f64>, t2: &Array2<f64>, _: &Array2<f64>, _: &Array1<usize>, _: f64| -> CostValue {
        Ok((f64::NAN, Array2::from_elem(t1.dim(), f64::NAN), Array2::from_elem(t2.dim(), f64::NAN)))
    };
    let report = assert_cost_parts_fail("NaN", quick(), &nan, "");
    assert!(report.parts[0].message.starts_with("J is NaN on"), "{report}");
    assert!(report.parts[3].message.starts_with("the gradient has NaN or infinite entries"), "{report}");

    let shapes = |_: &Array2<f64>, _: &Array2<f64>, _: &Array2<f64>, _: &Array1<usize>, _: f64| -> CostValue {
        Ok((0.5, Array2::zeros((2, 2)), Array2::zeros((7, 1))))
    };
    let report = assert_cost_parts_fail("wrong shapes", quick(), &shapes, "");
    assert!(report.parts[0].message.starts_with("J = 0.500000 but expected"), "{report}");
    assert!(report.parts[3].message.starts_with("Theta1_grad is 2x2 but must be 5x4"), "{report}");

    let err = |_: &Array2<f64>, _: &Array2<f64>, _: &Array2<f64>, _: &Array1<usize>, _: f64| -> CostValue {
        Err(nn_core::NnError::InvalidArgument { name: "X", reason: "I refuse".into() })
    };
    assert_cost_parts_fail(
        "Err",
        quick(),
        &err,
        "nn_cost_function returned an error on the course's 3-5-3 debug network",
    );
}

#[test]
fn printing_is_swallowed() {
    // A right answer, after printing every way there is: full marks, nothing on stderr.
    let chatty = |t1: &Array2<f64>, t2: &Array2<f64>, x: &Array2<f64>, y: &Array1<usize>, l: f64| {
        println!("debug: {:?}", t1.dim());
        eprintln!("debug: {:?}", t2.dim());
        let _ = std::io::stderr().write_all(b"straight to stderr\n");
        let _ = std::io::stdout().write_all(b"straight to stdout\n");
        // SAFETY: writing a buffer to the standard descriptors.
        unsafe {
            libc::write(1, b"fd 1\n".as_ptr().cast(), 5);
            libc::write(2, b"fd 2\n".as_ptr().cast(), 5);
        }
        nn_cost_function(t1, t2, x, y, l)
    };
    let (report, stderr) = with_stderr_captured(|| quick().grade(&sigmoid_gradient, &rand_initialize_weights, &chatty));
    assert_eq!(report.total(), 100, "{report}");
    assert_eq!(stderr, "");
    // Printing, then todo!(): 0 for the reason that matters.
    let chatty_stub = |_: &Array2<f64>, _: &Array2<f64>, _: &Array2<f64>, _: &Array1<usize>, _: f64| -> CostValue {
        eprintln!("about to fail");
        let _ = std::io::stderr().write_all(&[b'x'; 200_000]); // more than a pipe holds
        todo!()
    };
    assert_cost_parts_fail("print + todo", quick(), &chatty_stub, "not implemented yet (todo!())");
}

#[test]
fn a_loop_at_lambda_above_0_costs_only_the_regularized_parts() {
    #[allow(clippy::while_immutable_condition)]
    let half = |t1: &Array2<f64>, t2: &Array2<f64>, x: &Array2<f64>, y: &Array1<usize>, l: f64| {
        while l > 0.0 {
            std::hint::spin_loop();
        }
        nn_cost_function(t1, t2, x, y, l)
    };
    let (report, stderr) = with_stderr_captured(|| quick().grade(&sigmoid_gradient, &rand_initialize_weights, &half));
    let scores: Vec<u32> = report.parts.iter().map(|p| p.score).collect();
    assert_eq!(scores, vec![30, 0, 5, 40, 0], "{report}");
    assert_eq!(report.parts[1].message, "timed out after 1 s in nn_cost_function");
    assert_eq!(stderr, "");
}

#[test]
fn hostile_sigmoid_gradient_and_initialization() {
    let looping = |_: &Array2<f64>| -> Array2<f64> {
        loop {
            std::hint::spin_loop();
        }
    };
    let recursing =
        |_: usize, _: usize, _: f64, _: &mut StdRng| -> Array2<f64> { Array2::zeros((endless(0) as usize, 1)) };
    let (report, stderr) = with_stderr_captured(|| quick().grade(&looping, &recursing, &nn_cost_function));
    assert_eq!(report.total(), 95, "{report}");
    assert_eq!(report.part(Part::SigmoidGradient).unwrap().message, "timed out after 1 s in sigmoid_gradient");
    assert_eq!(report.init.as_ref().unwrap().message, "stack overflow (endless recursion?)");
    assert_eq!(stderr, "");
}

#[test]
fn the_gradient_check_survives_too() {
    let looping = |_: &Array2<f64>, _: &Array2<f64>, _: &Array2<f64>, _: &Array1<usize>, _: f64| -> CostValue {
        loop {
            std::hint::spin_loop();
        }
    };
    let (check, stderr) = with_stderr_captured(|| quick().check_gradients(&looping, 0.0));
    assert_eq!(check.to_string(), "Gradient check not run: timed out after 1 s in nn_cost_function");
    assert_eq!(stderr, "");
}

#[test]
fn threads_left_running_do_not_matter() {
    // A right answer that leaves a thread spinning: the child ends anyway.
    let spawner = |t1: &Array2<f64>, t2: &Array2<f64>, x: &Array2<f64>, y: &Array1<usize>, l: f64| {
        std::thread::spawn(|| loop {
            std::hint::spin_loop();
        });
        nn_cost_function(t1, t2, x, y, l)
    };
    let (report, stderr) =
        with_stderr_captured(|| quick().grade(&sigmoid_gradient, &rand_initialize_weights, &spawner));
    assert_eq!(report.total(), 100, "{report}");
    assert_eq!(stderr, "");
}

#[test]
fn each_part_on_its_own_times_out_once() {
    let looping = |_: &Array2<f64>, _: &Array2<f64>, _: &Array2<f64>, _: &Array1<usize>, _: f64| -> CostValue {
        loop {
            std::hint::spin_loop();
        }
    };
    let options = quick();
    let graders: [(&str, &dyn Fn() -> nn_grader::PartResult); 4] = [
        ("feedforward", &|| options.grade_feedforward_cost(&looping)),
        ("regularized cost", &|| options.grade_regularized_cost(&looping)),
        ("backpropagation", &|| options.grade_backpropagation(&looping)),
        ("regularized gradient", &|| options.grade_regularized_gradient(&looping)),
    ];
    for (name, grade) in graders {
        let ((part, took), stderr) = with_stderr_captured(|| {
            let start = Instant::now();
            (grade(), start.elapsed())
        });
        assert_eq!(part.message, "timed out after 1 s in nn_cost_function", "{name}");
        assert_eq!(part.score, 0);
        // One time limit per part, not two (the lambda = 0 runs for hints are skipped).
        assert!(took < Duration::from_millis(1800), "{name}: {took:?}");
        assert_eq!(stderr, "");
    }
}

/// Children of `parent` (from /proc): the forked processes that run student code.
fn children_of(parent: u32) -> Vec<u32> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir("/proc").into_iter().flatten().flatten() {
        let Ok(pid) = entry.file_name().to_string_lossy().parse::<u32>() else { continue };
        let Ok(stat) = std::fs::read_to_string(format!("/proc/{pid}/stat")) else { continue };
        // "pid (comm) state ppid ...": the fields after the last ')'.
        let fields: Vec<&str> = stat.rsplit_once(')').map_or("", |(_, rest)| rest).split_whitespace().collect();
        if fields.get(1).and_then(|p| p.parse::<u32>().ok()) == Some(parent) {
            out.push(pid);
        }
    }
    out
}

/// Running, not a zombie or gone.
fn alive(pid: u32) -> bool {
    std::fs::read_to_string(format!("/proc/{pid}/stat"))
        .map(|s| s.rsplit_once(')').is_some_and(|(_, rest)| !rest.trim_start().starts_with('Z')))
        .unwrap_or(false)
}

#[test]
fn a_grader_killed_before_its_deadline_takes_the_students_loop_with_it() {
    if std::env::var_os("NN_GRADER_ORPHAN_TEST").is_some() {
        // In the child process: a looping sigmoid_gradient under a 60 s limit.
        let looping = |_: &Array2<f64>| -> Array2<f64> {
            loop {
                std::hint::spin_loop();
            }
        };
        let options = GradeOptions { time_limit: Duration::from_secs(60), memory_limit: 512 << 20 };
        let _ = options.grade_sigmoid_gradient(&looping);
        return;
    }
    let mut grader = std::process::Command::new(std::env::current_exe().unwrap())
        .args(["a_grader_killed_before_its_deadline_takes_the_students_loop_with_it", "--exact"])
        .env("NN_GRADER_ORPHAN_TEST", "1")
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    // Wait for the forked student process (a child of the test binary's test thread process).
    let started = Instant::now();
    let students = loop {
        let found: Vec<u32> =
            children_of(grader.id()).into_iter().flat_map(|c| [vec![c], children_of(c)].concat()).collect();
        if !found.is_empty() || started.elapsed() > Duration::from_secs(30) {
            break found;
        }
        std::thread::sleep(Duration::from_millis(50));
    };
    assert!(!students.is_empty(), "the grader never forked a student process");
    grader.kill().unwrap();
    grader.wait().unwrap();
    let killed = Instant::now();
    while students.iter().any(|&p| alive(p)) && killed.elapsed() < Duration::from_secs(5) {
        std::thread::sleep(Duration::from_millis(20));
    }
    let left: Vec<u32> = students.into_iter().filter(|&p| alive(p)).collect();
    for &p in &left {
        // SAFETY: kill(2) takes no pointers; p is a student process this test started.
        unsafe { libc::kill(p as i32, libc::SIGKILL) };
    }
    assert!(left.is_empty(), "student processes {left:?} kept running after their grader was killed");
}

// ---------------------------------------------------------------------------
// Issue 24: the student's training (`train_with`) never hangs the notebook, and never says
// Ok when it did not train.

/// 60 examples of 4 features, 2 classes.
fn train_data() -> nn_core::Dataset {
    let x = Array2::from_shape_fn((60, 4), |(i, j)| {
        ((i * 5 + j * 3) % 7) as f64 / 7.0 + if j == 0 { (i % 2) as f64 } else { 0.0 }
    });
    let y: Array1<usize> = (0..60).map(|i| 1 + i % 2).collect();
    nn_core::Dataset::new(x, y, 2).unwrap()
}

const TRAIN_CHILD_ENV: &str = "NN_GRADER_TRAIN_CHILD";

/// The library's own cost (`nn_cost_function_deep`) with the exercise's signature.
fn library_as_two_thetas(t1: &Array2<f64>, t2: &Array2<f64>, x: &Array2<f64>, y: &Array1<usize>, l: f64) -> CostValue {
    let net = nn_core::Network::new(vec![t1.clone(), t2.clone()])?;
    let (j, mut grads) = nn_core::nn_cost_function_deep(&net, x, y, l)?;
    let theta2_grad = grads.pop().expect("two gradients");
    Ok((j, grads.pop().expect("two gradients"), theta2_grad))
}

/// Right for four calls in a process, then never returns.
fn hangs_at_call_5(t1: &Array2<f64>, t2: &Array2<f64>, x: &Array2<f64>, y: &Array1<usize>, l: f64) -> CostValue {
    static CALLS: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
    if CALLS.fetch_add(1, std::sync::atomic::Ordering::SeqCst) >= 4 {
        loop {
            std::hint::spin_loop();
        }
    }
    nn_cost_function(t1, t2, x, y, l)
}

/// The cases of `train_with_in_a_child_survives_everything`, run in a fresh test process
/// with `MATMUL_NUM_THREADS=1` (so that no pool thread exists that a forked child lacks).
#[test]
fn train_with_child_entry() {
    if std::env::var(TRAIN_CHILD_ENV).is_err() {
        return;
    }
    assert!(nn_grader::isolate::products_fork_safe(), "MATMUL_NUM_THREADS=1: a child can multiply");
    let data = train_data();
    let limits = nn_grader::Limits { time: Duration::from_secs(1), memory: 1 << 30 };
    let train = |f: &nn_grader::TwoLayerCost<'_>, limits: &nn_grader::Limits| {
        nn_grader::train_with_limits(f, &data, 3, 1.0, 10, 1, limits)
    };
    let looping = |_: &Array2<f64>, _: &Array2<f64>, _: &Array2<f64>, _: &Array1<usize>, _: f64| -> CostValue {
        loop {
            std::hint::spin_loop();
        }
    };
    let huge = |_: &Array2<f64>, _: &Array2<f64>, _: &Array2<f64>, _: &Array1<usize>, _: f64| -> CostValue {
        let v = std::hint::black_box(vec![0u8; std::hint::black_box(8 << 40)]); // 8 TiB
        Ok((v[12345] as f64, Array2::zeros((1, 1)), Array2::zeros((1, 1))))
    };
    let recursing = |_: &Array2<f64>, _: &Array2<f64>, _: &Array2<f64>, _: &Array1<usize>, _: f64| -> CostValue {
        let n = endless(0);
        Err(nn_core::NnError::InvalidArgument { name: "n", reason: n.to_string() })
    };
    let exiting = |_: &Array2<f64>, _: &Array2<f64>, _: &Array2<f64>, _: &Array1<usize>, _: f64| -> CostValue {
        std::process::exit(3)
    };
    let cases: [(&str, &nn_grader::TwoLayerCost<'_>, &str); 4] = [
        ("loop", &looping, "training stopped: timed out after 1 s in nn_cost_function (training 4-3-2 with fmincg"),
        ("8 TiB", &huge, "training stopped: ran out of memory"),
        ("recursion", &recursing, "training stopped: stack overflow (endless recursion?)"),
        ("exit", &exiting, "training stopped: the process exited: status 3"),
    ];
    for (what, f, reason) in cases {
        let start = Instant::now();
        let (result, stderr) = with_stderr_captured(|| train(f, &limits));
        let e = result.expect_err(what);
        assert!(e.starts_with(reason), "{what}: {e}");
        assert!(start.elapsed() < Duration::from_secs(10), "{what}: {:?}", start.elapsed());
        assert_eq!(stderr, "", "{what}");
    }
    // The reference solution trains in the child as in the library's own training; the
    // library's own cost, as two Thetas, gives the library's network bit for bit.
    let (net, history) = train(&nn_cost_function, &nn_grader::TRAIN_LIMITS).unwrap();
    let config = nn_core::TrainConfig::new(&[4, 3, 2]).lambda(1.0).iterations(10).seed(1);
    let own = nn_core::train(&config.engine(nn_core::Engine::Lecture), &data).unwrap();
    assert_eq!(history.iterations(), own.history.iterations());
    for (a, b) in history.costs.iter().zip(&own.history.costs) {
        assert!((a - b).abs() < 1e-9, "{a} vs {b}");
    }
    assert!((&net.unroll() - &own.network.unroll()).iter().all(|d| d.abs() < 1e-6));
    let (net, history) = train(&library_as_two_thetas, &nn_grader::TRAIN_LIMITS).unwrap();
    assert_eq!((net, history.costs, history.evaluations), (own.network, own.history.costs, own.history.evaluations));
    // The time allowed follows the work: a function that never returns is stopped after
    // seconds (5 s + 4 ms per example for the first call), not after the 5 minutes of
    // TRAIN_LIMITS; one that hangs in a later call, after 5 s + 4 x (first call) per call.
    for (what, f, seconds, words) in [
        ("first call", &looping as &nn_grader::TwoLayerCost<'_>, 6, "in its first call (on 60 examples)"),
        ("fifth call", &hangs_at_call_5, 6, "a later call took far longer"),
    ] {
        let start = Instant::now();
        let (result, stderr) = with_stderr_captured(|| train(f, &nn_grader::TRAIN_LIMITS));
        let e = result.expect_err(what);
        assert!(
            e.starts_with(&format!(
                "training stopped: timed out after {seconds} s in nn_cost_function (training 4-3-2"
            )) && e.contains(words)
                && e.contains("fewer iterations")
                && e.contains("vectorized"),
            "{what}: {e}"
        );
        assert!(start.elapsed() < Duration::from_secs(seconds + 4), "{what}: {:?}", start.elapsed());
        assert_eq!(stderr, "", "{what}");
    }
    println!("TRAIN-CHILD-OK");
}

/// Runs the test `entry` alone in a fresh test process with `switch` set (the entry runs
/// only then) and `MATMUL_NUM_THREADS=threads`; it must pass and print `ok_mark`.
fn run_entry(entry: &str, switch: &str, threads: &str, ok_mark: &str) {
    let out = std::process::Command::new(std::env::current_exe().unwrap())
        .args([entry, "--exact", "--nocapture", "--test-threads=1", "-q"])
        .env(switch, "1")
        .env("MATMUL_NUM_THREADS", threads)
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success() && stdout.contains(ok_mark), "{stdout}\n{}", String::from_utf8_lossy(&out.stderr));
}

#[test]
fn train_with_in_a_child_survives_everything() {
    run_entry("train_with_child_entry", TRAIN_CHILD_ENV, "1", "TRAIN-CHILD-OK");
}

const TRAIN_IN_PROCESS_ENV: &str = "NN_GRADER_TRAIN_IN_PROCESS";

/// The in-process way, in a fresh test process whose matrix products have started a pool of
/// two threads (a kernel without `MATMUL_NUM_THREADS=1`): the same network, and the time
/// allowed checked between iterations.
#[test]
fn train_with_in_process_entry() {
    if std::env::var(TRAIN_IN_PROCESS_ENV).is_err() {
        return;
    }
    let a = Array2::<f64>::from_shape_fn((256, 256), |(i, j)| (i + j) as f64);
    assert!(a.dot(&a)[[0, 0]] > 0.0);
    assert!(!nn_grader::isolate::products_fork_safe(), "a pool of 2 threads: no child");
    let data = train_data();
    let (net, history) = nn_grader::train_with(&library_as_two_thetas, &data, 3, 1.0, 10, 1).unwrap();
    let config = nn_core::TrainConfig::new(&[4, 3, 2]).lambda(1.0).iterations(10).seed(1);
    let own = nn_core::train(&config.engine(nn_core::Engine::Lecture), &data).unwrap();
    assert_eq!((net, history.costs), (own.network, own.history.costs));
    let slow = |t1: &Array2<f64>, t2: &Array2<f64>, x: &Array2<f64>, y: &Array1<usize>, l: f64| -> CostValue {
        std::thread::sleep(Duration::from_millis(300));
        nn_cost_function(t1, t2, x, y, l)
    };
    let limits = nn_grader::Limits { time: Duration::from_secs(1), memory: 1 << 30 };
    let e = nn_grader::train_with_limits(&slow, &data, 3, 1.0, 50, 1, &limits).unwrap_err();
    assert!(
        e.starts_with("training stopped: the time allowed, 1 s, ran out after") && e.contains("fewer iterations"),
        "{e}"
    );
    println!("TRAIN-IN-PROCESS-OK");
}

#[test]
fn train_with_in_process_trains_the_same_network() {
    run_entry("train_with_in_process_entry", TRAIN_IN_PROCESS_ENV, "2", "TRAIN-IN-PROCESS-OK");
}

#[test]
fn train_with_stops_at_its_time_budget_and_a_stub_is_not_a_success() {
    let data = train_data();
    // Slow but finite: stopped at the budget in a child (killed) or in-process (between
    // evaluations), whichever this process can do.
    let slow = |t1: &Array2<f64>, t2: &Array2<f64>, x: &Array2<f64>, y: &Array1<usize>, l: f64| -> CostValue {
        std::thread::sleep(Duration::from_millis(300));
        nn_cost_function(t1, t2, x, y, l)
    };
    let limits = nn_grader::Limits { time: Duration::from_secs(1), memory: 1 << 30 };
    let way = if nn_grader::isolate::products_fork_safe() { "in a child" } else { "in-process" };
    println!("hostile: train_with ran {way} in this test process");
    let start = Instant::now();
    let (result, stderr) = with_stderr_captured(|| nn_grader::train_with_limits(&slow, &data, 3, 1.0, 50, 1, &limits));
    let e = result.unwrap_err();
    assert!(
        e.starts_with("training stopped: timed out after 1 s in nn_cost_function")
            || e.starts_with("training stopped: the time allowed, 1 s, ran out after"),
        "{e}"
    );
    assert!(e.contains("fewer iterations"), "{e}");
    assert!(start.elapsed() < Duration::from_secs(5), "{:?}", start.elapsed());
    assert_eq!(stderr, "");
    // J = 0 and zero gradients: before, Ok with final cost 0.
    let stub = |t1: &Array2<f64>, t2: &Array2<f64>, _: &Array2<f64>, _: &Array1<usize>, _: f64| -> CostValue {
        Ok((0.0, Array2::zeros(t1.dim()), Array2::zeros(t2.dim())))
    };
    let e = nn_grader::train_with(&stub, &data, 3, 1.0, 50, 0).unwrap_err();
    assert!(e.contains("training did not train") && e.contains("gradient at the starting weights is all zeros"), "{e}");
    // An unsigned integer below 0 is named as such (before: "a usize", for a u8 too).
    let e = nn_grader::attempt(|| std::hint::black_box(0u8) - 1).unwrap_err();
    assert!(e.contains("an unsigned integer") && !e.contains("a usize"), "{e}");
}
