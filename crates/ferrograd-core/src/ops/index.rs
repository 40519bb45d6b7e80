//! Integer indexing: index_select / index_add and gather / scatter_add pairs, one-hot.
//! Index tensors are f32 tensors holding exact non-negative integers (see `DType`).

use crate::error::{Error, Result};
use crate::op::Op;
use crate::shape::{contiguous_strides, normalize_axis, numel};
use crate::tensor::Tensor;

/// Reads an index tensor, checking every entry is an integer in `0..bound`.
fn read_indices(op: &'static str, index: &Tensor, bound: usize) -> Result<Vec<usize>> {
    index.with_contiguous(|data| {
        data.iter()
            .map(|&v| {
                if v.fract() != 0.0 || v < 0.0 || (v as usize) >= bound || !v.is_finite() {
                    Err(Error::invalid(
                        op,
                        format!("index {v} is not an integer in [0, {bound})"),
                    ))
                } else {
                    Ok(v as usize)
                }
            })
            .collect()
    })
}

/// Splits `dims` around `axis` into (outer, size, inner) element counts.
fn around(dims: &[usize], axis: usize) -> (usize, usize, usize) {
    (
        dims[..axis].iter().product(),
        dims[axis],
        dims[axis + 1..].iter().product(),
    )
}

/// Walks every element of an index tensor of shape `shape`, yielding (flat position, position of the
/// same coordinates in a tensor of `target` shape with the `axis` coordinate replaced by `picked`).
fn for_each_scatter(
    shape: &[usize],
    target: &[usize],
    axis: usize,
    picks: &[usize],
    mut f: impl FnMut(usize, usize),
) {
    let target_strides = contiguous_strides(target);
    let mut coord = vec![0usize; shape.len()];
    for (flat, &picked) in picks.iter().enumerate() {
        let mut pos = 0;
        for d in 0..shape.len() {
            pos += if d == axis { picked } else { coord[d] } * target_strides[d];
        }
        f(flat, pos);
        for d in (0..shape.len()).rev() {
            coord[d] += 1;
            if coord[d] < shape[d] {
                break;
            }
            coord[d] = 0;
        }
    }
}

fn check_gather_shapes(op: &'static str, x: &[usize], index: &[usize], axis: usize) -> Result<()> {
    if x.len() != index.len()
        || index
            .iter()
            .zip(x)
            .enumerate()
            .any(|(d, (&i, &s))| d != axis && i > s)
    {
        return Err(Error::mismatch(
            op,
            x,
            index,
            format!("index must have the same rank and sizes no larger except on axis {axis}"),
        ));
    }
    Ok(())
}

impl Tensor {
    /// Selects entries `index` (1-D) along `axis`, like `torch.index_select`.
    pub fn index_select(&self, axis: isize, index: &Tensor) -> Result<Tensor> {
        let axis = normalize_axis("indexSelect", axis, self.rank())?;
        if index.rank() != 1 {
            return Err(Error::shape(
                "indexSelect",
                format!("index must be 1-D, got shape {:?}", index.dims()),
            ));
        }
        let (outer, size, inner) = around(self.dims(), axis);
        let picks = read_indices("indexSelect", index, size)?;
        let mut shape = self.dims().to_vec();
        shape[axis] = picks.len();
        let mut out = crate::alloc::filled("indexSelect", numel(&shape), 0.0)?;
        self.with_contiguous(|data| {
            for o in 0..outer {
                for (j, &p) in picks.iter().enumerate() {
                    let dst = (o * picks.len() + j) * inner;
                    let src = (o * size + p) * inner;
                    out[dst..dst + inner].copy_from_slice(&data[src..src + inner]);
                }
            }
        });
        Ok(
            Tensor::from_contiguous(out, shape).track(&[self], |_| Op::IndexSelect {
                x: self.clone(),
                axis,
                index: index.detach(),
            }),
        )
    }

