//! Reading the exercise's files: the digits (`X`, `y`) and the weights
//! (`Theta1`, `Theta2`, ...) from MATLAB `.mat` files, in the course's layout.
//!
//! ```no_run
//! use nn_core::{Dataset, Network};
//! let data = Dataset::load("data/digits.mat")?;
//! let net = Network::load("data/weights.mat")?;
//! # Ok::<(), nn_core::NnError>(())
//! ```

use std::path::{Path, PathBuf};

use ndarray::{Array1, Array2, ShapeBuilder};

use crate::error::{first_non_finite, shape_str, NnError, Result};
use crate::lecture::data::NUM_LABELS;
use crate::lecture::{Dataset, Network};

impl Dataset {
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
        Dataset::new(x, y, num_labels)
    }

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
    if let Some(reason) = crate::io::mat::header_problem(bytes) {
        return Err(NnError::NotMat { path: path_buf, reason });
    }
    // matfile can panic on some corrupt inputs; never let that reach the caller.
    let parsed = std::panic::catch_unwind(|| matfile::MatFile::parse(bytes));
    match parsed {
        Ok(Ok(mat)) => Ok(mat),
        Ok(Err(e)) => Err(NnError::NotMat { path: path_buf, reason: crate::io::mat::explain_parse_failure(bytes, &e.to_string()) }),
        Err(_) => Err(NnError::NotMat {
            path: path_buf,
            reason: crate::io::mat::explain_parse_failure(bytes, "the MAT parser crashed on this file"),
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

    #[test]
    fn fractional_labels_are_rejected() {
        let e = labels_from_f64("y", [1.0, 2.5].into_iter(), 10).unwrap_err();
        assert!(e.to_string().contains("2.5") && e.to_string().contains("row 2"), "{e}");
    }

}
