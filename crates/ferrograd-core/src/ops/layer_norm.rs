//! Layer normalisation over the last axis as one fused op (native forward and backward).

use std::sync::Arc;

use ferrograd_kernels::{layer_norm_backward, layer_norm_forward};

use crate::error::{Error, Result};
use crate::fused::FusedBackward;
use crate::tensor::Tensor;

const OP: &str = "layerNorm";

struct LayerNormBackward {
    cols: usize,
    has_w: bool,
    has_b: bool,
    stats: Vec<f32>,
}

impl FusedBackward for LayerNormBackward {
    fn name(&self) -> &'static str {
        "LayerNorm"
    }

    fn backward(
        &self,
        inputs: &[Tensor],
        _output: &Tensor,
        grad: &Tensor,
    ) -> Result<Vec<Option<Tensor>>> {
        let x = inputs
            .first()
            .ok_or_else(|| Error::invalid("LayerNorm", "backward without input"))?;
        let w = if self.has_w { inputs.get(1) } else { None };
        let b = if self.has_b { inputs.last() } else { None };
        let mut dx = crate::alloc::overwritten(OP, x.numel())?;
        let mut dw = vec![0.0; if self.has_w { self.cols } else { 0 }];
        let mut db = vec![0.0; if self.has_b { self.cols } else { 0 }];
        let wv = w.map(Tensor::to_vec);
        x.with_contiguous(|xs| {
            grad.with_contiguous(|gs| {
                layer_norm_backward(
                    xs,
                    self.cols,
                    wv.as_deref(),
                    &self.stats,
                    gs,
                    &mut dx,
                    self.has_w.then_some(&mut dw[..]),
                    self.has_b.then_some(&mut db[..]),
                )
            })
        })
        .map_err(|e| Error::from_kernel(OP, e))?;
        let mut out = vec![Some(Tensor::from_vec(dx, x.dims())?)];
        if let Some(w) = w {
            out.push(
                w.requires_grad()
                    .then(|| Tensor::from_vec(dw, w.dims()))
                    .transpose()?,
            );
        }
        if let Some(b) = b {
            out.push(
                b.requires_grad()
                    .then(|| Tensor::from_vec(db, b.dims()))
                    .transpose()?,
            );
        }
        Ok(out)
    }
}

impl Tensor {
    /// `(x - mean) / √(var + eps) · weight + bias` over the last axis (biased variance, as
    /// `torch.nn.functional.layer_norm` with `normalized_shape = [C]`); `weight` and `bias` are
    /// `[C]`. One fused op: its backward is first-order only.
    pub fn layer_norm(
        &self,
        weight: Option<&Tensor>,
        bias: Option<&Tensor>,
        eps: f32,
    ) -> Result<Tensor> {
        let cols = match self.dims().last() {
            Some(&c) if c > 0 => c,
            _ => {
                return Err(Error::shape(
                    OP,
                    format!("needs a non-empty last axis, got {:?}", self.dims()),
                ))
            }
        };
        for p in [weight, bias].into_iter().flatten() {
            if p.dims() != [cols] {
                return Err(Error::mismatch(
                    OP,
                    self.dims(),
                    p.dims(),
                    format!("weight and bias must be [{cols}]"),
                ));
            }
        }
        if !(eps.is_finite() && eps >= 0.0) {
            return Err(Error::invalid(
                OP,
                format!("eps must be finite and >= 0, got {eps}"),
            ));
        }
        let rows = self.numel() / cols;
        let mut y = crate::alloc::overwritten(OP, self.numel())?;
        let mut stats = vec![0.0; rows * 2];
        let (wv, bv) = (weight.map(Tensor::to_vec), bias.map(Tensor::to_vec));
        self.with_contiguous(|xs| {
            layer_norm_forward(
                xs,
                cols,
                wv.as_deref(),
                bv.as_deref(),
                eps,
                &mut y,
                &mut stats,
            )
        })
        .map_err(|e| Error::from_kernel(OP, e))?;
        let mut inputs = vec![self];
        inputs.extend(weight);
        inputs.extend(bias);
        let rule = LayerNormBackward {
            cols,
            has_w: weight.is_some(),
            has_b: bias.is_some(),
            stats,
        };
        Tensor::fused(y, self.dims(), &inputs, Arc::new(rule))
    }
}
