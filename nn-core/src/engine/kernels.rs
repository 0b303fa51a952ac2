//! The fast engine behind training: the same cost and gradient as
//! [`crate::lecture::cost`], organised for speed.
//!
//! `lecture/cost.rs` is the version to read; this file computes the same sums in a
//! different order, about 5 times faster on the course's 5000 digits on two
//! cores (`cargo run --release -p nn-core --example bench`). The ideas:
//!
//! 1. **Examples are independent.** Feedforward and backpropagation of one
//!    row of X never look at another row; only the final sums
//!    (the cost and `Delta(l) = delta(l+1)' a(l)`) add over the rows. So the
//!    rows are cut into blocks of [`BLOCK_ROWS`] (small enough that a block's
//!    activations stay in the processor's cache between its forward and its
//!    backward pass), and blocks into groups of [`GROUP_BLOCKS`]. Each thread
//!    takes the next group not yet taken, runs the whole forward and backward
//!    pass on its blocks and keeps the group's partial sums apart; the partial
//!    sums are added at the end in group order, so the result is the same on
//!    every run and with any number of threads. The threads besides the caller's
//!    are kept from one evaluation to the next (`engine/pool.rs`).
//! 2. **Skip the zeros of X.** Half of every digit image is background, stored
//!    as exact zeros, and a zero adds nothing to `X Theta1'` nor to
//!    `delta(2)' X`. X is stored once per training run ([`SparseInput`]) as its
//!    nonzero values with their positions, twice: row by row for the forward
//!    product and column by column for the backward one. Both products then
//!    have the same shape, `out[r] += value * b[index]` over the nonzeros of
//!    row r, where `out[r]` and `b[index]` are short rows of 25 numbers
//!    (one per hidden unit) that the kernel keeps in registers.
//! 3. **Keep the rows the kernel reads in the L1 cache.** The forward product
//!    reads rows of `Theta1'` (400 rows of 25, padded to 28: 90 KB, more than
//!    L1's 32 KB), so the columns of X are cut into strips of at most 128
//!    (4 strips of 100 for the digits: 22 KB of weights each); the backward
//!    product reads rows of `delta(2)`, and a block of 128 rows fits the
//!    same way. Rows are padded to whole SIMD vectors and aligned ([`Padded`]).
//! 4. **AVX2 and FMA** when the processor has them (checked at run time, so
//!    the crate needs no special compiler flags): 4 doubles per instruction,
//!    a multiply and an add in one; with **AVX-512** the sparse products take
//!    8 doubles per instruction (25 hidden units: 3 vectors of 8 and one of 4
//!    instead of 7 of 4). Other processors run the portable loops. [`Kernel`]
//!    says which runs; `NN_CORE_KERNEL=portable|avx2|avx512` forces one.
//! 5. **One exponential per sigmoid, 4 or 8 at a time.** `g(z)` and the output
//!    layer's logs all come from `e = exp(-|z|)`, the lecture's vectorized
//!    [`exp`](super::elementwise::exp) (the same bits on every kernel).
//!
//! The layers after the first (25 x 10 here) are small; on each block they use
//! [`dense_times_dense`], the loop of the sparse products over every entry. The results
//! equal the lecture's `nn_cost_function_deep` up to floating-point rounding (the sums
//! are added in another order; the exponentials are the lecture's own, but the sigmoid is
//! formed from `exp(-|z|)`); the tests check 1e-12.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Mutex;

use super::elementwise::{exp, map_in_place_with, Width};
use super::pool::Pool;

use ndarray::{s, Array2, ArrayView1, ArrayView2, ArrayViewMut2, ShapeBuilder};

/// Rows of X per block (at most 256: a row's position in its block is a `u8`).
const BLOCK_ROWS: usize = 128;
/// Blocks per group: the unit of work of a thread, with its own partial sums.
const GROUP_BLOCKS: usize = 4;
/// Widest column strip (at most 256, same reason).
const MAX_STRIP_COLS: usize = 128;
/// The SIMD width: rows of the dense operands are padded to a multiple of 4 doubles.
const LANES: usize = 4;

/// Which inner loop runs the sparse products and the exponentials.
///
/// [`Kernel::detect`] picks the fastest one the processor has; the environment variable
/// `NN_CORE_KERNEL` (`portable`, `avx2`, `avx512`) overrides that choice (a kernel the
/// processor lacks is refused with a message on stderr, and the fastest one it has runs).
/// Every kernel gives the lecture's numbers (tested to 1e-12); only the speed differs.
/// [`super::FastCost::with_kernel`] picks one for one objective (what `make bench` uses to
/// compare them in the same run).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Kernel {
    /// Plain Rust, any processor.
    Portable,
    /// x86-64 with AVX2 and FMA (detected at run time).
    #[cfg(target_arch = "x86_64")]
    Avx2Fma,
    /// x86-64 with AVX-512F (and AVX2, FMA): the sparse products with 8-double vectors,
    /// two rows at a time in the 32 vector registers; the exponentials 8 at a time.
    #[cfg(target_arch = "x86_64")]
    Avx512,
}

