//! Convolutions on NCHW tensors: `conv1d`, `conv2d`, `conv_transpose1d`, `conv_transpose2d`, and
//! the two gradient products `conv2d_input_grad` / `conv2d_weight_grad`.
//!
//! # Layout: NCHW, weights `[out_channels, in_channels/groups, kh, kw]`
//!
//! PyTorch's layout (transposed convolutions: `[in_channels, out_channels/groups, kh, kw]`, also
//! PyTorch's). Weights load from PyTorch safetensors files as they are, parity fixtures map 1:1,
//! and with im2col the GEMM result of one image already is its `[O, OH, OW]` output block (see
//! the kernel docs, `ferrograd_kernels::conv2d_forward`). Keras users with NHWC data permute once
//! at the input (`x.permute(&[0, 3, 1, 2])`).
//!
//! # Padding
//!
//! `conv2d` takes explicit `(top, bottom, left, right)` padding. [`same_padding`] computes
//! TensorFlow/Keras `'same'` padding for any kernel, stride and dilation: the output has
//! `ceil(input / stride)` positions and the total padding `max((out - 1)·stride + dilation·(k - 1)
//! + 1 - input, 0)` is split with the extra element at the **bottom/right** when it is odd (even
//! kernels). With stride 1 this equals PyTorch's `padding='same'`, which also puts the odd element
//! at the end. `'valid'` is zero padding ([`Conv2dOptions::default`]).
//!
//! # Autograd
//!
//! Three primitives, all bilinear and pairwise adjoint, so each one's derivatives are again made
//! of the three and **every double-backward path exists** (input, weight, bias and upstream
//! gradient, for plain and transposed convolutions):
//!
//! | primitive | d/d first operand | d/d second operand |
//! |---|---|---|
//! | `conv2d(x, w)` | `conv2d_input_grad(g, w)` | `conv2d_weight_grad(x, g)` |
//! | `conv2d_input_grad(dy, w)` | `conv2d(g, w)` | `conv2d_weight_grad(g, dy)` |
//! | `conv2d_weight_grad(x, dy)` | `conv2d_input_grad(dy, g)` | `conv2d(x, g)` |
//!
//! The bias gradient is a sum over batch and space. `conv_transpose2d` is `conv2d_input_grad`
//! plus a broadcast bias; the 1-D ops insert a size-1 height and call the 2-D ones.

use ferrograd_kernels::{
    conv2d_backward_input, conv2d_backward_weight, conv2d_forward, Conv2dGeometry,
};

use crate::error::{Error, Result};
use crate::op::Op;
use crate::tensor::Tensor;

/// Options of [`Tensor::conv2d`]. The default is stride 1, no padding (`'valid'`), dilation 1,
/// one group.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Conv2dOptions {
    /// `(stride_h, stride_w)`, at least 1.
    pub stride: (usize, usize),
    /// Zero padding `(top, bottom, left, right)`.
    pub padding: (usize, usize, usize, usize),
    /// `(dilation_h, dilation_w)`, at least 1.
    pub dilation: (usize, usize),
    /// Channel groups: must divide the input and output channels (`groups = C` is depthwise).
    pub groups: usize,
}

impl Default for Conv2dOptions {
    fn default() -> Self {
        Conv2dOptions {
            stride: (1, 1),
            padding: (0, 0, 0, 0),
            dilation: (1, 1),
            groups: 1,
        }
    }
}

impl Conv2dOptions {
    /// These options with TensorFlow/Keras `'same'` padding for an input of spatial size
    /// `input_hw` and a kernel of `kernel_hw`, using `self.stride` and `self.dilation` (see
    /// [`same_padding`]).
    pub fn with_same_padding(self, input_hw: (usize, usize), kernel_hw: (usize, usize)) -> Self {
        let (top, bottom) = same_padding(input_hw.0, kernel_hw.0, self.stride.0, self.dilation.0);
        let (left, right) = same_padding(input_hw.1, kernel_hw.1, self.stride.1, self.dilation.1);
        Conv2dOptions {
            padding: (top, bottom, left, right),
            ..self
        }
    }
}

