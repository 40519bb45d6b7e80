//! Reductions over the middle axis of a contiguous `[outer, len, inner]` tensor.
//!
//! Two layouts are handled separately because they vectorize differently:
//! `inner == 1` reduces contiguous rows (vector accumulators + horizontal
//! reduction), `inner > 1` reduces *columns* (vector lanes run along `inner`,
//! rows are added vertically, no horizontal step). Both are deterministic:
//! results never depend on the thread count.

use crate::cpu::{simd_level, SimdLevel};
use crate::elementwise::PAR_MIN_CHEAP;
use crate::error::KernelError;
use crate::pool::{install, parallel_chunks_mut};
use crate::simd::{dispatch, Kernel, Simd};
use crate::sum::{col_sum, load_cols, row_sum, Term, ROW_BLOCK};

/// A reduction over one axis.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ReduceOp {
    /// Sum (pairwise, accurate to ~1e-7 relative even for millions of terms).
    Sum,
    /// Maximum; NaN if any element is NaN (like PyTorch).
    Max,
    /// Minimum; NaN if any element is NaN (like PyTorch).
    Min,
    /// Index of the first maximum, written as f32 (NaN counts as maximal).
    ArgMax,
    /// Index of the first minimum, written as f32 (NaN counts as minimal).
    ArgMin,
    /// `log(Σ exp(x))`, computed as `m + log(Σ exp(x - m))` with `m = max(x)`.
    LogSumExp,
}

/// Rows at least this long are summed in parallel segments.
const SEGMENT: usize = 64 * ROW_BLOCK;

/// Reduces the middle axis of contiguous `x` (`[outer, len, inner]`) into
/// `out` (`[outer, inner]`).
///
/// `len == 0` gives 0 for `Sum` and [`KernelError::EmptyReduction`] otherwise.
pub fn reduce(
    op: ReduceOp,
    x: &[f32],
    outer: usize,
    len: usize,
    inner: usize,
    out: &mut [f32],
) -> Result<(), KernelError> {
    reduce_with(simd_level(), op, x, outer, len, inner, out)
}

/// Validates `x: [outer, len, inner]`, `out: [outer, inner]`; returns `outer*inner`.
pub(crate) fn check_3d(
    kernel: &'static str,
    x: usize,
    outer: usize,
    len: usize,
    inner: usize,
    out: usize,
    out_is_full: bool,
) -> Result<(), KernelError> {
    let ovf = KernelError::Overflow { kernel };
    let oi = outer.checked_mul(inner).ok_or(ovf.clone())?;
    let n = oi.checked_mul(len).ok_or(ovf)?;
    if x != n {
        return Err(KernelError::BadLength {
            kernel,
            expected: n,
            got: x,
        });
    }
    let want = if out_is_full { n } else { oi };
    if out != want {
        return Err(KernelError::BadLength {
            kernel,
            expected: want,
            got: out,
        });
    }
    Ok(())
}

/// [`reduce`] at an explicit SIMD level.
pub(crate) fn reduce_with(
    level: SimdLevel,
    op: ReduceOp,
    x: &[f32],
    outer: usize,
    len: usize,
    inner: usize,
    out: &mut [f32],
) -> Result<(), KernelError> {
    check_3d("reduce", x.len(), outer, len, inner, out.len(), false)?;
    if out.is_empty() {
        return Ok(());
    }
    if len == 0 {
        if op == ReduceOp::Sum {
            out.fill(0.0);
            return Ok(());
        }
        return Err(KernelError::EmptyReduction { kernel: "reduce" });
    }
    if inner == 1 {
        let min_rows = PAR_MIN_CHEAP.div_ceil(len);
        parallel_chunks_mut(out, min_rows, |o0, chunk| {
            for (j, slot) in chunk.iter_mut().enumerate() {
                let row = &x[(o0 + j) * len..(o0 + j + 1) * len];
                *slot = reduce_row(level, op, row);
            }
        });
    } else {
        let slab = len * inner;
        parallel_chunks_mut(out, PAR_MIN_CHEAP.div_ceil(len), |start, chunk| {
            // A chunk may span several `outer` slabs: handle each segment.
            let mut pos = 0;
            while pos < chunk.len() {
                let flat = start + pos;
                let (o, c0) = (flat / inner, flat % inner);
                let n = (inner - c0).min(chunk.len() - pos);
                let k = ColReduce {
                    op,
                    x: &x[o * slab..(o + 1) * slab],
                    rows: len,
                    inner,
                    c0,
                    out: &mut chunk[pos..pos + n],
                };
                dispatch(level, k);
                pos += n;
            }
        });
    }
    Ok(())
}

