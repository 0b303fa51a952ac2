//! # nn-grader — the offline grader of the exercise notebook
//!
//! A student writes three functions with the course's signatures (`nn_cost_function`
//! has exactly the library's, [`nn_core::nn_cost_function`], so the two are
//! interchangeable):
//!
//! ```text
//! fn sigmoid_gradient(z: &Array2<f64>) -> Array2<f64>
//! fn rand_initialize_weights(l_in: usize, l_out: usize, epsilon: f64, rng: &mut StdRng) -> Array2<f64>
//! fn nn_cost_function(theta1: &Array2<f64>, theta2: &Array2<f64>, x: &Array2<f64>,
//!                     y: &Array1<usize>, lambda: f64) -> nn_core::Result<(f64, Array2<f64>, Array2<f64>)>
//! ```
//!
//! and [`grade`] checks them against the library on the course's 3-5-3 debug network and
//! on two seeded random networks, part by part, with the course's points:
//!
//! | part | points |
//! | --- | --- |
//! | Feedforward and cost | 30 |
//! | Regularized cost | 15 |
//! | Sigmoid gradient | 5 |
//! | Backpropagation | 40 |
//! | Regularized gradient | 10 |
//!
//! `rand_initialize_weights` is checked and reported, but not scored (the course's table
//! has no line for it).
//!
//! **The grader survives any student function.** Each part's calls run in a child
//! process ([`isolate`]) with a time limit (5 s) and a memory limit (2 GiB), both
//! adjustable ([`GradeOptions`]). A part whose code panics, returns an `Err`, loops,
//! recurses without end, exhausts memory or exits the process scores 0 with the reason
//! — "not implemented yet (todo!())", "timed out after 5 s in nn_cost_function", "ran
//! out of memory", "stack overflow (endless recursion?)" — and the other parts are
//! graded as usual. Nothing reaches stderr, and the notebook's kernel goes on.
//!
//! Where a wrong answer matches one of the [classic mistakes](mistakes::Mistake) on the
//! same inputs, the feedback names it.
//!
//! | module | what |
//! | --- | --- |
//! | [`part`] | the course's five parts and their points |
//! | [`report`] | a part's result, the whole grade, the table |
//! | [`cases`] | the problems the student's functions run on |
//! | [`scoring`] | scoring each part against the library, trying the classic mistakes |
//! | [`mistakes`] | the catalogue of classic mistakes, one table |
//! | [`explain`] | a panic message turned into advice |
//! | [`isolate`] | running student code in a child process, with limits |
//! | [`outcome`] | what a run of student code gives back: each call's value, or why there is none |
//! | [`wire`] | the bytes a result crosses back from the child in |
//! | [`class`] | grading a whole class (`make grade`): report JSON, the class chart |
//! | [`board`] | on the class server: each grading cell's event for the teacher's lab board |
//!
//! ```
//! use nn_grader::prelude::*;
//! fn sigmoid_gradient(z: &Array2<f64>) -> Array2<f64> {
//!     let g = sigmoid(z);
//!     &g * &(1.0 - &g)
//! }
//! fn rand_initialize_weights(l_in: usize, l_out: usize, epsilon: f64, rng: &mut StdRng) -> Array2<f64> {
//!     Array2::from_shape_fn((l_out, 1 + l_in), |_| rng.random_range(-epsilon..=epsilon))
//! }
//! fn nn_cost_function(_t1: &Array2<f64>, _t2: &Array2<f64>, _x: &Array2<f64>, _y: &Array1<usize>,
//!                     _lambda: f64) -> nn_core::Result<(f64, Array2<f64>, Array2<f64>)> {
//!     todo!()
//! }
//! let report = nn_grader::grade(&sigmoid_gradient, &rand_initialize_weights, &nn_cost_function);
//! println!("{report}"); // the course's table, then `Total: 5 / 100`
//! assert_eq!(report.total(), 5);
//! assert_eq!(report.part(nn_grader::Part::Backpropagation).unwrap().message, "not implemented yet (todo!())");
//! // The library's own function is a student's function too.
//! assert_eq!(nn_grader::grade(&sigmoid_gradient, &rand_initialize_weights, &nn_core::nn_cost_function).total(), 100);
//! ```

use std::time::Duration;

pub mod board;
pub mod cases;
pub mod class;
mod compiled;
pub mod explain;
pub mod isolate;
pub mod mistakes;
mod notebook;
pub mod outcome;
pub mod part;
pub mod report;
pub mod scoring;
mod student;
pub mod wire;

