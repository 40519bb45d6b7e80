//! Reductions along any set of axes, arg-reductions and softmax.

use ferrograd_kernels::{reduce, softmax, ReduceOp};

use crate::error::{Error, Result};
use crate::op::Op;
use crate::shape::{normalize_axes, normalize_axis, numel};
use crate::tensor::Tensor;

/// Differentiable reductions recorded by autograd.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReduceKind {
    Sum,
    Max,
    Min,
    LogSumExp,
}

impl ReduceKind {
    fn kernel(self) -> ReduceOp {
        match self {
            ReduceKind::Sum => ReduceOp::Sum,
            ReduceKind::Max => ReduceOp::Max,
            ReduceKind::Min => ReduceOp::Min,
            ReduceKind::LogSumExp => ReduceOp::LogSumExp,
        }
    }

    fn name(self) -> &'static str {
        match self {
            ReduceKind::Sum => "sum",
            ReduceKind::Max => "max",
            ReduceKind::Min => "min",
            ReduceKind::LogSumExp => "logsumexp",
        }
    }
}

/// Runs a kernel reduction of `x` over the sorted `axes`; returns the data in keepdim order.
/// Reduced axes that form one contiguous run of a contiguous tensor need no copy; otherwise the
/// kept axes are moved to the front and the reduced ones flattened into a single trailing run.
fn reduce_data(x: &Tensor, op: ReduceOp, axes: &[usize]) -> Result<Vec<f32>> {
    let dims = x.dims();
    let reduced: usize = axes.iter().map(|&a| dims[a]).product();
    let kept = numel(dims) / reduced.max(1);
    let run = axes.windows(2).all(|w| w[1] == w[0] + 1);
    let mut out = vec![
        0.0;
        if reduced == 0 {
            numel(&keep_shape(dims, axes))
        } else {
            kept
        }
    ];
    if run && !axes.is_empty() {
        let outer: usize = dims[..axes[0]].iter().product();
        let inner: usize = dims[axes[axes.len() - 1] + 1..].iter().product();
        x.with_contiguous(|data| reduce(op, data, outer, reduced, inner, &mut out))?;
    } else {
        let mut perm: Vec<isize> = (0..dims.len())
            .filter(|d| !axes.contains(d))
            .map(|d| d as isize)
            .collect();
        perm.extend(axes.iter().map(|&a| a as isize));
        let moved = x.detach().permute(&perm)?;
        moved.with_contiguous(|data| reduce(op, data, kept, reduced, 1, &mut out))?;
    }
    Ok(out)
}

pub(crate) fn keep_shape(dims: &[usize], axes: &[usize]) -> Vec<usize> {
    dims.iter()
        .enumerate()
        .map(|(i, &d)| if axes.contains(&i) { 1 } else { d })
        .collect()
}

fn drop_shape(dims: &[usize], axes: &[usize]) -> Vec<usize> {
    dims.iter()
        .enumerate()
        .filter(|(i, _)| !axes.contains(i))
        .map(|(_, &d)| d)
        .collect()
}

impl Tensor {
    /// Resolves `axes` (`None` or empty = all axes).
    fn resolve_axes(&self, op: &'static str, axes: Option<&[isize]>) -> Result<Vec<usize>> {
        match axes {
            Some(a) if !a.is_empty() => normalize_axes(op, a, self.rank()),
            _ => Ok((0..self.rank()).collect()),
        }
    }

    /// The recorded primitive: reduces `axes` (sorted, normalised), keeping them as size-1 dims
    /// or dropping them. One node either way, so printing shows `SumBackward0` like PyTorch.
    pub(crate) fn reduce_axes(
        &self,
        kind: ReduceKind,
        axes: &[usize],
        keepdim: bool,
    ) -> Result<Tensor> {
        let reduced: usize = axes.iter().map(|&a| self.dims()[a]).product();
        if reduced == 0 && kind != ReduceKind::Sum {
            return Err(Error::shape(
                kind.name(),
                format!("cannot reduce an empty axis of shape {:?}", self.dims()),
            ));
        }
        let data = reduce_data(self, kind.kernel(), axes)?;
        let shape = if keepdim {
            keep_shape(self.dims(), axes)
        } else {
            drop_shape(self.dims(), axes)
        };
        Ok(
            Tensor::from_contiguous(data, shape).track(&[self], |out| Op::Reduce {
                kind,
                x: self.clone(),
                axes: axes.to_vec(),
                out,
            }),
        )
    }

    fn reduce_with(
        &self,
        kind: ReduceKind,
        axes: Option<&[isize]>,
        keepdim: bool,
    ) -> Result<Tensor> {
        let axes = self.resolve_axes(kind.name(), axes)?;
        self.reduce_axes(kind, &axes, keepdim)
    }

    /// Sum over normalised axes (used by backward rules).
    pub(crate) fn sum_axes(&self, axes: &[usize], keepdim: bool) -> Result<Tensor> {
        let axes: Vec<isize> = axes.iter().map(|&a| a as isize).collect();
        self.sum(Some(&axes), keepdim)
    }

    /// Sum over `axes` (`None` = all).
    pub fn sum(&self, axes: Option<&[isize]>, keepdim: bool) -> Result<Tensor> {
        self.reduce_with(ReduceKind::Sum, axes, keepdim)
    }

