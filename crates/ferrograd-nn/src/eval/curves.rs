//! Ranking metrics of binary scores, as scikit-learn 1.2 computes them: the ROC curve (with
//! collinear points dropped) and its area, the precision-recall curve and average precision,
//! and one-vs-rest ROC-AUC for several classes.

use ferrograd_core::{Error, Result};

fn invalid(op: &'static str, msg: String) -> Error {
    Error::InvalidArgument { op, msg }
}

/// Points of a curve with the score thresholds that produce them.
#[derive(Debug, Clone, PartialEq)]
pub struct Curve {
    /// x coordinates (false-positive rate for ROC, recall for PR).
    pub x: Vec<f64>,
    /// y coordinates (true-positive rate for ROC, precision for PR).
    pub y: Vec<f64>,
    /// Threshold of each point: scores `>= threshold` count as positive.
    pub thresholds: Vec<f64>,
}

/// Cumulative false and true positives at each distinct score, from the highest score down
/// (scikit-learn's `_binary_clf_curve`).
fn binary_clf_curve(
    op: &'static str,
    y_true: &[bool],
    scores: &[f64],
) -> Result<(Vec<f64>, Vec<f64>, Vec<f64>)> {
    if y_true.len() != scores.len() || y_true.is_empty() {
        return Err(invalid(
            op,
            format!(
                "needs as many scores as labels, at least one: got {} labels and {} scores",
                y_true.len(),
                scores.len()
            ),
        ));
    }
    if let Some(s) = scores.iter().find(|s| !s.is_finite()) {
        return Err(invalid(op, format!("scores must be finite, got {s}")));
    }
    let mut order: Vec<usize> = (0..scores.len()).collect();
    // Descending by score; ties keep no particular order (only distinct scores make points).
    order.sort_by(|&a, &b| scores[b].total_cmp(&scores[a]));
    let (mut fps, mut tps, mut thresholds) = (Vec::new(), Vec::new(), Vec::new());
    let (mut tp, mut fp) = (0.0, 0.0);
    for (i, &idx) in order.iter().enumerate() {
        if y_true[idx] {
            tp += 1.0;
        } else {
            fp += 1.0;
        }
        let last_of_value = i + 1 == order.len() || scores[order[i + 1]] != scores[idx];
        if last_of_value {
            fps.push(fp);
            tps.push(tp);
            thresholds.push(scores[idx]);
        }
    }
    Ok((fps, tps, thresholds))
}

/// The ROC curve: false-positive rate (x) against true-positive rate (y), from threshold
/// `max + 1` (nothing positive) down to the lowest score; points on a straight segment are
/// dropped (`drop_intermediate=True`). Needs both classes in `y_true`.
pub fn roc_curve(y_true: &[bool], scores: &[f64]) -> Result<Curve> {
    const OP: &str = "rocCurve";
    let (mut fps, mut tps, mut thresholds) = binary_clf_curve(OP, y_true, scores)?;
    if fps.len() > 2 {
        let n = fps.len();
        let keep: Vec<usize> = (0..n)
            .filter(|&i| {
                i == 0
                    || i == n - 1
                    || (fps[i + 1] - 2.0 * fps[i] + fps[i - 1]) != 0.0
                    || (tps[i + 1] - 2.0 * tps[i] + tps[i - 1]) != 0.0
            })
            .collect();
        fps = keep.iter().map(|&i| fps[i]).collect();
        tps = keep.iter().map(|&i| tps[i]).collect();
        thresholds = keep.iter().map(|&i| thresholds[i]).collect();
    }
    let (p, n) = (tps[tps.len() - 1], fps[fps.len() - 1]);
    if p == 0.0 || n == 0.0 {
        return Err(invalid(
            OP,
            "the ROC curve needs both positive and negative samples".into(),
        ));
    }
    let mut x = vec![0.0];
    let mut y = vec![0.0];
    let mut t = vec![thresholds[0] + 1.0];
    x.extend(fps.iter().map(|f| f / n));
    y.extend(tps.iter().map(|v| v / p));
    t.extend(thresholds);
    Ok(Curve {
        x,
        y,
        thresholds: t,
    })
}

