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
use nn_core::train::{lambda_sweep, train, TrainConfig};
use nn_core::viz::{self, Figure, Measure, PanelEntry};
use nn_core::{bundled, gradcheck, mistakes, Dataset};

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
    save(&dir, "01-digit-grid", &viz::digit_grid(&data.x, None, 0).unwrap());
    save(&dir, "01b-digit-grid-1", &viz::digit_grid(&data.x, Some(1), 0).unwrap());
    save(&dir, "01c-digit-grid-25", &viz::digit_grid(&data.x, Some(25), 1).unwrap());
    save(&dir, "01d-display-data-all", &viz::display_data(&data.x).unwrap());

    // Training runs: one sweep gives the cost curves, the panel and the validation curve.
    let lambdas = [0.0, 0.03, 0.3, 1.0, 3.0, 10.0, 30.0];
    let config = TrainConfig::new(&[400, 25, 10]).iterations(30);
    let runs = lambda_sweep(&config, &data, &lambdas).expect("train");
    let train_acc: Vec<f64> = runs.iter().map(|t| t.accuracy(&data).unwrap()).collect();
    let held_acc: Vec<f64> = runs.iter().map(|t| t.accuracy(&held_out).unwrap()).collect();
    let one = &runs[3];

    // 2. Hidden units: 400-25-10, and a deeper 400-36-20-15-10.
    save(&dir, "02-hidden-units", &viz::hidden_units(&one.network).unwrap());
    let deep = train(&TrainConfig::new(&[400, 36, 20, 15, 10]).iterations(30).lambda(1.0), &data).unwrap();
    save(&dir, "02b-hidden-units-deep", &viz::hidden_units(&deep.network).unwrap());

    // 3. Cost curves.
    let labels: Vec<String> = lambdas.iter().map(|l| format!("λ = {l}")).collect();
    let curves: Vec<(&str, &nn_core::optim::History)> =
        [0, 3, 5, 6].iter().map(|&i| (labels[i].as_str(), &runs[i].history)).collect();
    save(&dir, "03-cost-curves", &viz::cost_curves(&curves).unwrap());
    save(&dir, "03b-cost-curve-single", &viz::cost_curve(&deep.history).unwrap());
    let long: Vec<_> = [0.0, 3.0]
        .iter()
        .map(|&l| train(&TrainConfig::new(&[400, 25, 10]).iterations(100).lambda(l), &data).unwrap())
        .collect();
    let long_curves: Vec<(String, &nn_core::optim::History)> =
        long.iter().map(|t| (format!("λ = {}, 100 iterations", t.config.lambda), &t.history)).collect();
    save(&dir, "03c-cost-curves-long", &viz::cost_curves(&long_curves).unwrap());

    // 4. Lambda panel.
    let panels: Vec<PanelEntry> =
        [0, 3, 5, 6].iter().map(|&i| PanelEntry::new(&runs[i], train_acc[i], Some(held_acc[i]))).collect();
    save(&dir, "04-lambda-panel", &viz::lambda_panel(&panels).unwrap());
    save(&dir, "04b-lambda-panel-1", &viz::lambda_panel(&panels[..1]).unwrap());
    let six: Vec<PanelEntry> = (1..7).map(|i| PanelEntry::new(&runs[i], train_acc[i], None)).collect();
    save(&dir, "04c-lambda-panel-6", &viz::lambda_panel(&six).unwrap());

    // The notebook's comparison (notebook 04): 8 lambdas, 100 iterations, the `_from` helpers.
    let notebook_lambdas = [0.0, 0.01, 0.1, 1.0, 3.0, 10.0, 30.0, 100.0];
    let results = nn_core::train::compare_lambdas(
        &TrainConfig::new(&[400, 25, 10]).iterations(100),
        &data,
        &held_out,
        &notebook_lambdas,
    )
    .expect("compare lambdas");
    save(&dir, "04d-lambda-panel-from", &viz::lambda_panel_from(&results).unwrap());
    save(&dir, "03d-cost-curves-from", &viz::cost_curves_from(&results).unwrap());
    save(&dir, "05c-validation-curve-from", &viz::validation_curve_from(&results).unwrap());

    // 5. Validation curves.
    save(
        &dir,
        "05-validation-accuracy",
        &viz::validation_curve(&lambdas, &train_acc, &held_acc, Measure::Accuracy).unwrap(),
    );
    let train_cost: Vec<f64> =
        runs.iter().map(|t| nn_core::nn_cost_function(&t.network, &data.x, &data.y, 0.0).unwrap().0).collect();
    let held_cost: Vec<f64> =
        runs.iter().map(|t| nn_core::nn_cost_function(&t.network, &held_out.x, &held_out.y, 0.0).unwrap().0).collect();
    save(
        &dir,
        "05b-validation-cost",
        &viz::validation_curve(&lambdas, &train_cost, &held_cost, Measure::Cost).unwrap(),
    );

    // 6. Predictions on the held-out digits.
    let pred = one.network.predict(&held_out.x).unwrap();
    save(&dir, "06-predictions", &viz::predictions(&held_out.x, &pred, &held_out.y, None, 0).unwrap());
    save(&dir, "06b-misclassified", &viz::misclassified(&held_out.x, &pred, &held_out.y, None, 0).unwrap());
    save(&dir, "06c-predictions-100", &viz::predictions(&held_out.x, &pred, &held_out.y, Some(100), 0).unwrap());
    save(&dir, "06d-misclassified-none", &viz::misclassified(&held_out.x, &held_out.y, &held_out.y, None, 0).unwrap());

    // 7. Confusion matrix.
    save(&dir, "07-confusion-matrix", &viz::confusion_matrix(&pred, &held_out.y).unwrap());

    // 8. Gradient checks: correct, and the sigmoid-sign mistake (Theta2's block wrong).
    save(&dir, "08-gradient-check", &viz::gradient_check(&nn_core::check_nn_gradients(3.0).unwrap()).unwrap());
    let wrong = gradcheck::check_gradients(&mistakes::sigmoid_sign, &[3, 5, 3], 0.0).unwrap();
    save(&dir, "08b-gradient-check-wrong", &viz::gradient_check(&wrong).unwrap());
    let deep_check = gradcheck::check_gradients(&nn_core::nn_cost_function, &[4, 5, 4, 3, 3], 1.0).unwrap();
    save(&dir, "08c-gradient-check-deep", &viz::gradient_check(&deep_check).unwrap());
}
