//! Feedforward, the regularized cost $J(\Theta)$ and backpropagation.
//!
//! $$J(\Theta) = \frac{1}{m}\sum_{i=1}^{m}\sum_{k=1}^{K}\Big[-y_k^{(i)}\log h_\Theta(x^{(i)})_k
//!   - (1-y_k^{(i)})\log\big(1-h_\Theta(x^{(i)})_k\big)\Big]
//!   + \frac{\lambda}{2m}\sum_{l}\sum_{j}\sum_{k\ge 1}\big(\Theta^{(l)}_{j,k}\big)^2$$
//!
//! The gradient is $\frac{1}{m}\Delta^{(l)} + \frac{\lambda}{m}\Theta^{(l)}$, with the
//! bias column (column 0) left unregularized.
//!
//! Two implementations compute the same numbers:
//! - [`nn_cost_function`]: vectorized over all examples (fast; the default);
//! - [`nn_cost_function_loop`]: the course's steps 1–5, one example at a time.
//!
//! Training evaluates the same cost many times on the same data, so it uses
//! [`PreparedCostFunction`]: the same numbers (to rounding) from an engine
//! written for speed (`src/kernels.rs`: X without its zeros, all cores, AVX2).
//!
//! The log terms are computed from $z$ as softplus functions, so the cost stays
//! finite when the sigmoid saturates (h rounds to exactly 0 or 1).

use ndarray::linalg::general_mat_mul;
use ndarray::{s, Array1, Array2, ArrayView1, ArrayView2, Axis, Zip};

use crate::activation::{sigmoid_scalar, softplus};
use crate::data::check_labels;
use crate::error::{check_non_negative, shape_str, NnError, Result};
use crate::network::{first_non_finite, Network};

/// Every layer's values for a batch, in the lecture's names:
/// `a(1) = [1 X]`, `z(2) = a(1) Theta1'`, `a(2) = [1 g(z(2))]`, ..., `a(L) = h`.
///
/// Hidden and input activations carry the bias column of ones first, like the
/// course's code; the output activation `h` has none.
#[derive(Clone, Debug)]
pub struct Feedforward {
    /// `a[0]` is a(1) = [1 X]; the last entry is h (no bias column).
    pub a: Vec<Array2<f64>>,
    /// `z[0]` is z(2); `z[l - 2]` is z(l).
    pub z: Vec<Array2<f64>>,
}

impl Feedforward {
    /// a(l), 1-based like the lecture (a(1) is the input with its bias column).
    pub fn a(&self, l: usize) -> &Array2<f64> {
        &self.a[l - 1]
    }
    /// z(l) for l >= 2 (there is no z(1)).
    pub fn z(&self, l: usize) -> &Array2<f64> {
        &self.z[l - 2]
    }
    /// The output h = a(L): one row per example, one column per class.
    pub fn h(&self) -> &Array2<f64> {
        self.a.last().expect("at least the input layer")
    }
}

fn with_bias(a: ArrayView2<f64>) -> Array2<f64> {
    let mut out = Array2::ones((a.nrows(), a.ncols() + 1));
    out.slice_mut(s![.., 1..]).assign(&a);
    out
}

/// Forward propagation, returning every layer's z and a (the course's
/// feedforward, bias columns included) for students to print and inspect.
///
/// ```
/// use nn_core::{Network, feedforward};
/// let net = Network::debug(&[3, 5, 3]);
/// let x = ndarray::Array2::<f64>::zeros((4, 3));
/// let ff = feedforward(&net, &x).unwrap();
/// assert_eq!(ff.a(1).dim(), (4, 4));  // [1 X]
/// assert_eq!(ff.z(2).dim(), (4, 5));
/// assert_eq!(ff.a(2).dim(), (4, 6));  // [1 g(z2)]
/// assert_eq!(ff.h().dim(), (4, 3));
/// ```
pub fn feedforward(network: &Network, x: &Array2<f64>) -> Result<Feedforward> {
    network.check_inputs("X", x.view())?;
    let thetas = network.thetas();
    let mut a = vec![with_bias(x.view())];
    let mut z = Vec::with_capacity(thetas.len());
    for (l, theta) in thetas.iter().enumerate() {
        let zl = a[l].dot(&theta.t());
        let g = zl.mapv(sigmoid_scalar);
        a.push(if l + 1 == thetas.len() { g } else { with_bias(g.view()) });
        z.push(zl);
    }
    Ok(Feedforward { a, z })
}

/// Layer-by-layer forward pass without bias columns: returns the hidden
/// activations (each m x s(l)) and the output pre-activation z(L).
fn forward_fast(thetas: &[Array2<f64>], x: ArrayView2<f64>) -> (Vec<Array2<f64>>, Array2<f64>) {
    let mut hidden: Vec<Array2<f64>> = Vec::with_capacity(thetas.len().saturating_sub(1));
    for (l, theta) in thetas.iter().enumerate() {
        let input = if l == 0 { x } else { hidden[l - 1].view() };
        let bias = theta.column(0);
        let weights = theta.slice(s![.., 1..]);
        // z = input * W' + b, starting from b broadcast down the rows.
        let mut z = Array2::from_shape_fn((input.nrows(), theta.nrows()), |(_, j)| bias[j]);
        general_mat_mul(1.0, &input, &weights.t(), 1.0, &mut z);
        if l + 1 == thetas.len() {
            return (hidden, z);
        }
        z.mapv_inplace(sigmoid_scalar);
        hidden.push(z);
    }
    unreachable!("a network has at least one Theta")
}

