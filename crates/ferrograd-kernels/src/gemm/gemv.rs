//! Matrix–vector products, used when GEMM has a single row or column
//! (`m == 1` or `n == 1`, e.g. batch-1 inference or a bias gradient).
//!
//! Such products are memory-bound: every matrix element is used once, so the
//! packing done by the GEMM path would triple the memory traffic. Instead we
//! stream the matrix exactly once in its native layout: unit-stride rows are
//! reduced with vector dot products, unit-stride columns are combined with
//! vector axpy updates kept in registers.

use super::pack::MatRef;
use crate::cpu::SimdLevel;
use crate::pool::parallel_chunks_mut;
use crate::simd::{dispatch, Kernel, Simd};

/// Elements of matrix traffic per task before a matrix–vector product is
/// split across threads (memory-bound: ~64K floats ≈ 256 KiB per task).
const GEMV_PAR_MIN: usize = 64 * 1024;

/// `m == 1` or `n == 1`: one pass over the matrix operand (see `gemv.rs`).
#[allow(clippy::too_many_arguments)]
pub(super) fn gemv_path(
    level: SimdLevel,
    m: usize,
    n: usize,
    k: usize,
    a: MatRef<'_>,
    b: MatRef<'_>,
    c: &mut [f32],
    c_rs: usize,
    accumulate: bool,
    parallel: bool,
) {
    // y = M · x with M: rows × k, x: k, y written with stride y_stride.
    let (rows, mat, x, y_stride) = if m == 1 {
        // C row = a · B  ⇔  y = Bᵀ a: rows of Bᵀ are columns of B.
        let bt = MatRef {
            rs: b.cs,
            cs: b.rs,
            ..b
        };
        (n, bt, (a.data, a.off, a.cs), 1)
    } else {
        (m, a, (b.data, b.off, b.rs), c_rs)
    };
    // Contiguous copy of x (k floats): cheap, and lets the kernels use vector loads.
    let xv: Vec<f32> = (0..k).map(|p| x.0[x.1 + p * x.2]).collect();
    let mut y = vec![0.0f32; rows];
    let min_rows = if parallel {
        GEMV_PAR_MIN.div_ceil(k).next_multiple_of(64)
    } else {
        usize::MAX
    };
    parallel_chunks_mut(&mut y, min_rows, |r0, out| {
        if mat.cs == 1 {
            dispatch(
                level,
                DotRows {
                    m: mat,
                    x: &xv,
                    r0,
                    out,
                },
            );
        } else if mat.rs == 1 {
            dispatch(
                level,
                AxpyCols {
                    m: mat,
                    x: &xv,
                    r0,
                    out,
                },
            );
        } else {
            // General strides: gather each row once, then a contiguous dot.
            let mut row = vec![0.0f32; k];
            for (r, o) in out.iter_mut().enumerate() {
                for (p, v) in row.iter_mut().enumerate() {
                    *v = mat.data[mat.off + (r0 + r) * mat.rs + p * mat.cs];
                }
                let one = MatRef {
                    data: &row,
                    off: 0,
                    rs: k,
                    cs: 1,
                };
                dispatch(
                    level,
                    DotRows {
                        m: one,
                        x: &xv,
                        r0: 0,
                        out: std::slice::from_mut(o),
                    },
                );
            }
        }
    });
    for (r, v) in y.into_iter().enumerate() {
        let d = &mut c[r * y_stride];
        *d = if accumulate { *d + v } else { v };
    }
}

/// `out[r] = Σ_p M[r0 + r, p] · x[p]` for rows whose elements are contiguous
/// (`M.cs == 1`); `x` is contiguous with `k` elements.
pub(crate) struct DotRows<'a> {
    pub m: MatRef<'a>,
    pub x: &'a [f32],
    pub r0: usize,
    pub out: &'a mut [f32],
}

impl Kernel for DotRows<'_> {
    type Output = ();
    #[inline(always)]
    fn run<S: Simd>(self, s: S) {
        let k = self.x.len();
        let l = S::LANES;
        for (r, o) in self.out.iter_mut().enumerate() {
            let start = self.m.off + (self.r0 + r) * self.m.rs;
            let row = &self.m.data[start..start + k];
            // Four accumulators hide FMA latency.
            let mut acc = [s.splat(0.0); 4];
            let mut p = 0;
            while p + 4 * l <= k {
                for (u, a) in acc.iter_mut().enumerate() {
                    // SAFETY: p + 4*LANES <= k = row.len() = x.len().
                    unsafe {
                        let mv = s.load(row.as_ptr().add(p + u * l));
                        let xv = s.load(self.x.as_ptr().add(p + u * l));
                        *a = s.fma(mv, xv, *a);
                    }
                }
                p += 4 * l;
            }
            let mut tail = 0.0f32;
            for (mv, xv) in row[p..].iter().zip(&self.x[p..]) {
                tail += mv * xv;
            }
            let v = s.add(s.add(acc[0], acc[1]), s.add(acc[2], acc[3]));
            *o = s.reduce_add(v) + tail;
        }
    }
}

/// `out[r] = Σ_p M[r0 + r, p] · x[p]` for a matrix whose columns are
/// contiguous (`M.rs == 1`): a register tile of rows accumulates
/// `x[p] · M[tile, p]` over all `p`.
pub(crate) struct AxpyCols<'a> {
    pub m: MatRef<'a>,
    pub x: &'a [f32],
    pub r0: usize,
    pub out: &'a mut [f32],
}

impl Kernel for AxpyCols<'_> {
    type Output = ();
    #[inline(always)]
    fn run<S: Simd>(self, s: S) {
        let l = S::LANES;
        let rows = self.out.len();
        let (m, x) = (self.m, self.x);
        let mut r = 0;
        while r + 4 * l <= rows {
            let mut acc = [s.splat(0.0); 4];
            for (p, &xp) in x.iter().enumerate() {
                let base = m.off + self.r0 + r + p * m.cs;
                let col = &m.data[base..base + 4 * l];
                let xv = s.splat(xp);
                for (u, a) in acc.iter_mut().enumerate() {
                    // SAFETY: u*LANES + LANES <= 4*LANES = col.len().
                    *a = s.fma(unsafe { s.load(col.as_ptr().add(u * l)) }, xv, *a);
                }
            }
            for (u, a) in acc.iter().enumerate() {
                // SAFETY: r + 4*LANES <= rows = out.len().
                unsafe { s.store(self.out.as_mut_ptr().add(r + u * l), *a) };
            }
            r += 4 * l;
        }
        // Remaining rows (< 4 vectors). Callers split rows in multiples of 64,
        // so which rows land here does not depend on the thread count.
        if r < rows {
            let o = &mut self.out[r..];
            o.fill(0.0);
            for (p, &xp) in x.iter().enumerate() {
                let base = m.off + self.r0 + r + p * m.cs;
                for (ov, &mv) in o.iter_mut().zip(&m.data[base..base + (rows - r)]) {
                    *ov += mv * xp;
                }
            }
        }
    }
}
