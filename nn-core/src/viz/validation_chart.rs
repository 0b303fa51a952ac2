//! The validation curve of a lambda study: training and held-out cost or accuracy against lambda.

use plotters::prelude::*;

use super::canvas::PALETTE;
use super::figure::Figure;
use super::{fmt_lambda, fmt_num, fmt_percent};
use crate::error::{count_mismatch, NnError, Result};
use crate::train::LambdaStudy;

use super::chart_kit::*;
// (plotters' prelude has one too)

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