impl Kernel {
    /// The vector width of its element-wise loops (exponentials, sigmoids).
    fn width(self) -> Width {
        match self {
            Kernel::Portable => Width::Baseline,
            #[cfg(target_arch = "x86_64")]
            Kernel::Avx2Fma => Width::Avx2,
            #[cfg(target_arch = "x86_64")]
            Kernel::Avx512 => Width::Avx512,
        }
    }

    /// The kernel `FastCost` uses: `NN_CORE_KERNEL` if set to a kernel this processor
    /// runs, else the fastest one it runs. Read once per process.
    pub fn detect() -> Kernel {
        static CHOSEN: std::sync::OnceLock<Kernel> = std::sync::OnceLock::new();
        *CHOSEN.get_or_init(|| {
            let forced = std::env::var("NN_CORE_KERNEL").ok().filter(|v| !v.is_empty());
            match forced.as_deref().map(Kernel::from_name) {
                Some(Some(k)) if k.is_supported() => k,
                Some(_) => {
                    eprintln!(
                        "nn-core: NN_CORE_KERNEL={:?} is not a kernel this processor runs (available: {}); using {}",
                        forced.unwrap_or_default(),
                        Kernel::available().iter().map(|k| k.name()).collect::<Vec<_>>().join(", "),
                        Kernel::best()
                    );
                    Kernel::best()
                }
                None => Kernel::best(),
            }
        })
    }

    /// The fastest kernel this processor runs (ignores `NN_CORE_KERNEL`).
    pub fn best() -> Kernel {
        *Kernel::available().last().expect("the portable kernel is always available")
    }

    /// Every kernel this processor runs, slowest (portable) first.
    pub fn available() -> Vec<Kernel> {
        Kernel::ALL.iter().copied().filter(|k| k.is_supported()).collect()
    }

    /// Every kernel this build has, whether or not the processor runs it.
    pub const ALL: &'static [Kernel] = &[
        Kernel::Portable,
        #[cfg(target_arch = "x86_64")]
        Kernel::Avx2Fma,
        #[cfg(target_arch = "x86_64")]
        Kernel::Avx512,
    ];

    /// Whether this processor runs the kernel (checked at run time).
    pub fn is_supported(self) -> bool {
        match self {
            Kernel::Portable => true,
            #[cfg(target_arch = "x86_64")]
            Kernel::Avx2Fma => std::is_x86_feature_detected!("avx2") && std::is_x86_feature_detected!("fma"),
            #[cfg(target_arch = "x86_64")]
            Kernel::Avx512 => Kernel::Avx2Fma.is_supported() && std::is_x86_feature_detected!("avx512f"),
        }
    }

    /// The kernel's name, as `NN_CORE_KERNEL` spells it.
    pub fn name(self) -> &'static str {
        match self {
            Kernel::Portable => "portable",
            #[cfg(target_arch = "x86_64")]
            Kernel::Avx2Fma => "avx2",
            #[cfg(target_arch = "x86_64")]
            Kernel::Avx512 => "avx512",
        }
    }

    /// The kernel called `name` (see [`Kernel::name`]), if this build has it.
    pub fn from_name(name: &str) -> Option<Kernel> {
        Kernel::ALL.iter().copied().find(|k| k.name().eq_ignore_ascii_case(name.trim()))
    }
}

