//! Training: random initialization, then an optimizer on the regularized cost.
//!
//! ```
//! use nn_core::prelude::*;
//! // A tiny problem: 2 inputs, label 1 when x0 > x1, else 2.
//! let x = array![[1.0, 0.0], [0.0, 1.0], [2.0, 0.5], [0.2, 1.5]];
//! let data = Dataset::new(x, array![1, 2, 1, 2], 2).unwrap();
//! let config = TrainConfig::new(&[2, 3, 2]).lambda(0.0).iterations(30).seed(1);
//! let trained = train(&config, &data).unwrap();
//! assert_eq!(&trained.network.predict(data.x()).unwrap(), data.y());
//! assert!(trained.history.final_cost() < trained.history.initial_cost);
//! ```

use std::fmt;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use ndarray::{Array1, Array2};

use crate::engine::FastCost;
use crate::error::{check_lambda, short_number, NnError, Result};
use crate::io::checkpoint::Checkpoint;
use crate::lecture::cost::nn_cost_function_deep;
use crate::lecture::network::{unroll, Init, Network};
use crate::lecture::Dataset;
use crate::optim::{fmincg, gradient_descent, History, Next, Objective, Optimizer, Step};

/// Which code computes the cost and gradient during training. Both give the same
/// numbers (to rounding; tested); the fast one is several times quicker.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Engine {
    /// [`FastCost`]: X prepared once without its zeros, all cores, SIMD.
    #[default]
    Fast,
    /// The lecture's code, [`nn_cost_function_deep`], as a student reads it.
    Lecture,
}

/// A function called after every iteration with `(iteration, cost)`, e.g. to print
/// `Iteration 12 | Cost: 4.5e-01`.
#[derive(Clone, Default)]
pub struct Progress(Option<Arc<Mutex<ProgressFn>>>);

/// What a [`Progress`] calls: `(iteration, cost)`.
type ProgressFn = dyn FnMut(usize, f64) + Send;

impl fmt::Debug for Progress {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(if self.0.is_some() { "Progress(callback)" } else { "Progress(none)" })
    }
}

impl Progress {
    fn call(&self, iteration: usize, cost: f64) {
        if let Some(callback) = &self.0 {
            (callback.lock().unwrap_or_else(|p| p.into_inner()))(iteration, cost);
        }
    }
}

