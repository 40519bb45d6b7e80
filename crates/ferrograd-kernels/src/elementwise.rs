//! Shared loop skeletons for elementwise kernels: full vectors in the body,
//! then the tail padded into a stack buffer and run through the *same* vector
//! code, so every element gets bit-identical math no matter where chunk
//! boundaries fall (results do not depend on the thread count).

use crate::simd::Simd;

/// Below this many elements an elementwise kernel runs on the calling thread.
///
/// Measured with `examples/par_threshold.rs` on the 2-vCPU Zen 5 VM: a
/// parallel call costs ~15–20 µs of fork/join (the caller blocks on a futex
/// and is woken by the pool), while a memory-bound op such as `add` streams
/// ~8 Gelem/s on one core (32K elements = 4 µs). Splitting only pays once a
/// single-threaded call takes several times the overhead: 512K elements (~60 µs).
pub(crate) const PAR_MIN_CHEAP: usize = 512 * 1024;
/// Threshold for ops costing several ns per element (exp, erf, sin, pow,
/// softmax): ~128K elements ≈ 20 µs single-threaded.
pub(crate) const PAR_MIN_COSTLY: usize = 128 * 1024;

/// One operand of a binary row loop: a contiguous row or a broadcast scalar.
#[derive(Clone, Copy)]
pub(crate) enum Operand<'a> {
    Row(&'a [f32]),
    Splat(f32),
}

impl Operand<'_> {
    /// Vector at element `i` (caller guarantees `i + LANES <= row length`).
    #[inline(always)]
    unsafe fn load<S: Simd>(&self, s: S, i: usize) -> S::V {
        match *self {
            // SAFETY: caller guarantees the lanes are in bounds.
            Operand::Row(r) => unsafe { s.load(r.as_ptr().add(i)) },
            Operand::Splat(v) => s.splat(v),
        }
    }

    /// Vector for the tail starting at `i` with `n < LANES` valid lanes.
    #[inline(always)]
    fn load_tail<S: Simd>(&self, s: S, i: usize, n: usize) -> S::V {
        match *self {
            Operand::Row(r) => {
                let mut buf = [0.0f32; 16];
                buf[..n].copy_from_slice(&r[i..i + n]);
                // SAFETY: `buf` holds 16 >= LANES floats.
                unsafe { s.load(buf.as_ptr()) }
            }
            Operand::Splat(v) => s.splat(v),
        }
    }
}

/// Stores the first `n` lanes of `v` into `out[i..i + n]`.
#[inline(always)]
fn store_tail<S: Simd>(s: S, out: &mut [f32], i: usize, n: usize, v: S::V) {
    let mut buf = [0.0f32; 16];
    // SAFETY: `buf` holds 16 >= LANES floats.
    unsafe { s.store(buf.as_mut_ptr(), v) };
    out[i..i + n].copy_from_slice(&buf[..n]);
}

/// `out[i] = f(x[i])` for `i < out.len()`; requires `x.len() >= out.len()`.
#[inline(always)]
pub(crate) fn map1<S: Simd>(s: S, x: &[f32], out: &mut [f32], f: impl Fn(S::V) -> S::V) {
    let n = out.len().min(x.len());
    let l = S::LANES;
    let mut i = 0;
    // Two vectors per iteration: hides FMA/blend latency in the polynomials.
    while i + 2 * l <= n {
        // SAFETY: i + 2*LANES <= n <= len of both slices.
        unsafe {
            let a = f(s.load(x.as_ptr().add(i)));
            let b = f(s.load(x.as_ptr().add(i + l)));
            s.store(out.as_mut_ptr().add(i), a);
            s.store(out.as_mut_ptr().add(i + l), b);
        }
        i += 2 * l;
    }
    while i + l <= n {
        // SAFETY: i + LANES <= n.
        unsafe { s.store(out.as_mut_ptr().add(i), f(s.load(x.as_ptr().add(i)))) };
        i += l;
    }
    if i < n {
        let v = f(Operand::Row(x).load_tail(s, i, n - i));
        store_tail(s, out, i, n - i, v);
    }
}

/// `out[i] = f(a[i], b[i])` where each operand is a row or a broadcast scalar.
#[inline(always)]
pub(crate) fn map2<S: Simd>(
    s: S,
    a: Operand<'_>,
    b: Operand<'_>,
    out: &mut [f32],
    f: impl Fn(S::V, S::V) -> S::V,
) {
    let mut n = out.len();
    for op in [a, b] {
        if let Operand::Row(r) = op {
            n = n.min(r.len());
        }
    }
    let l = S::LANES;
    let mut i = 0;
    while i + l <= n {
        // SAFETY: i + LANES <= n <= length of every row operand and of out.
        unsafe {
            let v = f(a.load(s, i), b.load(s, i));
            s.store(out.as_mut_ptr().add(i), v);
        }
        i += l;
    }
    if i < n {
        let v = f(a.load_tail(s, i, n - i), b.load_tail(s, i, n - i));
        store_tail(s, out, i, n - i, v);
    }
}

/// `out[i] = c[i] != 0 ? a[i] : b[i]` with row-or-scalar operands.
#[inline(always)]
pub(crate) fn map3<S: Simd>(
    s: S,
    c: Operand<'_>,
    a: Operand<'_>,
    b: Operand<'_>,
    out: &mut [f32],
    f: impl Fn(S::V, S::V, S::V) -> S::V,
) {
    let mut n = out.len();
    for op in [c, a, b] {
        if let Operand::Row(r) = op {
            n = n.min(r.len());
        }
    }
    let l = S::LANES;
    let mut i = 0;
    while i + l <= n {
        // SAFETY: i + LANES <= n <= length of every row operand and of out.
        unsafe {
            let v = f(c.load(s, i), a.load(s, i), b.load(s, i));
            s.store(out.as_mut_ptr().add(i), v);
        }
        i += l;
    }
    if i < n {
        let m = n - i;
        let v = f(
            c.load_tail(s, i, m),
            a.load_tail(s, i, m),
            b.load_tail(s, i, m),
        );
        store_tail(s, out, i, m, v);
    }
}
