//! The regularized cost $J(\Theta)$ and backpropagation: the course's `nnCostFunction.m`.
//!
//! ```math
//! \begin{aligned}
//! J(\Theta) = {} & \frac{1}{m}\sum_{i=1}^{m}\sum_{k=1}^{K}\Big[-y_k^{(i)}\log h_\Theta(x^{(i)})_k
//!   - (1-y_k^{(i)})\log\big(1-h_\Theta(x^{(i)})_k\big)\Big] \\
//!   & + \frac{\lambda}{2m}\sum_{l}\sum_{j}\sum_{k\ge 1}\big(\Theta^{(l)}_{j,k}\big)^2
//! \end{aligned}
//! ```
//!
//! The gradient is $\frac{1}{m}\Delta^{(l)} + \frac{\lambda}{m}\Theta^{(l)}$, with the
//! bias column (column 0) left unregularized.
//!
//! Three versions, the same numbers (to 1e-12, tested):
//! - [`nn_cost_function`]: the course's two-Theta network, vectorized, in the lecture's
//!   names (`a1 z2 a2 z3 h y_k delta3 delta2 theta1_grad theta2_grad`). The exercise's
//!   student function has exactly this signature, so the two are interchangeable.
//! - [`nn_cost_function_loop`]: the same, one example at a time (the course's steps 1-5).
//! - [`nn_cost_function_deep`]: any number of layers (a [`Network`]), the same steps in a loop.
//!
//! Training runs a faster engine ([`crate::engine`]) that is tested equal to these.
//!
//! The log terms are taken from $z$ (as `-log g(z) = log(1 + e^{-z})`), so the cost stays
//! finite when the sigmoid saturates and h rounds to exactly 0 or 1.

use ndarray::{s, Array1, Array2, ArrayView1, ArrayView2, Axis};

use super::data::{check_labels, one_hot};
use super::network::{feedforward, with_bias, Network};
use super::sigmoid::{neg_log_one_minus_sigmoid, neg_log_sigmoid, sigmoid, sigmoid_gradient};
use crate::error::{check_lambda, first_non_finite, shape_str, short_number, NnError, Result};

/// The cost J and the gradients `(J, Theta1_grad, Theta2_grad)` of the course's network
/// (input, one hidden layer, output), vectorized over all m examples.
///
/// `y` holds labels `1..=K` (K = rows of Theta2); `lambda >= 0`.
///
/// ```
/// use nn_core::prelude::*;
/// // One example, a 1-1-1 network with zero weights: h = 0.5, so J = -log(0.5).
/// let (theta1, theta2) = (array![[0.0, 0.0]], array![[0.0, 0.0]]);
/// let (j, _theta1_grad, theta2_grad) = nn_cost_function(&theta1, &theta2, &array![[3.0]], &array![1], 0.0).unwrap();
/// assert!((j - 2f64.ln()).abs() < 1e-15);
/// assert_eq!(theta2_grad, array![[-0.5, -0.25]]); // (h - y) * [1 g(0)]
/// ```
pub fn nn_cost_function(
    theta1: &Array2<f64>,
    theta2: &Array2<f64>,
    x: &Array2<f64>,
    y: &Array1<usize>,
    lambda: f64,
) -> Result<(f64, Array2<f64>, Array2<f64>)> {
    check_problem(&[theta1.view(), theta2.view()], x.view(), y.view(), lambda)?;
    let m = x.nrows() as f64;
    let num_labels = theta2.nrows();

    // Part 1: feedforward, and the cost J.
    let a1 = with_bias(x.view()); //                    m x 401: [1 X]
    let z2 = a1.dot(&theta1.t()); //                    m x 25
    let a2 = with_bias(sigmoid(&z2).view()); //         m x 26:  [1 g(z2)]
    let z3 = a2.dot(&theta2.t()); //                    m x 10
    let h = sigmoid(&z3); //                            m x 10:  h = a3 = g(z3)
    let y_k = one_hot(y, num_labels); //                m x 10:  row i is 1 at label y(i)

    // -y_k log(h) - (1 - y_k) log(1 - h), with the logs taken from z3 (finite when h is 0 or 1).
    let log_terms = &y_k * &neg_log_sigmoid(&z3) + (1.0 - &y_k) * neg_log_one_minus_sigmoid(&z3);
    let penalty = sum_of_squares(theta1.slice(s![.., 1..])) + sum_of_squares(theta2.slice(s![.., 1..]));
    let j = log_terms.sum() / m + lambda / (2.0 * m) * penalty;

    // Part 2: backpropagation.
    let delta3 = &h - &y_k; //                                                  m x 10
    let delta2 = delta3.dot(&theta2.slice(s![.., 1..])) * sigmoid_gradient(&z2); // m x 25
    let mut theta1_grad = a1.t().dot(&delta2).reversed_axes() / m; //          25 x 401: delta2' a1, as (a1' delta2)'
    let mut theta2_grad = delta3.t().dot(&a2) / m; //                           10 x 26

    // Part 3: regularization of the gradient, not of the bias column (column 0).
    theta1_grad.slice_mut(s![.., 1..]).scaled_add(lambda / m, &theta1.slice(s![.., 1..]));
    theta2_grad.slice_mut(s![.., 1..]).scaled_add(lambda / m, &theta2.slice(s![.., 1..]));

    check_finite(x.view(), j, &[&theta1_grad, &theta2_grad], lambda)?;
    Ok((j, theta1_grad, theta2_grad))
}