/// Options of [`Tensor::conv1d`] (the default is stride 1, no padding, dilation 1, one group).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Conv1dOptions {
    /// Stride, at least 1.
    pub stride: usize,
    /// Zero padding `(left, right)`.
    pub padding: (usize, usize),
    /// Dilation, at least 1.
    pub dilation: usize,
    /// Channel groups.
    pub groups: usize,
}

impl Default for Conv1dOptions {
    fn default() -> Self {
        Conv1dOptions {
            stride: 1,
            padding: (0, 0),
            dilation: 1,
            groups: 1,
        }
    }
}

impl Conv1dOptions {
    /// These options with `'same'` padding for an input of length `input` and a kernel of `kernel`.
    pub fn with_same_padding(self, input: usize, kernel: usize) -> Self {
        Conv1dOptions {
            padding: same_padding(input, kernel, self.stride, self.dilation),
            ..self
        }
    }
}

/// Options of [`Tensor::conv_transpose2d`], with PyTorch's meaning: the output has
/// `(in - 1)·stride - 2·padding + dilation·(k - 1) + output_padding + 1` rows (and columns).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ConvTranspose2dOptions {
    /// `(stride_h, stride_w)`, at least 1.
    pub stride: (usize, usize),
    /// Implicit padding `(h, w)` removed from both sides of the output.
    pub padding: (usize, usize),
    /// Extra rows/columns at the bottom/right of the output; must be smaller than the stride or
    /// the dilation (it picks one of the input sizes a strided conv2d maps to the same output).
    pub output_padding: (usize, usize),
    /// `(dilation_h, dilation_w)`, at least 1.
    pub dilation: (usize, usize),
    /// Channel groups.
    pub groups: usize,
}

impl Default for ConvTranspose2dOptions {
    fn default() -> Self {
        ConvTranspose2dOptions {
            stride: (1, 1),
            padding: (0, 0),
            output_padding: (0, 0),
            dilation: (1, 1),
            groups: 1,
        }
    }
}

/// Options of [`Tensor::conv_transpose1d`] (see [`ConvTranspose2dOptions`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ConvTranspose1dOptions {
    /// Stride, at least 1.
    pub stride: usize,
    /// Implicit padding removed from both ends of the output.
    pub padding: usize,
    /// Extra positions at the end of the output (smaller than the stride or the dilation).
    pub output_padding: usize,
    /// Dilation, at least 1.
    pub dilation: usize,
    /// Channel groups.
    pub groups: usize,
}

impl Default for ConvTranspose1dOptions {
    fn default() -> Self {
        ConvTranspose1dOptions {
            stride: 1,
            padding: 0,
            output_padding: 0,
            dilation: 1,
            groups: 1,
        }
    }
}

/// TensorFlow/Keras `'same'` padding `(before, after)` along one axis: the output gets
/// `ceil(input / stride)` positions and any odd leftover goes **after** (bottom/right), as in
/// TensorFlow. For stride 1 this is PyTorch's `padding='same'` (total `dilation·(kernel - 1)`).
/// A stride of 0 is treated as 1 here; the convolution itself rejects it.
pub fn same_padding(input: usize, kernel: usize, stride: usize, dilation: usize) -> (usize, usize) {
    let stride = stride.max(1);
    let out = input.div_ceil(stride);
    let span = dilation
        .saturating_mul(kernel.saturating_sub(1))
        .saturating_add(1);
    let needed = out
        .saturating_sub(1)
        .saturating_mul(stride)
        .saturating_add(span);
    let total = needed.saturating_sub(input);
    (total / 2, total - total / 2)
}

/// Spatial hyper-parameters of one convolution, one entry per spatial dimension.
struct ConvParams<'a> {
    op: &'static str,
    stride: &'a [usize],
    padding: &'a [(usize, usize)],
    dilation: &'a [usize],
    groups: usize,
}

