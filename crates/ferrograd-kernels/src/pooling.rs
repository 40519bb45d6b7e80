//! Max pooling over explicit windows, and the index gather/scatter pair its
//! gradients are made of.
//!
//! Data is a stack of `planes` row-major `H×W` planes (NCHW with
//! `planes = N·C`). Windows are given per axis as clipped index ranges, so
//! one kernel serves fixed-stride pooling (with padding, ceil mode) and
//! adaptive pooling alike; the caller computes the ranges.

use crate::error::KernelError;
use crate::pool::{parallel_rows2_mut, parallel_rows_mut};

/// Each task handles at least this many output (or input) elements.
const MIN_TASK_ELEMS: usize = 1 << 14;

fn check_windows(
    kernel: &'static str,
    windows: &[(usize, usize)],
    len: usize,
) -> Result<(), KernelError> {
    if windows.iter().any(|&(lo, hi)| lo >= hi || hi > len) {
        return Err(KernelError::InvalidGeometry {
            kernel,
            reason: "every window must be a non-empty range inside the input",
        });
    }
    Ok(())
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

fn plane_len(kernel: &'static str, h: usize, w: usize) -> Result<usize, KernelError> {
    h.checked_mul(w).ok_or(KernelError::Overflow { kernel })
}

/// Max pooling: `out[p, i, j] = max(x[p, a, b])` over `a ∈ win_h[i]`,
/// `b ∈ win_w[j]`, and `argmax` receives the position `a·W + b` of the
/// maximum within its plane.
///
/// As in PyTorch, the scan is row-major and only a strictly greater value (or
/// a NaN) replaces the current maximum, so ties go to the first position and
/// NaN propagates. Windows are half-open ranges `(lo, hi)`, non-empty and
/// inside the input (padding is the caller's business: a window clipped to
/// the input gives the same maximum as `-inf` padding). Planes must have at
/// most `u32::MAX + 1` elements.
#[allow(clippy::too_many_arguments)]
pub fn max_pool2d(
    x: &[f32],
    planes: usize,
    in_h: usize,
    in_w: usize,
    win_h: &[(usize, usize)],
    win_w: &[(usize, usize)],
    out: &mut [f32],
    argmax: &mut [u32],
) -> Result<(), KernelError> {
    const K: &str = "max_pool2d";
    let in_plane = plane_len(K, in_h, in_w)?;
    if in_plane > u32::MAX as usize + 1 {
        return Err(KernelError::Overflow { kernel: K });
    }
    check_windows(K, win_h, in_h)?;
    check_windows(K, win_w, in_w)?;
    let out_plane = plane_len(K, win_h.len(), win_w.len())?;
    let total_in = planes
        .checked_mul(in_plane)
        .ok_or(KernelError::Overflow { kernel: K })?;
    let total_out = planes
        .checked_mul(out_plane)
        .ok_or(KernelError::Overflow { kernel: K })?;
    check_len(K, total_in, x.len())?;
    check_len(K, total_out, out.len())?;
    check_len(K, total_out, argmax.len())?;
    if total_out == 0 {
        return Ok(());
    }
    let min_planes = MIN_TASK_ELEMS.div_ceil(out_plane);
    parallel_rows2_mut(out, argmax, out_plane, min_planes, |p0, vals, idxs| {
        let planes_here = vals
            .chunks_exact_mut(out_plane)
            .zip(idxs.chunks_exact_mut(out_plane));
        for (pi, (vals, idxs)) in planes_here.enumerate() {
            let plane = &x[(p0 + pi) * in_plane..(p0 + pi + 1) * in_plane];
            let mut slots = vals.iter_mut().zip(idxs.iter_mut());
            for &(h0, h1) in win_h {
                for &(w0, w1) in win_w {
                    let mut best = f32::NEG_INFINITY;
                    let mut at = h0 * in_w + w0;
                    for a in h0..h1 {
                        let row = &plane[a * in_w + w0..a * in_w + w1];
                        for (b, &v) in row.iter().enumerate() {
                            if v > best || v.is_nan() {
                                best = v;
                                at = a * in_w + w0 + b;
                            }
                        }
                    }
                    if let Some((v, i)) = slots.next() {
                        *v = best;
                        // Fits: planes have at most u32::MAX + 1 elements (checked above).
                        *i = at as u32;
                    }
                }
            }
        }
    });
    Ok(())
}

fn check_index(kernel: &'static str, index: &[u32], bound: usize) -> Result<(), KernelError> {
    if index.iter().any(|&i| i as usize >= bound) {
        return Err(KernelError::OutOfBounds {
            kernel,
            needed: index.iter().map(|&i| i as usize + 1).max().unwrap_or(0),
            got: bound,
        });
    }
    Ok(())
}

/// `out[p, q] = x[p, index[p, q]]` for `planes` planes of `in_plane` inputs
/// and `index.len() / planes` outputs each (`out.len() == index.len()`).
pub fn gather_planes(
    x: &[f32],
    planes: usize,
    in_plane: usize,
    index: &[u32],
    out: &mut [f32],
) -> Result<(), KernelError> {
    const K: &str = "gather_planes";
    let total = planes
        .checked_mul(in_plane)
        .ok_or(KernelError::Overflow { kernel: K })?;
    check_len(K, total, x.len())?;
    check_len(K, index.len(), out.len())?;
    if planes == 0 || index.is_empty() {
        return Ok(());
    }
    if !index.len().is_multiple_of(planes) {
        return Err(KernelError::BadLength {
            kernel: K,
            expected: index.len().next_multiple_of(planes),
            got: index.len(),
        });
    }
    check_index(K, index, in_plane)?;
    let out_plane = index.len() / planes;
    parallel_rows_mut(
        out,
        out_plane,
        MIN_TASK_ELEMS.div_ceil(out_plane),
        |p0, chunk| {
            for (pi, dst) in chunk.chunks_exact_mut(out_plane).enumerate() {
                let p = p0 + pi;
                let src = &x[p * in_plane..(p + 1) * in_plane];
                let idx = &index[p * out_plane..(p + 1) * out_plane];
                for (d, &i) in dst.iter_mut().zip(idx) {
                    *d = src[i as usize];
                }
            }
        },
    );
    Ok(())
}

/// The adjoint of [`gather_planes`]: `out[p, index[p, q]] += src[p, q]`, with
/// `out` (`planes × out_plane`) overwritten first. Repeated indices add up.
pub fn scatter_add_planes(
    src: &[f32],
    planes: usize,
    index: &[u32],
    out_plane: usize,
    out: &mut [f32],
) -> Result<(), KernelError> {
    const K: &str = "scatter_add_planes";
    let total = planes
        .checked_mul(out_plane)
        .ok_or(KernelError::Overflow { kernel: K })?;
    check_len(K, total, out.len())?;
    check_len(K, index.len(), src.len())?;
    out.fill(0.0);
    if planes == 0 || index.is_empty() {
        return Ok(());
    }
    if !index.len().is_multiple_of(planes) {
        return Err(KernelError::BadLength {
            kernel: K,
            expected: index.len().next_multiple_of(planes),
            got: index.len(),
        });
    }
    check_index(K, index, out_plane)?;
    let in_plane = index.len() / planes;
    parallel_rows_mut(
        out,
        out_plane,
        MIN_TASK_ELEMS.div_ceil(in_plane.max(out_plane)),
        |p0, chunk| {
            for (pi, dst) in chunk.chunks_exact_mut(out_plane).enumerate() {
                let p = p0 + pi;
                let vals = &src[p * in_plane..(p + 1) * in_plane];
                let idx = &index[p * in_plane..(p + 1) * in_plane];
                for (&v, &i) in vals.iter().zip(idx) {
                    dst[i as usize] += v;
                }
            }
        },
    );
    Ok(())
}
