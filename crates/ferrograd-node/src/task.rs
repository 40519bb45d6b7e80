//! Async work: the computation runs on a libuv worker thread (which hands the heavy lifting to the
//! engine's one thread pool); `resolve` only builds JS values on the JS thread.

use ferrograd_core::Tensor;
use napi::bindgen_prelude::*;

use crate::error::{catch_panic, core_err, fg_error, into_napi_error, ErrorCode, FgResult};
use crate::tensor::NativeTensor;

type Work = Box<dyn FnOnce() -> ferrograd_core::Result<Tensor> + Send>;

/// Any tensor op, run off the JS thread.
pub struct OpTask {
    name: String,
    work: Option<Work>,
    /// Grad mode of the JS thread when the op was issued: grad mode is per thread, and the op must
    /// record (or not) exactly as its sync form would inside the caller's `noGrad` scope.
    grad_enabled: bool,
}

impl OpTask {
    pub fn new(
        name: String,
        work: impl FnOnce() -> ferrograd_core::Result<Tensor> + Send + 'static,
    ) -> Self {
        OpTask {
            name,
            work: Some(Box::new(work)),
            grad_enabled: ferrograd_core::is_grad_enabled(),
        }
    }
}

impl Task for OpTask {
    type Output = FgResult<Tensor>;
    type JsValue = NativeTensor;

    fn compute(&mut self) -> Result<Self::Output> {
        let work = self.work.take();
        let name = &self.name;
        let _mode = ferrograd_core::NoGradGuard::set(self.grad_enabled);
        Ok(catch_panic(name, move || match work {
            Some(work) => work().map_err(core_err),
            None => Err(fg_error(
                ErrorCode::Panic,
                format!("{name}: task ran twice"),
            )),
        }))
    }

    fn resolve(&mut self, env: Env, output: Self::Output) -> Result<Self::JsValue> {
        output
            .and_then(|t| NativeTensor::wrap(&env, t))
            .map_err(|e| into_napi_error(&env, e))
    }
}

/// Copies a tensor's elements out on a worker thread.
pub struct DataTask {
    tensor: Tensor,
}

impl DataTask {
    pub fn new(tensor: Tensor) -> Self {
        DataTask { tensor }
    }
}

impl Task for DataTask {
    type Output = Vec<f32>;
    type JsValue = Float32Array;

    fn compute(&mut self) -> Result<Self::Output> {
        Ok(self.tensor.to_vec())
    }

    fn resolve(&mut self, _env: Env, output: Self::Output) -> Result<Self::JsValue> {
        Ok(Float32Array::new(output))
    }
}
