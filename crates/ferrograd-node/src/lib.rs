//! Node.js binding of ferrograd (napi-rs v3).
//!
//! Conventions every exported item follows:
//! - `#[napi(catch_unwind)]` on every function/method, so a Rust panic becomes a
//!   JS exception instead of aborting Node (`panic = "unwind"` in the release profile).
//! - Errors: exported fns return `Result<T, ErrorCode>` (napi-rs's `Result<T, S>`
//!   = `Result<T, napi::Error<S>>`, spelled literally so the macro sees a `Result`);
//!   JS sees `err.code` (`'ShapeError'`, `'DisposedError'`, ...).
//! - `AsyncTask::compute` wraps its body in `error::catch_panic`, because napi-rs
//!   does not catch panics on the libuv worker thread.
//!
//! `NativeBuffer` is a spike proving those mechanisms; the real `Tensor` binding
//! replaces it.

#![deny(clippy::all)]

mod dispatch;
mod error;
mod runtime;
mod task;
mod tensor;

use std::cell::{Cell, RefCell};
use std::sync::Arc;
use std::time::{Duration, Instant};

use napi::bindgen_prelude::*;
use napi_derive::napi;

use crate::error::{catch_panic, fg_error, from_napi, into_napi_error, ErrorCode, FgResult};

/// Version of the native addon (the crate version).
#[napi(catch_unwind)]
pub fn native_version() -> String {
    env!("CARGO_PKG_VERSION").to_owned()
}

fn shape_str(len: usize) -> String {
    format!("[{len}]")
}

fn check_same_shape(op: &str, a: &[f32], b: &[f32]) -> FgResult<()> {
    if a.len() == b.len() {
        Ok(())
    } else {
        Err(fg_error(
            ErrorCode::Shape,
            format!(
                "{op}: shapes {} and {} are not compatible",
                shape_str(a.len()),
                shape_str(b.len())
            ),
        ))
    }
}

fn add_slices(a: &[f32], b: &[f32]) -> Vec<f32> {
    a.iter().zip(b).map(|(x, y)| x + y).collect()
}

/// Element-wise sum of two `Float32Array`s.
///
/// Zero-copy in (`&[f32]` borrows the JS memory for the duration of the call)
/// and out (`Float32Array::new(vec)` hands the Vec's allocation to V8 as an
/// external ArrayBuffer).
#[napi(catch_unwind)]
pub fn add_arrays(a: &[f32], b: &[f32]) -> Result<Float32Array, ErrorCode> {
    check_same_shape("add", a, b)?;
    Ok(Float32Array::new(add_slices(a, b)))
}

/// Multiplies `data` in place: the slice is the JS array's own memory.
#[napi(catch_unwind)]
pub fn scale_in_place(mut data: Float32ArraySlice<'_>, factor: f64) {
    let factor = factor as f32;
    // SAFETY: JS is blocked for the duration of this synchronous call and no
    // other argument can alias `data`.
    for x in unsafe { data.as_mut() } {
        *x *= factor;
    }
}

/// Panics on purpose (test hook for the panic boundary).
///
/// By default the body runs under `catch_panic`, giving `code: 'RustPanic'`;
/// with `attributeOnly` the panic is caught by `#[napi(catch_unwind)]` alone
/// (napi-rs then throws `code: 'GenericFailure'` with the panic message).
#[napi(catch_unwind)]
pub fn debug_panic(message: String, attribute_only: Option<bool>) -> Result<(), ErrorCode> {
    if attribute_only.unwrap_or(false) {
        panic!("{message}");
    }
    catch_panic("debugPanic", || panic!("{message}"))
}

/// A buffer of `f32` owned by Rust (spike for the future `Tensor` binding).
///
/// Memory is released when the JS object is garbage-collected (finalizer) or
/// immediately by `dispose()`. Its size is reported to V8 as external memory so
/// the GC feels the pressure of native allocations.
///
/// All methods take `&self` (interior mutability): napi-rs v3 tracks borrows of
/// class instances, and a `&self` method returning an `AsyncTask` keeps its
/// borrow until the task settles, so a `&mut self` `dispose()` would throw
/// "cannot be borrowed mutably" while an async op is pending.
#[napi(custom_finalize)]
pub struct NativeBuffer {
    /// `None` once disposed. `Arc` so async tasks can read the storage on a
    /// worker thread without copying it; `dispose()` drops this handle's share.
    data: RefCell<Option<Arc<Vec<f32>>>>,
    /// Bytes currently reported to V8 via `adjust_external_memory`.
    accounted_bytes: Cell<i64>,
}

impl NativeBuffer {
    fn from_vec(env: &Env, data: Vec<f32>) -> FgResult<Self> {
        let bytes = std::mem::size_of_val(data.as_slice()) as i64;
        env.adjust_external_memory(bytes).map_err(from_napi)?;
        Ok(NativeBuffer {
            data: RefCell::new(Some(Arc::new(data))),
            accounted_bytes: Cell::new(bytes),
        })
    }

