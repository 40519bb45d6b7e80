//! Helpers shared by the unit tests.

use std::sync::Mutex;

/// Tests that change the global thread count must not interleave.
pub(crate) static THREAD_LOCK: Mutex<()> = Mutex::new(());

/// Deterministic pseudo-random data in `[lo, hi)` (splitmix64).
pub(crate) fn data(n: usize, seed: u64, lo: f32, hi: f32) -> Vec<f32> {
    let mut s = seed.wrapping_add(0x9E37_79B9_7F4A_7C15);
    (0..n)
        .map(|_| {
            s = s.wrapping_add(0x9E37_79B9_7F4A_7C15);
            let mut z = s;
            z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
            z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
            z ^= z >> 31;
            lo + (hi - lo) * ((z >> 40) as f32 / (1u64 << 24) as f32)
        })
        .collect()
}

/// Asserts `got` matches `want` within `rel` relative or `abs` absolute error,
/// treating NaN == NaN and equal infinities as matching.
#[track_caller]
pub(crate) fn assert_close(what: &str, got: &[f32], want: &[f64], rel: f64, abs: f64) {
    assert_eq!(got.len(), want.len(), "{what}: length");
    for (i, (&g, &w)) in got.iter().zip(want).enumerate() {
        let g64 = f64::from(g);
        let ok = if w.is_nan() {
            g.is_nan()
        } else if w.is_infinite() || g.is_infinite() {
            g64 == w || (w.abs() > f64::from(f32::MAX) && g64 == w.signum() * f64::INFINITY)
        } else {
            (g64 - w).abs() <= abs + rel * w.abs()
        };
        assert!(ok, "{what}: element {i}: got {g:e}, want {w:e}");
    }
}

/// SIMD levels to test: every level the CPU runs, plus the portable 4-lane
/// (NEON-shaped) code, which runs anywhere.
pub(crate) fn levels() -> Vec<crate::cpu::SimdLevel> {
    let mut v = crate::cpu::available_levels();
    if !v.contains(&crate::cpu::SimdLevel::Neon) {
        v.push(crate::cpu::SimdLevel::Neon);
    }
    v
}

/// Sizes every elementwise/reduction test covers.
pub(crate) const SIZES: [usize; 6] = [0, 1, 7, 17, 1023, 100_003];

/// Reference erf in f64 (Maclaurin series; |x| < 4, beyond which erf rounds
/// to ±1 in f32).
pub(crate) fn erf64(x: f64) -> f64 {
    if x.is_nan() {
        return x;
    }
    if x.abs() >= 4.0 {
        return x.signum();
    }
    let mut term = x;
    let mut sum = x;
    let x2 = x * x;
    let mut n = 0.0;
    while term.abs() > 1e-17 * sum.abs().max(1e-300) {
        n += 1.0;
        term *= -x2 / n;
        sum += term / (2.0 * n + 1.0);
    }
    sum * 2.0 / std::f64::consts::PI.sqrt()
}
