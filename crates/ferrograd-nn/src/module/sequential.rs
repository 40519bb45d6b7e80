//! `Sequential`: children applied in order, named `"0"`, `"1"`, ... like `torch.nn.Sequential`.

use ferrograd_core::{Result, Tensor};

use super::{Module, Slot};

/// A chain of modules; the output of each is the input of the next.
pub struct Sequential {
    layers: Vec<Box<dyn Module>>,
    training: bool,
}

impl Sequential {
    /// Builds the chain (in training mode, as PyTorch modules start).
    pub fn new(layers: Vec<Box<dyn Module>>) -> Self {
        Sequential {
            layers,
            training: true,
        }
    }

    /// The layers, in order.
    pub fn layers(&self) -> &[Box<dyn Module>] {
        &self.layers
    }

    /// Runs the chain and returns every intermediate output (for `summary()` shapes).
    pub fn forward_trace(&self, input: &Tensor) -> Result<Vec<Tensor>> {
        let mut outputs = Vec::with_capacity(self.layers.len());
        let mut x = input.clone();
        for layer in &self.layers {
            x = layer.forward(&x)?;
            outputs.push(x.clone());
        }
        Ok(outputs)
    }
}

impl Module for Sequential {
    fn type_name(&self) -> &'static str {
        "Sequential"
    }

    fn forward(&self, input: &Tensor) -> Result<Tensor> {
        let mut x = input.clone();
        for layer in &self.layers {
            x = layer.forward(&x)?;
        }
        Ok(x)
    }

    fn visit(&self, f: &mut dyn FnMut(&str, Slot<'_>)) {
        for (i, layer) in self.layers.iter().enumerate() {
            f(&i.to_string(), Slot::Child(layer.as_ref()));
        }
    }

    fn set_training(&mut self, training: bool) {
        self.training = training;
        for layer in &mut self.layers {
            layer.set_training(training);
        }
    }

    fn apply_constraints(&self) -> Result<()> {
        for layer in &self.layers {
            layer.apply_constraints()?;
        }
        Ok(())
    }

    fn regularization_loss(&self) -> Result<Option<Tensor>> {
        let mut total: Option<Tensor> = None;
        for layer in &self.layers {
            if let Some(penalty) = layer.regularization_loss()? {
                total = Some(match total {
                    Some(t) => t.add(&penalty)?,
                    None => penalty,
                });
            }
        }
        Ok(total)
    }

    fn is_training(&self) -> bool {
        self.training
    }

    /// `{"type": "Sequential", "layers": [...]}`, or `None` if any layer has no config.
    fn config(&self) -> Option<serde_json::Value> {
        let layers = self
            .layers
            .iter()
            .map(|l| l.config())
            .collect::<Option<Vec<_>>>()?;
        Some(serde_json::json!({"type": "Sequential", "layers": layers}))
    }
}
