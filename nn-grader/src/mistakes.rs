//! The classic mistakes of the exercise, written out as working (wrong) code.
//!
//! Each cost function here has the signature of [`crate::nn_cost_function`]
//! (`fn(&Network, &Array2<f64>, &Array1<usize>, f64) -> Result<(f64, Vec<Array2<f64>>)>`)
//! and computes what a student who made that one mistake would get, so that
//!
//! - a notebook can show what the mistake does to the cost and to a gradient check
//!   (`gradcheck::check_gradients(&mistakes::sigmoid_sign, &[3, 5, 3], 0.0)` shows only
//!   Theta2's block failing), and
//! - the [grader](crate::grader) can recognize the mistake in a student's numbers and name it.
//!
//! Everything else in each function is the correct computation; the per-function
//! documentation quotes the line the student wrote. They accept any number of layers,
//! and check their inputs like [`crate::nn_cost_function`] does.
//!
//! ```
//! use nn_core::{gradcheck, mistakes};
//! let report = gradcheck::check_gradients(&mistakes::sigmoid_sign, &[3, 5, 3], 0.0).unwrap();
//! assert!(report.per_theta[0] < 1e-9);          // Theta1's block is right...
//! assert!(report.per_theta[1] > 1.0);           // ...Theta2's is not
//! assert_eq!(report.failing_thetas(), vec![2]);
//! ```
//!
//! The mistakes of the other two student functions, `sigmoid_gradient` and
//! `rand_initialize_weights`, are at the end of this module.

use std::fmt;

use ndarray::{s, Array1, Array2};
use ndarray_rand::rand::rngs::StdRng;
use ndarray_rand::rand::Rng;

use crate::activation::{sigmoid_scalar, softplus};
use crate::cost::check_problem;
use crate::error::Result;
use crate::network::{seeded_rng, Network};

/// A cost function with [`crate::nn_cost_function`]'s signature.
pub type MistakeFn = fn(&Network, &Array2<f64>, &Array1<usize>, f64) -> Result<(f64, Vec<Array2<f64>>)>;

/// The classic mistakes in `nn_cost_function`, one per variant.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Mistake {
    /// [`sigmoid_sign`]: `g = 1 ./ (1 + exp(z))`.
    SigmoidSign,
    /// [`labels_off_by_one`]: label k lights unit k + 1, label K lights none.
    LabelsOffByOne,
    /// [`label_ten_wrapped`]: label K (10, the digit 0) lights the first unit.
    LabelTenWrapped,
    /// [`cost_missing_one_over_m`]: the cost is summed, not averaged.
    CostMissingOneOverM,
    /// [`cost_missing_negative_term`]: only `-y log(h)`, no `-(1 - y) log(1 - h)`.
    CostMissingNegativeTerm,
    /// [`regularized_bias`]: the bias column is regularized (cost and gradient).
    RegularizedBias,
    /// [`regularization_missing_half`]: `lambda/m` instead of `lambda/(2m)` in the cost.
    RegularizationMissingHalf,
    /// [`no_regularization`]: lambda is ignored.
    NoRegularization,
    /// [`gradient_missing_one_over_m`]: the accumulated `Delta` is not divided by m.
    GradientMissingOneOverM,
    /// [`gradient_regularization_missing_one_over_m`]: `lambda * Theta` added to the gradient.
    GradientRegularizationMissingOneOverM,
    /// [`sigmoid_gradient_of_activation`]: `sigmoid_gradient(a2)` instead of `sigmoid_gradient(z2)`.
    SigmoidGradientOfActivation,
    /// [`output_error_sign`]: `delta3 = y - h`.
    OutputErrorSign,
    /// [`transposed_theta`]: `a1 * Theta1` instead of `a1 * Theta1'` (panics).
    TransposedTheta,
}

