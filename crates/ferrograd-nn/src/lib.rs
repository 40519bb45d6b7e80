//! Training building blocks on top of `ferrograd-core`: the `Module` abstraction and built-in
//! layers, weight initializers, losses, optimizers (pure per-tensor update rules) with learning-rate
//! schedules and gradient clipping, model persistence (safetensors, atomic writes) and dataset
//! formats (IDX, CSV). Knows nothing of napi: the binding crate exposes these to JavaScript.

pub mod data;
pub mod eval;
pub mod init;
pub mod io;
pub mod layers;
pub mod loss;
pub mod model;
pub mod module;
pub mod optim;
pub mod schedule;
pub mod spec;
pub mod train;
