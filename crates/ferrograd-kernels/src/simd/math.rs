//! Vectorized transcendental functions, written once over [`Simd`].
//!
//! The polynomials are the classic Cephes single-precision ones (exp, log,
//! tanh, sin, cos; ~1–2 ulp on their reduced ranges) plus an erf fit made for
//! this crate (Chebyshev fits computed with mpmath: erf(x)/x in x² on [0, 1],
//! relative error 1.2e-9; log(erfc(x)) on [1, 4] in x-2.5, error 8e-9).
//! All functions keep IEEE behaviour at the edges (±inf, NaN, 0, subnormals)
//! because PyTorch users rely on e.g. `exp(-inf) == 0` and `log(0) == -inf`.

// Coefficients are kept as published/fitted; the compiler rounds them to f32.
#![allow(clippy::excessive_precision)]

use super::Simd;

/// Horner evaluation `c[0]*x^(n-1) + ... + c[n-1]` with FMAs.
#[inline(always)]
fn poly<S: Simd>(s: S, x: S::V, c: &[f32]) -> S::V {
    let mut acc = s.splat(c[0]);
    for &ci in &c[1..] {
        acc = s.fma(acc, x, s.splat(ci));
    }
    acc
}

const LOG2E: f32 = std::f32::consts::LOG2_E;
/// ln 2 split in a part exactly representable with few bits (so `n * LN2_HI`
/// is exact) and a correction: Cody–Waite reduction keeps `x - n ln2` accurate.
const LN2_HI: f32 = 0.693_359_4;
const LN2_LO: f32 = -2.121_944_4e-4;
/// exp(x) overflows f32 above this.
const EXP_HI: f32 = 88.722_84;
/// exp(x) rounds to 0 below this.
const EXP_LO: f32 = -104.0;

/// e^x.
#[inline(always)]
pub(crate) fn exp<S: Simd>(s: S, x: S::V) -> S::V {
    let xc = s.min(s.splat(EXP_HI), s.max(s.splat(EXP_LO), x));
    let n = s.round(s.mul(xc, s.splat(LOG2E)));
    let r = s.fma(n, s.splat(-LN2_HI), xc);
    let r = s.fma(n, s.splat(-LN2_LO), r);
    let p = poly(
        s,
        r,
        &[
            1.987_569_2e-4,
            1.398_199_9e-3,
            8.333_452e-3,
            4.166_579_6e-2,
            1.666_666_5e-1,
            5.000_000_1e-1,
        ],
    );
    let r2 = s.mul(r, r);
    let y = s.add(s.fma(p, r2, r), s.splat(1.0));
    let y = s.ldexp(y, n);
    let y = s.select(s.gt(x, s.splat(EXP_HI)), s.splat(f32::INFINITY), y);
    let y = s.select(s.lt(x, s.splat(EXP_LO)), s.splat(0.0), y);
    // NaN inputs were clamped by min/max; restore them.
    s.select(s.is_nan(x), x, y)
}

/// Natural logarithm.
#[inline(always)]
pub(crate) fn log<S: Simd>(s: S, x: S::V) -> S::V {
    // Scale subnormals into the normal range so the exponent-bit split works.
    let tiny = s.lt(x, s.splat(f32::MIN_POSITIVE));
    let xs = s.select(tiny, s.mul(x, s.splat(8_388_608.0)), x);
    let (m, e) = s.frexp(xs);
    let e = s.select(tiny, s.sub(e, s.splat(23.0)), e);
    // Move m into [sqrt(1/2), sqrt(2)) so the polynomial argument is small.
    let big = s.ge(m, s.splat(std::f32::consts::SQRT_2));
    let f = s.select(
        big,
        s.sub(s.mul(m, s.splat(0.5)), s.splat(1.0)),
        s.sub(m, s.splat(1.0)),
    );
    let e = s.select(big, s.add(e, s.splat(1.0)), e);
    let z = s.mul(f, f);
    let p = poly(
        s,
        f,
        &[
            7.037_683_6e-2,
            -1.151_461e-1,
            1.167_699_9e-1,
            -1.242_014_1e-1,
            1.424_932_3e-1,
            -1.666_805_8e-1,
            2.000_071_5e-1,
            -2.499_999_4e-1,
            3.333_333_1e-1,
        ],
    );
    let y = s.mul(s.mul(p, f), z);
    let y = s.fma(e, s.splat(LN2_LO), y);
    let y = s.fma(z, s.splat(-0.5), y);
    let r = s.add(f, y);
    let r = s.fma(e, s.splat(LN2_HI), r);
    // IEEE edge cases: log(0) = -inf, log(x<0) = NaN, log(inf) = inf, NaN stays NaN.
    let r = s.select(s.eq(x, s.splat(0.0)), s.splat(f32::NEG_INFINITY), r);
    let r = s.select(s.lt(x, s.splat(0.0)), s.splat(f32::NAN), r);
    let r = s.select(s.eq(x, s.splat(f32::INFINITY)), x, r);
    s.select(s.is_nan(x), x, r)
}

