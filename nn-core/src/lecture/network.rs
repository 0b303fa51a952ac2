//! The network: layer sizes and the weight matrices Theta(l).
//!
//! `Theta(l)` maps layer l to layer l+1 and is `s(l+1) x (s(l) + 1)`: column 0
//! multiplies the bias unit. The course's network is 400-25-10, so
//! `theta1` is 25x401 and `theta2` is 10x26.
//!
//! Parameters are *unrolled* into one vector the MATLAB way,
//! `[Theta1(:); Theta2(:)]`, column by column, so a vector saved from Octave
//! means the same thing here.
//!
//! ```
//! use nn_core::{Network, Init};
//! let net = Network::random(&[400, 25, 10], Init::default(), 42).unwrap();
//! assert_eq!(net.theta1().dim(), (25, 401));
//! assert_eq!(net.theta2().dim(), (10, 26));
//! let params = net.unroll();
//! assert_eq!(params.len(), 25 * 401 + 10 * 26);
//! let back = Network::reroll(params.as_slice().unwrap(), &[400, 25, 10]).unwrap();
//! assert_eq!(back, net);
//! ```

use ndarray::{Array1, Array2, ArrayView2, Axis, ShapeBuilder};
use ndarray_rand::rand::rngs::StdRng;
use ndarray_rand::rand::SeedableRng;
use ndarray_rand::rand_distr::Uniform;
use ndarray_rand::RandomExt;

use super::data::Dataset;
use super::sigmoid::sigmoid;
use crate::error::{check_non_negative, first_non_finite, shape_str, NnError, Result};

/// A feed-forward sigmoid network: one Theta per layer transition.
#[derive(Clone, Debug, PartialEq)]
pub struct Network {
    thetas: Vec<Array2<f64>>,
}

/// How to draw the initial weights.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Init {
    /// Uniform in `[-epsilon, epsilon]`; the course uses `epsilon = 0.12`.
    Epsilon(f64),
    /// Uniform in `[-e, e]` with `e = sqrt(6) / sqrt(l_in + l_out)` per layer
    /// (the rule the course's notes suggest; 0.12 is its value for 400-25).
    SqrtSix,
}

impl Default for Init {
    fn default() -> Self {
        Init::Epsilon(0.12)
    }
}

impl Init {
    /// The epsilon this rule gives for a layer with `l_in` inputs and `l_out` outputs.
    pub fn epsilon(&self, l_in: usize, l_out: usize) -> f64 {
        match *self {
            Init::Epsilon(e) => e,
            Init::SqrtSix => 6f64.sqrt() / ((l_in + l_out) as f64).sqrt(),
        }
    }
}

/// A seeded random generator, so notebooks give the same numbers every run.
pub fn seeded_rng(seed: u64) -> StdRng {
    StdRng::seed_from_u64(seed)
}

/// Random weights for a layer with `l_in` inputs and `l_out` outputs:
/// an `l_out x (1 + l_in)` matrix uniform in `[-epsilon, epsilon]`.
///
/// Random (not zero) initial weights break the symmetry: with equal weights
/// every hidden unit would compute, and learn, the same function.
///
/// ```
/// use nn_core::lecture::network::{rand_initialize_weights, seeded_rng};
/// let w = rand_initialize_weights(400, 25, 0.12, &mut seeded_rng(0));
/// assert_eq!(w.dim(), (25, 401));
/// assert!(w.iter().all(|v| v.abs() <= 0.12));
/// ```
///
/// # Panics
/// When `l_out x (1 + l_in)` does not fit in memory arithmetic (a usize);
/// [`Network::random`] checks the sizes first and returns an error instead.
pub fn rand_initialize_weights(l_in: usize, l_out: usize, epsilon: f64, rng: &mut StdRng) -> Array2<f64> {
    weight_count(l_out, l_in, "rand_initialize_weights");
    let e = if epsilon.is_finite() { epsilon.abs() } else { 0.0 };
    if e == 0.0 {
        return Array2::zeros((l_out, 1 + l_in));
    }
    match Uniform::new_inclusive(-e, e) {
        Ok(dist) => Array2::random_using((l_out, 1 + l_in), dist, rng),
        // e so large that 2e overflows: draw in [-1, 1] and scale.
        Err(_) => Array2::random_using((l_out, 1 + l_in), Uniform::new_inclusive(-1.0, 1.0).expect("finite"), rng) * e,
    }
}

