//! Helpers for the notebook's other cells: running a student function once without a
//! panic escaping, the course's gradient check on it, and training with it (in a child
//! process with a time and memory limit where one can do the work: see [`train_with`]).

use std::fmt;
use std::time::{Duration, Instant};

use ndarray::Array1;
use nn_core::bundled::{self, Source};
use nn_core::lecture::cost::TwoLayerCost;
use nn_core::lecture::network::unroll;
use nn_core::{fmincg, Dataset, GradCheckReport, History, Init, Network, NnError, StopReason};

use crate::explain::{explain_panic, Context};
use crate::isolate::{self, Limits};
use crate::outcome::Failure;

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

/// How long and how much memory [`train_with`] gives a training: 5 minutes and 4 GiB.
///
/// The course's run (400-25-10, 50 iterations, about 150 evaluations of the cost) takes
/// seconds with a vectorized `nn_cost_function`, a minute or two with a loop over the
/// examples.
pub const TRAIN_LIMITS: Limits = Limits { time: Duration::from_secs(300), memory: 4 << 30 };

/// Trains an `n-hidden-K` network with `fmincg` on the student's `nn_cost_function` (the
/// course's part 2.6), from random weights (epsilon 0.12, seeded), under [`TRAIN_LIMITS`].
/// `Err` says what went wrong in words: a panic, an error, a NaN cost, a training that did
/// not train (a stub returning zeros: "the gradient at the starting weights is all
/// zeros"), the time budget, memory, endless recursion, `std::process::exit`.
///
/// Where it runs, honestly:
/// - in a child process ([`crate::isolate`]) when a child can multiply big matrices here
///   ([`isolate::products_fork_safe`]): then an endless loop is stopped at the time limit,
///   an 8 TiB allocation, endless recursion or `exit` are reported, and the notebook's
///   kernel goes on with every variable;
/// - in the notebook's own process otherwise — once ndarray's matrix products have started
///   their thread pool with two or more threads (any machine with 2+ cores, after the first
///   big product), a forked child would wait forever for threads it does not have. There
///   the time budget is checked between evaluations of the student's function: a training
///   that runs too long stops at the first evaluation past it, with the reason; but one
///   evaluation that never returns (an endless loop inside `nn_cost_function`) hangs the
///   cell until it is interrupted, and an allocation beyond memory, endless recursion or
///   `exit` end the kernel. Setting `MATMUL_NUM_THREADS=1` in the kernel's environment
///   keeps the child process possible (products then run on one core).
pub fn train_with(
    nn_cost_function: &TwoLayerCost<'_>,
    data: &Dataset,
    hidden_units: usize,
    lambda: f64,
    iterations: usize,
    seed: u64,
) -> Result<(Network, History), String> {
    train_with_limits(nn_cost_function, data, hidden_units, lambda, iterations, seed, &TRAIN_LIMITS)
}

