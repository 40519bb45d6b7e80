//! Optimizers and losses for custom training loops written in TypeScript.

use ferrograd_core::Tensor;
use ferrograd_nn::optim::Optimize;
use ferrograd_nn::spec::{clipping_from_spec, loss_from_spec, optimizer_from_groups};
use napi::bindgen_prelude::*;
use napi_derive::napi;
use std::sync::Arc;

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
    inner: Arc<Mutex<Box<dyn Optimize + Send>>>,
    params: Vec<Tensor>,
    clip: (Option<f32>, Option<f32>),
}

/// What an async training step needs of an optimizer, owned so it can move to a worker thread.
#[derive(Clone)]
pub(crate) struct StepOptimizer {
    inner: Arc<Mutex<Box<dyn Optimize + Send>>>,
    params: Vec<Tensor>,
    clip: (Option<f32>, Option<f32>),
}

impl StepOptimizer {
    /// Clears the gradients of every parameter.
    pub(crate) fn zero_grad(&self) {
        self.inner.lock().zero_grad();
    }

    /// Clips (if configured) and applies one update.
    pub(crate) fn step(&self) -> ferrograd_core::Result<()> {
        if let Some(v) = self.clip.1 {
            ferrograd_nn::optim::clip_grad_value(&self.params, v)?;
        }
        if let Some(n) = self.clip.0 {
            ferrograd_nn::optim::clip_grad_norm(&self.params, n, 2.0)?;
        }
        self.inner.lock().step()
    }
}

impl NativeOptimizer {
    pub(crate) fn for_step(&self) -> StepOptimizer {
        StepOptimizer {
            inner: self.inner.clone(),
            params: self.params.clone(),
            clip: self.clip,
        }
    }
}

#[napi]
impl NativeOptimizer {
    /// Builds the optimizer described by `spec` (JSON) over parameter groups: `groups[g]` are
    /// the tensors of group `g` and `options[g]` (JSON object) its overrides of the spec's
    /// options (PyTorch `param_groups`).
    #[napi(factory, catch_unwind)]
    pub fn create(
        groups: Vec<Vec<&NativeTensor>>,
        options: Vec<String>,
        spec: String,
    ) -> Result<NativeOptimizer, ErrorCode> {
        let spec = parse("optimizer", &spec)?;
        if groups.is_empty() || groups.len() != options.len() {
            return Err(fg_error(
                ErrorCode::Core("ValueError"),
                format!(
                    "optimizer: {} parameter groups but {} option sets",
                    groups.len(),
                    options.len()
                ),
            ));
        }
        let mut all = Vec::new();
        let mut built = Vec::with_capacity(groups.len());
        for (g, (params, text)) in groups.iter().zip(&options).enumerate() {
            let params: Vec<Tensor> = params
                .iter()
                .map(|p| p.get("optimizer"))
                .collect::<FgResult<_>>()?;
            let overrides = match parse("optimizer", text)? {
                serde_json::Value::Object(map) => map,
                other => {
                    return Err(fg_error(
                        ErrorCode::Core("ValueError"),
                        format!("optimizer: options of group {g} must be an object, got {other}"),
                    ))
                }
            };
            all.extend(params.iter().cloned());
            built.push((params, overrides));
        }
        let clip = clipping_from_spec(&spec).map_err(core_err)?;
        let opt = optimizer_from_groups(built, &spec).map_err(core_err)?;
        Ok(NativeOptimizer {
            inner: Arc::new(Mutex::new(opt)),
            params: all,
            clip,
        })
    }

    /// Learning rate of every parameter group (schedules scale them together).
    #[napi(catch_unwind)]
    pub fn group_lrs(&self) -> Vec<f64> {
        self.inner
            .lock()
            .group_lrs()
            .into_iter()
            .map(f64::from)
            .collect()
    }

    /// Applies one update from the parameters' gradients (clipping first, if configured).
    #[napi(catch_unwind)]
    pub fn step(&self) -> Result<(), ErrorCode> {
        self.for_step().step().map_err(core_err)
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
/// tensor: reduced by `reduction` (`"mean"` (default), `"sum"` or `"none"`: the per-element or
/// per-sample losses) after weighting by `sample_weight` (one weight per sample, Keras rules).
#[napi(catch_unwind)]
pub fn compute_loss(
    env: Env,
    spec: String,
    pred: &NativeTensor,
    target: &NativeTensor,
    reduction: Option<String>,
    sample_weight: Option<&NativeTensor>,
) -> Result<NativeTensor, ErrorCode> {
    use ferrograd_nn::loss::{weighted, Reduction};
    let kind = loss_from_spec(&parse("loss", &spec)?).map_err(core_err)?;
    let reduction = match reduction.as_deref() {
        None | Some("mean") => Reduction::Mean,
        Some("sum") => Reduction::Sum,
        Some("none") => Reduction::None,
        Some(other) => {
            return Err(fg_error(
                ErrorCode::Core("ValueError"),
                format!("loss: unknown reduction '{other}' (accepted: mean, sum, none)"),
            ))
        }
    };
    let (pred, target) = (pred.get("loss")?, target.get("loss")?);
    let weight = sample_weight.map(|w| w.get("loss")).transpose()?;
    let value = match (reduction, weight) {
        (Reduction::Mean, None) => kind.compute(&pred, &target),
        (_, w) => kind.per_sample(&pred, &target).and_then(|l| match w {
            Some(w) => weighted(&l, &w, reduction),
            None if reduction == Reduction::Sum => l.sum(None, false),
            None => Ok(l),
        }),
    }
    .map_err(core_err)?;
    NativeTensor::wrap(&env, value)
}

/// A pair/triplet loss or `klDiv` by name (see `ferrograd_nn::loss::named_loss`), with options
/// as JSON, over tensors in PyTorch's argument order; a differentiable tensor.
#[napi(catch_unwind)]
pub fn named_loss(
    env: Env,
    name: String,
    options: String,
    tensors: Vec<&NativeTensor>,
) -> Result<NativeTensor, ErrorCode> {
    let options = parse("loss", &options)?;
    let tensors: Vec<Tensor> = tensors
        .iter()
        .map(|t| t.get("loss"))
        .collect::<FgResult<_>>()?;
    let value = ferrograd_nn::loss::named_loss(&name, &options, &tensors).map_err(core_err)?;
    NativeTensor::wrap(&env, value)
}

/// Validates a loss spec (as in `compile`); returns the loss's log name.
#[napi(catch_unwind)]
pub fn loss_name(spec: String) -> Result<String, ErrorCode> {
    let kind = loss_from_spec(&parse("loss", &spec)?).map_err(core_err)?;
    Ok(kind.name().to_owned())
}
