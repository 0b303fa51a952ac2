//! Gradient checking: compare backpropagation with finite differences.
//!
//! ```math
//! \frac{\partial J}{\partial \theta_i} \approx
//!   \frac{J(\theta + \epsilon e_i) - J(\theta - \epsilon e_i)}{2\epsilon},\quad \epsilon = 10^{-4}
//! ```
//!
//! The course's check uses a small 3-5-3 network with 5 examples and reports
//! `norm(numgrad - grad) / norm(numgrad + grad)`, which should be below 1e-9.
//! The report here also breaks that number down per Theta, so a bug confined
//! to one layer's gradient shows up as one bad block.
//!
//! ```
//! use nn_core::prelude::*;
//! // The course's checkNNGradients(lambda), on the library's nn_cost_function
//! // (or on yours: any function with its signature).
//! let report = check_nn_gradients(&nn_cost_function, 0.0).unwrap();
//! assert!(report.relative_difference < 1e-9);
//! println!("{report}");
//! ```

use std::fmt;

use ndarray::{Array1, Array2};

use super::cost::TwoLayerCost;
use super::network::{debug_initialize_weights, unroll, Network};
use crate::error::{NnError, Result};

/// The finite-difference step the course uses.
pub const EPSILON: f64 = 1e-4;

/// Central-difference gradient of `j` at `theta`, one parameter at a time
/// (the course's `computeNumericalGradient`, with e = 1e-4).
///
/// ```
/// use ndarray::array;
/// // J(t) = t0^2 + 3 t1, gradient [2 t0, 3].
/// let g = nn_core::compute_numerical_gradient(|t| Ok(t[0] * t[0] + 3.0 * t[1]), &array![2.0, 5.0]).unwrap();
/// assert!((g[0] - 4.0).abs() < 1e-8 && (g[1] - 3.0).abs() < 1e-8);
/// ```
pub fn compute_numerical_gradient(
    mut j: impl FnMut(&Array1<f64>) -> Result<f64>,
    theta: &Array1<f64>,
) -> Result<Array1<f64>> {
    let mut numgrad = Array1::zeros(theta.len());
    let mut perturbed = theta.clone();
    for p in 0..theta.len() {
        perturbed[p] = theta[p] - EPSILON;
        let loss1 = j(&perturbed)?;
        perturbed[p] = theta[p] + EPSILON;
        let loss2 = j(&perturbed)?;
        perturbed[p] = theta[p];
        numgrad[p] = (loss2 - loss1) / (2.0 * EPSILON);
    }
    Ok(numgrad)
}

/// One parameter of a gradient check, located in its Theta.
#[derive(Clone, Debug, PartialEq)]
pub struct GradEntry {
    /// Position in the unrolled vector (0-based).
    pub index: usize,
    /// Which Theta: 1 for Theta1.
    pub layer: usize,
    /// Row in that Theta, 0-based as in Rust's `theta[[row, col]]` (the handout's
    /// `Theta(row + 1, col + 1)`).
    pub row: usize,
    /// Column in that Theta, 0-based (column 0 is the bias column).
    pub col: usize,
    /// Finite-difference value.
    pub numerical: f64,
    /// Backpropagation value.
    pub analytical: f64,
}

impl GradEntry {
    /// |numerical - analytical|.
    pub fn abs_difference(&self) -> f64 {
        (self.numerical - self.analytical).abs()
    }
}

/// What a gradient check found.
#[derive(Clone, Debug)]
pub struct GradCheckReport {
    /// Layer sizes of the checked network, e.g. `[3, 5, 3]`.
    pub sizes: Vec<usize>,
    /// Regularization used.
    pub lambda: f64,
    /// Finite differences, unrolled.
    pub numerical: Array1<f64>,
    /// Backpropagation, unrolled.
    pub analytical: Array1<f64>,
    /// `norm(num - grad) / norm(num + grad)` over all parameters.
    pub relative_difference: f64,
    /// The same number for each Theta's block (index 0 is Theta1).
    pub per_theta: Vec<f64>,
    /// The entries that differ most, largest difference first (at most 5, and only
    /// those within a factor 1000 of the largest difference).
    pub worst: Vec<GradEntry>,
}

