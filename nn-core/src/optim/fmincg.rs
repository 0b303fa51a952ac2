//! `fmincg`: the course's minimizer, Polak-Ribiere conjugate gradients with a
//! line search built from cubic and quadratic fits.
//!
//! Each iteration is one line search along the direction `s`:
//! 1. the first step length is the previous one scaled by the slope ratio
//!    `d1 / d2` (at most `RATIO`); the very first is `1 / (1 - d1)`;
//! 2. while the point is not good enough (Wolfe-Powell: sufficient decrease
//!    `f2 <= f1 + z1 RHO d1` and a flat enough slope `d2 <= -SIG d1`), it
//!    interpolates back (quadratic if the cost went up, cubic otherwise),
//!    keeping away from the bracket ends by `INT`;
//! 3. once the slope test `d2 > SIG d1` also holds (|d2| <= -SIG d1) the search
//!    succeeds; otherwise it extrapolates with a cubic (at most `EXT` times the
//!    current step), for at most `MAX` evaluations per line search;
//! 4. on success the new direction is `s = (df2'df2 - df1'df2)/(df1'df1) s - df2`
//!    (Polak-Ribiere), reset to steepest descent if it points uphill;
//!    a failed line search restarts from steepest descent, and two failures
//!    in a row stop the run.

use std::time::Instant;

use ndarray::Array1;

use super::{check_iterations, eval_checked, judge, History, Next, Objective, Optimizer, Start, Step, StopReason};
use crate::error::Result;

/// The published constants of the line search.
#[derive(Clone, Copy, Debug, PartialEq)]
struct FmincgConstants {
    /// Sufficient-decrease fraction (Wolfe-Powell, first condition).
    rho: f64,
    /// Slope fraction (Wolfe-Powell, second condition). RHO < SIG < 1.
    sig: f64,
    /// Do not come closer than this fraction to a bracket end.
    int: f64,
    /// Extrapolate at most this many times the current step.
    ext: f64,
    /// Most function evaluations per line search.
    max: usize,
    /// Largest allowed growth of the step from one line search to the next.
    ratio: f64,
}

/// RHO = 0.01, SIG = 0.5, INT = 0.1, EXT = 3.0, MAX = 20, RATIO = 100, as published with fmincg.m.
const COURSE: FmincgConstants = FmincgConstants { rho: 0.01, sig: 0.5, int: 0.1, ext: 3.0, max: 20, ratio: 100.0 };

fn dot(a: &Array1<f64>, b: &Array1<f64>) -> f64 {
    a.dot(b)
}

