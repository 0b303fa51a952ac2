//! Optimizers: the course's `fmincg` (conjugate gradients) and plain batch
//! gradient descent. Both minimize a function that returns `(J, gradient)`
//! for an unrolled parameter vector, record the cost per iteration, call a
//! callback after each iteration (for progress lines and live curves), and
//! stop with an error, not garbage, when the cost turns NaN or infinite.

use std::time::Duration;

use ndarray::Array1;

use crate::error::{NnError, Result};

mod fmincg;
mod gradient_descent;

pub use fmincg::fmincg;
pub use gradient_descent::gradient_descent;

/// What an optimizer minimizes: parameters in, `(J, dJ/dtheta)` out.
pub trait Objective {
    /// Cost and gradient at `theta`.
    fn eval(&mut self, theta: &Array1<f64>) -> Result<(f64, Array1<f64>)>;
}

impl<F: FnMut(&Array1<f64>) -> Result<(f64, Array1<f64>)>> Objective for F {
    fn eval(&mut self, theta: &Array1<f64>) -> Result<(f64, Array1<f64>)> {
        self(theta)
    }
}

/// What an optimizer shows its callback after each completed iteration.
#[derive(Clone, Copy, Debug)]
pub struct Step<'a> {
    /// The iteration just completed (1-based).
    pub iteration: usize,
    /// The cost after it.
    pub cost: f64,
    /// The parameters after it (unrolled).
    pub params: &'a Array1<f64>,
    /// The cost at the starting point.
    pub initial_cost: f64,
    /// Cost evaluations so far.
    pub evaluations: usize,
}

/// What a callback answers: go on, or stop here (the run ends with [`StopReason::Stopped`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Next {
    /// Go on to the next iteration.
    Continue,
    /// Stop now and return what there is.
    Stop,
}

/// Which optimizer to train with.
#[derive(Clone, Copy, Debug, PartialEq, Default)]
pub enum Optimizer {
    /// The course's conjugate-gradient minimizer.
    #[default]
    Fmincg,
    /// Batch gradient descent: theta -= learning_rate * gradient.
    GradientDescent {
        /// The step size alpha.
        learning_rate: f64,
    },
}

impl std::fmt::Display for Optimizer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Optimizer::Fmincg => write!(f, "fmincg"),
            Optimizer::GradientDescent { learning_rate } => write!(f, "gradient descent (alpha = {learning_rate})"),
        }
    }
}

/// Why an optimizer stopped.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum StopReason {
    /// It ran the requested number of iterations.
    IterationLimit,
    /// fmincg's line search failed twice in a row: no further progress possible
    /// (a minimum, to floating-point precision).
    LineSearchFailed,
    /// The callback asked to stop (a time budget ran out, a student pressed stop...).
    Stopped,
}

/// The record of one optimization run.
#[derive(Clone, Debug, PartialEq)]
pub struct History {
    /// Cost after each completed iteration (`costs[0]` after iteration 1).
    pub costs: Vec<f64>,
    /// Cost at the starting point.
    pub initial_cost: f64,
    /// How many times the cost function was evaluated.
    pub evaluations: usize,
    /// Wall-clock time of the run.
    pub elapsed: Duration,
    /// Why it stopped.
    pub stop_reason: StopReason,
}

impl History {
    /// Number of completed iterations.
    pub fn iterations(&self) -> usize {
        self.costs.len()
    }
    /// The last cost (the initial cost if no iteration completed).
    pub fn final_cost(&self) -> f64 {
        self.costs.last().copied().unwrap_or(self.initial_cost)
    }
}

pub(crate) fn check_iterations(max_iter: usize) -> Result<()> {
    if max_iter == 0 {
        return Err(NnError::InvalidArgument {
            name: "iterations",
            reason: "the iteration count must be at least 1".into(),
        });
    }
    Ok(())
}

/// Evaluates and turns a non-finite cost or gradient into a `Diverged` error.
pub(crate) fn eval_checked(
    f: &mut impl Objective,
    theta: &Array1<f64>,
    iteration: usize,
    evaluations: &mut usize,
) -> Result<(f64, Array1<f64>)> {
    *evaluations += 1;
    let hint = "the step was too large: lower the learning rate, raise lambda, or check the cost function";
    let (j, g) = f.eval(theta).map_err(|e| match e {
        NnError::Diverged { cost, .. } => NnError::Diverged { iteration, cost, hint: hint.into() },
        other => other,
    })?;
    if g.len() != theta.len() {
        return Err(NnError::Shape {
            what: "the objective's gradient".into(),
            expected: format!("{} entries (one per parameter)", theta.len()),
            got: format!("{} entries", g.len()),
        });
    }
    if !j.is_finite() {
        return Err(NnError::Diverged { iteration, cost: j, hint: hint.into() });
    }
    if let Some(bad) = g.iter().find(|v| !v.is_finite()) {
        return Err(NnError::Diverged { iteration, cost: *bad, hint: format!("the gradient has {bad}; {hint}") });
    }
    Ok((j, g))
}
