//! Tensors, views and define-by-run reverse-mode autograd for ferrograd.
//!
//! The crate sits between the layout-only kernels (`ferrograd-kernels`) and the layers/training code.
//! A [`Tensor`] is an immutable handle: an op returns a new tensor and, when gradients are being
//! tracked, records an [`Op`](op::Op) node naming its inputs. [`Tensor::backward`] walks those nodes in
//! reverse topological order; every derivative rule is written with tensor ops, so running it with
//! `create_graph` yields differentiable gradients (gradients of gradients).

mod alloc;
mod backprop;
mod display;
mod dtype;
mod error;
pub mod fused;
pub mod grad_check;
mod grad_mode;
mod layout;
mod op;
mod ops;
mod random;
mod shape;
mod storage;
mod tensor;

pub use backprop::BackwardOptions;
pub use dtype::DType;
pub use error::{Error, Result};
pub use fused::FusedBackward;
pub use grad_mode::{is_grad_enabled, no_grad, set_grad_enabled, NoGradGuard};
pub use layout::Layout;
pub use ops::attention::{AttentionOptions, AttnMask};
pub use ops::conv::{
    same_padding, Conv1dOptions, Conv2dOptions, ConvTranspose1dOptions, ConvTranspose2dOptions,
};
pub use ops::pool::{Pool1dOptions, Pool2dOptions};
pub use ops::recurrent::{RnnCell, RnnOptions, RnnOutput, RnnWeights};
pub use ops::reduce::ReduceKind;
pub use ops::resize::UpsampleSize;
pub use random::{fresh_seed, manual_seed};
pub use tensor::{Tensor, TensorId};

/// Thread-pool controls, re-exported from the kernels so callers need one crate only.
pub use ferrograd_kernels::{num_threads, set_num_threads};
