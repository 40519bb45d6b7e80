//! Separable linear resampling of planes, and its adjoint.
//!
//! Average, sum and adaptive-average pooling and nearest / bilinear
//! upsampling are all the same map:
//! `out[p, i, j] = Σ_a Σ_b h[i, a] · w[j, b] · x[p, a, b]`, where each output
//! row `i` (column `j`) reads a short contiguous run of input rows (columns)
//! with fixed weights. An [`AxisMap`] holds those runs for one axis; the
//! kernels apply the width map to every input row, then the height map, so a
//! `k×k` window costs `2k` multiply-adds per output instead of `k²`.
//!
//! Both directions are written out (rather than the adjoint being derived),
//! so the gradient of a pooling or upsampling layer is one kernel call.

use crate::error::KernelError;
use crate::pool::parallel_rows_mut;
use crate::scratch::{with_scratch, FirstError};

/// Each task handles at least this many output elements.
const MIN_TASK_ELEMS: usize = 1 << 14;

/// The taps of one axis: output index `i` reads inputs
/// `start(i) .. start(i) + weights(i).len()` with those weights.
#[derive(Debug, Clone, PartialEq)]
pub struct AxisMap {
    in_len: usize,
    starts: Vec<usize>,
    /// `weights[offsets[i]..offsets[i + 1]]` belong to output `i`.
    offsets: Vec<usize>,
    weights: Vec<f32>,
}

impl AxisMap {
    /// An empty map over an axis of `in_len` inputs (add outputs with [`push`](Self::push)).
    pub fn new(in_len: usize) -> Self {
        AxisMap {
            in_len,
            starts: Vec::new(),
            offsets: vec![0],
            weights: Vec::new(),
        }
    }

    /// An empty map with room for `outputs` outputs and `taps` weights in all, reserved
    /// fallibly ([`KernelError::Alloc`] when the memory cannot be had).
    pub fn with_capacity(in_len: usize, outputs: usize, taps: usize) -> Result<Self, KernelError> {
        let alloc = |elements| KernelError::Alloc {
            kernel: "AxisMap",
            elements,
        };
        let mut map = AxisMap::new(in_len);
        map.starts
            .try_reserve_exact(outputs)
            .map_err(|_| alloc(outputs))?;
        map.offsets
            .try_reserve_exact(outputs)
            .map_err(|_| alloc(outputs))?;
        map.weights
            .try_reserve_exact(taps)
            .map_err(|_| alloc(taps))?;
        Ok(map)
    }

    /// Appends an output reading inputs `start..start + weights.len()`.
    pub fn push(&mut self, start: usize, weights: &[f32]) -> Result<(), KernelError> {
        if start
            .checked_add(weights.len())
            .is_none_or(|end| end > self.in_len)
        {
            return Err(KernelError::InvalidGeometry {
                kernel: "AxisMap",
                reason: "taps must lie inside the input axis",
            });
        }
        self.starts.push(start);
        self.weights.extend_from_slice(weights);
        self.offsets.push(self.weights.len());
        Ok(())
    }

    /// Length of the input axis.
    pub fn in_len(&self) -> usize {
        self.in_len
    }

    /// Number of outputs.
    pub fn out_len(&self) -> usize {
        self.starts.len()
    }

    /// First input index and weights of output `i`.
    #[inline]
    fn taps(&self, i: usize) -> (usize, &[f32]) {
        (
            self.starts[i],
            &self.weights[self.offsets[i]..self.offsets[i + 1]],
        )
    }
}

struct Planes {
    in_plane: usize,
    out_plane: usize,
    total_in: usize,
    total_out: usize,
}

fn sizes(
    kernel: &'static str,
    planes: usize,
    h: &AxisMap,
    w: &AxisMap,
) -> Result<Planes, KernelError> {
    let ovf = || KernelError::Overflow { kernel };
    let in_plane = h.in_len.checked_mul(w.in_len).ok_or_else(ovf)?;
    let out_plane = h.out_len().checked_mul(w.out_len()).ok_or_else(ovf)?;
    // The middle buffer holds one plane of in_h × out_w.
    h.in_len.checked_mul(w.out_len()).ok_or_else(ovf)?;
    Ok(Planes {
        in_plane,
        out_plane,
        total_in: planes.checked_mul(in_plane).ok_or_else(ovf)?,
        total_out: planes.checked_mul(out_plane).ok_or_else(ovf)?,
    })
}

fn check_len(kernel: &'static str, expected: usize, got: usize) -> Result<(), KernelError> {
    if expected != got {
        return Err(KernelError::BadLength {
            kernel,
            expected,
            got,
        });
    }
    Ok(())
}

