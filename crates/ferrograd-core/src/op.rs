//! The autograd node: which primitive produced a tensor, from which inputs, with which parameters.
//! Only primitives appear here; composite ops (mean, var, gelu, stack, ...) are built from them and
//! need no rule of their own.

use std::sync::Arc;

use ferrograd_kernels::{BinaryOp, Conv2dGeometry, UnaryOp};

use crate::ops::reduce::ReduceKind;
use crate::ops::resize::Resample;
use crate::tensor::Tensor;

/// A recorded primitive. `out` fields hold the untracked forward result for rules that reuse it.
pub(crate) enum Op {
    Binary {
        op: BinaryOp,
        lhs: Tensor,
        rhs: Tensor,
        out: Tensor,
    },
    Unary {
        op: UnaryOp,
        x: Tensor,
        out: Tensor,
    },
    /// Reduction over `axes`, producing the keepdim-shaped `out`.
    Reduce {
        kind: ReduceKind,
        x: Tensor,
        axes: Vec<usize>,
        out: Tensor,
    },
    Softmax {
        x: Tensor,
        axis: usize,
        log: bool,
        out: Tensor,
    },
    Matmul {
        lhs: Tensor,
        rhs: Tensor,
    },
    Reshape {
        x: Tensor,
    },
    Permute {
        x: Tensor,
        perm: Vec<usize>,
    },
    Narrow {
        x: Tensor,
        axis: usize,
        start: usize,
    },
    Expand {
        x: Tensor,
    },
    Copy {
        x: Tensor,
    },
    Pad {
        x: Tensor,
        pads: Vec<(usize, usize)>,
    },
    Concat {
        inputs: Vec<Tensor>,
        axis: usize,
    },
    IndexSelect {
        x: Tensor,
        axis: usize,
        index: Tensor,
    },
    IndexAdd {
        base: Tensor,
        axis: usize,
        index: Tensor,
        src: Tensor,
    },
    Gather {
        x: Tensor,
        axis: usize,
        index: Tensor,
    },
    ScatterAdd {
        base: Tensor,
        axis: usize,
        index: Tensor,
        src: Tensor,
    },
    Where {
        cond: Tensor,
        a: Tensor,
        b: Tensor,
    },
    /// Convolution; `conv2d_input_grad` and `conv2d_weight_grad` are its adjoint products.
    Conv2d {
        input: Tensor,
        weight: Tensor,
        bias: Option<Tensor>,
        geom: Conv2dGeometry,
    },
    /// Input gradient of a convolution (the transposed convolution).
    Conv2dInputGrad {
        grad_output: Tensor,
        weight: Tensor,
        geom: Conv2dGeometry,
    },
    /// Weight gradient of a convolution.
    Conv2dWeightGrad {
        input: Tensor,
        grad_output: Tensor,
        geom: Conv2dGeometry,
    },
    /// Per-plane gather of the last two axes (max pooling at its argmax positions).
    PlaneGather {
        x: Tensor,
        index: Arc<Vec<u32>>,
    },
    /// The adjoint scatter-add of `PlaneGather`.
    PlaneScatter {
        src: Tensor,
        index: Arc<Vec<u32>>,
    },
    /// Separable linear map of the last two axes (average/sum pooling, upsampling).
    Resample {
        x: Tensor,
        map: Arc<Resample>,
    },
    /// The transposed map of `Resample`.
    ResampleTransposed {
        g: Tensor,
        map: Arc<Resample>,
    },
    /// A fused op with a native backward (see [`crate::fused`]).
    Fused {
        inputs: Vec<Tensor>,
        out: Tensor,
        rule: Arc<dyn crate::fused::FusedBackward>,
    },
}

impl Op {
    /// Inputs in the order `backward` returns their gradients.
    pub(crate) fn inputs(&self) -> Vec<&Tensor> {
        match self {
            Op::Binary { lhs, rhs, .. } | Op::Matmul { lhs, rhs } => vec![lhs, rhs],
            Op::Unary { x, .. }
            | Op::Reduce { x, .. }
            | Op::Softmax { x, .. }
            | Op::Reshape { x }
            | Op::Permute { x, .. }
            | Op::Narrow { x, .. }
            | Op::Expand { x }
            | Op::Copy { x }
            | Op::Pad { x, .. } => vec![x],
            Op::Concat { inputs, .. } => inputs.iter().collect(),
            Op::IndexSelect { x, index, .. } | Op::Gather { x, index, .. } => vec![x, index],
            Op::IndexAdd {
                base, index, src, ..
            }
            | Op::ScatterAdd {
                base, index, src, ..
            } => {
                vec![base, index, src]
            }
            Op::Where { cond, a, b } => vec![cond, a, b],
            Op::Conv2d {
                input,
                weight,
                bias,
                ..
            } => {
                let mut v = vec![input, weight];
                v.extend(bias);
                v
            }
            Op::Conv2dInputGrad {
                grad_output,
                weight,
                ..
            } => vec![grad_output, weight],
            Op::Conv2dWeightGrad {
                input, grad_output, ..
            } => vec![input, grad_output],
            Op::PlaneGather { x, .. } | Op::Resample { x, .. } => vec![x],
            Op::PlaneScatter { src: x, .. } | Op::ResampleTransposed { g: x, .. } => vec![x],
            Op::Fused { inputs, .. } => inputs.iter().collect(),
        }
    }
}

