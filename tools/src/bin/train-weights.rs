//! Trains the kit's pretrained weights, `data/weights.mat`, with nn-core.
//!
//! ```text
//! cargo run --release -p nn-tools --bin train-weights
//! ```
//! Defaults (the committed file): 400-25-10, lambda = 1, 400 fmincg
//! iterations, initial weights uniform in [-0.12, 0.12] from seed 0, trained on
//! `data/digits.mat`; held-out accuracy measured on `data/digits-test.mat`.
//! Options: `--lambda L`, `--iterations N`, `--seed S`, `--out FILE`
//! (default `data/weights.mat`), `--min-accuracy A` (default 0.97: refuses to
//! write weights that score less on the training digits).

use std::path::PathBuf;
use std::process::ExitCode;

use nn_core::bundled::{self, Source};
use nn_core::train::{train, TrainConfig};
use nn_core::{nn_cost_function_deep, Dataset};

use nn_tools::Error;

const USAGE: &str = "usage: train-weights [--lambda L] [--iterations N] [--seed S] [--out FILE] [--min-accuracy A]";

fn run() -> Result<(), Error> {
    let (mut lambda, mut iterations, mut seed) = (1.0f64, 400usize, 0u64);
    let mut out = Source::Bundled.weights_file();
    let mut min_accuracy = 0.97;
    let mut it = std::env::args().skip(1);
    while let Some(a) = it.next() {
        let mut value = |flag: &str| it.next().ok_or_else(|| format!("{flag} needs a value; {USAGE}"));
        match a.as_str() {
            "--lambda" => lambda = value("--lambda")?.parse()?,
            "--iterations" => iterations = value("--iterations")?.parse()?,
            "--seed" => seed = value("--seed")?.parse()?,
            "--out" => out = PathBuf::from(value("--out")?),
            "--min-accuracy" => min_accuracy = value("--min-accuracy")?.parse()?,
            "-h" | "--help" => {
                println!("{USAGE}");
                return Ok(());
            }
            other => return Err(format!("unknown argument {other:?}; {USAGE}").into()),
        }
    }
    // Always the bundled digits, even if a teacher put the course's files in data/.
    let train_set = Dataset::load(Source::Bundled.digits_file())?;
    let test_set = Dataset::load(bundled::digits_test_path())?;
    let config =
        TrainConfig::new(&[400, 25, 10]).lambda(lambda).iterations(iterations).seed(seed).on_iteration(|i, cost| {
            if i == 1 || i % 50 == 0 {
                println!("  iteration {i:4} | cost {cost:.6}");
            }
        });
    println!(
        "training 400-25-10 on {}: lambda {lambda}, {iterations} fmincg iterations, seed {seed}",
        Source::Bundled.digits_file().display()
    );
    let trained = train(&config, &train_set)?;
    let h = &trained.history;
    let net = &trained.network;
    let train_acc = net.accuracy(&train_set)?;
    let test_acc = net.accuracy(&test_set)?;
    println!("iterations: {} ({} cost evaluations, {:.2} s)", h.iterations(), h.evaluations, h.elapsed.as_secs_f64());
    println!("final_cost: {:.6}", h.final_cost());
    println!("training_accuracy: {:.2}%", 100.0 * train_acc);
    println!("held_out_accuracy: {:.2}%", 100.0 * test_acc);
    for l in [0.0, 1.0, 3.0] {
        println!("J(lambda={l}) on digits.mat: {:.6}", nn_cost_function_deep(net, train_set.x(), train_set.y(), l)?.0);
    }
    if train_acc < min_accuracy {
        return Err(format!(
            "training accuracy {:.2}% is below {:.2}%; not writing {}",
            100.0 * train_acc,
            100.0 * min_accuracy,
            out.display()
        )
        .into());
    }
    net.save(&out)?;
    println!("wrote: {}", out.display());
    Ok(())
}

fn main() -> ExitCode {
    nn_tools::exit_code("train-weights", run())
}
