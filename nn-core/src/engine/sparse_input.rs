//! X without its zeros, prepared once for many evaluations: the nonzeros of each block of
//! rows, stored row by row per column strip (the forward product) and column by column
//! (the backward one). See the engine's module documentation, ideas 2 and 3.

use ndarray::{s, ArrayView2};

/// Rows of X per block (at most 256: a row's position in its block is a `u8`).
const BLOCK_ROWS: usize = 128;
/// Widest column strip (at most 256, same reason).
const MAX_STRIP_COLS: usize = 128;

/// A sparse matrix with at most 256 columns, stored row by row (CSR):
/// row r holds the values `value[start[r]..start[r + 1]]`, in the columns
/// `index[start[r]..start[r + 1]]`.
///
/// Invariant (relied on by the AVX2 kernel): every index is below `cols`
/// and `start` is non-decreasing, ending at `value.len()`.
#[derive(Clone, Debug)]
pub(super) struct Compressed {
    pub(super) cols: usize,
    pub(super) start: Vec<u32>,
    pub(super) index: Vec<u8>,
    pub(super) value: Vec<f64>,
}

impl Compressed {
    /// The nonzeros of `rows(r)` for r in 0..nrows, where `rows(r)` lists the
    /// row's entries from column 0 to `cols - 1`.
    #[cfg(test)]
    pub(super) fn from_rows<I: Iterator<Item = f64>>(
        nrows: usize,
        cols: usize,
        mut rows: impl FnMut(usize) -> I,
    ) -> Compressed {
        assert!(cols <= 256, "column positions are stored as u8");
        let mut start = Vec::with_capacity(nrows + 1);
        let (mut index, mut value) = (Vec::new(), Vec::new());
        start.push(0);
        for r in 0..nrows {
            for (c, v) in rows(r).enumerate() {
                if v != 0.0 {
                    index.push(c as u8);
                    value.push(v);
                }
            }
            start.push(u32::try_from(value.len()).expect("a block has fewer than 2^32 nonzeros"));
        }
        Compressed { cols, start, index, value }
    }

    pub(super) fn rows(&self) -> usize {
        self.start.len() - 1
    }
}

/// One block of rows of X, stored for both products.
#[derive(Clone, Debug)]
pub(super) struct Block {
    /// First row of X in this block.
    pub(super) first: usize,
    /// Number of rows (at most [`BLOCK_ROWS`]).
    pub(super) rows: usize,
    /// Forward product: the block's rows restricted to each column strip.
    pub(super) strips: Vec<Compressed>,
    /// Backward product: the block's columns (row r of this matrix is column
    /// r of X, its indices are rows within the block).
    pub(super) columns: Compressed,
}

/// X without its zeros, prepared once for many evaluations (see the module
/// documentation). Build it with [`SparseInput::new`].
#[derive(Clone, Debug)]
pub(crate) struct SparseInput {
    pub(super) rows: usize,
    pub(super) cols: usize,
    /// Width of every column strip but possibly the last.
    pub(super) strip_cols: usize,
    pub(super) blocks: Vec<Block>,
    pub(super) nonzeros: usize,
    /// Most threads an evaluation uses (the results do not depend on it).
    pub(super) threads: usize,
}

/// Number of entries of `x` that are not exactly zero (NaN counts as nonzero).
#[cfg(test)]
fn count_nonzeros(x: ArrayView2<f64>) -> usize {
    x.iter().filter(|&&v| v != 0.0).count()
}

/// Threads to use: as many as the machine offers this process.
fn default_threads() -> usize {
    std::thread::available_parallelism().map(|n| n.get()).unwrap_or(1)
}

/// Splits `0..n` into `parts` contiguous ranges whose lengths differ by at most one.
fn split(n: usize, parts: usize) -> Vec<std::ops::Range<usize>> {
    (0..parts).map(|p| (p * n / parts)..((p + 1) * n / parts)).collect()
}

impl SparseInput {
    /// Stores the nonzeros of `x`, block by block (in parallel).
    pub(crate) fn new(x: ArrayView2<f64>) -> SparseInput {
        Self::with_threads(x, default_threads())
    }

    /// [`SparseInput::new`] with a given number of threads (tests use this to
    /// check odd splits).
    pub(crate) fn with_threads(x: ArrayView2<f64>, threads: usize) -> SparseInput {
        let (m, n) = x.dim();
        let strips = n.div_ceil(MAX_STRIP_COLS).max(1);
        let strip_cols = n.div_ceil(strips).max(1);
        let block_starts: Vec<usize> = (0..m).step_by(BLOCK_ROWS).collect();
        let threads = threads.clamp(1, block_starts.len().max(1));

        let build = |first: usize| build_block(x, first, BLOCK_ROWS.min(m - first), strip_cols);
        let blocks: Vec<Block> = if threads == 1 {
            block_starts.iter().map(|&f| build(f)).collect()
        } else {
            let build = &build;
            let starts = &block_starts;
            std::thread::scope(|scope| {
                let handles: Vec<_> = split(starts.len(), threads)
                    .into_iter()
                    .map(|range| scope.spawn(move || starts[range].iter().map(|&f| build(f)).collect::<Vec<_>>()))
                    .collect();
                handles.into_iter().flat_map(|h| h.join().expect("building a block does not panic")).collect()
            })
        };
        let nonzeros = blocks.iter().map(|b| b.columns.value.len()).sum();
        SparseInput { rows: m, cols: n, strip_cols, blocks, nonzeros, threads }
    }

    /// Number of rows of X.
    #[cfg(test)]
    fn rows(&self) -> usize {
        self.rows
    }

