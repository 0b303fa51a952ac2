//! Unrolling: every Theta laid out column by column (MATLAB's `Theta(:)`) into the one
//! parameter vector the optimizer and the gradient check work on.

use super::canvas::{fit_size, line_height, Align, Canvas, MUTED, PALETTE, TEXT, WHITE};
use super::figure::Figure;
use super::images::lerp;
use crate::error::Result;
use crate::lecture::network::check_layer_sizes;

/// One drawn cell of a Theta: (row, col) in that Theta, 0-based, and its place in the
/// unrolled vector.
#[derive(Clone, Copy, Debug, PartialEq)]
pub(crate) struct UnrolledCell {
    pub row: usize,
    pub col: usize,
    pub index: usize,
    pub x: usize,
    pub y: usize,
}

#[derive(Clone, Debug)]
pub(crate) struct ThetaBlock {
    pub rows: usize,
    pub cols: usize,
    /// Its entries' range in the unrolled vector.
    pub start: usize,
    pub end: usize,
    pub cells: Vec<UnrolledCell>,
    pub x: usize,
    /// The columns drawn (a gap of dots before `col` where columns are left out).
    pub shown_cols: Vec<usize>,
}

#[derive(Clone, Debug)]
pub(crate) struct UnrollLayout {
    pub blocks: Vec<ThetaBlock>,
    pub cell_w: usize,
    pub cell_h: usize,
    pub top: usize,
    pub width: usize,
    pub height: usize,
}

/// Columns or rows drawn of `n`: all up to `max`, else the first `max - 2`, a gap, the last.
fn shown(n: usize, max: usize) -> Vec<usize> {
    if n <= max {
        (0..n).collect()
    } else {
        (0..max - 2).chain([n - 1]).collect()
    }
}

pub(crate) fn unroll_layout(sizes: &[usize]) -> UnrollLayout {
    let (cell_w, cell_h, top) = (46usize, 20usize, 96usize);
    // A small network (the 3-5-3 debug one: 4 + 6 columns) is drawn whole.
    let all_cols: usize = sizes.windows(2).map(|w| w[0] + 1).sum();
    let max_cols = if all_cols <= 12 {
        all_cols
    } else if sizes.len() > 3 {
        3
    } else {
        4
    };
    let mut blocks = Vec::new();
    let mut start = 0;
    let mut x = 30;
    let mut tallest = 0;
    for w in sizes.windows(2) {
        let (rows, cols) = (w[1], w[0] + 1);
        let shown_cols = shown(cols, max_cols);
        let shown_rows = shown(rows, 5);
        let mut cells = Vec::new();
        let mut cx = x;
        for (ci, &col) in shown_cols.iter().enumerate() {
            if ci > 0 && col != shown_cols[ci - 1] + 1 {
                cx += cell_w / 2 + 6;
            }
            let mut cy = top;
            for (ri, &row) in shown_rows.iter().enumerate() {
                if ri > 0 && row != shown_rows[ri - 1] + 1 {
                    cy += cell_h;
                }
                cells.push(UnrolledCell { row, col, index: start + col * rows + row, x: cx, y: cy });
                cy += cell_h;
            }
            tallest = tallest.max(cy);
            cx += cell_w + 6;
        }
        blocks.push(ThetaBlock { rows, cols, start, end: start + rows * cols, cells, x, shown_cols });
        start += rows * cols;
        x = cx + 40;
    }
    let width = (x - 10).max(640);
    UnrollLayout { blocks, cell_w, cell_h, top, width, height: tallest + 150 }
}

