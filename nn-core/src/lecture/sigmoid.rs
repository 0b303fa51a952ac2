//! The sigmoid activation and its gradient.
//!
//! $g(z) = \frac{1}{1 + e^{-z}}$ and $g'(z) = g(z)\,(1 - g(z))$.
//!
//! Both work on a scalar or on a whole array, like the course's `sigmoid.m`. On an array,
//! `e^-z` comes from [`elementwise::exp`](super::elementwise::exp), which the compiler
//! runs 4 or 8 numbers at a time (the standard library's `exp` does one).
//!
//! ```
//! use nn_core::{sigmoid, sigmoid_gradient};
//! use ndarray::array;
//! assert_eq!(sigmoid(0.0), 0.5);
//! let g = sigmoid_gradient(&array![-1.0, -0.5, 0.0, 0.5, 1.0]);
//! assert!((g[2] - 0.25).abs() < 1e-15);
//! ```

use ndarray::{Array, ArrayBase, Data, Dimension};

use super::elementwise::{exp, map_in_place, softplus};

/// Something the sigmoid can be applied to: an `f64` or an ndarray of `f64`.
pub trait Activate {
    /// What comes out: `f64` for a scalar, an owned array for an array.
    type Output;
    /// Applies `f` to every element; `on_slice` does the same to a whole slice at once
    /// (the vectorized loop, compiled in this crate whatever the caller's build settings).
    fn map_elements(&self, f: fn(f64) -> f64, on_slice: fn(&mut [f64])) -> Self::Output;
}

impl Activate for f64 {
    type Output = f64;
    fn map_elements(&self, f: fn(f64) -> f64, _: fn(&mut [f64])) -> f64 {
        f(*self)
    }
}

impl<S: Data<Elem = f64>, D: Dimension> Activate for ArrayBase<S, D> {
    type Output = Array<f64, D>;
    fn map_elements(&self, f: fn(f64) -> f64, on_slice: fn(&mut [f64])) -> Array<f64, D> {
        let mut out = self.to_owned();
        match out.as_slice_memory_order_mut() {
            Some(values) => on_slice(values),
            None => out.mapv_inplace(f),
        }
        out
    }
}

impl<T: Activate + ?Sized> Activate for &T {
    type Output = T::Output;
    fn map_elements(&self, f: fn(f64) -> f64, on_slice: fn(&mut [f64])) -> T::Output {
        (**self).map_elements(f, on_slice)
    }
}

/// $g(z) = 1 / (1 + e^{-z})$ for one number.
#[inline]
fn sigmoid_scalar(z: f64) -> f64 {
    1.0 / (1.0 + exp(-z))
}

/// $g'(z) = g(z)(1 - g(z))$ for one number.
#[inline]
fn sigmoid_gradient_scalar(z: f64) -> f64 {
    let g = sigmoid_scalar(z);
    g * (1.0 - g)
}

/// The sigmoid, element-wise: `sigmoid(0.0) == 0.5`, `sigmoid(&z)` for an array.
pub fn sigmoid<T: Activate>(z: T) -> T::Output {
    z.map_elements(sigmoid_scalar, sigmoid_slice)
}

/// The sigmoid's derivative, element-wise: 0.25 at 0, symmetric, tends to 0 far out.
pub fn sigmoid_gradient<T: Activate>(z: T) -> T::Output {
    z.map_elements(sigmoid_gradient_scalar, sigmoid_gradient_slice)
}

/// The slice versions: one vectorized loop each, compiled here (not generic, so a caller's
/// build settings, e.g. a notebook's `:opt 0`, do not apply to them).
fn sigmoid_slice(z: &mut [f64]) {
    map_in_place(z, sigmoid_scalar)
}
fn sigmoid_gradient_slice(z: &mut [f64]) {
    map_in_place(z, sigmoid_gradient_scalar)
}
#[inline]
fn neg_log_sigmoid_scalar(z: f64) -> f64 {
    softplus(-z)
}
fn neg_log_sigmoid_slice(z: &mut [f64]) {
    map_in_place(z, neg_log_sigmoid_scalar)
}
fn softplus_slice(z: &mut [f64]) {
    map_in_place(z, softplus)
}

/// $-\log g(z)$ computed without overflow: $\log(1 + e^{-z})$ as a stable softplus,
/// element-wise like [`sigmoid`].
///
/// The naive `-(sigmoid(z)).ln()` gives `inf` once `sigmoid(z)` rounds to 0
/// (z below about -745); this stays finite and equals it wherever it is finite.
pub fn neg_log_sigmoid<T: Activate>(z: T) -> T::Output {
    z.map_elements(neg_log_sigmoid_scalar, neg_log_sigmoid_slice)
}

/// $-\log(1 - g(z))$ without overflow: $\log(1 + e^{z})$, element-wise.
///
/// The naive `-(1.0 - sigmoid(z)).ln()` is `inf` once `sigmoid(z)` rounds to 1 (z above ~37).
pub fn neg_log_one_minus_sigmoid<T: Activate>(z: T) -> T::Output {
    z.map_elements(softplus, softplus_slice)
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
    fn arrays_give_the_scalar_bits_contiguous_or_not() {
        let z = ndarray::Array2::from_shape_fn((7, 9), |(i, j)| (i as f64 - 3.0) * 7.3 + j as f64 * 0.37 - 1.0);
        let strided = z.slice(ndarray::s![.., ..;2]); // not contiguous (the result is a fresh array all the same)
                                                      // (the function on an array, the same function on one number)
        type Pair = (fn(&ndarray::Array2<f64>) -> ndarray::Array2<f64>, fn(f64) -> f64);
        let functions: [Pair; 4] = [
            (|z| sigmoid(z), |z| sigmoid(z)),
            (|z| sigmoid_gradient(z), |z| sigmoid_gradient(z)),
            (|z| neg_log_sigmoid(z), |z| neg_log_sigmoid(z)),
            (|z| neg_log_one_minus_sigmoid(z), |z| neg_log_one_minus_sigmoid(z)),
        ];
        for (on_array, on_number) in functions {
            let (whole, part) = (on_array(&z), on_array(&strided.to_owned()));
            assert!(whole.iter().zip(&z).all(|(g, &z)| g.to_bits() == on_number(z).to_bits()));
            assert!(part.iter().zip(&strided).all(|(g, &z)| g.to_bits() == on_number(z).to_bits()));
        }
        let g = sigmoid(&strided);
        assert!(g.iter().zip(&strided).all(|(g, &z)| g.to_bits() == sigmoid(z).to_bits()), "a strided view");
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
