//! Reading the exercise's data: the digits (`X`, `y`) and the weights
//! (`Theta1`, `Theta2`, ...) from MATLAB `.mat` files, in the course's layout.
//!
//! - `X` is m x 400: one example per row, each 20x20 image unrolled column by
//!   column (MATLAB order).
//! - `y` is m x 1 with labels `1..=10`; label 10 means the digit zero.
//!
//! ```no_run
//! use nn_core::{Dataset, Network};
//! let data = Dataset::load("data/digits.mat")?;
//! let net = Network::load("data/weights.mat")?;
//! println!("{} examples, accuracy {:.2}%", data.len(), 100.0 * net.accuracy(&data.x, &data.y)?);
//! # Ok::<(), nn_core::NnError>(())
//! ```

use std::path::{Path, PathBuf};

use ndarray::{Array1, Array2, ArrayView2, Axis, ShapeBuilder};

use crate::error::{shape_str, NnError, Result};
use crate::network::{first_non_finite, Network};

/// The course's number of classes: digits 1..9 and 10 for zero.
pub const NUM_LABELS: usize = 10;

/// Examples and their labels.
#[derive(Clone, Debug, PartialEq)]
pub struct Dataset {
    /// m x n, one example per row.
    pub x: Array2<f64>,
    /// m labels in `1..=num_labels`.
    pub y: Array1<usize>,
    /// K, the number of classes.
    pub num_labels: usize,
}

impl Dataset {
    /// Checks and wraps `x` and `y`: same number of rows, every value of `x`
    /// finite, every label in `1..=num_labels`.
    pub fn new(x: Array2<f64>, y: Array1<usize>, num_labels: usize) -> Result<Dataset> {
        if y.len() != x.nrows() {
            return Err(NnError::Shape {
                what: "y".into(),
                expected: format!("{} labels (one per row of X)", x.nrows()),
                got: format!("{} labels", y.len()),
            });
        }
        if let Some((r, c, v)) = first_non_finite(x.view()) {
            return Err(NnError::NonFinite { what: "X".into(), row: r, col: c, value: v });
        }
        check_labels("y", &y, num_labels)?;
        Ok(Dataset { x, y, num_labels })
    }

    /// Loads `X` and `y` from an ex4data1-style `.mat` file (labels `1..=10`).
    pub fn load(path: impl AsRef<Path>) -> Result<Dataset> {
        Self::load_with_labels(path, NUM_LABELS)
    }

    /// Like [`Dataset::load`], for `num_labels` classes.
    pub fn load_with_labels(path: impl AsRef<Path>, num_labels: usize) -> Result<Dataset> {
        let path = path.as_ref();
        let mat = read_mat(path)?;
        let x = matrix(&mat, path, "X")?;
        let yv = matrix(&mat, path, "y")?;
        if yv.ncols() != 1 && yv.nrows() != 1 {
            return Err(NnError::Shape {
                what: format!("y in {}", path.display()),
                expected: format!("{}x1 (a column of labels)", x.nrows()),
                got: shape_str(yv.nrows(), yv.ncols()),
            });
        }
        let y = labels_from_f64(&format!("y in {}", path.display()), yv.iter().copied(), num_labels)?;
        if let Some((r, c, v)) = first_non_finite(x.view()) {
            return Err(NnError::NonFinite { what: format!("X in {}", path.display()), row: r, col: c, value: v });
        }
        if y.len() != x.nrows() {
            return Err(NnError::Shape {
                what: format!("y in {}", path.display()),
                expected: format!("{}x1 (one label per row of X)", x.nrows()),
                got: shape_str(yv.nrows(), yv.ncols()),
            });
        }
        Ok(Dataset { x, y, num_labels })
    }

    /// Number of examples m.
    pub fn len(&self) -> usize {
        self.x.nrows()
    }

    /// True when there are no examples.
    pub fn is_empty(&self) -> bool {
        self.x.nrows() == 0
    }

