//! Lookup table from integer ids to learned vectors.

use ferrograd_core::{Error, Result, Tensor};

use super::leaf_mode;
use crate::module::{parameter, Module, Slot};

/// `weight[num_embeddings, dim]`; the input holds integer ids (as f32, any shape) and the output
/// has shape `[...input, dim]`.
pub struct Embedding {
    pub weight: Tensor,
    training: bool,
}

impl Embedding {
    /// Weights drawn from `N(0, 1)`, as `torch.nn.Embedding`.
    pub fn new(num_embeddings: usize, dim: usize, seed: Option<u64>) -> Result<Self> {
        if num_embeddings == 0 || dim == 0 {
            return Err(Error::InvalidArgument {
                op: "Embedding",
                msg: format!("needs positive sizes, got {num_embeddings} x {dim}"),
            });
        }
        Ok(Embedding {
            weight: parameter(Tensor::randn(&[num_embeddings, dim], 0.0, 1.0, seed)?)?,
            training: true,
        })
    }
}

impl Module for Embedding {
    fn type_name(&self) -> &'static str {
        "Embedding"
    }

    fn forward(&self, ids: &Tensor) -> Result<Tensor> {
        let flat = ids.reshape_to(&[ids.numel()])?;
        let rows = self.weight.index_select(0, &flat)?;
        let mut shape = ids.dims().to_vec();
        shape.push(self.weight.dims()[1]);
        rows.reshape_to(&shape)
    }

    fn visit(&self, f: &mut dyn FnMut(&str, Slot<'_>)) {
        f("weight", Slot::Parameter(&self.weight));
    }

    fn config(&self) -> Option<serde_json::Value> {
        Some(
            serde_json::json!({"type": "Embedding", "num_embeddings": self.weight.dims()[0], "dim": self.weight.dims()[1]}),
        )
    }

    leaf_mode!();
}