    /// Maximum over `axes` (`None` = all); ties share the gradient like `torch.amax`.
    pub fn max(&self, axes: Option<&[isize]>, keepdim: bool) -> Result<Tensor> {
        self.reduce_with(ReduceKind::Max, axes, keepdim)
    }

    /// Minimum over `axes` (`None` = all); ties share the gradient like `torch.amin`.
    pub fn min(&self, axes: Option<&[isize]>, keepdim: bool) -> Result<Tensor> {
        self.reduce_with(ReduceKind::Min, axes, keepdim)
    }

    /// `log(sum(exp(x)))` over `axes`, shifted by the maximum so it never overflows.
    pub fn logsumexp(&self, axes: Option<&[isize]>, keepdim: bool) -> Result<Tensor> {
        self.reduce_with(ReduceKind::LogSumExp, axes, keepdim)
    }

    /// Mean over `axes` (`None` = all).
    pub fn mean(&self, axes: Option<&[isize]>, keepdim: bool) -> Result<Tensor> {
        let resolved = self.resolve_axes("mean", axes)?;
        let count: usize = resolved.iter().map(|&a| self.dims()[a]).product();
        if count == 0 {
            return Err(Error::shape(
                "mean",
                format!("cannot average an empty axis of shape {:?}", self.dims()),
            ));
        }
        self.sum(axes, keepdim)?.mul_scalar(1.0 / count as f32)
    }

    /// Variance over `axes` with `correction` (0 = population, 1 = unbiased, as torch).
    pub fn var(&self, axes: Option<&[isize]>, keepdim: bool, correction: usize) -> Result<Tensor> {
        let resolved = self.resolve_axes("var", axes)?;
        let count: usize = resolved.iter().map(|&a| self.dims()[a]).product();
        if count <= correction {
            return Err(Error::shape(
                "var",
                format!(
                    "needs more than {correction} elements per reduction, got {count} (shape {:?})",
                    self.dims()
                ),
            ));
        }
        // Two-pass (subtract the mean first): the one-pass E[x²]-E[x]² cancels catastrophically in f32.
        let centered = self.sub(&self.mean(axes, true)?)?;
        centered
            .square()?
            .sum(axes, keepdim)?
            .mul_scalar(1.0 / (count - correction) as f32)
    }

    /// Standard deviation, `sqrt(var)`.
    pub fn std(&self, axes: Option<&[isize]>, keepdim: bool, correction: usize) -> Result<Tensor> {
        self.var(axes, keepdim, correction)?.sqrt()
    }

    fn arg_reduce(
        &self,
        op: ReduceOp,
        name: &'static str,
        axis: Option<isize>,
        keepdim: bool,
    ) -> Result<Tensor> {
        if self.numel() == 0 {
            return Err(Error::shape(
                name,
                format!(
                    "cannot take {name} of an empty tensor of shape {:?}",
                    self.dims()
                ),
            ));
        }
        let Some(axis) = axis else {
            let flat = self.detach().reshape_to(&[self.numel()])?;
            let data = reduce_data(&flat, op, &[0])?;
            let shape = if keepdim {
                vec![1; self.rank()]
            } else {
                vec![]
            };
            return Tensor::from_vec(data, &shape);
        };
        let axis = normalize_axis(name, axis, self.rank())?;
        let data = reduce_data(&self.detach(), op, &[axis])?;
        let shape = if keepdim {
            keep_shape(self.dims(), &[axis])
        } else {
            drop_shape(self.dims(), &[axis])
        };
        Tensor::from_vec(data, &shape)
    }

    /// Index of the maximum along `axis` (`None` = flattened), first occurrence on ties, as f32.
    pub fn argmax(&self, axis: Option<isize>, keepdim: bool) -> Result<Tensor> {
        self.arg_reduce(ReduceOp::ArgMax, "argmax", axis, keepdim)
    }

    /// Index of the minimum along `axis` (`None` = flattened), first occurrence on ties, as f32.
    pub fn argmin(&self, axis: Option<isize>, keepdim: bool) -> Result<Tensor> {
        self.arg_reduce(ReduceOp::ArgMin, "argmin", axis, keepdim)
    }

    fn softmax_impl(&self, axis: isize, log: bool) -> Result<Tensor> {
        let name = if log { "logSoftmax" } else { "softmax" };
        let axis = normalize_axis(name, axis, self.rank())?;
        let dims = self.dims();
        let outer: usize = dims[..axis].iter().product();
        let inner: usize = dims[axis + 1..].iter().product();
        let mut out = crate::alloc::filled(name, self.numel(), 0.0)?;
        self.with_contiguous(|x| softmax(x, outer, dims[axis], inner, &mut out, log))?;
        Ok(
            Tensor::from_contiguous(out, dims.to_vec()).track(&[self], |out| Op::Softmax {
                x: self.clone(),
                axis,
                log,
                out,
            }),
        )
    }

    /// Numerically stable softmax along `axis`.
    pub fn softmax(&self, axis: isize) -> Result<Tensor> {
        self.softmax_impl(axis, false)
    }

    /// Numerically stable log-softmax along `axis`.
    pub fn log_softmax(&self, axis: isize) -> Result<Tensor> {
        self.softmax_impl(axis, true)
    }
}
