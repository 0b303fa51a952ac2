//! Every message a student can read is in the notation the kit teaches, Rust's: no
//! MATLAB `(:, 2:end)`, `.*` or `'` as a transpose, in the mistakes' descriptions, the
//! graded parts, the panic explanations and the gradient check.

use nn_grader::explain::{explain_panic, Context};
use nn_grader::prelude::*;
use nn_grader::{Mistake, StudentGradCheck};

type CostValue = nn_core::Result<(f64, Array2<f64>, Array2<f64>)>;

/// The MATLAB notation in `text`, if any: `(:,`, `2:end`, `.*`, or a `'` that transposes
/// (after a name ending in a digit, a one-letter name or `)`, and not followed by a
/// letter or `(`): `Theta1'`, `a1'`, `X'`, `(...)'`. An apostrophe (`Rust's`,
/// `students'`) or a derivative (`g'(z)`) is not one.
fn matlab(text: &str) -> Option<String> {
    for bad in ["(:,", "2:end", ".*"] {
        if text.contains(bad) {
            return Some(bad.to_string());
        }
    }
    let chars: Vec<char> = text.chars().collect();
    for (i, &c) in chars.iter().enumerate() {
        if c != '\'' || i == 0 {
            continue;
        }
        let next = chars.get(i + 1).copied();
        if next.is_some_and(|n| n.is_alphabetic() || n == '(') {
            continue;
        }
        let mut start = i;
        while start > 0 && (chars[start - 1].is_alphanumeric() || chars[start - 1] == '_') {
            start -= 1;
        }
        let word: String = chars[start..i].iter().collect();
        let transposes = chars[i - 1] == ')'
            || (word.len() == 1 && word.chars().all(char::is_alphabetic))
            || (word.chars().next().is_some_and(char::is_alphabetic) && word.ends_with(|d: char| d.is_ascii_digit()));
        if transposes {
            return Some(format!("{word}'"));
        }
    }
    None
}

#[test]
fn the_detector_tells_a_transpose_from_an_apostrophe() {
    for bad in [
        "check delta2 = (delta3 Theta2)(:, 2:end) .* g'(z2)",
        "z2 = a1 * Theta1'",
        "Theta1_grad = delta2' * a1",
        "X' y",
        "(a - b)' c",
    ] {
        assert!(matlab(bad).is_some(), "{bad}");
    }
    for good in [
        "the students' code",
        "Rust's 0-based indexing",
        "g'(z) is the sigmoid's derivative",
        "`delta2 = delta3.dot(&theta2.slice(s![.., 1..])) * sigmoid_gradient(&z2)`",
        "thread 'student' has overflowed",
    ] {
        assert_eq!(matlab(good), None, "{good}");
    }
}

#[test]
fn no_message_a_student_sees_uses_matlab_notation() {
    let mut messages: Vec<(String, String)> = Vec::new();
    let sg = |z: &Array2<f64>| nn_core::sigmoid_gradient(z);
    let init =
        |l_in: usize, l_out: usize, e: f64, rng: &mut StdRng| nn_core::rand_initialize_weights(l_in, l_out, e, rng);
    for mistake in Mistake::ALL {
        messages.push((format!("{mistake:?}.description()"), mistake.description().to_string()));
        let cost = mistake.function();
        let sgm = |z: &Array2<f64>| mistake.sigmoid_gradient(z).unwrap_or_else(|| nn_core::sigmoid_gradient(z));
        messages.push((format!("grade({mistake:?})"), nn_grader::grade(&sgm, &init, &cost).to_string()));
        if let StudentGradCheck::Report(r) = nn_grader::check_student_gradients(&cost, 3.0) {
            messages.push((format!("gradient check of {mistake:?}"), r.to_string()));
        }
    }
    // Slips the catalogue does not name: a transposed gradient, a wrong Theta1_grad alone,
    // a delta2 that keeps the bias unit's error.
    let transposed = |t1: &Array2<f64>, t2: &Array2<f64>, x: &Array2<f64>, y: &Array1<usize>, l: f64| -> CostValue {
        let (j, g1, g2) = nn_core::nn_cost_function(t1, t2, x, y, l)?;
        Ok((j, g1.t().to_owned(), g2))
    };
    let theta1_wrong = |t1: &Array2<f64>, t2: &Array2<f64>, x: &Array2<f64>, y: &Array1<usize>, l: f64| -> CostValue {
        let (j, g1, g2) = nn_core::nn_cost_function(t1, t2, x, y, l)?;
        Ok((j, g1 * 1.5, g2))
    };
    let bias_row = |t1: &Array2<f64>, t2: &Array2<f64>, x: &Array2<f64>, y: &Array1<usize>, l: f64| -> CostValue {
        let (j, g1, g2) = nn_core::nn_cost_function(t1, t2, x, y, l)?;
        Ok((j, concatenate![Axis(0), Array2::zeros((1, g1.ncols())), g1], g2))
    };
    for (name, f) in
        [("transposed", &transposed as &nn_grader::TwoLayerCost), ("theta1", &theta1_wrong), ("bias row", &bias_row)]
    {
        messages.push((name.to_string(), nn_grader::grade(&sg, &init, f).to_string()));
    }
    let ctx = Context::Cost { theta1: (5, 4), theta2: (3, 6), m: 5 };
    for raw in [
        "ndarray: inputs 5 × 4 and 5 × 4 are not compatible for matrix multiplication",
        "ndarray: inputs 5 × 3 and 4 × 5 are not compatible for matrix multiplication",
        "ndarray: inputs 5 × 5 and 5 × 5 are not compatible for matrix multiplication",
        "ndarray: inputs 5 × 6 and 4 × 5 are not compatible for matrix multiplication",
        "ndarray: index out of bounds",
        "attempt to subtract with overflow",
    ] {
        messages.push((raw.to_string(), explain_panic(raw, ctx).0));
        messages.push((raw.to_string(), explain_panic(raw, Context::SigmoidGradient).0));
    }
    assert!(messages.len() > 3 * Mistake::ALL.len());
    let bad: Vec<String> =
        messages.iter().filter_map(|(what, text)| matlab(text).map(|m| format!("{what}: `{m}` in\n{text}"))).collect();
    assert!(bad.is_empty(), "{}", bad.join("\n\n"));
    // The slips above reached the messages that name Rust's expressions.
    let all: String = messages.iter().map(|(_, t)| t.as_str()).collect();
    for rust in ["delta2.t().dot(&a1)", "delta3.dot(&theta2.slice(s![.., 1..]))", "a1.dot(&theta1.t())"] {
        assert!(all.contains(rust), "no message shows `{rust}`");
    }
}
