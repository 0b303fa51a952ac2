//! The exercise's natural solution (tests/notebooks/solutions/ex4-natural.rs: written from
//! the handout, its cost calls `sigmoid_gradient`) scores 100 / 100 outside a notebook too.
//! In the notebook: tests/notebooks/expect/exercises.json ("natural") and
//! tests/test_nbgrader_autograde.py.

use nn_grader::prelude::*;

include!("../../tests/notebooks/solutions/ex4-natural.rs");

#[test]
fn the_natural_solution_scores_100() {
    let report = nn_grader::grade(&sigmoid_gradient, &rand_initialize_weights, &nn_cost_function);
    let t = report.to_string();
    assert_eq!(report.total(), 100, "{t}");
    assert!(report.init.as_ref().unwrap().passed, "{t}");
    assert!(nn_grader::check_student_gradients(&nn_cost_function, 3.0).passed());
    // Its own error for a y of the wrong length, not a panic.
    let (t1, t2) = (Array2::zeros((2, 3)), Array2::zeros((2, 3)));
    let err = nn_cost_function(&t1, &t2, &Array2::zeros((4, 2)), &array![1, 2], 0.0).unwrap_err();
    assert!(err.to_string().contains("y"), "{err}");
}
