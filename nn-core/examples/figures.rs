//! Every picture of `nn_core::viz`, from realistic inputs, written to a folder.
//!
//! ```text
//! cargo run --release -p nn-core --example figures -- OUT_DIR
//! ```
//!
//! Uses the bundled digits (data/digits.mat, held-out data/digits-test.mat) when
//! present, else synthetic strokes. Trains quick networks (30 fmincg iterations)
//! for the lambda pictures. Prints each file written with its size.

use std::path::{Path, PathBuf};

use ndarray::{Array1, Array2};
use nn_core::prelude::*;
use nn_core::viz::{Figure, Measure};

fn save(dir: &Path, name: &str, fig: &Figure) {
    let png = dir.join(format!("{name}.png"));
    fig.save_png(&png).expect("write the PNG");
    print!("{} ({}x{}, {:.1} KB)", png.display(), fig.width(), fig.height(), fig.png_bytes().len() as f64 / 1024.0);
    if fig.svg().is_some() {
        let svg = dir.join(format!("{name}.svg"));
        fig.save_svg(&svg).expect("write the SVG");
        print!("  + {}", svg.display());
    }
    println!();
}

/// 20x20 strokes for when the bundled digits are missing: label k draws k bars.
fn synthetic(m: usize, seed: usize) -> Dataset {
    let mut x = Array2::zeros((m, 400));
    let mut y = Array1::zeros(m);
    for i in 0..m {
        let label = 1 + (i + seed) % 10;
        y[i] = label;
        for b in 0..label {
            let row = 1 + b * 2;
            for col in 3..17 {
                x[[i, col * 20 + row]] = 1.0 - 0.05 * ((i * 7 + col) % 5) as f64;
            }
        }
    }
    Dataset::new(x, y, 10).expect("synthetic data is valid")
}

fn main() {
    let dir = PathBuf::from(std::env::args().nth(1).unwrap_or_else(|| "figures".into()));
    std::fs::create_dir_all(&dir).expect("create the output folder");
    let (data, held_out) = match (bundled::digits(), bundled::digits_test()) {
        (Ok(d), Ok(t)) => (d, t),
        (d, _) => {
            if let Err(e) = d {
                eprintln!("bundled digits unavailable ({e}); using synthetic strokes");
            }
            (synthetic(1000, 0), synthetic(500, 3))
        }
    };

    // 1. Digit grids: the course's 100, one, and all 5000.
    save(&dir, "01-digit-grid", &viz::digit_grid(data.x(), None, 0).unwrap());
    save(&dir, "01b-digit-grid-1", &viz::digit_grid(data.x(), Some(1), 0).unwrap());
    save(&dir, "01c-digit-grid-25", &viz::digit_grid(data.x(), Some(25), 1).unwrap());
    save(&dir, "01d-display-data-all", &viz::display_data(data.x()).unwrap());

    // Training runs: one study gives the cost curves, the panel and the validation curves.
    let lambdas = [0.0, 0.03, 0.3, 1.0, 3.0, 10.0, 30.0];
    let study =
        compare_lambdas(&TrainConfig::new(&[400, 25, 10]).iterations(30), &data, &held_out, &lambdas).expect("train");
    let one = &study.results[3].trained;

    // 2. Hidden units: 400-25-10, and a deeper 400-36-20-15-10.
    save(&dir, "02-hidden-units", &viz::hidden_units(&one.network).unwrap());
    let deep = train(&TrainConfig::new(&[400, 36, 20, 15, 10]).iterations(30).lambda(1.0), &data).unwrap();
    save(&dir, "02b-hidden-units-deep", &viz::hidden_units(&deep.network).unwrap());

    // 3. Cost curves.
    save(&dir, "03-cost-curves", &viz::cost_curves(&study).unwrap());
    save(&dir, "03b-cost-curve-single", &viz::cost_curves(&[("400-36-20-15-10", &deep.history)]).unwrap());

    // 4. Lambda panel; 5. validation curves (accuracy and cost).
    save(&dir, "04-lambda-panel", &viz::lambda_panel(&study).unwrap());
    save(&dir, "05-validation-accuracy", &viz::validation_curve(&study, Measure::Accuracy).unwrap());
    save(&dir, "05b-validation-cost", &viz::validation_curve(&study, Measure::Cost).unwrap());

    // 6. Predictions on the held-out digits.
    let pred = one.network.predict(held_out.x()).unwrap();
    save(&dir, "06-predictions", &viz::predictions(held_out.x(), &pred, held_out.y(), None, 0).unwrap());
    save(&dir, "06b-misclassified", &viz::misclassified(held_out.x(), &pred, held_out.y(), None, 0).unwrap());
    save(&dir, "06c-predictions-100", &viz::predictions(held_out.x(), &pred, held_out.y(), Some(100), 0).unwrap());
    save(
        &dir,
        "06d-misclassified-none",
        &viz::misclassified(held_out.x(), held_out.y(), held_out.y(), None, 0).unwrap(),
    );

    // 7. Confusion matrix.
    save(&dir, "07-confusion-matrix", &viz::confusion_matrix(&pred, held_out.y()).unwrap());

    // 8. Gradient checks: correct, a Theta2 block gone wrong, a deep network.
    save(
        &dir,
        "08-gradient-check",
        &viz::gradient_check(&check_nn_gradients(&nn_cost_function, 3.0).unwrap()).unwrap(),
    );
    let broken = |t1: &Array2<f64>, t2: &Array2<f64>, x: &Array2<f64>, y: &Array1<usize>, lambda: f64| {
        let (j, g1, g2) = nn_cost_function(t1, t2, x, y, lambda)?;
        Ok((j, g1, g2 * 1.1))
    };
    save(&dir, "08b-gradient-check-wrong", &viz::gradient_check(&check_nn_gradients(&broken, 0.0).unwrap()).unwrap());
    let deep_check = check_gradients(&nn_cost_function_deep, &[4, 5, 4, 3, 3], 1.0).unwrap();
    save(&dir, "08c-gradient-check-deep", &viz::gradient_check(&deep_check).unwrap());
}