/// The network's outputs h for each row of x (used by `predict`).
pub(crate) fn forward_outputs(network: &Network, x: ArrayView2<f64>) -> Array2<f64> {
    let (_, mut z) = forward_fast(network.thetas(), x);
    z.mapv_inplace(sigmoid_scalar);
    z
}

/// Checks everything `nn_cost_function` needs before any arithmetic.
pub(crate) fn check_problem(network: &Network, x: ArrayView2<f64>, y: ArrayView1<usize>, lambda: f64) -> Result<()> {
    network.check_inputs("X", x)?;
    if x.nrows() == 0 {
        return Err(NnError::InvalidArgument { name: "X", reason: "X has no rows (m = 0)".into() });
    }
    if y.len() != x.nrows() {
        return Err(NnError::Shape {
            what: "y".into(),
            expected: format!("{}x1 (one label per row of X)", x.nrows()),
            got: shape_str(y.len(), 1),
        });
    }
    check_labels("y", &y.to_owned(), network.num_labels())?;
    check_non_negative("lambda", lambda)
}

/// After a non-finite result: find the NaN or infinity in X that caused it.
fn diagnose_non_finite(network: &Network, x: ArrayView2<f64>, j: f64) -> NnError {
    if let Some((r, c, v)) = first_non_finite(x) {
        return NnError::NonFinite { what: "X".into(), row: r, col: c, value: v };
    }
    NnError::Diverged {
        iteration: 0,
        cost: j,
        hint: format!(
            "the weights of a {:?} network are too large for floating point; \
             lower the learning rate or re-initialize",
            network.layer_sizes()
        ),
    }
}

/// Regularization term lambda/(2m) * sum of squared non-bias weights.
fn regularization(thetas: &[Array2<f64>], lambda: f64, m: f64) -> f64 {
    if lambda == 0.0 {
        return 0.0;
    }
    let sum: f64 = thetas.iter().map(|t| t.slice(s![.., 1..]).iter().map(|w| w * w).sum::<f64>()).sum();
    lambda / (2.0 * m) * sum
}

/// Adds (lambda/m) Theta to a gradient, skipping the bias column.
fn regularize_gradient(grad: &mut Array2<f64>, theta: &Array2<f64>, lambda: f64, m: f64) {
    if lambda != 0.0 {
        grad.slice_mut(s![.., 1..]).scaled_add(lambda / m, &theta.slice(s![.., 1..]));
    }
}

/// The regularized cost J and its gradient, one matrix per Theta
/// (vectorized backpropagation over all m examples at once).
///
/// `y` holds labels `1..=K` (K = the number of output units); `lambda >= 0`.
///
/// ```
/// use nn_core::{Network, nn_cost_function};
/// use ndarray::array;
/// // One example, a 1-1 network with zero weights: h = 0.5, so J = -log(0.5).
/// let net = Network::new(vec![array![[0.0, 0.0]]]).unwrap();
/// let (j, grad) = nn_cost_function(&net, &array![[3.0]], &array![1], 0.0).unwrap();
/// assert!((j - 2f64.ln()).abs() < 1e-15);
/// assert_eq!(grad[0], array![[-0.5, -1.5]]); // (h - y) * [1 x]
/// ```
pub fn nn_cost_function(
    network: &Network,
    x: &Array2<f64>,
    y: &Array1<usize>,
    lambda: f64,
) -> Result<(f64, Vec<Array2<f64>>)> {
    cost_and_gradient(network, x.view(), y.view(), lambda)
}

/// [`nn_cost_function`] on views (no copies), for the optimizers and the grader.
pub fn cost_and_gradient(
    network: &Network,
    x: ArrayView2<f64>,
    y: ArrayView1<usize>,
    lambda: f64,
) -> Result<(f64, Vec<Array2<f64>>)> {
    check_problem(network, x, y, lambda)?;
    let thetas = network.thetas();
    let m = x.nrows() as f64;
    let (hidden, z_out) = forward_fast(thetas, x);

    // Cost from z: -log(h) = softplus(-z), -log(1-h) = softplus(z).
    // delta(L) = h - y in the same sweep.
    let mut delta = z_out;
    let mut data_cost = 0.0;
    for (mut row, &label) in delta.axis_iter_mut(Axis(0)).zip(y.iter()) {
        for (k, z) in row.iter_mut().enumerate() {
            let is_label = k + 1 == label;
            data_cost += if is_label { softplus(-*z) } else { softplus(*z) };
            *z = sigmoid_scalar(*z) - if is_label { 1.0 } else { 0.0 };
        }
    }
    let j = data_cost / m + regularization(thetas, lambda, m);

    let mut grads: Vec<Array2<f64>> = thetas.iter().map(|t| Array2::zeros(t.dim())).collect();
    for l in (0..thetas.len()).rev() {
        let input = if l == 0 { x } else { hidden[l - 1].view() };
        let grad = &mut grads[l];
        // Delta = delta' * a: the bias column from the row sums, the rest by a product.
        grad.column_mut(0).assign(&(delta.sum_axis(Axis(0)) / m));
        general_mat_mul(1.0 / m, &delta.t(), &input, 0.0, &mut grad.slice_mut(s![.., 1..]));
        regularize_gradient(grad, &thetas[l], lambda, m);
        if l > 0 {
            // delta(l) = (delta(l+1) * W) .* g'(z(l)), with g'(z) = a (1 - a).
            let mut back = delta.dot(&thetas[l].slice(s![.., 1..]));
            Zip::from(&mut back).and(&hidden[l - 1]).for_each(|d, &a| *d *= a * (1.0 - a));
            delta = back;
        }
    }
    if !j.is_finite() || grads.iter().any(|g| g.iter().any(|v| !v.is_finite())) {
        return Err(diagnose_non_finite(network, x, j));
    }
    Ok((j, grads))
}

