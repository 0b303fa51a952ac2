//! The pixel pictures: digit grids (the course's `displayData`), hidden
//! units (alone, or several networks' on one shared gray scale with its legend), the
//! lambda panel, the predictions gallery and the confusion matrix.

use ndarray::{Array1, Array2, ArrayView1, ArrayView2, Axis};

use super::canvas::{fit_size, line_height, text_width, Align, Canvas, Rgb, BLACK, GREEN, PALETTE, RED, TEXT, WHITE};
use super::figure::Figure;
use super::{fmt_lambda, fmt_num, fmt_percent};
use crate::error::{count_mismatch, NnError, Result};
use crate::lecture::data::label_to_digit;
use crate::lecture::network::{seeded_rng, Network};
use crate::train::{LambdaStudy, Trained};

/// How many examples [`digit_grid`] shows when not told: the course's 100.
pub const DEFAULT_DIGITS: usize = 100;
/// How many examples [`predictions`] and [`misclassified`] show when not told.
pub const DEFAULT_GALLERY: usize = 25;

/// Checks a matrix of unrolled square images; returns the side (20 for 400 pixels).
pub(crate) fn check_images(x: &ArrayView2<f64>, what: &str) -> Result<usize> {
    if x.nrows() == 0 {
        return Err(NnError::InvalidArgument {
            name: "images",
            reason: format!("{what} has no rows: there is nothing to draw"),
        });
    }
    let n = x.ncols();
    let side = (n as f64).sqrt().round() as usize;
    if n == 0 || side * side != n {
        return Err(NnError::Shape {
            what: what.to_string(),
            expected: "rows of a square number of pixels (400 for 20x20 images)".into(),
            got: format!("{} x {} ({n} pixels per row is not a square number)", x.nrows(), n),
        });
    }
    if let Some(((row, col), &value)) = x.indexed_iter().find(|(_, v)| !v.is_finite()) {
        return Err(NnError::NonFinite { what: what.to_string(), row, col, value });
    }
    Ok(side)
}

/// The displayData colour of a value scaled to [-1, 1]: -1 black, 0 mid-gray, 1 white.
fn gray(v: f64) -> u8 {
    (((v.clamp(-1.0, 1.0) + 1.0) / 2.0) * 255.0).round() as u8
}

/// One unrolled (column-major) image as an upright side x side canvas, scaled
/// by its own largest |value| like the course's displayData.
pub(crate) fn image_canvas(row: ArrayView1<f64>, side: usize) -> Canvas {
    let max = row.iter().fold(0.0f64, |m, v| m.max(v.abs()));
    image_canvas_scaled(row, side, if max > 0.0 { 1.0 / max } else { 0.0 })
}

/// [`image_canvas`] with a given scale: value v is drawn as `gray(v * scale)`, so
/// several images drawn with one scale can be compared (the explorers' shared scale).
pub(crate) fn image_canvas_scaled(row: ArrayView1<f64>, side: usize, scale: f64) -> Canvas {
    let mut c = Canvas::new(side, side, BLACK);
    for col in 0..side {
        for r in 0..side {
            // Column-major unrolling: pixel (r, col) is entry col * side + r.
            let g = gray(row[col * side + r] * scale);
            c.put(col as i64, r as i64, [g, g, g]);
        }
    }
    c
}

/// displayData's layout: floor(sqrt(m)) rows, as many columns as needed.
pub(crate) fn grid_shape(m: usize) -> (usize, usize) {
    let rows = ((m as f64).sqrt().floor() as usize).max(1);
    (rows, m.div_ceil(rows))
}

/// The displayData grid at one screen pixel per image pixel: 1-pixel black
/// padding around and between images, empty cells black.
pub(crate) fn grid_canvas(x: ArrayView2<f64>, what: &str) -> Result<Canvas> {
    grid_canvas_with(x, what, None)
}

/// [`grid_canvas`], each image scaled by its own largest |value| (`None`) or all by
/// `1 / shared` (values beyond +-shared saturate to white / black).
pub(crate) fn grid_canvas_with(x: ArrayView2<f64>, what: &str, shared: Option<f64>) -> Result<Canvas> {
    let side = check_images(&x, what)?;
    let (rows, cols) = grid_shape(x.nrows());
    let pad = 1;
    let mut canvas = Canvas::new(pad + cols * (side + pad), pad + rows * (side + pad), BLACK);
    for (k, row) in x.axis_iter(Axis(0)).enumerate() {
        let (i, j) = (k / cols, k % cols);
        let img = match shared {
            Some(s) if s > 0.0 => image_canvas_scaled(row, side, 1.0 / s),
            Some(_) => image_canvas_scaled(row, side, 0.0),
            None => image_canvas(row, side),
        };
        canvas.blit(&img, (pad + j * (side + pad)) as i64, (pad + i * (side + pad)) as i64);
    }
    Ok(canvas)
}

