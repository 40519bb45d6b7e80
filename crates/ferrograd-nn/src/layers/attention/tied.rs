//! Output projection that shares an [`Embedding`]'s weight (Press & Wolf 2017 weight tying).
//!
//! # Design
//! A `Tensor` is a handle, so the tied layer holds a clone of the embedding's weight handle: both
//! layers read the same storage, and gradients from both uses accumulate into the one leaf. The
//! tied layer does **not** list the weight in `visit` (only its optional bias), so optimizers
//! update it once and the state dict stores it once, under the embedding's name. Because the tie
//! is a reference to another layer, a `TiedOutput` has no standalone config: build it from the
//! embedding after loading (`embedding.tied_output(...)`) or call [`Embedding::attend`] directly.

use ferrograd_core::{Result, Tensor};

use super::projection::linear;
use crate::layers::{leaf_mode, Embedding};
use crate::module::{parameter, Module, Slot};

/// `logits = x · Eᵀ (+ bias)` where `E [vocab, dim]` is an embedding's weight.
pub struct TiedOutput {
    weight: Tensor,
    pub bias: Option<Tensor>,
    training: bool,
}

impl Embedding {
    /// `x [..., dim] → x · weightᵀ [..., num_embeddings]`: scores against every embedding row.
    pub fn attend(&self, x: &Tensor) -> Result<Tensor> {
        linear(x, &self.weight, None, "Embedding.attend")
    }

    /// An output projection tied to this embedding's weight, with an optional (zero-initialised,
    /// untied) bias.
    pub fn tied_output(&self, bias: bool) -> Result<TiedOutput> {
        Ok(TiedOutput {
            weight: self.weight.clone(),
            bias: if bias {
                Some(parameter(Tensor::zeros(
                    self.weight.dims().get(..1).unwrap_or(&[0]),
                ))?)
            } else {
                None
            },
            training: true,
        })
    }
}

impl Module for TiedOutput {
    fn type_name(&self) -> &'static str {
        "TiedOutput"
    }

    fn forward(&self, x: &Tensor) -> Result<Tensor> {
        linear(x, &self.weight, self.bias.as_ref(), "TiedOutput")
    }

    fn visit(&self, f: &mut dyn FnMut(&str, Slot<'_>)) {
        if let Some(b) = &self.bias {
            f("bias", Slot::Parameter(b));
        }
    }

    leaf_mode!();
}
