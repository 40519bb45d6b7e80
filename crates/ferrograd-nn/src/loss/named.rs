//! Losses on pairs and triplets (and PyTorch's `kl_div`) called by name with JSON options, for
//! bindings: custom training loops reach them without one binding function per loss.

use ferrograd_core::{Result, Tensor};
use serde_json::Value;

use super::{
    contrastive_loss, cosine_embedding_loss, invalid, kl_div, triplet_margin_loss, KlDivOptions,
    KlReduction, Reduction, TripletMarginOptions,
};

const OP: &str = "loss";

/// Names accepted by [`named_loss`].
pub const NAMED_LOSSES: &str = "cosineEmbedding, contrastive, tripletMargin, klDiv";

fn number(options: &Value, key: &str, default: f32) -> Result<f32> {
    match options.get(key) {
        None | Some(Value::Null) => Ok(default),
        Some(v) => v
            .as_f64()
            .map(|x| x as f32)
            .ok_or_else(|| invalid(OP, format!("option '{key}' must be a number, got {v}"))),
    }
}

fn flag(options: &Value, key: &str) -> Result<bool> {
    match options.get(key) {
        None | Some(Value::Null) => Ok(false),
        Some(v) => v
            .as_bool()
            .ok_or_else(|| invalid(OP, format!("option '{key}' must be a boolean, got {v}"))),
    }
}

fn reduction_name(options: &Value) -> Result<&str> {
    match options.get("reduction") {
        None | Some(Value::Null) => Ok("mean"),
        Some(v) => v
            .as_str()
            .ok_or_else(|| invalid(OP, format!("option 'reduction' must be a string, got {v}"))),
    }
}

fn reduction(options: &Value) -> Result<Reduction> {
    match reduction_name(options)? {
        "mean" => Ok(Reduction::Mean),
        "sum" => Ok(Reduction::Sum),
        "none" => Ok(Reduction::None),
        other => Err(invalid(
            OP,
            format!("unknown reduction '{other}' (accepted: mean, sum, none)"),
        )),
    }
}

/// Applies the loss `name` to `tensors` (in PyTorch's argument order) with `options`
/// (`margin`, `p`, `eps`, `swap`, `logTarget`, `reduction`):
/// - `cosineEmbedding(x1, x2, y)`, `contrastive(x1, x2, y)`: `margin`, `reduction`;
/// - `tripletMargin(anchor, positive, negative)`: `margin`, `p`, `eps`, `swap`, `reduction`;
/// - `klDiv(logProbs, target)`: `logTarget`, `reduction` (also `batchmean`).
pub fn named_loss(name: &str, options: &Value, tensors: &[Tensor]) -> Result<Tensor> {
    let want = |n: usize| -> Result<()> {
        if tensors.len() != n {
            return Err(invalid(
                OP,
                format!("'{name}' takes {n} tensors, got {}", tensors.len()),
            ));
        }
        Ok(())
    };
    match name {
        "cosineEmbedding" => {
            want(3)?;
            cosine_embedding_loss(
                &tensors[0],
                &tensors[1],
                &tensors[2],
                number(options, "margin", 0.0)?,
                reduction(options)?,
            )
        }
        "contrastive" => {
            want(3)?;
            contrastive_loss(
                &tensors[0],
                &tensors[1],
                &tensors[2],
                number(options, "margin", 1.0)?,
                reduction(options)?,
            )
        }
        "tripletMargin" => {
            want(3)?;
            let d = TripletMarginOptions::default();
            let o = TripletMarginOptions {
                margin: number(options, "margin", d.margin)?,
                p: number(options, "p", d.p)?,
                eps: number(options, "eps", d.eps)?,
                swap: flag(options, "swap")?,
                reduction: reduction(options)?,
            };
            triplet_margin_loss(&tensors[0], &tensors[1], &tensors[2], &o)
        }
        "klDiv" => {
            want(2)?;
            let reduction = match reduction_name(options)? {
                "mean" => KlReduction::Mean,
                "batchmean" => KlReduction::BatchMean,
                "sum" => KlReduction::Sum,
                "none" => KlReduction::None,
                other => {
                    return Err(invalid(
                        OP,
                        format!(
                            "unknown reduction '{other}' (accepted: mean, batchmean, sum, none)"
                        ),
                    ))
                }
            };
            let o = KlDivOptions {
                reduction,
                log_target: flag(options, "logTarget")?,
            };
            kl_div(&tensors[0], &tensors[1], &o)
        }
        other => Err(invalid(
            OP,
            format!("unknown loss '{other}' (accepted: {NAMED_LOSSES})"),
        )),
    }
}
