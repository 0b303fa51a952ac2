//! A per-example loop (the handout's steps 1-5, `for t in 0..m`), as the exercise's hint
//! lays it out, scores full points: the grader does not require the vectorized form.

use nn_grader::prelude::*;

include!("../../tests/notebooks/solutions/ex4-loop.rs");

#[test]
fn a_loop_over_the_examples_scores_100() {
    let report = nn_grader::grade(&sigmoid_gradient, &rand_initialize_weights, &nn_cost_function);
    assert_eq!(report.total(), 100, "{report}");
    assert!(nn_grader::check_student_gradients(&nn_cost_function, 0.0).passed());
    assert!(nn_grader::check_student_gradients(&nn_cost_function, 3.0).passed());
    // The same numbers as the library's vectorized function, on the bundled digits.
    let data = nn_core::bundled::digits().unwrap().first_per_label(20).unwrap();
    let net = nn_core::bundled::weights().unwrap();
    let (j, g1, g2) = nn_cost_function(net.theta1(), net.theta2(), data.x(), data.y(), 1.0).unwrap();
    let (jr, r1, r2) = nn_core::nn_cost_function(net.theta1(), net.theta2(), data.x(), data.y(), 1.0).unwrap();
    assert!((j - jr).abs() < 1e-12, "{j} vs {jr}");
    let worst = (&g1 - &r1).iter().chain((&g2 - &r2).iter()).fold(0.0f64, |m, v| m.max(v.abs()));
    assert!(worst < 1e-12, "{worst}");
}
