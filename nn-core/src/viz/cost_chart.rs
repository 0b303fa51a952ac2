//! Cost per iteration: [`cost_curves`] (one or more trainings, or a lambda study), and the
//! fixed-axes curve canvas the explorers and animations draw frame by frame.

use plotters::coord::Shift;
use plotters::prelude::*;

use super::canvas::{register_plotters_font, Canvas, CanvasBackend, Rgb, PALETTE};
use super::figure::Figure;
use super::{fmt_lambda, fmt_num};
use crate::error::{NnError, Result};
use crate::optim::History;
use crate::train::LambdaStudy;

// DrawResult by name: plotters' prelude has one too.
use super::chart_kit::DrawResult;
use super::chart_kit::*;

/// What [`cost_curves`] draws: labelled training histories.
pub trait Curves {
    /// Each run's label and history.
    fn curves(&self) -> Vec<(String, &History)>;
}

impl<S: AsRef<str>> Curves for [(S, &History)] {
    fn curves(&self) -> Vec<(String, &History)> {
        self.iter().map(|(label, h)| (label.as_ref().to_string(), *h)).collect()
    }
}

impl<S: AsRef<str>, const N: usize> Curves for [(S, &History); N] {
    fn curves(&self) -> Vec<(String, &History)> {
        self[..].curves()
    }
}

impl<S: AsRef<str>> Curves for Vec<(S, &History)> {
    fn curves(&self) -> Vec<(String, &History)> {
        self[..].curves()
    }
}

impl Curves for LambdaStudy {
    /// One curve per lambda, labelled `λ = ...`.
    fn curves(&self) -> Vec<(String, &History)> {
        self.results.iter().map(|r| (format!("λ = {}", fmt_lambda(r.lambda)), &r.trained.history)).collect()
    }
}

/// Cost J per iteration for one or more training runs, overlaid, each with its
/// label and final cost in a legend beside the plot. Iteration 0 is the cost at
/// the initial weights. When the costs span more than a factor 20 the cost axis
/// is logarithmic (and says so), so the late iterations stay visible.
/// Also available as SVG ([`Figure::svg`]).
///
/// ```
/// use nn_core::{viz, optim::{History, StopReason}};
/// let h = |c: &[f64]| History {
///     costs: c.to_vec(), initial_cost: 7.0, evaluations: 0,
///     elapsed: Default::default(), stop_reason: StopReason::IterationLimit,
/// };
/// let (a, b) = (h(&[3.0, 1.0, 0.5, 0.4]), h(&[3.5, 1.5, 1.0, 0.9]));
/// let fig = viz::cost_curves(&[("λ = 0", &a), ("λ = 3", &b)]).unwrap();
/// assert!(fig.svg().unwrap().contains("<svg"));
/// let none: [(&str, &History); 0] = [];
/// assert!(viz::cost_curves(&none).is_err());
/// ```
///
/// A [`LambdaStudy`] draws one curve per lambda: `viz::cost_curves(&study)`.
pub fn cost_curves(runs: &(impl Curves + ?Sized)) -> Result<Figure> {
    draw_cost_curves(runs.curves())
}

/// The body of [`cost_curves`], not generic: compiled once in nn-core instead of in every
/// notebook cell that calls `cost_curves` (a generic function's body is compiled where it
/// is used; this one, with its plotting, took evcxr about 1.5 s per such cell).
fn draw_cost_curves(curves: Vec<(String, &History)>) -> Result<Figure> {
    if curves.is_empty() {
        return Err(NnError::InvalidArgument {
            name: "curves",
            reason: "no training histories to draw: pass at least one".into(),
        });
    }
    for (_, h) in &curves {
        check_costs(std::iter::once(h.initial_cost).chain(h.costs.iter().copied()))?;
    }
    let all = || curves.iter().flat_map(|(_, h)| std::iter::once(h.initial_cost).chain(h.costs.iter().copied()));
    let (lo, hi) = all().fold((f64::INFINITY, f64::NEG_INFINITY), |(a, b), v| (a.min(v), b.max(v)));
    let log = lo > 0.0 && hi / lo > 20.0;
    let max_iter = curves.iter().map(|(_, h)| h.costs.len()).max().unwrap_or(0).max(1) as f64;
    let tf = |v: f64| if log { v.log10() } else { v };
    let series: Vec<Series> = curves
        .iter()
        .enumerate()
        .map(|(i, (_, h))| Series {
            color: PALETTE[i % PALETTE.len()],
            points: std::iter::once(h.initial_cost)
                .chain(h.costs.iter().copied())
                .enumerate()
                .map(|(k, c)| (k as f64, tf(c)))
                .collect(),
            markers: h.costs.len() < 2,
        })
        .collect();
    let (ylo, yhi) = cost_axis_range(lo, hi, log);
    let y_ticks = if log { log_ticks(ylo, yhi) } else { nice_ticks(ylo, yhi, 6) };
    let x_ticks = nice_ticks(0.0, max_iter, 8);
    let y_fmt = move |v: f64| if log { fmt_num(10f64.powf(v)) } else { fmt_num(v) };
    let x_fmt = |v: f64| fmt_num(v);
    let axes = Axes {
        x: (0.0, max_iter),
        y: (ylo, yhi),
        x_ticks,
        y_ticks,
        x_label: &x_fmt,
        y_label: &y_fmt,
        x_desc: "iteration".into(),
        y_desc: if log { "objective (log scale)".into() } else { "objective".into() },
    };
    let items: Vec<LegendItem> = curves
        .iter()
        .enumerate()
        .map(|(i, (label, h))| {
            let label: &str = label.as_str();
            LegendItem {
                color: PALETTE[i % PALETTE.len()],
                marker: false,
                line: if label.is_empty() { format!("run {}", i + 1) } else { label.to_string() },
                detail: Some((format!("final objective {:.4} ({} it.)", h.final_cost(), h.costs.len()), MUTED)),
            }
        })
        .collect();
    let legend_w = legend_width(&items);
    let (w, h) = (800u32.saturating_sub(legend_w).max(480) + legend_w, legend_height(&items).max(460));
    let title = "Objective during training: cost J + (λ/2m)·ΣΘ², what fmincg minimizes";
    macro_rules! body {
        ($root:expr) => {{
            let root = $root;
            let body = root.titled(title, font(18)).map_err(err)?;
            let (plot, legend) = body.split_horizontally(w - legend_w);
            draw_lines(&plot, &axes, &series, |_| Ok(()))?;
            draw_legend(&legend, &items, 24)
        }};
    }
    render(w, h, |r| body!(r), |r| body!(r))
}

