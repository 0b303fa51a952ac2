//! The problems the student's functions are run on, with the library's answers.

use ndarray::{array, Array1, Array2};
use ndarray_rand::rand_distr::Uniform;
use ndarray_rand::RandomExt;
use nn_core::{debug_initialize_weights, seeded_rng};

use crate::explain::Context;

/// One problem for `nn_cost_function`: the Thetas, X, y, and the lambda of the
/// regularized parts.
#[derive(Clone, Debug)]
pub struct Case {
    /// In words, for the feedback: "the course's 3-5-3 debug network (m = 5)".
    pub name: String,
    /// Theta1: s2 x (n + 1).
    pub theta1: Array2<f64>,
    /// Theta2: K x (s2 + 1).
    pub theta2: Array2<f64>,
    /// X: m x n.
    pub x: Array2<f64>,
    /// Labels in 1..=K.
    pub y: Array1<usize>,
    /// lambda for the regularized parts.
    pub lambda: f64,
}

impl Case {
    /// The shapes, for explaining a panic.
    pub fn context(&self) -> Context {
        Context::Cost { theta1: self.theta1.dim(), theta2: self.theta2.dim(), m: self.x.nrows() }
    }

    /// The library's `(J, Theta1_grad, Theta2_grad)` at this lambda.
    pub fn reference(&self, lambda: f64) -> (f64, Array2<f64>, Array2<f64>) {
        nn_core::nn_cost_function(&self.theta1, &self.theta2, &self.x, &self.y, lambda)
            .expect("the grader's own problems are valid")
    }
}

fn random_case(sizes: [usize; 3], m: usize, lambda: f64, seed: u64) -> Case {
    let mut rng = seeded_rng(seed);
    let unit = Uniform::new_inclusive(-1.0, 1.0).expect("finite bounds");
    let theta1 = Array2::random_using((sizes[1], sizes[0] + 1), unit, &mut rng);
    let theta2 = Array2::random_using((sizes[2], sizes[1] + 1), unit, &mut rng);
    let x = Array2::random_using((m, sizes[0]), unit, &mut rng);
    let k = sizes[2];
    let labels = Uniform::new_inclusive(1usize, k).expect("k >= 1");
    let mut y = Array1::random_using(m, labels, &mut rng);
    y[0] = k; // the last label (10: the digit 0) is always among them
    y[m - 1] = 1;
    Case {
        name: format!("a random {}-{}-{} network (m = {m})", sizes[0], sizes[1], sizes[2]),
        theta1,
        theta2,
        x,
        y,
        lambda,
    }
}

/// The course's 3-5-3 debug problem (checkNNGradients, lambda = 3) and two seeded random
/// networks, one with 10 labels like the digits.
pub fn cost_cases() -> Vec<Case> {
    cost_cases_seeded(2024, 7)
}

/// [`cost_cases`] with the two random networks drawn from other seeds (the class grader
/// draws them at run time, so that no answer can be computed in advance).
pub fn cost_cases_seeded(seed_a: u64, seed_b: u64) -> Vec<Case> {
    let (sizes, m) = ([3, 5, 3], 5);
    let debug = Case {
        name: "the course's 3-5-3 debug network (m = 5)".into(),
        theta1: debug_initialize_weights(sizes[1], sizes[0]),
        theta2: debug_initialize_weights(sizes[2], sizes[1]),
        x: debug_initialize_weights(m, sizes[0] - 1),
        y: (1..=m).map(|i| 1 + i % sizes[2]).collect(),
        lambda: 3.0,
    };
    vec![debug, random_case([4, 6, 4], 9, 1.0, seed_a), random_case([5, 7, 10], 12, 0.5, seed_b)]
}

/// The inputs of `sigmoid_gradient`: the course's `[-1 -0.5 0 0.5 1]`, a 3x4 matrix, and a
/// square one (where a matrix product would not panic).
pub fn sigmoid_gradient_cases() -> Vec<Array2<f64>> {
    sigmoid_gradient_cases_seeded(None)
}

/// [`sigmoid_gradient_cases`], and with a seed one more: a random 4x3 matrix in [-8, 8].
pub fn sigmoid_gradient_cases_seeded(seed: Option<u64>) -> Vec<Array2<f64>> {
    let mut cases = fixed_sigmoid_gradient_cases();
    if let Some(seed) = seed {
        let unit = Uniform::new_inclusive(-8.0, 8.0).expect("finite bounds");
        cases.push(Array2::random_using((4, 3), unit, &mut seeded_rng(seed)));
    }
    cases
}

fn fixed_sigmoid_gradient_cases() -> Vec<Array2<f64>> {
    vec![
        array![[-1.0, -0.5, 0.0, 0.5, 1.0]],
        Array2::from_shape_fn((3, 4), |(r, c)| -6.0 + 1.1 * (4 * r + c) as f64),
        array![[0.0, 2.0], [-3.0, 10.0]],
    ]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_debug_case_is_the_courses() {
        let cases = cost_cases();
        let net = nn_core::Network::debug(&[3, 5, 3]).unwrap();
        assert_eq!(&cases[0].theta1, net.theta1());
        assert_eq!(&cases[0].theta2, net.theta2());
        assert_eq!(cases[0].y, array![2, 3, 1, 2, 3]);
        for case in &cases {
            assert!(case.y.iter().any(|&l| l == case.theta2.nrows()), "{}: the last label is in y", case.name);
            let (j, _, _) = case.reference(case.lambda);
            assert!(j.is_finite());
        }
    }
}
