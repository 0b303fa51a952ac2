//! The grader on right, wrong and unfinished functions: scores, messages, named mistakes.

use std::panic;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Mutex, MutexGuard, PoisonError};

use nn_core::{Dataset, Network};
use nn_grader::prelude::*;
use nn_grader::{GradeOptions, Mistake, Part, PartResult, StudentGradCheck};

// The reference solutions of the exercise notebook, exactly as the notebook test
// substitutes them into the solution slots.
include!("../../tests/notebooks/solutions/ex4.rs");

/// Tests that touch the panic hook (in this process) take turns.
static SERIAL: Mutex<()> = Mutex::new(());
fn serial() -> MutexGuard<'static, ()> {
    SERIAL.lock().unwrap_or_else(PoisonError::into_inner)
}

type CostValue = nn_core::Result<(f64, Array2<f64>, Array2<f64>)>;

fn stub_cost(_: &Array2<f64>, _: &Array2<f64>, _: &Array2<f64>, _: &Array1<usize>, _: f64) -> CostValue {
    todo!("nn_cost_function")
}
fn stub_sg(_: &Array2<f64>) -> Array2<f64> {
    todo!()
}
fn stub_init(_: usize, _: usize, _: f64, _: &mut StdRng) -> Array2<f64> {
    todo!()
}

fn text(parts: &[PartResult]) -> String {
    parts.iter().map(|p| format!("{p}\n")).collect()
}

#[test]
fn reference_solutions_score_100() {
    let _s = serial();
    let report = nn_grader::grade(&sigmoid_gradient, &rand_initialize_weights, &nn_cost_function);
    let t = report.to_string();
    assert_eq!(report.total(), 100, "{t}");
    assert_eq!(report.max_total(), 100);
    assert!(report.init.as_ref().unwrap().passed, "{t}");
    assert!(t.ends_with("Total: 100 / 100"), "{t}");
    assert!(report.parts.iter().all(|p| p.message == "Nice work!"));
    assert!(nn_grader::check_student_gradients(&nn_cost_function, 3.0).passed());
    // The library's functions are students' functions too: no adapter.
    for f in [nn_core::nn_cost_function, nn_core::lecture::cost::nn_cost_function_loop] {
        let parts = nn_grader::grade_cost_function(&f);
        assert!(parts.iter().all(PartResult::passed), "{}", text(&parts));
    }
    assert!(nn_grader::check_rand_initialize_weights(&nn_core::rand_initialize_weights).passed);
    assert!(nn_grader::grade_sigmoid_gradient(&|z: &Array2<f64>| nn_core::sigmoid_gradient(z)).passed());
}

#[test]
fn stubs_score_0_without_panicking_or_printing() {
    let _s = serial();
    let report = nn_grader::grade(&stub_sg, &stub_init, &stub_cost);
    let t = report.to_string();
    assert_eq!(report.total(), 0, "{t}");
    assert!(t.ends_with("Total: 0 / 100"), "{t}");
    for p in &report.parts {
        assert_eq!(p.message, "not implemented yet (todo!())", "{t}");
    }
    let init = report.init.unwrap();
    assert!(!init.passed && init.message == "not implemented yet (todo!())", "{}", init.message);
    let check = nn_grader::check_student_gradients(&stub_cost, 0.0);
    assert_eq!(check.to_string(), "Gradient check not run: not implemented yet (todo!())");
    let data = Dataset::new(array![[0.5, 0.1], [0.2, 0.9]], array![1, 2], 2).unwrap();
    assert_eq!(nn_grader::train_with(&stub_cost, &data, 3, 1.0, 5, 0).unwrap_err(), "not implemented yet (todo!())");
    assert_eq!(
        nn_grader::attempt(|| -> u8 { unimplemented!() }).unwrap_err(),
        "not implemented yet (unimplemented!())"
    );
    let r = nn_grader::attempt_result(|| stub_cost(&array![[0.0]], &array![[0.0]], &array![[0.0]], &array![1], 0.0));
    assert_eq!(r.unwrap_err(), "not implemented yet (todo!())");
}

#[test]
fn the_panic_hook_is_silenced_and_restored() {
    let _s = serial();
    static CALLS: AtomicUsize = AtomicUsize::new(0);
    let original = panic::take_hook();
    panic::set_hook(Box::new(|info| {
        if info.payload_as_str().is_some_and(|m| m.contains("hook-test-marker")) {
            CALLS.fetch_add(1, Ordering::SeqCst);
        }
    }));
    let marker = |_: &Array2<f64>| -> Array2<f64> { panic!("hook-test-marker") };
    assert_eq!(nn_grader::grade_sigmoid_gradient(&marker).message, "panicked: hook-test-marker");
    assert_eq!(nn_grader::attempt(|| marker(&array![[0.0]])).unwrap_err(), "panicked: hook-test-marker");
    assert_eq!(CALLS.load(Ordering::SeqCst), 0, "the previous hook ran for a caught panic");
    // Our hook is back: a panic outside the grader reaches it.
    let _ = panic::catch_unwind(|| panic!("hook-test-marker"));
    assert_eq!(CALLS.load(Ordering::SeqCst), 1, "the previous hook was not restored");
    panic::set_hook(original);
}