/// The cost J alone (same formula as [`nn_cost_function`]).
pub fn nn_cost(network: &Network, x: &Array2<f64>, y: &Array1<usize>, lambda: f64) -> Result<f64> {
    check_problem(network, x.view(), y.view(), lambda)?;
    let m = x.nrows() as f64;
    let (_, z_out) = forward_fast(network.thetas(), x.view());
    let mut data_cost = 0.0;
    for (row, &label) in z_out.axis_iter(Axis(0)).zip(y.iter()) {
        for (k, &z) in row.iter().enumerate() {
            data_cost += if k + 1 == label { softplus(-z) } else { softplus(z) };
        }
    }
    let j = data_cost / m + regularization(network.thetas(), lambda, m);
    if !j.is_finite() {
        return Err(diagnose_non_finite(network, x.view(), j));
    }
    Ok(j)
}

/// The course's backpropagation, one example at a time (steps 1–5 of ex4):
///
/// 1. feedforward example t: a(1) = [1; x_t], z(2) = Theta1 a(1), a(2) = [1; g(z(2))], ...
/// 2. output error: delta(L) = a(L) - y_t (y_t one-hot)
/// 3. hidden errors: delta(l) = (Theta(l)' delta(l+1))(2:end) .* g'(z(l))
/// 4. accumulate: Delta(l) += delta(l+1) a(l)'
/// 5. gradient: (1/m) Delta(l), plus (lambda/m) Theta(l) off the bias column.
///
/// Slow, but every line matches the lecture; it agrees with
/// [`nn_cost_function`] to 1e-12.
pub fn nn_cost_function_loop(
    network: &Network,
    x: &Array2<f64>,
    y: &Array1<usize>,
    lambda: f64,
) -> Result<(f64, Vec<Array2<f64>>)> {
    check_problem(network, x.view(), y.view(), lambda)?;
    let thetas = network.thetas();
    let m = x.nrows() as f64;
    let k_labels = network.num_labels();
    let mut big_delta: Vec<Array2<f64>> = thetas.iter().map(|t| Array2::zeros(t.dim())).collect();
    let mut data_cost = 0.0;

    for (x_t, &label) in x.axis_iter(Axis(0)).zip(y.iter()) {
        // Step 1: feedforward, keeping a(l) (with bias) and z(l).
        let mut a: Vec<Array1<f64>> = vec![prepend_one(x_t)];
        let mut z: Vec<Array1<f64>> = Vec::new();
        for (l, theta) in thetas.iter().enumerate() {
            let z_next = theta.dot(&a[l]);
            let g = z_next.mapv(sigmoid_scalar);
            a.push(if l + 1 == thetas.len() { g } else { prepend_one(g.view()) });
            z.push(z_next);
        }
        let y_k = Array1::from_shape_fn(k_labels, |k| if k + 1 == label { 1.0 } else { 0.0 });
        let z_out = z.last().expect("one layer at least");
        for k in 0..k_labels {
            data_cost += y_k[k] * softplus(-z_out[k]) + (1.0 - y_k[k]) * softplus(z_out[k]);
        }
        // Step 2: output error.
        let mut delta = a.last().expect("output") - &y_k;
        // Steps 3 and 4, from the last Theta back to the first.
        for l in (0..thetas.len()).rev() {
            let outer = delta.view().insert_axis(Axis(1)).dot(&a[l].view().insert_axis(Axis(0)));
            big_delta[l] += &outer;
            if l > 0 {
                let back = thetas[l].t().dot(&delta);
                let g_prime = z[l - 1].mapv(crate::activation::sigmoid_gradient_scalar);
                delta = &back.slice(s![1..]) * &g_prime;
            }
        }
    }
    // Step 5.
    let j = data_cost / m + regularization(thetas, lambda, m);
    for (grad, theta) in big_delta.iter_mut().zip(thetas) {
        *grad /= m;
        regularize_gradient(grad, theta, lambda, m);
    }
    if !j.is_finite() || big_delta.iter().any(|g| g.iter().any(|v| !v.is_finite())) {
        return Err(diagnose_non_finite(network, x.view(), j));
    }
    Ok((j, big_delta))
}

fn prepend_one(v: ArrayView1<f64>) -> Array1<f64> {
    let mut out = Array1::ones(v.len() + 1);
    out.slice_mut(s![1..]).assign(&v);
    out
}

