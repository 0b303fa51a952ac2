//! The classic mistakes of the exercise, one table.
//!
//! Each [`Mistake`] is a variant of the lecture's `nn_cost_function` with one thing done
//! wrong, written out as working (wrong) code: [`Mistake::cost`] has exactly the
//! signature of [`nn_core::nn_cost_function`] (a [`TwoLayerCost`](nn_core::lecture::cost::TwoLayerCost)), so it can be graded,
//! gradient-checked or trained like a student's function. The grader recognizes a
//! mistake by computing it on the same inputs as the student and comparing the numbers,
//! and then names it.
//!
//! The table ([`Mistake::entry`]) gives, for every mistake, its short name, a sentence a
//! student can act on, the parts of the grade it costs, and how it computes (a
//! [`Variant`] of the lecture's computation).
//!
//! ```
//! use nn_grader::mistakes::Mistake;
//! // The sigmoid written with exp(z): only Theta2's block of the gradient check fails.
//! let cost = Mistake::SigmoidSign.function();
//! let report = nn_core::check_nn_gradients(&cost, 0.0).unwrap();
//! assert!(report.per_theta[0] < 1e-9 && report.per_theta[1] > 1.0);
//! ```

use std::fmt;

use ndarray::{s, Array1, Array2};
use nn_core::lecture::sigmoid::{sigmoid_scalar, softplus};

use crate::part::Part;
use crate::student::CostValue;

/// The classic mistakes in `nn_cost_function` (and in the `sigmoid_gradient` it calls).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Mistake {
    /// `g = 1 ./ (1 + exp(z))`.
    SigmoidSign,
    /// Label k lights unit k + 1; label K lights none.
    LabelsOffByOne,
    /// Label K (10, the digit 0) lights the first unit.
    LabelTenWrapped,
    /// The cost is summed, not averaged.
    CostMissingOneOverM,
    /// Only `-y log(h)`, no `-(1 - y) log(1 - h)`.
    CostMissingNegativeTerm,
    /// The bias column is regularized (cost and gradient).
    RegularizedBias,
    /// `lambda/m` instead of `lambda/(2m)` in the cost.
    RegularizationMissingHalf,
    /// lambda is ignored.
    NoRegularization,
    /// The accumulated `Delta` is not divided by m.
    GradientMissingOneOverM,
    /// `lambda * Theta` added to the gradient.
    GradientRegularizationMissingOneOverM,
    /// `sigmoid_gradient(a2)` instead of `sigmoid_gradient(z2)`.
    SigmoidGradientOfActivation,
    /// `sigmoid_gradient` returns g(z) itself.
    SigmoidGradientReturnsSigmoid,
    /// `sigmoid_gradient` computes `z * (1 - z)` (entry by entry) instead of `g(z) * (1 - g(z))`.
    SigmoidGradientOfZ,
    /// `sigmoid_gradient` multiplies matrices: `g.dot(&(1.0 - &g))`.
    SigmoidGradientMatrixProduct,
    /// `delta3 = y - h`.
    OutputErrorSign,
    /// `a1 * Theta1` instead of `a1 * Theta1'` (panics, like the student's code).
    TransposedTheta,
}

/// One line of the catalogue.
#[derive(Clone, Copy, Debug)]
pub struct Entry {
    /// A short name, e.g. "sigmoid sign".
    pub name: &'static str,
    /// What went wrong, in a sentence a student can act on.
    pub description: &'static str,
    /// The parts of the grade it costs.
    pub affects: &'static [Part],
    /// How it computes.
    pub variant: Variant,
}

/// How a mistake computes: the lecture's cost and backpropagation with one switch thrown.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct Variant {
    /// The student's g is `g(-z)`.
    pub sigmoid_sign: bool,
    /// How labels become one-hot rows.
    pub labels: Labels,
    /// J is not divided by m.
    pub cost_sum: bool,
    /// J has no `(1 - y) log(1 - h)` term.
    pub cost_no_negative_term: bool,
    /// Column 0 is regularized too.
    pub reg_bias: bool,
    /// `lambda/m` in the cost.
    pub reg_full_lambda_over_m: bool,
    /// No regularization at all.
    pub reg_none: bool,
    /// The gradient is not divided by m.
    pub grad_sum: bool,
    /// `lambda * Theta` in the gradient.
    pub grad_reg_lambda: bool,
    /// What `g'(z2)` is computed as.
    pub g_prime: GPrime,
    /// `delta3 = y - h`.
    pub output_error_sign: bool,
    /// `a1.dot(theta1)`: panics (unless Theta1 is square) before anything else.
    pub transposed_theta: bool,
}

