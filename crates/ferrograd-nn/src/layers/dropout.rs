//! Train-only noise layers: inverted dropout and additive Gaussian noise.

use ferrograd_core::{Error, Result, Tensor};

use super::leaf_mode;
use crate::module::{Module, Slot};

/// Inverted dropout: in training, zeroes each element with probability `p` and scales the rest
/// by `1/(1-p)` so the expected activation is unchanged; identity in eval mode.
pub struct Dropout {
    pub p: f32,
    training: bool,
}

impl Dropout {
    /// `p` must be in `[0, 1)`.
    pub fn new(p: f32) -> Result<Self> {
        if !(0.0..1.0).contains(&p) {
            return Err(Error::InvalidArgument {
                op: "Dropout",
                msg: format!("rate must be in [0, 1), got {p}"),
            });
        }
        Ok(Dropout { p, training: true })
    }
}

impl Module for Dropout {
    fn type_name(&self) -> &'static str {
        "Dropout"
    }

    fn forward(&self, x: &Tensor) -> Result<Tensor> {
        if !self.training || self.p == 0.0 {
            return Ok(x.clone());
        }
        let keep = Tensor::rand(x.dims(), 0.0, 1.0, None)?.ge(&Tensor::scalar(self.p))?;
        x.mul(&keep)?.mul_scalar(1.0 / (1.0 - self.p))
    }

    fn visit(&self, _f: &mut dyn FnMut(&str, Slot<'_>)) {}

    fn config(&self) -> Option<serde_json::Value> {
        Some(serde_json::json!({"type": "Dropout", "p": self.p}))
    }

    leaf_mode!();
}

/// Adds `N(0, std²)` noise in training (input-noise regularisation); identity in eval mode.
pub struct GaussianNoise {
    pub std: f32,
    training: bool,
}

impl GaussianNoise {
    /// `std` must be finite and non-negative.
    pub fn new(std: f32) -> Result<Self> {
        if !(std.is_finite() && std >= 0.0) {
            return Err(Error::InvalidArgument {
                op: "GaussianNoise",
                msg: format!("std must be >= 0, got {std}"),
            });
        }
        Ok(GaussianNoise {
            std,
            training: true,
        })
    }
}

impl Module for GaussianNoise {
    fn type_name(&self) -> &'static str {
        "GaussianNoise"
    }

    fn forward(&self, x: &Tensor) -> Result<Tensor> {
        if !self.training || self.std == 0.0 {
            return Ok(x.clone());
        }
        x.add(&Tensor::randn(x.dims(), 0.0, self.std, None)?)
    }

    fn visit(&self, _f: &mut dyn FnMut(&str, Slot<'_>)) {}

    fn config(&self) -> Option<serde_json::Value> {
        Some(serde_json::json!({"type": "GaussianNoise", "std": self.std}))
    }

    leaf_mode!();
}

/// Spatial dropout (`torch.nn.Dropout2d` / Keras `SpatialDropout`): in training, zeroes whole
/// channels of `[N, C, ...]` feature maps with probability `p` and scales the rest by
/// `1/(1-p)`, since neighbouring activations of a conv map are correlated; identity in eval.
pub struct SpatialDropout {
    pub p: f32,
    training: bool,
}

impl SpatialDropout {
    /// `p` must be in `[0, 1)`.
    pub fn new(p: f32) -> Result<Self> {
        if !(0.0..1.0).contains(&p) {
            return Err(Error::InvalidArgument {
                op: "SpatialDropout",
                msg: format!("rate must be in [0, 1), got {p}"),
            });
        }
        Ok(SpatialDropout { p, training: true })
    }
}

impl Module for SpatialDropout {
    fn type_name(&self) -> &'static str {
        "SpatialDropout"
    }

    fn forward(&self, x: &Tensor) -> Result<Tensor> {
        if !self.training || self.p == 0.0 {
            return Ok(x.clone());
        }
        if x.rank() < 3 {
            return Err(Error::ShapeMismatch {
                op: "SpatialDropout",
                lhs: x.dims().to_vec(),
                rhs: vec![],
                reason: "expected [N, C, ...spatial] feature maps".into(),
            });
        }
        let mut mask_shape = vec![1usize; x.rank()];
        mask_shape[0] = x.dims()[0];
        mask_shape[1] = x.dims()[1];
        let keep = Tensor::rand(&mask_shape, 0.0, 1.0, None)?.ge(&Tensor::scalar(self.p))?;
        x.mul(&keep)?.mul_scalar(1.0 / (1.0 - self.p))
    }

    fn visit(&self, _f: &mut dyn FnMut(&str, Slot<'_>)) {}

    fn config(&self) -> Option<serde_json::Value> {
        Some(serde_json::json!({"type": "SpatialDropout", "p": self.p}))
    }

    leaf_mode!();
}
