//! A linear map stored in torch's `[out, in]` layout, so `torch.nn.Linear` / the projections of
//! `torch.nn.MultiheadAttention` load by name without transposing.

use ferrograd_core::{Error, Result, Tensor};

use crate::layers::leaf_mode;
use crate::module::{parameter, Module, Slot};

/// `y = x · Wᵀ + b` with `weight [out, in]`, `bias [out]` (torch's `nn.Linear`).
pub struct TorchLinear {
    pub weight: Tensor,
    pub bias: Option<Tensor>,
    training: bool,
}

/// Uniform in `±bound`.
pub(crate) fn uniform(shape: &[usize], bound: f32, seed: Option<u64>) -> Result<Tensor> {
    parameter(Tensor::rand(shape, -bound, bound, seed)?)
}

/// Derives the seed of the `i`-th tensor of a layer from the layer's seed.
pub(crate) fn sub_seed(seed: Option<u64>, i: u64) -> Option<u64> {
    seed.map(|s| s.wrapping_mul(0x9E37_79B9_7F4A_7C15).wrapping_add(i))
}

impl TorchLinear {
    /// torch's default init: weight and bias uniform in `±1/√in`.
    pub fn new(
        in_features: usize,
        out_features: usize,
        bias: bool,
        seed: Option<u64>,
    ) -> Result<Self> {
        if in_features == 0 || out_features == 0 {
            return Err(Error::InvalidArgument {
                op: "TorchLinear",
                msg: format!("needs positive sizes, got in={in_features} out={out_features}"),
            });
        }
        let bound = 1.0 / (in_features as f32).sqrt();
        Ok(TorchLinear {
            weight: uniform(&[out_features, in_features], bound, sub_seed(seed, 0))?,
            bias: if bias {
                Some(uniform(&[out_features], bound, sub_seed(seed, 1))?)
            } else {
                None
            },
            training: true,
        })
    }

    /// Zero bias, as `MultiheadAttention` initialises `out_proj`.
    pub(crate) fn zero_bias(self) -> Result<Self> {
        let bias = match self.bias {
            Some(b) => Some(parameter(Tensor::zeros(b.dims()))?),
            None => None,
        };
        Ok(TorchLinear { bias, ..self })
    }
}

/// `x · wᵀ + b` over the last axis, with the leading axes folded into one GEMM.
pub(crate) fn linear(
    x: &Tensor,
    w: &Tensor,
    b: Option<&Tensor>,
    op: &'static str,
) -> Result<Tensor> {
    let in_f = match *w.dims() {
        [_, i] => i,
        _ => {
            return Err(Error::Shape {
                op,
                msg: format!("weight must be 2-D, got {:?}", w.dims()),
            })
        }
    };
    if x.dims().last() != Some(&in_f) {
        return Err(Error::ShapeMismatch {
            op,
            lhs: x.dims().to_vec(),
            rhs: w.dims().to_vec(),
            reason: format!("the input's last dimension must be {in_f}"),
        });
    }
    // One fused node: bias pre-written into the result, two GEMMs and a column sum backward.
    x.linear(w, b)
}

impl Module for TorchLinear {
    fn type_name(&self) -> &'static str {
        "TorchLinear"
    }

    fn forward(&self, x: &Tensor) -> Result<Tensor> {
        linear(x, &self.weight, self.bias.as_ref(), "TorchLinear")
    }

    fn visit(&self, f: &mut dyn FnMut(&str, Slot<'_>)) {
        f("weight", Slot::Parameter(&self.weight));
        if let Some(b) = &self.bias {
            f("bias", Slot::Parameter(b));
        }
    }

    fn config(&self) -> Option<serde_json::Value> {
        Some(serde_json::json!({
            "type": "TorchLinear",
            "in_features": self.weight.dims().get(1),
            "out_features": self.weight.dims().first(),
            "bias": self.bias.is_some(),
        }))
    }

    leaf_mode!();
}