/// [`nn_cost_function`] one example at a time, the course's steps 1-5:
///
/// 1. feedforward example t: `a1 = [1; x_t]`, `z2 = Theta1 a1`, `a2 = [1; g(z2)]`, `z3 = Theta2 a2`, `a3 = g(z3)`
/// 2. output error: `delta3 = a3 - y_k`
/// 3. hidden error: `delta2 = theta2.t().dot(&delta3).slice(s![1..]) * sigmoid_gradient(&z2)` (entry 0,
///    the bias unit's, dropped; `*` entry by entry)
/// 4. accumulate the outer products: `Delta1 += delta2 a1^T`, `Delta2 += delta3 a2^T`
/// 5. gradient: `(1/m) Delta`, plus `(lambda/m) Theta` off the bias column.
///
/// Slow, but every line is the lecture's; it agrees with [`nn_cost_function`] to 1e-12.
pub fn nn_cost_function_loop(
    theta1: &Array2<f64>,
    theta2: &Array2<f64>,
    x: &Array2<f64>,
    y: &Array1<usize>,
    lambda: f64,
) -> Result<(f64, Array2<f64>, Array2<f64>)> {
    check_problem(&[theta1.view(), theta2.view()], x.view(), y.view(), lambda)?;
    let m = x.nrows() as f64;
    let num_labels = theta2.nrows();
    let (mut big_delta1, mut big_delta2) = (Array2::zeros(theta1.dim()), Array2::zeros(theta2.dim()));
    let mut j = 0.0;

    for (x_t, &label) in x.axis_iter(Axis(0)).zip(y) {
        // Step 1: feedforward.
        let a1 = prepend_one(x_t); // [1; x_t]
        let z2 = theta1.dot(&a1);
        let a2 = prepend_one(sigmoid(&z2).view()); // [1; g(z2)]
        let z3 = theta2.dot(&a2);
        let a3 = sigmoid(&z3);
        let y_k = Array1::from_shape_fn(num_labels, |k| if k + 1 == label { 1.0 } else { 0.0 });
        j += (&y_k * &neg_log_sigmoid(&z3) + (1.0 - &y_k) * neg_log_one_minus_sigmoid(&z3)).sum();
        // Step 2: output error.
        let delta3 = &a3 - &y_k;
        // Step 3: hidden error (the bias unit has none).
        let delta2 = &theta2.t().dot(&delta3).slice(s![1..]) * &sigmoid_gradient(&z2);
        // Step 4: accumulate.
        big_delta1 += &outer(&delta2, &a1);
        big_delta2 += &outer(&delta3, &a2);
    }
    // Step 5.
    let penalty = sum_of_squares(theta1.slice(s![.., 1..])) + sum_of_squares(theta2.slice(s![.., 1..]));
    let j = j / m + lambda / (2.0 * m) * penalty;
    let mut theta1_grad = big_delta1 / m;
    let mut theta2_grad = big_delta2 / m;
    theta1_grad.slice_mut(s![.., 1..]).scaled_add(lambda / m, &theta1.slice(s![.., 1..]));
    theta2_grad.slice_mut(s![.., 1..]).scaled_add(lambda / m, &theta2.slice(s![.., 1..]));

    check_finite(x.view(), j, &[&theta1_grad, &theta2_grad], lambda)?;
    Ok((j, theta1_grad, theta2_grad))
}

