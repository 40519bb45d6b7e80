//! Optimizers and losses for custom training loops written in TypeScript.

use ferrograd_core::Tensor;
use ferrograd_nn::optim::Optimize;
use ferrograd_nn::spec::{clipping_from_spec, loss_from_spec, optimizer_from_spec};
use napi::bindgen_prelude::*;
use napi_derive::napi;
use parking_lot::Mutex;

use crate::error::{core_err, fg_error, ErrorCode, FgResult};
use crate::tensor::NativeTensor;

fn parse(op: &str, text: &str) -> FgResult<serde_json::Value> {
    serde_json::from_str(text).map_err(|e| {
        fg_error(
            ErrorCode::Core("ValueError"),
            format!("{op}: invalid JSON: {e}"),
        )
    })
}

/// An optimizer over a list of parameter tensors (updates them in place from their `.grad`).
#[napi]
pub struct NativeOptimizer {
    inner: Mutex<Box<dyn Optimize + Send>>,
    params: Vec<Tensor>,
    clip: (Option<f32>, Option<f32>),
}

#[napi]
impl NativeOptimizer {
    /// Builds the optimizer described by `spec` (JSON) over `params`.
    #[napi(factory, catch_unwind)]
    pub fn create(params: Vec<&NativeTensor>, spec: String) -> Result<NativeOptimizer, ErrorCode> {
        let spec = parse("optimizer", &spec)?;
        let params: Vec<Tensor> = params
            .iter()
            .map(|p| p.get("optimizer"))
            .collect::<FgResult<_>>()?;
        let clip = clipping_from_spec(&spec).map_err(core_err)?;
        let opt = optimizer_from_spec(params.clone(), &spec).map_err(core_err)?;
        Ok(NativeOptimizer {
            inner: Mutex::new(opt),
            params,
            clip,
        })
    }

    /// Applies one update from the parameters' gradients (clipping first, if configured).
    #[napi(catch_unwind)]
    pub fn step(&self) -> Result<(), ErrorCode> {
        if let Some(v) = self.clip.1 {
            ferrograd_nn::optim::clip_grad_value(&self.params, v).map_err(core_err)?;
        }
        if let Some(n) = self.clip.0 {
            ferrograd_nn::optim::clip_grad_norm(&self.params, n, 2.0).map_err(core_err)?;
        }
        self.inner.lock().step().map_err(core_err)
    }

    /// Clears the gradients of every parameter.
    #[napi(catch_unwind)]
    pub fn zero_grad(&self) {
        self.inner.lock().zero_grad();
    }

    /// Current learning rate.
    #[napi(getter, catch_unwind)]
    pub fn lr(&self) -> f64 {
        self.inner.lock().lr() as f64
    }

    /// Sets the learning rate (for schedules driven from JS).
    #[napi(catch_unwind)]
    pub fn set_lr(&self, lr: f64) -> Result<(), ErrorCode> {
        self.inner.lock().set_lr(lr as f32).map_err(core_err)
    }
}

/// A built-in loss (spec JSON, as in `compile`) of `pred` against `target`, as a differentiable
/// scalar tensor.
#[napi(catch_unwind)]
pub fn compute_loss(
    env: Env,
    spec: String,
    pred: &NativeTensor,
    target: &NativeTensor,
) -> Result<NativeTensor, ErrorCode> {
    let kind = loss_from_spec(&parse("loss", &spec)?).map_err(core_err)?;
    let value = kind
        .compute(&pred.get("loss")?, &target.get("loss")?)
        .map_err(core_err)?;
    NativeTensor::wrap(&env, value)
}
