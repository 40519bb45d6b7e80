//! Rotary position embedding (RoPE, Su et al. 2021), "rotate half" layout as in GPT-NeoX/LLaMA:
//! feature `i < D/2` pairs with `i + D/2`, rotated by angle `pos · base^(-2i/D)`.

use crate::error::{Error, Result};
use crate::tensor::Tensor;

impl Tensor {
    /// Applies rotary position embedding to `self` `[..., L, D]` (D even), positions
    /// `offset..offset+L`, frequency base `base` (10000 in the paper). Differentiable.
    pub fn rotary_embedding(&self, offset: usize, base: f32) -> Result<Tensor> {
        let dims = self.dims();
        let (l, d) = match *dims {
            [.., l, d] if d % 2 == 0 && d > 0 => (l, d),
            _ => {
                return Err(Error::shape(
                    "rotaryEmbedding",
                    format!("input must be [..., L, D] with D even and positive, got {dims:?}"),
                ))
            }
        };
        if !(base.is_finite() && base > 0.0) {
            return Err(Error::invalid(
                "rotaryEmbedding",
                format!("base must be positive and finite, got {base}"),
            ));
        }
        let half = d / 2;
        let mut cos = vec![0.0f32; l * d];
        let mut sin = vec![0.0f32; l * d];
        for p in 0..l {
            for i in 0..half {
                let freq = (base as f64).powf(-2.0 * i as f64 / d as f64);
                let a = (offset + p) as f64 * freq;
                let (s, c) = a.sin_cos();
                for j in [i, i + half] {
                    cos[p * d + j] = c as f32;
                    sin[p * d + j] = s as f32;
                }
            }
        }
        let cos = Tensor::from_vec(cos, &[l, d])?;
        let sin = Tensor::from_vec(sin, &[l, d])?;
        let x1 = self.narrow(-1, 0, half)?;
        let x2 = self.narrow(-1, half, half)?;
        let rotated = Tensor::concat(&[x2.neg()?, x1], -1)?;
        self.mul(&cos)?.add(&rotated.mul(&sin)?)
    }
}
