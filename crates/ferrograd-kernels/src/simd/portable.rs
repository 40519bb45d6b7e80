//! Portable implementations of [`Simd`]: one lane (the scalar fallback) and
//! four lanes as plain arrays. On AArch64 NEON is part of the baseline target,
//! so LLVM lowers the 4-lane array code to NEON instructions; this avoids
//! hand-written NEON intrinsics that could not be compile-checked here.

use super::Simd;

/// Scalar fallback (1 lane).
#[derive(Clone, Copy, Debug)]
pub(crate) struct Scalar1;

/// Four lanes in a plain array (NEON-width, auto-vectorized).
#[derive(Clone, Copy, Debug)]
pub(crate) struct Lanes4;

#[inline(always)]
fn max1(a: f32, b: f32) -> f32 {
    if a > b {
        a
    } else {
        b
    }
}

#[inline(always)]
fn min1(a: f32, b: f32) -> f32 {
    if a < b {
        a
    } else {
        b
    }
}

#[inline(always)]
fn pow2i1(n: f32) -> f32 {
    // Build the float directly from its biased exponent.
    f32::from_bits((((n as i32) + 127) as u32) << 23)
}

#[inline(always)]
fn frexp1(x: f32) -> (f32, f32) {
    let bits = x.to_bits();
    let e = ((bits >> 23) & 0xff) as i32 - 127;
    let m = f32::from_bits((bits & 0x007f_ffff) | 0x3f80_0000);
    (m, e as f32)
}

impl Simd for Scalar1 {
    const LANES: usize = 1;
    type V = f32;
    type M = bool;

    #[inline(always)]
    fn splat(self, x: f32) -> f32 {
        x
    }
    #[inline(always)]
    unsafe fn load(self, p: *const f32) -> f32 {
        // SAFETY: caller guarantees `p` is readable.
        unsafe { p.read_unaligned() }
    }
    #[inline(always)]
    unsafe fn store(self, p: *mut f32, v: f32) {
        // SAFETY: caller guarantees `p` is writable.
        unsafe { p.write_unaligned(v) }
    }
    #[inline(always)]
    fn add(self, a: f32, b: f32) -> f32 {
        a + b
    }
    #[inline(always)]
    fn sub(self, a: f32, b: f32) -> f32 {
        a - b
    }
    #[inline(always)]
    fn mul(self, a: f32, b: f32) -> f32 {
        a * b
    }
    #[inline(always)]
    fn div(self, a: f32, b: f32) -> f32 {
        a / b
    }
    #[inline(always)]
    fn fma(self, a: f32, b: f32, c: f32) -> f32 {
        // Not `mul_add`: without hardware FMA that is a slow libm call.
        a * b + c
    }
    #[inline(always)]
    fn max(self, a: f32, b: f32) -> f32 {
        max1(a, b)
    }
    #[inline(always)]
    fn min(self, a: f32, b: f32) -> f32 {
        min1(a, b)
    }
    #[inline(always)]
    fn sqrt(self, a: f32) -> f32 {
        a.sqrt()
    }
    #[inline(always)]
    fn abs(self, a: f32) -> f32 {
        a.abs()
    }
    #[inline(always)]
    fn neg(self, a: f32) -> f32 {
        -a
    }
    #[inline(always)]
    fn floor(self, a: f32) -> f32 {
        a.floor()
    }
    #[inline(always)]
    fn ceil(self, a: f32) -> f32 {
        a.ceil()
    }
    #[inline(always)]
    fn round(self, a: f32) -> f32 {
        a.round_ties_even()
    }
    #[inline(always)]
    fn copysign(self, mag: f32, sign: f32) -> f32 {
        mag.copysign(sign)
    }
    #[inline(always)]
    fn lt(self, a: f32, b: f32) -> bool {
        a < b
    }
    #[inline(always)]
    fn le(self, a: f32, b: f32) -> bool {
        a <= b
    }
    #[inline(always)]
    fn gt(self, a: f32, b: f32) -> bool {
        a > b
    }
    #[inline(always)]
    fn ge(self, a: f32, b: f32) -> bool {
        a >= b
    }
    #[inline(always)]
    fn eq(self, a: f32, b: f32) -> bool {
        a == b
    }
    #[inline(always)]
    fn ne(self, a: f32, b: f32) -> bool {
        a != b
    }
    #[inline(always)]
    fn is_nan(self, a: f32) -> bool {
        a.is_nan()
    }
    #[inline(always)]
    fn mask_or(self, a: bool, b: bool) -> bool {
        a | b
    }
    #[inline(always)]
    fn any(self, m: bool) -> bool {
        m
    }
    #[inline(always)]
    fn select(self, m: bool, a: f32, b: f32) -> f32 {
        if m {
            a
        } else {
            b
        }
    }
    #[inline(always)]
    fn pow2i(self, n: f32) -> f32 {
        pow2i1(n)
    }
    #[inline(always)]
    fn frexp(self, x: f32) -> (f32, f32) {
        frexp1(x)
    }
    #[inline(always)]
    fn reduce_add(self, v: f32) -> f32 {
        v
    }
    #[inline(always)]
    fn reduce_max(self, v: f32) -> f32 {
        v
    }
    #[inline(always)]
    fn reduce_min(self, v: f32) -> f32 {
        v
    }
}

type A4 = [f32; 4];
type B4 = [bool; 4];

