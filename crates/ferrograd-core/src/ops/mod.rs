//! Tensor ops, one file per family. Each primitive computes its result with a kernel and records
//! an [`Op`](crate::op::Op) through `Tensor::track`; composites are written with primitives.

mod activation;
pub(crate) mod attention;
mod binary;
pub(crate) mod conv;
mod creation;
mod index;
mod join;
mod layer_norm;
mod linear;
mod matmul;
pub(crate) mod pool;
pub(crate) mod recurrent;
pub(crate) mod reduce;
pub(crate) mod resize;
mod unary;
mod view;