/// The integer enlargement that brings a width near `target` pixels (1..=8).
fn auto_scale(width: usize, target: usize) -> usize {
    (target / width.max(1)).clamp(1, 8)
}

/// The course's `displayData`: every row of `x` (an unrolled square image, in
/// MATLAB's column-major order) drawn upright in a near-square grid, each image
/// scaled by its own largest |value| (gray: -1 black, 0 mid-gray, 1 white), with
/// 1-pixel black padding. The grid is enlarged (nearest neighbour) to about 640
/// pixels wide.
///
/// Errors: no rows, a pixel count that is not square, a NaN or infinity.
///
/// ```
/// use nn_core::viz;
/// let x = ndarray::Array2::from_shape_fn((10, 400), |(i, j)| ((i + j) % 7) as f64);
/// let fig = viz::display_data(&x).unwrap(); // 3 rows x 4 columns of 20x20 images
/// assert_eq!(fig.width() % 85, 0); // 1 + 4 * 21 = 85 pixels, enlarged
/// assert!(viz::display_data(&ndarray::Array2::zeros((2, 399))).is_err());
/// ```
pub fn display_data<'a>(x: impl Into<ArrayView2<'a, f64>>) -> Result<Figure> {
    let canvas = grid_canvas(x.into(), "X")?;
    let k = auto_scale(canvas.w, 640);
    Figure::from_canvas(&canvas.scaled(k), None)
}

/// Row indices to show: `count` distinct rows drawn at random (seeded), or
/// `min(default, m)` when `count` is `None`.
fn sample_rows(m: usize, count: Option<usize>, default: usize, seed: u64, what: &str) -> Result<Vec<usize>> {
    let n = match count {
        Some(0) => {
            return Err(NnError::InvalidArgument {
                name: "count",
                reason: format!("asked for 0 {what}: ask for at least 1"),
            })
        }
        Some(n) if n > m => {
            return Err(NnError::InvalidArgument {
                name: "count",
                reason: format!("asked for {n} {what} but only {m} are available"),
            })
        }
        Some(n) => n,
        None => default.min(m),
    };
    let mut rng = seeded_rng(seed);
    Ok(ndarray_rand::rand::seq::index::sample(&mut rng, m, n).into_vec())
}

/// The course's first picture: `count` random rows of `x` (default 100; all of
/// them if `x` has fewer), chosen with `seed`, drawn by [`display_data`].
///
/// ```
/// use nn_core::viz;
/// let x = ndarray::Array2::from_shape_fn((300, 400), |(i, j)| ((i * j) % 11) as f64);
/// let fig = viz::digit_grid(&x, None, 0).unwrap(); // 100 digits, 10 x 10
/// assert_eq!(fig.width(), fig.height());
/// assert_eq!(fig, viz::digit_grid(&x, Some(100), 0).unwrap()); // same seed, same picture
/// assert!(viz::digit_grid(&x, Some(301), 0).is_err());
/// ```
pub fn digit_grid<'a>(x: impl Into<ArrayView2<'a, f64>>, count: Option<usize>, seed: u64) -> Result<Figure> {
    let x = x.into();
    check_images(&x, "X")?;
    let rows = sample_rows(x.nrows(), count, DEFAULT_DIGITS, seed, "digits")?;
    display_data(&x.select(Axis(0), &rows))
}

/// Checks that a network's inputs are square images and returns Theta1 without its bias column.
pub(crate) fn unit_images<'n>(network: &'n Network) -> Result<ArrayView2<'n, f64>> {
    let w = network.hidden_unit_weights();
    let n = w.ncols();
    let side = (n as f64).sqrt().round() as usize;
    if side * side != n || n == 0 {
        return Err(NnError::Shape {
            what: "network input layer".into(),
            expected:
                "a square number of input units (400 for 20x20 images), so each hidden unit can be drawn as an image"
                    .into(),
            got: format!("{n} input units (layer sizes {:?})", network.layer_sizes()),
        });
    }
    Ok(w)
}

