//! Pictures: the digits, what the hidden units learned, how training went.
//!
//! Every function returns a [`Figure`]: encoded PNG bytes (and SVG for the
//! line charts) that display inline in an evcxr notebook when a figure is the
//! value of a cell, and save to files with [`Figure::save_png`] /
//! [`Figure::save_svg`]. Multi-panel pictures are one image, because a notebook
//! cell keeps only one output per MIME type.
//!
//! | function | picture |
//! | --- | --- |
//! | [`digit_grid`], [`display_data`] | the course's `displayData`: examples in a near-square grid |
//! | [`hidden_units`] | the rows of Theta1 (without bias) as images |
//! | [`cost_curves`] | cost J per iteration, several runs (or every lambda of a study) with a legend |
//! | [`lambda_panel`] | hidden units of every network of a lambda study side by side, captioned with lambda, cost, accuracies |
//! | [`validation_curve`] | a lambda study's training and held-out accuracy (or cost) against lambda, log axis |
//! | [`predictions`], [`misclassified`] | digits with predicted and true labels |
//! | [`confusion_matrix`] | 10 x 10 heatmap with counts (digit 0 shown as 0) |
//! | [`gradient_check`] | numerical vs analytical gradient per parameter, coloured by Theta |
//! | [`gradient_check_map`] | \|numerical - backprop\| for every Theta entry, as the matrices, one log colour scale |
//! | [`digit_prediction`] | one digit (e.g. a drawn one, [`crate::io::digit_image::load_digit`]) with the ten outputs as bars |
//!
//! Pictures that explain (each one idea):
//!
//! | function | picture |
//! | --- | --- |
//! | [`network_diagram`] | the layers with their sizes, the bias units marked, each Theta's shape |
//! | [`one_hot_labels`] | a few examples' labels y and their rows of y_k |
//! | [`theta_index`] | which two units `theta1[[j, i]]` connects (and the handout's `Theta1(j+1, i+1)`) |
//! | [`unrolling`] | the Thetas column by column into one vector, with each one's index range |
//! | [`unit_response`] | a hidden unit's weights as the template it matches: digit, weights, product, z and a |
//!
//! Things to play with (one cell each):
//!
//! | function | value | shows |
//! | --- | --- | --- |
//! | [`lambda_explorer`] | [`Explorer`] (HTML + PNG) | a slider over a lambda study: units on one gray scale, cost curve, accuracies |
//! | [`training_explorer`] | [`Explorer`] | a slider over one training (kept with [`TrainConfig::snapshots`](crate::TrainConfig::snapshots)): units and cost curve iteration by iteration |
//! | [`training_animation`] | [`Animation`] (GIF) | the same training as a looping animation |
//!
//! Text is drawn with a font compiled into the library (DejaVu Sans, see
//! `src/viz/font/`), so nothing needs system fonts or fontconfig.
//!
//! ```
//! use nn_core::{viz, Network, Init};
//! // Ten random "images" and a random 400-25-10 network.
//! let x = ndarray::Array2::from_shape_fn((10, 400), |(i, j)| ((i * 7 + j) % 13) as f64 - 6.0);
//! let digits = viz::digit_grid(&x, None, 0).unwrap();
//! let units = viz::hidden_units(&Network::random(&[400, 25, 10], Init::default(), 0).unwrap()).unwrap();
//! assert!(digits.png_bytes().len() < 100_000 && units.width() > 0);
//! // In a notebook, `digits` as the last line of a cell shows the picture;
//! // in a program: digits.save_png("digits.png")?
//! ```

mod animation;
mod canvas;
mod chart_kit;
mod cost_chart;
mod digit;
mod explorer;
mod figure;
mod frames;
mod gradcheck_chart;
mod gradmap;
mod images;
mod network_diagram;
mod one_hot;
mod theta_index;
mod unit_response;
mod unrolling;
mod validation_chart;

pub use animation::{training_animation, Animation};
pub use cost_chart::{cost_curves, Curves};
pub use digit::digit_prediction;
pub use explorer::{lambda_explorer, training_explorer, Explorer};
pub use figure::Figure;
pub use gradcheck_chart::gradient_check;
pub use gradmap::gradient_check_map;
pub use images::{
    confusion_counts, confusion_matrix, digit_grid, display_data, hidden_units, lambda_panel, misclassified,
    predictions, DEFAULT_DIGITS, DEFAULT_GALLERY,
};
pub use network_diagram::network_diagram;
pub use one_hot::{one_hot_labels, MAX_ONE_HOT_ROWS};
pub use theta_index::theta_index;
pub use unit_response::unit_response;
pub use unrolling::unrolling;
pub use validation_chart::{validation_curve, Measure};

/// lambda as a teacher writes it: 0, 0.001, 0.03, 1, 10, 1e-05.
pub(crate) fn fmt_lambda(l: f64) -> String {
    if l == 0.0 {
        "0".into()
    } else if (1e-4..1e6).contains(&l.abs()) {
        format!("{l}")
    } else {
        format!("{l:e}")
    }
}

/// A fraction as a percentage with one decimal: 0.9752 -> "97.5%".
pub(crate) fn fmt_percent(f: f64) -> String {
    format!("{:.1}%", f * 100.0)
}

/// A relative difference as the course prints it: 2.3e-11, 0.0421, 28.7, 5.4e+10.
pub(crate) fn fmt_sci(v: f64) -> String {
    if v != 0.0 && v.is_finite() && (1e-3..1e4).contains(&v.abs()) {
        let decimals = (2 - v.abs().log10().floor() as i32).max(0) as usize;
        let s = format!("{v:.decimals$}");
        if s.contains('.') {
            s.trim_end_matches('0').trim_end_matches('.').to_string()
        } else {
            s
        }
    } else if v == 0.0 {
        "0".into()
    } else {
        format!("{v:.1e}")
    }
}

/// An axis number without float noise: 0.30000000000000004 -> "0.3", 1e-12 -> "1e-12".
pub(crate) fn fmt_num(v: f64) -> String {
    if v == 0.0 || !v.is_finite() {
        return if v.is_finite() { "0".into() } else { format!("{v}") };
    }
    let a = v.abs();
    if !(1e-3..1e6).contains(&a) {
        let s = format!("{v:.1e}");
        // 1.0e-12 -> 1e-12
        return s.replace(".0e", "e");
    }
    let s = format!("{v:.4}");
    let s = s.trim_end_matches('0').trim_end_matches('.');
    if s == "-0" {
        "0".into()
    } else {
        s.to_string()
    }
}

#[cfg(test)]
mod tests;
#[cfg(test)]
mod tests_play;
#[cfg(test)]
mod tests_teach;
