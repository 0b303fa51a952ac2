//! The Theta index convention: which two units `theta1[[j, i]]` connects, in Rust's
//! 0-based indexing and in the handout's 1-based one.

use super::canvas::{fit_size, line_height, Align, Canvas, Rgb, MUTED, PALETTE, RED, TEXT, WHITE};
use super::figure::Figure;
use super::images::lerp;
use super::network_diagram::BIAS;
use crate::error::{NnError, Result};
use crate::lecture::network::Network;

const BAND: Rgb = [222, 235, 247];

/// Where the matrix goes, for the tests: its rectangle and the entry's square.
#[derive(Clone, Debug)]
pub(crate) struct IndexLayout {
    pub mx: usize,
    pub my: usize,
    pub mw: usize,
    pub mh: usize,
    /// The highlighted entry's rectangle (x, y, w, h).
    pub entry: (usize, usize, usize, usize),
    pub width: usize,
    pub height: usize,
}

pub(crate) fn index_layout(rows: usize, cols: usize, row: usize, col: usize) -> IndexLayout {
    let (mx, my, mw, mh) = (70usize, 96usize, 430usize, 200usize);
    // Every column and row gets at least 8 px where the matrix is small; a large one is
    // drawn to scale with the entry at least 8 px wide.
    let cw = (mw as f64 / cols as f64).max(1e-9);
    let rh = (mh as f64 / rows as f64).max(1e-9);
    let (ew, eh) = ((cw.ceil() as usize).max(8), (rh.ceil() as usize).max(8));
    let ex = (mx as f64 + (col as f64 + 0.5) * cw - ew as f64 / 2.0).round().clamp(mx as f64, (mx + mw - ew) as f64);
    let ey = (my as f64 + (row as f64 + 0.5) * rh - eh as f64 / 2.0).round().clamp(my as f64, (my + mh - eh) as f64);
    IndexLayout { mx, my, mw, mh, entry: (ex as usize, ey as usize, ew, eh), width: 820, height: my + mh + 120 }
}

/// The numbers along one side of the matrix: 0, the entry's index `at` (red, at the
/// entry's centre `at_mid`) and the last, `n - 1`, each at the middle of its column (or
/// row) of a side `extent` long from `start`; a number closer than `min_gap` to the
/// entry's is left out.
fn axis_marks(at: usize, n: usize, at_mid: f32, start: f32, extent: f32, min_gap: f32) -> Vec<(f32, String, Rgb)> {
    let mut marks = Vec::new();
    for k in [0, at, n - 1] {
        if k == at {
            marks.push((at_mid, at.to_string(), RED));
            continue;
        }
        let pos = start + (k as f32 + 0.5) * extent / n as f32;
        if (pos - at_mid).abs() >= min_gap {
            marks.push((pos, k.to_string(), MUTED));
        }
    }
    marks
}