/// How the student turned labels into one-hot rows.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub enum Labels {
    /// Label k lights unit k - 1 (0-based).
    #[default]
    Correct,
    /// Unit index = label: label K has no unit.
    OffByOne,
    /// Unit index = label % K: label K lights unit 0.
    Wrapped,
}

impl Labels {
    /// The 0-based output unit that `label` lights, if any.
    pub fn unit(self, label: usize, k: usize) -> Option<usize> {
        match self {
            Labels::Correct => Some(label - 1),
            Labels::OffByOne => (label < k).then_some(label),
            Labels::Wrapped => Some(label % k),
        }
    }
}

/// What the student's `sigmoid_gradient` (used as `g'(z2)` in backpropagation) computes.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub enum GPrime {
    /// `g(z) * (1 - g(z))`, entry by entry.
    #[default]
    Correct,
    /// Applied to `a2 = g(z2)` instead of `z2`.
    OfActivation,
    /// `g(z)`.
    ReturnsSigmoid,
    /// `z * (1 - z)`, entry by entry.
    OfZ,
    /// `g.dot(&(1 - g))`: panics unless square.
    MatrixProduct,
}

const COST: &[Part] = &[Part::FeedforwardCost, Part::RegularizedCost];
const EVERYTHING: &[Part] =
    &[Part::FeedforwardCost, Part::RegularizedCost, Part::Backpropagation, Part::RegularizedGradient];
const GRADIENT: &[Part] = &[Part::Backpropagation, Part::RegularizedGradient];
const ALL_PARTS: &[Part] = &Part::ALL;
const SIGMOID_GRADIENT: &[Part] = &[Part::SigmoidGradient, Part::Backpropagation, Part::RegularizedGradient];

impl Mistake {
    /// Every mistake, in the order the grader tries them.
    pub const ALL: [Mistake; 16] = [
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
        Mistake::SigmoidGradientReturnsSigmoid,
        Mistake::SigmoidGradientOfZ,
        Mistake::SigmoidGradientMatrixProduct,
        Mistake::OutputErrorSign,
        Mistake::TransposedTheta,
    ];