    /// Number of features n (400 for 20x20 images).
    pub fn num_features(&self) -> usize {
        self.x.ncols()
    }

    /// The labels as one-hot rows: m x K, row i has a 1 in column `y[i] - 1`.
    pub fn one_hot(&self) -> Array2<f64> {
        one_hot(&self.y, self.num_labels)
    }

    /// The examples at the given row indices, in that order.
    pub fn select(&self, rows: &[usize]) -> Result<Dataset> {
        if let Some(&bad) = rows.iter().find(|&&r| r >= self.len()) {
            return Err(NnError::InvalidArgument {
                name: "row index",
                reason: format!("row {bad} is past the last of {} examples", self.len()),
            });
        }
        Ok(Dataset {
            x: self.x.select(Axis(0), rows),
            y: rows.iter().map(|&r| self.y[r]).collect(),
            num_labels: self.num_labels,
        })
    }

    /// How many examples carry each label: `counts[k - 1]` for label k.
    pub fn label_counts(&self) -> Vec<usize> {
        let mut counts = vec![0; self.num_labels];
        for &l in &self.y {
            counts[l - 1] += 1;
        }
        counts
    }

    /// Example `i` as an upright `side x side` image (pixels are stored column-major).
    pub fn image(&self, i: usize) -> Result<Array2<f64>> {
        if i >= self.len() {
            return Err(NnError::InvalidArgument {
                name: "example index",
                reason: format!("example {i} is past the last of {} examples", self.len()),
            });
        }
        unrolled_to_image(self.x.row(i).as_slice().unwrap_or(&self.x.row(i).to_vec()))
    }
}

/// The digit a label stands for: label 10 is the digit 0, others are themselves.
pub fn label_to_digit(label: usize) -> usize {
    if label == 10 {
        0
    } else {
        label
    }
}

/// One-hot encoding of labels `1..=k`: an m x k matrix of 0s and 1s.
///
/// ```
/// let y = ndarray::array![2usize, 1];
/// assert_eq!(nn_core::data::one_hot(&y, 3), ndarray::array![[0.0, 1.0, 0.0], [1.0, 0.0, 0.0]]);
/// ```
pub fn one_hot(y: &Array1<usize>, k: usize) -> Array2<f64> {
    let mut out = Array2::zeros((y.len(), k));
    for (i, &l) in y.iter().enumerate() {
        if (1..=k).contains(&l) {
            out[[i, l - 1]] = 1.0;
        }
    }
    out
}

/// An unrolled square image (column-major, MATLAB's `X(i,:)`) as an upright matrix.
pub fn unrolled_to_image(pixels: &[f64]) -> Result<Array2<f64>> {
    let side = (pixels.len() as f64).sqrt().round() as usize;
    if side * side != pixels.len() || side == 0 {
        return Err(NnError::Shape {
            what: "image".into(),
            expected: "a square number of pixels (400 for 20x20)".into(),
            got: format!("{} pixels", pixels.len()),
        });
    }
    let view = ArrayView2::from_shape((side, side).f(), pixels).expect("length is side * side");
    Ok(view.to_owned())
}

pub(crate) fn check_labels(what: &str, y: &Array1<usize>, k: usize) -> Result<()> {
    if let Some((row, &l)) = y.iter().enumerate().find(|(_, &l)| l == 0 || l > k) {
        return Err(NnError::Label { what: what.to_string(), row, value: l as f64, k });
    }
    Ok(())
}

fn labels_from_f64(what: &str, values: impl Iterator<Item = f64>, k: usize) -> Result<Array1<usize>> {
    let mut out = Vec::new();
    for (row, v) in values.enumerate() {
        if !(v.fract() == 0.0 && v >= 1.0 && v <= k as f64) {
            return Err(NnError::Label { what: what.to_string(), row, value: v, k });
        }
        out.push(v as usize);
    }
    Ok(Array1::from(out))
}

