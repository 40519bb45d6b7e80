//! Node.js binding of ferrograd (napi-rs v3): the only crate that names napi.
//!
//! Conventions every exported item follows:
//! - `#[napi(catch_unwind)]` on every function/method, so a Rust panic becomes a
//!   JS exception instead of aborting Node (`panic = "unwind"` in the release profile).
//! - Errors: exported fns return `Result<T, ErrorCode>` (spelled literally so the macro sees a
//!   `Result`); JS sees `err.code` (`'ShapeError'`, `'DisposedError'`, ...), which the TypeScript
//!   layer maps to error classes.
//! - `AsyncTask::compute` wraps its body in `error::catch_panic`, because napi-rs
//!   does not catch panics on the libuv worker thread.
//! - Users never import this module: `ts/native.ts` is its only importer.

#![deny(clippy::all)]
// napi-derive registers exports only outside `cfg(test)`; there the free functions look unused.
#![cfg_attr(test, allow(dead_code))]

mod attention;
mod augment;
mod data;
mod dispatch;
mod error;
mod eval;
mod init;
mod metric;
mod model;
mod optim;
mod recurrent;
mod runtime;
mod stream;
mod task;
mod tensor;
mod weights;

use napi::bindgen_prelude::*;
use napi_derive::napi;

use crate::error::{catch_panic, ErrorCode};
use crate::task::OpTask;

/// Version of the native addon (the crate version).
#[napi(catch_unwind)]
pub fn native_version() -> String {
    env!("CARGO_PKG_VERSION").to_owned()
}

/// Test hook: panics inside the binding's panic guard, proving a Rust panic becomes a JS
/// exception (`code: 'RustPanic'`) instead of aborting Node.
#[napi(catch_unwind)]
pub fn debug_panic(message: String) -> Result<(), ErrorCode> {
    catch_panic("debugPanic", || panic!("{message}"))
}

/// Test hook: panics on a libuv worker thread inside an async task.
#[napi(catch_unwind, ts_return_type = "Promise<NativeTensor>")]
pub fn debug_panic_async(message: String) -> AsyncTask<OpTask> {
    AsyncTask::new(OpTask::new("debugPanicAsync".to_owned(), move || {
        panic!("{message}")
    }))
}
