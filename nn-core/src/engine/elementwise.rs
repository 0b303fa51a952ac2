//! The engine's exponential: `e^t` in plain arithmetic, and a map over a whole slice that
//! the compiler turns into vector instructions (the standard library's `f64::exp` calls the
//! C library one number at a time; this one runs 2, 4 or 8 numbers per instruction).
//!
//! [`exp`] is the textbook method, written without branches or library calls;
//! [`map_in_place_with`] compiles a loop over it three times (the target's baseline, e.g. SSE2
//! on x86-64; AVX2; AVX-512); the engine passes the width of the kernel it chose at run time.
//! There is no fused multiply-add in the arithmetic (Rust never fuses `a * b + c` on its
//! own), so all three give the same bits: tested below, as is the accuracy against the
//! standard library (within 2 units in the last place). The lecture's `sigmoid` uses the
//! standard library's `exp`; the engine's results agree with it to 1e-12 (engine tests).
//!

/// 1.5 * 2^52: adding it to a double rounds it to an integer, kept in the sum's low bits.
const SHIFTER: f64 = 6_755_399_441_055_744.0;

/// `e^t` for any `t`: infinity above ~709.78, 0 below ~-745, NaN for NaN.
///
/// `t = n ln 2 + r` with n an integer and |r| <= ln(2)/2 (ln 2 in two parts, so that
/// `n ln 2` is exact); `e^r` from its Taylor series to r^13 (the first term left out is
/// below 1e-17); `2^n` written into the exponent bits of two doubles (two, so that
/// results below 2^-1022 and near the overflow come out right).
#[inline(always)]
pub fn exp(t: f64) -> f64 {
    // ln 2 = LN2_HI + LN2_LO, LN2_HI with its last 21 bits zero so that n LN2_HI is exact.
    const LN2_HI: f64 = 0.693_147_180_369_123_8; // bits 0x3fe62e42fee00000
    const LN2_LO: f64 = 1.908_214_929_270_587_7e-10; // bits 0x3dea39ef35793c76
    let t = t.clamp(-746.0, 710.0); // NaN stays NaN
    let n = (t * std::f64::consts::LOG2_E + SHIFTER) - SHIFTER;
    let r = (t - n * LN2_HI) - n * LN2_LO;
    let mut p = 1.0 / 6_227_020_800.0; // 1/13!
    for c in [
        1.0 / 479_001_600.0,
        1.0 / 39_916_800.0,
        1.0 / 3_628_800.0,
        1.0 / 362_880.0,
        1.0 / 40_320.0,
        1.0 / 5_040.0,
        1.0 / 720.0,
        1.0 / 120.0,
        1.0 / 24.0,
        1.0 / 6.0,
        0.5,
        1.0,
        1.0,
    ] {
        p = p * r + c;
    }
    // 2^n = 2^a 2^b with a = n/2 rounded, b = n - a, both between -538 and 512.
    let a = (n * 0.5 + SHIFTER) - SHIFTER;
    let b = n - a;
    p * power_of_two(a) * power_of_two(b)
}

/// `2^k` for an integer-valued k in -1022..=1023: `k + 1023` in the exponent bits.
#[inline(always)]
fn power_of_two(k: f64) -> f64 {
    let k_bits = (k + SHIFTER).to_bits(); // k in the low bits
    f64::from_bits(k_bits.wrapping_add(1023) << 52)
}

/// Vector instructions a loop can be compiled for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Width {
    /// What the target always has: SSE2 on x86-64, 2 doubles at a time (the only choice
    /// on other targets).
    Baseline,
    /// AVX2: 4 at a time.
    Avx2,
    /// AVX-512: 8 at a time.
    Avx512,
}

impl Width {
    /// The widest this processor runs (looked up once).
    #[cfg(test)]
    pub(crate) fn detect() -> Width {
        static WIDTH: std::sync::OnceLock<Width> = std::sync::OnceLock::new();
        *WIDTH.get_or_init(|| {
            #[cfg(target_arch = "x86_64")]
            {
                if is_x86_feature_detected!("avx512f") {
                    return Width::Avx512;
                }
                if is_x86_feature_detected!("avx2") {
                    return Width::Avx2;
                }
            }
            Width::Baseline
        })
    }
}