impl std::fmt::Display for Kernel {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

/// A sparse matrix with at most 256 columns, stored row by row (CSR):
/// row r holds the values `value[start[r]..start[r + 1]]`, in the columns
/// `index[start[r]..start[r + 1]]`.
///
/// Invariant (relied on by the AVX2 kernel): every index is below `cols`
/// and `start` is non-decreasing, ending at `value.len()`.
#[derive(Clone, Debug)]
struct Compressed {
    cols: usize,
    start: Vec<u32>,
    index: Vec<u8>,
    value: Vec<f64>,
}

impl Compressed {
    fn rows(&self) -> usize {
        self.start.len() - 1
    }
}

/// One block of rows of X, stored for both products.
#[derive(Clone, Debug)]
struct Block {
    /// First row of X in this block.
    first: usize,
    /// Number of rows (at most [`BLOCK_ROWS`]).
    rows: usize,
    /// Forward product: the block's rows restricted to each column strip.
    strips: Vec<Compressed>,
    /// Backward product: the block's columns (row r of this matrix is column
    /// r of X, its indices are rows within the block).
    columns: Compressed,
}

/// X without its zeros, prepared once for many evaluations (see the module
/// documentation). Build it with [`SparseInput::new`].
#[derive(Clone, Debug)]
pub(crate) struct SparseInput {
    rows: usize,
    cols: usize,
    /// Width of every column strip but possibly the last.
    strip_cols: usize,
    blocks: Vec<Block>,
    nonzeros: usize,
    /// Most threads an evaluation uses (the results do not depend on it).
    threads: usize,
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

/// A row-major matrix whose rows are padded to a multiple of 4 doubles and
/// start on 32-byte boundaries, so an AVX load never straddles two cache lines.
/// Padding entries are kept at zero.
#[derive(Clone, Debug)]
struct Padded {
    buf: Vec<f64>,
    offset: usize,
    rows: usize,
    /// Row length in memory (a multiple of 4).
    stride: usize,
}

impl Padded {
    fn zeros(rows: usize, cols: usize) -> Padded {
        let stride = cols.div_ceil(LANES) * LANES;
        let buf = vec![0.0; rows * stride + LANES];
        // How many elements to skip to reach a 32-byte boundary (at most 3;
        // `align_offset` may decline, then rows are merely unaligned).
        let offset = buf.as_ptr().align_offset(LANES * std::mem::size_of::<f64>()).min(LANES);
        Padded { buf, offset, rows, stride }
    }
    /// A padded copy of `m`.
    fn from_view(m: ArrayView2<f64>) -> Padded {
        let mut p = Padded::zeros(m.nrows(), m.ncols());
        p.view_mut(m.nrows(), m.ncols()).assign(&m);
        p
    }
    /// `rows` rows, each the bias column of `theta` (where a layer's `z` starts).
    fn bias_rows(rows: usize, theta: &Array2<f64>) -> Padded {
        Padded::from_view(theta.column(0).broadcast((rows, theta.nrows())).expect("bias row"))
    }
    /// `g(z)` in place on the first `cols` entries of every row (the padding stays zero).
    fn sigmoid_rows(&mut self, kernel: Kernel, cols: usize) {
        // One pass over the whole block (whole vectors), then the padding back to zero.
        sigmoid_in_place(kernel, self.data_mut());
        let stride = self.stride;
        for row in self.data_mut().chunks_exact_mut(stride) {
            row[cols..].fill(0.0);
        }
    }
    fn data(&self) -> &[f64] {
        &self.buf[self.offset..self.offset + self.rows * self.stride]
    }
    fn data_mut(&mut self) -> &mut [f64] {
        &mut self.buf[self.offset..self.offset + self.rows * self.stride]
    }
    /// Rows `r0..r1`, as a slice of the padded storage.
    fn rows_slice(&self, r0: usize, r1: usize) -> &[f64] {
        &self.data()[r0 * self.stride..r1 * self.stride]
    }
    /// The first `rows` rows and `cols` columns (without the padding).
    fn view(&self, rows: usize, cols: usize) -> ArrayView2<'_, f64> {
        if rows == 0 {
            return ArrayView2::from_shape((0, cols), &[]).expect("empty");
        }
        let len = (rows - 1) * self.stride + cols;
        ArrayView2::from_shape((rows, cols).strides((self.stride, 1)), &self.data()[..len]).expect("in bounds")
    }
    fn view_mut(&mut self, rows: usize, cols: usize) -> ArrayViewMut2<'_, f64> {
        if rows == 0 {
            return ArrayViewMut2::from_shape((0, cols), &mut []).expect("empty");
        }
        let stride = self.stride;
        let len = (rows - 1) * stride + cols;
        ArrayViewMut2::from_shape((rows, cols).strides((stride, 1)), &mut self.data_mut()[..len]).expect("in bounds")
    }
}

/// `f::<V>(args)` for V = `vectors` vectors of 4 (at most 8: a panel's accumulators stay
/// in registers), the width of the panel that starts at a column.
macro_rules! by_width {
    ($vectors:expr, $f:ident($($arg:expr),*)) => {
        match $vectors {
            1 => $f::<1>($($arg),*),
            2 => $f::<2>($($arg),*),
            3 => $f::<3>($($arg),*),
            4 => $f::<4>($($arg),*),
            5 => $f::<5>($($arg),*),
            6 => $f::<6>($($arg),*),
            7 => $f::<7>($($arg),*),
            _ => $f::<8>($($arg),*),
        }
    };
}

