//! Helpers for the notebook's other cells: running a student function once without a
//! panic escaping, the course's gradient check on it, and training with it (in a child
//! process with a time and memory limit scaled to the work: see [`train_with`]).

use std::fmt;
use std::time::{Duration, Instant};

use ndarray::{Array1, Array2};
use nn_core::bundled::{self, Source};
use nn_core::lecture::cost::TwoLayerCost;
use nn_core::train::train_with_cost;
use nn_core::{Dataset, GradCheckReport, History, Init, Network, StopReason, TrainConfig, Trained};

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

/// The most time and memory [`train_with`] gives a training: 5 minutes and 4 GiB. Within
/// that, the time a training may take is scaled to the work asked for: see [`train_with`].
///
/// The course's run (400-25-10, 50 iterations, 83 calls of the cost on the kit's digits)
/// takes seconds with a vectorized `nn_cost_function`, longer with a loop over the examples.
pub const TRAIN_LIMITS: Limits = Limits { time: Duration::from_secs(300), memory: 4 << 30 };

/// How long the first call of the student's function may take: 5 s plus 4 ms per example
/// (25 s on the 5000 digits, 6 s on 200; a loop over the examples takes well under 1 ms per
/// example).
const FIRST_CALL: (Duration, Duration) = (Duration::from_secs(5), Duration::from_millis(4));

/// The calls per iteration the time allowed counts on: fmincg's line search averages under 2
/// (83 calls for the course's 50 iterations) and takes more on a hard stretch.
const CALLS_PER_ITERATION: usize = 3;

/// The time allowed is 5 s plus this many times the first call's time the calls of the run.
const HEADROOM: f64 = 4.0;

/// What to do when a training is slow, in the student's words: the hint of every message
/// about the time running out.
const WHEN_SLOW: &str = "if nn_cost_function is just slow (a loop over the examples is), train for fewer \
                         iterations, or use the vectorized form (every example at once, a1.dot(&theta1.t()))";

/// The time a training of `iterations` may take, from the time of the first call: 5 s plus
/// [`HEADROOM`] times `first_call` for each call fmincg may make (1 + 3 per iteration), in
/// whole seconds, at most `most`.
fn time_allowed(first_call: Duration, iterations: usize, most: Duration) -> Duration {
    let calls = 1 + CALLS_PER_ITERATION * iterations;
    whole_seconds(Duration::from_secs(5) + first_call.mul_f64(HEADROOM * calls as f64)).min(most)
}

/// `d` rounded up to whole seconds (for the messages: "timed out after 6 s").
fn whole_seconds(d: Duration) -> Duration {
    Duration::from_secs_f64(d.as_secs_f64().ceil())
}

/// Trains an `n-hidden-K` network with `fmincg` on the student's `nn_cost_function` (the
/// course's part 2.6), from random weights (epsilon 0.12, seeded), through the library's
/// training ([`nn_core::train::train_with_cost`]): with the library's own cost it trains the
/// network `nn_core::train` does. `Err` says what went wrong in words: a panic, an error, a
/// NaN cost, a gradient of the wrong shape, a training that did not train (a stub returning
/// zeros: "the gradient at the starting weights is all zeros"), the time running out,
/// memory, endless recursion, `std::process::exit`.
///
/// The time it may take is scaled to the work asked for: one call of the function is timed
/// first (it may take 5 s plus 4 ms per example), and the training then gets 5 s plus 4
/// times that call's time for each call fmincg may make (3 per iteration, and the first), at
/// most [`TRAIN_LIMITS`]' 5 minutes. A function that never returns is stopped after
/// seconds, not minutes; one that is just slow gets the time its work needs, and a message
/// that says what to do when even that runs out (fewer iterations, or the vectorized form).
///
/// Where it runs, honestly:
/// - in a child process ([`crate::isolate`]) when a child can multiply big matrices here
///   ([`isolate::products_fork_safe`]): then an endless loop is stopped at the time allowed,
///   an 8 TiB allocation, endless recursion or `exit` are reported, and the notebook's
///   kernel goes on with every variable. The kit's kernel sets `MATMUL_NUM_THREADS=1`
///   (ndarray's matrix products on one thread, no thread pool) so that this is always so;
/// - in the notebook's own process otherwise — once ndarray's matrix products have started
///   their thread pool with two or more threads (a kernel without `MATMUL_NUM_THREADS=1`, on
///   2+ cores, after the first big product), a forked child would wait forever for threads
///   it does not have. There the time allowed is checked between iterations: a training that
///   runs too long stops with the reason; but one call that never returns (an endless loop
///   inside `nn_cost_function`) hangs the cell until it is interrupted, and an allocation
///   beyond memory, endless recursion or `exit` end the kernel.
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