/// Builder methods `name(self, value) -> Self` for plain fields.
macro_rules! setters {
    ($($(#[$doc:meta])* $field:ident: $ty:ty,)*) => {
        $($(#[$doc])* pub fn $field(mut self, $field: $ty) -> Self {
            self.$field = $field;
            self
        })*
    };
}

/// Everything that decides a training run, checked once by [`train`].
#[derive(Clone, Debug)]
pub struct TrainConfig {
    /// Layer sizes, input first: `[400, 25, 10]`.
    pub sizes: Vec<usize>,
    /// Regularization strength lambda.
    pub lambda: f64,
    /// fmincg or gradient descent.
    pub optimizer: Optimizer,
    /// Iterations (line searches for fmincg, steps for gradient descent).
    pub iterations: usize,
    /// Seed of the random initial weights.
    pub seed: u64,
    /// How the initial weights are drawn.
    pub init: Init,
    /// Which code computes the cost and gradient.
    pub engine: Engine,
    /// Start from these weights instead of random ones (to train on); their layer sizes
    /// must be `sizes`.
    pub start: Option<Network>,
    /// Called after each iteration.
    pub progress: Progress,
    /// Stop (and keep what there is) once training has run this long.
    pub time_budget: Option<Duration>,
    /// Save the run to this file every so many iterations (and when it ends), so that
    /// [`Trained::from_checkpoint`] can bring it back after an interrupted cell or a dead kernel.
    pub checkpoint: Option<(PathBuf, usize)>,
    /// Keep this many networks of the run in [`Trained::snapshots`] (0: none; else 2 to
    /// [`MAX_SNAPSHOTS`], at most one per iteration and the start).
    pub snapshots: usize,
}

impl Default for TrainConfig {
    /// The course's run: 400-25-10, lambda = 1, 50 fmincg iterations, epsilon = 0.12.
    fn default() -> Self {
        TrainConfig {
            sizes: vec![400, 25, 10],
            lambda: 1.0,
            optimizer: Optimizer::Fmincg,
            iterations: 50,
            seed: 0,
            init: Init::default(),
            engine: Engine::Fast,
            start: None,
            progress: Progress::default(),
            time_budget: None,
            checkpoint: None,
            snapshots: 0,
        }
    }
}

impl TrainConfig {
    /// The course's settings for a network of the given layer sizes.
    pub fn new(sizes: &[usize]) -> Self {
        TrainConfig { sizes: sizes.to_vec(), ..Default::default() }
    }
    setters! {
        /// Sets lambda.
        lambda: f64,
        /// Sets the number of iterations.
        iterations: usize,
        /// Sets the seed of the initial weights.
        seed: u64,
        /// Sets the optimizer.
        optimizer: Optimizer,
        /// Sets the initialization rule.
        init: Init,
        /// Sets the engine.
        engine: Engine,
    }
    /// Starts from `network` (e.g. 350 more iterations after the first 50).
    pub fn start_from(mut self, network: Network) -> Self {
        self.start = Some(network);
        self
    }
    /// Stops training after `budget` (the network trained so far is returned, its history
    /// ends with [`StopReason::Stopped`](crate::optim::StopReason::Stopped)).
    pub fn time_budget(mut self, budget: Duration) -> Self {
        self.time_budget = Some(budget);
        self
    }
    /// Saves the run to `path` every `every` iterations and at the end (atomically).
    pub fn checkpoint(mut self, path: impl AsRef<Path>, every: usize) -> Self {
        self.checkpoint = Some((path.as_ref().to_path_buf(), every));
        self
    }
    /// Keeps `count` networks of the run in [`Trained::snapshots`], evenly spread over the
    /// iterations asked for, the start (iteration 0) and the end included: what
    /// [`viz::training_explorer`](crate::viz::training_explorer) and
    /// [`viz::training_animation`](crate::viz::training_animation) draw. They are the run's own
    /// networks: the last one is [`Trained::network`], and the one at iteration k is the
    /// network a training of k iterations ends with.
    pub fn snapshots(mut self, count: usize) -> Self {
        self.snapshots = count;
        self
    }
    /// Calls `callback(iteration, cost)` after each iteration.
    pub fn on_iteration(mut self, callback: impl FnMut(usize, f64) + Send + 'static) -> Self {
        self.progress = Progress(Some(Arc::new(Mutex::new(callback))));
        self
    }

    /// Checks the settings against the data: lambda, iterations, the layer sizes against
    /// X and the labels, the start network against the sizes.
    fn check(&self, data: &Dataset) -> Result<()> {
        check_lambda(self.lambda)?;
        crate::optim::check_iterations(self.iterations)?;
        if let Optimizer::GradientDescent { learning_rate } = self.optimizer {
            if !(learning_rate.is_finite() && learning_rate > 0.0) {
                return Err(NnError::InvalidArgument {
                    name: "learning rate",
                    reason: format!("the learning rate must be a finite number > 0, got {learning_rate}"),
                });
            }
        }
        if self.sizes.first() != Some(&data.num_features()) {
            return Err(NnError::Shape {
                what: "input layer".into(),
                expected: format!("{} units (one per column of X)", data.num_features()),
                got: format!("layer sizes {:?}", self.sizes),
            });
        }
        if self.sizes.last() != Some(&data.num_labels()) {
            return Err(NnError::Shape {
                what: "output layer".into(),
                expected: format!("{} units (one per class)", data.num_labels()),
                got: format!("layer sizes {:?}", self.sizes),
            });
        }
        if let Some(start) = &self.start {
            if start.layer_sizes() != self.sizes {
                return Err(NnError::Shape {
                    what: "start network".into(),
                    expected: format!("layer sizes {:?} (the config's)", self.sizes),
                    got: format!("layer sizes {:?}", start.layer_sizes()),
                });
            }
        }
        if data.is_empty() {
            return Err(NnError::InvalidArgument { name: "data", reason: "no examples to train on".into() });
        }
        if self.snapshots != 0 {
            let (count, iterations) = (self.snapshots, self.iterations);
            let most = MAX_SNAPSHOTS.min(iterations + 1);
            if !(2..=most).contains(&count) {
                return Err(NnError::InvalidArgument {
                    name: "snapshots",
                    reason: format!(
                        "asked for {count} snapshots of a {iterations}-iteration training: 2 (the start and the end) \
                         to {most} (at most {MAX_SNAPSHOTS}, each a frame of about 20 KB in a notebook, and one per \
                         iteration and the start)"
                    ),
                });
            }
        }
        if let Some((path, every)) = &self.checkpoint {
            if *every == 0 || path.file_name().is_none() {
                return Err(NnError::InvalidArgument {
                    name: "checkpoint",
                    reason: format!("save every n >= 1 iterations to a file, got every {every} to {}", path.display()),
                });
            }
        }
        Ok(())
    }

    /// The network training starts from: `start`, or random weights from `seed`.
    fn initial_network(&self) -> Result<Network> {
        match &self.start {
            Some(network) => Ok(network.clone()),
            None => Network::random(&self.sizes, self.init, self.seed),
        }
    }
}

/// The most snapshots a training keeps ([`TrainConfig::snapshots`]), and so the most frames
/// of an explorer or an animation: each frame adds about 15-25 KB to the notebook that shows
/// it (on the digits, a 21-frame training explorer is about 485 KB, an 11-frame one 295 KB),
/// and a notebook should stay well under 1.5 MB.
pub const MAX_SNAPSHOTS: usize = 21;

/// A network saved at one iteration of a training ([`TrainConfig::snapshots`]).
#[derive(Clone, Debug, PartialEq)]
pub struct Snapshot {
    /// Iterations completed when it was saved (0: the initial weights).
    pub iteration: usize,
    /// The weights at that point.
    pub network: Network,
}

/// A trained network with the record of how it got there.
#[derive(Clone, Debug)]
pub struct Trained {
    /// The learned weights.
    pub network: Network,
    /// Cost per iteration, evaluations, time.
    pub history: History,
    /// The settings used.
    pub config: TrainConfig,
    /// The networks kept on the way ([`TrainConfig::snapshots`]; empty unless asked for),
    /// first (iteration 0) to last (the trained network).
    pub snapshots: Vec<Snapshot>,
}

impl Trained {
    /// Brings back a run saved with [`TrainConfig::checkpoint`]: the network, its history and
    /// its settings (layer sizes, lambda, seed; `iterations` is the number done). Continue it
    /// with `train(&run.config.clone().iterations(n).start_from(run.network.clone()), &data)`.
    pub fn from_checkpoint(path: impl AsRef<Path>) -> Result<Trained> {
        let cp = Checkpoint::load(path)?;
        let config = TrainConfig::new(&cp.network.layer_sizes())
            .lambda(cp.lambda)
            .seed(cp.seed)
            .iterations(cp.history.iterations().max(1));
        Ok(Trained { network: cp.network, history: cp.history, config, snapshots: Vec::new() })
    }

    /// The cost after each iteration with the start in front: `[initial, after 1, after 2,
    /// ...]`, so that entry k belongs to iteration k (and to a snapshot of iteration k).
    pub fn costs_from_start(&self) -> Vec<f64> {
        std::iter::once(self.history.initial_cost).chain(self.history.costs.iter().copied()).collect()
    }
}

/// Trains a network as `config` says: from random weights (or `config.start`), with the
/// chosen optimizer and engine. The one entry point for training.
pub fn train(config: &TrainConfig, data: &Dataset) -> Result<Trained> {
    match config.engine {
        Engine::Fast => {
            config.check(data)?;
            let start = Instant::now();
            let objective = FastCost::new(data, &config.sizes, config.lambda)?;
            optimize(config, objective, start.elapsed())
        }
        Engine::Lecture => train_with_cost(config, data, &nn_cost_function_deep),
    }
}

/// A cost function training can minimize: `(network, X, y, lambda) -> (J, one gradient per
/// Theta)`, the signature of [`nn_cost_function_deep`]. A two-Theta function such as a
/// student's `nn_cost_function(theta1, theta2, x, y, lambda)` fits in a closure.
pub type CostFunction<'a> = dyn Fn(&Network, &Array2<f64>, &Array1<usize>, f64) -> Result<(f64, Vec<Array2<f64>>)> + 'a;

/// [`train`] with another cost function in place of `config.engine`'s: the same checks of
/// `config`, the same start, optimizer, progress calls, checkpoints, snapshots and time
/// budget. Each gradient's shape is checked against its Theta (`Theta1_grad` ...), and the
/// history's elapsed time counts the cost function's calls. With the lecture's own cost it
/// is `train` with [`Engine::Lecture`], bit for bit.
///
/// ```
/// use nn_core::prelude::*;
/// use nn_core::train::train_with_cost;
/// let x = array![[1.0, 0.0], [0.0, 1.0], [2.0, 0.5], [0.2, 1.5]];
/// let data = Dataset::new(x, array![1, 2, 1, 2], 2).unwrap();
/// let config = TrainConfig::new(&[2, 3, 2]).iterations(10).seed(1);
/// // A two-Theta cost function, as the exercise's nn_cost_function is.
/// let two = |net: &Network, x: &Array2<f64>, y: &Array1<usize>, lambda: f64| {
///     let (j, g1, g2) = nn_cost_function(net.theta1(), net.theta2(), x, y, lambda)?;
///     Ok((j, vec![g1, g2]))
/// };
/// let trained = train_with_cost(&config, &data, &two).unwrap();
/// let lecture = train(&config.clone().engine(Engine::Lecture), &data).unwrap();
/// assert!((trained.history.final_cost() - lecture.history.final_cost()).abs() < 1e-12);
/// assert_eq!(train_with_cost(&config, &data, &nn_cost_function_deep).unwrap().network, lecture.network);
/// ```
pub fn train_with_cost(config: &TrainConfig, data: &Dataset, cost: &CostFunction<'_>) -> Result<Trained> {
    config.check(data)?;
    let sizes = &config.sizes;
    let objective = |params: &Array1<f64>| -> Result<(f64, Array1<f64>)> {
        let network = Network::reroll(params.as_slice().unwrap_or(&params.to_vec()), sizes)?;
        let (j, grads) = cost(&network, data.x(), data.y(), config.lambda)?;
        check_gradient_shapes(&network, &grads)?;
        Ok((j, unroll(&grads)))
    };
    optimize(config, objective, Duration::ZERO)
}

/// One gradient per Theta, each of its Theta's shape; the error names the first that is not.
fn check_gradient_shapes(network: &Network, grads: &[Array2<f64>]) -> Result<()> {
    let thetas = network.thetas();
    if grads.len() != thetas.len() {
        return Err(NnError::Shape {
            what: "gradients".into(),
            expected: format!("{} (one per Theta)", thetas.len()),
            got: format!("{}", grads.len()),
        });
    }
    for (l, (g, t)) in grads.iter().zip(thetas).enumerate() {
        if g.dim() != t.dim() {
            return Err(NnError::Shape {
                what: format!("Theta{}_grad", l + 1),
                expected: format!("{}x{}", t.nrows(), t.ncols()),
                got: format!("{}x{}", g.nrows(), g.ncols()),
            });
        }
    }
    Ok(())
}

/// The iterations at which `count` snapshots of a `total`-iteration run are taken: evenly
/// spread, 0 and `total` included (none when `count` is 0).
fn snapshot_iterations(count: usize, total: usize) -> Vec<usize> {
    if count < 2 {
        return Vec::new();
    }
    let mut at: Vec<usize> = (0..count).map(|k| (k * total + (count - 1) / 2) / (count - 1)).collect();
    at.dedup();
    at
}

/// Runs the optimizer of `config` on `objective` (whose lambda is `config.lambda`). The
/// history's elapsed time counts the preparation too (`prepared_in`). After each iteration:
/// the progress callback, a snapshot and a checkpoint when one is due, the time budget.
fn optimize(config: &TrainConfig, objective: impl Objective, prepared_in: Duration) -> Result<Trained> {
    let start = Instant::now();
    let first = config.initial_network()?;
    let initial = first.unroll();
    let reroll = |params: &Array1<f64>| Network::reroll(params.as_slice().unwrap_or(&params.to_vec()), &config.sizes);
    let due = snapshot_iterations(config.snapshots, config.iterations);
    let mut snapshots = Vec::with_capacity(due.len());
    if !due.is_empty() {
        snapshots.push(Snapshot { iteration: 0, network: first });
    }
    let mut costs = Vec::new();
    let mut watch = |step: &Step<'_>| -> Result<Next> {
        config.progress.call(step.iteration, step.cost);
        costs.push(step.cost);
        // Counted in completed iterations (a failed line search completes none), as the
        // history's costs are.
        if due.binary_search(&costs.len()).is_ok() {
            snapshots.push(Snapshot { iteration: costs.len(), network: reroll(step.params)? });
        }
        if let Some((path, every)) = &config.checkpoint {
            if step.iteration.is_multiple_of(*every) {
                let history = History {
                    costs: costs.clone(),
                    initial_cost: step.initial_cost,
                    evaluations: step.evaluations,
                    elapsed: prepared_in + start.elapsed(),
                    stop_reason: crate::optim::StopReason::Stopped,
                };
                save_checkpoint(config, path, step.params, history)?;
            }
        }
        let over_budget = config.time_budget.is_some_and(|budget| start.elapsed() >= budget);
        Ok(if over_budget { Next::Stop } else { Next::Continue })
    };
    let (params, mut history) = match config.optimizer {
        Optimizer::Fmincg => fmincg(objective, initial, config.iterations, &mut watch)?,
        Optimizer::GradientDescent { learning_rate } => {
            gradient_descent(objective, initial, learning_rate, config.iterations, &mut watch)?
        }
    };
    history.elapsed = prepared_in + start.elapsed();
    if let Some((path, _)) = &config.checkpoint {
        save_checkpoint(config, path, &params, history.clone())?;
    }
    let network = reroll(&params)?;
    // A run that stopped early (converged, out of time) ends with its last network.
    if !due.is_empty() && snapshots.last().map(|s| s.iteration) != Some(history.iterations()) {
        snapshots.push(Snapshot { iteration: history.iterations(), network: network.clone() });
    }
    Ok(Trained { network, history, config: config.clone(), snapshots })
}

fn save_checkpoint(config: &TrainConfig, path: &Path, params: &ndarray::Array1<f64>, history: History) -> Result<()> {
    let network = Network::reroll(params.as_slice().unwrap_or(&params.to_vec()), &config.sizes)?;
    Checkpoint { network, history, lambda: config.lambda, seed: config.seed }.save(path)
}

/// One lambda of a comparison: the trained network and how it does on the
/// training set and on held-out data.
#[derive(Clone, Debug)]
pub struct LambdaResult {
    /// The lambda this network was trained with.
    pub lambda: f64,
    /// The trained network, its history and settings.
    pub trained: Trained,
    /// Accuracy on the training set (0..=1).
    pub train_accuracy: f64,
    /// Accuracy on the held-out set (0..=1).
    pub test_accuracy: f64,
    /// Unregularized cost J (lambda = 0) on the training set.
    pub train_cost: f64,
    /// Unregularized cost J (lambda = 0) on the held-out set.
    pub test_cost: f64,
}

/// A comparison of several lambdas on the same data, seed and everything else.
/// Its `Display` is the comparison table.
#[derive(Clone, Debug)]
pub struct LambdaStudy {
    /// One result per lambda, in the order asked for.
    pub results: Vec<LambdaResult>,
}

/// Trains one network per lambda (same seed, same everything else; `config.lambda` is
/// ignored) and scores each on the training and held-out sets: the numbers behind the
/// lambda panel and the validation curve. The trainings share X (prepared once) and run
/// side by side, one per core. `config.progress` is not called and no checkpoint is written;
/// snapshots, when `config` asks for them, are kept in each lambda's `trained`.
pub fn compare_lambdas(
    config: &TrainConfig,
    train_set: &Dataset,
    held_out: &Dataset,
    lambdas: &[f64],
) -> Result<LambdaStudy> {
    if lambdas.is_empty() {
        return Err(NnError::InvalidArgument { name: "lambdas", reason: "give at least one lambda".into() });
    }
    for &l in lambdas {
        check_lambda(l)?;
    }
    config.check(train_set)?;
    if held_out.num_features() != train_set.num_features() || held_out.num_labels() != train_set.num_labels() {
        return Err(NnError::Shape {
            what: "held-out set".into(),
            expected: format!(
                "{} features and {} labels, like the training set",
                train_set.num_features(),
                train_set.num_labels()
            ),
            got: format!("{} features and {} labels", held_out.num_features(), held_out.num_labels()),
        });
    }
    // No progress lines and no checkpoint file from eight trainings at once.
    let quiet = TrainConfig { progress: Progress::default(), checkpoint: None, ..config.clone() };
    let cores = std::thread::available_parallelism().map(|n| n.get()).unwrap_or(1);
    let workers = cores.min(lambdas.len()).max(1);
    // X is prepared once for all the lambdas, and the cores are shared out: one training
    // per core, each evaluating on one thread, rather than every training spreading each
    // evaluation over every core (which made them wait on each other).
    let start = Instant::now();
    let prepared = match quiet.engine {
        Engine::Fast => Some(FastCost::new(train_set, &quiet.sizes, 0.0)?.with_threads((cores / workers).max(1))),
        Engine::Lecture => None,
    };
    let prepare_time = start.elapsed();
    let next = std::sync::atomic::AtomicUsize::new(0);
    let mut slots: Vec<Option<Result<LambdaResult>>> = (0..lambdas.len()).map(|_| None).collect();
    let shared = Mutex::new(&mut slots);
    std::thread::scope(|scope| {
        for _ in 0..workers {
            scope.spawn(|| loop {
                let i = next.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
                if i >= lambdas.len() {
                    break;
                }
                let run = quiet.clone().lambda(lambdas[i]);
                let trained = match &prepared {
                    Some(fast) => {
                        fast.with_lambda(lambdas[i]).and_then(|objective| optimize(&run, objective, prepare_time))
                    }
                    None => train(&run, train_set),
                };
                // Scored here too, so that the eight scorings also run side by side.
                let outcome = trained
                    .map_err(|e| at_lambda(e, lambdas[i]))
                    .and_then(|trained| score(lambdas[i], trained, train_set, held_out));
                shared.lock().unwrap_or_else(|p| p.into_inner())[i] = Some(outcome);
            });
        }
    });
    let mut results = Vec::with_capacity(lambdas.len());
    for (slot, &lambda) in slots.into_iter().zip(lambdas) {
        results.push(slot.unwrap_or_else(|| {
            Err(NnError::InvalidArgument { name: "lambda study", reason: format!("lambda {lambda} was not trained") })
        })?);
    }
    Ok(LambdaStudy { results })
}

/// A training's failure in a study of several lambdas, saying which lambda it was.
fn at_lambda(e: NnError, lambda: f64) -> NnError {
    let at = format!("at lambda = {}", short_number(lambda));
    match e {
        NnError::NotTrained { optimizer, iterations, initial_cost, final_cost, reason, hint } => NnError::NotTrained {
            optimizer: format!("{optimizer} {at}"),
            iterations,
            initial_cost,
            final_cost,
            reason,
            hint,
        },
        NnError::Diverged { iteration, cost, hint } => {
            NnError::Diverged { iteration, cost, hint: format!("{at}: {hint}") }
        }
        other => other,
    }
}

/// One row of a lambda study: the trained network's accuracy and unregularized cost J
/// on the training and held-out sets.
fn score(lambda: f64, trained: Trained, train_set: &Dataset, held_out: &Dataset) -> Result<LambdaResult> {
    let net = &trained.network;
    Ok(LambdaResult {
        lambda,
        train_accuracy: net.accuracy(train_set)?,
        test_accuracy: net.accuracy(held_out)?,
        train_cost: nn_cost_function_deep(net, train_set.x(), train_set.y(), 0.0)?.0,
        test_cost: nn_cost_function_deep(net, held_out.x(), held_out.y(), 0.0)?.0,
        trained,
    })
}

impl LambdaStudy {
    /// Checks what a figure of the study draws: every lambda by the one rule for lambda,
    /// and every number finite (accuracies, costs J, the costs of each training history).
    /// The error names the lambda and the value; the figures call it before drawing.
    ///
    /// ```
    /// use nn_core::prelude::*;
    /// let x = ndarray::Array2::from_shape_fn((20, 4), |(i, j)| ((i * 3 + j) % 5) as f64);
    /// let data = Dataset::new(x, ndarray::Array1::from_shape_fn(20, |i| 1 + i % 2), 2).unwrap();
    /// let mut study = compare_lambdas(&TrainConfig::new(&[4, 3, 2]).iterations(5), &data, &data, &[0.0, 1.0]).unwrap();
    /// assert!(study.check_finite().is_ok());
    /// study.results[1].test_cost = f64::NAN;
    /// let e = study.check_finite().unwrap_err().to_string();
    /// assert!(e.contains("lambda = 1") && e.contains("held-out cost J is NaN"), "{e}");
    /// ```
    pub fn check_finite(&self) -> Result<()> {
        for r in &self.results {
            check_lambda(r.lambda)?;
            let h = &r.trained.history;
            let numbers = [
                ("training accuracy", r.train_accuracy),
                ("held-out accuracy", r.test_accuracy),
                ("training cost J", r.train_cost),
                ("held-out cost J", r.test_cost),
                ("initial cost (iteration 0)", h.initial_cost),
            ];
            let costs = h.costs.iter().enumerate().map(|(i, &c)| (i + 1, c));
            let bad =
                numbers.iter().find(|(_, v)| !v.is_finite()).map(|(what, v)| (what.to_string(), *v)).or_else(|| {
                    costs.clone().find(|(_, c)| !c.is_finite()).map(|(i, c)| (format!("cost at iteration {i}"), c))
                });
            if let Some((what, value)) = bad {
                return Err(NnError::InvalidArgument {
                    name: "lambda study",
                    reason: format!(
                        "at lambda = {} the {what} is {value}: a figure of it would mean nothing; train that lambda \
                         again (a smaller lambda, fewer or more iterations) or leave it out",
                        short_number(r.lambda)
                    ),
                });
            }
        }
        Ok(())
    }

    /// Which lambdas did best on the held-out set, by its cost J and by its accuracy, ties
    /// kept; printed, two lines.
    ///
    /// ```
    /// use nn_core::prelude::*;
    /// let x = ndarray::Array2::from_shape_fn((20, 4), |(i, j)| ((i * 3 + j) % 5) as f64);
    /// let data = Dataset::new(x, ndarray::Array1::from_shape_fn(20, |i| 1 + i % 2), 2).unwrap();
    /// let study = compare_lambdas(&TrainConfig::new(&[4, 3, 2]).iterations(5), &data, &data, &[0.0, 1.0]).unwrap();
    /// let best = study.best();
    /// assert!(!best.lambdas_by_cost.is_empty() && best.test_accuracy <= 1.0);
    /// assert!(best.to_string().starts_with("lowest held-out cost J: "));
    /// ```
    pub fn best(&self) -> Best {
        let lambdas = |pick: &dyn Fn(&LambdaResult) -> bool| -> Vec<f64> {
            self.results.iter().filter(|r| pick(r)).map(|r| r.lambda).collect()
        };
        let test_cost = self.results.iter().map(|r| r.test_cost).fold(f64::INFINITY, f64::min);
        let test_accuracy = self.results.iter().map(|r| r.test_accuracy).fold(f64::NEG_INFINITY, f64::max);
        Best {
            test_cost,
            lambdas_by_cost: lambdas(&|r| r.test_cost == test_cost),
            test_accuracy,
            lambdas_by_accuracy: lambdas(&|r| r.test_accuracy == test_accuracy),
        }
    }
}

/// The lambdas of a study that did best on the held-out set ([`LambdaStudy::best`]), ties
/// kept. Printed, it reads `lowest held-out cost J: 0.9712 at lambda = 1` and
/// `highest held-out accuracy: 89.10% at lambda = 1`, one line each.
#[derive(Clone, Debug, PartialEq)]
pub struct Best {
    /// The lowest held-out cost J.
    pub test_cost: f64,
    /// The lambdas that reached it (more than one: a tie).
    pub lambdas_by_cost: Vec<f64>,
    /// The highest held-out accuracy (a fraction, 0..=1).
    pub test_accuracy: f64,
    /// The lambdas that reached it.
    pub lambdas_by_accuracy: Vec<f64>,
}

impl fmt::Display for Best {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let at = |lambdas: &[f64]| {
            let list: Vec<String> = lambdas.iter().map(f64::to_string).collect();
            format!("lambda = {}{}", list.join(" and "), if list.len() > 1 { " (a tie)" } else { "" })
        };
        writeln!(f, "lowest held-out cost J: {:.4} at {}", self.test_cost, at(&self.lambdas_by_cost))?;
        write!(f, "highest held-out accuracy: {:.2}% at {}", 100.0 * self.test_accuracy, at(&self.lambdas_by_accuracy))
    }
}