/// `v = f(v)` for every v, compiled for the vector width given (tests compare the three).
pub(crate) fn map_in_place_with<F: Fn(f64) -> f64 + Copy>(width: Width, values: &mut [f64], f: F) {
    match width {
        // SAFETY: every caller passes a width the processor runs: the
        // engine's (`Kernel::width` of a kernel checked by `Kernel::is_supported`), or in
        // tests one of `supported()`.
        #[cfg(target_arch = "x86_64")]
        Width::Avx512 => unsafe { map_avx512(values, f) },
        // SAFETY: as for AVX-512 above.
        #[cfg(target_arch = "x86_64")]
        Width::Avx2 => unsafe { map_avx2(values, f) },
        _ => map_plain(values, f),
    }
}

#[inline(always)]
fn map_plain<F: Fn(f64) -> f64 + Copy>(values: &mut [f64], f: F) {
    for v in values {
        *v = f(*v);
    }
}

/// # Safety
/// The processor must support AVX2.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2")]
unsafe fn map_avx2<F: Fn(f64) -> f64 + Copy>(values: &mut [f64], f: F) {
    map_plain(values, f)
}

/// # Safety
/// The processor must support AVX-512F.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx512f")]
unsafe fn map_avx512<F: Fn(f64) -> f64 + Copy>(values: &mut [f64], f: F) {
    map_plain(values, f)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Widths this processor runs.
    fn supported() -> Vec<Width> {
        let best = Width::detect();
        [Width::Baseline, Width::Avx2, Width::Avx512].into_iter().filter(|&w| w as u8 <= best as u8).collect()
    }

    /// Numbers across the whole range, special values included.
    fn samples() -> Vec<f64> {
        let mut v = vec![
            0.0, -0.0, 1.0, -1.0, 0.5, 709.0, 709.78, 709.8, 710.0, 1e300, -708.0, -708.5, -744.0, -745.1, -746.0,
            -1e300,
        ];
        v.extend([f64::INFINITY, f64::NEG_INFINITY, f64::NAN, f64::MIN_POSITIVE, 1e-300, -1e-300]);
        let mut state = 0x9e37_79b9_7f4a_7c15_u64;
        for i in 0..20_000 {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            let u = (state >> 11) as f64 / (1u64 << 53) as f64; // [0, 1)
            let scale = [1e-8, 1.0, 10.0, 40.0, 745.0][i % 5];
            v.push((2.0 * u - 1.0) * scale);
        }
        v
    }

    fn ulps(a: f64, b: f64) -> f64 {
        if a == b || (a.is_nan() && b.is_nan()) {
            return 0.0;
        }
        (a - b).abs() / (b.abs() * f64::EPSILON).max(f64::from_bits(1))
    }

    #[test]
    fn exp_is_within_two_units_in_the_last_place() {
        for t in samples() {
            let (got, want) = (exp(t), t.exp());
            let err = if want < f64::MIN_POSITIVE { (got - want).abs() / f64::from_bits(1) } else { ulps(got, want) };
            assert!(err <= 2.0, "exp({t}) = {got:e}, std gives {want:e} ({err} ulps)");
        }
        assert_eq!(exp(0.0), 1.0);
        assert_eq!(exp(f64::INFINITY), f64::INFINITY);
        assert_eq!(exp(f64::NEG_INFINITY), 0.0);
        assert!(exp(f64::NAN).is_nan());
    }

    /// The map at every width against the plain loop, bit for bit.
    fn check_widths<F: Fn(f64) -> f64 + Copy>(name: &str, f: F) {
        let input = samples();
        let mut plain = input.clone();
        map_plain(&mut plain, f);
        for width in supported() {
            let mut got = input.clone();
            map_in_place_with(width, &mut got, f);
            for ((g, p), x) in got.iter().zip(&plain).zip(&input) {
                assert!(
                    g.to_bits() == p.to_bits() || (g.is_nan() && p.is_nan()),
                    "{name}, {width:?}, at {x}: {g:e} vs {p:e}"
                );
            }
        }
    }

    #[test]
    fn every_width_gives_the_same_bits() {
        check_widths("exp", exp);
        check_widths("sigmoid from exp(-|z|)", |z: f64| 1.0 / (1.0 + exp(-z.abs())));
        assert!(supported().contains(&Width::Baseline));
    }
}
