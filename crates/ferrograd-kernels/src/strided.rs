//! Broadcasting / strided elementwise kernels and view materialization.
//!
//! Every kernel simplifies the iteration space (see [`crate::layout`]) and
//! then runs vectorized row loops: an operand whose innermost stride is 1 is
//! read in place, stride 0 becomes a broadcast register, and any other stride
//! is gathered into a small stack buffer first. Rows are split across the pool.

use crate::binary::{apply, binary_contiguous_with, BinaryOp, BinaryRow};
use crate::cpu::{simd_level, SimdLevel};
use crate::elementwise::{map3, Operand, PAR_MIN_CHEAP};
use crate::error::KernelError;
use crate::layout::{check_view, numel, Walk};
use crate::pool::parallel_rows_mut;
use crate::simd::portable::Scalar1;
use crate::simd::{dispatch, Kernel, Simd};

/// Elements gathered per block for operands with a non-unit inner stride.
const BLOCK: usize = 256;
/// Rows shorter than this are processed with scalar code (no dispatch).
const SHORT_ROW: usize = 16;

/// A strided operand: `(data, offset, strides)`.
pub type StridedArg<'a> = (&'a [f32], usize, &'a [usize]);

fn check_out(kernel: &'static str, shape: &[usize], out: &[f32]) -> Result<usize, KernelError> {
    let n = numel(kernel, shape)?;
    if out.len() != n {
        return Err(KernelError::BadLength {
            kernel,
            expected: n,
            got: out.len(),
        });
    }
    Ok(n)
}

/// Minimum rows per task so that each task has ~`PAR_MIN_CHEAP` elements.
fn min_rows(inner: usize) -> usize {
    PAR_MIN_CHEAP.div_ceil(inner.max(1))
}

/// Copies `n` elements starting at `data[off]` with stride `st` into `buf`.
#[inline]
fn gather(data: &[f32], off: usize, st: usize, buf: &mut [f32]) {
    for (j, b) in buf.iter_mut().enumerate() {
        *b = data[off + j * st];
    }
}

/// Makes the operand for `len` inner elements starting at `off` with stride
/// `st`, gathering into `buf` when the stride is neither 0 nor 1.
#[inline]
fn operand<'a>(
    data: &'a [f32],
    off: usize,
    st: usize,
    len: usize,
    buf: &'a mut [f32],
) -> Operand<'a> {
    match st {
        0 => Operand::Splat(data[off]),
        1 => Operand::Row(&data[off..off + len]),
        _ => {
            gather(data, off, st, &mut buf[..len]);
            Operand::Row(&buf[..len])
        }
    }
}

/// Broadcasting binary op: `out[idx] = a[a_offset + Σ idx·a_strides] op b[...]`.
///
/// `out` is contiguous with `shape`; a stride of 0 broadcasts. Fast paths:
/// fully contiguous operands go to [`binary_contiguous`](crate::binary_contiguous),
/// unit / zero innermost strides run vectorized in place.
#[allow(clippy::too_many_arguments)]
pub fn binary_strided(
    op: BinaryOp,
    shape: &[usize],
    a: &[f32],
    a_offset: usize,
    a_strides: &[usize],
    b: &[f32],
    b_offset: usize,
    b_strides: &[usize],
    out: &mut [f32],
) -> Result<(), KernelError> {
    binary_strided_with(
        simd_level(),
        op,
        shape,
        (a, a_offset, a_strides),
        (b, b_offset, b_strides),
        out,
    )
}

