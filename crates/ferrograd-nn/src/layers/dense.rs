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
    /// L1 penalty `l1 · Σ|W|` on the weights, added to the training loss (default 0).
    pub kernel_l1: f32,
    /// L2 penalty `l2 · ΣW²` on the weights, added to the training loss (default 0).
    pub kernel_l2: f32,
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
            kernel_l1: 0.0,
            kernel_l2: 0.0,
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
        for (name, v) in [("kernel_l1", self.kernel_l1), ("kernel_l2", self.kernel_l2)] {
            if v.is_nan() || v < 0.0 {
                return Err(Error::InvalidArgument {
                    op: "Linear",
                    msg: format!("{name} must be >= 0, got {v}"),
                });
            }
        }
        Ok(Linear {
            weight,
            bias,
            kernel_l1: self.kernel_l1,
            kernel_l2: self.kernel_l2,
            training: true,
        })
    }
}

/// A dense layer: `weight` is `[in_features, out_features]`, `bias` is `[out_features]`.
pub struct Linear {
    pub weight: Tensor,
    pub bias: Option<Tensor>,
    /// Weight L1 penalty factor (see [`LinearConfig::kernel_l1`]).
    pub kernel_l1: f32,
    /// Weight L2 penalty factor (see [`LinearConfig::kernel_l2`]).
    pub kernel_l2: f32,
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
        let mut config = serde_json::json!({"type": "Linear", "in_features": self.weight.dims()[0], "out_features": self.weight.dims()[1], "bias": self.bias.is_some()});
        // Only written when set, so configs without regularisation stay as they were.
        if self.kernel_l1 > 0.0 {
            config["kernel_l1"] = serde_json::json!(self.kernel_l1);
        }
        if self.kernel_l2 > 0.0 {
            config["kernel_l2"] = serde_json::json!(self.kernel_l2);
        }
        Some(config)
    }

    fn regularization_loss(&self) -> Result<Option<Tensor>> {
        let mut penalty: Option<Tensor> = None;
        if self.kernel_l1 > 0.0 {
            penalty = Some(
                self.weight
                    .abs()?
                    .sum(None, false)?
                    .mul_scalar(self.kernel_l1)?,
            );
        }
        if self.kernel_l2 > 0.0 {
            let l2 = self
                .weight
                .square()?
                .sum(None, false)?
                .mul_scalar(self.kernel_l2)?;
            penalty = Some(match penalty {
                Some(p) => p.add(&l2)?,
                None => l2,
            });
        }
        Ok(penalty)
    }

    leaf_mode!();
}