/// [`nn_cost_function`] for a network of any depth (400-25-25-10, ...): J and one gradient
/// per Theta. The same steps: feedforward, `delta(L) = h - y_k`, then back through the
/// layers `delta(l) = delta(l+1).dot(&theta(l).slice(s![.., 1..])) * sigmoid_gradient(&z(l))`,
/// `theta(l)_grad = delta(l+1).t().dot(&a(l)) / m`.
///
/// ```
/// use nn_core::prelude::*;
/// let net = Network::debug(&[3, 5, 3]).unwrap();
/// let x = debug_initialize_weights(5, 2);
/// let y = array![2, 3, 1, 2, 3];
/// let (j, grads) = nn_cost_function_deep(&net, &x, &y, 1.0).unwrap();
/// let (j2, theta1_grad, theta2_grad) = nn_cost_function(net.theta1(), net.theta2(), &x, &y, 1.0).unwrap();
/// assert!((j - j2).abs() < 1e-12 && (&grads[0] - &theta1_grad).iter().all(|d| d.abs() < 1e-12));
/// # assert!((&grads[1] - &theta2_grad).iter().all(|d| d.abs() < 1e-12));
/// ```
pub fn nn_cost_function_deep(
    network: &Network,
    x: &Array2<f64>,
    y: &Array1<usize>,
    lambda: f64,
) -> Result<(f64, Vec<Array2<f64>>)> {
    let thetas = network.thetas();
    let views: Vec<ArrayView2<f64>> = thetas.iter().map(|t| t.view()).collect();
    check_problem(&views, x.view(), y.view(), lambda)?;
    let m = x.nrows() as f64;

    let ff = feedforward(network, x)?;
    let y_k = one_hot(y, network.num_labels());
    let z_out = ff.z(ff.layers()); // z(L)
    let log_terms = &y_k * &neg_log_sigmoid(z_out) + (1.0 - &y_k) * neg_log_one_minus_sigmoid(z_out);
    let penalty: f64 = thetas.iter().map(|t| sum_of_squares(t.slice(s![.., 1..]))).sum();
    let j = log_terms.sum() / m + lambda / (2.0 * m) * penalty;

    let mut grads = vec![Array2::zeros((0, 0)); thetas.len()];
    let mut delta = ff.h() - &y_k; // delta(L)
    for l in (0..thetas.len()).rev() {
        // Delta(l) = delta(l+1)' a(l), computed as (a(l)' delta(l+1))': the same sums in
        // the same order, and ndarray's product then shares the work among the cores.
        let mut grad = ff.a(l + 1).t().dot(&delta).reversed_axes() / m; // Theta(l+1)_grad
        grad.slice_mut(s![.., 1..]).scaled_add(lambda / m, &thetas[l].slice(s![.., 1..]));
        grads[l] = grad;
        if l > 0 {
            delta = delta.dot(&thetas[l].slice(s![.., 1..])) * sigmoid_gradient(ff.z(l + 1));
        }
    }
    let refs: Vec<&Array2<f64>> = grads.iter().collect();
    check_finite(x.view(), j, &refs, lambda)?;
    Ok((j, grads))
}