pub use compiled::graded_as_compiled;
pub use isolate::Limits;
pub use mistakes::Mistake;
pub use nn_core::lecture::cost::TwoLayerCost;
pub use notebook::{
    attempt, attempt_result, cost_at_weights, train_with, train_with_limits, StudentGradCheck, TRAIN_LIMITS,
};
pub use outcome::Failure;
pub use report::{GradeReport, InitCheck, Part, PartResult};
pub use student::{CostValue, RandInitFn, SigmoidGradientFn};

use scoring::CostRuns;

/// What an exercise notebook needs in one `use nn_grader::prelude::*;`: the arrays,
/// `sigmoid`, the random generator and its tools.
///
/// It has none of the three functions the student writes, so their definitions never
/// clash with an import.
pub mod prelude {
    pub use ndarray::{array, concatenate, s, Array1, Array2, Axis};
    pub use ndarray_rand::rand::rngs::StdRng;
    pub use ndarray_rand::rand::Rng;
    pub use ndarray_rand::rand_distr::Uniform;
    pub use ndarray_rand::RandomExt;
    pub use nn_core::{seeded_rng, sigmoid};
}

/// How student code is run: its time and memory limits.
///
/// ```
/// use std::time::Duration;
/// let strict = nn_grader::GradeOptions { time_limit: Duration::from_secs(1), ..Default::default() };
/// let slow = |_: &ndarray::Array2<f64>| -> ndarray::Array2<f64> { loop { std::hint::spin_loop() } };
/// # #[cfg(all(target_os = "linux", not(nn_grader_in_process)))] { // (no time limit without fork)
/// let result = strict.grade_sigmoid_gradient(&slow);
/// assert_eq!(result.message, "timed out after 1 s in sigmoid_gradient");
/// # }
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct GradeOptions {
    /// Wall-clock time for one part's calls (5 s by default).
    pub time_limit: Duration,
    /// How much memory one part's calls may take, in bytes (2 GiB by default).
    pub memory_limit: u64,
}

impl Default for GradeOptions {
    fn default() -> Self {
        let limits = Limits::default();
        GradeOptions { time_limit: limits.time, memory_limit: limits.memory }
    }
}

impl GradeOptions {
    fn limits(&self) -> Limits {
        Limits { time: self.time_limit, memory: self.memory_limit }
    }

    /// The whole grade: the course's table of five parts and the check of the initialization.
    pub fn grade(
        &self,
        sigmoid_gradient: &SigmoidGradientFn<'_>,
        rand_initialize_weights: &RandInitFn<'_>,
        nn_cost_function: &TwoLayerCost<'_>,
    ) -> GradeReport {
        let mut cost = self.cost_parts(nn_cost_function).into_iter();
        let mut parts = Vec::with_capacity(5);
        parts.extend(cost.by_ref().take(2));
        parts.push(scoring::grade_sigmoid_gradient(sigmoid_gradient, &self.limits()));
        parts.extend(cost);
        board::send(&parts);
        GradeReport { parts, init: Some(self.check_rand_initialize_weights(rand_initialize_weights)) }
    }

    /// The four parts of `nn_cost_function`, in the table's order (each case is run once
    /// at lambda = 0 and once at its lambda > 0).
    pub fn grade_cost_function(&self, nn_cost_function: &TwoLayerCost<'_>) -> Vec<PartResult> {
        let parts = self.cost_parts(nn_cost_function);
        board::send(&parts);
        parts
    }

    fn cost_parts(&self, nn_cost_function: &TwoLayerCost<'_>) -> Vec<PartResult> {
        let runs = CostRuns::new(nn_cost_function, &self.limits(), true, true);
        vec![
            scoring::grade_cost_part(Part::FeedforwardCost, &runs),
            scoring::grade_cost_part(Part::RegularizedCost, &runs),
            scoring::grade_gradient_part(Part::Backpropagation, &runs),
            scoring::grade_gradient_part(Part::RegularizedGradient, &runs),
        ]
    }

    /// "Feedforward and cost" (30): J at lambda = 0.
    pub fn grade_feedforward_cost(&self, nn_cost_function: &TwoLayerCost<'_>) -> PartResult {
        sent(scoring::grade_cost_part(
            Part::FeedforwardCost,
            &CostRuns::new(nn_cost_function, &self.limits(), true, false),
        ))
    }

    /// The runs at lambda > 0 and, when those gave answers, at lambda = 0 (for hints).
    fn regularized_runs(&self, nn_cost_function: &TwoLayerCost<'_>) -> CostRuns {
        let mut runs = CostRuns::new(nn_cost_function, &self.limits(), false, true);
        if runs.regularized.is_ok() {
            runs.lambda0 = scoring::run_cost(nn_cost_function, &runs.cases, false, &self.limits());
        }
        runs
    }

