//! Column reductions: `x` is a `[rows, inner]` slab reduced over `rows`.
//!
//! Vector lanes run along `inner` and rows are combined vertically, so no
//! horizontal reduction is needed; sums use the pairwise cascade of
//! [`crate::sum`], max/min track NaNs in a lane mask, arg-reductions carry the
//! row index of the best value as an f32 lane (exact below 2^24 rows).

use super::ReduceOp;
use crate::simd::{math, Kernel, Simd};
use crate::sum::{col_sum, load_cols};

/// Column reduction of a `[rows, inner]` slab for columns `c0..c0+out.len()`.
pub(super) struct ColReduce<'a> {
    pub(super) op: ReduceOp,
    pub(super) x: &'a [f32],
    pub(super) rows: usize,
    pub(super) inner: usize,
    pub(super) c0: usize,
    pub(super) out: &'a mut [f32],
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
                let r = s.add(shift[t], math::log(s, sums[t]));
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