impl ConvParams<'_> {
    fn rank(&self) -> usize {
        self.stride.len() + 2
    }

    fn layouts(&self) -> (&'static str, &'static str) {
        if self.stride.len() == 1 {
            ("[N, C, L]", "[out_channels, in_channels/groups, k]")
        } else {
            ("[N, C, H, W]", "[out_channels, in_channels/groups, kh, kw]")
        }
    }

    fn check_scalars(&self) -> Result<()> {
        let op = self.op;
        if self.stride.contains(&0) {
            return Err(Error::invalid(
                op,
                format!("stride must be at least 1, got {:?}", self.stride),
            ));
        }
        if self.dilation.contains(&0) {
            return Err(Error::invalid(
                op,
                format!("dilation must be at least 1, got {:?}", self.dilation),
            ));
        }
        if self.groups == 0 {
            return Err(Error::invalid(op, "groups must be at least 1, got 0"));
        }
        Ok(())
    }

    /// Output spatial sizes of a convolution of `input` by `weight` (bias shape checked too).
    fn out_sizes(
        &self,
        input: &[usize],
        weight: &[usize],
        bias: Option<&[usize]>,
    ) -> Result<Vec<usize>> {
        let (op, rank, groups) = (self.op, self.rank(), self.groups);
        let (in_layout, w_layout) = self.layouts();
        if input.len() != rank {
            return Err(Error::shape(
                op,
                format!("input must be {rank}-D {in_layout}, got shape {input:?}"),
            ));
        }
        if weight.len() != rank {
            return Err(Error::shape(
                op,
                format!("weight must be {rank}-D {w_layout}, got shape {weight:?}"),
            ));
        }
        self.check_scalars()?;
        let (c, o) = (input[1], weight[0]);
        if !o.is_multiple_of(groups) {
            return Err(Error::mismatch(
                op,
                input,
                weight,
                format!("out_channels {o} (weight dim 0) is not divisible by groups = {groups}"),
            ));
        }
        if weight[1].checked_mul(groups) != Some(c) {
            return Err(Error::mismatch(
                op,
                input,
                weight,
                format!(
                    "input has {c} channels but the weight expects in_channels/groups = {} with groups = {groups}",
                    weight[1]
                ),
            ));
        }
        if let Some(b) = bias {
            if b != [o] {
                return Err(Error::mismatch(
                    op,
                    weight,
                    b,
                    format!("bias must have shape [{o}], one value per output channel"),
                ));
            }
        }
        let mut out = Vec::with_capacity(rank - 2);
        for d in 0..rank - 2 {
            let (size, k) = (input[2 + d], weight[2 + d]);
            let (before, after) = self.padding[d];
            if k == 0 {
                return Err(Error::shape(
                    op,
                    format!("kernel sizes must be at least 1, got weight shape {weight:?}"),
                ));
            }
            let too_big = || Error::invalid(op, "kernel span or padded input size overflows");
            let span = (k - 1)
                .checked_mul(self.dilation[d])
                .and_then(|s| s.checked_add(1))
                .ok_or_else(too_big)?;
            let padded = size
                .checked_add(before)
                .and_then(|s| s.checked_add(after))
                .ok_or_else(too_big)?;
            if span > padded {
                return Err(Error::mismatch(
                    op,
                    input,
                    weight,
                    format!(
                        "the kernel spans {span} positions (size {k}, dilation {}) along spatial dim {d} but the padded input has only {padded} (size {size} + padding {before} + {after})",
                        self.dilation[d]
                    ),
                ));
            }
            out.push((padded - span) / self.stride[d] + 1);
        }
        Ok(out)
    }
}

fn pair(t: (usize, usize)) -> [usize; 2] {
    [t.0, t.1]
}

/// Number of elements of `shape`, or a `ValueError` naming `op` when it overflows.
pub(crate) fn checked_numel(op: &'static str, shape: &[usize]) -> Result<usize> {
    shape
        .iter()
        .try_fold(1usize, |acc, &d| acc.checked_mul(d))
        .ok_or_else(|| Error::invalid(op, format!("result shape {shape:?} is too large")))
}

/// Geometry of a forward convolution from (validated) shapes.
fn geometry(
    input: &[usize],
    weight: &[usize],
    out_hw: &[usize],
    stride: (usize, usize),
    pad: (usize, usize),
    dilation: (usize, usize),
    groups: usize,
) -> Conv2dGeometry {
    Conv2dGeometry {
        batch: input[0],
        in_channels: input[1],
        in_h: input[2],
        in_w: input[3],
        out_channels: weight[0],
        out_h: out_hw[0],
        out_w: out_hw[1],
        kernel: (weight[2], weight[3]),
        stride,
        pad,
        dilation,
        groups,
    }
}