/// `rows x (1 + cols)`, or a panic naming `who` when it does not fit in a usize.
fn weight_count(rows: usize, inputs: usize, who: &str) -> usize {
    match inputs.checked_add(1).and_then(|c| c.checked_mul(rows)) {
        Some(n) if n <= isize::MAX as usize / 8 => n,
        _ => panic!("{who}: {rows} x (1 + {inputs}) weights do not fit in memory"),
    }
}

/// Checks layer sizes as every constructor does: at least an input and an output
/// layer, no empty layer, and every Theta small enough to allocate and to save in
/// one MAT variable. Call it before allocating anything sized by `sizes`.
pub(crate) fn check_layer_sizes(sizes: &[usize]) -> Result<()> {
    if sizes.len() < 3 {
        return Err(NnError::InvalidArgument {
            name: "layer sizes",
            reason: format!("need an input layer, at least one hidden layer and an output layer (e.g. [400, 25, 10]), got {sizes:?}"),
        });
    }
    if let Some(i) = sizes.iter().position(|&s| s == 0) {
        return Err(NnError::InvalidArgument {
            name: "layer sizes",
            reason: format!("layer {} of {sizes:?} has no units", i + 1),
        });
    }
    // Every Theta must fit in memory arithmetic and in one MAT v5 variable (4 GiB),
    // so that any network that can be made can also be saved and loaded back.
    for (l, w) in sizes.windows(2).enumerate() {
        let weights = w[0].checked_add(1).and_then(|cols| cols.checked_mul(w[1]));
        if weights.is_none_or(|n| n > MAX_THETA_WEIGHTS) {
            return Err(NnError::InvalidArgument {
                name: "layer sizes",
                reason: format!(
                    "Theta{} would be {}x({}+1): more than {MAX_THETA_WEIGHTS} weights, the most one MAT file variable can hold",
                    l + 1,
                    w[1],
                    w[0]
                ),
            });
        }
    }
    Ok(())
}

/// The most weights one Theta may have: a MAT v5 variable holds at most 4 GiB of 8-byte doubles.
pub const MAX_THETA_WEIGHTS: usize = (u32::MAX as usize - 4096) / 8;

/// Number of parameters of a network with these layer sizes (`usize::MAX`
/// when that does not fit: no network can be that large).
pub fn param_count(sizes: &[usize]) -> usize {
    sizes.windows(2).fold(0usize, |n, w| n.saturating_add(w[1].saturating_mul(w[0].saturating_add(1))))
}

/// `[Theta1(:); Theta2(:); ...]`: every matrix column by column (MATLAB order).
///
/// ```
/// use ndarray::array;
/// let t = array![[1.0, 2.0], [3.0, 4.0]];
/// assert_eq!(nn_core::lecture::network::unroll(&[t]).to_vec(), vec![1.0, 3.0, 2.0, 4.0]);
/// ```
pub fn unroll(thetas: &[Array2<f64>]) -> Array1<f64> {
    let mut out = Vec::with_capacity(thetas.iter().map(|t| t.len()).sum());
    for t in thetas {
        out.extend(t.t().iter().copied());
    }
    Array1::from(out)
}