/// Which weight is `theta{layer}[[row, col]]`: the Theta drawn as a matrix (rows: the units
/// of layer `layer + 1`; columns: the bias, column 0, then the units of layer `layer`),
/// the entry marked, and beside it the two units it connects, with its value. The text
/// says both conventions: `theta1[[j, i]]` in Rust is the handout's `Theta1(j+1, i+1)`;
/// row j is hidden unit j; column i is column i of a(1) = [1 x], so i = 0 is the bias and
/// i >= 1 is pixel i - 1.
///
/// `layer` is 1 for Theta1. Errors name a layer, row or column that does not exist.
///
/// ```
/// use nn_core::prelude::*;
/// let net = Network::random(&[400, 25, 10], Init::default(), 0).unwrap();
/// let fig = viz::theta_index(&net, 1, 2, 0).unwrap();
/// assert!(fig.width() <= 900);
/// assert!(viz::theta_index(&net, 1, 25, 0).is_err());
/// ```
pub fn theta_index(network: &Network, layer: usize, row: usize, col: usize) -> Result<Figure> {
    let n = network.thetas().len();
    let theta = network.theta(layer).ok_or_else(|| NnError::InvalidArgument {
        name: "layer",
        reason: format!("Theta{layer} does not exist: this network has Theta1..=Theta{n}"),
    })?;
    let (rows, cols) = theta.dim();
    if row >= rows || col >= cols {
        return Err(NnError::InvalidArgument {
            name: if row >= rows { "row" } else { "col" },
            reason: format!(
                "theta{layer}[[{row}, {col}]] is outside Theta{layer}, which is {rows} x {cols} (rows 0..{rows}, columns 0..{cols})"
            ),
        });
    }
    let value = theta[[row, col]];
    let lay = index_layout(rows, cols, row, col);
    let mut c = Canvas::new(lay.width, lay.height, WHITE);
    let title = format!(
        "theta{layer}[[{row}, {col}]] (Rust, from 0) = Theta{layer}({}, {}) (the handout, from 1) = {value:.4}",
        row + 1,
        col + 1
    );
    let ts = fit_size(&title, 17.0, 11.0, lay.width as f32 - 20.0);
    c.text(&title, lay.width as f32 / 2.0, 8.0, ts, TEXT, Align::Center);

    // The matrix: a light band along the entry's row and column, the bias column orange.
    let (mx, my, mw, mh) = (lay.mx as i64, lay.my as i64, lay.mw, lay.mh);
    let (ex, ey, ew, eh) = lay.entry;
    c.fill_rect(mx, my, mw, mh, [245, 245, 245]);
    let bias_w = ((mw as f64 / cols as f64).round() as usize).max(4);
    c.fill_rect(mx, ey as i64, mw, eh, BAND);
    c.fill_rect(ex as i64, my, ew, mh, BAND);
    c.fill_rect(mx, my, bias_w, mh, lerp(WHITE, BIAS, 0.45));
    c.fill_rect(ex as i64, ey as i64, ew, eh, RED);
    c.stroke_rect(mx, my, mw, mh, 1, MUTED);
    let name = format!("Theta{layer}: {rows} x {cols}");
    c.text(&name, (lay.mx + lay.mw / 2) as f32, (lay.my - 44) as f32, 14.0, TEXT, Align::Center);
    // Column numbers above, row numbers at the left (0, the entry's, the last).
    let ls = 11.0;
    for (x, text, colour) in axis_marks(col, cols, ex as f32 + ew as f32 / 2.0, lay.mx as f32, mw as f32, 28.0) {
        c.text(&text, x, (lay.my - 18) as f32, ls, colour, Align::Center);
    }
    for (y, text, colour) in axis_marks(row, rows, ey as f32 + eh as f32 / 2.0, lay.my as f32, mh as f32, 12.0) {
        c.text(&text, lay.mx as f32 - 6.0, y - line_height(ls) / 2.0, ls, colour, Align::Right);
    }
    c.text("column 0: bias", lay.mx as f32, (lay.my + lay.mh + 6) as f32, 11.0, BIAS, Align::Left);
    let rl = format!("rows: units of layer {}", layer + 1);
    c.text(&rl, (lay.mx + lay.mw) as f32, (lay.my + lay.mh + 6) as f32, 11.0, MUTED, Align::Right);

    // The two units and the weight between them.
    let (ax, bx, uy) = (590.0f32, 755.0f32, (lay.my + lay.mh / 2) as f32);
    let from_bias = col == 0;
    c.line((ax, uy), (bx, uy), 3.0, RED);
    c.disc(ax, uy, 16.0, if from_bias { BIAS } else { PALETTE[0] });
    c.disc(bx, uy, 16.0, PALETTE[0]);
    if from_bias {
        c.text("+1", ax, uy - line_height(12.0) / 2.0, 12.0, WHITE, Align::Center);
    }
    let v = format!("{value:.4}");
    c.text(&v, (ax + bx) / 2.0, uy - 8.0 - line_height(13.0), 13.0, RED, Align::Center);
    let from = if from_bias {
        format!("bias of layer {layer}")
    } else if layer == 1 {
        format!("pixel {} (a(1) col {col})", col - 1)
    } else {
        format!("unit {} of layer {layer}", col - 1)
    };
    let to = if layer == n {
        format!("output unit {row}")
    } else if layer == 1 {
        format!("hidden unit {row}")
    } else {
        format!("unit {row} of layer {}", layer + 1)
    };
    let fs = fit_size(&from, 12.0, 8.0, 150.0);
    c.text(&from, ax, uy + 22.0, fs, TEXT, Align::Center);
    let ts2 = fit_size(&to, 12.0, 8.0, 130.0);
    c.text(&to, bx, uy + 22.0, ts2, TEXT, Align::Center);
    c.text("from", ax, uy - 40.0, 11.0, MUTED, Align::Center);
    c.text("to", bx, uy - 40.0, 11.0, MUTED, Align::Center);

    let what_col = if from_bias {
        "the bias".to_string()
    } else if layer == 1 {
        format!("pixel {}", col - 1)
    } else {
        format!("unit {} of layer {layer}", col - 1)
    };
    let lines = [
        if layer == n {
            format!("row {row}: output unit {row} (column {row} of h: the output layer has no bias)")
        } else {
            format!(
                "row {row}: unit {row} of layer {} (column {} of a({}), after its bias)",
                layer + 1,
                row + 1,
                layer + 1
            )
        },
        format!("column {col}: column {col} of a({layer}) = [1  {}], {what_col}", if layer == 1 { "x" } else { "a" }),
        format!("the handout's Theta{layer}(j+1, i+1) is theta{layer}[[j, i]] in Rust: subtract 1 from both indices"),
    ];
    for (k, line) in lines.iter().enumerate() {
        let ls = fit_size(line, 13.0, 9.0, lay.width as f32 - 30.0);
        c.text(line, 20.0, (lay.height - 74) as f32 + k as f32 * line_height(14.0), ls, MUTED, Align::Left);
    }
    Figure::from_canvas(&c, None)
}
