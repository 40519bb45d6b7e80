//! Pooling on NCHW (2-D) and NCL (1-D) tensors with PyTorch semantics: max, average and sum
//! pooling with stride, padding and ceil mode, adaptive average/max pooling, global pooling.
//!
//! # Semantics
//!
//! * Windows: output `i` covers padded positions `i·stride .. i·stride + kernel`; padding may be at
//!   most half the kernel, so every window holds at least one real element. With `ceil_mode` the
//!   last partial window is kept if it starts inside the input or the left padding (PyTorch's
//!   rule).
//! * Max pooling pads with `-inf` (a window is clipped to the input), ties go to the **first**
//!   element in row-major order and NaN propagates; the gradient flows to that one element.
//! * Average pooling divides by the window size including padding when `count_include_pad` (the
//!   PyTorch default; a ceil-mode window that hangs past the right padding counts only up to it),
//!   else by the number of real elements.
//! * Sum pooling adds the real elements of each window. Without padding or ceil mode it equals
//!   average pooling times `kh·kw`.
//! * Adaptive pooling: output `i` of `out` covers `floor(i·in/out) .. ceil((i+1)·in/out)`.
//! * Global pooling reduces over the spatial axes with `mean` / `max` (the max's gradient is
//!   shared evenly among tied maxima, like `amax`).
//!
//! # Autograd
//!
//! Max pooling records the argmax positions: its output is a gather of the input, whose gradient
//! is a scatter-add, whose gradient is the gather again, so double backward exists (the routing
//! is fixed, as in PyTorch). Average, sum and adaptive-average pooling are separable linear maps
//! (see `ops/resize.rs`) whose gradient is the transposed map, and vice versa.

use std::sync::Arc;

use ferrograd_kernels::{gather_planes, max_pool2d, scatter_add_planes, AxisMap};

use crate::error::{Error, Result};
use crate::op::Op;
use crate::ops::conv::checked_numel;
use crate::ops::resize::{resample, Resample};
use crate::tensor::Tensor;

/// Options of the fixed-window 2-D pools ([`Tensor::max_pool2d`], [`Tensor::avg_pool2d`],
/// [`Tensor::sum_pool2d`]). [`Pool2dOptions::new`] gives PyTorch's defaults.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Pool2dOptions {
    /// Window `(kh, kw)`.
    pub kernel: (usize, usize),
    /// `(stride_h, stride_w)`, at least 1 (PyTorch's default is the kernel size).
    pub stride: (usize, usize),
    /// Implicit padding `(h, w)` on both sides, at most half the kernel.
    pub padding: (usize, usize),
    /// Round the output size up instead of down.
    pub ceil_mode: bool,
    /// Average pooling only: count padded positions in the divisor.
    pub count_include_pad: bool,
}

impl Pool2dOptions {
    /// A `kernel` window with stride = kernel, no padding, floor mode, `count_include_pad`.
    pub fn new(kernel: (usize, usize)) -> Self {
        Pool2dOptions {
            kernel,
            stride: kernel,
            padding: (0, 0),
            ceil_mode: false,
            count_include_pad: true,
        }
    }
}

/// Options of the 1-D pools (see [`Pool2dOptions`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Pool1dOptions {
    /// Window length.
    pub kernel: usize,
    /// Stride, at least 1.
    pub stride: usize,
    /// Implicit padding on both ends, at most half the kernel.
    pub padding: usize,
    /// Round the output size up instead of down.
    pub ceil_mode: bool,
    /// Average pooling only: count padded positions in the divisor.
    pub count_include_pad: bool,
}

impl Pool1dOptions {
    /// A `kernel` window with stride = kernel, no padding, floor mode, `count_include_pad`.
    pub fn new(kernel: usize) -> Self {
        Pool1dOptions {
            kernel,
            stride: kernel,
            padding: 0,
            ceil_mode: false,
            count_include_pad: true,
        }
    }

    fn to_2d(self) -> Pool2dOptions {
        Pool2dOptions {
            kernel: (1, self.kernel),
            stride: (1, self.stride),
            padding: (0, self.padding),
            ceil_mode: self.ceil_mode,
            count_include_pad: self.count_include_pad,
        }
    }
}