/// [`train_with`] under other limits (a smaller time budget for a quick check, say).
pub fn train_with_limits(
    nn_cost_function: &TwoLayerCost<'_>,
    data: &Dataset,
    hidden_units: usize,
    lambda: f64,
    iterations: usize,
    seed: u64,
    limits: &Limits,
) -> Result<(Network, History), String> {
    let sizes = [data.num_features(), hidden_units, data.num_labels()];
    let start = Network::random(&sizes, Init::default(), seed).map_err(|e| e.to_string())?;
    let context = Context::Cost { theta1: (sizes[1], sizes[0] + 1), theta2: (sizes[2], sizes[1] + 1), m: data.len() };
    let what = format!(
        "nn_cost_function (training {}-{}-{} with fmincg for {iterations} iterations)",
        sizes[0], sizes[1], sizes[2]
    );
    let began = Instant::now();
    let ran: Result<Result<Trained, String>, String> = if isolate::products_fork_safe() {
        let outcome = isolate::run(limits, || {
            isolate::catch(|| {
                let budget = Budget { limits: *limits, began: Instant::now(), evaluations: 0, over: false };
                fit(nn_cost_function, data, &sizes, lambda, iterations, &start, budget).map(Trained::into_wire)
            })
        });
        match outcome {
            Ok(caught) => caught.map(|result| result.map(Trained::from_wire)),
            Err(failure) => {
                let hint = match failure {
                    Failure::TimedOut(_) => {
                        "; fmincg calls it about 3 times per iteration: time one call, look for a loop that never \
                         ends, or train for fewer iterations"
                    }
                    Failure::OutOfMemory => "; look for a matrix of m x m (5000 x 5000) or larger",
                    _ => "",
                };
                Ok(Err(format!("training stopped: {}{hint}", failure.message(&what))))
            }
        }
    } else {
        isolate::catch(|| {
            let budget = Budget { limits: *limits, began, evaluations: 0, over: false };
            fit(nn_cost_function, data, &sizes, lambda, iterations, &start, budget)
        })
    };
    match ran {
        Ok(Ok(trained)) => {
            let net = Network::reroll(&trained.params, &sizes).map_err(|e| e.to_string())?;
            let mut history = trained.history;
            history.elapsed = began.elapsed();
            Ok((net, history))
        }
        Ok(Err(e)) => Err(e),
        Err(raw) => Err(explain_panic(&raw, context).0),
    }
}

/// The time budget of an in-process training, checked before each evaluation.
struct Budget {
    limits: Limits,
    began: Instant,
    evaluations: usize,
    over: bool,
}

/// What a training hands back (across the pipe from a child, too).
struct Trained {
    params: Vec<f64>,
    history: History,
}

/// `(params, costs, (initial cost, evaluations, stop reason))`: existing [`crate::wire::Wire`] types.
type TrainedWire = (Vec<f64>, Vec<f64>, (f64, usize, usize));
const STOP_REASONS: [StopReason; 3] = [StopReason::IterationLimit, StopReason::LineSearchFailed, StopReason::Stopped];

impl Trained {
    fn into_wire(self) -> TrainedWire {
        let h = self.history;
        let stop = STOP_REASONS.iter().position(|r| *r == h.stop_reason).unwrap_or(2);
        (self.params, h.costs, (h.initial_cost, h.evaluations, stop))
    }
    fn from_wire((params, costs, (initial_cost, evaluations, stop)): TrainedWire) -> Trained {
        let stop_reason = STOP_REASONS.get(stop).copied().unwrap_or(StopReason::Stopped);
        Trained { params, history: History { costs, initial_cost, evaluations, elapsed: Duration::ZERO, stop_reason } }
    }
}

/// fmincg on the student's function from `start`; `Err` in words.
fn fit(
    nn_cost_function: &TwoLayerCost<'_>,
    data: &Dataset,
    sizes: &[usize; 3],
    lambda: f64,
    iterations: usize,
    start: &Network,
    mut budget: Budget,
) -> Result<Trained, String> {
    let objective = |p: &Array1<f64>| -> nn_core::Result<(f64, Array1<f64>)> {
        if budget.began.elapsed() > budget.limits.time {
            budget.over = true;
            return Err(NnError::InvalidArgument { name: "time budget", reason: String::new() });
        }
        budget.evaluations += 1;
        let net = Network::reroll(p.as_slice().expect("contiguous"), sizes)?;
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
    let result = fmincg(objective, start.unroll(), iterations, |_| Ok(nn_core::optim::Next::Continue));
    match result {
        Ok((params, history)) => Ok(Trained { params: params.to_vec(), history }),
        Err(_) if budget.over => Err(format!(
            "training stopped: the time budget of {:.0} s ran out after {} evaluations of nn_cost_function \
             ({:.2} s each); look for a slow loop, or train for fewer iterations",
            budget.limits.time.as_secs_f64(),
            budget.evaluations,
            budget.began.elapsed().as_secs_f64() / budget.evaluations.max(1) as f64
        )),
        Err(e) => Err(e.to_string()),
    }
}
