//! What `MATMUL_NUM_THREADS=1` (the kit's kernel sets it, so that `train_with` can always
//! run a student's training in a child process) costs the lecture's code and the exercise,
//! against ndarray's default pool (one thread per physical core), in the same run: each
//! setting in fresh processes, alternating, `--rounds` times; medians and their ratio.
//!
//! `cargo run --release -p nn-grader --example matmul_threads -- [--rounds 3]`

// The exercise's reference solutions are included whole; only nn_cost_function is used.
#![allow(dead_code)]

use std::process::Command;
use std::time::Instant;

use nn_core::train::train;
use nn_core::{bundled, nn_cost_function_deep, Engine, TrainConfig};
use nn_grader::prelude::*;

include!("../../tests/notebooks/solutions/ex4.rs");

/// What one child measures, in this order.
const MEASURES: [&str; 5] = [
    "lecture cost, one evaluation (nn_cost_function_deep, 5000 digits) [ms]",
    "lecture-engine training, 50 iterations (notebook 03) [s]",
    "exercise: the reference nn_cost_function, one evaluation [ms]",
    "exercise: train_with(reference, 25 hidden, 50 iterations) [s]",
    "exercise: train_with ran in a child process (1 yes, 0 no)",
];

fn median(v: &mut [f64]) -> f64 {
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

fn child() {
    let data = bundled::digits().expect("the bundled digits");
    let net = bundled::weights().expect("the bundled weights");
    let time = |f: &mut dyn FnMut()| {
        let mut v: Vec<f64> = (0..5)
            .map(|_| {
                let t = Instant::now();
                f();
                t.elapsed().as_secs_f64() * 1e3
            })
            .collect();
        median(&mut v)
    };
    let lecture_eval = time(&mut || {
        nn_cost_function_deep(&net, data.x(), data.y(), 1.0).expect("cost");
    });
    let t = Instant::now();
    train(&TrainConfig::default().engine(Engine::Lecture), &data).expect("training");
    let lecture_train = t.elapsed().as_secs_f64();
    let exercise_eval = time(&mut || {
        nn_cost_function(net.theta1(), net.theta2(), data.x(), data.y(), 1.0).expect("cost");
    });
    let in_child = nn_grader::isolate::products_fork_safe();
    let t = Instant::now();
    nn_grader::train_with(&nn_cost_function, &data, 25, 1.0, 50, 0).expect("train_with");
    let exercise_train = t.elapsed().as_secs_f64();
    let values = [lecture_eval, lecture_train, exercise_eval, exercise_train, if in_child { 1.0 } else { 0.0 }];
    println!("{}", values.map(|v| v.to_string()).join(" "));
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    if args.iter().any(|a| a == "--child") {
        return child();
    }
    let rounds: usize = args
        .iter()
        .position(|a| a == "--rounds")
        .and_then(|i| args.get(i + 1))
        .map_or(3, |v| v.parse().expect("--rounds takes a number"));
    let cpu = std::fs::read_to_string("/proc/cpuinfo")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("model name"))
                .map(|l| l.split(':').nth(1).unwrap_or("").trim().to_string())
        })
        .unwrap_or_else(|| std::env::consts::ARCH.into());
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    let load = || {
        std::fs::read_to_string("/proc/loadavg")
            .unwrap_or_default()
            .split_whitespace()
            .take(3)
            .collect::<Vec<_>>()
            .join(" ")
    };
    println!("cpu: {cpu} ({cores} cores); load average before: {}", load());
    let settings = [("MATMUL_NUM_THREADS=1", Some("1")), ("default pool", None)];
    let mut results: Vec<Vec<Vec<f64>>> = vec![vec![Vec::new(); MEASURES.len()]; settings.len()];
    for round in 0..rounds {
        for (s, (name, value)) in settings.iter().enumerate() {
            let mut cmd = Command::new(&args[0]);
            cmd.arg("--child");
            match value {
                Some(v) => cmd.env("MATMUL_NUM_THREADS", v),
                None => cmd.env_remove("MATMUL_NUM_THREADS"),
            };
            let out = cmd.output().expect("a child");
            let text = String::from_utf8_lossy(&out.stdout);
            assert!(out.status.success(), "{name}: {text}{}", String::from_utf8_lossy(&out.stderr));
            let values: Vec<f64> = text.trim().split(' ').map(|v| v.parse().expect("a number")).collect();
            println!("round {} {name}: {values:?}", round + 1);
            for (k, v) in values.into_iter().enumerate() {
                results[s][k].push(v);
            }
        }
    }
    println!("load average after: {}", load());
    println!("median of {rounds} | {} | {} | ratio", settings[0].0, settings[1].0);
    for (k, what) in MEASURES.iter().enumerate() {
        let a = median(&mut results[0][k].clone());
        let b = median(&mut results[1][k].clone());
        println!("{what} | {a:.3} | {b:.3} | {:.2}", a / b);
    }
}
