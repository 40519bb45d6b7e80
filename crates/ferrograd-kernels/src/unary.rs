//! Elementwise unary operations on contiguous buffers.

use crate::cpu::{simd_level, SimdLevel};
use crate::elementwise::{map1, PAR_MIN_CHEAP, PAR_MIN_COSTLY};
use crate::error::KernelError;
use crate::pool::parallel_chunks_mut;
use crate::simd::{dispatch, math, Kernel, Simd};

/// A unary elementwise operation (PyTorch semantics, including NaN handling).
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum UnaryOp {
    /// `-x`
    Neg,
    /// `e^x`
    Exp,
    /// natural log (`log(0) = -inf`, `log(x<0) = NaN`)
    Log,
    /// square root
    Sqrt,
    /// `|x|`
    Abs,
    /// `-1`, `0` or `1`; NaN stays NaN (like NumPy; PyTorch's CPU kernel
    /// returns 0 for NaN, a known discrepancy, pytorch#41245)
    Sign,
    /// `1 / x`
    Recip,
    /// `x * x`
    Square,
    /// `1 / (1 + e^-x)`, stable for any x
    Sigmoid,
    /// hyperbolic tangent
    Tanh,
    /// `max(x, 0)` (NaN propagates)
    Relu,
    /// error function
    Erf,
    /// `ln(1 + e^x)`, stable for any x
    Softplus,
    /// sine
    Sin,
    /// cosine
    Cos,
    /// round toward -inf
    Floor,
    /// round toward +inf
    Ceil,
    /// round half to even (like `torch.round`)
    Round,
    /// `x > 0 ? x : slope * x`
    LeakyRelu(f32),
    /// `x > 0 ? x : alpha * (e^x - 1)`
    Elu(f32),
    /// `x^p`
    PowScalar(f32),
    /// `min(max(x, lo), hi)` (NaN propagates)
    Clamp(f32, f32),
    /// `x + c`
    AddScalar(f32),
    /// `x * c`
    MulScalar(f32),
    /// `x > 0 ? 1 : 0` (the derivative of relu)
    Step,
}

impl UnaryOp {
    /// Ops whose per-element cost justifies threads on smaller inputs.
    fn is_costly(self) -> bool {
        matches!(
            self,
            UnaryOp::Exp
                | UnaryOp::Log
                | UnaryOp::Sigmoid
                | UnaryOp::Tanh
                | UnaryOp::Erf
                | UnaryOp::Softplus
                | UnaryOp::Sin
                | UnaryOp::Cos
                | UnaryOp::Elu(_)
                | UnaryOp::PowScalar(_)
        )
    }
}

/// Applies `op` to every element of `x`, writing `out` (same length).
///
/// Vectorized with the best available SIMD level and split across the kernel
/// pool for large inputs; each element's result does not depend on the
/// thread count.
pub fn unary(op: UnaryOp, x: &[f32], out: &mut [f32]) -> Result<(), KernelError> {
    unary_with(simd_level(), op, x, out)
}

/// [`unary`] at an explicit SIMD level (tests use it to cover fallbacks).
pub(crate) fn unary_with(
    level: SimdLevel,
    op: UnaryOp,
    x: &[f32],
    out: &mut [f32],
) -> Result<(), KernelError> {
    if x.len() != out.len() {
        return Err(KernelError::BadLength {
            kernel: "unary",
            expected: x.len(),
            got: out.len(),
        });
    }
    let min = if op.is_costly() {
        PAR_MIN_COSTLY
    } else {
        PAR_MIN_CHEAP
    };
    parallel_chunks_mut(out, min, |start, chunk| {
        let x = &x[start..start + chunk.len()];
        dispatch(level, UnaryKernel { op, x, out: chunk });
    });
    Ok(())
}

struct UnaryKernel<'a> {
    op: UnaryOp,
    x: &'a [f32],
    out: &'a mut [f32],
}

