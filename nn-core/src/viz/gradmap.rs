//! The gradient check as a map: |numerical - backprop| for every entry of every Theta,
//! laid out as the matrix, on one logarithmic colour scale.

use super::canvas::{fit_size, line_height, Align, Canvas, Rgb, GREEN, RED, TEXT, WHITE};
use super::figure::Figure;
use super::{fmt_lambda, fmt_sci};
use crate::error::Result;
use crate::lecture::gradcheck::{GradCheckReport, PASS_THRESHOLD};

/// Stops of the colour map (after matplotlib's inferno): dark for agreement, bright
/// yellow for a large difference.
const STOPS: [(f64, Rgb); 6] = [
    (0.0, [0, 0, 4]),
    (0.2, [50, 10, 94]),
    (0.4, [120, 28, 109]),
    (0.6, [188, 55, 84]),
    (0.8, [245, 125, 21]),
    (1.0, [252, 255, 164]),
];

/// The colour of `t` in 0..=1.
pub(crate) fn inferno(t: f64) -> Rgb {
    let t = if t.is_finite() { t.clamp(0.0, 1.0) } else { 0.0 };
    for w in STOPS.windows(2) {
        let ((a, ca), (b, cb)) = (w[0], w[1]);
        if t <= b {
            let u = (t - a) / (b - a);
            return [0, 1, 2].map(|k| (ca[k] as f64 + (cb[k] as f64 - ca[k] as f64) * u).round() as u8);
        }
    }
    STOPS[STOPS.len() - 1].1
}

/// Where each Theta's heatmap goes.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct MapBlock {
    /// 1 for Theta1.
    pub layer: usize,
    pub rows: usize,
    pub cols: usize,
    /// Top-left corner of cell [[0, 0]].
    pub x: usize,
    pub y: usize,
    pub cell: usize,
}

impl MapBlock {
    /// The rectangle of cell (row, col), 0-based: (x, y, size).
    pub fn cell_rect(&self, row: usize, col: usize) -> (usize, usize, usize) {
        (self.x + col * self.cell, self.y + row * self.cell, self.cell)
    }
}

/// The layout of [`gradient_check_map`]: each block, the colour bar, the canvas size.
#[derive(Clone, Debug)]
pub(crate) struct MapLayout {
    pub blocks: Vec<MapBlock>,
    pub bar_x: usize,
    pub bar_y: usize,
    pub bar_h: usize,
    pub width: usize,
    pub height: usize,
}

const LEFT: usize = 44;
const TOP: usize = 64;
const HEAD: usize = 54;
const GAP: usize = 56;
const BAR_W: usize = 22;

pub(crate) fn map_layout(sizes: &[usize]) -> MapLayout {
    let shapes: Vec<(usize, usize)> = sizes.windows(2).map(|w| (w[1], w[0] + 1)).collect();
    // One cell size for all blocks, so the Thetas compare; the widest fits ~760 px.
    let total_cols: usize = shapes.iter().map(|s| s.1).sum();
    let max_rows = shapes.iter().map(|s| s.0).max().unwrap_or(1);
    let side_by_side = total_cols * 8 + GAP * shapes.len() <= 760;
    let cell = if side_by_side {
        ((760 - GAP * shapes.len()) / total_cols.max(1)).min(360 / max_rows.max(1)).clamp(2, 46)
    } else {
        (760 / shapes.iter().map(|s| s.1).max().unwrap_or(1)).min(300 / max_rows.max(1)).clamp(1, 46)
    };
    let mut blocks = Vec::new();
    let (mut x, mut y) = (LEFT, TOP + HEAD);
    let mut right = 0usize;
    let mut bottom = 0usize;
    for (l, &(rows, cols)) in shapes.iter().enumerate() {
        blocks.push(MapBlock { layer: l + 1, rows, cols, x, y, cell });
        right = right.max(x + cols * cell);
        bottom = bottom.max(y + rows * cell);
        if side_by_side {
            x += cols * cell + GAP + LEFT / 2;
        } else {
            y += rows * cell + HEAD + 40;
        }
    }
    let bar_x = right.max(420) + 40;
    let bar_h = (bottom - (TOP + HEAD)).max(200);
    MapLayout {
        blocks,
        bar_x,
        bar_y: TOP + HEAD,
        bar_h,
        width: bar_x + BAR_W + 90,
        height: TOP + HEAD + bar_h.max(bottom - TOP - HEAD) + 80,
    }
}