impl Op {
    /// Every tensor the node owns, consumed; used to tear long graphs down without recursion.
    pub(crate) fn into_tensors(self) -> Vec<Tensor> {
        match self {
            Op::Binary { lhs, rhs, out, .. } => vec![lhs, rhs, out],
            Op::Matmul { lhs, rhs } => vec![lhs, rhs],
            Op::Unary { x, out, .. } | Op::Reduce { x, out, .. } | Op::Softmax { x, out, .. } => {
                vec![x, out]
            }
            Op::Reshape { x }
            | Op::Permute { x, .. }
            | Op::Narrow { x, .. }
            | Op::Expand { x }
            | Op::Copy { x }
            | Op::Pad { x, .. } => vec![x],
            Op::Concat { inputs, .. } => inputs,
            Op::IndexSelect { x, index, .. } | Op::Gather { x, index, .. } => vec![x, index],
            Op::IndexAdd {
                base, index, src, ..
            }
            | Op::ScatterAdd {
                base, index, src, ..
            } => vec![base, index, src],
            Op::Where { cond, a, b } => vec![cond, a, b],
            Op::Conv2d {
                input,
                weight,
                bias,
                ..
            } => {
                let mut v = vec![input, weight];
                v.extend(bias);
                v
            }
            Op::Conv2dInputGrad {
                grad_output,
                weight,
                ..
            } => vec![grad_output, weight],
            Op::Conv2dWeightGrad {
                input, grad_output, ..
            } => vec![input, grad_output],
            Op::PlaneGather { x, .. } | Op::Resample { x, .. } => vec![x],
            Op::PlaneScatter { src: x, .. } | Op::ResampleTransposed { g: x, .. } => vec![x],
            Op::Fused {
                mut inputs, out, ..
            } => {
                inputs.push(out);
                inputs
            }
        }
    }
}

impl Op {
    /// PyTorch-like name of the node (`Add`, `Exp`, `Sum`, ...), used when printing tensors.
    pub(crate) fn name(&self) -> String {
        let debug_name = |d: String| d.split('(').next().unwrap_or_default().to_owned();
        match self {
            Op::Binary { op, .. } => debug_name(format!("{op:?}")),
            Op::Unary { op, .. } => debug_name(format!("{op:?}")),
            Op::Reduce { kind, .. } => format!("{kind:?}"),
            Op::Softmax { log: false, .. } => "Softmax".into(),
            Op::Softmax { log: true, .. } => "LogSoftmax".into(),
            Op::Matmul { .. } => "Matmul".into(),
            Op::Reshape { .. } => "View".into(),
            Op::Permute { .. } => "Permute".into(),
            Op::Narrow { .. } => "Narrow".into(),
            Op::Expand { .. } => "Expand".into(),
            Op::Copy { .. } => "Clone".into(),
            Op::Pad { .. } => "ConstantPadNd".into(),
            Op::Concat { .. } => "Cat".into(),
            Op::IndexSelect { .. } => "IndexSelect".into(),
            Op::IndexAdd { .. } => "IndexAdd".into(),
            Op::Gather { .. } => "Gather".into(),
            Op::ScatterAdd { .. } => "ScatterAdd".into(),
            Op::Where { .. } => "Where".into(),
            Op::Conv2d { .. } => "Convolution".into(),
            Op::Conv2dInputGrad { .. } => "ConvolutionBackwardInput".into(),
            Op::Conv2dWeightGrad { .. } => "ConvolutionBackwardWeight".into(),
            Op::PlaneGather { .. } => "MaxPool2DWithIndices".into(),
            Op::PlaneScatter { .. } => "MaxPool2DWithIndicesBackward".into(),
            Op::Resample { map, .. } => map.name.into(),
            Op::ResampleTransposed { map, .. } => format!("{}Backward", map.name),
            Op::Fused { rule, .. } => rule.name().into(),
        }
    }
}