/// What the first hidden layer learned: each row of Theta1 without the bias
/// column, drawn as an image by [`display_data`] (25 units: a 5 x 5 grid).
/// Works for any number of hidden units and any depth (it always shows Theta1).
///
/// ```
/// use nn_core::{viz, Network, Init};
/// let net = Network::random(&[400, 25, 10], Init::default(), 0).unwrap();
/// let fig = viz::hidden_units(&net).unwrap();
/// assert_eq!(fig.width(), fig.height()); // 5 x 5 units
/// // A 3-5-3 network's inputs are not images:
/// assert!(viz::hidden_units(&Network::debug(&[3, 5, 3]).unwrap()).is_err());
/// ```
pub fn hidden_units(network: &Network) -> Result<Figure> {
    display_data(unit_images(network)?)
}

/// One panel of [`lambda_panel`]: a trained network and the numbers for its caption.
/// The caller computes the accuracies (fractions in 0..=1).
#[derive(Clone, Copy, Debug)]
pub(crate) struct PanelEntry<'a> {
    /// The trained network whose hidden units are drawn.
    pub network: &'a Network,
    /// The lambda it was trained with.
    pub lambda: f64,
    /// Its final training cost J.
    pub final_cost: f64,
    /// Fraction of the training set it classifies correctly.
    pub train_accuracy: f64,
    /// Fraction of a held-out set it classifies correctly, if there is one.
    pub held_out_accuracy: Option<f64>,
}

