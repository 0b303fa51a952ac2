//! The line charts, drawn with plotters twice: into an RGB buffer (PNG) and
//! into an SVG string. Cost curves, the validation curve, the gradient check.

use plotters::coord::ranged1d::{DefaultFormatting, KeyPointHint, Ranged};
use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

use super::canvas::{register_plotters_font, text_width, Canvas, CanvasBackend, Rgb, FAMILY, PALETTE};
use super::figure::Figure;
use super::{fmt_lambda, fmt_num, fmt_percent, fmt_sci};
use crate::error::{count_mismatch, NnError, Result};
use crate::lecture::gradcheck::{GradCheckReport, PASS_THRESHOLD};
use crate::lecture::network::param_count;
use crate::optim::History;
use crate::train::LambdaStudy;

type DrawResult = std::result::Result<(), String>;

fn err<E: std::fmt::Display>(e: E) -> String {
    e.to_string()
}

fn rgb(c: Rgb) -> RGBColor {
    RGBColor(c[0], c[1], c[2])
}

const INK: RGBColor = RGBColor(30, 30, 30);
const MUTED: RGBColor = RGBColor(90, 90, 90);

/// Draws the same chart into a canvas (for the PNG) and an SVG string.
fn render(
    w: u32,
    h: u32,
    png: impl FnOnce(&DrawingArea<CanvasBackend<'_>, Shift>) -> DrawResult,
    svg: impl FnOnce(&DrawingArea<SVGBackend<'_>, Shift>) -> DrawResult,
) -> Result<Figure> {
    register_plotters_font();
    let plot = |e: String| NnError::Plot(e);
    let mut canvas = Canvas::new(w as usize, h as usize, [255, 255, 255]);
    {
        let root = CanvasBackend { canvas: &mut canvas }.into_drawing_area();
        png(&root).map_err(plot)?;
        root.present().map_err(err).map_err(plot)?;
    }
    let mut text = String::new();
    {
        let root = SVGBackend::with_string(&mut text, (w, h)).into_drawing_area();
        root.fill(&WHITE).map_err(err).map_err(plot)?;
        svg(&root).map_err(plot)?;
        root.present().map_err(err).map_err(plot)?;
    }
    Figure::from_canvas(&canvas, Some(text))
}

fn font(size: u32) -> TextStyle<'static> {
    (FAMILY, size).into_font().color(&INK)
}

/// Tick positions 1, 2, 5 x 10^k covering [lo, hi], about `n` of them.
fn nice_ticks(lo: f64, hi: f64, n: usize) -> Vec<f64> {
    let span = (hi - lo).abs().max(1e-300);
    let raw = span / n.max(1) as f64;
    let mag = 10f64.powf(raw.log10().floor());
    let step = [1.0, 2.0, 2.5, 5.0, 10.0].iter().map(|m| m * mag).find(|s| *s >= raw).unwrap_or(10.0 * mag);
    let first = (lo / step).ceil() as i64;
    let last = (hi / step).floor() as i64;
    (first..=last).map(|i| i as f64 * step).map(|v| if v.abs() < step * 1e-9 { 0.0 } else { v }).collect()
}

/// Ticks for a log axis, in log10 units, covering [lo, hi] (log10 values).
fn log_ticks(lo: f64, hi: f64) -> Vec<f64> {
    let decades = (lo.floor() as i64)..=(hi.ceil() as i64);
    let pick = |mults: &[f64]| -> Vec<f64> {
        decades
            .clone()
            .flat_map(|k| mults.iter().map(move |m| (m * 10f64.powi(k as i32)).log10()))
            .filter(|u| *u >= lo - 1e-9 && *u <= hi + 1e-9)
            .collect()
    };
    let mut t = pick(&[1.0, 2.0, 5.0]);
    if t.len() > 10 {
        t = pick(&[1.0]);
        // Many decades: every k-th power of ten, so labels stay apart.
        let k = t.len().div_ceil(8);
        if k > 1 {
            t.retain(|u| (u.round() as i64).rem_euclid(k as i64) == 0);
        }
    } else if t.len() < 3 {
        t = pick(&[1.0, 1.5, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0, 8.0, 9.0]);
    }
    t
}

/// A legend entry: colour, first line, optional second line (smaller, muted).
struct LegendItem {
    color: Rgb,
    marker: bool,
    line: String,
    detail: Option<(String, RGBColor)>,
}

fn legend_width(items: &[LegendItem]) -> u32 {
    let w = items
        .iter()
        .flat_map(|i| {
            std::iter::once(text_width(&i.line, 14.0)).chain(i.detail.iter().map(|(d, _)| text_width(d, 13.0)))
        })
        .fold(0.0f32, f32::max);
    (w.ceil() as u32 + 52).clamp(110, 320)
}

/// Height the legend needs (title strip included), so long legends stretch the figure.
fn legend_height(items: &[LegendItem]) -> u32 {
    let rows: u32 = items.iter().map(|i| if i.detail.is_some() { 46 } else { 27 }).sum();
    40 + 24 + rows + 16
}

/// Draws legend items top-down in `area` (outside the plot, so it never hides a curve).
fn draw_legend<DB: DrawingBackend>(area: &DrawingArea<DB, Shift>, items: &[LegendItem], top: i32) -> DrawResult {
    let mut y = top;
    let left = Pos::new(HPos::Left, VPos::Center);
    for item in items {
        let c = rgb(item.color);
        if item.marker {
            area.draw(&Circle::new((20, y), 5, c.filled())).map_err(err)?;
        } else {
            area.draw(&PathElement::new(vec![(6, y), (34, y)], c.stroke_width(3))).map_err(err)?;
        }
        area.draw(&Text::new(item.line.clone(), (42, y), font(14).pos(left))).map_err(err)?;
        y += 19;
        if let Some((d, col)) = &item.detail {
            area.draw(&Text::new(d.clone(), (42, y), (FAMILY, 13).into_font().color(col).pos(left))).map_err(err)?;
            y += 19;
        }
        y += 8;
    }
    Ok(())
}

/// A linear axis whose ticks are exactly the given values (no minor grid).
#[derive(Clone, Debug)]
struct TickAxis {
    lo: f64,
    hi: f64,
    ticks: Vec<f64>,
}

impl Ranged for TickAxis {
    type ValueType = f64;
    type FormatOption = DefaultFormatting;

    fn map(&self, v: &f64, limit: (i32, i32)) -> i32 {
        if self.hi == self.lo {
            return (limit.0 + limit.1) / 2;
        }
        let t = (v - self.lo) / (self.hi - self.lo);
        limit.0 + (t * (limit.1 - limit.0) as f64).round() as i32
    }

    fn key_points<H: KeyPointHint>(&self, hint: H) -> Vec<f64> {
        if hint.weight().allow_light_points() {
            Vec::new()
        } else {
            self.ticks.clone()
        }
    }

    fn range(&self) -> std::ops::Range<f64> {
        self.lo..self.hi
    }
}

/// One line series of a chart, in chart units.
struct Series {
    color: Rgb,
    points: Vec<(f64, f64)>,
    markers: bool,
}

/// A chart with custom ticks on both axes (values already in plotting units).
struct Axes<'a> {
    x: (f64, f64),
    y: (f64, f64),
    x_ticks: Vec<f64>,
    y_ticks: Vec<f64>,
    x_label: &'a dyn Fn(f64) -> String,
    y_label: &'a dyn Fn(f64) -> String,
    x_desc: String,
    y_desc: String,
}

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

