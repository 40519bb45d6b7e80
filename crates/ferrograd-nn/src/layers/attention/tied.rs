//! Output projection that shares an [`Embedding`]'s weight (Press & Wolf 2017 weight tying).
//!
//! # Design
//! A `Tensor` is a handle, so the tied layer holds a clone of the embedding's weight handle: both
//! layers read the same storage, and gradients from both uses accumulate into the one leaf. The
//! tied layer does **not** list the weight in `visit` (only its optional bias), so optimizers
//! update it once and the state dict stores it once, under the embedding's name. Because the tie
//! is a reference to another layer, a saved `TiedOutput` records the *name* of the layer it is tied
//! to (`tied_to`); the enclosing sequential or graph model binds the weight after building all
//! its layers ([`Module::bind_tied`]). One built directly from an embedding
//! (`embedding.tied_output(...)`) has no name to record and cannot be saved on its own.

use ferrograd_core::{Error, Result, Tensor};

use super::projection::linear;
use crate::layers::{leaf_mode, Embedding};
use crate::module::{parameter, Module, Slot};

/// `logits = x · Eᵀ (+ bias)` where `E [vocab, dim]` is an embedding's weight.
pub struct TiedOutput {
    /// `None` until the container binds it (a layer built from a config).
    weight: Option<Tensor>,
    /// Name of the tied layer in the enclosing model, when built from a config.
    tied_to: Option<String>,
    num_embeddings: usize,
    pub bias: Option<Tensor>,
    training: bool,
}

impl TiedOutput {
    /// An output projection to be tied to the `weight [num_embeddings, dim]` of the sibling layer
    /// named `tied_to` (bound by the enclosing model).
    pub fn unbound(tied_to: &str, num_embeddings: usize, bias: bool) -> Result<TiedOutput> {
        if num_embeddings == 0 || tied_to.is_empty() {
            return Err(Error::InvalidArgument {
                op: "TiedOutput",
                msg: format!("needs a layer name and num_embeddings > 0, got '{tied_to}' and {num_embeddings}"),
            });
        }
        Ok(TiedOutput {
            weight: None,
            tied_to: Some(tied_to.to_owned()),
            num_embeddings,
            bias: if bias {
                Some(parameter(Tensor::zeros(&[num_embeddings]))?)
            } else {
                None
            },
            training: true,
        })
    }
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
            weight: Some(self.weight.clone()),
            tied_to: None,
            num_embeddings: self.weight.dims()[0],
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
        let weight = self.weight.as_ref().ok_or_else(|| Error::InvalidArgument {
            op: "TiedOutput",
            msg: format!(
                "not bound: the layer '{}' it is tied to was not found in the enclosing model",
                self.tied_to.as_deref().unwrap_or("?")
            ),
        })?;
        linear(x, weight, self.bias.as_ref(), "TiedOutput")
    }

    fn tied_to(&self) -> Option<&str> {
        self.tied_to.as_deref()
    }

    fn bind_tied(&mut self, weight: Tensor) -> Result<()> {
        if weight.rank() != 2 || weight.dims()[0] != self.num_embeddings {
            return Err(Error::ShapeMismatch {
                op: "TiedOutput",
                lhs: weight.dims().to_vec(),
                rhs: vec![self.num_embeddings],
                reason: format!(
                    "the tied weight must be [num_embeddings={}, dim]",
                    self.num_embeddings
                ),
            });
        }
        self.weight = Some(weight);
        Ok(())
    }

    fn config(&self) -> Option<serde_json::Value> {
        let tied_to = self.tied_to.as_ref()?;
        Some(serde_json::json!({
            "type": "TiedOutput",
            "tied_to": tied_to,
            "num_embeddings": self.num_embeddings,
            "bias": self.bias.is_some(),
        }))
    }

    fn visit(&self, f: &mut dyn FnMut(&str, Slot<'_>)) {
        if let Some(b) = &self.bias {
            f("bias", Slot::Parameter(b));
        }
    }

    leaf_mode!();
}
