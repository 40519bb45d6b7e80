//! Joining and splitting: concat, stack, split, chunk, constant padding.

use crate::error::{Error, Result};
use crate::op::Op;
use crate::shape::{normalize_axis, numel};
use crate::tensor::Tensor;

impl Tensor {
    /// Joins tensors along an existing `axis`; all other dimensions must match.
    pub fn concat(tensors: &[Tensor], axis: isize) -> Result<Tensor> {
        let first = tensors
            .first()
            .ok_or_else(|| Error::invalid("concat", "needs at least one tensor"))?;
        let rank = first.rank();
        let axis = normalize_axis("concat", axis, rank)?;
        let mut shape = first.dims().to_vec();
        shape[axis] = 0;
        for t in tensors {
            let same_rest = t.rank() == rank
                && t.dims()
                    .iter()
                    .enumerate()
                    .all(|(i, &d)| i == axis || d == first.dims()[i]);
            if !same_rest {
                return Err(Error::mismatch(
                    "concat",
                    first.dims(),
                    t.dims(),
                    format!("all dimensions except {axis} must match"),
                ));
            }
            shape[axis] += t.dims()[axis];
        }
        let outer: usize = shape[..axis].iter().product();
        let inner: usize = shape[axis + 1..].iter().product();
        let out_row = shape[axis] * inner;
        let mut out = crate::alloc::filled("concat", numel(&shape), 0.0)?;
        let mut column = 0;
        for t in tensors {
            let width = t.dims()[axis] * inner;
            t.with_contiguous(|data| {
                for o in 0..outer {
                    out[o * out_row + column..o * out_row + column + width]
                        .copy_from_slice(&data[o * width..(o + 1) * width]);
                }
            });
            column += width;
        }
        let refs: Vec<&Tensor> = tensors.iter().collect();
        Ok(
            Tensor::from_contiguous(out, shape).track(&refs, |_| Op::Concat {
                inputs: tensors.to_vec(),
                axis,
            }),
        )
    }

    /// Joins same-shaped tensors along a new `axis`.
    pub fn stack(tensors: &[Tensor], axis: isize) -> Result<Tensor> {
        let first = tensors
            .first()
            .ok_or_else(|| Error::invalid("stack", "needs at least one tensor"))?;
        for t in tensors {
            if t.dims() != first.dims() {
                return Err(Error::mismatch(
                    "stack",
                    first.dims(),
                    t.dims(),
                    "all tensors must have the same shape",
                ));
            }
        }
        let at = normalize_axis("stack", axis, first.rank() + 1)? as isize;
        let expanded = tensors
            .iter()
            .map(|t| t.unsqueeze(at))
            .collect::<Result<Vec<_>>>()?;
        Tensor::concat(&expanded, at)
    }

    /// Splits along `axis` into pieces of the given sizes (which must add up to the axis size); views.
    pub fn split(&self, sizes: &[usize], axis: isize) -> Result<Vec<Tensor>> {
        let ax = normalize_axis("split", axis, self.rank())?;
        let total: usize = sizes.iter().sum();
        if total != self.dims()[ax] {
            return Err(Error::shape(
                "split",
                format!(
                    "sizes {sizes:?} add up to {total}, but axis {ax} of shape {:?} has {}",
                    self.dims(),
                    self.dims()[ax]
                ),
            ));
        }
        let mut start = 0;
        sizes
            .iter()
            .map(|&len| {
                let piece = self.narrow(ax as isize, start, len);
                start += len;
                piece
            })
            .collect()
    }

    /// Splits along `axis` into `chunks` nearly equal views (the last may be smaller), like torch.chunk.
    pub fn chunk(&self, chunks: usize, axis: isize) -> Result<Vec<Tensor>> {
        if chunks == 0 {
            return Err(Error::invalid("chunk", "chunks must be at least 1"));
        }
        let ax = normalize_axis("chunk", axis, self.rank())?;
        let size = self.dims()[ax];
        let step = size.div_ceil(chunks).max(1);
        let mut sizes = Vec::new();
        let mut left = size;
        while left > 0 {
            sizes.push(step.min(left));
            left -= step.min(left);
        }
        if sizes.is_empty() {
            sizes.push(0);
        }
        self.split(&sizes, ax as isize)
    }

    /// Constant padding: `pads[d] = (before, after)` for each dimension, outermost first.
    pub fn pad(&self, pads: &[(usize, usize)], value: f32) -> Result<Tensor> {
        if pads.len() != self.rank() {
            return Err(Error::shape(
                "pad",
                format!(
                    "needs one (before, after) pair per dimension of {:?}, got {}",
                    self.dims(),
                    pads.len()
                ),
            ));
        }
        let in_shape = self.dims().to_vec();
        let out_shape: Vec<usize> = in_shape
            .iter()
            .zip(pads)
            .map(|(&d, &(b, a))| d + b + a)
            .collect();
        let mut out = crate::alloc::filled("pad", numel(&out_shape), value)?;
        if self.numel() > 0 {
            let rank = in_shape.len();
            let out_strides = crate::shape::contiguous_strides(&out_shape);
            let row = if rank == 0 { 1 } else { in_shape[rank - 1] };
            let rows = self.numel() / row.max(1);
            let lead = rank.saturating_sub(1);
            self.with_contiguous(|data| {
                let mut index = vec![0usize; lead];
                for r in 0..rows {
                    let mut offset = if rank == 0 { 0 } else { pads[rank - 1].0 };
                    for d in 0..lead {
                        offset += (index[d] + pads[d].0) * out_strides[d];
                    }
                    out[offset..offset + row].copy_from_slice(&data[r * row..(r + 1) * row]);
                    for d in (0..lead).rev() {
                        index[d] += 1;
                        if index[d] < in_shape[d] {
                            break;
                        }
                        index[d] = 0;
                    }
                }
            });
        }
        Ok(
            Tensor::from_contiguous(out, out_shape).track(&[self], |_| Op::Pad {
                x: self.clone(),
                pads: pads.to_vec(),
            }),
        )
    }
}
