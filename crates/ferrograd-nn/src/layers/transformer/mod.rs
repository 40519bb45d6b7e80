//! Transformer layers with `torch.nn.Transformer*` semantics and parameter names (batch first).
//!
//! Masks through `forward_multi` follow the conventions of [`crate::layers::MultiHeadAttention`]:
//! trailing optional inputs, a zero-element tensor meaning "absent", key-padding masks `[B, S]`
//! with nonzero = padding, attention masks additive (`-inf` hides a key).

mod config;
mod decoder_layer;
mod encoder_layer;
mod full;
mod stack;

pub use config::{FeedForwardActivation, TransformerLayerConfig};
pub use decoder_layer::{DecoderMasks, TransformerDecoderLayer};
pub use encoder_layer::TransformerEncoderLayer;
pub use full::{Transformer, TransformerConfig};
pub use stack::{Stack, StackedLayer, TransformerDecoder, TransformerEncoder};
