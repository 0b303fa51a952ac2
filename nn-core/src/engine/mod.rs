//! The fast objective behind training: the same J and gradient as the lecture's
//! [`nn_cost_function_deep`], computed for speed (the tests below prove them equal to 1e-12).
//!
//! Training evaluates the cost hundreds of times on the same data, so [`FastCost`]
//! prepares X once: without its zeros (digit images are about half background), in blocks
//! spread over the processor's cores, with AVX2 or AVX-512 kernels where the processor has
//! them ([`Kernel`]; how, below). `lecture/cost.rs` is the code to read; this is the code that
//! makes 50 `fmincg` iterations take a fraction of a second.
//!
//! ```
//! use nn_core::prelude::*;
//! use nn_core::engine::FastCost;
//! let net = Network::debug(&[3, 5, 3]).unwrap();
//! let data = Dataset::new(array![[0.0, 1.0, 0.0], [0.0, 0.0, 2.0], [0.5, 0.0, 0.0]], array![1, 2, 3], 3).unwrap();
//! let fast = FastCost::new(&data, &[3, 5, 3], 1.0).unwrap();
//! let (j, _) = fast.cost_and_gradient(&net).unwrap();
//! assert!((j - nn_cost_function(net.theta1(), net.theta2(), data.x(), data.y(), 1.0).unwrap().0).abs() < 1e-12);
//! ```
//!
//! ## How
//!
//! The engine computes the same sums as `lecture/cost.rs` in a different order. The ideas,
//! and the file each lives in (`pass.rs` runs them; `products.rs` holds the two products):
//!
//! 1. **Examples are independent.** Feedforward and backpropagation of one
//!    row of X never look at another row; only the final sums
//!    (the cost and `Delta(l) = delta(l+1)' a(l)`) add over the rows. So the
//!    rows are cut into blocks of 128 (small enough that a block's
//!    activations stay in the processor's cache between its forward and its
//!    backward pass), and blocks into groups of 4. Each thread
//!    takes the next group not yet taken, runs the whole forward and backward
//!    pass on its blocks and keeps the group's partial sums apart; the partial
//!    sums are added at the end in group order, so the result is the same on
//!    every run and with any number of threads. The threads besides the caller's
//!    are kept from one evaluation to the next (`engine/pool.rs`).
//! 2. **Skip the zeros of X.** Half of every digit image is background, stored
//!    as exact zeros, and a zero adds nothing to `X Theta1'` nor to
//!    `delta(2)' X`. X is stored once per training run (`sparse_input.rs`) as its
//!    nonzero values with their positions, twice: row by row for the forward
//!    product and column by column for the backward one. Both products then
//!    have the same shape, `out[r] += value * b[index]` over the nonzeros of
//!    row r, where `out[r]` and `b[index]` are short rows of 25 numbers
//!    (one per hidden unit) that the kernel keeps in registers.
//! 3. **Keep the rows the kernel reads in the L1 cache.** The forward product
//!    reads rows of `Theta1'` (400 rows of 25, padded to 28: 90 KB, more than
//!    L1's 32 KB), so the columns of X are cut into strips of at most 128
//!    (4 strips of 100 for the digits: 22 KB of weights each); the backward
//!    product reads rows of `delta(2)`, and a block of 128 rows fits the
//!    same way. Rows are padded to whole SIMD vectors and aligned (`padded.rs`).
//! 4. **AVX2 and FMA** when the processor has them (checked at run time, so
//!    the crate needs no special compiler flags): 4 doubles per instruction,
//!    a multiply and an add in one; with **AVX-512** the sparse products take
//!    8 doubles per instruction (25 hidden units: 3 vectors of 8 and one of 4
//!    instead of 7 of 4). Other processors run the portable loops. [`Kernel`]
//!    says which runs; `NN_CORE_KERNEL=portable|avx2|avx512` forces one.
//! 5. **One exponential per sigmoid, 4 or 8 at a time.** `g(z)` and the output
//!    layer's logs all come from `e = exp(-|z|)`, the engine's vectorized
//!    `exp` (`elementwise.rs`: the same bits on every kernel).
//!
//! The layers after the first (25 x 10 here) are small; on each block they use
//! `dense_times_dense` (`products.rs`), the loop of the sparse products over every entry.
//! The results equal the lecture's `nn_cost_function_deep` up to floating-point rounding
//! (the sums are added in another order, the exponentials are the engine's series, within
//! 2 units in the last place of `f64::exp`, and the sigmoid is formed from `exp(-|z|)`);
//! the tests check 1e-12.

