//! Compute kernels for ferrograd: GEMM, convolution, pooling and resampling,
//! elementwise, broadcasting, reductions, softmax, random numbers, plus the
//! thread pool and CPU dispatch they share.
//!
//! Kernels know nothing about tensors or autograd: they take slices, shapes,
//! strides and scalar parameters, validate them up front and return
//! [`KernelError`] instead of panicking. Fast paths are chosen at run time
//! (AVX-512 / AVX2+FMA / NEON / scalar, see [`simd_level`]); the crate is
//! never compiled for the build machine's CPU.

#![warn(missing_docs)]

mod attention;
mod binary;
mod conv;
mod cpu;
mod elementwise;
mod error;
mod gemm;
mod layer_norm;
mod layout;
mod peak;
mod pool;
mod pooling;
pub(crate) mod recurrent;
mod reduce;
mod resample;
mod rng;
mod scratch;
mod simd;
mod softmax;
mod strided;
mod sum;
mod unary;

#[cfg(test)]
mod testutil;

pub use attention::{
    attention_backward, attention_forward, attention_probs, dropout_keep, heads_from_packed,
    heads_to_packed, AttentionDims, AttentionParams, AttentionSaved, MaskView,
};
pub use binary::{binary_contiguous, BinaryOp};
pub use conv::{conv2d_backward_input, conv2d_backward_weight, conv2d_forward, Conv2dGeometry};
pub use cpu::{simd_level, SimdLevel};
pub use error::KernelError;
pub use gemm::{sgemm, sgemm_batched};
pub use layer_norm::{layer_norm_backward, layer_norm_forward};
pub use peak::measure_peak_gflops;
pub use pool::{install, num_threads, parallel_for, set_num_threads, MAX_THREADS};
pub use pooling::{gather_planes, max_pool2d, scatter_add_planes};
pub use recurrent::{
    recurrent_backward, recurrent_forward, RecurrentCell, RecurrentConfig, RecurrentDims,
    RecurrentGrads, RecurrentParams, RecurrentTape, RecurrentUpstream,
};
pub use reduce::{reduce, ReduceOp};
pub use resample::{resample2d, resample2d_transposed, AxisMap};
pub use rng::{fill_normal, fill_uniform};
pub use softmax::softmax;
pub use strided::{binary_strided, copy_strided, where_strided, StridedArg};
pub use unary::{unary, UnaryOp};

#[cfg(test)]
mod tests;