/// The course's bar: a correct backpropagation gives less than this.
pub const PASS_THRESHOLD: f64 = 1e-9;

impl GradCheckReport {
    /// True when the relative difference is below 1e-9 and the cost depends on the
    /// weights at all (a function that returns a constant J and zero gradients agrees
    /// with its finite differences, but computes nothing).
    pub fn passed(&self) -> bool {
        self.relative_difference < PASS_THRESHOLD && !self.cost_is_constant()
    }

    /// True when no weight changes the cost (every finite difference is exactly 0).
    fn cost_is_constant(&self) -> bool {
        self.numerical.iter().all(|&v| v == 0.0)
    }

    /// Every parameter with its place, in unrolled order (as many as `numerical`,
    /// `analytical` and `sizes` all cover, should a hand-edited report disagree).
    pub fn entries(&self) -> Vec<GradEntry> {
        let len = self.numerical.len().min(self.analytical.len());
        let mut out = Vec::with_capacity(len);
        let mut index = 0;
        for (l, w) in self.sizes.windows(2).enumerate() {
            let (rows, cols) = (w[1], w[0].saturating_add(1));
            for c in 0..cols {
                for r in 0..rows {
                    if index >= len {
                        return out;
                    }
                    out.push(GradEntry {
                        index,
                        layer: l + 1,
                        row: r,
                        col: c,
                        numerical: self.numerical[index],
                        analytical: self.analytical[index],
                    });
                    index += 1;
                }
            }
        }
        out
    }

    /// The Thetas whose block fails the 1e-9 test, as indexes (from 0, as Rust counts) into
    /// [`per_theta`](Self::per_theta) and [`Network::thetas`]: `[1]` is Theta2, the
    /// second matrix, `theta2`. A NaN difference fails too.
    ///
    /// ```
    /// use nn_core::prelude::*;
    /// let wrong = |t1: &Array2<f64>, t2: &Array2<f64>, x: &Array2<f64>, y: &Array1<usize>, l: f64| {
    ///     let (j, g1, g2) = nn_cost_function(t1, t2, x, y, l)?;
    ///     Ok((j, g1, -g2)) // Theta2's gradient negated
    /// };
    /// let report = check_nn_gradients(&wrong, 0.0).unwrap();
    /// assert_eq!(report.failing_thetas(), vec![1]);
    /// ```
    pub fn failing_thetas(&self) -> Vec<usize> {
        let passes = |d: f64| d < PASS_THRESHOLD;
        self.per_theta.iter().enumerate().filter(|(_, &d)| !passes(d)).map(|(l, _)| l).collect()
    }
}

fn relative_difference(num: &[f64], ana: &[f64]) -> f64 {
    // norm(num - ana) / norm(num + ana), the norms taken of values scaled by the largest
    // entry so that squares of huge gradients (large lambda) do not overflow.
    let scale = num.iter().chain(ana).fold(0.0f64, |m, v| m.max(v.abs()));
    if scale == 0.0 {
        return 0.0;
    }
    let diff: f64 = num.iter().zip(ana).map(|(a, b)| ((a - b) / scale).powi(2)).sum::<f64>().sqrt();
    let sum: f64 = num.iter().zip(ana).map(|(a, b)| ((a + b) / scale).powi(2)).sum::<f64>().sqrt();
    if diff == 0.0 {
        0.0
    } else {
        diff / sum
    }
}