/// Minimizes `f` from `x0` with at most `max_iter` line searches (the
/// course's `fmincg(f, X, optimset('MaxIter', max_iter))`).
///
/// `callback(&step)` runs after each completed iteration; [`Next::Stop`] ends the run there.
/// Returns the best parameters found and the history of costs; a run that completed no
/// iteration (the line search found no lower cost from the start) is an
/// [`NnError::NotTrained`](crate::NnError::NotTrained) error saying so.
///
/// ```
/// use ndarray::{array, Array1};
/// // A stretched quadratic bowl: f(x) = x0^2 + 10 x1^2, minimum at 0.
/// let f = |x: &Array1<f64>| Ok((x[0] * x[0] + 10.0 * x[1] * x[1], array![2.0 * x[0], 20.0 * x[1]]));
/// let (x, history) = nn_core::optim::fmincg(f, array![3.0, -2.0], 10, |_| Ok(nn_core::optim::Next::Continue)).unwrap();
/// assert!(x.iter().all(|v| v.abs() < 1e-6));
/// assert!(history.final_cost() < 1e-10);
/// ```
pub fn fmincg(
    mut f: impl Objective,
    x0: Array1<f64>,
    max_iter: usize,
    mut callback: impl FnMut(&Step<'_>) -> Result<Next>,
) -> Result<(Array1<f64>, History)> {
    let c = COURSE;
    check_iterations(max_iter)?;
    let start = Instant::now();
    let mut evaluations = 0;
    let mut x = x0;
    let mut costs = Vec::new();
    let realmin = f64::MIN_POSITIVE;

    let (mut f1, mut df1) = eval_checked(&mut f, &x, 0, &mut evaluations, &Optimizer::Fmincg)?;
    let initial_cost = f1;
    let zero_start_gradient = df1.iter().all(|v| *v == 0.0);
    // The lowest cost any point of a line search had (to tell "no lower cost" from "lower
    // costs, but never a flat slope" when no iteration completes).
    let mut lowest_seen = f1;
    let mut s = -&df1; // search direction: steepest descent first
    let mut d1 = -dot(&s, &s); // slope along s
    let mut z1 = 1.0 / (1.0 - d1); // initial step: red / (1 - d1), red = 1
    let mut i = 0;
    let mut ls_failed = false;
    let mut stop_reason = StopReason::IterationLimit;

    while i < max_iter {
        i += 1;
        let (x0, f0, df0) = (x.clone(), f1, df1.clone());
        x.scaled_add(z1, &s);
        let (mut f2, mut df2) = eval_checked(&mut f, &x, i, &mut evaluations, &Optimizer::Fmincg)?;
        lowest_seen = lowest_seen.min(f2);
        let mut d2 = dot(&df2, &s);
        // Point 3 starts equal to point 1.
        let (mut f3, mut d3, mut z3) = (f1, d1, -z1);
        let mut m = c.max;
        let mut success = false;
        let mut limit = -1.0;
        loop {
            // Interpolate while the point fails either Wolfe-Powell condition.
            while (f2 > f1 + z1 * c.rho * d1 || d2 > -c.sig * d1) && m > 0 {
                limit = z1; // tighten the bracket
                let mut z2 = if f2 > f1 {
                    // quadratic fit
                    z3 - (0.5 * d3 * z3 * z3) / (d3 * z3 + f2 - f3)
                } else {
                    // cubic fit
                    let a = 6.0 * (f2 - f3) / z3 + 3.0 * (d2 + d3);
                    let b = 3.0 * (f3 - f2) - z3 * (d3 + 2.0 * d2);
                    ((b * b - a * d2 * z3 * z3).sqrt() - b) / a
                };
                if !z2.is_finite() {
                    z2 = z3 / 2.0; // bisect if the fit failed
                }
                z2 = z2.min(c.int * z3).max((1.0 - c.int) * z3); // not too close to the ends
                z1 += z2;
                x.scaled_add(z2, &s);
                (f2, df2) = eval_checked(&mut f, &x, i, &mut evaluations, &Optimizer::Fmincg)?;
                lowest_seen = lowest_seen.min(f2);
                m -= 1;
                d2 = dot(&df2, &s);
                z3 -= z2; // z3 is now relative to the location of z2
            }
            if f2 > f1 + z1 * c.rho * d1 || d2 > -c.sig * d1 {
                break; // failure
            } else if d2 > c.sig * d1 {
                success = true;
                break;
            } else if m == 0 {
                break; // out of evaluations
            }
            // Extrapolate with a cubic.
            let a = 6.0 * (f2 - f3) / z3 + 3.0 * (d2 + d3);
            let b = 3.0 * (f3 - f2) - z3 * (d3 + 2.0 * d2);
            let mut z2 = -d2 * z3 * z3 / (b + (b * b - a * d2 * z3 * z3).sqrt());
            if !z2.is_finite() || z2 < 0.0 {
                // wrong sign or no real root
                z2 = if limit < -0.5 { z1 * (c.ext - 1.0) } else { (limit - z1) / 2.0 };
            } else if limit > -0.5 && z2 + z1 > limit {
                z2 = (limit - z1) / 2.0; // beyond the bracket: bisect
            } else if limit < -0.5 && z2 + z1 > z1 * c.ext {
                z2 = z1 * (c.ext - 1.0); // extrapolation limit
            } else if z2 < -z3 * c.int {
                z2 = -z3 * c.int;
            } else if limit > -0.5 && z2 < (limit - z1) * (1.0 - c.int) {
                z2 = (limit - z1) * (1.0 - c.int); // too close to the limit
            }
            (f3, d3, z3) = (f2, d2, -z2); // point 2 becomes point 3
            z1 += z2;
            x.scaled_add(z2, &s);
            (f2, df2) = eval_checked(&mut f, &x, i, &mut evaluations, &Optimizer::Fmincg)?;
            lowest_seen = lowest_seen.min(f2);
            m -= 1;
            d2 = dot(&df2, &s);
        }

        if success {
            f1 = f2;
            costs.push(f1);
            let step = Step { iteration: i, cost: f1, params: &x, initial_cost, evaluations };
            if callback(&step)? == Next::Stop {
                stop_reason = StopReason::Stopped;
                break;
            }
            // Polak-Ribiere direction.
            let beta = (dot(&df2, &df2) - dot(&df1, &df2)) / dot(&df1, &df1);
            s = &s * beta - &df2;
            std::mem::swap(&mut df1, &mut df2);
            let mut d2_new = dot(&df1, &s);
            if d2_new > 0.0 {
                // not a descent direction: back to steepest descent
                s = -&df1;
                d2_new = -dot(&s, &s);
            }
            z1 *= c.ratio.min(d1 / (d2_new - realmin)); // slope ratio, at most RATIO
            d1 = d2_new;
            ls_failed = false;
        } else {
            // Restore the point from before the failed line search.
            x = x0;
            f1 = f0;
            df1 = df0;
            if ls_failed || i > max_iter {
                stop_reason = StopReason::LineSearchFailed;
                break;
            }
            // As the course's code does: swap in the last gradient tried (df2)
            // and restart along its steepest descent from the restored point.
            std::mem::swap(&mut df1, &mut df2);
            s = -&df1;
            d1 = -dot(&s, &s);
            z1 = 1.0 / (1.0 - d1);
            ls_failed = true;
        }
    }
    let history = History { costs, initial_cost, evaluations, elapsed: start.elapsed(), stop_reason };
    let start_state = if zero_start_gradient {
        Start::ZeroGradient
    } else if lowest_seen < initial_cost {
        Start::LowerButNotFlat
    } else {
        Start::NoLowerCost
    };
    judge(&history, &Optimizer::Fmincg, start_state)?;
    Ok((x, history))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::NnError;
    use ndarray::array;

    fn rosenbrock(x: &Array1<f64>) -> Result<(f64, Array1<f64>)> {
        let (a, b) = (x[0], x[1]);
        let f = (1.0 - a).powi(2) + 100.0 * (b - a * a).powi(2);
        let g = array![-2.0 * (1.0 - a) - 400.0 * a * (b - a * a), 200.0 * (b - a * a)];
        Ok((f, g))
    }

    #[test]
    fn minimizes_rosenbrock() {
        let mut seen = Vec::new();
        let (x, h) = fmincg(rosenbrock, array![-1.2, 1.0], 200, |s| {
            seen.push((s.iteration, s.cost));
            Ok(Next::Continue)
        })
        .unwrap();
        assert!((x[0] - 1.0).abs() < 1e-4 && (x[1] - 1.0).abs() < 1e-4, "{x}");
        assert_eq!(seen.len(), h.costs.len());
        assert!(h.evaluations > h.iterations());
        // Every accepted point decreases the cost (sufficient decrease).
        let mut prev = h.initial_cost;
        for &c in &h.costs {
            assert!(c <= prev, "{c} > {prev}");
            prev = c;
        }
    }

    #[test]
    fn quadratic_converges_in_few_iterations() {
        // CG on an n-dimensional quadratic: a handful of line searches per dimension.
        let d = Array1::from_iter((1..=5).map(|i| i as f64));
        let f = |x: &Array1<f64>| Ok(((&d * x * x).sum() / 2.0, &d * x));
        let (x, h) = fmincg(f, Array1::ones(5), 40, |_| Ok(Next::Continue)).unwrap();
        assert!(x.iter().all(|v| v.abs() < 1e-6), "{x}");
        assert!(h.final_cost() < 1e-10);
    }

    #[test]
    fn stops_on_nan_and_zero_iterations() {
        let f = |x: &Array1<f64>| {
            if x[0] < 0.5 {
                Ok((f64::NAN, array![1.0]))
            } else {
                Ok((x[0], array![1.0]))
            }
        };
        match fmincg(f, array![1.0], 5, |_| Ok(Next::Continue)) {
            Err(NnError::Diverged { iteration, .. }) => assert_eq!(iteration, 1),
            other => panic!("expected Diverged, got {other:?}"),
        }
        let e = fmincg(rosenbrock, array![0.0, 0.0], 0, |_| Ok(Next::Continue)).unwrap_err();
        assert!(e.to_string().contains("iteration"), "{e}");
    }

    #[test]
    fn the_callback_sees_each_point_and_can_stop() {
        let mut seen = Vec::new();
        let (x, h) = fmincg(rosenbrock, array![-1.2, 1.0], 200, |s| {
            assert_eq!(rosenbrock(s.params).unwrap().0, s.cost);
            seen.push(s.params.clone());
            Ok(if s.iteration == 3 { Next::Stop } else { Next::Continue })
        })
        .unwrap();
        assert_eq!((h.iterations(), h.stop_reason), (3, StopReason::Stopped));
        assert_eq!(seen.last(), Some(&x));
        let e = fmincg(rosenbrock, array![-1.2, 1.0], 200, |_| {
            Err(NnError::InvalidArgument { name: "test", reason: "no".into() })
        });
        assert!(e.is_err());
    }

    #[test]
    fn a_run_that_completes_no_iteration_is_an_error_that_says_why() {
        // Already at the minimum: the gradient is zero, nothing to do; an error, not an Ok.
        let f = |x: &Array1<f64>| Ok((x[0] * x[0], array![2.0 * x[0]]));
        let e = fmincg(f, array![0.0], 50, |_| Ok(Next::Continue)).unwrap_err();
        assert!(matches!(e, NnError::NotTrained { iterations: 0, .. }), "{e}");
        assert!(e.to_string().contains("gradient at the starting weights is all zeros"), "{e}");
        // Unbounded below (f = x): lower costs all the way, never a flat slope.
        let e = fmincg(|x: &Array1<f64>| Ok((x[0], array![1.0])), array![0.0], 50, |_| Ok(Next::Continue)).unwrap_err();
        assert!(e.to_string().contains("lower costs but no point where the slope flattens"), "{e}");
        assert!(e.to_string().contains("bounded below"), "{e}");
        // A gradient of the wrong sign: no lower cost along it.
        let wrong = |x: &Array1<f64>| Ok((x[0] * x[0], array![-2.0 * x[0]]));
        let e = fmincg(wrong, array![1.0], 50, |_| Ok(Next::Continue)).unwrap_err();
        assert!(e.to_string().contains("found no lower cost from the start"), "{e}");
        assert!(e.to_string().contains("check_nn_gradients"), "{e}");
        // After some iterations, the line search failing is the end of a good run.
        // (A gradient that reads 0 near the minimum makes the line searches fail there.)
        let flat = |x: &Array1<f64>| Ok((x[0] * x[0], array![if x[0].abs() < 1e-3 { 0.0 } else { 2.0 * x[0] }]));
        let (_, h) = fmincg(flat, array![3.0], 50, |_| Ok(Next::Continue)).unwrap();
        assert_eq!(h.stop_reason, StopReason::LineSearchFailed);
        assert!(h.iterations() >= 1 && h.iterations() < 50 && h.final_cost() < 1e-6, "{h:?}");
        assert!(h.stop_reason.to_string().contains("a minimum"), "{}", h.stop_reason);
    }

    #[test]
    fn non_finite_values_blame_what_is_at_fault() {
        // NaN at the start: no step was taken, and fmincg has no learning rate.
        let e = fmincg(|_: &Array1<f64>| Ok((f64::NAN, array![1.0])), array![0.0], 5, |_| Ok(Next::Continue))
            .unwrap_err()
            .to_string();
        assert!(e.contains("iteration 0, before any step") && !e.contains("learning rate"), "{e}");
        // A NaN gradient with a finite cost: the cost is given as it was, the gradient named.
        let e = fmincg(|_: &Array1<f64>| Ok((2.5, array![1.0, f64::NAN])), array![0.0, 0.0], 5, |_| Ok(Next::Continue))
            .unwrap_err()
            .to_string();
        assert!(e.contains("cost 2.5") && e.contains("gradient has NaN at entry 2 of 2"), "{e}");
        assert!(!e.contains("cost NaN") && !e.contains("learning rate"), "{e}");
        // Later: fmincg's own words.
        let f = |x: &Array1<f64>| Ok((if x[0] < 0.5 { f64::NAN } else { x[0] }, array![1.0]));
        let e = fmincg(f, array![1.0], 5, |_| Ok(Next::Continue)).unwrap_err().to_string();
        assert!(e.contains("iteration 1") && e.contains("line search") && !e.contains("learning rate"), "{e}");
    }
}
