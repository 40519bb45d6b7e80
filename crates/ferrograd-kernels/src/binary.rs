//! Elementwise binary operations on contiguous buffers of equal length.

use crate::cpu::{simd_level, SimdLevel};
use crate::elementwise::{map2, Operand, PAR_MIN_CHEAP, PAR_MIN_COSTLY};
use crate::error::KernelError;
use crate::pool::parallel_chunks_mut;
use crate::simd::{dispatch, math, Kernel, Simd};

/// A binary elementwise operation. Comparisons yield `1.0` (true) or `0.0`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum BinaryOp {
    /// `a + b`
    Add,
    /// `a - b`
    Sub,
    /// `a * b`
    Mul,
    /// `a / b`
    Div,
    /// `a ^ b` (libm `powf` semantics)
    Pow,
    /// larger of the two; NaN if either is NaN (like `torch.maximum`)
    Maximum,
    /// smaller of the two; NaN if either is NaN (like `torch.minimum`)
    Minimum,
    /// `a == b`
    Eq,
    /// `a != b` (true when either is NaN)
    Ne,
    /// `a < b`
    Lt,
    /// `a <= b`
    Le,
    /// `a > b`
    Gt,
    /// `a >= b`
    Ge,
}

impl BinaryOp {
    pub(crate) fn par_min(self) -> usize {
        if self == BinaryOp::Pow {
            PAR_MIN_COSTLY
        } else {
            PAR_MIN_CHEAP
        }
    }
}

/// Applies `op` to one vector of lanes.
#[inline(always)]
pub(crate) fn apply<S: Simd>(s: S, op: BinaryOp, a: S::V, b: S::V) -> S::V {
    let one = s.splat(1.0);
    let zero = s.splat(0.0);
    match op {
        BinaryOp::Add => s.add(a, b),
        BinaryOp::Sub => s.sub(a, b),
        BinaryOp::Mul => s.mul(a, b),
        BinaryOp::Div => s.div(a, b),
        BinaryOp::Pow => math::pow(s, a, b),
        // If either lane is NaN, a + b is NaN: that gives torch's propagation.
        BinaryOp::Maximum => {
            let nan = s.mask_or(s.is_nan(a), s.is_nan(b));
            s.select(nan, s.add(a, b), s.max(a, b))
        }
        BinaryOp::Minimum => {
            let nan = s.mask_or(s.is_nan(a), s.is_nan(b));
            s.select(nan, s.add(a, b), s.min(a, b))
        }
        BinaryOp::Eq => s.select(s.eq(a, b), one, zero),
        BinaryOp::Ne => s.select(s.ne(a, b), one, zero),
        BinaryOp::Lt => s.select(s.lt(a, b), one, zero),
        BinaryOp::Le => s.select(s.le(a, b), one, zero),
        BinaryOp::Gt => s.select(s.gt(a, b), one, zero),
        BinaryOp::Ge => s.select(s.ge(a, b), one, zero),
    }
}

/// `out[i] = a[i] op b[i]`; all three slices must have the same length.
pub fn binary_contiguous(
    op: BinaryOp,
    a: &[f32],
    b: &[f32],
    out: &mut [f32],
) -> Result<(), KernelError> {
    binary_contiguous_with(simd_level(), op, a, b, out)
}

/// [`binary_contiguous`] at an explicit SIMD level.
pub(crate) fn binary_contiguous_with(
    level: SimdLevel,
    op: BinaryOp,
    a: &[f32],
    b: &[f32],
    out: &mut [f32],
) -> Result<(), KernelError> {
    for got in [b.len(), out.len()] {
        if got != a.len() {
            return Err(KernelError::BadLength {
                kernel: "binary_contiguous",
                expected: a.len(),
                got,
            });
        }
    }
    parallel_chunks_mut(out, op.par_min(), |start, chunk| {
        let end = start + chunk.len();
        let k = BinaryRow {
            op,
            a: Operand::Row(&a[start..end]),
            b: Operand::Row(&b[start..end]),
            out: chunk,
        };
        dispatch(level, k);
    });
    Ok(())
}

/// One row of a binary op, each side contiguous or a broadcast scalar.
pub(crate) struct BinaryRow<'a> {
    pub op: BinaryOp,
    pub a: Operand<'a>,
    pub b: Operand<'a>,
    pub out: &'a mut [f32],
}

impl Kernel for BinaryRow<'_> {
    type Output = ();

    #[inline(always)]
    fn run<S: Simd>(self, s: S) {
        let (a, b, out) = (self.a, self.b, self.out);
        // One monomorphized loop per op: the match is hoisted out of the loop.
        match self.op {
            BinaryOp::Add => map2(
                s,
                a,
                b,
                out,
                #[inline(always)]
                |x, y| apply(s, BinaryOp::Add, x, y),
            ),
            BinaryOp::Sub => map2(
                s,
                a,
                b,
                out,
                #[inline(always)]
                |x, y| apply(s, BinaryOp::Sub, x, y),
            ),
            BinaryOp::Mul => map2(
                s,
                a,
                b,
                out,
                #[inline(always)]
                |x, y| apply(s, BinaryOp::Mul, x, y),
            ),
            BinaryOp::Div => map2(
                s,
                a,
                b,
                out,
                #[inline(always)]
                |x, y| apply(s, BinaryOp::Div, x, y),
            ),
            BinaryOp::Pow => map2(
                s,
                a,
                b,
                out,
                #[inline(always)]
                |x, y| apply(s, BinaryOp::Pow, x, y),
            ),
            BinaryOp::Maximum => map2(
                s,
                a,
                b,
                out,
                #[inline(always)]
                |x, y| apply(s, BinaryOp::Maximum, x, y),
            ),
            BinaryOp::Minimum => map2(
                s,
                a,
                b,
                out,
                #[inline(always)]
                |x, y| apply(s, BinaryOp::Minimum, x, y),
            ),
            BinaryOp::Eq => map2(
                s,
                a,
                b,
                out,
                #[inline(always)]
                |x, y| apply(s, BinaryOp::Eq, x, y),
            ),
            BinaryOp::Ne => map2(
                s,
                a,
                b,
                out,
                #[inline(always)]
                |x, y| apply(s, BinaryOp::Ne, x, y),
            ),
            BinaryOp::Lt => map2(
                s,
                a,
                b,
                out,
                #[inline(always)]
                |x, y| apply(s, BinaryOp::Lt, x, y),
            ),
            BinaryOp::Le => map2(
                s,
                a,
                b,
                out,
                #[inline(always)]
                |x, y| apply(s, BinaryOp::Le, x, y),
            ),
            BinaryOp::Gt => map2(
                s,
                a,
                b,
                out,
                #[inline(always)]
                |x, y| apply(s, BinaryOp::Gt, x, y),
            ),
            BinaryOp::Ge => map2(
                s,
                a,
                b,
                out,
                #[inline(always)]
                |x, y| apply(s, BinaryOp::Ge, x, y),
            ),
        }
    }
}
