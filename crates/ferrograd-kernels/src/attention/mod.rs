//! Scaled dot-product attention, `softmax(scale·Q·Kᵀ + masks)·V`, without materialising the
//! `Lq × Lk` score matrix.
//!
//! # Design (FlashAttention-2)
//!
//! * Forward: for every `(batch, head, query tile)` the keys are visited in tiles; each tile's
//!   scores come from one small GEMM, an online softmax rescales the running output rows when the
//!   row maximum grows, and only the per-row log-sum-exp is kept. Memory beyond q, k, v and the
//!   output is `O(Lq)` per head plus one `BQ × BK` tile per thread.
//! * Backward: the probabilities of each tile are recomputed from q, k and the saved log-sum-exp;
//!   `D_i = Σ dO_i ⊙ O_i` replaces the softmax Jacobian's row sums. One task per `(batch, head)` owns
//!   that head's dq, dk, dv, so no atomics or reductions across threads are needed.
//! * Masks are additive views with arbitrary (possibly zero) batch/head/row strides: a `[Lq, Lk]`
//!   attention mask, a `[B, H, Lq, Lk]` one and a `[B, Lk]` key-padding mask are all the same
//!   thing. Boolean masks are turned into `0 / -inf` views by the caller.
//! * Dropout on the attention weights draws its keep decision from Philox keyed by
//!   `(seed, ((b·H + h)·Lq + i)·Lk + j)`, so the backward regenerates the same mask without storing it.
//! * A query row whose keys are all masked (`-inf`) gets a zero output row, log-sum-exp `-inf`
//!   and zero gradients, instead of the NaN a plain softmax would produce.

mod backward;
mod forward;
mod layout;
mod tile;

pub use backward::{attention_backward, AttentionSaved};
pub use forward::{attention_forward, attention_probs};
pub use layout::{heads_from_packed, heads_to_packed};
pub use tile::dropout_keep;

use crate::error::KernelError;

/// Query rows per tile.
pub(crate) const BQ: usize = 128;
/// Key rows per tile.
pub(crate) const BK: usize = 128;

/// Sizes of one attention call: q `[b, h, lq, d]`, k `[b, h, lk, d]`, v `[b, h, lk, dv]`,
/// output `[b, h, lq, dv]`, all contiguous.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AttentionDims {
    /// Batch size.
    pub b: usize,
    /// Heads.
    pub h: usize,
    /// Query length.
    pub lq: usize,
    /// Key / value length.
    pub lk: usize,
    /// Query / key feature size.
    pub d: usize,
    /// Value feature size.
    pub dv: usize,
}

/// An additive mask: element `(b, h, i, j)` is `data[b·sb + h·sh + i·si + j]`. Zero strides
/// broadcast; `-inf` entries exclude a key.
#[derive(Debug, Clone, Copy)]
pub struct MaskView<'a> {
    /// Mask values.
    pub data: &'a [f32],
    /// Batch stride.
    pub sb: usize,
    /// Head stride.
    pub sh: usize,
    /// Query-row stride.
    pub si: usize,
}

/// Everything besides the tensors.
#[derive(Debug, Clone, Copy)]
pub struct AttentionParams<'a> {
    /// Multiplies `Q·Kᵀ` (usually `1/√d`).
    pub scale: f32,
    /// Query `i` may only attend keys `j <= i` (top-left aligned when `lq != lk`).
    pub causal: bool,
    /// Additive masks, summed.
    pub masks: &'a [MaskView<'a>],
    /// Probability of zeroing an attention weight (kept weights are scaled by `1/(1-p)`).
    pub dropout_p: f32,
    /// Dropout seed.
    pub seed: u64,
}

fn len_of(kernel: &'static str, parts: &[usize]) -> Result<usize, KernelError> {
    parts
        .iter()
        .try_fold(1usize, |a, &x| a.checked_mul(x))
        .ok_or(KernelError::Overflow { kernel })
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

/// Validates q, k, v and the masks; returns the q, k, v, output lengths.
pub(crate) fn validate(
    kernel: &'static str,
    g: &AttentionDims,
    p: &AttentionParams<'_>,
    q: &[f32],
    k: &[f32],
    v: &[f32],
) -> Result<[usize; 4], KernelError> {
    let lens = [
        len_of(kernel, &[g.b, g.h, g.lq, g.d])?,
        len_of(kernel, &[g.b, g.h, g.lk, g.d])?,
        len_of(kernel, &[g.b, g.h, g.lk, g.dv])?,
        len_of(kernel, &[g.b, g.h, g.lq, g.dv])?,
    ];
    check_len(kernel, lens[0], q.len())?;
    check_len(kernel, lens[1], k.len())?;
    check_len(kernel, lens[2], v.len())?;
    if g.d == 0 {
        return Err(KernelError::InvalidGeometry {
            kernel,
            reason: "the query/key feature size must be positive",
        });
    }
    if !(0.0..1.0).contains(&p.dropout_p) {
        return Err(KernelError::InvalidGeometry {
            kernel,
            reason: "dropout probability must be in [0, 1)",
        });
    }
    if g.b == 0 || g.h == 0 || g.lq == 0 || g.lk == 0 {
        return Ok(lens);
    }
    for m in p.masks {
        let last = [
            (g.b - 1).checked_mul(m.sb),
            (g.h - 1).checked_mul(m.sh),
            (g.lq - 1).checked_mul(m.si),
            Some(g.lk - 1),
        ]
        .into_iter()
        .try_fold(0usize, |a, x| x.and_then(|x| a.checked_add(x)))
        .ok_or(KernelError::Overflow { kernel })?;
        if last >= m.data.len() {
            return Err(KernelError::OutOfBounds {
                kernel,
                needed: last.saturating_add(1),
                got: m.data.len(),
            });
        }
    }
    Ok(lens)
}
