//! One evaluation: the forward and backward pass over every block of X, its groups of
//! blocks spread over the threads, and their partial sums added in a fixed order.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Mutex;

use ndarray::{s, Array2, ArrayView1, ArrayView2};

use super::elementwise::{exp, map_in_place_with};
use super::kernel::Kernel;
use super::padded::Padded;
use super::pool::Pool;
use super::products::{dense_times_dense, sparse_times_dense};
use super::sparse_input::{Block, SparseInput};

/// Blocks per group: the unit of work of a thread, with its own partial sums.
const GROUP_BLOCKS: usize = 4;

/// One group's share: the cost terms and `Delta(l)` summed over its rows.
struct Partial {
    cost: f64,
    /// The bias column of each `Delta(l)` (the sums of `delta(l+1)` over the rows).
    bias: Vec<Vec<f64>>,
    /// The rest of each `Delta(l)`, transposed (`a(l)' delta(l+1)`: s_l x s_(l+1), padded
    /// rows): the layout both kernels write.
    rest_t: Vec<Padded>,
    /// Room for the exponentials of one block's output layer.
    scratch: Vec<f64>,
}

/// The network's weights in the layout the engine wants.
struct Weights<'a> {
    thetas: &'a [Array2<f64>],
    /// `Theta(l)'` without the bias column (s_l x s_(l+1), padded rows): the forward pass.
    rest_t: Vec<Padded>,
    /// `Theta(l)` without the bias column (s_(l+1) x s_l, padded rows): the backward pass
    /// through the hidden layers (not needed for l = 1, whose delta is not propagated).
    rest: Vec<Padded>,
}

impl Weights<'_> {
    fn new(thetas: &[Array2<f64>]) -> Weights<'_> {
        let rest_t = thetas.iter().map(|t| Padded::from_view(t.slice(s![.., 1..]).t())).collect();
        let rest = thetas
            .iter()
            .enumerate()
            .map(|(l, t)| if l == 0 { Padded::zeros(0, 0) } else { Padded::from_view(t.slice(s![.., 1..])) })
            .collect();
        Weights { thetas, rest_t, rest }
    }
}

/// Cost terms of the output layer, and `delta(L) = h - y` in place of `z`.
///
/// The same quantities as the lecture's `nn_cost_function_deep` (the stable softplus
/// forms of the logs), with one exponential per output and one logarithm
/// per example: with `e = exp(-|z|)`,
/// `h = 1/(1+e)` if z >= 0, else `e/(1+e)`;
/// `-log h = max(-z, 0) + log(1+e)` and `-log(1-h) = max(z, 0) + log(1+e)`;
/// and the K terms `log(1+e)` of an example are added as the logarithm of
/// their product (each factor is in (1, 2]; with more than 500 outputs the
/// product is cashed in before it could overflow).
fn output_layer(kernel: Kernel, z: &mut Padded, outputs: usize, y: ArrayView1<usize>, e: &mut Vec<f64>) -> f64 {
    // Every exponential of the block in one pass (padding included: whole vectors).
    e.resize(z.data().len(), 0.0);
    exp_neg_abs(kernel, z.data(), e);
    let stride = z.stride;
    let mut cost = 0.0;
    for ((row, e), &label) in z.data_mut().chunks_exact_mut(stride).zip(e.chunks_exact(stride)).zip(y.iter()) {
        let mut product = 1.0;
        for (k, (z, &e)) in row[..outputs].iter_mut().zip(e).enumerate() {
            let is_label = k + 1 == label;
            product *= 1.0 + e;
            if product > 1e150 {
                cost += product.ln();
                product = 1.0;
            }
            cost += if is_label { (-*z).max(0.0) } else { z.max(0.0) };
            *z = sigmoid_from(*z, e) - if is_label { 1.0 } else { 0.0 };
        }
        cost += product.ln();
    }
    cost
}

/// `g(z)` from z and `e = exp(-|z|)`: `1/(1+e)` for z >= 0, `e/(1+e)` below
/// (no overflow either way; equal to `1/(1+exp(-z))` up to rounding).
#[inline]
fn sigmoid_from(z: f64, e: f64) -> f64 {
    let q = 1.0 / (1.0 + e); // one division for either side
    if z >= 0.0 {
        q
    } else {
        e * q
    }
}

/// `e[i] = exp(-|z[i]|)`, the one exponential the sigmoid and the logs need.
fn exp_neg_abs(kernel: Kernel, z: &[f64], e: &mut [f64]) {
    e.copy_from_slice(z);
    map_in_place_with(kernel.width(), e, |z| exp(-z.abs()));
}

/// `z = g(z)` in place.
fn sigmoid_in_place(kernel: Kernel, z: &mut [f64]) {
    map_in_place_with(kernel.width(), z, |z| sigmoid_from(z, exp(-z.abs())));
}

/// `a += b`, entry by entry.
fn add_into<'b>(a: &mut [f64], b: impl IntoIterator<Item = &'b f64>) {
    a.iter_mut().zip(b).for_each(|(a, b)| *a += b);
}