impl fmt::Display for LambdaStudy {
    /// One row per lambda: accuracies and the unregularized cost J on both sets, and the
    /// final training objective (J plus the lambda penalty, what the optimizer minimized).
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f, "  lambda | train acc | held-out acc | train J | held-out J | objective")?;
        for r in &self.results {
            writeln!(
                f,
                "{:>8} | {:>8.2}% | {:>11.2}% | {:>7.4} | {:>10.4} | {:>9.4}",
                r.lambda,
                100.0 * r.train_accuracy,
                100.0 * r.test_accuracy,
                r.train_cost,
                r.test_cost,
                r.trained.history.final_cost()
            )?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::lecture::network::debug_initialize_weights;

    fn toy() -> Dataset {
        let x = debug_initialize_weights(30, 3) * 10.0; // 30 x 4
        let y: Array1<usize> = x.rows().into_iter().map(|r| if r[0] + r[1] > r[2] + r[3] { 1 } else { 2 }).collect();
        Dataset::new(x, y, 2).unwrap()
    }

    #[test]
    fn fmincg_training_learns_and_is_reproducible() {
        let data = toy();
        let config = TrainConfig::new(&[4, 5, 2]).lambda(0.0).iterations(100).seed(3);
        let a = train(&config, &data).unwrap();
        let b = train(&config, &data).unwrap();
        assert_eq!(a.network, b.network);
        assert!(a.network.accuracy(&data).unwrap() >= 0.95, "{}", a.network.accuracy(&data).unwrap());
        assert!(a.history.final_cost() < 0.3 * a.history.initial_cost);
    }

    #[test]
    fn both_engines_train_the_same_network() {
        let data = toy();
        let config = TrainConfig::new(&[4, 5, 2]).lambda(1.0).iterations(30).seed(4);
        let fast = train(&config, &data).unwrap();
        let lecture = train(&config.clone().engine(Engine::Lecture), &data).unwrap();
        assert_eq!(fast.history.iterations(), lecture.history.iterations());
        for (a, b) in fast.history.costs.iter().zip(&lecture.history.costs) {
            assert!((a - b).abs() < 1e-9, "{a} vs {b}");
        }
        let diff = (&fast.network.unroll() - &lecture.network.unroll()).iter().fold(0.0f64, |m, v| m.max(v.abs()));
        assert!(diff < 1e-6, "{diff}");
    }

    #[test]
    fn progress_is_called_and_training_continues_from_a_start() {
        let data = toy();
        let seen = Arc::new(Mutex::new(Vec::new()));
        let log = seen.clone();
        let config =
            TrainConfig::new(&[4, 5, 2]).iterations(10).on_iteration(move |i, j| log.lock().unwrap().push((i, j)));
        let first = train(&config, &data).unwrap();
        let calls = seen.lock().unwrap().clone();
        assert_eq!(calls.len(), 10);
        assert_eq!(calls.iter().map(|c| c.1).collect::<Vec<_>>(), first.history.costs);
        // Ten more iterations from where it stopped go lower still.
        let more = train(&config.clone().start_from(first.network.clone()), &data).unwrap();
        assert!(more.history.initial_cost <= first.history.final_cost() + 1e-12);
        assert!(more.history.final_cost() < first.history.final_cost());
        let e = train(&TrainConfig::new(&[4, 3, 2]).start_from(first.network), &data).unwrap_err();
        assert!(e.to_string().contains("start network"), "{e}");
    }

    #[test]
    fn checkpoints_restore_the_run_and_a_time_budget_stops_it() {
        let data = toy();
        let dir = crate::test_support::TempDir::new("train-checkpoint");
        let path = dir.join("run.mat");
        // Every 4 iterations: after 12 of 14 the file holds iteration 12; at the end, all 14.
        let seen = Arc::new(Mutex::new(Vec::new()));
        let log = seen.clone();
        let path_for_cb = path.clone();
        let config = TrainConfig::new(&[4, 5, 2]).iterations(14).seed(9).lambda(0.5).checkpoint(&path, 4).on_iteration(
            move |i, _| {
                if i == 13 {
                    log.lock().unwrap().push(Trained::from_checkpoint(&path_for_cb).unwrap());
                }
            },
        );
        let run = train(&config, &data).unwrap();
        let mid = seen.lock().unwrap().pop().expect("restored at iteration 13");
        assert_eq!(mid.history.costs, run.history.costs[..12].to_vec());
        assert_eq!((mid.config.lambda, mid.config.seed, mid.config.sizes.clone()), (0.5, 9, vec![4, 5, 2]));
        let end = Trained::from_checkpoint(&path).unwrap();
        assert_eq!(end.network, run.network);
        assert_eq!(end.history.costs, run.history.costs);
        assert_eq!(
            (end.history.initial_cost, end.history.evaluations),
            (run.history.initial_cost, run.history.evaluations)
        );
        // Training on from the checkpoint continues downhill from where it was.
        let more = train(&end.config.clone().iterations(5).start_from(end.network.clone()), &data).unwrap();
        assert!((more.history.initial_cost - run.history.final_cost()).abs() < 1e-12);
        // A zero time budget stops after the first iteration, with what there is.
        let quick = train(&TrainConfig::new(&[4, 5, 2]).iterations(50).time_budget(Duration::ZERO), &data).unwrap();
        assert_eq!((quick.history.iterations(), quick.history.stop_reason), (1, crate::optim::StopReason::Stopped));
        // Bad settings are named.
        assert!(train(&TrainConfig::new(&[4, 5, 2]).checkpoint(&path, 0), &data)
            .unwrap_err()
            .to_string()
            .contains("checkpoint"));
        let e =
            train(&TrainConfig::new(&[4, 5, 2]).checkpoint(dir.join("no/such/folder/run.mat"), 1), &data).unwrap_err();
        assert!(e.to_string().contains("run.mat"), "{e}");
    }

    #[test]
    fn snapshots_are_the_runs_own_networks() {
        let data = toy();
        for optimizer in [Optimizer::Fmincg, Optimizer::GradientDescent { learning_rate: 0.5 }] {
            let config = TrainConfig::new(&[4, 5, 2]).lambda(0.3).iterations(12).seed(5).optimizer(optimizer);
            let run = train(&config.clone().snapshots(4), &data).unwrap();
            let its: Vec<usize> = run.snapshots.iter().map(|s| s.iteration).collect();
            assert_eq!(its, [0, 4, 8, 12], "{optimizer}");
            // Keeping snapshots changes nothing in the run.
            let plain = train(&config, &data).unwrap();
            assert_eq!((&plain.network, &plain.history.costs), (&run.network, &run.history.costs));
            assert_eq!(run.snapshots[0].network, Network::random(&[4, 5, 2], config.init, 5).unwrap());
            // The last is the trained network, and the one at k is where a k-iteration run
            // ends, bit for bit (fmincg's line-search state included: no restart).
            assert_eq!(run.snapshots.last().unwrap().network, run.network);
            for s in &run.snapshots[1..] {
                let short = train(&config.clone().iterations(s.iteration), &data).unwrap();
                assert_eq!(short.history.iterations(), s.iteration, "{optimizer}");
                assert_eq!(short.network, s.network, "{optimizer} at {}", s.iteration);
                assert_eq!(run.costs_from_start()[s.iteration], short.history.final_cost());
            }
        }
        // A run that stops early still ends with its last network.
        let quick =
            train(&TrainConfig::new(&[4, 5, 2]).iterations(50).snapshots(11).time_budget(Duration::ZERO), &data)
                .unwrap();
        let its: Vec<usize> = quick.snapshots.iter().map(|s| s.iteration).collect();
        assert_eq!(its, [0, 1]);
        assert_eq!(quick.snapshots[1].network, quick.network);
        // Counts outside 2..=min(21, iterations + 1) are refused before training.
        for (count, iterations, what) in [(1, 10, "2 (the start"), (12, 10, "to 11"), (22, 50, "at most 21")] {
            let e = train(&TrainConfig::new(&[4, 5, 2]).iterations(iterations).snapshots(count), &data).unwrap_err();
            assert!(e.to_string().contains(what) && e.to_string().contains("snapshots"), "{e}");
        }
    }

    #[test]
    fn any_cost_function_trains_through_the_same_loop() {
        let data = toy();
        let config = TrainConfig::new(&[4, 5, 2]).lambda(1.0).iterations(15).seed(6).snapshots(4);
        let lecture = train(&config.clone().engine(Engine::Lecture), &data).unwrap();
        let mine = train_with_cost(&config, &data, &nn_cost_function_deep).unwrap();
        assert_eq!(
            (&mine.network, &mine.history.costs, &mine.snapshots),
            (&lecture.network, &lecture.history.costs, &lecture.snapshots)
        );
        // Progress and checkpoints run for it too.
        let seen = Arc::new(Mutex::new(0));
        let count = seen.clone();
        let counted = config.clone().on_iteration(move |_, _| *count.lock().unwrap() += 1);
        let again = train_with_cost(&counted, &data, &nn_cost_function_deep).unwrap();
        assert_eq!(*seen.lock().unwrap(), again.history.iterations());
        // A gradient of the wrong shape is named; so is the wrong number of gradients.
        let wide = |net: &Network, x: &Array2<f64>, y: &Array1<usize>, l: f64| {
            let (j, mut g) = nn_cost_function_deep(net, x, y, l)?;
            g[1] = Array2::zeros((2, 7));
            Ok((j, g))
        };
        let e = train_with_cost(&config, &data, &wide).unwrap_err().to_string();
        assert!(e.contains("Theta2_grad") && e.contains("2x6") && e.contains("2x7"), "{e}");
        let one = |net: &Network, x: &Array2<f64>, y: &Array1<usize>, l: f64| {
            let (j, g) = nn_cost_function_deep(net, x, y, l)?;
            Ok((j, g[..1].to_vec()))
        };
        assert!(train_with_cost(&config, &data, &one).unwrap_err().to_string().contains("one per Theta"));
        // The config is checked as train checks it.
        let e = train_with_cost(&config.clone().lambda(-1.0), &data, &nn_cost_function_deep).unwrap_err();
        assert!(e.to_string().contains("lambda"), "{e}");
    }

    #[test]
    fn gradient_descent_training_lowers_cost() {
        let data = toy();
        let config = TrainConfig::new(&[4, 5, 2])
            .lambda(0.1)
            .iterations(200)
            .optimizer(Optimizer::GradientDescent { learning_rate: 0.5 });
        let t = train(&config, &data).unwrap();
        assert_eq!(t.history.iterations(), 200);
        assert!(t.history.final_cost() < t.history.initial_cost);
    }

    #[test]
    fn bad_configs_are_named() {
        let data = toy();
        let e = train(&TrainConfig::new(&[5, 3, 2]), &data).unwrap_err();
        assert!(e.to_string().contains("input layer"), "{e}");
        let e = train(&TrainConfig::new(&[4, 3, 3]), &data).unwrap_err();
        assert!(e.to_string().contains("output layer"), "{e}");
        let e = train(&TrainConfig::new(&[4, 3, 2]).iterations(0), &data).unwrap_err();
        assert!(e.to_string().contains("iteration"), "{e}");
        let e = train(&TrainConfig::new(&[4, 3, 2]).lambda(-1.0), &data).unwrap_err();
        assert!(e.to_string().contains("lambda"), "{e}");
        for rate in [0.0, -1.0, f64::NAN] {
            let gd = TrainConfig::new(&[4, 3, 2]).optimizer(Optimizer::GradientDescent { learning_rate: rate });
            assert!(train(&gd, &data).unwrap_err().to_string().contains("learning rate"));
        }
        assert!(compare_lambdas(&TrainConfig::new(&[4, 3, 2]), &data, &data, &[1.0, f64::NAN]).is_err());
        assert!(compare_lambdas(&TrainConfig::new(&[4, 3, 2]), &data, &data, &[]).is_err());
    }

    #[test]
    fn lambda_study_matches_single_runs_and_scores_both_sets() {
        let data = toy();
        let (train_set, test_set) =
            (data.select(&(0..20).collect::<Vec<_>>()).unwrap(), data.select(&(20..30).collect::<Vec<_>>()).unwrap());
        let config = TrainConfig::new(&[4, 3, 2]).iterations(30).seed(2);
        let study = compare_lambdas(&config, &train_set, &test_set, &[0.0, 1.0, 10.0]).unwrap();
        for (r, l) in study.results.iter().zip([0.0, 1.0, 10.0]) {
            assert_eq!((r.lambda, r.trained.config.lambda), (l, l));
            // The same network as a training of its own (the shared X changes nothing).
            assert_eq!(r.trained.network, train(&config.clone().lambda(l), &train_set).unwrap().network);
            assert_eq!(r.train_accuracy, r.trained.network.accuracy(&train_set).unwrap());
            assert_eq!(r.test_accuracy, r.trained.network.accuracy(&test_set).unwrap());
            let (j, _) = nn_cost_function_deep(&r.trained.network, test_set.x(), test_set.y(), 0.0).unwrap();
            assert!((r.test_cost - j).abs() < 1e-12);
        }
        // Larger lambda, smaller weights.
        let norm = |t: &Trained| t.network.hidden_unit_weights().iter().map(|w| w * w).sum::<f64>();
        assert!(norm(&study.results[2].trained) < norm(&study.results[0].trained));
        let best = study.best().to_string();
        assert_eq!(best.lines().count(), 2, "{best}");
        let top = study.results.iter().map(|r| r.test_accuracy).fold(0.0, f64::max);
        let tied = study.results.iter().filter(|r| r.test_accuracy == top).count();
        assert_eq!(
            best.contains("(a tie)"),
            tied > 1
                || study
                    .results
                    .iter()
                    .filter(|r| r.test_cost == study.results.iter().map(|r| r.test_cost).fold(f64::INFINITY, f64::min))
                    .count()
                    > 1,
            "{best}"
        );
        let table = study.to_string();
        assert_eq!(table.lines().count(), 4, "{table}");
        assert!(table.lines().nth(3).unwrap().trim_start().starts_with("10"), "{table}");
        let wrong = Dataset::new(ndarray::Array2::zeros((2, 3)), ndarray::array![1, 2], 2).unwrap();
        assert!(compare_lambdas(&config, &train_set, &wrong, &[1.0]).is_err());
        // The lecture engine gives the same study.
        let lecture = compare_lambdas(&config.clone().engine(Engine::Lecture), &train_set, &test_set, &[1.0]).unwrap();
        assert!((lecture.results[0].train_cost - study.results[1].train_cost).abs() < 1e-9);
    }
}
