//! Training: random initialization, then an optimizer on the regularized cost.
//!
//! ```
//! use nn_core::prelude::*;
//! // A tiny problem: 2 inputs, label 1 when x0 > x1, else 2.
//! let x = array![[1.0, 0.0], [0.0, 1.0], [2.0, 0.5], [0.2, 1.5]];
//! let data = Dataset::new(x, array![1, 2, 1, 2], 2).unwrap();
//! let config = TrainConfig::new(&[2, 3, 2]).lambda(0.0).iterations(30).seed(1);
//! let trained = train(&config, &data).unwrap();
//! assert_eq!(trained.network.predict(&data.x).unwrap(), data.y);
//! assert!(trained.history.final_cost() < trained.history.initial_cost);
//! ```

use std::time::{Duration, Instant};

use crate::cost::{CostFunction, PreparedCostFunction};
use crate::data::Dataset;
use crate::error::{check_non_negative, NnError, Result};
use crate::network::{Init, Network};
use crate::optim::{fmincg, gradient_descent, History, Optimizer};

/// Everything that decides a training run.
#[derive(Clone, Debug, PartialEq)]
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
        }
    }
}

impl TrainConfig {
    /// The course's settings for a network of the given layer sizes.
    pub fn new(sizes: &[usize]) -> Self {
        TrainConfig { sizes: sizes.to_vec(), ..Default::default() }
    }
    /// Sets lambda.
    pub fn lambda(mut self, lambda: f64) -> Self {
        self.lambda = lambda;
        self
    }
    /// Sets the number of iterations.
    pub fn iterations(mut self, iterations: usize) -> Self {
        self.iterations = iterations;
        self
    }
    /// Sets the seed of the initial weights.
    pub fn seed(mut self, seed: u64) -> Self {
        self.seed = seed;
        self
    }
    /// Sets the optimizer.
    pub fn optimizer(mut self, optimizer: Optimizer) -> Self {
        self.optimizer = optimizer;
        self
    }
    /// Sets the initialization rule.
    pub fn init(mut self, init: Init) -> Self {
        self.init = init;
        self
    }
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
}

impl Trained {
    /// Fraction of `data` classified correctly.
    pub fn accuracy(&self, data: &Dataset) -> Result<f64> {
        self.network.accuracy(&data.x, &data.y)
    }
}

fn check_config(config: &TrainConfig, data: &Dataset) -> Result<()> {
    check_non_negative("lambda", config.lambda)?;
    crate::optim::check_iterations(config.iterations)?;
    if config.sizes.first() != Some(&data.num_features()) {
        return Err(NnError::Shape {
            what: "input layer".into(),
            expected: format!("{} units (one per column of X)", data.num_features()),
            got: format!("layer sizes {:?}", config.sizes),
        });
    }
    if config.sizes.last() != Some(&data.num_labels) {
        return Err(NnError::Shape {
            what: "output layer".into(),
            expected: format!("{} units (one per class)", data.num_labels),
            got: format!("layer sizes {:?}", config.sizes),
        });
    }
    if data.is_empty() {
        return Err(NnError::InvalidArgument { name: "data", reason: "no examples to train on".into() });
    }
    Ok(())
}

/// Trains a network from random weights (seeded) as `config` says.
pub fn train(config: &TrainConfig, data: &Dataset) -> Result<Trained> {
    train_with_callback(config, data, |_, _| {})
}

/// [`train`], calling `callback(iteration, cost)` after each iteration —
/// for a progress line such as `Iteration 12 | Cost: 4.5e-01`.
pub fn train_with_callback(config: &TrainConfig, data: &Dataset, callback: impl FnMut(usize, f64)) -> Result<Trained> {
    check_config(config, data)?;
    let initial = Network::random(&config.sizes, config.init, config.seed)?;
    continue_training(initial, config, data, callback)
}