    /// "Regularized cost" (15): J at lambda > 0.
    pub fn grade_regularized_cost(&self, nn_cost_function: &TwoLayerCost<'_>) -> PartResult {
        sent(scoring::grade_cost_part(Part::RegularizedCost, &self.regularized_runs(nn_cost_function)))
    }

    /// "Backpropagation" (40): both gradients at lambda = 0.
    pub fn grade_backpropagation(&self, nn_cost_function: &TwoLayerCost<'_>) -> PartResult {
        sent(scoring::grade_gradient_part(
            Part::Backpropagation,
            &CostRuns::new(nn_cost_function, &self.limits(), true, false),
        ))
    }

    /// "Regularized gradient" (10): both gradients at lambda > 0.
    pub fn grade_regularized_gradient(&self, nn_cost_function: &TwoLayerCost<'_>) -> PartResult {
        sent(scoring::grade_gradient_part(Part::RegularizedGradient, &self.regularized_runs(nn_cost_function)))
    }

    /// "Sigmoid gradient" (5).
    pub fn grade_sigmoid_gradient(&self, sigmoid_gradient: &SigmoidGradientFn<'_>) -> PartResult {
        sent(scoring::grade_sigmoid_gradient(sigmoid_gradient, &self.limits()))
    }

    /// The unscored check of `rand_initialize_weights`.
    pub fn check_rand_initialize_weights(&self, rand_initialize_weights: &RandInitFn<'_>) -> InitCheck {
        scoring::check_rand_initialize_weights(rand_initialize_weights, &self.limits())
    }

    /// The course's gradient check (`checkNNGradients(lambda)`) of the student's function.
    pub fn check_gradients(&self, nn_cost_function: &TwoLayerCost<'_>, lambda: f64) -> StudentGradCheck {
        notebook::check_student_gradients(nn_cost_function, lambda, &self.limits())
    }
}

/// A part's result, after its event went to the lab board (on the class server; [`board`]).
fn sent(part: PartResult) -> PartResult {
    board::send(std::slice::from_ref(&part));
    part
}

/// The whole grade with the default limits: the course's table and the check of the
/// initialization. See [`GradeOptions::grade`].
pub fn grade(
    sigmoid_gradient: &SigmoidGradientFn<'_>,
    rand_initialize_weights: &RandInitFn<'_>,
    nn_cost_function: &TwoLayerCost<'_>,
) -> GradeReport {
    GradeOptions::default().grade(sigmoid_gradient, rand_initialize_weights, nn_cost_function)
}

/// The four parts of `nn_cost_function`, default limits.
pub fn grade_cost_function(nn_cost_function: &TwoLayerCost<'_>) -> Vec<PartResult> {
    GradeOptions::default().grade_cost_function(nn_cost_function)
}

/// Part "Feedforward and cost" (30), default limits.
pub fn grade_feedforward_cost(nn_cost_function: &TwoLayerCost<'_>) -> PartResult {
    GradeOptions::default().grade_feedforward_cost(nn_cost_function)
}

/// Part "Regularized cost" (15), default limits.
pub fn grade_regularized_cost(nn_cost_function: &TwoLayerCost<'_>) -> PartResult {
    GradeOptions::default().grade_regularized_cost(nn_cost_function)
}

/// Part "Sigmoid gradient" (5), default limits.
pub fn grade_sigmoid_gradient(sigmoid_gradient: &SigmoidGradientFn<'_>) -> PartResult {
    GradeOptions::default().grade_sigmoid_gradient(sigmoid_gradient)
}

/// Part "Backpropagation" (40), default limits.
pub fn grade_backpropagation(nn_cost_function: &TwoLayerCost<'_>) -> PartResult {
    GradeOptions::default().grade_backpropagation(nn_cost_function)
}

/// Part "Regularized gradient" (10), default limits.
pub fn grade_regularized_gradient(nn_cost_function: &TwoLayerCost<'_>) -> PartResult {
    GradeOptions::default().grade_regularized_gradient(nn_cost_function)
}

/// The unscored check of `rand_initialize_weights`, default limits.
pub fn check_rand_initialize_weights(rand_initialize_weights: &RandInitFn<'_>) -> InitCheck {
    GradeOptions::default().check_rand_initialize_weights(rand_initialize_weights)
}

/// The course's `checkNNGradients(lambda)` on the student's `nn_cost_function`, default limits.
pub fn check_student_gradients(nn_cost_function: &TwoLayerCost<'_>, lambda: f64) -> StudentGradCheck {
    GradeOptions::default().check_gradients(nn_cost_function, lambda)
}
