//! Matrix products with `torch.matmul` semantics (1-D promotion, broadcast batch dimensions).

use ferrograd_kernels::sgemm_batched;

use crate::error::{Error, Result};
use crate::op::Op;
use crate::shape::{broadcast_shapes, numel};
use crate::tensor::Tensor;

impl Tensor {
    /// Matrix product. 1-D operands are promoted (a vector on the left is a row, on the right a
    /// column) and the promoted dimension is removed from the result; leading dimensions broadcast.
    pub fn matmul(&self, rhs: &Tensor) -> Result<Tensor> {
        match (self.rank(), rhs.rank()) {
            (0, _) | (_, 0) => Err(Error::mismatch(
                "matmul",
                self.dims(),
                rhs.dims(),
                "both operands need at least 1 dimension",
            )),
            (1, 1) => self
                .unsqueeze(0)?
                .matmul_nd(&rhs.unsqueeze(1)?)?
                .reshape_to(&[]),
            (1, _) => self.unsqueeze(0)?.matmul_nd(rhs)?.squeeze(Some(-2)),
            (_, 1) => self.matmul_nd(&rhs.unsqueeze(1)?)?.squeeze(Some(-1)),
            _ => self.matmul_nd(rhs),
        }
    }

    /// Both operands have rank >= 2. Transposed or broadcast operands are passed to the GEMM
    /// kernel by stride, never copied.
    fn matmul_nd(&self, rhs: &Tensor) -> Result<Tensor> {
        let (ra, rb) = (self.rank(), rhs.rank());
        let (m, k) = (self.dims()[ra - 2], self.dims()[ra - 1]);
        let (k2, n) = (rhs.dims()[rb - 2], rhs.dims()[rb - 1]);
        if k != k2 {
            return Err(Error::mismatch(
                "matmul",
                self.dims(),
                rhs.dims(),
                format!(
                    "inner dimensions differ: {k} (last of lhs) vs {k2} (second-to-last of rhs)"
                ),
            ));
        }
        let batch = broadcast_shapes("matmul", &self.dims()[..ra - 2], &rhs.dims()[..rb - 2])?;
        let batch_count = numel(&batch);
        let a_offsets = batch_offsets(self, &batch, m, k);
        let b_offsets = batch_offsets(rhs, &batch, k, n);
        let (la, lb) = (self.layout(), rhs.layout());
        let total = batch_count
            .checked_mul(m * n)
            .ok_or_else(|| Error::invalid("matmul", "result too large"))?;
        // The GEMM overwrites every element unless the inner dimension is empty.
        let mut out = if k > 0 {
            crate::alloc::overwritten("matmul", total)?
        } else {
            crate::alloc::filled("matmul", total, 0.0)?
        };
        {
            let a = self.storage().read();
            let b = rhs.storage().read();
            sgemm_batched(
                batch_count,
                m,
                n,
                k,
                &a,
                &a_offsets,
                la.strides()[ra - 2],
                la.strides()[ra - 1],
                &b,
                &b_offsets,
                lb.strides()[rb - 2],
                lb.strides()[rb - 1],
                &mut out,
                false,
            )?;
        }
        let mut shape = batch;
        shape.extend([m, n]);
        Ok(
            Tensor::from_contiguous(out, shape).track(&[self, rhs], |_| Op::Matmul {
                lhs: self.clone(),
                rhs: rhs.clone(),
            }),
        )
    }
}

/// Storage offset of every matrix of `t` when its batch dimensions are broadcast to `batch`.
fn batch_offsets(t: &Tensor, batch: &[usize], rows: usize, cols: usize) -> Vec<usize> {
    let mut full = batch.to_vec();
    full.extend([rows, cols]);
    let strides = t.layout().broadcast_strides(&full);
    let count = numel(batch);
    let mut offsets = Vec::with_capacity(count);
    let mut index = vec![0usize; batch.len()];
    for _ in 0..count {
        offsets.push(
            t.layout().offset()
                + index
                    .iter()
                    .zip(&strides)
                    .map(|(i, s)| i * s)
                    .sum::<usize>(),
        );
        for d in (0..batch.len()).rev() {
            index[d] += 1;
            if index[d] < batch[d] {
                break;
            }
            index[d] = 0;
        }
    }
    offsets
}