fn input_dims(g: &Conv2dGeometry) -> [usize; 4] {
    [g.batch, g.in_channels, g.in_h, g.in_w]
}

fn output_dims(g: &Conv2dGeometry) -> [usize; 4] {
    [g.batch, g.out_channels, g.out_h, g.out_w]
}

fn weight_dims(g: &Conv2dGeometry) -> [usize; 4] {
    [
        g.out_channels,
        g.in_channels / g.groups.max(1),
        g.kernel.0,
        g.kernel.1,
    ]
}

/// The forward primitive on a validated geometry (also the derivative of the other two).
pub(crate) fn conv2d_geom(
    x: &Tensor,
    w: &Tensor,
    b: Option<&Tensor>,
    geom: &Conv2dGeometry,
) -> Result<Tensor> {
    const OP: &str = "conv2d";
    let shape = output_dims(geom);
    let mut out = crate::alloc::filled(OP, checked_numel(OP, &shape)?, 0.0)?;
    x.with_contiguous(|xd| {
        w.with_contiguous(|wd| match b {
            Some(b) => b.with_contiguous(|bd| conv2d_forward(geom, xd, wd, Some(bd), &mut out)),
            None => conv2d_forward(geom, xd, wd, None, &mut out),
        })
    })
    .map_err(|e| Error::from_kernel(OP, e))?;
    let mut inputs = vec![x, w];
    inputs.extend(b);
    Ok(
        Tensor::from_contiguous(out, shape.to_vec()).track(&inputs, |_| Op::Conv2d {
            input: x.clone(),
            weight: w.clone(),
            bias: b.cloned(),
            geom: *geom,
        }),
    )
}

/// The input-gradient (transposed convolution) primitive on a validated geometry.
pub(crate) fn conv2d_input_grad_geom(
    dy: &Tensor,
    w: &Tensor,
    geom: &Conv2dGeometry,
) -> Result<Tensor> {
    const OP: &str = "conv2dInputGrad";
    let shape = input_dims(geom);
    let mut out = crate::alloc::filled(OP, checked_numel(OP, &shape)?, 0.0)?;
    dy.with_contiguous(|gd| w.with_contiguous(|wd| conv2d_backward_input(geom, gd, wd, &mut out)))
        .map_err(|e| Error::from_kernel(OP, e))?;
    Ok(
        Tensor::from_contiguous(out, shape.to_vec()).track(&[dy, w], |_| Op::Conv2dInputGrad {
            grad_output: dy.clone(),
            weight: w.clone(),
            geom: *geom,
        }),
    )
}

/// The weight-gradient primitive on a validated geometry.
pub(crate) fn conv2d_weight_grad_geom(
    x: &Tensor,
    dy: &Tensor,
    geom: &Conv2dGeometry,
) -> Result<Tensor> {
    const OP: &str = "conv2dWeightGrad";
    let shape = weight_dims(geom);
    let mut out = crate::alloc::filled(OP, checked_numel(OP, &shape)?, 0.0)?;
    x.with_contiguous(|xd| dy.with_contiguous(|gd| conv2d_backward_weight(geom, xd, gd, &mut out)))
        .map_err(|e| Error::from_kernel(OP, e))?;
    Ok(
        Tensor::from_contiguous(out, shape.to_vec()).track(&[x, dy], |_| Op::Conv2dWeightGrad {
            input: x.clone(),
            grad_output: dy.clone(),
            geom: *geom,
        }),
    )
}

/// Checks that a gradient has the shape the forward convolution would produce.
fn check_grad_output(op: &'static str, grad_output: &Tensor, expected: &[usize]) -> Result<()> {
    if grad_output.dims() != expected {
        return Err(Error::mismatch(
            op,
            grad_output.dims(),
            expected,
            "grad_output must have the shape conv2d produces for these input, weight and options",
        ));
    }
    Ok(())
}