impl Network {
    /// Builds a network from its Thetas, checking that the shapes chain:
    /// `Theta(l+1)` must have `rows(Theta(l)) + 1` columns.
    pub fn new(thetas: Vec<Array2<f64>>) -> Result<Network> {
        if thetas.len() < 2 {
            return Err(NnError::InvalidArgument {
                name: "thetas",
                reason: format!("a network needs at least two Thetas (one hidden layer), got {}", thetas.len()),
            });
        }
        for (l, t) in thetas.iter().enumerate() {
            if t.nrows() == 0 || t.ncols() < 2 {
                return Err(NnError::Shape {
                    what: format!("Theta{}", l + 1),
                    expected: "at least 1 row and 2 columns (bias + one input)".into(),
                    got: shape_str(t.nrows(), t.ncols()),
                });
            }
            if let Some((r, c, v)) = first_non_finite(t.view()) {
                return Err(NnError::NonFinite { what: format!("Theta{}", l + 1), row: r, col: c, value: v });
            }
            if l > 0 {
                let prev = &thetas[l - 1];
                if t.ncols() != prev.nrows() + 1 {
                    // A transposed Theta(l-1): Theta(l)'s columns fit its column count instead.
                    if t.ncols() == prev.ncols() + 1 && prev.nrows() >= 2 {
                        return Err(NnError::Shape {
                            what: format!("Theta{l}"),
                            expected: format!(
                                "{}x{} (Theta{} has {} columns: {} units plus the bias)",
                                prev.ncols(),
                                prev.nrows(),
                                l + 1,
                                t.ncols(),
                                prev.ncols()
                            ),
                            got: format!(
                                "{} — is Theta{l} transposed? Use Theta{l}' (MATLAB/Octave) or .T (numpy)",
                                shape_str(prev.nrows(), prev.ncols())
                            ),
                        });
                    }
                    let transposed = if t.nrows() == prev.nrows() + 1 {
                        format!(" — is Theta{} transposed? Use Theta{}' (MATLAB/Octave) or .T (numpy)", l + 1, l + 1)
                    } else {
                        String::new()
                    };
                    return Err(NnError::Shape {
                        what: format!("Theta{}", l + 1),
                        expected: format!(
                            "{}x{} (Theta{} has {} rows, plus the bias column)",
                            t.nrows(),
                            prev.nrows() + 1,
                            l,
                            prev.nrows()
                        ),
                        got: format!("{}{transposed}", shape_str(t.nrows(), t.ncols())),
                    });
                }
            }
        }
        Ok(Network { thetas })
    }

    /// Random initial weights for the given layer sizes (e.g. `[400, 25, 10]`),
    /// drawn layer by layer from one generator seeded with `seed`.
    pub fn random(sizes: &[usize], init: Init, seed: u64) -> Result<Network> {
        check_layer_sizes(sizes)?;
        if let Init::Epsilon(e) = init {
            check_non_negative("epsilon", e)?;
        }
        let mut rng = seeded_rng(seed);
        let thetas =
            sizes.windows(2).map(|w| rand_initialize_weights(w[0], w[1], init.epsilon(w[0], w[1]), &mut rng)).collect();
        Ok(Network { thetas })
    }

    /// The course's deterministic debug network (`debugInitializeWeights` per layer).
    pub fn debug(sizes: &[usize]) -> Result<Network> {
        check_layer_sizes(sizes)?;
        let thetas = sizes.windows(2).map(|w| debug_initialize_weights(w[1], w[0])).collect();
        Ok(Network { thetas })
    }

    /// Rebuilds a network from an unrolled vector (`[Theta1(:); Theta2(:)]`).
    pub fn reroll(params: &[f64], sizes: &[usize]) -> Result<Network> {
        check_layer_sizes(sizes)?;
        let expected = param_count(sizes);
        if params.len() != expected {
            return Err(NnError::ParamLength { expected, got: params.len(), sizes: sizes.to_vec() });
        }
        let mut offset = 0;
        let mut thetas = Vec::with_capacity(sizes.len() - 1);
        for w in sizes.windows(2) {
            let (rows, cols) = (w[1], w[0] + 1);
            let chunk = &params[offset..offset + rows * cols];
            // Column-major view of the chunk, copied into a standard (row-major) matrix.
            let view = ArrayView2::from_shape((rows, cols).f(), chunk).expect("length checked above");
            thetas.push(view.to_owned().as_standard_layout().into_owned());
            offset += rows * cols;
        }
        Ok(Network { thetas })
    }