impl fmt::Display for GradCheckReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f, "Gradient check on a {:?} network, lambda = {}", self.sizes, self.lambda)?;
        writeln!(f, "{:>14} {:>14}   (numerical, analytical)", "numerical", "backprop")?;
        let shown = self.numerical.len().min(self.analytical.len()).min(10);
        for i in 0..shown {
            writeln!(f, "{:>14.6e} {:>14.6e}", self.numerical[i], self.analytical[i])?;
        }
        if shown < self.numerical.len() {
            writeln!(f, "{:>14} {:>14}   ({} more)", "...", "...", self.numerical.len() - shown)?;
        }
        for (l, d) in self.per_theta.iter().enumerate() {
            let mark = if *d < PASS_THRESHOLD { "ok" } else { "WRONG" };
            writeln!(f, "Theta{} relative difference: {:.3e}  {mark}", l + 1, d)?;
        }
        if !self.passed() {
            writeln!(f, "largest differences (weight [[row, column]], from 0: numerical vs backprop):")?;
            for e in &self.worst {
                writeln!(f, "  theta{}[[{}, {}]]: {:.6e} vs {:.6e}", e.layer, e.row, e.col, e.numerical, e.analytical)?;
            }
        }
        let verdict = if self.cost_is_constant() {
            "but the cost does not change when any weight changes: is J computed from the Thetas?"
        } else if self.passed() {
            "less than 1e-9: backpropagation is correct"
        } else {
            "NOT below 1e-9: check backpropagation"
        };
        write!(f, "Relative difference: {:.3e} ({verdict})", self.relative_difference)
    }
}

/// A cost-and-gradient function of a whole network (any depth), such as
/// [`nn_cost_function_deep`](super::cost::nn_cost_function_deep).
pub type NetworkCost<'a> = dyn Fn(&Network, &Array2<f64>, &Array1<usize>, f64) -> Result<(f64, Vec<Array2<f64>>)> + 'a;

/// The course's `checkNNGradients(lambda)`: the 3-5-3 debug network, 5 examples, finite
/// differences against the backpropagation of `nn_cost_function` (the library's, a
/// student's, a catalogued mistake: anything with its signature).
pub fn check_nn_gradients(nn_cost_function: &TwoLayerCost<'_>, lambda: f64) -> Result<GradCheckReport> {
    let cost = |net: &Network, x: &Array2<f64>, y: &Array1<usize>, lambda: f64| {
        let (j, theta1_grad, theta2_grad) = nn_cost_function(net.theta1(), net.theta2(), x, y, lambda)?;
        Ok((j, vec![theta1_grad, theta2_grad]))
    };
    check_gradients(&cost, &[3, 5, 3], lambda)
}

