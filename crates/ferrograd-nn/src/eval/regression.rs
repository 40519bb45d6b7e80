//! Regression scores with scikit-learn's definitions: MSE, RMSE, MAE, MAPE, R². Targets are
//! `[n]` or `[n, outputs]` (row-major); multi-output scores are averaged uniformly over the
//! outputs, as scikit-learn's `multioutput='uniform_average'`.

use ferrograd_core::{Error, Result};

fn columns<'a>(
    op: &'static str,
    y_true: &'a [f64],
    y_pred: &'a [f64],
    outputs: usize,
) -> Result<Vec<(Vec<f64>, Vec<f64>)>> {
    if y_true.len() != y_pred.len()
        || y_true.is_empty()
        || outputs == 0
        || !y_true.len().is_multiple_of(outputs)
    {
        return Err(Error::InvalidArgument {
            op,
            msg: format!(
                "needs non-empty targets and predictions of the same size, divisible into {outputs} outputs: got {} and {}",
                y_true.len(),
                y_pred.len()
            ),
        });
    }
    Ok((0..outputs)
        .map(|k| {
            (
                y_true.iter().skip(k).step_by(outputs).copied().collect(),
                y_pred.iter().skip(k).step_by(outputs).copied().collect(),
            )
        })
        .collect())
}

fn per_output(
    op: &'static str,
    y_true: &[f64],
    y_pred: &[f64],
    outputs: usize,
    score: impl Fn(&[f64], &[f64]) -> f64,
) -> Result<f64> {
    let cols = columns(op, y_true, y_pred, outputs)?;
    Ok(cols.iter().map(|(t, p)| score(t, p)).sum::<f64>() / outputs as f64)
}

fn mean(v: impl Iterator<Item = f64>, n: usize) -> f64 {
    v.sum::<f64>() / n as f64
}

/// Mean squared error.
pub fn mean_squared_error(y_true: &[f64], y_pred: &[f64], outputs: usize) -> Result<f64> {
    per_output("meanSquaredError", y_true, y_pred, outputs, |t, p| {
        mean(t.iter().zip(p).map(|(a, b)| (a - b) * (a - b)), t.len())
    })
}

/// Root of the mean squared error of each output, averaged over outputs.
pub fn root_mean_squared_error(y_true: &[f64], y_pred: &[f64], outputs: usize) -> Result<f64> {
    per_output("rootMeanSquaredError", y_true, y_pred, outputs, |t, p| {
        mean(t.iter().zip(p).map(|(a, b)| (a - b) * (a - b)), t.len()).sqrt()
    })
}

/// Mean absolute error.
pub fn mean_absolute_error(y_true: &[f64], y_pred: &[f64], outputs: usize) -> Result<f64> {
    per_output("meanAbsoluteError", y_true, y_pred, outputs, |t, p| {
        mean(t.iter().zip(p).map(|(a, b)| (a - b).abs()), t.len())
    })
}

/// Mean absolute percentage error as a fraction (`|y - ŷ| / max(|y|, ε)`, ε the f64 machine
/// epsilon, as scikit-learn: a zero target gives a huge but finite term).
pub fn mean_absolute_percentage_error(
    y_true: &[f64],
    y_pred: &[f64],
    outputs: usize,
) -> Result<f64> {
    per_output(
        "meanAbsolutePercentageError",
        y_true,
        y_pred,
        outputs,
        |t, p| {
            mean(
                t.iter()
                    .zip(p)
                    .map(|(a, b)| (a - b).abs() / a.abs().max(f64::EPSILON)),
                t.len(),
            )
        },
    )
}

/// Coefficient of determination `1 - SS_res / SS_tot`; for a constant target 1 when predicted
/// exactly and 0 otherwise (scikit-learn's `force_finite`).
pub fn r2_score(y_true: &[f64], y_pred: &[f64], outputs: usize) -> Result<f64> {
    per_output("r2Score", y_true, y_pred, outputs, |t, p| {
        let m = mean(t.iter().copied(), t.len());
        let ss_res: f64 = t.iter().zip(p).map(|(a, b)| (a - b) * (a - b)).sum();
        let ss_tot: f64 = t.iter().map(|a| (a - m) * (a - m)).sum();
        if ss_tot == 0.0 {
            if ss_res == 0.0 {
                1.0
            } else {
                0.0
            }
        } else {
            1.0 - ss_res / ss_tot
        }
    })
}

/// Mean negative log-likelihood of class labels under `[n, classes]` probabilities (row-major),
/// clipped to `[eps, 1 - eps]` and renormalised per row, as scikit-learn 1.2's `log_loss`
/// (`eps = 1e-15`). Binary problems pass two columns `[1 - p, p]`.
pub fn log_loss(labels: &[usize], probs: &[f64], classes: usize, eps: f64) -> Result<f64> {
    if classes < 2 || probs.len() != labels.len() * classes || labels.is_empty() {
        return Err(Error::InvalidArgument {
            op: "logLoss",
            msg: format!(
                "needs [n, classes >= 2] probabilities for n >= 1 labels: {} labels, {} values, {classes} classes",
                labels.len(),
                probs.len()
            ),
        });
    }
    if let Some(&bad) = labels.iter().find(|&&l| l >= classes) {
        return Err(Error::InvalidArgument {
            op: "logLoss",
            msg: format!("label {bad} is not in [0, {classes})"),
        });
    }
    let mut total = 0.0;
    for (row, &label) in probs.chunks(classes).zip(labels) {
        let clipped: Vec<f64> = row.iter().map(|p| p.clamp(eps, 1.0 - eps)).collect();
        let sum: f64 = clipped.iter().sum();
        total -= (clipped[label] / sum).ln();
    }
    Ok(total / labels.len() as f64)
}