    /// The catalogue: name, description, the parts it costs, how it computes.
    pub fn entry(self) -> Entry {
        let v = Variant::default();
        let (name, description, affects, variant): (&str, &str, &[Part], Variant) = match self {
            Mistake::SigmoidSign => (
                "sigmoid sign",
                "the sigmoid is written with exp(z) instead of exp(-z): g(z) = 1 / (1 + e^(-z))",
                EVERYTHING,
                Variant { sigmoid_sign: true, ..v },
            ),
            Mistake::LabelsOffByOne => (
                "labels off by one",
                "label k must light output unit k (index k - 1 in Rust), and label K (10, the digit 0) the last unit",
                EVERYTHING,
                Variant { labels: Labels::OffByOne, ..v },
            ),
            Mistake::LabelTenWrapped => (
                "10 not mapped to the last unit",
                "label 10 (the digit 0) is not mapped to the last output unit: labels are 1..=K, label k lights \
                 unit k (index k - 1 in Rust), so 10 is the last unit, not the first",
                EVERYTHING,
                Variant { labels: Labels::Wrapped, ..v },
            ),
            Mistake::CostMissingOneOverM => (
                "cost missing 1/m",
                "the cost is summed over the examples but not divided by m",
                COST,
                Variant { cost_sum: true, ..v },
            ),
            Mistake::CostMissingNegativeTerm => (
                "cost missing the (1 - y) term",
                "the cost is missing the -(1 - y) log(1 - h) term: every output unit contributes, not only the \
                 one of the label",
                COST,
                Variant { cost_no_negative_term: true, ..v },
            ),
            Mistake::RegularizedBias => (
                "regularizing the bias column",
                "column 0 of each Theta (the bias weights) is in the penalty: regularize only \
                 `theta1.slice(s![.., 1..])` and `theta2.slice(s![.., 1..])`",
                &[Part::RegularizedCost, Part::RegularizedGradient],
                Variant { reg_bias: true, ..v },
            ),
            Mistake::RegularizationMissingHalf => (
                "regularization missing 1/2",
                "the regularization term is lambda / m times the sum of the squared weights: it is \
                 lambda / (2 m) times that sum",
                &[Part::RegularizedCost],
                Variant { reg_full_lambda_over_m: true, ..v },
            ),
            Mistake::NoRegularization => (
                "no regularization",
                "lambda is ignored: add the regularization term",
                &[Part::RegularizedCost, Part::RegularizedGradient],
                Variant { reg_none: true, ..v },
            ),
            Mistake::GradientMissingOneOverM => (
                "gradient missing 1/m",
                "Theta_grad = (1/m) Delta: divide the accumulated Delta by m",
                GRADIENT,
                Variant { grad_sum: true, ..v },
            ),
            Mistake::GradientRegularizationMissingOneOverM => (
                "gradient regularization missing 1/m",
                "the gradient's regularization term is lambda * Theta: it is (lambda/m) * Theta",
                &[Part::RegularizedGradient],
                Variant { grad_reg_lambda: true, ..v },
            ),
            Mistake::SigmoidGradientOfActivation => (
                "sigmoid gradient of a2",
                "delta2 uses sigmoid_gradient(&a2): it is `sigmoid_gradient(&z2)` (or, from a2 without its \
                 bias column, `let g = a2.slice(s![.., 1..]); &g * &(1.0 - &g)`)",
                GRADIENT,
                Variant { g_prime: GPrime::OfActivation, ..v },
            ),
            Mistake::SigmoidGradientReturnsSigmoid => (
                "sigmoid gradient returns g(z)",
                "sigmoid_gradient returns g(z) itself: the gradient is g(z) (1 - g(z)) entry by entry, \
                 `let g = sigmoid(z); &g * &(1.0 - &g)`",
                SIGMOID_GRADIENT,
                Variant { g_prime: GPrime::ReturnsSigmoid, ..v },
            ),
            Mistake::SigmoidGradientOfZ => (
                "sigmoid gradient of z",
                "sigmoid_gradient computes z (1 - z): the formula is g(z) (1 - g(z)) with g the sigmoid, \
                 `let g = sigmoid(z); &g * &(1.0 - &g)`",
                SIGMOID_GRADIENT,
                Variant { g_prime: GPrime::OfZ, ..v },
            ),
            Mistake::SigmoidGradientMatrixProduct => (
                "matrix product in the sigmoid gradient",
                "sigmoid_gradient multiplies matrices (`dot`): g(z) (1 - g(z)) is entry by entry, \
                 `&g * &(1.0 - &g)`",
                // It panics on most shapes: every part of nn_cost_function loses its points too.
                ALL_PARTS,
                Variant { g_prime: GPrime::MatrixProduct, ..v },
            ),
            Mistake::OutputErrorSign => (
                "output error sign",
                "the output error has the wrong sign: delta3 = h - y, not y - h",
                GRADIENT,
                Variant { output_error_sign: true, ..v },
            ),
            Mistake::TransposedTheta => (
                "transposed Theta",
                "a Theta is used transposed: z2 is `a1.dot(&theta1.t())` (Theta1 is s2 x (n + 1), 25x401 for \
                 the digits) and z3 is `a2.dot(&theta2.t())`",
                EVERYTHING,
                Variant { transposed_theta: true, ..v },
            ),
        };
        Entry { name, description, affects, variant }
    }