impl Tensor {
    /// 2-D convolution (cross-correlation, as in PyTorch) of an NCHW input.
    ///
    /// Shapes: `self [N, C, H, W]`, `weight [O, C/groups, kh, kw]`, `bias [O]`, result
    /// `[N, O, OH, OW]` with `OH = (H + top + bottom - dilation_h·(kh - 1) - 1) / stride_h + 1`
    /// (likewise `OW`).
    ///
    /// ```
    /// # use ferrograd_core::{Conv2dOptions, Tensor};
    /// let x = Tensor::ones(&[1, 1, 5, 5]);
    /// let w = Tensor::ones(&[2, 1, 3, 3]);
    /// let opts = Conv2dOptions::default().with_same_padding((5, 5), (3, 3));
    /// assert_eq!(x.conv2d(&w, None, &opts)?.dims(), &[1, 2, 5, 5]);
    /// # Ok::<(), ferrograd_core::Error>(())
    /// ```
    pub fn conv2d(
        &self,
        weight: &Tensor,
        bias: Option<&Tensor>,
        options: &Conv2dOptions,
    ) -> Result<Tensor> {
        let o = options;
        let (top, bottom, left, right) = o.padding;
        let params = ConvParams {
            op: "conv2d",
            stride: &pair(o.stride),
            padding: &[(top, bottom), (left, right)],
            dilation: &pair(o.dilation),
            groups: o.groups,
        };
        let out = params.out_sizes(self.dims(), weight.dims(), bias.map(Tensor::dims))?;
        let geom = geometry(
            self.dims(),
            weight.dims(),
            &out,
            o.stride,
            (top, left),
            o.dilation,
            o.groups,
        );
        conv2d_geom(self, weight, bias, &geom)
    }

    /// 1-D convolution: `self [N, C, L]`, `weight [O, C/groups, k]`, `bias [O]`, result
    /// `[N, O, OL]`. Runs as [`conv2d`](Self::conv2d) with a height of 1.
    pub fn conv1d(
        &self,
        weight: &Tensor,
        bias: Option<&Tensor>,
        options: &Conv1dOptions,
    ) -> Result<Tensor> {
        let o = options;
        ConvParams {
            op: "conv1d",
            stride: &[o.stride],
            padding: &[o.padding],
            dilation: &[o.dilation],
            groups: o.groups,
        }
        .out_sizes(self.dims(), weight.dims(), bias.map(Tensor::dims))?;
        let options = Conv2dOptions {
            stride: (1, o.stride),
            padding: (0, 0, o.padding.0, o.padding.1),
            dilation: (1, o.dilation),
            groups: o.groups,
        };
        self.unsqueeze(2)?
            .conv2d(&weight.unsqueeze(2)?, bias, &options)?
            .squeeze(Some(2))
    }

    /// Gradient of [`conv2d`](Self::conv2d) with respect to its input: the transposed
    /// convolution of `grad_output [N, O, OH, OW]` by `weight [O, C/groups, kh, kw]`, for an
    /// input of spatial size `input_hw` (the forward output size must match `grad_output`).
    /// Result `[N, C, H, W]`; differentiable in both arguments.
    pub fn conv2d_input_grad(
        grad_output: &Tensor,
        weight: &Tensor,
        input_hw: (usize, usize),
        options: &Conv2dOptions,
    ) -> Result<Tensor> {
        const OP: &str = "conv2dInputGrad";
        let o = options;
        let (top, bottom, left, right) = o.padding;
        let params = ConvParams {
            op: OP,
            stride: &pair(o.stride),
            padding: &[(top, bottom), (left, right)],
            dilation: &pair(o.dilation),
            groups: o.groups,
        };
        if grad_output.rank() != 4 {
            return Err(Error::shape(
                OP,
                format!(
                    "grad_output must be 4-D [N, O, OH, OW], got shape {:?}",
                    grad_output.dims()
                ),
            ));
        }
        let channels = weight.dims().get(1).map_or(0, |c| c * o.groups);
        let input = [grad_output.dims()[0], channels, input_hw.0, input_hw.1];
        let out = params.out_sizes(&input, weight.dims(), None)?;
        check_grad_output(
            OP,
            grad_output,
            &[input[0], weight.dims()[0], out[0], out[1]],
        )?;
        let geom = geometry(
            &input,
            weight.dims(),
            &out,
            o.stride,
            (top, left),
            o.dilation,
            o.groups,
        );
        conv2d_input_grad_geom(grad_output, weight, &geom)
    }