/// Adds the column sums of `delta` to `bias` (the bias column of a `Delta(l)`).
fn add_bias_column(bias: &mut [f64], delta: ArrayView2<f64>) {
    for row in delta.rows() {
        add_into(bias, row);
    }
}

impl Padded {
    /// `g(z)` in place on the first `cols` entries of every row (the padding stays zero).
    fn sigmoid_rows(&mut self, kernel: Kernel, cols: usize) {
        // One pass over the whole block (whole vectors), then the padding back to zero.
        sigmoid_in_place(kernel, self.data_mut());
        let stride = self.stride;
        for row in self.data_mut().chunks_exact_mut(stride) {
            row[cols..].fill(0.0);
        }
    }
}

/// Forward and backward pass over one block, adding into `acc`.
fn block_pass(kernel: Kernel, w: &Weights, x: &SparseInput, block: &Block, y: ArrayView1<usize>, acc: &mut Partial) {
    let thetas = w.thetas;
    let layers = thetas.len();
    let rows = block.rows;
    let hidden = thetas[0].nrows(); // s2 (or K when there is no hidden layer)
    let y = y.slice(s![block.first..block.first + rows]);

    // Layer 1: z(2) = b1 + X Theta1', strip by strip, into a padded buffer
    // that later holds a(2) and then delta(2).
    let mut first = Padded::bias_rows(rows, &thetas[0]);
    let stride = first.stride;
    for (s, strip) in block.strips.iter().enumerate() {
        let c0 = s * x.strip_cols;
        let weights = w.rest_t[0].rows_slice(c0, c0 + strip.cols);
        sparse_times_dense(kernel, strip, weights, first.data_mut(), stride);
    }

    if layers == 1 {
        acc.cost += output_layer(kernel, &mut first, hidden, y, &mut acc.scratch);
    } else {
        first.sigmoid_rows(kernel, hidden);
        // The other layers, dense, on this block only: z(l+1) = b(l) + a(l) Theta(l)'
        // (without its bias column), in padded rows like a(2).
        let mut acts: Vec<Padded> = Vec::with_capacity(layers - 1);
        for l in 1..layers {
            let (n_in, n_out) = (thetas[l - 1].nrows(), thetas[l].nrows());
            let mut z = Padded::bias_rows(rows, &thetas[l]);
            let input = acts.last().unwrap_or(&first).view(rows, n_in);
            let z_stride = z.stride;
            dense_times_dense(kernel, input, w.rest_t[l].data(), z.data_mut(), z_stride);
            if l + 1 < layers {
                z.sigmoid_rows(kernel, n_out);
            }
            acts.push(z);
        }
        let mut delta = acts.pop().expect("output layer");
        acc.cost += output_layer(kernel, &mut delta, thetas[layers - 1].nrows(), y, &mut acc.scratch);

        // Backward through the dense layers: Delta(l) += delta(l+1)' a(l), kept transposed.
        for l in (1..layers).rev() {
            let (n_in, n_out) = (thetas[l - 1].nrows(), thetas[l].nrows());
            let input = if l == 1 { &first } else { &acts[l - 2] };
            add_bias_column(&mut acc.bias[l], delta.view(rows, n_out));
            dense_times_dense(kernel, input.view(rows, n_in).t(), delta.data(), acc.rest_t[l].data_mut(), delta.stride);
            // delta(l) = (delta(l+1) Theta(l)) .* a (1 - a), without the bias column
            let mut back = Padded::zeros(rows, n_in);
            let back_stride = back.stride;
            dense_times_dense(kernel, delta.view(rows, n_out), w.rest[l].data(), back.data_mut(), back_stride);
            back.view_mut(rows, n_in).zip_mut_with(&input.view(rows, n_in), |d, &a| *d *= a * (1.0 - a));
            if l == 1 {
                first = back;
            } else {
                delta = back;
            }
        }
    }

    // Delta(1) += delta(2)' X: the bias column from the row sums, the rest by
    // the sparse kernel, column by column of X (into Delta(1)').
    add_bias_column(&mut acc.bias[0], first.view(rows, hidden));
    sparse_times_dense(kernel, &block.columns, first.data(), acc.rest_t[0].data_mut(), stride);
}

