//! The sparse product's panels with AVX2 and FMA: 4 doubles per instruction.

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
            // SAFETY: inside out's row r (the loop's SAFETY note), on a 32-byte boundary.
            *acc = unsafe { _mm256_load_pd(out_row.wrapping_add(LANES * j)) };
        }
        let step = |acc: &mut [__m256d; V], index: u8, value: f64| {
            let v = _mm256_set1_pd(value);
            let b_row = b.wrapping_add(index as usize * stride + c0);
            for (j, acc) in acc.iter_mut().enumerate() {
                // SAFETY: inside b's row `index` (the loop's SAFETY note), on a 32-byte boundary.
                *acc = _mm256_fmadd_pd(v, unsafe { _mm256_load_pd(b_row.wrapping_add(LANES * j)) }, *acc);
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
            // SAFETY: the same place of out's row r that was loaded above.
            unsafe { _mm256_store_pd(out_row.wrapping_add(LANES * j), _mm256_add_pd(*e, *o)) };
        }
    }
}