/// The value axis of a cost chart: log10 of the range when `log`, else the range padded
/// (and reaching down to 0 for positive costs).
pub(crate) fn cost_axis_range(lo: f64, hi: f64, log: bool) -> (f64, f64) {
    if log {
        let (a, b) = (lo.log10(), hi.log10());
        let pad = (b - a) * 0.04;
        (a - pad, b + pad)
    } else {
        let pad = ((hi - lo) * 0.06).max(hi.abs() * 0.02).max(1e-6);
        ((lo - pad).min(if lo >= 0.0 { 0.0 } else { lo - pad }), hi + pad)
    }
}

/// Points as dots of `radius` over thin grey guide lines (each from one point to another).
fn draw_scatter<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    axes: &Axes<'_>,
    guides: &[[(f64, f64); 2]],
    series: &[Series],
    radius: i32,
) -> DrawResult {
    draw_lines(area, axes, &[], |chart| {
        for guide in guides {
            chart
                .draw_series(LineSeries::new(guide.iter().copied(), RGBColor(170, 170, 170).stroke_width(1)))
                .map_err(err)?;
        }
        for s in series {
            let c = rgb(s.color);
            chart.draw_series(s.points.iter().map(|&p| Circle::new(p, radius, c.filled()))).map_err(err)?;
        }
        Ok(())
    })
}

