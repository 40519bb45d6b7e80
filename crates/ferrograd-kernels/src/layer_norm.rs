//! Layer normalisation over the last axis of a row-major `[rows, cols]` array, forward and
//! backward in one pass each (the composed form costs ~8 passes forward and ~15 backward).
//! Rows are SIMD-dispatched at run time like the elementwise kernels.

use crate::cpu::simd_level;
use crate::error::KernelError;
use crate::pool::{parallel_for, parallel_rows_mut};
use crate::simd::{dispatch, Kernel, Simd};

const K: &str = "layer_norm";
/// Rows per task: a fork costs ~20 µs, a 128-wide row ~30 ns.
const MIN_ROWS: usize = 512;

fn check(expected: usize, got: usize) -> Result<(), KernelError> {
    if expected != got {
        return Err(KernelError::BadLength {
            kernel: K,
            expected,
            got,
        });
    }
    Ok(())
}

/// `Σ f(x_j)` over a row with vector accumulators.
#[inline(always)]
fn row_sum<S: Simd>(
    s: S,
    a: &[f32],
    b: &[f32],
    f: impl Fn(S::V, S::V) -> S::V,
    fs: impl Fn(f32, f32) -> f32,
) -> f32 {
    let l = S::LANES;
    let n = a.len().min(b.len());
    let mut acc = s.splat(0.0);
    let mut j = 0;
    while j + l <= n {
        // SAFETY: j + LANES <= n, within both slices.
        acc = s.add(
            acc,
            f(unsafe { s.load(a.as_ptr().add(j)) }, unsafe {
                s.load(b.as_ptr().add(j))
            }),
        );
        j += l;
    }
    a[j..n]
        .iter()
        .zip(&b[j..n])
        .fold(s.reduce_add(acc), |t, (&x, &y)| t + fs(x, y))
}

struct ForwardRows<'a> {
    x: &'a [f32],
    y: &'a mut [f32],
    stats: &'a mut [f32],
    cols: usize,
    w: &'a [f32],
    b: &'a [f32],
    eps: f32,
}

impl Kernel for ForwardRows<'_> {
    type Output = ();
    #[inline(always)]
    fn run<S: Simd>(self, s: S) {
        let (cols, l) = (self.cols, S::LANES);
        let n = cols as f32;
        for ((xr, yr), st) in self
            .x
            .chunks_exact(cols)
            .zip(self.y.chunks_exact_mut(cols))
            .zip(self.stats.chunks_exact_mut(2))
        {
            let mean = row_sum(s, xr, xr, |a, _| a, |a, _| a) / n;
            let mv = s.splat(mean);
            let var = row_sum(
                s,
                xr,
                xr,
                |a, _| {
                    let d = s.sub(a, mv);
                    s.mul(d, d)
                },
                |a, _| (a - mean) * (a - mean),
            ) / n;
            let rstd = 1.0 / (var + self.eps).sqrt();
            st[0] = mean;
            st[1] = rstd;
            let rv = s.splat(rstd);
            let w = &self.w[..cols];
            let b = &self.b[..cols];
            let mut j = 0;
            while j + l <= cols {
                // SAFETY: j + LANES <= cols, the length of every row slice here.
                unsafe {
                    let h = s.mul(s.sub(s.load(xr.as_ptr().add(j)), mv), rv);
                    let o = s.fma(h, s.load(w.as_ptr().add(j)), s.load(b.as_ptr().add(j)));
                    s.store(yr.as_mut_ptr().add(j), o);
                }
                j += l;
            }
            for k in j..cols {
                yr[k] = (xr[k] - mean) * rstd * w[k] + b[k];
            }
        }
    }
}

#[derive(Clone, Copy)]
struct SyncPtr(*mut f32);
// SAFETY: hands disjoint row ranges of one buffer to the tasks of one parallel loop, which all
// finish before the buffer's borrow ends.
unsafe impl Send for SyncPtr {}
unsafe impl Sync for SyncPtr {}
impl SyncPtr {
    fn at(self, off: usize) -> *mut f32 {
        self.0.wrapping_add(off)
    }
}

