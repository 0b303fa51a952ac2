//! The exercise's data: the digits `X` and their labels `y`, in the course's layout
//! (reading and writing `.mat` files is in [`crate::io`]).
//!
//! - `X` is m x 400: one example per row, each 20x20 image unrolled column by
//!   column (MATLAB order).
//! - `y` is m x 1 with labels `1..=10`; label 10 means the digit zero.
//!
//! ```no_run
//! use nn_core::{Dataset, Network};
//! let data = Dataset::load("data/digits.mat")?;
//! let net = Network::load("data/weights.mat")?;
//! println!("{} examples, accuracy {:.2}%", data.len(), 100.0 * net.accuracy(&data)?);
//! # Ok::<(), nn_core::NnError>(())
//! ```

use ndarray::{Array1, Array2, ArrayView1, ArrayView2, Axis, ShapeBuilder};

use crate::error::{first_non_finite, NnError, Result};

/// The course's number of classes: digits 1..9 and 10 for zero.
pub const NUM_LABELS: usize = 10;

/// The most classes a [`Dataset`] may have: K sizes every per-class table
/// (label counts, one-hot rows, confusion matrices), so it is bounded.
pub const MAX_LABELS: usize = 10_000;

/// Examples and their labels, checked once when made ([`Dataset::new`], [`Dataset::load`]):
/// a `Dataset` always has one finite row of X per label, and every label in `1..=K`.
#[derive(Clone, Debug, PartialEq)]
pub struct Dataset {
    x: Array2<f64>,
    y: Array1<usize>,
    num_labels: usize,
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
        if num_labels == 0 || num_labels > MAX_LABELS {
            return Err(NnError::InvalidArgument {
                name: "number of labels",
                reason: format!(
                    "K must be between 1 and {MAX_LABELS}, got {num_labels} (the digits have K = {NUM_LABELS})"
                ),
            });
        }
        check_labels("y", y.view(), num_labels)?;
        Ok(Dataset { x, y, num_labels })
    }

    /// X: m x n, one example per row.
    pub fn x(&self) -> &Array2<f64> {
        &self.x
    }

    /// y: m labels in `1..=K`.
    pub fn y(&self) -> &Array1<usize> {
        &self.y
    }

    /// K, the number of classes (10 for the digits).
    pub fn num_labels(&self) -> usize {
        self.num_labels
    }

    /// X and y back.
    pub fn into_parts(self) -> (Array2<f64>, Array1<usize>) {
        (self.x, self.y)
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
    ///
    /// ```
    /// let d = nn_core::Dataset::new(ndarray::array![[0.5], [0.25]], ndarray::array![2, 1], 3).unwrap();
    /// assert_eq!(d.one_hot(), ndarray::array![[0.0, 1.0, 0.0], [1.0, 0.0, 0.0]]);
    /// ```
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

    /// The first `n` examples of each label (in file order): a smaller training set with
    /// every digit equally present. Labels with fewer than `n` examples give all they have.
    ///
    /// ```
    /// let d = nn_core::Dataset::new(ndarray::array![[0.0], [1.0], [2.0], [3.0]], ndarray::array![1, 2, 1, 1], 2).unwrap();
    /// assert_eq!(d.first_per_label(2).unwrap().y(), &ndarray::array![1, 2, 1]);
    /// ```
    pub fn first_per_label(&self, n: usize) -> Result<Dataset> {
        let mut taken = vec![0usize; self.num_labels];
        let rows: Vec<usize> = (0..self.len())
            .filter(|&i| {
                let k = self.y[i] - 1;
                taken[k] += 1;
                taken[k] <= n
            })
            .collect();
        if rows.is_empty() {
            return Err(NnError::InvalidArgument {
                name: "n",
                reason: format!("{n} examples per label selects nothing"),
            });
        }
        self.select(&rows)
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

/// One-hot encoding of labels `1..=k`: an m x k matrix of 0s and 1s (`y_k` in the
/// lecture). Callers check the labels first ([`check_labels`]): a label outside `1..=k`
/// would get a row of zeros.
pub(crate) fn one_hot(y: &Array1<usize>, k: usize) -> Array2<f64> {
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

/// Every label in `1..=k`, else an error naming the first row that is not.
pub(crate) fn check_labels(what: &str, y: ArrayView1<usize>, k: usize) -> Result<()> {
    if let Some((row, &l)) = y.iter().enumerate().find(|(_, &l)| l == 0 || l > k) {
        return Err(NnError::Label { what: what.to_string(), row, value: l as f64, k });
    }
    Ok(())
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
        // K bounds every per-class table: usize::MAX would make label_counts allocate without end.
        for k in [0, MAX_LABELS + 1, usize::MAX] {
            let e = Dataset::new(x.clone(), array![1, 1], k).unwrap_err();
            assert!(e.to_string().contains("K must be between 1 and 10000"), "{e}");
        }
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