/// [`train_with`] under other limits: `limits.time` is the most any training may take (a
/// smaller one for a quick check, say), `limits.memory` what a child may allocate.
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
    let config = TrainConfig::new(&sizes).lambda(lambda).iterations(iterations).seed(seed);
    let start = Network::random(&sizes, Init::default(), seed).map_err(|e| e.to_string())?;
    let context = Context::Cost { theta1: (sizes[1], sizes[0] + 1), theta2: (sizes[2], sizes[1] + 1), m: data.len() };
    let what = format!(
        "nn_cost_function (training {}-{}-{} with fmincg for {iterations} iterations)",
        sizes[0], sizes[1], sizes[2]
    );
    let two_thetas = |net: &Network, x: &Array2<f64>, y: &Array1<usize>, lambda: f64| {
        let (j, theta1_grad, theta2_grad) = nn_cost_function(net.theta1(), net.theta2(), x, y, lambda)?;
        Ok((j, vec![theta1_grad, theta2_grad]))
    };
    // The first call, timed (what it returns, the training reports: it makes the same call).
    let first_call = || {
        let began = Instant::now();
        let _ = isolate::catch(|| nn_cost_function(start.theta1(), start.theta2(), data.x(), data.y(), lambda));
        began.elapsed().as_secs_f64()
    };
    let began = Instant::now();
    let trained = if isolate::products_fork_safe() {
        let first_limit = whole_seconds(FIRST_CALL.0 + FIRST_CALL.1 * data.len() as u32).min(limits.time);
        let first = isolate::run(&Limits { time: first_limit, ..*limits }, first_call).map_err(|failure| {
            let hint = match &failure {
                Failure::TimedOut(_) => format!(
                    ", in its first call (on {} examples): look for a loop that never ends; {WHEN_SLOW}",
                    data.len()
                ),
                other => stopped_hint(other).into(),
            };
            format!("training stopped: {}{hint}", failure.message(&what))
        })?;
        let first = Duration::from_secs_f64(first);
        let allowed = time_allowed(first, iterations, limits.time);
        let outcome = isolate::run(&Limits { time: allowed, ..*limits }, || {
            isolate::catch(|| {
                train_with_cost(&config, data, &two_thetas).map(|t| to_wire(&t)).map_err(|e| e.to_string())
            })
        });
        match outcome {
            Ok(caught) => caught.map(|result| result.and_then(|wire| from_wire(wire, &sizes))),
            Err(failure) => {
                let hint = match &failure {
                    Failure::TimedOut(_) => {
                        let calls = 1 + CALLS_PER_ITERATION * iterations;
                        let why = if allowed == limits.time {
                            format!(
                                "as long as a training may run; its first call took {:.2} s, and {iterations} \
                                     iterations may need {calls} calls",
                                first.as_secs_f64()
                            )
                        } else {
                            format!(
                                "the time {iterations} iterations (up to {calls} calls) should take, from its \
                                     first call ({:.2} s): a later call took far longer (a loop that never ends?)",
                                first.as_secs_f64()
                            )
                        };
                        format!(", {why}; {WHEN_SLOW}")
                    }
                    other => stopped_hint(other).into(),
                };
                Ok(Err(format!("training stopped: {}{hint}", failure.message(&what))))
            }
        }
    } else {
        let allowed = time_allowed(Duration::from_secs_f64(first_call()), iterations, limits.time);
        isolate::catch(|| {
            let trained =
                train_with_cost(&config.clone().time_budget(allowed), data, &two_thetas).map_err(|e| e.to_string())?;
            if trained.history.stop_reason == StopReason::Stopped {
                let calls = trained.history.evaluations;
                return Err(format!(
                    "training stopped: the time allowed, {:.0} s, ran out after {calls} calls of nn_cost_function \
                     ({:.2} s each) in {} of {iterations} iterations; {WHEN_SLOW}",
                    allowed.as_secs_f64(),
                    began.elapsed().as_secs_f64() / calls.max(1) as f64,
                    trained.history.iterations()
                ));
            }
            Ok((trained.network, trained.history))
        })
    };
    match trained {
        Ok(Ok((network, mut history))) => {
            history.elapsed = began.elapsed();
            Ok((network, history))
        }
        Ok(Err(e)) => Err(e),
        Err(raw) => Err(explain_panic(&raw, context).0),
    }
}

/// What to look for after a child's failure other than the time running out.
fn stopped_hint(failure: &Failure) -> &'static str {
    match failure {
        Failure::OutOfMemory => "; look for a matrix of m x m (5000 x 5000) or larger",
        _ => "",
    }
}

/// A training's result across the pipe from a child, in existing [`crate::wire::Wire`]
/// types: `(params, costs, (initial cost, evaluations, stop reason))`.
type TrainedWire = (Vec<f64>, Vec<f64>, (f64, usize, usize));
const STOP_REASONS: [StopReason; 3] = [StopReason::IterationLimit, StopReason::LineSearchFailed, StopReason::Stopped];

fn to_wire(t: &Trained) -> TrainedWire {
    let h = &t.history;
    let stop = STOP_REASONS.iter().position(|r| *r == h.stop_reason).unwrap_or(2);
    (t.network.unroll().to_vec(), h.costs.clone(), (h.initial_cost, h.evaluations, stop))
}

fn from_wire(
    (params, costs, (initial_cost, evaluations, stop)): TrainedWire,
    sizes: &[usize],
) -> Result<(Network, History), String> {
    let stop_reason = STOP_REASONS.get(stop).copied().unwrap_or(StopReason::Stopped);
    let network = Network::reroll(&params, sizes).map_err(|e| e.to_string())?;
    Ok((network, History { costs, initial_cost, evaluations, elapsed: Duration::ZERO, stop_reason }))
}
