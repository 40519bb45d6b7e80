//! Recurrent sequence layers (`RNN`, `LSTM`, `GRU`, `UGRNN`) on the fused recurrent op, plus the
//! `TimeDistributed` wrapper.
//!
//! # Conventions
//! * Input is batch-first `[B, T, I]` (PyTorch's `batch_first=True`, Keras' layout).
//! * Parameters are named as in PyTorch so `state_dict`s load from PyTorch safetensors:
//!   `weight_ih_l{k}`, `weight_hh_l{k}`, `bias_ih_l{k}`, `bias_hh_l{k}`, with `_reverse` for the
//!   backward direction. Gate orders: LSTM `i, f, g, o`, GRU `r, z, n`. Extensions PyTorch lacks:
//!   a peephole LSTM adds `weight_peephole_l{k}` (`[3, H]`, gates `i, f, o`); a coupled LSTM has
//!   three gate blocks `f, g, o` (`[3H, ·]`); UGRNN has two blocks `c, g` (candidate, update gate).
//! * Stacked layers feed the concatenation of both directions to the next layer (PyTorch);
//!   `merge_mode` (`concat` = PyTorch, `sum`, `mul`, `ave`) shapes only the layer's output.
//! * Final states (`forward_multi` with `return_state`) have PyTorch's shape
//!   `[num_layers · num_directions, B, H]`, ordered layer 0 forward, layer 0 reverse, layer 1 ….
//!
//! # Padding
//! A step is padding when it is past the sequence's explicit length (a rank-1 `lengths` input to
//! `forward_multi`) or, with `mask_value`, when every feature equals it (Keras `Masking`). Padded
//! steps carry the state through unchanged, output zero and receive no gradient, so results and
//! gradients of the real steps are those of the unpadded sequences (PyTorch's packed sequences).
//! Token inputs get the same through `Embedding::with_padding_idx`: the padding id embeds to an
//! exact zero vector (and its row receives no gradient), which a following recurrent layer with
//! `mask_value: Some(0.0)` treats as padding.

mod config;
mod layer;
mod run;
mod time_distributed;

pub use config::{MergeMode, RecurrentConfig};
pub use ferrograd_core::RnnCell;
pub use layer::Recurrent;
pub use time_distributed::TimeDistributed;