impl<'a> PanelEntry<'a> {
    /// A panel for a training run: lambda and final cost come from `trained`.
    pub fn new(trained: &'a Trained, train_accuracy: f64, held_out_accuracy: Option<f64>) -> PanelEntry<'a> {
        PanelEntry {
            network: &trained.network,
            lambda: trained.config.lambda,
            final_cost: trained.history.final_cost(),
            train_accuracy,
            held_out_accuracy,
        }
    }
}

fn check_fraction(name: &'static str, v: f64) -> Result<()> {
    if !(0.0..=1.0).contains(&v) {
        return Err(NnError::InvalidArgument {
            name,
            reason: format!(
                "{v} is not a fraction in 0..=1{}",
                if v > 1.0 && v <= 100.0 { " (pass accuracies as fractions: 0.95, not 95)" } else { "" }
            ),
        });
    }
    Ok(())
}

/// Several trained networks side by side in one image: each one's hidden units
/// (as [`hidden_units`], but all on one gray scale, drawn as a legend below, so that
/// weights shrunk by a large lambda look faint) with a caption giving lambda, the final
/// cost, and the training and held-out accuracy. Up to four panels per row.
///
pub(crate) fn lambda_panel_of(entries: &[PanelEntry<'_>]) -> Result<Figure> {
    if entries.is_empty() {
        return Err(NnError::InvalidArgument {
            name: "entries",
            reason: "no panels to draw: pass at least one".into(),
        });
    }
    let networks: Vec<&Network> = entries.iter().map(|e| e.network).collect();
    let scale = shared_scale(&networks)?;
    let mut grids = Vec::with_capacity(entries.len());
    let mut captions = Vec::with_capacity(entries.len());
    for e in entries {
        crate::error::check_lambda(e.lambda)?;
        if !e.final_cost.is_finite() {
            return Err(NnError::InvalidArgument {
                name: "final_cost",
                reason: format!("{} is not finite", e.final_cost),
            });
        }
        check_fraction("train_accuracy", e.train_accuracy)?;
        if let Some(h) = e.held_out_accuracy {
            check_fraction("held_out_accuracy", h)?;
        }
        // One gray scale for every panel, so weights that shrink with lambda fade.
        let grid = units_canvas(e.network, scale)?;
        let grid = grid.scaled(auto_scale(grid.w, 240));
        grids.push(grid);
        let mut lines = vec![
            (format!("λ = {}", fmt_lambda(e.lambda)), 18.0f32, TEXT),
            (format!("objective (J + penalty) {:.4}", e.final_cost), 14.0, TEXT),
            (format!("training accuracy {}", fmt_percent(e.train_accuracy)), 14.0, TEXT),
        ];
        if let Some(h) = e.held_out_accuracy {
            lines.push((format!("held-out accuracy {}", fmt_percent(h)), 14.0, TEXT));
        }
        captions.push(lines);
    }
    let margin = 14usize;
    let cell_w = grids
        .iter()
        .map(|g| g.w)
        .chain(captions.iter().flatten().map(|(t, s, _)| text_width(t, *s).ceil() as usize))
        .max()
        .unwrap_or(0)
        // Four 2x units grids (212 px) with 6 px each side: 896 px, inside a 900 px page.
        + 12;
    let caption_h: f32 =
        captions.iter().map(|c| c.iter().map(|(_, s, _)| line_height(*s)).sum::<f32>()).fold(0.0, f32::max);
    let grid_h = grids.iter().map(|g| g.h).max().unwrap_or(0);
    let cell_h = margin + grid_h + 8 + caption_h.ceil() as usize + margin;

    let n = entries.len();
    let per_row = if n <= 4 { n } else { n.div_ceil(n.div_ceil(4)) };
    let rows = n.div_ceil(per_row);
    let title = if n == 1 {
        "Hidden units (rows of Theta1)"
    } else {
        "Hidden units (rows of Theta1) for each λ: larger λ, smoother detectors"
    };
    let title_size = fit_size(title, 17.0, 14.0, (cell_w * per_row) as f32 - 2.0 * margin as f32);
    let title_h = (line_height(title_size) + 12.0).ceil() as usize;
    let width = (cell_w * per_row).max(text_width(title, title_size).ceil() as usize + 2 * margin);
    let legend = gray_legend(scale, width.min(520));
    let mut canvas = Canvas::new(width, title_h + rows * cell_h + legend.h + margin, WHITE);
    canvas.text(title, width as f32 / 2.0, 8.0, title_size, TEXT, Align::Center);
    canvas.blit(&legend, ((width - legend.w) / 2) as i64, (title_h + rows * cell_h) as i64);
    let x_offset = (width - cell_w * per_row) / 2;
    for (k, (grid, lines)) in grids.iter().zip(&captions).enumerate() {
        let (i, j) = (k / per_row, k % per_row);
        let x0 = x_offset + j * cell_w;
        let y0 = title_h + i * cell_h;
        canvas.blit(grid, (x0 + (cell_w - grid.w) / 2) as i64, (y0 + margin) as i64);
        let mut y = (y0 + margin + grid_h + 8) as f32;
        let cx = (x0 + cell_w / 2) as f32;
        for (t, s, c) in lines {
            canvas.text(t, cx, y, *s, *c, Align::Center);
            y += line_height(*s);
        }
    }
    Figure::from_canvas(&canvas, None)
}

/// The hidden units of every network of a [`LambdaStudy`] side by side, captioned with
/// lambda, the final cost and both accuracies: the picture that shows larger lambda giving
/// smoother detectors. See `lambda_panel_of` for the layout.
///
/// ```
/// use nn_core::prelude::*;
/// let x = ndarray::Array2::from_shape_fn((20, 4), |(i, j)| ((i * 3 + j) % 5) as f64);
/// let y = ndarray::Array1::from_shape_fn(20, |i| 1 + i % 2);
/// let data = Dataset::new(x, y, 2).unwrap();
/// let study = compare_lambdas(&TrainConfig::new(&[4, 4, 2]).iterations(5), &data, &data, &[0.0, 1.0]).unwrap();
/// let fig = viz::lambda_panel(&study).unwrap(); // 4 inputs: 2x2 "images"
/// assert!(fig.width() > fig.height());
/// ```
pub fn lambda_panel(study: &LambdaStudy) -> Result<Figure> {
    study.check_finite()?;
    let entries: Vec<PanelEntry> =
        study.results.iter().map(|r| PanelEntry::new(&r.trained, r.train_accuracy, Some(r.test_accuracy))).collect();
    lambda_panel_of(&entries)
}

/// Checks x / predicted / actual agree and labels are >= 1.
fn check_labelled(x: &ArrayView2<f64>, predicted: &Array1<usize>, actual: &Array1<usize>) -> Result<usize> {
    let side = check_images(x, "X")?;
    for (what, v) in [("predicted labels", predicted), ("true labels", actual)] {
        if v.len() != x.nrows() {
            return Err(count_mismatch(what, x.nrows(), "labels (one per row of X)", v.len()));
        }
        if let Some((row, &l)) = v.iter().enumerate().find(|(_, &l)| l == 0) {
            return Err(NnError::Label { what: what.into(), row, value: l as f64, k: 10 });
        }
    }
    Ok(side)
}

/// A gallery of the given rows: each digit with its predicted and true digit below.
fn gallery(
    x: ArrayView2<f64>,
    side: usize,
    predicted: &Array1<usize>,
    actual: &Array1<usize>,
    rows: &[usize],
    title: &str,
) -> Result<Figure> {
    let n = rows.len();
    let s = if n <= 36 {
        4
    } else if n <= 100 {
        3
    } else {
        2
    };
    let img = side * s + 2; // 1-pixel dark frame
    let (label_size, gap) = (13.0f32, 10usize);
    let label_h = line_height(label_size).ceil() as usize;
    let cell_w = img.max(text_width("pred 10", label_size).ceil() as usize) + gap;
    let cell_h = img + 4 + 2 * label_h + gap;
    let (grid_rows, grid_cols) = grid_shape(n);
    let margin = 12usize;
    let sub = "under each digit: predicted, then true digit (red: wrong)";
    let title_size = 16.0f32;
    let sub_size = 12.0f32;
    let grid_w = grid_cols * cell_w;
    let width = (grid_w + 2 * margin)
        .max(text_width(title, title_size).ceil() as usize + 2 * margin)
        .max(text_width(sub, sub_size).ceil() as usize + 2 * margin);
    let head = (8.0 + line_height(title_size) + line_height(sub_size) + 8.0).ceil() as usize;
    let mut canvas = Canvas::new(width, head + grid_rows * cell_h + margin, WHITE);
    canvas.text(title, width as f32 / 2.0, 8.0, title_size, TEXT, Align::Center);
    canvas.text(sub, width as f32 / 2.0, 8.0 + line_height(title_size), sub_size, [90, 90, 90], Align::Center);
    let x_offset = (width - grid_w) / 2;
    for (k, &r) in rows.iter().enumerate() {
        let (i, j) = (k / grid_cols, k % grid_cols);
        let x0 = x_offset + j * cell_w;
        let y0 = head + i * cell_h;
        let ix = x0 + (cell_w - img) / 2;
        canvas.fill_rect(ix as i64, y0 as i64, img, img, BLACK);
        canvas.blit(&image_canvas(x.row(r), side).scaled(s), ix as i64 + 1, y0 as i64 + 1);
        let (p, t) = (label_to_digit(predicted[r]), label_to_digit(actual[r]));
        let ok = predicted[r] == actual[r];
        let cx = (x0 + cell_w / 2) as f32;
        let ty = (y0 + img + 4) as f32;
        canvas.text(&format!("pred {p}"), cx, ty, label_size, if ok { GREEN } else { RED }, Align::Center);
        canvas.text(&format!("true {t}"), cx, ty + label_h as f32, label_size, TEXT, Align::Center);
    }
    Figure::from_canvas(&canvas, None)
}

/// A gallery of `count` random examples (default 25, seeded), each digit with
/// its predicted and true digit below it (digit 0 for label 10), the
/// prediction in green when right and red when wrong.
///
/// ```
/// use nn_core::viz;
/// let x = ndarray::Array2::from_shape_fn((30, 400), |(i, j)| ((i + 3 * j) % 5) as f64);
/// let y = ndarray::Array1::from_shape_fn(30, |i| 1 + i % 10);
/// let mut pred = y.clone();
/// pred[3] = 7;
/// let fig = viz::predictions(&x, &pred, &y, Some(9), 42).unwrap();
/// assert!(fig.width() > 0);
/// assert!(viz::predictions(&x, &pred.slice(ndarray::s![..5]).to_owned(), &y, None, 0).is_err());
/// ```
pub fn predictions<'a>(
    x: impl Into<ArrayView2<'a, f64>>,
    predicted: &Array1<usize>,
    actual: &Array1<usize>,
    count: Option<usize>,
    seed: u64,
) -> Result<Figure> {
    let x = x.into();
    let side = check_labelled(&x, predicted, actual)?;
    let rows = sample_rows(x.nrows(), count, DEFAULT_GALLERY, seed, "examples")?;
    let correct = rows.iter().filter(|&&r| predicted[r] == actual[r]).count();
    let title = format!("Predictions on {} random examples: {} correct", rows.len(), correct);
    gallery(x, side, predicted, actual, &rows, &title)
}

/// Like [`predictions`], but only examples the network got wrong: `count` of
/// them (default 25) drawn at random with `seed`, or all if there are fewer.
/// When nothing is misclassified the picture says so.
///
/// ```
/// use nn_core::viz;
/// let x = ndarray::Array2::from_shape_fn((30, 400), |(i, j)| ((i + 3 * j) % 5) as f64);
/// let y = ndarray::Array1::from_shape_fn(30, |i| 1 + i % 10);
/// let mut pred = y.clone();
/// pred[3] = 7;
/// pred[8] = 10;
/// let fig = viz::misclassified(&x, &pred, &y, None, 0).unwrap(); // the two mistakes
/// assert!(fig.width() > 0);
/// assert!(viz::misclassified(&x, &y, &y, None, 0).is_ok()); // "no misclassified examples"
/// ```
pub fn misclassified<'a>(
    x: impl Into<ArrayView2<'a, f64>>,
    predicted: &Array1<usize>,
    actual: &Array1<usize>,
    count: Option<usize>,
    seed: u64,
) -> Result<Figure> {
    let x = x.into();
    let side = check_labelled(&x, predicted, actual)?;
    let wrong: Vec<usize> = (0..x.nrows()).filter(|&r| predicted[r] != actual[r]).collect();
    if wrong.is_empty() {
        let msg = format!("No misclassified examples: all {} predictions are correct", x.nrows());
        let size = 16.0;
        let mut canvas =
            Canvas::new(text_width(&msg, size).ceil() as usize + 32, line_height(size).ceil() as usize + 32, WHITE);
        canvas.text(&msg, 16.0, 16.0, size, GREEN, Align::Left);
        return Figure::from_canvas(&canvas, None);
    }
    if count == Some(0) {
        return Err(NnError::InvalidArgument {
            name: "count",
            reason: "asked for 0 examples: ask for at least 1".into(),
        });
    }
    let n = count.unwrap_or(DEFAULT_GALLERY).min(wrong.len());
    let picks = sample_rows(wrong.len(), Some(n), n, seed, "misclassified examples")?;
    let mut rows: Vec<usize> = picks.into_iter().map(|i| wrong[i]).collect();
    rows.sort_unstable();
    let title = if n == wrong.len() {
        format!("All {} misclassified examples (of {})", wrong.len(), x.nrows())
    } else {
        format!("{} of the {} misclassified examples (of {}), at random", n, wrong.len(), x.nrows())
    };
    gallery(x, side, predicted, actual, &rows, &title)
}

