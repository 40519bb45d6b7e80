//! `TimeDistributed`: applies an inner layer to every step of a sequence independently.

use ferrograd_core::{Error, Result, Tensor};
use serde_json::json;

use crate::module::{Module, Slot};

/// Folds `[B, T, ...]` into `[B·T, ...]`, runs the inner layer once on all steps (one big batch,
/// so a `Linear` is one GEMM), and unfolds the result to `[B, T, ...out]`.
pub struct TimeDistributed {
    pub layer: Box<dyn Module>,
}

impl TimeDistributed {
    pub fn new(layer: Box<dyn Module>) -> Self {
        TimeDistributed { layer }
    }
}

impl Module for TimeDistributed {
    fn type_name(&self) -> &'static str {
        "TimeDistributed"
    }

    fn forward(&self, x: &Tensor) -> Result<Tensor> {
        let dims = x.dims();
        if dims.len() < 3 {
            return Err(Error::InvalidArgument {
                op: "TimeDistributed",
                msg: format!("input must be [batch, steps, ...features], got shape {dims:?}"),
            });
        }
        let (b, t) = (dims[0], dims[1]);
        let mut folded = vec![b * t];
        folded.extend_from_slice(&dims[2..]);
        let y = self.layer.forward(&x.reshape_to(&folded)?)?;
        let mut out = vec![b, t];
        out.extend_from_slice(y.dims().get(1..).unwrap_or(&[]));
        y.reshape_to(&out)
    }

    fn visit(&self, f: &mut dyn FnMut(&str, Slot<'_>)) {
        f("layer", Slot::Child(self.layer.as_ref()));
    }

    fn set_training(&mut self, training: bool) {
        self.layer.set_training(training);
    }

    fn is_training(&self) -> bool {
        self.layer.is_training()
    }

    fn config(&self) -> Option<serde_json::Value> {
        Some(json!({"type": "TimeDistributed", "layer": self.layer.config()?}))
    }

    fn regularization_loss(&self) -> Result<Option<Tensor>> {
        self.layer.regularization_loss()
    }

    fn apply_constraints(&self) -> Result<()> {
        self.layer.apply_constraints()
    }
}
