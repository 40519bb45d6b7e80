//! Views: ops that only change the layout and share storage (copying only when unavoidable).

use ferrograd_kernels::copy_strided;

use crate::error::{Error, Result};
use crate::layout::Layout;
use crate::op::Op;
use crate::shape::{contiguous_strides, normalize_axis, resolve_shape};
use crate::tensor::Tensor;

impl Tensor {
    /// Reshape to `shape`, which may contain one `-1`. A view when the data is contiguous.
    pub fn reshape(&self, shape: &[isize]) -> Result<Tensor> {
        let resolved = resolve_shape("reshape", shape, self.numel())?;
        self.reshape_to(&resolved)
    }

    /// Reshape to a fully specified shape.
    pub fn reshape_to(&self, shape: &[usize]) -> Result<Tensor> {
        if shape.iter().product::<usize>() != self.numel() {
            return Err(Error::mismatch(
                "reshape",
                self.dims(),
                shape,
                "element counts differ",
            ));
        }
        if shape == self.dims() {
            return Ok(self.clone());
        }
        let source = self.contiguous()?;
        let layout = Layout::new(
            shape.to_vec(),
            contiguous_strides(shape),
            source.layout().offset(),
        );
        Ok(source.view(layout, || Op::Reshape { x: source.clone() }))
    }

    /// Returns `self` if already contiguous, else a row-major copy.
    pub fn contiguous(&self) -> Result<Tensor> {
        if self.layout().is_contiguous() {
            return Ok(self.clone());
        }
        let mut out = crate::alloc::overwritten("contiguous", self.numel())?;
        {
            let l = self.layout();
            let data = self.storage().read();
            copy_strided(l.shape(), &data, l.offset(), l.strides(), &mut out)?;
        }
        Ok(Tensor::from_contiguous(out, self.dims().to_vec())
            .track(&[self], |_| Op::Copy { x: self.clone() }))
    }

    /// Reorders the dimensions: result dim `i` is input dim `perm[i]`.
    pub fn permute(&self, perm: &[isize]) -> Result<Tensor> {
        let rank = self.rank();
        if perm.len() != rank {
            return Err(Error::shape(
                "permute",
                format!(
                    "needs {rank} axes for shape {:?}, got {perm:?}",
                    self.dims()
                ),
            ));
        }
        let mut resolved = Vec::with_capacity(rank);
        for &p in perm {
            let axis = normalize_axis("permute", p, rank)?;
            if resolved.contains(&axis) {
                return Err(Error::shape(
                    "permute",
                    format!("{perm:?} is not a permutation of the {rank} axes"),
                ));
            }
            resolved.push(axis);
        }
        let l = self.layout();
        let shape = resolved.iter().map(|&a| l.shape()[a]).collect();
        let strides = resolved.iter().map(|&a| l.strides()[a]).collect();
        Ok(
            self.view(Layout::new(shape, strides, l.offset()), || Op::Permute {
                x: self.clone(),
                perm: resolved.clone(),
            }),
        )
    }

    /// Swaps two dimensions.
    pub fn transpose(&self, dim0: isize, dim1: isize) -> Result<Tensor> {
        let rank = self.rank();
        let (a, b) = (
            normalize_axis("transpose", dim0, rank)?,
            normalize_axis("transpose", dim1, rank)?,
        );
        let mut perm: Vec<isize> = (0..rank as isize).collect();
        perm.swap(a, b);
        self.permute(&perm)
    }

    /// `length` entries of `axis` starting at `start`, as a view.
    pub fn narrow(&self, axis: isize, start: usize, length: usize) -> Result<Tensor> {
        let axis = normalize_axis("narrow", axis, self.rank())?;
        let size = self.dims()[axis];
        if start.checked_add(length).is_none_or(|end| end > size) {
            return Err(Error::shape(
                "narrow",
                format!("start {start} + length {length} exceeds size {size} of axis {axis} (shape {:?})", self.dims()),
            ));
        }
        let l = self.layout();
        let mut shape = l.shape().to_vec();
        shape[axis] = length;
        let offset = if length == 0 {
            l.offset()
        } else {
            l.offset() + start * l.strides()[axis]
        };
        Ok(
            self.view(Layout::new(shape, l.strides().to_vec(), offset), || {
                Op::Narrow {
                    x: self.clone(),
                    axis,
                    start,
                }
            }),
        )
    }