/// Trains onwards from `network` (e.g. 350 more iterations after the first 50).
pub fn continue_training(
    network: Network,
    config: &TrainConfig,
    data: &Dataset,
    callback: impl FnMut(usize, f64),
) -> Result<Trained> {
    let mut config = config.clone();
    config.sizes = network.layer_sizes();
    check_config(&config, data)?;
    let start = Instant::now();
    // Prepared once for the whole run: X without its zeros (see cost::PreparedCostFunction).
    let objective =
        CostFunction { sizes: &config.sizes, x: data.x.view(), y: data.y.view(), lambda: config.lambda }.prepare();
    optimize(network, &config, objective, callback, start.elapsed())
}

/// Runs the optimizer of `config` on a prepared objective (whose lambda is
/// `config.lambda`), from `network`. The history's elapsed time counts the
/// preparation too (`prepared_in`), as a whole training run does.
fn optimize(
    network: Network,
    config: &TrainConfig,
    objective: PreparedCostFunction<'_>,
    callback: impl FnMut(usize, f64),
    prepared_in: Duration,
) -> Result<Trained> {
    let start = Instant::now();
    let (params, mut history) = match config.optimizer {
        Optimizer::Fmincg => fmincg(objective, network.unroll(), config.iterations, callback)?,
        Optimizer::GradientDescent { learning_rate } => {
            gradient_descent(objective, network.unroll(), learning_rate, config.iterations, callback)?
        }
    };
    history.elapsed = prepared_in + start.elapsed();
    let network = Network::reroll(params.as_slice().expect("contiguous"), &config.sizes)?;
    Ok(Trained { network, history, config: config.clone() })
}

/// Trains one network per lambda (same seed, same everything else), spread
/// over the machine's cores. Results come back in the order of `lambdas`.
pub fn lambda_sweep(config: &TrainConfig, data: &Dataset, lambdas: &[f64]) -> Result<Vec<Trained>> {
    for &l in lambdas {
        check_non_negative("lambda", l)?;
    }
    check_config(config, data)?;
    let cores = std::thread::available_parallelism().map(|n| n.get()).unwrap_or(1);
    let workers = cores.min(lambdas.len()).max(1);
    // X is prepared once for all the lambdas, and the cores are shared out:
    // one training per core, each evaluating on one thread, rather than every
    // training spreading each evaluation over every core (which made them
    // wait on each other).
    let start = Instant::now();
    let initial = Network::random(&config.sizes, config.init, config.seed)?;
    let prepared =
        CostFunction { sizes: &config.sizes, x: data.x.view(), y: data.y.view(), lambda: config.lambda }.prepare();
    let prepare_time = start.elapsed();
    let engine_threads = (cores / workers).max(1);
    let next = std::sync::atomic::AtomicUsize::new(0);
    let mut results: Vec<Option<Result<Trained>>> = (0..lambdas.len()).map(|_| None).collect();
    let slots = std::sync::Mutex::new(&mut results);
    std::thread::scope(|scope| {
        for _ in 0..workers {
            scope.spawn(|| loop {
                let i = next.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
                if i >= lambdas.len() {
                    break;
                }
                let run_config = config.clone().lambda(lambdas[i]);
                let objective = prepared.with_lambda(lambdas[i]).with_threads(engine_threads);
                let outcome = optimize(initial.clone(), &run_config, objective, |_, _| {}, prepare_time);
                slots.lock().unwrap_or_else(|p| p.into_inner())[i] = Some(outcome);
            });
        }
    });
    results.into_iter().map(|r| r.expect("every lambda was trained")).collect()
}