impl Mistake {
    /// Every mistake, in the order the grader tries them.
    pub const ALL: [Mistake; 13] = [
        Mistake::SigmoidSign,
        Mistake::LabelsOffByOne,
        Mistake::LabelTenWrapped,
        Mistake::CostMissingOneOverM,
        Mistake::CostMissingNegativeTerm,
        Mistake::RegularizedBias,
        Mistake::RegularizationMissingHalf,
        Mistake::NoRegularization,
        Mistake::GradientMissingOneOverM,
        Mistake::GradientRegularizationMissingOneOverM,
        Mistake::SigmoidGradientOfActivation,
        Mistake::OutputErrorSign,
        Mistake::TransposedTheta,
    ];

    /// The function that makes this mistake.
    pub fn function(self) -> MistakeFn {
        match self {
            Mistake::SigmoidSign => sigmoid_sign,
            Mistake::LabelsOffByOne => labels_off_by_one,
            Mistake::LabelTenWrapped => label_ten_wrapped,
            Mistake::CostMissingOneOverM => cost_missing_one_over_m,
            Mistake::CostMissingNegativeTerm => cost_missing_negative_term,
            Mistake::RegularizedBias => regularized_bias,
            Mistake::RegularizationMissingHalf => regularization_missing_half,
            Mistake::NoRegularization => no_regularization,
            Mistake::GradientMissingOneOverM => gradient_missing_one_over_m,
            Mistake::GradientRegularizationMissingOneOverM => gradient_regularization_missing_one_over_m,
            Mistake::SigmoidGradientOfActivation => sigmoid_gradient_of_activation,
            Mistake::OutputErrorSign => output_error_sign,
            Mistake::TransposedTheta => transposed_theta,
        }
    }

    /// True for the mistake whose function panics (as the student's code does)
    /// instead of returning numbers: the grader recognizes it by the panic message.
    pub fn panics(self) -> bool {
        self == Mistake::TransposedTheta
    }

    /// Does it change the cost J (at this lambda)?
    pub fn affects_cost(self, lambda: f64) -> bool {
        match self {
            Mistake::SigmoidSign
            | Mistake::LabelsOffByOne
            | Mistake::LabelTenWrapped
            | Mistake::CostMissingOneOverM
            | Mistake::CostMissingNegativeTerm => true,
            Mistake::RegularizedBias | Mistake::RegularizationMissingHalf | Mistake::NoRegularization => lambda > 0.0,
            _ => false,
        }
    }

    /// Does it change the gradient (at this lambda)?
    pub fn affects_gradient(self, lambda: f64) -> bool {
        match self {
            Mistake::SigmoidSign
            | Mistake::LabelsOffByOne
            | Mistake::LabelTenWrapped
            | Mistake::GradientMissingOneOverM
            | Mistake::SigmoidGradientOfActivation
            | Mistake::OutputErrorSign => true,
            Mistake::RegularizedBias | Mistake::NoRegularization | Mistake::GradientRegularizationMissingOneOverM => {
                lambda > 0.0
            }
            _ => false,
        }
    }