/// [`binary_strided`] at an explicit SIMD level.
pub(crate) fn binary_strided_with(
    level: SimdLevel,
    op: BinaryOp,
    shape: &[usize],
    (a, a_off, a_st): StridedArg<'_>,
    (b, b_off, b_st): StridedArg<'_>,
    out: &mut [f32],
) -> Result<(), KernelError> {
    const K: &str = "binary_strided";
    let n = check_out(K, shape, out)?;
    check_view(K, shape, a.len(), a_off, a_st)?;
    check_view(K, shape, b.len(), b_off, b_st)?;
    if n == 0 {
        return Ok(());
    }
    let w = Walk::new(shape, [a_off, b_off], [a_st, b_st]);
    if w.outer_shape.is_empty() && w.inner_strides == [1, 1] {
        return binary_contiguous_with(level, op, &a[a_off..a_off + n], &b[b_off..b_off + n], out);
    }
    let inner = w.inner;
    let [sa, sb] = w.inner_strides;
    parallel_rows_mut(out, inner, op.par_min().div_ceil(inner), |row0, chunk| {
        let rows = chunk.len() / inner;
        if inner < SHORT_ROW {
            // Short rows (e.g. [N, 3] + [3]): a per-row vector dispatch
            // would cost more than the row; plain scalar code, same
            // IEEE results as the vector path.
            w.for_rows(row0, row0 + rows, |[oa, ob], r| {
                let row = &mut chunk[(r - row0) * inner..(r - row0 + 1) * inner];
                for (j, d) in row.iter_mut().enumerate() {
                    *d = apply(Scalar1, op, a[oa + j * sa], b[ob + j * sb]);
                }
            });
            return;
        }
        let mut ba = [0.0f32; BLOCK];
        let mut bb = [0.0f32; BLOCK];
        w.for_rows(row0, row0 + rows, |[oa, ob], r| {
            let row = &mut chunk[(r - row0) * inner..(r - row0 + 1) * inner];
            for (j, dst) in row.chunks_mut(BLOCK).enumerate() {
                let j0 = j * BLOCK;
                let len = dst.len();
                let ka = operand(a, oa + j0 * sa, sa, len, &mut ba);
                let kb = operand(b, ob + j0 * sb, sb, len, &mut bb);
                dispatch(
                    level,
                    BinaryRow {
                        op,
                        a: ka,
                        b: kb,
                        out: dst,
                    },
                );
            }
        });
    });
    Ok(())
}

struct WhereRow<'a> {
    c: Operand<'a>,
    a: Operand<'a>,
    b: Operand<'a>,
    out: &'a mut [f32],
}

impl Kernel for WhereRow<'_> {
    type Output = ();
    #[inline(always)]
    fn run<S: Simd>(self, s: S) {
        let zero = s.splat(0.0);
        // `c != 0` is true for NaN, matching a float -> bool cast.
        map3(
            s,
            self.c,
            self.a,
            self.b,
            self.out,
            #[inline(always)]
            |c, a, b| s.select(s.ne(c, zero), a, b),
        );
    }
}

/// `out = cond != 0 ? a : b` with broadcasting strided operands
/// (each given as `(data, offset, strides)`); `out` is contiguous with `shape`.
pub fn where_strided(
    shape: &[usize],
    cond: StridedArg<'_>,
    a: StridedArg<'_>,
    b: StridedArg<'_>,
    out: &mut [f32],
) -> Result<(), KernelError> {
    where_strided_with(simd_level(), shape, cond, a, b, out)
}

/// [`where_strided`] at an explicit SIMD level.
pub(crate) fn where_strided_with(
    level: SimdLevel,
    shape: &[usize],
    cond: StridedArg<'_>,
    a: StridedArg<'_>,
    b: StridedArg<'_>,
    out: &mut [f32],
) -> Result<(), KernelError> {
    const K: &str = "where_strided";
    let n = check_out(K, shape, out)?;
    for (d, off, st) in [cond, a, b] {
        check_view(K, shape, d.len(), off, st)?;
    }
    if n == 0 {
        return Ok(());
    }
    let w = Walk::new(shape, [cond.1, a.1, b.1], [cond.2, a.2, b.2]);
    let inner = w.inner;
    let [sc, sa, sb] = w.inner_strides;
    parallel_rows_mut(out, inner, min_rows(inner), |row0, chunk| {
        let rows = chunk.len() / inner;
        if inner < SHORT_ROW {
            w.for_rows(row0, row0 + rows, |[oc, oa, ob], r| {
                let row = &mut chunk[(r - row0) * inner..(r - row0 + 1) * inner];
                for (j, d) in row.iter_mut().enumerate() {
                    let c = cond.0[oc + j * sc];
                    *d = if c != 0.0 {
                        a.0[oa + j * sa]
                    } else {
                        b.0[ob + j * sb]
                    };
                }
            });
            return;
        }
        let mut bc = [0.0f32; BLOCK];
        let mut ba = [0.0f32; BLOCK];
        let mut bb = [0.0f32; BLOCK];
        w.for_rows(row0, row0 + rows, |[oc, oa, ob], r| {
            let row = &mut chunk[(r - row0) * inner..(r - row0 + 1) * inner];
            for (j, dst) in row.chunks_mut(BLOCK).enumerate() {
                let j0 = j * BLOCK;
                let len = dst.len();
                let kc = operand(cond.0, oc + j0 * sc, sc, len, &mut bc);
                let ka = operand(a.0, oa + j0 * sa, sa, len, &mut ba);
                let kb = operand(b.0, ob + j0 * sb, sb, len, &mut bb);
                dispatch(
                    level,
                    WhereRow {
                        c: kc,
                        a: ka,
                        b: kb,
                        out: dst,
                    },
                );
            }
        });
    });
    Ok(())
}

