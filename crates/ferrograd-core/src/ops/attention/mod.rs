//! Scaled dot-product attention: the fused, tiled op (O(L) extra memory, native backward) and
//! the materialised path that also returns the attention weights.
//!
//! Masks follow `torch.nn.MultiheadAttention`:
//! * [`AttnMask::Boolean`]: nonzero (`true`) means the key is **masked out** (not attended);
//! * [`AttnMask::Additive`]: added to the scaled scores (`-inf` excludes a key);
//! * `key_padding_mask` `[B, Lk]`: nonzero means that key is padding and is masked out.
//!
//! Attention masks are `[Lq, Lk]` or `[B|1, H|1, Lq, Lk]`. A query row whose keys are all masked
//! yields a zero output row and zero gradients (torch yields NaN there).

mod fused;
mod masks;
mod packed;
mod rotary;

pub use masks::AttnMask;

/// Options of [`Tensor::scaled_dot_product_attention`](crate::Tensor::scaled_dot_product_attention).
#[derive(Debug, Clone, Default)]
pub struct AttentionOptions {
    /// Attention mask (boolean: true = masked; or additive).
    pub mask: Option<AttnMask>,
    /// `[B, Lk]`, nonzero = padding key (masked out).
    pub key_padding_mask: Option<crate::Tensor>,
    /// Query `i` attends keys `j <= i` only (top-left aligned when `Lq != Lk`, as torch).
    pub causal: bool,
    /// Dropout probability on the attention weights, in `[0, 1)`.
    pub dropout_p: f32,
    /// Score scale; `None` means `1/√D`.
    pub scale: Option<f32>,
    /// Dropout seed: the same seed gives the same dropout mask.
    pub seed: u64,
}