/// Area under a curve by the trapezoidal rule; `x` must be monotonic.
pub fn auc(x: &[f64], y: &[f64]) -> Result<f64> {
    if x.len() != y.len() || x.len() < 2 {
        return Err(invalid(
            "auc",
            format!(
                "needs at least 2 points, got {} x and {} y",
                x.len(),
                y.len()
            ),
        ));
    }
    let increasing = x.windows(2).all(|w| w[1] >= w[0]);
    let decreasing = x.windows(2).all(|w| w[1] <= w[0]);
    if !increasing && !decreasing {
        return Err(invalid(
            "auc",
            "x is neither increasing nor decreasing".into(),
        ));
    }
    let area: f64 = x
        .windows(2)
        .zip(y.windows(2))
        .map(|(xs, ys)| (xs[1] - xs[0]) * (ys[0] + ys[1]) / 2.0)
        .sum();
    Ok(if decreasing && !increasing {
        -area
    } else {
        area
    })
}

/// Area under the ROC curve of binary scores.
pub fn roc_auc(y_true: &[bool], scores: &[f64]) -> Result<f64> {
    let c = roc_curve(y_true, scores)?;
    auc(&c.x, &c.y)
}

/// One-vs-rest ROC-AUC of `[n, classes]` scores (row-major) against class labels: each class's
/// AUC against the rest, averaged uniformly (`weighted: false`, scikit-learn's macro) or by class
/// prevalence. Classes absent from `y_true` are an error, as in scikit-learn.
pub fn roc_auc_ovr(
    labels: &[usize],
    scores: &[f64],
    classes: usize,
    weighted: bool,
) -> Result<f64> {
    const OP: &str = "rocAucScore";
    if classes < 2 || scores.len() != labels.len() * classes {
        return Err(invalid(
            OP,
            format!(
                "needs [n, classes >= 2] scores for n labels: {} labels, {} scores, {classes} classes",
                labels.len(),
                scores.len()
            ),
        ));
    }
    let (mut total, mut weight) = (0.0, 0.0);
    for k in 0..classes {
        let truth: Vec<bool> = labels.iter().map(|&l| l == k).collect();
        let prevalence = truth.iter().filter(|&&b| b).count() as f64;
        let column: Vec<f64> = scores.iter().skip(k).step_by(classes).copied().collect();
        let a = roc_auc(&truth, &column).map_err(|e| invalid(OP, format!("class {k}: {e}")))?;
        let w = if weighted { prevalence } else { 1.0 };
        total += a * w;
        weight += w;
    }
    Ok(total / weight)
}

/// The precision-recall curve: recall (x, decreasing to 0) and precision (y, ending at 1), one
/// point per distinct score threshold (ascending `thresholds`, one fewer than the points).
pub fn precision_recall_curve(y_true: &[bool], scores: &[f64]) -> Result<Curve> {
    let (fps, tps, thresholds) = binary_clf_curve("precisionRecallCurve", y_true, scores)?;
    let positives = tps[tps.len() - 1];
    let precision: Vec<f64> = tps
        .iter()
        .zip(&fps)
        .map(|(t, f)| if t + f == 0.0 { 0.0 } else { t / (t + f) })
        .collect();
    let recall: Vec<f64> = tps
        .iter()
        .map(|t| if positives == 0.0 { 1.0 } else { t / positives })
        .collect();
    let mut x: Vec<f64> = recall.into_iter().rev().collect();
    let mut y: Vec<f64> = precision.into_iter().rev().collect();
    x.push(0.0);
    y.push(1.0);
    Ok(Curve {
        x,
        y,
        thresholds: thresholds.into_iter().rev().collect(),
    })
}

/// Average precision `Σ (R_n - R_{n-1}) P_n` over the PR curve's thresholds (scikit-learn's
/// step-wise area, no interpolation).
pub fn average_precision(y_true: &[bool], scores: &[f64]) -> Result<f64> {
    let c = precision_recall_curve(y_true, scores)?;
    Ok(-(0..c.x.len() - 1)
        .map(|i| (c.x[i + 1] - c.x[i]) * c.y[i])
        .sum::<f64>())
}
