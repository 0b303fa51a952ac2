//! The shapes of the functions a student writes (the cost's is nn-core's
//! [`TwoLayerCost`](nn_core::lecture::cost::TwoLayerCost)), as the grader calls them.

use ndarray::Array2;
use ndarray_rand::rand::rngs::StdRng;

/// What `nn_cost_function` computes: `(J, Theta1_grad, Theta2_grad)`.
pub type CostValue = (f64, Array2<f64>, Array2<f64>);
/// The student's `sigmoid_gradient`.
pub type SigmoidGradientFn<'a> = dyn Fn(&Array2<f64>) -> Array2<f64> + 'a;
/// The student's `rand_initialize_weights`.
pub type RandInitFn<'a> = dyn Fn(usize, usize, f64, &mut StdRng) -> Array2<f64> + 'a;
