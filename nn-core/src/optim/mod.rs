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

/// Why an optimizer stopped. Its `Display` says it in words.
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

impl std::fmt::Display for StopReason {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            StopReason::IterationLimit => "it ran the iterations asked for",
            StopReason::LineSearchFailed => {
                "the line search found no lower cost twice in a row: a minimum, to floating-point precision"
            }
            StopReason::Stopped => "it was stopped (the time budget ran out, or the callback said stop)",
        })
    }
}

/// The record of one optimization run.
#[derive(Clone, Debug, PartialEq)]
pub struct History {
    /// Cost after each completed iteration (`costs[0]` after iteration 1; iteration 0 is
    /// the start, `initial_cost`).
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

/// What an evaluation failure is blamed on: where it happened (`iteration` 0 is the start,
/// before any step) and which optimizer took the step.
fn divergence_hint(optimizer: &Optimizer, iteration: usize) -> String {
    match (iteration, optimizer) {
        (0, _) => "no step was taken yet, so the cost function or the starting weights are at fault: \
                   evaluate the cost at the starting weights and look for log(0), a division by m = 0 or \
                   weights too large"
            .into(),
        (_, Optimizer::Fmincg) => "fmincg's line search reached a point where it is not finite: the gradient may be \
                                   wrong (compare it with check_nn_gradients), or lambda far too large"
            .into(),
        (_, Optimizer::GradientDescent { learning_rate }) => format!(
            "the step was too large: lower the learning rate (alpha = {}; 0.5 to 2 suits this network)",
            crate::error::short_number(*learning_rate)
        ),
    }
}

/// Evaluates and turns a non-finite cost or gradient into a `Diverged` error that names
/// the iteration (0: the start), the cost, and what to try for this optimizer.
pub(crate) fn eval_checked(
    f: &mut impl Objective,
    theta: &Array1<f64>,
    iteration: usize,
    evaluations: &mut usize,
    optimizer: &Optimizer,
) -> Result<(f64, Array1<f64>)> {
    *evaluations += 1;
    let hint = || divergence_hint(optimizer, iteration);
    let (j, g) = f.eval(theta).map_err(|e| match e {
        NnError::Diverged { cost, .. } => NnError::Diverged { iteration, cost, hint: hint() },
        // The weights the optimizer moved to, not the student's, overflowed.
        NnError::InvalidArgument { name: "weights", .. } if iteration > 0 => NnError::Diverged {
            iteration,
            cost: f64::NAN,
            hint: format!("the weights it reached are too large for floating point; {}", hint()),
        },
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
        return Err(NnError::Diverged { iteration, cost: j, hint: hint() });
    }
    if let Some((at, bad)) = g.iter().enumerate().find(|(_, v)| !v.is_finite()) {
        let culprit = if iteration == 0 {
            "the gradient code is at fault (compare it with check_nn_gradients)".to_string()
        } else {
            hint()
        };
        return Err(NnError::Diverged {
            iteration,
            cost: j,
            hint: format!(
                "the cost is finite but the gradient has {bad} at entry {} of {}: {culprit}",
                at + 1,
                g.len()
            ),
        });
    }
    Ok((j, g))
}

/// What the line searches of a run that completed no iteration saw from its start.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Start {
    /// The gradient at the start was all zeros: no direction to search.
    ZeroGradient,
    /// Points with a lower cost, but none where the slope flattened (Wolfe-Powell).
    LowerButNotFlat,
    /// No point with a lower cost.
    NoLowerCost,
}

/// The verdict on a finished run: `Err(NotTrained)` when it completed no iteration (what
/// its line searches saw: `start`), or ended with a higher cost than it started with
/// (beyond rounding: 1e-9 relative).
pub(crate) fn judge(history: &History, optimizer: &Optimizer, start: Start) -> Result<()> {
    let (initial, last) = (history.initial_cost, history.final_cost());
    let fail = |reason: String, hint: String| {
        Err(NnError::NotTrained {
            optimizer: optimizer.to_string(),
            iterations: history.iterations(),
            initial_cost: initial,
            final_cost: last,
            reason,
            hint,
        })
    };
    if history.iterations() == 0 {
        return match start {
            Start::ZeroGradient => fail(
                "the gradient at the starting weights is all zeros, so there is no downhill direction".into(),
                "does the cost function return its gradients (not zeros)? Compare them with check_nn_gradients; \
                 random starting weights (not all equal) break the symmetry"
                    .into(),
            ),
            Start::LowerButNotFlat => fail(
                format!(
                    "the line search found lower costs but no point where the slope flattens, in {} evaluations",
                    history.evaluations
                ),
                "the minimum may be on a scale the line search cannot reach in 20 steps (the starting weights or \
                 lambda far too large: the course starts from epsilon 0.12 with lambda = 1), or the cost may fall \
                 without end (is it bounded below? a sign error in J does that), or the gradient may not be the \
                 cost's (compare it with check_nn_gradients)"
                    .into(),
            ),
            Start::NoLowerCost => fail(
                "the line search found no lower cost from the start".into(),
                "the gradient may be wrong (compare it with check_nn_gradients), or lambda far too large \
                 (the course uses lambda = 1), or the starting weights far too large (epsilon 0.12 is the course's); \
                 or the start is a minimum already (a training continued after it converged)"
                    .into(),
            ),
        };
    }
    if last > initial + 1e-9 * initial.abs().max(1.0) {
        let how = if last > 10.0 * initial.abs().max(1e-300) { "far above" } else { "above" };
        let hint = match optimizer {
            Optimizer::GradientDescent { learning_rate } => format!(
                "the steps overshoot: lower the learning rate (alpha = {}; 0.5 to 2 suits this network)",
                crate::error::short_number(*learning_rate)
            ),
            Optimizer::Fmincg => "the gradient may be wrong (compare it with check_nn_gradients)".into(),
        };
        return fail(format!("the cost rose: it ended {how} where it started"), hint);
    }
    Ok(())
}