/// Counts `[true, predicted]`: entry (i, j) is how many examples with label
/// i + 1 were predicted as label j + 1. K = 10, or the largest label if larger.
///
/// ```
/// let y = ndarray::array![1usize, 2, 10, 10];
/// let p = ndarray::array![1usize, 10, 10, 2];
/// let c = nn_core::viz::confusion_counts(&p, &y).unwrap();
/// assert_eq!((c[[0, 0]], c[[1, 9]], c[[9, 9]], c[[9, 1]]), (1, 1, 1, 1));
/// ```
pub fn confusion_counts(predicted: &Array1<usize>, actual: &Array1<usize>) -> Result<Array2<usize>> {
    if predicted.len() != actual.len() {
        return Err(count_mismatch("predicted labels", actual.len(), "labels (one per true label)", predicted.len()));
    }
    if actual.is_empty() {
        return Err(NnError::InvalidArgument { name: "labels", reason: "no labels: there is nothing to count".into() });
    }
    for (what, v) in [("predicted labels", predicted), ("true labels", actual)] {
        if let Some((row, &l)) = v.iter().enumerate().find(|(_, &l)| l > MAX_CONFUSION_LABELS) {
            return Err(NnError::InvalidArgument {
                name: "labels",
                reason: format!(
                    "{what}: label {l} in row {} is larger than {MAX_CONFUSION_LABELS}, the most classes a confusion \
                     matrix counts; labels are 1..=K (1..=10 for the digits)",
                    row + 1
                ),
            });
        }
    }
    let k = predicted.iter().chain(actual.iter()).copied().max().unwrap_or(10).max(10);
    for (what, v) in [("predicted labels", predicted), ("true labels", actual)] {
        if let Some((row, &l)) = v.iter().enumerate().find(|(_, &l)| l == 0) {
            return Err(NnError::Label { what: what.into(), row, value: l as f64, k });
        }
    }
    let mut counts = Array2::zeros((k, k));
    for (&p, &t) in predicted.iter().zip(actual) {
        counts[[t - 1, p - 1]] += 1;
    }
    Ok(counts)
}

