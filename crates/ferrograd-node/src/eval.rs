//! Evaluation metrics for TypeScript (`ts/evaluation/`): labels and scores cross as plain
//! number arrays and results come back as JSON. Host-side and O(n log n) at most: cheap next to
//! the predictions they score.

use ferrograd_nn::eval::{
    average_precision, bleu, cohen_kappa, log_loss, matthews_corrcoef, mean_absolute_error,
    mean_absolute_percentage_error, mean_squared_error, precision_recall_curve,
    precision_recall_fscore, r2_score, roc_auc_ovr, roc_curve, root_mean_squared_error,
    specificity, Average, BleuOptions, ConfusionMatrix, RefLength,
};
use napi::bindgen_prelude::*;
use napi_derive::napi;
use serde_json::{json, Value};

use crate::error::{core_err, fg_error, ErrorCode, FgResult};

fn value_error(msg: impl ToString) -> crate::error::FgError {
    fg_error(ErrorCode::Core("ValueError"), msg)
}

fn labels(op: &str, v: &[f64]) -> FgResult<Vec<usize>> {
    v.iter()
        .map(|&x| {
            if x >= 0.0 && x.fract() == 0.0 && x < 16_777_216.0 {
                Ok(x as usize)
            } else {
                Err(value_error(format!(
                    "{op}: labels must be non-negative integers, got {x}"
                )))
            }
        })
        .collect()
}

fn average(op: &str, name: &str, positive: usize) -> FgResult<Average> {
    Ok(match name {
        "binary" => Average::Binary { positive },
        "micro" => Average::Micro,
        "macro" => Average::Macro,
        "weighted" => Average::Weighted,
        other => {
            return Err(value_error(format!(
                "{op}: unknown average '{other}' (accepted: binary, micro, macro, weighted)"
            )))
        }
    })
}

/// Everything derived from a confusion matrix of `classes` classes: counts, accuracy, MCC,
/// kappa, per-class and averaged precision/recall/F-beta/specificity (`average`, `beta`,
/// `positive`, optional `labels` subset).
#[napi(catch_unwind)]
#[allow(clippy::too_many_arguments)]
pub fn classification_scores(
    y_true: Vec<f64>,
    y_pred: Vec<f64>,
    classes: u32,
    average_name: String,
    beta: f64,
    positive: u32,
    subset: Option<Vec<u32>>,
) -> Result<String, ErrorCode> {
    let op = "classification metrics";
    let cm = ConfusionMatrix::from_labels(
        &labels(op, &y_true)?,
        &labels(op, &y_pred)?,
        classes as usize,
    )
    .map_err(core_err)?;
    let avg = average(op, &average_name, positive as usize)?;
    let subset: Option<Vec<usize>> = subset.map(|s| s.into_iter().map(|c| c as usize).collect());
    let scores = precision_recall_fscore(&cm, beta, avg, subset.as_deref()).map_err(core_err)?;
    let (spec_per, spec_avg) = specificity(&cm, avg, subset.as_deref()).map_err(core_err)?;
    Ok(json!({
        "classes": classes,
        "confusion": cm.counts(),
        "accuracy": cm.accuracy(),
        "mcc": matthews_corrcoef(&cm),
        "kappa": finite_or_null(cohen_kappa(&cm)),
        "perClass": {
            "labels": scores.classes,
            "precision": scores.precision,
            "recall": scores.recall,
            "fscore": scores.fscore,
            "support": scores.support,
            "specificity": spec_per,
        },
        "precision": scores.average.0,
        "recall": scores.average.1,
        "fscore": scores.average.2,
        "specificity": spec_avg,
    })
    .to_string())
}

fn finite_or_null(v: f64) -> Value {
    if v.is_finite() {
        json!(v)
    } else {
        Value::Null
    }
}

