//! Softmax / log-softmax over the middle axis of `[outer, len, inner]`.
//!
//! Numerically stable: every slice is shifted by its maximum before `exp`,
//! so the largest term is exactly `exp(0) = 1` and nothing overflows; the
//! normalizer is summed pairwise (see [`crate::sum`]). log-softmax is computed
//! as `x - m - log(Σ exp(x - m))`, never as `log(softmax)`, which would
//! underflow to `-inf` for very negative logits.

use crate::cpu::{simd_level, SimdLevel};
use crate::elementwise::PAR_MIN_COSTLY;
use crate::error::KernelError;
use crate::pool::parallel_rows_mut;
use crate::reduce::check_3d;
use crate::simd::{dispatch, math, Kernel, Simd};
use crate::sum::{col_sum, load_cols, row_sum, Cascade, Term, ROW_BLOCK};

/// Softmax (or log-softmax when `log`) of contiguous `x` (`[outer, len, inner]`)
/// over the `len` axis, written to `out` (same shape).
pub fn softmax(
    x: &[f32],
    outer: usize,
    len: usize,
    inner: usize,
    out: &mut [f32],
    log: bool,
) -> Result<(), KernelError> {
    softmax_with(simd_level(), x, outer, len, inner, out, log)
}

/// [`softmax`] at an explicit SIMD level.
pub(crate) fn softmax_with(
    level: SimdLevel,
    x: &[f32],
    outer: usize,
    len: usize,
    inner: usize,
    out: &mut [f32],
    log: bool,
) -> Result<(), KernelError> {
    check_3d("softmax", x.len(), outer, len, inner, out.len(), true)?;
    if out.is_empty() {
        return Ok(());
    }
    let slab = len * inner;
    parallel_rows_mut(out, slab, PAR_MIN_COSTLY.div_ceil(slab), |o0, chunk| {
        for (j, dst) in chunk.chunks_mut(slab).enumerate() {
            let src = &x[(o0 + j) * slab..(o0 + j + 1) * slab];
            if inner == 1 {
                dispatch(
                    level,
                    RowSoftmax {
                        x: src,
                        out: dst,
                        log,
                    },
                );
            } else {
                dispatch(
                    level,
                    ColSoftmax {
                        x: src,
                        out: dst,
                        rows: len,
                        inner,
                        log,
                    },
                );
            }
        }
    });
    Ok(())
}

struct RowSoftmax<'a> {
    x: &'a [f32],
    out: &'a mut [f32],
    log: bool,
}

impl Kernel for RowSoftmax<'_> {
    type Output = ();
    #[inline(always)]
    fn run<S: Simd>(self, s: S) {
        // Equal lengths keep every paired load/store below in bounds.
        let n = self.x.len().min(self.out.len());
        let (x, out) = (&self.x[..n], &mut self.out[..n]);
        let l = S::LANES;
        // NaNs need no special casing: they reach the sum and poison the row.
        let mut acc = s.splat(f32::NEG_INFINITY);
        let mut i = 0;
        while i + l <= x.len() {
            // SAFETY: i + LANES <= len.
            acc = s.max(unsafe { s.load(x.as_ptr().add(i)) }, acc);
            i += l;
        }
        let m = x[i..]
            .iter()
            .fold(s.reduce_max(acc), |m, &v| if v > m { v } else { m });
        if self.log {
            let lse = m + row_sum(s, x, Term::ExpShift(m)).ln();
            let lv = s.splat(lse);
            crate::elementwise::map1(
                s,
                x,
                out,
                #[inline(always)]
                |v| s.sub(v, lv),
            );
            return;
        }
        // Pass 2: store exp(x - m) and sum it pairwise in the same sweep.
        let mv = s.splat(m);
        let mut cascade = Cascade::<S, 1>::new(s);
        for (xb, ob) in x.chunks(ROW_BLOCK).zip(out.chunks_mut(ROW_BLOCK)) {
            let mut acc = s.splat(0.0);
            let mut j = 0;
            while j + l <= xb.len() {
                // SAFETY: j + LANES <= block length (same for the out block).
                unsafe {
                    let e = math::exp(s, s.sub(s.load(xb.as_ptr().add(j)), mv));
                    s.store(ob.as_mut_ptr().add(j), e);
                    acc = s.add(acc, e);
                }
                j += l;
            }
            if j < xb.len() {
                let n = xb.len() - j;
                // Pad with -inf: exp(-inf - m) = 0 adds nothing to the sum.
                let mut buf = [f32::NEG_INFINITY; 16];
                buf[..n].copy_from_slice(&xb[j..]);
                // SAFETY: buf holds 16 >= LANES floats.
                unsafe {
                    let e = math::exp(s, s.sub(s.load(buf.as_ptr()), mv));
                    acc = s.add(acc, e);
                    s.store(buf.as_mut_ptr(), e);
                }
                ob[j..].copy_from_slice(&buf[..n]);
            }
            cascade.push(s, [acc]);
        }
        let inv = 1.0 / s.reduce_add(cascade.finish(s)[0]);
        let iv = s.splat(inv);
        let mut j = 0;
        while j + l <= out.len() {
            // SAFETY: j + LANES <= len.
            unsafe {
                let p = out.as_mut_ptr().add(j);
                s.store(p, s.mul(s.load(p), iv));
            }
            j += l;
        }
        for v in &mut out[j..] {
            *v *= inv;
        }
    }
}