    /// A short name, e.g. "sigmoid sign".
    pub fn name(self) -> &'static str {
        self.entry().name
    }

    /// What went wrong, in a sentence a student can act on.
    pub fn description(self) -> &'static str {
        self.entry().description
    }

    /// Does it cost points in `part`?
    pub fn affects(self, part: Part) -> bool {
        self.entry().affects.contains(&part)
    }

    /// True when its code panics (as the student's does) on a problem with this Theta1
    /// and m examples: a transposed Theta1 unless it is square, a matrix product of two
    /// m x s2 matrices unless m = s2. The grader recognizes those by the panic message.
    pub fn panics_on(self, theta1: (usize, usize), m: usize) -> bool {
        match self {
            Mistake::TransposedTheta => theta1.0 != theta1.1,
            Mistake::SigmoidGradientMatrixProduct => theta1.0 != m,
            _ => false,
        }
    }

    /// The mistake's `nn_cost_function`: the signature of [`nn_core::nn_cost_function`].
    ///
    /// # Panics
    /// Where the student's code would: [`Mistake::TransposedTheta`] on a non-square
    /// Theta1, [`Mistake::SigmoidGradientMatrixProduct`] when `z2` is not square.
    pub fn cost(
        self,
        theta1: &Array2<f64>,
        theta2: &Array2<f64>,
        x: &Array2<f64>,
        y: &Array1<usize>,
        lambda: f64,
    ) -> nn_core::Result<CostValue> {
        self.entry().variant.cost(theta1, theta2, x, y, lambda)
    }

    /// [`Mistake::cost`] as a closure, for anything that takes a
    /// [`TwoLayerCost`](nn_core::lecture::cost::TwoLayerCost): `&Mistake::SigmoidSign.function()`.
    #[allow(clippy::type_complexity)]
    pub fn function(
        self,
    ) -> impl Fn(&Array2<f64>, &Array2<f64>, &Array2<f64>, &Array1<usize>, f64) -> nn_core::Result<CostValue> {
        move |t1: &Array2<f64>, t2: &Array2<f64>, x: &Array2<f64>, y: &Array1<usize>, lambda: f64| {
            self.cost(t1, t2, x, y, lambda)
        }
    }

    /// The `sigmoid_gradient` a student with this mistake wrote: `Some` for the
    /// mistakes of the sigmoid gradient itself, `None` for the others (their
    /// `sigmoid_gradient` is right).
    ///
    /// # Panics
    /// [`Mistake::SigmoidGradientMatrixProduct`] on a non-square `z`, like the student's code.
    pub fn sigmoid_gradient(self, z: &Array2<f64>) -> Option<Array2<f64>> {
        match self.entry().variant.g_prime {
            GPrime::ReturnsSigmoid | GPrime::OfZ | GPrime::MatrixProduct => Some(self.entry().variant.g_prime_of(z)),
            GPrime::Correct | GPrime::OfActivation => None,
        }
    }
}

impl fmt::Display for Mistake {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.name(), self.description())
    }
}

fn with_bias(a: &Array2<f64>) -> Array2<f64> {
    let mut out = Array2::ones((a.nrows(), a.ncols() + 1));
    out.slice_mut(s![.., 1..]).assign(a);
    out
}

impl Variant {
    fn g(&self, z: f64) -> f64 {
        sigmoid_scalar(if self.sigmoid_sign { -z } else { z })
    }

    /// The student's `sigmoid_gradient(z)`, with the student's sigmoid.
    fn g_prime_of(&self, z: &Array2<f64>) -> Array2<f64> {
        let g = z.mapv(|v| self.g(v));
        match self.g_prime {
            GPrime::Correct | GPrime::OfActivation => g.mapv(|gv| gv * (1.0 - gv)),
            GPrime::ReturnsSigmoid => g,
            GPrime::OfZ => z.mapv(|v| v * (1.0 - v)),
            GPrime::MatrixProduct => g.dot(&g.mapv(|gv| 1.0 - gv)),
        }
    }

