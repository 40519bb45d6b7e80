//! Activations composed from primitives: their gradients (of any order) come for free.

use std::f32::consts::{FRAC_1_SQRT_2, PI};

use crate::error::Result;
use crate::tensor::Tensor;

impl Tensor {
    /// GELU. `approximate = false` uses the exact `x * Φ(x)` (erf form); `true` the tanh form
    /// `0.5 x (1 + tanh(√(2/π) (x + 0.044715 x³)))`, matching `torch.nn.GELU(approximate=...)`.
    pub fn gelu(&self, approximate: bool) -> Result<Tensor> {
        let inner = if approximate {
            let cubic = self.pow_scalar(3.0)?.mul_scalar(0.044715)?;
            self.add(&cubic)?.mul_scalar((2.0 / PI).sqrt())?.tanh()?
        } else {
            self.mul_scalar(FRAC_1_SQRT_2)?.erf()?
        };
        self.mul(&inner.add_scalar(1.0)?)?.mul_scalar(0.5)
    }

    /// Softsign `x / (1 + |x|)`.
    pub fn softsign(&self) -> Result<Tensor> {
        self.div(&self.abs()?.add_scalar(1.0)?)
    }

    /// SiLU / swish `x * sigmoid(x)`.
    pub fn silu(&self) -> Result<Tensor> {
        self.mul(&self.sigmoid()?)
    }

    /// `log(sigmoid(x)) = -softplus(-x)`, stable for large |x|.
    pub fn log_sigmoid(&self) -> Result<Tensor> {
        self.neg()?.softplus()?.neg()
    }
}
