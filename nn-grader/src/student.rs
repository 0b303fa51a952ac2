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

/// The functions a student writes, in the notebook's order, with their signatures as the
/// class grader writes them into a stub when a cell is missing, refused or does not compile.
pub const FUNCTIONS: [(&str, &str); 3] = [
    ("sigmoid_gradient", "fn sigmoid_gradient(z: &Array2<f64>) -> Array2<f64>"),
    (
        "rand_initialize_weights",
        "fn rand_initialize_weights(l_in: usize, l_out: usize, epsilon: f64, rng: &mut StdRng) -> Array2<f64>",
    ),
    (
        "nn_cost_function",
        "fn nn_cost_function(theta1: &Array2<f64>, theta2: &Array2<f64>, x: &Array2<f64>, y: &Array1<usize>, \
         lambda: f64) -> nn_core::Result<(f64, Array2<f64>, Array2<f64>)>",
    ),
];
