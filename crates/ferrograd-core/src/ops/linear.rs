//! `y = x · Wᵀ + b` as one fused op (torch's `F.linear`, weight `[out, in]`): the bias is
//! written into the result before the GEMM accumulates onto it, and the backward is two GEMMs
//! and a column sum, instead of matmul + transpose view + broadcast add nodes.

use std::sync::Arc;

use ferrograd_kernels::sgemm;

use crate::error::{Error, Result};
use crate::fused::FusedBackward;
use crate::tensor::Tensor;

const OP: &str = "linear";

struct LinearBackward {
    rows: usize,
    inf: usize,
    outf: usize,
    /// The output went through a ReLU: the gradient is masked by `output > 0` first.
    relu: bool,
}

impl FusedBackward for LinearBackward {
    fn name(&self) -> &'static str {
        "Linear"
    }

    fn backward(
        &self,
        inputs: &[Tensor],
        output: &Tensor,
        grad: &Tensor,
    ) -> Result<Vec<Option<Tensor>>> {
        let masked;
        let grad = if self.relu {
            let mut g = crate::alloc::overwritten(OP, grad.numel())?;
            grad.with_contiguous(|gs| {
                output.with_contiguous(|y| {
                    for ((o, &gv), &yv) in g.iter_mut().zip(gs).zip(y) {
                        *o = if yv > 0.0 || yv.is_nan() { gv } else { 0.0 };
                    }
                })
            });
            masked = Tensor::from_vec(g, grad.dims())?;
            &masked
        } else {
            grad
        };
        let (x, w) = match inputs {
            [x, w, ..] => (x, w),
            _ => return Err(Error::invalid("Linear", "backward needs x and w")),
        };
        let (n, i, o) = (self.rows, self.inf, self.outf);
        let mut out = Vec::with_capacity(inputs.len());
        grad.with_contiguous(|g| -> Result<()> {
            out.push(if x.requires_grad() {
                let mut dx = crate::alloc::overwritten(OP, n * i)?;
                w.with_contiguous(|ws| sgemm(n, i, o, g, o, 1, ws, i, 1, &mut dx, i, false))?;
                Some(Tensor::from_vec(dx, x.dims())?)
            } else {
                None
            });
            out.push(if w.requires_grad() {
                let mut dw = crate::alloc::overwritten(OP, o * i)?;
                x.with_contiguous(|xs| sgemm(o, i, n, g, 1, o, xs, i, 1, &mut dw, i, false))?;
                Some(Tensor::from_vec(dw, w.dims())?)
            } else {
                None
            });
            if let Some(b) = inputs.get(2) {
                out.push(if b.requires_grad() {
                    let mut db = vec![0.0f32; o];
                    for row in g.chunks_exact(o) {
                        for (a, &v) in db.iter_mut().zip(row) {
                            *a += v;
                        }
                    }
                    Some(Tensor::from_vec(db, b.dims())?)
                } else {
                    None
                });
            }
            Ok(())
        })?;
        Ok(out)
    }
}

impl Tensor {
    /// `x · weightᵀ + bias` over the last axis of `x [..., in]`, with `weight [out, in]` and
    /// `bias [out]` (torch's layout). One fused op with a first-order backward.
    pub fn linear(&self, weight: &Tensor, bias: Option<&Tensor>) -> Result<Tensor> {
        self.linear_with(weight, bias, false)
    }

    /// `relu(x · weightᵀ + bias)` as one fused op (the feed-forward block of a transformer):
    /// the ReLU is applied in place and its mask read back from the output in the backward.
    pub fn linear_relu(&self, weight: &Tensor, bias: Option<&Tensor>) -> Result<Tensor> {
        self.linear_with(weight, bias, true)
    }

    fn linear_with(&self, weight: &Tensor, bias: Option<&Tensor>, relu: bool) -> Result<Tensor> {
        let (o, i) = match *weight.dims() {
            [o, i] if o > 0 => (o, i),
            _ => {
                return Err(Error::shape(
                    OP,
                    format!(
                        "weight must be [out, in] with out > 0, got {:?}",
                        weight.dims()
                    ),
                ))
            }
        };
        if self.dims().last() != Some(&i) || i == 0 {
            return Err(Error::mismatch(
                OP,
                self.dims(),
                weight.dims(),
                format!("the input's last dimension must be in = {i}"),
            ));
        }
        if let Some(b) = bias {
            if b.dims() != [o] {
                return Err(Error::mismatch(
                    OP,
                    weight.dims(),
                    b.dims(),
                    format!("bias must be [{o}]"),
                ));
            }
        }
        let n = self.numel() / i;
        let total = n
            .checked_mul(o)
            .ok_or_else(|| Error::invalid(OP, "result too large"))?;
        let mut y = match bias {
            Some(b) => {
                let mut y = crate::alloc::overwritten(OP, total)?;
                b.with_contiguous(|bs| {
                    for row in y.chunks_exact_mut(o) {
                        row.copy_from_slice(bs);
                    }
                });
                y
            }
            None => crate::alloc::filled(OP, total, 0.0)?,
        };
        self.with_contiguous(|xs| {
            weight.with_contiguous(|ws| sgemm(n, o, i, xs, i, 1, ws, 1, i, &mut y, o, true))
        })?;
        if relu {
            // A select, not a branch (random signs would mispredict half the time); NaN stays
            // NaN, as torch.relu.
            for v in &mut y {
                *v = if *v < 0.0 { 0.0 } else { *v };
            }
        }
        let mut shape = self.dims().to_vec();
        if let Some(last) = shape.last_mut() {
            *last = o;
        }
        let mut inputs = vec![self, weight];
        inputs.extend(bias);
        Tensor::fused(
            y,
            &shape,
            &inputs,
            Arc::new(LinearBackward {
                rows: n,
                inf: i,
                outf: o,
                relu,
            }),
        )
    }
}
