// A per-example solution of notebooks/exercises/ex4-neural-network-learning.ipynb: the
// handout's steps 1-5 in a loop `for t in 0..m`, one example at a time, as the exercise's
// hint "the loop's skeleton" (section 2.3) lays them out. It must score full points, like
// the vectorized solutions (ex4.rs, ex4-natural.rs).
//
// Run by tests/notebooks/run_notebooks.py ("loop" run, tests/notebooks/expect/exercises.json)
// and compiled into nn-grader/tests/loop_solution.rs. Slot lines as in ex4.rs.

// ===== slot: sigmoid_gradient =====
/// g'(z) = g(z) (1 - g(z)), entry by entry.
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
/// The regularized cost J and its gradient, one example at a time.
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
    let mut j = 0.0;
    let mut big_delta1 = Array2::<f64>::zeros(theta1.dim());
    let mut big_delta2 = Array2::<f64>::zeros(theta2.dim());
    for t in 0..m {
        // Step 1: feedforward example t (column vectors, as in the handout).
        let a1 = concatenate![Axis(0), array![1.0], x.row(t)]; // 401: [1; x_t]
        let z2 = theta1.dot(&a1); // 25
        let a2 = concatenate![Axis(0), array![1.0], sigmoid(&z2)]; // 26: [1; g(z2)]
        let z3 = theta2.dot(&a2); // 10
        let a3 = sigmoid(&z3); // 10: h for example t
        let mut y_t = Array1::<f64>::zeros(num_labels);
        y_t[y[t] - 1] = 1.0;
        j += (-&y_t * a3.ln() - (1.0 - &y_t) * (1.0 - &a3).ln()).sum();
        // Step 2: the output layer's error.
        let delta3 = &a3 - &y_t;
        // Step 3: the hidden layer's error, without the bias unit's (entry 0).
        let g_prime = sigmoid_gradient(&z2.clone().insert_axis(Axis(0))).remove_axis(Axis(0));
        let delta2 = &theta2.t().dot(&delta3).slice(s![1..]) * &g_prime;
        // Step 4: accumulate the outer products delta a^T.
        big_delta1 += &delta2.view().insert_axis(Axis(1)).dot(&a1.view().insert_axis(Axis(0)));
        big_delta2 += &delta3.view().insert_axis(Axis(1)).dot(&a2.view().insert_axis(Axis(0)));
    }
    // Step 5: divide by m; regularize all but the bias column.
    let squares = |t: &Array2<f64>| t.slice(s![.., 1..]).mapv(|w| w * w).sum();
    let j = j / mf + lambda / (2.0 * mf) * (squares(theta1) + squares(theta2));
    let mut theta1_grad = big_delta1 / mf;
    let mut theta2_grad = big_delta2 / mf;
    theta1_grad.slice_mut(s![.., 1..]).scaled_add(lambda / mf, &theta1.slice(s![.., 1..]));
    theta2_grad.slice_mut(s![.., 1..]).scaled_add(lambda / mf, &theta2.slice(s![.., 1..]));
    Ok((j, theta1_grad, theta2_grad))
}
