//! Streaming metrics for TypeScript training loops (`Module.fit`, `metrics.*`): the same
//! definitions the native `fit` logs.

use ferrograd_nn::spec::metric_from_name;
use ferrograd_nn::train::MetricState;
use napi::bindgen_prelude::*;
use napi_derive::napi;
use parking_lot::Mutex;

use crate::error::{core_err, ErrorCode};
use crate::tensor::NativeTensor;

/// One metric accumulated over batches.
#[napi]
pub struct NativeMetric {
    state: Mutex<MetricState>,
}

#[napi]
impl NativeMetric {
    /// The metric `name` (Keras names); `binaryThreshold` is where `accuracy` splits binary
    /// predictions (0.5 for probabilities, 0 for logits); `logits` marks multi-class scores as
    /// pre-softmax (for AUC and perplexity).
    #[napi(factory, catch_unwind)]
    pub fn create(
        name: String,
        binary_threshold: f64,
        logits: Option<bool>,
    ) -> Result<NativeMetric, ErrorCode> {
        let kind = metric_from_name(&name).map_err(core_err)?;
        let state = kind
            .state_with_threshold(binary_threshold as f32)
            .with_logits(logits.unwrap_or(false));
        Ok(NativeMetric {
            state: Mutex::new(state),
        })
    }

    /// Log key (`accuracy`, `mse`, `top_5_accuracy`, ...).
    #[napi(getter, catch_unwind)]
    pub fn key(&self) -> String {
        self.state.lock().kind().name()
    }

    /// Adds one batch.
    #[napi(catch_unwind)]
    pub fn update(&self, pred: &NativeTensor, target: &NativeTensor) -> Result<(), ErrorCode> {
        let (p, t) = (pred.get("metric")?, target.get("metric")?);
        self.state.lock().update(&p, &t).map_err(core_err)
    }

    /// The value over the batches seen (0 before any).
    #[napi(getter, catch_unwind)]
    pub fn value(&self) -> f64 {
        self.state.lock().value()
    }
}