    /// The lecture's cost and gradient, computed the way this variant does.
    /// Invalid inputs give the library's errors (the library checks them first).
    pub fn cost(
        &self,
        theta1: &Array2<f64>,
        theta2: &Array2<f64>,
        x: &Array2<f64>,
        y: &Array1<usize>,
        lambda: f64,
    ) -> nn_core::Result<CostValue> {
        // The library's function checks every input and names the fault.
        nn_core::nn_cost_function(theta1, theta2, x, y, lambda)?;
        let m = x.nrows() as f64;
        let k = theta2.nrows();
        let sign = if self.sigmoid_sign { -1.0 } else { 1.0 };

        let a1 = with_bias(x);
        if self.transposed_theta {
            let _z2 = a1.dot(theta1); // the mistake: no .t()
        }
        let z2 = a1.dot(&theta1.t());
        let a2 = with_bias(&z2.mapv(|z| self.g(z)));
        let z3 = a2.dot(&theta2.t());
        let h = z3.mapv(|z| self.g(z));

        let mut y_k = Array2::<f64>::zeros((x.nrows(), k));
        for (i, &label) in y.iter().enumerate() {
            if let Some(unit) = self.labels.unit(label, k) {
                y_k[[i, unit]] = 1.0;
            }
        }

        // -log h = log(1 + e^-u) and -log(1 - h) = log(1 + e^u) (stable), with h = g(u), u = sign * z.
        let mut data_cost = 0.0;
        for (&z, &yk) in z3.iter().zip(y_k.iter()) {
            let u = sign * z;
            data_cost += yk * softplus(-u);
            if !self.cost_no_negative_term {
                data_cost += (1.0 - yk) * softplus(u);
            }
        }
        let first = if self.reg_bias { 0 } else { 1 };
        let regularize = !self.reg_none && lambda != 0.0;
        let mut j = if self.cost_sum { data_cost } else { data_cost / m };
        if regularize {
            let sq = |t: &Array2<f64>| t.slice(s![.., first..]).iter().map(|w| w * w).sum::<f64>();
            let factor = if self.reg_full_lambda_over_m { lambda / m } else { lambda / (2.0 * m) };
            j += factor * (sq(theta1) + sq(theta2));
        }

        let delta3 = if self.output_error_sign { &y_k - &h } else { &h - &y_k };
        let g_prime = if self.g_prime == GPrime::OfActivation {
            self.g_prime_of(&a2.slice(s![.., 1..]).to_owned())
        } else {
            self.g_prime_of(&z2)
        };
        let delta2 = delta3.dot(&theta2.slice(s![.., 1..])) * g_prime;
        let scale = if self.grad_sum { 1.0 } else { 1.0 / m };
        let mut theta1_grad = delta2.t().dot(&a1) * scale;
        let mut theta2_grad = delta3.t().dot(&a2) * scale;
        if regularize {
            let factor = if self.grad_reg_lambda { lambda } else { lambda / m };
            theta1_grad.slice_mut(s![.., first..]).scaled_add(factor, &theta1.slice(s![.., first..]));
            theta2_grad.slice_mut(s![.., first..]).scaled_add(factor, &theta2.slice(s![.., first..]));
        }
        Ok((j, theta1_grad, theta2_grad))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ndarray::array;
    use nn_core::{debug_initialize_weights, nn_cost_function, Network};

    fn debug_problem() -> (Network, Array2<f64>, Array1<usize>) {
        (Network::debug(&[3, 5, 3]).unwrap(), debug_initialize_weights(5, 2), array![2usize, 3, 1, 2, 3])
    }

    fn max_diff(a: &Array2<f64>, b: &Array2<f64>) -> f64 {
        (a - b).iter().fold(0.0f64, |m, v| m.max(v.abs()))
    }

    #[test]
    fn the_default_variant_is_the_lecture() {
        let (net, x, y) = debug_problem();
        for lambda in [0.0, 3.0] {
            let (j, g1, g2) = Variant::default().cost(net.theta1(), net.theta2(), &x, &y, lambda).unwrap();
            let (jr, r1, r2) = nn_cost_function(net.theta1(), net.theta2(), &x, &y, lambda).unwrap();
            assert!((j - jr).abs() < 1e-14 && max_diff(&g1, &r1) < 1e-15 && max_diff(&g2, &r2) < 1e-15);
        }
    }

    #[test]
    fn each_mistake_changes_exactly_the_parts_it_says() {
        // On a non-square problem (4-6-4, m = 9) where no mistake panics but the two that must.
        let net = Network::random(&[4, 6, 4], nn_core::Init::Epsilon(1.0), 3).unwrap();
        let x = Array2::from_shape_fn((7, 4), |(i, j)| ((i * 4 + j) as f64).sin());
        let y = array![4usize, 1, 2, 3, 4, 2, 1];
        let (t1, t2) = (net.theta1(), net.theta2());
        for mistake in Mistake::ALL {
            let z = array![[-1.0, 0.0, 2.0], [0.5, 1.0, -3.0], [2.0, 0.0, 1.0]];
            let sg_differs =
                mistake.sigmoid_gradient(&z).is_some_and(|g| max_diff(&g, &nn_core::sigmoid_gradient(&z)) > 1e-9);
            assert_eq!(sg_differs, mistake.affects(Part::SigmoidGradient), "{mistake:?}");
            // These two panic here, like the student's code (tested through the grader, which
            // runs them in a child process: no panic in the test process).
            if matches!(mistake, Mistake::TransposedTheta | Mistake::SigmoidGradientMatrixProduct) {
                continue;
            }
            let [(c0, g0), (c2, g2)] = [0.0, 2.0].map(|lambda| {
                let (j, g1, g2) = mistake.cost(t1, t2, &x, &y, lambda).unwrap();
                let (jr, r1, r2) = nn_cost_function(t1, t2, &x, &y, lambda).unwrap();
                ((j - jr).abs() > 1e-9, max_diff(&g1, &r1) > 1e-9 || max_diff(&g2, &r2) > 1e-9)
            });
            assert_eq!(c0, mistake.affects(Part::FeedforwardCost), "{mistake:?} cost at lambda 0");
            assert_eq!(c2, mistake.affects(Part::RegularizedCost), "{mistake:?} cost at lambda 2");
            assert_eq!(g0, mistake.affects(Part::Backpropagation), "{mistake:?} gradient at lambda 0");
            assert_eq!(g2, mistake.affects(Part::RegularizedGradient), "{mistake:?} gradient at lambda 2");
        }
    }

    #[test]
    fn hand_checks_of_single_mistakes() {
        let (net, x, y) = debug_problem();
        let (t1, t2) = (net.theta1(), net.theta2());
        let m = 5.0;
        let (jr, r1, r2) = nn_cost_function(t1, t2, &x, &y, 0.0).unwrap();
        let (j, g1, _) = Mistake::CostMissingOneOverM.cost(t1, t2, &x, &y, 0.0).unwrap();
        assert!((j - m * jr).abs() < 1e-12 && max_diff(&g1, &r1) < 1e-15);
        let (_, _, g2) = Mistake::GradientMissingOneOverM.cost(t1, t2, &x, &y, 0.0).unwrap();
        assert!(max_diff(&g2, &(&r2 * m)) < 1e-14);
        let (_, g1, g2) = Mistake::OutputErrorSign.cost(t1, t2, &x, &y, 0.0).unwrap();
        assert!(max_diff(&g1, &(-&r1)) < 1e-15 && max_diff(&g2, &(-&r2)) < 1e-15);
        // Bias regularization adds (lambda/2m) * sum(bias^2) to J.
        let (jr3, _, _) = nn_cost_function(t1, t2, &x, &y, 3.0).unwrap();
        let (jb, _, _) = Mistake::RegularizedBias.cost(t1, t2, &x, &y, 3.0).unwrap();
        let bias_sq: f64 = [t1, t2].iter().map(|t| t.column(0).iter().map(|w| w * w).sum::<f64>()).sum();
        assert!((jb - jr3 - 3.0 / (2.0 * m) * bias_sq).abs() < 1e-14);
        assert_eq!(Labels::OffByOne.unit(3, 3), None);
        assert_eq!(Labels::Wrapped.unit(10, 10), Some(0));
        // Invalid inputs: the library's error.
        assert!(Mistake::SigmoidSign.cost(t1, t2, &x, &array![1, 2, 3, 4, 5], 0.0).is_err());
    }

    #[test]
    fn sigmoid_sign_fails_only_theta2_in_the_gradient_check() {
        let r = nn_core::check_nn_gradients(&Mistake::SigmoidSign.function(), 0.0).unwrap();
        assert!(r.per_theta[0] < 1e-9 && r.per_theta[1] > 1.0, "{r}");
        assert_eq!(r.failing_thetas(), vec![1], "index 1: Theta2");
    }

    #[test]
    fn names_are_unique() {
        let mut names: Vec<&str> = Mistake::ALL.iter().map(|m| m.name()).collect();
        names.sort();
        names.dedup();
        assert_eq!(names.len(), Mistake::ALL.len());
    }
}