fn draw_lines<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    axes: &Axes<'_>,
    series: &[Series],
    extra: impl FnOnce(&mut ChartContext<'_, DB, Cartesian2d<TickAxis, TickAxis>>) -> DrawResult,
) -> DrawResult {
    let xf = |v: &f64| (axes.x_label)(*v);
    let yf = |v: &f64| (axes.y_label)(*v);
    let y_label_w = axes.y_ticks.iter().map(|v| text_width(&(axes.y_label)(*v), 14.0)).fold(0.0f32, f32::max);
    let mut chart = ChartBuilder::on(area)
        .margin_top(8)
        .margin_right(16)
        .margin_left(8)
        .x_label_area_size(48)
        .y_label_area_size(y_label_w.ceil() as u32 + 34)
        .build_cartesian_2d(
            TickAxis { lo: axes.x.0, hi: axes.x.1, ticks: axes.x_ticks.clone() },
            TickAxis { lo: axes.y.0, hi: axes.y.1, ticks: axes.y_ticks.clone() },
        )
        .map_err(err)?;
    chart
        .configure_mesh()
        .x_label_formatter(&xf)
        .y_label_formatter(&yf)
        .x_desc(axes.x_desc.as_str())
        .y_desc(axes.y_desc.as_str())
        .label_style(font(14))
        .axis_desc_style(font(15))
        .bold_line_style(RGBColor(225, 225, 225))
        .axis_style(MUTED)
        .draw()
        .map_err(err)?;
    for s in series {
        let c = rgb(s.color);
        chart.draw_series(LineSeries::new(s.points.iter().copied(), c.stroke_width(2))).map_err(err)?;
        if s.markers {
            chart.draw_series(s.points.iter().map(|&p| Circle::new(p, 4, c.filled()))).map_err(err)?;
        }
    }
    extra(&mut chart)
}

fn check_finite(what: &'static str, values: impl IntoIterator<Item = f64>) -> Result<()> {
    for (i, v) in values.into_iter().enumerate() {
        if !v.is_finite() {
            return Err(NnError::InvalidArgument {
                name: what,
                reason: format!("entry {} is {v}; every value must be finite", i + 1),
            });
        }
    }
    Ok(())
}

/// A cost per iteration, iteration 0 first (the start): the first that is not finite, by
/// its iteration.
fn check_costs(costs: impl IntoIterator<Item = f64>) -> Result<()> {
    match costs.into_iter().enumerate().find(|(_, v)| !v.is_finite()) {
        Some((k, v)) => Err(NnError::InvalidArgument {
            name: "costs",
            reason: format!("the cost at iteration {k} (iteration 0 = the start) is {v}; every cost must be finite"),
        }),
        None => Ok(()),
    }
}

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