/// Every catalogued mistake, as a student's code: the parts it affects score 0 and name
/// it, the others keep their points.
#[test]
fn every_mistake_is_detected_and_named() {
    let _s = serial();
    for mistake in Mistake::ALL {
        let cost = mistake.function();
        let sg = |z: &Array2<f64>| mistake.sigmoid_gradient(z).unwrap_or_else(|| nn_core::sigmoid_gradient(z));
        let report = nn_grader::grade(&sg, &rand_initialize_weights, &cost);
        let t = report.to_string();
        assert!(report.total() < 100, "{mistake:?} scored {}\n{t}", report.total());
        for p in &report.parts {
            let affected = mistake.affects(p.part);
            assert_eq!(!p.passed(), affected, "{mistake:?}: {:?}\n{t}", p.part);
            if affected {
                assert_eq!(p.mistake, Some(mistake), "{mistake:?}: {:?}\n{t}", p.part);
                assert!(p.message.starts_with(&format!("Classic mistake — {}: ", mistake.name())), "{mistake:?}\n{t}");
            }
        }
        assert_eq!(report.mistakes().len(), mistake.entry().affects.len(), "{t}");
    }
}

#[test]
fn sigmoid_sign_points_at_theta2_in_the_students_gradient_check() {
    let _s = serial();
    let StudentGradCheck::Report(r) = nn_grader::check_student_gradients(&Mistake::SigmoidSign.function(), 0.0) else {
        panic!("no report")
    };
    assert_eq!(r.failing_thetas(), vec![1], "index 1: Theta2");
    assert!(r.to_string().contains("Theta2 relative difference") && r.to_string().contains("WRONG"));
}

#[test]
fn non_finite_and_misshapen_returns_score_0_with_a_message() {
    let _s = serial();
    let nan = |t1: &Array2<f64>, t2: &Array2<f64>, _: &Array2<f64>, _: &Array1<usize>, _: f64| {
        Ok((f64::NAN, Array2::from_elem(t1.dim(), f64::NAN), Array2::from_elem(t2.dim(), f64::INFINITY)))
    };
    let parts = nn_grader::grade_cost_function(&nan);
    assert!(parts.iter().all(|p| p.score == 0), "{}", text(&parts));
    assert!(parts[0].message.starts_with("J is NaN on the course's 3-5-3"), "{}", parts[0].message);
    assert!(parts[2].message.contains("NaN or infinite"), "{}", parts[2].message);

    let transposed_grads = |t1: &Array2<f64>, t2: &Array2<f64>, x: &Array2<f64>, y: &Array1<usize>, l: f64| {
        let (j, g1, g2) = nn_cost_function(t1, t2, x, y, l)?;
        Ok((j, g1.reversed_axes(), g2))
    };
    let parts = nn_grader::grade_cost_function(&transposed_grads);
    assert_eq!(parts[0].score + parts[1].score, 45);
    assert!(parts[2].message.contains("Theta1_grad is 4x5 but must be 5x4"), "{}", parts[2].message);
    assert_eq!(parts[2].mistake, Some(Mistake::TransposedTheta));

    let zeros = |t1: &Array2<f64>, t2: &Array2<f64>, x: &Array2<f64>, y: &Array1<usize>, l: f64| {
        let (j, _, _) = nn_cost_function(t1, t2, x, y, l)?;
        Ok((j, Array2::zeros(t1.dim()), Array2::zeros(t2.dim())))
    };
    let parts = nn_grader::grade_cost_function(&zeros);
    assert_eq!(parts.iter().map(|p| p.score).sum::<u32>(), 45);
    assert!(parts[2].message.contains("all zero"), "{}", parts[2].message);

    let big = |_: &Array2<f64>| Array2::from_elem((2, 2), f64::NAN);
    assert!(nn_grader::grade_sigmoid_gradient(&big).message.contains("returned 2x2"));
    let nan_sg = |z: &Array2<f64>| z.mapv(|_| f64::NAN);
    assert!(nn_grader::grade_sigmoid_gradient(&nan_sg).message.contains("NaN"));
}