/// `out[r, ..] += Σ value * b[index, ..]` over the nonzeros of each row r of `a`,
/// with `b` and `out` row-major of row length `stride` (a multiple of 4),
/// starting on 32-byte boundaries (as [`Padded`] rows do).
///
/// This one loop is both big products: forward, `a` is a strip of X and `b`
/// the matching rows of `Theta1'`; backward, `a` is X' (a block's columns),
/// `b` is the block's `delta(2)` and `out` accumulates `Delta(1)'`.
fn sparse_times_dense(kernel: Kernel, a: &Compressed, b: &[f64], out: &mut [f64], stride: usize) {
    assert!(stride.is_multiple_of(LANES), "rows are padded to whole SIMD vectors");
    assert!(b.len() >= a.cols * stride, "b has a row for every column of a");
    assert!(out.len() >= a.rows() * stride, "out has a row for every row of a");
    assert!(
        (b.as_ptr() as usize).is_multiple_of(32) && (out.as_ptr() as usize).is_multiple_of(32),
        "b and out start on 32-byte boundaries (see `Padded`)"
    );
    #[cfg(target_arch = "x86_64")]
    if kernel == Kernel::Avx512 {
        // Panels of up to 64 columns: 8 vectors of 8, or fewer and one of 4.
        for c0 in (0..stride).step_by(64) {
            // SAFETY: `Kernel::Avx512` is only used after `is_x86_feature_detected!`
            // confirmed AVX-512F, AVX2 and FMA (`Kernel::is_supported`); the sizes of `b`
            // and `out` are asserted above, the panel's columns end at
            // `c0 + 8 V + 4 T <= stride` by the choice of (V, T), and the indices of a
            // `Compressed` are below `a.cols` by construction.
            unsafe { avx512::panel_for_width(stride.min(c0 + 64) - c0, a, b, out, stride, c0) };
        }
        return;
    }
    // Panels of up to 8 vectors of 4 (32 columns): the accumulators of one
    // output row then fit in the processor's 16 vector registers.
    for c0 in (0..stride).step_by(8 * LANES) {
        by_width!((stride - c0) / LANES, panel(kernel, a, b, out, stride, c0));
    }
}

/// Columns `c0..c0 + 4 V` of [`sparse_times_dense`] (bounds checked by the caller).
fn panel<const V: usize>(kernel: Kernel, a: &Compressed, b: &[f64], out: &mut [f64], stride: usize, c0: usize) {
    match kernel {
        Kernel::Portable => portable_panel::<V>(a, b, out, stride, c0),
        // SAFETY: `Kernel::Avx2Fma` is only used after `is_x86_feature_detected!`
        // confirmed AVX2 and FMA (`Kernel::is_supported`); `sparse_times_dense` asserted the sizes of
        // `b` and `out`, `c0 + 4 V <= stride` by the choice of V, and the
        // indices of a `Compressed` are below `a.cols` by construction.
        #[cfg(target_arch = "x86_64")]
        Kernel::Avx2Fma => unsafe { avx2::panel::<V>(a, b, out, stride, c0) },
        #[cfg(target_arch = "x86_64")]
        Kernel::Avx512 => unreachable!("sparse_times_dense runs the AVX-512 panels itself"),
    }
}

/// The panel in plain Rust: the same loop, with the accumulators in a local
/// array that the compiler keeps in (SSE2 or NEON) registers.
fn portable_panel<const V: usize>(a: &Compressed, b: &[f64], out: &mut [f64], stride: usize, c0: usize) {
    for r in 0..a.rows() {
        let out_row = &mut out[r * stride + c0..][..LANES * V];
        let mut acc = [[0.0; LANES]; V];
        for (acc, o) in acc.as_flattened_mut().iter_mut().zip(out_row.iter()) {
            *acc = *o;
        }
        let (p0, p1) = (a.start[r] as usize, a.start[r + 1] as usize);
        for (&c, &v) in a.index[p0..p1].iter().zip(&a.value[p0..p1]) {
            let b_row = &b[c as usize * stride + c0..][..LANES * V];
            for (acc, &w) in acc.as_flattened_mut().iter_mut().zip(b_row) {
                *acc += v * w;
            }
        }
        out_row.copy_from_slice(acc.as_flattened());
    }
}

#[cfg(target_arch = "x86_64")]
mod avx2 {
    use super::{Compressed, LANES};
    use std::arch::x86_64::*;