    /// Gradient of [`conv2d`](Self::conv2d) with respect to its weight, for `input
    /// [N, C, H, W]`, `grad_output [N, O, OH, OW]` and a kernel of `kernel_hw`: result
    /// `[O, C/groups, kh, kw]`; differentiable in both arguments.
    pub fn conv2d_weight_grad(
        input: &Tensor,
        grad_output: &Tensor,
        kernel_hw: (usize, usize),
        options: &Conv2dOptions,
    ) -> Result<Tensor> {
        const OP: &str = "conv2dWeightGrad";
        let o = options;
        let (top, bottom, left, right) = o.padding;
        let params = ConvParams {
            op: OP,
            stride: &pair(o.stride),
            padding: &[(top, bottom), (left, right)],
            dilation: &pair(o.dilation),
            groups: o.groups,
        };
        if grad_output.rank() != 4 || input.rank() != 4 {
            return Err(Error::mismatch(
                OP,
                input.dims(),
                grad_output.dims(),
                "input and grad_output must be 4-D [N, C, H, W] and [N, O, OH, OW]",
            ));
        }
        params.check_scalars()?;
        let c = input.dims()[1];
        if !c.is_multiple_of(o.groups) {
            return Err(Error::mismatch(
                OP,
                input.dims(),
                grad_output.dims(),
                format!(
                    "input channels {c} are not divisible by groups = {}",
                    o.groups
                ),
            ));
        }
        let weight = [
            grad_output.dims()[1],
            c / o.groups,
            kernel_hw.0,
            kernel_hw.1,
        ];
        let out = params.out_sizes(input.dims(), &weight, None)?;
        check_grad_output(
            OP,
            grad_output,
            &[input.dims()[0], weight[0], out[0], out[1]],
        )?;
        let geom = geometry(
            input.dims(),
            &weight,
            &out,
            o.stride,
            (top, left),
            o.dilation,
            o.groups,
        );
        conv2d_weight_grad_geom(input, grad_output, &geom)
    }

    /// 2-D transposed convolution ("deconvolution", the adjoint of `conv2d`, used for upsampling
    /// decoders), with PyTorch's semantics: `self [N, C_in, H, W]`, `weight [C_in, O/groups, kh,
    /// kw]`, `bias [O]`, result `[N, O, OH, OW]` with `OH = (H - 1)·stride_h - 2·padding_h +
    /// dilation_h·(kh - 1) + output_padding_h + 1`.
    pub fn conv_transpose2d(
        &self,
        weight: &Tensor,
        bias: Option<&Tensor>,
        options: &ConvTranspose2dOptions,
    ) -> Result<Tensor> {
        let o = options;
        let out = transposed_out_sizes(
            "convTranspose2d",
            self.dims(),
            weight.dims(),
            bias.map(Tensor::dims),
            &pair(o.stride),
            &pair(o.padding),
            &pair(o.output_padding),
            &pair(o.dilation),
            o.groups,
        )?;
        let (x, w) = (self.dims(), weight.dims());
        let out_channels = w[1] * o.groups;
        // The conv2d whose input gradient this is: its input is our output and vice versa.
        let geom = Conv2dGeometry {
            batch: x[0],
            in_channels: out_channels,
            in_h: out[0],
            in_w: out[1],
            out_channels: x[1],
            out_h: x[2],
            out_w: x[3],
            kernel: (w[2], w[3]),
            stride: o.stride,
            pad: o.padding,
            dilation: o.dilation,
            groups: o.groups,
        };
        let y = conv2d_input_grad_geom(self, weight, &geom)?;
        match bias {
            Some(b) => y.add(&b.reshape_to(&[1, out_channels, 1, 1])?),
            None => Ok(y),
        }
    }