pub(crate) mod elementwise;
mod kernel;
mod padded;
mod pass;
mod pool;
mod products;
mod sparse_input;

pub use self::kernel::Kernel;

use std::sync::Arc;

use ndarray::{s, Array1, Array2, ArrayView2};

use self::sparse_input::SparseInput;
use crate::error::{NnError, Result};
use crate::lecture::cost::{check_finite, check_problem, nn_cost_function_deep};
use crate::lecture::network::{unroll, Network};
use crate::lecture::Dataset;
use crate::optim::Objective;

/// The cost and gradient of a network on one data set, prepared for many evaluations.
#[derive(Clone, Debug)]
pub struct FastCost<'a> {
    data: &'a Dataset,
    sizes: Vec<usize>,
    lambda: f64,
    /// X without its zeros, shared by the copies [`Self::with_lambda`] makes.
    sparse: Arc<SparseInput>,
    /// Most threads one evaluation uses (`None`: all the cores).
    threads: Option<usize>,
    /// The inner loops ([`Kernel::detect`] unless [`Self::with_kernel`] says otherwise).
    kernel: Kernel,
}

impl<'a> FastCost<'a> {
    /// Prepares `data` for a network with layer sizes `sizes` (input first) and
    /// regularization `lambda`. Checks the sizes against the data.
    pub fn new(data: &'a Dataset, sizes: &[usize], lambda: f64) -> Result<FastCost<'a>> {
        crate::lecture::network::check_layer_sizes(sizes)?;
        let probe = Network::reroll(&vec![0.0; crate::lecture::network::param_count(sizes)], sizes)?;
        let views: Vec<ArrayView2<f64>> = probe.thetas().iter().map(|t| t.view()).collect();
        check_problem(&views, data.x().view(), data.y().view(), lambda)?;
        Ok(FastCost {
            data,
            sizes: sizes.to_vec(),
            lambda,
            sparse: Arc::new(SparseInput::new(data.x().view())),
            threads: None,
            kernel: Kernel::detect(),
        })
    }

    /// The same data with another lambda, without preparing X again (the sparse copy is
    /// shared): what a lambda study uses.
    pub fn with_lambda(&self, lambda: f64) -> Result<FastCost<'a>> {
        crate::error::check_lambda(lambda)?;
        Ok(FastCost { lambda, ..self.clone() })
    }

    /// At most `threads` threads per evaluation (at least 1). Results do not depend on it;
    /// several trainings side by side run faster with one thread each.
    pub fn with_threads(mut self, threads: usize) -> FastCost<'a> {
        self.threads = Some(threads.max(1));
        self
    }

    /// Runs `kernel`'s inner loops (the numbers are the same to 1e-12; the speed is
    /// not). An error if this processor cannot run it ([`Kernel::available`]).
    pub fn with_kernel(mut self, kernel: Kernel) -> Result<FastCost<'a>> {
        if !kernel.is_supported() {
            return Err(NnError::InvalidArgument {
                name: "kernel",
                reason: format!("this processor cannot run the {kernel} kernel"),
            });
        }
        self.kernel = kernel;
        Ok(self)
    }

    /// The kernel this objective runs.
    pub fn kernel(&self) -> Kernel {
        self.kernel
    }

    /// Fraction of the entries of X that are not exactly zero.
    pub fn density(&self) -> f64 {
        self.sparse.density()
    }

    /// J and one gradient per Theta for `network` (the numbers of [`nn_cost_function_deep`]).
    pub fn cost_and_gradient(&self, network: &Network) -> Result<(f64, Vec<Array2<f64>>)> {
        self.cost_and_gradient_with(network, self.kernel)
    }

    fn cost_and_gradient_with(&self, network: &Network, kernel: Kernel) -> Result<(f64, Vec<Array2<f64>>)> {
        let (x, y, lambda) = (self.data.x(), self.data.y(), self.lambda);
        if network.layer_sizes() != self.sizes {
            return Err(NnError::Shape {
                what: "network".into(),
                expected: format!("layer sizes {:?} (what this objective was prepared for)", self.sizes),
                got: format!("layer sizes {:?}", network.layer_sizes()),
            });
        }
        // Non-finite weights: the lecture's code reports them (a skipped zero of X would hide 0 * NaN).
        if !network.thetas().iter().all(|t| t.iter().all(|v| v.is_finite())) {
            return nn_cost_function_deep(network, x, y, lambda);
        }
        let thetas = network.thetas();
        let m = x.nrows() as f64;
        let (data_cost, mut grads) = pass::cost_and_deltas(thetas, &self.sparse, y.view(), kernel, self.threads);
        let penalty: f64 = thetas.iter().map(|t| t.slice(s![.., 1..]).iter().map(|w| w * w).sum::<f64>()).sum();
        let j = data_cost / m + lambda / (2.0 * m) * penalty;
        for (grad, theta) in grads.iter_mut().zip(thetas) {
            *grad /= m;
            grad.slice_mut(s![.., 1..]).scaled_add(lambda / m, &theta.slice(s![.., 1..]));
        }
        let refs: Vec<&Array2<f64>> = grads.iter().collect();
        check_finite(x.view(), j, &refs, lambda)?;
        Ok((j, grads))
    }
}