#[test]
fn an_err_scores_0_with_its_text() {
    let _s = serial();
    let refuses = |_: &Array2<f64>, _: &Array2<f64>, _: &Array2<f64>, _: &Array1<usize>, _: f64| -> CostValue {
        Err(nn_core::NnError::InvalidArgument { name: "lambda", reason: "not today".into() })
    };
    let parts = nn_grader::grade_cost_function(&refuses);
    for p in &parts {
        assert_eq!(p.score, 0);
        assert!(
            p.message.starts_with("nn_cost_function returned an error on the course's 3-5-3 debug network (m = 5)")
                && p.message.ends_with(": invalid lambda: not today"),
            "{}",
            p.message
        );
    }
    // An error only with lambda > 0: the two parts at lambda = 0 keep their points.
    let only_unregularized = |t1: &Array2<f64>, t2: &Array2<f64>, x: &Array2<f64>, y: &Array1<usize>, l: f64| {
        if l > 0.0 {
            return Err(nn_core::NnError::InvalidArgument { name: "lambda", reason: "not written yet".into() });
        }
        nn_cost_function(t1, t2, x, y, l)
    };
    let scores: Vec<u32> = nn_grader::grade_cost_function(&only_unregularized).iter().map(|p| p.score).collect();
    assert_eq!(scores, vec![30, 0, 40, 0]);
}

#[test]
fn shape_panics_and_label_panics_are_explained() {
    let _s = serial();
    // The bias column forgotten: X (m x 3) times Theta1' (4 x 5).
    let no_bias = |t1: &Array2<f64>, _: &Array2<f64>, x: &Array2<f64>, _: &Array1<usize>, _: f64| -> CostValue {
        let _z2 = x.dot(&t1.t());
        unreachable!()
    };
    let p = nn_grader::grade_feedforward_cost(&no_bias);
    assert!(
        p.message.contains("bias column of ones missing") && p.message.contains("(5x3 times 4x5)"),
        "{}",
        p.message
    );
    // One-hot with y_k[[i, label]]: label K is out of bounds.
    let off = |t1: &Array2<f64>, t2: &Array2<f64>, x: &Array2<f64>, y: &Array1<usize>, l: f64| {
        let mut y_k = Array2::<f64>::zeros((x.nrows(), t2.nrows()));
        for (i, &label) in y.iter().enumerate() {
            y_k[[i, label]] = 1.0;
        }
        nn_cost_function(t1, t2, x, y, l)
    };
    let p = nn_grader::grade_feedforward_cost(&off);
    assert!(
        p.message.starts_with("an index was out of bounds") && p.message.contains("label k is output unit k - 1"),
        "{}",
        p.message
    );
}

#[test]
fn regularization_hints_point_at_the_right_part() {
    let _s = serial();
    // The right regularization on top of a cost without 1/m... and a gradient doubled.
    let f = |t1: &Array2<f64>, t2: &Array2<f64>, x: &Array2<f64>, y: &Array1<usize>, l: f64| {
        let (j0, g1, g2) = nn_cost_function(t1, t2, x, y, 0.0)?;
        let (jl, r1, r2) = nn_cost_function(t1, t2, x, y, l)?;
        Ok((j0 * 2.0 + (jl - j0), &g1 * 2.0 + (&r1 - &g1), &g2 * 2.0 + (&r2 - &g2)))
    };
    let parts = nn_grader::grade_cost_function(&f);
    assert!(parts[1].message.contains("your regularization term is right"), "{}", parts[1].message);
    assert!(parts[3].message.contains("your regularization term is right"), "{}", parts[3].message);
    assert!(parts.iter().all(|p| !p.passed()));
}

#[test]
fn a_wrong_gradient_entry_is_named_as_rust_indexes_it() {
    let _s = serial();
    // One weight's gradient off: row 1, column 3 of Theta2 (0-based), in every case.
    let f = |t1: &Array2<f64>, t2: &Array2<f64>, x: &Array2<f64>, y: &Array1<usize>, l: f64| {
        let (j, g1, mut g2) = nn_cost_function(t1, t2, x, y, l)?;
        g2[[1, 3]] += 0.5;
        Ok((j, g1, g2))
    };
    let parts = nn_grader::grade_cost_function(&f);
    let gradient = parts
        .iter()
        .find(|p| !p.passed() && p.message.contains("Theta2_grad is wrong"))
        .expect("a failing gradient part");
    let m = &gradient.message;
    let rest = m.split("e.g. theta2_grad[[1, 3]] = ").nth(1).unwrap_or_else(|| panic!("not named 0-based: {m}"));
    // "<got>, expected <want>": the named entry is the one that is off by 0.5.
    let (got, want) = rest.split_once(", expected ").expect("got and expected");
    let want = want.split_whitespace().next().unwrap().trim_end_matches(['.', ';', ',']);
    let (got, want): (f64, f64) = (got.parse().unwrap(), want.parse().unwrap());
    assert!((got - want - 0.5).abs() < 1e-6, "{m}");
}