impl Network {
    /// Loads `Theta1`, `Theta2`, ... (as many as the file has, in order) from a
    /// `.mat` file such as the course's `ex4weights.mat`.
    pub fn load(path: impl AsRef<Path>) -> Result<Network> {
        let path = path.as_ref();
        let mat = read_mat(path)?;
        let mut thetas = vec![matrix(&mat, path, "Theta1")?];
        let mut l = 2;
        while mat.find_by_name(&format!("Theta{l}")).is_some() {
            thetas.push(matrix(&mat, path, &format!("Theta{l}"))?);
            l += 1;
        }
        Network::new(thetas).map_err(|e| match e {
            NnError::Shape { what, expected, got } => {
                NnError::Shape { what: format!("{what} in {}", path.display()), expected, got }
            }
            NnError::NonFinite { what, row, col, value } => {
                NnError::NonFinite { what: format!("{what} in {}", path.display()), row, col, value }
            }
            other => other,
        })
    }

    /// Loads a network and checks it has the expected layer sizes, e.g.
    /// `[400, 25, 10]` — catches a transposed or mismatched Theta early.
    pub fn load_expecting(path: impl AsRef<Path>, sizes: &[usize]) -> Result<Network> {
        let path = path.as_ref();
        let net = Network::load(path)?;
        let got = net.layer_sizes();
        if got != sizes {
            let l = got.len().min(sizes.len()).max(2);
            let (which, exp, have) = (1..l)
                .find_map(|i| {
                    let e = (sizes.get(i).copied().unwrap_or(0), sizes.get(i - 1).map_or(0, |s| s + 1));
                    let g = net.theta(i).map(|t| t.dim()).unwrap_or((0, 0));
                    (e != g).then_some((i, e, g))
                })
                .unwrap_or((1, (sizes[1], sizes[0] + 1), net.theta1().dim()));
            return Err(NnError::Shape {
                what: format!("Theta{which} in {}", path.display()),
                expected: format!("{} (layer sizes {sizes:?})", shape_str(exp.0, exp.1)),
                got: format!("{} (layer sizes {got:?})", shape_str(have.0, have.1)),
            });
        }
        Ok(net)
    }
}

/// Reads and parses a `.mat` file, turning every failure into an error that
/// names the file and, where it can, the cause.
pub fn read_mat(path: &Path) -> Result<matfile::MatFile> {
    let bytes = std::fs::read(path).map_err(|source| NnError::Io { path: path.to_path_buf(), action: "read", source })?;
    parse_mat(path, &bytes)
}

pub(crate) fn parse_mat(path: &Path, bytes: &[u8]) -> Result<matfile::MatFile> {
    let path_buf = PathBuf::from(path);
    if let Some(reason) = crate::mat::header_problem(bytes) {
        return Err(NnError::NotMat { path: path_buf, reason });
    }
    // matfile can panic on some corrupt inputs; never let that reach the caller.
    let parsed = std::panic::catch_unwind(|| matfile::MatFile::parse(bytes));
    match parsed {
        Ok(Ok(mat)) => Ok(mat),
        Ok(Err(e)) => Err(NnError::NotMat { path: path_buf, reason: crate::mat::explain_parse_failure(bytes, &e.to_string()) }),
        Err(_) => Err(NnError::NotMat {
            path: path_buf,
            reason: crate::mat::explain_parse_failure(bytes, "the MAT parser crashed on this file"),
        }),
    }
}