    /// All parameters as one vector, MATLAB column-major order.
    pub fn unroll(&self) -> Array1<f64> {
        unroll(&self.thetas)
    }

    /// Layer sizes, input first: `[400, 25, 10]` for the course's network.
    pub fn layer_sizes(&self) -> Vec<usize> {
        let mut sizes = vec![self.thetas[0].ncols() - 1];
        sizes.extend(self.thetas.iter().map(|t| t.nrows()));
        sizes
    }

    /// Number of inputs (400 for 20x20 images).
    pub(crate) fn input_size(&self) -> usize {
        self.thetas[0].ncols() - 1
    }

    /// Number of output units = number of classes K.
    pub fn num_labels(&self) -> usize {
        self.thetas.last().map(|t| t.nrows()).unwrap_or(0)
    }

    /// Total number of weights, bias weights included.
    pub fn param_count(&self) -> usize {
        self.thetas.iter().map(|t| t.len()).sum()
    }

    /// Every Theta, `thetas()[0]` is Theta1.
    pub fn thetas(&self) -> &[Array2<f64>] {
        &self.thetas
    }

    /// `Theta(l)`, 1-based like the lecture: `theta(1)` is Theta1. `None` past the last layer.
    pub fn theta(&self, l: usize) -> Option<&Array2<f64>> {
        l.checked_sub(1).and_then(|i| self.thetas.get(i))
    }

    /// Theta1: input layer to the first hidden layer.
    pub fn theta1(&self) -> &Array2<f64> {
        &self.thetas[0]
    }

    /// Theta2: the second matrix (hidden to output for the course's network).
    /// Every network has one: [`Network::new`] asks for at least two Thetas.
    pub fn theta2(&self) -> &Array2<f64> {
        match self.thetas.get(1) {
            Some(t) => t,
            None => panic!(
                "theta2(): this network has only Theta1 (layer sizes {:?}); theta(2) gives None instead of panicking",
                self.layer_sizes()
            ),
        }
    }

    /// Theta1 without its bias column, one hidden unit per row: what the
    /// hidden-units picture shows (each row is a 20x20 image).
    pub fn hidden_unit_weights(&self) -> ArrayView2<'_, f64> {
        self.thetas[0].slice(ndarray::s![.., 1..])
    }

    /// Checks that `x` has one column per input unit.
    pub(crate) fn check_inputs(&self, what: &str, x: ArrayView2<f64>) -> Result<()> {
        if x.ncols() != self.input_size() {
            return Err(NnError::Shape {
                what: what.to_string(),
                expected: format!("m x {} (one column per input unit)", self.input_size()),
                got: shape_str(x.nrows(), x.ncols()),
            });
        }
        Ok(())
    }

    /// Predicted labels `1..=K` for each row of `x` (the course's `predict.m`):
    /// the output unit with the largest activation, ties to the lower label.
    pub fn predict(&self, x: &Array2<f64>) -> Result<Array1<usize>> {
        let ff = feedforward(self, x)?;
        Ok(ff
            .h()
            .axis_iter(Axis(0))
            .map(|row| {
                let mut best = 0;
                for (k, &v) in row.iter().enumerate() {
                    if v > row[best] {
                        best = k;
                    }
                }
                best + 1
            })
            .collect())
    }

    /// The fraction of `data`'s examples whose predicted label is right (0..=1):
    /// the course's `mean(double(pred == y))`.
    pub fn accuracy(&self, data: &Dataset) -> Result<f64> {
        if data.num_labels() != self.num_labels() {
            return Err(NnError::Shape {
                what: "the data's labels".into(),
                expected: format!("labels 1..={} (one per output unit)", self.num_labels()),
                got: format!("labels 1..={}", data.num_labels()),
            });
        }
        if data.is_empty() {
            return Err(NnError::InvalidArgument { name: "data", reason: "no examples to score".into() });
        }
        let pred = self.predict(data.x())?;
        let right = pred.iter().zip(data.y()).filter(|(p, y)| p == y).count();
        Ok(right as f64 / data.len() as f64)
    }
}

