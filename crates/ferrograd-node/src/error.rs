//! Error plumbing between Rust and JS.
//!
//! napi-rs turns `napi::Error<S>` into a JS `Error` whose `code` property is
//! `S::as_ref()`, so a custom status type gives JS stable, matchable codes
//! (`err.code === 'ShapeError'`).

use std::any::Any;
use std::panic::{catch_unwind, AssertUnwindSafe};

use napi::bindgen_prelude::*;

/// The `code` of every error this addon throws.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErrorCode {
    /// The native object was already released with `dispose()`.
    Disposed,
    /// A Rust panic was caught at the binding boundary (a bug in ferrograd).
    Panic,
    /// An error from the tensor core, carrying its stable code (`ShapeError`, `ValueError`, ...).
    Core(&'static str),
    /// An error raised by napi-rs itself (argument conversion, ...).
    Napi(Status),
}

impl AsRef<str> for ErrorCode {
    fn as_ref(&self) -> &str {
        match self {
            ErrorCode::Disposed => "DisposedError",
            ErrorCode::Panic => "RustPanic",
            ErrorCode::Core(code) => code,
            ErrorCode::Napi(status) => status.as_ref(),
        }
    }
}

impl From<Status> for ErrorCode {
    fn from(status: Status) -> Self {
        ErrorCode::Napi(status)
    }
}

/// Error type of the binding: a JS `Error` with a custom `code`.
pub type FgError = Error<ErrorCode>;
/// Result type of `#[napi]` functions of the binding.
pub type FgResult<T> = std::result::Result<T, FgError>;

pub fn fg_error(code: ErrorCode, message: impl ToString) -> FgError {
    Error::new(code, message)
}

/// Converts a core error, keeping its code; the message already names the op and the values.
pub fn core_err(err: ferrograd_core::Error) -> FgError {
    Error::new(ErrorCode::Core(err.code()), err.to_string())
}

/// Converts an error from napi-rs (status `Status`) into the binding's error type.
pub fn from_napi(err: Error) -> FgError {
    Error::new(ErrorCode::Napi(err.status), err.reason)
}

/// Message of a caught panic payload.
pub fn panic_message(payload: &(dyn Any + Send)) -> String {
    if let Some(s) = payload.downcast_ref::<&str>() {
        (*s).to_owned()
    } else if let Some(s) = payload.downcast_ref::<String>() {
        s.clone()
    } else {
        "unknown panic payload".to_owned()
    }
}

/// Runs `f`, turning a panic into an `ErrorCode::Panic` error.
///
/// Needed where napi-rs does not catch panics itself: `Task::compute` runs on
/// a libuv worker thread inside an `extern "C"` callback, where an unwinding
/// panic would abort the whole process.
pub fn catch_panic<T>(op: &str, f: impl FnOnce() -> FgResult<T>) -> FgResult<T> {
    match catch_unwind(AssertUnwindSafe(f)) {
        Ok(result) => result,
        Err(payload) => Err(fg_error(
            ErrorCode::Panic,
            format!(
                "{op}: internal error (Rust panic): {}",
                panic_message(&*payload)
            ),
        )),
    }
}

/// Builds the JS error object for `err` on the JS thread and wraps it into a
/// plain `napi::Error` that keeps a reference to that object.
///
/// `Task::compute/resolve/reject` can only return `napi::Error<Status>`; a
/// status enum cannot carry "ShapeError". napi-rs rejects the promise with the
/// referenced JS value verbatim, so the custom `code` survives.
pub fn into_napi_error(env: &Env, err: FgError) -> Error {
    let js_error = JsError::from(err).into_unknown(*env);
    Error::from(js_error)
}
