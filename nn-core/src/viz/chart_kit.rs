//! What every line chart shares: drawn twice with plotters (into an RGB canvas for the PNG
//! and into an SVG string), the font, nice ticks, legends beside the plot, axes with given
//! ticks, series, and the checks of the numbers to draw.

use plotters::coord::ranged1d::{DefaultFormatting, KeyPointHint, Ranged};
use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

use super::canvas::{register_plotters_font, text_width, Canvas, CanvasBackend, Rgb, FAMILY};
use super::figure::Figure;
use crate::error::{NnError, Result};

pub(super) type DrawResult = std::result::Result<(), String>;

pub(super) fn err<E: std::fmt::Display>(e: E) -> String {
    e.to_string()
}

pub(super) fn rgb(c: Rgb) -> RGBColor {
    RGBColor(c[0], c[1], c[2])
}

pub(super) const INK: RGBColor = RGBColor(30, 30, 30);
pub(super) const MUTED: RGBColor = RGBColor(90, 90, 90);

/// Draws the same chart into a canvas (for the PNG) and an SVG string.
pub(super) fn render(
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

pub(super) fn font(size: u32) -> TextStyle<'static> {
    (FAMILY, size).into_font().color(&INK)
}

/// Tick positions 1, 2, 5 x 10^k covering [lo, hi], about `n` of them.
pub(super) fn nice_ticks(lo: f64, hi: f64, n: usize) -> Vec<f64> {
    let span = (hi - lo).abs().max(1e-300);
    let raw = span / n.max(1) as f64;
    let mag = 10f64.powf(raw.log10().floor());
    let step = [1.0, 2.0, 2.5, 5.0, 10.0].iter().map(|m| m * mag).find(|s| *s >= raw).unwrap_or(10.0 * mag);
    let first = (lo / step).ceil() as i64;
    let last = (hi / step).floor() as i64;
    (first..=last).map(|i| i as f64 * step).map(|v| if v.abs() < step * 1e-9 { 0.0 } else { v }).collect()
}

/// Ticks for a log axis, in log10 units, covering [lo, hi] (log10 values).
pub(super) fn log_ticks(lo: f64, hi: f64) -> Vec<f64> {
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
pub(super) struct LegendItem {
    pub(super) color: Rgb,
    pub(super) marker: bool,
    pub(super) line: String,
    pub(super) detail: Option<(String, RGBColor)>,
}

pub(super) fn legend_width(items: &[LegendItem]) -> u32 {
    let w = items
        .iter()
        .flat_map(|i| {
            std::iter::once(text_width(&i.line, 14.0)).chain(i.detail.iter().map(|(d, _)| text_width(d, 13.0)))
        })
        .fold(0.0f32, f32::max);
    (w.ceil() as u32 + 52).clamp(110, 320)
}

/// Height the legend needs (title strip included), so long legends stretch the figure.
pub(super) fn legend_height(items: &[LegendItem]) -> u32 {
    let rows: u32 = items.iter().map(|i| if i.detail.is_some() { 46 } else { 27 }).sum();
    40 + 24 + rows + 16
}

/// Draws legend items top-down in `area` (outside the plot, so it never hides a curve).
pub(super) fn draw_legend<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    items: &[LegendItem],
    top: i32,
) -> DrawResult {
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
pub(super) struct TickAxis {
    pub(super) lo: f64,
    pub(super) hi: f64,
    pub(super) ticks: Vec<f64>,
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
pub(super) struct Series {
    pub(super) color: Rgb,
    pub(super) points: Vec<(f64, f64)>,
    pub(super) markers: bool,
}

/// A chart with custom ticks on both axes (values already in plotting units).
pub(super) struct Axes<'a> {
    pub(super) x: (f64, f64),
    pub(super) y: (f64, f64),
    pub(super) x_ticks: Vec<f64>,
    pub(super) y_ticks: Vec<f64>,
    pub(super) x_label: &'a dyn Fn(f64) -> String,
    pub(super) y_label: &'a dyn Fn(f64) -> String,
    pub(super) x_desc: String,
    pub(super) y_desc: String,
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
pub(super) fn draw_scatter<DB: DrawingBackend>(
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

pub(super) fn draw_lines<DB: DrawingBackend>(
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

pub(super) fn check_finite(what: &'static str, values: impl IntoIterator<Item = f64>) -> Result<()> {
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
pub(super) fn check_costs(costs: impl IntoIterator<Item = f64>) -> Result<()> {
    match costs.into_iter().enumerate().find(|(_, v)| !v.is_finite()) {
        Some((k, v)) => Err(NnError::InvalidArgument {
            name: "costs",
            reason: format!("the cost at iteration {k} (iteration 0 = the start) is {v}; every cost must be finite"),
        }),
        None => Ok(()),
    }
}
