//! Packing of A and B panels into the layouts the micro-kernel streams.
//!
//! Packing makes the inner loop independent of the caller's strides (so
//! transposed views cost nothing extra), turns every access into a unit-stride
//! stream the prefetchers follow, avoids cache-set aliasing of power-of-two
//! leading dimensions, and zero-pads ragged edges so the micro-kernel always
//! computes a full tile with identical arithmetic.
//!
//! Row-major A is packed row by row (plain copies, see `pack_a`); only
//! transposed B panels need a transpose, whose inner loop uses unchecked
//! reads after one up-front bounds check.

use super::driver::KC;

/// A strided read-only matrix view: element `(i, j)` at `data[off + i*rs + j*cs]`.
#[derive(Clone, Copy)]
pub(crate) struct MatRef<'a> {
    pub data: &'a [f32],
    pub off: usize,
    pub rs: usize,
    pub cs: usize,
}

impl MatRef<'_> {
    #[inline(always)]
    fn at(&self, i: usize, j: usize) -> f32 {
        self.data[self.off + i * self.rs + j * self.cs]
    }

    /// Whether the `rows × cols` block at `(i0, j0)` lies inside `data`.
    fn block_in_bounds(&self, i0: usize, rows: usize, j0: usize, cols: usize) -> bool {
        if rows == 0 || cols == 0 {
            return true;
        }
        let last = (i0 + rows - 1)
            .checked_mul(self.rs)
            .and_then(|x| {
                (j0 + cols - 1)
                    .checked_mul(self.cs)
                    .and_then(|y| x.checked_add(y))
            })
            .and_then(|x| x.checked_add(self.off));
        matches!(last, Some(l) if l < self.data.len())
    }
}

/// Packs the `rows × kc` block of A at `(i0, p0)` into panels of `MR` rows.
///
/// k-major (`ROWS = false`): panel `t` holds, for each `p`, the `MR` values
/// `A[i0+t*MR.., p0+p]` contiguously (`kc * MR` floats per panel).
/// Row-major (`ROWS = true`, used when A's rows are contiguous): panel `t`
/// holds row `i` at `[i*KC .. i*KC + kc]` (`MR * KC` floats per panel), so
/// packing is a plain row copy instead of a transpose. Missing rows are zero.
pub(crate) fn pack_a<const MR: usize, const ROWS: bool>(
    a: MatRef<'_>,
    i0: usize,
    rows: usize,
    p0: usize,
    kc: usize,
    dst: &mut [f32],
) {
    if ROWS {
        for (t, panel) in dst
            .chunks_exact_mut(MR * KC)
            .take(rows.div_ceil(MR))
            .enumerate()
        {
            let r0 = i0 + t * MR;
            let live = (rows - t * MR).min(MR);
            for (i, row) in panel.chunks_exact_mut(KC).enumerate() {
                if i < live {
                    let s0 = a.off + (r0 + i) * a.rs + p0 * a.cs;
                    if a.cs == 1 {
                        row[..kc].copy_from_slice(&a.data[s0..s0 + kc]);
                    } else {
                        for (p, d) in row[..kc].iter_mut().enumerate() {
                            *d = a.data[s0 + p * a.cs];
                        }
                    }
                } else {
                    row[..kc].fill(0.0);
                }
            }
        }
        return;
    }
    let fast = a.block_in_bounds(i0, rows, p0, kc);
    for (t, panel) in dst
        .chunks_exact_mut(kc * MR)
        .take(rows.div_ceil(MR))
        .enumerate()
    {
        let r0 = i0 + t * MR;
        let live = (rows - t * MR).min(MR);
        if fast && a.rs == 1 && live == MR {
            // Column-major (transposed) A: each k step is a contiguous copy.
            for (p, col) in panel.chunks_exact_mut(MR).enumerate() {
                let s = a.off + r0 + (p0 + p) * a.cs;
                col.copy_from_slice(&a.data[s..s + MR]);
            }
        } else {
            for (p, col) in panel.chunks_exact_mut(MR).enumerate() {
                for (i, d) in col.iter_mut().enumerate() {
                    *d = if i < live { a.at(r0 + i, p0 + p) } else { 0.0 };
                }
            }
        }
    }
}

/// Packs the `kc × cols` block of B at `(p0, j0)` into column panels of `nr`
/// columns: panel `t` holds, for each `p`, `B[p0+p, j0+t*nr..+nr]`
/// contiguously (`kc * nr` floats per panel; missing columns are zero).
pub(crate) fn pack_b(
    b: MatRef<'_>,
    p0: usize,
    kc: usize,
    j0: usize,
    cols: usize,
    nr: usize,
    dst: &mut [f32],
) {
    let fast = b.block_in_bounds(p0, kc, j0, cols);
    for (t, panel) in dst
        .chunks_exact_mut(kc * nr)
        .take(cols.div_ceil(nr))
        .enumerate()
    {
        let c0 = j0 + t * nr;
        let live = (cols - t * nr).min(nr);
        if b.cs == 1 {
            // Row-major B: each panel row is a contiguous slice of a B row.
            for (p, row) in panel.chunks_exact_mut(nr).enumerate() {
                let s = b.off + (p0 + p) * b.rs + c0;
                row[..live].copy_from_slice(&b.data[s..s + live]);
                row[live..].fill(0.0);
            }
        } else if fast && b.rs == 1 {
            // Column-major (transposed) B: nr column streams.
            let base = b.data.as_ptr().wrapping_add(b.off + c0 * b.cs + p0);
            for (p, row) in panel.chunks_exact_mut(nr).enumerate() {
                for (j, d) in row.iter_mut().enumerate() {
                    *d = if j < live {
                        // SAFETY: (p0+p, c0+j) is inside the checked block.
                        unsafe { *base.add(j * b.cs + p) }
                    } else {
                        0.0
                    };
                }
            }
        } else {
            for (p, row) in panel.chunks_exact_mut(nr).enumerate() {
                for (j, d) in row.iter_mut().enumerate() {
                    *d = if j < live { b.at(p0 + p, c0 + j) } else { 0.0 };
                }
            }
        }
    }
}
