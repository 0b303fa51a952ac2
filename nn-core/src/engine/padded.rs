//! Row-major matrices whose rows are padded to whole SIMD vectors and aligned: the layout
//! every product of the engine reads and writes.

use ndarray::{Array2, ArrayView2, ArrayViewMut2, ShapeBuilder};

/// The SIMD width: rows of the dense operands are padded to a multiple of 4 doubles.
pub(super) const LANES: usize = 4;

/// A row-major matrix whose rows are padded to a multiple of 4 doubles and
/// start on 32-byte boundaries, so an AVX load never straddles two cache lines.
/// Padding entries are kept at zero.
#[derive(Clone, Debug)]
pub(super) struct Padded {
    pub(super) buf: Vec<f64>,
    pub(super) offset: usize,
    pub(super) rows: usize,
    /// Row length in memory (a multiple of 4).
    pub(super) stride: usize,
}

impl Padded {
    pub(super) fn zeros(rows: usize, cols: usize) -> Padded {
        let stride = cols.div_ceil(LANES) * LANES;
        let buf = vec![0.0; rows * stride + LANES];
        // How many elements to skip to reach a 32-byte boundary (at most 3;
        // `align_offset` may decline, then rows are merely unaligned).
        let offset = buf.as_ptr().align_offset(LANES * std::mem::size_of::<f64>()).min(LANES);
        Padded { buf, offset, rows, stride }
    }
    /// A padded copy of `m`.
    pub(super) fn from_view(m: ArrayView2<f64>) -> Padded {
        let mut p = Padded::zeros(m.nrows(), m.ncols());
        p.view_mut(m.nrows(), m.ncols()).assign(&m);
        p
    }
    /// `rows` rows, each the bias column of `theta` (where a layer's `z` starts).
    pub(super) fn bias_rows(rows: usize, theta: &Array2<f64>) -> Padded {
        Padded::from_view(theta.column(0).broadcast((rows, theta.nrows())).expect("bias row"))
    }
    pub(super) fn data(&self) -> &[f64] {
        &self.buf[self.offset..self.offset + self.rows * self.stride]
    }
    pub(super) fn data_mut(&mut self) -> &mut [f64] {
        &mut self.buf[self.offset..self.offset + self.rows * self.stride]
    }
    /// Rows `r0..r1`, as a slice of the padded storage.
    pub(super) fn rows_slice(&self, r0: usize, r1: usize) -> &[f64] {
        &self.data()[r0 * self.stride..r1 * self.stride]
    }
    /// The first `rows` rows and `cols` columns (without the padding).
    pub(super) fn view(&self, rows: usize, cols: usize) -> ArrayView2<'_, f64> {
        if rows == 0 {
            return ArrayView2::from_shape((0, cols), &[]).expect("empty");
        }
        let len = (rows - 1) * self.stride + cols;
        ArrayView2::from_shape((rows, cols).strides((self.stride, 1)), &self.data()[..len]).expect("in bounds")
    }
    pub(super) fn view_mut(&mut self, rows: usize, cols: usize) -> ArrayViewMut2<'_, f64> {
        if rows == 0 {
            return ArrayViewMut2::from_shape((0, cols), &mut []).expect("empty");
        }
        let stride = self.stride;
        let len = (rows - 1) * stride + cols;
        ArrayViewMut2::from_shape((rows, cols).strides((stride, 1)), &mut self.data_mut()[..len]).expect("in bounds")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn padded_rows_are_aligned() {
        for cols in [1, 4, 5, 25, 32] {
            let p = Padded::zeros(3, cols);
            assert_eq!(p.stride % LANES, 0);
            assert!(p.stride >= cols && p.stride < cols + LANES);
            assert_eq!(p.data().as_ptr() as usize % 32, 0, "rows start on 32-byte boundaries");
        }
    }
}
