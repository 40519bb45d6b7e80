//! Elementwise unary primitives backed by the SIMD kernels.

use ferrograd_kernels::{unary, UnaryOp};

use crate::error::{Error, Result};
use crate::op::Op;
use crate::tensor::Tensor;

macro_rules! unary_methods {
    ($($(#[$doc:meta])* $name:ident => $op:expr;)*) => {
        impl Tensor {
            $($(#[$doc])* pub fn $name(&self) -> Result<Tensor> { self.unary($op) })*
        }
    };
}

unary_methods! {
    /// `-x`.
    neg => UnaryOp::Neg;
    /// `e^x`.
    exp => UnaryOp::Exp;
    /// Natural logarithm.
    log => UnaryOp::Log;
    /// Square root.
    sqrt => UnaryOp::Sqrt;
    /// `|x|`.
    abs => UnaryOp::Abs;
    /// `-1`, `0` or `1` (zero gradient).
    sign => UnaryOp::Sign;
    /// `1 / x`.
    recip => UnaryOp::Recip;
    /// `x^2`.
    square => UnaryOp::Square;
    /// Logistic sigmoid `1 / (1 + e^-x)`, stable for large |x|.
    sigmoid => UnaryOp::Sigmoid;
    /// Hyperbolic tangent.
    tanh => UnaryOp::Tanh;
    /// `max(x, 0)`.
    relu => UnaryOp::Relu;
    /// Gauss error function.
    erf => UnaryOp::Erf;
    /// `log(1 + e^x)`, computed stably.
    softplus => UnaryOp::Softplus;
    /// Sine.
    sin => UnaryOp::Sin;
    /// Cosine.
    cos => UnaryOp::Cos;
    /// Round down (zero gradient).
    floor => UnaryOp::Floor;
    /// Round up (zero gradient).
    ceil => UnaryOp::Ceil;
    /// Round to nearest, halves to even like PyTorch (zero gradient).
    round => UnaryOp::Round;
    /// Heaviside step `x > 0 ? 1 : 0` (zero gradient).
    step => UnaryOp::Step;
}

impl Tensor {
    /// Applies a unary kernel and records it for autograd.
    pub(crate) fn unary(&self, op: UnaryOp) -> Result<Tensor> {
        let out = self.with_contiguous(|x| -> Result<Vec<f32>> {
            let mut out = crate::alloc::overwritten("unary", x.len())?;
            unary(op, x, &mut out)?;
            Ok(out)
        })?;
        Ok(
            Tensor::from_contiguous(out, self.dims().to_vec()).track(&[self], |out| Op::Unary {
                op,
                x: self.clone(),
                out,
            }),
        )
    }

    /// `x^p` for a scalar exponent.
    pub fn pow_scalar(&self, p: f32) -> Result<Tensor> {
        self.unary(UnaryOp::PowScalar(p))
    }

    /// `x + s`.
    pub fn add_scalar(&self, s: f32) -> Result<Tensor> {
        self.unary(UnaryOp::AddScalar(s))
    }

    /// `x * s`.
    pub fn mul_scalar(&self, s: f32) -> Result<Tensor> {
        self.unary(UnaryOp::MulScalar(s))
    }

    /// Leaky ReLU: `x` for `x > 0`, `alpha * x` otherwise.
    pub fn leaky_relu(&self, alpha: f32) -> Result<Tensor> {
        self.unary(UnaryOp::LeakyRelu(alpha))
    }

    /// ELU: `x` for `x > 0`, `alpha * (e^x - 1)` otherwise.
    pub fn elu(&self, alpha: f32) -> Result<Tensor> {
        self.unary(UnaryOp::Elu(alpha))
    }

    /// Clamps into `[min, max]`; either bound may be absent. The gradient passes where
    /// `min <= x <= max`, as in PyTorch.
    pub fn clamp(&self, min: Option<f32>, max: Option<f32>) -> Result<Tensor> {
        let lo = min.unwrap_or(f32::NEG_INFINITY);
        let hi = max.unwrap_or(f32::INFINITY);
        if lo.is_nan() || hi.is_nan() || lo > hi {
            return Err(Error::invalid(
                "clamp",
                format!("needs min <= max, got min={lo} max={hi}"),
            ));
        }
        self.unary(UnaryOp::Clamp(lo, hi))
    }
}
