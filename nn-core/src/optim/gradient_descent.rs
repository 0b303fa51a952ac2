//! Batch gradient descent: $\theta := \theta - \alpha \nabla J(\theta)$, every
//! example in every step. Simple, predictable, and much slower than `fmincg`
//! for this problem — which is the point of comparing them.

use std::time::Instant;

use ndarray::Array1;

use super::{check_iterations, eval_checked, judge, History, Next, Objective, Optimizer, Start, Step, StopReason};
use crate::error::{check_non_negative, NnError, Result};

/// Runs `max_iter` steps of size `learning_rate` from `x0`.
///
/// `callback(&step)` runs after each step with the cost at the new
/// point. Stops with [`NnError::Diverged`] if the cost becomes NaN or infinite
/// (a learning rate that is too large), and ends with [`NnError::NotTrained`] if the
/// cost ended higher than it started.
///
/// ```
/// use ndarray::{array, Array1};
/// let f = |x: &Array1<f64>| Ok((x[0] * x[0], array![2.0 * x[0]]));
/// let (x, h) = nn_core::optim::gradient_descent(f, array![1.0], 0.25, 20, |_| Ok(nn_core::optim::Next::Continue)).unwrap();
/// assert!(x[0].abs() < 1e-5 && h.iterations() == 20);
/// ```
pub fn gradient_descent(
    mut f: impl Objective,
    x0: Array1<f64>,
    learning_rate: f64,
    max_iter: usize,
    mut callback: impl FnMut(&Step<'_>) -> Result<Next>,
) -> Result<(Array1<f64>, History)> {
    check_iterations(max_iter)?;
    check_non_negative("learning rate", learning_rate)?;
    if learning_rate == 0.0 {
        return Err(NnError::InvalidArgument {
            name: "learning rate",
            reason: "a learning rate of 0 never moves; try 0.5 to 2 for this network".into(),
        });
    }
    let optimizer = Optimizer::GradientDescent { learning_rate };
    let start = Instant::now();
    let mut evaluations = 0;
    let mut x = x0;
    let (initial_cost, mut grad) = eval_checked(&mut f, &x, 0, &mut evaluations, &optimizer)?;
    let mut costs = Vec::with_capacity(max_iter);
    let mut stop_reason = StopReason::IterationLimit;
    for i in 1..=max_iter {
        x.scaled_add(-learning_rate, &grad);
        let (j, g) = eval_checked(&mut f, &x, i, &mut evaluations, &optimizer)?;
        grad = g;
        costs.push(j);
        if callback(&Step { iteration: i, cost: j, params: &x, initial_cost, evaluations })? == Next::Stop {
            stop_reason = StopReason::Stopped;
            break;
        }
    }
    let history = History { costs, initial_cost, evaluations, elapsed: start.elapsed(), stop_reason };
    judge(&history, &optimizer, Start::NoLowerCost)?;
    Ok((x, history))
}

#[cfg(test)]
mod tests {
    use super::*;
    use ndarray::array;

    #[test]
    fn follows_the_update_rule() {
        // f = (x - 3)^2, x0 = 0, alpha = 0.1: x1 = 0 + 0.1 * 6 = 0.6, x2 = 0.6 + 0.1 * 4.8 = 1.08.
        let f = |x: &Array1<f64>| Ok(((x[0] - 3.0).powi(2), array![2.0 * (x[0] - 3.0)]));
        let (x, h) = gradient_descent(f, array![0.0], 0.1, 2, |_| Ok(Next::Continue)).unwrap();
        assert!((x[0] - 1.08).abs() < 1e-12);
        assert_eq!(h.costs.len(), 2);
        assert!((h.costs[1] - (1.08f64 - 3.0).powi(2)).abs() < 1e-12);
        assert_eq!(h.initial_cost, 9.0);
        assert_eq!(h.evaluations, 3);
    }

    #[test]
    fn too_large_a_step_diverges_with_an_error() {
        let f = |x: &Array1<f64>| Ok((x[0].powi(4), array![4.0 * x[0].powi(3)]));
        let e = gradient_descent(f, array![2.0], 10.0, 100, |_| Ok(Next::Continue)).unwrap_err();
        assert!(matches!(e, NnError::Diverged { .. }), "{e}");
        assert!(e.to_string().contains("learning rate"));
        let f = |x: &Array1<f64>| Ok((x[0], array![1.0]));
        assert!(gradient_descent(f, array![0.0], -1.0, 5, |_| Ok(Next::Continue)).is_err());
        assert!(gradient_descent(f, array![0.0], 0.0, 5, |_| Ok(Next::Continue)).is_err());
    }
}