/// Every layer's values for a batch, in the lecture's names:
/// `a(1) = [1 X]`, `z(2) = a(1) Theta1'`, `a(2) = [1 g(z(2))]`, ..., `a(L) = h`.
///
/// Hidden and input activations carry the bias column of ones first, like the
/// course's code; the output activation `h` has none.
#[derive(Clone, Debug)]
pub struct Feedforward {
    /// `a[0]` is a(1) = [1 X]; the last entry is h (no bias column). Read with [`Feedforward::a`].
    a: Vec<Array2<f64>>,
    /// `z[0]` is z(2); `z[l - 2]` is z(l). Read with [`Feedforward::z`].
    z: Vec<Array2<f64>>,
}

impl Feedforward {
    /// L, the number of layers: the input, the hidden layers and the output (3 for 400-25-10).
    pub fn layers(&self) -> usize {
        self.a.len()
    }

    /// a(l), 1-based like the lecture (a(1) is the input with its bias column).
    ///
    /// # Panics
    /// Like indexing, when there is no layer l (l = 0 or past the output), with a
    /// message naming the layers there are.
    pub fn a(&self, l: usize) -> &Array2<f64> {
        match l.checked_sub(1).and_then(|i| self.a.get(i)) {
            Some(a) => a,
            None => panic!("there is no a({l}): this network has a(1)..a({})", self.a.len()),
        }
    }
    /// z(l) for l >= 2 (there is no z(1)).
    ///
    /// # Panics
    /// Like indexing, when there is no z(l) (l < 2 or past the output), naming the ones there are.
    pub fn z(&self, l: usize) -> &Array2<f64> {
        match l.checked_sub(2).and_then(|i| self.z.get(i)) {
            Some(z) => z,
            None => panic!(
                "there is no z({l}): this network has z(2)..z({}) (no z(1): the input has no z)",
                self.z.len() + 1
            ),
        }
    }
    /// The output h = a(L): one row per example, one column per class.
    pub fn h(&self) -> &Array2<f64> {
        self.a(self.layers())
    }
}

/// `[1 A]`: a column of ones (the bias unit) before the columns of `a`.
/// (Row by row into one buffer: X is copied once, not written twice.)
pub(crate) fn with_bias(a: ArrayView2<f64>) -> Array2<f64> {
    let mut out = Vec::with_capacity(a.nrows() * (a.ncols() + 1));
    for row in a.rows() {
        out.push(1.0);
        match row.as_slice() {
            Some(values) => out.extend_from_slice(values), // a row in memory order: one copy
            None => out.extend(row.iter()),
        }
    }
    Array2::from_shape_vec((a.nrows(), a.ncols() + 1), out).expect("m rows of 1 + n values")
}

/// Forward propagation, returning every layer's z and a (bias columns included)
/// for students to print and inspect.
///
/// ```
/// use nn_core::{Network, feedforward};
/// let net = Network::debug(&[3, 5, 3]).unwrap();
/// let x = ndarray::Array2::<f64>::zeros((4, 3));
/// let ff = feedforward(&net, &x).unwrap();
/// assert_eq!(ff.a(1).dim(), (4, 4));  // [1 X]
/// assert_eq!(ff.z(2).dim(), (4, 5));
/// assert_eq!(ff.a(2).dim(), (4, 6));  // [1 g(z2)]
/// assert_eq!(ff.h().dim(), (4, 3));
/// assert_eq!(ff.layers(), 3);
/// ```
pub fn feedforward(network: &Network, x: &Array2<f64>) -> Result<Feedforward> {
    network.check_inputs("X", x.view())?;
    if let Some((r, c, v)) = first_non_finite(x.view()) {
        return Err(NnError::NonFinite { what: "X".into(), row: r, col: c, value: v });
    }
    let thetas = network.thetas();
    let mut a = vec![with_bias(x.view())];
    let mut z = Vec::with_capacity(thetas.len());
    for (l, theta) in thetas.iter().enumerate() {
        let zl = a[l].dot(&theta.t());
        let g = sigmoid(&zl);
        a.push(if l + 1 == thetas.len() { g } else { with_bias(g.view()) });
        z.push(zl);
    }
    Ok(Feedforward { a, z })
}