struct ColSoftmax<'a> {
    x: &'a [f32],
    out: &'a mut [f32],
    rows: usize,
    inner: usize,
    log: bool,
}

impl Kernel for ColSoftmax<'_> {
    type Output = ();
    #[inline(always)]
    fn run<S: Simd>(self, s: S) {
        let l = S::LANES;
        let ColSoftmax {
            x,
            out,
            rows,
            inner,
            log,
        } = self;
        let mut c = 0;
        while c + 4 * l <= inner {
            col_softmax_tile::<S, 4>(s, x, out, rows, inner, log, c);
            c += 4 * l;
        }
        while c < inner {
            col_softmax_tile::<S, 1>(s, x, out, rows, inner, log, c);
            c += l;
        }
    }
}

/// Writes up to `T*LANES` columns (clipped at `inner`) of row `r`.
#[inline(always)]
fn store_row<S: Simd, const T: usize>(
    s: S,
    out: &mut [f32],
    inner: usize,
    r: usize,
    c: usize,
    v: [S::V; T],
) {
    let l = S::LANES;
    for (t, vt) in v.into_iter().enumerate() {
        let start = c + t * l;
        if start >= inner {
            break;
        }
        let n = (inner - start).min(l);
        let at = r * inner + start;
        if n == l && at + l <= out.len() {
            // SAFETY: at + LANES <= out.len() (checked above).
            unsafe { s.store(out.as_mut_ptr().add(at), vt) };
        } else {
            let mut buf = [0.0f32; 16];
            // SAFETY: buf holds 16 >= LANES floats.
            unsafe { s.store(buf.as_mut_ptr(), vt) };
            out[at..at + n].copy_from_slice(&buf[..n]);
        }
    }
}

#[inline(always)]
#[allow(clippy::too_many_arguments)]
fn col_softmax_tile<S: Simd, const T: usize>(
    s: S,
    x: &[f32],
    out: &mut [f32],
    rows: usize,
    inner: usize,
    log: bool,
    c: usize,
) {
    let mut m = [s.splat(f32::NEG_INFINITY); T];
    for r in 0..rows {
        let v = load_cols::<S, T>(s, x, inner, r, c, inner, 0.0);
        for t in 0..T {
            m[t] = s.max(v[t], m[t]);
        }
    }
    if log {
        let sums = col_sum::<S, T>(s, x, rows, inner, c, inner, Some(m));
        let lse: [S::V; T] = crate::simd::arr!(s, T, |t| s.add(m[t], math::log(s, sums[t])));
        for r in 0..rows {
            let v = load_cols::<S, T>(s, x, inner, r, c, inner, 0.0);
            store_row::<S, T>(
                s,
                out,
                inner,
                r,
                c,
                crate::simd::arr!(s, T, |t| s.sub(v[t], lse[t])),
            );
        }
        return;
    }
    let mut cascade = Cascade::<S, T>::new(s);
    let mut r = 0;
    while r < rows {
        let end = (r + crate::sum::COL_BLOCK).min(rows);
        let mut acc = [s.splat(0.0); T];
        while r < end {
            let v = load_cols::<S, T>(s, x, inner, r, c, inner, 0.0);
            let e: [S::V; T] = crate::simd::arr!(s, T, |t| math::exp(s, s.sub(v[t], m[t])));
            for t in 0..T {
                acc[t] = s.add(acc[t], e[t]);
            }
            store_row(s, out, inner, r, c, e);
            r += 1;
        }
        cascade.push(s, acc);
    }
    let sums = cascade.finish(s);
    let inv: [S::V; T] = crate::simd::arr!(s, T, |t| s.div(s.splat(1.0), sums[t]));
    for r in 0..rows {
        let v = load_cols::<S, T>(s, &*out, inner, r, c, inner, 0.0);
        store_row::<S, T>(
            s,
            out,
            inner,
            r,
            c,
            crate::simd::arr!(s, T, |t| s.mul(v[t], inv[t])),
        );
    }
}