#[test]
fn sigmoid_gradient_grading() {
    let _s = serial();
    assert!(nn_grader::grade_sigmoid_gradient(&sigmoid_gradient).passed());
    let off = |z: &Array2<f64>| nn_core::sigmoid_gradient(z) + 1e-3;
    let p = nn_grader::grade_sigmoid_gradient(&off);
    assert!(p.message.contains("expected 0.196612") && p.mistake.is_none(), "{}", p.message);
}

fn rand_init_zeros(l_in: usize, l_out: usize, _epsilon: f64, _rng: &mut StdRng) -> Array2<f64> {
    Array2::zeros((l_out, 1 + l_in))
}
fn rand_init_without_bias_column(l_in: usize, l_out: usize, epsilon: f64, rng: &mut StdRng) -> Array2<f64> {
    Array2::from_shape_fn((l_out, l_in), |_| rng.random_range(-epsilon..=epsilon))
}
fn rand_init_not_centered(l_in: usize, l_out: usize, epsilon: f64, rng: &mut StdRng) -> Array2<f64> {
    Array2::from_shape_fn((l_out, 1 + l_in), |_| rng.random::<f64>() * epsilon)
}
fn rand_init_fixed_seed(l_in: usize, l_out: usize, epsilon: f64, _rng: &mut StdRng) -> Array2<f64> {
    let mut own = seeded_rng(0);
    Array2::from_shape_fn((l_out, 1 + l_in), |_| own.random_range(-epsilon..=epsilon))
}

#[test]
fn rand_init_checks() {
    let _s = serial();
    assert!(nn_grader::check_rand_initialize_weights(&rand_initialize_weights).passed);
    type Init = fn(usize, usize, f64, &mut StdRng) -> Array2<f64>;
    let cases: [(Init, &str); 4] = [
        (rand_init_zeros, "break the symmetry"),
        (rand_init_without_bias_column, "bias column is missing"),
        (rand_init_not_centered, "whole [-epsilon, epsilon]"),
        (rand_init_fixed_seed, "two calls with the same rng"),
    ];
    for (f, expect) in cases {
        let c = nn_grader::check_rand_initialize_weights(&f);
        assert!(!c.passed && c.message.contains(expect), "{}", c.message);
    }
    let too_wide = |l_in: usize, l_out: usize, _e: f64, rng: &mut StdRng| {
        Array2::from_shape_fn((l_out, 1 + l_in), |_| rng.random_range(-1.0..1.0))
    };
    assert!(nn_grader::check_rand_initialize_weights(&too_wide).message.contains("outside [-epsilon, epsilon]"));
    let own_rng = |l_in: usize, l_out: usize, e: f64, _: &mut StdRng| {
        use ndarray_rand::rand::SeedableRng;
        let mut r = StdRng::from_os_rng();
        Array2::from_shape_fn((l_out, 1 + l_in), |_| r.random_range(-e..=e))
    };
    assert!(nn_grader::check_rand_initialize_weights(&own_rng).message.contains("same seed gave different weights"));
}

#[test]
fn training_with_the_reference_solution_learns() {
    let _s = serial();
    let x = Array2::from_shape_fn((40, 2), |(i, j)| if (i % 2 == 0) == (j == 0) { 1.0 } else { 0.0 } + 0.01 * i as f64);
    let y: Array1<usize> = (0..40).map(|i| 1 + i % 2).collect();
    let data = Dataset::new(x, y, 2).unwrap();
    let (net, history): (Network, _) = nn_grader::train_with(&nn_cost_function, &data, 3, 1.0, 20, 1).unwrap();
    assert!(history.final_cost() < history.initial_cost);
    assert!(net.accuracy(&data).unwrap() > 0.9);
}

#[test]
fn report_table_layout() {
    let _s = serial();
    let report = GradeOptions::default().grade(&sigmoid_gradient, &stub_init, &stub_cost);
    let t = report.to_string();
    let lines: Vec<&str> = t.lines().collect();
    assert!(lines[0].starts_with("Part") && lines[0].contains("Score") && lines[0].contains("Feedback"));
    assert_eq!(
        lines[2],
        format!("{:<22} {:>3} / {:<3} {}", "Feedforward and cost", 0, 30, "not implemented yet (todo!())")
    );
    assert!(lines[4].starts_with("Sigmoid gradient") && lines[4].contains("5 / 5") && lines[4].contains("Nice work!"));
    assert_eq!(lines[7], "Random initialization (not scored): not implemented yet (todo!())");
    assert_eq!(*lines.last().unwrap(), "Total: 5 / 100");
    assert_eq!(report.part(Part::SigmoidGradient).unwrap().score, 5);
}
