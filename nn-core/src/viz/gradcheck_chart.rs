//! The gradient check as a chart: numerical against backpropagation, per parameter.

use plotters::prelude::*;

use super::canvas::{text_width, FAMILY, PALETTE};
use super::figure::Figure;
use super::{fmt_lambda, fmt_num, fmt_sci};
use crate::error::{NnError, Result};
use crate::lecture::gradcheck::{GradCheckReport, PASS_THRESHOLD};
use crate::lecture::network::param_count;

use super::chart_kit::*;
// (plotters' prelude has one too)

/// A gradient check report that can be drawn: one numerical and one analytical value per
/// parameter of its layer sizes, all finite.
pub(crate) fn check_report(report: &GradCheckReport) -> Result<()> {
    let n = report.numerical.len();
    if n == 0 {
        return Err(NnError::InvalidArgument { name: "report", reason: "the report has no parameters".into() });
    }
    if report.sizes.len() < 2 || param_count(&report.sizes) != n || report.analytical.len() != n {
        return Err(NnError::Shape {
            what: "gradient check report".into(),
            expected: format!(
                "numerical and analytical of {} entries each (layer sizes {:?})",
                param_count(&report.sizes),
                report.sizes
            ),
            got: format!("{} numerical, {} analytical", n, report.analytical.len()),
        });
    }
    check_finite("numerical gradient", report.numerical.iter().copied())?;
    check_finite("analytical gradient", report.analytical.iter().copied())
}

/// The gradient check as a picture, one colour per Theta. Left: backpropagation
/// against finite differences for every parameter; a correct gradient puts every
/// point on the diagonal. Right: |numerical - backprop| per parameter in
/// unrolled order (log scale), so a wrong block stands out as a raised band.
/// The legend gives each Theta's relative difference and verdict. Also SVG.
///
/// ```
/// let report = nn_core::check_nn_gradients(&nn_core::nn_cost_function, 0.0).unwrap();
/// let fig = nn_core::viz::gradient_check(&report).unwrap();
/// assert!(fig.width() > fig.height());
/// ```
pub fn gradient_check(report: &GradCheckReport) -> Result<Figure> {
    check_report(report)?;
    let n = report.numerical.len();
    let entries = report.entries();
    let layers = report.sizes.len() - 1;
    let color = |layer: usize| PALETTE[(layer - 1) % PALETTE.len()];

    // Left: analytical vs numerical.
    let (lo, hi) = entries
        .iter()
        .flat_map(|e| [e.numerical, e.analytical])
        .fold((f64::INFINITY, f64::NEG_INFINITY), |(a, b), v| (a.min(v), b.max(v)));
    let pad = ((hi - lo) * 0.06).max(1e-12);
    let (lo, hi) = if hi - lo < 1e-12 { (lo - 1.0, hi + 1.0) } else { (lo - pad, hi + pad) };
    let ticks = nice_ticks(lo, hi, 5);
    let scatter: Vec<Series> = (1..=layers)
        .map(|l| Series {
            color: color(l),
            points: entries.iter().filter(|e| e.layer == l).map(|e| (e.numerical, e.analytical)).collect(),
            markers: true,
        })
        .collect();
    let fmt = |v: f64| fmt_num(v);
    let left_axes = Axes {
        x: (lo, hi),
        y: (lo, hi),
        x_ticks: ticks.clone(),
        y_ticks: ticks,
        x_label: &fmt,
        y_label: &fmt,
        x_desc: "numerical (finite differences)".into(),
        y_desc: "analytical (backpropagation)".into(),
    };

    // Right: |difference| per parameter, log scale.
    let floor = 1e-16;
    let diffs: Vec<f64> = entries.iter().map(|e| e.abs_difference().max(floor)).collect();
    let (dlo, dhi) = diffs.iter().fold((f64::INFINITY, f64::NEG_INFINITY), |(a, b), &v| (a.min(v), b.max(v)));
    let (dlo, dhi) = (dlo.log10().floor() - 0.3, dhi.log10().ceil() + 0.3);
    let diff_series: Vec<Series> = (1..=layers)
        .map(|l| Series {
            color: color(l),
            points: entries
                .iter()
                .zip(&diffs)
                .filter(|(e, _)| e.layer == l)
                .map(|(e, d)| ((e.index + 1) as f64, d.log10()))
                .collect(),
            markers: true,
        })
        .collect();
    let mut bounds = Vec::new();
    let mut offset = 0usize;
    for w in report.sizes.windows(2) {
        offset += w[1] * (w[0] + 1);
        bounds.push(offset as f64 + 0.5);
    }
    bounds.pop();
    let dfmt = |v: f64| fmt_num(10f64.powf(v));
    let ifmt = |v: f64| fmt_num(v);
    let right_axes = Axes {
        x: (0.5, n as f64 + 0.5),
        y: (dlo, dhi),
        x_ticks: nice_ticks(1.0, n as f64, 6).into_iter().filter(|v| *v >= 1.0).collect(),
        y_ticks: log_ticks(dlo, dhi),
        x_label: &ifmt,
        y_label: &dfmt,
        x_desc: "parameter (unrolled order)".into(),
        y_desc: "|numerical − analytical|".into(),
    };

    let items: Vec<LegendItem> = (1..=layers)
        .map(|l| {
            let d = report.per_theta.get(l - 1).copied().unwrap_or(f64::NAN);
            let ok = d < PASS_THRESHOLD;
            LegendItem {
                color: color(l),
                marker: true,
                line: format!("Theta{l} ({}x{})", report.sizes[l], report.sizes[l - 1] + 1),
                detail: Some((
                    format!("relative difference {} {}", fmt_sci(d), if ok { "ok" } else { "WRONG" }),
                    if ok { RGBColor(0, 120, 40) } else { RGBColor(200, 20, 20) },
                )),
            }
        })
        .collect();
    let legend_w = legend_width(&items);
    // At most 900 px wide, so that it stays legible where a notebook is shown 900 px wide.
    let (w, h) = (800u32.saturating_sub(legend_w).max(560) + legend_w, legend_height(&items).max(440));
    let verdict = if report.passed() {
        "below 1e-9: backpropagation is correct"
    } else {
        "NOT below 1e-9: check backpropagation"
    };
    let title = format!(
        "Gradient check, {:?} network, λ = {}: relative difference {}, {verdict}",
        report.sizes,
        fmt_lambda(report.lambda),
        fmt_sci(report.relative_difference)
    );
    let title_color = if report.passed() { INK } else { RGBColor(200, 20, 20) };
    let title_size = if text_width(&title, 17.0) > (w - 20) as f32 { 14 } else { 17 };
    macro_rules! body {
        ($root:expr) => {{
            let root = $root;
            let body = root.titled(&title, (FAMILY, title_size).into_font().color(&title_color)).map_err(err)?;
            let (plots, legend) = body.split_horizontally(w - legend_w);
            let (left, right) = plots.split_horizontally((w - legend_w) / 2);
            let diagonal = [[(lo, lo), (hi, hi)]];
            let layer_bounds: Vec<[(f64, f64); 2]> = bounds.iter().map(|&b| [(b, dlo), (b, dhi)]).collect();
            draw_scatter(&left, &left_axes, &diagonal, &scatter, 4)?;
            draw_scatter(&right, &right_axes, &layer_bounds, &diff_series, 3)?;
            draw_legend(&legend, &items, 24)
        }};
    }
    render(w, h, |r| body!(r), |r| body!(r))
}
