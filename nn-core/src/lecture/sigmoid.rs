//! The sigmoid activation and its gradient.
//!
//! $g(z) = \frac{1}{1 + e^{-z}}$ and $g'(z) = g(z)\,(1 - g(z))$.
//!
//! Both work on a scalar or on a whole array, like the course's `sigmoid.m`:
//!
//! ```
//! use nn_core::{sigmoid, sigmoid_gradient};
//! use ndarray::array;
//! assert_eq!(sigmoid(0.0), 0.5);
//! let g = sigmoid_gradient(&array![-1.0, -0.5, 0.0, 0.5, 1.0]);
//! assert!((g[2] - 0.25).abs() < 1e-15);
//! ```

use ndarray::{Array, ArrayBase, Data, Dimension};

/// Something the sigmoid can be applied to: an `f64` or an ndarray of `f64`.
pub trait Activate {
    /// What comes out: `f64` for a scalar, an owned array for an array.
    type Output;
    /// Applies `f` to every element.
    fn map_elements(&self, f: fn(f64) -> f64) -> Self::Output;
}

impl Activate for f64 {
    type Output = f64;
    fn map_elements(&self, f: fn(f64) -> f64) -> f64 {
        f(*self)
    }
}

impl<S: Data<Elem = f64>, D: Dimension> Activate for ArrayBase<S, D> {
    type Output = Array<f64, D>;
    fn map_elements(&self, f: fn(f64) -> f64) -> Array<f64, D> {
        self.mapv(f)
    }
}

impl<T: Activate + ?Sized> Activate for &T {
    type Output = T::Output;
    fn map_elements(&self, f: fn(f64) -> f64) -> T::Output {
        (**self).map_elements(f)
    }
}

/// $g(z) = 1 / (1 + e^{-z})$ for one number.
#[inline]
fn sigmoid_scalar(z: f64) -> f64 {
    1.0 / (1.0 + (-z).exp())
}

/// $g'(z) = g(z)(1 - g(z))$ for one number.
#[inline]
fn sigmoid_gradient_scalar(z: f64) -> f64 {
    let g = sigmoid_scalar(z);
    g * (1.0 - g)
}

/// The sigmoid, element-wise: `sigmoid(0.0) == 0.5`, `sigmoid(&z)` for an array.
pub fn sigmoid<T: Activate>(z: T) -> T::Output {
    z.map_elements(sigmoid_scalar)
}

/// The sigmoid's derivative, element-wise: 0.25 at 0, symmetric, tends to 0 far out.
pub fn sigmoid_gradient<T: Activate>(z: T) -> T::Output {
    z.map_elements(sigmoid_gradient_scalar)
}

/// $-\log g(z)$ computed without overflow: $\log(1 + e^{-z})$ as a stable softplus.
///
/// The naive `-(sigmoid(z)).ln()` gives `inf` once `sigmoid(z)` rounds to 0
/// (z below about -745); this stays finite and equals it wherever it is finite.
#[inline]
pub fn neg_log_sigmoid(z: f64) -> f64 {
    softplus(-z)
}

/// $-\log(1 - g(z))$ without overflow: $\log(1 + e^{z})$.
///
/// The naive `-(1.0 - sigmoid(z)).ln()` is `inf` once `sigmoid(z)` rounds to 1 (z above ~37).
#[inline]
pub fn neg_log_one_minus_sigmoid(z: f64) -> f64 {
    softplus(z)
}

/// $\log(1 + e^{x})$, stable for any finite x.
#[inline]
fn softplus(x: f64) -> f64 {
    if x > 0.0 {
        x + (-x).exp().ln_1p()
    } else {
        x.exp().ln_1p()
    }
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
        assert_eq!(sigmoid(0.0), 0.5);
        // 1/(1+e^-1) = 0.7310585786300049
        assert!((sigmoid(1.0) - 0.731_058_578_630_004_9).abs() < 1e-15);
        assert!(sigmoid(-800.0) == 0.0 && sigmoid(800.0) == 1.0);
        let m = sigmoid(&array![[0.0, 1.0], [-1.0, 2.0]]);
        assert_eq!(m.shape(), &[2, 2]);
        assert!((m[[1, 0]] + m[[0, 1]] - 1.0).abs() < 1e-15, "g(-z) = 1 - g(z)");
    }

    #[test]
    fn sigmoid_gradient_is_derivative() {
        for z in [-3.0, -0.7, 0.0, 0.4, 2.5] {
            let h = 1e-5;
            let num = (sigmoid(z + h) - sigmoid(z - h)) / (2.0 * h);
            assert!((num - sigmoid_gradient(z)).abs() < 1e-10);
        }
    }

    #[test]
    fn stable_logs_match_naive_where_finite_and_stay_finite() {
        for z in [-30.0, -5.0, -0.3, 0.0, 0.3, 5.0, 30.0] {
            let naive1 = -sigmoid(z).ln();
            let naive0 = -(1.0 - sigmoid(z)).ln();
            assert!((neg_log_sigmoid(z) - naive1).abs() < 1e-12 * naive1.abs().max(1.0));
            if z <= 5.0 {
                assert!((neg_log_one_minus_sigmoid(z) - naive0).abs() < 1e-12 * naive0.abs().max(1.0));
            }
        }
        // Saturated: the naive form is infinite, the stable one is ~|z|.
        assert!((-(1.0 - sigmoid(40.0)).ln()).is_infinite());
        assert!((neg_log_one_minus_sigmoid(40.0) - 40.0).abs() < 1e-12);
        assert!((neg_log_sigmoid(-800.0) - 800.0).abs() < 1e-9);
    }
}