/// The objective an optimizer sees: parameters in, (J, gradient) out, both unrolled.
///
/// Holds the data and layer sizes so each call only rerolls the vector.
#[derive(Clone, Copy, Debug)]
pub struct CostFunction<'a> {
    /// Layer sizes, e.g. `[400, 25, 10]`.
    pub sizes: &'a [usize],
    /// m x n inputs.
    pub x: ArrayView2<'a, f64>,
    /// m labels.
    pub y: ArrayView1<'a, usize>,
    /// Regularization strength.
    pub lambda: f64,
}

impl<'a> CostFunction<'a> {
    /// J and the unrolled gradient at the unrolled parameters `params`.
    pub fn eval(&self, params: &Array1<f64>) -> Result<(f64, Array1<f64>)> {
        let net = Network::reroll(params.as_slice().unwrap_or(&params.to_vec()), self.sizes)?;
        let (j, grads) = cost_and_gradient(&net, self.x, self.y, self.lambda)?;
        Ok((j, crate::network::unroll(&grads)))
    }

    /// The same objective, prepared for many evaluations (a training run):
    /// see [`PreparedCostFunction`].
    pub fn prepare(self) -> PreparedCostFunction<'a> {
        PreparedCostFunction::new(self)
    }
}

/// The largest fraction of nonzero entries of X for which
/// [`PreparedCostFunction::new`] stores X sparse; above it, every evaluation
/// is the dense [`cost_and_gradient`].
///
/// Measured (`cargo run --release -p nn-core --example bench -- --crossover`,
/// digits with their zeros filled in): there is no crossover. The prepared
/// engine is about 2.5x faster than the dense path at the digits' 0.48 and
/// still 1.5-1.9x faster at density 1.0, because besides skipping zeros it
/// spreads the work over the cores and keeps it in cache. So every X is
/// stored sparse; use [`PreparedCostFunction::with_max_density`] to keep a
/// dense X dense (the sparse copy takes about 18 bytes per nonzero entry,
/// against 8 per entry for X itself).
pub const SPARSE_MAX_DENSITY: f64 = 1.0;

/// A [`CostFunction`] prepared once for the many evaluations of a training
/// run: the same J and gradient (to floating-point rounding), faster.
///
/// X is stored without its zeros (digit images: about half are background)
/// and each evaluation runs the engine of `src/kernels.rs`: blocks of
/// examples spread over the processor's cores, products that skip the zeros,
/// AVX2 when available. When a weight is not finite (so that errors are
/// reported exactly as before), or when X was kept dense (see
/// [`SPARSE_MAX_DENSITY`]), it evaluates [`cost_and_gradient`].
///
/// ```
/// use nn_core::cost::CostFunction;
/// use nn_core::{Network, nn_cost_function};
/// let net = Network::debug(&[3, 5, 3]);
/// let x = ndarray::array![[0.0, 1.0, 0.0], [0.0, 0.0, 2.0], [0.5, 0.0, 0.0]];
/// let y = ndarray::array![1, 2, 3];
/// let sizes = net.layer_sizes();
/// let prepared = CostFunction { sizes: &sizes, x: x.view(), y: y.view(), lambda: 1.0 }.prepare();
/// let (j, _) = prepared.cost_and_gradient(&net).unwrap();
/// assert!((j - nn_cost_function(&net, &x, &y, 1.0).unwrap().0).abs() < 1e-12);
/// ```
#[derive(Clone, Debug)]
pub struct PreparedCostFunction<'a> {
    function: CostFunction<'a>,
    /// X without its zeros, shared by the copies [`Self::with_lambda`] makes.
    sparse: Option<std::sync::Arc<crate::kernels::SparseInput>>,
    /// Most threads one evaluation uses (`None`: all the cores).
    threads: Option<usize>,
}

impl<'a> PreparedCostFunction<'a> {
    /// Prepares `function`: X stored sparse if at most
    /// [`SPARSE_MAX_DENSITY`] of it is nonzero (that is, always).
    pub fn new(function: CostFunction<'a>) -> Self {
        Self::with_max_density(function, SPARSE_MAX_DENSITY)
    }

    /// Stores X sparse if the fraction of its entries that are not exactly
    /// zero is at most `max_density`; otherwise evaluates the dense way.
    pub fn with_max_density(function: CostFunction<'a>, max_density: f64) -> Self {
        let (m, n) = function.x.dim();
        let nonzeros = crate::kernels::count_nonzeros(function.x);
        if m * n > 0 && nonzeros as f64 <= max_density * (m * n) as f64 {
            Self::sparse(function)
        } else {
            Self::dense(function)
        }
    }

    /// Always stores X without its zeros (for benchmarks and tests).
    pub fn sparse(function: CostFunction<'a>) -> Self {
        let sparse = Some(std::sync::Arc::new(crate::kernels::SparseInput::new(function.x)));
        PreparedCostFunction { function, sparse, threads: None }
    }

    /// Never prepares anything: every evaluation is [`cost_and_gradient`].
    pub fn dense(function: CostFunction<'a>) -> Self {
        PreparedCostFunction { function, sparse: None, threads: None }
    }

