// The natural solution of notebooks/exercises/ex4-neural-network-learning.ipynb: what a
// student writes from the course's handout (ex4.pdf, sections 1.3-2.5) and the
// notebook's hints, not from the kit's reference (solutions/ex4.rs). Unlike the reference
// it calls `sigmoid_gradient` inside `nn_cost_function`, as the course's nnCostFunction.m
// calls sigmoidGradient, so it needs that function's cell to run first (Restart & Run
// All, nbgrader's autograder: top to bottom). The one-hot labels come from
// `Array2::from_shape_fn`, the regularization from copies of Theta with column 0 zeroed
// (the handout's `Theta1(:, 1) = 0` idiom), and the bias column is dropped from delta2
// after the product, as the handout's step 3 reads.
//
// Run by tests/notebooks/run_notebooks.py ("natural" run, tests/notebooks/expect/exercises.json)
// and by tests/test_nbgrader_autograde.py (nbgrader's autograder). Slot lines as in ex4.rs.

// ===== slot: sigmoid_gradient =====
/// g'(z) = g(z) .* (1 - g(z)), element by element.
fn sigmoid_gradient(z: &Array2<f64>) -> Array2<f64> {
    let g = sigmoid(z);
    &g * &(1.0 - &g)
}

// ===== slot: rand_initialize_weights =====
/// An l_out x (1 + l_in) matrix, uniform in [-epsilon, epsilon].
fn rand_initialize_weights(l_in: usize, l_out: usize, epsilon: f64, rng: &mut StdRng) -> Array2<f64> {
    Array2::random_using((l_out, 1 + l_in), Uniform::new_inclusive(-epsilon, epsilon).unwrap(), rng)
}

// ===== slot: nn_cost_function =====
/// The regularized cost J and its gradient for the 400-25-10 network (any sizes, really).
/// `y` holds labels 1..=K, K = theta2.nrows().
fn nn_cost_function(
    theta1: &Array2<f64>,
    theta2: &Array2<f64>,
    x: &Array2<f64>,
    y: &Array1<usize>,
    lambda: f64,
) -> nn_core::Result<(f64, Array2<f64>, Array2<f64>)> {
    let m = x.nrows();
    let num_labels = theta2.nrows();
    if y.len() != m {
        return Err(nn_core::NnError::Shape {
            what: "y".to_string(),
            expected: format!("{m} labels, one per row of X"),
            got: format!("{} labels", y.len()),
        });
    }

    // Part 1: feedforward.
    let a1 = concatenate![Axis(1), Array2::ones((m, 1)), *x];
    let z2 = a1.dot(&theta1.t());
    let a2 = concatenate![Axis(1), Array2::ones((m, 1)), sigmoid(&z2)];
    let z3 = a2.dot(&theta2.t());
    let a3 = sigmoid(&z3);

    // y as one-hot rows: label k is column k - 1.
    let y_k = Array2::from_shape_fn((m, num_labels), |(i, k)| if y[i] - 1 == k { 1.0 } else { 0.0 });

    let j_unreg = (-&y_k * a3.mapv(f64::ln) - (1.0 - &y_k) * (1.0 - &a3).mapv(f64::ln)).sum() / m as f64;

    // Theta without its bias column: copies with column 0 set to zero.
    let mut t1 = theta1.clone();
    t1.column_mut(0).fill(0.0);
    let mut t2 = theta2.clone();
    t2.column_mut(0).fill(0.0);
    let j = j_unreg + lambda / (2.0 * m as f64) * ((&t1 * &t1).sum() + (&t2 * &t2).sum());

    // Part 2: backpropagation, the handout's steps 2-5 for all examples at once.
    let delta3 = &a3 - &y_k;
    let delta2 = delta3.dot(theta2).slice(s![.., 1..]).to_owned() * sigmoid_gradient(&z2);
    let big_delta1 = delta2.t().dot(&a1);
    let big_delta2 = delta3.t().dot(&a2);

    // Part 3: regularization of the gradient (the zeroed copies leave the bias column alone).
    let theta1_grad = big_delta1 / m as f64 + &t1 * (lambda / m as f64);
    let theta2_grad = big_delta2 / m as f64 + &t2 * (lambda / m as f64);

    Ok((j, theta1_grad, theta2_grad))
}
