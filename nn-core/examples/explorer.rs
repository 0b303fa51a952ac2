//! Writes an explorer (a slider over pre-rendered frames) as an HTML page, and what a
//! notebook would receive from it.
//!
//! ```text
//! cargo run --release -p nn-core --example explorer -- OUT.html [--training] [--quick] [--frames N] [--gif OUT.gif]
//! ```
//!
//! - default: `viz::lambda_explorer` of a study of lambda 0, 0.1, 1, 3, 10, 30 (50 fmincg
//!   iterations on the bundled digits, scored on the held-out digits);
//! - `--training`: `viz::training_explorer`, lambda = 1, 50 iterations, 11 frames (or `--frames N`);
//! - `--quick`: 500 digits and 10 iterations (seconds, for the browser test);
//! - `--gif OUT.gif`: with `--training`, also the same run as `viz::training_animation`.
//!
//! Beside OUT.html it writes OUT.evcxr.txt: exactly what evcxr would read from the
//! kernel's standard output for this value (a `text/html` block and an `image/png`
//! block), and OUT.png, the PNG fallback. Prints the sizes.

use std::path::PathBuf;

use nn_core::prelude::*;

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    // The first argument that is neither an option nor an option's value.
    let takes_value = |i: usize| i > 0 && matches!(args[i - 1].as_str(), "--frames" | "--gif");
    let Some(out) =
        args.iter().enumerate().find(|(i, a)| !a.starts_with("--") && !takes_value(*i)).map(|(_, a)| PathBuf::from(a))
    else {
        eprintln!("usage: explorer OUT.html [--training] [--quick] [--frames N] [--gif OUT.gif]");
        std::process::exit(2);
    };
    let training = args.iter().any(|a| a == "--training");
    let quick = args.iter().any(|a| a == "--quick");
    let frames: usize = args
        .iter()
        .position(|a| a == "--frames")
        .and_then(|i| args.get(i + 1))
        .map(|v| v.parse().expect("--frames takes a number"))
        .unwrap_or(11);
    let gif = args.iter().position(|a| a == "--gif").and_then(|i| args.get(i + 1)).map(PathBuf::from);
    let run = || -> nn_core::Result<viz::Explorer> {
        let (mut data, mut held_out) = (bundled::digits()?, bundled::digits_test()?);
        let iterations = if quick { 10 } else { 50 };
        if quick {
            // Every 10th digit: 500 of each set, all ten digits.
            let rows: Vec<usize> = (0..data.len()).step_by(10).collect();
            data = data.select(&rows)?;
            let rows: Vec<usize> = (0..held_out.len()).step_by(10).collect();
            held_out = held_out.select(&rows)?;
        }
        let config = TrainConfig::default().iterations(iterations);
        if training {
            let run = train(&config.clone().snapshots(frames.min(iterations + 1)), &data)?;
            if let Some(path) = &gif {
                let animation = viz::training_animation(&run, Some(&data))?;
                animation.save_gif(path)?;
                println!("{}: {animation:?}", path.display());
            }
            viz::training_explorer(&run, Some(&data))
        } else {
            let study = compare_lambdas(&config, &data, &held_out, &[0.0, 0.1, 1.0, 3.0, 10.0, 30.0])?;
            print!("{study}");
            viz::lambda_explorer(&study)
        }
    };
    let explorer = match run() {
        Ok(e) => e,
        Err(e) => {
            eprintln!("explorer: {e}");
            std::process::exit(1);
        }
    };
    explorer.save_html(&out).unwrap_or_else(|e| panic!("{e}"));
    let evcxr = out.with_extension("evcxr.txt");
    nn_core::io::write_atomic(&evcxr, explorer.evcxr_content().as_bytes()).unwrap_or_else(|e| panic!("{e}"));
    let png = out.with_extension("png");
    explorer.fallback().save_png(&png).unwrap_or_else(|e| panic!("{e}"));
    println!(
        "{}: {} frames, HTML {:.1} KB; {}: {:.1} KB (what a notebook stores); {}: {}x{} px, {:.1} KB",
        out.display(),
        explorer.frame_count(),
        explorer.html().len() as f64 / 1024.0,
        evcxr.display(),
        explorer.evcxr_content().len() as f64 / 1024.0,
        png.display(),
        explorer.fallback().width(),
        explorer.fallback().height(),
        explorer.fallback().png_bytes().len() as f64 / 1024.0
    );
}