    /// What went wrong, in a sentence a student can act on.
    pub fn description(self) -> &'static str {
        match self {
            Mistake::SigmoidSign => "the sigmoid is written with exp(z) instead of exp(-z): g(z) = 1 / (1 + e^(-z))",
            Mistake::LabelsOffByOne => {
                "label k must light output unit k (index k - 1 in Rust), \
                 and label K (10, the digit 0) the last unit"
            }
            Mistake::LabelTenWrapped => {
                "label 10 (the digit 0) is not mapped to the last output unit: labels are 1..=K, \
                 label k lights unit k (index k - 1 in Rust), so 10 is the last unit, not the first"
            }
            Mistake::CostMissingOneOverM => "the cost is summed over the examples but not divided by m",
            Mistake::CostMissingNegativeTerm => {
                "the cost is missing the -(1 - y) log(1 - h) term: every output unit contributes, \
                 not only the one of the label"
            }
            Mistake::RegularizedBias => {
                "the bias column is regularized: leave column 0 of each Theta (the bias weights) \
                 out of the regularization"
            }
            Mistake::RegularizationMissingHalf => {
                "the regularization term is lambda/m * sum(Theta^2): it is lambda/(2m) * sum(Theta^2)"
            }
            Mistake::NoRegularization => "lambda is ignored: add the regularization term",
            Mistake::GradientMissingOneOverM => "Theta_grad = (1/m) Delta: divide the accumulated Delta by m",
            Mistake::GradientRegularizationMissingOneOverM => {
                "the gradient's regularization term is lambda * Theta: it is (lambda/m) * Theta"
            }
            Mistake::SigmoidGradientOfActivation => {
                "delta2 uses sigmoid_gradient(a2): it is sigmoid_gradient(z2) (or a2 .* (1 - a2) \
                 without the bias column)"
            }
            Mistake::OutputErrorSign => "the output error has the wrong sign: delta3 = h - y, not y - h",
            Mistake::TransposedTheta => {
                "a Theta is used transposed: z2 = a1 * Theta1' (Theta1 is s2 x (n + 1), 25x401 for the digits)"
            }
        }
    }

    /// A short name, e.g. "sigmoid sign".
    pub fn name(self) -> &'static str {
        match self {
            Mistake::SigmoidSign => "sigmoid sign",
            Mistake::LabelsOffByOne => "labels off by one",
            Mistake::LabelTenWrapped => "10 not mapped to the last unit",
            Mistake::CostMissingOneOverM => "cost missing 1/m",
            Mistake::CostMissingNegativeTerm => "cost missing the (1 - y) term",
            Mistake::RegularizedBias => "regularizing the bias column",
            Mistake::RegularizationMissingHalf => "regularization missing 1/2",
            Mistake::NoRegularization => "no regularization",
            Mistake::GradientMissingOneOverM => "gradient missing 1/m",
            Mistake::GradientRegularizationMissingOneOverM => "gradient regularization missing 1/m",
            Mistake::SigmoidGradientOfActivation => "sigmoid gradient of a2",
            Mistake::OutputErrorSign => "output error sign",
            Mistake::TransposedTheta => "transposed Theta",
        }
    }
}

impl fmt::Display for Mistake {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.name(), self.description())
    }
}

// ---------------------------------------------------------------------------
// One configurable implementation; each public function switches on one mistake.

#[derive(Clone, Copy, Default)]
struct Variant {
    sigmoid_sign: bool,
    labels: Labels,
    cost_sum: bool,
    cost_no_negative_term: bool,
    reg_bias: bool,
    reg_full_lambda_over_m: bool,
    reg_none: bool,
    grad_sum: bool,
    grad_reg_lambda: bool,
    g_prime_of_a: bool,
    output_error_sign: bool,
}

#[derive(Clone, Copy, Default, PartialEq)]
enum Labels {
    #[default]
    Correct,
    /// Unit index = label (0-based): label K has no unit.
    OffByOne,
    /// Unit index = label % K: label K lights unit 0.
    Wrapped,
}

impl Labels {
    /// The 0-based output unit that label `label` lights, if any.
    fn unit(self, label: usize, k: usize) -> Option<usize> {
        match self {
            Labels::Correct => Some(label - 1),
            Labels::OffByOne => (label < k).then_some(label),
            Labels::Wrapped => Some(label % k),
        }
    }
}

fn with_bias(a: &Array2<f64>) -> Array2<f64> {
    let mut out = Array2::ones((a.nrows(), a.ncols() + 1));
    out.slice_mut(s![.., 1..]).assign(a);
    out
}