    /// The same data with another lambda, without preparing X again (the
    /// sparse copy is shared): what a lambda sweep uses.
    ///
    /// ```
    /// use nn_core::cost::CostFunction;
    /// use nn_core::{Network, nn_cost_function};
    /// let net = Network::debug(&[3, 5, 3]);
    /// let x = ndarray::array![[0.0, 1.0, 0.0], [0.0, 0.0, 2.0], [0.5, 0.0, 0.0]];
    /// let y = ndarray::array![1, 2, 3];
    /// let sizes = net.layer_sizes();
    /// let prepared = CostFunction { sizes: &sizes, x: x.view(), y: y.view(), lambda: 0.0 }.prepare();
    /// let (j3, _) = prepared.with_lambda(3.0).cost_and_gradient(&net).unwrap();
    /// assert!((j3 - nn_cost_function(&net, &x, &y, 3.0).unwrap().0).abs() < 1e-12);
    /// ```
    pub fn with_lambda(&self, lambda: f64) -> Self {
        let mut copy = self.clone();
        copy.function.lambda = lambda;
        copy
    }

    /// At most `threads` threads per evaluation (at least 1). Results do not
    /// depend on it; several trainings side by side run faster with one
    /// thread each than with all the cores each.
    pub fn with_threads(mut self, threads: usize) -> Self {
        self.threads = Some(threads.max(1));
        self
    }

    /// Whether X is stored sparse (the fast engine runs).
    pub fn is_sparse(&self) -> bool {
        self.sparse.is_some()
    }

    /// Fraction of the entries of X that are not exactly zero, if X is stored sparse.
    pub fn density(&self) -> Option<f64> {
        self.sparse.as_ref().map(|s| s.density())
    }

    /// The objective this was prepared from.
    pub fn function(&self) -> &CostFunction<'a> {
        &self.function
    }

    /// J and the gradient for `network` (like [`nn_cost_function`] on this
    /// objective's data and lambda).
    pub fn cost_and_gradient(&self, network: &Network) -> Result<(f64, Vec<Array2<f64>>)> {
        self.cost_and_gradient_with(network, crate::kernels::Kernel::detect())
    }

    pub(crate) fn cost_and_gradient_with(
        &self,
        network: &Network,
        kernel: crate::kernels::Kernel,
    ) -> Result<(f64, Vec<Array2<f64>>)> {
        let CostFunction { x, y, lambda, .. } = self.function;
        let sparse = match &self.sparse {
            // Non-finite weights: the dense path reports them exactly as before
            // (a skipped zero input would hide 0 * NaN).
            Some(sparse) if network.thetas().iter().all(|t| t.iter().all(|v| v.is_finite())) => sparse,
            _ => return cost_and_gradient(network, x, y, lambda),
        };
        check_problem(network, x, y, lambda)?;
        debug_assert_eq!((sparse.rows(), sparse.cols()), x.dim());
        let thetas = network.thetas();
        let m = x.nrows() as f64;
        let (data_cost, mut grads) = crate::kernels::cost_and_deltas(thetas, sparse, y, kernel, self.threads);
        let j = data_cost / m + regularization(thetas, lambda, m);
        for (grad, theta) in grads.iter_mut().zip(thetas) {
            *grad /= m;
            regularize_gradient(grad, theta, lambda, m);
        }
        if !j.is_finite() || grads.iter().any(|g| g.iter().any(|v| !v.is_finite())) {
            return Err(diagnose_non_finite(network, x, j));
        }
        Ok((j, grads))
    }

    /// J and the unrolled gradient at the unrolled parameters `params`
    /// (what the optimizers call).
    pub fn eval(&self, params: &Array1<f64>) -> Result<(f64, Array1<f64>)> {
        let net = Network::reroll(params.as_slice().unwrap_or(&params.to_vec()), self.function.sizes)?;
        let (j, grads) = self.cost_and_gradient(&net)?;
        Ok((j, crate::network::unroll(&grads)))
    }
}

impl crate::optim::Objective for PreparedCostFunction<'_> {
    fn eval(&mut self, theta: &Array1<f64>) -> Result<(f64, Array1<f64>)> {
        PreparedCostFunction::eval(self, theta)
    }
}