/// Reduces one contiguous row; very long rows are split into fixed
/// segments reduced in parallel (fixed, so the result is thread-count independent).
fn reduce_row(level: SimdLevel, op: ReduceOp, row: &[f32]) -> f32 {
    let is_max = !matches!(op, ReduceOp::Min | ReduceOp::ArgMin);
    let minmax = || minmax_par(level, row, is_max);
    match op {
        ReduceOp::Sum => sum_par(level, row, Term::Value),
        ReduceOp::Max | ReduceOp::Min => {
            let (m, has_nan) = minmax();
            if has_nan {
                f32::NAN
            } else {
                m
            }
        }
        ReduceOp::ArgMax | ReduceOp::ArgMin => {
            let (m, has_nan) = minmax();
            let target = if has_nan { f32::NAN } else { m };
            dispatch(level, FindFirst { x: row, target }) as f32
        }
        ReduceOp::LogSumExp => {
            let (m, has_nan) = minmax();
            if has_nan {
                f32::NAN
            } else if m.is_infinite() {
                // All -inf -> -inf; any +inf -> +inf (avoids inf - inf = NaN).
                m
            } else {
                m + sum_par(level, row, Term::ExpShift(m)).ln()
            }
        }
    }
}

/// Sum of a row: segments of `SEGMENT` elements (in parallel when there are
/// several), combined pairwise in order.
pub(crate) fn sum_par(level: SimdLevel, row: &[f32], term: Term) -> f32 {
    if row.len() <= SEGMENT {
        return dispatch(level, RowSum { x: row, term });
    }
    let mut parts = vec![0.0f32; row.len().div_ceil(SEGMENT)];
    parallel_chunks_mut(&mut parts, 2, |p0, chunk| {
        for (j, p) in chunk.iter_mut().enumerate() {
            let s = (p0 + j) * SEGMENT;
            let e = (s + SEGMENT).min(row.len());
            *p = dispatch(
                level,
                RowSum {
                    x: &row[s..e],
                    term,
                },
            );
        }
    });
    pairwise_scalar(&parts)
}

/// Pairwise sum of a short list of partial sums.
fn pairwise_scalar(v: &[f32]) -> f32 {
    match v.len() {
        0 => 0.0,
        1 => v[0],
        n => pairwise_scalar(&v[..n / 2]) + pairwise_scalar(&v[n / 2..]),
    }
}

/// `(max or min ignoring NaN, whether a NaN was seen)`, parallel for long rows.
fn minmax_par(level: SimdLevel, row: &[f32], is_max: bool) -> (f32, bool) {
    if row.len() <= SEGMENT {
        return dispatch(level, RowMinMax { x: row, is_max });
    }
    let chunks = row.len().div_ceil(SEGMENT);
    let parts: Vec<(f32, bool)> = install(|| {
        use rayon::prelude::*;
        (0..chunks)
            .into_par_iter()
            .map(|c| {
                let s = c * SEGMENT;
                let e = (s + SEGMENT).min(row.len());
                dispatch(
                    level,
                    RowMinMax {
                        x: &row[s..e],
                        is_max,
                    },
                )
            })
            .collect()
    });
    parts.iter().fold(
        (
            if is_max {
                f32::NEG_INFINITY
            } else {
                f32::INFINITY
            },
            false,
        ),
        |(m, n), &(pm, pn)| {
            let m = if is_max { m.max(pm) } else { m.min(pm) };
            (m, n | pn)
        },
    )
}

struct RowSum<'a> {
    x: &'a [f32],
    term: Term,
}

