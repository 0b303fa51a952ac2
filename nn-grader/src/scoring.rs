//! Scoring: the student's answers on the grader's problems against the library's, part
//! by part, with the classic mistakes tried where an answer is wrong.
//!
//! The student's calls run in a child process ([`crate::isolate`]); what comes back is
//! one [`Call`] per problem. The two parts at lambda = 0 (feedforward cost and
//! backpropagation) grade the same calls, so they share one child; so do the two at
//! lambda > 0.

use ndarray::Array2;
use ndarray_rand::rand::rngs::StdRng;
use nn_core::lecture::cost::TwoLayerCost;
use nn_core::seeded_rng;

use crate::cases::{cost_cases, sigmoid_gradient_cases, Case};
use crate::explain::{explain_panic, named, Context};
use crate::isolate::{self, Limits};
use crate::mistakes::Mistake;
use crate::outcome::{Call, Calls, Failure};
use crate::report::{InitCheck, Part, PartResult};
use crate::student::{CostValue, RandInitFn, SigmoidGradientFn};

/// `nn_cost_function` on every case at lambda = 0 and at each case's lambda.
pub struct CostRuns {
    /// The problems.
    pub cases: Vec<Case>,
    /// At lambda = 0.
    pub lambda0: Calls<CostValue>,
    /// At the case's lambda.
    pub regularized: Calls<CostValue>,
}

/// `nn_cost_function` on every case, at lambda = 0 or at each case's lambda, in a child.
pub fn run_cost(f: &TwoLayerCost<'_>, cases: &[Case], regularized: bool, limits: &Limits) -> Calls<CostValue> {
    isolate::run(limits, || {
        cases
            .iter()
            .map(|c| {
                let lambda = if regularized { c.lambda } else { 0.0 };
                isolate::catch(|| f(&c.theta1, &c.theta2, &c.x, &c.y, lambda).map_err(|e| e.to_string()))
            })
            .collect::<Vec<_>>()
    })
}

impl CostRuns {
    /// Runs the calls the given parts need (each set in a child process of its own).
    pub fn new(f: &TwoLayerCost<'_>, limits: &Limits, lambda0: bool, regularized: bool) -> CostRuns {
        let cases = cost_cases();
        let skipped = || Err(Failure::Broken("not run".into()));
        let l0 = if lambda0 { run_cost(f, &cases, false, limits) } else { skipped() };
        let reg = if regularized { run_cost(f, &cases, true, limits) } else { skipped() };
        CostRuns { cases, lambda0: l0, regularized: reg }
    }
}

fn close(got: f64, want: f64) -> bool {
    (got - want).abs() <= 1e-9 * (1.0 + want.abs())
}

fn max_abs(a: &Array2<f64>) -> f64 {
    a.iter().fold(0.0f64, |m, v| m.max(v.abs()))
}

fn close_mat(got: &Array2<f64>, want: &Array2<f64>) -> bool {
    got.dim() == want.dim() && (got - want).iter().all(|d| d.abs() <= 1e-9 * (1.0 + max_abs(want)))
}

/// The largest difference `(row, col, got, want)`, 0-based as Rust indexes (`a[[row, col]]`).
fn worst_entry(got: &Array2<f64>, want: &Array2<f64>) -> (usize, usize, f64, f64) {
    let mut best = (0, 0, got[[0, 0]], want[[0, 0]]);
    let mut largest = -1.0;
    for ((r, c), w) in want.indexed_iter() {
        let d = (got[[r, c]] - w).abs();
        let d = if d.is_nan() { f64::INFINITY } else { d };
        if d > largest {
            largest = d;
            best = (r, c, got[[r, c]], *w);
        }
    }
    best
}

fn shape(a: &Array2<f64>) -> String {
    format!("{}x{}", a.nrows(), a.ncols())
}

fn label(case: &Case, lambda: f64) -> String {
    format!("{} with lambda = {lambda}", case.name)
}