/// Gradient check of a cost function of any depth on a small debug network with the given
/// layer sizes and `m = 5` examples, set up as the course does:
/// `Theta(l) = debugInitializeWeights`, `X = debugInitializeWeights(m, n - 1)`,
/// `y = 1 + mod(1:m, K)`.
pub fn check_gradients(cost: &NetworkCost<'_>, sizes: &[usize], lambda: f64) -> Result<GradCheckReport> {
    crate::error::check_lambda(lambda)?;
    let net = Network::debug(sizes)?;
    let m = 5;
    let k = *sizes.last().expect("validated");
    let x = debug_initialize_weights(m, sizes[0] - 1);
    let y: Array1<usize> = (1..=m).map(|i| 1 + i % k).collect();

    let (_, grads) = cost(&net, &x, &y, lambda)?;
    if grads.len() != net.thetas().len() {
        return Err(NnError::Shape {
            what: "the gradients".into(),
            expected: format!("{} matrices (one per Theta)", net.thetas().len()),
            got: format!("{} matrices", grads.len()),
        });
    }
    for (l, (g, t)) in grads.iter().zip(net.thetas()).enumerate() {
        if g.dim() != t.dim() {
            return Err(NnError::Shape {
                what: format!("Theta{}_grad", l + 1),
                expected: format!("{}x{} (the shape of Theta{})", t.nrows(), t.ncols(), l + 1),
                got: format!("{}x{}", g.nrows(), g.ncols()),
            });
        }
    }
    let analytical = unroll(&grads);
    let numerical = compute_numerical_gradient(
        |p| {
            let n = Network::reroll(p.as_slice().expect("contiguous"), sizes)?;
            cost(&n, &x, &y, lambda).map(|(j, _)| j)
        },
        &net.unroll(),
    )?;
    if analytical.len() != numerical.len() {
        return Err(NnError::Shape {
            what: "gradient".into(),
            expected: format!("{} entries (one per parameter)", numerical.len()),
            got: format!("{} entries", analytical.len()),
        });
    }
    for (what, values) in [("finite differences of the cost", &numerical), ("backpropagation's gradient", &analytical)]
    {
        if let Some(bad) = values.iter().find(|v| !v.is_finite()) {
            return Err(NnError::InvalidArgument {
                name: "gradient check",
                reason: format!("the {what} gave {bad} (lambda = {lambda}): the check needs finite numbers"),
            });
        }
    }
    let num = numerical.as_slice().expect("contiguous");
    let ana = analytical.as_slice().expect("contiguous");
    let mut per_theta = Vec::new();
    let mut offset = 0;
    for w in sizes.windows(2) {
        let len = w[1] * (w[0] + 1);
        per_theta.push(relative_difference(&num[offset..offset + len], &ana[offset..offset + len]));
        offset += len;
    }
    let mut report = GradCheckReport {
        sizes: sizes.to_vec(),
        lambda,
        relative_difference: relative_difference(num, ana),
        numerical,
        analytical,
        per_theta,
        worst: Vec::new(),
    };
    let mut entries = report.entries();
    entries.sort_by(|a, b| b.abs_difference().total_cmp(&a.abs_difference()));
    // Only entries that stand out: within a factor 1000 of the largest difference.
    let largest = entries.first().map_or(0.0, |e| e.abs_difference());
    entries.retain(|e| e.abs_difference() > 1e-3 * largest);
    entries.truncate(5);
    report.worst = entries;
    Ok(report)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::lecture::cost::{nn_cost_function, nn_cost_function_deep};
    use crate::lecture::sigmoid::sigmoid_scalar;
    use ndarray::s;

    #[test]
    fn debug_weights_follow_matlab_layout() {
        // reshape(sin(1:6), 2, 3) / 10 = [sin1 sin3 sin5; sin2 sin4 sin6] / 10
        let w = debug_initialize_weights(2, 2);
        assert_eq!(w.dim(), (2, 3));
        for (r, c, i) in [(0, 0, 1.0), (1, 0, 2.0), (0, 1, 3.0), (1, 2, 6.0)] {
            assert!((w[[r, c]] - f64::sin(i) / 10.0).abs() < 1e-16);
        }
    }

    #[test]
    fn correct_backprop_passes_at_lambda_0_and_3() {
        for lambda in [0.0, 3.0] {
            let r = check_nn_gradients(&nn_cost_function, lambda).unwrap();
            assert!(r.relative_difference < 1e-9, "lambda {lambda}: {}", r.relative_difference);
            assert!(r.per_theta.iter().all(|&d| d < 1e-9));
            assert_eq!(r.numerical.len(), 5 * 4 + 3 * 6);
            assert!(r.passed() && r.failing_thetas().is_empty());
        }
        let deep = check_gradients(&nn_cost_function_deep, &[3, 5, 5, 3], 1.0).unwrap();
        assert!(deep.passed(), "{deep}");
        assert_eq!(deep.per_theta.len(), 3);
    }

    #[test]
    fn a_broken_theta2_gradient_is_located() {
        // Backprop that gets one column of Theta2's gradient wrong.
        let broken = |t1: &Array2<f64>, t2: &Array2<f64>, x: &Array2<f64>, y: &Array1<usize>, lambda: f64| {
            let (j, g1, mut g2) = nn_cost_function(t1, t2, x, y, lambda)?;
            g2.slice_mut(s![.., 2]).mapv_inplace(|v| v * 1.5 + 0.01);
            Ok((j, g1, g2))
        };
        let r = check_nn_gradients(&broken, 0.0).unwrap();
        assert!(!r.passed());
        assert_eq!(r.failing_thetas(), vec![1], "index 1: Theta2");
        assert!(r.per_theta[0] < 1e-9);
        assert!(r.worst.iter().all(|e| e.layer == 2 && e.col == 2), "{:?}", r.worst);
        let text = r.to_string();
        assert!(text.contains("Theta2 relative difference") && text.contains("WRONG"), "{text}");
        // The worst weights are named as Rust indexes them: column 2 (0-based) was broken.
        let named: Vec<&str> = text.lines().filter(|l| l.trim_start().starts_with("theta")).collect();
        assert_eq!(named.len(), r.worst.len(), "{text}");
        assert!(named.iter().all(|l| l.trim_start().starts_with("theta2[[") && l.contains(", 2]]:")), "{text}");
    }

    #[test]
    fn a_stub_that_computes_nothing_does_not_pass() {
        let zeros = |t1: &Array2<f64>, t2: &Array2<f64>, _: &Array2<f64>, _: &Array1<usize>, _: f64| {
            Ok((0.0, Array2::zeros(t1.dim()), Array2::zeros(t2.dim())))
        };
        let r = check_nn_gradients(&zeros, 0.0).unwrap();
        assert!(!r.passed() && r.cost_is_constant());
        assert!(r.to_string().contains("does not change"), "{r}");
        // Wrong-shaped gradients and non-finite numbers are errors, not reports.
        let transposed = |t1: &Array2<f64>, t2: &Array2<f64>, x: &Array2<f64>, y: &Array1<usize>, l: f64| {
            let (j, g1, g2) = nn_cost_function(t1, t2, x, y, l)?;
            Ok((j, g1, g2.t().to_owned()))
        };
        let e = check_nn_gradients(&transposed, 0.0).unwrap_err().to_string();
        assert!(e.contains("Theta2_grad") && e.contains("3x6") && e.contains("6x3"), "{e}");
        // Huge lambda: the norms do not overflow, so the report is a number, not NaN
        // (the course's formula squares entries of 1e298).
        let r = check_nn_gradients(&nn_cost_function, 1e300).unwrap();
        assert!(r.passed() && r.per_theta.iter().all(|d| d.is_finite()), "{r}");
    }

    #[test]
    fn numerical_gradient_of_cost_matches_hand_derivative() {
        // One hidden unit with a = g(w x), output h = g(a): J(w) = -log(g(g(2 w))) for x = 2, y = 1,
        // so dJ/dw = (h - 1) * g'(2 w) * 2 (the chain rule by hand).
        let x = ndarray::array![[2.0]];
        let y = ndarray::array![1usize];
        let w = 0.3;
        let num = compute_numerical_gradient(
            |p| {
                let n = Network::new(vec![ndarray::array![[0.0, p[0]]], ndarray::array![[0.0, 1.0]]])?;
                nn_cost_function_deep(&n, &x, &y, 0.0).map(|(j, _)| j)
            },
            &ndarray::array![w],
        )
        .unwrap();
        let a = sigmoid_scalar(2.0 * w);
        let exact = (sigmoid_scalar(a) - 1.0) * a * (1.0 - a) * 2.0;
        assert!((num[0] - exact).abs() < 1e-8);
    }

    #[test]
    fn entries_locate_unrolled_positions() {
        let r = check_nn_gradients(&nn_cost_function, 0.0).unwrap();
        let e = r.entries();
        // Unrolled order: Theta1 column 0 rows 0..5, then column 1..., then Theta2 (5x4 = 20 first).
        assert_eq!((e[0].layer, e[0].row, e[0].col), (1, 0, 0));
        assert_eq!((e[4].layer, e[4].row, e[4].col), (1, 4, 0));
        assert_eq!((e[5].layer, e[5].row, e[5].col), (1, 0, 1));
        assert_eq!((e[20].layer, e[20].row, e[20].col), (2, 0, 0));
        assert_eq!((e[37].layer, e[37].row, e[37].col), (2, 2, 5));
        assert!(check_nn_gradients(&nn_cost_function, -1.0).is_err());
    }
}
