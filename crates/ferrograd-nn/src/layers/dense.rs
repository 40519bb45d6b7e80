//! Fully connected layer `y = x · W + b`.

use ferrograd_core::{Error, Result, Tensor};

use super::leaf_mode;
use crate::init::Initializer;
use crate::module::{parameter, Module, Slot};

/// A projection applied to the weights after every optimizer step (Keras constraints). Norms are
/// taken per output unit, i.e. over each column of the `[in, out]` weight.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Constraint {
    /// Rescale columns whose L2 norm exceeds `max` down to `max`.
    MaxNorm { max: f32 },
    /// Rescale every column to unit L2 norm.
    UnitNorm,
    /// Clamp weights to be >= 0.
    NonNeg,
}

impl Constraint {
    fn project(&self, w: &Tensor) -> Result<Tensor> {
        match *self {
            Constraint::NonNeg => w.clamp(Some(0.0), None),
            Constraint::UnitNorm => w.div(
                &w.square()?
                    .sum(Some(&[0]), true)?
                    .sqrt()?
                    .add_scalar(1e-7)?,
            ),
            Constraint::MaxNorm { max } => {
                let norms = w.square()?.sum(Some(&[0]), true)?.sqrt()?;
                // Same form as Keras: w * clip(norm, 0, max) / (eps + norm).
                w.mul(
                    &norms
                        .clamp(Some(0.0), Some(max))?
                        .div(&norms.add_scalar(1e-7)?)?,
                )
            }
        }
    }

    /// The constraint as architecture JSON.
    pub fn to_json(&self) -> serde_json::Value {
        match *self {
            Constraint::MaxNorm { max } => serde_json::json!({"type": "maxNorm", "maxValue": max}),
            Constraint::UnitNorm => serde_json::json!({"type": "unitNorm"}),
            Constraint::NonNeg => serde_json::json!({"type": "nonNeg"}),
        }
    }

    /// Parses [`Constraint::to_json`]'s format.
    pub fn from_json(v: &serde_json::Value) -> Result<Constraint> {
        let bad = |msg: String| Error::InvalidArgument {
            op: "constraint",
            msg,
        };
        match v.get("type").and_then(serde_json::Value::as_str) {
            Some("maxNorm") => {
                let max = v
                    .get("maxValue")
                    .and_then(serde_json::Value::as_f64)
                    .unwrap_or(2.0) as f32;
                if max.is_nan() || max <= 0.0 {
                    return Err(bad(format!("maxNorm needs maxValue > 0, got {max}")));
                }
                Ok(Constraint::MaxNorm { max })
            }
            Some("unitNorm") => Ok(Constraint::UnitNorm),
            Some("nonNeg") => Ok(Constraint::NonNeg),
            _ => Err(bad(format!(
                "unknown constraint {v} (expected type maxNorm, unitNorm or nonNeg)"
            ))),
        }
    }
}

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
    /// Projection of the weights after each optimizer step (default none).
    pub kernel_constraint: Option<Constraint>,
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
            kernel_constraint: None,
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
            kernel_constraint: self.kernel_constraint,
            initializers: (
                self.kernel_initializer.clone(),
                self.bias_initializer.clone(),
            ),
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
    /// Weight constraint (see [`LinearConfig::kernel_constraint`]).
    pub kernel_constraint: Option<Constraint>,
    /// The initializers the layer was created with (kept for its config).
    initializers: (Initializer, Initializer),
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
        if let Some(c) = &self.kernel_constraint {
            config["kernel_constraint"] = c.to_json();
        }
        let defaults = LinearConfig::new(1, 1);
        if self.initializers.0 != defaults.kernel_initializer {
            config["kernel_initializer"] = self.initializers.0.to_spec()?;
        }
        if self.initializers.1 != defaults.bias_initializer {
            config["bias_initializer"] = self.initializers.1.to_spec()?;
        }
        Some(config)
    }

    fn apply_constraints(&self) -> Result<()> {
        if let Some(c) = &self.kernel_constraint {
            let projected = ferrograd_core::no_grad(|| c.project(&self.weight))?;
            self.weight.assign_data(&projected.to_vec())?;
        }
        Ok(())
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