#[inline(always)]
fn map1(a: A4, f: impl Fn(f32) -> f32) -> A4 {
    [f(a[0]), f(a[1]), f(a[2]), f(a[3])]
}
#[inline(always)]
fn map2(a: A4, b: A4, f: impl Fn(f32, f32) -> f32) -> A4 {
    [f(a[0], b[0]), f(a[1], b[1]), f(a[2], b[2]), f(a[3], b[3])]
}
#[inline(always)]
fn cmp(a: A4, b: A4, f: impl Fn(f32, f32) -> bool) -> B4 {
    [f(a[0], b[0]), f(a[1], b[1]), f(a[2], b[2]), f(a[3], b[3])]
}

impl Simd for Lanes4 {
    const LANES: usize = 4;
    type V = A4;
    type M = B4;

    #[inline(always)]
    fn splat(self, x: f32) -> A4 {
        [x; 4]
    }
    #[inline(always)]
    unsafe fn load(self, p: *const f32) -> A4 {
        // SAFETY: caller guarantees 4 readable floats at `p`.
        unsafe { (p as *const A4).read_unaligned() }
    }
    #[inline(always)]
    unsafe fn store(self, p: *mut f32, v: A4) {
        // SAFETY: caller guarantees 4 writable floats at `p`.
        unsafe { (p as *mut A4).write_unaligned(v) }
    }
    #[inline(always)]
    fn add(self, a: A4, b: A4) -> A4 {
        map2(a, b, |x, y| x + y)
    }
    #[inline(always)]
    fn sub(self, a: A4, b: A4) -> A4 {
        map2(a, b, |x, y| x - y)
    }
    #[inline(always)]
    fn mul(self, a: A4, b: A4) -> A4 {
        map2(a, b, |x, y| x * y)
    }
    #[inline(always)]
    fn div(self, a: A4, b: A4) -> A4 {
        map2(a, b, |x, y| x / y)
    }
    #[inline(always)]
    fn fma(self, a: A4, b: A4, c: A4) -> A4 {
        [
            a[0] * b[0] + c[0],
            a[1] * b[1] + c[1],
            a[2] * b[2] + c[2],
            a[3] * b[3] + c[3],
        ]
    }
    #[inline(always)]
    fn max(self, a: A4, b: A4) -> A4 {
        map2(a, b, max1)
    }
    #[inline(always)]
    fn min(self, a: A4, b: A4) -> A4 {
        map2(a, b, min1)
    }
    #[inline(always)]
    fn sqrt(self, a: A4) -> A4 {
        map1(a, f32::sqrt)
    }
    #[inline(always)]
    fn abs(self, a: A4) -> A4 {
        map1(a, f32::abs)
    }
    #[inline(always)]
    fn neg(self, a: A4) -> A4 {
        map1(a, |x| -x)
    }
    #[inline(always)]
    fn floor(self, a: A4) -> A4 {
        map1(a, f32::floor)
    }
    #[inline(always)]
    fn ceil(self, a: A4) -> A4 {
        map1(a, f32::ceil)
    }
    #[inline(always)]
    fn round(self, a: A4) -> A4 {
        map1(a, f32::round_ties_even)
    }
    #[inline(always)]
    fn copysign(self, mag: A4, sign: A4) -> A4 {
        map2(mag, sign, f32::copysign)
    }
    #[inline(always)]
    fn lt(self, a: A4, b: A4) -> B4 {
        cmp(a, b, |x, y| x < y)
    }
    #[inline(always)]
    fn le(self, a: A4, b: A4) -> B4 {
        cmp(a, b, |x, y| x <= y)
    }
    #[inline(always)]
    fn gt(self, a: A4, b: A4) -> B4 {
        cmp(a, b, |x, y| x > y)
    }
    #[inline(always)]
    fn ge(self, a: A4, b: A4) -> B4 {
        cmp(a, b, |x, y| x >= y)
    }
    #[inline(always)]
    fn eq(self, a: A4, b: A4) -> B4 {
        cmp(a, b, |x, y| x == y)
    }
    #[inline(always)]
    fn ne(self, a: A4, b: A4) -> B4 {
        cmp(a, b, |x, y| x != y)
    }
    #[inline(always)]
    fn is_nan(self, a: A4) -> B4 {
        cmp(a, a, |x, y| x != y)
    }
    #[inline(always)]
    fn mask_or(self, a: B4, b: B4) -> B4 {
        [a[0] | b[0], a[1] | b[1], a[2] | b[2], a[3] | b[3]]
    }
    #[inline(always)]
    fn any(self, m: B4) -> bool {
        m[0] | m[1] | m[2] | m[3]
    }
    #[inline(always)]
    fn select(self, m: B4, a: A4, b: A4) -> A4 {
        [
            if m[0] { a[0] } else { b[0] },
            if m[1] { a[1] } else { b[1] },
            if m[2] { a[2] } else { b[2] },
            if m[3] { a[3] } else { b[3] },
        ]
    }
    #[inline(always)]
    fn pow2i(self, n: A4) -> A4 {
        map1(n, pow2i1)
    }
    #[inline(always)]
    fn frexp(self, x: A4) -> (A4, A4) {
        let r = [frexp1(x[0]), frexp1(x[1]), frexp1(x[2]), frexp1(x[3])];
        (
            [r[0].0, r[1].0, r[2].0, r[3].0],
            [r[0].1, r[1].1, r[2].1, r[3].1],
        )
    }
    #[inline(always)]
    fn reduce_add(self, v: A4) -> f32 {
        // Pairwise, matching the tree order of the wider implementations.
        (v[0] + v[2]) + (v[1] + v[3])
    }
    #[inline(always)]
    fn reduce_max(self, v: A4) -> f32 {
        max1(max1(v[0], v[2]), max1(v[1], v[3]))
    }
    #[inline(always)]
    fn reduce_min(self, v: A4) -> f32 {
        min1(min1(v[0], v[2]), min1(v[1], v[3]))
    }
}