/// The colour scale: log10 of the lowest and highest |difference| it spans. The top is
/// at least 1e-6, so a correct backpropagation (differences near 1e-11) stays dark; the
/// range is at most 12 decades, at least 2.
pub(crate) fn map_range(diffs: impl Iterator<Item = f64>) -> (f64, f64) {
    let (mut lo, mut hi) = (f64::INFINITY, 0.0f64);
    for d in diffs {
        if d > 0.0 {
            lo = lo.min(d);
        }
        hi = hi.max(d);
    }
    let top = hi.max(1e-6).log10().ceil();
    let bottom = if lo.is_finite() { lo.log10().floor() } else { top - 12.0 };
    let bottom = bottom.max(top - 12.0).max(-16.0).min(top - 2.0);
    (bottom, top)
}

/// |numerical − backprop| for every entry of every Theta, drawn as the matrices
/// themselves (one heatmap per Theta, rows and columns numbered from 0 as in Rust's
/// `theta[[row, col]]`, column 0 the bias column), on one shared logarithmic colour scale with its legend. A mistake
/// confined to part of the gradient shows as a bright patch: a regularized bias column
/// is a bright first column, a transposed or wrongly indexed delta a bright stripe or
/// block. The scale's top is at least 1e-6, so a correct gradient is dark all over.
///
/// ```
/// use nn_core::prelude::*;
/// let report = check_nn_gradients(&nn_cost_function, 3.0).unwrap();
/// let map = viz::gradient_check_map(&report).unwrap();
/// assert!(map.width() > map.height());
/// ```
pub fn gradient_check_map(report: &GradCheckReport) -> Result<Figure> {
    super::gradcheck_chart::check_report(report)?;
    let entries = report.entries();
    let (lo, hi) = map_range(entries.iter().map(|e| e.abs_difference()));
    let t_of = |d: f64| if d <= 0.0 { 0.0 } else { (d.log10() - lo) / (hi - lo) };
    let layout = map_layout(&report.sizes);
    let mut c = Canvas::new(layout.width, layout.height, WHITE);

    let verdict =
        if report.passed() { "backpropagation agrees" } else { "backpropagation is WRONG where it is bright" };
    let title =
        format!("Gradient check map, λ = {}: |numerical − backprop| per entry ({verdict})", fmt_lambda(report.lambda));
    let ts = fit_size(&title, 18.0, 12.0, layout.width as f32 - 20.0);
    c.text(&title, layout.width as f32 / 2.0, 10.0, ts, if report.passed() { TEXT } else { RED }, Align::Center);
    let sub = format!(
        "relative difference {} (the course's bar: below 1e-9) · rows and columns as in each Theta, from 0 · column 0 multiplies the bias",
        fmt_sci(report.relative_difference)
    );
    let ss = fit_size(&sub, 13.0, 9.0, layout.width as f32 - 20.0);
    c.text(&sub, layout.width as f32 / 2.0, 10.0 + line_height(ts) + 2.0, ss, [90, 90, 90], Align::Center);

    for b in &layout.blocks {
        let rel = report.per_theta.get(b.layer - 1).copied().unwrap_or(f64::NAN);
        let ok = rel < PASS_THRESHOLD;
        let head = format!("Theta{} ({}x{})", b.layer, b.rows, b.cols);
        let hy = (b.y - HEAD) as f32 + 2.0;
        c.text(&head, b.x as f32, hy, 15.0, TEXT, Align::Left);
        let detail = format!("relative difference {} {}", fmt_sci(rel), if ok { "ok" } else { "WRONG" });
        let ds = fit_size(&detail, 13.0, 9.0, (b.cols * b.cell).max(200) as f32);
        c.text(&detail, b.x as f32, hy + line_height(15.0), ds, if ok { GREEN } else { RED }, Align::Left);
        let label_size = if b.cell >= 20 { 12.0 } else { 10.0 };
        let label_every = if b.cell >= 16 { 1 } else { (16 / b.cell.max(1)).max(1) * 5 };
        for e in entries.iter().filter(|e| e.layer == b.layer) {
            let (x, y, s) = b.cell_rect(e.row, e.col);
            let d = e.abs_difference();
            let t = t_of(d);
            c.fill_rect(x as i64, y as i64, s, s, inferno(t));
            if s >= 36 {
                let txt = if d == 0.0 { "0".to_string() } else { format!("{d:.0e}") };
                let ink = if t > 0.62 { [20, 20, 20] } else { [235, 235, 235] };
                let fs = fit_size(&txt, 10.0, 7.0, s as f32 - 4.0);
                c.text(&txt, (x + s / 2) as f32, (y + s / 2) as f32 - line_height(fs) / 2.0, fs, ink, Align::Center);
            }
        }
        // Thin grid lines between cells when they are large enough to see.
        if b.cell >= 10 {
            for r in 0..=b.rows {
                c.fill_rect(b.x as i64, (b.y + r * b.cell) as i64, b.cols * b.cell, 1, WHITE);
            }
            for col in 0..=b.cols {
                c.fill_rect((b.x + col * b.cell) as i64, b.y as i64, 1, b.rows * b.cell, WHITE);
            }
        }
        // Row numbers on the left, column numbers above (0-based, as `theta[[row, col]]` in Rust).
        for r in (0..b.rows).filter(|r| r % label_every == 0) {
            let (_, y, s) = b.cell_rect(r, 0);
            let lh = line_height(label_size);
            c.text(&r.to_string(), b.x as f32 - 5.0, (y + s / 2) as f32 - lh / 2.0, label_size, TEXT, Align::Right);
        }
        for col in (0..b.cols).filter(|col| col % label_every == 0) {
            let (x, _, s) = b.cell_rect(0, col);
            let lh = line_height(label_size);
            c.text(&col.to_string(), (x + s / 2) as f32, b.y as f32 - lh - 1.0, label_size, TEXT, Align::Center);
        }
        let (bx, _, s) = b.cell_rect(b.rows - 1, 0);
        let by = b.y + b.rows * b.cell + 3;
        c.text("bias", (bx + s / 2).max(b.x + 12) as f32, by as f32, 11.0, [90, 90, 90], Align::Center);
        if b.cols * b.cell >= 150 || b.cell >= 20 {
            let lines =
                [format!("rows: units of layer {}", b.layer + 1), format!("columns: bias, then layer {}", b.layer)];
            for (k, t) in lines.iter().enumerate() {
                c.text(t, b.x as f32, by as f32 + (k + 1) as f32 * line_height(11.0), 11.0, [90, 90, 90], Align::Left);
            }
        }
    }

    // The colour bar: top is hi, bottom lo, a tick per decade (every k-th if many).
    let (bx, by, bh) = (layout.bar_x, layout.bar_y, layout.bar_h);
    for yy in 0..bh {
        let t = 1.0 - yy as f64 / (bh - 1).max(1) as f64;
        c.fill_rect(bx as i64, (by + yy) as i64, BAR_W, 1, inferno(t));
    }
    c.stroke_rect(bx as i64, by as i64, BAR_W, bh, 1, [90, 90, 90]);
    let decades = (hi - lo).round() as i64;
    let step = if decades > 8 { 2 } else { 1 };
    for k in (0..=decades).filter(|k| k % step == 0) {
        let v = lo + k as f64;
        let yy = by as f64 + (1.0 - k as f64 / decades as f64) * (bh - 1) as f64;
        c.fill_rect((bx + BAR_W) as i64, yy.round() as i64, 5, 1, TEXT);
        c.text(
            &format!("1e{}", v as i64),
            (bx + BAR_W + 8) as f32,
            yy as f32 - line_height(12.0) / 2.0,
            12.0,
            TEXT,
            Align::Left,
        );
    }
    let cap_y = (by + bh + 8) as f32;
    c.text("|numerical − backprop|", (bx + BAR_W / 2) as f32, cap_y, 12.0, TEXT, Align::Center);
    c.text("(log scale)", (bx + BAR_W / 2) as f32, cap_y + line_height(12.0), 11.0, [90, 90, 90], Align::Center);
    Figure::from_canvas(&c, None)
}