/// Training and held-out accuracy (or, with [`Measure::Cost`], the unregularized cost J)
/// against lambda for a [`LambdaStudy`], on a log lambda axis: see `validation_curve_of`.
///
/// ```
/// use nn_core::prelude::*;
/// use nn_core::viz::{self, Measure};
/// let x = ndarray::Array2::from_shape_fn((20, 4), |(i, j)| ((i * 3 + j) % 5) as f64);
/// let data = Dataset::new(x, ndarray::Array1::from_shape_fn(20, |i| 1 + i % 2), 2).unwrap();
/// let study = compare_lambdas(&TrainConfig::new(&[4, 3, 2]).iterations(5), &data, &data, &[0.0, 0.1, 1.0]).unwrap();
/// assert!(viz::validation_curve(&study, Measure::Accuracy).is_ok());
/// assert!(viz::validation_curve(&study, Measure::Cost).is_ok());
/// ```
pub fn validation_curve(study: &LambdaStudy, measure: Measure) -> Result<Figure> {
    study.check_finite()?;
    let r = &study.results;
    let lambdas: Vec<f64> = r.iter().map(|r| r.lambda).collect();
    let (train, held_out): (Vec<f64>, Vec<f64>) = match measure {
        Measure::Accuracy => r.iter().map(|r| (r.train_accuracy, r.test_accuracy)).unzip(),
        Measure::Cost => r.iter().map(|r| (r.train_cost, r.test_cost)).unzip(),
    };
    validation_curve_of(&lambdas, &train, &held_out, measure)
}

/// What a validation curve plots against lambda.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Measure {
    /// Accuracy, given as fractions in 0..=1, drawn in percent; best is highest.
    Accuracy,
    /// Cost J; best is lowest.
    Cost,
}