fn variant_cost(
    v: Variant,
    network: &Network,
    x: &Array2<f64>,
    y: &Array1<usize>,
    lambda: f64,
) -> Result<(f64, Vec<Array2<f64>>)> {
    check_problem(network, x.view(), y.view(), lambda)?;
    let thetas = network.thetas();
    let m = x.nrows() as f64;
    let k = network.num_labels();
    // The student's sigmoid: g(z) = 1/(1 + e^{-z}), or with the sign mistake g(-z).
    let sign = if v.sigmoid_sign { -1.0 } else { 1.0 };
    let g = |z: f64| sigmoid_scalar(sign * z);

    // Forward: a[l] with bias for l < L, z[l] for each Theta.
    let mut a: Vec<Array2<f64>> = vec![with_bias(x)];
    let mut zs: Vec<Array2<f64>> = Vec::new();
    for (l, theta) in thetas.iter().enumerate() {
        let z = a[l].dot(&theta.t());
        let act = z.mapv(g);
        a.push(if l + 1 == thetas.len() { act } else { with_bias(&act) });
        zs.push(z);
    }
    let z_out = zs.last().expect("one Theta at least");
    let h = a.last().expect("output");

    // One-hot labels as the student built them.
    let mut y_k = Array2::<f64>::zeros((x.nrows(), k));
    for (i, &label) in y.iter().enumerate() {
        if let Some(unit) = v.labels.unit(label, k) {
            y_k[[i, unit]] = 1.0;
        }
    }

    // Cost: -log h and -log(1 - h) from z (stable), with h = g(sign * z).
    let mut data_cost = 0.0;
    for (&z, &yk) in z_out.iter().zip(y_k.iter()) {
        let u = sign * z;
        data_cost += yk * softplus(-u);
        if !v.cost_no_negative_term {
            data_cost += (1.0 - yk) * softplus(u);
        }
    }
    let mut j = if v.cost_sum { data_cost } else { data_cost / m };
    if !v.reg_none && lambda != 0.0 {
        let first = if v.reg_bias { 0 } else { 1 };
        let sq: f64 = thetas.iter().map(|t| t.slice(s![.., first..]).iter().map(|w| w * w).sum::<f64>()).sum();
        let factor = if v.reg_full_lambda_over_m { lambda / m } else { lambda / (2.0 * m) };
        j += factor * sq;
    }

    // Backpropagation.
    let mut delta = if v.output_error_sign { &y_k - h } else { h - &y_k };
    let mut grads: Vec<Array2<f64>> = thetas.iter().map(|t| Array2::zeros(t.dim())).collect();
    for l in (0..thetas.len()).rev() {
        let big_delta = delta.t().dot(&a[l]);
        grads[l] = if v.grad_sum { big_delta } else { big_delta / m };
        if l > 0 {
            let back = delta.dot(&thetas[l].slice(s![.., 1..]));
            // g'(z) from the student's g: g(z)(1 - g(z)), or applied to a instead of z.
            let hidden = a[l].slice(s![.., 1..]);
            let g_prime = if v.g_prime_of_a {
                hidden.mapv(|av| g(av) * (1.0 - g(av)))
            } else {
                zs[l - 1].mapv(|z| g(z) * (1.0 - g(z)))
            };
            delta = back * g_prime;
        }
    }
    if !v.reg_none && lambda != 0.0 {
        let first = if v.reg_bias { 0 } else { 1 };
        let factor = if v.grad_reg_lambda { lambda } else { lambda / m };
        for (grad, theta) in grads.iter_mut().zip(thetas) {
            grad.slice_mut(s![.., first..]).scaled_add(factor, &theta.slice(s![.., first..]));
        }
    }
    Ok((j, grads))
}

/// The sigmoid written with `exp(z)` instead of `exp(-z)`, used everywhere.
///
/// The student wrote `g = 1 ./ (1 + exp(z))`, so every activation is `g(-z)`: the
/// forward pass uses `a2 = g(-z2)`, `h = g(-z3)`, and backpropagation uses
/// `delta3 = h - y` and `sigmoid_gradient(z) = g(1 - g)` built from the same wrong g.
///
/// What a gradient check then shows (tested below): the cost is a different, smooth
/// function of the weights, and
/// - Theta2's gradient has the wrong **sign**: dJ/dz3 is `-(h - y)` for `h = g(-z3)`, so
///   its block fails (relative difference far above 1);
/// - Theta1's gradient is **right**: `g(-z)(1 - g(-z)) = g(z)(1 - g(z))` is the same
///   number, and the two missing minus signs (in dJ/dz3 and in da2/dz2) cancel. Its
///   block passes (< 1e-9).
///
/// So the per-Theta check points at the block where the mistake shows.
pub fn sigmoid_sign(
    network: &Network,
    x: &Array2<f64>,
    y: &Array1<usize>,
    lambda: f64,
) -> Result<(f64, Vec<Array2<f64>>)> {
    variant_cost(Variant { sigmoid_sign: true, ..Variant::default() }, network, x, y, lambda)
}

