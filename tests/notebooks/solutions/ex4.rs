// Reference solutions of notebooks/exercises/ex4-neural-network-learning.ipynb.
//
// Each `// ===== slot: NAME =====` line starts the text that replaces the notebook cell
// tagged `solution-slot` + `slot:NAME` when tests/notebooks/run_notebooks.py runs the
// notebook "with solutions" (tests/notebooks/expect/exercises.json). The same file is
// compiled into nn-grader's tests (`include!` in nn-grader/tests/grading.rs), which check
// that it scores 100 / 100. It relies on the notebook's imports:
// `use nn_grader::prelude::*;` (Array1, Array2, Axis, s!, concatenate!, sigmoid,
// StdRng, Rng, ...).

// ===== slot: sigmoid_gradient =====
/// g'(z) = g(z) .* (1 - g(z)), element by element.
fn sigmoid_gradient(z: &Array2<f64>) -> Array2<f64> {
    let g = sigmoid(z);
    &g * &(1.0 - &g)
}

// ===== slot: rand_initialize_weights =====
/// An l_out x (1 + l_in) matrix, uniform in [-epsilon, epsilon].
fn rand_initialize_weights(l_in: usize, l_out: usize, epsilon: f64, rng: &mut StdRng) -> Array2<f64> {
    Array2::from_shape_fn((l_out, 1 + l_in), |_| rng.random_range(-epsilon..=epsilon))
}

// ===== slot: nn_cost_function =====
/// The regularized cost J and its gradient for a network with one hidden layer.
fn nn_cost_function(
    theta1: &Array2<f64>,
    theta2: &Array2<f64>,
    x: &Array2<f64>,
    y: &Array1<usize>,
    lambda: f64,
) -> nn_core::Result<(f64, Array2<f64>, Array2<f64>)> {
    let m = x.nrows();
    let mf = m as f64;
    let num_labels = theta2.nrows();

    // Part 1: feedforward, a1 = [1 X], a2 = [1 g(z2)], h = a3 = g(z3).
    let a1 = concatenate![Axis(1), Array2::ones((m, 1)), *x];
    let z2 = a1.dot(&theta1.t());
    let a2 = concatenate![Axis(1), Array2::ones((m, 1)), sigmoid(&z2)];
    let z3 = a2.dot(&theta2.t());
    let h = sigmoid(&z3);

    // The labels as one-hot rows: label k lights output unit k (index k - 1).
    let mut y_k = Array2::<f64>::zeros((m, num_labels));
    for (i, &label) in y.iter().enumerate() {
        y_k[[i, label - 1]] = 1.0;
    }

    // The cost, then the regularization without the bias columns.
    let cost = (-&y_k * h.ln() - (1.0 - &y_k) * (1.0 - &h).ln()).sum() / mf;
    let squares = |t: &Array2<f64>| t.slice(s![.., 1..]).mapv(|w| w * w).sum();
    let j = cost + lambda / (2.0 * mf) * (squares(theta1) + squares(theta2));

    // Part 2: backpropagation, all examples at once. g'(z2) = a2 .* (1 - a2) without the
    // bias column: the same as sigmoid_gradient(&z2) (which ex4-natural.rs calls), without
    // computing the sigmoid twice.
    let delta3 = &h - &y_k;
    let g2 = a2.slice(s![.., 1..]);
    let delta2 = delta3.dot(&theta2.slice(s![.., 1..])) * (&g2 * &(1.0 - &g2));
    let mut theta1_grad = delta2.t().dot(&a1) / mf;
    let mut theta2_grad = delta3.t().dot(&a2) / mf;

    // Part 3: regularized gradient, the bias column (column 0) left alone.
    theta1_grad.slice_mut(s![.., 1..]).scaled_add(lambda / mf, &theta1.slice(s![.., 1..]));
    theta2_grad.slice_mut(s![.., 1..]).scaled_add(lambda / mf, &theta2.slice(s![.., 1..]));

    Ok((j, theta1_grad, theta2_grad))
}