/// One pooling window along an axis: the real elements `lo..hi` and the window length counted
/// with padding (PyTorch's `count_include_pad` divisor).
#[derive(Debug, Clone, Copy)]
struct Window {
    lo: usize,
    hi: usize,
    with_pad: usize,
}

/// The windows of a fixed-size pool along one axis (PyTorch's `pooling_output_shape` rules).
fn fixed_windows(
    op: &'static str,
    dims: &[usize],
    axis: &str,
    size: usize,
    (kernel, stride, pad): (usize, usize, usize),
    ceil_mode: bool,
) -> Result<Vec<Window>> {
    if kernel == 0 || stride == 0 {
        return Err(Error::invalid(
            op,
            format!("kernel and stride must be at least 1, got kernel {kernel} and stride {stride} along {axis}"),
        ));
    }
    if pad > kernel / 2 {
        return Err(Error::invalid(
            op,
            format!("padding {pad} must be at most half the kernel size {kernel} along {axis}"),
        ));
    }
    let padded = pad
        .checked_mul(2)
        .and_then(|p| p.checked_add(size))
        .ok_or_else(|| Error::invalid(op, "padded size overflows"))?;
    if size == 0 || kernel > padded {
        return Err(Error::shape(
            op,
            format!(
                "the {axis} window of {kernel} does not fit the padded input of {padded} (input shape {dims:?}, padding {pad})"
            ),
        ));
    }
    let round = if ceil_mode { stride - 1 } else { 0 };
    let mut out = (padded - kernel).saturating_add(round) / stride + 1;
    if ceil_mode && (out - 1) * stride >= size + pad {
        out -= 1;
    }
    let mut windows = crate::alloc::vec_with_capacity(op, out)?;
    for i in 0..out {
        windows.push({
            let start = i * stride;
            let end = (start + kernel).min(padded);
            let (lo, hi) = (start.max(pad) - pad, end.min(size + pad) - pad);
            if lo >= hi {
                return Err(Error::shape(
                    op,
                    format!(
                        "window {i} along {axis} holds no input element (input shape {dims:?})"
                    ),
                ));
            }
            Window {
                lo,
                hi,
                with_pad: end - start,
            }
        });
    }
    Ok(windows)
}

/// Adaptive windows: output `i` covers `floor(i·in/out) .. ceil((i+1)·in/out)`.
fn adaptive_windows(
    op: &'static str,
    dims: &[usize],
    axis: &str,
    size: usize,
    out: usize,
) -> Result<Vec<Window>> {
    if size == 0 || out == 0 {
        return Err(Error::shape(
            op,
            format!("input and output sizes along {axis} must be at least 1, got input shape {dims:?} and output size {out}"),
        ));
    }
    // The windows are O(out): make sure an output that large could exist at all.
    crate::alloc::ensure_room(op, checked_numel(op, &[dims[0], dims[1], out])?)?;
    let mut windows = crate::alloc::vec_with_capacity(op, out)?;
    for i in 0..out {
        windows.push({
            let lo = i
                .checked_mul(size)
                .map(|v| v / out)
                .ok_or_else(|| Error::invalid(op, "window bounds overflow"))?;
            let hi = (i + 1)
                .checked_mul(size)
                .map(|v| v.div_ceil(out))
                .ok_or_else(|| Error::invalid(op, "window bounds overflow"))?;
            Window {
                lo,
                hi,
                with_pad: hi - lo,
            }
        });
    }
    Ok(windows)
}

fn check_rank(op: &'static str, x: &Tensor, rank: usize) -> Result<()> {
    if x.rank() != rank {
        let layout = if rank == 3 {
            "[N, C, L]"
        } else {
            "[N, C, H, W]"
        };
        return Err(Error::shape(
            op,
            format!("input must be {rank}-D {layout}, got shape {:?}", x.dims()),
        ));
    }
    Ok(())
}

/// How a linear pool weighs each window.
#[derive(Clone, Copy)]
enum Divisor {
    /// Average including padding.
    WithPad,
    /// Average over the real elements.
    RealOnly,
    /// Plain sum.
    One,
}