/// `y = (x - mean) · rstd · w + b` per row; writes `y` and the per-row `stats = [mean, rstd]`
/// (`[rows, 2]`). `w`, `b` are `[cols]` (pass `None` for 1 / 0).
#[allow(clippy::too_many_arguments)]
pub fn layer_norm_forward(
    x: &[f32],
    cols: usize,
    w: Option<&[f32]>,
    b: Option<&[f32]>,
    eps: f32,
    y: &mut [f32],
    stats: &mut [f32],
) -> Result<(), KernelError> {
    if cols == 0 {
        return Ok(());
    }
    let rows = x.len() / cols;
    check(rows * cols, x.len())?;
    check(x.len(), y.len())?;
    check(rows * 2, stats.len())?;
    for p in [w, b].into_iter().flatten() {
        check(cols, p.len())?;
    }
    let ones;
    let zeros;
    let w = match w {
        Some(w) => w,
        None => {
            ones = vec![1.0f32; cols];
            &ones
        }
    };
    let b = match b {
        Some(b) => b,
        None => {
            zeros = vec![0.0f32; cols];
            &zeros
        }
    };
    let level = simd_level();
    let (ys, ss) = (SyncPtr(y.as_mut_ptr()), SyncPtr(stats.as_mut_ptr()));
    parallel_for(rows, MIN_ROWS, |range| {
        let count = range.len();
        // SAFETY: tasks get disjoint row ranges; rows `range` of y (cols each) and of stats
        // (2 each) are in bounds (lengths checked above) and written by this task only.
        let (yr, sr) = unsafe {
            (
                std::slice::from_raw_parts_mut(ys.at(range.start * cols), count * cols),
                std::slice::from_raw_parts_mut(ss.at(range.start * 2), count * 2),
            )
        };
        dispatch(
            level,
            ForwardRows {
                x: &x[range.start * cols..range.end * cols],
                y: yr,
                stats: sr,
                cols,
                w,
                b,
                eps,
            },
        );
    });
    Ok(())
}

struct BackwardRows<'a> {
    x: &'a [f32],
    dy: &'a [f32],
    dx: &'a mut [f32],
    stats: &'a [f32],
    cols: usize,
    w: &'a [f32],
}

impl Kernel for BackwardRows<'_> {
    type Output = ();
    #[inline(always)]
    fn run<S: Simd>(self, s: S) {
        let (cols, l) = (self.cols, S::LANES);
        let n = cols as f32;
        let w = &self.w[..cols];
        for (((xr, dyr), dxr), st) in self
            .x
            .chunks_exact(cols)
            .zip(self.dy.chunks_exact(cols))
            .zip(self.dx.chunks_exact_mut(cols))
            .zip(self.stats.chunks_exact(2))
        {
            let (mean, rstd) = (st[0], st[1]);
            let (mv, rv) = (s.splat(mean), s.splat(rstd));
            // g = dy·w (stored in dx), s1 = Σg, s2 = Σ g·h with h = (x - mean)·rstd.
            let (mut a1, mut a2) = (s.splat(0.0), s.splat(0.0));
            let mut j = 0;
            while j + l <= cols {
                // SAFETY: j + LANES <= cols, the length of every row slice here.
                unsafe {
                    let g = s.mul(s.load(dyr.as_ptr().add(j)), s.load(w.as_ptr().add(j)));
                    let h = s.mul(s.sub(s.load(xr.as_ptr().add(j)), mv), rv);
                    a1 = s.add(a1, g);
                    a2 = s.fma(g, h, a2);
                    s.store(dxr.as_mut_ptr().add(j), g);
                }
                j += l;
            }
            let (mut s1, mut s2) = (s.reduce_add(a1), s.reduce_add(a2));
            for k in j..cols {
                let g = dyr[k] * w[k];
                s1 += g;
                s2 += g * (xr[k] - mean) * rstd;
                dxr[k] = g;
            }
            let (m1, m2) = (s1 / n, s2 / n);
            let (m1v, m2v) = (s.splat(m1), s.splat(m2));
            let mut j = 0;
            while j + l <= cols {
                // SAFETY: as above.
                unsafe {
                    let h = s.mul(s.sub(s.load(xr.as_ptr().add(j)), mv), rv);
                    let g = s.load(dxr.as_ptr().add(j));
                    let d = s.sub(s.sub(g, m1v), s.mul(h, m2v));
                    s.store(dxr.as_mut_ptr().add(j), s.mul(d, rv));
                }
                j += l;
            }
            for k in j..cols {
                let h = (xr[k] - mean) * rstd;
                dxr[k] = rstd * (dxr[k] - m1 - h * m2);
            }
        }
    }
}

