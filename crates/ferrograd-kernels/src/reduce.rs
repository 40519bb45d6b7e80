//! Reductions over the middle axis of a contiguous `[outer, len, inner]` tensor.
//!
//! Two layouts are handled separately because they vectorize differently:
//! `inner == 1` reduces contiguous rows (vector accumulators + horizontal
//! reduction), `inner > 1` reduces *columns* (vector lanes run along `inner`,
//! rows are added vertically, no horizontal step). Both are deterministic:
//! results never depend on the thread count.

mod cols;

use crate::cpu::{simd_level, SimdLevel};
use crate::elementwise::PAR_MIN_CHEAP;
use crate::error::KernelError;
use crate::pool::{install, parallel_chunks_mut};
use crate::simd::{dispatch, Kernel, Simd};
use crate::sum::{row_sum, Term, ROW_BLOCK};

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

/// Rows shorter than this (e.g. argmax over 10 classes for many samples)
/// are reduced with plain scalar code: a vector dispatch per row would cost
/// more than the row itself.
const SHORT_ROW: usize = 16;

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
                *slot = if len < SHORT_ROW {
                    reduce_short(op, row)
                } else {
                    reduce_row(level, op, row)
                };
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
                let k = cols::ColReduce {
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

/// Scalar reduction of a short, non-empty row (same semantics as `reduce_row`).
fn reduce_short(op: ReduceOp, row: &[f32]) -> f32 {
    let first_nan = row.iter().position(|v| v.is_nan());
    let extreme = |is_max: bool| {
        // (index, value) of the first extreme element; NaN counts as extreme.
        let mut best = (0usize, row[0]);
        for (i, &v) in row.iter().enumerate().skip(1) {
            if (is_max && v > best.1) || (!is_max && v < best.1) {
                best = (i, v);
            }
        }
        match first_nan {
            Some(i) => (i, f32::NAN),
            None => best,
        }
    };
    match op {
        ReduceOp::Sum => row.iter().sum(),
        ReduceOp::Max => extreme(true).1,
        ReduceOp::Min => extreme(false).1,
        ReduceOp::ArgMax => extreme(true).0 as f32,
        ReduceOp::ArgMin => extreme(false).0 as f32,
        ReduceOp::LogSumExp => {
            let m = extreme(true).1;
            if m.is_nan() || m.is_infinite() {
                m
            } else {
                m + row.iter().map(|&v| (v - m).exp()).sum::<f32>().ln()
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
    // The segmentation is fixed; only whether segments run in parallel
    // depends on the size.
    parallel_chunks_mut(&mut parts, PAR_MIN_CHEAP / SEGMENT, |p0, chunk| {
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
    // max/min are exact, so any split gives the same answer.
    if row.len() < PAR_MIN_CHEAP {
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
