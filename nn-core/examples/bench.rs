//! Speed figures, printed as `name: value` lines.
//!
//! ```text
//! cargo run --release -p nn-core --example bench [-- --data FILE] [--sweep] [--crossover]
//! ```
//!
//! - `cost_grad_ms`: median time of one cost + gradient evaluation of the
//!   400-25-10 network on the 5000 x 400 digits, as training runs it: the
//!   objective prepared once per run (`CostFunction::prepare`: X without its
//!   zeros, blocks of examples on every core, AVX2 kernels). The one-time
//!   preparation is `prepare_ms`.
//! - Baselines measured in the same run, interleaved with it (the machine may
//!   be busy, so every figure is a median over rounds that alternate between
//!   the variants, and each ratio compares figures of the same run):
//!   `cost_grad_dense_ms` is `cost_and_gradient` (vectorized, dense, the
//!   readable version in cost.rs and the previous training path);
//!   `cost_grad_naive_ms` a textbook version that builds [1 X] and [1 a2]
//!   every call (what a direct port of the course's code does);
//!   `cost_grad_loop_ms` the course's per-example loop.
//! - `fmincg_50_s`: median time of 50 fmincg iterations with lambda = 1 from
//!   the same start, with the prepared objective (preparation included, as in
//!   `train`), and `fmincg_50_dense_s` with the previous dense objective.
//! - `--sweep`: notebook 04's sweep (8 lambdas x 100 iterations) with
//!   `lambda_sweep` against the same trainings two at a time on all cores each.
//! - `--crossover`: sparse vs dense evaluation on copies of X with more and
//!   more of its zeros filled in, which is how `SPARSE_MAX_DENSITY` was chosen
//!   (there is no crossover: the sparse engine wins even at density 1.0).

use std::time::{Duration, Instant};

use ndarray::{s, Array2};
use nn_core::cost::{cost_and_gradient, nn_cost_function_loop, CostFunction, PreparedCostFunction, SPARSE_MAX_DENSITY};
use nn_core::optim::fmincg;
use nn_core::{sigmoid, Dataset, Init, Network};

/// Median and minimum of some durations.
fn stats(mut v: Vec<Duration>) -> (Duration, Duration) {
    v.sort();
    (v[v.len() / 2], v[0])
}

/// Times each closure `rounds` times, alternating between them so that a
/// change of machine load hits every variant alike. Returns (median, min) each.
fn time_interleaved(rounds: usize, fs: &mut [&mut dyn FnMut()]) -> Vec<(Duration, Duration)> {
    for f in fs.iter_mut() {
        f(); // warm-up
    }
    let mut samples = vec![Vec::with_capacity(rounds); fs.len()];
    for _ in 0..rounds {
        for (f, out) in fs.iter_mut().zip(&mut samples) {
            let t = Instant::now();
            f();
            out.push(t.elapsed());
        }
    }
    samples.into_iter().map(stats).collect()
}

/// The direct port: bias columns prepended, one-hot Y, naive logs.
fn naive_cost_grad(net: &Network, x: &Array2<f64>, y: &Array2<f64>, lambda: f64) -> (f64, Array2<f64>, Array2<f64>) {
    let m = x.nrows() as f64;
    let (t1, t2) = (net.theta1(), net.theta2());
    let mut a1 = Array2::ones((x.nrows(), x.ncols() + 1));
    a1.slice_mut(s![.., 1..]).assign(x);
    let z2 = a1.dot(&t1.t());
    let mut a2 = Array2::ones((x.nrows(), t1.nrows() + 1));
    a2.slice_mut(s![.., 1..]).assign(&sigmoid(&z2));
    let h = sigmoid(&a2.dot(&t2.t()));
    let j = (-y * &h.mapv(f64::ln) - (1.0 - y) * &h.mapv(|v| (1.0 - v).ln())).sum() / m
        + lambda / (2.0 * m) * (t1.slice(s![.., 1..]).mapv(|v| v * v).sum() + t2.slice(s![.., 1..]).mapv(|v| v * v).sum());
    let d3 = &h - y;
    let d2 = d3.dot(&t2.slice(s![.., 1..])) * sigmoid(&z2).mapv(|g| g * (1.0 - g));
    let g1 = d2.t().dot(&a1) / m;
    let g2 = d3.t().dot(&a2) / m;
    (j, g1, g2)
}

fn load_average() -> String {
    std::fs::read_to_string("/proc/loadavg")
        .map(|s| s.split_whitespace().take(3).collect::<Vec<_>>().join(" "))
        .unwrap_or_else(|_| "unknown".into())
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1e3
}

/// Sparse vs dense evaluation as the zeros of X are filled in (deterministically).
fn crossover(net: &Network, data: &Dataset, sizes: &[usize]) {
    for target in [0.5f64, 0.6, 0.7, 0.8, 0.9, 1.0] {
        let mut x = data.x.clone();
        let mut state = 0x9e37_79b9_7f4a_7c15_u64;
        for v in x.iter_mut().filter(|v| **v == 0.0) {
            state = state.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
            let u = (state >> 11) as f64 / (1u64 << 53) as f64;
            // Fill a zero with probability p so that the density reaches `target`.
            let p = ((target - 0.482) / (1.0 - 0.482)).clamp(0.0, 1.0);
            if u < p {
                *v = 0.01 * (u - 0.5);
            }
        }
        let f = CostFunction { sizes, x: x.view(), y: data.y.view(), lambda: 1.0 };
        let sparse = PreparedCostFunction::sparse(f);
        let dense = PreparedCostFunction::dense(f);
        let t = time_interleaved(
            15,
            &mut [&mut || drop(sparse.cost_and_gradient(net).unwrap()), &mut || drop(dense.cost_and_gradient(net).unwrap())],
        );
        println!(
            "crossover_density_{:.2}: sparse {:.3} ms, dense {:.3} ms, dense/sparse {:.2}",
            sparse.density().unwrap(),
            ms(t[0].0),
            ms(t[1].0),
            ms(t[1].0) / ms(t[0].0)
        );
    }
}

