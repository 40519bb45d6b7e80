//! Fully connected layer `y = x · W + b`.

use ferrograd_core::{Error, Result, Tensor};

use super::leaf_mode;
use crate::init::Initializer;
use crate::module::{parameter, Module, Slot};

/// Hyper-parameters of [`Linear`] (Burn-style config, separate from the weights).
#[derive(Debug, Clone)]
pub struct LinearConfig {
    pub in_features: usize,
    pub out_features: usize,
    /// Learn an additive bias (default true).
    pub bias: bool,
    /// Weight initializer (default Glorot uniform, as Keras/tfjs).
    pub kernel_initializer: Initializer,
    /// Bias initializer (default zeros, as Keras/tfjs).
    pub bias_initializer: Initializer,
}

impl LinearConfig {
    /// Defaults for `in_features -> out_features`.
    pub fn new(in_features: usize, out_features: usize) -> Self {
        LinearConfig {
            in_features,
            out_features,
            bias: true,
            kernel_initializer: Initializer::XavierUniform { gain: 1.0 },
            bias_initializer: Initializer::Zeros,
        }
    }

    /// Creates the layer with freshly initialised weights (`seed` for reproducible init).
    pub fn init(&self, seed: Option<u64>) -> Result<Linear> {
        if self.in_features == 0 || self.out_features == 0 {
            return Err(Error::InvalidArgument {
                op: "Linear",
                msg: format!(
                    "needs positive sizes, got in_features={} out_features={}",
                    self.in_features, self.out_features
                ),
            });
        }
        let fans = Some((self.in_features, self.out_features));
        // Stored as [in, out] so the forward pass is a plain x · W (no transpose).
        let weight = parameter(self.kernel_initializer.init(
            &[self.in_features, self.out_features],
            fans,
            seed,
        )?)?;
        let bias = if self.bias {
            let seed = seed.map(|s| s.wrapping_add(1));
            Some(parameter(self.bias_initializer.init(
                &[self.out_features],
                fans,
                seed,
            )?)?)
        } else {
            None
        };
        Ok(Linear {
            weight,
            bias,
            training: true,
        })
    }
}

/// A dense layer: `weight` is `[in_features, out_features]`, `bias` is `[out_features]`.
pub struct Linear {
    pub weight: Tensor,
    pub bias: Option<Tensor>,
    training: bool,
}

impl Module for Linear {
    fn type_name(&self) -> &'static str {
        "Linear"
    }

    fn forward(&self, input: &Tensor) -> Result<Tensor> {
        let in_features = self.weight.dims()[0];
        if input.dims().last() != Some(&in_features) {
            return Err(Error::ShapeMismatch {
                op: "Linear",
                lhs: input.dims().to_vec(),
                rhs: self.weight.dims().to_vec(),
                reason: format!("the input's last dimension must be in_features={in_features}"),
            });
        }
        let y = input.matmul(&self.weight)?;
        match &self.bias {
            Some(b) => y.add(b),
            None => Ok(y),
        }
    }

    fn visit(&self, f: &mut dyn FnMut(&str, Slot<'_>)) {
        f("weight", Slot::Parameter(&self.weight));
        if let Some(b) = &self.bias {
            f("bias", Slot::Parameter(b));
        }
    }

    fn config(&self) -> Option<serde_json::Value> {
        Some(
            serde_json::json!({"type": "Linear", "in_features": self.weight.dims()[0], "out_features": self.weight.dims()[1], "bias": self.bias.is_some()}),
        )
    }

    leaf_mode!();
}