impl Kernel for UnaryKernel<'_> {
    type Output = ();

    #[inline(always)]
    fn run<S: Simd>(self, s: S) {
        let (x, out) = (self.x, self.out);
        let zero = s.splat(0.0);
        let one = s.splat(1.0);
        match self.op {
            UnaryOp::Neg => map1(
                s,
                x,
                out,
                #[inline(always)]
                |v| s.neg(v),
            ),
            UnaryOp::Exp => map1(
                s,
                x,
                out,
                #[inline(always)]
                |v| math::exp(s, v),
            ),
            UnaryOp::Log => map1(
                s,
                x,
                out,
                #[inline(always)]
                |v| math::log(s, v),
            ),
            UnaryOp::Sqrt => map1(
                s,
                x,
                out,
                #[inline(always)]
                |v| s.sqrt(v),
            ),
            UnaryOp::Abs => map1(
                s,
                x,
                out,
                #[inline(always)]
                |v| s.abs(v),
            ),
            UnaryOp::Sign => map1(
                s,
                x,
                out,
                #[inline(always)]
                |v| {
                    let r = s.select(s.gt(v, zero), one, zero);
                    let r = s.select(s.lt(v, zero), s.splat(-1.0), r);
                    s.select(s.is_nan(v), v, r)
                },
            ),
            UnaryOp::Recip => map1(
                s,
                x,
                out,
                #[inline(always)]
                |v| s.div(one, v),
            ),
            UnaryOp::Square => map1(
                s,
                x,
                out,
                #[inline(always)]
                |v| s.mul(v, v),
            ),
            UnaryOp::Sigmoid => map1(
                s,
                x,
                out,
                #[inline(always)]
                |v| math::sigmoid(s, v),
            ),
            UnaryOp::Tanh => map1(
                s,
                x,
                out,
                #[inline(always)]
                |v| math::tanh(s, v),
            ),
            // max(0, v): the second operand is returned for NaN, so NaN propagates.
            UnaryOp::Relu => map1(
                s,
                x,
                out,
                #[inline(always)]
                |v| s.max(zero, v),
            ),
            UnaryOp::Erf => map1(
                s,
                x,
                out,
                #[inline(always)]
                |v| math::erf(s, v),
            ),
            UnaryOp::Softplus => map1(
                s,
                x,
                out,
                #[inline(always)]
                |v| math::softplus(s, v),
            ),
            UnaryOp::Sin => map1(
                s,
                x,
                out,
                #[inline(always)]
                |v| math::sin(s, v),
            ),
            UnaryOp::Cos => map1(
                s,
                x,
                out,
                #[inline(always)]
                |v| math::cos(s, v),
            ),
            UnaryOp::Floor => map1(
                s,
                x,
                out,
                #[inline(always)]
                |v| s.floor(v),
            ),
            UnaryOp::Ceil => map1(
                s,
                x,
                out,
                #[inline(always)]
                |v| s.ceil(v),
            ),
            UnaryOp::Round => map1(
                s,
                x,
                out,
                #[inline(always)]
                |v| s.round(v),
            ),
            UnaryOp::LeakyRelu(a) => {
                let a = s.splat(a);
                map1(
                    s,
                    x,
                    out,
                    #[inline(always)]
                    |v| s.select(s.gt(v, zero), v, s.mul(v, a)),
                )
            }
            UnaryOp::Elu(alpha) => {
                let al = s.splat(alpha);
                map1(
                    s,
                    x,
                    out,
                    #[inline(always)]
                    |v| s.select(s.gt(v, zero), v, s.mul(al, math::expm1(s, v))),
                )
            }
            UnaryOp::PowScalar(p) => pow_scalar(s, p, x, out),
            UnaryOp::Clamp(lo, hi) => {
                let (lo, hi) = (s.splat(lo), s.splat(hi));
                // Operand order keeps NaN: max(lo, NaN) = NaN, min(hi, NaN) = NaN.
                map1(
                    s,
                    x,
                    out,
                    #[inline(always)]
                    |v| s.min(hi, s.max(lo, v)),
                )
            }
            UnaryOp::AddScalar(c) => {
                let c = s.splat(c);
                map1(
                    s,
                    x,
                    out,
                    #[inline(always)]
                    |v| s.add(v, c),
                )
            }
            UnaryOp::MulScalar(c) => {
                let c = s.splat(c);
                map1(
                    s,
                    x,
                    out,
                    #[inline(always)]
                    |v| s.mul(v, c),
                )
            }
            UnaryOp::Step => map1(
                s,
                x,
                out,
                #[inline(always)]
                |v| s.select(s.gt(v, zero), one, zero),
            ),
        }
    }
}

/// `x^p`: common exponents map to exact cheap operations (`x^2` is the
/// hot one in losses and norms); the rest go through libm `powf`.
#[inline(always)]
fn pow_scalar<S: Simd>(s: S, p: f32, x: &[f32], out: &mut [f32]) {
    let one = s.splat(1.0);
    if p == 1.0 {
        out.copy_from_slice(&x[..out.len()]);
    } else if p == 2.0 {
        map1(
            s,
            x,
            out,
            #[inline(always)]
            |v| s.mul(v, v),
        );
    } else if p == 3.0 {
        map1(
            s,
            x,
            out,
            #[inline(always)]
            |v| s.mul(s.mul(v, v), v),
        );
    } else if p == -1.0 {
        map1(
            s,
            x,
            out,
            #[inline(always)]
            |v| s.div(one, v),
        );
    } else if p == -2.0 {
        map1(
            s,
            x,
            out,
            #[inline(always)]
            |v| s.div(one, s.mul(v, v)),
        );
    } else if p == 0.5 {
        // sqrt with powf's edge cases: pow(-0, 0.5) = +0, pow(-inf, 0.5) = +inf.
        let zero = s.splat(0.0);
        let ninf = s.splat(f32::NEG_INFINITY);
        map1(
            s,
            x,
            out,
            #[inline(always)]
            |v| {
                let r = s.add(s.sqrt(v), zero);
                s.select(s.eq(v, ninf), s.neg(ninf), r)
            },
        );
    } else if p == 0.0 {
        // pow(x, 0) = 1 for every x, NaN included (IEEE).
        out.fill(1.0);
    } else {
        let pv = s.splat(p);
        map1(
            s,
            x,
            out,
            #[inline(always)]
            |v| math::pow(s, v, pv),
        );
    }
}