struct ParamGrads<'a> {
    x: &'a [f32],
    dy: &'a [f32],
    stats: &'a [f32],
    gw: &'a mut [f32],
    gb: &'a mut [f32],
}

impl Kernel for ParamGrads<'_> {
    type Output = ();
    #[inline(always)]
    fn run<S: Simd>(self, s: S) {
        let cols = self.gw.len().min(self.gb.len());
        let l = S::LANES;
        for ((xr, dyr), st) in self
            .x
            .chunks_exact(cols)
            .zip(self.dy.chunks_exact(cols))
            .zip(self.stats.chunks_exact(2))
        {
            let (mean, rstd) = (st[0], st[1]);
            let (mv, rv) = (s.splat(mean), s.splat(rstd));
            let mut j = 0;
            while j + l <= cols {
                // SAFETY: j + LANES <= cols, within every row and both accumulators.
                unsafe {
                    let d = s.load(dyr.as_ptr().add(j));
                    let h = s.mul(s.sub(s.load(xr.as_ptr().add(j)), mv), rv);
                    let pw = self.gw.as_mut_ptr().add(j);
                    let pb = self.gb.as_mut_ptr().add(j);
                    s.store(pw, s.fma(d, h, s.load(pw)));
                    s.store(pb, s.add(s.load(pb), d));
                }
                j += l;
            }
            for k in j..cols {
                self.gw[k] += dyr[k] * (xr[k] - mean) * rstd;
                self.gb[k] += dyr[k];
            }
        }
    }
}

/// Gradients of [`layer_norm_forward`]: `dx` (`[rows, cols]`, overwritten) and, when given,
/// `dw` / `db` (`[cols]`, overwritten).
#[allow(clippy::too_many_arguments)]
pub fn layer_norm_backward(
    x: &[f32],
    cols: usize,
    w: Option<&[f32]>,
    stats: &[f32],
    dy: &[f32],
    dx: &mut [f32],
    dw: Option<&mut [f32]>,
    db: Option<&mut [f32]>,
) -> Result<(), KernelError> {
    if cols == 0 {
        return Ok(());
    }
    let rows = x.len() / cols;
    check(rows * cols, x.len())?;
    check(x.len(), dy.len())?;
    check(x.len(), dx.len())?;
    check(rows * 2, stats.len())?;
    if let Some(w) = w {
        check(cols, w.len())?;
    }
    let ones;
    let w = match w {
        Some(w) => w,
        None => {
            ones = vec![1.0f32; cols];
            &ones
        }
    };
    let level = simd_level();
    parallel_rows_mut(dx, cols, MIN_ROWS, |r0, chunk| {
        let r1 = r0 + chunk.len() / cols;
        dispatch(
            level,
            BackwardRows {
                x: &x[r0 * cols..r1 * cols],
                dy: &dy[r0 * cols..r1 * cols],
                dx: chunk,
                stats: &stats[r0 * 2..r1 * 2],
                cols,
                w,
            },
        );
    });
    if dw.is_none() && db.is_none() {
        return Ok(());
    }
    let mut gw = vec![0.0f32; cols];
    let mut gb = vec![0.0f32; cols];
    dispatch(
        level,
        ParamGrads {
            x,
            dy,
            stats,
            gw: &mut gw,
            gb: &mut gb,
        },
    );
    if let Some(dw) = dw {
        check(cols, dw.len())?;
        dw.copy_from_slice(&gw);
    }
    if let Some(db) = db {
        check(cols, db.len())?;
        db.copy_from_slice(&gb);
    }
    Ok(())
}