/// The largest label [`confusion_counts`] accepts (its table is K x K).
pub const MAX_CONFUSION_LABELS: usize = 1000;

/// The most classes [`confusion_matrix`] draws (its picture grows with K).
pub const MAX_CONFUSION_FIGURE_LABELS: usize = 100;

/// Confusion-matrix layout: cell size (K <= 10), left and top of the grid.
pub(crate) const CM_CELL: usize = 46;
pub(crate) const CM_LEFT: usize = 96;
pub(crate) const CM_TOP: usize = 92;

pub(crate) fn lerp(a: Rgb, b: Rgb, t: f64) -> Rgb {
    let t = t.clamp(0.0, 1.0);
    [0, 1, 2].map(|i| (a[i] as f64 + (b[i] as f64 - a[i] as f64) * t).round() as u8)
}

/// The confusion matrix as a heatmap with counts: rows are the true digit,
/// columns the predicted one, digits in the order 0..9 (label 10 shown as 0).
/// Diagonal cells (right) are blue, darker for a larger share of their row;
/// off-diagonal cells (mistakes) are red, darker for more mistakes. The right
/// column gives each digit's share classified correctly.
///
/// ```
/// use nn_core::viz;
/// let y = ndarray::Array1::from_shape_fn(100, |i| 1 + i % 10);
/// let mut p = y.clone();
/// p[0] = 7; // a 1 taken for a 7
/// let fig = viz::confusion_matrix(&p, &y).unwrap();
/// assert!(fig.width() > 400 && fig.height() > 400);
/// ```
pub fn confusion_matrix(predicted: &Array1<usize>, actual: &Array1<usize>) -> Result<Figure> {
    let counts = confusion_counts(predicted, actual)?;
    let k = counts.nrows();
    if k > MAX_CONFUSION_FIGURE_LABELS {
        return Err(NnError::InvalidArgument {
            name: "labels",
            reason: format!(
                "the labels go up to {k}; a confusion-matrix picture shows at most {MAX_CONFUSION_FIGURE_LABELS} \
                 classes (use confusion_counts for the numbers)"
            ),
        });
    }
    // Display order: digits 0..9 when K = 10 (label 10 first), else labels 1..K.
    let order: Vec<usize> = if k == 10 { std::iter::once(9).chain(0..9).collect() } else { (0..k).collect() };
    let name = |label_index: usize| -> String {
        if k == 10 {
            label_to_digit(label_index + 1).to_string()
        } else {
            (label_index + 1).to_string()
        }
    };
    let row_totals: Vec<usize> = (0..k).map(|i| counts.row(i).sum()).collect();
    let max_off = (0..k)
        .flat_map(|i| (0..k).filter(move |&j| j != i).map(move |j| (i, j)))
        .map(|(i, j)| counts[[i, j]] as f64 / row_totals[i].max(1) as f64)
        .fold(0.0f64, f64::max);
    let correct: usize = (0..k).map(|i| counts[[i, i]]).sum();
    let total = actual.len();

    let cell = if k <= 10 { CM_CELL } else { (460 / k).max(22) };
    let count_size = if cell >= 40 { 14.0f32 } else { 10.0 };
    let (left, top) = (CM_LEFT, CM_TOP);
    let right = 84usize;
    let grid = cell * k;
    let title =
        format!("Confusion matrix: {} correct ({} of {})", fmt_percent(correct as f64 / total as f64), correct, total);
    let width = (left + grid + right).max(text_width(&title, 17.0).ceil() as usize + 24);
    let height = top + grid + 40;
    let mut c = Canvas::new(width, height, WHITE);
    c.text(&title, width as f32 / 2.0, 10.0, 17.0, TEXT, Align::Center);
    c.text("predicted digit", (left + grid / 2) as f32, 44.0, 14.0, TEXT, Align::Center);
    let mid = (top + grid / 2) as f32;
    c.text("true", 10.0, mid - line_height(14.0), 14.0, TEXT, Align::Left);
    c.text("digit", 10.0, mid, 14.0, TEXT, Align::Left);
    c.text("correct", (left + grid + right / 2) as f32, 66.0, 13.0, TEXT, Align::Center);
    let blue = PALETTE[0];
    let red = PALETTE[3];
    for (di, &i) in order.iter().enumerate() {
        let y = top + di * cell;
        let label = name(i);
        let ly = y as f32 + (cell as f32 - line_height(14.0)) / 2.0;
        c.text(&label, (left - 10) as f32, ly, 14.0, TEXT, Align::Right);
        c.text(&label, (left + di * cell + cell / 2) as f32, 66.0, 14.0, TEXT, Align::Center);
        let recall =
            if row_totals[i] > 0 { fmt_percent(counts[[i, i]] as f64 / row_totals[i] as f64) } else { "-".into() };
        c.text(&recall, (left + grid + right / 2) as f32, ly, 13.0, TEXT, Align::Center);
        for (dj, &j) in order.iter().enumerate() {
            let x = left + dj * cell;
            let n = counts[[i, j]];
            let frac = n as f64 / row_totals[i].max(1) as f64;
            let t = if n == 0 {
                0.0
            } else if i == j {
                0.15 + 0.75 * frac
            } else {
                0.08 + 0.8 * (frac / max_off).powf(0.75)
            };
            let fill = if n == 0 { WHITE } else { lerp(WHITE, if i == j { blue } else { red }, t) };
            c.fill_rect(x as i64, y as i64, cell, cell, fill);
            let ink = if n == 0 {
                [185, 185, 185]
            } else if t > 0.55 {
                WHITE
            } else {
                TEXT
            };
            let s = n.to_string();
            let size = fit_size(&s, count_size, 7.0, cell as f32 - 4.0);
            c.text(
                &s,
                (x + cell / 2) as f32,
                y as f32 + (cell as f32 - line_height(size)) / 2.0,
                size,
                ink,
                Align::Center,
            );
        }
    }
    // Grid lines over the cells.
    for d in 0..=k {
        c.fill_rect((left + d * cell) as i64, top as i64, 1, grid + 1, [200, 200, 200]);
        c.fill_rect(left as i64, (top + d * cell) as i64, grid + 1, 1, [200, 200, 200]);
    }
    c.stroke_rect(left as i64, top as i64, grid + 1, grid + 1, 1, [90, 90, 90]);
    let foot = "rows: true digit · columns: predicted digit · blue: right · red: mistakes";
    let fs = fit_size(foot, 12.0, 8.0, (width - 16) as f32);
    c.text(foot, width as f32 / 2.0, (top + grid + 12) as f32, fs, [90, 90, 90], Align::Center);
    Figure::from_canvas(&c, None)
}