/// The classic mistakes that cost points in `part` and compute numbers on `case`.
fn candidates(part: Part, case: &Case) -> impl Iterator<Item = Mistake> + '_ {
    Mistake::ALL.into_iter().filter(move |m| m.affects(part) && !m.panics_on(case.theta1.dim(), case.x.nrows()))
}

fn recognized(mistake: Mistake, case: &Case, lambda: f64) -> String {
    named(mistake, &format!("{} (on {})", mistake.description(), label(case, lambda)))
}

/// The part's failure for a call that gave no value; `None` for a value.
fn call_failed(part: Part, case: &Case, lambda: f64, call: &Call<CostValue>) -> Option<PartResult> {
    match call {
        Ok(Ok(_)) => None,
        Ok(Err(e)) => Some(PartResult::fail(
            part,
            format!("nn_cost_function returned an error on {}: {e}", label(case, lambda)),
            None,
        )),
        Err(raw) => {
            let (msg, mistake) = explain_panic(raw, case.context());
            Some(PartResult::fail(part, msg, mistake))
        }
    }
}

/// Grades `part` case by case, on the calls of its lambda: the first failure, or a pass.
/// A call that gave no value fails the part; `check` gets each value with its case's index,
/// the case and the lambda, and returns the failure it finds.
fn grade_each_case(
    part: Part,
    runs: &CostRuns,
    mut check: impl FnMut(usize, &Case, f64, &CostValue) -> Option<PartResult>,
) -> PartResult {
    let calls = match if part.regularized() { &runs.regularized } else { &runs.lambda0 } {
        Ok(calls) => calls,
        Err(failure) => return PartResult::fail(part, failure.message("nn_cost_function"), None),
    };
    for (i, (case, call)) in runs.cases.iter().zip(calls).enumerate() {
        let lambda = if part.regularized() { case.lambda } else { 0.0 };
        if let Some(failed) = call_failed(part, case, lambda, call) {
            return failed;
        }
        let Ok(Ok(value)) = call else { unreachable!("a value") };
        if let Some(failed) = check(i, case, lambda, value) {
            return failed;
        }
    }
    PartResult::pass(part)
}

/// The student's value at lambda = 0 on case `i`, when there is one (for the hint that only
/// the regularization is right).
fn lambda0_value(runs: &CostRuns, i: usize) -> Option<&CostValue> {
    match runs.lambda0.as_ref().ok()?.get(i)? {
        Ok(Ok(value)) => Some(value),
        _ => None,
    }
}

/// "Feedforward and cost" or "Regularized cost": J on every case.
pub fn grade_cost_part(part: Part, runs: &CostRuns) -> PartResult {
    grade_each_case(part, runs, |i, case, lambda, &(j, _, _)| {
        let want = case.reference(lambda).0;
        if !j.is_finite() {
            return Some(PartResult::fail(
                part,
                format!(
                    "J is {j} on {}: a log of 0 or of a negative number? h = g(z3) must be strictly between 0 and 1",
                    label(case, lambda)
                ),
                None,
            ));
        }
        if close(j, want) {
            return None;
        }
        if j == 0.0 {
            return Some(PartResult::fail(
                part,
                format!("J is 0 on {}: the cost is not computed yet", label(case, lambda)),
                None,
            ));
        }
        for mistake in candidates(part, case) {
            if let Ok((mj, _, _)) = mistake.cost(&case.theta1, &case.theta2, &case.x, &case.y, lambda) {
                if close(j, mj) {
                    return Some(PartResult::fail(part, recognized(mistake, case, lambda), Some(mistake)));
                }
            }
        }
        let mut msg = format!("J = {j:.6} but expected {want:.6} on {}", label(case, lambda));
        if let Some((j0, _, _)) = lambda0_value(runs, i).filter(|_| part.regularized()) {
            let reg_term = want - case.reference(0.0).0;
            if close(j - j0, reg_term) {
                msg.push_str(
                    " — your regularization term is right; the unregularized cost is not (see Feedforward and cost)",
                );
            }
        }
        Some(PartResult::fail(part, msg, None))
    })
}

