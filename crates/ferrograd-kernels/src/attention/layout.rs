//! Moves between the head layout `[B, H, L, D]` the kernels use and the token-major packed
//! layout `[B, L, parts, H, D]` that a fused q/k/v projection produces (`parts = 3`) or that
//! merged heads need (`parts = 1`), in parallel over heads or batches.

use crate::error::KernelError;
use crate::pool::parallel_rows_mut;

/// Copying a head is cheap: only split when there are many.
const MIN_HEADS: usize = 16;

fn check(kernel: &'static str, dims: [usize; 5], a: usize, b: usize) -> Result<(), KernelError> {
    let [bb, h, l, d, parts] = dims;
    let heads = [bb, h, l, d]
        .iter()
        .try_fold(1usize, |x, &y| x.checked_mul(y))
        .ok_or(KernelError::Overflow { kernel })?;
    let packed = heads
        .checked_mul(parts)
        .ok_or(KernelError::Overflow { kernel })?;
    for (expected, got) in [(heads, a), (packed, b)] {
        if expected != got {
            return Err(KernelError::BadLength {
                kernel,
                expected,
                got,
            });
        }
    }
    Ok(())
}

/// Copies part `p` of `packed [B, L, parts, H, D]` into `heads [B, H, L, D]`.
#[allow(clippy::too_many_arguments)]
pub fn heads_from_packed(
    b: usize,
    h: usize,
    l: usize,
    d: usize,
    parts: usize,
    p: usize,
    packed: &[f32],
    heads: &mut [f32],
) -> Result<(), KernelError> {
    check(
        "heads_from_packed",
        [b, h, l, d, parts],
        heads.len(),
        packed.len(),
    )?;
    if p >= parts || heads.is_empty() {
        return Ok(());
    }
    let e = h * d;
    parallel_rows_mut(heads, l * d, MIN_HEADS, |head0, chunk| {
        for (k, dst) in chunk.chunks_mut(l * d).enumerate() {
            let (bi, hi) = ((head0 + k) / h, (head0 + k) % h);
            for (i, row) in dst.chunks_mut(d).enumerate() {
                let src = ((bi * l + i) * parts + p) * e + hi * d;
                row.copy_from_slice(&packed[src..src + d]);
            }
        }
    });
    Ok(())
}

/// Stores `heads [B, H, L, D]` as part `p` of `packed [B, L, parts, H, D]`.
#[allow(clippy::too_many_arguments)]
pub fn heads_to_packed(
    b: usize,
    h: usize,
    l: usize,
    d: usize,
    parts: usize,
    p: usize,
    heads: &[f32],
    packed: &mut [f32],
) -> Result<(), KernelError> {
    check(
        "heads_to_packed",
        [b, h, l, d, parts],
        heads.len(),
        packed.len(),
    )?;
    if p >= parts || heads.is_empty() {
        return Ok(());
    }
    let e = h * d;
    // One batch element per row: its tokens only read that element's heads.
    parallel_rows_mut(packed, l * parts * e, MIN_HEADS.div_ceil(h), |b0, chunk| {
        for (k, dst) in chunk.chunks_mut(l * parts * e).enumerate() {
            let bi = b0 + k;
            for hi in 0..h {
                let src = &heads[(bi * h + hi) * l * d..(bi * h + hi + 1) * l * d];
                for (i, row) in src.chunks(d).enumerate() {
                    let o = (i * parts + p) * e + hi * d;
                    dst[o..o + d].copy_from_slice(row);
                }
            }
        }
    });
    Ok(())
}