/// A named 2-D numeric variable as a row-major f64 matrix.
pub fn matrix(mat: &matfile::MatFile, path: &Path, name: &str) -> Result<Array2<f64>> {
    let arr = mat.find_by_name(name).ok_or_else(|| NnError::MissingVariable {
        path: path.to_path_buf(),
        name: name.to_string(),
        present: mat.arrays().iter().map(|a| a.name().to_string()).collect(),
    })?;
    let size = arr.size();
    if size.len() != 2 {
        return Err(NnError::Shape {
            what: format!("{name} in {}", path.display()),
            expected: "a 2-D matrix".into(),
            got: format!("{} dimensions {:?}", size.len(), size),
        });
    }
    let values = numeric_to_f64(arr.data()).ok_or_else(|| NnError::NotMat {
        path: path.to_path_buf(),
        reason: format!("variable `{name}` is complex; expected real numbers"),
    })?;
    let (rows, cols) = (size[0], size[1]);
    if values.len() != rows * cols {
        return Err(NnError::NotMat {
            path: path.to_path_buf(),
            reason: format!("variable `{name}` says {rows}x{cols} but holds {} values", values.len()),
        });
    }
    let a = Array2::from_shape_vec((rows, cols).f(), values).expect("length checked");
    Ok(a.as_standard_layout().into_owned())
}

fn numeric_to_f64(data: &matfile::NumericData) -> Option<Vec<f64>> {
    use matfile::NumericData as N;
    macro_rules! real {
        ($real:expr, $imag:expr) => {
            if $imag.is_some() {
                None
            } else {
                Some($real.iter().map(|&v| v as f64).collect())
            }
        };
    }
    match data {
        N::Double { real, imag } => real!(real, imag),
        N::Single { real, imag } => real!(real, imag),
        N::Int8 { real, imag } => real!(real, imag),
        N::UInt8 { real, imag } => real!(real, imag),
        N::Int16 { real, imag } => real!(real, imag),
        N::UInt16 { real, imag } => real!(real, imag),
        N::Int32 { real, imag } => real!(real, imag),
        N::UInt32 { real, imag } => real!(real, imag),
        N::Int64 { real, imag } => real!(real, imag),
        N::UInt64 { real, imag } => real!(real, imag),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ndarray::array;

    #[test]
    fn image_is_column_major() {
        // A 2x2 image [[a, c], [b, d]] is unrolled as [a, b, c, d].
        let img = unrolled_to_image(&[1.0, 2.0, 3.0, 4.0]).unwrap();
        assert_eq!(img, array![[1.0, 3.0], [2.0, 4.0]]);
        assert!(unrolled_to_image(&[1.0, 2.0, 3.0]).is_err());
    }

    #[test]
    fn dataset_new_validates() {
        let x = array![[0.0, 1.0], [2.0, 3.0]];
        assert!(Dataset::new(x.clone(), array![1, 10], 10).is_ok());
        let e = Dataset::new(x.clone(), array![1, 11], 10).unwrap_err();
        assert!(e.to_string().contains("row 2") && e.to_string().contains("11"), "{e}");
        let e = Dataset::new(x.clone(), array![0, 1], 10).unwrap_err();
        assert!(e.to_string().contains("row 1"), "{e}");
        let e = Dataset::new(x.clone(), array![1], 10).unwrap_err();
        assert!(matches!(e, NnError::Shape { .. }), "{e}");
        let mut bad = x.clone();
        bad[[1, 0]] = f64::NAN;
        let e = Dataset::new(bad, array![1, 2], 10).unwrap_err();
        assert!(e.to_string().contains("row 2, column 1"), "{e}");
    }

    #[test]
    fn fractional_labels_are_rejected() {
        let e = labels_from_f64("y", [1.0, 2.5].into_iter(), 10).unwrap_err();
        assert!(e.to_string().contains("2.5") && e.to_string().contains("row 2"), "{e}");
    }

    #[test]
    fn select_and_counts() {
        let d = Dataset::new(array![[0.0], [1.0], [2.0]], array![1, 2, 2], 3).unwrap();
        let s = d.select(&[2, 0]).unwrap();
        assert_eq!(s.y, array![2, 1]);
        assert_eq!(s.x, array![[2.0], [0.0]]);
        assert_eq!(d.label_counts(), vec![1, 2, 0]);
        assert!(d.select(&[3]).is_err());
        assert_eq!(label_to_digit(10), 0);
        assert_eq!(label_to_digit(3), 3);
    }
}