/// Labels off by one: the student built the one-hot row with `y_k[label] = 1`
/// (0-based Rust indexing without the `- 1`), guarding the last label, so label k
/// lights output unit k + 1 and label K (10, the digit 0) lights no unit at all.
pub fn labels_off_by_one(
    network: &Network,
    x: &Array2<f64>,
    y: &Array1<usize>,
    lambda: f64,
) -> Result<(f64, Vec<Array2<f64>>)> {
    variant_cost(Variant { labels: Labels::OffByOne, ..Variant::default() }, network, x, y, lambda)
}

/// 10 not mapped to the last unit: the student treated label 10 as the digit 0 and
/// wrote `y_k[label % K] = 1`, so label 10 lights the first output unit and labels
/// 1..9 light units 2..10 (off by one).
pub fn label_ten_wrapped(
    network: &Network,
    x: &Array2<f64>,
    y: &Array1<usize>,
    lambda: f64,
) -> Result<(f64, Vec<Array2<f64>>)> {
    variant_cost(Variant { labels: Labels::Wrapped, ..Variant::default() }, network, x, y, lambda)
}

/// The cost summed over the examples without the `1/m`:
/// `J = sum(sum(-y .* log(h) - (1 - y) .* log(1 - h)))` (regularization as the course's).
/// The gradient is right.
pub fn cost_missing_one_over_m(
    network: &Network,
    x: &Array2<f64>,
    y: &Array1<usize>,
    lambda: f64,
) -> Result<(f64, Vec<Array2<f64>>)> {
    variant_cost(Variant { cost_sum: true, ..Variant::default() }, network, x, y, lambda)
}

/// The cost without its second term: `J = (1/m) sum(sum(-y .* log(h)))`.
/// The gradient is right.
pub fn cost_missing_negative_term(
    network: &Network,
    x: &Array2<f64>,
    y: &Array1<usize>,
    lambda: f64,
) -> Result<(f64, Vec<Array2<f64>>)> {
    variant_cost(Variant { cost_no_negative_term: true, ..Variant::default() }, network, x, y, lambda)
}

/// Regularizing the bias column: `sum(Theta1(:).^2)` in the cost and
/// `(lambda/m) * Theta1` added to the whole gradient, column 0 included.
pub fn regularized_bias(
    network: &Network,
    x: &Array2<f64>,
    y: &Array1<usize>,
    lambda: f64,
) -> Result<(f64, Vec<Array2<f64>>)> {
    variant_cost(Variant { reg_bias: true, ..Variant::default() }, network, x, y, lambda)
}

/// The regularization term without the 1/2: `lambda/m * sum(Theta^2)` (bias column
/// excluded, as it should be). The gradient is right.
pub fn regularization_missing_half(
    network: &Network,
    x: &Array2<f64>,
    y: &Array1<usize>,
    lambda: f64,
) -> Result<(f64, Vec<Array2<f64>>)> {
    variant_cost(Variant { reg_full_lambda_over_m: true, ..Variant::default() }, network, x, y, lambda)
}

/// lambda ignored: no regularization term in the cost or the gradient.
pub fn no_regularization(
    network: &Network,
    x: &Array2<f64>,
    y: &Array1<usize>,
    lambda: f64,
) -> Result<(f64, Vec<Array2<f64>>)> {
    variant_cost(Variant { reg_none: true, ..Variant::default() }, network, x, y, lambda)
}

/// The gradient missing 1/m: `Theta1_grad = Delta1 + (lambda/m) * Theta1` (the student
/// divided the regularization term by m but not the accumulated `Delta`).
pub fn gradient_missing_one_over_m(
    network: &Network,
    x: &Array2<f64>,
    y: &Array1<usize>,
    lambda: f64,
) -> Result<(f64, Vec<Array2<f64>>)> {
    variant_cost(Variant { grad_sum: true, ..Variant::default() }, network, x, y, lambda)
}