impl crate::optim::Objective for &PreparedCostFunction<'_> {
    fn eval(&mut self, theta: &Array1<f64>) -> Result<(f64, Array1<f64>)> {
        PreparedCostFunction::eval(self, theta)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::gradcheck::debug_initialize_weights;
    use ndarray::array;

    fn debug_problem(sizes: &[usize], m: usize) -> (Network, Array2<f64>, Array1<usize>) {
        let net = Network::debug(sizes);
        let x = debug_initialize_weights(m, sizes[0] - 1);
        let k = *sizes.last().unwrap();
        let y = (1..=m).map(|i| 1 + i % k).collect();
        (net, x, y)
    }

    #[test]
    fn hand_computed_one_layer_network() {
        // 1 input, 2 outputs, no hidden layer. Theta = [[0, 1], [1, -1]], x = 2, y = 2.
        // z = [0 + 2, 1 - 2] = [2, -1]; h = g(z).
        // J = -log(1 - g(2)) - log(g(-1)).
        let net = Network::new(vec![array![[0.0, 1.0], [1.0, -1.0]]]).unwrap();
        let (j, grad) = nn_cost_function(&net, &array![[2.0]], &array![2], 0.0).unwrap();
        let g = |z: f64| 1.0 / (1.0 + (-z).exp());
        let expected = -(1.0 - g(2.0)).ln() - g(-1.0).ln();
        assert!((j - expected).abs() < 1e-14, "{j} vs {expected}");
        // gradient = (h - y) [1 x]
        let d = [g(2.0), g(-1.0) - 1.0];
        let want = array![[d[0], 2.0 * d[0]], [d[1], 2.0 * d[1]]];
        assert!((&grad[0] - &want).iter().all(|e| e.abs() < 1e-15));
        // lambda = 2, m = 1: adds 2/2 * (1 + 1) = 2 to J, and 2 * Theta off the bias column.
        let (j2, grad2) = nn_cost_function(&net, &array![[2.0]], &array![2], 2.0).unwrap();
        assert!((j2 - expected - 2.0).abs() < 1e-14);
        assert!((grad2[0][[0, 0]] - want[[0, 0]]).abs() < 1e-15, "bias column unregularized");
        assert!((grad2[0][[1, 1]] - (want[[1, 1]] - 2.0)).abs() < 1e-15);
    }

    #[test]
    fn loop_and_vectorized_agree() {
        for sizes in [&[3, 5, 3][..], &[4, 6, 5, 3][..], &[2, 3][..]] {
            let (net, x, y) = debug_problem(sizes, 7);
            for lambda in [0.0, 1.0, 3.0] {
                let (j1, g1) = nn_cost_function(&net, &x, &y, lambda).unwrap();
                let (j2, g2) = nn_cost_function_loop(&net, &x, &y, lambda).unwrap();
                assert!((j1 - j2).abs() < 1e-12, "{sizes:?} {lambda}: {j1} vs {j2}");
                for (a, b) in g1.iter().zip(&g2) {
                    assert!((a - b).iter().all(|e| e.abs() < 1e-12));
                }
                assert!((nn_cost(&net, &x, &y, lambda).unwrap() - j1).abs() < 1e-12);
            }
        }
    }

    #[test]
    fn feedforward_matches_fast_path() {
        let (net, x, y) = debug_problem(&[3, 5, 3], 5);
        let ff = feedforward(&net, &x).unwrap();
        let h = ff.h();
        // Naive cost from h must equal the stable cost (no saturation here).
        let mut naive = 0.0;
        for (i, &l) in y.iter().enumerate() {
            for k in 0..3 {
                naive += if k + 1 == l { -h[[i, k]].ln() } else { -(1.0 - h[[i, k]]).ln() };
            }
        }
        naive /= 5.0;
        let (j, _) = nn_cost_function(&net, &x, &y, 0.0).unwrap();
        assert!((naive - j).abs() < 1e-12);
        assert!(ff.a(2).column(0).iter().all(|&v| v == 1.0));
        assert_eq!(forward_outputs(&net, x.view()), h.clone());
    }

    #[test]
    fn saturated_outputs_give_finite_cost() {
        // Huge weights: z = +-1000, so h is exactly 0 or 1 in floating point.
        let net = Network::new(vec![array![[0.0, 1000.0], [0.0, -1000.0]]]).unwrap();
        let x = array![[1.0], [-1.0]];
        let y = array![2, 2]; // row 1: unit 1 fires (wrong), row 2: unit 2 fires... (see below)
        let (j, grad) = nn_cost_function(&net, &x, &y, 0.0).unwrap();
        // Row 1: z = [1000, -1000], label 2: -log(1-g(1000)) - log(g(-1000)) = 1000 + 1000.
        // Row 2: z = [-1000, 1000], label 2: ~0.
        assert!((j - 1000.0).abs() < 1e-9, "{j}");
        assert!(grad[0].iter().all(|v| v.is_finite()));
        let (jl, _) = nn_cost_function_loop(&net, &x, &y, 0.0).unwrap();
        assert!((jl - j).abs() < 1e-9);
    }

    #[test]
    fn errors_name_the_fault() {
        let (net, x, y) = debug_problem(&[3, 5, 3], 5);
        let e = nn_cost_function(&net, &x.t().to_owned(), &y, 0.0).unwrap_err();
        assert!(e.to_string().contains("X") && e.to_string().contains("3x5"), "{e}");
        let e = nn_cost_function(&net, &x, &array![1, 2, 3, 4], 0.0).unwrap_err();
        assert!(matches!(e, NnError::Shape { .. }), "{e}");
        let e = nn_cost_function(&net, &x, &array![1, 2, 4, 1, 2], 0.0).unwrap_err();
        assert!(e.to_string().contains("row 3"), "{e}");
        for bad in [-1.0, f64::NAN, f64::INFINITY] {
            let e = nn_cost_function(&net, &x, &y, bad).unwrap_err();
            assert!(e.to_string().contains("lambda"), "{e}");
        }
        let mut xn = x.clone();
        xn[[3, 1]] = f64::NAN;
        let e = nn_cost_function(&net, &xn, &y, 0.0).unwrap_err();
        assert!(e.to_string().contains("row 4, column 2"), "{e}");
        let mut xi = x.clone();
        xi[[0, 0]] = f64::INFINITY;
        let e = nn_cost_function(&net, &xi, &y, 0.0).unwrap_err();
        assert!(e.to_string().contains("row 1, column 1"), "{e}");
        let e = nn_cost_function_loop(&net, &xi, &y, 0.0).unwrap_err();
        assert!(e.to_string().contains("row 1, column 1"), "{e}");
        let empty = Array2::<f64>::zeros((0, 3));
        assert!(nn_cost_function(&net, &empty, &Array1::from(vec![]), 0.0).is_err());
    }

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
    fn random_problem(sizes: &[usize], m: usize, density: f64, seed: u64) -> (Network, Array2<f64>, Array1<usize>) {
        let mut rng = Lcg(seed);
        let thetas = sizes.windows(2).map(|w| Array2::from_shape_fn((w[1], w[0] + 1), |_| 2.0 * rng.uniform() - 1.0)).collect();
        let x = Array2::from_shape_fn((m, sizes[0]), |_| if rng.uniform() < density { 3.0 * rng.uniform() - 1.0 } else { 0.0 });
        let k = *sizes.last().unwrap();
        let y = (0..m).map(|_| 1 + (rng.uniform() * k as f64) as usize % k).collect();
        (Network::new(thetas).unwrap(), x, y)
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

    /// The prepared engine with a given thread count and kernel.
    fn sparse_with<'a>(f: CostFunction<'a>, threads: usize) -> PreparedCostFunction<'a> {
        PreparedCostFunction {
            function: f,
            sparse: Some(std::sync::Arc::new(crate::kernels::SparseInput::with_threads(f.x, threads))),
            threads: None,
        }
    }

    fn kernels() -> Vec<crate::kernels::Kernel> {
        let mut k = vec![crate::kernels::Kernel::Portable];
        if crate::kernels::Kernel::detect() != crate::kernels::Kernel::Portable {
            k.push(crate::kernels::Kernel::detect());
        }
        k
    }

    #[test]
    fn sparse_engine_equals_straightforward_versions() {
        // (sizes, m): one layer, the course's shape scaled down, deeper, hidden
        // layers wider than one 32-column AVX panel or not a multiple of 4,
        // more than one column strip (n > 128, last strip narrower), m not a
        // multiple of the block (128) nor of the thread count, one row, many classes.
        let cases: &[(&[usize], usize)] = &[
            (&[2, 3], 7),
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
                let (net, x, y) = random_problem(sizes, m, density, (m * 31 + sizes[0]) as u64);
                for lambda in [0.0, 1.0] {
                    let f = CostFunction { sizes, x: x.view(), y: y.view(), lambda };
                    let want = cost_and_gradient(&net, x.view(), y.view(), lambda).unwrap();
                    if m <= 40 {
                        let looped = nn_cost_function_loop(&net, &x, &y, lambda).unwrap();
                        assert_close("loop vs vectorized", &looped, &want);
                    }
                    for threads in [1, 2, 3, 8] {
                        let prepared = sparse_with(f, threads);
                        for kernel in kernels() {
                            let what = format!("{sizes:?} m={m} density={density} lambda={lambda} threads={threads} {kernel:?}");
                            assert_close(&what, &prepared.cost_and_gradient_with(&net, kernel).unwrap(), &want);
                        }
                    }
                }
            }
        }
    }

    #[test]
    fn sparse_engine_handles_zero_rows_and_columns() {
        let sizes = [300, 25, 10];
        let (net, mut x, y) = random_problem(&sizes, 260, 0.3, 7);
        for i in [0, 5, 127, 128, 259] {
            x.row_mut(i).fill(0.0); // whole examples blank, also at block edges
        }
        for c in [0, 1, 99, 100, 150, 299] {
            x.column_mut(c).fill(0.0); // pixels never lit, also at strip edges
        }
        x.slice_mut(s![128..256, ..]).fill(0.0); // a whole block of blank examples
        let f = CostFunction { sizes: &sizes, x: x.view(), y: y.view(), lambda: 3.0 };
        let want = cost_and_gradient(&net, x.view(), y.view(), 3.0).unwrap();
        for threads in [1, 2, 3] {
            for kernel in kernels() {
                assert_close("zero rows/columns", &sparse_with(f, threads).cost_and_gradient_with(&net, kernel).unwrap(), &want);
            }
        }
        // X in column-major order (not contiguous by rows) is read the same way.
        let x_f = x.t().as_standard_layout().into_owned().reversed_axes();
        assert!(!x_f.is_standard_layout());
        let f_f = CostFunction { sizes: &sizes, x: x_f.view(), y: y.view(), lambda: 3.0 };
        assert_close("column-major X", &sparse_with(f_f, 2).cost_and_gradient(&net).unwrap(), &want);
        // Columns of X that are all zero get exactly the regularization term.
        let (_, grads) = sparse_with(f, 2).cost_and_gradient(&net).unwrap();
        let theta = &net.thetas()[0];
        for j in 0..25 {
            assert_eq!(grads[0][[j, 1]], 3.0 / 260.0 * theta[[j, 1]]);
        }
    }

    #[test]
    fn prepared_objective_chooses_sparse_or_dense() {
        let sizes = [30, 8, 4];
        for (density, sparse) in [(0.3, true), (1.0, false)] {
            let (net, x, y) = random_problem(&sizes, 150, density, 3);
            let f = CostFunction { sizes: &sizes, x: x.view(), y: y.view(), lambda: 1.0 };
            assert!(f.prepare().is_sparse(), "the default keeps every X sparse (no measured crossover)");
            let prepared = PreparedCostFunction::with_max_density(f, 0.5);
            assert_eq!(prepared.is_sparse(), sparse, "density {density}");
            assert_eq!(prepared.density().is_some(), sparse);
            let want = cost_and_gradient(&net, x.view(), y.view(), 1.0).unwrap();
            assert_close("prepared", &prepared.cost_and_gradient(&net).unwrap(), &want);
            // eval: the unrolled form the optimizers see.
            let (j, g) = prepared.eval(&net.unroll()).unwrap();
            let (j2, g2) = f.eval(&net.unroll()).unwrap();
            assert!((j - j2).abs() < 1e-12 && (&g - &g2).iter().all(|e| e.abs() < 1e-12));
            // Forced variants agree with the automatic choice.
            assert!(PreparedCostFunction::sparse(f).is_sparse() && !PreparedCostFunction::dense(f).is_sparse());
            assert_close("forced dense", &PreparedCostFunction::dense(f).cost_and_gradient(&net).unwrap(), &want);
            assert_close("forced sparse", &PreparedCostFunction::sparse(f).cost_and_gradient(&net).unwrap(), &want);
        }
    }

    #[test]
    fn prepared_objective_reports_errors_like_the_dense_one() {
        let sizes = [6, 4, 3];
        let (net, mut x, y) = random_problem(&sizes, 20, 0.4, 11);
        x[[3, 1]] = f64::NAN;
        let f = CostFunction { sizes: &sizes, x: x.view(), y: y.view(), lambda: 0.0 };
        let prepared = PreparedCostFunction::sparse(f);
        let e = prepared.cost_and_gradient(&net).unwrap_err();
        assert!(e.to_string().contains("row 4, column 2"), "{e}");
        // A NaN weight on an input that is always zero: the skipped zeros must
        // not hide it (the dense path gives 0 * NaN = NaN and an error).
        let (net, mut x, y) = random_problem(&sizes, 20, 0.4, 12);
        x.column_mut(2).fill(0.0);
        let mut params = net.unroll();
        params[3 * 4 + 1] = f64::NAN; // Theta1[1, 3], column-major (Network::new would refuse it)
        let bad = Network::reroll(params.as_slice().unwrap(), &sizes).unwrap();
        assert!(bad.thetas()[0][[1, 3]].is_nan());
        let f = CostFunction { sizes: &sizes, x: x.view(), y: y.view(), lambda: 0.0 };
        assert!(cost_and_gradient(&bad, x.view(), y.view(), 0.0).is_err());
        assert!(PreparedCostFunction::sparse(f).cost_and_gradient(&bad).is_err());
        // Shapes and labels are checked as before.
        let wrong = Network::debug(&[5, 4, 3]);
        assert!(matches!(PreparedCostFunction::sparse(f).cost_and_gradient(&wrong), Err(NnError::Shape { .. })));
        let y_bad = Array1::from(vec![4; 20]);
        let f_bad = CostFunction { sizes: &sizes, x: x.view(), y: y_bad.view(), lambda: 0.0 };
        assert!(matches!(PreparedCostFunction::sparse(f_bad).cost_and_gradient(&net), Err(NnError::Label { .. })));
        assert!(f.prepare().eval(&Array1::zeros(3)).is_err());
    }

    #[test]
    fn sparse_engine_is_reproducible() {
        let sizes = [50, 25, 10];
        // 1300 rows: 11 blocks in 3 groups. Same bits on every run and with any
        // number of threads (partial sums are added in group order).
        let (net, x, y) = random_problem(&sizes, 1300, 0.5, 5);
        let f = CostFunction { sizes: &sizes, x: x.view(), y: y.view(), lambda: 1.0 };
        let a = sparse_with(f, 1).cost_and_gradient(&net).unwrap();
        for threads in [2, 2, 3, 4] {
            let b = sparse_with(f, threads).cost_and_gradient(&net).unwrap();
            assert_eq!(a.0, b.0, "{threads} threads");
            assert_eq!(a.1, b.1, "{threads} threads");
            let c = sparse_with(f, 4).with_threads(threads).cost_and_gradient(&net).unwrap();
            assert_eq!((a.0, &a.1), (c.0, &c.1), "with_threads({threads})");
        }
        // with_lambda shares X and changes only lambda.
        let prepared = sparse_with(f, 2);
        for lambda in [0.0, 3.0] {
            let other = CostFunction { lambda, ..f };
            assert_eq!(prepared.with_lambda(lambda).cost_and_gradient(&net).unwrap(), sparse_with(other, 2).cost_and_gradient(&net).unwrap());
        }
        assert!(prepared.with_lambda(-1.0).cost_and_gradient(&net).is_err());
    }

    #[test]
    fn cost_function_struct_unrolls() {
        let (net, x, y) = debug_problem(&[3, 5, 3], 5);
        let sizes = net.layer_sizes();
        let f = CostFunction { sizes: &sizes, x: x.view(), y: y.view(), lambda: 1.0 };
        let (j, g) = f.eval(&net.unroll()).unwrap();
        let (j2, g2) = nn_cost_function(&net, &x, &y, 1.0).unwrap();
        assert_eq!(j, j2);
        assert_eq!(g, crate::network::unroll(&g2));
        assert!(f.eval(&Array1::zeros(3)).is_err());
    }
}