/// The signature every two-Theta cost function shares: [`nn_cost_function`],
/// [`nn_cost_function_loop`], a student's own, a catalogued mistake.
pub type TwoLayerCost<'a> = dyn Fn(&Array2<f64>, &Array2<f64>, &Array2<f64>, &Array1<usize>, f64) -> Result<(f64, Array2<f64>, Array2<f64>)>
    + 'a;

/// Sum of the squares of every entry.
fn sum_of_squares(a: ArrayView2<f64>) -> f64 {
    a.iter().map(|w| w * w).sum()
}

/// `[1; v]`: a column with the bias unit on top.
fn prepend_one(v: ArrayView1<f64>) -> Array1<f64> {
    let mut out = Array1::ones(v.len() + 1);
    out.slice_mut(s![1..]).assign(&v);
    out
}

/// The column vector `u` times the row vector `v'`.
fn outer(u: &Array1<f64>, v: &Array1<f64>) -> Array2<f64> {
    u.view().insert_axis(Axis(1)).dot(&v.view().insert_axis(Axis(0)))
}

/// Checks everything a cost function needs before any arithmetic: the Thetas chain
/// (`Theta(l+1)` has `rows(Theta(l)) + 1` columns), X has one column per input unit and
/// at least one row, one label in `1..=K` per row, lambda finite and `>= 0`.
pub(crate) fn check_problem(
    thetas: &[ArrayView2<f64>],
    x: ArrayView2<f64>,
    y: ArrayView1<usize>,
    lambda: f64,
) -> Result<()> {
    for (l, t) in thetas.iter().enumerate() {
        let expected_cols = if l == 0 { x.ncols() + 1 } else { thetas[l - 1].nrows() + 1 };
        if t.ncols() != expected_cols || t.nrows() == 0 {
            let why = if l == 0 {
                format!("rows x {expected_cols} (X has {} columns, plus the bias column)", x.ncols())
            } else {
                format!("rows x {expected_cols} (Theta{l} has {} rows, plus the bias column)", thetas[l - 1].nrows())
            };
            return Err(NnError::Shape {
                what: format!("Theta{}", l + 1),
                expected: why,
                got: shape_str(t.nrows(), t.ncols()),
            });
        }
    }
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
    let k = thetas.last().map_or(0, |t| t.nrows());
    check_labels("y", y, k)?;
    check_lambda(lambda)
}

/// A NaN or infinite J or gradient as an error naming its cause: a non-finite entry of X,
/// a lambda so large that its penalty overflows, or weights too large for floating point.
/// Above this, a non-finite cost is blamed on lambda (see [`check_finite`]).
const LAMBDA_ABSURD: f64 = 1e10;