    /// A new handle on the storage (cheap `Arc` clone), or `DisposedError`.
    fn storage(&self, op: &str) -> FgResult<Arc<Vec<f32>>> {
        self.data.borrow().clone().ok_or_else(|| {
            fg_error(
                ErrorCode::Disposed,
                format!("NativeBuffer.{op}: the buffer has been disposed"),
            )
        })
    }

    fn release(&self, env: &Env) -> Result<()> {
        self.data.replace(None);
        let bytes = self.accounted_bytes.replace(0);
        if bytes != 0 {
            env.adjust_external_memory(-bytes)?;
        }
        Ok(())
    }
}

impl ObjectFinalize for NativeBuffer {
    /// Runs on the JS thread after V8 collected the wrapper object (Node-API
    /// defers it to a `setImmediate` callback).
    fn finalize(self, env: Env) -> Result<()> {
        self.release(&env)
    }
}

#[napi]
impl NativeBuffer {
    /// Copies `data` into a new native buffer (the only copy: the JS array is
    /// borrowed as a slice).
    #[napi(constructor, catch_unwind)]
    pub fn new(env: Env, data: &[f32]) -> Result<Self, ErrorCode> {
        Self::from_vec(&env, data.to_vec())
    }

    /// A buffer of `len` elements, all equal to `value` (allocated natively,
    /// never touching JS memory).
    #[napi(factory, catch_unwind)]
    pub fn filled(env: Env, len: u32, value: f64) -> Result<Self, ErrorCode> {
        Self::from_vec(&env, vec![value as f32; len as usize])
    }

    #[napi(getter, catch_unwind)]
    pub fn length(&self) -> Result<u32, ErrorCode> {
        Ok(self.storage("length")?.len() as u32)
    }

    #[napi(getter, catch_unwind)]
    pub fn disposed(&self) -> bool {
        self.data.borrow().is_none()
    }

    /// Element-wise sum into a new buffer.
    #[napi(catch_unwind)]
    pub fn add(&self, env: Env, other: &NativeBuffer) -> Result<NativeBuffer, ErrorCode> {
        let a = self.storage("add")?;
        let b = other.storage("add")?;
        check_same_shape("add", &a, &b)?;
        Self::from_vec(&env, add_slices(&a, &b))
    }

    /// Copies the contents out into a JS-owned `Float32Array`.
    #[napi(catch_unwind)]
    pub fn to_float32_array(&self) -> Result<Float32Array, ErrorCode> {
        Ok(Float32Array::new(self.storage("toFloat32Array")?.to_vec()))
    }

    /// `data[i] * factor` computed on a libuv worker thread. `busyMs` keeps the
    /// worker busy at least that long (spike: simulates a long kernel); with
    /// `panic` set the computation panics (test hook).
    #[napi(catch_unwind, ts_return_type = "Promise<Float32Array>")]
    pub fn scale_async(
        &self,
        factor: f64,
        busy_ms: Option<u32>,
        panic: Option<bool>,
    ) -> Result<AsyncTask<ScaleTask>, ErrorCode> {
        Ok(AsyncTask::new(ScaleTask {
            data: self.storage("scaleAsync")?,
            factor: factor as f32,
            busy: Duration::from_millis(busy_ms.unwrap_or(0).into()),
            panic: panic.unwrap_or(false),
        }))
    }

    /// Releases the native memory now (pending async tasks keep their own
    /// reference to the storage). Idempotent; any other use afterwards throws a
    /// `DisposedError`.
    #[napi(catch_unwind)]
    pub fn dispose(&self, env: Env) -> Result<(), ErrorCode> {
        self.release(&env).map_err(from_napi)
    }
}

pub struct ScaleTask {
    data: Arc<Vec<f32>>,
    factor: f32,
    busy: Duration,
    panic: bool,
}

impl Task for ScaleTask {
    /// The inner result carries binding errors with their custom code to the
    /// JS thread, where `resolve` can build the JS error object.
    type Output = FgResult<Vec<f32>>;
    type JsValue = Float32Array;

    /// Worker thread: no JS access; panics must not escape.
    fn compute(&mut self) -> Result<Self::Output> {
        Ok(catch_panic("scaleAsync", || {
            let start = Instant::now();
            if self.panic {
                panic!("scaleAsync: panic requested");
            }
            let mut out: Vec<f32> = self.data.iter().map(|x| x * self.factor).collect();
            // Simulated long kernel: keep recomputing until `busy` has elapsed.
            while start.elapsed() < self.busy {
                for x in out.iter_mut() {
                    *x = std::hint::black_box(*x);
                }
            }
            Ok(out)
        }))
    }

    /// JS thread: hand the Vec to V8 without copying.
    fn resolve(&mut self, env: Env, output: Self::Output) -> Result<Self::JsValue> {
        match output {
            Ok(values) => Ok(Float32Array::new(values)),
            Err(err) => Err(into_napi_error(&env, err)),
        }
    }
}