impl Objective for FastCost<'_> {
    /// J and the unrolled gradient at the unrolled parameters (what the optimizers call).
    fn eval(&mut self, params: &Array1<f64>) -> Result<(f64, Array1<f64>)> {
        let net = Network::reroll(params.as_slice().unwrap_or(&params.to_vec()), &self.sizes)?;
        let (j, grads) = self.cost_and_gradient(&net)?;
        Ok((j, unroll(&grads)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::lecture::cost::{nn_cost_function, nn_cost_function_loop};
    use ndarray::Array1;

    /// A small deterministic generator (the tests need no statistics, only variety).
    struct Lcg(u64);
    impl Lcg {
        fn uniform(&mut self) -> f64 {
            self.0 = self.0.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
            (self.0 >> 11) as f64 / (1u64 << 53) as f64
        }
    }

    /// A random problem: X with about `density` nonzeros (values in [-1, 2)),
    /// labels 1..=K, weights in [-1, 1).
    fn random_problem(sizes: &[usize], m: usize, density: f64, seed: u64) -> (Network, Dataset) {
        let mut rng = Lcg(seed);
        let thetas =
            sizes.windows(2).map(|w| Array2::from_shape_fn((w[1], w[0] + 1), |_| 2.0 * rng.uniform() - 1.0)).collect();
        let x =
            Array2::from_shape_fn(
                (m, sizes[0]),
                |_| if rng.uniform() < density { 3.0 * rng.uniform() - 1.0 } else { 0.0 },
            );
        let k = *sizes.last().unwrap();
        let y: Array1<usize> = (0..m).map(|_| 1 + (rng.uniform() * k as f64) as usize % k).collect();
        (Network::new(thetas).unwrap(), Dataset::new(x, y, k).unwrap())
    }

    fn assert_close(what: &str, (j1, g1): &(f64, Vec<Array2<f64>>), (j2, g2): &(f64, Vec<Array2<f64>>)) {
        // 1e-12, relative once J is above 1 (the 3000-class case has a large J).
        assert!((j1 - j2).abs() < 1e-12 * j2.abs().max(1.0), "{what}: J {j1} vs {j2}");
        assert_eq!(g1.len(), g2.len());
        for (l, (a, b)) in g1.iter().zip(g2).enumerate() {
            assert_eq!(a.dim(), b.dim(), "{what}: Theta{}", l + 1);
            let worst = (a - b).iter().fold(0.0f64, |w, e| w.max(e.abs()));
            assert!(worst < 1e-12, "{what}: gradient of Theta{} differs by {worst:e}", l + 1);
        }
    }

    /// The engine with a given thread count for preparing and evaluating.
    fn fast_with<'a>(data: &'a Dataset, sizes: &[usize], lambda: f64, threads: usize) -> FastCost<'a> {
        let mut f = FastCost::new(data, sizes, lambda).unwrap().with_threads(threads);
        f.sparse = Arc::new(SparseInput::with_threads(data.x().view(), threads));
        f
    }

    fn kernels() -> Vec<Kernel> {
        Kernel::available()
    }

    #[test]
    fn engine_equals_the_lecture_code() {
        // (sizes, m): one layer, the course's shape scaled down, deeper, hidden
        // layers wider than one 32-column AVX panel or not a multiple of 4,
        // more than one column strip (n > 128, last strip narrower), m not a
        // multiple of the block (128) nor of the thread count, one row, many classes.
        let cases: &[(&[usize], usize)] = &[
            (&[3, 5, 3], 5),
            (&[20, 25, 10], 301),
            (&[4, 6, 5, 3], 9),
            (&[10, 25, 25, 10], 130),
            (&[7, 33, 2], 40),
            (&[257, 41, 6], 129),
            (&[130, 1, 1], 3),
            (&[5, 4, 3], 1),
            (&[3, 4, 3000], 4), // many outputs: the product of the (1 + e) must not overflow
        ];
        for &(sizes, m) in cases {
            for density in [0.0, 0.05, 0.5, 1.0] {
                let (net, data) = random_problem(sizes, m, density, (m * 31 + sizes[0]) as u64);
                for lambda in [0.0, 1.0] {
                    let want = nn_cost_function_deep(&net, data.x(), data.y(), lambda).unwrap();
                    if sizes.len() == 3 && m <= 40 {
                        for f in [nn_cost_function, nn_cost_function_loop] {
                            let (j, g1, g2) = f(net.theta1(), net.theta2(), data.x(), data.y(), lambda).unwrap();
                            assert_close("two-Theta lecture code vs deep", &(j, vec![g1, g2]), &want);
                        }
                    }
                    for threads in [1, 2, 3, 8] {
                        let fast = fast_with(&data, sizes, lambda, threads);
                        for kernel in kernels() {
                            let what = format!(
                                "{sizes:?} m={m} density={density} lambda={lambda} threads={threads} {kernel:?}"
                            );
                            assert_close(&what, &fast.cost_and_gradient_with(&net, kernel).unwrap(), &want);
                        }
                    }
                }
            }
        }
    }

    #[test]
    fn kernels_are_named_chosen_and_give_the_same_numbers() {
        for &k in Kernel::ALL {
            assert_eq!(Kernel::from_name(k.name()), Some(k));
            assert_eq!(Kernel::from_name(&k.name().to_uppercase()), Some(k));
        }
        assert_eq!(Kernel::from_name("sse9"), None);
        assert_eq!(Kernel::available()[0], Kernel::Portable);
        assert!(Kernel::available().contains(&Kernel::best()) && Kernel::available().contains(&Kernel::detect()));
        let sizes = [40, 25, 10];
        let (net, data) = random_problem(&sizes, 300, 0.5, 3);
        let want = nn_cost_function_deep(&net, data.x(), data.y(), 1.0).unwrap();
        let fast = FastCost::new(&data, &sizes, 1.0).unwrap();
        assert_eq!(fast.kernel(), Kernel::detect());
        for &k in Kernel::ALL {
            match fast.clone().with_kernel(k) {
                Ok(f) => {
                    assert!(k.is_supported());
                    assert_eq!(f.kernel(), k);
                    assert_close(k.name(), &f.cost_and_gradient(&net).unwrap(), &want);
                }
                Err(e) => assert!(!k.is_supported() && e.to_string().contains(k.name()), "{e}"),
            }
        }
    }

    #[test]
    fn engine_handles_zero_rows_and_columns() {
        let sizes = [300, 25, 10];
        let (net, data) = random_problem(&sizes, 260, 0.3, 7);
        let (mut x, y) = data.into_parts();
        for i in [0, 5, 127, 128, 259] {
            x.row_mut(i).fill(0.0); // whole examples blank, also at block edges
        }
        for c in [0, 1, 99, 100, 150, 299] {
            x.column_mut(c).fill(0.0); // pixels never lit, also at strip edges
        }
        x.slice_mut(s![128..256, ..]).fill(0.0); // a whole block of blank examples
        let data = Dataset::new(x.clone(), y.clone(), 10).unwrap();
        let want = nn_cost_function_deep(&net, data.x(), data.y(), 3.0).unwrap();
        for threads in [1, 2, 3] {
            for kernel in kernels() {
                assert_close(
                    "zero rows/columns",
                    &fast_with(&data, &sizes, 3.0, threads).cost_and_gradient_with(&net, kernel).unwrap(),
                    &want,
                );
            }
        }
        // X in column-major order (not contiguous by rows) is read the same way.
        let x_f = x.t().as_standard_layout().into_owned().reversed_axes();
        assert!(!x_f.is_standard_layout());
        let data_f = Dataset::new(x_f, y, 10).unwrap();
        assert_close("column-major X", &fast_with(&data_f, &sizes, 3.0, 2).cost_and_gradient(&net).unwrap(), &want);
        // Columns of X that are all zero get exactly the regularization term.
        let (_, grads) = fast_with(&data, &sizes, 3.0, 2).cost_and_gradient(&net).unwrap();
        let theta = &net.thetas()[0];
        for j in 0..25 {
            assert_eq!(grads[0][[j, 1]], 3.0 / 260.0 * theta[[j, 1]]);
        }
    }

    #[test]
    fn engine_reports_errors_like_the_lecture_code() {
        let sizes = [6, 4, 3];
        // A NaN weight on an input that is always zero: the skipped zeros must
        // not hide it (the lecture code gives 0 * NaN = NaN and an error).
        let (net, data) = random_problem(&sizes, 20, 0.4, 12);
        let (mut x, y) = data.into_parts();
        x.column_mut(2).fill(0.0);
        let data = Dataset::new(x, y, 3).unwrap();
        let mut params = net.unroll();
        params[3 * 4 + 1] = f64::NAN; // Theta1[1, 3], column-major (Network::new would refuse it)
        let bad = Network::reroll(params.as_slice().unwrap(), &sizes).unwrap();
        assert!(bad.thetas()[0][[1, 3]].is_nan());
        assert!(nn_cost_function_deep(&bad, data.x(), data.y(), 0.0).is_err());
        assert!(FastCost::new(&data, &sizes, 0.0).unwrap().cost_and_gradient(&bad).is_err());
        // Sizes are checked against the data, and networks against the sizes.
        assert!(matches!(FastCost::new(&data, &[5, 4, 3], 0.0), Err(NnError::Shape { .. })));
        assert!(matches!(FastCost::new(&data, &[6, 4, 2], 0.0), Err(NnError::Label { .. })));
        let e = FastCost::new(&data, &sizes, 0.0)
            .unwrap()
            .cost_and_gradient(&Network::debug(&[6, 5, 3]).unwrap())
            .unwrap_err();
        assert!(e.to_string().contains("[6, 5, 3]"), "{e}");
        assert!(FastCost::new(&data, &sizes, -1.0).is_err());
        let mut fast = FastCost::new(&data, &sizes, 0.0).unwrap();
        assert!(fast.eval(&Array1::zeros(3)).is_err());
    }

    #[test]
    fn engine_is_reproducible_and_unrolls() {
        let sizes = [50, 25, 10];
        // 1300 rows: 11 blocks in 3 groups. Same bits on every run and with any
        // number of threads (partial sums are added in group order).
        let (net, data) = random_problem(&sizes, 1300, 0.5, 5);
        let a = fast_with(&data, &sizes, 1.0, 1).cost_and_gradient(&net).unwrap();
        for threads in [2, 2, 3, 4] {
            let b = fast_with(&data, &sizes, 1.0, threads).cost_and_gradient(&net).unwrap();
            assert_eq!(a, b, "{threads} threads");
            let c = fast_with(&data, &sizes, 1.0, 4).with_threads(threads).cost_and_gradient(&net).unwrap();
            assert_eq!(a, c, "with_threads({threads})");
        }
        // with_lambda shares X and changes only lambda.
        let fast = fast_with(&data, &sizes, 1.0, 2);
        for lambda in [0.0, 3.0] {
            assert_eq!(
                fast.with_lambda(lambda).unwrap().cost_and_gradient(&net).unwrap(),
                fast_with(&data, &sizes, lambda, 2).cost_and_gradient(&net).unwrap()
            );
        }
        assert!(fast.with_lambda(-1.0).is_err());
        // eval: the unrolled form the optimizers see.
        let (j, g) = fast.clone().eval(&net.unroll()).unwrap();
        assert_eq!((j, g), (a.0, unroll(&a.1)));
    }
}
