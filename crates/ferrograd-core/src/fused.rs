//! Fused ops: a forward computed in one native pass (a whole recurrent sequence, tiled attention)
//! whose backward is one native pass too, instead of a graph of primitives.
//!
//! The recorded node keeps the op's inputs and whatever the op chose to save (gate activations,
//! log-sum-exp rows); the backward returns the input gradients directly. Fused backwards are
//! first-order: under `create_graph` they report an error instead of silently returning
//! gradients that cannot be differentiated again.

use std::sync::Arc;

use crate::error::Result;
use crate::tensor::Tensor;

/// The backward half of a fused op.
pub trait FusedBackward: Send + Sync {
    /// Name shown when printing the node and in errors (`"LstmSequence"`, `"FlashAttention"`).
    fn name(&self) -> &'static str;

    /// Gradients of every input (in the order they were passed to [`Tensor::fused`]) given the
    /// output and the upstream gradient `grad` (same shape as `output`). Return `None` for inputs
    /// that need no gradient (check [`Tensor::requires_grad`] to skip work).
    fn backward(
        &self,
        inputs: &[Tensor],
        output: &Tensor,
        grad: &Tensor,
    ) -> Result<Vec<Option<Tensor>>>;
}

impl Tensor {
    /// Wraps the result of a fused forward: `data` (row-major, `shape`) becomes a tensor that,
    /// when recording is on and any input requires grad, backpropagates through `rule`.
    /// Ops with several results pack them into one output and hand out views of it.
    pub fn fused(
        data: Vec<f32>,
        shape: &[usize],
        inputs: &[&Tensor],
        rule: Arc<dyn FusedBackward>,
    ) -> Result<Tensor> {
        let out = Tensor::from_vec(data, shape)?;
        let owned: Vec<Tensor> = inputs.iter().map(|t| (*t).clone()).collect();
        Ok(out.track(inputs, move |out| crate::op::Op::Fused {
            inputs: owned,
            out,
            rule,
        }))
    }
}
