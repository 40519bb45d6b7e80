//! Spatial resizing of NCHW tensors with PyTorch semantics (`F.interpolate`): nearest and
//! bilinear upsampling (or downsampling) to a size or by a scale factor.
//!
//! Both are separable linear maps, like average pooling: one primitive, [`resample`], applies
//! per-axis tap tables (`ferrograd_kernels::AxisMap`), and its gradient is the transposed map
//! (another primitive), whose gradient is the map again, so double backward exists.
//!
//! # Index rules (PyTorch 1.13, `recompute_scale_factor` unset)
//!
//! * The scale used for index computation is `1 / scale_factor` when a factor is given, else
//!   `in / out`; the output size for a factor is `floor(in · factor)`.
//! * Nearest (`mode='nearest'`, not `'nearest-exact'`): source `min(floor(dst · scale), in - 1)`,
//!   computed in f32 exactly as PyTorch does.
//! * Bilinear, `align_corners = false`: source `max(scale · (dst + 0.5) - 0.5, 0)`, blended between
//!   `floor(src)` and the next index (clamped at the edge); with `align_corners = true` the scale
//!   is `(in - 1) / (out - 1)` and the source `scale · dst`. Weights are computed in f64 and rounded.

use std::sync::Arc;

use ferrograd_kernels::{resample2d, resample2d_transposed, AxisMap};

use crate::error::{Error, Result};
use crate::op::Op;
use crate::ops::conv::checked_numel;
use crate::tensor::Tensor;

/// Target of an upsampling op.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum UpsampleSize {
    /// Output `(height, width)`.
    Size(usize, usize),
    /// Scale factors `(height, width)`: the output is `floor(in · factor)`.
    Scale(f64, f64),
}

/// A separable linear map of the last two axes, shared by the op and its gradient.
pub(crate) struct Resample {
    /// PyTorch-like node name (`AvgPool2D`, `UpsampleBilinear2D`, ...).
    pub(crate) name: &'static str,
    pub(crate) h: AxisMap,
    pub(crate) w: AxisMap,
}

fn planes_of(op: &'static str, x: &Tensor, h: usize, w: usize) -> Result<usize> {
    let d = x.dims();
    if d.len() != 4 || d[2] != h || d[3] != w {
        return Err(Error::shape(
            op,
            format!("expected [N, C, {h}, {w}], got shape {d:?}"),
        ));
    }
    Ok(d[0] * d[1])
}

/// Applies `map` to `x [N, C, in_h, in_w]`, giving `[N, C, out_h, out_w]`.
pub(crate) fn resample(op: &'static str, x: &Tensor, map: Arc<Resample>) -> Result<Tensor> {
    let planes = planes_of(op, x, map.h.in_len(), map.w.in_len())?;
    let d = x.dims();
    let shape = vec![d[0], d[1], map.h.out_len(), map.w.out_len()];
    let mut out = crate::alloc::filled(op, checked_numel(op, &shape)?, 0.0)?;
    x.with_contiguous(|data| resample2d(data, planes, &map.h, &map.w, &mut out))
        .map_err(|e| Error::from_kernel(op, e))?;
    Ok(Tensor::from_contiguous(out, shape).track(&[x], |_| Op::Resample { x: x.clone(), map }))
}

/// The transposed map (the gradient of [`resample`]): `g [N, C, out_h, out_w]` to
/// `[N, C, in_h, in_w]`.
pub(crate) fn resample_transposed(g: &Tensor, map: &Arc<Resample>) -> Result<Tensor> {
    const OP: &str = "resampleBackward";
    let planes = planes_of(OP, g, map.h.out_len(), map.w.out_len())?;
    let d = g.dims();
    let shape = vec![d[0], d[1], map.h.in_len(), map.w.in_len()];
    let mut out = crate::alloc::filled(OP, checked_numel(OP, &shape)?, 0.0)?;
    g.with_contiguous(|data| resample2d_transposed(data, planes, &map.h, &map.w, &mut out))
        .map_err(|e| Error::from_kernel(OP, e))?;
    Ok(
        Tensor::from_contiguous(out, shape).track(&[g], |_| Op::ResampleTransposed {
            g: g.clone(),
            map: Arc::clone(map),
        }),
    )
}