/// ln(1 + x), accurate for tiny x (Goldberg's trick: the rounding error of
/// `1 + x` is compensated by dividing by the *computed* `u - 1`).
#[inline(always)]
pub(crate) fn log1p<S: Simd>(s: S, x: S::V) -> S::V {
    let one = s.splat(1.0);
    let u = s.add(one, x);
    let d = s.sub(u, one);
    let r = s.div(s.mul(log(s, u), x), d);
    let r = s.select(s.eq(d, s.splat(0.0)), x, r);
    s.select(s.eq(x, s.splat(f32::INFINITY)), x, r)
}

/// e^x - 1, accurate near 0 (Kahan's trick, same idea as `log1p`).
#[inline(always)]
pub(crate) fn expm1<S: Simd>(s: S, x: S::V) -> S::V {
    let one = s.splat(1.0);
    let u = exp(s, x);
    let d = s.sub(u, one);
    let r = s.div(s.mul(d, x), log(s, u));
    let r = s.select(s.eq(d, s.splat(0.0)), x, r);
    let r = s.select(s.eq(d, s.splat(-1.0)), d, r);
    let r = s.select(s.eq(u, s.splat(f32::INFINITY)), u, r);
    s.select(s.is_nan(x), x, r)
}

/// Hyperbolic tangent; odd polynomial near 0 (keeps relative accuracy for
/// tiny x), `1 - 2/(e^{2|x|}+1)` elsewhere, which saturates to ±1 without NaN.
#[inline(always)]
pub(crate) fn tanh<S: Simd>(s: S, x: S::V) -> S::V {
    let a = s.abs(x);
    let z = s.mul(x, x);
    let p = poly(
        s,
        z,
        &[
            -5.704_988_7e-3,
            2.063_908_9e-2,
            -5.373_971_6e-2,
            1.333_144_2e-1,
            -3.333_328_2e-1,
        ],
    );
    let small = s.fma(s.mul(p, z), x, x);
    let e = exp(s, s.add(a, a));
    let big = s.sub(s.splat(1.0), s.div(s.splat(2.0), s.add(e, s.splat(1.0))));
    let big = s.copysign(big, x);
    s.select(s.lt(a, s.splat(0.625)), small, big)
}

/// Logistic sigmoid `1 / (1 + e^-x)`: e^-x overflows to +inf for x < -88,
/// giving exactly 0, never NaN.
#[inline(always)]
pub(crate) fn sigmoid<S: Simd>(s: S, x: S::V) -> S::V {
    let one = s.splat(1.0);
    s.div(one, s.add(one, exp(s, s.neg(x))))
}

/// softplus(x) = ln(1 + e^x) computed as `max(x, 0) + log1p(e^{-|x|})`,
/// which never overflows and stays accurate for very negative x.
#[inline(always)]
pub(crate) fn softplus<S: Simd>(s: S, x: S::V) -> S::V {
    let t = exp(s, s.neg(s.abs(x)));
    // max(0, x): second operand wins on NaN, so NaN propagates.
    s.add(s.max(s.splat(0.0), x), log1p(s, t))
}

/// Error function.
#[inline(always)]
pub(crate) fn erf<S: Simd>(s: S, x: S::V) -> S::V {
    let a = s.abs(x);
    // |x| <= 1: x * P(x^2).
    let p = poly(
        s,
        s.mul(x, x),
        &[
            7.875_875e-5,
            -8.016_864e-4,
            5.189_087_4e-3,
            -2.685_421_2e-2,
            1.128_359_5e-1,
            -3.761_262_7e-1,
            std::f32::consts::FRAC_2_SQRT_PI,
        ],
    );
    let small = s.mul(x, p);
    // 1 < |x| < 3.92: 1 - exp(Q(|x| - 2.5)) with Q ≈ ln erfc; beyond, erf
    // rounds to ±1 in f32.
    let u = s.sub(s.min(a, s.splat(4.0)), s.splat(2.5));
    let q = poly(
        s,
        u,
        &[
            -7.582_682e-8,
            1.615_581_1e-6,
            -1.292_569_6e-5,
            7.738_760_4e-5,
            -4.207_916_5e-4,
            2.165_169_9e-3,
            -1.085_811_3e-2,
            -9.438_936_4e-1,
            -5.352_680_7,
            -7.806_815_3,
        ],
    );
    let big = s.sub(s.splat(1.0), exp(s, q));
    let big = s.select(s.ge(a, s.splat(3.92)), s.splat(1.0), big);
    let big = s.copysign(big, x);
    s.select(s.gt(a, s.splat(1.0)), big, small)
}

