//! `isolate::run` from several threads at once, with threads being started and panics
//! being caught in the test process meanwhile: every child comes back with its answer
//! (a fork while another thread holds a lock must not leave the child waiting for it).

#![cfg(all(target_os = "linux", not(nn_grader_in_process)))]

use std::time::Duration;

use nn_grader::isolate::{catch, run, Limits};
use nn_grader::Failure;

#[test]
fn concurrent_runs_all_come_back() {
    let limits = Limits { time: Duration::from_secs(5), memory: 1 << 30 };
    let workers: Vec<_> = (0..4u64)
        .map(|t| {
            std::thread::spawn(move || {
                let mut wrong = Vec::new();
                for i in 0..150u64 {
                    let value = run(&limits, || i * t);
                    if value != Ok(i * t) {
                        wrong.push(format!("thread {t}, run {i}: {value:?}"));
                    }
                    let panicked = run(&limits, || -> u64 { panic!("run {i}") });
                    if panicked != Err(Failure::Panicked(format!("run {i}"))) {
                        wrong.push(format!("thread {t}, panicking run {i}: {panicked:?}"));
                    }
                    // Meanwhile in this process: a caught panic, a thread started and ended.
                    assert_eq!(catch(|| -> u8 { panic!("here") }), Err("here".to_string()));
                    if i % 10 == 0 {
                        std::thread::spawn(|| std::thread::sleep(Duration::from_millis(1))).join().unwrap();
                    }
                }
                wrong
            })
        })
        .collect();
    let wrong: Vec<String> = workers.into_iter().flat_map(|w| w.join().unwrap()).collect();
    assert!(wrong.is_empty(), "{wrong:#?}");
}