/// How the Thetas become one vector: `[Theta1(:); Theta2(:)]` in MATLAB, `net.unroll()`
/// here, column by column (each column's rows top to bottom, then the next column), and
/// one Theta after the other. Each Theta is drawn as a few of its columns (column 0, the
/// bias column, first), every drawn entry with its index in the unrolled vector; under
/// them, the vector with each Theta's index range. For the 400-25-10 network: Theta1
/// (25 x 401) is entries 0..10025 (its column 0 is 0..25, column 1 is 25..50), Theta2
/// (10 x 26) is 10025..10285. `Network::reroll(&params, &sizes)` undoes it.
///
/// ```
/// let fig = nn_core::viz::unrolling(&[400, 25, 10]).unwrap();
/// assert!(fig.width() <= 900);
/// assert!(nn_core::viz::unrolling(&[3]).is_err());
/// ```
pub fn unrolling(sizes: &[usize]) -> Result<Figure> {
    check_layer_sizes(sizes)?;
    let lay = unroll_layout(sizes);
    let mut c = Canvas::new(lay.width, lay.height, WHITE);
    let total = lay.blocks.last().map_or(0, |b| b.end);
    let title = format!("Unrolling: the Thetas, column by column, into one vector of {total} parameters");
    let ts = fit_size(&title, 18.0, 12.0, lay.width as f32 - 20.0);
    c.text(&title, lay.width as f32 / 2.0, 8.0, ts, TEXT, Align::Center);
    let bar_y = lay.height - 92;
    let bar_x0 = 30usize;
    let bar_w = lay.width - 60;
    for (l, b) in lay.blocks.iter().enumerate() {
        let colour = PALETTE[l % PALETTE.len()];
        let light = lerp(WHITE, colour, 0.22);
        let head = format!("Theta{} ({} x {}): entries {}..{}", l + 1, b.rows, b.cols, b.start, b.end);
        let right = b.cells.iter().map(|c| c.x + lay.cell_w).max().unwrap_or(b.x);
        let hs = fit_size(&head, 14.0, 9.0, (right - b.x + 30) as f32);
        c.text(&head, b.x as f32, 40.0, hs, colour, Align::Left);
        for &col in &b.shown_cols {
            let x = b.cells.iter().find(|c| c.col == col).map_or(b.x, |c| c.x);
            let name = if col == 0 { "col 0 (bias)".to_string() } else { format!("col {col}") };
            let ns = fit_size(&name, 11.0, 8.0, lay.cell_w as f32 + 4.0);
            c.text(&name, (x + lay.cell_w / 2) as f32, (lay.top - 20) as f32, ns, MUTED, Align::Center);
        }
        for cell in &b.cells {
            c.fill_rect(cell.x as i64, cell.y as i64, lay.cell_w, lay.cell_h, light);
            c.stroke_rect(cell.x as i64, cell.y as i64, lay.cell_w, lay.cell_h + 1, 1, WHITE);
            let t = cell.index.to_string();
            let fs = fit_size(&t, 12.0, 8.0, lay.cell_w as f32 - 4.0);
            let cy = cell.y as f32 + lay.cell_h as f32 / 2.0 - line_height(fs) / 2.0;
            c.text(&t, (cell.x + lay.cell_w / 2) as f32, cy, fs, TEXT, Align::Center);
        }
        // Dots where rows or columns are left out.
        let dot = |c: &mut Canvas, x: f32, y: f32, across: bool| {
            for k in [-1.0f32, 0.0, 1.0] {
                let (dx, dy) = if across { (k * 5.0, 0.0) } else { (0.0, k * 5.0) };
                c.disc(x + dx, y + dy, 1.6, TEXT);
            }
        };
        for w in b.cells.windows(2) {
            if w[0].col == w[1].col && w[1].row != w[0].row + 1 {
                dot(&mut c, (w[0].x + lay.cell_w / 2) as f32, (w[0].y + lay.cell_h + lay.cell_h / 2) as f32, false);
            }
            if w[1].col != w[0].col && w[1].col != w[0].col + 1 && w[0].row == b.rows - 1 {
                let mid_y = lay.top + 2 * lay.cell_h;
                dot(&mut c, (w[0].x + lay.cell_w + 3 + (lay.cell_w / 2 + 6) / 2) as f32, mid_y as f32, true);
            }
        }
        // This Theta's part of the vector, to scale.
        let x0 = bar_x0 + (b.start as f64 / total as f64 * bar_w as f64).round() as usize;
        let x1 = bar_x0 + (b.end as f64 / total as f64 * bar_w as f64).round() as usize;
        c.fill_rect(x0 as i64, bar_y as i64, (x1 - x0).max(2), 22, colour);
        let label = format!("Theta{}: {}..{}", l + 1, b.start, b.end);
        let ly = (bar_y + 26 + l * line_height(13.0).ceil() as usize) as f32;
        let (lx, align) = if l == 0 { (x0 as f32, Align::Left) } else { (x1 as f32, Align::Right) };
        c.text(&label, lx, ly, 13.0, colour, align);
    }
    c.text("the unrolled vector, to scale:", bar_x0 as f32, bar_y as f32 - 20.0, 12.0, MUTED, Align::Left);
    let cap = "MATLAB [Theta1(:); Theta2(:)] = net.unroll(); Network::reroll(&params, &sizes) folds it back";
    let cs = fit_size(cap, 12.0, 9.0, lay.width as f32 - 20.0);
    c.text(cap, lay.width as f32 / 2.0, lay.height as f32 - 22.0, cs, MUTED, Align::Center);
    Figure::from_canvas(&c, None)
}
