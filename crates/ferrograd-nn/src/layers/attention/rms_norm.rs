//! Root-mean-square normalisation (Zhang & Sennrich 2019), `torch.nn.RMSNorm` semantics.

use ferrograd_core::{Error, Result, Tensor};

use crate::layers::leaf_mode;
use crate::module::{parameter, Module, Slot};

/// `y = x / √(mean(x²) + eps) · weight` over the trailing `normalized_shape` dimensions.
pub struct RmsNorm {
    pub weight: Tensor,
    /// `None` uses `f32::EPSILON`, as torch does for `eps=None`.
    pub eps: Option<f32>,
    training: bool,
}

impl RmsNorm {
    pub fn new(normalized_shape: &[usize], eps: Option<f32>) -> Result<Self> {
        if normalized_shape.is_empty()
            || normalized_shape.contains(&0)
            || eps.is_some_and(|e| !(e.is_finite() && e > 0.0))
        {
            return Err(Error::InvalidArgument {
                op: "RmsNorm",
                msg: format!("needs a non-empty positive shape and eps > 0, got {normalized_shape:?}, {eps:?}"),
            });
        }
        Ok(RmsNorm {
            weight: parameter(Tensor::ones(normalized_shape))?,
            eps,
            training: true,
        })
    }
}

impl Module for RmsNorm {
    fn type_name(&self) -> &'static str {
        "RmsNorm"
    }

    fn forward(&self, x: &Tensor) -> Result<Tensor> {
        let k = self.weight.rank();
        if x.rank() < k || x.dims()[x.rank() - k..] != *self.weight.dims() {
            return Err(Error::ShapeMismatch {
                op: "RmsNorm",
                lhs: x.dims().to_vec(),
                rhs: self.weight.dims().to_vec(),
                reason: "the input must end with normalized_shape".into(),
            });
        }
        let axes: Vec<isize> = (1..=k as isize).map(|i| -i).collect();
        let ms = x.square()?.mean(Some(&axes), true)?;
        let eps = self.eps.unwrap_or(f32::EPSILON);
        x.div(&ms.add_scalar(eps)?.sqrt()?)?.mul(&self.weight)
    }

    fn visit(&self, f: &mut dyn FnMut(&str, Slot<'_>)) {
        f("weight", Slot::Parameter(&self.weight));
    }

    fn config(&self) -> Option<serde_json::Value> {
        Some(
            serde_json::json!({"type": "RmsNorm", "normalized_shape": self.weight.dims(), "eps": self.eps}),
        )
    }

    leaf_mode!();
}