/// |x| above which the 3-constant Cody–Waite reduction loses accuracy;
/// such lanes fall back to libm.
const TRIG_MAX: f32 = 8192.0;

/// Shared sin/cos: reduce by π/2, evaluate both polynomials, pick per quadrant.
#[inline(always)]
fn sincos_impl<S: Simd>(s: S, x: S::V, cos: bool) -> S::V {
    let q = s.round(s.mul(x, s.splat(std::f32::consts::FRAC_2_PI)));
    let r = s.fma(q, s.splat(-1.570_312_5), x);
    let r = s.fma(q, s.splat(-4.837_513e-4), r);
    let r = s.fma(q, s.splat(-7.549_79e-8), r);
    let z = s.mul(r, r);
    let sp = poly(s, z, &[-1.951_529_6e-4, 8.332_161e-3, -1.666_665_5e-1]);
    let sin_r = s.fma(s.mul(sp, z), r, r);
    let cp = poly(s, z, &[2.443_315_7e-5, -1.388_731_6e-3, 4.166_664_6e-2]);
    let cos_r = s.add(
        s.fma(s.mul(cp, z), z, s.mul(z, s.splat(-0.5))),
        s.splat(1.0),
    );
    // Quadrant q mod 4, computed in float to avoid integer vectors.
    let qm = s.sub(q, s.mul(s.floor(s.mul(q, s.splat(0.25))), s.splat(4.0)));
    let odd = s.eq(
        s.sub(qm, s.mul(s.floor(s.mul(qm, s.splat(0.5))), s.splat(2.0))),
        s.splat(1.0),
    );
    let (v, negate) = if cos {
        // cos: [c, -s, -c, s]
        let neg = s.mask_or(s.eq(qm, s.splat(1.0)), s.eq(qm, s.splat(2.0)));
        (s.select(odd, sin_r, cos_r), neg)
    } else {
        // sin: [s, c, -s, -c]
        (s.select(odd, cos_r, sin_r), s.ge(qm, s.splat(2.0)))
    };
    s.select(negate, s.neg(v), v)
}

/// Applies a scalar libm function lane by lane (rare slow path).
#[inline(always)]
fn per_lane<S: Simd>(s: S, x: S::V, f: impl Fn(f32) -> f32) -> S::V {
    let mut buf = [0.0f32; 16];
    // SAFETY: every Simd impl has at most 16 lanes, so `buf` is large enough.
    unsafe { s.store(buf.as_mut_ptr(), x) };
    for v in buf.iter_mut().take(S::LANES) {
        *v = f(*v);
    }
    // SAFETY: as above.
    unsafe { s.load(buf.as_ptr()) }
}

/// Sine.
#[inline(always)]
pub(crate) fn sin<S: Simd>(s: S, x: S::V) -> S::V {
    if s.any(s.gt(s.abs(x), s.splat(TRIG_MAX))) {
        return per_lane(s, x, f32::sin);
    }
    sincos_impl(s, x, false)
}

/// Cosine.
#[inline(always)]
pub(crate) fn cos<S: Simd>(s: S, x: S::V) -> S::V {
    if s.any(s.gt(s.abs(x), s.splat(TRIG_MAX))) {
        return per_lane(s, x, f32::cos);
    }
    sincos_impl(s, x, true)
}

/// `a^b` lane by lane through libm: pow has too many special cases
/// (negative bases with integer exponents, ±0, ±inf) to approximate safely,
/// and `exp(b ln a)` in f32 loses accuracy for large results.
#[inline(always)]
pub(crate) fn pow<S: Simd>(s: S, a: S::V, b: S::V) -> S::V {
    let mut xa = [0.0f32; 16];
    let mut xb = [0.0f32; 16];
    // SAFETY: every Simd impl has at most 16 lanes.
    unsafe {
        s.store(xa.as_mut_ptr(), a);
        s.store(xb.as_mut_ptr(), b);
    }
    for (x, y) in xa.iter_mut().zip(xb.iter()).take(S::LANES) {
        *x = x.powf(*y);
    }
    // SAFETY: as above.
    unsafe { s.load(xa.as_ptr()) }
}
