//! Broadcasting binary ops, comparisons and `where`.

use ferrograd_kernels::{binary_strided, where_strided, BinaryOp};

use crate::error::{Error, Result};
use crate::op::Op;
use crate::shape::{broadcast_shapes, numel};
use crate::tensor::Tensor;

fn op_name(op: BinaryOp) -> &'static str {
    match op {
        BinaryOp::Add => "add",
        BinaryOp::Sub => "sub",
        BinaryOp::Mul => "mul",
        BinaryOp::Div => "div",
        BinaryOp::Pow => "pow",
        BinaryOp::Maximum => "maximum",
        BinaryOp::Minimum => "minimum",
        BinaryOp::Eq => "eq",
        BinaryOp::Ne => "ne",
        BinaryOp::Lt => "lt",
        BinaryOp::Le => "le",
        BinaryOp::Gt => "gt",
        BinaryOp::Ge => "ge",
    }
}

fn is_comparison(op: BinaryOp) -> bool {
    matches!(
        op,
        BinaryOp::Eq | BinaryOp::Ne | BinaryOp::Lt | BinaryOp::Le | BinaryOp::Gt | BinaryOp::Ge
    )
}

impl Tensor {
    fn binary(&self, rhs: &Tensor, op: BinaryOp) -> Result<Tensor> {
        let name = op_name(op);
        let shape = broadcast_shapes(name, self.dims(), rhs.dims())?;
        // The kernel writes every element.
        let mut out = crate::alloc::overwritten(name, numel(&shape))?;
        {
            let (la, lb) = (self.layout(), rhs.layout());
            let a = self.storage().read();
            let b = rhs.storage().read();
            binary_strided(
                op,
                &shape,
                &a,
                la.offset(),
                &la.broadcast_strides(&shape),
                &b,
                lb.offset(),
                &lb.broadcast_strides(&shape),
                &mut out,
            )?;
        }
        let result = Tensor::from_contiguous(out, shape);
        if is_comparison(op) {
            // Comparisons are piecewise constant: their results never carry gradients.
            return Ok(result);
        }
        Ok(result.track(&[self, rhs], |out| Op::Binary {
            op,
            lhs: self.clone(),
            rhs: rhs.clone(),
            out,
        }))
    }

    /// Elementwise `self + rhs` with broadcasting.
    pub fn add(&self, rhs: &Tensor) -> Result<Tensor> {
        self.binary(rhs, BinaryOp::Add)
    }
    /// Elementwise `self - rhs` with broadcasting.
    pub fn sub(&self, rhs: &Tensor) -> Result<Tensor> {
        self.binary(rhs, BinaryOp::Sub)
    }
    /// Elementwise `self * rhs` with broadcasting.
    pub fn mul(&self, rhs: &Tensor) -> Result<Tensor> {
        self.binary(rhs, BinaryOp::Mul)
    }
    /// Elementwise `self / rhs` with broadcasting.
    pub fn div(&self, rhs: &Tensor) -> Result<Tensor> {
        self.binary(rhs, BinaryOp::Div)
    }
    /// Elementwise `self ^ rhs` with broadcasting.
    pub fn pow(&self, rhs: &Tensor) -> Result<Tensor> {
        self.binary(rhs, BinaryOp::Pow)
    }
    /// Elementwise maximum (NaN propagates).
    pub fn maximum(&self, rhs: &Tensor) -> Result<Tensor> {
        self.binary(rhs, BinaryOp::Maximum)
    }
    /// Elementwise minimum (NaN propagates).
    pub fn minimum(&self, rhs: &Tensor) -> Result<Tensor> {
        self.binary(rhs, BinaryOp::Minimum)
    }
    /// `1.0` where `self == rhs`, else `0.0`.
    pub fn eq(&self, rhs: &Tensor) -> Result<Tensor> {
        self.binary(rhs, BinaryOp::Eq)
    }
    /// `1.0` where `self != rhs`, else `0.0`.
    pub fn ne(&self, rhs: &Tensor) -> Result<Tensor> {
        self.binary(rhs, BinaryOp::Ne)
    }
    /// `1.0` where `self < rhs`, else `0.0`.
    pub fn lt(&self, rhs: &Tensor) -> Result<Tensor> {
        self.binary(rhs, BinaryOp::Lt)
    }
    /// `1.0` where `self <= rhs`, else `0.0`.
    pub fn le(&self, rhs: &Tensor) -> Result<Tensor> {
        self.binary(rhs, BinaryOp::Le)
    }
    /// `1.0` where `self > rhs`, else `0.0`.
    pub fn gt(&self, rhs: &Tensor) -> Result<Tensor> {
        self.binary(rhs, BinaryOp::Gt)
    }
    /// `1.0` where `self >= rhs`, else `0.0`.
    pub fn ge(&self, rhs: &Tensor) -> Result<Tensor> {
        self.binary(rhs, BinaryOp::Ge)
    }

    /// Picks `a` where `cond` is non-zero and `b` elsewhere, broadcasting all three.
    pub fn where_cond(cond: &Tensor, a: &Tensor, b: &Tensor) -> Result<Tensor> {
        let ab = broadcast_shapes("where", a.dims(), b.dims())?;
        let shape = broadcast_shapes("where", cond.dims(), &ab)?;
        let mut out = crate::alloc::filled("where", numel(&shape), 0.0)?;
        {
            let (lc, la, lb) = (cond.layout(), a.layout(), b.layout());
            let (c_data, a_data, b_data) = (
                cond.storage().read(),
                a.storage().read(),
                b.storage().read(),
            );
            where_strided(
                &shape,
                (&c_data, lc.offset(), &lc.broadcast_strides(&shape)),
                (&a_data, la.offset(), &la.broadcast_strides(&shape)),
                (&b_data, lb.offset(), &lb.broadcast_strides(&shape)),
                &mut out,
            )?;
        }
        Ok(
            Tensor::from_contiguous(out, shape).track(&[a, b], |_| Op::Where {
                cond: cond.detach(),
                a: a.clone(),
                b: b.clone(),
            }),
        )
    }

    /// Sums a broadcast gradient back down to `shape` (the inverse of broadcasting).
    pub fn sum_to_shape(&self, shape: &[usize]) -> Result<Tensor> {
        if self.dims() == shape {
            return Ok(self.clone());
        }
        let rank = self.rank();
        if shape.len() > rank {
            return Err(Error::mismatch(
                "sumToShape",
                self.dims(),
                shape,
                "target has more dimensions",
            ));
        }
        let lead = rank - shape.len();
        let mut axes: Vec<isize> = (0..lead as isize).collect();
        for (i, &d) in shape.iter().enumerate() {
            let have = self.dims()[lead + i];
            if d == 1 && have != 1 {
                axes.push((lead + i) as isize);
            } else if d != have {
                return Err(Error::mismatch(
                    "sumToShape",
                    self.dims(),
                    shape,
                    format!("dimension {i} differs"),
                ));
            }
        }
        if axes.is_empty() {
            return self.reshape_to(shape);
        }
        self.sum(Some(&axes), true)?.reshape_to(shape)
    }
}
