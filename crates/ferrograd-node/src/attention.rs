//! Eager fused attention for custom TypeScript code (layers use it natively).

use ferrograd_core::{fresh_seed, AttentionOptions, AttnMask, Tensor};
use napi::bindgen_prelude::*;
use napi_derive::napi;

use crate::error::{core_err, fg_error, ErrorCode, FgResult};
use crate::tensor::NativeTensor;

/// Mask and dropout settings of [`scaled_dot_product_attention`].
#[napi(object)]
pub struct AttentionArgs {
    /// `"boolean"` (nonzero = masked out) or `"additive"`; required with a mask.
    pub mask_kind: Option<String>,
    pub causal: bool,
    pub dropout_p: f64,
    pub scale: Option<f64>,
    /// Dropout seed; a fresh one from the global generator when absent.
    pub seed: Option<i64>,
    /// Also return the (head-wise) attention weights, through the materialised path.
    pub need_weights: bool,
}

fn options(
    mask: Option<&NativeTensor>,
    key_padding_mask: Option<&NativeTensor>,
    args: &AttentionArgs,
) -> FgResult<AttentionOptions> {
    const OP: &str = "scaledDotProductAttention";
    let mask = match (mask, args.mask_kind.as_deref()) {
        (None, _) => None,
        (Some(m), Some("boolean")) => Some(AttnMask::Boolean(m.get(OP)?)),
        (Some(m), Some("additive")) => Some(AttnMask::Additive(m.get(OP)?)),
        (Some(_), kind) => {
            return Err(fg_error(
                ErrorCode::Core("ValueError"),
                format!("{OP}: maskKind must be 'boolean' or 'additive', got {kind:?}"),
            ))
        }
    };
    Ok(AttentionOptions {
        mask,
        key_padding_mask: key_padding_mask.map(|t| t.get(OP)).transpose()?,
        causal: args.causal,
        dropout_p: args.dropout_p as f32,
        scale: args.scale.map(|s| s as f32),
        seed: args.seed.map_or_else(fresh_seed, |s| s as u64),
    })
}

/// `softmax(scale·QKᵀ + masks)·V` over `[B, H, L, D]` tensors, fused and tiled (O(L) memory);
/// with `needWeights`, `[output, weights]` from the materialised path.
#[napi(catch_unwind)]
pub fn scaled_dot_product_attention(
    env: Env,
    q: &NativeTensor,
    k: &NativeTensor,
    v: &NativeTensor,
    mask: Option<&NativeTensor>,
    key_padding_mask: Option<&NativeTensor>,
    args: AttentionArgs,
) -> Result<Vec<NativeTensor>, ErrorCode> {
    const OP: &str = "scaledDotProductAttention";
    let o = options(mask, key_padding_mask, &args)?;
    let (q, k, v) = (q.get(OP)?, k.get(OP)?, v.get(OP)?);
    let outputs = if args.need_weights {
        let (out, w) =
            Tensor::scaled_dot_product_attention_with_weights(&q, &k, &v, &o).map_err(core_err)?;
        vec![out, w]
    } else {
        vec![Tensor::scaled_dot_product_attention(&q, &k, &v, &o).map_err(core_err)?]
    };
    outputs
        .into_iter()
        .map(|t| NativeTensor::wrap(&env, t))
        .collect::<FgResult<Vec<_>>>()
}
