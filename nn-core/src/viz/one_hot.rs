//! One-hot labels: a few examples, each with its label y and its row of y_k, the
//! 10-column matrix the cost compares the network's outputs with.

use super::canvas::{fit_size, line_height, Align, Canvas, Rgb, MUTED, TEXT, WHITE};
use super::figure::Figure;
use super::images::image_canvas;
use crate::error::{NnError, Result};
use crate::lecture::data::{label_to_digit, Dataset};

const ONE: Rgb = [31, 119, 180];
const GRID: Rgb = [200, 200, 200];

/// Where the y_k cells go, for the tests: cell (i, k) of example i (0-based in `rows`) and
/// column k has its top-left corner at (`cells_x + k * cell`, `top + i * row_h`).
#[derive(Clone, Debug)]
pub(crate) struct OneHotLayout {
    pub cells_x: usize,
    pub top: usize,
    pub cell: usize,
    pub row_h: usize,
    pub width: usize,
    pub height: usize,
}

/// The most examples [`one_hot_labels`] draws.
pub const MAX_ONE_HOT_ROWS: usize = 12;

pub(crate) fn one_hot_layout(k: usize, n: usize) -> OneHotLayout {
    let cell = if k <= 12 { 44 } else { (560 / k.max(1)).max(8) };
    let cells_x = 250;
    let top = 118;
    let row_h = 50;
    OneHotLayout { cells_x, top, cell, row_h, width: (cells_x + k * cell + 30).max(600), height: top + n * row_h + 40 }
}

/// One-hot labels as a picture: for each example in `rows` (row numbers of `data`, at most
/// 12), its image, its label y and its row of `y_k`: K cells (K = the number of labels),
/// one per output unit, all 0 but a 1 in column `y - 1` (0-based, as `y_k[[i, y - 1]]` in
/// Rust). Above the columns, each column's index, the label it stands for and, for the ten
/// digits, the digit: label 10, the digit 0, is the last column, 9.
///
/// Errors: no rows, more than 12, or a row past the end of `data`.
///
/// ```
/// use nn_core::prelude::*;
/// let x = ndarray::Array2::from_shape_fn((10, 400), |(i, j)| ((i + j) % 5) as f64 / 5.0);
/// let data = Dataset::new(x, ndarray::Array1::from_iter(1..=10), 10).unwrap();
/// let fig = viz::one_hot_labels(&data, &[0, 4, 9]).unwrap();
/// assert!(fig.width() <= 900);
/// assert!(viz::one_hot_labels(&data, &[10]).is_err());
/// ```
pub fn one_hot_labels(data: &Dataset, rows: &[usize]) -> Result<Figure> {
    if rows.is_empty() || rows.len() > MAX_ONE_HOT_ROWS {
        return Err(NnError::InvalidArgument {
            name: "rows",
            reason: format!("give 1 to {MAX_ONE_HOT_ROWS} example numbers, not {}", rows.len()),
        });
    }
    if let Some(&bad) = rows.iter().find(|&&r| r >= data.len()) {
        return Err(NnError::InvalidArgument {
            name: "rows",
            reason: format!("example {bad} does not exist: the data has {} examples (0..{})", data.len(), data.len()),
        });
    }
    let k = data.num_labels();
    let side = (data.num_features() as f64).sqrt().round() as usize;
    let lay = one_hot_layout(k, rows.len());
    let mut c = Canvas::new(lay.width, lay.height, WHITE);
    let title = "One-hot labels: row i of y_k is all 0 but a 1 in column y(i) − 1";
    let ts = fit_size(title, 18.0, 12.0, lay.width as f32 - 20.0);
    c.text(title, lay.width as f32 / 2.0, 8.0, ts, TEXT, Align::Center);

    // Column heads: index (as in y_k[[i, col]]), the label, the digit.
    let heads_y = (lay.top - 62) as f32;
    c.text("column of y_k", lay.cells_x as f32 - 12.0, heads_y, 12.0, TEXT, Align::Right);
    c.text("label y", lay.cells_x as f32 - 12.0, heads_y + line_height(12.0), 12.0, MUTED, Align::Right);
    if k == 10 {
        c.text("digit", lay.cells_x as f32 - 12.0, heads_y + 2.0 * line_height(12.0), 12.0, MUTED, Align::Right);
    }
    for col in 0..k {
        let cx = (lay.cells_x + col * lay.cell + lay.cell / 2) as f32;
        let fs = fit_size(&col.to_string(), 13.0, 7.0, lay.cell as f32 - 2.0);
        c.text(&col.to_string(), cx, heads_y, fs, TEXT, Align::Center);
        let ls = fit_size(&(col + 1).to_string(), 12.0, 7.0, lay.cell as f32 - 2.0);
        c.text(&(col + 1).to_string(), cx, heads_y + line_height(12.0), ls, MUTED, Align::Center);
        if k == 10 {
            c.text(
                &label_to_digit(col + 1).to_string(),
                cx,
                heads_y + 2.0 * line_height(12.0),
                12.0,
                MUTED,
                Align::Center,
            );
        }
    }

    for (i, &r) in rows.iter().enumerate() {
        let y0 = lay.top + i * lay.row_h;
        let label = data.y()[r];
        // The image, enlarged to about 40 px.
        if side * side == data.num_features() && side > 0 {
            let img = image_canvas(data.x().row(r), side).scaled((40 / side).max(1));
            c.blit(&img, 20, y0 as i64 + (lay.cell as i64 - img.h as i64) / 2);
        }
        let digit = if k == 10 { format!(" (digit {})", label_to_digit(label)) } else { String::new() };
        let text = format!("example {r}: y = {label}{digit}");
        let ts = fit_size(&text, 13.0, 9.0, (lay.cells_x - 80) as f32);
        c.text(&text, 70.0, y0 as f32 + lay.cell as f32 / 2.0 - line_height(ts) / 2.0, ts, TEXT, Align::Left);
        for col in 0..k {
            let x0 = lay.cells_x + col * lay.cell;
            let on = col + 1 == label;
            c.fill_rect(x0 as i64, y0 as i64, lay.cell, lay.cell, if on { ONE } else { WHITE });
            c.stroke_rect(x0 as i64, y0 as i64, lay.cell + 1, lay.cell + 1, 1, GRID);
            let v = if on { "1" } else { "0" };
            let fs = (lay.cell as f32 * 0.4).min(16.0);
            let cy = y0 as f32 + lay.cell as f32 / 2.0 - line_height(fs) / 2.0;
            c.text(v, (x0 + lay.cell / 2) as f32, cy, fs, if on { WHITE } else { [150, 150, 150] }, Align::Center);
        }
    }
    let cap = "in Rust: y_k[[i, y[i] - 1]] = 1.0 (labels are 1..=10; column y - 1 because Rust counts from 0)";
    let cs = fit_size(cap, 12.0, 9.0, lay.width as f32 - 20.0);
    c.text(cap, lay.width as f32 / 2.0, lay.height as f32 - 26.0, cs, MUTED, Align::Center);
    Figure::from_canvas(&c, None)
}