/// One lambda of a comparison: the trained network and how it does on the
/// training set and on held-out data.
#[derive(Clone, Debug)]
pub struct LambdaResult {
    /// The trained network, its history and settings (`trained.config.lambda`).
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

impl LambdaResult {
    /// The lambda this network was trained with.
    pub fn lambda(&self) -> f64 {
        self.trained.config.lambda
    }
}

/// Trains one network per lambda ([`lambda_sweep`]) and scores each on the
/// training and held-out sets: the numbers behind the lambda panel and the
/// validation curve.
pub fn compare_lambdas(config: &TrainConfig, train: &Dataset, test: &Dataset, lambdas: &[f64]) -> Result<Vec<LambdaResult>> {
    if test.num_features() != train.num_features() || test.num_labels != train.num_labels {
        return Err(NnError::Shape {
            what: "held-out set".into(),
            expected: format!("{} features and {} labels, like the training set", train.num_features(), train.num_labels),
            got: format!("{} features and {} labels", test.num_features(), test.num_labels),
        });
    }
    lambda_sweep(config, train, lambdas)?
        .into_iter()
        .map(|trained| {
            let net = &trained.network;
            Ok(LambdaResult {
                train_accuracy: net.accuracy(&train.x, &train.y)?,
                test_accuracy: net.accuracy(&test.x, &test.y)?,
                train_cost: crate::cost::nn_cost(net, &train.x, &train.y, 0.0)?,
                test_cost: crate::cost::nn_cost(net, &test.x, &test.y, 0.0)?,
                trained,
            })
        })
        .collect()
}

/// The comparison as a text table, one row per lambda.
pub fn lambda_table(results: &[LambdaResult]) -> String {
    let mut out = String::from("  lambda | train acc | held-out acc | train J | held-out J | final cost\n");
    for r in results {
        out += &format!(
            "{:>8} | {:>8.2}% | {:>11.2}% | {:>7.4} | {:>10.4} | {:>10.4}\n",
            r.lambda(),
            100.0 * r.train_accuracy,
            100.0 * r.test_accuracy,
            r.train_cost,
            r.test_cost,
            r.trained.history.final_cost()
        );
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::gradcheck::debug_initialize_weights;
    use ndarray::Array1;

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
        assert!(a.accuracy(&data).unwrap() >= 0.95, "{}", a.accuracy(&data).unwrap());
        assert!(a.history.final_cost() < 0.3 * a.history.initial_cost);
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
    fn sweep_matches_individual_runs_in_order() {
        let data = toy();
        let config = TrainConfig::new(&[4, 3, 2]).iterations(20).seed(5);
        let sweep = lambda_sweep(&config, &data, &[0.0, 1.0, 10.0]).unwrap();
        for (t, l) in sweep.iter().zip([0.0, 1.0, 10.0]) {
            assert_eq!(t.config.lambda, l);
            assert_eq!(t.network, train(&config.clone().lambda(l), &data).unwrap().network);
        }
        // Larger lambda, smaller weights.
        let norm = |t: &Trained| t.network.hidden_unit_weights().iter().map(|w| w * w).sum::<f64>();
        assert!(norm(&sweep[2]) < norm(&sweep[0]));
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
        assert!(lambda_sweep(&TrainConfig::new(&[4, 3, 2]), &data, &[1.0, f64::NAN]).is_err());
    }

    #[test]
    fn compare_lambdas_scores_both_sets() {
        let data = toy();
        let (train_set, test_set) = (data.select(&(0..20).collect::<Vec<_>>()).unwrap(), data.select(&(20..30).collect::<Vec<_>>()).unwrap());
        let config = TrainConfig::new(&[4, 3, 2]).iterations(30).seed(2);
        let results = compare_lambdas(&config, &train_set, &test_set, &[0.0, 3.0]).unwrap();
        for r in &results {
            assert_eq!(r.train_accuracy, r.trained.network.accuracy(&train_set.x, &train_set.y).unwrap());
            assert_eq!(r.test_accuracy, r.trained.network.accuracy(&test_set.x, &test_set.y).unwrap());
            let (j, _) = crate::cost::nn_cost_function(&r.trained.network, &test_set.x, &test_set.y, 0.0).unwrap();
            assert!((r.test_cost - j).abs() < 1e-12);
        }
        let table = lambda_table(&results);
        assert_eq!(table.lines().count(), 3, "{table}");
        assert!(table.lines().nth(2).unwrap().trim_start().starts_with('3'), "{table}");
        let wrong = Dataset::new(ndarray::Array2::zeros((2, 3)), ndarray::array![1, 2], 2).unwrap();
        assert!(compare_lambdas(&config, &train_set, &wrong, &[1.0]).is_err());
    }
}