    /// Number of columns of X.
    #[cfg(test)]
    fn cols(&self) -> usize {
        self.cols
    }

    /// Fraction of the entries of X that are stored (not exactly zero).
    pub(crate) fn density(&self) -> f64 {
        self.nonzeros as f64 / (self.rows * self.cols).max(1) as f64
    }
}

/// Stores rows `first..first + rows` of `x` in both layouts.
fn build_block(x: ArrayView2<f64>, first: usize, rows: usize, strip_cols: usize) -> Block {
    let n = x.ncols();
    let block = x.slice(s![first..first + rows, ..]);
    // Count first, so that every array is allocated once at its final size.
    let mut per_column = vec![0usize; n];
    for row in block.rows() {
        for (count, &v) in per_column.iter_mut().zip(row) {
            *count += usize::from(v != 0.0);
        }
    }
    // Forward layout: one pass over the rows, each split at the strip edges.
    let mut strips: Vec<Compressed> = (0..n)
        .step_by(strip_cols)
        .map(|c0| {
            let cols = strip_cols.min(n - c0);
            let nonzeros = per_column[c0..c0 + cols].iter().sum();
            let mut start = Vec::with_capacity(rows + 1);
            start.push(0);
            Compressed { cols, start, index: Vec::with_capacity(nonzeros), value: Vec::with_capacity(nonzeros) }
        })
        .collect();
    let mut copy = Vec::new();
    for row in block.rows() {
        let row: &[f64] = match row.to_slice() {
            Some(row) => row,
            None => {
                copy.clear();
                copy.extend(row.iter().copied());
                &copy
            }
        };
        for (s, strip) in strips.iter_mut().enumerate() {
            let c0 = s * strip_cols;
            for (c, &v) in row[c0..c0 + strip.cols].iter().enumerate() {
                if v != 0.0 {
                    strip.index.push(c as u8);
                    strip.value.push(v);
                }
            }
            strip.start.push(u32::try_from(strip.value.len()).expect("a block has fewer than 2^32 nonzeros"));
        }
    }
    // Backward layout: the same nonzeros sorted by column (a counting sort;
    // within a column the rows stay in order).
    let mut start = Vec::with_capacity(n + 1);
    start.push(0u32);
    for &count in &per_column {
        start.push(start[start.len() - 1] + count as u32);
    }
    let total = start[n] as usize;
    let mut next: Vec<usize> = start[..n].iter().map(|&p| p as usize).collect();
    let (mut index, mut value) = (vec![0u8; total], vec![0.0; total]);
    for r in 0..rows {
        for (s, strip) in strips.iter().enumerate() {
            let (p0, p1) = (strip.start[r] as usize, strip.start[r + 1] as usize);
            for (&c, &v) in strip.index[p0..p1].iter().zip(&strip.value[p0..p1]) {
                let column = s * strip_cols + c as usize;
                index[next[column]] = r as u8;
                value[next[column]] = v;
                next[column] += 1;
            }
        }
    }
    let columns = Compressed { cols: rows, start, index, value };
    Block { first, rows, strips, columns }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_support::pseudo_random;
    use ndarray::Array2;

    #[test]
    fn sparse_input_covers_x_in_blocks_and_strips() {
        for (m, n, threads) in [(1, 1, 4), (128, 128, 2), (129, 129, 2), (300, 400, 3), (5, 257, 1)] {
            let x = Array2::from_shape_vec((m, n), pseudo_random(m * n, 11, 0.5)).unwrap();
            let sparse = SparseInput::with_threads(x.view(), threads);
            assert_eq!((sparse.rows(), sparse.cols()), (m, n));
            assert_eq!(sparse.nonzeros, count_nonzeros(x.view()));
            assert!(sparse.threads >= 1 && sparse.threads <= sparse.blocks.len());
            assert!(sparse.strip_cols <= MAX_STRIP_COLS);
            let mut next = 0;
            for block in &sparse.blocks {
                assert_eq!(block.first, next);
                assert!(block.rows >= 1 && block.rows <= BLOCK_ROWS);
                next += block.rows;
                assert_eq!(block.strips.iter().map(|s| s.cols).sum::<usize>(), n);
                // Both layouts hold exactly the block's nonzeros, in order.
                let rows = x.slice(s![block.first..block.first + block.rows, ..]);
                let by_columns = Compressed::from_rows(n, block.rows, |c| rows.column(c).into_iter().copied());
                assert_eq!(block.columns.start, by_columns.start);
                assert_eq!(block.columns.index, by_columns.index);
                assert_eq!(block.columns.value, by_columns.value);
                for (k, strip) in block.strips.iter().enumerate() {
                    let c0 = k * sparse.strip_cols;
                    let want = Compressed::from_rows(block.rows, strip.cols, |r| {
                        rows.row(r).slice_move(s![c0..c0 + strip.cols]).into_iter().copied()
                    });
                    assert_eq!((&strip.start, &strip.index, &strip.value), (&want.start, &want.index, &want.value));
                }
            }
            assert_eq!(next, m);
        }
    }

    #[test]
    fn split_is_balanced_and_complete() {
        for (n, parts) in [(40, 2), (5, 3), (1, 1), (7, 7)] {
            let ranges = split(n, parts);
            assert_eq!(ranges.len(), parts);
            assert_eq!(ranges[0].start, 0);
            assert_eq!(ranges[parts - 1].end, n);
            assert!(ranges.windows(2).all(|w| w[0].end == w[1].start));
            assert!(ranges.iter().all(|r| r.len() == n / parts || r.len() == n / parts + 1));
        }
    }
}