fn check_grad_shape(part: Part, name: &str, grad: &Array2<f64>, theta: &Array2<f64>, at: &str) -> Option<PartResult> {
    if grad.dim() == theta.dim() {
        return None;
    }
    let theta_name = name.trim_end_matches("_grad");
    let (hint, mistake) = if grad.dim() == (theta.ncols(), theta.nrows()) {
        (
            format!(
                ": transposed? {name} is `{}`, with {theta_name}'s shape",
                if name == "Theta1_grad" { "delta2.t().dot(&a1) / m" } else { "delta3.t().dot(&a2) / m" }
            ),
            Some(Mistake::TransposedTheta),
        )
    } else if grad.nrows() == theta.nrows() + 1 {
        (": one row too many — drop the bias unit's error (delta2 without its first column)".to_string(), None)
    } else if grad.ncols() + 1 == theta.ncols() {
        (": one column short — the bias column of a1/a2 belongs in the product".to_string(), None)
    } else {
        (String::new(), None)
    };
    let text = format!("{name} is {} but must be {}, {theta_name}'s shape{hint} (on {at})", shape(grad), shape(theta));
    let text = match mistake {
        Some(m) => named(m, &text),
        None => text,
    };
    Some(PartResult::fail(part, text, mistake))
}

/// "Backpropagation" or "Regularized gradient": both gradients on every case.
pub fn grade_gradient_part(part: Part, runs: &CostRuns) -> PartResult {
    grade_each_case(part, runs, |i, case, lambda, (_, g1, g2)| {
        let at = label(case, lambda);
        let (t1, t2) = (&case.theta1, &case.theta2);
        if let Some(bad) = check_grad_shape(part, "Theta1_grad", g1, t1, &at)
            .or_else(|| check_grad_shape(part, "Theta2_grad", g2, t2, &at))
        {
            return Some(bad);
        }
        if g1.iter().chain(g2.iter()).any(|v| !v.is_finite()) {
            return Some(PartResult::fail(part, format!("the gradient has NaN or infinite entries on {at}"), None));
        }
        let (_, w1, w2) = case.reference(lambda);
        let (ok1, ok2) = (close_mat(g1, &w1), close_mat(g2, &w2));
        if ok1 && ok2 {
            return None;
        }
        if g1.iter().chain(g2.iter()).all(|&v| v == 0.0) {
            return Some(PartResult::fail(
                part,
                format!("the gradients are all zero on {at}: backpropagation is not written yet"),
                None,
            ));
        }
        for mistake in candidates(part, case) {
            if let Ok((_, m1, m2)) = mistake.cost(t1, t2, &case.x, &case.y, lambda) {
                if close_mat(g1, &m1) && close_mat(g2, &m2) {
                    return Some(PartResult::fail(part, recognized(mistake, case, lambda), Some(mistake)));
                }
            }
        }
        let (name, got, want) = if ok1 { ("Theta2_grad", g2, &w2) } else { ("Theta1_grad", g1, &w1) };
        let (r, c, gv, wv) = worst_entry(got, want);
        let which = match (ok1, ok2) {
            (true, false) => "Theta2_grad is wrong (Theta1_grad is right)",
            (false, true) => {
                "Theta1_grad is wrong (Theta2_grad is right): check \
                 `delta2 = delta3.dot(&theta2.slice(s![.., 1..])) * sigmoid_gradient(&z2)`"
            }
            _ => "both Theta1_grad and Theta2_grad are wrong",
        };
        let mut msg =
            format!("{which} on {at}; e.g. {}[[{r}, {c}]] = {gv:.6e}, expected {wv:.6e}", name.to_lowercase());
        if let Some((_, z1, z2)) = lambda0_value(runs, i).filter(|_| part.regularized()) {
            let (_, r1, r2) = case.reference(0.0);
            if z1.dim() == g1.dim()
                && z2.dim() == g2.dim()
                && close_mat(&(g1 - z1), &(&w1 - &r1))
                && close_mat(&(g2 - z2), &(&w2 - &r2))
            {
                msg.push_str(
                    " — your regularization term is right; the unregularized gradient is not (see Backpropagation)",
                );
            }
        }
        Some(PartResult::fail(part, msg, None))
    })
}

