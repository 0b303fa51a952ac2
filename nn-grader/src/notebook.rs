//! Helpers for the notebook's other cells: running a student function once without a
//! panic escaping, the course's gradient check on it, and training with it.

use std::fmt;

use ndarray::Array1;
use nn_core::bundled::{self, Source};
use nn_core::lecture::cost::TwoLayerCost;
use nn_core::lecture::network::unroll;
use nn_core::{fmincg, Dataset, GradCheckReport, History, Init, Network, NnError};

use crate::explain::{explain_panic, Context};
use crate::isolate::{self, Limits};

/// Runs student code in the notebook's own process: `Ok(value)`, or `Err(what went
/// wrong)` in words (e.g. "not implemented yet (todo!())") instead of a panic. Nothing
/// is printed. For big computations (a child process cannot use the thread pool of
/// ndarray's matrix products: see [`crate::isolate`]); no time limit.
///
/// ```
/// let r: Result<f64, String> = nn_grader::attempt(|| todo!());
/// assert_eq!(r.unwrap_err(), "not implemented yet (todo!())");
/// ```
pub fn attempt<R>(f: impl FnOnce() -> R) -> Result<R, String> {
    isolate::catch(f).map_err(|raw| explain_panic(&raw, Context::General).0)
}

/// [`attempt`] for a function that returns a `Result` (such as `nn_cost_function`): its
/// error, too, comes back as words.
///
/// ```
/// let r = nn_grader::attempt_result(|| nn_core::nn_cost_function(
///     &ndarray::array![[0.0, 0.0]], &ndarray::array![[0.0, 0.0]], &ndarray::array![[1.0]], &ndarray::array![2], 0.0));
/// assert!(r.unwrap_err().starts_with("returned an error: y: label 2"));
/// ```
pub fn attempt_result<T, E: fmt::Display>(f: impl FnOnce() -> Result<T, E>) -> Result<T, String> {
    attempt(f)?.map_err(|e| format!("returned an error: {e}"))
}

/// The notebook's line for the student's cost at the pretrained weights: their J next to
/// the value expected for the files in use ([`bundled::expected`]), or what went wrong.
///
/// `net` and `data` are the files in use (`bundled::weights()`, `bundled::digits()`). When
/// those are not the course's own `ex4data1.mat` + `ex4weights.mat`, a second line says
/// so and gives the handout's number for this lambda (the course's 0.287629 / 0.383770 /
/// 0.576051), with where to read how to use the course's files: a student comparing with
/// the PDF sees why the numbers differ.
///
/// ```
/// use nn_core::bundled::{self, Source};
/// let (net, data) = (bundled::weights().unwrap(), bundled::digits().unwrap());
/// let line = nn_grader::cost_at_weights(&nn_core::nn_cost_function, &net, &data, 0.0);
/// let expected = bundled::expected_cost_text(bundled::expected(), 0.0);
/// assert!(line.starts_with(&format!("Cost at the pretrained weights (lambda = 0): {expected}  (expected about {expected}")));
/// if (bundled::digits_source(), bundled::weights_source()) != (Source::Course, Source::Course) {
///     assert!(line.contains("the handout's 0.287629"));
/// }
/// let todo = nn_grader::cost_at_weights(&|_, _, _, _, _| todo!(), &net, &data, 1.0);
/// assert_eq!(todo, "nn_cost_function: not implemented yet (todo!())");
/// ```
pub fn cost_at_weights(nn_cost_function: &TwoLayerCost<'_>, net: &Network, data: &Dataset, lambda: f64) -> String {
    let j = match attempt_result(|| nn_cost_function(net.theta1(), net.theta2(), data.x(), data.y(), lambda)) {
        Ok((j, _, _)) => j,
        Err(problem) => return format!("nn_cost_function: {problem}"),
    };
    let (digits, weights) = (bundled::digits_source(), bundled::weights_source());
    let expected = bundled::expected_for(digits, weights);
    let mut line = format!(
        "Cost at the pretrained weights (lambda = {lambda}): {j:.6}  (expected about {})",
        bundled::expected_cost_text(expected, lambda)
    );
    let handout = bundled::expected_for(Source::Course, Source::Course).and_then(|e| e.cost(lambda));
    if let (Some(handout), false) = (handout, (digits, weights) == (Source::Course, Source::Course)) {
        let which = match (digits, weights) {
            (Source::Bundled, Source::Bundled) => "the kit's bundled digits and weights",
            (Source::Bundled, Source::Course) => "the kit's bundled digits with the course's weights",
            _ => "the course's digits with the kit's weights",
        };
        line.push_str(&format!(
            "\n  expected for {which}; the handout's {handout:.6} is for the course's own ex4data1.mat and \
             ex4weights.mat\n  (to use those, see data/README.md, \"Using the course's original files instead\")"
        ));
    }
    line
}

