//! The engine's two products, `out += a b` for a sparse `a` (a strip of X, or X') and for a
//! small dense `a` (the layers after the first), each in portable Rust and with AVX2 + FMA
//! (and AVX-512 for the sparse one), written into [`Padded`] rows.

use super::kernel::Kernel;
#[cfg(test)]
use super::padded::Padded;
use super::padded::LANES;
use super::sparse_input::Compressed;

use ndarray::ArrayView2;

#[cfg(target_arch = "x86_64")]
mod avx2;
#[cfg(target_arch = "x86_64")]
mod avx512;

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
pub(super) fn sparse_times_dense(kernel: Kernel, a: &Compressed, b: &[f64], out: &mut [f64], stride: usize) {
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

/// `out[r, ..] += Σ_k a[r, k] b[k, ..]` for a small dense `a` (any strides), with `b` and
/// `out` row-major of row length `stride` (a multiple of 4): the layers after the first
/// (25 x 10 for the course's network), where a general matrix product spends more time
/// copying its operands than multiplying them. The loop of [`portable_panel`] with every
/// entry of a row of `a` instead of its nonzeros.
pub(super) fn dense_times_dense(kernel: Kernel, a: ArrayView2<f64>, b: &[f64], out: &mut [f64], stride: usize) {
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_support::pseudo_random;
    use ndarray::Array2;

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
}