fn axis_map(op: &'static str, size: usize, windows: &[Window], div: Divisor) -> Result<AxisMap> {
    let taps = windows.iter().map(|w| w.hi - w.lo).sum();
    let mut map =
        AxisMap::with_capacity(size, windows.len(), taps).map_err(|e| Error::from_kernel(op, e))?;
    for w in windows {
        let count = match div {
            Divisor::WithPad => w.with_pad,
            Divisor::RealOnly => w.hi - w.lo,
            Divisor::One => 1,
        };
        let weights = vec![1.0 / count as f32; w.hi - w.lo];
        map.push(w.lo, &weights)
            .map_err(|e| Error::from_kernel(op, e))?;
    }
    Ok(map)
}

/// Windows of a fixed 2-D pool, per axis.
fn windows_2d(
    op: &'static str,
    x: &Tensor,
    shown: &[usize],
    o: &Pool2dOptions,
) -> Result<(Vec<Window>, Vec<Window>)> {
    let (h, w) = (x.dims()[2], x.dims()[3]);
    let axis_w = if shown.len() == 3 { "length" } else { "width" };
    Ok((
        fixed_windows(
            op,
            shown,
            "height",
            h,
            (o.kernel.0, o.stride.0, o.padding.0),
            o.ceil_mode,
        )?,
        fixed_windows(
            op,
            shown,
            axis_w,
            w,
            (o.kernel.1, o.stride.1, o.padding.1),
            o.ceil_mode,
        )?,
    ))
}

fn linear_pool(
    op: &'static str,
    name: &'static str,
    x: &Tensor,
    wh: &[Window],
    ww: &[Window],
    div: Divisor,
) -> Result<Tensor> {
    let map = Resample {
        name,
        h: axis_map(op, x.dims()[2], wh, div)?,
        w: axis_map(op, x.dims()[3], ww, div)?,
    };
    resample(op, x, Arc::new(map))
}

fn ranges(op: &'static str, ws: &[Window]) -> Result<Vec<(usize, usize)>> {
    let mut v = crate::alloc::vec_with_capacity(op, ws.len())?;
    v.extend(ws.iter().map(|w| (w.lo, w.hi)));
    Ok(v)
}

/// Max pooling over the given windows of a 4-D tensor, recording the argmax gather.
fn max_pool(op: &'static str, x: &Tensor, wh: &[Window], ww: &[Window]) -> Result<Tensor> {
    let d = x.dims();
    let shape = vec![d[0], d[1], wh.len(), ww.len()];
    let len = checked_numel(op, &shape)?;
    let mut out = crate::alloc::filled(op, len, 0.0)?;
    let mut index = index_buffer(op, len)?;
    let (rh, rw) = (ranges(op, wh)?, ranges(op, ww)?);
    x.with_contiguous(|data| {
        max_pool2d(
            data,
            d[0] * d[1],
            d[2],
            d[3],
            &rh,
            &rw,
            &mut out,
            &mut index,
        )
    })
    .map_err(|e| Error::from_kernel(op, e))?;
    Ok(
        Tensor::from_contiguous(out, shape).track(&[x], |_| Op::PlaneGather {
            x: x.clone(),
            index: Arc::new(index),
        }),
    )
}

fn index_buffer(op: &'static str, len: usize) -> Result<Vec<u32>> {
    let mut v = Vec::new();
    v.try_reserve_exact(len)
        .map_err(|_| Error::invalid(op, format!("cannot allocate {len} argmax indices")))?;
    v.resize(len, 0);
    Ok(v)
}

/// `out[n, c, q] = x[n, c, index[n, c, q]]` over the spatial plane: the max-pool output as a
/// function of its input (used by double backward). `out_dims` gives the result shape.
pub(crate) fn gather_planes_op(
    x: &Tensor,
    index: &Arc<Vec<u32>>,
    out_dims: &[usize],
) -> Result<Tensor> {
    const OP: &str = "maxPool2dGather";
    let planes = x.dims()[..2].iter().product();
    let in_plane = x.dims()[2..].iter().product();
    let mut out = crate::alloc::filled(OP, index.len(), 0.0)?;
    x.with_contiguous(|data| gather_planes(data, planes, in_plane, index, &mut out))
        .map_err(|e| Error::from_kernel(OP, e))?;
    Ok(
        Tensor::from_contiguous(out, out_dims.to_vec()).track(&[x], |_| Op::PlaneGather {
            x: x.clone(),
            index: Arc::clone(index),
        }),
    )
}