/// Output size and index scale of one axis (see the module docs).
fn axis_target(
    op: &'static str,
    input: usize,
    to: UpsampleSize,
    axis: usize,
) -> Result<(usize, Option<f64>)> {
    let (name, size, factor) = match (to, axis) {
        (UpsampleSize::Size(h, _), 0) => ("height", Some(h), None),
        (UpsampleSize::Size(_, w), _) => ("width", Some(w), None),
        (UpsampleSize::Scale(h, _), 0) => ("height", None, Some(h)),
        (UpsampleSize::Scale(_, w), _) => ("width", None, Some(w)),
    };
    let out = match (size, factor) {
        (Some(s), _) => s,
        (None, Some(f)) => {
            let v = (input as f64 * f).floor();
            if !(f.is_finite() && f > 0.0 && v < (1u64 << 52) as f64) {
                return Err(Error::invalid(
                    op,
                    format!("scale factor for the {name} must be finite and positive, got {f}"),
                ));
            }
            v as usize
        }
        (None, None) => 0,
    };
    if out == 0 || input == 0 {
        return Err(Error::invalid(
            op,
            format!("input and output {name} must be at least 1, got {input} -> {out}"),
        ));
    }
    Ok((out, factor))
}

fn check_input(op: &'static str, x: &Tensor) -> Result<()> {
    if x.rank() != 4 {
        return Err(Error::shape(
            op,
            format!("input must be 4-D [N, C, H, W], got shape {:?}", x.dims()),
        ));
    }
    Ok(())
}

/// PyTorch's `nearest_idx` (f32 arithmetic, as in its CPU kernel).
fn nearest_map(op: &'static str, input: usize, out: usize, factor: Option<f64>) -> Result<AxisMap> {
    let mut map = AxisMap::with_capacity(input, out, out).map_err(|e| Error::from_kernel(op, e))?;
    let scale = match factor {
        Some(f) => (1.0 / f) as f32,
        None => input as f32 / out as f32,
    };
    for i in 0..out {
        let src = if out == input {
            i
        } else if out == 2 * input {
            i >> 1
        } else {
            ((i as f32 * scale).floor() as usize).min(input - 1)
        };
        map.push(src, &[1.0])
            .map_err(|e| Error::from_kernel(op, e))?;
    }
    Ok(map)
}

/// PyTorch's linear interpolation taps for one axis.
fn linear_map(
    op: &'static str,
    input: usize,
    out: usize,
    factor: Option<f64>,
    align_corners: bool,
) -> Result<AxisMap> {
    let taps = out.saturating_mul(2);
    let mut map =
        AxisMap::with_capacity(input, out, taps).map_err(|e| Error::from_kernel(op, e))?;
    let scale = if align_corners {
        if out > 1 {
            (input - 1) as f64 / (out - 1) as f64
        } else {
            0.0
        }
    } else {
        match factor {
            Some(f) => 1.0 / f,
            None => input as f64 / out as f64,
        }
    };
    for i in 0..out {
        let src = if align_corners {
            scale * i as f64
        } else {
            (scale * (i as f64 + 0.5) - 0.5).max(0.0)
        };
        let i0 = (src.floor() as usize).min(input - 1);
        let l1 = (src - i0 as f64).clamp(0.0, 1.0);
        let l0 = 1.0 - l1;
        let pushed = if i0 + 1 < input {
            map.push(i0, &[l0 as f32, l1 as f32])
        } else {
            map.push(i0, &[(l0 + l1) as f32])
        };
        pushed.map_err(|e| Error::from_kernel(op, e))?;
    }
    Ok(map)
}

impl Tensor {
    /// Nearest-neighbour resizing of `[N, C, H, W]` (PyTorch `F.interpolate(mode='nearest')`).
    pub fn upsample_nearest2d(&self, to: UpsampleSize) -> Result<Tensor> {
        const OP: &str = "upsampleNearest2d";
        check_input(OP, self)?;
        let (h, w) = (self.dims()[2], self.dims()[3]);
        let (oh, fh) = axis_target(OP, h, to, 0)?;
        let (ow, fw) = axis_target(OP, w, to, 1)?;
        let d = self.dims();
        crate::alloc::ensure_room(OP, checked_numel(OP, &[d[0], d[1], oh, ow])?)?;
        let map = Resample {
            name: "UpsampleNearest2D",
            h: nearest_map(OP, h, oh, fh)?,
            w: nearest_map(OP, w, ow, fw)?,
        };
        resample(OP, self, Arc::new(map))
    }

    /// Bilinear resizing of `[N, C, H, W]` (PyTorch `F.interpolate(mode='bilinear')`).
    pub fn upsample_bilinear2d(&self, to: UpsampleSize, align_corners: bool) -> Result<Tensor> {
        const OP: &str = "upsampleBilinear2d";
        check_input(OP, self)?;
        let (h, w) = (self.dims()[2], self.dims()[3]);
        let (oh, fh) = axis_target(OP, h, to, 0)?;
        let (ow, fw) = axis_target(OP, w, to, 1)?;
        let d = self.dims();
        crate::alloc::ensure_room(OP, checked_numel(OP, &[d[0], d[1], oh, ow])?)?;
        let map = Resample {
            name: "UpsampleBilinear2D",
            h: linear_map(OP, h, oh, fh, align_corners)?,
            w: linear_map(OP, w, ow, fw, align_corners)?,
        };
        resample(OP, self, Arc::new(map))
    }
}