    /// Returns `self` with `src` slices added at positions `index` along `axis` (`torch.index_add`);
    /// repeated indices accumulate.
    pub fn index_add(&self, axis: isize, index: &Tensor, src: &Tensor) -> Result<Tensor> {
        let axis = normalize_axis("indexAdd", axis, self.rank())?;
        let (outer, size, inner) = around(self.dims(), axis);
        let picks = read_indices("indexAdd", index, size)?;
        let mut expected = self.dims().to_vec();
        expected[axis] = picks.len();
        if index.rank() != 1 || src.dims() != expected.as_slice() {
            return Err(Error::mismatch(
                "indexAdd",
                &expected,
                src.dims(),
                "src must match self with the axis resized to the index length",
            ));
        }
        let mut out = self.to_vec();
        src.with_contiguous(|s| {
            for o in 0..outer {
                for (j, &p) in picks.iter().enumerate() {
                    let from = (o * picks.len() + j) * inner;
                    let to = (o * size + p) * inner;
                    for (dst, &v) in out[to..to + inner].iter_mut().zip(&s[from..from + inner]) {
                        *dst += v;
                    }
                }
            }
        });
        Ok(
            Tensor::from_contiguous(out, self.dims().to_vec()).track(&[self, src], |_| {
                Op::IndexAdd {
                    base: self.clone(),
                    axis,
                    index: index.detach(),
                    src: src.clone(),
                }
            }),
        )
    }

    /// `out[i][j][k] = self[index[i][j][k]][j][k]` for `axis = 0` (and so on), like `torch.gather`.
    pub fn gather(&self, axis: isize, index: &Tensor) -> Result<Tensor> {
        let axis = normalize_axis("gather", axis, self.rank())?;
        check_gather_shapes("gather", self.dims(), index.dims(), axis)?;
        let picks = read_indices("gather", index, self.dims()[axis])?;
        let mut out = crate::alloc::filled("gather", picks.len(), 0.0)?;
        self.with_contiguous(|data| {
            for_each_scatter(index.dims(), self.dims(), axis, &picks, |flat, pos| {
                out[flat] = data[pos]
            })
        });
        Ok(
            Tensor::from_contiguous(out, index.dims().to_vec()).track(&[self], |_| Op::Gather {
                x: self.clone(),
                axis,
                index: index.detach(),
            }),
        )
    }

    /// Returns `self` with `src[i][j][k]` added at `[index[i][j][k]][j][k]` (`axis = 0`), like
    /// `torch.scatter_add`.
    pub fn scatter_add(&self, axis: isize, index: &Tensor, src: &Tensor) -> Result<Tensor> {
        let axis = normalize_axis("scatterAdd", axis, self.rank())?;
        check_gather_shapes("scatterAdd", self.dims(), index.dims(), axis)?;
        if src.rank() != index.rank() || src.dims().iter().zip(index.dims()).any(|(&s, &i)| s < i) {
            return Err(Error::mismatch(
                "scatterAdd",
                index.dims(),
                src.dims(),
                "src must be at least as large as index",
            ));
        }
        let picks = read_indices("scatterAdd", index, self.dims()[axis])?;
        let mut out = self.to_vec();
        // src may be larger than index: only its leading index-shaped block is used, as in torch.
        let src_block = if src.dims() == index.dims() {
            src.clone()
        } else {
            crop(src, index.dims())?
        };
        src_block.with_contiguous(|s| {
            for_each_scatter(index.dims(), self.dims(), axis, &picks, |flat, pos| {
                out[pos] += s[flat]
            })
        });
        Ok(
            Tensor::from_contiguous(out, self.dims().to_vec()).track(&[self, &src_block], |_| {
                Op::ScatterAdd {
                    base: self.clone(),
                    axis,
                    index: index.detach(),
                    src: src_block.clone(),
                }
            }),
        )
    }

    /// One-hot encodes integer labels: the result has shape `[...labels.shape, num_classes]`.
    pub fn one_hot(&self, num_classes: usize) -> Result<Tensor> {
        let labels = read_indices("oneHot", self, num_classes)?;
        let mut out = vec![0.0; labels.len() * num_classes];
        for (i, &l) in labels.iter().enumerate() {
            out[i * num_classes + l] = 1.0;
        }
        let mut shape = self.dims().to_vec();
        shape.push(num_classes);
        Ok(Tensor::from_contiguous(out, shape))
    }
}

fn crop(t: &Tensor, shape: &[usize]) -> Result<Tensor> {
    let mut out = t.clone();
    for (axis, &len) in shape.iter().enumerate() {
        out = out.narrow(axis as isize, 0, len)?;
    }
    Ok(out)
}