    /// Columns `c0..c0 + 4 V` of the product: for each row of `a`, the V
    /// accumulators (4 doubles each) live in registers while the row's
    /// nonzeros stream by, one broadcast and V fused multiply-adds each.
    ///
    /// # Safety
    /// The processor must support AVX2 and FMA; `b` must hold `a.cols` rows
    /// and `out` `a.rows()` rows of length `stride`, with `c0 + 4 V <= stride`,
    /// both starting on 32-byte boundaries (`stride` and `c0` are multiples of 4);
    /// the indices of `a` must be below `a.cols` (true of every `Compressed`).
    #[target_feature(enable = "avx2,fma")]
    pub(super) unsafe fn panel<const V: usize>(a: &Compressed, b: &[f64], out: &mut [f64], stride: usize, c0: usize) {
        // Aligned loads and stores, raw pointers moved with `wrapping_add`, and
        // the row's nonzeros walked as slices: no precondition checks in the
        // loop when debug assertions are on (a plain evcxr kernel builds every
        // crate that way). The costly one was `_mm256_loadu_pd`, a
        // `copy_nonoverlapping` through the stack with an overlap check: with it
        // this loop ran 2.5x slower in such a kernel than in the terminal.
        let (b, out) = (b.as_ptr(), out.as_mut_ptr());
        for (r, bounds) in a.start.windows(2).enumerate() {
            // SAFETY (whole loop): `start` has rows + 1 entries, non-decreasing up
            // to value.len() = index.len(); every index is < a.cols, so
            // `b + index * stride + c0 + 4 j` stays inside b's a.cols rows, and
            // `out + r * stride + c0 + 4 j` inside out's a.rows() rows.
            let (p0, p1) = (bounds[0] as usize, bounds[1] as usize);
            let out_row = out.wrapping_add(r * stride + c0);
            // The even nonzeros go to `even`, the odd ones to `odd`, added at the end: a
            // fused multiply-add takes 4 cycles before its sum can take the next one, and
            // two independent sums hide part of that wait (about 4% faster on Zen 4; the
            // course's 25 hidden units take V = 7: 14 sums and 2 broadcasts, 16 registers;
            // V = 8 keeps one set, two would not fit).
            let mut even = [_mm256_setzero_pd(); V];
            let mut odd = [_mm256_setzero_pd(); V];
            for (j, acc) in even.iter_mut().enumerate() {
                *acc = _mm256_load_pd(out_row.wrapping_add(LANES * j));
            }
            let step = |acc: &mut [__m256d; V], index: u8, value: f64| {
                let v = _mm256_set1_pd(value);
                let b_row = b.wrapping_add(index as usize * stride + c0);
                for (j, acc) in acc.iter_mut().enumerate() {
                    *acc = _mm256_fmadd_pd(v, _mm256_load_pd(b_row.wrapping_add(LANES * j)), *acc);
                }
            };
            let mut nonzeros = a.index[p0..p1].iter().zip(&a.value[p0..p1]);
            if V <= 7 {
                while let Some((&index, &value)) = nonzeros.next() {
                    step(&mut even, index, value);
                    let Some((&index, &value)) = nonzeros.next() else { break };
                    step(&mut odd, index, value);
                }
            } else {
                // 8 vectors: two sets would not fit in the registers.
                for (&index, &value) in nonzeros {
                    step(&mut even, index, value);
                }
            }
            for (j, (e, o)) in even.iter().zip(&odd).enumerate() {
                _mm256_store_pd(out_row.wrapping_add(LANES * j), _mm256_add_pd(*e, *o));
            }
        }
    }
}

#[cfg(target_arch = "x86_64")]
mod avx512 {
    use super::Compressed;
    use std::arch::x86_64::*;

    /// The panel of `width` columns (a multiple of 4, at most 64) starting at `c0`.
    ///
    /// # Safety
    /// As [`panel`], with `c0 + width <= stride`.
    #[target_feature(enable = "avx512f,avx2,fma")]
    pub(super) unsafe fn panel_for_width(
        width: usize,
        a: &Compressed,
        b: &[f64],
        out: &mut [f64],
        stride: usize,
        c0: usize,
    ) {
        debug_assert!(width.is_multiple_of(4) && width > 0 && width <= 64);
        // SAFETY: forwarded; 8 V + 4 T == width in every arm.
        unsafe {
            match width {
                4 => panel::<0, 1>(a, b, out, stride, c0),
                8 => panel::<1, 0>(a, b, out, stride, c0),
                12 => panel::<1, 1>(a, b, out, stride, c0),
                16 => panel::<2, 0>(a, b, out, stride, c0),
                20 => panel::<2, 1>(a, b, out, stride, c0),
                24 => panel::<3, 0>(a, b, out, stride, c0),
                28 => panel::<3, 1>(a, b, out, stride, c0),
                32 => panel::<4, 0>(a, b, out, stride, c0),
                36 => panel::<4, 1>(a, b, out, stride, c0),
                40 => panel::<5, 0>(a, b, out, stride, c0),
                44 => panel::<5, 1>(a, b, out, stride, c0),
                48 => panel::<6, 0>(a, b, out, stride, c0),
                52 => panel::<6, 1>(a, b, out, stride, c0),
                56 => panel::<7, 0>(a, b, out, stride, c0),
                60 => panel::<7, 1>(a, b, out, stride, c0),
                _ => panel::<8, 0>(a, b, out, stride, c0),
            }
        }
    }