/// A gradient check of the student's function, or why it could not run.
#[derive(Clone, Debug)]
pub enum StudentGradCheck {
    /// The check ran: the report says whether it passed and where it failed.
    Report(GradCheckReport),
    /// The function panicked (e.g. `todo!()`), returned an error, ran out of time...
    Failed(String),
}

impl StudentGradCheck {
    /// True when the check ran and passed.
    pub fn passed(&self) -> bool {
        matches!(self, StudentGradCheck::Report(r) if r.passed())
    }
}

impl fmt::Display for StudentGradCheck {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            StudentGradCheck::Report(r) => write!(f, "{r}"),
            StudentGradCheck::Failed(msg) => write!(f, "Gradient check not run: {msg}"),
        }
    }
}

/// The course's `checkNNGradients(lambda)` on the student's `nn_cost_function`, in a child
/// process under `limits`: the 3-5-3 debug network, finite differences against the
/// student's backpropagation, per Theta.
pub fn check_student_gradients(nn_cost_function: &TwoLayerCost<'_>, lambda: f64, limits: &Limits) -> StudentGradCheck {
    let ran = isolate::run(limits, || {
        isolate::catch(|| nn_core::check_nn_gradients(nn_cost_function, lambda).map_err(|e| e.to_string()))
    });
    match ran {
        Ok(Ok(Ok(report))) => StudentGradCheck::Report(report),
        Ok(Ok(Err(e))) => StudentGradCheck::Failed(e),
        Ok(Err(raw)) => {
            StudentGradCheck::Failed(explain_panic(&raw, Context::Cost { theta1: (5, 4), theta2: (3, 6), m: 5 }).0)
        }
        Err(failure) => StudentGradCheck::Failed(failure.message("nn_cost_function")),
    }
}

/// Trains an `n-hidden-K` network with `fmincg` on the student's `nn_cost_function` (the
/// course's part 2.6), from random weights (epsilon 0.12, seeded). `Err` says what went
/// wrong (a panic, an error, a NaN cost...) in words.
///
/// It runs in the notebook's own process (training multiplies big matrices: see
/// [`crate::isolate`]), catching panics, with no time limit.
pub fn train_with(
    nn_cost_function: &TwoLayerCost<'_>,
    data: &Dataset,
    hidden_units: usize,
    lambda: f64,
    iterations: usize,
    seed: u64,
) -> Result<(Network, History), String> {
    let sizes = [data.num_features(), hidden_units, data.num_labels()];
    let start = Network::random(&sizes, Init::default(), seed).map_err(|e| e.to_string())?;
    let objective = |p: &Array1<f64>| -> nn_core::Result<(f64, Array1<f64>)> {
        let net = Network::reroll(p.as_slice().expect("contiguous"), &sizes)?;
        let (j, g1, g2) = nn_cost_function(net.theta1(), net.theta2(), data.x(), data.y(), lambda)?;
        for (l, (g, t)) in [&g1, &g2].into_iter().zip(net.thetas()).enumerate() {
            if g.dim() != t.dim() {
                return Err(NnError::Shape {
                    what: format!("Theta{}_grad", l + 1),
                    expected: format!("{}x{}", t.nrows(), t.ncols()),
                    got: format!("{}x{}", g.nrows(), g.ncols()),
                });
            }
        }
        Ok((j, unroll(&[g1, g2])))
    };
    let context = Context::Cost { theta1: (sizes[1], sizes[0] + 1), theta2: (sizes[2], sizes[1] + 1), m: data.len() };
    match isolate::catch(|| fmincg(objective, start.unroll(), iterations, |_| Ok(nn_core::optim::Next::Continue))) {
        Ok(Ok((params, history))) => {
            let net = Network::reroll(params.as_slice().expect("contiguous"), &sizes).map_err(|e| e.to_string())?;
            Ok((net, history))
        }
        Ok(Err(e)) => Err(e.to_string()),
        Err(raw) => Err(explain_panic(&raw, context).0),
    }
}
