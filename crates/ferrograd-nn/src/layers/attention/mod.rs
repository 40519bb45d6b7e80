//! Attention building blocks: multi-head attention, torch-layout projections, RMS norm,
//! positional encodings and a tied output projection.
//!
//! # Masks through `forward_multi`
//! Layers with optional mask inputs take them positionally; an input with zero elements (e.g.
//! `Tensor::zeros(&[0])`) means "no mask". Key-padding masks are `[B, S]` with nonzero = padding
//! (torch's boolean convention); attention masks given as tensors are additive (torch's float
//! convention: `-inf` hides a key), `[L, S]` or `[B|1, H|1, L, S]`.

mod mha;
mod positional;
mod projection;
mod rms_norm;
mod tied;

pub use mha::{AttendOptions, MultiHeadAttention, MultiHeadAttentionConfig};
pub use positional::{LearnedPositionalEmbedding, SinusoidalPositionalEncoding};
pub use projection::TorchLinear;
pub use rms_norm::RmsNorm;
pub use tied::TiedOutput;

use ferrograd_core::Tensor;

/// `Some(t)` unless `t` is absent or the zero-element placeholder.
pub(crate) fn optional(inputs: &[Tensor], i: usize) -> Option<Tensor> {
    inputs.get(i).filter(|t| t.numel() > 0).cloned()
}