/// A ROC (`kind = "roc"`: x = FPR, y = TPR) or precision-recall (`"pr"`: x = recall,
/// y = precision) curve of binary scores with its area (ROC-AUC or average precision).
#[napi(catch_unwind)]
pub fn curve_scores(kind: String, y_true: Vec<f64>, scores: Vec<f64>) -> Result<String, ErrorCode> {
    let truth: Vec<bool> = labels(&kind, &y_true)?.iter().map(|&l| l == 1).collect();
    let (curve, area) = match kind.as_str() {
        "roc" => {
            let c = roc_curve(&truth, &scores).map_err(core_err)?;
            let a = ferrograd_nn::eval::auc(&c.x, &c.y).map_err(core_err)?;
            (c, a)
        }
        "pr" => (
            precision_recall_curve(&truth, &scores).map_err(core_err)?,
            average_precision(&truth, &scores).map_err(core_err)?,
        ),
        other => return Err(value_error(format!("curve: unknown kind '{other}'"))),
    };
    // The ROC's first threshold is max + 1 (scikit-learn 1.2): finite, so JSON carries it.
    Ok(
        json!({"x": curve.x, "y": curve.y, "thresholds": curve.thresholds, "area": area})
            .to_string(),
    )
}

/// One-vs-rest ROC-AUC of `[n, classes]` scores (row-major), macro or prevalence-weighted.
#[napi(catch_unwind)]
pub fn roc_auc_multiclass(
    y_true: Vec<f64>,
    scores: Vec<f64>,
    classes: u32,
    weighted: bool,
) -> Result<f64, ErrorCode> {
    roc_auc_ovr(
        &labels("rocAucScore", &y_true)?,
        &scores,
        classes as usize,
        weighted,
    )
    .map_err(core_err)
}

/// Mean negative log-likelihood of labels under `[n, classes]` probabilities (scikit-learn's
/// `log_loss`, clipped at `eps`).
#[napi(catch_unwind)]
pub fn log_loss_score(
    y_true: Vec<f64>,
    probs: Vec<f64>,
    classes: u32,
    eps: f64,
) -> Result<f64, ErrorCode> {
    log_loss(&labels("logLoss", &y_true)?, &probs, classes as usize, eps).map_err(core_err)
}

/// MSE, RMSE, MAE, MAPE and R² of `[n]` or `[n, outputs]` targets (row-major), as JSON.
#[napi(catch_unwind)]
pub fn regression_scores(
    y_true: Vec<f64>,
    y_pred: Vec<f64>,
    outputs: u32,
) -> Result<String, ErrorCode> {
    let k = outputs as usize;
    let (t, p) = (&y_true, &y_pred);
    Ok(json!({
        "mse": mean_squared_error(t, p, k).map_err(core_err)?,
        "rmse": root_mean_squared_error(t, p, k).map_err(core_err)?,
        "mae": mean_absolute_error(t, p, k).map_err(core_err)?,
        "mape": mean_absolute_percentage_error(t, p, k).map_err(core_err)?,
        "r2": r2_score(t, p, k).map_err(core_err)?,
    })
    .to_string())
}

/// Corpus BLEU of tokenised candidates against their tokenised references; `options` JSON:
/// `maxN` (4), `refLength` (`"closest"` | `"average"`), `smoothing` (0).
#[napi(catch_unwind)]
pub fn bleu_score(
    candidates: Vec<Vec<String>>,
    references: Vec<Vec<Vec<String>>>,
    options: String,
) -> Result<String, ErrorCode> {
    let o: Value = serde_json::from_str(&options)
        .map_err(|e| value_error(format!("bleu: invalid options: {e}")))?;
    let mut opts = BleuOptions::default();
    if let Some(n) = o.get("maxN").and_then(Value::as_u64) {
        opts.max_n = n as usize;
    }
    if let Some(s) = o.get("smoothing").and_then(Value::as_f64) {
        opts.smoothing = s;
    }
    match o.get("refLength").and_then(Value::as_str) {
        None | Some("closest") => {}
        Some("average") => opts.ref_length = RefLength::Average,
        Some(other) => {
            return Err(value_error(format!(
                "bleu: unknown refLength '{other}' (closest or average)"
            )))
        }
    }
    let b = bleu(&candidates, &references, &opts).map_err(core_err)?;
    Ok(json!({
        "score": b.score,
        "precisions": b.precisions,
        "brevityPenalty": b.brevity_penalty,
        "candidateLength": b.candidate_length,
        "referenceLength": b.reference_length,
    })
    .to_string())
}