/// The gradient's regularization missing 1/m: `Theta1_grad(:, 2:end) += lambda * Theta1(:, 2:end)`.
pub fn gradient_regularization_missing_one_over_m(
    network: &Network,
    x: &Array2<f64>,
    y: &Array1<usize>,
    lambda: f64,
) -> Result<(f64, Vec<Array2<f64>>)> {
    variant_cost(Variant { grad_reg_lambda: true, ..Variant::default() }, network, x, y, lambda)
}

/// `sigmoid_gradient` applied to the activation: `delta2 = (delta3 * Theta2)(:, 2:end)
/// .* sigmoidGradient(a2)` — that is g'(g(z2)), not g'(z2) = a2 .* (1 - a2).
pub fn sigmoid_gradient_of_activation(
    network: &Network,
    x: &Array2<f64>,
    y: &Array1<usize>,
    lambda: f64,
) -> Result<(f64, Vec<Array2<f64>>)> {
    variant_cost(Variant { g_prime_of_a: true, ..Variant::default() }, network, x, y, lambda)
}

/// The output error with the wrong sign: `delta3 = y - h`. Every gradient comes out
/// negated (before regularization), so gradient descent climbs.
pub fn output_error_sign(
    network: &Network,
    x: &Array2<f64>,
    y: &Array1<usize>,
    lambda: f64,
) -> Result<(f64, Vec<Array2<f64>>)> {
    variant_cost(Variant { output_error_sign: true, ..Variant::default() }, network, x, y, lambda)
}

/// A transposed Theta: the student wrote `z2 = a1.dot(theta1)` instead of
/// `a1.dot(&theta1.t())`.
///
/// # Panics
/// Like the student's code, with ndarray's "inputs m × (n+1) and s2 × (n+1) are not
/// compatible for matrix multiplication" (unless Theta1 happens to be square).
/// The grader recognizes the mistake by that message.
pub fn transposed_theta(
    network: &Network,
    x: &Array2<f64>,
    y: &Array1<usize>,
    lambda: f64,
) -> Result<(f64, Vec<Array2<f64>>)> {
    check_problem(network, x.view(), y.view(), lambda)?;
    let a1 = with_bias(x);
    let _z2 = a1.dot(network.theta1()); // the mistake: no .t()
    variant_cost(Variant::default(), network, x, y, lambda)
}

// ---------------------------------------------------------------------------
// sigmoid_gradient mistakes: `fn(&Array2<f64>) -> Array2<f64>`.

/// `sigmoid_gradient` returning the sigmoid itself: `g = sigmoid(z)`.
pub fn sigmoid_gradient_returns_sigmoid(z: &Array2<f64>) -> Array2<f64> {
    z.mapv(sigmoid_scalar)
}

/// `sigmoid_gradient` with the formula applied to z: `g = z .* (1 - z)`.
pub fn sigmoid_gradient_of_z(z: &Array2<f64>) -> Array2<f64> {
    z.mapv(|v| v * (1.0 - v))
}

/// `sigmoid_gradient` with a matrix product: `g.dot(&(1.0 - &g))` instead of `&g * &(1.0 - &g)`.
///
/// # Panics
/// For a non-square z, with ndarray's "not compatible for matrix multiplication".
pub fn sigmoid_gradient_matrix_product(z: &Array2<f64>) -> Array2<f64> {
    let g = z.mapv(sigmoid_scalar);
    g.dot(&g.mapv(|v| 1.0 - v))
}

// ---------------------------------------------------------------------------
// rand_initialize_weights mistakes: `fn(usize, usize, f64, &mut StdRng) -> Array2<f64>`.

/// All zeros: every hidden unit computes (and learns) the same function.
pub fn rand_init_zeros(l_in: usize, l_out: usize, _epsilon: f64, _rng: &mut StdRng) -> Array2<f64> {
    Array2::zeros((l_out, 1 + l_in))
}