    /// One output row's accumulators: V vectors of 8 doubles and T (0 or 1) of 4.
    struct Acc<const V: usize, const T: usize> {
        wide: [__m512d; V],
        tail: [__m256d; T],
    }

    /// All 8 lanes. The 8-wide loads and stores are masked ones with every lane on,
    /// which the compiler turns into plain unaligned loads and stores: `_mm512_loadu_pd`
    /// itself is a `read_unaligned`, whose precondition checks run on every load in a
    /// build with debug assertions (a plain evcxr kernel's; see `avx2::panel`). The rows
    /// start on 32-byte boundaries, so the 4-wide tail uses aligned loads.
    const ALL: __mmask8 = 0xff;

    impl<const V: usize, const T: usize> Acc<V, T> {
        #[inline]
        #[target_feature(enable = "avx512f,avx2,fma")]
        fn zero() -> Self {
            Acc { wide: [_mm512_setzero_pd(); V], tail: [_mm256_setzero_pd(); T] }
        }

        /// Loads the row at `p` (8 V + 4 T doubles, `p` on a 32-byte boundary).
        #[inline]
        #[target_feature(enable = "avx512f,avx2,fma")]
        unsafe fn load(p: *const f64) -> Self {
            let mut acc = Acc::zero();
            for (j, w) in acc.wide.iter_mut().enumerate() {
                // SAFETY (all three functions): the caller keeps p..p + 8 V + 4 T in
                // bounds, with p (and so p + 8 V) on a 32-byte boundary.
                *w = unsafe { _mm512_maskz_loadu_pd(ALL, p.wrapping_add(8 * j)) };
            }
            for t in acc.tail.iter_mut() {
                *t = unsafe { _mm256_load_pd(p.wrapping_add(8 * V)) };
            }
            acc
        }

        /// `self += value * row at p`.
        #[inline]
        #[target_feature(enable = "avx512f,avx2,fma")]
        unsafe fn fma(&mut self, value: f64, p: *const f64) {
            let v = _mm512_set1_pd(value);
            for (j, w) in self.wide.iter_mut().enumerate() {
                *w = _mm512_fmadd_pd(v, unsafe { _mm512_maskz_loadu_pd(ALL, p.wrapping_add(8 * j)) }, *w);
            }
            for t in self.tail.iter_mut() {
                *t = _mm256_fmadd_pd(_mm512_castpd512_pd256(v), unsafe { _mm256_load_pd(p.wrapping_add(8 * V)) }, *t);
            }
        }

        /// `self += other`.
        #[inline]
        #[target_feature(enable = "avx512f,avx2,fma")]
        fn add(&mut self, other: &Self) {
            for (w, o) in self.wide.iter_mut().zip(&other.wide) {
                *w = _mm512_add_pd(*w, *o);
            }
            for (t, o) in self.tail.iter_mut().zip(&other.tail) {
                *t = _mm256_add_pd(*t, *o);
            }
        }

        #[inline]
        #[target_feature(enable = "avx512f,avx2,fma")]
        unsafe fn store(&self, p: *mut f64) {
            for (j, w) in self.wide.iter().enumerate() {
                unsafe { _mm512_mask_storeu_pd(p.wrapping_add(8 * j), ALL, *w) };
            }
            for t in self.tail.iter() {
                unsafe { _mm256_store_pd(p.wrapping_add(8 * V), *t) };
            }
        }
    }

