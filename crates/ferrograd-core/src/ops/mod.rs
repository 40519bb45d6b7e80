//! Tensor ops, one file per family. Each primitive computes its result with a kernel and records
//! an [`Op`](crate::op::Op) through `Tensor::track`; composites are written with primitives.

mod activation;
mod binary;
mod creation;
mod index;
mod join;
mod matmul;
pub(crate) mod reduce;
mod unary;
mod view;
