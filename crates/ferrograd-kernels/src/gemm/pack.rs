//! Packing of A and B panels into the layouts the micro-kernel streams.
//!
//! Packing makes the inner loop independent of the caller's strides (so
//! transposed views cost nothing extra), turns every access into a unit-stride
//! stream the prefetchers follow, and zero-pads ragged edges so the
//! micro-kernel always computes a full tile with identical arithmetic.

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
}

/// Packs the `rows × kc` block of A at `(i0, p0)` into row panels of `mr`
/// rows: panel `t` holds, for each `p`, the `mr` values `A[i0+t*mr.., p0+p]`
/// contiguously (`kc * mr` floats per panel; missing rows are zero).
pub(crate) fn pack_a(
    a: MatRef<'_>,
    i0: usize,
    rows: usize,
    p0: usize,
    kc: usize,
    mr: usize,
    dst: &mut [f32],
) {
    for (t, panel) in dst
        .chunks_exact_mut(kc * mr)
        .take(rows.div_ceil(mr))
        .enumerate()
    {
        let r0 = t * mr;
        let live = (rows - r0).min(mr);
        if a.cs == 1 {
            // Row-major A: read each row contiguously, scatter with stride mr.
            for i in 0..live {
                let base = a.off + (i0 + r0 + i) * a.rs + p0;
                for (p, &v) in a.data[base..base + kc].iter().enumerate() {
                    panel[p * mr + i] = v;
                }
            }
            if live < mr {
                for p in 0..kc {
                    panel[p * mr + live..(p + 1) * mr].fill(0.0);
                }
            }
        } else {
            for (p, col) in panel.chunks_exact_mut(mr).enumerate() {
                for (i, d) in col.iter_mut().enumerate() {
                    *d = if i < live {
                        a.at(i0 + r0 + i, p0 + p)
                    } else {
                        0.0
                    };
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
    for (t, panel) in dst
        .chunks_exact_mut(kc * nr)
        .take(cols.div_ceil(nr))
        .enumerate()
    {
        let c0 = t * nr;
        let live = (cols - c0).min(nr);
        if b.cs == 1 {
            // Row-major B: each panel row is a contiguous slice of a B row.
            for (p, row) in panel.chunks_exact_mut(nr).enumerate() {
                let base = b.off + (p0 + p) * b.rs + j0 + c0;
                row[..live].copy_from_slice(&b.data[base..base + live]);
                row[live..].fill(0.0);
            }
        } else if b.rs == 1 {
            // Column-major (transposed) B: read columns contiguously.
            for j in 0..nr {
                if j < live {
                    let base = b.off + (j0 + c0 + j) * b.cs + p0;
                    for (p, &v) in b.data[base..base + kc].iter().enumerate() {
                        panel[p * nr + j] = v;
                    }
                } else {
                    for p in 0..kc {
                        panel[p * nr + j] = 0.0;
                    }
                }
            }
        } else {
            for (p, row) in panel.chunks_exact_mut(nr).enumerate() {
                for (j, d) in row.iter_mut().enumerate() {
                    *d = if j < live {
                        b.at(p0 + p, j0 + c0 + j)
                    } else {
                        0.0
                    };
                }
            }
        }
    }
}