pub(crate) fn check_finite(x: ArrayView2<f64>, j: f64, grads: &[&Array2<f64>], lambda: f64) -> Result<()> {
    if j.is_finite() && grads.iter().all(|g| g.iter().all(|v| v.is_finite())) {
        return Ok(());
    }
    if let Some((r, c, v)) = first_non_finite(x) {
        return Err(NnError::NonFinite { what: "X".into(), row: r, col: c, value: v });
    }
    let what = if j.is_finite() { "its gradient did not stay finite" } else { "the cost came out as" };
    let shown = if j.is_finite() { String::new() } else { format!(" {}", short_number(j)) };
    // lambda / (2 m) * sum(Theta^2) overflows only with an absurd lambda or absurd weights:
    // weights that large (~1e150) with lambda <= 1e10 would, lambda > 1e10 is absurd itself.
    if lambda > LAMBDA_ABSURD {
        return Err(NnError::InvalidArgument {
            name: "lambda",
            reason: format!(
                "{what}{shown}: lambda = {} is far too large, its penalty lambda/(2m) * sum(Theta^2) \
                 overflows floating point; the course uses lambda = 1 (0 to 10 is the useful range)",
                short_number(lambda)
            ),
        });
    }
    Err(NnError::InvalidArgument {
        name: "weights",
        reason: format!(
            "{what}{shown} (lambda = {}): the weights are too large for floating point or not finite; \
             re-initialize them",
            short_number(lambda)
        ),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::lecture::network::debug_initialize_weights;
    use ndarray::array;

    fn debug_problem(sizes: &[usize], m: usize) -> (Network, Array2<f64>, Array1<usize>) {
        let net = Network::debug(sizes).unwrap();
        let x = debug_initialize_weights(m, sizes[0] - 1);
        let k = *sizes.last().unwrap();
        let y = (1..=m).map(|i| 1 + i % k).collect();
        (net, x, y)
    }

    #[test]
    fn hand_computed_small_network() {
        // 1 input, 1 hidden unit, 2 outputs; x = 2, y = 2.
        let theta1 = array![[0.5, -1.0]];
        let theta2 = array![[0.0, 1.0], [1.0, -1.0]];
        let g = |z: f64| 1.0 / (1.0 + (-z).exp());
        let a2 = g(0.5 - 2.0);
        let h = [g(a2), g(1.0 - a2)];
        let expected = -(1.0 - h[0]).ln() - h[1].ln();
        let (j, t1g, t2g) = nn_cost_function(&theta1, &theta2, &array![[2.0]], &array![2], 0.0).unwrap();
        assert!((j - expected).abs() < 1e-14, "{j} vs {expected}");
        // delta3 = h - y; Theta2_grad = delta3 * [1 a2]
        let d3 = [h[0], h[1] - 1.0];
        assert!((t2g[[0, 0]] - d3[0]).abs() < 1e-15 && (t2g[[1, 1]] - d3[1] * a2).abs() < 1e-15);
        // delta2 = (Theta2(:, 2)' delta3) g'(z2); Theta1_grad = delta2 * [1 x]
        let d2 = (1.0 * d3[0] - 1.0 * d3[1]) * a2 * (1.0 - a2);
        assert!((t1g[[0, 0]] - d2).abs() < 1e-15 && (t1g[[0, 1]] - 2.0 * d2).abs() < 1e-15);
        // lambda = 2, m = 1: adds 2/2 * (1 + 1 + 1) = 3 to J and 2 * Theta off the bias column.
        let (j2, t1g2, t2g2) = nn_cost_function(&theta1, &theta2, &array![[2.0]], &array![2], 2.0).unwrap();
        assert!((j2 - expected - 3.0).abs() < 1e-13);
        assert_eq!(t1g2[[0, 0]], t1g[[0, 0]], "bias column unregularized");
        assert!((t1g2[[0, 1]] - (t1g[[0, 1]] - 2.0)).abs() < 1e-15);
        assert!((t2g2[[1, 1]] - (t2g[[1, 1]] - 2.0)).abs() < 1e-15);
    }

    #[test]
    fn loop_vectorized_and_deep_agree() {
        for (sizes, m) in [(&[3, 5, 3][..], 5), (&[4, 6, 2][..], 7), (&[2, 1, 4][..], 9)] {
            let (net, x, y) = debug_problem(sizes, m);
            for lambda in [0.0, 1.0, 3.0] {
                let (j1, a1, b1) = nn_cost_function(net.theta1(), net.theta2(), &x, &y, lambda).unwrap();
                let (j2, a2, b2) = nn_cost_function_loop(net.theta1(), net.theta2(), &x, &y, lambda).unwrap();
                let (j3, g3) = nn_cost_function_deep(&net, &x, &y, lambda).unwrap();
                assert!((j1 - j2).abs() < 1e-12 && (j1 - j3).abs() < 1e-12, "{sizes:?} {lambda}: {j1} {j2} {j3}");
                for (p, q) in [(&a1, &a2), (&b1, &b2), (&a1, &g3[0]), (&b1, &g3[1])] {
                    assert!((p - q).iter().all(|e| e.abs() < 1e-12), "{sizes:?} {lambda}");
                }
            }
        }
    }

    #[test]
    fn deep_network_gradients_match_finite_differences() {
        // Four layers: the loop over layers is what runs.
        let (net, x, y) = debug_problem(&[4, 6, 5, 3], 7);
        let sizes = net.layer_sizes();
        let (_, grads) = nn_cost_function_deep(&net, &x, &y, 1.0).unwrap();
        let params = net.unroll();
        let e = 1e-5;
        for (i, want) in crate::lecture::network::unroll(&grads).iter().enumerate().step_by(7) {
            let mut p = params.clone();
            p[i] += e;
            let up =
                nn_cost_function_deep(&Network::reroll(p.as_slice().unwrap(), &sizes).unwrap(), &x, &y, 1.0).unwrap().0;
            p[i] -= 2.0 * e;
            let down =
                nn_cost_function_deep(&Network::reroll(p.as_slice().unwrap(), &sizes).unwrap(), &x, &y, 1.0).unwrap().0;
            assert!(((up - down) / (2.0 * e) - want).abs() < 1e-9, "parameter {i}");
        }
    }

    #[test]
    fn saturated_outputs_give_finite_cost() {
        // Huge weights: z3 = +-1000, so h is exactly 0 or 1 in floating point.
        let theta1 = array![[0.0, 1.0]]; // a2 = g(x)
        let theta2 = array![[0.0, 2000.0], [0.0, -2000.0]];
        let x = array![[50.0], [-50.0]]; // a2 = 1 and 0 (to rounding)
        let y = array![2, 2];
        let (j, g1, g2) = nn_cost_function(&theta1, &theta2, &x, &y, 0.0).unwrap();
        // Row 1: z3 = [2000, -2000], label 2: -log(1-g(2000)) - log(g(-2000)) = 4000; row 2: ~log 2 each.
        assert!(j.is_finite() && j > 1999.0, "{j}");
        assert!(g1.iter().chain(g2.iter()).all(|v| v.is_finite()));
        let (jl, _, _) = nn_cost_function_loop(&theta1, &theta2, &x, &y, 0.0).unwrap();
        assert!((jl - j).abs() < 1e-9);
    }

    #[test]
    fn errors_name_the_fault() {
        let (net, x, y) = debug_problem(&[3, 5, 3], 5);
        let (t1, t2) = (net.theta1(), net.theta2());
        let e = nn_cost_function(t1, t2, &x.t().to_owned(), &y, 0.0).unwrap_err();
        assert!(e.to_string().contains("Theta1") && e.to_string().contains("X has 5 columns"), "{e}");
        let e = nn_cost_function(t1, &t2.t().to_owned(), &x, &y, 0.0).unwrap_err();
        assert!(e.to_string().contains("Theta2") && e.to_string().contains("6x3"), "{e}");
        let e = nn_cost_function(t1, t2, &x, &array![1, 2, 3, 4], 0.0).unwrap_err();
        assert!(matches!(e, NnError::Shape { .. }), "{e}");
        let e = nn_cost_function(t1, t2, &x, &array![1, 2, 4, 1, 2], 0.0).unwrap_err();
        assert!(e.to_string().contains("row 3"), "{e}");
        for bad in [-1.0, f64::NAN, f64::INFINITY] {
            let e = nn_cost_function(t1, t2, &x, &y, bad).unwrap_err();
            assert!(e.to_string().contains("lambda"), "{e}");
        }
        let mut xn = x.clone();
        xn[[3, 1]] = f64::NAN;
        for f in [nn_cost_function, nn_cost_function_loop] {
            let e = f(t1, t2, &xn, &y, 0.0).unwrap_err();
            assert!(e.to_string().contains("row 4, column 2"), "{e}");
        }
        let e = nn_cost_function_deep(&net, &xn, &y, 0.0).unwrap_err();
        assert!(e.to_string().contains("row 4, column 2"), "{e}");
        let empty = Array2::<f64>::zeros((0, 3));
        assert!(nn_cost_function(t1, t2, &empty, &Array1::from(vec![]), 0.0).is_err());
    }
}