/// "Sigmoid gradient": the course's values at `[-1 -0.5 0 0.5 1]`, a 3x4 matrix and a
/// square one.
pub fn grade_sigmoid_gradient(sigmoid_gradient: &SigmoidGradientFn<'_>, limits: &Limits) -> PartResult {
    let inputs = sigmoid_gradient_cases();
    score_sigmoid_gradient(&inputs, run_sigmoid_gradient(sigmoid_gradient, &inputs, limits))
}

/// `sigmoid_gradient` on every input, in a child.
pub fn run_sigmoid_gradient(
    sigmoid_gradient: &SigmoidGradientFn<'_>,
    inputs: &[Array2<f64>],
    limits: &Limits,
) -> Calls<Array2<f64>> {
    isolate::run(limits, || inputs.iter().map(|z| isolate::catch(|| Ok(sigmoid_gradient(z)))).collect::<Vec<_>>())
}

/// "Sigmoid gradient" from the calls on `inputs` (run here or elsewhere: [`run_sigmoid_gradient`]).
pub fn score_sigmoid_gradient(inputs: &[Array2<f64>], calls: Calls<Array2<f64>>) -> PartResult {
    let part = Part::SigmoidGradient;
    let calls = match calls {
        Ok(calls) => calls,
        Err(failure) => return PartResult::fail(part, failure.message("sigmoid_gradient"), None),
    };
    for (z, call) in inputs.iter().zip(calls) {
        let got = match call {
            Ok(Ok(g)) => g,
            Ok(Err(e)) => return PartResult::fail(part, format!("sigmoid_gradient returned an error: {e}"), None),
            Err(raw) => {
                let (msg, mistake) = explain_panic(&raw, Context::SigmoidGradient);
                return PartResult::fail(part, msg, mistake);
            }
        };
        let want = nn_core::sigmoid_gradient(z);
        if got.dim() != want.dim() {
            return PartResult::fail(
                part,
                format!(
                    "sigmoid_gradient of a {} matrix returned {}: it works element by element",
                    shape(z),
                    shape(&got)
                ),
                None,
            );
        }
        if got.iter().any(|v| !v.is_finite()) {
            return PartResult::fail(part, format!("sigmoid_gradient returned NaN or infinity for z = {z}"), None);
        }
        if close_mat(&got, &want) {
            continue;
        }
        for mistake in Mistake::ALL {
            let square = z.nrows() == z.ncols();
            if mistake == Mistake::SigmoidGradientMatrixProduct && !square {
                continue;
            }
            if mistake.sigmoid_gradient(z).is_some_and(|w| close_mat(&got, &w)) {
                return PartResult::fail(part, named(mistake, mistake.description()), Some(mistake));
            }
        }
        let (r, c, gv, wv) = worst_entry(&got, &want);
        return PartResult::fail(
            part,
            format!("at z = {}: got {gv:.6}, expected {wv:.6} (sigmoid_gradient(0) is 0.25)", z[[r, c]]),
            None,
        );
    }
    PartResult::pass(part)
}

/// The unscored check of `rand_initialize_weights`: the shape `l_out x (1 + l_in)`, values
/// within `[-epsilon, epsilon]` and spread over it, different on two draws from one
/// generator, the same from the same seed.
pub fn check_rand_initialize_weights(rand_initialize_weights: &RandInitFn<'_>, limits: &Limits) -> InitCheck {
    score_rand_initialize_weights(run_rand_initialize_weights(rand_initialize_weights, limits))
}