/// The adjoint of [`gather_planes_op`]: scatter-adds `src` into zeros of shape `out_dims` (the
/// max-pool input gradient).
pub(crate) fn scatter_planes_op(
    src: &Tensor,
    index: &Arc<Vec<u32>>,
    out_dims: &[usize],
) -> Result<Tensor> {
    const OP: &str = "maxPool2dBackward";
    let planes = out_dims[..2].iter().product();
    let out_plane = out_dims[2..].iter().product();
    let mut out = crate::alloc::filled(OP, checked_numel(OP, out_dims)?, 0.0)?;
    src.with_contiguous(|data| scatter_add_planes(data, planes, index, out_plane, &mut out))
        .map_err(|e| Error::from_kernel(OP, e))?;
    Ok(
        Tensor::from_contiguous(out, out_dims.to_vec()).track(&[src], |_| Op::PlaneScatter {
            src: src.clone(),
            index: Arc::clone(index),
        }),
    )
}

impl Tensor {
    /// 2-D max pooling of `[N, C, H, W]` (PyTorch `max_pool2d`: `-inf` padding, ties to the first
    /// element, which receives the gradient).
    pub fn max_pool2d(&self, options: &Pool2dOptions) -> Result<Tensor> {
        const OP: &str = "maxPool2d";
        check_rank(OP, self, 4)?;
        let (wh, ww) = windows_2d(OP, self, self.dims(), options)?;
        max_pool(OP, self, &wh, &ww)
    }

    /// 2-D average pooling of `[N, C, H, W]` (PyTorch `avg_pool2d`).
    pub fn avg_pool2d(&self, options: &Pool2dOptions) -> Result<Tensor> {
        const OP: &str = "avgPool2d";
        check_rank(OP, self, 4)?;
        let (wh, ww) = windows_2d(OP, self, self.dims(), options)?;
        let div = if options.count_include_pad {
            Divisor::WithPad
        } else {
            Divisor::RealOnly
        };
        linear_pool(OP, "AvgPool2D", self, &wh, &ww, div)
    }

    /// 2-D sum pooling of `[N, C, H, W]`: the sum of the real elements of each window
    /// (`count_include_pad` is ignored).
    pub fn sum_pool2d(&self, options: &Pool2dOptions) -> Result<Tensor> {
        const OP: &str = "sumPool2d";
        check_rank(OP, self, 4)?;
        let (wh, ww) = windows_2d(OP, self, self.dims(), options)?;
        linear_pool(OP, "SumPool2D", self, &wh, &ww, Divisor::One)
    }

    /// 1-D max pooling of `[N, C, L]`.
    pub fn max_pool1d(&self, options: &Pool1dOptions) -> Result<Tensor> {
        const OP: &str = "maxPool1d";
        check_rank(OP, self, 3)?;
        let x = self.unsqueeze(2)?;
        let (wh, ww) = windows_2d(OP, &x, self.dims(), &options.to_2d())?;
        max_pool(OP, &x, &wh, &ww)?.squeeze(Some(2))
    }

    /// 1-D average pooling of `[N, C, L]`.
    pub fn avg_pool1d(&self, options: &Pool1dOptions) -> Result<Tensor> {
        const OP: &str = "avgPool1d";
        check_rank(OP, self, 3)?;
        let x = self.unsqueeze(2)?;
        let (wh, ww) = windows_2d(OP, &x, self.dims(), &options.to_2d())?;
        let div = if options.count_include_pad {
            Divisor::WithPad
        } else {
            Divisor::RealOnly
        };
        linear_pool(OP, "AvgPool1D", &x, &wh, &ww, div)?.squeeze(Some(2))
    }

