//! One digit and what the network makes of it: the 20 x 20 image, the ten outputs as a
//! bar chart, the prediction.

use ndarray::{Array2, ArrayView2};

use super::canvas::{fit_size, line_height, Align, Canvas, BLACK, GREEN, PALETTE, TEXT, WHITE};
use super::figure::Figure;
use super::fmt_percent;
use super::images::check_images;
use crate::error::{NnError, Result};
use crate::lecture::data::label_to_digit;
use crate::lecture::network::{feedforward, Network};

/// Layout of the bar chart, for the tests: left edge of the first bar, bar pitch, the
/// baseline and the height of a bar of 1.
pub(crate) const BARS_X: usize = 300;
pub(crate) const BAR_PITCH: usize = 46;
pub(crate) const BAR_W: usize = 30;
pub(crate) const BARS_BASE: usize = 320;
pub(crate) const BARS_H: usize = 230;

/// Digits in display order (0 first) and their labels (10 for 0).
const ORDER: [usize; 10] = [10, 1, 2, 3, 4, 5, 6, 7, 8, 9];

/// The network's reading of one digit: the 20 x 20 image (0 black, its largest value
/// white), the ten outputs h_k as bars in the order
/// 0..9 (label 10 shown as the digit 0), the predicted digit's bar highlighted, and the
/// prediction with its output in the title. The outputs are the sigmoid units' values,
/// each in 0..1; one-vs-all, they need not add up to 1.
///
/// `x_row` is one unrolled image, 1 x 400 (a row of X, or
/// [`load_digit`](crate::io::digit_image::load_digit)'s result).
///
/// ```
/// use nn_core::prelude::*;
/// let net = Network::random(&[400, 25, 10], Init::default(), 0).unwrap();
/// let x = ndarray::Array2::from_shape_fn((1, 400), |(_, j)| (j % 7) as f64 / 7.0);
/// let fig = viz::digit_prediction(&net, &x).unwrap();
/// assert!(fig.width() > 600);
/// assert!(viz::digit_prediction(&net, &ndarray::Array2::zeros((2, 400))).is_err());
/// ```
pub fn digit_prediction<'a>(network: &Network, x_row: impl Into<ArrayView2<'a, f64>>) -> Result<Figure> {
    let x = x_row.into();
    if x.nrows() != 1 {
        return Err(NnError::Shape {
            what: "x_row".into(),
            expected: format!("one row (1 x {}): one digit", network.input_size()),
            got: format!("{} x {}", x.nrows(), x.ncols()),
        });
    }
    let side = check_images(&x, "x_row")?;
    if network.num_labels() != 10 {
        return Err(NnError::Shape {
            what: "network output layer".into(),
            expected: "10 units (the digits)".into(),
            got: format!("{} units", network.num_labels()),
        });
    }
    let ff = feedforward(network, &x.to_owned())?;
    let h: Array2<f64> = ff.h().clone();
    let outputs: Vec<f64> = (0..10).map(|k| h[[0, k]]).collect();
    let best = (0..10).max_by(|&a, &b| outputs[a].total_cmp(&outputs[b])).unwrap_or(0);
    let digit = label_to_digit(best + 1);

    let width = BARS_X + 10 * BAR_PITCH + 20;
    let height = BARS_BASE + 70;
    let mut c = Canvas::new(width, height, WHITE);
    let title = format!("The network reads a {digit}  (output {:.3} for {digit})", outputs[best]);
    let ts = fit_size(&title, 20.0, 13.0, width as f32 - 20.0);
    c.text(&title, width as f32 / 2.0, 10.0, ts, TEXT, Align::Center);

    // The image, 10x, with a frame.
    let zoom = (200 / side).max(1);
    // 0 black, the largest value white (a drawn digit is 0..1; X's rows a little beyond).
    let peak = x.iter().copied().fold(0.0f64, f64::max);
    let mut img = Canvas::new(side, side, BLACK);
    for col in 0..side {
        for r in 0..side {
            let v = if peak > 0.0 { (x[[0, col * side + r]] / peak).clamp(0.0, 1.0) } else { 0.0 };
            let g = (v * 255.0).round() as u8;
            img.put(col as i64, r as i64, [g, g, g]);
        }
    }
    let img = img.scaled(zoom);
    let (ix, iy) = (30usize, BARS_BASE - BARS_H + (BARS_H.saturating_sub(img.h)) / 2);
    c.fill_rect(ix as i64 - 1, iy as i64 - 1, img.w + 2, img.h + 2, BLACK);
    c.blit(&img, ix as i64, iy as i64);
    c.text(
        "the input: 20 x 20 pixels",
        (ix + img.w / 2) as f32,
        (iy + img.h + 6) as f32,
        12.0,
        [90, 90, 90],
        Align::Center,
    );

    // Axis lines and ticks at 0, 0.5, 1.
    let right = BARS_X + 10 * BAR_PITCH - (BAR_PITCH - BAR_W);
    for (v, s) in [(0.0, "0"), (0.5, "0.5"), (1.0, "1")] {
        let y = BARS_BASE as f64 - v * BARS_H as f64;
        c.fill_rect(
            BARS_X as i64 - 6,
            y.round() as i64,
            right - BARS_X + 12,
            1,
            if v == 0.0 { TEXT } else { [215, 215, 215] },
        );
        c.text(s, BARS_X as f32 - 10.0, y as f32 - line_height(12.0) / 2.0, 12.0, TEXT, Align::Right);
    }
    for (k, &label) in ORDER.iter().enumerate() {
        let v = outputs[label - 1].clamp(0.0, 1.0);
        let x0 = BARS_X + k * BAR_PITCH;
        let bh = (v * BARS_H as f64).round() as usize;
        let color = if label - 1 == best { GREEN } else { PALETTE[0] };
        c.fill_rect(x0 as i64, (BARS_BASE - bh) as i64, BAR_W, bh, color);
        let cx = (x0 + BAR_W / 2) as f32;
        c.text(&label_to_digit(label).to_string(), cx, BARS_BASE as f32 + 4.0, 16.0, TEXT, Align::Center);
        let pct = fmt_percent(v);
        let ps = fit_size(&pct, 11.0, 8.0, BAR_PITCH as f32 - 2.0);
        c.text(&pct, cx, (BARS_BASE - bh) as f32 - line_height(ps) - 1.0, ps, TEXT, Align::Center);
    }
    let cap = "network output h_k for each digit (one-vs-all sigmoid units: they need not add up to 1)";
    let cs = fit_size(cap, 12.0, 9.0, (width - BARS_X + 20) as f32);
    c.text(cap, (BARS_X + (right - BARS_X) / 2) as f32, BARS_BASE as f32 + 28.0, cs, [90, 90, 90], Align::Center);
    Figure::from_canvas(&c, None)
}