/// The course's deterministic "random" weights: `sin(1:numel)/10` reshaped
/// column-major to `fan_out x (1 + fan_in)`.
///
/// ```
/// let w = nn_core::debug_initialize_weights(2, 1);
/// // MATLAB: reshape(sin(1:4), 2, 2) / 10 = [sin(1) sin(3); sin(2) sin(4)] / 10
/// assert!((w[[0, 1]] - 3f64.sin() / 10.0).abs() < 1e-15);
/// assert!((w[[1, 0]] - 2f64.sin() / 10.0).abs() < 1e-15);
/// ```
///
/// # Panics
/// When `fan_out x (1 + fan_in)` does not fit in memory arithmetic (a usize);
/// [`Network::debug`] checks the sizes first and returns an error instead.
pub fn debug_initialize_weights(fan_out: usize, fan_in: usize) -> Array2<f64> {
    let n = weight_count(fan_out, fan_in, "debug_initialize_weights");
    let values: Vec<f64> = (1..=n).map(|i| (i as f64).sin() / 10.0).collect();
    Array2::from_shape_vec((fan_out, 1 + fan_in).f(), values)
        .expect("n = rows * cols")
        .as_standard_layout()
        .into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;
    use ndarray::array;

    #[test]
    fn unroll_is_column_major_like_matlab() {
        // Theta1 = [1 2 3; 4 5 6] (2x3), Theta2 = [7 8 9] (1x3).
        // MATLAB: [Theta1(:); Theta2(:)] = [1 4 2 5 3 6 7 8 9].
        let net = Network::new(vec![array![[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]], array![[7.0, 8.0, 9.0]]]).unwrap();
        assert_eq!(net.unroll().to_vec(), vec![1.0, 4.0, 2.0, 5.0, 3.0, 6.0, 7.0, 8.0, 9.0]);
        let back = Network::reroll(&[1.0, 4.0, 2.0, 5.0, 3.0, 6.0, 7.0, 8.0, 9.0], &[2, 2, 1]).unwrap();
        assert_eq!(back, net);
        assert_eq!(back.layer_sizes(), vec![2, 2, 1]);
    }

    #[test]
    fn reroll_rejects_wrong_length() {
        let err = Network::reroll(&[0.0; 10], &[400, 25, 10]).unwrap_err();
        assert!(matches!(err, NnError::ParamLength { expected: 10285, got: 10, .. }), "{err}");
        assert!(err.to_string().contains("10285"));
    }

    #[test]
    fn new_rejects_transposed_theta() {
        let t1 = Array2::<f64>::zeros((25, 401));
        let t2 = Array2::<f64>::zeros((26, 10)); // transposed Theta2
        let err = Network::new(vec![t1, t2]).unwrap_err();
        let msg = err.to_string();
        assert!(msg.contains("Theta2") && msg.contains("26x10") && !msg.contains("10x26"), "{msg}");
        assert!(msg.contains("26x26") || msg.contains("x26"), "{msg}");
        assert!(msg.contains("is Theta2 transposed?"), "{msg}");
        // A transposed Theta1 is blamed on Theta1, not on the Theta2 that follows it.
        let err = Network::new(vec![Array2::zeros((401, 25)), Array2::zeros((10, 26))]).unwrap_err();
        let msg = err.to_string();
        assert!(msg.starts_with("Theta1 ") && msg.contains("25x401") && msg.contains("is Theta1 transposed?"), "{msg}");
    }

    #[test]
    fn new_rejects_nan_weights() {
        let err = Network::new(vec![array![[0.0, f64::NAN]], array![[0.0, 1.0]]]).unwrap_err();
        assert!(err.to_string().contains("row 1, column 2"), "{err}");
    }

    #[test]
    fn random_is_seeded_bounded_and_deep() {
        let a = Network::random(&[400, 25, 25, 10], Init::default(), 7).unwrap();
        let b = Network::random(&[400, 25, 25, 10], Init::default(), 7).unwrap();
        let c = Network::random(&[400, 25, 25, 10], Init::default(), 8).unwrap();
        assert_eq!(a, b);
        assert_ne!(a, c);
        assert_eq!(a.layer_sizes(), vec![400, 25, 25, 10]);
        assert!(a.unroll().iter().all(|v| v.abs() <= 0.12));
        // Spread: a uniform on [-0.12, 0.12] has max |w| close to 0.12 over 10k draws.
        let max = a.unroll().iter().fold(0.0f64, |m, v| m.max(v.abs()));
        assert!(max > 0.119, "{max}");
        let e = Init::SqrtSix.epsilon(400, 25);
        assert!((e - 0.118_818).abs() < 1e-5, "{e}");
        assert!(Network::random(&[400, 25, 10], Init::Epsilon(-1.0), 0).is_err());
        assert!(Network::random(&[400], Init::default(), 0).is_err());
        assert!(Network::random(&[400, 10], Init::default(), 0).is_err(), "no hidden layer");
        assert!(Network::new(vec![array![[0.0, 1.0]]]).unwrap_err().to_string().contains("two Thetas"));
        assert!(Network::debug(&[400, 0, 10]).is_err());
        assert!(Network::random(&[400, 0, 10], Init::default(), 0).is_err());
        assert!(Network::debug(&[400, 0, 10]).is_err());
        // Sizes whose Thetas overflow or could not be saved are refused, not allocated.
        for sizes in [&[usize::MAX, 2, 2][..], &[2, usize::MAX, 2], &[100_000, 100_000, 10], &[1 << 40, 1 << 40, 2]] {
            let e = Network::random(sizes, Init::default(), 0).unwrap_err();
            assert!(e.to_string().contains("Theta1 would be"), "{e}");
            assert!(Network::reroll(&[], sizes).is_err());
        }
        // A huge epsilon still gives finite weights (uniform in [-1e308, 1e308]).
        let big = Network::random(&[3, 2, 2], Init::Epsilon(1e308), 0).unwrap();
        assert!(big.unroll().iter().all(|v| v.is_finite()));
    }

    #[test]
    fn accuracy_counts_matches() {
        // One output unit per label; the network predicts the label with the largest input.
        let net =
            Network::new(vec![array![[0.0, 1.0, 0.0], [0.0, 0.0, 1.0]], array![[0.0, 1.0, 0.0], [0.0, 0.0, 1.0]]])
                .unwrap();
        let data = Dataset::new(array![[2.0, 1.0], [0.0, 1.0], [3.0, 0.0], [1.0, 4.0]], array![1, 2, 2, 2], 2).unwrap();
        assert_eq!(net.predict(data.x()).unwrap(), array![1, 2, 1, 2]);
        assert_eq!(net.accuracy(&data).unwrap(), 0.75);
        let three = Dataset::new(array![[0.0, 1.0]], array![3], 3).unwrap();
        assert!(net.accuracy(&three).unwrap_err().to_string().contains("labels 1..=2"));
        let e = net.predict(&array![[f64::NAN, 0.0]]).unwrap_err();
        assert!(e.to_string().contains("row 1, column 1"), "{e}");
    }
}