    /// Columns `c0..c0 + 8 V + 4 T` of the product: for each row of `a`, the
    /// accumulators (V vectors of 8 doubles and T of 4) live in registers while the row's
    /// nonzeros stream by, one broadcast and V + T fused multiply-adds each: the loop of
    /// `avx2::panel` with half as many instructions for the course's 25 hidden units
    /// (3 of 8 and 1 of 4 instead of 7 of 4). The even and the odd nonzeros of a row go
    /// to two sets of accumulators, added at the end of the row: a fused multiply-add
    /// takes 4 cycles before its sum can take the next one, and two independent sums
    /// hide part of that wait (the 32 registers of AVX-512 hold both sets).
    ///
    /// Measured on an AMD EPYC (Zen 4), one thread, interleaved: this loop 4-8% faster
    /// than AVX2, of which the two sets of sums about 3%; two rows at a time instead was
    /// 8% slower, four sets of sums no better than two.
    ///
    /// # Safety
    /// The processor must support AVX-512F, AVX2 and FMA; `b` must hold `a.cols` rows
    /// and `out` `a.rows()` rows of length `stride`, with `c0 + 8 V + 4 T <= stride`;
    /// the indices of `a` must be below `a.cols` (true of every `Compressed`).
    #[target_feature(enable = "avx512f,avx2,fma")]
    unsafe fn panel<const V: usize, const T: usize>(
        a: &Compressed,
        b: &[f64],
        out: &mut [f64],
        stride: usize,
        c0: usize,
    ) {
        let (b, out) = (b.as_ptr(), out.as_mut_ptr());
        let row = |index: u8| b.wrapping_add(index as usize * stride + c0);
        for (r, bounds) in a.start.windows(2).enumerate() {
            // SAFETY (whole loop): as `avx2::panel`: every index < a.cols keeps the row of
            // b in bounds, every r < a.rows() the row of out.
            let (p0, p1) = (bounds[0] as usize, bounds[1] as usize);
            let out_row = out.wrapping_add(r * stride + c0);
            let (mut even, mut odd) = (unsafe { Acc::<V, T>::load(out_row) }, Acc::<V, T>::zero());
            // Plain slice iterators (no checks in a debug-assertions build, see above).
            let mut nonzeros = a.index[p0..p1].iter().zip(&a.value[p0..p1]);
            while let Some((&i, &v)) = nonzeros.next() {
                unsafe { even.fma(v, row(i)) };
                let Some((&i, &v)) = nonzeros.next() else { break };
                unsafe { odd.fma(v, row(i)) };
            }
            even.add(&odd);
            unsafe { even.store(out_row) };
        }
    }
}

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

/// `out[r, ..] += Σ_k a[r, k] b[k, ..]` for a small dense `a` (any strides), with `b` and
/// `out` row-major of row length `stride` (a multiple of 4): the layers after the first
/// (25 x 10 for the course's network), where a general matrix product spends more time
/// copying its operands than multiplying them. The loop of [`portable_panel`] with every
/// entry of a row of `a` instead of its nonzeros.
fn dense_times_dense(kernel: Kernel, a: ArrayView2<f64>, b: &[f64], out: &mut [f64], stride: usize) {
    assert!(stride.is_multiple_of(LANES), "rows are padded to whole SIMD vectors");
    assert!(b.len() >= a.ncols() * stride, "b has a row for every column of a");
    assert!(out.len() >= a.nrows() * stride, "out has a row for every row of a");
    for c0 in (0..stride).step_by(8 * LANES) {
        by_width!((stride - c0) / LANES, dense_panel(kernel, a, b, out, stride, c0));
    }
}

/// Columns `c0..c0 + 4 V` of [`dense_times_dense`] (bounds checked by the caller).
fn dense_panel<const V: usize>(
    kernel: Kernel,
    a: ArrayView2<f64>,
    b: &[f64],
    out: &mut [f64],
    stride: usize,
    c0: usize,
) {
    match kernel {
        Kernel::Portable => dense_loop::<V, false>(a, b, out, stride, c0),
        // SAFETY: these kernels are only used after `is_x86_feature_detected!` confirmed
        // AVX2 and FMA (`Kernel::is_supported`); the loop itself is safe Rust.
        #[cfg(target_arch = "x86_64")]
        Kernel::Avx2Fma | Kernel::Avx512 => unsafe { dense_loop_fma::<V>(a, b, out, stride, c0) },
    }
}

/// [`dense_loop`] compiled for AVX2 and FMA (the multiply-adds fused).
///
/// # Safety
/// The processor must support AVX2 and FMA.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2,fma")]
unsafe fn dense_loop_fma<const V: usize>(a: ArrayView2<f64>, b: &[f64], out: &mut [f64], stride: usize, c0: usize) {
    dense_loop::<V, true>(a, b, out, stride, c0)
}

/// The accumulators of output rows (4 V doubles each) stay in registers while the rows'
/// entries of `a` go by, one multiply-add of a row of `b` each. A multiply-add waits
/// about 4 cycles for the previous one into the same accumulator, so narrow panels
/// (the course's 10 outputs: 3 vectors) take several rows at a time to keep the
/// processor busy; every sum is still added in the order of k.
#[inline(always)]
fn dense_loop<const V: usize, const FUSED: bool>(
    a: ArrayView2<f64>,
    b: &[f64],
    out: &mut [f64],
    stride: usize,
    c0: usize,
) {
    let rows = a.nrows();
    let mut r = 0;
    if V <= 4 {
        while r + 4 <= rows {
            dense_rows::<V, 4, FUSED>(a, b, out, stride, c0, r);
            r += 4;
        }
    }
    while r < rows {
        dense_rows::<V, 1, FUSED>(a, b, out, stride, c0, r);
        r += 1;
    }
}

