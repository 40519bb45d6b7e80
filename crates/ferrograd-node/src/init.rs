//! Weight initializers for TypeScript-defined parameters (`Module.parameter`).

use napi::bindgen_prelude::*;
use napi_derive::napi;

use crate::error::{core_err, fg_error, ErrorCode, FgResult};
use crate::tensor::NativeTensor;

/// A new tensor of `shape` filled by the initializer `spec` (JSON: a Keras name or an object
/// with `type`), with Keras' fans for input-major weights; draws come from the global generator.
#[napi(catch_unwind)]
pub fn initialize(env: Env, shape: Vec<i64>, spec: String) -> Result<NativeTensor, ErrorCode> {
    let bad = |msg: String| fg_error(ErrorCode::Core("ValueError"), msg);
    let dims: Vec<usize> = shape
        .iter()
        .map(|&d| {
            usize::try_from(d).map_err(|_| bad(format!("initializer: invalid dimension {d}")))
        })
        .collect::<FgResult<_>>()?;
    let spec: serde_json::Value =
        serde_json::from_str(&spec).map_err(|e| bad(format!("initializer: invalid JSON: {e}")))?;
    let init = ferrograd_nn::init::Initializer::from_spec(&spec).map_err(core_err)?;
    let fans = ferrograd_nn::init::keras_fans(&dims);
    let t = init.init(&dims, Some(fans), None).map_err(core_err)?;
    NativeTensor::wrap(&env, t)
}
