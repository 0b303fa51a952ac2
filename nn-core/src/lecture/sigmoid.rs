//! The sigmoid activation and its gradient: the course's `sigmoid.m` and `sigmoidGradient.m`.
//!
//! $g(z) = \frac{1}{1 + e^{-z}}$ and $g'(z) = g(z)\,(1 - g(z))$.
//!
//! [`sigmoid`] and [`sigmoid_gradient`] work on a whole array (any shape), element by
//! element, like the course's `.m` files; [`sigmoid_scalar`] is the same for one number.
//!
//! ```
//! use nn_core::{sigmoid, sigmoid_gradient, sigmoid_scalar};
//! use ndarray::array;
//! assert_eq!(sigmoid_scalar(0.0), 0.5);
//! let g = sigmoid_gradient(&array![-1.0, -0.5, 0.0, 0.5, 1.0]);
//! assert!((g[2] - 0.25).abs() < 1e-15);
//! assert_eq!(sigmoid(&array![[0.0]]), array![[0.5]]);
//! ```

use ndarray::{Array, Dimension};

/// $g(z) = 1 / (1 + e^{-z})$ for one number.
pub fn sigmoid_scalar(z: f64) -> f64 {
    1.0 / (1.0 + (-z).exp())
}

/// The sigmoid of every element: `g = 1 ./ (1 + exp(-z))`.
pub fn sigmoid<D: Dimension>(z: &Array<f64, D>) -> Array<f64, D> {
    z.mapv(sigmoid_scalar)
}

/// The sigmoid's derivative, element-wise: `g = sigmoid(z) .* (1 - sigmoid(z))`.
/// 0.25 at 0, symmetric, tends to 0 far out.
pub fn sigmoid_gradient<D: Dimension>(z: &Array<f64, D>) -> Array<f64, D> {
    let g = sigmoid(z);
    &g * (1.0 - &g)
}

/// $-\log g(z)$, element-wise, computed as $\log(1 + e^{-z})$ so that it stays finite.
///
/// The naive `-(sigmoid(z)).ln()` gives `inf` once `sigmoid(z)` rounds to 0
/// (z below about -745); this equals it wherever that is finite.
pub fn neg_log_sigmoid<D: Dimension>(z: &Array<f64, D>) -> Array<f64, D> {
    z.mapv(|z| softplus(-z))
}

/// $-\log(1 - g(z))$, element-wise, computed as $\log(1 + e^{z})$.
///
/// The naive `-(1.0 - sigmoid(z)).ln()` is `inf` once `sigmoid(z)` rounds to 1 (z above ~37).
pub fn neg_log_one_minus_sigmoid<D: Dimension>(z: &Array<f64, D>) -> Array<f64, D> {
    z.mapv(softplus)
}

/// $\log(1 + e^x)$ for one number, never overflowing: $\max(x, 0) + \log(1 + e^{-|x|})$.
pub fn softplus(x: f64) -> f64 {
    x.max(0.0) + (-x.abs()).exp().ln_1p()
}

#[cfg(test)]
mod tests {
    use super::*;
    use ndarray::array;

    #[test]
    fn sigmoid_gradient_matches_course_values() {
        // ex4.m prints these for sigmoidGradient([-1 -0.5 0 0.5 1]).
        let g = sigmoid_gradient(&array![-1.0, -0.5, 0.0, 0.5, 1.0]);
        let expected = [0.196612, 0.235004, 0.25, 0.235004, 0.196612];
        for (got, want) in g.iter().zip(expected) {
            assert!((got - want).abs() < 5e-7, "{got} vs {want}");
        }
    }

    #[test]
    fn sigmoid_hand_values() {
        assert_eq!(sigmoid_scalar(0.0), 0.5);
        // 1/(1+e^-1) = 0.7310585786300049
        assert!((sigmoid_scalar(1.0) - 0.731_058_578_630_004_9).abs() < 1e-15);
        assert!(sigmoid_scalar(-800.0) == 0.0 && sigmoid_scalar(800.0) == 1.0);
        let m = sigmoid(&array![[0.0, 1.0], [-1.0, 2.0]]);
        assert_eq!(m.shape(), &[2, 2]);
        assert!((m[[1, 0]] + m[[0, 1]] - 1.0).abs() < 1e-15, "g(-z) = 1 - g(z)");
    }

    #[test]
    fn arrays_apply_the_scalar_function_to_every_element() {
        let z = ndarray::Array2::from_shape_fn((7, 9), |(i, j)| (i as f64 - 3.0) * 7.3 + j as f64 * 0.37 - 1.0);
        let same = |a: &ndarray::Array2<f64>, f: &dyn Fn(f64) -> f64| a.iter().zip(&z).all(|(g, &z)| g == &f(z));
        assert!(same(&sigmoid(&z), &sigmoid_scalar));
        assert!(same(&sigmoid_gradient(&z), &|z| sigmoid_scalar(z) * (1.0 - sigmoid_scalar(z))));
        assert!(same(&neg_log_sigmoid(&z), &|z| softplus(-z)));
        assert!(same(&neg_log_one_minus_sigmoid(&z), &softplus));
        assert_eq!(sigmoid(&z.t().to_owned()), sigmoid(&z).t(), "a transposed (column-major) array");
    }

    #[test]
    fn sigmoid_gradient_is_derivative() {
        for z in [-3.0, -0.7, 0.0, 0.4, 2.5] {
            let h = 1e-5;
            let num = (sigmoid_scalar(z + h) - sigmoid_scalar(z - h)) / (2.0 * h);
            assert!((num - sigmoid_gradient(&array![z])[0]).abs() < 1e-10);
        }
    }

    #[test]
    fn stable_logs_match_naive_where_finite_and_stay_finite() {
        for z in [-30.0, -5.0, -0.3, 0.0, 0.3, 5.0, 30.0] {
            let naive1 = -sigmoid_scalar(z).ln();
            let naive0 = -(1.0 - sigmoid_scalar(z)).ln();
            assert!((neg_log_sigmoid(&array![z])[0] - naive1).abs() < 1e-12 * naive1.abs().max(1.0));
            if z <= 5.0 {
                assert!((neg_log_one_minus_sigmoid(&array![z])[0] - naive0).abs() < 1e-12 * naive0.abs().max(1.0));
            }
        }
        // Saturated: the naive form is infinite, the stable one is ~|z|.
        assert!((-(1.0 - sigmoid_scalar(40.0)).ln()).is_infinite());
        assert!((softplus(40.0) - 40.0).abs() < 1e-12);
        assert!((softplus(800.0) - 800.0).abs() < 1e-9);
        assert!(softplus(f64::NAN).is_nan());
        assert_eq!(softplus(f64::NEG_INFINITY), 0.0);
    }

    #[test]
    fn softplus_hand_values() {
        assert_eq!(softplus(0.0), std::f64::consts::LN_2);
        // log(1 + e^x) - log(1 + e^-x) = x, for every x.
        for x in [1e-9, 0.3, 1.0, 7.5, 30.0, 700.0] {
            assert!((softplus(x) - softplus(-x) - x).abs() <= 4.0 * f64::EPSILON * x.max(1.0), "x = {x}");
        }
        // Far left, log(1 + e^x) = e^x to within e^2x, which the naive form loses to rounding.
        assert!((softplus(-40.0) / (-40.0f64).exp() - 1.0).abs() < 1e-15);
        assert_eq!((1.0 + (-40.0f64).exp()).ln(), 0.0, "the naive form");
    }
}