/// Notebook 04's sweep (8 lambdas, 100 fmincg iterations each): `lambda_sweep`
/// (X prepared once, one training per core on one thread each) against the
/// same trainings run two at a time with `train`, each spreading every
/// evaluation over all the cores.
fn sweep(data: &Dataset, sizes: &[usize]) {
    let lambdas = [0.0, 0.01, 0.1, 1.0, 3.0, 10.0, 30.0, 100.0];
    let config = nn_core::train::TrainConfig::new(sizes).iterations(100).seed(0);
    let t = time_interleaved(
        2,
        &mut [
            &mut || drop(nn_core::train::lambda_sweep(&config, data, &lambdas).unwrap()),
            &mut || {
                let next = std::sync::atomic::AtomicUsize::new(0);
                std::thread::scope(|scope| {
                    for _ in 0..2 {
                        scope.spawn(|| loop {
                            let i = next.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
                            if i >= lambdas.len() {
                                break;
                            }
                            drop(nn_core::train::train(&config.clone().lambda(lambdas[i]), data).unwrap());
                        });
                    }
                });
            },
        ],
    );
    println!("lambda_sweep_8x100_s: {:.3}", t[0].0.as_secs_f64());
    println!("lambda_sweep_8x100_all_cores_each_s: {:.3}", t[1].0.as_secs_f64());
    println!("lambda_sweep_speedup: {:.2}", t[1].0.as_secs_f64() / t[0].0.as_secs_f64());
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().collect();
    let path = args
        .iter()
        .position(|a| a == "--data")
        .and_then(|i| args.get(i + 1).cloned())
        .unwrap_or_else(|| nn_core::bundled::digits_path().display().to_string());
    let data = Dataset::load(&path)?;
    let sizes = [data.num_features(), 25, data.num_labels];
    let net = Network::random(&sizes, Init::default(), 0)?;
    println!("data: {path} ({} x {})", data.len(), data.num_features());
    println!("threads: {}", std::thread::available_parallelism().map(|n| n.get()).unwrap_or(1));
    println!("load_average_before: {}", load_average());

    let objective = CostFunction { sizes: &sizes, x: data.x.view(), y: data.y.view(), lambda: 1.0 };
    let t = Instant::now();
    let prepared = objective.prepare();
    let prepare = t.elapsed();
    println!("sparse: {} (density {:.3}, sparse at most {SPARSE_MAX_DENSITY})", prepared.is_sparse(), prepared.density().unwrap_or(1.0));

    let y1 = data.one_hot();
    let t = time_interleaved(
        100,
        &mut [
            &mut || drop(prepared.cost_and_gradient(&net).unwrap()),
            &mut || drop(cost_and_gradient(&net, data.x.view(), data.y.view(), 1.0).unwrap()),
            &mut || drop(naive_cost_grad(&net, &data.x, &y1, 1.0)),
        ],
    );
    let ((fast, fast_min), (dense, dense_min), (naive, _)) = (t[0], t[1], t[2]);
    let looped = stats((0..3).map(|_| {
        let t = Instant::now();
        drop(nn_cost_function_loop(&net, &data.x, &data.y, 1.0).unwrap());
        t.elapsed()
    }).collect()).0;
    println!("prepare_ms: {:.3}", ms(prepare));
    println!("cost_grad_ms: {:.3}", ms(fast));
    println!("cost_grad_min_ms: {:.3}", ms(fast_min));
    println!("cost_grad_dense_ms: {:.3}", ms(dense));
    println!("cost_grad_dense_min_ms: {:.3}", ms(dense_min));
    println!("cost_grad_naive_ms: {:.3}", ms(naive));
    println!("cost_grad_loop_ms: {:.3}", ms(looped));
    println!("speedup_vs_dense: {:.2}", ms(dense) / ms(fast));
    println!("speedup_vs_naive: {:.2}", ms(naive) / ms(fast));
    println!("speedup_vs_loop: {:.1}", ms(looped) / ms(fast));

    let mut evals = (0, 0);
    let t = time_interleaved(
        5,
        &mut [
            &mut || {
                let (_, h) = fmincg(objective.prepare(), net.unroll(), 50, |_, _| {}).unwrap();
                evals.0 = h.evaluations;
            },
            &mut || {
                let (_, h) = fmincg(objective, net.unroll(), 50, |_, _| {}).unwrap();
                evals.1 = h.evaluations;
            },
        ],
    );
    let ((train, train_min), (train_dense, _)) = (t[0], t[1]);
    println!("fmincg_50_s: {:.3}", train.as_secs_f64());
    println!("fmincg_50_min_s: {:.3}", train_min.as_secs_f64());
    println!("fmincg_50_dense_s: {:.3}", train_dense.as_secs_f64());
    println!("fmincg_speedup_vs_dense: {:.2}", train_dense.as_secs_f64() / train.as_secs_f64());
    println!("fmincg_50_evaluations: {} (dense: {})", evals.0, evals.1);
    println!("fmincg_50_ms_per_evaluation: {:.3}", ms(train) / evals.0 as f64);
    if args.iter().any(|a| a == "--sweep") {
        sweep(&data, &sizes);
    }
    if args.iter().any(|a| a == "--crossover") {
        crossover(&net, &data, &sizes);
    }
    println!("load_average_after: {}", load_average());
    Ok(())
}