/// Rows `r0..r0 + R` of [`dense_loop`].
#[inline(always)]
fn dense_rows<const V: usize, const R: usize, const FUSED: bool>(
    a: ArrayView2<f64>,
    b: &[f64],
    out: &mut [f64],
    stride: usize,
    c0: usize,
    r0: usize,
) {
    let mut acc = [[[0.0; LANES]; V]; R];
    for (i, acc) in acc.iter_mut().enumerate() {
        acc.as_flattened_mut().copy_from_slice(&out[(r0 + i) * stride + c0..][..LANES * V]);
    }
    for k in 0..a.ncols() {
        let b_row = &b[k * stride + c0..][..LANES * V];
        for (i, acc) in acc.iter_mut().enumerate() {
            let v = a[[r0 + i, k]];
            for (acc, &w) in acc.as_flattened_mut().iter_mut().zip(b_row) {
                *acc = if FUSED { v.mul_add(w, *acc) } else { *acc + v * w };
            }
        }
    }
    for (i, acc) in acc.iter().enumerate() {
        out[(r0 + i) * stride + c0..][..LANES * V].copy_from_slice(acc.as_flattened());
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

    impl Compressed {
        /// The nonzeros of `rows(r)` for r in 0..nrows, where `rows(r)` lists the
        /// row's entries from column 0 to `cols - 1`.
        fn from_rows<I: Iterator<Item = f64>>(
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
    }

    fn pseudo_random(n: usize, seed: u64, zero_fraction: f64) -> Vec<f64> {
        let mut state = seed;
        (0..n)
            .map(|_| {
                state = state.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
                let u = (state >> 11) as f64 / (1u64 << 53) as f64;
                if u < zero_fraction {
                    0.0
                } else {
                    4.0 * u - 2.5
                }
            })
            .collect()
    }

    #[test]
    fn kernels_agree_with_a_dense_product() {
        // Every panel width 1..=8 vectors and a second panel (stride 36, 44),
        // 1 to 256 columns, empty rows; for AVX-512 (panels of 64 columns: 8 V + 4 T)
        // T = 1 (stride 4, 28, 36, 44, 60), a whole panel (64) and a second one after
        // it (72, 136).
        for (rows, cols, width) in [
            (5, 3, 1),
            (9, 256, 4),
            (17, 40, 25),
            (3, 7, 33),
            (12, 100, 41),
            (1, 1, 4),
            (0, 4, 8),
            (6, 9, 60),
            (7, 11, 64),
            (4, 10, 70),
            (3, 6, 135),
        ] {
            let dense = Array2::from_shape_vec((rows, cols), pseudo_random(rows * cols, 7 + cols as u64, 0.6)).unwrap();
            let a = Compressed::from_rows(rows, cols, |r| dense.row(r).into_iter().copied());
            assert_eq!(a.value.len(), dense.iter().filter(|v| **v != 0.0).count());
            let b = Padded::from_view(
                Array2::from_shape_vec((cols, width), pseudo_random(cols * width, 3, 0.0)).unwrap().view(),
            );
            let start = Array2::from_shape_vec((rows, width), pseudo_random(rows * width, 5, 0.0)).unwrap();
            let want = &start + &dense.dot(&b.view(cols, width));
            for kernel in Kernel::available() {
                let mut out = Padded::from_view(start.view());
                let stride = out.stride;
                sparse_times_dense(kernel, &a, b.data(), out.data_mut(), stride);
                let worst = (&out.view(rows, width) - &want).iter().fold(0.0f64, |w, e| w.max(e.abs()));
                assert!(worst < 1e-12, "{rows}x{cols} width {width} {kernel:?}: {worst:e}");
                // The padding stays zero.
                assert!(out.data().chunks(stride).all(|r| r[width..].iter().all(|&v| v == 0.0)));
            }
        }
    }

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

    #[test]
    fn padded_rows_are_aligned() {
        for cols in [1, 4, 5, 25, 32] {
            let p = Padded::zeros(3, cols);
            assert_eq!(p.stride % LANES, 0);
            assert!(p.stride >= cols && p.stride < cols + LANES);
            assert_eq!(p.data().as_ptr() as usize % 32, 0, "rows start on 32-byte boundaries");
        }
    }

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