impl Kernel for RowSum<'_> {
    type Output = f32;
    #[inline(always)]
    fn run<S: Simd>(self, s: S) -> f32 {
        row_sum(s, self.x, self.term)
    }
}

struct RowMinMax<'a> {
    x: &'a [f32],
    is_max: bool,
}

impl Kernel for RowMinMax<'_> {
    type Output = (f32, bool);
    #[inline(always)]
    fn run<S: Simd>(self, s: S) -> (f32, bool) {
        let x = self.x;
        let l = S::LANES;
        let init = if self.is_max {
            f32::NEG_INFINITY
        } else {
            f32::INFINITY
        };
        let mut acc = [s.splat(init); 4];
        let mut nan = s.is_nan(s.splat(0.0));
        // Operand order max(v, acc): a NaN in v leaves acc untouched; NaNs
        // are tracked separately in a mask.
        let mut i = 0;
        while i + 4 * l <= x.len() {
            for (k, a) in acc.iter_mut().enumerate() {
                // SAFETY: i + 4*LANES <= len.
                let v = unsafe { s.load(x.as_ptr().add(i + k * l)) };
                nan = s.mask_or(nan, s.is_nan(v));
                *a = if self.is_max {
                    s.max(v, *a)
                } else {
                    s.min(v, *a)
                };
            }
            i += 4 * l;
        }
        let mut m = if self.is_max {
            s.reduce_max(s.max(s.max(acc[0], acc[1]), s.max(acc[2], acc[3])))
        } else {
            s.reduce_min(s.min(s.min(acc[0], acc[1]), s.min(acc[2], acc[3])))
        };
        let mut has_nan = s.any(nan);
        for &v in &x[i..] {
            has_nan |= v.is_nan();
            if (self.is_max && v > m) || (!self.is_max && v < m) {
                m = v;
            }
        }
        (m, has_nan)
    }
}

/// Index of the first element equal to `target` (or the first NaN when
/// `target` is NaN). The row is known to contain it.
struct FindFirst<'a> {
    x: &'a [f32],
    target: f32,
}

impl Kernel for FindFirst<'_> {
    type Output = usize;
    #[inline(always)]
    fn run<S: Simd>(self, s: S) -> usize {
        let (x, t) = (self.x, self.target);
        let hit = |v: f32| if t.is_nan() { v.is_nan() } else { v == t };
        let tv = s.splat(t);
        let l = S::LANES;
        let mut i = 0;
        while i + l <= x.len() {
            // SAFETY: i + LANES <= len.
            let v = unsafe { s.load(x.as_ptr().add(i)) };
            let m = if t.is_nan() { s.is_nan(v) } else { s.eq(v, tv) };
            if s.any(m) {
                break;
            }
            i += l;
        }
        x[i..].iter().position(|&v| hit(v)).map_or(0, |p| i + p)
    }
}

/// Column reduction of a `[rows, inner]` slab for columns `c0..c0+out.len()`.
struct ColReduce<'a> {
    op: ReduceOp,
    x: &'a [f32],
    rows: usize,
    inner: usize,
    c0: usize,
    out: &'a mut [f32],
}

impl Kernel for ColReduce<'_> {
    type Output = ();
    #[inline(always)]
    fn run<S: Simd>(self, s: S) {
        let l = S::LANES;
        let end = self.c0 + self.out.len();
        let mut c = self.c0;
        // Four vectors of columns per pass keeps 4 independent add chains in
        // flight; the remainder goes one (possibly padded) vector at a time.
        while c + 4 * l <= end {
            let r = col_tile::<S, 4>(s, &self, c, end);
            store_cols(s, self.out, c - self.c0, &r, end - c);
            c += 4 * l;
        }
        while c < end {
            let r = col_tile::<S, 1>(s, &self, c, end);
            store_cols(s, self.out, c - self.c0, &r, end - c);
            c += l;
        }
    }
}