/// One curve of [`curve_canvas`]: cost per iteration (index 0: the initial cost).
pub(crate) struct Curve<'a> {
    pub values: &'a [f64],
    pub color: Rgb,
    /// Line width in pixels (0: no line, only the dot of `upto`).
    pub width: u32,
    /// Draw only iterations 0..=upto, with a dot at the last one drawn.
    pub upto: Option<usize>,
}

/// Cost curves on fixed axes (the range of every curve given, drawn or not, so frames
/// of an explorer or an animation share their axes): a PNG-only chart of `w x h` pixels.
/// The cost axis is logarithmic when the costs span more than a factor 20.
pub(crate) fn curve_canvas(curves: &[Curve<'_>], w: u32, h: u32, title: &str) -> Result<Canvas> {
    register_plotters_font();
    for c in curves {
        check_costs(c.values.iter().copied())?;
    }
    let all = || curves.iter().flat_map(|c| c.values.iter().copied());
    let (lo, hi) = all().fold((f64::INFINITY, f64::NEG_INFINITY), |(a, b), v| (a.min(v), b.max(v)));
    if !lo.is_finite() {
        return Err(NnError::InvalidArgument { name: "curves", reason: "no costs to draw".into() });
    }
    let log = lo > 0.0 && hi / lo > 20.0;
    let tf = move |v: f64| if log { v.log10() } else { v };
    let max_iter = curves.iter().map(|c| c.values.len().saturating_sub(1)).max().unwrap_or(0).max(1) as f64;
    let (ylo, yhi) = cost_axis_range(lo, hi, log);
    let y_ticks = if log { log_ticks(ylo, yhi) } else { nice_ticks(ylo, yhi, 5) };
    let y_fmt = move |v: f64| if log { fmt_num(10f64.powf(v)) } else { fmt_num(v) };
    let x_fmt = |v: f64| fmt_num(v);
    let axes = Axes {
        x: (0.0, max_iter),
        y: (ylo, yhi),
        x_ticks: nice_ticks(0.0, max_iter, 6),
        y_ticks,
        x_label: &x_fmt,
        y_label: &y_fmt,
        x_desc: "iteration".into(),
        y_desc: if log { "objective (log scale)".into() } else { "objective".into() },
    };
    let mut canvas = Canvas::new(w as usize, h as usize, [255, 255, 255]);
    {
        let root = CanvasBackend { canvas: &mut canvas }.into_drawing_area();
        let draw = |area: &DrawingArea<CanvasBackend<'_>, Shift>| -> DrawResult {
            draw_lines(area, &axes, &[], |chart| {
                for c in curves {
                    let n = c.upto.map_or(c.values.len(), |u| (u + 1).min(c.values.len()));
                    if n == 0 {
                        continue;
                    }
                    let color = rgb(c.color);
                    let pts: Vec<(f64, f64)> =
                        c.values[..n].iter().enumerate().map(|(k, &v)| (k as f64, tf(v))).collect();
                    if c.width > 0 {
                        chart
                            .draw_series(LineSeries::new(pts.iter().copied(), color.stroke_width(c.width)))
                            .map_err(err)?;
                    }
                    if c.upto.is_some() || n == 1 {
                        let last = pts[n - 1];
                        chart.draw_series(std::iter::once(Circle::new(last, 5, color.filled()))).map_err(err)?;
                    }
                }
                Ok(())
            })
        };
        if title.is_empty() {
            draw(&root).map_err(NnError::Plot)?;
        } else {
            let body = root.titled(title, font(15)).map_err(err).map_err(NnError::Plot)?;
            draw(&body).map_err(NnError::Plot)?;
        }
    }
    Ok(canvas)
}