/// The sum over all rows of the cost terms, and the unscaled `Delta(l)` (the
/// caller divides by m and adds the regularization).
///
/// `thetas` must fit `x` (checked by the caller) and `y` has one label per row.
///
/// `threads` caps the threads of this evaluation (default: those `x` was
/// built with, all the cores); the result does not depend on it.
pub(crate) fn cost_and_deltas(
    thetas: &[Array2<f64>],
    x: &SparseInput,
    y: ArrayView1<usize>,
    kernel: Kernel,
    threads: Option<usize>,
) -> (f64, Vec<Array2<f64>>) {
    assert_eq!(thetas[0].ncols(), x.cols + 1, "Theta1 fits X");
    assert_eq!(y.len(), x.rows, "one label per row");
    let weights = Weights::new(thetas);

    // One group's partial sums, its blocks in order.
    let group = |g: usize| {
        let mut acc = Partial {
            cost: 0.0,
            bias: thetas.iter().map(|t| vec![0.0; t.nrows()]).collect(),
            rest_t: thetas.iter().map(|t| Padded::zeros(t.ncols() - 1, t.nrows())).collect(),
            scratch: Vec::new(),
        };
        let blocks = g * GROUP_BLOCKS..((g + 1) * GROUP_BLOCKS).min(x.blocks.len());
        for block in &x.blocks[blocks] {
            block_pass(kernel, &weights, x, block, y, &mut acc);
        }
        acc
    };
    let groups = x.blocks.len().div_ceil(GROUP_BLOCKS);
    let threads = threads.unwrap_or(x.threads).clamp(1, groups.max(1));
    let mut partials: Vec<(usize, Partial)> = if threads <= 1 {
        (0..groups).map(|g| (g, group(g))).collect()
    } else {
        // Each thread takes the next group not yet taken, so a thread slowed
        // down by another program on its core simply does fewer groups.
        let next = AtomicUsize::new(0);
        let done = Mutex::new(Vec::with_capacity(groups));
        let work = || loop {
            let g = next.fetch_add(1, Ordering::Relaxed);
            if g >= groups {
                return;
            }
            let partial = group(g);
            done.lock().unwrap_or_else(|p| p.into_inner()).push((g, partial));
        };
        // The engine's helper threads when they are free and enough, else threads of our own.
        let pool = Pool::global();
        if threads - 1 > pool.helpers() || !pool.run(threads - 1, &work) {
            std::thread::scope(|scope| {
                for _ in 1..threads {
                    scope.spawn(work);
                }
                work();
            });
        }
        done.into_inner().unwrap_or_else(|p| p.into_inner())
    };

    // Add the partial sums in group order: the result does not depend on
    // which thread did which group, nor on the number of threads.
    partials.sort_by_key(|(g, _)| *g);
    let mut partials = partials.into_iter().map(|(_, p)| p);
    let mut total = partials.next().expect("at least one group");
    for p in partials {
        total.cost += p.cost;
        for (a, b) in total.bias.iter_mut().zip(&p.bias) {
            add_into(a, b);
        }
        for (a, b) in total.rest_t.iter_mut().zip(&p.rest_t) {
            add_into(a.data_mut(), b.data());
        }
    }
    let deltas = thetas
        .iter()
        .enumerate()
        .map(|(l, t)| {
            let mut delta = Array2::zeros(t.dim());
            delta.column_mut(0).assign(&ArrayView1::from(&total.bias[l]));
            delta.slice_mut(s![.., 1..]).assign(&total.rest_t[l].view(t.ncols() - 1, t.nrows()).t());
            delta
        })
        .collect();
    (total.cost, deltas)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_support::pseudo_random;

    #[test]
    fn vector_exponential_and_sigmoid_match_the_scalar_ones() {
        let mut z: Vec<f64> = pseudo_random(4000, 13, 0.0).iter().map(|u| u * 20.0).collect();
        z.extend([
            0.0, -0.0, 1e-300, -1e-300, 0.3465, -0.3466, 36.9, -37.0, 707.9, -708.0, -708.5, 745.2, -745.2, 800.0,
            -1e10,
        ]);
        z.extend([f64::INFINITY, f64::NEG_INFINITY, f64::MIN_POSITIVE, -5e-324, 1.0, 2.0]);
        for kernel in Kernel::available() {
            for len in [z.len(), z.len() - 1, 3, 1, 0] {
                let z = &z[..len];
                let mut e = vec![0.0; len];
                exp_neg_abs(kernel, z, &mut e);
                let mut g = z.to_vec();
                sigmoid_in_place(kernel, &mut g);
                for ((&z, &e), &g) in z.iter().zip(&e).zip(&g) {
                    let want = (-z.abs()).exp();
                    assert!(
                        (e - want).abs() <= 4.0 * f64::EPSILON * want || (want < 1e-307 && e < 1e-307),
                        "exp(-|{z}|): {e} vs {want} ({kernel:?})"
                    );
                    let want = 1.0 / (1.0 + (-z).exp());
                    assert!(
                        (g - want).abs() <= 4.0 * f64::EPSILON * want || (want < 1e-307 && g < 1e-307),
                        "g({z}): {g} vs {want} ({kernel:?})"
                    );
                }
            }
            let mut nan = [f64::NAN; 5];
            sigmoid_in_place(kernel, &mut nan);
            assert!(nan.iter().all(|v| v.is_nan()));
            let mut e = [0.0; 5];
            exp_neg_abs(kernel, &[f64::NAN; 5], &mut e);
            assert!(e.iter().all(|v| v.is_nan()));
        }
    }
}
