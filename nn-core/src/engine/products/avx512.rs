//! The sparse product's panels with AVX-512: 8 doubles per instruction, two rows at a time.

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
            // SAFETY: (this and the loads and stores below) the caller keeps
            // p..p + 8 V + 4 T in bounds, with p (and so p + 8 V) on a 32-byte boundary.
            *w = unsafe { _mm512_maskz_loadu_pd(ALL, p.wrapping_add(8 * j)) };
        }
        for t in acc.tail.iter_mut() {
            // SAFETY: as above.
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
            // SAFETY: as in `load`.
            *w = _mm512_fmadd_pd(v, unsafe { _mm512_maskz_loadu_pd(ALL, p.wrapping_add(8 * j)) }, *w);
        }
        for t in self.tail.iter_mut() {
            // SAFETY: as in `load`.
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
            // SAFETY: as in `load` (the caller keeps p..p + 8 V + 4 T in bounds and aligned).
            unsafe { _mm512_mask_storeu_pd(p.wrapping_add(8 * j), ALL, *w) };
        }
        for t in self.tail.iter() {
            // SAFETY: as in `load`.
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
unsafe fn panel<const V: usize, const T: usize>(a: &Compressed, b: &[f64], out: &mut [f64], stride: usize, c0: usize) {
    let (b, out) = (b.as_ptr(), out.as_mut_ptr());
    let row = |index: u8| b.wrapping_add(index as usize * stride + c0);
    for (r, bounds) in a.start.windows(2).enumerate() {
        // The whole loop: as in `avx2::panel`, every index < a.cols keeps the row of
        // b in bounds, every r < a.rows() the row of out.
        let (p0, p1) = (bounds[0] as usize, bounds[1] as usize);
        let out_row = out.wrapping_add(r * stride + c0);
        // SAFETY: out's row r, 8 V + 4 T <= stride - c0 doubles from c0 (the caller's bounds).
        let (mut even, mut odd) = (unsafe { Acc::<V, T>::load(out_row) }, Acc::<V, T>::zero());
        // Plain slice iterators (no checks in a debug-assertions build, see above).
        let mut nonzeros = a.index[p0..p1].iter().zip(&a.value[p0..p1]);
        while let Some((&i, &v)) = nonzeros.next() {
            // SAFETY: b's row i, i < a.cols (every `Compressed`'s indices are).
            unsafe { even.fma(v, row(i)) };
            let Some((&i, &v)) = nonzeros.next() else { break };
            // SAFETY: as above.
            unsafe { odd.fma(v, row(i)) };
        }
        even.add(&odd);
        // SAFETY: the place of out's row r loaded above.
        unsafe { even.store(out_row) };
    }
}
