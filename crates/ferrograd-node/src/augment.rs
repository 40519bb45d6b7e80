//! Seeded image-batch augmentation (`ts/augment.ts`) over `[N, C, H, W]` tensors.

use ferrograd_nn::data::augment::{augment, Augmentation};
use napi::bindgen_prelude::*;
use napi_derive::napi;
use serde_json::Value;

use crate::error::{core_err, fg_error, ErrorCode, FgResult};
use crate::tensor::NativeTensor;

fn bad(msg: impl ToString) -> crate::error::FgError {
    fg_error(ErrorCode::Core("ValueError"), msg)
}

fn number(v: &Value, key: &str, default: Option<f64>) -> FgResult<f32> {
    match (v.get(key), default) {
        (None, Some(d)) => Ok(d as f32),
        (Some(x), _) => x
            .as_f64()
            .map(|f| f as f32)
            .ok_or_else(|| bad(format!("augment: '{key}' must be a number, got {x}"))),
        (None, None) => Err(bad(format!("augment: '{key}' is required"))),
    }
}

fn floats(v: &Value, key: &str) -> FgResult<Vec<f32>> {
    v.get(key)
        .and_then(Value::as_array)
        .and_then(|a| a.iter().map(|x| x.as_f64().map(|f| f as f32)).collect())
        .ok_or_else(|| bad(format!("augment: '{key}' must be a list of numbers")))
}

fn parse(spec: &Value) -> FgResult<Augmentation> {
    let kind = spec
        .get("type")
        .and_then(Value::as_str)
        .ok_or_else(|| bad(format!("augment: a step needs a string 'type', got {spec}")))?;
    Ok(match kind {
        "randomFlip" => {
            let mode = spec.get("mode").and_then(Value::as_str).unwrap_or("horizontal");
            let (horizontal, vertical) = match mode {
                "horizontal" => (true, false),
                "vertical" => (false, true),
                "both" => (true, true),
                other => return Err(bad(format!("augment: randomFlip mode must be horizontal, vertical or both, got '{other}'"))),
            };
            Augmentation::RandomFlip { horizontal, vertical }
        }
        "randomCrop" => {
            let p = number(spec, "padding", None)?;
            if !(p >= 0.0 && p.fract() == 0.0) {
                return Err(bad(format!("augment: randomCrop padding must be a non-negative integer, got {p}")));
            }
            Augmentation::RandomCrop { padding: p as usize }
        }
        "randomTranslation" => Augmentation::RandomTranslation {
            height: number(spec, "height", None)?,
            width: number(spec, "width", None)?,
        },
        "randomRotation" => Augmentation::RandomRotation { degrees: number(spec, "degrees", None)? },
        "gaussianNoise" => Augmentation::GaussianNoise { stddev: number(spec, "stddev", None)? },
        "normalize" => Augmentation::Normalize { mean: floats(spec, "mean")?, std: floats(spec, "std")? },
        other => return Err(bad(format!(
            "augment: unknown step '{other}' (accepted: randomFlip, randomCrop, randomTranslation, randomRotation, gaussianNoise, normalize)"
        ))),
    })
}

/// Applies the augmentation step `spec` (JSON) to the batch `x` with randomness from `seed`.
#[napi(catch_unwind)]
pub fn augment_batch(
    env: Env,
    x: &NativeTensor,
    spec: String,
    seed: f64,
) -> Result<NativeTensor, ErrorCode> {
    let spec: Value =
        serde_json::from_str(&spec).map_err(|e| bad(format!("augment: invalid JSON: {e}")))?;
    if !(seed >= 0.0 && seed.fract() == 0.0 && seed < 9.0e15) {
        return Err(bad(format!(
            "augment: seed must be a non-negative integer, got {seed}"
        )));
    }
    let out = augment(&x.get("augment")?, &parse(&spec)?, seed as u64).map_err(core_err)?;
    NativeTensor::wrap(&env, out)
}