/// Training and held-out accuracy (or cost) against lambda, on a log lambda
/// axis with a tick at every lambda given. lambda = 0 has no place on a log
/// axis: it is drawn one decade left of the smallest positive lambda, labelled
/// "0", and set off by a dashed line. The best held-out point is ringed and
/// named in the legend. Also available as SVG.
///
pub(crate) fn validation_curve_of(
    lambdas: &[f64],
    train: &[f64],
    held_out: &[f64],
    measure: Measure,
) -> Result<Figure> {
    if lambdas.is_empty() {
        return Err(NnError::InvalidArgument { name: "lambdas", reason: "no lambdas: pass at least one".into() });
    }
    for (name, v) in [("training values", train), ("held-out values", held_out)] {
        if v.len() != lambdas.len() {
            return Err(count_mismatch(name, lambdas.len(), "values (one per lambda)", v.len()));
        }
    }
    for &l in lambdas {
        crate::error::check_lambda(l)?;
    }
    check_finite("training values", train.iter().copied())?;
    check_finite("held-out values", held_out.iter().copied())?;
    if measure == Measure::Accuracy {
        if let Some(v) = train.iter().chain(held_out).find(|v| !(0.0..=1.0).contains(*v)) {
            return Err(NnError::InvalidArgument {
                name: "accuracy",
                reason: format!("{v} is not a fraction in 0..=1 (pass accuracies as fractions: 0.95, not 95)"),
            });
        }
    }
    let min_pos = lambdas.iter().copied().filter(|l| *l > 0.0).fold(f64::INFINITY, f64::min);
    let has_zero = lambdas.contains(&0.0);
    let zero_u = if min_pos.is_finite() { min_pos.log10() - 1.0 } else { 0.0 };
    let u = |l: f64| if l > 0.0 { l.log10() } else { zero_u };
    let mut order: Vec<usize> = (0..lambdas.len()).collect();
    order.sort_by(|&a, &b| lambdas[a].total_cmp(&lambdas[b]));
    let scale = if measure == Measure::Accuracy { 100.0 } else { 1.0 };
    let pts = |v: &[f64]| -> Vec<(f64, f64)> { order.iter().map(|&i| (u(lambdas[i]), v[i] * scale)).collect() };
    let (tr, ho) = (pts(train), pts(held_out));
    let us: Vec<f64> = tr.iter().map(|p| p.0).collect();
    let (umin, umax) = (us[0], us[us.len() - 1]);
    let (x0, x1) = if umax - umin < 1e-9 { (umin - 1.0, umax + 1.0) } else { (umin - 0.3, umax + 0.3) };
    let mut x_ticks = us.clone();
    x_ticks.dedup_by(|a, b| (*a - *b).abs() < 1e-12);
    let vals = || tr.iter().chain(&ho).map(|p| p.1);
    let (lo, hi) = vals().fold((f64::INFINITY, f64::NEG_INFINITY), |(a, b), v| (a.min(v), b.max(v)));
    let pad = ((hi - lo) * 0.1).max(if measure == Measure::Accuracy { 0.5 } else { hi.abs() * 0.05 + 1e-6 });
    let (mut ylo, mut yhi) = (lo - pad, hi + pad);
    if measure == Measure::Accuracy {
        ylo = ylo.max(0.0);
        yhi = yhi.min(100.0 + pad * 0.3);
    }
    let y_ticks = nice_ticks(ylo, yhi, 6);
    let best = (0..lambdas.len())
        .max_by(|&a, &b| {
            let (va, vb) = (held_out[a], held_out[b]);
            match measure {
                Measure::Accuracy => va.total_cmp(&vb),
                Measure::Cost => vb.total_cmp(&va),
            }
        })
        .unwrap_or(0);
    let lam: Vec<(f64, f64)> = lambdas.iter().map(|&l| (u(l), l)).collect();
    let x_fmt = move |v: f64| {
        lam.iter()
            .min_by(|a, b| (a.0 - v).abs().total_cmp(&(b.0 - v).abs()))
            .map(|&(_, l)| fmt_lambda(l))
            .unwrap_or_default()
    };
    let y_fmt = move |v: f64| if measure == Measure::Accuracy { format!("{}%", fmt_num(v)) } else { fmt_num(v) };
    let what = if measure == Measure::Accuracy { "accuracy" } else { "cost J" };
    let axes = Axes {
        x: (x0, x1),
        y: (ylo, yhi),
        x_ticks,
        y_ticks,
        x_label: &x_fmt,
        y_label: &y_fmt,
        x_desc: if has_zero && min_pos.is_finite() {
            "λ (log scale; λ = 0 drawn left of the dashed line)".into()
        } else {
            "λ (log scale)".into()
        },
        y_desc: what.into(),
    };
    let best_val = match measure {
        Measure::Accuracy => fmt_percent(held_out[best]),
        Measure::Cost => format!("{:.4}", held_out[best]),
    };
    let items = vec![
        LegendItem { color: PALETTE[0], marker: false, line: "training".into(), detail: None },
        LegendItem { color: PALETTE[1], marker: false, line: "held-out".into(), detail: None },
        LegendItem {
            color: PALETTE[1],
            marker: true,
            line: "best held-out".into(),
            detail: Some((format!("λ = {}: {}", fmt_lambda(lambdas[best]), best_val), MUTED)),
        },
    ];
    let series = [
        Series { color: PALETTE[0], points: tr, markers: true },
        Series { color: PALETTE[1], points: ho.clone(), markers: true },
    ];
    let best_pt = (u(lambdas[best]), held_out[best] * scale);
    let zero_sep = (has_zero && min_pos.is_finite()).then_some(zero_u + 0.5);
    let legend_w = legend_width(&items);
    let (w, h) = (800u32.saturating_sub(legend_w).max(480) + legend_w, 460u32);
    let title = format!("Training and held-out {what} against λ");
    macro_rules! body {
        ($root:expr) => {{
            let root = $root;
            let body = root.titled(&title, font(18)).map_err(err)?;
            let (plot, legend) = body.split_horizontally(w - legend_w);
            draw_lines(&plot, &axes, &series, |chart| {
                if let Some(xs) = zero_sep {
                    let steps = 40;
                    let dots = (0..steps).filter(|k| k % 2 == 0).map(|k| {
                        let a = ylo + (yhi - ylo) * k as f64 / steps as f64;
                        let b = ylo + (yhi - ylo) * (k + 1) as f64 / steps as f64;
                        PathElement::new(vec![(xs, a), (xs, b)], MUTED.stroke_width(1))
                    });
                    chart.draw_series(dots).map_err(err)?;
                }
                chart
                    .draw_series(std::iter::once(Circle::new(best_pt, 9, rgb(PALETTE[1]).stroke_width(2))))
                    .map_err(err)?;
                Ok(())
            })?;
            draw_legend(&legend, &items, 24)
        }};
    }
    render(w, h, |r| body!(r), |r| body!(r))
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