    /// Python-style slice `x[start:end:step]` along `axis`; negative bounds count from the end and
    /// are clamped. Step 1 is a view; larger steps gather a copy (differentiable either way).
    pub fn slice(&self, axis: isize, start: isize, end: isize, step: usize) -> Result<Tensor> {
        let ax = normalize_axis("slice", axis, self.rank())?;
        if step == 0 {
            return Err(Error::invalid("slice", "step must be at least 1"));
        }
        let size = self.dims()[ax] as isize;
        let clamp = |v: isize| (if v < 0 { v + size } else { v }).clamp(0, size) as usize;
        let (s, e) = (clamp(start), clamp(end));
        let length = e.saturating_sub(s);
        if step == 1 {
            return self.narrow(ax as isize, s, length);
        }
        let picks: Vec<f32> = (s..e).step_by(step).map(|i| i as f32).collect();
        let count = picks.len();
        self.index_select(ax as isize, &Tensor::from_contiguous(picks, vec![count]))
    }

    /// Broadcasts size-1 dimensions to `shape` (`-1` keeps a dimension), as a view.
    pub fn expand(&self, shape: &[isize]) -> Result<Tensor> {
        if shape.len() < self.rank() {
            return Err(Error::shape(
                "expand",
                format!(
                    "cannot expand shape {:?} to fewer dimensions {shape:?}",
                    self.dims()
                ),
            ));
        }
        let lead = shape.len() - self.rank();
        let mut target = Vec::with_capacity(shape.len());
        for (i, &d) in shape.iter().enumerate() {
            target.push(match d {
                -1 if i >= lead => self.dims()[i - lead],
                d if d >= 0 => d as usize,
                _ => {
                    return Err(Error::shape(
                        "expand",
                        format!("invalid size {d} at dimension {i} of {shape:?}"),
                    ))
                }
            });
        }
        self.expand_to(&target)
    }

    /// Broadcasts to a fully specified shape, as a view.
    pub fn expand_to(&self, shape: &[usize]) -> Result<Tensor> {
        if shape == self.dims() {
            return Ok(self.clone());
        }
        let lead = shape.len().checked_sub(self.rank()).ok_or_else(|| {
            Error::mismatch("expand", self.dims(), shape, "target has fewer dimensions")
        })?;
        for (i, &d) in self.dims().iter().enumerate() {
            if d != 1 && d != shape[lead + i] {
                return Err(Error::mismatch(
                    "expand",
                    self.dims(),
                    shape,
                    format!("dimension {i} is {d}, not 1"),
                ));
            }
        }
        let strides = self.layout().broadcast_strides(shape);
        let layout = Layout::new(shape.to_vec(), strides, self.layout().offset());
        Ok(self.view(layout, || Op::Expand { x: self.clone() }))
    }

    /// Inserts a size-1 dimension at `axis` (`-1` appends).
    pub fn unsqueeze(&self, axis: isize) -> Result<Tensor> {
        let at = normalize_axis("unsqueeze", axis, self.rank() + 1)?;
        let mut shape = self.dims().to_vec();
        shape.insert(at, 1);
        self.reshape_to(&shape)
    }

    /// Removes `axis` if it has size 1, or every size-1 dimension when `axis` is `None`.
    pub fn squeeze(&self, axis: Option<isize>) -> Result<Tensor> {
        let shape: Vec<usize> = match axis {
            None => self.dims().iter().copied().filter(|&d| d != 1).collect(),
            Some(a) => {
                let at = normalize_axis("squeeze", a, self.rank())?;
                let mut shape = self.dims().to_vec();
                if shape[at] == 1 {
                    shape.remove(at);
                }
                shape
            }
        };
        self.reshape_to(&shape)
    }

    /// Merges dimensions `start..=end` into one.
    pub fn flatten(&self, start: isize, end: isize) -> Result<Tensor> {
        if self.rank() == 0 {
            return self.reshape_to(&[1]);
        }
        let (s, e) = (
            normalize_axis("flatten", start, self.rank())?,
            normalize_axis("flatten", end, self.rank())?,
        );
        if s > e {
            return Err(Error::shape(
                "flatten",
                format!("start axis {start} comes after end axis {end}"),
            ));
        }
        let dims = self.dims();
        let mut shape = dims[..s].to_vec();
        shape.push(dims[s..=e].iter().product());
        shape.extend_from_slice(&dims[e + 1..]);
        self.reshape_to(&shape)
    }
}
