//! Lookup table from integer ids to learned vectors.

use ferrograd_core::{Error, Result, Tensor};

use super::leaf_mode;
use crate::module::{parameter, Module, Slot};

/// `weight[num_embeddings, dim]`; the input holds integer ids (as f32, any shape) and the output
/// has shape `[...input, dim]`.
///
/// With a `padding_idx` (PyTorch's option) that id always embeds to an exact zero vector and its
/// row receives no gradient, so padded token sequences reach a following recurrent layer with
/// `mask_value: Some(0.0)` as masked steps (Keras' `mask_zero` with id 0).
pub struct Embedding {
    pub weight: Tensor,
    pub padding_idx: Option<usize>,
    /// Set by [`Embedding::initialize_with`]; kept in the config (default: `N(0, 1)`).
    pub initializer: Option<crate::init::Initializer>,
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
            padding_idx: None,
            initializer: None,
            training: true,
        })
    }

    /// As [`Embedding::new`], with id `padding_idx` embedding to zeros (its row starts at zero,
    /// like PyTorch's).
    pub fn with_padding_idx(
        num_embeddings: usize,
        dim: usize,
        padding_idx: usize,
        seed: Option<u64>,
    ) -> Result<Self> {
        if padding_idx >= num_embeddings {
            return Err(Error::InvalidArgument {
                op: "Embedding",
                msg: format!(
                    "padding_idx {padding_idx} must be below num_embeddings {num_embeddings}"
                ),
            });
        }
        let mut e = Embedding::new(num_embeddings, dim, seed)?;
        e.weight.update_data(|w| {
            w[padding_idx * dim..(padding_idx + 1) * dim].fill(0.0);
        })?;
        e.padding_idx = Some(padding_idx);
        Ok(e)
    }

    /// Redraws the weights from `init` (e.g. `N(0, 0.02)` for a transformer whose output
    /// projection is tied to this table, where `N(0, 1)` rows would give huge initial logits);
    /// the padding row stays zero.
    pub fn initialize_with(
        &mut self,
        init: crate::init::Initializer,
        seed: Option<u64>,
    ) -> Result<()> {
        let (n, dim) = (self.weight.dims()[0], self.weight.dims()[1]);
        let fresh = init.init(&[n, dim], None, seed)?.to_vec();
        let padding = self.padding_idx;
        self.weight.update_data(|w| {
            w.copy_from_slice(&fresh);
            if let Some(p) = padding {
                w[p * dim..(p + 1) * dim].fill(0.0);
            }
        })?;
        self.initializer = Some(init);
        Ok(())
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
        let rows = rows.reshape_to(&shape)?;
        match self.padding_idx {
            // Multiplying by the keep mask zeroes both the output and the row's gradient.
            Some(p) => rows.mul(&ids.ne(&Tensor::scalar(p as f32))?.unsqueeze(-1)?),
            None => Ok(rows),
        }
    }

    fn visit(&self, f: &mut dyn FnMut(&str, Slot<'_>)) {
        f("weight", Slot::Parameter(&self.weight));
    }

    fn config(&self) -> Option<serde_json::Value> {
        let mut v = serde_json::json!({"type": "Embedding", "num_embeddings": self.weight.dims()[0], "dim": self.weight.dims()[1]});
        if let Some(p) = self.padding_idx {
            v["padding_idx"] = serde_json::json!(p);
        }
        if let Some(spec) = self.initializer.as_ref().and_then(|i| i.to_spec()) {
            v["embeddings_initializer"] = spec;
        }
        Some(v)
    }

    leaf_mode!();
}
