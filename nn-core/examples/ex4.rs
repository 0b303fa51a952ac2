//! The whole exercise in a terminal, like the course's `ex4.m` without pauses.
//!
//! ```text
//! cargo run --release -p nn-core --example ex4 -- [--data FILE] [--weights FILE] [--out DIR]
//! ```
//!
//! Each result is printed on its own line as `name: value`, next to the
//! course's expected value where there is one. Defaults are the files in
//! `data/` (the course's `ex4data1.mat` / `ex4weights.mat` if a teacher put
//! them there, else the bundled rebuild). With `--out DIR` the digit grid, the
//! hidden units after training and the cost curve are written there.

use std::path::PathBuf;
use std::process::ExitCode;

use nn_core::bundled::{self, Expected};
use nn_core::prelude::*;
use nn_core::Result;

struct Args {
    data: PathBuf,
    weights: PathBuf,
    out: Option<PathBuf>,
    expected: Option<Expected>,
}

const USAGE: &str = "usage: ex4 [--data FILE] [--weights FILE] [--out DIR]";

fn parse_args() -> std::result::Result<Args, String> {
    let (mut data, mut weights, mut out) = (None, None, None);
    let mut it = std::env::args().skip(1);
    while let Some(flag) = it.next() {
        let mut value = |name: &str| it.next().map(PathBuf::from).ok_or(format!("{name} needs a value\n{USAGE}"));
        match flag.as_str() {
            "--data" => data = Some(value("--data")?),
            "--weights" => weights = Some(value("--weights")?),
            "--out" => out = Some(value("--out")?),
            "-h" | "--help" => return Err(USAGE.to_string()),
            other => return Err(format!("unknown argument `{other}`\n{USAGE}")),
        }
    }
    let data = data.unwrap_or_else(bundled::digits_path);
    let weights = weights.unwrap_or_else(bundled::weights_path);
    let expected = bundled::expected_for_files(&data, &weights);
    Ok(Args { data, weights, out, expected })
}

fn expected_text(value: Option<f64>, digits: usize) -> String {
    match value {
        Some(v) if v.is_finite() => format!("   (expected {v:.digits$})"),
        _ => String::new(),
    }
}

fn run(args: Args) -> Result<()> {
    // Part 1: loading and visualizing the data.
    let data = Dataset::load(&args.data)?;
    println!("data: {} ({} examples x {} pixels)", args.data.display(), data.len(), data.num_features());
    if let Some(dir) = &args.out {
        std::fs::create_dir_all(dir).map_err(|source| NnError::Io { path: dir.clone(), action: "create", source })?;
        let path = dir.join("digits.png");
        nn_core::viz::digit_grid(data.x(), Some(100), 0)?.save_png(&path)?;
        println!("picture_digits: {}", path.display());
    }

    // Parts 2-4: the pretrained parameters, feedforward cost, regularized cost.
    let net = Network::load(&args.weights)?;
    let (theta1, theta2) = (net.theta1(), net.theta2());
    println!("weights: {} (layer sizes {:?})", args.weights.display(), net.layer_sizes());
    let exp = args.expected;
    for lambda in [0.0, 1.0] {
        let (j, _, _) = nn_cost_function(theta1, theta2, data.x(), data.y(), lambda)?;
        let name = if lambda == 0.0 { "feedforward_cost_lambda_0" } else { "regularized_cost_lambda_1" };
        println!("{name}: {j:.6}{}", expected_text(exp.and_then(|e| e.cost(lambda)), 6));
    }

    // Part 5: sigmoid gradient.
    let g = sigmoid_gradient(&array![-1.0, -0.5, 0.0, 0.5, 1.0]);
    let fmt = |v: &[f64]| v.iter().map(|x| format!("{x:.6}")).collect::<Vec<_>>().join(" ");
    println!(
        "sigmoid_gradient: [{}]   (expected [0.196612 0.235004 0.250000 0.235004 0.196612])",
        fmt(g.as_slice().unwrap_or(&[]))
    );

    // Parts 7-9: gradient checking without and with regularization, debug cost.
    for lambda in [0.0, 3.0] {
        let report = check_nn_gradients(&nn_cost_function, lambda)?;
        println!(
            "gradient_check_lambda_{lambda}: relative difference {:.3e}   (expected < 1e-9)",
            report.relative_difference
        );
    }
    let (j3, _, _) = nn_cost_function(theta1, theta2, data.x(), data.y(), 3.0)?;
    println!("debug_cost_lambda_3: {j3:.6}{}", expected_text(exp.and_then(|e| e.cost(3.0)), 6));

    // Part 10: training, 50 fmincg iterations with lambda = 1.
    let config = TrainConfig::new(&[data.num_features(), 25, data.num_labels()]).on_iteration(|i, cost| {
        if i % 10 == 0 {
            println!("iteration {i:4} | cost {cost:.6}");
        }
    });
    let trained = train(&config, &data)?;
    println!(
        "training: {} fmincg iterations, lambda {}, {} cost evaluations, {:.2} s",
        trained.history.iterations(),
        config.lambda,
        trained.history.evaluations,
        trained.history.elapsed.as_secs_f64()
    );
    if let Some(dir) = &args.out {
        let path = dir.join("hidden-units.png");
        nn_core::viz::hidden_units(&trained.network)?.save_png(&path)?;
        println!("picture_hidden_units: {}", path.display());
        let path = dir.join("cost-curve.png");
        nn_core::viz::cost_curves(&[("lambda = 1", &trained.history)])?.save_png(&path)?;
        println!("picture_cost_curve: {}", path.display());
    }

    // Part 11: prediction.
    let acc = trained.network.accuracy(&data)?;
    println!("training_accuracy: {:.2}%   (expected about 95.3% +- 1%)", 100.0 * acc);
    let pretrained_acc = net.accuracy(&data)?;
    println!(
        "pretrained_accuracy: {:.2}%{}",
        100.0 * pretrained_acc,
        exp.map(|e| e.accuracy)
            .filter(|a| a.is_finite())
            .map(|a| format!("   (expected {:.2}%)", 100.0 * a))
            .unwrap_or_default()
    );
    Ok(())
}

fn main() -> ExitCode {
    let args = match parse_args() {
        Ok(a) => a,
        Err(msg) => {
            eprintln!("{msg}");
            return ExitCode::from(2);
        }
    };
    match run(args) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::FAILURE
        }
    }
}