/// Stores up to `n` columns from `T` vectors into `out[at..]`.
#[inline(always)]
fn store_cols<S: Simd, const T: usize>(s: S, out: &mut [f32], at: usize, v: &[S::V; T], n: usize) {
    let l = S::LANES;
    for (t, &vt) in v.iter().enumerate() {
        let start = at + t * l;
        if t * l >= n {
            break;
        }
        let cnt = (n - t * l).min(l);
        let mut buf = [0.0f32; 16];
        // SAFETY: buf holds 16 >= LANES floats.
        unsafe { s.store(buf.as_mut_ptr(), vt) };
        out[start..start + cnt].copy_from_slice(&buf[..cnt]);
    }
}

/// Reduces columns `c..c + T*LANES` (clipped at `end`) over all rows.
#[inline(always)]
fn col_tile<S: Simd, const T: usize>(s: S, k: &ColReduce<'_>, c: usize, end: usize) -> [S::V; T] {
    let (x, rows, inner) = (k.x, k.rows, k.inner);
    let is_max = matches!(k.op, ReduceOp::Max | ReduceOp::ArgMax | ReduceOp::LogSumExp);
    let nanv = s.splat(f32::NAN);
    match k.op {
        ReduceOp::Sum => col_sum::<S, T>(s, x, rows, inner, c, end, None),
        ReduceOp::Max | ReduceOp::Min => {
            let (best, _, nan, _) = col_minmax::<S, T>(s, k, c, end, is_max, false);
            crate::simd::arr!(s, T, |t| s.select(nan[t], nanv, best[t]))
        }
        ReduceOp::ArgMax | ReduceOp::ArgMin => {
            let (_, idx, nan, nan_idx) = col_minmax::<S, T>(s, k, c, end, is_max, true);
            crate::simd::arr!(s, T, |t| s.select(nan[t], nan_idx[t], idx[t]))
        }
        ReduceOp::LogSumExp => {
            let (m, _, nan, _) = col_minmax::<S, T>(s, k, c, end, is_max, false);
            // Shift by the max, but use 0 for infinite maxima so that
            // exp(x - m) never sees inf - inf; those lanes are fixed below.
            let inf = s.splat(f32::INFINITY);
            let zero = s.splat(0.0);
            let shift: [S::V; T] = crate::simd::arr!(s, T, |t| {
                let finite = s.lt(s.abs(m[t]), inf);
                s.select(finite, m[t], zero)
            });
            let sums = col_sum::<S, T>(s, x, rows, inner, c, end, Some(shift));
            crate::simd::arr!(s, T, |t| {
                let r = s.add(shift[t], crate::simd::math::log(s, sums[t]));
                let r = s.select(s.eq(s.abs(m[t]), inf), m[t], r);
                s.select(nan[t], nanv, r)
            })
        }
    }
}

/// Column max/min over all rows with NaN tracking; with `with_index` also
/// the first row of the extreme value and the first NaN row (as f32).
#[inline(always)]
#[allow(clippy::type_complexity)]
fn col_minmax<S: Simd, const T: usize>(
    s: S,
    k: &ColReduce<'_>,
    c: usize,
    end: usize,
    is_max: bool,
    with_index: bool,
) -> ([S::V; T], [S::V; T], [S::M; T], [S::V; T]) {
    let (x, rows, inner) = (k.x, k.rows, k.inner);
    let init = if is_max {
        f32::NEG_INFINITY
    } else {
        f32::INFINITY
    };
    let mut best = [s.splat(init); T];
    let mut idx = [s.splat(0.0); T];
    let mut nan = [s.is_nan(s.splat(0.0)); T];
    let mut nan_idx = [s.splat(f32::INFINITY); T];
    for r in 0..rows {
        let v = load_cols::<S, T>(s, x, inner, r, c, end, 0.0);
        let rv = s.splat(r as f32);
        for t in 0..T {
            let better = if is_max {
                s.gt(v[t], best[t])
            } else {
                s.lt(v[t], best[t])
            };
            best[t] = s.select(better, v[t], best[t]);
            let vn = s.is_nan(v[t]);
            if with_index {
                idx[t] = s.select(better, rv, idx[t]);
                // Rows only increase, so min() keeps the first NaN row.
                nan_idx[t] = s.select(vn, s.min(nan_idx[t], rv), nan_idx[t]);
            }
            nan[t] = s.mask_or(nan[t], vn);
        }
    }
    (best, idx, nan, nan_idx)
}