/// Applies the separable map: `x` holds `planes` planes of
/// `h.in_len() × w.in_len()`, `out` (overwritten) `planes` planes of
/// `h.out_len() × w.out_len()`.
pub fn resample2d(
    x: &[f32],
    planes: usize,
    h: &AxisMap,
    w: &AxisMap,
    out: &mut [f32],
) -> Result<(), KernelError> {
    const K: &str = "resample2d";
    let s = sizes(K, planes, h, w)?;
    check_len(K, s.total_in, x.len())?;
    check_len(K, s.total_out, out.len())?;
    if s.total_out == 0 {
        return Ok(());
    }
    if s.in_plane == 0 {
        // Only tap-less outputs can read an empty input.
        out.fill(0.0);
        return Ok(());
    }
    let (in_w, out_w) = (w.in_len, w.out_len());
    let mid = h.in_len * out_w;
    let first = FirstError::new();
    let min_planes = MIN_TASK_ELEMS.div_ceil(s.out_plane);
    parallel_rows_mut(out, s.out_plane, min_planes, |p0, chunk| {
        first.record(with_scratch(K, mid, |tmp| {
            for (pi, dst) in chunk.chunks_exact_mut(s.out_plane).enumerate() {
                let src = &x[(p0 + pi) * s.in_plane..(p0 + pi + 1) * s.in_plane];
                // Width pass: tmp[a, j] = Σ_t w_j[t] · x[a, start_j + t].
                for (row, trow) in src.chunks_exact(in_w).zip(tmp.chunks_exact_mut(out_w)) {
                    for (j, t) in trow.iter_mut().enumerate() {
                        let (start, ws) = w.taps(j);
                        *t = ws.iter().zip(&row[start..]).map(|(a, b)| a * b).sum();
                    }
                }
                // Height pass: out[i, :] = Σ_t h_i[t] · tmp[start_i + t, :].
                for (i, orow) in dst.chunks_exact_mut(out_w).enumerate() {
                    let (start, ws) = h.taps(i);
                    orow.fill(0.0);
                    for (t, &wt) in ws.iter().enumerate() {
                        let trow = &tmp[(start + t) * out_w..(start + t + 1) * out_w];
                        for (o, &v) in orow.iter_mut().zip(trow) {
                            *o += wt * v;
                        }
                    }
                }
            }
        }));
    });
    first.into_result()
}

/// The adjoint of [`resample2d`] (its gradient): `g` holds `planes` planes of
/// `h.out_len() × w.out_len()`, `out` (overwritten) `planes` planes of
/// `h.in_len() × w.in_len()`; every input position receives the weighted sum
/// of the outputs that read it.
pub fn resample2d_transposed(
    g: &[f32],
    planes: usize,
    h: &AxisMap,
    w: &AxisMap,
    out: &mut [f32],
) -> Result<(), KernelError> {
    const K: &str = "resample2d_transposed";
    let s = sizes(K, planes, h, w)?;
    check_len(K, s.total_out, g.len())?;
    check_len(K, s.total_in, out.len())?;
    if s.total_in == 0 {
        return Ok(());
    }
    if s.out_plane == 0 {
        out.fill(0.0);
        return Ok(());
    }
    let (in_w, out_w) = (w.in_len, w.out_len());
    let mid = h.in_len * out_w;
    let first = FirstError::new();
    let min_planes = MIN_TASK_ELEMS.div_ceil(s.in_plane.max(s.out_plane));
    parallel_rows_mut(out, s.in_plane, min_planes, |p0, chunk| {
        first.record(with_scratch(K, mid, |tmp| {
            for (pi, dst) in chunk.chunks_exact_mut(s.in_plane).enumerate() {
                let src = &g[(p0 + pi) * s.out_plane..(p0 + pi + 1) * s.out_plane];
                // Height pass, transposed: tmp[start_i + t, :] += h_i[t] · g[i, :].
                tmp.fill(0.0);
                for (i, grow) in src.chunks_exact(out_w).enumerate() {
                    let (start, ws) = h.taps(i);
                    for (t, &wt) in ws.iter().enumerate() {
                        let trow = &mut tmp[(start + t) * out_w..(start + t + 1) * out_w];
                        for (o, &v) in trow.iter_mut().zip(grow) {
                            *o += wt * v;
                        }
                    }
                }
                // Width pass, transposed: dst[a, start_j + t] += w_j[t] · tmp[a, j].
                for (drow, trow) in dst.chunks_exact_mut(in_w).zip(tmp.chunks_exact(out_w)) {
                    drow.fill(0.0);
                    for (j, &v) in trow.iter().enumerate() {
                        let (start, ws) = w.taps(j);
                        for (d, &wt) in drow[start..].iter_mut().zip(ws) {
                            *d += wt * v;
                        }
                    }
                }
            }
        }));
    });
    first.into_result()
}