/// No bias column: `l_out x l_in` instead of `l_out x (1 + l_in)`.
pub fn rand_init_without_bias_column(l_in: usize, l_out: usize, epsilon: f64, rng: &mut StdRng) -> Array2<f64> {
    Array2::from_shape_fn((l_out, l_in), |_| rng.random_range(-epsilon..=epsilon))
}

/// Uniform in `[0, epsilon)`: `rand(L_out, 1 + L_in) * epsilon`, without the shift to `[-epsilon, epsilon]`.
pub fn rand_init_not_centered(l_in: usize, l_out: usize, epsilon: f64, rng: &mut StdRng) -> Array2<f64> {
    Array2::from_shape_fn((l_out, 1 + l_in), |_| rng.random::<f64>() * epsilon)
}

/// A fresh generator with a fixed seed on every call, instead of the `rng` argument:
/// the same weights for every layer and every call.
pub fn rand_init_fixed_seed(l_in: usize, l_out: usize, epsilon: f64, _rng: &mut StdRng) -> Array2<f64> {
    let mut own = seeded_rng(0);
    Array2::from_shape_fn((l_out, 1 + l_in), |_| own.random_range(-epsilon..=epsilon))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cost::nn_cost_function;
    use crate::gradcheck::{check_gradients, debug_initialize_weights};
    use ndarray::array;

    fn debug_problem() -> (Network, Array2<f64>, Array1<usize>) {
        let net = Network::debug(&[3, 5, 3]);
        let x = debug_initialize_weights(5, 2);
        let y = array![2usize, 3, 1, 2, 3];
        (net, x, y)
    }

    fn max_diff(a: &Array2<f64>, b: &Array2<f64>) -> f64 {
        (a - b).iter().fold(0.0f64, |m, v| m.max(v.abs()))
    }

    #[test]
    fn the_correct_variant_is_the_reference() {
        let (net, x, y) = debug_problem();
        for lambda in [0.0, 3.0] {
            let (j, g) = variant_cost(Variant::default(), &net, &x, &y, lambda).unwrap();
            let (jr, gr) = nn_cost_function(&net, &x, &y, lambda).unwrap();
            assert!((j - jr).abs() < 1e-14, "{j} vs {jr}");
            for (a, b) in g.iter().zip(&gr) {
                assert!(max_diff(a, b) < 1e-15);
            }
        }
        let deep = Network::debug(&[3, 4, 4, 3]);
        let (j, g) = variant_cost(Variant::default(), &deep, &x, &y, 1.0).unwrap();
        let (jr, gr) = nn_cost_function(&deep, &x, &y, 1.0).unwrap();
        assert!((j - jr).abs() < 1e-14 && g.iter().zip(&gr).all(|(a, b)| max_diff(a, b) < 1e-15));
    }

    #[test]
    fn sigmoid_sign_fails_only_theta2_in_the_gradient_check() {
        let r = check_gradients(&sigmoid_sign, &[3, 5, 3], 0.0).unwrap();
        assert!(r.per_theta[0] < 1e-9, "Theta1 block: {}", r.per_theta[0]);
        assert!(r.per_theta[1] > 1.0, "Theta2 block: {}", r.per_theta[1]);
        assert_eq!(r.failing_thetas(), vec![2]);
        assert!(!r.passed());
        assert!(r.worst.iter().all(|e| e.layer == 2), "{:?}", r.worst);
        // Theta2's backprop gradient is exactly the negative of the true (numerical) one.
        let n1 = 5 * 4;
        for i in n1..r.numerical.len() {
            assert!((r.numerical[i] + r.analytical[i]).abs() < 1e-9, "entry {i}");
        }
        // And the cost is a different number from the right one.
        let (net, x, y) = debug_problem();
        let (jw, _) = sigmoid_sign(&net, &x, &y, 0.0).unwrap();
        let (j, _) = nn_cost_function(&net, &x, &y, 0.0).unwrap();
        assert!((jw - j).abs() > 1e-3, "{jw} vs {j}");
    }

    #[test]
    fn each_mistake_changes_what_it_says_and_nothing_else() {
        let (net, x, y) = debug_problem();
        for lambda in [0.0, 3.0] {
            let (jr, gr) = nn_cost_function(&net, &x, &y, lambda).unwrap();
            for mistake in Mistake::ALL.into_iter().filter(|m| !m.panics()) {
                let (j, g) = mistake.function()(&net, &x, &y, lambda).unwrap();
                let cost_differs = (j - jr).abs() > 1e-9;
                let grad_differs = g.iter().zip(&gr).any(|(a, b)| max_diff(a, b) > 1e-9);
                assert_eq!(cost_differs, mistake.affects_cost(lambda), "{mistake:?} cost at lambda {lambda}");
                assert_eq!(grad_differs, mistake.affects_gradient(lambda), "{mistake:?} grad at lambda {lambda}");
            }
        }
    }

    #[test]
    fn hand_checks_of_single_mistakes() {
        let (net, x, y) = debug_problem();
        let m = 5.0;
        let (jr, gr) = nn_cost_function(&net, &x, &y, 0.0).unwrap();
        let (j, g) = cost_missing_one_over_m(&net, &x, &y, 0.0).unwrap();
        assert!((j - m * jr).abs() < 1e-12);
        assert!(max_diff(&g[0], &gr[0]) < 1e-15);
        let (_, g) = gradient_missing_one_over_m(&net, &x, &y, 0.0).unwrap();
        assert!(max_diff(&g[1], &(&gr[1] * m)) < 1e-14);
        let (_, g) = output_error_sign(&net, &x, &y, 0.0).unwrap();
        assert!(max_diff(&g[0], &(-&gr[0])) < 1e-15 && max_diff(&g[1], &(-&gr[1])) < 1e-15);
        // Bias regularization adds (lambda/2m) * sum(bias^2) to J.
        let (jr3, gr3) = nn_cost_function(&net, &x, &y, 3.0).unwrap();
        let (jb, gb) = regularized_bias(&net, &x, &y, 3.0).unwrap();
        let bias_sq: f64 = net.thetas().iter().map(|t| t.column(0).iter().map(|w| w * w).sum::<f64>()).sum();
        assert!((jb - jr3 - 3.0 / (2.0 * m) * bias_sq).abs() < 1e-14);
        let expect_col0 = &gr3[0].column(0) + &(net.theta1().column(0).to_owned() * (3.0 / m));
        assert!((&gb[0].column(0) - &expect_col0).iter().all(|v| v.abs() < 1e-15));
        // Labels: off by one leaves label K's rows empty; wrapped moves them to unit 1.
        assert_eq!(Labels::OffByOne.unit(3, 3), None);
        assert_eq!(Labels::OffByOne.unit(1, 3), Some(1));
        assert_eq!(Labels::Wrapped.unit(10, 10), Some(0));
        assert_eq!(Labels::Wrapped.unit(4, 10), Some(4));
    }

    #[test]
    #[should_panic(expected = "not compatible for matrix multiplication")]
    fn transposed_theta_panics_like_the_student_code() {
        let (net, x, y) = debug_problem();
        let _ = transposed_theta(&net, &x, &y, 0.0);
    }

    #[test]
    fn other_functions_mistakes() {
        let z = array![[-1.0, 0.0, 2.0]];
        assert_eq!(sigmoid_gradient_returns_sigmoid(&z)[[0, 1]], 0.5);
        assert_eq!(sigmoid_gradient_of_z(&z)[[0, 2]], -2.0);
        let mut rng = seeded_rng(1);
        assert!(rand_init_zeros(3, 5, 0.12, &mut rng).iter().all(|&v| v == 0.0));
        assert_eq!(rand_init_without_bias_column(3, 5, 0.12, &mut rng).dim(), (5, 3));
        assert!(rand_init_not_centered(3, 5, 0.12, &mut rng).iter().all(|&v| (0.0..0.12).contains(&v)));
        assert_eq!(rand_init_fixed_seed(3, 5, 0.12, &mut rng), rand_init_fixed_seed(3, 5, 0.12, &mut rng));
    }
}