/// The gray scale shared by several networks' hidden units: the 99.5th percentile of
/// |weight| over all of their Theta1 entries but the bias column (so one outlier does
/// not wash the rest out). Weights beyond it saturate to black or white.
pub(crate) fn shared_scale(networks: &[&Network]) -> Result<f64> {
    let mut all: Vec<f64> = Vec::new();
    for n in networks {
        all.extend(unit_images(n)?.iter().map(|w| w.abs()));
    }
    if all.is_empty() {
        return Ok(1.0);
    }
    all.sort_by(|a, b| a.total_cmp(b));
    let q = all[((all.len() - 1) as f64 * 0.995).round() as usize];
    Ok(if q > 0.0 && q.is_finite() { q } else { all[all.len() - 1].max(1e-12) })
}

/// A network's hidden units at one screen pixel per weight, on the shared scale.
pub(crate) fn units_canvas(network: &Network, scale: f64) -> Result<Canvas> {
    grid_canvas_with(unit_images(network)?, "Theta1", Some(scale))
}

/// A horizontal gray ramp from -scale (black) to +scale (white) with its labels,
/// `w` pixels wide.
pub(crate) fn gray_legend(scale: f64, w: usize) -> Canvas {
    let size = 13.0f32;
    let lh = line_height(size).ceil() as usize;
    let label = "hidden-unit weight (one gray scale for all pictures)";
    let bar_h = 12usize;
    let mut c = Canvas::new(w, bar_h + 2 * lh + 6, WHITE);
    let (x0, bw) = (8usize, w.saturating_sub(16).max(1));
    for i in 0..bw {
        let g = (i as f64 / (bw - 1).max(1) as f64 * 255.0).round() as u8;
        c.fill_rect((x0 + i) as i64, 0, 1, bar_h, [g, g, g]);
    }
    c.stroke_rect(x0 as i64, 0, bw, bar_h, 1, [120, 120, 120]);
    let y = (bar_h + 2) as f32;
    c.text(&format!("−{}", fmt_scale(scale)), x0 as f32, y, size, TEXT, Align::Left);
    c.text("0", (x0 + bw / 2) as f32, y, size, TEXT, Align::Center);
    c.text(&format!("+{}", fmt_scale(scale)), (x0 + bw) as f32, y, size, TEXT, Align::Right);
    let ls = if text_width(label, size) > w as f32 { 11.0 } else { size };
    c.text(label, (w / 2) as f32, y + lh as f32, ls, [90, 90, 90], Align::Center);
    c
}

/// The shared scale with two significant digits: 0.57, 1.3, 0.0042.
pub(crate) fn fmt_scale(v: f64) -> String {
    if v > 0.0 && v.is_finite() {
        let d = (1 - v.log10().floor() as i32).max(0) as usize;
        format!("{v:.d$}")
    } else {
        fmt_num(v)
    }
}