    /// 1-D transposed convolution: `self [N, C_in, L]`, `weight [C_in, O/groups, k]`, result
    /// `[N, O, (L - 1)·stride - 2·padding + dilation·(k - 1) + output_padding + 1]`.
    pub fn conv_transpose1d(
        &self,
        weight: &Tensor,
        bias: Option<&Tensor>,
        options: &ConvTranspose1dOptions,
    ) -> Result<Tensor> {
        let o = options;
        transposed_out_sizes(
            "convTranspose1d",
            self.dims(),
            weight.dims(),
            bias.map(Tensor::dims),
            &[o.stride],
            &[o.padding],
            &[o.output_padding],
            &[o.dilation],
            o.groups,
        )?;
        let options = ConvTranspose2dOptions {
            stride: (1, o.stride),
            padding: (0, o.padding),
            output_padding: (0, o.output_padding),
            dilation: (1, o.dilation),
            groups: o.groups,
        };
        self.unsqueeze(2)?
            .conv_transpose2d(&weight.unsqueeze(2)?, bias, &options)?
            .squeeze(Some(2))
    }
}

/// Validates a transposed convolution and returns its output spatial sizes.
#[allow(clippy::too_many_arguments)]
fn transposed_out_sizes(
    op: &'static str,
    input: &[usize],
    weight: &[usize],
    bias: Option<&[usize]>,
    stride: &[usize],
    padding: &[usize],
    output_padding: &[usize],
    dilation: &[usize],
    groups: usize,
) -> Result<Vec<usize>> {
    let rank = stride.len() + 2;
    let (in_layout, w_layout) = if rank == 3 {
        ("[N, C_in, L]", "[C_in, out_channels/groups, k]")
    } else {
        ("[N, C_in, H, W]", "[C_in, out_channels/groups, kh, kw]")
    };
    if input.len() != rank {
        return Err(Error::shape(
            op,
            format!("input must be {rank}-D {in_layout}, got shape {input:?}"),
        ));
    }
    if weight.len() != rank {
        return Err(Error::shape(
            op,
            format!("weight must be {rank}-D {w_layout}, got shape {weight:?}"),
        ));
    }
    let pads: Vec<(usize, usize)> = padding.iter().map(|&p| (p, p)).collect();
    ConvParams {
        op,
        stride,
        padding: &pads,
        dilation,
        groups,
    }
    .check_scalars()?;
    let c = input[1];
    if weight[0] != c || !c.is_multiple_of(groups) {
        return Err(Error::mismatch(
            op,
            input,
            weight,
            format!(
                "input has {c} channels; the weight's dim 0 must equal it ({}) and be divisible by groups = {groups}",
                weight[0]
            ),
        ));
    }
    let out_channels = weight[1]
        .checked_mul(groups)
        .ok_or_else(|| Error::invalid(op, "out_channels overflow"))?;
    if let Some(b) = bias {
        if b != [out_channels] {
            return Err(Error::mismatch(
                op,
                weight,
                b,
                format!("bias must have shape [{out_channels}], one value per output channel"),
            ));
        }
    }
    let mut out = Vec::with_capacity(rank - 2);
    for d in 0..rank - 2 {
        let (size, k, s, dil) = (input[2 + d], weight[2 + d], stride[d], dilation[d]);
        let (p, op_pad) = (padding[d], output_padding[d]);
        if size == 0 || k == 0 {
            return Err(Error::mismatch(
                op,
                input,
                weight,
                "spatial sizes and kernel sizes must be at least 1",
            ));
        }
        if op_pad >= s && op_pad >= dil {
            return Err(Error::invalid(
                op,
                format!(
                    "output_padding {output_padding:?} must be smaller than either the stride {stride:?} or the dilation {dilation:?}"
                ),
            ));
        }
        let full = (size - 1)
            .checked_mul(s)
            .and_then(|a| (k - 1).checked_mul(dil).and_then(|b| a.checked_add(b)))
            .and_then(|a| a.checked_add(op_pad + 1))
            .ok_or_else(|| Error::invalid(op, "output size overflows"))?;
        let trimmed = p.checked_mul(2).filter(|&t| t < full).ok_or_else(|| {
            Error::mismatch(
                op,
                input,
                weight,
                format!(
                    "padding {padding:?} removes the whole output ({full} positions before padding along spatial dim {d})"
                ),
            )
        })?;
        out.push(full - trimmed);
    }
    Ok(out)
}