    /// 1-D sum pooling of `[N, C, L]`.
    pub fn sum_pool1d(&self, options: &Pool1dOptions) -> Result<Tensor> {
        const OP: &str = "sumPool1d";
        check_rank(OP, self, 3)?;
        let x = self.unsqueeze(2)?;
        let (wh, ww) = windows_2d(OP, &x, self.dims(), &options.to_2d())?;
        linear_pool(OP, "SumPool1D", &x, &wh, &ww, Divisor::One)?.squeeze(Some(2))
    }

    /// Adaptive average pooling of `[N, C, H, W]` to `[N, C, out_h, out_w]` (PyTorch's window
    /// formula, so sizes need not divide).
    pub fn adaptive_avg_pool2d(&self, out_h: usize, out_w: usize) -> Result<Tensor> {
        const OP: &str = "adaptiveAvgPool2d";
        check_rank(OP, self, 4)?;
        let d = self.dims();
        let wh = adaptive_windows(OP, d, "height", d[2], out_h)?;
        let ww = adaptive_windows(OP, d, "width", d[3], out_w)?;
        linear_pool(OP, "AdaptiveAvgPool2D", self, &wh, &ww, Divisor::RealOnly)
    }

    /// Adaptive max pooling of `[N, C, H, W]` to `[N, C, out_h, out_w]`.
    pub fn adaptive_max_pool2d(&self, out_h: usize, out_w: usize) -> Result<Tensor> {
        const OP: &str = "adaptiveMaxPool2d";
        check_rank(OP, self, 4)?;
        let d = self.dims();
        let wh = adaptive_windows(OP, d, "height", d[2], out_h)?;
        let ww = adaptive_windows(OP, d, "width", d[3], out_w)?;
        max_pool(OP, self, &wh, &ww)
    }

    /// Adaptive average pooling of `[N, C, L]` to `[N, C, out_len]`.
    pub fn adaptive_avg_pool1d(&self, out_len: usize) -> Result<Tensor> {
        const OP: &str = "adaptiveAvgPool1d";
        check_rank(OP, self, 3)?;
        let x = self.unsqueeze(2)?;
        let wh = adaptive_windows(OP, self.dims(), "height", 1, 1)?;
        let ww = adaptive_windows(OP, self.dims(), "length", self.dims()[2], out_len)?;
        linear_pool(OP, "AdaptiveAvgPool1D", &x, &wh, &ww, Divisor::RealOnly)?.squeeze(Some(2))
    }

    /// Adaptive max pooling of `[N, C, L]` to `[N, C, out_len]`.
    pub fn adaptive_max_pool1d(&self, out_len: usize) -> Result<Tensor> {
        const OP: &str = "adaptiveMaxPool1d";
        check_rank(OP, self, 3)?;
        let x = self.unsqueeze(2)?;
        let wh = adaptive_windows(OP, self.dims(), "height", 1, 1)?;
        let ww = adaptive_windows(OP, self.dims(), "length", self.dims()[2], out_len)?;
        max_pool(OP, &x, &wh, &ww)?.squeeze(Some(2))
    }

    /// Mean over the spatial axes of `[N, C, H, W]`: `[N, C]`, or `[N, C, 1, 1]` with `keepdim`
    /// (Keras `GlobalAveragePooling2D` / PyTorch `adaptive_avg_pool2d(x, 1)`).
    pub fn global_avg_pool2d(&self, keepdim: bool) -> Result<Tensor> {
        check_rank("globalAvgPool2d", self, 4)?;
        self.mean(Some(&[2, 3]), keepdim)
    }

    /// Maximum over the spatial axes of `[N, C, H, W]`: `[N, C]`, or `[N, C, 1, 1]` with
    /// `keepdim`. Tied maxima share the gradient evenly (as `amax`; `adaptive_max_pool2d(1, 1)`
    /// routes it to the first instead).
    pub fn global_max_pool2d(&self, keepdim: bool) -> Result<Tensor> {
        check_rank("globalMaxPool2d", self, 4)?;
        self.max(Some(&[2, 3]), keepdim)
    }
}