/// The five calls of `rand_initialize_weights` the check looks at, in a child.
pub fn run_rand_initialize_weights(rand_initialize_weights: &RandInitFn<'_>, limits: &Limits) -> Calls<Array2<f64>> {
    isolate::run(limits, || {
        let call =
            |l_in, l_out, eps, rng: &mut StdRng| isolate::catch(|| Ok(rand_initialize_weights(l_in, l_out, eps, rng)));
        let mut shared = seeded_rng(2);
        vec![
            call(400, 25, 0.12, &mut seeded_rng(1)),
            call(3, 5, 0.5, &mut shared),
            call(3, 5, 0.5, &mut shared),
            call(3, 5, 0.5, &mut seeded_rng(9)),
            call(3, 5, 0.5, &mut seeded_rng(9)),
        ]
    })
}

/// The check of `rand_initialize_weights` from its calls ([`run_rand_initialize_weights`]).
pub fn score_rand_initialize_weights(calls: Calls<Array2<f64>>) -> InitCheck {
    let fail = |message: String| InitCheck { passed: false, message };
    let calls = match calls {
        Ok(calls) => calls,
        Err(failure) => return fail(failure.message("rand_initialize_weights")),
    };
    let mut values = Vec::new();
    for call in calls {
        match call {
            Ok(Ok(w)) => values.push(w),
            Ok(Err(e)) => return fail(format!("rand_initialize_weights returned an error: {e}")),
            Err(raw) => return fail(explain_panic(&raw, Context::General).0),
        }
    }
    let [w, a, b, c, d] = <[Array2<f64>; 5]>::try_from(values).expect("five calls");
    let eps = 0.12;
    if w.dim() != (25, 401) {
        let hint = match w.dim() {
            (25, 400) => " — the bias column is missing: l_out x (1 + l_in)",
            (401, 25) => " — transposed: l_out x (1 + l_in)",
            _ => "",
        };
        return fail(format!("rand_initialize_weights(400, 25, ..) is {} but must be 25x401{hint}", shape(&w)));
    }
    if w.iter().any(|v| !v.is_finite()) {
        return fail("the weights contain NaN or infinity".into());
    }
    let (lo, hi) = w.iter().fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), &v| (lo.min(v), hi.max(v)));
    if lo < -eps * (1.0 + 1e-12) || hi > eps * (1.0 + 1e-12) {
        return fail(format!(
            "weights outside [-epsilon, epsilon] = [-{eps}, {eps}]: they range over [{lo:.4}, {hi:.4}]"
        ));
    }
    if lo == hi {
        return fail(format!(
            "every weight is {lo}: with equal weights every hidden unit computes (and learns) the same function — \
             draw them at random to break the symmetry"
        ));
    }
    if lo >= 0.0 || hi <= 0.0 || hi - lo < eps {
        return fail(format!(
            "the weights only cover [{lo:.4}, {hi:.4}]: draw them uniformly from the whole [-epsilon, epsilon]"
        ));
    }
    if a.dim() != (5, 4) || a.iter().any(|v| v.abs() > 0.5) {
        return fail(format!(
            "rand_initialize_weights(3, 5, 0.5, ..) must be 5x4 within [-0.5, 0.5]; got {}",
            shape(&a)
        ));
    }
    if a == b {
        return fail(
            "two calls with the same rng gave the same weights: draw from the `rng` argument (each layer needs its \
             own random weights)"
                .into(),
        );
    }
    if c != d {
        return fail(
            "the same seed gave different weights: draw from the `rng` argument, not from a generator of your own \
             (runs must be reproducible)"
                .into(),
        );
    }
    InitCheck {
        passed: true,
        message: "ok (25x401 within [-0.12, 0.12], new weights on every draw, reproducible from the seed)".into(),
    }
}