/// Materializes the strided view `(src, src_offset, src_strides)` of `shape`
/// into contiguous `out`.
///
/// Rows with unit inner stride are plain `memcpy`s; 2-D transposes (inner
/// stride > 1 where another dim has stride 1) are copied in cache-sized tiles;
/// big tensors are split across the pool.
pub fn copy_strided(
    shape: &[usize],
    src: &[f32],
    src_offset: usize,
    src_strides: &[usize],
    out: &mut [f32],
) -> Result<(), KernelError> {
    const K: &str = "copy_strided";
    let n = check_out(K, shape, out)?;
    check_view(K, shape, src.len(), src_offset, src_strides)?;
    if n == 0 {
        return Ok(());
    }
    let w = Walk::new(shape, [src_offset], [src_strides]);
    let inner = w.inner;
    let [st] = w.inner_strides;
    if w.outer_shape.is_empty() && st == 1 {
        out.copy_from_slice(&src[src_offset..src_offset + n]);
        return Ok(());
    }
    if let (Some(&rows), Some(&[rs])) = (w.outer_shape.last(), w.outer_strides.last()) {
        if rs == 1 && st > 1 {
            copy_transposed(&w, rows, src, out);
            return Ok(());
        }
    }
    parallel_rows_mut(out, inner, min_rows(inner), |row0, chunk| {
        let rows = chunk.len() / inner;
        w.for_rows(row0, row0 + rows, |[o], r| {
            let row = &mut chunk[(r - row0) * inner..(r - row0 + 1) * inner];
            match st {
                0 => row.fill(src[o]),
                1 => row.copy_from_slice(&src[o..o + inner]),
                _ => gather(src, o, st, row),
            }
        });
    });
    Ok(())
}

/// Side of the square blocks used for transposing copies (16 floats = one
/// cache line).
const TILE: usize = 16;

/// Copy where the innermost source stride is large but the next dim is
/// contiguous in the source (a transposed view): each `rows × inner` matrix
/// is transposed in 16×16 blocks, matrices split across the pool.
///
/// A block is staged through a 1 KiB buffer: 16 full source lines are read,
/// then 16 full output lines written. Reading/writing directly would keep 16
/// lines spaced by the (often power-of-two) stride live at once; those all map
/// to the same L1 set and evict each other (4x slower for 1024×1024).
fn copy_transposed(w: &Walk<1>, rows: usize, src: &[f32], out: &mut [f32]) {
    let inner = w.inner;
    let [cs] = w.inner_strides;
    let mat = rows * inner;
    let batch_dims = w.outer_shape.len() - 1;
    let min_mats = PAR_MIN_CHEAP.div_ceil(mat);
    parallel_rows_mut(out, mat, min_mats, |b0, chunk| {
        let mut buf = [[0.0f32; TILE]; TILE];
        for (bi, dst) in chunk.chunks_mut(mat).enumerate() {
            // Source offset of matrix b (unravel over the batch dims).
            let mut rem = b0 + bi;
            let mut base = w.offsets[0];
            for d in (0..batch_dims).rev() {
                let n = w.outer_shape[d];
                base += (rem % n) * w.outer_strides[d][0];
                rem /= n;
            }
            for r0 in (0..rows).step_by(TILE) {
                let r1 = (r0 + TILE).min(rows);
                for c0 in (0..inner).step_by(TILE) {
                    let c1 = (c0 + TILE).min(inner);
                    if r1 - r0 == TILE && c1 - c0 == TILE {
                        for (c, line) in buf.iter_mut().enumerate() {
                            let s0 = base + r0 + (c0 + c) * cs;
                            line.copy_from_slice(&src[s0..s0 + TILE]);
                        }
                        for (r, drow) in dst[r0 * inner..].chunks_mut(inner).take(TILE).enumerate()
                        {
                            for (c, d) in drow[c0..c0 + TILE].iter_mut().enumerate() {
                                *d = buf[c][r];
                            }
                        }
                        continue;
                    }
                    for r in r0..r1 {
                        let drow = &mut dst[r * inner + c0..r * inner + c1];
                        for (j, d) in drow.iter_mut().enumerate() {
                            *d = src[base + r + (c0 + j) * cs];
                        }
                    }
                }
            }
        }
    });
}
